package dev.sift.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sift.curation.dedup.KeepRule;
import dev.sift.curation.dedup.SimilarPairs;
import dev.sift.curation.models.Float16;
import dev.sift.jobs.config.ConfigLoader;
import dev.sift.jobs.config.SiftConf;
import dev.sift.udfs.Columns;
import dev.sift.udfs.SemanticDedupFn;
import dev.sift.udfs.SparkTestBase;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Semantic dedup on synthetic clustered embeddings with planted near-duplicates: the removals equal
 * those of the rule applied by brute force to all pairs, and do not depend on partitioning or on
 * the order a retried task receives its rows in.
 */
class SemanticDedupTest extends SparkTestBase {
  static final int DIM = 48;
  static final double EPS = 0.01;
  static List<Row> rows;
  static float[][] vectors;

  @BeforeAll
  static void embeddings() {
    SplittableRandom random = new SplittableRandom(7);
    int centres = 12;
    float[][] centre = new float[centres][];
    for (int c = 0; c < centres; c++) {
      centre[c] = normal(random, null, 0);
    }
    List<float[]> vs = new ArrayList<>();
    for (int i = 0; i < 2400; i++) {
      // Points spread around their centre: distinct points stay well below 1 - EPS.
      vs.add(normal(random, centre[i % centres], 0.15));
    }
    for (int i = 0; i < 150; i++) {
      float[] base = vs.get(random.nextInt(2400));
      vs.add(normal(random, base, 0.01));
    }
    vectors = new float[vs.size()][];
    rows = new ArrayList<>();
    for (int i = 0; i < vs.size(); i++) {
      // Round-trip through float16 as the score stage stores them.
      byte[] f16 = Float16.encode(vs.get(i));
      vectors[i] = Float16.decode(f16);
      Double score = i % 17 == 0 ? null : random.nextDouble();
      rows.add(RowFactory.create(String.format("r%05d", i), score, f16, null));
    }
  }

  /** {@code around} plus Gaussian noise of {@code sigma} per component, normalised. */
  static float[] normal(SplittableRandom random, float[] around, double sigma) {
    float[] v = new float[DIM];
    double norm = 0;
    for (int d = 0; d < DIM; d++) {
      double g =
          Math.sqrt(-2 * Math.log(1 - random.nextDouble()))
              * Math.cos(2 * Math.PI * random.nextDouble());
      v[d] = (float) ((around == null ? 0 : around[d]) + (around == null ? g : sigma * g));
      norm += (double) v[d] * v[d];
    }
    for (int d = 0; d < DIM; d++) {
      v[d] /= (float) Math.sqrt(norm);
    }
    return v;
  }

  static Dataset<Row> dataset(int partitions) {
    StructType schema =
        new StructType()
            .add(Columns.ID, DataTypes.StringType)
            .add(Columns.CLIP_SCORE, DataTypes.DoubleType)
            .add(Columns.IMAGE_EMBEDDING, DataTypes.BinaryType)
            .add(Columns.REJECT_REASON, DataTypes.StringType);
    return spark.createDataFrame(rows, schema).repartition(partitions);
  }

  static Map<String, String> removals(int partitions, int clusterSize) {
    SiftConf conf =
        ConfigLoader.load(
            null,
            List.of(
                "sift.dedup.semantic.eps=" + EPS,
                "sift.dedup.semantic.cluster-size=" + clusterSize),
            Map.of());
    Map<String, String> out = new TreeMap<>();
    for (Row r :
        new SemanticDedup(conf, "clip-score")
            .removals(dataset(partitions), spark)
            .collectAsList()) {
      assertThat(out.put(r.getString(0), r.getString(1) + " " + r.get(2))).isNull();
    }
    return out;
  }

  /** The rule over every pair of the whole set, by a plain double loop. */
  static Map<String, String> bruteForce() {
    List<KeepRule.Candidate> candidates = new ArrayList<>();
    for (Row r : rows) {
      candidates.add(
          new KeepRule.Candidate(r.getString(0), r.isNullAt(1) ? Double.NaN : r.getDouble(1)));
    }
    List<SimilarPairs.Pair> pairs = new ArrayList<>();
    for (int i = 0; i < vectors.length; i++) {
      for (int j = i + 1; j < vectors.length; j++) {
        float dot = 0;
        for (int d = 0; d < DIM; d++) {
          dot += vectors[i][d] * vectors[j][d];
        }
        if (dot >= 1 - EPS) {
          pairs.add(new SimilarPairs.Pair(i, j, dot));
        }
      }
    }
    Map<String, String> out = new TreeMap<>();
    KeepRule.removals(candidates, pairs)
        .forEach((i, r) -> out.put(candidates.get(i).id(), candidates.get(r.keptIndex()).id()));
    return out;
  }

  static Map<String, String> keptOnly(Map<String, String> removals) {
    Map<String, String> out = new TreeMap<>();
    removals.forEach((k, v) -> out.put(k, v.split(" ")[0]));
    return out;
  }

  @Test
  void inOneClusterTheRemovalsAreTheBruteForceRulesWhateverThePartitioning() {
    Map<String, String> expected = bruteForce();
    assertThat(expected.size()).isBetween(140, 160);
    // A cluster size above the row count: one cluster, every pair compared.
    Map<String, String> one = removals(1, 10_000);
    assertThat(keptOnly(one)).isEqualTo(expected);
    assertThat(removals(4, 10_000)).isEqualTo(one);
    assertThat(removals(16, 10_000)).isEqualTo(one);
  }

  @Test
  void clusteredTheRemovalsAreTrueDuplicatesFoundWhateverThePartitioning() {
    Map<String, String> expected = bruteForce();
    // About 4 level-1 clusters of about 3 level-2 clusters each.
    Map<String, String> one = removals(1, 200);
    assertThat(removals(4, 200)).isEqualTo(one);
    assertThat(removals(16, 200)).isEqualTo(one);
    Map<String, Integer> index = new java.util.HashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      index.put(rows.get(i).getString(0), i);
    }
    for (Map.Entry<String, String> e : keptOnly(one).entrySet()) {
      float[] a = vectors[index.get(e.getKey())];
      float[] b = vectors[index.get(e.getValue())];
      float dot = 0;
      for (int d = 0; d < DIM; d++) {
        dot += a[d] * b[d];
      }
      assertThat(dot)
          .as("%s ~ %s", e.getKey(), e.getValue())
          .isGreaterThanOrEqualTo((float) (1 - EPS));
      assertThat(expected).containsKey(e.getKey());
    }
    // Pairs split between clusters are not compared (as in SemDeDup): recall, not equality.
    assertThat((double) one.size() / expected.size()).isGreaterThanOrEqualTo(0.95);
  }

  @Test
  void aRetriedGroupGivesTheSameRowsWhateverTheirOrder() throws Exception {
    SemanticDedupFn fn = new SemanticDedupFn(1 - EPS, 100, 3L, 20, SemanticDedupFn.Priority.HARD);
    List<Row> group = new ArrayList<>();
    for (Row r : rows.subList(0, 600)) {
      group.add(RowFactory.create(r.get(0), r.get(1), r.get(2)));
    }
    group.addAll(
        rows.subList(2400, 2550).stream()
            .map(r -> RowFactory.create(r.get(0), r.get(1), r.get(2)))
            .toList());
    List<Row> first = new ArrayList<>();
    fn.call(0, group.iterator()).forEachRemaining(first::add);
    Collections.shuffle(group, new java.util.Random(11));
    List<Row> again = new ArrayList<>();
    fn.call(0, group.iterator()).forEachRemaining(again::add);
    assertThat(first).isNotEmpty();
    assertThat(again).isEqualTo(first);
  }
}
