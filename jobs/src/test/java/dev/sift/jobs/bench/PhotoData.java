package dev.sift.jobs.bench;

import dev.sift.udfs.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Writes an input of real image-text pairs for scripts/bench-score.sh: the seven photographs of
 * data/photos with their true captions, repeated to {@code rows} rows with distinct ids, in {@code
 * files} Parquet files. Each row's JPEG carries its id in a comment segment, so that no two rows
 * hold the same bytes, as in real data: repeated values would let Parquet dictionary-encode the
 * image column and compare whole images for its statistics, costs a real dataset never has.
 * Arguments: photos directory, rows, files, output directory.
 */
public final class PhotoData {
  private PhotoData() {}

  /** The JPEG with a comment segment (COM, 0xFFFE) naming row {@code i} right after its SOI. */
  static byte[] distinct(byte[] jpeg, int i) {
    byte[] text = ("sift bench row " + i).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] out = new byte[jpeg.length + 4 + text.length];
    out[0] = jpeg[0];
    out[1] = jpeg[1];
    out[2] = (byte) 0xFF;
    out[3] = (byte) 0xFE;
    out[4] = (byte) ((text.length + 2) >> 8);
    out[5] = (byte) (text.length + 2);
    System.arraycopy(text, 0, out, 6, text.length);
    System.arraycopy(jpeg, 2, out, 6 + text.length, jpeg.length - 2);
    return out;
  }

  public static void main(String[] args) throws Exception {
    Path photos = Path.of(args[0]);
    int rows = Integer.parseInt(args[1]);
    int files = Integer.parseInt(args[2]);
    List<String> lines = Files.readAllLines(photos.resolve("captions.tsv"));
    List<Row> out = new ArrayList<>();
    List<String[]> pairs = new ArrayList<>();
    for (String line : lines.subList(1, lines.size())) {
      pairs.add(line.split("\t"));
    }
    for (int i = 0; i < rows; i++) {
      String[] p = pairs.get(i % pairs.size());
      out.add(
          RowFactory.create(
              String.format("photo-%06d", i),
              p[3],
              "data/photos/" + p[0],
              distinct(Files.readAllBytes(photos.resolve(p[0])), i)));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.StringType)
            .add("caption", DataTypes.StringType)
            .add("url", DataTypes.StringType)
            .add("image", DataTypes.BinaryType);
    SparkSession spark = SparkTestBase.newSession();
    try {
      Dataset<Row> d = spark.createDataFrame(out, schema).repartition(files);
      d.write().mode("overwrite").parquet(args[3]);
    } finally {
      spark.stop();
    }
  }
}
