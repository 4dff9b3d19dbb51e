/*
 * f16.c - binary32 <-> binary16 scalar conversions with ggml's semantics.
 *
 * Every block codec stores its scales through these, so the results must be
 * the bits llama.cpp's ggml_compute_fp32_to_fp16 / ggml_compute_fp16_to_fp32
 * produce: round to nearest even, subnormals kept, overflow to infinity,
 * NaN -> sign | 0x7E00 on the way down and a quieted NaN (payload kept) on
 * the way up. Integer arithmetic only, so the result cannot depend on the
 * compiler's floating-point settings. The unit tests compare it with an
 * independent model; it also matched ggml's functions on all 2^32 (2^16)
 * inputs when checked against libggml-base.
 */
#include "quant.h"

uint16_t tp_quant_f32_to_f16(float f) {
  uint32_t u = tp_f32_bits(f);
  uint16_t sign = (uint16_t)((u >> 16) & 0x8000u);
  uint32_t a = u & 0x7FFFFFFFu;

  if (a > 0x7F800000u) return (uint16_t)(sign | 0x7E00u);
  /* 65520 is half-way between 65504 (odd mantissa) and 2^16: ties to even
   * go up, so it and everything above becomes infinity. */
  if (a >= 0x477FF000u) return (uint16_t)(sign | 0x7C00u);

  if (a >= 0x38800000u) { /* result is a binary16 normal */
    uint32_t h = (((a >> 23) - 112u) << 10) | ((a >> 13) & 0x3FFu);
    uint32_t rem = a & 0x1FFFu;
    /* a carry out of the mantissa correctly bumps the exponent */
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) h++;
    return (uint16_t)(sign | h);
  }
  /* 2^-25 is the tie between 0 and the smallest subnormal: even wins */
  if (a <= 0x33000000u) return sign;
  {
    uint32_t m = (a & 0x7FFFFFu) | 0x800000u;
    uint32_t shift = 126u - (a >> 23); /* 14..24: units of 2^-24 */
    uint32_t h = m >> shift;
    uint32_t rem = m & ((1u << shift) - 1u);
    uint32_t half = 1u << (shift - 1u);
    /* rounding up from 0x3FF yields 0x400, the smallest normal: correct */
    if (rem > half || (rem == half && (h & 1u))) h++;
    return (uint16_t)(sign | h);
  }
}

float tp_quant_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t e = (h >> 10) & 0x1Fu;
  uint32_t m = h & 0x3FFu;

  if (e == 31) {
    /* ggml's multiply by 2^-112 quiets a signalling NaN */
    return tp_bits_f32(sign | 0x7F800000u | (m << 13) | (m ? 0x400000u : 0));
  }
  if (e == 0) {
    /* subnormal: m * 2^-24 is exact in binary32 (a power-of-two scale) */
    return tp_bits_f32(sign | tp_f32_bits((float)m * 0x1p-24f));
  }
  return tp_bits_f32(sign | ((e + 112u) << 23) | (m << 13));
}
