/**
 * The stage graph of {@code curate}: reading and mapping inputs, the stages ({@link
 * dev.sift.jobs.pipeline.PipelineStage}, one class each) in the one ordered list of {@link
 * dev.sift.jobs.pipeline.Pipeline}, built as one Spark plan, the writers of accepted, rejected,
 * concept counts and the manifest, and the driver's progress log. See docs/architecture.md.
 */
package dev.sift.jobs.pipeline;
