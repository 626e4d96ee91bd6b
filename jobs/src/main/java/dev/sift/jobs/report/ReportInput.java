package dev.sift.jobs.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.jobs.pipeline.OutputWriter;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What every report section reads: one output directory's manifest and its accepted and rejected
 * rows (lazy Datasets; a section's aggregations run when it builds), and the report's settings.
 * Immutable; driver-side.
 */
record ReportInput(
    SparkSession spark,
    String dir,
    ReportJob.Options options,
    JsonNode manifest,
    Dataset<Row> accepted,
    Dataset<Row> rejected) {

  /** The input of {@code dir}; exit 2 when it has no manifest. */
  static ReportInput open(SparkSession spark, String dir, ReportJob.Options options) {
    return new ReportInput(
        spark,
        dir,
        options,
        ReportJob.readManifest(spark, dir),
        OutputWriter.readAccepted(spark, dir.toString()),
        spark.read().parquet(new Path(dir, OutputWriter.REJECTED).toString()));
  }
}
