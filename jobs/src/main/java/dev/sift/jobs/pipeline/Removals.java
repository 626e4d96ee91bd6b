package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.sift.curation.Reject;
import dev.sift.udfs.Columns;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * Dedup's verdicts, from a table of removals (one row per removed id: the kept id that beats it and
 * the detail naming both) joined onto the rows by id. The table is cached, since the rows' plan may
 * be evaluated more than once, and broadcast when small; a larger one is joined by a shuffle, which
 * Spark's adaptive execution may still turn into a broadcast.
 *
 * <p>Stateless helpers, driver-side.
 */
public final class Removals {
  /** Removal tables up to this many rows are broadcast (about 100 bytes each). */
  static final long BROADCAST_ROWS = 500_000L;

  public static final String REMOVED_ID = Columns.INTERNAL_PREFIX + "removed_id";
  public static final String KEPT_ID = Columns.INTERNAL_PREFIX + "kept_id";
  public static final String DETAIL = Columns.INTERNAL_PREFIX + "removal_detail";

  private Removals() {}

  /**
   * Rejects, with {@code reason}, the alive rows whose id the table names.
   *
   * @param removals rows of ({@link #REMOVED_ID}, {@link #KEPT_ID}, {@link #DETAIL}), one per id
   * @return the rows with the verdict, and no working columns of the table left
   */
  static Dataset<Row> judge(
      Dataset<Row> rows, Dataset<Row> removals, long count, String stage, Reject reason) {
    Dataset<Row> table = count <= BROADCAST_ROWS ? functions.broadcast(removals) : removals;
    Dataset<Row> joined =
        rows.join(table, rows.col(Columns.ID).equalTo(table.col(REMOVED_ID)), "left_outer");
    Column removed = col(REMOVED_ID).isNotNull();
    return Verdicts.judge(joined, stage, when(removed, lit(reason.code())), col(DETAIL))
        .drop(REMOVED_ID, KEPT_ID, DETAIL);
  }
}
