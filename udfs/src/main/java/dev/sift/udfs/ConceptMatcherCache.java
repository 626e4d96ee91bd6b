package dev.sift.udfs;

import dev.sift.curation.concepts.ConceptList;
import dev.sift.curation.concepts.ConceptMatcher;
import dev.sift.curation.concepts.Semantics;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * One {@link ConceptMatcher} per executor JVM and (list, semantics): the first task that needs it
 * builds the automaton from the broadcast list, every later task of the JVM shares it. Never one
 * automaton per task or per row.
 *
 * <p>Thread-safe. Matchers live as long as the JVM (a handful of lists per application at most).
 */
public final class ConceptMatcherCache {
  private static final ConcurrentHashMap<String, ConceptMatcher> MATCHERS =
      new ConcurrentHashMap<>();

  private ConceptMatcherCache() {}

  /**
   * @param key identifies the list's content and the semantics (the driver's digest)
   * @param list supplies the list (from a broadcast variable) when the matcher must be built
   */
  public static ConceptMatcher get(String key, Supplier<ConceptList> list, Semantics semantics) {
    return MATCHERS.computeIfAbsent(key, k -> new ConceptMatcher(list.get(), semantics));
  }
}
