package dev.sift.jobs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A finished child process: exit code and its combined output (kept in a file, not a pipe). */
record ProcessRun(int exitCode, String output) {
  private static final Duration TIMEOUT = Duration.ofMinutes(5);

  static ProcessRun of(Path workDir, Map<String, String> env, List<String> command)
      throws IOException, InterruptedException {
    return start(workDir, env, command, Files.createTempFile("sift-process", ".log"))
        .await(TIMEOUT);
  }

  /**
   * Starts {@code command} in {@code workDir} without waiting for it; its output goes to {@code
   * log}.
   */
  static Running start(Path workDir, Map<String, String> env, List<String> command, Path log)
      throws IOException {
    ProcessBuilder pb =
        new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.environment().putAll(env);
    return new Running(pb.start(), log, command);
  }

  /**
   * Runs the shaded jar as spark-submit would, with Spark's jars and {@code extraClasspath} (such
   * as the packages a user adds) on the class path, in {@code repo}.
   */
  static ProcessRun siftJar(Path repo, List<String> extraClasspath, List<String> siftArgs)
      throws IOException, InterruptedException {
    return startSiftJar(
            repo, extraClasspath, siftArgs, Files.createTempFile("sift-process", ".log"))
        .await(TIMEOUT);
  }

  /**
   * {@link #siftJar}, started without waiting for it (for tests that kill it midway), its output
   * going to {@code log}.
   */
  static Running startSiftJar(
      Path repo, List<String> extraClasspath, List<String> siftArgs, Path log) throws IOException {
    List<String> cmd = new java.util.ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String opt : System.getProperty("sift.child.jvm", "").split(" ")) {
      if (!opt.isBlank()) {
        cmd.add(opt);
      }
    }
    cmd.add("-Dlog4j2.configurationFile=" + repo.resolve("conf/log4j2.properties"));
    cmd.add("-cp");
    List<String> cp = new java.util.ArrayList<>();
    cp.add(System.getProperty("sift.jobs.jar"));
    cp.add(Files.readString(Path.of(System.getProperty("sift.spark.classpath"))).trim());
    cp.addAll(extraClasspath);
    cmd.add(String.join(java.io.File.pathSeparator, cp));
    cmd.add("dev.sift.jobs.Sift");
    cmd.addAll(siftArgs);
    return start(repo, Map.of("SPARK_LOCAL_IP", "127.0.0.1"), cmd, log);
  }

  /**
   * A started child process and the file its combined output goes to. The caller ends it: {@link
   * #await} or {@link #kill}.
   */
  record Running(Process process, Path log, List<String> command) {
    /** Waits for the end; after {@code timeout} kills it and fails with its output. */
    ProcessRun await(Duration timeout) throws IOException, InterruptedException {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        kill();
        throw new AssertionError(
            "timed out after " + timeout.toSeconds() + " s: " + command + "\n" + output());
      }
      return new ProcessRun(process.exitValue(), output());
    }

    /** What it has printed so far. */
    String output() throws IOException {
      return Files.readString(log, StandardCharsets.UTF_8);
    }

    long pid() {
      return process.pid();
    }

    /**
     * {@code kill -9} (SIGKILL on Unix, which the JVM cannot intercept: no shutdown hook, no
     * finally block runs) of its descendants and then of it; returns once it has ended.
     */
    void kill() throws InterruptedException {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        throw new AssertionError("process " + pid() + " still alive 30 s after SIGKILL");
      }
    }
  }
}
