package dev.sift.udfs;

import java.util.Map;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * Which GPU a task may use, as Spark's resource scheduling assigned it ({@code
 * spark.executor.resource.gpu.amount}, {@code spark.task.resource.gpu.amount} and a discovery
 * script): never a hard-coded device 0, which would pile every executor of a node onto one GPU.
 *
 * <p>Stateless and thread-safe.
 */
public final class GpuAssignment {
  /** Spark's resource name for GPUs. */
  public static final String GPU = "gpu";

  /** No GPU was assigned. */
  public static final int NONE = -1;

  private GpuAssignment() {}

  /**
   * The CUDA device id among a task's resources: the first address of the {@code gpu} resource, or
   * {@link #NONE}. Pure, so it is tested without a cluster.
   *
   * @throws IllegalArgumentException when an address is not a device number
   */
  public static int deviceId(Map<String, ResourceInformation> resources) {
    ResourceInformation gpu = resources == null ? null : resources.get(GPU);
    if (gpu == null || gpu.addresses().length == 0) {
      return NONE;
    }
    String address = gpu.addresses()[0].trim();
    try {
      return Integer.parseInt(address);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "Spark assigned GPU address '"
              + address
              + "', which is not a CUDA device number; check the GPU discovery script",
          e);
    }
  }

  /**
   * The GPU addresses Spark gave the running task, comma-separated ({@code "1"}), or null outside a
   * task or without a GPU. For the manifest: it is recorded even when the model ends on the CPU.
   */
  public static String currentAddresses() {
    TaskContext task = TaskContext.get();
    ResourceInformation gpu =
        task == null
            ? null
            : scala.jdk.javaapi.CollectionConverters.asJava(task.resources()).get(GPU);
    return gpu == null || gpu.addresses().length == 0 ? null : String.join(",", gpu.addresses());
  }

  /** The device id of the running task, or {@link #NONE} outside a task or without a GPU. */
  public static int currentTask() {
    TaskContext task = TaskContext.get();
    if (task == null) {
      return NONE;
    }
    return deviceId(scala.jdk.javaapi.CollectionConverters.asJava(task.resources()));
  }
}
