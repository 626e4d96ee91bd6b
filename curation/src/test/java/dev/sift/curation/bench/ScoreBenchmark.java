package dev.sift.curation.bench;

import dev.sift.curation.image.ImageDecoder;
import dev.sift.curation.models.ClipModel;
import dev.sift.curation.models.ModelOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The two halves of the score stage measured apart on the calling thread (run it under {@code
 * taskset -c 0}): decode + the model's own preprocessing per image, and the model alone (image and
 * text towers, ONNX Runtime with one intra-op thread) per row at a given batch size over
 * pre-decoded images. {@code scripts/bench-score.sh} sets these against the end-to-end rate.
 *
 * <p>Usage: {@code ScoreBenchmark SECONDS MODEL_DIR BATCH CAPTIONS.tsv IMAGE...}; prints {@code
 * DECODE_ROWS_PER_S=…} and {@code MODEL_ROWS_PER_S=…}.
 */
public final class ScoreBenchmark {
  private ScoreBenchmark() {}

  public static void main(String[] args) throws Exception {
    double seconds = Double.parseDouble(args[0]);
    int batch = Integer.parseInt(args[2]);
    List<String> captionLines = Files.readAllLines(Path.of(args[3]));
    List<String> captions = new ArrayList<>();
    for (String line : captionLines.subList(1, captionLines.size())) {
      captions.add(line.substring(line.lastIndexOf('\t') + 1));
    }
    List<byte[]> images = new ArrayList<>();
    for (int i = 4; i < args.length; i++) {
      images.add(Files.readAllBytes(Path.of(args[i])));
    }
    try (ClipModel model = ClipModel.open(Path.of(args[1]), ModelOptions.cpu(1))) {
      ImageDecoder decoder = new ImageDecoder();
      int length = model.imageLength();
      float[] pixels = new float[batch * length];

      // Decode + preprocess, one image after another, into the batch buffer as the stage does.
      for (int k = 0; k < 3; k++) {
        for (int i = 0; i < images.size(); i++) {
          model.preprocessor().preprocess(decoder.decode(images.get(i)), pixels, 0);
        }
      }
      long decoded = 0;
      long t0 = System.nanoTime();
      long end = t0 + (long) (seconds * 1e9);
      while (System.nanoTime() < end) {
        int slot = (int) (decoded % batch);
        model
            .preprocessor()
            .preprocess(
                decoder.decode(images.get((int) (decoded % images.size()))), pixels, slot * length);
        decoded++;
      }
      double decodeRate = decoded / ((System.nanoTime() - t0) / 1e9);

      // The model alone on full batches of those images and their captions.
      List<String> texts = new ArrayList<>();
      for (int i = 0; i < batch; i++) {
        texts.add(captions.get(i % captions.size()));
      }
      for (int k = 0; k < 3; k++) {
        model.embedImages(pixels, batch);
        model.embedTexts(texts);
      }
      long rows = 0;
      t0 = System.nanoTime();
      end = t0 + (long) (seconds * 1e9);
      while (System.nanoTime() < end) {
        model.embedImages(pixels, batch);
        model.embedTexts(texts);
        rows += batch;
      }
      double modelRate = rows / ((System.nanoTime() - t0) / 1e9);
      System.out.printf(Locale.ROOT, "DECODE_ROWS_PER_S=%.1f%n", decodeRate);
      System.out.printf(Locale.ROOT, "MODEL_ROWS_PER_S=%.1f%n", modelRate);
    }
  }
}
