package dev.sift.curation.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * WebP through libwebp: hostile bytes end as decode errors, the size guard runs before decoding,
 * and what libwebp declines falls back to ImageIO. Needs the system's libwebp; CI installs it
 * (Debian's libwebp7) and these tests fail there without it, rather than skip.
 */
class LibWebpTest {
  private static final String WEBP = "/fixtures/images/webp_320x240.webp";

  @BeforeEach
  void needsLibWebp() {
    if (!"true".equals(System.getenv("CI"))) {
      assumeTrue(LibWebp.available(), "libwebp not installed");
    }
    assertThat(LibWebp.available()).as("libwebp (Debian's libwebp7)").isTrue();
  }

  @Test
  void decodesTheStillImageAtItsSize() throws Exception {
    byte[] bytes = ClipPreprocessorTest.resource(WEBP);
    assertThat(ImageMagic.isWebp(bytes)).isTrue();
    RgbImage image = LibWebp.decode(bytes, ImageDecoder.DEFAULT_MAX_PIXELS);
    assertThat(image.width()).isEqualTo(320);
    assertThat(image.height()).isEqualTo(240);
    // ImageDecoder takes this path: its output is libwebp's, byte for byte.
    assertThat(new ImageDecoder().decode(bytes).rgb()).isEqualTo(image.rgb());
  }

  @Test
  void theSizeGuardRunsBeforeAnyPixelIsDecoded() throws IOException {
    byte[] bytes = ClipPreprocessorTest.resource(WEBP);
    assertThatThrownBy(() -> LibWebp.decode(bytes, 320L * 240 - 1))
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining("320x240");
    assertThatThrownBy(() -> new ImageDecoder(1000).decode(bytes))
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining("outside");
  }

  @Test
  void truncatedAndGarbledWebpAreDecodeErrorsNotCrashes() throws IOException {
    byte[] bytes = ClipPreprocessorTest.resource(WEBP);
    ImageDecoder decoder = new ImageDecoder();
    for (int keep : new int[] {12, 30, 64, bytes.length / 2, bytes.length - 10}) {
      byte[] cut = Arrays.copyOf(bytes, keep);
      assertThatThrownBy(() -> decoder.decode(cut))
          .as("first %d bytes", keep)
          .isInstanceOf(ImageDecodeException.class);
    }
    byte[] garbled = bytes.clone();
    for (int i = 40; i < garbled.length; i += 7) {
      garbled[i] ^= (byte) 0x5A;
    }
    try {
      RgbImage image = decoder.decode(garbled);
      // A lossy bitstream may decode to noise; then it must still be a whole image.
      assertThat(image.rgb()).hasSize(3 * image.width() * image.height());
    } catch (ImageDecodeException expected) {
      assertThat(expected.getMessage()).isNotBlank();
    }
  }
}
