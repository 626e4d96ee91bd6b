#!/usr/bin/env bash
# The cost of a scheduled run that finds nothing new: an append-mode output with BATCHES
# committed batches whose ledger holds FILES input files (all of them still in the input
# directory, unchanged), and `bin/sift curate --set sift.output.mode=append` over that input,
# three times. It must read the ledger only, never an old batch's rows; the goal is under 20 s on
# 2 cores with the Spark start. Prints wall time per run and the JVM start alone for comparison.
#   scripts/bench-append-noop.sh [BATCHES] [FILES]      (default: 100 10000)
set -euo pipefail
cd "$(dirname "$0")/.."
batches=${1:-100}
files=${2:-10000}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
SIFT_NO_BUILD=0 bin/sift --version >/dev/null   # builds the jar if needed, outside the timings

python3 - "$work" "$batches" "$files" <<'PY'
import json, os, sys
work, batches, files = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
inp, out = os.path.join(work, "in"), os.path.join(work, "out")
os.makedirs(inp); os.makedirs(os.path.join(out, "_commits")); os.makedirs(os.path.join(out, "batches"))
paths = []
for i in range(files):
    p = os.path.join(inp, f"part-{i:06d}.parquet")
    with open(p, "wb") as f:
        f.write(b"PAR1" + os.urandom(64) + b"PAR1")   # never read by a no-op run
    paths.append(p)
per = -(-files // batches)
committed = []
for b in range(batches):
    seq = b + 1
    batch = f"{seq:06d}-20261206T000000Z"
    for part in ("accepted", "rejected", "concept_counts"):
        os.makedirs(os.path.join(out, "batches", batch, part))
    entries = []
    for p in paths[b * per:(b + 1) * per]:
        st = os.stat(p)
        entries.append({"path": "file:" + p, "length": st.st_size,
                        "modification_time": st.st_mtime_ns // 1_000_000})
    record = {"sequence": seq, "batch": batch, "path": f"batches/{batch}", "run_id": f"bench-{seq}",
              "committed_at": "2026-12-06T00:00:00Z", "command": "curate",
              "counts": {"input": 1000, "accepted": 500, "rejected": 500}, "files": entries}
    with open(os.path.join(out, "_commits", f"{seq:06d}.json"), "w") as f:
        json.dump(record, f, indent=2)
    committed.append("file:" + os.path.join(out, "batches", batch))
with open(os.path.join(out, "_COMMITTED"), "w") as f:
    f.write("\n".join(committed) + "\n")
PY
ledger=$(du -sh "$work/out/_commits" | cut -f1)
echo "append-mode output: $batches committed batches, ledger of $files input files ($ledger of commit records)"

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
t0=$(now); bin/sift --version >/dev/null; t1=$(now)
echo "JVM start alone (sift --version, no Spark): $(secs "$t0" "$t1") s"
for run in 1 2 3; do
  t0=$(now)
  bin/sift curate --config conf/sample-text.conf --input "$work/in" --output "$work/out" \
    --set sift.output.mode=append >"$work/run.log" 2>&1
  t1=$(now)
  grep -q "nothing new" "$work/run.log" || { cat "$work/run.log"; echo "expected nothing new" >&2; exit 1; }
  echo "no-op run $run: $(secs "$t0" "$t1") s wall (Spark start included), goal < 20 s"
done
grep "sift curate: nothing new" "$work/run.log"
