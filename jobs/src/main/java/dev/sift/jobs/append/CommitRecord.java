package dev.sift.jobs.append;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.EtagSource;
import org.apache.hadoop.fs.FileStatus;

/**
 * The commit record of one batch of an append-mode output, {@code _commits/NNNNNN.json}: which
 * batch directory it makes visible and the input files that batch consumed (its part of the
 * ledger). A batch directory without its record does not exist for any reader.
 *
 * @param sequence 1, 2, 3 … in commit order (the record's file name)
 * @param batch the batch id, also the directory name under {@code batches/}
 * @param runId the run that wrote the batch
 * @param committedAt ISO-8601 instant
 * @param command the sift command of the run
 * @param counts the batch's {@code input}, {@code accepted} and {@code rejected} row counts
 * @param files the input files the batch consumed
 */
public record CommitRecord(
    int sequence,
    String batch,
    String runId,
    String committedAt,
    String command,
    Map<String, Long> counts,
    List<InputFile> files) {

  /**
   * One input file as the batch saw it.
   *
   * @param path the qualified path
   * @param length bytes
   * @param modificationTime milliseconds since the epoch
   * @param etag the object store's entity tag, null where the file system has none
   */
  public record InputFile(String path, long length, long modificationTime, String etag) {

    public static InputFile of(FileStatus status) {
      String etag = status instanceof EtagSource e ? e.getEtag() : null;
      return new InputFile(
          status.getPath().toString(),
          status.getLen(),
          status.getModificationTime(),
          etag == null || etag.isEmpty() ? null : etag);
    }

    /**
     * Whether the file is the one the ledger recorded: same length and modification time (and the
     * same entity tag where both have one).
     */
    public boolean sameAs(InputFile now) {
      boolean tags = etag == null || now.etag == null || etag.equals(now.etag);
      return length == now.length && modificationTime == now.modificationTime && tags;
    }
  }

  /** The batch directory, relative to the output root. */
  public String batchPath() {
    return AppendOutput.BATCHES + "/" + batch;
  }

  byte[] toJson() throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("sequence", sequence);
    m.put("batch", batch);
    m.put("path", batchPath());
    m.put("run_id", runId);
    m.put("committed_at", committedAt);
    m.put("command", command);
    m.put("counts", counts);
    List<Map<String, Object>> list = new ArrayList<>(files.size());
    for (InputFile f : files) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("path", f.path());
      e.put("length", f.length());
      e.put("modification_time", f.modificationTime());
      if (f.etag() != null) {
        e.put("etag", f.etag());
      }
      list.add(e);
    }
    m.put("files", list);
    return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(m);
  }

  static CommitRecord fromJson(JsonNode n) {
    Map<String, Long> counts = new LinkedHashMap<>();
    n.path("counts").fields().forEachRemaining(e -> counts.put(e.getKey(), e.getValue().asLong()));
    List<InputFile> files = new ArrayList<>();
    for (JsonNode f : n.path("files")) {
      files.add(
          new InputFile(
              f.get("path").asText(),
              f.get("length").asLong(),
              f.get("modification_time").asLong(),
              f.hasNonNull("etag") ? f.get("etag").asText() : null));
    }
    return new CommitRecord(
        n.get("sequence").asInt(),
        n.get("batch").asText(),
        n.path("run_id").asText(null),
        n.path("committed_at").asText(null),
        n.path("command").asText(null),
        counts,
        files);
  }
}
