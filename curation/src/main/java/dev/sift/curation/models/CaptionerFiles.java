package dev.sift.curation.models;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sift.curation.image.ClipPreprocessor;
import dev.sift.curation.text.ClipTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Opens a captioner directory (Optimum's encoder-decoder layout) for {@link Captioner}: checks the
 * files, opens the ONNX Runtime sessions (with the cached decoder when present, checked against the
 * first-step decoder's {@code present.*} outputs), finds the tensors' names, and reads the start
 * and stop tokens and the prompt. On any failure every session it opened is closed.
 *
 * <p>Stateless; {@link #load} is thread-safe.
 */
final class CaptionerFiles {
  private CaptionerFiles() {}

  /** What {@link #load} assembles: the sessions, tokenizer, preprocessor, tensor names, tokens. */
  static final class Parts {
    OrtEnvironment env;
    OrtSession encoder;
    OrtSession decoder;
    OrtSession withPast;
    boolean merged;
    ClipTokenizer tokenizer;
    ClipPreprocessor preprocessor;
    String pixelInput;
    String encoderOutput;
    String idsInput;
    String logitsOutput;
    long start;
    long eos;
    long[] prompt;
  }

  /**
   * @throws IllegalArgumentException when the directory is not an encoder-decoder export (the
   *     message lists its files) or its sessions lack the expected inputs and outputs
   * @throws IOException when a file cannot be read or ONNX Runtime cannot load it on the device
   */
  static Parts load(Path directory, ModelOptions device, Generation generation) throws IOException {
    for (String required :
        List.of(
            Captioner.ENCODER, Captioner.DECODER, "tokenizer.json", ClipPreprocessor.CONFIG_FILE)) {
      if (!Files.isRegularFile(directory.resolve(required))) {
        throw new IllegalArgumentException(
            "captioner directory "
                + directory
                + " has no "
                + required
                + " (Optimum encoder-decoder layout: encoder_model.onnx, decoder_model.onnx,"
                + " tokenizer.json, preprocessor_config.json); it holds "
                + listing(directory));
      }
    }
    Parts p = new Parts();
    p.env = OrtEnvironment.getEnvironment();
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      p.preprocessor =
          ClipPreprocessor.fromConfig(
              directory.resolve(ClipPreprocessor.CONFIG_FILE),
              ClipPreprocessor.Reference.TORCHVISION);
      p.tokenizer = ClipTokenizer.open(directory, 1024);
      opened.add(p.tokenizer);
      p.encoder = OrtSessions.create(p.env, directory.resolve(Captioner.ENCODER), device);
      opened.add(p.encoder);
      p.decoder = OrtSessions.create(p.env, directory.resolve(Captioner.DECODER), device);
      opened.add(p.decoder);
      Path past = directory.resolve(Captioner.DECODER_WITH_PAST);
      Path mergedFile = directory.resolve(Captioner.DECODER_MERGED);
      if (Files.isRegularFile(past)) {
        p.withPast = OrtSessions.create(p.env, past, device);
        opened.add(p.withPast);
      } else if (Files.isRegularFile(mergedFile)) {
        p.withPast = OrtSessions.create(p.env, mergedFile, device);
        opened.add(p.withPast);
        p.merged = true;
      }
      if (p.withPast != null && !hasPastInputs(p.withPast)) {
        throw new IllegalArgumentException(
            directory + ": the cached decoder has no past_key_values.* inputs");
      }
      if (p.withPast != null) {
        // The first step runs decoder_model.onnx; its present.* outputs seed the cache.
        for (String in : p.withPast.getInputNames()) {
          if (in.startsWith("past_key_values.")) {
            String present = "present." + in.substring("past_key_values.".length());
            if (!p.decoder.getOutputNames().contains(present)) {
              throw new IllegalArgumentException(
                  directory
                      + ": the cached decoder takes "
                      + in
                      + " but "
                      + Captioner.DECODER
                      + " does not give "
                      + present
                      + " (its outputs: "
                      + p.decoder.getOutputNames()
                      + "); re-export both decoders together, or remove the cached one to decode"
                      + " without a cache");
            }
          }
        }
      }
      p.pixelInput = onlyInput(p.encoder, Captioner.ENCODER, "pixel_values");
      p.encoderOutput = output(p.encoder, Captioner.ENCODER, "last_hidden_state");
      Map<String, NodeInfo> dec = p.decoder.getInputInfo();
      p.idsInput = require(dec, Captioner.DECODER, "input_ids");
      require(dec, Captioner.DECODER, "encoder_hidden_states");
      p.logitsOutput = output(p.decoder, Captioner.DECODER, "logits");
      long[] ids = tokenIds(directory);
      p.start = ids[0];
      p.eos = ids[1];
      String text = generation.prompt();
      p.prompt =
          text == null || text.isBlank()
              ? new long[0]
              : p.tokenizer.encodeWithoutSpecialTokens(text.trim());
      return p;
    } catch (OrtException | RuntimeException | IOException e) {
      for (int i = opened.size() - 1; i >= 0; i--) {
        try {
          opened.get(i).close();
        } catch (Exception c) {
          e.addSuppressed(c);
        }
      }
      if (e instanceof IOException io) {
        throw io;
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new IOException(directory + ": " + e.getMessage(), e);
    }
  }

  /** Start and stop token ids: generation_config.json, then config.json, then the tokenizer. */
  private static long[] tokenIds(Path directory) throws IOException {
    ObjectMapper json = new ObjectMapper();
    Long start = null;
    Long eos = null;
    for (String file : List.of("generation_config.json", "config.json")) {
      Path f = directory.resolve(file);
      if (!Files.isRegularFile(f)) {
        continue;
      }
      JsonNode n = json.readTree(f.toFile());
      if (start == null) {
        start = firstId(n, "decoder_start_token_id", "bos_token_id");
      }
      if (eos == null) {
        eos = firstId(n, "eos_token_id");
      }
    }
    if (start == null || eos == null) {
      throw new IllegalArgumentException(
          directory
              + ": no decoder_start_token_id / bos_token_id and eos_token_id in"
              + " generation_config.json or config.json");
    }
    return new long[] {start, eos};
  }

  private static Long firstId(JsonNode n, String... keys) {
    for (String k : keys) {
      JsonNode v = n.get(k);
      if (v != null && v.isIntegralNumber()) {
        return v.asLong();
      }
      if (v != null && v.isArray() && v.size() > 0 && v.get(0).isIntegralNumber()) {
        return v.get(0).asLong();
      }
    }
    return null;
  }

  private static boolean hasPastInputs(OrtSession s) {
    return s.getInputNames().stream().anyMatch(n -> n.startsWith("past_key_values."));
  }

  private static String onlyInput(OrtSession s, String file, String preferred) throws OrtException {
    if (s.getInputNames().contains(preferred)) {
      return preferred;
    }
    if (s.getInputNames().size() == 1) {
      return s.getInputNames().iterator().next();
    }
    throw new IllegalArgumentException(
        file + " has no input " + preferred + "; it takes " + s.getInputInfo().keySet());
  }

  private static String output(OrtSession s, String file, String preferred) throws OrtException {
    if (s.getOutputNames().contains(preferred)) {
      return preferred;
    }
    if (!s.getOutputNames().isEmpty()) {
      return s.getOutputNames().iterator().next();
    }
    throw new IllegalArgumentException(file + " has no output");
  }

  private static String require(Map<String, NodeInfo> inputs, String file, String name) {
    if (!inputs.containsKey(name)) {
      throw new IllegalArgumentException(
          file + " has no input " + name + "; it takes " + inputs.keySet());
    }
    return name;
  }

  private static String listing(Path directory) throws IOException {
    if (!Files.isDirectory(directory)) {
      return "nothing (not a directory)";
    }
    try (var files = Files.list(directory)) {
      List<String> names = files.map(f -> f.getFileName().toString()).sorted().toList();
      return names.isEmpty() ? "no files" : String.join(", ", names);
    }
  }
}
