package dev.sift.curation.webdataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ShardKeysTest {
  @Test
  void keysHaveNoDotNoSlashAndStayDistinct() {
    assertThat(ShardKeys.encode("sha256:ab.c/d")).isEqualTo("sha256%3Aab%2Ec%2Fd");
    assertThat(ShardKeys.encode("données/ключ_日本")).isEqualTo("données%2Fключ_日本");
    assertThat(ShardKeys.encode("a b%")).isEqualTo("a%20b%25");
    assertThat(ShardKeys.encode("a%2Eb")).isNotEqualTo(ShardKeys.encode("a.b"));
    assertThat(ShardKeys.encode("x-1_Y")).isEqualTo("x-1_Y");
    assertThatThrownBy(() -> ShardKeys.encode("")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void imageExtensionsFromFormatOrBytes() {
    assertThat(ShardKeys.imageExtension("JPEG", null)).isEqualTo("jpg");
    assertThat(ShardKeys.imageExtension("png", null)).isEqualTo("png");
    assertThat(ShardKeys.imageExtension("x/../y", null)).isEqualTo("bin");
    byte[] png = {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10};
    assertThat(ShardKeys.imageExtension(null, png)).isEqualTo("png");
    assertThat(ShardKeys.imageExtension(null, new byte[] {1, 2, 3})).isEqualTo("bin");
  }

  @Test
  void sameSamplesSameBytesAndPaxForLongNames() throws Exception {
    byte[] a = shard();
    assertThat(shard()).isEqualTo(a);
    String text = new String(a, StandardCharsets.ISO_8859_1);
    assertThat(text).contains("./PaxHeaders.X/").contains("path=");
    assertThat(a.length % 512).isZero();
  }

  private static byte[] shard() throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ShardWriter w = new ShardWriter(out)) {
      String key = ShardKeys.encode("données/" + "k".repeat(120));
      w.member(key, "json", "{}".getBytes(StandardCharsets.UTF_8));
      w.member(key, "txt", "a cat".getBytes(StandardCharsets.UTF_8));
      w.endSample();
    }
    return out.toByteArray();
  }
}
