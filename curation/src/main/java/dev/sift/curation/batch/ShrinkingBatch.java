package dev.sift.curation.batch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a model call over {@code n} rows in chunks no larger than a shared limit, and halves the
 * limit when the device runs out of memory: the failed chunk is retried at the new size, down to
 * one row, and only then does the failure propagate. The limit is shared (one per executor and
 * model), so once one task has learnt the size that fits, the others use it too.
 *
 * <p>Thread-safe.
 */
public final class ShrinkingBatch {

  /** A model call over rows {@code start .. start+count-1}, one result row per input row. */
  @FunctionalInterface
  public interface Call {
    float[][] run(int start, int count);
  }

  /**
   * A model call over rows {@code start .. start+count-1} with one result of any type per row (a
   * caption, a head's value), in order.
   */
  @FunctionalInterface
  public interface RowsCall<T> {
    List<T> run(int start, int count);
  }

  /** Told each time the limit halves: the old and new limit and the failure that caused it. */
  @FunctionalInterface
  public interface Listener {
    void shrunk(int from, int to, RuntimeException cause);
  }

  private final AtomicInteger limit;
  private final Listener listener;

  /**
   * @param initial the first chunk size (the configured batch size)
   */
  public ShrinkingBatch(int initial, Listener listener) {
    if (initial < 1) {
      throw new IllegalArgumentException("initial batch size must be positive: " + initial);
    }
    this.limit = new AtomicInteger(initial);
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** The chunk size now in force. */
  public int limit() {
    return limit.get();
  }

  /**
   * @return the results of every row, in order
   * @throws RuntimeException what {@code call} threw when it is not an out-of-memory failure, or
   *     when it is one on a single row
   */
  public float[][] run(int n, Call call) {
    return runRows(n, (start, count) -> Arrays.asList(call.run(start, count)))
        .toArray(float[][]::new);
  }

  /**
   * {@link #run} for calls whose result per row is not an embedding: captions, head values.
   *
   * @return the results of every row, in order
   * @throws RuntimeException what {@code call} threw when it is not an out-of-memory failure, or
   *     when it is one on a single row
   * @throws IllegalStateException when a call returns another number of results than rows
   */
  public <T> List<T> runRows(int n, RowsCall<T> call) {
    List<T> out = new ArrayList<>(n);
    int start = 0;
    while (start < n) {
      int size = Math.min(limit.get(), n - start);
      List<T> part;
      try {
        part = call.run(start, size);
      } catch (RuntimeException e) {
        if (!isOutOfMemory(e) || size == 1) {
          throw e;
        }
        int to = Math.max(1, size / 2);
        // Another task may have shrunk it further meanwhile; never grow it back.
        limit.accumulateAndGet(to, Math::min);
        listener.shrunk(size, to, e);
        continue;
      }
      if (part.size() != size) {
        throw new IllegalStateException(
            "a model call over " + size + " rows gave " + part.size() + " results");
      }
      out.addAll(part);
      start += size;
    }
    return out;
  }

  /**
   * Whether a failure (or one of its causes) is the device running out of memory, as ONNX Runtime's
   * CUDA and CPU providers word it.
   */
  public static boolean isOutOfMemory(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof OutOfMemoryError) {
        return false; // the JVM heap: shrinking the device batch will not help
      }
      String m = c.getMessage();
      if (m == null) {
        continue;
      }
      String s = m.toLowerCase(Locale.ROOT);
      if (s.contains("out of memory")
          || s.contains("cudaerrormemoryallocation")
          || s.contains("cuda_error_out_of_memory")
          || s.contains("failed to allocate memory")
          || s.contains("bfcarena")) {
        return true;
      }
    }
    return false;
  }
}
