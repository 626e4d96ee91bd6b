package dev.sift.udfs;

import dev.sift.curation.concepts.Balancing;
import dev.sift.curation.concepts.ConceptList;
import dev.sift.curation.concepts.LanguageLists;
import dev.sift.curation.concepts.PerLanguageThresholds;
import dev.sift.curation.concepts.Semantics;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
   * {@code (string caption, string language) → array<string>}: as {@link #match}, against the list
   * of the row's language (MetaCLIP 2); a language without a list matches nothing.
   *
   * @param lists per-language lists; the language column already holds their keys (or other)
   * @param key the lists' digest and semantics, naming the cached matchers
   */
  public static UserDefinedFunction matchByLanguage(
      Broadcast<Map<String, ConceptList>> lists,
      String key,
      Semantics semantics,
      StageCounter counter) {
    UDF2<String, String, String[]> fn =
        (caption, language) -> {
          counter.add();
          ConceptList list = language == null ? null : lists.value().get(language);
          if (list == null) {
            return new String[0];
          }
          return ConceptMatcherCache.get(key + "/" + language, () -> list, semantics)
              .matchEntries(caption)
              .toArray(String[]::new);
        };
    return functions.udf(fn, DataTypes.createArrayType(DataTypes.StringType));
  }

  /**
   * {@code (array<string>, string language) → double}: as {@link #keepProbability}, with the
   * per-entry probabilities of the row's language, keyed {@code language + "\t" + entry}.
   */
  public static UserDefinedFunction keepProbabilityByLanguage(
      Broadcast<Map<String, Double>> entryP) {
    UDF2<Seq<String>, String, Double> fn =
        (concepts, language) ->
            keepProbability(concepts, entryP.value(), PerLanguageThresholds.key(language, ""));
    return functions.udf(fn, DataTypes.DoubleType);
  }

  /**
   * {@code string → string}: the per-language list a row's language code belongs to ({@link
   * LanguageLists#listFor}); never null.
   *
   * @param known the languages that have a list
   */
  public static UserDefinedFunction listLanguage(Set<String> known) {
    Set<String> lists = Set.copyOf(known);
    UDF1<String, String> fn = code -> LanguageLists.listFor(code, lists);
    return functions.udf(fn, DataTypes.StringType);
  }

  /**
   * {@code array<string> → double}: MetaCLIP's keep probability {@code 1 − Π(1 − p_e)} from the
   * broadcast per-entry probabilities; null for null input.
   */
  public static UserDefinedFunction keepProbability(Broadcast<Map<String, Double>> entryP) {
    UDF1<Seq<String>, Double> fn = concepts -> keepProbability(concepts, entryP.value(), "");
    return functions.udf(fn, DataTypes.DoubleType);
  }

  private static Double keepProbability(Seq<String> concepts, Map<String, Double> p, String key) {
    if (concepts == null) {
      return null;
    }
    List<String> list = CollectionConverters.asJava(concepts);
    double[] ps = new double[list.size()];
    for (int i = 0; i < ps.length; i++) {
      // Only head entries are in the map; every other matched entry is in the tail (1.0).
      ps[i] = p.getOrDefault(key + list.get(i), 1.0);
    }
    return Balancing.keepProbability(ps);
  }

  /** {@code (id, P) → boolean}: the deterministic draw {@code u(id, seed) ≤ P}. */
  public static UserDefinedFunction keep(long seed) {
    UDF2<String, Double, Boolean> fn = (id, p) -> p != null && Balancing.keep(id, seed, p);
    return functions.udf(fn, DataTypes.BooleanType);
  }
}
