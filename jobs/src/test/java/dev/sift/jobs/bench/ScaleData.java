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
    String source = args[0];
    long rows = Long.parseLong(args[1]);
    int files = Integer.parseInt(args[2]);
    SparkSession spark = SparkTestBase.newSession();
    try {
      Dataset<Row> alt = spark.read().parquet(source).select("TEXT", "URL");
      long n = alt.count();
      long copies = (rows + n - 1) / n;
      Dataset<Row> big =
          spark
              .range(copies)
              .toDF("copy")
              .crossJoin(alt)
              .withColumn("id", functions.monotonically_increasing_id())
              .limit((int) rows)
              .repartition(files);
      big.write().mode("overwrite").parquet(args[3]);
    } finally {
      spark.stop();
    }
  }
}
