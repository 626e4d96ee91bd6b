package dev.sift.curation.concepts;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sift.curation.Escapes;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Tricky captions with the sets MetaCLIP 1 and 2 give, worked out from METACLIP.md (§2 and the
 * behaviour verified against MetaCLIP's code in §8). Each case is also checked against the
 * definition ({@link ConceptMatcher#naive}).
 */
class ConceptMatcherTest {
  static final List<String> ENTRIES =
      List.of(
          "dog",
          "cat",
          "Dog",
          "hot dog",
          "the dog",
          "dog dog",
          "dog cat",
          "caf\u00e9",
          "1",
          "10",
          "東京",
          "夜景",
          "東京の夜景",
          "Titanic (1997 film)",
          "—",
          "St. Louis",
          "C++",
          "#1",
          "'hood",
          "แมว");

  static final ConceptList V1 = ConceptList.of(ENTRIES, Semantics.METACLIP1);
  static final ConceptList V2 = ConceptList.of(ENTRIES, Semantics.METACLIP2);
  static final ConceptMatcher M1 = new ConceptMatcher(V1, Semantics.METACLIP1);
  static final ConceptMatcher M2 = new ConceptMatcher(V2, Semantics.METACLIP2);

  @ParameterizedTest(name = "[{index}] {0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '~',
      nullValues = "NULL",
      textBlock =
          """
          A Dog                    | Dog                       | Dog
          DOG                      |                           |
          dogs                     |                           |
          dog's                    |                           |
          (dog)                    |                           |
          dog/cat                  |                           |
          dog-cat                  |                           |
          "dog"                    |                           |
          dog,cat                  | cat;dog                   | cat;dog
          dog.cat                  | cat;dog                   | cat;dog
          1,10                     | 1;10                      | 1;10
          dog\\tcat                | cat;dog;dog cat           | cat;dog;dog cat
          dog\\r\\ncat             | cat;dog                   | cat;dog
          hot  dog                 | dog                       | dog
          hot dog stand            | dog;hot dog               | dog;hot dog
          the dog dog dog          | dog;dog dog;the dog       | dog;dog dog;the dog
          caf\\u00e9 au lait       | caf\\u00e9                | caf\\u00e9
          cafe\\u0301 au lait      |                           |
          東京の夜景                 | 東京の夜景                  | 夜景;東京;東京の夜景
          Titanic (1997 film)s     |                           | Titanic (1997 film)
          Titanic (1997 film)      | Titanic (1997 film)       | Titanic (1997 film)
          x—x                      |                           | —
          St. Louis                |                           |
          \\u00a0dog               |                           | dog
          ~ dog~                   | dog                       | dog
          I love C++               | C++                       | C++
          C++11                    |                           | C++
          #1 hit                   | #1                        | #1
          a#1 hit                  |                           | #1
          the 'hood                | 'hood                     | 'hood
          neighbour'hood           |                           | 'hood
          ลูกแมวน่ารัก              |                           | แมว
          dog\\u3000cat            |                           |
          ~~                       |                           |
          NULL                     |                           |
          """)
  void matchesLikeMetaclip(String caption, String v1, String v2) {
    String text = caption == null ? null : Escapes.unescape(caption);
    assertThat(names(M1.matchEntries(text))).as("metaclip1").isEqualTo(expected(v1));
    assertThat(names(M2.matchEntries(text))).as("metaclip2").isEqualTo(expected(v2));
    assertThat(ConceptMatcher.naive(V1, Semantics.METACLIP1).apply(text)).isEqualTo(M1.match(text));
    assertThat(ConceptMatcher.naive(V2, Semantics.METACLIP2).apply(text)).isEqualTo(M2.match(text));
  }

  @org.junit.jupiter.api.Test
  void deadEntriesAndDuplicatesAreCounted() {
    ConceptList list =
        ConceptList.of(
            List.of("dog", "St. Louis", "U.S.", "dog", "Inc.", "a . b", ".", "tab\there", ""),
            Semantics.METACLIP1);
    assertThat(list.size()).isEqualTo(8);
    assertThat(list.duplicates()).isEqualTo(1);
    assertThat(list.dead()).containsExactly("St. Louis", "U.S.", "Inc.", "tab\there", "");
    ConceptMatcher m = new ConceptMatcher(list, Semantics.METACLIP1);
    assertThat(m.matchEntries("a.b. U.S. dog")).containsExactly("dog", "a . b", ".");
    // In v2 a lone "." has no spaces around it: it matches any caption with a period.
    ConceptList v2 = ConceptList.of(List.of(".", "Inc."), Semantics.METACLIP2);
    assertThat(v2.dead()).containsExactly("Inc.");
    assertThat(new ConceptMatcher(v2, Semantics.METACLIP2).matchEntries("Acme Inc."))
        .containsExactly(".");
  }

  private static Set<String> names(List<String> entries) {
    return new TreeSet<>(entries);
  }

  private static Set<String> expected(String cell) {
    if (cell == null || cell.isBlank()) {
      return new TreeSet<>();
    }
    return new TreeSet<>(Arrays.stream(cell.split(";")).map(Escapes::unescape).toList());
  }
}
