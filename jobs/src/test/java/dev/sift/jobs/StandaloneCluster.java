package dev.sift.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Spark standalone cluster on 127.0.0.1 for integration tests: one Master and {@code n}
 * Workers, each its own JVM started from the Maven classpath (no Spark download), and {@code
 * spark-submit} ({@code org.apache.spark.deploy.SparkSubmit}) of the shaded jar as a process, as
 * users submit it.
 *
 * <p>Workers launch executors from a Spark home: here a directory with an empty {@code jars/} and a
 * {@code conf/} holding Sift's {@code log4j2.properties} (on every executor's classpath, so Sift's
 * own lines reach each executor's {@code stderr}), {@code SPARK_SCALA_VERSION=2.13} in their
 * environment, and the executors' classpath given by {@code spark.executor.extraClassPath}.
 * Everything lives under {@code dir} (keep it under {@code target/}: logs of the master, workers,
 * executors and submissions stay there for a failed test to be read); {@link #close} stops the
 * processes by their ids and deletes the copies of the application jar.
 *
 * <p>Not thread-safe: one test class drives one cluster.
 */
final class StandaloneCluster implements AutoCloseable {
  private static final Path JAVA = Path.of(System.getProperty("java.home"), "bin", "java");

  private final Path dir;
  private final Path sparkHome;
  private final String classpath;
  private final int webUiPort;
  private final String masterUrl;
  private final Process master;
  private final List<Process> workers = new ArrayList<>();
  private final List<Path> workDirs = new ArrayList<>();

  /**
   * Starts a master and {@code workerCount} workers of {@code coresPerWorker} cores under {@code
   * dir}, and waits until every worker is ALIVE.
   *
   * @param workerProperties Spark settings of every worker (e.g. its GPUs), or empty
   * @param masterProperties Spark settings of the master (e.g. {@code spark.deploy.spreadOut})
   */
  StandaloneCluster(
      Path dir,
      int workerCount,
      int coresPerWorker,
      Map<String, String> workerProperties,
      Map<String, String> masterProperties)
      throws IOException, InterruptedException {
    this.dir = Files.createDirectories(dir);
    this.sparkHome = Files.createDirectories(dir.resolve("spark-home"));
    Files.createDirectories(sparkHome.resolve("jars"));
    Files.createDirectories(sparkHome.resolve("conf"));
    Files.copy(
        SparkRepo.path("conf/log4j2.properties"),
        sparkHome.resolve("conf/log4j2.properties"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    Files.createDirectories(dir.resolve("tmp"));
    this.classpath = Files.readString(Path.of(System.getProperty("sift.spark.classpath"))).trim();
    int port = freePort();
    this.webUiPort = freePort();
    this.masterUrl = "spark://127.0.0.1:" + port;
    List<String> masterCmd = jvm("512m", masterProperties);
    masterCmd.addAll(
        List.of(
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            String.valueOf(port),
            "--webui-port",
            String.valueOf(webUiPort)));
    this.master = start(masterCmd, dir.resolve("master.log"), dir);
    Path workerProps = dir.resolve("worker.properties");
    Files.writeString(workerProps, properties(workerProperties));
    for (int i = 1; i <= workerCount; i++) {
      Path work = Files.createDirectories(dir.resolve("worker" + i + "/work"));
      workDirs.add(work);
      List<String> cmd = jvm("512m", Map.of());
      cmd.addAll(
          List.of(
              "org.apache.spark.deploy.worker.Worker",
              "--host",
              "127.0.0.1",
              "--port",
              "0",
              "--webui-port",
              "0",
              "--cores",
              String.valueOf(coresPerWorker),
              "--memory",
              "3g",
              "--work-dir",
              work.toString(),
              "--properties-file",
              workerProps.toString(),
              masterUrl));
      workers.add(start(cmd, dir.resolve("worker" + i + ".log"), dir));
    }
    awaitAliveWorkers(workerCount, Duration.ofSeconds(90));
  }

  /** {@code spark://127.0.0.1:port}. */
  String masterUrl() {
    return masterUrl;
  }

  /** This cluster's directory: logs, work directories, the Spark home. */
  Path dir() {
    return dir;
  }

  /**
   * Starts {@code spark-submit} of the shaded jar in {@code workDir}, as a user runs it: client
   * deploy mode, the driver and executors on loopback, executors of 768 MB.
   *
   * @param submitOptions more spark-submit options ({@code --conf k=v}, {@code --properties-file})
   * @param siftArgs the {@code sift} command line ({@code curate --config …})
   */
  Submission submit(Path workDir, String name, List<String> submitOptions, List<String> siftArgs)
      throws IOException {
    List<String> cmd = jvm("1g", Map.of());
    cmd.add("-Dlog4j2.configurationFile=" + SparkRepo.path("conf/log4j2.properties"));
    cmd.addAll(
        List.of(
            "org.apache.spark.deploy.SparkSubmit",
            "--master",
            masterUrl,
            "--deploy-mode",
            "client",
            "--conf",
            "spark.driver.host=127.0.0.1",
            "--conf",
            "spark.driver.bindAddress=127.0.0.1",
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            "spark.executor.memory=768m",
            "--conf",
            "spark.executor.extraClassPath=" + classpath,
            "--conf",
            "spark.executor.extraJavaOptions=-Djava.io.tmpdir=" + dir.resolve("tmp")));
    cmd.addAll(submitOptions);
    cmd.addAll(List.of("--class", "dev.sift.jobs.Sift", System.getProperty("sift.jobs.jar")));
    cmd.addAll(siftArgs);
    Path log = dir.resolve("submit-" + name + ".log");
    return new Submission(start(cmd, log, workDir), log);
  }

  /** A running {@code spark-submit}: its process and its combined output, kept in a file. */
  record Submission(Process process, Path log) {
    /** Waits for the end and returns the exit code and output, or fails after {@code timeout}. */
    ProcessRun await(Duration timeout) throws IOException, InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new AssertionError("spark-submit timed out after " + timeout + "\n" + output());
      }
      return new ProcessRun(process.exitValue(), output());
    }

    String output() throws IOException {
      return Files.readString(log, StandardCharsets.UTF_8);
    }
  }

  /** A live executor: its process, its id and its work directory (stdout, stderr, the jar). */
  record Executor(ProcessHandle process, String appId, String id, Path workDir) {
    String stderr() throws IOException {
      Path f = workDir.resolve("stderr");
      return Files.exists(f) ? Files.readString(f, StandardCharsets.UTF_8) : "";
    }
  }

  /**
   * The executors running now: the workers' child processes ({@code CoarseGrainedExecutorBackend},
   * started without a shell), with the ids from their command lines.
   */
  List<Executor> executors() {
    List<Executor> out = new ArrayList<>();
    for (int i = 0; i < workers.size(); i++) {
      Path work = workDirs.get(i);
      workers
          .get(i)
          .children()
          .filter(ProcessHandle::isAlive)
          .forEach(
              p -> {
                List<String> args = commandLine(p);
                int app = args.indexOf("--app-id");
                int id = args.indexOf("--executor-id");
                if (app >= 0 && id >= 0) {
                  String appId = args.get(app + 1);
                  String execId = args.get(id + 1);
                  out.add(new Executor(p, appId, execId, work.resolve(appId).resolve(execId)));
                }
              });
    }
    return out;
  }

  /**
   * A process's arguments from {@code /proc}: {@code ProcessHandle.Info} gives none for command
   * lines as long as an executor's (its classpath alone is tens of kilobytes).
   */
  private static List<String> commandLine(ProcessHandle p) {
    try {
      byte[] raw = Files.readAllBytes(Path.of("/proc", String.valueOf(p.pid()), "cmdline"));
      return List.of(new String(raw, StandardCharsets.UTF_8).split("\0"));
    } catch (IOException gone) {
      return List.of();
    }
  }

  /** Waits until some executor's stderr contains {@code text}; returns that executor. */
  Optional<Executor> awaitExecutorLine(String text, Submission running, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline && running.process().isAlive()) {
      for (Executor e : executors()) {
        if (e.stderr().contains(text)) {
          return Optional.of(e);
        }
      }
      Thread.sleep(100);
    }
    return Optional.empty();
  }

  /** Every executor stderr this cluster has kept, for a failed assertion's message. */
  String executorLogs() throws IOException {
    StringBuilder b = new StringBuilder();
    for (Path work : workDirs) {
      try (Stream<Path> files = Files.walk(work)) {
        for (Path f : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
          b.append("--- ").append(dir.relativize(f)).append(" ---\n").append(Files.readString(f));
        }
      }
    }
    return b.toString();
  }

  @Override
  public void close() throws IOException, InterruptedException {
    List<Process> all = new ArrayList<>(workers);
    all.add(master);
    for (Process p : all) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroy();
    }
    for (Process p : all) {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    // Each executor holds its own copy of the 200 MB application jar; the logs stay.
    for (Path work : workDirs) {
      try (Stream<Path> files = Files.walk(work)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".jar")).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  private void awaitAliveWorkers(int n, Duration timeout) throws IOException, InterruptedException {
    HttpClient http = HttpClient.newHttpClient();
    URI json = URI.create("http://127.0.0.1:" + webUiPort + "/json/");
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      if (!master.isAlive()) {
        break;
      }
      try {
        last =
            http.send(HttpRequest.newBuilder(json).build(), HttpResponse.BodyHandlers.ofString())
                .body();
        JsonNode state = new ObjectMapper().readTree(last);
        if (state.path("aliveworkers").asInt() >= n) {
          return;
        }
      } catch (IOException notYet) {
        // The master's web UI is not up yet.
      }
      Thread.sleep(250);
    }
    close();
    throw new AssertionError(
        "standalone cluster: "
            + n
            + " workers not ALIVE after "
            + timeout
            + "; master says "
            + last
            + "\n--- master.log ---\n"
            + Files.readString(dir.resolve("master.log")));
  }

  /** java, Spark's module options, the heap, system properties and the Spark classpath. */
  private List<String> jvm(String heap, Map<String, String> systemProperties) {
    List<String> cmd = new ArrayList<>();
    cmd.add(JAVA.toString());
    cmd.add("-Xmx" + heap);
    for (String opt : System.getProperty("sift.child.jvm", "").split(" ")) {
      if (!opt.isBlank()) {
        cmd.add(opt);
      }
    }
    systemProperties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
    cmd.add("-cp");
    cmd.add(classpath);
    return cmd;
  }

  private Process start(List<String> cmd, Path log, Path workDir) throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(workDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("SPARK_SCALA_VERSION", "2.13");
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    env.put("SPARK_LOCAL_HOSTNAME", "127.0.0.1");
    env.remove("SPARK_CONF_DIR");
    return pb.start();
  }

  private static String properties(Map<String, String> props) {
    StringBuilder b = new StringBuilder();
    new LinkedHashMap<>(props).forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
    return b.toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Files of the repository (the tests run in {@code jobs/}). */
  static final class SparkRepo {
    private SparkRepo() {}

    static Path path(String relative) {
      return Path.of(System.getProperty("sift.repo.dir", "..")).toAbsolutePath().resolve(relative);
    }
  }
}
