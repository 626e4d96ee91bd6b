/**
 * The report's Spark side: figures aggregated from an output directory ({@code accepted/}, {@code
 * rejected/}, {@code concept_counts/}, {@code _MANIFEST.json}) into {@code
 * dev.sift.curation.report.Report}, written as {@code report/report.json} and {@code
 * report/report.html}. Used by {@code curate} after its manifest and by {@code sift report}.
 */
package dev.sift.jobs.report;
