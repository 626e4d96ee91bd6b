package dev.sift.jobs.pipeline;

import static dev.sift.jobs.pipeline.Verdicts.alive;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.sift.curation.dedup.SphericalKMeans;
import dev.sift.curation.models.Float16;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.Columns;
import dev.sift.udfs.SemanticDedupFn;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * SemDeDup at pool scale, the driver's half. Comparing all pairs is quadratic, and one k-means with
 * clusters small enough to compare within costs rows x clusters, quadratic again; so two levels:
 *
 * <ol>
 *   <li>Level 1: a spherical k-means with about {@code sqrt(rows / cluster-size)} centroids, fitted
 *       on the driver over a sample chosen by a hash of the id and the seed (so the same rows are
 *       drawn whatever the partitioning), sorted by id; every row is then assigned to its nearest
 *       centroid by a broadcast UDF.
 *   <li>Level 2, per level-1 cluster on one executor ({@link SemanticDedupFn}): a k-means into
 *       clusters of about {@code cluster-size} rows, then all pairs within each compared in blocks.
 * </ol>
 *
 * Work per row is then about {@code 2 sqrt(rows / size)} centroid products plus {@code size} pair
 * products, so the whole grows a little faster than linearly. Pairs split across clusters are not
 * compared, as in SemDeDup; the benchmark measures the recall this costs.
 *
 * <p>Driver-side, one per run; not serialisable. Public for the benchmark.
 */
public final class SemanticDedup {
  /** Level 1 is fitted on at most this many sampled points per centroid, and at least 2,000. */
  static final int SAMPLE_PER_CENTROID = 64;

  static final int MIN_SAMPLE = 2_000;

  private final double eps;
  private final int clusterSize;
  private final long seed;
  private final int iterations;
  private final SemanticDedupFn.Priority priority;
  private final Map<String, Object> figures = new LinkedHashMap<>();

  /**
   * @param priority {@code clip-score}, {@code id}, {@code hard} or {@code easy}
   */
  public SemanticDedup(SiftConf conf, String priority) {
    this.eps = conf.get(SiftKeys.DEDUP_SEMANTIC_EPS);
    this.clusterSize = conf.get(SiftKeys.DEDUP_SEMANTIC_CLUSTER_SIZE);
    this.seed = conf.get(SiftKeys.DEDUP_SEMANTIC_SEED);
    this.iterations = conf.get(SiftKeys.DEDUP_SEMANTIC_ITERATIONS);
    this.priority = SemanticDedupFn.Priority.of(priority);
  }

  /**
   * The removal table ({@link Removals}' columns plus {@code value}, the similarity) of the alive
   * rows that have an image embedding: rows of {@code id}, {@code clip_score}, {@code
   * image_embedding} and {@code reject_reason} at least.
   */
  public Dataset<Row> removals(Dataset<Row> rows, SparkSession spark) {
    Dataset<Row> embedded =
        rows.where(alive().and(col(Columns.IMAGE_EMBEDDING).isNotNull()))
            .select(
                col(Columns.ID).as("id"),
                priority == SemanticDedupFn.Priority.CLIP_SCORE
                    ? col(Columns.CLIP_SCORE)
                    : lit(null).cast(DataTypes.DoubleType).as(Columns.CLIP_SCORE),
                col(Columns.IMAGE_EMBEDDING).as("embedding"));
    spark.sparkContext().setJobDescription("sift: semantic dedup, rows with embeddings");
    long n = embedded.count();
    int k1 = (int) Math.max(1, Math.round(Math.sqrt((double) n / clusterSize)));
    long target = Math.min(n, Math.max(MIN_SAMPLE, (long) SAMPLE_PER_CENTROID * k1));
    figures.put("rows", n);
    figures.put("eps", eps);
    figures.put("min_similarity", 1 - eps);
    figures.put("cluster_size", clusterSize);
    figures.put("level1_clusters", k1);
    figures.put("priority", priority.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
    if (n < 2) {
      return spark.createDataFrame(List.of(), resultSchema());
    }
    // A deterministic sample: the rows whose hash of (id, seed) falls in the first fraction.
    double fraction = (double) target / n;
    long buckets = 1L << 30;
    spark.sparkContext().setJobDescription("sift: semantic dedup, level-1 k-means sample");
    List<Row> sampled =
        new ArrayList<>(
            embedded
                .where(
                    functions
                        .pmod(functions.xxhash64(col("id"), lit(seed)), lit(buckets))
                        .lt(lit((long) Math.ceil(fraction * buckets))))
                .select(col("id"), col("embedding"))
                .collectAsList());
    sampled.sort(Comparator.comparing(r -> r.getString(0)));
    float[][] points = new float[sampled.size()][];
    for (int i = 0; i < points.length; i++) {
      points[i] = Float16.decode((byte[]) sampled.get(i).get(1));
    }
    figures.put("level1_sample", points.length);
    if (points.length == 0) {
      return spark.createDataFrame(List.of(), resultSchema());
    }
    SphericalKMeans level1 =
        SphericalKMeans.fit(points, Math.min(k1, points.length), seed, iterations);
    figures.put("level1_iterations", level1.iterations());
    String cluster = "cluster";
    return embedded
        .withColumn(cluster, SemanticDedupFn.assign(level1).apply(col("embedding")))
        .groupByKey(
            (org.apache.spark.api.java.function.MapFunction<Row, Integer>) r -> r.getInt(3),
            Encoders.INT())
        .flatMapGroups(
            new SemanticDedupFn(1 - eps, clusterSize, seed, iterations, priority),
            Encoders.row(SemanticDedupFn.RESULT))
        .select(
            col("removed").as(Removals.REMOVED_ID),
            col("kept").as(Removals.KEPT_ID),
            col("value"),
            col("detail").as(Removals.DETAIL));
  }

  private static org.apache.spark.sql.types.StructType resultSchema() {
    return new org.apache.spark.sql.types.StructType()
        .add(Removals.REMOVED_ID, DataTypes.StringType)
        .add(Removals.KEPT_ID, DataTypes.StringType)
        .add("value", DataTypes.DoubleType)
        .add(Removals.DETAIL, DataTypes.StringType);
  }

  /** Level-1 figures for the manifest. */
  public Map<String, Object> describe() {
    return figures;
  }
}
