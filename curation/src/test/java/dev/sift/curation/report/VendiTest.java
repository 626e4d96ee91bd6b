package dev.sift.curation.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class VendiTest {
  @Test
  void orthogonalEmbeddingsCountAsManyAsThereAre() {
    float[][] e = new float[4][8];
    for (int i = 0; i < 4; i++) {
      e[i][i] = 1;
    }
    assertThat(Vendi.score(e)).isCloseTo(4.0, within(1e-9));
  }

  @Test
  void copiesOfOneEmbeddingCountAsOne() {
    float[][] e = {{1, 2, 3}, {1, 2, 3}, {2, 4, 6}, {0.5f, 1, 1.5f}};
    assertThat(Vendi.score(e)).isCloseTo(1.0, within(1e-9));
  }

  @Test
  void twoEqualClustersCountAsTwoAndTheLargerGramGivesTheSameScore() {
    // Three copies each of two orthogonal directions: eigenvalues 1/2, 1/2 → exp(log 2) = 2.
    float[][] e = {{1, 0}, {1, 0}, {1, 0}, {0, 1}, {0, 1}, {0, 1}};
    assertThat(Vendi.score(e)).isCloseTo(2.0, within(1e-9));
    // n < d: the n x n path.
    float[][] wide = {{1, 0, 0, 0, 0, 0, 0, 0}, {0, 1, 0, 0, 0, 0, 0, 0}};
    assertThat(Vendi.score(wide)).isCloseTo(2.0, within(1e-9));
  }

  @Test
  void matchesTheClosedFormForTwoVectorsAtAnAngle() {
    // K = [[1, c], [c, 1]] / 2 has eigenvalues (1 ± c) / 2.
    double c = Math.cos(Math.toRadians(60));
    float[][] e = {{1, 0}, {(float) c, (float) Math.sin(Math.toRadians(60))}};
    double l1 = (1 + c) / 2;
    double l2 = (1 - c) / 2;
    double expected = Math.exp(-(l1 * Math.log(l1) + l2 * Math.log(l2)));
    assertThat(Vendi.score(e)).isCloseTo(expected, within(1e-6));
  }

  @Test
  void eigenvaluesOfASymmetricMatrix() {
    double[][] a = {{2, 1, 0}, {1, 2, 1}, {0, 1, 2}};
    assertThat(Vendi.symmetricEigenvalues(a))
        .containsExactly(new double[] {2 - Math.sqrt(2), 2, 2 + Math.sqrt(2)}, within(1e-10));
  }

  @Test
  void refusesZeroEmbeddingsAndRaggedRows() {
    assertThatThrownBy(() -> Vendi.score(new float[][] {{0, 0}})).hasMessageContaining("zero");
    assertThatThrownBy(() -> Vendi.score(new float[][] {{1, 0}, {1}}))
        .hasMessageContaining("embedding 1");
    assertThat(Vendi.score(new float[0][])).isNaN();
  }
}
