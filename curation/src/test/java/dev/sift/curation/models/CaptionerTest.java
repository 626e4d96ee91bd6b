package dev.sift.curation.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sift.curation.image.ImageDecoder;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Greedy parity with the Python reference ({@code fixtures/golden/captioner_golden.json}: the tiny
 * captioner, 16 new tokens at most), batched and one image at a time, and beam search's relation to
 * greedy. A token may differ from the golden one only at a near-tie (top-2 margin below 1e-3, as
 * the fixtures README says); the comparison of that image stops there.
 */
class CaptionerTest {
  static final double NEAR_TIE = 1e-3;
  static Path dir;
  static Captioner greedy;
  static JsonNode golden;
  static List<float[]> pixels = new ArrayList<>();
  static List<JsonNode> expected = new ArrayList<>();
  @TempDir Path tmp;

  @BeforeAll
  static void open() throws Exception {
    dir = resource("/fixtures/tiny-captioner");
    greedy = Captioner.open(dir, ModelOptions.cpu(1), Generation.greedy(16));
    try (InputStream in =
        CaptionerTest.class.getResourceAsStream("/fixtures/golden/captioner_golden.json")) {
      golden = new ObjectMapper().readTree(in);
    }
    ImageDecoder decoder = new ImageDecoder();
    for (JsonNode image : golden.get("images")) {
      byte[] bytes = Files.readAllBytes(resource("/fixtures/images/" + image.get("file").asText()));
      pixels.add(greedy.preprocessor().preprocess(decoder.decode(bytes)));
      expected.add(image);
    }
    assertThat(expected).hasSizeGreaterThanOrEqualTo(10);
  }

  @AfterAll
  static void close() {
    greedy.close();
  }

  static Path resource(String name) throws URISyntaxException {
    return Path.of(CaptionerTest.class.getResource(name).toURI());
  }

  static float[] batch(List<float[]> images) {
    int len = images.get(0).length;
    float[] all = new float[images.size() * len];
    for (int i = 0; i < images.size(); i++) {
      System.arraycopy(images.get(i), 0, all, i * len, len);
    }
    return all;
  }

  /** Compares with the golden ids; returns whether the whole sequence was compared. */
  static boolean matchesGolden(Captioner.Caption c, JsonNode image) {
    JsonNode ids = image.get("token_ids");
    JsonNode margins = image.get("top2_margins");
    String file = image.get("file").asText();
    for (int i = 0; i < ids.size(); i++) {
      if (i < c.tokenIds().length && c.tokenIds()[i] == ids.get(i).asLong()) {
        continue;
      }
      // Position i is generated step i - 1; a mismatch is allowed only at a near-tie.
      assertThat(margins.get(i - 1).asDouble())
          .as(
              "%s: token %d is %s, golden %s, and that step is no near-tie",
              file, i, i < c.tokenIds().length ? c.tokenIds()[i] : "missing", ids.get(i))
          .isLessThan(NEAR_TIE);
      return false;
    }
    assertThat(c.tokenIds()).as(file).hasSize(ids.size());
    assertThat(c.text()).as(file).isEqualTo(image.get("text").asText());
    return true;
  }

  @Test
  void greedyTokensAndTextEqualTheGoldenOnesInOneBatch() {
    List<Captioner.Caption> captions = greedy.generate(batch(pixels), pixels.size());
    int whole = 0;
    for (int i = 0; i < captions.size(); i++) {
      whole += matchesGolden(captions.get(i), expected.get(i)) ? 1 : 0;
    }
    System.out.printf("captioner parity: %d of %d images equal in full%n", whole, captions.size());
    assertThat(whole).isGreaterThanOrEqualTo(captions.size() - 2);
  }

  @Test
  void oneImageAtATimeGivesTheSameCaptionsAsTheBatch() {
    List<Captioner.Caption> batched = greedy.generate(batch(pixels), pixels.size());
    for (int i = 0; i < pixels.size(); i++) {
      Captioner.Caption one = greedy.generate(pixels.get(i), 1).get(0);
      matchesGolden(one, expected.get(i));
      assertThat(one.tokenIds())
          .as(expected.get(i).get("file").asText())
          .containsExactly(batched.get(i).tokenIds());
    }
  }

  @Test
  void moreBeamsScoreBetterOnTheWhole() throws Exception {
    Generation three = new Generation(3, 1.0, 16, 0, 1.0, 0, null);
    // numBeams 1 takes the greedy path; BeamSearchTest checks that one beam is greedy.
    try (Captioner beam3 = Captioner.open(dir, ModelOptions.cpu(1), three)) {
      List<float[]> some = pixels.subList(0, 4);
      List<Captioner.Caption> g = greedy.generate(batch(some), some.size());
      List<Captioner.Caption> b3 = beam3.generate(batch(some), some.size());
      double greedyTotal = 0;
      double beamTotal = 0;
      for (int i = 0; i < some.size(); i++) {
        long[] ids = b3.get(i).tokenIds();
        assertThat(ids[0]).isEqualTo(49406);
        assertThat(ids[ids.length - 1] == 49407 || ids.length == 17).isTrue();
        double greedyScore = greedy.logProbability(some.get(i), g.get(i).tokenIds());
        double beamScore = greedy.logProbability(some.get(i), b3.get(i).tokenIds());
        System.out.printf(
            "beam search: image %d greedy %.4f, 3 beams %.4f%n", i, greedyScore, beamScore);
        greedyTotal += greedyScore;
        beamTotal += beamScore;
      }
      // Beam search with early stopping does not beat greedy on every image, but it must on the
      // whole (on these images: -3.62 against -3.84).
      assertThat(beamTotal).isGreaterThan(greedyTotal);
    }
  }

  @Test
  void promptTokensFollowTheStartTokenAndStayInTheText() throws Exception {
    Generation g = new Generation(1, 1.0, 5, 0, 1.0, 0, "a picture of");
    try (Captioner c = Captioner.open(dir, ModelOptions.cpu(1), g)) {
      Captioner.Caption cap = c.generate(pixels.get(0), 1).get(0);
      assertThat(cap.tokenIds()[0]).isEqualTo(49406);
      assertThat(cap.text()).startsWith("a picture of");
      assertThat(cap.tokenIds().length).isLessThanOrEqualTo(1 + 3 + 5);
    }
  }

  @Test
  void minNewTokensAndNoRepeatNgramsHoldOnRealGenerations() throws Exception {
    Generation g = new Generation(1, 1.0, 16, 16, 1.0, 2, null);
    try (Captioner c = Captioner.open(dir, ModelOptions.cpu(1), g)) {
      for (Captioner.Caption cap : c.generate(batch(pixels), pixels.size())) {
        long[] ids = cap.tokenIds();
        assertThat(ids).hasSize(17).doesNotContain(49407L);
        List<String> bigrams = new ArrayList<>();
        for (int i = 0; i + 1 < ids.length; i++) {
          bigrams.add(ids[i] + "," + ids[i + 1]);
        }
        assertThat(bigrams).doesNotHaveDuplicates();
      }
    }
  }

  @Test
  void aDirectoryThatIsNoCaptionerIsRefusedListingItsFiles() throws Exception {
    Files.writeString(tmp.resolve("model.onnx"), "x");
    assertThatThrownBy(() -> Captioner.open(tmp, ModelOptions.cpu(1), Generation.greedy(4)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("encoder_model.onnx")
        .hasMessageContaining("model.onnx");
    assertThat(greedy.usesKvCache()).isFalse();
  }

  @Test
  void generationSettingsAreChecked() {
    assertThatThrownBy(() -> new Generation(0, 1, 4, 0, 1, 0, null))
        .hasMessageContaining("numBeams");
    assertThatThrownBy(() -> new Generation(1, 1, 4, 5, 1, 0, null))
        .hasMessageContaining("minNewTokens");
    assertThatThrownBy(() -> new Generation(1, 1, 4, 0, 0, 0, null))
        .hasMessageContaining("repetitionPenalty");
    assertThat(Arrays.asList(1, 2)).hasSize(2);
  }
}
