package dev.sift.jobs.pipeline;

import dev.sift.udfs.StageCounter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.SparkStatusTracker;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs progress on the driver at a fixed interval while a run works: for each Sift stage with a
 * counter, rows done and rows/s since the last line; and the Spark tasks done of the active stages.
 * Counts come from accumulators, which Spark merges when tasks finish.
 *
 * <p>Driver-side; start once, close once (try-with-resources).
 */
public final class ProgressReporter implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);

  private final SparkSession spark;
  private final Map<String, StageCounter> counters;
  private final Map<String, Long> last = new HashMap<>();
  private final ScheduledExecutorService timer;
  private final long started = System.nanoTime();
  private long lastTick = started;

  public ProgressReporter(SparkSession spark, Map<String, StageCounter> counters, Duration every) {
    this.spark = spark;
    this.counters = counters;
    this.timer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "sift-progress");
              t.setDaemon(true);
              return t;
            });
    long ms = every.toMillis();
    timer.scheduleAtFixedRate(this::log, ms, ms, TimeUnit.MILLISECONDS);
  }

  /** One progress line (also called at the end of a run). */
  public synchronized void log() {
    long now = System.nanoTime();
    double seconds = Math.max(1e-9, (now - lastTick) / 1e9);
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, StageCounter> e : counters.entrySet()) {
      long rows = e.getValue().value();
      long delta = rows - last.getOrDefault(e.getKey(), 0L);
      last.put(e.getKey(), rows);
      parts.add(
          String.format(
              Locale.ROOT, "%s %,d rows (%,.0f rows/s)", e.getKey(), rows, delta / seconds));
    }
    SparkStatusTracker tracker = spark.sparkContext().statusTracker();
    int done = 0;
    int total = 0;
    for (int id : tracker.getActiveStageIds()) {
      SparkStageInfo info = tracker.getStageInfo(id).getOrElse(() -> null);
      if (info != null) {
        done += info.numCompletedTasks();
        total += info.numTasks();
      }
    }
    if (total > 0) {
      parts.add(String.format(Locale.ROOT, "spark tasks %d/%d", done, total));
    }
    lastTick = now;
    LOG.info(
        "progress after {}s: {}",
        (now - started) / 1_000_000_000L,
        parts.isEmpty() ? "working" : String.join(", ", parts));
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
