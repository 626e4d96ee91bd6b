package dev.sift.curation.dedup;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Finds every pair of L2-normalised vectors whose cosine similarity (their dot product) is at least
 * a threshold: within one group ({@link #forEach}, SemDeDup's pairs inside a sub-cluster) or
 * between queries and a reference set ({@link #across}, rows close to images that must be left
 * out).
 *
 * <p>The work is a blocked matrix product, not a loop over pairs: the vectors are transposed into
 * tiles of 128 rows, and each row is multiplied against a whole tile at once, so a tile stays in
 * cache while the rows of its neighbouring tile pass over it; within a group only tiles on or above
 * the diagonal are computed. Every similarity reported equals {@link SphericalKMeans#dot} of the
 * two vectors bit for bit, and the threshold test is {@code similarity >= minSimilarity} on that
 * float, so a brute-force loop over {@code dot} finds exactly the same pairs.
 *
 * <p>Pairs are emitted ordered by the first index, then the second; the order and the values depend
 * only on the input arrays, never on timing. Cost is {@code n^2 d} multiply-adds for a group of
 * {@code n}, so callers keep groups small (sub-clusters of about a thousand rows). Memory: one
 * transposed copy of the vectors plus the pairs found for 128 rows at a time. Stateless and
 * thread-safe; the input arrays are only read.
 */
public final class SimilarPairs {
  private SimilarPairs() {}

  /** Receives pairs as they are found; need not be thread-safe (calls come from one thread). */
  @FunctionalInterface
  public interface PairConsumer {
    /**
     * @param i index of the first vector (the query, for {@link #across})
     * @param j index of the second vector (the reference, for {@link #across}); {@code i < j}
     *     within a group
     * @param similarity their dot product, at least the threshold
     */
    void accept(int i, int j, float similarity);
  }

  /** One similar pair; see {@link PairConsumer#accept} for the fields. */
  public record Pair(int i, int j, float similarity) {}

  /**
   * Calls {@code out} for every pair {@code i < j} with {@code dot(vectors[i], vectors[j]) >=
   * minSimilarity}, ordered by {@code i} then {@code j}.
   *
   * @param vectors L2-normalised vectors of one width (not re-checked for norm)
   * @param minSimilarity the threshold, e.g. {@code 1 - eps}
   */
  public static void forEach(float[][] vectors, double minSimilarity, PairConsumer out) {
    checkThreshold(minSimilarity);
    int n = vectors.length;
    if (n < 2) {
      return;
    }
    int d = DotTiles.width(vectors, "vector");
    float[][][] tiles = DotTiles.tiles(vectors, d);
    scan(vectors, tiles, d, minSimilarity, true, out);
  }

  /** {@link #forEach} collected into a list. */
  public static List<Pair> list(float[][] vectors, double minSimilarity) {
    List<Pair> pairs = new ArrayList<>();
    forEach(vectors, minSimilarity, (i, j, s) -> pairs.add(new Pair(i, j, s)));
    return pairs;
  }

  /**
   * Calls {@code out} for every query {@code i} and reference {@code j} with {@code dot(queries[i],
   * references[j]) >= minSimilarity}, ordered by {@code i} then {@code j}.
   *
   * @param queries L2-normalised vectors
   * @param references L2-normalised vectors of the same width as the queries
   */
  public static void across(
      float[][] queries, float[][] references, double minSimilarity, PairConsumer out) {
    checkThreshold(minSimilarity);
    if (queries.length == 0 || references.length == 0) {
      return;
    }
    int d = DotTiles.width(queries, "query");
    int dr = DotTiles.width(references, "reference");
    if (dr != d) {
      throw new IllegalArgumentException(
          "queries have " + d + " values each but references have " + dr);
    }
    float[][][] tiles = DotTiles.tiles(references, d);
    scan(queries, tiles, d, minSimilarity, false, out);
  }

  /** {@link #across} collected into a list. */
  public static List<Pair> listAcross(
      float[][] queries, float[][] references, double minSimilarity) {
    List<Pair> pairs = new ArrayList<>();
    across(queries, references, minSimilarity, (i, j, s) -> pairs.add(new Pair(i, j, s)));
    return pairs;
  }

  /**
   * Rows in blocks of {@link DotTiles#WIDTH}; each block meets every tile (from its own, when
   * {@code upper}) before its hits are emitted, so the tile under multiplication stays in cache and
   * the output is still ordered by row.
   */
  private static void scan(
      float[][] rows,
      float[][][] tiles,
      int d,
      double minSimilarity,
      boolean upper,
      PairConsumer out) {
    int w = DotTiles.WIDTH;
    float[] sims = new float[w];
    Hits[] hits = new Hits[w];
    for (int r = 0; r < w; r++) {
      hits[r] = new Hits();
    }
    for (int block = 0; block * w < rows.length; block++) {
      int i0 = block * w;
      int iEnd = Math.min(rows.length, i0 + w);
      for (int r = 0; r < iEnd - i0; r++) {
        hits[r].size = 0;
      }
      for (int t = upper ? block : 0; t < tiles.length; t++) {
        float[][] tile = tiles[t];
        int width = tile[0].length;
        int j0 = t * w;
        for (int i = i0; i < iEnd; i++) {
          DotTiles.dots(rows[i], 0, tile, d, sims);
          Hits h = hits[i - i0];
          for (int jj = upper && t == block ? i - j0 + 1 : 0; jj < width; jj++) {
            if (sims[jj] >= minSimilarity) {
              h.add(j0 + jj, sims[jj]);
            }
          }
        }
      }
      for (int i = i0; i < iEnd; i++) {
        Hits h = hits[i - i0];
        for (int m = 0; m < h.size; m++) {
          out.accept(i, h.index[m], h.sim[m]);
        }
      }
    }
  }

  /** The similar partners of one row, in increasing index. */
  private static final class Hits {
    int[] index = new int[8];
    float[] sim = new float[8];
    int size;

    void add(int j, float s) {
      if (size == index.length) {
        index = Arrays.copyOf(index, size * 2);
        sim = Arrays.copyOf(sim, size * 2);
      }
      index[size] = j;
      sim[size] = s;
      size++;
    }
  }

  private static void checkThreshold(double minSimilarity) {
    if (Double.isNaN(minSimilarity)) {
      throw new IllegalArgumentException("minSimilarity is NaN");
    }
  }
}
