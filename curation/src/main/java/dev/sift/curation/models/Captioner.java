package dev.sift.curation.models;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sift.curation.image.ClipPreprocessor;
import dev.sift.curation.text.ClipTokenizer;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * An image-to-text model in Hugging Face Optimum's encoder-decoder layout, on ONNX Runtime: {@code
 * encoder_model.onnx} ({@code pixel_values → last_hidden_state}) and {@code decoder_model.onnx}
 * ({@code input_ids, encoder_hidden_states [, encoder_attention_mask] → logits}), with {@code
 * tokenizer.json} and {@code preprocessor_config.json}; start, stop and pad tokens from {@code
 * generation_config.json} or {@code config.json}. With {@code decoder_with_past_model.onnx} (or
 * {@code decoder_model_merged.onnx}) present, greedy and beam decoding feed the KV cache ({@code
 * past_key_values.*} / {@code present.*}) and runs one new token per step; otherwise each step
 * re-runs the decoder on the whole prefix, which gives the same tokens.
 *
 * <p>Generation is batched: the encoder runs once per batch, the decoder once per step on the rows
 * still generating (a row that produced the stop token leaves the batch). Beam search ({@link
 * Generation#numBeams()} > 1) keeps {@code numBeams} sequences per image and stops an image once it
 * has that many finished captions (Hugging Face's {@code early_stopping=True}), so one beam is
 * exactly greedy.
 *
 * <p>Thread-safe: ONNX Runtime sessions run concurrently; {@link #close} once, when no call runs.
 * Not serialisable: executors open their own through the model cache.
 */
public final class Captioner implements AutoCloseable {
  /**
   * One generated caption.
   *
   * @param tokenIds the start token, the prompt, the generated tokens and the stop token if one was
   *     generated
   * @param text the decoded text, special tokens skipped (the prompt included)
   */
  public record Caption(long[] tokenIds, String text) {}

  static final String ENCODER = "encoder_model.onnx";
  static final String DECODER = "decoder_model.onnx";
  static final String DECODER_WITH_PAST = "decoder_with_past_model.onnx";
  static final String DECODER_MERGED = "decoder_model_merged.onnx";

  private final Path directory;
  private final Generation generation;
  private final ModelOptions options;
  private final OrtEnvironment env;
  private final OrtSession encoder;
  private final OrtSession decoder;
  private final OrtSession withPast;
  private final boolean merged;
  private final ClipTokenizer tokenizer;
  private final ClipPreprocessor preprocessor;
  private final String pixelInput;
  private final String encoderOutput;
  private final String idsInput;
  private final String logitsOutput;
  private final long start;
  private final long eos;
  private final long[] prompt;

  private Captioner(
      Path directory, Generation generation, ModelOptions options, CaptionerFiles.Parts p) {
    this.directory = directory;
    this.generation = generation;
    this.options = options;
    this.env = p.env;
    this.encoder = p.encoder;
    this.decoder = p.decoder;
    this.withPast = p.withPast;
    this.merged = p.merged;
    this.tokenizer = p.tokenizer;
    this.preprocessor = p.preprocessor;
    this.pixelInput = p.pixelInput;
    this.encoderOutput = p.encoderOutput;
    this.idsInput = p.idsInput;
    this.logitsOutput = p.logitsOutput;
    this.start = p.start;
    this.eos = p.eos;
    this.prompt = p.prompt;
  }

  /**
   * @throws IllegalArgumentException when the directory is not an encoder-decoder export (the
   *     message lists its files) or its sessions lack the expected inputs and outputs
   * @throws IOException when a file cannot be read or ONNX Runtime cannot load it on the device
   */
  public static Captioner open(Path directory, ModelOptions device, Generation generation)
      throws IOException {
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(device, "device");
    Objects.requireNonNull(generation, "generation");
    return new Captioner(
        directory, generation, device, CaptionerFiles.load(directory, device, generation));
  }

  public Path directory() {
    return directory;
  }

  /** The image preprocessing of this model's {@code preprocessor_config.json}. */
  public ClipPreprocessor preprocessor() {
    return preprocessor;
  }

  /** Floats per preprocessed image. */
  public int imageLength() {
    return preprocessor.outputLength();
  }

  /** Whether greedy decoding uses the KV cache (a cached decoder export is present). */
  public boolean usesKvCache() {
    return withPast != null;
  }

  /** The start token, which every caption's {@code tokenIds} begins with. */
  public long startTokenId() {
    return start;
  }

  /** The stop token. */
  public long stopTokenId() {
    return eos;
  }

  /**
   * Captions {@code n} images laid out as {@link ClipModel#embedImages} takes them.
   *
   * @throws InferenceException when ONNX Runtime fails, with the model file and shapes
   */
  public List<Caption> generate(float[] pixels, int n) {
    Objects.requireNonNull(pixels, "pixels");
    int length = imageLength();
    if (n < 0 || (long) n * length > pixels.length) {
      throw new IllegalArgumentException(
          "pixels holds " + pixels.length + " floats, fewer than " + n + " images of " + length);
    }
    if (n == 0) {
      return List.of();
    }
    Hidden hidden = encode(pixels, n);
    long[][] sequences =
        generation.numBeams() == 1 ? greedy(hidden, n) : beam(hidden, n, generation.numBeams());
    List<Caption> out = new ArrayList<>(n);
    for (long[] s : sequences) {
      out.add(new Caption(s, text(s)));
    }
    return out;
  }

  /**
   * The caption's text. CLIP's BPE vocabulary marks word ends with {@code </w>}, which its
   * tokenizer.json decoder (ByteLevel) leaves in; like Hugging Face's CLIP tokenizer, they become
   * spaces and the ends are trimmed. Other vocabularies decode as their tokenizer.json says.
   */
  private String text(long[] ids) {
    String raw = tokenizer.decode(ids);
    return raw.contains("</w>") ? raw.replace("</w>", " ").strip() : raw;
  }

  /** Encoder states: {@code n} rows of {@code positions x width} floats. */
  private record Hidden(float[] values, int positions, int width) {
    /** Rows {@code which}, in this thread's staging slot for the decoder's encoder states. */
    FloatBuffer rows(int[] which) {
      return DirectFloats.gather("encoder_hidden_states", values, which, positions * width);
    }
  }

  private Hidden encode(float[] pixels, int n) {
    long[] shape = {n, 3, preprocessor.cropHeight(), preprocessor.cropWidth()};
    try (OnnxTensor t =
            OnnxTensor.createTensor(env, DirectFloats.stage(pixels, 0, n * imageLength()), shape);
        OrtSession.Result r = encoder.run(Map.of(pixelInput, t))) {
      OnnxTensor h = tensor(r, encoderOutput);
      long[] s = h.getInfo().getShape();
      if (s.length != 3 || s[0] != n) {
        throw new IllegalStateException(
            encoderOutput + " has shape " + Arrays.toString(s) + ", expected [" + n + ", S, H]");
      }
      float[] values = new float[(int) (s[0] * s[1] * s[2])];
      h.getFloatBuffer().get(values);
      return new Hidden(values, (int) s[1], (int) s[2]);
    } catch (OrtException | RuntimeException e) {
      throw new InferenceException(
          "captioner encoder "
              + directory.resolve(ENCODER)
              + " failed on "
              + n
              + " images "
              + Arrays.toString(shape)
              + ": "
              + e.getMessage(),
          e);
    }
  }

  private long[] prefix() {
    long[] p = new long[1 + prompt.length];
    p[0] = start;
    System.arraycopy(prompt, 0, p, 1, prompt.length);
    return p;
  }

  /** Greedy decoding: one decoder step per new token on the rows that have not stopped. */
  private long[][] greedy(Hidden hidden, int n) {
    long[][] seq = new long[n][];
    Arrays.fill(seq, prefix());
    int[] active = allRows(n);
    Steps steps = new Steps(hidden);
    int[] parents = null;
    for (int step = 0; step < generation.maxNewTokens() && active.length > 0; step++) {
      long[][] rows = new long[active.length][];
      for (int i = 0; i < active.length; i++) {
        rows[i] = seq[active[i]];
      }
      float[][] logits = steps.next(rows, active, parents);
      int[] going = choose(logits, seq, active, step);
      int[] was = active;
      active = Arrays.stream(going).map(i -> was[i]).toArray();
      parents = going;
    }
    return seq;
  }

  /**
   * Appends each active row's greedy choice; returns the positions (in {@code active}) of the rows
   * that did not stop.
   */
  private int[] choose(float[][] logits, long[][] seq, int[] active, int step) {
    List<Integer> still = new ArrayList<>();
    for (int i = 0; i < active.length; i++) {
      int row = active[i];
      LogitsRules.apply(logits[i], seq[row], step, generation, eos);
      long next = LogitsRules.argmax(logits[i]);
      seq[row] = BeamSearch.append(seq[row], next);
      if (next != eos) {
        still.add(i);
      }
    }
    return still.stream().mapToInt(Integer::intValue).toArray();
  }

  private static int[] allRows(int n) {
    int[] all = new int[n];
    for (int i = 0; i < n; i++) {
      all[i] = i;
    }
    return all;
  }

  /**
   * The decoder steps of one batch. Without a cached decoder every step re-runs {@code
   * decoder_model.onnx} on the rows' whole prefixes. With one, the first step runs {@code
   * decoder_model.onnx} on the prefix and keeps its {@code present.*} outputs; every later step
   * feeds each row's last token and its cache rows to the cached decoder. {@code parents[i]} is the
   * row of the previous step that row {@code i} extends, so finished rows leave the cache and beams
   * that fork share their parent's rows.
   */
  private final class Steps {
    private final Hidden hidden;
    private Map<String, float[]> cache;
    private Map<String, long[]> shapes;
    private int cachedRows;

    Steps(Hidden hidden) {
      this.hidden = hidden;
    }

    float[][] next(long[][] rows, int[] images, int[] parents) {
      // Without a cached decoder every step is a first step.
      boolean first = cache == null || withPast == null;
      OrtSession session = first ? decoder : withPast;
      int a = rows.length;
      Map<String, OnnxTensor> inputs = new HashMap<>();
      try {
        long[] ids;
        long[] idsShape;
        if (first) {
          int t = rows[0].length;
          idsShape = new long[] {a, t};
          ids = new long[a * t];
          for (int i = 0; i < a; i++) {
            System.arraycopy(rows[i], 0, ids, i * t, t);
          }
        } else {
          idsShape = new long[] {a, 1};
          ids = new long[a];
          for (int i = 0; i < a; i++) {
            ids[i] = rows[i][rows[i].length - 1];
          }
          // Every cache tensor keeps the rows of the beams that go on (batch is dimension 0).
          for (Map.Entry<String, float[]> e : cache.entrySet()) {
            long[] shape = shapes.get(e.getKey()).clone();
            shape[0] = parents.length;
            FloatBuffer kept =
                DirectFloats.gather(
                    e.getKey(), e.getValue(), parents, e.getValue().length / cachedRows);
            inputs.put(e.getKey(), OnnxTensor.createTensor(env, kept, shape));
          }
          if (merged) {
            inputs.put("use_cache_branch", OnnxTensor.createTensor(env, new boolean[] {true}));
          }
        }
        inputs.put(idsInput, OnnxTensor.createTensor(env, LongBuffer.wrap(ids), idsShape));
        addEncoderInputs(inputs, session, hidden, images);
        try (OrtSession.Result r = session.run(inputs)) {
          float[][] logits = last(tensor(r, logitsOutput), a);
          Map<String, float[]> nextCache = new TreeMap<>();
          Map<String, long[]> nextShapes = new TreeMap<>();
          for (Map.Entry<String, OnnxValue> e : r) {
            if (withPast != null && e.getKey().startsWith("present.")) {
              OnnxTensor p = (OnnxTensor) e.getValue();
              long[] shape = p.getInfo().getShape();
              float[] v = new float[(int) Arrays.stream(shape).reduce(1, (x, y) -> x * y)];
              p.getFloatBuffer().get(v);
              String name = "past_key_values." + e.getKey().substring("present.".length());
              nextCache.put(name, v);
              nextShapes.put(name, shape);
            }
          }
          cache = nextCache;
          shapes = nextShapes;
          cachedRows = a;
          return logits;
        }
      } catch (OrtException | RuntimeException e) {
        throw new InferenceException(
            "captioner decoder "
                + directory.resolve(first ? DECODER : merged ? DECODER_MERGED : DECODER_WITH_PAST)
                + " failed on "
                + a
                + " rows of "
                + rows[0].length
                + " tokens: "
                + e.getMessage(),
            e);
      } finally {
        inputs.values().forEach(OnnxTensor::close);
      }
    }
  }

  /** Beam search with {@code k} beams ({@link BeamSearch}) over this batch's decoder steps. */
  private long[][] beam(Hidden hidden, int n, int k) {
    return new BeamSearch(new Steps(hidden)::next, prefix(), eos, generation).run(n, k);
  }

  /**
   * The length-normalised log-probability of a caption's {@code tokens} (from the start token) for
   * one image, teacher-forced with no logits rules: what beam search ranks captions by. Compares
   * captions of one image under this model, e.g. a web alt-text's tokens against a generated one.
   *
   * @param pixels one image, laid out as {@link #generate} takes it
   * @throws InferenceException when ONNX Runtime fails
   */
  public double logProbability(float[] pixels, long[] tokens) {
    Hidden h = encode(pixels, 1);
    long[] prefix = prefix();
    double sum = 0;
    for (int t = prefix.length; t < tokens.length; t++) {
      float[] logits =
          new Steps(h).next(new long[][] {Arrays.copyOf(tokens, t)}, new int[] {0}, null)[0];
      sum += LogitsRules.logSoftmax(logits)[(int) tokens[t]];
    }
    return new BeamSearch((r, i, p) -> null, prefix, eos, generation)
        .normalised(sum, tokens.length);
  }

  private void addEncoderInputs(
      Map<String, OnnxTensor> inputs, OrtSession session, Hidden hidden, int[] active)
      throws OrtException {
    Map<String, NodeInfo> info = session.getInputInfo();
    if (info.containsKey("encoder_hidden_states")) {
      inputs.put(
          "encoder_hidden_states",
          OnnxTensor.createTensor(
              env,
              hidden.rows(active),
              new long[] {active.length, hidden.positions(), hidden.width()}));
    }
    if (info.containsKey("encoder_attention_mask")) {
      long[] mask = new long[active.length * hidden.positions()];
      Arrays.fill(mask, 1L);
      inputs.put(
          "encoder_attention_mask",
          OnnxTensor.createTensor(
              env, LongBuffer.wrap(mask), new long[] {active.length, hidden.positions()}));
    }
  }

  private static OnnxTensor tensor(OrtSession.Result r, String name) {
    OnnxValue v = r.get(name).orElseThrow(() -> new IllegalStateException("no output " + name));
    if (!(v instanceof OnnxTensor t)) {
      throw new IllegalStateException(name + " is not a tensor");
    }
    if (t.getInfo().type != OnnxJavaType.FLOAT) {
      throw new IllegalStateException(name + " is " + t.getInfo().type + ", not float32");
    }
    return t;
  }

  /** Row i's logits at the last position of {@code [a, T, V]} logits. */
  private static float[][] last(OnnxTensor logits, int a) {
    long[] s = logits.getInfo().getShape();
    if (s.length != 3 || s[0] != a) {
      throw new IllegalStateException(
          "logits have shape " + Arrays.toString(s) + ", expected [" + a + ", T, V]");
    }
    int t = (int) s[1];
    int v = (int) s[2];
    FloatBuffer all = logits.getFloatBuffer();
    float[][] out = new float[a][v];
    for (int i = 0; i < a; i++) {
      all.position((i * t + t - 1) * v);
      all.get(out[i]);
    }
    return out;
  }

  @Override
  public void close() {
    List<Exception> failures = new ArrayList<>();
    for (AutoCloseable c : new AutoCloseable[] {withPast, decoder, encoder, tokenizer}) {
      if (c == null) {
        continue;
      }
      try {
        c.close();
      } catch (Exception e) {
        failures.add(e);
      }
    }
    if (!failures.isEmpty()) {
      throw new IllegalStateException("cannot close captioner " + directory, failures.get(0));
    }
  }

  @Override
  public String toString() {
    return "Captioner["
        + directory
        + ", "
        + options.device()
        + (withPast != null ? ", KV cache" : "")
        + ", "
        + generation
        + "]";
  }
}
