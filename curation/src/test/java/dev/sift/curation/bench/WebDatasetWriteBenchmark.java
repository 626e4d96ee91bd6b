package dev.sift.curation.bench;

import dev.sift.curation.webdataset.Sample;
import dev.sift.curation.webdataset.ShardWriter;
import dev.sift.curation.webdataset.TarSamples;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Shards/s and MB/s on one thread of {@link ShardWriter}: the samples of the given shards are read
 * into memory once, then written again as shards into {@code OUT_DIR} (each pass overwrites them),
 * as Sift's WebDataset output writes them (fixed metadata, PAX names when needed). Prints one line
 * per pass; the best pass is the figure (scripts/bench-webdataset.sh compares it with GNU {@code
 * tar -cf} of the same members).
 *
 * <p>Arguments: passes, output directory, then shard files.
 */
public final class WebDatasetWriteBenchmark {
  private WebDatasetWriteBenchmark() {}

  public static void main(String[] args) throws IOException {
    int passes = Integer.parseInt(args[0]);
    Path out = Path.of(args[1]);
    Files.createDirectories(out);
    List<List<Sample>> shards = new ArrayList<>();
    for (int i = 2; i < args.length; i++) {
      List<Sample> samples = new ArrayList<>();
      try (InputStream in = new BufferedInputStream(new FileInputStream(args[i]), 1 << 20);
          TarSamples it = new TarSamples(in, ext -> true)) {
        it.forEachRemaining(samples::add);
      }
      shards.add(samples);
    }
    double best = 0;
    double bestShards = 0;
    for (int p = 0; p < passes; p++) {
      long bytes = 0;
      long t0 = System.nanoTime();
      for (int s = 0; s < shards.size(); s++) {
        Path file = out.resolve(String.format(Locale.ROOT, "%05d.tar", s));
        OutputStream os = new BufferedOutputStream(new FileOutputStream(file.toFile()), 1 << 20);
        try (ShardWriter w = new ShardWriter(os)) {
          for (Sample sample : shards.get(s)) {
            for (Map.Entry<String, byte[]> m : sample.members().entrySet()) {
              w.member(sample.key(), m.getKey(), m.getValue());
            }
            w.endSample();
          }
        }
        bytes += Files.size(file);
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      best = Math.max(best, bytes / seconds);
      bestShards = Math.max(bestShards, shards.size() / seconds);
      System.out.printf(
          Locale.ROOT,
          "write pass %d: %d shards, %d bytes, %.2f s, %.1f MB/s%n",
          p + 1,
          shards.size(),
          bytes,
          seconds,
          bytes / seconds / 1e6);
    }
    System.out.printf(Locale.ROOT, "sift_write_bytes_per_s %.0f%n", best);
    System.out.printf(Locale.ROOT, "sift_write_shards_per_s %.2f%n", bestShards);
  }
}
