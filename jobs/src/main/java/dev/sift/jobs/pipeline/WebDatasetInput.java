package dev.sift.jobs.pipeline;

import static org.apache.spark.sql.functions.col;

import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.jobs.pipeline.InputReader.Input;
import dev.sift.udfs.Columns;
import dev.sift.udfs.DamagedShard;
import dev.sift.udfs.WebDatasetReadFn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.SerializableConfiguration;

/**
 * The {@code webdataset} input format: tar shards read as the input's rows, one Spark partition per
 * shard, streamed by {@link WebDatasetReadFn}. The first shard's {@code json} members are typed on
 * the driver so that their fields other than key, url, width and height pass through as columns;
 * with {@code sift.input.webdataset.failed-downloads}, the failed downloads listed in the Parquet
 * beside each shard ({@link FailedDownloads}) join the samples as rows the reader rejects; the
 * shards the tasks found damaged go to the manifest. Stateless; called by {@link InputReader}.
 */
final class WebDatasetInput {
  private WebDatasetInput() {}

  /** Reads {@code shards}, as {@link InputFiles} listed them. */
  static Input read(SparkSession spark, SiftConf conf, Configuration hadoop, List<String> shards) {
    String caption = conf.get(SiftKeys.WDS_CAPTION);
    String captionField = caption.startsWith("json:") ? caption.substring(5) : null;
    WebDatasetReadFn.Options options =
        new WebDatasetReadFn.Options(
            Arrays.stream(conf.get(SiftKeys.WDS_IMAGE).split(",")).map(String::trim).toList(),
            captionField == null ? caption : null,
            captionField,
            conf.get(SiftKeys.WDS_ON_ERROR) == SiftKeys.OnShardError.SKIP_REST);
    CollectionAccumulator<DamagedShard> damaged =
        spark.sparkContext().collectionAccumulator("sift.input.webdataset.damaged");
    WebDatasetReadFn fn =
        new WebDatasetReadFn(
            options, SerializableConfiguration.broadcast(spark.sparkContext(), hadoop), damaged);
    JavaRDD<Row> samples =
        JavaSparkContext.fromSparkContext(spark.sparkContext())
            .parallelize(shards, shards.size())
            .flatMap(fn);
    Dataset<Row> raw = spark.createDataFrame(samples, WebDatasetReadFn.SCHEMA);

    List<Column> out = new ArrayList<>();
    for (String c :
        List.of(
            Columns.ID,
            Columns.CAPTION,
            Columns.URL,
            Columns.IMAGE,
            Columns.WIDTH,
            Columns.HEIGHT)) {
      out.add(col(c));
    }
    Set<String> taken = new HashSet<>();
    taken.add(WebDatasetReadFn.KEY);
    taken.add(WebDatasetReadFn.SHARD);
    Set<String> consumed = new HashSet<>(Set.of("key", "url", "width", "height"));
    if (captionField != null) {
      consumed.add(captionField);
    }
    StructType jsonSchema = jsonSchema(spark, hadoop, shards, conf);
    Column parsed = functions.from_json(col(WebDatasetReadFn.JSON), jsonSchema);
    List<FailedDownloads.PassThrough> passThrough = new ArrayList<>();
    for (StructField f : jsonSchema.fields()) {
      if (!consumed.contains(f.name())) {
        String name = InputSchema.passThroughName(f.name(), taken);
        passThrough.add(new FailedDownloads.PassThrough(f.name(), name, f.dataType()));
        out.add(parsed.getField(f.name()).as(name));
      }
    }
    out.add(col(WebDatasetReadFn.KEY));
    out.add(col(WebDatasetReadFn.SHARD));
    out.add(col(Columns.READ_REJECT));
    out.add(col(Columns.READ_DETAIL));
    Dataset<Row> rows = raw.select(out.toArray(Column[]::new));
    if (!conf.get(SiftKeys.WDS_FAILED_DOWNLOADS)) {
      return new Input(rows, true, true, shards, () -> damagedShards(damaged));
    }
    FailedDownloads.Siblings siblings = FailedDownloads.find(hadoop, shards);
    Dataset<Row> failed =
        FailedDownloads.rows(
            spark, hadoop, siblings, captionField == null ? "caption" : captionField, passThrough);
    if (failed != null) {
      rows = rows.unionByName(failed);
    }
    return new Input(
        rows,
        true,
        true,
        shards,
        () -> {
          Map<String, Object> m = new LinkedHashMap<>(damagedShards(damaged));
          m.put("failed_downloads", siblings.manifest());
          return m;
        });
  }

  /** The pass-through fields of the shards' {@code json} members, typed from the first shard. */
  private static StructType jsonSchema(
      SparkSession spark, Configuration hadoop, List<String> shards, SiftConf conf) {
    List<String> json =
        WebDatasetReadFn.firstJson(hadoop, shards.get(0), conf.get(SiftKeys.WDS_SCHEMA_SAMPLES));
    if (json.isEmpty()) {
      return new StructType();
    }
    return spark
        .read()
        .option("mode", "DROPMALFORMED")
        .json(spark.createDataset(json, Encoders.STRING()))
        .schema();
  }

  /** The manifest's {@code damaged_shards}: each shard once (retried tasks report it again). */
  private static Map<String, Object> damagedShards(CollectionAccumulator<DamagedShard> acc) {
    Map<String, DamagedShard> byPath = new TreeMap<>();
    for (DamagedShard d : acc.value()) {
      byPath.putIfAbsent(d.path(), d);
    }
    List<Map<String, Object>> list = new ArrayList<>();
    for (DamagedShard d : byPath.values()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("path", d.path());
      m.put("offset", d.offset());
      m.put("error", d.error());
      list.add(m);
    }
    return Map.of("damaged_shards", list);
  }
}
