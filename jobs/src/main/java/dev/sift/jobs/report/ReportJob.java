package dev.sift.jobs.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sift.curation.report.Report;
import dev.sift.curation.report.ReportJson;
import dev.sift.curation.report.ReportPage;
import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.jobs.pipeline.OutputWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;

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

    private final transient java.util.Map<String, Long> counts;

    public ReportFailedException(String dir, Throwable cause) {
      this(dir, cause, java.util.Map.of());
    }

    /**
     * @param counts the run's row counts (input, accepted, rejected), for the caller that still
     *     commits the run's batch
     */
    public ReportFailedException(String dir, Throwable cause, java.util.Map<String, Long> counts) {
      super(
          "the run's outputs and manifest in "
              + dir
              + " are complete, but its report failed ("
              + cause
              + "); rebuild it with: sift report --output "
              + dir,
          cause);
      this.counts = counts;
    }

    /** The run's row counts, as the manifest has them. */
    public java.util.Map<String, Long> counts() {
      return counts;
    }
  }

  private ReportJob() {}

  /**
   * Builds the report of {@code dir} (and the comparison with {@code baseline} when not null) and
   * writes {@code report/report.json} and {@code report/report.html} under it, replacing earlier
   * ones.
   */
  public static Report write(SparkSession spark, String dir, String baseline, Options options) {
    return write(
        spark, Run.read(spark, dir), baseline == null ? null : Run.read(spark, baseline), options);
  }

  /** {@link #write(SparkSession, String, String, Options)} for manifests the caller has read. */
  public static Report write(SparkSession spark, Run run, Run baseline, Options options) {
    Report report = build(spark, run, baseline, options);
    writeText(spark, new Path(new Path(run.dir(), DIR), JSON_FILE), ReportJson.write(report));
    writeText(spark, new Path(new Path(run.dir(), DIR), HTML_FILE), ReportPage.render(report));
    return report;
  }

  /**
   * An output directory and its manifest (an append-mode output's is the combination of its
   * committed batches'), read once per report.
   */
  public record Run(String dir, JsonNode manifest, List<String> batches) {
    /**
     * Reads {@code dir}'s manifest, listing an append-mode output's committed batches once; exit 2
     * naming it when missing.
     */
    public static Run read(SparkSession spark, String dir) {
      List<String> batches = ReportInput.committedBatches(spark, dir);
      JsonNode manifest =
          batches == null
              ? manifestFile(spark, dir)
              : BatchManifests.combine(batches.stream().map(b -> manifestFile(spark, b)).toList());
      return new Run(dir, manifest, batches);
    }
  }

  /**
   * The report of {@code dir}, compared with {@code baseline} when not null. Each section is built
   * by its own class from the run's files; the score summary is handed explicitly to the sections
   * that read it, so their order is free.
   */
  public static Report build(SparkSession spark, String dir, String baseline, Options options) {
    return build(
        spark, Run.read(spark, dir), baseline == null ? null : Run.read(spark, baseline), options);
  }

  /** {@link #build(SparkSession, String, String, Options)} for manifests the caller has read. */
  public static Report build(SparkSession spark, Run run, Run baseline, Options options) {
    spark.sparkContext().setJobDescription("sift report: " + run.dir());
    ReportInput in = ReportInput.open(spark, run, options);
    ScoreSection.Summary scores = ScoreSection.build(in);
    Report report =
        new Report(
            Report.VERSION,
            RunSections.summary(in),
            RunSections.funnel(in),
            scores.scores(),
            ScoreSection.thresholdChoices(in, scores),
            ConceptSection.build(in),
            CaptionSection.build(in),
            DiversitySection.build(in),
            GallerySection.build(in, scores),
            DedupSection.build(in),
            null);
    if (baseline != null) {
      ReportInput base = ReportInput.open(spark, baseline, options);
      report = report.withComparison(ComparisonSection.build(report, in, scores, base));
    }
    return report;
  }

  /**
   * The {@code _MANIFEST.json} of one run's directory (or of one committed batch); exit 2 (a {@link
   * SiftUserException}) naming it when missing.
   */
  private static JsonNode manifestFile(SparkSession spark, String dir) {
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
