package dev.sift.curation.image;

/**
 * A decoded image as 8-bit RGB, interleaved row by row ({@code R,G,B} for pixel {@code (x, y)} at
 * {@code 3 * (y * width + x)}), the in-memory equivalent of a PIL image in mode {@code "RGB"}.
 *
 * <p>The record does not copy {@code rgb}: the decoder hands over a fresh array and nobody else
 * holds it, so treat it as read-only. Safe to share between threads once built; not meant to be
 * serialised (decode on the executor that uses it).
 */
public record RgbImage(int width, int height, byte[] rgb) {
  /** Checks that the buffer holds exactly {@code width * height} RGB pixels. */
  public RgbImage {
    if (width <= 0 || height <= 0) {
      throw new IllegalArgumentException("image size must be positive: " + width + "x" + height);
    }
    if (rgb == null || rgb.length != 3L * width * height) {
      throw new IllegalArgumentException(
          "expected "
              + 3L * width * height
              + " RGB bytes for "
              + width
              + "x"
              + height
              + ", got "
              + (rgb == null ? "null" : rgb.length));
    }
  }

  /** Channel {@code c} (0 = red) of pixel {@code (x, y)}, as 0..255. */
  public int sample(int x, int y, int c) {
    return rgb[3 * (y * width + x) + c] & 0xff;
  }
}
