package dev.sift.curation.report;

import java.util.Locale;

/**
 * Escaping and number formatting for the report page. Every string that comes from data (captions,
 * ids, concepts, paths) passes {@link #escape} before it reaches HTML or SVG: the sample's alt
 * texts hold markup. Stateless.
 */
public final class Html {
  private Html() {}

  /** {@code s} safe as HTML text and as a double- or single-quoted attribute value. */
  public static String escape(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '&' -> b.append("&amp;");
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> {
          // Control characters other than tab and newlines are not allowed in HTML text.
          if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
            b.append('\uFFFD');
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }

  /** A count with thousands separators: {@code 12,345}. */
  public static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** A score or other value in [-1, 1]-ish ranges: 4 decimals; "–" for null/NaN. */
  public static String num(Double x) {
    return x == null || x.isNaN() ? "–" : String.format(Locale.ROOT, "%.4f", x);
  }

  /** {@code x} with {@code decimals} decimals; "–" for null/NaN. */
  public static String num(Double x, int decimals) {
    return x == null || x.isNaN() ? "–" : String.format(Locale.ROOT, "%." + decimals + "f", x);
  }

  /** A fraction as a percentage with one decimal: {@code 0.3046 → 30.5%}. */
  public static String percent(Double fraction) {
    return fraction == null || fraction.isNaN()
        ? "–"
        : String.format(Locale.ROOT, "%.1f%%", fraction * 100);
  }
}
