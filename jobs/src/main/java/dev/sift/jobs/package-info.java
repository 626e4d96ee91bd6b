/**
 * Sift's entry points: the {@code sift} command line (the same arguments for {@code bin/sift} and
 * for {@code spark-submit}), each command's job, and the exit-code contract (0 success, 2
 * configuration or input-contract error, 1 anything else).
 */
package dev.sift.jobs;
