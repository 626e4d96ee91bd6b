package dev.sift.curation.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Inline SVG charts for the report page, drawn here so the page needs no script and no network:
 * histograms (several series on shared bins), line charts on linear or log axes with marker lines,
 * and horizontal bar charts. Each chart is an {@code <svg class="chart" id="chart-…">} with a
 * {@code <title>}, axes with ticks, and a legend; it scales to its container through {@code
 * viewBox}. Stateless; all labels are escaped.
 */
public final class Svg {
  /** Series colours: colour-blind-safe (Okabe–Ito) blue, vermillion, green, purple. */
  public static final String[] COLOURS = {"#0072b2", "#d55e00", "#009e73", "#cc79a7"};

  private static final int W = 600;
  private static final int H = 300;
  private static final int LEFT = 64;
  private static final int RIGHT = 16;
  private static final int TOP = 48;
  private static final int BOTTOM = 44;

  private Svg() {}

  /** A line series: points {@code (x[i], y[i])}. */
  public record Line(String name, double[] x, double[] y) {}

  /** A vertical (x) or horizontal (y) marker line with a label. */
  public record Marker(double at, String label, boolean vertical) {}

  /** One named histogram series over the shared bins. */
  public record Bars(String name, long[] counts) {}

  /**
   * Histograms on shared bins {@code lo + i * width}, drawn as translucent bars on top of each
   * other, with optional vertical markers (thresholds).
   */
  public static String histogram(
      String id,
      String title,
      double lo,
      double width,
      List<Bars> series,
      List<Marker> markers,
      String xLabel,
      String yLabel) {
    int bins = series.isEmpty() ? 0 : series.get(0).counts().length;
    double hi = lo + width * bins;
    long max = 1;
    for (Bars s : series) {
      for (long c : s.counts()) {
        max = Math.max(max, c);
      }
    }
    Axis x = Axis.linear(lo, hi, LEFT, W - RIGHT);
    Axis y = Axis.linear(0, niceCeil(max), H - BOTTOM, TOP);
    StringBuilder b = open(id, title);
    frame(b, x, y, xLabel, yLabel, false, false);
    for (int s = 0; s < series.size(); s++) {
      long[] counts = series.get(s).counts();
      b.append("<g class=\"series\" data-series=\"")
          .append(Html.escape(series.get(s).name()))
          .append("\" fill=\"")
          .append(COLOURS[s % COLOURS.length])
          .append("\" fill-opacity=\"0.55\">");
      for (int i = 0; i < counts.length; i++) {
        if (counts[i] == 0) {
          continue;
        }
        double x0 = x.map(lo + i * width);
        double x1 = x.map(lo + (i + 1) * width);
        double y0 = y.map(counts[i]);
        b.append(
            String.format(
                Locale.ROOT,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"><title>%s: %s in"
                    + " [%s, %s)</title></rect>",
                x0,
                y0,
                Math.max(0.5, x1 - x0 - 0.4),
                y.map(0) - y0,
                Html.escape(series.get(s).name()),
                Html.count(counts[i]),
                fmt(lo + i * width),
                fmt(lo + (i + 1) * width)));
      }
      b.append("</g>");
    }
    markers(b, markers, x, y);
    legend(b, series.stream().map(Bars::name).toList());
    return b.append("</svg>").toString();
  }

  /** Line series on linear or log axes, with optional marker lines. */
  public static String lines(
      String id,
      String title,
      List<Line> series,
      List<Marker> markers,
      String xLabel,
      String yLabel,
      boolean logX,
      boolean logY,
      Double yMax) {
    double xmin = Double.POSITIVE_INFINITY;
    double xmax = Double.NEGATIVE_INFINITY;
    double ymin = Double.POSITIVE_INFINITY;
    double ymax = Double.NEGATIVE_INFINITY;
    for (Line l : series) {
      for (int i = 0; i < l.x().length; i++) {
        if ((logX && l.x()[i] <= 0) || (logY && l.y()[i] <= 0)) {
          continue;
        }
        xmin = Math.min(xmin, l.x()[i]);
        xmax = Math.max(xmax, l.x()[i]);
        ymin = Math.min(ymin, l.y()[i]);
        ymax = Math.max(ymax, l.y()[i]);
      }
    }
    for (Marker m : markers) {
      if (!m.vertical() && (!logY || m.at() > 0)) {
        ymax = Math.max(ymax, m.at());
        ymin = Math.min(ymin, m.at());
      }
    }
    if (!Double.isFinite(xmin)) {
      xmin = logX ? 1 : 0;
      xmax = logX ? 10 : 1;
      ymin = logY ? 1 : 0;
      ymax = logY ? 10 : 1;
    }
    if (yMax != null) {
      ymax = yMax;
    }
    Axis x =
        logX
            ? Axis.log(xmin, Math.max(xmax, xmin * 10), LEFT, W - RIGHT)
            : Axis.linear(xmin, xmax > xmin ? xmax : xmin + 1, LEFT, W - RIGHT);
    Axis y =
        logY
            ? Axis.log(ymin, Math.max(ymax, ymin * 10), H - BOTTOM, TOP)
            : Axis.linear(0, yMax != null ? yMax : niceCeil(ymax), H - BOTTOM, TOP);
    StringBuilder b = open(id, title);
    frame(b, x, y, xLabel, yLabel, logX, logY);
    for (int s = 0; s < series.size(); s++) {
      Line l = series.get(s);
      StringBuilder d = new StringBuilder();
      for (int i = 0; i < l.x().length; i++) {
        if ((logX && l.x()[i] <= 0) || (logY && l.y()[i] <= 0)) {
          continue;
        }
        d.append(d.isEmpty() ? "M" : " L")
            .append(String.format(Locale.ROOT, "%.1f %.1f", x.map(l.x()[i]), y.map(l.y()[i])));
      }
      b.append("<path class=\"series\" data-series=\"")
          .append(Html.escape(l.name()))
          .append("\" fill=\"none\" stroke-width=\"2\" stroke=\"")
          .append(COLOURS[s % COLOURS.length])
          .append("\" d=\"")
          .append(d)
          .append("\"/>");
    }
    markers(b, markers, x, y);
    legend(b, series.stream().map(Line::name).toList());
    return b.append("</svg>").toString();
  }

  /** Horizontal bars, one per label, scaled to the largest value. */
  public static String hbars(String id, String title, List<String> labels, long[] values) {
    int rowH = 22;
    int h = TOP + rowH * labels.size() + 10;
    long max = 1;
    for (long v : values) {
      max = Math.max(max, v);
    }
    int left = 120;
    int right = W - 70;
    StringBuilder b = open(id, title, h);
    for (int i = 0; i < labels.size(); i++) {
      int y = TOP + i * rowH;
      double w = (right - left) * (double) values[i] / max;
      b.append(text(left - 6, y + 15, Html.escape(labels.get(i)), "end", "label"));
      b.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>",
              left,
              y + 3,
              Math.max(1, w),
              rowH - 6,
              COLOURS[0]));
      b.append(text(left + w + 6, y + 15, Html.count(values[i]), "start", "value"));
    }
    return b.append("</svg>").toString();
  }

  private static StringBuilder open(String id, String title) {
    return open(id, title, H);
  }

  private static StringBuilder open(String id, String title, int height) {
    StringBuilder b = new StringBuilder();
    b.append(
        String.format(
            Locale.ROOT,
            "<svg class=\"chart\" id=\"%s\" viewBox=\"0 0 %d"
                + " %d\" role=\"img\" aria-label=\"%s\"><title>%s</title>",
            Html.escape(id),
            W,
            height,
            Html.escape(title),
            Html.escape(title)));
    b.append(text(8, 18, Html.escape(title), "start", "chart-title"));
    return b;
  }

  private static void frame(
      StringBuilder b, Axis x, Axis y, String xLabel, String yLabel, boolean logX, boolean logY) {
    b.append("<g class=\"axes\" stroke=\"#999\" stroke-width=\"1\">");
    b.append(line(LEFT, H - BOTTOM, W - RIGHT, H - BOTTOM));
    b.append(line(LEFT, TOP, LEFT, H - BOTTOM));
    b.append("</g><g class=\"ticks\" font-size=\"11\" fill=\"#333\">");
    for (double t : x.ticks()) {
      double px = x.map(t);
      b.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\"/>",
              px,
              H - BOTTOM,
              px,
              H - BOTTOM + 4));
      b.append(text(px, H - BOTTOM + 16, tickLabel(t, logX), "middle", null));
    }
    for (double t : y.ticks()) {
      double py = y.map(t);
      b.append(
          String.format(
              Locale.ROOT,
              "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e3e3e3\"/>",
              LEFT,
              py,
              W - RIGHT,
              py));
      b.append(text(LEFT - 6, py + 4, tickLabel(t, logY), "end", null));
    }
    b.append("</g>");
    b.append(text((LEFT + W - RIGHT) / 2.0, H - 8, Html.escape(xLabel), "middle", "axis-label"));
    b.append(
        String.format(
            Locale.ROOT,
            "<text class=\"axis-label\" transform=\"translate(14 %.1f) rotate(-90)\""
                + " text-anchor=\"middle\" font-size=\"12\">%s</text>",
            (TOP + H - BOTTOM) / 2.0,
            Html.escape(yLabel)));
  }

  private static void markers(StringBuilder b, List<Marker> markers, Axis x, Axis y) {
    for (int i = 0; i < markers.size(); i++) {
      Marker m = markers.get(i);
      String colour = i == 0 ? "#222" : "#777";
      if (m.vertical()) {
        if (m.at() < x.min() || m.at() > x.max()) {
          continue;
        }
        double px = x.map(m.at());
        b.append(
            String.format(
                Locale.ROOT,
                "<line class=\"marker\" x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\""
                    + " stroke-dasharray=\"5 3\" stroke-width=\"1.5\"/>",
                px,
                TOP,
                px,
                H - BOTTOM,
                colour));
        b.append(text(px + 4, TOP + 12 + 14 * i, Html.escape(m.label()), "start", "marker-label"));
      } else {
        if (m.at() < y.min() || m.at() > y.max()) {
          continue;
        }
        double py = y.map(m.at());
        b.append(
            String.format(
                Locale.ROOT,
                "<line class=\"marker\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"%s\""
                    + " stroke-dasharray=\"5 3\" stroke-width=\"1.5\"/>",
                LEFT,
                py,
                W - RIGHT,
                py,
                colour));
        b.append(text(W - RIGHT - 4, py - 4, Html.escape(m.label()), "end", "marker-label"));
      }
    }
  }

  /** The legend: its own row under the title, so long series names never cover the title. */
  private static void legend(StringBuilder b, List<String> names) {
    double x = LEFT;
    b.append("<g class=\"legend\">");
    for (int i = 0; i < names.size(); i++) {
      b.append(
          String.format(
              Locale.ROOT,
              "<rect x=\"%.1f\" y=\"26\" width=\"12\" height=\"12\" fill=\"%s\"/>%s",
              x,
              COLOURS[i % COLOURS.length],
              text(x + 16, 36, Html.escape(names.get(i)), "start", "legend")));
      x += 28 + 7 * names.get(i).length();
    }
    b.append("</g>");
  }

  private static String line(double x1, double y1, double x2, double y2) {
    return String.format(
        Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x1, y1, x2, y2);
  }

  private static String text(double x, double y, String escaped, String anchor, String cls) {
    return String.format(
        Locale.ROOT,
        "<text%s x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>",
        cls == null ? "" : " class=\"" + cls + "\"",
        x,
        y,
        anchor,
        escaped);
  }

  private static String tickLabel(double t, boolean log) {
    if (log) {
      return t >= 1 ? Html.count(Math.round(t)) : fmt(t);
    }
    return fmt(t);
  }

  private static String fmt(double v) {
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Html.count((long) v);
    }
    String s = String.format(Locale.ROOT, "%.3f", v);
    return s.replaceAll("0+$", "").replaceAll("\\.$", "");
  }

  /** The smallest 1, 2 or 5 times a power of ten at or above {@code v}. */
  static double niceCeil(double v) {
    if (v <= 0) {
      return 1;
    }
    double p = Math.pow(10, Math.floor(Math.log10(v)));
    for (double m : new double[] {1, 2, 5, 10}) {
      if (m * p >= v - 1e-9 * p) {
        return m * p;
      }
    }
    return 10 * p;
  }

  /** A tick step of 1, 2 or 5 times a power of ten giving about {@code n} ticks over {@code r}. */
  static double niceStep(double r, int n) {
    double raw = r / n;
    double p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (double m : new double[] {1, 2, 5}) {
      if (m * p >= raw) {
        return m * p;
      }
    }
    return 10 * p;
  }

  /** Maps data values onto pixels, linearly or by log10. */
  private record Axis(double min, double max, double p0, double p1, boolean log) {
    static Axis linear(double min, double max, double p0, double p1) {
      return new Axis(min, max, p0, p1, false);
    }

    static Axis log(double min, double max, double p0, double p1) {
      double lo = Math.pow(10, Math.floor(Math.log10(min)));
      double hi = Math.pow(10, Math.ceil(Math.log10(max)));
      return new Axis(lo, hi, p0, p1, true);
    }

    double map(double v) {
      double f =
          log
              ? (Math.log10(v) - Math.log10(min)) / (Math.log10(max) - Math.log10(min))
              : (v - min) / (max - min);
      return p0 + f * (p1 - p0);
    }

    List<Double> ticks() {
      List<Double> t = new ArrayList<>();
      if (log) {
        for (double v = min; v <= max * 1.0001; v *= 10) {
          t.add(v);
        }
        return t;
      }
      double step = niceStep(max - min, 6);
      for (double v = Math.ceil(min / step - 1e-9) * step; v <= max + step * 1e-9; v += step) {
        t.add(Math.abs(v) < step * 1e-9 ? 0 : v);
      }
      return t;
    }
  }
}
