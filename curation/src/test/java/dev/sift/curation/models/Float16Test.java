package dev.sift.curation.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class Float16Test {
  @Test
  void bytesAreLittleEndianHalfFloatsAndRoundTripWithinHalfPrecision() {
    byte[] b = Float16.encode(new float[] {1.0f, -2.0f, 0.0f});
    // 1.0 = 0x3C00, -2.0 = 0xC000: low byte first.
    assertThat(b).containsExactly(0x00, 0x3C, 0x00, (byte) 0xC0, 0x00, 0x00);
    float[] v = new float[1000];
    java.util.Random r = new java.util.Random(7);
    for (int i = 0; i < v.length; i++) {
      v[i] = r.nextFloat() * 2 - 1;
    }
    float[] back = Float16.decode(Float16.encode(v));
    for (int i = 0; i < v.length; i++) {
      // float16 has an 11-bit significand: relative error at most 2^-11.
      assertThat(back[i]).isCloseTo(v[i], within(Math.abs(v[i]) / 2048 + 1e-7f));
    }
  }
}
