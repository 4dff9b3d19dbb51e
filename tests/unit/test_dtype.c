/*
 * test_dtype.c - unit tests of the element casts (src/dtype/cast*.c) and the
 * CPU-feature dispatch (features.c).
 *
 *  - rounding corners of every float target, from binary64 inputs chosen by
 *    hand: ties to even in both directions, largest finite, the overflow
 *    threshold and what each type does past it (inf, NaN, saturation), the
 *    smallest subnormal and the rounding between 0 and it, negative zero,
 *    infinity in types without one, NaN payloads in and out
 *    (docs/formats/dtypes.md states each rule and its source);
 *  - integer conversions at their limits, bool, complex;
 *  - the F4/F6 packing and round trips of every code of the small types;
 *  - argument checking;
 *  - the fast paths (SIMD kernels and direct scalar loops) against the
 *    reference path, on all 65536 patterns of the 16-bit sources and on a
 *    large random set plus every special class for f32 and f64 sources.
 * Block-quantized casts are tested with the quantizers (their own suites and
 * tests/interop/test_casts.py), so this file does not need them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dtype/dtype.h"
#include "quant/quant.h"

/* ---- helpers ------------------------------------------------------------- */

static uint64_t bits_of(double d) { return tp_f64_bits(d); }

/* Bits per element of a plain type. */
static unsigned elem_bits(tp_type t) {
  return tp_type_block_bytes(t) * 8 / tp_type_block_elems(t);
}

/* Writes code c as element i of a buffer of type t (documented layout:
 * little-endian, sub-byte elements LSB first). */
static void put_code(tp_type t, uint8_t *buf, size_t i, uint64_t c) {
  unsigned b = elem_bits(t);
  size_t bit = i * b, k;
  for (k = 0; k < b; k++, bit++) {
    uint8_t m = (uint8_t)(1u << (bit % 8));
    if ((c >> k) & 1)
      buf[bit / 8] |= m;
    else
      buf[bit / 8] &= (uint8_t)~m;
  }
}

static uint64_t get_code(tp_type t, const uint8_t *buf, size_t i) {
  unsigned b = elem_bits(t);
  size_t bit = i * b, k;
  uint64_t c = 0;
  for (k = 0; k < b; k++, bit++)
    c |= (uint64_t)((buf[bit / 8] >> (bit % 8)) & 1) << k;
  return c;
}

/* Converts one source code (repeated in 4 elements, the block size of F6)
 * and returns the first destination code; both paths must agree. */
static uint64_t cv(tp_type dst, tp_type src, uint64_t code) {
  uint8_t s[32], d1[32], d2[32];
  size_t i;
  memset(s, 0, sizeof s);
  memset(d1, 0xA5, sizeof d1);
  memset(d2, 0x5A, sizeof d2);
  for (i = 0; i < 4; i++) put_code(src, s, i, code);
  assert_int_equal(tp_convert_elements(dst, d1, src, s, 4), TP_OK);
  assert_int_equal(tp_convert_elements_ref(dst, d2, src, s, 4), TP_OK);
  for (i = 0; i < 4; i++) {
    assert_int_equal(get_code(dst, d1, i), get_code(dst, d1, 0));
    assert_int_equal(get_code(dst, d2, i), get_code(dst, d1, 0));
  }
  return get_code(dst, d1, 0);
}

static uint64_t from_f64(tp_type dst, double v) {
  return cv(dst, TP_TYPE_F64, bits_of(v));
}

typedef struct {
  tp_type dst;
  double v;
  uint64_t want;
} corner;

static void run_corners(const corner *c, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    uint64_t got = from_f64(c[i].dst, c[i].v);
    if (got != c[i].want)
      fail_msg("%s(%.17g) = %#llx, want %#llx", tp_type_name(c[i].dst),
               c[i].v, (unsigned long long)got,
               (unsigned long long)c[i].want);
  }
}

#define P2(e) ldexp(1.0, (e))

/* ---- float targets ----------------------------------------------------- */

static void test_f16_corners(void **state) {
  (void)state;
  const corner c[] = {
      {TP_TYPE_F16, 1.0, 0x3C00},
      {TP_TYPE_F16, 1 + P2(-11), 0x3C00},            /* tie, down to even */
      {TP_TYPE_F16, 1 + 3 * P2(-11), 0x3C02},        /* tie, up to even */
      {TP_TYPE_F16, 1 + P2(-11) + P2(-40), 0x3C01},  /* once, not via f32 */
      {TP_TYPE_F16, 65504, 0x7BFF},                  /* largest finite */
      {TP_TYPE_F16, 65520 - P2(-30), 0x7BFF},
      {TP_TYPE_F16, 65520, 0x7C00},                  /* tie -> inf */
      {TP_TYPE_F16, -1e300, 0xFC00},
      {TP_TYPE_F16, P2(-24), 0x0001},                /* smallest subnormal */
      {TP_TYPE_F16, P2(-25), 0x0000},                /* tie -> 0 */
      {TP_TYPE_F16, P2(-25) * (1 + P2(-52)), 0x0001},
      {TP_TYPE_F16, 3 * P2(-25), 0x0002},            /* tie -> even */
      {TP_TYPE_F16, P2(-14) - P2(-25), 0x0400},      /* carry into normal */
      {TP_TYPE_F16, -0.0, 0x8000},
      {TP_TYPE_F16, -P2(-26), 0x8000},               /* underflow keeps sign */
      {TP_TYPE_F16, INFINITY, 0x7C00},
      {TP_TYPE_F16, -INFINITY, 0xFC00},
  };
  run_corners(c, TP_ARRAY_LEN(c));
  /* numpy's NaN: payload's top bits kept, not quieted, never 0 */
  assert_int_equal(cv(TP_TYPE_F16, TP_TYPE_F64, 0x7FF0000000000001ull),
                   0x7C01);
  assert_int_equal(cv(TP_TYPE_F16, TP_TYPE_F64, 0x7FF4000000000000ull),
                   0x7D00);
  assert_int_equal(cv(TP_TYPE_F16, TP_TYPE_F64, 0xFFF8000000000001ull),
                   0xFE00);
  assert_int_equal(cv(TP_TYPE_F16, TP_TYPE_F32, 0xFF812345), 0xFC09);
  assert_int_equal(cv(TP_TYPE_F16, TP_TYPE_F32, 0x7FFFFFFF), 0x7FFF);
  /* torch / ml_dtypes for bf16 and f8 sources: canonical with sign */
  assert_int_equal(cv(TP_TYPE_F16, TP_TYPE_BF16, 0xFF81), 0xFE00);
  assert_int_equal(cv(TP_TYPE_F16, TP_TYPE_F8_E5M2, 0x7D), 0x7E00);
  assert_int_equal(cv(TP_TYPE_F16, TP_TYPE_F8_E4M3FNUZ, 0x80), 0xFE00);
}

static void test_bf16_corners(void **state) {
  (void)state;
  const corner c[] = {
      {TP_TYPE_BF16, 1 + P2(-8), 0x3F80},              /* tie down */
      {TP_TYPE_BF16, 1 + 3 * P2(-8), 0x3F82},          /* tie up */
      {TP_TYPE_BF16, 1 + P2(-8) + P2(-30), 0x3F81},    /* once (torch: 3F80) */
      {TP_TYPE_BF16, 0x1.FEp127, 0x7F7F},              /* largest finite */
      {TP_TYPE_BF16, 0x1.FFp127, 0x7F80},              /* tie -> inf */
      {TP_TYPE_BF16, 0x1.FEFFFFFFFFFFFp127, 0x7F7F},
      {TP_TYPE_BF16, P2(-133), 0x0001},                /* smallest subnormal */
      {TP_TYPE_BF16, P2(-134), 0x0000},
      {TP_TYPE_BF16, P2(-134) * (1 + P2(-40)), 0x0001},
      {TP_TYPE_BF16, -0.0, 0x8000},
      {TP_TYPE_BF16, -INFINITY, 0xFF80},
  };
  run_corners(c, TP_ARRAY_LEN(c));
  /* torch's c10 NaN: one positive quiet NaN for every input NaN */
  assert_int_equal(cv(TP_TYPE_BF16, TP_TYPE_F32, 0xFFC00001), 0x7FC0);
  assert_int_equal(cv(TP_TYPE_BF16, TP_TYPE_F32, 0x7F800001), 0x7FC0);
  assert_int_equal(cv(TP_TYPE_BF16, TP_TYPE_F16, 0xFD23), 0x7FC0);
  assert_int_equal(cv(TP_TYPE_BF16, TP_TYPE_F8_E4M3, 0xFF), 0x7FC0);
  /* f32 -> bf16 corners on the binary32 bits */
  assert_int_equal(cv(TP_TYPE_BF16, TP_TYPE_F32, 0x7F7F7FFF), 0x7F7F);
  assert_int_equal(cv(TP_TYPE_BF16, TP_TYPE_F32, 0x7F7F8000), 0x7F80);
  assert_int_equal(cv(TP_TYPE_BF16, TP_TYPE_F32, 0x3F808000), 0x3F80);
  assert_int_equal(cv(TP_TYPE_BF16, TP_TYPE_F32, 0x3F818000), 0x3F82);
  assert_int_equal(cv(TP_TYPE_BF16, TP_TYPE_F32, 0x00008000), 0x0000);
  assert_int_equal(cv(TP_TYPE_BF16, TP_TYPE_F32, 0x00008001), 0x0001);
}

static void test_f32_f64_corners(void **state) {
  (void)state;
  const corner c[] = {
      {TP_TYPE_F32, 1 + P2(-24), 0x3F800000},
      {TP_TYPE_F32, 1 + 3 * P2(-24), 0x3F800002},
      {TP_TYPE_F32, 0x1.FFFFFEp127, 0x7F7FFFFF},
      {TP_TYPE_F32, 0x1.FFFFFEFFFFFFFp127, 0x7F7FFFFF},
      {TP_TYPE_F32, 0x1.FFFFFFp127, 0x7F800000},
      {TP_TYPE_F32, P2(-149), 0x00000001},
      {TP_TYPE_F32, P2(-150), 0x00000000},
      {TP_TYPE_F32, P2(-150) * (1 + P2(-52)), 0x00000001},
      {TP_TYPE_F32, -P2(-1074), 0x80000000},
      {TP_TYPE_F32, -0.0, 0x80000000},
  };
  run_corners(c, TP_ARRAY_LEN(c));
  /* f64 -> f32: the FPU's NaN (quieted, payload truncated) */
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_F64, 0x7FF0000020000000ull),
                   0x7FC00001);
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_F64, 0xFFF0000000000001ull),
                   0xFFC00000);
  /* f16 -> f32/f64: numpy's software widening keeps signalling NaNs */
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_F16, 0x7C01), 0x7F802000);
  assert_int_equal(cv(TP_TYPE_F64, TP_TYPE_F16, 0xFD23),
                   0xFFF48C0000000000ull);
  /* f32 and bf16 -> f64 through the FPU: quieted */
  assert_int_equal(cv(TP_TYPE_F64, TP_TYPE_F32, 0x7F800001),
                   0x7FF8000020000000ull);
  assert_int_equal(cv(TP_TYPE_F64, TP_TYPE_BF16, 0x7F81),
                   0x7FF8200000000000ull);
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_BF16, 0x7F81), 0x7F810000);
  /* ml_dtypes: small-type NaNs widen to the canonical NaN with the sign */
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_F8_E5M2, 0xFD), 0xFFC00000);
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_F8_E4M3FNUZ, 0x80), 0xFFC00000);
  assert_int_equal(cv(TP_TYPE_F64, TP_TYPE_F8_E8M0, 0xFF),
                   0x7FF8000000000000ull);
  /* subnormal inputs widen exactly */
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_F16, 0x0001), 0x33800000);
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_F16, 0x83FF), 0xB87FC000);
  assert_int_equal(cv(TP_TYPE_F64, TP_TYPE_F32, 0x00000001),
                   0x36A0000000000000ull);
}

static void test_f8_corners(void **state) {
  (void)state;
  const corner c[] = {
      /* float8_e4m3fn: no inf; overflow, inf and NaN give S.1111.111 */
      {TP_TYPE_F8_E4M3, 1 + P2(-4), 0x38},
      {TP_TYPE_F8_E4M3, 1 + 3 * P2(-4), 0x3A},
      {TP_TYPE_F8_E4M3, 1 + P2(-4) + P2(-40), 0x39}, /* ml_dtypes: 0x38 */
      {TP_TYPE_F8_E4M3, 448, 0x7E},
      {TP_TYPE_F8_E4M3, 464, 0x7E},           /* tie, 448 is even */
      {TP_TYPE_F8_E4M3, 464 + P2(-20), 0x7F}, /* rounds to 480: NaN */
      {TP_TYPE_F8_E4M3, -1e10, 0xFF},
      {TP_TYPE_F8_E4M3, INFINITY, 0x7F},
      {TP_TYPE_F8_E4M3, -INFINITY, 0xFF},
      {TP_TYPE_F8_E4M3, P2(-9), 0x01},
      {TP_TYPE_F8_E4M3, P2(-10), 0x00},
      {TP_TYPE_F8_E4M3, P2(-10) + P2(-30), 0x01},
      {TP_TYPE_F8_E4M3, 3 * P2(-10), 0x02},
      {TP_TYPE_F8_E4M3, -0.0, 0x80},
      {TP_TYPE_F8_E4M3, -P2(-11), 0x80},
      /* float8_e5m2: IEEE-like */
      {TP_TYPE_F8_E5M2, 57344, 0x7B},
      {TP_TYPE_F8_E5M2, 61440 - 1, 0x7B},
      {TP_TYPE_F8_E5M2, 61440, 0x7C}, /* tie -> inf */
      {TP_TYPE_F8_E5M2, -INFINITY, 0xFC},
      {TP_TYPE_F8_E5M2, 1.125, 0x3C},
      {TP_TYPE_F8_E5M2, 1.375, 0x3E},
      {TP_TYPE_F8_E5M2, P2(-16), 0x01},
      {TP_TYPE_F8_E5M2, P2(-17), 0x00},
      {TP_TYPE_F8_E5M2, -0.0, 0x80},
      /* fnuz: 0x80 is NaN and the result of inf and overflow; no -0 */
      {TP_TYPE_F8_E4M3FNUZ, 240, 0x7F},
      {TP_TYPE_F8_E4M3FNUZ, 248 - P2(-20), 0x7F},
      {TP_TYPE_F8_E4M3FNUZ, 248, 0x80}, /* tie, 240 is odd: 256 */
      {TP_TYPE_F8_E4M3FNUZ, -INFINITY, 0x80},
      {TP_TYPE_F8_E4M3FNUZ, -0.0, 0x00},
      {TP_TYPE_F8_E4M3FNUZ, -P2(-12), 0x00},
      {TP_TYPE_F8_E4M3FNUZ, -P2(-10), 0x81},
      {TP_TYPE_F8_E4M3FNUZ, 1.0, 0x40},
      {TP_TYPE_F8_E5M2FNUZ, 57344, 0x7F},
      {TP_TYPE_F8_E5M2FNUZ, 61440, 0x80},
      {TP_TYPE_F8_E5M2FNUZ, P2(-17), 0x01},
      {TP_TYPE_F8_E5M2FNUZ, P2(-18), 0x00},
      {TP_TYPE_F8_E5M2FNUZ, -0.0, 0x00},
      {TP_TYPE_F8_E5M2FNUZ, 1.0, 0x40},
  };
  run_corners(c, TP_ARRAY_LEN(c));
  assert_int_equal(cv(TP_TYPE_F8_E4M3, TP_TYPE_F32, 0xFFC00000), 0xFF);
  assert_int_equal(cv(TP_TYPE_F8_E4M3, TP_TYPE_F32, 0x7F800001), 0x7F);
  assert_int_equal(cv(TP_TYPE_F8_E5M2, TP_TYPE_F16, 0xFC01), 0xFE);
  assert_int_equal(cv(TP_TYPE_F8_E5M2, TP_TYPE_F64, 0x7FF4000000000000ull),
                   0x7E);
  assert_int_equal(cv(TP_TYPE_F8_E4M3FNUZ, TP_TYPE_F32, 0x7FC00000), 0x80);
  assert_int_equal(cv(TP_TYPE_F8_E5M2FNUZ, TP_TYPE_F8_E4M3, 0x7F), 0x80);
}

static void test_e8m0_corners(void **state) {
  (void)state;
  const corner c[] = {
      {TP_TYPE_F8_E8M0, 1.0, 0x7F},
      {TP_TYPE_F8_E8M0, 1.5 - P2(-30), 0x7F},
      {TP_TYPE_F8_E8M0, 1.5, 0x80}, /* ties round up ... */
      {TP_TYPE_F8_E8M0, 3.0, 0x81}, /* ... also to an odd code */
      {TP_TYPE_F8_E8M0, 0.75, 0x7F},
      {TP_TYPE_F8_E8M0, P2(127), 0xFE},
      {TP_TYPE_F8_E8M0, 1.5 * P2(127) - P2(90), 0xFE},
      {TP_TYPE_F8_E8M0, 1.5 * P2(127), 0xFF}, /* overflow: NaN */
      {TP_TYPE_F8_E8M0, P2(-126), 0x01},
      {TP_TYPE_F8_E8M0, P2(-127), 0x00},
      /* below 2^-126 the same rule by value (ml_dtypes 0.7) */
      {TP_TYPE_F8_E8M0, 1.2 * P2(-127), 0x00},
      {TP_TYPE_F8_E8M0, 1.5 * P2(-127) - P2(-170), 0x00},
      {TP_TYPE_F8_E8M0, 1.5 * P2(-127), 0x01}, /* the tie rounds up */
      {TP_TYPE_F8_E8M0, 1.7 * P2(-127), 0x01},
      {TP_TYPE_F8_E8M0, P2(-127) - P2(-180), 0x00},
      {TP_TYPE_F8_E8M0, P2(-130), 0x00},
      {TP_TYPE_F8_E8M0, 1e-300, 0x00},
      {TP_TYPE_F8_E8M0, 0.0, 0xFF}, /* no zero */
      {TP_TYPE_F8_E8M0, -0.0, 0xFF},
      {TP_TYPE_F8_E8M0, -1.0, 0xFF}, /* no sign */
      {TP_TYPE_F8_E8M0, INFINITY, 0xFF},
      {TP_TYPE_F8_E8M0, NAN, 0xFF},
  };
  run_corners(c, TP_ARRAY_LEN(c));
  /* binary32 subnormals (the direct loop): 0x600000 is 1.5 * 2^-127 */
  assert_int_equal(cv(TP_TYPE_F8_E8M0, TP_TYPE_F32, 0x00000001), 0x00);
  assert_int_equal(cv(TP_TYPE_F8_E8M0, TP_TYPE_F32, 0x00400001), 0x00);
  assert_int_equal(cv(TP_TYPE_F8_E8M0, TP_TYPE_F32, 0x005FFFFF), 0x00);
  assert_int_equal(cv(TP_TYPE_F8_E8M0, TP_TYPE_F32, 0x00600000), 0x01);
  assert_int_equal(cv(TP_TYPE_F8_E8M0, TP_TYPE_F32, 0x007FFFFF), 0x01);
  assert_int_equal(cv(TP_TYPE_F8_E8M0, TP_TYPE_BF16, 0x005F), 0x00);
  assert_int_equal(cv(TP_TYPE_F8_E8M0, TP_TYPE_BF16, 0x0060), 0x01);
  /* decoding: code 0 is 2^-127, 0xFF is NaN */
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_F8_E8M0, 0x00), 0x00400000);
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_F8_E8M0, 0xFE), 0x7F000000);
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_F8_E8M0, 0xFF), 0x7FC00000);
  assert_int_equal(cv(TP_TYPE_I32, TP_TYPE_F8_E8M0, 0x85), 64);
}

static void test_f4_f6_corners(void **state) {
  (void)state;
  const corner c[] = {
      /* float4_e2m1fn: no inf, no NaN; saturates */
      {TP_TYPE_F4, 0.25, 0x0},  /* tie -> 0 */
      {TP_TYPE_F4, 0.25 + P2(-30), 0x1},
      {TP_TYPE_F4, 0.75, 0x2},  /* tie -> 1.0 */
      {TP_TYPE_F4, 5.0, 0x6},   /* tie -> 4 */
      {TP_TYPE_F4, 6.0, 0x7},
      {TP_TYPE_F4, 7.0, 0x7},   /* rounds to 8: saturates */
      {TP_TYPE_F4, 1e300, 0x7},
      {TP_TYPE_F4, -INFINITY, 0xF},
      {TP_TYPE_F4, -0.0, 0x8},
      {TP_TYPE_F4, -0.2, 0x8},
      {TP_TYPE_F4, NAN, 0x8},   /* ml_dtypes: +NaN -> -0 */
      {TP_TYPE_F4, -NAN, 0x0},  /* ... and -NaN -> +0 */
      {TP_TYPE_F6_E2M3, 7.5, 0x1F},
      {TP_TYPE_F6_E2M3, 7.75, 0x1F},
      {TP_TYPE_F6_E2M3, INFINITY, 0x1F},
      {TP_TYPE_F6_E2M3, 0.125, 0x01},
      {TP_TYPE_F6_E2M3, 0.0625, 0x00},
      {TP_TYPE_F6_E2M3, 0.0625 + P2(-40), 0x01},
      {TP_TYPE_F6_E2M3, 1.0625, 0x08},
      {TP_TYPE_F6_E2M3, NAN, 0x20},
      {TP_TYPE_F6_E2M3, -1.0, 0x28},
      {TP_TYPE_F6_E3M2, 28, 0x1F},
      {TP_TYPE_F6_E3M2, 30, 0x1F},
      {TP_TYPE_F6_E3M2, -1e9, 0x3F},
      {TP_TYPE_F6_E3M2, 0.0625, 0x01},
      {TP_TYPE_F6_E3M2, 0.03125, 0x00},
      {TP_TYPE_F6_E3M2, 0.09375, 0x02},
      {TP_TYPE_F6_E3M2, -NAN, 0x00},
  };
  run_corners(c, TP_ARRAY_LEN(c));
}

/* ---- integers, bool, complex ---------------------------------------------- */

static void test_float_to_int(void **state) {
  (void)state;
  const corner c[] = {
      {TP_TYPE_I8, 127.9, 127},
      {TP_TYPE_I8, -128.9, 0x80},
      {TP_TYPE_I8, 128, 127},
      {TP_TYPE_I8, -129, 0x80},
      {TP_TYPE_I8, -0.9, 0},
      {TP_TYPE_I8, NAN, 0},
      {TP_TYPE_I8, INFINITY, 127},
      {TP_TYPE_I8, -INFINITY, 0x80},
      {TP_TYPE_U8, -1, 0},
      {TP_TYPE_U8, 255.9, 255},
      {TP_TYPE_U8, 256, 255},
      {TP_TYPE_I16, -32768.5, 0x8000},
      {TP_TYPE_U16, 65535.5, 0xFFFF},
      {TP_TYPE_I32, 2147483647.9, 0x7FFFFFFF},
      {TP_TYPE_I32, -2147483648.9, 0x80000000},
      {TP_TYPE_I32, 3e9, 0x7FFFFFFF},
      {TP_TYPE_U32, 4294967295.9, 0xFFFFFFFF},
      {TP_TYPE_I64, P2(63), 0x7FFFFFFFFFFFFFFFull},
      {TP_TYPE_I64, P2(63) - 1024, 0x7FFFFFFFFFFFFC00ull},
      {TP_TYPE_I64, -P2(63), 0x8000000000000000ull},
      {TP_TYPE_I64, -P2(63) - 2048, 0x8000000000000000ull},
      {TP_TYPE_I64, -1e300, 0x8000000000000000ull},
      {TP_TYPE_U64, P2(64), 0xFFFFFFFFFFFFFFFFull},
      {TP_TYPE_U64, P2(64) - 2048, 0xFFFFFFFFFFFFF800ull},
      {TP_TYPE_U64, NAN, 0},
      {TP_TYPE_BOOL, NAN, 1},
      {TP_TYPE_BOOL, -0.0, 0},
      {TP_TYPE_BOOL, P2(-1074), 1},
      {TP_TYPE_BOOL, -INFINITY, 1},
  };
  run_corners(c, TP_ARRAY_LEN(c));
  assert_int_equal(cv(TP_TYPE_I16, TP_TYPE_F16, 0x7BFF), 0x7FFF); /* 65504 */
  assert_int_equal(cv(TP_TYPE_I32, TP_TYPE_F16, 0xFBFF), 0xFFFF0020);
  assert_int_equal(cv(TP_TYPE_U8, TP_TYPE_BF16, 0x7FC0), 0);
}

static void test_int_to_float(void **state) {
  (void)state;
  /* single rounding from the exact integer, ties to even */
  assert_int_equal(cv(TP_TYPE_F64, TP_TYPE_I64, (1ull << 53) + 1),
                   bits_of(P2(53)));
  assert_int_equal(cv(TP_TYPE_F64, TP_TYPE_I64, (1ull << 53) + 3),
                   bits_of(P2(53) + 4));
  assert_int_equal(cv(TP_TYPE_F64, TP_TYPE_I64, 0x8000000000000000ull),
                   bits_of(-P2(63)));
  assert_int_equal(cv(TP_TYPE_F64, TP_TYPE_U64, UINT64_MAX), bits_of(P2(64)));
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_U64, UINT64_MAX), 0x5F800000);
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_I32, 0x7FFFFFFF), 0x4F000000);
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_I32, (1u << 24) + 1), 0x4B800000);
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_I32, (1u << 24) + 3), 0x4B800002);
  assert_int_equal(cv(TP_TYPE_F16, TP_TYPE_I32, 2049), 0x6800);
  assert_int_equal(cv(TP_TYPE_F16, TP_TYPE_I32, 2051), 0x6802);
  assert_int_equal(cv(TP_TYPE_F16, TP_TYPE_U16, 65519), 0x7BFF);
  assert_int_equal(cv(TP_TYPE_F16, TP_TYPE_U16, 65520), 0x7C00);
  assert_int_equal(cv(TP_TYPE_F16, TP_TYPE_I16, 0x8000), 0xF800); /* -32768 */
  /* 2^24 + 3*2^16 - 1 just below a bf16 tie: once -> 0x4B81; torch and
   * ml_dtypes round through f32 to the tie, then up to 0x4B82 */
  assert_int_equal(cv(TP_TYPE_BF16, TP_TYPE_I32, (1u << 24) + 3 * 65536 - 1),
                   0x4B81);
  assert_int_equal(cv(TP_TYPE_F8_E4M3, TP_TYPE_I8, 0x80), 0xF0); /* -128 */
  assert_int_equal(cv(TP_TYPE_F8_E4M3, TP_TYPE_U16, 1000), 0x7F);
  assert_int_equal(cv(TP_TYPE_F8_E8M0, TP_TYPE_I32, 0), 0xFF);
  assert_int_equal(cv(TP_TYPE_F8_E8M0, TP_TYPE_I32, 0xFFFFFFFF), 0xFF);
  /* 1.5 * 2^62 ties up; one below it rounds down (ml_dtypes goes through
   * f32, where it becomes the tie) */
  assert_int_equal(cv(TP_TYPE_F8_E8M0, TP_TYPE_U64, 3ull << 61), 0xBE);
  assert_int_equal(cv(TP_TYPE_F8_E8M0, TP_TYPE_U64, (3ull << 61) - 1),
                   0xBD);
  assert_int_equal(cv(TP_TYPE_F4, TP_TYPE_I64, (uint64_t)-7), 0xF);
}

static void test_int_to_int_and_bool(void **state) {
  (void)state;
  /* wrap-around, as numpy's astype and C */
  assert_int_equal(cv(TP_TYPE_I8, TP_TYPE_I32, 300), 44);
  assert_int_equal(cv(TP_TYPE_I8, TP_TYPE_I32, (uint64_t)-129), 127);
  assert_int_equal(cv(TP_TYPE_U8, TP_TYPE_I8, 0xFF), 0xFF);
  assert_int_equal(cv(TP_TYPE_I64, TP_TYPE_I8, 0x80), 0xFFFFFFFFFFFFFF80ull);
  assert_int_equal(cv(TP_TYPE_I64, TP_TYPE_U8, 0x80), 0x80);
  assert_int_equal(cv(TP_TYPE_I64, TP_TYPE_U64, UINT64_MAX), UINT64_MAX);
  assert_int_equal(cv(TP_TYPE_U32, TP_TYPE_I64, 0x123456789ull), 0x23456789);
  assert_int_equal(cv(TP_TYPE_U16, TP_TYPE_I16, 0x8000), 0x8000);
  /* bool: any non-zero byte is true */
  assert_int_equal(cv(TP_TYPE_BOOL, TP_TYPE_I64, 1ull << 40), 1);
  assert_int_equal(cv(TP_TYPE_BOOL, TP_TYPE_U8, 0), 0);
  assert_int_equal(cv(TP_TYPE_I32, TP_TYPE_BOOL, 2), 1);
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_BOOL, 0x80), 0x3F800000);
  assert_int_equal(cv(TP_TYPE_F32, TP_TYPE_BOOL, 0), 0);
  assert_int_equal(cv(TP_TYPE_F4, TP_TYPE_BOOL, 1), 0x2);
}

static void test_complex(void **state) {
  uint8_t src[16], dst[32];
  float f[2] = {-1.5f, 3.0f};
  float out[8];
  (void)state;
  memcpy(src, f, 8);
  assert_int_equal(tp_convert_elements(TP_TYPE_C64, dst, TP_TYPE_F32, src, 2),
                   TP_OK);
  memcpy(out, dst, 16);
  assert_true(out[0] == -1.5f && out[2] == 3.0f);
  assert_int_equal(tp_f32_bits(out[1]), 0);
  assert_int_equal(tp_f32_bits(out[3]), 0);
  assert_int_equal(cv(TP_TYPE_C64, TP_TYPE_F16, 0xFC01),
                   0x00000000FF802000ull);
  assert_int_equal(cv(TP_TYPE_C64, TP_TYPE_I32, 7), 0x40E00000);
  memset(src, 0x11, sizeof src);
  assert_int_equal(tp_convert_elements(TP_TYPE_C64, dst, TP_TYPE_C64, src, 2),
                   TP_OK);
  assert_memory_equal(dst, src, 16);
  tp_clear_error();
  assert_int_equal(tp_convert_elements(TP_TYPE_F32, dst, TP_TYPE_C64, src, 2),
                   TP_EUNSUPPORTED);
  assert_non_null(strstr(tp_last_error(), "imaginary"));
}

/* ---- packing and round trips -------------------------------------------- */

static void test_packing(void **state) {
  uint8_t b[3];
  const float f4in[4] = {0.5f, 6.0f, -1.0f, 0.0f};
  const float f6in[4] = {0.125f, 7.5f, -1.0f, 1.0f};
  uint32_t w;
  (void)state;
  /* F4: element 2k in the low nibble (torch float4_e2m1fn_x2, ONNX, MLX) */
  assert_int_equal(tp_convert_elements(TP_TYPE_F4, b, TP_TYPE_F32, f4in, 4),
                   TP_OK);
  assert_int_equal(b[0], 0x71);
  assert_int_equal(b[1], 0x0A);
  /* F6: little-endian bit stream, element 0 in the lowest bits (ONNX) */
  assert_int_equal(
      tp_convert_elements(TP_TYPE_F6_E2M3, b, TP_TYPE_F32, f6in, 4), TP_OK);
  w = 0x01u | (0x1Fu << 6) | (0x28u << 12) | (0x08u << 18);
  assert_int_equal(b[0], w & 0xFF);
  assert_int_equal(b[1], (w >> 8) & 0xFF);
  assert_int_equal(b[2], w >> 16);
}

/* Every code of every small type survives a trip through each wide float
 * type that holds its range, packed and all. NaNs come back as the type's
 * canonical NaN, without their sign through bf16 (torch's single NaN). */
static void test_small_round_trips(void **state) {
  static const tp_type smalls[] = {
      TP_TYPE_F8_E4M3,     TP_TYPE_F8_E5M2, TP_TYPE_F8_E8M0,
      TP_TYPE_F8_E4M3FNUZ, TP_TYPE_F8_E5M2FNUZ, TP_TYPE_F4,
      TP_TYPE_F6_E2M3,     TP_TYPE_F6_E3M2};
  static const tp_type wides[] = {TP_TYPE_F16, TP_TYPE_BF16, TP_TYPE_F32,
                                  TP_TYPE_F64};
  uint8_t in[256], back[256], mid[256 * 8];
  size_t a, w, i;
  (void)state;
  for (a = 0; a < TP_ARRAY_LEN(smalls); a++) {
    tp_type t = smalls[a];
    size_t n = (size_t)1 << elem_bits(t);
    memset(in, 0, sizeof in);
    for (i = 0; i < n; i++) put_code(t, in, i, i);
    for (w = 0; w < TP_ARRAY_LEN(wides); w++) {
      if (t == TP_TYPE_F8_E8M0 && wides[w] == TP_TYPE_F16) continue;
      assert_int_equal(tp_convert_elements(wides[w], mid, t, in, n), TP_OK);
      assert_int_equal(tp_convert_elements(t, back, wides[w], mid, n), TP_OK);
      for (i = 0; i < n; i++) {
        uint64_t c = get_code(t, back, i), want = i;
        if (t == TP_TYPE_F8_E5M2 && (i & 0x7F) > 0x7C)
          want = (i & 0x80) | 0x7E; /* canonical quiet NaN, sign kept */
        if (wides[w] == TP_TYPE_BF16 &&
            ((t == TP_TYPE_F8_E5M2 && (i & 0x7F) > 0x7C) ||
             (t == TP_TYPE_F8_E4M3 && (i & 0x7F) == 0x7F)))
          want &= 0x7F;
        if (c != want)
          fail_msg("%s code %#zx via %s -> %#llx", tp_type_name(t), i,
                   tp_type_name(wides[w]), (unsigned long long)c);
      }
    }
  }
}

/* ---- arguments ------------------------------------------------------------ */

static void test_arguments(void **state) {
  uint8_t buf[64];
  float f[8] = {0};
  (void)state;
  memset(buf, 0, sizeof buf);
  assert_int_equal(tp_convert_elements(TP_TYPE_F4, buf, TP_TYPE_F32, f, 3),
                   TP_EINVAL);
  assert_int_equal(tp_last_status(), TP_EINVAL);
  assert_int_equal(tp_convert_elements(TP_TYPE_F32, f, TP_TYPE_F6_E3M2, buf,
                                       2),
                   TP_EINVAL);
  assert_int_equal(tp_convert_elements(TP_TYPE_F6_E3M2, buf, TP_TYPE_F4, buf,
                                       6),
                   TP_EINVAL); /* a multiple of 2 but not of 4 */
  assert_int_equal(tp_convert_elements(TP_TYPE_Q4_0, buf, TP_TYPE_F32, f, 16),
                   TP_EINVAL);
  assert_int_equal(tp_convert_elements(TP_TYPE_COUNT, buf, TP_TYPE_F32, f, 1),
                   TP_EINVAL);
  assert_int_equal(tp_convert_elements((tp_type)-1, buf, TP_TYPE_F32, f, 1),
                   TP_EINVAL);
  assert_int_equal(tp_convert_elements(TP_TYPE_F16, NULL, TP_TYPE_F32, f, 1),
                   TP_EINVAL);
  assert_int_equal(tp_convert_elements(TP_TYPE_F16, NULL, TP_TYPE_F32, NULL,
                                       0),
                   TP_OK);
  /* same type: a plain copy, NaN payloads untouched */
  memset(buf, 0xFF, 16);
  assert_int_equal(tp_convert_elements(TP_TYPE_F32, f, TP_TYPE_F32, buf, 4),
                   TP_OK);
  assert_memory_equal(f, buf, 16);
  assert_int_equal(tp_convert_elements_ref(TP_TYPE_F4, buf, TP_TYPE_F4,
                                           buf + 8, 8),
                   TP_OK);
}

/* ---- fast paths against the reference -------------------------------------- */

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;

static uint64_t rnd64(void) {
  /* splitmix64 */
  uint64_t z = (g_rng += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Every special class of a source format: zeros, smallest and largest
 * subnormals and normals, infinities, quiet and signalling NaNs with several
 * payloads, and both signs of each; plus the rounding boundaries of f16 and
 * bf16 targets for f32 sources. */
static size_t specials_f32(uint32_t *out) {
  static const uint32_t base[] = {
      0x00000000, 0x00000001, 0x00000002, 0x007FFFFF, 0x00800000,
      0x00800001, 0x7F7FFFFF, 0x7F800000, 0x7F800001, 0x7F802000,
      0x7F801FFF, 0x7FA00000, 0x7FBFFFFF, 0x7FC00000, 0x7FC00001,
      0x7FFFFFFF, 0x3F800000, 0x3F808000, 0x3F818000, 0x3F807FFF,
      0x477FE000, 0x477FEFFF, 0x477FF000, 0x477FF001, 0x38800000,
      0x387FFFFF, 0x33000000, 0x33000001, 0x32FFFFFF, 0x33800000,
      0x33C00000, 0x7F7F7FFF, 0x7F7F8000, 0x00008000, 0x00008001,
      0x3F801000, 0x3F803000, 0x3F802FFF};
  size_t n = 0, i;
  for (i = 0; i < TP_ARRAY_LEN(base); i++) {
    out[n++] = base[i];
    out[n++] = base[i] | 0x80000000u;
  }
  /* every f16 value, midpoint and its neighbours, as f32 */
  for (i = 0; i < 0x7C00; i++) {
    uint32_t v = 0;
    assert_int_equal(tp_convert_elements_ref(TP_TYPE_F32, &v, TP_TYPE_F16,
                                             &(uint16_t){(uint16_t)i}, 1),
                     TP_OK);
    out[n++] = v + 0x1000; /* halfway to the next f16 (normal range) */
    out[n++] = v + 0x0FFF;
    out[n++] = v + 0x1001;
  }
  return n;
}

static size_t specials_f64(uint64_t *out) {
  static const uint64_t base[] = {
      0x0000000000000000ull, 0x0000000000000001ull, 0x000FFFFFFFFFFFFFull,
      0x0010000000000000ull, 0x7FEFFFFFFFFFFFFFull, 0x7FF0000000000000ull,
      0x7FF0000000000001ull, 0x7FF0000020000000ull, 0x7FF4000000000000ull,
      0x7FF7FFFFFFFFFFFFull, 0x7FF8000000000000ull, 0x7FF8000000000001ull,
      0x7FFFFFFFFFFFFFFFull, 0x3FF0000000000000ull, 0x3FF0000010000000ull,
      0x3FF0000030000000ull, 0x3FF000000FFFFFFFull, 0x3FF0000010000001ull,
      0x47EFFFFFE0000000ull, 0x47EFFFFFEFFFFFFFull, 0x47EFFFFFF0000000ull,
      0x47EFFFFFF0000001ull, 0x47F0000000000000ull, 0x3810000000000000ull,
      0x380FFFFFFFFFFFFFull, 0x36A0000000000000ull, 0x3690000000000000ull,
      0x3690000000000001ull, 0x368FFFFFFFFFFFFFull, 0x36A8000000000000ull,
      0x36B4000000000000ull, 0x3800000000000000ull, 0x37F0000000000001ull};
  size_t n = 0, i;
  for (i = 0; i < TP_ARRAY_LEN(base); i++) {
    out[n++] = base[i];
    out[n++] = base[i] | 0x8000000000000000ull;
  }
  return n;
}

/* Converts n elements three ways (SIMD allowed, scalar fast loops, reference)
 * from src at a misaligned address and compares the results. */
static void compare_paths(tp_type dst, tp_type src, const void *in,
                          size_t n) {
  uint64_t sbytes, dbytes;
  uint8_t *s, *a, *b, *c;
  unsigned old;
  size_t i;
  assert_true(tp_type_nbytes(src, n, &sbytes));
  assert_true(tp_type_nbytes(dst, n, &dbytes));
  s = malloc(sbytes + 1);
  a = malloc(dbytes + 1);
  b = malloc(dbytes + 1);
  c = malloc(dbytes + 1);
  assert_non_null(s);
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(c);
  memcpy(s + 1, in, sbytes);
  assert_int_equal(tp_convert_elements(dst, a + 1, src, s + 1, n), TP_OK);
  old = tp_cpu_set_mask(0);
  assert_int_equal(tp_convert_elements(dst, b + 1, src, s + 1, n), TP_OK);
  tp_cpu_set_mask(old);
  assert_int_equal(tp_convert_elements_ref(dst, c + 1, src, s + 1, n), TP_OK);
  if (memcmp(a + 1, c + 1, dbytes) || memcmp(b + 1, c + 1, dbytes)) {
    for (i = 0; i < n; i++) {
      uint64_t ya = get_code(dst, a + 1, i), yb = get_code(dst, b + 1, i);
      uint64_t yc = get_code(dst, c + 1, i);
      if (ya != yc || yb != yc)
        fail_msg("%s -> %s: %#llx: fast %#llx scalar %#llx ref %#llx",
                 tp_type_name(src), tp_type_name(dst),
                 (unsigned long long)get_code(src, s + 1, i),
                 (unsigned long long)ya, (unsigned long long)yb,
                 (unsigned long long)yc);
    }
  }
  free(s);
  free(a);
  free(b);
  free(c);
}

/* The F8/F6/F4 targets, reached by direct loops from F32, F16 and BF16. */
static const tp_type g_small[] = {
    TP_TYPE_F8_E4M3,     TP_TYPE_F8_E5M2,     TP_TYPE_F8_E8M0,
    TP_TYPE_F8_E4M3FNUZ, TP_TYPE_F8_E5M2FNUZ, TP_TYPE_F4,
    TP_TYPE_F6_E2M3,     TP_TYPE_F6_E3M2};

static void test_fast_16bit_sources(void **state) {
  uint16_t *all = malloc(65536 * 2 + 14);
  size_t i;
  (void)state;
  assert_non_null(all);
  for (i = 0; i < 65536 + 7; i++) all[i] = (uint16_t)i; /* odd tail */
  compare_paths(TP_TYPE_F32, TP_TYPE_F16, all, 65536 + 7);
  compare_paths(TP_TYPE_BF16, TP_TYPE_F16, all, 65536 + 7);
  compare_paths(TP_TYPE_F32, TP_TYPE_BF16, all, 65536 + 7);
  compare_paths(TP_TYPE_F16, TP_TYPE_BF16, all, 65536 + 7);
  for (i = 0; i < TP_ARRAY_LEN(g_small); i++) {
    compare_paths(g_small[i], TP_TYPE_F16, all, 65536);
    compare_paths(g_small[i], TP_TYPE_BF16, all, 65536);
  }
  free(all);
}

static void test_fast_f32_sources(void **state) {
  const size_t nrand = 1u << 20;
  uint32_t *v = malloc((nrand + 240000) * 4);
  size_t n, i, k;
  (void)state;
  assert_non_null(v);
  n = specials_f32(v);
  for (i = 0; i < nrand; i++) v[n++] = (uint32_t)rnd64();
  /* random payloads of NaNs, and random subnormals */
  for (i = 0; i < 4096; i++) {
    v[n++] = 0x7F800001u | ((uint32_t)rnd64() & 0x807FFFFF);
    v[n++] = (uint32_t)rnd64() & 0x807FFFFF;
  }
  /* every bf16 tie and its neighbours */
  for (i = 0; i < 0x7F80; i++) {
    uint32_t b = (uint32_t)i << 16;
    v[n++] = b + 0x8000;
    v[n++] = b + 0x7FFF;
    v[n++] = b + 0x8001;
  }
  /* every value of each small type, the tie to the next one and the
   * neighbours of that tie */
  for (k = 0; k < TP_ARRAY_LEN(g_small); k++) {
    size_t ncodes = (size_t)1 << elem_bits(g_small[k]);
    for (i = 0; i + 1 < ncodes; i++) {
      uint32_t lo = (uint32_t)cv(TP_TYPE_F32, g_small[k], i);
      uint32_t hi = (uint32_t)cv(TP_TYPE_F32, g_small[k], i + 1);
      float mid = (tp_bits_f32(lo) + tp_bits_f32(hi)) / 2; /* exact */
      uint32_t m = tp_f32_bits(mid);
      v[n++] = lo;
      v[n++] = m;
      v[n++] = m + 1;
      v[n++] = m - 1;
    }
  }
  n &= ~(size_t)3;
  compare_paths(TP_TYPE_F16, TP_TYPE_F32, v, n + 1); /* odd: scalar tail */
  compare_paths(TP_TYPE_BF16, TP_TYPE_F32, v, n + 1);
  for (i = 0; i < TP_ARRAY_LEN(g_small); i++)
    compare_paths(g_small[i], TP_TYPE_F32, v, n);
  free(v);
}

static void test_fast_f64_source(void **state) {
  const size_t nrand = 1u << 19;
  uint64_t *v = malloc((nrand + 20000) * 8);
  size_t n, i;
  (void)state;
  assert_non_null(v);
  n = specials_f64(v);
  for (i = 0; i < nrand; i++) v[n++] = rnd64();
  /* values in the binary32 range, around subnormals and NaN payloads */
  for (i = 0; i < 4096; i++) {
    uint64_t r = rnd64();
    v[n++] = (r & 0x800FFFFFFFFFFFFFull) | ((0x368ull + (r >> 60)) << 52);
    v[n++] = (r & 0x800FFFFFFFFFFFFFull) | ((0x380ull + (r >> 59)) << 52);
    v[n++] = r | 0x7FF0000000000001ull;
  }
  n -= 3; /* not a multiple of the vector width */
  compare_paths(TP_TYPE_F32, TP_TYPE_F64, v, n);
  free(v);
}

/* Sources of at most 8 bits go through a table filled by the reference path:
 * every code of each, repeated past the table threshold, to every plain
 * type. */
static void test_small_sources_all_targets(void **state) {
  static const tp_type srcs[] = {
      TP_TYPE_F8_E4M3,     TP_TYPE_F8_E5M2, TP_TYPE_F8_E8M0,
      TP_TYPE_F8_E4M3FNUZ, TP_TYPE_F8_E5M2FNUZ, TP_TYPE_F4,
      TP_TYPE_F6_E2M3,     TP_TYPE_F6_E3M2, TP_TYPE_I8,
      TP_TYPE_U8,          TP_TYPE_BOOL};
  const size_t n = 2048 + 4;
  uint8_t buf[2048 + 4];
  size_t a, i;
  int t;
  (void)state;
  for (a = 0; a < TP_ARRAY_LEN(srcs); a++) {
    memset(buf, 0, sizeof buf);
    for (i = 0; i < n; i++)
      put_code(srcs[a], buf, i, (i * 7) & ((1u << elem_bits(srcs[a])) - 1));
    for (t = 0; t <= TP_TYPE_F6_E3M2; t++)
      if ((tp_type)t != srcs[a]) compare_paths((tp_type)t, srcs[a], buf, n);
  }
}

static void test_features(void **state) {
  unsigned old;
  (void)state;
  assert_non_null(strstr(tp_build_features(), "simd="));
#if defined(__x86_64__)
  if ((tp_cpu_features() & (TP_CPU_AVX2 | TP_CPU_F16C)) ==
      (TP_CPU_AVX2 | TP_CPU_F16C))
    assert_non_null(strstr(tp_build_features(), "simd=avx2+f16c"));
#elif defined(__aarch64__)
  assert_true(tp_cpu_features() & TP_CPU_NEON);
  assert_non_null(strstr(tp_build_features(), "simd=neon"));
#endif
  old = tp_cpu_set_mask(0);
  assert_int_equal(tp_cpu_features(), 0);
  assert_non_null(strstr(tp_build_features(), "simd=none"));
  assert_int_equal(tp_cpu_set_mask(old), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_f16_corners),
      cmocka_unit_test(test_bf16_corners),
      cmocka_unit_test(test_f32_f64_corners),
      cmocka_unit_test(test_f8_corners),
      cmocka_unit_test(test_e8m0_corners),
      cmocka_unit_test(test_f4_f6_corners),
      cmocka_unit_test(test_float_to_int),
      cmocka_unit_test(test_int_to_float),
      cmocka_unit_test(test_int_to_int_and_bool),
      cmocka_unit_test(test_complex),
      cmocka_unit_test(test_packing),
      cmocka_unit_test(test_small_round_trips),
      cmocka_unit_test(test_arguments),
      cmocka_unit_test(test_fast_16bit_sources),
      cmocka_unit_test(test_fast_f32_sources),
      cmocka_unit_test(test_fast_f64_source),
      cmocka_unit_test(test_small_sources_all_targets),
      cmocka_unit_test(test_features),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
