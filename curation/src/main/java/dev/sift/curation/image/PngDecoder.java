package dev.sift.curation.image;

import java.util.Arrays;
import java.util.zip.DataFormatException;

/**
 * PNG straight to 8-bit RGB, with the pixels and the accept/reject decisions of Pillow's {@code
 * Image.open(f).convert("RGB")} (Pillow 9.4, whose PNG plugin the golden files were made with; see
 * {@code scripts/reference/png_golden.py}). ImageIO's PNG reader and a generic raster walk were the
 * slow part of decoding PNGs; here {@link PngStream} reads the chunks and inflates the IDAT chunks
 * one after another straight from the input array, one scanline at a time, and this class unfilters
 * each scanline in place and converts it into the output array.
 *
 * <p>What Pillow does, and so this class:
 *
 * <ul>
 *   <li>Grey: 8-bit replicated; 1-bit is 0 or 255, 2- and 4-bit scaled to 0..255 (×85, ×17); 16-bit
 *       (Pillow's mode {@code I}) clipped to 255, so anything from 255 up is white.
 *   <li>RGB, grey+alpha and RGBA: 16-bit samples keep their high byte; alpha is dropped without
 *       compositing.
 *   <li>Palette (1, 2, 4, 8 bits): looked up; tRNS is ignored (the palette colour stays). Pillow's
 *       palette starts as the grey ramp {@code (i, i, i)} and the PLTE entries overwrite it, so an
 *       index past a short palette, or every index of a palette image without PLTE, reads {@code
 *       (i, i, i)}; more than 256 entries is an error.
 *   <li>gAMA, cHRM, sRGB, iCCP and tRNS change no pixel. Adam7 interlacing is decoded here.
 *   <li>Chunks before the first IDAT must have good CRCs and names of four letters, digits or
 *       underscores; the CRCs of IDAT and later chunks are not checked, IEND may be missing, and
 *       image data past the last row is ignored. The zlib checksum counts only where it arrives
 *       with the last row's data. A zlib stream that ends with a whole row before the last one ends
 *       the image: the pixels not decoded stay at sample 0 (black, or palette colour 0). After the
 *       image data, a chunk that the file cuts short is an error, a cut chunk header is not. An
 *       animated PNG gives its IDAT image.
 *   <li>Rejected: a filter method other than 0, a colour type and bit depth PNG does not define, no
 *       IHDR or IDAT, a filter type above 4, broken zlib data, and image data that ends inside a
 *       row or is interrupted by another chunk.
 * </ul>
 *
 * <p>Stateless and thread-safe: every call has its own {@link PngStream}, whose {@link
 * java.util.zip.Inflater} is ended before it returns.
 */
final class PngDecoder {
  /** Adam7's passes: x start, y start, x step, y step. */
  private static final int[][] ADAM7 = {
    {0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}
  };

  /** The Adam7 pass of each pixel, by {@code y % 8} and {@code x % 8}. */
  private static final int[][] ADAM7_PASS = {
    {0, 5, 3, 5, 1, 5, 3, 5},
    {6, 6, 6, 6, 6, 6, 6, 6},
    {4, 5, 4, 5, 4, 5, 4, 5},
    {6, 6, 6, 6, 6, 6, 6, 6},
    {2, 5, 3, 5, 2, 5, 3, 5},
    {6, 6, 6, 6, 6, 6, 6, 6},
    {4, 5, 4, 5, 4, 5, 4, 5},
    {6, 6, 6, 6, 6, 6, 6, 6}
  };

  /** The non-interlaced image as one pass. */
  private static final int[][] WHOLE = {{0, 0, 1, 1}};

  private PngDecoder() {}

  /**
   * Decodes a whole PNG file.
   *
   * @throws ImageDecodeException where Pillow refuses the file, with the reason, and for an image
   *     over {@code maxPixels} (checked before any image data is inflated)
   */
  static RgbImage decode(byte[] png, long maxPixels) throws ImageDecodeException {
    try (PngStream stream = new PngStream(png)) {
      return decode(stream, maxPixels);
    }
  }

  /**
   * Decodes the image of a stream whose header has been read and whose image data has not: the
   * caller keeps the stream and closes it.
   *
   * @throws ImageDecodeException as {@link #decode(byte[], long)}
   */
  static RgbImage decode(PngStream stream, long maxPixels) throws ImageDecodeException {
    try {
      return decodeRows(stream, maxPixels);
    } catch (DataFormatException e) {
      String why = e.getMessage() == null ? "" : ": " + e.getMessage();
      throw new ImageDecodeException("PNG: broken zlib data in IDAT" + why, e);
    } catch (RuntimeException e) {
      // Not expected (every length is checked), but hostile bytes must end as this row's error.
      throw new ImageDecodeException("PNG: " + ImageErrors.describe(e), e);
    }
  }

  private static RgbImage decodeRows(PngStream stream, long maxPixels)
      throws ImageDecodeException, DataFormatException {
    long width = stream.width();
    long height = stream.height();
    if (width <= 0 || height <= 0 || width > maxPixels / height) {
      throw new ImageDecodeException(
          "image size " + width + "x" + height + " outside 1.." + maxPixels + " pixels");
    }
    // The header is read from the stream where needed, not held in locals: fewer values live
    // across the row loop leave registers to the inlined conversion loops (with locals, the
    // 300x800 RGBA fixture decoded 2-3% slower).
    int channels = PngStream.channels(stream.colour());
    long rowBytes = (width * channels * stream.depth() + 7) / 8;
    if (3 * width * height > Integer.MAX_VALUE - 8 || rowBytes > Integer.MAX_VALUE - 8) {
      throw new ImageDecodeException("PNG: " + width + "x" + height + " too large for one array");
    }
    int w = (int) width;
    int h = (int) height;
    byte[] out = new byte[3 * w * h];
    Rows rows = new Rows(stream.colour(), stream.depth(), channels, lookup(stream));
    stream.begin();
    int bpp = Math.max(1, channels * stream.depth() / 8);
    byte[] cur = new byte[(int) rowBytes + 1];
    byte[] prev = new byte[(int) rowBytes + 1];
    int[][] passes = stream.interlaced() ? ADAM7 : WHOLE;
    rows:
    for (int p = 0; p < passes.length; p++) {
      int[] pass = passes[p];
      int passWidth = (w - pass[0] + pass[2] - 1) / pass[2];
      int passHeight = (h - pass[1] + pass[3] - 1) / pass[3];
      if (passWidth <= 0 || passHeight <= 0) {
        continue;
      }
      int length = (int) (((long) passWidth * channels * stream.depth() + 7) / 8);
      Arrays.fill(prev, 0, length + 1, (byte) 0);
      for (int y = pass[1]; y < h; y += pass[3]) {
        stream.fill(cur, length + 1, y);
        unfilter(cur, prev, length, bpp, y);
        rows.convert(cur, passWidth, out, 3 * (y * w + pass[0]), 3 * pass[2]);
        if (stream.finished()) {
          // Pillow stops where the zlib stream ends with a row; the rest stays sample 0,
          // black but for a palette whose first colour is not.
          if (stream.colour() == 3 && !isLastRow(w, h, stream.interlaced(), p, y)) {
            rows.fillUnwritten(out, w, h, stream.interlaced(), p, y);
          }
          break rows;
        }
        byte[] swap = prev;
        prev = cur;
        cur = swap;
      }
    }
    stream.trailer();
    return new RgbImage(w, h, out);
  }

  /** Whether row {@code y} of pass {@code p} is the last row of image data. */
  private static boolean isLastRow(int w, int h, boolean interlaced, int p, int y) {
    if (!interlaced) {
      return y == h - 1;
    }
    for (int later = p + 1; later < ADAM7.length; later++) {
      if (ADAM7[later][0] < w && ADAM7[later][1] < h) {
        return false;
      }
    }
    return y + ADAM7[p][3] >= h;
  }

  /**
   * The colour of each sample value: the palette over Pillow's grey ramp, or for 1-, 2- and 4-bit
   * grey the value scaled to 0..255; null where samples are converted directly.
   */
  private static byte[] lookup(PngStream stream) {
    int colour = stream.colour();
    int depth = stream.depth();
    byte[] palette = stream.palette();
    if (colour == 3) {
      byte[] table = new byte[768];
      for (int i = 0; i < 256; i++) {
        table[3 * i] = table[3 * i + 1] = table[3 * i + 2] = (byte) i;
      }
      if (palette != null) {
        System.arraycopy(palette, 0, table, 0, palette.length);
      }
      return table;
    }
    if (colour == 0 && depth < 8) {
      int max = (1 << depth) - 1;
      byte[] table = new byte[3 * (max + 1)];
      for (int i = 0; i <= max; i++) {
        table[3 * i] = table[3 * i + 1] = table[3 * i + 2] = (byte) (i * 255 / max);
      }
      return table;
    }
    return null;
  }

  /**
   * Undoes the row's filter in place: {@code cur[1..length]} from the filter type in {@code cur[0]}
   * and the previous row {@code prev} (zeros for a pass's first row).
   */
  private static void unfilter(byte[] cur, byte[] prev, int length, int bpp, int y)
      throws ImageDecodeException {
    int end = length + 1;
    int firstFull = Math.min(end, bpp + 1);
    switch (cur[0]) {
      case 0:
        break;
      case 1:
        for (int i = bpp + 1; i < end; i++) {
          cur[i] += cur[i - bpp];
        }
        break;
      case 2:
        for (int i = 1; i < end; i++) {
          cur[i] += prev[i];
        }
        break;
      case 3:
        for (int i = 1; i < firstFull; i++) {
          cur[i] += (byte) ((prev[i] & 0xff) >>> 1);
        }
        for (int i = firstFull; i < end; i++) {
          cur[i] += (byte) (((cur[i - bpp] & 0xff) + (prev[i] & 0xff)) >>> 1);
        }
        break;
      case 4:
        for (int i = 1; i < firstFull; i++) {
          cur[i] += prev[i];
        }
        for (int i = firstFull; i < end; i++) {
          cur[i] += (byte) paeth(cur[i - bpp] & 0xff, prev[i] & 0xff, prev[i - bpp] & 0xff);
        }
        break;
      default:
        throw new ImageDecodeException(
            "PNG: unknown filter type " + (cur[0] & 0xff) + " in row " + y);
    }
  }

  /**
   * The Paeth predictor (a if {@code |b - c|} is smallest, then b, then c), without branches: on
   * photographs the choice is close to random, and mispredicted branches cost more than the masks.
   */
  private static int paeth(int a, int b, int c) {
    int pa = Math.abs(b - c);
    int pb = Math.abs(a - c);
    int pc = Math.abs(a + b - c - c);
    int bc = b ^ ((b ^ c) & ((pc - pb) >> 31));
    return a ^ ((a ^ bc) & ((Math.min(pb, pc) - pa) >> 31));
  }

  /** Scanline to RGB for one colour type and bit depth, chosen once per image. */
  private static final class Rows {
    private final int colour;
    private final int depth;
    private final int channels;
    private final byte[] table;

    Rows(int colour, int depth, int channels, byte[] table) {
      this.colour = colour;
      this.depth = depth;
      this.channels = channels;
      this.table = table;
    }

    /**
     * Writes the {@code n} pixels of {@code row[1..]} to {@code out} from {@code o}, {@code step}
     * bytes apart (3, or more for an Adam7 pass).
     */
    void convert(byte[] row, int n, byte[] out, int o, int step) {
      if (table != null) {
        indexed(row, n, out, o, step);
      } else if (depth == 8) {
        if (colour == 0 || colour == 4) {
          grey8(row, n, out, o, step, channels);
        } else if (colour == 2 && step == 3) {
          System.arraycopy(row, 1, out, o, 3 * n);
        } else {
          rgb8(row, n, out, o, step, channels);
        }
      } else if (colour == 0) {
        grey16Clipped(row, n, out, o, step);
      } else if (colour == 4) {
        grey8(row, n, out, o, step, 4);
      } else {
        rgb16(row, n, out, o, step, 2 * channels);
      }
    }

    /**
     * Gives the colour of sample 0 to the pixels after row {@code lastY} of pass {@code pass}: the
     * pixels a decode that stopped there never wrote.
     */
    void fillUnwritten(byte[] out, int w, int h, boolean interlaced, int pass, int lastY) {
      for (int y = 0, o = 0; y < h; y++) {
        for (int x = 0; x < w; x++, o += 3) {
          int p = interlaced ? ADAM7_PASS[y & 7][x & 7] : 0;
          if (p > pass || p == pass && y > lastY) {
            out[o] = table[0];
            out[o + 1] = table[1];
            out[o + 2] = table[2];
          }
        }
      }
    }

    private void indexed(byte[] row, int n, byte[] out, int o, int step) {
      byte[] t = table;
      if (depth == 8) {
        for (int x = 0; x < n; x++, o += step) {
          int k = 3 * (row[x + 1] & 0xff);
          out[o] = t[k];
          out[o + 1] = t[k + 1];
          out[o + 2] = t[k + 2];
        }
        return;
      }
      int perByte = 8 / depth;
      int mask = (1 << depth) - 1;
      for (int x = 0; x < n; x++, o += step) {
        int shift = 8 - depth * (x % perByte + 1);
        int k = 3 * ((row[1 + x / perByte] >> shift) & mask);
        out[o] = t[k];
        out[o + 1] = t[k + 1];
        out[o + 2] = t[k + 2];
      }
    }

    /** Grey from the first byte of each {@code stride}-byte pixel (8-bit L or LA, 16-bit LA). */
    private static void grey8(byte[] row, int n, byte[] out, int o, int step, int stride) {
      for (int x = 0, i = 1; x < n; x++, i += stride, o += step) {
        byte v = row[i];
        out[o] = v;
        out[o + 1] = v;
        out[o + 2] = v;
      }
    }

    private static void grey16Clipped(byte[] row, int n, byte[] out, int o, int step) {
      for (int x = 0, i = 1; x < n; x++, i += 2, o += step) {
        byte v = row[i] != 0 ? (byte) 255 : row[i + 1];
        out[o] = v;
        out[o + 1] = v;
        out[o + 2] = v;
      }
    }

    /** The first three bytes of each {@code stride}-byte pixel (8-bit RGB or RGBA). */
    private static void rgb8(byte[] row, int n, byte[] out, int o, int step, int stride) {
      for (int x = 0, i = 1; x < n; x++, i += stride, o += step) {
        out[o] = row[i];
        out[o + 1] = row[i + 1];
        out[o + 2] = row[i + 2];
      }
    }

    /** The high bytes of the first three samples of each 16-bit RGB or RGBA pixel. */
    private static void rgb16(byte[] row, int n, byte[] out, int o, int step, int stride) {
      for (int x = 0, i = 1; x < n; x++, i += stride, o += step) {
        out[o] = row[i];
        out[o + 1] = row[i + 2];
        out[o + 2] = row[i + 4];
      }
    }
  }
}
