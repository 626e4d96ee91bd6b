package dev.sift.jobs.report;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.curation.report.Report;
import dev.sift.udfs.Columns;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The dedup section: rows removed per kind and the histogram of their distances or similarities,
 * from the manifest's {@code dedup}; the example pairs it names, looked up by id in the written
 * rows, with thumbnails. Stateless.
 */
final class DedupSection {
  /** Kind, reject reason, what the histogram measures; in the order the kinds run. */
  private static final String[][] KINDS = {
    {"exact", "exact_duplicate", "same image bytes"},
    {"reference", "reference_overlap", "pHash distance"},
    {"near", "near_duplicate", "pHash distance"},
    {"semantic", "semantic_duplicate", "cosine similarity"}
  };

  private DedupSection() {}

  static Report.Dedup build(ReportInput in) {
    JsonNode dedup = in.manifest().path("dedup");
    if (dedup.isMissingNode()) {
      return Report.Dedup.absent(
          Report.notComputed("dedup did not run (set sift.dedup.enabled = true)"));
    }
    Set<String> ids = new LinkedHashSet<>();
    for (String[] kind : KINDS) {
      for (JsonNode e : dedup.path(kind[0]).path("examples")) {
        ids.add(e.path("removed").asText());
        ids.add(e.path("kept").asText());
      }
    }
    Map<String, Report.Example> rows = examples(in, ids);
    List<Report.DedupKind> kinds = new ArrayList<>();
    for (String[] kind : KINDS) {
      JsonNode k = dedup.path(kind[0]);
      if (k.isMissingNode()) {
        continue;
      }
      List<Report.Count> histogram = new ArrayList<>();
      for (Iterator<Map.Entry<String, JsonNode>> it = k.path("histogram").fields();
          it.hasNext(); ) {
        Map.Entry<String, JsonNode> bin = it.next();
        histogram.add(new Report.Count(bin.getKey(), bin.getValue().asLong()));
      }
      List<Report.DedupPair> pairs = new ArrayList<>();
      for (JsonNode e : k.path("examples")) {
        Report.Example removed = rows.get(e.path("removed").asText());
        Report.Example kept = rows.get(e.path("kept").asText());
        if (removed != null && kept != null) {
          JsonNode v = e.path("value");
          pairs.add(new Report.DedupPair(removed, kept, v.isNumber() ? v.asDouble() : null));
        }
      }
      kinds.add(
          new Report.DedupKind(
              kind[0],
              kind[1],
              k.path("removed").asLong(),
              kind[2],
              histogram.isEmpty() ? null : histogram,
              pairs.isEmpty() ? null : pairs));
    }
    return new Report.Dedup(Report.COMPUTED, dedup.path("priority").asText(null), kinds);
  }

  /** The written rows with these ids (accepted or rejected), as examples with thumbnails. */
  private static Map<String, Report.Example> examples(ReportInput in, Set<String> ids) {
    Map<String, Report.Example> out = new HashMap<>();
    if (ids.isEmpty()) {
      return out;
    }
    Dataset<Row> rows = GallerySection.galleryRows(in).where(col(Columns.ID).isin(ids.toArray()));
    for (Report.Example e : Examples.of(in, rows, true)) {
      // A rejected duplicate of an id shares the id of the row dedup judged: not that row.
      if (!e.outcome().endsWith("/" + dev.sift.curation.Reject.DUPLICATE_ID.code())) {
        out.put(e.id(), e);
      }
    }
    return out;
  }
}
