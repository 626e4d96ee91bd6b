package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.lit;

import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.ConfigKey;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.ClipScorePartitionFn;
import dev.sift.udfs.Columns;
import dev.sift.udfs.ScoreMetrics;
import dev.sift.udfs.StageCounter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code score} stage: CLIP scores (and, when asked, embeddings and head values), per partition
 * in batches ({@link ClipScorePartitionFn}); the model is opened once per executor JVM. The full
 * decode happens here. Rejects only images that fail to decode; the {@code filter} stage judges the
 * scores. Runs for {@code score} and {@code recaption}, and for {@code curate} when enabled.
 *
 * <p>Driver-side, one per run (see {@link PipelineStage}); keeps the model figures for the
 * manifest's {@code metrics.score}.
 */
public final class ScoreStage implements PipelineStage {
  public static final String NAME = "score";

  private ScoreMetrics metrics;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ConfigKey<Boolean> enabledKey() {
    return SiftKeys.SCORE_ENABLED;
  }

  @Override
  public boolean runsFor(Command command, SiftConf conf) {
    return command == Command.SCORE
        || command == Command.RECAPTION
        || (command == Command.CURATE && conf.get(SiftKeys.SCORE_ENABLED));
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
    List<Map<String, Object>> models = ModelChecks.clip(ctx.spark(), ctx.conf());
    if (!ctx.input().hasImage()) {
      throw new SiftUserException(
          "sift.score.enabled = true needs images: map sift.input.columns.image");
    }
    return models;
  }

  @Override
  public Dataset<Row> apply(Dataset<Row> rows, StageContext ctx) {
    SiftConf conf = ctx.conf();
    rows = rows.withColumn(Columns.CLIP_SCORE, lit(null).cast(DataTypes.DoubleType));
    if (conf.get(SiftKeys.SCORE_WRITE_EMBEDDINGS)) {
      rows =
          rows.withColumn(Columns.IMAGE_EMBEDDING, lit(null).cast(DataTypes.BinaryType))
              .withColumn(Columns.TEXT_EMBEDDING, lit(null).cast(DataTypes.BinaryType));
    } else if (ctx.needs(Columns.IMAGE_EMBEDDING)) {
      // Semantic dedup reads them; it drops the column again unless they are to be written.
      rows = rows.withColumn(Columns.IMAGE_EMBEDDING, lit(null).cast(DataTypes.BinaryType));
    }
    TreeMap<String, String> heads = new TreeMap<>();
    conf.get(SiftKeys.SCORE_HEADS).forEach((name, file) -> heads.put(name, (String) file));
    for (String head : heads.keySet()) {
      rows = rows.withColumn(Columns.head(head), lit(null).cast(DataTypes.DoubleType));
    }
    StructType schema = rows.schema();
    metrics = new ScoreMetrics(ctx.spark().sparkContext(), NAME);
    ClipScorePartitionFn fn = partitionFn(schema, conf, heads, ctx.counter(NAME), metrics);
    return rows.mapPartitions(fn, Encoders.row(schema));
  }

  /** The score stage's function for rows of {@code schema} under {@code conf}'s settings. */
  static ClipScorePartitionFn partitionFn(
      StructType schema,
      SiftConf conf,
      TreeMap<String, String> heads,
      StageCounter counter,
      ScoreMetrics metrics) {
    return new ClipScorePartitionFn(
        schema,
        conf.get(SiftKeys.SCORE_MODEL),
        ConfigKey.text(conf.get(SiftKeys.DEVICE)),
        new ClipScorePartitionFn.Settings(
            conf.get(SiftKeys.SCORE_BATCH_SIZE),
            conf.get(SiftKeys.SCORE_THREADS),
            conf.get(SiftKeys.SCORE_DECODE_THREADS),
            conf.get(SiftKeys.SCORE_PREFETCH_BATCHES),
            conf.get(SiftKeys.SCORE_GPU_CONCURRENCY),
            heads,
            conf.get(SiftKeys.DECODE_MODE) == SiftKeys.DecodeMode.FAST),
        counter,
        metrics);
  }

  @Override
  public Dataset<Row> off(Dataset<Row> rows, StageContext ctx) {
    return Verdicts.withNull(rows, Columns.CLIP_SCORE, DataTypes.DoubleType);
  }

  /** Model figures (batches, decode and inference time, devices) under {@code metrics.score}. */
  @Override
  public Map<String, Object> manifest(Dataset<Row> written, StageContext ctx) {
    Map<String, Object> metricsSection = new LinkedHashMap<>();
    metricsSection.put(NAME, metrics.describe());
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("metrics", metricsSection);
    return section;
  }
}
