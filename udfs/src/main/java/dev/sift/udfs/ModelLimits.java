package dev.sift.udfs;

import dev.sift.curation.batch.ShrinkingBatch;
import dev.sift.curation.models.ModelOptions;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch-size limit of every model call on this executor JVM ({@link ShrinkingBatch}), one per
 * model, device and configured batch size: what one task learns from an out-of-memory failure the
 * others use, and a run with another batch size (a second run in the same JVM: tests, notebooks)
 * starts from its own size, never from an earlier run's, possibly halved, one. Score and recaption
 * share the limit of a CLIP model they both run with the same settings.
 *
 * <p>Thread-safe.
 */
public final class ModelLimits {
  private static final Logger LOG = LoggerFactory.getLogger(ModelLimits.class);
  private static final ConcurrentHashMap<String, ShrinkingBatch> LIMITS = new ConcurrentHashMap<>();

  private ModelLimits() {}

  /**
   * The limit for {@code model} (a directory or file, as configured) on {@code options}' device,
   * starting at {@code batchSize}.
   */
  public static ShrinkingBatch of(String model, ModelOptions options, int batchSize) {
    return LIMITS.computeIfAbsent(
        model + "|" + options + "|" + batchSize,
        k ->
            new ShrinkingBatch(
                batchSize,
                (from, to, e) ->
                    LOG.warn(
                        "{} ran out of memory on a batch of {}; batch size now {}: {}",
                        model,
                        from,
                        to,
                        e.getMessage())));
  }
}
