package dev.sift.jobs.pipeline;

import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.TestHookFn;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/**
 * {@code sift.test.hook}, parsed: where Sift's kill and retry tests stop or fail a run. Unset in
 * every real run, where {@link #NONE} changes nothing.
 *
 * @param point {@code score}, {@code write} or {@code commit}; null for none
 * @param pause pause (until killed) rather than fail once
 * @param marker the file a pause creates
 */
public record TestHook(String point, boolean pause, String marker) {
  public static final TestHook NONE = new TestHook(null, false, null);

  public static TestHook of(SiftConf conf) {
    String v = conf.get(SiftKeys.TEST_HOOK);
    if (v == null || v.isBlank()) {
      return NONE;
    }
    String[] p = v.split(":", 3);
    boolean ok =
        (p[0].equals("pause") && p.length == 3 && p[1].matches("score|write|commit"))
            || (p[0].equals("fail-once") && p.length == 2 && p[1].matches("score|write|shards"));
    if (!ok) {
      throw new SiftUserException(
          "sift.test.hook = "
              + v
              + ": expected pause:score|write|commit:FILE or fail-once:score|write|shards");
    }
    return new TestHook(p[1], p[0].equals("pause"), p.length == 3 ? p[2] : null);
  }

  /** {@code rows}, with the hook in its plan when it is set for {@code at}. */
  public Dataset<Row> apply(Dataset<Row> rows, String at) {
    if (!at.equals(point)) {
      return rows;
    }
    return rows.mapPartitions(new TestHookFn(pause, marker), Encoders.row(rows.schema()));
  }

  /** Whether the first attempt of one task at {@code at} is to fail (part-way through). */
  public boolean failsOnce(String at) {
    return !pause && at.equals(point);
  }

  /** Pauses the driver here when the hook says so. */
  public void onDriver(String at) {
    if (pause && at.equals(point)) {
      TestHookFn.pauseHere(marker);
    }
  }
}
