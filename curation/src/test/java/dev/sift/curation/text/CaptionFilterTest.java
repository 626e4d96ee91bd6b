package dev.sift.curation.text;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sift.curation.Reject;
import org.junit.jupiter.api.Test;

class CaptionFilterTest {
  private final CaptionFilter filter = new CaptionFilter(3, 20, 2, 4);

  @Test
  void eachFilterRejectsWithItsOwnReason() {
    assertThat(filter.check(null)).isEqualTo(Reject.NO_CAPTION);
    assertThat(filter.check("")).isEqualTo(Reject.EMPTY_CAPTION);
    assertThat(filter.check("ab")).isEqualTo(Reject.TOO_SHORT);
    assertThat(filter.check("a".repeat(21))).isEqualTo(Reject.TOO_LONG);
    assertThat(filter.check("oneword")).isEqualTo(Reject.TOO_FEW_WORDS);
    assertThat(filter.check("a b c d e")).isEqualTo(Reject.TOO_MANY_WORDS);
    assertThat(filter.check("two words")).isNull();
  }

  @Test
  void countsCodePointsNotUtf16Units() {
    // Three emoji are six UTF-16 units but three characters.
    CaptionFilter upToThree = new CaptionFilter(1, 3, 1, 10);
    assertThat(upToThree.check("🚗🚗🚗")).isNull();
    assertThat(upToThree.check("🚗🚗🚗🚗")).isEqualTo(Reject.TOO_LONG);
  }

  @Test
  void limitsAreInclusive() {
    assertThat(filter.check("a b")).isNull();
    assertThat(filter.check("a b c d")).isNull();
    assertThat(filter.check("abcdefghij klmnopqrs")).isNull();
  }

  @Test
  void wordsAreSpaceSeparated() {
    assertThat(CaptionFilter.countWords("東京タワーの夜景")).isEqualTo(1);
    assertThat(CaptionFilter.countWords("a b  c")).isEqualTo(4);
    assertThat(CaptionFilter.countWords("")).isZero();
  }
}
