package dev.sift.curation.concepts;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * MetaCLIP 2's per-language balancing thresholds: English (language {@value #ENGLISH}) uses {@code
 * t}; every other language gets the threshold that gives it English's tail share of matches ({@link
 * Balancing#tailShare}, {@link Balancing#thresholdForShare}), and the head entries of each language
 * get their entry probability under their language's threshold.
 *
 * <p>Degenerate cases: without English matches every language uses {@code t}; a language with no
 * match keeps {@code t}; a threshold of 0 is raised to 1 (0 would drop every row of the language).
 * The result says which of these happened, so the caller can log them.
 *
 * <p>Stateless and thread-safe; the inputs are not modified.
 */
public final class PerLanguageThresholds {
  /** The anchor language: MetaCLIP 2 carries English's tail share over to the others. */
  public static final String ENGLISH = "en";

  /** Separates language and entry in {@link Result#entryProbabilities()} keys. */
  public static final String KEY_SEPARATOR = "\t";

  private PerLanguageThresholds() {}

  /**
   * @param englishTailShare English's tail share under {@code t}; null when no English row matched
   *     (then every language uses {@code t})
   * @param thresholds the threshold of each counted language, by language
   * @param entryProbabilities the probability of each head entry (counted more than its language's
   *     threshold), keyed by {@link #key}; tail entries are absent (their probability is 1)
   * @param raisedToOne languages whose threshold came out 0 and was raised to 1
   */
  public record Result(
      Double englishTailShare,
      SortedMap<String, Long> thresholds,
      Map<String, Double> entryProbabilities,
      SortedSet<String> raisedToOne) {

    /** Whether English matches anchored the thresholds. */
    public boolean anchored() {
      return englishTailShare != null;
    }
  }

  /** The key of an entry of a language in {@link Result#entryProbabilities()}. */
  public static String key(String language, String entry) {
    return language + KEY_SEPARATOR + entry;
  }

  /**
   * Thresholds and head-entry probabilities from match counts.
   *
   * @param counts matches per entry, per language (only entries that matched need be present)
   * @param listSizes the number of entries in each language's list, where known: entries that
   *     nothing matched count as zeros, which moves a language's tail share
   * @param t the threshold of English (and of every language without an English anchor)
   */
  public static Result compute(
      Map<String, Map<String, Long>> counts, Map<String, Integer> listSizes, long t) {
    Map<String, long[]> vectors = new TreeMap<>();
    for (Map.Entry<String, Map<String, Long>> e : counts.entrySet()) {
      int listSize = listSizes.getOrDefault(e.getKey(), e.getValue().size());
      long[] v = new long[Math.max(listSize, e.getValue().size())];
      int i = 0;
      for (long c : e.getValue().values()) {
        v[i++] = c;
      }
      vectors.put(e.getKey(), v);
    }
    long[] english = vectors.get(ENGLISH);
    double share = english == null ? 0 : Balancing.tailShare(english, t);
    boolean anchored = english != null && Arrays.stream(english).sum() > 0;
    SortedMap<String, Long> thresholds = new TreeMap<>();
    SortedSet<String> raised = new TreeSet<>();
    Map<String, Double> entryP = new HashMap<>();
    for (Map.Entry<String, Map<String, Long>> e : new TreeMap<>(counts).entrySet()) {
      String lang = e.getKey();
      long tl = t;
      if (anchored && !lang.equals(ENGLISH)) {
        tl = Balancing.thresholdForShare(vectors.get(lang), share);
        if (tl < 0) {
          tl = t;
        } else if (tl == 0) {
          raised.add(lang);
          tl = 1;
        }
      }
      thresholds.put(lang, tl);
      for (Map.Entry<String, Long> c : e.getValue().entrySet()) {
        if (c.getValue() > tl) {
          entryP.put(key(lang, c.getKey()), Balancing.entryProbability(c.getValue(), tl));
        }
      }
    }
    return new Result(
        anchored ? share : null,
        Collections.unmodifiableSortedMap(thresholds),
        Collections.unmodifiableMap(entryP),
        Collections.unmodifiableSortedSet(raised));
  }
}
