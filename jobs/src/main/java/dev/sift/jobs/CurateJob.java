package dev.sift.jobs;

import static org.apache.spark.sql.functions.col;

import dev.sift.curation.models.Devices;
import dev.sift.jobs.append.AppendOutput;
import dev.sift.jobs.append.CommitRecord;
import dev.sift.jobs.append.OutputLock;
import dev.sift.jobs.config.ConfigKey;
import dev.sift.jobs.config.Redaction;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.jobs.pipeline.Command;
import dev.sift.jobs.pipeline.InputReader;
import dev.sift.jobs.pipeline.OutputWriter;
import dev.sift.jobs.pipeline.Pipeline;
import dev.sift.jobs.pipeline.PipelineStage;
import dev.sift.jobs.pipeline.ProgressReporter;
import dev.sift.jobs.pipeline.TestHook;
import dev.sift.jobs.report.ReportJob;
import dev.sift.udfs.Columns;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
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

  /**
   * What a finished run reports to the command line.
   *
   * @param output the directory written (append mode: the new batch's)
   * @param batch the committed batch's id in append mode; null otherwise, or when nothing was new
   * @param alreadyConsumed append mode with nothing new: the input files the ledger already held
   */
  public record Result(
      String output, long input, long accepted, long rejected, String batch, int alreadyConsumed) {

    /** Append mode found no new input and wrote nothing. */
    public boolean nothingNew() {
      return batch == null && alreadyConsumed > 0;
    }

    Map<String, Long> counts() {
      Map<String, Long> m = new LinkedHashMap<>();
      m.put("input", input);
      m.put("accepted", accepted);
      m.put("rejected", rejected);
      return m;
    }
  }

  private CurateJob() {}

  /**
   * @param command which stages run, and how the input is read
   */
  public static Result run(SparkSession spark, SiftConf conf, Command command) {
    try {
      return runStages(spark, conf, command);
    } catch (Exception e) {
      // A damaged input file found by an executor surfaces here, wrapped in Spark's (checked)
      // SparkException.
      SiftUserException user = InputReader.damagedShardError(e);
      if (user != null) {
        throw user;
      }
      throw e;
    }
  }

  private static Result runStages(SparkSession spark, SiftConf conf, Command command) {
    String outPath = conf.get(SiftKeys.OUTPUT_PATH);
    if (outPath == null || outPath.isBlank()) {
      throw new SiftUserException(
          "no output: set sift.output.path in the config file or give --output DIR");
    }
    Pipeline pipeline = Pipeline.plan(spark, conf, command);
    checkDevice(spark, ConfigKey.text(conf.get(SiftKeys.DEVICE)), pipeline.usesModels());
    // Built before any work, so a bad spark.redaction.regex fails at start-up.
    Redaction redaction = Redaction.forRun(conf, spark.sparkContext().getConf());
    TestHook hook = TestHook.of(conf);
    SiftKeys.OutputMode mode = conf.get(SiftKeys.OUTPUT_MODE);
    String runId = UUID.randomUUID().toString();
    OutputWriter root = new OutputWriter(spark, outPath);
    root.checkNotFile();
    try (OutputLock lock =
        OutputLock.acquire(
            root.fileSystem(),
            new Path(root.root()),
            runId,
            command.label(),
            conf.get(SiftKeys.OUTPUT_LOCK_SETTLE))) {
      if (mode != SiftKeys.OutputMode.APPEND) {
        long readStarted = System.nanoTime();
        InputReader.Input input =
            command == Command.BALANCE
                ? InputReader.readMatchOutput(spark, conf)
                : InputReader.read(spark, conf);
        root.prepare(mode);
        return runOnce(
            spark, conf, command, pipeline, redaction, hook, root, input, readStarted, null);
      }
      AppendOutput app = AppendOutput.open(root.fileSystem(), new Path(root.root()));
      if (command == Command.BALANCE) {
        throw new SiftUserException(
            "sift balance writes one balanced set: use sift.output.mode = error or overwrite (its"
                + " input may be an append-mode output)");
      }
      List<FileStatus> listed = InputReader.list(spark, conf);
      AppendOutput.Plan plan =
          app.plan(
              listed,
              conf.get(SiftKeys.OUTPUT_APPEND_CHANGED_INPUT) == SiftKeys.ChangedInput.REPROCESS);
      if (plan.toRead().isEmpty()) {
        LOG.info(
            "nothing new: all {} input files are in the ledger of {} committed batches under {};"
                + " no batch written",
            listed.size(),
            app.commits().size(),
            root.root());
        return new Result(root.root(), 0, 0, 0, null, listed.size());
      }
      LOG.info(
          "{} new input files ({} already consumed, {} changed) -> batch {} of {}",
          plan.toRead().size(),
          plan.consumed(),
          plan.changed(),
          app.commits().size() + 1,
          root.root());
      AppendOutput.Batch batch = app.newBatch(Instant.now());
      OutputWriter out = new OutputWriter(spark, batch.dir().toString());
      long readStarted = System.nanoTime();
      InputReader.Input input = InputReader.read(spark, conf, plan.toRead());
      if (!app.commits().isEmpty()) {
        pipeline.priorConceptCounts(
            spark
                .read()
                .parquet(
                    app.committedBatchDirs().stream()
                        .map(d -> d + "/" + OutputWriter.CONCEPT_COUNTS)
                        .toArray(String[]::new)));
      }
      Map<String, Object> batchInfo = new LinkedHashMap<>();
      batchInfo.put("id", batch.id());
      batchInfo.put("sequence", batch.sequence());
      batchInfo.put("output", root.root());
      batchInfo.put("earlier_batches", app.commits().size());
      batchInfo.put("files_new", plan.toRead().size() - plan.changed());
      batchInfo.put("files_changed_reprocessed", plan.changed());
      batchInfo.put("files_already_consumed", plan.consumed());
      Result r;
      try {
        r =
            runOnce(
                spark,
                conf,
                command,
                pipeline,
                redaction,
                hook,
                out,
                input,
                readStarted,
                batchInfo);
      } catch (ReportJob.ReportFailedException e) {
        commit(app, batch, runId, command, hook, plan, e.counts());
        throw e;
      }
      commit(app, batch, runId, command, hook, plan, r.counts());
      return r;
    }
  }

  private static void commit(
      AppendOutput app,
      AppendOutput.Batch batch,
      String runId,
      Command command,
      TestHook hook,
      AppendOutput.Plan plan,
      Map<String, Long> counts) {
    hook.onDriver("commit");
    app.commit(
        batch,
        runId,
        command.label(),
        counts,
        plan.toRead().stream().map(CommitRecord.InputFile::of).toList());
  }

  /**
   * One run of the stages over {@code input} into {@code out}: rows, concept counts, the checked
   * counts, the manifest, the report.
   *
   * @param readStarted {@link System#nanoTime} before the input was read: the manifest's {@code
   *     read_and_check_seconds} runs from there to the end of the stages' start-up checks
   * @param batch the manifest's {@code batch} section in append mode; null otherwise
   */
  private static Result runOnce(
      SparkSession spark,
      SiftConf conf,
      Command command,
      Pipeline pipeline,
      Redaction redaction,
      TestHook hook,
      OutputWriter out,
      InputReader.Input input,
      long readStarted,
      Map<String, Object> batch) {
    Instant started = Instant.now();
    out.hook(hook);
    List<Map<String, Object>> models = pipeline.check(input);
    long tPrepared = System.nanoTime();
    Dataset<Row> tagged = pipeline.build().persist(StorageLevel.MEMORY_AND_DISK());
    Map<String, Object> fromStages;
    long tWritten;
    long inputRows;
    long accepted;
    long rejectedRows = 0;
    Map<String, Long> byReason = new TreeMap<>();
    Map<String, Map<String, Long>> byStage = new TreeMap<>();
    try {
      try (ProgressReporter progress =
          new ProgressReporter(spark, pipeline.counters(), conf.get(SiftKeys.PROGRESS_INTERVAL))) {
        spark.sparkContext().setJobDescription("sift " + command.label() + ": stages and write");
        out.writeRows(
            tagged,
            conf.get(SiftKeys.OUTPUT_IMAGE_BYTES),
            conf.get(SiftKeys.OUTPUT_FORMAT) == SiftKeys.OutputFormat.WEBDATASET
                ? conf.get(SiftKeys.OUTPUT_SHARD_SIZE)
                : 0);
        PipelineStage.ConceptCounts conceptCounts = pipeline.conceptCounts();
        out.writeConceptCounts(
            tagged,
            conceptCounts != PipelineStage.ConceptCounts.NONE,
            conceptCounts == PipelineStage.ConceptCounts.PER_LANGUAGE);
        progress.log();
      }
      tWritten = System.nanoTime();

      spark.sparkContext().setJobDescription("sift " + command.label() + ": counts");
      inputRows = input.rows().count();
      accepted = OutputWriter.readAccepted(spark, out.root()).count();
      Dataset<Row> rejected = spark.read().parquet(out.path(OutputWriter.REJECTED));
      for (Row r :
          rejected
              .groupBy(col(Columns.REJECT_STAGE), col(Columns.REJECT_REASON))
              .count()
              .collectAsList()) {
        long n = r.getLong(2);
        byReason.merge(r.getString(1), n, Long::sum);
        byStage
            .computeIfAbsent(r.getString(0), k -> new TreeMap<>())
            .merge(r.getString(1), n, Long::sum);
        rejectedRows += n;
      }
      if (accepted + rejectedRows != inputRows) {
        throw new IllegalStateException(
            String.format(
                "row invariant broken: accepted %d + rejected %d != input %d; the output at %s is"
                    + " incomplete and has no manifest",
                accepted, rejectedRows, inputRows, out.root()));
      }
      // Stages that report a count of their rejections read it from the counts just made.
      fromStages = pipeline.manifest(tagged, byReason);
    } finally {
      tagged.unpersist(false);
      pipeline.release();
    }
    long tCounted = System.nanoTime();

    Map<String, Object> counts = new LinkedHashMap<>();
    counts.put("input", inputRows);
    counts.put("accepted", accepted);
    counts.put("rejected", rejectedRows);
    counts.put("rejected_by_reason", byReason);
    counts.put("per_stage", pipeline.perStage(inputRows, byStage));

    Map<String, Object> timings = new LinkedHashMap<>();
    timings.put("read_and_check_seconds", seconds(tPrepared - readStarted));
    timings.put("stages_and_write_seconds", seconds(tWritten - tPrepared));
    timings.put("count_seconds", seconds(tCounted - tWritten));
    timings.put("total_seconds", seconds(System.nanoTime() - readStarted));

    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("sift_version", BuildInfo.version());
    manifest.put("git_commit", BuildInfo.gitCommit());
    manifest.put("spark_version", spark.version());
    manifest.put("command", command.label());
    if (batch != null) {
      manifest.put("batch", batch);
    }
    manifest.put("started_at", started.toString());
    manifest.put("finished_at", Instant.now().toString());
    manifest.put("config_source", conf.source());
    manifest.put("config", conf.resolved());
    manifest.put("spark_config", redaction.apply(conf.sparkSettings()));
    Map<String, Object> inputInfo = new LinkedHashMap<>();
    inputInfo.put("path", conf.get(SiftKeys.INPUT_PATH));
    inputInfo.put("format", ConfigKey.text(conf.get(SiftKeys.INPUT_FORMAT)));
    inputInfo.put("file_count", input.files().size());
    inputInfo.put(
        "files", input.files().subList(0, Math.min(MAX_MANIFEST_FILES, input.files().size())));
    inputInfo.put("files_listed", Math.min(MAX_MANIFEST_FILES, input.files().size()));
    inputInfo.putAll(input.manifest().get());
    manifest.put("input", inputInfo);
    manifest.put("stages", pipeline.status());
    // The stages' own sections; model figures (metrics) go beside the timings.
    Object metrics = fromStages.remove("metrics");
    manifest.putAll(fromStages);
    manifest.put("models", models);
    manifest.put("timings", timings);
    if (metrics != null) {
      manifest.put("metrics", metrics);
    }
    manifest.put("counts", counts);
    if (batch == null) {
      hook.onDriver("commit");
    }
    out.writeManifest(manifest);
    LOG.info(
        "wrote {} ({} accepted, {} rejected of {} input rows)",
        out.root(),
        accepted,
        rejectedRows,
        inputRows);
    Result result =
        new Result(
            out.root(),
            inputRows,
            accepted,
            rejectedRows,
            batch == null ? null : (String) batch.get("id"),
            0);
    if (command == Command.CURATE && conf.get(SiftKeys.REPORT_ENABLED)) {
      writeReport(spark, conf, out.root(), result.counts());
    }
    return result;
  }

  /**
   * Writes the report once the outputs and the manifest are complete (it reads them). A failed
   * report fails the command but leaves the run's outputs as they are: {@code sift report} can
   * build it again.
   */
  private static void writeReport(
      SparkSession spark, SiftConf conf, String root, Map<String, Long> counts) {
    long t0 = System.nanoTime();
    spark.sparkContext().setJobDescription("sift curate: report");
    try {
      ReportJob.write(spark, root, null, ReportJob.Options.of(conf));
    } catch (Exception e) { // Spark's AnalysisException is checked
      LOG.error("report failed for {}", root, e);
      throw new ReportJob.ReportFailedException(root, e, counts);
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

  private static double seconds(long nanos) {
    return Math.round(nanos / 1e6) / 1e3;
  }
}
