package dev.sift.curation.bench;

import dev.sift.curation.image.ImageDecoder;
import dev.sift.curation.models.Captioner;
import dev.sift.curation.models.Generation;
import dev.sift.curation.models.ModelOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Captioning speed of {@link Captioner} on preprocessed images, decode and preprocessing excluded:
 * the files are decoded once, then {@code generate} runs for {@code seconds} per batch size over
 * the images in turn (a batch of 8 cycles through them), after one warm-up pass. Greedy decoding of
 * {@code maxNewTokens} tokens, on the CPU with {@code threads} ONNX Runtime threads (0: its
 * default). {@code scripts/bench-captioner.sh} runs it on the fixture images and tiny captioner.
 *
 * <p>Usage: {@code CaptionerBenchmark MODEL_DIR SECONDS THREADS MAX_NEW_TOKENS FILE...}; prints
 * {@code SIFT_CAPTIONS_PER_S_B<batch>=…} per batch size and the ratio of batch 8 to batch 1 (there
 * is no Python captioner reference on this machine: no PyTorch, no model hub). Whether the KV cache
 * was used is printed; the tiny fixture has no cached export, so this measures full-prefix
 * decoding.
 */
public final class CaptionerBenchmark {
  private static final int[] BATCH_SIZES = {1, 8};

  private CaptionerBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path model = Path.of(args[0]);
    double seconds = Double.parseDouble(args[1]);
    int threads = Integer.parseInt(args[2]);
    int maxNewTokens = Integer.parseInt(args[3]);
    int files = args.length - 4;
    try (Captioner captioner =
        Captioner.open(model, ModelOptions.cpu(threads), Generation.greedy(maxNewTokens))) {
      int length = captioner.imageLength();
      float[] images = new float[files * length];
      ImageDecoder decoder = new ImageDecoder();
      for (int i = 0; i < files; i++) {
        byte[] bytes = Files.readAllBytes(Path.of(args[4 + i]));
        captioner.preprocessor().preprocess(decoder.decode(bytes), images, i * length);
      }
      double[] rates = new double[BATCH_SIZES.length];
      for (int bi = 0; bi < BATCH_SIZES.length; bi++) {
        int batch = BATCH_SIZES[bi];
        float[] pixels = new float[batch * length];
        int next = 0;
        long tokens = 0;
        // Warm-up: one pass over the images at this batch size.
        for (int k = 0; k < files; k += batch) {
          next = fill(images, files, length, pixels, batch, next);
          captioner.generate(pixels, batch);
        }
        long captions = 0;
        long t0 = System.nanoTime();
        long end = t0 + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
          next = fill(images, files, length, pixels, batch, next);
          for (Captioner.Caption c : captioner.generate(pixels, batch)) {
            tokens += c.tokenIds().length - 1;
          }
          captions += batch;
        }
        double dt = (System.nanoTime() - t0) / 1e9;
        System.out.printf(
            Locale.ROOT,
            "batch %d: %.1f captions/s, %.1f tokens/s (%d captions in %.1f s, %s, %s)%n",
            batch,
            captions / dt,
            tokens / dt,
            captions,
            dt,
            captioner.usesKvCache() ? "KV cache" : "no KV cache: full prefix each step",
            threads > 0 ? threads + " ONNX Runtime threads" : "ONNX Runtime's default threads");
        System.out.printf(Locale.ROOT, "SIFT_CAPTIONS_PER_S_B%d=%.1f%n", batch, captions / dt);
        rates[bi] = captions / dt;
      }
      // The reference measured in the same run is one image at a time: what batching buys.
      System.out.printf(
          Locale.ROOT,
          "batch %d / batch %d: %.2f%n",
          BATCH_SIZES[BATCH_SIZES.length - 1],
          BATCH_SIZES[0],
          rates[rates.length - 1] / rates[0]);
    }
  }

  /** Copies the next {@code batch} images, cycling, into {@code pixels}; returns the next index. */
  private static int fill(
      float[] images, int files, int length, float[] pixels, int batch, int next) {
    for (int b = 0; b < batch; b++) {
      System.arraycopy(images, next * length, pixels, b * length, length);
      next = (next + 1) % files;
    }
    return next;
  }
}
