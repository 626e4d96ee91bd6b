package dev.sift.jobs.sample;

import dev.sift.udfs.SparkTestBase;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Rebuilds the bundled sample ({@code data/sample/sample.parquet}) from {@code ../shared}: the
 * seven real photographs with their true captions, images derived from them paired with real web
 * alt-texts (mismatched pairs), the fixture images of every awkward kind, and rows that break the
 * rules (null image, null/empty/whitespace captions, a duplicated id, missing ids). Deterministic:
 * the same shared material gives the same rows.
 *
 * <p>Run: {@code scripts/build-sample.sh} (see data/sample/ATTRIBUTION.md).
 */
public final class SampleBuilder {
  static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.StringType)
          .add("caption", DataTypes.StringType)
          .add("url", DataTypes.StringType)
          .add("image", DataTypes.BinaryType)
          .add("sample_kind", DataTypes.StringType)
          .add("source", DataTypes.StringType);

  private static final String PHOTOS_SOURCE =
      "rom1504/img2dataset tests/resize_test_image (MIT); caption written for Sift";
  private static final String ALT_SOURCE =
      "image derived from rom1504/img2dataset tests/resize_test_image (MIT); alt-text from"
          + " img2dataset tests/test_files/test_10000.parquet (MIT; LAION metadata CC-BY 4.0)";
  private static final String FIXTURE_SOURCE =
      "Sift fixture image; alt-text from img2dataset test_10000.parquet (MIT)";

  private SampleBuilder() {}

  public static void main(String[] args) throws IOException {
    Path shared = Path.of(args.length > 0 ? args[0] : "../shared");
    Path out = Path.of(args.length > 1 ? args[1] : "data/sample/sample.parquet");
    SparkSession spark = SparkTestBase.newSession();
    try {
      List<String> alt =
          altTexts(spark, shared.resolve("data/web-alt-text-10k/alt-text-10k.parquet"));
      List<Row> rows = rows(shared, alt);
      Dataset<Row> df = spark.createDataFrame(rows, SCHEMA).coalesce(1);
      Path tmp = Files.createTempDirectory("sift-sample");
      df.write()
          .mode("overwrite")
          .option("compression", "zstd")
          .parquet(tmp.resolve("p").toString());
      try (Stream<Path> files = Files.list(tmp.resolve("p"))) {
        Path part =
            files
                .filter(p -> p.getFileName().toString().endsWith(".parquet"))
                .findFirst()
                .orElseThrow();
        Files.createDirectories(out.getParent());
        Files.copy(part, out, StandardCopyOption.REPLACE_EXISTING);
      }
      System.out.printf("wrote %d rows to %s (%,d bytes)%n", rows.size(), out, Files.size(out));
    } finally {
      spark.stop();
    }
  }

  private static List<String> altTexts(SparkSession spark, Path parquet) {
    return spark
        .read()
        .parquet(parquet.toString())
        .orderBy("__index_level_0__")
        .select("TEXT")
        .collectAsList()
        .stream()
        .map(r -> r.getString(0))
        .toList();
  }

  static List<Row> rows(Path shared, List<String> alt) throws IOException {
    Random random = new Random(20261123L);
    List<Row> rows = new ArrayList<>();
    Path photos = shared.resolve("data/photos");
    List<String[]> captions = new ArrayList<>();
    for (String line : Files.readAllLines(photos.resolve("captions.tsv"), StandardCharsets.UTF_8)) {
      String[] cols = line.split("\t"); // file, width, height, caption
      if (cols.length == 4 && cols[0].endsWith(".jpg")) {
        captions.add(new String[] {cols[0], cols[3]});
      }
    }
    captions.sort(Comparator.comparing(c -> c[0]));
    for (String[] c : captions) {
      byte[] bytes = Files.readAllBytes(photos.resolve(c[0]));
      rows.add(
          row(
              "photo-" + stem(c[0]),
              c[1],
              "sample://photos/" + c[0],
              bytes,
              "photo_true_caption",
              PHOTOS_SOURCE));
    }
    // Derived images, each with five real alt-texts: the mismatched pairs web data is full of.
    for (String[] c : captions) {
      BufferedImage photo = ImageIO.read(photos.resolve(c[0]).toFile());
      List<Variant> variants = variants(photo, random);
      for (Variant v : variants) {
        for (int k = 0; k < 5; k++) {
          String caption = alt.get(random.nextInt(alt.size()));
          rows.add(
              row(
                  String.format("variant-%s-%s-%d", stem(c[0]), v.name, k),
                  caption,
                  "sample://photos/" + c[0] + "#" + v.name,
                  v.bytes,
                  "derived_image_alt_text",
                  ALT_SOURCE));
        }
      }
    }
    Path images = shared.resolve("fixtures/images");
    List<Path> fixtures;
    try (Stream<Path> s = Files.list(images)) {
      fixtures = s.sorted().toList();
    }
    for (Path f : fixtures) {
      String name = f.getFileName().toString();
      String kind = name.startsWith("broken") ? "fixture_broken" : "fixture_awkward";
      rows.add(
          row(
              "fixture-" + stem(name),
              alt.get(random.nextInt(alt.size())),
              "sample://fixtures/" + name,
              Files.readAllBytes(f),
              kind,
              FIXTURE_SOURCE));
    }
    // Edge rows carry a photo that passes the decode checks, so only their own flaw shows.
    String[] base = captions.get(2);
    byte[] photo0 = Files.readAllBytes(photos.resolve(base[0]));
    String edge = "edge case written for Sift";
    for (int i = 0; i < 3; i++) {
      rows.add(
          row(
              "edge-null-image-" + i,
              alt.get(random.nextInt(alt.size())),
              null,
              null,
              "null_image",
              ALT_SOURCE));
    }
    rows.add(row("edge-null-caption-0", null, null, photo0, "null_caption", edge));
    rows.add(row("edge-null-caption-1", null, "sample://photos/x", photo0, "null_caption", edge));
    rows.add(row("edge-empty-caption", "", null, photo0, "empty_caption", edge));
    rows.add(
        row(
            "edge-whitespace-caption",
            " \t\n\u00a0\u3000 ",
            null,
            photo0,
            "whitespace_caption",
            edge));
    rows.add(
        row(
            "edge-markup-only-caption",
            "&nbsp;<br/>&#x200B;",
            null,
            photo0,
            "whitespace_caption",
            edge));
    rows.add(row("edge-one-char-caption", "a", null, photo0, "short_caption", edge));
    rows.add(
        row(
            "edge-long-caption",
            "cheap flights hotel deals ".repeat(60).trim(),
            null,
            photo0,
            "long_caption",
            edge));
    rows.add(
        row(
            "edge-entities",
            "Caf&eacute; &amp;amp; cr&#232;me <b>br&ucirc;l&eacute;e</b>",
            null,
            photo0,
            "html_caption",
            edge));
    rows.add(row("edge-nfd", "Cafe\u0301 in Mu\u0308nchen", null, photo0, "nfd_caption", edge));
    rows.add(
        row(
            "edge-controls",
            "a red\u0000 car\u0007 on\u200b the\u00ad road 🚗",
            null,
            photo0,
            "control_caption",
            edge));
    rows.add(row(null, "a photo with no id", "sample://no-id/1", photo0, "null_id", edge));
    rows.add(row("  ", "a photo with a blank id", "sample://no-id/2", photo0, "null_id", edge));
    // A photo's id again, with another caption: exactly one of the two is kept.
    rows.add(
        row(
            "photo-" + stem(base[0]),
            alt.get(random.nextInt(alt.size())),
            "sample://duplicate",
            photo0,
            "duplicate_id",
            edge));
    return rows;
  }

  private record Variant(String name, byte[] bytes) {}

  private static List<Variant> variants(BufferedImage photo, Random random) throws IOException {
    List<Variant> out = new ArrayList<>();
    int w = photo.getWidth();
    int h = photo.getHeight();
    out.add(new Variant("scale50-q85", jpeg(scale(photo, w / 2, h / 2), 0.85f)));
    out.add(new Variant("scale75-q75", jpeg(scale(photo, w * 3 / 4, h * 3 / 4), 0.75f)));
    out.add(new Variant("q20", jpeg(photo, 0.20f)));
    out.add(new Variant("q50", jpeg(photo, 0.50f)));
    out.add(
        new Variant(
            "center-crop", jpeg(photo.getSubimage(w / 5, h / 5, w * 3 / 5, h * 3 / 5), 0.9f)));
    int cw = w / 2 + random.nextInt(w / 4);
    int ch = h / 2 + random.nextInt(h / 4);
    out.add(
        new Variant(
            "random-crop",
            jpeg(
                photo.getSubimage(random.nextInt(w - cw + 1), random.nextInt(h - ch + 1), cw, ch),
                0.8f)));
    out.add(new Variant("png-scale40", png(scale(photo, w * 2 / 5, h * 2 / 5))));
    out.add(
        new Variant("thumb-q70", jpeg(scale(photo, Math.max(1, w / 6), Math.max(1, h / 6)), 0.7f)));
    return out;
  }

  private static BufferedImage scale(BufferedImage src, int w, int h) {
    BufferedImage dst = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = dst.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
    g.drawImage(src, 0, 0, w, h, null);
    g.dispose();
    return dst;
  }

  private static byte[] jpeg(BufferedImage img, float quality) throws IOException {
    BufferedImage rgb =
        new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
    Graphics2D g = rgb.createGraphics();
    g.drawImage(img, 0, 0, null);
    g.dispose();
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality);
      writer.write(null, new IIOImage(rgb, null, null), param);
    } finally {
      writer.dispose();
    }
    return bytes.toByteArray();
  }

  private static byte[] png(BufferedImage img) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ImageIO.write(img, "png", bytes);
    return bytes.toByteArray();
  }

  private static String stem(String name) {
    int dot = name.lastIndexOf('.');
    return dot < 0 ? name : name.substring(0, dot);
  }

  private static Row row(
      String id, String caption, String url, byte[] image, String kind, String source) {
    return RowFactory.create(id, caption, url, image, kind, source);
  }
}
