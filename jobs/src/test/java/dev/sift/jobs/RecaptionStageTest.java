package dev.sift.jobs;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.curation.image.ImageDecoder;
import dev.sift.curation.models.Captioner;
import dev.sift.curation.models.ClipModel;
import dev.sift.curation.models.Generation;
import dev.sift.curation.models.ModelOptions;
import dev.sift.udfs.SparkTestBase;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Re-captioning in curate and the recaption command, on the sample with the tiny models. */
class RecaptionStageTest extends SparkTestBase {
  @TempDir static Path tmp;
  static final Path CLIP = repo("curation/src/test/resources/fixtures/tiny-clip");
  static final Path CAPTIONER = repo("curation/src/test/resources/fixtures/tiny-captioner");
  static Path plain;
  static Path rescued;

  static SiftRun run(String command, Path out, String... sets) {
    SiftRun r =
        SiftRun.of(
            List.of(
                command,
                "--config",
                repo("conf/sample-recaption.conf").toString(),
                "--input",
                repo("data/sample/sample.parquet").toString(),
                "--output",
                out.toString(),
                "--set",
                "sift.score.model=" + CLIP,
                "--set",
                "sift.recaption.model=" + CAPTIONER),
            sets);
    assertThat(r.exitCode()).as(r.toString()).isZero();
    return r;
  }

  @BeforeAll
  static void curate() {
    plain = tmp.resolve("plain");
    run("curate", plain, "sift.recaption.enabled=false");
    rescued = tmp.resolve("rescued");
    run(
        "curate",
        rescued,
        "sift.recaption.when=filtered-caption",
        "sift.recaption.choose=synthetic");
  }

  private static Dataset<Row> part(Path dir, String name) {
    return spark.read().parquet(dir.resolve(name).toString());
  }

  private static Set<String> ids(Dataset<Row> rows) {
    return rows.select("id").collectAsList().stream()
        .map(r -> r.getString(0))
        .collect(Collectors.toSet());
  }

  @Test
  void rowsWhoseCaptionWasFilteredAreKeptWithASyntheticCaption() throws Exception {
    // Without re-captioning these rows were rejected by the text filters, though their image is
    // there; every one whose image decodes (and is large enough) comes back with a new caption.
    Dataset<Row> textRejected =
        part(plain, "rejected")
            .where(col("reject_stage").equalTo("text").and(col("image").isNotNull()));
    Set<String> candidates = ids(textRejected);
    assertThat(candidates).isNotEmpty();
    Dataset<Row> accepted = part(rescued, "accepted");
    Dataset<Row> back = accepted.where(col("id").isin(candidates.toArray()));
    assertThat(back.count()).isPositive();
    for (Row r : back.collectAsList()) {
      String id = r.getAs("id");
      assertThat((String) r.getAs("caption_source")).as(id).isEqualTo("synthetic");
      assertThat((String) r.getAs("caption")).as(id).isEqualTo(r.getAs("synthetic_caption"));
      assertThat((String) r.getAs("caption")).as(id).isNotBlank();
      assertThat((Double) r.getAs("clip_score_synthetic")).as(id).isNotNull();
    }
    // The others stay rejected by text, with their reason.
    Set<String> stillRejected =
        ids(part(rescued, "rejected").where(col("reject_stage").equalTo("text")));
    assertThat(stillRejected).doesNotContainAnyElementsOf(ids(back));
    // Rows the filters passed keep their caption: only filtered captions were replaced.
    assertThat(
            accepted
                .where(col("id").isin(candidates.toArray()).unary_$bang())
                .where(col("caption_source").notEqual("original"))
                .count())
        .isZero();
    JsonNode m = SiftRun.manifest(rescued);
    assertThat(m.get("recaption").get("rescued_from_text_filters").asLong())
        .isEqualTo(back.count());
    assertThat(m.get("stages").get("recaption").asText()).isEqualTo("ran");
    assertThat(m.get("counts").get("accepted").asLong())
        .isEqualTo(part(plain, "accepted").count() + back.count());
    assertThat(m.get("models").toString()).contains("captioner", "decoder_model.onnx");
  }

  @Test
  void theSyntheticCaptionAndItsScoreAreWhatTheModelsGiveOutsideSpark() throws Exception {
    List<Row> some =
        part(rescued, "accepted")
            .where(col("caption_source").equalTo("synthetic"))
            .orderBy("id")
            .limit(3)
            .select("id", "image", "synthetic_caption", "clip_score_synthetic")
            .collectAsList();
    assertThat(some).isNotEmpty();
    try (Captioner captioner =
            Captioner.open(CAPTIONER, ModelOptions.cpu(1), Generation.greedy(20));
        ClipModel clip = ClipModel.open(CLIP)) {
      ImageDecoder decoder = new ImageDecoder();
      for (Row r : some) {
        var rgb = decoder.decode((byte[]) r.get(1));
        String text = captioner.generate(captioner.preprocessor().preprocess(rgb), 1).get(0).text();
        assertThat(r.getString(2)).as(r.getString(0)).isEqualTo(text);
        float[] image = clip.embedImages(clip.preprocessor().preprocess(rgb), 1)[0];
        float[] t = clip.embedTexts(List.of(text))[0];
        assertThat(r.getDouble(3)).isCloseTo(ClipModel.cosine(image, t), within(1e-5));
      }
    }
  }

  @Test
  void bestKeepsTheHigherScoringCaptionAndTheFilterJudgesTheKeptOne() {
    Path best = tmp.resolve("best");
    run(
        "curate",
        best,
        "sift.recaption.when=always",
        "sift.recaption.choose=best",
        "sift.filter.enabled=true",
        "sift.filter.min-score=0.0");
    Dataset<Row> accepted = part(best, "accepted");
    assertThat(accepted.where(col("clip_score_synthetic").isNull()).count()).isZero();
    for (Row r : accepted.collectAsList()) {
      double orig = r.getAs("clip_score");
      double syn = r.getAs("clip_score_synthetic");
      String source = r.getAs("caption_source");
      assertThat(source).isEqualTo(syn > orig ? "synthetic" : "original");
      assertThat(Math.max(orig, syn)).isGreaterThanOrEqualTo(0.0);
      if (source.equals("synthetic")) {
        assertThat((String) r.getAs("caption")).isEqualTo(r.getAs("synthetic_caption"));
      } else {
        assertThat((Object) r.getAs("synthetic_caption")).isNull();
      }
    }
    // A row is filtered out only when its kept caption scores below the cut.
    for (Row r :
        part(best, "rejected")
            .where(col("reject_reason").equalTo("low_clip_score"))
            .collectAsList()) {
      double kept =
          "synthetic".equals(r.getAs("caption_source"))
              ? r.<Double>getAs("clip_score_synthetic")
              : r.<Double>getAs("clip_score");
      assertThat(kept).isLessThan(0.0);
    }
  }

  @Test
  void theRecaptionCommandCaptionsWithoutFiltering() throws Exception {
    Path out = tmp.resolve("command");
    run("recaption", out, "sift.recaption.when=always", "sift.recaption.choose=both");
    JsonNode m = SiftRun.manifest(out);
    assertThat(m.get("command").asText()).isEqualTo("recaption");
    assertThat(m.get("stages").get("filter").asText()).isEqualTo("off");
    Dataset<Row> accepted = part(out, "accepted");
    assertThat(accepted.where(col("synthetic_caption").isNull()).count()).isZero();
    assertThat(accepted.where(col("clip_score").isNull()).count()).isZero();
    assertThat(accepted.count()).isEqualTo(part(plain, "accepted").count());
    Row broken = part(out, "rejected").where(col("id").equalTo("fixture-broken_truncated")).first();
    assertThat((String) broken.getAs("reject_reason")).isEqualTo("decode_error");
  }

  @Test
  void theReportOfARecaptionedRunShowsTheSyntheticCaptions() throws Exception {
    JsonNode report =
        new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(rescued.resolve("report/report.json").toFile());
    Dataset<Row> all =
        part(rescued, "accepted")
            .select("clip_score_synthetic")
            .unionAll(part(rescued, "rejected").select("clip_score_synthetic"));
    long synthetic = all.where(col("clip_score_synthetic").isNotNull()).count();
    assertThat(synthetic).isPositive();
    JsonNode scores = report.path("scores");
    assertThat(scores.path("synthetic_status").asText()).isEqualTo("computed");
    assertThat(scores.path("synthetic_rows").asLong()).isEqualTo(synthetic);
    long binned = 0;
    for (JsonNode c : scores.path("synthetic_histogram")) {
      binned += c.asLong();
    }
    assertThat(binned).isEqualTo(synthetic);

    long replaced =
        part(rescued, "accepted").where(col("caption_source").equalTo("synthetic")).count();
    long kept = part(rescued, "accepted").count();
    JsonNode captions = report.path("captions");
    long reported = 0;
    for (JsonNode c : captions.path("caption_source")) {
      if (c.path("name").asText().equals("synthetic")) {
        reported = c.path("rows").asLong();
      }
    }
    assertThat(reported).isEqualTo(replaced);
    assertThat(captions.path("synthetic_share").asDouble())
        .isCloseTo((double) replaced / kept, within(1e-4));

    JsonNode gallery = report.path("gallery");
    assertThat(gallery.path("recaptioned_status").asText()).isEqualTo("computed");
    assertThat(gallery.path("recaptioned")).isNotEmpty();
    for (JsonNode e : gallery.path("recaptioned")) {
      assertThat(e.path("synthetic_caption").asText()).isNotBlank();
    }
    String html = java.nio.file.Files.readString(rescued.resolve("report/report.html"));
    assertThat(html).contains("<b>after:</b>").doesNotContain("re-captioning did not run");
  }
}
