package dev.sift.curation.report;

import dev.sift.curation.image.ImageDecodeException;
import dev.sift.curation.image.ImageDecoder;
import dev.sift.curation.image.RgbImage;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Base64;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Small JPEG thumbnails for the report's gallery, as {@code data:image/jpeg;base64,…} URIs so the
 * page needs no other file. Images are decoded with Sift's own {@link ImageDecoder} (what the model
 * saw) and scaled down by halving steps, which avoids the aliasing of one big bilinear step.
 * Thread-safe.
 */
public final class Thumbnails {
  private static final ImageDecoder DECODER = new ImageDecoder();

  private Thumbnails() {}

  /**
   * @param bytes encoded image bytes, or null
   * @param maxSide longest side of the thumbnail in pixels; smaller images are not enlarged
   * @return a data URI, or null when there are no bytes or they do not decode
   */
  public static String dataUri(byte[] bytes, int maxSide) {
    if (bytes == null || bytes.length == 0) {
      return null;
    }
    RgbImage rgb;
    try {
      rgb = DECODER.decode(bytes);
    } catch (ImageDecodeException e) {
      return null;
    }
    BufferedImage img = toBuffered(rgb);
    int w = img.getWidth();
    int h = img.getHeight();
    double scale = Math.min(1.0, (double) maxSide / Math.max(w, h));
    int tw = Math.max(1, (int) Math.round(w * scale));
    int th = Math.max(1, (int) Math.round(h * scale));
    while (img.getWidth() / 2 >= tw && img.getHeight() / 2 >= th) {
      img = scaled(img, img.getWidth() / 2, img.getHeight() / 2);
    }
    if (img.getWidth() != tw || img.getHeight() != th) {
      img = scaled(img, tw, th);
    }
    return "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(jpeg(img, 0.85f));
  }

  private static BufferedImage toBuffered(RgbImage rgb) {
    BufferedImage img = new BufferedImage(rgb.width(), rgb.height(), BufferedImage.TYPE_INT_RGB);
    byte[] p = rgb.rgb();
    int[] row = new int[rgb.width()];
    for (int y = 0; y < rgb.height(); y++) {
      for (int x = 0; x < rgb.width(); x++) {
        int i = (y * rgb.width() + x) * 3;
        row[x] = (p[i] & 0xff) << 16 | (p[i + 1] & 0xff) << 8 | (p[i + 2] & 0xff);
      }
      img.setRGB(0, y, rgb.width(), 1, row, 0, rgb.width());
    }
    return img;
  }

  private static BufferedImage scaled(BufferedImage src, int w, int h) {
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    try {
      g.setRenderingHint(
          RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
      g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
      g.drawImage(src, 0, 0, w, h, null);
    } finally {
      g.dispose();
    }
    return out;
  }

  private static byte[] jpeg(BufferedImage img, float quality) {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
      writer.setOutput(out);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality);
      writer.write(null, new IIOImage(img, null, null), param);
    } catch (IOException e) {
      throw new IllegalStateException("JPEG encoding in memory failed", e);
    } finally {
      writer.dispose();
    }
    return bytes.toByteArray();
  }
}
