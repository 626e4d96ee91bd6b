package dev.sift.jobs.report;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sift.curation.report.Report;
import dev.sift.curation.report.ReportJson;
import dev.sift.udfs.Columns;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;

/**
 * The report's sections read off the manifest and the reject columns: the run summary (versions,
 * configuration digest, models, timings, where models ran) and the funnel per stage with its
 * reasons. Stateless.
 */
final class RunSections {
  private RunSections() {}

  static Report.Summary summary(ReportInput in) {
    JsonNode m = in.manifest();
    List<Report.ModelFile> models = new ArrayList<>();
    for (JsonNode f : m.path("models")) {
      models.add(
          new Report.ModelFile(
              f.path("role").asText(),
              f.path("file").asText(),
              f.path("bytes").asLong(),
              f.path("sha256").asText()));
    }
    Map<String, String> stages = new LinkedHashMap<>();
    m.path("stages").fields().forEachRemaining(e -> stages.put(e.getKey(), e.getValue().asText()));
    Map<String, Double> timings = new LinkedHashMap<>();
    m.path("timings")
        .fields()
        .forEachRemaining(e -> timings.put(e.getKey(), e.getValue().asDouble()));
    double pass = m.path("timings").path("stages_and_write_seconds").asDouble(Double.NaN);
    List<Report.Throughput> throughput = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = m.path("counts").path("per_stage").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      long rowsIn = e.getValue().path("in").asLong();
      throughput.add(
          new Report.Throughput(
              e.getKey(),
              rowsIn,
              ReportJson.round(rowsIn / pass),
              "stages and write (one fused pass)"));
    }
    JsonNode score = m.path("metrics").path("score");
    if (score.has("inference_seconds")) {
      long rows = score.path("model_rows").asLong();
      throughput.add(
          new Report.Throughput(
              "score (model only)",
              rows,
              ReportJson.round(rows / score.path("inference_seconds").asDouble()),
              "model inference time"));
    }
    JsonNode input = m.path("input");
    return new Report.Summary(
        input.path("path").asText(),
        input.path("format").asText(),
        input.path("file_count").asLong(),
        m.path("command").asText(),
        m.path("config_source").asText(),
        configDigest(m.path("config")),
        m.path("sift_version").asText(),
        m.path("git_commit").asText(),
        m.path("spark_version").asText(),
        m.path("started_at").asText(),
        m.path("finished_at").asText(),
        m.path("timings").has("total_seconds")
            ? m.path("timings").path("total_seconds").asDouble()
            : null,
        timings,
        stages,
        models,
        throughput,
        m.path("config").path("sift.device").asText(null),
        executors(m));
  }

  /** Every executor's device line from the model stages' metrics, once each, in order. */
  private static List<String> executors(JsonNode manifest) {
    java.util.Set<String> lines = new java.util.LinkedHashSet<>();
    for (String stage : List.of("score", "recaption")) {
      manifest.path("metrics").path(stage).path("devices").forEach(d -> lines.add(d.asText()));
    }
    return List.copyOf(lines);
  }

  /** SHA-256 of the resolved configuration as JSON with sorted keys. */
  static String configDigest(JsonNode config) {
    try {
      ObjectMapper sorted =
          new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
      Object tree = sorted.treeToValue(config, Object.class);
      byte[] bytes = sorted.writeValueAsString(tree).getBytes(StandardCharsets.UTF_8);
      return dev.sift.curation.Hashing.sha256Hex(bytes);
    } catch (IOException e) {
      throw new IllegalStateException("cannot digest the configuration", e);
    }
  }

  static Report.Funnel funnel(ReportInput in) {
    Map<String, List<Report.Count>> reasons = new TreeMap<>();
    for (Row r :
        in.rejected()
            .groupBy(col(Columns.REJECT_STAGE), col(Columns.REJECT_REASON))
            .count()
            .orderBy(col(Columns.REJECT_STAGE), col("count").desc(), col(Columns.REJECT_REASON))
            .collectAsList()) {
      reasons
          .computeIfAbsent(r.getString(0), k -> new ArrayList<>())
          .add(new Report.Count(r.getString(1), r.getLong(2)));
    }
    List<Report.FunnelStage> stages = new ArrayList<>();
    JsonNode counts = in.manifest().path("counts");
    counts
        .path("per_stage")
        .fields()
        .forEachRemaining(
            e ->
                stages.add(
                    new Report.FunnelStage(
                        e.getKey(),
                        e.getValue().path("in").asLong(),
                        e.getValue().path("out").asLong(),
                        e.getValue().path("rejected").asLong(),
                        reasons.getOrDefault(e.getKey(), List.of()))));
    return new Report.Funnel(
        counts.path("input").asLong(),
        counts.path("accepted").asLong(),
        counts.path("rejected").asLong(),
        stages);
  }
}
