package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.sift.curation.Reject;
import dev.sift.curation.image.ImageProbe;
import dev.sift.curation.text.CaptionFilter;
import dev.sift.curation.text.CaptionNormalizer;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.CaptionUdfs;
import dev.sift.udfs.ImageProbeUdf;
import dev.sift.udfs.StableIdUdf;
import dev.sift.udfs.StageCounter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * Builds the stages of {@code curate} over the mapped input as one Spark plan. Every row comes out
 * exactly once, tagged: a row some stage rejected carries {@code reject_stage}, {@code
 * reject_reason} and {@code reject_detail} from the first stage that rejected it; an accepted row
 * has all three null. Later stages do no work on rows an earlier stage rejected.
 *
 * <p>Driver-side; not serialisable. The UDFs it creates carry only the plain-Java helpers.
 */
public final class StagePlan {
  private static final String POS = Columns.INTERNAL_PREFIX + "pos";
  private static final String WINNER = Columns.INTERNAL_PREFIX + "winner";

  private final SiftConf conf;
  private final List<Stage> active;
  private final Map<Stage, StageCounter> counters = new LinkedHashMap<>();

  /**
   * @param conf validated configuration
   * @param active the stages that run, in order (the command decides; see {@link #stagesFor})
   */
  public StagePlan(SparkSession spark, SiftConf conf, List<Stage> active) {
    this.conf = conf;
    this.active = List.copyOf(active);
    for (Stage stage : active) {
      if (stage == Stage.TEXT || stage == Stage.DECODE) {
        counters.put(
            stage,
            new StageCounter(
                stage.label(), spark.sparkContext().longAccumulator("sift." + stage.label())));
      }
    }
  }

  /**
   * The stages a command runs: every available stage whose enabled key is true, restricted to the
   * text stages for {@code match}.
   *
   * @throws dev.sift.jobs.SiftUserException when an enabled stage is not available yet
   */
  public static List<Stage> stagesFor(SiftConf conf, boolean textOnly) {
    List<Stage> stages = new ArrayList<>();
    for (Stage stage : Stage.values()) {
      boolean on = stage.enabledKey() == null || conf.get(stage.enabledKey());
      if (!on) {
        continue;
      }
      if (!stage.available()) {
        throw new dev.sift.jobs.SiftUserException(
            stage.enabledKey().name()
                + " = true, but the "
                + stage.label()
                + " stage is not available yet in this version of Sift; set it to false");
      }
      if (textOnly && stage != Stage.READ && stage != Stage.TEXT && stage != Stage.WRITE) {
        continue;
      }
      stages.add(stage);
    }
    return stages;
  }

  public List<Stage> active() {
    return active;
  }

  /** Row counters of the stages that have them, for the progress log. */
  public Map<Stage, StageCounter> counters() {
    return counters;
  }

  /** The tagged rows: contract columns, pass-through columns, then the reject columns. */
  public Dataset<Row> build(InputReader.Input input) {
    Dataset<Row> rows = withIds(input);
    rows = markDuplicates(rows);
    Column reason = when(col(WINNER).equalTo(false), lit(Reject.DUPLICATE_ID.code()));
    Column stage = when(reason.isNotNull(), lit(Stage.READ.label()));
    Column detail = lit(null).cast(DataTypes.StringType);
    rows = rows.withColumn(Columns.ORIGINAL_CAPTION, col(Columns.CAPTION));

    if (active.contains(Stage.TEXT)) {
      CaptionNormalizer normalizer = new CaptionNormalizer(conf.get(SiftKeys.TEXT_STRIP_TAGS));
      CaptionFilter filter =
          new CaptionFilter(
              conf.get(SiftKeys.TEXT_MIN_CHARS),
              conf.get(SiftKeys.TEXT_MAX_CHARS),
              conf.get(SiftKeys.TEXT_MIN_WORDS),
              conf.get(SiftKeys.TEXT_MAX_WORDS));
      rows =
          rows.withColumn(
              Columns.CAPTION,
              CaptionUdfs.normalize(normalizer, counters.get(Stage.TEXT))
                  .apply(col(Columns.ORIGINAL_CAPTION)));
      Column textReason = CaptionUdfs.rejectReason(filter).apply(col(Columns.CAPTION));
      rows = rows.withColumn(Columns.INTERNAL_PREFIX + "text", textReason);
      Column r = col(Columns.INTERNAL_PREFIX + "text");
      stage = when(reason.isNull().and(r.isNotNull()), lit(Stage.TEXT.label())).otherwise(stage);
      reason = functions.coalesce(reason, r);
    }

    boolean decode = active.contains(Stage.DECODE) && input.hasImage();
    String probe = Columns.INTERNAL_PREFIX + "probe";
    if (decode) {
      ImageProbe prober =
          new ImageProbe(
              ImageProbe.Verify.valueOf(conf.get(SiftKeys.DECODE_VERIFY).toUpperCase(Locale.ROOT)),
              conf.get(SiftKeys.DECODE_MIN_SIZE),
              conf.get(SiftKeys.DECODE_MAX_ASPECT),
              conf.get(SiftKeys.DECODE_MAX_PIXELS));
      // Materialise the reasons so far, so the probe runs only on rows still alive.
      rows =
          rows.withColumn(Columns.REJECT_REASON, reason)
              .withColumn(Columns.REJECT_STAGE, stage)
              .withColumn(
                  probe,
                  when(
                      col(Columns.REJECT_REASON).isNull(),
                      ImageProbeUdf.create(prober, counters.get(Stage.DECODE))
                          .apply(col(Columns.IMAGE))));
      Column p = col(probe);
      Column probeReason = p.getField("reject_reason");
      rows =
          rows.withColumn(
                  Columns.WIDTH, functions.coalesce(p.getField("width"), col(Columns.WIDTH)))
              .withColumn(
                  Columns.HEIGHT, functions.coalesce(p.getField("height"), col(Columns.HEIGHT)))
              .withColumn(Columns.IMAGE_FORMAT, p.getField("format"));
      Column r = col(Columns.REJECT_REASON);
      stage =
          when(r.isNull().and(probeReason.isNotNull()), lit(Stage.DECODE.label()))
              .otherwise(col(Columns.REJECT_STAGE));
      detail = when(r.isNull(), p.getField("reject_detail")).otherwise(detail);
      reason = functions.coalesce(r, probeReason);
    } else {
      rows = rows.withColumn(Columns.IMAGE_FORMAT, lit(null).cast(DataTypes.StringType));
    }

    rows =
        rows.withColumn(Columns.REJECT_STAGE, stage)
            .withColumn(Columns.REJECT_DETAIL, detail)
            .withColumn(Columns.REJECT_REASON, reason);
    return withOffStageColumns(rows);
  }

  /** Ids from the input where present and non-blank, derived from content otherwise. */
  private Dataset<Row> withIds(InputReader.Input input) {
    Column derived =
        StableIdUdf.create().apply(col(Columns.URL), col(Columns.CAPTION), col(Columns.IMAGE));
    Column given = functions.trim(col(Columns.ID));
    Column id =
        input.hasId()
            ? when(given.isNull().or(given.equalTo("")), derived).otherwise(col(Columns.ID))
            : derived;
    return input.rows().withColumn(Columns.ID, id);
  }

  /**
   * Flags all but one row of each duplicated id. A first pass counts ids (only the id column
   * travels); the few duplicated ids pick their winner (smallest caption, then url, then input
   * position) in a second pass; the main pass joins that small table by broadcast, so no input row
   * is shuffled. The position is Spark's, stable for a given set of input files.
   */
  private Dataset<Row> markDuplicates(Dataset<Row> rows) {
    Dataset<Row> withPos = rows.withColumn(POS, functions.monotonically_increasing_id());
    Dataset<Row> dupIds =
        withPos.groupBy(Columns.ID).count().where(col("count").gt(1)).select(Columns.ID);
    Dataset<Row> winners =
        withPos
            .join(broadcast(dupIds), Columns.ID)
            .withColumn(
                "_rank",
                functions
                    .row_number()
                    .over(
                        Window.partitionBy(Columns.ID)
                            .orderBy(
                                col(Columns.CAPTION).asc_nulls_last(),
                                col(Columns.URL).asc_nulls_last(),
                                col(POS).asc())))
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

  /** Columns of stages that did not run: typed nulls, never made-up values. */
  private static Dataset<Row> withOffStageColumns(Dataset<Row> rows) {
    return rows.withColumn(Columns.SYNTHETIC_CAPTION, lit(null).cast(DataTypes.StringType))
        .withColumn(Columns.CAPTION_SOURCE, lit(null).cast(DataTypes.StringType))
        .withColumn(Columns.CLIP_SCORE, lit(null).cast(DataTypes.DoubleType))
        .withColumn(Columns.CLIP_SCORE_SYNTHETIC, lit(null).cast(DataTypes.DoubleType))
        .withColumn(
            Columns.CONCEPTS, lit(null).cast(DataTypes.createArrayType(DataTypes.StringType)))
        .withColumn(Columns.KEEP_PROBABILITY, lit(null).cast(DataTypes.DoubleType));
  }
}
