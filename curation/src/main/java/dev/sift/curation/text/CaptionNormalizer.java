package dev.sift.curation.text;

import java.io.Serializable;
import java.text.Normalizer;
import java.util.regex.Pattern;
import org.apache.commons.text.StringEscapeUtils;

/**
 * Turns a raw web alt-text into the caption Sift matches and scores: HTML entities decoded (also
 * when escaped twice, as scraped HTML often is), HTML tags removed, Unicode NFC, control and
 * invisible format characters removed, every run of Unicode whitespace collapsed to one space, and
 * the ends trimmed.
 *
 * <p>Immutable and thread-safe; serialisable so that Spark can ship it to executors.
 */
public final class CaptionNormalizer implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Entity decoding passes: "&amp;amp;" needs two; more than three is someone's literal text. */
  private static final int MAX_ENTITY_PASSES = 3;

  /** A tag starts with a letter, '/' or '!' right after '<', so "a < b" survives. */
  private static final Pattern TAG = Pattern.compile("<[A-Za-z/!][^<>]{0,500}>");

  private final boolean stripTags;

  /**
   * @param stripTags whether to remove HTML tags such as {@code <b>} and {@code <br/>}
   */
  public CaptionNormalizer(boolean stripTags) {
    this.stripTags = stripTags;
  }

  /** The normalised caption, or {@code null} when {@code raw} is null. Never throws. */
  public String normalize(String raw) {
    if (raw == null) {
      return null;
    }
    String s = decodeEntities(raw);
    if (stripTags && s.indexOf('<') >= 0) {
      s = TAG.matcher(s).replaceAll(" ");
    }
    s = Normalizer.normalize(s, Normalizer.Form.NFC);
    return cleanCharacters(s);
  }

  private static String decodeEntities(String s) {
    for (int pass = 0; pass < MAX_ENTITY_PASSES && s.indexOf('&') >= 0; pass++) {
      // &apos; is XML and HTML5 but not in the HTML 4 table.
      String decoded = StringEscapeUtils.unescapeHtml4(s.replace("&apos;", "'"));
      if (decoded.equals(s)) {
        break;
      }
      s = decoded;
    }
    return s;
  }

  /** Drops control, invisible and unpaired-surrogate characters; collapses whitespace. */
  private static String cleanCharacters(String s) {
    StringBuilder out = new StringBuilder(s.length());
    boolean pendingSpace = false;
    int i = 0;
    while (i < s.length()) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      if (isSpace(cp)) {
        pendingSpace = out.length() > 0;
        continue;
      }
      if (isDropped(cp)) {
        continue;
      }
      if (pendingSpace) {
        out.append(' ');
        pendingSpace = false;
      }
      out.appendCodePoint(cp);
    }
    return out.toString();
  }

  private static boolean isSpace(int cp) {
    return Character.isWhitespace(cp) || Character.isSpaceChar(cp) || cp == 0x85;
  }

  private static boolean isDropped(int cp) {
    int type = Character.getType(cp);
    if (type == Character.CONTROL || type == Character.SURROGATE) {
      return true; // unpaired surrogates come from mis-decoded bytes
    }
    if (cp == 0xFFFE || cp == 0xFFFF) {
      return true; // noncharacters: a byte-order mark read the wrong way round
    }
    if (type == Character.FORMAT) {
      // Zero-width joiner and non-joiner carry meaning (emoji sequences, Persian, Indic
      // scripts); the other format characters are invisible noise in alt-text.
      return cp != 0x200C && cp != 0x200D;
    }
    return false;
  }
}
