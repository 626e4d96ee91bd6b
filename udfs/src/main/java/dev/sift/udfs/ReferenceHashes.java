package dev.sift.udfs;

import dev.sift.curation.dedup.HashBands;
import dev.sift.curation.dedup.PerceptualHash;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The pHashes of {@code sift.dedup.reference}'s images, indexed by {@link HashBands} so that each
 * row looks up only the reference hashes that share a band key with it: the check against a
 * reference set of any size costs a few map lookups per row. Built on the driver, shipped with the
 * UDF (a reference set of 100,000 images is about 2 MB); the index is rebuilt once per executor JVM
 * copy.
 *
 * <p>Immutable once built; the lazily built index is guarded by the object's monitor.
 */
public final class ReferenceHashes implements Serializable {
  private static final long serialVersionUID = 1L;

  /** What the UDF returns for a row near a reference image. */
  public static final StructType MATCH =
      new StructType().add("name", DataTypes.StringType).add("distance", DataTypes.IntegerType);

  private final HashBands bands;
  private final long[] hashes;
  private final String[] names;
  private transient Map<Long, int[]> index;

  /**
   * @param names the reference images' names (file paths), parallel to {@code hashes}
   */
  public ReferenceHashes(HashBands bands, long[] hashes, String[] names) {
    if (hashes.length != names.length) {
      throw new IllegalArgumentException("one name per hash");
    }
    this.bands = bands;
    this.hashes = hashes.clone();
    this.names = names.clone();
  }

  public int size() {
    return hashes.length;
  }

  /**
   * The closest reference image within the bands' distance of {@code hash} (ties: the smaller
   * name), or null.
   */
  public Row nearest(long hash) {
    Map<Long, int[]> idx = index();
    int best = -1;
    int bestDistance = Integer.MAX_VALUE;
    for (long key : bands.probeKeys(hash)) {
      int[] refs = idx.get(key);
      if (refs == null) {
        continue;
      }
      for (int r : refs) {
        int d = PerceptualHash.distance(hash, hashes[r]);
        if (d <= bands.distance()
            && (d < bestDistance || (d == bestDistance && names[r].compareTo(names[best]) < 0))) {
          best = r;
          bestDistance = d;
        }
      }
    }
    return best < 0 ? null : RowFactory.create(names[best], bestDistance);
  }

  private synchronized Map<Long, int[]> index() {
    if (index == null) {
      Map<Long, List<Integer>> lists = new HashMap<>();
      for (int i = 0; i < hashes.length; i++) {
        for (long key : bands.indexKeys(hashes[i])) {
          lists.computeIfAbsent(key, k -> new ArrayList<>()).add(i);
        }
      }
      Map<Long, int[]> built = new HashMap<>(lists.size() * 2);
      lists.forEach((k, v) -> built.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
      index = built;
    }
    return index;
  }

  /** {@code bigint → struct<name, distance>}: {@link #nearest}, null for a null hash. */
  public UserDefinedFunction udf() {
    UDF1<Long, Row> fn = h -> h == null ? null : nearest(h);
    return functions.udf(fn, MATCH);
  }
}
