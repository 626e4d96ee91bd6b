package dev.sift.curation.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShrinkingBatchTest {
  /** A fake device that fits at most {@code fits} rows per call. */
  static ShrinkingBatch.Call device(int fits, List<Integer> calls) {
    return (start, count) -> {
      calls.add(count);
      if (count > fits) {
        throw new IllegalStateException(
            "image tower failed: CUDA failure 2: out of memory ; GPU=0");
      }
      float[][] r = new float[count][];
      for (int i = 0; i < count; i++) {
        r[i] = new float[] {start + i};
      }
      return r;
    };
  }

  @Test
  void halvesUntilTheBatchFitsAndKeepsEveryRowInOrder() {
    List<String> log = new ArrayList<>();
    ShrinkingBatch s = new ShrinkingBatch(64, (from, to, e) -> log.add(from + "->" + to));
    List<Integer> calls = new ArrayList<>();
    float[][] out = s.run(100, device(20, calls));
    assertThat(log).containsExactly("64->32", "32->16");
    assertThat(s.limit()).isEqualTo(16);
    for (int i = 0; i < 100; i++) {
      assertThat(out[i][0]).isEqualTo(i);
    }
    // Later calls start at the learnt size.
    calls.clear();
    s.run(40, device(20, calls));
    assertThat(calls).containsExactly(16, 16, 8);
  }

  @Test
  void failsWhenOneRowDoesNotFitOrTheErrorIsNotMemory() {
    ShrinkingBatch s = new ShrinkingBatch(4, (a, b, e) -> {});
    assertThatThrownBy(() -> s.run(4, device(0, new ArrayList<>())))
        .hasMessageContaining("out of memory");
    assertThat(s.limit()).isEqualTo(1);
    ShrinkingBatch t = new ShrinkingBatch(4, (a, b, e) -> {});
    assertThatThrownBy(
            () ->
                t.run(
                    4,
                    (st, c) -> {
                      throw new IllegalArgumentException("bad input shape");
                    }))
        .hasMessage("bad input shape");
    assertThat(t.limit()).isEqualTo(4);
  }

  @Test
  void recognisesOnnxRuntimeMemoryMessagesThroughCauses() {
    assertThat(
            ShrinkingBatch.isOutOfMemory(
                new RuntimeException(
                    "wrapped",
                    new IllegalStateException(
                        "Failed to allocate memory for requested buffer of size 123"))))
        .isTrue();
    assertThat(ShrinkingBatch.isOutOfMemory(new RuntimeException("BFCArena::AllocateRawInternal")))
        .isTrue();
    assertThat(ShrinkingBatch.isOutOfMemory(new RuntimeException("invalid dimensions"))).isFalse();
    assertThat(ShrinkingBatch.isOutOfMemory(new RuntimeException("x", new OutOfMemoryError())))
        .isFalse();
  }

  @Test
  void captionsAndHeadValuesHalveTheSameWay() {
    // A captioner that fits 3 images per call: its captions come back whole and in order.
    List<String> log = new ArrayList<>();
    ShrinkingBatch s = new ShrinkingBatch(8, (from, to, e) -> log.add(from + "->" + to));
    List<Integer> calls = new ArrayList<>();
    List<String> captions =
        s.runRows(
            10,
            (start, count) -> {
              calls.add(count);
              if (count > 3) {
                throw new RuntimeException(
                    "decoder step failed", new RuntimeException("Failed to allocate memory"));
              }
              List<String> out = new ArrayList<>();
              for (int i = 0; i < count; i++) {
                out.add("caption " + (start + i));
              }
              return out;
            });
    assertThat(log).containsExactly("8->4", "4->2");
    assertThat(captions).hasSize(10).startsWith("caption 0", "caption 1").endsWith("caption 9");
    assertThat(calls).containsExactly(8, 4, 2, 2, 2, 2, 2);
    assertThatThrownBy(() -> s.runRows(2, (start, count) -> List.of("only one")))
        .hasMessageContaining("gave 1 results");
  }
}
