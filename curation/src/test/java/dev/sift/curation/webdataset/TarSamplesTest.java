package dev.sift.curation.webdataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
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
