package dev.sift.curation.concepts;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Builds a concept list ({@code metadata.json}) the way MetaCLIP 1's {@code build_metadata.py}
 * does: sources are added in MetaCLIP's order into one list, and an entry that an earlier source
 * already added (exact, case-sensitive string) is not added again. The sources:
 *
 * <ol>
 *   <li>the strings "0" … "99";
 *   <li>WordNet 3.0 synset names ({@link WordNetConcepts}), in Unicode code point order;
 *   <li>optionally, unigrams: a TSV of {@code entry<TAB>count}, kept if count ≥ the threshold
 *       (MetaCLIP: 100);
 *   <li>optionally, bigrams: a TSV of {@code entry<TAB>pmi} (entry = {@code "w1 w2"}), kept if PMI
 *       ≥ the threshold (MetaCLIP: 30);
 *   <li>optionally, titles: a TSV of {@code entry<TAB>pageviews}, kept if pageviews ≥ the threshold
 *       (MetaCLIP: 70);
 *   <li>optionally, extra concepts of the user: one per line, or a JSON array of strings.
 * </ol>
 *
 * Entries that are empty or a single ASCII punctuation character are dropped (MetaCLIP's {@code
 * string.punctuation} filter). Entries are taken exactly as written: no trimming, no case folding.
 * Within a user file the file's order is kept. MetaCLIP itself writes {@code list(set)}, an
 * arbitrary order; Sift's order is deterministic, and an entry's id is its position.
 *
 * <p>TSV files are UTF-8, one row per line, no header, exactly one tab per row; blank lines are
 * skipped. A row without a tab, with more than one tab, or with a value that is not a number is an
 * {@link IllegalArgumentException} naming the file and line. Counts and pageviews are integers; PMI
 * is a decimal number.
 *
 * <p>A builder is a plain mutable object for one thread; {@link #build()} may be called more than
 * once and reads the files each time. The {@link Result} is immutable.
 */
public final class MetadataBuilder {

  /** MetaCLIP's unigram threshold: count ≥ 100. */
  public static final long DEFAULT_MIN_UNIGRAM_COUNT = 100;

  /** MetaCLIP's bigram threshold: PMI ≥ 30. */
  public static final double DEFAULT_MIN_BIGRAM_PMI = 30.0;

  /** MetaCLIP's title threshold: pageviews ≥ 70. */
  public static final long DEFAULT_MIN_TITLE_PAGEVIEWS = 70;

  /** The concept list's file name in {@link Result#write(Path)}'s directory. */
  public static final String METADATA_FILE = "metadata.json";

  /** The provenance file's name in {@link Result#write(Path)}'s directory. */
  public static final String SOURCES_FILE = "SOURCES.md";

  /** Python's {@code string.punctuation}: MetaCLIP drops an entry equal to one of these. */
  static final String ASCII_PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

  private static final Pattern INTEGER = Pattern.compile("[+-]?[0-9]+");
  private static final Pattern DECIMAL =
      Pattern.compile("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?");

  private List<String> wordNetNames;
  private String wordNetSource = WordNetConcepts.SOURCE;
  private Path unigrams;
  private long minUnigramCount = DEFAULT_MIN_UNIGRAM_COUNT;
  private Path bigrams;
  private double minBigramPmi = DEFAULT_MIN_BIGRAM_PMI;
  private Path titles;
  private long minTitlePageviews = DEFAULT_MIN_TITLE_PAGEVIEWS;
  private Path extra;

  /** A builder for the numbers plus WordNet 3.0 (read when {@link #build()} first needs it). */
  public MetadataBuilder() {}

  /**
   * Uses these names instead of WordNet 3.0 (tests; a WordNet extracted elsewhere). They are
   * filtered and deduplicated like any source, in the given order.
   *
   * @param description what they are, for {@code SOURCES.md}
   */
  public MetadataBuilder wordNet(Collection<String> names, String description) {
    this.wordNetNames = List.copyOf(names);
    this.wordNetSource = Objects.requireNonNull(description, "description");
    return this;
  }

  /** Adds the unigram TSV ({@code entry<TAB>count}) with MetaCLIP's threshold (count ≥ 100). */
  public MetadataBuilder unigrams(Path tsv) {
    return unigrams(tsv, DEFAULT_MIN_UNIGRAM_COUNT);
  }

  /** Adds the unigram TSV ({@code entry<TAB>count}), keeping rows with count ≥ {@code minCount}. */
  public MetadataBuilder unigrams(Path tsv, long minCount) {
    this.unigrams = Objects.requireNonNull(tsv, "tsv");
    this.minUnigramCount = minCount;
    return this;
  }

  /** Adds the bigram TSV ({@code entry<TAB>pmi}) with MetaCLIP's threshold (PMI ≥ 30). */
  public MetadataBuilder bigrams(Path tsv) {
    return bigrams(tsv, DEFAULT_MIN_BIGRAM_PMI);
  }

  /** Adds the bigram TSV ({@code entry<TAB>pmi}), keeping rows with PMI ≥ {@code minPmi}. */
  public MetadataBuilder bigrams(Path tsv, double minPmi) {
    if (Double.isNaN(minPmi)) {
      throw new IllegalArgumentException("minimum bigram PMI is NaN");
    }
    this.bigrams = Objects.requireNonNull(tsv, "tsv");
    this.minBigramPmi = minPmi;
    return this;
  }

  /** Adds the title TSV ({@code entry<TAB>pageviews}) with MetaCLIP's threshold (≥ 70). */
  public MetadataBuilder titles(Path tsv) {
    return titles(tsv, DEFAULT_MIN_TITLE_PAGEVIEWS);
  }

  /**
   * Adds the title TSV ({@code entry<TAB>pageviews}), keeping rows with pageviews ≥ {@code
   * minPageviews}.
   */
  public MetadataBuilder titles(Path tsv, long minPageviews) {
    this.titles = Objects.requireNonNull(tsv, "tsv");
    this.minTitlePageviews = minPageviews;
    return this;
  }

  /** Adds the user's own concepts: one per line, or a JSON array of strings. Added last. */
  public MetadataBuilder extra(Path file) {
    this.extra = Objects.requireNonNull(file, "file");
    return this;
  }

  /**
   * Reads every source and builds the list.
   *
   * @throws IllegalArgumentException naming the file (and line) of a malformed input
   * @throws UncheckedIOException if a file cannot be read
   * @throws IllegalStateException if WordNet 3.0 cannot be read from the classpath
   */
  public Result build() {
    Set<String> entries = new LinkedHashSet<>(1 << 20);
    List<SourceCount> counts = new ArrayList<>();

    List<String> numbers = new ArrayList<>(100);
    for (int i = 0; i < 100; i++) {
      numbers.add(Integer.toString(i));
    }
    counts.add(add(entries, "numbers", "built in", "the strings \"0\" … \"99\"", 100, numbers));

    if (wordNetNames != null) {
      counts.add(
          add(
              entries,
              "wordnet",
              wordNetSource,
              "given names, in the given order",
              wordNetNames.size(),
              wordNetNames));
    } else {
      WordNetConcepts wordNet = WordNetConcepts.wordNet30();
      counts.add(
          add(
              entries,
              "wordnet",
              wordNetSource,
              "per synset: first lemma, lower-cased, cut at the first \".\", \"_\" → \" \";"
                  + " Unicode code point order; read = synsets",
              wordNet.synsets(),
              wordNet.names()));
    }

    if (unigrams != null) {
      counts.add(readTsv(entries, "unigrams", unigrams, "count", false, minUnigramCount));
    }
    if (bigrams != null) {
      counts.add(readTsv(entries, "bigrams", bigrams, "pmi", true, minBigramPmi));
    }
    if (titles != null) {
      counts.add(readTsv(entries, "titles", titles, "pageviews", false, minTitlePageviews));
    }
    if (extra != null) {
      String text;
      try {
        text = Files.readString(extra, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read extra concepts " + extra, e);
      }
      ConceptList list = ConceptList.parse(text, extra.toString(), Semantics.METACLIP1);
      counts.add(
          add(
              entries,
              "extra",
              extra.toString(),
              "every entry (one per line, or a JSON array)",
              list.size() + list.duplicates(),
              list.entries()));
    }
    return new Result(List.copyOf(entries), List.copyOf(counts));
  }

  /** Whether MetaCLIP drops this entry: empty, or a single ASCII punctuation character. */
  public static boolean isDropped(String entry) {
    return entry.isEmpty()
        || (entry.length() == 1 && ASCII_PUNCTUATION.indexOf(entry.charAt(0)) >= 0);
  }

  private static SourceCount add(
      Set<String> entries, String source, String from, String rule, int read, List<String> kept) {
    int firstId = entries.size();
    int passed = 0;
    for (String e : kept) {
      if (!isDropped(e)) {
        passed++;
        entries.add(e);
      }
    }
    return new SourceCount(source, from, rule, read, passed, entries.size() - firstId, firstId);
  }

  /** Reads {@code entry<TAB>value} rows and adds the entries whose value ≥ {@code min}. */
  private static SourceCount readTsv(
      Set<String> entries,
      String source,
      Path file,
      String valueName,
      boolean decimal,
      Number min) {
    List<String> kept = new ArrayList<>();
    int rows = 0;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int lineNo = 0;
      while ((line = in.readLine()) != null) {
        lineNo++;
        if (lineNo == 1 && line.startsWith("\uFEFF")) {
          line = line.substring(1);
        }
        if (line.isEmpty()) {
          continue;
        }
        rows++;
        int tab = line.indexOf('\t');
        if (tab < 0) {
          throw badLine(source, file, lineNo, "no tab; expected entry<TAB>" + valueName);
        }
        if (line.indexOf('\t', tab + 1) >= 0) {
          throw badLine(source, file, lineNo, "more than one tab; expected entry<TAB>" + valueName);
        }
        String entry = line.substring(0, tab);
        String text = line.substring(tab + 1).strip();
        if (!(decimal ? DECIMAL : INTEGER).matcher(text).matches()) {
          throw badLine(
              source,
              file,
              lineNo,
              valueName
                  + " \""
                  + text
                  + "\" is not "
                  + (decimal ? "a decimal number" : "an integer"));
        }
        boolean keep;
        if (decimal) {
          keep = Double.parseDouble(text) >= min.doubleValue();
        } else {
          long value;
          try {
            value = Long.parseLong(text);
          } catch (NumberFormatException e) {
            throw badLine(source, file, lineNo, valueName + " \"" + text + "\" is out of range");
          }
          keep = value >= min.longValue();
        }
        if (keep) {
          kept.add(entry);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + source + " TSV " + file, e);
    }
    String rule =
        valueName
            + " ≥ "
            + (decimal ? formatDecimal(min.doubleValue()) : Long.toString(min.longValue()))
            + "; file order";
    return add(entries, source, file.toString(), rule, rows, kept);
  }

  private static IllegalArgumentException badLine(
      String source, Path file, int lineNo, String what) {
    return new IllegalArgumentException(source + " TSV " + file + ", line " + lineNo + ": " + what);
  }

  private static String formatDecimal(double d) {
    return d == Math.rint(d) && !Double.isInfinite(d)
        ? Long.toString((long) d)
        : Double.toString(d);
  }

  /**
   * What one source contributed.
   *
   * @param source the source's name: {@code numbers}, {@code wordnet}, {@code unigrams}, {@code
   *     bigrams}, {@code titles} or {@code extra}
   * @param from where it was read (a file, or a description)
   * @param rule what was kept, and in which order
   * @param read rows read: synsets for WordNet; non-blank lines of a TSV; entries of the extra file
   *     (non-empty lines, or array elements)
   * @param kept rows that passed the threshold and the empty/punctuation filter (for the extra
   *     file, after dropping its own repeats)
   * @param added entries new to the list (kept minus those an earlier row or source had added)
   * @param firstId the id of the first entry this source added; its ids are {@code firstId ..
   *     firstId + added - 1}
   */
  public record SourceCount(
      String source, String from, String rule, int read, int kept, int added, int firstId) {}

  /**
   * A built concept list: the entries (an entry's id is its position) and what each source added.
   * Immutable.
   */
  public record Result(List<String> entries, List<SourceCount> sources) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** Copies the lists. */
    public Result {
      entries = List.copyOf(entries);
      sources = List.copyOf(sources);
    }

    /** The counts of the source with this name; empty if that source was not used. */
    public Optional<SourceCount> source(String name) {
      return sources.stream().filter(s -> s.source().equals(name)).findFirst();
    }

    /**
     * Writes {@value #METADATA_FILE} (a JSON array of strings, UTF-8) and {@value #SOURCES_FILE}
     * (where each id range came from, thresholds, the file's SHA-256, and the WordNet license
     * notice) into {@code dir}, creating it if needed and replacing files of those names.
     *
     * @throws UncheckedIOException if a file cannot be written
     */
    public void write(Path dir) {
      try {
        Files.createDirectories(dir);
        byte[] json = JSON.writeValueAsBytes(entries);
        Files.write(dir.resolve(METADATA_FILE), json);
        Files.writeString(
            dir.resolve(SOURCES_FILE),
            sourcesMarkdown(dev.sift.curation.Hashing.sha256Hex(json)),
            StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the concept list to " + dir, e);
      }
    }

    /** The text of {@value #SOURCES_FILE}, given the SHA-256 of {@value #METADATA_FILE}. */
    String sourcesMarkdown(String sha256) {
      StringBuilder md = new StringBuilder();
      md.append("# Sources of metadata.json\n\n");
      md.append(
          String.format(
              Locale.ROOT,
              "`%s`: %,d entries, a JSON array of strings (UTF-8), SHA-256 `%s`.%n%n",
              METADATA_FILE,
              entries.size(),
              sha256));
      md.append(
          "An entry's id is its 0-based position in the array: the match index, the entry counts"
              + " and the balancing probabilities are keyed by it, so reordering the file changes"
              + " every id. Built by Sift following MetaCLIP 1's `build_metadata.py`: sources"
              + " added in the order below; an entry an earlier row or source already added"
              + " (exact, case-sensitive) is not added again; empty entries and single ASCII"
              + " punctuation characters are dropped. Within WordNet the order is Unicode code"
              + " point order; within a file it is the file's order. (MetaCLIP's own file has an"
              + " arbitrary order, so its ids differ from these.)\n\n");
      md.append("| source | ids | added | kept | read | rule | from |\n");
      md.append("|---|---|---:|---:|---:|---|---|\n");
      boolean wordNet30 = false;
      for (SourceCount s : sources) {
        String ids = s.added() == 0 ? "—" : s.firstId() + " – " + (s.firstId() + s.added() - 1);
        md.append(
            String.format(
                Locale.ROOT,
                "| %s | %s | %,d | %,d | %,d | %s | %s |%n",
                s.source(),
                ids,
                s.added(),
                s.kept(),
                s.read(),
                cell(s.rule()),
                cell(s.from())));
        wordNet30 |= s.from().equals(WordNetConcepts.SOURCE);
      }
      md.append(
          "\n`added`: new entries (their ids); `kept`: rows past the threshold and the"
              + " empty/punctuation filter; `read`: rows read (synsets for WordNet).\n");
      if (wordNet30) {
        md.append("\n## WordNet license\n\n")
            .append("The WordNet entries are derived from WordNet 3.0, whose license asks for")
            .append(" this notice on all copies:\n\n> ")
            .append(WordNetConcepts.LICENSE)
            .append('\n');
      }
      return md.toString();
    }

    private static String cell(String s) {
      return s.replace("|", "\\|").replace("\n", " ");
    }
  }
}
