package dev.sift.jobs.report;

import dev.sift.curation.report.Report;
import dev.sift.curation.report.ReportJson;
import dev.sift.curation.report.Thumbnails;
import dev.sift.udfs.Columns;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Example rows as the report shows them (caption, scores, outcome, thumbnail). */
final class Examples {
  private Examples() {}

  /** Collects {@code rows} (already limited) as examples, with thumbnails when asked. */
  static List<Report.Example> of(ReportInput in, Dataset<Row> rows, boolean thumbnails) {
    List<Report.Example> out = new ArrayList<>();
    List<String> names = List.of(rows.columns());
    boolean hasImage = names.contains(Columns.IMAGE);
    for (Row r : rows.collectAsList()) {
      String outcome =
          names.contains("_outcome")
              ? (r.getAs("_outcome") == null ? "accepted" : "rejected " + r.getAs("_outcome"))
              : "accepted";
      Double score = r.getAs(Columns.CLIP_SCORE);
      Double synth = r.getAs(Columns.CLIP_SCORE_SYNTHETIC);
      out.add(
          new Report.Example(
              r.getAs(Columns.ID),
              r.getAs(Columns.CAPTION),
              r.getAs(Columns.ORIGINAL_CAPTION),
              r.getAs(Columns.SYNTHETIC_CAPTION),
              r.getAs(Columns.CAPTION_SOURCE),
              score == null ? null : ReportJson.round(score),
              synth == null ? null : ReportJson.round(synth),
              outcome,
              r.getAs(Columns.WIDTH),
              r.getAs(Columns.HEIGHT),
              thumbnails && hasImage
                  ? Thumbnails.dataUri(r.getAs(Columns.IMAGE), in.options().thumbnailSize())
                  : null));
    }
    return out;
  }
}
