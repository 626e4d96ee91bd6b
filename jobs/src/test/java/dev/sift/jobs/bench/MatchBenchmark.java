package dev.sift.jobs.bench;

import dev.sift.curation.concepts.ConceptList;
import dev.sift.curation.concepts.ConceptMatcher;
import dev.sift.curation.concepts.Semantics;
import dev.sift.udfs.SparkTestBase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.SparkSession;

/**
 * The concept matcher's speed on one core (a benchmark, not a test; run by scripts/bench-match.sh,
 * which also times GNU grep on the same captions): captions/s and MB/s of spaced caption text for
 * the automaton, finding every matching entry, and for the naive definition on a subset. Arguments:
 * captions parquet, caption column, concept list, repeat, captions.txt to write for grep.
 */
public final class MatchBenchmark {
  private MatchBenchmark() {}

  public static void main(String[] args) throws IOException {
    String parquet = args[0];
    String column = args[1];
    Path list = Path.of(args[2]);
    int repeat = Integer.parseInt(args[3]);
    Path captionsOut = Path.of(args[4]);
    List<String> captions;
    SparkSession spark = SparkTestBase.newSession();
    try {
      captions = spark.read().parquet(parquet).select(column).as(Encoders.STRING()).collectAsList();
    } finally {
      spark.stop();
    }
    List<String> lines = new ArrayList<>();
    for (String c : captions) {
      lines.add(c == null ? "" : c.replace('\n', ' ').replace('\r', ' '));
    }
    Files.write(captionsOut, lines, StandardCharsets.UTF_8);

    for (Semantics semantics : Semantics.values()) {
      ConceptList concepts = ConceptList.read(list, semantics);
      long t0 = System.nanoTime();
      ConceptMatcher matcher = new ConceptMatcher(concepts, semantics);
      double buildSeconds = (System.nanoTime() - t0) / 1e9;
      long bytes = 0;
      for (String c : lines) {
        bytes += semantics.spaceCaption(c).getBytes(StandardCharsets.UTF_8).length + 1;
      }
      // Warm up, then the best of three timed passes.
      run(matcher::match, lines, 3);
      double best = Double.MAX_VALUE;
      long hits = 0;
      for (int k = 0; k < 3; k++) {
        long s = System.nanoTime();
        hits = run(matcher::match, lines, repeat);
        best = Math.min(best, (System.nanoTime() - s) / 1e9);
      }
      long rows = (long) lines.size() * repeat;
      System.out.printf(
          Locale.ROOT,
          "automaton %s: %,d entries built in %.2f s; %,d captions x %d: %,.0f captions/s,"
              + " %.1f MB/s, %,d matches per pass (every entry found)%n",
          semantics.name().toLowerCase(Locale.ROOT),
          concepts.size(),
          buildSeconds,
          lines.size(),
          repeat,
          rows / best,
          bytes * (double) repeat / 1e6 / best,
          hits / repeat);
      Function<String, int[]> naive = ConceptMatcher.naive(concepts, semantics);
      List<String> subset = lines.subList(0, Math.min(200, lines.size()));
      long s = System.nanoTime();
      run(naive, subset, 1);
      double naiveSeconds = (System.nanoTime() - s) / 1e9;
      System.out.printf(
          Locale.ROOT,
          "naive     %s: %,.0f captions/s (every entry tested with String.contains, %d captions)"
              + " -> automaton is %.0fx faster%n",
          semantics.name().toLowerCase(Locale.ROOT),
          subset.size() / naiveSeconds,
          subset.size(),
          (rows / best) / (subset.size() / naiveSeconds));
      if (semantics == Semantics.METACLIP1) {
        System.out.printf(
            Locale.ROOT, "AUTOMATON_MBPS=%.1f%n", bytes * (double) repeat / 1e6 / best);
      }
    }
  }

  private static long run(Function<String, int[]> match, List<String> captions, int repeat) {
    long hits = 0;
    for (int r = 0; r < repeat; r++) {
      for (String c : captions) {
        hits += match.apply(c).length;
      }
    }
    return hits;
  }
}
