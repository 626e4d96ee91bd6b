#!/usr/bin/env bash
# Dedup at pool scale on this machine (embedded Spark, every core), synthetic data with planted
# duplicates (dev.sift.jobs.bench.DedupBenchmark):
#   1. semantic dedup (SemDeDup, two-level k-means) of 100k and 1M 512-d embeddings: wall time,
#      recall of the planted pairs, growth; agreement with the brute-force rule on 50k rows;
#   2. the pHash band join on 1M hashes: wall time, candidate pairs per true pair;
#   3. exact dedup's cost in `curate` of 1M text rows with an image-hash column: bin/sift with
#      and without it, in one run.
#   scripts/bench-dedup.sh [semantic|phash|exact]...     (default: all three)
set -euo pipefail
cd "$(dirname "$0")/.."
parts=("$@"); [ ${#parts[@]} -gt 0 ] || parts=(semantic phash exact)
source bin/lib/jvm-options.sh
mvn -B -q install -DskipTests -Dspotless.check.skip=true
mvn -B -q -pl jobs dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
bench() {
  java -Xmx10g "${SIFT_SPARK_JVM_OPTS[@]}" -Dlog4j2.configurationFile=conf/log4j2.properties \
    -cp "jobs/target/test-classes:jobs/target/classes:$(cat jobs/target/test-classpath.txt)" \
    dev.sift.jobs.bench.DedupBenchmark "$@" >"$work/bench.out" 2>"$work/bench.log" \
    || { tail -30 "$work/bench.log"; exit 1; }
  grep -E "^(semantic|phash)" "$work/bench.out" || true
}
seconds() { # wall seconds of a command, its output in $work/run.log
  local t0; t0=$(date +%s.%N); "$@" >"$work/run.log" 2>&1 || { tail -30 "$work/run.log"; exit 1; }
  python3 -c "import time; print(f'{time.time() - $t0:.1f}')"
}
for part in "${parts[@]}"; do
  case "$part" in
    semantic) bench semantic 100000 1000000 agreement 50000 ;;
    phash) bench phash 1000000 ;;
    exact)
      bench exact-data data/web-alt-text-10k/alt-text-10k.parquet 1000000 "$work/exact-in"
      common=(curate --config conf/sample-text.conf --input "$work/exact-in"
        --set sift.input.columns.id=id --set sift.balance.t=20000 --set sift.report.enabled=false)
      without=$(seconds bin/sift "${common[@]}" --output "$work/out-plain")
      with=$(seconds bin/sift "${common[@]}" --output "$work/out-dedup" --set sift.dedup.enabled=true \
        --set sift.dedup.exact.hash-column=sha256 --set sift.dedup.near.enabled=false \
        --set sift.dedup.semantic.enabled=false)
      removed=$(python3 -c "import json; print(json.load(open('$work/out-dedup/_MANIFEST.json'))['dedup']['exact']['removed'])")
      python3 -c "print(f'exact 1,000,000 text rows (text, match, balance): {float($without):.1f} s without dedup, {float($with):.1f} s with exact dedup on the sha256 column ({$removed:,} removed): +{(float($with)/float($without)-1)*100:.1f}%')"
      ;;
    *) echo "unknown part $part (semantic, phash, exact)" >&2; exit 2 ;;
  esac
done
