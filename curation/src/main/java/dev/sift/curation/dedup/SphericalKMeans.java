package dev.sift.curation.dedup;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Spherical k-means on L2-normalised vectors: cosine similarity is the dot product, and each
 * centroid is the normalised mean of its points. Sift fits it twice per semantic dedup: on the
 * driver over a deterministic sample (level 1, its centroids broadcast to executors), and inside
 * each level-1 cluster to cut it into sub-clusters of about a thousand rows (level 2).
 *
 * <p><b>Fitting.</b> Initialisation is greedy k-means++ (as scikit-learn's default) drawn from
 * {@code new SplittableRandom(seed)} over the points in the order given: the first centre
 * uniformly; for each next one, {@code 2 + floor(ln k)} candidates drawn with probability
 * proportional to {@code 1 - (similarity to the nearest centre so far)}, which is half the squared
 * Euclidean distance between unit vectors, and the candidate that most lowers the sum of those
 * weights kept (the first drawn, on a tie). Plain k-means++, one candidate, too often put two
 * centres in one tight cluster and left two clusters to share one. Initialisation costs {@code (2 +
 * ln k) k n d} multiply-adds, as much as {@code 2 + ln k} Lloyd passes. Lloyd iterations follow:
 * every point goes to the centroid of largest dot product (ties to the lowest index), every
 * centroid becomes the normalised mean of its points (summed in double, in point order). A cluster
 * left empty is re-seeded with the point least similar to its own centroid (ties to the lower
 * index) taken from a cluster that keeps at least one point; several empty clusters take the next
 * least similar points in turn. A cluster whose points sum to zero keeps its previous centroid.
 * Fitting stops when an assignment pass changes nothing, or after {@code maxIterations} passes.
 * With {@code k >= n} every point is its own centroid and {@link #k()} is {@code n}.
 *
 * <p><b>Determinism.</b> The same points in the same order with the same seed give identical
 * centroids, bit for bit, whether or not an {@link Executor} is used: the only work spread over
 * threads is per-point similarity (assignment, k-means++ weights), each point's result written by
 * one task and independent of the others, and all sums run in a fixed order on the calling thread.
 *
 * <p>Points are not re-checked for unit norm (checking would cost a pass over the data and a
 * threshold to argue about); a non-normalised input gives a well-defined but meaningless result.
 * Instances are immutable and thread-safe, and their state is plain arrays, so a fitted model can
 * be rebuilt on executors from {@link #centroids()} with {@link #of}.
 */
public final class SphericalKMeans {
  /** Points per task when assignment is spread over an {@link Executor}. */
  private static final int CHUNK = 1024;

  private final int k;
  private final int d;
  private final float[] centroids;
  private final float[][][] tiles;
  private final int iterations;

  private SphericalKMeans(float[] centroids, int k, int d, int iterations) {
    this.k = k;
    this.d = d;
    this.centroids = centroids;
    this.iterations = iterations;
    float[][] rows = new float[k][];
    for (int c = 0; c < k; c++) {
      rows[c] = Arrays.copyOfRange(centroids, c * d, (c + 1) * d);
    }
    this.tiles = DotTiles.tiles(rows, d);
  }

  /**
   * A model over given centroids (for instance broadcast from the driver), with {@link
   * #iterations()} zero. The centroids are copied, and used as given: not re-normalised.
   */
  public static SphericalKMeans of(float[][] centroids) {
    if (centroids.length == 0) {
      throw new IllegalArgumentException("no centroids");
    }
    int d = DotTiles.width(centroids, "centroid");
    float[] flat = new float[centroids.length * d];
    for (int c = 0; c < centroids.length; c++) {
      System.arraycopy(centroids[c], 0, flat, c * d, d);
    }
    return new SphericalKMeans(flat, centroids.length, d, 0);
  }

  /**
   * Fits {@code k} centroids to the points on the calling thread; see the class comment.
   *
   * @param points L2-normalised vectors of one width, at least one
   * @param k the number of clusters, at least 1; capped at the number of points
   * @param seed the k-means++ seed
   * @param maxIterations the most assignment passes, at least 0 (0 returns the k-means++ centres)
   */
  public static SphericalKMeans fit(float[][] points, int k, long seed, int maxIterations) {
    return fit(points, k, seed, maxIterations, null);
  }

  /**
   * {@link #fit(float[][], int, long, int)} with the similarity passes spread over {@code executor}
   * in chunks of points; same result as without it. {@code null} runs on the calling thread.
   */
  public static SphericalKMeans fit(
      float[][] points, int k, long seed, int maxIterations, Executor executor) {
    int n = points.length;
    if (n == 0) {
      throw new IllegalArgumentException("no points to cluster");
    }
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1, not " + k);
    }
    if (maxIterations < 0) {
      throw new IllegalArgumentException("maxIterations must be at least 0, not " + maxIterations);
    }
    int d = DotTiles.width(points, "point");
    if (k >= n) {
      return of(points);
    }
    float[] centroids = initialCentres(points, k, d, new SplittableRandom(seed), executor);
    int[] assignment = new int[n];
    Arrays.fill(assignment, -1);
    float[] sims = new float[n];
    int passes = 0;
    while (passes < maxIterations) {
      SphericalKMeans current = new SphericalKMeans(centroids, k, d, 0);
      int[] next = current.assign(points, sims, executor);
      passes++;
      if (Arrays.equals(next, assignment)) {
        break;
      }
      assignment = next;
      reseedEmpty(assignment, sims, k);
      centroids = means(points, assignment, centroids, k, d);
    }
    return new SphericalKMeans(centroids, k, d, passes);
  }

  /** Greedy k-means++ centres, flattened {@code k * d}. */
  private static float[] initialCentres(
      float[][] points, int k, int d, SplittableRandom random, Executor executor) {
    int n = points.length;
    float[][][] pointTiles = DotTiles.tiles(points, d);
    int trials = 2 + (int) Math.log(k);
    float[] centres = new float[k * d];
    double[] weight = new double[n];
    Arrays.fill(weight, Double.POSITIVE_INFINITY);
    double[] trial = new double[n];
    double[] bestTrial = new double[n];
    System.arraycopy(points[random.nextInt(n)], 0, centres, 0, d);
    lowerWeights(centres, 0, pointTiles, d, weight, weight, executor);
    for (int c = 1; c < k; c++) {
      double total = sum(weight);
      int best = -1;
      double bestTotal = Double.POSITIVE_INFINITY;
      for (int t = 0; t < trials; t++) {
        int pick = draw(weight, total, random);
        lowerWeights(points[pick], 0, pointTiles, d, weight, trial, executor);
        double after = sum(trial);
        if (after < bestTotal) {
          best = pick;
          bestTotal = after;
          double[] swap = bestTrial;
          bestTrial = trial;
          trial = swap;
        }
      }
      System.arraycopy(points[best], 0, centres, c * d, d);
      double[] swap = weight;
      weight = bestTrial;
      bestTrial = swap;
    }
    return centres;
  }

  /**
   * An index drawn with probability {@code weight[i] / total}; uniform when every weight is 0
   * (every point coincides with a centre, so any pick duplicates one).
   */
  private static int draw(double[] weight, double total, SplittableRandom random) {
    if (!(total > 0)) {
      return random.nextInt(weight.length);
    }
    double r = random.nextDouble() * total;
    double cumulative = 0;
    int pick = -1;
    for (int i = 0; i < weight.length; i++) {
      if (weight[i] > 0) {
        pick = i;
        cumulative += weight[i];
        if (cumulative > r) {
          break;
        }
      }
    }
    return pick;
  }

  private static double sum(double[] values) {
    double total = 0;
    for (double v : values) {
      total += v;
    }
    return total;
  }

  /** {@code out[i] = min(weight[i], 1 - dot(point i, centre))}, floored at 0. */
  private static void lowerWeights(
      float[] centre,
      int off,
      float[][][] pointTiles,
      int d,
      double[] weight,
      double[] out,
      Executor executor) {
    // One task per group of tiles: each writes only its own points' entries.
    int tilesPerTask = Math.max(1, CHUNK / DotTiles.WIDTH);
    List<Runnable> tasks = new ArrayList<>();
    for (int t0 = 0; t0 < pointTiles.length; t0 += tilesPerTask) {
      int from = t0;
      int to = Math.min(pointTiles.length, t0 + tilesPerTask);
      tasks.add(
          () -> {
            float[] sims = new float[DotTiles.WIDTH];
            for (int t = from; t < to; t++) {
              float[][] tile = pointTiles[t];
              int width = tile[0].length;
              DotTiles.dots(centre, off, tile, d, sims);
              for (int j = 0; j < width; j++) {
                int i = t * DotTiles.WIDTH + j;
                out[i] = Math.min(weight[i], Math.max(0.0, 1.0 - sims[j]));
              }
            }
          });
    }
    run(tasks, executor);
  }

  /** Gives each empty cluster the least similar point of a cluster that can spare one. */
  static void reseedEmpty(int[] assignment, float[] sims, int k) {
    int[] counts = new int[k];
    for (int a : assignment) {
      counts[a]++;
    }
    Integer[] order = null;
    int next = 0;
    for (int c = 0; c < k; c++) {
      if (counts[c] > 0) {
        continue;
      }
      if (order == null) {
        order = new Integer[assignment.length];
        for (int i = 0; i < order.length; i++) {
          order[i] = i;
        }
        // Stable sort: equal similarities stay in index order.
        Arrays.sort(order, (x, y) -> Float.compare(sims[x], sims[y]));
      }
      // k < n, so while a cluster is empty another holds two or more points.
      while (counts[assignment[order[next]]] < 2) {
        next++;
      }
      int p = order[next++];
      counts[assignment[p]]--;
      assignment[p] = c;
      counts[c] = 1;
    }
  }

  /** Normalised means, summed in double in point order; a zero sum keeps the old centroid. */
  private static float[] means(float[][] points, int[] assignment, float[] old, int k, int d) {
    double[] sums = new double[k * d];
    for (int i = 0; i < points.length; i++) {
      float[] p = points[i];
      int off = assignment[i] * d;
      for (int x = 0; x < d; x++) {
        sums[off + x] += p[x];
      }
    }
    float[] next = new float[k * d];
    for (int c = 0; c < k; c++) {
      int off = c * d;
      double sq = 0;
      for (int x = 0; x < d; x++) {
        sq += sums[off + x] * sums[off + x];
      }
      if (sq > 0) {
        double norm = Math.sqrt(sq);
        for (int x = 0; x < d; x++) {
          next[off + x] = (float) (sums[off + x] / norm);
        }
      } else {
        System.arraycopy(old, off, next, off, d);
      }
    }
    return next;
  }

  /**
   * The dot product of {@code a[aOff, aOff + d)} and {@code b[bOff, bOff + d)}: the products added
   * four at a time as {@code (p0 + p1) + (p2 + p3)} to one running sum, the last {@code d % 4} one
   * by one. Every similarity in this package is computed in exactly this order, so it may serve as
   * their brute-force reference.
   */
  public static float dot(float[] a, int aOff, float[] b, int bOff, int d) {
    return DotTiles.dot(a, aOff, b, bOff, d);
  }

  /** The centroids, one unit vector per cluster (a copy). */
  public float[][] centroids() {
    float[][] out = new float[k][];
    for (int c = 0; c < k; c++) {
      out[c] = Arrays.copyOfRange(centroids, c * d, (c + 1) * d);
    }
    return out;
  }

  /** The number of clusters: the {@code k} asked for, or the number of points if fewer. */
  public int k() {
    return k;
  }

  /** The vector width. */
  public int dimension() {
    return d;
  }

  /**
   * Assignment passes run by {@link #fit}, including the last one that changed nothing; 0 for
   * {@code k >= n} and for {@link #of}.
   */
  public int iterations() {
    return iterations;
  }

  /** The centroid of largest dot product with {@code v} (ties to the lowest index). */
  public int nearest(float[] v) {
    checkWidth(v, 0);
    int best = 0;
    float bestSim = Float.NEGATIVE_INFINITY;
    for (int c = 0; c < k; c++) {
      float s = DotTiles.dot(v, 0, centroids, c * d, d);
      if (s > bestSim) {
        best = c;
        bestSim = s;
      }
    }
    return best;
  }

  /** {@link #nearest} of every point, computed tile by tile; the same answers, faster. */
  public int[] assign(float[][] points) {
    return assign(points, new float[points.length], null);
  }

  /**
   * {@link #assign(float[][])} spread over {@code executor} in chunks of 1024 points; identical
   * result. The call blocks until every chunk is done; {@code null} runs on the calling thread.
   */
  public int[] assign(float[][] points, Executor executor) {
    return assign(points, new float[points.length], executor);
  }

  /** Assigns, writing each point's similarity to its centroid into {@code sims}. */
  private int[] assign(float[][] points, float[] sims, Executor executor) {
    for (int i = 0; i < points.length; i++) {
      checkWidth(points[i], i);
    }
    int[] out = new int[points.length];
    List<Runnable> tasks = new ArrayList<>();
    for (int i0 = 0; i0 < points.length; i0 += CHUNK) {
      int from = i0;
      int to = Math.min(points.length, i0 + CHUNK);
      tasks.add(() -> assignRange(points, from, to, out, sims));
    }
    run(tasks, executor);
    return out;
  }

  private void assignRange(float[][] points, int from, int to, int[] out, float[] sims) {
    float[] tileSims = new float[DotTiles.WIDTH];
    for (int i = from; i < to; i++) {
      int best = 0;
      float bestSim = Float.NEGATIVE_INFINITY;
      for (int t = 0; t < tiles.length; t++) {
        float[][] tile = tiles[t];
        int width = tile[0].length;
        DotTiles.dots(points[i], 0, tile, d, tileSims);
        for (int j = 0; j < width; j++) {
          if (tileSims[j] > bestSim) {
            best = t * DotTiles.WIDTH + j;
            bestSim = tileSims[j];
          }
        }
      }
      out[i] = best;
      sims[i] = bestSim;
    }
  }

  private void checkWidth(float[] v, int index) {
    if (v.length != d) {
      throw new IllegalArgumentException(
          "point " + index + " has " + v.length + " values, not " + d);
    }
  }

  /** Runs the tasks here, or on the executor and waits for all of them. */
  private static void run(List<Runnable> tasks, Executor executor) {
    if (executor == null || tasks.size() < 2) {
      tasks.forEach(Runnable::run);
      return;
    }
    CompletableFuture<?>[] futures = new CompletableFuture<?>[tasks.size()];
    for (int i = 0; i < futures.length; i++) {
      futures[i] = CompletableFuture.runAsync(tasks.get(i), executor);
    }
    CompletableFuture.allOf(futures).join();
  }
}
