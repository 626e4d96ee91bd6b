/**
 * WebDataset tar shards: a streaming reader that groups a shard's members into samples by
 * WebDataset's key rule, and the damage it reports with the byte offset where the shard stops being
 * readable. No Spark and no Hadoop: it reads any {@link java.io.InputStream}.
 */
package dev.sift.curation.webdataset;
