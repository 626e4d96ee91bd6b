package dev.sift.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sift.curation.webdataset.ShardKeys;
import dev.sift.udfs.SparkTestBase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sift.output.format = webdataset} end to end: curate the test shards of
 * curation/src/test/resources/webdataset/good into shards of 2 samples, twice, and read them back
 * with Sift, Python's tarfile and GNU tar. PAX names: ShardKeysTest.
 */
class WebDatasetOutputTest extends SparkTestBase {
  private static final Path SHARDS = repo("curation/src/test/resources/webdataset");

  @TempDir static Path tmp;
  private static Path first;
  private static Path second;
  private static Path parquet;

  private static SiftRun curate(String input, Path out, String... sets) {
    SiftRun run = SiftRun.curateWebDataset(input, out, sets);
    assertThat(run.exitCode()).as(run.toString()).isZero();
    return run;
  }

  @BeforeAll
  static void runs() {
    String input = SHARDS.resolve("good").toString();
    first = tmp.resolve("first");
    second = tmp.resolve("second");
    parquet = tmp.resolve("parquet");
    String[] wds = {"sift.output.format=webdataset", "sift.output.shard-size=2"};
    curate(input, first, wds);
    curate(input, second, wds);
    curate(input, parquet);
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> !n.startsWith("."))
          .sorted()
          .toList();
    }
  }

  private List<Row> accepted(Path out) {
    return spark
        .read()
        .parquet(out.resolve("accepted").toString())
        .orderBy("id")
        .select("id", "caption", "image")
        .collectAsList();
  }

  @Test
  void shardsOfTheGivenSizeBesideTheirParquetAndNothingElse() throws IOException {
    long n = accepted(parquet).size();
    assertThat(n).isGreaterThan(2);
    int shards = (int) ((n + 1) / 2);
    List<String> expected = new ArrayList<>();
    for (int i = 0; i < shards; i++) {
      expected.add(String.format("%05d.parquet", i));
      expected.add(String.format("%05d.tar", i));
    }
    assertThat(names(first.resolve("accepted"))).containsExactlyElementsOf(expected);
    for (int i = 0; i < shards; i++) {
      long rows =
          spark
              .read()
              .parquet(first.resolve(String.format("accepted/%05d.parquet", i)).toString())
              .count();
      assertThat(rows).as("shard %d", i).isEqualTo(i < shards - 1 ? 2 : n - 2L * (shards - 1));
    }
    assertThat(SiftRun.manifest(first).path("counts").path("accepted").asLong()).isEqualTo(n);
    assertThat(first.resolve("report/report.json")).exists();
    assertThat(first.resolve("rejected")).isDirectory();
  }

  @Test
  void twoRunsWriteByteIdenticalShards() throws IOException {
    for (String name : names(first.resolve("accepted"))) {
      if (name.endsWith(".tar")) {
        assertThat(Files.readAllBytes(second.resolve("accepted").resolve(name)))
            .as(name)
            .isEqualTo(Files.readAllBytes(first.resolve("accepted").resolve(name)));
      }
    }
  }

  @Test
  void siftReadsTheShardsBackAsTheSameRows() {
    Path back = tmp.resolve("back");
    curate(first.resolve("accepted").toString(), back);
    List<Row> expected = accepted(parquet);
    List<Row> actual = accepted(back);
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < expected.size(); i++) {
      Row e = expected.get(i);
      Row a = actual.get(i);
      assertThat(a.getString(0)).isEqualTo(e.getString(0));
      assertThat(a.getString(1)).as(e.getString(0)).isEqualTo(e.getString(1));
      assertThat((byte[]) a.get(2)).as(e.getString(0)).isEqualTo((byte[]) e.get(2));
    }
  }

  @Test
  void pythonTarfileSeesOneSampleOfThreeMembersPerRow() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/python3")), "python3 absent");
    String script =
        String.join(
            "\n",
            "import json, sys, tarfile, glob",
            "for shard in sorted(glob.glob(sys.argv[1] + '/*.tar')):",
            "  with tarfile.open(shard, encoding='utf-8') as t:",
            "    samples = []",
            "    for m in t.getmembers():",
            "      assert m.isfile() and m.mode & 0o7777 == 0o644 and m.mtime == 0, m.name",
            "      assert m.uid == 0 and m.gid == 0 and m.uname == '' and m.gname == '', m.name",
            "      key, ext = m.name.split('.', 1)",
            "      if not samples or samples[-1][0] != key: samples.append((key, []))",
            "      samples[-1][1].append(ext)",
            "      if ext == 'json':",
            "        print('ID', key, json.loads(t.extractfile(m).read().decode())['key'])",
            "    for key, exts in samples:",
            "      print('SAMPLE', key, ','.join(exts))",
            "");
    Path file = tmp.resolve("check.py");
    Files.writeString(file, script);
    String out = run("/usr/bin/python3", file.toString(), first.resolve("accepted").toString());
    List<Row> rows = accepted(parquet);
    Map<String, String> ids = new HashMap<>();
    int samples = 0;
    for (String line : out.split("\n")) {
      String[] f = line.split(" ", 3);
      if (f[0].equals("ID")) {
        ids.put(f[1], f[2]);
      } else if (f[0].equals("SAMPLE")) {
        samples++;
        assertThat(f[2]).as(line).matches("json,txt,(jpg|png|webp|gif|bin)");
      }
    }
    assertThat(samples).isEqualTo(rows.size());
    for (Row r : rows) {
      assertThat(ids.get(ShardKeys.encode(r.getString(0)))).isEqualTo(r.getString(0));
    }
  }

  @Test
  void gnuTarListsEveryMember() throws Exception {
    assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/tar")) || Files.isExecutable(Path.of("/bin/tar")));
    int members = 0;
    for (String name : names(first.resolve("accepted"))) {
      if (name.endsWith(".tar")) {
        String out = run("tar", "-tf", first.resolve("accepted").resolve(name).toString());
        for (String line : out.split("\n")) {
          assertThat(line).doesNotContain("PaxHeaders").doesNotContain("/");
          members++;
        }
      }
    }
    assertThat(members).isEqualTo(3 * accepted(parquet).size());
  }

  /**
   * A shard task that fails part-way (no retries in the tests' local[2]) fails the run: the half
   * shard stays under accepted/_sift_tmp/, no NNNNN.tar appears for a trainer to read, and there is
   * no manifest.
   */
  @Test
  void aShardTaskFailingPartWayLeavesNoShardInPlace() throws IOException {
    Path out = tmp.resolve("failed");
    SiftRun r =
        SiftRun.curateWebDataset(
            SHARDS.resolve("good").toString(),
            out,
            "sift.output.format=webdataset",
            "sift.output.shard-size=2",
            "sift.test.hook=fail-once:shards");
    assertThat(r.exitCode()).as(r.toString()).isEqualTo(1);
    assertThat(r.err()).contains("injected failure of the first attempt");
    assertThat(names(out.resolve("accepted"))).noneMatch(n -> n.endsWith(".tar"));
    assertThat(out.resolve("_MANIFEST.json")).doesNotExist();
    List<String> partial = names(out.resolve("accepted/_sift_tmp"));
    assertThat(partial).anyMatch(n -> n.startsWith("00000.tar."));
  }

  @Test
  void noAcceptedRowsGiveOneEmptyShardAndAReadableTable() throws IOException {
    Path none = tmp.resolve("none");
    curate(
        SHARDS.resolve("good").toString(),
        none,
        "sift.output.format=webdataset",
        "sift.text.min-chars=1000000");
    assertThat(names(none.resolve("accepted"))).containsExactly("00000.parquet", "00000.tar");
    assertThat(Files.size(none.resolve("accepted/00000.tar"))).isPositive();
    assertThat(SiftRun.manifest(none).path("counts").path("accepted").asLong()).isZero();
    assertThat(spark.read().parquet(none.resolve("accepted/*.parquet").toString()).columns())
        .contains("id", "caption")
        .doesNotContain("image");
  }

  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
