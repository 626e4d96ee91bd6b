package dev.sift.curation.models;

import static dev.sift.curation.models.TinyOnnx.FLOAT;
import static dev.sift.curation.models.TinyOnnx.INT64;
import static dev.sift.curation.models.TinyOnnx.intsAttr;
import static dev.sift.curation.models.TinyOnnx.longs;
import static dev.sift.curation.models.TinyOnnx.node;
import static dev.sift.curation.models.TinyOnnx.tensor;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The KV-cache path against the full-prefix path on hand-written graphs ({@link TinyOnnx}) that
 * compute the same function both ways: the decoder's hidden state at position t is the sum of the
 * token embeddings up to t plus the mean of the encoder states, and the logits are a fixed
 * projection of it. {@code decoder_model.onnx} computes the sum with {@code CumSum} over the whole
 * prefix and also returns each token's embedding as {@code present.0.key} / {@code
 * present.0.value}; {@code decoder_with_past_model.onnx} appends the newest embedding to {@code
 * past_key_values.0.*} and sums the cache. So a cached run equals a re-run only if the cache rows
 * follow their sequence through row removal and beam reordering. {@code decoder_model_merged.onnx}
 * is an {@code If} on {@code use_cache_branch} with the two graphs as branches, as Optimum merges
 * them (Sift runs the first step on {@code decoder_model.onnx} and the merged graph with the branch
 * on after that). These are not Optimum exports of a real model: real exports (several layers,
 * cross-attention caches, float16) are not covered here.
 */
class CaptionerKvCacheTest {
  /** Which decoders a test directory holds. */
  private enum Layout {
    NO_CACHE,
    WITH_PAST,
    MERGED
  }

  private static final int VOCAB = 49408;
  private static final int DIM = 2;
  private static final int IMAGES = 5;

  @TempDir static Path temp;
  private static Path tokenizerDir;
  private static float[] pixels;

  @BeforeAll
  static void setUp() throws Exception {
    tokenizerDir =
        Path.of(CaptionerKvCacheTest.class.getResource("/fixtures/tiny-captioner").toURI());
    Random random = new Random(7);
    pixels = new float[IMAGES * 12];
    for (int i = 0; i < pixels.length; i++) {
      pixels[i] = (float) random.nextGaussian();
    }
  }

  /** A model directory; {@code stop} as config.json's eos_token_id. */
  private static Path model(String name, Layout layout, long stop) throws IOException {
    Path dir = Files.createDirectories(temp.resolve(name));
    Files.copy(
        tokenizerDir.resolve("tokenizer.json"),
        dir.resolve("tokenizer.json"),
        StandardCopyOption.REPLACE_EXISTING);
    Files.writeString(
        dir.resolve("preprocessor_config.json"),
        "{\"crop_size\": {\"height\": 2, \"width\": 2}, \"do_center_crop\": true,"
            + " \"do_normalize\": false, \"do_rescale\": false, \"do_resize\": true,"
            + " \"image_mean\": [0, 0, 0], \"image_std\": [1, 1, 1],"
            + " \"resample\": 3, \"size\": {\"shortest_edge\": 2}}");
    Files.writeString(
        dir.resolve("config.json"),
        "{\"decoder_start_token_id\": 49406, \"eos_token_id\": " + stop + "}");
    Random random = new Random(11);
    float[] embedding = new float[VOCAB * DIM];
    float[] projection = new float[DIM * VOCAB];
    for (int i = 0; i < embedding.length; i++) {
      embedding[i] = (float) random.nextGaussian();
      projection[i] = (float) random.nextGaussian();
    }
    Files.write(
        dir.resolve(Captioner.ENCODER),
        TinyOnnx.model(
            List.of(
                node(
                    "ReduceMean",
                    List.of("pixel_values"),
                    List.of("last_hidden_state"),
                    List.of(intsAttr("axes", 3), TinyOnnx.intAttr("keepdims", 0)))),
            List.of(tensor("pixel_values", FLOAT, -1, 3, 2, 2)),
            List.of(tensor("last_hidden_state", FLOAT, -1, 3, DIM))));
    List<byte[]> shared =
        List.of(
            TinyOnnx.floats("E", embedding, VOCAB, DIM),
            TinyOnnx.floats("W", projection, DIM, VOCAB),
            longs("axis1", new long[] {1}, 1));
    // Each graph gets only the constants it uses, which keeps ONNX Runtime from warning.
    List<byte[]> firstConstants = concat(shared, List.of(longs("one", new long[] {1})));
    List<byte[]> pastConstants = concat(shared, List.of(longs("axis2", new long[] {2}, 1)));
    List<byte[]> constants = concat(firstConstants, pastConstants.subList(3, 4));
    byte[] ids = tensor("input_ids", INT64, -1, -1);
    byte[] encoderStates = tensor("encoder_hidden_states", FLOAT, -1, 3, DIM);
    List<byte[]> past =
        List.of(
            tensor("past_key_values.0.key", FLOAT, -1, 1, -1, DIM),
            tensor("past_key_values.0.value", FLOAT, -1, 1, -1, DIM));
    List<byte[]> pastInputs = concat(List.of(ids, encoderStates), past);
    // The first step always runs decoder_model.onnx; without a cached decoder to feed, it gives
    // only the logits.
    List<byte[]> firstOutputs = layout == Layout.NO_CACHE ? outputs("").subList(0, 1) : outputs("");
    write(
        dir,
        Captioner.DECODER,
        fullPrefix(""),
        firstConstants,
        List.of(ids, encoderStates),
        firstOutputs);
    switch (layout) {
      case NO_CACHE -> {}
      case WITH_PAST ->
          write(
              dir,
              Captioner.DECODER_WITH_PAST,
              withPast(""),
              pastConstants,
              pastInputs,
              outputs(""));
      case MERGED -> {
        byte[] then = TinyOnnx.graph("cached", withPast("_c"), List.of(), List.of(), outputs("_c"));
        byte[] otherwise =
            TinyOnnx.graph("first", fullPrefix("_f"), List.of(), List.of(), outputs("_f"));
        byte[] branch =
            node(
                "If",
                List.of("use_cache_branch"),
                List.of("logits", "present.0.key", "present.0.value"),
                List.of(
                    TinyOnnx.graphAttr("then_branch", then),
                    TinyOnnx.graphAttr("else_branch", otherwise)));
        write(
            dir,
            Captioner.DECODER_MERGED,
            List.of(branch),
            constants,
            concat(pastInputs, List.of(tensor("use_cache_branch", TinyOnnx.BOOL, 1))),
            outputs(""));
      }
    }
    return dir;
  }

  private static void write(
      Path dir,
      String file,
      List<byte[]> nodes,
      List<byte[]> constants,
      List<byte[]> inputs,
      List<byte[]> outputs)
      throws IOException {
    Files.write(dir.resolve(file), TinyOnnx.model(nodes, constants, inputs, outputs));
  }

  /** logits, present.0.key, present.0.value, each name followed by {@code s}. */
  private static List<byte[]> outputs(String s) {
    return List.of(
        tensor("logits" + s, FLOAT, -1, -1, VOCAB),
        tensor("present.0.key" + s, FLOAT, -1, 1, -1, DIM),
        tensor("present.0.value" + s, FLOAT, -1, 1, -1, DIM));
  }

  /** The mean of the encoder states, {@code [N, 1, DIM]}, as {@code "enc" + s}. */
  private static byte[] encoderMean(String s) {
    return node(
        "ReduceMean",
        List.of("encoder_hidden_states"),
        List.of("enc" + s),
        List.of(intsAttr("axes", 1), TinyOnnx.intAttr("keepdims", 1)));
  }

  /** The whole prefix: logits from CumSum of the embeddings; each embedding as the caches. */
  private static List<byte[]> fullPrefix(String s) {
    return List.of(
        node("Gather", List.of("E", "input_ids"), List.of("emb" + s), List.of()),
        node("CumSum", List.of("emb" + s, "one"), List.of("cum" + s), List.of()),
        node("Add", List.of("cum" + s, "cum" + s), List.of("twice" + s), List.of()),
        encoderMean(s),
        node("Add", List.of("twice" + s, "enc" + s), List.of("h" + s), List.of()),
        node("MatMul", List.of("h" + s, "W"), List.of("logits" + s), List.of()),
        node("Unsqueeze", List.of("emb" + s, "axis1"), List.of("present.0.key" + s), List.of()),
        node("Unsqueeze", List.of("emb" + s, "axis1"), List.of("present.0.value" + s), List.of()));
  }

  /** The newest token: its embedding appended to each cache, logits from the caches' sums. */
  private static List<byte[]> withPast(String s) {
    List<byte[]> nodes = new java.util.ArrayList<>();
    nodes.add(node("Gather", List.of("E", "input_ids"), List.of("emb" + s), List.of()));
    nodes.add(node("Unsqueeze", List.of("emb" + s, "axis1"), List.of("e4" + s), List.of()));
    for (String kind : List.of("key", "value")) {
      String present = "present.0." + kind + s;
      nodes.add(
          node(
              "Concat",
              List.of("past_key_values.0." + kind, "e4" + s),
              List.of(present),
              List.of(TinyOnnx.intAttr("axis", 2))));
      nodes.add(
          node(
              "ReduceSum",
              List.of(present, "axis2"),
              List.of("sum_" + kind + s),
              List.of(TinyOnnx.intAttr("keepdims", 0))));
    }
    nodes.add(
        node("Add", List.of("sum_key" + s, "sum_value" + s), List.of("twice" + s), List.of()));
    nodes.add(encoderMean(s));
    nodes.add(node("Add", List.of("twice" + s, "enc" + s), List.of("h" + s), List.of()));
    nodes.add(node("MatMul", List.of("h" + s, "W"), List.of("logits" + s), List.of()));
    return nodes;
  }

  private static List<byte[]> concat(List<byte[]> first, List<byte[]> rest) {
    List<byte[]> all = new java.util.ArrayList<>(first);
    all.addAll(rest);
    return all;
  }

  /** The token ids of each caption (Caption's array does not compare by content). */
  private static List<List<Long>> run(Path dir, Generation generation) throws IOException {
    try (Captioner c = Captioner.open(dir, ModelOptions.cpu(1), generation)) {
      return c.generate(pixels, IMAGES).stream()
          .map(cap -> java.util.Arrays.stream(cap.tokenIds()).boxed().toList())
          .toList();
    }
  }

  @Test
  void cachedDecodingEqualsFullPrefixDecoding() throws IOException {
    Generation greedy = Generation.greedy(12);
    // A stop token that image 0 generates at step 3, so that rows leave the batch early.
    List<List<Long>> probe = run(model("probe", Layout.NO_CACHE, 0), greedy);
    long stop = probe.get(0).get(3);
    Path plain = model("plain", Layout.NO_CACHE, stop);
    Path cached = model("cached", Layout.WITH_PAST, stop);
    try (Captioner c = Captioner.open(cached, ModelOptions.cpu(1), greedy)) {
      assertThat(c.usesKvCache()).isTrue();
    }

    Path merged = model("merged", Layout.MERGED, stop);
    try (Captioner c = Captioner.open(merged, ModelOptions.cpu(1), greedy)) {
      assertThat(c.usesKvCache()).isTrue();
    }

    List<List<Long>> expected = run(plain, greedy);
    assertThat(expected.get(0)).hasSize(4).endsWith(stop);
    assertThat(expected).anySatisfy(c -> assertThat(c).hasSize(13));
    assertThat(run(cached, greedy)).containsExactlyElementsOf(expected);
    assertThat(run(merged, greedy)).containsExactlyElementsOf(expected);

    for (Generation g :
        List.of(
            new Generation(3, 1.0, 12, 0, 1.0, 0, null),
            new Generation(4, 0.5, 12, 2, 1.3, 2, null),
            new Generation(1, 1.0, 12, 5, 1.5, 1, null))) {
      List<List<Long>> full = run(plain, g);
      assertThat(run(cached, g)).as("%s", g).containsExactlyElementsOf(full);
      assertThat(run(merged, g)).as("merged %s", g).containsExactlyElementsOf(full);
    }
  }

  @Test
  void aWithPastDecoderNeedsThePresentsOfTheFirstStep() throws IOException {
    Path dir = model("mismatch", Layout.WITH_PAST, 49407);
    // Replace the first-step decoder by one without present.* outputs.
    Path plain = model("plain-only", Layout.NO_CACHE, 49407);
    Files.copy(
        plain.resolve(Captioner.DECODER),
        dir.resolve(Captioner.DECODER),
        StandardCopyOption.REPLACE_EXISTING);
    assertThatThrownBy(() -> Captioner.open(dir, ModelOptions.cpu(1), Generation.greedy(4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("takes past_key_values.0.key")
        .hasMessageContaining("does not give");
  }
}
