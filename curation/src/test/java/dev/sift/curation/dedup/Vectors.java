package dev.sift.curation.dedup;

import java.util.SplittableRandom;

/** Seeded unit vectors for the dedup tests. */
final class Vectors {
  private Vectors() {}

  /** A uniformly random direction (normalised Gaussian). */
  static float[] random(SplittableRandom r, int d) {
    double[] g = new double[d];
    for (int k = 0; k < d; k++) {
      g[k] = gaussian(r);
    }
    return unit(g);
  }

  /** A unit vector at cosine similarity {@code cos} to the unit vector {@code v}. */
  static float[] at(float[] v, double cos, SplittableRandom r) {
    int d = v.length;
    double[] u = new double[d];
    double along = 0;
    for (int k = 0; k < d; k++) {
      u[k] = gaussian(r);
      along += u[k] * v[k];
    }
    double sq = 0;
    for (int k = 0; k < d; k++) {
      u[k] -= along * v[k];
      sq += u[k] * u[k];
    }
    double sin = Math.sqrt(1 - cos * cos);
    double[] w = new double[d];
    for (int k = 0; k < d; k++) {
      w[k] = cos * v[k] + sin * u[k] / Math.sqrt(sq);
    }
    return unit(w);
  }

  static float[] unit(double[] g) {
    double sq = 0;
    for (double x : g) {
      sq += x * x;
    }
    double norm = Math.sqrt(sq);
    float[] out = new float[g.length];
    for (int k = 0; k < g.length; k++) {
      out[k] = (float) (g[k] / norm);
    }
    return out;
  }

  static double dotDouble(float[] a, float[] b) {
    double s = 0;
    for (int k = 0; k < a.length; k++) {
      s += (double) a[k] * b[k];
    }
    return s;
  }

  static double gaussian(SplittableRandom r) {
    // Box-Muller: SplittableRandom has no nextGaussian in Java 17.
    double u1 = 1 - r.nextDouble();
    double u2 = r.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
}
