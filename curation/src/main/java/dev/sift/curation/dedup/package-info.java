/**
 * Deduplication arithmetic: perceptual hashes, hash bands, k-means and similar pairs; plain Java,
 * no Spark.
 */
package dev.sift.curation.dedup;
