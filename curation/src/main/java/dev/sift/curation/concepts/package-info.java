/**
 * MetaCLIP curation in plain Java: concept lists (MetaCLIP's {@code metadata.json}), the substring
 * match rule of MetaCLIP 1 and 2 ({@code ../shared/METACLIP.md}) on a multi-pattern automaton, and
 * the balancing arithmetic (entry probabilities, a row's keep probability, the deterministic
 * per-row draw).
 */
package dev.sift.curation.concepts;
