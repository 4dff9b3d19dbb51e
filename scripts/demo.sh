#!/usr/bin/env bash
# demo.sh - the main job on the built-in example: a small Hugging Face model
# (examples/tiny-llama) is inspected, converted to a GGUF that llama.cpp
# runs (F16, and Q4_K_M in one step), loaded with llama.cpp when it is
# built, converted back to a folder transformers loads, compared with the
# original, and round-tripped to the same GGUF bytes.
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
  "$TP" inspect "$SRC" --no-tensors
step "HF folder -> GGUF F16: llama.cpp's names, metadata and tokenizer, as convert_hf_to_gguf.py writes them" \
  "$TP" convert "$SRC" "$OUT/tiny-llama-f16.gguf" --type f16 --verify
step "HF folder -> GGUF Q4_K_M in one step (the bytes of convert_hf_to_gguf.py + llama-quantize)" \
  "$TP" convert "$SRC" "$OUT/tiny-llama-q4_k_m.gguf" --type Q4_K_M
step "The quantized GGUF file" \
  "$TP" inspect "$OUT/tiny-llama-q4_k_m.gguf" --no-tensors
LOADER="$BUILD/llama.cpp/build/bin/tp-llama-load"
if [ -x "$LOADER" ]; then
  step "llama.cpp loads it (libllama, built by scripts/setup.sh llama)" \
    "$LOADER" "$OUT/tiny-llama-q4_k_m.gguf"
else
  printf '\n(llama.cpp is not built here; `make test` builds it, and then this demo loads the GGUF with it)\n'
fi
step "GGUF F16 -> Hugging Face folder: config.json, tokenizer files and weights transformers loads" \
  "$TP" convert "$OUT/tiny-llama-f16.gguf" "$OUT/tiny-llama-from-gguf/" --to hf
step_diff "How far is the folder from the BF16 original? (F16 rounding only)" \
  "$TP" diff "$SRC" "$OUT/tiny-llama-from-gguf"
step "And back to GGUF: the same file as the first one" \
  "$TP" convert "$OUT/tiny-llama-from-gguf" "$OUT/tiny-llama-f16-again.gguf" --type f16
step "Byte for byte?" \
  cmp "$OUT/tiny-llama-f16.gguf" "$OUT/tiny-llama-f16-again.gguf"
step "BF16 -> F16 SafeTensors folder, every tensor checked after writing" \
  "$TP" convert "$SRC" "$OUT/tiny-llama-f16/" --type f16 --verify
printf '\nDemo outputs are in %s\n' "$OUT"
