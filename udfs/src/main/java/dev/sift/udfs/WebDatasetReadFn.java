package dev.sift.udfs;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sift.curation.Reject;
import dev.sift.curation.webdataset.Sample;
import dev.sift.curation.webdataset.ShardDamagedException;
import dev.sift.curation.webdataset.TarSamples;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.CollectionAccumulator;
import org.apache.spark.util.SerializableConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads WebDataset tar shards into rows: one input element is one shard's path (any Hadoop file
 * system), one output row one sample, streamed (only the sample being assembled is in memory).
 * Columns: {@link #SCHEMA}. The image is the first present of the configured extensions, the
 * caption the {@code txt} member (or a field of the {@code json} member), id, url, width and height
 * img2dataset's {@code json} fields; the raw JSON travels in {@link #JSON} so that its other fields
 * can pass through.
 *
 * <p>A sample with a duplicated extension or unreadable JSON gets a {@code read/} reason in {@link
 * Columns#READ_REJECT}. A damaged shard throws a {@link ShardDamagedException} naming the shard and
 * offset, or with {@link Options#skipRest()} ends the shard there: the sample being read becomes a
 * {@code read/damaged_shard} row and the damage goes to the accumulator.
 *
 * <p>Serialisable (options, broadcast Hadoop configuration and accumulator); one instance serves
 * every task of an executor, each call with its own stream, closed when the shard is done or the
 * task ends.
 */
public final class WebDatasetReadFn implements FlatMapFunction<String, Row> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(WebDatasetReadFn.class);
  private static final ObjectMapper JSON_MAPPER = new ObjectMapper();
  private static final int BUFFER = 1 << 20;

  /** WebDataset's name for a sample's key. */
  public static final String KEY = "__key__";

  /** The shard a sample came from. */
  public static final String SHARD = "__shard__";

  /** The sample's {@code json} member as text, when it is a JSON object. */
  public static final String JSON = Columns.INTERNAL_PREFIX + "wds_json";

  /** The rows' columns. */
  public static final StructType SCHEMA =
      new StructType()
          .add(Columns.ID, DataTypes.StringType)
          .add(Columns.CAPTION, DataTypes.StringType)
          .add(Columns.URL, DataTypes.StringType)
          .add(Columns.IMAGE, DataTypes.BinaryType)
          .add(Columns.WIDTH, DataTypes.IntegerType)
          .add(Columns.HEIGHT, DataTypes.IntegerType)
          .add(KEY, DataTypes.StringType)
          .add(SHARD, DataTypes.StringType)
          .add(JSON, DataTypes.StringType)
          .add(Columns.READ_REJECT, DataTypes.StringType)
          .add(Columns.READ_DETAIL, DataTypes.StringType);

  /**
   * How samples map to rows.
   *
   * @param imageExtensions the image is the first of these present (lower-case)
   * @param captionExtension the member holding the caption, or null when it is a JSON field
   * @param captionJsonField the {@code json} field holding the caption, or null
   * @param skipRest on a damaged shard, keep what was read and go on instead of failing
   */
  public record Options(
      List<String> imageExtensions,
      String captionExtension,
      String captionJsonField,
      boolean skipRest)
      implements Serializable {

    /** The extensions whose bytes are read; the others are skipped unread. */
    Set<String> wanted() {
      Set<String> w = new HashSet<>(imageExtensions);
      w.add("json");
      if (captionExtension != null) {
        w.add(captionExtension);
      }
      return w;
    }
  }

  private final Options options;
  private final Broadcast<SerializableConfiguration> hadoop;
  private final CollectionAccumulator<DamagedShard> damaged;

  public WebDatasetReadFn(
      Options options,
      Broadcast<SerializableConfiguration> hadoop,
      CollectionAccumulator<DamagedShard> damaged) {
    this.options = options;
    this.hadoop = hadoop;
    this.damaged = damaged;
  }

  @Override
  public Iterator<Row> call(String shard) {
    TarSamples samples = open(hadoop.value().value(), shard, options.wanted());
    TaskContext task = TaskContext.get();
    if (task != null) {
      task.addTaskCompletionListener(
          (org.apache.spark.util.TaskCompletionListener) ctx -> closeQuietly(samples, shard));
    }
    return new ShardRows(shard, samples);
  }

  /**
   * The text of the first {@code limit} valid {@code json} members of a shard, read on the driver
   * so that their fields can be typed before the executors start. Damage ends the sample early: the
   * executors report it.
   */
  public static List<String> firstJson(Configuration conf, String shard, int limit) {
    List<String> out = new ArrayList<>();
    TarSamples samples = open(conf, shard, Set.of("json"));
    try {
      while (out.size() < limit && samples.hasNext()) {
        byte[] json = samples.next().member("json");
        if (json != null && parseObject(json) instanceof JsonNode) {
          out.add(new String(json, StandardCharsets.UTF_8));
        }
      }
    } catch (ShardDamagedException e) {
      LOG.debug("{}", e.inShard(shard).getMessage());
    } finally {
      closeQuietly(samples, shard);
    }
    return out;
  }

  private static TarSamples open(Configuration conf, String shard, Set<String> wanted) {
    try {
      Path path = new Path(shard);
      FileSystem fs = path.getFileSystem(conf);
      InputStream in = new BufferedInputStream(fs.open(path), BUFFER);
      return new TarSamples(in, wanted::contains);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open WebDataset shard " + shard, e);
    }
  }

  private static void closeQuietly(TarSamples samples, String shard) {
    try {
      samples.close();
    } catch (IOException e) {
      LOG.warn("closing WebDataset shard {}: {}", shard, e.toString());
    }
  }

  /** The parsed object, or the parser's complaint as a String. */
  private static Object parseObject(byte[] json) {
    try {
      JsonNode node = JSON_MAPPER.readTree(json);
      if (node == null || !node.isObject()) {
        return "not a JSON object";
      }
      return node;
    } catch (JsonProcessingException e) {
      return e.getOriginalMessage();
    } catch (IOException e) {
      return e.getMessage();
    }
  }

  private Row toRow(String shard, Sample s, String reason, String detail) {
    byte[] image = null;
    for (String ext : options.imageExtensions()) {
      image = s.member(ext);
      if (image != null) {
        break;
      }
    }
    String id = null;
    String url = null;
    Integer width = null;
    Integer height = null;
    String jsonText = null;
    String caption =
        options.captionExtension() == null ? null : text(s.member(options.captionExtension()));
    byte[] json = s.member("json");
    if (json != null) {
      Object parsed = parseObject(json);
      if (parsed instanceof JsonNode node) {
        jsonText = new String(json, StandardCharsets.UTF_8);
        id = scalar(node.get("key"));
        url = scalar(node.get("url"));
        width = integer(node.get("width"));
        height = integer(node.get("height"));
        if (options.captionJsonField() != null) {
          caption = scalar(node.get(options.captionJsonField()));
        }
      } else if (reason == null) {
        reason = Reject.BAD_JSON.code();
        detail = s.key() + ".json: " + parsed;
      }
    }
    if (!s.duplicates().isEmpty()) {
      reason = Reject.DUPLICATE_MEMBER.code();
      detail =
          "more than one member with extension "
              + String.join(", ", s.duplicates())
              + " in sample "
              + s.key()
              + "; the first was read";
    }
    return RowFactory.create(
        id, caption, url, image, width, height, s.key(), shard, jsonText, reason, detail);
  }

  private static String text(byte[] bytes) {
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  private static String scalar(JsonNode node) {
    return node == null || node.isNull() || node.isContainerNode() ? null : node.asText();
  }

  private static Integer integer(JsonNode node) {
    return node != null && node.isIntegralNumber() && node.canConvertToInt()
        ? node.intValue()
        : null;
  }

  /** One shard's rows, read as they are asked for. */
  private final class ShardRows implements Iterator<Row> {
    private final String shard;
    private final TarSamples samples;
    private Row next;
    private boolean finished;

    ShardRows(String shard, TarSamples samples) {
      this.shard = shard;
      this.samples = samples;
    }

    @Override
    public boolean hasNext() {
      if (next == null && !finished) {
        fetch();
      }
      return next != null;
    }

    @Override
    public Row next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      Row r = next;
      next = null;
      return r;
    }

    private void fetch() {
      try {
        if (samples.hasNext()) {
          next = toRow(shard, samples.next(), null, null);
        } else {
          finish();
        }
      } catch (ShardDamagedException e) {
        ShardDamagedException named = e.inShard(shard);
        finish();
        if (!options.skipRest()) {
          throw named;
        }
        LOG.warn("{}; skipping the rest of the shard", named.getMessage());
        damaged.add(new DamagedShard(shard, e.offset(), e.reason()));
        if (e.partial() != null) {
          next = toRow(shard, e.partial(), Reject.DAMAGED_SHARD.code(), named.getMessage());
        }
      }
    }

    private void finish() {
      finished = true;
      closeQuietly(samples, shard);
    }
  }
}
