package dev.sift.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sift.udfs.SparkTestBase;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole run against S3 through {@code s3a://}, as on a cluster without a shared disk: input,
 * concept list, CLIP model and every output on an S3-compatible server. The server is S3Proxy
 * (filesystem backend) started on loopback as a separate process; the client is Hadoop's S3A
 * ({@code hadoop-aws}, which users add to spark-submit), configured as users configure it.
 */
@Tag("integration")
class S3IT extends SparkTestBase {
  private static final String BUCKET = "sift-it";
  private static final Path MODEL = repo("curation/src/test/resources/fixtures/tiny-clip");
  private static final Path IMAGES = repo("curation/src/test/resources/fixtures/images");

  @TempDir static Path tmp;
  static Process server;
  static Path serverLog;
  static java.util.Map<String, String> s3a;

  @BeforeAll
  static void startServer() throws Exception {
    String jar = System.getProperty("sift.s3proxy.jar");
    assertThat(jar).as("sift.s3proxy.jar (set by the failsafe plugin)").isNotNull();
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path props = tmp.resolve("s3proxy.properties");
    Files.writeString(
        props,
        String.join(
            "\n",
            "s3proxy.endpoint=http://127.0.0.1:" + port,
            "s3proxy.authorization=aws-v2-or-v4",
            "s3proxy.identity=sift-key",
            "s3proxy.credential=sift-secret",
            // In memory: the filesystem backend answers each DELETE in ~5 s, and Hadoop's
            // committer deletes _temporary/ after every write.
            "jclouds.provider=transient",
            ""));
    serverLog = tmp.resolve("s3proxy.log");
    server =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                jar,
                "--properties",
                props.toString())
            .redirectErrorStream(true)
            .redirectOutput(serverLog.toFile())
            .start();
    long deadline = System.nanoTime() + 60_000_000_000L;
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 500);
        break;
      } catch (IOException notYet) {
        if (!server.isAlive() || System.nanoTime() > deadline) {
          throw new IllegalStateException(
              "S3Proxy did not start: " + Files.readString(serverLog), notYet);
        }
        Thread.sleep(200);
      }
    }
    try (software.amazon.awssdk.services.s3.S3Client client =
        software.amazon.awssdk.services.s3.S3Client.builder()
            .endpointOverride(java.net.URI.create("http://127.0.0.1:" + port))
            .region(software.amazon.awssdk.regions.Region.US_EAST_1)
            .forcePathStyle(true)
            .credentialsProvider(
                software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                    software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(
                        "sift-key", "sift-secret")))
            .build()) {
      client.createBucket(b -> b.bucket(BUCKET));
    }
    s3a =
        java.util.Map.of(
            "fs.s3a.endpoint", "http://127.0.0.1:" + port,
            "fs.s3a.endpoint.region", "us-east-1",
            "fs.s3a.path.style.access", "true",
            "fs.s3a.connection.ssl.enabled", "false",
            "fs.s3a.access.key", "sift-key",
            "fs.s3a.secret.key", "sift-secret",
            "fs.s3a.aws.credentials.provider",
                "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
            "fs.s3a.attempts.maximum", "2",
            "fs.s3a.retry.limit", "2");
    Configuration c = spark.sparkContext().hadoopConfiguration();
    s3a.forEach(c::set);
  }

  @AfterAll
  static void stopServer() {
    if (server != null) {
      server.destroy();
    }
  }

  private static String s3(String key) {
    return "s3a://" + BUCKET + "/" + key;
  }

  private static FileSystem fs() throws IOException {
    return new org.apache.hadoop.fs.Path(s3(""))
        .getFileSystem(spark.sparkContext().hadoopConfiguration());
  }

  /**
   * One file through S3A's output stream, the way Spark writes. (S3A's copyFromLocalFile goes
   * through the SDK's transfer manager, whose checksummed upload S3Proxy 2.6 rejects.)
   */
  private static void upload(FileSystem fs, Path local, String key) throws IOException {
    try (var out = fs.create(new org.apache.hadoop.fs.Path(s3(key)), true)) {
      Files.copy(local, out);
    }
  }

  /**
   * Runs the shaded jar as a user's spark-submit does: Spark's jars plus hadoop-aws and the AWS SDK
   * (what {@code --packages org.apache.hadoop:hadoop-aws} adds), S3A set with {@code --set
   * spark.hadoop.fs.s3a.*}.
   */
  private static ProcessRun sift(String... args) throws Exception {
    List<String> packages = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
      String name = Path.of(entry).getFileName().toString();
      if (name.startsWith("hadoop-aws-")
          || name.startsWith("bundle-")
          || name.startsWith("analyticsaccelerator-")
          || name.startsWith("wildfly-openssl-")) {
        packages.add(entry);
      }
    }
    assertThat(packages).anyMatch(e -> e.contains("hadoop-aws-"));
    List<String> all = new ArrayList<>(List.of(args));
    s3a.forEach(
        (k, v) -> {
          all.add("--set");
          all.add("spark.hadoop." + k + "=" + v);
        });
    all.add("--set");
    all.add("spark.ui.enabled=false");
    return ProcessRun.siftJar(
        Path.of(System.getProperty("sift.repo.dir", "..")).toAbsolutePath(), packages, all);
  }

  @Test
  void curateReadsAndWritesS3AndScoresWithAModelFromIt() throws Exception {
    // Upload through S3A: the rows, the concept list and the model directory.
    List<Row> rows = new ArrayList<>();
    for (String name : List.of("photo_640x480.jpg", "gray_512x512.jpg", "webp_320x240.webp")) {
      rows.add(
          RowFactory.create(
              name, "a photo of a " + name, Files.readAllBytes(IMAGES.resolve(name))));
    }
    rows.add(
        RowFactory.create(
            "nothing", "no concept here", Files.readAllBytes(IMAGES.resolve("tiny_1x1.png"))));
    StructType schema =
        new StructType()
            .add("id", DataTypes.StringType)
            .add("caption", DataTypes.StringType)
            .add("image", DataTypes.BinaryType);
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(s3("in"));
    Path list = tmp.resolve("concepts.json");
    Files.writeString(list, "[\"photo\", \"dog\"]");
    FileSystem fs = fs();
    upload(fs, list, "lists/concepts.json");
    try (java.util.stream.Stream<Path> files = Files.list(MODEL)) {
      for (Path f : files.toList()) {
        upload(fs, f, "models/tiny-clip/" + f.getFileName());
      }
    }

    ProcessRun r =
        sift(
            "curate",
            "--input",
            s3("in"),
            "--output",
            s3("out"),
            "--set",
            "sift.match.enabled=true",
            "--set",
            "sift.match.metadata=" + s3("lists/concepts.json"),
            "--set",
            "sift.score.enabled=true",
            "--set",
            "sift.score.model=" + s3("models/tiny-clip"),
            "--set",
            "sift.device=cpu");
    assertThat(r.exitCode()).as(r.output()).isZero();
    // The model was shipped by Spark and opened from the driver's fetched copy.
    assertThat(r.output()).contains("CLIP model " + s3("models/tiny-clip") + ": ClipModel[");
    // Spark 4 keeps a session's files in a directory of the session's uuid.
    assertThat(r.output()).containsPattern("userFiles-[^/]+/([0-9a-f-]{36}/)?tiny-clip");

    // Every output is on the server: read it back through S3A.
    List<Row> accepted = spark.read().parquet(s3("out/accepted")).collectAsList();
    List<Row> rejected = spark.read().parquet(s3("out/rejected")).collectAsList();
    assertThat(accepted.size() + rejected.size()).isEqualTo(4);
    assertThat(rejected).extracting(x -> (String) x.getAs("id")).contains("nothing");
    JsonNode manifest;
    try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(s3("out/_MANIFEST.json")))) {
      manifest = new ObjectMapper().readTree(in);
    }
    assertThat(manifest.path("counts").path("input").asLong()).isEqualTo(4);
    assertThat(fs.exists(new org.apache.hadoop.fs.Path(s3("out/report/report.html")))).isTrue();
    assertThat(fs.exists(new org.apache.hadoop.fs.Path(s3("out/concept_counts")))).isTrue();

    // The scores are the model's, computed here from the local copy of the same files.
    ModelScores.assertScoresAreTheModels(MODEL, accepted);
  }

  /**
   * WebDataset shards on S3 (Python tarfile's PAX names and GNU tar's long names, see
   * curation/src/test/resources/webdataset/README.md), read as streams through S3A.
   */
  @Test
  void curateReadsWebDatasetShardsFromS3() throws Exception {
    Path shards = repo("curation/src/test/resources/webdataset");
    FileSystem fs = fs();
    upload(fs, shards.resolve("good/00000.tar"), "shards/00000.tar");
    upload(fs, shards.resolve("gnu/00000.tar"), "shards/00001.tar");
    ProcessRun r =
        sift(
            "curate",
            "--input",
            s3("shards"),
            "--output",
            s3("wds-out"),
            "--set",
            "sift.input.format=webdataset",
            "--set",
            "sift.report.enabled=false");
    assertThat(r.exitCode()).as(r.output()).isZero();
    JsonNode manifest;
    try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(s3("wds-out/_MANIFEST.json")))) {
      manifest = new ObjectMapper().readTree(in);
    }
    // good/ holds 4 samples and gnu/ 1, all accepted (the README beside them).
    assertThat(manifest.path("counts").path("input").asLong()).isEqualTo(5);
    assertThat(manifest.path("counts").path("accepted").asLong()).isEqualTo(5);
    List<Row> accepted = spark.read().parquet(s3("wds-out/accepted")).collectAsList();
    assertThat(accepted).hasSize(5);
    assertThat(accepted).allMatch(x -> x.getAs("image") != null && x.getAs("caption") != null);
  }

  @Test
  void aMissingS3ModelIsAStartUpErrorNamingIt() throws Exception {
    ProcessRun r =
        sift(
            "score",
            "--input",
            repo("data/sample/sample.parquet").toString(),
            "--output",
            tmp.resolve("never").toString(),
            "--set",
            "sift.score.model=" + s3("models/absent"));
    assertThat(r.exitCode()).as(r.output()).isEqualTo(2);
    assertThat(r.output()).contains("sift.score.model", s3("models/absent"), "does not exist");
  }

  /**
   * Append mode on S3: two runs as shards arrive commit two batches (the ledger holds S3's etags),
   * a third finds nothing new; the lock is gone after each run.
   */
  @Test
  void appendModeOnS3CommitsOneBatchPerArrivalAndThenNothing() throws Exception {
    Path shards = repo("curation/src/test/resources/webdataset");
    FileSystem fs = fs();
    String[] args = {
      "curate",
      "--input",
      s3("arriving"),
      "--output",
      s3("nightly"),
      "--set",
      "sift.input.format=webdataset",
      "--set",
      "sift.output.mode=append",
      "--set",
      "sift.report.enabled=false"
    };
    upload(fs, shards.resolve("good/00000.tar"), "arriving/00000.tar");
    ProcessRun first = sift(args);
    assertThat(first.exitCode()).as(first.output()).isZero();
    assertThat(first.output()).contains("committed batch 000001-");
    upload(fs, shards.resolve("gnu/00000.tar"), "arriving/00001.tar");
    ProcessRun second = sift(args);
    assertThat(second.exitCode()).as(second.output()).isZero();
    assertThat(second.output()).contains("committed batch 000002-");
    ProcessRun third = sift(args);
    assertThat(third.exitCode()).as(third.output()).isZero();
    assertThat(third.output()).contains("nothing new");

    JsonNode record;
    try (InputStream in =
        fs.open(new org.apache.hadoop.fs.Path(s3("nightly/_commits/000002.json")))) {
      record = new ObjectMapper().readTree(in);
    }
    assertThat(record.get("files")).hasSize(1);
    assertThat(record.get("files").get(0).get("path").asText()).endsWith("arriving/00001.tar");
    assertThat(record.get("files").get(0).get("etag").asText()).isNotBlank();
    assertThat(record.get("counts").get("input").asLong()).isEqualTo(1);
    assertThat(fs.exists(new org.apache.hadoop.fs.Path(s3("nightly/_LOCK")))).isFalse();
    String committed;
    try (InputStream in = fs.open(new org.apache.hadoop.fs.Path(s3("nightly/_COMMITTED")))) {
      committed = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    assertThat(committed.lines()).hasSize(2);
    long rows = 0;
    for (String dir : committed.lines().toList()) {
      rows += spark.read().parquet(dir + "/accepted").count();
    }
    assertThat(rows).isEqualTo(5);
  }

  /**
   * The lock on S3, which has no exclusive create: of runs taking it together exactly one gets it
   * (write, settle, read back); a held lock is refused; another host's lock is refused until {@code
   * sift unlock} breaks it.
   */
  @Test
  void theOutputLockOnS3() throws Exception {
    FileSystem fs = fs();
    org.apache.hadoop.fs.Path root = new org.apache.hadoop.fs.Path(s3("locked"));
    java.time.Duration settle = java.time.Duration.ofSeconds(2);
    int runs = 4;
    java.util.concurrent.ExecutorService pool =
        java.util.concurrent.Executors.newFixedThreadPool(runs);
    java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
    List<java.util.concurrent.Future<dev.sift.jobs.append.OutputLock>> tries = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      String id = "run-" + i;
      tries.add(
          pool.submit(
              () -> {
                go.await();
                try {
                  return dev.sift.jobs.append.OutputLock.acquire(fs, root, id, "curate", settle);
                } catch (SiftUserException e) {
                  return null;
                }
              }));
    }
    go.countDown();
    List<dev.sift.jobs.append.OutputLock> won = new ArrayList<>();
    for (var f : tries) {
      var l = f.get(2, java.util.concurrent.TimeUnit.MINUTES);
      if (l != null) {
        won.add(l);
      }
    }
    pool.shutdown();
    assertThat(won).hasSize(1);
    org.junit.jupiter.api.Assertions.assertThrows(
        SiftUserException.class,
        () -> dev.sift.jobs.append.OutputLock.acquire(fs, root, "late", "curate", settle));
    won.get(0).close();
    assertThat(fs.exists(new org.apache.hadoop.fs.Path(root, "_LOCK"))).isFalse();

    try (var out = fs.create(new org.apache.hadoop.fs.Path(root, "_LOCK"), true)) {
      out.write(
          ("{\"run_id\":\"r0\",\"host\":\"gpu-node-3\",\"pid\":77,"
                  + "\"started_at\":\"2026-12-01T02:00:00Z\",\"command\":\"curate\"}")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    SiftUserException refused =
        org.junit.jupiter.api.Assertions.assertThrows(
            SiftUserException.class,
            () -> dev.sift.jobs.append.OutputLock.acquire(fs, root, "r1", "curate", settle));
    assertThat(refused.getMessage()).contains("gpu-node-3").contains("sift unlock --output");
    ProcessRun u = sift("unlock", "--output", root.toString());
    assertThat(u.exitCode()).as(u.output()).isZero();
    assertThat(u.output()).contains("removed the lock").contains("gpu-node-3");
    dev.sift.jobs.append.OutputLock.acquire(fs, root, "r2", "curate", settle).close();
  }
}
