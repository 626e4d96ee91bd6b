package dev.sift.curation.dedup;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The one rule every dedup kind uses to decide which rows go: <b>a row is removed when one of its
 * duplicates ranks above it</b>. Rank is a priority (higher wins: the CLIP score, or for SemDeDup
 * the distance to the cluster centroid, negated or not to keep the "hard" or the "easy" examples),
 * then the id (the smaller, by {@link String#compareTo}, wins). A NaN priority, meaning none (a row
 * with no CLIP score), ranks below every number, infinities included.
 *
 * <p>Each row is judged only against its own duplicates, whether or not they are themselves
 * removed, so no connected components are needed and the decision for a row depends only on the
 * pairs it is in. Duplicate chains therefore remove more than one row per component. With
 * priorities {@code a = 0.9, b = 0.8, c = 0.7} and pairs {@code a~b}, {@code b~c} but not {@code
 * a~c}: {@code b} is removed (kept: {@code a}) and {@code c} is removed (kept: {@code b}) although
 * {@code b} itself goes, so only {@code a} survives. Were {@code b} the highest instead, {@code a}
 * and {@code c} would both go and {@code b} stay. This is SemDeDup's rule (a row goes when its
 * largest similarity to a higher-ranked row reaches the threshold), and it needs only the pairs, in
 * any order.
 *
 * <p>For a removed row the detail names its highest-ranked duplicate, so the report can show which
 * image replaced it. Stateless and thread-safe, except {@link Tally}, which is for one thread.
 */
public final class KeepRule {
  private KeepRule() {}

  /**
   * A row as the rule sees it.
   *
   * @param id the row's stable id, never null
   * @param priority higher wins; NaN for none
   */
  public record Candidate(String id, double priority) {
    public Candidate {
      Objects.requireNonNull(id, "id");
    }
  }

  /**
   * Why a row was removed.
   *
   * @param keptIndex the index of its highest-ranked duplicate
   * @param value the similarity (or distance) of the pair, as the pair carried it
   */
  public record Removal(int keptIndex, float value) {}

  /**
   * Whether row {@code a} ranks above row {@code b}: the higher priority, NaN below every number;
   * then the smaller id. False when both priority (or both NaN) and id are equal.
   */
  public static boolean beats(double pa, String ida, double pb, String idb) {
    boolean aNone = Double.isNaN(pa);
    boolean bNone = Double.isNaN(pb);
    if (aNone != bNone) {
      return bNone;
    }
    if (!aNone) {
      if (pa > pb) {
        return true;
      }
      if (pa < pb) {
        return false;
      }
    }
    return ida.compareTo(idb) < 0;
  }

  /**
   * The rows the rule removes, by index into {@code rows}, in increasing index.
   *
   * @param rows the candidates; pair indices refer to this list
   * @param pairs each duplicate pair once (either order; a pair given twice keeps its first value)
   */
  public static Map<Integer, Removal> removals(
      List<Candidate> rows, Iterable<SimilarPairs.Pair> pairs) {
    Tally tally = new Tally(rows);
    for (SimilarPairs.Pair p : pairs) {
      tally.accept(p.i(), p.j(), p.similarity());
    }
    return tally.removals();
  }

  /**
   * The streaming form of {@link #removals}: pass it straight to {@link SimilarPairs#forEach}, so
   * pairs are judged as they are found and never stored. Memory is one int and one float per row.
   * Two rows with equal priority and equal id (which stable ids rule out) are told apart by index,
   * the lower winning, so the result is still well defined. Not thread-safe: one per group.
   */
  public static final class Tally implements SimilarPairs.PairConsumer {
    private final List<Candidate> rows;
    private final int[] kept;
    private final float[] value;

    /** A tally over {@code rows}; pair indices refer to this list. */
    public Tally(List<Candidate> rows) {
      this.rows = List.copyOf(rows);
      this.kept = new int[rows.size()];
      this.value = new float[rows.size()];
      Arrays.fill(kept, -1);
    }

    @Override
    public void accept(int i, int j, float similarity) {
      Objects.checkIndex(i, kept.length);
      Objects.checkIndex(j, kept.length);
      if (i == j) {
        throw new IllegalArgumentException("row " + i + " paired with itself");
      }
      int winner = ranksAbove(i, j) ? i : j;
      int loser = winner == i ? j : i;
      int current = kept[loser];
      if (current < 0 || (current != winner && ranksAbove(winner, current))) {
        kept[loser] = winner;
        value[loser] = similarity;
      }
    }

    /** The removals judged so far, by row index in increasing order. */
    public Map<Integer, Removal> removals() {
      Map<Integer, Removal> out = new TreeMap<>();
      for (int r = 0; r < kept.length; r++) {
        if (kept[r] >= 0) {
          out.put(r, new Removal(kept[r], value[r]));
        }
      }
      return out;
    }

    private boolean ranksAbove(int a, int b) {
      Candidate ca = rows.get(a);
      Candidate cb = rows.get(b);
      if (beats(ca.priority(), ca.id(), cb.priority(), cb.id())) {
        return true;
      }
      return !beats(cb.priority(), cb.id(), ca.priority(), ca.id()) && a < b;
    }
  }
}
