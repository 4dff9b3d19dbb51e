/*
 * q_iq.c - dequantizers of the ggml "i-quants": IQ2_XXS, IQ2_XS, IQ2_S,
 * IQ3_XXS, IQ3_S, IQ1_S, IQ1_M (lattice codebooks) and IQ4_NL, IQ4_XS
 * (non-linear 4-bit table).
 *
 * Each function reproduces llama.cpp's dequantize_row_<type> float for float:
 * the same binary32 operations in the same order (the build disables FMA
 * contraction). Blocks are decoded from bytes with explicit little-endian
 * loads, so no block struct is ever overlaid on file data. IQ quantizers are
 * not provided: llama.cpp needs an importance matrix for most of them.
 */
#include "q_iq.h"

#include "iq_tables.h"

#define QK_K 256

/* Applies sign bit j to p = db * grid[j], where upstream writes
 * p * (negative ? -1.f : 1.f). GCC compiles that multiply, in llama.cpp's
 * optimised builds, to a conditional negation; the two agree on every value
 * except a NaN (from a NaN scale), whose sign the negation flips and the
 * x86 multiply would keep. llama.cpp's x86-64 library flips it, so the
 * negation is written out: that matches it at every optimisation level of
 * ours, where leaving the multiply would depend on the build. */
static inline float iq_signed(float p, uint8_t signs, int j) {
  return ((signs >> j) & 1u) ? -p : p;
}

/* ---- IQ2_XXS: f16 d; 32 x u16 qs (2.0625 bpw) ----------------------------
 * Each 32-element group is 8 bytes: four grid indices (bytes 0..3), then a
 * u32 holding four 7-bit sign indices and a 4-bit group scale on top. */
void tp_iq2_xxs_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t nb = n / QK_K, i;
  for (i = 0; i < nb; i++, x += 66) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    const uint8_t *qs = x + 2;
    int ib32;
    for (ib32 = 0; ib32 < QK_K / 32; ++ib32) {
      const uint8_t *g8 = qs + 8 * ib32;
      const uint32_t aux = tp_load_le32(g8 + 4);
      const float db = d * (0.5f + (float)(aux >> 28)) * 0.25f;
      int l, j;
      for (l = 0; l < 4; ++l) {
        const uint8_t *grid = tp_iq2xxs_grid[g8[l]];
        const uint8_t signs = tp_ksigns_iq2xs[(aux >> 7 * l) & 127];
        for (j = 0; j < 8; ++j) y[j] = iq_signed(db * (float)grid[j], signs, j);
        y += 8;
      }
    }
  }
}

/* ---- IQ2_XS: f16 d; 32 x u16 qs; u8 scales[8] (2.3125 bpw) ---------------
 * Each u16 is a 9-bit grid index and a 7-bit sign index; each scale byte
 * gives two 4-bit scales, one per 16 elements. */
void tp_iq2_xs_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t nb = n / QK_K, i;
  for (i = 0; i < nb; i++, x += 74) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    const uint8_t *qs = x + 2;
    const uint8_t *scales = x + 66;
    int ib32;
    for (ib32 = 0; ib32 < QK_K / 32; ++ib32) {
      float db[2];
      int l, j;
      db[0] = d * (0.5f + (float)(scales[ib32] & 0xf)) * 0.25f;
      db[1] = d * (0.5f + (float)(scales[ib32] >> 4)) * 0.25f;
      for (l = 0; l < 4; ++l) {
        const uint16_t q = tp_load_le16(qs + 2 * (4 * ib32 + l));
        const uint8_t *grid = tp_iq2xs_grid[q & 511];
        const uint8_t signs = tp_ksigns_iq2xs[q >> 9];
        for (j = 0; j < 8; ++j) {
          y[j] = iq_signed(db[l / 2] * (float)grid[j], signs, j);
        }
        y += 8;
      }
    }
  }
}

/* ---- IQ2_S: f16 d; u8 qs[64]; u8 qh[8]; u8 scales[8] (2.5625 bpw) --------
 * qs[0..31] are the low 8 bits of 10-bit grid indices (the top 2 bits come
 * from qh), qs[32..63] are plain sign bytes, one per 8 elements. */
void tp_iq2_s_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t nb = n / QK_K, i;
  for (i = 0; i < nb; i++, x += 82) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    const uint8_t *qs = x + 2;
    const uint8_t *signs = qs + QK_K / 8;
    const uint8_t *qh = x + 66;
    const uint8_t *scales = x + 74;
    int ib32;
    for (ib32 = 0; ib32 < QK_K / 32; ++ib32) {
      float db[2];
      int l, j;
      db[0] = d * (0.5f + (float)(scales[ib32] & 0xf)) * 0.25f;
      db[1] = d * (0.5f + (float)(scales[ib32] >> 4)) * 0.25f;
      for (l = 0; l < 4; ++l) {
        const float dl = db[l / 2];
        const unsigned idx =
            qs[l] | (((unsigned)qh[ib32] << (8 - 2 * l)) & 0x300);
        const uint8_t *grid = tp_iq2s_grid[idx];
        for (j = 0; j < 8; ++j) {
          y[j] = iq_signed(dl * (float)grid[j], signs[l], j);
        }
        y += 8;
      }
      qs += 4;
      signs += 4;
    }
  }
}

/* ---- IQ3_XXS: f16 d; u8 qs[96] (3.0625 bpw) ------------------------------
 * qs[0..63]: 8-bit indices into a grid of 4 magnitudes; qs[64..95]: one u32
 * per 32 elements with four 7-bit sign indices and a 4-bit scale. */
void tp_iq3_xxs_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t nb = n / QK_K, i;
  for (i = 0; i < nb; i++, x += 98) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    const uint8_t *qs = x + 2;
    const uint8_t *scales_and_signs = qs + QK_K / 4;
    int ib32;
    for (ib32 = 0; ib32 < QK_K / 32; ++ib32) {
      const uint32_t aux = tp_load_le32(scales_and_signs + 4 * ib32);
      const float db = d * (0.5f + (float)(aux >> 28)) * 0.5f;
      int l, j;
      for (l = 0; l < 4; ++l) {
        const uint8_t signs = tp_ksigns_iq2xs[(aux >> 7 * l) & 127];
        const uint8_t *grid1 = tp_iq3xxs_grid[qs[2 * l + 0]];
        const uint8_t *grid2 = tp_iq3xxs_grid[qs[2 * l + 1]];
        for (j = 0; j < 4; ++j) {
          y[j + 0] = iq_signed(db * (float)grid1[j], signs, j + 0);
          y[j + 4] = iq_signed(db * (float)grid2[j], signs, j + 4);
        }
        y += 8;
      }
      qs += 8;
    }
  }
}

/* ---- IQ3_S: f16 d; u8 qs[64]; u8 qh[8]; u8 signs[32]; u8 scales[4] -------
 * 9-bit grid indices (low 8 bits in qs, the ninth in qh), explicit sign
 * bytes and odd scales 1 + 2*s, one 4-bit s per 32 elements. */
static void iq3_s_half(const uint8_t *qs, uint8_t qh, const uint8_t *signs,
                       float db, float *y) {
  int l, j;
  for (l = 0; l < 4; ++l) {
    const uint8_t *grid1 =
        tp_iq3s_grid[qs[2 * l + 0] | (((unsigned)qh << (8 - 2 * l)) & 256)];
    const uint8_t *grid2 =
        tp_iq3s_grid[qs[2 * l + 1] | (((unsigned)qh << (7 - 2 * l)) & 256)];
    for (j = 0; j < 4; ++j) {
      y[j + 0] = iq_signed(db * (float)grid1[j], signs[l], j + 0);
      y[j + 4] = iq_signed(db * (float)grid2[j], signs[l], j + 4);
    }
    y += 8;
  }
}

void tp_iq3_s_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t nb = n / QK_K, i;
  for (i = 0; i < nb; i++, x += 110) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    const uint8_t *qs = x + 2;
    const uint8_t *qh = x + 66;
    const uint8_t *signs = x + 74;
    const uint8_t *scales = x + 106;
    int ib32;
    for (ib32 = 0; ib32 < QK_K / 32; ib32 += 2) {
      const float db1 = d * (float)(1 + 2 * (scales[ib32 / 2] & 0xf));
      const float db2 = d * (float)(1 + 2 * (scales[ib32 / 2] >> 4));
      iq3_s_half(qs, qh[0], signs, db1, y);
      iq3_s_half(qs + 8, qh[1], signs + 4, db2, y + 32);
      y += 64;
      qh += 2;
      qs += 16;
      signs += 8;
    }
  }
}

/* ---- IQ1_S: f16 d; u8 qs[32]; u16 qh[8] (1.5625 bpw) ---------------------
 * Per 32 elements one u16: four 3-bit high parts of the 11-bit grid indices,
 * a 3-bit scale and the sign of a +-1/8 shift added to every grid value. */
#define IQ1S_DELTA 0.125f

void tp_iq1_s_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t nb = n / QK_K, i;
  for (i = 0; i < nb; i++, x += 50) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    const uint8_t *qs = x + 2;
    int ib;
    for (ib = 0; ib < QK_K / 32; ++ib) {
      const uint16_t qh = tp_load_le16(x + 34 + 2 * ib);
      const float dl = d * (float)(2 * ((qh >> 12) & 7) + 1);
      const float delta = (qh & 0x8000) ? -IQ1S_DELTA : IQ1S_DELTA;
      int l, j;
      for (l = 0; l < 4; ++l) {
        const int8_t *grid = tp_iq1s_grid[qs[l] | (((qh >> 3 * l) & 7) << 8)];
        for (j = 0; j < 8; ++j) y[j] = dl * ((float)grid[j] + delta);
        y += 8;
      }
      qs += 4;
    }
  }
}

/* ---- IQ1_M: u8 qs[32]; u8 qh[16]; u8 scales[8] (1.75 bpw) ----------------
 * No separate d field: the f16 super-scale is spread over the top nibbles of
 * the four u16 words of scales; the remaining 12 bits of each word are four
 * 3-bit sub-scales. Each qh byte carries two 3-bit index high parts and two
 * shift-sign bits. */
void tp_iq1_m_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t nb = n / QK_K, i;
  for (i = 0; i < nb; i++, x += 56) {
    uint16_t sc[4];
    const uint8_t *qs = x;
    const uint8_t *qh = x + 32;
    float d;
    int k, ib;
    for (k = 0; k < 4; k++) sc[k] = tp_load_le16(x + 48 + 2 * k);
    d = tp_quant_f16_to_f32((uint16_t)((sc[0] >> 12) | ((sc[1] >> 8) & 0x00f0) |
                                       ((sc[2] >> 4) & 0x0f00) |
                                       (sc[3] & 0xf000)));
    for (ib = 0; ib < QK_K / 32; ++ib) {
      const unsigned s = sc[ib / 2] >> (6 * (ib % 2));
      const float dl1 = d * (float)(2 * (s & 0x7) + 1);
      const float dl2 = d * (float)(2 * ((s >> 3) & 0x7) + 1);
      unsigned idx[4];
      float delta[4];
      int l, j;
      idx[0] = qs[0] | (((unsigned)qh[0] << 8) & 0x700);
      idx[1] = qs[1] | (((unsigned)qh[0] << 4) & 0x700);
      idx[2] = qs[2] | (((unsigned)qh[1] << 8) & 0x700);
      idx[3] = qs[3] | (((unsigned)qh[1] << 4) & 0x700);
      delta[0] = (qh[0] & 0x08) ? -IQ1S_DELTA : IQ1S_DELTA;
      delta[1] = (qh[0] & 0x80) ? -IQ1S_DELTA : IQ1S_DELTA;
      delta[2] = (qh[1] & 0x08) ? -IQ1S_DELTA : IQ1S_DELTA;
      delta[3] = (qh[1] & 0x80) ? -IQ1S_DELTA : IQ1S_DELTA;
      for (l = 0; l < 4; ++l) {
        const int8_t *grid = tp_iq1s_grid[idx[l]];
        const float dl = l < 2 ? dl1 : dl2;
        for (j = 0; j < 8; ++j) y[j] = dl * ((float)grid[j] + delta[l]);
        y += 8;
      }
      qs += 4;
      qh += 2;
    }
  }
}

/* ---- IQ4_NL: f16 d; u8 qs[16] (32 elements, 4.5 bpw) ---------------------
 * Split-half nibbles (element j low nibble, j+16 high nibble of qs[j]) that
 * index a fixed non-linear table. */
void tp_iq4_nl_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t nb = n / 32, i;
  for (i = 0; i < nb; i++, x += 18, y += 32) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    const uint8_t *qs = x + 2;
    int j;
    for (j = 0; j < 16; ++j) {
      y[j + 0] = d * (float)tp_kvalues_iq4nl[qs[j] & 0xf];
      y[j + 16] = d * (float)tp_kvalues_iq4nl[qs[j] >> 4];
    }
  }
}

/* ---- IQ4_XS: f16 d; u16 scales_h; u8 scales_l[4]; u8 qs[128] -------------
 * IQ4_NL codes under 6-bit sub-scales (low 4 bits in scales_l, high 2 bits
 * in scales_h), biased by 32, one per 32 elements. */
void tp_iq4_xs_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = (const uint8_t *)vx;
  size_t nb = n / QK_K, i;
  for (i = 0; i < nb; i++, x += 136) {
    const float d = tp_quant_f16_to_f32(tp_load_le16(x));
    const uint16_t scales_h = tp_load_le16(x + 2);
    const uint8_t *scales_l = x + 4;
    const uint8_t *qs = x + 8;
    int ib;
    for (ib = 0; ib < QK_K / 32; ++ib) {
      const int ls = ((scales_l[ib / 2] >> 4 * (ib % 2)) & 0xf) |
                     (((scales_h >> 2 * ib) & 3) << 4);
      const float dl = d * (float)(ls - 32);
      int j;
      for (j = 0; j < 16; ++j) {
        y[j + 0] = dl * (float)tp_kvalues_iq4nl[qs[j] & 0xf];
        y[j + 16] = dl * (float)tp_kvalues_iq4nl[qs[j] >> 4];
      }
      y += 32;
      qs += 16;
    }
  }
}
