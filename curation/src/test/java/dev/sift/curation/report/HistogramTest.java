package dev.sift.curation.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class HistogramTest {
  @Test
  void valuesLandInTheirBinAndTheUpperEdgeInTheLast() {
    Histogram h = Histogram.of(new double[] {0.0, 0.09, 0.1, 0.55, 1.0, -3, 7}, 0, 0.1, 10);
    assertThat(h.counts()).containsExactly(3, 1, 0, 0, 0, 1, 0, 0, 0, 2);
    assertThat(h.total()).isEqualTo(7);
    assertThat(h.hi()).isCloseTo(1.0, within(1e-12));
  }

  @Test
  void coarseningSumsAdjacentBins() {
    Histogram h = new Histogram(0, 0.25, new long[] {1, 2, 3, 4});
    assertThat(h.coarsen(2)).isEqualTo(new Histogram(0, 0.5, new long[] {3, 7}));
  }

  @Test
  void quantilesInterpolateInsideTheBin() {
    // 10 values spread evenly over [0, 1): one per bin of 0.1.
    long[] one = new long[10];
    Arrays.fill(one, 1);
    Histogram h = new Histogram(0, 0.1, one);
    assertThat(h.quantile(0.5)).isCloseTo(0.5, within(1e-12));
    assertThat(h.quantile(0.25)).isCloseTo(0.25, within(1e-12));
    assertThat(h.quantile(0)).isEqualTo(0);
    assertThat(h.quantile(1)).isCloseTo(1.0, within(1e-12));
    // All mass in one bin: every quantile lies in that bin.
    Histogram spike = new Histogram(-1, 0.5, new long[] {0, 4, 0, 0});
    assertThat(spike.quantile(0.5)).isCloseTo(-0.25, within(1e-12));
    assertThat(spike.quantile(0)).isEqualTo(-0.5);
    assertThat(new Histogram(0, 1, new long[3]).quantile(0.5)).isNaN();
  }

  @Test
  void quantilesOfAFineHistogramAreWithinOneBinOfTheExactOnes() {
    double[] v = new double[1001];
    for (int i = 0; i < v.length; i++) {
      v[i] = Math.sin(i) * 0.3 + 0.1;
    }
    Histogram h = Histogram.of(v, -0.25, 0.7 / 7000, 7000);
    double[] sorted = v.clone();
    Arrays.sort(sorted);
    for (double p : new double[] {0.01, 0.1, 0.5, 0.9, 0.99}) {
      assertThat(h.quantile(p)).as("p=" + p).isCloseTo(sorted[(int) (p * 1000)], within(1e-4));
    }
  }

  @Test
  void theKeptCurveIsTheShareAtOrAboveEachEdge() {
    Histogram h = new Histogram(0, 0.1, new long[] {1, 1, 2, 0, 4});
    List<Histogram.KeptPoint> c = h.keptCurve(1);
    assertThat(c).hasSize(6);
    assertThat(c.get(0).fraction()).isEqualTo(1.0);
    assertThat(c.get(2).kept()).isEqualTo(6);
    assertThat(c.get(2).fraction()).isEqualTo(0.75);
    assertThat(c.get(5).kept()).isZero();
    // A step that does not divide the bins still ends at the upper edge.
    List<Histogram.KeptPoint> coarse = h.keptCurve(2);
    assertThat(coarse).extracting(Histogram.KeptPoint::kept).containsExactly(8L, 6L, 4L, 0L);
  }
}
