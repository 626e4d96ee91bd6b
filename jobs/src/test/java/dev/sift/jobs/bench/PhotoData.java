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
 * files} Parquet files. Arguments: photos directory, rows, files, output directory.
 */
public final class PhotoData {
  private PhotoData() {}

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
              Files.readAllBytes(photos.resolve(p[0]))));
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
