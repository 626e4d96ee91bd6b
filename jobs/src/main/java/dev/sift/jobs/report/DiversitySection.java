package dev.sift.jobs.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.xxhash64;

import dev.sift.curation.models.Float16;
import dev.sift.curation.report.Report;
import dev.sift.curation.report.ReportJson;
import dev.sift.curation.report.Vendi;
import dev.sift.udfs.Columns;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The diversity section: the Vendi score of a hashed sample of image embeddings before and after
 * curation. Stateless.
 */
final class DiversitySection {
  private DiversitySection() {}

  static Report.Diversity build(ReportInput in) {
    if (!List.of(in.accepted().columns()).contains(Columns.IMAGE_EMBEDDING)) {
      return Report.Diversity.absent(
          Report.notComputed(
              "embeddings not written (set sift.score.write-embeddings = true to compute it)"));
    }
    Column e = col(Columns.IMAGE_EMBEDDING);
    Dataset<Row> all =
        in.accepted().select(col(Columns.ID), e).unionAll(in.rejected().select(col(Columns.ID), e));
    float[][] before = sample(in, all);
    float[][] after = sample(in, in.accepted().select(col(Columns.ID), e));
    if (before.length < 2) {
      return Report.Diversity.absent(
          Report.notComputed("fewer than two rows have an image embedding"));
    }
    return new Report.Diversity(
        Report.COMPUTED,
        before.length,
        after.length,
        ReportJson.round(Vendi.score(before)),
        after.length == 0 ? null : ReportJson.round(Vendi.score(after)));
  }

  private static float[][] sample(ReportInput in, Dataset<Row> rows) {
    List<Row> picked =
        rows.where(col(Columns.IMAGE_EMBEDDING).isNotNull())
            .orderBy(xxhash64(col(Columns.ID)), col(Columns.ID))
            .limit(in.options().diversitySample())
            .collectAsList();
    float[][] out = new float[picked.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = Float16.decode((byte[]) picked.get(i).get(1));
    }
    return out;
  }
}
