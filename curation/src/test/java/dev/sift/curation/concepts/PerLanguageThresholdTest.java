package dev.sift.curation.concepts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * MetaCLIP 2's per-language thresholds ({@link Balancing}'s arithmetic, {@link
 * PerLanguageThresholds}), worked out by hand from METACLIP.md §5.
 */
class PerLanguageThresholdTest {
  @Test
  void tailShareCountsMatchesOfEntriesBelowTStrictly() {
    long[] en = {0, 1, 5, 10, 84};
    // total 100; entries counted < 10: 0 + 1 + 5 = 6.
    assertThat(Balancing.tailShare(en, 10)).isCloseTo(0.06, within(1e-12));
    // < 11 takes the 10 too.
    assertThat(Balancing.tailShare(en, 11)).isCloseTo(0.16, within(1e-12));
    assertThat(Balancing.tailShare(new long[] {0, 0}, 5)).isZero();
  }

  @Test
  void thresholdForShareTakesTheCountWhoseCumulativeShareIsClosest() {
    // sorted 0, 2, 3, 5, 10, 30 (total 50); cumulative shares 0, .04, .10, .20, .40, 1.0
    long[] de = {30, 0, 5, 2, 10, 3};
    assertThat(Balancing.thresholdForShare(de, 0.21)).isEqualTo(5);
    assertThat(Balancing.thresholdForShare(de, 0.35)).isEqualTo(10);
    assertThat(Balancing.thresholdForShare(de, 0.0)).isEqualTo(0);
    // A tie goes to the first index: shares .25, .5, 1.0, and 0.75 is .25 from .5 and from 1.0.
    assertThat(Balancing.thresholdForShare(new long[] {32, 16, 16, 0}, 0.75)).isEqualTo(16);
    assertThat(Balancing.thresholdForShare(new long[] {0, 0, 0}, 0.5)).isEqualTo(-1);
    assertThat(de).containsExactly(30, 0, 5, 2, 10, 3);
  }

  @Test
  void otherLanguagesGetTheThresholdThatGivesThemEnglishsTailShare() {
    // en: total 100, tail (< 10) 0 + 1 + 5 = 6, share 0.06; the list has two unmatched entries.
    // de: sorted 2, 3, 5, 10, 30 (total 50); cumulative .04, .10, .20, .40, 1.0: 2 is closest.
    Map<String, Map<String, Long>> counts =
        Map.of(
            "en", Map.of("a", 1L, "b", 5L, "c", 10L, "d", 84L),
            "de", Map.of("p", 30L, "q", 2L, "r", 5L, "s", 10L, "u", 3L));
    PerLanguageThresholds.Result r =
        PerLanguageThresholds.compute(counts, Map.of("en", 6, "de", 5), 10);
    assertThat(r.anchored()).isTrue();
    assertThat(r.englishTailShare()).isCloseTo(0.06, within(1e-12));
    assertThat(r.thresholds()).containsExactly(entry("de", 2L), entry("en", 10L));
    assertThat(r.raisedToOne()).isEmpty();
    // Head entries only: counted more than their language's threshold.
    assertThat(r.entryProbabilities())
        .containsOnlyKeys("en\td", "de\tp", "de\tr", "de\ts", "de\tu")
        .containsEntry("en\td", 10.0 / 84)
        .containsEntry("de\tp", 2.0 / 30)
        .containsEntry("de\tu", 2.0 / 3);
    assertThat(PerLanguageThresholds.key("de", "p")).isEqualTo("de\tp");
  }

  @Test
  void withoutEnglishMatchesEveryLanguageUsesT() {
    PerLanguageThresholds.Result r =
        PerLanguageThresholds.compute(
            Map.of("de", Map.of("p", 30L, "q", 2L), "fr", Map.of("x", 4L)), Map.of(), 3);
    assertThat(r.anchored()).isFalse();
    assertThat(r.englishTailShare()).isNull();
    assertThat(r.thresholds()).containsExactly(entry("de", 3L), entry("fr", 3L));
    assertThat(r.entryProbabilities())
        .containsOnly(entry("de\tp", 3.0 / 30), entry("fr\tx", 3.0 / 4));
  }

  @Test
  void aZeroThresholdIsRaisedToOne() {
    // en's share under t = 2 is 0 (no entry below 2): de's closest cumulative share is its zeros'.
    PerLanguageThresholds.Result r =
        PerLanguageThresholds.compute(
            Map.of("en", Map.of("a", 5L), "de", Map.of("p", 4L)), Map.of("de", 3), 2);
    assertThat(r.englishTailShare()).isZero();
    assertThat(r.thresholds()).containsEntry("de", 1L).containsEntry("en", 2L);
    assertThat(r.raisedToOne()).containsExactly("de");
    assertThat(r.entryProbabilities()).containsEntry("de\tp", 0.25);
  }

  @Test
  void languageCodesFindTheirList() {
    Set<String> known = Set.of("en", "zh", "no");
    assertThat(LanguageLists.listFor(" EN ", known)).isEqualTo("en");
    assertThat(LanguageLists.listFor("zh-yue", known)).isEqualTo("zh");
    assertThat(LanguageLists.listFor("nb", known)).isEqualTo("no");
    assertThat(LanguageLists.listFor("fr", known)).isEqualTo(LanguageLists.OTHER);
    assertThat(LanguageLists.listFor(null, known)).isEqualTo(LanguageLists.OTHER);
    assertThat(LanguageLists.listFor("", known)).isEqualTo(LanguageLists.OTHER);
  }
}
