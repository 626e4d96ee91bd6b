#!/usr/bin/env bash
# Rebuilds data/sample/sample.parquet from ../shared (see data/sample/ATTRIBUTION.md).
set -euo pipefail
cd "$(dirname "$0")/.."
shared="${1:-$(cd .. && pwd)/shared}"
source bin/lib/jvm-options.sh
mvn -B -q install -DskipTests -Dspotless.check.skip=true
mvn -B -q -pl jobs dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
java "${SIFT_SPARK_JVM_OPTS[@]}" -cp "jobs/target/test-classes:jobs/target/classes:$(cat jobs/target/test-classpath.txt)" \
  dev.sift.jobs.sample.SampleBuilder "$shared" "$(pwd)/data/sample/sample.parquet"
