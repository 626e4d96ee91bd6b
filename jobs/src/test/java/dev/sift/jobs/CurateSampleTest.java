package dev.sift.jobs;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.curation.ids.StableId;
import dev.sift.udfs.SparkTestBase;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code curate} on the bundled sample, through the entry point bin/sift uses. */
class CurateSampleTest extends SparkTestBase {
  @TempDir static Path tmp;
  static Path output;
  static SiftRun run;
  static Dataset<Row> input;
  static Dataset<Row> accepted;
  static Dataset<Row> rejected;

  @BeforeAll
  static void curate() {
    String sample = repo("data/sample/sample.parquet").toString();
    output = tmp.resolve("out");
    run =
        SiftRun.of(
            "curate",
            "--config",
            repo("conf/sample-checks.conf").toString(),
            "--input",
            sample,
            "--output",
            output.toString(),
            "--set",
            "sift.progress.interval=500ms");
    input = spark.read().parquet(sample);
    accepted = spark.read().parquet(output.resolve("accepted").toString());
    rejected = spark.read().parquet(output.resolve("rejected").toString());
  }

  @Test
  void printsWhereTheOutputsAre() {
    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(run.out()).contains("accepted", "rejected", "_MANIFEST.json", output.toString());
  }

  @Test
  void everyInputRowEndsUpExactlyOnce() {
    assertThat(accepted.count() + rejected.count()).isEqualTo(input.count());
    List<String> in = keys(input.select(col("url"), col("caption"), col("sample_kind")));
    List<String> out = new ArrayList<>();
    out.addAll(keys(accepted.select(col("url"), col("original_caption"), col("sample_kind"))));
    out.addAll(keys(rejected.select(col("url"), col("original_caption"), col("sample_kind"))));
    assertThat(out).containsExactlyInAnyOrderElementsOf(in);
  }

  @Test
  void everyInputIdAppearsOnceExceptTheDuplicateWhichIsRejected() {
    Map<String, Integer> inIds = new HashMap<>();
    for (Row r : input.select("id").collectAsList()) {
      String id = r.getString(0);
      if (id != null && !id.isBlank()) {
        inIds.merge(id, 1, Integer::sum);
      }
    }
    Map<String, Integer> outIds = new HashMap<>();
    for (Row r : accepted.select("id").union(rejected.select("id")).collectAsList()) {
      outIds.merge(r.getString(0), 1, Integer::sum);
    }
    inIds.forEach((id, n) -> assertThat(outIds.get(id)).as(id).isEqualTo(n));
    List<Row> dup = rejected.where(col("reject_reason").equalTo("duplicate_id")).collectAsList();
    assertThat(dup).hasSize(1);
    String dupId = dup.get(0).getAs("id");
    assertThat(inIds.get(dupId)).isEqualTo(2);
    assertThat(dupId).isEqualTo("photo-321_421");
    assertThat(accepted.where(col("id").equalTo(dupId)).count()).isEqualTo(1);
    List<Row> derived = accepted.where(col("sample_kind").equalTo("null_id")).collectAsList();
    assertThat(derived).hasSize(2);
    assertThat(derived)
        .allSatisfy(r -> assertThat((String) r.getAs("id")).startsWith(StableId.PREFIX));
  }

  @Test
  void brokenRowsAreRejectedWithTheirReasons() {
    Map<String, String> reasons = new HashMap<>();
    Map<String, String> details = new HashMap<>();
    for (Row r :
        rejected.select("id", "reject_stage", "reject_reason", "reject_detail").collectAsList()) {
      reasons.put(r.getString(0), r.getString(1) + "/" + r.getString(2));
      details.put(r.getString(0), r.getString(3));
    }
    assertThat(reasons)
        .containsEntry("fixture-broken_truncated", "decode/decode_error")
        .containsEntry("fixture-broken_random", "decode/decode_error")
        .containsEntry("fixture-tiny_1x1", "decode/too_small")
        .containsEntry("fixture-wide_2000x50", "decode/aspect")
        .containsEntry("edge-null-image-0", "decode/no_image")
        .containsEntry("edge-null-caption-0", "text/no_caption")
        .containsEntry("edge-null-caption-1", "text/no_caption")
        .containsEntry("edge-empty-caption", "text/empty_caption")
        .containsEntry("edge-whitespace-caption", "text/empty_caption")
        .containsEntry("edge-markup-only-caption", "text/empty_caption")
        .containsEntry("edge-one-char-caption", "text/too_short")
        .containsEntry("edge-long-caption", "text/too_long");
    assertThat(details.get("fixture-broken_truncated")).containsIgnoringCase("EOI");
    assertThat(details.get("fixture-broken_random")).contains("unrecognised image format");
  }

  @Test
  void acceptedRowsCarryTheProbeAndTheNormalisedCaption() {
    Row photo = accepted.where(col("id").equalTo("photo-208_495")).first();
    assertThat((Integer) photo.getAs("width")).isEqualTo(208);
    assertThat((Integer) photo.getAs("height")).isEqualTo(495);
    assertThat((String) photo.getAs("image_format")).isEqualTo("jpeg");
    assertThat((byte[]) photo.getAs("image")).isNotEmpty();
    Row html = accepted.where(col("id").equalTo("edge-entities")).first();
    assertThat((String) html.getAs("caption")).isEqualTo("Café & crème brûlée");
    assertThat((String) html.getAs("original_caption")).contains("&eacute;", "<b>");
    Row nfd = accepted.where(col("id").equalTo("edge-nfd")).first();
    assertThat((String) nfd.getAs("caption")).isEqualTo("Caf\u00e9 in M\u00fcnchen");
    Row controls = accepted.where(col("id").equalTo("edge-controls")).first();
    assertThat((String) controls.getAs("caption")).isEqualTo("a red car on the road 🚗");
    assertThat(accepted.where(col("sample_kind").equalTo("fixture_awkward")).count())
        .as("CMYK, WebP, GIF, palette and the rest decode")
        .isEqualTo(10);
  }

  @Test
  void stagesThatDidNotRunLeaveNulls() {
    for (String c :
        List.of(
            "clip_score",
            "clip_score_synthetic",
            "concepts",
            "keep_probability",
            "synthetic_caption",
            "caption_source")) {
      assertThat(accepted.where(col(c).isNotNull()).count()).as(c).isZero();
      assertThat(rejected.where(col(c).isNotNull()).count()).as(c).isZero();
    }
    assertThat(accepted.columns())
        .contains("sample_kind", "source")
        .doesNotContain("reject_reason");
    assertThat(rejected.columns()).contains("reject_stage", "reject_reason", "reject_detail");
  }

  @Test
  void manifestCountsAreTheRowsWritten() throws Exception {
    JsonNode m = SiftRun.manifest(output);
    JsonNode counts = m.get("counts");
    assertThat(counts.get("input").asLong()).isEqualTo(input.count());
    assertThat(counts.get("accepted").asLong()).isEqualTo(accepted.count());
    assertThat(counts.get("rejected").asLong()).isEqualTo(rejected.count());
    Map<String, Long> byReason = new HashMap<>();
    for (Row r : rejected.groupBy("reject_reason").count().collectAsList()) {
      byReason.put(r.getString(0), r.getLong(1));
    }
    assertThat(counts.get("rejected_by_reason").size()).isEqualTo(byReason.size());
    byReason.forEach(
        (k, v) -> assertThat(counts.get("rejected_by_reason").get(k).asLong()).isEqualTo(v));
    JsonNode perStage = counts.get("per_stage");
    assertThat(perStage.get("read").get("in").asLong()).isEqualTo(input.count());
    assertThat(perStage.get("write").get("out").asLong()).isEqualTo(accepted.count());
    assertThat(perStage.get("text").get("rejected").asLong())
        .isEqualTo(rejected.where(col("reject_stage").equalTo("text")).count());
    assertThat(m.get("stages").get("score").asText()).startsWith("off");
    assertThat(m.get("config").get("sift.decode.min-size").asInt()).isEqualTo(32);
    assertThat(m.get("input").get("files").size()).isEqualTo(1);
    assertThat(m.get("sift_version").asText()).isNotBlank();
  }

  @Test
  void refusesToTouchAnExistingOutputUnlessToldTo() {
    SiftRun again =
        SiftRun.of(
            "curate",
            "--input",
            repo("data/sample/sample.parquet").toString(),
            "--output",
            output.toString());
    assertThat(again.exitCode()).isEqualTo(2);
    assertThat(again.err()).contains("already exists", "sift.output.mode = overwrite");
    assertThat(output.resolve("_MANIFEST.json")).exists();
  }

  private static List<String> keys(Dataset<Row> rows) {
    List<String> keys = new ArrayList<>();
    for (Row r : rows.collectAsList()) {
      keys.add(r.get(0) + "|" + r.get(1) + "|" + r.get(2));
    }
    return keys;
  }
}
