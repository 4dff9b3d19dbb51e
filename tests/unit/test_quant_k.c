/*
 * test_quant_k.c - unit tests of the K-quant codecs (q_k.c, q_k_x86.c,
 * q_k_neon.c): Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and Q8_K.
 *
 * Three kinds of checks:
 *  - hand-worked blocks for the edge cases of the reference algorithm
 *    (all-zero blocks, groups below GROUP_MAX_EPS, a single outlier,
 *    identical values, negative-only and positive-only data), with the
 *    expected bytes and floats derived from ggml-types.md §6-§7;
 *  - fingerprints (FNV-1a of the quantized bytes) of deterministic
 *    pseudo-random data in several distributions, recorded from llama.cpp's
 *    quantize_row_q*_K_ref (libggml-base), so that CI checks byte equality
 *    with upstream without llama.cpp installed; plus reconstruction error
 *    bounds per type;
 *  - the SIMD paths (tp_quantize / tp_dequantize) against the reference
 *    paths on many random super-blocks, byte for byte and bit for bit.
 * The full comparison with a live libggml-base is
 * tests/interop/test_quant_k.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dtype/dtype.h"
#include "quant/quant.h"
#include "quant/quant_impl.h"

#define QK 256

static const tp_type k_types[] = {TP_TYPE_Q2_K, TP_TYPE_Q3_K, TP_TYPE_Q4_K,
                                  TP_TYPE_Q5_K, TP_TYPE_Q6_K, TP_TYPE_Q8_K};

/* ---- deterministic inputs ------------------------------------------------ */
/* Only integer operations and correctly rounded binary32 arithmetic, so the
 * same floats come out on every platform and libm (the fingerprints below
 * depend on it). */

static uint64_t g_rng;

static uint32_t rng_u32(void) {
  g_rng ^= g_rng << 13;
  g_rng ^= g_rng >> 7;
  g_rng ^= g_rng << 17;
  return (uint32_t)(g_rng >> 32);
}

/* uniform in [0, 1), exact */
static float rng_unit(void) {
  return (float)(rng_u32() >> 8) * (1.0f / 16777216.0f);
}

/* bell-shaped in (-2, 2): Irwin-Hall with four terms */
static float rng_bell(void) {
  return rng_unit() + rng_unit() + rng_unit() + rng_unit() - 2.0f;
}

enum { DIST_COUNT = 12 };

static const char *const dist_names[DIST_COUNT] = {
    "bell",   "uniform",  "positive", "negative", "heavy",  "outliers",
    "const",  "tiny",     "large",    "sparse",   "scaled", "grid"};

/* Fills x with n values of distribution dist, seeded by seed. */
static void gen_values(int dist, uint64_t seed, float *x, size_t n) {
  size_t i;
  float c = 0.0f;
  g_rng = 0x9E3779B97F4A7C15ull ^ (seed * 0x100000001B3ull);
  for (i = 0; i < n; i++) {
    float v;
    switch (dist) {
      case 0: v = rng_bell(); break;
      case 1: v = 2.0f * rng_unit() - 1.0f; break;
      case 2: v = rng_unit() + 0.25f; break;
      case 3: v = -rng_unit() - 0.01f; break;
      case 4: /* heavy-tailed: a bell value over a small uniform */
        v = 0.05f * rng_bell() / (rng_unit() + 0.01f);
        break;
      case 5: /* small noise with rare large outliers */
        v = 0.02f * rng_bell();
        if (rng_u32() % 61 == 0) v = 40.0f * rng_bell();
        break;
      case 6: /* constant runs of 16, sometimes a different sign */
        if (i % 16 == 0) c = rng_bell();
        v = (rng_u32() % 29 == 0) ? -c : c;
        break;
      case 7: v = 1e-15f * rng_bell(); break;
      case 8: v = 1e6f * rng_bell(); break;
      case 9: v = (rng_u32() % 8 == 0) ? rng_bell() : 0.0f; break;
      case 10: /* magnitudes changing from sub-block to sub-block */
        if (i % 16 == 0) c = (float)(1u << (rng_u32() % 20)) * 1e-3f;
        v = c * rng_bell();
        break;
      default: /* values on a coarse grid: many exact ties */
        v = 0.125f * (float)((int)(rng_u32() % 33) - 16);
        break;
    }
    x[i] = v;
  }
}

/* FNV-1a, 64 bits */
static uint64_t fnv1a(const uint8_t *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  size_t i;
  for (i = 0; i < n; i++) {
    h ^= p[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

/* ---- helpers ------------------------------------------------------------- */

static size_t qbytes(tp_type t, size_t n) {
  return n / QK * tp_type_block_bytes(t);
}

static void fill(float *x, size_t n, float v) {
  size_t i;
  for (i = 0; i < n; i++) x[i] = v;
}

/* Quantizes n values through both paths, checks that they agree byte for
 * byte, and leaves the bytes in q. */
static void quantize_both(tp_type t, const float *x, uint8_t *q, size_t n) {
  size_t nb = qbytes(t, n);
  uint8_t *f = malloc(nb);
  assert_non_null(f);
  memset(q, 0xA5, nb);
  memset(f, 0x5A, nb);
  assert_int_equal(tp_quantize_ref(t, x, q, n), TP_OK);
  assert_int_equal(tp_quantize(t, x, f, n), TP_OK);
  if (memcmp(q, f, nb) != 0) {
    size_t i;
    for (i = 0; i < nb && q[i] == f[i]; i++) continue;
    print_error("%s: SIMD and reference differ at block %zu byte %zu\n",
                tp_type_name(t), i / tp_type_block_bytes(t),
                i % tp_type_block_bytes(t));
    fail();
  }
  free(f);
}

/* Dequantizes through both paths, checks bitwise agreement, result in y. */
static void dequantize_both(tp_type t, const uint8_t *q, float *y,
                            size_t n) {
  float *f = malloc(n * sizeof(float));
  assert_non_null(f);
  assert_int_equal(tp_dequantize_ref(t, q, y, n), TP_OK);
  assert_int_equal(tp_dequantize(t, q, f, n), TP_OK);
  assert_memory_equal(y, f, n * sizeof(float));
  free(f);
}

static void assert_all_zero(const uint8_t *p, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    if (p[i] != 0) {
      print_error("byte %zu is 0x%02x, expected 0\n", i, p[i]);
      fail();
    }
  }
}

static void assert_bits(float got, float want, size_t i) {
  if (tp_f32_bits(got) != tp_f32_bits(want)) {
    print_error("element %zu: got %a, want %a\n", i, (double)got,
                (double)want);
    fail();
  }
}

/* ---- capabilities and argument checks ------------------------------------ */

static void test_capabilities(void **state) {
  size_t i;
  float x[QK] = {0};
  uint8_t q[512];
  (void)state;
  for (i = 0; i < TP_ARRAY_LEN(k_types); i++) {
    tp_type t = k_types[i];
    assert_true(tp_quant_can_quantize(t));
    assert_true(tp_quant_can_dequantize(t));
    assert_int_equal(tp_type_block_elems(t), QK);
    /* a partial super-block is refused */
    assert_int_equal(tp_quantize(t, x, q, 128), TP_EINVAL);
    assert_int_equal(tp_dequantize(t, q, x, 255), TP_EINVAL);
    assert_int_equal(tp_quantize(t, x, q, 0), TP_OK);
  }
}

/* ---- hand-worked edge cases ---------------------------------------------- */

/* An all-zero super-block is all-zero bytes in every type: scales, d and
 * dmin are 0 and the codes kept from the search are 0 (not the mid-point
 * code, which Q3_K and Q6_K use for a zero value in a non-zero group). */
static void test_zero_block(void **state) {
  float x[2 * QK], y[2 * QK];
  uint8_t q[2 * 292];
  size_t i, k;
  (void)state;
  fill(x, 2 * QK, 0.0f);
  for (i = 0; i < TP_ARRAY_LEN(k_types); i++) {
    tp_type t = k_types[i];
    quantize_both(t, x, q, 2 * QK);
    assert_all_zero(q, qbytes(t, 2 * QK));
    dequantize_both(t, q, y, 2 * QK);
    for (k = 0; k < 2 * QK; k++) assert_true(y[k] == 0.0f);
  }
}

/* Symmetric types treat a group whose largest magnitude is below 1e-15 as
 * zero; Q6_K and Q3_K then store an all-zero block. The asymmetric types
 * have no such threshold: their d underflows in f16 instead, and every
 * value decodes to exactly 0. */
static void test_below_group_eps(void **state) {
  float x[QK], y[QK];
  uint8_t q[292];
  size_t k;
  (void)state;
  for (k = 0; k < QK; k++) x[k] = (k & 1 ? -9e-16f : 5e-16f);
  quantize_both(TP_TYPE_Q6_K, x, q, QK);
  assert_all_zero(q, 210);
  quantize_both(TP_TYPE_Q3_K, x, q, QK);
  assert_all_zero(q, 110);

  /* a group with a larger value is not zero any more (its scale, about
   * x/32, must reach the threshold too) */
  x[7] = 1e-13f;
  quantize_both(TP_TYPE_Q6_K, x, q, QK);
  assert_true(q[192 + 0] != 0);

  quantize_both(TP_TYPE_Q4_K, x, q, QK);
  assert_int_equal(tp_load_le16(q), 0);     /* d underflowed */
  assert_int_equal(tp_load_le16(q + 2), 0); /* dmin underflowed */
  dequantize_both(TP_TYPE_Q4_K, q, y, QK);
  for (k = 0; k < QK; k++) assert_true(y[k] == 0.0f);
}

/* One value 1.0 at index 37 (Q6_K sub-block 2), zeros elsewhere.
 * Q6_K: the group's search settles on scale -1/32 (code -32 for the 1.0);
 * max_scale = -1/32, iscale = -128 / max_scale = 4096, d = h(1/4096) =
 * 0x0C00, scales[2] = -128, all other scales 0. Re-quantized: x/dq =
 * 1/(-1/32) = -32 -> code 0; the zeros of that group get code 32 and the
 * other groups keep their search codes, 0. Decoded: 1.0 at 37, and
 * d*scale*q = -0.0 everywhere else (a zero scale times a negative code or a
 * negative scale times code 0). */
static void test_single_outlier(void **state) {
  float x[QK], y[QK];
  uint8_t q[292];
  size_t k;
  (void)state;
  fill(x, QK, 0.0f);
  x[37] = 1.0f;

  quantize_both(TP_TYPE_Q6_K, x, q, QK);
  assert_int_equal(tp_load_le16(q + 208), 0x0C00);
  for (k = 0; k < 16; k++)
    assert_int_equal((int8_t)q[192 + k], k == 2 ? -128 : 0);
  /* element 37 = half 0, l = 5, quarter 1: low nibble of ql[32 + 5],
   * high bits in bits 2..3 of qh[5] */
  assert_int_equal(q[32 + 5] & 0xF, 0);
  assert_int_equal((q[128 + 5] >> 2) & 3, 0);
  assert_int_equal(q[32 + 6] & 0xF, 0);          /* element 38: code 32 */
  assert_int_equal((q[128 + 6] >> 2) & 3, 2);
  dequantize_both(TP_TYPE_Q6_K, q, y, QK);
  for (k = 0; k < QK; k++) assert_bits(y[k], k == 37 ? 1.0f : -0.0f, k);

  /* Q8_K: iscale = -127, code -127, d = 1/-127 in binary32, bsums[2] =
   * -127 */
  quantize_both(TP_TYPE_Q8_K, x, q, QK);
  assert_int_equal(tp_load_le32(q), tp_f32_bits(1.0f / -127.0f));
  for (k = 0; k < QK; k++) assert_int_equal((int8_t)q[4 + k], k == 37 ? -127 : 0);
  for (k = 0; k < 16; k++)
    assert_int_equal((int16_t)tp_load_le16(q + 260 + 2 * k), k == 2 ? -127 : 0);

  /* Q4_K: sub-block 1 has min 0 and max 1; the start point iscale = 15,
   * scale = 1/15 reconstructs it with zero error, so no candidate of the
   * search can win (the comparison is strict). The other sub-blocks are
   * flat. Only scale 1 is non-zero: ls = 63, d = h((1/15)/63), dmin = 0. */
  quantize_both(TP_TYPE_Q4_K, x, q, QK);
  assert_int_equal(tp_load_le16(q), tp_quant_f32_to_f16((1.0f / 15.0f) / 63.0f));
  assert_int_equal(tp_load_le16(q + 2), 0);
  assert_int_equal(q[4 + 1], 63);
  for (k = 0; k < 12; k++)
    if (k != 1) assert_int_equal(q[4 + k], 0);
  /* element 37: group 0, high nibble (sub-block 1) of qs[5] = 15 */
  assert_int_equal(q[16 + 5], 0xF0);
  dequantize_both(TP_TYPE_Q4_K, q, y, QK);
  for (k = 0; k < QK; k++) {
    if (k == 37)
      assert_true(fabsf(y[k] - 1.0f) < 1e-3f);
    else
      assert_bits(y[k], 0.0f, k);
  }
}

/* All values -0.5: every Q4_K/Q5_K/Q2_K sub-block is flat (max == min), so
 * its scale is 0 and its min is 0.5. Only the mins carry information:
 * Q4_K: lm = 63 in every sub-block, ls = 0, d = 0, dmin = h(0.5/63), and
 * the scale bytes are {0,0,0,0, 0xFF x4, 0xF0 x4}; codes stay 0 and each
 * value decodes to -(H(dmin)*63). */
static void test_identical_negative(void **state) {
  float x[QK], y[QK];
  uint8_t q[292];
  size_t k;
  float want;
  (void)state;
  fill(x, QK, -0.5f);

  quantize_both(TP_TYPE_Q4_K, x, q, QK);
  assert_int_equal(tp_load_le16(q), 0);
  assert_int_equal(tp_load_le16(q + 2), tp_quant_f32_to_f16(0.5f / 63.0f));
  for (k = 0; k < 12; k++)
    assert_int_equal(q[4 + k], k < 4 ? 0 : (k < 8 ? 0xFF : 0xF0));
  assert_all_zero(q + 16, 128);
  dequantize_both(TP_TYPE_Q4_K, q, y, QK);
  want = 0.0f * 0.0f -
         tp_quant_f16_to_f32(tp_quant_f32_to_f16(0.5f / 63.0f)) * 63.0f;
  for (k = 0; k < QK; k++) assert_bits(y[k], want, k);

  /* Q5_K: the same scales and d/dmin; qh and qs all zero */
  quantize_both(TP_TYPE_Q5_K, x, q, QK);
  assert_int_equal(tp_load_le16(q + 2), tp_quant_f32_to_f16(0.5f / 63.0f));
  assert_all_zero(q + 16, 160);

  /* Q2_K: 4-bit mins: iscale = 15/0.5, l = 15, scales[j] = 0xF0,
   * dmin = h(0.5/15), d = 0 */
  quantize_both(TP_TYPE_Q2_K, x, q, QK);
  for (k = 0; k < 16; k++) assert_int_equal(q[k], 0xF0);
  assert_all_zero(q + 16, 64);
  assert_int_equal(tp_load_le16(q + 80), 0);
  assert_int_equal(tp_load_le16(q + 82), tp_quant_f32_to_f16(0.5f / 15.0f));
  dequantize_both(TP_TYPE_Q2_K, q, y, QK);
  want = tp_quant_f16_to_f32(tp_quant_f32_to_f16(0.5f / 15.0f)) * 15.0f;
  for (k = 0; k < QK; k++) assert_bits(y[k], 0.0f * 0.0f - want, k);

  /* symmetric types: every group has scale -0.5/-nmax... and decodes
   * close to -0.5 */
  quantize_both(TP_TYPE_Q6_K, x, q, QK);
  dequantize_both(TP_TYPE_Q6_K, q, y, QK);
  for (k = 0; k < QK; k++) assert_true(fabsf(y[k] + 0.5f) < 2e-3f);
  quantize_both(TP_TYPE_Q3_K, x, q, QK);
  dequantize_both(TP_TYPE_Q3_K, q, y, QK);
  for (k = 0; k < QK; k++) assert_true(fabsf(y[k] + 0.5f) < 2e-3f);
}

/* All values +0.5: the min is clamped to 0, so the sub-blocks are not flat;
 * iscale = 15/0.5 = 30 gives code 15 and scale 1/30 with zero error.
 * Every scale is max_scale: ls = 63 (its top two bits land in bytes 0..3),
 * lm = 0, dmin = 0. */
static void test_identical_positive(void **state) {
  float x[QK], y[QK];
  uint8_t q[292];
  size_t k, i;
  (void)state;
  fill(x, QK, 0.5f);
  quantize_both(TP_TYPE_Q4_K, x, q, QK);
  assert_int_equal(tp_load_le16(q), tp_quant_f32_to_f16((1.0f / 30.0f) / 63.0f));
  assert_int_equal(tp_load_le16(q + 2), 0);
  for (k = 0; k < 12; k++)
    assert_int_equal(q[4 + k], k < 4 ? 0xFF : (k < 8 ? 0 : 0x0F));
  for (k = 0; k < 128; k++) assert_int_equal(q[16 + k], 0xFF);
  for (i = 0; i < TP_ARRAY_LEN(k_types); i++) {
    quantize_both(k_types[i], x, q, QK);
    dequantize_both(k_types[i], q, y, QK);
    for (k = 0; k < QK; k++) assert_true(fabsf(y[k] - 0.5f) < 2e-3f);
  }
}

/* Negative-only and positive-only data with spread: asymmetric types fold
 * the offset into the min (negative-only data has a positive the_min and
 * codes spread from 0), symmetric types still reconstruct well. */
static void test_one_signed(void **state) {
  enum { N = 8 * QK };
  static float x[N], y[N];
  static uint8_t q[N / QK * 292];
  size_t i, k;
  int sign;
  (void)state;
  for (sign = -1; sign <= 1; sign += 2) {
    gen_values(2, 77, x, N); /* 0.25 .. 1.25 */
    for (k = 0; k < N; k++) x[k] *= (float)sign;
    for (i = 0; i < TP_ARRAY_LEN(k_types); i++) {
      tp_type t = k_types[i];
      double maxerr = 0;
      quantize_both(t, x, q, N);
      dequantize_both(t, q, y, N);
      for (k = 0; k < N; k++) maxerr = fmax(maxerr, fabs(y[k] - x[k]));
      /* worst case is Q2_K: a quarter of the 1.0 range plus rounding */
      assert_true(maxerr < 0.3);
    }
    /* Q4_K with negative-only data: dmin carries the offset */
    quantize_both(TP_TYPE_Q4_K, x, q, N);
    if (sign < 0)
      assert_true(tp_quant_f16_to_f32(tp_load_le16(q + 2)) > 0.0f);
  }
}

/* Q6_K with +Inf in group 0: its inverse scale is -32/Inf = -0.0 and every
 * search code is nearest_int(-0.0 * x) + 32 = 32 (nearest_int of the NaN
 * from -0.0 * Inf is 0 too); its scale is NaN, which quantizes to 0, so the
 * group keeps those codes. (An implementation that takes a zero inverse
 * scale to mean "all-zero group" stores codes 0 instead.) */
static void test_infinite_max(void **state) {
  float x[QK];
  uint8_t q[292];
  size_t l;
  (void)state;
  gen_values(0, 31, x, QK);
  x[0] = INFINITY;
  quantize_both(TP_TYPE_Q6_K, x, q, QK);
  assert_int_equal(q[192], 0); /* scale of group 0 */
  for (l = 0; l < 16; l++) {
    assert_int_equal(q[l] & 0xF, 0);       /* low 4 bits of 32 */
    assert_int_equal(q[128 + l] & 3, 2);   /* high 2 bits of 32 */
  }
  /* the asymmetric types are defined on such input too; both paths agree */
  quantize_both(TP_TYPE_Q4_K, x, q, QK);
  quantize_both(TP_TYPE_Q2_K, x, q, QK);
  quantize_both(TP_TYPE_Q3_K, x, q, QK);
}

/* ---- agreement with llama.cpp: recorded fingerprints --------------------- */

enum { FP_BLOCKS = 48 };

/* FNV-1a of quantize_row_q*_K_ref (llama.cpp libggml-base 0.25.3, x86-64)
 * over FP_BLOCKS super-blocks of gen_values(dist, 1000 + dist), per type
 * in k_types order and per distribution. */
static const uint64_t k_fingerprints[6][DIST_COUNT] = {
    {0x3023273d7db171e2ull, 0xbcb97ef63dcdbf55ull,
     0x6160ed5f6c457deeull, 0xf9feb0760234b53cull,
     0x9749b74d8c41eeb2ull, 0x569cb3548a8a4af3ull,
     0xdde4f662f429a526ull, 0x35cfd12587cea24aull,
     0xa35c9607b2f96245ull, 0x84cce1c0584c16bbull,
     0xd737b7104ce0908bull, 0x3f8d9428fc13654aull},
    {0x63efe91d0f366e14ull, 0xe237888e17fc77d5ull,
     0x9adefa71f3826d3eull, 0xccc21f1111b315fbull,
     0x0b47f11297fbe091ull, 0xd657a60cff161ce0ull,
     0x2b44aad1b4b6d3e1ull, 0x30c3a958712d2800ull,
     0xcfbaac412542b435ull, 0x84fa591ae913079dull,
     0x5884a8965028706bull, 0xf2ce2f2f547f945eull},
    {0x56ec1d70d427cb78ull, 0x6671d4b0e0634c90ull,
     0xd3c94e1249f75b05ull, 0x751b7f951dbf980dull,
     0xe248f90eca3c86b1ull, 0x88d8bbf53e0ed381ull,
     0x45ae5eae2c214243ull, 0x61087595f1299aeeull,
     0x8b920baa67eddbf8ull, 0xd4c7ca9567b6fa0dull,
     0x81333a6506d6fd50ull, 0x2e2097030d6b633aull},
    {0x1d589681609c5d23ull, 0x2cbee2efa98c041full,
     0x7bcae811240ecc88ull, 0x454dba2313a7053eull,
     0xe7b2970e6e8250d5ull, 0x7bcbd9dd81ef03ecull,
     0xbcf3b849b43eeeadull, 0x59c3f017b4e586c5ull,
     0x3b1447b6e1fa431eull, 0xd516a3769fe64b6eull,
     0xf84c3a80b22983a7ull, 0x91fa1ab5f48b3b8eull},
    {0x9b567d639fc8a9a5ull, 0x17102a74b0c5a65bull,
     0x82a99f17e942e360ull, 0xe1251bde854387a2ull,
     0xf089f99efa73ac04ull, 0x6560ddc121438617ull,
     0x285a4dbdeb8f8d8aull, 0xb45a43d3b52fe6a5ull,
     0x4ef54f05393d9d60ull, 0x288ee8b1d9f66683ull,
     0xfdfc9d2c9d3b1527ull, 0x9474bc1ad13f3636ull},
    {0x9cc007bec35738a7ull, 0xad85b53ebb149283ull,
     0xec9b88bebd5c9951ull, 0xe279bc3653c75a82ull,
     0xf44699df64b6c121ull, 0xd369c2a4927702f2ull,
     0xa25cdc796f31f5edull, 0xfb52a4f57881a557ull,
     0x98810361c7412040ull, 0x49c6464426c617f3ull,
     0x0a1013f6c221fc9cull, 0x38f53f136f50ce30ull},
};

static void test_upstream_fingerprints(void **state) {
  static float x[FP_BLOCKS * QK];
  static uint8_t q[FP_BLOCKS * 292];
  size_t i;
  int dist;
  (void)state;
  for (dist = 0; dist < DIST_COUNT; dist++) {
    gen_values(dist, 1000 + (uint64_t)dist, x, FP_BLOCKS * QK);
    for (i = 0; i < TP_ARRAY_LEN(k_types); i++) {
      tp_type t = k_types[i];
      uint64_t h;
      quantize_both(t, x, q, FP_BLOCKS * QK);
      h = fnv1a(q, qbytes(t, FP_BLOCKS * QK));
      if (h != k_fingerprints[i][dist]) {
        print_error("%s, %s data: fingerprint %016llx, llama.cpp %016llx\n",
                    tp_type_name(t), dist_names[dist], (unsigned long long)h,
                    (unsigned long long)k_fingerprints[i][dist]);
        fail();
      }
    }
  }
}

/* ---- reconstruction error ------------------------------------------------ */

/* Relative RMS error of dequantize(quantize(x)) on bell-shaped data, against
 * bounds about 10% above the values measured on this (fixed) data; they
 * match the typical values of ggml-types.md §9. */
static void test_error_bounds(void **state) {
  enum { N = 64 * QK };
  static float x[N], y[N];
  static uint8_t q[N / QK * 292];
  /* measured: 0.287, 0.145, 0.069, 0.035, 0.017, 0.0062 */
  static const double bound[6] = {0.32, 0.165, 0.078, 0.039, 0.019, 0.007};
  size_t i, k;
  (void)state;
  gen_values(0, 5, x, N);
  for (i = 0; i < TP_ARRAY_LEN(k_types); i++) {
    double se = 0, sx = 0, rel;
    quantize_both(k_types[i], x, q, N);
    dequantize_both(k_types[i], q, y, N);
    for (k = 0; k < N; k++) {
      se += (double)(y[k] - x[k]) * (double)(y[k] - x[k]);
      sx += (double)x[k] * (double)x[k];
    }
    rel = sqrt(se / sx);
    if (!(rel < bound[i])) {
      print_error("%s: relative RMS error %.4f, bound %.3f\n",
                  tp_type_name(k_types[i]), rel, bound[i]);
      fail();
    }
    /* and it is a real quantizer, not a copy: some error remains */
    assert_true(rel > bound[i] / 20);
  }
}

/* ---- SIMD against reference ---------------------------------------------- */

/* Every distribution, an odd number of super-blocks (the SIMD paths work on
 * pairs and have a tail), quantize and dequantize compared exactly. */
static void test_simd_matches_reference(void **state) {
  enum { NB = 151, N = NB * QK };
  float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float));
  uint8_t *q = malloc(NB * 292);
  size_t i;
  int dist, round;
  (void)state;
  assert_non_null(x);
  assert_non_null(y);
  assert_non_null(q);
  for (round = 0; round < 2; round++) {
    for (dist = 0; dist < DIST_COUNT; dist++) {
      gen_values(dist, 7000 + (uint64_t)(round * DIST_COUNT + dist), x, N);
      for (i = 0; i < TP_ARRAY_LEN(k_types); i++) {
        quantize_both(k_types[i], x, q, N);
        dequantize_both(k_types[i], q, y, N);
      }
    }
  }
  /* arbitrary bytes decode identically too (Q8_K aside, every byte
   * pattern is a valid block; NaN/Inf scales included) */
  for (i = 0; i < NB * 292; i++) q[i] = (uint8_t)rng_u32();
  for (i = 0; i < TP_ARRAY_LEN(k_types); i++)
    dequantize_both(k_types[i], q, y, N);
  free(x);
  free(y);
  free(q);
}

/* The SIMD comparisons below only mean something if the dispatch really
 * picks the SIMD codecs on a CPU that has the instructions. */
static void test_simd_paths_selected(void **state) {
  static const tp_type kt[] = {TP_TYPE_Q2_K, TP_TYPE_Q3_K, TP_TYPE_Q4_K,
                               TP_TYPE_Q5_K, TP_TYPE_Q6_K};
  unsigned f = tp_cpu_features(), old;
  int expect = 0;
  size_t i;
  (void)state;
#if defined(__x86_64__)
  expect = (f & (TP_CPU_AVX2 | TP_CPU_F16C)) == (TP_CPU_AVX2 | TP_CPU_F16C);
#elif defined(__aarch64__)
  expect = (f & TP_CPU_NEON) != 0;
#endif
  (void)f;
  for (i = 0; i < sizeof kt / sizeof kt[0]; i++) {
    const tp_qcodec *c = tp_qcodec_of(kt[i]);
    assert_non_null(c);
    assert_true((c->quantize_fast != NULL) == expect);
    assert_true((c->dequantize_fast != NULL) == expect);
  }
  old = tp_cpu_set_mask(0);
  for (i = 0; i < sizeof kt / sizeof kt[0]; i++)
    assert_null(tp_qcodec_of(kt[i])->quantize_fast);
  tp_cpu_set_mask(old);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_capabilities),
      cmocka_unit_test(test_simd_paths_selected),
      cmocka_unit_test(test_zero_block),
      cmocka_unit_test(test_below_group_eps),
      cmocka_unit_test(test_single_outlier),
      cmocka_unit_test(test_identical_negative),
      cmocka_unit_test(test_identical_positive),
      cmocka_unit_test(test_one_signed),
      cmocka_unit_test(test_infinite_max),
      cmocka_unit_test(test_upstream_fingerprints),
      cmocka_unit_test(test_error_bounds),
      cmocka_unit_test(test_simd_matches_reference),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
