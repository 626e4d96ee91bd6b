package dev.sift.jobs.pipeline;

import dev.sift.curation.concepts.ConceptList;
import dev.sift.curation.concepts.Semantics;
import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The concept list of a run, loaded and checked on the driver from {@code sift.match.metadata} (any
 * Hadoop file system), with what the log and the manifest say about it.
 *
 * @param path where the list came from
 * @param semantics the match rule
 * @param list the entries
 */
public record ConceptSource(String path, Semantics semantics, ConceptList list) {
  private static final Logger LOG = LoggerFactory.getLogger(ConceptSource.class);
  private static final int DEAD_LISTED = 20;

  /**
   * @throws SiftUserException when the key is unset or the file is missing or malformed
   */
  public static ConceptSource load(SparkSession spark, SiftConf conf) {
    String path = conf.get(SiftKeys.MATCH_METADATA);
    if (path == null || path.isBlank()) {
      throw new SiftUserException(
          "concept matching needs a concept list: set sift.match.metadata to a JSON array of"
              + " strings (MetaCLIP's metadata.json) or a text file with one entry per line");
    }
    Semantics semantics = Semantics.parse(conf.get(SiftKeys.MATCH_SEMANTICS));
    String text;
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(p)) {
        throw new SiftUserException("concept list not found: " + path + " (sift.match.metadata)");
      }
      if (fs.getFileStatus(p).isDirectory()) {
        throw new SiftUserException(
            "sift.match.metadata = "
                + path
                + " is a directory; per-language lists (MetaCLIP 2) are not available yet: give"
                + " one file");
      }
      try (InputStream in = fs.open(p)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    } catch (IOException e) {
      throw new SiftUserException("cannot read concept list " + path + ": " + e.getMessage(), e);
    }
    ConceptList list;
    try {
      list = ConceptList.parse(text, path, semantics);
    } catch (IllegalArgumentException e) {
      throw new SiftUserException(e.getMessage() + " (sift.match.metadata)", e);
    }
    if (list.size() == 0) {
      throw new SiftUserException("concept list " + path + " has no entries");
    }
    ConceptSource source = new ConceptSource(path, semantics, list);
    LOG.info(
        "concept list {}: {} entries, {} duplicates dropped, {} can never match under {}{}",
        path,
        list.size(),
        list.duplicates(),
        list.dead().size(),
        semantics.name().toLowerCase(java.util.Locale.ROOT),
        list.dead().isEmpty() ? "" : " (e.g. " + source.deadSample() + ")");
    return source;
  }

  private java.util.List<String> deadSample() {
    return list.dead().subList(0, Math.min(DEAD_LISTED, list.dead().size()));
  }

  /** For the manifest. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("path", path);
    m.put("semantics", semantics.name().toLowerCase(java.util.Locale.ROOT));
    m.put("entries", list.size());
    m.put("sha256", list.digest());
    m.put("duplicates_dropped", list.duplicates());
    m.put("never_match", list.dead().size());
    m.put("never_match_examples", deadSample());
    return m;
  }
}
