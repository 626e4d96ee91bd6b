package dev.sift.curation.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class DirectFloatsTest {

  private static float[] ramp(int n, float start) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = start + i;
    }
    return v;
  }

  private static float[] read(FloatBuffer b) {
    float[] out = new float[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  @Test
  void stagesExactlyTheRangeAsADirectNativeOrderBuffer() {
    float[] values = ramp(10, 1f);
    FloatBuffer staged = DirectFloats.stage(values, 3, 4);
    assertThat(staged.isDirect()).isTrue();
    assertThat(staged.order()).isEqualTo(ByteOrder.nativeOrder());
    assertThat(staged.position()).isZero();
    assertThat(staged.remaining()).isEqualTo(4);
    assertThat(read(staged)).containsExactly(4f, 5f, 6f, 7f);
  }

  @Test
  void aSmallerInputAfterALargerOneSeesOnlyItsOwnValues() {
    DirectFloats.stage(ramp(1000, 0f), 0, 1000);
    FloatBuffer small = DirectFloats.stage(ramp(3, -5f), 0, 3);
    assertThat(read(small)).containsExactly(-5f, -4f, -3f);
    // Growing again keeps working and holds the new values only.
    FloatBuffer large = DirectFloats.stage(ramp(5000, 7f), 0, 5000);
    assertThat(large.remaining()).isEqualTo(5000);
    assertThat(large.get(0)).isEqualTo(7f);
    assertThat(large.get(4999)).isEqualTo(5006f);
  }

  @Test
  void threadsDoNotShareTheirBuffers() throws Exception {
    FloatBuffer mine = DirectFloats.stage(ramp(8, 100f), 0, 8);
    CompletableFuture.runAsync(() -> DirectFloats.stage(ramp(8, -100f), 0, 8)).get();
    assertThat(read(mine)).containsExactly(ramp(8, 100f));
  }

  @Test
  void slotsOfOneCallHoldTheirInputsAtOnce() {
    // Rows of 2 floats: rows 2, 0 of the states, row 1 of a cached key.
    FloatBuffer states =
        DirectFloats.gather("encoder_hidden_states", ramp(6, 10f), new int[] {2, 0}, 2);
    FloatBuffer key = DirectFloats.gather("past_key_values.0.key", ramp(4, -1f), new int[] {1}, 2);
    FloatBuffer pixels = DirectFloats.stage(ramp(3, 50f), 0, 3);
    assertThat(states.isDirect()).isTrue();
    assertThat(read(states)).containsExactly(14f, 15f, 10f, 11f);
    assertThat(read(key)).containsExactly(1f, 2f);
    assertThat(read(pixels)).containsExactly(ramp(3, 50f));
    // The next step reuses its slot's buffer; other slots keep their values.
    FloatBuffer again = DirectFloats.gather("past_key_values.0.key", ramp(2, 9f), new int[] {0}, 2);
    assertThat(read(again)).containsExactly(9f, 10f);
    assertThat(read(states)).containsExactly(14f, 15f, 10f, 11f);
  }
}
