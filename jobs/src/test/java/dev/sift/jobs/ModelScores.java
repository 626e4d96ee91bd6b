package dev.sift.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.sift.curation.image.ImageDecoder;
import dev.sift.curation.models.ClipModel;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;

/** Checks scores written by a Spark run against the model run outside Spark, row by row. */
final class ModelScores {
  private ModelScores() {}

  /**
   * Every row's {@code clip_score} is the cosine the model at {@code model} gives its {@code image}
   * and {@code caption}, computed one row at a time with the curation API.
   */
  static void assertScoresAreTheModels(Path model, List<Row> rows) throws Exception {
    try (ClipModel clip = ClipModel.open(model)) {
      ImageDecoder decoder = new ImageDecoder();
      for (Row row : rows) {
        float[] pixels = clip.preprocessor().preprocess(decoder.decode(row.getAs("image")));
        float[] image = clip.embedImages(pixels, 1)[0];
        float[] text = clip.embedTexts(List.of((String) row.getAs("caption")))[0];
        assertThat((Double) row.getAs("clip_score"))
            .as((String) row.getAs("id"))
            .isCloseTo(ClipModel.cosine(image, text), within(1e-5));
      }
    }
  }
}
