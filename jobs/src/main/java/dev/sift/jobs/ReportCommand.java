package dev.sift.jobs;

import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.jobs.report.ReportJob;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sift report --output DIR [--baseline OTHER]}: rebuilds {@code DIR/report/} from the output
 * directory alone, without running the pipeline. The report settings are the run's (its manifest)
 * unless given here, so a rebuild reproduces {@code report.json} byte for byte. Exit 2 when DIR (or
 * OTHER) has no manifest.
 */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description =
        "(Re)build the report (report/report.json, report/report.html) of an output directory"
            + " (--output DIR) from its outputs and manifest; --baseline OTHER adds a comparison"
            + " with another run.")
final class ReportCommand implements Callable<Integer> {
  @Mixin Sift.RunOptions options;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--baseline",
      paramLabel = "OTHER_DIR",
      description = "Output directory of another run to compare this one with.")
  String baseline;

  @Override
  public Integer call() {
    SiftConf conf = options.load();
    String dir = conf.get(SiftKeys.OUTPUT_PATH);
    if (dir == null || dir.isBlank()) {
      throw new SiftUserException("no output directory: give --output DIR");
    }
    SparkSession existing = SparkSession.getActiveSession().getOrElse(() -> null);
    SparkSession spark = existing != null ? existing : Sift.createSession(conf, "report");
    try {
      // Both manifests are read first, so a missing one fails before any report work.
      ReportJob.Run run = ReportJob.Run.read(spark, dir);
      ReportJob.Run base = baseline == null ? null : ReportJob.Run.read(spark, baseline);
      ReportJob.write(spark, run, base, ReportJob.Options.of(run.manifest(), conf));
      PrintWriter out = spec.commandLine().getOut();
      out.printf("sift report: %s/%s%n", dir, ReportJob.DIR);
      out.printf("  json: %s/%s/%s%n", dir, ReportJob.DIR, ReportJob.JSON_FILE);
      out.printf("  html: %s/%s/%s%n", dir, ReportJob.DIR, ReportJob.HTML_FILE);
      out.flush();
      return 0;
    } finally {
      if (existing == null) {
        spark.stop();
      }
    }
  }
}
