package dev.sift.jobs.pipeline;

import static dev.sift.jobs.pipeline.Verdicts.alive;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.sift.curation.Reject;
import dev.sift.curation.dedup.HashBands;
import dev.sift.jobs.SiftUserException;
import dev.sift.jobs.config.ConfigKey;
import dev.sift.jobs.config.SiftConf;
import dev.sift.jobs.config.SiftKeys;
import dev.sift.udfs.Columns;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * The {@code dedup} stage, after scoring and before re-captioning (so duplicates are never
 * re-captioned): rows near an image of {@code sift.dedup.reference} ({@code reference_overlap}),
 * near-duplicates by pHash ({@code near_duplicate}), then semantic duplicates by CLIP image
 * embedding ({@code semantic_duplicate}, {@link SemanticDedup}). Exact duplicates went earlier
 * ({@link ExactDedupStage}).
 *
 * <p>One rule for every kind: a row is removed when one of its duplicates has a higher priority
 * ({@code sift.dedup.priority}; ties: the smaller id). Each row is judged against its own
 * duplicates only, so chains (a~b, b~c, a≁c) need no connected components: with a above b above c,
 * b and c go and a stays. The rule depends only on the pairs and the rows' priorities, never on
 * partitioning or retries.
 *
 * <p>Near-duplicates: every pair within {@code sift.dedup.near.max-distance} bits is found by an
 * equi-join on band keys ({@link HashBands}: multi-index hashing), not by comparing all pairs; the
 * candidates are then checked with the full distance. Only ids, hashes and priorities travel.
 *
 * <p>Driver-side, one per run (see {@link PipelineStage}); keeps its figures for the manifest.
 */
public final class DedupStage implements PipelineStage {
  public static final String NAME = "dedup";

  /** Removed rows' example pairs kept for the report, per kind. */
  static final int EXAMPLES = 12;

  private ReferenceImages.Loaded reference;
  private final Map<String, Object> figures = new LinkedHashMap<>();

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public ConfigKey<Boolean> enabledKey() {
    return SiftKeys.DEDUP_ENABLED;
  }

  @Override
  public boolean runsFor(Command command, SiftConf conf) {
    return command == Command.CURATE
        && conf.get(SiftKeys.DEDUP_ENABLED)
        && (near(conf) || semantic(conf) || hasReference(conf));
  }

  private static boolean near(SiftConf conf) {
    return conf.get(SiftKeys.DEDUP_NEAR_ENABLED);
  }

  private static boolean semantic(SiftConf conf) {
    return conf.get(SiftKeys.DEDUP_SEMANTIC_ENABLED);
  }

  private static boolean hasReference(SiftConf conf) {
    String r = conf.get(SiftKeys.DEDUP_REFERENCE);
    return r != null && !r.isBlank();
  }

  @Override
  public void requires(Command command, Set<String> before) {
    // Checked per kind in check(), where the configuration is at hand.
  }

  /**
   * The pHash (written by the score stage's decode, or the decode stage's) for near dedup and a
   * reference set; the image embeddings the score stage otherwise drops, for semantic dedup.
   */
  @Override
  public Set<String> needs(SiftConf conf) {
    Set<String> columns = new java.util.HashSet<>();
    if (near(conf) || hasReference(conf)) {
      columns.add(Columns.PHASH);
    }
    if (semantic(conf)) {
      columns.add(Columns.IMAGE_EMBEDDING);
    }
    return columns;
  }

  @Override
  public List<Map<String, Object>> check(StageContext ctx) {
    SiftConf conf = ctx.conf();
    if ((near(conf) || hasReference(conf))
        && !(ctx.runs(DecodeStage.NAME) && ctx.input().hasImage())) {
      throw new SiftUserException(
          (near(conf) ? "sift.dedup.near.enabled" : "sift.dedup.reference")
              + " needs decoded images: map sift.input.columns.image and keep"
              + " sift.decode.enabled = true, or set sift.dedup.near.enabled = false");
    }
    if (semantic(conf) && !ctx.runs(ScoreStage.NAME)) {
      throw new SiftUserException(
          "sift.dedup.semantic.enabled = true needs CLIP image embeddings: set"
              + " sift.score.enabled = true and sift.score.model, or set"
              + " sift.dedup.semantic.enabled = false");
    }
    if (hasReference(conf)) {
      reference =
          ReferenceImages.load(
              ctx.spark(),
              conf,
              bands(conf),
              semantic(conf) ? 1 - conf.get(SiftKeys.DEDUP_SEMANTIC_EPS) : Double.NaN);
    }
    return List.of();
  }

  static HashBands bands(SiftConf conf) {
    int k = conf.get(SiftKeys.DEDUP_NEAR_MAX_DISTANCE);
    int m = conf.get(SiftKeys.DEDUP_NEAR_BANDS);
    return m == 0 ? HashBands.forDistance(k) : HashBands.of(k, m);
  }

  @Override
  public Dataset<Row> apply(Dataset<Row> rows, StageContext ctx) {
    SiftConf conf = ctx.conf();
    // Every kind reads the scored rows again: score them once.
    rows = ctx.persist(rows);
    if (reference != null) {
      rows = againstReference(rows);
    }
    if (near(conf)) {
      rows = nearDuplicates(rows, ctx);
    }
    if (semantic(conf)) {
      SemanticDedup semantic = new SemanticDedup(conf, priorityKind(conf, ctx));
      Dataset<Row> table = ctx.persist(semantic.removals(rows, ctx.spark()));
      rows = judge(rows, table, Reject.SEMANTIC_DUPLICATE, "semantic", ctx);
      @SuppressWarnings("unchecked")
      Map<String, Object> section = (Map<String, Object>) figures.get("semantic");
      Map<String, Object> merged = new LinkedHashMap<>(semantic.describe());
      merged.putAll(section);
      figures.put("semantic", merged);
      if (!conf.get(SiftKeys.SCORE_WRITE_EMBEDDINGS)) {
        rows = rows.drop(Columns.IMAGE_EMBEDDING);
      }
    }
    return rows;
  }

  /**
   * Rejects rows near a reference image: by pHash, and with semantic dedup also by CLIP image
   * embedding (similarity at least {@code 1 - eps}).
   */
  private Dataset<Row> againstReference(Dataset<Row> rows) {
    String match = Columns.INTERNAL_PREFIX + "reference_match";
    rows =
        rows.withColumn(match, when(alive(), reference.hashes().udf().apply(col(Columns.PHASH))));
    Column m = col(match);
    rows =
        Verdicts.judge(
                rows,
                NAME,
                when(m.isNotNull(), lit(Reject.REFERENCE_OVERLAP.code())),
                functions.format_string(
                    "reference image %s, pHash distance %d",
                    m.getField("name"), m.getField("distance")))
            .drop(match);
    if (reference.embeddings() == null) {
      return rows;
    }
    rows =
        rows.withColumn(
            match, when(alive(), reference.embeddings().udf().apply(col(Columns.IMAGE_EMBEDDING))));
    return Verdicts.judge(
            rows,
            NAME,
            when(m.isNotNull(), lit(Reject.REFERENCE_OVERLAP.code())),
            functions.format_string(
                "reference image %s, cosine similarity %.4f",
                m.getField("name"), m.getField("similarity")))
        .drop(match);
  }

  /** The priority of near pairs: hard and easy need a centroid, which near pairs lack. */
  private static String priorityKind(SiftConf conf, StageContext ctx) {
    SiftKeys.DedupPriority p = conf.get(SiftKeys.DEDUP_PRIORITY);
    return p == SiftKeys.DedupPriority.ID || !ctx.runs(ScoreStage.NAME) ? "id" : ConfigKey.text(p);
  }

  /** Minus the CLIP score (lower sorts first and wins), +inf without one; 0 for {@code id}. */
  private static Column negPriority(String kind) {
    return kind.equals("id")
        ? lit(0.0)
        : functions.coalesce(
            functions.negate(col(Columns.CLIP_SCORE)), lit(Double.POSITIVE_INFINITY));
  }

  private Dataset<Row> nearDuplicates(Dataset<Row> rows, StageContext ctx) {
    SiftConf conf = ctx.conf();
    HashBands bands = bands(conf);
    String kind = priorityKind(conf, ctx);
    String nearKind = kind.equals("hard") || kind.equals("easy") ? "clip-score" : kind;
    Dataset<Row> hashes =
        rows.where(alive().and(col(Columns.PHASH).isNotNull()))
            .select(
                col(Columns.ID).as("id"),
                col(Columns.PHASH).as("h"),
                negPriority(nearKind).as("np"));
    Dataset<Row> table = ctx.persist(NearDuplicates.removals(hashes, bands));
    Map<String, Object> near = new LinkedHashMap<>();
    near.put("max_distance", bands.distance());
    near.put("bands", bands.bands());
    near.put("band_radius", bands.radius());
    near.put("priority", nearKind);
    figures.put("near", near);
    return judge(rows, table, Reject.NEAR_DUPLICATE, "near", ctx);
  }

  /**
   * Judges by a removal table ({@link Removals}, plus a {@code value}: distance or similarity) and
   * records, under {@code kind}, the rows removed, the histogram of the values and example pairs.
   */
  private Dataset<Row> judge(
      Dataset<Row> rows, Dataset<Row> table, Reject reason, String kind, StageContext ctx) {
    ctx.spark().sparkContext().setJobDescription("sift: " + kind + " duplicates");
    long removed = table.count();
    @SuppressWarnings("unchecked")
    Map<String, Object> section =
        (Map<String, Object>)
            figures.computeIfAbsent(kind, k -> new LinkedHashMap<String, Object>());
    section.put("removed", removed);
    Map<String, Long> histogram = new TreeMap<>();
    for (Row r :
        table
            .groupBy(functions.format_number(col("value"), kind.equals("near") ? 0 : 3).as("v"))
            .count()
            .collectAsList()) {
      histogram.put(r.getString(0), r.getLong(1));
    }
    section.put("histogram", histogram);
    List<Map<String, Object>> examples = new java.util.ArrayList<>();
    for (Row r : table.orderBy(col(Removals.REMOVED_ID)).limit(EXAMPLES).collectAsList()) {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("removed", r.getAs(Removals.REMOVED_ID));
      e.put("kept", r.getAs(Removals.KEPT_ID));
      e.put("value", r.getAs("value"));
      examples.add(e);
    }
    section.put("examples", examples);
    return Removals.judge(rows, table.drop("value"), removed, NAME, reason);
  }

  /** The figures of each kind that ran: rows removed, histograms, example pairs. */
  @Override
  public Map<String, Object> manifest(Dataset<Row> written, StageContext ctx) {
    Map<String, Object> dedup = new LinkedHashMap<>(figures);
    dedup.put("priority", ConfigKey.text(ctx.conf().get(SiftKeys.DEDUP_PRIORITY)));
    if (reference != null) {
      Map<String, Object> ref = new LinkedHashMap<>();
      ref.put("path", ctx.conf().get(SiftKeys.DEDUP_REFERENCE));
      ref.put("format", reference.format());
      ref.put("images", reference.hashes().size());
      ref.put("embedded", reference.embeddings() == null ? 0 : reference.embeddings().size());
      ref.put("undecodable", reference.undecodable());
      ref.put("removed", ctx.rejectedByReason().getOrDefault(Reject.REFERENCE_OVERLAP.code(), 0L));
      dedup.put("reference", ref);
    }
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("dedup", dedup);
    return section;
  }
}
