package dev.sift.curation.webdataset;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One WebDataset sample: the consecutive members of a shard that share a key.
 *
 * <p>Immutable once built; the byte arrays are not copied, so callers must not change them.
 *
 * @param key the members' common path up to the first dot of the last path component (WebDataset's
 *     {@code __key__}), directories included
 * @param members bytes by lower-cased extension, for the extensions the reader was asked to read;
 *     the first member of an extension wins
 * @param extensions every extension present, read or not, in shard order
 * @param duplicates extensions that appeared more than once, each listed once
 * @param offset byte offset in the shard of the header of the sample's first member
 */
public record Sample(
    String key,
    Map<String, byte[]> members,
    Set<String> extensions,
    List<String> duplicates,
    long offset) {

  /** The bytes of the member with this extension, or null when absent or not read. */
  public byte[] member(String extension) {
    return members.get(extension);
  }
}
