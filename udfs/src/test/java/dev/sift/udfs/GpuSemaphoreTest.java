package dev.sift.udfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class GpuSemaphoreTest {
  @Test
  void neverMoreCallsAtOnceThanPermitsAndFailuresReturnTheirPermit() throws Exception {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    ExecutorService tasks = Executors.newFixedThreadPool(6);
    try {
      List<Future<Integer>> done = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        int k = i;
        done.add(
            tasks.submit(
                () ->
                    GpuSemaphore.call(
                        2,
                        () -> {
                          most.accumulateAndGet(running.incrementAndGet(), Math::max);
                          try {
                            Thread.sleep(2);
                          } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                          }
                          running.decrementAndGet();
                          if (k % 10 == 0) {
                            throw new IllegalStateException("batch " + k + " failed");
                          }
                          return k;
                        })));
      }
      int failed = 0;
      for (Future<Integer> f : done) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          failed++;
        }
      }
      assertThat(failed).isEqualTo(6);
      assertThat(most.get()).isEqualTo(2);
      assertThat(GpuSemaphore.of(2).availablePermits()).isEqualTo(2);
    } finally {
      tasks.shutdownNow();
    }
    assertThatThrownBy(
            () ->
                GpuSemaphore.call(
                    2,
                    () -> {
                      throw new IllegalStateException("x");
                    }))
        .hasMessage("x");
    assertThat(GpuSemaphore.of(2).availablePermits()).isEqualTo(2);
  }
}
