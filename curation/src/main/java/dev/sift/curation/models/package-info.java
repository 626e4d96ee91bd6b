/**
 * ONNX model runners: which execution providers this ONNX Runtime build has ({@link
 * dev.sift.curation.models.Devices}) and the CLIP towers that turn preprocessed images and captions
 * into normalised embeddings ({@link dev.sift.curation.models.ClipModel}). One {@code
 * OrtEnvironment} per JVM, owned by ONNX Runtime; each runner owns its sessions and is closed by
 * whoever opened it.
 */
package dev.sift.curation.models;
