package dev.sift.curation.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SimilarPairsTest {
  private static final double[] THRESHOLDS = {0.9, 0.95, 0.99};

  /**
   * Random directions (pairwise similarity near 0) with planted near-duplicates at chosen
   * similarities, chains of them, and exact copies, shuffled.
   */
  static float[][] planted(long seed, int n, int d) {
    SplittableRandom r = new SplittableRandom(seed);
    List<float[]> out = new ArrayList<>();
    double[] levels = {0.999, 0.985, 0.97, 0.93, 0.8};
    while (out.size() < n) {
      float[] v = Vectors.random(r, d);
      out.add(v);
      switch (r.nextInt(4)) {
        case 0 -> out.add(Vectors.at(v, levels[r.nextInt(levels.length)], r));
        case 1 -> {
          // Two near-duplicates of one vector: a chain whose ends are less similar.
          out.add(Vectors.at(v, levels[r.nextInt(3)], r));
          out.add(Vectors.at(v, levels[r.nextInt(3)], r));
        }
        case 2 -> out.add(v.clone());
        default -> {}
      }
    }
    List<float[]> trimmed = new ArrayList<>(out.subList(0, n));
    Collections.shuffle(trimmed, new java.util.Random(seed));
    return trimmed.toArray(new float[0][]);
  }

  static List<SimilarPairs.Pair> bruteForce(float[][] v, double t) {
    List<SimilarPairs.Pair> pairs = new ArrayList<>();
    for (int i = 0; i < v.length; i++) {
      for (int j = i + 1; j < v.length; j++) {
        double s = Vectors.dotDouble(v[i], v[j]);
        assertThat(Math.abs(s - t))
            .as("pair %d,%d lies at the threshold %s", i, j, t)
            .isGreaterThan(1e-4);
        if (s >= t) {
          pairs.add(new SimilarPairs.Pair(i, j, (float) s));
        }
      }
    }
    return pairs;
  }

  static void assertSamePairs(List<SimilarPairs.Pair> actual, List<SimilarPairs.Pair> expected) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int m = 0; m < expected.size(); m++) {
      assertThat(actual.get(m).i()).isEqualTo(expected.get(m).i());
      assertThat(actual.get(m).j()).isEqualTo(expected.get(m).j());
      assertThat(actual.get(m).similarity()).isCloseTo(expected.get(m).similarity(), within(1e-5f));
    }
  }

  @Test
  void groupPairsMatchABruteForceInDouble() {
    for (int d : new int[] {512, 37}) {
      float[][] v = planted(11 + d, 300, d);
      for (double t : THRESHOLDS) {
        List<SimilarPairs.Pair> expected = bruteForce(v, t);
        assertThat(expected).as("planted pairs at %s", t).hasSizeGreaterThan(10);
        assertSamePairs(SimilarPairs.list(v, t), expected);
      }
    }
  }

  @Test
  void similaritiesEqualTheFloatDotBitForBitSoTheThresholdIsExact() {
    float[][] v = planted(5, 200, 512);
    List<SimilarPairs.Pair> all = SimilarPairs.list(v, 0.9);
    for (SimilarPairs.Pair p : all) {
      assertThat(p.similarity()).isEqualTo(SphericalKMeans.dot(v[p.i()], 0, v[p.j()], 0, 512));
    }
    // A threshold exactly at a pair's float similarity keeps that pair.
    SimilarPairs.Pair at = all.stream().filter(p -> p.similarity() < 0.99f).findFirst().get();
    assertThat(SimilarPairs.list(v, at.similarity())).contains(at);
    assertThat(SimilarPairs.list(v, Math.nextUp(at.similarity()))).doesNotContain(at);
  }

  @Test
  void acrossMatchesABruteForceInDouble() {
    SplittableRandom r = new SplittableRandom(3);
    int d = 512;
    float[][] refs = new float[150][];
    for (int i = 0; i < refs.length; i++) {
      refs[i] = Vectors.random(r, d);
    }
    float[][] queries = new float[130][];
    double[] levels = {1.0, 0.999, 0.985, 0.97, 0.93, 0.8};
    for (int i = 0; i < queries.length; i++) {
      queries[i] =
          i % 3 == 0
              ? Vectors.random(r, d)
              : Vectors.at(refs[r.nextInt(refs.length)], levels[r.nextInt(levels.length)], r);
    }
    for (double t : THRESHOLDS) {
      List<SimilarPairs.Pair> expected = new ArrayList<>();
      for (int i = 0; i < queries.length; i++) {
        for (int j = 0; j < refs.length; j++) {
          double s = Vectors.dotDouble(queries[i], refs[j]);
          assertThat(Math.abs(s - t)).isGreaterThan(1e-4);
          if (s >= t) {
            expected.add(new SimilarPairs.Pair(i, j, (float) s));
          }
        }
      }
      assertThat(expected).hasSizeGreaterThan(10);
      assertSamePairs(SimilarPairs.listAcross(queries, refs, t), expected);
    }
  }

  @Test
  void smallAndMalformedInputs() {
    assertThat(SimilarPairs.list(new float[0][], 0.9)).isEmpty();
    assertThat(SimilarPairs.list(new float[][] {{1, 0}}, 0.9)).isEmpty();
    assertThat(SimilarPairs.list(new float[][] {{1, 0}, {1, 0}, {0, 1}}, 0.9))
        .containsExactly(new SimilarPairs.Pair(0, 1, 1f));
    assertThat(SimilarPairs.listAcross(new float[][] {{0, 1}}, new float[0][], 0.5)).isEmpty();
    assertThatThrownBy(() -> SimilarPairs.list(new float[][] {{1, 0}, {1}}, 0.9))
        .hasMessageContaining("vector 1 has 1 values, not 2");
    assertThatThrownBy(
            () -> SimilarPairs.listAcross(new float[][] {{1, 0}}, new float[][] {{1}}, 0.9))
        .hasMessageContaining("references have 1");
    assertThatThrownBy(() -> SimilarPairs.list(new float[][] {{1, 0}}, Double.NaN))
        .hasMessageContaining("NaN");
  }

  @Test
  void throughputOnTwoThousandVectors() {
    SplittableRandom r = new SplittableRandom(1);
    int n = 2000;
    int d = 512;
    float[][] v = new float[n][];
    for (int i = 0; i < n; i++) {
      v[i] = Vectors.random(r, d);
    }
    long[] count = new long[1];
    double best = Double.MAX_VALUE;
    for (int run = 0; run < 8; run++) {
      long t0 = System.nanoTime();
      SimilarPairs.forEach(v, 0.5, (i, j, s) -> count[0]++);
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    double pairs = n * (n - 1) / 2.0;
    System.out.printf(
        "SimilarPairs: %d x %d-d, %.0f pairs in %.1f ms: %.1f M pairs/s, %.1f GFLOP/s%n",
        n, d, pairs, best * 1e3, pairs / best / 1e6, pairs * 2 * d / best / 1e9);
    assertThat(count[0]).isZero();
  }
}
