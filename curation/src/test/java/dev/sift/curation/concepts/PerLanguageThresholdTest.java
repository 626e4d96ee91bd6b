package dev.sift.curation.concepts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** MetaCLIP 2's per-language thresholds, worked out by hand from METACLIP.md §5. */
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
}
