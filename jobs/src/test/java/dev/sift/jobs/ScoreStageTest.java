package dev.sift.jobs;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.curation.models.ClipModel;
import dev.sift.udfs.SparkTestBase;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CLIP scoring and the score filter in curate, on the sample with the tiny ONNX CLIP. */
class ScoreStageTest extends SparkTestBase {
  @TempDir static Path tmp;
  static final Path MODEL = repo("curation/src/test/resources/fixtures/tiny-clip");
  static final Path HEAD = repo("curation/src/test/resources/fixtures/heads/linear32.onnx");
  static Path out;

  @BeforeAll
  static void curate() {
    out = tmp.resolve("scored");
    curateScored(
        out,
        "sift.score.batch-size=16",
        "sift.score.write-embeddings=true",
        "sift.score.heads.linear=" + HEAD);
  }

  /** Curates the sample with the tiny model into {@code dir}, with extra {@code --set}s. */
  private static void curateScored(Path dir, String... sets) {
    SiftRun r = startUp(tmp.relativize(dir).toString(), sets);
    assertThat(r.exitCode()).as(r.toString()).isZero();
  }

  private static Dataset<Row> part(Path dir, String name) {
    return spark.read().parquet(dir.resolve(name).toString());
  }

  @Test
  void everyAcceptedRowHasTheScoreTheModelGives() throws Exception {
    Dataset<Row> accepted = part(out, "accepted");
    assertThat(accepted.count()).isGreaterThan(200);
    assertThat(accepted.where(col("clip_score").isNull()).count()).isZero();
    assertThat(
            accepted.where(col("clip_score").gt(1.0001).or(col("clip_score").lt(-1.0001))).count())
        .isZero();
    // Recompute a few scores outside Spark, one row at a time, with the curation API.
    List<Row> some =
        accepted
            .orderBy("id")
            .limit(5)
            .select("id", "caption", "image", "clip_score")
            .collectAsList();
    ModelScores.assertScoresAreTheModels(MODEL, some);
  }

  @Test
  void embeddingsAreWrittenAsFloat16AndGiveTheScore() {
    List<Row> rows =
        part(out, "accepted")
            .select("id", "image_embedding", "text_embedding", "clip_score")
            .collectAsList();
    for (Row r : rows) {
      float[] image = dev.sift.curation.models.Float16.decode((byte[]) r.get(1));
      float[] text = dev.sift.curation.models.Float16.decode((byte[]) r.get(2));
      assertThat(image).as(r.getString(0)).hasSize(32);
      assertThat((double) ClipModel.cosine(image, text))
          .as(r.getString(0))
          .isCloseTo(r.getDouble(3), within(3e-3));
    }
    assertThat(
            part(out, "rejected")
                .where(col("reject_stage").equalTo("decode"))
                .where(col("image_embedding").isNotNull())
                .count())
        .isZero();
  }

  @Test
  void headsReadTheImageEmbeddingAndCanBeFilteredOn() throws Exception {
    // linear32.onnx is 0.5 + sum_i (i - 15.5) / 16 * e_i (see EmbeddingHeadTest).
    List<Row> rows =
        part(out, "accepted").select("id", "image_embedding", "head_linear").collectAsList();
    for (Row r : rows) {
      float[] e = dev.sift.curation.models.Float16.decode((byte[]) r.get(1));
      double expected = 0.5;
      for (int i = 0; i < e.length; i++) {
        expected += (i - 15.5) / 16 * e[i];
      }
      assertThat(r.getDouble(2)).as(r.getString(0)).isCloseTo(expected, within(5e-3));
    }
    assertThat(SiftRun.manifest(out).get("models").toString()).contains("head linear");

    double median =
        part(out, "accepted").stat().approxQuantile("head_linear", new double[] {0.5}, 0.0)[0];
    Path filtered = tmp.resolve("head-filter");
    curateScored(
        filtered,
        "sift.score.heads.linear=" + HEAD,
        "sift.filter.enabled=true",
        "sift.filter.min-score=-1",
        "sift.filter.heads.linear.min=" + median);
    assertThat(part(filtered, "accepted").where(col("head_linear").lt(median)).count()).isZero();
    Dataset<Row> out =
        part(filtered, "rejected").where(col("reject_reason").equalTo("head_out_of_range"));
    assertThat(out.count())
        .isEqualTo(part(this.out, "accepted").where(col("head_linear").lt(median)).count());
    assertThat((String) out.first().getAs("reject_detail"))
        .startsWith("head_linear = ")
        .contains("outside min");
  }

  /** A curate run of the sample with the tiny model that should stop at start-up. */
  private static SiftRun startUp(String name, String... sets) {
    return SiftRun.of(
        List.of(
            "curate",
            "--config",
            repo("conf/sample-score.conf").toString(),
            "--input",
            repo("data/sample/sample.parquet").toString(),
            "--output",
            tmp.resolve(name).toString(),
            "--set",
            "sift.score.model=" + MODEL),
        sets);
  }

  @Test
  void badHeadsFailAtStartUpNamingTheKey() {
    SiftRun unknown =
        startUp("bad-head-1", "sift.filter.enabled=true", "sift.filter.heads.aesthetic.min=5");
    assertThat(unknown.exitCode()).isEqualTo(2);
    assertThat(unknown.err()).contains("sift.filter.heads.aesthetic", "no head of that name");
    SiftRun bound = startUp("bad-head-2", "sift.filter.heads.linear.minimum=5");
    assertThat(bound.exitCode()).isEqualTo(2);
    assertThat(bound.err()).contains("sift.filter.heads", "unknown bound 'minimum'");
    SiftRun missing = startUp("bad-head-3", "sift.score.heads.nsfw=" + tmp.resolve("nsfw.onnx"));
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("sift.score.heads.nsfw", "no such file");
  }

  @Test
  void brokenImagesAreRejectedAndRejectedRowsAreNotScored() throws Exception {
    Dataset<Row> rejected = part(out, "rejected");
    Row truncated = rejected.where(col("id").equalTo("fixture-broken_truncated")).first();
    assertThat((String) truncated.getAs("reject_reason")).isEqualTo("decode_error");
    assertThat((String) truncated.getAs("reject_stage")).isEqualTo("decode");
    assertThat(
            rejected
                .where(col("reject_stage").isin("read", "text"))
                .where(col("clip_score").isNotNull())
                .count())
        .isZero();
    JsonNode m = SiftRun.manifest(out);
    assertThat(m.get("models").size()).isGreaterThanOrEqualTo(2);
    assertThat(m.get("models").get(0).get("sha256").asText()).hasSize(64);
    assertThat(m.get("stages").get("score").asText()).isEqualTo("ran");
    JsonNode metrics = m.get("metrics").get("score");
    // 16 rows per batch, one batch per partition at least: every scored row went through a batch.
    assertThat(metrics.get("model_rows").asLong()).isEqualTo(part(out, "accepted").count());
    assertThat(metrics.get("batches").asLong())
        .isGreaterThanOrEqualTo((part(out, "accepted").count() + 15) / 16);
    assertThat(metrics.get("devices").get(0).asText()).contains("executor driver: CPU");
    assertThat(m.get("counts").get("input").asLong())
        .isEqualTo(part(out, "accepted").count() + rejected.count());
    // Reading the input and opening the model on the driver are start-up, not stages: they were
    // once counted in stages_and_write_seconds, leaving read_and_check_seconds at 0.
    JsonNode t = m.get("timings");
    assertThat(t.get("read_and_check_seconds").asDouble()).isPositive();
    assertThat(
            t.get("read_and_check_seconds").asDouble()
                + t.get("stages_and_write_seconds").asDouble()
                + t.get("count_seconds").asDouble())
        .isCloseTo(t.get("total_seconds").asDouble(), org.assertj.core.data.Offset.offset(0.1));
  }

  @Test
  void theFilterRejectsLowScores() {
    Dataset<Row> scores = part(out, "accepted").select("clip_score");
    double median = scores.stat().approxQuantile("clip_score", new double[] {0.5}, 0.0)[0];
    Path filtered = tmp.resolve("filtered");
    curateScored(filtered, "sift.filter.enabled=true", "sift.filter.min-score=" + median);
    Dataset<Row> kept = part(filtered, "accepted");
    assertThat(kept.where(col("clip_score").lt(median)).count()).isZero();
    long low =
        part(filtered, "rejected").where(col("reject_reason").equalTo("low_clip_score")).count();
    assertThat(low).isEqualTo(scores.where(col("clip_score").lt(median)).count());
  }

  @Test
  void theTopFractionCutKeepsThatShareOfTheScoredRowsAndIsRecorded() throws Exception {
    Dataset<Row> scores = part(out, "accepted").select("clip_score");
    long scored = scores.count();
    Path top = tmp.resolve("top-fraction");
    curateScored(
        top,
        "sift.filter.enabled=true",
        "sift.filter.top-fraction=0.3",
        "sift.filter.quantile-error=0");
    JsonNode filter = SiftRun.manifest(top).get("filter");
    assertThat(filter.get("mode").asText()).isEqualTo("top-fraction");
    double threshold = filter.get("threshold").asDouble();
    // The cut is the score at the 70% quantile of this run's scores, computed independently here.
    double[] q = scores.stat().approxQuantile("clip_score", new double[] {0.7}, 0.0);
    assertThat(threshold).isEqualTo(q[0]);
    Dataset<Row> kept = part(top, "accepted");
    assertThat(kept.where(col("clip_score").lt(threshold)).count()).isZero();
    assertThat((double) kept.count()).isCloseTo(0.3 * scored, within(2.0));
    Dataset<Row> low = part(top, "rejected").where(col("reject_reason").equalTo("low_clip_score"));
    assertThat(low.count()).isEqualTo(scored - kept.count());
    assertThat(low.where(col("clip_score").geq(threshold)).count()).isZero();
    assertThat((String) low.first().getAs("reject_stage")).isEqualTo("filter");
  }

  @Test
  void theFastDecodeModeScoresTheSameRowsWithSmallDrift() {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        "true".equals(System.getenv("CI"))
            || dev.sift.curation.image.ImageDecoder.fastModeUnavailable() == null,
        "libturbojpeg is not installed");
    Path fast = tmp.resolve("fast");
    curateScored(fast, "sift.decode.mode=fast");
    Dataset<Row> a = part(out, "accepted").select(col("id"), col("clip_score").as("exact"));
    Dataset<Row> b = part(fast, "accepted").select(col("id"), col("clip_score").as("fast"));
    assertThat(b.count()).isEqualTo(a.count());
    Row drift =
        a.join(b, "id")
            .agg(
                org.apache.spark.sql.functions.avg(
                    org.apache.spark.sql.functions.abs(col("exact").minus(col("fast")))),
                org.apache.spark.sql.functions.count("*"))
            .first();
    assertThat(drift.getLong(1)).isEqualTo(a.count());
    Row large = a.join(b, "id").where(col("id").equalTo("fixture-large_4000x3000")).first();
    System.out.printf(
        "fast decode: mean |clip_score drift| %.6f; 4000x3000 JPEG exact %.6f fast %.6f%n",
        drift.getDouble(0), large.getDouble(1), large.getDouble(2));
    assertThat(drift.getDouble(0)).isLessThan(0.02);
    // The 4000x3000 JPEG is decoded at 1/8 scale: its score moves, a little.
    assertThat(large.getDouble(2)).isNotEqualTo(large.getDouble(1));
    assertThat(Math.abs(large.getDouble(2) - large.getDouble(1))).isLessThan(0.05);
  }

  @Test
  void theScoreCommandScoresWithoutFiltering() throws Exception {
    Path scored = tmp.resolve("score-command");
    SiftRun r =
        SiftRun.of(
            "score",
            "--input",
            repo("data/sample/sample.parquet").toString(),
            "--output",
            scored.toString(),
            "--set",
            "sift.score.model=" + MODEL,
            "--set",
            "sift.filter.enabled=true");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    JsonNode m = SiftRun.manifest(scored);
    assertThat(m.get("command").asText()).isEqualTo("score");
    assertThat(m.get("stages").get("filter").asText()).isEqualTo("off");
    assertThat(part(scored, "accepted").where(col("clip_score").isNull()).count()).isZero();
    assertThat(part(scored, "accepted").count()).isEqualTo(part(out, "accepted").count());
  }

  @Test
  void aMissingModelFailsAtStartUp() {
    SiftRun r =
        SiftRun.of(
            "curate",
            "--input",
            repo("data/sample/sample.parquet").toString(),
            "--output",
            tmp.resolve("nomodel").toString(),
            "--set",
            "sift.score.enabled=true",
            "--set",
            "sift.score.model=" + tmp.resolve("no-such-model"));
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("sift.score.model", "no-such-model");
  }
}
