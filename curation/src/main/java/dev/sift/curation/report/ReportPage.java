package dev.sift.curation.report;

import static dev.sift.curation.report.Html.count;
import static dev.sift.curation.report.Html.escape;
import static dev.sift.curation.report.Html.num;
import static dev.sift.curation.report.Html.percent;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code report.html}: one self-contained page (inline CSS, inline SVG, thumbnails as {@code data:}
 * URIs, no script, no request to anywhere), readable on a laptop and printable. It shows exactly
 * the figures of the {@link Report} it is given; a section that was not computed says why.
 * Stateless.
 */
public final class ReportPage {
  private ReportPage() {}

  private static final String CSS =
      """
      :root { --fg: #1d1d1f; --muted: #5f6368; --line: #dadce0; --bg-alt: #f6f7f9; }
      * { box-sizing: border-box; }
      body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
        color: var(--fg); margin: 0 auto; padding: 24px 32px 48px; max-width: 1180px; }
      h1 { font-size: 24px; margin: 0 0 4px; }
      h2 { font-size: 19px; margin: 32px 0 8px; padding-top: 12px; border-top: 1px solid var(--line); }
      h3 { font-size: 15px; margin: 18px 0 6px; }
      p.meta, .muted { color: var(--muted); }
      p.warn { color: #a50e0e; font-weight: 600; }
      nav a { margin-right: 12px; color: #0b57d0; text-decoration: none; }
      table { border-collapse: collapse; margin: 8px 0 12px; font-variant-numeric: tabular-nums; }
      th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid var(--line);
        vertical-align: top; }
      td.n, th.n { text-align: right; }
      table.kv th { font-weight: 600; padding-right: 16px; white-space: nowrap; }
      code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 12px;
        word-break: break-all; }
      .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(440px, 1fr)); gap: 12px;
        align-items: start; }
      svg.chart { width: 100%; height: auto; background: #fff; border: 1px solid var(--line);
        border-radius: 4px; font-size: 13px; }
      svg .chart-title { font-weight: 600; font-size: 14px; }
      svg .legend, svg .marker-label { font-size: 12px; }
      .status { background: var(--bg-alt); border-left: 3px solid #9aa0a6; padding: 6px 10px; }
      .gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(165px, 1fr));
        gap: 10px; }
      .card { border: 1px solid var(--line); border-radius: 4px; padding: 8px; background: #fff;
        break-inside: avoid; }
      .card img { display: block; margin: 0 auto 6px; max-width: 96px; max-height: 96px; }
      .card .noimg { width: 96px; height: 60px; margin: 0 auto 6px; background: var(--bg-alt);
        color: var(--muted); font-size: 11px; display: flex; align-items: center;
        justify-content: center; }
      .card .cap { font-size: 12px; overflow-wrap: anywhere; overflow: hidden;
        display: -webkit-box; -webkit-line-clamp: 5; -webkit-box-orient: vertical; }
      .card .score { font-weight: 600; font-variant-numeric: tabular-nums; }
      .card .id { font-size: 11px; color: var(--muted); overflow-wrap: anywhere; }
      .two { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
      @media (max-width: 900px) { .two { grid-template-columns: 1fr; } }
      @media print {
        body { padding: 0; max-width: none; font-size: 11px; }
        nav { display: none; }
        h2 { break-after: avoid; }
        svg.chart, table, .card { break-inside: avoid; }
        .charts { grid-template-columns: 1fr 1fr; }
      }
      """;

  /** The page of {@code r}. */
  public static String render(Report r) {
    StringBuilder b = new StringBuilder(64 * 1024);
    Report.Summary s = r.summary();
    b.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    b.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    // No request may leave the page: forbid everything but inline styles and data: images.
    b.append(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src"
            + " 'unsafe-inline'; img-src data:\">");
    b.append("<title>Sift report: ").append(escape(s.input())).append("</title>");
    b.append("<style>").append(CSS).append("</style></head><body>\n");
    b.append("<h1>Sift report</h1>");
    b.append("<p class=\"meta\">")
        .append(escape(s.input()))
        .append(" · ")
        .append(escape(s.command()))
        .append(" · Sift ")
        .append(escape(s.siftVersion()))
        .append(" · ")
        .append(escape(s.finishedAt()))
        .append("</p>\n");
    b.append("<nav>");
    for (String[] link : sections(r)) {
      b.append("<a href=\"#").append(link[0]).append("\">").append(link[1]).append("</a>");
    }
    b.append("</nav>\n");
    summary(b, r);
    funnel(b, r.funnel());
    ScoresPage.render(b, r);
    concepts(b, r.concepts());
    captions(b, r.captions());
    diversity(b, r.diversity());
    GalleryPage.render(b, r.gallery());
    DedupPage.render(b, r.dedup());
    if (r.comparison() != null) {
      ComparisonPage.render(b, r);
    }
    b.append("\n</body></html>\n");
    return b.toString();
  }

  private static List<String[]> sections(Report r) {
    List<String[]> out = new ArrayList<>();
    out.add(new String[] {"summary", "Summary"});
    out.add(new String[] {"funnel", "Funnel"});
    out.add(new String[] {"scores", "CLIP scores"});
    out.add(new String[] {"thresholds", "Threshold choices"});
    out.add(new String[] {"concepts", "Concepts"});
    out.add(new String[] {"captions", "Captions"});
    out.add(new String[] {"diversity", "Diversity"});
    out.add(new String[] {"gallery", "Examples"});
    out.add(new String[] {"dedup", "Duplicates"});
    if (r.comparison() != null) {
      out.add(new String[] {"comparison", "Comparison"});
    }
    return out;
  }

  static void section(StringBuilder b, String id, String title) {
    b.append("\n<section id=\"").append(id).append("\"><h2>").append(title).append("</h2>");
  }

  /** True, after writing the status line, when the section has no figures. */
  static boolean notComputed(StringBuilder b, String status) {
    if (status == null || status.equals(Report.COMPUTED)) {
      return false;
    }
    b.append("<p class=\"status\">").append(escape(capitalise(status))).append("</p></section>");
    return true;
  }

  static String capitalise(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  private static void summary(StringBuilder b, Report r) {
    Report.Summary s = r.summary();
    section(b, "summary", "Run summary");
    b.append("<table class=\"kv\">");
    kv(b, "Input", "<code>" + escape(s.input()) + "</code>");
    kv(b, "Input format, files", escape(s.inputFormat()) + ", " + count(s.inputFiles()));
    kv(b, "Command", escape(s.command()));
    kv(b, "Configuration", "<code>" + escape(s.configSource()) + "</code>");
    kv(b, "Config digest (SHA-256)", "<code>" + escape(s.configDigest()) + "</code>");
    kv(b, "Sift version", escape(s.siftVersion()) + " <code>" + escape(s.gitCommit()) + "</code>");
    kv(b, "Spark version", escape(s.sparkVersion()));
    kv(b, "Started, finished", escape(s.startedAt()) + " → " + escape(s.finishedAt()));
    kv(b, "Wall time", num(s.wallSeconds(), 1) + " s");
    if (!s.executors().isEmpty()) {
      kv(
          b,
          "Models ran on",
          "<code>sift.device = "
              + escape(String.valueOf(s.device()))
              + "</code>: "
              + escape(String.join("; ", s.executors())));
    }
    b.append("</table>");
    List<String> cpu = s.onCpuDespiteDevice();
    if (!cpu.isEmpty()) {
      b.append("<p class=\"warn\">sift.device = ")
          .append(escape(s.device()))
          .append(", but models ran on the CPU on ")
          .append(cpu.size())
          .append(cpu.size() == 1 ? " executor" : " executors")
          .append(" (no CUDA provider there): the GPU was not used.</p>");
    }
    b.append("<h3>Stages</h3><table><tr><th>stage</th><th>status</th></tr>");
    for (Map.Entry<String, String> e : s.stages().entrySet()) {
      b.append("<tr><td>")
          .append(escape(e.getKey()))
          .append("</td><td>")
          .append(escape(e.getValue()))
          .append("</td></tr>");
    }
    b.append("</table>");
    b.append("<h3>Throughput</h3><table><tr><th>stage</th><th class=\"n\">rows in</th>")
        .append("<th class=\"n\">rows/s</th><th>over</th></tr>");
    for (Report.Throughput t : s.throughput()) {
      b.append("<tr><td>")
          .append(escape(t.stage()))
          .append("</td><td class=\"n\">")
          .append(count(t.rowsIn()))
          .append("</td><td class=\"n\">")
          .append(num(t.rowsPerSecond(), 1))
          .append("</td><td class=\"muted\">")
          .append(escape(t.basis()))
          .append("</td></tr>");
    }
    b.append("</table>");
    b.append("<h3>Models</h3>");
    if (s.models().isEmpty()) {
      b.append("<p class=\"muted\">No model ran.</p>");
    } else {
      b.append("<table><tr><th>role</th><th>file</th><th class=\"n\">bytes</th>")
          .append("<th>SHA-256</th></tr>");
      for (Report.ModelFile m : s.models()) {
        b.append("<tr><td>")
            .append(escape(m.role()))
            .append("</td><td><code>")
            .append(escape(m.file()))
            .append("</code></td><td class=\"n\">")
            .append(count(m.bytes()))
            .append("</td><td><code>")
            .append(escape(m.sha256()))
            .append("</code></td></tr>");
      }
      b.append("</table>");
    }
    b.append("</section>");
  }

  static void kv(StringBuilder b, String key, String html) {
    b.append("<tr><th>").append(escape(key)).append("</th><td>").append(html).append("</td></tr>");
  }

  private static void funnel(StringBuilder b, Report.Funnel f) {
    section(b, "funnel", "Funnel");
    List<String> labels = new ArrayList<>();
    List<Long> values = new ArrayList<>();
    labels.add("input");
    values.add(f.input());
    for (Report.FunnelStage st : f.stages()) {
      labels.add("after " + st.stage());
      values.add(st.out());
    }
    b.append("<div class=\"charts\">");
    b.append(
        Svg.hbars(
            "chart-funnel",
            "Rows after each stage",
            labels,
            values.stream().mapToLong(Long::longValue).toArray()));
    b.append("<table id=\"funnel-table\"><tr><th>stage</th><th class=\"n\">in</th>")
        .append("<th class=\"n\">out</th><th class=\"n\">rejected</th><th>reasons</th></tr>");
    for (Report.FunnelStage st : f.stages()) {
      StringBuilder reasons = new StringBuilder();
      for (Report.Count c : st.reasons()) {
        if (!reasons.isEmpty()) {
          reasons.append(", ");
        }
        reasons
            .append("<code>")
            .append(escape(c.name()))
            .append("</code> ")
            .append(count(c.rows()));
      }
      b.append("<tr><td>")
          .append(escape(st.stage()))
          .append("</td><td class=\"n\">")
          .append(count(st.in()))
          .append("</td><td class=\"n\">")
          .append(count(st.out()))
          .append("</td><td class=\"n\">")
          .append(count(st.rejected()))
          .append("</td><td>")
          .append(reasons)
          .append("</td></tr>");
    }
    b.append("<tr><th>total</th><td class=\"n\">")
        .append(count(f.input()))
        .append("</td><td class=\"n\">")
        .append(count(f.accepted()))
        .append("</td><td class=\"n\">")
        .append(count(f.rejected()))
        .append("</td><td></td></tr></table></div></section>");
  }

  private static void concepts(StringBuilder b, Report.Concepts c) {
    section(b, "concepts", "Concepts");
    if (notComputed(b, c.status())) {
      return;
    }
    b.append("<p>")
        .append(count(c.concepts()))
        .append(" concepts matched ")
        .append(count(c.matchedTotal()))
        .append(" times; ")
        .append(count(c.keptTotal()))
        .append(" matches kept. ")
        .append(
            Boolean.TRUE.equals(c.balanced())
                ? "Balancing threshold t = " + count(c.t()) + ": "
                : "Balancing did not run; t = " + count(c.t()) + " shown for reference: ")
        .append(count(c.headConcepts()))
        .append(" head concepts (matched more than t times).</p>");
    b.append("<table class=\"kv\" id=\"head-tail\">");
    kv(
        b,
        "Head share of matches",
        percent(c.headShareBefore()) + " before → " + percent(c.headShareAfter()) + " after");
    kv(
        b,
        "Tail share of matches",
        percent(c.tailShareBefore()) + " before → " + percent(c.tailShareAfter()) + " after");
    b.append("</table>");
    List<Svg.Line> lines =
        List.of(
            rank("matched (before balancing)", c.rankFrequencyBefore()),
            rank("kept (after balancing)", c.rankFrequencyAfter()));
    b.append("<div class=\"charts\">");
    b.append(
        Svg.lines(
            "chart-rank-frequency",
            "Concept rank-frequency (log-log)",
            lines,
            List.of(new Svg.Marker(c.t(), "t = " + count(c.t()), false)),
            "rank",
            "rows matching the concept",
            true,
            true,
            null));
    b.append("</div><div class=\"two\"><div><h3>Top concepts</h3>");
    conceptTable(b, "top-concepts", c.top());
    b.append("</div><div><h3>Lost the most</h3>");
    conceptTable(b, "lost-concepts", c.lostMost());
    b.append("</div></div></section>");
  }

  private static Svg.Line rank(String name, List<Report.RankPoint> points) {
    return new Svg.Line(
        name,
        points.stream().mapToDouble(Report.RankPoint::rank).toArray(),
        points.stream().mapToDouble(Report.RankPoint::count).toArray());
  }

  private static void conceptTable(StringBuilder b, String id, List<Report.ConceptRow> rows) {
    b.append("<table id=\"")
        .append(id)
        .append("\"><tr><th>concept</th><th class=\"n\">matched</th><th class=\"n\">kept</th>")
        .append("<th class=\"n\">kept share</th></tr>");
    for (Report.ConceptRow r : rows) {
      b.append("<tr><td>")
          .append(escape(r.concept()))
          .append("</td><td class=\"n\">")
          .append(count(r.matched()))
          .append("</td><td class=\"n\">")
          .append(count(r.kept()))
          .append("</td><td class=\"n\">")
          .append(percent(r.keptFraction()))
          .append("</td></tr>");
    }
    b.append("</table>");
  }

  private static void captions(StringBuilder b, Report.Captions c) {
    section(b, "captions", "Captions");
    if (notComputed(b, c.status())) {
      return;
    }
    b.append("<div class=\"charts\">");
    b.append(
        Svg.histogram(
            "chart-caption-length",
            "Caption length (characters)",
            0,
            c.binWidth(),
            List.of(
                new Svg.Bars("input (original)", c.lengthsBefore()),
                new Svg.Bars("accepted (final)", c.lengthsAfter())),
            List.of(),
            "characters (last bin: longer)",
            "rows"));
    b.append("<table class=\"kv\" id=\"caption-stats\">");
    kv(b, "Mean length", num(c.meanBefore(), 1) + " before → " + num(c.meanAfter(), 1) + " after");
    kv(
        b,
        "Median length",
        num(c.medianBefore(), 1) + " before → " + num(c.medianAfter(), 1) + " after");
    if (c.syntheticShare() != null) {
      kv(b, "Replaced by synthetic captions", percent(c.syntheticShare()) + " of accepted rows");
    } else {
      kv(b, "Synthetic captions", escape(capitalise(c.syntheticStatus())));
    }
    b.append("</table></div>");
    if (c.captionSource() != null && !c.captionSource().isEmpty()) {
      b.append("<table><tr><th>caption_source</th><th class=\"n\">accepted rows</th></tr>");
      for (Report.Count s : c.captionSource()) {
        b.append("<tr><td>")
            .append(escape(s.name()))
            .append("</td><td class=\"n\">")
            .append(count(s.rows()))
            .append("</td></tr>");
      }
      b.append("</table>");
    }
    b.append("<h3>Examples (accepted, shortest and longest)</h3><table id=\"caption-examples\">")
        .append("<tr><th>id</th><th>original</th><th>final</th></tr>");
    for (Report.Example e : c.examples()) {
      b.append("<tr><td class=\"mono\">")
          .append(escape(e.id()))
          .append("</td><td>")
          .append(escape(e.originalCaption()))
          .append("</td><td>")
          .append(escape(e.caption()))
          .append("</td></tr>");
    }
    b.append("</table></section>");
  }

  private static void diversity(StringBuilder b, Report.Diversity d) {
    section(b, "diversity", "Diversity");
    if (notComputed(b, d.status())) {
      return;
    }
    b.append("<table class=\"kv\" id=\"vendi\">");
    kv(
        b,
        "Vendi score before filtering",
        num(d.before(), 2)
            + " <span class=\"muted\">("
            + count(d.sampleBefore())
            + " rows)</span>");
    kv(
        b,
        "Vendi score after filtering",
        num(d.after(), 2) + " <span class=\"muted\">(" + count(d.sampleAfter()) + " rows)</span>");
    b.append("</table><p class=\"muted\">The Vendi score (Friedman &amp; Dieng, TMLR 2023) is the")
        .append(
            " exponential of the entropy of the eigenvalues of the normalised cosine-similarity")
        .append(" matrix of the image embeddings: an effective number of distinct images in the")
        .append(" sample. Samples are the rows with the smallest hash of their id.</p></section>");
  }
}
