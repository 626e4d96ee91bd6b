package dev.sift.udfs;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Column names of Sift's data contract (docs/design.md), in the one place both the stage functions
 * here and the stage graph in {@code dev.sift.jobs} read them. Input columns are mapped onto the
 * first six; the rest are produced by stages. An input column that would collide with any of them
 * (or with a head's {@code head_<name>} column) passes through renamed with the {@code input_}
 * prefix, so nothing is silently replaced.
 *
 * <p>Constants only; no instances.
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

  /**
   * The image's 64-bit perceptual hash (imagehash's pHash, its hex string read as a signed long):
   * written when near-duplicate dedup runs.
   */
  public static final String PHASH = "phash";

  /** The caption's language: mapped from the input; the language a row was matched in. */
  public static final String LANGUAGE = "language";

  public static final String REJECT_STAGE = "reject_stage";
  public static final String REJECT_REASON = "reject_reason";
  public static final String REJECT_DETAIL = "reject_detail";

  /** Prefix of the columns of {@code sift.score.heads}: one {@code head_<name>} per head. */
  public static final String HEAD_PREFIX = "head_";

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
      List.of(LANGUAGE, PHASH, IMAGE_EMBEDDING, TEXT_EMBEDDING);

  /** The columns rejected/ adds after the others, in order. */
  public static final List<String> REJECT_COLUMNS =
      List.of(REJECT_STAGE, REJECT_REASON, REJECT_DETAIL);

  /**
   * The fixed names Sift writes: {@link #OUTPUT_ORDER}, {@link #OPTIONAL_OUTPUTS} and {@link
   * #REJECT_COLUMNS}, derived so that a new output column cannot be forgotten here. Head columns
   * have open names; {@link #isReserved} covers them too.
   */
  public static final Set<String> RESERVED = reserved();

  /** The columns of {@code concept_counts/}: the entry, rows matching it, rows balancing kept. */
  public static final List<String> CONCEPT_COUNTS_COLUMNS = List.of("concept", "matched", "kept");

  /** Prefix of Sift's working columns; they never reach an output. */
  public static final String INTERNAL_PREFIX = "_sift_";

  /**
   * A reader's verdict on a row, a {@code read/} reason code or null (WebDataset: a duplicated
   * member, unreadable JSON, a failed download from img2dataset's Parquet); the read stage turns it
   * into the row's reject columns.
   */
  public static final String READ_REJECT = INTERNAL_PREFIX + "read_reject";

  /** The detail of {@link #READ_REJECT}. */
  public static final String READ_DETAIL = INTERNAL_PREFIX + "read_detail";

  private Columns() {}

  /** The column a head's values go to: {@code head_<name>}. */
  public static String head(String name) {
    return HEAD_PREFIX + name;
  }

  /**
   * Whether an input column of this name would clash with a column Sift writes (case-insensitive,
   * as Spark resolves names): a {@link #RESERVED} name, or any {@code head_} name, since which
   * heads a run has is configuration and an input column must not depend on it to keep its value.
   */
  public static boolean isReserved(String name) {
    String lower = name.toLowerCase(Locale.ROOT);
    return RESERVED.contains(lower) || lower.startsWith(HEAD_PREFIX);
  }

  private static Set<String> reserved() {
    List<String> all = new ArrayList<>(OUTPUT_ORDER);
    all.addAll(OPTIONAL_OUTPUTS);
    all.addAll(REJECT_COLUMNS);
    return Set.copyOf(all);
  }
}
