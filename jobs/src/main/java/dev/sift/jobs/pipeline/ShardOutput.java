package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.col;

import dev.sift.curation.webdataset.ShardKeys;
import dev.sift.curation.webdataset.ShardWriter;
import dev.sift.udfs.Columns;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.Partitioner;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * Writes the accepted rows as WebDataset shards ({@code sift.output.format = webdataset}): rows
 * sorted by id, shard {@code i} holding rows {@code [i*size, (i+1)*size)}, as {@code NNNNN.tar}
 * (members {@code KEY.json}, {@code KEY.txt}, {@code KEY.EXT} per sample, see {@link ShardWriter}
 * and {@link ShardKeys}) and {@code NNNNN.parquet} (the same rows, every output column but the
 * image bytes, in shard order).
 *
 * <p>Shards appear only complete: each task attempt writes its shard under {@code _sift_tmp/} of
 * the target directory (a name Spark and shard globs skip), Spark writes the Parquet there too, and
 * the driver renames the files of the successful attempts into place after both jobs end, then
 * deletes {@code _sift_tmp/}. A run killed before that leaves no {@code NNNNN.tar}; one killed
 * during the renames leaves no manifest.
 *
 * <p>Driver-side, one call per run; the partition function it ships is serialisable and stateless.
 */
final class ShardOutput {
  static final String TMP = "_sift_tmp";
  private static final String JSON = Columns.INTERNAL_PREFIX + "json";
  private static final String META = Columns.INTERNAL_PREFIX + "meta";

  private ShardOutput() {}

  /**
   * Writes {@code rows} (accepted/'s columns, image bytes included) as shards into {@code dir};
   * returns the number of shards. With no rows, one empty shard and an empty Parquet with the
   * schema are written, so readers of the directory find a table.
   */
  static int write(
      SparkSession spark, Dataset<Row> rows, Path dir, FileSystem fs, int size, boolean failOnce)
      throws IOException {
    List<String> names = List.of(rows.columns());
    List<Column> meta = new ArrayList<>();
    List<Column> json = new ArrayList<>();
    if (!names.contains("key")) {
      // img2dataset's field: Sift's own webdataset reader takes the id from it.
      json.add(col(Columns.ID).as("key"));
    }
    for (String name : names) {
      if (name.equals(Columns.IMAGE)) {
        continue;
      }
      Column c = col("`" + name.replace("`", "``") + "`");
      meta.add(c);
      // __key__, __shard__ … are a WebDataset reader's own fields, not the sample's.
      if (!(name.startsWith("__") && name.endsWith("__"))) {
        json.add(c);
      }
    }
    Dataset<Row> prepared =
        rows.select(
                col(Columns.ID),
                col(Columns.CAPTION),
                col(Columns.IMAGE),
                col(Columns.IMAGE_FORMAT),
                functions.to_json(functions.struct(json.toArray(Column[]::new))).as(JSON),
                functions.struct(meta.toArray(Column[]::new)).as(META))
            .orderBy(col(Columns.ID));
    StructType metaSchema = (StructType) prepared.schema().apply(META).dataType();

    JavaPairRDD<Long, Row> indexed =
        prepared.javaRDD().zipWithIndex().mapToPair(t -> new Tuple2<>(t._2(), t._1()));
    indexed.persist(StorageLevel.MEMORY_AND_DISK_SER());
    try {
      long n = indexed.count();
      int shards = (int) Math.max(1, (n + size - 1) / size);
      JavaPairRDD<Long, Row> sharded =
          indexed.repartitionAndSortWithinPartitions(new ShardPartitioner(shards, size));
      sharded.persist(StorageLevel.MEMORY_AND_DISK_SER());
      try {
        Path tmp = new Path(dir, TMP);
        fs.mkdirs(tmp);
        byte[] hadoop = serialise(spark.sparkContext().hadoopConfiguration());
        String tmpDir = tmp.toString();
        List<String> written =
            sharded
                .mapPartitionsWithIndex(
                    (i, it) -> List.of(writeShard(hadoop, tmpDir, i, it, failOnce)).iterator(),
                    true)
                .collect();
        Path metaTmp = new Path(tmp, "meta");
        JavaRDD<Row> metaRows = sharded.values().map(r -> r.getStruct(5));
        spark
            .createDataFrame(metaRows, metaSchema)
            .write()
            .mode(SaveMode.ErrorIfExists)
            .parquet(metaTmp.toString());

        for (String path : written) {
          Path from = new Path(path);
          String shard = from.getName().substring(0, from.getName().indexOf('.'));
          rename(fs, from, new Path(dir, shard + ".tar"));
        }
        for (FileStatus f : fs.listStatus(metaTmp)) {
          String name = f.getPath().getName();
          if (name.startsWith("part-") && name.endsWith(".parquet")) {
            int part = Integer.parseInt(name.substring(5, name.indexOf('-', 5)));
            rename(fs, f.getPath(), new Path(dir, shardName(part) + ".parquet"));
          }
        }
        fs.delete(tmp, true);
        return shards;
      } finally {
        sharded.unpersist(false);
      }
    } finally {
      indexed.unpersist(false);
    }
  }

  /** {@code 00000}, {@code 00001}, …; more digits past 99,999 shards. */
  static String shardName(int shard) {
    return String.format(Locale.ROOT, "%05d", shard);
  }

  private static void rename(FileSystem fs, Path from, Path to) throws IOException {
    if (!fs.rename(from, to)) {
      throw new IOException("cannot rename " + from + " to " + to);
    }
  }

  /**
   * One task attempt's shard, under a name of its own; returns its path.
   *
   * @param failOnce Sift's tests ({@code sift.test.hook = fail-once:shards}): the first attempt of
   *     shard 0 fails after its first sample
   */
  private static String writeShard(
      byte[] hadoop, String tmpDir, int shard, Iterator<Tuple2<Long, Row>> rows, boolean failOnce) {
    TaskContext task = TaskContext.get();
    String attempt = task == null ? "0" : Long.toString(task.taskAttemptId());
    Path path = new Path(tmpDir, shardName(shard) + ".tar." + attempt);
    try {
      FileSystem fs = path.getFileSystem(deserialise(hadoop));
      try (OutputStream out = fs.create(path, true);
          ShardWriter writer = new ShardWriter(new java.io.BufferedOutputStream(out, 1 << 20))) {
        while (rows.hasNext()) {
          Row r = rows.next()._2();
          String key = ShardKeys.encode(r.getString(0));
          byte[] image = r.isNullAt(2) ? null : (byte[]) r.get(2);
          writer.member(key, "json", r.getString(4).getBytes(StandardCharsets.UTF_8));
          writer.member(
              key, "txt", r.isNullAt(1) ? null : r.getString(1).getBytes(StandardCharsets.UTF_8));
          writer.member(key, ShardKeys.imageExtension(r.getString(3), image), image);
          writer.endSample();
          if (failOnce && shard == 0 && task != null && task.attemptNumber() == 0) {
            throw new IllegalStateException(
                "sift.test.hook: injected failure of the first attempt, part-way through shard "
                    + path);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write shard " + path, e);
    }
    return path.toString();
  }

  private static byte[] serialise(Configuration conf) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      conf.write(out);
    }
    return bytes.toByteArray();
  }

  private static Configuration deserialise(byte[] bytes) throws IOException {
    Configuration conf = new Configuration(false);
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      conf.readFields(in);
    }
    return conf;
  }

  /** Row index → shard: {@code index / size}. Serialisable; immutable. */
  private static final class ShardPartitioner extends Partitioner {
    private final int shards;
    private final int size;

    ShardPartitioner(int shards, int size) {
      this.shards = shards;
      this.size = size;
    }

    @Override
    public int numPartitions() {
      return shards;
    }

    @Override
    public int getPartition(Object key) {
      return (int) Math.min(shards - 1, (Long) key / size);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ShardPartitioner p && p.shards == shards && p.size == size;
    }

    @Override
    public int hashCode() {
      return 31 * shards + size;
    }
  }
}
