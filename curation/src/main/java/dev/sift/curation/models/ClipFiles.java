package dev.sift.curation.models;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sift.curation.image.ClipPreprocessor;
import dev.sift.curation.models.ClipModel.Layout;
import dev.sift.curation.text.ClipTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Opens a CLIP model directory for {@link ClipModel}: finds its layout, checks that the tokenizer
 * and preprocessor configuration lie beside the towers, opens the two ONNX Runtime sessions, finds
 * their tensors ({@link ClipTowerIo}) and checks that the towers agree on the embedding size, then
 * opens the tokenizer. On any failure every session it opened is closed.
 *
 * <p>Stateless; {@link #load} is thread-safe.
 */
final class ClipFiles {
  static final String TOKENIZER_JSON = "tokenizer.json";

  private ClipFiles() {}

  /** What {@link #load} opens, for {@link ClipModel} to own and close. */
  record Parts(
      Layout layout,
      OrtEnvironment env,
      OrtSession vision,
      OrtSession text,
      ClipTokenizer tokenizer,
      ClipPreprocessor preprocessor,
      ClipTowerIo.VisionIo visionIo,
      ClipTowerIo.TextIo textIo,
      int embeddingDim) {}

  /**
   * @throws IllegalArgumentException when the directory has neither layout (the message lists the
   *     files found), lacks the tokenizer or preprocessor configuration, or the towers' inputs and
   *     outputs are not those of a CLIP model
   * @throws IOException when a file cannot be read, or ONNX Runtime cannot load a tower on the
   *     requested device
   */
  static Parts load(Path directory, ModelOptions options) throws IOException {
    Layout layout = detectLayout(directory);
    for (String required : List.of(TOKENIZER_JSON, ClipPreprocessor.CONFIG_FILE)) {
      if (!Files.isRegularFile(directory.resolve(required))) {
        throw new IllegalArgumentException(
            "CLIP model directory "
                + directory
                + " has no "
                + required
                + " beside its ONNX files; it holds "
                + listing(directory));
      }
    }
    ClipPreprocessor preprocessor =
        ClipPreprocessor.fromConfig(
            directory.resolve(ClipPreprocessor.CONFIG_FILE),
            ClipPreprocessor.Reference.TORCHVISION);
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      Path visionPath = directory.resolve(layout.visionFile());
      Path textPath = directory.resolve(layout.textFile());
      OrtSession vision = OrtSessions.create(env, visionPath, options);
      opened.add(vision);
      OrtSession text = OrtSessions.create(env, textPath, options);
      opened.add(text);
      ClipTowerIo.VisionIo visionIo = ClipTowerIo.VisionIo.of(vision, visionPath, preprocessor);
      ClipTowerIo.TextIo textIo = ClipTowerIo.TextIo.of(text, textPath);
      int imageDim = visionIo.dim();
      int textDim = textIo.dim();
      if (imageDim > 0 && textDim > 0 && imageDim != textDim) {
        throw new IllegalArgumentException(
            "CLIP towers disagree on the embedding size: "
                + visionPath
                + " gives "
                + imageDim
                + ", "
                + textPath
                + " gives "
                + textDim);
      }
      ClipTokenizer tokenizer =
          textIo.fixedLength() > 0
              ? ClipTokenizer.open(directory, textIo.fixedLength())
              : ClipTokenizer.open(directory);
      opened.add(tokenizer);
      return new Parts(
          layout,
          env,
          vision,
          text,
          tokenizer,
          preprocessor,
          visionIo,
          textIo,
          Math.max(imageDim, textDim));
    } catch (OrtException e) {
      closeAll(opened, e);
      throw new IOException("cannot read the towers of " + directory + ": " + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      closeAll(opened, e);
      throw e;
    }
  }

  private static Layout detectLayout(Path directory) throws IOException {
    if (!Files.isDirectory(directory)) {
      throw new IllegalArgumentException("CLIP model directory " + directory + " does not exist");
    }
    List<Layout> present = new ArrayList<>();
    for (Layout layout : Layout.values()) {
      if (Files.isRegularFile(directory.resolve(layout.visionFile()))
          && Files.isRegularFile(directory.resolve(layout.textFile()))) {
        present.add(layout);
      }
    }
    if (present.size() == 1) {
      return present.get(0);
    }
    String expected =
        Stream.of(Layout.values())
            .map(l -> l.visionFile() + " + " + l.textFile() + " (" + l + ")")
            .collect(Collectors.joining(" or "));
    throw new IllegalArgumentException(
        "CLIP model directory "
            + directory
            + (present.isEmpty() ? " matches no layout" : " matches both layouts")
            + ": expected "
            + expected
            + "; it holds "
            + listing(directory));
  }

  private static String listing(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      List<String> names =
          files
              .map(p -> p.getFileName().toString() + (Files.isDirectory(p) ? "/" : ""))
              .sorted()
              .toList();
      return names.isEmpty() ? "no files" : names.toString();
    }
  }

  /** Closes {@code opened} last first, adding each failure to {@code failure} as suppressed. */
  static void closeAll(List<AutoCloseable> opened, Exception failure) {
    for (int i = opened.size() - 1; i >= 0; i--) {
      try {
        opened.get(i).close();
      } catch (Exception e) {
        failure.addSuppressed(e);
      }
    }
  }
}
