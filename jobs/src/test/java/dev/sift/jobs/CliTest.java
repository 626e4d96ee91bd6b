package dev.sift.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line without Spark: help, planned commands, start-up errors. */
class CliTest {
  @Test
  void helpListsEveryCommandOfTheDesign() {
    SiftRun run = SiftRun.of("--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out())
        .contains("curate", "match", "balance", "score", "recaption", "report", "build-metadata");
  }

  @Test
  void commandHelpListsTheOptions() {
    SiftRun run = SiftRun.of("curate", "--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("--config", "--input", "--output", "--set");
  }

  @ParameterizedTest
  @ValueSource(strings = {"score", "recaption", "report", "build-metadata"})
  void plannedCommandsSaySoAndExit2(String command) {
    SiftRun run = SiftRun.of(command, "--output", "/tmp/never");
    assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
    assertThat(run.err()).contains("not available yet: " + command);
  }

  @Test
  void noCommandPrintsUsageAndExits2() {
    SiftRun run = SiftRun.of();
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("Usage: sift");
  }

  @Test
  void unknownOptionExits2() {
    assertThat(SiftRun.of("curate", "--frobnicate").exitCode()).isEqualTo(2);
  }

  @Test
  void badConfigExits2BeforeSparkStarts() {
    SiftRun run = SiftRun.of("curate", "--set", "sift.decode.max-aspect=0", "--output", "x");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("sift.decode.max-aspect", "0", "allowed");
  }

  @Test
  void versionNamesTheBuild() {
    SiftRun run = SiftRun.of("--version");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).startsWith("sift ");
  }
}
