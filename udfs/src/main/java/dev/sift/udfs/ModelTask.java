package dev.sift.udfs;

import dev.sift.curation.batch.DecodeAhead;
import dev.sift.curation.image.ClipPreprocessor;
import dev.sift.curation.image.ImageDecoder;
import dev.sift.curation.models.ModelOptions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every model stage's task shares, whatever its models ({@link ClipScorePartitionFn}, {@link
 * RecaptionPartitionFn}): the device Spark gave the task and the model options for it, the GPU
 * semaphore around every model call, images decoded and preprocessed on the executor's {@link
 * DecodePool} ahead of the model ({@link DecodeAhead}), and the rows' values filled in place by the
 * stage's batch function and made rows again, in order. Batch halving on device out-of-memory is
 * each model call's {@link ModelLimits} entry, keyed by model, device and batch size.
 *
 * <p>One per task, on the executor; not thread-safe.
 */
final class ModelTask {
  private static final Logger LOG = LoggerFactory.getLogger(ModelTask.class);
  private static final AtomicBoolean WARNED_FAST = new AtomicBoolean();

  private final ModelOptions options;
  private final int gpuConcurrency;
  private final ScoreMetrics metrics;

  /**
   * @param device {@code sift.device}
   * @param threads intra-op threads per model session
   * @param gpuConcurrency model calls at once per GPU
   */
  ModelTask(String device, int threads, int gpuConcurrency, ScoreMetrics metrics) {
    this.options = TaskDevice.options(device, threads);
    this.gpuConcurrency = gpuConcurrency;
    this.metrics = metrics;
    metrics.device(TaskDevice.describe(options));
    metrics.taskStarted(System.currentTimeMillis());
  }

  /** The model options for this task: CUDA on the GPU Spark assigned, else the CPU. */
  ModelOptions options() {
    return options;
  }

  /** One model call, holding a GPU permit when the task runs on a GPU. */
  <R> R onDevice(Supplier<R> call) {
    return options.device().gpu() ? GpuSemaphore.call(gpuConcurrency, call) : call.get();
  }

  /**
   * The partition's rows out. Those {@code selected} are prepared by {@code worker} (decode and
   * preprocess into the batch's float buffer, {@code length} floats a row) on the decode pool,
   * {@code prefetch} batches ahead; then {@code model} fills in the values of each batch's rows.
   * Rows not selected pass through untouched, in order.
   */
  Iterator<Row> rows(
      Iterator<Row> input,
      Predicate<Object[]> selected,
      DecodeAhead.Worker<Object[]> worker,
      int batchSize,
      int length,
      int decodeThreads,
      int prefetch,
      Consumer<DecodeAhead.Batch<Object[]>> model) {
    DecodeAhead<Object[]> batches =
        new DecodeAhead<>(
            new RowValues(input),
            selected,
            worker,
            batchSize,
            length,
            DecodePool.forTask(decodeThreads, prefetch),
            prefetch);
    return new BatchedRows(
        batches,
        batch -> {
          model.accept(batch);
          List<Row> out = new ArrayList<>(batch.rows().size());
          for (Object[] values : batch.rows()) {
            out.add(RowFactory.create(values));
          }
          return out;
        },
        metrics);
  }

  /** Rows {@code start .. start+count-1} of a batch of {@code length} floats per row. */
  static float[] slice(float[] pixels, int start, int count, int length) {
    return start == 0 && count * length == pixels.length
        ? pixels
        : java.util.Arrays.copyOfRange(pixels, start * length, (start + count) * length);
  }

  /** An exception's message for a row's detail column. */
  static String message(Exception e) {
    return e.getMessage() == null ? e.toString() : e.getMessage();
  }

  /**
   * The shorter side fast JPEG decoding keeps for a model: its resize target; 0 (exact) without the
   * library, said once per executor.
   */
  static int fastJpegSide(ClipPreprocessor preprocessor) {
    String missing = ImageDecoder.fastModeUnavailable();
    if (missing != null) {
      if (WARNED_FAST.compareAndSet(false, true)) {
        LOG.warn("sift.decode.mode = fast: {}; decoding exactly", missing);
      }
      return 0;
    }
    return preprocessor.shortestEdge();
  }

  /** Spark rows as value arrays, which the stage fills in before they are made rows again. */
  record RowValues(Iterator<Row> rows) implements Iterator<Object[]> {
    @Override
    public boolean hasNext() {
      return rows.hasNext();
    }

    @Override
    public Object[] next() {
      Row row = rows.next();
      Object[] values = new Object[row.length()];
      for (int i = 0; i < values.length; i++) {
        values[i] = row.get(i);
      }
      return values;
    }
  }
}
