/**
 * Sift's configuration: the one registry of {@code sift.*} keys ({@link
 * dev.sift.jobs.config.SiftKeys}) with type, default, documentation and check; loading HOCON files
 * and {@code --set} overrides; validation on the driver before any Spark work; and the generated
 * configuration reference.
 */
package dev.sift.jobs.config;
