package dev.sift.jobs;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.udfs.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MetaCLIP 2 per-language lists: each row matched against its language's list, counts and the
 * threshold per language. Counts are chosen so the thresholds can be worked out by hand (below).
 */
class MultilingualMatchTest extends SparkTestBase {
  @TempDir static Path tmp;
  static Path out;

  @BeforeAll
  static void curate() throws Exception {
    Path lists = Files.createDirectories(tmp.resolve("lists"));
    Files.writeString(lists.resolve("en.json"), "[\"dog\", \"cat\"]");
    Files.writeString(lists.resolve("de.json"), "[\"Hund\", \"Katze\"]");
    Files.writeString(lists.resolve("ja.txt"), "東京\n夜景\n");
    List<Row> rows = new ArrayList<>();
    int id = 0;
    // en: dog x4, cat x1  -> t_en = 2, tail share (counts < 2) = 1/5.
    for (int i = 0; i < 4; i++) {
      rows.add(RowFactory.create("en" + id++, "a dog here", "en"));
    }
    rows.add(RowFactory.create("en" + id++, "a cat", "EN"));
    // de: Hund x6 (two tagged de-AT), Katze x2 -> sorted 2, 6: shares .25, 1 -> t_de = 2.
    for (int i = 0; i < 4; i++) {
      rows.add(RowFactory.create("de" + id++, "ein Hund", "de"));
    }
    rows.add(RowFactory.create("de" + id++, "ein Hund", "de-AT"));
    rows.add(RowFactory.create("de" + id++, "ein Hund", "de_AT"));
    rows.add(RowFactory.create("de" + id++, "eine Katze", "de"));
    rows.add(RowFactory.create("de" + id++, "eine Katze", "de"));
    // An English word in a German caption: not in the German list.
    rows.add(RowFactory.create("miss-de", "a dog", "de"));
    rows.add(RowFactory.create("ja", "東京の夜景", "ja"));
    rows.add(RowFactory.create("other-null", "a dog", null));
    rows.add(RowFactory.create("other-fr", "un chien dog", "fr"));
    StructType schema =
        new StructType()
            .add("id", DataTypes.StringType)
            .add("caption", DataTypes.StringType)
            .add("lang", DataTypes.StringType);
    Path input = tmp.resolve("in");
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(input.toString());
    out = tmp.resolve("out");
    SiftRun r =
        SiftRun.of(
            "curate",
            "--input",
            input.toString(),
            "--output",
            out.toString(),
            "--set",
            "sift.input.columns.language=lang",
            "--set",
            // Rows without a language stay `other` here; MultilingualDetectionTest detects them.
            "sift.match.language-detection=off",
            "--set",
            "sift.match.enabled=true",
            "--set",
            "sift.match.metadata=" + lists,
            "--set",
            "sift.balance.enabled=true",
            "--set",
            "sift.balance.t=2");
    assertThat(r.exitCode()).as(r.toString()).isZero();
  }

  private static Map<String, Row> byId(String part) {
    Map<String, Row> m = new HashMap<>();
    for (Row r : spark.read().parquet(out.resolve(part).toString()).collectAsList()) {
      m.put(r.getAs("id"), r);
    }
    return m;
  }

  @Test
  void eachRowIsMatchedAgainstItsLanguagesList() {
    Map<String, Row> all = byId("accepted");
    all.putAll(byId("rejected"));
    assertThat(all).hasSize(17);
    assertThat(all.get("en0").getList(all.get("en0").fieldIndex("concepts")))
        .containsExactly("dog");
    assertThat((String) all.get("en4").getAs("language")).isEqualTo("en");
    Row at = all.get("de9");
    assertThat((String) at.getAs("language")).isEqualTo("de");
    assertThat(at.getList(at.fieldIndex("concepts"))).containsExactly("Hund");
    Row ja = all.get("ja");
    assertThat(ja.getList(ja.fieldIndex("concepts"))).containsExactlyInAnyOrder("東京", "夜景");
    for (String miss : List.of("miss-de", "other-null", "other-fr")) {
      assertThat((String) all.get(miss).getAs("reject_reason")).as(miss).isEqualTo("no_concept");
    }
    assertThat((String) all.get("other-fr").getAs("language")).isEqualTo("other");
  }

  @Test
  void thresholdsAndCountsArePerLanguage() throws Exception {
    JsonNode per = SiftRun.manifest(out).get("balance").get("per_language");
    assertThat(per.get("english_tail_share").asDouble()).isCloseTo(0.2, within(1e-12));
    assertThat(per.get("t").get("en").asLong()).isEqualTo(2);
    assertThat(per.get("t").get("de").asLong()).isEqualTo(2);
    Map<String, Row> all = byId("accepted");
    all.putAll(byId("rejected"));
    // p(dog) = 2/4, p(Hund) = 2/6, tail entries keep with 1.
    assertThat((Double) all.get("en0").getAs("keep_probability")).isCloseTo(0.5, within(1e-12));
    assertThat((Double) all.get("de5").getAs("keep_probability")).isCloseTo(1 / 3.0, within(1e-12));
    assertThat((Double) all.get("en4").getAs("keep_probability")).isEqualTo(1.0);
    Dataset<Row> counts = spark.read().parquet(out.resolve("concept_counts").toString());
    assertThat(counts.columns()).containsExactly("concept", "language", "matched", "kept");
    Row hund = counts.where(col("concept").equalTo("Hund")).first();
    assertThat((String) hund.getAs("language")).isEqualTo("de");
    assertThat((Long) hund.getAs("matched")).isEqualTo(6L);
  }
}
