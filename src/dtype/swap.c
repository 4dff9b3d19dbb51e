/*
 * swap.c - byte order of stored tensor data.
 *
 * Plain elements are reversed whole. ggml block types keep their packed
 * codes as bytes and only reverse the f16 scale fields, at the offsets
 * gguf-py's gguf_convert_endian.py uses; types it cannot convert have no
 * rule here either, so they are refused rather than read with wrong scales.
 */
#include "dtype.h"

static const struct {
  tp_type t;
  uint32_t n;        /* number of f16 fields per block */
  uint32_t off[2];   /* their byte offsets */
} g_block_rules[] = {
    {TP_TYPE_Q8_0, 1, {0, 0}},   {TP_TYPE_Q4_0, 1, {0, 0}},
    {TP_TYPE_Q4_K, 2, {0, 2}},   {TP_TYPE_Q6_K, 1, {208, 0}},
    {TP_TYPE_MXFP4, 0, {0, 0}},  {TP_TYPE_NVFP4, 0, {0, 0}},
};

bool tp_swap_rule(tp_type t, uint8_t *swap_size) {
  const tp_type_traits *tr = tp_type_traits_of(t);
  size_t i;
  if (!tr) return false;
  if (tr->kind != TP_KIND_QUANT) {
    /* sub-byte and single-byte types have no byte order; complex numbers
       are two floats */
    if (tr->blck != 1 || tr->bytes == 1) *swap_size = 0;
    else *swap_size = (uint8_t)(tr->kind == TP_KIND_COMPLEX ? 4 : tr->bytes);
    return true;
  }
  for (i = 0; i < TP_ARRAY_LEN(g_block_rules); i++)
    if (g_block_rules[i].t == t) {
      *swap_size = g_block_rules[i].n ? TP_SWAP_BLOCK_FIELDS : 0;
      return true;
    }
  return false;
}

bool tp_swap_storage(tp_type t, uint8_t swap_size, void *buf, size_t len) {
  uint8_t *p = (uint8_t *)buf;
  size_t i, b, bb;
  if (swap_size == 0) return true;
  if (swap_size != TP_SWAP_BLOCK_FIELDS) {
    if (len % swap_size) return false;
    tp_byteswap(buf, len / swap_size, swap_size);
    return true;
  }
  bb = tp_type_block_bytes(t);
  for (i = 0; i < TP_ARRAY_LEN(g_block_rules); i++) {
    if (g_block_rules[i].t != t) continue;
    if (!bb || len % bb) return false;
    for (b = 0; b < len; b += bb) {
      uint32_t k;
      for (k = 0; k < g_block_rules[i].n; k++) {
        uint8_t *f = p + b + g_block_rules[i].off[k];
        uint8_t x = f[0];
        f[0] = f[1];
        f[1] = x;
      }
    }
    return true;
  }
  return false;
}
