package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.sift.curation.Reject;
import dev.sift.curation.webdataset.ShardDamagedException;
import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.append.AppendOutput;
import dev.sift.jobs.config.ConfigKey;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.Columns;
import dev.sift.udfs.DamagedShard;
import dev.sift.udfs.WebDatasetReadFn;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.SerializableConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code read} stage: lists and checks the input files, reads them in the configured format,
 * checks the schema against the column mapping at start-up, and returns rows under the contract
 * names ({@code id}, {@code caption}, {@code url}, {@code image}, {@code width}, {@code height})
 * followed by every other input column unchanged.
 */
public final class InputReader {
  private static final Logger LOG = LoggerFactory.getLogger(InputReader.class);

  /** Footers checked on the driver; past this, Spark reports a bad file when it reaches it. */
  private static final int MAX_FOOTER_CHECKS = 2000;

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
    return nonEmpty(listFiles(spark.sparkContext().hadoopConfiguration(), path, format), format);
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
        return readWebDataset(spark, conf, hadoop, names);
      }
      case "parquet" -> {
        checkParquetFooters(hadoop, files);
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
    return map(raw, conf, names.get(0), names);
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
        nonEmpty(
            listFiles(hadoop, accepted, "parquet").stream()
                .filter(f -> !f.getPath().getName().endsWith(".tar"))
                .toList(),
            "parquet");
    checkParquetFooters(hadoop, files);
    Dataset<Row> rows =
        spark
            .read()
            .parquet(files.stream().map(f -> f.getPath().toString()).toArray(String[]::new));
    if (!batches.isEmpty()) {
      rows = rows.unionByName(balancedOut(spark, batches), true);
    }
    StructType schema = rows.schema();
    boolean ok =
        hasField(schema, Columns.ID)
            && schema.apply(Columns.ID).dataType().equals(DataTypes.StringType)
            && hasField(schema, Columns.CONCEPTS)
            && schema
                .apply(Columns.CONCEPTS)
                .dataType()
                .equals(DataTypes.createArrayType(DataTypes.StringType));
    if (!ok) {
      throw new SiftUserException(
          "balance reads the output of sift match: "
              + accepted
              + " needs columns id (string) and concepts (array<string>); columns found: "
              + describe(schema)
              + ". Run sift match first.");
    }
    List<String> names = files.stream().map(f -> f.getPath().toString()).toList();
    return new Input(rows, hasField(schema, Columns.IMAGE), true, names);
  }

  /**
   * Every file {@code path} names: comma-separated entries, each a file, a directory (recursively,
   * without Spark's metadata names; WebDataset: {@code .tar} files only) or a glob; sorted within
   * an entry, each file once.
   */
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

  private static List<FileStatus> listFiles(Configuration hadoop, String path, String format) {
    Map<String, FileStatus> files = new LinkedHashMap<>();
    boolean tarOnly = format.equals("webdataset");
    for (String entry : path.split(",")) {
      String part = entry.trim();
      if (part.isEmpty()) {
        continue;
      }
      try {
        Path p = new Path(part);
        FileSystem fs = p.getFileSystem(hadoop);
        FileStatus[] matches = fs.globStatus(p);
        if (matches == null || matches.length == 0) {
          throw new SiftUserException("input path not found: " + part);
        }
        List<FileStatus> found = new ArrayList<>();
        for (FileStatus m : matches) {
          if (!m.isDirectory()) {
            found.add(m);
            continue;
          }
          for (FileStatus f : filesUnder(fs, m.getPath())) {
            if (isDataFile(m.getPath(), f.getPath())
                && (!tarOnly || f.getPath().getName().toLowerCase(Locale.ROOT).endsWith(".tar"))) {
              found.add(f);
            }
          }
        }
        found.sort((x, y) -> x.getPath().toString().compareTo(y.getPath().toString()));
        found.forEach(f -> files.putIfAbsent(f.getPath().toString(), f));
      } catch (IOException e) {
        throw new SiftUserException("cannot list input path " + part + ": " + e.getMessage(), e);
      }
    }
    if (files.isEmpty()) {
      throw new SiftUserException(
          tarOnly
              ? "no WebDataset shards (.tar files) under " + path
              : "no input files under " + path + " (format " + format + ")");
    }
    return List.copyOf(files.values());
  }

  /**
   * Every file below {@code dir}. Object stores and HDFS list a tree in one call ({@code
   * listFiles}); the local file system walks it with {@code listStatus}, whose statuses do not
   * fetch permissions (Hadoop's {@code listFiles} there runs a process per file for them: 20 s for
   * 10,000 files).
   */
  private static List<FileStatus> filesUnder(FileSystem fs, Path dir) throws IOException {
    List<FileStatus> files = new ArrayList<>();
    if (!fs.getScheme().equals("file")) {
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
      while (it.hasNext()) {
        files.add(it.next());
      }
      return files;
    }
    java.util.ArrayDeque<Path> dirs = new java.util.ArrayDeque<>(List.of(dir));
    while (!dirs.isEmpty()) {
      for (FileStatus f : fs.listStatus(dirs.pop())) {
        if (f.isDirectory()) {
          dirs.push(f.getPath());
        } else {
          files.add(f);
        }
      }
    }
    return files;
  }

  /** Spark's rule: names starting with '_' or '.' (in any folder below the root) are metadata. */
  private static boolean isDataFile(Path root, Path file) {
    for (Path p = file; p != null && !p.equals(root); p = p.getParent()) {
      String name = p.getName();
      if (name.startsWith("_") || name.startsWith(".")) {
        return false;
      }
    }
    return true;
  }

  /** The files with data; zero-byte files hold no rows and are left out with a warning. */
  private static List<FileStatus> nonEmpty(List<FileStatus> files, String format) {
    List<FileStatus> kept = new ArrayList<>();
    for (FileStatus f : files) {
      if (f.getLen() == 0) {
        LOG.warn(
            "input {} {} is empty (0 bytes): it holds no rows",
            format.equals("webdataset") ? "shard" : "file",
            f.getPath());
      } else {
        kept.add(f);
      }
    }
    if (kept.isEmpty()) {
      throw new SiftUserException(
          "every input file is empty (0 bytes): "
              + files.stream().map(f -> f.getPath().toString()).collect(Collectors.joining(", ")));
    }
    return kept;
  }

  /** Reads every footer so that a truncated or non-Parquet file is named before Spark starts. */
  private static void checkParquetFooters(Configuration hadoop, List<FileStatus> files) {
    checkParquetFooters(hadoop, files, (file, schema) -> {});
  }

  /**
   * {@link #checkParquetFooters(Configuration, List)}, also handing each file's schema to {@code
   * check} (which throws to refuse it).
   */
  static void checkParquetFooters(
      Configuration hadoop, List<FileStatus> files, BiConsumer<FileStatus, MessageType> check) {
    int checked = 0;
    for (FileStatus f : files) {
      if (f.getLen() == 0) {
        continue;
      }
      if (checked++ == MAX_FOOTER_CHECKS) {
        LOG.info(
            "checked the first {} Parquet footers; Spark checks the other {}",
            MAX_FOOTER_CHECKS,
            files.size() - MAX_FOOTER_CHECKS);
        return;
      }
      MessageType schema;
      try (ParquetFileReader reader =
          ParquetFileReader.open(HadoopInputFile.fromStatus(f, hadoop))) {
        schema = reader.getFooter().getFileMetaData().getSchema();
      } catch (IOException | RuntimeException e) {
        throw new SiftUserException(
            "input file "
                + f.getPath()
                + " is not a readable Parquet file ("
                + f.getLen()
                + " bytes): "
                + e.getMessage(),
            e);
      }
      check.accept(f, schema);
    }
  }

  /** Maps configured columns to contract names, checking presence and types. */
  static Input map(Dataset<Row> raw, SiftConf conf, String sampleFile, List<String> files) {
    StructType schema = raw.schema();
    Map<String, String> mapping = new LinkedHashMap<>();
    mapping.put(Columns.ID, resolve(conf, SiftKeys.COLUMN_ID, schema, sampleFile, false));
    mapping.put(Columns.CAPTION, resolve(conf, SiftKeys.COLUMN_CAPTION, schema, sampleFile, true));
    mapping.put(Columns.URL, resolve(conf, SiftKeys.COLUMN_URL, schema, sampleFile, false));
    mapping.put(Columns.IMAGE, resolve(conf, SiftKeys.COLUMN_IMAGE, schema, sampleFile, false));
    mapping.put(Columns.WIDTH, resolve(conf, SiftKeys.COLUMN_WIDTH, schema, sampleFile, false));
    mapping.put(Columns.HEIGHT, resolve(conf, SiftKeys.COLUMN_HEIGHT, schema, sampleFile, false));
    String language = resolve(conf, SiftKeys.COLUMN_LANGUAGE, schema, sampleFile, false);
    if (language != null) {
      // Only a mapped language becomes a column: most inputs have none.
      mapping.put(Columns.LANGUAGE, language);
    }

    List<Column> out = new ArrayList<>();
    for (Map.Entry<String, String> m : mapping.entrySet()) {
      String contract = m.getKey();
      String source = m.getValue();
      DataType target = contractType(contract);
      if (source == null) {
        out.add(lit(null).cast(target).as(contract));
      } else {
        checkType(contract, source, schema, sampleFile);
        out.add(col(quote(source)).cast(target).as(contract));
      }
    }
    Set<String> mapped = Set.copyOf(mapping.values().stream().filter(v -> v != null).toList());
    Set<String> taken = new HashSet<>();
    for (StructField f : schema.fields()) {
      if (mapped.contains(f.name())) {
        continue;
      }
      out.add(col(quote(f.name())).as(passThroughName(f.name(), taken)));
    }
    return new Input(
        raw.select(out.toArray(Column[]::new)),
        mapping.get(Columns.IMAGE) != null,
        mapping.get(Columns.ID) != null,
        files);
  }

  /**
   * The name an input column passes through under: its own, or with {@code input_} prefixes while
   * it would clash with a column Sift writes, a working column or one already taken ({@code taken}
   * holds lower-cased names and gets this one).
   */
  private static String passThroughName(String original, Set<String> taken) {
    String name = original;
    while (Columns.isReserved(name)
        || taken.contains(name.toLowerCase(Locale.ROOT))
        || name.startsWith(Columns.INTERNAL_PREFIX)) {
      name = "input_" + name;
    }
    if (!name.equals(original)) {
      LOG.warn("input column '{}' passes through as '{}' (its name is Sift's)", original, name);
    }
    taken.add(name.toLowerCase(Locale.ROOT));
    return name;
  }

  /**
   * The input column for a contract name, or null when unmapped: set to "" by the user, or left at
   * its default and absent from the input. A column the user named that is missing is an error, and
   * so is a missing caption column.
   */
  private static String resolve(
      SiftConf conf, ConfigKey<String> key, StructType schema, String file, boolean required) {
    String name = conf.get(key);
    if (name == null || name.isEmpty()) {
      if (required) {
        throw new SiftUserException(key.name() + " must name the caption column; it is empty");
      }
      return null;
    }
    if (hasField(schema, name)) {
      return name;
    }
    if (required || conf.isUserSet(key)) {
      throw new SiftUserException(
          String.format(
              Locale.ROOT,
              "input column '%s' (%s) not found in %s; columns found: %s",
              name,
              key.name(),
              file,
              describe(schema)));
    }
    return null;
  }

  private static boolean hasField(StructType schema, String name) {
    for (String f : schema.fieldNames()) {
      if (f.equals(name)) {
        return true;
      }
    }
    return false;
  }

  private static DataType contractType(String contract) {
    return switch (contract) {
      case Columns.IMAGE -> DataTypes.BinaryType;
      case Columns.WIDTH, Columns.HEIGHT -> DataTypes.IntegerType;
      default -> DataTypes.StringType;
    };
  }

  private static void checkType(String contract, String source, StructType schema, String file) {
    DataType actual = schema.apply(source).dataType();
    boolean ok =
        switch (contract) {
          case Columns.IMAGE -> actual.equals(DataTypes.BinaryType);
          case Columns.WIDTH, Columns.HEIGHT -> isIntegral(actual);
          case Columns.ID -> actual.equals(DataTypes.StringType) || isIntegral(actual);
          default -> actual.equals(DataTypes.StringType);
        };
    if (!ok) {
      String expected =
          switch (contract) {
            case Columns.IMAGE -> "binary";
            case Columns.WIDTH, Columns.HEIGHT -> "an integer type";
            case Columns.ID -> "string or an integer type";
            default -> "string";
          };
      throw new SiftUserException(
          String.format(
              Locale.ROOT,
              "input column '%s' (mapped to %s) in %s has type %s, expected %s; columns found: %s",
              source,
              contract,
              file,
              actual.simpleString(),
              expected,
              describe(schema)));
    }
  }

  private static boolean isIntegral(DataType t) {
    return t.equals(DataTypes.IntegerType)
        || t.equals(DataTypes.LongType)
        || t.equals(DataTypes.ShortType)
        || t.equals(DataTypes.ByteType);
  }

  private static String describe(StructType schema) {
    if (schema.fields().length == 0) {
      return "(none)";
    }
    List<String> parts = new ArrayList<>();
    for (StructField f : schema.fields()) {
      parts.add(f.name() + " (" + f.dataType().simpleString() + ")");
    }
    return String.join(", ", parts);
  }

  static String quote(String name) {
    return "`" + name.replace("`", "``") + "`";
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
   * WebDataset tar shards: {@code sift.input.path} is a shard, a directory (its {@code .tar} files,
   * recursively), a glob, or several of these joined by commas. One Spark partition per shard, read
   * as a stream by {@link WebDatasetReadFn}; the first shard's {@code json} members are typed on
   * the driver so that their fields other than key, url, width and height pass through as columns.
   * With {@code sift.input.webdataset.failed-downloads}, the failed downloads listed in the Parquet
   * beside each shard ({@link FailedDownloads}) join the samples as rows the reader rejects.
   */
  private static Input readWebDataset(
      SparkSession spark, SiftConf conf, Configuration hadoop, List<String> shards) {
    String caption = conf.get(SiftKeys.WDS_CAPTION);
    String captionField = caption.startsWith("json:") ? caption.substring(5) : null;
    WebDatasetReadFn.Options options =
        new WebDatasetReadFn.Options(
            Arrays.stream(conf.get(SiftKeys.WDS_IMAGE).split(",")).map(String::trim).toList(),
            captionField == null ? caption : null,
            captionField,
            conf.get(SiftKeys.WDS_ON_ERROR) == SiftKeys.OnShardError.SKIP_REST);
    CollectionAccumulator<DamagedShard> damaged =
        spark.sparkContext().collectionAccumulator("sift.input.webdataset.damaged");
    WebDatasetReadFn fn =
        new WebDatasetReadFn(
            options, SerializableConfiguration.broadcast(spark.sparkContext(), hadoop), damaged);
    JavaRDD<Row> samples =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(shards, shards.size())
            .flatMap(fn);
    Dataset<Row> raw = spark.createDataFrame(samples, WebDatasetReadFn.SCHEMA);

    List<Column> out = new ArrayList<>();
    for (String c :
        List.of(
            Columns.ID,
            Columns.CAPTION,
            Columns.URL,
            Columns.IMAGE,
            Columns.WIDTH,
            Columns.HEIGHT)) {
      out.add(col(c));
    }
    Set<String> taken = new HashSet<>();
    taken.add(WebDatasetReadFn.KEY);
    taken.add(WebDatasetReadFn.SHARD);
    Set<String> consumed = new HashSet<>(Set.of("key", "url", "width", "height"));
    if (captionField != null) {
      consumed.add(captionField);
    }
    StructType jsonSchema = jsonSchema(spark, hadoop, shards, conf);
    Column parsed = functions.from_json(col(WebDatasetReadFn.JSON), jsonSchema);
    List<FailedDownloads.PassThrough> passThrough = new ArrayList<>();
    for (StructField f : jsonSchema.fields()) {
      if (!consumed.contains(f.name())) {
        String name = passThroughName(f.name(), taken);
        passThrough.add(new FailedDownloads.PassThrough(f.name(), name, f.dataType()));
        out.add(parsed.getField(f.name()).as(name));
      }
    }
    out.add(col(WebDatasetReadFn.KEY));
    out.add(col(WebDatasetReadFn.SHARD));
    out.add(col(Columns.READ_REJECT));
    out.add(col(Columns.READ_DETAIL));
    Dataset<Row> rows = raw.select(out.toArray(Column[]::new));
    if (!conf.get(SiftKeys.WDS_FAILED_DOWNLOADS)) {
      return new Input(rows, true, true, shards, () -> damagedShards(damaged));
    }
    FailedDownloads.Siblings siblings = FailedDownloads.find(hadoop, shards);
    Dataset<Row> failed =
        FailedDownloads.rows(
            spark, hadoop, siblings, captionField == null ? "caption" : captionField, passThrough);
    if (failed != null) {
      rows = rows.unionByName(failed);
    }
    return new Input(
        rows,
        true,
        true,
        shards,
        () -> {
          Map<String, Object> m = new LinkedHashMap<>(damagedShards(damaged));
          m.put("failed_downloads", siblings.manifest());
          return m;
        });
  }

  /** The pass-through fields of the shards' {@code json} members, typed from the first shard. */
  private static StructType jsonSchema(
      SparkSession spark, Configuration hadoop, List<String> shards, SiftConf conf) {
    List<String> json =
        WebDatasetReadFn.firstJson(hadoop, shards.get(0), conf.get(SiftKeys.WDS_SCHEMA_SAMPLES));
    if (json.isEmpty()) {
      return new StructType();
    }
    return spark
        .read()
        .option("mode", "DROPMALFORMED")
        .json(spark.createDataset(json, Encoders.STRING()))
        .schema();
  }

  /** The manifest's {@code damaged_shards}: each shard once (retried tasks report it again). */
  private static Map<String, Object> damagedShards(CollectionAccumulator<DamagedShard> acc) {
    Map<String, DamagedShard> byPath = new java.util.TreeMap<>();
    for (DamagedShard d : acc.value()) {
      byPath.putIfAbsent(d.path(), d);
    }
    List<Map<String, Object>> list = new ArrayList<>();
    for (DamagedShard d : byPath.values()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("path", d.path());
      m.put("offset", d.offset());
      m.put("error", d.error());
      list.add(m);
    }
    return Map.of("damaged_shards", list);
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
