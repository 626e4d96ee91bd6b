package dev.sift.curation.image;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * CLIP image preprocessing as Hugging Face's {@code CLIPImageProcessor} does it: resize so the
 * shorter side is {@code shortest_edge} (the longer side is {@code int(edge * long / short)}) with
 * antialiased bicubic, centre crop, rescale by {@code rescale_factor}, normalise with {@code
 * image_mean} and {@code image_std}, channel-major float32 out ({@code [3, crop_height,
 * crop_width]}). The input is a decoded {@link RgbImage} (see {@link ImageDecoder}).
 *
 * <p>Two references are reproduced exactly, chosen by {@link Reference}: the fast processor ({@code
 * CLIPImageProcessorFast}, torchvision; the default of recent {@code transformers} and what Sift's
 * golden files were made with) and the slow, PIL-based one. They differ by at most one grey level
 * on a few pixels per image.
 *
 * <p>Immutable and thread-safe; serialisable to executors. Holds no native resources.
 */
public final class ClipPreprocessor implements Serializable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final long serialVersionUID = 1L;

  /** The file name Hugging Face gives the processor configuration. */
  public static final String CONFIG_FILE = "preprocessor_config.json";

  /** Which Python implementation the arithmetic reproduces. */
  public enum Reference {
    /**
     * {@code CLIPImageProcessorFast}: torchvision's antialiased bicubic on uint8 (int16 weights),
     * torchvision's centre crop (offset rounded half to even), rescale and normalise fused as
     * {@code (x - 255 * mean) / (255 * std)} in float32.
     */
    TORCHVISION,
    /**
     * {@code CLIPImageProcessor}: Pillow's {@code Image.resize(BICUBIC)} (22-bit weights), floor
     * centre crop, {@code float32(x * rescale)} then {@code (x - mean) / std} in float32.
     */
    PIL
  }

  private final int shortestEdge;
  private final int cropHeight;
  private final int cropWidth;
  private final boolean doRescale;
  private final double rescaleFactor;
  private final boolean doNormalize;
  private final double[] mean;
  private final double[] std;
  private final Reference reference;

  /**
   * @param shortestEdge length of the shorter side after resizing
   * @param cropHeight height of the centre crop, and of the output
   * @param cropWidth width of the centre crop, and of the output
   * @param doRescale whether to multiply by {@code rescaleFactor}
   * @param rescaleFactor usually {@code 1/255}
   * @param doNormalize whether to subtract {@code mean} and divide by {@code std}
   * @param mean per-channel mean, three values
   * @param std per-channel standard deviation, three positive values
   * @param reference the implementation to reproduce
   */
  public ClipPreprocessor(
      int shortestEdge,
      int cropHeight,
      int cropWidth,
      boolean doRescale,
      double rescaleFactor,
      boolean doNormalize,
      double[] mean,
      double[] std,
      Reference reference) {
    require(shortestEdge > 0, "size.shortest_edge", shortestEdge, "a positive integer");
    require(cropHeight > 0, "crop_size.height", cropHeight, "a positive integer");
    require(cropWidth > 0, "crop_size.width", cropWidth, "a positive integer");
    require(
        !doRescale || (rescaleFactor > 0 && Double.isFinite(rescaleFactor)),
        "rescale_factor",
        rescaleFactor,
        "a positive number");
    require(mean != null && mean.length == 3, "image_mean", Arrays.toString(mean), "3 numbers");
    require(std != null && std.length == 3, "image_std", Arrays.toString(std), "3 numbers");
    for (double s : std) {
      require(s > 0, "image_std", Arrays.toString(std), "3 positive numbers");
    }
    this.shortestEdge = shortestEdge;
    this.cropHeight = cropHeight;
    this.cropWidth = cropWidth;
    this.doRescale = doRescale;
    this.rescaleFactor = rescaleFactor;
    this.doNormalize = doNormalize;
    this.mean = mean.clone();
    this.std = std.clone();
    this.reference = reference == null ? Reference.TORCHVISION : reference;
  }

  /** OpenAI CLIP's values (ViT-B/32, ViT-L/14 at 224), with the fast processor's arithmetic. */
  public static ClipPreprocessor openAiClip224() {
    return new ClipPreprocessor(
        224,
        224,
        224,
        true,
        1 / 255.0,
        true,
        new double[] {0.48145466, 0.4578275, 0.40821073},
        new double[] {0.26862954, 0.26130258, 0.27577711},
        Reference.TORCHVISION);
  }

  /** Reads a {@code preprocessor_config.json} file; see {@link #fromJson}. */
  public static ClipPreprocessor fromConfig(Path file, Reference reference) throws IOException {
    String json = Files.readString(file, StandardCharsets.UTF_8);
    try {
      return fromJson(json, reference);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Builds a preprocessor from the text of a {@code preprocessor_config.json}. Reads {@code size}
   * ({@code {"shortest_edge": n}} or, in older files, a bare number), {@code crop_size} ({@code
   * {"height", "width"}} or a number), {@code do_rescale}, {@code rescale_factor}, {@code
   * do_normalize}, {@code image_mean}, {@code image_std} and {@code resample}, with Hugging Face's
   * defaults for missing flags. Only bicubic ({@code resample} 3) with resize and centre crop is
   * supported; anything else is refused with the key and value named.
   *
   * @throws IllegalArgumentException for invalid JSON or unsupported values
   */
  public static ClipPreprocessor fromJson(String json, Reference reference) {
    Object parsed;
    try {
      parsed = JSON.readValue(json, Object.class);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage(), e);
    }
    if (!(parsed instanceof Map<?, ?> root)) {
      throw new IllegalArgumentException("preprocessor config is not a JSON object");
    }
    require(flag(root, "do_resize", true), "do_resize", false, "true");
    require(flag(root, "do_center_crop", true), "do_center_crop", false, "true");
    Object resample = root.get("resample");
    require(
        resample == null || (resample instanceof Number n && n.doubleValue() == 3.0),
        "resample",
        resample,
        "3 (bicubic)");
    Object size = root.get("size");
    int edge;
    if (size instanceof Map<?, ?> m) {
      require(m.get("shortest_edge") != null, "size", size, "{\"shortest_edge\": n}");
      edge = integer(m.get("shortest_edge"), "size.shortest_edge");
    } else {
      edge = integer(size, "size");
    }
    Object crop = root.get("crop_size");
    int cropH;
    int cropW;
    if (crop instanceof Map<?, ?> m) {
      cropH = integer(m.get("height"), "crop_size.height");
      cropW = integer(m.get("width"), "crop_size.width");
    } else {
      cropH = cropW = integer(crop, "crop_size");
    }
    Object factor = root.get("rescale_factor");
    double rescale = factor == null ? 1 / 255.0 : number(factor, "rescale_factor");
    return new ClipPreprocessor(
        edge,
        cropH,
        cropW,
        flag(root, "do_rescale", true),
        rescale,
        flag(root, "do_normalize", true),
        triple(root.get("image_mean"), "image_mean"),
        triple(root.get("image_std"), "image_std"),
        reference);
  }

  /** Number of floats one image produces: {@code 3 * cropHeight * cropWidth}. */
  public int outputLength() {
    return 3 * cropHeight * cropWidth;
  }

  /** The length of the shorter side after resizing (before the crop). */
  public int shortestEdge() {
    return shortestEdge;
  }

  public int cropHeight() {
    return cropHeight;
  }

  public int cropWidth() {
    return cropWidth;
  }

  public Reference reference() {
    return reference;
  }

  /** Preprocesses one image into a new {@code [3, cropHeight, cropWidth]} array. */
  public float[] preprocess(RgbImage image) {
    float[] out = new float[outputLength()];
    preprocess(image, out, 0);
    return out;
  }

  /**
   * Preprocesses one image into {@code out[offset .. offset + outputLength())}, channel-major, so
   * that a batch {@code [N, 3, H, W]} is filled by calling this with {@code offset = i *
   * outputLength()}.
   */
  public void preprocess(RgbImage image, float[] out, int offset) {
    if (offset < 0 || out.length - offset < outputLength()) {
      throw new IndexOutOfBoundsException(
          "need " + outputLength() + " floats at offset " + offset + " of " + out.length);
    }
    int w = image.width();
    int h = image.height();
    int newW;
    int newH;
    // transformers' get_resize_output_image_size(default_to_square=False): int() truncation.
    if (w <= h) {
      newW = shortestEdge;
      newH = (int) ((double) ((long) shortestEdge * h) / w);
    } else {
      newH = shortestEdge;
      newW = (int) ((double) ((long) shortestEdge * w) / h);
    }
    int top = cropOffset(newH, cropHeight);
    int left = cropOffset(newW, cropWidth);
    byte[] crop =
        BicubicResampler.resizeWindow(
            image, newW, newH, left, top, cropWidth, cropHeight, reference);
    int plane = cropHeight * cropWidth;
    for (int c = 0; c < 3; c++) {
      float[] lut = levels(c);
      int o = offset + c * plane;
      for (int i = 0; i < plane; i++) {
        out[o + i] = lut[crop[3 * i + c] & 0xff];
      }
    }
  }

  /** Where the crop starts in the resized image along one axis; negative means zero padding. */
  private int cropOffset(int size, int crop) {
    if (reference == Reference.TORCHVISION) {
      // torchvision pads floor((crop - size) / 2) before; anchors at round-half-even otherwise.
      return crop > size ? -((crop - size) / 2) : (int) Math.rint((size - crop) / 2.0);
    }
    // transformers' center_crop: floor division; pads ceil((crop - size) / 2) before.
    return size >= crop ? Math.floorDiv(size - crop, 2) : -((crop - size + 1) / 2);
  }

  /** The output value of each 8-bit level of channel {@code c}, in the reference's arithmetic. */
  private float[] levels(int c) {
    float[] lut = new float[256];
    float m = (float) mean[c];
    float s = (float) std[c];
    for (int v = 0; v < 256; v++) {
      float x;
      if (reference == Reference.TORCHVISION) {
        if (doRescale && doNormalize) {
          float inverse = (float) (1.0 / rescaleFactor);
          x = (v - m * inverse) / (s * inverse);
        } else {
          x = doRescale ? v * (float) rescaleFactor : v;
          x = doNormalize ? (x - m) / s : x;
        }
      } else {
        x = doRescale ? (float) (v * rescaleFactor) : v;
        x = doNormalize ? (x - m) / s : x;
      }
      lut[v] = x;
    }
    return lut;
  }

  private static boolean flag(Map<?, ?> root, String key, boolean fallback) {
    Object v = root.get(key);
    if (v == null) {
      return fallback;
    }
    require(v instanceof Boolean, key, v, "true or false");
    return (Boolean) v;
  }

  private static int integer(Object v, String key) {
    double d = number(v, key);
    require(d == Math.rint(d) && d > 0 && d < 1 << 16, key, v, "a positive integer");
    return (int) d;
  }

  private static double number(Object v, String key) {
    require(v instanceof Number, key, v, "a number");
    return ((Number) v).doubleValue();
  }

  private static double[] triple(Object v, String key) {
    require(v instanceof List<?> l && l.size() == 3, key, v, "a list of 3 numbers");
    List<?> list = (List<?>) v;
    double[] out = new double[3];
    for (int i = 0; i < 3; i++) {
      out[i] = number(list.get(i), key + "[" + i + "]");
    }
    return out;
  }

  private static void require(boolean ok, String key, Object value, String allowed) {
    if (!ok) {
      throw new IllegalArgumentException(
          "preprocessor config " + key + " = " + value + " is not supported; expected " + allowed);
    }
  }

  @Override
  public String toString() {
    return "ClipPreprocessor[shortest_edge="
        + shortestEdge
        + ", crop="
        + cropHeight
        + "x"
        + cropWidth
        + ", rescale="
        + (doRescale ? rescaleFactor : "off")
        + ", mean="
        + Arrays.toString(mean)
        + ", std="
        + Arrays.toString(std)
        + ", reference="
        + reference
        + "]";
  }
}
