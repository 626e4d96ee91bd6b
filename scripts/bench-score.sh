#!/usr/bin/env bash
# Score-stage efficiency on the CPU: how close `bin/sift score` comes to what its two halves allow.
# In one run, on the same rows (the seven real photographs of data/photos with their captions,
# repeated to ROWS rows with distinct ids) and the same model and batch size:
#   decode  = decode + the model's preprocessing, images/s on one core
#   model   = the tiny CLIP's image and text towers, rows/s on one core (one ONNX Runtime thread)
#   e2e     = bin/sift score, rows scored / (stages + write seconds), on every core
#   job     = rows scored / the scoring job's wall time (metrics.score.task_span_seconds: first
#             task's start to last task's end; it reads, checks, scores and writes the rows)
#   ideal   = cores / (1/decode + 1/model)      efficiency = e2e / ideal (and job / ideal)
# Then the CPU each kind of thread used (scripts/thread_cpu.py), over the whole process and while
# the decode pool ran (the scoring job): where the cores went that the halves did not use.
# Every row is scored (sift.decode.max-aspect = 10: two of the seven photographs are wider than
# the default 3:1), so the run does the work the halves measured, and every row's JPEG bytes are
# distinct (PhotoData), as in real data.
#   scripts/bench-score.sh [ROWS] [MODEL_DIR]  (default 5005, the tiny test CLIP)
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-5005}"
model="${2:-curation/src/test/resources/fixtures/tiny-clip}"
batch=64   # conf/sample-score.conf's sift.score.batch-size
cores=$(nproc)
source bin/lib/jvm-options.sh
mvn -B -q install -DskipTests -Dspotless.check.skip=true
mvn -B -q -pl jobs dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
cp="curation/target/test-classes:jobs/target/test-classes:jobs/target/classes:$(cat jobs/target/test-classpath.txt)"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT

halves=$(taskset -c 0 java -cp "$cp" dev.sift.curation.bench.ScoreBenchmark 5 "$model" "$batch" \
  data/photos/captions.tsv data/photos/*.jpg)
decode=$(echo "$halves" | sed -n 's/^DECODE_ROWS_PER_S=//p')
modelrate=$(echo "$halves" | sed -n 's/^MODEL_ROWS_PER_S=//p')

java "${SIFT_SPARK_JVM_OPTS[@]}" -Dlog4j2.configurationFile=conf/log4j2.properties -cp "$cp" \
  dev.sift.jobs.bench.PhotoData data/photos "$rows" 8 "$work/in" >/dev/null 2>&1
# Under scripts/thread_cpu.py: CPU per thread kind, for the run and while the decode pool ran.
threads=$(python3 scripts/thread_cpu.py --busy sift-decode --log "$work/run.log" -- \
  bin/sift score --config conf/sample-score.conf --input "$work/in" --output "$work/out" \
  --set sift.score.model="$model" --set sift.decode.max-aspect=10) \
  || { cat "$work/run.log"; exit 1; }
python3 - "$work/out/_MANIFEST.json" "$decode" "$modelrate" "$cores" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
decode, model, cores = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
s = m["metrics"]["score"]
rows = s["model_rows"]
t = m["timings"]["stages_and_write_seconds"]
e2e = rows / t
ideal = cores / (1 / decode + 1 / model)
print(f"decode + preprocess: {decode:8.1f} rows/s on one core")
print(f"model alone:         {model:8.1f} rows/s on one core (batch of {s['model_rows'] // max(1, s['batches'])} on average end to end)")
span = s["task_span_seconds"]
job = rows / span
print(f"end to end:          {e2e:8.1f} rows/s ({rows} rows in {t:.1f} s, stages + write, {cores} cores)")
print(f"scoring job:         {job:8.1f} rows/s ({rows} rows in {span:.1f} s, first task start to last end)")
print(f"ideal:               {ideal:8.1f} rows/s = {cores} / (1/decode + 1/model)")
print(f"efficiency:          {e2e / ideal:8.2f} end to end, {job / ideal:.2f} in the scoring job")
print(f"outside the job:     {t - span:8.1f} s of the {t:.1f} (plan, checks, other jobs: fixed per run)")
print(f"inside the run: decode {s['decode_seconds']} s over threads, model {s['inference_seconds']} s,"
      f" waited for decode {s['decode_wait_seconds']} s, {s['batches']} batches")
PY
echo "CPU by thread kind (JIT = 'C# CompilerThre', main = 'java', Spark tasks = 'Executor task l'):"
echo "$threads"
