package dev.sift.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar that spark-submit receives: its content, and a real run of it on a JVM whose class
 * path is that jar plus Spark's jars (what spark-submit provides).
 */
@Tag("integration")
class ShadedJarIT {
  private static final Path REPO =
      Path.of(System.getProperty("sift.repo.dir", "..")).toAbsolutePath();
  private static final Path JAR = Path.of(System.getProperty("sift.jobs.jar"));
  private static final Path SPARK_CP = Path.of(System.getProperty("sift.spark.classpath"));

  @TempDir Path tmp;

  @Test
  void bundlesSiftAndItsLibrariesButNotSpark() throws Exception {
    try (JarFile jar = new JarFile(JAR.toFile())) {
      assertThat(jar.getManifest().getMainAttributes().getValue("Main-Class"))
          .isEqualTo("dev.sift.jobs.Sift");
      assertThat(jar.getEntry("dev/sift/jobs/Sift.class")).isNotNull();
      assertThat(jar.getEntry("dev/sift/curation/image/ImageProbe.class")).isNotNull();
      assertThat(jar.getEntry("dev/sift/udfs/ImageProbeUdf.class")).isNotNull();
      assertThat(jar.getEntry("dev/sift/shaded/picocli/CommandLine.class")).isNotNull();
      assertThat(jar.getEntry("dev/sift/shaded/com/typesafe/config/Config.class")).isNotNull();
      assertThat(jar.getEntry("picocli/CommandLine.class")).isNull();
      assertThat(jar.getEntry("org/apache/spark/sql/SparkSession.class")).isNull();
      assertThat(jar.getEntry("ai/onnxruntime/OrtEnvironment.class")).isNotNull();
      assertThat(jar.getEntry("sift-build.properties")).isNotNull();
    }
  }

  @Test
  void runsTheTextStagesOnTenThousandRealAltTexts() throws Exception {
    Path out = tmp.resolve("text");
    ProcessRun run =
        ProcessRun.siftJar(
            REPO,
            List.of(),
            List.of(
                "match",
                "--config",
                "conf/sample-text.conf",
                "--output",
                out.toString(),
                "--set",
                "spark.ui.enabled=false"));
    assertThat(run.exitCode()).as(run.output()).isZero();
    JsonNode m = SiftRun.manifest(out);
    JsonNode counts = m.get("counts");
    assertThat(counts.get("input").asLong()).isEqualTo(10_000);
    assertThat(counts.get("accepted").asLong() + counts.get("rejected").asLong()).isEqualTo(10_000);
    assertThat(m.get("command").asText()).isEqualTo("match");
    assertThat(m.get("stages").get("decode").asText()).isEqualTo("off");
    assertThat(m.get("git_commit").asText()).isNotBlank();
  }

  @Test
  void detectsLanguagesWithTheModelsInsideTheJar() throws Exception {
    // Lingua reads its models as class-path resources and needs Kotlin: both must survive shading.
    Path lists = Files.createDirectories(tmp.resolve("lists"));
    Files.writeString(lists.resolve("en.json"), "[\"dog\", \"garden\"]");
    Files.writeString(lists.resolve("de.json"), "[\"Hund\", \"Garten\"]");
    Path in = Files.createDirectories(tmp.resolve("in"));
    Files.writeString(
        in.resolve("pairs.csv"),
        "url,caption\n"
            + "http://x/1.jpg,a brown dog sleeping in the garden\n"
            + "http://x/2.jpg,ein kleiner Hund schläft im Garten\n"
            + "http://x/3.jpg,un petit chien dort dans le jardin\n",
        java.nio.charset.StandardCharsets.UTF_8);
    Path out = tmp.resolve("lid");
    ProcessRun run =
        ProcessRun.siftJar(
            REPO,
            List.of(),
            List.of(
                "match",
                "--input",
                in.toString(),
                "--output",
                out.toString(),
                "--set",
                "sift.input.format=csv",
                "--set",
                "sift.match.metadata=" + lists,
                "--set",
                "sift.match.detect.languages=en,de,fr",
                "--set",
                "spark.ui.enabled=false"));
    assertThat(run.exitCode()).as(run.output()).isZero();
    JsonNode m = SiftRun.manifest(out);
    // English and German match their lists; French has none.
    assertThat(m.get("counts").get("accepted").asLong()).isEqualTo(2);
    assertThat(m.get("counts").get("rejected_by_reason").get("no_concept").asLong()).isEqualTo(1);
    assertThat(m.get("concepts").get("language_detection").get("mode").asText()).isEqualTo("auto");
  }
}
