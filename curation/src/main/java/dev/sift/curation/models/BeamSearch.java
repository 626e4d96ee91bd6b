package dev.sift.curation.models;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Beam search over a decoder's steps, per image, batched: every alive beam of every image is one
 * row of each decoder call; candidates are ranked by summed log-probability (after {@link
 * LogitsRules}); a beam that emits the stop token becomes a finished caption scored by {@code sum /
 * generated^lengthPenalty}; an image stops once it has {@code numBeams} finished captions (Hugging
 * Face's {@code early_stopping=True}), or at {@code maxNewTokens} (its alive beams are then
 * finished as they are). With one beam this is exactly greedy decoding.
 *
 * <p>Knows nothing of ONNX: the decoder is a {@link Decoder}. One instance per search; not
 * thread-safe.
 */
final class BeamSearch {
  /** One decoder step: logits of the next token for each row. */
  @FunctionalInterface
  interface Decoder {
    /**
     * @param rows each row's tokens so far
     * @param images the image each row belongs to
     * @param parents the row of the previous step that each row extends (null on the first step)
     */
    float[][] next(long[][] rows, int[] images, int[] parents);
  }

  /** A hypothesis: its image, tokens, summed log-probability and the previous step's row. */
  private record Beam(int image, long[] tokens, double score, int parent) {}

  /** A finished caption and its length-normalised score. */
  private record Done(long[] tokens, double score) {}

  private final Decoder decoder;
  private final long[] prefix;
  private final long eos;
  private final Generation generation;

  /**
   * @param prefix the start token and the prompt, which every caption begins with
   * @param eos the stop token
   */
  BeamSearch(Decoder decoder, long[] prefix, long eos, Generation generation) {
    this.decoder = decoder;
    this.prefix = prefix.clone();
    this.eos = eos;
    this.generation = generation;
  }

  /** The best caption's tokens for each of {@code n} images, with {@code k} beams. */
  long[][] run(int n, int k) {
    List<List<Done>> done = new ArrayList<>();
    List<Beam> alive = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      done.add(new ArrayList<>());
      alive.add(new Beam(i, prefix, 0.0, -1));
    }
    int[] parents = null;
    for (int step = 0; step < generation.maxNewTokens() && !alive.isEmpty(); step++) {
      long[][] rows = new long[alive.size()][];
      int[] images = new int[alive.size()];
      for (int i = 0; i < rows.length; i++) {
        rows[i] = alive.get(i).tokens();
        images[i] = alive.get(i).image();
      }
      float[][] logits = decoder.next(rows, images, parents);
      Map<Integer, List<Beam>> candidates = new TreeMap<>();
      for (int i = 0; i < rows.length; i++) {
        Beam b = alive.get(i);
        LogitsRules.apply(logits[i], b.tokens(), step, generation, eos);
        double[] logp = LogitsRules.logSoftmax(logits[i]);
        for (int t : topK(logp, 2 * k)) {
          candidates
              .computeIfAbsent(b.image(), x -> new ArrayList<>())
              .add(new Beam(b.image(), append(b.tokens(), t), b.score() + logp[t], i));
        }
      }
      List<Beam> next = new ArrayList<>();
      for (Map.Entry<Integer, List<Beam>> e : candidates.entrySet()) {
        List<Done> finished = done.get(e.getKey());
        List<Beam> ranked = new ArrayList<>(e.getValue());
        ranked.sort(Comparator.comparingDouble(Beam::score).reversed());
        int kept = 0;
        for (Beam c : ranked) {
          if (kept == k || finished.size() >= k) {
            break;
          }
          long last = c.tokens()[c.tokens().length - 1];
          if (last == eos) {
            finished.add(new Done(c.tokens(), normalised(c.score(), c.tokens().length)));
          } else {
            next.add(c);
            kept++;
          }
        }
        if (finished.size() >= k) {
          next.removeIf(b -> b.image() == e.getKey());
        }
      }
      alive = next;
      parents = next.stream().mapToInt(Beam::parent).toArray();
    }
    for (Beam b : alive) {
      done.get(b.image()).add(new Done(b.tokens(), normalised(b.score(), b.tokens().length)));
    }
    long[][] out = new long[n][];
    for (int i = 0; i < n; i++) {
      out[i] =
          done.get(i).stream().max(Comparator.comparingDouble(Done::score)).orElseThrow().tokens();
    }
    return out;
  }

  /**
   * A summed log-probability over a caption of {@code length} tokens (prefix included), divided by
   * the generated length to the power {@code lengthPenalty}: what beams are ranked by.
   */
  double normalised(double sum, int length) {
    int generated = length - prefix.length;
    return sum / Math.pow(Math.max(1, generated), generation.lengthPenalty());
  }

  /** The indices of the {@code k} largest values, largest first. */
  static int[] topK(double[] values, int k) {
    k = Math.min(k, values.length);
    int[] best = new int[k];
    double[] bestV = new double[k];
    Arrays.fill(bestV, Double.NEGATIVE_INFINITY);
    Arrays.fill(best, -1);
    for (int i = 0; i < values.length; i++) {
      double v = values[i];
      if (v <= bestV[k - 1] && best[k - 1] >= 0) {
        continue;
      }
      int j = k - 1;
      while (j > 0 && (best[j - 1] < 0 || v > bestV[j - 1])) {
        bestV[j] = bestV[j - 1];
        best[j] = best[j - 1];
        j--;
      }
      bestV[j] = v;
      best[j] = i;
    }
    return Arrays.stream(best).filter(i -> i >= 0).toArray();
  }

  static long[] append(long[] seq, long token) {
    long[] out = Arrays.copyOf(seq, seq.length + 1);
    out[seq.length] = token;
    return out;
  }
}
