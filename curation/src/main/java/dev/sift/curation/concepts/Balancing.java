package dev.sift.curation.concepts;

import dev.sift.curation.Hashing;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * MetaCLIP's balancing arithmetic, with a deterministic draw where MetaCLIP's is unseeded.
 *
 * <ul>
 *   <li>entry probability {@code p_e = t / max(count_e, t)};
 *   <li>a row's keep probability {@code P = 1 − Π_{e ∈ M} (1 − p_e)} over its matched entries;
 *   <li>keep iff {@code u(id, seed) ≤ P}, with {@code u} from SHA-256 of seed and id in [0, 1), so
 *       the kept set depends on nothing but the rows, {@code t} and the seed.
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class Balancing {
  private Balancing() {}

  /** {@code p_e = t / max(count, t)}: 1 for tail entries, {@code t / count} for head entries. */
  public static double entryProbability(long count, long t) {
    return count <= t ? 1.0 : (double) t / (double) count;
  }

  /** {@code P = 1 − Π (1 − p_e)}; 0 for a row with no matched entry. */
  public static double keepProbability(double[] entryProbabilities) {
    double miss = 1.0;
    for (double p : entryProbabilities) {
      miss *= 1.0 - p;
    }
    return 1.0 - miss;
  }

  /**
   * MetaCLIP 2's {@code t_to_p}: the share of all matches that falls on tail entries, those counted
   * fewer than {@code t} times (strictly). 0 when there are no matches.
   *
   * @param counts per entry, zeros included
   */
  public static double tailShare(long[] counts, long t) {
    double total = 0;
    double tail = 0;
    for (long c : counts) {
      total += c;
      if (c < t) {
        tail += c;
      }
    }
    return total == 0 ? 0.0 : tail / total;
  }

  /**
   * MetaCLIP 2's {@code p_to_t}: the threshold that gives a language the tail share {@code p}.
   * Counts are sorted ascending (zeros included); the result is the count at the first index whose
   * cumulative share of all matches is closest to {@code p}. Returns -1 when the counts hold no
   * match (the caller decides what an empty language gets).
   */
  public static long thresholdForShare(long[] counts, double p) {
    long[] sorted = counts.clone();
    java.util.Arrays.sort(sorted);
    double total = 0;
    for (long c : sorted) {
      total += c;
    }
    if (total == 0) {
      return -1;
    }
    double cumulative = 0;
    int best = 0;
    double bestDistance = Double.POSITIVE_INFINITY;
    for (int i = 0; i < sorted.length; i++) {
      cumulative += sorted[i];
      double distance = Math.abs(cumulative / total - p);
      if (distance < bestDistance) {
        bestDistance = distance;
        best = i;
      }
    }
    return sorted[best];
  }

  /** A uniform draw in [0, 1) determined by the row id and the seed alone. */
  public static double uniform(String id, long seed) {
    MessageDigest sha = Hashing.sha256();
    sha.update(ByteBuffer.allocate(Long.BYTES).putLong(seed).array());
    sha.update(id.getBytes(StandardCharsets.UTF_8));
    long bits = ByteBuffer.wrap(sha.digest()).getLong();
    return (bits >>> 11) * 0x1.0p-53;
  }

  /** Whether a row with keep probability {@code p} is kept: {@code u(id, seed) ≤ p}. */
  public static boolean keep(String id, long seed, double p) {
    return p >= 1.0 || (p > 0.0 && uniform(id, seed) <= p);
  }
}
