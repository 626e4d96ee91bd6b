package dev.sift.curation.models;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;

/**
 * A small model on CLIP image embeddings (an aesthetic predictor, an NSFW classifier): one ONNX
 * file whose single input takes the L2-normalised embeddings {@code [N, D]} (float32) and whose
 * first output gives one value per row ({@code [N]} or {@code [N, 1]}). The input is fed the
 * embeddings {@link ClipModel} already computed, so an image is embedded once however many heads
 * read it.
 *
 * <p>Thread-safe (ONNX Runtime sessions run concurrently); {@link #close} once, when no call is
 * running. Not serialisable: executors open their own, through the model cache.
 */
public final class EmbeddingHead implements AutoCloseable {
  private final String name;
  private final Path file;
  private final OrtSession session;
  private final String input;
  private final String output;
  private final int dim;

  private EmbeddingHead(
      String name, Path file, OrtSession session, String input, String output, int dim) {
    this.name = name;
    this.file = file;
    this.session = session;
    this.input = input;
    this.output = output;
    this.dim = dim;
  }

  /**
   * @throws IllegalArgumentException when the file does not exist, or its graph is not a head (it
   *     needs exactly one float input of rank 2 and an output)
   * @throws IOException when ONNX Runtime cannot load it on the device
   */
  public static EmbeddingHead open(String name, Path file, ModelOptions options)
      throws IOException {
    Objects.requireNonNull(file, "file");
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("head " + name + ": no such file " + file);
    }
    OrtSession session = OrtSessions.create(OrtEnvironment.getEnvironment(), file, options);
    try {
      Map<String, NodeInfo> inputs = session.getInputInfo();
      if (inputs.size() != 1
          || !(inputs.values().iterator().next().getInfo() instanceof TensorInfo in)
          || in.getShape().length != 2
          || in.type != ai.onnxruntime.OnnxJavaType.FLOAT) {
        throw new IllegalArgumentException(
            "head "
                + name
                + " ("
                + file
                + ") must take one float32 input [N, D] (the image embedding); it takes "
                + inputs.values());
      }
      if (session.getOutputNames().isEmpty()) {
        throw new IllegalArgumentException("head " + name + " (" + file + ") has no output");
      }
      String output = session.getOutputNames().iterator().next();
      return new EmbeddingHead(
          name, file, session, inputs.keySet().iterator().next(), output, (int) in.getShape()[1]);
    } catch (OrtException | RuntimeException e) {
      try {
        session.close();
      } catch (OrtException closing) {
        e.addSuppressed(closing);
      }
      if (e instanceof IllegalArgumentException iae) {
        throw iae;
      }
      throw new IOException("head " + name + " (" + file + "): " + e.getMessage(), e);
    }
  }

  public String name() {
    return name;
  }

  /** The embedding width the head expects, or -1 when its graph leaves it symbolic. */
  public int inputDim() {
    return dim;
  }

  /**
   * @param embeddings {@code n} embeddings of equal width
   * @return one value per embedding
   * @throws InferenceException when ONNX Runtime fails or the output is not one value per row
   */
  public float[] run(float[][] embeddings) {
    int n = embeddings.length;
    if (n == 0) {
      return new float[0];
    }
    int d = embeddings[0].length;
    float[] flat = new float[n * d];
    for (int i = 0; i < n; i++) {
      System.arraycopy(embeddings[i], 0, flat, i * d, d);
    }
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OnnxTensor tensor =
            OnnxTensor.createTensor(env, FloatBuffer.wrap(flat), new long[] {n, d});
        OrtSession.Result result = session.run(Map.of(input, tensor))) {
      OnnxValue value = result.get(output).orElseThrow();
      if (!(value instanceof OnnxTensor out)) {
        throw new IllegalStateException(output + " is not a tensor");
      }
      long[] shape = out.getInfo().getShape();
      boolean perRow =
          (shape.length == 1 && shape[0] == n)
              || (shape.length == 2 && shape[0] == n && shape[1] == 1);
      if (!perRow) {
        throw new IllegalStateException(
            output + " has shape " + Arrays.toString(shape) + ", expected [" + n + "] or [N, 1]");
      }
      float[] values = new float[n];
      out.getFloatBuffer().get(values);
      return values;
    } catch (OrtException | RuntimeException e) {
      throw new InferenceException(
          "head "
              + name
              + " ("
              + file
              + ") failed on "
              + n
              + " embeddings of "
              + d
              + ": "
              + e.getMessage(),
          e);
    }
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("cannot close head " + name, e);
    }
  }

  @Override
  public String toString() {
    return "EmbeddingHead[" + name + ", " + file + ", " + input + " -> " + output + "]";
  }
}
