package dev.sift.udfs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sift.curation.batch.ShrinkingBatch;
import dev.sift.curation.models.ModelOptions;
import org.junit.jupiter.api.Test;

class ModelLimitsTest {
  private static final ModelOptions CPU = ModelOptions.cpu(1);

  /** Halves {@code limit} once, as an out-of-memory failure on a device would. */
  private static void outOfMemoryOnce(ShrinkingBatch limit) {
    boolean[] failed = {false};
    limit.runRows(
        limit.limit(),
        (start, count) -> {
          if (!failed[0]) {
            failed[0] = true;
            throw new RuntimeException("CUDA failure 2: out of memory");
          }
          return java.util.Collections.nCopies(count, "x");
        });
  }

  @Test
  void aHalvedLimitIsSharedByItsModelDeviceAndBatchSizeOnly() {
    ShrinkingBatch first = ModelLimits.of("/models/limits-test", CPU, 64);
    outOfMemoryOnce(first);
    assertThat(first.limit()).isEqualTo(32);
    // The same model, device and batch size: another task of the run starts at the learnt size.
    assertThat(ModelLimits.of("/models/limits-test", CPU, 64)).isSameAs(first);
    // A later run with another batch size starts from its own size, not the halved one.
    assertThat(ModelLimits.of("/models/limits-test", CPU, 16).limit()).isEqualTo(16);
    assertThat(ModelLimits.of("/models/limits-test", CPU, 128).limit()).isEqualTo(128);
    // Another model (a head, a captioner) has its own limit.
    assertThat(ModelLimits.of("/models/head.onnx", CPU, 64).limit()).isEqualTo(64);
  }
}
