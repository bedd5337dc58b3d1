#!/usr/bin/env bash
# On a lent GPU machine (docs/gpu.md): install what scripts/gpu-bundle.sh packed into .gpu/, run
# bench/gpu_check.py (arguments pass through), and leave its JSON report, its log and the GPU's
# description in $OUT (the device tool brings them back).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT="${OUT:-/tmp/alpr-gpu-out}"
mkdir -p "$OUT"
[ -d .gpu/wheels ] || { echo "no .gpu/ here: run scripts/gpu-bundle.sh first and carry .gpu" >&2; exit 2; }
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site \
  .gpu/wheels/*.whl || exit 3
export PYTHONPATH="/tmp/site:$PWD" PYTHONUNBUFFERED=1
mkdir -p /usr/share/fonts/truetype && cp -r .gpu/fonts/. /usr/share/fonts/truetype/
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv >"$OUT/nvidia-smi.csv" 2>&1
python3 -m bench.gpu_check --json "$OUT/gpu_check.json" "$@" 2>&1 | tee "$OUT/gpu_check.log"
exit "${PIPESTATUS[0]}"
