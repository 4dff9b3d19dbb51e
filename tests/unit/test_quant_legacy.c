/*
 * test_quant_legacy.c - the legacy 32-element ggml types (Q4_0, Q4_1, Q5_0,
 * Q5_1, Q8_0, Q8_1), the f16 helpers and the quant dispatch.
 *
 * Hand-worked blocks pin the reference bytes (each expected value is derived
 * in the comment next to it); error bounds check quantize -> dequantize;
 * and the SIMD paths are compared byte for byte with the scalar reference on
 * many random rows drawn from awkward distributions. Byte equality with
 * llama.cpp itself is checked by tests/interop/test_quant_legacy.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtype/dtype.h"
#include "quant/quant.h"
#include "quant/quant_impl.h"

#define QK 32

static const tp_type k_types[] = {TP_TYPE_Q4_0, TP_TYPE_Q4_1, TP_TYPE_Q5_0,
                                  TP_TYPE_Q5_1, TP_TYPE_Q8_0, TP_TYPE_Q8_1};

/* ---- deterministic random numbers --------------------------------------- */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd64(void) { /* splitmix64 */
  uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
static double rnd_unit(void) { /* [0, 1) */
  return (double)(rnd64() >> 11) * 0x1p-53;
}
static float rnd_gauss(void) {
  double u = rnd_unit(), v = rnd_unit();
  return (float)(sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v));
}

/* ---- helpers ------------------------------------------------------------ */

static void quantize_ok(tp_type t, const float *x, uint8_t *y, size_t n) {
  assert_int_equal(tp_quantize_ref(t, x, y, n), TP_OK);
}

static void expect_block(tp_type t, const float *x, const uint8_t *expected) {
  uint8_t ref[64], fast[64];
  size_t nb = tp_type_block_bytes(t);
  memset(ref, 0xAA, sizeof ref);
  memset(fast, 0x55, sizeof fast);
  quantize_ok(t, x, ref, QK);
  assert_int_equal(tp_quantize(t, x, fast, QK), TP_OK);
  assert_memory_equal(ref, expected, nb);
  assert_memory_equal(fast, expected, nb);
}

static uint16_t h_of(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* ---- f16 helpers -------------------------------------------------------- */

/* Independent model of round-to-nearest-even binary32 -> binary16 in
 * double arithmetic: binary search over the monotonic positive encodings,
 * then compare the two distances. */
static double f16_value(unsigned h) { /* h <= 0x7C00, positive */
  unsigned e = h >> 10, m = h & 0x3FF;
  if (h == 0x7C00) return 65536.0; /* "next value" above 65504 for rounding */
  return e ? ldexp(1024.0 + m, (int)e - 25) : ldexp((double)m, -24);
}

static uint16_t model_f32_to_f16(float f) {
  uint16_t sign = signbit(f) ? 0x8000 : 0;
  double a = fabs((double)f);
  unsigned lo = 0, hi = 0x7C00, h;
  double dl, dh;
  if (isnan(f)) return sign | 0x7E00;
  if (a >= 65536.0) return sign | 0x7C00;
  while (hi - lo > 1) { /* invariant: value(lo) <= a < value(hi) */
    unsigned mid = (lo + hi) / 2;
    if (f16_value(mid) <= a) lo = mid; else hi = mid;
  }
  dl = a - f16_value(lo);
  dh = f16_value(hi) - a;
  h = (dl < dh || (dl == dh && !(lo & 1))) ? lo : hi;
  return (uint16_t)(sign | h);
}

static void test_f32_to_f16(void **state) {
  uint32_t u;
  unsigned h;
  (void)state;
  /* every binary16 value, and the midpoints around it, with both signs */
  for (h = 0; h < 0x7C00; h++) {
    float v = (float)f16_value(h);
    float mid = (float)((f16_value(h) + f16_value(h + 1)) / 2);
    float cases[5] = {v, mid, nextafterf(mid, 0.0f), nextafterf(mid, INFINITY),
                      -mid};
    int k;
    for (k = 0; k < 5; k++)
      if (tp_quant_f32_to_f16(cases[k]) != model_f32_to_f16(cases[k]))
        fail_msg("f32_to_f16(%a) = %04x, want %04x", (double)cases[k],
                 tp_quant_f32_to_f16(cases[k]), model_f32_to_f16(cases[k]));
  }
  /* a sweep through all bit patterns (NaNs, infinities, f32 subnormals) */
  for (u = 0; u < 0xFFFFF000u; u += 4093) {
    float f = tp_bits_f32(u);
    if (tp_quant_f32_to_f16(f) != model_f32_to_f16(f))
      fail_msg("f32_to_f16(bits %08x) = %04x, want %04x", u,
               tp_quant_f32_to_f16(f), model_f32_to_f16(f));
  }
  /* named cases */
  assert_int_equal(tp_quant_f32_to_f16(65504.0f), 0x7BFF);
  assert_int_equal(tp_quant_f32_to_f16(65519.996f), 0x7BFF);
  assert_int_equal(tp_quant_f32_to_f16(65520.0f), 0x7C00);
  assert_int_equal(tp_quant_f32_to_f16(0x1p-24f), 0x0001);
  assert_int_equal(tp_quant_f32_to_f16(0x1p-25f), 0x0000); /* tie to even */
  assert_int_equal(tp_quant_f32_to_f16(0x1.8p-24f), 0x0002); /* tie up */
  assert_int_equal(tp_quant_f32_to_f16(-0.0f), 0x8000);
  assert_int_equal(tp_quant_f32_to_f16(tp_bits_f32(0xFF812345u)), 0xFE00);
  assert_int_equal(tp_quant_f32_to_f16(tp_bits_f32(0x7FC00000u)), 0x7E00);
}

static void test_f16_to_f32(void **state) {
  unsigned h;
  (void)state;
  for (h = 0; h < 0x10000; h++) {
    unsigned e = (h >> 10) & 0x1F, m = h & 0x3FF;
    uint32_t got = tp_f32_bits(tp_quant_f16_to_f32((uint16_t)h));
    uint32_t want;
    if (e == 31)
      want = 0x7F800000u | (m << 13) | (m ? 0x400000u : 0);
    else
      want = tp_f32_bits((float)(e ? ldexp(1024.0 + m, (int)e - 25)
                                   : ldexp((double)m, -24)));
    want |= (uint32_t)(h & 0x8000) << 16;
    if (got != want) fail_msg("f16_to_f32(%04x) = %08x, want %08x", h, got, want);
    /* every non-NaN value survives the round trip */
    if (!(e == 31 && m) &&
        tp_quant_f32_to_f16(tp_quant_f16_to_f32((uint16_t)h)) != h)
      fail_msg("round trip of %04x", h);
  }
}

/* ---- hand-worked blocks ------------------------------------------------- */

static void test_all_zero_blocks(void **state) {
  float x[QK] = {0};
  uint8_t e[36];
  (void)state;
  /* Q4_0: smax stays +0, d = 0/-8 = -0 -> f16 0x8000, id = 0, every code
   * trunc(0 + 8.5) = 8 -> bytes 0x88 */
  memset(e, 0x88, sizeof e);
  e[0] = 0x00, e[1] = 0x80;
  expect_block(TP_TYPE_Q4_0, x, e);
  /* Q4_1: min = max = +0, d = +0, codes trunc(0.5) = 0 */
  memset(e, 0, sizeof e);
  expect_block(TP_TYPE_Q4_1, x, e);
  /* Q5_0: d = -0, codes 16: low nibbles 0, every high bit set */
  memset(e, 0, sizeof e);
  e[1] = 0x80;
  e[2] = e[3] = e[4] = e[5] = 0xFF;
  expect_block(TP_TYPE_Q5_0, x, e);
  /* Q5_1, Q8_0, Q8_1: everything zero */
  memset(e, 0, sizeof e);
  expect_block(TP_TYPE_Q5_1, x, e);
  expect_block(TP_TYPE_Q8_0, x, e);
  expect_block(TP_TYPE_Q8_1, x, e);
}

/* x[j] = j - 16 */
static void ramp(float *x) {
  int j;
  for (j = 0; j < QK; j++) x[j] = (float)(j - 16);
}

static void test_q4_0_ramp(void **state) {
  /* smax = -16 (x[0]); d = -16/-8 = 2 -> 0x4000; id = 0.5;
   * code j = trunc((j-16)*0.5 + 8.5) = (j+1)/2, x[31] gives 16 -> capped 15.
   * byte j = code j | code (j+16) << 4 */
  static const uint8_t e[18] = {0x00, 0x40, 0x80, 0x91, 0x91, 0xA2, 0xA2, 0xB3,
                                0xB3, 0xC4, 0xC4, 0xD5, 0xD5, 0xE6, 0xE6, 0xF7,
                                0xF7, 0xF8};
  float x[QK], y[QK];
  int j;
  (void)state;
  ramp(x);
  expect_block(TP_TYPE_Q4_0, x, e);
  assert_int_equal(tp_dequantize(TP_TYPE_Q4_0, e, y, QK), TP_OK);
  for (j = 0; j < QK; j++) /* (code - 8) * 2 */
    assert_true(y[j] == (float)(((j + 1) / 2 < 15 ? (j + 1) / 2 : 15) - 8) * 2);
}

static void test_q4_0_sign_of_scale(void **state) {
  float x[QK] = {0};
  uint8_t e[18];
  (void)state;
  /* smax negative: d = -8/-8 = +1; x[0] -> trunc(-8 + 8.5) = 0, zeros -> 8 */
  x[0] = -8.0f;
  memset(e, 0x88, sizeof e);
  e[0] = 0x00, e[1] = 0x3C, e[2] = 0x80;
  expect_block(TP_TYPE_Q4_0, x, e);
  /* smax positive: d = -1 -> 0xBC00, id = -1, same codes */
  x[0] = 8.0f;
  e[1] = 0xBC;
  expect_block(TP_TYPE_Q4_0, x, e);
  /* equal magnitudes, the first wins: smax = 3, d = -0.375 (0xB600);
   * x[0] -> trunc(-8 + 8.5) = 0, x[1] -> trunc(8 + 8.5) = 16 -> 15 */
  x[0] = 3.0f, x[1] = -3.0f;
  e[0] = 0x00, e[1] = 0xB6, e[2] = 0x80, e[3] = 0x8F;
  expect_block(TP_TYPE_Q4_0, x, e);
  /* swapped: smax = -3, d = +0.375 (0x3600), same codes */
  x[0] = -3.0f, x[1] = 3.0f;
  e[1] = 0x36;
  expect_block(TP_TYPE_Q4_0, x, e);
}

static void test_q4_1_half_steps(void **state) {
  /* x[j] = j/2 - 1 (j < 31), x[31] = 14: min = -1 (m 0xBC00), max = 14,
   * d = 15/15 = 1 (0x3C00); code = trunc(x + 1 + 0.5) = (j+1)/2, x[31] -> 15.
   * The codes equal those of the Q4_0 ramp. */
  static const uint8_t e[20] = {0x00, 0x3C, 0x00, 0xBC, 0x80, 0x91, 0x91,
                                0xA2, 0xA2, 0xB3, 0xB3, 0xC4, 0xC4, 0xD5,
                                0xD5, 0xE6, 0xE6, 0xF7, 0xF7, 0xF8};
  float x[QK], y[QK];
  int j;
  (void)state;
  for (j = 0; j < QK; j++) x[j] = (float)j * 0.5f - 1.0f;
  x[31] = 14.0f;
  expect_block(TP_TYPE_Q4_1, x, e);
  assert_int_equal(tp_dequantize(TP_TYPE_Q4_1, e, y, QK), TP_OK);
  assert_true(y[0] == -1.0f && y[1] == 0.0f && y[31] == 14.0f);
}

static void test_q5_codes_and_high_bits(void **state) {
  /* Q5_0 on the ramp: smax = -16, d = 1, code j = trunc(j - 16 + 16.5) = j.
   * Low nibbles: byte j = j | j << 4; bit 4 is set for j >= 16, so
   * qh = 0xFFFF0000 (little-endian bytes 00 00 FF FF). */
  uint8_t e[24];
  float x[QK], y[QK];
  int j;
  (void)state;
  ramp(x);
  e[0] = 0x00, e[1] = 0x3C, e[2] = 0x00, e[3] = 0x00, e[4] = 0xFF, e[5] = 0xFF;
  for (j = 0; j < 16; j++) e[6 + j] = (uint8_t)(j | j << 4);
  expect_block(TP_TYPE_Q5_0, x, e);
  assert_int_equal(tp_dequantize(TP_TYPE_Q5_0, e, y, QK), TP_OK);
  for (j = 0; j < QK; j++) assert_true(y[j] == x[j]);

  /* Q5_1 on x[j] = j: min = +0, max = 31, d = 1, m = 0, code j = j */
  for (j = 0; j < QK; j++) x[j] = (float)j;
  e[0] = 0x00, e[1] = 0x3C, e[2] = 0x00, e[3] = 0x00;
  e[4] = 0x00, e[5] = 0x00, e[6] = 0xFF, e[7] = 0xFF;
  for (j = 0; j < 16; j++) e[8 + j] = (uint8_t)(j | j << 4);
  expect_block(TP_TYPE_Q5_1, x, e);
  assert_int_equal(tp_dequantize(TP_TYPE_Q5_1, e, y, QK), TP_OK);
  for (j = 0; j < QK; j++) assert_true(y[j] == x[j]);

  /* a leading -0 is the minimum the ordered scan keeps: m = -0 (0x8000) */
  x[0] = -0.0f;
  e[3] = 0x80;
  expect_block(TP_TYPE_Q5_1, x, e);
}

static void test_signed_zero_min_max(void **state) {
  /* Q4_1, all zeros but x[0] = -0: min = max = -0 (first zero), d = +0.
   * Only the stored m shows the sign. */
  float x[QK] = {0};
  uint8_t e[20] = {0};
  (void)state;
  x[0] = -0.0f;
  e[3] = 0x80;
  expect_block(TP_TYPE_Q4_1, x, e);
  /* negative values and a zero as the maximum: max = -0 when -0 comes
   * first; d = (-0 - (-15))/15 = 1, m = -15 (0xCB80) */
  x[0] = -15.0f, x[1] = -0.0f, x[2] = 0.0f;
  quantize_ok(TP_TYPE_Q4_1, x, e, QK);
  assert_int_equal(h_of(e), 0x3C00);
  assert_int_equal(h_of(e + 2), 0xCB80);
  expect_block(TP_TYPE_Q4_1, x, e); /* and SIMD agrees */
}

static void test_q8_ties_away_from_zero(void **state) {
  /* amax = 127 -> d = 1 (0x3C00), id = 1: roundf ties away from zero, where
   * nearest-even would give 0, 0, 2, 2, -2 */
  float x[QK] = {127.0f, 0.5f, -0.5f, 1.5f, 2.5f, -2.5f, 126.5f, -127.0f,
                 0.49999997f, -1.4999999f};
  uint8_t e[36] = {0x00, 0x3C, 127, 1, 0xFF, 2, 3, 0xFD, 127, 0x81, 0, 0xFF};
  (void)state;
  expect_block(TP_TYPE_Q8_0, x, e);
  /* Q8_1 adds s = h(d * sum) = h(127 + 1 - 1 + 2 + 3 - 3 + 127 - 127 - 1) =
   * h(128) = 0x5800 */
  memmove(e + 4, e + 2, 32);
  e[2] = 0x00, e[3] = 0x58;
  expect_block(TP_TYPE_Q8_1, x, e);
}

static void test_scale_from_unrounded_d(void **state) {
  /* amax = 1e-5: d = 7.874e-8, a binary16 subnormal that rounds to 2^-24
   * (0x0001). The code uses 1/d of the unrounded d: 127, not 168. */
  float x[QK] = {1e-5f, -5e-6f};
  /* -5e-6 * id rounds to exactly -63.5, which roundf takes to -64 */
  uint8_t e[34] = {0x01, 0x00, 127, 0xC0};
  (void)state;
  expect_block(TP_TYPE_Q8_0, x, e);

  /* exact subnormal scale: amax = 127 * 2^-20 -> d = 2^-20 = 0x0010 */
  memset(x, 0, sizeof x);
  x[5] = 127.0f * 0x1p-20f;
  memset(e, 0, sizeof e);
  e[0] = 0x10, e[7] = 127;
  expect_block(TP_TYPE_Q8_0, x, e);
}

/* Blocks where computing x*id + 8.5 (or + 16.5) as one fused multiply-add
 * gives a different code than the reference's two roundings. Found by a
 * search over random blocks; the expected bytes were confirmed with
 * llama.cpp's quantize_row_q4_0_ref / quantize_row_q5_0_ref (x86-64). */
static void test_no_fused_multiply_add(void **state) {
  float x[QK] = {0x1.8e8044p+0f, 0x1.75984p+0f};
  /* d = -smax/8 -> 0xB23A; x[0] -> code 0; x[1]*id rounds to -7.5 exactly,
   * + 8.5 = 1 -> code 1 (fused: just below 1 -> 0); zeros -> 8 */
  uint8_t e4[18] = {0x3A, 0xB2, 0x80, 0x81};
  /* Q5_0: x[1] gets code 7 (fused: 6); the zeros get 16, so only qh bits
   * 0 and 1 are clear */
  uint8_t e5[22] = {0xA0, 0xAD, 0xFC, 0xFF, 0xFF, 0xFF, 0x00, 0x07};
  (void)state;
  memset(e4 + 4, 0x88, sizeof e4 - 4);
  expect_block(TP_TYPE_Q4_0, x, e4);
  x[0] = 0x1.681ab2p+0f, x[1] = 0x1.ab9fb4p-1f;
  expect_block(TP_TYPE_Q5_0, x, e5);
}

static void test_extreme_magnitudes(void **state) {
  float x[QK] = {0};
  uint8_t y[34];
  float out[QK];
  (void)state;
  /* Q8_0 at +-FLT_MAX: d = FLT_MAX/127 overflows binary16 (0x7C00) but id
   * is a normal float, so the codes are still +-127 */
  x[0] = FLT_MAX, x[1] = -FLT_MAX;
  quantize_ok(TP_TYPE_Q8_0, x, y, QK);
  assert_int_equal(h_of(y), 0x7C00);
  assert_int_equal(y[2], 127);
  assert_int_equal(y[3], 0x81);
  assert_int_equal(y[4], 0);
  expect_block(TP_TYPE_Q8_0, x, y);
  assert_int_equal(tp_dequantize(TP_TYPE_Q8_0, y, out, QK), TP_OK);
  assert_true(isinf(out[0]) && out[0] > 0 && isinf(out[1]) && out[1] < 0);
  assert_true(isnan(out[2])); /* 0 * inf */

  /* Q4_1 across the whole range: max - min overflows to inf, id = 0 and
   * (x - min)*0 is NaN for x = FLT_MAX: every code 0, d = inf, m = -inf */
  {
    uint8_t e[20] = {0x00, 0x7C, 0x00, 0xFC};
    expect_block(TP_TYPE_Q4_1, x, e);
  }

  /* smax a binary32 subnormal: 1/d overflows to -inf, so x*id is -inf or
   * NaN and every code converts to 0 (x86 conversion semantics); d rounds
   * to -0 in binary16 */
  {
    uint8_t e[18] = {0x00, 0x80};
    memset(x, 0, sizeof x);
    x[0] = 0x1p-140f;
    expect_block(TP_TYPE_Q4_0, x, e);
  }
}

static void test_dequantize_layout(void **state) {
  /* Q8_0: qs are signed bytes; d = -2 (0xC000) */
  uint8_t b[36] = {0x00, 0xC0, 0x80, 0x7F, 0xFF, 0x00};
  float y[QK];
  (void)state;
  assert_int_equal(tp_dequantize(TP_TYPE_Q8_0, b, y, QK), TP_OK);
  assert_true(y[0] == 256.0f && y[1] == -254.0f && y[2] == 2.0f);
  assert_true(y[3] == 0.0f && signbit(y[3])); /* 0 * -2 = -0 */
  /* Q8_1 skips the s field */
  memmove(b + 4, b + 2, 32);
  b[2] = 0x12, b[3] = 0x34;
  assert_int_equal(tp_dequantize(TP_TYPE_Q8_1, b, y, QK), TP_OK);
  assert_true(y[0] == 256.0f && y[1] == -254.0f);
  /* Q5_1: d = 0.5, m = 1, qh bit 16 -> element 16 gets bit 4 */
  memset(b, 0, sizeof b);
  b[1] = 0x38, b[3] = 0x3C, b[6] = 0x01, b[8] = 0x3A;
  assert_int_equal(tp_dequantize(TP_TYPE_Q5_1, b, y, QK), TP_OK);
  assert_true(y[0] == 1.0f + 0.5f * 10);      /* low nibble 0xA */
  assert_true(y[16] == 1.0f + 0.5f * (16 + 3)); /* high nibble 3, bit 4 */
  assert_true(y[1] == 1.0f && y[17] == 1.0f);
}

/* ---- quantize -> dequantize error bounds -------------------------------- */

static void test_roundtrip_error(void **state) {
  enum { N = QK * 2048 };
  float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
  uint8_t *q = malloc(N / QK * 36);
  size_t ti;
  (void)state;
  assert_non_null(x);
  assert_non_null(y);
  assert_non_null(q);
  for (ti = 0; ti < N; ti++) x[ti] = rnd_gauss() * 0.02f;
  for (ti = 0; ti < TP_ARRAY_LEN(k_types); ti++) {
    tp_type t = k_types[ti];
    double se = 0, sx = 0;
    size_t b, j;
    assert_int_equal(tp_quantize(t, x, q, N), TP_OK);
    assert_int_equal(tp_dequantize(t, q, y, N), TP_OK);
    for (b = 0; b < N / QK; b++) {
      const float *xb = x + b * QK, *yb = y + b * QK;
      double lo = xb[0], hi = xb[0], amax = 0, step, bound;
      /* plain comparisons: GCC 12's aarch64 vectorizer crashes on an
         fmin/fmax reduction here (the data has no NaN) */
      for (j = 0; j < QK; j++) {
        double v = xb[j], av = v < 0 ? -v : v;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
        if (av > amax) amax = av;
      }
      /* step: the quantization step; bound: half a step for rounded
       * codes, a full step where Q4_0/Q5_0 clamp the top code, plus the
       * binary16 rounding of d (2^-11 relative, times the largest code)
       * and of m */
      switch (t) {
      case TP_TYPE_Q4_0: step = amax / 8; bound = step * (1 + 8.0 / 2048); break;
      case TP_TYPE_Q5_0: step = amax / 16; bound = step * (1 + 16.0 / 2048); break;
      case TP_TYPE_Q4_1:
        step = (hi - lo) / 15;
        bound = step * (0.5 + 15.0 / 2048) + fabs(lo) / 2048;
        break;
      case TP_TYPE_Q5_1:
        step = (hi - lo) / 31;
        bound = step * (0.5 + 31.0 / 2048) + fabs(lo) / 2048;
        break;
      default: step = amax / 127; bound = step * (0.5 + 127.0 / 2048); break;
      }
      bound = bound * (1 + 1e-5) + 1e-12;
      for (j = 0; j < QK; j++) {
        double err = fabs((double)xb[j] - yb[j]);
        if (err > bound)
          fail_msg("%s block %zu elem %zu: |%g - %g| > %g", tp_type_name(t), b,
                   j, (double)xb[j], (double)yb[j], bound);
        se += err * err;
        sx += (double)xb[j] * xb[j];
      }
    }
    /* relative RMS error on Gaussian data (ggml-types.md: Q8_0 ~0.005,
     * Q4_0 ~0.086) */
    {
      double rel = sqrt(se / sx);
      double limit = (t == TP_TYPE_Q8_0 || t == TP_TYPE_Q8_1) ? 0.008
                     : (t == TP_TYPE_Q4_0)                     ? 0.11
                     : (t == TP_TYPE_Q4_1)                     ? 0.10
                                                               : 0.055;
      if (rel > limit)
        fail_msg("%s relative RMS error %g > %g", tp_type_name(t), rel, limit);
    }
  }
  free(x);
  free(y);
  free(q);
}

/* ---- SIMD paths against the reference ----------------------------------- */

/* One block of a distribution chosen to hit the awkward cases. */
static void fill_block(float *x, int kind) {
  float scale = (float)pow(10.0, rnd_unit() * 16 - 8);
  int j;
  switch (kind) {
  case 0: /* Gaussian at a random scale */
    for (j = 0; j < QK; j++) x[j] = rnd_gauss() * scale;
    break;
  case 1: /* quarter steps: many exact ties */
    for (j = 0; j < QK; j++) x[j] = (float)((int)(rnd64() % 81) - 40) * 0.25f;
    break;
  case 2: { /* all equal */
    float v = rnd_gauss() * scale;
    for (j = 0; j < QK; j++) x[j] = v;
    break;
  }
  case 3: /* zeros of both signs */
    for (j = 0; j < QK; j++) x[j] = (rnd64() & 1) ? -0.0f : 0.0f;
    break;
  case 4: /* zeros and one or two values */
    for (j = 0; j < QK; j++) x[j] = (rnd64() & 1) ? -0.0f : 0.0f;
    x[rnd64() % QK] = rnd_gauss() * scale;
    if (rnd64() & 1) x[rnd64() % QK] = -x[rnd64() % QK];
    break;
  case 5: /* arbitrary bit patterns: NaN, inf, subnormals, huge */
    for (j = 0; j < QK; j++) x[j] = tp_bits_f32((uint32_t)rnd64());
    break;
  case 6: /* Q8 ties: amax 127 so id = 1, then halves */
    for (j = 0; j < QK; j++) x[j] = (float)((int)(rnd64() % 255) - 127) + 0.5f;
    x[rnd64() % QK] = (rnd64() & 1) ? 127.0f : -127.0f;
    break;
  case 7: /* Q4_0 ties: smax -8 so id = 1, then halves */
    for (j = 0; j < QK; j++) x[j] = (float)((int)(rnd64() % 16) - 8) + 0.5f;
    x[rnd64() % QK] = -8.0f;
    break;
  case 8: /* binary32 subnormals (1/d overflows) */
    for (j = 0; j < QK; j++) x[j] = rnd_gauss() * 1e-40f;
    break;
  case 9: /* near the top of the range, with infinities */
    for (j = 0; j < QK; j++) x[j] = rnd_gauss() * 1e38f;
    if (rnd64() & 1) x[rnd64() % QK] = (rnd64() & 1) ? INFINITY : -INFINITY;
    break;
  case 10: /* one NaN among normal values */
    for (j = 0; j < QK; j++) x[j] = rnd_gauss() * scale;
    x[rnd64() % QK] = NAN;
    break;
  case 11: /* non-negative with zeros (ReLU-like): min is a zero */
    for (j = 0; j < QK; j++)
      x[j] = (rnd64() & 1) ? fabsf(rnd_gauss()) : ((rnd64() & 1) ? -0.0f : 0.0f);
    break;
  case 12: /* non-positive with zeros: max is a zero */
    for (j = 0; j < QK; j++)
      x[j] = (rnd64() & 1) ? -fabsf(rnd_gauss()) : ((rnd64() & 1) ? -0.0f : 0.0f);
    break;
  default: /* uniform, scale small enough that d is an f16 subnormal */
    for (j = 0; j < QK; j++) x[j] = (float)(rnd_unit() * 2 - 1) * 1e-6f;
    break;
  }
}

#define N_KINDS 14

static void test_simd_quantize_matches_ref(void **state) {
  enum { NB = 4096, ROUNDS = 16 };
  float *x = malloc((NB * QK + 1) * sizeof *x);
  uint8_t *a = malloc(NB * 36 + 1), *b = malloc(NB * 36 + 1);
  int round;
  (void)state;
  assert_non_null(x);
  assert_non_null(a);
  assert_non_null(b);
  for (round = 0; round < ROUNDS; round++) {
    /* odd offsets: the SIMD code must not assume alignment */
    float *xs = x + (round & 1);
    uint8_t *as = a + ((round >> 1) & 1), *bs = b + ((round >> 2) & 1);
    size_t k, ti;
    for (k = 0; k < NB; k++)
      fill_block(xs + k * QK, round < 2 ? round * 7 : (int)(rnd64() % N_KINDS));
    for (ti = 0; ti < TP_ARRAY_LEN(k_types); ti++) {
      tp_type t = k_types[ti];
      size_t bb = tp_type_block_bytes(t);
      assert_int_equal(tp_quantize_ref(t, xs, as, NB * QK), TP_OK);
      assert_int_equal(tp_quantize(t, xs, bs, NB * QK), TP_OK);
      if (memcmp(as, bs, NB * bb)) {
        for (k = 0; memcmp(as + k * bb, bs + k * bb, bb) == 0; k++) continue;
        fail_msg("%s: SIMD and reference differ in block %zu (x[0] = %a)",
                 tp_type_name(t), k, (double)xs[k * QK]);
      }
    }
  }
  free(x);
  free(a);
  free(b);
}

/* Floats are compared bit for bit; two NaNs count as equal because which
 * NaN payload survives q*d + m when both d and m are NaN depends on the
 * compiler's operand order, not on the codec. */
static bool same_float(float p, float q) {
  return tp_f32_bits(p) == tp_f32_bits(q) || (isnan(p) && isnan(q));
}

static void test_simd_dequantize_matches_ref(void **state) {
  enum { NB = 8192 };
  uint8_t *q = malloc(NB * 36 + 1);
  float *a = malloc((NB * QK + 1) * sizeof *a);
  float *b = malloc((NB * QK + 1) * sizeof *b);
  size_t ti, i;
  (void)state;
  assert_non_null(q);
  assert_non_null(a);
  assert_non_null(b);
  for (i = 0; i < NB * 36 + 1; i++) q[i] = (uint8_t)rnd64();
  for (ti = 0; ti < TP_ARRAY_LEN(k_types); ti++) {
    tp_type t = k_types[ti];
    const uint8_t *qs = q + (ti & 1);
    float *bs = b + ((ti >> 1) & 1);
    assert_int_equal(tp_dequantize_ref(t, qs, a, NB * QK), TP_OK);
    assert_int_equal(tp_dequantize(t, qs, bs, NB * QK), TP_OK);
    for (i = 0; i < NB * QK; i++)
      if (!same_float(a[i], bs[i]))
        fail_msg("%s element %zu: ref %08x simd %08x", tp_type_name(t), i,
                 tp_f32_bits(a[i]), tp_f32_bits(bs[i]));
  }
  free(q);
  free(a);
  free(b);
}

/* On a CPU with the instructions the fast paths must actually be in use,
 * otherwise the two tests above compare the reference with itself; and the
 * test mask must hide them. */
static void test_simd_paths_selected(void **state) {
  size_t ti;
  bool expect = false;
  unsigned old_mask, f = tp_cpu_features();
  (void)state;
#if defined(__x86_64__)
  expect = (f & (TP_CPU_AVX2 | TP_CPU_F16C)) == (TP_CPU_AVX2 | TP_CPU_F16C);
#elif defined(__aarch64__)
  expect = (f & TP_CPU_NEON) != 0;
#endif
  (void)f;
  for (ti = 0; ti < TP_ARRAY_LEN(k_types); ti++) {
    const tp_qcodec *c = tp_qcodec_of(k_types[ti]);
    assert_non_null(c);
    assert_true((c->quantize_fast != NULL) == expect);
    assert_true((c->dequantize_fast != NULL) == expect);
  }
  if (!expect)
    print_message("no SIMD on this CPU: the fast paths are the reference\n");
  old_mask = tp_cpu_set_mask(0);
  for (ti = 0; ti < TP_ARRAY_LEN(k_types); ti++) {
    const tp_qcodec *c = tp_qcodec_of(k_types[ti]);
    assert_null(c->quantize_fast);
    assert_null(c->dequantize_fast);
    assert_non_null(c->quantize_ref);
  }
  tp_cpu_set_mask(old_mask);
}

/* ---- dispatch and errors ------------------------------------------------ */

static void test_dispatch_errors(void **state) {
  float x[64] = {0};
  uint8_t y[128];
  size_t ti;
  (void)state;
  for (ti = 0; ti < TP_ARRAY_LEN(k_types); ti++) {
    assert_true(tp_quant_can_quantize(k_types[ti]));
    assert_true(tp_quant_can_dequantize(k_types[ti]));
    assert_int_equal(tp_qcodec_of(k_types[ti])->type, k_types[ti]);
  }
  assert_false(tp_quant_can_quantize(TP_TYPE_F32));
  assert_false(tp_quant_can_dequantize(TP_TYPE_F16));
  assert_null(tp_qcodec_of(TP_TYPE_BF16));
  assert_null(tp_qcodec_of((tp_type)-1));
  assert_null(tp_qcodec_of(TP_TYPE_COUNT));

  assert_int_equal(tp_quantize(TP_TYPE_F32, x, y, 32), TP_EUNSUPPORTED);
  assert_non_null(strstr(tp_last_error(), "F32"));
  assert_int_equal(tp_dequantize(TP_TYPE_BF16, y, x, 32), TP_EUNSUPPORTED);
  assert_non_null(strstr(tp_last_error(), "BF16"));

  assert_int_equal(tp_quantize(TP_TYPE_Q5_1, x, y, 33), TP_EINVAL);
  assert_non_null(strstr(tp_last_error(), "Q5_1"));
  assert_non_null(strstr(tp_last_error(), "33"));
  assert_int_equal(tp_dequantize_ref(TP_TYPE_Q8_0, y, x, 16), TP_EINVAL);
  assert_non_null(strstr(tp_last_error(), "Q8_0"));
  assert_int_equal(tp_quantize(TP_TYPE_Q4_0, NULL, y, 32), TP_EINVAL);

  /* zero elements: nothing to do, nothing touched */
  memset(y, 0xEE, sizeof y);
  assert_int_equal(tp_quantize(TP_TYPE_Q4_0, NULL, NULL, 0), TP_OK);
  assert_int_equal(tp_quantize(TP_TYPE_Q4_0, x, y, 0), TP_OK);
  assert_int_equal(y[0], 0xEE);
  /* two blocks are two independent blocks */
  x[40] = 1.0f;
  assert_int_equal(tp_quantize(TP_TYPE_Q8_0, x, y, 64), TP_OK);
  assert_int_equal(h_of(y), 0x0000);
  assert_int_equal(y[34 + 2 + 8], 127);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_f32_to_f16),
      cmocka_unit_test(test_f16_to_f32),
      cmocka_unit_test(test_all_zero_blocks),
      cmocka_unit_test(test_q4_0_ramp),
      cmocka_unit_test(test_q4_0_sign_of_scale),
      cmocka_unit_test(test_q4_1_half_steps),
      cmocka_unit_test(test_q5_codes_and_high_bits),
      cmocka_unit_test(test_signed_zero_min_max),
      cmocka_unit_test(test_q8_ties_away_from_zero),
      cmocka_unit_test(test_scale_from_unrounded_d),
      cmocka_unit_test(test_no_fused_multiply_add),
      cmocka_unit_test(test_extreme_magnitudes),
      cmocka_unit_test(test_dequantize_layout),
      cmocka_unit_test(test_roundtrip_error),
      cmocka_unit_test(test_simd_quantize_matches_ref),
      cmocka_unit_test(test_simd_dequantize_matches_ref),
      cmocka_unit_test(test_simd_paths_selected),
      cmocka_unit_test(test_dispatch_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
