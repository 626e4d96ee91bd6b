package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.col;

import dev.sift.curation.dedup.HashBands;
import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.DedupUdfs;
import dev.sift.udfs.ReferenceHashes;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code sift.dedup.reference} (a directory of image files, or Parquet with an {@code image}
 * binary column) and hashes its images on the executors: the start-up half of the reference check.
 * A reference that does not exist, or has no decodable image, is a start-up error naming the key;
 * undecodable files are counted, logged and left out.
 *
 * <p>Driver-side helpers, stateless.
 */
final class ReferenceImages {
  private static final Logger LOG = LoggerFactory.getLogger(ReferenceImages.class);

  /** The hashes and how many reference files could not be decoded. */
  record Loaded(ReferenceHashes hashes, long files, long undecodable, String format) {}

  private ReferenceImages() {}

  static Loaded load(SparkSession spark, SiftConf conf, HashBands bands) {
    String location = conf.get(SiftKeys.DEDUP_REFERENCE);
    Path path = new Path(location);
    boolean parquet;
    try {
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(path)) {
        throw new SiftUserException(
            "sift.dedup.reference = " + location + ": no such file or directory");
      }
      parquet = isParquet(fs, path);
    } catch (IOException e) {
      throw new SiftUserException(
          "sift.dedup.reference = " + location + ": cannot be listed: " + e.getMessage(), e);
    }
    spark.sparkContext().setJobDescription("sift: pHashes of the reference images");
    Dataset<Row> images;
    if (parquet) {
      Dataset<Row> raw = spark.read().parquet(location);
      List<String> columns = List.of(raw.columns());
      if (!columns.contains("image")) {
        throw new SiftUserException(
            "sift.dedup.reference = "
                + location
                + ": Parquet without an `image` column (columns: "
                + String.join(", ", columns)
                + ")");
      }
      String nameColumn = columns.contains("id") ? "id" : columns.contains("url") ? "url" : null;
      images =
          raw.select(
              nameColumn == null
                  ? functions.concat(
                      functions.input_file_name(),
                      functions.lit("#"),
                      functions.monotonically_increasing_id().cast("string"))
                  : col(nameColumn).cast("string"),
              col("image"));
    } else {
      images =
          spark
              .read()
              .format("binaryFile")
              .option("recursiveFileLookup", "true")
              .load(location)
              .select(col("path"), col("content"));
    }
    List<Row> hashed =
        images
            .toDF("name", "image")
            .select(
                col("name"),
                DedupUdfs.phash(conf.get(SiftKeys.DECODE_MAX_PIXELS)).apply(col("image")).as("h"))
            .orderBy(col("name"))
            .collectAsList();
    List<String> names = new ArrayList<>();
    List<Long> hashes = new ArrayList<>();
    long undecodable = 0;
    for (Row r : hashed) {
      if (r.isNullAt(1)) {
        undecodable++;
        LOG.warn("sift.dedup.reference: {} is not a decodable image; left out", r.getString(0));
        continue;
      }
      names.add(r.getString(0));
      hashes.add(r.getLong(1));
    }
    if (hashes.isEmpty()) {
      throw new SiftUserException(
          "sift.dedup.reference = "
              + location
              + ": no decodable image among "
              + hashed.size()
              + " files or rows");
    }
    LOG.info(
        "sift.dedup.reference: {} reference images hashed from {} ({} undecodable)",
        hashes.size(),
        location,
        undecodable);
    return new Loaded(
        new ReferenceHashes(
            bands,
            hashes.stream().mapToLong(Long::longValue).toArray(),
            names.toArray(String[]::new)),
        hashed.size(),
        undecodable,
        parquet ? "parquet" : "image files");
  }

  /** A {@code .parquet} file, or a directory whose files include Parquet ones. */
  private static boolean isParquet(FileSystem fs, Path path) throws IOException {
    if (path.getName().toLowerCase(Locale.ROOT).endsWith(".parquet")) {
      return true;
    }
    if (!fs.getFileStatus(path).isDirectory()) {
      return false;
    }
    for (FileStatus f : fs.listStatus(path)) {
      if (f.isFile() && f.getPath().getName().toLowerCase(Locale.ROOT).endsWith(".parquet")) {
        return true;
      }
    }
    return false;
  }
}
