package dev.sift.jobs.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.ConfigLoader;
import dev.sift.jobs.config.SiftConf;
import dev.sift.udfs.SparkTestBase;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which stages each command runs, from the stages' own rules, and the errors that name a key. */
class PipelineTest extends SparkTestBase {
  private static final List<String> ALL_ON =
      List.of(
          "sift.text.enabled=true",
          "sift.match.enabled=true",
          "sift.balance.enabled=true",
          "sift.decode.enabled=true",
          "sift.score.enabled=true",
          "sift.recaption.enabled=true",
          "sift.filter.enabled=true",
          "sift.dedup.enabled=true");

  private static List<String> running(Command command, String... sets) {
    List<String> all = new ArrayList<>(ALL_ON);
    all.addAll(List.of(sets));
    SiftConf conf = ConfigLoader.load(null, all, Map.of());
    return Pipeline.plan(spark, conf, command).running();
  }

  @Test
  void theOneListIsInDesignOrder() {
    assertThat(Pipeline.STAGES)
        .containsExactly(
            "read",
            "text",
            "dedup_exact",
            "match",
            "balance",
            "decode",
            "score",
            "dedup",
            "recaption",
            "filter",
            "write");
  }

  @Test
  void curateRunsEveryEnabledStageInOrder() {
    assertThat(running(Command.CURATE)).isEqualTo(Pipeline.STAGES);
    assertThat(
            running(
                Command.CURATE,
                "sift.balance.enabled=false",
                "sift.recaption.enabled=false",
                "sift.filter.enabled=false",
                "sift.decode.enabled=false",
                "sift.dedup.enabled=false"))
        .containsExactly("read", "text", "match", "score", "write");
  }

  @Test
  void eachCommandRunsItsStagesWhateverTheKeysSay() {
    assertThat(running(Command.MATCH, "sift.match.enabled=false"))
        .containsExactly("read", "text", "match", "write");
    assertThat(running(Command.BALANCE, "sift.match.enabled=false"))
        .containsExactly("read", "balance", "write");
    assertThat(running(Command.SCORE, "sift.score.enabled=false"))
        .containsExactly("read", "text", "decode", "score", "write");
    assertThat(running(Command.RECAPTION, "sift.recaption.enabled=false"))
        .containsExactly("read", "text", "decode", "score", "recaption", "write");
    assertThat(running(Command.SCORE, "sift.text.enabled=false", "sift.decode.enabled=false"))
        .containsExactly("read", "score", "write");
  }

  @Test
  void aStageWithoutTheStageItNeedsNamesTheKeys() {
    assertThatThrownBy(
            () -> running(Command.CURATE, "sift.score.enabled=false", "sift.filter.enabled=false"))
        .isInstanceOf(SiftUserException.class)
        .hasMessage(
            "sift.recaption.enabled = true scores the new captions with CLIP: set"
                + " sift.score.enabled = true and sift.score.model");
    assertThatThrownBy(
            () ->
                running(Command.CURATE, "sift.score.enabled=false", "sift.recaption.enabled=false"))
        .isInstanceOf(SiftUserException.class)
        .hasMessage(
            "sift.filter.enabled = true filters on CLIP scores: set sift.score.enabled = true and"
                + " sift.score.model");
    assertThatThrownBy(() -> running(Command.CURATE, "sift.match.enabled=false"))
        .isInstanceOf(SiftUserException.class)
        .hasMessage(
            "sift.balance.enabled = true needs concept matching: set sift.match.enabled = true"
                + " and sift.match.metadata");
  }

  @Test
  void perStageCountsFollowTheStagesThatRan() {
    SiftConf conf = ConfigLoader.load(null, ALL_ON, Map.of());
    Pipeline pipeline = Pipeline.plan(spark, conf, Command.BALANCE);
    assertThat(
            pipeline.perStage(
                10,
                Map.of("read", Map.of("duplicate_id", 1L), "balance", Map.of("balanced_out", 4L))))
        .isEqualTo(
            Map.of(
                "read", Map.of("in", 10L, "out", 9L, "rejected", 1L),
                "balance", Map.of("in", 9L, "out", 5L, "rejected", 4L),
                "write", Map.of("in", 5L, "out", 5L, "rejected", 0L)));
    assertThat(pipeline.counters()).isEmpty();
    assertThat(Pipeline.plan(spark, conf, Command.CURATE).counters().keySet())
        .containsExactly("text", "match", "decode", "score", "recaption");
  }

  @Test
  void dedupVerdictsCountForTheDedupStageThatMadeThem() {
    SiftConf conf = ConfigLoader.load(null, ALL_ON, Map.of());
    Map<String, Object> per =
        Pipeline.plan(spark, conf, Command.CURATE)
            .perStage(
                100,
                Map.of(
                    "dedup",
                    Map.of("exact_duplicate", 5L, "near_duplicate", 3L, "semantic_duplicate", 2L),
                    "text",
                    Map.of("too_short", 10L)));
    assertThat(per.get("dedup_exact")).isEqualTo(Map.of("in", 90L, "out", 85L, "rejected", 5L));
    assertThat(per.get("dedup")).isEqualTo(Map.of("in", 85L, "out", 80L, "rejected", 5L));
  }
}
