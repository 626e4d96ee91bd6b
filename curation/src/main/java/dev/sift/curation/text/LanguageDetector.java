package dev.sift.curation.text;

import com.github.pemistahl.lingua.api.IsoCode639_1;
import com.github.pemistahl.lingua.api.IsoCode639_3;
import com.github.pemistahl.lingua.api.Language;
import com.github.pemistahl.lingua.api.LanguageDetectorBuilder;
import java.io.Serializable;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * The language of a caption, for MetaCLIP 2's per-language concept lists when the input carries no
 * language column (MetaCLIP 2 runs fastText's LID on every alt-text). Built on Lingua, which is
 * made for short texts: alt-texts are a few words, where n-gram detectors trained on sentences
 * (OpenNLP's, Optimaize's) guess at random.
 *
 * <p>Answers ISO 639-1 codes ({@code en}, {@code zh}, {@code nb}), the names MetaCLIP 2's lists
 * use, or {@code null} when unsure: empty or letterless text, or when the two likeliest languages
 * are closer than {@link Settings#minDistance}. The caller maps {@code null} to {@code other}.
 *
 * <p>Settings are serialisable and travel to executors; the detector itself is not (its language
 * models load lazily, per language met, and hold up to ~1.5 GB of heap for all 75 languages in
 * high-accuracy mode, ~100 MB in low-accuracy mode). Build one per executor JVM and share it: it is
 * thread-safe.
 */
public final class LanguageDetector {
  /**
   * What to build.
   *
   * @param languages ISO 639-1 or 639-3 codes the detector may answer, lower case; empty for every
   *     language Lingua knows
   * @param minDistance 0 picks the likeliest language always; up to 0.99 answers {@code null}
   *     unless the best language beats the second by that much (Lingua's relative distance)
   * @param lowAccuracy trigram models only: ~15x less memory and ~3x faster, much less accurate on
   *     texts of a few words
   */
  public record Settings(List<String> languages, double minDistance, boolean lowAccuracy)
      implements Serializable {
    public Settings {
      languages = List.copyOf(languages);
      if (!(minDistance >= 0 && minDistance < 1)) {
        throw new IllegalArgumentException(
            "language detection: minimum distance must be in [0, 1), got " + minDistance);
      }
      resolve(languages);
    }
  }

  private final com.github.pemistahl.lingua.api.LanguageDetector lingua;

  public LanguageDetector(Settings settings) {
    LanguageDetectorBuilder builder =
        settings.languages().isEmpty()
            ? LanguageDetectorBuilder.fromAllLanguages()
            : LanguageDetectorBuilder.fromLanguages(
                resolve(settings.languages()).toArray(Language[]::new));
    builder = builder.withMinimumRelativeDistance(settings.minDistance());
    if (settings.lowAccuracy()) {
      builder = builder.withLowAccuracyMode();
    }
    this.lingua = builder.build();
  }

  /**
   * Characters of a caption the detector reads: Lingua's time grows with the text (about 20 ms for
   * 1,000 characters, 0.4 s for 100,000), and an alt-text's language shows in its first words, so a
   * hostile or runaway caption costs no more than this.
   */
  static final int MAX_CHARS = 1_000;

  /**
   * The caption's ISO 639-1 code, or {@code null} when unsure or {@code caption} is null. Reads at
   * most the first {@link #MAX_CHARS} code points.
   */
  public String detect(String caption) {
    if (caption == null || caption.isBlank()) {
      return null;
    }
    if (caption.codePointCount(0, caption.length()) > MAX_CHARS) {
      caption = caption.substring(0, caption.offsetByCodePoints(0, MAX_CHARS));
    }
    Language language = lingua.detectLanguageOf(caption);
    if (language == Language.UNKNOWN) {
      return null;
    }
    return code(language);
  }

  /** Every code the detector can answer, sorted. */
  public static Set<String> supported() {
    Set<String> codes = new TreeSet<>();
    for (Language l : Language.all()) {
      codes.add(code(l));
    }
    return codes;
  }

  private static String code(Language language) {
    return language.getIsoCode639_1().toString().toLowerCase(Locale.ROOT);
  }

  /**
   * The Lingua languages named by {@code codes} (ISO 639-1 or 639-3, any case).
   *
   * @throws IllegalArgumentException naming the first code Lingua does not know, with the codes it
   *     does know
   */
  static Set<Language> resolve(List<String> codes) {
    Set<Language> languages = EnumSet.noneOf(Language.class);
    for (String raw : codes) {
      String code = raw == null ? "" : raw.trim().toUpperCase(Locale.ROOT);
      Language found = null;
      for (Language l : Language.all()) {
        if (l.getIsoCode639_1() != IsoCode639_1.NONE && l.getIsoCode639_1().name().equals(code)
            || l.getIsoCode639_3() != IsoCode639_3.NONE
                && l.getIsoCode639_3().name().equals(code)) {
          found = l;
        }
      }
      if (found == null) {
        throw new IllegalArgumentException(
            "language detection: unknown language '"
                + raw
                + "'; the detector knows (ISO 639-1, or the ISO 639-3 equivalents): "
                + String.join(", ", supported()));
      }
      languages.add(found);
    }
    return languages;
  }
}
