/**
 * The CLIP-score filtering report without Spark: the arithmetic on aggregated figures (histogram
 * quantiles and the kept-fraction curve, the Vendi score), the report model that {@code
 * report.json} serialises, and the self-contained HTML page with its inline SVG charts. The Spark
 * side ({@code dev.sift.jobs.report}) computes the aggregates; everything here is plain Java and
 * unit-tested on small known inputs.
 */
package dev.sift.curation.report;
