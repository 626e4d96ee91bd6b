package dev.sift.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

  /** Runs {@code sift args...} with {@code --set entry} appended for each of {@code sets}. */
  public static SiftRun of(List<String> args, String... sets) {
    List<String> all = new ArrayList<>(args);
    for (String s : sets) {
      all.add("--set");
      all.add(s);
    }
    return of(all.toArray(String[]::new));
  }

  /**
   * {@code sift curate} of WebDataset shards {@code input} into {@code out}, with more settings.
   */
  public static SiftRun curateWebDataset(String input, Path out, String... sets) {
    return of(
        List.of(
            "curate",
            "--input",
            input,
            "--output",
            out.toString(),
            "--set",
            "sift.input.format=webdataset"),
        sets);
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
