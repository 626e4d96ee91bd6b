package dev.sift.jobs;

import dev.sift.curation.concepts.MetadataBuilder;
import dev.sift.jobs.append.OutputLock;
import dev.sift.jobs.config.ConfigLoader;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The {@code sift} command line: the main class of the {@code spark-submit} jar and of {@code
 * bin/sift}. Exit codes: 0 success, 2 configuration or input-contract error (the message names the
 * key, file or column), 1 any other failure.
 */
@Command(
    name = "sift",
    mixinStandardHelpOptions = true,
    versionProvider = Sift.Version.class,
    description = "Image-text dataset curation on Apache Spark.",
    commandListHeading = "%nCommands:%n",
    footer = {
      "",
      "Configuration keys: docs/configuration.md. Exit codes: 0 ok, 2 configuration or input"
          + " error, 1 other failure."
    })
public final class Sift implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(Sift.class);

  /** Exit code of a configuration or input-contract error. */
  public static final int EXIT_USER_ERROR = 2;

  /** Exit code of any other failure. */
  public static final int EXIT_FAILURE = 1;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return EXIT_USER_ERROR;
  }

  /** Options every command takes (docs/design.md's command line). */
  static final class RunOptions {
    @Option(
        names = "--config",
        paramLabel = "FILE",
        description = "HOCON configuration file (see conf/ and docs/configuration.md).")
    Path config;

    @Option(
        names = "--input",
        paramLabel = "PATH",
        description = "Input path; shorthand for --set sift.input.path=PATH.")
    String input;

    @Option(
        names = "--output",
        paramLabel = "DIR",
        description = "Output directory; shorthand for --set sift.output.path=DIR.")
    String output;

    @Option(
        names = "--set",
        paramLabel = "KEY=VALUE",
        description = "Override a sift.* key, or pass a spark.* key to Spark. Repeatable.")
    List<String> sets = new ArrayList<>();

    SiftConf load() {
      Map<String, String> overrides = new LinkedHashMap<>();
      overrides.put(SiftKeys.INPUT_PATH.name(), input);
      overrides.put(SiftKeys.OUTPUT_PATH.name(), output);
      return ConfigLoader.load(config, sets, overrides);
    }
  }

  @Command(
      name = "build-metadata",
      mixinStandardHelpOptions = true,
      description =
          "Build a MetaCLIP concept list in --output DIR (metadata.json, SOURCES.md): the numbers"
              + " 0..99, every WordNet 3.0 synset name as MetaCLIP derives it, then the optional"
              + " sift.metadata.* lists with MetaCLIP's thresholds. No Spark needed.")
  static final class BuildMetadata implements Callable<Integer> {
    @Mixin RunOptions options;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      SiftConf conf = options.load();
      String out = conf.get(SiftKeys.OUTPUT_PATH);
      if (out == null || out.isBlank()) {
        throw new SiftUserException("no output: give --output DIR for metadata.json");
      }
      java.nio.file.Path dir = java.nio.file.Path.of(out);
      java.nio.file.Path target = dir.resolve(MetadataBuilder.METADATA_FILE);
      if (java.nio.file.Files.exists(target)
          && conf.get(SiftKeys.OUTPUT_MODE) != SiftKeys.OutputMode.OVERWRITE) {
        throw new SiftUserException(
            target
                + " already exists; choose another --output or set sift.output.mode = overwrite");
      }
      MetadataBuilder builder = new MetadataBuilder();
      String unigrams = conf.get(SiftKeys.METADATA_UNIGRAMS);
      if (unigrams != null) {
        builder.unigrams(
            existing(unigrams, SiftKeys.METADATA_UNIGRAMS),
            conf.get(SiftKeys.METADATA_MIN_UNIGRAM_COUNT));
      }
      String bigrams = conf.get(SiftKeys.METADATA_BIGRAMS);
      if (bigrams != null) {
        builder.bigrams(
            existing(bigrams, SiftKeys.METADATA_BIGRAMS),
            conf.get(SiftKeys.METADATA_MIN_BIGRAM_PMI));
      }
      String titles = conf.get(SiftKeys.METADATA_TITLES);
      if (titles != null) {
        builder.titles(
            existing(titles, SiftKeys.METADATA_TITLES),
            conf.get(SiftKeys.METADATA_MIN_TITLE_VIEWS));
      }
      String extra = conf.get(SiftKeys.METADATA_EXTRA);
      if (extra != null) {
        builder.extra(existing(extra, SiftKeys.METADATA_EXTRA));
      }
      MetadataBuilder.Result result;
      try {
        result = builder.build();
      } catch (IllegalArgumentException e) {
        throw new SiftUserException(e.getMessage(), e);
      }
      result.write(dir);
      PrintWriter pw = spec.commandLine().getOut();
      pw.printf("sift build-metadata: %,d entries%n", result.entries().size());
      for (MetadataBuilder.SourceCount c : result.sources()) {
        pw.printf("  %-9s %,9d added%n", c.source(), c.added());
      }
      pw.printf("  list:    %s%n", target);
      pw.printf("  sources: %s%n", dir.resolve(MetadataBuilder.SOURCES_FILE));
      pw.flush();
      return 0;
    }

    private static java.nio.file.Path existing(
        String file, dev.sift.jobs.config.ConfigKey<String> key) {
      java.nio.file.Path p = java.nio.file.Path.of(file);
      if (!java.nio.file.Files.isRegularFile(p)) {
        throw new SiftUserException(key.name() + " = " + file + ": file not found");
      }
      return p;
    }
  }

  @Command(
      name = "unlock",
      mixinStandardHelpOptions = true,
      description =
          "Break the _LOCK of an output directory (--output DIR) left by a run that died on"
              + " another host; prints the run it named. Only when that run is certainly gone:"
              + " two writers at once can lose or duplicate data. No Spark needed.")
  static final class Unlock implements Callable<Integer> {
    @Mixin RunOptions options;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws java.io.IOException {
      SiftConf conf = options.load();
      String out = conf.get(SiftKeys.OUTPUT_PATH);
      if (out == null || out.isBlank()) {
        throw new SiftUserException("no output: give --output DIR, the locked output directory");
      }
      org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(out);
      org.apache.hadoop.conf.Configuration hadoop = new org.apache.hadoop.conf.Configuration();
      conf.sparkSettings().entrySet().stream()
          .filter(e -> e.getKey().startsWith("spark.hadoop."))
          .forEach(e -> hadoop.set(e.getKey().substring("spark.hadoop.".length()), e.getValue()));
      org.apache.hadoop.fs.FileSystem fs = root.getFileSystem(hadoop);
      java.util.Optional<OutputLock.Holder> h = OutputLock.breakLock(fs, root);
      PrintWriter pw = spec.commandLine().getOut();
      if (h.isEmpty()) {
        pw.printf("sift unlock: %s has no lock%n", fs.makeQualified(root));
      } else {
        pw.printf(
            "sift unlock: removed the lock of %s, held by %s%n",
            fs.makeQualified(root), h.get().describe());
      }
      pw.flush();
      return 0;
    }
  }

  /**
   * The commands that run the stage pipeline ({@code curate}, {@code match}, {@code balance},
   * {@code score}, {@code recaption}): one class, the command given per instance; the name and
   * description are set where the command line is assembled.
   */
  @Command(mixinStandardHelpOptions = true)
  static final class PipelineCommand implements Callable<Integer> {
    @Mixin RunOptions options;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    private final dev.sift.jobs.pipeline.Command command;

    PipelineCommand(dev.sift.jobs.pipeline.Command command) {
      this.command = command;
    }

    @Override
    public Integer call() {
      return runPipeline(spec, options, command);
    }

    /** The subcommand for {@code command}, described by {@code description}. */
    static CommandLine of(dev.sift.jobs.pipeline.Command command, String description) {
      CommandLine cli = new CommandLine(new PipelineCommand(command));
      cli.getCommandSpec().usageMessage().description(description);
      return cli;
    }
  }

  private static int runPipeline(
      CommandLine.Model.CommandSpec spec,
      RunOptions options,
      dev.sift.jobs.pipeline.Command command) {
    PrintWriter out = spec.commandLine().getOut();
    SiftConf conf = options.load();
    SparkSession existing = SparkSession.getActiveSession().getOrElse(() -> null);
    SparkSession spark = existing != null ? existing : createSession(conf, command.label());
    try {
      CurateJob.Result r = CurateJob.run(spark, conf, command);
      if (r.nothingNew()) {
        out.printf(
            "sift %s: nothing new: all %,d input files are in the ledger of %s; no batch"
                + " written%n",
            command.label(), r.alreadyConsumed(), r.output());
        out.flush();
        return 0;
      }
      if (r.batch() != null) {
        out.printf("sift %s: committed batch %s%n", command.label(), r.batch());
      }
      out.printf(
          "sift %s: %,d input rows -> %,d accepted, %,d rejected%n",
          command.label(), r.input(), r.accepted(), r.rejected());
      out.printf("  accepted:       %s/accepted%n", r.output());
      out.printf("  rejected:       %s/rejected%n", r.output());
      out.printf("  concept counts: %s/concept_counts%n", r.output());
      out.printf("  manifest:       %s/_MANIFEST.json%n", r.output());
      if (command == dev.sift.jobs.pipeline.Command.CURATE && conf.get(SiftKeys.REPORT_ENABLED)) {
        out.printf(
            "  report:         %s/%s/%s%n",
            r.output(),
            dev.sift.jobs.report.ReportJob.DIR,
            dev.sift.jobs.report.ReportJob.HTML_FILE);
      }
      out.flush();
      return 0;
    } finally {
      if (existing == null) {
        spark.stop();
      }
    }
  }

  /**
   * A session for this run: spark-submit's settings when there are any, else {@code
   * sift.spark.master}; then the {@code spark.*} keys of the configuration.
   */
  static SparkSession createSession(SiftConf conf, String command) {
    SparkConf sparkConf = new SparkConf();
    SparkSession.Builder builder = SparkSession.builder().appName("sift " + command);
    if (!sparkConf.contains("spark.master")) {
      builder.master(conf.get(SiftKeys.SPARK_MASTER));
    }
    for (Map.Entry<String, String> e : conf.sparkSettings().entrySet()) {
      builder.config(e.getKey(), e.getValue());
    }
    return builder.getOrCreate();
  }

  /** The command line with every command of docs/design.md, ready to execute. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Sift());
    cli.addSubcommand(
        "curate",
        PipelineCommand.of(
            dev.sift.jobs.pipeline.Command.CURATE,
            "Run the whole pipeline: read, text, match, balance, decode, score, recaption, filter,"
                + " write; each stage as its sift.<stage>.enabled says."));
    cli.addSubcommand(
        "match",
        PipelineCommand.of(
            dev.sift.jobs.pipeline.Command.MATCH,
            "Text stages only: read, normalise and filter captions, concept matching, write, with"
                + " per-concept counts."));
    cli.addSubcommand(
        "balance",
        PipelineCommand.of(
            dev.sift.jobs.pipeline.Command.BALANCE,
            "MetaCLIP balancing over the output of an earlier match run (--input DIR): counts per"
                + " concept recomputed from its rows, keep probability with sift.balance.t,"
                + " deterministic draw with sift.balance.seed. Try several t without"
                + " re-matching."));
    cli.addSubcommand("build-metadata", new BuildMetadata());
    cli.addSubcommand(
        "score",
        PipelineCommand.of(
            dev.sift.jobs.pipeline.Command.SCORE,
            "Decode and CLIP scores for an input (sift.score.model), nothing filtered on the"
                + " scores: read, text, decode, score, write."));
    cli.addSubcommand(
        "recaption",
        PipelineCommand.of(
            dev.sift.jobs.pipeline.Command.RECAPTION,
            "Synthetic captions (sift.recaption.model) with their CLIP scores"
                + " (sift.score.model) for the rows sift.recaption.when selects, nothing filtered:"
                + " read, text, decode, score, recaption, write."));
    cli.addSubcommand("report", new ReportCommand());
    cli.addSubcommand("unlock", new Unlock());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          Throwable user = userCause(e);
          if (user != null) {
            commandLine.getErr().println("sift: " + user.getMessage());
            return EXIT_USER_ERROR;
          }
          LOG.error("sift failed", e);
          commandLine.getErr().println("sift: failed: " + e);
          return EXIT_FAILURE;
        });
    return cli;
  }

  /** A {@link SiftUserException} anywhere in the cause chain, or null. */
  private static Throwable userCause(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SiftUserException) {
        return t;
      }
    }
    return null;
  }

  /** Runs the command line and returns its exit code (the entry point tests call). */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** {@code --version}: Sift's version and commit. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"sift " + BuildInfo.version() + " (" + BuildInfo.gitCommit() + ")"};
    }
  }
}
