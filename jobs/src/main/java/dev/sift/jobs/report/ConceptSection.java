package dev.sift.jobs.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.sift.curation.report.Report;
import dev.sift.curation.report.ReportJson;
import dev.sift.jobs.config.SiftKeys;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/**
 * The concept section: matched and kept counts per concept, head and tail shares before and after
 * balancing, rank-frequency points, the head concepts and those balancing cut most. Stateless.
 */
final class ConceptSection {
  private ConceptSection() {}

  static Report.Concepts build(ReportInput in) {
    Dataset<Row> counts = in.conceptCounts();
    boolean balanced = in.manifest().has("balance");
    long t =
        balanced
            ? in.manifest().path("balance").path("t").asLong()
            : in.manifest().path("config").path(SiftKeys.BALANCE_T.name()).asLong(20_000L);
    Column head = col("matched").gt(t);
    Row agg =
        counts
            .agg(
                count(lit(1)),
                sum("matched"),
                sum("kept"),
                sum(when(head, 1L).otherwise(0L)),
                sum(when(head, col("matched")).otherwise(0L)),
                sum(when(head, col("kept")).otherwise(0L)))
            .first();
    long n = agg.getLong(0);
    if (n == 0) {
      return Report.Concepts.absent(
          Report.notComputed("no concept counts (concept matching did not run)"));
    }
    long matched = agg.getLong(1);
    long kept = agg.getLong(2);
    double headBefore = (double) agg.getLong(4) / matched;
    double headAfter = kept == 0 ? Double.NaN : (double) agg.getLong(5) / kept;
    int k = Math.max(1, in.options().examples());
    return new Report.Concepts(
        Report.COMPUTED,
        t,
        balanced,
        n,
        matched,
        kept,
        agg.getLong(3),
        ReportJson.round(headBefore),
        ReportJson.round(headAfter),
        ReportJson.round(1 - headBefore),
        ReportJson.round(1 - headAfter),
        rankFrequency(counts, "matched", n),
        rankFrequency(counts, "kept", n),
        conceptRows(counts.orderBy(col("matched").desc(), col("concept")).limit(k)),
        conceptRows(
            counts
                .where(col("matched").gt(col("kept")))
                .orderBy(col("matched").minus(col("kept")).desc(), col("concept"))
                .limit(k)));
  }

  /** Log-spaced ranks 1..n: every rank to 10, then about 20 per decade, and n itself. */
  static List<Long> logRanks(long n) {
    TreeSet<Long> ranks = new TreeSet<>();
    for (long r = 1; r <= Math.min(10, n); r++) {
      ranks.add(r);
    }
    for (double x = 1; Math.pow(10, x) <= n; x += 0.05) {
      ranks.add(Math.round(Math.pow(10, x)));
    }
    ranks.add(n);
    return new ArrayList<>(ranks.headSet(n, true));
  }

  private static List<Report.RankPoint> rankFrequency(Dataset<Row> counts, String column, long n) {
    List<Long> ranks = logRanks(n);
    List<Report.RankPoint> out = new ArrayList<>();
    for (Row r :
        counts
            .select(
                col(column),
                row_number().over(Window.orderBy(col(column).desc(), col("concept"))).as("rank"))
            .where(col("rank").isin(ranks.toArray()))
            .orderBy("rank")
            .collectAsList()) {
      out.add(new Report.RankPoint(r.getInt(1), r.getLong(0)));
    }
    return out;
  }

  private static List<Report.ConceptRow> conceptRows(Dataset<Row> rows) {
    List<Report.ConceptRow> out = new ArrayList<>();
    for (Row r : rows.select("concept", "matched", "kept").collectAsList()) {
      out.add(
          new Report.ConceptRow(
              r.getString(0),
              r.getLong(1),
              r.getLong(2),
              ReportJson.round((double) r.getLong(2) / r.getLong(1))));
    }
    return out;
  }
}
