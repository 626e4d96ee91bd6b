package dev.sift.jobs.pipeline;

import dev.sift.curation.models.Captioner;
import dev.sift.curation.models.ClipModel;
import dev.sift.curation.models.EmbeddingHead;
import dev.sift.curation.models.ModelOptions;
import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.ModelFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Start-up checks of the model stages ({@link ScoreStage}, {@link RecaptionStage}): each model is
 * shipped where executors need it and opened once on the driver, so a wrong directory fails at
 * start-up rather than in every task, and its files are described (with SHA-256) for the manifest's
 * {@code models}.
 *
 * <p>Stateless; driver-side.
 */
final class ModelChecks {
  private static final Logger LOG = LoggerFactory.getLogger(ModelChecks.class);

  private ModelChecks() {}

  /**
   * Opens the CLIP model once on the driver, so a wrong directory fails at start-up rather than in
   * every task, and describes its files (with SHA-256) for the manifest.
   */
  static List<Map<String, Object>> clip(SparkSession spark, SiftConf conf) {
    String dir = conf.get(SiftKeys.SCORE_MODEL);
    if (dir == null || dir.isBlank()) {
      throw new SiftUserException(
          "sift.score.enabled = true needs sift.score.model: a CLIP model directory (ONNX)");
    }
    Path path = localModel(spark, conf, SiftKeys.SCORE_MODEL.name(), dir);
    if (!Files.isDirectory(path)) {
      throw new SiftUserException("sift.score.model = " + dir + " is not a directory");
    }
    try (ClipModel model = ClipModel.open(path, ModelOptions.cpu(1))) {
      List<Map<String, Object>> files = new ArrayList<>();
      for (String name :
          List.of(
              model.layout().visionFile(),
              model.layout().textFile(),
              "tokenizer.json",
              "preprocessor_config.json")) {
        Path f = path.resolve(name);
        if (Files.exists(f)) {
          files.add(modelFile("clip", f));
        }
      }
      LOG.info("CLIP model {}: {}", dir, model);
      for (Map.Entry<String, Object> head : conf.get(SiftKeys.SCORE_HEADS).entrySet()) {
        files.add(
            checkHead(spark, conf, head.getKey(), (String) head.getValue(), model.embeddingDim()));
      }
      for (String bounded : conf.get(SiftKeys.FILTER_HEADS).keySet()) {
        if (!conf.get(SiftKeys.SCORE_HEADS).containsKey(bounded)) {
          throw new SiftUserException(
              "sift.filter.heads."
                  + bounded
                  + ": no head of that name in sift.score.heads (it has "
                  + conf.get(SiftKeys.SCORE_HEADS).keySet()
                  + ")");
        }
      }
      return files;
    } catch (IllegalArgumentException | IOException e) {
      throw new SiftUserException(
          "sift.score.model = " + dir + " is not a usable CLIP model: " + e.getMessage(), e);
    }
  }

  /**
   * The driver's copy of a model path, after shipping it to the executors where they need it
   * ({@link ModelFiles}): a path on a cluster file system ({@code s3a://}, {@code hdfs://}) always;
   * a local one under a cluster master unless {@code sift.models.local-paths = shared}.
   */
  private static Path localModel(SparkSession spark, SiftConf conf, String key, String path) {
    try {
      ModelFiles.ship(
          spark, key, path, conf.get(SiftKeys.MODELS_LOCAL_PATHS) == SiftKeys.LocalPaths.SHARED);
    } catch (IllegalArgumentException e) {
      throw new SiftUserException(e.getMessage(), e);
    }
    return ModelFiles.remote(path) ? ModelFiles.local(path) : ModelFiles.localPath(path);
  }

  /** Opens the captioner on the driver, so a wrong directory fails at start-up. */
  static List<Map<String, Object>> captioner(SparkSession spark, SiftConf conf) {
    String dir = conf.get(SiftKeys.RECAPTION_MODEL);
    if (dir == null || dir.isBlank()) {
      throw new SiftUserException(
          "sift.recaption.enabled = true needs sift.recaption.model: a captioner directory (ONNX)");
    }
    Path path = localModel(spark, conf, SiftKeys.RECAPTION_MODEL.name(), dir);
    if (!Files.isDirectory(path)) {
      throw new SiftUserException("sift.recaption.model = " + dir + " is not a directory");
    }
    try (Captioner captioner =
        Captioner.open(path, ModelOptions.cpu(1), RecaptionStage.generation(conf))) {
      List<Map<String, Object>> files = new ArrayList<>();
      try (Stream<Path> list = Files.list(path)) {
        for (Path f : list.sorted().toList()) {
          String name = f.getFileName().toString();
          if (name.endsWith(".onnx") || name.endsWith(".json")) {
            files.add(modelFile("captioner", f));
          }
        }
      }
      LOG.info("captioner {}: KV cache {}", dir, captioner.usesKvCache() ? "used" : "absent");
      return files;
    } catch (IllegalArgumentException | IOException e) {
      throw new SiftUserException(
          "sift.recaption.model = " + dir + " is not a usable captioner: " + e.getMessage(), e);
    }
  }

  /** Opens a head on the driver: a missing file or a width other than CLIP's fails at start-up. */
  private static Map<String, Object> checkHead(
      SparkSession spark, SiftConf conf, String name, String file, int clipDim) throws IOException {
    Path path = localModel(spark, conf, SiftKeys.SCORE_HEADS.name() + "." + name, file);
    try (EmbeddingHead head = EmbeddingHead.open(name, path, ModelOptions.cpu(1))) {
      if (head.inputDim() > 0 && clipDim > 0 && head.inputDim() != clipDim) {
        throw new SiftUserException(
            "sift.score.heads."
                + name
                + " = "
                + file
                + " takes embeddings of "
                + head.inputDim()
                + ", but the CLIP model gives "
                + clipDim);
      }
    } catch (IllegalArgumentException | IOException e) {
      throw new SiftUserException("sift.score.heads." + name + ": " + e.getMessage(), e);
    }
    return modelFile("head " + name, path);
  }

  /** A model file as the manifest lists it: role, path, size and SHA-256. */
  private static Map<String, Object> modelFile(String role, Path f) throws IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("role", role);
    m.put("file", f.toString());
    m.put("bytes", Files.size(f));
    m.put("sha256", dev.sift.curation.Hashing.sha256Hex(f));
    return m;
  }
}
