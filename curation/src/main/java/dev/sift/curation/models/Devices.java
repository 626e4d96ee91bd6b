package dev.sift.curation.models;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import java.util.EnumSet;
import java.util.Locale;

/**
 * Resolves {@code sift.device} against the execution providers this ONNX Runtime build has: the CPU
 * build ({@code onnxruntime}) has only the CPU provider; the GPU build ({@code onnxruntime_gpu},
 * Maven profile {@code gpu}) adds CUDA and TensorRT when their libraries load.
 *
 * <p>Stateless and thread-safe. Loads ONNX Runtime's native library on first use.
 */
public final class Devices {
  /** Where models will run. */
  public enum Device {
    CPU("CPU"),
    CUDA("CUDA"),
    /** TensorRT, with CUDA for the nodes TensorRT cannot take; engines cached on local disk. */
    TENSORRT("TensorRT"),
    /** As {@link #TENSORRT}, letting TensorRT build float16 kernels (faster, scores drift). */
    TENSORRT_FP16("TensorRT (fp16)");

    private final String label;

    Device(String label) {
      this.label = label;
    }

    /** The device's name for logs and the manifest. */
    public String label() {
      return label;
    }

    /** Whether this device is a GPU (CUDA ordinal, GPU semaphore, out-of-memory halving). */
    public boolean gpu() {
      return this != CPU;
    }

    /** Whether ONNX Runtime's TensorRT provider runs the models. */
    public boolean tensorrt() {
      return this == TENSORRT || this == TENSORRT_FP16;
    }
  }

  /** The outcome of resolving a requested device: the device and, if it fell back, why. */
  public record Resolution(Device device, String warning) {}

  private Devices() {}

  /** The providers ONNX Runtime reports on this machine. */
  public static EnumSet<OrtProvider> available() {
    try {
      return OrtEnvironment.getAvailableProviders();
    } catch (RuntimeException | UnsatisfiedLinkError e) {
      throw new IllegalStateException("cannot load ONNX Runtime: " + e.getMessage(), e);
    }
  }

  /**
   * @param requested {@code auto}, {@code cpu}, {@code cuda}, {@code tensorrt} or {@code
   *     tensorrt-fp16}
   * @param providers what ONNX Runtime offers (see {@link #available()})
   * @throws IllegalArgumentException for {@code cuda} without a CUDA provider, or TensorRT without
   *     the TensorRT and CUDA providers
   */
  public static Resolution resolve(String requested, EnumSet<OrtProvider> providers) {
    boolean cuda = providers.contains(OrtProvider.CUDA);
    return switch (requested.toLowerCase(Locale.ROOT)) {
      case "cpu" -> new Resolution(Device.CPU, null);
      case "cuda" -> {
        if (!cuda) {
          throw new IllegalArgumentException(
              "sift.device = cuda, but this ONNX Runtime has no CUDA provider (it has "
                  + providers
                  + "); build Sift with -Pgpu (onnxruntime_gpu) and run where CUDA is installed,"
                  + " or set sift.device = auto or cpu");
        }
        yield new Resolution(Device.CUDA, null);
      }
      case "tensorrt", "tensorrt-fp16" -> {
        if (!providers.contains(OrtProvider.TENSOR_RT) || !cuda) {
          throw new IllegalArgumentException(
              "sift.device = "
                  + requested
                  + ", but this ONNX Runtime has no TensorRT provider with CUDA beside it (it has "
                  + providers
                  + "); build Sift with -Pgpu (onnxruntime_gpu) and run where CUDA and TensorRT"
                  + " are installed, or set sift.device = cuda, auto or cpu");
        }
        yield new Resolution(
            requested.equalsIgnoreCase("tensorrt") ? Device.TENSORRT : Device.TENSORRT_FP16, null);
      }
      case "auto" ->
          cuda
              ? new Resolution(Device.CUDA, null)
              : new Resolution(
                  Device.CPU,
                  "sift.device = auto: no CUDA provider in this ONNX Runtime ("
                      + providers
                      + "), models run on the CPU");
      default -> throw new IllegalArgumentException("unknown device: " + requested);
    };
  }
}
