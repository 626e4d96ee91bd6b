package dev.sift.jobs.report;

import static dev.sift.jobs.report.ReportJob.FINE;
import static dev.sift.jobs.report.ReportJob.QUANTILES;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.curation.report.Histogram;
import dev.sift.curation.report.Report;
import dev.sift.curation.report.ReportJson;
import dev.sift.udfs.Columns;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The score section (histograms of original and synthetic scores, quantiles, the kept-fraction
 * curve) and the threshold choices that read its fine histogram. A {@link Summary} carries the
 * binning and fine histogram to the sections that need them, so no section depends on another
 * having run first. Stateless.
 */
final class ScoreSection {
  private static final String SCORE = "_s";
  private static final String ACCEPTED_FLAG = "_acc";

  private ScoreSection() {}

  /** Every scored row: score, synthetic score, whether in.accepted(). */
  private static Dataset<Row> scoredRows(ReportInput in) {
    return in.accepted()
        .select(
            col(Columns.CLIP_SCORE).as(SCORE),
            col(Columns.CLIP_SCORE_SYNTHETIC).as("_ss"),
            lit(true).as(ACCEPTED_FLAG))
        .unionAll(
            in.rejected()
                .select(
                    col(Columns.CLIP_SCORE).as(SCORE),
                    col(Columns.CLIP_SCORE_SYNTHETIC).as("_ss"),
                    lit(false).as(ACCEPTED_FLAG)));
  }

  /** The shared binning of this run's score histograms: [lo, lo + bins * width). */
  record Binning(double lo, double width, int bins) {
    Column bin(Column value) {
      return least(lit(bins - 1), greatest(lit(0), floor(value.minus(lo).divide(width))))
          .cast("int");
    }
  }

  /**
   * The score section with what later sections read off it: the fine binning and the fine histogram
   * of every scored row (both null when nothing was scored).
   */
  record Summary(Report.Scores scores, Binning binning, Histogram fineAll) {}

  /** The score section of {@code in}. */
  static Summary build(ReportInput in) {
    Row agg =
        scoredRows(in)
            .agg(
                count(col(SCORE)),
                min(col(SCORE)),
                max(col(SCORE)),
                avg(col(SCORE)),
                count(col("_ss")),
                min(col("_ss")),
                max(col("_ss")),
                sum(when(col(SCORE).isNotNull().and(col(ACCEPTED_FLAG)), 1L).otherwise(0L)))
            .first();
    long scored = agg.getLong(0);
    if (scored == 0) {
      return new Summary(
          Report.Scores.absent(Report.notComputed("no CLIP scores (the score stage did not run)")),
          null,
          null);
    }
    long synthetic = agg.getLong(4);
    double lo = agg.getDouble(1);
    double hi = agg.getDouble(2);
    if (synthetic > 0) {
      lo = Math.min(lo, agg.getDouble(5));
      hi = Math.max(hi, agg.getDouble(6));
    }
    // Display bins on a round grid of 0.05 that covers every score.
    lo = Math.floor(lo * 20 - 1e-9) / 20;
    hi = Math.ceil(hi * 20 + 1e-9) / 20;
    if (hi <= lo) {
      hi = lo + 0.05;
    }
    int bins = in.options().histogramBins();
    Binning binning = new Binning(lo, (hi - lo) / (bins * FINE), bins * FINE);
    Map<Boolean, long[]> fine =
        fineHistograms(binning, scoredRows(in), col(SCORE), col(ACCEPTED_FLAG));
    long[] acc = fine.getOrDefault(true, new long[binning.bins()]);
    long[] rej = fine.getOrDefault(false, new long[binning.bins()]);
    long[] all = new long[binning.bins()];
    for (int i = 0; i < all.length; i++) {
      all[i] = acc[i] + rej[i];
    }
    Histogram fineAll = new Histogram(lo, binning.width(), all);
    List<Report.Quantile> quantiles = quantiles(fineAll);
    String syntheticStatus;
    long[] synthHist = null;
    List<Report.Quantile> synthQuantiles = null;
    if (synthetic > 0) {
      Map<Boolean, long[]> s = fineHistograms(binning, scoredRows(in), col("_ss"), lit(true));
      Histogram h = new Histogram(lo, binning.width(), s.get(true));
      synthHist = h.coarsen(FINE).counts();
      synthQuantiles = quantiles(h);
      syntheticStatus = Report.COMPUTED;
    } else {
      syntheticStatus = Report.notComputed("no synthetic captions (re-captioning did not run)");
    }
    List<Histogram.KeptPoint> curve = new ArrayList<>();
    for (Histogram.KeptPoint p : fineAll.keptCurve(FINE / 5)) {
      curve.add(
          new Histogram.KeptPoint(
              ReportJson.round(p.threshold()), p.kept(), ReportJson.round(p.fraction())));
    }
    JsonNode filter = in.manifest().path("filter");
    Double configured = null;
    String source = null;
    if (filter.has("threshold") && !filter.path("threshold").isNull()) {
      configured = filter.path("threshold").asDouble();
      source = "filter, " + filter.path("mode").asText();
    }
    long acceptedScored = agg.getLong(7);
    Report.Scores scores =
        new Report.Scores(
            Report.COMPUTED,
            scored,
            acceptedScored,
            scored - acceptedScored,
            ReportJson.round(lo),
            ReportJson.round(binning.width() * FINE),
            new Histogram(lo, binning.width(), acc).coarsen(FINE).counts(),
            new Histogram(lo, binning.width(), rej).coarsen(FINE).counts(),
            syntheticStatus,
            synthetic,
            synthHist,
            quantiles,
            synthQuantiles,
            ReportJson.round(agg.getDouble(3)),
            ReportJson.round(agg.getDouble(1)),
            ReportJson.round(agg.getDouble(2)),
            curve,
            configured,
            source,
            String.format(
                java.util.Locale.ROOT,
                "Quantiles and the kept-fraction curve are read off a %d-bin histogram of the scores"
                    + " (Spark group-by counts): each quantile is within %.6f (one bin) of the exact"
                    + " one, and the curve is exact at the plotted thresholds.",
                binning.bins(),
                binning.width()));
    return new Summary(scores, binning, fineAll);
  }

  /** Fine-bin counts of {@code value} per {@code key}, over rows where the value is not null. */
  private static Map<Boolean, long[]> fineHistograms(
      Binning binning, Dataset<Row> rows, Column value, Column key) {
    Map<Boolean, long[]> out = new TreeMap<>();
    for (Row r :
        rows.where(value.isNotNull())
            .groupBy(key.as("k"), binning.bin(value).as("b"))
            .count()
            .collectAsList()) {
      out.computeIfAbsent(r.getBoolean(0), k -> new long[binning.bins()])[r.getInt(1)] =
          r.getLong(2);
    }
    return out;
  }

  private static List<Report.Quantile> quantiles(Histogram h) {
    List<Report.Quantile> out = new ArrayList<>();
    for (double p : QUANTILES) {
      out.add(new Report.Quantile(p, ReportJson.round(h.quantile(p))));
    }
    return out;
  }

  /** LAION's fixed cut and DataComp's top fraction, applied to every scored row of {@code in}. */
  static Report.ThresholdChoices thresholdChoices(ReportInput in, Summary summary) {
    if (!Report.COMPUTED.equals(summary.scores().status())) {
      return new Report.ThresholdChoices(Report.notComputed("no CLIP scores"), null, null, null);
    }
    double fixed = in.options().fixedThreshold();
    double fraction = in.options().topFraction();
    double cut = summary.fineAll().quantile(1 - fraction);
    Column s = col(Columns.CLIP_SCORE);
    Dataset<Row> all =
        in.accepted()
            .select(col(Columns.CLIP_SCORE), col(Columns.CONCEPTS))
            .unionAll(in.rejected().select(col(Columns.CLIP_SCORE), col(Columns.CONCEPTS)))
            .where(s.isNotNull());
    Row kept =
        all.agg(
                sum(when(s.geq(fixed), 1L).otherwise(0L)),
                sum(when(s.geq(cut), 1L).otherwise(0L)),
                count(lit(1)))
            .first();
    Row cov =
        all.select(explode(col(Columns.CONCEPTS)).as("c"), s)
            .groupBy("c")
            .agg(max(s).as("m"))
            .agg(
                count(lit(1)),
                sum(when(col("m").geq(fixed), 1L).otherwise(0L)),
                sum(when(col("m").geq(cut), 1L).otherwise(0L)))
            .first();
    long total = kept.getLong(2);
    long concepts = cov.getLong(0);
    Long coveredFixed = concepts == 0 ? null : cov.getLong(1);
    Long coveredTop = concepts == 0 ? null : cov.getLong(2);
    return new Report.ThresholdChoices(
        Report.COMPUTED,
        new Report.Cut(
            String.format(java.util.Locale.ROOT, "fixed: score ≥ %.2f (LAION)", fixed),
            fixed,
            kept.getLong(0),
            ReportJson.round((double) kept.getLong(0) / total),
            coveredFixed,
            concepts == 0 ? null : concepts,
            concepts == 0 ? null : ReportJson.round((double) coveredFixed / concepts)),
        new Report.Cut(
            String.format(
                java.util.Locale.ROOT, "top fraction: best %.0f%% (DataComp)", fraction * 100),
            ReportJson.round(cut),
            kept.getLong(1),
            ReportJson.round((double) kept.getLong(1) / total),
            coveredTop,
            concepts == 0 ? null : concepts,
            concepts == 0 ? null : ReportJson.round((double) coveredTop / concepts)),
        "Both cuts are applied to every scored row of this run (accepted and rejected). A concept"
            + " is covered when at least one row matching it is kept."
            + (concepts == 0
                ? " Concept coverage needs concept matching, which did not run."
                : ""));
  }
}
