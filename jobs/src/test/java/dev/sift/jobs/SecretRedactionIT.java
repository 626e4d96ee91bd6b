package dev.sift.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.jobs.config.Redaction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secrets given to {@code bin/sift} (S3A keys, a token, a password; on the command line and in the
 * config file) appear in no file of the output and no line of a log at INFO, Spark's included.
 */
@Tag("integration")
class SecretRedactionIT {
  private static final Path REPO =
      Path.of(System.getProperty("sift.repo.dir", "..")).toAbsolutePath();
  private static final List<String> SECRETS =
      List.of(
          "AKIAFAKE1EXAMPLE",
          "fake2SecretValue",
          "fake3SessionToken",
          "fake4Password",
          "fake5FileSecret");

  @TempDir Path tmp;

  @Test
  void noSecretInAnyOutputFileOrLogLine() throws Exception {
    Path out = tmp.resolve("out");
    Path log4j = tmp.resolve("log4j2.properties");
    // Everything at INFO, so Spark's own lines (spark.logConf prints its configuration) are read.
    Files.writeString(
        log4j,
        Files.readString(REPO.resolve("conf/log4j2.properties"))
            .replace("rootLogger.level = warn", "rootLogger.level = info"));
    Path conf = tmp.resolve("run.conf");
    Files.writeString(
        conf,
        "include file(\""
            + REPO.resolve("conf/sample.conf")
            + "\")\n"
            + "sift.input.path = \""
            + REPO.resolve("data/sample/sample.parquet")
            + "\"\n"
            + "spark { hadoop.fs.s3a.server-side-encryption.key = \"fake5FileSecret\" }\n");
    ProcessRun run =
        ProcessRun.of(
            REPO,
            Map.of("SIFT_NO_BUILD", "1", "SPARK_HOME", "", "SIFT_LOG4J", log4j.toString()),
            List.of(
                "bin/sift",
                "curate",
                "--config",
                conf.toString(),
                "--output",
                out.toString(),
                "--set",
                "spark.hadoop.fs.s3a.access.key=AKIAFAKE1EXAMPLE",
                "--set",
                "spark.hadoop.fs.s3a.secret.key=fake2SecretValue",
                "--set",
                "spark.hadoop.fs.s3a.session.token=fake3SessionToken",
                "--set",
                "spark.ssl.keyStorePassword=fake4Password",
                "--set",
                "spark.logConf=true"));
    assertThat(run.exitCode()).as(run.output()).isZero();
    // The log is Spark's INFO chatter and the configuration it printed, not an empty file.
    assertThat(run.output())
        .contains("INFO SparkContext", "spark.hadoop.fs.s3a.secret.key=")
        .doesNotContain(SECRETS.toArray(String[]::new));

    List<String> leaks = new ArrayList<>();
    List<Path> files;
    try (Stream<Path> walk = Files.walk(out)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    // The manifest, the report (JSON and HTML), the Parquet parts and Spark's markers.
    assertThat(files.stream().map(p -> p.getFileName().toString()))
        .contains("_MANIFEST.json", "report.json", "report.html");
    for (Path f : files) {
      String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
      for (String secret : SECRETS) {
        if (text.contains(secret)) {
          leaks.add(out.relativize(f) + " holds " + secret);
        }
      }
    }
    assertThat(leaks).isEmpty();

    // The keys stay, so a reader sees what was set; their values are Spark's redaction text.
    JsonNode spark = SiftRun.manifest(out).get("spark_config");
    assertThat(spark.get("spark.hadoop.fs.s3a.access.key").asText()).isEqualTo(Redaction.REDACTED);
    assertThat(spark.get("spark.hadoop.fs.s3a.server-side-encryption.key").asText())
        .isEqualTo(Redaction.REDACTED);
    assertThat(spark.get("spark.logConf").asText()).isEqualTo("true");
  }
}
