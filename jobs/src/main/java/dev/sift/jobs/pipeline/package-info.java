/**
 * The stage graph of {@code curate}: reading and mapping inputs, the stages in DESIGN.md's order as
 * one Spark plan, the writers of accepted, rejected, concept counts and the manifest, and the
 * driver's progress log.
 */
package dev.sift.jobs.pipeline;
