package dev.sift.curation.image;

import java.awt.image.Raster;
import java.io.IOException;

/**
 * Colour conversion of raw JPEG samples, reproducing libjpeg (as Pillow uses it) bit for bit:
 * libjpeg's colour-space guess from the JFIF and Adobe markers, its fixed-point YCbCr tables, and
 * Pillow's handling of CMYK ({@code CMYK;I}: Adobe's inverted samples, then Pillow's {@code
 * cmyk2rgb}, with no ICC profile). Stateless.
 */
final class JpegColor {
  private static final int SCALE_BITS = 16;
  private static final int ONE_HALF = 1 << (SCALE_BITS - 1);
  private static final int[] CR_R = new int[256];
  private static final int[] CB_B = new int[256];
  private static final int[] CR_G = new int[256];
  private static final int[] CB_G = new int[256];

  static {
    int crR = fix(1.40200);
    int cbB = fix(1.77200);
    int crG = fix(0.71414);
    int cbG = fix(0.34414);
    for (int i = 0; i < 256; i++) {
      int x = i - 128;
      CR_R[i] = (crR * x + ONE_HALF) >> SCALE_BITS;
      CB_B[i] = (cbB * x + ONE_HALF) >> SCALE_BITS;
      CR_G[i] = -crG * x;
      CB_G[i] = -cbG * x + ONE_HALF;
    }
  }

  private JpegColor() {}

  private static int fix(double x) {
    return (int) (x * (1L << SCALE_BITS) + 0.5);
  }

  /** What libjpeg decides the stored colour space is. */
  enum Space {
    GRAY,
    YCBCR,
    RGB,
    CMYK,
    YCCK
  }

  /** The markers before the first scan that decide the colour space. */
  record Header(int components, boolean jfif, int adobeTransform, int[] componentIds) {
    /** {@code adobeTransform} is -1 without an Adobe APP14 marker. */
    static Header parse(byte[] b) throws IOException {
      boolean jfif = false;
      int adobe = -1;
      int p = 2;
      while (p + 3 < b.length) {
        if ((b[p] & 0xff) != 0xff) {
          p++;
          continue;
        }
        int marker = b[p + 1] & 0xff;
        if (marker == 0xff || marker == 0x01 || (marker >= 0xd0 && marker <= 0xd8)) {
          p += marker == 0xff ? 1 : 2;
          continue;
        }
        int length = (b[p + 2] & 0xff) << 8 | (b[p + 3] & 0xff);
        int at = p + 4;
        int payload = length - 2;
        if (payload < 0 || at + payload > b.length) {
          break;
        }
        if (marker == 0xe0 && payload >= 5 && startsWith(b, at, "JFIF\0")) {
          jfif = true;
        } else if (marker == 0xee && payload >= 12 && startsWith(b, at, "Adobe")) {
          adobe = b[at + 11] & 0xff;
        } else if (isStartOfFrame(marker) && payload >= 6) {
          int n = b[at + 5] & 0xff;
          int[] ids = new int[n];
          for (int i = 0; i < n && at + 6 + 3 * i < b.length; i++) {
            ids[i] = b[at + 6 + 3 * i] & 0xff;
          }
          return new Header(n, jfif, adobe, ids);
        } else if (marker == 0xda || marker == 0xd9) {
          break;
        }
        p = at + payload;
      }
      throw new IOException("JPEG has no frame header before its first scan");
    }

    private static boolean isStartOfFrame(int m) {
      return m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
    }

    private static boolean startsWith(byte[] b, int at, String s) {
      for (int i = 0; i < s.length(); i++) {
        if (b[at + i] != (byte) s.charAt(i)) {
          return false;
        }
      }
      return true;
    }

    /** libjpeg's {@code default_decompress_parms}. */
    Space space() throws IOException {
      switch (components) {
        case 1:
          return Space.GRAY;
        case 3:
          if (jfif) {
            return Space.YCBCR;
          }
          if (adobeTransform >= 0) {
            return adobeTransform == 0 ? Space.RGB : Space.YCBCR;
          }
          if (componentIds[0] == 'R' && componentIds[1] == 'G' && componentIds[2] == 'B') {
            return Space.RGB;
          }
          return Space.YCBCR;
        case 4:
          if (adobeTransform >= 0) {
            return adobeTransform == 0 ? Space.CMYK : Space.YCCK;
          }
          return Space.CMYK;
        default:
          throw new IOException("unsupported JPEG with " + components + " components");
      }
    }
  }

  /** Converts the raw samples of {@code raster} (as stored in the file) to Pillow's RGB. */
  static RgbImage toRgb(Raster raster, Header header) throws IOException {
    Space space = header.space();
    int w = raster.getWidth();
    int h = raster.getHeight();
    int bands = raster.getNumBands();
    if (bands != header.components()) {
      throw new IOException(
          "JPEG decoder returned " + bands + " bands for " + header.components() + " components");
    }
    byte[] out = new byte[3 * w * h];
    int[] row = new int[w * bands];
    for (int y = 0; y < h; y++) {
      raster.getPixels(raster.getMinX(), raster.getMinY() + y, w, 1, row);
      int o = 3 * y * w;
      for (int x = 0, i = 0; x < w; x++, i += bands, o += 3) {
        switch (space) {
          case GRAY -> out[o] = out[o + 1] = out[o + 2] = (byte) row[i];
          case RGB -> {
            out[o] = (byte) row[i];
            out[o + 1] = (byte) row[i + 1];
            out[o + 2] = (byte) row[i + 2];
          }
          case YCBCR -> {
            int yy = row[i];
            int cb = row[i + 1];
            int cr = row[i + 2];
            out[o] = (byte) clamp(yy + CR_R[cr]);
            out[o + 1] = (byte) clamp(yy + ((CB_G[cb] + CR_G[cr]) >> SCALE_BITS));
            out[o + 2] = (byte) clamp(yy + CB_B[cb]);
          }
          case CMYK ->
              // Pillow reads every CMYK JPEG as Adobe-inverted (rawmode CMYK;I).
              cmykToRgb(out, o, 255 - row[i], 255 - row[i + 1], 255 - row[i + 2], 255 - row[i + 3]);
          case YCCK -> {
            // libjpeg turns YCCK into (inverted) CMYK: 255 - R, 255 - G, 255 - B, K; Pillow then
            // inverts again, so C = R etc. and K = 255 - stored K.
            int yy = row[i];
            int cb = row[i + 1];
            int cr = row[i + 2];
            int c = clamp(yy + CR_R[cr]);
            int m = clamp(yy + ((CB_G[cb] + CR_G[cr]) >> SCALE_BITS));
            int ye = clamp(yy + CB_B[cb]);
            cmykToRgb(out, o, c, m, ye, 255 - row[i + 3]);
          }
        }
      }
    }
    return new RgbImage(w, h, out);
  }

  /**
   * Pillow's RGB for libjpeg's CMYK output ({@code JCS_CMYK}, four bytes a pixel, YCCK already
   * converted by libjpeg): Pillow reads it as {@code CMYK;I}, inverting every channel, then applies
   * {@code cmyk2rgb}.
   */
  static byte[] libjpegCmykToRgb(byte[] cmyk) {
    byte[] out = new byte[cmyk.length / 4 * 3];
    for (int i = 0, o = 0; i < cmyk.length; i += 4, o += 3) {
      cmykToRgb(
          out,
          o,
          255 - (cmyk[i] & 0xff),
          255 - (cmyk[i + 1] & 0xff),
          255 - (cmyk[i + 2] & 0xff),
          255 - (cmyk[i + 3] & 0xff));
    }
    return out;
  }

  /** Pillow's {@code cmyk2rgb}: each channel is {@code (255 - K) * (255 - C) / 255}, rounded. */
  private static void cmykToRgb(byte[] out, int o, int c, int m, int y, int k) {
    int nk = 255 - k;
    out[o] = (byte) clamp(nk - mulDiv255(c, nk));
    out[o + 1] = (byte) clamp(nk - mulDiv255(m, nk));
    out[o + 2] = (byte) clamp(nk - mulDiv255(y, nk));
  }

  /** {@code a * b / 255} rounded, with Pillow's {@code MULDIV255} shifts. */
  private static int mulDiv255(int a, int b) {
    int t = a * b + 128;
    return ((t >> 8) + t) >> 8;
  }

  private static int clamp(int v) {
    return v < 0 ? 0 : Math.min(v, 255);
  }
}
