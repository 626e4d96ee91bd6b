package dev.sift.curation.models;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.platform.Fp16Conversions;
import dev.sift.curation.image.ClipPreprocessor;
import dev.sift.curation.text.ClipTokenizer;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A CLIP model exported to ONNX: the image tower, the text tower, and the tokenizer and image
 * preprocessor that feed them, loaded from one model directory. It turns a batch of preprocessed
 * images or a batch of captions into L2-normalised embeddings, whose dot product is the CLIP score.
 *
 * <p>Layouts: the Hugging Face / Optimum split ({@code vision_model.onnx}, {@code text_model.onnx})
 * or the OpenCLIP-style one ({@code visual.onnx}, {@code textual.onnx}), with {@code
 * tokenizer.json} (and optionally {@code tokenizer_config.json}) and {@code
 * preprocessor_config.json} beside them. Input and output names, element types and shapes are read
 * from the sessions: the image input is {@code pixel_values} or the tower's only input, {@code [N,
 * 3, H, W]}; the text inputs are {@code input_ids} (else the only integer input that is not the
 * mask) and, when the tower has one, {@code attention_mask}, int64 or int32; the output is {@code
 * image_embeds} / {@code text_embeds}, else the only output, else the first 2-D output. A text
 * tower with a fixed sequence length gets every batch padded to it; otherwise a batch is padded to
 * its longest caption, which gives the same embeddings for CLIP's causal text tower and is faster.
 * float16 and bfloat16 towers are accepted: pixels are converted on the way in, embeddings on the
 * way out. The models' own outputs are not normalised; Sift normalises them here.
 *
 * <p>Thread safety: {@link #embedImages} and {@link #embedTexts} may be called from many threads at
 * once (ONNX Runtime sessions allow concurrent {@code run}); Spark task threads share one instance
 * per executor JVM and device. Each call runs one batch; the caller chooses the batch size.
 *
 * <p>Lifecycle and ownership: {@link #open} creates two ONNX Runtime sessions and the tokenizer;
 * the creator owns the model and closes it (in Spark, the per-executor model cache at JVM
 * shutdown). {@link #close} waits for batches in flight, then closes the sessions and the
 * tokenizer; the {@link #tokenizer()} and {@link #preprocessor()} it hands out are only borrowed
 * and must not be closed by callers. The {@link OrtEnvironment} is the JVM's single environment
 * ({@link OrtEnvironment#getEnvironment()}), owned by ONNX Runtime and never closed here. Not
 * serialisable: open it on the executor from the model directory.
 */
public final class ClipModel implements AutoCloseable {

  /** The two file layouts a CLIP model directory may have. */
  public enum Layout {
    /** Hugging Face / Optimum split export: {@code vision_model.onnx}, {@code text_model.onnx}. */
    HUGGING_FACE("vision_model.onnx", "text_model.onnx"),
    /** OpenCLIP-style export: {@code visual.onnx}, {@code textual.onnx}. */
    OPEN_CLIP("visual.onnx", "textual.onnx");

    private final String visionFile;
    private final String textFile;

    Layout(String visionFile, String textFile) {
      this.visionFile = visionFile;
      this.textFile = textFile;
    }

    /** File name of the image tower. */
    public String visionFile() {
      return visionFile;
    }

    /** File name of the text tower. */
    public String textFile() {
      return textFile;
    }
  }

  private final Path directory;
  private final Layout layout;
  private final ModelOptions options;
  private final OrtEnvironment env;
  private final OrtSession vision;
  private final OrtSession text;
  private final ClipTokenizer tokenizer;
  private final ClipPreprocessor preprocessor;
  private final Path visionPath;
  private final Path textPath;
  private final String pixelInput;
  private final OnnxJavaType pixelType;
  private final String imageOutput;
  private final String idsInput;
  private final String maskInput;
  private final OnnxJavaType tokenType;
  private final boolean fixedTextLength;
  private final String textOutput;
  private final int embeddingDim;
  private final ReadWriteLock closeLock = new ReentrantReadWriteLock();
  private boolean closed;

  private ClipModel(Path directory, ModelOptions options, ClipFiles.Parts parts) {
    this.directory = directory;
    this.layout = parts.layout();
    this.options = options;
    this.env = parts.env();
    this.vision = parts.vision();
    this.text = parts.text();
    this.tokenizer = parts.tokenizer();
    this.preprocessor = parts.preprocessor();
    this.visionPath = directory.resolve(layout.visionFile());
    this.textPath = directory.resolve(layout.textFile());
    this.pixelInput = parts.visionIo().input();
    this.pixelType = parts.visionIo().type();
    this.imageOutput = parts.visionIo().output();
    this.idsInput = parts.textIo().ids();
    this.maskInput = parts.textIo().mask();
    this.tokenType = parts.textIo().tokenType();
    this.fixedTextLength = parts.textIo().fixedLength() > 0;
    this.textOutput = parts.textIo().output();
    this.embeddingDim = parts.embeddingDim();
  }

  /** Opens {@code directory} on the CPU with ONNX Runtime's default threads. */
  public static ClipModel open(Path directory) throws IOException {
    return open(directory, ModelOptions.cpu());
  }

  /**
   * Opens the model in {@code directory}.
   *
   * @throws IllegalArgumentException when the directory has neither layout (the message lists the
   *     files found), lacks the tokenizer or preprocessor configuration, or the towers' inputs and
   *     outputs are not those of a CLIP model
   * @throws IOException when a file cannot be read, or ONNX Runtime cannot load a tower on the
   *     requested device (for CUDA: no CUDA provider in this build, or no such device)
   */
  public static ClipModel open(Path directory, ModelOptions options) throws IOException {
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(options, "options");
    return new ClipModel(directory, options, ClipFiles.load(directory, options));
  }

  /** The model directory. */
  public Path directory() {
    return directory;
  }

  /** Which file layout the directory has. */
  public Layout layout() {
    return layout;
  }

  /** The device and threads the sessions run with. */
  public ModelOptions options() {
    return options;
  }

  /**
   * The preprocessor of {@code preprocessor_config.json}; immutable, so callers may use it from any
   * thread (and serialise it) to fill the pixel buffer of {@link #embedImages}.
   */
  public ClipPreprocessor preprocessor() {
    return preprocessor;
  }

  /** The model's tokenizer, borrowed: it is closed with the model, never by the caller. */
  public ClipTokenizer tokenizer() {
    return tokenizer;
  }

  /** Floats per image in {@link #embedImages}'s buffer: {@code 3 * H * W}. */
  public int imageLength() {
    return preprocessor.outputLength();
  }

  /** The embedding size when the towers declare it, else -1 (then known from the outputs). */
  public int embeddingDim() {
    return embeddingDim;
  }

  /** Names of the tensors read from the sessions, for logs: {@code input -> output} per tower. */
  public String describeTensors() {
    return visionPath.getFileName()
        + ": "
        + pixelInput
        + " "
        + pixelType
        + " -> "
        + imageOutput
        + "; "
        + textPath.getFileName()
        + ": "
        + idsInput
        + (maskInput == null ? "" : ", " + maskInput)
        + " "
        + tokenType
        + (fixedTextLength ? " (fixed length " + tokenizer.maxLength() + ")" : "")
        + " -> "
        + textOutput;
  }

  /**
   * Embeds {@code n} preprocessed images.
   *
   * @param pixels {@code n} images of {@link #imageLength()} floats each, channel-major, as {@link
   *     ClipPreprocessor#preprocess(dev.sift.curation.image.RgbImage, float[], int)} writes them at
   *     offset {@code i * imageLength()}; entries past {@code n * imageLength()} are ignored, so a
   *     batch buffer can be reused for a short last batch
   * @return {@code n} L2-normalised embeddings, row {@code i} for image {@code i}
   * @throws InferenceException when ONNX Runtime fails on the batch
   * @throws IllegalStateException after {@link #close}
   */
  public float[][] embedImages(float[] pixels, int n) {
    Objects.requireNonNull(pixels, "pixels");
    int length = imageLength();
    if (n < 0 || (long) n * length > pixels.length) {
      throw new IllegalArgumentException(
          "pixels holds "
              + pixels.length
              + " floats, fewer than "
              + n
              + " images of "
              + length
              + " (3 x "
              + preprocessor.cropHeight()
              + " x "
              + preprocessor.cropWidth()
              + ")");
    }
    if (n == 0) {
      return new float[0][];
    }
    long[] shape = {n, 3, preprocessor.cropHeight(), preprocessor.cropWidth()};
    // Read in place by ONNX Runtime (float inputs), or converted by Fp16Conversions (half).
    FloatBuffer buffer =
        pixelType == OnnxJavaType.FLOAT
            ? DirectFloats.stage(pixels, 0, n * length)
            : FloatBuffer.wrap(pixels, 0, n * length);
    Lock lock = open();
    try (OnnxTensor tensor = floatTensor(buffer, shape, pixelType)) {
      return run(vision, Map.of(pixelInput, tensor), imageOutput, n);
    } catch (OrtException | RuntimeException e) {
      throw new InferenceException(
          "image tower "
              + visionPath
              + " failed on a batch of "
              + n
              + " images ("
              + pixelInput
              + " "
              + pixelType
              + " "
              + Arrays.toString(shape)
              + ", "
              + OrtSessions.describe(options)
              + "): "
              + e.getMessage(),
          e);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Embeds captions. They are tokenised with {@link #tokenizer()} and padded to the batch's longest
   * caption (or to the tower's fixed length); a caption that occurs several times in the batch is
   * encoded once. A {@code null} caption is embedded as the empty caption.
   *
   * @return one L2-normalised embedding per caption, in order; every row is its own array
   * @throws InferenceException when ONNX Runtime fails on the batch
   * @throws IllegalStateException after {@link #close}
   */
  public float[][] embedTexts(List<String> captions) {
    Objects.requireNonNull(captions, "captions");
    if (captions.isEmpty()) {
      return new float[0][];
    }
    Map<String, Integer> uniqueIndex = new LinkedHashMap<>();
    int[] rowOf = new int[captions.size()];
    for (int i = 0; i < rowOf.length; i++) {
      String caption = captions.get(i) == null ? "" : captions.get(i);
      rowOf[i] = uniqueIndex.computeIfAbsent(caption, c -> uniqueIndex.size());
    }
    List<String> unique = new ArrayList<>(uniqueIndex.keySet());
    Lock lock = open();
    long[] shape = null;
    try {
      ClipTokenizer.Batch batch =
          tokenizer.encode(
              unique,
              fixedTextLength ? ClipTokenizer.Padding.MAX_LENGTH : ClipTokenizer.Padding.LONGEST);
      shape = new long[] {batch.size(), batch.length()};
      try (OnnxTensor ids = tokenTensor(batch.flatInputIds(), shape);
          OnnxTensor mask =
              maskInput == null ? null : tokenTensor(batch.flatAttentionMask(), shape)) {
        Map<String, OnnxTensor> inputs = new HashMap<>();
        inputs.put(idsInput, ids);
        if (mask != null) {
          inputs.put(maskInput, mask);
        }
        float[][] embeddings = run(text, inputs, textOutput, batch.size());
        float[][] out = new float[rowOf.length][];
        boolean[] used = new boolean[embeddings.length];
        for (int i = 0; i < rowOf.length; i++) {
          float[] row = embeddings[rowOf[i]];
          out[i] = used[rowOf[i]] ? row.clone() : row;
          used[rowOf[i]] = true;
        }
        return out;
      }
    } catch (OrtException | RuntimeException e) {
      throw new InferenceException(
          "text tower "
              + textPath
              + " failed on a batch of "
              + captions.size()
              + " captions ("
              + unique.size()
              + " distinct, "
              + idsInput
              + " "
              + tokenType
              + " "
              + (shape == null ? "not tokenised" : Arrays.toString(shape))
              + ", "
              + OrtSessions.describe(options)
              + "): "
              + e.getMessage(),
          e);
    } finally {
      lock.unlock();
    }
  }

  /** Takes the read lock for one batch; throws if the model is closed. */
  private Lock open() {
    Lock lock = closeLock.readLock();
    lock.lock();
    if (closed) {
      lock.unlock();
      throw new IllegalStateException("ClipModel " + directory + " is closed");
    }
    return lock;
  }

  private OnnxTensor floatTensor(FloatBuffer values, long[] shape, OnnxJavaType type)
      throws OrtException {
    return switch (type) {
      case FLOAT -> OnnxTensor.createTensor(env, values, shape);
      case FLOAT16 ->
          OnnxTensor.createTensor(
              env, Fp16Conversions.convertFloatBufferToFp16Buffer(values), shape, type);
      case BFLOAT16 ->
          OnnxTensor.createTensor(
              env, Fp16Conversions.convertFloatBufferToBf16Buffer(values), shape, type);
      default -> throw new IllegalStateException("unsupported pixel type " + type);
    };
  }

  private OnnxTensor tokenTensor(long[] values, long[] shape) throws OrtException {
    if (tokenType == OnnxJavaType.INT64) {
      return OnnxTensor.createTensor(env, LongBuffer.wrap(values), shape);
    }
    int[] ints = new int[values.length];
    for (int i = 0; i < ints.length; i++) {
      ints[i] = Math.toIntExact(values[i]);
    }
    return OnnxTensor.createTensor(env, IntBuffer.wrap(ints), shape);
  }

  private static float[][] run(
      OrtSession session, Map<String, OnnxTensor> inputs, String output, int rows)
      throws OrtException {
    try (OrtSession.Result result = session.run(inputs, Set.of(output))) {
      OnnxValue value =
          result
              .get(output)
              .orElseThrow(() -> new IllegalStateException("no output named " + output));
      if (!(value instanceof OnnxTensor tensor)) {
        throw new IllegalStateException(output + " is not a tensor: " + value.getInfo());
      }
      long[] shape = tensor.getInfo().getShape();
      if (shape.length != 2 || shape[0] != rows || shape[1] <= 0) {
        throw new IllegalStateException(
            output + " has shape " + Arrays.toString(shape) + ", expected [" + rows + ", D]");
      }
      FloatBuffer flat = floats(tensor);
      int dim = (int) shape[1];
      float[][] out = new float[rows][dim];
      for (float[] row : out) {
        flat.get(row);
        normalize(row);
      }
      return out;
    }
  }

  private static FloatBuffer floats(OnnxTensor tensor) {
    OnnxJavaType type = tensor.getInfo().type;
    return switch (type) {
      case FLOAT -> tensor.getFloatBuffer();
      case FLOAT16 -> Fp16Conversions.convertFp16BufferToFloatBuffer(tensor.getShortBuffer());
      case BFLOAT16 -> Fp16Conversions.convertBf16BufferToFloatBuffer(tensor.getShortBuffer());
      default -> throw new IllegalStateException("embedding output is " + type + ", not float");
    };
  }

  /**
   * Scales {@code v} in place to unit L2 norm (accumulated in double); a zero vector stays zero.
   */
  static void normalize(float[] v) {
    double sum = 0;
    for (float x : v) {
      sum += (double) x * x;
    }
    if (sum > 0) {
      double inv = 1 / Math.sqrt(sum);
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (v[i] * inv);
      }
    }
  }

  /**
   * The cosine similarity of two vectors of the same length, accumulated in double; 0 when either
   * is zero. For the unit vectors this class returns it equals their dot product, the CLIP score.
   */
  public static float cosine(float[] a, float[] b) {
    if (a.length != b.length) {
      throw new IllegalArgumentException(
          "vectors differ in length: " + a.length + " and " + b.length);
    }
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += (double) a[i] * b[i];
      na += (double) a[i] * a[i];
      nb += (double) b[i] * b[i];
    }
    return na == 0 || nb == 0 ? 0f : (float) (dot / Math.sqrt(na * nb));
  }

  /** Waits for batches in flight, then closes both sessions and the tokenizer. Idempotent. */
  @Override
  public void close() {
    Lock lock = closeLock.writeLock();
    lock.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      List<AutoCloseable> owned = List.of(vision, text, tokenizer);
      IllegalStateException failure = new IllegalStateException("cannot close " + directory);
      ClipFiles.closeAll(new ArrayList<>(owned), failure);
      if (failure.getSuppressed().length > 0) {
        throw failure;
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public String toString() {
    return "ClipModel[" + directory + ", " + layout + ", " + OrtSessions.describe(options) + "]";
  }
}
