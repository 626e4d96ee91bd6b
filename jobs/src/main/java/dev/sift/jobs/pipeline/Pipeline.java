package dev.sift.jobs.pipeline;

import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.SiftConf;
import dev.sift.udfs.StageCounter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The stage graph of one run: {@link #STAGES}, the one ordered list of stages, and which of them
 * run for the command. Builds the tagged rows as one Spark plan (a loop over the stages), and asks
 * the stages for the manifest's parts. Every row comes out exactly once, tagged by the first stage
 * that rejected it ({@link Verdicts}).
 *
 * <p>Lifecycle, once per run on the driver: {@link #plan} (choose stages; configuration errors),
 * {@link #check} (start-up checks, before any data flows), {@link #build} (the Spark plan; with
 * balancing or a top-fraction filter this runs Spark jobs for their global figures), then, with the
 * tagged rows written, {@link #manifest}, and {@link #release}. Not thread-safe; not serialisable.
 */
public final class Pipeline {
  /**
   * Every stage, in the order rows go through them (docs/design.md). Adding a stage: its class, one
   * line here (docs/architecture.md).
   */
  private static List<PipelineStage> stages() {
    return List.of(
        new ReadStage(),
        new TextStage(),
        new ExactDedupStage(),
        new MatchStage(),
        new BalanceStage(),
        new DecodeStage(),
        new ScoreStage(),
        new DedupStage(),
        new RecaptionStage(),
        new FilterStage(),
        new WriteStage());
  }

  /** The stage names in order, for documentation and tests. */
  public static final List<String> STAGES = stages().stream().map(PipelineStage::name).toList();

  private final List<PipelineStage> all;
  private final List<PipelineStage> running;
  private final StageContext ctx;

  private Pipeline(
      SparkSession spark,
      SiftConf conf,
      Command command,
      List<PipelineStage> all,
      List<PipelineStage> running) {
    this.all = all;
    this.running = running;
    Set<String> names = new LinkedHashSet<>();
    Set<String> needed = new LinkedHashSet<>();
    Map<String, StageCounter> counters = new LinkedHashMap<>();
    for (PipelineStage stage : running) {
      names.add(stage.name());
      needed.addAll(stage.needs(conf));
      if (stage.counted()) {
        counters.put(
            stage.name(),
            new StageCounter(
                stage.name(), spark.sparkContext().longAccumulator("sift." + stage.name())));
      }
    }
    this.ctx = new StageContext(spark, conf, command, names, needed, counters);
  }

  /**
   * The stages {@code command} runs under {@code conf}: each stage says whether it runs ({@link
   * PipelineStage#runsFor}) and checks its prerequisites among the earlier ones.
   *
   * @throws SiftUserException when a stage asked for is not available yet, or lacks a stage it
   *     needs
   */
  public static Pipeline plan(SparkSession spark, SiftConf conf, Command command) {
    List<PipelineStage> all = stages();
    List<PipelineStage> running = new ArrayList<>();
    Set<String> before = new LinkedHashSet<>();
    for (PipelineStage stage : all) {
      if (!stage.runsFor(command, conf)) {
        continue;
      }
      if (!stage.available()) {
        throw new SiftUserException(
            stage.enabledKey().name()
                + " = true, but the "
                + stage.name()
                + " stage is not available yet in this version of Sift; set it to false");
      }
      stage.requires(command, before);
      running.add(stage);
      before.add(stage.name());
    }
    return new Pipeline(spark, conf, command, all, running);
  }

  /** The names of the stages that run, in order. */
  public List<String> running() {
    return running.stream().map(PipelineStage::name).toList();
  }

  /** Whether a stage that runs loads models (so the device and GPU scheduling must be checked). */
  public boolean usesModels() {
    return running.stream().anyMatch(PipelineStage::usesModels);
  }

  /**
   * The start-up checks of the stages that run, in order, over the input as read.
   *
   * @return the model files the stages opened, for the manifest's {@code models}
   */
  public List<Map<String, Object>> check(InputReader.Input input) {
    ctx.input(input);
    List<Map<String, Object>> models = new ArrayList<>();
    for (PipelineStage stage : running) {
      models.addAll(stage.check(ctx));
    }
    return models;
  }

  /**
   * The tagged rows: contract columns, pass-through columns, then the reject columns. Each stage
   * that runs applies itself; each that does not adds its columns as typed nulls.
   */
  public Dataset<Row> build() {
    Dataset<Row> rows = ctx.input().rows();
    TestHook hook = TestHook.of(ctx.conf());
    for (PipelineStage stage : all) {
      rows = running.contains(stage) ? stage.apply(rows, ctx) : stage.off(rows, ctx);
      // The write point is OutputWriter's, on the rows being written: placed here as well it
      // would fire while the cached tagged rows are built, before any batch file exists.
      if (!stage.name().equals(WriteStage.NAME)) {
        rows = hook.apply(rows, stage.name());
      }
    }
    return rows;
  }

  /** Row counters of the stages that have them, by stage name, for the progress log. */
  public Map<String, StageCounter> counters() {
    Map<String, StageCounter> counters = new LinkedHashMap<>();
    for (PipelineStage stage : running) {
      if (ctx.counter(stage.name()) != null) {
        counters.put(stage.name(), ctx.counter(stage.name()));
      }
    }
    return counters;
  }

  /** The concept counts table the stages' rows call for (after {@link #build}). */
  public PipelineStage.ConceptCounts conceptCounts() {
    for (PipelineStage stage : running) {
      PipelineStage.ConceptCounts counts = stage.conceptCounts(ctx);
      if (counts != PipelineStage.ConceptCounts.NONE) {
        return counts;
      }
    }
    return PipelineStage.ConceptCounts.NONE;
  }

  /**
   * The stages' sections of the manifest, in stage order, from the written rows (still cached) and
   * the run's rejected rows by reason as written: maps under the same top-level key are merged.
   */
  public Map<String, Object> manifest(Dataset<Row> written, Map<String, Long> rejectedByReason) {
    ctx.rejectedByReason(rejectedByReason);
    Map<String, Object> sections = new LinkedHashMap<>();
    for (PipelineStage stage : running) {
      Map<String, Object> part = stage.manifest(written, ctx);
      if (part != null) {
        merge(sections, part);
      }
    }
    return sections;
  }

  @SuppressWarnings("unchecked")
  private static void merge(Map<String, Object> into, Map<String, Object> part) {
    for (Map.Entry<String, Object> e : part.entrySet()) {
      Object there = into.get(e.getKey());
      if (there instanceof Map && e.getValue() instanceof Map) {
        Map<String, Object> merged = new LinkedHashMap<>((Map<String, Object>) there);
        merge(merged, (Map<String, Object>) e.getValue());
        into.put(e.getKey(), merged);
      } else {
        into.put(e.getKey(), e.getValue());
      }
    }
  }

  /** The manifest's {@code stages}: every stage, in order, and whether (and how) it ran. */
  public Map<String, Object> status() {
    Map<String, Object> status = new LinkedHashMap<>();
    for (PipelineStage stage : all) {
      String s;
      if (!stage.available()) {
        s = "off (not available yet)";
      } else if (!running.contains(stage)) {
        s = "off";
      } else {
        s = stage.ranStatus(ctx);
      }
      status.put(stage.name(), s);
    }
    return status;
  }

  /**
   * The manifest's {@code per_stage}: rows in, out and rejected for each stage that ran, in order.
   * A rejected row counts for the first stage that owns its stage and reason ({@link
   * PipelineStage#owns}).
   *
   * @param rejected rejected rows by {@code reject_stage}, then {@code reject_reason}, as written
   */
  public Map<String, Object> perStage(long input, Map<String, Map<String, Long>> rejected) {
    Map<String, Long> byStage = new LinkedHashMap<>();
    for (Map.Entry<String, Map<String, Long>> s : rejected.entrySet()) {
      for (Map.Entry<String, Long> r : s.getValue().entrySet()) {
        for (PipelineStage stage : running) {
          if (stage.owns(s.getKey(), r.getKey())) {
            byStage.merge(stage.name(), r.getValue(), Long::sum);
            break;
          }
        }
      }
    }
    Map<String, Object> per = new LinkedHashMap<>();
    long rows = input;
    for (PipelineStage stage : running) {
      long n = byStage.getOrDefault(stage.name(), 0L);
      Map<String, Long> io = new LinkedHashMap<>();
      io.put("in", rows);
      io.put("out", rows - n);
      io.put("rejected", n);
      per.put(stage.name(), io);
      rows -= n;
    }
    return per;
  }

  /**
   * Concept counts of earlier committed batches (append mode), which balancing adds to this run's:
   * {@code concept}, {@code matched}, and {@code language} for per-language lists.
   */
  public void priorConceptCounts(Dataset<Row> counts) {
    ctx.priorConceptCounts(counts);
  }

  /** Drops the intermediate results the stages cached (call once the outputs are written). */
  public void release() {
    ctx.release();
  }
}
