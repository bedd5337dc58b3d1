#!/usr/bin/env bash
# One idempotent set-up of both environments:
#   .venv          the pipeline environment (requirements.txt)
#   seldon/.venv   the serving environment, as in the Seldon image (seldon/requirements.txt)
#
# mmcv 2.1.0 exists on PyPI only as source: it is built once (20-45 min on 2 cores) into a
# wheelhouse outside the project, and each environment is built once per requirements hash
# in a cache outside the project, then linked in. A rerun with nothing changed takes seconds;
# a fresh clone on a machine that has set up before takes seconds too.
#
# Environment: ALPR_CACHE (default ~/.cache/alpr), PYTHON (default python3.11).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${ALPR_CACHE:-$HOME/.cache/alpr}"
WHEELS="$CACHE/wheels"
PYTHON="${PYTHON:-python3.11}"
MMCV_VERSION="2.1.0"
log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
# pip, minus this machine's notes about local index folders it skips (noise, not errors)
pip_q() { "$@" 2>&1 | { grep -v 'is ignored: it is neither a file nor a directory' || true; }; }

mkdir -p "$WHEELS" "$CACHE/venvs"

build_mmcv() {
  if ls "$WHEELS"/mmcv-"$MMCV_VERSION"-*.whl >/dev/null 2>&1; then
    return
  fi
  log "building mmcv $MMCV_VERSION from source once (20-45 min on 2 cores); wheel goes to $WHEELS"
  local bv="$CACHE/mmcv-build-venv"
  if [ ! -x "$bv/bin/python" ]; then
    "$PYTHON" -m venv "$bv"
  fi
  # torch 2.14 wants setuptools>=77, mmcv's setup.py needs <70 (pkg_resources API): the build
  # venv takes torch first, then the old setuptools, and is used for nothing else. pip then
  # reports that clash as an error; it is expected here, so its notice is filtered out.
  pip_q "$bv/bin/pip" install -q "torch==2.14.1" "numpy==1.26.4" wheel ninja
  log "build environment: setuptools<70 for mmcv's setup.py (torch's own pin >=77 does not matter for the build)"
  "$bv/bin/pip" install -q "setuptools<70" 2>&1 \
    | { grep -vE "dependency resolver does not currently take|requires setuptools>=|is ignored: it is neither" || true; }
  local tmp
  tmp="$(mktemp -d)"
  (cd "$tmp" && MMCV_WITH_OPS=1 MAX_JOBS="$(nproc)" CXX="$ROOT/scripts/cxx-cpp20" CC=gcc \
    pip_q "$bv/bin/pip" wheel -q --no-deps --no-build-isolation "mmcv==$MMCV_VERSION" -w "$tmp/out")
  mv "$tmp"/out/mmcv-*.whl "$WHEELS"/
  rm -rf "$tmp"
  log "mmcv wheel built: $(ls "$WHEELS"/mmcv-*.whl)"
}

# ensure_venv NAME LINK REQUIREMENTS: build (once per requirements hash) and link LINK to it.
ensure_venv() {
  local name="$1" link="$2" reqs="$3" hash target
  hash="$( (cat "$reqs"; "$PYTHON" --version) | sha256sum | cut -c1-16)"
  target="$CACHE/venvs/$name-$hash"
  if [ ! -f "$target/.complete" ]; then
    log "building $name environment in $target (from $(basename "$reqs"))"
    rm -rf "$target"
    "$PYTHON" -m venv "$target"
    pip_q "$target/bin/pip" install -q "pip==26.0.1"
    pip_q "$target/bin/pip" install -q --find-links "$WHEELS" -r "$reqs"
    "$target/bin/pip" check
    touch "$target/.complete"
  fi
  if [ "$(readlink "$link" 2>/dev/null)" != "$target" ]; then
    if [ -e "$link" ] && [ ! -L "$link" ]; then  # a real folder someone made: keep it, renamed
      local kept="$link.kept-$(date +%Y%m%d%H%M%S)"
      mv "$link" "$kept"
      log "$link was a folder of its own, not this script's link: moved to $kept"
    fi
    rm -f "$link"
    ln -s "$target" "$link"
  fi
  log "$name environment ready: $link -> $target"
}

# ensure_chromium: Debian's chromium for the browser tests (Playwright drives it; Playwright's own
# browser download needs internet this kind of machine does not have)
ensure_chromium() {
  if command -v chromium >/dev/null 2>&1; then
    return
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    log "chromium is missing and cannot be installed here (needs root and apt): the browser tests will skip"
  fi
}

# ensure_fonts: the TrueType fonts the generator (DejaVu, Liberation) and the foreign test renderer
# (FreeFont, Noto) draw with, from Debian's packages (scripts/debian-fonts.txt, shared with the image)
ensure_fonts() {
  local missing=()
  for package in $(cat "$ROOT/scripts/debian-fonts.txt"); do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  if [ "${#missing[@]}" = 0 ]; then
    return
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing fonts: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    log "fonts missing and not installable here (needs root and apt): ${missing[*]}; generating data will fail"
  fi
}

build_mmcv
ensure_fonts
ensure_chromium
ensure_venv main "$ROOT/.venv" "$ROOT/requirements.txt"
ensure_venv seldon "$ROOT/seldon/.venv" "$ROOT/seldon/requirements.txt"
