package dev.sift.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.udfs.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Sift on a real Spark standalone cluster (a master and two workers on loopback, {@link
 * StandaloneCluster}), submitted as users submit it. The sample configuration runs unchanged: its
 * relative model path is resolved on the driver and the model directory reaches the executors as an
 * archive; the workers offer two fake GPUs each, the job asks one per executor, and every task ends
 * on the CPU (the CPU build) with the GPU Spark assigned it in the manifest. An executor killed
 * while it scores changes nothing in the outputs. A GPU device without Spark's GPU scheduling stops
 * at start-up.
 */
@Tag("integration")
class ClusterIT extends SparkTestBase {
  private static final Path REPO = repo("").toAbsolutePath().normalize();
  private static final Duration RUN_TIMEOUT = Duration.ofMinutes(4);

  static Path dir;
  static StandaloneCluster cluster;
  static Path fakeGpus;
  static Path embedded;
  static String input;

  @BeforeAll
  static void startCluster() throws Exception {
    dir =
        Files.createDirectories(
            Path.of("target", "cluster-it", String.valueOf(System.currentTimeMillis()))
                .toAbsolutePath());
    fakeGpus = dir.resolve("fake-gpus.sh");
    Files.writeString(
        fakeGpus, "#!/usr/bin/env bash\necho '{\"name\":\"gpu\",\"addresses\":[\"0\",\"1\"]}'\n");
    fakeGpus.toFile().setExecutable(true);
    // Both executors on the first worker (spreadOut off), so between them they hold GPUs 0 and 1.
    cluster =
        new StandaloneCluster(
            dir,
            2,
            2,
            Map.of(
                "spark.worker.resource.gpu.amount",
                "2",
                "spark.worker.resource.gpu.discoveryScript",
                fakeGpus.toString()),
            Map.of("spark.deploy.spreadOut", "false"));
    // The sample in four files, so that the score stage has a task for each executor (one
    // Parquet file of one row group is one task). Both the cluster and the embedded run read it.
    input = dir.resolve("input").toString();
    spark
        .read()
        .parquet(repo("data/sample/sample.parquet").toString())
        .repartition(4)
        .write()
        .parquet(input);
    embedded = dir.resolve("embedded");
    ProcessRun ref = ProcessRun.siftJar(REPO, List.of(), sample(embedded));
    assertThat(ref.exitCode()).as(ref.output()).isZero();
  }

  @AfterAll
  static void stopCluster() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** {@code curate} of the sample's configuration, unchanged, on the four-file input. */
  private static List<String> sample(Path out, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "curate",
                "--config",
                "conf/sample.conf",
                "--input",
                input,
                "--output",
                out.toString()));
    args.addAll(List.of(more));
    return args;
  }

  /** spark-submit options for the sample on this cluster: the GPU defaults file, two executors. */
  private static List<String> gpuOptions() {
    return List.of(
        "--properties-file",
        REPO.resolve("conf/spark-defaults-gpu.conf").toString(),
        // Paths and sizes only: the fake discovery script, two one-core executors.
        "--conf",
        "spark.executor.resource.gpu.discoveryScript=" + fakeGpus,
        "--conf",
        "spark.executor.cores=1",
        "--conf",
        "spark.cores.max=2");
  }

  @Test
  void theSampleRunsUnchangedAndEqualsTheEmbeddedRunWithEachExecutorsGpuRecorded()
      throws Exception {
    Path out = dir.resolve("gpu");
    ProcessRun run =
        cluster
            .submit(REPO, "gpu", gpuOptions(), sample(out, "--set", "sift.device=auto"))
            .await(RUN_TIMEOUT);
    assertThat(run.exitCode()).as(run.output() + cluster.executorLogs()).isZero();
    assertSameOutputs(out, embedded);

    JsonNode m = SiftRun.manifest(out);
    List<String> devices = new ArrayList<>();
    m.path("metrics").path("score").path("devices").forEach(d -> devices.add(d.asText()));
    // Two executors, each with the GPU Spark gave it, both of which ended on the CPU.
    assertThat(devices)
        .hasSize(2)
        .allMatch(d -> d.endsWith(": CPU"), "ran on the CPU")
        .anyMatch(d -> d.contains("(Spark GPU 0)"))
        .anyMatch(d -> d.contains("(Spark GPU 1)"));
    assertThat(devices).noneMatch(d -> d.contains("executor driver"));
    String report = Files.readString(out.resolve("report/report.html"));
    assertThat(report).contains("but models ran on the CPU on 2 executors");
    // The model directory reached the executors as the driver's archive, not by a shared disk.
    assertThat(cluster.executorLogs())
        .containsPattern(
            "opened CLIP model \\S+/tiny-clip from \\S+/sift-model-[0-9a-f]+\\.zip/tiny-clip");
  }

  @Test
  void anExecutorKilledWhileScoringChangesNoOutput() throws Exception {
    Path out = dir.resolve("killed");
    StandaloneCluster.Submission running =
        cluster.submit(REPO, "killed", gpuOptions(), sample(out));
    // The first executor to open the CLIP model is in the score stage: kill it there.
    Optional<StandaloneCluster.Executor> scoring =
        cluster.awaitExecutorLine("opened CLIP model", running, RUN_TIMEOUT);
    assertThat(scoring).as(running.output() + cluster.executorLogs()).isPresent();
    scoring.get().process().destroyForcibly();
    ProcessRun run = running.await(RUN_TIMEOUT);
    assertThat(run.exitCode()).as(run.output() + cluster.executorLogs()).isZero();
    assertThat(run.output()).containsPattern("Lost executor " + scoring.get().id() + "\\b");
    assertSameOutputs(out, embedded);
  }

  @Test
  void aGpuDeviceWithoutSparkGpuSchedulingStopsAtStartUpNamingTheKey() throws Exception {
    // conf/cluster-gpu.conf as documented (device = cuda), with the sample's paths.
    ProcessRun run =
        cluster
            .submit(
                REPO,
                "no-gpu-amount",
                List.of(),
                List.of(
                    "curate",
                    "--config",
                    "conf/cluster-gpu.conf",
                    "--input",
                    "data/sample/sample.parquet",
                    "--output",
                    dir.resolve("no-gpu-amount").toString(),
                    "--set",
                    "sift.match.metadata=data/metaclip/metadata_proxy_wordnet30.json",
                    "--set",
                    "sift.score.model=curation/src/test/resources/fixtures/tiny-clip"))
            .await(RUN_TIMEOUT);
    assertThat(run.exitCode()).as(run.output()).isEqualTo(2);
    assertThat(run.output()).contains("sift.device = cuda", "spark.executor.resource.gpu.amount");
    assertThat(dir.resolve("no-gpu-amount")).doesNotExist();
  }

  /** Accepted and rejected ids, reasons, keep probabilities and CLIP scores are the same. */
  private static void assertSameOutputs(Path actual, Path expected) {
    for (String part : List.of("accepted", "rejected")) {
      List<Row> a = rows(actual.resolve(part), part);
      List<Row> e = rows(expected.resolve(part), part);
      assertThat(a).as(part + " of " + actual + " against " + expected).isEqualTo(e);
      assertThat(a).as(part).isNotEmpty();
    }
  }

  private static List<Row> rows(Path path, String part) {
    Dataset<Row> d = spark.read().parquet(path.toString());
    List<String> cols = new ArrayList<>(List.of("id", "keep_probability", "clip_score"));
    if (part.equals("rejected")) {
      cols.add("reject_reason");
    }
    return d.select(cols.stream().map(functions::col).toArray(org.apache.spark.sql.Column[]::new))
        .orderBy("id")
        .collectAsList();
  }
}
