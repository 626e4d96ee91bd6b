package dev.sift.curation.image;

import java.util.Arrays;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The byte side of one {@link PngDecoder} decode: walks the chunks before the image data as Pillow
 * does (CRCs checked, IHDR and PLTE read), then inflates the IDAT chunks one scanline at a time,
 * one chunk after another straight from the input array, and finally skips the chunks after the
 * image data. Unfiltering and pixel conversion are {@link PngDecoder}'s.
 *
 * <p>One instance per decode, not thread-safe. The constructor reads the header and creates no
 * {@link Inflater}; {@link #begin} creates it and {@link #close} ends it.
 */
final class PngStream implements AutoCloseable {
  private static final int IHDR = 0x49484452;
  private static final int PLTE = 0x504c5445;
  private static final int IDAT = 0x49444154;
  private static final int IEND = 0x49454e44;

  private final byte[] png;
  private long width = -1;
  private long height = -1;
  private int depth;
  private int colour = -1;
  private boolean interlaced;
  private byte[] palette;
  private Inflater inflater;

  /** The first IDAT chunk's offset. */
  private final int idat;

  /** Where the next chunk starts; past the end of the file when the file ends in a chunk. */
  private int next = 8;

  /**
   * Reads the chunks up to the first IDAT.
   *
   * @throws ImageDecodeException where Pillow refuses the header, with the reason
   */
  PngStream(byte[] png) throws ImageDecodeException {
    this.png = png;
    this.idat = header();
  }

  long width() {
    return width;
  }

  long height() {
    return height;
  }

  /** The bit depth of a sample. */
  int depth() {
    return depth;
  }

  /** The PNG colour type: 0, 2, 3, 4 or 6. */
  int colour() {
    return colour;
  }

  boolean interlaced() {
    return interlaced;
  }

  /** The PLTE entries, 3 bytes each, of a palette image; null where there was no PLTE. */
  byte[] palette() {
    return palette;
  }

  /** Starts inflating the image data at the first IDAT chunk. */
  void begin() {
    inflater = new Inflater();
    feed(idat);
  }

  /** Whether the zlib stream has ended. */
  boolean finished() {
    return inflater.finished();
  }

  /**
   * Inflates scanline {@code y} (filter byte included) into {@code row[0..length)}, moving on to
   * following IDAT chunks.
   */
  void fill(byte[] row, int length, int y) throws DataFormatException, ImageDecodeException {
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
        feed(next);
      } else if (inflater.needsDictionary()) {
        throw new ImageDecodeException("PNG: zlib stream asks for a preset dictionary");
      } else {
        throw new ImageDecodeException(
            "PNG: image data ends at row " + y + " of " + height + " (truncated)");
      }
    }
  }

  /**
   * Pillow then reads on to IEND, skipping each chunk without checking its CRC, and fails on a
   * chunk whose data the file cuts short; a chunk header that is cut, or not a chunk name, ends the
   * walk quietly.
   */
  void trailer() throws ImageDecodeException {
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

  /** Ends the inflater, if {@link #begin} made one. */
  @Override
  public void close() {
    if (inflater != null) {
      inflater.end();
    }
  }

  /** Samples per pixel of a PNG colour type; 0 for an undefined type. */
  static int channels(int colour) {
    return switch (colour) {
      case 0, 3 -> 1;
      case 2 -> 3;
      case 4 -> 2;
      case 6 -> 4;
      default -> 0;
    };
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
    return width < 0 ? "PNG: no IHDR chunk" : "PNG: colour type and bit depth PNG does not define";
  }

  /**
   * Pillow keeps the last valid colour type and bit depth when a later IHDR has an undefined pair,
   * and never clears the interlace flag; PNG allows one IHDR, so this only matters for agreeing
   * with Pillow on odd files.
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

  /** Hands the IDAT chunk at {@code at} to the inflater, as much of it as the file holds. */
  private void feed(int at) {
    int data = at + 8;
    int length = (int) Math.min(readInt(at) & 0xffffffffL, png.length - data);
    inflater.setInput(png, data, length);
    next = (int) Math.min(png.length, (long) data + length + 4);
  }

  private int readInt(int at) {
    return (png[at] & 0xff) << 24
        | (png[at + 1] & 0xff) << 16
        | (png[at + 2] & 0xff) << 8
        | (png[at + 3] & 0xff);
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
