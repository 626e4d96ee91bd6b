package dev.sift.curation.webdataset;

/**
 * A shard stops being a readable tar archive: truncated, not a tar file, or a corrupt header. Every
 * sample before {@link #offset()} was read intact; {@link #partial()} holds the members of the
 * sample being read when the damage was found (null when none had been read), so that a caller that
 * skips the rest of the shard can still account for it.
 *
 * <p>Immutable. Serialisable without its partial sample (Spark ships task failures to the driver).
 */
public final class ShardDamagedException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String shard;
  private final long offset;
  private final String reason;
  private final transient Sample partial;

  /**
   * @param shard the shard's path, or null while the reader does not know it
   * @param offset byte offset of the header of the member that could not be read
   * @param reason what is wrong, in words
   * @param partial the sample being read, or null
   * @param cause the parser's exception, or null
   */
  public ShardDamagedException(
      String shard, long offset, String reason, Sample partial, Throwable cause) {
    super(message(shard, offset, reason), cause);
    this.shard = shard;
    this.offset = offset;
    this.reason = reason;
    this.partial = partial;
  }

  private static String message(String shard, long offset, String reason) {
    return "WebDataset shard "
        + (shard == null ? "" : shard + " ")
        + "is damaged at byte "
        + offset
        + ": "
        + reason;
  }

  /** The same damage, naming the shard it was found in. */
  public ShardDamagedException inShard(String path) {
    return new ShardDamagedException(path, offset, reason, partial, this);
  }

  public String shard() {
    return shard;
  }

  public long offset() {
    return offset;
  }

  public String reason() {
    return reason;
  }

  public Sample partial() {
    return partial;
  }
}
