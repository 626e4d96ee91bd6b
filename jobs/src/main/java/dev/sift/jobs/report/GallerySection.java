package dev.sift.jobs.report;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.xxhash64;

import dev.sift.curation.report.Report;
import dev.sift.curation.report.ReportJson;
import dev.sift.udfs.Columns;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The gallery: the best, worst and borderline scored rows around the run's threshold, and
 * re-captioned rows, with thumbnails. Stateless.
 */
final class GallerySection {
  private GallerySection() {}

  /**
   * Accepted and rejected rows with the columns an example shows, and {@code _outcome}: null for
   * accepted rows, {@code stage/reason} for rejected ones.
   */
  static Dataset<Row> galleryRows(ReportInput in) {
    List<Column> cols = new ArrayList<>();
    for (String c :
        List.of(
            Columns.ID,
            Columns.CAPTION,
            Columns.ORIGINAL_CAPTION,
            Columns.SYNTHETIC_CAPTION,
            Columns.CAPTION_SOURCE,
            Columns.CLIP_SCORE,
            Columns.CLIP_SCORE_SYNTHETIC,
            Columns.WIDTH,
            Columns.HEIGHT)) {
      cols.add(col(c));
    }
    boolean image = List.of(in.accepted().columns()).contains(Columns.IMAGE);
    cols.add(image ? col(Columns.IMAGE) : lit(null).cast("binary").as(Columns.IMAGE));
    List<Column> acc = new ArrayList<>(cols);
    acc.add(lit(null).cast("string").as("_outcome"));
    List<Column> rej = new ArrayList<>(cols);
    rej.add(
        org.apache
            .spark
            .sql
            .functions
            .concat_ws("/", col(Columns.REJECT_STAGE), col(Columns.REJECT_REASON))
            .as("_outcome"));
    return in.accepted()
        .select(acc.toArray(Column[]::new))
        .unionAll(in.rejected().select(rej.toArray(Column[]::new)));
  }

  static Report.Gallery build(ReportInput in, ScoreSection.Summary summary) {
    Report.Scores scores = summary.scores();
    if (!Report.COMPUTED.equals(scores.status())) {
      return Report.Gallery.absent(Report.notComputed("no CLIP scores to rank rows by"));
    }
    int k = in.options().examples();
    Dataset<Row> rows = galleryRows(in);
    Dataset<Row> scored = rows.where(col(Columns.CLIP_SCORE).isNotNull());
    Column s = col(Columns.CLIP_SCORE);
    Column id = col(Columns.ID);
    double threshold;
    String source;
    if (scores.configuredThreshold() != null) {
      threshold = scores.configuredThreshold();
      source = scores.thresholdSource();
    } else {
      threshold = summary.fineAll().quantile(1 - in.options().topFraction());
      source =
          String.format(
              java.util.Locale.ROOT,
              "no filter ran; the top-%.0f%% cut of this run",
              in.options().topFraction() * 100);
    }
    Dataset<Row> recaptioned = rows.where(col(Columns.SYNTHETIC_CAPTION).isNotNull());
    List<Report.Example> re = Examples.of(in, recaptioned.orderBy(xxhash64(id), id).limit(k), true);
    return new Report.Gallery(
        Report.COMPUTED,
        ReportJson.round(threshold),
        source,
        Examples.of(in, scored.orderBy(s.desc(), id).limit(k), true),
        Examples.of(in, scored.orderBy(s, id).limit(k), true),
        Examples.of(in, scored.orderBy(abs(s.minus(threshold)), id).limit(k), true),
        re.isEmpty()
            ? Report.notComputed("no re-captioned rows (re-captioning did not run)")
            : Report.COMPUTED,
        re.isEmpty() ? null : re);
  }
}
