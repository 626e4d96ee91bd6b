package dev.sift.curation.report;

import static dev.sift.curation.report.Html.escape;
import static dev.sift.curation.report.Html.num;

import java.util.List;

/**
 * The report page's gallery: example rows as cards (thumbnail, score, outcome, caption; before and
 * after for re-captioned rows). Stateless; called by {@link ReportPage}.
 */
final class GalleryPage {
  private GalleryPage() {}

  static void render(StringBuilder b, Report.Gallery g) {
    ReportPage.section(b, "gallery", "Examples");
    if (ReportPage.notComputed(b, g.status())) {
      return;
    }
    cards(b, "gallery-highest", "Highest scores", g.highest());
    cards(b, "gallery-lowest", "Lowest scores", g.lowest());
    cards(
        b,
        "gallery-borderline",
        "Borderline: closest to " + num(g.threshold()) + " (" + g.thresholdSource() + ")",
        g.borderline());
    b.append("<h3>Re-captioned: before and after</h3>");
    if (g.recaptioned() == null) {
      b.append("<p class=\"status\">")
          .append(escape(ReportPage.capitalise(g.recaptionedStatus())))
          .append("</p>");
    } else {
      cards(b, "gallery-recaptioned", null, g.recaptioned());
    }
    b.append("</section>");
  }

  private static void cards(StringBuilder b, String id, String title, List<Report.Example> rows) {
    if (title != null) {
      b.append("<h3>").append(escape(title)).append("</h3>");
    }
    b.append("<div class=\"gallery\" id=\"").append(id).append("\">");
    for (Report.Example e : rows) {
      b.append("<div class=\"card\">");
      if (e.thumbnail() != null) {
        b.append("<img alt=\"\" src=\"").append(escape(e.thumbnail())).append("\">");
      } else {
        b.append("<div class=\"noimg\">no image</div>");
      }
      b.append("<div class=\"score\">")
          .append(num(e.score()))
          .append("</div><div class=\"id\">")
          .append(escape(e.outcome()))
          .append("</div>");
      if (e.syntheticCaption() != null) {
        b.append("<div class=\"cap\"><b>before:</b> ")
            .append(escape(e.originalCaption()))
            .append("</div><div class=\"cap\"><b>after:</b> ")
            .append(escape(e.syntheticCaption()))
            .append(" <span class=\"score\">")
            .append(num(e.syntheticScore()))
            .append("</span></div>");
      } else {
        b.append("<div class=\"cap\" title=\"")
            .append(escape(e.caption()))
            .append("\">")
            .append(escape(e.caption()))
            .append("</div>");
      }
      b.append("<div class=\"id\">").append(escape(e.id())).append("</div></div>");
    }
    b.append("</div>");
  }
}
