/**
 * Batching for the model stages: rows grouped into model batches, their images decoded on a pool of
 * threads ahead of inference so that decode and model overlap, and batch sizes that shrink when a
 * device runs out of memory. Plain Java; the Spark partition functions drive it.
 */
package dev.sift.curation.batch;
