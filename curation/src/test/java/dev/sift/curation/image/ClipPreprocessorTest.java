package dev.sift.curation.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Pixel parity with the golden tensors in {@code fixtures/golden/<image>.pixels.f32} (little-endian
 * float32 {@code [3, 224, 224]}). They were produced by transformers' fast CLIP processor: Pillow
 * decode and {@code convert("RGB")}, then torchvision's antialiased bicubic on uint8 and the fused
 * rescale/normalise. The {@link ClipPreprocessor.Reference#TORCHVISION} path reproduces them; the
 * {@link ClipPreprocessor.Reference#PIL} path (the slow processor) differs by one grey level on a
 * few pixels, as Pillow's 22-bit weights round differently from torch's 15-bit ones. Per-image mean
 * and max absolute differences are printed for the team's report.
 */
class ClipPreprocessorTest {
  private static final int SIZE = 3 * 224 * 224;

  /** The bar of the fixtures' README, in normalised units (one grey level is about 0.015). */
  private static final double MEAN_TOLERANCE = 0.01;

  /**
   * Lossy WebP without libwebp on the machine: measured at mean 0.0156, max 0.796 (about 53 grey
   * levels, at sharp colour edges). Pillow decodes with libwebp, whose "fancy" upsampling
   * interpolates the half-resolution chroma; TwelveMonkeys' pure-Java VP8 decoder, Sift's fallback,
   * reconstructs RGB differently and does not expose the YUV planes that would let Sift upsample
   * them itself. With libwebp (CI installs it) WebP is held to the bit-exact bar of every other
   * fixture.
   */
  private static final double WEBP_MEAN_TOLERANCE = 0.02;

  private final ImageDecoder decoder = new ImageDecoder();

  static byte[] resource(String path) throws IOException {
    try (InputStream in = ClipPreprocessorTest.class.getResourceAsStream(path)) {
      assertThat(in).as("test resource %s", path).isNotNull();
      return in.readAllBytes();
    }
  }

  static float[] golden(String image) throws IOException {
    byte[] bytes = resource("/fixtures/golden/" + image + ".pixels.f32");
    assertThat(bytes).hasSize(4 * SIZE);
    float[] out = new float[SIZE];
    ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
    return out;
  }

  static ClipPreprocessor fromFixtureConfig(ClipPreprocessor.Reference reference)
      throws IOException, URISyntaxException {
    Path config =
        Path.of(
            ClipPreprocessorTest.class
                .getResource("/fixtures/tiny-clip/" + ClipPreprocessor.CONFIG_FILE)
                .toURI());
    return ClipPreprocessor.fromConfig(config, reference);
  }

  /** Mean and max absolute difference, and how many values differ at all. */
  record Diff(double mean, double max, int differing) {
    static Diff of(float[] actual, float[] expected) {
      double sum = 0;
      double max = 0;
      int differing = 0;
      for (int i = 0; i < expected.length; i++) {
        double d = Math.abs((double) actual[i] - expected[i]);
        sum += d;
        max = Math.max(max, d);
        differing += d == 0 ? 0 : 1;
      }
      return new Diff(sum / expected.length, max, differing);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "anim_120x90.gif",
        "cmyk_400x300.jpg",
        "exact_224x224.jpg",
        "gray_512x512.jpg",
        "large_4000x3000.jpg",
        "palette_256x256.png",
        "photo_640x480.jpg",
        "portrait_300x800_rgba.png",
        "progressive_800x600.jpg",
        "tiny_1x1.png",
        "webp_320x240.webp",
        "wide_2000x50.jpg"
      })
  void matchesGoldenPixels(String image) throws Exception {
    RgbImage rgb = decoder.decode(resource("/fixtures/images/" + image));
    float[] expected = golden(image);

    float[] fast = fromFixtureConfig(ClipPreprocessor.Reference.TORCHVISION).preprocess(rgb);
    Diff d = Diff.of(fast, expected);
    float[] slow = fromFixtureConfig(ClipPreprocessor.Reference.PIL).preprocess(rgb);
    Diff s = Diff.of(slow, expected);
    System.out.printf(
        Locale.ROOT,
        "pixel parity %-26s torchvision: mean %.6f max %.6f (%d of %d differ) | "
            + "pil: mean %.6f max %.6f (%d differ)%n",
        image,
        d.mean(),
        d.max(),
        d.differing(),
        SIZE,
        s.mean(),
        s.max(),
        s.differing());

    boolean webp = image.endsWith(".webp") && !LibWebp.available();
    double tolerance = webp ? WEBP_MEAN_TOLERANCE : MEAN_TOLERANCE;
    assertThat(d.mean()).as("%s mean |diff| (torchvision)", image).isLessThanOrEqualTo(tolerance);
    assertThat(s.mean()).as("%s mean |diff| (pil)", image).isLessThanOrEqualTo(tolerance);
    if (!webp) {
      // Pillow-identical decoding plus torchvision's arithmetic reproduces the golden bit for bit.
      assertThat(d.differing()).as("%s values differing from golden", image).isZero();
      // The slow processor's Pillow resize differs by at most two grey levels (0.0301).
      assertThat(s.max()).as("%s max |diff| (pil)", image).isLessThan(0.031);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"broken_truncated.jpg", "broken_random.bin"})
  void brokenFilesFailWithAReason(String image) throws IOException {
    byte[] bytes = resource("/fixtures/images/" + image);
    assertThatThrownBy(() -> decoder.decode(bytes))
        .isInstanceOf(ImageDecodeException.class)
        .satisfies(e -> System.out.println("decode error " + image + ": " + e.getMessage()))
        .message()
        .isNotBlank();
  }

  @Test
  void emptyAndOversizedInputsAreDecodeErrors() throws IOException {
    assertThatThrownBy(() -> decoder.decode(new byte[0]))
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining("no image bytes");
    byte[] large = resource("/fixtures/images/large_4000x3000.jpg");
    assertThatThrownBy(() -> new ImageDecoder(1_000_000).decode(large))
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining("4000x3000");
  }

  @Test
  void decodesPillowModesToRgb() throws Exception {
    RgbImage gray = decoder.decode(resource("/fixtures/images/gray_512x512.jpg"));
    assertThat(gray.width()).isEqualTo(512);
    for (int i = 0; i < gray.rgb().length; i += 3) {
      assertThat(gray.rgb()[i]).isEqualTo(gray.rgb()[i + 1]).isEqualTo(gray.rgb()[i + 2]);
    }
    RgbImage gif = decoder.decode(resource("/fixtures/images/anim_120x90.gif"));
    assertThat(gif.width()).isEqualTo(120);
    assertThat(gif.height()).isEqualTo(90);
  }

  @Test
  void writesIntoABatchAtAnOffset() throws Exception {
    ClipPreprocessor pre = fromFixtureConfig(ClipPreprocessor.Reference.TORCHVISION);
    RgbImage rgb = decoder.decode(resource("/fixtures/images/photo_640x480.jpg"));
    float[] batch = new float[2 * pre.outputLength() + 1];
    pre.preprocess(rgb, batch, pre.outputLength() + 1);
    float[] single = pre.preprocess(rgb);
    for (int i = 0; i < single.length; i++) {
      assertThat(batch[pre.outputLength() + 1 + i]).isEqualTo(single[i]);
    }
    assertThat(batch[0]).isZero();
    assertThatThrownBy(() -> pre.preprocess(rgb, batch, pre.outputLength() + 2))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void readsTheFixtureConfigAndTheOldFlatLayout() throws Exception {
    ClipPreprocessor fromFile = fromFixtureConfig(ClipPreprocessor.Reference.TORCHVISION);
    assertThat(fromFile.cropHeight()).isEqualTo(224);
    assertThat(fromFile.cropWidth()).isEqualTo(224);
    assertThat(fromFile.toString()).isEqualTo(ClipPreprocessor.openAiClip224().toString());

    String flat =
        "{\"crop_size\": 224, \"do_center_crop\": true, \"do_normalize\": true,"
            + " \"do_resize\": true, \"feature_extractor_type\": \"CLIPFeatureExtractor\","
            + " \"image_mean\": [0.48145466, 0.4578275, 0.40821073],"
            + " \"image_std\": [0.26862954, 0.26130258, 0.27577711], \"resample\": 3,"
            + " \"size\": 224}";
    ClipPreprocessor old = ClipPreprocessor.fromJson(flat, ClipPreprocessor.Reference.TORCHVISION);
    RgbImage rgb = decoder.decode(resource("/fixtures/images/photo_640x480.jpg"));
    assertThat(old.preprocess(rgb)).containsExactly(fromFile.preprocess(rgb));
  }

  @Test
  void refusesUnsupportedConfigNamingTheKey() {
    assertThatThrownBy(
            () ->
                ClipPreprocessor.fromJson(
                    "{\"size\": {\"shortest_edge\": 224}, \"crop_size\": 224, \"resample\": 2,"
                        + " \"image_mean\": [0,0,0], \"image_std\": [1,1,1]}",
                    null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("resample")
        .hasMessageContaining("resample = 2 ");
    assertThatThrownBy(
            () ->
                ClipPreprocessor.fromJson(
                    "{\"size\": {\"shortest_edge\": 224}, \"crop_size\": 224,"
                        + " \"image_mean\": [0,0], \"image_std\": [1,1,1]}",
                    null))
        .hasMessageContaining("image_mean");
    assertThatThrownBy(() -> ClipPreprocessor.fromJson("{\"size\": ", null))
        .hasMessageContaining("invalid JSON");
  }

  @Test
  void padsWhenTheCropIsLargerThanTheResizedImage() {
    // 1x1 grey 128 resized to 4x4, cropped at 6x6: torchvision pads 1 before and 1 after with 0.
    ClipPreprocessor pre =
        new ClipPreprocessor(
            4,
            6,
            6,
            false,
            1,
            false,
            new double[] {0, 0, 0},
            new double[] {1, 1, 1},
            ClipPreprocessor.Reference.TORCHVISION);
    float[] out =
        pre.preprocess(new RgbImage(1, 1, new byte[] {(byte) 128, (byte) 128, (byte) 128}));
    assertThat(out[0]).isZero();
    assertThat(out[6 + 1]).isEqualTo(128f);
    assertThat(out[4 * 6 + 4]).isEqualTo(128f);
    assertThat(out[5 * 6 + 5]).isZero();
  }
}
