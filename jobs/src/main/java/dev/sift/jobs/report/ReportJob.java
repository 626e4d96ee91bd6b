package dev.sift.jobs.report;

import static org.apache.spark.sql.functions.abs;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sift.curation.models.Float16;
import dev.sift.curation.report.Histogram;
import dev.sift.curation.report.Report;
import dev.sift.curation.report.ReportJson;
import dev.sift.curation.report.ReportPage;
import dev.sift.curation.report.Thumbnails;
import dev.sift.curation.report.Vendi;
import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.jobs.pipeline.OutputWriter;
import dev.sift.udfs.Columns;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;

/**
 * Builds the report of one output directory from what is on disk, never from a run's memory, so
 * {@code curate} and a later {@code sift report} give the same {@code report.json} byte for byte.
 * The statistics are Spark aggregations (group-by counts of binned scores and lengths, sums); the
 * driver collects only aggregates, the per-concept rank samples and the gallery's few rows.
 * Quantiles and the kept-fraction curve come from a fine histogram (integer counts, so the figures
 * do not depend on partitioning; a quantile is within one fine bin of the exact one).
 *
 * <p>Driver-side; stateless.
 */
public final class ReportJob {
  /** The folder under the output directory. */
  public static final String DIR = "report";

  public static final String JSON_FILE = "report.json";
  public static final String HTML_FILE = "report.html";

  /** Fine bins per display bin: quantiles and the curve are read off the fine histogram. */
  static final int FINE = 250;

  static final double[] QUANTILES = {0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99};

  /** Caption-length display bins of 10 characters; the last holds every longer caption. */
  static final int LENGTH_BIN = 10;

  static final int LENGTH_BINS = 31;

  private static final String SCORE = "_s";
  private static final String ACCEPTED_FLAG = "_acc";

  /** The report's settings ({@code sift.report.*}). */
  public record Options(
      int examples,
      int histogramBins,
      double fixedThreshold,
      double topFraction,
      int diversitySample,
      int thumbnailSize) {
    /** The settings of {@code conf}. */
    public static Options of(SiftConf conf) {
      return new Options(
          conf.get(SiftKeys.REPORT_EXAMPLES),
          conf.get(SiftKeys.REPORT_HISTOGRAM_BINS),
          conf.get(SiftKeys.REPORT_FIXED_THRESHOLD),
          conf.get(SiftKeys.REPORT_TOP_FRACTION),
          conf.get(SiftKeys.REPORT_DIVERSITY_SAMPLE),
          conf.get(SiftKeys.REPORT_THUMBNAIL_SIZE));
    }

    /**
     * The settings the run used (its manifest's {@code sift.report.*}), each replaced by {@code
     * conf}'s where the user set it: rebuilding a report with no options reproduces it.
     */
    public static Options of(JsonNode manifest, SiftConf conf) {
      JsonNode c = manifest.path("config");
      return new Options(
          pick(conf, c, SiftKeys.REPORT_EXAMPLES, JsonNode::asInt),
          pick(conf, c, SiftKeys.REPORT_HISTOGRAM_BINS, JsonNode::asInt),
          pick(conf, c, SiftKeys.REPORT_FIXED_THRESHOLD, JsonNode::asDouble),
          pick(conf, c, SiftKeys.REPORT_TOP_FRACTION, JsonNode::asDouble),
          pick(conf, c, SiftKeys.REPORT_DIVERSITY_SAMPLE, JsonNode::asInt),
          pick(conf, c, SiftKeys.REPORT_THUMBNAIL_SIZE, JsonNode::asInt));
    }

    private static <T> T pick(
        SiftConf conf,
        JsonNode runConfig,
        dev.sift.jobs.config.ConfigKey<T> key,
        java.util.function.Function<JsonNode, T> read) {
      JsonNode v = runConfig.path(key.name());
      return conf.isUserSet(key) || !v.isValueNode() ? conf.get(key) : read.apply(v);
    }
  }

  /** The report of a finished run failed; the run's outputs and manifest are complete and stay. */
  public static final class ReportFailedException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ReportFailedException(String dir, Throwable cause) {
      super(
          "the run's outputs and manifest in "
              + dir
              + " are complete, but its report failed ("
              + cause
              + "); rebuild it with: sift report --output "
              + dir,
          cause);
    }
  }

  private final SparkSession spark;
  private final String dir;
  private final Options options;
  private final JsonNode manifest;
  private final Dataset<Row> accepted;
  private final Dataset<Row> rejected;

  private ReportJob(SparkSession spark, String dir, Options options) {
    this.spark = spark;
    this.dir = dir;
    this.options = options;
    this.manifest = readManifest(spark, dir);
    this.accepted = spark.read().parquet(new Path(dir, OutputWriter.ACCEPTED).toString());
    this.rejected = spark.read().parquet(new Path(dir, OutputWriter.REJECTED).toString());
  }

  /**
   * Builds the report of {@code dir} (and the comparison with {@code baseline} when not null) and
   * writes {@code report/report.json} and {@code report/report.html} under it, replacing earlier
   * ones.
   */
  public static Report write(SparkSession spark, String dir, String baseline, Options options) {
    Report report = build(spark, dir, baseline, options);
    writeText(spark, new Path(new Path(dir, DIR), JSON_FILE), ReportJson.write(report));
    writeText(spark, new Path(new Path(dir, DIR), HTML_FILE), ReportPage.render(report));
    return report;
  }

  /** The report of {@code dir}, compared with {@code baseline} when not null. */
  public static Report build(SparkSession spark, String dir, String baseline, Options options) {
    spark.sparkContext().setJobDescription("sift report: " + dir);
    ReportJob job = new ReportJob(spark, dir, options);
    Report report = job.build();
    if (baseline != null) {
      ReportJob base = new ReportJob(spark, baseline, options);
      report = report.withComparison(job.compare(report, base, baseline));
    }
    return report;
  }

  /** The manifest of {@code dir}; exit 2 (a {@link SiftUserException}) naming it when missing. */
  public static JsonNode readManifest(SparkSession spark, String dir) {
    Path path = new Path(dir, OutputWriter.MANIFEST);
    try {
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.exists(path)) {
        throw new SiftUserException(
            path
                + " not found: not a complete Sift output directory (the manifest is written"
                + " last)");
      }
      try (InputStream in = fs.open(path)) {
        return new ObjectMapper().readTree(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }

  private Report build() {
    Report.Scores scores = scores();
    return new Report(
        Report.VERSION,
        summary(),
        funnel(),
        scores,
        thresholdChoices(scores),
        concepts(),
        captions(),
        diversity(),
        gallery(scores),
        null);
  }

  // ---- summary and funnel: the manifest, and the rejected rows by stage and reason ----

  private Report.Summary summary() {
    JsonNode m = manifest;
    List<Report.ModelFile> models = new ArrayList<>();
    for (JsonNode f : m.path("models")) {
      models.add(
          new Report.ModelFile(
              f.path("role").asText(),
              f.path("file").asText(),
              f.path("bytes").asLong(),
              f.path("sha256").asText()));
    }
    Map<String, String> stages = new LinkedHashMap<>();
    m.path("stages").fields().forEachRemaining(e -> stages.put(e.getKey(), e.getValue().asText()));
    Map<String, Double> timings = new LinkedHashMap<>();
    m.path("timings")
        .fields()
        .forEachRemaining(e -> timings.put(e.getKey(), e.getValue().asDouble()));
    double pass = m.path("timings").path("stages_and_write_seconds").asDouble(Double.NaN);
    List<Report.Throughput> throughput = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = m.path("counts").path("per_stage").fields();
        it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      long in = e.getValue().path("in").asLong();
      throughput.add(
          new Report.Throughput(
              e.getKey(), in, ReportJson.round(in / pass), "stages and write (one fused pass)"));
    }
    JsonNode score = m.path("metrics").path("score");
    if (score.has("inference_seconds")) {
      long rows = score.path("model_rows").asLong();
      throughput.add(
          new Report.Throughput(
              "score (model only)",
              rows,
              ReportJson.round(rows / score.path("inference_seconds").asDouble()),
              "model inference time"));
    }
    JsonNode input = m.path("input");
    return new Report.Summary(
        input.path("path").asText(),
        input.path("format").asText(),
        input.path("file_count").asLong(),
        m.path("command").asText(),
        m.path("config_source").asText(),
        configDigest(m.path("config")),
        m.path("sift_version").asText(),
        m.path("git_commit").asText(),
        m.path("spark_version").asText(),
        m.path("started_at").asText(),
        m.path("finished_at").asText(),
        m.path("timings").has("total_seconds")
            ? m.path("timings").path("total_seconds").asDouble()
            : null,
        timings,
        stages,
        models,
        throughput,
        m.path("config").path("sift.device").asText(null),
        executors(m));
  }

  /** Every executor's device line from the model stages' metrics, once each, in order. */
  private static List<String> executors(JsonNode manifest) {
    java.util.Set<String> lines = new java.util.LinkedHashSet<>();
    for (String stage : List.of("score", "recaption")) {
      manifest.path("metrics").path(stage).path("devices").forEach(d -> lines.add(d.asText()));
    }
    return List.copyOf(lines);
  }

  /** SHA-256 of the resolved configuration as JSON with sorted keys. */
  static String configDigest(JsonNode config) {
    try {
      ObjectMapper sorted =
          new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);
      Object tree = sorted.treeToValue(config, Object.class);
      byte[] bytes = sorted.writeValueAsString(tree).getBytes(StandardCharsets.UTF_8);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new IllegalStateException("cannot digest the configuration", e);
    }
  }

  private Report.Funnel funnel() {
    Map<String, List<Report.Count>> reasons = new TreeMap<>();
    for (Row r :
        rejected
            .groupBy(col(Columns.REJECT_STAGE), col(Columns.REJECT_REASON))
            .count()
            .orderBy(col(Columns.REJECT_STAGE), col("count").desc(), col(Columns.REJECT_REASON))
            .collectAsList()) {
      reasons
          .computeIfAbsent(r.getString(0), k -> new ArrayList<>())
          .add(new Report.Count(r.getString(1), r.getLong(2)));
    }
    List<Report.FunnelStage> stages = new ArrayList<>();
    JsonNode counts = manifest.path("counts");
    counts
        .path("per_stage")
        .fields()
        .forEachRemaining(
            e ->
                stages.add(
                    new Report.FunnelStage(
                        e.getKey(),
                        e.getValue().path("in").asLong(),
                        e.getValue().path("out").asLong(),
                        e.getValue().path("rejected").asLong(),
                        reasons.getOrDefault(e.getKey(), List.of()))));
    return new Report.Funnel(
        counts.path("input").asLong(),
        counts.path("accepted").asLong(),
        counts.path("rejected").asLong(),
        stages);
  }

  // ---- scores ----

  /** Every scored row: score, synthetic score, whether accepted. */
  private Dataset<Row> scoredRows() {
    return accepted
        .select(
            col(Columns.CLIP_SCORE).as(SCORE),
            col(Columns.CLIP_SCORE_SYNTHETIC).as("_ss"),
            lit(true).as(ACCEPTED_FLAG))
        .unionAll(
            rejected.select(
                col(Columns.CLIP_SCORE).as(SCORE),
                col(Columns.CLIP_SCORE_SYNTHETIC).as("_ss"),
                lit(false).as(ACCEPTED_FLAG)));
  }

  /** The shared binning of this run's score histograms: [lo, lo + bins * width). */
  record Binning(double lo, double width, int bins) {
    Column bin(Column value) {
      return least(lit(bins - 1), greatest(lit(0), floor(value.minus(lo).divide(width))))
          .cast("int");
    }
  }

  private Binning binning;
  private Histogram fineAll;

  private Report.Scores scores() {
    Row agg =
        scoredRows()
            .agg(
                count(col(SCORE)),
                min(col(SCORE)),
                max(col(SCORE)),
                avg(col(SCORE)),
                count(col("_ss")),
                min(col("_ss")),
                max(col("_ss")),
                sum(when(col(SCORE).isNotNull().and(col(ACCEPTED_FLAG)), 1L).otherwise(0L)))
            .first();
    long scored = agg.getLong(0);
    if (scored == 0) {
      return Report.Scores.absent(
          Report.notComputed("no CLIP scores (the score stage did not run)"));
    }
    long synthetic = agg.getLong(4);
    double lo = agg.getDouble(1);
    double hi = agg.getDouble(2);
    if (synthetic > 0) {
      lo = Math.min(lo, agg.getDouble(5));
      hi = Math.max(hi, agg.getDouble(6));
    }
    // Display bins on a round grid of 0.05 that covers every score.
    lo = Math.floor(lo * 20 - 1e-9) / 20;
    hi = Math.ceil(hi * 20 + 1e-9) / 20;
    if (hi <= lo) {
      hi = lo + 0.05;
    }
    int bins = options.histogramBins();
    binning = new Binning(lo, (hi - lo) / (bins * FINE), bins * FINE);
    Map<Boolean, long[]> fine = fineHistograms(scoredRows(), col(SCORE), col(ACCEPTED_FLAG));
    long[] acc = fine.getOrDefault(true, new long[binning.bins()]);
    long[] rej = fine.getOrDefault(false, new long[binning.bins()]);
    long[] all = new long[binning.bins()];
    for (int i = 0; i < all.length; i++) {
      all[i] = acc[i] + rej[i];
    }
    fineAll = new Histogram(lo, binning.width(), all);
    List<Report.Quantile> quantiles = quantiles(fineAll);
    String syntheticStatus;
    long[] synthHist = null;
    List<Report.Quantile> synthQuantiles = null;
    if (synthetic > 0) {
      Map<Boolean, long[]> s = fineHistograms(scoredRows(), col("_ss"), lit(true));
      Histogram h = new Histogram(lo, binning.width(), s.get(true));
      synthHist = h.coarsen(FINE).counts();
      synthQuantiles = quantiles(h);
      syntheticStatus = Report.COMPUTED;
    } else {
      syntheticStatus = Report.notComputed("no synthetic captions (re-captioning did not run)");
    }
    List<Histogram.KeptPoint> curve = new ArrayList<>();
    for (Histogram.KeptPoint p : fineAll.keptCurve(FINE / 5)) {
      curve.add(
          new Histogram.KeptPoint(
              ReportJson.round(p.threshold()), p.kept(), ReportJson.round(p.fraction())));
    }
    JsonNode filter = manifest.path("filter");
    Double configured = null;
    String source = null;
    if (filter.has("threshold") && !filter.path("threshold").isNull()) {
      configured = filter.path("threshold").asDouble();
      source = "filter, " + filter.path("mode").asText();
    }
    long acceptedScored = agg.getLong(7);
    return new Report.Scores(
        Report.COMPUTED,
        scored,
        acceptedScored,
        scored - acceptedScored,
        ReportJson.round(lo),
        ReportJson.round(binning.width() * FINE),
        new Histogram(lo, binning.width(), acc).coarsen(FINE).counts(),
        new Histogram(lo, binning.width(), rej).coarsen(FINE).counts(),
        syntheticStatus,
        synthetic,
        synthHist,
        quantiles,
        synthQuantiles,
        ReportJson.round(agg.getDouble(3)),
        ReportJson.round(agg.getDouble(1)),
        ReportJson.round(agg.getDouble(2)),
        curve,
        configured,
        source,
        String.format(
            java.util.Locale.ROOT,
            "Quantiles and the kept-fraction curve are read off a %d-bin histogram of the scores"
                + " (Spark group-by counts): each quantile is within %.6f (one bin) of the exact"
                + " one, and the curve is exact at the plotted thresholds.",
            binning.bins(),
            binning.width()));
  }

  /** Fine-bin counts of {@code value} per {@code key}, over rows where the value is not null. */
  private Map<Boolean, long[]> fineHistograms(Dataset<Row> rows, Column value, Column key) {
    Map<Boolean, long[]> out = new TreeMap<>();
    for (Row r :
        rows.where(value.isNotNull())
            .groupBy(key.as("k"), binning.bin(value).as("b"))
            .count()
            .collectAsList()) {
      out.computeIfAbsent(r.getBoolean(0), k -> new long[binning.bins()])[r.getInt(1)] =
          r.getLong(2);
    }
    return out;
  }

  private static List<Report.Quantile> quantiles(Histogram h) {
    List<Report.Quantile> out = new ArrayList<>();
    for (double p : QUANTILES) {
      out.add(new Report.Quantile(p, ReportJson.round(h.quantile(p))));
    }
    return out;
  }

  private Report.ThresholdChoices thresholdChoices(Report.Scores scores) {
    if (!Report.COMPUTED.equals(scores.status())) {
      return new Report.ThresholdChoices(Report.notComputed("no CLIP scores"), null, null, null);
    }
    double fixed = options.fixedThreshold();
    double fraction = options.topFraction();
    double cut = fineAll.quantile(1 - fraction);
    Column s = col(Columns.CLIP_SCORE);
    Dataset<Row> all =
        accepted
            .select(col(Columns.CLIP_SCORE), col(Columns.CONCEPTS))
            .unionAll(rejected.select(col(Columns.CLIP_SCORE), col(Columns.CONCEPTS)))
            .where(s.isNotNull());
    Row kept =
        all.agg(
                sum(when(s.geq(fixed), 1L).otherwise(0L)),
                sum(when(s.geq(cut), 1L).otherwise(0L)),
                count(lit(1)))
            .first();
    Row cov =
        all.select(explode(col(Columns.CONCEPTS)).as("c"), s)
            .groupBy("c")
            .agg(max(s).as("m"))
            .agg(
                count(lit(1)),
                sum(when(col("m").geq(fixed), 1L).otherwise(0L)),
                sum(when(col("m").geq(cut), 1L).otherwise(0L)))
            .first();
    long total = kept.getLong(2);
    long concepts = cov.getLong(0);
    Long coveredFixed = concepts == 0 ? null : cov.getLong(1);
    Long coveredTop = concepts == 0 ? null : cov.getLong(2);
    return new Report.ThresholdChoices(
        Report.COMPUTED,
        new Report.Cut(
            String.format(java.util.Locale.ROOT, "fixed: score ≥ %.2f (LAION)", fixed),
            fixed,
            kept.getLong(0),
            ReportJson.round((double) kept.getLong(0) / total),
            coveredFixed,
            concepts == 0 ? null : concepts,
            concepts == 0 ? null : ReportJson.round((double) coveredFixed / concepts)),
        new Report.Cut(
            String.format(
                java.util.Locale.ROOT, "top fraction: best %.0f%% (DataComp)", fraction * 100),
            ReportJson.round(cut),
            kept.getLong(1),
            ReportJson.round((double) kept.getLong(1) / total),
            coveredTop,
            concepts == 0 ? null : concepts,
            concepts == 0 ? null : ReportJson.round((double) coveredTop / concepts)),
        "Both cuts are applied to every scored row of this run (accepted and rejected). A concept"
            + " is covered when at least one row matching it is kept."
            + (concepts == 0
                ? " Concept coverage needs concept matching, which did not run."
                : ""));
  }

  // ---- concepts ----

  private Report.Concepts concepts() {
    Dataset<Row> counts =
        spark.read().parquet(new Path(dir, OutputWriter.CONCEPT_COUNTS).toString());
    boolean balanced = manifest.has("balance");
    long t =
        balanced
            ? manifest.path("balance").path("t").asLong()
            : manifest.path("config").path(SiftKeys.BALANCE_T.name()).asLong(20_000L);
    Column head = col("matched").gt(t);
    Row agg =
        counts
            .agg(
                count(lit(1)),
                sum("matched"),
                sum("kept"),
                sum(when(head, 1L).otherwise(0L)),
                sum(when(head, col("matched")).otherwise(0L)),
                sum(when(head, col("kept")).otherwise(0L)))
            .first();
    long n = agg.getLong(0);
    if (n == 0) {
      return Report.Concepts.absent(
          Report.notComputed("no concept counts (concept matching did not run)"));
    }
    long matched = agg.getLong(1);
    long kept = agg.getLong(2);
    double headBefore = (double) agg.getLong(4) / matched;
    double headAfter = kept == 0 ? Double.NaN : (double) agg.getLong(5) / kept;
    int k = Math.max(1, options.examples());
    return new Report.Concepts(
        Report.COMPUTED,
        t,
        balanced,
        n,
        matched,
        kept,
        agg.getLong(3),
        ReportJson.round(headBefore),
        ReportJson.round(headAfter),
        ReportJson.round(1 - headBefore),
        ReportJson.round(1 - headAfter),
        rankFrequency(counts, "matched", n),
        rankFrequency(counts, "kept", n),
        conceptRows(counts.orderBy(col("matched").desc(), col("concept")).limit(k)),
        conceptRows(
            counts
                .where(col("matched").gt(col("kept")))
                .orderBy(col("matched").minus(col("kept")).desc(), col("concept"))
                .limit(k)));
  }

  /** Log-spaced ranks 1..n: every rank to 10, then about 20 per decade, and n itself. */
  static List<Long> logRanks(long n) {
    TreeSet<Long> ranks = new TreeSet<>();
    for (long r = 1; r <= Math.min(10, n); r++) {
      ranks.add(r);
    }
    for (double x = 1; Math.pow(10, x) <= n; x += 0.05) {
      ranks.add(Math.round(Math.pow(10, x)));
    }
    ranks.add(n);
    return new ArrayList<>(ranks.headSet(n, true));
  }

  private List<Report.RankPoint> rankFrequency(Dataset<Row> counts, String column, long n) {
    List<Long> ranks = logRanks(n);
    List<Report.RankPoint> out = new ArrayList<>();
    for (Row r :
        counts
            .select(
                col(column),
                row_number().over(Window.orderBy(col(column).desc(), col("concept"))).as("rank"))
            .where(col("rank").isin(ranks.toArray()))
            .orderBy("rank")
            .collectAsList()) {
      out.add(new Report.RankPoint(r.getInt(1), r.getLong(0)));
    }
    return out;
  }

  private static List<Report.ConceptRow> conceptRows(Dataset<Row> rows) {
    List<Report.ConceptRow> out = new ArrayList<>();
    for (Row r : rows.select("concept", "matched", "kept").collectAsList()) {
      out.add(
          new Report.ConceptRow(
              r.getString(0),
              r.getLong(1),
              r.getLong(2),
              ReportJson.round((double) r.getLong(2) / r.getLong(1))));
    }
    return out;
  }

  // ---- captions ----

  private Report.Captions captions() {
    long[] before = new long[LENGTH_BINS];
    long[] after = new long[LENGTH_BINS];
    Map<Integer, Long> exactBefore =
        lengths(
            accepted
                .select(Columns.ORIGINAL_CAPTION)
                .unionAll(rejected.select(Columns.ORIGINAL_CAPTION)),
            Columns.ORIGINAL_CAPTION);
    Map<Integer, Long> exactAfter = lengths(accepted, Columns.CAPTION);
    exactBefore.forEach((len, c) -> before[Math.min(LENGTH_BINS - 1, len / LENGTH_BIN)] += c);
    exactAfter.forEach((len, c) -> after[Math.min(LENGTH_BINS - 1, len / LENGTH_BIN)] += c);

    List<Report.Count> sources = new ArrayList<>();
    long synthetic = 0;
    for (Row r :
        accepted
            .where(col(Columns.CAPTION_SOURCE).isNotNull())
            .groupBy(Columns.CAPTION_SOURCE)
            .count()
            .orderBy(col("count").desc(), col(Columns.CAPTION_SOURCE))
            .collectAsList()) {
      sources.add(new Report.Count(r.getString(0), r.getLong(1)));
      if (r.getString(0).equals("synthetic")) {
        synthetic = r.getLong(1);
      }
    }
    long acceptedRows = manifest.path("counts").path("accepted").asLong();
    int k = Math.max(1, options.examples() / 4);
    List<Report.Example> examples = new ArrayList<>();
    Column len = length(col(Columns.CAPTION));
    examples.addAll(examples(accepted.orderBy(len, col(Columns.ID)).limit(k), false));
    examples.addAll(examples(accepted.orderBy(len.desc(), col(Columns.ID)).limit(k), false));
    return new Report.Captions(
        Report.COMPUTED,
        LENGTH_BIN,
        before,
        after,
        mean(exactBefore),
        mean(exactAfter),
        median(exactBefore),
        median(exactAfter),
        sources.isEmpty()
            ? Report.notComputed("no caption_source (re-captioning did not run)")
            : Report.COMPUTED,
        sources.isEmpty() ? null : sources,
        sources.isEmpty() || acceptedRows == 0
            ? null
            : ReportJson.round((double) synthetic / acceptedRows),
        examples);
  }

  /** Rows per caption length in characters (few distinct lengths: collected). */
  private static Map<Integer, Long> lengths(Dataset<Row> rows, String column) {
    Map<Integer, Long> out = new TreeMap<>();
    for (Row r :
        rows.where(col(column).isNotNull())
            .groupBy(length(col(column)).as("n"))
            .count()
            .collectAsList()) {
      out.put(r.getInt(0), r.getLong(1));
    }
    return out;
  }

  private static Double mean(Map<Integer, Long> lengths) {
    long n = 0;
    long sum = 0;
    for (Map.Entry<Integer, Long> e : lengths.entrySet()) {
      n += e.getValue();
      sum += e.getKey() * e.getValue();
    }
    return n == 0 ? null : ReportJson.round((double) sum / n);
  }

  /** The exact median (the mean of the two middle values for an even count). */
  static Double median(Map<Integer, Long> lengths) {
    long n = lengths.values().stream().mapToLong(Long::longValue).sum();
    if (n == 0) {
      return null;
    }
    long lower = (n - 1) / 2;
    long upper = n / 2;
    Integer lowValue = null;
    long seen = 0;
    for (Map.Entry<Integer, Long> e : new TreeMap<>(lengths).entrySet()) {
      seen += e.getValue();
      if (lowValue == null && seen > lower) {
        lowValue = e.getKey();
      }
      if (seen > upper) {
        return (lowValue + e.getKey()) / 2.0;
      }
    }
    throw new IllegalStateException("unreachable");
  }

  // ---- diversity ----

  private Report.Diversity diversity() {
    if (!List.of(accepted.columns()).contains(Columns.IMAGE_EMBEDDING)) {
      return Report.Diversity.absent(
          Report.notComputed(
              "embeddings not written (set sift.score.write-embeddings = true to compute it)"));
    }
    Column e = col(Columns.IMAGE_EMBEDDING);
    Dataset<Row> all =
        accepted.select(col(Columns.ID), e).unionAll(rejected.select(col(Columns.ID), e));
    float[][] before = sample(all);
    float[][] after = sample(accepted.select(col(Columns.ID), e));
    if (before.length < 2) {
      return Report.Diversity.absent(
          Report.notComputed("fewer than two rows have an image embedding"));
    }
    return new Report.Diversity(
        Report.COMPUTED,
        before.length,
        after.length,
        ReportJson.round(Vendi.score(before)),
        after.length == 0 ? null : ReportJson.round(Vendi.score(after)));
  }

  private float[][] sample(Dataset<Row> rows) {
    List<Row> picked =
        rows.where(col(Columns.IMAGE_EMBEDDING).isNotNull())
            .orderBy(xxhash64(col(Columns.ID)), col(Columns.ID))
            .limit(options.diversitySample())
            .collectAsList();
    float[][] out = new float[picked.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = Float16.decode((byte[]) picked.get(i).get(1));
    }
    return out;
  }

  // ---- gallery ----

  private Dataset<Row> galleryRows() {
    List<Column> cols = new ArrayList<>();
    for (String c :
        List.of(
            Columns.ID,
            Columns.CAPTION,
            Columns.ORIGINAL_CAPTION,
            Columns.SYNTHETIC_CAPTION,
            Columns.CAPTION_SOURCE,
            Columns.CLIP_SCORE,
            Columns.CLIP_SCORE_SYNTHETIC,
            Columns.WIDTH,
            Columns.HEIGHT)) {
      cols.add(col(c));
    }
    boolean image = List.of(accepted.columns()).contains(Columns.IMAGE);
    cols.add(image ? col(Columns.IMAGE) : lit(null).cast("binary").as(Columns.IMAGE));
    List<Column> acc = new ArrayList<>(cols);
    acc.add(lit(null).cast("string").as("_outcome"));
    List<Column> rej = new ArrayList<>(cols);
    rej.add(
        org.apache
            .spark
            .sql
            .functions
            .concat_ws("/", col(Columns.REJECT_STAGE), col(Columns.REJECT_REASON))
            .as("_outcome"));
    return accepted
        .select(acc.toArray(Column[]::new))
        .unionAll(rejected.select(rej.toArray(Column[]::new)));
  }

  private Report.Gallery gallery(Report.Scores scores) {
    if (!Report.COMPUTED.equals(scores.status())) {
      return Report.Gallery.absent(Report.notComputed("no CLIP scores to rank rows by"));
    }
    int k = options.examples();
    Dataset<Row> rows = galleryRows();
    Dataset<Row> scored = rows.where(col(Columns.CLIP_SCORE).isNotNull());
    Column s = col(Columns.CLIP_SCORE);
    Column id = col(Columns.ID);
    double threshold;
    String source;
    if (scores.configuredThreshold() != null) {
      threshold = scores.configuredThreshold();
      source = scores.thresholdSource();
    } else {
      threshold = fineAll.quantile(1 - options.topFraction());
      source =
          String.format(
              java.util.Locale.ROOT,
              "no filter ran; the top-%.0f%% cut of this run",
              options.topFraction() * 100);
    }
    Dataset<Row> recaptioned = rows.where(col(Columns.SYNTHETIC_CAPTION).isNotNull());
    List<Report.Example> re = examples(recaptioned.orderBy(xxhash64(id), id).limit(k), true);
    return new Report.Gallery(
        Report.COMPUTED,
        ReportJson.round(threshold),
        source,
        examples(scored.orderBy(s.desc(), id).limit(k), true),
        examples(scored.orderBy(s, id).limit(k), true),
        examples(scored.orderBy(abs(s.minus(threshold)), id).limit(k), true),
        re.isEmpty()
            ? Report.notComputed("no re-captioned rows (re-captioning did not run)")
            : Report.COMPUTED,
        re.isEmpty() ? null : re);
  }

  /** Collects {@code rows} (already limited) as examples, with thumbnails when asked. */
  private List<Report.Example> examples(Dataset<Row> rows, boolean thumbnails) {
    List<Report.Example> out = new ArrayList<>();
    List<String> names = List.of(rows.columns());
    boolean hasImage = names.contains(Columns.IMAGE);
    for (Row r : rows.collectAsList()) {
      String outcome =
          names.contains("_outcome")
              ? (r.getAs("_outcome") == null ? "accepted" : "rejected " + r.getAs("_outcome"))
              : "accepted";
      Double score = r.getAs(Columns.CLIP_SCORE);
      Double synth = r.getAs(Columns.CLIP_SCORE_SYNTHETIC);
      out.add(
          new Report.Example(
              r.getAs(Columns.ID),
              r.getAs(Columns.CAPTION),
              r.getAs(Columns.ORIGINAL_CAPTION),
              r.getAs(Columns.SYNTHETIC_CAPTION),
              r.getAs(Columns.CAPTION_SOURCE),
              score == null ? null : ReportJson.round(score),
              synth == null ? null : ReportJson.round(synth),
              outcome,
              r.getAs(Columns.WIDTH),
              r.getAs(Columns.HEIGHT),
              thumbnails && hasImage
                  ? Thumbnails.dataUri(r.getAs(Columns.IMAGE), options.thumbnailSize())
                  : null));
    }
    return out;
  }

  // ---- comparison ----

  private Report.Comparison compare(Report report, ReportJob base, String baselineDir) {
    Report.Funnel bf = base.funnel();
    Map<String, Long> baseOut = new LinkedHashMap<>();
    for (Report.FunnelStage st : bf.stages()) {
      baseOut.put(st.stage(), st.out());
    }
    Map<String, Long> thisOut = new LinkedHashMap<>();
    for (Report.FunnelStage st : report.funnel().stages()) {
      thisOut.put(st.stage(), st.out());
    }
    List<String> stageNames = new ArrayList<>(thisOut.keySet());
    for (String st : baseOut.keySet()) {
      if (!stageNames.contains(st)) {
        stageNames.add(st);
      }
    }
    List<Report.StageDelta> funnel = new ArrayList<>();
    for (String st : stageNames) {
      funnel.add(new Report.StageDelta(st, baseOut.get(st), thisOut.get(st)));
    }
    Dataset<Row> here = accepted.select(col(Columns.ID).as("a")).distinct();
    Dataset<Row> there = base.accepted.select(col(Columns.ID).as("b")).distinct();
    Row ids =
        here.join(there, col("a").equalTo(col("b")), "full_outer")
            .agg(
                sum(when(col("a").isNotNull().and(col("b").isNotNull()), 1L).otherwise(0L)),
                sum(when(col("b").isNull(), 1L).otherwise(0L)),
                sum(when(col("a").isNull(), 1L).otherwise(0L)))
            .first();
    Dataset<Row> hc =
        spark
            .read()
            .parquet(new Path(dir, OutputWriter.CONCEPT_COUNTS).toString())
            .where(col("kept").gt(0))
            .select(col("concept").as("a"));
    Dataset<Row> bc =
        spark
            .read()
            .parquet(new Path(baselineDir, OutputWriter.CONCEPT_COUNTS).toString())
            .where(col("kept").gt(0))
            .select(col("concept").as("b"));
    Row concepts =
        hc.join(bc, col("a").equalTo(col("b")), "full_outer")
            .agg(
                sum(when(col("a").isNotNull().and(col("b").isNotNull()), 1L).otherwise(0L)),
                sum(when(col("b").isNull(), 1L).otherwise(0L)),
                sum(when(col("a").isNull(), 1L).otherwise(0L)),
                count(lit(1)))
            .first();
    boolean anyConcepts = concepts.getLong(3) > 0;
    List<Report.Quantile> baseQuantiles = null;
    long[] baseHist = null;
    if (binning != null) {
      Binning display = new Binning(binning.lo(), binning.width() * FINE, binning.bins() / FINE);
      Column bs = col(Columns.CLIP_SCORE);
      baseHist = new long[display.bins()];
      for (Row r :
          base.accepted.where(bs.isNotNull()).groupBy(display.bin(bs)).count().collectAsList()) {
        baseHist[r.getInt(0)] = r.getLong(1);
      }
      Report.Scores bs2 = base.scores();
      baseQuantiles = bs2.quantiles();
    }
    return new Report.Comparison(
        baselineDir,
        configDigest(base.manifest.path("config")),
        bf.input(),
        bf.accepted(),
        funnel,
        baseQuantiles,
        baseHist,
        anyConcepts ? concepts.getLong(0) : null,
        anyConcepts ? concepts.getLong(1) : null,
        anyConcepts ? concepts.getLong(2) : null,
        ids.getLong(0),
        ids.getLong(1),
        ids.getLong(2));
  }

  private static void writeText(SparkSession spark, Path path, String text) {
    try {
      FileSystem fs = path.getFileSystem(spark.sparkContext().hadoopConfiguration());
      try (OutputStream out = fs.create(path, true)) {
        out.write(text.getBytes(StandardCharsets.UTF_8));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path, e);
    }
  }
}
