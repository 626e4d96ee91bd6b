package dev.sift.udfs;

import dev.sift.curation.Reject;
import dev.sift.curation.image.ClipPreprocessor;
import dev.sift.curation.image.ImageDecodeException;
import dev.sift.curation.image.ImageDecoder;
import dev.sift.curation.models.ClipModel;
import dev.sift.curation.models.Devices;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code score} stage, per partition: rows still alive are taken in batches of {@code
 * batchSize}; their images are decoded and preprocessed as CLIP expects, the image and text towers
 * run once per batch (identical captions embedded once), and {@code clip_score} is the cosine of
 * the two embeddings. An image that cannot be decoded becomes a {@code decode/decode_error} row
 * with the decoder's message; a failed model call fails the task with its context. Rejected rows
 * pass through untouched, in order.
 *
 * <p>Serialised to executors with only its settings; the model comes from {@link ModelCache}.
 */
public final class ClipScorePartitionFn implements MapPartitionsFunction<Row, Row> {
  private static final long serialVersionUID = 1L;

  private final String modelDir;
  private final String device;
  private final int batchSize;
  private final int threads;
  private final StageCounter counter;
  private final int image;
  private final int caption;
  private final int score;
  private final int reason;
  private final int stage;
  private final int detail;

  /**
   * @param schema the rows' schema (it must hold image, caption, clip_score and reject columns)
   * @param device {@code auto}, {@code cpu} or {@code cuda}
   * @param threads ONNX Runtime intra-op threads on the CPU (0: its default)
   */
  public ClipScorePartitionFn(
      StructType schema,
      String modelDir,
      String device,
      int batchSize,
      int threads,
      StageCounter counter) {
    this.modelDir = modelDir;
    this.device = device;
    this.batchSize = batchSize;
    this.threads = threads;
    this.counter = counter;
    this.image = schema.fieldIndex("image");
    this.caption = schema.fieldIndex("caption");
    this.score = schema.fieldIndex("clip_score");
    this.reason = schema.fieldIndex("reject_reason");
    this.stage = schema.fieldIndex("reject_stage");
    this.detail = schema.fieldIndex("reject_detail");
  }

  /** The model options for this task: CUDA on the GPU Spark assigned, else the CPU. */
  ClipModel.Options options() {
    Devices.Resolution r = Devices.resolve(device, Devices.available());
    if (r.device() == Devices.Device.CUDA) {
      int id = GpuAssignment.currentTask();
      // Without Spark GPU scheduling (local mode) the one visible GPU is device 0.
      return ClipModel.Options.cuda(id == GpuAssignment.NONE ? 0 : id);
    }
    return ClipModel.Options.cpu(threads);
  }

  @Override
  public Iterator<Row> call(Iterator<Row> input) {
    ClipModel model = ModelCache.clip(modelDir, options());
    ClipPreprocessor preprocessor = model.preprocessor();
    ImageDecoder decoder = new ImageDecoder();
    int length = model.imageLength();
    float[] pixels = new float[batchSize * length];
    return new Iterator<>() {
      private Iterator<Row> ready = List.<Row>of().iterator();

      @Override
      public boolean hasNext() {
        while (!ready.hasNext() && input.hasNext()) {
          ready = scoreBatch(input, model, preprocessor, decoder, pixels, length).iterator();
        }
        return ready.hasNext();
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return ready.next();
      }
    };
  }

  private List<Row> scoreBatch(
      Iterator<Row> input,
      ClipModel model,
      ClipPreprocessor preprocessor,
      ImageDecoder decoder,
      float[] pixels,
      int length) {
    List<Object[]> rows = new ArrayList<>(batchSize);
    List<Integer> scored = new ArrayList<>(batchSize);
    List<String> captions = new ArrayList<>(batchSize);
    int n = 0;
    while (n < batchSize && input.hasNext()) {
      Row row = input.next();
      Object[] values = new Object[row.length()];
      for (int i = 0; i < values.length; i++) {
        values[i] = row.get(i);
      }
      rows.add(values);
      if (values[reason] != null) {
        continue;
      }
      counter.add();
      try {
        preprocessor.preprocess(decoder.decode((byte[]) values[image]), pixels, n * length);
        scored.add(rows.size() - 1);
        captions.add((String) values[caption]);
        n++;
      } catch (ImageDecodeException | RuntimeException e) {
        values[reason] = Reject.DECODE_ERROR.code();
        values[stage] = Reject.DECODE_ERROR.stage();
        values[detail] = e.getMessage();
      }
    }
    if (n > 0) {
      float[][] images = model.embedImages(pixels, n);
      float[][] texts = model.embedTexts(captions);
      for (int k = 0; k < n; k++) {
        rows.get(scored.get(k))[score] = (double) ClipModel.cosine(images[k], texts[k]);
      }
    }
    List<Row> out = new ArrayList<>(rows.size());
    for (Object[] values : rows) {
      out.add(RowFactory.create(values));
    }
    return out;
  }
}
