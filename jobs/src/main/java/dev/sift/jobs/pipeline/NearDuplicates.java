package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.col;

import dev.sift.curation.dedup.HashBands;
import dev.sift.udfs.DedupUdfs;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * Near-duplicate pairs by pHash without comparing all pairs: every row emits its band keys as an
 * index and its probe keys ({@link HashBands}); an equi-join of probes against the index finds
 * every pair within the distance (pigeonhole), and the full Hamming distance removes the chance
 * candidates. Then the keep rule: per row, its best duplicate that beats it.
 *
 * <p>Input columns: {@code id} (string), {@code h} (the pHash, bigint), {@code np} (the negated
 * priority: lower wins; a double). Stateless helpers, driver-side; public for the benchmark.
 */
public final class NearDuplicates {
  private NearDuplicates() {}

  /**
   * The join's candidate pairs before the distance check: (a, ha, na) from the index, (b, hb, nb)
   * from the probes, a != b. A pair sharing several keys appears once per key.
   */
  public static Dataset<Row> candidates(Dataset<Row> hashes, HashBands bands) {
    Dataset<Row> index =
        hashes.select(
            col("id").as("a"),
            col("h").as("ha"),
            col("np").as("na"),
            functions.explode(DedupUdfs.indexKeys(bands).apply(col("h"))).as("key"));
    Dataset<Row> probes =
        hashes.select(
            col("id").as("b"),
            col("h").as("hb"),
            col("np").as("nb"),
            functions.explode(DedupUdfs.probeKeys(bands).apply(col("h"))).as("key"));
    return probes.join(index, "key").where(col("a").notEqual(col("b")));
  }

  /** Candidates within the distance, with {@code d}, the Hamming distance. */
  public static Dataset<Row> pairs(Dataset<Row> hashes, HashBands bands) {
    return candidates(hashes, bands)
        .withColumn("d", functions.bit_count(col("ha").bitwiseXOR(col("hb"))))
        .where(col("d").leq(bands.distance()));
  }

  /**
   * The removal table ({@link Removals}' columns plus {@code value}, the distance): each row that
   * some duplicate beats (lower negated priority, then smaller id), naming the best such duplicate.
   */
  public static Dataset<Row> removals(Dataset<Row> hashes, HashBands bands) {
    return pairs(hashes, bands)
        .where(functions.struct(col("na"), col("a")).lt(functions.struct(col("nb"), col("b"))))
        .groupBy(col("b"))
        .agg(functions.min(functions.struct(col("na"), col("a"), col("d"))).as("best"))
        .select(
            col("b").as(Removals.REMOVED_ID),
            col("best.a").as(Removals.KEPT_ID),
            col("best.d").cast(DataTypes.DoubleType).as("value"),
            functions
                .format_string("kept id %s, pHash distance %d", col("best.a"), col("best.d"))
                .as(Removals.DETAIL));
  }
}
