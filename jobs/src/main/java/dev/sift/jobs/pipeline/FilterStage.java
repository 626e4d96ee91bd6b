package dev.sift.jobs.pipeline;

import static dev.sift.jobs.pipeline.Verdicts.alive;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.sift.curation.Reject;
import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.ConfigKey;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.Columns;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * The {@code filter} stage: rejects rows whose CLIP score is below the threshold ({@code
 * sift.filter.min-score}, or, with {@code sift.filter.top-fraction}, the score at that quantile of
 * the rows reaching the filter) or whose head values are outside {@code sift.filter.heads}. The
 * quantile needs every score first, so the scored rows are cached to run the model once. Needs the
 * score stage; runs for {@code curate} only.
 *
 * <p>Driver-side, one per run (see {@link PipelineStage}); keeps the threshold it applied and where
 * it came from for the manifest.
 */
public final class FilterStage implements PipelineStage {
  public static final String NAME = "filter";

  private Map<String, Object> info;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ConfigKey<Boolean> enabledKey() {
    return SiftKeys.FILTER_ENABLED;
  }

  @Override
  public boolean runsFor(Command command, SiftConf conf) {
    return command == Command.CURATE && conf.get(SiftKeys.FILTER_ENABLED);
  }

  @Override
  public void requires(Command command, Set<String> before) {
    if (!before.contains(ScoreStage.NAME)) {
      throw new SiftUserException(
          "sift.filter.enabled = true filters on CLIP scores: set sift.score.enabled = true and"
              + " sift.score.model");
    }
  }

  @Override
  public Dataset<Row> apply(Dataset<Row> rows, StageContext ctx) {
    SiftConf conf = ctx.conf();
    double min = conf.get(SiftKeys.FILTER_MIN_SCORE);
    double fraction = conf.get(SiftKeys.FILTER_TOP_FRACTION);
    info = new LinkedHashMap<>();
    double threshold = min;
    if (fraction > 0) {
      double error = conf.get(SiftKeys.FILTER_QUANTILE_ERROR);
      rows = ctx.persist(rows);
      ctx.spark()
          .sparkContext()
          .setJobDescription("sift: CLIP-score quantile for the top-fraction cut");
      String kept = Columns.INTERNAL_PREFIX + "kept_score";
      Dataset<Row> scored =
          rows.where(alive()).withColumn(kept, keptScore(ctx)).where(col(kept).isNotNull());
      double[] q = scored.stat().approxQuantile(kept, new double[] {1.0 - fraction}, error);
      // No scored row: nothing to keep, and no score can pass.
      double cut = q.length == 0 ? Double.POSITIVE_INFINITY : q[0];
      boolean minSet = conf.isUserSet(SiftKeys.FILTER_MIN_SCORE);
      threshold = minSet ? Math.max(min, cut) : cut;
      info.put("mode", minSet ? "top-fraction and min-score" : "top-fraction");
      info.put("top_fraction", fraction);
      info.put("quantile_error", error);
      info.put("quantile_score", q.length == 0 ? null : cut);
      if (minSet) {
        info.put("min_score", min);
      }
    } else {
      info.put("mode", "min-score");
      info.put("min_score", min);
    }
    info.put("threshold", Double.isInfinite(threshold) ? null : threshold);
    Column score = keptScore(ctx);
    Column low = score.isNull().or(score.lt(threshold));
    Column reason = when(low, lit(Reject.LOW_CLIP_SCORE.code()));
    Column detail =
        when(
            low,
            functions.format_string(
                String.format(Locale.ROOT, "clip_score = %%.4f < %.6f", threshold), score));
    Map<String, Object> headBounds = new TreeMap<>(conf.get(SiftKeys.FILTER_HEADS));
    if (!headBounds.isEmpty()) {
      info.put("heads", headBounds);
    }
    for (Map.Entry<String, Object> e : headBounds.entrySet()) {
      String column = Columns.head(e.getKey());
      Column v = col(column);
      Column out = v.isNull();
      List<String> words = new ArrayList<>();
      Double lo = SiftKeys.headBound(e.getValue(), "min");
      Double hi = SiftKeys.headBound(e.getValue(), "max");
      if (lo != null) {
        out = out.or(v.lt(lo));
        words.add("min " + lo);
      }
      if (hi != null) {
        out = out.or(v.gt(hi));
        words.add("max " + hi);
      }
      // The first failed check names the row's reason; CLIP's threshold comes first.
      reason =
          when(reason.isNull().and(out), lit(Reject.HEAD_OUT_OF_RANGE.code())).otherwise(reason);
      detail =
          when(
                  detail.isNull().and(out),
                  functions.format_string(column + " = %s outside " + String.join(", ", words), v))
              .otherwise(detail);
    }
    return Verdicts.judge(rows, NAME, reason, detail);
  }

  /**
   * The CLIP score of the caption a row keeps: the synthetic caption's when re-captioning chose it,
   * else the original's. The filter judges this one.
   */
  private static Column keptScore(StageContext ctx) {
    if (!ctx.runs(RecaptionStage.NAME)) {
      return col(Columns.CLIP_SCORE);
    }
    return when(
            col(Columns.CAPTION_SOURCE).equalTo(lit(RecaptionStage.CAPTION_SYNTHETIC)),
            col(Columns.CLIP_SCORE_SYNTHETIC))
        .otherwise(col(Columns.CLIP_SCORE));
  }

  /** The threshold applied and where it came from, under {@code filter}. */
  @Override
  public Map<String, Object> manifest(Dataset<Row> written, StageContext ctx) {
    Map<String, Object> section = new LinkedHashMap<>();
    section.put(NAME, info);
    return section;
  }
}
