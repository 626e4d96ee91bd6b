package dev.sift.curation.text;

import dev.sift.curation.Reject;
import java.io.Serializable;

/**
 * The cheap text filters of the {@code text} stage, applied to a caption that has already been
 * normalised by {@link CaptionNormalizer}. Lengths are counted in Unicode code points, words as
 * runs of non-space characters (so a Chinese or Japanese caption without spaces is one word).
 *
 * <p>Immutable and thread-safe; serialisable to executors.
 */
public final class CaptionFilter implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int minChars;
  private final int maxChars;
  private final int minWords;
  private final int maxWords;

  /**
   * @param minChars fewest code points a caption may have (at least 1)
   * @param maxChars most code points a caption may have
   * @param minWords fewest words
   * @param maxWords most words
   */
  public CaptionFilter(int minChars, int maxChars, int minWords, int maxWords) {
    this.minChars = minChars;
    this.maxChars = maxChars;
    this.minWords = minWords;
    this.maxWords = maxWords;
  }

  /** The first filter that rejects {@code caption}, or {@code null} when it passes. */
  public Reject check(String caption) {
    if (caption == null) {
      return Reject.NO_CAPTION;
    }
    if (caption.isEmpty()) {
      return Reject.EMPTY_CAPTION;
    }
    int chars = caption.codePointCount(0, caption.length());
    if (chars < minChars) {
      return Reject.TOO_SHORT;
    }
    if (chars > maxChars) {
      return Reject.TOO_LONG;
    }
    int words = countWords(caption);
    if (words < minWords) {
      return Reject.TOO_FEW_WORDS;
    }
    if (words > maxWords) {
      return Reject.TOO_MANY_WORDS;
    }
    return null;
  }

  /** Words in a normalised caption: its single spaces plus one. */
  static int countWords(String normalized) {
    if (normalized.isEmpty()) {
      return 0;
    }
    int words = 1;
    for (int i = 0; i < normalized.length(); i++) {
      if (normalized.charAt(i) == ' ') {
        words++;
      }
    }
    return words;
  }
}
