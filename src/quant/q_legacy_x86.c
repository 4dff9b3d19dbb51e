/*
 * q_legacy_x86.c - AVX2 codecs of the 32-element block types (Q4_0, Q4_1,
 * Q5_0, Q5_1, Q8_0, Q8_1), one block per iteration.
 *
 * They must give exactly the bytes (quantize) and floats (dequantize) of
 * the scalar reference in q_legacy.c. What makes that hold:
 *  - every vector operation is the reference's binary32 operation, one
 *    rounding each, in the same order: x*id, then + 8.5 (never fused: this
 *    file is built without -mfma and with -ffp-contract=off);
 *  - maxima, minima, absolute values and int<->float conversions of small
 *    integers are exact, so reduction order cannot matter; where only the
 *    sign of a zero could differ, the first matching element is looked up
 *    the way the reference's ordered scan would find it;
 *  - _mm256_cvttps_epi32 truncates and gives INT32_MIN for NaN and
 *    out-of-range values, and the codes keep its low byte, which is exactly
 *    the conversion the reference defines;
 *  - roundf (ties away from zero) has no AVX2 instruction: it is rebuilt
 *    from truncation plus an exact fractional-part test;
 *  - blocks containing a NaN are handed to the reference, whose scans treat
 *    NaN in ways not worth reproducing in vector form.
 * Scales go through the scalar f16 helpers (F16C rounds the same way but
 * maps NaN differently, and it is one value per block).
 */
#include "quant_impl.h"

#include <float.h>
#include <immintrin.h>

#define QK 32

/* the reference codecs (q_legacy.c), used for blocks with a NaN */
void tp_q4_0_quantize_ref(const float *x, void *y, size_t n);
void tp_q4_1_quantize_ref(const float *x, void *y, size_t n);
void tp_q5_0_quantize_ref(const float *x, void *y, size_t n);
void tp_q5_1_quantize_ref(const float *x, void *y, size_t n);
void tp_q8_0_quantize_ref(const float *x, void *y, size_t n);
void tp_q8_1_quantize_ref(const float *x, void *y, size_t n);

/* the codecs of this file, called through the table in quant.c */
void tp_q4_0_quantize_x86(const float *x, void *y, size_t n);
void tp_q4_1_quantize_x86(const float *x, void *y, size_t n);
void tp_q5_0_quantize_x86(const float *x, void *y, size_t n);
void tp_q5_1_quantize_x86(const float *x, void *y, size_t n);
void tp_q8_0_quantize_x86(const float *x, void *y, size_t n);
void tp_q8_1_quantize_x86(const float *x, void *y, size_t n);
void tp_q4_0_dequantize_x86(const void *x, float *y, size_t n);
void tp_q4_1_dequantize_x86(const void *x, float *y, size_t n);
void tp_q5_0_dequantize_x86(const void *x, float *y, size_t n);
void tp_q5_1_dequantize_x86(const void *x, float *y, size_t n);
void tp_q8_0_dequantize_x86(const void *x, float *y, size_t n);
void tp_q8_1_dequantize_x86(const void *x, float *y, size_t n);

/* ---- helpers ------------------------------------------------------------ */

/* Loads one block; false when it contains a NaN. */
static inline bool load_block(const float *x, __m256 v[4]) {
  __m256 nan;
  v[0] = _mm256_loadu_ps(x);
  v[1] = _mm256_loadu_ps(x + 8);
  v[2] = _mm256_loadu_ps(x + 16);
  v[3] = _mm256_loadu_ps(x + 24);
  nan = _mm256_or_ps(_mm256_cmp_ps(v[0], v[1], _CMP_UNORD_Q),
                     _mm256_cmp_ps(v[2], v[3], _CMP_UNORD_Q));
  return _mm256_movemask_ps(nan) == 0;
}

static inline __m256 abs_ps(__m256 v) {
  return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
}

static inline float hmax_ps(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  m = _mm_max_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

static inline float hmin_ps(__m256 v) {
  __m128 m = _mm_min_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_min_ps(m, _mm_movehl_ps(m, m));
  m = _mm_min_ss(m, _mm_movehdup_ps(m));
  return _mm_cvtss_f32(m);
}

/* Index of the first of v[0..3] (as floats, 32 lanes) equal to s; s must
 * occur. */
static inline int first_equal(const __m256 v[4], float s) {
  const __m256 vs = _mm256_set1_ps(s);
  uint32_t mask =
      (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(v[0], vs, _CMP_EQ_OQ)) |
      (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(v[1], vs, _CMP_EQ_OQ)) << 8 |
      (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(v[2], vs, _CMP_EQ_OQ)) << 16 |
      (uint32_t)_mm256_movemask_ps(_mm256_cmp_ps(v[3], vs, _CMP_EQ_OQ)) << 24;
  return __builtin_ctz(mask);
}

/* The reference's signed_absmax for a NaN-free block: the magnitude is a
 * plain maximum, the sign that of the first element reaching it, and +0
 * for an all-zero block (the scan never replaces its initial 0.0f). */
static inline float signed_absmax(const float *x, const __m256 v[4]) {
  __m256 a[4];
  float amax;
  a[0] = abs_ps(v[0]);
  a[1] = abs_ps(v[1]);
  a[2] = abs_ps(v[2]);
  a[3] = abs_ps(v[3]);
  amax = hmax_ps(_mm256_max_ps(_mm256_max_ps(a[0], a[1]),
                               _mm256_max_ps(a[2], a[3])));
  if (amax == 0.0f) return 0.0f;
  return x[first_equal(a, amax)];
}

/* The reference's block_min_max for a NaN-free block. The scans start
 * from +-FLT_MAX (so an all-+inf block has min FLT_MAX) and keep the first
 * of equal values, which only matters for the sign of a zero result. */
static inline void min_max(const float *x, const __m256 v[4], float *min_out,
                           float *max_out) {
  __m256 mn = _mm256_min_ps(_mm256_min_ps(v[0], v[1]),
                            _mm256_min_ps(v[2], v[3]));
  __m256 mx = _mm256_max_ps(_mm256_max_ps(v[0], v[1]),
                            _mm256_max_ps(v[2], v[3]));
  float min = hmin_ps(_mm256_min_ps(mn, _mm256_set1_ps(FLT_MAX)));
  float max = hmax_ps(_mm256_max_ps(mx, _mm256_set1_ps(-FLT_MAX)));
  if (min == 0.0f) min = x[first_equal(v, 0.0f)];
  if (max == 0.0f) max = x[first_equal(v, 0.0f)];
  *min_out = min;
  *max_out = max;
}

/* Low bytes of 32 int32 lanes, in element order. Masking first makes the
 * saturating packs exact, so out-of-range lanes (INT32_MIN) become 0 as
 * the reference's conversion defines. */
static inline __m256i low_bytes(__m256i i0, __m256i i1, __m256i i2,
                                __m256i i3) {
  const __m256i ff = _mm256_set1_epi32(0xFF);
  __m256i p01 = _mm256_packus_epi32(_mm256_and_si256(i0, ff),
                                    _mm256_and_si256(i1, ff));
  __m256i p23 = _mm256_packus_epi32(_mm256_and_si256(i2, ff),
                                    _mm256_and_si256(i3, ff));
  /* the packs work per 128-bit lane; put the 4-byte groups back in order */
  return _mm256_permutevar8x32_epi32(_mm256_packus_epi16(p01, p23),
                                     _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* Truncated codes of (v*scale + add) or ((v - sub)*scale + add), one
 * rounding per operation as in the reference. */
static inline __m256i codes_mul_add(const __m256 v[4], float scale,
                                    float add) {
  const __m256 s = _mm256_set1_ps(scale), a = _mm256_set1_ps(add);
  return low_bytes(
      _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(v[0], s), a)),
      _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(v[1], s), a)),
      _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(v[2], s), a)),
      _mm256_cvttps_epi32(_mm256_add_ps(_mm256_mul_ps(v[3], s), a)));
}

static inline __m256i codes_sub_mul_add(const __m256 v[4], float sub,
                                        float scale, float add) {
  const __m256 m = _mm256_set1_ps(sub);
  __m256 t[4];
  t[0] = _mm256_sub_ps(v[0], m);
  t[1] = _mm256_sub_ps(v[1], m);
  t[2] = _mm256_sub_ps(v[2], m);
  t[3] = _mm256_sub_ps(v[3], m);
  return codes_mul_add(t, scale, add);
}

/* roundf(x) converted like the reference: truncate, then step away from
 * zero when the (exactly computed) fractional part is at least one half.
 * Infinities keep their value (the fraction is NaN and fails the test). */
static inline __m256i round_away_epi32(__m256 x) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 t = _mm256_round_ps(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
  __m256 frac = _mm256_andnot_ps(sign, _mm256_sub_ps(x, t));
  __m256 up = _mm256_cmp_ps(frac, _mm256_set1_ps(0.5f), _CMP_GE_OQ);
  __m256 step = _mm256_or_ps(_mm256_and_ps(x, sign), _mm256_set1_ps(1.0f));
  return _mm256_cvttps_epi32(_mm256_add_ps(t, _mm256_and_ps(up, step)));
}

static inline __m256i q8_codes(const __m256 v[4], float id) {
  const __m256 s = _mm256_set1_ps(id);
  return low_bytes(round_away_epi32(_mm256_mul_ps(v[0], s)),
                   round_away_epi32(_mm256_mul_ps(v[1], s)),
                   round_away_epi32(_mm256_mul_ps(v[2], s)),
                   round_away_epi32(_mm256_mul_ps(v[3], s)));
}

/* Split-half nibble packing: element j low, element j+16 high. lo_mask is
 * 0xFF for Q4 (upstream ORs the whole capped byte in) and 0x0F for Q5. */
static inline __m128i pack_nibbles(__m256i q, int lo_mask) {
  __m128i lo = _mm256_castsi256_si128(q);
  __m128i hi = _mm256_extracti128_si256(q, 1);
  lo = _mm_and_si128(lo, _mm_set1_epi8((char)lo_mask));
  hi = _mm_and_si128(_mm_slli_epi16(hi, 4), _mm_set1_epi8((char)0xF0));
  return _mm_or_si128(lo, hi);
}

/* Bit 4 of every code, element j at bit j (the qh word of Q5_0/Q5_1). */
static inline uint32_t high_bits(__m256i q) {
  return (uint32_t)_mm256_movemask_epi8(_mm256_slli_epi16(q, 3));
}

/* ---- quantizers --------------------------------------------------------- */

void tp_q4_0_quantize_x86(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 18) {
    __m256 v[4];
    float d, id;
    __m256i q;
    if (!load_block(x, v)) {
      tp_q4_0_quantize_ref(x, y, QK);
      continue;
    }
    d = signed_absmax(x, v) / -8;
    id = d ? 1.0f / d : 0.0f;
    tp_store_le16(y, tp_quant_f32_to_f16(d));
    q = _mm256_min_epi8(codes_mul_add(v, id, 8.5f), _mm256_set1_epi8(15));
    _mm_storeu_si128((__m128i *)(void *)(y + 2), pack_nibbles(q, 0xFF));
  }
}

void tp_q4_1_quantize_x86(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 20) {
    __m256 v[4];
    float min, max, d, id;
    __m256i q;
    if (!load_block(x, v)) {
      tp_q4_1_quantize_ref(x, y, QK);
      continue;
    }
    min_max(x, v, &min, &max);
    d = (max - min) / 15;
    id = d ? 1.0f / d : 0.0f;
    tp_store_le16(y, tp_quant_f32_to_f16(d));
    tp_store_le16(y + 2, tp_quant_f32_to_f16(min));
    q = _mm256_min_epi8(codes_sub_mul_add(v, min, id, 0.5f),
                        _mm256_set1_epi8(15));
    _mm_storeu_si128((__m128i *)(void *)(y + 4), pack_nibbles(q, 0xFF));
  }
}

void tp_q5_0_quantize_x86(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 22) {
    __m256 v[4];
    float d, id;
    __m256i q;
    if (!load_block(x, v)) {
      tp_q5_0_quantize_ref(x, y, QK);
      continue;
    }
    d = signed_absmax(x, v) / -16;
    id = d ? 1.0f / d : 0.0f;
    tp_store_le16(y, tp_quant_f32_to_f16(d));
    q = _mm256_min_epi8(codes_mul_add(v, id, 16.5f), _mm256_set1_epi8(31));
    tp_store_le32(y + 2, high_bits(q));
    _mm_storeu_si128((__m128i *)(void *)(y + 6), pack_nibbles(q, 0x0F));
  }
}

void tp_q5_1_quantize_x86(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 24) {
    __m256 v[4];
    float min, max, d, id;
    __m256i q;
    if (!load_block(x, v)) {
      tp_q5_1_quantize_ref(x, y, QK);
      continue;
    }
    min_max(x, v, &min, &max);
    d = (max - min) / 31;
    id = d ? 1.0f / d : 0.0f;
    tp_store_le16(y, tp_quant_f32_to_f16(d));
    tp_store_le16(y + 2, tp_quant_f32_to_f16(min));
    q = codes_sub_mul_add(v, min, id, 0.5f); /* no clamp, as upstream */
    tp_store_le32(y + 4, high_bits(q));
    _mm_storeu_si128((__m128i *)(void *)(y + 8), pack_nibbles(q, 0x0F));
  }
}

/* amax of a NaN-free block (the reference's MAX chain is a plain max then) */
static inline float q8_amax(const __m256 v[4]) {
  return hmax_ps(_mm256_max_ps(
      _mm256_max_ps(abs_ps(v[0]), abs_ps(v[1])),
      _mm256_max_ps(abs_ps(v[2]), abs_ps(v[3]))));
}

void tp_q8_0_quantize_x86(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 34) {
    __m256 v[4];
    float d, id;
    if (!load_block(x, v)) {
      tp_q8_0_quantize_ref(x, y, QK);
      continue;
    }
    d = q8_amax(v) / 127;
    id = d ? 1.0f / d : 0.0f;
    tp_store_le16(y, tp_quant_f32_to_f16(d));
    _mm256_storeu_si256((__m256i *)(void *)(y + 2), q8_codes(v, id));
  }
}

void tp_q8_1_quantize_x86(const float *x, void *vy, size_t n) {
  uint8_t *y = (uint8_t *)vy;
  size_t b;
  for (b = 0; b < n / QK; b++, x += QK, y += 36) {
    __m256 v[4];
    float d, id;
    __m256i q, s;
    int sum;
    if (!load_block(x, v)) {
      tp_q8_1_quantize_ref(x, y, QK);
      continue;
    }
    d = q8_amax(v) / 127;
    id = d ? 1.0f / d : 0.0f;
    tp_store_le16(y, tp_quant_f32_to_f16(d));
    q = q8_codes(v, id);
    _mm256_storeu_si256((__m256i *)(void *)(y + 4), q);
    /* sum of the int8 codes: bias them to unsigned, sum with SAD, unbias */
    s = _mm256_sad_epu8(_mm256_xor_si256(q, _mm256_set1_epi8((char)0x80)),
                        _mm256_setzero_si256());
    sum = _mm256_extract_epi32(s, 0) + _mm256_extract_epi32(s, 2) +
          _mm256_extract_epi32(s, 4) + _mm256_extract_epi32(s, 6) - 32 * 128;
    tp_store_le16(y + 2, tp_quant_f32_to_f16((float)sum * d));
  }
}

/* ---- dequantizers ------------------------------------------------------- */

/* The 32 4-bit codes of a split-half nibble array as int32, element order. */
static inline void nibbles_epi32(const uint8_t *qs, __m256i out[4]) {
  const __m128i b = _mm_loadu_si128((const __m128i *)(const void *)qs);
  const __m128i m = _mm_set1_epi8(0x0F);
  const __m128i lo = _mm_and_si128(b, m);
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(b, 4), m);
  out[0] = _mm256_cvtepu8_epi32(lo);
  out[1] = _mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8));
  out[2] = _mm256_cvtepu8_epi32(hi);
  out[3] = _mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8));
}

/* Adds bit j of qh as bit 4 of element j. */
static inline void add_high_bits(uint32_t qh, __m256i q[4]) {
  const __m256i vqh = _mm256_set1_epi32((int)qh);
  const __m256i one = _mm256_set1_epi32(1);
  __m256i shift = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  int k;
  for (k = 0; k < 4; k++) {
    __m256i h = _mm256_and_si256(_mm256_srlv_epi32(vqh, shift), one);
    q[k] = _mm256_or_si256(q[k], _mm256_slli_epi32(h, 4));
    shift = _mm256_add_epi32(shift, _mm256_set1_epi32(8));
  }
}

/* y = (q - bias) * d, the reference's (float)(int) * d */
static inline void store_scaled(float *y, const __m256i q[4], int bias,
                                float d) {
  const __m256 vd = _mm256_set1_ps(d);
  const __m256i vb = _mm256_set1_epi32(bias);
  int k;
  for (k = 0; k < 4; k++)
    _mm256_storeu_ps(y + 8 * k,
                     _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(q[k], vb)),
                                   vd));
}

/* y = q * d + m, multiply and add rounded separately as in the reference */
static inline void store_scaled_min(float *y, const __m256i q[4], float d,
                                    float m) {
  const __m256 vd = _mm256_set1_ps(d), vm = _mm256_set1_ps(m);
  int k;
  for (k = 0; k < 4; k++)
    _mm256_storeu_ps(
        y + 8 * k,
        _mm256_add_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(q[k]), vd), vm));
}

void tp_q4_0_dequantize_x86(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 18, y += QK) {
    __m256i q[4];
    nibbles_epi32(x + 2, q);
    store_scaled(y, q, 8, tp_quant_f16_to_f32(tp_load_le16(x)));
  }
}

void tp_q4_1_dequantize_x86(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 20, y += QK) {
    __m256i q[4];
    nibbles_epi32(x + 4, q);
    store_scaled_min(y, q, tp_quant_f16_to_f32(tp_load_le16(x)),
                     tp_quant_f16_to_f32(tp_load_le16(x + 2)));
  }
}

void tp_q5_0_dequantize_x86(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 22, y += QK) {
    __m256i q[4];
    nibbles_epi32(x + 6, q);
    add_high_bits(tp_load_le32(x + 2), q);
    store_scaled(y, q, 16, tp_quant_f16_to_f32(tp_load_le16(x)));
  }
}

void tp_q5_1_dequantize_x86(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 24, y += QK) {
    __m256i q[4];
    nibbles_epi32(x + 8, q);
    add_high_bits(tp_load_le32(x + 4), q);
    store_scaled_min(y, q, tp_quant_f16_to_f32(tp_load_le16(x)),
                     tp_quant_f16_to_f32(tp_load_le16(x + 2)));
  }
}

/* int8 codes at qs, scaled by d */
static inline void q8_block(const uint8_t *qs, float d, float *y) {
  const __m256 vd = _mm256_set1_ps(d);
  int k;
  for (k = 0; k < 4; k++) {
    __m128i b = _mm_loadl_epi64((const __m128i *)(const void *)(qs + 8 * k));
    _mm256_storeu_ps(y + 8 * k,
                     _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b)),
                                   vd));
  }
}

void tp_q8_0_dequantize_x86(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 34, y += QK)
    q8_block(x + 2, tp_quant_f16_to_f32(tp_load_le16(x)), y);
}

void tp_q8_1_dequantize_x86(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t b;
  for (b = 0; b < n / QK; b++, x += 36, y += QK)
    q8_block(x + 4, tp_quant_f16_to_f32(tp_load_le16(x)), y);
}
