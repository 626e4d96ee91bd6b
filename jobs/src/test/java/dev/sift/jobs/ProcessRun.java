package dev.sift.jobs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** A finished child process: exit code and its combined output (kept in a file, not a pipe). */
record ProcessRun(int exitCode, String output) {
  static ProcessRun of(Path workDir, Map<String, String> env, List<String> command)
      throws IOException, InterruptedException {
    Path log = Files.createTempFile("sift-process", ".log");
    ProcessBuilder pb =
        new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("timed out after 5 minutes: " + command + "\n" + read(log));
    }
    return new ProcessRun(p.exitValue(), read(log));
  }

  /**
   * Runs the shaded jar as spark-submit would, with Spark's jars and {@code extraClasspath} (such
   * as the packages a user adds) on the class path, in {@code repo}.
   */
  static ProcessRun siftJar(Path repo, List<String> extraClasspath, List<String> siftArgs)
      throws IOException, InterruptedException {
    List<String> cmd = new java.util.ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String opt : System.getProperty("sift.jvm.opens", "").split(" ")) {
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
    return of(repo, Map.of("SPARK_LOCAL_IP", "127.0.0.1"), cmd);
  }

  private static String read(Path log) throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }
}
