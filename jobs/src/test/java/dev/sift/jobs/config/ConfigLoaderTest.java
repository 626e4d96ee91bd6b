package dev.sift.jobs.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sift.jobs.SiftUserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigLoaderTest {
  @TempDir Path dir;

  private static SiftConf load(String... sets) {
    return ConfigLoader.load(null, List.of(sets), Map.of());
  }

  @Test
  void defaultsComeFromTheRegistry() {
    SiftConf conf = load();
    for (ConfigKey<?> key : SiftKeys.all()) {
      assertThat((Object) conf.get(key)).as(key.name()).isEqualTo(key.defaultValue());
      assertThat(conf.isUserSet(key)).isFalse();
    }
    assertThat(conf.get(SiftKeys.BALANCE_T)).isEqualTo(20_000L);
    assertThat(conf.get(SiftKeys.PROGRESS_INTERVAL)).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void fileThenSetThenShorthandsWin() throws IOException {
    Path file = dir.resolve("run.conf");
    Files.writeString(
        file,
        """
        sift {
          input.path = "from-file"
          output.path = "from-file"
          decode.min-size = 64
          progress.interval = 2s
        }
        spark { sql.shuffle.partitions = 7 }
        "spark.executor.memory" = 2g
        """);
    SiftConf conf =
        ConfigLoader.load(
            file,
            List.of("sift.decode.min-size=128", "sift.output.path=from-set"),
            Map.of("sift.output.path", "from-shorthand"));
    assertThat(conf.get(SiftKeys.INPUT_PATH)).isEqualTo("from-file");
    assertThat(conf.get(SiftKeys.OUTPUT_PATH)).isEqualTo("from-shorthand");
    assertThat(conf.get(SiftKeys.DECODE_MIN_SIZE)).isEqualTo(128);
    assertThat(conf.get(SiftKeys.PROGRESS_INTERVAL)).isEqualTo(Duration.ofSeconds(2));
    assertThat(conf.isUserSet(SiftKeys.DECODE_MIN_SIZE)).isTrue();
    assertThat(conf.isUserSet(SiftKeys.DECODE_MAX_ASPECT)).isFalse();
    assertThat(conf.sparkSettings())
        .containsEntry("spark.sql.shuffle.partitions", "7")
        .containsEntry("spark.executor.memory", "2g");
    assertThat(conf.resolved()).containsEntry("sift.decode.min-size", 128);
  }

  @Test
  void setKeepsUrlsWhole() {
    // HOCON would read "//" as a comment; --set values are literal strings.
    SiftConf conf = load("sift.input.path=s3a://bucket/shards/*.parquet", "spark.master=local[2]");
    assertThat(conf.get(SiftKeys.INPUT_PATH)).isEqualTo("s3a://bucket/shards/*.parquet");
    assertThat(conf.sparkSettings()).containsEntry("spark.master", "local[2]");
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          sift.input.format       | xml     | parquet | csv | tsv | files | webdataset
          sift.output.mode        | append2 | error | overwrite | append
          sift.device             | tpu     | auto | cpu | cuda
          sift.match.semantics    | clip    | metaclip1 | metaclip2
          sift.decode.verify      | some    | full | header
          sift.dedup.priority     | clip_score | clip-score | id | hard | easy
          sift.dedup.priority     | ID      | clip-score | id | hard | easy
          sift.decode.min-size    | 0       | an integer ≥ 1
          sift.decode.min-size    | big     | an integer ≥ 1
          sift.decode.max-aspect  | 0.5     | a number ≥ 1.0
          sift.decode.max-aspect  | wide    | a number ≥ 1.0
          sift.decode.max-pixels  | 0       | an integer ≥ 1
          sift.text.min-chars     | 0       | an integer ≥ 1
          sift.text.max-chars     | -5      | an integer ≥ 1
          sift.text.min-words     | -1      | an integer ≥ 0
          sift.text.max-words     | 0       | an integer ≥ 1
          sift.balance.t          | 0       | an integer ≥ 1
          sift.balance.seed       | x       | an integer
          sift.score.batch-size   | 0       | an integer in [1, 65536]
          sift.score.batch-size   | 100000  | an integer in [1, 65536]
          sift.filter.min-score   | 1.5     | a number in [-1.0, 1.0]
          sift.progress.interval  | 1ms     | a duration ≥ 100ms
          sift.progress.interval  | soon    | a duration ≥ 100ms
          sift.text.enabled       | maybe   | true | false
          sift.output.image-bytes | 2       | true | false
          """)
  void everyCheckNamesKeyValueAndWhatIsAllowed(String key, String value, String allowed) {
    assertThatThrownBy(() -> load(key + "=" + value))
        .isInstanceOf(SiftUserException.class)
        .hasMessageContaining(key)
        .hasMessageContaining(value)
        .hasMessageContaining("allowed: " + allowed.trim());
  }

  @Test
  void choiceKeysReadAsTheirEnumsAndAreWrittenBackAsText() {
    SiftConf conf =
        load(
            "sift.output.mode=append",
            "sift.input.webdataset.on-error=skip-rest",
            "sift.match.semantics=metaclip1");
    assertThat(conf.get(SiftKeys.OUTPUT_MODE)).isEqualTo(SiftKeys.OutputMode.APPEND);
    assertThat(conf.get(SiftKeys.WDS_ON_ERROR)).isEqualTo(SiftKeys.OnShardError.SKIP_REST);
    assertThat(conf.get(SiftKeys.MATCH_SEMANTICS))
        .isEqualTo(dev.sift.curation.concepts.Semantics.METACLIP1);
    assertThat(conf.get(SiftKeys.DEDUP_PRIORITY)).isEqualTo(SiftKeys.DedupPriority.CLIP_SCORE);
    // The manifest's resolved configuration holds what a user writes, not Java's names.
    assertThat(conf.resolved())
        .containsEntry("sift.output.mode", "append")
        .containsEntry("sift.input.webdataset.on-error", "skip-rest")
        .containsEntry("sift.dedup.priority", "clip-score");
  }

  @Test
  void everyTypedKeyRejectsAValueOfTheWrongType() {
    for (ConfigKey<?> key : SiftKeys.all()) {
      if (key.type() == ConfigKey.Type.STRING) {
        continue;
      }
      assertThatThrownBy(() -> load(key.name() + "=not-a-" + key.type().name()))
          .as(key.name())
          .isInstanceOf(SiftUserException.class)
          .hasMessageContaining(key.name());
    }
  }

  @Test
  void unknownKeySuggestsTheClosest() {
    assertThatThrownBy(() -> load("sift.decode.min-sise=3"))
        .isInstanceOf(SiftUserException.class)
        .hasMessageContaining("unknown key sift.decode.min-sise")
        .hasMessageContaining("did you mean sift.decode.min-size?");
    assertThatThrownBy(() -> load("sift.input.colums.caption=TEXT"))
        .hasMessageContaining("did you mean sift.input.columns.caption?");
    assertThatThrownBy(() -> load("sift.totally.different.thing=1"))
        .hasMessageContaining("unknown key sift.totally.different.thing")
        .hasMessageNotContaining("did you mean");
  }

  @Test
  void allProblemsAreReportedAtOnce() {
    assertThatThrownBy(() -> load("sift.device=tpu", "sift.decode.min-size=0"))
        .hasMessageContaining("2 problems")
        .hasMessageContaining("sift.device")
        .hasMessageContaining("sift.decode.min-size");
  }

  @Test
  void badFilesAreNamed() throws IOException {
    Path missing = dir.resolve("nope.conf");
    assertThatThrownBy(() -> ConfigLoader.load(missing, List.of(), Map.of()))
        .isInstanceOf(SiftUserException.class)
        .hasMessageContaining("config file not found")
        .hasMessageContaining(missing.toString());
    Path broken = dir.resolve("broken.conf");
    Files.writeString(broken, "sift { input.path = \n");
    assertThatThrownBy(() -> ConfigLoader.load(broken, List.of(), Map.of()))
        .isInstanceOf(SiftUserException.class)
        .hasMessageContaining(broken.toString());
    Path wrongPlace = dir.resolve("wrong.conf");
    Files.writeString(wrongPlace, "input.path = x\n");
    assertThatThrownBy(() -> ConfigLoader.load(wrongPlace, List.of(), Map.of()))
        .hasMessageContaining("unknown top-level key 'input'")
        .hasMessageContaining("wrong.conf");
    Path located = dir.resolve("located.conf");
    Files.writeString(located, "sift {\n  decode.max-aspect = 0.1\n}\n");
    assertThatThrownBy(() -> ConfigLoader.load(located, List.of(), Map.of()))
        .hasMessageContaining("located.conf: 2");
  }

  @Test
  void setNeedsAKeyAndAKnownPrefix() {
    assertThatThrownBy(() -> load("sift.device")).hasMessageContaining("key=value");
    assertThatThrownBy(() -> load("hadoop.fs.x=1")).hasMessageContaining("sift.* and spark.*");
  }

  @Test
  void suggestionDistance() {
    assertThat(ConfigLoader.levenshtein("kitten", "sitting")).isEqualTo(3);
    assertThat(ConfigLoader.levenshtein("", "abc")).isEqualTo(3);
    assertThat(ConfigLoader.levenshtein("same", "same")).isZero();
  }

  @Test
  void relativeModelPathsAreMadeAbsoluteOnTheDriverOthersAreKept() {
    Path cwd = Path.of("").toAbsolutePath();
    SiftConf conf =
        load(
            "sift.score.model=models/clip",
            "sift.recaption.model=s3a://bucket/captioner",
            "sift.score.heads={ aesthetic = \"heads/../heads/a.onnx\", nsfw = \"/abs/n.onnx\" }",
            "sift.input.path=data/in.parquet");
    assertThat(conf.get(SiftKeys.SCORE_MODEL)).isEqualTo(cwd.resolve("models/clip").toString());
    assertThat(conf.get(SiftKeys.RECAPTION_MODEL)).isEqualTo("s3a://bucket/captioner");
    assertThat(conf.get(SiftKeys.SCORE_HEADS))
        .containsEntry("aesthetic", cwd.resolve("heads/a.onnx").toString())
        .containsEntry("nsfw", "/abs/n.onnx");
    // Spark qualifies input and output paths on the driver itself.
    assertThat(conf.get(SiftKeys.INPUT_PATH)).isEqualTo("data/in.parquet");
  }
}
