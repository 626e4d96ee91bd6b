package dev.sift.curation.dedup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sift.curation.dedup.KeepRule.Candidate;
import dev.sift.curation.dedup.KeepRule.Removal;
import dev.sift.curation.dedup.SimilarPairs.Pair;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class KeepRuleTest {
  @Test
  void higherPriorityWinsThenSmallerIdAndNaNRanksLast() {
    assertThat(KeepRule.beats(0.9, "z", 0.8, "a")).isTrue();
    assertThat(KeepRule.beats(0.8, "a", 0.9, "z")).isFalse();
    assertThat(KeepRule.beats(0.5, "a", 0.5, "b")).isTrue();
    assertThat(KeepRule.beats(0.5, "b", 0.5, "a")).isFalse();
    assertThat(KeepRule.beats(0.0, "b", -0.0, "a")).isFalse();
    assertThat(KeepRule.beats(Double.NEGATIVE_INFINITY, "z", Double.NaN, "a")).isTrue();
    assertThat(KeepRule.beats(Double.NaN, "a", Double.NEGATIVE_INFINITY, "z")).isFalse();
    assertThat(KeepRule.beats(Double.NaN, "a", Double.NaN, "b")).isTrue();
    assertThat(KeepRule.beats(0.5, "a", 0.5, "a")).isFalse();
  }

  @Test
  void aChainRemovesEveryRowThatHasAHigherRankedDuplicate() {
    List<Candidate> rows =
        List.of(new Candidate("a", 0.9), new Candidate("b", 0.8), new Candidate("c", 0.7));
    List<Pair> pairs = List.of(new Pair(0, 1, 0.97f), new Pair(1, 2, 0.96f));
    assertThat(KeepRule.removals(rows, pairs))
        .containsExactly(Map.entry(1, new Removal(0, 0.97f)), Map.entry(2, new Removal(1, 0.96f)));
    // With b on top, both ends go to b.
    List<Candidate> bTop =
        List.of(new Candidate("a", 0.1), new Candidate("b", 0.8), new Candidate("c", 0.7));
    assertThat(KeepRule.removals(bTop, pairs))
        .containsExactly(Map.entry(0, new Removal(1, 0.97f)), Map.entry(2, new Removal(1, 0.96f)));
  }

  @Test
  void theKeptRowNamedIsTheHighestRankedDuplicateWhateverThePairOrder() {
    List<Candidate> rows =
        List.of(
            new Candidate("x", 0.2),
            new Candidate("m", 0.5),
            new Candidate("k", 0.5),
            new Candidate("n", Double.NaN));
    List<Pair> pairs = List.of(new Pair(0, 1, 0.91f), new Pair(0, 3, 0.99f), new Pair(2, 0, 0.93f));
    // m and k tie on priority: k has the smaller id. n has no priority and ranks below x.
    assertThat(KeepRule.removals(rows, pairs))
        .containsExactly(Map.entry(0, new Removal(2, 0.93f)), Map.entry(3, new Removal(0, 0.99f)));
    assertThat(KeepRule.removals(rows, List.of(pairs.get(2), pairs.get(1), pairs.get(0))))
        .isEqualTo(KeepRule.removals(rows, pairs));
  }

  @Test
  void identicalIdAndPriorityFallBackToTheLowerIndex() {
    List<Candidate> rows = List.of(new Candidate("s", 1), new Candidate("s", 1));
    assertThat(KeepRule.removals(rows, List.of(new Pair(1, 0, 1f))))
        .containsExactly(Map.entry(1, new Removal(0, 1f)));
  }

  @Test
  void badPairsAreRefused() {
    List<Candidate> rows = List.of(new Candidate("a", 1), new Candidate("b", 1));
    assertThatThrownBy(() -> KeepRule.removals(rows, List.of(new Pair(0, 0, 1f))))
        .hasMessageContaining("itself");
    assertThatThrownBy(() -> KeepRule.removals(rows, List.of(new Pair(0, 2, 1f))))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void matchesABruteForceOnRandomGraphs() {
    SplittableRandom r = new SplittableRandom(17);
    for (int graph = 0; graph < 200; graph++) {
      int n = 2 + r.nextInt(30);
      List<Candidate> rows = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        // Few distinct priorities and some NaN, so ties by id matter.
        double p = r.nextInt(5) == 0 ? Double.NaN : r.nextInt(4) / 4.0;
        rows.add(new Candidate("id-" + r.nextInt(1000) + "-" + i, p));
      }
      List<Pair> pairs = new ArrayList<>();
      Map<Long, Float> sim = new HashMap<>();
      for (int i = 0; i < n; i++) {
        for (int j = i + 1; j < n; j++) {
          if (r.nextInt(4) == 0) {
            float s = 0.9f + r.nextInt(100) / 1000f;
            pairs.add(r.nextBoolean() ? new Pair(i, j, s) : new Pair(j, i, s));
            sim.put((long) i * n + j, s);
          }
        }
      }
      Map<Integer, Removal> expected = new TreeMap<>();
      for (int row = 0; row < n; row++) {
        int best = -1;
        for (int other = 0; other < n; other++) {
          Float s = sim.get((long) Math.min(row, other) * n + Math.max(row, other));
          if (s == null || !beats(rows, other, row)) {
            continue;
          }
          if (best < 0 || beats(rows, other, best)) {
            best = other;
          }
        }
        if (best >= 0) {
          expected.put(
              row,
              new Removal(best, sim.get((long) Math.min(row, best) * n + Math.max(row, best))));
        }
      }
      assertThat(KeepRule.removals(rows, pairs)).as("graph %d", graph).isEqualTo(expected);
      KeepRule.Tally tally = new KeepRule.Tally(rows);
      pairs.forEach(p -> tally.accept(p.i(), p.j(), p.similarity()));
      assertThat(tally.removals()).isEqualTo(expected);
    }
  }

  private static boolean beats(List<Candidate> rows, int a, int b) {
    Candidate x = rows.get(a);
    Candidate y = rows.get(b);
    return KeepRule.beats(x.priority(), x.id(), y.priority(), y.id());
  }
}
