package dev.sift.jobs.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import com.typesafe.config.ConfigValueType;
import dev.sift.jobs.SiftUserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Loads and validates a Sift configuration: registry defaults, then the user's HOCON file, then
 * {@code --set key=value} overrides, then {@code --input}/{@code --output}. Every problem is
 * collected and reported at once, each naming the key, the value given and what is allowed. System
 * properties and environment variables are deliberately not merged in: a run's configuration is
 * what its files and command line say, and nothing else.
 */
public final class ConfigLoader {
  private ConfigLoader() {}

  /**
   * @param file the user's config file, or null
   * @param sets {@code key=value} overrides, in command-line order
   * @param overrides final values from the command line's shorthands (key name → value)
   * @throws SiftUserException naming every bad key, value or file
   */
  public static SiftConf load(Path file, List<String> sets, Map<String, String> overrides) {
    Config user = file == null ? ConfigFactory.empty() : parseFile(file);
    Map<String, String> spark = new LinkedHashMap<>();
    collectSpark(user, spark);
    user = user.withoutPath("spark");
    for (String set : sets) {
      int eq = set.indexOf('=');
      if (eq <= 0) {
        throw new SiftUserException("--set takes key=value, got: " + set);
      }
      String key = set.substring(0, eq).trim();
      String value = set.substring(eq + 1);
      if (key.startsWith("spark.")) {
        spark.put(key, value);
      } else if (key.startsWith("sift.")) {
        user = user.withValue(key, parseValue(key, value));
      } else {
        throw new SiftUserException(
            "--set " + key + ": only sift.* and spark.* keys can be set on the command line");
      }
    }
    for (Map.Entry<String, String> o : overrides.entrySet()) {
      if (o.getValue() != null) {
        user =
            user.withValue(o.getKey(), ConfigValueFactory.fromAnyRef(o.getValue(), "command line"));
      }
    }
    return validate(user, spark, file == null ? "defaults" : file.toString());
  }

  private static Config parseFile(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new SiftUserException("config file not found: " + file);
    }
    try {
      return ConfigFactory.parseFile(
              file.toFile(),
              ConfigParseOptions.defaults().setSyntax(ConfigSyntax.CONF).setAllowMissing(false))
          .resolve();
    } catch (ConfigException e) {
      throw new SiftUserException("cannot read config file " + file + ": " + e.getMessage(), e);
    }
  }

  /** A --set value: HOCON for lists and objects, otherwise the literal string (URLs hold "//"). */
  private static ConfigValue parseValue(String key, String value) {
    String trimmed = value.trim();
    if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
      try {
        return ConfigFactory.parseString("v = " + trimmed).getValue("v");
      } catch (ConfigException e) {
        throw new SiftUserException(
            "--set " + key + ": cannot parse " + value + ": " + e.getMessage());
      }
    }
    return ConfigValueFactory.fromAnyRef(value, "--set " + key);
  }

  /** Spark settings may be written nested ({@code spark { sql.x = 1 }}) or quoted. */
  private static void collectSpark(Config user, Map<String, String> spark) {
    for (Map.Entry<String, ConfigValue> top : user.root().entrySet()) {
      String name = top.getKey();
      if (name.equals("spark") && top.getValue() instanceof ConfigObject obj) {
        flatten("spark", obj, spark);
      } else if (name.startsWith("spark.")) {
        flatten(name, top.getValue(), spark);
      }
    }
  }

  private static void flatten(String prefix, ConfigValue value, Map<String, String> out) {
    if (value instanceof ConfigObject obj) {
      for (Map.Entry<String, ConfigValue> e : obj.entrySet()) {
        flatten(prefix + "." + e.getKey(), e.getValue(), out);
      }
    } else if (value.valueType() != ConfigValueType.NULL) {
      out.put(prefix, String.valueOf(value.unwrapped()));
    }
  }

  private static SiftConf validate(Config user, Map<String, String> spark, String source) {
    List<String> problems = new ArrayList<>();
    Set<String> known = new TreeSet<>();
    List<String> objects = new ArrayList<>();
    for (ConfigKey<?> key : SiftKeys.all()) {
      known.add(key.name());
      if (key.type() == ConfigKey.Type.OBJECT) {
        objects.add(key.name());
      }
    }
    for (String top : user.root().keySet()) {
      if (!top.equals("sift") && !top.startsWith("spark.")) {
        problems.add(
            "unknown top-level key '"
                + top
                + "' (from "
                + user.getValue(quote(top)).origin().description()
                + "): Sift reads sift.* and spark.* keys only");
      }
    }
    Set<String> userSet = new HashSet<>();
    if (user.hasPath("sift")) {
      if (user.getValue("sift").valueType() != ConfigValueType.OBJECT) {
        problems.add("'sift' must be an object of keys, not a value");
      } else {
        for (Map.Entry<String, ConfigValue> e : user.getConfig("sift").entrySet()) {
          String name = "sift." + e.getKey();
          String object =
              objects.stream().filter(o -> name.startsWith(o + ".")).findFirst().orElse(null);
          if (known.contains(name)) {
            userSet.add(name);
          } else if (object != null) {
            // Entries of an object key are the user's names; the key's check judges them.
            userSet.add(object);
          } else {
            problems.add(
                "unknown key "
                    + name
                    + " (from "
                    + e.getValue().origin().description()
                    + ")"
                    + suggestion(name, known));
          }
        }
      }
    }
    Config merged = problems.isEmpty() ? user.withFallback(defaults()) : defaults();
    Map<String, Object> values = new LinkedHashMap<>();
    for (ConfigKey<?> key : SiftKeys.all()) {
      try {
        values.put(key.name(), key.read(merged));
      } catch (SiftUserException e) {
        problems.add(e.getMessage());
      } catch (ConfigException e) {
        problems.add("invalid value for " + key.name() + ": " + e.getMessage());
      }
    }
    if (!problems.isEmpty()) {
      throw new SiftUserException(
          problems.size() == 1
              ? problems.get(0)
              : "configuration has "
                  + problems.size()
                  + " problems:\n  - "
                  + String.join("\n  - ", problems));
    }
    resolveModelPaths(values);
    return new SiftConf(values, userSet, spark, source);
  }

  /**
   * Model paths are opened by executors, whose working directory is their worker's, not the
   * driver's: a relative local path is made absolute here, on the driver, once.
   */
  private static void resolveModelPaths(Map<String, Object> values) {
    for (ConfigKey<String> key : List.of(SiftKeys.SCORE_MODEL, SiftKeys.RECAPTION_MODEL)) {
      values.computeIfPresent(key.name(), (k, v) -> onDriver((String) v));
    }
    values.computeIfPresent(
        SiftKeys.SCORE_HEADS.name(),
        (k, v) -> {
          Map<String, Object> heads = new LinkedHashMap<>();
          ((Map<?, ?>) v)
              .forEach(
                  (name, file) -> heads.put(String.valueOf(name), onDriver(String.valueOf(file))));
          return heads;
        });
  }

  /** {@code path} made absolute against this JVM's working directory when local and relative. */
  static String onDriver(String path) {
    if (path == null
        || path.isBlank()
        || new org.apache.hadoop.fs.Path(path).toUri().getScheme() != null) {
      return path;
    }
    Path p = Path.of(path);
    return p.isAbsolute() ? path : p.toAbsolutePath().normalize().toString();
  }

  private static String quote(String key) {
    return "\"" + key.replace("\"", "\\\"") + "\"";
  }

  /** The registry defaults as a Config, the lowest layer of every load. */
  static Config defaults() {
    Map<String, Object> map = new LinkedHashMap<>();
    for (ConfigKey<?> key : SiftKeys.all()) {
      Object d = key.defaultValue();
      if (d instanceof java.time.Duration duration) {
        map.put(key.name(), duration.toMillis() + "ms");
      } else if (d instanceof Enum<?> e) {
        map.put(key.name(), ConfigKey.text(e));
      } else if (d != null) {
        map.put(key.name(), d);
      }
    }
    return ConfigFactory.parseMap(map, "Sift defaults");
  }

  /** "; did you mean X?" for the closest known key, or an empty string when none is close. */
  static String suggestion(String name, Set<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : known) {
      int d = levenshtein(name, candidate);
      if (d < bestDistance) {
        bestDistance = d;
        best = candidate;
      }
    }
    int tolerance = Math.max(3, name.length() / 4);
    return best != null && bestDistance <= tolerance ? "; did you mean " + best + "?" : "";
  }

  static int levenshtein(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
