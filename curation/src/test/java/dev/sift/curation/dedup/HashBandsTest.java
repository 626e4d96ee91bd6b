package dev.sift.curation.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * {@link HashBands} finds exactly the pairs a brute-force all-pairs comparison finds: hashes are
 * seeded random plus planted pairs at every distance from 0 to {@code k + 2} (so there are true
 * pairs at every distance up to {@code k} and near misses just beyond), and small clusters whose
 * members are near each other transitively. The join is the one a Spark job would run: probe keys
 * of every hash against index keys of every hash, then the full distance check, then pairs
 * deduplicated as unordered.
 */
class HashBandsTest {
  private static final int RANDOM_HASHES = 2000;

  /** Seeded random hashes with planted near pairs and clusters for distance {@code k}. */
  private static long[] hashes(int k, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<Long> out = new ArrayList<>();
    for (int i = 0; i < RANDOM_HASHES; i++) {
      out.add(random.nextLong());
    }
    for (int d = 0; d <= k + 2; d++) {
      for (int p = 0; p < 20; p++) {
        long base = random.nextLong();
        out.add(base);
        out.add(flip(base, d, random));
      }
    }
    for (int c = 0; c < 10; c++) {
      long base = random.nextLong();
      out.add(base);
      for (int i = 0; i < 5; i++) {
        out.add(flip(base, random.nextInt(k + 2), random));
      }
    }
    return out.stream().mapToLong(Long::longValue).toArray();
  }

  /** {@code hash} with {@code d} distinct random bits flipped. */
  private static long flip(long hash, int d, SplittableRandom random) {
    long mask = 0;
    while (Long.bitCount(mask) < d) {
      mask |= 1L << random.nextInt(64);
    }
    return hash ^ mask;
  }

  private static Set<Long> bruteForce(long[] h, int k) {
    Set<Long> pairs = new HashSet<>();
    for (int i = 0; i < h.length; i++) {
      for (int j = i + 1; j < h.length; j++) {
        if (Long.bitCount(h[i] ^ h[j]) <= k) {
          pairs.add(pair(i, j, h.length));
        }
      }
    }
    return pairs;
  }

  private static long pair(int i, int j, int n) {
    return (long) Math.min(i, j) * n + Math.max(i, j);
  }

  /** Join statistics: pairs found, join rows (candidates before the distance check). */
  private record Join(Set<Long> pairs, long joinRows, long distinctCandidates) {}

  private static Join join(long[] h, HashBands bands) {
    Map<Long, List<Integer>> index = new HashMap<>();
    for (int i = 0; i < h.length; i++) {
      for (long key : bands.indexKeys(h[i])) {
        index.computeIfAbsent(key, x -> new ArrayList<>()).add(i);
      }
    }
    Set<Long> pairs = new HashSet<>();
    Set<Long> candidates = new HashSet<>();
    long rows = 0;
    for (int j = 0; j < h.length; j++) {
      for (long key : bands.probeKeys(h[j])) {
        List<Integer> hits = index.get(key);
        if (hits == null) {
          continue;
        }
        for (int i : hits) {
          if (i == j) {
            continue;
          }
          rows++;
          candidates.add(pair(i, j, h.length));
          if (bands.within(h[i], h[j])) {
            pairs.add(pair(i, j, h.length));
          }
        }
      }
    }
    return new Join(pairs, rows, candidates.size());
  }

  private static void assertFindsAllPairs(HashBands bands, long seed) {
    int k = bands.distance();
    long[] h = hashes(k, seed);
    Set<Long> expected = bruteForce(h, k);
    // Planted pairs exist at every distance up to k.
    int[] byDistance = new int[65];
    for (long p : expected) {
      byDistance[Long.bitCount(h[(int) (p / h.length)] ^ h[(int) (p % h.length)])]++;
    }
    for (int d = 0; d <= k; d++) {
      assertThat(byDistance[d]).as("true pairs at distance %d for %s", d, bands).isPositive();
    }
    assertThat(join(h, bands).pairs()).as("%s", bands).isEqualTo(expected);
  }

  @Test
  void automaticBandsFindExactlyTheBruteForcePairs() {
    for (int k = 0; k <= 6; k++) {
      assertFindsAllPairs(HashBands.forDistance(k), 100 + k);
    }
  }

  @Test
  void forcedBandsFindExactlyTheBruteForcePairs() {
    for (int k = 0; k <= 6; k++) {
      for (int m = 2; m <= Math.max(2, k + 1); m++) {
        HashBands bands = HashBands.of(k, m);
        assertThat(bands.radius()).isEqualTo(k / m);
        assertFindsAllPairs(bands, 1000 + 10 * k + m);
      }
    }
    // Exact bands (r = 0) and radius >= 1 are both among the cases above.
    assertThat(HashBands.of(4, 5).radius()).isZero();
    assertThat(HashBands.of(6, 2).radius()).isEqualTo(3);
  }

  @Test
  void chosenBandsAreTheDocumentedOnes() {
    int[] expected = {2, 2, 3, 4, 3, 3, 3, 3, 3};
    StringBuilder table = new StringBuilder("HashBands.forDistance:");
    for (int k = 0; k < expected.length; k++) {
      HashBands bands = HashBands.forDistance(k);
      table.append(
          String.format(
              Locale.ROOT,
              " k=%d m=%d r=%d probes=%d;",
              k,
              bands.bands(),
              bands.radius(),
              bands.probeCount()));
      assertThat(bands.bands()).as("m for k=%d", k).isEqualTo(expected[k]);
      assertThat(bands.distance()).isEqualTo(k);
    }
    System.out.println(table);
  }

  @Test
  void reportsJoinCostForDistanceFour() {
    HashBands bands = HashBands.forDistance(4);
    long[] h = hashes(4, 4);
    Join join = join(h, bands);
    System.out.printf(
        Locale.ROOT,
        "HashBands k=4 (%s), %d hashes: %d probes/hash, %d true pairs, %.2f join rows and %.2f"
            + " distinct candidate pairs per true pair%n",
        bands,
        h.length,
        bands.probeCount(),
        join.pairs().size(),
        (double) join.joinRows() / join.pairs().size(),
        (double) join.distinctCandidates() / join.pairs().size());
    assertThat(join.pairs()).isEqualTo(bruteForce(h, 4));
  }

  @Test
  void bandsPartitionTheHashAndKeysEncodeBandAndValue() {
    SplittableRandom random = new SplittableRandom(3);
    for (int m = 2; m <= 64; m++) {
      HashBands bands = HashBands.of(0, m);
      int min = 64;
      int max = 0;
      int total = 0;
      for (int i = 0; i < m; i++) {
        min = Math.min(min, bands.bandBits(i));
        max = Math.max(max, bands.bandBits(i));
        total += bands.bandBits(i);
      }
      assertThat(total).isEqualTo(64);
      assertThat(max - min).isLessThanOrEqualTo(1);
      long h = random.nextLong();
      long rebuilt = 0;
      for (int i = 0; i < m; i++) {
        rebuilt = rebuilt << bands.bandBits(i) | (bands.band(h, i) & 0xffffffffL);
      }
      assertThat(rebuilt).as("bands concatenated, band 0 most significant, m=%d", m).isEqualTo(h);
      long[] index = bands.indexKeys(h);
      for (int i = 0; i < m; i++) {
        assertThat(index[i] >>> 32).isEqualTo(i);
        assertThat((int) index[i]).isEqualTo(bands.band(h, i));
      }
    }
  }

  @Test
  void probeKeysAreTheDistinctValuesWithinTheRadius() {
    HashBands bands = HashBands.of(5, 3); // bands of 22, 21, 21 bits, r = 1
    long h = new SplittableRandom(5).nextLong();
    long[] probes = bands.probeKeys(h);
    assertThat(probes).hasSize(bands.probeCount()).hasSize(23 + 22 + 22);
    assertThat(Arrays.stream(probes).distinct().count()).isEqualTo(probes.length);
    assertThat(probes).contains(bands.indexKeys(h));
    for (long p : probes) {
      int i = (int) (p >>> 32);
      assertThat(Integer.bitCount((int) p ^ bands.band(h, i))).isLessThanOrEqualTo(1);
    }
    assertThat(HashBands.of(6, 2).probeCount()).isEqualTo(2 * (1 + 32 + 496 + 4960));
    assertThat(HashBands.of(0, 2).probeKeys(h)).containsExactly(HashBands.of(0, 2).indexKeys(h));
  }

  @Test
  void serialisesAndRejectsBadArguments() throws Exception {
    HashBands bands = HashBands.forDistance(6);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(bands);
    }
    HashBands copy;
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      copy = (HashBands) in.readObject();
    }
    assertThat(copy).isEqualTo(bands);
    long h = 0x0123456789abcdefL;
    assertThat(copy.probeKeys(h)).containsExactly(bands.probeKeys(h));
    assertThat(copy.within(h, h ^ 0b111111L)).isTrue();
    assertThat(copy.within(h, h ^ 0b1111111L)).isFalse();

    assertThatThrownBy(() -> HashBands.forDistance(-1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HashBands.of(3, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HashBands.of(3, 65)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> HashBands.of(20, 2))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("probe keys");
    assertThatThrownBy(() -> bands.band(h, bands.bands()))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }
}
