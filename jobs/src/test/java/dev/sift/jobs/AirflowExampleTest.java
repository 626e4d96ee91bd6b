package dev.sift.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * conf/airflow/sift_nightly.py, the scheduled-run example: valid Python (parsed by the Python on
 * PATH, if any; Airflow itself is not needed to parse), and naming Sift's real main class, command
 * and keys.
 */
class AirflowExampleTest {
  static final Path DAG = SparkTestBase.repo("conf/airflow/sift_nightly.py");

  @Test
  void namesTheRealMainClassCommandAndKeys() throws Exception {
    String text = Files.readString(DAG);
    assertThat(text)
        .contains("java_class=\"" + Sift.class.getName() + "\"")
        .contains("\"curate\"")
        .contains("\"" + SiftKeys.OUTPUT_MODE.name() + "=append\"")
        .contains("max_active_runs=1");
    assertThat(Sift.commandLine().getSubcommands()).containsKey("curate");
  }

  @Test
  void isValidPython() throws Exception {
    Process which = new ProcessBuilder("sh", "-c", "command -v python3").start();
    assumeTrue(which.waitFor() == 0, "no python3 on PATH");
    Process p =
        new ProcessBuilder(
                "python3",
                "-c",
                "import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])",
                DAG.toString())
            .redirectErrorStream(true)
            .start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.exitValue()).as(out).isZero();
  }
}
