package dev.sift.udfs;

import dev.sift.curation.Reject;
import dev.sift.curation.image.ImageProbe;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code binary → struct<format, width, height, reject_reason, reject_detail>}: the probe half of
 * the {@code decode} stage, one row at a time (probing is per image; batching buys nothing).
 */
public final class ImageProbeUdf {
  /** The struct the UDF returns. */
  public static final StructType RESULT =
      new StructType()
          .add("format", DataTypes.StringType)
          .add(Columns.WIDTH, DataTypes.IntegerType)
          .add(Columns.HEIGHT, DataTypes.IntegerType)
          .add(Columns.REJECT_REASON, DataTypes.StringType)
          .add(Columns.REJECT_DETAIL, DataTypes.StringType);

  private ImageProbeUdf() {}

  public static UserDefinedFunction create(ImageProbe probe, StageCounter counter) {
    UDF1<byte[], Row> fn =
        bytes -> {
          counter.add();
          ImageProbe.Result r = probe.probe(bytes);
          Reject reject = r.reject();
          return RowFactory.create(
              r.format(), r.width(), r.height(), reject == null ? null : reject.code(), r.detail());
        };
    return functions.udf(fn, RESULT);
  }
}
