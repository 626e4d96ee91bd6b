package dev.sift.curation.concepts;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import net.sf.extjwnl.JWNLException;
import net.sf.extjwnl.data.POS;
import net.sf.extjwnl.data.Synset;
import net.sf.extjwnl.dictionary.Dictionary;

/**
 * The WordNet part of MetaCLIP's concept list: one name per WordNet 3.0 synset, derived as
 * MetaCLIP's {@code build_metadata.wordnet_synsets} does from NLTK's synset name ({@code
 * lemma.pos.nn}, where the lemma is the synset's first lemma in data-file order, adjective marker
 * removed, lower-cased): cut at the first {@code "."}, then {@code "_"} → {@code " "}. So {@code
 * a.d.} gives {@code a}, and {@code .22 caliber} gives the empty name, which is left out here.
 *
 * <p>WordNet 3.0 is read from the classpath ({@code net.sf.extjwnl:extjwnl-data-wn30}, Princeton's
 * data files) with extJWNL. Reading all 117,659 synsets takes several seconds, so {@link
 * #wordNet30()} reads them once per JVM and keeps the names (about 87k short strings); the extJWNL
 * dictionary is closed after reading. Instances are immutable and thread-safe. The result equals
 * {@code data/metaclip/metadata_proxy_wordnet30.json} minus the numbers "0".."99" that MetaCLIP
 * seeds its list with (checked by {@code WordNetConceptsTest}).
 */
public final class WordNetConcepts {

  /** What the names were read from, for {@code SOURCES.md}. */
  public static final String SOURCE =
      "Princeton WordNet 3.0 (Maven Central net.sf.extjwnl:extjwnl-data-wn30, read with extJWNL)";

  /** The notice Princeton's WordNet 3.0 license requires on all copies, derived lists included. */
  public static final String LICENSE =
      "WordNet Release 3.0 This software and database is being provided to you, the LICENSEE, by"
          + " Princeton University under the following license. By obtaining, using and/or"
          + " copying this software and database, you agree that you have read, understood, and"
          + " will comply with these terms and conditions.: Permission to use, copy, modify and"
          + " distribute this software and database and its documentation for any purpose and"
          + " without fee or royalty is hereby granted, provided that you agree to comply with"
          + " the following copyright notice and statements, including the disclaimer, and that"
          + " the same appear on ALL copies of the software, database and documentation,"
          + " including modifications that you make for internal use or for distribution."
          + " WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved. THIS"
          + " SOFTWARE AND DATABASE IS PROVIDED \"AS IS\" AND PRINCETON UNIVERSITY MAKES NO"
          + " REPRESENTATIONS OR WARRANTIES, EXPRESS OR IMPLIED. BY WAY OF EXAMPLE, BUT NOT"
          + " LIMITATION, PRINCETON UNIVERSITY MAKES NO REPRESENTATIONS OR WARRANTIES OF MERCHANT-"
          + " ABILITY OR FITNESS FOR ANY PARTICULAR PURPOSE OR THAT THE USE OF THE LICENSED"
          + " SOFTWARE, DATABASE OR DOCUMENTATION WILL NOT INFRINGE ANY THIRD PARTY PATENTS,"
          + " COPYRIGHTS, TRADEMARKS OR OTHER RIGHTS. The name of Princeton University or"
          + " Princeton may not be used in advertising or publicity pertaining to distribution of"
          + " the software and/or database. Title to copyright in this software, database and any"
          + " associated documentation shall at all times remain with Princeton University and"
          + " LICENSEE agrees to preserve same.";

  /**
   * Unicode code point order (Python's {@code sorted} on {@code str}). {@link String#compareTo}
   * compares UTF-16 units, which puts supplementary characters before U+E000..U+FFFF.
   */
  public static final Comparator<String> CODE_POINT_ORDER = WordNetConcepts::compareCodePoints;

  private static volatile WordNetConcepts wordNet30;

  private final List<String> names;
  private final int synsets;

  private WordNetConcepts(List<String> names, int synsets) {
    this.names = names;
    this.synsets = synsets;
  }

  /**
   * WordNet 3.0's names, read from the classpath on the first call and kept for the JVM's life.
   *
   * @throws IllegalStateException if the WordNet data cannot be read
   */
  public static WordNetConcepts wordNet30() {
    WordNetConcepts result = wordNet30;
    if (result == null) {
      synchronized (WordNetConcepts.class) {
        result = wordNet30;
        if (result == null) {
          result = read();
          wordNet30 = result;
        }
      }
    }
    return result;
  }

  /** Names from a list of first lemmas (one per synset): for tests and other WordNet readers. */
  public static WordNetConcepts fromFirstLemmas(Collection<String> firstLemmas) {
    Set<String> distinct = new HashSet<>(firstLemmas.size() * 2);
    for (String lemma : firstLemmas) {
      String name = metaclipName(lemma);
      if (!name.isEmpty()) {
        distinct.add(name);
      }
    }
    List<String> sorted = new ArrayList<>(distinct);
    sorted.sort(CODE_POINT_ORDER);
    return new WordNetConcepts(Collections.unmodifiableList(sorted), firstLemmas.size());
  }

  /**
   * MetaCLIP's name for a synset whose first lemma is {@code firstLemma}: lower-cased (as NLTK
   * does; WordNet 3.0 lemmas are ASCII), cut at the first {@code "."}, {@code "_"} → {@code " "}.
   * extJWNL already gives lemmas with spaces and without adjective markers such as {@code (a)}.
   */
  public static String metaclipName(String firstLemma) {
    String name = firstLemma.toLowerCase(Locale.ROOT);
    int dot = name.indexOf('.');
    if (dot >= 0) {
      name = name.substring(0, dot);
    }
    return name.replace('_', ' ');
  }

  private static WordNetConcepts read() {
    Dictionary dictionary;
    try {
      dictionary = Dictionary.getDefaultResourceInstance();
    } catch (JWNLException e) {
      throw new IllegalStateException(
          "cannot open WordNet 3.0 (net.sf.extjwnl:extjwnl-data-wn30 on the classpath)", e);
    }
    if (dictionary == null) {
      throw new IllegalStateException(
          "WordNet 3.0 is not on the classpath (net.sf.extjwnl:extjwnl-data-wn30)");
    }
    List<String> firstLemmas = new ArrayList<>(120_000);
    JWNLException failure = null;
    try {
      for (POS pos : POS.getAllPOS()) {
        Iterator<Synset> it = dictionary.getSynsetIterator(pos);
        while (it.hasNext()) {
          firstLemmas.add(it.next().getWords().get(0).getLemma());
        }
      }
    } catch (JWNLException e) {
      failure = e;
    }
    try {
      dictionary.close();
    } catch (JWNLException e) {
      if (failure == null) {
        failure = e;
      } else {
        failure.addSuppressed(e);
      }
    }
    if (failure != null) {
      throw new IllegalStateException("cannot read WordNet 3.0 synsets", failure);
    }
    return fromFirstLemmas(firstLemmas);
  }

  /** The distinct non-empty names, in Unicode code point order. */
  public List<String> names() {
    return names;
  }

  /** How many synsets the names came from (117,659 for WordNet 3.0). */
  public int synsets() {
    return synsets;
  }

  private static int compareCodePoints(String a, String b) {
    int i = 0;
    int j = 0;
    while (i < a.length() && j < b.length()) {
      int ca = a.codePointAt(i);
      int cb = b.codePointAt(j);
      if (ca != cb) {
        return Integer.compare(ca, cb);
      }
      i += Character.charCount(ca);
      j += Character.charCount(cb);
    }
    return Boolean.compare(i < a.length(), j < b.length());
  }
}
