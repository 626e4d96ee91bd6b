package dev.sift.udfs;

import dev.sift.curation.batch.DecodeAhead;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;
import org.apache.spark.sql.Row;

/**
 * A model stage's output rows: each prepared batch goes through the stage's model function, its
 * rows come out in order, and once the partition is done the decode figures go to the stage's
 * metrics. Shared by the score and recaption stages.
 *
 * <p>Not thread-safe: one per partition, consumed by the task's thread.
 */
final class BatchedRows implements Iterator<Row> {
  private final DecodeAhead<Object[]> batches;
  private final Function<DecodeAhead.Batch<Object[]>, List<Row>> model;
  private final ScoreMetrics metrics;
  private Iterator<Row> ready = List.<Row>of().iterator();
  private boolean reported;

  BatchedRows(
      DecodeAhead<Object[]> batches,
      Function<DecodeAhead.Batch<Object[]>, List<Row>> model,
      ScoreMetrics metrics) {
    this.batches = batches;
    this.model = model;
    this.metrics = metrics;
  }

  @Override
  public boolean hasNext() {
    while (!ready.hasNext() && batches.hasNext()) {
      ready = model.apply(batches.next()).iterator();
    }
    if (!ready.hasNext() && !reported) {
      reported = true;
      metrics.decode(batches.workNanos(), batches.waitNanos());
      metrics.taskEnded(System.currentTimeMillis());
    }
    return ready.hasNext();
  }

  @Override
  public Row next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    return ready.next();
  }
}
