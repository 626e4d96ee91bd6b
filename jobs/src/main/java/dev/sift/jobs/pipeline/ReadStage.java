package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.sift.curation.Reject;
import dev.sift.jobs.config.SiftConf;
import dev.sift.udfs.Columns;
import dev.sift.udfs.StableIdUdf;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * The {@code read} stage's part of the plan, over the rows {@link InputReader} mapped: ids (from
 * the input where present and non-blank, derived from content otherwise), {@code original_caption},
 * and the reject columns, with all but one row of each duplicated id rejected and the reader's own
 * verdicts ({@link Columns#READ_REJECT}, WebDataset's {@code read/} reasons) recorded. For the
 * {@code balance} command, whose input is an earlier output, only fresh reject columns.
 *
 * <p>Driver-side, one per run (see {@link PipelineStage}).
 */
public final class ReadStage implements PipelineStage {
  public static final String NAME = "read";

  private static final String POS = Columns.INTERNAL_PREFIX + "pos";
  private static final String WINNER = Columns.INTERNAL_PREFIX + "winner";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean runsFor(Command command, SiftConf conf) {
    return true;
  }

  @Override
  public Dataset<Row> apply(Dataset<Row> rows, StageContext ctx) {
    if (ctx.command() == Command.BALANCE) {
      return rows.withColumn(Columns.REJECT_REASON, lit(null).cast(DataTypes.StringType))
          .withColumn(Columns.REJECT_STAGE, lit(null).cast(DataTypes.StringType))
          .withColumn(Columns.REJECT_DETAIL, lit(null).cast(DataTypes.StringType));
    }
    boolean readerVerdicts = List.of(rows.columns()).contains(Columns.READ_REJECT);
    rows = markDuplicates(withIds(rows, ctx.input().hasId()), readerVerdicts);
    // A reader's own verdict (WebDataset: a duplicated member, bad JSON, a failed download) comes
    // before duplicate ids.
    Column readReason =
        readerVerdicts ? col(Columns.READ_REJECT) : lit(null).cast(DataTypes.StringType);
    Column readDetail =
        readerVerdicts ? col(Columns.READ_DETAIL) : lit(null).cast(DataTypes.StringType);
    rows =
        rows.withColumn(Columns.ORIGINAL_CAPTION, col(Columns.CAPTION))
            .withColumn(
                Columns.REJECT_REASON,
                functions.coalesce(
                    readReason, when(col(WINNER).equalTo(false), lit(Reject.DUPLICATE_ID.code()))))
            .withColumn(
                Columns.REJECT_STAGE, when(col(Columns.REJECT_REASON).isNotNull(), lit(NAME)))
            .withColumn(Columns.REJECT_DETAIL, when(readReason.isNotNull(), readDetail));
    return readerVerdicts ? rows.drop(Columns.READ_REJECT, Columns.READ_DETAIL) : rows;
  }

  /** Ids from the input where present and non-blank, derived from content otherwise. */
  private static Dataset<Row> withIds(Dataset<Row> rows, boolean hasId) {
    Column derived =
        StableIdUdf.create().apply(col(Columns.URL), col(Columns.CAPTION), col(Columns.IMAGE));
    Column given = functions.trim(col(Columns.ID));
    Column id =
        hasId
            ? when(given.isNull().or(given.equalTo("")), derived).otherwise(col(Columns.ID))
            : derived;
    return rows.withColumn(Columns.ID, id);
  }

  /**
   * Flags all but one row of each duplicated id. A first pass counts ids (only the id column
   * travels); the few duplicated ids pick their winner (smallest caption, then url, then input
   * position) in a second pass; the main pass joins that small table by broadcast, so no input row
   * is shuffled. The position is Spark's, stable for a given set of input files. With reader
   * verdicts, a failed download never wins over another row with the same id: should img2dataset's
   * Parquet call a sample failed that its shard holds, the sample keeps its id.
   */
  private static Dataset<Row> markDuplicates(Dataset<Row> rows, boolean readerVerdicts) {
    Dataset<Row> withPos = rows.withColumn(POS, functions.monotonically_increasing_id());
    List<Column> order = new ArrayList<>();
    if (readerVerdicts) {
      order.add(
          functions
              .coalesce(col(Columns.READ_REJECT).equalTo(Reject.DOWNLOAD_FAILED.code()), lit(false))
              .asc());
    }
    order.add(col(Columns.CAPTION).asc_nulls_last());
    order.add(col(Columns.URL).asc_nulls_last());
    order.add(col(POS).asc());
    Dataset<Row> dupIds =
        withPos.groupBy(Columns.ID).count().where(col("count").gt(1)).select(Columns.ID);
    Dataset<Row> winners =
        withPos
            .join(broadcast(dupIds), Columns.ID)
            .withColumn(
                "_rank",
                functions
                    .row_number()
                    .over(Window.partitionBy(Columns.ID).orderBy(order.toArray(Column[]::new))))
            .where(col("_rank").equalTo(1))
            .select(col(Columns.ID).as(Columns.INTERNAL_PREFIX + "dup_id"), col(POS).as(WINNER));
    Column dupId = col(Columns.INTERNAL_PREFIX + "dup_id");
    Dataset<Row> joined =
        withPos.join(broadcast(winners), withPos.col(Columns.ID).equalTo(dupId), "left");
    return joined
        .withColumn(
            WINNER, when(dupId.isNull(), lit(true)).otherwise(col(POS).equalTo(col(WINNER))))
        .drop(dupId.toString(), POS);
  }
}
