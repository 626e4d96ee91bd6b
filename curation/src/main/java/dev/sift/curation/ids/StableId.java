package dev.sift.curation.ids;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * Derives an id for a row that has none from its content: SHA-256 over the url, the raw caption and
 * the image bytes, each length-prefixed (so ("ab","c") and ("a","bc") differ, and null differs from
 * empty). The same content gives the same id in every run, on every partitioning and on every
 * machine; rows with identical content get identical ids and are then de-duplicated.
 *
 * <p>Stateless and thread-safe.
 */
public final class StableId {
  /** Prefix that tells derived ids from ids that came with the input. */
  public static final String PREFIX = "sha256:";

  private static final int ID_BYTES = 16;

  private StableId() {}

  /** The derived id of a row; any argument may be null. */
  public static String derive(String url, String caption, byte[] image) {
    MessageDigest sha = dev.sift.curation.Hashing.sha256();
    update(sha, url == null ? null : url.getBytes(StandardCharsets.UTF_8));
    update(sha, caption == null ? null : caption.getBytes(StandardCharsets.UTF_8));
    update(sha, image);
    byte[] digest = sha.digest();
    return PREFIX + HexFormat.of().formatHex(digest, 0, ID_BYTES);
  }

  private static void update(MessageDigest sha, byte[] field) {
    // -1 marks null, so a null field and an empty one give different ids.
    sha.update(ByteBuffer.allocate(Long.BYTES).putLong(field == null ? -1 : field.length).array());
    if (field != null) {
      sha.update(field);
    }
  }
}
