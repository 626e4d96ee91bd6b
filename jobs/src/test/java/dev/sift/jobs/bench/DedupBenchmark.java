package dev.sift.jobs.bench;

import static org.apache.spark.sql.functions.col;

import dev.sift.curation.dedup.HashBands;
import dev.sift.curation.dedup.KeepRule;
import dev.sift.curation.dedup.SimilarPairs;
import dev.sift.curation.models.Float16;
import dev.sift.jobs.config.ConfigLoader;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.pipeline.NearDuplicates;
import dev.sift.jobs.pipeline.SemanticDedup;
import dev.sift.udfs.Columns;
import dev.sift.udfs.SparkTestBase;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;

/**
 * Dedup at pool scale for scripts/bench-dedup.sh, on synthetic data with planted duplicates, on the
 * embedded Spark ({@code local[*]}):
 *
 * <ul>
 *   <li>{@code semantic N...}: SemDeDup over N 512-d normalised embeddings (1,000 centres, 5% of
 *       rows planted as near-copies of another row at cosine ~0.9986): wall time, recall of the
 *       planted pairs, and the growth between sizes; then {@code agreement M}: the same on M rows
 *       against the rule applied by brute force to all M^2/2 pairs.
 *   <li>{@code phash N}: the pHash band join over N random 64-bit hashes, 5% planted 1-4 bits from
 *       another: wall time, true pairs, join rows and distinct candidate pairs per true pair.
 *   <li>{@code exact-data N DIR}: N text rows (the alt-texts repeated) with a {@code sha256}
 *       column, 10% of it repeated, for the exact-dedup overhead run by bin/sift.
 * </ul>
 *
 * Every generated value is a function of (row number, seed): reruns give the same data.
 */
public final class DedupBenchmark {
  static final int DIM = 512;
  static final int CENTRES = 1000;
  static final long SEED = 20261205L;

  private DedupBenchmark() {}

  public static void main(String[] args) throws Exception {
    SparkSession spark = SparkTestBase.newSession();
    try {
      switch (args[0]) {
        case "semantic" -> semantic(spark, args);
        case "phash" -> phash(spark, Long.parseLong(args[1]));
        case "exact-data" -> exactData(spark, args[1], Long.parseLong(args[2]), args[3]);
        default -> throw new IllegalArgumentException("semantic | phash | exact-data: " + args[0]);
      }
    } finally {
      spark.stop();
    }
  }

  // ---- semantic ----

  static float[] centre(int c) {
    SplittableRandom r = new SplittableRandom(SEED * 31 + c);
    float[] v = new float[DIM];
    for (int d = 0; d < DIM; d++) {
      v[d] = (float) (r.nextDouble() * 2 - 1);
    }
    return normalise(v);
  }

  static float[] normalise(float[] v) {
    double n = 0;
    for (float x : v) {
      n += (double) x * x;
    }
    float inv = (float) (1 / Math.sqrt(n));
    for (int d = 0; d < v.length; d++) {
      v[d] *= inv;
    }
    return v;
  }

  /** Row i's embedding: around its centre; every 20th row a near-copy of row i - 10. */
  static float[] embedding(long i, float[][] centres) {
    SplittableRandom r = new SplittableRandom(SEED ^ (i * 0x9E3779B97F4A7C15L));
    if (i % 20 == 19) {
      float[] v = embedding(i - 10, centres);
      for (int d = 0; d < DIM; d++) {
        v[d] += (float) (0.004 * (r.nextDouble() * 2 - 1));
      }
      return normalise(v);
    }
    float[] c = centres[r.nextInt(CENTRES)];
    float[] v = new float[DIM];
    for (int d = 0; d < DIM; d++) {
      v[d] = c[d] + (float) (0.1 * (r.nextDouble() * 2 - 1));
    }
    return normalise(v);
  }

  static final StructType EMBEDDED =
      new StructType()
          .add(Columns.ID, DataTypes.StringType)
          .add(Columns.CLIP_SCORE, DataTypes.DoubleType)
          .add(Columns.IMAGE_EMBEDDING, DataTypes.BinaryType)
          .add(Columns.REJECT_REASON, DataTypes.StringType);

  static String id(long i) {
    return String.format("r%08d", i);
  }

  static Dataset<Row> embeddings(SparkSession spark, long n) {
    MapPartitionsFunction<Long, Row> gen =
        it -> {
          float[][] centres = new float[CENTRES][];
          for (int c = 0; c < CENTRES; c++) {
            centres[c] = centre(c);
          }
          List<Row> out = new ArrayList<>();
          while (it.hasNext()) {
            long i = it.next();
            double score = new SplittableRandom(i * 7 + 1).nextDouble();
            out.add(RowFactory.create(id(i), score, Float16.encode(embedding(i, centres)), null));
          }
          return out.iterator();
        };
    int partitions = (int) Math.max(2, n / 50_000);
    return spark
        .range(0, n, 1, partitions)
        .as(Encoders.LONG())
        .mapPartitions(gen, Encoders.row(EMBEDDED));
  }

  static SiftConf conf() {
    return ConfigLoader.load(null, List.of(), Map.of());
  }

  static void semantic(SparkSession spark, String[] args) {
    double previous = 0;
    long previousN = 0;
    for (int a = 1; a < args.length; a++) {
      if (args[a].equals("agreement")) {
        agreement(spark, Long.parseLong(args[++a]));
        continue;
      }
      long n = Long.parseLong(args[a]);
      SemanticDedup dedup = new SemanticDedup(conf(), "clip-score");
      // As in the dedup stage, whose input (the scored rows) is cached.
      Dataset<Row> rows = embeddings(spark, n).persist(StorageLevel.MEMORY_AND_DISK());
      rows.count();
      long t0 = System.nanoTime();
      List<Row> removed = dedup.removals(rows, spark).collectAsList();
      double secs = (System.nanoTime() - t0) / 1e9;
      Map<String, String> kept = new HashMap<>();
      for (Row r : removed) {
        kept.put(r.getString(0), r.getString(1));
      }
      long planted = 0;
      long found = 0;
      for (long i = 19; i < n; i += 20) {
        planted++;
        String a1 = id(i);
        String b1 = id(i - 10);
        if (b1.equals(kept.get(a1)) || a1.equals(kept.get(b1))) {
          found++;
        }
      }
      System.out.printf(
          "semantic %,d rows: %.1f s wall (%,.0f rows/s), %,d removed, recall of %,d planted"
              + " pairs %.4f, level-1 clusters %s%n",
          n,
          secs,
          n / secs,
          removed.size(),
          planted,
          (double) found / planted,
          dedup.describe().get("level1_clusters"));
      if (previousN > 0) {
        System.out.printf(
            "semantic growth %,d -> %,d rows (x%.0f): time x%.1f%n",
            previousN, n, (double) n / previousN, secs / previous);
      }
      previous = secs;
      previousN = n;
      rows.unpersist(true);
    }
  }

  /** The clustered result on m rows against the rule over all pairs of the same m rows. */
  static void agreement(SparkSession spark, long m) {
    SemanticDedup dedup = new SemanticDedup(conf(), "clip-score");
    Map<String, String> ours = new HashMap<>();
    Dataset<Row> rows = embeddings(spark, m).persist(StorageLevel.MEMORY_AND_DISK());
    rows.count();
    long t0 = System.nanoTime();
    for (Row r : dedup.removals(rows, spark).collectAsList()) {
      ours.put(r.getString(0), r.getString(1));
    }
    double clustered = (System.nanoTime() - t0) / 1e9;
    float[][] centres = new float[CENTRES][];
    for (int c = 0; c < CENTRES; c++) {
      centres[c] = centre(c);
    }
    float[][] vectors = new float[(int) m][];
    List<KeepRule.Candidate> candidates = new ArrayList<>();
    for (int i = 0; i < m; i++) {
      vectors[i] = Float16.decode(Float16.encode(embedding(i, centres)));
      candidates.add(new KeepRule.Candidate(id(i), new SplittableRandom(i * 7L + 1).nextDouble()));
    }
    long t1 = System.nanoTime();
    KeepRule.Tally tally = new KeepRule.Tally(candidates);
    SimilarPairs.forEach(vectors, 1 - 0.01, tally);
    double brute = (System.nanoTime() - t1) / 1e9;
    Map<String, String> exact = new HashMap<>();
    tally.removals().forEach((i, r) -> exact.put(id(i), id(r.keptIndex())));
    Set<String> both = new HashSet<>(ours.keySet());
    both.retainAll(exact.keySet());
    long sameKept = both.stream().filter(k -> ours.get(k).equals(exact.get(k))).count();
    System.out.printf(
        "semantic agreement on %,d rows: clustered %.1f s, brute force over all %,d pairs %.1f s"
            + " (one thread); removed: clustered %,d, brute force %,d, both %,d (recall %.4f,"
            + " precision %.4f), same kept id %,d%n",
        m,
        clustered,
        m * (m - 1) / 2,
        brute,
        ours.size(),
        exact.size(),
        both.size(),
        (double) both.size() / exact.size(),
        ours.isEmpty() ? 1.0 : (double) both.size() / ours.size(),
        sameKept);
  }

  // ---- phash ----

  static final StructType HASHES =
      new StructType()
          .add("id", DataTypes.StringType)
          .add("h", DataTypes.LongType)
          .add("np", DataTypes.DoubleType);

  static long hash(long i) {
    SplittableRandom r = new SplittableRandom(SEED ^ (i * 0xBF58476D1CE4E5B9L));
    if (i % 20 == 19) {
      long h = hash(i - 10);
      int flips = 1 + r.nextInt(4);
      for (int f = 0; f < flips; f++) {
        h ^= 1L << r.nextInt(64);
      }
      return h;
    }
    return r.nextLong();
  }

  static void phash(SparkSession spark, long n) {
    MapPartitionsFunction<Long, Row> gen =
        it -> {
          List<Row> out = new ArrayList<>();
          while (it.hasNext()) {
            long i = it.next();
            out.add(RowFactory.create(id(i), hash(i), -new SplittableRandom(i).nextDouble()));
          }
          return out.iterator();
        };
    int partitions = (int) Math.max(2, n / 100_000);
    Dataset<Row> hashes =
        spark
            .range(0, n, 1, partitions)
            .as(Encoders.LONG())
            .mapPartitions(gen, Encoders.row(HASHES))
            .cache();
    hashes.count();
    HashBands bands = HashBands.forDistance(4);
    long t0 = System.nanoTime();
    long removed = NearDuplicates.removals(hashes, bands).count();
    double secs = (System.nanoTime() - t0) / 1e9;
    long joinRows = NearDuplicates.candidates(hashes, bands).count();
    long distinct =
        NearDuplicates.candidates(hashes, bands).select("a", "b").distinct().count() / 2;
    long truePairs = NearDuplicates.pairs(hashes, bands).select("a", "b").distinct().count() / 2;
    System.out.printf(
        "phash %,d hashes (k = 4, %d bands, radius %d, %d probe keys per hash): removals in %.1f"
            + " s wall, %,d removed; %,d true pairs; join rows per true pair %.2f, distinct"
            + " candidate pairs per true pair %.2f%n",
        n,
        bands.bands(),
        bands.radius(),
        bands.probeCount(),
        secs,
        removed,
        truePairs,
        (double) joinRows / truePairs,
        (double) distinct / truePairs);
  }

  // ---- exact ----

  static void exactData(SparkSession spark, String source, long rows, String out) {
    ScaleData.repeated(spark, source, rows)
        // One row in ten shares its image hash with the row before it.
        .withColumn(
            "sha256",
            functions.sha2(
                functions
                    .when(col("id").mod(10).equalTo(9), col("id").minus(1))
                    .otherwise(col("id"))
                    .cast("string"),
                256))
        .repartition(16)
        .write()
        .mode("overwrite")
        .parquet(out);
  }
}
