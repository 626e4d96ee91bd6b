package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.sift.curation.Reject;
import dev.sift.curation.concepts.Balancing;
import dev.sift.curation.concepts.ConceptList;
import dev.sift.curation.image.ImageProbe;
import dev.sift.curation.models.Generation;
import dev.sift.curation.text.CaptionFilter;
import dev.sift.curation.text.CaptionNormalizer;
import dev.sift.curation.text.LanguageDetector;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.CaptionUdfs;
import dev.sift.udfs.ClipScorePartitionFn;
import dev.sift.udfs.ConceptUdfs;
import dev.sift.udfs.ImageProbeUdf;
import dev.sift.udfs.LanguageUdfs;
import dev.sift.udfs.RecaptionPartitionFn;
import dev.sift.udfs.ScoreMetrics;
import dev.sift.udfs.StableIdUdf;
import dev.sift.udfs.StageCounter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the stages of {@code curate} over the mapped input as one Spark plan. Every row comes out
 * exactly once, tagged: a row some stage rejected carries {@code reject_stage}, {@code
 * reject_reason} and {@code reject_detail} from the first stage that rejected it; an accepted row
 * has all three null. Later stages do no work on rows an earlier stage rejected.
 *
 * <p>Driver-side; not serialisable. The UDFs it creates carry only the plain-Java helpers.
 */
public final class StagePlan {
  private static final Logger LOG = LoggerFactory.getLogger(StagePlan.class);
  private static final String POS = Columns.INTERNAL_PREFIX + "pos";
  private static final String WINNER = Columns.INTERNAL_PREFIX + "winner";
  private static final String RECAPTION_FLAG = Columns.INTERNAL_PREFIX + "recaption";
  private static final String RECAPTION_ERROR = Columns.INTERNAL_PREFIX + "recaption_error";
  private static final String RECAPTION_USE = Columns.INTERNAL_PREFIX + "use_synthetic";

  /** Set on rows the text filters rejected and re-captioning accepted again. */
  public static final String RESCUED = Columns.INTERNAL_PREFIX + "rescued";

  /** {@code caption_source} values. */
  public static final String CAPTION_ORIGINAL = "original";

  public static final String CAPTION_SYNTHETIC = "synthetic";

  private final SparkSession spark;
  private final SiftConf conf;
  private final List<Stage> active;
  private final ConceptSource concepts;
  private final Map<Stage, StageCounter> counters = new LinkedHashMap<>();
  private int headConcepts = -1;
  private Map<String, Object> languageDetection;
  private Map<String, Object> perLanguageT;
  private Map<String, Object> filterInfo;
  private ScoreMetrics scoreMetrics;
  private ScoreMetrics recaptionMetrics;
  private final List<Dataset<Row>> persisted = new ArrayList<>();

  /**
   * @param conf validated configuration
   * @param active the stages that run, in order (the command decides; see {@link #stagesFor})
   * @param concepts the concept list, when matching runs; else null
   */
  public StagePlan(SparkSession spark, SiftConf conf, List<Stage> active, ConceptSource concepts) {
    this.spark = spark;
    this.conf = conf;
    this.active = List.copyOf(active);
    this.concepts = concepts;
    for (Stage stage : active) {
      if (stage == Stage.TEXT
          || stage == Stage.MATCH
          || stage == Stage.DECODE
          || stage == Stage.SCORE
          || stage == Stage.RECAPTION) {
        counters.put(
            stage,
            new StageCounter(
                stage.label(), spark.sparkContext().longAccumulator("sift." + stage.label())));
      }
    }
  }

  /**
   * The stages a command runs: for {@code curate}, every available stage whose enabled key is true;
   * for {@code match}, read, text and match; for {@code balance}, read and balance.
   *
   * @throws dev.sift.jobs.SiftUserException when an enabled stage is not available yet, or
   *     balancing is asked for without matching
   */
  public static List<Stage> stagesFor(SiftConf conf, Command command) {
    if (command == Command.BALANCE) {
      return List.of(Stage.READ, Stage.BALANCE, Stage.WRITE);
    }
    List<Stage> stages = new ArrayList<>();
    for (Stage stage : Stage.values()) {
      boolean on = stage.enabledKey() == null || conf.get(stage.enabledKey());
      // The match command exists to match: it runs the match stage whatever the key says.
      if (command == Command.MATCH && stage == Stage.MATCH) {
        on = true;
      }
      if (command == Command.SCORE || command == Command.RECAPTION) {
        // These commands score (and re-caption); they neither match, balance nor filter.
        if (stage == Stage.SCORE || (stage == Stage.RECAPTION && command == Command.RECAPTION)) {
          on = true;
        } else if (stage == Stage.MATCH
            || stage == Stage.BALANCE
            || stage == Stage.FILTER
            || stage == Stage.RECAPTION) {
          continue;
        }
      }
      if (!on) {
        continue;
      }
      if (!stage.available()) {
        throw new dev.sift.jobs.SiftUserException(
            stage.enabledKey().name()
                + " = true, but the "
                + stage.label()
                + " stage is not available yet in this version of Sift; set it to false");
      }
      if (command == Command.MATCH
          && stage != Stage.READ
          && stage != Stage.TEXT
          && stage != Stage.MATCH
          && stage != Stage.WRITE) {
        continue;
      }
      stages.add(stage);
    }
    if (stages.contains(Stage.RECAPTION) && !stages.contains(Stage.SCORE)) {
      throw new dev.sift.jobs.SiftUserException(
          "sift.recaption.enabled = true scores the new captions with CLIP: set"
              + " sift.score.enabled = true and sift.score.model");
    }
    if (stages.contains(Stage.FILTER) && !stages.contains(Stage.SCORE)) {
      throw new dev.sift.jobs.SiftUserException(
          "sift.filter.enabled = true filters on CLIP scores: set sift.score.enabled = true and"
              + " sift.score.model");
    }
    if (stages.contains(Stage.BALANCE) && !stages.contains(Stage.MATCH)) {
      throw new dev.sift.jobs.SiftUserException(
          "sift.balance.enabled = true needs concept matching: set sift.match.enabled = true"
              + " and sift.match.metadata");
    }
    return stages;
  }

  public List<Stage> active() {
    return active;
  }

  /** Concepts counted more than {@code t} times (after {@link #build}; -1 without balancing). */
  public int headConcepts() {
    return headConcepts;
  }

  /** MetaCLIP 2's per-language thresholds, when balancing ran per language; else null. */
  public Map<String, Object> perLanguageT() {
    return perLanguageT;
  }

  /**
   * What the score filter did, for the manifest: the threshold it applied and where it came from
   * (after {@link #build}; null when the filter did not run).
   */
  public Map<String, Object> filterInfo() {
    return filterInfo;
  }

  /**
   * Model figures of the score stage (batches, decode and inference time, devices), once the rows
   * are written; null when scoring did not run.
   */
  public ScoreMetrics scoreMetrics() {
    return scoreMetrics;
  }

  /** Model figures of the recaption stage; null when it did not run. */
  public ScoreMetrics recaptionMetrics() {
    return recaptionMetrics;
  }

  /** Drops the intermediate results the plan cached (call once the outputs are written). */
  public void release() {
    persisted.forEach(d -> d.unpersist(false));
    persisted.clear();
  }

  /** Row counters of the stages that have them, for the progress log. */
  public Map<Stage, StageCounter> counters() {
    return counters;
  }

  /**
   * The tagged rows: contract columns, pass-through columns, then the reject columns. With
   * balancing on, this runs one Spark job to count matches per concept (balancing needs the counts
   * over the whole input before it can decide any row).
   */
  public Dataset<Row> build(InputReader.Input input) {
    Dataset<Row> rows = markDuplicates(withIds(input));
    rows =
        rows.withColumn(Columns.ORIGINAL_CAPTION, col(Columns.CAPTION))
            .withColumn(
                Columns.REJECT_REASON,
                when(col(WINNER).equalTo(false), lit(Reject.DUPLICATE_ID.code())))
            .withColumn(
                Columns.REJECT_STAGE,
                when(col(Columns.REJECT_REASON).isNotNull(), lit(Stage.READ.label())))
            .withColumn(Columns.REJECT_DETAIL, lit(null).cast(DataTypes.StringType));

    if (active.contains(Stage.TEXT)) {
      rows = text(rows);
    }
    if (active.contains(Stage.MATCH)) {
      rows = match(rows);
    } else {
      rows =
          rows.withColumn(
              Columns.CONCEPTS, lit(null).cast(DataTypes.createArrayType(DataTypes.StringType)));
    }
    if (active.contains(Stage.BALANCE)) {
      rows = balance(rows);
    } else {
      rows = rows.withColumn(Columns.KEEP_PROBABILITY, lit(null).cast(DataTypes.DoubleType));
    }
    if (active.contains(Stage.DECODE) && input.hasImage()) {
      rows = decode(rows);
    } else {
      rows = rows.withColumn(Columns.IMAGE_FORMAT, lit(null).cast(DataTypes.StringType));
    }
    if (active.contains(Stage.SCORE)) {
      if (!input.hasImage()) {
        throw new dev.sift.jobs.SiftUserException(
            "sift.score.enabled = true needs images: map sift.input.columns.image");
      }
      rows = score(rows);
    }
    if (active.contains(Stage.RECAPTION)) {
      rows = recaption(rows);
    }
    if (active.contains(Stage.FILTER)) {
      rows = filter(rows);
    }
    return withOffStageColumns(rows);
  }

  /**
   * The {@code balance} command: balancing alone over the accepted rows of an earlier {@code match}
   * output, whose columns (Sift's own) pass through unchanged but for {@code keep_probability} and
   * the reject columns.
   */
  public Dataset<Row> buildBalanceOnly(Dataset<Row> matched) {
    Dataset<Row> rows =
        matched
            .withColumn(Columns.REJECT_REASON, lit(null).cast(DataTypes.StringType))
            .withColumn(Columns.REJECT_STAGE, lit(null).cast(DataTypes.StringType))
            .withColumn(Columns.REJECT_DETAIL, lit(null).cast(DataTypes.StringType));
    return balance(rows);
  }

  /** Rows no stage has rejected so far. */
  private static Column alive() {
    return col(Columns.REJECT_REASON).isNull();
  }

  /**
   * Records a stage's verdict on the rows still alive: {@code reason} (a reason code or null) and
   * {@code detail}, which are evaluated only for those rows. The verdict is materialised in a
   * working column first so that an expensive expression runs once per row.
   */
  private static Dataset<Row> judge(Dataset<Row> rows, Stage stage, Column reason, Column detail) {
    String verdict = Columns.INTERNAL_PREFIX + stage.label();
    rows = rows.withColumn(verdict, when(alive(), reason));
    Column r = col(verdict);
    return rows.withColumn(
            Columns.REJECT_STAGE,
            when(r.isNotNull(), lit(stage.label())).otherwise(col(Columns.REJECT_STAGE)))
        .withColumn(
            Columns.REJECT_DETAIL,
            when(r.isNotNull(), detail).otherwise(col(Columns.REJECT_DETAIL)))
        .withColumn(Columns.REJECT_REASON, functions.coalesce(col(Columns.REJECT_REASON), r));
  }

  private Dataset<Row> text(Dataset<Row> rows) {
    CaptionNormalizer normalizer = new CaptionNormalizer(conf.get(SiftKeys.TEXT_STRIP_TAGS));
    CaptionFilter filter =
        new CaptionFilter(
            conf.get(SiftKeys.TEXT_MIN_CHARS),
            conf.get(SiftKeys.TEXT_MAX_CHARS),
            conf.get(SiftKeys.TEXT_MIN_WORDS),
            conf.get(SiftKeys.TEXT_MAX_WORDS));
    rows =
        rows.withColumn(
            Columns.CAPTION,
            CaptionUdfs.normalize(normalizer, counters.get(Stage.TEXT))
                .apply(col(Columns.ORIGINAL_CAPTION)));
    Column reason = CaptionUdfs.rejectReason(filter).apply(col(Columns.CAPTION));
    return judge(rows, Stage.TEXT, reason, lit(null).cast(DataTypes.StringType));
  }

  private Dataset<Row> match(Dataset<Row> rows) {
    ConceptList list = concepts.list();
    Column matched;
    if (concepts.multilingual()) {
      rows = withLanguageCodes(rows);
      java.util.Set<String> known = java.util.Set.copyOf(concepts.languages().keySet());
      org.apache.spark.sql.api.java.UDF1<String, String> lang =
          code -> ConceptSource.language(code, known);
      rows =
          rows.withColumn(
              Columns.LANGUAGE,
              functions.udf(lang, DataTypes.StringType).apply(col(Columns.LANGUAGE)));
      Broadcast<Map<String, ConceptList>> shared =
          JavaSparkContext.fromSparkContext(spark.sparkContext())
              .broadcast(new HashMap<>(concepts.languages()));
      matched =
          ConceptUdfs.matchByLanguage(
                  shared,
                  list.digest() + "/" + concepts.semantics(),
                  concepts.semantics(),
                  counters.get(Stage.MATCH))
              .apply(col(Columns.CAPTION), col(Columns.LANGUAGE));
    } else {
      Broadcast<ConceptList> shared =
          JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(list);
      matched =
          ConceptUdfs.match(
                  shared,
                  list.digest() + "/" + concepts.semantics(),
                  concepts.semantics(),
                  counters.get(Stage.MATCH))
              .apply(col(Columns.CAPTION));
    }
    rows = rows.withColumn(Columns.CONCEPTS, when(alive(), matched));
    Column none = functions.size(col(Columns.CONCEPTS)).equalTo(0);
    return judge(
        rows,
        Stage.MATCH,
        when(none, lit(Reject.NO_CONCEPT.code())),
        lit(null).cast(DataTypes.StringType));
  }

  /**
   * The {@code language} column as the input gives it or as detected from the caption, by {@code
   * sift.match.language-detection}; the caller maps the codes to the lists' names. Detection runs
   * only on rows still alive and, in {@code auto}, only where the input has no code.
   */
  private Dataset<Row> withLanguageCodes(Dataset<Row> rows) {
    String mode = conf.get(SiftKeys.MATCH_LANGUAGE_DETECTION);
    boolean hasColumn = List.of(rows.columns()).contains(Columns.LANGUAGE);
    if (mode.equals("off")) {
      if (!hasColumn) {
        throw new dev.sift.jobs.SiftUserException(
            "sift.match.metadata = "
                + concepts.path()
                + " holds per-language lists "
                + concepts.languages().keySet()
                + ": map each caption's language with sift.input.columns.language (the column '"
                + conf.get(SiftKeys.COLUMN_LANGUAGE)
                + "' is not in the input) or set sift.match.language-detection = auto");
      }
      languageDetection = Map.of("mode", mode, "input_column", conf.get(SiftKeys.COLUMN_LANGUAGE));
      return rows;
    }
    LanguageDetector.Settings settings = detectorSettings(conf);
    Column detected =
        when(alive(), LanguageUdfs.detect(settings).apply(col(Columns.CAPTION)))
            .otherwise(lit(null).cast(DataTypes.StringType));
    Column code = detected;
    if (hasColumn && mode.equals("auto")) {
      Column given = col(Columns.LANGUAGE);
      code = when(given.isNull().or(functions.trim(given).equalTo("")), detected).otherwise(given);
    }
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("mode", mode);
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
   * @throws dev.sift.jobs.SiftUserException naming the key when a language code is unknown
   */
  static LanguageDetector.Settings detectorSettings(SiftConf conf) {
    List<String> codes = new ArrayList<>();
    for (String part : conf.get(SiftKeys.MATCH_DETECT_LANGUAGES).split(",", -1)) {
      if (!part.isBlank()) {
        codes.add(part.trim().toLowerCase(java.util.Locale.ROOT));
      }
    }
    try {
      return new LanguageDetector.Settings(
          codes,
          conf.get(SiftKeys.MATCH_DETECT_MIN_DISTANCE),
          conf.get(SiftKeys.MATCH_DETECT_ACCURACY).equals("low"));
    } catch (IllegalArgumentException e) {
      throw new dev.sift.jobs.SiftUserException(
          SiftKeys.MATCH_DETECT_LANGUAGES.name() + " = " + codes + ": " + e.getMessage(), e);
    }
  }

  /** How rows got their language, for the manifest; null without per-language lists. */
  public Map<String, Object> languageDetection() {
    return languageDetection;
  }

  /**
   * MetaCLIP balancing: counts per concept over the rows that reach this stage (one Spark
   * aggregation; only head concepts, those counted more than {@code t} times, travel to the driver
   * and back), the keep probability of every row, and the deterministic draw.
   */
  private Dataset<Row> balance(Dataset<Row> rows) {
    long t = conf.get(SiftKeys.BALANCE_T);
    long seed = conf.get(SiftKeys.BALANCE_SEED);
    spark.sparkContext().setJobDescription("sift: count matches per concept for balancing");
    boolean multilingual =
        concepts != null
            ? concepts.multilingual()
            : List.of(rows.columns()).contains(Columns.LANGUAGE);
    Map<String, Double> entryP = new HashMap<>();
    if (multilingual) {
      entryP = perLanguageProbabilities(rows, t);
    } else {
      List<Row> head =
          rows.where(alive())
              .select(functions.explode(col(Columns.CONCEPTS)).as("concept"))
              .groupBy("concept")
              .count()
              .where(col("count").gt(t))
              .collectAsList();
      for (Row r : head) {
        entryP.put(r.getString(0), Balancing.entryProbability(r.getLong(1), t));
      }
    }
    headConcepts = entryP.size();
    Broadcast<Map<String, Double>> shared =
        JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(entryP);
    Column probability =
        multilingual
            ? ConceptUdfs.keepProbabilityByLanguage(shared)
                .apply(col(Columns.CONCEPTS), col(Columns.LANGUAGE))
            : ConceptUdfs.keepProbability(shared).apply(col(Columns.CONCEPTS));
    rows = rows.withColumn(Columns.KEEP_PROBABILITY, when(alive(), probability));
    Column kept = ConceptUdfs.keep(seed).apply(col(Columns.ID), col(Columns.KEEP_PROBABILITY));
    return judge(
        rows,
        Stage.BALANCE,
        when(kept.unary_$bang(), lit(Reject.BALANCED_OUT.code())),
        functions.format_string("P = %.6f", col(Columns.KEEP_PROBABILITY)));
  }

  /**
   * CLIP scores, per partition in batches ({@link ClipScorePartitionFn}); the model is opened once
   * per executor JVM. The full decode happens here, so the probe only reads headers when scoring
   * runs (unless {@code sift.decode.verify} says otherwise).
   */
  private Dataset<Row> score(Dataset<Row> rows) {
    rows = rows.withColumn(Columns.CLIP_SCORE, lit(null).cast(DataTypes.DoubleType));
    boolean embeddings = conf.get(SiftKeys.SCORE_WRITE_EMBEDDINGS);
    if (embeddings) {
      rows =
          rows.withColumn(Columns.IMAGE_EMBEDDING, lit(null).cast(DataTypes.BinaryType))
              .withColumn(Columns.TEXT_EMBEDDING, lit(null).cast(DataTypes.BinaryType));
    }
    java.util.TreeMap<String, String> heads = new java.util.TreeMap<>();
    conf.get(SiftKeys.SCORE_HEADS).forEach((name, file) -> heads.put(name, (String) file));
    for (String head : heads.keySet()) {
      rows =
          rows.withColumn(
              ClipScorePartitionFn.headColumn(head), lit(null).cast(DataTypes.DoubleType));
    }
    StructType schema = rows.schema();
    scoreMetrics = new ScoreMetrics(spark.sparkContext(), Stage.SCORE.label());
    ClipScorePartitionFn fn =
        new ClipScorePartitionFn(
            schema,
            conf.get(SiftKeys.SCORE_MODEL),
            conf.get(SiftKeys.DEVICE),
            new ClipScorePartitionFn.Settings(
                conf.get(SiftKeys.SCORE_BATCH_SIZE),
                conf.get(SiftKeys.SCORE_THREADS),
                conf.get(SiftKeys.SCORE_DECODE_THREADS),
                conf.get(SiftKeys.SCORE_PREFETCH_BATCHES),
                conf.get(SiftKeys.SCORE_GPU_CONCURRENCY),
                heads,
                conf.get(SiftKeys.DECODE_MODE).equals("fast")),
            counters.get(Stage.SCORE),
            scoreMetrics);
    return rows.mapPartitions(fn, Encoders.row(schema));
  }

  /**
   * Rejects rows whose CLIP score is below the threshold: {@code sift.filter.min-score}, or, with
   * {@code sift.filter.top-fraction}, the score at that quantile of the rows reaching the filter.
   * The quantile needs every score first, so the scored rows are cached to run the model once.
   */
  private Dataset<Row> filter(Dataset<Row> rows) {
    double min = conf.get(SiftKeys.FILTER_MIN_SCORE);
    double fraction = conf.get(SiftKeys.FILTER_TOP_FRACTION);
    Map<String, Object> info = new LinkedHashMap<>();
    double threshold = min;
    if (fraction > 0) {
      double error = conf.get(SiftKeys.FILTER_QUANTILE_ERROR);
      rows = rows.persist(StorageLevel.MEMORY_AND_DISK());
      persisted.add(rows);
      spark.sparkContext().setJobDescription("sift: CLIP-score quantile for the top-fraction cut");
      String kept = Columns.INTERNAL_PREFIX + "kept_score";
      Dataset<Row> scored =
          rows.where(alive()).withColumn(kept, keptScore()).where(col(kept).isNotNull());
      double[] q = scored.stat().approxQuantile(kept, new double[] {1.0 - fraction}, error);
      // No scored row: nothing to keep, and no score can pass.
      double cut = q.length == 0 ? Double.POSITIVE_INFINITY : q[0];
      boolean minSet = conf.isUserSet(SiftKeys.FILTER_MIN_SCORE);
      threshold = minSet ? Math.max(min, cut) : cut;
      info.put("mode", minSet ? "top-fraction and min-score" : "top-fraction");
      info.put("top_fraction", fraction);
      info.put("quantile_error", error);
      info.put("quantile_score", q.length == 0 ? null : cut);
      if (minSet) {
        info.put("min_score", min);
      }
    } else {
      info.put("mode", "min-score");
      info.put("min_score", min);
    }
    info.put("threshold", Double.isInfinite(threshold) ? null : threshold);
    filterInfo = info;
    Column score = keptScore();
    Column low = score.isNull().or(score.lt(threshold));
    Column reason = when(low, lit(Reject.LOW_CLIP_SCORE.code()));
    Column detail =
        when(
            low,
            functions.format_string(
                String.format(Locale.ROOT, "clip_score = %%.4f < %.6f", threshold), score));
    Map<String, Object> headBounds = new java.util.TreeMap<>(conf.get(SiftKeys.FILTER_HEADS));
    if (!headBounds.isEmpty()) {
      info.put("heads", headBounds);
    }
    for (Map.Entry<String, Object> e : headBounds.entrySet()) {
      Column v = col(ClipScorePartitionFn.headColumn(e.getKey()));
      Column out = v.isNull();
      List<String> words = new ArrayList<>();
      Double lo = SiftKeys.headBound(e.getValue(), "min");
      Double hi = SiftKeys.headBound(e.getValue(), "max");
      if (lo != null) {
        out = out.or(v.lt(lo));
        words.add("min " + lo);
      }
      if (hi != null) {
        out = out.or(v.gt(hi));
        words.add("max " + hi);
      }
      // The first failed check names the row's reason; CLIP's threshold comes first.
      reason =
          when(reason.isNull().and(out), lit(Reject.HEAD_OUT_OF_RANGE.code())).otherwise(reason);
      detail =
          when(
                  detail.isNull().and(out),
                  functions.format_string(
                      ClipScorePartitionFn.headColumn(e.getKey())
                          + " = %s outside "
                          + String.join(", ", words),
                      v))
              .otherwise(detail);
    }
    return judge(rows, Stage.FILTER, reason, detail);
  }

  /**
   * MetaCLIP 2's per-language balancing: English (language {@code en}) uses {@code t}; every other
   * language gets the threshold that gives it English's tail share of matches ({@link
   * Balancing#tailShare}, {@link Balancing#thresholdForShare}). Counts per (language, concept) are
   * collected (one row per matched pair: at most the size of the lists); entries of a list that
   * nothing matched count as zeros when the lists are known. Degenerate cases: without English
   * matches every language uses {@code t}; a language with no match keeps {@code t}; a threshold of
   * 0 is raised to 1 (0 would drop every row of the language). Each is logged.
   *
   * @return head entries' probabilities, keyed {@code language + "\t" + concept}
   */
  private Map<String, Double> perLanguageProbabilities(Dataset<Row> rows, long t) {
    Map<String, Map<String, Long>> counts = new java.util.TreeMap<>();
    for (Row r :
        rows.where(alive())
            .select(col(Columns.LANGUAGE), functions.explode(col(Columns.CONCEPTS)).as("concept"))
            .groupBy(Columns.LANGUAGE, "concept")
            .count()
            .collectAsList()) {
      String lang = r.isNullAt(0) ? ConceptSource.OTHER : r.getString(0);
      counts.computeIfAbsent(lang, k -> new HashMap<>()).put(r.getString(1), r.getLong(2));
    }
    Map<String, long[]> vectors = new java.util.TreeMap<>();
    for (Map.Entry<String, Map<String, Long>> e : counts.entrySet()) {
      int listSize =
          concepts != null && concepts.languages().containsKey(e.getKey())
              ? concepts.languages().get(e.getKey()).size()
              : e.getValue().size();
      long[] v = new long[Math.max(listSize, e.getValue().size())];
      int i = 0;
      for (long c : e.getValue().values()) {
        v[i++] = c;
      }
      vectors.put(e.getKey(), v);
    }
    long[] english = vectors.get("en");
    double share = english == null ? 0 : Balancing.tailShare(english, t);
    boolean anchored = english != null && Arrays.stream(english).sum() > 0;
    if (!anchored) {
      LOG.warn("per-language balancing: no English (en) matches; every language uses t = {}", t);
    }
    Map<String, Object> thresholds = new java.util.TreeMap<>();
    Map<String, Double> entryP = new HashMap<>();
    for (Map.Entry<String, Map<String, Long>> e : counts.entrySet()) {
      String lang = e.getKey();
      long tl = t;
      if (anchored && !lang.equals("en")) {
        tl = Balancing.thresholdForShare(vectors.get(lang), share);
        if (tl < 0) {
          tl = t;
        } else if (tl == 0) {
          LOG.warn("per-language balancing: t for {} came out 0; using 1", lang);
          tl = 1;
        }
      }
      thresholds.put(lang, tl);
      for (Map.Entry<String, Long> c : e.getValue().entrySet()) {
        if (c.getValue() > tl) {
          entryP.put(lang + "\t" + c.getKey(), Balancing.entryProbability(c.getValue(), tl));
        }
      }
    }
    perLanguageT = new LinkedHashMap<>();
    perLanguageT.put("english_tail_share", anchored ? share : null);
    perLanguageT.put("t", thresholds);
    LOG.info("per-language balancing: English tail share {}, t per language {}", share, thresholds);
    return entryP;
  }

  /**
   * The CLIP score of the caption a row keeps: the synthetic caption's when re-captioning chose it,
   * else the original's. The filter judges this one.
   */
  private Column keptScore() {
    if (!active.contains(Stage.RECAPTION)) {
      return col(Columns.CLIP_SCORE);
    }
    return when(
            col(Columns.CAPTION_SOURCE).equalTo(lit(CAPTION_SYNTHETIC)),
            col(Columns.CLIP_SCORE_SYNTHETIC))
        .otherwise(col(Columns.CLIP_SCORE));
  }

  /**
   * Re-captioning: flags the rows {@code sift.recaption.when} selects (alive ones; with {@code
   * filtered-caption} also those the text filters rejected), generates and scores their captions
   * ({@link RecaptionPartitionFn}), then applies {@code sift.recaption.choose}. A text-rejected row
   * whose synthetic caption is kept is accepted again ("rescued"): its reject columns are cleared.
   */
  private Dataset<Row> recaption(Dataset<Row> rows) {
    Set<String> when = new java.util.TreeSet<>();
    for (String w : conf.get(SiftKeys.RECAPTION_WHEN).split(",")) {
      when.add(w.trim());
    }
    String choose = conf.get(SiftKeys.RECAPTION_CHOOSE);
    Column textRejected =
        col(Columns.REJECT_STAGE)
            .equalTo(lit(Stage.TEXT.label()))
            .and(col(Columns.IMAGE).isNotNull());
    Column flag = lit(false);
    if (when.contains("always")) {
      flag = flag.or(alive());
    }
    if (when.contains("below-score")) {
      double below = conf.get(SiftKeys.RECAPTION_BELOW_SCORE);
      flag =
          flag.or(
              alive().and(col(Columns.CLIP_SCORE).isNull().or(col(Columns.CLIP_SCORE).lt(below))));
    }
    boolean rescue = when.contains("filtered-caption") && !choose.equals("original");
    if (rescue) {
      flag = flag.or(textRejected);
    }
    rows =
        rows.withColumn(RECAPTION_FLAG, functions.coalesce(flag, lit(false)))
            .withColumn(RECAPTION_ERROR, lit(null).cast(DataTypes.StringType))
            .withColumn(Columns.SYNTHETIC_CAPTION, lit(null).cast(DataTypes.StringType))
            .withColumn(Columns.CLIP_SCORE_SYNTHETIC, lit(null).cast(DataTypes.DoubleType));
    StructType schema = rows.schema();
    recaptionMetrics = new ScoreMetrics(spark.sparkContext(), Stage.RECAPTION.label());
    RecaptionPartitionFn fn =
        new RecaptionPartitionFn(
            schema,
            RECAPTION_FLAG,
            RECAPTION_ERROR,
            new RecaptionPartitionFn.Settings(
                conf.get(SiftKeys.RECAPTION_MODEL),
                conf.get(SiftKeys.SCORE_MODEL),
                conf.get(SiftKeys.DEVICE),
                generation(conf),
                conf.get(SiftKeys.RECAPTION_BATCH_SIZE),
                conf.get(SiftKeys.SCORE_THREADS),
                conf.get(SiftKeys.SCORE_DECODE_THREADS),
                conf.get(SiftKeys.SCORE_PREFETCH_BATCHES),
                conf.get(SiftKeys.SCORE_GPU_CONCURRENCY),
                conf.get(SiftKeys.DECODE_MIN_SIZE),
                conf.get(SiftKeys.DECODE_MAX_ASPECT),
                conf.get(SiftKeys.DECODE_MAX_PIXELS),
                conf.get(SiftKeys.DECODE_MODE).equals("fast")),
            counters.get(Stage.RECAPTION),
            recaptionMetrics);
    rows = rows.mapPartitions(fn, Encoders.row(schema));

    Column syn = col(Columns.CLIP_SCORE_SYNTHETIC);
    Column orig = col(Columns.CLIP_SCORE);
    Column hasSynthetic = col(Columns.SYNTHETIC_CAPTION).isNotNull();
    // A rescued row's original caption was filtered out: only a synthetic one can stand for it.
    Column rescued = textRejected.and(hasSynthetic);
    Column useSynthetic =
        switch (choose) {
          case "original" -> lit(false);
          case "synthetic" -> hasSynthetic;
          default -> hasSynthetic.and(rescued.or(orig.isNull()).or(syn.gt(orig)));
        };
    rows = rows.withColumn(RECAPTION_USE, useSynthetic.and(alive().or(rescued)));
    Column use = col(RECAPTION_USE);
    rows =
        rows.withColumn(
                Columns.CAPTION,
                when(use, col(Columns.SYNTHETIC_CAPTION)).otherwise(col(Columns.CAPTION)))
            .withColumn(
                Columns.CAPTION_SOURCE,
                when(use, lit(CAPTION_SYNTHETIC))
                    .when(alive(), lit(CAPTION_ORIGINAL))
                    .otherwise(lit(null).cast(DataTypes.StringType)));
    if (choose.equals("synthetic") || choose.equals("best")) {
      // These keep one caption: synthetic_caption holds it only when it is the one kept. "both"
      // keeps both, and "original" keeps the generated one as the record of what it said;
      // clip_score_synthetic is written in every mode.
      rows = rows.withColumn(Columns.SYNTHETIC_CAPTION, when(use, col(Columns.SYNTHETIC_CAPTION)));
    }
    rows =
        rows.withColumn(RESCUED, rescued.and(use))
            .withColumn(
                Columns.REJECT_REASON,
                when(col(RESCUED), lit(null).cast(DataTypes.StringType))
                    .otherwise(col(Columns.REJECT_REASON)))
            .withColumn(
                Columns.REJECT_STAGE,
                when(col(RESCUED), lit(null).cast(DataTypes.StringType))
                    .otherwise(col(Columns.REJECT_STAGE)))
            .withColumn(
                Columns.REJECT_DETAIL,
                when(col(RESCUED), lit(null).cast(DataTypes.StringType))
                    .otherwise(col(Columns.REJECT_DETAIL)));
    return rows;
  }

  /** The decoding settings of {@code sift.recaption.*}. */
  public static Generation generation(SiftConf conf) {
    return new Generation(
        conf.get(SiftKeys.RECAPTION_NUM_BEAMS),
        conf.get(SiftKeys.RECAPTION_LENGTH_PENALTY),
        conf.get(SiftKeys.RECAPTION_MAX_NEW_TOKENS),
        conf.get(SiftKeys.RECAPTION_MIN_NEW_TOKENS),
        conf.get(SiftKeys.RECAPTION_REPETITION_PENALTY),
        conf.get(SiftKeys.RECAPTION_NO_REPEAT_NGRAM_SIZE),
        conf.get(SiftKeys.RECAPTION_PROMPT));
  }

  private Dataset<Row> decode(Dataset<Row> rows) {
    String verify = conf.get(SiftKeys.DECODE_VERIFY);
    if (active.contains(Stage.SCORE) && !conf.isUserSet(SiftKeys.DECODE_VERIFY)) {
      verify = "header";
    }
    ImageProbe prober =
        new ImageProbe(
            ImageProbe.Verify.valueOf(verify.toUpperCase(Locale.ROOT)),
            conf.get(SiftKeys.DECODE_MIN_SIZE),
            conf.get(SiftKeys.DECODE_MAX_ASPECT),
            conf.get(SiftKeys.DECODE_MAX_PIXELS));
    String probe = Columns.INTERNAL_PREFIX + "probe";
    rows =
        rows.withColumn(
            probe,
            when(
                alive(),
                ImageProbeUdf.create(prober, counters.get(Stage.DECODE))
                    .apply(col(Columns.IMAGE))));
    Column p = col(probe);
    rows =
        rows.withColumn(Columns.WIDTH, functions.coalesce(p.getField("width"), col(Columns.WIDTH)))
            .withColumn(
                Columns.HEIGHT, functions.coalesce(p.getField("height"), col(Columns.HEIGHT)))
            .withColumn(Columns.IMAGE_FORMAT, p.getField("format"));
    return judge(rows, Stage.DECODE, p.getField("reject_reason"), p.getField("reject_detail"));
  }

  /** Ids from the input where present and non-blank, derived from content otherwise. */
  private Dataset<Row> withIds(InputReader.Input input) {
    Column derived =
        StableIdUdf.create().apply(col(Columns.URL), col(Columns.CAPTION), col(Columns.IMAGE));
    Column given = functions.trim(col(Columns.ID));
    Column id =
        input.hasId()
            ? when(given.isNull().or(given.equalTo("")), derived).otherwise(col(Columns.ID))
            : derived;
    return input.rows().withColumn(Columns.ID, id);
  }

  /**
   * Flags all but one row of each duplicated id. A first pass counts ids (only the id column
   * travels); the few duplicated ids pick their winner (smallest caption, then url, then input
   * position) in a second pass; the main pass joins that small table by broadcast, so no input row
   * is shuffled. The position is Spark's, stable for a given set of input files.
   */
  private Dataset<Row> markDuplicates(Dataset<Row> rows) {
    Dataset<Row> withPos = rows.withColumn(POS, functions.monotonically_increasing_id());
    Dataset<Row> dupIds =
        withPos.groupBy(Columns.ID).count().where(col("count").gt(1)).select(Columns.ID);
    Dataset<Row> winners =
        withPos
            .join(broadcast(dupIds), Columns.ID)
            .withColumn(
                "_rank",
                functions
                    .row_number()
                    .over(
                        Window.partitionBy(Columns.ID)
                            .orderBy(
                                col(Columns.CAPTION).asc_nulls_last(),
                                col(Columns.URL).asc_nulls_last(),
                                col(POS).asc())))
            .where(col("_rank").equalTo(1))
            .select(col(Columns.ID).as(Columns.INTERNAL_PREFIX + "dup_id"), col(POS).as(WINNER));
    Column dupId = col(Columns.INTERNAL_PREFIX + "dup_id");
    Dataset<Row> joined =
        withPos.join(broadcast(winners), withPos.col(Columns.ID).equalTo(dupId), "left");
    return joined
        .withColumn(
            WINNER, when(dupId.isNull(), lit(true)).otherwise(col(POS).equalTo(col(WINNER))))
        .drop(dupId.toString(), POS);
  }

  /** Columns of stages that did not run: typed nulls, never made-up values. */
  private static Dataset<Row> withOffStageColumns(Dataset<Row> rows) {
    Map<String, DataType> off = new LinkedHashMap<>();
    off.put(Columns.SYNTHETIC_CAPTION, DataTypes.StringType);
    off.put(Columns.CAPTION_SOURCE, DataTypes.StringType);
    off.put(Columns.CLIP_SCORE, DataTypes.DoubleType);
    off.put(Columns.CLIP_SCORE_SYNTHETIC, DataTypes.DoubleType);
    List<String> present = List.of(rows.columns());
    for (Map.Entry<String, DataType> c : off.entrySet()) {
      if (!present.contains(c.getKey())) {
        rows = rows.withColumn(c.getKey(), lit(null).cast(c.getValue()));
      }
    }
    return rows;
  }
}
