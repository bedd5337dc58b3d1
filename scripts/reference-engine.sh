#!/usr/bin/env bash
# Builds .venv-reference: the environment of the reference ALPR engine that
# `python -m bench.serving_latency` times beside our served model (bench/reference_engine.py).
# Idempotent; about a minute (a 135 MB wheel from PyPI). PYTHON as in scripts/setup.sh.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv-reference"
REQS="$ROOT/bench/reference-requirements.txt"
if [ -f "$VENV/.complete" ] && cmp -s "$REQS" "$VENV/.complete"; then
  exit 0
fi
rm -rf "$VENV"
"${PYTHON:-python3.11}" -m venv "$VENV"
"$VENV/bin/pip" install -q -r "$REQS" 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }
"$VENV/bin/python" -c "import simplelpr"
cp "$REQS" "$VENV/.complete"
echo "reference engine ready: $VENV"
