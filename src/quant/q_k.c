/*
 * q_k.c - scalar reference codecs of the K-quants (Q2_K..Q6_K, Q8_K).
 *
 * The quantizers reproduce llama.cpp's quantize_row_q*_K_ref (no importance
 * matrix) byte for byte: binary32 arithmetic in the upstream operation
 * order, sequential sums, nearest_int (round half to even) and f16 rounding
 * of the stored scales. The file is built with -ffp-contract=off; a fused
 * multiply-add anywhere in here changes codes.
 *
 * Two changes of structure keep the results and save time:
 *  - the searches remember which (inverse scale, offset) produced their
 *    best codes instead of copying the codes at every improvement; the codes
 *    are rebuilt only for sub-blocks that need them (tp_qk_sub in q_k.h);
 *  - loop-invariant products (the weights w and w*x of make_qx_quants) are
 *    computed once; being the same binary32 operations they round the same.
 * The "finish" functions (scale packing, re-quantization, bit packing) are
 * shared with the SIMD paths.
 */
#include "q_k.h"

#include <math.h>

/* ---- small helpers ----------------------------------------------------- */

static inline int qk_clamp(int v, int lo, int hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

static inline uint16_t qk_h(float f) { return tp_quant_f32_to_f16(f); }
static inline float qk_H(const uint8_t *p) {
  return tp_quant_f16_to_f32(tp_load_le16(p));
}

void tp_qk_rebuild_asym(const float *x, int n, int nmax, const tp_qk_sub *s,
                        uint8_t *L) {
  int i;
  if (s->l_zero) {
    for (i = 0; i < n; i++) L[i] = 0;
    return;
  }
  for (i = 0; i < n; i++) {
    L[i] = (uint8_t)qk_clamp(tp_nearest_int(s->l_iscale * (x[i] - s->l_lo)),
                             0, nmax);
  }
}

/* ---- make_qkx2_quants (Q2_K, Q4_K, Q5_K) -------------------------------- */

/* The asymmetric search of llama.cpp's make_qkx2_quants: a min/max start,
 * then nstep+1 candidate inverse scales around nmax/(max-min), each refined
 * by a weighted least-squares fit of scale and offset; the candidate with
 * the smallest weighted error (absolute with use_mad, squared otherwise)
 * wins. Always inlined so that n, nmax and the search constants fold. */
static inline __attribute__((always_inline)) tp_qk_sub
qk_qkx2_search(int n, int nmax, const float *x, const float *w, float rmin,
               float rdelta, int nstep, bool use_mad) {
  tp_qk_sub r;
  float min = x[0], max = x[0];
  float sum_w = w[0];
  float sum_x = sum_w * x[0];
  float iscale, scale, best_error = 0;
  float laux[32];
  int i, is;

  for (i = 1; i < n; i++) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    sum_w += w[i];
    sum_x += w[i] * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    r.scale = 0.0f;
    r.min = -min;
    r.l_iscale = 0.0f;
    r.l_lo = 0.0f;
    r.l_zero = 1;
    return r;
  }
  iscale = (float)nmax / (max - min);
  scale = 1 / iscale;
  for (i = 0; i < n; i++) {
    int l = qk_clamp(tp_nearest_int(iscale * (x[i] - min)), 0, nmax);
    float diff = scale * (float)l + min - x[i];
    diff = use_mad ? fabsf(diff) : diff * diff;
    best_error += w[i] * diff;
  }
  r.l_iscale = iscale;
  r.l_lo = min;
  r.l_zero = 0;
  for (is = 0; is <= nstep; is++) {
    float sum_l = 0, sum_l2 = 0, sum_xl = 0, D;
    iscale = (rmin + rdelta * (float)is + (float)nmax) / (max - min);
    for (i = 0; i < n; i++) {
      int l = qk_clamp(tp_nearest_int(iscale * (x[i] - min)), 0, nmax);
      float fl = (float)l, wl = w[i] * fl;
      laux[i] = fl;
      sum_l += wl;
      sum_l2 += wl * fl;
      sum_xl += wl * x[i];
    }
    D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      float cur_error = 0;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      for (i = 0; i < n; i++) {
        float diff = this_scale * laux[i] + this_min - x[i];
        diff = use_mad ? fabsf(diff) : diff * diff;
        cur_error += w[i] * diff;
      }
      if (cur_error < best_error) {
        r.l_iscale = iscale;
        r.l_lo = min;
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  r.scale = scale;
  r.min = -min;
  return r;
}

/* ---- make_qx_quants (Q6_K: n = 16, nmax = 32, rmse_type = 1) ------------ */

static tp_qk_sub qk_qx_search_q6(const float *x) {
  tp_qk_sub r = {0.0f, 0.0f, 0.0f, 0.0f, 1};
  float max = 0, amax = 0, iscale, sumlx = 0, suml2 = 0, scale, best;
  float w[16], wx[16];
  int i, is;

  for (i = 0; i < 16; i++) {
    float ax = fabsf(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < TP_QK_GROUP_MAX_EPS) return r;
  iscale = -32.0f / max;
  for (i = 0; i < 16; i++) {
    int l = qk_clamp(tp_nearest_int(iscale * x[i]), -32, 31);
    float fl = (float)l;
    w[i] = x[i] * x[i];
    wx[i] = w[i] * x[i];
    sumlx += wx[i] * fl;
    suml2 += w[i] * fl * fl;
  }
  scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
  best = scale * sumlx;
  r.l_iscale = iscale;
  r.l_zero = 0;
  for (is = -9; is <= 9; is++) {
    if (is == 0) continue;
    iscale = -(32.0f + 0.1f * (float)is) / max;
    sumlx = suml2 = 0;
    for (i = 0; i < 16; i++) {
      float fl = (float)qk_clamp(tp_nearest_int(iscale * x[i]), -32, 31);
      sumlx += wx[i] * fl;
      suml2 += w[i] * fl * fl;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      r.l_iscale = iscale;
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  r.scale = scale;
  return r;
}

/* ---- make_q3_quants (Q3_K: n = 16, nmax = 4, do_rmse = true) ------------ */

static float qk_q3_search(const float *x, int8_t *L) {
  float max = 0, amax = 0, iscale, sumlx = 0, suml2 = 0;
  int i, itry;

  for (i = 0; i < 16; i++) {
    float ax = fabsf(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < TP_QK_GROUP_MAX_EPS) {
    for (i = 0; i < 16; i++) L[i] = 0;
    return 0.0f;
  }
  iscale = -4.0f / max;
  for (i = 0; i < 16; i++) {
    int l = qk_clamp(tp_nearest_int(iscale * x[i]), -4, 3);
    float w = x[i] * x[i];
    L[i] = (int8_t)l;
    sumlx += w * x[i] * (float)l;
    suml2 += w * (float)l * (float)l;
  }
  for (itry = 0; itry < 5; itry++) {
    int n_changed = 0;
    for (i = 0; i < 16; i++) {
      float w = x[i] * x[i];
      float slx = sumlx - w * x[i] * (float)L[i];
      if (slx > 0) {
        float sl2 = suml2 - w * (float)L[i] * (float)L[i];
        int new_l = qk_clamp(tp_nearest_int(x[i] * sl2 / slx), -4, 3);
        if (new_l != L[i]) {
          slx += w * x[i] * (float)new_l;
          sl2 += w * (float)new_l * (float)new_l;
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = (int8_t)new_l;
            sumlx = slx;
            suml2 = sl2;
            n_changed++;
          }
        }
      }
    }
    if (!n_changed) break;
  }
  for (i = 0; i < 16; i++) L[i] = (int8_t)(L[i] + 4);
  return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

/* ---- Q2_K ------------------------------------------------------------- */
/* Layout: scales[16] @0, qs[64] @16, d @80, dmin @82. */

void tp_qk_scales_q2_k(const tp_qk_sub *sub, uint8_t *y, float *dq,
                       float *dm) {
  uint8_t *scales = y;
  float max_scale = 0, max_min = 0, d, dmin;
  int j;

  for (j = 0; j < 16; j++) {
    if (sub[j].scale > max_scale) max_scale = sub[j].scale;
    if (sub[j].min > max_min) max_min = sub[j].min;
  }
  if (max_scale > 0) {
    float iscale = 15.0f / max_scale;
    for (j = 0; j < 16; j++)
      scales[j] = (uint8_t)tp_nearest_int(iscale * sub[j].scale);
    tp_store_le16(y + 80, qk_h(max_scale / 15.0f));
  } else {
    for (j = 0; j < 16; j++) scales[j] = 0;
    tp_store_le16(y + 80, qk_h(0.0f));
  }
  if (max_min > 0) {
    float iscale = 15.0f / max_min;
    for (j = 0; j < 16; j++) {
      /* unsigned shift: the same bits as upstream's int shift, without
       * undefined behaviour should l ever be negative (it cannot for finite
       * input) */
      unsigned l = (unsigned)tp_nearest_int(iscale * sub[j].min);
      scales[j] = (uint8_t)(scales[j] | (l << 4));
    }
    tp_store_le16(y + 82, qk_h(max_min / 15.0f));
  } else {
    tp_store_le16(y + 82, qk_h(0.0f));
  }
  d = qk_H(y + 80);
  dmin = qk_H(y + 82);
  for (j = 0; j < 16; j++) {
    dq[j] = d * (float)(scales[j] & 0xF);
    dm[j] = dmin * (float)(scales[j] >> 4);
  }
}

void tp_qk_pack_q2_k(const uint8_t *L, uint8_t *y) {
  uint8_t *qs = y + 16;
  int j, i;
  for (j = 0; j < TP_QK_K; j += 128) {
    for (i = 0; i < 32; i++) {
      qs[j / 4 + i] = (uint8_t)(L[j + i] | (L[j + i + 32] << 2) |
                                (L[j + i + 64] << 4) | (L[j + i + 96] << 6));
    }
  }
}

void tp_qk_finish_q2_k(const float *x, const tp_qk_sub *sub, uint8_t *y) {
  uint8_t L[TP_QK_K];
  float dq[16], dm[16];
  int j, i;

  tp_qk_scales_q2_k(sub, y, dq, dm);
  for (j = 0; j < 16; j++) {
    const float *xs = x + 16 * j;
    if (dq[j] == 0.0f) {
      tp_qk_rebuild_asym(xs, 16, 3, &sub[j], L + 16 * j);
      continue;
    }
    for (i = 0; i < 16; i++)
      L[16 * j + i] =
          (uint8_t)qk_clamp(tp_nearest_int((xs[i] + dm[j]) / dq[j]), 0, 3);
  }
  tp_qk_pack_q2_k(L, y);
}

void tp_q2_k_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = vy;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_QK_K, y += TP_Q2_K_BYTES) {
    tp_qk_sub sub[16];
    float w[16];
    int j, l;
    for (j = 0; j < 16; j++) {
      for (l = 0; l < 16; l++) w[l] = fabsf(x[16 * j + l]);
      sub[j] = qk_qkx2_search(16, 3, x + 16 * j, w, -0.5f, 0.1f, 15, true);
    }
    tp_qk_finish_q2_k(x, sub, y);
  }
}

void tp_q2_k_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = vx;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_Q2_K_BYTES) {
    const float d = qk_H(x + 80), min = qk_H(x + 82);
    const uint8_t *q = x + 16;
    int is = 0, half, j, l;
    for (half = 0; half < 2; half++, q += 32) {
      for (j = 0; j < 4; j++) {
        int shift = 2 * j, k;
        for (k = 0; k < 2; k++) {
          uint8_t sc = x[is++];
          float dl = d * (float)(sc & 0xF), ml = min * (float)(sc >> 4);
          for (l = 0; l < 16; l++)
            *y++ = dl * (float)((q[16 * k + l] >> shift) & 3) - ml;
        }
      }
    }
  }
}

/* ---- Q3_K ------------------------------------------------------------- */
/* Layout: hmask[32] @0, qs[64] @32, scales[12] @96, d @108. */

void tp_qk_scales_q3_k(const float *scales_f, uint8_t *y, float *dq) {
  uint8_t *sc = y + 96;
  float max_scale = 0, amax = 0, d;
  int j;

  for (j = 0; j < 16; j++) {
    float s = fabsf(scales_f[j]);
    if (s > amax) {
      amax = s;
      max_scale = scales_f[j];
    }
  }
  memset(sc, 0, 12);
  if (max_scale != 0.0f) {
    float iscale = -32.0f / max_scale;
    for (j = 0; j < 16; j++) {
      int8_t l = (int8_t)tp_nearest_int(iscale * scales_f[j]);
      l = (int8_t)(qk_clamp(l, -32, 31) + 32);
      if (j < 8)
        sc[j] = (uint8_t)(l & 0xF);
      else
        sc[j - 8] = (uint8_t)(sc[j - 8] | ((l & 0xF) << 4));
      l = (int8_t)(l >> 4);
      sc[j % 4 + 8] = (uint8_t)(sc[j % 4 + 8] | (l << (2 * (j / 4))));
    }
    tp_store_le16(y + 108, qk_h(1 / iscale));
  } else {
    tp_store_le16(y + 108, qk_h(0.0f));
  }
  d = qk_H(y + 108);
  for (j = 0; j < 16; j++) {
    int s = j < 8 ? sc[j] & 0xF : sc[j - 8] >> 4;
    s = (s | (((sc[8 + j % 4] >> (2 * (j / 4))) & 3) << 4)) - 32;
    dq[j] = d * (float)s;
  }
}

void tp_qk_pack_q3_k(int8_t *L, uint8_t *y) {
  uint8_t *hmask = y, *qs = y + 32;
  int j, i;
  /* codes above 3 lose 4 and set bit j/32 of hmask[j%32]; written without
   * a branch because the condition is random (it mispredicted half the
   * time and dominated the SIMD path) */
  memset(hmask, 0, 32);
  for (j = 0; j < TP_QK_K; j++) {
    int hi = L[j] > 3;
    hmask[j % 32] = (uint8_t)(hmask[j % 32] | (hi << (j / 32)));
    L[j] = (int8_t)(L[j] - 4 * hi);
  }
  for (j = 0; j < TP_QK_K; j += 128) {
    for (i = 0; i < 32; i++) {
      qs[j / 4 + i] = (uint8_t)(L[j + i] | (L[j + i + 32] << 2) |
                                (L[j + i + 64] << 4) | (L[j + i + 96] << 6));
    }
  }
}

void tp_qk_finish_q3_k(const float *x, const float *scales_f, int8_t *L,
                       uint8_t *y) {
  float dq[16];
  int j, i;
  tp_qk_scales_q3_k(scales_f, y, dq);
  for (j = 0; j < 16; j++) {
    if (dq[j] == 0.0f) continue;
    for (i = 0; i < 16; i++)
      L[16 * j + i] = (int8_t)(
          qk_clamp(tp_nearest_int(x[16 * j + i] / dq[j]), -4, 3) + 4);
  }
  tp_qk_pack_q3_k(L, y);
}

void tp_q3_k_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = vy;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_QK_K, y += TP_Q3_K_BYTES) {
    int8_t L[TP_QK_K];
    float scales[16];
    int j;
    for (j = 0; j < 16; j++) scales[j] = qk_q3_search(x + 16 * j, L + 16 * j);
    tp_qk_finish_q3_k(x, scales, L, y);
  }
}

/* The 16 six-bit scales of Q3_K, unpacked (minus 32). */
static void qk_q3_scales(const uint8_t *p, int *out) {
  int j;
  for (j = 0; j < 16; j++) {
    int lo = j < 8 ? p[j] & 0xF : p[j - 8] >> 4;
    int hi = (p[8 + j % 4] >> (2 * (j / 4))) & 3;
    out[j] = (lo | (hi << 4)) - 32;
  }
}

void tp_q3_k_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = vx;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_Q3_K_BYTES) {
    const float d_all = qk_H(x + 108);
    const uint8_t *hm = x, *q = x + 32;
    int scales[16], is = 0, half, j, k, l;
    uint8_t m = 1;
    qk_q3_scales(x + 96, scales);
    for (half = 0; half < 2; half++, q += 32) {
      for (j = 0; j < 4; j++, m = (uint8_t)(m << 1)) {
        int shift = 2 * j;
        for (k = 0; k < 2; k++) {
          float dl = d_all * (float)scales[is++];
          for (l = 0; l < 16; l++) {
            int v = ((q[16 * k + l] >> shift) & 3) -
                    ((hm[16 * k + l] & m) ? 0 : 4);
            *y++ = dl * (float)v;
          }
        }
      }
    }
  }
}

/* ---- Q4_K and Q5_K ----------------------------------------------------- */
/* Q4_K: d @0, dmin @2, scales[12] @4, qs[128] @16.
 * Q5_K: d @0, dmin @2, scales[12] @4, qh[32] @16, qs[128] @48. */

void tp_qk_scales_q45(const tp_qk_sub *sub, uint8_t *y, float *dq,
                      float *dm) {
  uint8_t *scales = y + 4;
  float max_scale = 0, max_min = 0, inv_scale, inv_min, d, dmin;
  int j;

  for (j = 0; j < 8; j++) {
    if (sub[j].scale > max_scale) max_scale = sub[j].scale;
    if (sub[j].min > max_min) max_min = sub[j].min;
  }
  inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.0f;
  inv_min = max_min > 0 ? 63.0f / max_min : 0.0f;
  for (j = 0; j < 8; j++) {
    uint8_t ls = (uint8_t)tp_nearest_int(inv_scale * sub[j].scale);
    uint8_t lm = (uint8_t)tp_nearest_int(inv_min * sub[j].min);
    ls = TP_MIN(63, ls);
    lm = TP_MIN(63, lm);
    if (j < 4) {
      scales[j] = ls;
      scales[j + 4] = lm;
    } else {
      scales[j + 4] = (uint8_t)((ls & 0xF) | ((lm & 0xF) << 4));
      scales[j - 4] = (uint8_t)(scales[j - 4] | ((ls >> 4) << 6));
      scales[j] = (uint8_t)(scales[j] | ((lm >> 4) << 6));
    }
  }
  tp_store_le16(y, qk_h(max_scale / 63.0f));
  tp_store_le16(y + 2, qk_h(max_min / 63.0f));
  d = qk_H(y);
  dmin = qk_H(y + 2);
  for (j = 0; j < 8; j++) {
    uint8_t sc, m;
    tp_qk_get_scale_min_k4(j, scales, &sc, &m);
    dq[j] = d * (float)sc;
    dm[j] = dmin * (float)m;
  }
}

/* Re-quantization of Q4_K/Q5_K against the rounded scales. */
static void qk_codes_q45(const float *x, const tp_qk_sub *sub, int nmax,
                         const float *dq, const float *dm, uint8_t *L) {
  int j, i;
  for (j = 0; j < 8; j++) {
    const float *xs = x + 32 * j;
    if (dq[j] == 0.0f) {
      tp_qk_rebuild_asym(xs, 32, nmax, &sub[j], L + 32 * j);
      continue;
    }
    for (i = 0; i < 32; i++)
      L[32 * j + i] = (uint8_t)qk_clamp(
          tp_nearest_int((xs[i] + dm[j]) / dq[j]), 0, nmax);
  }
}

void tp_qk_pack_q4_k(const uint8_t *L, uint8_t *y) {
  uint8_t *q = y + 16;
  int j, l;
  for (j = 0; j < TP_QK_K; j += 64, q += 32)
    for (l = 0; l < 32; l++) q[l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 4));
}

void tp_qk_pack_q5_k(const uint8_t *L, uint8_t *y) {
  uint8_t *qh = y + 16, *ql = y + 48;
  uint8_t m1 = 1, m2 = 2;
  int n, j;
  memset(qh, 0, 32);
  for (n = 0; n < TP_QK_K; n += 64, ql += 32) {
    for (j = 0; j < 32; j++) {
      int l1 = L[n + j], l2 = L[n + j + 32];
      if (l1 > 15) {
        l1 -= 16;
        qh[j] = (uint8_t)(qh[j] | m1);
      }
      if (l2 > 15) {
        l2 -= 16;
        qh[j] = (uint8_t)(qh[j] | m2);
      }
      ql[j] = (uint8_t)(l1 | (l2 << 4));
    }
    m1 = (uint8_t)(m1 << 2);
    m2 = (uint8_t)(m2 << 2);
  }
}

void tp_qk_finish_q4_k(const float *x, const tp_qk_sub *sub, uint8_t *y) {
  uint8_t L[TP_QK_K];
  float dq[8], dm[8];
  tp_qk_scales_q45(sub, y, dq, dm);
  qk_codes_q45(x, sub, 15, dq, dm, L);
  tp_qk_pack_q4_k(L, y);
}

void tp_qk_finish_q5_k(const float *x, const tp_qk_sub *sub, uint8_t *y) {
  uint8_t L[TP_QK_K];
  float dq[8], dm[8];
  tp_qk_scales_q45(sub, y, dq, dm);
  qk_codes_q45(x, sub, 31, dq, dm, L);
  tp_qk_pack_q5_k(L, y);
}

/* Weights of Q4_K/Q5_K: av + |x| with av the RMS of the sub-block. */
static void qk_weights_32(const float *x, float *w) {
  float sum_x2 = 0, av_x;
  int l;
  for (l = 0; l < 32; l++) sum_x2 += x[l] * x[l];
  av_x = sqrtf(sum_x2 / 32);
  for (l = 0; l < 32; l++) w[l] = av_x + fabsf(x[l]);
}

void tp_q4_k_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = vy;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_QK_K, y += TP_Q4_K_BYTES) {
    tp_qk_sub sub[8];
    float w[32];
    int j;
    for (j = 0; j < 8; j++) {
      qk_weights_32(x + 32 * j, w);
      sub[j] = qk_qkx2_search(32, 15, x + 32 * j, w, -1.0f, 0.1f, 20, false);
    }
    tp_qk_finish_q4_k(x, sub, y);
  }
}

void tp_q5_k_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = vy;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_QK_K, y += TP_Q5_K_BYTES) {
    tp_qk_sub sub[8];
    float w[32];
    int j;
    for (j = 0; j < 8; j++) {
      qk_weights_32(x + 32 * j, w);
      sub[j] = qk_qkx2_search(32, 31, x + 32 * j, w, -0.5f, 0.1f, 15, false);
    }
    tp_qk_finish_q5_k(x, sub, y);
  }
}

void tp_q4_k_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = vx;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_Q4_K_BYTES) {
    const float d = qk_H(x), min = qk_H(x + 2);
    const uint8_t *q = x + 16;
    int is = 0, j, l;
    for (j = 0; j < TP_QK_K; j += 64, q += 32, is += 2) {
      uint8_t sc, m;
      float d1, m1, d2, m2;
      tp_qk_get_scale_min_k4(is, x + 4, &sc, &m);
      d1 = d * (float)sc;
      m1 = min * (float)m;
      tp_qk_get_scale_min_k4(is + 1, x + 4, &sc, &m);
      d2 = d * (float)sc;
      m2 = min * (float)m;
      for (l = 0; l < 32; l++) *y++ = d1 * (float)(q[l] & 0xF) - m1;
      for (l = 0; l < 32; l++) *y++ = d2 * (float)(q[l] >> 4) - m2;
    }
  }
}

void tp_q5_k_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = vx;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_Q5_K_BYTES) {
    const float d = qk_H(x), min = qk_H(x + 2);
    const uint8_t *qh = x + 16, *ql = x + 48;
    uint8_t u1 = 1, u2 = 2;
    int is = 0, j, l;
    for (j = 0; j < TP_QK_K; j += 64, ql += 32, is += 2) {
      uint8_t sc, m;
      float d1, m1, d2, m2;
      tp_qk_get_scale_min_k4(is, x + 4, &sc, &m);
      d1 = d * (float)sc;
      m1 = min * (float)m;
      tp_qk_get_scale_min_k4(is + 1, x + 4, &sc, &m);
      d2 = d * (float)sc;
      m2 = min * (float)m;
      for (l = 0; l < 32; l++)
        *y++ = d1 * (float)((ql[l] & 0xF) + (qh[l] & u1 ? 16 : 0)) - m1;
      for (l = 0; l < 32; l++)
        *y++ = d2 * (float)((ql[l] >> 4) + (qh[l] & u2 ? 16 : 0)) - m2;
      u1 = (uint8_t)(u1 << 2);
      u2 = (uint8_t)(u2 << 2);
    }
  }
}

/* ---- Q6_K ------------------------------------------------------------- */
/* Layout: ql[128] @0, qh[64] @128, scales[16] (int8) @192, d @208. */

bool tp_qk_scales_q6_k(const tp_qk_sub *sub, uint8_t *y, float *dq) {
  int8_t *scales = (int8_t *)(y + 192);
  float max_scale = 0, max_abs_scale = 0, iscale, d;
  int j;

  for (j = 0; j < 16; j++) {
    float a = fabsf(sub[j].scale);
    if (a > max_abs_scale) {
      max_abs_scale = a;
      max_scale = sub[j].scale;
    }
  }
  if (max_abs_scale < TP_QK_GROUP_MAX_EPS) {
    memset(y, 0, TP_Q6_K_BYTES);
    tp_store_le16(y + 208, qk_h(0.0f));
    return false;
  }
  iscale = -128.0f / max_scale;
  tp_store_le16(y + 208, qk_h(1 / iscale));
  for (j = 0; j < 16; j++)
    scales[j] = (int8_t)TP_MIN(127, tp_nearest_int(iscale * sub[j].scale));
  d = qk_H(y + 208);
  for (j = 0; j < 16; j++) dq[j] = d * (float)scales[j];
  return true;
}

void tp_qk_rebuild_q6_k(const float *x, const tp_qk_sub *s, uint8_t *L) {
  int i;
  for (i = 0; i < 16; i++)
    L[i] = s->l_zero ? 0
                     : (uint8_t)(32 + qk_clamp(tp_nearest_int(s->l_iscale * x[i]),
                                               -32, 31));
}

void tp_qk_pack_q6_k(const uint8_t *L, uint8_t *y) {
  uint8_t *ql = y, *qh = y + 128;
  int j, i;
  for (j = 0; j < TP_QK_K; j += 128, ql += 64, qh += 32) {
    for (i = 0; i < 32; i++) {
      const uint8_t q1 = L[j + i] & 0xF, q2 = L[j + i + 32] & 0xF;
      const uint8_t q3 = L[j + i + 64] & 0xF, q4 = L[j + i + 96] & 0xF;
      ql[i] = (uint8_t)(q1 | (q3 << 4));
      ql[i + 32] = (uint8_t)(q2 | (q4 << 4));
      qh[i] = (uint8_t)((L[j + i] >> 4) | ((L[j + i + 32] >> 4) << 2) |
                        ((L[j + i + 64] >> 4) << 4) |
                        ((L[j + i + 96] >> 4) << 6));
    }
  }
}

void tp_qk_finish_q6_k(const float *x, const tp_qk_sub *sub, uint8_t *y) {
  uint8_t L[TP_QK_K];
  float dq[16];
  int j, i;

  if (!tp_qk_scales_q6_k(sub, y, dq)) return;
  for (j = 0; j < 16; j++) {
    const float *xs = x + 16 * j;
    if (dq[j] == 0.0f) {
      /* keep the codes of the search (all 0 for an all-zero group) */
      tp_qk_rebuild_q6_k(xs, &sub[j], L + 16 * j);
      continue;
    }
    for (i = 0; i < 16; i++)
      L[16 * j + i] =
          (uint8_t)(qk_clamp(tp_nearest_int(xs[i] / dq[j]), -32, 31) + 32);
  }
  tp_qk_pack_q6_k(L, y);
}

void tp_q6_k_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = vy;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_QK_K, y += TP_Q6_K_BYTES) {
    tp_qk_sub sub[16];
    int j;
    for (j = 0; j < 16; j++) sub[j] = qk_qx_search_q6(x + 16 * j);
    tp_qk_finish_q6_k(x, sub, y);
  }
}

void tp_q6_k_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = vx;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_Q6_K_BYTES) {
    const float d = qk_H(x + 208);
    const uint8_t *ql = x, *qh = x + 128;
    const int8_t *sc = (const int8_t *)(x + 192);
    int half, l;
    for (half = 0; half < 2; half++, y += 128, ql += 64, qh += 32, sc += 8) {
      for (l = 0; l < 32; l++) {
        int is = l / 16;
        int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * (float)sc[is] * (float)q1;
        y[l + 32] = d * (float)sc[is + 2] * (float)q2;
        y[l + 64] = d * (float)sc[is + 4] * (float)q3;
        y[l + 96] = d * (float)sc[is + 6] * (float)q4;
      }
    }
  }
}

/* ---- unpacking for the SIMD decoders ----------------------------------- */

void tp_qk_unpack_q2_k(const uint8_t *x, int8_t *q, float *dl, float *ml) {
  const float d = qk_H(x + 80), min = qk_H(x + 82);
  int h, k, l, j;
  for (h = 0; h < 2; h++)
    for (k = 0; k < 4; k++)
      for (l = 0; l < 32; l++)
        q[128 * h + 32 * k + l] = (int8_t)((x[16 + 32 * h + l] >> (2 * k)) & 3);
  for (j = 0; j < 16; j++) {
    dl[j] = d * (float)(x[j] & 0xF);
    ml[j] = min * (float)(x[j] >> 4);
  }
}

void tp_qk_unpack_q3_k(const uint8_t *x, int8_t *q, float *dl) {
  const float d = qk_H(x + 108);
  int scales[16], h, k, l, j;
  qk_q3_scales(x + 96, scales);
  for (h = 0; h < 2; h++)
    for (k = 0; k < 4; k++)
      for (l = 0; l < 32; l++) {
        const int e = 128 * h + 32 * k + l;
        q[e] = (int8_t)(((x[32 + 32 * h + l] >> (2 * k)) & 3) -
                        (((x[l] >> (e / 32)) & 1) ? 0 : 4));
      }
  for (j = 0; j < 16; j++) dl[j] = d * (float)scales[j];
}

void tp_qk_unpack_q4_k(const uint8_t *x, int8_t *q, float *dl, float *ml) {
  const float d = qk_H(x), min = qk_H(x + 2);
  int g, l, j;
  for (g = 0; g < 4; g++)
    for (l = 0; l < 32; l++) {
      q[64 * g + l] = (int8_t)(x[16 + 32 * g + l] & 0xF);
      q[64 * g + 32 + l] = (int8_t)(x[16 + 32 * g + l] >> 4);
    }
  for (j = 0; j < 8; j++) {
    uint8_t sc, m;
    tp_qk_get_scale_min_k4(j, x + 4, &sc, &m);
    dl[2 * j] = dl[2 * j + 1] = d * (float)sc;
    ml[2 * j] = ml[2 * j + 1] = min * (float)m;
  }
}

void tp_qk_unpack_q5_k(const uint8_t *x, int8_t *q, float *dl, float *ml) {
  const float d = qk_H(x), min = qk_H(x + 2);
  const uint8_t *qh = x + 16, *ql = x + 48;
  int g, l, j;
  for (g = 0; g < 4; g++)
    for (l = 0; l < 32; l++) {
      q[64 * g + l] =
          (int8_t)((ql[32 * g + l] & 0xF) + (((qh[l] >> (2 * g)) & 1) << 4));
      q[64 * g + 32 + l] = (int8_t)((ql[32 * g + l] >> 4) +
                                    (((qh[l] >> (2 * g + 1)) & 1) << 4));
    }
  for (j = 0; j < 8; j++) {
    uint8_t sc, m;
    tp_qk_get_scale_min_k4(j, x + 4, &sc, &m);
    dl[2 * j] = dl[2 * j + 1] = d * (float)sc;
    ml[2 * j] = ml[2 * j + 1] = min * (float)m;
  }
}

void tp_qk_unpack_q6_k(const uint8_t *x, int8_t *q, float *dl) {
  const float d = qk_H(x + 208);
  const int8_t *sc = (const int8_t *)(x + 192);
  int h, l, j;
  for (h = 0; h < 2; h++) {
    const uint8_t *ql = x + 64 * h, *qh = x + 128 + 32 * h;
    for (l = 0; l < 32; l++) {
      q[128 * h + l] = (int8_t)(((ql[l] & 0xF) | ((qh[l] & 3) << 4)) - 32);
      q[128 * h + 32 + l] =
          (int8_t)(((ql[32 + l] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32);
      q[128 * h + 64 + l] =
          (int8_t)(((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32);
      q[128 * h + 96 + l] =
          (int8_t)(((ql[32 + l] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32);
    }
  }
  for (j = 0; j < 16; j++) dl[j] = d * (float)sc[j];
}

/* ---- Q8_K ------------------------------------------------------------- */
/* Layout: d (binary32) @0, qs[256] (int8) @4, bsums[16] (int16) @260. */

void tp_q8_k_quantize_ref(const float *x, void *vy, size_t n) {
  uint8_t *y = vy;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_QK_K, y += TP_Q8_K_BYTES) {
    int8_t *qs = (int8_t *)(y + 4);
    float max = 0, amax = 0, iscale;
    int j, i;
    for (j = 0; j < TP_QK_K; j++) {
      float ax = fabsf(x[j]);
      if (ax > amax) {
        amax = ax;
        max = x[j];
      }
    }
    if (amax == 0.0f) {
      /* upstream leaves bsums unwritten here; zeros are the only
       * deterministic choice and what a zeroed buffer would hold */
      memset(y, 0, TP_Q8_K_BYTES);
      continue;
    }
    iscale = -127.0f / max;
    for (j = 0; j < TP_QK_K; j++)
      qs[j] = (int8_t)TP_MIN(127, tp_nearest_int(iscale * x[j]));
    for (j = 0; j < 16; j++) {
      int sum = 0;
      for (i = 0; i < 16; i++) sum += qs[16 * j + i];
      tp_store_le16(y + 260 + 2 * j, (uint16_t)(int16_t)sum);
    }
    tp_store_le32(y, tp_f32_bits(1 / iscale));
  }
}

void tp_q8_k_dequantize_ref(const void *vx, float *y, size_t n) {
  const uint8_t *x = vx;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_Q8_K_BYTES) {
    const float d = tp_bits_f32(tp_load_le32(x));
    const int8_t *qs = (const int8_t *)(x + 4);
    int j;
    for (j = 0; j < TP_QK_K; j++) *y++ = d * (float)qs[j];
  }
}
