package dev.sift.jobs;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.curation.ids.StableId;
import dev.sift.udfs.SparkTestBase;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each odd input of the data contract (README) has its defined outcome. */
class InputContractTest extends SparkTestBase {
  @TempDir Path tmp;

  private static final StructType TEXT =
      new StructType().add("id", DataTypes.StringType).add("caption", DataTypes.StringType);

  private Path parquet(String name, StructType schema, int files, Row... rows) {
    Path dir = tmp.resolve(name);
    spark
        .createDataFrame(Arrays.asList(rows), schema)
        .repartition(files)
        .write()
        .parquet(dir.toString());
    return dir;
  }

  private SiftRun curate(Path input, String... sets) {
    return SiftRun.of(
        List.of(
            "curate",
            "--input",
            input.toString(),
            "--output",
            tmp.resolve("out-" + input.getFileName()).toString()),
        sets);
  }

  private Dataset<Row> output(Path input, String part) {
    return spark.read().parquet(tmp.resolve("out-" + input.getFileName()).resolve(part).toString());
  }

  @Test
  void missingCaptionColumnNamesColumnFileAndColumnsFound() {
    Path in =
        parquet(
            "nocap",
            new StructType().add("id", DataTypes.StringType).add("TEXT", DataTypes.StringType),
            1,
            RowFactory.create("1", "a dog"));
    SiftRun run = curate(in);
    assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
    assertThat(run.err())
        .contains(
            "'caption'",
            "sift.input.columns.caption",
            "nocap",
            "columns found: id (string), TEXT (string)");
    assertThat(tmp.resolve("out-nocap")).doesNotExist();
  }

  @Test
  void mistypedAndMissingMappedColumnsExit2() {
    Path in =
        parquet(
            "typed",
            new StructType()
                .add("caption", DataTypes.StringType)
                .add("image", DataTypes.StringType),
            1,
            RowFactory.create("a dog", "not bytes"));
    SiftRun run = curate(in);
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("'image'", "type string, expected binary");
    SiftRun missing = curate(in, "sift.input.columns.image=", "sift.input.columns.url=URL");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("'URL'", "sift.input.columns.url", "not found");
  }

  @Test
  void truncatedParquetFileIsNamed() throws IOException {
    Path in = parquet("corrupt", TEXT, 1, RowFactory.create("1", "a dog"));
    Path part = partFiles(in).get(0);
    byte[] bytes = Files.readAllBytes(part);
    Files.write(part, Arrays.copyOf(bytes, bytes.length / 2));
    SiftRun run = curate(in);
    assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
    assertThat(run.err()).contains(part.getFileName().toString(), "not a readable Parquet file");
  }

  @Test
  void wideImageColumnsNarrowTheParquetReaderBatchAndAUsersChoiceIsKept() throws IOException {
    String key = "spark.sql.parquet.columnarReaderBatchSize";
    // 40 rows of 256 KB of distinct bytes (no dictionary): 128 MB / 256 KB = 512 rows a batch,
    // not Spark's 4096 (at 4096 rows, images of 512 KB overflow the reader's 2 GB arrays).
    StructType schema = TEXT.add("image", DataTypes.BinaryType);
    java.util.Random random = new java.util.Random(7);
    Row[] rows = new Row[40];
    for (int i = 0; i < rows.length; i++) {
      byte[] image = new byte[256 * 1024];
      random.nextBytes(image);
      rows[i] = RowFactory.create("w" + i, "a wide image " + i, image);
    }
    Path wide = parquet("wide", schema, 1, rows);
    Path text = parquet("narrow", TEXT, 1, RowFactory.create("1", "a dog"));
    Path again = parquet("wide-again", schema, 1, rows);
    try {
      SiftRun run = curate(wide);
      assertThat(run.exitCode()).as(run.toString()).isZero();
      assertThat(Integer.parseInt(spark.conf().get(key))).isBetween(480, 512);
      assertThat(SiftRun.manifest(tmp.resolve("out-wide")).get("counts").get("input").asLong())
          .isEqualTo(40);
      // A later run of small rows in the same session gets Spark's batch back.
      assertThat(curate(text).exitCode()).isZero();
      assertThat(spark.conf().contains(key)).isFalse();
      // The user's own choice (spark-submit --conf, here set on the test's session) is kept.
      spark.conf().set(key, "100");
      SiftRun chosen = curate(again);
      assertThat(chosen.exitCode()).as(chosen.toString()).isZero();
      assertThat(spark.conf().get(key)).isEqualTo("100");
    } finally {
      spark.conf().unset(key);
    }
  }

  @Test
  void emptyFilesAndEmptyInputsAreFine() throws IOException {
    Path in = parquet("empty", TEXT, 1);
    Files.write(in.resolve("zero-bytes.parquet"), new byte[0]);
    SiftRun run = curate(in);
    assertThat(run.exitCode()).as(run.toString()).isZero();
    JsonNode counts = SiftRun.manifest(tmp.resolve("out-empty")).get("counts");
    assertThat(counts.get("input").asLong()).isZero();
    assertThat(counts.get("accepted").asLong()).isZero();
    assertThat(output(in, "accepted").columns()).contains("id", "caption", "clip_score");

    Path onlyZero = Files.createDirectories(tmp.resolve("zero"));
    Files.write(onlyZero.resolve("a.parquet"), new byte[0]);
    SiftRun zero = curate(onlyZero);
    assertThat(zero.exitCode()).isEqualTo(2);
    assertThat(zero.err()).contains("every input file is empty");

    SiftRun none = curate(tmp.resolve("does-not-exist"));
    assertThat(none.exitCode()).isEqualTo(2);
    assertThat(none.err()).contains("input path not found");
  }

  @Test
  void idsIntegerNullBlankAndDuplicated() {
    StructType schema =
        new StructType().add("key", DataTypes.LongType).add("caption", DataTypes.StringType);
    Path in =
        parquet(
            "ids",
            schema,
            3,
            RowFactory.create(7L, "zebra in a field"),
            RowFactory.create(7L, "antelope in a field"),
            RowFactory.create(7L, "cat on a mat"),
            RowFactory.create(8L, "a unique row"),
            RowFactory.create(null, "no id at all"));
    SiftRun run = curate(in, "sift.input.columns.id=key");
    assertThat(run.exitCode()).as(run.toString()).isZero();
    Dataset<Row> accepted = output(in, "accepted");
    Dataset<Row> rejected = output(in, "rejected");
    assertThat(accepted.count() + rejected.count()).isEqualTo(5);
    List<Row> kept = accepted.where(col("id").equalTo("7")).collectAsList();
    assertThat(kept).hasSize(1);
    assertThat((String) kept.get(0).getAs("caption")).isEqualTo("antelope in a field");
    assertThat(rejected.where(col("reject_reason").equalTo("duplicate_id")).count()).isEqualTo(2);
    Row derived = accepted.where(col("caption").equalTo("no id at all")).first();
    assertThat((String) derived.getAs("id")).isEqualTo(StableId.derive(null, "no id at all", null));
  }

  @Test
  void derivedIdsDoNotDependOnPartitioning() {
    Row[] rows = new Row[40];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = RowFactory.create(null, "caption number " + i);
    }
    Path one = parquet("one-file", TEXT, 1, rows);
    Path many = parquet("many-files", TEXT, 5, rows);
    assertThat(curate(one).exitCode()).isZero();
    assertThat(curate(many, "spark.sql.files.maxPartitionBytes=1024").exitCode()).isZero();
    assertThat(idsByCaption(one)).hasSize(40).isEqualTo(idsByCaption(many));
  }

  private Map<String, String> idsByCaption(Path in) {
    Map<String, String> ids = new HashMap<>();
    for (Row r : output(in, "accepted").select("caption", "id").collectAsList()) {
      ids.put(r.getString(0), r.getString(1));
    }
    return ids;
  }

  @Test
  void unmappedColumnsPassThroughAndClashesAreRenamed() {
    StructType schema =
        new StructType()
            .add("TEXT", DataTypes.StringType)
            .add("caption", DataTypes.StringType)
            .add("clip_score", DataTypes.DoubleType)
            .add("shard", DataTypes.IntegerType);
    Path in = parquet("passthrough", schema, 1, RowFactory.create("a red car", "old", 0.31, 4));
    SiftRun run = curate(in, "sift.input.columns.caption=TEXT");
    assertThat(run.exitCode()).as(run.toString()).isZero();
    Row r = output(in, "accepted").first();
    assertThat((String) r.getAs("caption")).isEqualTo("a red car");
    assertThat((String) r.getAs("input_caption")).isEqualTo("old");
    assertThat((Double) r.getAs("input_clip_score")).isEqualTo(0.31);
    assertThat((Object) r.getAs("clip_score")).isNull();
    assertThat((Integer) r.getAs("shard")).isEqualTo(4);
  }

  @Test
  void headColumnsOfTheInputPassThroughRenamedAndSiftsHeadColumnIsSifts() {
    // Any head_ name is Sift's, whether or not a head of that name runs: head_x has no head.
    Path in = tmp.resolve("heads-in");
    spark
        .read()
        .parquet(repo("data/sample/sample.parquet").toString())
        .orderBy("id")
        .limit(24)
        .withColumn("head_linear", org.apache.spark.sql.functions.lit(7.0))
        .withColumn("head_x", org.apache.spark.sql.functions.lit("theirs"))
        .coalesce(1)
        .write()
        .parquet(in.toString());
    SiftRun run =
        curate(
            in,
            "sift.score.enabled=true",
            "sift.score.model=" + ScoreStageTest.MODEL,
            "sift.score.heads.linear=" + ScoreStageTest.HEAD);
    assertThat(run.exitCode()).as(run.toString()).isZero();
    Dataset<Row> accepted = output(in, "accepted");
    assertThat(accepted.count()).isPositive();
    assertThat(accepted.columns()).contains("input_head_linear", "input_head_x", "head_linear");
    assertThat(accepted.columns()).doesNotContain("head_x");
    for (Row r : accepted.collectAsList()) {
      assertThat((Double) r.getAs("input_head_linear")).isEqualTo(7.0);
      assertThat((String) r.getAs("input_head_x")).isEqualTo("theirs");
      assertThat((Double) r.getAs("head_linear")).isNotNull().isNotEqualTo(7.0);
    }
  }

  @Test
  void csvIsATextOnlyRun() throws Exception {
    Path csv = Files.createDirectories(tmp.resolve("csv"));
    Files.writeString(
        csv.resolve("pairs.csv"),
        "url,caption\nhttp://x/1.jpg,\"a dog, running\"\nhttp://x/2.jpg,\"line one\nline two\"\n"
            + "http://x/3.jpg,\n",
        StandardCharsets.UTF_8);
    SiftRun run = curate(csv, "sift.input.format=csv");
    assertThat(run.exitCode()).as(run.toString()).isZero();
    JsonNode m = SiftRun.manifest(tmp.resolve("out-csv"));
    assertThat(m.get("counts").get("input").asLong()).isEqualTo(3);
    assertThat(m.get("counts").get("rejected_by_reason").get("no_caption").asLong()).isEqualTo(1);
    assertThat(m.get("stages").get("decode").asText()).contains("no image column");
    List<String> captions =
        output(csv, "accepted")
            .orderBy("url")
            .select("caption")
            .as(org.apache.spark.sql.Encoders.STRING())
            .collectAsList();
    assertThat(captions).containsExactly("a dog, running", "line one line two");
  }

  @Test
  void img2datasetFilesLayout() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("files").resolve("00000"));
    byte[] jpeg =
        Files.readAllBytes(repo("curation/src/test/resources/fixtures/images/photo_640x480.jpg"));
    Files.write(root.resolve("000000000.jpg"), jpeg);
    Files.writeString(root.resolve("000000000.txt"), "a photo of a street");
    Files.writeString(
        root.resolve("000000000.json"),
        "{\"key\": \"000000000\", \"url\": \"http://x/a.jpg\", \"width\": 640, \"height\": 480}");
    Files.writeString(root.resolve("000000001.txt"), "caption whose image failed");
    Files.writeString(tmp.resolve("files").resolve("00000_stats.json"), "{\"count\": 2}");
    SiftRun run = curate(tmp.resolve("files"), "sift.input.format=files");
    assertThat(run.exitCode()).as(run.toString()).isZero();
    Row ok = output(tmp.resolve("files"), "accepted").first();
    assertThat((String) ok.getAs("id")).isEqualTo("000000000");
    assertThat((String) ok.getAs("url")).isEqualTo("http://x/a.jpg");
    assertThat((Integer) ok.getAs("width")).isEqualTo(640);
    Row bad = output(tmp.resolve("files"), "rejected").first();
    assertThat((String) bad.getAs("id")).isEqualTo("000000001");
    assertThat((String) bad.getAs("reject_reason")).isEqualTo("no_image");
  }

  @Test
  void stagesThatNeedOthersCannotBeSwitchedOnAlone() {
    Path in = parquet("stage", TEXT, 1, RowFactory.create("1", "a dog"));
    SiftRun run = curate(in, "sift.recaption.enabled=true");
    assertThat(run.exitCode()).isEqualTo(2);
    assertThat(run.err()).contains("sift.recaption.enabled", "sift.score.enabled");
    SiftRun noList = curate(in, "sift.match.enabled=true");
    assertThat(noList.exitCode()).isEqualTo(2);
    assertThat(noList.err()).contains("sift.match.metadata");
    SiftRun balanceAlone = curate(in, "sift.balance.enabled=true");
    assertThat(balanceAlone.exitCode()).isEqualTo(2);
    assertThat(balanceAlone.err()).contains("sift.balance.enabled", "sift.match.enabled");
  }

  @Test
  void overwriteReplacesAPreviousRunWhole() throws IOException {
    Path first =
        parquet("run1", TEXT, 1, RowFactory.create("1", "a dog"), RowFactory.create("2", "a cat"));
    Path second = parquet("run2", TEXT, 1, RowFactory.create("3", "a bird"));
    Path out = tmp.resolve("shared-out");
    String[] common = {"--output", out.toString(), "--set", "sift.output.mode=overwrite"};
    assertThat(
            SiftRun.of(concat(new String[] {"curate", "--input", first.toString()}, common))
                .exitCode())
        .isZero();
    Files.writeString(out.resolve("stray-file.txt"), "left by someone");
    SiftRun run = SiftRun.of(concat(new String[] {"curate", "--input", second.toString()}, common));
    assertThat(run.exitCode()).as(run.toString()).isZero();
    assertThat(out.resolve("stray-file.txt")).doesNotExist();
    assertThat(SiftRun.manifest(out).get("counts").get("input").asLong()).isEqualTo(1);
    assertThat(spark.read().parquet(out.resolve("accepted").toString()).count()).isEqualTo(1);
  }

  private static String[] concat(String[] a, String[] b) {
    String[] all = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  @Test
  void cudaWithoutACudaBuildFailsAtStartUp() {
    Path in = parquet("device", TEXT, 1, RowFactory.create("1", "a dog"));
    SiftRun run = curate(in, "sift.device=cuda");
    assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
    assertThat(run.err()).contains("sift.device = cuda", "no CUDA provider");
    SiftRun trt = curate(in, "sift.device=tensorrt-fp16");
    assertThat(trt.exitCode()).as(trt.toString()).isEqualTo(2);
    assertThat(trt.err()).contains("sift.device = tensorrt-fp16", "no TensorRT provider");
  }

  private static List<Path> partFiles(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().endsWith(".parquet")).sorted().toList();
    }
  }
}
