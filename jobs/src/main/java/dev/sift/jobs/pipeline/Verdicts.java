package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.sift.udfs.Columns;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;

/**
 * How stages record their verdicts on the tagged rows: every row comes out exactly once; a row some
 * stage rejected carries {@code reject_stage}, {@code reject_reason} and {@code reject_detail} from
 * the first stage that rejected it, and later stages do no work on it.
 *
 * <p>Stateless column helpers, driver-side.
 */
final class Verdicts {
  private Verdicts() {}

  /**
   * Rows no stage has rejected so far. As a filter on rows that are not cached ({@code
   * rows.where(alive())}), Spark pushes it below the stages' projections by substituting every
   * verdict column with its expression, so each earlier stage's function runs several times per
   * row; to leave rejected rows out of an aggregation, use {@link #ifAlive} instead.
   */
  static Column alive() {
    return col(Columns.REJECT_REASON).isNull();
  }

  /**
   * {@code value} for rows still alive, null for rejected ones: in a projection each earlier
   * stage's function runs once per row (e.g. {@code explode(ifAlive(concepts))} drops rejected rows
   * without a filter).
   */
  static Column ifAlive(Column value) {
    return when(alive(), value);
  }

  /**
   * Records a stage's verdict on the rows still alive: {@code reason} (a reason code or null) and
   * {@code detail}, which are evaluated only for those rows. The verdict is materialised in a
   * working column first so that an expensive expression runs once per row.
   */
  static Dataset<Row> judge(Dataset<Row> rows, String stage, Column reason, Column detail) {
    String verdict = Columns.INTERNAL_PREFIX + stage;
    rows = rows.withColumn(verdict, when(alive(), reason));
    Column r = col(verdict);
    return rows.withColumn(
            Columns.REJECT_STAGE,
            when(r.isNotNull(), lit(stage)).otherwise(col(Columns.REJECT_STAGE)))
        .withColumn(
            Columns.REJECT_DETAIL,
            when(r.isNotNull(), detail).otherwise(col(Columns.REJECT_DETAIL)))
        .withColumn(Columns.REJECT_REASON, functions.coalesce(col(Columns.REJECT_REASON), r));
  }

  /**
   * A column of a stage that did not run, as typed nulls, where the rows lack it (the {@code
   * balance} command's input, an earlier output, has it already).
   */
  static Dataset<Row> withNull(Dataset<Row> rows, String column, DataType type) {
    if (List.of(rows.columns()).contains(column)) {
      return rows;
    }
    return rows.withColumn(column, lit(null).cast(type));
  }
}
