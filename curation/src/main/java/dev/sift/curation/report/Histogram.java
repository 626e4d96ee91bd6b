package dev.sift.curation.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Counts of values in equal-width bins {@code [lo + i * width, lo + (i + 1) * width)}; the last bin
 * also holds {@code hi} itself. The report computes one fine histogram per score column with a
 * Spark group-by and derives everything else from it here: the display histogram, quantiles and the
 * kept fraction as a function of threshold. Working from integer counts keeps the figures identical
 * however Spark partitions or orders the rows, which a rebuilt {@code report.json} needs.
 *
 * <p>Immutable (the array is copied in and out) and thread-safe.
 */
public final class Histogram {
  private final double lo;
  private final double width;
  private final long[] counts;

  /**
   * @param lo lower edge of the first bin
   * @param width bin width, positive
   * @param counts values per bin
   */
  public Histogram(double lo, double width, long[] counts) {
    if (!(width > 0) || counts.length == 0) {
      throw new IllegalArgumentException("a histogram needs a positive width and at least one bin");
    }
    this.lo = lo;
    this.width = width;
    this.counts = counts.clone();
  }

  /** A histogram of {@code values} (for tests and small inputs; Spark computes the real ones). */
  public static Histogram of(double[] values, double lo, double width, int bins) {
    long[] c = new long[bins];
    for (double v : values) {
      c[bin(v, lo, width, bins)]++;
    }
    return new Histogram(lo, width, c);
  }

  /**
   * The bin of {@code v}, clamped to {@code [0, bins)}: the same {@code floor((v - lo) / width)}
   * the Spark aggregation uses, so values at the upper edge land in the last bin.
   */
  public static int bin(double v, double lo, double width, int bins) {
    long b = (long) Math.floor((v - lo) / width);
    return (int) Math.max(0, Math.min(bins - 1, b));
  }

  public double lo() {
    return lo;
  }

  public double width() {
    return width;
  }

  /** Upper edge of the last bin. */
  public double hi() {
    return lo + width * counts.length;
  }

  public int bins() {
    return counts.length;
  }

  public long[] counts() {
    return counts.clone();
  }

  public long total() {
    long t = 0;
    for (long c : counts) {
      t += c;
    }
    return t;
  }

  /** Sums every {@code factor} adjacent bins: the display histogram of a fine one. */
  public Histogram coarsen(int factor) {
    if (factor <= 0 || counts.length % factor != 0) {
      throw new IllegalArgumentException(
          "cannot merge " + counts.length + " bins in groups of " + factor);
    }
    long[] c = new long[counts.length / factor];
    for (int i = 0; i < counts.length; i++) {
      c[i / factor] += counts[i];
    }
    return new Histogram(lo, width * factor, c);
  }

  /**
   * The {@code p}-quantile, interpolated linearly inside its bin (values are taken as spread evenly
   * over a bin): off from the exact order statistic by at most one bin width. NaN when the
   * histogram is empty.
   */
  public double quantile(double p) {
    if (p < 0 || p > 1) {
      throw new IllegalArgumentException("quantile of " + p + " is outside [0, 1]");
    }
    long total = total();
    if (total == 0) {
      return Double.NaN;
    }
    double rank = p * total;
    long below = 0;
    int first = -1;
    int last = -1;
    for (int i = 0; i < counts.length; i++) {
      if (counts[i] > 0) {
        last = i;
        if (first < 0) {
          first = i;
        }
      }
    }
    if (rank <= 0) {
      return lo + first * width;
    }
    for (int i = 0; i < counts.length; i++) {
      long c = counts[i];
      if (c > 0 && below + c >= rank) {
        return lo + (i + (rank - below) / c) * width;
      }
      below += c;
    }
    return lo + (last + 1) * width;
  }

  /** Values in bins from {@code bin} on: the rows a threshold at that bin's lower edge keeps. */
  public long atLeast(int bin) {
    long n = 0;
    for (int i = Math.max(0, bin); i < counts.length; i++) {
      n += counts[i];
    }
    return n;
  }

  /** A point of the kept-fraction curve: keep rows scoring at least {@code threshold}. */
  public record KeptPoint(double threshold, long kept, double fraction) {}

  /**
   * The share of values at or above each threshold, at every {@code step}-th bin edge from the
   * first to the last (both included): the curve people read a threshold off. Exact at bin edges.
   */
  public List<KeptPoint> keptCurve(int step) {
    long total = total();
    List<KeptPoint> out = new ArrayList<>();
    long[] suffix = new long[counts.length + 1];
    for (int i = counts.length - 1; i >= 0; i--) {
      suffix[i] = suffix[i + 1] + counts[i];
    }
    for (int i = 0; i <= counts.length; i += step) {
      out.add(
          new KeptPoint(lo + i * width, suffix[i], total == 0 ? 0 : (double) suffix[i] / total));
    }
    if (counts.length % step != 0) {
      out.add(new KeptPoint(hi(), 0, 0));
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Histogram h
        && h.lo == lo
        && h.width == width
        && Arrays.equals(h.counts, counts);
  }

  @Override
  public int hashCode() {
    return Double.hashCode(lo) * 31 + Arrays.hashCode(counts);
  }

  @Override
  public String toString() {
    return "Histogram[lo=" + lo + ", width=" + width + ", counts=" + Arrays.toString(counts) + "]";
  }
}
