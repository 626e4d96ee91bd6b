package dev.sift.curation;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HashingTest {
  @Test
  void knownDigestAndAFileHashesAsItsBytes(@TempDir Path dir) throws Exception {
    // FIPS 180-2's test vector.
    assertThat(Hashing.sha256Hex("abc".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    byte[] big = new byte[200_000];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31);
    }
    Path f = Files.write(dir.resolve("f.bin"), big);
    assertThat(Hashing.sha256Hex(f)).isEqualTo(Hashing.sha256Hex(big));
  }
}
