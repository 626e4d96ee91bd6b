package dev.sift.curation.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.huggingface.tokenizers.TokenizerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Turns captions into the {@code input_ids} and {@code attention_mask} tensors of a CLIP text
 * tower, exactly as Hugging Face's {@code CLIPTokenizerFast} does: the model directory's {@code
 * tokenizer.json} runs in the Rust {@code tokenizers} library through DJL's JNI binding, so
 * normalisation (NFC, whitespace, lower-casing), the CLIP pre-tokenizer and the byte-level BPE are
 * the reference code itself, not a re-implementation.
 *
 * <p>Each caption becomes {@code <|startoftext|> tokens <|endoftext|>}; a caption longer than
 * {@link #maxLength()} is truncated to {@code maxLength - 2} tokens and still starts with BOS and
 * ends with EOS. A {@code null} caption is encoded as the empty string (BOS, EOS), so that a
 * missing caption never fails a batch; filter such rows before scoring if they should not get a
 * score. By default a batch is padded only to its longest caption, which gives the same text
 * embeddings as padding to 77 because the CLIP text tower is causal and pools at the first EOS;
 * {@link Padding#MAX_LENGTH} pads every row to {@link #maxLength()}. Padding uses the pad token of
 * {@code tokenizer_config.json} ({@code <|endoftext|>}, 49407, for CLIP) with attention 0.
 *
 * <p>Thread safety: {@link #encode} may be called from many threads at once (Spark task threads
 * share one instance per executor JVM); the native tokenizer's settings are fixed at construction
 * and encoding does not mutate it. Captions are encoded one at a time on the calling thread, so the
 * Rust library never starts its own thread pool inside an executor.
 *
 * <p>Lifecycle: {@link #open} loads the native library (once per JVM) and the tokenizer. The
 * creator owns the instance and closes it: in Spark that is the per-executor model cache, at JVM
 * shutdown. {@link #close} waits for encodes in flight; encoding after close throws {@link
 * IllegalStateException}. Not serialisable: open it on the executor from the model directory.
 *
 * <p>Native library: the DJL jar carries {@code libtokenizers} for Linux x86_64/aarch64, macOS
 * aarch64 and Windows x86_64 and extracts it on first use to {@code
 * $ENGINE_CACHE_DIR/tokenizers/<version>-cpu-<platform>/} (else {@code $DJL_CACHE_DIR}, else {@code
 * ~/.djl.ai}, else {@code java.io.tmpdir/.djl.ai}). On a machine with a CUDA GPU DJL would instead
 * try to download a CUDA build from the internet; tokenization needs no GPU, so this class sets the
 * system property {@code RUST_FLAVOR=cpu} before the library loads unless {@code RUST_FLAVOR} is
 * already set as an environment variable or system property.
 */
public final class ClipTokenizer implements AutoCloseable {

  /** CLIP's context length: the most tokens a caption has, BOS and EOS included. */
  public static final int MAX_LENGTH = 77;

  /** How far {@link #encode(List, Padding)} pads the rows of a batch. */
  public enum Padding {
    /** To the longest caption of the batch (never more than {@link #maxLength()}). */
    LONGEST,
    /** To {@link #maxLength()}, as Hugging Face's {@code padding="max_length"}. */
    MAX_LENGTH
  }

  private static final String RUST_FLAVOR = "RUST_FLAVOR";
  private static final String TOKENIZER_JSON = "tokenizer.json";
  private static final String TOKENIZER_CONFIG_JSON = "tokenizer_config.json";

  static {
    // The bundled CPU library is all tokenization needs; without this DJL downloads a CUDA build
    // on GPU machines, which fails on executors without internet access.
    if (System.getenv(RUST_FLAVOR) == null && System.getProperty(RUST_FLAVOR) == null) {
      System.setProperty(RUST_FLAVOR, "cpu");
    }
  }

  private final HuggingFaceTokenizer tokenizer;
  private final int maxLength;
  private final long padId;
  private final ReadWriteLock closeLock = new ReentrantReadWriteLock();
  private boolean closed;

  private ClipTokenizer(HuggingFaceTokenizer tokenizer, int maxLength, long padId) {
    this.tokenizer = tokenizer;
    this.maxLength = maxLength;
    this.padId = padId;
  }

  /** Opens the tokenizer of {@code modelDir} with CLIP's {@value #MAX_LENGTH}-token limit. */
  public static ClipTokenizer open(Path modelDir) throws IOException {
    return open(modelDir, MAX_LENGTH);
  }

  /**
   * Opens the tokenizer of {@code modelDir}, which holds {@code tokenizer.json} and optionally
   * {@code tokenizer_config.json} (for the pad token; without it the pad token is EOS).
   *
   * @param maxLength the most tokens per caption, BOS and EOS included; at least 2
   * @throws IOException when {@code tokenizer.json} is missing or unreadable
   */
  public static ClipTokenizer open(Path modelDir, int maxLength) throws IOException {
    Objects.requireNonNull(modelDir, "modelDir");
    if (maxLength < 2) {
      throw new IllegalArgumentException(
          "maxLength must be at least 2 (BOS and EOS): " + maxLength);
    }
    Path tokenizerJson = modelDir.resolve(TOKENIZER_JSON);
    if (!Files.isRegularFile(tokenizerJson)) {
      throw new IOException("No " + TOKENIZER_JSON + " in model directory " + modelDir);
    }
    Path configJson = modelDir.resolve(TOKENIZER_CONFIG_JSON);
    HuggingFaceTokenizer.Builder builder =
        HuggingFaceTokenizer.builder()
            .optTokenizerPath(tokenizerJson)
            .optAddSpecialTokens(true)
            .optWithOverflowingTokens(false)
            .optTruncation(true)
            .optMaxLength(maxLength)
            // Padding is done here, per batch; the native tokenizer never pads.
            .optPadding(false);
    if (Files.isRegularFile(configJson)) {
      builder.optTokenizerConfigPath(configJson.toString());
    }
    HuggingFaceTokenizer tokenizer = builder.build();
    try {
      long eosId = specialIds(tokenizer)[1];
      long padId = eosId;
      if (Files.isRegularFile(configJson)) {
        String padToken = TokenizerConfig.load(configJson).getPadToken();
        if (padToken != null) {
          padId = tokenId(tokenizer, padToken, modelDir);
        }
      }
      return new ClipTokenizer(tokenizer, maxLength, padId);
    } catch (RuntimeException | IOException e) {
      tokenizer.close();
      throw e;
    }
  }

  /** The BOS and EOS ids the post-processor adds around every caption. */
  private static long[] specialIds(HuggingFaceTokenizer tokenizer) throws IOException {
    long[] ids = tokenizer.encode("", true, false).getIds();
    if (ids.length != 2) {
      throw new IOException(
          "Not a CLIP tokenizer: the empty caption encodes to "
              + Arrays.toString(ids)
              + ", expected [BOS, EOS]");
    }
    return ids;
  }

  private static long tokenId(HuggingFaceTokenizer tokenizer, String token, Path modelDir)
      throws IOException {
    long[] ids = tokenizer.encode(token, false, false).getIds();
    if (ids.length != 1) {
      throw new IOException(
          "Pad token '" + token + "' of " + modelDir + " is not a single token in its vocabulary");
    }
    return ids[0];
  }

  /** The most tokens per caption, BOS and EOS included. */
  public int maxLength() {
    return maxLength;
  }

  /** The id that fills padded positions. */
  public long padId() {
    return padId;
  }

  /** Encodes {@code captions}, padded to the batch's longest caption. */
  public Batch encode(List<String> captions) {
    return encode(captions, Padding.LONGEST);
  }

  /**
   * Encodes {@code captions} in order; a {@code null} caption is encoded as {@code ""}.
   *
   * @throws IllegalStateException after {@link #close}
   */
  public Batch encode(List<String> captions, Padding padding) {
    Objects.requireNonNull(captions, "captions");
    Objects.requireNonNull(padding, "padding");
    long[][] unpadded = new long[captions.size()][];
    Lock lock = closeLock.readLock();
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("ClipTokenizer is closed");
      }
      for (int i = 0; i < unpadded.length; i++) {
        String caption = captions.get(i);
        Encoding encoding = tokenizer.encode(caption == null ? "" : caption, true, false);
        unpadded[i] = encoding.getIds();
      }
    } finally {
      lock.unlock();
    }
    int length = 0;
    if (padding == Padding.MAX_LENGTH) {
      length = maxLength;
    } else {
      for (long[] ids : unpadded) {
        length = Math.max(length, ids.length);
      }
    }
    long[][] inputIds = new long[unpadded.length][length];
    long[][] attentionMask = new long[unpadded.length][length];
    for (int i = 0; i < unpadded.length; i++) {
      long[] ids = unpadded[i];
      if (ids.length > maxLength) {
        // The native truncation guarantees this; a violation would silently corrupt a tensor.
        throw new IllegalStateException(
            "Caption " + i + " encoded to " + ids.length + " tokens, more than " + maxLength);
      }
      System.arraycopy(ids, 0, inputIds[i], 0, ids.length);
      Arrays.fill(inputIds[i], ids.length, length, padId);
      Arrays.fill(attentionMask[i], 0, ids.length, 1L);
    }
    return new Batch(inputIds, attentionMask);
  }

  /**
   * Token ids for {@code text} without BOS, EOS or truncation: a prompt that generated captions
   * continue.
   */
  public long[] encodeWithoutSpecialTokens(String text) {
    Lock lock = closeLock.readLock();
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("ClipTokenizer is closed");
      }
      return tokenizer.encode(text, false, false).getIds();
    } finally {
      lock.unlock();
    }
  }

  /** The text of {@code ids}, special tokens skipped (as {@code skip_special_tokens=True}). */
  public String decode(long[] ids) {
    Lock lock = closeLock.readLock();
    lock.lock();
    try {
      if (closed) {
        throw new IllegalStateException("ClipTokenizer is closed");
      }
      return tokenizer.decode(ids, true);
    } finally {
      lock.unlock();
    }
  }

  /** Releases the native tokenizer; waits for encodes in flight. Idempotent. */
  @Override
  public void close() {
    Lock lock = closeLock.writeLock();
    lock.lock();
    try {
      if (!closed) {
        closed = true;
        tokenizer.close();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * One encoded batch: row {@code i} belongs to caption {@code i}; every row has {@link #length()}
   * entries. The arrays are owned by the caller and are not copied.
   */
  public static final class Batch {
    private final long[][] inputIds;
    private final long[][] attentionMask;

    Batch(long[][] inputIds, long[][] attentionMask) {
      this.inputIds = inputIds;
      this.attentionMask = attentionMask;
    }

    /** Token ids, {@code [size][length]}, padded with the pad id. */
    public long[][] inputIds() {
      return inputIds;
    }

    /** 1 for a real token, 0 for padding, {@code [size][length]}. */
    public long[][] attentionMask() {
      return attentionMask;
    }

    /** Number of captions. */
    public int size() {
      return inputIds.length;
    }

    /** Tokens per row after padding; 0 for an empty batch. */
    public int length() {
      return inputIds.length == 0 ? 0 : inputIds[0].length;
    }

    /** Token ids as one row-major array, the layout an {@code [size, length]} tensor takes. */
    public long[] flatInputIds() {
      return flatten(inputIds);
    }

    /** Attention mask as one row-major array, the layout an {@code [size, length]} tensor takes. */
    public long[] flatAttentionMask() {
      return flatten(attentionMask);
    }

    private long[] flatten(long[][] rows) {
      int length = length();
      long[] flat = new long[rows.length * length];
      for (int i = 0; i < rows.length; i++) {
        System.arraycopy(rows[i], 0, flat, i * length, length);
      }
      return flat;
    }
  }
}
