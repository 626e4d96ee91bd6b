#!/usr/bin/env bash
# Spark GPU discovery script: prints the GPUs of this node as Spark's resource JSON, e.g.
#   {"name": "gpu", "addresses": ["0", "1"]}
# Point spark.executor.resource.gpu.discoveryScript (or, on a standalone worker,
# spark.worker.resource.gpu.discoveryScript) at it, on every node that offers GPUs.
# Spark reads stdout only when the script exits 0; any other exit fails the executor (or worker)
# at start-up with Spark's "Error running command" and the exit code, so a node that cannot list
# its GPUs says why on stderr and exits 1 rather than offering none.
set -uo pipefail

if ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "gpu-discovery.sh: nvidia-smi not found on $(hostname) (PATH=$PATH): no NVIDIA driver" \
    "here, so no GPU can be offered to Spark. Run GPU executors on GPU nodes, or drop" \
    "spark.executor.resource.gpu.amount for a CPU run." >&2
  exit 1
fi
if ! out=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>&1); then
  echo "gpu-discovery.sh: nvidia-smi failed on $(hostname): $out" >&2
  exit 1
fi
ids=$(printf '%s\n' "$out" | tr -d ' \r' | grep -E '^[0-9]+$' | paste -sd, - | sed 's/,/", "/g')
if [[ -z "$ids" ]]; then
  echo "gpu-discovery.sh: nvidia-smi lists no GPU on $(hostname): $out" >&2
  exit 1
fi
echo "{\"name\": \"gpu\", \"addresses\": [\"${ids}\"]}"
