package dev.sift.jobs.pipeline;

import static dev.sift.jobs.pipeline.Verdicts.alive;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.sift.curation.Reject;
import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.ConfigKey;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.Columns;
import dev.sift.udfs.DedupUdfs;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;

/**
 * Exact dedup, the cheap part of dedup: rows whose image bytes are identical (SHA-256, or the input
 * column {@code sift.dedup.exact.hash-column} holds), and with {@code sift.dedup.exact.url} rows
 * whose normalised URLs are, keep the smallest id of each set; the others are rejected {@code
 * dedup/exact_duplicate} naming it. It runs right after the text stage, before anything decodes an
 * image or runs a model, so duplicates cost nothing later; after the text filters, so the row kept
 * has a caption that passed them. Scores do not exist yet, so the priority is the id.
 *
 * <p>One narrow aggregation (id and key only travel) finds the sets; the removals, one per removed
 * row, are joined back by id ({@link Removals}). Its verdicts carry {@code reject_stage = dedup},
 * like the rest of dedup; the manifest lists the stage as {@code dedup_exact}.
 *
 * <p>Driver-side, one per run (see {@link PipelineStage}).
 */
public final class ExactDedupStage implements PipelineStage {
  public static final String NAME = "dedup_exact";

  private static final String BYTES_KEY = Columns.INTERNAL_PREFIX + "bytes_key";
  private static final String URL_KEY = Columns.INTERNAL_PREFIX + "url_key";

  /** Keys held by several rows that are broadcast to pre-filter the rows (about 100 MB). */
  static final int PREFILTER_KEYS = 1_000_000;

  private long removed = -1;
  private final List<Map<String, Object>> examples = new java.util.ArrayList<>();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ConfigKey<Boolean> enabledKey() {
    return SiftKeys.DEDUP_EXACT_ENABLED;
  }

  @Override
  public boolean runsFor(Command command, SiftConf conf) {
    return command == Command.CURATE
        && conf.get(SiftKeys.DEDUP_ENABLED)
        && conf.get(SiftKeys.DEDUP_EXACT_ENABLED);
  }

  @Override
  public boolean owns(String rejectStage, String reason) {
    return Reject.EXACT_DUPLICATE.stage().equals(rejectStage)
        && Reject.EXACT_DUPLICATE.code().equals(reason);
  }

  @Override
  public List<Map<String, Object>> check(StageContext ctx) {
    String hashColumn = ctx.conf().get(SiftKeys.DEDUP_EXACT_HASH_COLUMN);
    if (hashColumn != null && !hashColumn.isBlank()) {
      if (!List.of(ctx.input().rows().columns()).contains(hashColumn)) {
        throw new SiftUserException(
            "sift.dedup.exact.hash-column = "
                + hashColumn
                + ": the input has no such column (columns: "
                + String.join(", ", ctx.input().rows().columns())
                + ")");
      }
    } else if (!ctx.input().hasImage() && !ctx.conf().get(SiftKeys.DEDUP_EXACT_URL)) {
      throw new SiftUserException(
          "sift.dedup.exact.enabled = true needs image bytes, a hash column"
              + " (sift.dedup.exact.hash-column) or URL keys (sift.dedup.exact.url = true);"
              + " the input has none of them: set sift.dedup.exact.enabled = false");
    }
    return List.of();
  }

  @Override
  public Dataset<Row> apply(Dataset<Row> rows, StageContext ctx) {
    SiftConf conf = ctx.conf();
    String hashColumn = conf.get(SiftKeys.DEDUP_EXACT_HASH_COLUMN);
    Column bytesKey = null;
    if (hashColumn != null && !hashColumn.isBlank()) {
      Column given = functions.trim(col(hashColumn).cast("string"));
      bytesKey = when(given.notEqual(""), given);
    } else if (ctx.input().hasImage()) {
      Column image = col(Columns.IMAGE);
      bytesKey = when(functions.length(image).gt(0), functions.sha2(image, 256));
    }
    Dataset<Row> removals = null;
    boolean byBoth = false;
    if (bytesKey != null) {
      removals = removalsBy(rows, bytesKey, BYTES_KEY, "same image bytes", ctx);
    }
    if (conf.get(SiftKeys.DEDUP_EXACT_URL)) {
      Column urlKey = DedupUdfs.urlKey().apply(col(Columns.URL));
      Dataset<Row> byUrl = removalsBy(rows, urlKey, URL_KEY, "same URL", ctx);
      byBoth = removals != null;
      removals = removals == null ? byUrl : removals.unionByName(byUrl);
    }
    if (removals == null) {
      removed = 0;
      return rows;
    }
    if (byBoth) {
      // A row may be removed by both keys: keep the smallest kept id, as the rule would.
      Column best = functions.min(functions.struct(col(Removals.KEPT_ID), col(Removals.DETAIL)));
      removals =
          removals
              .groupBy(Removals.REMOVED_ID)
              .agg(best.as("best"))
              .select(
                  col(Removals.REMOVED_ID),
                  col("best." + Removals.KEPT_ID).as(Removals.KEPT_ID),
                  col("best." + Removals.DETAIL).as(Removals.DETAIL));
    }
    Dataset<Row> table = ctx.persist(removals);
    ctx.spark().sparkContext().setJobDescription("sift: exact duplicates (image bytes, URLs)");
    removed = table.count();
    for (Row r :
        table.orderBy(col(Removals.REMOVED_ID)).limit(DedupStage.EXAMPLES).collectAsList()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("removed", r.getString(0));
      e.put("kept", r.getString(1));
      examples.add(e);
    }
    return Removals.judge(
        rows, table, removed, Reject.EXACT_DUPLICATE.stage(), Reject.EXACT_DUPLICATE);
  }

  /**
   * Per set of rows with one key, every row but the smallest id, naming that id. First the keys
   * that more than one input row holds, from a scan of the key alone (no stage runs for it); when
   * they are few enough to broadcast, only rows with such a key go through the earlier stages again
   * (a filter Spark pushes below them), so the text stage re-runs for the duplicates, not for the
   * whole input. Then one shuffle of (key, id) and a window minimum per key.
   */
  private static Dataset<Row> removalsBy(
      Dataset<Row> rows, Column key, String name, String what, StageContext ctx) {
    ctx.spark().sparkContext().setJobDescription("sift: keys held by more than one row");
    Dataset<Row> shared =
        ctx.input()
            .rows()
            .select(key.as(name))
            .where(col(name).isNotNull())
            .groupBy(col(name))
            .count()
            .where(col("count").gt(1))
            .select(col(name));
    List<Row> few = shared.limit(PREFILTER_KEYS + 1).collectAsList();
    Dataset<Row> candidates = rows;
    if (few.size() <= PREFILTER_KEYS) {
      java.util.Set<String> keys = new java.util.HashSet<>();
      few.forEach(r -> keys.add(r.getString(0)));
      candidates =
          rows.where(
              DedupUdfs.inSet(
                      org.apache.spark.api.java.JavaSparkContext.fromSparkContext(
                              ctx.spark().sparkContext())
                          .broadcast(keys))
                  .apply(key));
    }
    Column kept = functions.min(col(Columns.ID)).over(Window.partitionBy(col(name)));
    return candidates
        .where(alive())
        .select(col(Columns.ID), key.as(name))
        .where(col(name).isNotNull())
        .withColumn(Removals.KEPT_ID, kept)
        .where(col(Columns.ID).notEqual(col(Removals.KEPT_ID)))
        .select(
            col(Columns.ID).as(Removals.REMOVED_ID),
            col(Removals.KEPT_ID),
            functions
                .concat(lit("kept id "), col(Removals.KEPT_ID), lit(", " + what))
                .as(Removals.DETAIL));
  }

  /** Rows it removed, and by which keys. */
  @Override
  public Map<String, Object> manifest(Dataset<Row> written, StageContext ctx) {
    Map<String, Object> exact = new LinkedHashMap<>();
    exact.put("removed", removed);
    String hashColumn = ctx.conf().get(SiftKeys.DEDUP_EXACT_HASH_COLUMN);
    exact.put(
        "key",
        hashColumn != null && !hashColumn.isBlank()
            ? "input column " + hashColumn
            : ctx.input().hasImage() ? "sha256 of image bytes" : "none");
    exact.put("url", ctx.conf().get(SiftKeys.DEDUP_EXACT_URL));
    exact.put("examples", examples);
    Map<String, Object> dedup = new LinkedHashMap<>();
    dedup.put("exact", exact);
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("dedup", dedup);
    return section;
  }
}
