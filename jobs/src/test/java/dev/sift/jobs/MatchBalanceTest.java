package dev.sift.jobs;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.curation.concepts.ConceptList;
import dev.sift.curation.concepts.ConceptMatcher;
import dev.sift.curation.concepts.Semantics;
import dev.sift.udfs.SparkTestBase;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.jdk.javaapi.CollectionConverters;

/**
 * {@code match} and {@code curate} with matching and balancing on the 10,000 real alt-texts and the
 * 86,654-entry WordNet list (conf/sample-text.conf).
 */
class MatchBalanceTest extends SparkTestBase {
  @TempDir static Path tmp;
  static final String ALT_TEXT = repo("data/web-alt-text-10k/alt-text-10k.parquet").toString();
  static final String LIST = repo("data/metaclip/metadata_proxy_wordnet30.json").toString();
  static Path curated;

  static SiftRun run(String command, String input, Path out, String... sets) {
    return SiftRun.of(
        List.of(
            command,
            "--config",
            repo("conf/sample-text.conf").toString(),
            "--input",
            input,
            "--output",
            out.toString(),
            "--set",
            "sift.match.metadata=" + LIST),
        sets);
  }

  /** Rows the text and match stages' functions ran on in that run (Spark's stage events). */
  static final Map<String, Long> evaluations = new java.util.concurrent.ConcurrentHashMap<>();

  @BeforeAll
  static void curateWithBalancing() throws Exception {
    curated = tmp.resolve("curated");
    SparkListener counters =
        new SparkListener() {
          @Override
          public void onStageCompleted(SparkListenerStageCompleted done) {
            for (AccumulableInfo a :
                CollectionConverters.asJava(done.stageInfo().accumulables()).values()) {
              String name = a.name().isDefined() ? a.name().get() : "";
              if (List.of("sift.text", "sift.match").contains(name) && a.value().isDefined()) {
                // A stage's value is the accumulator's total so far.
                evaluations.merge(name, Long.parseLong(a.value().get().toString()), Math::max);
              }
            }
          }
        };
    spark.sparkContext().addSparkListener(counters);
    try {
      SiftRun r = run("curate", ALT_TEXT, curated, "sift.balance.t=50");
      assertThat(r.exitCode()).as(r.toString()).isZero();
    } finally {
      spark.sparkContext().listenerBus().waitUntilEmpty();
      spark.sparkContext().removeSparkListener(counters);
    }
  }

  /**
   * Balancing reads the rows twice (the counts per concept, then the main pass), and each pass runs
   * the text and match functions once per row. Counting over {@code where(alive())} let Spark push
   * the filter below the stages, substituting each verdict column with its expression: that pass
   * normalised every caption 6.5 times and matched 2.5 times.
   */
  @Test
  void eachPassNormalisesAndMatchesEveryRowOnce() throws Exception {
    JsonNode counts = SiftRun.manifest(curated).get("counts");
    long input = counts.get("input").asLong();
    long reachMatch = counts.get("per_stage").get("match").get("in").asLong();
    assertThat(evaluations)
        .containsEntry("sift.text", 2 * input)
        .containsEntry("sift.match", 2 * reachMatch);
  }

  private static Dataset<Row> part(Path out, String name) {
    return spark.read().parquet(out.resolve(name).toString());
  }

  @Test
  void matchWritesConceptsReasonsAndCounts() throws Exception {
    Path out = tmp.resolve("match");
    SiftRun r = run("match", ALT_TEXT, out);
    assertThat(r.exitCode()).as(r.toString()).isZero();
    Dataset<Row> accepted = part(out, "accepted");
    Dataset<Row> rejected = part(out, "rejected");
    assertThat(accepted.count() + rejected.count()).isEqualTo(10_000);
    assertThat(accepted.where(functions_size("concepts").equalTo(0)).count()).isZero();
    assertThat(accepted.where(col("keep_probability").isNotNull()).count())
        .as("balance does not run in match")
        .isZero();
    long noConcept = rejected.where(col("reject_reason").equalTo("no_concept")).count();
    assertThat(noConcept).isGreaterThan(3_000);
    // concept_counts.matched is the number of rows whose set holds the concept.
    Map<String, Long> fromRows = new HashMap<>();
    for (Row row :
        accepted
            .select(org.apache.spark.sql.functions.explode(col("concepts")))
            .groupBy("col")
            .count()
            .collectAsList()) {
      fromRows.put(row.getString(0), row.getLong(1));
    }
    Map<String, Long> written = new HashMap<>();
    for (Row row : part(out, "concept_counts").collectAsList()) {
      written.put(row.getString(0), row.getLong(1));
      assertThat(row.getLong(2)).isEqualTo(row.getLong(1));
    }
    assertThat(written).isEqualTo(fromRows);
    JsonNode m = SiftRun.manifest(out);
    assertThat(m.get("concepts").get("entries").asInt()).isEqualTo(86_654);
    assertThat(m.get("counts").get("per_stage").get("match").get("rejected").asLong())
        .isEqualTo(noConcept);
  }

  @Test
  void automatonFindsExactlyWhatTheDefinitionFindsOnRealCaptions() {
    List<String> captions =
        spark.read().parquet(ALT_TEXT).select("TEXT").as(Encoders.STRING()).collectAsList();
    ConceptList v1 = ConceptList.read(Path.of(LIST), Semantics.METACLIP1);
    ConceptList v2 = ConceptList.read(Path.of(LIST), Semantics.METACLIP2);
    ConceptMatcher m1 = new ConceptMatcher(v1, Semantics.METACLIP1);
    ConceptMatcher m2 = new ConceptMatcher(v2, Semantics.METACLIP2);
    Function<String, int[]> n1 = ConceptMatcher.naive(v1, Semantics.METACLIP1);
    Function<String, int[]> n2 = ConceptMatcher.naive(v2, Semantics.METACLIP2);
    int matchedSomething = 0;
    // Every 7th caption: 1,429 real alt-texts, each against all 86,654 entries the slow way.
    for (int i = 0; i < captions.size(); i += 7) {
      String c = captions.get(i);
      assertThat(m1.match(c)).as("metaclip1: %s", c).isEqualTo(n1.apply(c));
      assertThat(m2.match(c)).as("metaclip2: %s", c).isEqualTo(n2.apply(c));
      if (m2.match(c).length > 0) {
        matchedSomething++;
      }
    }
    assertThat(matchedSomething).isGreaterThan(500);
  }

  @Test
  void everyMatchedRowCarriesItsKeepProbabilityAndTheInvariantHolds() throws Exception {
    Dataset<Row> accepted = part(curated, "accepted");
    Dataset<Row> rejected = part(curated, "rejected");
    assertThat(accepted.count() + rejected.count()).isEqualTo(10_000);
    assertThat(accepted.where(col("keep_probability").isNull()).count()).isZero();
    Dataset<Row> out = rejected.where(col("reject_reason").equalTo("balanced_out"));
    assertThat(out.count()).isGreaterThan(0);
    assertThat(
            out.where(col("keep_probability").isNull().or(col("keep_probability").geq(1.0)))
                .count())
        .isZero();
    JsonNode counts = SiftRun.manifest(curated).get("counts");
    assertThat(counts.get("per_stage").get("balance").get("rejected").asLong())
        .isEqualTo(out.count());
    for (Row r : part(curated, "concept_counts").collectAsList()) {
      assertThat(r.getLong(2)).isLessThanOrEqualTo(r.getLong(1));
    }
  }

  @Test
  void keptCountIsWithinFiveStandardDeviationsOfTheSumOfP() {
    Dataset<Row> balanced =
        part(curated, "accepted")
            .select("keep_probability")
            .union(
                part(curated, "rejected")
                    .where(col("reject_reason").equalTo("balanced_out"))
                    .select("keep_probability"));
    double sum = 0;
    double var = 0;
    for (Row r : balanced.collectAsList()) {
      double p = r.getDouble(0);
      sum += p;
      var += p * (1 - p);
    }
    long kept = part(curated, "accepted").count();
    assertThat(var)
        .as("balancing must be stochastic here for the test to mean anything")
        .isGreaterThan(50);
    assertThat((double) kept).isBetween(sum - 5 * Math.sqrt(var), sum + 5 * Math.sqrt(var));
  }

  @Test
  void theKeptSetDoesNotDependOnPartitioning() {
    Path split = tmp.resolve("split-input");
    spark.read().parquet(ALT_TEXT).repartition(7).write().parquet(split.toString());
    Path again = tmp.resolve("curated-7");
    SiftRun r = run("curate", split.toString(), again, "sift.balance.t=50");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(ids(part(again, "accepted"))).isEqualTo(ids(part(curated, "accepted")));
    Path otherSeed = tmp.resolve("curated-seed");
    assertThat(
            run("curate", ALT_TEXT, otherSeed, "sift.balance.t=50", "sift.balance.seed=9")
                .exitCode())
        .isZero();
    assertThat(ids(part(otherSeed, "accepted"))).isNotEqualTo(ids(part(curated, "accepted")));
  }

  @Test
  void balanceOverAMatchOutputKeepsWhatCurateKeeps() throws Exception {
    Path matched = tmp.resolve("for-balance");
    assertThat(run("match", ALT_TEXT, matched).exitCode()).isZero();
    Path balanced = tmp.resolve("balanced-50");
    SiftRun r =
        SiftRun.of(
            "balance",
            "--input",
            matched.toString(),
            "--output",
            balanced.toString(),
            "--set",
            "sift.balance.t=50");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    // Same rows reach balancing, same counts, same draw: the same rows are kept.
    assertThat(ids(part(balanced, "accepted"))).isEqualTo(ids(part(curated, "accepted")));
    JsonNode m = SiftRun.manifest(balanced);
    assertThat(m.get("counts").get("input").asLong()).isEqualTo(part(matched, "accepted").count());
    assertThat(m.get("balance").get("t").asLong()).isEqualTo(50);
    // A larger t keeps more; t above every count keeps everything.
    Path loose = tmp.resolve("balanced-big");
    assertThat(
            SiftRun.of(
                    "balance",
                    "--input",
                    matched.toString(),
                    "--output",
                    loose.toString(),
                    "--set",
                    "sift.balance.t=1000000")
                .exitCode())
        .isZero();
    assertThat(part(loose, "accepted").count()).isEqualTo(part(matched, "accepted").count());
    SiftRun notMatched =
        SiftRun.of("balance", "--input", ALT_TEXT, "--output", tmp.resolve("x").toString());
    assertThat(notMatched.exitCode()).isEqualTo(2);
    assertThat(notMatched.err()).contains("concepts", "Run sift match first");
  }

  private static Set<String> ids(Dataset<Row> rows) {
    return new HashSet<>(rows.select("id").as(Encoders.STRING()).collectAsList());
  }

  private static org.apache.spark.sql.Column functions_size(String c) {
    return org.apache.spark.sql.functions.size(col(c));
  }
}
