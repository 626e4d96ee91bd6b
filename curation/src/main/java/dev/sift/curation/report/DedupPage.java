package dev.sift.curation.report;

import static dev.sift.curation.report.Html.count;
import static dev.sift.curation.report.Html.escape;
import static dev.sift.curation.report.Html.num;

import java.util.List;
import java.util.Locale;

/**
 * The report page's dedup section: per kind, the rows removed, a bar chart of the distances or
 * similarities, and example pairs side by side (the removed row's thumbnail beside the kept row's).
 * Stateless; {@link ReportPage} calls it between the gallery and the comparison.
 */
final class DedupPage {
  private DedupPage() {}

  static void render(StringBuilder b, Report.Dedup d) {
    b.append("\n<section id=\"dedup\"><h2>Duplicates</h2>");
    if (d == null) {
      b.append("<p class=\"status\">Not computed: dedup did not run</p></section>");
      return;
    }
    if (d.status() != null && !d.status().equals(Report.COMPUTED)) {
      b.append("<p class=\"status\">").append(escape(d.status())).append("</p></section>");
      return;
    }
    b.append("<table class=\"kv\" id=\"dedup-removed\">");
    for (Report.DedupKind k : d.kinds()) {
      b.append("<tr><th>")
          .append(escape(k.kind()))
          .append(" <span class=\"muted\">(")
          .append(escape(k.reason()))
          .append(")</span></th><td>")
          .append(count(k.removed()))
          .append(" removed</td></tr>");
    }
    b.append("</table><p class=\"muted\">Of each set of duplicates, the row with the highest")
        .append(" priority (")
        .append(escape(d.priority()))
        .append(", then the smaller id) stays; every other row is rejected naming it.</p>");
    for (Report.DedupKind k : d.kinds()) {
      if (k.histogram() != null && !k.histogram().isEmpty()) {
        List<String> labels = k.histogram().stream().map(Report.Count::name).toList();
        long[] values = k.histogram().stream().mapToLong(Report.Count::rows).toArray();
        b.append(
            Svg.hbars(
                "dedup-" + k.kind() + "-histogram",
                capitalise(k.kind()) + " duplicates by " + k.measure() + " (rows removed)",
                labels,
                values));
      }
      if (k.examples() != null && !k.examples().isEmpty()) {
        b.append("<h3>")
            .append(escape(capitalise(k.kind())))
            .append(" duplicates: removed (left) and kept</h3><div class=\"gallery\" id=\"dedup-")
            .append(escape(k.kind()))
            .append("-pairs\">");
        for (Report.DedupPair p : k.examples()) {
          card(b, p.removed(), "removed");
          card(
              b,
              p.kept(),
              "kept"
                  + (p.value() == null
                      ? ""
                      : ", "
                          + k.measure()
                          + " "
                          + num(p.value(), k.kind().equals("semantic") ? 4 : 0)));
        }
        b.append("</div>");
      }
    }
    b.append("</section>");
  }

  private static void card(StringBuilder b, Report.Example e, String role) {
    b.append("<div class=\"card\">");
    if (e.thumbnail() != null) {
      b.append("<img alt=\"\" src=\"").append(escape(e.thumbnail())).append("\">");
    } else {
      b.append("<div class=\"noimg\">no image</div>");
    }
    b.append("<div class=\"id\">")
        .append(escape(role))
        .append("</div><div class=\"cap\" title=\"")
        .append(escape(e.caption()))
        .append("\">")
        .append(escape(e.caption()))
        .append("</div><div class=\"id\">")
        .append(escape(e.id()))
        .append("</div></div>");
  }

  private static String capitalise(String s) {
    return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1);
  }
}
