package dev.sift.curation.image;

import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * PNG straight to 8-bit RGB, with the pixels and the accept/reject decisions of Pillow's {@code
 * Image.open(f).convert("RGB")} (Pillow 9.4, whose PNG plugin the golden files were made with; see
 * {@code scripts/reference/png_golden.py}). ImageIO's PNG reader and a generic raster walk were the
 * slow part of decoding PNGs; here the IDAT chunks are inflated one after another straight from the
 * input array, each scanline is unfiltered in place and converted into the output array.
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
 * <p>Stateless and thread-safe: every call has its own {@link Inflater}, ended before it returns.
 */
final class PngDecoder {
  private static final int IHDR = 0x49484452;
  private static final int PLTE = 0x504c5445;
  private static final int IDAT = 0x49444154;
  private static final int IEND = 0x49454e44;

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
    try {
      return new Reader(png).read(maxPixels);
    } catch (DataFormatException e) {
      String why = e.getMessage() == null ? "" : ": " + e.getMessage();
      throw new ImageDecodeException("PNG: broken zlib data in IDAT" + why, e);
    } catch (RuntimeException e) {
      // Not expected (every length is checked), but hostile bytes must end as this row's error.
      throw new ImageDecodeException("PNG: " + ImageErrors.describe(e), e);
    }
  }

  /** One decode: the chunk walk, the header, the palette and the inflater's input position. */
  private static final class Reader {
    private final byte[] png;
    private long width = -1;
    private long height = -1;
    private int depth;
    private int colour = -1;
    private boolean interlaced;
    private byte[] palette;

    /** Where the next chunk starts; past the end of the file when the file ends in a chunk. */
    private int next = 8;

    Reader(byte[] png) {
      this.png = png;
    }

    RgbImage read(long maxPixels) throws ImageDecodeException, DataFormatException {
      int idat = header();
      if (width <= 0 || height <= 0 || width > maxPixels / height) {
        throw new ImageDecodeException(
            "image size " + width + "x" + height + " outside 1.." + maxPixels + " pixels");
      }
      int channels = channels(colour);
      long rowBytes = (width * channels * depth + 7) / 8;
      if (3 * width * height > Integer.MAX_VALUE - 8 || rowBytes > Integer.MAX_VALUE - 8) {
        throw new ImageDecodeException("PNG: " + width + "x" + height + " too large for one array");
      }
      int w = (int) width;
      int h = (int) height;
      byte[] out = new byte[3 * w * h];
      Rows rows = new Rows(colour, depth, channels, lookup());
      Inflater inflater = new Inflater();
      try {
        feed(inflater, idat);
        int bpp = Math.max(1, channels * depth / 8);
        byte[] cur = new byte[(int) rowBytes + 1];
        byte[] prev = new byte[(int) rowBytes + 1];
        int[][] passes = interlaced ? ADAM7 : WHOLE;
        rows:
        for (int p = 0; p < passes.length; p++) {
          int[] pass = passes[p];
          int passWidth = (w - pass[0] + pass[2] - 1) / pass[2];
          int passHeight = (h - pass[1] + pass[3] - 1) / pass[3];
          if (passWidth <= 0 || passHeight <= 0) {
            continue;
          }
          int length = (int) (((long) passWidth * channels * depth + 7) / 8);
          Arrays.fill(prev, 0, length + 1, (byte) 0);
          for (int y = pass[1]; y < h; y += pass[3]) {
            fill(inflater, cur, length + 1, y);
            unfilter(cur, prev, length, bpp, y);
            rows.convert(cur, passWidth, out, 3 * (y * w + pass[0]), 3 * pass[2]);
            if (inflater.finished()) {
              // Pillow stops where the zlib stream ends with a row; the rest stays sample 0,
              // black but for a palette whose first colour is not.
              if (colour == 3 && !isLastRow(w, h, p, y)) {
                rows.fillUnwritten(out, w, h, interlaced, p, y);
              }
              break rows;
            }
            byte[] swap = prev;
            prev = cur;
            cur = swap;
          }
        }
      } finally {
        inflater.end();
      }
      trailer();
      return new RgbImage(w, h, out);
    }

    /** Whether row {@code y} of pass {@code p} is the last row of image data. */
    private boolean isLastRow(int w, int h, int p, int y) {
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
     * Pillow then reads on to IEND, skipping each chunk without checking its CRC, and fails on a
     * chunk whose data the file cuts short; a chunk header that is cut, or not a chunk name, ends
     * the walk quietly.
     */
    private void trailer() throws ImageDecodeException {
      while (next <= png.length - 8) {
        int type = readInt(next + 4);
        if (type == IEND || !isChunkName(type)) {
          return;
        }
        long length = readInt(next) & 0xffffffffL;
        if (length > png.length - next - 8) {
          throw new ImageDecodeException(
              "PNG: file ends inside chunk " + name(type) + " after the image data");
        }
        next += 12 + (int) length;
      }
    }

    /**
     * Reads the chunks before the first IDAT as Pillow does (CRCs checked, IHDR and PLTE taken in
     * order of appearance) and returns the first IDAT's offset.
     */
    private int header() throws ImageDecodeException {
      CRC32 crc = new CRC32();
      while (true) {
        if (next > png.length - 8) {
          throw new ImageDecodeException(
              colour < 0 ? noMode() : "PNG: file ends before any image data (IDAT)");
        }
        int length = readInt(next);
        int type = readInt(next + 4);
        if (!isChunkName(type)) {
          throw new ImageDecodeException("PNG: broken chunk name at byte " + next);
        }
        if (type == IDAT) {
          if (colour < 0) {
            throw new ImageDecodeException(noMode());
          }
          return next;
        }
        int data = next + 8;
        if (length < 0 || length > png.length - data - 4) {
          throw new ImageDecodeException("PNG: file ends inside chunk " + name(type));
        }
        crc.reset();
        crc.update(png, next + 4, length + 4);
        if ((int) crc.getValue() != readInt(data + length)) {
          throw new ImageDecodeException("PNG: bad CRC in chunk " + name(type));
        }
        if (type == IHDR) {
          ihdr(data, length);
        } else if (type == PLTE && colour == 3) {
          if (length / 3 > 256) {
            throw new ImageDecodeException("PNG: palette of " + length / 3 + " colours, over 256");
          }
          palette = Arrays.copyOfRange(png, data, data + length / 3 * 3);
        }
        next = data + length + 4;
      }
    }

    private String noMode() {
      return width < 0
          ? "PNG: no IHDR chunk"
          : "PNG: colour type and bit depth PNG does not define";
    }

    /**
     * Pillow keeps the last valid colour type and bit depth when a later IHDR has an undefined
     * pair, and never clears the interlace flag; PNG allows one IHDR, so this only matters for
     * agreeing with Pillow on odd files.
     */
    private void ihdr(int at, int length) throws ImageDecodeException {
      if (length < 13) {
        throw new ImageDecodeException("PNG: IHDR chunk of " + length + " bytes, not 13");
      }
      width = readInt(at) & 0xffffffffL;
      height = readInt(at + 4) & 0xffffffffL;
      int d = png[at + 8] & 0xff;
      int c = png[at + 9] & 0xff;
      if (channels(c) > 0 && isDepth(c, d)) {
        depth = d;
        colour = c;
      }
      interlaced |= png[at + 12] != 0;
      if (png[at + 11] != 0) {
        throw new ImageDecodeException("PNG: unknown filter method " + (png[at + 11] & 0xff));
      }
    }

    /**
     * The colour of each sample value: the palette over Pillow's grey ramp, or for 1-, 2- and 4-bit
     * grey the value scaled to 0..255; null where samples are converted directly.
     */
    private byte[] lookup() {
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

    /** Hands the IDAT chunk at {@code at} to the inflater, as much of it as the file holds. */
    private void feed(Inflater inflater, int at) {
      int data = at + 8;
      int length = (int) Math.min(readInt(at) & 0xffffffffL, png.length - data);
      inflater.setInput(png, data, length);
      next = (int) Math.min(png.length, (long) data + length + 4);
    }

    /** Inflates one scanline (filter byte included), moving on to following IDAT chunks. */
    private void fill(Inflater inflater, byte[] row, int length, int y)
        throws DataFormatException, ImageDecodeException {
      int done = 0;
      while (done < length) {
        int n = inflater.inflate(row, done, length - done);
        done += n;
        if (n > 0 || done == length) {
          continue;
        }
        if (inflater.finished()) {
          throw new ImageDecodeException(
              "PNG: image data ends inside row " + y + " of " + height + " (truncated)");
        } else if (inflater.needsInput() && next <= png.length - 8 && readInt(next + 4) == IDAT) {
          feed(inflater, next);
        } else if (inflater.needsDictionary()) {
          throw new ImageDecodeException("PNG: zlib stream asks for a preset dictionary");
        } else {
          throw new ImageDecodeException(
              "PNG: image data ends at row " + y + " of " + height + " (truncated)");
        }
      }
    }

    private int readInt(int at) {
      return (png[at] & 0xff) << 24
          | (png[at + 1] & 0xff) << 16
          | (png[at + 2] & 0xff) << 8
          | (png[at + 3] & 0xff);
    }
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

  /** Samples per pixel of a PNG colour type; 0 for an undefined type. */
  private static int channels(int colour) {
    return switch (colour) {
      case 0, 3 -> 1;
      case 2 -> 3;
      case 4 -> 2;
      case 6 -> 4;
      default -> 0;
    };
  }

  /** The bit depths PNG defines for each colour type, the pairs Pillow opens. */
  private static boolean isDepth(int colour, int depth) {
    return switch (colour) {
      case 0 -> depth == 1 || depth == 2 || depth == 4 || depth == 8 || depth == 16;
      case 3 -> depth == 1 || depth == 2 || depth == 4 || depth == 8;
      default -> depth == 8 || depth == 16;
    };
  }

  /** Pillow's test: four ASCII letters, digits or underscores. */
  private static boolean isChunkName(int type) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      int c = (type >>> shift) & 0xff;
      if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_')) {
        return false;
      }
    }
    return true;
  }

  private static String name(int type) {
    return new String(
        new char[] {
          (char) (type >>> 24),
          (char) (type >>> 16 & 0xff),
          (char) (type >>> 8 & 0xff),
          (char) (type & 0xff)
        });
  }
}
