package dev.sift.curation.models;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.sift.curation.image.ClipPreprocessor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Which tensors of an exported CLIP tower Sift reads and feeds: input and output names, element
 * types, fixed text length and embedding width, found from the session's metadata so that Hugging
 * Face / Optimum and OpenCLIP exports both work. Stateless; used by {@link ClipFiles} when it opens
 * a model.
 */
final class ClipTowerIo {
  private static final String PIXEL_VALUES = "pixel_values";
  private static final String INPUT_IDS = "input_ids";
  private static final String ATTENTION_MASK = "attention_mask";
  private static final String IMAGE_EMBEDS = "image_embeds";
  private static final String TEXT_EMBEDS = "text_embeds";

  private ClipTowerIo() {}

  /** The tensor names and types of the image tower. */
  record VisionIo(String input, OnnxJavaType type, String output, int dim) {
    static VisionIo of(OrtSession session, Path file, ClipPreprocessor preprocessor)
        throws OrtException {
      Map<String, NodeInfo> inputs = session.getInputInfo();
      String input;
      if (inputs.containsKey(PIXEL_VALUES)) {
        input = PIXEL_VALUES;
      } else if (inputs.size() == 1) {
        input = inputs.keySet().iterator().next();
      } else {
        throw new IllegalArgumentException(
            file + ": no input named " + PIXEL_VALUES + " among " + describe(inputs));
      }
      TensorInfo info = tensorInfo(inputs.get(input), file, input);
      OnnxJavaType type = info.type;
      if (type != OnnxJavaType.FLOAT
          && type != OnnxJavaType.FLOAT16
          && type != OnnxJavaType.BFLOAT16) {
        throw new IllegalArgumentException(
            file + ": image input " + input + " is " + type + ", expected float32 or float16");
      }
      long[] shape = info.getShape();
      long[] expected = {-1, 3, preprocessor.cropHeight(), preprocessor.cropWidth()};
      boolean fits = shape.length == 4;
      for (int i = 1; fits && i < 4; i++) {
        fits = shape[i] <= 0 || shape[i] == expected[i];
      }
      if (!fits) {
        throw new IllegalArgumentException(
            file
                + ": image input "
                + input
                + " has shape "
                + Arrays.toString(shape)
                + ", but "
                + ClipPreprocessor.CONFIG_FILE
                + " makes [N, 3, "
                + preprocessor.cropHeight()
                + ", "
                + preprocessor.cropWidth()
                + "]");
      }
      String output = embeddingOutput(session, file, IMAGE_EMBEDS);
      return new VisionIo(input, type, output, outputDim(session, output));
    }
  }

  /** The tensor names and types of the text tower. */
  record TextIo(
      String ids, String mask, OnnxJavaType tokenType, int fixedLength, String output, int dim) {
    static TextIo of(OrtSession session, Path file) throws OrtException {
      Map<String, NodeInfo> inputs = session.getInputInfo();
      String mask = inputs.containsKey(ATTENTION_MASK) ? ATTENTION_MASK : null;
      String ids;
      if (inputs.containsKey(INPUT_IDS)) {
        ids = INPUT_IDS;
      } else {
        List<String> candidates = new ArrayList<>();
        for (Map.Entry<String, NodeInfo> e : inputs.entrySet()) {
          if (!e.getKey().equals(mask) && isTokenType(e.getValue())) {
            candidates.add(e.getKey());
          }
        }
        if (candidates.size() != 1) {
          throw new IllegalArgumentException(
              file
                  + ": cannot tell the token input: no input named "
                  + INPUT_IDS
                  + " and "
                  + candidates.size()
                  + " other integer inputs among "
                  + describe(inputs));
        }
        ids = candidates.get(0);
      }
      for (String name : inputs.keySet()) {
        if (!name.equals(ids) && !name.equals(mask)) {
          throw new IllegalArgumentException(
              file
                  + ": unsupported text input "
                  + name
                  + "; a CLIP text tower takes token ids and optionally "
                  + ATTENTION_MASK
                  + ", it has "
                  + describe(inputs));
        }
      }
      TensorInfo idsInfo = tensorInfo(inputs.get(ids), file, ids);
      if (!isTokenType(inputs.get(ids)) || idsInfo.getShape().length != 2) {
        throw new IllegalArgumentException(
            file + ": token input " + ids + " is " + idsInfo + ", expected int64 or int32 [N, L]");
      }
      if (mask != null) {
        TensorInfo maskInfo = tensorInfo(inputs.get(mask), file, mask);
        if (maskInfo.type != idsInfo.type || maskInfo.getShape().length != 2) {
          throw new IllegalArgumentException(
              file + ": " + mask + " is " + maskInfo + ", expected the type and rank of " + ids);
        }
      }
      long length = idsInfo.getShape()[1];
      if (length == 1 || length > Integer.MAX_VALUE) {
        throw new IllegalArgumentException(
            file + ": token input " + ids + " has fixed length " + length + ", too short for CLIP");
      }
      String output = embeddingOutput(session, file, TEXT_EMBEDS);
      return new TextIo(
          ids, mask, idsInfo.type, (int) Math.max(length, 0), output, outputDim(session, output));
    }

    private static boolean isTokenType(NodeInfo node) {
      return node.getInfo() instanceof TensorInfo t
          && (t.type == OnnxJavaType.INT64 || t.type == OnnxJavaType.INT32);
    }
  }

  private static TensorInfo tensorInfo(NodeInfo node, Path file, String name) {
    if (node.getInfo() instanceof TensorInfo info) {
      return info;
    }
    throw new IllegalArgumentException(file + ": " + name + " is not a tensor: " + node.getInfo());
  }

  /** {@code preferred}, else the only output, else the first 2-D output. */
  private static String embeddingOutput(OrtSession session, Path file, String preferred)
      throws OrtException {
    Map<String, NodeInfo> outputs = session.getOutputInfo();
    String name = null;
    if (outputs.containsKey(preferred)) {
      name = preferred;
    } else if (outputs.size() == 1) {
      name = outputs.keySet().iterator().next();
    } else {
      for (Map.Entry<String, NodeInfo> e : outputs.entrySet()) {
        if (e.getValue().getInfo() instanceof TensorInfo t && t.getShape().length == 2) {
          name = e.getKey();
          break;
        }
      }
    }
    TensorInfo info = name == null ? null : tensorInfo(outputs.get(name), file, name);
    if (info == null
        || info.getShape().length != 2
        || !(info.type == OnnxJavaType.FLOAT
            || info.type == OnnxJavaType.FLOAT16
            || info.type == OnnxJavaType.BFLOAT16)) {
      throw new IllegalArgumentException(
          file
              + ": no embedding output: expected "
              + preferred
              + " or a float [N, D] output, it has "
              + describe(outputs));
    }
    return name;
  }

  private static int outputDim(OrtSession session, String output) throws OrtException {
    long d = ((TensorInfo) session.getOutputInfo().get(output).getInfo()).getShape()[1];
    return d > 0 && d <= Integer.MAX_VALUE ? (int) d : -1;
  }

  private static String describe(Map<String, NodeInfo> nodes) {
    return nodes.values().stream()
        .map(n -> n.getName() + " " + n.getInfo())
        .collect(Collectors.joining(", ", "[", "]"));
  }
}
