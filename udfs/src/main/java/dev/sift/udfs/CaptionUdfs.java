package dev.sift.udfs;

import dev.sift.curation.Reject;
import dev.sift.curation.text.CaptionFilter;
import dev.sift.curation.text.CaptionNormalizer;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/** Spark UDFs of the {@code text} stage: caption normalisation and the text filters. */
public final class CaptionUdfs {
  private CaptionUdfs() {}

  /** {@code string → string}: the normalised caption (null stays null). */
  public static UserDefinedFunction normalize(CaptionNormalizer normalizer, StageCounter counter) {
    UDF1<String, String> fn =
        raw -> {
          counter.add();
          return normalizer.normalize(raw);
        };
    return functions.udf(fn, DataTypes.StringType);
  }

  /** {@code string → string}: the reject reason code for a normalised caption, or null. */
  public static UserDefinedFunction rejectReason(CaptionFilter filter) {
    UDF1<String, String> fn =
        caption -> {
          Reject reject = filter.check(caption);
          return reject == null ? null : reject.code();
        };
    return functions.udf(fn, DataTypes.StringType);
  }
}
