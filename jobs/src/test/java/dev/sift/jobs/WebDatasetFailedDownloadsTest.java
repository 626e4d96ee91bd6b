package dev.sift.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.curation.webdataset.ShardWriter;
import dev.sift.udfs.SparkTestBase;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sift.input.webdataset.failed-downloads}: img2dataset's {@code NNNNN.parquet} beside a
 * shard, written here as img2dataset writes it (every row of the shard's input with its {@code
 * status}; the failed ones are not in the tar), read into input rows rejected {@code
 * read/download_failed}.
 */
class WebDatasetFailedDownloadsTest extends SparkTestBase {
  private static final Path IMAGE = repo("curation/src/test/resources/fixtures/images");

  /** img2dataset's Parquet columns (its writer's schema, less nothing Sift reads). */
  private static final StructType IMG2DATASET =
      new StructType()
          .add("key", DataTypes.StringType)
          .add("url", DataTypes.StringType)
          .add("caption", DataTypes.StringType)
          .add("status", DataTypes.StringType)
          .add("error_message", DataTypes.StringType)
          .add("width", DataTypes.IntegerType)
          .add("height", DataTypes.IntegerType)
          .add("original_width", DataTypes.IntegerType)
          .add("original_height", DataTypes.IntegerType);

  private static final String NOT_FOUND = "HTTP Error 404: Not Found";
  private static final String TOO_SMALL = "image too small";

  @TempDir Path tmp;

  /** One row of the shard's input: a sample in the tar when its status is success. */
  private record Item(String key, String status, String error) {
    String url() {
      return "http://example.com/" + key + ".jpg";
    }

    String caption() {
      return "a photo of a mountain lake number " + key;
    }
  }

  private static final List<Item> SHARD =
      List.of(
          new Item("000000000", "success", null),
          new Item("000000001", "failed_to_download", NOT_FOUND),
          new Item("000000002", "success", null),
          new Item("000000003", "failed_to_resize", TOO_SMALL));

  /** Writes {@code NNNNN.tar} (the successful items) and, when asked, {@code NNNNN.parquet}. */
  private void shard(Path dir, String stem, List<Item> items, boolean parquet) throws IOException {
    Files.createDirectories(dir);
    byte[] jpg = Files.readAllBytes(IMAGE.resolve("photo_640x480.jpg"));
    try (OutputStream out = Files.newOutputStream(dir.resolve(stem + ".tar"));
        ShardWriter w = new ShardWriter(out)) {
      for (Item i : items) {
        if (!i.status().equals("success")) {
          continue;
        }
        String json =
            String.format(
                "{\"url\": \"%s\", \"caption\": \"%s\", \"key\": \"%s\", \"status\": \"success\","
                    + " \"error_message\": null, \"width\": 640, \"height\": 480,"
                    + " \"original_width\": 1280, \"original_height\": 960}",
                i.url(), i.caption(), i.key());
        w.member(i.key(), "json", json.getBytes(StandardCharsets.UTF_8));
        w.member(i.key(), "txt", i.caption().getBytes(StandardCharsets.UTF_8));
        w.member(i.key(), "jpg", jpg);
        w.endSample();
      }
    }
    if (!parquet) {
      return;
    }
    List<Row> rows = new ArrayList<>();
    for (Item i : items) {
      boolean ok = i.status().equals("success");
      rows.add(
          RowFactory.create(
              i.key(),
              i.url(),
              i.caption(),
              i.status(),
              i.error(),
              ok ? 640 : null,
              ok ? 480 : null,
              ok ? 1280 : null,
              ok ? 960 : null));
    }
    parquet(rows, IMG2DATASET, dir.resolve(stem + ".parquet"));
  }

  /** Writes {@code rows} as the one Parquet file {@code target}, as img2dataset's writer does. */
  private void parquet(List<Row> rows, StructType schema, Path target) throws IOException {
    Path written = tmp.resolve("spark-" + System.nanoTime());
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(written.toString());
    try (Stream<Path> files = Files.list(written)) {
      Path part =
          files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().get();
      Files.move(part, target);
    }
  }

  private static SiftRun curate(String input, Path out, String... sets) {
    return SiftRun.curateWebDataset(input, out, sets);
  }

  private Map<String, Row> byId(Path out, String part) {
    Map<String, Row> rows = new HashMap<>();
    for (Row r : spark.read().parquet(out.resolve(part).toString()).collectAsList()) {
      rows.put(r.getAs("id"), r);
    }
    return rows;
  }

  @Test
  void failedDownloadsBecomeRowsRejectedWithImg2datasetsMessage() throws IOException {
    // A space in the folder: Spark names the Parquet by its URI (%20), the shard by its path.
    Path dir = tmp.resolve("img2dataset out");
    shard(dir, "00000", SHARD, true);
    Path out = tmp.resolve("on");
    SiftRun run = curate(dir.toString(), out, "sift.input.webdataset.failed-downloads=true");
    assertThat(run.exitCode()).as(run.toString()).isZero();

    assertThat(byId(out, "accepted")).containsOnlyKeys("000000000", "000000002");
    Map<String, Row> rejected = byId(out, "rejected");
    assertThat(rejected).containsOnlyKeys("000000001", "000000003");
    Row notFound = rejected.get("000000001");
    assertThat((String) notFound.getAs("reject_stage")).isEqualTo("read");
    assertThat((String) notFound.getAs("reject_reason")).isEqualTo("download_failed");
    assertThat((String) notFound.getAs("reject_detail")).isEqualTo(NOT_FOUND);
    assertThat((String) notFound.getAs("url")).isEqualTo("http://example.com/000000001.jpg");
    assertThat((String) notFound.getAs("caption"))
        .isEqualTo("a photo of a mountain lake number 000000001");
    assertThat((String) notFound.getAs("__key__")).isEqualTo("000000001");
    assertThat((String) notFound.getAs("__shard__")).endsWith("img2dataset out/00000.tar");
    // img2dataset's other columns fill the pass-through columns the shard's json members made
    assertThat((String) notFound.getAs("status")).isEqualTo("failed_to_download");
    assertThat((String) notFound.getAs("error_message")).isEqualTo(NOT_FOUND);
    Row tooSmall = rejected.get("000000003");
    assertThat((String) tooSmall.getAs("reject_reason")).isEqualTo("download_failed");
    assertThat((String) tooSmall.getAs("reject_detail")).isEqualTo(TOO_SMALL);

    JsonNode manifest = SiftRun.manifest(out);
    assertThat(manifest.at("/counts/input").asLong()).isEqualTo(4);
    assertThat(manifest.at("/counts/accepted").asLong()).isEqualTo(2);
    assertThat(manifest.at("/counts/rejected_by_reason/download_failed").asLong()).isEqualTo(2);
    assertThat(manifest.at("/input/failed_downloads/parquet_files").asInt()).isOne();
    assertThat(manifest.at("/input/failed_downloads/shards_without_parquet_count").asInt())
        .isZero();

    // Off (the default): the shard alone, as before.
    Path off = tmp.resolve("off");
    SiftRun plain = curate(dir.toString(), off);
    assertThat(plain.exitCode()).as(plain.toString()).isZero();
    assertThat(byId(off, "accepted")).containsOnlyKeys("000000000", "000000002");
    assertThat(byId(off, "rejected")).isEmpty();
    JsonNode offManifest = SiftRun.manifest(off);
    assertThat(offManifest.at("/counts/input").asLong()).isEqualTo(2);
    assertThat(offManifest.at("/input/failed_downloads").isMissingNode()).isTrue();
  }

  @Test
  void aShardWithoutParquetIsReadAloneAndListed() throws IOException {
    Path dir = tmp.resolve("shards");
    shard(dir, "00000", SHARD, true);
    shard(
        dir,
        "00001",
        List.of(
            new Item("000000010", "success", null),
            new Item("000000011", "failed_to_download", NOT_FOUND)),
        false);
    Path out = tmp.resolve("out");
    SiftRun run = curate(dir.toString(), out, "sift.input.webdataset.failed-downloads=true");
    assertThat(run.exitCode()).as(run.toString()).isZero();

    assertThat(byId(out, "accepted")).containsOnlyKeys("000000000", "000000002", "000000010");
    assertThat(byId(out, "rejected")).containsOnlyKeys("000000001", "000000003");
    JsonNode manifest = SiftRun.manifest(out);
    assertThat(manifest.at("/counts/input").asLong()).isEqualTo(5);
    JsonNode failed = manifest.at("/input/failed_downloads");
    assertThat(failed.get("parquet_files").asInt()).isOne();
    assertThat(failed.get("shards_without_parquet_count").asInt()).isOne();
    assertThat(failed.get("shards_without_parquet").get(0).asText()).endsWith("shards/00001.tar");
  }

  @Test
  void aFailedRowWithASamplesKeyNeverTakesTheSamplesPlace() throws IOException {
    // img2dataset never writes this; should a Parquet say so, the sample keeps its id.
    Path dir = tmp.resolve("odd");
    shard(dir, "00000", List.of(new Item("000000020", "success", null)), false);
    // The caption sorts before the sample's, which would otherwise win the tie.
    parquet(
        List.of(
            RowFactory.create(
                "000000020",
                "http://example.com/000000020.jpg",
                "a",
                "failed_to_download",
                NOT_FOUND,
                null,
                null,
                null,
                null)),
        IMG2DATASET,
        dir.resolve("00000.parquet"));
    Path out = tmp.resolve("odd-out");
    SiftRun run = curate(dir.toString(), out, "sift.input.webdataset.failed-downloads=true");
    assertThat(run.exitCode()).as(run.toString()).isZero();
    Row sample = byId(out, "accepted").get("000000020");
    assertThat(sample).isNotNull();
    assertThat((String) sample.getAs("caption"))
        .isEqualTo("a photo of a mountain lake number 000000020");
    Row failed = byId(out, "rejected").get("000000020");
    assertThat((String) failed.getAs("reject_reason")).isEqualTo("download_failed");
  }

  @Test
  void aParquetThatIsNotImg2datasetsExits2NamingIt() throws IOException {
    Path dir = tmp.resolve("other");
    shard(dir, "00000", List.of(new Item("000000030", "success", null)), false);
    // Sift's own WebDataset output has a Parquet beside each shard too, with id and no status.
    parquet(
        List.of(RowFactory.create("000000030")),
        new StructType().add("id", DataTypes.StringType),
        dir.resolve("00000.parquet"));
    SiftRun run =
        curate(dir.toString(), tmp.resolve("x"), "sift.input.webdataset.failed-downloads=true");
    assertThat(run.exitCode()).as(run.toString()).isEqualTo(2);
    assertThat(run.err()).contains("other/00000.parquet", "'key'", "failed-downloads");
  }
}
