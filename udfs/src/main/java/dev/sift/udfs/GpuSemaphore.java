package dev.sift.udfs;

import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * Caps how many tasks of one executor JVM run a model on its GPU at once, so that an executor with
 * many cores and one GPU does not queue dozens of batches in device memory. A permit is held around
 * each model call, not for the whole task (as spark-rapids does, where GPU memory outlives a call):
 * between calls a task decodes images on the CPU, and those tasks must not wait for the GPU, since
 * decode is what bounds a GPU node. Because the permit never outlives the call, it is returned in
 * {@code finally}, also when the call fails or the task is killed.
 *
 * <p>Thread-safe; one per JVM (static). The permit count is fixed by the first task that asks.
 */
public final class GpuSemaphore {
  private static volatile Semaphore permits;

  private GpuSemaphore() {}

  /** The JVM's semaphore, created with {@code concurrency} permits on first use. */
  static Semaphore of(int concurrency) {
    Semaphore s = permits;
    if (s == null) {
      synchronized (GpuSemaphore.class) {
        s = permits;
        if (s == null) {
          s = new Semaphore(concurrency, true);
          permits = s;
        }
      }
    }
    return s;
  }

  /**
   * Runs {@code body} holding one permit.
   *
   * @param concurrency permits per JVM (used only when the semaphore is created)
   */
  public static <R> R call(int concurrency, Supplier<R> body) {
    Semaphore s = of(concurrency);
    s.acquireUninterruptibly();
    try {
      return body.get();
    } finally {
      s.release();
    }
  }
}
