package dev.sift.curation.models;

/**
 * How a {@link Captioner} decodes: greedy ({@code numBeams == 1}) or beam search, and the logits
 * rules applied before each choice ({@link LogitsRules}).
 *
 * @param numBeams beams per image; 1 is greedy
 * @param lengthPenalty beam search ranks a finished caption by its summed log-probability divided
 *     by (generated tokens)^lengthPenalty
 * @param maxNewTokens most tokens generated after the start token and the prompt
 * @param minNewTokens the stop token is masked until this many tokens are generated
 * @param repetitionPenalty CTRL's penalty on tokens already in the sequence (1: none)
 * @param noRepeatNgramSize no n-gram of this size occurs twice (0: off)
 *     <p>Serialisable: it travels to executors with the stage settings.
 * @param prompt text the caption starts with (null or empty: none); it is part of the caption
 */
public record Generation(
    int numBeams,
    double lengthPenalty,
    int maxNewTokens,
    int minNewTokens,
    double repetitionPenalty,
    int noRepeatNgramSize,
    String prompt)
    implements java.io.Serializable {
  public Generation {
    if (numBeams < 1) {
      throw new IllegalArgumentException("numBeams must be >= 1: " + numBeams);
    }
    if (maxNewTokens < 1) {
      throw new IllegalArgumentException("maxNewTokens must be >= 1: " + maxNewTokens);
    }
    if (minNewTokens < 0 || minNewTokens > maxNewTokens) {
      throw new IllegalArgumentException(
          "minNewTokens must be in [0, maxNewTokens = " + maxNewTokens + "]: " + minNewTokens);
    }
    if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
      throw new IllegalArgumentException("repetitionPenalty must be > 0: " + repetitionPenalty);
    }
    if (noRepeatNgramSize < 0) {
      throw new IllegalArgumentException("noRepeatNgramSize must be >= 0: " + noRepeatNgramSize);
    }
    if (Double.isNaN(lengthPenalty) || Double.isInfinite(lengthPenalty)) {
      throw new IllegalArgumentException("lengthPenalty must be finite: " + lengthPenalty);
    }
  }

  /** Greedy decoding of at most {@code maxNewTokens} tokens, no rules, no prompt. */
  public static Generation greedy(int maxNewTokens) {
    return new Generation(1, 1.0, maxNewTokens, 0, 1.0, 0, null);
  }
}
