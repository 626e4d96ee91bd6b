/**
 * Caption text: normalisation (Unicode NFC, HTML entities and tags, control characters, whitespace)
 * and the cheap text filters that run before any image work.
 */
package dev.sift.curation.text;
