package dev.sift.curation.report;

import static dev.sift.curation.report.Html.count;
import static dev.sift.curation.report.Html.escape;
import static dev.sift.curation.report.Html.num;
import static dev.sift.curation.report.Html.percent;

import java.util.ArrayList;
import java.util.List;

/**
 * The report page's CLIP score sections: the score histogram (accepted, rejected, synthetic
 * captions) with the configured threshold, the kept-fraction curve and the quantiles, then the
 * threshold choices side by side. Stateless; {@link ReportPage} calls it between the funnel and the
 * concepts.
 */
final class ScoresPage {
  private ScoresPage() {}

  static void render(StringBuilder b, Report r) {
    scores(b, r.scores());
    thresholds(b, r.thresholdChoices());
  }

  private static void scores(StringBuilder b, Report.Scores s) {
    ReportPage.section(b, "scores", "CLIP scores");
    if (ReportPage.notComputed(b, s.status())) {
      return;
    }
    b.append("<p>")
        .append(count(s.scoredRows()))
        .append(" scored rows: ")
        .append(count(s.acceptedRows()))
        .append(" accepted, ")
        .append(count(s.rejectedRows()))
        .append(" rejected. Mean ")
        .append(num(s.mean()))
        .append(", range ")
        .append(num(s.min()))
        .append(" to ")
        .append(num(s.max()))
        .append(".</p>");
    List<Svg.Bars> bars = new ArrayList<>();
    bars.add(new Svg.Bars("accepted", s.acceptedHistogram()));
    bars.add(new Svg.Bars("rejected", s.rejectedHistogram()));
    if (s.syntheticHistogram() != null) {
      bars.add(new Svg.Bars("synthetic captions", s.syntheticHistogram()));
    }
    List<Svg.Marker> markers = thresholdMarkers(s);
    b.append("<div class=\"charts\">");
    b.append(
        Svg.histogram(
            "chart-score-histogram",
            "CLIP score histogram",
            s.lo(),
            s.binWidth(),
            bars,
            markers,
            "CLIP score",
            "rows"));
    double[] x = s.keptCurve().stream().mapToDouble(Histogram.KeptPoint::threshold).toArray();
    double[] y = s.keptCurve().stream().mapToDouble(Histogram.KeptPoint::fraction).toArray();
    b.append(
        Svg.lines(
            "chart-kept-curve",
            "Kept fraction by threshold",
            List.of(new Svg.Line("kept fraction", x, y)),
            markers,
            "threshold (keep score ≥ threshold)",
            "fraction of scored rows kept",
            false,
            false,
            1.0));
    b.append("</div>");
    b.append("<p class=\"muted\">")
        .append(escape(s.method()))
        .append(
            s.syntheticStatus() != null
                ? " Synthetic captions: " + escape(s.syntheticStatus()) + "."
                : "")
        .append("</p>");
    b.append("<h3>Quantiles</h3><table id=\"score-quantiles\"><tr><th>quantile</th>")
        .append("<th class=\"n\">original caption</th>");
    if (s.syntheticQuantiles() != null) {
      b.append("<th class=\"n\">synthetic caption</th>");
    }
    b.append("</tr>");
    for (int i = 0; i < s.quantiles().size(); i++) {
      Report.Quantile q = s.quantiles().get(i);
      b.append("<tr><td>")
          .append(percent(q.p()))
          .append("</td><td class=\"n\">")
          .append(num(q.value()))
          .append("</td>");
      if (s.syntheticQuantiles() != null) {
        b.append("<td class=\"n\">")
            .append(num(s.syntheticQuantiles().get(i).value()))
            .append("</td>");
      }
      b.append("</tr>");
    }
    b.append("</table></section>");
  }

  private static List<Svg.Marker> thresholdMarkers(Report.Scores s) {
    List<Svg.Marker> markers = new ArrayList<>();
    if (s.configuredThreshold() != null) {
      markers.add(
          new Svg.Marker(
              s.configuredThreshold(),
              "configured " + num(s.configuredThreshold()) + " (" + s.thresholdSource() + ")",
              true));
    }
    return markers;
  }

  private static void thresholds(StringBuilder b, Report.ThresholdChoices t) {
    ReportPage.section(b, "thresholds", "Threshold choices side by side");
    if (ReportPage.notComputed(b, t.status())) {
      return;
    }
    b.append("<table id=\"threshold-choices\"><tr><th>rule</th><th class=\"n\">threshold</th>")
        .append("<th class=\"n\">rows kept</th><th class=\"n\">kept fraction</th>")
        .append("<th class=\"n\">concepts covered</th></tr>");
    for (Report.Cut c : List.of(t.fixed(), t.topFraction())) {
      b.append("<tr><td>")
          .append(escape(c.rule()))
          .append("</td><td class=\"n\">")
          .append(num(c.threshold()))
          .append("</td><td class=\"n\">")
          .append(count(c.keptRows()))
          .append("</td><td class=\"n\">")
          .append(percent(c.keptFraction()))
          .append("</td><td class=\"n\">")
          .append(
              c.conceptsTotal() == null
                  ? "–"
                  : count(c.conceptsCovered())
                      + " of "
                      + count(c.conceptsTotal())
                      + " ("
                      + percent(c.conceptCoverage())
                      + ")")
          .append("</td></tr>");
    }
    b.append("</table><p class=\"muted\">").append(escape(t.note())).append("</p></section>");
  }
}
