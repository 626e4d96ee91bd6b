package dev.sift.udfs;

import dev.sift.curation.Reject;
import dev.sift.curation.batch.DecodeAhead;
import dev.sift.curation.batch.ShrinkingBatch;
import dev.sift.curation.dedup.PerceptualHash;
import dev.sift.curation.image.ClipPreprocessor;
import dev.sift.curation.image.ImageDecoder;
import dev.sift.curation.image.RgbImage;
import dev.sift.curation.models.ClipModel;
import dev.sift.curation.models.EmbeddingHead;
import dev.sift.curation.models.Float16;
import dev.sift.curation.models.ModelOptions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code score} stage, per partition: rows still alive are taken in batches of {@code
 * batchSize}; their images are decoded and preprocessed on the executor's {@link DecodePool} one
 * batch ahead of the model ({@link DecodeAhead}), the image and text towers run once per batch
 * (identical captions embedded once), and {@code clip_score} is the cosine of the two embeddings.
 * An image that cannot be decoded becomes a {@code decode/decode_error} row with the decoder's
 * message; with a {@code phash} column (near-duplicate dedup), the decoded image's pHash is written
 * too, so no image is decoded twice. A failed model call fails the task with its context, except
 * that running out of device memory halves the executor's batch size and retries ({@link
 * ShrinkingBatch}). On a GPU, model calls hold a {@link GpuSemaphore} permit. Rejected rows pass
 * through untouched, in order.
 *
 * <p>Serialised to executors with only its settings; the model comes from {@link ModelCache}.
 */
public final class ClipScorePartitionFn implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  /**
   * How the stage runs on an executor, beyond the model directory and device.
   *
   * @param heads head name -> ONNX file; each writes column {@code head_<name>}
   * @param fastJpeg decode large JPEGs at reduced scale in the DCT domain ({@code sift.decode.mode
   *     = fast})
   */
  public record Settings(
      int batchSize,
      int threads,
      int decodeThreads,
      int prefetchBatches,
      int gpuConcurrency,
      java.util.TreeMap<String, String> heads,
      boolean fastJpeg)
      implements java.io.Serializable {}

  /** The column a head's values go to. */
  public static String headColumn(String head) {
    return Columns.head(head);
  }

  private final String modelDir;
  private final String device;
  private final Settings settings;
  private final StageCounter counter;
  private final ScoreMetrics metrics;
  private final int image;
  private final int caption;
  private final int score;
  private final int reason;
  private final int stage;
  private final int detail;
  private final int imageEmbedding;
  private final int phash;
  private final int textEmbedding;
  private final int[] headColumns;

  /**
   * @param schema the rows' schema (it must hold image, caption, clip_score and reject columns)
   * @param device {@code auto}, {@code cpu} or {@code cuda}
   */
  public ClipScorePartitionFn(
      StructType schema,
      String modelDir,
      String device,
      Settings settings,
      StageCounter counter,
      ScoreMetrics metrics) {
    this.modelDir = modelDir;
    this.device = device;
    this.settings = settings;
    this.counter = counter;
    this.metrics = metrics;
    this.image = schema.fieldIndex(Columns.IMAGE);
    this.caption = schema.fieldIndex(Columns.CAPTION);
    this.score = schema.fieldIndex(Columns.CLIP_SCORE);
    this.reason = schema.fieldIndex(Columns.REJECT_REASON);
    this.stage = schema.fieldIndex(Columns.REJECT_STAGE);
    this.detail = schema.fieldIndex(Columns.REJECT_DETAIL);
    // Present only when embeddings are written.
    List<String> names = List.of(schema.fieldNames());
    this.imageEmbedding = names.indexOf(Columns.IMAGE_EMBEDDING);
    this.textEmbedding = names.indexOf(Columns.TEXT_EMBEDDING);
    // Present when near-duplicate dedup needs the pHash of the image decoded here.
    this.phash = names.indexOf(Columns.PHASH);
    this.headColumns = new int[settings.heads().size()];
    int h = 0;
    for (String head : settings.heads().keySet()) {
      headColumns[h++] = schema.fieldIndex(headColumn(head));
    }
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) {
    ModelTask task = new ModelTask(device, settings.threads(), settings.gpuConcurrency(), metrics);
    ModelOptions options = task.options();
    ClipModel model = ModelCache.clip(modelDir, options);
    List<EmbeddingHead> heads = new ArrayList<>();
    settings.heads().forEach((name, file) -> heads.add(ModelCache.head(name, file, options)));
    ShrinkingBatch limit = ModelLimits.of(modelDir, options, settings.batchSize());
    List<ShrinkingBatch> headLimits = new ArrayList<>();
    settings
        .heads()
        .values()
        .forEach(file -> headLimits.add(ModelLimits.of(file, options, settings.batchSize())));
    ClipPreprocessor preprocessor = model.preprocessor();
    ImageDecoder decoder =
        new ImageDecoder(
            ImageDecoder.DEFAULT_MAX_PIXELS,
            settings.fastJpeg() ? ModelTask.fastJpegSide(preprocessor) : 0);
    int length = model.imageLength();
    return task.rows(
        input,
        values -> values[reason] == null,
        (values, buffer, offset) -> {
          RgbImage decoded = decoder.decode((byte[]) values[image]);
          if (phash >= 0) {
            values[phash] = PerceptualHash.of(decoded);
          }
          preprocessor.preprocess(decoded, buffer, offset);
        },
        settings.batchSize(),
        length,
        settings.decodeThreads(),
        settings.prefetchBatches(),
        batch -> scoreBatch(batch, task, model, heads, limit, headLimits, length));
  }

  private void scoreBatch(
      DecodeAhead.Batch<Object[]> batch,
      ModelTask task,
      ClipModel model,
      List<EmbeddingHead> heads,
      ShrinkingBatch limit,
      List<ShrinkingBatch> headLimits,
      int length) {
    List<Object[]> rows = batch.rows();
    int n = batch.prepared();
    String[] captions = new String[n];
    for (int r = 0; r < rows.size(); r++) {
      Object[] values = rows.get(r);
      if (values[reason] != null && batch.errors()[r] == null) {
        continue;
      }
      counter.add();
      Exception error = batch.errors()[r];
      if (error != null) {
        values[reason] = Reject.DECODE_ERROR.code();
        values[stage] = Reject.DECODE_ERROR.stage();
        values[detail] = ModelTask.message(error);
      } else {
        captions[batch.slot()[r]] = (String) values[caption];
      }
    }
    if (n == 0) {
      return;
    }
    long t0 = System.nanoTime();
    float[] pixels = batch.buffer();
    float[][] images =
        limit.run(
            n,
            (start, count) ->
                task.onDevice(
                    () ->
                        // The whole buffer from its start: the model reads count rows of it.
                        model.embedImages(
                            start == 0 ? pixels : ModelTask.slice(pixels, start, count, length),
                            count)));
    float[][] texts =
        limit.run(
            n,
            (start, count) ->
                task.onDevice(
                    () ->
                        model.embedTexts(
                            java.util.Arrays.asList(captions).subList(start, start + count))));
    float[][] headValues = new float[heads.size()][];
    for (int h = 0; h < heads.size(); h++) {
      EmbeddingHead head = heads.get(h);
      List<Float> values =
          headLimits
              .get(h)
              .runRows(
                  n,
                  (start, count) -> {
                    float[] v =
                        task.onDevice(
                            () ->
                                head.run(
                                    java.util.Arrays.copyOfRange(images, start, start + count)));
                    List<Float> boxed = new ArrayList<>(v.length);
                    for (float x : v) {
                      boxed.add(x);
                    }
                    return boxed;
                  });
      headValues[h] = new float[n];
      for (int i = 0; i < n; i++) {
        headValues[h][i] = values.get(i);
      }
    }
    metrics.batch(n, System.nanoTime() - t0);
    for (int r = 0; r < rows.size(); r++) {
      int s = batch.slot()[r];
      if (s >= 0) {
        Object[] values = rows.get(r);
        values[score] = (double) ClipModel.cosine(images[s], texts[s]);
        if (imageEmbedding >= 0) {
          values[imageEmbedding] = Float16.encode(images[s]);
        }
        if (textEmbedding >= 0) {
          values[textEmbedding] = Float16.encode(texts[s]);
        }
        for (int h = 0; h < headColumns.length; h++) {
          values[headColumns[h]] = (double) headValues[h][s];
        }
      }
    }
  }
}
