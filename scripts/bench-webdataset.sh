#!/usr/bin/env bash
# Bytes/s on one core of Sift's WebDataset shard reader (TarSamples: tar parsing, grouping, every
# member read into memory, no image decoding) against GNU tar extracting the same shards to a pipe
# (tar -xOf SHARD > /dev/null), both pinned to core 0, with the ratio. Shards: img2dataset's
# layout ({key}.jpg/.txt/.json), SAMPLES samples (default 200000) in shards of 10000, a small image,
# captions from data/web-alt-text-10k when pyarrow is importable (else generated), written once to
# target/bench-webdataset/.
#   scripts/bench-webdataset.sh [SAMPLES] [PASSES]
set -euo pipefail
cd "$(dirname "$0")/.."
samples="${1:-200000}"
passes="${2:-3}"
dir="target/bench-webdataset/$samples"
pin=""
command -v taskset >/dev/null && pin="taskset -c 0"

if [ ! -f "$dir/done" ]; then
  mkdir -p "$dir"
  /usr/bin/python3 - "$dir" "$samples" <<'PY'
import io, json, sys, tarfile
out, n = sys.argv[1], int(sys.argv[2])
try:
    import pyarrow.parquet as pq
    caps = [c for c in pq.read_table("data/web-alt-text-10k/alt-text-10k.parquet").column("caption").to_pylist() if c]
except Exception:
    caps = [f"a photo of thing number {i} on a table" for i in range(10000)]
img = open("curation/src/test/resources/fixtures/images/exact_224x224.jpg", "rb").read()[:2048]
def add(tar, name, data):
    info = tarfile.TarInfo(name); info.size = len(data); info.mtime = 1700000000
    tar.addfile(info, io.BytesIO(data))
per = 10000
for s in range((n + per - 1) // per):
    with tarfile.open(f"{out}/{s:05d}.tar", "w", format=tarfile.PAX_FORMAT) as tar:
        for i in range(s * per, min(n, (s + 1) * per)):
            key = f"{i:09d}"
            add(tar, key + ".jpg", img)
            add(tar, key + ".txt", caps[i % len(caps)].encode())
            add(tar, key + ".json", json.dumps({"key": key, "url": f"http://x/{key}.jpg", "width": 224, "height": 224}).encode())
PY
  touch "$dir/done"
fi
bytes=$(cat "$dir"/*.tar | wc -c)

mvn -B -q -o -pl curation -am test-compile -Dspotless.check.skip=true
mvn -B -q -o -pl curation dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/test-classpath.txt
cp="curation/target/test-classes:curation/target/classes:$(cat curation/target/test-classpath.txt)"

echo "== $samples samples, $(ls "$dir"/*.tar | wc -l) shards, $bytes bytes, best of $passes passes, core 0"
cat "$dir"/*.tar > /dev/null  # page cache
# shellcheck disable=SC2086
out=$($pin java -cp "$cp" dev.sift.curation.bench.WebDatasetBenchmark "$passes" "$dir"/*.tar)
echo "$out"
sift=$(echo "$out" | awk '/^sift_bytes_per_s/ {print $2}')
best=""
for _ in $(seq "$passes"); do
  t0=$(date +%s.%N)
  for f in "$dir"/*.tar; do $pin tar -xOf "$f" > /dev/null; done
  t1=$(date +%s.%N)
  rate=$(echo "$bytes / ($t1 - $t0)" | bc -l)
  echo "gnu tar pass: $(printf '%.1f' "$(echo "$rate / 1000000" | bc -l)") MB/s"
  if [ -z "$best" ] || [ "$(echo "$rate > $best" | bc -l)" = 1 ]; then best=$rate; fi
done
printf 'sift TarSamples: %.1f MB/s per core\n' "$(echo "$sift / 1000000" | bc -l)"
printf 'GNU tar -xOf:    %.1f MB/s per core\n' "$(echo "$best / 1000000" | bc -l)"
printf 'ratio:           %.2fx GNU tar (goal >= 0.7x)\n' "$(echo "$sift / $best" | bc -l)"

# Writing: Sift's ShardWriter (the samples in memory, written as shards with fixed metadata)
# against GNU tar -cf of the same members extracted to files once (GNU tar reads them from the
# page cache: it pays a file open per member, Sift a map lookup).
xdir="target/bench-webdataset/$samples-extracted"
if [ ! -f "$xdir/done" ]; then
  for f in "$dir"/*.tar; do
    s=$(basename "$f" .tar); mkdir -p "$xdir/$s"; tar -xf "$f" -C "$xdir/$s"
  done
  touch "$xdir/done"
fi
wout="target/bench-webdataset/$samples-written"
mkdir -p "$wout"
# shellcheck disable=SC2086
wres=$($pin java -cp "$cp" dev.sift.curation.bench.WebDatasetWriteBenchmark "$passes" "$wout" "$dir"/*.tar)
echo "$wres"
swrite=$(echo "$wres" | awk '/^sift_write_bytes_per_s/ {print $2}')
sshards=$(echo "$wres" | awk '/^sift_write_shards_per_s/ {print $2}')
wbytes=$(cat "$wout"/*.tar | wc -c)
nshards=$(ls "$dir"/*.tar | wc -l)
gbest=""
for _ in $(seq "$passes"); do
  t0=$(date +%s.%N)
  for d in "$xdir"/*/; do $pin tar -cf "$wout/gnu.tar" -C "$d" . ; done
  t1=$(date +%s.%N)
  rate=$(echo "$wbytes / ($t1 - $t0)" | bc -l)
  echo "gnu tar -cf pass: $(printf '%.1f' "$(echo "$rate / 1000000" | bc -l)") MB/s"
  if [ -z "$gbest" ] || [ "$(echo "$rate > $gbest" | bc -l)" = 1 ]; then gbest=$rate; gsecs=$(echo "$t1 - $t0" | bc -l); fi
done
printf 'sift ShardWriter: %.1f MB/s, %.2f shards/s per core\n' "$(echo "$swrite / 1000000" | bc -l)" "$sshards"
printf 'GNU tar -cf:      %.1f MB/s, %.2f shards/s per core\n' "$(echo "$gbest / 1000000" | bc -l)" "$(echo "$nshards / $gsecs" | bc -l)"
printf 'ratio:            %.2fx GNU tar\n' "$(echo "$swrite / $gbest" | bc -l)"
