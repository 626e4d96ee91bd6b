package dev.sift.jobs.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.sift.jobs.SiftUserException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One configuration key: its name, type, default, documentation and check. Keys are declared once,
 * in {@link SiftKeys}, with the builder methods here; reading a key through {@link #read(Config)}
 * converts and checks its value and names the key, the value and what is allowed when either fails.
 *
 * <p>Immutable and thread-safe.
 *
 * @param <T> the Java type of the value
 */
public final class ConfigKey<T> {

  /** The value types a key may have; each maps to one Typesafe Config getter. */
  public enum Type {
    STRING("string"),
    INT("integer"),
    LONG("integer"),
    DOUBLE("number"),
    BOOLEAN("boolean"),
    DURATION("duration"),
    CHOICE("one of"),
    /** A HOCON object whose keys the user names (e.g. one entry per head); checked as a whole. */
    OBJECT("object");

    private final String label;

    Type(String label) {
      this.label = label;
    }

    String label() {
      return label;
    }
  }

  private final String name;
  private final Type type;
  private final T defaultValue;
  private final String doc;
  private final Predicate<T> check;
  private final String allowed;
  private final List<String> choices;
  private final Class<T> enumType;

  private ConfigKey(
      String name,
      Type type,
      T defaultValue,
      String doc,
      Predicate<T> check,
      String allowed,
      List<String> choices,
      Class<T> enumType) {
    this.name = name;
    this.type = type;
    this.defaultValue = defaultValue;
    this.doc = doc;
    this.check = check;
    this.allowed = allowed;
    this.choices = choices;
    this.enumType = enumType;
  }

  /**
   * How a choice is written in configuration files: the constant's name in lower case, {@code _} as
   * {@code -} ({@code SKIP_REST} is {@code skip-rest}).
   */
  public static String text(Enum<?> choice) {
    return choice.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** Starts a key declaration. */
  public static Builder key(String name) {
    return new Builder(name);
  }

  public String name() {
    return name;
  }

  public Type type() {
    return type;
  }

  /** The default, or {@code null} when the key has none (it is then optional). */
  public T defaultValue() {
    return defaultValue;
  }

  public String doc() {
    return doc;
  }

  /** What values are allowed, in words, as error messages and the reference show it. */
  public String allowed() {
    return allowed;
  }

  /** The allowed values of a {@link Type#CHOICE} key; empty for other types. */
  public List<String> choices() {
    return choices;
  }

  /**
   * The value of this key in {@code config} (which must already hold the defaults), converted and
   * checked.
   *
   * @throws SiftUserException when the value has the wrong type or fails the check
   */
  @SuppressWarnings("unchecked")
  public T read(Config config) {
    if (!config.hasPath(name)) {
      return null;
    }
    T value;
    try {
      value =
          (T)
              switch (type) {
                case STRING -> config.getString(name);
                case CHOICE -> choiceOf(config, config.getString(name));
                case INT -> config.getInt(name);
                case LONG -> config.getLong(name);
                case DOUBLE -> config.getDouble(name);
                case BOOLEAN -> config.getBoolean(name);
                case DURATION -> config.getDuration(name);
                case OBJECT -> config.getObject(name).unwrapped();
              };
    } catch (ConfigException.WrongType | ConfigException.BadValue e) {
      throw invalid(config, "it is not a " + type.label());
    }
    if (!check.test(value)) {
      throw invalid(config, type == Type.OBJECT ? objectProblem(value) : null);
    }
    return value;
  }

  /** The enum constant written {@code value}. */
  private Object choiceOf(Config config, String value) {
    for (T c : enumType.getEnumConstants()) {
      if (text((Enum<?>) c).equals(value)) {
        return c;
      }
    }
    throw invalid(config, null);
  }

  /** What is wrong with an object value, from its check (a {@link ObjectCheck}). */
  private String objectProblem(T value) {
    return check instanceof ObjectCheck c ? c.problem((Map<String, Object>) value) : null;
  }

  /**
   * The check of an {@link Type#OBJECT} key: null when the value is fine, else what is wrong (it
   * names the entry).
   */
  @FunctionalInterface
  public interface ObjectCheck extends Predicate<Map<String, Object>> {
    String problem(Map<String, Object> value);

    @Override
    default boolean test(Map<String, Object> value) {
      return problem(value) == null;
    }
  }

  private SiftUserException invalid(Config config, String why) {
    String given = config.getValue(name).render().replace('\n', ' ');
    String origin = config.getValue(name).origin().description();
    return new SiftUserException(
        String.format(
            Locale.ROOT,
            "invalid value for %s: %s%s (from %s); allowed: %s",
            name,
            given,
            why == null ? "" : ", " + why,
            origin,
            allowed));
  }

  /** The value rendered for HOCON and the docs. */
  String renderDefault() {
    if (defaultValue == null) {
      return null;
    }
    if (defaultValue instanceof Map<?, ?> m && m.isEmpty()) {
      return "{}";
    }
    if (defaultValue instanceof Duration d) {
      return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }
    if (defaultValue instanceof Enum<?> e) {
      return "\"" + text(e) + "\"";
    }
    if (defaultValue instanceof String s) {
      return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
    return String.valueOf(defaultValue);
  }

  /** Declares a key; finish with one of the typed methods, then {@code register}. */
  public static final class Builder {
    private final String name;
    private String doc = "";

    private Builder(String name) {
      if (!name.startsWith("sift.")) {
        throw new IllegalArgumentException("Sift keys start with 'sift.': " + name);
      }
      this.name = name;
    }

    public Builder doc(String doc) {
      this.doc = doc;
      return this;
    }

    public ConfigKey<String> string(String defaultValue) {
      return new ConfigKey<>(
          name, Type.STRING, defaultValue, doc, v -> true, "any string", List.of(), null);
    }

    /**
     * A string with a check.
     *
     * @param allowed what {@code check} accepts, in words
     */
    public ConfigKey<String> string(String defaultValue, Predicate<String> check, String allowed) {
      if (defaultValue != null && !check.test(defaultValue)) {
        throw new IllegalArgumentException(name + ": default fails its check");
      }
      return new ConfigKey<>(name, Type.STRING, defaultValue, doc, check, allowed, List.of(), null);
    }

    /**
     * One of the constants of {@code defaultValue}'s enum, written as {@link #text} says; the
     * constants' order is the order the docs list them in.
     */
    public <E extends Enum<E>> ConfigKey<E> choice(E defaultValue) {
      Class<E> type = defaultValue.getDeclaringClass();
      List<String> list = Arrays.stream(type.getEnumConstants()).map(ConfigKey::text).toList();
      return new ConfigKey<>(
          name, Type.CHOICE, defaultValue, doc, v -> true, String.join(" | ", list), list, type);
    }

    /**
     * A comma-separated, non-empty set of {@code choices}, e.g. {@code
     * below-score,filtered-caption}.
     */
    public ConfigKey<String> choices(String defaultValue, String... choices) {
      List<String> list = List.of(choices);
      Predicate<String> check =
          v -> {
            String[] parts = v.split(",", -1);
            for (String part : parts) {
              if (!list.contains(part.trim())) {
                return false;
              }
            }
            return true;
          };
      if (!check.test(defaultValue)) {
        throw new IllegalArgumentException(name + ": default not among the choices");
      }
      return new ConfigKey<>(
          name,
          Type.STRING,
          defaultValue,
          doc,
          check,
          "one or more of " + String.join(" | ", list) + ", joined by commas",
          List.of(),
          null);
    }

    public ConfigKey<Integer> integer(int defaultValue, int min, int max) {
      return new ConfigKey<>(
          name,
          Type.INT,
          defaultValue,
          doc,
          v -> v >= min && v <= max,
          range(min, max, Integer.MAX_VALUE),
          List.of(),
          null);
    }

    public ConfigKey<Long> longInteger(long defaultValue, long min, long max) {
      return new ConfigKey<>(
          name,
          Type.LONG,
          defaultValue,
          doc,
          v -> v >= min && v <= max,
          range(min, max, Long.MAX_VALUE),
          List.of(),
          null);
    }

    public ConfigKey<Double> number(double defaultValue, double min, double max) {
      return new ConfigKey<>(
          name,
          Type.DOUBLE,
          defaultValue,
          doc,
          v -> !v.isNaN() && v >= min && v <= max,
          max == Double.MAX_VALUE ? "a number ≥ " + min : "a number in [" + min + ", " + max + "]",
          List.of(),
          null);
    }

    public ConfigKey<Boolean> bool(boolean defaultValue) {
      return new ConfigKey<>(
          name, Type.BOOLEAN, defaultValue, doc, v -> true, "true | false", List.of(), null);
    }

    public ConfigKey<Duration> duration(Duration defaultValue, Duration min) {
      return new ConfigKey<>(
          name,
          Type.DURATION,
          defaultValue,
          doc,
          v -> v.compareTo(min) >= 0,
          "a duration ≥ " + min.toMillis() + "ms, such as 30s or 500ms",
          List.of(),
          null);
    }

    /**
     * An object key whose entries the user names; the default is empty.
     *
     * @param allowed what entries may hold, in words
     */
    public ConfigKey<Map<String, Object>> object(String allowed, ObjectCheck check) {
      return new ConfigKey<>(name, Type.OBJECT, Map.of(), doc, check, allowed, List.of(), null);
    }

    private static String range(long min, long max, long unbounded) {
      return max == unbounded ? "an integer ≥ " + min : "an integer in [" + min + ", " + max + "]";
    }
  }
}
