package dev.sift.curation.models;

import java.util.Arrays;

/**
 * The rules applied to a step's logits before the next token is chosen, in Hugging Face's order:
 * repetition penalty, then no-repeat n-grams, then the minimum length. Pure functions over plain
 * arrays, so each rule is tested on hand-made logits.
 *
 * <p>Stateless and thread-safe.
 */
public final class LogitsRules {
  private LogitsRules() {}

  /**
   * Applies every rule of {@code g} in place.
   *
   * @param sequence the tokens so far (start token and prompt included)
   * @param generated how many of them were generated
   */
  public static void apply(float[] logits, long[] sequence, int generated, Generation g, long eos) {
    repetitionPenalty(logits, sequence, g.repetitionPenalty());
    noRepeatNgrams(logits, sequence, g.noRepeatNgramSize());
    if (generated < g.minNewTokens()) {
      forbid(logits, eos);
    }
  }

  /**
   * CTRL's rule as Hugging Face applies it: each token already in {@code sequence} has a positive
   * logit divided by {@code penalty} and a negative one multiplied by it (once per token).
   */
  public static void repetitionPenalty(float[] logits, long[] sequence, double penalty) {
    if (penalty == 1.0) {
      return;
    }
    long[] seen = Arrays.stream(sequence).distinct().toArray();
    for (long t : seen) {
      if (t < 0 || t >= logits.length) {
        continue;
      }
      int i = (int) t;
      logits[i] = (float) (logits[i] > 0 ? logits[i] / penalty : logits[i] * penalty);
    }
  }

  /**
   * Forbids every token that would complete an n-gram already in {@code sequence}: for n-grams
   * ending at the last {@code n - 1} tokens, the tokens that followed the same prefix before.
   */
  public static void noRepeatNgrams(float[] logits, long[] sequence, int n) {
    if (n <= 0 || sequence.length + 1 < n) {
      return;
    }
    int prefix = n - 1;
    int start = sequence.length - prefix;
    for (int i = 0; i + prefix < sequence.length; i++) {
      boolean same = true;
      for (int k = 0; k < prefix && same; k++) {
        same = sequence[i + k] == sequence[start + k];
      }
      if (same) {
        forbid(logits, sequence[i + prefix]);
      }
    }
  }

  /** Sets a token's logit to minus infinity. */
  public static void forbid(float[] logits, long token) {
    if (token >= 0 && token < logits.length) {
      logits[(int) token] = Float.NEGATIVE_INFINITY;
    }
  }

  /** The index of the largest logit (the first on ties), as {@code argmax} picks it. */
  public static int argmax(float[] logits) {
    int best = 0;
    for (int i = 1; i < logits.length; i++) {
      if (logits[i] > logits[best]) {
        best = i;
      }
    }
    return best;
  }

  /** {@code log_softmax} in double precision. */
  public static double[] logSoftmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : logits) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (float v : logits) {
      sum += Math.exp(v - max);
    }
    double log = max + Math.log(sum);
    double[] out = new double[logits.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = logits[i] - log;
    }
    return out;
  }
}
