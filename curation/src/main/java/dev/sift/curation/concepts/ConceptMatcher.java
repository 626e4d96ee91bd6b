package dev.sift.curation.concepts;

import com.hankcs.algorithm.AhoCorasickDoubleArrayTrie;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * MetaCLIP's match rule on a multi-pattern automaton: entry {@code e} matches caption {@code c} iff
 * {@code semantics.spaceEntry(e)} is a substring of {@code semantics.spaceCaption(c)}. One pass
 * over the spaced caption finds every match, overlapping and nested ones included, whatever the
 * size of the list (a double-array Aho-Corasick trie).
 *
 * <p>Immutable and thread-safe after construction: build one per executor JVM and share it between
 * tasks (building the 500k-entry list takes seconds; matching a caption microseconds).
 */
public final class ConceptMatcher {
  private static final int[] NONE = new int[0];

  private final ConceptList list;
  private final Semantics semantics;
  private final AhoCorasickDoubleArrayTrie<int[]> trie = new AhoCorasickDoubleArrayTrie<>();

  /** Builds the automaton of every entry that can match. */
  public ConceptMatcher(ConceptList list, Semantics semantics) {
    this.list = list;
    this.semantics = semantics;
    Map<String, int[]> patterns = new TreeMap<>();
    List<String> entries = list.entries();
    for (int id = 0; id < entries.size(); id++) {
      String entry = entries.get(id);
      if (semantics.canNeverMatch(entry)) {
        continue;
      }
      // Distinct entries can share a spaced form only in odd user lists; keep every id.
      patterns.merge(semantics.spaceEntry(entry), new int[] {id}, ConceptMatcher::concat);
    }
    if (!patterns.isEmpty()) {
      trie.build(patterns);
    }
  }

  public Semantics semantics() {
    return semantics;
  }

  public ConceptList list() {
    return list;
  }

  /** Ids (positions in the list) of the entries that match, ascending, each once. */
  public int[] match(String caption) {
    if (caption == null || caption.isEmpty() || trie.size() == 0) {
      return NONE;
    }
    IdCollector hits = new IdCollector();
    AhoCorasickDoubleArrayTrie.IHit<int[]> onHit = (begin, end, ids) -> hits.add(ids);
    trie.parseText(semantics.spaceCaption(caption), onHit);
    return hits.sortedDistinct();
  }

  /** The matching entries themselves, in list order. */
  public List<String> matchEntries(String caption) {
    int[] ids = match(caption);
    List<String> out = new ArrayList<>(ids.length);
    for (int id : ids) {
      out.add(list.entries().get(id));
    }
    return out;
  }

  /**
   * The definition itself, entry by entry: slow (every entry is tested against every caption), for
   * tests and as the benchmark's reference. Entries are spaced once, here.
   */
  public static java.util.function.Function<String, int[]> naive(
      ConceptList list, Semantics semantics) {
    List<String> spaced = new ArrayList<>(list.size());
    for (String e : list.entries()) {
      spaced.add(e.isEmpty() ? null : semantics.spaceEntry(e));
    }
    return caption -> {
      if (caption == null || caption.isEmpty()) {
        return NONE;
      }
      String text = semantics.spaceCaption(caption);
      IdCollector hits = new IdCollector();
      for (int id = 0; id < spaced.size(); id++) {
        String e = spaced.get(id);
        if (e != null && text.contains(e)) {
          hits.add(new int[] {id});
        }
      }
      return hits.sortedDistinct();
    };
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Collects ids without boxing; most captions match a handful of entries. */
  private static final class IdCollector {
    private int[] ids = new int[16];
    private int n;

    void add(int[] more) {
      for (int id : more) {
        if (n == ids.length) {
          ids = Arrays.copyOf(ids, n * 2);
        }
        ids[n++] = id;
      }
    }

    int[] sortedDistinct() {
      if (n == 0) {
        return NONE;
      }
      Arrays.sort(ids, 0, n);
      int k = 1;
      for (int j = 1; j < n; j++) {
        if (ids[j] != ids[k - 1]) {
          ids[k++] = ids[j];
        }
      }
      return Arrays.copyOf(ids, k);
    }
  }
}
