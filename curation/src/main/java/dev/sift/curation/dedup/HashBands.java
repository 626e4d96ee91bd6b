package dev.sift.curation.dedup;

import java.io.Serializable;

/**
 * Multi-index hashing: finds every pair of 64-bit hashes within Hamming distance {@code k} without
 * comparing all pairs. The 64 bits are split into {@code m} contiguous bands (band 0 holds the most
 * significant bits; sizes differ by at most one, the larger ones first). By the pigeonhole
 * principle, if {@code distance(a, b) <= k} then some band of {@code a} and {@code b} differs in at
 * most {@code r = floor(k / m)} bits. So a hash has one <em>index key</em> per band, {@code (i,
 * band value)}, and <em>probe keys</em> {@code (i, v)} for every {@code v} within {@code r} bits of
 * its band value: every pair within {@code k} shares a probe key of one with an index key of the
 * other, and the candidates such a join yields are then checked with {@link #within}.
 *
 * <p>Keys are longs, {@code (long) i << 32 | (value & 0xffffffffL)}, so a Spark job can explode
 * probe keys on one side and index keys on the other and equi-join them. A pair may meet on several
 * bands; deduplicate after the distance check.
 *
 * <p>{@link #forDistance(int)} picks {@code m} by an estimate of the work for 1,000,000 uniformly
 * random hashes: probe keys per hash plus expected chance candidates per hash ({@code N * sum_i
 * probes_i / 2^b_i}), over {@code m = 2 .. max(2, k + 1)} (a band must fit 32 bits, so {@code m >=
 * 2}; more than {@code k + 1} bands never helps). The choices:
 *
 * <table>
 *   <caption>bands chosen for N = 1,000,000</caption>
 *   <tr><th>k</th><td>0</td><td>1</td><td>2</td><td>3</td><td>4</td><td>5</td><td>6</td><td>7</td><td>8</td></tr>
 *   <tr><th>m</th><td>2</td><td>2</td><td>3</td><td>4</td><td>3</td><td>3</td><td>3</td><td>3</td><td>3</td></tr>
 *   <tr><th>r</th><td>0</td><td>0</td><td>0</td><td>0</td><td>1</td><td>1</td><td>2</td><td>2</td><td>2</td></tr>
 *   <tr><th>probes</th><td>2</td><td>2</td><td>3</td><td>4</td><td>67</td><td>67</td><td>718</td><td>718</td><td>718</td></tr>
 * </table>
 *
 * <p>Real pHashes are not uniform (near-duplicates cluster), so chance candidates are a lower
 * bound; {@link #of(int, int)} forces {@code m}.
 *
 * <p>Immutable and thread-safe; serialisable to executors (only {@code k} and {@code m} are
 * written; the layout is rebuilt and checked on reading).
 */
public final class HashBands implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The {@code N} of {@link #forDistance(int)}'s cost estimate. */
  public static final long DEFAULT_EXPECTED_HASHES = 1_000_000L;

  /** Largest number of probe keys per hash accepted, so a bad choice fails early, not in a job. */
  public static final int MAX_PROBES = 1 << 20;

  private final int distance;
  private final int bands;
  private final transient int radius;
  private final transient int[] shift;
  private final transient int[] width;
  private final transient int probes;

  private HashBands(int distance, int bands) {
    if (distance < 0 || distance > 63) {
      throw new IllegalArgumentException("distance k must be in 0..63, got " + distance);
    }
    if (bands < 2 || bands > 64) {
      throw new IllegalArgumentException(
          "bands m must be in 2..64 (a band holds at most 32 bits), got " + bands);
    }
    this.distance = distance;
    this.bands = bands;
    this.radius = distance / bands;
    this.shift = new int[bands];
    this.width = new int[bands];
    int top = 64;
    long total = 0;
    for (int i = 0; i < bands; i++) {
      width[i] = 64 / bands + (i < 64 % bands ? 1 : 0);
      top -= width[i];
      shift[i] = top;
      total += ballSize(width[i], radius);
    }
    if (total > MAX_PROBES) {
      throw new IllegalArgumentException(
          "k="
              + distance
              + " with m="
              + bands
              + " bands needs "
              + total
              + " probe keys per hash, over the limit of "
              + MAX_PROBES
              + "; use more bands");
    }
    this.probes = (int) total;
  }

  /**
   * Bands for distance {@code k}, with {@code m} chosen for {@value #DEFAULT_EXPECTED_HASHES}
   * hashes.
   */
  public static HashBands forDistance(int k) {
    return forDistance(k, DEFAULT_EXPECTED_HASHES);
  }

  /** Bands for distance {@code k}, with {@code m} chosen for {@code expectedHashes} hashes. */
  public static HashBands forDistance(int k, long expectedHashes) {
    if (k < 0 || k > 63) {
      throw new IllegalArgumentException("distance k must be in 0..63, got " + k);
    }
    if (expectedHashes < 1) {
      throw new IllegalArgumentException("expectedHashes must be positive, got " + expectedHashes);
    }
    int best = -1;
    double bestCost = Double.POSITIVE_INFINITY;
    for (int m = 2; m <= Math.min(64, Math.max(2, k + 1)); m++) {
      double cost = estimatedCost(k, m, expectedHashes);
      if (cost < bestCost) {
        best = m;
        bestCost = cost;
      }
    }
    return new HashBands(k, best);
  }

  /** Bands for distance {@code k} split into exactly {@code bands} bands (2..64). */
  public static HashBands of(int k, int bands) {
    return new HashBands(k, bands);
  }

  /**
   * Estimated work per hash among {@code n} uniformly random hashes: probe keys plus expected
   * chance candidates.
   */
  static double estimatedCost(int k, int m, long n) {
    int r = k / m;
    double probes = 0;
    double chance = 0;
    for (int i = 0; i < m; i++) {
      int b = 64 / m + (i < 64 % m ? 1 : 0);
      double p = ballSize(b, r);
      probes += p;
      chance += p / Math.pow(2, b);
    }
    return probes + n * chance;
  }

  /** Number of values within Hamming distance {@code r} of a {@code bits}-bit value. */
  private static long ballSize(int bits, int r) {
    long total = 0;
    long c = 1; // C(bits, j)
    for (int j = 0; j <= Math.min(r, bits); j++) {
      total += c;
      if (total > Integer.MAX_VALUE) {
        return total;
      }
      c = c * (bits - j) / (j + 1);
    }
    return total;
  }

  /** Number of bands {@code m}. */
  public int bands() {
    return bands;
  }

  /** The Hamming distance {@code k} pairs are found within. */
  public int distance() {
    return distance;
  }

  /** Bits a band value may differ by in a probe, {@code floor(k / m)}. */
  public int radius() {
    return radius;
  }

  /** Width in bits of band {@code i}. */
  public int bandBits(int i) {
    return width[check(i)];
  }

  /** Probe keys per hash (the length of {@link #probeKeys}). */
  public int probeCount() {
    return probes;
  }

  /** Band {@code i}'s value in {@code hash}, the band's bits as the low bits of an int. */
  public int band(long hash, int i) {
    check(i);
    return (int) ((hash >>> shift[i]) & mask(width[i]));
  }

  /** The {@link #bands()} index keys of {@code hash}, one per band, in band order. */
  public long[] indexKeys(long hash) {
    long[] keys = new long[bands];
    for (int i = 0; i < bands; i++) {
      keys[i] = key(i, band(hash, i));
    }
    return keys;
  }

  /**
   * The {@link #probeCount()} probe keys of {@code hash}: per band in band order, its value with
   * every set of at most {@link #radius()} bits flipped (no duplicates; the index key first).
   */
  public long[] probeKeys(long hash) {
    long[] keys = new long[probes];
    int n = 0;
    for (int i = 0; i < bands; i++) {
      int value = band(hash, i);
      int bits = width[i];
      keys[n++] = key(i, value);
      for (int j = 1; j <= Math.min(radius, bits); j++) {
        // Gosper's hack: every bits-bit mask with exactly j bits set, in increasing order.
        long flips = (1L << j) - 1;
        while (flips < 1L << bits) {
          keys[n++] = key(i, value ^ (int) flips);
          long low = flips & -flips;
          long ripple = flips + low;
          flips = (((ripple ^ flips) >>> 2) / low) | ripple;
        }
      }
    }
    return keys;
  }

  /** Whether {@code a} and {@code b} are within Hamming distance {@link #distance()}. */
  public boolean within(long a, long b) {
    return Long.bitCount(a ^ b) <= distance;
  }

  private static long key(int band, int value) {
    return (long) band << 32 | (value & 0xffffffffL);
  }

  private static long mask(int bits) {
    return bits == 64 ? -1L : (1L << bits) - 1;
  }

  private int check(int i) {
    if (i < 0 || i >= bands) {
      throw new IndexOutOfBoundsException("band " + i + " of " + bands);
    }
    return i;
  }

  private Object readResolve() {
    return new HashBands(distance, bands);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HashBands h && h.distance == distance && h.bands == bands;
  }

  @Override
  public int hashCode() {
    return 31 * distance + bands;
  }

  @Override
  public String toString() {
    return "HashBands[k="
        + distance
        + ", m="
        + bands
        + ", r="
        + radius
        + ", probes="
        + probes
        + "]";
  }
}
