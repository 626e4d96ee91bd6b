package dev.sift.curation.webdataset;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * A small streaming tar parser, just what WebDataset shards need, written for speed on archives of
 * many small members: one reusable buffer over the caller's stream, no per-byte virtual calls, no
 * allocation per header other than the member's name.
 *
 * <p>What it reads: 512-byte headers whose checksum must match (unsigned or, as old writers did,
 * signed sum); ustar names with their {@code prefix} (POSIX magic only; GNU headers use that field
 * for times); sizes in octal or GNU base-256; GNU long names ({@code L}, the next entry's name; the
 * long link name {@code K} is skipped); PAX extended headers ({@code x}, and Solaris {@code X}), of
 * which the {@code path} and {@code size} records apply to the next entry; PAX global headers
 * ({@code g}) are skipped. Every other entry is returned with its type flag for the caller to skip.
 * An all-zero block ends the archive (tar writes two; GNU tar and Commons Compress accept a lone
 * one, and so does this reader); a stream that ends before it is damage.
 *
 * <p>Errors are {@link IOException}s; the caller knows the offset of the header it asked for.
 *
 * <p>Not thread-safe: one thread reads one archive. {@link #close()} closes the stream.
 */
final class TarReader implements Closeable {
  static final int BLOCK = 512;
  private static final int BUFFER = 1 << 16;
  private static final int NAME = 0;
  private static final int SIZE = 124;
  private static final int CHECKSUM = 148;
  private static final int TYPE = 156;
  private static final int MAGIC = 257;
  private static final int PREFIX = 345;

  private final InputStream in;
  private final byte[] buf = new byte[BUFFER];
  private int pos;
  private int limit;

  /** Stream offset of {@code buf[0]}. */
  private long bufStart;

  /** Reused for names and for GNU long-name and PAX header bodies. */
  private byte[] scratch = new byte[1024];

  private String name;
  private long size;
  private byte type;
  private long remaining;
  private boolean sawEndMarker;

  TarReader(InputStream in) {
    this.in = in;
  }

  /** Bytes of the archive consumed so far: headers, the bodies read or skipped, padding. */
  long position() {
    return bufStart + pos;
  }

  /** The current entry's name (PAX and GNU long names applied). */
  String name() {
    return name;
  }

  /** The current entry's size in bytes. */
  long size() {
    return size;
  }

  /** The current entry's type flag: '0' or '\0' for a regular file. */
  byte type() {
    return type;
  }

  /** Whether the archive ended with an end-of-archive block (after {@link #next()} was false). */
  boolean sawEndMarker() {
    return sawEndMarker;
  }

  /**
   * Moves to the next entry, skipping what is left of the current one and its padding.
   *
   * @return false at the end of the archive: at its end-of-archive block, or where the stream ends
   *     at or inside a header ({@link #sawEndMarker()} tells the two apart)
   * @throws IOException a corrupt header, or a stream ending inside a meta entry's body
   */
  boolean next() throws IOException {
    skipBody();
    String longName = null;
    String paxPath = null;
    long paxSize = -1;
    while (true) {
      if (!skipExactly(padding(position())) || available(BLOCK) < BLOCK) {
        return false;
      }
      int h = pos;
      int sum = 0;
      int signed = 0;
      for (int i = h; i < h + BLOCK; i++) {
        sum += buf[i] & 0xff;
        signed += buf[i];
      }
      int field = 0;
      int signedField = 0;
      for (int i = h + CHECKSUM; i < h + CHECKSUM + 8; i++) {
        field += buf[i] & 0xff;
        signedField += buf[i];
      }
      if (sum == 0) {
        pos += BLOCK;
        sawEndMarker = true;
        return false;
      }
      long stored = parseOctal(h + CHECKSUM, 8, "checksum");
      sum += 8 * ' ' - field;
      signed += 8 * ' ' - signedField;
      if (stored != sum && stored != signed) {
        throw new IOException(
            "corrupt header: checksum " + stored + " does not match the header's sum " + sum);
      }
      type = buf[h + TYPE];
      size = parseSize(h + SIZE);
      String headerName = type == 'L' || type == 'x' || type == 'X' || type == 'g' ? null : name(h);
      pos += BLOCK;
      switch (type) {
        case 'L' -> longName = readMeta(true);
        case 'x', 'X' -> {
          readMeta(false);
          paxPath = null;
          paxSize = -1;
          int n = (int) size;
          int at = 0;
          while (at < n) {
            int sp = at;
            int len = 0;
            while (sp < n && scratch[sp] >= '0' && scratch[sp] <= '9' && len < 1 << 24) {
              len = len * 10 + scratch[sp++] - '0';
            }
            int end = at + len;
            if (sp == at || sp >= n || scratch[sp] != ' ' || end > n || scratch[end - 1] != '\n') {
              throw new IOException("corrupt PAX header: bad record at byte " + at);
            }
            int eq = sp + 1;
            while (eq < end && scratch[eq] != '=') {
              eq++;
            }
            if (eq == end) {
              throw new IOException("corrupt PAX header: record without '=' at byte " + at);
            }
            String key = new String(scratch, sp + 1, eq - sp - 1, StandardCharsets.UTF_8);
            if (key.equals("path")) {
              paxPath = new String(scratch, eq + 1, end - 1 - eq - 1, StandardCharsets.UTF_8);
            } else if (key.equals("size")) {
              String v = new String(scratch, eq + 1, end - 1 - eq - 1, StandardCharsets.US_ASCII);
              try {
                paxSize = Long.parseLong(v);
              } catch (NumberFormatException e) {
                throw new IOException("corrupt PAX header: size '" + v + "'", e);
              }
              if (paxSize < 0) {
                throw new IOException("corrupt PAX header: size " + paxSize);
              }
            }
            at = end;
          }
        }
        case 'g', 'K' -> {
          remaining = size;
          skipBody();
        }
        default -> {
          name = paxPath != null ? paxPath : longName != null ? longName : headerName;
          if (paxSize >= 0) {
            size = paxSize;
          }
          remaining = size;
          return true;
        }
      }
    }
  }

  /**
   * Reads the rest of the current entry's body into {@code dst} (whose length is the entry's size).
   */
  void readBody(byte[] dst) throws IOException {
    int off = 0;
    int len = dst.length;
    while (off < len) {
      int have = limit - pos;
      if (have == 0) {
        if (len - off >= BUFFER / 2) {
          int n = in.read(dst, off, len - off);
          if (n < 0) {
            throw truncated(off);
          }
          bufStart += n;
          off += n;
          continue;
        }
        if (!refill()) {
          throw truncated(off);
        }
        have = limit - pos;
      }
      int n = Math.min(have, len - off);
      System.arraycopy(buf, pos, dst, off, n);
      pos += n;
      off += n;
    }
    remaining = 0;
  }

  /** Consumes what is left of the current entry's body unread. */
  void skipBody() throws IOException {
    if (remaining > 0 && !skipExactly(remaining)) {
      throw new IOException(
          "Truncated TAR archive: the member's last bytes of "
              + size
              + " are missing at byte "
              + position());
    }
    remaining = 0;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }

  private IOException truncated(int off) {
    return new IOException(
        "Truncated TAR archive: " + off + " of the member's " + size + " bytes are in the shard");
  }

  /** Reads a GNU long name or a PAX header body into {@link #scratch}; a name is decoded. */
  private String readMeta(boolean asName) throws IOException {
    if (size > 1 << 24) {
      throw new IOException("meta entry of " + size + " bytes (over 16 MiB)");
    }
    int n = (int) size;
    if (scratch.length < n) {
      scratch = new byte[Math.max(n, scratch.length * 2)];
    }
    remaining = size;
    int off = 0;
    while (off < n) {
      if (pos == limit && !refill()) {
        throw new IOException("Truncated TAR archive: inside a long-name or PAX header");
      }
      int k = Math.min(limit - pos, n - off);
      System.arraycopy(buf, pos, scratch, off, k);
      pos += k;
      off += k;
    }
    remaining = 0;
    if (!asName) {
      return null;
    }
    int end = 0;
    while (end < n && scratch[end] != 0) {
      end++;
    }
    return new String(scratch, 0, end, StandardCharsets.UTF_8);
  }

  /** The ustar name of the header at {@code h}, with its prefix where the header is POSIX. */
  private String name(int h) {
    int nameLen = fieldLength(h + NAME, 100);
    boolean posix =
        buf[h + MAGIC] == 'u'
            && buf[h + MAGIC + 1] == 's'
            && buf[h + MAGIC + 2] == 't'
            && buf[h + MAGIC + 3] == 'a'
            && buf[h + MAGIC + 4] == 'r'
            && buf[h + MAGIC + 5] == 0;
    int prefixLen = posix ? fieldLength(h + PREFIX, 155) : 0;
    if (prefixLen == 0) {
      return new String(buf, h + NAME, nameLen, StandardCharsets.UTF_8);
    }
    System.arraycopy(buf, h + PREFIX, scratch, 0, prefixLen);
    scratch[prefixLen] = '/';
    System.arraycopy(buf, h + NAME, scratch, prefixLen + 1, nameLen);
    return new String(scratch, 0, prefixLen + 1 + nameLen, StandardCharsets.UTF_8);
  }

  private int fieldLength(int at, int max) {
    int n = 0;
    while (n < max && buf[at + n] != 0) {
      n++;
    }
    return n;
  }

  /** The 12-byte size field: octal, or GNU base-256 when its first byte has the high bit. */
  private long parseSize(int at) throws IOException {
    if ((buf[at] & 0x80) == 0) {
      return parseOctal(at, 12, "size");
    }
    if (buf[at] == (byte) 0xff) {
      throw new IOException("corrupt header: negative base-256 size");
    }
    long v = buf[at] & 0x7f;
    for (int i = at + 1; i < at + 12; i++) {
      if ((v >>> 55) != 0) {
        throw new IOException("corrupt header: base-256 size over 2^63");
      }
      v = (v << 8) | (buf[i] & 0xff);
    }
    return v;
  }

  /** An octal field: leading spaces, digits, then spaces or NULs; all NULs is zero. */
  private long parseOctal(int at, int len, String what) throws IOException {
    int i = at;
    int end = at + len;
    while (i < end && buf[i] == ' ') {
      i++;
    }
    while (end > i && (buf[end - 1] == ' ' || buf[end - 1] == 0)) {
      end--;
    }
    long v = 0;
    for (; i < end; i++) {
      int d = buf[i] - '0';
      if (d < 0 || d > 7) {
        throw new IOException("corrupt header: the " + what + " field is not octal");
      }
      v = (v << 3) | d;
    }
    return v;
  }

  private static long padding(long position) {
    return -position & (BLOCK - 1);
  }

  /**
   * At least {@code n} (at most {@link #BUFFER}) bytes from {@code pos} in the buffer, or fewer
   * where the stream ends first; returns how many there are.
   */
  private int available(int n) throws IOException {
    while (limit - pos < n) {
      if (!refill()) {
        break;
      }
    }
    return limit - pos;
  }

  /** Reads more of the stream into the buffer, keeping its unread bytes; false at its end. */
  private boolean refill() throws IOException {
    if (pos > 0) {
      int left = limit - pos;
      System.arraycopy(buf, pos, buf, 0, left);
      bufStart += pos;
      pos = 0;
      limit = left;
    }
    int n = in.read(buf, limit, buf.length - limit);
    if (n == 0) {
      // A stream that returned nothing without ending: one byte at a time tells which it is.
      int b = in.read();
      if (b < 0) {
        return false;
      }
      buf[limit++] = (byte) b;
      return true;
    }
    if (n < 0) {
      return false;
    }
    limit += n;
    return true;
  }

  /** Skips {@code n} bytes; false where the stream ends first. */
  private boolean skipExactly(long n) throws IOException {
    long left = n;
    int inBuf = (int) Math.min(left, limit - pos);
    pos += inBuf;
    left -= inBuf;
    if (left == 0) {
      return true;
    }
    // Large skips go to the stream (it may seek); small ones refill, which also notices the end
    // of a stream whose skip would run past it (FileInputStream's does).
    if (left > 4L * BUFFER) {
      bufStart += pos;
      pos = 0;
      limit = 0;
      long keep = BUFFER;
      while (left > keep) {
        long s = in.skip(left - keep);
        if (s <= 0) {
          break;
        }
        bufStart += s;
        left -= s;
      }
    }
    while (left > 0) {
      if (pos == limit && !refill()) {
        return false;
      }
      int k = (int) Math.min(left, limit - pos);
      pos += k;
      left -= k;
    }
    return true;
  }
}
