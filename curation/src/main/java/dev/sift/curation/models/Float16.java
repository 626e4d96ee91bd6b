package dev.sift.curation.models;

import ai.onnxruntime.platform.Fp16Conversions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Embeddings as compact bytes: IEEE float16, little-endian, two bytes per value (the layout numpy
 * reads with {@code np.frombuffer(b, dtype="<f2")}). Normalised embeddings lie in [-1, 1], where
 * float16 keeps about three decimal digits: enough for similarity and diversity, at half the size.
 *
 * <p>Stateless and thread-safe.
 */
public final class Float16 {
  private Float16() {}

  /** {@code values} as float16 bytes (round to nearest even). */
  public static byte[] encode(float[] values) {
    ByteBuffer out = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      out.putShort(Fp16Conversions.floatToFp16(v));
    }
    return out.array();
  }

  /** The floats of {@link #encode} bytes. */
  public static float[] decode(byte[] bytes) {
    if (bytes.length % 2 != 0) {
      throw new IllegalArgumentException("float16 bytes come in pairs, got " + bytes.length);
    }
    ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[bytes.length / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = Fp16Conversions.fp16ToFloat(in.getShort());
    }
    return out;
  }
}
