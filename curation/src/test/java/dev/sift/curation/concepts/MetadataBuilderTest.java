package dev.sift.curation.concepts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sift.curation.concepts.MetadataBuilder.Result;
import dev.sift.curation.concepts.MetadataBuilder.SourceCount;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sources, thresholds, dedup, filtering, counts and errors of {@link MetadataBuilder}. */
class MetadataBuilderTest {

  @TempDir Path dir;

  /** A builder with a tiny stand-in for WordNet, so these tests do not read WordNet 3.0. */
  static MetadataBuilder small() {
    return new MetadataBuilder().wordNet(List.of("dog", "cat", "hot dog", "7"), "test names");
  }

  Path file(String name, String content) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, content, StandardCharsets.UTF_8);
    return p;
  }

  static List<String> after100(Result r) {
    return r.entries().subList(100, r.entries().size());
  }

  @Test
  void numbersThenWordNetInOrder() {
    Result r = small().build();
    assertThat(r.entries().subList(0, 100))
        .containsExactlyElementsOf(WordNetConceptsTest.numbers());
    // "7" is already a number: not added again.
    assertThat(after100(r)).containsExactly("dog", "cat", "hot dog");
    assertThat(r.sources())
        .containsExactly(
            new SourceCount("numbers", "built in", "the strings \"0\" … \"99\"", 100, 100, 100, 0),
            new SourceCount(
                "wordnet", "test names", "given names, in the given order", 4, 4, 3, 100));
  }

  @Test
  void unigramThresholdIsAtLeast() throws IOException {
    Path tsv = file("u.tsv", "below\t99\nat\t100\nabove\t101\nhuge\t9000000000\n");
    assertThat(after100(small().unigrams(tsv).build())).endsWith("at", "above", "huge");
    assertThat(after100(small().unigrams(tsv).build())).doesNotContain("below");
    assertThat(after100(small().unigrams(tsv, 101).build()))
        .contains("above", "huge")
        .doesNotContain("at", "below");
    assertThat(after100(small().unigrams(tsv, 0).build())).contains("below");
  }

  @Test
  void bigramThresholdIsAtLeastAndTakesDecimals() throws IOException {
    Path tsv =
        file(
            "b.tsv", "new york\t30\nlos angeles\t3e1\nred car\t29.999\nhot dog\t45.5\nx y\t+31.\n");
    Result r = small().bigrams(tsv).build();
    assertThat(after100(r))
        .containsExactly("dog", "cat", "hot dog", "new york", "los angeles", "x y");
    SourceCount b = r.source("bigrams").orElseThrow();
    assertThat(b.read()).isEqualTo(5);
    assertThat(b.kept()).isEqualTo(4);
    assertThat(b.added()).isEqualTo(3); // "hot dog" came from WordNet
    assertThat(b.firstId()).isEqualTo(103);
    assertThat(b.rule()).startsWith("pmi ≥ 30");
    assertThat(after100(small().bigrams(tsv, 29.5).build())).contains("red car");
    assertThat(after100(small().bigrams(tsv, 40).build())).doesNotContain("new york");
  }

  @Test
  void titleThresholdIsAtLeast() throws IOException {
    Path tsv = file("t.tsv", "Titanic (1997 film)\t70\nObscure page\t69\nT-shirt\t500\n");
    Result r = small().titles(tsv).build();
    assertThat(after100(r))
        .endsWith("Titanic (1997 film)", "T-shirt")
        .doesNotContain("Obscure page");
    assertThat(after100(small().titles(tsv, 69).build())).contains("Obscure page");
  }

  @Test
  void sourcesComeInMetaclipOrderAndLaterDuplicatesAreSkipped() throws IOException {
    Path u = file("u.tsv", "dog\t500\nDog\t500\nzebra\t500\n42\t500\nzebra\t900\n");
    Path b = file("b.tsv", "zebra crossing\t50\nzebra\t50\n");
    Path t = file("t.tsv", "Zebra\t100\nzebra crossing\t100\nZebra crossing\t100\n");
    Path x = file("x.txt", "okapi\nZebra\ndog\nokapi\n");
    Result r = small().titles(t).extra(x).bigrams(b).unigrams(u).build();

    assertThat(after100(r))
        .containsExactly(
            "dog",
            "cat",
            "hot dog",
            "Dog",
            "zebra",
            "zebra crossing",
            "Zebra",
            "Zebra crossing",
            "okapi");
    assertThat(r.sources())
        .extracting(SourceCount::source)
        .containsExactly("numbers", "wordnet", "unigrams", "bigrams", "titles", "extra");
    assertThat(r.source("unigrams").orElseThrow())
        .returns(5, SourceCount::read)
        .returns(5, SourceCount::kept)
        .returns(2, SourceCount::added) // Dog, zebra: dog is WordNet's, 42 a number, zebra repeats
        .returns(103, SourceCount::firstId);
    assertThat(r.source("bigrams").orElseThrow())
        .returns(2, SourceCount::kept)
        .returns(1, SourceCount::added)
        .returns(105, SourceCount::firstId);
    assertThat(r.source("titles").orElseThrow())
        .returns(3, SourceCount::kept)
        .returns(2, SourceCount::added)
        .returns(106, SourceCount::firstId);
    assertThat(r.source("extra").orElseThrow())
        .returns(4, SourceCount::read) // lines; the repeated okapi counts here only
        .returns(3, SourceCount::kept)
        .returns(1, SourceCount::added)
        .returns(108, SourceCount::firstId);
    int total = r.sources().stream().mapToInt(SourceCount::added).sum();
    assertThat(total).isEqualTo(r.entries().size()).isEqualTo(109);
  }

  @Test
  void emptyEntriesAndSingleAsciiPunctuationAreDropped() throws IOException {
    Path u =
        file(
            "u.tsv",
            "\t500\n-\t500\n--\t500\n_\t500\n~\t500\n\u3002\t500\nC++\t500\n\u00e9\t500\n");
    Path x = file("x.json", "[\"\", \"#\", \"#1\", \"\u2014\"]");
    Result r =
        new MetadataBuilder()
            .wordNet(List.of("", "'", "a"), "test names")
            .unigrams(u)
            .extra(x)
            .build();
    assertThat(after100(r)).containsExactly("a", "--", "\u3002", "C++", "\u00e9", "#1", "\u2014");
    assertThat(r.source("wordnet").orElseThrow())
        .returns(3, SourceCount::read)
        .returns(1, SourceCount::kept);
    assertThat(r.source("unigrams").orElseThrow())
        .returns(8, SourceCount::read)
        .returns(4, SourceCount::kept);
    assertThat(r.source("extra").orElseThrow()).returns(2, SourceCount::kept);
    assertThat(MetadataBuilder.isDropped("")).isTrue();
    for (char c : "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".toCharArray()) {
      assertThat(MetadataBuilder.isDropped(String.valueOf(c))).as("%s", c).isTrue();
    }
    assertThat(MetadataBuilder.isDropped("a")).isFalse();
    assertThat(MetadataBuilder.isDropped("\u00bf")).isFalse();
    assertThat(MetadataBuilder.isDropped(" ")).isFalse();
  }

  @Test
  void blankLinesCrlfAndBomAreTolerated() throws IOException {
    Path u = file("u.tsv", "\uFEFFfirst\t100\r\n\r\nsecond\t 200 \r\n\n");
    Result r = small().unigrams(u).build();
    assertThat(after100(r)).endsWith("first", "second");
    assertThat(r.source("unigrams").orElseThrow().read()).isEqualTo(2);
  }

  @Test
  void entriesAreKeptExactly() throws IOException {
    Path u = file("u.tsv", " padded \t100\nSt. Louis\t100\n");
    assertThat(after100(small().unigrams(u).build())).endsWith(" padded ", "St. Louis");
  }

  @Test
  void badLinesNameFileAndLine() throws IOException {
    Path noTab = file("no-tab.tsv", "dog\t500\ncat 500\n");
    assertThatThrownBy(() -> small().unigrams(noTab).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(noTab.toString())
        .hasMessageContaining("line 2")
        .hasMessageContaining("no tab");

    Path twoTabs = file("two-tabs.tsv", "\n\na\tb\t500\n");
    assertThatThrownBy(() -> small().titles(twoTabs).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(twoTabs.toString())
        .hasMessageContaining("line 3")
        .hasMessageContaining("more than one tab");

    Path text = file("text.tsv", "dog\t500\ncat\t500\nbird\tmany\n");
    assertThatThrownBy(() -> small().unigrams(text).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(text.toString())
        .hasMessageContaining("line 3")
        .hasMessageContaining("\"many\"");

    Path decimalCount = file("decimal.tsv", "dog\t1.5\n");
    assertThatThrownBy(() -> small().unigrams(decimalCount).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 1")
        .hasMessageContaining("not an integer");

    Path emptyValue = file("empty.tsv", "dog\t\n");
    assertThatThrownBy(() -> small().titles(emptyValue).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("line 1");

    for (String pmi : List.of("NaN", "Infinity", "30d", "0x1p5", "3,0")) {
      Path bad = file("pmi.tsv", "new york\t" + pmi + "\n");
      assertThatThrownBy(() -> small().bigrams(bad).build())
          .as(pmi)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(bad.toString())
          .hasMessageContaining("line 1")
          .hasMessageContaining("not a decimal number");
    }

    Path badJson = file("extra.json", "[\"ok\", 3]");
    assertThatThrownBy(() -> small().extra(badJson).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(badJson.toString())
        .hasMessageContaining("element 1");
  }

  @Test
  void writesMetadataJsonAndSourcesMd() throws IOException {
    Path u = file("u.tsv", "caf\u00e9\t500\n\u6771\u4eac\t500\n");
    Result r = small().unigrams(u).build();
    Path out = dir.resolve("out/list");
    r.write(out);

    List<String> json =
        new ObjectMapper()
            .readValue(
                out.resolve(MetadataBuilder.METADATA_FILE).toFile(),
                new TypeReference<List<String>>() {});
    assertThat(json).isEqualTo(r.entries());
    String raw = Files.readString(out.resolve(MetadataBuilder.METADATA_FILE));
    assertThat(raw).contains("caf\u00e9", "\u6771\u4eac"); // UTF-8, not \\u escapes
    assertThat(
            ConceptList.read(out.resolve(MetadataBuilder.METADATA_FILE), Semantics.METACLIP1)
                .entries())
        .isEqualTo(r.entries());

    String md = Files.readString(out.resolve(MetadataBuilder.SOURCES_FILE));
    assertThat(md)
        .contains("105 entries")
        .contains("0-based position")
        .contains("| numbers | 0 – 99 | 100 |")
        .contains("| wordnet | 100 – 102 | 3 |")
        .contains("| unigrams | 103 – 104 | 2 |")
        .contains("count ≥ 100")
        .contains(u.toString())
        .doesNotContain("WordNet license");
  }

  /** The default builder (real WordNet 3.0): numbers first, then the proxy's names in its order. */
  @Test
  void defaultBuilderIsNumbersThenTheProxyNames() throws IOException {
    Result r = new MetadataBuilder().build();
    List<String> proxyNames = new ArrayList<>(WordNetConceptsTest.proxy());
    proxyNames.removeAll(WordNetConceptsTest.numbers());
    assertThat(r.entries()).hasSize(86_654);
    assertThat(r.entries().subList(0, 100)).isEqualTo(WordNetConceptsTest.numbers());
    assertThat(after100(r)).isEqualTo(proxyNames);
    assertThat(r.source("wordnet").orElseThrow())
        .returns(117_659, SourceCount::read)
        .returns(86_554, SourceCount::kept)
        .returns(86_554, SourceCount::added)
        .returns(100, SourceCount::firstId);

    r.write(dir);
    assertThat(Files.readString(dir.resolve(MetadataBuilder.SOURCES_FILE)))
        .contains("86,654 entries")
        .contains("WordNet 3.0 Copyright 2006 by Princeton University");
  }
}
