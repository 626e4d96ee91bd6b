package dev.sift.curation.batch;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Groups rows into model batches and prepares each row's model input (decode and preprocess an
 * image into a slot of the batch's float buffer) on an {@link Executor}, up to {@code lookahead}
 * batches ahead of the one being consumed: while the caller runs the model on batch k, the pool
 * decodes batch k+1. Rows that need no work (rejected earlier) travel in their batch untouched, so
 * the output keeps the input's order.
 *
 * <p>The input iterator is read only on the caller's thread (Spark's partition iterators are not
 * thread-safe); only {@link Worker#prepare} runs on the pool. Buffers are recycled: the buffer of a
 * batch returned by {@link #next()} is valid until the following call to {@code next()}.
 *
 * <p>Not thread-safe: one instance per partition, consumed by one thread.
 *
 * @param <T> the row type
 */
public final class DecodeAhead<T> implements Iterator<DecodeAhead.Batch<T>> {

  /** Writes one row's model input into {@code buffer} at {@code offset}, or throws why not. */
  @FunctionalInterface
  public interface Worker<T> {
    /**
     * @throws Exception a row-level failure (unreadable image and the like): recorded for that row
     */
    void prepare(T row, float[] buffer, int offset) throws Exception;
  }

  /**
   * One model batch.
   *
   * @param rows every row of the batch, in input order, including those that needed no work
   * @param slot per row: its slot in {@code buffer} (slot i starts at {@code i * length}), or -1
   *     when it needed no work or its preparation failed
   * @param errors per row: the failure of its preparation, else null
   * @param buffer the prepared inputs, {@code prepared()} slots of {@code length} floats
   * @param prepared how many slots hold a prepared input (slots 0 .. prepared-1)
   */
  public record Batch<T>(
      List<T> rows, int[] slot, Exception[] errors, float[] buffer, int prepared) {}

  private final Iterator<T> input;
  private final Predicate<T> needsWork;
  private final Worker<T> worker;
  private final int batchSize;
  private final int length;
  private final Executor pool;
  private final int lookahead;
  private final Deque<CompletableFuture<Batch<T>>> inFlight = new ArrayDeque<>();
  private final Deque<float[]> free = new ArrayDeque<>();
  private final AtomicLong workNanos = new AtomicLong();
  private float[] lent;
  private long waitNanos;

  /**
   * @param needsWork which rows get a slot; the others pass through
   * @param batchSize rows needing work per batch
   * @param length floats per slot
   * @param pool where {@link Worker#prepare} runs; {@code Runnable::run} prepares inline
   * @param lookahead batches prepared ahead of the one being consumed (0: none)
   */
  public DecodeAhead(
      Iterator<T> input,
      Predicate<T> needsWork,
      Worker<T> worker,
      int batchSize,
      int length,
      Executor pool,
      int lookahead) {
    if (batchSize < 1 || length < 1 || lookahead < 0) {
      throw new IllegalArgumentException(
          "batchSize and length must be positive and lookahead not negative: "
              + batchSize
              + ", "
              + length
              + ", "
              + lookahead);
    }
    this.input = Objects.requireNonNull(input, "input");
    this.needsWork = Objects.requireNonNull(needsWork, "needsWork");
    this.worker = Objects.requireNonNull(worker, "worker");
    this.batchSize = batchSize;
    this.length = length;
    this.pool = Objects.requireNonNull(pool, "pool");
    this.lookahead = lookahead;
  }

  @Override
  public boolean hasNext() {
    if (inFlight.isEmpty() && input.hasNext()) {
      inFlight.add(submit());
    }
    return !inFlight.isEmpty();
  }

  /**
   * The next batch, once every row of it is prepared; the batch after it is already being prepared.
   *
   * @throws NoSuchElementException when the input is exhausted
   */
  @Override
  public Batch<T> next() {
    if (lent != null) {
      free.push(lent);
      lent = null;
    }
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    CompletableFuture<Batch<T>> head = inFlight.poll();
    // Queue the following batch before waiting, so the pool never idles on our account.
    fill();
    long t0 = System.nanoTime();
    Batch<T> batch;
    try {
      batch = head.join();
    } catch (CompletionException e) {
      // Only non-row failures get here (Errors, pool rejection); rethrow what happened.
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException r) {
        throw r;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw e;
    }
    waitNanos += System.nanoTime() - t0;
    lent = batch.buffer();
    return batch;
  }

  /** Nanoseconds the consumer waited for prepared batches: decode the model did not hide. */
  public long waitNanos() {
    return waitNanos;
  }

  /** Nanoseconds spent in {@link Worker#prepare}, summed over the pool's threads. */
  public long workNanos() {
    return workNanos.get();
  }

  /** Queues batches until {@code lookahead} are in flight behind the one being handed out. */
  private void fill() {
    while (inFlight.size() < lookahead && input.hasNext()) {
      inFlight.add(submit());
    }
  }

  private CompletableFuture<Batch<T>> submit() {
    List<T> rows = new ArrayList<>();
    List<Integer> working = new ArrayList<>();
    while (working.size() < batchSize && input.hasNext()) {
      T row = input.next();
      if (needsWork.test(row)) {
        working.add(rows.size());
      }
      rows.add(row);
    }
    float[] buffer = working.isEmpty() ? new float[0] : takeBuffer();
    Exception[] errors = new Exception[rows.size()];
    CompletableFuture<?>[] jobs = new CompletableFuture<?>[working.size()];
    for (int k = 0; k < jobs.length; k++) {
      int rowIndex = working.get(k);
      int offset = k * length;
      jobs[k] =
          CompletableFuture.runAsync(
              () -> {
                long t0 = System.nanoTime();
                try {
                  worker.prepare(rows.get(rowIndex), buffer, offset);
                } catch (Exception e) {
                  errors[rowIndex] = e;
                } finally {
                  workNanos.addAndGet(System.nanoTime() - t0);
                }
              },
              pool);
    }
    return CompletableFuture.allOf(jobs).thenApply(v -> compact(rows, working, errors, buffer));
  }

  /** Moves the prepared slots to the front of the buffer, so the model sees them contiguous. */
  private Batch<T> compact(
      List<T> rows, List<Integer> working, Exception[] errors, float[] buffer) {
    int[] slot = new int[rows.size()];
    java.util.Arrays.fill(slot, -1);
    int prepared = 0;
    for (int k = 0; k < working.size(); k++) {
      int rowIndex = working.get(k);
      if (errors[rowIndex] != null) {
        continue;
      }
      if (prepared != k) {
        System.arraycopy(buffer, k * length, buffer, prepared * length, length);
      }
      slot[rowIndex] = prepared++;
    }
    return new Batch<>(rows, slot, errors, buffer, prepared);
  }

  private float[] takeBuffer() {
    float[] b = free.poll();
    return b != null ? b : new float[batchSize * length];
  }
}
