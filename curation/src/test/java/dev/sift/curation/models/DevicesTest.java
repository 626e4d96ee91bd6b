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
  void tensorRtNeedsItsProviderAndCuda() {
    assertThatThrownBy(() -> Devices.resolve("tensorrt", WITH_CUDA))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("sift.device = tensorrt")
        .hasMessageContaining("no TensorRT provider");
    assertThatThrownBy(() -> Devices.resolve("tensorrt-fp16", EnumSet.of(OrtProvider.TENSOR_RT)))
        .hasMessageContaining("with CUDA beside it");
    EnumSet<OrtProvider> gpuBuild =
        EnumSet.of(OrtProvider.CPU, OrtProvider.CUDA, OrtProvider.TENSOR_RT);
    assertThat(Devices.resolve("tensorrt", gpuBuild).device()).isEqualTo(Devices.Device.TENSORRT);
    assertThat(Devices.resolve("tensorrt-fp16", gpuBuild).device())
        .isEqualTo(Devices.Device.TENSORRT_FP16);
    // auto never picks TensorRT: engine builds take minutes and fp16 moves scores.
    assertThat(Devices.resolve("auto", gpuBuild).device()).isEqualTo(Devices.Device.CUDA);
    assertThat(Devices.Device.TENSORRT_FP16.gpu()).isTrue();
    assertThat(Devices.Device.CUDA.tensorrt()).isFalse();
    assertThat(Devices.Device.CPU.gpu()).isFalse();
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
