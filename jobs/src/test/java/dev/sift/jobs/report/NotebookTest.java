package dev.sift.jobs.report;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sift.udfs.Columns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every notebook in {@code notebooks/} is valid nbformat 4 JSON, and every output column it names
 * exists in the output contract ({@link Columns}), so a renamed column breaks this test rather than
 * a researcher's notebook.
 */
class NotebookTest {
  private static final Path NOTEBOOKS =
      Path.of(System.getProperty("sift.repo.dir", "..")).resolve("notebooks");

  /** Subscripts of the notebooks' data-frame variables: {@code accepted["clip_score"]}. */
  private static final Pattern SUBSCRIPT =
      Pattern.compile(
          "\\b(accepted|rejected|scored|counts|recaptioned|part)\\[\\s*[\"']([^\"']+)[\"']\\s*\\]");

  /** The declared column lists: {@code COLUMNS = ["id", ...]}. */
  private static final Pattern DECLARED =
      Pattern.compile("\\b[A-Z_]*COLUMNS\\s*=\\s*\\[([^\\]]*)\\]", Pattern.DOTALL);

  private static final Pattern QUOTED = Pattern.compile("[\"']([^\"']+)[\"']");

  static List<Path> notebooks() throws IOException {
    try (Stream<Path> s = Files.list(NOTEBOOKS)) {
      return s.filter(p -> p.toString().endsWith(".ipynb")).sorted().toList();
    }
  }

  @Test
  void thereIsANotebookToExploreARun() throws IOException {
    assertThat(notebooks())
        .extracting(p -> p.getFileName().toString())
        .contains("explore_run.ipynb");
  }

  @Test
  void everyNotebookIsNbformat4() throws IOException {
    for (Path nb : notebooks()) {
      JsonNode root = new ObjectMapper().readTree(nb.toFile());
      String name = nb.getFileName().toString();
      assertThat(root.path("nbformat").asInt()).as(name).isEqualTo(4);
      assertThat(root.path("nbformat_minor").isInt()).as(name).isTrue();
      assertThat(root.path("metadata").isObject()).as(name).isTrue();
      assertThat(root.path("cells").isArray()).as(name).isTrue();
      assertThat(root.path("cells")).as(name).isNotEmpty();
      assertThat(root.path("cells").get(0).path("cell_type").asText())
          .as(name + ": instructions come first")
          .isEqualTo("markdown");
      for (JsonNode cell : root.path("cells")) {
        String type = cell.path("cell_type").asText();
        assertThat(type).as(name).isIn("markdown", "code", "raw");
        assertThat(cell.path("metadata").isObject()).as(name).isTrue();
        JsonNode src = cell.path("source");
        assertThat(src.isTextual() || src.isArray()).as(name + " source").isTrue();
        if (src.isArray()) {
          src.forEach(line -> assertThat(line.isTextual()).as(name).isTrue());
        }
        if (type.equals("code")) {
          assertThat(cell.path("outputs").isArray()).as(name + " outputs").isTrue();
          JsonNode n = cell.path("execution_count");
          assertThat(n.isNull() || n.isInt()).as(name + " execution_count").isTrue();
        } else {
          assertThat(cell.has("outputs")).as(name + ": only code cells have outputs").isFalse();
        }
      }
    }
  }

  @Test
  void everyColumnANotebookNamesIsInTheOutputContract() throws IOException {
    Set<String> contract = new TreeSet<>(Columns.RESERVED);
    contract.addAll(Columns.CONCEPT_COUNTS_COLUMNS);
    for (Path nb : notebooks()) {
      Set<String> named = columnsNamed(new ObjectMapper().readTree(nb.toFile()));
      assertThat(named).as(nb.getFileName() + " names columns").isNotEmpty();
      assertThat(contract)
          .as(nb.getFileName() + ": columns not in the contract")
          .containsAll(named);
    }
  }

  @Test
  void theColumnExtractionSeesSubscriptsAndDeclarations() {
    JsonNode nb =
        new ObjectMapper()
            .createObjectNode()
            .set(
                "cells",
                new ObjectMapper()
                    .createArrayNode()
                    .add(
                        new ObjectMapper()
                            .createObjectNode()
                            .put("cell_type", "code")
                            .put(
                                "source",
                                "COLUMNS = [\"id\",\n 'clip_scor']\nx = accepted['caption'] +"
                                    + " report[\"scores\"]")));
    assertThat(columnsNamed(nb)).containsExactlyInAnyOrder("id", "clip_scor", "caption");
  }

  static Set<String> columnsNamed(JsonNode notebook) {
    Set<String> out = new TreeSet<>();
    for (JsonNode cell : notebook.path("cells")) {
      if (!cell.path("cell_type").asText().equals("code")) {
        continue;
      }
      String src = source(cell.path("source"));
      Matcher m = SUBSCRIPT.matcher(src);
      while (m.find()) {
        out.add(m.group(2));
      }
      Matcher d = DECLARED.matcher(src);
      while (d.find()) {
        Matcher q = QUOTED.matcher(d.group(1));
        while (q.find()) {
          out.add(q.group(1));
        }
      }
    }
    return out;
  }

  private static String source(JsonNode src) {
    if (src.isTextual()) {
      return src.asText();
    }
    List<String> lines = new ArrayList<>();
    src.forEach(l -> lines.add(l.asText()));
    return String.join("", lines);
  }
}
