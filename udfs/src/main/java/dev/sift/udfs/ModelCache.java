package dev.sift.udfs;

import dev.sift.curation.models.ClipModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link ClipModel} per executor JVM and (model directory, device, device id): the first task
 * that needs it opens the ONNX sessions, every later task of the JVM shares them (ONNX Runtime
 * sessions run concurrently). Sessions are closed by a JVM shutdown hook.
 *
 * <p>Thread-safe.
 */
public final class ModelCache {
  private static final ConcurrentHashMap<String, ClipModel> CLIP = new ConcurrentHashMap<>();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(() -> CLIP.values().forEach(ClipModel::close), "sift-model-cache-shutdown"));
  }

  private ModelCache() {}

  /** The shared CLIP model for these options, opened on first use. */
  public static ClipModel clip(String directory, ClipModel.Options options) {
    String key = directory + "|" + options;
    return CLIP.computeIfAbsent(
        key,
        k -> {
          try {
            return ClipModel.open(Path.of(directory), options);
          } catch (IOException e) {
            throw new UncheckedIOException("cannot open CLIP model " + directory, e);
          }
        });
  }
}
