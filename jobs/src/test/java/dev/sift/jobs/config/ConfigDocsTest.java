package dev.sift.jobs.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The committed reference files must be what the registry generates. */
class ConfigDocsTest {
  private static final Path REPO = Path.of(System.getProperty("sift.repo.dir", ".."));

  @Test
  void committedReferenceIsCurrent() throws IOException {
    if (Boolean.getBoolean("sift.docs.update")) {
      ConfigDocs.write(REPO);
    }
    String hint =
        "stale: regenerate with mvn -B -q -pl jobs -am test -Dtest=ConfigDocsTest"
            + " -Dsurefire.failIfNoSpecifiedTests=false -Dsift.docs.update=true";
    assertThat(read("docs/configuration.md"))
        .as("docs/configuration.md " + hint)
        .isEqualTo(ConfigDocs.markdown());
    assertThat(read("conf/reference.conf"))
        .as("conf/reference.conf " + hint)
        .isEqualTo(ConfigDocs.referenceConf());
  }

  @Test
  void referenceDocumentsEveryKey() {
    String md = ConfigDocs.markdown();
    for (ConfigKey<?> key : SiftKeys.all()) {
      assertThat(md).contains("`" + key.name() + "`");
      assertThat(key.doc()).as(key.name() + " has documentation").isNotBlank();
    }
  }

  @Test
  void referenceConfParsesBackToTheDefaults() throws IOException {
    Path file = Files.createTempFile("reference", ".conf");
    Files.writeString(file, ConfigDocs.referenceConf());
    SiftConf conf = ConfigLoader.load(file, List.of(), Map.of());
    for (ConfigKey<?> key : SiftKeys.all()) {
      assertThat((Object) conf.get(key)).as(key.name()).isEqualTo(key.defaultValue());
    }
  }

  private static String read(String relative) throws IOException {
    Path p = REPO.resolve(relative);
    return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "(missing)";
  }
}
