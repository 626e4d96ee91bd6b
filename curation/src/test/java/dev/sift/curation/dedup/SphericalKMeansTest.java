package dev.sift.curation.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class SphericalKMeansTest {
  /** {@code c} random centres; point {@code i} lies near centre {@code truth[i]}. */
  record Clustered(float[][] points, int[] truth) {}

  static Clustered clustered(long seed, int c, int n, int d) {
    SplittableRandom r = new SplittableRandom(seed);
    float[][] centres = new float[c][];
    for (int k = 0; k < c; k++) {
      centres[k] = Vectors.random(r, d);
    }
    float[][] points = new float[n][];
    int[] truth = new int[n];
    for (int i = 0; i < n; i++) {
      truth[i] = r.nextInt(c);
      points[i] = Vectors.at(centres[truth[i]], 0.99 + 0.009 * r.nextDouble(), r);
    }
    return new Clustered(points, truth);
  }

  @Test
  void recoversWellSeparatedClusters() {
    for (long seed = 1; seed <= 10; seed++) {
      Clustered data = clustered(seed, 8, 800, 64);
      SphericalKMeans km = SphericalKMeans.fit(data.points(), 8, seed, 50);
      int[] labels = km.assign(data.points());
      Map<Integer, Set<Integer>> fittedOfTrue = new HashMap<>();
      for (int i = 0; i < labels.length; i++) {
        fittedOfTrue.computeIfAbsent(data.truth()[i], t -> new HashSet<>()).add(labels[i]);
      }
      Set<Integer> used = new HashSet<>();
      for (Set<Integer> fitted : fittedOfTrue.values()) {
        assertThat(fitted).as("seed %d: one fitted cluster per true cluster", seed).hasSize(1);
        used.addAll(fitted);
      }
      assertThat(used).as("seed %d", seed).hasSize(8);
      assertThat(km.iterations()).isBetween(1, 50);
      for (float[] centroid : km.centroids()) {
        assertThat(Vectors.dotDouble(centroid, centroid)).isCloseTo(1.0, within(1e-5));
      }
    }
  }

  @Test
  void sameInputAndSeedGiveIdenticalModelsWithOrWithoutThreads() throws Exception {
    Clustered data = clustered(7, 20, 5000, 48);
    SphericalKMeans a = SphericalKMeans.fit(data.points(), 20, 42, 30);
    SphericalKMeans b = SphericalKMeans.fit(data.points(), 20, 42, 30);
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      SphericalKMeans c = SphericalKMeans.fit(data.points(), 20, 42, 30, pool);
      assertThat(b.centroids()).isDeepEqualTo(a.centroids());
      assertThat(c.centroids()).isDeepEqualTo(a.centroids());
      assertThat(c.iterations()).isEqualTo(a.iterations());
      assertThat(a.assign(data.points(), pool)).containsExactly(a.assign(data.points()));
    } finally {
      pool.shutdown();
    }
    SphericalKMeans other = SphericalKMeans.fit(data.points(), 20, 43, 30);
    assertThat(other.centroids()).isNotEqualTo(a.centroids());
  }

  @Test
  void assignAgreesWithNearestAndABruteForce() {
    Clustered data = clustered(3, 300, 2000, 37);
    SphericalKMeans km = SphericalKMeans.fit(data.points(), 300, 9, 5);
    float[][] centroids = km.centroids();
    int[] labels = km.assign(data.points());
    for (int i = 0; i < labels.length; i++) {
      float[] p = data.points()[i];
      assertThat(labels[i]).isEqualTo(km.nearest(p));
      int best = 0;
      for (int c = 1; c < centroids.length; c++) {
        if (SphericalKMeans.dot(p, 0, centroids[c], 0, 37)
            > SphericalKMeans.dot(p, 0, centroids[best], 0, 37)) {
          best = c;
        }
      }
      assertThat(labels[i]).isEqualTo(best);
    }
  }

  @Test
  void asManyClustersAsPointsMakesEachPointItsOwnCentroid() {
    float[][] points = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
    SphericalKMeans km = SphericalKMeans.fit(points, 5, 1, 10);
    assertThat(km.k()).isEqualTo(3);
    assertThat(km.iterations()).isZero();
    assertThat(km.centroids()).isDeepEqualTo(points);
    assertThat(km.assign(points)).containsExactly(0, 1, 2);
    assertThat(SphericalKMeans.fit(points, 3, 1, 10).k()).isEqualTo(3);
  }

  @Test
  void emptyClustersTakeTheLeastSimilarPointsOfClustersThatCanSpareThem() {
    int[] assignment = {0, 0, 0, 0, 3};
    float[] sims = {0.9f, 0.5f, 0.7f, 0.5f, 0.1f};
    SphericalKMeans.reseedEmpty(assignment, sims, 4);
    // Point 4 is the least similar but alone in cluster 3; points 1 and 3 tie, lower index first.
    assertThat(assignment).containsExactly(0, 1, 0, 2, 3);
  }

  @Test
  void copiesOfFewDirectionsStillGiveKFiniteUnitCentroids() {
    // Two distinct directions and k = 3: k-means++ must pick a duplicate centre, which leaves a
    // cluster empty on every pass; re-seeding keeps it filled and fitting ends.
    float[][] points = new float[11][];
    for (int i = 0; i < 10; i++) {
      points[i] = new float[] {1, 0};
    }
    points[10] = new float[] {0, 1};
    SphericalKMeans km = SphericalKMeans.fit(points, 3, 5, 20);
    assertThat(km.k()).isEqualTo(3);
    assertThat(km.iterations()).isBetween(1, 20);
    for (float[] c : km.centroids()) {
      assertThat(Vectors.dotDouble(c, c)).isCloseTo(1.0, within(1e-6));
    }
    assertThat(km.centroids()).isDeepEqualTo(SphericalKMeans.fit(points, 3, 5, 20).centroids());
  }

  @Test
  void badArgumentsAreRefused() {
    assertThatThrownBy(() -> SphericalKMeans.fit(new float[0][], 2, 1, 5))
        .hasMessageContaining("no points");
    assertThatThrownBy(() -> SphericalKMeans.fit(new float[][] {{1, 0}}, 0, 1, 5))
        .hasMessageContaining("k must be at least 1");
    assertThatThrownBy(() -> SphericalKMeans.fit(new float[][] {{1, 0}, {0}}, 1, 1, 5))
        .hasMessageContaining("point 1 has 1 values, not 2");
    SphericalKMeans km = SphericalKMeans.of(new float[][] {{1, 0}, {0, 1}});
    assertThatThrownBy(() -> km.nearest(new float[] {1, 0, 0}))
        .hasMessageContaining("has 3 values, not 2");
  }

  @Test
  void assignmentThroughput() {
    Clustered data = clustered(11, 100, 20_000, 512);
    SphericalKMeans km = SphericalKMeans.fit(data.points(), 100, 1, 3);
    double best = Double.MAX_VALUE;
    for (int run = 0; run < 5; run++) {
      long t0 = System.nanoTime();
      km.assign(data.points());
      best = Math.min(best, (System.nanoTime() - t0) / 1e9);
    }
    System.out.printf(
        "SphericalKMeans.assign: 20000 x 100 centroids x 512-d in %.1f ms: %.1f GFLOP/s%n",
        best * 1e3, 20_000.0 * 100 * 2 * 512 / best / 1e9);
  }
}
