package dev.sift.curation.webdataset;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
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
 * <p>The tar format is parsed by {@link TarReader} (ustar, GNU long names, GNU base-256 sizes, PAX
 * {@code path} and {@code size}), not Commons Compress, whose per-header cost made this reader a
 * third of GNU tar's speed on shards of small members.
 *
 * <p>Not thread-safe: one thread reads one shard. {@link #close()} closes the stream.
 */
public final class TarSamples implements Iterator<Sample>, Closeable {
  private final TarReader tar;
  private final Predicate<String> wanted;

  /** The reader's current entry was read past the end of the previous sample: the next's first. */
  private boolean pending;

  private long pendingStart;
  private Sample next;
  private boolean done;

  /**
   * @param in the shard's bytes from its first byte; read in 64 KiB blocks, so a caller's own
   *     buffer is optional
   * @param wanted which extensions (lower-cased) to read into memory
   */
  public TarSamples(InputStream in, Predicate<String> wanted) {
    this.tar = new TarReader(in);
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
    return tar.position();
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
        if (pending) {
          entryStart = pendingStart;
          pending = false;
        } else {
          entryStart = roundUp(tar.position());
          entryName = null;
          if (!tar.next()) {
            if (!tar.sawEndMarker()) {
              throw new IOException(
                  tar.position() == 0
                      ? "empty file"
                      : "the archive ends without its end-of-archive blocks (truncated?)");
            }
            done = true;
            return key == null ? null : build(key, members, extensions, duplicates, start);
          }
        }
        String name = tar.name();
        entryName = name;
        if (!isRegular(tar.type()) || name.endsWith("/")) {
          tar.skipBody();
          continue;
        }
        int slash = name.lastIndexOf('/');
        int dot = name.indexOf('.', slash + 1);
        if (dot <= slash + 1) {
          tar.skipBody();
          continue;
        }
        if (key != null && !(dot == key.length() && name.startsWith(key))) {
          pending = true;
          pendingStart = entryStart;
          return build(key, members, extensions, duplicates, start);
        }
        if (key == null) {
          key = name.substring(0, dot);
          start = entryStart;
        }
        String ext = name.substring(dot + 1).toLowerCase(Locale.ROOT);
        if (!extensions.add(ext)) {
          if (!duplicates.contains(ext)) {
            duplicates.add(ext);
          }
          tar.skipBody();
        } else if (wanted.test(ext)) {
          members.put(ext, readMember());
        } else {
          tar.skipBody();
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

  private byte[] readMember() throws IOException {
    long size = tar.size();
    if (size > Integer.MAX_VALUE - 16) {
      throw new IOException("member of " + size + " bytes is over the 2 GiB a member may have");
    }
    byte[] bytes = new byte[(int) size];
    tar.readBody(bytes);
    return bytes;
  }

  /** Regular files only: ustar's '0', the old '\0' and contiguous '7'; links are not members. */
  private static boolean isRegular(byte type) {
    return type == '0' || type == 0 || type == '7';
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
    return (n + TarReader.BLOCK - 1) / TarReader.BLOCK * TarReader.BLOCK;
  }
}
