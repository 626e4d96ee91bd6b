package dev.sift.curation.models;

import dev.sift.curation.models.Devices.Device;
import java.util.Objects;

/**
 * Where and how a model's ONNX Runtime sessions run: CLIP, the captioner, the heads.
 *
 * <p>Immutable; thread-safe.
 *
 * @param device {@link Device#CPU}, {@link Device#CUDA} or a TensorRT device; the GPU devices need
 *     the {@code gpu} build ({@code onnxruntime_gpu}) and fail at {@link ClipModel#open} without it
 * @param deviceId the CUDA device ordinal (from Spark's resource scheduling, never assumed to be
 *     0); ignored on the CPU
 * @param intraOpThreads threads ONNX Runtime uses inside one operator on the CPU; 0 leaves ONNX
 *     Runtime's default (one per physical core), which oversubscribes an executor that runs several
 *     tasks, so Spark callers should set it
 */
public record ModelOptions(Device device, int deviceId, int intraOpThreads) {
  public ModelOptions {
    Objects.requireNonNull(device, "device");
    if (deviceId < 0) {
      throw new IllegalArgumentException("deviceId must be >= 0: " + deviceId);
    }
    if (intraOpThreads < 0) {
      throw new IllegalArgumentException(
          "intraOpThreads must be >= 0 (0 = ONNX Runtime's default): " + intraOpThreads);
    }
  }

  /** CPU with ONNX Runtime's default thread count. */
  public static ModelOptions cpu() {
    return new ModelOptions(Device.CPU, 0, 0);
  }

  /** CPU with {@code intraOpThreads} threads per operator. */
  public static ModelOptions cpu(int intraOpThreads) {
    return new ModelOptions(Device.CPU, 0, intraOpThreads);
  }

  /** CUDA device {@code deviceId}. */
  public static ModelOptions cuda(int deviceId) {
    return new ModelOptions(Device.CUDA, deviceId, 0);
  }

  /** {@code gpu} ({@link Device#CUDA} or a TensorRT device) on device {@code deviceId}. */
  public static ModelOptions gpu(Device gpu, int deviceId) {
    if (!gpu.gpu()) {
      throw new IllegalArgumentException("not a GPU device: " + gpu);
    }
    return new ModelOptions(gpu, deviceId, 0);
  }
}
