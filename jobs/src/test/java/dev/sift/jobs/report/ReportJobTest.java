package dev.sift.jobs.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sift.jobs.SiftRun;
import dev.sift.udfs.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report of the sample curated through every stage (conf/sample.conf with the tiny model),
 * checked against figures computed here independently from the written rows.
 */
class ReportJobTest extends SparkTestBase {
  @TempDir static Path tmp;
  static Path out;
  static JsonNode report;

  @BeforeAll
  static void curate() throws Exception {
    out = tmp.resolve("full");
    curate(out);
    report = json(out);
  }

  static void curate(Path dir, String... sets) {
    SiftRun r =
        SiftRun.of(
            java.util.List.of(
                "curate",
                "--config",
                repo("conf/sample.conf").toString(),
                "--input",
                repo("data/sample/sample.parquet").toString(),
                "--output",
                dir.toString(),
                "--set",
                "sift.score.model=" + repo("curation/src/test/resources/fixtures/tiny-clip"),
                "--set",
                "sift.match.metadata=" + repo("data/metaclip/metadata_proxy_wordnet30.json")),
            sets);
    assertThat(r.exitCode()).as(r.toString()).isZero();
  }

  static JsonNode json(Path dir) throws Exception {
    return new ObjectMapper().readTree(dir.resolve("report/report.json").toFile());
  }

  private static Dataset<Row> part(String name) {
    return spark.read().parquet(out.resolve(name).toString());
  }

  @Test
  void curateWritesBothFilesAndThePageIsSelfContained() throws Exception {
    String html = Files.readString(out.resolve("report/report.html"));
    assertThat(html)
        .contains("<svg class=\"chart\" id=\"chart-score-histogram\"")
        .contains("id=\"chart-kept-curve\"", "id=\"chart-rank-frequency\"", "id=\"chart-funnel\"")
        .contains("data:image/jpeg;base64,")
        .doesNotContain("http://", "https://", "<script");
    assertThat(report.path("report_version").asInt()).isEqualTo(1);
  }

  @Test
  void theSummarySaysWhereModelsRan() {
    // This run asks for the CPU (conf/local.conf) and gets it: shown, but no warning; the
    // warning for auto or cuda falling back to the CPU is ReportPageTest's.
    JsonNode summary = report.path("summary");
    assertThat(summary.path("device").asText()).isEqualTo("cpu");
    assertThat(summary.path("executors").get(0).asText()).endsWith("executor driver: CPU");
    assertThat(html())
        .contains("sift.device = cpu</code>: ")
        .doesNotContain("but models ran on the CPU");
  }

  private static String html() {
    try {
      return Files.readString(out.resolve("report/report.html"));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void theFunnelIsTheManifestsAndItsReasonsAddUp() throws Exception {
    JsonNode m = SiftRun.manifest(out);
    JsonNode f = report.path("funnel");
    assertThat(f.path("input").asLong()).isEqualTo(m.path("counts").path("input").asLong());
    long rejected = 0;
    for (JsonNode st : f.path("stages")) {
      long reasons = 0;
      for (JsonNode r : st.path("reasons")) {
        reasons += r.path("rows").asLong();
      }
      assertThat(reasons).as(st.path("stage").asText()).isEqualTo(st.path("rejected").asLong());
      rejected += reasons;
    }
    assertThat(rejected).isEqualTo(part("rejected").count());
  }

  @Test
  void scoreHistogramsCountTheRowsAndQuantilesAreWithinOneBin() throws Exception {
    JsonNode s = report.path("scores");
    assertThat(s.path("status").asText()).isEqualTo("computed");
    long accepted = 0;
    for (JsonNode c : s.path("accepted_histogram")) {
      accepted += c.asLong();
    }
    assertThat(accepted).isEqualTo(part("accepted").count());
    Dataset<Row> scored =
        part("accepted")
            .select("clip_score")
            .unionAll(part("rejected").select("clip_score"))
            .where("clip_score is not null");
    assertThat(s.path("scored_rows").asLong()).isEqualTo(scored.count());
    double fine = s.path("bin_width").asDouble() / ReportJob.FINE;
    for (JsonNode q : s.path("quantiles")) {
      double exact =
          scored.stat().approxQuantile("clip_score", new double[] {q.path("p").asDouble()}, 0)[0];
      assertThat(q.path("value").asDouble()).isCloseTo(exact, within(fine + 1e-5));
    }
    // The configured threshold is the manifest's, and the curve is 1 at the lowest threshold.
    assertThat(s.path("configured_threshold").asDouble())
        .isEqualTo(SiftRun.manifest(out).path("filter").path("threshold").asDouble());
    assertThat(s.path("kept_curve").get(0).path("fraction").asDouble()).isEqualTo(1.0);
    assertThat(s.path("synthetic_status").asText()).startsWith("not computed");
  }

  @Test
  void thresholdChoicesCountRowsAtOrAboveEachCut() {
    JsonNode fixed = report.path("threshold_choices").path("fixed");
    double t = fixed.path("threshold").asDouble();
    long expected =
        part("accepted").where("clip_score >= " + t).count()
            + part("rejected").where("clip_score >= " + t).count();
    assertThat(fixed.path("kept_rows").asLong()).isEqualTo(expected);
    JsonNode top = report.path("threshold_choices").path("top_fraction");
    assertThat(top.path("kept_fraction").asDouble()).isCloseTo(0.3, within(0.02));
    assertThat(top.path("concepts_total").asLong()).isPositive();
  }

  @Test
  void conceptFiguresComeFromConceptCounts() {
    JsonNode c = report.path("concepts");
    assertThat(c.path("status").asText()).isEqualTo("computed");
    assertThat(c.path("t").asLong()).isEqualTo(5);
    Dataset<Row> counts = part("concept_counts");
    assertThat(c.path("concepts").asLong()).isEqualTo(counts.count());
    Row top = counts.orderBy(counts.col("matched").desc(), counts.col("concept")).first();
    assertThat(c.path("top").get(0).path("concept").asText()).isEqualTo(top.getString(0));
    assertThat(c.path("rank_frequency_before").get(0).path("count").asLong())
        .isEqualTo(top.getLong(1));
    assertThat(c.path("head_share_after").asDouble())
        .isLessThan(c.path("head_share_before").asDouble());
  }

  @Test
  void diversityIsComputedFromTheEmbeddingsAndGalleryHasEveryGroup() {
    JsonNode d = report.path("diversity");
    assertThat(d.path("status").asText()).isEqualTo("computed");
    assertThat(d.path("before").asDouble()).isGreaterThan(1.0);
    JsonNode g = report.path("gallery");
    assertThat(g.path("highest")).hasSize(12);
    assertThat(g.path("highest").get(0).path("score").asDouble())
        .isGreaterThanOrEqualTo(g.path("highest").get(11).path("score").asDouble());
    assertThat(g.path("recaptioned_status").asText()).startsWith("not computed");
  }

  @Test
  void siftReportRebuildsAnIdenticalReportJson() throws Exception {
    byte[] first = Files.readAllBytes(out.resolve("report/report.json"));
    Files.delete(out.resolve("report/report.json"));
    SiftRun r = SiftRun.of("report", "--output", out.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(Files.readAllBytes(out.resolve("report/report.json"))).isEqualTo(first);
  }

  @Test
  void aDirectoryWithoutManifestExits2NamingIt() {
    SiftRun r = SiftRun.of("report", "--output", tmp.resolve("nothing").toString());
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains(tmp.resolve("nothing").toString(), "_MANIFEST.json");
  }

  @Test
  void aBaselineAddsTheComparison() throws Exception {
    Path other = tmp.resolve("other");
    curate(other, "sift.filter.top-fraction=0.25", "sift.report.enabled=false");
    assertThat(other.resolve("report")).doesNotExist();
    SiftRun r = SiftRun.of("report", "--output", out.toString(), "--baseline", other.toString());
    assertThat(r.exitCode()).as(r.toString()).isZero();
    JsonNode c = json(out).path("comparison");
    long here = part("accepted").count();
    long there = spark.read().parquet(other.resolve("accepted").toString()).count();
    assertThat(c.path("baseline_accepted").asLong()).isEqualTo(there);
    assertThat(c.path("accepted_both").asLong() + c.path("gained").asLong()).isEqualTo(here);
    assertThat(c.path("accepted_both").asLong() + c.path("lost").asLong()).isEqualTo(there);
    assertThat(Files.readString(out.resolve("report/report.html"))).contains("id=\"comparison\"");
    // Leave the directory as curate wrote it for the other tests.
    assertThat(SiftRun.of("report", "--output", out.toString()).exitCode()).isZero();
  }
}
