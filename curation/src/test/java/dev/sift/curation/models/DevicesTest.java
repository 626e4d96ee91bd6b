package dev.sift.curation.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtProvider;
import java.util.EnumSet;
import org.junit.jupiter.api.Test;

class DevicesTest {
  private static final EnumSet<OrtProvider> CPU_ONLY = EnumSet.of(OrtProvider.CPU);
  private static final EnumSet<OrtProvider> WITH_CUDA =
      EnumSet.of(OrtProvider.CPU, OrtProvider.CUDA);

  @Test
  void cudaWithoutProviderFailsNamingTheKey() {
    assertThatThrownBy(() -> Devices.resolve("cuda", CPU_ONLY))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sift.device = cuda")
        .hasMessageContaining("-Pgpu");
    assertThat(Devices.resolve("cuda", WITH_CUDA).device()).isEqualTo(Devices.Device.CUDA);
  }

  @Test
  void autoFallsBackToCpuWithOneWarning() {
    Devices.Resolution r = Devices.resolve("auto", CPU_ONLY);
    assertThat(r.device()).isEqualTo(Devices.Device.CPU);
    assertThat(r.warning()).contains("CPU");
    assertThat(Devices.resolve("auto", WITH_CUDA))
        .isEqualTo(new Devices.Resolution(Devices.Device.CUDA, null));
    assertThat(Devices.resolve("cpu", WITH_CUDA).device()).isEqualTo(Devices.Device.CPU);
  }

  @Test
  void thisBuildReportsTheCpuProvider() {
    // The real native library: the default (cpu) profile must load and offer the CPU provider.
    assertThat(Devices.available()).contains(OrtProvider.CPU);
  }
}
