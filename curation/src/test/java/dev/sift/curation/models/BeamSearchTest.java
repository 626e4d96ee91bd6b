package dev.sift.curation.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Beam search against a synthetic decoder (logits a seeded function of the image and the last two
 * tokens): one beam is exactly greedy decoding, and three beams score at least as well on the
 * whole, without any model file.
 */
class BeamSearchTest {
  static final int VOCAB = 12;
  static final long EOS = 11;
  static final long[] PREFIX = {0, 5};

  /** Logits for a row: deterministic in (image, last two tokens); the stop token grows likelier. */
  static float[] logits(int image, long[] row) {
    long a = row[row.length - 1];
    long b = row.length > 1 ? row[row.length - 2] : -1;
    SplittableRandom r = new SplittableRandom(image * 1_000_003L + a * 1009 + b);
    float[] out = new float[VOCAB];
    for (int v = 0; v < VOCAB; v++) {
      out[v] = (float) (r.nextDouble() * 4);
    }
    out[(int) EOS] += 0.3f * row.length;
    return out;
  }

  static final BeamSearch.Decoder DECODER =
      (rows, images, parents) -> {
        float[][] out = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
          out[i] = logits(images[i], rows[i]);
        }
        return out;
      };

  static long[] greedy(int image, Generation g) {
    long[] seq = PREFIX;
    for (int step = 0; step < g.maxNewTokens(); step++) {
      float[] l = logits(image, seq);
      LogitsRules.apply(l, seq, step, g, EOS);
      long t = LogitsRules.argmax(l);
      seq = BeamSearch.append(seq, t);
      if (t == EOS) {
        break;
      }
    }
    return seq;
  }

  static double score(int image, long[] tokens, BeamSearch search) {
    double sum = 0;
    for (int t = PREFIX.length; t < tokens.length; t++) {
      sum += LogitsRules.logSoftmax(logits(image, Arrays.copyOf(tokens, t)))[(int) tokens[t]];
    }
    return search.normalised(sum, tokens.length);
  }

  @Test
  void oneBeamIsGreedy() {
    Generation g = new Generation(1, 1.0, 10, 0, 1.0, 0, null);
    long[][] beams = new BeamSearch(DECODER, PREFIX, EOS, g).run(40, 1);
    for (int i = 0; i < 40; i++) {
      assertThat(beams[i]).as("image %d", i).containsExactly(greedy(i, g));
    }
  }

  @Test
  void threeBeamsScoreAtLeastAsWellOnTheWhole() {
    Generation g = new Generation(3, 1.0, 10, 0, 1.0, 0, null);
    BeamSearch search = new BeamSearch(DECODER, PREFIX, EOS, g);
    long[][] beams = search.run(40, 3);
    double greedyTotal = 0;
    double beamTotal = 0;
    for (int i = 0; i < 40; i++) {
      assertThat(Arrays.copyOf(beams[i], PREFIX.length)).containsExactly(PREFIX);
      assertThat(beams[i][beams[i].length - 1] == EOS || beams[i].length == PREFIX.length + 10)
          .isTrue();
      greedyTotal += score(i, greedy(i, g), search);
      beamTotal += score(i, beams[i], search);
    }
    assertThat(beamTotal).isGreaterThan(greedyTotal);
  }
}
