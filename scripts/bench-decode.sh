#!/usr/bin/env bash
# Decode + CLIP preprocessing images/s on one core: Sift (libjpeg-turbo and libwebp where the
# system has them, else ImageIO + TwelveMonkeys; its own antialiased bicubic) and Python PIL as CLIPImageProcessor does it
# (scripts/reference/pil_reference.py), measured in the same run on the same files, with the ratio;
# then end-to-end `score` rows/s on the bundled sample with the tiny CLIP on both cores.
#   scripts/bench-decode.sh
# Needs Debian's python3-pil, python3-numpy, libturbojpeg0 and libwebp7.
set -euo pipefail
cd "$(dirname "$0")/.."
py=/usr/bin/python3
"$py" -c 'import PIL, numpy' 2>/dev/null || {
  echo "needs Debian's python3-pil and python3-numpy for $py" >&2; exit 2; }
mvn -B -q -pl curation -am test-compile -Dspotless.check.skip=true
mvn -B -q -pl curation dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/test-classpath.txt
cp="curation/target/test-classes:curation/target/classes:$(cat curation/target/test-classpath.txt)"

measure() {
  local name="$1"; shift
  echo "== $name ($# files)"
  local sift fast pil
  # All time 5 s after a warm-up, on core 0.
  sift=$(taskset -c 0 java -cp "$cp" dev.sift.curation.bench.DecodeBenchmark 5 exact "$@" \
    | sed -n 's/^SIFT_IMAGES_PER_S=//p')
  fast=$(taskset -c 0 java -cp "$cp" dev.sift.curation.bench.DecodeBenchmark 5 fast "$@" \
    | sed -n 's/^SIFT_IMAGES_PER_S=//p')
  pil=$(taskset -c 0 "$py" scripts/reference/pil_reference.py "$@" | sed -n 's/^\([0-9.]*\) images\/s.*/\1/p')
  "$py" -c "print(f'   exact {float($sift):7.1f}/s  fast {float($fast):7.1f}/s  PIL {float($pil):7.1f}/s   exact/PIL {float($sift)/float($pil):.2f}  fast/PIL {float($fast)/float($pil):.2f}')"
}

fixtures=curation/src/test/resources/fixtures/images
readable=$(ls "$fixtures"/* | grep -v broken)
measure "real photographs (data/photos)" data/photos/*.jpg
# shellcheck disable=SC2086
measure "fixture images, every kind (broken ones left out)" $readable
# shellcheck disable=SC2086
measure "fixture images without the 4000x3000 one" $(echo "$readable" | grep -v large_)

# Per kind of image, exact decode against PIL: a kind can be slow where the mix is fast.
echo "== per fixture kind, exact/PIL (2 s each)"
for f in $readable; do
  sift=$(taskset -c 0 java -cp "$cp" dev.sift.curation.bench.DecodeBenchmark 2 exact "$f" \
    | sed -n 's/^SIFT_IMAGES_PER_S=//p')
  pil=$(taskset -c 0 "$py" scripts/reference/pil_reference.py "$f" | sed -n 's/^\([0-9.]*\) images\/s.*/\1/p')
  "$py" -c "print(f'   {\"$(basename "$f")\":28s} exact {float($sift):8.1f}/s  PIL {float($pil):8.1f}/s  exact/PIL {float($sift)/float($pil):.2f}')"
done

echo "== end-to-end: bin/sift score on the sample, tiny CLIP, local[*] on $(nproc) cores"
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
bin/sift score --config conf/sample-score.conf --output "$out/run" >/dev/null 2>&1
"$py" - "$out/run/_MANIFEST.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
t = m["timings"]["stages_and_write_seconds"]; rows = m["metrics"]["score"]["model_rows"]
s = m["metrics"]["score"]
print(f"   {rows} rows scored in {t:.1f} s (stages + write) = {rows / t:.1f} rows/s;"
      f" decode {s['decode_seconds']} s over threads, model {s['inference_seconds']} s,"
      f" waited for decode {s['decode_wait_seconds']} s, {s['batches']} batches")
PY
