package dev.sift.curation.text;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sift.curation.Escapes;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CaptionNormalizerTest {
  private final CaptionNormalizer normalizer = new CaptionNormalizer(true);

  @ParameterizedTest(name = "[{index}] {2}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      textBlock =
          """
          Tom &amp; Jerry                  | Tom & Jerry              | named entity
          Tom &amp;amp; Jerry              | Tom & Jerry              | entity escaped twice
          it&#39;s &apos;here&apos;        | it's 'here'              | numeric and apos entities
          caf&eacute; &#x263A;             | café ☺                   | named and hex entities
          a&nbsp;&nbsp;b                   | a b                      | nbsp entity collapses
          <b>Bold</b> dog<br/>on grass     | Bold dog on grass        | tags removed
          x < y and y > z                  | x < y and y > z          | comparison is not a tag
          "  spaced   out  "               | spaced out               | trim and collapse
          a\u00a0b\u2007c\u202fd\u3000e    | a b c d e                | unicode spaces collapse
          東京タワーの夜景                   | 東京タワーの夜景           | CJK unchanged
          "🚗 red car 🚗"                  | 🚗 red car 🚗            | emoji kept
          👨‍👩‍👧 family                     | 👨‍👩‍👧 family             | zero-width joiner kept
          """)
  void normalises(String raw, String expected, String what) {
    assertThat(normalizer.normalize(unescape(raw))).isEqualTo(expected);
  }

  @ParameterizedTest(name = "[{index}] {2}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          Cafe\\u0301                | Caf\\u00e9      | NFD to NFC
          a\\u0000b\\u0007c          | abc            | control characters dropped
          zero\\u200bwidth\\u00adhy  | zerowidthhy    | invisible format characters dropped
          tab\\there\\r\\nnew\\u0085 | tab here new   | tabs CR LF NEL are whitespace
          lone\\ud800surrogate       | lonesurrogate  | unpaired surrogate dropped
          bom\\ufeffinside\\ufffe    | bominside      | BOM and noncharacter dropped
          """)
  void cleansCharacters(String raw, String expected, String what) {
    assertThat(normalizer.normalize(unescape(raw))).isEqualTo(unescape(expected));
  }

  @org.junit.jupiter.api.Test
  void nullStaysNullAndBlankBecomesEmpty() {
    assertThat(normalizer.normalize(null)).isNull();
    assertThat(normalizer.normalize(" \t\n ")).isEmpty();
    assertThat(normalizer.normalize("&nbsp;<br/>&#x200B;")).isEmpty();
  }

  @org.junit.jupiter.api.Test
  void keepsTagsWhenAsked() {
    assertThat(new CaptionNormalizer(false).normalize("<b>x</b>")).isEqualTo("<b>x</b>");
  }

  @org.junit.jupiter.api.Test
  void isIdempotent() {
    String once = normalizer.normalize("Caf&eacute;&nbsp; <i>au</i>\tlait\u0301 &amp;amp;");
    assertThat(normalizer.normalize(once)).isEqualTo(once);
  }

  private static String unescape(String s) {
    return Escapes.unescape(s);
  }
}
