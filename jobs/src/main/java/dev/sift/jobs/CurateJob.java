package dev.sift.jobs;

import static org.apache.spark.sql.functions.col;

import dev.sift.curation.models.Captioner;
import dev.sift.curation.models.ClipModel;
import dev.sift.curation.models.Devices;
import dev.sift.curation.models.EmbeddingHead;
import dev.sift.jobs.config.Redaction;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.jobs.pipeline.Columns;
import dev.sift.jobs.pipeline.Command;
import dev.sift.jobs.pipeline.ConceptSource;
import dev.sift.jobs.pipeline.InputReader;
import dev.sift.jobs.pipeline.OutputWriter;
import dev.sift.jobs.pipeline.ProgressReporter;
import dev.sift.jobs.pipeline.Stage;
import dev.sift.jobs.pipeline.StagePlan;
import dev.sift.jobs.report.ReportJob;
import dev.sift.udfs.ModelFiles;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code curate} and {@code match} commands: read → stages → write, then the counts and the
 * manifest. The invariant {@code accepted + rejected = input} is checked on what was written; a run
 * that breaks it fails without writing a manifest.
 */
public final class CurateJob {
  private static final Logger LOG = LoggerFactory.getLogger(CurateJob.class);

  /** Input files named in the manifest; a run over more lists the first ones and the count. */
  private static final int MAX_MANIFEST_FILES = 10_000;

  /** Spark's key for the GPUs each executor asks for. */
  static final String GPU_AMOUNT = "spark.executor.resource.gpu.amount";

  /** What a finished run reports to the command line. */
  public record Result(String output, long input, long accepted, long rejected) {}

  private CurateJob() {}

  /**
   * @param command which stages run, and how the input is read
   */
  public static Result run(SparkSession spark, SiftConf conf, Command command) {
    long t0 = System.nanoTime();
    Instant started = Instant.now();
    String outPath = conf.get(SiftKeys.OUTPUT_PATH);
    if (outPath == null || outPath.isBlank()) {
      throw new SiftUserException(
          "no output: set sift.output.path in the config file or give --output DIR");
    }
    List<Stage> stages = StagePlan.stagesFor(conf, command);
    checkDevice(
        spark,
        conf.get(SiftKeys.DEVICE),
        stages.contains(Stage.SCORE) || stages.contains(Stage.RECAPTION));
    // Built before any work, so a bad spark.redaction.regex fails at start-up.
    Redaction redaction = Redaction.forRun(conf, spark.sparkContext().getConf());
    OutputWriter out = new OutputWriter(spark, outPath);
    InputReader.Input input =
        command == Command.BALANCE
            ? InputReader.readMatchOutput(spark, conf)
            : InputReader.read(spark, conf);
    out.prepare(conf.get(SiftKeys.OUTPUT_MODE));
    long tPrepared = System.nanoTime();

    List<Map<String, Object>> models =
        new java.util.ArrayList<>(
            stages.contains(Stage.SCORE) ? checkClipModel(spark, conf) : List.of());
    if (stages.contains(Stage.RECAPTION)) {
      models.addAll(checkCaptioner(spark, conf));
    }
    ConceptSource concepts = stages.contains(Stage.MATCH) ? ConceptSource.load(spark, conf) : null;
    StagePlan plan = new StagePlan(spark, conf, stages, concepts);
    Dataset<Row> built =
        command == Command.BALANCE ? plan.buildBalanceOnly(input.rows()) : plan.build(input);
    Dataset<Row> tagged = built.persist(StorageLevel.MEMORY_AND_DISK());
    Map<String, Object> recaption = null;
    try (ProgressReporter progress =
        new ProgressReporter(spark, plan.counters(), conf.get(SiftKeys.PROGRESS_INTERVAL))) {
      spark.sparkContext().setJobDescription("sift " + command.label() + ": stages and write");
      out.writeRows(tagged, conf.get(SiftKeys.OUTPUT_IMAGE_BYTES));
      out.writeConceptCounts(
          tagged,
          concepts != null || command == Command.BALANCE,
          concepts != null ? concepts.multilingual() : plan.perLanguageT() != null);
      if (stages.contains(Stage.RECAPTION)) {
        recaption = recaptionCounts(tagged);
      }
      progress.log();
    } finally {
      tagged.unpersist(false);
      plan.release();
    }
    long tWritten = System.nanoTime();

    spark.sparkContext().setJobDescription("sift " + command.label() + ": counts");
    long inputRows = input.rows().count();
    long accepted = spark.read().parquet(out.path(OutputWriter.ACCEPTED)).count();
    Dataset<Row> rejected = spark.read().parquet(out.path(OutputWriter.REJECTED));
    Map<String, Long> byReason = new TreeMap<>();
    Map<String, Long> byStage = new TreeMap<>();
    long rejectedRows = 0;
    for (Row r :
        rejected
            .groupBy(col(Columns.REJECT_STAGE), col(Columns.REJECT_REASON))
            .count()
            .collectAsList()) {
      long n = r.getLong(2);
      byReason.merge(r.getString(1), n, Long::sum);
      byStage.merge(r.getString(0), n, Long::sum);
      rejectedRows += n;
    }
    if (accepted + rejectedRows != inputRows) {
      throw new IllegalStateException(
          String.format(
              "row invariant broken: accepted %d + rejected %d != input %d; the output at %s is"
                  + " incomplete and has no manifest",
              accepted, rejectedRows, inputRows, out.root()));
    }
    long tCounted = System.nanoTime();

    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("input", inputRows);
    counts.put("accepted", accepted);
    counts.put("rejected", rejectedRows);
    counts.put("rejected_by_reason", byReason);
    counts.put("per_stage", perStage(stages, inputRows, byStage));

    Map<String, Object> timings = new LinkedHashMap<>();
    timings.put("read_and_check_seconds", seconds(tPrepared - t0));
    timings.put("stages_and_write_seconds", seconds(tWritten - tPrepared));
    timings.put("count_seconds", seconds(tCounted - tWritten));
    timings.put("total_seconds", seconds(System.nanoTime() - t0));

    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("sift_version", BuildInfo.version());
    manifest.put("git_commit", BuildInfo.gitCommit());
    manifest.put("spark_version", spark.version());
    manifest.put("command", command.label());
    manifest.put("started_at", started.toString());
    manifest.put("finished_at", Instant.now().toString());
    manifest.put("config_source", conf.source());
    manifest.put("config", conf.resolved());
    manifest.put("spark_config", redaction.apply(conf.sparkSettings()));
    Map<String, Object> inputInfo = new LinkedHashMap<>();
    inputInfo.put("path", conf.get(SiftKeys.INPUT_PATH));
    inputInfo.put("format", conf.get(SiftKeys.INPUT_FORMAT));
    inputInfo.put("file_count", input.files().size());
    inputInfo.put(
        "files", input.files().subList(0, Math.min(MAX_MANIFEST_FILES, input.files().size())));
    inputInfo.put("files_listed", Math.min(MAX_MANIFEST_FILES, input.files().size()));
    manifest.put("input", inputInfo);
    manifest.put("stages", stageStatus(stages, input.hasImage()));
    if (concepts != null) {
      Map<String, Object> c = concepts.describe();
      if (plan.languageDetection() != null) {
        c.put("language_detection", plan.languageDetection());
      }
      manifest.put("concepts", c);
    }
    if (stages.contains(Stage.BALANCE)) {
      Map<String, Object> b = new LinkedHashMap<>();
      b.put("t", conf.get(SiftKeys.BALANCE_T));
      b.put("seed", conf.get(SiftKeys.BALANCE_SEED));
      b.put("head_concepts", plan.headConcepts());
      if (plan.perLanguageT() != null) {
        b.put("per_language", plan.perLanguageT());
      }
      manifest.put("balance", b);
    }
    if (recaption != null) {
      recaption.put("metrics", plan.recaptionMetrics().describe());
      manifest.put("recaption", recaption);
    }
    if (plan.filterInfo() != null) {
      manifest.put("filter", plan.filterInfo());
    }
    manifest.put("models", models);
    manifest.put("timings", timings);
    if (plan.scoreMetrics() != null) {
      Map<String, Object> metrics = new LinkedHashMap<>();
      metrics.put("score", plan.scoreMetrics().describe());
      manifest.put("metrics", metrics);
    }
    manifest.put("counts", counts);
    out.writeManifest(manifest);
    LOG.info(
        "wrote {} ({} accepted, {} rejected of {} input rows)",
        out.root(),
        accepted,
        rejectedRows,
        inputRows);
    if (command == Command.CURATE && conf.get(SiftKeys.REPORT_ENABLED)) {
      writeReport(spark, conf, out.root());
    }
    return new Result(out.root(), inputRows, accepted, rejectedRows);
  }

  /**
   * Writes the report once the outputs and the manifest are complete (it reads them). A failed
   * report fails the command but leaves the run's outputs as they are: {@code sift report} can
   * build it again.
   */
  private static void writeReport(SparkSession spark, SiftConf conf, String root) {
    long t0 = System.nanoTime();
    spark.sparkContext().setJobDescription("sift curate: report");
    try {
      ReportJob.write(spark, root, null, ReportJob.Options.of(conf));
    } catch (Exception e) { // Spark's AnalysisException is checked
      LOG.error("report failed for {}", root, e);
      throw new ReportJob.ReportFailedException(root, e);
    }
    LOG.info("wrote {}/{} in {} s", root, ReportJob.DIR, seconds(System.nanoTime() - t0));
  }

  /**
   * {@code sift.device = cuda} or {@code tensorrt} must fail at start-up, not when the first model
   * loads on an executor hours later. {@code auto} is resolved by the stages that load models.
   */
  private static void checkDevice(SparkSession spark, String device, boolean modelStage) {
    if (modelStage) {
      checkGpuScheduling(spark.sparkContext(), device);
    }
    if (!device.equals("auto") && !device.equals("cpu")) {
      try {
        Devices.resolve(device, Devices.available());
      } catch (IllegalArgumentException | IllegalStateException e) {
        throw new SiftUserException(e.getMessage(), e);
      }
    }
  }

  /**
   * On a cluster master a GPU comes from Spark's resource scheduling, which gives each task its own
   * device: without it every executor of a node would run on device 0. A GPU device without {@code
   * spark.executor.resource.gpu.amount} fails at start-up; {@code auto}, which may end on the CPU,
   * warns once.
   */
  static void checkGpuScheduling(org.apache.spark.SparkContext sc, String device) {
    if (sc.isLocal() || device.equals("cpu") || sc.getConf().contains(GPU_AMOUNT)) {
      return;
    }
    if (device.equals("auto")) {
      LOG.warn(
          "sift.device = auto on the cluster master {} without {}: an executor that finds a GPU"
              + " uses device 0, shared with every other executor of its node. Ask Spark for GPUs"
              + " ({} = 1 and spark.task.resource.gpu.amount, see README \"Running on a"
              + " cluster\"), or set sift.device = cpu.",
          sc.master(),
          GPU_AMOUNT,
          GPU_AMOUNT);
      return;
    }
    throw new SiftUserException(
        "sift.device = "
            + device
            + " on the cluster master "
            + sc.master()
            + " needs "
            + GPU_AMOUNT
            + " (and spark.task.resource.gpu.amount, with a discovery script such as"
            + " conf/gpu-discovery.sh): without Spark's GPU scheduling every executor of a node"
            + " would use GPU 0");
  }

  /**
   * Opens the CLIP model once on the driver, so a wrong directory fails at start-up rather than in
   * every task, and describes its files (with SHA-256) for the manifest.
   */
  private static List<Map<String, Object>> checkClipModel(SparkSession spark, SiftConf conf) {
    String dir = conf.get(SiftKeys.SCORE_MODEL);
    if (dir == null || dir.isBlank()) {
      throw new SiftUserException(
          "sift.score.enabled = true needs sift.score.model: a CLIP model directory (ONNX)");
    }
    java.nio.file.Path path = localModel(spark, conf, SiftKeys.SCORE_MODEL.name(), dir);
    if (!java.nio.file.Files.isDirectory(path)) {
      throw new SiftUserException("sift.score.model = " + dir + " is not a directory");
    }
    try (ClipModel model = ClipModel.open(path, ClipModel.Options.cpu(1))) {
      List<Map<String, Object>> files = new java.util.ArrayList<>();
      for (String name :
          List.of(
              model.layout().visionFile(),
              model.layout().textFile(),
              "tokenizer.json",
              "preprocessor_config.json")) {
        java.nio.file.Path f = path.resolve(name);
        if (java.nio.file.Files.exists(f)) {
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
    } catch (IllegalArgumentException | java.io.IOException e) {
      throw new SiftUserException(
          "sift.score.model = " + dir + " is not a usable CLIP model: " + e.getMessage(), e);
    }
  }

  /**
   * What re-captioning did, from the tagged rows (cached, so this costs no model call): rows
   * captioned, accepted rows whose caption is now the synthetic one, and rows the text filters had
   * rejected that their new caption rescued.
   */
  private static Map<String, Object> recaptionCounts(Dataset<Row> tagged) {
    Row r =
        tagged
            .agg(
                functions.count(functions.when(col(Columns.CLIP_SCORE_SYNTHETIC).isNotNull(), 1)),
                functions.count(
                    functions.when(
                        col(Columns.REJECT_REASON)
                            .isNull()
                            .and(col(Columns.CAPTION_SOURCE).equalTo(StagePlan.CAPTION_SYNTHETIC)),
                        1)),
                functions.count(functions.when(col(StagePlan.RESCUED), 1)))
            .first();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("captioned", r.getLong(0));
    m.put("accepted_with_synthetic_caption", r.getLong(1));
    m.put("rescued_from_text_filters", r.getLong(2));
    return m;
  }

  /**
   * The driver's copy of a model path, after shipping it to the executors where they need it
   * ({@link ModelFiles}): a path on a cluster file system ({@code s3a://}, {@code hdfs://}) always;
   * a local one under a cluster master unless {@code sift.models.local-paths = shared}.
   */
  private static java.nio.file.Path localModel(
      SparkSession spark, SiftConf conf, String key, String path) {
    try {
      ModelFiles.ship(spark, key, path, conf.get(SiftKeys.MODELS_LOCAL_PATHS).equals("shared"));
    } catch (IllegalArgumentException e) {
      throw new SiftUserException(e.getMessage(), e);
    }
    return ModelFiles.remote(path) ? ModelFiles.local(path) : ModelFiles.localPath(path);
  }

  /** Opens the captioner on the driver, so a wrong directory fails at start-up. */
  private static List<Map<String, Object>> checkCaptioner(SparkSession spark, SiftConf conf) {
    String dir = conf.get(SiftKeys.RECAPTION_MODEL);
    if (dir == null || dir.isBlank()) {
      throw new SiftUserException(
          "sift.recaption.enabled = true needs sift.recaption.model: a captioner directory (ONNX)");
    }
    java.nio.file.Path path = localModel(spark, conf, SiftKeys.RECAPTION_MODEL.name(), dir);
    if (!java.nio.file.Files.isDirectory(path)) {
      throw new SiftUserException("sift.recaption.model = " + dir + " is not a directory");
    }
    try (Captioner captioner =
        Captioner.open(path, ClipModel.Options.cpu(1), StagePlan.generation(conf))) {
      List<Map<String, Object>> files = new java.util.ArrayList<>();
      try (java.util.stream.Stream<java.nio.file.Path> list = java.nio.file.Files.list(path)) {
        for (java.nio.file.Path f : list.sorted().toList()) {
          String name = f.getFileName().toString();
          if (name.endsWith(".onnx") || name.endsWith(".json")) {
            files.add(modelFile("captioner", f));
          }
        }
      }
      LOG.info("captioner {}: KV cache {}", dir, captioner.usesKvCache() ? "used" : "absent");
      return files;
    } catch (IllegalArgumentException | java.io.IOException e) {
      throw new SiftUserException(
          "sift.recaption.model = " + dir + " is not a usable captioner: " + e.getMessage(), e);
    }
  }

  /** Opens a head on the driver: a missing file or a width other than CLIP's fails at start-up. */
  private static Map<String, Object> checkHead(
      SparkSession spark, SiftConf conf, String name, String file, int clipDim)
      throws java.io.IOException {
    java.nio.file.Path path =
        localModel(spark, conf, SiftKeys.SCORE_HEADS.name() + "." + name, file);
    try (EmbeddingHead head = EmbeddingHead.open(name, path, ClipModel.Options.cpu(1))) {
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
    } catch (IllegalArgumentException | java.io.IOException e) {
      throw new SiftUserException("sift.score.heads." + name + ": " + e.getMessage(), e);
    }
    return modelFile("head " + name, path);
  }

  /** A model file as the manifest lists it: role, path, size and SHA-256. */
  private static Map<String, Object> modelFile(String role, java.nio.file.Path f)
      throws java.io.IOException {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("role", role);
    m.put("file", f.toString());
    m.put("bytes", java.nio.file.Files.size(f));
    m.put("sha256", sha256(f));
    return m;
  }

  private static String sha256(java.nio.file.Path file) throws java.io.IOException {
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      byte[] buf = new byte[1 << 16];
      for (int n; (n = in.read(buf)) > 0; ) {
        sha.update(buf, 0, n);
      }
      return java.util.HexFormat.of().formatHex(sha.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, Object> perStage(
      List<Stage> stages, long input, Map<String, Long> rejectedByStage) {
    Map<String, Object> per = new LinkedHashMap<>();
    long rows = input;
    for (Stage stage : Stage.values()) {
      if (!stages.contains(stage)) {
        continue;
      }
      long rejected = rejectedByStage.getOrDefault(stage.label(), 0L);
      Map<String, Long> io = new LinkedHashMap<>();
      io.put("in", rows);
      io.put("out", rows - rejected);
      io.put("rejected", rejected);
      per.put(stage.label(), io);
      rows -= rejected;
    }
    return per;
  }

  private static Map<String, Object> stageStatus(List<Stage> stages, boolean hasImage) {
    Map<String, Object> status = new LinkedHashMap<>();
    for (Stage stage : Stage.values()) {
      String s;
      if (!stage.available()) {
        s = "off (not available yet)";
      } else if (!stages.contains(stage)) {
        s = "off";
      } else if (stage == Stage.DECODE && !hasImage) {
        s = "skipped (no image column)";
      } else if (stage == Stage.DECODE && stages.contains(Stage.SCORE)) {
        s = "ran (probe of the header; full decode in score)";
      } else if (stage == Stage.DECODE) {
        s = "ran (probe only: format, size, verification)";
      } else {
        s = "ran";
      }
      status.put(stage.label(), s);
    }
    return status;
  }

  private static double seconds(long nanos) {
    return Math.round(nanos / 1e6) / 1e3;
  }
}
