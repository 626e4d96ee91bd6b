package dev.sift.curation.concepts;

import java.util.Locale;

/**
 * MetaCLIP's two match rules. They share the caption spacing; they differ in how entries are spaced
 * (v2 leaves no space beside a CJK-or-similar or punctuation character) and in v2 stripping the
 * caption's surrounding whitespace first.
 */
public enum Semantics {
  METACLIP1,
  METACLIP2;

  /** From the configuration value ({@code metaclip1 | metaclip2}). */
  public static Semantics parse(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }

  /** The seven characters MetaCLIP wraps in spaces in captions. */
  static final String WRAPPED = ",.;:?!`";

  /**
   * MetaCLIP's {@code spacing(text)}: a space at both ends, a space on each side of every {@code ,
   * . ; : ? ! `}, and each tab, LF and CR replaced by one space. Nothing else (no case folding, no
   * Unicode normalisation, no collapsing of spaces). MetaCLIP 2 strips the caption (Python's {@code
   * str.strip()}: Unicode whitespace) first.
   */
  public String spaceCaption(String caption) {
    String text = this == METACLIP2 ? pythonStrip(caption) : caption;
    StringBuilder out = new StringBuilder(text.length() + 16);
    out.append(' ');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (WRAPPED.indexOf(c) >= 0) {
        out.append(' ').append(c).append(' ');
      } else if (c == '\t' || c == '\n' || c == '\r') {
        out.append(' ');
      } else {
        out.append(c);
      }
    }
    return out.append(' ').toString();
  }

  /**
   * An entry as the automaton looks for it: v1 {@code " " + e + " "}; v2 the same, except no space
   * before a first (after a last) character that is CJK-or-similar or punctuation.
   */
  public String spaceEntry(String entry) {
    if (this == METACLIP1 || entry.isEmpty()) {
      return " " + entry + " ";
    }
    int first = entry.codePointAt(0);
    int last = entry.codePointBefore(entry.length());
    return (isCjkOrSimilar(first) ? "" : " ") + entry + (isCjkOrSimilar(last) ? "" : " ");
  }

  /**
   * Whether no spaced caption can ever contain this entry's spaced form (MetaCLIP's dead entries
   * such as {@code St. Louis}): in a spaced caption every {@code , . ; : ? ! `} has a space on each
   * side and there are no tabs, CRs or LFs, so an entry whose spaced form breaks that can never
   * match. Empty entries are dead too (MetaCLIP drops them).
   */
  public boolean canNeverMatch(String entry) {
    if (entry.isEmpty()) {
      return true;
    }
    String s = spaceEntry(entry);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\t' || c == '\n' || c == '\r') {
        return true;
      }
      if (WRAPPED.indexOf(c) >= 0
          && ((i > 0 && s.charAt(i - 1) != ' ')
              || (i + 1 < s.length() && s.charAt(i + 1) != ' '))) {
        return true;
      }
    }
    return false;
  }

  private static final String EXTRA_PUNCTUATION = "，。、；：？！“”‘’（）【】《》〈〉「」『』～—";

  /**
   * MetaCLIP 2's {@code is_cjk_or_similar}: CJK, Thai, Lao, Myanmar, Khmer, Tibetan, punctuation.
   */
  static boolean isCjkOrSimilar(int cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF)
        || (cp >= 0x3400 && cp <= 0x4DBF)
        || (cp >= 0x20000 && cp <= 0x2A6DF)
        || (cp >= 0x2A700 && cp <= 0x2B73F)
        || (cp >= 0x2B740 && cp <= 0x2B81F)
        || (cp >= 0x2B820 && cp <= 0x2CEAF)
        || (cp >= 0x2CEB0 && cp <= 0x2EBEF)
        || (cp >= 0xF900 && cp <= 0xFAFF)
        || (cp >= 0x2E80 && cp <= 0x2EFF)
        || (cp >= 0x2F00 && cp <= 0x2FDF)
        || (cp >= 0x2FF0 && cp <= 0x2FFF)
        || (cp >= 0x0E00 && cp <= 0x0E7F)
        || (cp >= 0x0E80 && cp <= 0x0EFF)
        || (cp >= 0x1000 && cp <= 0x109F)
        || (cp >= 0x1780 && cp <= 0x17FF)
        || (cp >= 0x0F00 && cp <= 0x0FFF)
        || isAsciiPunctuation(cp)
        || EXTRA_PUNCTUATION.indexOf(cp) >= 0;
  }

  /** Python's {@code string.punctuation}. */
  private static boolean isAsciiPunctuation(int cp) {
    return (cp >= '!' && cp <= '/')
        || (cp >= ':' && cp <= '@')
        || (cp >= '[' && cp <= '`')
        || (cp >= '{' && cp <= '~');
  }

  /**
   * Python's {@code str.strip()} with no argument: removes leading and trailing characters for
   * which {@code str.isspace()} is true (Unicode White_Space plus the ASCII separators 0x1C–0x1F).
   */
  static String pythonStrip(String s) {
    int start = 0;
    int end = s.length();
    while (start < end && isPythonSpace(s.charAt(start))) {
      start++;
    }
    while (end > start && isPythonSpace(s.charAt(end - 1))) {
      end--;
    }
    return s.substring(start, end);
  }

  static boolean isPythonSpace(char c) {
    return switch (c) {
      case '\t',
          '\n',
          0x0B,
          0x0C,
          '\r',
          0x1C,
          0x1D,
          0x1E,
          0x1F,
          ' ',
          0x85,
          0xA0,
          0x1680,
          0x2028,
          0x2029,
          0x202F,
          0x205F,
          0x3000 ->
          true;
      default -> c >= 0x2000 && c <= 0x200A;
    };
  }
}
