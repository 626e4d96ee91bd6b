package dev.sift.curation.report;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;
import java.util.Map;

/**
 * Every figure of one run's report, as {@code report.json} holds it and the HTML page shows it. A
 * section whose stage did not run has a {@code status} saying so ({@code "not computed: …"}) and no
 * figures; a computed section has {@code status = "computed"}. Built by the Spark side from an
 * output directory; serialised by {@link ReportJson}, rendered by {@link ReportPage}.
 *
 * <p>Immutable records; the lists and arrays are not copied, so builders must not change them
 * afterwards.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Report(
    int reportVersion,
    Summary summary,
    Funnel funnel,
    Scores scores,
    ThresholdChoices thresholdChoices,
    Concepts concepts,
    Captions captions,
    Diversity diversity,
    Gallery gallery,
    Dedup dedup,
    Comparison comparison) {

  /** The {@code status} of a section with figures. */
  public static final String COMPUTED = "computed";

  /** The format version of {@code report.json}; bump it when a field changes meaning. */
  public static final int VERSION = 1;

  /** The status of a section that has no figures, with the reason. */
  public static String notComputed(String why) {
    return "not computed: " + why;
  }

  /** A report with {@code comparison} replaced. */
  public Report withComparison(Comparison c) {
    return new Report(
        reportVersion,
        summary,
        funnel,
        scores,
        thresholdChoices,
        concepts,
        captions,
        diversity,
        gallery,
        dedup,
        c);
  }

  /** A name and a row count (reject reasons, caption sources). */
  public record Count(String name, long rows) {}

  /** A model file of the run, as the manifest lists it. */
  public record ModelFile(String role, String file, long bytes, String sha256) {}

  /**
   * Rows per second of one stage. The stages run fused in one Spark pass, so a stage's rate is the
   * rows that entered it over the pass's wall time ({@code basis} says which time was used).
   */
  public record Throughput(String stage, long rowsIn, Double rowsPerSecond, String basis) {}

  /** What ran, on what, with which configuration and models. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Summary(
      String input,
      String inputFormat,
      long inputFiles,
      String command,
      String configSource,
      String configDigest,
      String siftVersion,
      String gitCommit,
      String sparkVersion,
      String startedAt,
      String finishedAt,
      Double wallSeconds,
      Map<String, Double> timings,
      Map<String, String> stages,
      List<ModelFile> models,
      List<Throughput> throughput,
      String device,
      List<String> executors) {

    /**
     * Executors whose models ran on the CPU although {@code sift.device} asked for a GPU or for
     * {@code auto} (which falls back to the CPU when the build or machine has no CUDA).
     */
    public List<String> onCpuDespiteDevice() {
      if (device == null || device.equals("cpu")) {
        return List.of();
      }
      return executors.stream().filter(e -> e.endsWith(": CPU")).toList();
    }
  }

  /** Rows into and out of one stage, with its reject reasons. */
  public record FunnelStage(String stage, long in, long out, long rejected, List<Count> reasons) {}

  /** Rows in, after each stage, and out. */
  public record Funnel(long input, long accepted, long rejected, List<FunnelStage> stages) {}

  /** A quantile of a score column. */
  public record Quantile(double p, double value) {}

  /**
   * CLIP-score figures. Histograms share one binning ({@code lo}, {@code binWidth}); {@code
   * keptCurve} is the fraction of scored rows at or above each threshold.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Scores(
      String status,
      Long scoredRows,
      Long acceptedRows,
      Long rejectedRows,
      Double lo,
      Double binWidth,
      long[] acceptedHistogram,
      long[] rejectedHistogram,
      String syntheticStatus,
      Long syntheticRows,
      long[] syntheticHistogram,
      List<Quantile> quantiles,
      List<Quantile> syntheticQuantiles,
      Double mean,
      Double min,
      Double max,
      List<Histogram.KeptPoint> keptCurve,
      Double configuredThreshold,
      String thresholdSource,
      String method) {
    /** The section of a run without scores; {@code status} says why. */
    public static Scores absent(String status) {
      return new Scores(
          status, null, null, null, null, null, null, null, null, null, null, null, null, null,
          null, null, null, null, null, null);
    }
  }

  /** One way of choosing the threshold, applied to this run's scores. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Cut(
      String rule,
      double threshold,
      long keptRows,
      double keptFraction,
      Long conceptsCovered,
      Long conceptsTotal,
      Double conceptCoverage) {}

  /** A fixed cut (LAION's 0.28) against a top-fraction cut (DataComp's 30%). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ThresholdChoices(String status, Cut fixed, Cut topFraction, String note) {}

  /** A point of a rank-frequency plot: the {@code rank}-th most frequent concept's count. */
  public record RankPoint(long rank, long count) {}

  /** One concept's counts before ({@code matched}) and after ({@code kept}) balancing. */
  public record ConceptRow(String concept, long matched, long kept, double keptFraction) {}

  /** Concept balance: MetaCLIP's head (count above {@code t}) against the tail. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Concepts(
      String status,
      Long t,
      Boolean balanced,
      Long concepts,
      Long matchedTotal,
      Long keptTotal,
      Long headConcepts,
      Double headShareBefore,
      Double headShareAfter,
      Double tailShareBefore,
      Double tailShareAfter,
      List<RankPoint> rankFrequencyBefore,
      List<RankPoint> rankFrequencyAfter,
      List<ConceptRow> top,
      List<ConceptRow> lostMost) {
    /** The section of a run without concept counts; {@code status} says why. */
    public static Concepts absent(String status) {
      return new Concepts(
          status, null, null, null, null, null, null, null, null, null, null, null, null, null,
          null);
    }
  }

  /** Caption lengths (characters) before the text stage and after curation, and re-captioning. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Captions(
      String status,
      int binWidth,
      long[] lengthsBefore,
      long[] lengthsAfter,
      Double meanBefore,
      Double meanAfter,
      Double medianBefore,
      Double medianAfter,
      String syntheticStatus,
      List<Count> captionSource,
      Double syntheticShare,
      List<Example> examples) {}

  /** The Vendi score of a fixed-size sample of image embeddings before and after filtering. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Diversity(
      String status, Integer sampleBefore, Integer sampleAfter, Double before, Double after) {
    /** The section of a run without embeddings; {@code status} says why. */
    public static Diversity absent(String status) {
      return new Diversity(status, null, null, null, null);
    }
  }

  /**
   * One row shown in the gallery. {@code thumbnail} (a {@code data:image/jpeg} URI) is on the page
   * but not in {@code report.json}, which holds figures, not pictures.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Example(
      String id,
      String caption,
      String originalCaption,
      String syntheticCaption,
      String captionSource,
      Double score,
      Double syntheticScore,
      String outcome,
      Integer width,
      Integer height,
      @JsonIgnore String thumbnail) {}

  /** Highest-, lowest- and borderline-scoring rows, and re-captioned rows before and after. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Gallery(
      String status,
      Double threshold,
      String thresholdSource,
      List<Example> highest,
      List<Example> lowest,
      List<Example> borderline,
      String recaptionedStatus,
      List<Example> recaptioned) {
    /** The section of a run without scores; {@code status} says why. */
    public static Gallery absent(String status) {
      return new Gallery(status, null, null, null, null, null, null, null);
    }
  }

  /** Rows dedup removed, per kind, with the distances or similarities and example pairs. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Dedup(String status, String priority, List<DedupKind> kinds) {
    /** The section of a run without dedup; {@code status} says why. */
    public static Dedup absent(String status) {
      return new Dedup(status, null, null);
    }
  }

  /**
   * One kind of dedup: its reject reason, rows removed, what {@code histogram} counts ({@code
   * measure}: e.g. pHash distance; each removed row's value against the row it names), and example
   * pairs.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DedupKind(
      String kind,
      String reason,
      long removed,
      String measure,
      List<Count> histogram,
      List<DedupPair> examples) {}

  /** A removed row beside the row it duplicates, and their distance or similarity. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DedupPair(Example removed, Example kept, Double value) {}

  /** One stage's rows out in the baseline and in this run. */
  public record StageDelta(String stage, Long baselineOut, Long thisOut) {}

  /** This run against another output directory. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record Comparison(
      String baseline,
      String baselineConfigDigest,
      long baselineInput,
      long baselineAccepted,
      List<StageDelta> funnel,
      List<Quantile> baselineQuantiles,
      long[] baselineAcceptedHistogram,
      Long conceptsKeptBoth,
      Long conceptsKeptOnlyThis,
      Long conceptsKeptOnlyBaseline,
      long acceptedBoth,
      long gained,
      long lost) {}
}
