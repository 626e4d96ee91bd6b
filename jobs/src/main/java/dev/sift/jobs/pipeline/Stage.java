package dev.sift.jobs.pipeline;

import dev.sift.jobs.config.ConfigKey;
import dev.sift.jobs.config.SiftKeys;

/**
 * The stages of {@code curate}, in the order they run (DESIGN.md). A stage is either available
 * (implemented; it runs when its {@code sift.<stage>.enabled} key is true) or not yet available
 * (asking for it is a start-up error). The {@code name()} in lower case is the stage name written
 * to {@code reject_stage} and to the manifest.
 */
public enum Stage {
  READ(null, true),
  TEXT(SiftKeys.TEXT_ENABLED, true),
  MATCH(SiftKeys.MATCH_ENABLED, true),
  BALANCE(SiftKeys.BALANCE_ENABLED, true),
  DECODE(SiftKeys.DECODE_ENABLED, true),
  SCORE(SiftKeys.SCORE_ENABLED, true),
  RECAPTION(SiftKeys.RECAPTION_ENABLED, true),
  FILTER(SiftKeys.FILTER_ENABLED, true),
  WRITE(null, true);

  private final ConfigKey<Boolean> enabledKey;
  private final boolean available;

  Stage(ConfigKey<Boolean> enabledKey, boolean available) {
    this.enabledKey = enabledKey;
    this.available = available;
  }

  /** The stage's name in outputs: {@code read}, {@code text}, … */
  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The {@code sift.<stage>.enabled} key, or null for stages that always run. */
  public ConfigKey<Boolean> enabledKey() {
    return enabledKey;
  }

  /** Whether this build of Sift implements the stage. */
  public boolean available() {
    return available;
  }
}
