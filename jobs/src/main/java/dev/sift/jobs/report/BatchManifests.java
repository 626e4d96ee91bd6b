package dev.sift.jobs.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The manifest a cumulative report reads for an append-mode output: the committed batches'
 * manifests combined. Row counts, per-stage counts, reasons and timings are summed over the
 * batches; everything else (versions, configuration, the stages' own sections) is the latest
 * batch's; {@code batches} names them all. Stateless.
 */
final class BatchManifests {
  private BatchManifests() {}

  /**
   * @param manifests the committed batches' manifests, in commit order (at least one)
   */
  static JsonNode combine(List<JsonNode> manifests) {
    ObjectMapper json = new ObjectMapper();
    ObjectNode out = manifests.get(manifests.size() - 1).deepCopy();
    ObjectNode counts = json.createObjectNode();
    ObjectNode timings = json.createObjectNode();
    long files = 0;
    ArrayNode ids = json.createArrayNode();
    for (JsonNode m : manifests) {
      sum(counts, m.path("counts"));
      sum(timings, m.path("timings"));
      files += m.path("input").path("file_count").asLong();
      ids.add(m.path("batch").path("id").asText(""));
    }
    out.set("counts", counts);
    out.set("timings", timings);
    out.put("started_at", manifests.get(0).path("started_at").asText());
    if (out.path("input") instanceof ObjectNode input) {
      input.put("file_count", files);
      input.remove(List.of("files", "files_listed"));
    }
    out.remove("batch");
    ObjectNode batches = json.createObjectNode();
    batches.put("count", manifests.size());
    batches.set("ids", ids);
    out.set("batches", batches);
    return out;
  }

  /** Adds {@code from}'s numbers into {@code into}, field by field, recursively. */
  private static void sum(ObjectNode into, JsonNode from) {
    Iterator<Map.Entry<String, JsonNode>> it = from.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      JsonNode there = into.get(e.getKey());
      if (v.isObject()) {
        ObjectNode child = there instanceof ObjectNode o ? o : into.putObject(e.getKey());
        sum(child, v);
      } else if (v.isIntegralNumber()) {
        into.put(e.getKey(), (there == null ? 0L : there.asLong()) + v.asLong());
      } else if (v.isNumber()) {
        into.put(e.getKey(), (there == null ? 0.0 : there.asDouble()) + v.asDouble());
      } else {
        into.set(e.getKey(), v);
      }
    }
  }
}
