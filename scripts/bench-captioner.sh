#!/usr/bin/env bash
# Captions/s of the Captioner (greedy, 16 new tokens) on the fixture images with the tiny
# captioner, at batch 1 and 8, decode and preprocessing excluded; ONNX Runtime on the CPU with
# $THREADS threads (default: every core).
#   scripts/bench-captioner.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-10}"
threads="${THREADS:-$(nproc)}"
mvn -B -q -pl curation -am test-compile -Dspotless.check.skip=true
mvn -B -q -pl curation dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/test-classpath.txt
cp="curation/target/test-classes:curation/target/classes:$(cat curation/target/test-classpath.txt)"

fixtures=curation/src/test/resources/fixtures
readable=$(ls "$fixtures"/images/* | grep -v broken)
echo "== tiny captioner, $(echo "$readable" | wc -l) fixture images, $seconds s per batch size," \
  "$threads ONNX Runtime threads on $(nproc) cores"
# shellcheck disable=SC2086
java -cp "$cp" dev.sift.curation.bench.CaptionerBenchmark \
  "$fixtures/tiny-captioner" "$seconds" "$threads" 16 $readable
