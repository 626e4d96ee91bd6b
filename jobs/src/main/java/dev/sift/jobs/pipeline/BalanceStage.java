package dev.sift.jobs.pipeline;

import static dev.sift.jobs.pipeline.Verdicts.alive;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.sift.curation.Reject;
import dev.sift.curation.concepts.Balancing;
import dev.sift.curation.concepts.ConceptList;
import dev.sift.curation.concepts.PerLanguageThresholds;
import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.ConfigKey;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.Columns;
import dev.sift.udfs.ConceptUdfs;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code balance} stage, MetaCLIP balancing: counts per concept over the rows that reach it
 * (one Spark aggregation; only head concepts, those counted more than {@code t} times, travel to
 * the driver and back), the keep probability of every row, and the deterministic draw. With
 * per-language lists, MetaCLIP 2's thresholds per language ({@link PerLanguageThresholds}). The
 * per-row decision is a pure function of the row and the broadcast probabilities, so retries and
 * repartitioning cannot change it.
 *
 * <p>Driver-side, one per run (see {@link PipelineStage}); keeps the head-concept count and the
 * per-language thresholds for the manifest.
 */
public final class BalanceStage implements PipelineStage {
  public static final String NAME = "balance";
  private static final Logger LOG = LoggerFactory.getLogger(BalanceStage.class);

  private boolean multilingual;
  private int headConcepts = -1;
  private Map<String, Object> perLanguageT;

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ConfigKey<Boolean> enabledKey() {
    return SiftKeys.BALANCE_ENABLED;
  }

  @Override
  public boolean runsFor(Command command, SiftConf conf) {
    return command == Command.BALANCE
        || (command == Command.CURATE && conf.get(SiftKeys.BALANCE_ENABLED));
  }

  @Override
  public void requires(Command command, Set<String> before) {
    // The balance command reads concept sets from an earlier match output instead.
    if (command != Command.BALANCE && !before.contains(MatchStage.NAME)) {
      throw new SiftUserException(
          "sift.balance.enabled = true needs concept matching: set sift.match.enabled = true"
              + " and sift.match.metadata");
    }
  }

  @Override
  public Dataset<Row> apply(Dataset<Row> rows, StageContext ctx) {
    long t = ctx.conf().get(SiftKeys.BALANCE_T);
    long seed = ctx.conf().get(SiftKeys.BALANCE_SEED);
    ctx.spark().sparkContext().setJobDescription("sift: count matches per concept for balancing");
    ConceptSource concepts = ctx.concepts();
    multilingual =
        concepts != null
            ? concepts.multilingual()
            : List.of(rows.columns()).contains(Columns.LANGUAGE);
    Map<String, Double> entryP = new HashMap<>();
    if (multilingual) {
      entryP = perLanguageProbabilities(rows, t, concepts, ctx.priorConceptCounts());
    } else {
      Dataset<Row> counts =
          rows.select(functions.explode(Verdicts.ifAlive(col(Columns.CONCEPTS))).as("concept"))
              .groupBy("concept")
              .count();
      Dataset<Row> prior = ctx.priorConceptCounts();
      if (prior != null) {
        // Only this run's concepts matter to its rows; the earlier batches' counts add to them.
        Dataset<Row> earlier =
            prior.groupBy("concept").agg(functions.sum("matched").as("prior_count"));
        counts =
            counts
                .join(earlier, "concept", "left")
                .select(
                    col("concept"),
                    col("count").plus(functions.coalesce(col("prior_count"), lit(0L))).as("count"));
      }
      List<Row> head = counts.where(col("count").gt(t)).collectAsList();
      for (Row r : head) {
        entryP.put(r.getString(0), Balancing.entryProbability(r.getLong(1), t));
      }
    }
    headConcepts = entryP.size();
    Broadcast<Map<String, Double>> shared =
        JavaSparkContext.fromSparkContext(ctx.spark().sparkContext()).broadcast(entryP);
    Column probability =
        multilingual
            ? ConceptUdfs.keepProbabilityByLanguage(shared)
                .apply(col(Columns.CONCEPTS), col(Columns.LANGUAGE))
            : ConceptUdfs.keepProbability(shared).apply(col(Columns.CONCEPTS));
    rows = rows.withColumn(Columns.KEEP_PROBABILITY, when(alive(), probability));
    Column kept = ConceptUdfs.keep(seed).apply(col(Columns.ID), col(Columns.KEEP_PROBABILITY));
    return Verdicts.judge(
        rows,
        NAME,
        when(kept.unary_$bang(), lit(Reject.BALANCED_OUT.code())),
        functions.format_string("P = %.6f", col(Columns.KEEP_PROBABILITY)));
  }

  @Override
  public Dataset<Row> off(Dataset<Row> rows, StageContext ctx) {
    return Verdicts.withNull(rows, Columns.KEEP_PROBABILITY, DataTypes.DoubleType);
  }

  /**
   * Counts per (language, concept) are collected (one row per matched pair: at most the size of the
   * lists) and handed to {@link PerLanguageThresholds}; entries of a list that nothing matched
   * count as zeros when the lists are known. Degenerate cases are logged.
   *
   * @return head entries' probabilities, keyed {@link PerLanguageThresholds#key}
   */
  private Map<String, Double> perLanguageProbabilities(
      Dataset<Row> rows, long t, ConceptSource concepts, Dataset<Row> prior) {
    Map<String, Map<String, Long>> counts = new TreeMap<>();
    for (Row r :
        rows.select(
                col(Columns.LANGUAGE),
                functions.explode(Verdicts.ifAlive(col(Columns.CONCEPTS))).as("concept"))
            .groupBy(Columns.LANGUAGE, "concept")
            .count()
            .collectAsList()) {
      String lang = r.isNullAt(0) ? ConceptSource.OTHER : r.getString(0);
      counts.computeIfAbsent(lang, k -> new HashMap<>()).put(r.getString(1), r.getLong(2));
    }
    if (prior != null) {
      // MetaCLIP 2's thresholds depend on the whole distribution: every earlier pair counts.
      for (Row r :
          prior
              .groupBy(Columns.LANGUAGE, "concept")
              .agg(functions.sum("matched"))
              .collectAsList()) {
        String lang = r.isNullAt(0) ? ConceptSource.OTHER : r.getString(0);
        counts
            .computeIfAbsent(lang, k -> new HashMap<>())
            .merge(r.getString(1), r.getLong(2), Long::sum);
      }
    }
    Map<String, Integer> listSizes = new HashMap<>();
    if (concepts != null) {
      for (Map.Entry<String, ConceptList> e : concepts.languages().entrySet()) {
        listSizes.put(e.getKey(), e.getValue().size());
      }
    }
    PerLanguageThresholds.Result r = PerLanguageThresholds.compute(counts, listSizes, t);
    if (!r.anchored()) {
      LOG.warn("per-language balancing: no English (en) matches; every language uses t = {}", t);
    }
    r.raisedToOne()
        .forEach(lang -> LOG.warn("per-language balancing: t for {} came out 0; using 1", lang));
    perLanguageT = new LinkedHashMap<>();
    perLanguageT.put("english_tail_share", r.englishTailShare());
    perLanguageT.put("t", r.thresholds());
    LOG.info(
        "per-language balancing: English tail share {}, t per language {}",
        r.anchored() ? r.englishTailShare() : 0.0,
        r.thresholds());
    return new HashMap<>(r.entryProbabilities());
  }

  @Override
  public ConceptCounts conceptCounts(StageContext ctx) {
    return multilingual ? ConceptCounts.PER_LANGUAGE : ConceptCounts.ONE_LIST;
  }

  /**
   * {@code t}, the seed, how many concepts were heads, and MetaCLIP 2's thresholds if per language.
   */
  @Override
  public Map<String, Object> manifest(Dataset<Row> written, StageContext ctx) {
    Map<String, Object> b = new LinkedHashMap<>();
    b.put("t", ctx.conf().get(SiftKeys.BALANCE_T));
    b.put("seed", ctx.conf().get(SiftKeys.BALANCE_SEED));
    b.put("head_concepts", headConcepts);
    b.put(
        "counts",
        ctx.priorConceptCounts() == null
            ? "this run's rows"
            : "this batch's rows plus the earlier committed batches' concept_counts");
    if (perLanguageT != null) {
      b.put("per_language", perLanguageT);
    }
    Map<String, Object> section = new LinkedHashMap<>();
    section.put(NAME, b);
    return section;
  }
}
