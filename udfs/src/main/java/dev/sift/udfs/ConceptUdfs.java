package dev.sift.udfs;

import dev.sift.curation.concepts.Balancing;
import dev.sift.curation.concepts.ConceptList;
import dev.sift.curation.concepts.Semantics;
import java.util.List;
import java.util.Map;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import scala.collection.Seq;
import scala.jdk.javaapi.CollectionConverters;

/** Spark UDFs of the {@code match} and {@code balance} stages. */
public final class ConceptUdfs {
  private ConceptUdfs() {}

  /**
   * {@code string → array<string>}: the entries a caption matches, in list order, each once (empty
   * for no match). The automaton comes from {@link ConceptMatcherCache}.
   *
   * @param key the list's digest and semantics, naming the cached matcher
   */
  public static UserDefinedFunction match(
      Broadcast<ConceptList> list, String key, Semantics semantics, StageCounter counter) {
    UDF1<String, String[]> fn =
        caption -> {
          counter.add();
          List<String> hits =
              ConceptMatcherCache.get(key, list::value, semantics).matchEntries(caption);
          return hits.toArray(String[]::new);
        };
    return functions.udf(fn, DataTypes.createArrayType(DataTypes.StringType));
  }

  /**
   * {@code array<string> → double}: MetaCLIP's keep probability {@code 1 − Π(1 − p_e)} from the
   * broadcast per-entry probabilities; null for null input.
   */
  public static UserDefinedFunction keepProbability(Broadcast<Map<String, Double>> entryP) {
    UDF1<Seq<String>, Double> fn =
        concepts -> {
          if (concepts == null) {
            return null;
          }
          Map<String, Double> p = entryP.value();
          List<String> list = CollectionConverters.asJava(concepts);
          double[] ps = new double[list.size()];
          for (int i = 0; i < ps.length; i++) {
            // Every matched entry was counted; 1.0 is the tail value should one ever be missing.
            ps[i] = p.getOrDefault(list.get(i), 1.0);
          }
          return Balancing.keepProbability(ps);
        };
    return functions.udf(fn, DataTypes.DoubleType);
  }

  /** {@code (id, P) → boolean}: the deterministic draw {@code u(id, seed) ≤ P}. */
  public static UserDefinedFunction keep(long seed) {
    UDF2<String, Double, Boolean> fn = (id, p) -> p != null && Balancing.keep(id, seed, p);
    return functions.udf(fn, DataTypes.BooleanType);
  }
}
