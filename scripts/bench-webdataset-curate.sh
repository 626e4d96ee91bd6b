#!/usr/bin/env bash
# End to end: `bin/sift curate` with text + match (conf/sample-text.conf; balancing, decoding and
# the report off) over the same SAMPLES rows (default 200000) read once from WebDataset shards and
# once from Parquet, in one run: wall seconds and rows/s of each, the ratio webdataset/parquet,
# and each manifest's counts (which must agree). The input is written once to
# target/bench-webdataset-curate/SAMPLES/ by dev.sift.jobs.bench.WebDatasetCurateData:
#   shards/NNNNN.tar   img2dataset's layout, 10,000 samples a shard: KEY.jpg (~2 KB: one of
#                      1,000 JPEGs of 48x48 random pixels, the key in a comment segment, so that
#                      Parquet cannot compress the images away), KEY.txt (the non-null TEXT of
#                      data/web-alt-text-10k, repeated), KEY.json (key, url)
#   parquet/part-*     the same rows (id = key, caption, url, image bytes), one file per shard
# Delete that folder to write it again. Each run is a whole `bin/sift` process (JVM and Spark
# start-up included); the page cache is warmed first; with PASSES > 1 the two formats alternate
# and the best pass of each counts. The outputs (accepted/ with image bytes) go beside the input.
#   scripts/bench-webdataset-curate.sh [SAMPLES] [PASSES]
set -euo pipefail
cd "$(dirname "$0")/.."
samples="${1:-200000}"
passes="${2:-1}"
per_shard=10000
dir="target/bench-webdataset-curate/$samples"
source bin/lib/jvm-options.sh

# The jar and the test classes (the generator), built as bin/sift builds (package, no install),
# up front so that no build lands inside a timed run (the runs below use SIFT_NO_BUILD=1).
mvn -B -q -DskipTests -Dspotless.check.skip=true package
jar=$(ls jobs/target/sift-jobs-*.jar | grep -v -e '-original' -e '-tests' | head -n 1)

if [ ! -f "$dir/done" ]; then
  rm -rf "$dir"
  mkdir -p "$dir"
  java -Djava.awt.headless=true "${SIFT_SPARK_JVM_OPTS[@]}" -Dlog4j2.configurationFile=conf/log4j2.properties \
    -cp "jobs/target/test-classes:udfs/target/test-classes:$jar:$(cat jobs/target/spark-classpath.txt)" \
    dev.sift.jobs.bench.WebDatasetCurateData data/web-alt-text-10k/alt-text-10k.parquet \
    "$samples" "$per_shard" "$dir"
  touch "$dir/done"
fi
nshards=$(ls "$dir"/shards/*.tar | wc -l)
nparquet=$(ls "$dir"/parquet/*.parquet | wc -l)
echo "== $samples samples: $nshards shards ($(du -sh "$dir/shards" | cut -f1)), $nparquet Parquet files ($(du -sh "$dir/parquet" | cut -f1))"

# The same settings for both formats; the column mapping is for Parquet (the WebDataset reader
# makes id, caption, url and image itself and ignores it).
common=(--config conf/sample-text.conf
  --set sift.balance.enabled=false --set sift.decode.enabled=false
  --set sift.report.enabled=false
  --set sift.input.columns.id=id --set sift.input.columns.caption=caption
  --set sift.input.columns.url=url --set sift.input.columns.image=image)

declare -A best
run() {  # run FORMAT PASS: one timed curate, prints its line, keeps the best wall time
  local fmt=$1 pass=$2 input extra=() out log t0 t1 secs
  if [ "$fmt" = webdataset ]; then
    input="$dir/shards"; extra=(--set sift.input.format=webdataset)
  else
    input="$dir/parquet"; extra=(--set sift.input.format=parquet)
  fi
  out="$dir/out-$fmt"; log="$dir/run-$fmt.log"
  cat "$input"/* > /dev/null  # page cache
  t0=$(date +%s.%N)
  SIFT_NO_BUILD=1 bin/sift curate "${common[@]}" "${extra[@]}" --input "$input" --output "$out" \
    >"$log" 2>&1 || { echo "$fmt run failed, see $log" >&2; tail -n 20 "$log" >&2; exit 1; }
  t1=$(date +%s.%N)
  secs=$(echo "$t1 - $t0" | bc -l)
  python3 - "$fmt" "$pass" "$secs" "$out/_MANIFEST.json" <<'PY'
import json, sys
fmt, p, secs, manifest = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
m = json.load(open(manifest))
c, t = m["counts"], m["timings"]
print(f"{fmt:<10} pass {p}: {secs:6.1f} s wall, {c['input'] / secs:8,.0f} rows/s; counts input"
      f" {c['input']:,} accepted {c['accepted']:,} rejected {c['rejected']:,}; manifest timings:"
      f" stages+write {t['stages_and_write_seconds']:.1f} s, counts {t['count_seconds']:.1f} s,"
      f" total {t['total_seconds']:.1f} s")
PY
  if [ -z "${best[$fmt]:-}" ] || [ "$(echo "$secs < ${best[$fmt]}" | bc -l)" = 1 ]; then
    best[$fmt]=$secs
  fi
}
for p in $(seq "$passes"); do
  run parquet "$p"
  run webdataset "$p"
done

python3 - "$samples" "${best[webdataset]}" "${best[parquet]}" \
  "$dir/out-webdataset/_MANIFEST.json" "$dir/out-parquet/_MANIFEST.json" <<'PY'
import json, sys
n, wds, pq = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
cw = json.load(open(sys.argv[4]))["counts"]
cp = json.load(open(sys.argv[5]))["counts"]
print(f"webdataset: {wds:.1f} s wall, {n / wds:,.0f} rows/s, counts.input {cw['input']:,}")
print(f"parquet:    {pq:.1f} s wall, {n / pq:,.0f} rows/s, counts.input {cp['input']:,}")
print(f"ratio:      {pq / wds:.2f}x (webdataset rows/s / parquet rows/s)")
keys = ("input", "accepted", "rejected", "rejected_by_reason")
if any(cw[k] != cp[k] for k in keys) or cw["input"] != n:
    sys.exit(f"counts differ: webdataset {[cw[k] for k in keys]}, parquet {[cp[k] for k in keys]}")
print(f"counts agree: input {n:,}, accepted {cw['accepted']:,}, rejected {cw['rejected']:,}"
      f" {cw['rejected_by_reason']}")
PY
