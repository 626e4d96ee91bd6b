package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.sift.curation.Reject;
import dev.sift.jobs.SiftUserException;
import dev.sift.udfs.Columns;
import dev.sift.udfs.WebDatasetReadFn;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.MapType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * img2dataset's failed downloads, read with {@code sift.input.webdataset.failed-downloads}. Beside
 * each shard {@code NNNNN.tar} img2dataset writes {@code NNNNN.parquet} with one row per row of the
 * shard's input and its {@code status}; the rows that were not downloaded ({@code
 * failed_to_download}, {@code failed_to_resize}) are only there. {@link #find} pairs the shards
 * with those files on the driver (one listing per folder, not one request per shard); {@link #rows}
 * reads the rows whose status is not {@code success} with Spark, in the shard reader's columns and
 * rejected {@code read/download_failed}, so that they join the samples as input rows and the shards
 * are read only once.
 *
 * <p>Driver-side; static methods only.
 */
final class FailedDownloads {
  private static final Logger LOG = LoggerFactory.getLogger(FailedDownloads.class);

  /** img2dataset's columns: the sample key, the outcome, the reason for a failure. */
  static final String KEY = "key";

  static final String STATUS = "status";
  static final String ERROR = "error_message";
  static final String SUCCESS = "success";

  /** Shards without a Parquet named one by one in the log; the rest are counted. */
  private static final int MAX_WARNED = 20;

  /** Shards without a Parquet listed in the manifest. */
  private static final int MAX_LISTED = 1000;

  private static final String FILE = Columns.INTERNAL_PREFIX + "parquet_file";
  private static final String SHARD_OF = Columns.INTERNAL_PREFIX + "parquet_shard";

  /** A column of the shard reader taken from a {@code json} field: field, column name, type. */
  record PassThrough(String field, String column, DataType type) {}

  /**
   * The shards paired with their Parquet files.
   *
   * @param parquet shard path to its Parquet file, in the order of the shards
   * @param missing the shards without one (or with an empty one)
   */
  record Siblings(Map<String, FileStatus> parquet, List<String> missing) {

    /** The manifest's {@code input.failed_downloads}. */
    Map<String, Object> manifest() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("parquet_files", parquet.size());
      m.put("shards_without_parquet_count", missing.size());
      m.put("shards_without_parquet", missing.subList(0, Math.min(MAX_LISTED, missing.size())));
      return m;
    }
  }

  private FailedDownloads() {}

  /**
   * The Parquet file img2dataset writes beside a shard: {@code 00000.tar} → {@code 00000.parquet}.
   */
  static String parquetName(String shardName) {
    String lower = shardName.toLowerCase(Locale.ROOT);
    String stem =
        lower.endsWith(".tar") ? shardName.substring(0, shardName.length() - 4) : shardName;
    return stem + ".parquet";
  }

  /**
   * Finds each shard's Parquet, listing each folder once. A shard without one is logged as a
   * warning and carried on with: its samples are read, its failed downloads (if any) are not.
   */
  static Siblings find(Configuration hadoop, List<String> shards) {
    Map<Path, Map<String, FileStatus>> listings = new HashMap<>();
    Map<String, FileStatus> parquet = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    for (String shard : shards) {
      Path path = new Path(shard);
      Path folder = path.getParent();
      Map<String, FileStatus> listing =
          listings.computeIfAbsent(folder, f -> list(hadoop, f, shard));
      FileStatus sibling = listing.get(parquetName(path.getName()));
      if (sibling == null) {
        missing.add(shard);
        if (missing.size() <= MAX_WARNED) {
          LOG.warn(
              "WebDataset shard {} has no {} beside it (sift.input.webdataset.failed-downloads):"
                  + " its samples are read, its failed downloads are not counted",
              shard,
              parquetName(path.getName()));
        }
      } else if (sibling.getLen() == 0) {
        missing.add(shard);
        LOG.warn(
            "{} beside WebDataset shard {} is empty (0 bytes): its failed downloads are not"
                + " counted",
            sibling.getPath(),
            shard);
      } else {
        parquet.put(shard, sibling);
      }
    }
    if (missing.size() > MAX_WARNED) {
      LOG.warn(
          "{} of {} WebDataset shards have no Parquet beside them (the first {} are named above;"
              + " the manifest's input.failed_downloads lists them)",
          missing.size(),
          shards.size(),
          MAX_WARNED);
    }
    return new Siblings(parquet, List.copyOf(missing));
  }

  private static Map<String, FileStatus> list(Configuration hadoop, Path folder, String shard) {
    Map<String, FileStatus> byName = new HashMap<>();
    try {
      for (FileStatus f : folder.getFileSystem(hadoop).listStatus(folder)) {
        if (f.isFile()) {
          byName.put(f.getPath().getName(), f);
        }
      }
    } catch (IOException e) {
      throw new SiftUserException(
          "cannot list " + folder + " for the Parquet beside " + shard + ": " + e.getMessage(), e);
    }
    return byName;
  }

  /**
   * The failed downloads of the shards that have a Parquet, as rows in the shard reader's columns
   * ({@code id}, {@code caption}, {@code url}, {@code image}, {@code width}, {@code height}, the
   * pass-through columns, {@code __key__}, {@code __shard__} and the reader's verdict), or null
   * when no shard has one. Each file must have img2dataset's {@code key} and {@code status}
   * columns.
   *
   * @param captionField the Parquet column holding the caption ({@code caption}, or the {@code
   *     json:FIELD} the samples' captions come from)
   */
  static Dataset<Row> rows(
      SparkSession spark,
      Configuration hadoop,
      Siblings siblings,
      String captionField,
      List<PassThrough> passThrough) {
    if (siblings.parquet().isEmpty()) {
      return null;
    }
    List<FileStatus> files = new ArrayList<>(siblings.parquet().values());
    InputFiles.checkParquetFooters(
        hadoop,
        files,
        (file, schema) -> {
          for (String required : List.of(KEY, STATUS)) {
            if (!schema.containsField(required)) {
              throw new SiftUserException(
                  String.format(
                      Locale.ROOT,
                      "%s beside a WebDataset shard has no column '%s': it is not img2dataset's"
                          + " (set sift.input.webdataset.failed-downloads = false to read the"
                          + " shards alone); columns found: %s",
                      file.getPath(),
                      required,
                      String.join(
                          ", ", schema.getFields().stream().map(f -> f.getName()).toList())));
            }
          }
        });
    Dataset<Row> raw =
        spark
            .read()
            .parquet(files.stream().map(f -> f.getPath().toString()).toArray(String[]::new));
    StructType schema = raw.schema();

    // Spark names each row's file by a URI of its own form (file:///a%20b/…); both sides are
    // normalised to Hadoop's path string and the shard looked up in a small broadcast table.
    List<Row> pairs = new ArrayList<>();
    siblings
        .parquet()
        .forEach(
            (shard, f) ->
                pairs.add(RowFactory.create(pathOf(f.getPath().toUri().toString()), shard)));
    Dataset<Row> shardOf =
        spark.createDataFrame(
            pairs,
            new StructType().add(FILE, DataTypes.StringType).add(SHARD_OF, DataTypes.StringType));
    Dataset<Row> failed =
        raw.select(
                col("*"),
                functions
                    .udf((UDF1<String, String>) FailedDownloads::pathOf, DataTypes.StringType)
                    .apply(col("_metadata.file_path"))
                    .as(FILE))
            .where(col(STATUS).cast(DataTypes.StringType).notEqual(SUCCESS))
            .join(broadcast(shardOf), FILE, "left");

    Column error = value(schema, ERROR, DataTypes.StringType);
    Column status = col(STATUS).cast(DataTypes.StringType);
    List<Column> out = new ArrayList<>();
    out.add(value(schema, KEY, DataTypes.StringType).as(Columns.ID));
    out.add(value(schema, captionField, DataTypes.StringType).as(Columns.CAPTION));
    out.add(value(schema, "url", DataTypes.StringType).as(Columns.URL));
    out.add(lit(null).cast(DataTypes.BinaryType).as(Columns.IMAGE));
    out.add(value(schema, "width", DataTypes.IntegerType).as(Columns.WIDTH));
    out.add(value(schema, "height", DataTypes.IntegerType).as(Columns.HEIGHT));
    for (PassThrough p : passThrough) {
      out.add(value(schema, p.field(), p.type()).as(p.column()));
    }
    out.add(value(schema, KEY, DataTypes.StringType).as(WebDatasetReadFn.KEY));
    out.add(col(SHARD_OF).as(WebDatasetReadFn.SHARD));
    out.add(lit(Reject.DOWNLOAD_FAILED.code()).as(Columns.READ_REJECT));
    out.add(
        functions
            .when(functions.length(error).gt(0), error)
            .otherwise(functions.concat(lit("img2dataset status "), status))
            .as(Columns.READ_DETAIL));
    return failed.select(out.toArray(Column[]::new));
  }

  /**
   * A Parquet column as {@code type}: as it is when the types agree, converted between numbers or
   * to a string (null where a value does not convert), null when absent or not convertible (a
   * struct for a number), so that an unexpected type never fails the run.
   */
  private static Column value(StructType schema, String name, DataType type) {
    DataType from = null;
    for (StructField f : schema.fields()) {
      if (f.name().equals(name)) {
        from = f.dataType();
      }
    }
    if (from == null) {
      return lit(null).cast(type);
    }
    Column c = col(InputSchema.quote(name));
    if (from.equals(type)) {
      return c;
    }
    boolean numbers = from instanceof NumericType && type instanceof NumericType;
    boolean toText = type.equals(DataTypes.StringType) && !complex(from);
    return numbers || toText ? c.try_cast(type) : lit(null).cast(type);
  }

  /** A file's URI as Spark writes it, as the path string Hadoop's listings give. */
  static String pathOf(String uri) {
    return new Path(URI.create(uri)).toString();
  }

  private static boolean complex(DataType t) {
    return t instanceof StructType || t instanceof ArrayType || t instanceof MapType;
  }
}
