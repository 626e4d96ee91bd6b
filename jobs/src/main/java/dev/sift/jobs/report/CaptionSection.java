package dev.sift.jobs.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.sum;

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
 * The caption section: lengths before and after the text stages, caption sources, the shortest and
 * longest kept captions. Stateless.
 */
final class CaptionSection {
  private static final int LENGTH_BIN = ReportJob.LENGTH_BIN;
  private static final int LENGTH_BINS = ReportJob.LENGTH_BINS;

  private CaptionSection() {}

  static Report.Captions build(ReportInput in) {
    long[] before = new long[LENGTH_BINS];
    long[] after = new long[LENGTH_BINS];
    Map<Integer, Long> exactBefore =
        lengths(
            in.accepted()
                .select(Columns.ORIGINAL_CAPTION)
                .unionAll(in.rejected().select(Columns.ORIGINAL_CAPTION)),
            Columns.ORIGINAL_CAPTION);
    Map<Integer, Long> exactAfter = lengths(in.accepted(), Columns.CAPTION);
    exactBefore.forEach((len, c) -> before[Math.min(LENGTH_BINS - 1, len / LENGTH_BIN)] += c);
    exactAfter.forEach((len, c) -> after[Math.min(LENGTH_BINS - 1, len / LENGTH_BIN)] += c);

    List<Report.Count> sources = new ArrayList<>();
    long synthetic = 0;
    for (Row r :
        in.accepted()
            .where(col(Columns.CAPTION_SOURCE).isNotNull())
            .groupBy(Columns.CAPTION_SOURCE)
            .count()
            .orderBy(col("count").desc(), col(Columns.CAPTION_SOURCE))
            .collectAsList()) {
      sources.add(new Report.Count(r.getString(0), r.getLong(1)));
      if (r.getString(0).equals("synthetic")) {
        synthetic = r.getLong(1);
      }
    }
    long acceptedRows = in.manifest().path("counts").path("accepted").asLong();
    int k = Math.max(1, in.options().examples() / 4);
    List<Report.Example> examples = new ArrayList<>();
    Column len = length(col(Columns.CAPTION));
    examples.addAll(Examples.of(in, in.accepted().orderBy(len, col(Columns.ID)).limit(k), false));
    examples.addAll(
        Examples.of(in, in.accepted().orderBy(len.desc(), col(Columns.ID)).limit(k), false));
    return new Report.Captions(
        Report.COMPUTED,
        LENGTH_BIN,
        before,
        after,
        mean(exactBefore),
        mean(exactAfter),
        median(exactBefore),
        median(exactAfter),
        sources.isEmpty()
            ? Report.notComputed("no caption_source (re-captioning did not run)")
            : Report.COMPUTED,
        sources.isEmpty() ? null : sources,
        sources.isEmpty() || acceptedRows == 0
            ? null
            : ReportJson.round((double) synthetic / acceptedRows),
        examples);
  }

  /** Rows per caption length in characters (few distinct lengths: collected). */
  private static Map<Integer, Long> lengths(Dataset<Row> rows, String column) {
    Map<Integer, Long> out = new TreeMap<>();
    for (Row r :
        rows.where(col(column).isNotNull())
            .groupBy(length(col(column)).as("n"))
            .count()
            .collectAsList()) {
      out.put(r.getInt(0), r.getLong(1));
    }
    return out;
  }

  private static Double mean(Map<Integer, Long> lengths) {
    long n = 0;
    long sum = 0;
    for (Map.Entry<Integer, Long> e : lengths.entrySet()) {
      n += e.getValue();
      sum += e.getKey() * e.getValue();
    }
    return n == 0 ? null : ReportJson.round((double) sum / n);
  }

  /** The exact median (the mean of the two middle values for an even count). */
  static Double median(Map<Integer, Long> lengths) {
    long n = lengths.values().stream().mapToLong(Long::longValue).sum();
    if (n == 0) {
      return null;
    }
    long lower = (n - 1) / 2;
    long upper = n / 2;
    Integer lowValue = null;
    long seen = 0;
    for (Map.Entry<Integer, Long> e : new TreeMap<>(lengths).entrySet()) {
      seen += e.getValue();
      if (lowValue == null && seen > lower) {
        lowValue = e.getKey();
      }
      if (seen > upper) {
        return (lowValue + e.getKey()) / 2.0;
      }
    }
    throw new IllegalStateException("unreachable");
  }
}
