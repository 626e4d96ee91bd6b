/**
 * ONNX Runtime: which execution providers this build has, and (with the scoring and captioning
 * issues) the model runners. One {@code OrtEnvironment} per JVM, owned by ONNX Runtime.
 */
package dev.sift.curation.models;
