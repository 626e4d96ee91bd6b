package dev.sift.jobs.pipeline;

import java.util.Locale;

/** The commands that run the stage pipeline, and which stages each one runs. */
public enum Command {
  /** Every stage whose {@code sift.<stage>.enabled} key is true. */
  CURATE,
  /** read → text → match → write: matching whatever {@code sift.match.enabled} says. */
  MATCH,
  /** read → balance → write over the accepted rows of an earlier {@code match} output. */
  BALANCE,
  /** read → text → decode → score → write: CLIP scores for an input, nothing filtered on them. */
  SCORE,
  /**
   * read → text → decode → score → recaption → write: synthetic captions and their scores, for the
   * rows {@code sift.recaption.when} selects; nothing filtered on them.
   */
  RECAPTION;

  /** The command's name on the command line and in the manifest. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
