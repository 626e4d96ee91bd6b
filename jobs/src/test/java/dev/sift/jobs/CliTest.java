package dev.sift.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The command line without Spark: help, planned commands, start-up errors. */
class CliTest {
  @Test
  void helpListsEveryCommandOfTheDesign() {
    SiftRun run = SiftRun.of("--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out())
        .contains("curate", "match", "balance", "score", "recaption", "report", "build-metadata");
  }

  /**
   * The README's command table and {@code sift --help} name the same commands: a command added,
   * removed or renamed on one side only fails here.
   */
  @Test
  void readmeCommandTableIsWhatHelpLists() throws Exception {
    String readme = java.nio.file.Files.readString(dev.sift.udfs.SparkTestBase.repo("README.md"));
    int start = readme.indexOf("## Command line");
    String section = readme.substring(start, readme.indexOf("\n## ", start + 1));
    java.util.Set<String> documented = new java.util.TreeSet<>();
    java.util.regex.Matcher row =
        java.util.regex.Pattern.compile("(?m)^\\| `([a-z-]+)` \\|").matcher(section);
    while (row.find()) {
      documented.add(row.group(1));
    }
    SiftRun help = SiftRun.of("--help");
    java.util.Set<String> listed = new java.util.TreeSet<>();
    java.util.regex.Matcher line =
        java.util.regex.Pattern.compile("(?m)^  ([a-z-]+)  ").matcher(help.out());
    while (line.find()) {
      listed.add(line.group(1));
    }
    assertThat(listed).as(help.out()).isNotEmpty();
    assertThat(documented).as("README's command table against sift --help").isEqualTo(listed);
  }

  @Test
  void commandHelpListsTheOptions() {
    SiftRun run = SiftRun.of("curate", "--help");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).contains("--config", "--input", "--output", "--set");
  }

  @Test
  void buildMetadataReproducesTheWordNetListAndAddsUserLists(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
    java.nio.file.Path unigrams = tmp.resolve("unigrams.tsv");
    java.nio.file.Files.writeString(unigrams, "Sift\t500\nrare\t3\ndog\t900\n");
    java.nio.file.Path out = tmp.resolve("meta");
    SiftRun run =
        SiftRun.of(
            "build-metadata",
            "--output",
            out.toString(),
            "--set",
            "sift.metadata.unigrams=" + unigrams);
    assertThat(run.exitCode()).as(run.toString()).isZero();
    java.util.List<String> built =
        java.util.Arrays.asList(
            new com.fasterxml.jackson.databind.ObjectMapper()
                .readValue(out.resolve("metadata.json").toFile(), String[].class));
    java.util.List<String> proxy =
        java.util.Arrays.asList(
            new com.fasterxml.jackson.databind.ObjectMapper()
                .readValue(
                    java.nio.file.Path.of(System.getProperty("sift.repo.dir", ".."))
                        .resolve("data/metaclip/metadata_proxy_wordnet30.json")
                        .toFile(),
                    String[].class));
    // WordNet + numbers exactly, then "Sift" (count >= 100); "rare" is under the threshold and
    // "dog" is already a WordNet entry.
    // Compared through hash sets: AssertJ's containsAll scans the list per element, which over
    // 86,654 entries took 30 s (2.5 min with C1).
    java.util.Set<String> builtSet = new java.util.HashSet<>(built);
    java.util.Set<String> missing = new java.util.HashSet<>(proxy);
    missing.removeAll(builtSet);
    assertThat(missing).as("WordNet list entries not built").isEmpty();
    assertThat(builtSet).as("distinct entries").hasSize(built.size());
    assertThat(built).hasSize(proxy.size() + 1).endsWith("Sift");
    assertThat(out.resolve("SOURCES.md")).exists();
    assertThat(run.out()).contains("86,655 entries");
    SiftRun again = SiftRun.of("build-metadata", "--output", out.toString());
    assertThat(again.exitCode()).isEqualTo(2);
    assertThat(again.err()).contains("already exists");
  }

  @Test
  void noCommandPrintsUsageAndExits2() {
    SiftRun run = SiftRun.of();
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("Usage: sift");
  }

  @Test
  void unknownOptionExits2() {
    assertThat(SiftRun.of("curate", "--frobnicate").exitCode()).isEqualTo(2);
  }

  @Test
  void badConfigExits2BeforeSparkStarts() {
    SiftRun run = SiftRun.of("curate", "--set", "sift.decode.max-aspect=0", "--output", "x");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("sift.decode.max-aspect", "0", "allowed");
  }

  @Test
  void versionNamesTheBuild() {
    SiftRun run = SiftRun.of("--version");
    assertThat(run.exitCode()).isZero();
    assertThat(run.out()).startsWith("sift ");
  }
}
