package dev.sift.curation.report;

/**
 * The Vendi score of a sample (Friedman and Dieng, "The Vendi Score: A Diversity Evaluation Metric
 * for Machine Learning", TMLR 2023): {@code exp(-sum_i lambda_i log lambda_i)} over the eigenvalues
 * of {@code K / n}, where {@code K} is the cosine-similarity matrix of the {@code n} embeddings. It
 * reads as an effective number of distinct items: {@code n} orthogonal embeddings score {@code n},
 * {@code n} copies of one embedding score 1.
 *
 * <p>With a linear kernel {@code K = X X^T}, and {@code X^T X} has the same non-zero eigenvalues,
 * so the smaller of the two Gram matrices is decomposed: {@code d x d} for a sample larger than the
 * embedding width. Stateless and thread-safe.
 */
public final class Vendi {
  private Vendi() {}

  /**
   * @param embeddings {@code n} rows of equal width; each is L2-normalised here (zero rows are
   *     refused: they have no direction)
   * @return the Vendi score, in {@code [1, min(n, d)]}; NaN for an empty sample
   */
  public static double score(float[][] embeddings) {
    int n = embeddings.length;
    if (n == 0) {
      return Double.NaN;
    }
    int d = embeddings[0].length;
    double[][] x = new double[n][];
    for (int i = 0; i < n; i++) {
      if (embeddings[i].length != d) {
        throw new IllegalArgumentException(
            "embedding " + i + " has " + embeddings[i].length + " values, not " + d);
      }
      x[i] = normalised(embeddings[i], i);
    }
    int m = Math.min(n, d);
    double[][] gram = new double[m][m];
    for (int a = 0; a < m; a++) {
      for (int b = a; b < m; b++) {
        double s = 0;
        if (n <= d) {
          for (int k = 0; k < d; k++) {
            s += x[a][k] * x[b][k];
          }
        } else {
          for (int k = 0; k < n; k++) {
            s += x[k][a] * x[k][b];
          }
        }
        gram[a][b] = s / n;
        gram[b][a] = s / n;
      }
    }
    double entropy = 0;
    for (double lambda : symmetricEigenvalues(gram)) {
      if (lambda > 1e-12) {
        entropy -= lambda * Math.log(lambda);
      }
    }
    return Math.exp(entropy);
  }

  private static double[] normalised(float[] v, int row) {
    double norm = 0;
    for (float f : v) {
      norm += (double) f * f;
    }
    norm = Math.sqrt(norm);
    if (!(norm > 0)) {
      throw new IllegalArgumentException("embedding " + row + " is zero or not finite");
    }
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] / norm;
    }
    return out;
  }

  /**
   * Eigenvalues of a symmetric matrix by cyclic Jacobi rotations (ascending). Accurate to rounding
   * for the positive semi-definite Gram matrices used here; {@code a} is not modified.
   */
  static double[] symmetricEigenvalues(double[][] a) {
    int n = a.length;
    double[][] m = new double[n][];
    for (int i = 0; i < n; i++) {
      m[i] = a[i].clone();
    }
    for (int sweep = 0; sweep < 100; sweep++) {
      double off = 0;
      double diag = 0;
      for (int i = 0; i < n; i++) {
        diag += m[i][i] * m[i][i];
        for (int j = i + 1; j < n; j++) {
          off += m[i][j] * m[i][j];
        }
      }
      if (off <= 1e-30 * Math.max(diag, 1e-300)) {
        break;
      }
      for (int p = 0; p < n; p++) {
        for (int q = p + 1; q < n; q++) {
          double apq = m[p][q];
          if (Math.abs(apq) < 1e-300) {
            continue;
          }
          double theta = (m[q][q] - m[p][p]) / (2 * apq);
          double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          if (theta == 0) {
            t = 1;
          }
          double c = 1 / Math.sqrt(t * t + 1);
          double s = t * c;
          for (int k = 0; k < n; k++) {
            double mkp = m[k][p];
            double mkq = m[k][q];
            m[k][p] = c * mkp - s * mkq;
            m[k][q] = s * mkp + c * mkq;
          }
          for (int k = 0; k < n; k++) {
            double mpk = m[p][k];
            double mqk = m[q][k];
            m[p][k] = c * mpk - s * mqk;
            m[q][k] = s * mpk + c * mqk;
          }
        }
      }
    }
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = m[i][i];
    }
    java.util.Arrays.sort(out);
    return out;
  }
}
