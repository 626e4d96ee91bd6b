package dev.sift.udfs;

import dev.sift.curation.models.Captioner;
import dev.sift.curation.models.ClipModel;
import dev.sift.curation.models.EmbeddingHead;
import dev.sift.curation.models.Generation;
import dev.sift.curation.models.ModelOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@link ClipModel} (and one {@link EmbeddingHead} per head) per executor JVM and (model
 * directory, device, device id): the first task that needs it opens the ONNX sessions, every later
 * task of the JVM shares them (ONNX Runtime sessions run concurrently). Sessions are closed by a
 * JVM shutdown hook.
 *
 * <p>Thread-safe.
 */
public final class ModelCache {
  private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
  private static final ConcurrentHashMap<String, ClipModel> CLIP = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<String, EmbeddingHead> HEADS = new ConcurrentHashMap<>();
  private static final ConcurrentHashMap<String, Captioner> CAPTIONERS = new ConcurrentHashMap<>();

  static {
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  CAPTIONERS.values().forEach(Captioner::close);
                  HEADS.values().forEach(EmbeddingHead::close);
                  CLIP.values().forEach(ClipModel::close);
                },
                "sift-model-cache-shutdown"));
  }

  private ModelCache() {}

  /** The shared CLIP model for these options, opened on first use. */
  public static ClipModel clip(String directory, ModelOptions options) {
    String key = directory + "|" + options;
    return CLIP.computeIfAbsent(
        key,
        k -> {
          try {
            long t0 = System.nanoTime();
            java.nio.file.Path local = ModelFiles.local(directory);
            ClipModel model = ClipModel.open(local, options);
            // Once per executor and model: where its files came from and what opening cost.
            LOG.info(
                "opened CLIP model {} from {} on {} in {} ms",
                directory,
                local,
                options,
                (System.nanoTime() - t0) / 1_000_000);
            return model;
          } catch (IOException e) {
            throw new UncheckedIOException("cannot open CLIP model " + directory, e);
          }
        });
  }

  /** The shared head {@code name} in {@code file} for these options, opened on first use. */
  public static EmbeddingHead head(String name, String file, ModelOptions options) {
    return HEADS.computeIfAbsent(
        name + "|" + file + "|" + options,
        k -> {
          try {
            return EmbeddingHead.open(name, ModelFiles.local(file), options);
          } catch (IOException e) {
            throw new UncheckedIOException("cannot open head " + name + " " + file, e);
          }
        });
  }

  /** The shared captioner for this directory, device and generation settings. */
  public static Captioner captioner(String directory, ModelOptions options, Generation generation) {
    return CAPTIONERS.computeIfAbsent(
        directory + "|" + options + "|" + generation,
        k -> {
          try {
            return Captioner.open(ModelFiles.local(directory), options, generation);
          } catch (IOException e) {
            throw new UncheckedIOException("cannot open captioner " + directory, e);
          }
        });
  }
}
