package dev.sift.udfs;

import dev.sift.curation.ids.StableId;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/** {@code (url, caption, image) → string}: {@link StableId} for rows without an id. */
public final class StableIdUdf {
  private StableIdUdf() {}

  public static UserDefinedFunction create() {
    UDF3<String, String, byte[], String> fn = StableId::derive;
    return functions.udf(fn, DataTypes.StringType);
  }
}
