package dev.sift.udfs;

import dev.sift.curation.models.Devices;
import dev.sift.curation.models.ModelOptions;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where this task's models run: {@code sift.device} resolved against this executor's ONNX Runtime,
 * on the GPU Spark assigned the task. A fallback from {@code auto} to the CPU is logged once per
 * executor JVM, so the user knows the GPU is not used.
 *
 * <p>Stateless apart from the once-per-JVM warning; thread-safe.
 */
public final class TaskDevice {
  private static final Logger LOG = LoggerFactory.getLogger(TaskDevice.class);
  private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

  private TaskDevice() {}

  /**
   * @param device {@code auto}, {@code cpu}, {@code cuda}, {@code tensorrt} or {@code
   *     tensorrt-fp16}
   * @param threads ONNX Runtime intra-op threads on the CPU (0: its default)
   */
  public static ModelOptions options(String device, int threads) {
    Devices.Resolution r = Devices.resolve(device, Devices.available());
    if (r.warning() != null && WARNED.add(r.warning())) {
      LOG.warn(r.warning());
    }
    if (r.device().gpu()) {
      int id = GpuAssignment.currentTask();
      // Without Spark GPU scheduling (local mode) the one visible GPU is device 0.
      return ModelOptions.gpu(r.device(), id == GpuAssignment.NONE ? 0 : id);
    }
    return ModelOptions.cpu(threads);
  }

  /** This executor, for the manifest: {@code host/executor id}. */
  public static String executorName() {
    org.apache.spark.SparkEnv env = org.apache.spark.SparkEnv.get();
    String host;
    try {
      host = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.io.IOException e) {
      host = "unknown-host";
    }
    return host + "/executor " + (env == null ? "?" : env.executorId());
  }

  /**
   * {@code host/executor id: CPU} or {@code …: CUDA:1}; with the GPU Spark assigned the task when
   * it assigned one, {@code host/executor id (Spark GPU 1): CPU}, so a GPU Spark handed out but the
   * model did not use shows in the manifest.
   */
  public static String describe(ModelOptions options) {
    String assigned = GpuAssignment.currentAddresses();
    return executorName()
        + (assigned == null ? "" : " (Spark GPU " + assigned + ")")
        + ": "
        + options.device()
        + (options.device().gpu() ? ":" + options.deviceId() : "");
  }
}
