package dev.sift.curation.webdataset;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Names of the members Sift writes into WebDataset shards: a row's id made into a sample key, and
 * an image format made into a member extension.
 *
 * <p>Key rule: letters and digits (any script), {@code -} and {@code _} are kept; every other
 * character ({@code .}, {@code /}, {@code :}, {@code %}, spaces, controls, …) becomes {@code %XX}
 * per UTF-8 byte, upper-case hex, as in URL percent-encoding. The key therefore has no dot (a dot
 * would split it under WebDataset's grouping rule) and no folder, and two ids never share a key
 * ({@code %} itself is encoded). {@code sha256:ab.c/d} becomes {@code sha256%3Aab%2Ec%2Fd}.
 *
 * <p>Stateless; thread-safe.
 */
public final class ShardKeys {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private ShardKeys() {}

  /** The sample key of an id; an empty or null id has none. */
  public static String encode(String id) {
    if (id == null || id.isEmpty()) {
      throw new IllegalArgumentException("a sample needs a non-empty id for its key");
    }
    StringBuilder key = new StringBuilder(id.length() + 8);
    int i = 0;
    while (i < id.length()) {
      int cp = id.codePointAt(i);
      int n = Character.charCount(cp);
      if (cp == '-' || cp == '_' || Character.isLetterOrDigit(cp)) {
        key.appendCodePoint(cp);
      } else {
        for (byte b : id.substring(i, i + n).getBytes(StandardCharsets.UTF_8)) {
          key.append('%').append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
        }
      }
      i += n;
    }
    return key.toString();
  }

  /**
   * The extension of an image member: the decode stage's format name lower-cased, {@code jpeg} as
   * {@code jpg}, {@code tiff} as {@code tif}; without a format (decode did not run), the format
   * found from the first bytes (JPEG, PNG, GIF, WebP, BMP); {@code bin} when neither is known or
   * the name is not plain {@code [a-z0-9]+}.
   */
  public static String imageExtension(String format, byte[] bytes) {
    String f =
        format == null
            ? dev.sift.curation.image.ImageMagic.format(bytes)
            : format.toLowerCase(Locale.ROOT);
    if (f == null || f.isEmpty() || !f.matches("[a-z0-9]+")) {
      return "bin";
    }
    return switch (f) {
      case "jpeg" -> "jpg";
      case "tiff" -> "tif";
      default -> f;
    };
  }
}
