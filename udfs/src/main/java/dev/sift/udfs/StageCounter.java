package dev.sift.udfs;

import java.io.Serializable;
import org.apache.spark.util.LongAccumulator;

/**
 * Rows seen by one stage's functions, for the driver's progress log. Backed by a Spark accumulator,
 * so the driver sees a task's rows when the task finishes; a retried task may count twice, which is
 * why the manifest's counts never come from here.
 *
 * <p>Serialisable; created on the driver, incremented on executors.
 */
public final class StageCounter implements Serializable {
  private static final long serialVersionUID = 1L;

  private final String stage;
  private final LongAccumulator rows;

  public StageCounter(String stage, LongAccumulator rows) {
    this.stage = stage;
    this.rows = rows;
  }

  /** The stage this counter belongs to. */
  public String stage() {
    return stage;
  }

  /** Counts one row (executor side). */
  public void add() {
    rows.add(1L);
  }

  /** Rows counted so far by finished tasks (driver side). */
  public long value() {
    return rows.value();
  }
}
