package dev.sift.curation.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class DecodeAheadTest {
  static final ExecutorService POOL = Executors.newFixedThreadPool(3);

  @AfterAll
  static void stop() {
    POOL.shutdownNow();
  }

  /** Row i: skipped when i % 5 == 0, fails when i % 7 == 3, else writes i into its slot. */
  static DecodeAhead<Integer> over(int rows, int batch, int lookahead) {
    List<Integer> input = IntStream.range(0, rows).boxed().toList();
    return new DecodeAhead<>(
        input.iterator(),
        i -> i % 5 != 0,
        (i, buf, off) -> {
          if (i % 7 == 3) {
            throw new IllegalArgumentException("bad row " + i);
          }
          buf[off] = i;
          buf[off + 1] = -i;
        },
        batch,
        2,
        POOL,
        lookahead);
  }

  @Test
  void everyRowComesOutOnceInOrderWithItsSlotOrItsError() {
    for (int lookahead : new int[] {0, 1, 3}) {
      DecodeAhead<Integer> batches = over(103, 8, lookahead);
      List<Integer> seen = new ArrayList<>();
      while (batches.hasNext()) {
        DecodeAhead.Batch<Integer> b = batches.next();
        int working = 0;
        for (int r = 0; r < b.rows().size(); r++) {
          int i = b.rows().get(r);
          seen.add(i);
          if (i % 5 == 0) {
            assertThat(b.slot()[r]).isEqualTo(-1);
            assertThat(b.errors()[r]).isNull();
            continue;
          }
          working++;
          if (i % 7 == 3) {
            assertThat(b.slot()[r]).isEqualTo(-1);
            assertThat(b.errors()[r]).hasMessage("bad row " + i);
          } else {
            int s = b.slot()[r];
            assertThat(s).isBetween(0, b.prepared() - 1);
            assertThat(b.buffer()[2 * s]).isEqualTo(i);
            assertThat(b.buffer()[2 * s + 1]).isEqualTo(-i);
          }
        }
        assertThat(working).isLessThanOrEqualTo(8);
      }
      assertThat(seen).as("lookahead " + lookahead).containsExactlyElementsOf(range(103));
    }
  }

  @Test
  void preparesTheNextBatchWhileTheCallerHoldsThisOne() throws Exception {
    AtomicInteger prepared = new AtomicInteger();
    DecodeAhead<Integer> batches =
        new DecodeAhead<>(
            range(32).iterator(),
            i -> true,
            (i, buf, off) -> prepared.incrementAndGet(),
            8,
            1,
            POOL,
            1);
    batches.next();
    // The second batch was queued before the first was handed out; give the pool a moment.
    for (int k = 0; k < 200 && prepared.get() < 16; k++) {
      Thread.sleep(5);
    }
    assertThat(prepared.get()).isEqualTo(16);
    assertThat(batches.workNanos()).isPositive();
  }

  @Test
  void inlineExecutionAndEmptyInputWork() {
    DecodeAhead<Integer> inline =
        new DecodeAhead<>(
            range(3).iterator(), i -> true, (i, b, o) -> b[o] = i, 2, 1, Runnable::run, 0);
    assertThat(inline.next().prepared()).isEqualTo(2);
    assertThat(inline.next().prepared()).isEqualTo(1);
    assertThat(inline.hasNext()).isFalse();
    assertThatThrownBy(inline::next).isInstanceOf(java.util.NoSuchElementException.class);
  }

  @Test
  void anErrorThatIsNotARowFailurePropagates() {
    DecodeAhead<Integer> b =
        new DecodeAhead<>(
            range(3).iterator(),
            i -> true,
            (i, buf, o) -> {
              throw new StackOverflowError("boom");
            },
            2,
            1,
            POOL,
            0);
    assertThatThrownBy(b::next).isInstanceOf(StackOverflowError.class).hasMessage("boom");
  }

  private static List<Integer> range(int n) {
    return IntStream.range(0, n).boxed().toList();
  }
}
