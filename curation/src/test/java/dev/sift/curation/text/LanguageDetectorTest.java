package dev.sift.curation.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LanguageDetectorTest {
  /** The languages of the caption table plus close neighbours that compete with them. */
  static final List<String> LANGUAGES =
      List.of(
          "en", "de", "fr", "es", "it", "pt", "nl", "ru", "uk", "ja", "zh", "ko", "ar", "th", "da",
          "sv", "ca", "la", "bg", "fa");

  record Labelled(String language, String caption) {}

  static List<Labelled> table;
  static LanguageDetector detector;

  @BeforeAll
  static void load() throws IOException {
    table = new ArrayList<>();
    try (InputStream in =
        Objects.requireNonNull(
            LanguageDetectorTest.class.getResourceAsStream("/lid/short-captions.tsv"))) {
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (!line.isBlank() && !line.startsWith("#")) {
          String[] parts = line.split("\t", 2);
          table.add(new Labelled(parts[0], parts[1]));
        }
      }
    }
    detector = new LanguageDetector(new LanguageDetector.Settings(LANGUAGES, 0.0, false));
  }

  @Test
  void shortCaptionsGetTheirLanguage() {
    List<String> wrong = new ArrayList<>();
    for (Labelled l : table) {
      String got = detector.detect(l.caption());
      if (!l.language().equals(got)) {
        wrong.add(l.caption() + " -> " + got + " (is " + l.language() + ")");
      }
    }
    System.out.printf(
        "LanguageDetectorTest: %d of %d short captions right; wrong: %s%n",
        table.size() - wrong.size(), table.size(), wrong);
    // Alt-texts of three to six words; Lingua gets all but a few. A detector built for sentences
    // (OpenNLP's langdetect-183 was tried) gets about half.
    assertThat(wrong.size()).as(wrong.toString()).isLessThanOrEqualTo(table.size() / 20);
  }

  @Test
  void scriptsWithOneLanguageAreNeverMissed() {
    for (Labelled l : table) {
      if (List.of("ja", "ko", "th", "zh").contains(l.language())) {
        assertThat(detector.detect(l.caption())).as(l.caption()).isEqualTo(l.language());
      }
    }
  }

  @Test
  void nothingToDetectIsUnsure() {
    assertThat(detector.detect(null)).isNull();
    assertThat(detector.detect("")).isNull();
    assertThat(detector.detect("   ")).isNull();
    assertThat(detector.detect("2019 - 04 - 12 123")).isNull();
  }

  @Test
  void onlyTheStartOfARunawayCaptionIsRead() {
    String english = "a brown dog sleeping in the garden ".repeat(40); // 1,400 characters
    String german = "ein kleiner Hund schläft im Garten ".repeat(400); // 14,000 characters
    assertThat(detector.detect(german)).isEqualTo("de");
    // Read whole, the German would outweigh the English ten to one.
    assertThat(detector.detect(english + german)).isEqualTo("en");
    // A cut never splits a surrogate pair.
    String emoji = "🐕".repeat(LanguageDetector.MAX_CHARS + 5);
    assertThat(detector.detect(emoji)).isNull();
  }

  @Test
  void aMinimumDistanceMakesCloseCallsUnsure() {
    LanguageDetector strict =
        new LanguageDetector(new LanguageDetector.Settings(LANGUAGES, 0.9, false));
    long unsure = table.stream().filter(l -> strict.detect(l.caption()) == null).count();
    long unsureDefault = table.stream().filter(l -> detector.detect(l.caption()) == null).count();
    assertThat(unsureDefault).isZero();
    assertThat(unsure).isPositive();
    // A language of its own script stays certain however strict the setting.
    assertThat(strict.detect("赤い車が道路に停まっている")).isEqualTo("ja");
  }

  @Test
  void answersOnlyTheConfiguredLanguages() {
    LanguageDetector two =
        new LanguageDetector(new LanguageDetector.Settings(List.of("EN", "deu"), 0.0, false));
    assertThat(two.detect("une voiture rouge garée dans la rue")).isIn("en", "de");
    assertThat(two.detect("Kaffeetasse mit Milchschaum")).isEqualTo("de");
  }

  @Test
  void unknownLanguagesAreNamed() {
    assertThatThrownBy(() -> new LanguageDetector.Settings(List.of("en", "xx"), 0.0, false))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'xx'")
        .hasMessageContaining("zh");
    assertThatThrownBy(() -> new LanguageDetector.Settings(List.of(), 1.0, false))
        .hasMessageContaining("[0, 1)");
    assertThat(LanguageDetector.supported()).contains("en", "zh", "nb", "th").hasSize(75);
  }
}
