#!/usr/bin/env bash
# fuzz.sh - run the libFuzzer targets built in a clang fuzz build.
#
#   scripts/fuzz.sh replay BUILD_DIR          replay every checked-in corpus
#   scripts/fuzz.sh run BUILD_DIR [SECONDS]   fuzz each target for SECONDS
#                                             (new inputs go to a scratch dir)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: fuzz.sh replay|run BUILD_DIR [SECONDS]}
build=${2:?build dir}
secs=${3:-60}
status=0
for fz in "$build"/fuzz/fuzz_*; do
  name=$(basename "$fz")
  # only the fuzzer binaries: not their scratch dirs (fuzz_X.new), logs or
  # reproducers (fuzz_X-crash-...)
  case "$name" in *.* | *-*) continue ;; esac
  [ -f "$fz" ] && [ -x "$fz" ] || continue
  corpus="tests/fuzz/corpus/${name#fuzz_}"
  [ -d "$corpus" ] || { echo "fuzz: no corpus for $name" >&2; status=1; continue; }
  case "$mode" in
    replay)
      n=$(find "$corpus" -type f | wc -l)
      if "$fz" -runs=0 "$corpus" >"$build/fuzz/$name.replay.log" 2>&1; then
        echo "fuzz: $name replayed $n inputs: ok"
      else
        echo "fuzz: $name FAILED on its corpus (see $build/fuzz/$name.replay.log)" >&2
        tail -30 "$build/fuzz/$name.replay.log" >&2
        status=1
      fi ;;
    run)
      scratch="$build/fuzz/$name.new"
      mkdir -p "$scratch"
      # crash, leak, timeout and OOM reproducers go next to the scratch dir
      "$fz" -max_total_time="$secs" -max_len=65536 -timeout=5 -rss_limit_mb=2560 \
        -artifact_prefix="$build/fuzz/$name-" -print_final_stats=1 \
        "$scratch" "$corpus" || status=1 ;;
  esac
done
exit $status
