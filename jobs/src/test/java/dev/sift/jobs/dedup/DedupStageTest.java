package dev.sift.jobs.dedup;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sift.curation.dedup.PerceptualHash;
import dev.sift.curation.image.ImageDecoder;
import dev.sift.jobs.SiftRun;
import dev.sift.udfs.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dedup in curate over the real photographs with planted duplicates ({@link PlantedDuplicates}),
 * scored by the tiny CLIP: every planted copy is found, by the kind that should find it, and no two
 * different photographs are taken for duplicates; every row ends in exactly one place.
 */
class DedupStageTest extends SparkTestBase {
  @TempDir static Path tmp;
  static final Path CLIP = repo("curation/src/test/resources/fixtures/tiny-clip");
  static List<PlantedDuplicates.Row> planted;
  static Path input;

  @BeforeAll
  static void writeInput() throws Exception {
    planted = PlantedDuplicates.rows(repo("data/photos"));
    List<Row> rows = new ArrayList<>();
    for (PlantedDuplicates.Row p : planted) {
      rows.add(RowFactory.create(p.id(), p.caption(), "https://example.com/" + p.id(), p.image()));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.StringType)
            .add("caption", DataTypes.StringType)
            .add("url", DataTypes.StringType)
            .add("image", DataTypes.BinaryType);
    input = tmp.resolve("input");
    spark.createDataFrame(rows, schema).repartition(3).write().parquet(input.toString());
  }

  /** Planted copies that are not the same bytes: 5, or 6 with libwebp installed. */
  static long nearCopies() {
    return planted.stream().filter(p -> p.copyOf() != null && !p.how().equals("bytes")).count();
  }

  static SiftRun curate(Path out, String... sets) {
    SiftRun r =
        SiftRun.of(
            List.of(
                "curate",
                "--input",
                input.toString(),
                "--output",
                out.toString(),
                "--set",
                "sift.decode.max-aspect=5",
                "--set",
                "sift.report.enabled=false",
                "--set",
                "sift.dedup.enabled=true"),
            sets);
    assertThat(r.exitCode()).as(r.toString()).isZero();
    return r;
  }

  /** {@link #curate} with the reference set's pHash check only (no scoring, no other dedup). */
  static SiftRun curateAgainstReference(Path out, Path reference) {
    return curate(
        out,
        "sift.score.enabled=false",
        "sift.dedup.semantic.enabled=false",
        "sift.dedup.near.enabled=false",
        "sift.dedup.reference=" + reference);
  }

  /** reject_reason by id, null for accepted rows; every input id exactly once. */
  static Map<String, String> verdicts(Path out) {
    Map<String, String> byId = new HashMap<>();
    for (Row r :
        spark.read().parquet(out.resolve("accepted").toString()).select("id").collectAsList()) {
      assertThat(byId.put(r.getString(0), null)).isNull();
    }
    for (Row r :
        spark
            .read()
            .parquet(out.resolve("rejected").toString())
            .select("id", "reject_reason")
            .collectAsList()) {
      assertThat(byId.containsKey(r.getString(0))).as(r.getString(0) + " twice").isFalse();
      byId.put(r.getString(0), r.getString(1));
    }
    assertThat(byId.keySet()).hasSize(planted.size());
    return byId;
  }

  static Map<String, Row> rejected(Path out) {
    Map<String, Row> byId = new HashMap<>();
    for (Row r :
        spark
            .read()
            .parquet(out.resolve("rejected").toString())
            .select("id", "reject_stage", "reject_reason", "reject_detail")
            .collectAsList()) {
      byId.put(r.getString(0), r);
    }
    return byId;
  }

  /** Each planted copy, or its original, and nothing else, is rejected with {@code reason}. */
  static void eachPairLosesOneRow(Path out, String how, String reason) {
    Map<String, String> verdicts = verdicts(out);
    Map<String, Row> rejected = rejected(out);
    Set<String> lost = new HashSet<>();
    for (PlantedDuplicates.Row p : planted) {
      if (p.copyOf() == null || !how.contains(p.how().equals("bytes") ? "exact" : "near")) {
        continue;
      }
      String copy = verdicts.get(p.id());
      String original = verdicts.get(p.copyOf());
      assertThat(copy == null ^ original == null)
          .as("%s (%s) vs %s: %s / %s", p.id(), p.how(), p.copyOf(), copy, original)
          .isTrue();
      String loser = copy != null ? p.id() : p.copyOf();
      String winner = copy != null ? p.copyOf() : p.id();
      Row r = rejected.get(loser);
      assertThat(r.getString(1)).isEqualTo("dedup");
      assertThat(r.getString(2)).isEqualTo(p.how().equals("bytes") ? "exact_duplicate" : reason);
      assertThat(r.getString(3)).startsWith("kept id " + winner + ",");
      lost.add(loser);
    }
    for (Map.Entry<String, String> v : verdicts.entrySet()) {
      if (v.getValue() != null && v.getValue().endsWith("duplicate")) {
        assertThat(lost).as("%s rejected %s", v.getKey(), v.getValue()).contains(v.getKey());
      }
    }
  }

  @Test
  void exactAndNearDuplicatesOfScoredRowsAreFoundAndNothingElse() throws Exception {
    Path out = tmp.resolve("scored");
    curate(
        out,
        "sift.score.enabled=true",
        "sift.score.model=" + CLIP,
        "sift.dedup.semantic.enabled=false");
    eachPairLosesOneRow(out, "exact near", "near_duplicate");
    JsonNode m = SiftRun.manifest(out);
    assertThat(m.at("/dedup/exact/removed").asLong()).isEqualTo(1);
    assertThat(m.at("/dedup/near/removed").asLong()).isEqualTo(nearCopies());
    assertThat(m.at("/counts/per_stage/dedup_exact/rejected").asLong()).isEqualTo(1);
    assertThat(m.at("/counts/per_stage/dedup/rejected").asLong()).isEqualTo(nearCopies());
    assertThat(m.at("/stages/dedup").asText()).isEqualTo("ran");
    // The pHash column is the image's, as the curation function computes it.
    ImageDecoder decoder = new ImageDecoder();
    List<Row> hashes =
        spark
            .read()
            .parquet(out.resolve("accepted").toString())
            .select("id", "image", "phash")
            .collectAsList();
    assertThat(hashes).isNotEmpty();
    for (Row r : hashes) {
      assertThat(r.getLong(2))
          .as(r.getString(0))
          .isEqualTo(PerceptualHash.of(decoder.decode((byte[]) r.get(1))));
    }
  }

  /**
   * The tiny CLIP has random weights: it maps every photograph into a narrow cone (different
   * photographs reach cosine 0.9968, planted copies are at least 0.9994), so this test sets eps to
   * 0.002 rather than the default, which is meant for a trained model.
   */
  @Test
  void semanticDuplicatesAreFoundByTheirEmbeddings() throws Exception {
    Path out = tmp.resolve("semantic");
    curate(
        out,
        "sift.score.enabled=true",
        "sift.score.model=" + CLIP,
        "sift.dedup.near.enabled=false",
        "sift.dedup.semantic.eps=0.002");
    eachPairLosesOneRow(out, "exact near", "semantic_duplicate");
    JsonNode m = SiftRun.manifest(out);
    assertThat(m.at("/dedup/semantic/removed").asLong()).isEqualTo(nearCopies());
    assertThat(m.at("/dedup/semantic/level1_clusters").asLong()).isEqualTo(1);
    assertThat(m.at("/dedup/semantic/examples")).hasSize((int) nearCopies());
    // The embeddings were only for dedup: not written.
    assertThat(spark.read().parquet(out.resolve("accepted").toString()).columns())
        .doesNotContain("image_embedding");
  }

  @Test
  void withoutScoringTheDecodeStageHashesAndIdsDecide() {
    Path out = tmp.resolve("unscored");
    curate(out, "sift.score.enabled=false", "sift.dedup.semantic.enabled=false");
    eachPairLosesOneRow(out, "exact near", "near_duplicate");
    // Without scores the smaller id stays: "copy-..." sorts before "photo-...".
    Map<String, Row> rejected = rejected(out);
    assertThat(rejected.keySet()).contains("photo-2", "photo-3", "photo-4", "photo-5");
  }

  /**
   * A reference image cropped too much for pHash (5% from each side: 8 bits here) is still found by
   * its CLIP embedding when semantic dedup runs. The tiny model puts it at cosine 0.9975 from the
   * photograph, and the photograph at most 0.991 from the others, so eps is 0.004 here.
   */
  @Test
  void referenceImagesAreFoundByEmbeddingToo() throws Exception {
    Path reference = Files.createDirectories(tmp.resolve("reference-cropped"));
    PlantedDuplicates.Row seventh = planted.get(6);
    byte[] cropped =
        PlantedDuplicates.jpeg(
            PlantedDuplicates.crop(PlantedDuplicates.read(seventh.image()), 0.05), 0.9f);
    assertThat(
            PerceptualHash.distance(
                PerceptualHash.of(new ImageDecoder().decode(cropped)),
                PerceptualHash.of(new ImageDecoder().decode(seventh.image()))))
        .as("pHash distance of the 5%% crop")
        .isGreaterThan(4);
    Files.write(reference.resolve("eval-crop.jpg"), cropped);
    Path out = tmp.resolve("reference-embedding-out");
    curate(
        out,
        "sift.score.enabled=true",
        "sift.score.model=" + CLIP,
        "sift.dedup.near.enabled=false",
        "sift.dedup.semantic.eps=0.004",
        "sift.dedup.reference=" + reference);
    Row r = rejected(out).get(seventh.id());
    assertThat(r).isNotNull();
    assertThat(r.getString(2)).isEqualTo("reference_overlap");
    assertThat(r.getString(3)).startsWith("reference image ").contains("eval-crop.jpg", "cosine");
    assertThat(SiftRun.manifest(out).at("/dedup/reference/embedded").asLong()).isEqualTo(1);
  }

  @Test
  void exactDuplicatesByAGivenHashColumnAndByUrlInATextOnlyInput() throws Exception {
    StructType schema =
        new StructType()
            .add("id", DataTypes.StringType)
            .add("caption", DataTypes.StringType)
            .add("url", DataTypes.StringType)
            .add("sha256", DataTypes.StringType);
    List<Row> rows =
        List.of(
            RowFactory.create("a", "a red bicycle by a wall", "https://x.org/1.jpg", "h1"),
            RowFactory.create("b", "a red bicycle again", "https://x.org/2.jpg", "h1"),
            RowFactory.create("c", "the same url", "HTTPS://X.ORG:443/1.jpg#frag", "h2"),
            RowFactory.create("d", "nothing shared", "https://x.org/3.jpg", "h3"),
            RowFactory.create("e", "no hash at all", "https://x.org/4.jpg", null),
            RowFactory.create("f", "blank hash", "https://x.org/5.jpg", "  "));
    Path text = tmp.resolve("text-input");
    spark.createDataFrame(rows, schema).repartition(2).write().parquet(text.toString());
    Path out = tmp.resolve("text-out");
    SiftRun r =
        SiftRun.of(
            "curate",
            "--input",
            text.toString(),
            "--output",
            out.toString(),
            "--set",
            "sift.report.enabled=false",
            "--set",
            "sift.dedup.enabled=true",
            "--set",
            "sift.dedup.near.enabled=false",
            "--set",
            "sift.dedup.semantic.enabled=false",
            "--set",
            "sift.dedup.exact.hash-column=sha256",
            "--set",
            "sift.dedup.exact.url=true");
    assertThat(r.exitCode()).as(r.toString()).isZero();
    Map<String, Row> rejected = rejected(out);
    assertThat(rejected.keySet()).containsExactlyInAnyOrder("b", "c");
    assertThat(rejected.get("b").getString(3)).isEqualTo("kept id a, same image bytes");
    assertThat(rejected.get("c").getString(3)).isEqualTo("kept id a, same URL");
    assertThat(SiftRun.manifest(out).at("/dedup/exact/removed").asLong()).isEqualTo(2);
    assertThat(SiftRun.manifest(out).at("/stages/dedup").asText()).isEqualTo("off");
  }

  @Test
  void theSampleWithDedupRemovesEveryKindAndLosesNoRow() throws Exception {
    Path out = tmp.resolve("sample-dedup");
    SiftRun r =
        SiftRun.of(
            "curate",
            "--config",
            repo("conf/sample-dedup.conf").toString(),
            "--input",
            repo("data/sample/sample.parquet").toString(),
            "--output",
            out.toString(),
            "--set",
            "sift.score.model=" + CLIP,
            "--set",
            "sift.match.metadata=" + repo("data/metaclip/metadata_proxy_wordnet30.json"));
    assertThat(r.exitCode()).as(r.toString()).isZero();
    JsonNode m = SiftRun.manifest(out);
    // 56 derived images, each paired with five alt-texts: most of each five go as exact copies,
    // each naming a smaller id with the very same bytes.
    assertThat(m.at("/dedup/exact/removed").asLong()).isGreaterThan(180L);
    Map<String, byte[]> images = new HashMap<>();
    for (Row row :
        spark
            .read()
            .parquet(out.resolve("accepted").toString())
            .select("id", "image")
            .union(spark.read().parquet(out.resolve("rejected").toString()).select("id", "image"))
            .collectAsList()) {
      images.put(row.getString(0), (byte[]) row.get(1));
    }
    List<Row> exact =
        spark
            .read()
            .parquet(out.resolve("rejected").toString())
            .where(col("reject_reason").equalTo("exact_duplicate"))
            .select("id", "reject_detail")
            .collectAsList();
    assertThat((long) exact.size()).isEqualTo(m.at("/dedup/exact/removed").asLong());
    for (Row row : exact) {
      String kept = row.getString(1).replaceFirst("^kept id (.*), same image bytes$", "$1");
      assertThat(kept).isLessThan(row.getString(0));
      assertThat(images.get(kept)).as(row.getString(0)).isEqualTo(images.get(row.getString(0)));
    }
    assertThat(m.at("/dedup/near/removed").asLong()).isPositive();
    long input = m.at("/counts/input").asLong();
    assertThat(m.at("/counts/accepted").asLong() + m.at("/counts/rejected").asLong())
        .isEqualTo(input);
    assertThat(out.resolve("report/report.html")).exists();
  }

  @Test
  void aMissingHashColumnIsAStartUpErrorNamingTheKey() {
    SiftRun r =
        SiftRun.of(
            "curate",
            "--input",
            input.toString(),
            "--output",
            tmp.resolve("no-hash-column").toString(),
            "--set",
            "sift.dedup.enabled=true",
            "--set",
            "sift.dedup.exact.hash-column=sha1");
    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("sift.dedup.exact.hash-column = sha1");
    assertThat(tmp.resolve("no-hash-column")).doesNotExist();
  }

  @Test
  void imagesNearAReferenceSetAreRejected() throws Exception {
    Path reference = Files.createDirectories(tmp.resolve("reference"));
    PlantedDuplicates.Row seventh = planted.get(6);
    Files.write(
        reference.resolve("eval-0001.jpg"),
        PlantedDuplicates.jpeg(
            PlantedDuplicates.resize(PlantedDuplicates.read(seventh.image()), 0.8), 0.7f));
    Files.writeString(reference.resolve("README.txt"), "not an image");
    Path out = tmp.resolve("reference-out");
    curateAgainstReference(out, reference);
    Row r = rejected(out).get(seventh.id());
    assertThat(r).isNotNull();
    assertThat(r.getString(2)).isEqualTo("reference_overlap");
    assertThat(r.getString(3)).contains("eval-0001.jpg");
    assertThat(
            rejected(out).values().stream()
                .filter(x -> x.getString(2).equals("reference_overlap"))
                .count())
        .isEqualTo(1);
    JsonNode m = SiftRun.manifest(out);
    assertThat(m.at("/dedup/reference/images").asLong()).isEqualTo(1);
    assertThat(m.at("/dedup/reference/undecodable").asLong()).isEqualTo(1);
    assertThat(m.at("/dedup/reference/removed").isNumber()).isTrue();
    assertThat(m.at("/dedup/reference/removed").asLong())
        .isEqualTo(m.at("/counts/rejected_by_reason/reference_overlap").asLong())
        .isEqualTo(1);
  }

  /**
   * A Parquet reference set with larger images than the input's narrows Spark's reader batch for
   * the run, as wide input does: written by pyarrow with every row in one row group, 3,000 rows of
   * 1 MB would overflow the reader's 2 GB arrays at Spark's 4096 rows. Here 40 rows of 256 KB of
   * random bytes (undecodable, so left out with a count) and a photograph: about 520 rows a batch.
   */
  @Test
  void aReferenceSetOfWideRowsNarrowsTheParquetReaderBatch() throws Exception {
    String key = "spark.sql.parquet.columnarReaderBatchSize";
    java.util.Random random = new java.util.Random(11);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      byte[] image = new byte[256 * 1024];
      random.nextBytes(image);
      rows.add(RowFactory.create("ref-" + i, image));
    }
    // And one real photograph, the seventh: its planted row is a reference overlap.
    rows.add(RowFactory.create("ref-photo", planted.get(6).image()));
    StructType schema =
        new StructType().add("id", DataTypes.StringType).add("image", DataTypes.BinaryType);
    Path reference = tmp.resolve("wide-reference");
    spark.createDataFrame(rows, schema).coalesce(1).write().parquet(reference.toString());
    Path out = tmp.resolve("wide-reference-out");
    try {
      curateAgainstReference(out, reference);
      assertThat(Integer.parseInt(spark.conf().get(key))).isBetween(480, 540);
      assertThat(SiftRun.manifest(out).at("/dedup/reference/undecodable").asLong()).isEqualTo(40);
      assertThat(verdicts(out).get(planted.get(6).id())).isEqualTo("reference_overlap");
    } finally {
      spark.conf().unset(key);
    }
  }
}
