package dev.sift.jobs.pipeline;

import dev.sift.jobs.config.SiftConf;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The {@code write} stage: listed last so that the manifest's {@code stages} and per-stage counts
 * show where rows end. It changes no row; the writing itself is {@link OutputWriter}'s, after the
 * plan is built, so that output becomes visible in one last step.
 *
 * <p>Driver-side, one per run (see {@link PipelineStage}).
 */
public final class WriteStage implements PipelineStage {
  public static final String NAME = "write";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public boolean runsFor(Command command, SiftConf conf) {
    return true;
  }

  @Override
  public Dataset<Row> apply(Dataset<Row> rows, StageContext ctx) {
    return rows;
  }
}
