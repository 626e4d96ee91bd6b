package dev.sift.curation.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReportPageTest {
  static final String EVIL = "<img src=x onerror=alert(1)> & \"quotes\" 'single'";

  static Report.Example example(String caption) {
    return new Report.Example(
        "id-1", caption, caption, null, null, 0.31, null, "accepted", 10, 10, null);
  }

  static Report report() {
    Report.Summary s =
        new Report.Summary(
            "in <put>",
            "parquet",
            1,
            "curate",
            "conf.conf",
            "abc",
            "0.1",
            "deadbeef",
            "4.1.1",
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:10Z",
            10.0,
            Map.of(),
            Map.of("read", "ran"),
            List.of(),
            List.of(new Report.Throughput("read", 10, 1.0, "pass")),
            "auto",
            List.of("host-a/executor 1: CUDA:0", "host-b/executor 2: CPU"));
    Report.Funnel f =
        new Report.Funnel(
            10,
            8,
            2,
            List.of(
                new Report.FunnelStage(
                    "text", 10, 8, 2, List.of(new Report.Count("too_short", 2)))));
    String no = Report.notComputed("the stage did not run");
    return new Report(
        Report.VERSION,
        s,
        f,
        Report.Scores.absent(no),
        new Report.ThresholdChoices(no, null, null, null),
        Report.Concepts.absent(no),
        new Report.Captions(
            Report.COMPUTED,
            10,
            new long[31],
            new long[31],
            5.0,
            5.0,
            5.0,
            5.0,
            no,
            null,
            null,
            List.of(example(EVIL))),
        new Report.Diversity(Report.notComputed("embeddings not written"), null, null, null, null),
        Report.Gallery.absent(no),
        new Report.Dedup(
            Report.COMPUTED,
            "clip-score",
            List.of(
                new Report.DedupKind(
                    "near",
                    "near_duplicate",
                    1,
                    "pHash distance",
                    List.of(new Report.Count("2", 1)),
                    List.of(new Report.DedupPair(example(EVIL), example(EVIL), 2.0))))),
        null);
  }

  @Test
  void everyCaptionAndStringIsEscaped() {
    String html = ReportPage.render(report());
    assertThat(html).doesNotContain("<img src=x").doesNotContain("<put>");
    assertThat(html).contains("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot; &#39;");
  }

  @Test
  void aGpuRunThatFellBackToTheCpuSaysSo() {
    String html = ReportPage.render(report());
    assertThat(html)
        .contains("host-a/executor 1: CUDA:0; host-b/executor 2: CPU")
        .contains("sift.device = auto, but models ran on the CPU on 1 executor");
    Report.Summary s = report().summary();
    Report.Summary cpu =
        new Report.Summary(
            s.input(),
            s.inputFormat(),
            s.inputFiles(),
            s.command(),
            s.configSource(),
            s.configDigest(),
            s.siftVersion(),
            s.gitCommit(),
            s.sparkVersion(),
            s.startedAt(),
            s.finishedAt(),
            s.wallSeconds(),
            s.timings(),
            s.stages(),
            s.models(),
            s.throughput(),
            "cpu",
            List.of("host-b/executor 2: CPU"));
    // Asking for the CPU and getting it is no news.
    assertThat(cpu.onCpuDespiteDevice()).isEmpty();
    assertThat(s.onCpuDespiteDevice()).containsExactly("host-b/executor 2: CPU");
  }

  @Test
  void sectionsThatDidNotRunSaySo() {
    String html = ReportPage.render(report());
    assertThat(html)
        .contains("Not computed: embeddings not written")
        .contains("<section id=\"scores\"><h2>CLIP scores</h2><p class=\"status\">Not computed:");
  }

  @Test
  void thePageAsksForNothingOutsideItself() {
    String html = ReportPage.render(report());
    assertThat(html).doesNotContain("http://", "https://", "<script", "<link", "url(");
    assertThat(html).contains("Content-Security-Policy");
  }

  @Test
  void jsonIsSnakeCaseWithoutThumbnailsAndStable() {
    Report.Example e =
        new Report.Example(
            "x", "c", "c", null, null, 0.5, null, "accepted", 1, 1, "data:image/jpeg;base64,AA");
    Report base = report();
    Report r =
        new Report(
            base.reportVersion(),
            base.summary(),
            base.funnel(),
            base.scores(),
            base.thresholdChoices(),
            base.concepts(),
            base.captions(),
            base.diversity(),
            new Report.Gallery("computed", 0.1, "t", List.of(e), List.of(), List.of(), "x", null),
            base.dedup(),
            null);
    String json = ReportJson.write(r);
    assertThat(json)
        .contains("\"report_version\" : 1", "\"config_digest\"", "\"lengths_before\"")
        .contains("\"highest\" : [ {")
        .doesNotContain("base64", "thumbnail");
    assertThat(json).isEqualTo(ReportJson.write(r));
  }

  @Test
  void roundingKeepsSixSignificantDigits() {
    assertThat(ReportJson.round(0.1 + 0.2)).isEqualTo(0.3);
    assertThat(ReportJson.round(-0.228123456)).isEqualTo(-0.228123);
    assertThat(ReportJson.round(123456789)).isEqualTo(123457000.0);
    assertThat(ReportJson.round(Double.NaN)).isNull();
  }

  @Test
  void chartsAreInlineSvgWithTheirMarkers() {
    String svg =
        Svg.histogram(
            "chart-x",
            "t <&>",
            0,
            0.1,
            List.of(new Svg.Bars("a", new long[] {1, 2, 3})),
            List.of(new Svg.Marker(0.15, "cut", true)),
            "x",
            "y");
    assertThat(svg).startsWith("<svg class=\"chart\" id=\"chart-x\"").endsWith("</svg>");
    assertThat(svg).contains("t &lt;&amp;&gt;", "class=\"marker\"", ">cut<");
    assertThat(svg.split("<rect", -1)).hasSize(1 + 3 + 1); // three bars and the legend swatch
    String log =
        Svg.lines(
            "chart-l",
            "log",
            List.of(new Svg.Line("l", new double[] {1, 10, 100}, new double[] {100, 10, 0})),
            List.of(),
            "rank",
            "count",
            true,
            true,
            null);
    assertThat(log).contains(">1<", ">10<", ">100<").contains("d=\"M");
    assertThat(Svg.niceCeil(7)).isEqualTo(10);
    assertThat(Svg.niceCeil(0.23)).isEqualTo(0.5);
  }
}
