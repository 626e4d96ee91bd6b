package dev.sift.curation;

/**
 * Why a row was rejected, and by which stage. The {@link #code()} strings are a data contract: they
 * are written to {@code rejected/} as {@code reject_reason} and counted in the manifest's {@code
 * rejected_by_reason}, and users' scripts filter on them.
 */
public enum Reject {
  /** Another input row has the same id; the kept one is chosen deterministically. */
  DUPLICATE_ID("read", "duplicate_id"),
  /**
   * A WebDataset sample has two members with one extension; the first was read, the detail names
   * the extensions.
   */
  DUPLICATE_MEMBER("read", "duplicate_member"),
  /**
   * A WebDataset sample's {@code json} member is not a JSON object; the detail has the parser's.
   */
  BAD_JSON("read", "bad_json"),
  /**
   * The WebDataset sample being read where its shard turned out damaged, kept with {@code
   * sift.input.webdataset.on-error = skip-rest}; the detail names the shard and the byte offset.
   */
  DAMAGED_SHARD("read", "damaged_shard"),
  /**
   * img2dataset could not download (or resize) the image: a row of the Parquet beside a WebDataset
   * shard whose {@code status} is not {@code success}, read with {@code
   * sift.input.webdataset.failed-downloads}; the detail is img2dataset's {@code error_message}.
   */
  DOWNLOAD_FAILED("read", "download_failed"),
  /** The caption is null. */
  NO_CAPTION("text", "no_caption"),
  /** The caption is empty once normalised (whitespace, control characters, bare tags). */
  EMPTY_CAPTION("text", "empty_caption"),
  /** Fewer characters than {@code sift.text.min-chars}. */
  TOO_SHORT("text", "too_short"),
  /** More characters than {@code sift.text.max-chars}. */
  TOO_LONG("text", "too_long"),
  /** Fewer words than {@code sift.text.min-words}. */
  TOO_FEW_WORDS("text", "too_few_words"),
  /** More words than {@code sift.text.max-words}. */
  TOO_MANY_WORDS("text", "too_many_words"),
  /** The caption matched no entry of the concept list. */
  NO_CONCEPT("match", "no_concept"),
  /** MetaCLIP balancing did not draw the row: its concepts are all over-represented. */
  BALANCED_OUT("balance", "balanced_out"),
  /** The image column is mapped but this row's image bytes are null or empty. */
  NO_IMAGE("decode", "no_image"),
  /** The bytes are not a readable image; the detail carries the decoder's message. */
  DECODE_ERROR("decode", "decode_error"),
  /** The shorter side is below {@code sift.decode.min-size}. */
  TOO_SMALL("decode", "too_small"),
  /** More pixels than {@code sift.decode.max-pixels}: refused before decoding (bomb guard). */
  TOO_LARGE("decode", "too_large"),
  /** Longer side over shorter side exceeds {@code sift.decode.max-aspect}. */
  ASPECT("decode", "aspect"),
  /**
   * Another row has the same image bytes (or, with {@code sift.dedup.exact.url}, the same
   * normalised URL); the detail names the kept row.
   */
  EXACT_DUPLICATE("dedup", "exact_duplicate"),
  /** Another row's pHash is within {@code sift.dedup.near.max-distance} bits and ranks higher. */
  NEAR_DUPLICATE("dedup", "near_duplicate"),
  /**
   * Another row's image embedding is within {@code 1 - sift.dedup.semantic.eps} and ranks higher.
   */
  SEMANTIC_DUPLICATE("dedup", "semantic_duplicate"),
  /** The image is a near-duplicate of an image of {@code sift.dedup.reference}. */
  REFERENCE_OVERLAP("dedup", "reference_overlap"),
  /**
   * The CLIP score is below the filter's threshold: {@code sift.filter.min-score}, or the score
   * that keeps {@code sift.filter.top-fraction} of the scored rows.
   */
  LOW_CLIP_SCORE("filter", "low_clip_score"),
  /** A head's value (aesthetics, NSFW …) is outside its {@code sift.filter.heads} bounds. */
  HEAD_OUT_OF_RANGE("filter", "head_out_of_range");

  private final String stage;
  private final String code;

  Reject(String stage, String code) {
    this.stage = stage;
    this.code = code;
  }

  /** The stage name as written to {@code reject_stage}. */
  public String stage() {
    return stage;
  }

  /** The reason as written to {@code reject_reason}. */
  public String code() {
    return code;
  }
}
