package dev.sift.udfs;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.spark.SparkContext;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * What a model stage did, for the manifest: batches, time decoding (summed over decode threads),
 * time the model waited for decoded images, time in the model, the wall time from its first task's
 * start to its last task's end, and the device every executor used. Backed by Spark accumulators:
 * figures of retried tasks count twice, so they describe work done, never the row counts of the
 * contract.
 *
 * <p>Serialisable; created on the driver, added to on executors.
 */
public final class ScoreMetrics implements Serializable {
  private static final long serialVersionUID = 1L;

  private final LongAccumulator batches;
  private final LongAccumulator rows;
  private final LongAccumulator decodeNanos;
  private final LongAccumulator waitNanos;
  private final LongAccumulator inferenceNanos;
  private final CollectionAccumulator<String> devices;
  private final CollectionAccumulator<Long> starts;
  private final CollectionAccumulator<Long> ends;

  public ScoreMetrics(SparkContext sc, String stage) {
    this.batches = sc.longAccumulator("sift." + stage + ".batches");
    this.rows = sc.longAccumulator("sift." + stage + ".model_rows");
    this.decodeNanos = sc.longAccumulator("sift." + stage + ".decode_ns");
    this.waitNanos = sc.longAccumulator("sift." + stage + ".decode_wait_ns");
    this.inferenceNanos = sc.longAccumulator("sift." + stage + ".inference_ns");
    this.devices = sc.collectionAccumulator("sift." + stage + ".devices");
    this.starts = sc.collectionAccumulator("sift." + stage + ".task_starts");
    this.ends = sc.collectionAccumulator("sift." + stage + ".task_ends");
  }

  /**
   * A task of the stage started (executor side, wall-clock milliseconds). Spark runs the stages
   * before and after it in the same task, so the span from the first start to the last end is the
   * time the rows spent in the job that scored them, reading and writing included.
   */
  public void taskStarted(long epochMillis) {
    starts.add(epochMillis);
  }

  /** A task of the stage handed out its last row (executor side, wall-clock milliseconds). */
  public void taskEnded(long epochMillis) {
    ends.add(epochMillis);
  }

  /** One model batch of {@code n} rows that took {@code nanos} in the model (executor side). */
  public void batch(int n, long nanos) {
    batches.add(1L);
    rows.add(n);
    inferenceNanos.add(nanos);
  }

  /** A finished partition's decode figures (executor side). */
  public void decode(long workNanos, long waitedNanos) {
    decodeNanos.add(workNanos);
    waitNanos.add(waitedNanos);
  }

  /** The device a task ran its model on, e.g. {@code host/executor 3: CUDA:1} (executor side). */
  public void device(String description) {
    devices.add(description);
  }

  /** The figures for the manifest (driver side). */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("batches", batches.value());
    m.put("model_rows", rows.value());
    m.put("decode_seconds", seconds(decodeNanos.value()));
    m.put("decode_wait_seconds", seconds(waitNanos.value()));
    m.put("inference_seconds", seconds(inferenceNanos.value()));
    List<Long> s = starts.value();
    List<Long> e = ends.value();
    if (!s.isEmpty() && !e.isEmpty()) {
      // From the first task's start to the last one's end: the stage's wall time in its job.
      m.put(
          "task_span_seconds", (java.util.Collections.max(e) - java.util.Collections.min(s)) / 1e3);
    }
    List<String> seen = devices.value();
    m.put("devices", List.copyOf(new TreeSet<>(seen)));
    return m;
  }

  private static double seconds(long nanos) {
    return Math.round(nanos / 1e6) / 1e3;
  }
}
