package dev.sift.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bin/sift} itself, as a user runs it from the repository root (embedded Spark). */
@Tag("integration")
class LauncherIT {
  private static final Path REPO =
      Path.of(System.getProperty("sift.repo.dir", "..")).toAbsolutePath();
  // The jar was just built by this Maven run; the launcher must not start a nested build.
  private static final Map<String, String> ENV = Map.of("SIFT_NO_BUILD", "1", "SPARK_HOME", "");

  @TempDir Path tmp;

  @Test
  void curatesTheBundledSampleAndSaysWhereTheOutputsAre() throws Exception {
    Path out = tmp.resolve("sample");
    ProcessRun run =
        ProcessRun.of(
            REPO,
            ENV,
            List.of(
                "bin/sift",
                "curate",
                "--config",
                "conf/sample.conf",
                "--output",
                out.toString(),
                "--set",
                "sift.progress.interval=1s"));
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output())
        .contains(
            "317 input rows",
            out.resolve("accepted").toString(),
            out.resolve("report/report.html").toString());
    // Progress lines name each stage with rows done and a rate.
    assertThat(run.output())
        .containsPattern("progress after \\d+s: text [\\d,]+ rows \\([\\d,]+ rows/s\\)")
        .containsPattern("decode [\\d,]+ rows")
        .containsPattern("score [\\d,]+ rows");
    // The first command shows the product: every stage the bundled models allow, and the report.
    JsonNode stages = SiftRun.manifest(out).get("stages");
    for (String stage : List.of("text", "match", "balance", "decode", "score", "filter")) {
      assertThat(stages.get(stage).asText()).as(stage).startsWith("ran");
    }
    assertThat(out.resolve("report/report.html")).isNotEmptyFile();
    JsonNode counts = SiftRun.manifest(out).get("counts");
    assertThat(counts.get("accepted").asLong() + counts.get("rejected").asLong())
        .isEqualTo(counts.get("input").asLong())
        .isEqualTo(317);
  }

  @Test
  void handsTheJarToSparkSubmitWhenSparkHomeIsSet() throws Exception {
    // A stand-in spark-submit that records how the launcher called it.
    Path home = tmp.resolve("spark-home");
    Path bin = java.nio.file.Files.createDirectories(home.resolve("bin"));
    Path args = tmp.resolve("args.txt");
    Path submit = bin.resolve("spark-submit");
    java.nio.file.Files.writeString(
        submit, "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > '" + args + "'\n");
    submit.toFile().setExecutable(true);
    ProcessRun run =
        ProcessRun.of(
            REPO,
            Map.of("SIFT_NO_BUILD", "1", "SPARK_HOME", home.toString()),
            List.of("bin/sift", "curate", "--config", "conf/sample.conf"));
    assertThat(run.exitCode()).as(run.output()).isZero();
    List<String> passed = java.nio.file.Files.readAllLines(args);
    assertThat(passed.subList(0, 2)).containsExactly("--class", "dev.sift.jobs.Sift");
    assertThat(passed.get(2)).matches(".*/jobs/target/sift-jobs-[^/]*\\.jar");
    assertThat(passed.subList(3, passed.size()))
        .containsExactly("curate", "--config", "conf/sample.conf");
  }

  @Test
  void listsCommandsAndRejectsBadKeysWithExit2() throws Exception {
    ProcessRun help = ProcessRun.of(REPO, ENV, List.of("bin/sift", "--help"));
    assertThat(help.exitCode()).isZero();
    assertThat(help.output()).contains("curate", "build-metadata");
    ProcessRun bad =
        ProcessRun.of(
            REPO,
            ENV,
            List.of(
                "bin/sift",
                "curate",
                "--config",
                "conf/sample.conf",
                "--set",
                "sift.decode.min-sise=10"));
    assertThat(bad.exitCode()).as(bad.output()).isEqualTo(2);
    assertThat(bad.output()).contains("did you mean sift.decode.min-size?");
  }
}
