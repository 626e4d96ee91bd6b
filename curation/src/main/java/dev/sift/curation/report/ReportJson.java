package dev.sift.curation.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * {@code report.json}: the {@link Report} in snake_case, indented, fields in declaration order. The
 * same report always gives the same bytes (no clock, no map of unstable order), so a rebuilt report
 * can be compared byte for byte. Thread-safe.
 */
public final class ReportJson {
  private static final ObjectMapper JSON =
      new ObjectMapper()
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private ReportJson() {}

  /** The JSON text, ending with a newline. */
  public static String write(Report report) {
    try {
      return JSON.writeValueAsString(report) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise the report", e);
    }
  }

  /**
   * {@code x} rounded to 6 significant digits, so the figures in {@code report.json} read as
   * numbers rather than binary noise ({@code 0.30000000000000004}); NaN and infinities become null.
   */
  public static Double round(double x) {
    if (!Double.isFinite(x)) {
      return null;
    }
    if (x == 0) {
      return 0.0;
    }
    return new java.math.BigDecimal(x)
        .round(new java.math.MathContext(6, java.math.RoundingMode.HALF_EVEN))
        .doubleValue();
  }
}
