/*
 * q_tq.c - the ternary and low-bit ggml types: TQ1_0, TQ2_0 (ternary codes
 * under one f16 scale per 256 values), Q1_0 (sign bits, 128 values) and Q2_0
 * (2-bit codes -1..2, 64 values).
 *
 * Quantizers reproduce llama.cpp's quantize_row_<type>_ref byte for byte and
 * dequantizers its dequantize_row_<type> float for float. Upstream computes
 * codes with int and uint8_t arithmetic that wraps; the same wrap-around is
 * written here with unsigned arithmetic so that no input (NaN, infinities,
 * subnormal scales) reaches undefined behaviour, while finite inputs give
 * upstream's bytes.
 */
#include "q_iq.h"

#include <math.h>

#define QK_K 256
#define TQ1_0_BYTES 54 /* qs[48], qh[4], f16 d */
#define TQ2_0_BYTES 66 /* qs[64], f16 d */
#define Q1_0_BYTES 18  /* f16 d, qs[16] */
#define Q2_0_BYTES 18  /* f16 d, qs[16] */

/* Largest magnitude as upstream's MAX(amax, fabsf(v)) computes it: a NaN
 * element replaces amax, and the next element replaces the NaN. */
static float tq_amax(const float *x, int n) {
  float amax = 0.0f;
  int j;
  for (j = 0; j < n; j++) {
    const float a = fabsf(x[j]);
    amax = amax > a ? amax : a;
  }
  return amax;
}

/* Ternary code (0, 1, 2 for -1, 0, +1) of v, reduced modulo 256 like the
 * uint8_t accumulation upstream (int xi = lroundf(v) + 1). lroundf is called
 * as upstream calls it, so NaN and infinite products give the same libm
 * result; the unsigned conversion keeps the low bits without overflow. */
static unsigned tq_code(float v) {
  return (unsigned)lroundf(v) + 1u;
}

/* Packs n ternary codes of elements x[m], x[m+stride], ... into one byte:
 * base-3 digits, first element most significant, scaled by 256/243 with
 * rounding up so that the decoder's (b * 3^k * 3) >> 8 recovers them. */
static uint8_t tq1_pack(const float *x, size_t stride, int n, float id,
                        int extra_shift) {
  unsigned q = 0;
  int k;
  for (k = 0; k < n; k++) {
    q = (q * 3u + tq_code(x[stride * (size_t)k] * id)) & 0xffu;
  }
  if (extra_shift) q = (q * 3u) & 0xffu; /* first value to the top trit */
  return (uint8_t)((q * 256u + (243u - 1u)) / 243u);
}

void tp_tq1_0_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t nb = n / QK_K, i;
  for (i = 0; i < nb; i++, x += QK_K, y += TQ1_0_BYTES) {
    const float d = tq_amax(x, QK_K);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    size_t m;
    /* bytes 0..31: elements m + 32k, k = 0..4 (elements 0..159) */
    for (m = 0; m < 32; m++) y[m] = tq1_pack(x + m, 32, 5, id, 0);
    /* bytes 32..47: elements 160 + m + 16k (elements 160..239) */
    for (m = 0; m < 16; m++) y[32 + m] = tq1_pack(x + 160 + m, 16, 5, id, 0);
    /* qh[0..3]: elements 240 + m + 4k, k = 0..3 */
    for (m = 0; m < 4; m++) y[48 + m] = tq1_pack(x + 240 + m, 4, 4, id, 1);
    tp_store_le16(y + 52, tp_quant_f32_to_f16(d));
  }
}

void tp_tq1_0_dequantize_ref(const void *vx, float *y, size_t n) {
  static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
  const uint8_t *x = (const uint8_t *)vx;
  size_t nb = n / QK_K, i;
  for (i = 0; i < nb; i++, x += TQ1_0_BYTES) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x + 52));
    int k, m;
    /* digit k of byte b: ((b * 3^k mod 256) * 3) >> 8 */
    for (k = 0; k < 5; k++) {
      for (m = 0; m < 32; m++) {
        const uint8_t q = (uint8_t)(x[m] * pow3[k]);
        *y++ = (float)((int)((q * 3u) >> 8) - 1) * d;
      }
    }
    for (k = 0; k < 5; k++) {
      for (m = 0; m < 16; m++) {
        const uint8_t q = (uint8_t)(x[32 + m] * pow3[k]);
        *y++ = (float)((int)((q * 3u) >> 8) - 1) * d;
      }
    }
    for (k = 0; k < 4; k++) {
      for (m = 0; m < 4; m++) {
        const uint8_t q = (uint8_t)(x[48 + m] * pow3[k]);
        *y++ = (float)((int)((q * 3u) >> 8) - 1) * d;
      }
    }
  }
}

void tp_tq2_0_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t nb = n / QK_K, i;
  for (i = 0; i < nb; i++, x += QK_K, y += TQ2_0_BYTES) {
    const float d = tq_amax(x, QK_K);
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    int j, m, k;
    /* each 128-value chunk fills 32 bytes: element m + 32k at bits 2k */
    for (j = 0; j < 64; j += 32) {
      const float *xc = x + 4 * j;
      for (m = 0; m < 32; m++) {
        unsigned q = 0;
        for (k = 0; k < 4; k++) {
          q += (tq_code(xc[m + 32 * k] * id) & 3u) << (2 * k);
        }
        y[j + m] = (uint8_t)q;
      }
    }
    tp_store_le16(y + 64, tp_quant_f32_to_f16(d));
  }
}

void tp_tq2_0_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t nb = n / QK_K, i;
  for (i = 0; i < nb; i++, x += TQ2_0_BYTES) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x + 64));
    int j, l, m;
    for (j = 0; j < 64; j += 32) {
      for (l = 0; l < 4; l++) {
        for (m = 0; m < 32; m++) {
          const int q = (x[j + m] >> (2 * l)) & 3;
          *y++ = (float)(q - 1) * d;
        }
      }
    }
  }
}

/* ---- Q1_0: f16 d = mean |x|; one sign bit per element (1: +d) -------- */

void tp_q1_0_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t nb = n / 128, i;
  for (i = 0; i < nb; i++, x += 128, y += Q1_0_BYTES) {
    float sum_abs = 0.0f;
    int j;
    for (j = 0; j < 128; j++) sum_abs += fabsf(x[j]);
    tp_store_le16(y, tp_quant_f32_to_f16(sum_abs / 128.0f));
    memset(y + 2, 0, 16);
    /* >= keeps -0.0 positive and sends NaN to the negative side, as
     * upstream's comparison does */
    for (j = 0; j < 128; j++) {
      if (x[j] >= 0.0f) y[2 + j / 8] |= (uint8_t)(1u << (j % 8));
    }
  }
}

void tp_q1_0_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t nb = n / 128, i;
  for (i = 0; i < nb; i++, x += Q1_0_BYTES, y += 128) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    const float neg_d = -d;
    int j;
    for (j = 0; j < 128; j++) {
      y[j] = ((x[2 + j / 8] >> (j % 8)) & 1) ? d : neg_d;
    }
  }
}

/* ---- Q2_0: f16 d = amax; codes clamp(roundf(x/d), -1, 2) + 1 ---------- */

/* (int)v as x86-64 computes it (cvttss2si): in-range values truncate, NaN
 * and out-of-range values give INT_MIN. C leaves the latter undefined;
 * upstream's (int)roundf(...) compiles to exactly this on its reference
 * platform, and here it stays well defined. */
static int tp_f32_to_int_x86(float v) {
  if (v >= -2147483648.0f && v < 2147483648.0f) return (int)v;
  return INT32_MIN;
}

void tp_q2_0_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t nb = n / 64, i;
  for (i = 0; i < nb; i++, x += 64, y += Q2_0_BYTES) {
    float amax = 0.0f;
    float id;
    int j;
    for (j = 0; j < 64; j++) {
      const float a = fabsf(x[j]);
      if (a > amax) amax = a;
    }
    id = amax > 0.0f ? 1.0f / amax : 0.0f;
    tp_store_le16(y, tp_quant_f32_to_f16(amax));
    memset(y + 2, 0, 16);
    for (j = 0; j < 64; j++) {
      int q = tp_f32_to_int_x86(roundf(x[j] * id));
      /* clamp before adding 1 so INT_MIN cannot overflow; same result as
       * upstream's clamp of q + 1 to [0, 3] */
      q = q < -1 ? 0 : q > 2 ? 3 : q + 1;
      y[2 + j / 4] |= (uint8_t)(q << ((j % 4) * 2));
    }
  }
}

void tp_q2_0_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t nb = n / 64, i;
  for (i = 0; i < nb; i++, x += Q2_0_BYTES, y += 64) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    int j;
    for (j = 0; j < 64; j++) {
      const int q = (x[2 + j / 4] >> ((j % 4) * 2)) & 3;
      y[j] = (float)(q - 1) * d;
    }
  }
}
