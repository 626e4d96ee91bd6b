package dev.sift.udfs;

import dev.sift.curation.dedup.HashBands;
import dev.sift.curation.dedup.PerceptualHash;
import dev.sift.curation.dedup.UrlKey;
import dev.sift.curation.image.ImageDecodeException;
import dev.sift.curation.image.ImageDecoder;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;

/**
 * The per-row functions of dedup: URL keys, perceptual hashes of images that the score stage does
 * not decode, and the band keys of the near-duplicate join. Each wraps a {@code
 * dev.sift.curation.dedup} function; stateless apart from their settings.
 */
public final class DedupUdfs {
  private DedupUdfs() {}

  /** {@code string → string}: {@link UrlKey#of}. */
  public static UserDefinedFunction urlKey() {
    UDF1<String, String> fn = UrlKey::of;
    return functions.udf(fn, DataTypes.StringType);
  }

  /**
   * {@code binary → bigint}: the pHash of the decoded image; null for null or undecodable bytes
   * (the decode stage rejects those).
   */
  public static UserDefinedFunction phash(long maxPixels) {
    ImageDecoder decoder = new ImageDecoder(maxPixels);
    UDF1<byte[], Long> fn =
        bytes -> {
          if (bytes == null || bytes.length == 0) {
            return null;
          }
          try {
            return PerceptualHash.of(decoder.decode(bytes));
          } catch (ImageDecodeException | RuntimeException e) {
            return null;
          }
        };
    return functions.udf(fn, DataTypes.LongType);
  }

  /** {@code string → boolean}: whether the broadcast set holds the value (false for null). */
  public static UserDefinedFunction inSet(
      org.apache.spark.broadcast.Broadcast<java.util.Set<String>> set) {
    UDF1<String, Boolean> fn = v -> v != null && set.value().contains(v);
    return functions.udf(fn, DataTypes.BooleanType);
  }

  /** {@code bigint → array<bigint>}: the hash's index keys ({@link HashBands#indexKeys}). */
  public static UserDefinedFunction indexKeys(HashBands bands) {
    UDF1<Long, long[]> fn = h -> h == null ? null : bands.indexKeys(h);
    return functions.udf(fn, DataTypes.createArrayType(DataTypes.LongType, false));
  }

  /** {@code bigint → array<bigint>}: the hash's probe keys ({@link HashBands#probeKeys}). */
  public static UserDefinedFunction probeKeys(HashBands bands) {
    UDF1<Long, long[]> fn = h -> h == null ? null : bands.probeKeys(h);
    return functions.udf(fn, DataTypes.createArrayType(DataTypes.LongType, false));
  }
}
