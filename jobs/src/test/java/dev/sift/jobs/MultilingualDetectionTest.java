package dev.sift.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.udfs.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MetaCLIP 2 lists without a language column, or with gaps in it: each caption's language is
 * detected, and a language without a list, or a caption the detector is unsure of, is `other`.
 */
class MultilingualDetectionTest extends SparkTestBase {
  @TempDir static Path tmp;
  static Path lists;

  @BeforeAll
  static void lists() throws Exception {
    lists = Files.createDirectories(tmp.resolve("lists"));
    Files.writeString(lists.resolve("en.json"), "[\"dog\", \"garden\"]");
    Files.writeString(lists.resolve("de.json"), "[\"Hund\", \"Garten\"]");
    Files.writeString(lists.resolve("ja.txt"), "東京\n夜景\n");
  }

  private static Path input(String name, boolean withLanguage, List<Object[]> rows) {
    StructType schema =
        new StructType().add("id", DataTypes.StringType).add("caption", DataTypes.StringType);
    if (withLanguage) {
      schema = schema.add("lang", DataTypes.StringType);
    }
    List<Row> data = new ArrayList<>();
    for (Object[] r : rows) {
      data.add(RowFactory.create(withLanguage ? r : new Object[] {r[0], r[1]}));
    }
    Path path = tmp.resolve(name);
    spark.createDataFrame(data, schema).coalesce(1).write().parquet(path.toString());
    return path;
  }

  private static SiftRun match(Path input, Path out, String... extra) {
    return SiftRun.of(
        List.of(
            "match",
            "--input",
            input.toString(),
            "--output",
            out.toString(),
            "--set",
            "sift.match.metadata=" + lists,
            "--set",
            // Four languages keep the detector's models small in the test JVM.
            "sift.match.detect.languages=en,de,fr,ja"),
        extra);
  }

  private static Map<String, Row> rows(Path out) {
    Map<String, Row> m = new HashMap<>();
    for (String part : List.of("accepted", "rejected")) {
      for (Row r : spark.read().parquet(out.resolve(part).toString()).collectAsList()) {
        m.put(r.getAs("id"), r);
      }
    }
    return m;
  }

  @Test
  void withoutALanguageColumnEveryCaptionIsDetected() throws Exception {
    Path in =
        input(
            "no-column",
            false,
            List.of(
                new Object[] {"en", "a brown dog sleeping in the garden"},
                new Object[] {"de", "ein kleiner Hund schläft im Garten"},
                new Object[] {"ja", "東京の夜景"},
                new Object[] {"fr", "un petit chien dort dans le jardin"},
                new Object[] {"digits", "2019 - 04 - 12"}));
    Path out = tmp.resolve("out-no-column");
    SiftRun r = match(in, out);
    assertThat(r.exitCode()).as(r.toString()).isZero();
    Map<String, Row> all = rows(out);
    assertThat(all).hasSize(5);
    assertThat((String) all.get("en").getAs("language")).isEqualTo("en");
    assertThat(all.get("en").getList(all.get("en").fieldIndex("concepts")))
        .containsExactly("dog", "garden");
    assertThat((String) all.get("de").getAs("language")).isEqualTo("de");
    assertThat(all.get("de").getList(all.get("de").fieldIndex("concepts")))
        .containsExactly("Hund", "Garten");
    assertThat((String) all.get("ja").getAs("language")).isEqualTo("ja");
    // French is detected but has no list; digits are nobody's language.
    for (String other : List.of("fr", "digits")) {
      assertThat((String) all.get(other).getAs("language")).as(other).isEqualTo("other");
      assertThat((String) all.get(other).getAs("reject_reason")).isEqualTo("no_concept");
    }
    JsonNode detection = SiftRun.manifest(out).get("concepts").get("language_detection");
    assertThat(detection.get("mode").asText()).isEqualTo("auto");
    assertThat(detection.get("languages").asText()).isEqualTo("en,de,fr,ja");
    assertThat(detection.get("input_column").isNull()).isTrue();
  }

  @Test
  void theInputsLanguageWinsAndOnlyBlanksAreDetected() {
    List<Object[]> data =
        List.of(
            // The column says English: the German list is not consulted.
            new Object[] {"told-en", "ein kleiner Hund schläft im Garten", "en"},
            new Object[] {"null", "ein kleiner Hund schläft im Garten", null},
            new Object[] {"blank", "a brown dog sleeping in the garden", "  "});
    Path in = input("gaps", true, data);
    Path out = tmp.resolve("out-gaps");
    SiftRun r = match(in, out, "sift.input.columns.language=lang");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    Map<String, Row> all = rows(out);
    assertThat((String) all.get("told-en").getAs("language")).isEqualTo("en");
    assertThat((String) all.get("told-en").getAs("reject_reason")).isEqualTo("no_concept");
    assertThat((String) all.get("null").getAs("language")).isEqualTo("de");
    assertThat((String) all.get("blank").getAs("language")).isEqualTo("en");

    Path always = tmp.resolve("out-always");
    r =
        match(
            in, always, "sift.input.columns.language=lang", "sift.match.language-detection=always");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    Row told = rows(always).get("told-en");
    assertThat((String) told.getAs("language")).isEqualTo("de");
    assertThat(told.getList(told.fieldIndex("concepts"))).containsExactly("Hund", "Garten");
  }

  @Test
  void detectionOffWithoutAColumnOrAnUnknownLanguageStopsAtStartUp() {
    Path in = input("off", false, List.<Object[]>of(new Object[] {"a", "a dog in the garden"}));
    SiftRun off = match(in, tmp.resolve("out-off"), "sift.match.language-detection=off");
    assertThat(off.exitCode()).isEqualTo(2);
    assertThat(off.err())
        .contains("sift.input.columns.language")
        .contains("'language' is not in the input")
        .contains("sift.match.language-detection = auto");
    SiftRun bad = match(in, tmp.resolve("out-bad"), "sift.match.detect.languages=en,xx");
    assertThat(bad.exitCode()).isEqualTo(2);
    assertThat(bad.err()).contains("sift.match.detect.languages").contains("'xx'");
  }
}
