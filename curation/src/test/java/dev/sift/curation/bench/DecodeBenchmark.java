package dev.sift.curation.bench;

import dev.sift.curation.image.ClipPreprocessor;
import dev.sift.curation.image.ImageDecoder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Decode + CLIP preprocessing speed on the calling thread, the way {@code
 * scripts/reference/pil_reference.py} measures PIL: the files are read into memory, decoded and
 * preprocessed for 2 s to warm the JIT up, then all of them in turn for {@code seconds}. Run under
 * {@code taskset -c 0} for a per-core figure; {@code scripts/bench-decode.sh} does that and runs
 * the PIL reference on the same files in the same run.
 *
 * <p>Usage: {@code DecodeBenchmark SECONDS exact|fast FILE...}; prints {@code SIFT_IMAGES_PER_S=…}.
 */
public final class DecodeBenchmark {
  private DecodeBenchmark() {}

  public static void main(String[] args) throws Exception {
    double seconds = Double.parseDouble(args[0]);
    boolean fast = args[1].equals("fast");
    List<byte[]> images = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      images.add(Files.readAllBytes(Path.of(args[i])));
    }
    if (fast && ImageDecoder.fastModeUnavailable() != null) {
      throw new IllegalStateException(ImageDecoder.fastModeUnavailable());
    }
    ImageDecoder decoder = new ImageDecoder(ImageDecoder.DEFAULT_MAX_PIXELS, fast ? 224 : 0);
    ClipPreprocessor preprocessor = ClipPreprocessor.openAiClip224();
    float[] out = new float[preprocessor.outputLength()];
    // Warm-up, as a long-running executor is: 2 s (at least every file three times), so the JIT
    // has compiled the hot loops before the clock starts, whatever the file's size.
    long warm = System.nanoTime() + 2_000_000_000L;
    for (int k = 0; k < 3 || System.nanoTime() < warm; k++) {
      for (byte[] b : images) {
        preprocessor.preprocess(decoder.decode(b), out, 0);
      }
    }
    long n = 0;
    long t0 = System.nanoTime();
    long end = t0 + (long) (seconds * 1e9);
    while (System.nanoTime() < end) {
      for (byte[] b : images) {
        preprocessor.preprocess(decoder.decode(b), out, 0);
        n++;
      }
    }
    double dt = (System.nanoTime() - t0) / 1e9;
    System.out.printf(
        Locale.ROOT,
        "Sift decode + preprocess (%s): %.1f images/s on one core over %d files%n",
        fast ? "fast" : "exact",
        n / dt,
        images.size());
    System.out.printf(Locale.ROOT, "SIFT_IMAGES_PER_S=%.1f%n", n / dt);
  }
}
