package dev.sift.jobs.pipeline;

import static dev.sift.jobs.pipeline.Verdicts.alive;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.sift.curation.models.Generation;
import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.ConfigKey;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.Columns;
import dev.sift.udfs.RecaptionPartitionFn;
import dev.sift.udfs.ScoreMetrics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code recaption} stage: flags the rows {@code sift.recaption.when} selects (alive ones; with
 * {@code filtered-caption} also those the text filters rejected), generates and scores their
 * captions ({@link RecaptionPartitionFn}), then applies {@code sift.recaption.choose}. A
 * text-rejected row whose synthetic caption is kept is accepted again ("rescued"): its reject
 * columns are cleared. Needs the score stage (the new captions are scored with CLIP).
 *
 * <p>Driver-side, one per run (see {@link PipelineStage}); keeps the model figures for the
 * manifest.
 */
public final class RecaptionStage implements PipelineStage {
  public static final String NAME = "recaption";

  /** {@code caption_source} values. */
  public static final String CAPTION_ORIGINAL = "original";

  public static final String CAPTION_SYNTHETIC = "synthetic";

  /** Set on rows the text filters rejected and re-captioning accepted again. */
  static final String RESCUED = Columns.INTERNAL_PREFIX + "rescued";

  private static final String FLAG = Columns.INTERNAL_PREFIX + "recaption";
  private static final String ERROR = Columns.INTERNAL_PREFIX + "recaption_error";
  private static final String USE = Columns.INTERNAL_PREFIX + "use_synthetic";

  private ScoreMetrics metrics;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ConfigKey<Boolean> enabledKey() {
    return SiftKeys.RECAPTION_ENABLED;
  }

  @Override
  public boolean runsFor(Command command, SiftConf conf) {
    return command == Command.RECAPTION
        || (command == Command.CURATE && conf.get(SiftKeys.RECAPTION_ENABLED));
  }

  @Override
  public void requires(Command command, Set<String> before) {
    if (!before.contains(ScoreStage.NAME)) {
      throw new SiftUserException(
          "sift.recaption.enabled = true scores the new captions with CLIP: set"
              + " sift.score.enabled = true and sift.score.model");
    }
  }

  @Override
  public boolean usesModels() {
    return true;
  }

  @Override
  public boolean counted() {
    return true;
  }

  @Override
  public List<Map<String, Object>> check(StageContext ctx) {
    return ModelChecks.captioner(ctx.spark(), ctx.conf());
  }

  /** The decoding settings of {@code sift.recaption.*}. */
  public static Generation generation(SiftConf conf) {
    return new Generation(
        conf.get(SiftKeys.RECAPTION_NUM_BEAMS),
        conf.get(SiftKeys.RECAPTION_LENGTH_PENALTY),
        conf.get(SiftKeys.RECAPTION_MAX_NEW_TOKENS),
        conf.get(SiftKeys.RECAPTION_MIN_NEW_TOKENS),
        conf.get(SiftKeys.RECAPTION_REPETITION_PENALTY),
        conf.get(SiftKeys.RECAPTION_NO_REPEAT_NGRAM_SIZE),
        conf.get(SiftKeys.RECAPTION_PROMPT));
  }

  @Override
  public Dataset<Row> apply(Dataset<Row> rows, StageContext ctx) {
    SiftConf conf = ctx.conf();
    Set<String> when = new TreeSet<>();
    for (String w : conf.get(SiftKeys.RECAPTION_WHEN).split(",")) {
      when.add(w.trim());
    }
    SiftKeys.RecaptionChoice choose = conf.get(SiftKeys.RECAPTION_CHOOSE);
    Column textRejected =
        col(Columns.REJECT_STAGE).equalTo(lit(TextStage.NAME)).and(col(Columns.IMAGE).isNotNull());
    Column flag = lit(false);
    if (when.contains("always")) {
      flag = flag.or(alive());
    }
    if (when.contains("below-score")) {
      double below = conf.get(SiftKeys.RECAPTION_BELOW_SCORE);
      flag =
          flag.or(
              alive().and(col(Columns.CLIP_SCORE).isNull().or(col(Columns.CLIP_SCORE).lt(below))));
    }
    boolean rescue =
        when.contains("filtered-caption") && choose != SiftKeys.RecaptionChoice.ORIGINAL;
    if (rescue) {
      flag = flag.or(textRejected);
    }
    rows =
        rows.withColumn(FLAG, functions.coalesce(flag, lit(false)))
            .withColumn(ERROR, lit(null).cast(DataTypes.StringType))
            .withColumn(Columns.SYNTHETIC_CAPTION, lit(null).cast(DataTypes.StringType))
            .withColumn(Columns.CLIP_SCORE_SYNTHETIC, lit(null).cast(DataTypes.DoubleType));
    StructType schema = rows.schema();
    metrics = new ScoreMetrics(ctx.spark().sparkContext(), NAME);
    RecaptionPartitionFn fn =
        new RecaptionPartitionFn(
            schema,
            FLAG,
            ERROR,
            new RecaptionPartitionFn.Settings(
                conf.get(SiftKeys.RECAPTION_MODEL),
                conf.get(SiftKeys.SCORE_MODEL),
                ConfigKey.text(conf.get(SiftKeys.DEVICE)),
                generation(conf),
                conf.get(SiftKeys.RECAPTION_BATCH_SIZE),
                conf.get(SiftKeys.SCORE_THREADS),
                conf.get(SiftKeys.SCORE_DECODE_THREADS),
                conf.get(SiftKeys.SCORE_PREFETCH_BATCHES),
                conf.get(SiftKeys.SCORE_GPU_CONCURRENCY),
                conf.get(SiftKeys.DECODE_MIN_SIZE),
                conf.get(SiftKeys.DECODE_MAX_ASPECT),
                conf.get(SiftKeys.DECODE_MAX_PIXELS),
                conf.get(SiftKeys.DECODE_MODE) == SiftKeys.DecodeMode.FAST),
            ctx.counter(NAME),
            metrics);
    rows = rows.mapPartitions(fn, Encoders.row(schema));
    return choose(rows, choose, textRejected);
  }

  /**
   * {@code sift.recaption.choose}: which caption each row keeps, and the rescue of text-rejected
   * rows. Column expressions (not a UDF) so that SQL's null logic decides as it always has: a row
   * whose choice comes out null keeps its original caption.
   */
  private static Dataset<Row> choose(
      Dataset<Row> rows, SiftKeys.RecaptionChoice choose, Column textRejected) {
    Column syn = col(Columns.CLIP_SCORE_SYNTHETIC);
    Column orig = col(Columns.CLIP_SCORE);
    Column hasSynthetic = col(Columns.SYNTHETIC_CAPTION).isNotNull();
    // A rescued row's original caption was filtered out: only a synthetic one can stand for it.
    Column rescued = textRejected.and(hasSynthetic);
    Column useSynthetic =
        switch (choose) {
          case ORIGINAL -> lit(false);
          case SYNTHETIC -> hasSynthetic;
          case BEST, BOTH -> hasSynthetic.and(rescued.or(orig.isNull()).or(syn.gt(orig)));
        };
    rows = rows.withColumn(USE, useSynthetic.and(alive().or(rescued)));
    Column use = col(USE);
    rows =
        rows.withColumn(
                Columns.CAPTION,
                when(use, col(Columns.SYNTHETIC_CAPTION)).otherwise(col(Columns.CAPTION)))
            .withColumn(
                Columns.CAPTION_SOURCE,
                when(use, lit(CAPTION_SYNTHETIC))
                    .when(alive(), lit(CAPTION_ORIGINAL))
                    .otherwise(lit(null).cast(DataTypes.StringType)));
    if (choose == SiftKeys.RecaptionChoice.SYNTHETIC || choose == SiftKeys.RecaptionChoice.BEST) {
      // These keep one caption: synthetic_caption holds it only when it is the one kept. "both"
      // keeps both, and "original" keeps the generated one as the record of what it said;
      // clip_score_synthetic is written in every mode.
      rows = rows.withColumn(Columns.SYNTHETIC_CAPTION, when(use, col(Columns.SYNTHETIC_CAPTION)));
    }
    rows = rows.withColumn(RESCUED, rescued.and(use));
    for (String reject : Columns.REJECT_COLUMNS) {
      rows =
          rows.withColumn(
              reject,
              when(col(RESCUED), lit(null).cast(DataTypes.StringType)).otherwise(col(reject)));
    }
    return rows;
  }

  @Override
  public Dataset<Row> off(Dataset<Row> rows, StageContext ctx) {
    rows = Verdicts.withNull(rows, Columns.SYNTHETIC_CAPTION, DataTypes.StringType);
    rows = Verdicts.withNull(rows, Columns.CAPTION_SOURCE, DataTypes.StringType);
    return Verdicts.withNull(rows, Columns.CLIP_SCORE_SYNTHETIC, DataTypes.DoubleType);
  }

  /**
   * What re-captioning did, from the written rows (cached, so this costs no model call): rows
   * captioned, accepted rows whose caption is now the synthetic one, rows the text filters had
   * rejected that their new caption rescued, and the model figures.
   */
  @Override
  public Map<String, Object> manifest(Dataset<Row> written, StageContext ctx) {
    Row r =
        written
            .agg(
                functions.count(when(col(Columns.CLIP_SCORE_SYNTHETIC).isNotNull(), 1)),
                functions.count(
                    when(
                        col(Columns.REJECT_REASON)
                            .isNull()
                            .and(col(Columns.CAPTION_SOURCE).equalTo(CAPTION_SYNTHETIC)),
                        1)),
                functions.count(when(col(RESCUED), 1)))
            .first();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("captioned", r.getLong(0));
    m.put("accepted_with_synthetic_caption", r.getLong(1));
    m.put("rescued_from_text_filters", r.getLong(2));
    m.put("metrics", metrics.describe());
    Map<String, Object> section = new LinkedHashMap<>();
    section.put(NAME, m);
    return section;
  }
}
