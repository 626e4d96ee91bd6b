package dev.sift.jobs.bench;

import dev.sift.udfs.SparkTestBase;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * Writes a large text-only input for scripts/bench-scale.sh: the 10,000 real alt-texts repeated
 * until there are {@code rows} rows, each with its own id, in {@code files} Parquet files.
 * Arguments: source parquet, rows, files, output directory.
 */
public final class ScaleData {
  private ScaleData() {}

  public static void main(String[] args) {
    SparkSession spark = SparkTestBase.newSession();
    try {
      repeated(spark, args[0], Long.parseLong(args[1]))
          .repartition(Integer.parseInt(args[2]))
          .write()
          .mode("overwrite")
          .parquet(args[3]);
    } finally {
      spark.stop();
    }
  }

  /** The alt-texts of {@code source} repeated to {@code rows} rows, each with its own id. */
  static Dataset<Row> repeated(SparkSession spark, String source, long rows) {
    Dataset<Row> alt = spark.read().parquet(source).select("TEXT", "URL");
    long n = alt.count();
    long copies = (rows + n - 1) / n;
    return spark
        .range(copies)
        .toDF("copy")
        .crossJoin(alt)
        .withColumn("id", functions.monotonically_increasing_id())
        .limit((int) rows);
  }
}
