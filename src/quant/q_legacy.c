/*
 * q_legacy.c - scalar reference codecs of ggml's 32-element block types:
 * Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and the intermediate Q8_1.
 *
 * The quantizers reproduce llama.cpp's quantize_row_q*_ref byte for byte:
 * strict binary32 with one rounding per operation (the build forbids
 * contraction into FMA), the same operation order, the scale's reciprocal
 * taken from the unrounded binary32 d, and per type the rounding rule
 * upstream uses (truncation of x*id + 8.5 and friends, roundf for Q8).
 * The SIMD paths (q_legacy_x86.c, q_legacy_neon.c) must agree with this file
 * bit for bit and fall back to it for blocks they do not handle.
 * Block layouts and rules: docs/formats/ggml-quants.md.
 */
#include "quant_impl.h"

#include <float.h>
#include <math.h>

#define QK 32

/* Upstream converts the float straight to int8_t/uint8_t. For values
 * outside the target range (an infinite x*id when 1/d overflowed) C leaves
 * that undefined; x86-64 compilers emit a truncating conversion to int32,
 * which yields INT32_MIN for NaN and out-of-range inputs, and keep its low
 * byte. That is the behaviour defined here, without undefined behaviour. */
static inline uint8_t low_byte_trunc(float v) {
  int32_t i = (v >= -2147483648.0f && v < 2147483648.0f) ? (int32_t)v
                                                          : INT32_MIN;
  return (uint8_t)(uint32_t)i;
}

/* MIN(cap, (int8_t)v) as upstream writes it: the comparison is signed. */
static inline uint8_t capped_code(float v, int cap) {
  int q = (int8_t)low_byte_trunc(v);
  return (uint8_t)(q < cap ? q : cap);
}

/* The element with the largest magnitude, keeping its sign; the first one
 * wins ties and NaN never wins. 0.0f when every element is zero (or NaN). */
static float signed_absmax(const float *x) {
  float amax = 0.0f, max = 0.0f;
  int j;
  for (j = 0; j < QK; j++) {
    if (amax < fabsf(x[j])) {
      amax = fabsf(x[j]);
      max = x[j];
    }
  }
  return max;
}

/* Minimum and maximum as upstream scans them: strict comparisons from
 * +-FLT_MAX, so the first of equal values (and of +0/-0) is kept. */
static void block_min_max(const float *x, float *min_out, float *max_out) {
  float min = FLT_MAX, max = -FLT_MAX;
  int j;
  for (j = 0; j < QK; j++) {
    if (x[j] < min) min = x[j];
    if (x[j] > max) max = x[j];
  }
  *min_out = min;
  *max_out = max;
}

/* ---- Q4_0: f16 d; u8 qs[16] ------------------------------------------- */

void tp_q4_0_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 18) {
    const float d = signed_absmax(x) / -8;
    const float id = d ? 1.0f / d : 0.0f;
    int j;
    tp_store_le16(y, tp_quant_f32_to_f16(d));
    for (j = 0; j < QK / 2; j++) {
      const float x0 = x[j] * id;
      const float x1 = x[j + QK / 2] * id;
      const uint8_t q0 = capped_code(x0 + 8.5f, 15);
      const uint8_t q1 = capped_code(x1 + 8.5f, 15);
      y[2 + j] = (uint8_t)(q0 | (q1 << 4));
    }
  }
}

void tp_q4_0_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 18, y += QK) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    int j;
    for (j = 0; j < QK / 2; j++) {
      y[j] = (float)((x[2 + j] & 0x0F) - 8) * d;
      y[j + QK / 2] = (float)((x[2 + j] >> 4) - 8) * d;
    }
  }
}

/* ---- Q4_1: f16 d; f16 m; u8 qs[16] ------------------------------------ */

void tp_q4_1_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 20) {
    float min, max;
    int j;
    block_min_max(x, &min, &max);
    {
      const float d = (max - min) / 15;
      const float id = d ? 1.0f / d : 0.0f;
      tp_store_le16(y, tp_quant_f32_to_f16(d));
      tp_store_le16(y + 2, tp_quant_f32_to_f16(min));
      for (j = 0; j < QK / 2; j++) {
        const float x0 = (x[j] - min) * id;
        const float x1 = (x[j + QK / 2] - min) * id;
        const uint8_t q0 = capped_code(x0 + 0.5f, 15);
        const uint8_t q1 = capped_code(x1 + 0.5f, 15);
        y[4 + j] = (uint8_t)(q0 | (q1 << 4));
      }
    }
  }
}

void tp_q4_1_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 20, y += QK) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    const float m = tp_quant_f16_to_f32(tp_load_le16(x + 2));
    int j;
    for (j = 0; j < QK / 2; j++) {
      y[j] = (float)(x[4 + j] & 0x0F) * d + m;
      y[j + QK / 2] = (float)(x[4 + j] >> 4) * d + m;
    }
  }
}

/* ---- Q5_0: f16 d; u8 qh[4]; u8 qs[16] --------------------------------- */

void tp_q5_0_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 22) {
    const float d = signed_absmax(x) / -16;
    const float id = d ? 1.0f / d : 0.0f;
    uint32_t qh = 0;
    int j;
    tp_store_le16(y, tp_quant_f32_to_f16(d));
    for (j = 0; j < QK / 2; j++) {
      const float x0 = x[j] * id;
      const float x1 = x[j + QK / 2] * id;
      const uint8_t q0 = capped_code(x0 + 16.5f, 31);
      const uint8_t q1 = capped_code(x1 + 16.5f, 31);
      y[6 + j] = (uint8_t)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
      qh |= (uint32_t)((q0 >> 4) & 1u) << j;
      qh |= (uint32_t)((q1 >> 4) & 1u) << (j + QK / 2);
    }
    tp_store_le32(y + 2, qh);
  }
}

void tp_q5_0_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 22, y += QK) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    const uint32_t qh = tp_load_le32(x + 2);
    int j;
    for (j = 0; j < QK / 2; j++) {
      const int h0 = (int)((qh >> j) & 1u) << 4;
      const int h1 = (int)((qh >> (j + QK / 2)) & 1u) << 4;
      y[j] = (float)(((x[6 + j] & 0x0F) | h0) - 16) * d;
      y[j + QK / 2] = (float)(((x[6 + j] >> 4) | h1) - 16) * d;
    }
  }
}

/* ---- Q5_1: f16 d; f16 m; u8 qh[4]; u8 qs[16] -------------------------- */

void tp_q5_1_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 24) {
    float min, max;
    uint32_t qh = 0;
    int j;
    block_min_max(x, &min, &max);
    {
      const float d = (max - min) / 31;
      const float id = d ? 1.0f / d : 0.0f;
      tp_store_le16(y, tp_quant_f32_to_f16(d));
      tp_store_le16(y + 2, tp_quant_f32_to_f16(min));
      for (j = 0; j < QK / 2; j++) {
        const float x0 = (x[j] - min) * id;
        const float x1 = (x[j + QK / 2] - min) * id;
        /* upstream applies no upper clamp here (the code cannot exceed 31
         * for finite input) */
        const uint8_t q0 = low_byte_trunc(x0 + 0.5f);
        const uint8_t q1 = low_byte_trunc(x1 + 0.5f);
        y[8 + j] = (uint8_t)((q0 & 0x0F) | ((q1 & 0x0F) << 4));
        qh |= (uint32_t)((q0 >> 4) & 1u) << j;
        qh |= (uint32_t)((q1 >> 4) & 1u) << (j + QK / 2);
      }
    }
    tp_store_le32(y + 4, qh);
  }
}

void tp_q5_1_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 24, y += QK) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    const float m = tp_quant_f16_to_f32(tp_load_le16(x + 2));
    const uint32_t qh = tp_load_le32(x + 4);
    int j;
    for (j = 0; j < QK / 2; j++) {
      const int h0 = (int)((qh >> j) & 1u) << 4;
      const int h1 = (int)((qh >> (j + QK / 2)) & 1u) << 4;
      y[j] = (float)((x[8 + j] & 0x0F) | h0) * d + m;
      y[j + QK / 2] = (float)((x[8 + j] >> 4) | h1) * d + m;
    }
  }
}

/* ---- Q8_0: f16 d; i8 qs[32] ------------------------------------------- */

/* amax as upstream's MAX(amax, fabsf(v)) macro computes it: a NaN makes the
 * comparison false and the running value is replaced, NaN included. */
static float q8_amax(const float *x) {
  float amax = 0.0f;
  int j;
  for (j = 0; j < QK; j++) {
    const float a = fabsf(x[j]);
    amax = amax > a ? amax : a;
  }
  return amax;
}

void tp_q8_0_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 34) {
    const float d = q8_amax(x) / 127;
    const float id = d ? 1.0f / d : 0.0f;
    int j;
    tp_store_le16(y, tp_quant_f32_to_f16(d));
    /* roundf: ties away from zero, unlike the K-quants' nearest_int */
    for (j = 0; j < QK; j++) y[2 + j] = low_byte_trunc(roundf(x[j] * id));
  }
}

void tp_q8_0_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 34, y += QK) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    int j;
    for (j = 0; j < QK; j++) y[j] = (float)(int8_t)x[2 + j] * d;
  }
}

/* ---- Q8_1: f16 d; f16 s = d * sum(qs); i8 qs[32] ---------------------- */
/* Only an intermediate of llama.cpp's dot products; never stored in files. */

void tp_q8_1_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 36) {
    const float d = q8_amax(x) / 127;
    const float id = d ? 1.0f / d : 0.0f;
    int sum = 0, j;
    tp_store_le16(y, tp_quant_f32_to_f16(d));
    for (j = 0; j < QK; j++) {
      y[4 + j] = low_byte_trunc(roundf(x[j] * id));
      sum += (int8_t)y[4 + j];
    }
    tp_store_le16(y + 2, tp_quant_f32_to_f16((float)sum * d));
  }
}

void tp_q8_1_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 36, y += QK) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    int j;
    for (j = 0; j < QK; j++) y[j] = (float)(int8_t)x[4 + j] * d;
  }
}
