package dev.sift.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.udfs.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models on a cluster file system: Spark ships them to the executors and Sift opens the copies. The
 * file system is Hadoop's ViewFs ({@code viewfs://}), a real non-local Hadoop scheme that needs no
 * server, mounted over a temporary directory; {@code s3a://} and {@code hdfs://} paths take the
 * same code path (Hadoop FileSystem + SparkContext.addFile).
 */
class RemoteModelTest extends SparkTestBase {
  @TempDir static Path tmp;
  static final Path MODEL = repo("curation/src/test/resources/fixtures/tiny-clip");
  static final Path HEAD = repo("curation/src/test/resources/fixtures/heads/linear32.onnx");
  static final Path IMAGES = repo("curation/src/test/resources/fixtures/images");
  static Path input;

  @BeforeAll
  static void store() throws Exception {
    Path store = Files.createDirectories(tmp.resolve("store/models"));
    Path clip = Files.createDirectories(store.resolve("clip-remote"));
    try (Stream<Path> files = Files.list(MODEL)) {
      for (Path f : files.toList()) {
        Files.copy(f, clip.resolve(f.getFileName()));
      }
    }
    Files.copy(HEAD, store.resolve("linear32.onnx"));
    spark
        .sparkContext()
        .hadoopConfiguration()
        .set("fs.viewfs.mounttable.store.link./models", store.toUri().toString());
    List<Row> rows = new ArrayList<>();
    for (String name : List.of("photo_640x480.jpg", "gray_512x512.jpg", "webp_320x240.webp")) {
      rows.add(
          RowFactory.create(name, "a photo of " + name, Files.readAllBytes(IMAGES.resolve(name))));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.StringType)
            .add("caption", DataTypes.StringType)
            .add("image", DataTypes.BinaryType);
    input = tmp.resolve("in");
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(input.toString());
  }

  private static SiftRun score(String out, String model, String head) {
    return SiftRun.of(
        "score",
        "--input",
        input.toString(),
        "--output",
        tmp.resolve(out).toString(),
        "--set",
        "sift.score.model=" + model,
        "--set",
        "sift.score.heads.linear=" + head);
  }

  @Test
  void aModelOnAClusterFileSystemIsShippedAndGivesTheSameScores() throws Exception {
    SiftRun r =
        score("out", "viewfs://store/models/clip-remote", "viewfs://store/models/linear32.onnx");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    List<Row> scored = spark.read().parquet(tmp.resolve("out/accepted").toString()).collectAsList();
    assertThat(scored).hasSize(3);
    ModelScores.assertScoresAreTheModels(MODEL, scored);
    assertThat(scored).allSatisfy(row -> assertThat((Double) row.getAs("head_linear")).isNotNull());
    // The manifest names the configured paths' files with the hashes of what was shipped.
    JsonNode files = SiftRun.manifest(tmp.resolve("out")).get("models");
    assertThat(files.toString()).contains("text_model.onnx").contains("linear32.onnx");
  }

  @Test
  void aMissingRemotePathOrTwoModelsOfOneNameFailAtStartUp() {
    SiftRun missing =
        score("missing", "viewfs://store/models/nowhere", "viewfs://store/models/linear32.onnx");
    assertThat(missing.exitCode()).as(missing.toString()).isEqualTo(2);
    assertThat(missing.err()).contains("sift.score.model", "nowhere", "does not exist");
    // Spark files shipped paths by their last name: a head named like the model cannot go too.
    SiftRun clash =
        score("clash", "viewfs://store/models/clip-remote", "viewfs://store/heads/clip-remote");
    assertThat(clash.exitCode()).as(clash.toString()).isEqualTo(2);
    assertThat(clash.err()).contains("sift.score.heads.linear", "same name 'clip-remote'");
  }
}
