package dev.sift.udfs;

import dev.sift.curation.text.LanguageDetector;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * Language detection for the {@code match} stage. One {@link LanguageDetector} per executor JVM and
 * settings, built by the first task that needs it and shared by the rest (its models are large and
 * load lazily); it lives as long as the JVM.
 */
public final class LanguageUdfs {
  private static final ConcurrentHashMap<LanguageDetector.Settings, LanguageDetector> DETECTORS =
      new ConcurrentHashMap<>();

  private LanguageUdfs() {}

  /** The executor's detector for {@code settings}. Thread-safe. */
  public static LanguageDetector detector(LanguageDetector.Settings settings) {
    return DETECTORS.computeIfAbsent(settings, LanguageDetector::new);
  }

  /** {@code string → string}: the caption's ISO 639-1 code, or null when the detector is unsure. */
  public static UserDefinedFunction detect(LanguageDetector.Settings settings) {
    UDF1<String, String> fn = caption -> detector(settings).detect(caption);
    return functions.udf(fn, DataTypes.StringType);
  }
}
