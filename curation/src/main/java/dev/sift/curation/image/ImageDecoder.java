package dev.sift.curation.image;

import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes image bytes to 8-bit RGB the way Python's {@code Image.open(f).convert("RGB")} does in
 * Pillow, which is what the reference CLIP preprocessing sees. That means: no EXIF rotation; the
 * first frame of an animated GIF, placed on the GIF's logical screen; palettes looked up (the
 * transparent index keeps its palette colour); alpha dropped without compositing; grey replicated
 * to three channels; embedded ICC profiles ignored; and CMYK JPEGs converted with Pillow's own
 * arithmetic rather than a colour-managed transform.
 *
 * <p>JPEGs are decoded by libjpeg-turbo when the system has it ({@link TurboJpeg}): Pillow's own
 * library with Pillow's settings (accurate integer IDCT, fancy upsampling), so pixels are Pillow's,
 * at native speed; CMYK and YCCK JPEGs come out as libjpeg's CMYK and are converted with Pillow's
 * arithmetic. JPEGs TurboJPEG refuses or warns about, and machines without it, take ImageIO: raw
 * samples ({@link ImageReader#readRaster}) converted here with libjpeg's fixed-point YCbCr tables,
 * so the result does not depend on whether an ImageIO plugin would apply an ICC profile; both paths
 * give the golden pixels bit for bit. Still WebP images are decoded by libwebp, as Pillow does,
 * when the system has it ({@link LibWebp}). PNGs (anything with the 8-byte PNG signature) are
 * decoded by Sift's own {@link PngDecoder}, which follows Pillow's PNG plugin in its pixels and in
 * what it accepts or refuses, and never fall back to ImageIO. Other formats go through ImageIO
 * (TwelveMonkeys for WebP) and are read from the raster, never through {@code getRGB}, which would
 * colour-convert grey and ICC images.
 *
 * <p>Immutable and thread-safe: every call opens its own reader. Serialisable to executors.
 */
public final class ImageDecoder implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Default decompression-bomb guard: 100 megapixels, well above {@code 4000 x 3000}. */
  public static final long DEFAULT_MAX_PIXELS = 100_000_000L;

  static {
    ImageProbe.registerPlugins();
  }

  private final long maxPixels;
  private final int fastJpegShortSide;

  /** A decoder that refuses images over {@link #DEFAULT_MAX_PIXELS}. */
  public ImageDecoder() {
    this(DEFAULT_MAX_PIXELS);
  }

  /**
   * @param maxPixels largest width × height decoded; larger images fail before any pixel is read
   */
  public ImageDecoder(long maxPixels) {
    this(maxPixels, 0);
  }

  /**
   * A decoder with the fast JPEG mode: a JPEG at least twice {@code fastJpegShortSide} on its
   * shorter side is decoded at 1/2, 1/4 or 1/8 scale in the DCT domain (libjpeg-turbo), keeping the
   * shorter side at least {@code fastJpegShortSide}; the preprocessor's resize does the rest.
   * Pixels then differ a little from the exact decode (the scaled IDCT is a different filter);
   * other formats and machines without libturbojpeg decode exactly.
   *
   * @param fastJpegShortSide the model's input size (224 for CLIP ViT-B); 0 decodes exactly
   */
  public ImageDecoder(long maxPixels, int fastJpegShortSide) {
    if (fastJpegShortSide < 0) {
      throw new IllegalArgumentException("fastJpegShortSide must be >= 0: " + fastJpegShortSide);
    }
    this.fastJpegShortSide = fastJpegShortSide;
    if (maxPixels <= 0) {
      throw new IllegalArgumentException("maxPixels must be positive, got " + maxPixels);
    }
    this.maxPixels = maxPixels;
  }

  /**
   * Decodes {@code bytes}.
   *
   * @throws ImageDecodeException for empty, unrecognised, truncated or corrupt bytes, with the
   *     decoder's reason; hostile bytes that make a plugin throw an unchecked exception end here
   *     too
   */
  public RgbImage decode(byte[] bytes) throws ImageDecodeException {
    if (bytes == null || bytes.length == 0) {
      throw new ImageDecodeException("no image bytes");
    }
    if (ImageMagic.isPng(bytes)) {
      // Pillow's decisions as well as its pixels: a PNG this decoder refuses, Pillow refuses too.
      return PngDecoder.decode(bytes, maxPixels);
    }
    RgbImage natively = decodeNatively(bytes);
    if (natively != null) {
      return natively;
    }
    try (ImageInputStream in = new ByteArrayImageInputStream(bytes)) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        throw new ImageDecodeException("unrecognised image format" + ImageErrors.magic(bytes));
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        String format = reader.getFormatName().toLowerCase(Locale.ROOT);
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        if (width <= 0 || height <= 0 || (long) width * height > maxPixels) {
          throw new ImageDecodeException(
              "image size " + width + "x" + height + " outside 1.." + maxPixels + " pixels");
        }
        RgbImage image;
        if (format.equals("jpeg") || format.equals("jpg")) {
          image = JpegColor.toRgb(reader.readRaster(0, null), JpegColor.Header.parse(bytes));
        } else if (format.equals("gif")) {
          image = onGifScreen(reader.read(0), bytes);
        } else {
          image = toRgb(reader.read(0));
        }
        for (String warning : warnings) {
          if (ImageProbe.isFatal(warning)) {
            throw new ImageDecodeException("decoder warning: " + warning);
          }
        }
        return image;
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      throw new ImageDecodeException(ImageErrors.describe(e), e);
    }
  }

  /**
   * JPEG through libjpeg-turbo (exact mode at full scale, fast mode scaled) and still WebP through
   * libwebp, when the system has them; null when neither applies or the library refuses or warns
   * about the bytes, so that ImageIO has the last word, and its message.
   */
  private RgbImage decodeNatively(byte[] bytes) {
    try {
      if (isJpeg(bytes) && TurboJpeg.available()) {
        int minShortSide = fastJpegShortSide > 0 ? fastJpegShortSide : Integer.MAX_VALUE;
        return TurboJpeg.decodeScaled(bytes, minShortSide, maxPixels);
      }
      if (ImageMagic.isWebp(bytes) && LibWebp.available()) {
        return LibWebp.decode(bytes, maxPixels);
      }
    } catch (ImageDecodeException e) {
      // Fall through to ImageIO.
    }
    return null;
  }

  /**
   * Converts a decoded ImageIO image to RGB from its raw samples: palette lookup for indexed
   * images, band 0 replicated for grey, bands 0..2 for RGB; alpha is ignored.
   */
  static RgbImage toRgb(BufferedImage image) {
    int w = image.getWidth();
    int h = image.getHeight();
    Raster raster = image.getRaster();
    ColorModel cm = image.getColorModel();
    byte[] out = new byte[3 * w * h];
    int[] row = new int[w * raster.getNumBands()];
    if (cm instanceof IndexColorModel icm) {
      int size = icm.getMapSize();
      byte[] r = new byte[size];
      byte[] g = new byte[size];
      byte[] b = new byte[size];
      icm.getReds(r);
      icm.getGreens(g);
      icm.getBlues(b);
      int[] idx = new int[w];
      for (int y = 0; y < h; y++) {
        raster.getSamples(0, y, w, 1, 0, idx);
        for (int x = 0, o = 3 * y * w; x < w; x++, o += 3) {
          // An index past a short palette reads black here. (For PNG, which no longer comes
          // here, Pillow 9.4 reads its grey ramp instead: see PngDecoder.)
          int i = idx[x];
          if (i < size) {
            out[o] = r[i];
            out[o + 1] = g[i];
            out[o + 2] = b[i];
          }
        }
      }
      return new RgbImage(w, h, out);
    }
    int csType = cm.getColorSpace().getType();
    int colours = cm.getNumColorComponents();
    boolean wide = raster.getTransferType() == DataBuffer.TYPE_USHORT;
    if (csType == ColorSpace.TYPE_GRAY && colours == 1) {
      // What Pillow does with 16-bit PNGs (which PngDecoder now decodes): grey (its mode I) is
      // clipped to 255 on the way to RGB, grey+alpha (LA;16B) and RGB keep the high byte.
      boolean clip16 = wide && !cm.hasAlpha();
      int bands = raster.getNumBands();
      for (int y = 0; y < h; y++) {
        raster.getPixels(0, y, w, 1, row);
        for (int x = 0, o = 3 * y * w; x < w; x++, o += 3) {
          int v = row[x * bands];
          v = wide ? (clip16 ? Math.min(v, 255) : v >>> 8) : v;
          out[o] = out[o + 1] = out[o + 2] = (byte) v;
        }
      }
      return new RgbImage(w, h, out);
    }
    if (csType == ColorSpace.TYPE_RGB && colours == 3) {
      int bands = raster.getNumBands();
      int shift = wide ? 8 : 0;
      for (int y = 0; y < h; y++) {
        raster.getPixels(0, y, w, 1, row);
        for (int x = 0, o = 3 * y * w, i = 0; x < w; x++, o += 3, i += bands) {
          out[o] = (byte) (row[i] >>> shift);
          out[o + 1] = (byte) (row[i + 1] >>> shift);
          out[o + 2] = (byte) (row[i + 2] >>> shift);
        }
      }
      return new RgbImage(w, h, out);
    }
    // Anything else (no fixture has one) goes through Java's own colour conversion to sRGB.
    int[] argb = image.getRGB(0, 0, w, h, null, 0, w);
    for (int i = 0, o = 0; i < argb.length; i++, o += 3) {
      out[o] = (byte) (argb[i] >>> 16);
      out[o + 1] = (byte) (argb[i] >>> 8);
      out[o + 2] = (byte) argb[i];
    }
    return new RgbImage(w, h, out);
  }

  /**
   * Pillow's GIF image is the logical screen, not the first frame's rectangle: the frame is drawn
   * at its offset over the transparent index (or index 0) of the frame's palette.
   */
  private static RgbImage onGifScreen(BufferedImage frame, byte[] bytes) throws IOException {
    RgbImage rgb = toRgb(frame);
    GifFrame geometry = GifFrame.parse(bytes);
    if (geometry == null
        || (geometry.left == 0
            && geometry.top == 0
            && geometry.screenWidth == rgb.width()
            && geometry.screenHeight == rgb.height())) {
      return rgb;
    }
    int sw = geometry.screenWidth;
    int sh = geometry.screenHeight;
    byte[] out = new byte[3 * sw * sh];
    if (frame.getColorModel() instanceof IndexColorModel icm) {
      int fill = geometry.transparentIndex >= 0 ? geometry.transparentIndex : 0;
      if (fill < icm.getMapSize()) {
        byte r = (byte) icm.getRed(fill);
        byte g = (byte) icm.getGreen(fill);
        byte b = (byte) icm.getBlue(fill);
        for (int o = 0; o < out.length; o += 3) {
          out[o] = r;
          out[o + 1] = g;
          out[o + 2] = b;
        }
      }
    }
    for (int y = 0; y < rgb.height(); y++) {
      int sy = y + geometry.top;
      if (sy >= sh) {
        break;
      }
      int n = Math.min(rgb.width(), sw - geometry.left);
      if (n > 0) {
        System.arraycopy(rgb.rgb(), 3 * y * rgb.width(), out, 3 * (sy * sw + geometry.left), 3 * n);
      }
    }
    return new RgbImage(sw, sh, out);
  }

  /** The first frame's place on a GIF's logical screen, read from the bytes. */
  private record GifFrame(
      int screenWidth, int screenHeight, int left, int top, int transparentIndex) {
    static GifFrame parse(byte[] b) {
      if (b.length < 13) {
        return null;
      }
      int sw = u16(b, 6);
      int sh = u16(b, 8);
      int p = 13;
      if ((b[10] & 0x80) != 0) {
        p += 3 * (1 << ((b[10] & 7) + 1));
      }
      int transparent = -1;
      while (p < b.length) {
        int block = b[p] & 0xff;
        if (block == 0x21 && p + 1 < b.length) {
          int label = b[p + 1] & 0xff;
          int q = p + 2;
          if (label == 0xf9 && q + 4 < b.length && (b[q + 1] & 1) != 0) {
            transparent = b[q + 4] & 0xff;
          }
          while (q < b.length && (b[q] & 0xff) != 0) {
            q += (b[q] & 0xff) + 1;
          }
          p = q + 1;
        } else if (block == 0x2c && p + 9 < b.length) {
          return new GifFrame(sw, sh, u16(b, p + 1), u16(b, p + 3), transparent);
        } else {
          return null;
        }
      }
      return null;
    }

    private static int u16(byte[] b, int at) {
      return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }
  }

  /** Whether the fast JPEG mode works on this machine, or why not (null when it does). */
  public static String fastModeUnavailable() {
    return TurboJpeg.missing();
  }

  private static boolean isJpeg(byte[] b) {
    return b.length > 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF;
  }
}
