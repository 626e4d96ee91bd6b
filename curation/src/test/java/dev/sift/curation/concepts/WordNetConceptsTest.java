package dev.sift.curation.concepts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * WordNet 3.0 names against the parity target {@code data/metaclip/metadata_proxy_wordnet30.json}
 * (MetaCLIP's own rule run over WordNet 3.0 through NLTK, plus "0".."99").
 */
class WordNetConceptsTest {

  static final Path PROXY =
      Path.of(System.getProperty("sift.repo.dir", "."))
          .resolve("data/metaclip/metadata_proxy_wordnet30.json");

  static List<String> proxy() throws IOException {
    return new ObjectMapper().readValue(PROXY.toFile(), new TypeReference<List<String>>() {});
  }

  static List<String> numbers() {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      out.add(Integer.toString(i));
    }
    return out;
  }

  @Test
  void numbersPlusWordNetEqualTheProxySetExactly() throws IOException {
    Set<String> expected = new LinkedHashSet<>(proxy());
    Set<String> actual = new LinkedHashSet<>(numbers());
    actual.addAll(WordNetConcepts.wordNet30().names());

    TreeSet<String> missing = new TreeSet<>(expected);
    missing.removeAll(actual);
    TreeSet<String> extra = new TreeSet<>(actual);
    extra.removeAll(expected);
    if (!missing.isEmpty() || !extra.isEmpty()) {
      System.out.println(
          "in the proxy, not built ("
              + missing.size()
              + "): "
              + missing.stream().limit(30).toList());
      System.out.println(
          "built, not in the proxy (" + extra.size() + "): " + extra.stream().limit(30).toList());
    }
    assertThat(missing).as("in the proxy but not built").isEmpty();
    assertThat(extra).as("built but not in the proxy").isEmpty();
    assertThat(actual).hasSize(86_654);
    assertThat(expected).hasSize(86_654);
  }

  @Test
  void wordNet30HasEverySynsetAndSortedDistinctNames() {
    WordNetConcepts wn = WordNetConcepts.wordNet30();
    assertThat(wn.synsets()).isEqualTo(117_659);
    // 86,554 non-empty names (the proxy's count less the 100 numbers, none of which is a name).
    assertThat(wn.names()).hasSize(86_554).doesNotHaveDuplicates().doesNotContain("");
    assertThat(wn.names()).isSortedAccordingTo(WordNetConcepts.CODE_POINT_ORDER);
    assertThat(wn.names()).contains("dog", "a", "st", "new york");
    assertThat(wn.names()).allSatisfy(n -> assertThat(n).isLowerCase().doesNotContain("_", "."));
    assertThat(WordNetConcepts.wordNet30()).isSameAs(wn);
  }

  @Test
  void namesAreMetaclipCuts() {
    assertThat(WordNetConcepts.metaclipName("dog")).isEqualTo("dog");
    assertThat(WordNetConcepts.metaclipName("Hot_Dog")).isEqualTo("hot dog");
    assertThat(WordNetConcepts.metaclipName("hot dog")).isEqualTo("hot dog");
    assertThat(WordNetConcepts.metaclipName("A.D.")).isEqualTo("a");
    assertThat(WordNetConcepts.metaclipName("St._Louis")).isEqualTo("st");
    assertThat(WordNetConcepts.metaclipName(".22 caliber")).isEmpty();
  }

  @Test
  void fromFirstLemmasDeduplicatesDropsEmptyAndSorts() {
    WordNetConcepts wn =
        WordNetConcepts.fromFirstLemmas(List.of("Dog", "dog", "A.D.", ".22 caliber", "ab", "Zoo"));
    assertThat(wn.names()).containsExactly("a", "ab", "dog", "zoo");
    assertThat(wn.synsets()).isEqualTo(6);
  }

  @Test
  void codePointOrderIsNotUtf16Order() {
    String replacement = "\uFFFD";
    String emoji = new String(Character.toChars(0x1F600));
    assertThat(emoji.compareTo(replacement)).isNegative();
    assertThat(WordNetConcepts.CODE_POINT_ORDER.compare(emoji, replacement)).isPositive();
    assertThat(WordNetConcepts.CODE_POINT_ORDER.compare("ab", "abc")).isNegative();
    assertThat(WordNetConcepts.CODE_POINT_ORDER.compare("abc", "ab")).isPositive();
    assertThat(WordNetConcepts.CODE_POINT_ORDER.compare("ab", "ab")).isZero();
  }
}
