package dev.sift.udfs;

import dev.sift.curation.text.LanguageDetector;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Language detection for the {@code match} stage. One {@link LanguageDetector} per executor JVM and
 * settings, built by the first task that needs it and shared by the rest (its models are large and
 * load lazily); it lives as long as the JVM.
 */
public final class LanguageUdfs {
  private static final Logger LOG = LoggerFactory.getLogger(LanguageUdfs.class);
  private static final ConcurrentHashMap<LanguageDetector.Settings, LanguageDetector> DETECTORS =
      new ConcurrentHashMap<>();

  private LanguageUdfs() {}

  /** The executor's detector for {@code settings}. Thread-safe. */
  public static LanguageDetector detector(LanguageDetector.Settings settings) {
    return DETECTORS.computeIfAbsent(
        settings,
        s -> {
          // Models load as languages are met: the first tasks run slower (up to ~20 s per JVM).
          LOG.info(
              "language detector for {} languages, {} accuracy: models load on first use",
              s.languages().isEmpty() ? "all" : s.languages(),
              s.lowAccuracy() ? "low" : "high");
          return new LanguageDetector(s);
        });
  }

  /** {@code string → string}: the caption's ISO 639-1 code, or null when the detector is unsure. */
  public static UserDefinedFunction detect(LanguageDetector.Settings settings) {
    UDF1<String, String> fn = caption -> detector(settings).detect(caption);
    return functions.udf(fn, DataTypes.StringType);
  }
}
