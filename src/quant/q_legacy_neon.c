/*
 * q_legacy_neon.c - NEON codecs of the 32-element block types (Q4_0, Q4_1,
 * Q5_0, Q5_1, Q8_0, Q8_1) for aarch64, one block per iteration.
 *
 * Same contract and reasoning as q_legacy_x86.c: the bytes and floats must
 * equal the scalar reference of q_legacy.c. Points particular to NEON:
 *  - vmulq_f32 and vaddq_f32 are plain vector arithmetic in GCC's
 *    arm_neon.h, so only -ffp-contract=off (set for the whole build) keeps
 *    x*id + 8.5 from becoming one fused FMLA; never use vmla/vfma here;
 *  - vcvtq_s32_f32 saturates (+inf -> INT32_MAX) where the reference's
 *    conversion gives INT32_MIN, so large lanes are patched (cvtt_i32);
 *    NaN lanes give 0 on both sides;
 *  - vrndaq_f32 (FRINTA) is exactly roundf: nearest, ties away from zero;
 *  - the rare searches for the first element of a given value (the sign of
 *    the scale, the sign of a zero minimum) run as scalar loops.
 * Blocks containing a NaN are handed to the reference.
 */
#include "quant_impl.h"

#include <arm_neon.h>
#include <float.h>
#include <math.h>

#define QK 32

void tp_q4_0_quantize_ref(const float *x, void *y, size_t n);
void tp_q4_1_quantize_ref(const float *x, void *y, size_t n);
void tp_q5_0_quantize_ref(const float *x, void *y, size_t n);
void tp_q5_1_quantize_ref(const float *x, void *y, size_t n);
void tp_q8_0_quantize_ref(const float *x, void *y, size_t n);
void tp_q8_1_quantize_ref(const float *x, void *y, size_t n);

void tp_q4_0_quantize_neon(const float *x, void *y, size_t n);
void tp_q4_1_quantize_neon(const float *x, void *y, size_t n);
void tp_q5_0_quantize_neon(const float *x, void *y, size_t n);
void tp_q5_1_quantize_neon(const float *x, void *y, size_t n);
void tp_q8_0_quantize_neon(const float *x, void *y, size_t n);
void tp_q8_1_quantize_neon(const float *x, void *y, size_t n);
void tp_q4_0_dequantize_neon(const void *x, float *y, size_t n);
void tp_q4_1_dequantize_neon(const void *x, float *y, size_t n);
void tp_q5_0_dequantize_neon(const void *x, float *y, size_t n);
void tp_q5_1_dequantize_neon(const void *x, float *y, size_t n);
void tp_q8_0_dequantize_neon(const void *x, float *y, size_t n);
void tp_q8_1_dequantize_neon(const void *x, float *y, size_t n);

/* ---- helpers ------------------------------------------------------------ */

/* Loads one block; false when it contains a NaN. */
static inline bool load_block(const float *x, float32x4_t v[8]) {
  uint32x4_t ok = vdupq_n_u32(0xFFFFFFFFu);
  int k;
  for (k = 0; k < 8; k++) {
    v[k] = vld1q_f32(x + 4 * k);
    ok = vandq_u32(ok, vceqq_f32(v[k], v[k]));
  }
  return vminvq_u32(ok) != 0;
}

static inline float block_amax(const float32x4_t v[8]) {
  float32x4_t m = vabsq_f32(v[0]);
  int k;
  for (k = 1; k < 8; k++) m = vmaxq_f32(m, vabsq_f32(v[k]));
  return vmaxvq_f32(m);
}

/* The reference's signed_absmax for a NaN-free block. */
static inline float signed_absmax(const float *x, const float32x4_t v[8]) {
  float amax = block_amax(v);
  int j;
  if (amax == 0.0f) return 0.0f;
  for (j = 0; fabsf(x[j]) != amax; j++) continue;
  return x[j];
}

/* The first element equal to 0 (of either sign); one exists. */
static inline float first_zero(const float *x) {
  int j;
  for (j = 0; x[j] != 0.0f; j++) continue;
  return x[j];
}

/* The reference's block_min_max for a NaN-free block (see the x86 file). */
static inline void min_max(const float *x, const float32x4_t v[8],
                           float *min_out, float *max_out) {
  float32x4_t mn = vdupq_n_f32(FLT_MAX), mx = vdupq_n_f32(-FLT_MAX);
  float min, max;
  int k;
  for (k = 0; k < 8; k++) {
    mn = vminq_f32(mn, v[k]);
    mx = vmaxq_f32(mx, v[k]);
  }
  min = vminvq_f32(mn);
  max = vmaxvq_f32(mx);
  if (min == 0.0f) min = first_zero(x);
  if (max == 0.0f) max = first_zero(x);
  *min_out = min;
  *max_out = max;
}

/* Truncating conversion with the reference's (x86) out-of-range result:
 * INT32_MIN. NEON saturates positive overflow to INT32_MAX instead. */
static inline int32x4_t cvtt_i32(float32x4_t v) {
  uint32x4_t big = vcgeq_f32(v, vdupq_n_f32(2147483648.0f));
  return vbslq_s32(big, vdupq_n_s32(INT32_MIN), vcvtq_s32_f32(v));
}

/* Low bytes of 32 int32 lanes, in element order (the narrowing moves keep
 * the low half without saturating). */
static inline uint8x16x2_t low_bytes(const int32x4_t i[8]) {
  uint8x16x2_t r;
  int h;
  for (h = 0; h < 2; h++) {
    uint16x8_t a = vcombine_u16(vmovn_u32(vreinterpretq_u32_s32(i[4 * h])),
                                vmovn_u32(vreinterpretq_u32_s32(i[4 * h + 1])));
    uint16x8_t b = vcombine_u16(vmovn_u32(vreinterpretq_u32_s32(i[4 * h + 2])),
                                vmovn_u32(vreinterpretq_u32_s32(i[4 * h + 3])));
    r.val[h] = vcombine_u8(vmovn_u16(a), vmovn_u16(b));
  }
  return r;
}

/* Truncated codes of v*scale + add (Q4_0, Q5_0) or (v - sub)*scale + add
 * (Q4_1, Q5_1), one rounding per operation as in the reference. */
static inline uint8x16x2_t codes(const float32x4_t v[8], bool has_sub,
                                 float sub, float scale, float add) {
  const float32x4_t vs = vdupq_n_f32(scale), va = vdupq_n_f32(add);
  const float32x4_t vm = vdupq_n_f32(sub);
  int32x4_t i[8];
  int k;
  for (k = 0; k < 8; k++) {
    float32x4_t t = has_sub ? vsubq_f32(v[k], vm) : v[k];
    i[k] = cvtt_i32(vaddq_f32(vmulq_f32(t, vs), va));
  }
  return low_bytes(i);
}

/* Split-half nibble packing (see the x86 file for lo_mask). */
static inline uint8x16_t pack_nibbles(uint8x16x2_t q, uint8_t lo_mask) {
  return vorrq_u8(vandq_u8(q.val[0], vdupq_n_u8(lo_mask)),
                  vshlq_n_u8(q.val[1], 4));
}

/* Bit 4 of every code, element j at bit j. */
static inline uint32_t high_bits(uint8x16x2_t q) {
  static const uint8_t shifts[16] = {0, 1, 2, 3, 4, 5, 6, 7,
                                     0, 1, 2, 3, 4, 5, 6, 7};
  const int8x16_t sh = vreinterpretq_s8_u8(vld1q_u8(shifts));
  uint32_t r = 0;
  int h;
  for (h = 0; h < 2; h++) {
    uint8x16_t b = vandq_u8(vshrq_n_u8(q.val[h], 4), vdupq_n_u8(1));
    uint8x16_t w = vshlq_u8(b, sh);
    r |= (uint32_t)vaddv_u8(vget_low_u8(w)) << (16 * h);
    r |= (uint32_t)vaddv_u8(vget_high_u8(w)) << (16 * h + 8);
  }
  return r;
}

static inline void store_u8x16(uint8_t *p, uint8x16_t v) { vst1q_u8(p, v); }

/* ---- quantizers --------------------------------------------------------- */

void tp_q4_0_quantize_neon(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 18) {
    float32x4_t v[8];
    float d, id;
    uint8x16x2_t q;
    if (!load_block(x, v)) {
      tp_q4_0_quantize_ref(x, y, QK);
      continue;
    }
    d = signed_absmax(x, v) / -8;
    id = d ? 1.0f / d : 0.0f;
    tp_store_le16(y, tp_quant_f32_to_f16(d));
    q = codes(v, false, 0.0f, id, 8.5f);
    /* MIN(15, (int8_t)code): a signed comparison */
    q.val[0] = vreinterpretq_u8_s8(
        vminq_s8(vreinterpretq_s8_u8(q.val[0]), vdupq_n_s8(15)));
    q.val[1] = vreinterpretq_u8_s8(
        vminq_s8(vreinterpretq_s8_u8(q.val[1]), vdupq_n_s8(15)));
    store_u8x16(y + 2, pack_nibbles(q, 0xFF));
  }
}

void tp_q4_1_quantize_neon(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 20) {
    float32x4_t v[8];
    float min, max, d, id;
    uint8x16x2_t q;
    if (!load_block(x, v)) {
      tp_q4_1_quantize_ref(x, y, QK);
      continue;
    }
    min_max(x, v, &min, &max);
    d = (max - min) / 15;
    id = d ? 1.0f / d : 0.0f;
    tp_store_le16(y, tp_quant_f32_to_f16(d));
    tp_store_le16(y + 2, tp_quant_f32_to_f16(min));
    q = codes(v, true, min, id, 0.5f);
    q.val[0] = vreinterpretq_u8_s8(
        vminq_s8(vreinterpretq_s8_u8(q.val[0]), vdupq_n_s8(15)));
    q.val[1] = vreinterpretq_u8_s8(
        vminq_s8(vreinterpretq_s8_u8(q.val[1]), vdupq_n_s8(15)));
    store_u8x16(y + 4, pack_nibbles(q, 0xFF));
  }
}

void tp_q5_0_quantize_neon(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 22) {
    float32x4_t v[8];
    float d, id;
    uint8x16x2_t q;
    if (!load_block(x, v)) {
      tp_q5_0_quantize_ref(x, y, QK);
      continue;
    }
    d = signed_absmax(x, v) / -16;
    id = d ? 1.0f / d : 0.0f;
    tp_store_le16(y, tp_quant_f32_to_f16(d));
    q = codes(v, false, 0.0f, id, 16.5f);
    q.val[0] = vreinterpretq_u8_s8(
        vminq_s8(vreinterpretq_s8_u8(q.val[0]), vdupq_n_s8(31)));
    q.val[1] = vreinterpretq_u8_s8(
        vminq_s8(vreinterpretq_s8_u8(q.val[1]), vdupq_n_s8(31)));
    tp_store_le32(y + 2, high_bits(q));
    store_u8x16(y + 6, pack_nibbles(q, 0x0F));
  }
}

void tp_q5_1_quantize_neon(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 24) {
    float32x4_t v[8];
    float min, max, d, id;
    uint8x16x2_t q;
    if (!load_block(x, v)) {
      tp_q5_1_quantize_ref(x, y, QK);
      continue;
    }
    min_max(x, v, &min, &max);
    d = (max - min) / 31;
    id = d ? 1.0f / d : 0.0f;
    tp_store_le16(y, tp_quant_f32_to_f16(d));
    tp_store_le16(y + 2, tp_quant_f32_to_f16(min));
    q = codes(v, true, min, id, 0.5f); /* no clamp, as upstream */
    tp_store_le32(y + 4, high_bits(q));
    store_u8x16(y + 8, pack_nibbles(q, 0x0F));
  }
}

static inline uint8x16x2_t q8_codes(const float32x4_t v[8], float id) {
  const float32x4_t vs = vdupq_n_f32(id);
  int32x4_t i[8];
  int k;
  for (k = 0; k < 8; k++) i[k] = cvtt_i32(vrndaq_f32(vmulq_f32(v[k], vs)));
  return low_bytes(i);
}

void tp_q8_0_quantize_neon(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 34) {
    float32x4_t v[8];
    float d, id;
    uint8x16x2_t q;
    if (!load_block(x, v)) {
      tp_q8_0_quantize_ref(x, y, QK);
      continue;
    }
    d = block_amax(v) / 127;
    id = d ? 1.0f / d : 0.0f;
    tp_store_le16(y, tp_quant_f32_to_f16(d));
    q = q8_codes(v, id);
    store_u8x16(y + 2, q.val[0]);
    store_u8x16(y + 18, q.val[1]);
  }
}

void tp_q8_1_quantize_neon(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 36) {
    float32x4_t v[8];
    float d, id;
    uint8x16x2_t q;
    int sum;
    if (!load_block(x, v)) {
      tp_q8_1_quantize_ref(x, y, QK);
      continue;
    }
    d = block_amax(v) / 127;
    id = d ? 1.0f / d : 0.0f;
    tp_store_le16(y, tp_quant_f32_to_f16(d));
    q = q8_codes(v, id);
    store_u8x16(y + 4, q.val[0]);
    store_u8x16(y + 20, q.val[1]);
    /* |sum| <= 32 * 128 fits the int16 of the widening add */
    sum = vaddlvq_s8(vreinterpretq_s8_u8(q.val[0])) +
          vaddlvq_s8(vreinterpretq_s8_u8(q.val[1]));
    tp_store_le16(y + 2, tp_quant_f32_to_f16((float)sum * d));
  }
}

/* ---- dequantizers ------------------------------------------------------- */

/* 16 signed 8-bit codes -> 16 floats scaled by d (and + m when has_m). */
static inline void store_codes(float *y, int8x16_t q, float d, bool has_m,
                               float m) {
  const float32x4_t vd = vdupq_n_f32(d), vm = vdupq_n_f32(m);
  int16x8_t h[2];
  int k;
  h[0] = vmovl_s8(vget_low_s8(q));
  h[1] = vmovl_s8(vget_high_s8(q));
  for (k = 0; k < 4; k++) {
    int16x4_t part = (k & 1) ? vget_high_s16(h[k >> 1]) : vget_low_s16(h[k >> 1]);
    float32x4_t f = vmulq_f32(vcvtq_f32_s32(vmovl_s16(part)), vd);
    if (has_m) f = vaddq_f32(f, vm);
    vst1q_f32(y + 4 * k, f);
  }
}

/* Bit 4 for elements 16*half .. 16*half+15 from the qh word. */
static inline uint8x16_t high_bit_bytes(uint32_t qh, int half) {
  static const uint8_t bits[16] = {1, 2, 4, 8, 16, 32, 64, 128,
                                   1, 2, 4, 8, 16, 32, 64, 128};
  uint8x16_t src = vcombine_u8(vdup_n_u8((uint8_t)(qh >> (16 * half))),
                               vdup_n_u8((uint8_t)(qh >> (16 * half + 8))));
  return vandq_u8(vtstq_u8(src, vld1q_u8(bits)), vdupq_n_u8(0x10));
}

/* Q4/Q5 blocks: nibbles at qs, high bits from qh when has_qh, bias
 * subtracted from each code, then scaled. */
static inline void dequant_nibbles(const uint8_t *qs, bool has_qh, uint32_t qh,
                                   int bias, float d, bool has_m, float m,
                                   float *y) {
  const uint8x16_t b = vld1q_u8(qs);
  uint8x16_t lo = vandq_u8(b, vdupq_n_u8(0x0F));
  uint8x16_t hi = vshrq_n_u8(b, 4);
  const int8x16_t vb = vdupq_n_s8((int8_t)bias);
  if (has_qh) {
    lo = vorrq_u8(lo, high_bit_bytes(qh, 0));
    hi = vorrq_u8(hi, high_bit_bytes(qh, 1));
  }
  /* codes are at most 31, so the int8 subtraction cannot wrap */
  store_codes(y, vsubq_s8(vreinterpretq_s8_u8(lo), vb), d, has_m, m);
  store_codes(y + 16, vsubq_s8(vreinterpretq_s8_u8(hi), vb), d, has_m, m);
}

void tp_q4_0_dequantize_neon(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 18, y += QK)
    dequant_nibbles(x + 2, false, 0, 8, tp_quant_f16_to_f32(tp_load_le16(x)),
                    false, 0.0f, y);
}

void tp_q4_1_dequantize_neon(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 20, y += QK)
    dequant_nibbles(x + 4, false, 0, 0, tp_quant_f16_to_f32(tp_load_le16(x)),
                    true, tp_quant_f16_to_f32(tp_load_le16(x + 2)), y);
}

void tp_q5_0_dequantize_neon(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 22, y += QK)
    dequant_nibbles(x + 6, true, tp_load_le32(x + 2), 16,
                    tp_quant_f16_to_f32(tp_load_le16(x)), false, 0.0f, y);
}

void tp_q5_1_dequantize_neon(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 24, y += QK)
    dequant_nibbles(x + 8, true, tp_load_le32(x + 4), 0,
                    tp_quant_f16_to_f32(tp_load_le16(x)), true,
                    tp_quant_f16_to_f32(tp_load_le16(x + 2)), y);
}

void tp_q8_0_dequantize_neon(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 34, y += QK) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    store_codes(y, vreinterpretq_s8_u8(vld1q_u8(x + 2)), d, false, 0.0f);
    store_codes(y + 16, vreinterpretq_s8_u8(vld1q_u8(x + 18)), d, false, 0.0f);
  }
}

void tp_q8_1_dequantize_neon(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 36, y += QK) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    store_codes(y, vreinterpretq_s8_u8(vld1q_u8(x + 4)), d, false, 0.0f);
    store_codes(y + 16, vreinterpretq_s8_u8(vld1q_u8(x + 20)), d, false, 0.0f);
  }
}
