package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.Columns;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Writes one output directory: {@code accepted/}, {@code rejected/}, {@code concept_counts/}, then
 * {@code _MANIFEST.json} last, so a run that dies part-way never leaves a directory that looks
 * complete. Works on any Hadoop file system (local, HDFS, s3a).
 *
 * <p>Driver-side; one instance per run.
 */
public final class OutputWriter {
  public static final String ACCEPTED = "accepted";
  public static final String REJECTED = "rejected";
  public static final String CONCEPT_COUNTS = "concept_counts";
  public static final String MANIFEST = "_MANIFEST.json";

  private final SparkSession spark;
  private final Path root;
  private final FileSystem fs;
  private TestHook hook = TestHook.NONE;

  public OutputWriter(SparkSession spark, String path) {
    this.spark = spark;
    this.root = new Path(path);
    try {
      this.fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
    } catch (IOException e) {
      throw new SiftUserException("cannot open output path " + path + ": " + e.getMessage(), e);
    }
  }

  /** Sift's own tests' fault injection, placed before the accepted rows are written. */
  public void hook(TestHook hook) {
    this.hook = hook;
  }

  /** The file system the output is on. */
  public FileSystem fileSystem() {
    return fs;
  }

  /** The output directory, qualified (for messages and the manifest). */
  public String root() {
    return fs.makeQualified(root).toString();
  }

  /** The path of one part of the output. */
  public String path(String part) {
    return new Path(root, part).toString();
  }

  /** Refuses an output path that is a file (before the lock creates the directory). */
  public void checkNotFile() {
    try {
      if (fs.exists(root) && !fs.getFileStatus(root).isDirectory()) {
        throw new SiftUserException("output path " + root() + " is a file, not a directory");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check output path " + root(), e);
    }
  }

  /**
   * Makes sure the output can be written before any work starts: in {@code error} mode a non-empty
   * directory is refused; in {@code overwrite} mode it is deleted, manifest first.
   */
  public void prepare(SiftKeys.OutputMode mode) {
    try {
      if (!fs.exists(root)) {
        return;
      }
      if (!fs.getFileStatus(root).isDirectory()) {
        throw new SiftUserException("output path " + root() + " is a file, not a directory");
      }
      FileStatus[] children =
          fs.listStatus(root, p -> !p.getName().equals(dev.sift.jobs.append.OutputLock.FILE));
      if (children.length == 0) {
        return;
      }
      if (mode != SiftKeys.OutputMode.OVERWRITE) {
        throw new SiftUserException(
            "output directory "
                + root()
                + " already exists and is not empty; choose another --output, or set"
                + " sift.output.mode = overwrite to replace it");
      }
      fs.delete(new Path(root, MANIFEST), false);
      for (FileStatus child : children) {
        fs.delete(child.getPath(), true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare output directory " + root(), e);
    }
  }

  /**
   * Writes accepted and rejected rows from the tagged rows of a {@link Pipeline}: accepted/ as
   * Parquet, or with {@code shardSize > 0} as WebDataset shards of that many samples (each with its
   * sibling {@code NNNNN.parquet}; see {@link ShardOutput}, which writes the image bytes to the
   * shards whatever {@code imageBytes} says and never to the Parquet).
   */
  public void writeRows(Dataset<Row> tagged, boolean imageBytes, int shardSize) {
    // Input columns, then head_<name> columns (score adds them after every input column).
    List<String> passThrough = new ArrayList<>();
    List<String> heads = new ArrayList<>();
    for (String name : tagged.columns()) {
      if (name.startsWith(Columns.HEAD_PREFIX)) {
        heads.add(name);
      } else if (!Columns.RESERVED.contains(name) && !name.startsWith(Columns.INTERNAL_PREFIX)) {
        passThrough.add(name);
      }
    }
    passThrough.addAll(heads);
    List<Column> accepted = new ArrayList<>();
    for (String name : Columns.OUTPUT_ORDER) {
      if (imageBytes || shardSize > 0 || !name.equals(Columns.IMAGE)) {
        accepted.add(col(name));
      }
    }
    List<String> present = List.of(tagged.columns());
    for (String name : Columns.OPTIONAL_OUTPUTS) {
      if (present.contains(name)) {
        accepted.add(col(name));
      }
    }
    for (String name : passThrough) {
      accepted.add(col("`" + name.replace("`", "``") + "`"));
    }
    List<Column> rejected = new ArrayList<>(accepted);
    Columns.REJECT_COLUMNS.forEach(name -> rejected.add(col(name)));

    Column isRejected = col(Columns.REJECT_REASON).isNotNull();
    Dataset<Row> acceptedRows =
        hook.apply(
            tagged.where(isRejected.unary_$bang()).select(accepted.toArray(Column[]::new)),
            "write");
    if (shardSize > 0) {
      Path dir = new Path(root, ACCEPTED);
      try {
        if (!fs.mkdirs(dir)) {
          throw new IOException("mkdirs failed");
        }
        ShardOutput.write(spark, acceptedRows, dir, fs, shardSize, hook.failsOnce("shards"));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write WebDataset shards under " + dir, e);
      }
    } else {
      acceptedRows.write().mode(SaveMode.ErrorIfExists).parquet(path(ACCEPTED));
    }
    tagged
        .where(isRejected)
        .select(rejected.toArray(Column[]::new))
        .write()
        .mode(SaveMode.ErrorIfExists)
        .parquet(path(REJECTED));
  }

  /**
   * Writes {@code concept_counts/}: per concept, {@code matched} (rows that reached balancing with
   * the concept in their set) and {@code kept} (those balancing kept), most matched first. One
   * aggregation over the tagged rows; empty, with its schema, when matching did not run. With
   * {@code perLanguage} (MetaCLIP 2 lists) the table also has {@code language}.
   */
  public void writeConceptCounts(Dataset<Row> tagged, boolean matched, boolean perLanguage) {
    StructType schema =
        new StructType()
            .add("concept", DataTypes.StringType, false)
            .add("matched", DataTypes.LongType, false)
            .add("kept", DataTypes.LongType, false);
    Dataset<Row> counts;
    if (!matched) {
      counts = spark.createDataFrame(List.<Row>of(), schema);
    } else {
      Column stage = col(Columns.REJECT_STAGE);
      Column reached = stage.isNull().or(functions.not(stage.isin("read", "text", "match")));
      Column kept =
          stage.isNull().or(functions.not(stage.isin("read", "text", "match", "balance")));
      // Per-language runs count per (concept, language): the same entry in two lists is two
      // concepts to MetaCLIP 2.
      List<Column> keys = new ArrayList<>(List.of(col("concept")));
      List<Column> select =
          new ArrayList<>(
              List.of(
                  functions.explode(col(Columns.CONCEPTS)).as("concept"),
                  functions.when(kept, 1L).otherwise(0L).as("k")));
      if (perLanguage) {
        keys.add(col(Columns.LANGUAGE));
        select.add(col(Columns.LANGUAGE));
      }
      Dataset<Row> grouped =
          tagged
              .where(reached)
              .select(select.toArray(Column[]::new))
              .groupBy(keys.toArray(Column[]::new))
              .agg(functions.count("*").as("matched"), functions.sum("k").as("kept"));
      counts =
          (perLanguage
                  ? grouped.select("concept", Columns.LANGUAGE, "matched", "kept")
                  : grouped.select("concept", "matched", "kept"))
              .orderBy(col("matched").desc(), col("concept"));
    }
    counts.coalesce(1).write().mode(SaveMode.ErrorIfExists).parquet(path(CONCEPT_COUNTS));
  }

  /**
   * Reads the accepted rows of an output directory, either format: the Parquet part files, or the
   * {@code NNNNN.parquet} files beside WebDataset shards (a directory holding {@code .tar} files is
   * read through the glob {@code *.parquet}, since Spark would take the shards for Parquet).
   */
  public static Dataset<Row> readAccepted(SparkSession spark, String dir) {
    Path accepted = new Path(dir, ACCEPTED);
    try {
      FileSystem fs = accepted.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (fs.globStatus(new Path(accepted, "*.tar")).length > 0) {
        return spark.read().parquet(new Path(accepted, "*.parquet").toString());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + accepted, e);
    }
    return spark.read().parquet(accepted.toString());
  }

  /** Writes the manifest; call last. */
  public void writeManifest(Map<String, Object> manifest) {
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    try (OutputStream out = fs.create(new Path(root, MANIFEST), false)) {
      json.writeValue(out, manifest);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + MANIFEST + " under " + root(), e);
    }
  }
}
