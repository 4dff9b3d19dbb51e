/*
 * q_k_neon.c - NEON K-quant codecs, byte-identical to the scalar reference.
 *
 * The same design as q_k_x86.c, with 4 lanes per vector: each lane runs
 * the whole scalar search of one sub-block (structure of arrays), with the
 * scalar operation order, and branches become per-lane masks and selects.
 * The functions follow q_k_x86.c one for one so that the two can be read
 * side by side. Differences that matter for exactness:
 *  - NEON's vminq/vmaxq return NaN when either input is NaN, unlike the
 *    scalar "if (x < min) min = x"; the updates therefore use an explicit
 *    compare and select;
 *  - the build passes -ffp-contract=off, so no multiply and add below is
 *    fused into an FMA (which would change codes).
 * Scale packing, re-quantization and bit packing go through the shared
 * finish functions of q_k.c.
 */
#include "q_k.h"

#if defined(__aarch64__)

#include <arm_neon.h>

#define QK_INLINE static inline __attribute__((always_inline))

/* ---- vector helpers ---------------------------------------------------- */

/* tp_nearest_int on 4 lanes: the same add, reinterpretation and masking. */
QK_INLINE int32x4_t qk_nearest(float32x4_t v) {
  int32x4_t i = vreinterpretq_s32_f32(vaddq_f32(v, vdupq_n_f32(12582912.f)));
  i = vandq_s32(i, vdupq_n_s32(0x007fffff));
  return vsubq_s32(i, vdupq_n_s32(0x00400000));
}

/* clamp(nearest_int(v), lo, hi) converted back to float. */
QK_INLINE float32x4_t qk_code(float32x4_t v, int lo, int hi) {
  int32x4_t l = qk_nearest(v);
  l = vmaxq_s32(l, vdupq_n_s32(lo));
  l = vminq_s32(l, vdupq_n_s32(hi));
  return vcvtq_f32_s32(l);
}

/* Select: lanes of m (all ones) take b, the others a. */
QK_INLINE float32x4_t qk_sel(float32x4_t a, float32x4_t b, uint32x4_t m) {
  return vbslq_f32(m, b, a);
}

QK_INLINE int qk_any(uint32x4_t m) { return vmaxvq_u32(m) != 0; }

/* Gathers sub-blocks of n values into structure-of-arrays form: group g,
 * lane j holds the sub-block starting at x + (4*g + j)*n. */
QK_INLINE void qk_to_soa(const float *x, int G, int n, float32x4_t *xt) {
  int g, i, j;
  for (g = 0; g < G; g++) {
    for (i = 0; i < n; i++) {
      float t[4];
      for (j = 0; j < 4; j++) t[j] = x[(4 * g + j) * n + i];
      xt[g * n + i] = vld1q_f32(t);
    }
  }
}

/* Writes the per-lane results of one group into tp_qk_sub records; lanes
 * set in zero had their codes set to 0 by an early return. */
QK_INLINE void qk_store_sub(float32x4_t scale, float32x4_t min,
                            float32x4_t l_iscale, float32x4_t l_lo,
                            uint32x4_t zero, tp_qk_sub *sub) {
  float a[4], b[4], c[4], d[4];
  uint32_t z[4];
  int j;
  vst1q_f32(a, scale);
  vst1q_f32(b, min);
  vst1q_f32(c, l_iscale);
  vst1q_f32(d, l_lo);
  vst1q_u32(z, zero);
  for (j = 0; j < 4; j++) {
    sub[j].scale = a[j];
    sub[j].min = b[j];
    sub[j].l_iscale = c[j];
    sub[j].l_lo = d[j];
    sub[j].l_zero = z[j] != 0;
  }
}

/* ---- make_qkx2_quants on 4*G lanes ------------------------------------- */

enum { QK_MAXG = 4 };

QK_INLINE void qk_qkx2_v(int G, int n, int nmax, const float32x4_t *xt,
                         const float32x4_t *wt, float rmin, float rdelta,
                         int nstep, bool use_mad, tp_qk_sub *out) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  float32x4_t laux[QK_MAXG * 32];
  float32x4_t min[QK_MAXG], max[QK_MAXG], sum_w[QK_MAXG], sum_x[QK_MAXG];
  float32x4_t best[QK_MAXG], scale[QK_MAXG], l_is[QK_MAXG], l_lo[QK_MAXG];
  float32x4_t min0[QK_MAXG];
  uint32x4_t flat[QK_MAXG];
  int g, i, is;

  for (g = 0; g < G; g++) {
    const float32x4_t *x = xt + g * n, *w = wt + g * n;
    float32x4_t iscale, range;
    min[g] = max[g] = x[0];
    sum_w[g] = w[0];
    sum_x[g] = vmulq_f32(sum_w[g], x[0]);
    for (i = 1; i < n; i++) {
      min[g] = qk_sel(min[g], x[i], vcltq_f32(x[i], min[g]));
      max[g] = qk_sel(max[g], x[i], vcgtq_f32(x[i], max[g]));
      sum_w[g] = vaddq_f32(sum_w[g], w[i]);
      sum_x[g] = vaddq_f32(sum_x[g], vmulq_f32(w[i], x[i]));
    }
    min[g] = qk_sel(min[g], zero, vcgtq_f32(min[g], zero));
    flat[g] = vceqq_f32(max[g], min[g]);
    min0[g] = min[g];
    range = vsubq_f32(max[g], min[g]);
    iscale = vdivq_f32(vdupq_n_f32((float)nmax), range);
    scale[g] = vdivq_f32(vdupq_n_f32(1.0f), iscale);
    best[g] = zero;
    for (i = 0; i < n; i++) {
      float32x4_t l =
          qk_code(vmulq_f32(iscale, vsubq_f32(x[i], min[g])), 0, nmax);
      float32x4_t diff =
          vsubq_f32(vaddq_f32(vmulq_f32(scale[g], l), min[g]), x[i]);
      diff = use_mad ? vabsq_f32(diff) : vmulq_f32(diff, diff);
      best[g] = vaddq_f32(best[g], vmulq_f32(w[i], diff));
    }
    l_is[g] = iscale;
    l_lo[g] = min[g];
  }

  for (is = 0; is <= nstep; is++) {
    const float num = rmin + rdelta * (float)is + (float)nmax;
    float32x4_t iscale[QK_MAXG], sum_l[QK_MAXG], sum_l2[QK_MAXG];
    float32x4_t sum_xl[QK_MAXG], D[QK_MAXG];
    uint32x4_t dpos[QK_MAXG];
    int any = 0;
    for (g = 0; g < G; g++) {
      iscale[g] = vdivq_f32(vdupq_n_f32(num), vsubq_f32(max[g], min[g]));
      sum_l[g] = sum_l2[g] = sum_xl[g] = zero;
    }
    for (i = 0; i < n; i++) {
      for (g = 0; g < G; g++) {
        const float32x4_t x = xt[g * n + i], w = wt[g * n + i];
        float32x4_t l =
            qk_code(vmulq_f32(iscale[g], vsubq_f32(x, min[g])), 0, nmax);
        float32x4_t wl = vmulq_f32(w, l);
        laux[g * n + i] = l;
        sum_l[g] = vaddq_f32(sum_l[g], wl);
        sum_l2[g] = vaddq_f32(sum_l2[g], vmulq_f32(wl, l));
        sum_xl[g] = vaddq_f32(sum_xl[g], vmulq_f32(wl, x));
      }
    }
    for (g = 0; g < G; g++) {
      D[g] = vsubq_f32(vmulq_f32(sum_w[g], sum_l2[g]),
                       vmulq_f32(sum_l[g], sum_l[g]));
      dpos[g] = vcgtq_f32(D[g], zero);
      any |= qk_any(dpos[g]);
    }
    if (!any) continue;
    {
      float32x4_t ts[QK_MAXG], tm[QK_MAXG], cur[QK_MAXG];
      for (g = 0; g < G; g++) {
        uint32x4_t tpos;
        ts[g] = vdivq_f32(vsubq_f32(vmulq_f32(sum_w[g], sum_xl[g]),
                                    vmulq_f32(sum_x[g], sum_l[g])),
                          D[g]);
        tm[g] = vdivq_f32(vsubq_f32(vmulq_f32(sum_l2[g], sum_x[g]),
                                    vmulq_f32(sum_l[g], sum_xl[g])),
                          D[g]);
        tpos = vcgtq_f32(tm[g], zero);
        tm[g] = qk_sel(tm[g], zero, tpos);
        ts[g] = qk_sel(ts[g], vdivq_f32(sum_xl[g], sum_l2[g]), tpos);
        cur[g] = zero;
      }
      for (i = 0; i < n; i++) {
        for (g = 0; g < G; g++) {
          float32x4_t diff = vsubq_f32(
              vaddq_f32(vmulq_f32(ts[g], laux[g * n + i]), tm[g]),
              xt[g * n + i]);
          diff = use_mad ? vabsq_f32(diff) : vmulq_f32(diff, diff);
          cur[g] = vaddq_f32(cur[g], vmulq_f32(wt[g * n + i], diff));
        }
      }
      for (g = 0; g < G; g++) {
        uint32x4_t upd = vandq_u32(dpos[g], vcltq_f32(cur[g], best[g]));
        l_is[g] = qk_sel(l_is[g], iscale[g], upd);
        l_lo[g] = qk_sel(l_lo[g], min[g], upd);
        best[g] = qk_sel(best[g], cur[g], upd);
        scale[g] = qk_sel(scale[g], ts[g], upd);
        min[g] = qk_sel(min[g], tm[g], upd);
      }
    }
  }

  for (g = 0; g < G; g++) {
    /* lanes with max == min returned early: scale 0, codes 0, offset as
     * before the search */
    float32x4_t s = qk_sel(scale[g], zero, flat[g]);
    float32x4_t m = qk_sel(min[g], min0[g], flat[g]);
    qk_store_sub(s, vnegq_f32(m), l_is[g], l_lo[g], flat[g], out + 4 * g);
  }
}

/* ---- make_qx_quants (Q6_K) on 16 lanes --------------------------------- */

QK_INLINE void qk_qx_v(const float32x4_t *xt, tp_qk_sub *out) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  float32x4_t w[64], wx[64];
  float32x4_t max[4], sumlx[4], suml2[4], scale[4], best[4], l_is[4];
  uint32x4_t zmask[4];
  int g, i, is;

  for (g = 0; g < 4; g++) {
    const float32x4_t *x = xt + 16 * g;
    float32x4_t amax = zero, iscale;
    max[g] = zero;
    for (i = 0; i < 16; i++) {
      float32x4_t ax = vabsq_f32(x[i]);
      uint32x4_t gt = vcgtq_f32(ax, amax);
      amax = qk_sel(amax, ax, gt);
      max[g] = qk_sel(max[g], x[i], gt);
    }
    zmask[g] = vcltq_f32(amax, vdupq_n_f32(TP_QK_GROUP_MAX_EPS));
    iscale = vdivq_f32(vdupq_n_f32(-32.0f), max[g]);
    sumlx[g] = suml2[g] = zero;
    for (i = 0; i < 16; i++) {
      float32x4_t l = qk_code(vmulq_f32(iscale, x[i]), -32, 31);
      w[16 * g + i] = vmulq_f32(x[i], x[i]);
      wx[16 * g + i] = vmulq_f32(w[16 * g + i], x[i]);
      sumlx[g] = vaddq_f32(sumlx[g], vmulq_f32(wx[16 * g + i], l));
      suml2[g] =
          vaddq_f32(suml2[g], vmulq_f32(vmulq_f32(w[16 * g + i], l), l));
    }
    /* "suml2 ? sumlx/suml2 : 0": NaN counts as true */
    scale[g] = vreinterpretq_f32_u32(
        vandq_u32(vreinterpretq_u32_f32(vdivq_f32(sumlx[g], suml2[g])),
                  vmvnq_u32(vceqq_f32(suml2[g], zero))));
    best[g] = vmulq_f32(scale[g], sumlx[g]);
    l_is[g] = iscale;
  }
  for (is = -9; is <= 9; is++) {
    const float num = -(32.0f + 0.1f * (float)is);
    float32x4_t iscale[4];
    if (is == 0) continue;
    for (g = 0; g < 4; g++) {
      iscale[g] = vdivq_f32(vdupq_n_f32(num), max[g]);
      sumlx[g] = suml2[g] = zero;
    }
    for (i = 0; i < 16; i++) {
      for (g = 0; g < 4; g++) {
        float32x4_t l = qk_code(vmulq_f32(iscale[g], xt[16 * g + i]), -32, 31);
        sumlx[g] = vaddq_f32(sumlx[g], vmulq_f32(wx[16 * g + i], l));
        suml2[g] =
            vaddq_f32(suml2[g], vmulq_f32(vmulq_f32(w[16 * g + i], l), l));
      }
    }
    for (g = 0; g < 4; g++) {
      uint32x4_t upd = vandq_u32(
          vcgtq_f32(suml2[g], zero),
          vcgtq_f32(vmulq_f32(sumlx[g], sumlx[g]),
                    vmulq_f32(best[g], suml2[g])));
      float32x4_t s = vdivq_f32(sumlx[g], suml2[g]);
      l_is[g] = qk_sel(l_is[g], iscale[g], upd);
      scale[g] = qk_sel(scale[g], s, upd);
      best[g] = qk_sel(best[g], vmulq_f32(s, sumlx[g]), upd);
    }
  }
  for (g = 0; g < 4; g++) {
    /* all-zero groups: scale 0 and codes 0 */
    float32x4_t s = qk_sel(scale[g], zero, zmask[g]);
    qk_store_sub(s, zero, l_is[g], zero, zmask[g], out + 4 * g);
  }
}

/* ---- make_q3_quants (Q3_K) on 16 lanes --------------------------------- */

/* Writes the 16 scales and the 256 codes (0..7, sub-block-major) of one
 * super-block. A lane stops refining after a pass that changed nothing. */
QK_INLINE void qk_q3_v(const float32x4_t *xt, float *scales, int8_t *L) {
  const float32x4_t zero = vdupq_n_f32(0.0f);
  float32x4_t w[64], wx[64], Lv[64];
  float32x4_t sumlx[4], suml2[4];
  uint32x4_t zmask[4], active[4];
  int g, i, itry, j;

  for (g = 0; g < 4; g++) {
    const float32x4_t *x = xt + 16 * g;
    float32x4_t amax = zero, max = zero, iscale;
    for (i = 0; i < 16; i++) {
      float32x4_t ax = vabsq_f32(x[i]);
      uint32x4_t gt = vcgtq_f32(ax, amax);
      amax = qk_sel(amax, ax, gt);
      max = qk_sel(max, x[i], gt);
    }
    zmask[g] = vcltq_f32(amax, vdupq_n_f32(TP_QK_GROUP_MAX_EPS));
    active[g] = vmvnq_u32(zmask[g]);
    iscale = vdivq_f32(vdupq_n_f32(-4.0f), max);
    sumlx[g] = suml2[g] = zero;
    for (i = 0; i < 16; i++) {
      float32x4_t l = qk_code(vmulq_f32(iscale, x[i]), -4, 3);
      Lv[16 * g + i] = l;
      w[16 * g + i] = vmulq_f32(x[i], x[i]);
      wx[16 * g + i] = vmulq_f32(w[16 * g + i], x[i]);
      sumlx[g] = vaddq_f32(sumlx[g], vmulq_f32(wx[16 * g + i], l));
      suml2[g] =
          vaddq_f32(suml2[g], vmulq_f32(vmulq_f32(w[16 * g + i], l), l));
    }
  }
  for (itry = 0; itry < 5; itry++) {
    uint32x4_t changed[4];
    int any = 0;
    for (g = 0; g < 4; g++) {
      any |= qk_any(active[g]);
      changed[g] = vdupq_n_u32(0);
    }
    if (!any) break;
    for (i = 0; i < 16; i++) {
      for (g = 0; g < 4; g++) {
        const int k = 16 * g + i;
        const float32x4_t x = xt[k], l = Lv[k];
        float32x4_t slx = vsubq_f32(sumlx[g], vmulq_f32(wx[k], l));
        uint32x4_t m = vandq_u32(active[g], vcgtq_f32(slx, zero));
        float32x4_t sl2, nl;
        if (!qk_any(m)) continue;
        sl2 = vsubq_f32(suml2[g], vmulq_f32(vmulq_f32(w[k], l), l));
        nl = qk_code(vdivq_f32(vmulq_f32(x, sl2), slx), -4, 3);
        m = vandq_u32(m, vmvnq_u32(vceqq_f32(nl, l)));
        slx = vaddq_f32(slx, vmulq_f32(wx[k], nl));
        sl2 = vaddq_f32(sl2, vmulq_f32(vmulq_f32(w[k], nl), nl));
        m = vandq_u32(m, vcgtq_f32(sl2, zero));
        m = vandq_u32(m, vcgtq_f32(vmulq_f32(vmulq_f32(slx, slx), suml2[g]),
                                   vmulq_f32(vmulq_f32(sumlx[g], sumlx[g]),
                                             sl2)));
        Lv[k] = qk_sel(l, nl, m);
        sumlx[g] = qk_sel(sumlx[g], slx, m);
        suml2[g] = qk_sel(suml2[g], sl2, m);
        changed[g] = vorrq_u32(changed[g], m);
      }
    }
    for (g = 0; g < 4; g++) active[g] = vandq_u32(active[g], changed[g]);
  }
  for (g = 0; g < 4; g++) {
    float sc[4];
    /* "suml2 > 0 ? sumlx / suml2 : 0", and 0 for all-zero groups */
    float32x4_t s = qk_sel(zero, vdivq_f32(sumlx[g], suml2[g]),
                           vcgtq_f32(suml2[g], zero));
    s = qk_sel(s, zero, zmask[g]);
    vst1q_f32(sc, s);
    for (j = 0; j < 4; j++) scales[4 * g + j] = sc[j];
    for (i = 0; i < 16; i++) {
      /* codes + 4, or 0 for all-zero groups */
      float32x4_t c =
          qk_sel(vaddq_f32(Lv[16 * g + i], vdupq_n_f32(4.0f)), zero, zmask[g]);
      float f[4];
      vst1q_f32(f, c);
      for (j = 0; j < 4; j++) L[16 * (4 * g + j) + i] = (int8_t)f[j];
    }
  }
}

/* ---- row drivers ------------------------------------------------------- */

/* Q4_K/Q5_K: one super-block at a time, 8 sub-blocks of 32 in 2 groups. */
QK_INLINE void qk_q45_block(int nmax, float rmin, int nstep, const float *x,
                            uint8_t *y) {
  float32x4_t xt[64], wt[64];
  tp_qk_sub sub[8];
  int g, i;
  qk_to_soa(x, 2, 32, xt);
  for (g = 0; g < 2; g++) {
    float32x4_t sum_x2 = vdupq_n_f32(0.0f), av;
    for (i = 0; i < 32; i++)
      sum_x2 = vaddq_f32(sum_x2, vmulq_f32(xt[32 * g + i], xt[32 * g + i]));
    av = vsqrtq_f32(vdivq_f32(sum_x2, vdupq_n_f32(32.0f)));
    for (i = 0; i < 32; i++)
      wt[32 * g + i] = vaddq_f32(av, vabsq_f32(xt[32 * g + i]));
  }
  qk_qkx2_v(2, 32, nmax, xt, wt, rmin, 0.1f, nstep, false, sub);
  if (nmax == 15)
    tp_qk_finish_q4_k(x, sub, y);
  else
    tp_qk_finish_q5_k(x, sub, y);
}

void tp_q4_k_quantize_neon(const float *x, void *vy, size_t n) {
  uint8_t *y = vy;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_QK_K, y += TP_Q4_K_BYTES)
    qk_q45_block(15, -1.0f, 20, x, y);
}

void tp_q5_k_quantize_neon(const float *x, void *vy, size_t n) {
  uint8_t *y = vy;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_QK_K, y += TP_Q5_K_BYTES)
    qk_q45_block(31, -0.5f, 15, x, y);
}

/* Q2_K: 16 sub-blocks of 16 per super-block, four groups of 4 lanes. */
void tp_q2_k_quantize_neon(const float *x, void *vy, size_t n) {
  uint8_t *y = vy;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_QK_K, y += TP_Q2_K_BYTES) {
    float32x4_t xt[64], wt[64];
    tp_qk_sub sub[16];
    int i;
    qk_to_soa(x, 4, 16, xt);
    for (i = 0; i < 64; i++) wt[i] = vabsq_f32(xt[i]);
    qk_qkx2_v(4, 16, 3, xt, wt, -0.5f, 0.1f, 15, true, sub);
    tp_qk_finish_q2_k(x, sub, y);
  }
}

/* Q6_K: 16 sub-blocks of 16 per super-block, four groups of 4 lanes. */
void tp_q6_k_quantize_neon(const float *x, void *vy, size_t n) {
  uint8_t *y = vy;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_QK_K, y += TP_Q6_K_BYTES) {
    float32x4_t xt[64];
    tp_qk_sub sub[16];
    qk_to_soa(x, 4, 16, xt);
    qk_qx_v(xt, sub);
    tp_qk_finish_q6_k(x, sub, y);
  }
}

/* Q3_K: 16 sub-blocks of 16 per super-block, four groups of 4 lanes. */
void tp_q3_k_quantize_neon(const float *x, void *vy, size_t n) {
  uint8_t *y = vy;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_QK_K, y += TP_Q3_K_BYTES) {
    float32x4_t xt[64];
    float scales[16];
    int8_t L[TP_QK_K];
    qk_to_soa(x, 4, 16, xt);
    qk_q3_v(xt, scales, L);
    tp_qk_finish_q3_k(x, scales, L, y);
  }
}

/* ---- dequantization ---------------------------------------------------- */
/* As in q_k_x86.c: unpack the codes and factors (tp_qk_unpack_*), then
 * y = dl * (float)q - ml, or dl * (float)q, per run of 16 values. */

/* y[0..15] = dl * q - ml (with_min) or dl * q */
QK_INLINE void qk_deq16(const int8_t *q, float dl, float ml, bool with_min,
                        float *y) {
  int8x16_t b = vld1q_s8(q);
  int16x8_t lo = vmovl_s8(vget_low_s8(b)), hi = vmovl_s8(vget_high_s8(b));
  float32x4_t f[4];
  float32x4_t vd = vdupq_n_f32(dl), vm = vdupq_n_f32(ml);
  int k;
  f[0] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo)));
  f[1] = vcvtq_f32_s32(vmovl_s16(vget_high_s16(lo)));
  f[2] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi)));
  f[3] = vcvtq_f32_s32(vmovl_s16(vget_high_s16(hi)));
  for (k = 0; k < 4; k++) {
    float32x4_t v = vmulq_f32(vd, f[k]);
    if (with_min) v = vsubq_f32(v, vm);
    vst1q_f32(y + 4 * k, v);
  }
}

void tp_q2_k_dequantize_neon(const void *vx, float *y, size_t n) {
  const uint8_t *x = vx;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_Q2_K_BYTES, y += TP_QK_K) {
    int8_t q[TP_QK_K];
    float dl[16], ml[16];
    int j;
    tp_qk_unpack_q2_k(x, q, dl, ml);
    for (j = 0; j < 16; j++) qk_deq16(q + 16 * j, dl[j], ml[j], true, y + 16 * j);
  }
}

void tp_q3_k_dequantize_neon(const void *vx, float *y, size_t n) {
  const uint8_t *x = vx;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_Q3_K_BYTES, y += TP_QK_K) {
    int8_t q[TP_QK_K];
    float dl[16];
    int j;
    tp_qk_unpack_q3_k(x, q, dl);
    for (j = 0; j < 16; j++) qk_deq16(q + 16 * j, dl[j], 0.0f, false, y + 16 * j);
  }
}

void tp_q4_k_dequantize_neon(const void *vx, float *y, size_t n) {
  const uint8_t *x = vx;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_Q4_K_BYTES, y += TP_QK_K) {
    int8_t q[TP_QK_K];
    float dl[16], ml[16];
    int j;
    tp_qk_unpack_q4_k(x, q, dl, ml);
    for (j = 0; j < 16; j++) qk_deq16(q + 16 * j, dl[j], ml[j], true, y + 16 * j);
  }
}

void tp_q5_k_dequantize_neon(const void *vx, float *y, size_t n) {
  const uint8_t *x = vx;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_Q5_K_BYTES, y += TP_QK_K) {
    int8_t q[TP_QK_K];
    float dl[16], ml[16];
    int j;
    tp_qk_unpack_q5_k(x, q, dl, ml);
    for (j = 0; j < 16; j++) qk_deq16(q + 16 * j, dl[j], ml[j], true, y + 16 * j);
  }
}

void tp_q6_k_dequantize_neon(const void *vx, float *y, size_t n) {
  const uint8_t *x = vx;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_Q6_K_BYTES, y += TP_QK_K) {
    int8_t q[TP_QK_K];
    float dl[16];
    int j;
    tp_qk_unpack_q6_k(x, q, dl);
    for (j = 0; j < 16; j++) qk_deq16(q + 16 * j, dl[j], 0.0f, false, y + 16 * j);
  }
}

#endif /* __aarch64__ */
