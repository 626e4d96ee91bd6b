package dev.sift.jobs.dedup;

import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Duplicates planted among the real photographs of data/photos: for each of the first photos, a
 * copy made another way (the same bytes, another JPEG quality, resized, cropped a little, PNG),
 * with its own id and caption. Each {@link Row} names the photo it copies, so a test knows every
 * true pair, and that the seven originals are pairwise different photographs.
 */
final class PlantedDuplicates {
  /**
   * One input row: its id, caption, image bytes, and the id of the original it copies (or null).
   */
  record Row(String id, String caption, byte[] image, String copyOf, String how) {}

  private PlantedDuplicates() {}

  static List<Row> rows(Path photos) throws IOException {
    List<String> lines = Files.readAllLines(photos.resolve("captions.tsv"));
    List<Row> rows = new ArrayList<>();
    List<byte[]> originals = new ArrayList<>();
    for (int i = 1; i < lines.size(); i++) {
      String[] f = lines.get(i).split("\t");
      byte[] bytes = Files.readAllBytes(photos.resolve(f[0]));
      originals.add(bytes);
      rows.add(new Row("photo-" + i, f[3], bytes, null, "original"));
    }
    rows.add(new Row("copy-bytes", "the same file again", originals.get(0), "photo-1", "bytes"));
    rows.add(
        new Row(
            "copy-jpeg50",
            "re-encoded",
            jpeg(read(originals.get(1)), 0.5f),
            "photo-2",
            "jpeg quality 50"));
    rows.add(
        new Row(
            "copy-resized",
            "smaller",
            jpeg(resize(read(originals.get(2)), 0.6), 0.9f),
            "photo-3",
            "resized to 60%"));
    rows.add(
        new Row(
            "copy-cropped",
            "cropped",
            jpeg(crop(read(originals.get(3)), 0.01), 0.9f),
            "photo-4",
            "1% cropped from each side"));
    rows.add(new Row("copy-png", "as png", png(read(originals.get(4))), "photo-5", "png"));
    byte[] webp = webp(read(originals.get(5)), 80f);
    if (webp != null) {
      rows.add(new Row("copy-webp", "as webp", webp, "photo-6", "webp quality 80"));
    }
    return rows;
  }

  static BufferedImage read(byte[] bytes) throws IOException {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
    BufferedImage rgb =
        new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
    rgb.getGraphics().drawImage(image, 0, 0, null);
    return rgb;
  }

  static byte[] jpeg(BufferedImage image, float quality) throws IOException {
    ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
      writer.setOutput(stream);
      ImageWriteParam param = writer.getDefaultWriteParam();
      param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      param.setCompressionQuality(quality);
      writer.write(null, new IIOImage(image, null, null), param);
    } finally {
      writer.dispose();
    }
    return out.toByteArray();
  }

  static byte[] png(BufferedImage image) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ImageIO.write(image, "png", out);
    return out.toByteArray();
  }

  /** libwebp's simple encoding API, the system library Sift decodes WebP with. */
  interface WebpEncoder extends com.sun.jna.Library {
    long WebPEncodeRGB(
        byte[] rgb,
        int width,
        int height,
        int stride,
        float quality,
        com.sun.jna.ptr.PointerByReference output);

    void WebPFree(com.sun.jna.Pointer pointer);
  }

  /** {@code image} as a lossy WebP by libwebp; null where the library is missing. */
  static byte[] webp(BufferedImage image, float quality) {
    WebpEncoder lib;
    try {
      lib = com.sun.jna.Native.load("webp", WebpEncoder.class);
    } catch (UnsatisfiedLinkError e) {
      return null;
    }
    int w = image.getWidth();
    int h = image.getHeight();
    byte[] rgb = new byte[3 * w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int p = image.getRGB(x, y);
        int o = 3 * (y * w + x);
        rgb[o] = (byte) (p >> 16);
        rgb[o + 1] = (byte) (p >> 8);
        rgb[o + 2] = (byte) p;
      }
    }
    com.sun.jna.ptr.PointerByReference out = new com.sun.jna.ptr.PointerByReference();
    long size = lib.WebPEncodeRGB(rgb, w, h, 3 * w, quality, out);
    if (size <= 0) {
      throw new IllegalStateException("libwebp could not encode a " + w + "x" + h + " image");
    }
    try {
      return out.getValue().getByteArray(0, (int) size);
    } finally {
      lib.WebPFree(out.getValue());
    }
  }

  static BufferedImage resize(BufferedImage image, double scale) {
    int w = (int) Math.round(image.getWidth() * scale);
    int h = (int) Math.round(image.getHeight() * scale);
    BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = out.createGraphics();
    g.setRenderingHint(
        RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
    g.drawImage(image, 0, 0, w, h, null);
    g.dispose();
    return out;
  }

  static BufferedImage crop(BufferedImage image, double fraction) {
    int dx = (int) Math.round(image.getWidth() * fraction);
    int dy = (int) Math.round(image.getHeight() * fraction);
    BufferedImage part =
        image.getSubimage(dx, dy, image.getWidth() - 2 * dx, image.getHeight() - 2 * dy);
    BufferedImage out =
        new BufferedImage(part.getWidth(), part.getHeight(), BufferedImage.TYPE_INT_RGB);
    out.getGraphics().drawImage(part, 0, 0, null);
    return out;
  }
}
