#!/usr/bin/env bash
# Concept-matching speed on one core, with GNU grep -F -f (scripts/reference/grep_reference.sh)
# on the same spaced captions and entries as the speed limit, measured in the same run.
#   scripts/bench-match.sh [REPEAT]        (default 100: the 10,000 real alt-texts x 100)
set -euo pipefail
cd "$(dirname "$0")/.."
repeat="${1:-100}"
source bin/lib/jvm-options.sh
mvn -B -q install -DskipTests -Dspotless.check.skip=true
mvn -B -q -pl jobs dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
taskset -c 0 java "${SIFT_SPARK_JVM_OPTS[@]}" -Dlog4j2.configurationFile=conf/log4j2.properties \
  -cp "jobs/target/test-classes:jobs/target/classes:$(cat jobs/target/test-classpath.txt)" \
  dev.sift.jobs.bench.MatchBenchmark data/web-alt-text-10k/alt-text-10k.parquet TEXT \
  data/metaclip/metadata_proxy_wordnet30.json "$repeat" "$work/captions.txt" | tee "$work/sift.txt"
taskset -c 0 bash scripts/reference/grep_reference.sh "$work/captions.txt" \
  data/metaclip/metadata_proxy_wordnet30.json "$repeat" | tee "$work/grep.txt"
python3 - "$work/sift.txt" "$work/grep.txt" <<'PY'
import re, sys
sift = float(re.search(r"AUTOMATON_MBPS=([\d.]+)", open(sys.argv[1]).read()).group(1))
grep = float(re.search(r"= ([\d.]+) MB/s", open(sys.argv[2]).read()).group(1))
print(f"ratio: Sift's automaton (metaclip1, every match) {sift:.1f} MB/s / grep -F -f (any match) {grep:.1f} MB/s = {sift/grep:.2f}")
PY
