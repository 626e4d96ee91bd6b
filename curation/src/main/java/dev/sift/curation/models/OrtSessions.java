package dev.sift.curation.models;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtTensorRTProviderOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Opens the ONNX Runtime sessions of every model (CLIP's towers, the captioner's encoder and
 * decoders, heads) on the device their {@link ModelOptions} name. Stateless; thread-safe; the
 * caller closes the sessions.
 */
public final class OrtSessions {
  private OrtSessions() {}

  /**
   * A session for {@code file} on {@code options}' device: TensorRT (with CUDA for the nodes it
   * cannot take), CUDA, or the CPU with its thread count.
   *
   * @throws IOException naming the file and the device when ONNX Runtime cannot load it there
   */
  public static OrtSession create(OrtEnvironment env, Path file, ModelOptions options)
      throws IOException {
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      if (options.intraOpThreads() > 0) {
        so.setIntraOpNumThreads(options.intraOpThreads());
      }
      if (options.device().tensorrt()) {
        // TensorRT first; the nodes it cannot take fall to CUDA. Building an engine takes
        // minutes on a real CLIP, so engines are cached on the executor's local disk.
        OrtTensorRTProviderOptions trt = new OrtTensorRTProviderOptions(options.deviceId());
        trt.add("trt_engine_cache_enable", "1");
        trt.add("trt_engine_cache_path", tensorrtCache().toString());
        if (options.device() == Devices.Device.TENSORRT_FP16) {
          trt.add("trt_fp16_enable", "1");
        }
        so.addTensorrt(trt);
      }
      if (options.device().gpu()) {
        // Only when asked: the CPU build has no CUDA provider and would fail here.
        so.addCUDA(options.deviceId());
      }
      return env.createSession(file.toString(), so);
    } catch (OrtException e) {
      throw new IOException(
          "ONNX Runtime cannot load " + file + " on " + describe(options) + ": " + e.getMessage(),
          e);
    }
  }

  /**
   * Where TensorRT engines are cached: {@code $SIFT_TENSORRT_CACHE}, else {@code
   * java.io.tmpdir/sift-tensorrt} (an executor's local scratch directory on YARN and Kubernetes).
   */
  static Path tensorrtCache() throws IOException {
    String env = System.getenv("SIFT_TENSORRT_CACHE");
    Path dir =
        env != null && !env.isBlank()
            ? Path.of(env)
            : Path.of(System.getProperty("java.io.tmpdir"), "sift-tensorrt");
    return Files.createDirectories(dir);
  }

  /** {@code CPU (1 threads)} or {@code CUDA device 1}, for logs and errors. */
  public static String describe(ModelOptions options) {
    return options.device().gpu()
        ? options.device().label() + " device " + options.deviceId()
        : "CPU"
            + (options.intraOpThreads() > 0 ? " (" + options.intraOpThreads() + " threads)" : "");
  }
}
