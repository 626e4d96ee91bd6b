package dev.sift.udfs;

import dev.sift.curation.Reject;
import dev.sift.curation.batch.DecodeAhead;
import dev.sift.curation.batch.ShrinkingBatch;
import dev.sift.curation.image.ClipPreprocessor;
import dev.sift.curation.image.ImageDecodeException;
import dev.sift.curation.image.ImageDecoder;
import dev.sift.curation.image.ImageProbe;
import dev.sift.curation.image.RgbImage;
import dev.sift.curation.models.Captioner;
import dev.sift.curation.models.ClipModel;
import dev.sift.curation.models.Generation;
import dev.sift.curation.models.ModelOptions;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code recaption} stage, per partition: rows flagged for re-captioning (a boolean column the
 * plan computes from {@code sift.recaption.when}) are taken in batches; each image is decoded once
 * and preprocessed twice, for the captioner and for CLIP; the captioner generates a caption and
 * CLIP scores it against the same image. The stage writes {@code synthetic_caption} and {@code
 * clip_score_synthetic}; the choice between the captions is the plan's (column expressions), so
 * this function never changes a caption or a verdict. A row whose image cannot be used (unreadable,
 * too small, too elongated) keeps its original caption and gets the reason in an error column.
 *
 * <p>Serialised to executors with only its settings; models come from {@link ModelCache}.
 */
public final class RecaptionPartitionFn implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  /**
   * How the stage runs on an executor.
   *
   * @param minSize shortest image side accepted ({@code sift.decode.min-size})
   * @param maxAspect longest over shortest side accepted ({@code sift.decode.max-aspect})
   * @param fastJpeg decode large JPEGs at reduced scale ({@code sift.decode.mode = fast})
   */
  public record Settings(
      String captionerDir,
      String clipDir,
      String device,
      Generation generation,
      int batchSize,
      int threads,
      int decodeThreads,
      int prefetchBatches,
      int gpuConcurrency,
      int minSize,
      double maxAspect,
      long maxPixels,
      boolean fastJpeg)
      implements java.io.Serializable {}

  private final Settings settings;

  /** The decode stage's size rules, applied to the decoded image. */
  private final ImageProbe limits;

  private final StageCounter counter;
  private final ScoreMetrics metrics;
  private final int flag;
  private final int image;
  private final int synthetic;
  private final int syntheticScore;
  private final int error;
  private final int width;
  private final int height;

  /**
   * @param schema the rows' schema: it holds image, synthetic_caption, clip_score_synthetic and the
   *     two named working columns
   * @param flagColumn boolean: re-caption this row
   * @param errorColumn string: why a flagged row got no caption
   */
  public RecaptionPartitionFn(
      StructType schema,
      String flagColumn,
      String errorColumn,
      Settings settings,
      StageCounter counter,
      ScoreMetrics metrics) {
    this.settings = settings;
    this.limits =
        new ImageProbe(
            ImageProbe.Verify.HEADER,
            settings.minSize(),
            settings.maxAspect(),
            settings.maxPixels());
    this.counter = counter;
    this.metrics = metrics;
    this.flag = schema.fieldIndex(flagColumn);
    this.image = schema.fieldIndex(Columns.IMAGE);
    this.synthetic = schema.fieldIndex(Columns.SYNTHETIC_CAPTION);
    this.syntheticScore = schema.fieldIndex(Columns.CLIP_SCORE_SYNTHETIC);
    this.error = schema.fieldIndex(errorColumn);
    this.width = schema.fieldIndex(Columns.WIDTH);
    this.height = schema.fieldIndex(Columns.HEIGHT);
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) throws Exception {
    ModelTask task =
        new ModelTask(settings.device(), settings.threads(), settings.gpuConcurrency(), metrics);
    ModelOptions options = task.options();
    Captioner captioner =
        ModelCache.captioner(settings.captionerDir(), options, settings.generation());
    ClipModel clip = ModelCache.clip(settings.clipDir(), options);
    ClipPreprocessor forCaptioner = captioner.preprocessor();
    ClipPreprocessor forClip = clip.preprocessor();
    int capLength = captioner.imageLength();
    int clipLength = clip.imageLength();
    ImageDecoder decoder =
        new ImageDecoder(
            settings.maxPixels(),
            settings.fastJpeg()
                ? Math.max(ModelTask.fastJpegSide(forCaptioner), ModelTask.fastJpegSide(forClip))
                : 0);
    ShrinkingBatch captionerLimit =
        ModelLimits.of(settings.captionerDir(), options, settings.batchSize());
    ShrinkingBatch clipLimit = ModelLimits.of(settings.clipDir(), options, settings.batchSize());
    return task.rows(
        input,
        values -> Boolean.TRUE.equals(values[flag]),
        (values, buffer, offset) -> {
          RgbImage rgb = usable(decoder, (byte[]) values[image]);
          forCaptioner.preprocess(rgb, buffer, offset);
          forClip.preprocess(rgb, buffer, offset + capLength);
          // Rows the text filters rejected were never probed: fill in their size.
          if (values[width] == null || values[height] == null) {
            values[width] = rgb.width();
            values[height] = rgb.height();
          }
        },
        settings.batchSize(),
        capLength + clipLength,
        settings.decodeThreads(),
        settings.prefetchBatches(),
        batch ->
            captionBatch(
                batch, task, captioner, clip, captionerLimit, clipLimit, capLength, clipLength));
  }

  /** The decoded image, or why it cannot be captioned: the decode stage's own size rules. */
  private RgbImage usable(ImageDecoder decoder, byte[] bytes) throws ImageDecodeException {
    if (bytes == null || bytes.length == 0) {
      throw new ImageDecodeException("no image bytes");
    }
    RgbImage rgb = decoder.decode(bytes);
    Reject limit = limits.checkLimits(rgb.width(), rgb.height());
    if (limit != null) {
      throw new ImageDecodeException(
          String.format(
              Locale.ROOT,
              "image %dx%d: %s (min-size %d, max-aspect %s)",
              rgb.width(),
              rgb.height(),
              limit.code(),
              settings.minSize(),
              settings.maxAspect()));
    }
    return rgb;
  }

  private void captionBatch(
      DecodeAhead.Batch<Object[]> batch,
      ModelTask task,
      Captioner captioner,
      ClipModel clip,
      ShrinkingBatch captionerLimit,
      ShrinkingBatch clipLimit,
      int capLength,
      int clipLength) {
    List<Object[]> rows = batch.rows();
    int n = batch.prepared();
    for (int r = 0; r < rows.size(); r++) {
      Object[] values = rows.get(r);
      if (!Boolean.TRUE.equals(values[flag])) {
        continue;
      }
      counter.add();
      Exception e = batch.errors()[r];
      if (e != null) {
        values[error] = ModelTask.message(e);
      }
    }
    if (n == 0) {
      return;
    }
    long t0 = System.nanoTime();
    int slot = capLength + clipLength;
    float[] capPixels = new float[n * capLength];
    float[] clipPixels = new float[n * clipLength];
    float[] buffer = batch.buffer();
    for (int k = 0; k < n; k++) {
      System.arraycopy(buffer, k * slot, capPixels, k * capLength, capLength);
      System.arraycopy(buffer, k * slot + capLength, clipPixels, k * clipLength, clipLength);
    }
    // Every model call halves its batch on device out-of-memory, as the score stage's do.
    List<Captioner.Caption> captions =
        captionerLimit.runRows(
            n,
            (start, count) ->
                task.onDevice(
                    () ->
                        captioner.generate(
                            ModelTask.slice(capPixels, start, count, capLength), count)));
    List<String> texts = new ArrayList<>(n);
    captions.forEach(c -> texts.add(c.text()));
    float[][] images =
        clipLimit.run(
            n,
            (start, count) ->
                task.onDevice(
                    () ->
                        clip.embedImages(
                            ModelTask.slice(clipPixels, start, count, clipLength), count)));
    float[][] embedded =
        clipLimit.run(
            n,
            (start, count) ->
                task.onDevice(() -> clip.embedTexts(texts.subList(start, start + count))));
    metrics.batch(n, System.nanoTime() - t0);
    for (int r = 0; r < rows.size(); r++) {
      int s = batch.slot()[r];
      if (s >= 0) {
        Object[] values = rows.get(r);
        values[synthetic] = texts.get(s);
        values[syntheticScore] = (double) ClipModel.cosine(images[s], embedded[s]);
      }
    }
  }
}
