package dev.sift.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.udfs.SparkTestBase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sift.input.format = webdataset} end to end, over the shards of
 * curation/src/test/resources/webdataset (their README says what each holds).
 */
class WebDatasetInputTest extends SparkTestBase {
  private static final Path SHARDS = repo("curation/src/test/resources/webdataset");
  private static final String LONG_KEY = "nested/deeper/a_very_long_sample_key_" + "x".repeat(100);

  @TempDir Path tmp;

  private SiftRun curate(String input, Path out, String... sets) {
    return SiftRun.curateWebDataset(input, out, sets);
  }

  private Map<String, Row> byKey(Path out, String part) {
    Map<String, Row> rows = new HashMap<>();
    for (Row r : spark.read().parquet(out.resolve(part).toString()).collectAsList()) {
      rows.put(r.getAs("__key__"), r);
    }
    return rows;
  }

  @Test
  void everySampleEndsAcceptedOrRejectedWithItsReason() throws IOException {
    Path out = tmp.resolve("out");
    String input =
        SHARDS.resolve("good") + "," + SHARDS.resolve("bad/00000.tar") + "," + SHARDS.resolve("g*");
    SiftRun run = curate(input, out);
    assertThat(run.exitCode()).as(run.toString()).isZero();

    Map<String, Row> accepted = byKey(out, "accepted");
    assertThat(accepted)
        .containsOnlyKeys(
            "000000000",
            LONG_KEY,
            "données/ключ_日本語_sample",
            "000000003",
            "gnu/long_key_written_by_gnu_tar_" + "y".repeat(90) + "_ü",
            "000000014");
    Row first = accepted.get("000000000");
    assertThat((String) first.getAs("id")).isEqualTo("000000000");
    assertThat((String) first.getAs("caption"))
        .isEqualTo("a red double decker bus on a city street");
    assertThat((String) first.getAs("url")).isEqualTo("http://example.com/0.jpg");
    assertThat((Integer) first.getAs("width")).isEqualTo(224);
    assertThat((String) first.getAs("__shard__")).endsWith("good/00000.tar");
    // json fields other than key/url/width/height pass through; its caption is not Sift's
    assertThat((String) first.getAs("status")).isEqualTo("success");
    assertThat((Long) first.getAs("original_width")).isEqualTo(448L);
    assertThat((String) first.getAs("input_caption")).isEqualTo("ignored, txt wins");
    Row utf8 = accepted.get("données/ключ_日本語_sample");
    assertThat((String) utf8.getAs("id")).isEqualTo("000000002");
    assertThat((String) utf8.getAs("url")).isEqualTo("http://example.com/ü.png");
    assertThat((String) accepted.get(LONG_KEY).getAs("id")).isEqualTo("000000001");
    assertThat((String) accepted.get(LONG_KEY).getAs("caption"))
        .isEqualTo("a small boat on a calm blue lake");
    assertThat((String) accepted.get("000000003").getAs("id")).isEqualTo("000000003");
    assertThat((String) accepted.get("000000014").getAs("id"))
        .startsWith("sha256:")
        .isNotEqualTo("000000014");

    Map<String, Row> rejected = byKey(out, "rejected");
    assertThat(rejected).containsOnlyKeys("000000010", "000000011", "000000012", "000000013");
    assertReject(rejected.get("000000010"), "decode", "no_image");
    assertReject(rejected.get("000000011"), "text", "no_caption");
    assertReject(rejected.get("000000012"), "read", "duplicate_member");
    assertThat((String) rejected.get("000000012").getAs("reject_detail")).contains("webp");
    assertReject(rejected.get("000000013"), "read", "bad_json");
    assertThat((String) rejected.get("000000013").getAs("reject_detail"))
        .startsWith("000000013.json: ");
    assertThat((String) rejected.get("000000012").getAs("id")).isEqualTo("000000012");

    JsonNode manifest = SiftRun.manifest(out);
    assertThat(manifest.at("/counts/input").asLong()).isEqualTo(10);
    assertThat(manifest.at("/input/file_count").asInt()).isEqualTo(3);
    assertThat(manifest.at("/input/damaged_shards").isArray()).isTrue();
    assertThat(manifest.at("/input/damaged_shards").size()).isZero();
  }

  private static void assertReject(Row row, String stage, String reason) {
    assertThat((String) row.getAs("reject_stage")).as(row.toString()).isEqualTo(stage);
    assertThat((String) row.getAs("reject_reason")).as(row.toString()).isEqualTo(reason);
  }

  @Test
  void damagedShardFailsTheRunNamingShardAndOffset() throws IOException {
    long third = thirdSampleOffset();
    SiftRun run = curate(SHARDS.resolve("truncated").toString(), tmp.resolve("fail"));
    assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
    assertThat(run.err()).contains("truncated/00000.tar is damaged at byte " + third, "skip-rest");
    SiftRun notTar = curate(SHARDS.resolve("nottar").toString(), tmp.resolve("nottar"));
    assertThat(notTar.exitCode()).as(notTar.toString()).isEqualTo(2);
    assertThat(notTar.err()).contains("nottar/00000.tar is damaged at byte 0");
  }

  @Test
  void skipRestKeepsTheSamplesBeforeTheDamageAndListsTheShard() throws IOException {
    long third = thirdSampleOffset();
    Path out = tmp.resolve("skip");
    SiftRun run =
        curate(
            SHARDS.resolve("truncated") + "," + SHARDS.resolve("good"),
            out,
            "sift.input.webdataset.on-error=skip-rest");
    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(byKey(out, "accepted")).containsKeys("000000020", "000000021").hasSize(6);
    Map<String, Row> rejected = byKey(out, "rejected");
    assertThat(rejected).containsOnlyKeys("000000022");
    assertReject(rejected.get("000000022"), "read", "damaged_shard");
    assertThat((String) rejected.get("000000022").getAs("reject_detail"))
        .contains("truncated/00000.tar is damaged at byte " + third);
    JsonNode manifest = SiftRun.manifest(out);
    assertThat(manifest.at("/counts/input").asLong()).isEqualTo(7);
    JsonNode damaged = manifest.at("/input/damaged_shards");
    assertThat(damaged.size()).isOne();
    assertThat(damaged.get(0).get("path").asText()).endsWith("truncated/00000.tar");
    assertThat(damaged.get(0).get("offset").asLong()).isEqualTo(third);
    assertThat(damaged.get(0).get("error").asText()).contains("000000022.webp");
  }

  @Test
  void captionFromAJsonFieldAndABadKeyValueExit2() {
    Path out = tmp.resolve("jsoncap");
    SiftRun run =
        curate(
            SHARDS.resolve("good").toString(), out, "sift.input.webdataset.caption=json:caption");
    assertThat(run.exitCode()).as(run.toString()).isZero();
    Row first = byKey(out, "accepted").get("000000000");
    assertThat((String) first.getAs("caption")).isEqualTo("ignored, txt wins");
    SiftRun bad =
        curate(
            SHARDS.resolve("good").toString(),
            tmp.resolve("x"),
            "sift.input.webdataset.image=.JPG");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).contains("sift.input.webdataset.image");
  }

  private static long thirdSampleOffset() throws IOException {
    byte[] bytes = Files.readAllBytes(SHARDS.resolve("truncated/00000.tar"));
    String s = new String(bytes, StandardCharsets.ISO_8859_1);
    return s.indexOf("000000022.webp");
  }
}
