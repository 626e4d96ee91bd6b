package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.col;

import dev.sift.curation.dedup.HashBands;
import dev.sift.curation.models.Float16;
import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.ClipScorePartitionFn;
import dev.sift.udfs.Columns;
import dev.sift.udfs.DedupUdfs;
import dev.sift.udfs.ReferenceEmbeddings;
import dev.sift.udfs.ReferenceHashes;
import dev.sift.udfs.ScoreMetrics;
import dev.sift.udfs.StageCounter;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeMap;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
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

  /**
   * The hashes, the embeddings (null unless asked for) and how many reference files could not be
   * decoded.
   */
  record Loaded(
      ReferenceHashes hashes,
      ReferenceEmbeddings embeddings,
      long files,
      long undecodable,
      String format) {}

  private ReferenceImages() {}

  /**
   * @param minSimilarity with semantic dedup, the similarity that makes a row a reference overlap
   *     by CLIP image embedding (the images are embedded with {@code sift.score.model}); NaN for
   *     pHashes only
   */
  static Loaded load(SparkSession spark, SiftConf conf, HashBands bands, double minSimilarity) {
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
      // Its images may be larger than the input's: the reader batch must hold them too.
      try {
        org.apache.hadoop.conf.Configuration hadoop = spark.sparkContext().hadoopConfiguration();
        ParquetReaderBatch.narrow(
            spark,
            InputFiles.checkParquetFooters(
                hadoop, InputFiles.listFiles(hadoop, location, "parquet")),
            "reference-set");
      } catch (SiftUserException e) {
        throw new SiftUserException(
            "sift.dedup.reference = " + location + ": " + e.getMessage(), e);
      }
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
    ReferenceEmbeddings embeddings =
        Double.isNaN(minSimilarity) ? null : embed(spark, conf, images, minSimilarity);
    return new Loaded(
        new ReferenceHashes(
            bands,
            hashes.stream().mapToLong(Long::longValue).toArray(),
            names.toArray(String[]::new)),
        embeddings,
        hashed.size(),
        undecodable,
        parquet ? "parquet" : "image files");
  }

  /**
   * The reference images' CLIP image embeddings, by the score stage's own function (same model,
   * preprocessing and device): the images go through it as rows with an empty caption.
   */
  private static ReferenceEmbeddings embed(
      SparkSession spark, SiftConf conf, Dataset<Row> images, double minSimilarity) {
    spark.sparkContext().setJobDescription("sift: CLIP embeddings of the reference images");
    Dataset<Row> rows =
        images
            .toDF("name", "image")
            .select(
                col("name").as(Columns.ID),
                functions.lit("").as(Columns.CAPTION),
                col("image").as(Columns.IMAGE),
                functions.lit(null).cast(DataTypes.DoubleType).as(Columns.CLIP_SCORE),
                functions.lit(null).cast(DataTypes.BinaryType).as(Columns.IMAGE_EMBEDDING),
                functions.lit(null).cast(DataTypes.StringType).as(Columns.REJECT_REASON),
                functions.lit(null).cast(DataTypes.StringType).as(Columns.REJECT_STAGE),
                functions.lit(null).cast(DataTypes.StringType).as(Columns.REJECT_DETAIL));
    ClipScorePartitionFn fn =
        ScoreStage.partitionFn(
            rows.schema(),
            conf,
            new TreeMap<>(),
            new StageCounter("reference", spark.sparkContext().longAccumulator("sift.reference")),
            new ScoreMetrics(spark.sparkContext(), "reference"));
    List<Row> embedded =
        rows.mapPartitions(fn, Encoders.row(rows.schema()))
            .where(col(Columns.IMAGE_EMBEDDING).isNotNull())
            .select(col(Columns.ID), col(Columns.IMAGE_EMBEDDING))
            .orderBy(col(Columns.ID))
            .collectAsList();
    if (embedded.isEmpty()) {
      throw new SiftUserException(
          "sift.dedup.reference: no reference image could be embedded by sift.score.model");
    }
    float[][] vectors = new float[embedded.size()][];
    String[] names = new String[embedded.size()];
    for (int i = 0; i < vectors.length; i++) {
      names[i] = embedded.get(i).getString(0);
      vectors[i] = Float16.decode((byte[]) embedded.get(i).get(1));
    }
    LOG.info("sift.dedup.reference: {} reference images embedded", vectors.length);
    return new ReferenceEmbeddings(vectors, names, minSimilarity);
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
