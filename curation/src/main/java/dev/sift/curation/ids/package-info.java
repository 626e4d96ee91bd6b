/** Stable row ids for inputs that have none. */
package dev.sift.curation.ids;
