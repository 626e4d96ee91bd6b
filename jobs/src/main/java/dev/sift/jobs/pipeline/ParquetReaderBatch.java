package dev.sift.jobs.pipeline;

import org.apache.spark.sql.RuntimeConfig;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sizes Spark's vectorized Parquet reader batch to the input's image bytes. The reader holds a
 * batch of rows ({@value #KEY}, 4096 by default) of each column in one array, which cannot pass 2
 * GB: Parquet input whose images average 512 KB fails to be read at all with the default ("Cannot
 * reserve additional contiguous bytes in the vectorized reader (integer overflow)"; seen here with
 * 3,000 rows of 1 MB in one row group). From the footers' widest byte-array column (bytes per row
 * in its largest row group) the batch is cut so that a batch of such rows holds {@link #BUDGET}
 * bytes, 16 times below the limit to leave room for rows larger than their row group's average;
 * inputs of small images keep Spark's batch.
 *
 * <p>A value the user set (spark-submit, {@code spark.*} keys of the configuration) is kept; the
 * value Sift set is marked in the session, so a later run in the same session sizes it afresh.
 * Driver-side; stateless.
 */
final class ParquetReaderBatch {
  private static final Logger LOG = LoggerFactory.getLogger(ParquetReaderBatch.class);

  static final String KEY = "spark.sql.parquet.columnarReaderBatchSize";

  /** Set (to the value) while the session's {@link #KEY} is Sift's choice, not the user's. */
  static final String CHOSEN = "sift.internal.parquet-reader-batch";

  /** Bytes of the widest column a batch may hold. */
  static final long BUDGET = 128L << 20;

  private ParquetReaderBatch() {}

  /** Rows per batch for rows of {@code rowBytes} in the widest column, at most {@code limit}. */
  static int rows(long rowBytes, int limit) {
    if (rowBytes <= 0) {
      return limit;
    }
    return (int) Math.max(1, Math.min(limit, BUDGET / rowBytes));
  }

  /**
   * Sets the session's reader batch for input whose widest byte-array column takes {@code rowBytes}
   * a row (from {@link InputFiles#checkParquetFooters}), unless the user chose one.
   */
  static void fit(SparkSession spark, long rowBytes) {
    RuntimeConfig conf = spark.conf();
    if (usersChoice(conf)) {
      return;
    }
    conf.unset(KEY);
    conf.unset(CHOSEN);
    int sparkDefault = Integer.parseInt(conf.get(KEY));
    int rows = rows(rowBytes, sparkDefault);
    if (rows < sparkDefault) {
      choose(conf, rows, rowBytes, "input");
    }
  }

  /**
   * Lowers the session's reader batch, if need be, for another Parquet read of the same run (a
   * reference set) whose widest byte-array column takes {@code rowBytes} a row: the batch of the
   * run's scans is the smaller of the two. A user's choice is kept.
   */
  static void narrow(SparkSession spark, long rowBytes, String what) {
    RuntimeConfig conf = spark.conf();
    if (usersChoice(conf)) {
      return;
    }
    int current = Integer.parseInt(conf.get(KEY));
    int rows = rows(rowBytes, current);
    if (rows < current) {
      choose(conf, rows, rowBytes, what);
    }
  }

  /** Whether the session's batch was set, and not by Sift. */
  private static boolean usersChoice(RuntimeConfig conf) {
    String chosen = conf.get(CHOSEN, null);
    return conf.contains(KEY) && (chosen == null || !chosen.equals(conf.get(KEY, null)));
  }

  private static void choose(RuntimeConfig conf, int rows, long rowBytes, String what) {
    conf.set(KEY, rows);
    conf.set(CHOSEN, Integer.toString(rows));
    LOG.info(
        "the widest {} column averages up to {} KB a row: Parquet is read {} rows at a time ({})",
        what,
        rowBytes >> 10,
        rows,
        KEY);
  }
}
