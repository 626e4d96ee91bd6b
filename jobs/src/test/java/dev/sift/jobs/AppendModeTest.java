package dev.sift.jobs;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sift.udfs.SparkTestBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sift.output.mode = append} over the 10,000 real alt-texts split into six Parquet files
 * arriving in three groups: the committed batches together equal one run over all files, {@code
 * sift balance} over them equals one balanced run, a fourth run finds nothing new, changed files
 * and dead runs' leftovers are handled.
 */
class AppendModeTest extends SparkTestBase {
  @TempDir static Path tmp;
  static final String ALT_TEXT = repo("data/web-alt-text-10k/alt-text-10k.parquet").toString();
  static final String LIST = repo("data/metaclip/metadata_proxy_wordnet30.json").toString();
  static final int FILES = 6;
  static final long T = 50;

  static Path pool;
  static Path arriving;
  static Path plain;
  static Path balanced;
  static List<SiftRun> plainRuns = new ArrayList<>();

  /** {@link MatchBalanceTest#run} (conf/sample-text.conf, the WordNet list), t = 50, no report. */
  static SiftRun run(String command, String input, Path out, String... sets) {
    List<String> all = new ArrayList<>(List.of("sift.balance.t=" + T, "sift.report.enabled=false"));
    all.addAll(List.of(sets));
    return MatchBalanceTest.run(command, input, out, all.toArray(String[]::new));
  }

  /** Splits the alt-texts into six Parquet files; three runs, each after two files arrive. */
  @BeforeAll
  static void threeArrivals() throws IOException {
    pool = tmp.resolve("pool");
    Files.createDirectories(pool);
    Dataset<Row> all = spark.read().parquet(ALT_TEXT);
    for (int i = 0; i < FILES; i++) {
      Path dir = tmp.resolve("split-" + i);
      all.where(functions.pmod(col("__index_level_0__"), functions.lit(FILES)).equalTo(i))
          .coalesce(1)
          .write()
          .parquet(dir.toString());
      try (Stream<Path> parts = Files.list(dir)) {
        Path part =
            parts.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().get();
        Files.copy(part, pool.resolve(String.format("shard-%02d.parquet", i)));
      }
    }
    arriving = tmp.resolve("arriving");
    Files.createDirectories(arriving);
    plain = tmp.resolve("plain");
    balanced = tmp.resolve("balanced");
    for (int group = 0; group < 3; group++) {
      for (int i = 2 * group; i < 2 * group + 2; i++) {
        String name = String.format("shard-%02d.parquet", i);
        Files.copy(pool.resolve(name), arriving.resolve(name));
      }
      SiftRun p =
          run(
              "curate",
              arriving.toString(),
              plain,
              "sift.output.mode=append",
              "sift.balance.enabled=false");
      assertThat(p.exitCode()).as(p.toString()).isZero();
      plainRuns.add(p);
      SiftRun b = run("curate", arriving.toString(), balanced, "sift.output.mode=append");
      assertThat(b.exitCode()).as(b.toString()).isZero();
    }
  }

  private static List<String> committed(Path out) throws IOException {
    return Files.readAllLines(out.resolve("_COMMITTED"));
  }

  /** The ids of one part (accepted or rejected) of every committed batch, each with its reason. */
  private static List<String> rows(Path out, String part) throws IOException {
    List<String> ids = new ArrayList<>();
    for (String batch : committed(out)) {
      ids.addAll(keyed(spark.read().parquet(batch + "/" + part), part));
    }
    return ids;
  }

  private static Set<String> oneShot(Path out, String part) {
    return new HashSet<>(keyed(spark.read().parquet(out.resolve(part).toString()), part));
  }

  /** Accepted rows by id; rejected rows by id and reason. */
  private static List<String> keyed(Dataset<Row> d, String part) {
    Column key =
        part.equals("accepted")
            ? col("id")
            : functions.concat_ws(" ", col("id"), col("reject_reason"));
    return d.select(key).as(Encoders.STRING()).collectAsList();
  }

  @Test
  void threeBatchesTogetherAreOneRunOverAllFiles() throws IOException {
    Path once = tmp.resolve("once");
    SiftRun r = run("curate", pool.toString(), once, "sift.balance.enabled=false");
    assertThat(r.exitCode()).as(r.toString()).isZero();

    assertThat(committed(plain)).hasSize(3);
    List<String> accepted = rows(plain, "accepted");
    List<String> rejected = rows(plain, "rejected");
    assertThat(new HashSet<>(accepted)).as("no row twice").hasSize(accepted.size());
    assertThat(new HashSet<>(accepted)).isEqualTo(oneShot(once, "accepted"));
    assertThat(new HashSet<>(rejected)).isEqualTo(oneShot(once, "rejected"));
    assertThat(accepted.size() + rejected.size()).isEqualTo(10_000);

    // Each run read only the two files that had arrived since the last.
    ObjectMapper json = new ObjectMapper();
    for (int seq = 1; seq <= 3; seq++) {
      JsonNode record =
          json.readTree(plain.resolve(String.format("_commits/%06d.json", seq)).toFile());
      assertThat(record.get("files")).hasSize(2);
      assertThat(record.get("files").get(0).get("path").asText())
          .endsWith(String.format("shard-%02d.parquet", 2 * (seq - 1)));
      JsonNode manifest =
          json.readTree(
              plain.resolve(record.get("path").asText()).resolve("_MANIFEST.json").toFile());
      assertThat(manifest.get("batch").get("files_already_consumed").asInt())
          .isEqualTo(2 * (seq - 1));
      assertThat(manifest.get("counts").get("input").asLong())
          .isEqualTo(record.get("counts").get("input").asLong());
    }
    assertThat(plainRuns.get(2).out()).contains("committed batch 000003-");
    assertThat(plain.resolve("_LOCK")).doesNotExist();
  }

  @Test
  void balanceOverAllBatchesEqualsOneBalancedRun() throws IOException {
    Path once = tmp.resolve("once-balanced");
    SiftRun r = run("curate", pool.toString(), once);
    assertThat(r.exitCode()).as(r.toString()).isZero();
    Path rebalanced = tmp.resolve("rebalanced");
    SiftRun b = run("balance", balanced.toString(), rebalanced, "sift.output.mode=error");
    assertThat(b.exitCode()).as(b.toString()).isZero();
    Set<String> expected = oneShot(once, "accepted");
    assertThat(expected).hasSizeGreaterThan(1000);
    assertThat(oneShot(rebalanced, "accepted")).isEqualTo(expected);

    // Per batch, balancing counted the earlier batches too: the third batch's probabilities come
    // from counts over all rows so far, so it keeps no more than a run over its files alone would.
    JsonNode third =
        new ObjectMapper()
            .readTree(
                Path.of(committed(balanced).get(2).substring(5))
                    .resolve("_MANIFEST.json")
                    .toFile());
    assertThat(third.get("balance").get("counts").asText()).contains("earlier committed batches");
  }

  @Test
  void reportsOfOneBatchAndOfAllCommittedBatches() throws IOException {
    SiftRun all = SiftRun.of("report", "--output", plain.toString());
    assertThat(all.exitCode()).as(all.toString()).isZero();
    ObjectMapper json = new ObjectMapper();
    JsonNode cumulative = json.readTree(plain.resolve("report/report.json").toFile());
    assertThat(cumulative.get("funnel").get("input").asLong()).isEqualTo(10_000);
    assertThat(cumulative.get("funnel").get("accepted").asLong())
        .isEqualTo(rows(plain, "accepted").size());
    assertThat(cumulative.get("summary").get("input_files").asLong()).isEqualTo(FILES);

    Path second = Path.of(java.net.URI.create(committed(plain).get(1)));
    SiftRun one = SiftRun.of("report", "--output", second.toString());
    assertThat(one.exitCode()).as(one.toString()).isZero();
    JsonNode batch = json.readTree(second.resolve("report/report.json").toFile());
    long secondInput =
        json.readTree(plain.resolve("_commits/000002.json").toFile())
            .get("counts")
            .get("input")
            .asLong();
    assertThat(batch.get("funnel").get("input").asLong()).isEqualTo(secondInput).isLessThan(5000);
  }

  @Test
  void aRunWithNothingNewWritesNothing() throws IOException {
    SiftRun r =
        run(
            "curate",
            arriving.toString(),
            plain,
            "sift.output.mode=append",
            "sift.balance.enabled=false");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    assertThat(r.out()).contains("nothing new").contains("6 input files");
    assertThat(committed(plain)).hasSize(3);
    try (Stream<Path> b = Files.list(plain.resolve("batches"))) {
      assertThat(b.count()).isEqualTo(3);
    }
  }

  @Test
  void aChangedInputFileStopsTheRunUnlessReprocessingIsAsked() throws IOException {
    Path in = tmp.resolve("changing");
    Path out = tmp.resolve("changing-out");
    Files.createDirectories(in);
    Path file = in.resolve("shard-00.parquet");
    Files.copy(pool.resolve("shard-00.parquet"), file);
    SiftRun first = run("match", in.toString(), out, "sift.output.mode=append");
    assertThat(first.exitCode()).as(first.toString()).isZero();

    Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
    SiftRun refused = run("match", in.toString(), out, "sift.output.mode=append");
    assertThat(refused.exitCode()).as(refused.toString()).isEqualTo(2);
    assertThat(refused.err())
        .contains("shard-00.parquet")
        .contains("consumed by batch 000001-")
        .contains("sift.output.append.changed-input = reprocess");

    // A batch directory left without its commit record by a dead run is removed by the next run.
    Path leftover = out.resolve("batches/000002-20260101T000000Z/accepted");
    Files.createDirectories(leftover);
    SiftRun again =
        run(
            "match",
            in.toString(),
            out,
            "sift.output.mode=append",
            "sift.output.append.changed-input=reprocess");
    assertThat(again.exitCode()).as(again.toString()).isZero();
    assertThat(leftover.getParent()).doesNotExist();
    assertThat(committed(out)).hasSize(2);
  }

  @Test
  void appendRefusesAOneShotOutput() {
    Path out = tmp.resolve("one-shot");
    SiftRun r = run("match", pool.resolve("shard-01.parquet").toString(), out);
    assertThat(r.exitCode()).as(r.toString()).isZero();
    SiftRun a = run("match", pool.toString(), out, "sift.output.mode=append");
    assertThat(a.exitCode()).isEqualTo(2);
    assertThat(a.err()).contains("not committed batches");
  }
}
