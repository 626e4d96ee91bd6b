package dev.sift.curation.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The logits rules on hand-made logits, with the expected values worked out by hand. */
class LogitsRulesTest {
  static final long EOS = 4;

  @Test
  void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfSeenTokensOnce() {
    float[] logits = {2f, -1f, 3f, 0.5f, 1f};
    LogitsRules.repetitionPenalty(logits, new long[] {0, 1, 1, 3}, 2.0);
    assertThat(logits).containsExactly(1f, -2f, 3f, 0.25f, 1f);
  }

  @Test
  void noRepeatNgramsBansTokensThatWouldRepeatAnNgram() {
    // Sequence 1 2 3 1 2: the bigram prefix "2" was followed by 3, so with n = 2 token 3 is
    // banned; with n = 3 the prefix "1 2" was followed by 3 too.
    float[] two = {0, 0, 0, 0, 0};
    LogitsRules.noRepeatNgrams(two, new long[] {1, 2, 3, 1, 2}, 2);
    assertThat(two[3]).isEqualTo(Float.NEGATIVE_INFINITY);
    assertThat(two[1]).isZero();
    float[] three = {0, 0, 0, 0, 0};
    LogitsRules.noRepeatNgrams(three, new long[] {1, 2, 3, 1, 2}, 3);
    assertThat(three[3]).isEqualTo(Float.NEGATIVE_INFINITY);
    float[] none = {0, 0, 0, 0, 0};
    LogitsRules.noRepeatNgrams(none, new long[] {1, 2, 3, 4, 2}, 3);
    assertThat(none).containsOnly(0f);
    // n = 1 bans every token seen.
    float[] unigram = {0, 0, 0, 0, 0};
    LogitsRules.noRepeatNgrams(unigram, new long[] {0, 2}, 1);
    assertThat(unigram)
        .containsExactly(Float.NEGATIVE_INFINITY, 0f, Float.NEGATIVE_INFINITY, 0f, 0f);
  }

  @Test
  void theStopTokenIsMaskedUntilMinNewTokensAndGreedyThenStops() {
    Generation g = new Generation(1, 1.0, 10, 2, 1.0, 0, null);
    float[] logits = {0, 0, 0, 0, 9};
    LogitsRules.apply(logits, new long[] {0}, 1, g, EOS);
    assertThat(LogitsRules.argmax(logits)).isNotEqualTo((int) EOS);
    float[] later = {0, 0, 0, 0, 9};
    LogitsRules.apply(later, new long[] {0, 1, 2}, 2, g, EOS);
    assertThat(LogitsRules.argmax(later)).isEqualTo((int) EOS);
  }

  @Test
  void logSoftmaxAndTopKAreExact() {
    double[] l = LogitsRules.logSoftmax(new float[] {0, (float) Math.log(3)});
    assertThat(l[0]).isCloseTo(Math.log(0.25), within(1e-7));
    assertThat(l[1]).isCloseTo(Math.log(0.75), within(1e-7));
    assertThat(BeamSearch.topK(new double[] {0.1, 0.9, 0.5, 0.7}, 2)).containsExactly(1, 3);
    assertThat(BeamSearch.topK(new double[] {0.1, 0.9}, 5)).containsExactly(1, 0);
  }
}
