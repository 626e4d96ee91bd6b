package dev.sift.curation.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sift.curation.Reject;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImageProbeTest {
  /** Limits loose enough that every readable fixture passes. */
  private final ImageProbe lenient = new ImageProbe(ImageProbe.Verify.FULL, 1, 100.0, 100_000_000L);

  static byte[] fixture(String name) throws IOException {
    try (InputStream in = ImageProbeTest.class.getResourceAsStream("/fixtures/images/" + name)) {
      assertThat(in).as("fixture %s", name).isNotNull();
      return in.readAllBytes();
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "anim_120x90.gif, gif, 120, 90",
    "cmyk_400x300.jpg, jpeg, 400, 300",
    "exact_224x224.jpg, jpeg, 224, 224",
    "gray_512x512.jpg, jpeg, 512, 512",
    "large_4000x3000.jpg, jpeg, 4000, 3000",
    "palette_256x256.png, png, 256, 256",
    "photo_640x480.jpg, jpeg, 640, 480",
    "portrait_300x800_rgba.png, png, 300, 800",
    "progressive_800x600.jpg, jpeg, 800, 600",
    "tiny_1x1.png, png, 1, 1",
    "webp_320x240.webp, webp, 320, 240",
    "wide_2000x50.jpg, jpeg, 2000, 50"
  })
  void readsFormatAndSizeOfEveryReadableFixture(String file, String format, int w, int h)
      throws IOException {
    ImageProbe.Result r = lenient.probe(fixture(file));
    assertThat(r.reject()).as("reject of %s (%s)", file, r.detail()).isNull();
    assertThat(r.format()).isEqualTo(format);
    assertThat(r.width()).isEqualTo(w);
    assertThat(r.height()).isEqualTo(h);
  }

  @Test
  void brokenFilesAreDecodeErrorsWithTheDecodersMessage() throws IOException {
    ImageProbe.Result truncated = lenient.probe(fixture("broken_truncated.jpg"));
    assertThat(truncated.reject()).isEqualTo(Reject.DECODE_ERROR);
    assertThat(truncated.detail()).containsIgnoringCase("EOI");
    ImageProbe.Result random = lenient.probe(fixture("broken_random.bin"));
    assertThat(random.reject()).isEqualTo(Reject.DECODE_ERROR);
    assertThat(random.detail()).contains("unrecognised image format");
  }

  @Test
  void pngsAreJudgedAsTheDecoderJudgesThem() throws IOException {
    ImageProbe header = new ImageProbe(ImageProbe.Verify.HEADER, 1, 100.0, 100_000_000L);
    byte[] png = fixture("portrait_300x800_rgba.png");
    // Cut inside the image data: the header is intact, the pixels are not.
    byte[] cut = java.util.Arrays.copyOf(png, 2000);
    ImageProbe.Result h = header.probe(cut);
    assertThat(h.reject()).isNull();
    assertThat(h.width()).isEqualTo(300);
    assertThat(h.height()).isEqualTo(800);
    ImageProbe.Result full = lenient.probe(cut);
    assertThat(full.reject()).isEqualTo(Reject.DECODE_ERROR);
    assertThat(full.detail()).startsWith("PNG: ");
    assertThatDecoderAgrees(cut, false);
    // A broken IHDR checksum: Pillow (and the decoder) refuse the file, so the probe does too.
    byte[] badCrc = png.clone();
    badCrc[29] ^= 1;
    assertThat(header.probe(badCrc).reject()).isEqualTo(Reject.DECODE_ERROR);
    assertThat(header.probe(badCrc).detail()).contains("IHDR");
    assertThat(lenient.probe(badCrc).reject()).isEqualTo(Reject.DECODE_ERROR);
    assertThatDecoderAgrees(badCrc, false);
    assertThatDecoderAgrees(png, true);
    assertThat(lenient.probe(png).reject()).isNull();
  }

  private static void assertThatDecoderAgrees(byte[] png, boolean decodes) {
    boolean decoded;
    try {
      new ImageDecoder().decode(png);
      decoded = true;
    } catch (ImageDecodeException e) {
      decoded = false;
    }
    assertThat(decoded).isEqualTo(decodes);
  }

  @Test
  void headerModeOnlyReadsTheHeader() throws IOException {
    // The documented trade-off of verify = header: a truncated file with an intact header passes.
    ImageProbe header = new ImageProbe(ImageProbe.Verify.HEADER, 1, 100.0, 100_000_000L);
    ImageProbe.Result r = header.probe(fixture("broken_truncated.jpg"));
    assertThat(r.reject()).isNull();
    assertThat(r.width()).isEqualTo(640);
  }

  @Test
  void missingBytesAreNoImage() {
    assertThat(lenient.probe(null).reject()).isEqualTo(Reject.NO_IMAGE);
    assertThat(lenient.probe(new byte[0]).reject()).isEqualTo(Reject.NO_IMAGE);
  }

  @Test
  void hostileBytesNeverThrow() {
    byte[] jpegHeaderThenGarbage = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0, 16, 'J'};
    assertThat(lenient.probe(jpegHeaderThenGarbage).reject()).isEqualTo(Reject.DECODE_ERROR);
    byte[] pngSignatureOnly = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    assertThat(lenient.probe(pngSignatureOnly).reject()).isEqualTo(Reject.DECODE_ERROR);
  }

  @Test
  void sizeAspectAndPixelLimits() throws IOException {
    ImageProbe strict = new ImageProbe(ImageProbe.Verify.FULL, 32, 3.0, 10_000_000L);
    assertThat(strict.probe(fixture("tiny_1x1.png")).reject()).isEqualTo(Reject.TOO_SMALL);
    assertThat(strict.probe(fixture("wide_2000x50.jpg")).reject()).isEqualTo(Reject.ASPECT);
    ImageProbe.Result large = strict.probe(fixture("large_4000x3000.jpg"));
    assertThat(large.reject()).isEqualTo(Reject.TOO_LARGE);
    assertThat(large.width()).isEqualTo(4000);
    assertThat(strict.probe(fixture("photo_640x480.jpg")).reject()).isNull();
    assertThat(strict.checkLimits(96, 32)).isNull();
    assertThat(strict.checkLimits(97, 32)).isEqualTo(Reject.ASPECT);
    assertThat(strict.checkLimits(31, 31)).isEqualTo(Reject.TOO_SMALL);
  }

  @Test
  void onlyMissingDataWarningsAreFatal() {
    assertThat(ImageProbe.isFatal("Truncated File - Missing EOI marker")).isTrue();
    assertThat(ImageProbe.isFatal("Corrupt JPEG data: premature end of data segment")).isTrue();
    assertThat(ImageProbe.isFatal("No embedded ICC color profile, will convert")).isFalse();
    assertThat(ImageProbe.isFatal("Corrupt JPEG data: 3 extraneous bytes before marker")).isFalse();
  }

  @Test
  void verificationSubsamplesLargeImages() {
    assertThat(ImageProbe.subsampling(640 * 480)).isEqualTo(1);
    assertThat(ImageProbe.subsampling(4000L * 3000)).isEqualTo(4);
  }
}
