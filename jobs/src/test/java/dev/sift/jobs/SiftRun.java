package dev.sift.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import picocli.CommandLine;

/** One in-process run of the {@code sift} command line, as bin/sift and spark-submit run it. */
public record SiftRun(int exitCode, String out, String err) {

  /** Runs {@code sift args...} and captures what it prints. */
  public static SiftRun of(String... args) {
    CommandLine cli = Sift.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int code = cli.execute(args);
    return new SiftRun(code, out.toString(), err.toString());
  }

  /** The manifest of an output directory. */
  public static JsonNode manifest(Path output) throws IOException {
    return new ObjectMapper().readTree(output.resolve("_MANIFEST.json").toFile());
  }

  @Override
  public String toString() {
    return "exit " + exitCode + "\n--- out ---\n" + out + "--- err ---\n" + err;
  }
}
