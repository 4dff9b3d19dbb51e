/*
 * quant_impl.h - per-type row codecs behind the dispatch in quant.c.
 *
 * Naming: tp_<type>_quantize_ref / tp_<type>_dequantize_ref are the scalar
 * reference paths; *_x86 / *_neon are optional SIMD paths that must produce
 * identical bytes (quantize) or identical floats (dequantize). n is an
 * element count, a multiple of the block size.
 */
#ifndef TP_QUANT_IMPL_H
#define TP_QUANT_IMPL_H

#include "quant.h"

typedef void (*tp_quantize_fn)(const float *x, void *y, size_t n);
typedef void (*tp_dequantize_fn)(const void *x, float *y, size_t n);

typedef struct tp_qcodec {
  tp_type type;
  tp_quantize_fn quantize_ref;     /* NULL: no quantizer */
  tp_dequantize_fn dequantize_ref; /* every ggml block type has one */
  tp_quantize_fn quantize_fast;    /* SIMD path or NULL */
  tp_dequantize_fn dequantize_fast;
} tp_qcodec;

/* The codec of t, with the fast paths filled in only when the running CPU
 * supports them; NULL for non-block types. */
const tp_qcodec *tp_qcodec_of(tp_type t);

/* Shared rounding helpers of the reference quantizers. */
static inline int tp_nearest_int(float fval) {
  /* round half to even via the 1.5*2^23 trick, valid for |fval| <= 4194303 */
  float val = fval + 12582912.f;
  int i;
  memcpy(&i, &val, sizeof(int));
  return (i & 0x007fffff) - 0x00400000;
}

#endif /* TP_QUANT_IMPL_H */
