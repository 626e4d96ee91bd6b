package dev.sift.udfs;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The executor JVM's image-decode threads, shared by its tasks like the model sessions: a task
 * hands its next batch's images to the pool and runs the model on the current one meanwhile. Daemon
 * threads, so the pool never holds a JVM open.
 *
 * <p>Thread-safe; one per JVM. The size is fixed by the first task that asks.
 */
public final class DecodePool {
  private static volatile ExecutorService pool;

  private DecodePool() {}

  /**
   * Where a task prepares its batches: inline when it asked for no prefetch and one thread (the
   * pool would only add a hand-off), else the JVM's pool.
   */
  public static java.util.concurrent.Executor forTask(int threads, int prefetchBatches) {
    return prefetchBatches == 0 && threads == 1 ? Runnable::run : get(threads);
  }

  /**
   * @param threads decode threads; 0 means one per core of this JVM
   */
  public static ExecutorService get(int threads) {
    ExecutorService p = pool;
    if (p == null) {
      synchronized (DecodePool.class) {
        p = pool;
        if (p == null) {
          int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
          AtomicInteger seq = new AtomicInteger();
          ThreadFactory f =
              r -> {
                Thread t = new Thread(r, "sift-decode-" + seq.incrementAndGet());
                t.setDaemon(true);
                return t;
              };
          p = Executors.newFixedThreadPool(n, f);
          pool = p;
        }
      }
    }
    return p;
  }
}
