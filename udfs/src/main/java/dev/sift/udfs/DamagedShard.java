package dev.sift.udfs;

import java.io.Serializable;

/**
 * A WebDataset shard whose rest was skipped ({@code sift.input.webdataset.on-error = skip-rest}):
 * where it stopped being readable and why. Collected from executors in an accumulator for the
 * manifest.
 *
 * <p>Immutable and serialisable.
 *
 * @param path the shard
 * @param offset byte offset of the first member that could not be read; the samples before it were
 *     read
 * @param error what is wrong
 */
public record DamagedShard(String path, long offset, String error) implements Serializable {}
