package dev.sift.curation.webdataset;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Writes one WebDataset shard: samples as consecutive tar members {@code KEY.EXT}, in the order
 * given. Every member is a regular file with mode 0644, modification time 0 (1970-01-01), uid and
 * gid 0 and empty owner names, so the same samples give byte-identical shards. Names longer than
 * 100 bytes or not ASCII get a PAX header ({@code path}, UTF-8), which Python {@code tarfile}, GNU
 * tar and WebDataset read.
 *
 * <p>One instance per shard, used by one thread; {@link #close} finishes the archive (the two zero
 * blocks) and closes the stream it was given.
 */
public final class ShardWriter implements AutoCloseable {
  private static final FileTime EPOCH = FileTime.from(Instant.EPOCH);

  private final TarArchiveOutputStream tar;
  private long samples;

  public ShardWriter(OutputStream out) {
    this.tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    tar.setAddPaxHeadersForNonAsciiNames(true);
  }

  /** Writes one member {@code key.extension}; a null body writes nothing. */
  public void member(String key, String extension, byte[] body) throws IOException {
    if (body == null) {
      return;
    }
    TarArchiveEntry entry = new TarArchiveEntry(key + "." + extension, true);
    entry.setSize(body.length);
    entry.setMode(0644);
    entry.setLastModifiedTime(EPOCH);
    entry.setUserId(0);
    entry.setGroupId(0);
    entry.setUserName("");
    entry.setGroupName("");
    tar.putArchiveEntry(entry);
    tar.write(body);
    tar.closeArchiveEntry();
  }

  /** Counts a finished sample (for the caller's statistics). */
  public void endSample() {
    samples++;
  }

  /** Samples counted by {@link #endSample}. */
  public long samples() {
    return samples;
  }

  /** Bytes written so far, headers and padding included. */
  public long bytes() {
    return tar.getBytesWritten();
  }

  @Override
  public void close() throws IOException {
    tar.finish();
    tar.close();
  }
}
