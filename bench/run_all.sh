#!/usr/bin/env bash
# run_all.sh - every side-by-side benchmark (called by `make bench`).
#
#   BUILD=build bench/run_all.sh [safetensors] [gguf]
#
# Needs: $BUILD/tensorport (make build), $BUILD/venv (Python tools) and
# $BUILD/llama.cpp/build/bin/llama-quantize (scripts/setup.sh all).
# Inputs are generated deterministically into $BUILD/bench/inputs (about
# 6.7 GB) and removed at the end unless BENCH_KEEP_INPUTS=1, so a later run
# can reuse them. Outputs live in per-benchmark scratch folders under
# $BUILD/bench, deleted after each benchmark.
#
# Environment: BENCH_RUNS (timed runs per contender, default 5),
# BENCH_THREADS (default 2), TENSORPORT (default $BUILD/tensorport),
# BENCH_QUIET_WAIT / BENCH_QUIET_BUSY (wait for other processes to leave the
# CPUs idle before each run, see bench/harness.py).
#
# The Markdown report goes to stdout and to $BUILD/bench/results/report.md.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
export BUILD
export TENSORPORT=${TENSORPORT:-$BUILD/tensorport}
PY="$BUILD/venv/bin/python"
QUANTIZE="$BUILD/llama.cpp/build/bin/llama-quantize"
RESULTS="$BUILD/bench/results"

die() { echo "run_all.sh: $*" >&2; exit 1; }
[ -x "$TENSORPORT" ] || die "no tensorport at $TENSORPORT (make build)"
[ -x "$PY" ] || die "no Python environment at $BUILD/venv (scripts/setup.sh python)"
[ -x "$QUANTIZE" ] || die "no llama-quantize at $QUANTIZE (scripts/setup.sh llama)"
[ -x /usr/bin/time ] || die "/usr/bin/time is needed (apt-get install time)"

mkdir -p "$BUILD/bench" "$RESULTS"
avail_kb=$(df -Pk "$BUILD/bench" | awk 'NR==2 {print $4}')
need_kb=$((14 * 1024 * 1024))
if [ ! -d "$BUILD/bench/inputs" ] && [ "$avail_kb" -lt "$need_kb" ]; then
  die "needs about 14 GB free under $BUILD/bench ($((avail_kb / 1024 / 1024)) GB available)"
fi

which=("$@")
[ ${#which[@]} -gt 0 ] || which=(safetensors gguf)

cleanup() {
  rm -rf "$BUILD/bench/st-bf16" "$BUILD/bench/st-f32" "$BUILD/bench/quant-q8_0" \
         "$BUILD/bench/quant-q4_k_m" "$BUILD/bench/dequant" "$BUILD/bench/.rss"
  if [ "${BENCH_KEEP_INPUTS:-0}" != 1 ]; then rm -rf "$BUILD/bench/inputs"; fi
}
trap cleanup EXIT

machine() {
  local model cores mem disk fs
  model=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
  cores=$(nproc)
  mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
  disk=$(df -h "$BUILD/bench" | awk 'NR==2 {print $1 ", " $2 " (" $4 " free)"}')
  fs=$(df -T "$BUILD/bench" | awk 'NR==2 {print $2}')
  echo "## Machine"
  echo
  echo "* CPU: $model, $cores cores ($(lscpu | sed -n 's/^Thread(s) per core: *//p') thread(s) per core)"
  echo "* RAM: $mem"
  echo "* disk: $disk, $fs"
  echo "* kernel: $(uname -sr)"
  echo "* date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "* tensorport: $TENSORPORT ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" diff --quiet 2>/dev/null || echo ', modified tree'))"
  echo "* llama.cpp: $(sed -n 's/^LLAMA_CPP_PY_VERSION=//p' "$ROOT/scripts/setup.sh") (llama-cpp-python sdist), built by scripts/setup.sh"
  echo "* Python: $("$PY" - <<'PYEOF'
import sys
from importlib.metadata import version
print(sys.version.split()[0] + ", " + ", ".join(
    f"{p} {version(p)}" for p in ("numpy", "torch", "safetensors", "gguf")))
PYEOF
)"
  echo "* threads: ${BENCH_THREADS:-2} for every contender; median of ${BENCH_RUNS:-5} runs after one warm-up"
  echo
}

{
  echo "# tensorport benchmarks"
  echo
  machine
  for w in "${which[@]}"; do
    case "$w" in
      safetensors) (cd bench && "$PY" bench_safetensors.py bf16 f32) ;;
      gguf) (cd bench && "$PY" bench_gguf.py quantize dequant) ;;
      *) die "unknown benchmark $w (safetensors, gguf)" ;;
    esac
  done
} | tee "$RESULTS/report.md"
