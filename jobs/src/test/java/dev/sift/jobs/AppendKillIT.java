package dev.sift.jobs;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sift.jobs.append.AppendOutput;
import dev.sift.jobs.append.OutputLock;
import dev.sift.udfs.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Append mode against real failures: runs of the shaded jar as child processes, killed with {@code
 * kill -9} at {@code sift.test.hook}'s pause points, raced for one output, or with a failed task
 * that Spark retries. Every comparison is with one uninterrupted append run of the sample ({@code
 * conf/sample.conf}: text, match, balance, decode, CLIP score, filter). Outputs and the children's
 * logs stay under {@code jobs/target/append-kill-it/}.
 */
@Tag("integration")
class AppendKillIT extends SparkTestBase {
  private static final Path REPO = repo("").toAbsolutePath().normalize();
  private static final Duration TO_PAUSE = Duration.ofMinutes(3);
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(4);

  static Path dir;
  static Path uninterrupted;
  static Batches expected;

  @BeforeAll
  static void uninterruptedRun() throws Exception {
    dir =
        Files.createDirectories(
            Path.of("target", "append-kill-it", String.valueOf(System.currentTimeMillis()))
                .toAbsolutePath());
    uninterrupted = dir.resolve("uninterrupted");
    ProcessRun r = sift("uninterrupted", uninterrupted).await(RUN_TIMEOUT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    expected = Batches.of(uninterrupted);
    assertThat(expected.accepted()).isNotEmpty();
    assertThat(expected.rejected()).isNotEmpty();
    assertThat(expected.accepted().size() + expected.rejected().size())
        .isEqualTo(commitCounts(uninterrupted).get("input").asLong());
  }

  /**
   * Runs killed one after another, at each pause point in turn, on one output: each commits nothing
   * and leaves its lock; the next run takes over the dead run's lock and removes what it left; the
   * run after the last kill commits the same rows as a run never interrupted. (One chain rather
   * than a fresh output per point: every takeover is still checked, with two runs fewer.)
   */
  @Test
  void runsKilledAtEachPointCommitNothingAndTheNextRunTakesOverAndCommitsTheSameRows()
      throws Exception {
    Path out = dir.resolve("killed");
    ProcessRun.Running previous = null;
    List<Path> previousLeft = List.of();
    for (String point : List.of("score", "write", "commit")) {
      Path marker = dir.resolve("killed-at-" + point + ".paused");
      ProcessRun.Running run =
          sift("killed-at-" + point, out, "sift.test.hook=pause:" + point + ":" + marker);
      awaitPause(run, marker);
      run.kill();
      if (previous != null) {
        assertTookOver(run.output(), out, previous, previousLeft);
      }

      assertThat(out.resolve(AppendOutput.COMMITS).resolve("000001.json")).doesNotExist();
      assertThat(out.resolve(AppendOutput.COMMITTED)).doesNotExist();
      assertThat(lockPid(out)).as("the lock names the run killed at " + point).isEqualTo(run.pid());
      List<Path> leftBehind = batchDirs(out);
      switch (point) {
        case "write" -> {
          // Spark's file committer had begun: the task's file is still under _temporary.
          assertThat(leftBehind).hasSize(1);
          assertThat(leftBehind.get(0).resolve("accepted/_temporary")).isDirectory();
          assertThat(leftBehind.get(0).resolve("_MANIFEST.json")).doesNotExist();
        }
        case "commit" -> {
          // Complete, manifest and all, yet invisible without its commit record.
          assertThat(leftBehind).hasSize(1);
          assertThat(leftBehind.get(0).resolve("accepted/_SUCCESS")).exists();
          assertThat(leftBehind.get(0).resolve("_MANIFEST.json")).exists();
        }
        default -> assertThat(leftBehind).hasSizeLessThanOrEqualTo(1);
      }
      previous = run;
      previousLeft = leftBehind;
    }

    ProcessRun again = sift("killed-again", out).await(RUN_TIMEOUT);
    assertThat(again.exitCode()).as(again.output()).isZero();
    assertTookOver(again.output(), out, previous, previousLeft);
    assertThat(out.resolve(OutputLock.FILE)).doesNotExist();
    assertSameRowsAsUninterrupted(out);
  }

  /** The log of a run says it took over {@code dead}'s lock and removed what it left. */
  private static void assertTookOver(
      String log, Path out, ProcessRun.Running dead, List<Path> deadLeft) {
    assertThat(log)
        .contains("taking over the lock of file:" + out)
        .contains("pid " + dead.pid() + ", since ")
        .contains("is gone (no such process on this host)");
    for (Path left : deadLeft) {
      assertThat(log).contains("removing file:" + left + ": a batch without a commit record");
      assertThat(left).doesNotExist();
    }
  }

  /**
   * Two runs started together on one new output: one takes the lock and goes on (to its pause
   * before the commit), the other stops at once naming it.
   */
  @Test
  void ofTwoRunsStartedTogetherOneHoldsTheLockAndTheOtherIsRefused() throws Exception {
    Path out = dir.resolve("two-at-once");
    Path[] markers = {dir.resolve("two-at-once-0.paused"), dir.resolve("two-at-once-1.paused")};
    ProcessRun.Running[] runs = new ProcessRun.Running[2];
    try {
      for (int i = 0; i < 2; i++) {
        runs[i] = sift("two-at-once-" + i, out, "sift.test.hook=pause:commit:" + markers[i]);
      }
      // The refused run ends within seconds; the holder pauses and never ends by itself.
      long deadline = System.nanoTime() + TO_PAUSE.toNanos();
      while (runs[0].process().isAlive() && runs[1].process().isAlive()) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError(
              "neither run ended\n" + runs[0].output() + "\n---\n" + runs[1].output());
        }
        Thread.sleep(200);
      }
      int refused = runs[0].process().isAlive() ? 1 : 0;
      int holder = 1 - refused;
      ProcessRun r = runs[refused].await(Duration.ZERO);
      assertThat(r.exitCode()).as(r.output()).isEqualTo(2);
      assertThat(r.output())
          .contains("output file:" + out + " is locked by another sift run")
          .contains("pid " + runs[holder].pid() + ",")
          .contains("It is running on this host; wait for it to finish.");

      awaitPause(runs[holder], markers[holder]);
      assertThat(markers[refused]).doesNotExist();
      assertThat(lockPid(out)).isEqualTo(runs[holder].pid());
    } finally {
      for (ProcessRun.Running run : runs) {
        if (run != null) {
          run.kill();
        }
      }
    }
  }

  /** A task that fails once and is retried by Spark changes nothing in the committed rows. */
  @Test
  void aFailedTaskRetriedBySparkCommitsTheSameRows() throws Exception {
    Path out = dir.resolve("retried");
    // local[N,F]: N threads, each task tried up to F times (plain local[N] tries once).
    ProcessRun r =
        sift("retried", out, "sift.test.hook=fail-once:score", "sift.spark.master=local[2,2]")
            .await(RUN_TIMEOUT);
    assertThat(r.exitCode()).as(r.output()).isZero();
    assertThat(r.output()).contains("sift.test.hook: injected failure of the first attempt");
    assertSameRowsAsUninterrupted(out);
  }

  /**
   * Starts {@code sift curate} of the sample into {@code out} in append mode, with more settings;
   * its output goes to {@code <name>.log} beside the outputs.
   */
  private static ProcessRun.Running sift(String name, Path out, String... sets) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "curate",
                "--config",
                "conf/sample.conf",
                "--output",
                out.toString(),
                "--set",
                "sift.output.mode=append",
                "--set",
                "sift.report.enabled=false",
                "--set",
                "spark.ui.enabled=false"));
    for (String s : sets) {
      args.addAll(List.of("--set", s));
    }
    return ProcessRun.startSiftJar(REPO, List.of(), args, dir.resolve(name + ".log"));
  }

  /** Waits for {@code run} to create {@code marker}: it has reached its pause point. */
  private static void awaitPause(ProcessRun.Running run, Path marker) throws Exception {
    long deadline = System.nanoTime() + TO_PAUSE.toNanos();
    while (!Files.exists(marker)) {
      if (!run.process().isAlive()) {
        throw new AssertionError(
            "ended (exit " + run.process().exitValue() + ") before its pause\n" + run.output());
      }
      if (System.nanoTime() > deadline) {
        run.kill();
        throw new AssertionError("no pause within " + TO_PAUSE + "\n" + run.output());
      }
      Thread.sleep(200);
    }
  }

  private static long lockPid(Path out) throws IOException {
    return new ObjectMapper().readTree(out.resolve(OutputLock.FILE).toFile()).get("pid").asLong();
  }

  private static List<Path> batchDirs(Path out) throws IOException {
    Path batches = out.resolve(AppendOutput.BATCHES);
    if (!Files.exists(batches)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(batches)) {
      return s.sorted().toList();
    }
  }

  /**
   * One committed batch, the only directory under {@code batches/}, with no row twice and the same
   * accepted ids and rejected (id, reason) pairs as the uninterrupted run.
   */
  private static void assertSameRowsAsUninterrupted(Path out) throws IOException {
    List<String> committed = Files.readAllLines(out.resolve(AppendOutput.COMMITTED));
    assertThat(committed).hasSize(1);
    assertThat(batchDirs(out))
        .extracting(p -> "file:" + p)
        .as("only the committed batch is left")
        .containsExactlyElementsOf(committed);
    Batches actual = Batches.of(out);
    // Compared as lists, so that a row written twice is an extra element. (The sample holds one id
    // twice on purpose: accepted once, and rejected once as duplicate_id.)
    assertThat(actual.accepted()).as("accepted of " + out).doesNotHaveDuplicates();
    assertThat(actual.rejected()).as("rejected of " + out).doesNotHaveDuplicates();
    assertThat(actual.accepted())
        .as("accepted of " + out)
        .containsExactlyInAnyOrderElementsOf(expected.accepted());
    assertThat(actual.rejected())
        .as("rejected of " + out)
        .containsExactlyInAnyOrderElementsOf(expected.rejected());
    assertThat(commitCounts(out)).isEqualTo(commitCounts(uninterrupted));
  }

  /** The {@code input}, {@code accepted} and {@code rejected} counts of the first commit record. */
  private static JsonNode commitCounts(Path out) throws IOException {
    return new ObjectMapper()
        .readTree(out.resolve(AppendOutput.COMMITS).resolve("000001.json").toFile())
        .get("counts");
  }

  /** The rows of every committed batch: accepted ids, rejected {@code "id reason"}. */
  record Batches(List<String> accepted, List<String> rejected) {
    static Batches of(Path out) throws IOException {
      List<String> accepted = new ArrayList<>();
      List<String> rejected = new ArrayList<>();
      for (String batch : Files.readAllLines(out.resolve(AppendOutput.COMMITTED))) {
        accepted.addAll(
            spark
                .read()
                .parquet(batch + "/accepted")
                .select(col("id"))
                .as(Encoders.STRING())
                .collectAsList());
        rejected.addAll(
            spark
                .read()
                .parquet(batch + "/rejected")
                .select(functions.concat_ws(" ", col("id"), col("reject_reason")))
                .as(Encoders.STRING())
                .collectAsList());
      }
      return new Batches(accepted, rejected);
    }
  }
}
