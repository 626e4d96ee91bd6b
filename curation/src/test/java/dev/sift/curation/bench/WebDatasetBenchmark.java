package dev.sift.curation.bench;

import dev.sift.curation.webdataset.Sample;
import dev.sift.curation.webdataset.TarSamples;
import java.io.BufferedInputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Bytes/s on one thread of {@link TarSamples} over WebDataset shards: tar parsing, grouping and
 * every member's bytes read into memory (no image decoding), as the Spark reader does. Prints one
 * line per pass; the best pass is the figure (scripts/bench-webdataset.sh compares it to GNU tar).
 *
 * <p>Arguments: passes, then shard files.
 */
public final class WebDatasetBenchmark {
  private WebDatasetBenchmark() {}

  public static void main(String[] args) throws IOException {
    int passes = Integer.parseInt(args[0]);
    long bytes = 0;
    for (int i = 1; i < args.length; i++) {
      bytes += Files.size(Path.of(args[i]));
    }
    double best = 0;
    for (int p = 0; p < passes; p++) {
      long samples = 0;
      long memberBytes = 0;
      long t0 = System.nanoTime();
      for (int i = 1; i < args.length; i++) {
        try (InputStream in = new BufferedInputStream(new FileInputStream(args[i]), 1 << 20);
            TarSamples it = new TarSamples(in, ext -> true)) {
          while (it.hasNext()) {
            Sample s = it.next();
            samples++;
            for (byte[] m : s.members().values()) {
              memberBytes += m.length;
            }
          }
        }
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      double rate = bytes / seconds;
      best = Math.max(best, rate);
      System.out.printf(
          Locale.ROOT,
          "pass %d: %d samples, %d member bytes, %.2f s, %.1f MB/s%n",
          p + 1,
          samples,
          memberBytes,
          seconds,
          rate / 1e6);
    }
    System.out.printf(Locale.ROOT, "sift_bytes_per_s %.0f%n", best);
  }
}
