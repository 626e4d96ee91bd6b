package dev.sift.jobs.append;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sift.jobs.SiftUserException;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An append-mode output directory ({@code sift.output.mode = append}): committed batches, one per
 * run that found new input, and the ledger of the input files each consumed.
 *
 * <pre>
 * out/_LOCK                       while a run writes ({@link OutputLock})
 * out/_commits/000001.json        commit records, the ledger ({@link CommitRecord})
 * out/_COMMITTED                  the committed batch directories, one per line
 * out/batches/000001-20261206T020000Z/   accepted/ rejected/ concept_counts/ report/ _MANIFEST.json
 * </pre>
 *
 * <p>A batch is written in place under {@code batches/} and becomes visible by one step: its commit
 * record, written under a temporary name and renamed to the next sequence number (a rename that
 * fails if the name exists). A batch directory without a record is the staging area of a run that
 * died; the next run removes it. Writing in place, not renaming a finished directory, is
 * deliberate: on S3 a directory rename copies every object.
 *
 * <p>Driver-side; opened under the output's lock, one per run.
 */
public final class AppendOutput {
  public static final String COMMITS = "_commits";
  public static final String BATCHES = "batches";
  public static final String COMMITTED = "_COMMITTED";
  private static final Logger LOG = LoggerFactory.getLogger(AppendOutput.class);
  private static final Pattern RECORD = Pattern.compile("(\\d{6,})\\.json");
  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private final FileSystem fs;
  private final Path root;
  private final List<CommitRecord> commits;

  private AppendOutput(FileSystem fs, Path root, List<CommitRecord> commits) {
    this.fs = fs;
    this.root = root;
    this.commits = commits;
  }

  /**
   * Whether {@code root} is an append-mode output (it has commit records or the folder for them).
   */
  public static boolean isAppendOutput(FileSystem fs, Path root) throws IOException {
    return fs.exists(new Path(root, COMMITS));
  }

  /**
   * Reads the commit records of {@code root} (none for a new output), without touching anything.
   *
   * @throws SiftUserException when the directory is a one-shot output (a manifest at its root) or a
   *     record cannot be read
   */
  public static AppendOutput read(FileSystem fs, Path root) {
    try {
      if (fs.exists(new Path(root, "_MANIFEST.json")) && !isAppendOutput(fs, root)) {
        throw new SiftUserException(
            "output directory "
                + fs.makeQualified(root)
                + " holds the output of a run in error or overwrite mode (a _MANIFEST.json at its"
                + " root), not committed batches: choose another --output for sift.output.mode ="
                + " append");
      }
      return new AppendOutput(fs, root, readCommits(fs, root));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the commit records of " + root, e);
    }
  }

  /**
   * Opens {@code root} for a run that holds its lock: reads the commit records, removes what dead
   * runs left (batch directories without a record, temporary record files) saying so, and brings
   * {@code _COMMITTED} up to date.
   */
  public static AppendOutput open(FileSystem fs, Path root) {
    AppendOutput out = read(fs, root);
    try {
      fs.mkdirs(new Path(root, COMMITS));
      out.removeUncommitted();
      out.writeCommittedList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open append-mode output " + root, e);
    }
    return out;
  }

  /** The committed batches, in commit order. */
  public List<CommitRecord> commits() {
    return commits;
  }

  /** The committed batch directories, qualified, in commit order. */
  public List<String> committedBatchDirs() {
    return commits.stream()
        .map(c -> fs.makeQualified(new Path(root, c.batchPath())).toString())
        .toList();
  }

  /** How many input files the ledger holds. */
  public int ledgerSize() {
    return commits.stream().mapToInt(c -> c.files().size()).sum();
  }

  /**
   * What a run over {@code listed} must read: the files the ledger lacks, and, with {@code
   * reprocessChanged}, the ones that changed since a batch consumed them.
   *
   * @throws SiftUserException naming the changed files otherwise
   */
  public Plan plan(List<FileStatus> listed, boolean reprocessChanged) {
    Map<String, CommitRecord.InputFile> ledger = new HashMap<>();
    Map<String, String> batchOf = new HashMap<>();
    for (CommitRecord c : commits) {
      for (CommitRecord.InputFile f : c.files()) {
        ledger.put(f.path(), f);
        batchOf.put(f.path(), c.batch());
      }
    }
    List<FileStatus> toRead = new ArrayList<>();
    List<String> changed = new ArrayList<>();
    int consumed = 0;
    for (FileStatus status : listed) {
      CommitRecord.InputFile now = CommitRecord.InputFile.of(status);
      CommitRecord.InputFile was = ledger.get(now.path());
      if (was == null) {
        toRead.add(status);
      } else if (was.sameAs(now)) {
        consumed++;
      } else {
        changed.add(
            String.format(
                "%s (consumed by batch %s: %d bytes, modified %s; now %d bytes, modified %s)",
                now.path(),
                batchOf.get(now.path()),
                was.length(),
                Instant.ofEpochMilli(was.modificationTime()),
                now.length(),
                Instant.ofEpochMilli(now.modificationTime())));
        if (reprocessChanged) {
          toRead.add(status);
        }
      }
    }
    if (!changed.isEmpty() && !reprocessChanged) {
      throw new SiftUserException(
          changed.size()
              + " input file(s) changed after a committed batch consumed them; an input file must"
              + " not change under a pipeline that read it. Set"
              + " sift.output.append.changed-input = reprocess to read them again in a new batch"
              + " (the earlier batch keeps its rows). "
              + String.join("; ", changed.subList(0, Math.min(5, changed.size())))
              + (changed.size() > 5 ? "; …" : ""));
    }
    for (String c : changed) {
      LOG.warn("reprocessing a changed input file: {}", c);
    }
    return new Plan(List.copyOf(toRead), consumed, changed.size());
  }

  /**
   * What to read.
   *
   * @param toRead the files for the new batch
   * @param consumed listed files the ledger already holds, unchanged
   * @param changed listed files that changed since (read again when allowed)
   */
  public record Plan(List<FileStatus> toRead, int consumed, int changed) {}

  /** The next batch: its sequence number, id and directory. */
  public Batch newBatch(Instant now) {
    int sequence = commits.isEmpty() ? 1 : commits.get(commits.size() - 1).sequence() + 1;
    String id = String.format("%06d-%s", sequence, STAMP.format(now));
    return new Batch(sequence, id, new Path(new Path(root, BATCHES), id));
  }

  /** A batch being written. */
  public record Batch(int sequence, String id, Path dir) {}

  /**
   * Makes {@code batch} visible: writes its record under a temporary name, then renames it to the
   * batch's sequence number, then refreshes {@code _COMMITTED}.
   *
   * @throws IllegalStateException when a record of that number appeared meanwhile (a second writer
   *     despite the lock)
   */
  public CommitRecord commit(
      Batch batch,
      String runId,
      String command,
      Map<String, Long> counts,
      List<CommitRecord.InputFile> files) {
    CommitRecord record =
        new CommitRecord(
            batch.sequence(),
            batch.id(),
            runId,
            Instant.now().toString(),
            command,
            counts,
            List.copyOf(files));
    Path dir = new Path(root, COMMITS);
    Path tmp = new Path(dir, "." + batch.id() + "." + runId + ".tmp");
    Path target = new Path(dir, String.format("%06d.json", batch.sequence()));
    try {
      try (OutputStream out = fs.create(tmp, true)) {
        out.write(record.toJson());
      }
      if (fs.exists(target) || !fs.rename(tmp, target)) {
        fs.delete(tmp, false);
        throw new IllegalStateException(
            "commit record "
                + target
                + " already exists: another run committed batch "
                + batch.sequence()
                + " meanwhile; batch "
                + batch.id()
                + " stays uncommitted and the next run removes it");
      }
      commits.add(record);
      writeCommittedList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot commit batch " + batch.id() + " under " + root, e);
    }
    LOG.info("committed batch {} ({} input files) under {}", batch.id(), files.size(), root);
    return record;
  }

  private static List<CommitRecord> readCommits(FileSystem fs, Path root) throws IOException {
    Path dir = new Path(root, COMMITS);
    List<CommitRecord> list = new ArrayList<>();
    FileStatus[] children;
    try {
      children = fs.listStatus(dir);
    } catch (FileNotFoundException e) {
      return list;
    }
    ObjectMapper json = new ObjectMapper();
    for (FileStatus f : children) {
      Matcher m = RECORD.matcher(f.getPath().getName());
      if (!m.matches()) {
        continue;
      }
      try (InputStream in = fs.open(f.getPath())) {
        CommitRecord r =
            CommitRecord.fromJson(
                json.readTree(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        if (r.sequence() != Integer.parseInt(m.group(1))) {
          throw new IOException("sequence " + r.sequence() + " does not match the file name");
        }
        list.add(r);
      } catch (IOException | RuntimeException e) {
        throw new SiftUserException(
            "commit record " + f.getPath() + " cannot be read: " + e.getMessage(), e);
      }
    }
    list.sort(Comparator.comparingInt(CommitRecord::sequence));
    return list;
  }

  private void removeUncommitted() throws IOException {
    Set<String> committed = new HashSet<>();
    commits.forEach(c -> committed.add(c.batch()));
    Path batches = new Path(root, BATCHES);
    if (fs.exists(batches)) {
      for (FileStatus f : fs.listStatus(batches)) {
        if (!committed.contains(f.getPath().getName())) {
          LOG.warn(
              "removing {}: a batch without a commit record, left by a run that did not finish",
              fs.makeQualified(f.getPath()));
          fs.delete(f.getPath(), true);
        }
      }
    }
    FileStatus[] records;
    try {
      records = fs.listStatus(new Path(root, COMMITS));
    } catch (FileNotFoundException e) {
      return; // an object store keeps no empty folder
    }
    for (FileStatus f : records) {
      String name = f.getPath().getName();
      if (name.startsWith(".") && name.contains(".tmp")) {
        fs.delete(f.getPath(), false);
      }
    }
  }

  /** Rewrites {@code _COMMITTED} (temporary file, then rename) from the commit records. */
  private void writeCommittedList() throws IOException {
    Path target = new Path(root, COMMITTED);
    if (commits.isEmpty()) {
      fs.delete(target, false);
      return;
    }
    StringBuilder text = new StringBuilder();
    committedBatchDirs().forEach(d -> text.append(d).append('\n'));
    Path tmp = new Path(root, "." + COMMITTED + ".tmp");
    try (OutputStream out = fs.create(tmp, true)) {
      out.write(text.toString().getBytes(StandardCharsets.UTF_8));
    }
    fs.delete(target, false);
    if (!fs.rename(tmp, target)) {
      throw new IOException("cannot rename " + tmp + " to " + target);
    }
  }
}
