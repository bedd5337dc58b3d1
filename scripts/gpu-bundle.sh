#!/usr/bin/env bash
# Packs into .gpu/ (ignored by git; the device tool carries it) what a lent GPU machine lacks to
# run bench/gpu_check.py: Python 3.12 wheels of the packages its image does not hold (versions
# pinned in requirements.txt), mmcv built without its compiled ops (torchvision's kernels stand
# in there: alpr/model/torchvision_ops.py), and the training fonts. Needs scripts/setup.sh first.
#
#   bash scripts/gpu-bundle.sh        # here, once (about a minute)
#   bash scripts/gpu-check.sh         # there, through the device tool (docs/gpu.md)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT/.gpu"
CACHE="${ALPR_CACHE:-$HOME/.cache/alpr}"
PIP=("$ROOT/.venv/bin/python" -m pip)
quiet() { "$@" 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }; }
# what the GPU image lacks of bench.gpu_check's imports (the image's own list: docs/gpu.md)
MISSING=(mmengine mmdet addict yapf platformdirs termcolor pycocotools shapely terminaltables
         pydantic pydantic-core annotated-types typing-inspection)
PLATFORMS=(--platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64
           --platform manylinux2014_x86_64 --platform manylinux1_x86_64)

pin() {  # the requirement line of one package in requirements.txt (names compared as pip does)
  local want line
  want="$(echo "$1" | tr '[:upper:]_.' '[:lower:]--')"
  line="$(grep -iE "^[A-Za-z0-9_.-]+==" "$ROOT/requirements.txt" | while IFS= read -r l; do
    [ "$(echo "${l%%==*}" | tr '[:upper:]_.' '[:lower:]--')" = "$want" ] && echo "$l" && break; done)"
  [ -n "$line" ] || { echo "gpu-bundle: $1 is not pinned in requirements.txt" >&2; exit 1; }
  echo "${line%% *}"
}

rm -rf "$OUT" && mkdir -p "$OUT/wheels" "$OUT/fonts"
for pkg in "${MISSING[@]}"; do
  quiet "${PIP[@]}" download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${PLATFORMS[@]}" -d "$OUT/wheels" "$(pin "$pkg")"
done
# mmcv's Python part alone ("mmcv-lite"): its compiled ops would need that machine's torch and
# CUDA; no pip cache, which holds this machine's build with the ops
src="$(mktemp -d)"
quiet "$CACHE/mmcv-build-venv/bin/pip" download -q --no-deps --no-binary :all: "$(pin mmcv)" -d "$src"
(cd "$src" && MMCV_WITH_OPS=0 quiet "$CACHE/mmcv-build-venv/bin/pip" wheel -q --no-deps --no-cache-dir \
  --no-build-isolation "$src"/mmcv-*.tar.gz -w "$OUT/wheels")
if unzip -l "$OUT"/wheels/mmcv*.whl | grep -q '\.so'; then echo "gpu-bundle: the mmcv wheel holds compiled ops" >&2; exit 1; fi
# the training fonts (alpr/synth/fonts.py), as Debian installs them
"$ROOT/.venv/bin/python" - "$OUT/fonts" <<'PY'
import shutil, sys
from pathlib import Path
from alpr.synth.fonts import TRAINING_TRUETYPE, TRUETYPE_ROOT
for name in TRAINING_TRUETYPE:
    if (TRUETYPE_ROOT / name).is_file():
        (Path(sys.argv[1]) / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(TRUETYPE_ROOT / name, Path(sys.argv[1]) / name)
PY
du -sh "$OUT"
ls "$OUT/wheels"
