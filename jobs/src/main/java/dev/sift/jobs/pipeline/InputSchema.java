package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.ConfigKey;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.jobs.pipeline.InputReader.Input;
import dev.sift.udfs.Columns;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The input's columns under Sift's data contract: the {@code sift.input.columns.*} names resolved
 * against the input's schema and their types checked at start-up (an error names the key, the
 * column and the columns found), then cast to the contract names and types, with every other column
 * passed through under a name that cannot clash with Sift's. Stateless; used by {@link InputReader}
 * and {@link WebDatasetInput}.
 */
final class InputSchema {
  private static final Logger LOG = LoggerFactory.getLogger(InputSchema.class);

  private InputSchema() {}

  /** Maps configured columns to contract names, checking presence and types. */
  static Input map(Dataset<Row> raw, SiftConf conf, String sampleFile, List<String> files) {
    StructType schema = raw.schema();
    Map<String, String> mapping = new LinkedHashMap<>();
    mapping.put(Columns.ID, resolve(conf, SiftKeys.COLUMN_ID, schema, sampleFile, false));
    mapping.put(Columns.CAPTION, resolve(conf, SiftKeys.COLUMN_CAPTION, schema, sampleFile, true));
    mapping.put(Columns.URL, resolve(conf, SiftKeys.COLUMN_URL, schema, sampleFile, false));
    mapping.put(Columns.IMAGE, resolve(conf, SiftKeys.COLUMN_IMAGE, schema, sampleFile, false));
    mapping.put(Columns.WIDTH, resolve(conf, SiftKeys.COLUMN_WIDTH, schema, sampleFile, false));
    mapping.put(Columns.HEIGHT, resolve(conf, SiftKeys.COLUMN_HEIGHT, schema, sampleFile, false));
    String language = resolve(conf, SiftKeys.COLUMN_LANGUAGE, schema, sampleFile, false);
    if (language != null) {
      // Only a mapped language becomes a column: most inputs have none.
      mapping.put(Columns.LANGUAGE, language);
    }

    List<Column> out = new ArrayList<>();
    for (Map.Entry<String, String> m : mapping.entrySet()) {
      String contract = m.getKey();
      String source = m.getValue();
      DataType target = contractType(contract);
      if (source == null) {
        out.add(lit(null).cast(target).as(contract));
      } else {
        checkType(contract, source, schema, sampleFile);
        out.add(col(quote(source)).cast(target).as(contract));
      }
    }
    Set<String> mapped = Set.copyOf(mapping.values().stream().filter(v -> v != null).toList());
    Set<String> taken = new HashSet<>();
    for (StructField f : schema.fields()) {
      if (mapped.contains(f.name())) {
        continue;
      }
      out.add(col(quote(f.name())).as(passThroughName(f.name(), taken)));
    }
    return new Input(
        raw.select(out.toArray(Column[]::new)),
        mapping.get(Columns.IMAGE) != null,
        mapping.get(Columns.ID) != null,
        files);
  }

  /**
   * The name an input column passes through under: its own, or with {@code input_} prefixes while
   * it would clash with a column Sift writes, a working column or one already taken ({@code taken}
   * holds lower-cased names and gets this one).
   */
  static String passThroughName(String original, Set<String> taken) {
    String name = original;
    while (Columns.isReserved(name)
        || taken.contains(name.toLowerCase(Locale.ROOT))
        || name.startsWith(Columns.INTERNAL_PREFIX)) {
      name = "input_" + name;
    }
    if (!name.equals(original)) {
      LOG.warn("input column '{}' passes through as '{}' (its name is Sift's)", original, name);
    }
    taken.add(name.toLowerCase(Locale.ROOT));
    return name;
  }

  /**
   * The input column for a contract name, or null when unmapped: set to "" by the user, or left at
   * its default and absent from the input. A column the user named that is missing is an error, and
   * so is a missing caption column.
   */
  private static String resolve(
      SiftConf conf, ConfigKey<String> key, StructType schema, String file, boolean required) {
    String name = conf.get(key);
    if (name == null || name.isEmpty()) {
      if (required) {
        throw new SiftUserException(key.name() + " must name the caption column; it is empty");
      }
      return null;
    }
    if (hasField(schema, name)) {
      return name;
    }
    if (required || conf.isUserSet(key)) {
      throw new SiftUserException(
          String.format(
              Locale.ROOT,
              "input column '%s' (%s) not found in %s; columns found: %s",
              name,
              key.name(),
              file,
              describe(schema)));
    }
    return null;
  }

  static boolean hasField(StructType schema, String name) {
    for (String f : schema.fieldNames()) {
      if (f.equals(name)) {
        return true;
      }
    }
    return false;
  }

  private static DataType contractType(String contract) {
    return switch (contract) {
      case Columns.IMAGE -> DataTypes.BinaryType;
      case Columns.WIDTH, Columns.HEIGHT -> DataTypes.IntegerType;
      default -> DataTypes.StringType;
    };
  }

  private static void checkType(String contract, String source, StructType schema, String file) {
    DataType actual = schema.apply(source).dataType();
    boolean ok =
        switch (contract) {
          case Columns.IMAGE -> actual.equals(DataTypes.BinaryType);
          case Columns.WIDTH, Columns.HEIGHT -> isIntegral(actual);
          case Columns.ID -> actual.equals(DataTypes.StringType) || isIntegral(actual);
          default -> actual.equals(DataTypes.StringType);
        };
    if (!ok) {
      String expected =
          switch (contract) {
            case Columns.IMAGE -> "binary";
            case Columns.WIDTH, Columns.HEIGHT -> "an integer type";
            case Columns.ID -> "string or an integer type";
            default -> "string";
          };
      throw new SiftUserException(
          String.format(
              Locale.ROOT,
              "input column '%s' (mapped to %s) in %s has type %s, expected %s; columns found: %s",
              source,
              contract,
              file,
              actual.simpleString(),
              expected,
              describe(schema)));
    }
  }

  private static boolean isIntegral(DataType t) {
    return t.equals(DataTypes.IntegerType)
        || t.equals(DataTypes.LongType)
        || t.equals(DataTypes.ShortType)
        || t.equals(DataTypes.ByteType);
  }

  static String describe(StructType schema) {
    if (schema.fields().length == 0) {
      return "(none)";
    }
    List<String> parts = new ArrayList<>();
    for (StructField f : schema.fields()) {
      parts.add(f.name() + " (" + f.dataType().simpleString() + ")");
    }
    return String.join(", ", parts);
  }

  static String quote(String name) {
    return "`" + name.replace("`", "``") + "`";
  }
}
