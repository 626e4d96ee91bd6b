package dev.sift.curation.webdataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Grouping, names and damage offsets over the shards of src/test/resources/webdataset. */
class TarSamplesTest {
  private static final String LONG_KEY = "nested/deeper/a_very_long_sample_key_" + "x".repeat(100);

  static byte[] shard(String name) throws IOException {
    try (InputStream in = TarSamplesTest.class.getResourceAsStream("/webdataset/" + name)) {
      return in.readAllBytes();
    }
  }

  static List<Sample> readAll(byte[] bytes) {
    List<Sample> out = new ArrayList<>();
    new TarSamples(new ByteArrayInputStream(bytes), ext -> true).forEachRemaining(out::add);
    return out;
  }

  @Test
  void groupsConsecutiveMembersByKeyWithLongUtf8AndMixedCaseNames() throws IOException {
    List<Sample> samples = readAll(shard("good/00000.tar"));
    assertThat(samples)
        .extracting(Sample::key)
        .containsExactly("000000000", LONG_KEY, "données/ключ_日本語_sample", "000000003");
    assertThat(samples.get(0).extensions()).containsExactly("jpg", "txt", "json");
    assertThat(samples.get(1).extensions()).containsExactly("webp", "txt", "json");
    assertThat(new String(samples.get(1).member("txt"), StandardCharsets.UTF_8))
        .isEqualTo("a small boat on a calm blue lake");
    assertThat(samples.get(3).extensions()).containsExactly("jpg", "txt", "json", "extra.cls");
    assertThat(samples.get(0).member("jpg")).hasSize(10189);
    assertThat(samples).allMatch(s -> s.duplicates().isEmpty());
    assertThat(samples.get(0).offset()).isPositive();
  }

  @Test
  void readsOnlyTheWantedExtensions() throws IOException {
    List<Sample> samples = new ArrayList<>();
    new TarSamples(new ByteArrayInputStream(shard("good/00000.tar")), "json"::equals)
        .forEachRemaining(samples::add);
    assertThat(samples).hasSize(4);
    assertThat(samples.get(0).members()).containsOnlyKeys("json");
    assertThat(samples.get(0).extensions()).containsExactly("jpg", "txt", "json");
  }

  @Test
  void gnuLongNames() throws IOException {
    List<Sample> samples = readAll(shard("gnu/00000.tar"));
    assertThat(samples).hasSize(1);
    assertThat(samples.get(0).key())
        .isEqualTo("gnu/long_key_written_by_gnu_tar_" + "y".repeat(90) + "_ü");
    assertThat(samples.get(0).members()).containsOnlyKeys("webp", "txt", "json");
  }

  @Test
  void duplicatesAreListedAndTheFirstMemberWins() throws IOException {
    List<Sample> samples = readAll(shard("bad/00000.tar"));
    assertThat(samples)
        .extracting(Sample::key)
        .containsExactly("000000010", "000000011", "000000012", "000000013", "000000014");
    Sample dup = samples.get(2);
    assertThat(dup.duplicates()).containsExactly("webp");
    assertThat(dup.extensions()).containsExactly("webp", "txt", "json");
  }

  @Test
  void truncatedShardNamesTheOffsetOfTheFirstUnreadableMember() throws IOException {
    byte[] bytes = shard("truncated/00000.tar");
    int third = indexOf(bytes, "000000022.webp".getBytes(StandardCharsets.US_ASCII));
    TarSamples it = new TarSamples(new ByteArrayInputStream(bytes), ext -> true);
    assertThat(it.next().key()).isEqualTo("000000020");
    assertThat(it.next().key()).isEqualTo("000000021");
    assertThatThrownBy(it::hasNext)
        .isInstanceOfSatisfying(
            ShardDamagedException.class,
            e -> {
              assertThat(e.offset()).isEqualTo(third);
              assertThat(e.getMessage())
                  .contains("byte " + third, "000000022.webp", "Truncated TAR");
              assertThat(e.partial().key()).isEqualTo("000000022");
              assertThat(e.partial().members()).isEmpty();
              assertThat(e.inShard("s3a://b/00000.tar").getMessage())
                  .startsWith("WebDataset shard s3a://b/00000.tar is damaged at byte " + third);
            });
    assertThat(it.hasNext()).isFalse();
  }

  @Test
  void shardCutAtAMemberBoundaryIsDamagedNotShort() throws IOException {
    byte[] bytes = shard("good/00000.tar");
    int cut = indexOf(bytes, "000000003.JPG".getBytes(StandardCharsets.US_ASCII));
    byte[] head = java.util.Arrays.copyOf(bytes, cut);
    TarSamples it = new TarSamples(new ByteArrayInputStream(head), ext -> true);
    List<String> keys = new ArrayList<>();
    assertThatThrownBy(() -> it.forEachRemaining(s -> keys.add(s.key())))
        .isInstanceOfSatisfying(
            ShardDamagedException.class,
            e -> {
              assertThat(e.offset()).isEqualTo(cut);
              assertThat(e.getMessage()).contains("end-of-archive");
              // The last complete key may still have had members after the cut.
              assertThat(e.partial().key()).isEqualTo("données/ключ_日本語_sample");
            });
    assertThat(keys).hasSize(2);
  }

  @Test
  void notATarFileIsDamagedAtByteZero() throws IOException {
    TarSamples it =
        new TarSamples(new ByteArrayInputStream(shard("nottar/00000.tar")), ext -> true);
    assertThatThrownBy(it::hasNext)
        .isInstanceOfSatisfying(
            ShardDamagedException.class,
            e -> {
              assertThat(e.offset()).isZero();
              assertThat(e.partial()).isNull();
            });
    TarSamples empty = new TarSamples(new ByteArrayInputStream(new byte[0]), ext -> true);
    assertThatThrownBy(empty::hasNext).hasMessageContaining("empty file");
  }

  @Test
  void base256SizesPaxPathAndSizeAndGlobalHeaders() throws IOException {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    entry(tar, header("k1.txt", 5, '0', true), "hello".getBytes(StandardCharsets.UTF_8));
    String paxName = "données/" + "z".repeat(120) + "/k2.JPG";
    entry(tar, header("pax_global_header", 0, 'g', false), pax("comment", "ignored"));
    entry(tar, header("PaxHeaders/k2", 0, 'x', false), pax("path", paxName, "size", "7"));
    // The ustar fields PAX overrides: a truncated name and a wrong size.
    entry(tar, header("k2.JP", 0, '0', false), "7 bytes".getBytes(StandardCharsets.UTF_8));
    entry(tar, header("dir/", 0, '5', false), new byte[0]);
    entry(tar, header("k2.json", 2, '\0', false), "{}".getBytes(StandardCharsets.UTF_8));
    tar.write(new byte[1024]);
    List<Sample> samples = readAll(tar.toByteArray());
    // The directory is skipped; k2.json has another key than the PAX-named member.
    assertThat(samples)
        .extracting(Sample::key)
        .containsExactly("k1", paxName.substring(0, paxName.length() - 4), "k2");
    assertThat(samples.get(0).member("txt")).asString(StandardCharsets.UTF_8).isEqualTo("hello");
    assertThat(samples.get(1).extensions()).containsExactly("jpg");
    assertThat(samples.get(1).member("jpg")).asString(StandardCharsets.UTF_8).isEqualTo("7 bytes");
  }

  @Test
  void ustarPrefixJoinsTheName() throws IOException {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    byte[] h = header("k.txt", 1, '0', false);
    System.arraycopy("some/dir".getBytes(StandardCharsets.US_ASCII), 0, h, 345, 8);
    checksum(h);
    entry(tar, h, new byte[] {'x'});
    tar.write(new byte[1024]);
    assertThat(readAll(tar.toByteArray())).extracting(Sample::key).containsExactly("some/dir/k");
  }

  @Test
  void badChecksumIsDamageAtThatHeader() throws IOException {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    entry(tar, header("k1.txt", 1, '0', false), new byte[] {'a'});
    int offset = tar.size();
    byte[] bad = header("k2.txt", 1, '0', false);
    bad[0] = 'j';
    entry(tar, bad, new byte[] {'b'});
    tar.write(new byte[1024]);
    TarSamples it = new TarSamples(new ByteArrayInputStream(tar.toByteArray()), ext -> true);
    assertThatThrownBy(it::next)
        .isInstanceOfSatisfying(
            ShardDamagedException.class,
            e -> {
              assertThat(e.offset()).isEqualTo(offset);
              assertThat(e.getMessage()).contains("checksum");
              assertThat(e.partial().key()).isEqualTo("k1");
            });
    assertThat(it.hasNext()).isFalse();
  }

  @Test
  void largeMembersReadAndSkippedAcrossTheBuffer() throws IOException {
    ByteArrayOutputStream tar = new ByteArrayOutputStream();
    byte[] big = new byte[300_001];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) (i * 31);
    }
    entry(tar, header("k.bin", big.length, '0', false), big);
    entry(tar, header("k.skip", big.length, '0', false), big);
    entry(tar, header("k.txt", 3, '0', false), "end".getBytes(StandardCharsets.UTF_8));
    tar.write(new byte[1024]);
    List<Sample> samples = new ArrayList<>();
    new TarSamples(new ByteArrayInputStream(tar.toByteArray()), ext -> !ext.equals("skip"))
        .forEachRemaining(samples::add);
    assertThat(samples).hasSize(1);
    assertThat(samples.get(0).member("bin")).isEqualTo(big);
    assertThat(samples.get(0).member("txt")).asString(StandardCharsets.UTF_8).isEqualTo("end");
    assertThat(samples.get(0).extensions()).containsExactly("bin", "skip", "txt");
  }

  /** A ustar header (POSIX magic) with a valid checksum; the size in octal or base-256. */
  private static byte[] header(String name, long size, char type, boolean base256) {
    byte[] h = new byte[512];
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    System.arraycopy(n, 0, h, 0, Math.min(n.length, 100));
    ascii(h, 100, "0000644\0");
    ascii(h, 108, "0001750\0");
    ascii(h, 116, "0001750\0");
    if (base256) {
      h[124] = (byte) 0x80;
      for (int i = 0; i < 8; i++) {
        h[135 - i] = (byte) (size >>> (8 * i));
      }
    } else {
      ascii(h, 124, String.format("%011o\0", size));
    }
    ascii(h, 136, "14524367000\0");
    h[156] = (byte) type;
    ascii(h, 257, "ustar\0" + "00");
    checksum(h);
    return h;
  }

  private static void checksum(byte[] h) {
    ascii(h, 148, "        ");
    int sum = 0;
    for (byte b : h) {
      sum += b & 0xff;
    }
    ascii(h, 148, String.format("%06o\0 ", sum));
  }

  private static void ascii(byte[] h, int at, String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(b, 0, h, at, b.length);
  }

  /** A PAX header body of key, value pairs: "LEN key=value\n" records. */
  private static byte[] pax(String... kv) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < kv.length; i += 2) {
      int rest = (" " + kv[i] + "=" + kv[i + 1] + "\n").getBytes(StandardCharsets.UTF_8).length;
      int len = rest + String.valueOf(rest).length();
      if (String.valueOf(len).length() != String.valueOf(rest).length()) {
        len++;
      }
      out.writeBytes((len + " " + kv[i] + "=" + kv[i + 1] + "\n").getBytes(StandardCharsets.UTF_8));
    }
    return out.toByteArray();
  }

  /** Writes a header and a body, fixing a zero size to the body's length, padded to 512. */
  private static void entry(ByteArrayOutputStream tar, byte[] header, byte[] body) {
    if (header[156] == 'x' || header[156] == 'g') {
      ascii(header, 124, String.format("%011o\0", body.length));
      checksum(header);
    }
    tar.writeBytes(header);
    tar.writeBytes(body);
    tar.writeBytes(new byte[(512 - body.length % 512) % 512]);
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    throw new AssertionError("not found");
  }
}
