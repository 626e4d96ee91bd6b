package dev.sift.curation.concepts;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A concept list: MetaCLIP's {@code metadata.json} (a JSON array of strings; an entry's id is its
 * position), or a plain text file with one entry per line. Loading checks it and records what a
 * user should know: duplicated entries (kept once, at their first position) and entries that can
 * never match under the chosen semantics.
 *
 * <p>Immutable and serialisable (it is broadcast to executors).
 */
public final class ConceptList implements Serializable {
  private static final long serialVersionUID = 1L;

  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<String> entries;
  private final int duplicates;
  private final List<String> dead;

  private ConceptList(List<String> entries, int duplicates, List<String> dead) {
    this.entries = Collections.unmodifiableList(entries);
    this.duplicates = duplicates;
    this.dead = Collections.unmodifiableList(dead);
  }

  /**
   * Builds a list from entries in file order.
   *
   * @throws IllegalArgumentException naming the position of a null entry
   */
  public static ConceptList of(List<String> raw, Semantics semantics) {
    List<String> entries = new ArrayList<>(raw.size());
    Set<String> seen = new HashSet<>(raw.size() * 2);
    List<String> dead = new ArrayList<>();
    int duplicates = 0;
    for (int i = 0; i < raw.size(); i++) {
      String e = raw.get(i);
      if (e == null) {
        throw new IllegalArgumentException("entry " + i + " is null, not a string");
      }
      if (!seen.add(e)) {
        duplicates++;
        continue;
      }
      entries.add(e);
      if (semantics.canNeverMatch(e)) {
        dead.add(e);
      }
    }
    return new ConceptList(entries, duplicates, dead);
  }

  /**
   * Reads a JSON array of strings ({@code .json}) or a text file with one entry per line.
   *
   * @throws IllegalArgumentException naming the file and what is wrong with it
   */
  public static ConceptList read(Path file, Semantics semantics) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read concept list " + file, e);
    }
    return parse(text, file.toString(), semantics);
  }

  /**
   * Parses the content of a concept list file: a JSON array of strings, or one entry per line.
   *
   * @param name the file's name, for error messages
   * @throws IllegalArgumentException naming the file and what is wrong with it
   */
  public static ConceptList parse(String text, String name, Semantics semantics) {
    List<String> raw;
    try {
      raw = text.stripLeading().startsWith("[") ? jsonStrings(text) : lines(text);
    } catch (IllegalArgumentException | IOException e) {
      throw new IllegalArgumentException("concept list " + name + ": " + e.getMessage(), e);
    }
    return of(raw, semantics);
  }

  /** A JSON array whose elements must all be strings; the error names the first that is not. */
  private static List<String> jsonStrings(String text) throws IOException {
    JsonNode root = JSON.readTree(text);
    if (root == null || !root.isArray()) {
      throw new IllegalArgumentException("not a JSON array of strings");
    }
    List<String> out = new ArrayList<>(root.size());
    for (int i = 0; i < root.size(); i++) {
      JsonNode e = root.get(i);
      if (!e.isTextual()) {
        throw new IllegalArgumentException(
            "element "
                + i
                + " is "
                + e.getNodeType().name().toLowerCase(Locale.ROOT)
                + " "
                + e
                + ", not a string");
      }
      out.add(e.textValue());
    }
    return out;
  }

  private static List<String> lines(String text) {
    List<String> out = new ArrayList<>();
    for (String line : text.split("\r?\n", -1)) {
      if (!line.isEmpty()) {
        out.add(line);
      }
    }
    return out;
  }

  /** The distinct entries, in file order. */
  public List<String> entries() {
    return entries;
  }

  /** How many entries repeated an earlier one and were dropped. */
  public int duplicates() {
    return duplicates;
  }

  /** Entries that can never match under the semantics the list was loaded with. */
  public List<String> dead() {
    return dead;
  }

  public int size() {
    return entries.size();
  }

  /** SHA-256 of the entries in order: names the list in caches and in the manifest. */
  public String digest() {
    java.security.MessageDigest sha = dev.sift.curation.Hashing.sha256();
    for (String e : entries) {
      sha.update(e.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
    }
    return java.util.HexFormat.of().formatHex(sha.digest());
  }
}
