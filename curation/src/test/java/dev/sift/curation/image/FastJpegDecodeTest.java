package dev.sift.curation.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Locale;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fast JPEG mode (DCT-domain scaled decode through libturbojpeg): its drift from the golden
 * tensors, printed per image, and its fallbacks. Needs the system's libturbojpeg; CI installs it
 * (Debian's libturbojpeg0) and these tests fail there without it, rather than skip.
 */
class FastJpegDecodeTest {
  static final double FAST_MEAN_TOLERANCE = 0.05;
  private final ImageDecoder fast = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, 224);
  private final ImageDecoder exact = new ImageDecoder();

  @BeforeEach
  void needsTurboJpeg() {
    if (!"true".equals(System.getenv("CI"))) {
      assumeTrue(ImageDecoder.fastModeUnavailable() == null, ImageDecoder.fastModeUnavailable());
    }
    assertThat(ImageDecoder.fastModeUnavailable()).isNull();
  }

  @Test
  void scaleKeepsTheShorterSideAtLeastTheTarget() {
    assertThat(TurboJpeg.scale(4000, 3000, 224)).isEqualTo(8); // 375 >= 224
    assertThat(TurboJpeg.scale(640, 480, 224)).isEqualTo(2); // 240
    assertThat(TurboJpeg.scale(800, 600, 224)).isEqualTo(2); // 300; 1/4 would be 150
    assertThat(TurboJpeg.scale(447, 447, 224)).isEqualTo(2); // ceil(447 / 2) = 224
    assertThat(TurboJpeg.scale(446, 446, 224)).isEqualTo(1);
    assertThat(TurboJpeg.scale(2000, 50, 224)).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "exact_224x224.jpg",
        "gray_512x512.jpg",
        "large_4000x3000.jpg",
        "photo_640x480.jpg",
        "progressive_800x600.jpg",
        "wide_2000x50.jpg"
      })
  void driftFromTheGoldenPixelsStaysSmall(String image) throws Exception {
    byte[] bytes = ClipPreprocessorTest.resource("/fixtures/images/" + image);
    RgbImage rgb = fast.decode(bytes);
    RgbImage full = exact.decode(bytes);
    assertThat(Math.min(rgb.width(), rgb.height()))
        .isGreaterThanOrEqualTo(Math.min(224, Math.min(full.width(), full.height())));
    ClipPreprocessor p = ClipPreprocessor.openAiClip224();
    ClipPreprocessorTest.Diff d =
        ClipPreprocessorTest.Diff.of(p.preprocess(rgb), ClipPreprocessorTest.golden(image));
    System.out.printf(
        Locale.ROOT,
        "fast decode %-24s decoded at %dx%d of %dx%d: mean |diff| %.6f, max %.6f%n",
        image,
        rgb.width(),
        rgb.height(),
        full.width(),
        full.height(),
        d.mean(),
        d.max());
    assertThat(d.mean()).as(image).isLessThanOrEqualTo(FAST_MEAN_TOLERANCE);
  }

  @Test
  void cmykJpegsDecodeThroughLibjpegTurboWithTheImageIoPathsPixels() throws Exception {
    byte[] bytes = ClipPreprocessorTest.resource("/fixtures/images/cmyk_400x300.jpg");
    RgbImage turbo = TurboJpeg.decodeScaled(bytes, Integer.MAX_VALUE, Long.MAX_VALUE);
    RgbImage imageIo;
    try (var in = new com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream(bytes)) {
      var reader = javax.imageio.ImageIO.getImageReaders(in).next();
      reader.setInput(in);
      imageIo = JpegColor.toRgb(reader.readRaster(0, null), JpegColor.Header.parse(bytes));
      reader.dispose();
    }
    assertThat(turbo).isNotNull();
    assertThat(turbo.width()).isEqualTo(400);
    assertThat(turbo.rgb()).isEqualTo(imageIo.rgb());
    // Scaled in the DCT domain like any JPEG: half size, close to the exact decode once resized.
    RgbImage half = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, 100).decode(bytes);
    assertThat(half.width()).isEqualTo(200);
    assertThat(half.height()).isEqualTo(150);
    ClipPreprocessor p = ClipPreprocessor.openAiClip224();
    assertThat(ClipPreprocessorTest.Diff.of(p.preprocess(half), p.preprocess(turbo)).mean())
        .isLessThanOrEqualTo(FAST_MEAN_TOLERANCE);
  }

  @Test
  void smallJpegsNonJpegsAndBrokenBytesDecodeExactlyInFastMode() throws Exception {
    for (String image : new String[] {"cmyk_400x300.jpg", "palette_256x256.png"}) {
      byte[] bytes = ClipPreprocessorTest.resource("/fixtures/images/" + image);
      RgbImage a = fast.decode(bytes);
      RgbImage b = exact.decode(bytes);
      assertThat(a.width()).as(image).isEqualTo(b.width());
      assertThat(a.rgb()).as(image).isEqualTo(b.rgb());
    }
    byte[] truncated = ClipPreprocessorTest.resource("/fixtures/images/broken_truncated.jpg");
    assertThatThrownBy(() -> fast.decode(truncated)).isInstanceOf(ImageDecodeException.class);
    assertThatThrownBy(() -> exact.decode(truncated)).isInstanceOf(ImageDecodeException.class);
  }
}
