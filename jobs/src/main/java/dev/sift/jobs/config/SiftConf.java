package dev.sift.jobs.config;

import java.io.Serializable;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A validated configuration: the value of every registry key (user value or default), which keys
 * the user set, and the {@code spark.*} settings to pass to Spark. Built only by {@link
 * ConfigLoader}, so holding one means every key has passed its check.
 *
 * <p>Immutable; lives on the driver (jobs copy the few values executors need into their functions).
 */
public final class SiftConf implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Map<String, Object> values;
  private final Set<String> userSet;
  private final Map<String, String> spark;
  private final String source;

  SiftConf(Map<String, Object> values, Set<String> userSet, Map<String, String> spark, String src) {
    this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    this.userSet = Set.copyOf(userSet);
    this.spark = Collections.unmodifiableMap(new LinkedHashMap<>(spark));
    this.source = src;
  }

  /** The value of {@code key}; {@code null} only for an optional key nobody set. */
  @SuppressWarnings("unchecked")
  public <T> T get(ConfigKey<T> key) {
    return (T) values.get(key.name());
  }

  /**
   * Whether the user set {@code key} (in a file or with --set), rather than leaving the default.
   */
  public boolean isUserSet(ConfigKey<?> key) {
    return userSet.contains(key.name());
  }

  /** The {@code spark.*} settings from the config file and --set, in the order given. */
  public Map<String, String> sparkSettings() {
    return spark;
  }

  /** Where the values came from (config file, or "defaults"), for logs and the manifest. */
  public String source() {
    return source;
  }

  /** Every key with its value, for the manifest; durations as milliseconds, unset keys as null. */
  public Map<String, Object> resolved() {
    Map<String, Object> out = new LinkedHashMap<>();
    for (ConfigKey<?> key : SiftKeys.all()) {
      Object v = values.get(key.name());
      out.put(
          key.name(),
          v instanceof Duration d
              ? d.toMillis() + "ms"
              : v instanceof Enum<?> e ? ConfigKey.text(e) : v);
    }
    return out;
  }
}
