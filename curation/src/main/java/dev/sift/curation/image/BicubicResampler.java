package dev.sift.curation.image;

/**
 * Antialiased separable bicubic resampling of 8-bit RGB (Keys cubic, a = -0.5, support widened by
 * the downscale factor), horizontal pass first into an 8-bit intermediate, then vertical. Both
 * references share this design and differ only in how the normalised double weights become
 * integers:
 *
 * <ul>
 *   <li>Pillow's {@code ImagingResample}: 22 fractional bits for every weight.
 *   <li>PyTorch's uint8 antialiased kernel (what torchvision's {@code resize(antialias=True)} runs
 *       on CPU): int16 weights, with as many fractional bits (at most 22) as keep the largest
 *       weight of that axis under 2^15.
 * </ul>
 *
 * <p>Only the output pixels inside a window (the centre crop) are computed; each output pixel
 * depends only on its own weights, so the window's pixels are identical to those of the full
 * resize. Stateless and thread-safe.
 */
final class BicubicResampler {
  private BicubicResampler() {}

  /** Integer weights for resizing one axis from {@code inSize} to {@code outSize} samples. */
  record Weights(int[] first, int[] count, int[] values, int stride, int precision) {}

  static Weights weights(int inSize, int outSize, ClipPreprocessor.Reference reference) {
    double scale = (double) inSize / outSize;
    double filterScale = Math.max(scale, 1.0);
    double support = 2.0 * filterScale;
    double inverse = 1.0 / filterScale;
    int stride = (int) Math.ceil(support) * 2 + 1;
    int[] first = new int[outSize];
    int[] count = new int[outSize];
    double[] w = new double[outSize * stride];
    double max = 0.0;
    boolean pil = reference == ClipPreprocessor.Reference.PIL;
    for (int i = 0; i < outSize; i++) {
      double center = (i + 0.5) * scale;
      int lo = Math.max((int) (center - support + 0.5), 0);
      int n = Math.min(Math.min((int) (center + support + 0.5), inSize) - lo, stride);
      double total = 0.0;
      for (int j = 0; j < n; j++) {
        double x = (j + lo - center + 0.5) * inverse;
        double v = pil ? cubicPil(x) : cubicTorch(x);
        w[i * stride + j] = v;
        total += v;
      }
      if (total != 0.0) {
        for (int j = 0; j < n; j++) {
          w[i * stride + j] /= total;
          max = Math.max(max, w[i * stride + j]);
        }
      }
      first[i] = lo;
      count[i] = Math.max(n, 0);
    }
    int precision = 22;
    if (!pil) {
      for (precision = 0; precision < 22; precision++) {
        if ((int) (0.5 + max * (1 << (precision + 1))) >= (1 << 15)) {
          break;
        }
      }
    }
    int[] values = new int[w.length];
    double one = 1 << precision;
    for (int i = 0; i < w.length; i++) {
      double v = w[i] * one;
      values[i] = v < 0 ? (int) (-0.5 + v) : (int) (0.5 + v);
    }
    return new Weights(first, count, values, stride, precision);
  }

  /** Pillow's {@code bicubic_filter}, evaluated in Pillow's order. */
  private static double cubicPil(double x) {
    final double a = -0.5;
    x = Math.abs(x);
    if (x < 1.0) {
      return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
    }
    if (x < 2.0) {
      return (((x - 5) * x + 8) * x - 4) * a;
    }
    return 0.0;
  }

  /** PyTorch's antialiasing bicubic ({@code cubic_convolution1/2}), evaluated in its order. */
  private static double cubicTorch(double x) {
    final double a = -0.5;
    x = Math.abs(x);
    if (x < 1.0) {
      return ((a + 2) * x - (a + 3)) * x * x + 1;
    }
    if (x < 2.0) {
      return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    }
    return 0.0;
  }

  /**
   * Resizes {@code image} to {@code outWidth x outHeight} and returns the window of {@code winWidth
   * x winHeight} pixels whose top-left corner is at {@code (winLeft, winTop)} of the resized image,
   * as interleaved RGB. Window pixels outside the resized image are 0 (padding).
   */
  static byte[] resizeWindow(
      RgbImage image,
      int outWidth,
      int outHeight,
      int winLeft,
      int winTop,
      int winWidth,
      int winHeight,
      ClipPreprocessor.Reference reference) {
    int inW = image.width();
    int inH = image.height();
    byte[] src = image.rgb();
    // Resized columns and rows the window covers.
    int x0 = Math.max(winLeft, 0);
    int x1 = Math.min(winLeft + winWidth, outWidth);
    int y0 = Math.max(winTop, 0);
    int y1 = Math.min(winTop + winHeight, outHeight);
    byte[] out = new byte[3 * winWidth * winHeight];
    if (x0 >= x1 || y0 >= y1) {
      return out;
    }
    boolean horizontal = outWidth != inW;
    boolean vertical = outHeight != inH;
    Weights wy = vertical ? weights(inH, outHeight, reference) : null;
    // Source rows feeding the vertical pass for the window's rows.
    int r0 = vertical ? wy.first[y0] : y0;
    int r1 = vertical ? wy.first[y1 - 1] + wy.count[y1 - 1] : y1;
    for (int y = y0; vertical && y < y1; y++) {
      r0 = Math.min(r0, wy.first[y]);
      r1 = Math.max(r1, wy.first[y] + wy.count[y]);
    }
    int cols = x1 - x0;
    int rows = r1 - r0;
    // Horizontal pass: source rows r0..r1, resized columns x0..x1, 8-bit like the references.
    byte[] mid = new byte[3 * cols * rows];
    if (horizontal) {
      horizontal(src, inW, r0, rows, x0, cols, weights(inW, outWidth, reference), mid);
    } else {
      for (int r = 0; r < rows; r++) {
        System.arraycopy(src, 3 * ((r0 + r) * inW + x0), mid, 3 * r * cols, 3 * cols);
      }
    }
    // Vertical pass into the window, a row at a time: each tap adds a whole source row to the
    // row's accumulators, so memory is read in order (a loop the JIT can unroll and vectorise)
    // instead of down a column, tap by tap, for every pixel.
    int padLeft = x0 - winLeft;
    int width3 = 3 * cols;
    int[] acc = vertical ? new int[width3] : null;
    for (int y = y0; y < y1; y++) {
      int o = 3 * ((y - winTop) * winWidth + padLeft);
      if (!vertical) {
        System.arraycopy(mid, 3 * (y - r0) * cols, out, o, width3);
        continue;
      }
      int k = y * wy.stride;
      int firstRow = wy.first[y] - r0;
      int n = wy.count[y];
      java.util.Arrays.fill(acc, 1 << (wy.precision - 1));
      for (int j = 0; j < n; j++) {
        int wgt = wy.values[k + j];
        int s = (firstRow + j) * width3;
        for (int i = 0; i < width3; i++) {
          acc[i] += (mid[s + i] & 0xff) * wgt;
        }
      }
      int shift = wy.precision;
      for (int i = 0; i < width3; i++) {
        out[o + i] = clip8(acc[i], shift);
      }
    }
    return out;
  }

  /**
   * Resizes source rows {@code r0 .. r0+rows-1} horizontally into {@code mid}, keeping resized
   * columns {@code x0 .. x0+cols-1}. Its own method with its arrays in locals, so the JIT compiles
   * the tap loop tight.
   */
  private static void horizontal(
      byte[] src, int inW, int r0, int rows, int x0, int cols, Weights wx, byte[] mid) {
    int[] values = wx.values;
    int[] first = wx.first;
    int[] count = wx.count;
    int stride = wx.stride;
    int half = 1 << (wx.precision - 1);
    int shift = wx.precision;
    for (int r = 0; r < rows; r++) {
      int rowBase = 3 * (r0 + r) * inW;
      int o = 3 * r * cols;
      for (int c = 0; c < cols; c++, o += 3) {
        int x = x0 + c;
        int k = x * stride;
        int s = rowBase + 3 * first[x];
        int acc0 = half;
        int acc1 = half;
        int acc2 = half;
        for (int j = 0, n = count[x]; j < n; j++, s += 3) {
          int wgt = values[k + j];
          acc0 += (src[s] & 0xff) * wgt;
          acc1 += (src[s + 1] & 0xff) * wgt;
          acc2 += (src[s + 2] & 0xff) * wgt;
        }
        mid[o] = clip8(acc0, shift);
        mid[o + 1] = clip8(acc1, shift);
        mid[o + 2] = clip8(acc2, shift);
      }
    }
  }

  private static byte clip8(int acc, int shift) {
    int v = acc >> shift;
    return (byte) (v < 0 ? 0 : Math.min(v, 255));
  }
}
