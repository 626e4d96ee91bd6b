package dev.sift.jobs.config;

import dev.sift.jobs.SiftUserException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.apache.spark.SparkConf;

/**
 * Hides secrets in the {@code spark.*} settings Sift writes or prints (manifest, report, logs), the
 * way Spark's own UI and {@code spark.logConf} do: a setting whose key or value matches {@code
 * spark.redaction.regex} keeps its key, and its value becomes {@value #REDACTED}. The pattern is
 * the user's {@code spark.redaction.regex} (Sift's configuration first, then the session's, which
 * holds spark-submit's {@code --conf} and {@code spark-defaults.conf}), else Spark's default, read
 * from Spark itself so that Sift follows it when Spark widens it.
 *
 * <p>Immutable and thread-safe; driver only.
 */
public final class Redaction {
  /** Spark's key for the pattern of secret keys and values. */
  public static final String REGEX_KEY = "spark.redaction.regex";

  /** What a secret value is replaced with: Spark's own replacement text. */
  public static final String REDACTED = "*********(redacted)";

  private final Pattern pattern;

  private Redaction(Pattern pattern) {
    this.pattern = pattern;
  }

  /**
   * The redaction for a run.
   *
   * @param conf Sift's configuration; its {@code spark.redaction.regex}, when set, wins
   * @param session the session's configuration (spark-submit's settings), or null
   * @throws SiftUserException when the pattern is not a regular expression
   */
  public static Redaction forRun(SiftConf conf, SparkConf session) {
    String regex = conf.sparkSettings().get(REGEX_KEY);
    if (regex == null && session != null) {
      regex = session.get(REGEX_KEY, null);
    }
    return of(regex == null ? sparkDefault() : regex);
  }

  /** A redaction with the given pattern (Java regular-expression syntax, as Spark's). */
  public static Redaction of(String regex) {
    try {
      return new Redaction(Pattern.compile(regex));
    } catch (PatternSyntaxException e) {
      throw new SiftUserException(
          REGEX_KEY + " = " + regex + " is not a regular expression: " + e.getDescription(), e);
    }
  }

  /** Spark's default pattern, from its own configuration entry. */
  static String sparkDefault() {
    return org.apache
        .spark
        .internal
        .config
        .package$
        .MODULE$
        .SECRET_REDACTION_PATTERN()
        .defaultValueString();
  }

  /** Whether a setting would be hidden: its key or its value matches the pattern. */
  public boolean hides(String key, String value) {
    return pattern.matcher(key).find() || (value != null && pattern.matcher(value).find());
  }

  /** A copy of {@code settings}, in the same order, with every secret value replaced. */
  public Map<String, String> apply(Map<String, String> settings) {
    Map<String, String> out = new LinkedHashMap<>();
    settings.forEach((k, v) -> out.put(k, hides(k, v) ? REDACTED : v));
    return out;
  }

  /** The pattern in use, for the manifest. */
  public String pattern() {
    return pattern.pattern();
  }
}
