package dev.sift.curation.webdataset;

import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * The samples of one WebDataset tar shard, read as a stream: a shard is never held whole, only the
 * members of the sample being assembled.
 *
 * <p>WebDataset's grouping rule: a member's key is its path up to the first dot of its last path
 * component and its extension the rest, lower-cased; consecutive members with one key form a
 * sample. Members without a dot in their last component (or with nothing before it), directories,
 * links and other non-regular entries are skipped. Names come from ustar, GNU long-name and PAX
 * headers, decoded as UTF-8 (Python's {@code tarfile} and GNU tar write UTF-8 names).
 *
 * <p>Only the extensions {@code wanted} accepts are read into memory; the others are skipped but
 * still listed in {@link Sample#extensions()}. A second member with an extension the sample already
 * has is skipped and listed in {@link Sample#duplicates()}.
 *
 * <p>A damaged shard (truncated, not a tar archive, a corrupt header, or no end-of-archive marker)
 * makes {@link #hasNext()} or {@link #next()} throw a {@link ShardDamagedException} with the byte
 * offset of the member that could not be read; the iterator is finished after it.
 *
 * <p>Not thread-safe: one thread reads one shard. {@link #close()} closes the stream.
 */
public final class TarSamples implements Iterator<Sample>, Closeable {
  private static final int RECORD = 512;

  private final CountingStream counting;
  private final Tar tar;
  private final Predicate<String> wanted;

  /** An entry read past the end of the previous sample: the first member of the next one. */
  private TarArchiveEntry pending;

  private long pendingStart;
  private Sample next;
  private boolean done;

  /**
   * @param in the shard's bytes from its first byte; buffered by the caller where reads are costly
   * @param wanted which extensions (lower-cased) to read into memory
   */
  public TarSamples(InputStream in, Predicate<String> wanted) {
    this.counting = new CountingStream(in);
    this.tar = new Tar(counting);
    this.wanted = wanted;
  }

  @Override
  public boolean hasNext() {
    if (next == null && !done) {
      next = advance();
    }
    return next != null;
  }

  @Override
  public Sample next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    Sample s = next;
    next = null;
    return s;
  }

  /** Bytes of the shard consumed so far. */
  public long bytesRead() {
    return counting.count;
  }

  @Override
  public void close() throws IOException {
    tar.close();
  }

  private Sample advance() {
    String key = null;
    long start = 0;
    Map<String, byte[]> members = new LinkedHashMap<>();
    Set<String> extensions = new LinkedHashSet<>();
    List<String> duplicates = new ArrayList<>();
    long entryStart = 0;
    String entryName = null;
    try {
      while (true) {
        TarArchiveEntry entry;
        if (pending != null) {
          entry = pending;
          entryStart = pendingStart;
          pending = null;
        } else {
          entryStart = roundUp(counting.count);
          entryName = null;
          entry = tar.getNextEntry();
          if (entry == null) {
            if (!tar.sawEndMarker) {
              throw new IOException(
                  counting.count == 0
                      ? "empty file"
                      : "the archive ends without its end-of-archive blocks (truncated?)");
            }
            done = true;
            return key == null ? null : build(key, members, extensions, duplicates, start);
          }
        }
        entryName = entry.getName();
        if (!isRegular(entry)) {
          skipMember(entry);
          continue;
        }
        String name = entry.getName();
        int slash = name.lastIndexOf('/');
        int dot = name.indexOf('.', slash + 1);
        if (dot <= slash + 1) {
          skipMember(entry);
          continue;
        }
        String k = name.substring(0, dot);
        String ext = name.substring(dot + 1).toLowerCase(Locale.ROOT);
        if (key != null && !key.equals(k)) {
          pending = entry;
          pendingStart = entryStart;
          return build(key, members, extensions, duplicates, start);
        }
        if (key == null) {
          key = k;
          start = entryStart;
        }
        if (!extensions.add(ext)) {
          if (!duplicates.contains(ext)) {
            duplicates.add(ext);
          }
          skipMember(entry);
        } else if (wanted.test(ext)) {
          members.put(ext, readMember(entry));
        } else {
          skipMember(entry);
        }
      }
    } catch (IOException | RuntimeException e) {
      done = true;
      Sample partial = key == null ? null : build(key, members, extensions, duplicates, start);
      String what = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      throw new ShardDamagedException(
          null,
          entryStart,
          (entryName == null ? "" : "member '" + entryName + "': ") + what,
          partial,
          e);
    }
  }

  private byte[] readMember(TarArchiveEntry entry) throws IOException {
    long size = entry.getSize();
    if (size > Integer.MAX_VALUE - 16) {
      throw new IOException("member of " + size + " bytes is over the 2 GiB a member may have");
    }
    byte[] bytes = new byte[(int) size];
    int off = 0;
    while (off < bytes.length) {
      int n = tar.read(bytes, off, bytes.length - off);
      if (n < 0) {
        throw new IOException(
            "truncated: " + off + " of the member's " + size + " bytes are in the shard");
      }
      off += n;
    }
    return bytes;
  }

  /** Consumes a member's data unread, so that the next header's offset is known. */
  private void skipMember(TarArchiveEntry entry) throws IOException {
    long left = entry.getSize();
    while (left > 0) {
      long n = tar.skip(left);
      if (n <= 0) {
        if (tar.read() < 0) {
          throw new IOException(
              "truncated: the member's last "
                  + left
                  + " of "
                  + entry.getSize()
                  + " bytes are missing");
        }
        n = 1;
      }
      left -= n;
    }
  }

  /** Regular files only: ustar's '0', the old '\0' and contiguous '7'; links are not members. */
  private static boolean isRegular(TarArchiveEntry entry) {
    byte flag = entry.getLinkFlag();
    return (flag == TarArchiveEntry.LF_NORMAL
            || flag == TarArchiveEntry.LF_OLDNORM
            || flag == TarArchiveEntry.LF_CONTIG)
        && !entry.getName().endsWith("/");
  }

  private static Sample build(
      String key,
      Map<String, byte[]> members,
      Set<String> extensions,
      List<String> duplicates,
      long start) {
    return new Sample(
        key,
        Collections.unmodifiableMap(members),
        Collections.unmodifiableSet(extensions),
        List.copyOf(duplicates),
        start);
  }

  private static long roundUp(long n) {
    return (n + RECORD - 1) / RECORD * RECORD;
  }

  /** Commons Compress's reader, noting whether the end-of-archive marker was reached. */
  private static final class Tar extends TarArchiveInputStream {
    boolean sawEndMarker;

    Tar(InputStream in) {
      super(in, StandardCharsets.UTF_8.name());
    }

    @Override
    protected boolean isEOFRecord(byte[] record) {
      boolean eof = super.isEOFRecord(record);
      sawEndMarker |= eof && record != null;
      return eof;
    }
  }

  /** Counts the bytes the tar parser takes, for damage offsets. */
  private static final class CountingStream extends FilterInputStream {
    long count;

    CountingStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      if (n > 0) {
        count += n;
      }
      return n;
    }

    @Override
    public long skip(long n) throws IOException {
      long s = in.skip(n);
      if (s > 0) {
        count += s;
      }
      return s;
    }
  }
}
