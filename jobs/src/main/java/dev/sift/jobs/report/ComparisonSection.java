package dev.sift.jobs.report;

import static dev.sift.jobs.report.ReportJob.FINE;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.sift.curation.report.Report;
import dev.sift.udfs.Columns;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The comparison with a baseline run: funnel deltas, score distributions, kept ids and concepts in
 * common. Stateless.
 */
final class ComparisonSection {
  private ComparisonSection() {}

  /**
   * {@code report} (of {@code in}, whose scores {@code summary} holds) against the run in {@code
   * base}.
   */
  static Report.Comparison build(
      Report report, ReportInput in, ScoreSection.Summary summary, ReportInput base) {
    String baselineDir = base.dir();
    Report.Funnel bf = RunSections.funnel(base);
    Map<String, Long> baseOut = new LinkedHashMap<>();
    for (Report.FunnelStage st : bf.stages()) {
      baseOut.put(st.stage(), st.out());
    }
    Map<String, Long> thisOut = new LinkedHashMap<>();
    for (Report.FunnelStage st : report.funnel().stages()) {
      thisOut.put(st.stage(), st.out());
    }
    List<String> stageNames = new ArrayList<>(thisOut.keySet());
    for (String st : baseOut.keySet()) {
      if (!stageNames.contains(st)) {
        stageNames.add(st);
      }
    }
    List<Report.StageDelta> funnel = new ArrayList<>();
    for (String st : stageNames) {
      funnel.add(new Report.StageDelta(st, baseOut.get(st), thisOut.get(st)));
    }
    Dataset<Row> here = in.accepted().select(col(Columns.ID).as("a")).distinct();
    Dataset<Row> there = base.accepted().select(col(Columns.ID).as("b")).distinct();
    Row ids =
        here.join(there, col("a").equalTo(col("b")), "full_outer")
            .agg(
                sum(when(col("a").isNotNull().and(col("b").isNotNull()), 1L).otherwise(0L)),
                sum(when(col("b").isNull(), 1L).otherwise(0L)),
                sum(when(col("a").isNull(), 1L).otherwise(0L)))
            .first();
    Dataset<Row> hc = in.conceptCounts().where(col("kept").gt(0)).select(col("concept").as("a"));
    Dataset<Row> bc = base.conceptCounts().where(col("kept").gt(0)).select(col("concept").as("b"));
    Row concepts =
        hc.join(bc, col("a").equalTo(col("b")), "full_outer")
            .agg(
                sum(when(col("a").isNotNull().and(col("b").isNotNull()), 1L).otherwise(0L)),
                sum(when(col("b").isNull(), 1L).otherwise(0L)),
                sum(when(col("a").isNull(), 1L).otherwise(0L)),
                count(lit(1)))
            .first();
    boolean anyConcepts = concepts.getLong(3) > 0;
    List<Report.Quantile> baseQuantiles = null;
    long[] baseHist = null;
    ScoreSection.Binning binning = summary.binning();
    if (binning != null) {
      ScoreSection.Binning display =
          new ScoreSection.Binning(binning.lo(), binning.width() * FINE, binning.bins() / FINE);
      Column bs = col(Columns.CLIP_SCORE);
      baseHist = new long[display.bins()];
      for (Row r :
          base.accepted().where(bs.isNotNull()).groupBy(display.bin(bs)).count().collectAsList()) {
        baseHist[r.getInt(0)] = r.getLong(1);
      }
      baseQuantiles = ScoreSection.build(base).scores().quantiles();
    }
    return new Report.Comparison(
        baselineDir,
        RunSections.configDigest(base.manifest().path("config")),
        bf.input(),
        bf.accepted(),
        funnel,
        baseQuantiles,
        baseHist,
        anyConcepts ? concepts.getLong(0) : null,
        anyConcepts ? concepts.getLong(1) : null,
        anyConcepts ? concepts.getLong(2) : null,
        ids.getLong(0),
        ids.getLong(1),
        ids.getLong(2));
  }
}
