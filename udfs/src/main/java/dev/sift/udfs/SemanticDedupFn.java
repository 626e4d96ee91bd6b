package dev.sift.udfs;

import dev.sift.curation.dedup.KeepRule;
import dev.sift.curation.dedup.SimilarPairs;
import dev.sift.curation.dedup.SphericalKMeans;
import dev.sift.curation.models.Float16;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.FlatMapGroupsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * SemDeDup on one level-1 cluster, on the executor that holds it: its rows sorted by id, a level-2
 * spherical k-means into clusters of about {@code clusterSize} rows (fitted on an evenly spaced
 * subset, then every row assigned), every pair inside each level-2 cluster compared in blocks
 * ({@link SimilarPairs}) and judged by {@link KeepRule} as the pairs are found. Emits one row per
 * removed id: (removed id, kept id, similarity, detail).
 *
 * <p>Input rows: (id string, clip_score double or null, image embedding float16 bytes). The result
 * depends only on the cluster's set of rows and the seed, never on the order Spark hands them over,
 * so partitioning and retries cannot change it. Serialised to executors with its settings.
 */
public final class SemanticDedupFn implements FlatMapGroupsFunction<Integer, Row, Row> {
  private static final long serialVersionUID = 1L;

  /** The rows it emits. */
  public static final StructType RESULT =
      new StructType()
          .add("removed", DataTypes.StringType, false)
          .add("kept", DataTypes.StringType, false)
          .add("value", DataTypes.DoubleType, false)
          .add("detail", DataTypes.StringType, false);

  /** How a pair's winner is chosen: {@code clip-score}, {@code id}, {@code hard}, {@code easy}. */
  public enum Priority {
    CLIP_SCORE,
    ID,
    HARD,
    EASY;

    public static Priority of(String name) {
      return valueOf(name.replace('-', '_').toUpperCase(java.util.Locale.ROOT));
    }
  }

  /** Level-2 k-means is fitted on at most this many points per centroid. */
  static final int FIT_POINTS_PER_CENTROID = 64;

  private final double minSimilarity;
  private final int clusterSize;
  private final long seed;
  private final int iterations;
  private final Priority priority;

  public SemanticDedupFn(
      double minSimilarity, int clusterSize, long seed, int iterations, Priority priority) {
    this.minSimilarity = minSimilarity;
    this.clusterSize = clusterSize;
    this.seed = seed;
    this.iterations = iterations;
    this.priority = priority;
  }

  @Override
  public Iterator<Row> call(Integer cluster, Iterator<Row> input) {
    List<Row> rows = new ArrayList<>();
    input.forEachRemaining(rows::add);
    rows.sort(Comparator.comparing(r -> r.getString(0)));
    int n = rows.size();
    float[][] vectors = new float[n][];
    for (int i = 0; i < n; i++) {
      vectors[i] = Float16.decode((byte[]) rows.get(i).get(2));
    }
    int k = Math.max(1, (int) Math.round((double) n / clusterSize));
    int[] assignment;
    SphericalKMeans model = null;
    if (k == 1) {
      assignment = new int[n];
    } else {
      int step = Math.max(1, n / (k * FIT_POINTS_PER_CENTROID));
      List<float[]> fitPoints = new ArrayList<>();
      for (int i = 0; i < n; i += step) {
        fitPoints.add(vectors[i]);
      }
      model =
          SphericalKMeans.fit(
              fitPoints.toArray(float[][]::new), k, seed * 31 + cluster, iterations);
      assignment = model.assign(vectors);
    }
    List<List<Integer>> members = new ArrayList<>();
    for (int c = 0; c < Math.max(1, model == null ? 1 : model.k()); c++) {
      members.add(new ArrayList<>());
    }
    for (int i = 0; i < n; i++) {
      members.get(assignment[i]).add(i);
    }
    float[][] centroids = model == null ? new float[][] {mean(vectors)} : model.centroids();
    List<Row> out = new ArrayList<>();
    for (int c = 0; c < members.size(); c++) {
      List<Integer> idx = members.get(c);
      if (idx.size() < 2) {
        continue;
      }
      float[][] group = new float[idx.size()][];
      List<KeepRule.Candidate> candidates = new ArrayList<>(idx.size());
      for (int m = 0; m < idx.size(); m++) {
        int i = idx.get(m);
        group[m] = vectors[i];
        candidates.add(
            new KeepRule.Candidate(
                rows.get(i).getString(0), priority(rows.get(i), vectors[i], centroids[c])));
      }
      KeepRule.Tally tally = new KeepRule.Tally(candidates);
      SimilarPairs.forEach(group, minSimilarity, tally);
      for (Map.Entry<Integer, KeepRule.Removal> e : tally.removals().entrySet()) {
        String removed = candidates.get(e.getKey()).id();
        String kept = candidates.get(e.getValue().keptIndex()).id();
        double sim = e.getValue().value();
        out.add(
            RowFactory.create(
                removed,
                kept,
                sim,
                String.format(
                    java.util.Locale.ROOT, "kept id %s, cosine similarity %.4f", kept, sim)));
      }
    }
    return out.iterator();
  }

  private double priority(Row row, float[] v, float[] centroid) {
    return switch (priority) {
      case CLIP_SCORE -> row.isNullAt(1) ? Double.NaN : row.getDouble(1);
      case ID -> 0.0;
      case HARD -> -SphericalKMeans.dot(v, 0, centroid, 0, v.length);
      case EASY -> SphericalKMeans.dot(v, 0, centroid, 0, v.length);
    };
  }

  private static float[] mean(float[][] vectors) {
    float[] m = new float[vectors[0].length];
    for (float[] v : vectors) {
      for (int i = 0; i < m.length; i++) {
        m[i] += v[i];
      }
    }
    double norm = 0;
    for (float x : m) {
      norm += (double) x * x;
    }
    float inv = norm > 0 ? (float) (1.0 / Math.sqrt(norm)) : 0f;
    for (int i = 0; i < m.length; i++) {
      m[i] *= inv;
    }
    return m;
  }

  /** {@code binary → int}: the level-1 cluster of a float16 embedding, by the broadcast model. */
  public static UserDefinedFunction assign(SphericalKMeans level1) {
    float[][] centroids = level1.centroids();
    UDF1<byte[], Integer> fn =
        new UDF1<>() {
          private transient SphericalKMeans model;

          @Override
          public Integer call(byte[] embedding) {
            if (model == null) {
              model = SphericalKMeans.of(centroids);
            }
            return model.nearest(Float16.decode(embedding));
          }
        };
    return functions.udf(fn, DataTypes.IntegerType);
  }
}
