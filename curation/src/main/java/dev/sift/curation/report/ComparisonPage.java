package dev.sift.curation.report;

import static dev.sift.curation.report.Html.count;
import static dev.sift.curation.report.Html.escape;
import static dev.sift.curation.report.Html.num;
import static dev.sift.curation.report.Html.percent;

import java.util.List;

/**
 * The report page's comparison with a baseline run: funnel, score quantiles and histograms,
 * concepts and accepted rows side by side. Stateless; called by {@link ReportPage}.
 */
final class ComparisonPage {
  private ComparisonPage() {}

  static void render(StringBuilder b, Report r) {
    Report.Comparison c = r.comparison();
    ReportPage.section(b, "comparison", "Comparison with a baseline run");
    b.append("<p>Baseline <code>")
        .append(escape(c.baseline()))
        .append("</code>, config digest <code>")
        .append(escape(c.baselineConfigDigest()))
        .append("</code>.</p>");
    b.append("<table id=\"comparison-funnel\"><tr><th>rows</th><th class=\"n\">baseline</th>")
        .append("<th class=\"n\">this run</th></tr>");
    row3(b, "input", c.baselineInput(), r.funnel().input());
    for (Report.StageDelta d : c.funnel()) {
      row3(b, "after " + d.stage(), d.baselineOut(), d.thisOut());
    }
    row3(b, "accepted", c.baselineAccepted(), r.funnel().accepted());
    b.append("</table>");
    b.append("<table class=\"kv\" id=\"comparison-rows\">");
    ReportPage.kv(b, "Accepted in both (by id)", count(c.acceptedBoth()));
    ReportPage.kv(b, "Gained (accepted here, not in the baseline)", count(c.gained()));
    ReportPage.kv(b, "Lost (accepted in the baseline, not here)", count(c.lost()));
    if (c.conceptsKeptBoth() != null) {
      ReportPage.kv(
          b,
          "Concepts kept: both / only here / only baseline",
          count(c.conceptsKeptBoth())
              + " / "
              + count(c.conceptsKeptOnlyThis())
              + " / "
              + count(c.conceptsKeptOnlyBaseline()));
    }
    b.append("</table>");
    Report.Scores s = r.scores();
    if (c.baselineAcceptedHistogram() != null && Report.COMPUTED.equals(s.status())) {
      b.append(
          Svg.histogram(
              "chart-comparison-scores",
              "Accepted rows' CLIP scores: this run and the baseline",
              s.lo(),
              s.binWidth(),
              List.of(
                  new Svg.Bars("this run", s.acceptedHistogram()),
                  new Svg.Bars("baseline", c.baselineAcceptedHistogram())),
              List.of(),
              "CLIP score",
              "rows"));
      b.append("<table><tr><th>quantile</th><th class=\"n\">baseline</th>")
          .append("<th class=\"n\">this run</th></tr>");
      for (int i = 0; i < c.baselineQuantiles().size(); i++) {
        b.append("<tr><td>")
            .append(percent(c.baselineQuantiles().get(i).p()))
            .append("</td><td class=\"n\">")
            .append(num(c.baselineQuantiles().get(i).value()))
            .append("</td><td class=\"n\">")
            .append(num(s.quantiles().get(i).value()))
            .append("</td></tr>");
      }
      b.append("</table>");
    }
    b.append("</section>");
  }

  private static void row3(StringBuilder b, String label, Long base, Long here) {
    b.append("<tr><td>")
        .append(escape(label))
        .append("</td><td class=\"n\">")
        .append(base == null ? "–" : count(base))
        .append("</td><td class=\"n\">")
        .append(here == null ? "–" : count(here))
        .append("</td></tr>");
  }
}
