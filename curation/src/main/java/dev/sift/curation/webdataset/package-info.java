/**
 * WebDataset tar shards: a streaming reader that groups a shard's members into samples by
 * WebDataset's key rule, and the damage it reports with the byte offset where the shard stops being
 * readable; and the writer of Sift's own shards ({@link dev.sift.curation.webdataset.ShardWriter},
 * deterministic tar members) with its key and extension rules ({@link
 * dev.sift.curation.webdataset.ShardKeys}). No Spark and no Hadoop: plain streams.
 */
package dev.sift.curation.webdataset;
