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
