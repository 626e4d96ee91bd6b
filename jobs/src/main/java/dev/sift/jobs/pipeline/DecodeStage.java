package dev.sift.jobs.pipeline;

import static dev.sift.jobs.pipeline.Verdicts.alive;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.sift.curation.image.ImageProbe;
import dev.sift.jobs.config.ConfigKey;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.Columns;
import dev.sift.udfs.DedupUdfs;
import dev.sift.udfs.ImageProbeUdf;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * The {@code decode} stage: probes each image (format, size, {@code sift.decode.verify}) and
 * rejects unreadable, too small, too large or too elongated ones. When scoring runs, the full
 * decode happens there, so the probe reads only headers unless {@code sift.decode.verify} is set.
 * When near-duplicate dedup runs, the image's pHash goes to {@code phash}: computed here when
 * scoring does not run, by the score stage's decode when it does. Without an image column it is
 * skipped.
 *
 * <p>Driver-side, one per run (see {@link PipelineStage}).
 */
public final class DecodeStage implements PipelineStage {
  public static final String NAME = "decode";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ConfigKey<Boolean> enabledKey() {
    return SiftKeys.DECODE_ENABLED;
  }

  @Override
  public boolean runsFor(Command command, SiftConf conf) {
    return command != Command.BALANCE
        && command != Command.MATCH
        && conf.get(SiftKeys.DECODE_ENABLED);
  }

  @Override
  public boolean counted() {
    return true;
  }

  @Override
  public Dataset<Row> apply(Dataset<Row> rows, StageContext ctx) {
    if (!ctx.input().hasImage()) {
      return off(rows, ctx);
    }
    SiftConf conf = ctx.conf();
    SiftKeys.DecodeVerify verify = conf.get(SiftKeys.DECODE_VERIFY);
    if (ctx.runs(ScoreStage.NAME) && !conf.isUserSet(SiftKeys.DECODE_VERIFY)) {
      verify = SiftKeys.DecodeVerify.HEADER;
    }
    ImageProbe prober =
        new ImageProbe(
            ImageProbe.Verify.valueOf(verify.name()),
            conf.get(SiftKeys.DECODE_MIN_SIZE),
            conf.get(SiftKeys.DECODE_MAX_ASPECT),
            conf.get(SiftKeys.DECODE_MAX_PIXELS));
    String probe = Columns.INTERNAL_PREFIX + "probe";
    rows =
        rows.withColumn(
            probe,
            when(
                alive(),
                ImageProbeUdf.create(prober, ctx.counter(NAME)).apply(col(Columns.IMAGE))));
    Column p = col(probe);
    rows =
        rows.withColumn(
                Columns.WIDTH, functions.coalesce(p.getField(Columns.WIDTH), col(Columns.WIDTH)))
            .withColumn(
                Columns.HEIGHT, functions.coalesce(p.getField(Columns.HEIGHT), col(Columns.HEIGHT)))
            .withColumn(Columns.IMAGE_FORMAT, p.getField("format"));
    rows =
        Verdicts.judge(
            rows, NAME, p.getField(Columns.REJECT_REASON), p.getField(Columns.REJECT_DETAIL));
    if (ctx.needs(Columns.PHASH)) {
      // Scoring decodes every image anyway and writes the pHash then; otherwise decode here.
      rows =
          rows.withColumn(
              Columns.PHASH,
              ctx.runs(ScoreStage.NAME)
                  ? lit(null).cast(DataTypes.LongType)
                  : when(
                      alive(),
                      DedupUdfs.phash(conf.get(SiftKeys.DECODE_MAX_PIXELS))
                          .apply(col(Columns.IMAGE))));
    }
    return rows;
  }

  @Override
  public Dataset<Row> off(Dataset<Row> rows, StageContext ctx) {
    return Verdicts.withNull(rows, Columns.IMAGE_FORMAT, DataTypes.StringType);
  }

  @Override
  public String ranStatus(StageContext ctx) {
    if (!ctx.input().hasImage()) {
      return "skipped (no image column)";
    }
    return ctx.runs(ScoreStage.NAME)
        ? "ran (probe of the header; full decode in score)"
        : "ran (probe only: format, size, verification)";
  }
}
