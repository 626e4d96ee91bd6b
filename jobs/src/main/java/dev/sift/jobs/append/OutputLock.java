package dev.sift.jobs.append;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sift.jobs.SiftUserException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One writer at a time: the {@code _LOCK} file of an output directory, naming the run that holds it
 * (run id, host, pid, start time, command).
 *
 * <p>Taking it is one exclusive create: on the local file system {@code O_CREAT|O_EXCL}, on HDFS
 * the NameNode's create without overwrite. Object stores (s3a and others) have no exclusive create:
 * the lock is written, read back after {@code settle}, and kept only if it still names this run;
 * two runs whose checks and writes interleave within {@code settle} can both lose (each sees the
 * other's), never both win, unless a run stalls for longer than {@code settle} between its
 * existence check and its write (docs/scheduled-runs.md says so).
 *
 * <p>A lock whose holder is provably dead (this host, and no process with its pid started before
 * the lock was taken) is taken over with a WARN; any other lock is refused with a message naming
 * the holder, its age, and {@code sift unlock}, which {@link #breakLock breaks} it.
 *
 * <p>Driver-side; one per run.
 */
public final class OutputLock implements AutoCloseable {
  public static final String FILE = "_LOCK";
  private static final Logger LOG = LoggerFactory.getLogger(OutputLock.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** An unreadable lock younger than this is one being written, not one left by a crash. */
  private static final Duration BEING_WRITTEN = Duration.ofMinutes(1);

  /** Who holds a lock. {@code runId} is null when the file could not be read as a lock. */
  public record Holder(
      String runId, String host, long pid, Instant startedAt, String command, Instant written) {

    /** How long the lock has been held, for messages. */
    Duration age(Instant now) {
      Instant since = startedAt != null ? startedAt : written;
      return since == null ? Duration.ZERO : Duration.between(since, now);
    }

    public String describe() {
      if (runId == null) {
        return "an unreadable lock file (a run that died while taking it?)";
      }
      return String.format(
          "run %s (sift %s) on host %s, pid %d, since %s", runId, command, host, pid, startedAt);
    }
  }

  private final FileSystem fs;
  private final Path file;
  private final Holder me;
  private final boolean createdRoot;
  private boolean held = true;

  private OutputLock(FileSystem fs, Path file, Holder me, boolean createdRoot) {
    this.fs = fs;
    this.file = file;
    this.me = me;
    this.createdRoot = createdRoot;
  }

  /** The lock file of an output directory. */
  public static Path path(Path root) {
    return new Path(root, FILE);
  }

  /**
   * Takes the lock of {@code root} (creating the directory), taking over a dead holder's.
   *
   * @param settle how long an object store's lock is left before it is read back
   * @throws SiftUserException naming the holder when another run holds it
   */
  public static OutputLock acquire(
      FileSystem fs, Path root, String runId, String command, Duration settle) {
    Path file = path(root);
    Holder me =
        new Holder(
            runId,
            localHost(),
            ProcessHandle.current().pid(),
            Instant.now(),
            command,
            Instant.now());
    try {
      boolean createdRoot = !fs.exists(root);
      fs.mkdirs(root);
      for (int attempt = 0; attempt < 3; attempt++) {
        Optional<Holder> existing = read(fs, file);
        if (existing.isPresent()) {
          Holder h = existing.get();
          if (!provablyDead(h)) {
            throw new SiftUserException(heldMessage(fs, root, h));
          }
          LOG.warn(
              "taking over the lock of {}: its holder, {}, is gone (no such process on this host)",
              fs.makeQualified(root),
              h.describe());
          if (!removeIfSame(fs, file, h)) {
            continue; // someone else took it over first: look again
          }
        }
        if (create(fs, file, me, settle)) {
          LOG.info("locked {} for run {}", fs.makeQualified(root), runId);
          return new OutputLock(fs, file, me, createdRoot);
        }
      }
      Holder winner = read(fs, file).orElse(null);
      throw new SiftUserException(
          winner == null
              ? "could not lock output " + fs.makeQualified(root) + ": another run is taking it"
              : heldMessage(fs, root, winner));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock output " + fs.makeQualified(root), e);
    }
  }

  /** The run holding this lock. */
  public Holder holder() {
    return me;
  }

  /** Releases the lock if it still names this run (a lock broken and re-taken is not removed). */
  @Override
  public void close() {
    if (!held) {
      return;
    }
    held = false;
    try {
      Optional<Holder> now = read(fs, file);
      if (now.isPresent() && me.runId().equals(now.get().runId())) {
        fs.delete(file, false);
        // A run that failed before writing anything leaves no empty directory it made.
        Path root = file.getParent();
        if (createdRoot && fs.listStatus(root).length == 0) {
          fs.delete(root, false);
        }
      } else {
        LOG.warn("the lock {} no longer names run {}; left as it is", file, me.runId());
      }
    } catch (IOException e) {
      LOG.warn("could not release the lock {}: {}", file, e.toString());
    }
  }

  /**
   * Removes the lock of {@code root}, whoever holds it ({@code sift unlock}).
   *
   * @return the holder it named, if there was a lock
   */
  public static Optional<Holder> breakLock(FileSystem fs, Path root) throws IOException {
    Path file = path(root);
    Optional<Holder> h = read(fs, file);
    if (h.isPresent()) {
      fs.delete(file, false);
    }
    return h;
  }

  /**
   * The holder named by a lock file; empty when there is none. A read that fails is tried twice
   * more: on an object store, a lock another run replaces between this read's metadata request and
   * its data request fails the read (S3A's RemoteFileChangedException, HTTP 412), and the next read
   * sees the new holder.
   */
  public static Optional<Holder> read(FileSystem fs, Path file) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return readOnce(fs, file);
      } catch (IOException e) {
        if (attempt == 3) {
          throw e;
        }
        LOG.info("reading the lock {} failed ({}); reading it again", file, e.toString());
        try {
          Thread.sleep(100L * attempt);
        } catch (InterruptedException i) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted while reading the lock " + file, i);
        }
      }
    }
  }

  private static Optional<Holder> readOnce(FileSystem fs, Path file) throws IOException {
    FileStatus status;
    try {
      status = fs.getFileStatus(file);
    } catch (FileNotFoundException e) {
      return Optional.empty();
    }
    Instant written = Instant.ofEpochMilli(status.getModificationTime());
    byte[] bytes;
    try (InputStream in = fs.open(file)) {
      bytes = in.readAllBytes();
    } catch (FileNotFoundException e) {
      return Optional.empty();
    }
    try {
      JsonNode n = JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
      if (n == null || !n.hasNonNull("run_id")) {
        return Optional.of(new Holder(null, null, -1, null, null, written));
      }
      return Optional.of(
          new Holder(
              n.get("run_id").asText(),
              n.path("host").asText(null),
              n.path("pid").asLong(-1),
              n.hasNonNull("started_at") ? Instant.parse(n.get("started_at").asText()) : null,
              n.path("command").asText(null),
              written));
    } catch (IOException | RuntimeException e) {
      return Optional.of(new Holder(null, null, -1, null, null, written));
    }
  }

  /**
   * Whether a holder is certainly gone: it ran on this host, and no process with its pid exists
   * now, or the one that does started after the lock was taken (the pid was reused).
   */
  static boolean provablyDead(Holder h) {
    if (h.runId() == null || h.host() == null || !h.host().equals(localHost()) || h.pid() <= 0) {
      return false;
    }
    Optional<ProcessHandle> p = ProcessHandle.of(h.pid());
    if (p.isEmpty() || !p.get().isAlive()) {
      return true;
    }
    Optional<Instant> started = p.get().info().startInstant();
    return h.startedAt() != null
        && started.isPresent()
        && started.get().isAfter(h.startedAt().plusSeconds(1));
  }

  private static String heldMessage(FileSystem fs, Path root, Holder h) {
    Duration age = h.age(Instant.now());
    if (h.runId() == null && age.compareTo(BEING_WRITTEN) < 0) {
      // HDFS shows a file being written before its content: another run is taking the lock now.
      return "output "
          + fs.makeQualified(root)
          + " is being locked by another sift run right now (its lock file is "
          + age.toSeconds()
          + " s old and not yet complete); wait for that run to finish";
    }
    String ageText =
        String.format("%d h %02d min", age.toHours(), age.toMinutesPart())
            + (age.toHours() == 0 ? String.format(" %02d s", age.toSecondsPart()) : "");
    String where =
        h.host() != null && h.host().equals(localHost())
            ? " It is running on this host; wait for it to finish."
            : " Sift cannot check a process on another host: if that run is dead, break the lock"
                + " with: sift unlock --output "
                + fs.makeQualified(root);
    return "output "
        + fs.makeQualified(root)
        + " is locked by another sift run: "
        + h.describe()
        + ", held for "
        + ageText
        + "."
        + where;
  }

  /** Removes the lock file if it still names {@code h} (so two runs never both take it over). */
  private static boolean removeIfSame(FileSystem fs, Path file, Holder h) throws IOException {
    Optional<Holder> now = read(fs, file);
    if (now.isEmpty()) {
      return true;
    }
    if (!sameRun(now.get(), h)) {
      return false;
    }
    fs.delete(file, false);
    return true;
  }

  private static boolean sameRun(Holder a, Holder b) {
    return a.runId() != null && a.runId().equals(b.runId());
  }

  /** One exclusive create of the lock file; false when another run created it first. */
  private static boolean create(FileSystem fs, Path file, Holder me, Duration settle)
      throws IOException {
    byte[] content = json(me);
    String scheme = fs.getScheme();
    if (scheme.equals("file")) {
      // Written whole under a name of its own, then linked into place: link(2) fails if the name
      // exists, and a reader never sees a half-written lock.
      java.nio.file.Path local = java.nio.file.Path.of(fs.makeQualified(file).toUri());
      java.nio.file.Path tmp = local.resolveSibling("." + FILE + "." + me.runId() + ".tmp");
      Files.write(tmp, content);
      try {
        Files.createLink(local, tmp);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      } catch (UnsupportedOperationException | IOException e) {
        // A file system without hard links: an exclusive create, written just after.
        try {
          Files.write(local, content, java.nio.file.StandardOpenOption.CREATE_NEW);
          return true;
        } catch (FileAlreadyExistsException taken) {
          return false;
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    }
    try (OutputStream out = fs.create(file, false)) {
      out.write(content);
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    }
    if (scheme.equals("hdfs")) {
      return true;
    }
    // No exclusive create on an object store: keep the lock only if it still names this run once
    // any run that wrote at the same time has written.
    try {
      Thread.sleep(settle.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while taking the lock " + file, e);
    }
    Optional<Holder> now = read(fs, file);
    return now.isPresent() && sameRun(now.get(), me);
  }

  private static byte[] json(Holder h) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("run_id", h.runId());
    m.put("host", h.host());
    m.put("pid", h.pid());
    m.put("started_at", h.startedAt().toString());
    m.put("command", h.command());
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m);
  }

  static String localHost() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return System.getenv().getOrDefault("HOSTNAME", "unknown");
    }
  }
}
