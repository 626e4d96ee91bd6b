package dev.sift.jobs.pipeline;

import java.util.List;
import java.util.Set;

/**
 * Column names of Sift's data contract (DESIGN.md). Input columns are mapped onto the first six;
 * the rest are produced by stages. An input column that would collide with any of them passes
 * through renamed with the {@code input_} prefix, so nothing is silently replaced.
 */
public final class Columns {
  public static final String ID = "id";
  public static final String CAPTION = "caption";
  public static final String URL = "url";
  public static final String IMAGE = "image";
  public static final String WIDTH = "width";
  public static final String HEIGHT = "height";

  public static final String ORIGINAL_CAPTION = "original_caption";
  public static final String SYNTHETIC_CAPTION = "synthetic_caption";
  public static final String CAPTION_SOURCE = "caption_source";
  public static final String CLIP_SCORE = "clip_score";
  public static final String CLIP_SCORE_SYNTHETIC = "clip_score_synthetic";
  public static final String CONCEPTS = "concepts";
  public static final String KEEP_PROBABILITY = "keep_probability";
  public static final String IMAGE_FORMAT = "image_format";

  /** Written only with {@code sift.score.write-embeddings}: L2-normalised, float16 LE bytes. */
  public static final String IMAGE_EMBEDDING = "image_embedding";

  public static final String TEXT_EMBEDDING = "text_embedding";

  /** The caption's language: mapped from the input; the language a row was matched in. */
  public static final String LANGUAGE = "language";

  public static final String REJECT_STAGE = "reject_stage";
  public static final String REJECT_REASON = "reject_reason";
  public static final String REJECT_DETAIL = "reject_detail";

  /** The leading columns of accepted/, in order; rejected/ adds the three reject columns. */
  public static final List<String> OUTPUT_ORDER =
      List.of(
          ID,
          URL,
          CAPTION,
          ORIGINAL_CAPTION,
          SYNTHETIC_CAPTION,
          CAPTION_SOURCE,
          CLIP_SCORE,
          CLIP_SCORE_SYNTHETIC,
          CONCEPTS,
          KEEP_PROBABILITY,
          WIDTH,
          HEIGHT,
          IMAGE_FORMAT,
          IMAGE);

  /** Columns written after {@link #OUTPUT_ORDER} when a stage produced them. */
  public static final List<String> OPTIONAL_OUTPUTS =
      List.of(LANGUAGE, IMAGE_EMBEDDING, TEXT_EMBEDDING);

  /** Names Sift writes; input columns of these names are renamed on the way in. */
  public static final Set<String> RESERVED =
      Set.of(
          ID,
          CAPTION,
          URL,
          IMAGE,
          WIDTH,
          HEIGHT,
          ORIGINAL_CAPTION,
          SYNTHETIC_CAPTION,
          CAPTION_SOURCE,
          CLIP_SCORE,
          CLIP_SCORE_SYNTHETIC,
          CONCEPTS,
          KEEP_PROBABILITY,
          IMAGE_FORMAT,
          IMAGE_EMBEDDING,
          TEXT_EMBEDDING,
          LANGUAGE,
          REJECT_STAGE,
          REJECT_REASON,
          REJECT_DETAIL);

  /** The columns of {@code concept_counts/}: the entry, rows matching it, rows balancing kept. */
  public static final List<String> CONCEPT_COUNTS_COLUMNS = List.of("concept", "matched", "kept");

  /** Prefix of Sift's working columns; they never reach an output. */
  static final String INTERNAL_PREFIX = "_sift_";

  private Columns() {}
}
