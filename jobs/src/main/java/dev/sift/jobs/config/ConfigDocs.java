package dev.sift.jobs.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Generates the configuration reference from the registry: {@code docs/configuration.md} (a table
 * per area) and {@code conf/reference.conf} (every key at its default, documented, for users to
 * copy). A test fails when either committed file differs from what this produces; {@code main}
 * rewrites both.
 */
public final class ConfigDocs {
  private ConfigDocs() {}

  /** The Markdown reference. */
  public static String markdown() {
    StringBuilder md = new StringBuilder();
    md.append("# Configuration reference\n\n")
        .append("Generated from the key registry (`SiftKeys`); do not edit by hand.\n")
        .append("Regenerate with `mvn -B -q -pl jobs -am test -Dtest=ConfigDocsTest")
        .append(" -Dsurefire.failIfNoSpecifiedTests=false -Dsift.docs.update=true`.\n\n")
        .append("Set keys in a HOCON file (`--config FILE`) or with `--set key=value`.")
        .append(" `spark.*` keys in either place are passed to Spark unchanged.\n");
    String area = null;
    for (ConfigKey<?> key : SiftKeys.all()) {
      String keyArea = area(key.name());
      if (!keyArea.equals(area)) {
        area = keyArea;
        md.append("\n## ").append(area).append("\n\n");
        md.append("| key | type | default | allowed | what it does |\n");
        md.append("|---|---|---|---|---|\n");
      }
      String def = key.renderDefault();
      md.append("| `")
          .append(key.name())
          .append("` | ")
          .append(key.type().name().toLowerCase(java.util.Locale.ROOT))
          .append(" | ")
          .append(def == null ? "(none)" : "`" + def + "`")
          .append(" | ")
          .append(key.allowed().replace("|", "\\|"))
          .append(" | ")
          .append(key.doc().replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;"))
          .append(" |\n");
    }
    return md.toString();
  }

  /** Every key at its default in HOCON, each with its documentation as a comment. */
  public static String referenceConf() {
    StringBuilder conf = new StringBuilder();
    conf.append("# Sift configuration: every key at its default.\n")
        .append("# Generated from the key registry (SiftKeys); see docs/configuration.md.\n")
        .append("# Copy the keys you want to change into your own file; unset keys take these.\n");
    String area = null;
    for (ConfigKey<?> key : SiftKeys.all()) {
      String keyArea = area(key.name());
      if (!keyArea.equals(area)) {
        area = keyArea;
        conf.append("\n# ---- ").append(area).append(" ----\n");
      }
      conf.append("\n");
      for (String line : wrap(key.doc() + " Allowed: " + key.allowed() + ".", 96)) {
        conf.append("# ").append(line).append('\n');
      }
      String def = key.renderDefault();
      conf.append(def == null ? "# " : "").append(key.name()).append(" = ");
      conf.append(def == null ? "\"...\"" : def).append('\n');
    }
    return conf.toString();
  }

  private static String area(String name) {
    String[] parts = name.split("\\.");
    return parts.length > 2 ? "sift." + parts[1] : "sift (runtime)";
  }

  private static java.util.List<String> wrap(String text, int width) {
    java.util.List<String> lines = new java.util.ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.split(" ")) {
      if (line.length() > 0 && line.length() + 1 + word.length() > width) {
        lines.add(line.toString());
        line.setLength(0);
      }
      if (line.length() > 0) {
        line.append(' ');
      }
      line.append(word);
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }

  /** Rewrites {@code docs/configuration.md} and {@code conf/reference.conf} under a repo root. */
  public static void write(Path repoRoot) throws IOException {
    Files.writeString(
        repoRoot.resolve("docs/configuration.md"), markdown(), StandardCharsets.UTF_8);
    Files.writeString(
        repoRoot.resolve("conf/reference.conf"), referenceConf(), StandardCharsets.UTF_8);
  }

  public static void main(String[] args) throws IOException {
    write(Path.of(args.length > 0 ? args[0] : "."));
  }
}
