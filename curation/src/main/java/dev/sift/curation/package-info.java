/**
 * Sift's curation logic in plain Java, with no Spark dependency: caption normalisation and filters,
 * stable row ids, image probing, and the reject reasons every stage reports. Everything here is
 * unit-testable in milliseconds and safe to call from any thread unless a type says otherwise.
 */
package dev.sift.curation;
