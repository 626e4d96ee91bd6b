package dev.sift.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code conf/gpu-discovery.sh} as Spark runs it: JSON on stdout and exit 0 where nvidia-smi lists
 * GPUs; a message on stderr and exit 1 where there is no nvidia-smi or it fails.
 */
class GpuDiscoveryScriptTest {
  private static final Path SCRIPT =
      Path.of(System.getProperty("sift.repo.dir", ".."))
          .toAbsolutePath()
          .resolve("conf/gpu-discovery.sh");

  @TempDir Path tmp;

  /** A PATH with the script's tools and, when given, a stand-in nvidia-smi; nothing else. */
  private Path bin(String nvidiaSmi) throws Exception {
    Path bin = Files.createDirectories(tmp.resolve("bin"));
    for (String tool : List.of("hostname", "tr", "grep", "paste", "sed")) {
      for (String dir : List.of("/usr/bin", "/bin")) {
        Path real = Path.of(dir, tool);
        if (Files.isExecutable(real) && !Files.exists(bin.resolve(tool))) {
          Files.createSymbolicLink(bin.resolve(tool), real);
        }
      }
    }
    if (nvidiaSmi != null) {
      Path smi = bin.resolve("nvidia-smi");
      Files.writeString(smi, "#!/bin/bash\n" + nvidiaSmi + "\n");
      smi.toFile().setExecutable(true);
    }
    return bin;
  }

  private ProcessRun run(Path bin) throws Exception {
    return ProcessRun.of(
        tmp, Map.of("PATH", bin.toString()), List.of("/bin/bash", SCRIPT.toString()));
  }

  @Test
  void listsTheGpusNvidiaSmiReports() throws Exception {
    ProcessRun run = run(bin("printf '0\\n1\\n'"));
    assertThat(run.exitCode()).as(run.output()).isZero();
    assertThat(run.output().trim()).isEqualTo("{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\"]}");
  }

  @Test
  void withoutNvidiaSmiItSaysSoAndExits1() throws Exception {
    ProcessRun run = run(bin(null));
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.output()).contains("nvidia-smi not found").doesNotContain("addresses");
  }

  @Test
  void aFailingNvidiaSmiIsReportedWithItsMessage() throws Exception {
    ProcessRun run =
        run(bin("echo 'NVIDIA-SMI has failed because it could not communicate'; exit 9"));
    assertThat(run.exitCode()).isEqualTo(1);
    assertThat(run.output()).contains("nvidia-smi failed", "could not communicate");
  }
}
