package dev.sift.curation.concepts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class BalancingTest {
  @Test
  void entryProbabilityIsOneInTheTailAndTOverCountInTheHead() {
    assertThat(Balancing.entryProbability(0, 20_000)).isEqualTo(1.0);
    assertThat(Balancing.entryProbability(20_000, 20_000)).isEqualTo(1.0);
    assertThat(Balancing.entryProbability(80_000, 20_000)).isEqualTo(0.25);
    assertThat(Balancing.entryProbability(3, 2)).isCloseTo(2.0 / 3.0, within(1e-15));
  }

  @Test
  void keepProbabilityIsOneMinusTheProductOfMisses() {
    // Worked by hand: 1 - (1 - 0.25)(1 - 0.5) = 0.625; with a tail entry it is certain.
    assertThat(Balancing.keepProbability(new double[] {0.25, 0.5})).isEqualTo(0.625);
    assertThat(Balancing.keepProbability(new double[] {0.1, 1.0})).isEqualTo(1.0);
    assertThat(Balancing.keepProbability(new double[] {0.1, 0.1, 0.1}))
        .isCloseTo(0.271, within(1e-12));
    assertThat(Balancing.keepProbability(new double[0])).isZero();
  }

  @Test
  void drawsAreDeterministicAndUniform() {
    assertThat(Balancing.uniform("row-1", 7)).isEqualTo(Balancing.uniform("row-1", 7));
    assertThat(Balancing.uniform("row-1", 7)).isNotEqualTo(Balancing.uniform("row-1", 8));
    int n = 100_000;
    int[] buckets = new int[10];
    int kept = 0;
    for (int i = 0; i < n; i++) {
      double u = Balancing.uniform("id-" + i, 42);
      assertThat(u).isGreaterThanOrEqualTo(0.0).isLessThan(1.0);
      buckets[(int) (u * 10)]++;
      if (Balancing.keep("id-" + i, 42, 0.3)) {
        kept++;
      }
    }
    // Binomial(100000, 0.3): sd = 145; allow 5 sd. Each decile: sd = 95; allow 5 sd.
    assertThat(kept).isBetween(30_000 - 725, 30_000 + 725);
    for (int b : buckets) {
      assertThat(b).isBetween(10_000 - 475, 10_000 + 475);
    }
    assertThat(Balancing.keep("any", 1, 1.0)).isTrue();
    assertThat(Balancing.keep("any", 1, 0.0)).isFalse();
  }
}
