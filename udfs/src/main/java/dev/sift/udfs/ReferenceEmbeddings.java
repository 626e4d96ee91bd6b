package dev.sift.udfs;

import dev.sift.curation.dedup.SphericalKMeans;
import dev.sift.curation.models.Float16;
import java.io.Serializable;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The CLIP image embeddings of {@code sift.dedup.reference}'s images, for semantic overlap: a row
 * whose embedding reaches {@code minSimilarity} with any of them is a reference overlap. Every row
 * is compared with every reference embedding (an evaluation set of 10,000 images costs 5 million
 * multiply-adds per row at 512 dimensions), so this is meant for reference sets, not pools. Built
 * on the driver and shipped with the UDF.
 *
 * <p>Immutable; thread-safe.
 */
public final class ReferenceEmbeddings implements Serializable {
  private static final long serialVersionUID = 1L;

  /** What the UDF returns for a row near a reference image. */
  public static final StructType MATCH =
      new StructType().add("name", DataTypes.StringType).add("similarity", DataTypes.DoubleType);

  private final float[] flat;
  private final int dimension;
  private final String[] names;
  private final double minSimilarity;

  /**
   * @param embeddings L2-normalised, one per name, all of one dimension
   */
  public ReferenceEmbeddings(float[][] embeddings, String[] names, double minSimilarity) {
    if (embeddings.length != names.length || embeddings.length == 0) {
      throw new IllegalArgumentException("one name per embedding, at least one");
    }
    this.dimension = embeddings[0].length;
    this.flat = new float[embeddings.length * dimension];
    for (int i = 0; i < embeddings.length; i++) {
      if (embeddings[i].length != dimension) {
        throw new IllegalArgumentException("embeddings of different dimensions");
      }
      System.arraycopy(embeddings[i], 0, flat, i * dimension, dimension);
    }
    this.names = names.clone();
    this.minSimilarity = minSimilarity;
  }

  public int size() {
    return names.length;
  }

  /** The most similar reference image at or above the threshold (ties: the first), or null. */
  public Row nearest(float[] v) {
    if (v.length != dimension) {
      throw new IllegalArgumentException(
          "embedding of dimension " + v.length + " against references of " + dimension);
    }
    int best = -1;
    float bestSimilarity = Float.NEGATIVE_INFINITY;
    for (int r = 0; r < names.length; r++) {
      float s = SphericalKMeans.dot(v, 0, flat, r * dimension, dimension);
      if (s > bestSimilarity) {
        bestSimilarity = s;
        best = r;
      }
    }
    return bestSimilarity >= minSimilarity
        ? RowFactory.create(names[best], (double) bestSimilarity)
        : null;
  }

  /** {@code binary (float16 embedding) → struct<name, similarity>}: {@link #nearest}. */
  public UserDefinedFunction udf() {
    UDF1<byte[], Row> fn = e -> e == null ? null : nearest(Float16.decode(e));
    return functions.udf(fn, MATCH);
  }
}
