#!/usr/bin/env bash
# End-to-end match + balance at scale on this machine: the 10,000 real alt-texts repeated to
# 100k and 1M rows, curated with conf/sample-text.conf (text, match, balance) by bin/sift on
# the embedded local Spark. Prints wall time, rows/s and the JVM's peak resident memory per size.
#   scripts/bench-scale.sh [SIZES...]     (default: 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
source bin/lib/jvm-options.sh
mvn -B -q install -DskipTests -Dspotless.check.skip=true
mvn -B -q -pl jobs dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
for n in "${sizes[@]}"; do
  java "${SIFT_SPARK_JVM_OPTS[@]}" -Dlog4j2.configurationFile=conf/log4j2.properties \
    -cp "jobs/target/test-classes:jobs/target/classes:$(cat jobs/target/test-classpath.txt)" \
    dev.sift.jobs.bench.ScaleData data/web-alt-text-10k/alt-text-10k.parquet "$n" 16 "$work/in-$n"
  /usr/bin/time -v bin/sift curate --config conf/sample-text.conf --input "$work/in-$n" \
    --output "$work/out-$n" --set sift.input.columns.id=id --set sift.balance.t=20000 \
    >"$work/run-$n.log" 2>"$work/time-$n.log"
  wall=$(grep "Elapsed (wall clock)" "$work/time-$n.log" | awk '{print $NF}')
  rss=$(grep "Maximum resident set size" "$work/time-$n.log" | awk '{print $NF}')
  secs=$(python3 -c "p='$wall'.split(':'); print(sum(float(x)*60**i for i,x in enumerate(reversed(p))))")
  python3 -c "print(f'$n rows: {float($secs):.1f} s wall, {$n/float($secs):,.0f} rows/s, peak RSS {int($rss)/1024:.0f} MiB (driver -Xmx ' + '${SIFT_DRIVER_MEMORY:-4g}' + ')')"
  grep "input rows" "$work/run-$n.log"
done
