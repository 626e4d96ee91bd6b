package dev.sift.jobs.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.append.AppendOutput;
import dev.sift.jobs.pipeline.OutputWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;

/**
 * What every report section reads: one output directory's manifest, its accepted and rejected rows
 * and its concept counts (lazy Datasets; a section's aggregations run when it builds), and the
 * report's settings. For an append-mode output, all committed batches together: their rows and
 * concept counts combined, their manifests by {@link BatchManifests}. Immutable; driver-side.
 */
record ReportInput(
    SparkSession spark,
    String dir,
    ReportJob.Options options,
    JsonNode manifest,
    Dataset<Row> accepted,
    Dataset<Row> rejected,
    Dataset<Row> conceptCounts) {

  /** The input of a run whose manifest has been read. */
  static ReportInput open(SparkSession spark, ReportJob.Run run, ReportJob.Options options) {
    String dir = run.dir();
    List<String> batches = run.batches();
    if (batches == null) {
      return new ReportInput(
          spark,
          dir,
          options,
          run.manifest(),
          OutputWriter.readAccepted(spark, dir),
          spark.read().parquet(new Path(dir, OutputWriter.REJECTED).toString()),
          spark.read().parquet(new Path(dir, OutputWriter.CONCEPT_COUNTS).toString()));
    }
    Dataset<Row> accepted = null;
    for (String b : batches) {
      Dataset<Row> rows = OutputWriter.readAccepted(spark, b);
      accepted = accepted == null ? rows : accepted.unionByName(rows, true);
    }
    Dataset<Row> counts =
        spark
            .read()
            .option("mergeSchema", "true")
            .parquet(parts(batches, OutputWriter.CONCEPT_COUNTS));
    List<Column> keys = new ArrayList<>(List.of(functions.col("concept")));
    if (List.of(counts.columns()).contains("language")) {
      keys.add(functions.col("language"));
    }
    Dataset<Row> summed =
        counts
            .groupBy(keys.toArray(Column[]::new))
            .agg(functions.sum("matched").as("matched"), functions.sum("kept").as("kept"));
    return new ReportInput(
        spark,
        dir,
        options,
        run.manifest(),
        accepted,
        spark.read().option("mergeSchema", "true").parquet(parts(batches, OutputWriter.REJECTED)),
        summed);
  }

  /**
   * The committed batch directories when {@code dir} is an append-mode output; null when it is the
   * output of one run.
   *
   * @throws SiftUserException when it is an append-mode output without a committed batch
   */
  static List<String> committedBatches(SparkSession spark, String dir) {
    Path root = new Path(dir);
    try {
      FileSystem fs = root.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!AppendOutput.isAppendOutput(fs, root)) {
        return null;
      }
      List<String> batches = AppendOutput.read(fs, root).committedBatchDirs();
      if (batches.isEmpty()) {
        throw new SiftUserException(
            "append-mode output " + dir + " has no committed batch yet: nothing to report");
      }
      return batches;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + dir, e);
    }
  }

  private static String[] parts(List<String> batches, String part) {
    return batches.stream().map(b -> new Path(b, part).toString()).toArray(String[]::new);
  }
}
