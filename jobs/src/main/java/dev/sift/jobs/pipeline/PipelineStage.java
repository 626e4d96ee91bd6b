package dev.sift.jobs.pipeline;

import dev.sift.jobs.config.ConfigKey;
import dev.sift.jobs.config.SiftConf;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * One stage of the pipeline (docs/design.md): its name, when it runs, its start-up checks, its
 * transformation of the rows, and what it tells the manifest. The stages and their order are listed
 * once, in {@link Pipeline}; everything that used to name stages one by one (which run for a
 * command, counters, the manifest's sections) asks them instead.
 *
 * <p>Lifecycle: {@link Pipeline} makes one instance per stage per run, on the driver, and calls, in
 * order: {@link #runsFor} and {@link #requires} (choosing the stages), {@link #check} (start-up,
 * before any data flows), {@link #apply} or {@link #off} (once, building the Spark plan), then
 * {@link #manifest} (once the rows are written). An instance may keep what it learns for its
 * manifest section between these calls. Driver-side, single-threaded, not serialisable: what
 * executors need goes into the functions of {@code dev.sift.udfs} that {@link #apply} creates.
 */
public interface PipelineStage {
  /**
   * How the {@code concept_counts/} table is written: not at all, or over one or per-language
   * lists.
   */
  enum ConceptCounts {
    NONE,
    ONE_LIST,
    PER_LANGUAGE
  }

  /**
   * The stage's name: written to {@code reject_stage}, used as the manifest's key for the stage and
   * as the name of its counter. A data contract; never rename one.
   */
  String name();

  /** The {@code sift.<stage>.enabled} key, or null for a stage that always runs (read, write). */
  default ConfigKey<Boolean> enabledKey() {
    return null;
  }

  /**
   * Whether this build of Sift implements the stage. A stage that is not available yet may still be
   * listed, so that asking for it is a start-up error naming its key, and the manifest says so.
   */
  default boolean available() {
    return true;
  }

  /** Whether the stage runs for {@code command} under {@code conf}, before its prerequisites. */
  boolean runsFor(Command command, SiftConf conf);

  /**
   * Checks the stages it needs among those that run before it.
   *
   * @param before the names of the earlier stages that run
   * @throws dev.sift.jobs.SiftUserException naming the key to set when one is missing
   */
  default void requires(Command command, Set<String> before) {}

  /**
   * Columns this stage reads that an earlier stage writes only when a later one asks (such as
   * {@code phash} or {@code image_embedding}), under {@code conf}; the earlier stage asks {@link
   * StageContext#needs}. Only asked of stages that run.
   */
  default Set<String> needs(SiftConf conf) {
    return Set.of();
  }

  /** Whether the stage loads models on executors (so the device and GPU scheduling are checked). */
  default boolean usesModels() {
    return false;
  }

  /**
   * Start-up checks on the driver, before any data flows: a wrong setting or an unusable model
   * fails here rather than in every task. Runs only for stages that run.
   *
   * @return the model files the stage opened, for the manifest's {@code models} (usually none)
   */
  default List<Map<String, Object>> check(StageContext ctx) {
    return List.of();
  }

  /**
   * The stage's transformation: the rows with its columns set and its verdicts recorded, for rows
   * no earlier stage rejected (see {@link Verdicts}).
   */
  Dataset<Row> apply(Dataset<Row> rows, StageContext ctx);

  /**
   * The rows when the stage does not run: its output columns as typed nulls (never made-up values),
   * where the rows do not have them already.
   */
  default Dataset<Row> off(Dataset<Row> rows, StageContext ctx) {
    return rows;
  }

  /**
   * Whether rejected rows with this {@code reject_stage} and {@code reject_reason} are this
   * stage's, for the manifest's {@code per_stage}. By default those whose {@code reject_stage} is
   * its name; a stage that records verdicts under another stage's label (exact dedup, under {@code
   * dedup}) says which reasons are its own.
   */
  default boolean owns(String rejectStage, String reason) {
    return name().equals(rejectStage);
  }

  /** Whether the stage counts the rows it sees, for the progress log. */
  default boolean counted() {
    return false;
  }

  /** What the manifest's {@code stages} says of a stage that ran. */
  default String ranStatus(StageContext ctx) {
    return "ran";
  }

  /** Whether the stage's rows carry concept sets, and so {@code concept_counts/} is written. */
  default ConceptCounts conceptCounts(StageContext ctx) {
    return ConceptCounts.NONE;
  }

  /**
   * The stage's sections of the manifest, once the rows are written: top-level keys to values,
   * merged into the manifest (maps under the same key merge, so several stages can add to {@code
   * metrics}); null for none. {@code written} is the tagged rows, still cached.
   */
  default Map<String, Object> manifest(Dataset<Row> written, StageContext ctx) {
    return null;
  }
}
