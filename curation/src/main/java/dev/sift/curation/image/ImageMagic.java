package dev.sift.curation.image;

/**
 * An image's format from its first bytes (its magic number), for code that needs the format without
 * decoding: the native PNG and WebP paths and WebDataset member extensions. Stateless and
 * thread-safe.
 */
public final class ImageMagic {
  private ImageMagic() {}

  /** {@code jpg}, {@code png}, {@code gif}, {@code webp} or {@code bmp}; null when unknown. */
  public static String format(byte[] b) {
    if (b == null) {
      return null;
    }
    if (b.length >= 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF) {
      return "jpg";
    }
    if (b.length >= 8 && (b[0] & 0xFF) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') {
      return "png";
    }
    if (b.length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8') {
      return "gif";
    }
    if (isWebp(b)) {
      return "webp";
    }
    if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') {
      return "bmp";
    }
    return null;
  }

  /** Whether {@code b} starts with the whole 8-byte PNG signature (Pillow's and ImageIO's test). */
  public static boolean isPng(byte[] b) {
    return b.length >= 8
        && (b[0] & 0xFF) == 0x89
        && b[1] == 'P'
        && b[2] == 'N'
        && b[3] == 'G'
        && b[4] == '\r'
        && b[5] == '\n'
        && b[6] == 0x1A
        && b[7] == '\n';
  }

  /** Whether {@code b} starts like a WebP file ({@code RIFF....WEBP}). */
  public static boolean isWebp(byte[] b) {
    return b.length >= 12
        && b[0] == 'R'
        && b[1] == 'I'
        && b[2] == 'F'
        && b[3] == 'F'
        && b[8] == 'W'
        && b[9] == 'E'
        && b[10] == 'B'
        && b[11] == 'P';
  }
}
