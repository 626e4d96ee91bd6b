package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.sift.curation.text.CaptionFilter;
import dev.sift.curation.text.CaptionNormalizer;
import dev.sift.jobs.config.ConfigKey;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.CaptionUdfs;
import dev.sift.udfs.Columns;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;

/**
 * The {@code text} stage: normalises {@code caption} from {@code original_caption} and rejects
 * captions outside the {@code sift.text.*} length limits. Runs for every command but {@code
 * balance}, when {@code sift.text.enabled}.
 *
 * <p>Driver-side, one per run (see {@link PipelineStage}).
 */
public final class TextStage implements PipelineStage {
  public static final String NAME = "text";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ConfigKey<Boolean> enabledKey() {
    return SiftKeys.TEXT_ENABLED;
  }

  @Override
  public boolean runsFor(Command command, SiftConf conf) {
    return command != Command.BALANCE && conf.get(SiftKeys.TEXT_ENABLED);
  }

  @Override
  public boolean counted() {
    return true;
  }

  @Override
  public Dataset<Row> apply(Dataset<Row> rows, StageContext ctx) {
    SiftConf conf = ctx.conf();
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
            CaptionUdfs.normalize(normalizer, ctx.counter(NAME))
                .apply(col(Columns.ORIGINAL_CAPTION)));
    Column reason = CaptionUdfs.rejectReason(filter).apply(col(Columns.CAPTION));
    return Verdicts.judge(rows, NAME, reason, lit(null).cast(DataTypes.StringType));
  }
}
