package dev.sift.jobs.pipeline;

import static dev.sift.jobs.pipeline.Verdicts.alive;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.sift.curation.Reject;
import dev.sift.curation.concepts.ConceptList;
import dev.sift.curation.text.LanguageDetector;
import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.ConfigKey;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.Columns;
import dev.sift.udfs.ConceptUdfs;
import dev.sift.udfs.LanguageUdfs;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code match} stage: the concept list's entries each caption matches ({@code concepts}); a
 * caption matching none is rejected. With per-language lists (MetaCLIP 2) each row is matched in
 * its language's list, the language given by the input or detected ({@code
 * sift.match.language-detection}). Loads the concept list at start-up and shares it through {@link
 * StageContext#concepts()} (balancing reads it).
 *
 * <p>Driver-side, one per run (see {@link PipelineStage}); keeps how rows got their language for
 * the manifest.
 */
public final class MatchStage implements PipelineStage {
  public static final String NAME = "match";
  private static final Logger LOG = LoggerFactory.getLogger(MatchStage.class);

  private Map<String, Object> languageDetection;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ConfigKey<Boolean> enabledKey() {
    return SiftKeys.MATCH_ENABLED;
  }

  @Override
  public boolean runsFor(Command command, SiftConf conf) {
    // The match command exists to match: it runs the stage whatever the key says.
    return command == Command.MATCH
        || (command == Command.CURATE && conf.get(SiftKeys.MATCH_ENABLED));
  }

  @Override
  public boolean counted() {
    return true;
  }

  @Override
  public List<Map<String, Object>> check(StageContext ctx) {
    ctx.concepts(ConceptSource.load(ctx.spark(), ctx.conf()));
    return List.of();
  }

  @Override
  public Dataset<Row> apply(Dataset<Row> rows, StageContext ctx) {
    ConceptSource concepts = ctx.concepts();
    ConceptList list = concepts.list();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(ctx.spark().sparkContext());
    String key = list.digest() + "/" + concepts.semantics();
    Column matched;
    if (concepts.multilingual()) {
      rows = withLanguageCodes(rows, ctx);
      rows =
          rows.withColumn(
              Columns.LANGUAGE,
              ConceptUdfs.listLanguage(concepts.languages().keySet()).apply(col(Columns.LANGUAGE)));
      Broadcast<Map<String, ConceptList>> shared =
          jsc.broadcast(new HashMap<>(concepts.languages()));
      matched =
          ConceptUdfs.matchByLanguage(shared, key, concepts.semantics(), ctx.counter(NAME))
              .apply(col(Columns.CAPTION), col(Columns.LANGUAGE));
    } else {
      Broadcast<ConceptList> shared = jsc.broadcast(list);
      matched =
          ConceptUdfs.match(shared, key, concepts.semantics(), ctx.counter(NAME))
              .apply(col(Columns.CAPTION));
    }
    rows = rows.withColumn(Columns.CONCEPTS, when(alive(), matched));
    Column none = functions.size(col(Columns.CONCEPTS)).equalTo(0);
    return Verdicts.judge(
        rows,
        NAME,
        when(none, lit(Reject.NO_CONCEPT.code())),
        lit(null).cast(DataTypes.StringType));
  }

  @Override
  public Dataset<Row> off(Dataset<Row> rows, StageContext ctx) {
    return Verdicts.withNull(
        rows, Columns.CONCEPTS, DataTypes.createArrayType(DataTypes.StringType));
  }

  /**
   * The {@code language} column as the input gives it or as detected from the caption, by {@code
   * sift.match.language-detection}; the caller maps the codes to the lists' names. Detection runs
   * only on rows still alive and, in {@code auto}, only where the input has no code.
   */
  private Dataset<Row> withLanguageCodes(Dataset<Row> rows, StageContext ctx) {
    SiftConf conf = ctx.conf();
    SiftKeys.LanguageDetection mode = conf.get(SiftKeys.MATCH_LANGUAGE_DETECTION);
    boolean hasColumn = List.of(rows.columns()).contains(Columns.LANGUAGE);
    if (mode == SiftKeys.LanguageDetection.OFF) {
      if (!hasColumn) {
        throw new SiftUserException(
            "sift.match.metadata = "
                + ctx.concepts().path()
                + " holds per-language lists "
                + ctx.concepts().languages().keySet()
                + ": map each caption's language with sift.input.columns.language (the column '"
                + conf.get(SiftKeys.COLUMN_LANGUAGE)
                + "' is not in the input) or set sift.match.language-detection = auto");
      }
      languageDetection =
          Map.of("mode", ConfigKey.text(mode), "input_column", conf.get(SiftKeys.COLUMN_LANGUAGE));
      return rows;
    }
    LanguageDetector.Settings settings = detectorSettings(conf);
    Column detected =
        when(alive(), LanguageUdfs.detect(settings).apply(col(Columns.CAPTION)))
            .otherwise(lit(null).cast(DataTypes.StringType));
    Column code = detected;
    if (hasColumn && mode == SiftKeys.LanguageDetection.AUTO) {
      Column given = col(Columns.LANGUAGE);
      code = when(given.isNull().or(functions.trim(given).equalTo("")), detected).otherwise(given);
    }
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("mode", ConfigKey.text(mode));
    info.put("input_column", hasColumn ? conf.get(SiftKeys.COLUMN_LANGUAGE) : null);
    info.put(
        "languages",
        settings.languages().isEmpty() ? "all" : String.join(",", settings.languages()));
    info.put("min_distance", settings.minDistance());
    info.put("accuracy", settings.lowAccuracy() ? "low" : "high");
    languageDetection = info;
    LOG.info("language of each caption: {}", info);
    return rows.withColumn(Columns.LANGUAGE, code);
  }

  /**
   * The detector's settings from {@code sift.match.detect.*}, checked on the driver.
   *
   * @throws SiftUserException naming the key when a language code is unknown
   */
  static LanguageDetector.Settings detectorSettings(SiftConf conf) {
    List<String> codes = new ArrayList<>();
    for (String part : conf.get(SiftKeys.MATCH_DETECT_LANGUAGES).split(",", -1)) {
      if (!part.isBlank()) {
        codes.add(part.trim().toLowerCase(Locale.ROOT));
      }
    }
    try {
      return new LanguageDetector.Settings(
          codes,
          conf.get(SiftKeys.MATCH_DETECT_MIN_DISTANCE),
          conf.get(SiftKeys.MATCH_DETECT_ACCURACY) == SiftKeys.DetectAccuracy.LOW);
    } catch (IllegalArgumentException e) {
      throw new SiftUserException(
          SiftKeys.MATCH_DETECT_LANGUAGES.name() + " = " + codes + ": " + e.getMessage(), e);
    }
  }

  @Override
  public ConceptCounts conceptCounts(StageContext ctx) {
    return ctx.concepts().multilingual() ? ConceptCounts.PER_LANGUAGE : ConceptCounts.ONE_LIST;
  }

  /** The concept list, and how rows got their language when lists are per language. */
  @Override
  public Map<String, Object> manifest(Dataset<Row> written, StageContext ctx) {
    Map<String, Object> c = ctx.concepts().describe();
    if (languageDetection != null) {
      c.put("language_detection", languageDetection);
    }
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("concepts", c);
    return section;
  }
}
