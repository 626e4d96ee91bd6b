package dev.sift.curation.concepts;

import java.util.Locale;
import java.util.Set;

/**
 * Which per-language concept list (MetaCLIP 2) a row's language code belongs to.
 *
 * <p>Stateless and thread-safe.
 */
public final class LanguageLists {
  /** The language of rows whose language has no list. */
  public static final String OTHER = "other";

  private LanguageLists() {}

  /**
   * The list a row's language code matches: the code lower-cased with {@code -} read as {@code _};
   * a regional code falls back to its prefix ({@code zh_yue} → {@code zh}, as MetaCLIP 2 merges
   * them); anything else is {@link #OTHER}.
   *
   * @param known the languages that have a list
   */
  public static String listFor(String code, Set<String> known) {
    if (code == null || code.isBlank()) {
      return OTHER;
    }
    String c = code.trim().toLowerCase(Locale.ROOT).replace('-', '_');
    if (known.contains(c)) {
      return c;
    }
    int cut = c.indexOf('_');
    if (cut > 0 && known.contains(c.substring(0, cut))) {
      return c.substring(0, cut);
    }
    // ISO's Norwegian Bokmål (what detectors answer) is Wikipedia's "no" (MetaCLIP 2's list name).
    if (c.equals("nb") && known.contains("no")) {
      return "no";
    }
    return OTHER;
  }
}
