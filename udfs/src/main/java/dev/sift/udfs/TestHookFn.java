package dev.sift.udfs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;

/**
 * Sift's own fault injection ({@code sift.test.hook}), placed in a plan only when a test sets it:
 * rows pass through unchanged, except that partition 0 either pauses after its first row (creating
 * a marker file, then sleeping until the process is killed) or fails its first attempt.
 *
 * <p>Executor-side; serialisable.
 */
public final class TestHookFn implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  private final boolean pause;
  private final String marker;

  /**
   * @param pause pause (true) or fail the first attempt (false)
   * @param marker the file a pause creates (a local path; tests run in local mode)
   */
  public TestHookFn(boolean pause, String marker) {
    this.pause = pause;
    this.marker = marker;
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    TaskContext task = TaskContext.get();
    boolean first = task == null || task.partitionId() == 0;
    if (first && !pause && task != null && task.attemptNumber() == 0) {
      throw new IllegalStateException("sift.test.hook: injected failure of the first attempt");
    }
    if (!first || !pause) {
      return rows;
    }
    return new Iterator<>() {
      private int served;

      @Override
      public boolean hasNext() {
        if (served == 1) {
          pauseHere(marker);
        }
        return rows.hasNext();
      }

      @Override
      public Row next() {
        served++;
        return rows.next();
      }
    };
  }

  /** Creates {@code marker} and sleeps until the process is killed. */
  public static void pauseHere(String marker) {
    try {
      Files.writeString(Path.of(marker), Long.toString(ProcessHandle.current().pid()));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    while (true) {
      try {
        Thread.sleep(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("sift.test.hook: pause interrupted", e);
      }
    }
  }
}
