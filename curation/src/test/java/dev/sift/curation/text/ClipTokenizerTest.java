package dev.sift.curation.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sift.curation.text.ClipTokenizer.Batch;
import dev.sift.curation.text.ClipTokenizer.Padding;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Token parity with Hugging Face's CLIPTokenizerFast, from the golden file of the fixtures. */
class ClipTokenizerTest {
  private static final long BOS = 49406;
  private static final long EOS = 49407;

  private static Path modelDir;
  private static ClipTokenizer tokenizer;
  private static List<Golden> golden;

  private record Golden(String text, long[] inputIds, long[] attentionMask) {
    int tokens() {
      return (int) Arrays.stream(attentionMask).sum();
    }
  }

  @BeforeAll
  static void setUp() throws Exception {
    modelDir = Path.of(ClipTokenizerTest.class.getResource("/fixtures/tiny-clip").toURI());
    tokenizer = ClipTokenizer.open(modelDir);
    golden = new ArrayList<>();
    try (InputStream in =
        ClipTokenizerTest.class.getResourceAsStream("/fixtures/golden/golden.json")) {
      for (JsonNode caption : new ObjectMapper().readTree(in).get("captions")) {
        golden.add(
            new Golden(
                caption.get("text").asText(),
                longs(caption.get("input_ids")),
                longs(caption.get("attention_mask"))));
      }
    }
  }

  @AfterAll
  static void tearDown() {
    tokenizer.close();
  }

  private static long[] longs(JsonNode array) {
    long[] values = new long[array.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = array.get(i).asLong();
    }
    return values;
  }

  private static List<String> texts(List<Golden> rows) {
    return rows.stream().map(Golden::text).toList();
  }

  @Test
  void everyGoldenCaptionMatchesExactlyWhenPaddedTo77() {
    assertThat(golden).hasSize(17);
    Batch batch = tokenizer.encode(texts(golden), Padding.MAX_LENGTH);

    assertThat(batch.size()).isEqualTo(17);
    assertThat(batch.length()).isEqualTo(ClipTokenizer.MAX_LENGTH);
    for (int i = 0; i < golden.size(); i++) {
      Golden g = golden.get(i);
      assertThat(batch.inputIds()[i]).as("input_ids of %s", g.text()).containsExactly(g.inputIds());
      assertThat(batch.attentionMask()[i])
          .as("attention_mask of %s", g.text())
          .containsExactly(g.attentionMask());
    }
  }

  @Test
  void batchLongestPaddingIsTheGoldenRowCutToTheBatchLength() {
    List<Golden> shortOnes =
        golden.stream().filter(g -> g.tokens() < ClipTokenizer.MAX_LENGTH).toList();
    List<List<Golden>> batches = new ArrayList<>();
    batches.add(golden);
    batches.add(shortOnes);
    batches.add(shortOnes.subList(0, 4));
    golden.forEach(g -> batches.add(List.of(g)));

    for (List<Golden> rows : batches) {
      int longest = rows.stream().mapToInt(Golden::tokens).max().orElseThrow();
      Batch batch = tokenizer.encode(texts(rows));

      assertThat(batch.length()).as("length of %s", texts(rows)).isEqualTo(longest);
      for (int i = 0; i < rows.size(); i++) {
        Golden g = rows.get(i);
        assertThat(batch.inputIds()[i])
            .as("input_ids of %s", g.text())
            .containsExactly(Arrays.copyOf(g.inputIds(), longest));
        assertThat(batch.attentionMask()[i])
            .as("attention_mask of %s", g.text())
            .containsExactly(Arrays.copyOf(g.attentionMask(), longest));
      }
    }
  }

  @Test
  void captionOverTheLimitIsTruncatedBetweenBosAndEos() throws Exception {
    Golden longest = golden.stream().filter(g -> g.text().length() > 300).findFirst().orElseThrow();
    long[] ids = tokenizer.encode(List.of(longest.text())).inputIds()[0];

    assertThat(ids).hasSize(ClipTokenizer.MAX_LENGTH);
    assertThat(ids[0]).isEqualTo(BOS);
    assertThat(ids[ClipTokenizer.MAX_LENGTH - 1]).isEqualTo(EOS);
    assertThat(Arrays.stream(ids).filter(id -> id == EOS).count()).isEqualTo(1);
    assertThat(ids).containsExactly(longest.inputIds());

    try (ClipTokenizer short10 = ClipTokenizer.open(modelDir, 10)) {
      long[] cut = short10.encode(List.of(longest.text())).inputIds()[0];
      long[] expected = Arrays.copyOf(longest.inputIds(), 10);
      expected[9] = EOS;
      assertThat(cut).containsExactly(expected);
    }
  }

  @Test
  void nullCaptionIsTheEmptyCaption() {
    Batch batch = tokenizer.encode(Arrays.asList(null, "", "a photo of a cat"));

    assertThat(batch.inputIds()[0]).containsExactly(batch.inputIds()[1]);
    assertThat(batch.attentionMask()[0]).containsExactly(batch.attentionMask()[1]);
    assertThat(Arrays.copyOf(batch.inputIds()[0], 2)).containsExactly(BOS, EOS);
    assertThat(tokenizer.padId()).isEqualTo(EOS);
  }

  @Test
  void flatArraysAreRowMajor() {
    Batch batch = tokenizer.encode(List.of("a photo of a cat", ""));
    int length = batch.length();

    long[] flatIds = batch.flatInputIds();
    long[] flatMask = batch.flatAttentionMask();
    assertThat(flatIds).hasSize(2 * length);
    assertThat(Arrays.copyOfRange(flatIds, length, 2 * length))
        .containsExactly(batch.inputIds()[1]);
    assertThat(Arrays.copyOfRange(flatMask, 0, length)).containsExactly(batch.attentionMask()[0]);
  }

  @Test
  void emptyBatchHasNoRows() {
    Batch batch = tokenizer.encode(Collections.emptyList());

    assertThat(batch.size()).isZero();
    assertThat(batch.length()).isZero();
    assertThat(batch.flatInputIds()).isEmpty();
  }

  @Test
  void sharedInstanceGivesTheSameIdsFromManyThreads() throws Exception {
    List<String> captions = texts(golden);
    long[][] expected = tokenizer.encode(captions, Padding.MAX_LENGTH).inputIds();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<long[][]>> results = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        results.add(pool.submit(() -> tokenizer.encode(captions, Padding.MAX_LENGTH).inputIds()));
      }
      for (Future<long[][]> result : results) {
        assertThat(result.get()).isDeepEqualTo(expected);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void encodingAfterCloseFails() throws Exception {
    ClipTokenizer closed = ClipTokenizer.open(modelDir);
    closed.close();
    closed.close();

    assertThatThrownBy(() -> closed.encode(List.of("a cat")))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void missingTokenizerJsonIsAnIoError() {
    assertThatThrownBy(() -> ClipTokenizer.open(Path.of("/nonexistent-model-dir")))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("tokenizer.json");
  }
}
