package dev.sift.jobs.pipeline;

import dev.sift.jobs.config.SiftConf;
import dev.sift.udfs.StageCounter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * What the stages of one run share: the session, the configuration, the command, the input, which
 * stages run, their counters, the concept list (once {@link MatchStage} has loaded it) and the
 * intermediate results cached on the way, which {@link Pipeline#release} drops.
 *
 * <p>One per run, made by {@link Pipeline}; driver-side, single-threaded, not serialisable.
 */
public final class StageContext {
  private final SparkSession spark;
  private final SiftConf conf;
  private final Command command;
  private final Set<String> running;
  private final Set<String> needed;
  private final Map<String, StageCounter> counters;
  private final List<Dataset<Row>> persisted = new ArrayList<>();
  private InputReader.Input input;
  private ConceptSource concepts;
  private Dataset<Row> priorConceptCounts;
  private Map<String, Long> rejectedByReason = Map.of();

  StageContext(
      SparkSession spark,
      SiftConf conf,
      Command command,
      Set<String> running,
      Set<String> needed,
      Map<String, StageCounter> counters) {
    this.spark = spark;
    this.conf = conf;
    this.command = command;
    this.running = Set.copyOf(running);
    this.needed = Set.copyOf(needed);
    this.counters = counters;
  }

  public SparkSession spark() {
    return spark;
  }

  public SiftConf conf() {
    return conf;
  }

  public Command command() {
    return command;
  }

  /** The input as read and mapped (for {@code balance}, the earlier output's accepted rows). */
  public InputReader.Input input() {
    return input;
  }

  void input(InputReader.Input input) {
    this.input = input;
  }

  /** Whether the stage of this name runs in this run. */
  public boolean runs(String stage) {
    return running.contains(stage);
  }

  /**
   * Whether a stage that runs reads {@code column} from an earlier one ({@link
   * PipelineStage#needs}), so the earlier stage must write it.
   */
  public boolean needs(String column) {
    return needed.contains(column);
  }

  /** The row counter of a counted stage that runs; else null. */
  public StageCounter counter(String stage) {
    return counters.get(stage);
  }

  /** The concept list, when matching runs; else null. */
  public ConceptSource concepts() {
    return concepts;
  }

  void concepts(ConceptSource concepts) {
    this.concepts = concepts;
  }

  /**
   * The {@code concept_counts} of the earlier committed batches of an append-mode output, or null
   * (one-shot runs, a first batch): balancing counts them with this run's rows.
   */
  public Dataset<Row> priorConceptCounts() {
    return priorConceptCounts;
  }

  void priorConceptCounts(Dataset<Row> counts) {
    this.priorConceptCounts = counts;
  }

  /**
   * The run's rejected rows by {@code reject_reason}, counted from the written output; empty until
   * the rows are written, so only {@link PipelineStage#manifest} may ask.
   */
  public Map<String, Long> rejectedByReason() {
    return rejectedByReason;
  }

  void rejectedByReason(Map<String, Long> counts) {
    this.rejectedByReason = Map.copyOf(counts);
  }

  /**
   * Caches rows a stage reads twice (memory, then disk) until the outputs are written.
   *
   * @return the cached rows
   */
  public Dataset<Row> persist(Dataset<Row> rows) {
    Dataset<Row> cached = rows.persist(StorageLevel.MEMORY_AND_DISK());
    persisted.add(cached);
    return cached;
  }

  void release() {
    persisted.forEach(d -> d.unpersist(false));
    persisted.clear();
  }
}
