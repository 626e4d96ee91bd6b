package dev.sift.curation.image;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;

/**
 * WebP decoding with libwebp, the library Pillow decodes WebP with: the same VP8 reconstruction and
 * the same "fancy" chroma upsampling, so pixels match the reference, and native speed
 * (TwelveMonkeys' pure-Java decoder differs at chroma edges and is several times slower). The
 * library is the system's ({@code libwebp.so.7}, Debian's {@code libwebp7}); without it {@link
 * #available()} is false and callers use ImageIO.
 *
 * <p>Stateless and thread-safe: libwebp's simple decoding API keeps no state between calls.
 */
final class LibWebp {
  /** The libwebp simple-API functions Sift calls ({@code size_t} as Java long on LP64). */
  interface Lib extends Library {
    int WebPGetInfo(byte[] data, long size, IntByReference width, IntByReference height);

    Pointer WebPDecodeRGB(byte[] data, long size, IntByReference width, IntByReference height);

    void WebPFree(Pointer pointer);
  }

  private static final Lib LIB = load();

  private LibWebp() {}

  private static Lib load() {
    try {
      return Native.load("webp", Lib.class);
    } catch (UnsatisfiedLinkError | RuntimeException e) {
      return null;
    }
  }

  static boolean available() {
    return LIB != null;
  }

  /**
   * Decodes a still WebP image to RGB (alpha dropped, as Pillow's {@code convert("RGB")}).
   *
   * @return null when libwebp declines the file (animated WebP): ImageIO decides then
   * @throws ImageDecodeException for a header libwebp cannot read, or a size above {@code
   *     maxPixels} (checked before any pixel is decoded)
   */
  static RgbImage decode(byte[] webp, long maxPixels) throws ImageDecodeException {
    IntByReference w = new IntByReference();
    IntByReference h = new IntByReference();
    if (LIB.WebPGetInfo(webp, webp.length, w, h) == 0) {
      throw new ImageDecodeException("WebP header: not a WebP bitstream libwebp can read");
    }
    int width = w.getValue();
    int height = h.getValue();
    if (width <= 0 || height <= 0 || (long) width * height > maxPixels) {
      throw new ImageDecodeException(
          "image size " + width + "x" + height + " outside 1.." + maxPixels + " pixels");
    }
    Pointer rgb = LIB.WebPDecodeRGB(webp, webp.length, w, h);
    if (rgb == null) {
      return null;
    }
    try {
      return new RgbImage(
          w.getValue(), h.getValue(), rgb.getByteArray(0, 3 * w.getValue() * h.getValue()));
    } finally {
      LIB.WebPFree(rgb);
    }
  }
}
