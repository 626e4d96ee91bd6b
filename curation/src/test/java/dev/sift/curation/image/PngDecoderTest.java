package dev.sift.curation.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.DataFormatException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link PngDecoder} against Pillow: {@code fixtures/png/png-golden.tsv} holds, for each PNG of
 * {@code fixtures/png/} and the PNGs of {@code fixtures/images/}, what Pillow 9.4's {@code
 * Image.open(f).convert("RGB")} gave (size and SHA-256 of the RGB bytes) or that it refused the
 * file; {@code png-prefixes.tsv} which truncations of a few files Pillow decodes, and {@code
 * png-damage.tsv} Pillow's verdict on seeded damage to the accepted files. {@code
 * scripts/reference/png_golden.py} wrote the PNGs and the golden files (see that folder's README).
 * Tolerance: none; every accepted file must match bit for bit and every refused one must be a
 * decode error, with the size guard as the one stated exception.
 */
class PngDecoderTest {
  private static final String DIR = "/fixtures/";

  private final ImageDecoder decoder = new ImageDecoder();

  /** One line of the golden file. */
  record Golden(String file, boolean ok, int width, int height, String value) {
    @Override
    public String toString() {
      return file;
    }
  }

  /** The tab-separated fields of each line of a golden file. */
  static List<String[]> lines(String file) throws IOException {
    String tsv = new String(ClipPreprocessorTest.resource(DIR + file), StandardCharsets.UTF_8);
    return tsv.lines().map(line -> line.split("\t")).toList();
  }

  static List<Golden> golden() throws IOException {
    List<Golden> rows = new ArrayList<>();
    for (String[] f : lines("png/png-golden.tsv")) {
      boolean ok = f[1].equals("ok");
      rows.add(
          new Golden(
              f[0], ok, ok ? Integer.parseInt(f[2]) : 0, ok ? Integer.parseInt(f[3]) : 0, f[4]));
    }
    return rows;
  }

  static String sha256(byte[] bytes) throws NoSuchAlgorithmException {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("golden")
  void decodesAsPillowDoes(Golden g) throws Exception {
    byte[] png = ClipPreprocessorTest.resource(DIR + g.file());
    if (g.ok()) {
      RgbImage image = PngDecoder.decode(png, ImageDecoder.DEFAULT_MAX_PIXELS);
      assertThat(image.width()).as("%s width", g.file()).isEqualTo(g.width());
      assertThat(image.height()).as("%s height", g.file()).isEqualTo(g.height());
      assertThat(sha256(image.rgb())).as("%s RGB bytes' SHA-256", g.file()).isEqualTo(g.value());
      // ImageDecoder takes this path for every PNG.
      assertThat(decoder.decode(png).rgb()).isEqualTo(image.rgb());
    } else {
      assertThatThrownBy(() -> decoder.decode(png))
          .as("%s, which Pillow refuses (%s)", g.file(), g.value())
          .isInstanceOf(ImageDecodeException.class)
          .satisfies(e -> System.out.printf("png reject %-40s %s%n", g.file(), e.getMessage()))
          .message()
          .matches("PNG: .+|image size .+");
    }
  }

  @Test
  void everyFixturePngHasAGoldenRow() throws IOException, URISyntaxException {
    Path dir = Path.of(PngDecoderTest.class.getResource(DIR + "png").toURI());
    List<String> listed = golden().stream().map(Golden::file).toList();
    try (Stream<Path> files = Files.list(dir)) {
      List<String> pngs =
          files.map(p -> "png/" + p.getFileName()).filter(n -> n.endsWith(".png")).toList();
      assertThat(listed).containsAll(pngs);
      assertThat(pngs).hasSizeGreaterThan(60);
    }
    assertThat(listed)
        .contains(
            "images/palette_256x256.png",
            "images/portrait_300x800_rgba.png",
            "images/tiny_1x1.png");
  }

  @Test
  void theSizeLimitHoldsBeforeAnyImageDataIsInflated() throws Exception {
    byte[] png = ClipPreprocessorTest.resource(DIR + "png/ct2_8bit_13x7.png");
    assertThat(new ImageDecoder(13 * 7).decode(png).width()).isEqualTo(13);
    assertThatThrownBy(() -> new ImageDecoder(13 * 7 - 1).decode(png))
        .isInstanceOf(ImageDecodeException.class)
        .hasMessage("image size 13x7 outside 1..90 pixels");

    // A 100000 x 100000 header over image data that is not zlib at all: the size is the reason.
    byte[] bomb = png.clone();
    writeInt(bomb, 16, 100_000);
    writeInt(bomb, 20, 100_000);
    fixCrc(bomb, 8);
    // The file is the signature, IHDR (33 bytes so far), then IDAT.
    assertThat(new String(bomb, 37, 4, StandardCharsets.US_ASCII)).isEqualTo("IDAT");
    Arrays.fill(bomb, 41, 41 + readInt(bomb, 33), (byte) 0xff);
    assertThatThrownBy(() -> decoder.decode(bomb))
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining("100000x100000");
    // Unsigned 32-bit sizes whose product overflows a long are refused too.
    writeInt(bomb, 16, -1);
    writeInt(bomb, 20, -1);
    fixCrc(bomb, 8);
    assertThatThrownBy(() -> new ImageDecoder(Long.MAX_VALUE).decode(bomb))
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining("4294967295x4294967295");
  }

  /**
   * A truncated download: every prefix of a file is accepted exactly where Pillow accepts it
   * ({@code png-prefixes.tsv}: Pillow needs the image data but not always the zlib checksum, IDAT's
   * CRC or IEND, yet refuses a cut inside a chunk after the image data), with the whole image;
   * every other prefix is a decode error.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("prefixes")
  void truncatedFilesAreAcceptedWherePillowAcceptsThem(String file, String ranges)
      throws Exception {
    byte[] png = ClipPreprocessorTest.resource(DIR + file);
    String whole = sha256(decoder.decode(png).rgb());
    StringBuilder accepted = new StringBuilder();
    int from = -1;
    for (int keep = 0; keep <= png.length; keep++) {
      boolean ok = false;
      if (keep < png.length) {
        try {
          RgbImage image = decoder.decode(Arrays.copyOf(png, keep));
          assertThat(sha256(image.rgb())).as("%s, first %d bytes", file, keep).isEqualTo(whole);
          ok = true;
        } catch (ImageDecodeException e) {
          assertThat(e.getCause() instanceof RuntimeException).as("first %d bytes", keep).isFalse();
        }
      }
      if (ok && from < 0) {
        from = keep;
      } else if (!ok && from >= 0) {
        accepted
            .append(accepted.length() == 0 ? "" : ",")
            .append(from)
            .append('-')
            .append(keep - 1);
        from = -1;
      }
    }
    assertThat(accepted.toString()).as("%s: prefixes decoded", file).isEqualTo(ranges);
  }

  static Stream<Arguments> prefixes() throws IOException {
    return lines("png/png-prefixes.tsv").stream().map(f -> Arguments.of(f[0], f[1]));
  }

  /**
   * Seeded damage to the accepted files ({@code png-damage.tsv}): bytes flipped with CRCs kept or
   * recomputed, IHDR fields changed, bytes inserted or deleted, files cut. Each verdict and image
   * must be Pillow's; the one allowed difference is the size guard, which refuses what Pillow would
   * decode above {@link ImageDecoder#DEFAULT_MAX_PIXELS}. No damage may reach the decoder's
   * catch-all for unchecked exceptions: every case is handled where it arises.
   */
  @Test
  void damagedFilesGetPillowsVerdict() throws Exception {
    int accepted = 0;
    int refused = 0;
    List<String> wrong = new ArrayList<>();
    for (String[] f : lines("png/png-damage.tsv")) {
      byte[] png = edit(ClipPreprocessorTest.resource(DIR + f[0]), f[1]);
      String expected = f[2].equals("ok") ? String.join(" ", Arrays.copyOfRange(f, 2, 6)) : "error";
      String verdict;
      try {
        RgbImage image = decoder.decode(png);
        verdict =
            "ok "
                + image.width()
                + " "
                + image.height()
                + " "
                + sha256(image.rgb()).substring(0, 16);
      } catch (ImageDecodeException e) {
        if (e.getCause() != null && !(e.getCause() instanceof DataFormatException)) {
          fail("%s damaged with %s: unexpected %s", f[0], f[1], e.getCause());
        }
        boolean guard =
            f[2].equals("ok")
                && Long.parseLong(f[3]) * Long.parseLong(f[4]) > ImageDecoder.DEFAULT_MAX_PIXELS;
        verdict = guard ? expected : "error";
      }
      if (!verdict.equals(expected)) {
        wrong.add(f[0] + " " + f[1] + ": Pillow " + expected + ", Sift " + verdict);
      }
      if (f[2].equals("ok")) {
        accepted++;
      } else {
        refused++;
      }
    }
    System.out.printf("damaged PNGs: %d accepted, %d refused, as Pillow%n", accepted, refused);
    assertThat(wrong).isEmpty();
    assertThat(accepted).isGreaterThan(50);
    assertThat(refused).isGreaterThan(200);
  }

  /** The edits of {@code png_golden.py}'s {@code apply_edits}, applied the same way. */
  static byte[] edit(byte[] png, String edits) {
    byte[] b = png;
    for (String e : edits.split(",")) {
      if (e.equals("crc")) {
        b = b.clone();
        fixAllCrcs(b);
        continue;
      }
      char op = e.charAt(0);
      String[] arg = e.substring(1).split(":");
      int at = Integer.parseInt(arg[0]);
      if (op == 'c') {
        b = Arrays.copyOf(b, at);
      } else if (op == 'd') {
        byte[] shorter = new byte[b.length - 1];
        System.arraycopy(b, 0, shorter, 0, at);
        System.arraycopy(b, at + 1, shorter, at, b.length - at - 1);
        b = shorter;
      } else {
        byte value = (byte) Integer.parseInt(arg[1], 16);
        if (op == 'i') {
          byte[] longer = new byte[b.length + 1];
          System.arraycopy(b, 0, longer, 0, at);
          longer[at] = value;
          System.arraycopy(b, at, longer, at + 1, b.length - at);
          b = longer;
        } else {
          b = b.clone();
          b[at] = op == 'x' ? (byte) (b[at] ^ value) : value;
        }
      }
    }
    return b;
  }

  @Test
  void notAPngIsLeftToImageIo() throws Exception {
    byte[] png = ClipPreprocessorTest.resource(DIR + "png/ct2_8bit_13x7.png");
    assertThat(ImageMagic.isPng(png)).isTrue();
    byte[] almost = png.clone();
    almost[7] = 0;
    assertThat(ImageMagic.isPng(almost)).isFalse();
    assertThatThrownBy(() -> decoder.decode(almost))
        .isInstanceOf(ImageDecodeException.class)
        .hasMessageContaining("unrecognised image format");
  }

  private static int readInt(byte[] b, int at) {
    return (b[at] & 0xff) << 24
        | (b[at + 1] & 0xff) << 16
        | (b[at + 2] & 0xff) << 8
        | b[at + 3] & 0xff;
  }

  private static void writeInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }

  /** Rewrites the CRC of the chunk starting at {@code at}; false if it does not fit the file. */
  private static boolean fixCrc(byte[] b, int at) {
    long length = readInt(b, at) & 0xffffffffL;
    if (at + 12 + length > b.length) {
      return false;
    }
    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
    crc.update(b, at + 4, (int) length + 4);
    writeInt(b, at + 8 + (int) length, (int) crc.getValue());
    return true;
  }

  private static void fixAllCrcs(byte[] b) {
    for (int at = 8; at + 12 <= b.length && fixCrc(b, at); ) {
      at += 12 + readInt(b, at);
    }
  }
}
