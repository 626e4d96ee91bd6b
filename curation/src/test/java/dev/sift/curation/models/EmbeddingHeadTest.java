package dev.sift.curation.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed test head {@code fixtures/heads/linear32.onnx} is {@link #linearHead()}: a linear
 * layer on 32-wide embeddings (the tiny CLIP's width), value = w·e + b with {@code w_i = (i - 15.5)
 * / 16}, {@code b = 0.5}. Regenerate it with {@code -Dsift.fixtures.update=true}.
 */
class EmbeddingHeadTest {
  static final Path FIXTURE = Path.of("src/test/resources/fixtures/heads/linear32.onnx");
  static final int D = 32;
  @TempDir Path tmp;

  static float weight(int i) {
    return (i - 15.5f) / 16;
  }

  static byte[] linearHead() {
    float[] w = new float[D];
    for (int i = 0; i < D; i++) {
      w[i] = weight(i);
    }
    return TinyOnnx.model(
        List.of(
            TinyOnnx.node("MatMul", List.of("image_embeds", "w"), List.of("xw"), List.of()),
            TinyOnnx.node("Add", List.of("xw", "b"), List.of("score"), List.of())),
        List.of(TinyOnnx.floats("w", w, D, 1), TinyOnnx.floats("b", 0.5f, 1)),
        List.of(TinyOnnx.tensor("image_embeds", TinyOnnx.FLOAT, 0, D)),
        List.of(TinyOnnx.tensor("score", TinyOnnx.FLOAT, 0, 1)));
  }

  @Test
  void theCommittedFixtureIsTheLinearHead() throws Exception {
    if (Boolean.getBoolean("sift.fixtures.update")) {
      Files.createDirectories(FIXTURE.getParent());
      Files.write(FIXTURE, linearHead());
    }
    assertThat(Files.readAllBytes(FIXTURE)).isEqualTo(linearHead());
  }

  @Test
  void givesOneValuePerEmbedding() throws Exception {
    try (EmbeddingHead head = EmbeddingHead.open("linear", FIXTURE, ModelOptions.cpu(1))) {
      assertThat(head.inputDim()).isEqualTo(D);
      java.util.Random r = new java.util.Random(3);
      float[][] e = new float[5][D];
      for (float[] row : e) {
        for (int i = 0; i < D; i++) {
          row[i] = r.nextFloat() - 0.5f;
        }
      }
      float[] values = head.run(e);
      assertThat(values).hasSize(5);
      for (int k = 0; k < 5; k++) {
        double expected = 0.5;
        for (int i = 0; i < D; i++) {
          expected += weight(i) * e[k][i];
        }
        assertThat((double) values[k]).isCloseTo(expected, within(1e-5));
      }
      assertThat(head.run(new float[0][])).isEmpty();
    }
  }

  @Test
  void refusesFilesThatAreNotHeads() throws Exception {
    Path twoInputs = tmp.resolve("two.onnx");
    Files.write(
        twoInputs,
        TinyOnnx.model(
            List.of(TinyOnnx.node("Add", List.of("a", "c"), List.of("s"), List.of())),
            List.of(
                TinyOnnx.tensor("a", TinyOnnx.FLOAT, 0, D),
                TinyOnnx.tensor("c", TinyOnnx.FLOAT, 0, D)),
            List.of(TinyOnnx.tensor("s", TinyOnnx.FLOAT, 0, D))));
    assertThatThrownBy(() -> EmbeddingHead.open("two", twoInputs, ModelOptions.cpu(1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("head two")
        .hasMessageContaining("one float32 input");
    assertThatThrownBy(
            () -> EmbeddingHead.open("gone", tmp.resolve("none.onnx"), ModelOptions.cpu(1)))
        .hasMessageContaining("no such file");
    // A head that gives D values per row is refused when it runs, naming the shape.
    try (EmbeddingHead wide = EmbeddingHead.open("wide", wideHead(), ModelOptions.cpu(1))) {
      assertThatThrownBy(() -> wide.run(new float[2][D]))
          .isInstanceOf(InferenceException.class)
          .hasMessageContaining("head wide")
          .hasMessageContaining("expected [2]");
    }
  }

  private Path wideHead() throws Exception {
    Path f = tmp.resolve("wide.onnx");
    Files.write(
        f,
        TinyOnnx.model(
            List.of(TinyOnnx.node("Relu", List.of("x"), List.of("y"), List.of())),
            List.of(TinyOnnx.tensor("x", TinyOnnx.FLOAT, 0, D)),
            List.of(TinyOnnx.tensor("y", TinyOnnx.FLOAT, 0, D))));
    return f;
  }
}
