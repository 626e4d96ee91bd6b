package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.col;

import dev.sift.curation.Reject;
import dev.sift.curation.webdataset.ShardDamagedException;
import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.append.AppendOutput;
import dev.sift.jobs.config.ConfigKey;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.Columns;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code read} stage: lists and checks the input files ({@link InputFiles}), reads them in the
 * configured format (WebDataset shards with {@link WebDatasetInput}), checks the schema against the
 * column mapping at start-up ({@link InputSchema}), and returns rows under the contract names
 * ({@code id}, {@code caption}, {@code url}, {@code image}, {@code width}, {@code height}) followed
 * by every other input column unchanged.
 */
public final class InputReader {
  private static final Logger LOG = LoggerFactory.getLogger(InputReader.class);

  private static final Set<String> IMAGE_EXTENSIONS =
      Set.of("jpg", "jpeg", "png", "webp", "gif", "bmp", "tif", "tiff");

  /**
   * The input as read and mapped.
   *
   * @param rows contract columns first, then pass-through columns
   * @param hasImage whether an image column is mapped (so decode runs and null bytes reject)
   * @param hasId whether ids come from the input (otherwise all are derived)
   * @param files the data files read
   * @param manifest what the reader adds to the manifest's {@code input} section, asked for once
   *     the rows were written (WebDataset: the damaged shards)
   */
  public record Input(
      Dataset<Row> rows,
      boolean hasImage,
      boolean hasId,
      List<String> files,
      Supplier<Map<String, Object>> manifest) {

    public Input(Dataset<Row> rows, boolean hasImage, boolean hasId, List<String> files) {
      this(rows, hasImage, hasId, files, Map::of);
    }
  }

  private InputReader() {}

  /** Lists the input ({@link #list}) and reads all of it. */
  public static Input read(SparkSession spark, SiftConf conf) {
    return read(spark, conf, list(spark, conf));
  }

  /**
   * The data files {@code sift.input.path} names, sorted by path, with their lengths and
   * modification times (append mode's ledger compares them): comma-separated entries, each a file,
   * a directory (its files, recursively, without Spark's metadata names; for WebDataset its {@code
   * .tar} files) or a glob. Zero-byte files hold no rows and are left out with a warning.
   *
   * @throws SiftUserException when the path is unset, an entry matches nothing, or every file is
   *     empty
   */
  public static List<FileStatus> list(SparkSession spark, SiftConf conf) {
    String path = conf.get(SiftKeys.INPUT_PATH);
    if (path == null || path.isBlank()) {
      throw new SiftUserException(
          "no input: set sift.input.path in the config file or give --input PATH");
    }
    String format = ConfigKey.text(conf.get(SiftKeys.INPUT_FORMAT));
    return InputFiles.nonEmpty(
        InputFiles.listFiles(spark.sparkContext().hadoopConfiguration(), path, format), format);
  }

  /**
   * Reads {@code files} (from {@link #list}, or the part of it append mode has not consumed yet) in
   * the configured format.
   */
  public static Input read(SparkSession spark, SiftConf conf, List<FileStatus> files) {
    String format = ConfigKey.text(conf.get(SiftKeys.INPUT_FORMAT));
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    List<String> names = files.stream().map(f -> f.getPath().toString()).toList();
    String[] paths = names.toArray(String[]::new);
    Dataset<Row> raw;
    switch (format) {
      case "webdataset" -> {
        return WebDatasetInput.read(spark, conf, hadoop, names);
      }
      case "parquet" -> {
        ParquetReaderBatch.fit(spark, InputFiles.checkParquetFooters(hadoop, files));
        raw = spark.read().parquet(paths);
      }
      case "csv", "tsv" ->
          raw =
              spark
                  .read()
                  .option("header", "true")
                  .option("sep", format.equals("tsv") ? "\t" : ",")
                  .option("multiLine", "true")
                  .option("escape", "\"")
                  .option("mode", "PERMISSIVE")
                  .csv(paths);
      case "files" -> {
        return readFilesLayout(spark, names);
      }
      default ->
          throw new SiftUserException(
              "sift.input.format = "
                  + format
                  + " is not available; use parquet, csv, tsv, files or webdataset");
    }
    return InputSchema.map(raw, conf, names.get(0), names);
  }

  /**
   * The input of the {@code balance} command: the accepted rows of an earlier {@code match} (or
   * {@code curate}) output, given as the output directory or its {@code accepted/}. They must carry
   * Sift's {@code id} and {@code concepts} columns.
   */
  public static Input readMatchOutput(SparkSession spark, SiftConf conf) {
    String path = conf.get(SiftKeys.INPUT_PATH);
    if (path == null || path.isBlank()) {
      throw new SiftUserException(
          "no input: give --input with the output directory of an earlier sift match run");
    }
    Configuration hadoop = spark.sparkContext().hadoopConfiguration();
    String accepted = path;
    List<String> batches = List.of();
    try {
      Path candidate = new Path(path, OutputWriter.ACCEPTED);
      FileSystem fs = candidate.getFileSystem(hadoop);
      if (fs.exists(candidate)) {
        accepted = candidate.toString();
      } else if (AppendOutput.isAppendOutput(fs, new Path(path))) {
        // Every committed batch's accepted rows; uncommitted batch directories are not read.
        batches = AppendOutput.read(fs, new Path(path)).committedBatchDirs();
        if (batches.isEmpty()) {
          throw new SiftUserException("append-mode output " + path + " has no committed batch");
        }
        LOG.info(
            "reading the rows that reached balancing in {} committed batches of {}",
            batches.size(),
            path);
        accepted =
            batches.stream()
                .map(b -> new Path(b, OutputWriter.ACCEPTED).toString())
                .collect(Collectors.joining(","));
      }
    } catch (IOException e) {
      throw new SiftUserException("cannot read input path " + path + ": " + e.getMessage(), e);
    }
    // WebDataset output: read the NNNNN.parquet beside the shards, not the shards.
    List<FileStatus> files =
        InputFiles.nonEmpty(
            InputFiles.listFiles(hadoop, accepted, "parquet").stream()
                .filter(f -> !f.getPath().getName().endsWith(".tar"))
                .toList(),
            "parquet");
    ParquetReaderBatch.fit(spark, InputFiles.checkParquetFooters(hadoop, files));
    Dataset<Row> rows =
        spark
            .read()
            .parquet(files.stream().map(f -> f.getPath().toString()).toArray(String[]::new));
    if (!batches.isEmpty()) {
      rows = rows.unionByName(balancedOut(spark, batches), true);
    }
    StructType schema = rows.schema();
    boolean ok =
        InputSchema.hasField(schema, Columns.ID)
            && schema.apply(Columns.ID).dataType().equals(DataTypes.StringType)
            && InputSchema.hasField(schema, Columns.CONCEPTS)
            && schema
                .apply(Columns.CONCEPTS)
                .dataType()
                .equals(DataTypes.createArrayType(DataTypes.StringType));
    if (!ok) {
      throw new SiftUserException(
          "balance reads the output of sift match: "
              + accepted
              + " needs columns id (string) and concepts (array<string>); columns found: "
              + InputSchema.describe(schema)
              + ". Run sift match first.");
    }
    List<String> names = files.stream().map(f -> f.getPath().toString()).toList();
    return new Input(rows, InputSchema.hasField(schema, Columns.IMAGE), true, names);
  }

  /**
   * The rows balancing dropped in committed batches ({@code balance/balanced_out}): with the
   * accepted rows they are every row that reached balancing, so that {@code sift balance} over all
   * batches decides as one run over all the input would.
   */
  private static Dataset<Row> balancedOut(SparkSession spark, List<String> batches) {
    return spark
        .read()
        .parquet(
            batches.stream()
                .map(b -> new Path(b, OutputWriter.REJECTED).toString())
                .toArray(String[]::new))
        .where(col(Columns.REJECT_REASON).equalTo(Reject.BALANCED_OUT.code()))
        .drop(Columns.REJECT_COLUMNS.toArray(String[]::new));
  }

  /**
   * img2dataset's {@code files} layout: each {@code NNNNN/NNNNNNNNN} stem is a row, its image from
   * the picture file, caption from {@code .txt}, url and key from {@code .json}. Stems with neither
   * image nor caption (the shard's own parquet and stats files) are not rows.
   */
  private static Input readFilesLayout(SparkSession spark, List<String> files) {
    Dataset<Row> all =
        spark
            .read()
            .format("binaryFile")
            .load(files.toArray(String[]::new))
            .select(col("path"), col("content"));
    Column ext = functions.lower(functions.regexp_extract(col("path"), "\\.([^./]+)$", 1));
    Column stem = functions.regexp_replace(col("path"), "\\.[^./]+$", "");
    Column isImage = ext.isin(IMAGE_EXTENSIONS.toArray());
    Dataset<Row> grouped =
        all.withColumn("_ext", ext)
            .withColumn("_stem", stem)
            .groupBy("_stem")
            .agg(
                functions.max(functions.when(isImage, col("content"))).as("_img"),
                functions
                    .max(functions.when(col("_ext").equalTo("txt"), col("content")))
                    .as("_txt"),
                functions
                    .max(functions.when(col("_ext").equalTo("json"), col("content")))
                    .as("_json"))
            .where(col("_img").isNotNull().or(col("_txt").isNotNull()));
    StructType meta =
        new StructType()
            .add("key", DataTypes.StringType)
            .add("url", DataTypes.StringType)
            .add("width", DataTypes.LongType)
            .add("height", DataTypes.LongType);
    Column json = functions.from_json(functions.decode(col("_json"), "UTF-8"), meta);
    Column key =
        functions.coalesce(
            json.getField("key"), functions.regexp_extract(col("_stem"), "([^/]+)$", 1));
    Dataset<Row> rows =
        grouped.select(
            key.as(Columns.ID),
            functions.decode(col("_txt"), "UTF-8").as(Columns.CAPTION),
            json.getField("url").as(Columns.URL),
            col("_img").as(Columns.IMAGE),
            json.getField("width").cast(DataTypes.IntegerType).as(Columns.WIDTH),
            json.getField("height").cast(DataTypes.IntegerType).as(Columns.HEIGHT),
            col("_stem").as("source_file"));
    return new Input(rows, true, true, files);
  }

  /**
   * A failure a damaged WebDataset shard caused, anywhere in {@code e}'s causes (Spark wraps task
   * failures), as a user error naming the shard and offset; null for any other failure.
   */
  public static SiftUserException damagedShardError(Throwable e) {
    String damage = null;
    String marker = ShardDamagedException.class.getName() + ": ";
    for (Throwable t = e; t != null && damage == null; t = t.getCause()) {
      if (t instanceof SiftUserException) {
        return null;
      }
      if (t instanceof ShardDamagedException d) {
        damage = d.getMessage();
      } else if (t.getMessage() != null && t.getMessage().contains(marker)) {
        // A failed job often carries the task's exception only as text in its message.
        String m = t.getMessage();
        int from = m.indexOf(marker) + marker.length();
        int to = m.indexOf('\n', from);
        damage = m.substring(from, to < 0 ? m.length() : to).strip();
      }
    }
    if (damage == null) {
      return null;
    }
    return new SiftUserException(
        damage
            + " (set sift.input.webdataset.on-error = skip-rest to keep the samples before the"
            + " damage and go on)",
        e);
  }
}
