package dev.sift.jobs.config;

import dev.sift.curation.concepts.Semantics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The registry: every {@code sift.*} key, defined once with its default, documentation and check.
 * Loading ({@link ConfigLoader}), validation, the manifest and the generated reference ({@link
 * ConfigDocs}) all read this list; a key that is not here does not exist.
 *
 * <p>The keys named in docs/design.md ({@code sift.input.*}, {@code sift.output.*}, {@code
 * sift.device}, {@code sift.spark.master}, {@code sift.match.metadata}, {@code sift.balance.t},
 * {@code sift.balance.seed}, {@code sift.score.model}, {@code sift.recaption.model}) are relied on
 * by users' scripts: never rename them.
 */
public final class SiftKeys {
  private static final List<ConfigKey<?>> KEYS = new ArrayList<>();

  /** A WebDataset extension as the reader folds it; defined before the keys that check with it. */
  private static final Pattern EXTENSION = Pattern.compile("[a-z0-9_\\-]+(\\.[a-z0-9_\\-]+)*");

  private static <T> ConfigKey<T> register(ConfigKey<T> key) {
    KEYS.add(key);
    return key;
  }

  private static ConfigKey.Builder key(String name) {
    return ConfigKey.key(name);
  }

  // ---- the values of choice keys (written in lower case, _ as -) ----
  /** {@code INPUT_FORMAT}: How the input is stored. */
  public enum InputFormat {
    PARQUET,
    CSV,
    TSV,
    FILES,
    WEBDATASET
  }

  /** {@code WDS_ON_ERROR}: What a damaged WebDataset shard does to the run. */
  public enum OnShardError {
    FAIL,
    SKIP_REST
  }

  /** {@code OUTPUT_MODE}: What a run does with an output directory that holds something. */
  public enum OutputMode {
    ERROR,
    OVERWRITE,
    APPEND
  }

  /**
   * {@code OUTPUT_APPEND_CHANGED_INPUT}: Append mode: what an input file that changed after a batch
   * consumed it does.
   */
  public enum ChangedInput {
    ERROR,
    REPROCESS
  }

  /** {@code OUTPUT_FORMAT}: How accepted/ is written. */
  public enum OutputFormat {
    PARQUET,
    WEBDATASET
  }

  /** {@code DEVICE}: Where models run. */
  public enum Device {
    AUTO,
    CPU,
    CUDA,
    TENSORRT,
    TENSORRT_FP16
  }

  /** {@code MODELS_LOCAL_PATHS}: How a model path on the driver's disk reaches executors. */
  public enum LocalPaths {
    SHIP,
    SHARED
  }

  /** {@code MATCH_LANGUAGE_DETECTION}: When captions' languages are detected. */
  public enum LanguageDetection {
    AUTO,
    ALWAYS,
    OFF
  }

  /** {@code MATCH_DETECT_ACCURACY}: Which of Lingua's models language detection loads. */
  public enum DetectAccuracy {
    HIGH,
    LOW
  }

  /** {@code DECODE_VERIFY}: How much of an image the decode stage reads. */
  public enum DecodeVerify {
    FULL,
    HEADER
  }

  /** {@code DECODE_MODE}: How JPEGs are decoded for the model. */
  public enum DecodeMode {
    EXACT,
    FAST
  }

  /** {@code DEDUP_PRIORITY}: Which row of a duplicate set stays. */
  public enum DedupPriority {
    CLIP_SCORE,
    ID,
    HARD,
    EASY
  }

  /** {@code RECAPTION_CHOOSE}: Which caption a re-captioned row keeps. */
  public enum RecaptionChoice {
    ORIGINAL,
    SYNTHETIC,
    BEST,
    BOTH
  }

  // ---- input ----
  public static final ConfigKey<String> INPUT_PATH =
      register(
          key("sift.input.path")
              .doc(
                  "Input file or directory: local, hdfs:// or s3a://. Shorthand: --input."
                      + " Required by every command that reads rows.")
              .string(null));
  public static final ConfigKey<InputFormat> INPUT_FORMAT =
      register(
          key("sift.input.format")
              .doc(
                  "Input layout: Parquet, CSV or TSV with a header row (text-only runs),"
                      + " img2dataset's `files` layout (NNNNN/NNNNNNNNN.jpg + .txt + .json), or"
                      + " WebDataset tar shards (`webdataset`: sift.input.webdataset.*).")
              .choice(InputFormat.PARQUET));
  public static final ConfigKey<String> COLUMN_ID =
      register(
          key("sift.input.columns.id")
              .doc(
                  "Input column holding the row id (string or integer). Empty, or absent from"
                      + " the input while left at its default: ids are derived from url, caption"
                      + " and image bytes.")
              .string("id"));
  public static final ConfigKey<String> COLUMN_CAPTION =
      register(
          key("sift.input.columns.caption")
              .doc("Input column holding the caption (alt-text). Required.")
              .string("caption"));
  public static final ConfigKey<String> COLUMN_IMAGE =
      register(
          key("sift.input.columns.image")
              .doc(
                  "Input column holding the image bytes (binary). Empty, or absent while left at"
                      + " its default: a text-only run, and the decode stage is skipped.")
              .string("image"));
  public static final ConfigKey<String> COLUMN_URL =
      register(
          key("sift.input.columns.url")
              .doc("Input column holding the image URL (string). Optional.")
              .string("url"));
  public static final ConfigKey<String> COLUMN_WIDTH =
      register(
          key("sift.input.columns.width")
              .doc("Input column holding the image width (integer). Optional; the probe wins.")
              .string("width"));
  public static final ConfigKey<String> COLUMN_HEIGHT =
      register(
          key("sift.input.columns.height")
              .doc("Input column holding the image height (integer). Optional; the probe wins.")
              .string("height"));
  public static final ConfigKey<String> COLUMN_LANGUAGE =
      register(
          key("sift.input.columns.language")
              .doc(
                  "Input column holding each caption's language code (string: en, de, zh, …, as"
                      + " per-language concept lists are named). Optional; needed when"
                      + " sift.match.metadata is a directory of per-language lists.")
              .string("language"));

  public static final ConfigKey<String> WDS_IMAGE =
      register(
          key("sift.input.webdataset.image")
              .doc(
                  "WebDataset: the member extensions (lower-case, comma-separated) that may hold a"
                      + " sample's image; the first present is read. A sample with none is"
                      + " rejected as decode/no_image.")
              .string(
                  "jpg,jpeg,png,webp",
                  SiftKeys::validExtensions,
                  "extensions such as jpg,jpeg,png,webp: lower-case, no dots at either end,"
                      + " comma-separated"));
  public static final ConfigKey<String> WDS_CAPTION =
      register(
          key("sift.input.webdataset.caption")
              .doc(
                  "WebDataset: where a sample's caption is: a member extension (`txt`, read as"
                      + " UTF-8) or `json:FIELD`, a string field of the `json` member. A sample"
                      + " without it is rejected as text/no_caption.")
              .string("txt", SiftKeys::validCaption, "an extension such as txt, or json:FIELD"));
  public static final ConfigKey<OnShardError> WDS_ON_ERROR =
      register(
          key("sift.input.webdataset.on-error")
              .doc(
                  "WebDataset: what a damaged shard (truncated, not a tar file) does. `fail`: the"
                      + " run fails (exit 2) naming the shard and the byte offset. `skip-rest`: the"
                      + " samples before the damage are kept, the sample being read is rejected"
                      + " as read/damaged_shard, and the manifest lists the shard under"
                      + " input.damaged_shards.")
              .choice(OnShardError.FAIL));
  public static final ConfigKey<Integer> WDS_SCHEMA_SAMPLES =
      register(
          key("sift.input.webdataset.json-schema-samples")
              .doc(
                  "WebDataset: the `json` members (from the first shard) whose fields are typed"
                      + " on the driver to become pass-through columns; a field no sample among"
                      + " them has does not become a column.")
              .integer(1000, 1, 1_000_000));
  public static final ConfigKey<Boolean> WDS_FAILED_DOWNLOADS =
      register(
          key("sift.input.webdataset.failed-downloads")
              .doc(
                  "WebDataset: also read img2dataset's Parquet beside each shard (NNNNN.parquet"
                      + " beside NNNNN.tar, which lists every row of the shard's input): its rows"
                      + " whose status is not `success` (failed downloads, not in the shard)"
                      + " become input rows rejected as read/download_failed, with img2dataset's"
                      + " error_message as the detail. A shard without one is logged (WARN) and"
                      + " listed in the manifest's input.failed_downloads.")
              .bool(false));

  // ---- output ----
  public static final ConfigKey<String> OUTPUT_PATH =
      register(
          key("sift.output.path")
              .doc("Output directory (local, hdfs:// or s3a://). Shorthand: --output. Required.")
              .string(null));
  public static final ConfigKey<OutputMode> OUTPUT_MODE =
      register(
          key("sift.output.mode")
              .doc(
                  "What to do when the output directory already holds something: `error` refuses"
                      + " and exits 2; `overwrite` deletes it first (the manifest goes first, so"
                      + " a half-deleted output never looks complete); `append` adds one committed"
                      + " batch under batches/ for the input files its ledger does not hold yet,"
                      + " none when nothing is new (docs/scheduled-runs.md). Every mode takes the"
                      + " output's _LOCK while it writes.")
              .choice(OutputMode.ERROR));
  public static final ConfigKey<ChangedInput> OUTPUT_APPEND_CHANGED_INPUT =
      register(
          key("sift.output.append.changed-input")
              .doc(
                  "Append mode, an input file whose length or modification time differs from"
                      + " what the ledger recorded: `error` exits 2 naming it; `reprocess` reads"
                      + " it again into the new batch (the earlier batch keeps its rows).")
              .choice(ChangedInput.ERROR));
  public static final ConfigKey<Duration> OUTPUT_LOCK_SETTLE =
      register(
          key("sift.output.lock.settle")
              .doc(
                  "On object stores (s3a), which have no exclusive create: how long a new _LOCK is"
                      + " left before it is read back and kept only if it still names this run."
                      + " Local and HDFS outputs create the lock exclusively and do not wait.")
              .duration(Duration.ofSeconds(2), Duration.ZERO));
  public static final ConfigKey<String> TEST_HOOK =
      register(
          key("sift.test.hook")
              .doc(
                  "For Sift's own tests; leave unset. `pause:POINT:FILE` creates FILE and stops"
                      + " at POINT (score, write, commit) until the process is killed;"
                      + " `fail-once:POINT` (score, write, shards) fails the first attempt of"
                      + " one task there.")
              .string(null));
  public static final ConfigKey<Boolean> OUTPUT_IMAGE_BYTES =
      register(
          key("sift.output.image-bytes")
              .doc("Write the image bytes column to accepted/ and rejected/.")
              .bool(true));
  public static final ConfigKey<OutputFormat> OUTPUT_FORMAT =
      register(
          key("sift.output.format")
              .doc(
                  "How accepted/ is written. `parquet`: Parquet part files. `webdataset`: tar"
                      + " shards accepted/NNNNN.tar (KEY.json, KEY.txt, KEY.<image format>; rows"
                      + " sorted by id) each beside accepted/NNNNN.parquet with the same rows'"
                      + " columns except the image bytes (docs/webdataset.md, Output). rejected/"
                      + " stays Parquet.")
              .choice(OutputFormat.PARQUET));
  public static final ConfigKey<Integer> OUTPUT_SHARD_SIZE =
      register(
          key("sift.output.shard-size")
              .doc(
                  "With sift.output.format = webdataset: samples per shard; the last shard holds"
                      + " the rest.")
              .integer(10_000, 1, Integer.MAX_VALUE));

  // ---- runtime ----
  public static final ConfigKey<Device> DEVICE =
      register(
          key("sift.device")
              .doc(
                  "Where models run: `cuda` needs ONNX Runtime's CUDA provider (the gpu build)"
                      + " and fails at start-up without it; `tensorrt` runs them through"
                      + " TensorRT (CUDA for the nodes it cannot take; engines cached in"
                      + " $SIFT_TENSORRT_CACHE or the executor's java.io.tmpdir), `tensorrt-fp16`"
                      + " lets TensorRT use float16; `auto` uses CUDA when present and otherwise"
                      + " the CPU, with one warning.")
              .choice(Device.AUTO));
  public static final ConfigKey<LocalPaths> MODELS_LOCAL_PATHS =
      register(
          key("sift.models.local-paths")
              .doc(
                  "How a model path on the driver's own disk (sift.score.model,"
                      + " sift.recaption.model, sift.score.heads) reaches executors of a cluster"
                      + " master (standalone, YARN, Kubernetes): `ship` packs it on the driver"
                      + " into one tar archive that Spark hands to every executor"
                      + " (SparkContext.addArchive); `shared` uses it where it is, for a disk"
                      + " every executor mounts at the same path (NFS, a baked image). Relative"
                      + " paths are made absolute on the driver at start-up either way. A local"
                      + " master (local[*]) always uses the path where it is.")
              .choice(LocalPaths.SHIP));
  public static final ConfigKey<String> SPARK_MASTER =
      register(
          key("sift.spark.master")
              .doc(
                  "Spark master for runs outside spark-submit (bin/sift without SPARK_HOME)."
                      + " Ignored when spark-submit already set one.")
              .string("local[*]"));
  public static final ConfigKey<Duration> PROGRESS_INTERVAL =
      register(
          key("sift.progress.interval")
              .doc("How often the driver logs progress (rows done and rows/s per stage).")
              .duration(Duration.ofSeconds(30), Duration.ofMillis(100)));

  // ---- text ----
  public static final ConfigKey<Boolean> TEXT_ENABLED =
      register(
          key("sift.text.enabled")
              .doc(
                  "Run the text stage: normalise captions (HTML entities, tags, Unicode NFC,"
                      + " control characters, whitespace) and apply the text filters.")
              .bool(true));
  public static final ConfigKey<Boolean> TEXT_STRIP_TAGS =
      register(
          key("sift.text.strip-html-tags")
              .doc("Remove HTML tags such as <b> or <br/> from captions.")
              .bool(true));
  public static final ConfigKey<Integer> TEXT_MIN_CHARS =
      register(
          key("sift.text.min-chars")
              .doc("Reject captions with fewer Unicode characters than this (too_short).")
              .integer(2, 1, Integer.MAX_VALUE));
  public static final ConfigKey<Integer> TEXT_MAX_CHARS =
      register(
          key("sift.text.max-chars")
              .doc("Reject captions with more Unicode characters than this (too_long).")
              .integer(1000, 1, Integer.MAX_VALUE));
  public static final ConfigKey<Integer> TEXT_MIN_WORDS =
      register(
          key("sift.text.min-words")
              .doc(
                  "Reject captions with fewer space-separated words (too_few_words). Captions in"
                      + " scripts written without spaces count as one word.")
              .integer(1, 0, Integer.MAX_VALUE));
  public static final ConfigKey<Integer> TEXT_MAX_WORDS =
      register(
          key("sift.text.max-words")
              .doc("Reject captions with more words than this (too_many_words).")
              .integer(200, 1, Integer.MAX_VALUE));

  // ---- match ----
  public static final ConfigKey<Boolean> MATCH_ENABLED =
      register(
          key("sift.match.enabled")
              .doc(
                  "Run MetaCLIP concept matching in curate: rows whose caption matches no entry"
                      + " of sift.match.metadata are rejected (no_concept); matched entries go to"
                      + " the concepts column and concept_counts/. The match command always"
                      + " matches.")
              .bool(false));
  public static final ConfigKey<String> MATCH_METADATA =
      register(
          key("sift.match.metadata")
              .doc(
                  "Concept list: a JSON array of strings (MetaCLIP's metadata.json; an entry's id"
                      + " is its position) or a text file with one entry per line; or a directory"
                      + " of per-language lists <lang>.json / <lang>.txt (MetaCLIP 2), matched by"
                      + " each row's language (sift.input.columns.language). Any Hadoop file"
                      + " system. Required when matching runs.")
              .string(null));
  public static final ConfigKey<Semantics> MATCH_SEMANTICS =
      register(
          key("sift.match.semantics")
              .doc(
                  "Which MetaCLIP's match rule to reproduce (README, Concept matching): metaclip1"
                      + " spaces every entry on both sides; metaclip2 leaves no space beside a"
                      + " CJK, Thai-like or punctuation character and strips the caption first.")
              .choice(Semantics.METACLIP2));
  public static final ConfigKey<LanguageDetection> MATCH_LANGUAGE_DETECTION =
      register(
          key("sift.match.language-detection")
              .doc(
                  "Per-language lists only: where each caption's language comes from. `auto`"
                      + " takes sift.input.columns.language where the input has it and the value"
                      + " is not blank, and detects it from the caption otherwise; `always`"
                      + " detects every caption; `off` never detects (a missing column is a"
                      + " start-up error, a blank value is `other`).")
              .choice(LanguageDetection.AUTO));
  public static final ConfigKey<String> MATCH_DETECT_LANGUAGES =
      register(
          key("sift.match.detect.languages")
              .doc(
                  "Languages the detector may answer, ISO 639-1 or 639-3 codes joined by commas"
                      + " (en,de,ja). Empty: all 75 it knows. A detected language without a list"
                      + " becomes `other`. Fewer languages load faster and use less memory.")
              .string(""));
  public static final ConfigKey<Double> MATCH_DETECT_MIN_DISTANCE =
      register(
          key("sift.match.detect.min-distance")
              .doc(
                  "How much likelier the best language must be than the second before the"
                      + " detector answers (Lingua's relative distance): 0 always answers; higher"
                      + " values turn close calls into `other`.")
              .number(0.0, 0.0, 0.99));
  public static final ConfigKey<DetectAccuracy> MATCH_DETECT_ACCURACY =
      register(
          key("sift.match.detect.accuracy")
              .doc(
                  "`high`: all of Lingua's n-gram models, up to ~1.5 GB of heap per executor for"
                      + " all languages, loaded as languages are met; `low`: trigrams only, ~100 MB"
                      + " and ~3x faster, but much worse on captions of a few words.")
              .choice(DetectAccuracy.HIGH));

  // ---- metadata (build-metadata) ----
  public static final ConfigKey<String> METADATA_UNIGRAMS =
      register(
          key("sift.metadata.unigrams")
              .doc(
                  "build-metadata: a TSV of Wikipedia unigrams and their counts (entry<TAB>count)"
                      + " to add after WordNet.")
              .string(null));
  public static final ConfigKey<Long> METADATA_MIN_UNIGRAM_COUNT =
      register(
          key("sift.metadata.min-unigram-count")
              .doc("build-metadata: keep unigrams counted at least this often (MetaCLIP: 100).")
              .longInteger(100L, 0L, Long.MAX_VALUE));
  public static final ConfigKey<String> METADATA_BIGRAMS =
      register(
          key("sift.metadata.bigrams")
              .doc("build-metadata: a TSV of bigrams and their PMI (entry<TAB>pmi).")
              .string(null));
  public static final ConfigKey<Double> METADATA_MIN_BIGRAM_PMI =
      register(
          key("sift.metadata.min-bigram-pmi")
              .doc("build-metadata: keep bigrams with at least this PMI (MetaCLIP: 30).")
              .number(30.0, -Double.MAX_VALUE, Double.MAX_VALUE));
  public static final ConfigKey<String> METADATA_TITLES =
      register(
          key("sift.metadata.titles")
              .doc(
                  "build-metadata: a TSV of Wikipedia titles and their summed pageviews"
                      + " (entry<TAB>views).")
              .string(null));
  public static final ConfigKey<Long> METADATA_MIN_TITLE_VIEWS =
      register(
          key("sift.metadata.min-title-views")
              .doc("build-metadata: keep titles with at least this many pageviews (MetaCLIP: 70).")
              .longInteger(70L, 0L, Long.MAX_VALUE));
  public static final ConfigKey<String> METADATA_EXTRA =
      register(
          key("sift.metadata.extra")
              .doc(
                  "build-metadata: a concept file of your own (JSON array or one entry per line),"
                      + " added last.")
              .string(null));

  // ---- balance ----
  public static final ConfigKey<Boolean> BALANCE_ENABLED =
      register(
          key("sift.balance.enabled")
              .doc(
                  "Run MetaCLIP balancing in curate (needs matching): rows whose concepts are all"
                      + " over-represented are sampled down; the rest are rejected"
                      + " (balanced_out).")
              .bool(false));
  public static final ConfigKey<Long> BALANCE_T =
      register(
          key("sift.balance.t")
              .doc(
                  "MetaCLIP's threshold t: a concept matched by more rows than t keeps each with"
                      + " probability t/count. MetaCLIP used 20,000 for a 1.6B pool (400M kept)"
                      + " and 170,000 for 2.5B; raise t when lossy stages (decode, score filter)"
                      + " run after balancing.")
              .longInteger(20_000L, 1L, Long.MAX_VALUE));
  public static final ConfigKey<Long> BALANCE_SEED =
      register(
          key("sift.balance.seed")
              .doc("Seed of the deterministic per-row draw (a hash of row id and seed).")
              .longInteger(0L, Long.MIN_VALUE, Long.MAX_VALUE));

  // ---- decode ----
  public static final ConfigKey<Boolean> DECODE_ENABLED =
      register(
          key("sift.decode.enabled")
              .doc(
                  "Run the decode stage on rows that have an image column: probe format and"
                      + " size, reject unreadable, missing, too small, too large and extreme"
                      + " images.")
              .bool(true));
  public static final ConfigKey<DecodeVerify> DECODE_VERIFY =
      register(
          key("sift.decode.verify")
              .doc(
                  "`header` reads format and size only (fast; a truncated file passes); `full`"
                      + " also decodes the pixels once, subsampled, so truncated and corrupt"
                      + " files are rejected as decode_error.")
              .choice(DecodeVerify.FULL));
  public static final ConfigKey<DecodeMode> DECODE_MODE =
      register(
          key("sift.decode.mode")
              .doc(
                  "exact: decode as Pillow does (the golden pixels). fast: a JPEG at least twice"
                      + " the model's input size is decoded at 1/2, 1/4 or 1/8 scale in the DCT"
                      + " domain by the system's libjpeg-turbo (libturbojpeg0), several times"
                      + " faster; pixels drift a little (mean 0.002-0.006 on the fixtures, README)."
                      + " CMYK JPEGs are scaled too; other formats and machines without the"
                      + " library decode exactly.")
              .choice(DecodeMode.EXACT));
  public static final ConfigKey<Integer> DECODE_MIN_SIZE =
      register(
          key("sift.decode.min-size")
              .doc("Reject images whose shorter side is below this many pixels (too_small).")
              .integer(32, 1, Integer.MAX_VALUE));
  public static final ConfigKey<Double> DECODE_MAX_ASPECT =
      register(
          key("sift.decode.max-aspect")
              .doc("Reject images whose longer side over shorter side exceeds this (aspect).")
              .number(3.0, 1.0, Double.MAX_VALUE));
  public static final ConfigKey<Long> DECODE_MAX_PIXELS =
      register(
          key("sift.decode.max-pixels")
              .doc(
                  "Reject images with more pixels than this before decoding them (too_large):"
                      + " the decompression-bomb guard. The default is PIL's.")
              .longInteger(89_478_485L, 1L, Long.MAX_VALUE));

  // ---- score ----
  public static final ConfigKey<Boolean> SCORE_ENABLED =
      register(
          key("sift.score.enabled")
              .doc(
                  "Run CLIP scoring: decode every image, embed it and its caption with"
                      + " sift.score.model, write the cosine as clip_score.")
              .bool(false));
  public static final ConfigKey<String> SCORE_MODEL =
      register(
          key("sift.score.model")
              .doc(
                  "CLIP model directory: vision_model.onnx + text_model.onnx (Hugging Face /"
                      + " Optimum) or visual.onnx + textual.onnx (OpenCLIP), with tokenizer.json"
                      + " and preprocessor_config.json. A path on a cluster file system (s3a://, hdfs://,"
                      + " any Hadoop scheme) is shipped to the executors by Spark"
                      + " (SparkContext.addFile); a local path as sift.models.local-paths says.")
              .string(null));
  public static final ConfigKey<Integer> SCORE_BATCH_SIZE =
      register(
          key("sift.score.batch-size")
              .doc("Rows per model call in each partition.")
              .integer(256, 1, 65_536));

  public static final ConfigKey<Integer> SCORE_THREADS =
      register(
          key("sift.score.threads")
              .doc(
                  "ONNX Runtime threads per task on the CPU (0: ONNX Runtime's default, one per"
                      + " core, which oversubscribes an executor running several tasks).")
              .integer(1, 0, 1024));

  public static final ConfigKey<Boolean> SCORE_WRITE_EMBEDDINGS =
      register(
          key("sift.score.write-embeddings")
              .doc(
                  "Write each scored row's L2-normalised image and text embeddings as"
                      + " image_embedding and text_embedding: binary, float16 little-endian"
                      + " (2 bytes x the model's dimension); null for rows not scored.")
              .bool(false));
  public static final ConfigKey<Map<String, Object>> SCORE_HEADS =
      register(
          key("sift.score.heads")
              .doc(
                  "Heads on the image embedding: name -> ONNX file, e.g. { aesthetic ="
                      + " \"/models/aesthetic.onnx\" }. Each file takes the L2-normalised image"
                      + " embedding [N, D] and gives one value per row ([N] or [N, 1]); each head's"
                      + " value is written to head_<name>. Every image is embedded once and every"
                      + " head reads that embedding. Filter on them with sift.filter.heads. Files"
                      + " on a cluster file system are shipped by Spark, as sift.score.model.")
              .object(
                  "an object of name = \"file.onnx\", names of lower-case letters, digits and _",
                  SiftKeys::headFilesProblem));
  public static final ConfigKey<Integer> SCORE_DECODE_THREADS =
      register(
          key("sift.score.decode-threads")
              .doc(
                  "Image-decode threads per executor JVM, shared by its tasks; they decode the next"
                      + " batch while the model runs on this one (0: one per core).")
              .integer(0, 0, 1024));
  public static final ConfigKey<Integer> SCORE_PREFETCH_BATCHES =
      register(
          key("sift.score.prefetch-batches")
              .doc(
                  "Batches each task decodes ahead of the model (0: decode, then run, in turn)."
                      + " Each costs one batch of pixels in memory (batch-size x 602 KB at 224 px).")
              .integer(1, 0, 16));
  public static final ConfigKey<Integer> SCORE_GPU_CONCURRENCY =
      register(
          key("sift.score.gpu-concurrency")
              .doc(
                  "Model calls that may run at once on one executor's GPU (a semaphore held per"
                      + " call; tasks keep decoding while they wait).")
              .integer(2, 1, 256));

  // ---- dedup ----
  public static final ConfigKey<Boolean> DEDUP_ENABLED =
      register(
          key("sift.dedup.enabled")
              .doc(
                  "Remove duplicates in curate: exact (same image bytes) right after the text"
                      + " stage, near (perceptual hash) and semantic (SemDeDup on CLIP image"
                      + " embeddings) after scoring and before re-captioning, and near-duplicates"
                      + " of sift.dedup.reference. Of each set of duplicates the row with the"
                      + " highest priority (sift.dedup.priority) stays; every other goes to"
                      + " rejected/ naming the kept id (docs/dedup.md).")
              .bool(false));
  public static final ConfigKey<Boolean> DEDUP_EXACT_ENABLED =
      register(
          key("sift.dedup.exact.enabled")
              .doc(
                  "Exact dedup (exact_duplicate): rows with identical image bytes (SHA-256), before"
                      + " any decoding. Before scoring, the smallest id of each set is kept.")
              .bool(true));
  public static final ConfigKey<Boolean> DEDUP_EXACT_URL =
      register(
          key("sift.dedup.exact.url")
              .doc(
                  "Also treat rows with the same normalised URL (scheme and host lower-cased,"
                      + " default port and fragment dropped) as exact duplicates.")
              .bool(false));
  public static final ConfigKey<String> DEDUP_EXACT_HASH_COLUMN =
      register(
          key("sift.dedup.exact.hash-column")
              .doc(
                  "An input column holding a hash of each image's bytes (img2dataset's sha256),"
                      + " used instead of hashing the bytes: exact dedup then needs no image"
                      + " column. Empty: hash the image column.")
              .string(null));
  public static final ConfigKey<Boolean> DEDUP_NEAR_ENABLED =
      register(
          key("sift.dedup.near.enabled")
              .doc(
                  "Near-duplicate dedup (near_duplicate): a 64-bit pHash of every decoded image,"
                      + " written as the phash column; rows within sift.dedup.near.max-distance"
                      + " bits are duplicates.")
              .bool(true));
  public static final ConfigKey<Integer> DEDUP_NEAR_MAX_DISTANCE =
      register(
          key("sift.dedup.near.max-distance")
              .doc(
                  "Largest Hamming distance between two pHashes that makes them near-duplicates"
                      + " (and a row a near-duplicate of a reference image).")
              .integer(4, 0, 16));
  public static final ConfigKey<Integer> DEDUP_NEAR_BANDS =
      register(
          key("sift.dedup.near.bands")
              .doc(
                  "Bands the 64 bits are split into for the candidate join (multi-index"
                      + " hashing); 0 chooses by max-distance (docs/dedup.md).")
              .integer(0, 0, 17));
  public static final ConfigKey<Boolean> DEDUP_SEMANTIC_ENABLED =
      register(
          key("sift.dedup.semantic.enabled")
              .doc(
                  "Semantic dedup (semantic_duplicate), SemDeDup: k-means on the normalised CLIP"
                      + " image embeddings of the score stage, then every pair inside a cluster"
                      + " with cosine similarity at least 1 - sift.dedup.semantic.eps. Needs"
                      + " sift.score.enabled.")
              .bool(true));
  public static final ConfigKey<Double> DEDUP_SEMANTIC_EPS =
      register(
          key("sift.dedup.semantic.eps")
              .doc(
                  "SemDeDup's epsilon (NeMo Curator's name): pairs with cosine similarity >= 1 -"
                      + " eps are duplicates. The default keeps to near-identical images under a"
                      + " trained CLIP; SemDeDup removed far more of LAION with larger values.")
              .number(0.01, 0.0, 1.0));
  public static final ConfigKey<Integer> DEDUP_SEMANTIC_CLUSTER_SIZE =
      register(
          key("sift.dedup.semantic.cluster-size")
              .doc(
                  "Target rows per cluster whose pairs are all compared. Clusters come from two"
                      + " levels of k-means (about sqrt(rows / size) each), so the work grows"
                      + " linearly with the rows; larger finds more pairs across cluster borders"
                      + " and costs more.")
              .integer(1000, 2, 1_000_000));
  public static final ConfigKey<Long> DEDUP_SEMANTIC_SEED =
      register(
          key("sift.dedup.semantic.seed")
              .doc("Seed of the k-means initialisation and of the level-1 sample.")
              .longInteger(0L, Long.MIN_VALUE, Long.MAX_VALUE));
  public static final ConfigKey<Integer> DEDUP_SEMANTIC_ITERATIONS =
      register(
          key("sift.dedup.semantic.iterations")
              .doc("Most Lloyd iterations of each k-means.")
              .integer(20, 1, 1000));
  public static final ConfigKey<DedupPriority> DEDUP_PRIORITY =
      register(
          key("sift.dedup.priority")
              .doc(
                  "Which row of a set of near or semantic duplicates stays: `clip-score` (the"
                      + " highest), `id` (the smallest), or SemDeDup's `hard` (farthest from its"
                      + " cluster's centroid) or `easy` (closest), which apply to semantic pairs;"
                      + " near pairs then use clip-score. Ties: the smallest id.")
              .choice(DedupPriority.CLIP_SCORE));
  public static final ConfigKey<String> DEDUP_REFERENCE =
      register(
          key("sift.dedup.reference")
              .doc(
                  "Reference images to keep out of the result (e.g. evaluation sets, as DataComp"
                      + " does): a directory of image files or a Parquet file or directory with an"
                      + " `image` binary column. Rows within sift.dedup.near.max-distance of a"
                      + " reference pHash are rejected (reference_overlap); with semantic dedup on,"
                      + " so are rows whose CLIP image embedding is within 1 - eps of a reference"
                      + " image's.")
              .string(null));

  // ---- recaption ----
  public static final ConfigKey<Boolean> RECAPTION_ENABLED =
      register(
          key("sift.recaption.enabled")
              .doc(
                  "Re-caption images whose caption is poor (sift.recaption.when) with an"
                      + " image-to-text model, score the new caption with the CLIP model, and keep"
                      + " a caption by sift.recaption.choose. Needs sift.score.")
              .bool(false));
  public static final ConfigKey<String> RECAPTION_MODEL =
      register(
          key("sift.recaption.model")
              .doc(
                  "Captioner model directory (ONNX, Optimum encoder-decoder layout:"
                      + " encoder_model.onnx, decoder_model.onnx, optionally"
                      + " decoder_with_past_model.onnx or decoder_model_merged.onnx, with"
                      + " tokenizer.json and preprocessor_config.json). Local, or on a cluster"
                      + " file system and shipped by Spark, as sift.score.model.")
              .string(null));
  public static final ConfigKey<String> RECAPTION_WHEN =
      register(
          key("sift.recaption.when")
              .doc(
                  "Which rows get a synthetic caption, one or several joined by commas: always;"
                      + " below-score (the original caption's CLIP score is below"
                      + " sift.recaption.below-score); filtered-caption (the text filters"
                      + " rejected the caption: the image is kept if its new caption is chosen).")
              .choices("always", "always", "below-score", "filtered-caption"));
  public static final ConfigKey<Double> RECAPTION_BELOW_SCORE =
      register(
          key("sift.recaption.below-score")
              .doc("The CLIP score under which when = below-score re-captions a row.")
              .number(0.28, -1.0, 1.0));
  public static final ConfigKey<RecaptionChoice> RECAPTION_CHOOSE =
      register(
          key("sift.recaption.choose")
              .doc(
                  "Which caption a re-captioned row keeps: original; synthetic; best (the higher"
                      + " CLIP score of the two); both (caption = the best, and both stay in"
                      + " original_caption and synthetic_caption). caption_source says which"
                      + " was kept; the filter stage judges the kept caption's score.")
              .choice(RecaptionChoice.BEST));
  public static final ConfigKey<Integer> RECAPTION_BATCH_SIZE =
      register(
          key("sift.recaption.batch-size")
              .doc("Images per generation batch in each partition.")
              .integer(32, 1, 4096));
  public static final ConfigKey<Integer> RECAPTION_NUM_BEAMS =
      register(
          key("sift.recaption.num-beams")
              .doc("Beams of beam search (1: greedy).")
              .integer(1, 1, 64));
  public static final ConfigKey<Double> RECAPTION_LENGTH_PENALTY =
      register(
          key("sift.recaption.length-penalty")
              .doc(
                  "Beam search ranks a sequence by its log-probability / length^penalty (> 1"
                      + " favours longer captions).")
              .number(1.0, -10.0, 10.0));
  public static final ConfigKey<Integer> RECAPTION_MAX_NEW_TOKENS =
      register(
          key("sift.recaption.max-new-tokens")
              .doc("Most tokens generated per caption.")
              .integer(30, 1, 1024));
  public static final ConfigKey<Integer> RECAPTION_MIN_NEW_TOKENS =
      register(
          key("sift.recaption.min-new-tokens")
              .doc("Fewest tokens generated before the stop token is allowed.")
              .integer(0, 0, 1024));
  public static final ConfigKey<Double> RECAPTION_REPETITION_PENALTY =
      register(
          key("sift.recaption.repetition-penalty")
              .doc(
                  "Penalty on tokens already generated (CTRL's rule, as Hugging Face applies it;"
                      + " 1: none).")
              .number(1.0, 0.01, 100.0));
  public static final ConfigKey<Integer> RECAPTION_NO_REPEAT_NGRAM_SIZE =
      register(
          key("sift.recaption.no-repeat-ngram-size")
              .doc("Never repeat an n-gram of this size in a caption (0: off).")
              .integer(0, 0, 64));
  public static final ConfigKey<String> RECAPTION_PROMPT =
      register(
          key("sift.recaption.prompt")
              .doc(
                  "Text the caption starts with, e.g. BLIP's \"a picture of\"; it is part of the"
                      + " generated caption.")
              .string(null));

  // ---- filter ----
  public static final ConfigKey<Boolean> FILTER_ENABLED =
      register(
          key("sift.filter.enabled")
              .doc(
                  "Run the CLIP-score filter (needs scoring): rows scoring below the threshold"
                      + " (sift.filter.min-score, or the cut of sift.filter.top-fraction) are"
                      + " rejected (low_clip_score).")
              .bool(false));
  public static final ConfigKey<Double> FILTER_MIN_SCORE =
      register(
          key("sift.filter.min-score")
              .doc("Keep rows whose CLIP score is at least this (LAION used 0.28).")
              .number(0.28, -1.0, 1.0));
  public static final ConfigKey<Map<String, Object>> FILTER_HEADS =
      register(
          key("sift.filter.heads")
              .doc(
                  "Bounds on head values, per head of sift.score.heads, e.g. { aesthetic { min ="
                      + " 5.0 }, nsfw { max = 0.5 } }: rows outside a bound, or without a value,"
                      + " are rejected (head_out_of_range). Applied with the CLIP-score threshold"
                      + " when sift.filter.enabled is true (set sift.filter.min-score = -1 to"
                      + " filter on heads alone).")
              .object(
                  "an object of name { min = number, max = number }", SiftKeys::headBoundsProblem));
  public static final ConfigKey<Double> FILTER_TOP_FRACTION =
      register(
          key("sift.filter.top-fraction")
              .doc(
                  "Keep this fraction of the scored rows, those with the highest CLIP scores"
                      + " (DataComp kept 0.3); 0 turns it off. The cut is a global quantile over"
                      + " every row that reaches the filter (Spark's approxQuantile, relative"
                      + " error sift.filter.quantile-error); when sift.filter.min-score is also"
                      + " set in the config, the higher of the two thresholds is used. The"
                      + " manifest records the threshold used.")
              .number(0.0, 0.0, 1.0));
  public static final ConfigKey<Double> FILTER_QUANTILE_ERROR =
      register(
          key("sift.filter.quantile-error")
              .doc(
                  "Relative error of the top-fraction quantile (Spark's approxQuantile: the cut's"
                      + " rank is within this fraction of the row count of the exact one); 0 is"
                      + " exact and costs a full sort.")
              .number(0.0001, 0.0, 0.1));

  // ---- report ----
  public static final ConfigKey<Boolean> REPORT_ENABLED =
      register(
          key("sift.report.enabled")
              .doc(
                  "Write report/report.json and report/report.html after curate's manifest (the"
                      + " CLIP-score filtering report). `sift report --output DIR` rebuilds them.")
              .bool(true));
  public static final ConfigKey<Integer> REPORT_EXAMPLES =
      register(
          key("sift.report.examples")
              .doc(
                  "Rows in each group of the report's gallery (highest, lowest, borderline scores,"
                      + " re-captioned); also the length of its concept tables.")
              .integer(12, 0, 200));
  public static final ConfigKey<Integer> REPORT_HISTOGRAM_BINS =
      register(
          key("sift.report.histogram-bins")
              .doc(
                  "Bins of the report's score histograms. Quantiles and the kept-fraction curve"
                      + " come from a histogram 250 times finer.")
              .integer(40, 5, 400));
  public static final ConfigKey<Double> REPORT_FIXED_THRESHOLD =
      register(
          key("sift.report.fixed-threshold")
              .doc("The fixed cut the report compares (LAION used 0.28).")
              .number(0.28, -1.0, 1.0));
  public static final ConfigKey<Double> REPORT_TOP_FRACTION =
      register(
          key("sift.report.top-fraction")
              .doc("The top-fraction cut the report compares (DataComp kept 0.3).")
              .number(0.3, 0.001, 1.0));
  public static final ConfigKey<Integer> REPORT_DIVERSITY_SAMPLE =
      register(
          key("sift.report.diversity-sample")
              .doc(
                  "Image embeddings in each Vendi-score sample (before and after filtering): the"
                      + " rows with the smallest hash of their id.")
              .integer(512, 2, 4096));
  public static final ConfigKey<Integer> REPORT_THUMBNAIL_SIZE =
      register(
          key("sift.report.thumbnail-size")
              .doc("Longest side, in pixels, of the gallery's JPEG thumbnails.")
              .integer(96, 16, 512));

  private static final java.util.regex.Pattern HEAD_NAME =
      java.util.regex.Pattern.compile("[a-z][a-z0-9_]{0,63}");

  private static String headFilesProblem(Map<String, Object> heads) {
    for (Map.Entry<String, Object> e : heads.entrySet()) {
      if (!HEAD_NAME.matcher(e.getKey()).matches()) {
        return "head name '" + e.getKey() + "' is not lower-case letters, digits and _";
      }
      if (!(e.getValue() instanceof String file) || file.isBlank()) {
        return "head " + e.getKey() + " must name an ONNX file, not " + e.getValue();
      }
    }
    return null;
  }

  private static String headBoundsProblem(Map<String, Object> bounds) {
    for (Map.Entry<String, Object> e : bounds.entrySet()) {
      if (!(e.getValue() instanceof Map<?, ?> b) || b.isEmpty()) {
        return "head " + e.getKey() + " must be an object with min and/or max";
      }
      for (Map.Entry<?, ?> bound : b.entrySet()) {
        if (!bound.getKey().equals("min") && !bound.getKey().equals("max")) {
          return "head " + e.getKey() + ": unknown bound '" + bound.getKey() + "' (min or max)";
        }
        if (asNumber(bound.getValue()) == null) {
          return "head " + e.getKey() + "." + bound.getKey() + " must be a number";
        }
      }
    }
    return null;
  }

  /**
   * A bound of {@link #FILTER_HEADS}: {@code which} ({@code min} or {@code max}) of one head's
   * entry, or null when not set. Values from {@code --set} arrive as strings, as HOCON allows.
   */
  public static Double headBound(Object entry, String which) {
    return entry instanceof Map<?, ?> m ? asNumber(m.get(which)) : null;
  }

  private static Double asNumber(Object v) {
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    if (v instanceof String s) {
      try {
        double d = Double.parseDouble(s.trim());
        return Double.isFinite(d) ? d : null;
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  private SiftKeys() {}

  /** Every key, in declaration order. */
  public static List<ConfigKey<?>> all() {
    return Collections.unmodifiableList(KEYS);
  }

  /** A comma-separated list of WebDataset extensions (lower-case, as the reader folds them). */
  private static boolean validExtensions(String v) {
    for (String part : v.split(",", -1)) {
      if (!EXTENSION.matcher(part.trim()).matches()) {
        return false;
      }
    }
    return true;
  }

  /** An extension, or {@code json:FIELD}. */
  private static boolean validCaption(String v) {
    return v.startsWith("json:") ? v.length() > 5 : EXTENSION.matcher(v).matches();
  }
}
