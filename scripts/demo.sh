#!/usr/bin/env bash
# demo.sh - the main job on the built-in example: a small Hugging Face model
# (examples/tiny-llama) is inspected, converted to F16 SafeTensors with
# verification, compared with its source, converted to GGUF (F16 and a
# llama-quantize preset) and back, and the results inspected.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
TP="$BUILD/tensorport"
SRC=examples/tiny-llama
OUT="$BUILD/demo"

rm -rf "$OUT"
mkdir -p "$OUT"

step() {
  printf '\n\033[1m==> %s\033[0m\n$ %s\n' "$1" "${*:2}"
  "${@:2}"
}

# diff exits 1 when the models differ, which is the expected answer here
step_diff() {
  printf '\n\033[1m==> %s\033[0m\n$ %s\n' "$1" "${*:2}"
  local rc=0
  "${@:2}" || rc=$?
  if [ "$rc" -gt 1 ]; then exit "$rc"; fi
}

step "What is in the example folder?" \
  "$TP" inspect "$SRC"
step "BF16 -> F16 SafeTensors, every tensor checked after writing" \
  "$TP" convert "$SRC" "$OUT/tiny-llama-f16.safetensors" --type f16 --verify
step_diff "How far is F16 from the BF16 original?" \
  "$TP" diff "$SRC" "$OUT/tiny-llama-f16.safetensors"
step "HF folder -> GGUF F16 (names and metadata kept)" \
  "$TP" convert "$SRC" "$OUT/tiny-llama-f16.gguf" --type f16 --verify
step "GGUF F16 -> GGUF Q8_0" \
  "$TP" convert "$OUT/tiny-llama-f16.gguf" "$OUT/tiny-llama-q8_0.gguf" --type q8_0 --verify
step "The quantized GGUF file" \
  "$TP" inspect "$OUT/tiny-llama-q8_0.gguf"
step "GGUF Q8_0 -> SafeTensors F32 (dequantized, GGUF metadata kept)" \
  "$TP" convert "$OUT/tiny-llama-q8_0.gguf" "$OUT/tiny-llama-q8_0-f32.safetensors" --type f32 --verify
step_diff "Quantization error of Q8_0 against the F16 model" \
  "$TP" diff "$OUT/tiny-llama-f16.gguf" "$OUT/tiny-llama-q8_0-f32.safetensors"
printf '\nDemo outputs are in %s\n' "$OUT"
