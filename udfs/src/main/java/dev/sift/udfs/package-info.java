/**
 * Spark-facing functions: thin adapters from Spark rows and columns to the plain-Java logic in
 * {@code dev.sift.curation}. Every class here is serialised to executors; none holds a Spark
 * session or any driver-only state.
 */
package dev.sift.udfs;
