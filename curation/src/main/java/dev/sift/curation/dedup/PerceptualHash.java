package dev.sift.curation.dedup;

import dev.sift.curation.image.RgbImage;
import java.util.Arrays;

/**
 * The 64-bit perceptual hash (pHash) exactly as Python's {@code imagehash.phash(image)} defines it
 * (hash_size 8, highfreq_factor 4), for near-duplicate detection by Hamming distance:
 *
 * <ol>
 *   <li>8-bit grey as Pillow's {@code convert("L")} from RGB: {@code (R*19595 + G*38470 + B*7471 +
 *       0x8000) >> 16};
 *   <li>resize to 32x32 with Pillow's {@code LANCZOS} ({@code ImagingResample}: separable,
 *       horizontal pass first into an 8-bit intermediate, support {@code 3 * max(scale, 1)},
 *       weights in 22-bit fixed point);
 *   <li>the unnormalised 2-D DCT-II ({@code scipy.fftpack.dct} along axis 0, then axis 1), of which
 *       only the top-left 8x8 coefficients are computed;
 *   <li>bit = coefficient &gt; median of the 64 (numpy's median: the mean of the two middle ones).
 * </ol>
 *
 * <p>Bit order is imagehash's: the 8x8 array flattened row-major (row = vertical frequency), first
 * element in the most significant bit, so {@link #hex} of a hash equals imagehash's {@code
 * str(hash)} for the same pixels. Golden values from an independent Python implementation are in
 * {@code src/test/resources/dedup/}.
 *
 * <p>Stateless and thread-safe; all methods are static. The grey conversion is fused with the
 * horizontal pass, one source row at a time, so no full-size grey image is allocated.
 */
public final class PerceptualHash {
  /** Side of the grey image the DCT sees ({@code hash_size * highfreq_factor}). */
  static final int SIZE = 32;

  /** Side of the low-frequency block kept ({@code hash_size}). */
  static final int LOW = 8;

  private static final int PRECISION_BITS = 22;

  /** Pillow's Lanczos support (a = 3). */
  private static final double LANCZOS_SUPPORT = 3.0;

  /** {@code COS[k][n] = cos(pi * k * (2n + 1) / 64)}, the DCT-II basis for k below 8. */
  private static final double[][] COS = new double[LOW][SIZE];

  static {
    for (int k = 0; k < LOW; k++) {
      for (int n = 0; n < SIZE; n++) {
        COS[k][n] = Math.cos(Math.PI * k * (2 * n + 1) / (2.0 * SIZE));
      }
    }
  }

  private PerceptualHash() {}

  /** The pHash of {@code image}. */
  public static long of(RgbImage image) {
    return fromGray(gray32(image));
  }

  /** Hamming distance between two hashes: the number of differing bits, 0..64. */
  public static int distance(long a, long b) {
    return Long.bitCount(a ^ b);
  }

  /** The hash as 16 lower-case hex digits, as imagehash's {@code str(hash)} prints it. */
  public static String hex(long hash) {
    String digits = Long.toHexString(hash);
    return "0".repeat(16 - digits.length()) + digits;
  }

  /**
   * Parses 16 hex digits (either case) as written by {@link #hex} or imagehash.
   *
   * @throws IllegalArgumentException if {@code hex} is not exactly 16 hex digits
   */
  public static long parseHex(String hex) {
    if (hex == null || hex.length() != 16) {
      throw new IllegalArgumentException("a pHash is 16 hex digits, got: " + hex);
    }
    try {
      return Long.parseUnsignedLong(hex, 16);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("a pHash is 16 hex digits, got: " + hex, e);
    }
  }

  /** Hash of a 32x32 grey image given row-major as 0..255 values. */
  static long fromGray(int[] gray) {
    double[] low = dct8x8(gray);
    double[] sorted = low.clone();
    Arrays.sort(sorted);
    double median = (sorted[LOW * LOW / 2 - 1] + sorted[LOW * LOW / 2]) / 2;
    long hash = 0;
    for (int i = 0; i < LOW * LOW; i++) {
      hash = (hash << 1) | (low[i] > median ? 1 : 0);
    }
    return hash;
  }

  /**
   * The top-left 8x8 of {@code dct(dct(x, axis=0), axis=1)}, row-major. An AC coefficient does not
   * change when a constant is subtracted from its input vector, so each vector is taken relative to
   * its first element: a constant vector (a flat image, a flat column) then gives AC coefficients
   * of exactly 0, as scipy's FFT does, instead of rounding noise that would decide the bits of a
   * flat image by chance.
   */
  static double[] dct8x8(int[] gray) {
    double[] cols = new double[LOW * SIZE]; // [k][x] after the pass along axis 0
    for (int x = 0; x < SIZE; x++) {
      int base = gray[x];
      long sum = 0;
      for (int y = 0; y < SIZE; y++) {
        sum += gray[y * SIZE + x];
      }
      cols[x] = 2.0 * sum;
      for (int k = 1; k < LOW; k++) {
        double[] c = COS[k];
        double acc = 0.0;
        for (int y = 0; y < SIZE; y++) {
          acc += (gray[y * SIZE + x] - base) * c[y];
        }
        cols[k * SIZE + x] = 2.0 * acc;
      }
    }
    double[] out = new double[LOW * LOW];
    for (int k = 0; k < LOW; k++) {
      int row = k * SIZE;
      double base = cols[row];
      double sum = 0.0;
      for (int x = 0; x < SIZE; x++) {
        sum += cols[row + x];
      }
      out[k * LOW] = 2.0 * sum;
      for (int l = 1; l < LOW; l++) {
        double[] c = COS[l];
        double acc = 0.0;
        for (int x = 0; x < SIZE; x++) {
          acc += (cols[row + x] - base) * c[x];
        }
        out[k * LOW + l] = 2.0 * acc;
      }
    }
    return out;
  }

  /**
   * {@code image.convert("L").resize((32, 32), LANCZOS)} as Pillow computes it, row-major 0..255.
   */
  static int[] gray32(RgbImage image) {
    int inW = image.width();
    int inH = image.height();
    byte[] src = image.rgb();
    boolean horizontal = inW != SIZE;
    boolean vertical = inH != SIZE;
    Weights wy = vertical ? weights(inH, SIZE) : null;
    // Source rows the vertical pass reads; Lanczos on a downscale reads nearly all of them.
    int r0 = 0;
    int r1 = inH;
    if (vertical) {
      r0 = wy.first[0];
      r1 = wy.first[SIZE - 1] + wy.count[SIZE - 1];
      for (int y = 0; y < SIZE; y++) {
        r0 = Math.min(r0, wy.first[y]);
        r1 = Math.max(r1, wy.first[y] + wy.count[y]);
      }
    }
    int rows = r1 - r0;
    // Horizontal pass (grey conversion fused in) into an 8-bit intermediate of 32 columns.
    int[] mid = new int[rows * SIZE];
    int[] grayRow = new int[inW];
    Weights wx = horizontal ? weights(inW, SIZE) : null;
    for (int r = 0; r < rows; r++) {
      int s = 3 * (r0 + r) * inW;
      int[] target = horizontal ? grayRow : mid;
      int t = horizontal ? 0 : r * SIZE;
      for (int x = 0; x < inW; x++, s += 3) {
        target[t + x] =
            ((src[s] & 0xff) * 19595
                    + (src[s + 1] & 0xff) * 38470
                    + (src[s + 2] & 0xff) * 7471
                    + 0x8000)
                >>> 16;
      }
      if (horizontal) {
        int half = 1 << (PRECISION_BITS - 1);
        for (int c = 0; c < SIZE; c++) {
          int k = c * wx.stride;
          int first = wx.first[c];
          int acc = half;
          for (int j = 0, n = wx.count[c]; j < n; j++) {
            acc += grayRow[first + j] * wx.values[k + j];
          }
          mid[r * SIZE + c] = clip8(acc);
        }
      }
    }
    if (!vertical) {
      return mid;
    }
    int[] out = new int[SIZE * SIZE];
    int half = 1 << (PRECISION_BITS - 1);
    for (int y = 0; y < SIZE; y++) {
      int k = y * wy.stride;
      int first = wy.first[y] - r0;
      int n = wy.count[y];
      for (int c = 0; c < SIZE; c++) {
        int acc = half;
        for (int j = 0, s = (first * SIZE) + c; j < n; j++, s += SIZE) {
          acc += mid[s] * wy.values[k + j];
        }
        out[y * SIZE + c] = clip8(acc);
      }
    }
    return out;
  }

  private static int clip8(int acc) {
    int v = acc >> PRECISION_BITS;
    return v < 0 ? 0 : Math.min(v, 255);
  }

  /**
   * Integer weights for one axis: output {@code i} reads {@code count[i]} inputs from {@code
   * first[i]}.
   */
  record Weights(int[] first, int[] count, int[] values, int stride) {}

  /** Pillow's {@code precompute_coeffs} and {@code normalize_coeffs_8bpc} for Lanczos. */
  static Weights weights(int inSize, int outSize) {
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = LANCZOS_SUPPORT * filterScale;
    double inverse = 1.0 / filterScale;
    int stride = (int) Math.ceil(support) * 2 + 1;
    int[] first = new int[outSize];
    int[] count = new int[outSize];
    int[] values = new int[outSize * stride];
    double[] w = new double[stride];
    double one = 1 << PRECISION_BITS;
    for (int i = 0; i < outSize; i++) {
      double center = (i + 0.5) * scale;
      int lo = Math.max((int) (center - support + 0.5), 0);
      int n = Math.min(Math.min((int) (center + support + 0.5), inSize) - lo, stride);
      n = Math.max(n, 0);
      double total = 0.0;
      for (int j = 0; j < n; j++) {
        w[j] = lanczos((j + lo - center + 0.5) * inverse);
        total += w[j];
      }
      for (int j = 0; j < n; j++) {
        double v = (total != 0.0 ? w[j] / total : w[j]) * one;
        values[i * stride + j] = v < 0 ? (int) (-0.5 + v) : (int) (0.5 + v);
      }
      first[i] = lo;
      count[i] = n;
    }
    return new Weights(first, count, values, stride);
  }

  /** Pillow's {@code lanczos_filter}: sinc(x) * sinc(x / 3) on [-3, 3). */
  private static double lanczos(double x) {
    if (-3.0 <= x && x < 3.0) {
      return sinc(x) * sinc(x / 3);
    }
    return 0.0;
  }

  private static double sinc(double x) {
    if (x == 0.0) {
      return 1.0;
    }
    x = x * Math.PI;
    return Math.sin(x) / x;
  }
}
