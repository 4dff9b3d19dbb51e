/*
 * q_fp4.c - the FP4 ggml types: MXFP4 (32 E2M1 values under one E8M0
 * exponent byte) and NVFP4 (64 E2M1 values, one UE4M3 scale byte per 16).
 *
 * Both store 4-bit codes into the doubled E2M1 table tp_kvalues_fp4 (0, 1,
 * 2, 3, 4, 6, 8, 12 and their negatives), so their scale decoders return
 * half the nominal scale. Quantizers reproduce llama.cpp's
 * quantize_row_mxfp4_ref / quantize_row_nvfp4_ref byte for byte,
 * dequantizers its dequantize_row_mxfp4 / _nvfp4 float for float.
 */
#include "q_iq.h"

#include "iq_tables.h"

#include <math.h>

#define MXFP4_BYTES 17 /* u8 e; u8 qs[16] */
#define NVFP4_BYTES 36 /* u8 d[4]; u8 qs[32] */

float tp_fp4_e8m0_half(uint8_t e) {
  /* 2^(e-128) built from bits: e = 0 and 1 are binary32 subnormals
   * (0x00200000 = 2^-128, 0x00400000 = 2^-127), the rest have exponent field
   * e - 1. e = 255 (NaN in E8M0) gives 2^127 as in ggml. */
  return tp_bits_f32(e < 2 ? 0x00200000u << e : (uint32_t)(e - 1) << 23);
}

float tp_fp4_ue4m3_half(uint8_t x) {
  /* ggml's decoder: bias 7, 3 mantissa bits; 0 and 0x7F (NaN) decode to 0
   * and the sign bit (not used by the format) is ignored. ldexpf is exact
   * here, as in ggml. */
  const int ex = (x >> 3) & 0xF;
  const int man = x & 0x7;
  float raw;
  if (x == 0 || x == 0x7F) return 0.0f;
  if (ex == 0) {
    raw = ldexpf((float)man, -9);
  } else {
    raw = ldexpf(1.0f + (float)man / 8.0f, ex - 7);
  }
  return raw * 0.5f;
}

/* ggml_fp32_to_ue4m3: round-half-up on the fourth mantissa bit, saturation
 * to 0x7E (448), subnormals by x * 2^9 + 0.5 truncated. */
static uint8_t fp32_to_ue4m3(float x) {
  uint32_t bits;
  int fp32_exp, fp32_man, ue_exp, ue_man;
  if (!(x > 0.0f)) return 0;
  if (x > 448.0f) x = 448.0f;
  bits = tp_f32_bits(x);
  fp32_exp = (int)((bits >> 23) & 0xFF) - 127;
  fp32_man = (int)((bits >> 20) & 0x7);
  ue_exp = fp32_exp + 7;
  if (ue_exp <= 0) {
    /* x < 2^-6 here, so the product stays far inside int range */
    int man = (int)(x * 512.0f + 0.5f);
    if (man > 7) man = 7;
    if (man < 1) return 0;
    return (uint8_t)man;
  }
  if (ue_exp >= 15) return 0x7E;
  ue_man = fp32_man + (int)((bits >> 19) & 1);
  if (ue_man > 7) {
    ue_man = 0;
    ue_exp++;
    if (ue_exp >= 15) return 0x7E;
  }
  return (uint8_t)((ue_exp << 3) | ue_man);
}

/* Index of the table value closest to x at scale d; the first (lowest
 * index) wins ties because only a strictly smaller error replaces it. */
static uint8_t best_index_fp4(float x, float d) {
  uint8_t best = 0;
  float best_err = fabsf((float)tp_kvalues_fp4[0] * d - x);
  int i;
  for (i = 1; i < 16; i++) {
    const float err = fabsf((float)tp_kvalues_fp4[i] * d - x);
    if (err < best_err) {
      best = (uint8_t)i;
      best_err = err;
    }
  }
  return best;
}

/* (uint8_t)v for the exponent expression of quantize_row_mxfp4_ref as x86-64
 * evaluates it: truncation to int32 (cvttss2si; NaN and out-of-range give
 * INT32_MIN), then the low byte. Tiny amax values thus wrap (2^-126 gives
 * 255) exactly as upstream does; C itself leaves these conversions
 * undefined. */
static uint8_t mxfp4_exponent_byte(float v) {
  int32_t i = INT32_MIN;
  if (v >= -2147483648.0f && v < 2147483648.0f) i = (int32_t)v;
  return (uint8_t)((uint32_t)i & 0xffu);
}

void tp_mxfp4_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t nb = n / 32, i;
  for (i = 0; i < nb; i++, x += 32, y += MXFP4_BYTES) {
    float amax = 0.0f;
    uint8_t e = 0;
    float d;
    int j;
    for (j = 0; j < 32; j++) {
      if (amax < fabsf(x[j])) amax = fabsf(x[j]);
    }
    /* floorf(log2f(amax)), not the exponent bits of amax: log2f rounds up
     * to the next integer for values just below some powers of two (e.g.
     * 8 - 2^-21 gives 3.0), and upstream's byte follows log2f. */
    if (amax > 0.0f) {
      e = mxfp4_exponent_byte(floorf(log2f(amax)) - 2.0f + 127.0f);
    }
    d = tp_fp4_e8m0_half(e);
    y[0] = e;
    for (j = 0; j < 16; j++) {
      y[1 + j] = (uint8_t)(best_index_fp4(x[j], d) |
                           (best_index_fp4(x[16 + j], d) << 4));
    }
  }
}

void tp_mxfp4_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t nb = n / 32, i;
  for (i = 0; i < nb; i++, x += MXFP4_BYTES, y += 32) {
    const float d = tp_fp4_e8m0_half(x[0]);
    int j;
    for (j = 0; j < 16; j++) {
      y[j] = (float)tp_kvalues_fp4[x[1 + j] & 0x0F] * d;
      y[j + 16] = (float)tp_kvalues_fp4[x[1 + j] >> 4] * d;
    }
  }
}

void tp_nvfp4_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t nb = n / 64, i;
  for (i = 0; i < nb; i++, x += 64, y += NVFP4_BYTES) {
    int s;
    for (s = 0; s < 4; s++) {
      const float *xb = x + 16 * s;
      float amax = 0.0f;
      uint8_t ue;
      float d;
      int j;
      for (j = 0; j < 16; j++) {
        if (amax < fabsf(xb[j])) amax = fabsf(xb[j]);
      }
      /* amax / 6 maps the largest E2M1 magnitude (6) onto amax */
      ue = fp32_to_ue4m3(amax / 6.0f);
      d = tp_fp4_ue4m3_half(ue);
      y[s] = ue;
      for (j = 0; j < 8; j++) {
        y[4 + 8 * s + j] = (uint8_t)(best_index_fp4(xb[j], d) |
                                     (best_index_fp4(xb[8 + j], d) << 4));
      }
    }
  }
}

void tp_nvfp4_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t nb = n / 64, i;
  for (i = 0; i < nb; i++, x += NVFP4_BYTES, y += 64) {
    int s, j;
    for (s = 0; s < 4; s++) {
      const float d = tp_fp4_ue4m3_half(x[s]);
      const uint8_t *qs = x + 4 + 8 * s;
      float *yb = y + 16 * s;
      for (j = 0; j < 8; j++) {
        yb[j] = (float)tp_kvalues_fp4[qs[j] & 0x0F] * d;
        yb[j + 8] = (float)tp_kvalues_fp4[qs[j] >> 4] * d;
      }
    }
  }
}
