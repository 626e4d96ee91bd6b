package dev.sift.jobs.pipeline;

import dev.sift.curation.concepts.ConceptList;
import dev.sift.curation.concepts.LanguageLists;
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
 * @param list the entries (of a single list; for per-language lists, all of them together)
 * @param languages per-language lists (MetaCLIP 2), by language code; empty for a single list
 */
public record ConceptSource(
    String path, Semantics semantics, ConceptList list, Map<String, ConceptList> languages) {

  /** The language of rows whose language has no list ({@link LanguageLists#OTHER}). */
  public static final String OTHER = LanguageLists.OTHER;

  /** Whether rows are matched against their language's list. */
  public boolean multilingual() {
    return !languages.isEmpty();
  }

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
    Semantics semantics = conf.get(SiftKeys.MATCH_SEMANTICS);
    Map<String, ConceptList> languages = new java.util.TreeMap<>();
    ConceptList list;
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(p)) {
        throw new SiftUserException("concept list not found: " + path + " (sift.match.metadata)");
      }
      if (fs.getFileStatus(p).isDirectory()) {
        java.util.List<String> all = new java.util.ArrayList<>();
        for (org.apache.hadoop.fs.FileStatus f : fs.listStatus(p)) {
          String name = f.getPath().getName();
          int dot = name.lastIndexOf('.');
          if (!f.isFile() || dot <= 0 || !(name.endsWith(".json") || name.endsWith(".txt"))) {
            continue;
          }
          String lang = name.substring(0, dot).toLowerCase(java.util.Locale.ROOT);
          if (lang.equals(OTHER) || languages.containsKey(lang)) {
            throw new SiftUserException(
                "sift.match.metadata = "
                    + path
                    + ": "
                    + name
                    + (lang.equals(OTHER)
                        ? " is named like the language of rows without a list"
                        : " repeats language " + lang));
          }
          ConceptList one = parse(read(fs, f.getPath()), f.getPath().toString(), semantics);
          languages.put(lang, one);
          all.addAll(one.entries());
        }
        if (languages.isEmpty()) {
          throw new SiftUserException(
              "sift.match.metadata = "
                  + path
                  + " is a directory without per-language lists (<lang>.json or <lang>.txt)");
        }
        list = ConceptList.of(all, semantics);
      } else {
        list = parse(read(fs, p), path, semantics);
      }
    } catch (IOException e) {
      throw new SiftUserException("cannot read concept list " + path + ": " + e.getMessage(), e);
    }
    ConceptSource source = new ConceptSource(path, semantics, list, languages);
    LOG.info(
        "concept list {}: {} entries{}, {} duplicates dropped, {} can never match under {}{}",
        path,
        list.size(),
        languages.isEmpty() ? "" : " in " + languages.size() + " languages " + languages.keySet(),
        list.duplicates(),
        list.dead().size(),
        semantics.name().toLowerCase(java.util.Locale.ROOT),
        list.dead().isEmpty() ? "" : " (e.g. " + source.deadSample() + ")");
    return source;
  }

  private static String read(FileSystem fs, Path p) throws IOException {
    try (InputStream in = fs.open(p)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static ConceptList parse(String text, String path, Semantics semantics) {
    ConceptList list;
    try {
      list = ConceptList.parse(text, path, semantics);
    } catch (IllegalArgumentException e) {
      throw new SiftUserException(e.getMessage() + " (sift.match.metadata)", e);
    }
    if (list.size() == 0) {
      throw new SiftUserException("concept list " + path + " has no entries");
    }
    return list;
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
    if (multilingual()) {
      Map<String, Object> per = new java.util.TreeMap<>();
      languages.forEach((lang, l) -> per.put(lang, l.size()));
      m.put("languages", per);
    }
    return m;
  }
}
