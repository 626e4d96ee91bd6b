package dev.sift.jobs.bench;

import dev.sift.curation.webdataset.ShardWriter;
import dev.sift.udfs.SparkTestBase;
import java.awt.image.BufferedImage;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;

/**
 * Writes one input twice for scripts/bench-webdataset-curate.sh: {@code samples} samples as
 * WebDataset shards of {@code per-shard} samples in img2dataset's layout ({@code KEY.jpg}, {@code
 * KEY.txt}, {@code KEY.json} with {@code key} and {@code url}) under {@code OUT/shards/}, and the
 * very same rows ({@code id} = key, {@code caption}, {@code url}, {@code image}) as Parquet under
 * {@code OUT/parquet/}, one file per shard holding that shard's rows.
 *
 * <p>Sample {@code i} has key {@code %09d} of i, url {@code http://example.com/KEY.jpg}, the {@code
 * i mod n}-th non-null {@code TEXT} of the source alt-texts as caption, and as image the {@code i
 * mod 1000}-th of 1,000 JPEGs of 48x48 random pixels (about 2 KB each, made here from a fixed seed)
 * with the key in a comment segment. So images are valid, distinct and, like real photographs,
 * compress only in their shared JPEG tables: Parquet's dictionary and Snappy cannot shrink the
 * image column to nothing (one repeated image made the Parquet 50x smaller than the shards).
 * Arguments: source parquet, samples, samples per shard, output directory.
 */
public final class WebDatasetCurateData {
  /** Distinct JPEGs the images are made from. */
  private static final int POOL = 1000;

  private WebDatasetCurateData() {}

  public static void main(String[] args) throws IOException {
    String source = args[0];
    int samples = Integer.parseInt(args[1]);
    int perShard = Integer.parseInt(args[2]);
    Path out = Path.of(args[3]);
    int shards = (samples + perShard - 1) / perShard;
    byte[][] pool = pool();
    SparkSession spark = SparkTestBase.newSession();
    try {
      ArrayList<String> captions = new ArrayList<>();
      for (Row r : spark.read().parquet(source).select("TEXT").collectAsList()) {
        if (!r.isNullAt(0)) {
          captions.add(r.getString(0));
        }
      }

      Path shardDir = Files.createDirectories(out.resolve("shards"));
      for (int s = 0; s < shards; s++) {
        Path file = shardDir.resolve(String.format(Locale.ROOT, "%05d.tar", s));
        OutputStream os = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20);
        try (ShardWriter w = new ShardWriter(os)) {
          for (int i = s * perShard; i < Math.min(samples, (s + 1) * perShard); i++) {
            String key = key(i);
            w.member(key, "jpg", image(pool, i));
            w.member(
                key, "txt", captions.get(i % captions.size()).getBytes(StandardCharsets.UTF_8));
            String json = "{\"key\": \"" + key + "\", \"url\": \"" + url(key) + "\"}";
            w.member(key, "json", json.getBytes(StandardCharsets.UTF_8));
            w.endSample();
          }
        }
      }

      // One partition per shard, holding that shard's samples: one Parquet file per shard.
      StructType schema = StructType.fromDDL("id STRING, caption STRING, url STRING, image BINARY");
      JavaRDD<Row> rows =
          JavaSparkContext.fromSparkContext(spark.sparkContext())
              .parallelize(IntStream.range(0, shards).boxed().toList(), shards)
              .flatMap(s -> shardRows(s, perShard, samples, captions, pool));
      spark
          .createDataFrame(rows, schema)
          .write()
          .mode("overwrite")
          .parquet(out.resolve("parquet").toString());
    } finally {
      spark.stop();
    }
  }

  private static Iterator<Row> shardRows(
      int shard, int perShard, int samples, List<String> captions, byte[][] pool) {
    List<Row> rows = new ArrayList<>();
    for (int i = shard * perShard; i < Math.min(samples, (shard + 1) * perShard); i++) {
      String key = key(i);
      rows.add(RowFactory.create(key, captions.get(i % captions.size()), url(key), image(pool, i)));
    }
    return rows.iterator();
  }

  private static String key(int i) {
    return String.format(Locale.ROOT, "%09d", i);
  }

  private static String url(String key) {
    return "http://example.com/" + key + ".jpg";
  }

  /**
   * Sample {@code i}'s image: the {@code i mod POOL}-th JPEG of {@code pool} with a COM segment (FF
   * FE, length, the key) right after its SOI marker; decoders skip it.
   */
  static byte[] image(byte[][] pool, int i) {
    byte[] jpeg = pool[i % pool.length];
    byte[] comment = key(i).getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[jpeg.length + 4 + comment.length];
    out[0] = jpeg[0];
    out[1] = jpeg[1];
    out[2] = (byte) 0xFF;
    out[3] = (byte) 0xFE;
    out[4] = (byte) ((comment.length + 2) >> 8);
    out[5] = (byte) (comment.length + 2);
    System.arraycopy(comment, 0, out, 6, comment.length);
    System.arraycopy(jpeg, 2, out, 6 + comment.length, jpeg.length - 2);
    return out;
  }

  /** {@link #POOL} JPEGs of 48x48 random pixels, from a fixed seed. */
  private static byte[][] pool() {
    SplittableRandom random = new SplittableRandom(0);
    byte[][] pool = new byte[POOL][];
    for (int k = 0; k < POOL; k++) {
      BufferedImage img = new BufferedImage(48, 48, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < 48; y++) {
        for (int x = 0; x < 48; x++) {
          img.setRGB(x, y, random.nextInt(1 << 24));
        }
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try {
        ImageIO.write(img, "jpg", bytes);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      pool[k] = bytes.toByteArray();
    }
    return pool;
  }
}
