package dev.sift.curation.image;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * JPEG decoding with libjpeg-turbo's TurboJPEG API, the library Pillow decodes JPEG with. At full
 * scale it gives Pillow's pixels (the exact mode); at a reduced scale in the DCT domain (the fast
 * mode) an image decoded at 1/2, 1/4 or 1/8 of its size costs a fraction of a full decode, because
 * the inverse DCT only computes the coefficients it needs. The library is the system's ({@code
 * libturbojpeg.so.0}, Debian's {@code libturbojpeg0}); without it {@link #available()} is false and
 * callers decode exactly instead.
 *
 * <p>Thread-safe: each call uses its own TurboJPEG handle.
 */
final class TurboJpeg {
  private static final int TJPF_RGB = 0;
  private static final int TJPF_CMYK = 11;
  private static final int TJFLAG_ACCURATEDCT = 4096;
  private static final int TJCS_CMYK = 3;
  private static final int TJCS_YCCK = 4;

  /** The TurboJPEG 2.x functions Sift calls. */
  interface Lib extends Library {
    Pointer tjInitDecompress();

    int tjDecompressHeader3(
        Pointer handle,
        byte[] jpeg,
        long size,
        IntByReference width,
        IntByReference height,
        IntByReference subsamp,
        IntByReference colorspace);

    int tjDecompress2(
        Pointer handle,
        byte[] jpeg,
        long size,
        byte[] dst,
        int width,
        int pitch,
        int height,
        int pixelFormat,
        int flags);

    String tjGetErrorStr2(Pointer handle);

    int tjDestroy(Pointer handle);
  }

  private static final Lib LIB = load();
  private static final String MISSING = LIB == null ? reasonMissing() : null;

  private TurboJpeg() {}

  private static Lib load() {
    try {
      return Native.load("turbojpeg", Lib.class);
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      return null;
    }
  }

  private static String reasonMissing() {
    return "libturbojpeg not found (install Debian's libturbojpeg0 or your system's libjpeg-turbo)";
  }

  static boolean available() {
    return LIB != null;
  }

  /** Why {@link #available()} is false, or null. */
  static String missing() {
    return MISSING;
  }

  /**
   * Decodes {@code jpeg} at the smallest of the scales 1/8, 1/4, 1/2, 1 whose shorter side is still
   * at least {@code minShortSide}. CMYK and YCCK JPEGs are decoded to libjpeg's CMYK (YCCK
   * converted by the library, as for Pillow) and turned into RGB with Pillow's arithmetic ({@link
   * JpegColor#libjpegCmykToRgb}).
   *
   * @throws ImageDecodeException for bytes TurboJPEG cannot decode, or a size above {@code
   *     maxPixels}
   */
  static RgbImage decodeScaled(byte[] jpeg, int minShortSide, long maxPixels)
      throws ImageDecodeException {
    Pointer handle = LIB.tjInitDecompress();
    if (handle == null) {
      throw new IllegalStateException("tjInitDecompress failed");
    }
    try {
      IntByReference w = new IntByReference();
      IntByReference h = new IntByReference();
      IntByReference subsamp = new IntByReference();
      IntByReference colorspace = new IntByReference();
      if (LIB.tjDecompressHeader3(handle, jpeg, jpeg.length, w, h, subsamp, colorspace) != 0) {
        throw new ImageDecodeException("JPEG header: " + LIB.tjGetErrorStr2(handle));
      }
      int width = w.getValue();
      int height = h.getValue();
      if (width <= 0 || height <= 0 || (long) width * height > maxPixels) {
        throw new ImageDecodeException(
            "image size " + width + "x" + height + " outside 1.." + maxPixels + " pixels");
      }
      boolean cmyk = colorspace.getValue() == TJCS_CMYK || colorspace.getValue() == TJCS_YCCK;
      int denominator = scale(width, height, minShortSide);
      // TurboJPEG rounds scaled sizes up: ceil(size * 1 / d).
      int sw = (width + denominator - 1) / denominator;
      int sh = (height + denominator - 1) / denominator;
      int channels = cmyk ? 4 : 3;
      byte[] pixels = new byte[sw * sh * channels];
      int rc =
          LIB.tjDecompress2(
              handle,
              jpeg,
              jpeg.length,
              pixels,
              sw,
              sw * channels,
              sh,
              cmyk ? TJPF_CMYK : TJPF_RGB,
              TJFLAG_ACCURATEDCT);
      if (rc != 0) {
        String why = LIB.tjGetErrorStr2(handle);
        // Warnings (e.g. premature end of data) come back as -1 too; corrupt data is an error.
        throw new ImageDecodeException("JPEG data: " + why);
      }
      return new RgbImage(sw, sh, cmyk ? JpegColor.libjpegCmykToRgb(pixels) : pixels);
    } finally {
      LIB.tjDestroy(handle);
    }
  }

  /** The largest of 8, 4, 2 that keeps the shorter side at least {@code minShortSide}; else 1. */
  static int scale(int width, int height, int minShortSide) {
    int shorter = Math.min(width, height);
    for (int d = 8; d > 1; d /= 2) {
      if ((shorter + d - 1) / d >= minShortSide) {
        return d;
      }
    }
    return 1;
  }
}
