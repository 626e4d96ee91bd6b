package dev.sift.curation.image;

import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;
import dev.sift.curation.Reject;
import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.stream.ImageInputStream;

/**
 * The probe half of the {@code decode} stage: finds an image's format and dimensions, checks them
 * against the configured limits, and, in {@link Verify#FULL} mode, decodes the pixels once so that
 * truncated or corrupt files are rejected here rather than deep inside scoring.
 *
 * <p>PNGs are judged by {@link PngDecoder}'s rules (Pillow's), as the score stage will decode them.
 * Other formats use ImageIO with the TwelveMonkeys JPEG and WebP plugins, registered explicitly
 * because under {@code spark-submit} the application jar is not on the class path ImageIO scans.
 * Immutable and thread-safe (every call opens its own reader); serialisable to executors.
 */
public final class ImageProbe implements Serializable {
  private static final long serialVersionUID = 1L;

  /** How much of the image the probe reads. */
  public enum Verify {
    /** Header only: format and size. Fast, but a truncated file passes. */
    HEADER,
    /** Header, then a full (subsampled) decode in which a decoder warning is an error. */
    FULL
  }

  /**
   * What the probe found. {@code reject} is null for a usable image; {@code detail} carries the
   * decoder's message for {@link Reject#DECODE_ERROR}, or the measured figure for a limit.
   */
  public record Result(String format, Integer width, Integer height, Reject reject, String detail)
      implements Serializable {}

  /** Largest decoded size the full check materialises, in pixels; larger images are subsampled. */
  private static final long VERIFY_TARGET_PIXELS = 1L << 20;

  private final Verify verify;
  private final int minSize;
  private final double maxAspect;
  private final long maxPixels;

  /**
   * @param verify header-only or full decode
   * @param minSize smallest allowed shorter side, in pixels
   * @param maxAspect largest allowed ratio of longer to shorter side
   * @param maxPixels largest allowed width × height (decompression-bomb guard)
   */
  public ImageProbe(Verify verify, int minSize, double maxAspect, long maxPixels) {
    this.verify = verify;
    this.minSize = minSize;
    this.maxAspect = maxAspect;
    this.maxPixels = maxPixels;
  }

  static {
    registerPlugins();
  }

  /** Registers the TwelveMonkeys readers with ImageIO's default registry (idempotent). */
  public static void registerPlugins() {
    IIORegistry registry = IIORegistry.getDefaultInstance();
    registry.registerServiceProvider(
        new com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi());
    registry.registerServiceProvider(
        new com.twelvemonkeys.imageio.plugins.webp.WebPImageReaderSpi());
  }

  /** Probes {@code bytes}; never throws for bad input, which becomes a rejecting result. */
  public Result probe(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return new Result(null, null, null, Reject.NO_IMAGE, null);
    }
    if (ImageMagic.isPng(bytes)) {
      return probePng(bytes);
    }
    // Straight from the array: ImageIO.createImageInputStream would copy every image to a
    // temporary file first (its default file cache).
    try (ImageInputStream in = new ByteArrayImageInputStream(bytes)) {
      Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
      if (!readers.hasNext()) {
        return new Result(
            null,
            null,
            null,
            Reject.DECODE_ERROR,
            "unrecognised image format" + ImageErrors.magic(bytes));
      }
      ImageReader reader = readers.next();
      try {
        reader.setInput(in, true, true);
        String format = reader.getFormatName().toLowerCase(Locale.ROOT);
        int width = reader.getWidth(0);
        int height = reader.getHeight(0);
        Reject limit = checkLimits(width, height);
        if (limit == Reject.TOO_LARGE) {
          return new Result(format, width, height, limit, (long) width * height + " pixels");
        }
        if (verify == Verify.FULL) {
          String error = decodeFully(reader, width, height);
          if (error != null) {
            return new Result(format, width, height, Reject.DECODE_ERROR, error);
          }
        }
        return new Result(
            format, width, height, limit, limit == null ? null : width + "x" + height);
      } finally {
        reader.dispose();
      }
    } catch (IOException | RuntimeException e) {
      // Hostile bytes make some plugins throw unchecked exceptions; each is this row's problem.
      return new Result(null, null, null, Reject.DECODE_ERROR, ImageErrors.describe(e));
    }
  }

  /**
   * A PNG is judged as the decoder will judge it ({@link PngDecoder}, Pillow's rules), not by
   * ImageIO's: the header is the IHDR chunk (its CRC checked, as Pillow checks every chunk before
   * the image data), and the full check is the decode itself.
   */
  private Result probePng(byte[] bytes) {
    // The header walk inflates nothing; in full mode the decode goes on from the same stream.
    try (PngStream png = new PngStream(bytes)) {
      long wide = png.width();
      long high = png.height();
      if (wide <= 0 || high <= 0 || wide > Integer.MAX_VALUE || high > Integer.MAX_VALUE) {
        return new Result(
            "png", null, null, Reject.DECODE_ERROR, "PNG: image size " + wide + "x" + high);
      }
      int width = (int) wide;
      int height = (int) high;
      Reject limit = checkLimits(width, height);
      if (limit == Reject.TOO_LARGE) {
        return new Result("png", width, height, limit, wide * high + " pixels");
      }
      if (verify == Verify.FULL) {
        try {
          PngDecoder.decode(png, maxPixels);
        } catch (ImageDecodeException e) {
          return new Result("png", width, height, Reject.DECODE_ERROR, e.getMessage());
        }
      }
      return new Result("png", width, height, limit, limit == null ? null : width + "x" + height);
    } catch (ImageDecodeException e) {
      return new Result("png", null, null, Reject.DECODE_ERROR, e.getMessage());
    } catch (RuntimeException e) {
      return new Result("png", null, null, Reject.DECODE_ERROR, ImageErrors.describe(e));
    }
  }

  /** The size and shape check alone, for images whose dimensions are already known. */
  public Reject checkLimits(int width, int height) {
    if (width <= 0 || height <= 0) {
      return Reject.TOO_SMALL;
    }
    if ((long) width * height > maxPixels) {
      return Reject.TOO_LARGE;
    }
    if (Math.min(width, height) < minSize) {
      return Reject.TOO_SMALL;
    }
    if ((double) Math.max(width, height) / Math.min(width, height) > maxAspect) {
      return Reject.ASPECT;
    }
    return null;
  }

  private static String decodeFully(ImageReader reader, int width, int height) {
    List<String> warnings = new ArrayList<>();
    reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
    ImageReadParam param = reader.getDefaultReadParam();
    int step = subsampling((long) width * height);
    if (step > 1) {
      param.setSourceSubsampling(step, step, 0, 0);
    }
    try {
      reader.read(0, param);
    } catch (IOException | RuntimeException e) {
      return ImageErrors.describe(e);
    }
    for (String warning : warnings) {
      if (isFatal(warning)) {
        return "decoder warning: " + warning;
      }
    }
    return null;
  }

  /**
   * Decoders warn rather than fail on missing data and fill the gap with grey; Sift treats that as
   * an unreadable image, as PIL does. Other warnings (no ICC profile on a CMYK JPEG, a few stray
   * bytes between markers) describe images that decode fine and are ignored.
   */
  static boolean isFatal(String warning) {
    String w = warning == null ? "" : warning.toLowerCase(Locale.ROOT);
    return w.contains("truncat") || w.contains("premature end") || w.contains("missing eoi");
  }

  static int subsampling(long pixels) {
    int step = 1;
    while (pixels / ((long) step * step) > VERIFY_TARGET_PIXELS) {
      step++;
    }
    return step;
  }
}
