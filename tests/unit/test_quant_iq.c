/*
 * test_quant_iq.c - unit tests of the IQ, TQ, FP4, Q1_0 and Q2_0 block
 * codecs (q_iq.c, q_tq.c, q_fp4.c) and their generated tables.
 *
 * Every dequantizer gets a block built byte by byte whose floats were worked
 * out by hand from the format description (ggml-types.md §2, §8 and
 * llama.cpp's block layouts); the quantizers get the edge cases where a
 * plausible re-implementation goes wrong: all-zero blocks, ties at .5,
 * power-of-two maxima and MXFP4's log2f rounding. Bit-for-bit agreement with
 * llama.cpp on random data is checked by tests/interop/test_quant_iq.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "quant/iq_tables.h"
#include "quant/q_iq.h"
#include "quant/quant.h"

/* ---- helpers ------------------------------------------------------------ */

/* Dequantizes one or more blocks through the public dispatch and compares
 * with expected bit for bit (so -0.0 vs +0.0 and NaN payloads count). */
static void check_dequant(tp_type t, const uint8_t *blk, const float *want,
                          size_t n) {
  float got[512];
  size_t i;
  assert_true(n <= 512);
  assert_int_equal(tp_dequantize_ref(t, blk, got, n), TP_OK);
  for (i = 0; i < n; i++) {
    if (tp_f32_bits(got[i]) != tp_f32_bits(want[i])) {
      print_error("%s element %zu: got %a (0x%08x), want %a (0x%08x)\n",
                  tp_type_name(t), i, (double)got[i], tp_f32_bits(got[i]),
                  (double)want[i], tp_f32_bits(want[i]));
      fail();
    }
  }
  /* the dispatching entry point must agree with the reference */
  assert_int_equal(tp_dequantize(t, blk, got, n), TP_OK);
  assert_memory_equal(got, want, n * sizeof(float));
}

static void fill(float *y, size_t n, float v) {
  size_t i;
  for (i = 0; i < n; i++) y[i] = v;
}

static void set8(float *y, float a, float b, float c, float d, float e,
                 float f, float g, float h) {
  y[0] = a; y[1] = b; y[2] = c; y[3] = d;
  y[4] = e; y[5] = f; y[6] = g; y[7] = h;
}

/* binary16 bit patterns used as scales */
#define H_0_25 0x3400
#define H_0_5 0x3800
#define H_1 0x3C00
#define H_1_5 0x3E00
#define H_2 0x4000

/* ---- tables ------------------------------------------------------------- */

static void test_tables(void **state) {
  int i, j;
  (void)state;
  /* ksigns: low 7 bits are the index, bit 7 makes the count of set bits
   * (negative signs) even */
  for (i = 0; i < 128; i++) {
    assert_int_equal(tp_ksigns_iq2xs[i] & 127, i);
    assert_int_equal(__builtin_popcount(tp_ksigns_iq2xs[i]) % 2, 0);
  }
  /* every lattice coordinate is one of the documented magnitudes */
  for (i = 0; i < 1024; i++) {
    for (j = 0; j < 8; j++) {
      uint8_t v = tp_iq2s_grid[i][j];
      assert_true(v == 0x08 || v == 0x19 || v == 0x2b);
      if (i < 512) {
        v = tp_iq2xs_grid[i][j];
        assert_true(v == 0x08 || v == 0x19 || v == 0x2b);
      }
      if (i < 256) {
        v = tp_iq2xxs_grid[i][j];
        assert_true(v == 0x08 || v == 0x19 || v == 0x2b);
      }
    }
  }
  for (i = 0; i < 512; i++) {
    for (j = 0; j < 4; j++) {
      assert_true(tp_iq3s_grid[i][j] % 2 == 1 && tp_iq3s_grid[i][j] <= 15);
      if (i < 256) assert_true((tp_iq3xxs_grid[i][j] - 4) % 8 == 0 ||
                               tp_iq3xxs_grid[i][j] == 0x3e);
    }
  }
  for (i = 0; i < 2048; i++) {
    for (j = 0; j < 8; j++) {
      assert_true(tp_iq1s_grid[i][j] >= -1 && tp_iq1s_grid[i][j] <= 1);
    }
  }
  /* spot checks against llama.cpp's ggml-common.h */
  assert_int_equal(tp_iq2xs_grid[511][0], 0x2b);
  assert_int_equal(tp_iq3s_grid[256][0], 0x07);
  assert_int_equal(tp_iq1s_grid[2047][7], 1);
  assert_int_equal(tp_kvalues_iq4nl[0], -127);
  assert_int_equal(tp_kvalues_iq4nl[15], 113);
  assert_int_equal(tp_kvalues_fp4[7], 12);
  assert_int_equal(tp_kvalues_fp4[8], 0);
  assert_int_equal(tp_kvalues_fp4[15], -12);
}

static void test_capabilities(void **state) {
  static const tp_type dq_only[] = {
      TP_TYPE_IQ2_XXS, TP_TYPE_IQ2_XS, TP_TYPE_IQ2_S,  TP_TYPE_IQ3_XXS,
      TP_TYPE_IQ3_S,   TP_TYPE_IQ1_S,  TP_TYPE_IQ1_M,  TP_TYPE_IQ4_NL,
      TP_TYPE_IQ4_XS};
  static const tp_type both[] = {TP_TYPE_TQ1_0, TP_TYPE_TQ2_0, TP_TYPE_MXFP4,
                                 TP_TYPE_NVFP4, TP_TYPE_Q1_0,  TP_TYPE_Q2_0};
  size_t i;
  float x[256] = {0};
  uint8_t y[128];
  (void)state;
  for (i = 0; i < sizeof dq_only / sizeof dq_only[0]; i++) {
    assert_true(tp_quant_can_dequantize(dq_only[i]));
    assert_false(tp_quant_can_quantize(dq_only[i]));
    assert_int_equal(tp_quantize_ref(dq_only[i], x, y, 256),
                     TP_EUNSUPPORTED);
  }
  for (i = 0; i < sizeof both / sizeof both[0]; i++) {
    assert_true(tp_quant_can_dequantize(both[i]));
    assert_true(tp_quant_can_quantize(both[i]));
  }
}

/* ---- i-quants ----------------------------------------------------------- */

static void test_iq2_xxs(void **state) {
  uint8_t b[66] = {0};
  float want[256];
  (void)state;
  tp_store_le16(b, H_1);
  /* group 0: grid indices 0..3, group scale 3, sign indices 0, 1, 0, 127 */
  b[2] = 0; b[3] = 1; b[4] = 2; b[5] = 3;
  tp_store_le32(b + 6, (3u << 28) | (1u << 7) | (127u << 21));
  /* zero bytes elsewhere: grid point 0 (all 8), scale (0.5+0)/4, no signs */
  fill(want, 256, 1.0f);
  /* db = (0.5 + 3) * 0.25 = 0.875: 8 -> 7, 0x19 -> 21.875, 0x2b -> 37.625 */
  set8(want + 0, 7, 7, 7, 7, 7, 7, 7, 7);
  /* ksigns[1] = 0x81: elements 0 and 7 negative */
  set8(want + 8, -37.625f, 7, 7, 7, 7, 7, 7, -7);
  set8(want + 16, 21.875f, 21.875f, 7, 7, 7, 7, 7, 7);
  /* ksigns[127] = 0xff: all negative */
  set8(want + 24, -7, -37.625f, -7, -7, -7, -7, -7, -7);
  check_dequant(TP_TYPE_IQ2_XXS, b, want, 256);
}

static void test_iq2_xs(void **state) {
  uint8_t b[74] = {0};
  float want[256];
  (void)state;
  tp_store_le16(b, H_2);
  b[66] = 0x31; /* group 0: scales 1 (first 16) and 3 (second 16) */
  tp_store_le16(b + 2, 511);               /* all 0x2b */
  tp_store_le16(b + 4, 1 | (1u << 9));     /* grid 1, ksigns[1] = 0x81 */
  tp_store_le16(b + 6, 0 | (127u << 9));   /* grid 0, all negative */
  tp_store_le16(b + 8, 256);               /* 2b 19 08 08 08 08 08 19 */
  fill(want, 256, 2.0f); /* 2 * (0.5 * 0.25) * 8 */
  /* db0 = 2 * 1.5 * 0.25 = 0.75, db1 = 2 * 3.5 * 0.25 = 1.75 */
  fill(want, 8, 32.25f);
  set8(want + 8, -32.25f, 6, 6, 6, 6, 6, 6, -6);
  fill(want + 16, 8, -14.0f);
  set8(want + 24, 75.25f, 43.75f, 14, 14, 14, 14, 14, 43.75f);
  check_dequant(TP_TYPE_IQ2_XS, b, want, 256);
}

static void test_iq2_s(void **state) {
  uint8_t b[82] = {0};
  float want[256];
  (void)state;
  tp_store_le16(b, H_1);
  /* qs[0..3] (low index bits) at 2, signs at 34, qh at 66, scales at 74 */
  b[2] = 1; b[3] = 0; b[4] = 3; b[5] = 0;
  b[34] = 0x01; b[35] = 0x80;
  b[66] = 0xC4; /* index bits 8-9: l=1 -> 1 (256), l=3 -> 3 (768) */
  b[74] = 0x21; /* db0 = 1.5 * 0.25, db1 = 2.5 * 0.25 */
  fill(want, 256, 1.0f);
  set8(want + 0, -16.125f, 3, 3, 3, 3, 3, 3, 3);
  /* grid 256: 19 19 19 19 19 08 19 08 */
  set8(want + 8, 9.375f, 9.375f, 9.375f, 9.375f, 9.375f, 3, 9.375f, -3);
  set8(want + 16, 5, 26.875f, 5, 5, 5, 5, 5, 5);
  /* grid 768: 08 2b 08 19 08 08 2b 19 */
  set8(want + 24, 5, 26.875f, 5, 15.625f, 5, 5, 26.875f, 15.625f);
  check_dequant(TP_TYPE_IQ2_S, b, want, 256);
}

static void test_iq3_xxs(void **state) {
  uint8_t b[98] = {0};
  float want[256];
  (void)state;
  tp_store_le16(b, H_1);
  b[2] = 5; /* 3e 0c 04 04 */
  b[3] = 1; /* 14 04 04 04 */
  /* scale 2 -> db = (0.5 + 2) * 0.5; sign index 1 for l = 0 (0x81) */
  tp_store_le32(b + 66, (2u << 28) | 1u);
  fill(want, 256, 1.0f); /* (0.5 * 0.5) * 4 */
  set8(want + 0, -77.5f, 15, 5, 5, 25, 5, 5, -5);
  fill(want + 8, 24, 5.0f);
  check_dequant(TP_TYPE_IQ3_XXS, b, want, 256);
}

static void test_iq3_s(void **state) {
  uint8_t b[110] = {0};
  float want[256];
  (void)state;
  tp_store_le16(b, H_0_5);
  /* qs at 2, qh at 66, signs at 74, scales at 106 */
  b[2] = 0; b[3] = 3;   /* with qh[0] bit 0: indices 256 and 3 */
  b[10] = 4; b[11] = 1; /* second 32: with qh[1] bit 1: indices 4, 257 */
  b[66] = 0x01;
  b[67] = 0x02;
  b[74] = 0x82; /* elements 1 and 7 negative */
  b[78] = 0x10; /* element 32 + 4 negative */
  b[106] = 0x32; /* db1 = 0.5 * (1 + 4), db2 = 0.5 * (1 + 6) */
  fill(want, 256, 0.5f);
  fill(want, 32, 2.5f);
  fill(want + 32, 32, 3.5f);
  /* grid 256 = 07 05 09 05, grid 3 = 0b 01 01 01 */
  set8(want + 0, 17.5f, -12.5f, 22.5f, 12.5f, 27.5f, 2.5f, 2.5f, -2.5f);
  /* grid 4 = 0f 01 01 01, grid 257 = 05 07 09 05 */
  set8(want + 32, 52.5f, 3.5f, 3.5f, 3.5f, -17.5f, 24.5f, 31.5f, 17.5f);
  check_dequant(TP_TYPE_IQ3_S, b, want, 256);
}

static void test_iq1_s(void **state) {
  uint8_t b[50] = {0};
  float want[256];
  (void)state;
  tp_store_le16(b, H_1);
  b[2] = 255; b[3] = 1; b[4] = 0; b[5] = 2;
  /* qh[0]: negative shift, scale 2, index high parts 7, 0, 4, 0 */
  tp_store_le16(b + 34, 0x8000 | (2u << 12) | (4u << 6) | 7u);
  fill(want, 256, -0.875f); /* grid 0 is all -1, shift +1/8, scale 1 */
  /* dl = 2*2+1 = 5, delta = -0.125 */
  fill(want, 8, 4.375f);                                      /* grid 2047 */
  set8(want + 8, 4.375f, -5.625f, -5.625f, -5.625f, -5.625f, -5.625f,
       -5.625f, -5.625f);                                     /* grid 1 */
  set8(want + 16, -0.625f, 4.375f, -5.625f, -0.625f, -0.625f, -0.625f,
       -0.625f, -0.625f);                                     /* grid 1024 */
  set8(want + 24, -0.625f, -0.625f, -5.625f, -5.625f, -5.625f, -5.625f,
       -5.625f, -5.625f);                                     /* grid 2 */
  check_dequant(TP_TYPE_IQ1_S, b, want, 256);
}

static void test_iq1_m(void **state) {
  uint8_t b[56] = {0};
  float want[256];
  (void)state;
  /* qs at 0, qh at 32, scales (4 x u16) at 48. d = 1.0 = 0x3C00 is spread
   * over the top nibbles: word 2 holds 0xC, word 3 holds 0x3. */
  b[0] = 255; b[1] = 1; b[2] = 0; b[3] = 0;
  b[32] = 0x0F; /* idx0 high 7, shift0 negative, idx1 high 0 */
  b[33] = 0x40; /* idx2 high 0, idx3 high 4 */
  tp_store_le16(b + 48, 0x0011); /* group 0: sub-scales 1 and 2 */
  tp_store_le16(b + 52, 0xC000);
  tp_store_le16(b + 54, 0x3000);
  fill(want, 256, -0.875f);
  /* dl1 = 3, dl2 = 5 */
  fill(want, 8, 2.625f);
  set8(want + 8, 3.375f, -2.625f, -2.625f, -2.625f, -2.625f, -2.625f,
       -2.625f, -2.625f);
  fill(want + 16, 8, -4.375f);
  set8(want + 24, 0.625f, 5.625f, -4.375f, 0.625f, 0.625f, 0.625f, 0.625f,
       0.625f);
  check_dequant(TP_TYPE_IQ1_M, b, want, 256);
}

static void test_iq4_nl(void **state) {
  uint8_t b[36] = {0};
  float want[64];
  (void)state;
  tp_store_le16(b, H_0_5);
  b[2] = 0xF0; /* element 0: code 0, element 16: code 15 */
  b[3] = 0x87; /* element 1: code 7, element 17: code 8 */
  tp_store_le16(b + 18, 0xC000); /* second block: d = -2 */
  fill(want, 32, -63.5f);
  want[16] = 56.5f;
  want[1] = -5.0f;
  want[17] = 0.5f;
  fill(want + 32, 32, 254.0f);
  check_dequant(TP_TYPE_IQ4_NL, b, want, 64);
}

static void test_iq4_xs(void **state) {
  uint8_t b[136] = {0};
  float want[256];
  (void)state;
  tp_store_le16(b, H_1);
  /* scales_h at 2: group 0 high bits 2, group 1 high bits 3, group 7 high
   * bits 2; scales_l at 4: group 0 low 0xF, group 1 low 1 */
  tp_store_le16(b + 2, 0x8000 | (3u << 2) | 2u);
  b[4] = 0x1F;
  b[8] = 0x98;      /* element 0: code 8, element 16: code 9 */
  b[8 + 16] = 0x0F; /* element 32: code 15, element 48: code 0 */
  /* sub-scale ls - 32: group 0 -> 15, group 1 -> 17, 2..6 -> -32, 7 -> 0 */
  fill(want, 32, -1905.0f);
  want[0] = 15.0f;
  want[16] = 195.0f;
  fill(want + 32, 32, -2159.0f);
  want[32] = 1921.0f;
  fill(want + 64, 160, 4064.0f);
  /* dl = +0.0, times code -127: -0.0 as upstream computes it */
  fill(want + 224, 32, -0.0f);
  check_dequant(TP_TYPE_IQ4_XS, b, want, 256);
}

/* ---- ternary and low-bit types ------------------------------------------ */

/* TQ1_0 bytes and the values they hold, d = 2: used in both directions. */
static void tq1_0_fixture(uint8_t *b, float *x) {
  memset(b, 0, 54);
  /* byte 0: elements 0, 32, 64, 96, 128 = +1, 0, -1, +1, 0: digits
   * 2 1 0 2 1 = 196 in base 3, stored as ceil(196 * 256 / 243) = 207 */
  b[0] = 207;
  /* byte 33: elements 161, 177, 193, 209, 225, same digits */
  b[33] = 207;
  /* qh[1]: elements 241, 245, 249, 253 = -1, +1, 0, +1: digits 0 2 1 2 =
   * 23, times 3 = 69, stored as ceil(69 * 256 / 243) = 73 */
  b[49] = 73;
  tp_store_le16(b + 52, H_2);
  fill(x, 256, -2.0f); /* a zero byte holds five -1 digits */
  x[0] = 2; x[32] = 0; x[64] = -2; x[96] = 2; x[128] = 0;
  x[161] = 2; x[177] = 0; x[193] = -2; x[209] = 2; x[225] = 0;
  x[241] = -2; x[245] = 2; x[249] = 0; x[253] = 2;
}

static void test_tq1_0(void **state) {
  uint8_t b[54], q[54];
  float x[256];
  (void)state;
  tq1_0_fixture(b, x);
  check_dequant(TP_TYPE_TQ1_0, b, x, 256);
  /* exact ternary values multiples of amax quantize back to the same bytes
   * (zero bytes of the fixture become ceil(0) = 0) */
  assert_int_equal(tp_quantize_ref(TP_TYPE_TQ1_0, x, q, 256), TP_OK);
  assert_memory_equal(q, b, 54);
}

static void test_tq2_0(void **state) {
  uint8_t b[66] = {0}, q[66];
  float want[256];
  (void)state;
  tp_store_le16(b + 64, H_1_5);
  b[0] = 0x92;      /* elements 0, 32, 64, 96: codes 2, 0, 1, 2 */
  b[32 + 5] = 0x1B; /* elements 133, 165, 197, 229: codes 3, 2, 1, 0 */
  fill(want, 256, -1.5f);
  want[0] = 1.5f; want[32] = -1.5f; want[64] = 0.0f; want[96] = 1.5f;
  /* code 3 is never written by the quantizer but decodes to 2d */
  want[133] = 3.0f; want[165] = 1.5f; want[197] = 0.0f; want[229] = -1.5f;
  check_dequant(TP_TYPE_TQ2_0, b, want, 256);
  /* without the code-3 element the values quantize back to the bytes */
  want[133] = -1.5f;
  b[32 + 5] = 0x18;
  assert_int_equal(tp_quantize_ref(TP_TYPE_TQ2_0, want, q, 256), TP_OK);
  assert_memory_equal(q, b, 66);
}

static void test_tq_quantize_edges(void **state) {
  float x[256];
  uint8_t q1[54], q2[66];
  float back[256];
  int i;
  (void)state;

  /* all zero: d = 0, id = 0, every code 1 (value 0). TQ1_0: 11111 in base 3
   * = 121 -> ceil(121 * 256 / 243) = 128; qh 1111 * 3 = 120 -> 127. */
  fill(x, 256, 0.0f);
  assert_int_equal(tp_quantize_ref(TP_TYPE_TQ1_0, x, q1, 256), TP_OK);
  assert_int_equal(tp_quantize_ref(TP_TYPE_TQ2_0, x, q2, 256), TP_OK);
  for (i = 0; i < 48; i++) assert_int_equal(q1[i], 128);
  for (i = 48; i < 52; i++) assert_int_equal(q1[i], 127);
  assert_int_equal(tp_load_le16(q1 + 52), 0);
  for (i = 0; i < 64; i++) assert_int_equal(q2[i], 0x55);
  assert_int_equal(tp_load_le16(q2 + 64), 0);
  assert_int_equal(tp_dequantize_ref(TP_TYPE_TQ1_0, q1, back, 256), TP_OK);
  for (i = 0; i < 256; i++) assert_true(back[i] == 0.0f);

  /* ties at .5 round away from zero (lroundf), not to even: with amax 1,
   * 0.5 -> +1 and -0.5 -> -1, while 0.49999997 -> 0 */
  fill(x, 256, 0.0f);
  x[0] = 1.0f;
  x[1] = 0.5f;
  x[2] = -0.5f;
  x[3] = 0.49999997f;
  assert_int_equal(tp_quantize_ref(TP_TYPE_TQ2_0, x, q2, 256), TP_OK);
  assert_int_equal(q2[0], 0x56);
  assert_int_equal(q2[1], 0x56);
  assert_int_equal(q2[2], 0x54);
  assert_int_equal(q2[3], 0x55);
  assert_int_equal(tp_load_le16(q2 + 64), H_1);
  assert_int_equal(tp_quantize_ref(TP_TYPE_TQ1_0, x, q1, 256), TP_OK);
  /* byte m holds elements m, m+32, ... with the first as the top digit:
   * digits 2 1 1 1 1 = 202 -> 213; 0 1 1 1 1 = 40 -> 43 */
  assert_int_equal(q1[0], 213);
  assert_int_equal(q1[1], 213);
  assert_int_equal(q1[2], 43);
  assert_int_equal(q1[3], 128);

  /* amax a power of two: scale stored exactly, 2 = amax / 2 is a tie */
  fill(x, 256, 0.0f);
  x[255] = -4.0f;
  x[254] = 2.0f;
  assert_int_equal(tp_quantize_ref(TP_TYPE_TQ2_0, x, q2, 256), TP_OK);
  assert_int_equal(tp_load_le16(q2 + 64), 0x4400); /* 4.0 */
  /* elements 254 and 255 are in byte 32 + 30 and 32 + 31 at bits 6..7 */
  assert_int_equal(q2[62], 0x95); /* code 2 on top */
  assert_int_equal(q2[63], 0x15); /* code 0 on top */

  /* the codes use the unrounded binary32 amax even when its f16 is 0 */
  fill(x, 256, 0.0f);
  x[7] = 1e-8f;
  assert_int_equal(tp_quantize_ref(TP_TYPE_TQ2_0, x, q2, 256), TP_OK);
  assert_int_equal(tp_load_le16(q2 + 64), 0);
  assert_int_equal(q2[7], 0x56);
}

static void test_q1_0(void **state) {
  uint8_t b[18] = {0}, q[18];
  float want[128], x[128];
  int i;
  (void)state;
  tp_store_le16(b, H_0_25);
  b[2] = 0x81;  /* elements 0 and 7 positive */
  b[17] = 0xFF; /* elements 120..127 positive */
  fill(want, 128, -0.25f);
  want[0] = 0.25f;
  want[7] = 0.25f;
  fill(want + 120, 8, 0.25f);
  check_dequant(TP_TYPE_Q1_0, b, want, 128);
  /* quantize: d = mean |x|, sign bit set for x >= 0 (also -0.0) */
  for (i = 0; i < 128; i++) x[i] = (i % 2) ? -0.5f : 0.0f;
  x[1] = -0.0f; /* counts as positive */
  assert_int_equal(tp_quantize_ref(TP_TYPE_Q1_0, x, q, 128), TP_OK);
  /* sum |x| = 63 * 0.5 = 31.5, / 128 = 0.24609375 -> f16 0x33E0 */
  assert_int_equal(tp_load_le16(q), 0x33E0);
  assert_int_equal(q[2], 0x57); /* bits 0, 1, 2, 4, 6 */
  for (i = 3; i < 18; i++) assert_int_equal(q[i], 0x55);
}

static void test_q2_0(void **state) {
  uint8_t b[18] = {0}, q[18];
  float want[64], x[64];
  int i;
  (void)state;
  tp_store_le16(b, H_1_5);
  b[2] = 0xE4; /* elements 0..3: codes 0, 1, 2, 3 */
  fill(want, 64, -1.5f);
  want[0] = -1.5f; want[1] = 0.0f; want[2] = 1.5f; want[3] = 3.0f;
  check_dequant(TP_TYPE_Q2_0, b, want, 64);
  /* quantize: d = amax, code clamp(roundf(x / d), -1, 2) + 1; roundf ties
   * go away from zero */
  fill(x, 64, 0.0f);
  x[0] = -2.0f; x[1] = 1.0f; x[2] = -1.0f; x[3] = 1.0f;
  assert_int_equal(tp_quantize_ref(TP_TYPE_Q2_0, x, q, 64), TP_OK);
  assert_int_equal(tp_load_le16(q), H_2);
  /* x/d = -1, 0.5 (-> 1), -0.5 (-> -1), 0.5 (-> 1): codes 0, 2, 0, 2 */
  assert_int_equal(q[2], 0x00 | (2 << 2) | (0 << 4) | (2 << 6));
  for (i = 3; i < 18; i++) assert_int_equal(q[i], 0x55);
  /* NaN inputs: the code of upstream's x86 build (INT_MIN + 1 clamps to 0),
   * without undefined behaviour here */
  x[5] = NAN;
  assert_int_equal(tp_quantize_ref(TP_TYPE_Q2_0, x, q, 64), TP_OK);
  assert_int_equal(q[3], 0x51); /* element 5: code 0 at bits 2..3 */
}

/* ---- FP4 ---------------------------------------------------------------- */

static void test_fp4_scales(void **state) {
  (void)state;
  assert_true(tp_fp4_e8m0_half(128) == 1.0f);
  assert_true(tp_fp4_e8m0_half(127) == 0.5f);
  assert_int_equal(tp_f32_bits(tp_fp4_e8m0_half(0)), 0x00200000); /* 2^-128 */
  assert_int_equal(tp_f32_bits(tp_fp4_e8m0_half(1)), 0x00400000); /* 2^-127 */
  assert_int_equal(tp_f32_bits(tp_fp4_e8m0_half(2)), 0x00800000); /* 2^-126 */
  assert_true(tp_fp4_e8m0_half(255) == 0x1p127f);
  assert_true(tp_fp4_ue4m3_half(0x38) == 0.5f);       /* 1.0 / 2 */
  assert_true(tp_fp4_ue4m3_half(0x01) == 0x1p-10f);   /* subnormal */
  assert_true(tp_fp4_ue4m3_half(0x7E) == 224.0f);     /* 448 / 2 */
  assert_true(tp_fp4_ue4m3_half(0x7F) == 0.0f);       /* NaN code */
  assert_true(tp_fp4_ue4m3_half(0x80) == 0.0f);       /* sign ignored */
  assert_true(tp_fp4_ue4m3_half(0xFF) == 240.0f);
}

static void test_mxfp4_dequant(void **state) {
  uint8_t b[51] = {0};
  float want[96];
  (void)state;
  /* block 0: e = 128 -> d = 1 (half of E8M0 2^1) */
  b[0] = 128;
  b[1] = 0xF7; /* element 0: 12, element 16: -12 */
  b[2] = 0x89; /* element 1: -1, element 17: code 8 = +0 */
  fill(want, 32, 0.0f);
  want[0] = 12.0f; want[16] = -12.0f; want[1] = -1.0f;
  /* block 1: e = 0 -> d = 2^-128, a subnormal */
  b[17] = 0;
  b[18] = 0x17; /* 12 * 2^-128 and 1 * 2^-128 */
  fill(want + 32, 32, 0.0f);
  want[32] = 0x1.8p-125f;
  want[48] = 0x1p-128f;
  /* block 2: e = 255 -> d = 2^127; 12 * 2^127 overflows to inf */
  b[34] = 255;
  b[35] = 0xA7; /* 12 -> inf, -2 -> -2^128 = -inf */
  b[36] = 0x01;
  fill(want + 64, 32, 0.0f);
  want[64] = INFINITY; want[80] = -INFINITY; want[65] = 0x1p127f;
  check_dequant(TP_TYPE_MXFP4, b, want, 96);
}

static void test_mxfp4_quantize(void **state) {
  float x[32];
  uint8_t q[17], zero[17] = {0};
  int j;
  (void)state;

  /* all zero: e = 0 and code 0 everywhere */
  fill(x, 32, 0.0f);
  assert_int_equal(tp_quantize_ref(TP_TYPE_MXFP4, x, q, 32), TP_OK);
  assert_memory_equal(q, zero, 17);

  /* amax exactly a power of two: floor(log2 4) = 2 -> e = 127, d = 0.5 */
  fill(x, 32, 0.0f);
  x[0] = 4.0f;  /* 8 * 0.5: code 6 */
  x[16] = -4.0f; /* code 14 */
  x[1] = 1.0f;  /* 2 * 0.5: code 2 */
  assert_int_equal(tp_quantize_ref(TP_TYPE_MXFP4, x, q, 32), TP_OK);
  assert_int_equal(q[0], 127);
  assert_int_equal(q[1], 0xE6);
  assert_int_equal(q[2], 0x02);

  /* ties between table values: the lowest index wins */
  fill(x, 32, 0.0f);
  x[0] = 8.0f;   /* e = 128, d = 1: code 6 */
  x[1] = 5.0f;   /* 4 (code 4) vs 6 (code 5) -> 4 */
  x[2] = -5.0f;  /* -4 (12) vs -6 (13) -> 12 */
  x[3] = 0.5f;   /* 0 (0) vs 1 (1) -> 0 */
  x[4] = -0.5f;  /* +0 (0) vs -1 (9) -> 0 */
  x[5] = 10.0f;  /* 8 (6) vs 12 (7) -> 6 */
  x[6] = -0.0f;  /* +0 (0) and -0 (8) both exact -> 0 */
  x[7] = 7.0f;   /* 6 (5) vs 8 (6) -> 5 */
  assert_int_equal(tp_quantize_ref(TP_TYPE_MXFP4, x, q, 32), TP_OK);
  assert_int_equal(q[0], 128);
  {
    static const uint8_t codes[8] = {6, 4, 12, 0, 0, 6, 0, 5};
    for (j = 0; j < 8; j++) assert_int_equal(q[1 + j], codes[j]);
  }

  /* just below a power of two: the exponent follows floorf(log2f(amax)),
   * not the exponent bits of amax. log2f(8 - 2^-21) rounds to 3.0 with a
   * correctly rounded libm (glibc), giving e = 128 where the exponent bits
   * would give 127; the value then codes as 8 (code 6), not 6 (code 7). */
  fill(x, 32, 0.0f);
  x[0] = nextafterf(8.0f, 0.0f);
  assert_int_equal(tp_quantize_ref(TP_TYPE_MXFP4, x, q, 32), TP_OK);
  if (log2f(x[0]) == 3.0f) {
    assert_int_equal(q[0], 128);
    assert_int_equal(q[1], 6);
  } else {
    assert_int_equal(q[0], 127);
    assert_int_equal(q[1], 7);
  }
  /* 4 - 2^-22: log2f stays below 2, both readings agree on e = 126 */
  x[0] = nextafterf(4.0f, 0.0f);
  assert_int_equal(tp_quantize_ref(TP_TYPE_MXFP4, x, q, 32), TP_OK);
  assert_int_equal(q[0], 126);

  /* amax = 2^-126: floor(log2) - 2 + 127 = -1 wraps to e = 255 in
   * upstream's uint8_t conversion (x86-64), and every value codes as 0 */
  fill(x, 32, 0.0f);
  x[3] = 0x1p-126f;
  assert_int_equal(tp_quantize_ref(TP_TYPE_MXFP4, x, q, 32), TP_OK);
  assert_int_equal(q[0], 255);
  for (j = 1; j < 17; j++) assert_int_equal(q[j], 0);

  /* an infinite amax: log2f = inf, which x86 converts to INT32_MIN (low byte
   * 0), so e = 0 and d = 2^-128 */
  x[3] = INFINITY;
  assert_int_equal(tp_quantize_ref(TP_TYPE_MXFP4, x, q, 32), TP_OK);
  assert_int_equal(q[0], 0);
  /* inf is infinitely far from every table value: no error is smaller
   * than the first, so it keeps code 0 */
  assert_int_equal(q[4], 0);
}

static void test_nvfp4(void **state) {
  uint8_t b[36] = {0}, q[36];
  float want[64], x[64];
  (void)state;
  b[0] = 0x38;  /* d = 0.5 */
  b[1] = 0x01;  /* d = 2^-10 */
  b[2] = 0x7F;  /* NaN code: d = 0 */
  b[3] = 0xFF;  /* sign bit ignored: d = 240 */
  b[4] = 0x71;  /* element 0: 1, element 8: 12 */
  b[12] = 0x0F; /* element 16: -12, element 24: 0 */
  b[20] = 0x9F; /* element 32: -12 * 0, element 40: -1 * 0 */
  b[28] = 0x21; /* element 48: 1, element 56: 2 */
  fill(want, 64, 0.0f);
  want[0] = 0.5f; want[8] = 6.0f;
  want[16] = -12.0f * 0x1p-10f;
  want[32] = -0.0f; want[40] = -0.0f;
  want[48] = 240.0f; want[56] = 480.0f;
  check_dequant(TP_TYPE_NVFP4, b, want, 64);

  /* quantize: UE4M3 scale of amax / 6, codes as MXFP4 */
  fill(x, 64, 0.0f);
  x[0] = 6.0f;   /* scale 1.0 = 0x38, d = 0.5: 6 = 12 * 0.5 -> code 7 */
  x[1] = -1.0f;  /* -2 * 0.5 -> code 10 */
  x[8] = 0.75f;  /* 0.75 = 1.5 * 0.5 -> tie 1 (code 1) vs 2 (code 2) -> 1 */
  assert_int_equal(tp_quantize_ref(TP_TYPE_NVFP4, x, q, 64), TP_OK);
  assert_int_equal(q[0], 0x38);
  assert_int_equal(q[1], 0);
  assert_int_equal(q[4], 0x17);
  assert_int_equal(q[5], 0x0A);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tables),
      cmocka_unit_test(test_capabilities),
      cmocka_unit_test(test_iq2_xxs),
      cmocka_unit_test(test_iq2_xs),
      cmocka_unit_test(test_iq2_s),
      cmocka_unit_test(test_iq3_xxs),
      cmocka_unit_test(test_iq3_s),
      cmocka_unit_test(test_iq1_s),
      cmocka_unit_test(test_iq1_m),
      cmocka_unit_test(test_iq4_nl),
      cmocka_unit_test(test_iq4_xs),
      cmocka_unit_test(test_tq1_0),
      cmocka_unit_test(test_tq2_0),
      cmocka_unit_test(test_tq_quantize_edges),
      cmocka_unit_test(test_q1_0),
      cmocka_unit_test(test_q2_0),
      cmocka_unit_test(test_fp4_scales),
      cmocka_unit_test(test_mxfp4_dequant),
      cmocka_unit_test(test_mxfp4_quantize),
      cmocka_unit_test(test_nvfp4),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
