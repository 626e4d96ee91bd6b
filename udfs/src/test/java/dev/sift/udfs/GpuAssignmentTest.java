package dev.sift.udfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.spark.resource.ResourceInformation;
import org.junit.jupiter.api.Test;

class GpuAssignmentTest {
  private static ResourceInformation gpus(String... addresses) {
    return new ResourceInformation("gpu", addresses);
  }

  @Test
  void takesTheDeviceSparkAssigned() {
    assertThat(GpuAssignment.deviceId(Map.of("gpu", gpus("3")))).isEqualTo(3);
    assertThat(GpuAssignment.deviceId(Map.of("gpu", gpus(" 1 ", "2")))).isEqualTo(1);
  }

  @Test
  void noGpuResourceMeansNone() {
    assertThat(GpuAssignment.deviceId(Map.of())).isEqualTo(GpuAssignment.NONE);
    assertThat(GpuAssignment.deviceId(null)).isEqualTo(GpuAssignment.NONE);
    assertThat(GpuAssignment.deviceId(Map.of("gpu", gpus()))).isEqualTo(GpuAssignment.NONE);
    assertThat(GpuAssignment.deviceId(Map.of("fpga", gpus("0")))).isEqualTo(GpuAssignment.NONE);
  }

  @Test
  void aNonNumericAddressIsAClearError() {
    assertThatThrownBy(() -> GpuAssignment.deviceId(Map.of("gpu", gpus("GPU-5f2a"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("GPU-5f2a")
        .hasMessageContaining("discovery script");
  }

  @Test
  void outsideATaskThereIsNoGpu() {
    assertThat(GpuAssignment.currentTask()).isEqualTo(GpuAssignment.NONE);
  }
}
