/*
 * q_k_x86.c - AVX2 K-quant codecs, byte-identical to the scalar reference.
 *
 * The expensive part of the K-quants is the per-sub-block search for a
 * scale (make_qkx2_quants, make_qx_quants, make_q3_quants). Within one
 * sub-block it is a chain of sequential binary32 sums, which cannot be
 * reordered without changing results, so it is not vectorised along the
 * elements. Instead each of the 8 lanes of a vector runs the whole scalar
 * algorithm for a different sub-block (structure of arrays): lane j of
 * xt[i] holds element i of sub-block j. Every lane performs exactly the
 * scalar sequence of IEEE operations (add, sub, mul, div and sqrt round the
 * same in vector and scalar form, no FMA is used), and the scalar branches
 * become per-lane masks and blends. Two groups of 8 lanes are processed
 * together so that the independent dependency chains hide the adder
 * latency.
 *
 * Scale packing and bit packing then go through the shared functions of
 * q_k.c; only the re-quantization loops (one division per value) are
 * vectorised here, as plain element-wise operations.
 *
 * Built with -mavx2 -mf16c (not -mfma); only called after
 * tp_qk_x86_supported() said yes.
 */
#include "q_k.h"

#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>
#include <math.h>

#define QK_INLINE static inline __attribute__((always_inline))

/* ---- vector helpers ---------------------------------------------------- */

/* tp_nearest_int on 8 lanes: the same add, reinterpretation and masking. */
QK_INLINE __m256i qk_nearest(__m256 v) {
  __m256i i = _mm256_castps_si256(_mm256_add_ps(v, _mm256_set1_ps(12582912.f)));
  i = _mm256_and_si256(i, _mm256_set1_epi32(0x007fffff));
  return _mm256_sub_epi32(i, _mm256_set1_epi32(0x00400000));
}

/* clamp(nearest_int(v), lo, hi) converted back to float. */
QK_INLINE __m256 qk_code(__m256 v, int lo, int hi) {
  __m256i l = qk_nearest(v);
  l = _mm256_max_epi32(l, _mm256_set1_epi32(lo));
  l = _mm256_min_epi32(l, _mm256_set1_epi32(hi));
  return _mm256_cvtepi32_ps(l);
}

QK_INLINE __m256 qk_abs(__m256 v) {
  return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
}

/* Blend: lanes of m (all ones) take b, the others a. */
QK_INLINE __m256 qk_sel(__m256 a, __m256 b, __m256 m) {
  return _mm256_blendv_ps(a, b, m);
}

/* Loads 8 rows of 8 floats (row k at p + k*stride) and transposes them:
 * lane j of out[k] is element k of row j. */
QK_INLINE void qk_transpose8(const float *p, size_t stride, __m256 *out) {
  __m256 r0 = _mm256_loadu_ps(p), r1 = _mm256_loadu_ps(p + stride);
  __m256 r2 = _mm256_loadu_ps(p + 2 * stride);
  __m256 r3 = _mm256_loadu_ps(p + 3 * stride);
  __m256 r4 = _mm256_loadu_ps(p + 4 * stride);
  __m256 r5 = _mm256_loadu_ps(p + 5 * stride);
  __m256 r6 = _mm256_loadu_ps(p + 6 * stride);
  __m256 r7 = _mm256_loadu_ps(p + 7 * stride);
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 s0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 s1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 s2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 s3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 s4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 s5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 s6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 s7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  out[0] = _mm256_permute2f128_ps(s0, s4, 0x20);
  out[1] = _mm256_permute2f128_ps(s1, s5, 0x20);
  out[2] = _mm256_permute2f128_ps(s2, s6, 0x20);
  out[3] = _mm256_permute2f128_ps(s3, s7, 0x20);
  out[4] = _mm256_permute2f128_ps(s0, s4, 0x31);
  out[5] = _mm256_permute2f128_ps(s1, s5, 0x31);
  out[6] = _mm256_permute2f128_ps(s2, s6, 0x31);
  out[7] = _mm256_permute2f128_ps(s3, s7, 0x31);
}

/* Gathers sub-blocks of n values into structure-of-arrays form: group g,
 * lane j holds the sub-block starting at x + g*gstride + j*n. */
QK_INLINE void qk_to_soa(const float *x, int G, int n, size_t gstride,
                         __m256 *xt) {
  int g, c;
  for (g = 0; g < G; g++)
    for (c = 0; c < n; c += 8)
      qk_transpose8(x + g * gstride + c, (size_t)n, xt + g * n + c);
}

/* Writes the per-lane results of group g into tp_qk_sub records; lanes
 * set in zero (all ones) had their codes set to 0 by an early return. */
QK_INLINE void qk_store_sub(__m256 scale, __m256 min, __m256 l_iscale,
                            __m256 l_lo, __m256 zero, tp_qk_sub *sub) {
  float a[8], b[8], c[8], d[8];
  int j, z = _mm256_movemask_ps(zero);
  _mm256_storeu_ps(a, scale);
  _mm256_storeu_ps(b, min);
  _mm256_storeu_ps(c, l_iscale);
  _mm256_storeu_ps(d, l_lo);
  for (j = 0; j < 8; j++) {
    sub[j].scale = a[j];
    sub[j].min = b[j];
    sub[j].l_iscale = c[j];
    sub[j].l_lo = d[j];
    sub[j].l_zero = (z >> j) & 1;
  }
}

/* ---- make_qkx2_quants on 8*G lanes ------------------------------------- */

/* xt, wt: G*n vectors (group-major). Writes 8*G tp_qk_sub records. */
QK_INLINE void qk_qkx2_v(int G, int n, int nmax, const __m256 *xt,
                         const __m256 *wt, float rmin, float rdelta,
                         int nstep, bool use_mad, tp_qk_sub *out) {
  const __m256 zero = _mm256_setzero_ps();
  __m256 laux[2 * 32];
  __m256 min[2], max[2], sum_w[2], sum_x[2], best[2], scale[2];
  __m256 l_is[2], l_lo[2], flat[2], min0[2];
  int g, i, is;

  for (g = 0; g < G; g++) {
    const __m256 *x = xt + g * n, *w = wt + g * n;
    __m256 iscale, range;
    min[g] = max[g] = x[0];
    sum_w[g] = w[0];
    sum_x[g] = _mm256_mul_ps(sum_w[g], x[0]);
    for (i = 1; i < n; i++) {
      /* min_ps(a, b) is "a < b ? a : b", exactly the scalar update */
      min[g] = _mm256_min_ps(x[i], min[g]);
      max[g] = _mm256_max_ps(x[i], max[g]);
      sum_w[g] = _mm256_add_ps(sum_w[g], w[i]);
      sum_x[g] = _mm256_add_ps(sum_x[g], _mm256_mul_ps(w[i], x[i]));
    }
    min[g] = qk_sel(min[g], zero, _mm256_cmp_ps(min[g], zero, _CMP_GT_OQ));
    flat[g] = _mm256_cmp_ps(max[g], min[g], _CMP_EQ_OQ);
    min0[g] = min[g];
    range = _mm256_sub_ps(max[g], min[g]);
    iscale = _mm256_div_ps(_mm256_set1_ps((float)nmax), range);
    scale[g] = _mm256_div_ps(_mm256_set1_ps(1.0f), iscale);
    best[g] = zero;
    for (i = 0; i < n; i++) {
      __m256 l = qk_code(_mm256_mul_ps(iscale, _mm256_sub_ps(x[i], min[g])),
                         0, nmax);
      __m256 diff = _mm256_sub_ps(
          _mm256_add_ps(_mm256_mul_ps(scale[g], l), min[g]), x[i]);
      diff = use_mad ? qk_abs(diff) : _mm256_mul_ps(diff, diff);
      best[g] = _mm256_add_ps(best[g], _mm256_mul_ps(w[i], diff));
    }
    l_is[g] = iscale;
    l_lo[g] = min[g];
  }

  for (is = 0; is <= nstep; is++) {
    const float num = rmin + rdelta * (float)is + (float)nmax;
    __m256 iscale[2], sum_l[2], sum_l2[2], sum_xl[2], D[2], dpos[2];
    int any = 0;
    for (g = 0; g < G; g++) {
      iscale[g] = _mm256_div_ps(_mm256_set1_ps(num),
                                _mm256_sub_ps(max[g], min[g]));
      sum_l[g] = sum_l2[g] = sum_xl[g] = zero;
    }
    for (i = 0; i < n; i++) {
      for (g = 0; g < G; g++) {
        const __m256 x = xt[g * n + i], w = wt[g * n + i];
        __m256 l = qk_code(_mm256_mul_ps(iscale[g], _mm256_sub_ps(x, min[g])),
                           0, nmax);
        __m256 wl = _mm256_mul_ps(w, l);
        laux[g * n + i] = l;
        sum_l[g] = _mm256_add_ps(sum_l[g], wl);
        sum_l2[g] = _mm256_add_ps(sum_l2[g], _mm256_mul_ps(wl, l));
        sum_xl[g] = _mm256_add_ps(sum_xl[g], _mm256_mul_ps(wl, x));
      }
    }
    for (g = 0; g < G; g++) {
      D[g] = _mm256_sub_ps(_mm256_mul_ps(sum_w[g], sum_l2[g]),
                           _mm256_mul_ps(sum_l[g], sum_l[g]));
      dpos[g] = _mm256_cmp_ps(D[g], zero, _CMP_GT_OQ);
      any |= _mm256_movemask_ps(dpos[g]);
    }
    if (!any) continue;
    {
      __m256 ts[2], tm[2], cur[2];
      for (g = 0; g < G; g++) {
        __m256 tpos;
        ts[g] = _mm256_div_ps(
            _mm256_sub_ps(_mm256_mul_ps(sum_w[g], sum_xl[g]),
                          _mm256_mul_ps(sum_x[g], sum_l[g])),
            D[g]);
        tm[g] = _mm256_div_ps(
            _mm256_sub_ps(_mm256_mul_ps(sum_l2[g], sum_x[g]),
                          _mm256_mul_ps(sum_l[g], sum_xl[g])),
            D[g]);
        tpos = _mm256_cmp_ps(tm[g], zero, _CMP_GT_OQ);
        tm[g] = qk_sel(tm[g], zero, tpos);
        ts[g] = qk_sel(ts[g], _mm256_div_ps(sum_xl[g], sum_l2[g]), tpos);
        cur[g] = zero;
      }
      for (i = 0; i < n; i++) {
        for (g = 0; g < G; g++) {
          __m256 diff = _mm256_sub_ps(
              _mm256_add_ps(_mm256_mul_ps(ts[g], laux[g * n + i]), tm[g]),
              xt[g * n + i]);
          diff = use_mad ? qk_abs(diff) : _mm256_mul_ps(diff, diff);
          cur[g] = _mm256_add_ps(cur[g], _mm256_mul_ps(wt[g * n + i], diff));
        }
      }
      for (g = 0; g < G; g++) {
        __m256 upd = _mm256_and_ps(
            dpos[g], _mm256_cmp_ps(cur[g], best[g], _CMP_LT_OQ));
        l_is[g] = qk_sel(l_is[g], iscale[g], upd);
        l_lo[g] = qk_sel(l_lo[g], min[g], upd);
        best[g] = qk_sel(best[g], cur[g], upd);
        scale[g] = qk_sel(scale[g], ts[g], upd);
        min[g] = qk_sel(min[g], tm[g], upd);
      }
    }
  }

  for (g = 0; g < G; g++) {
    /* lanes with max == min returned early: scale 0, codes 0, and the
     * offset as it was before the (meaningless) search of those lanes */
    __m256 s = qk_sel(scale[g], zero, flat[g]);
    __m256 m = qk_sel(min[g], min0[g], flat[g]);
    __m256 nmin = _mm256_xor_ps(m, _mm256_set1_ps(-0.0f));
    qk_store_sub(s, nmin, l_is[g], l_lo[g], flat[g], out + 8 * g);
  }
}

/* ---- make_qx_quants (Q6_K) on 16 lanes --------------------------------- */

QK_INLINE void qk_qx_v(const __m256 *xt, tp_qk_sub *out) {
  const __m256 zero = _mm256_setzero_ps();
  __m256 w[32], wx[32];
  __m256 max[2], zmask[2], sumlx[2], suml2[2], scale[2], best[2], l_is[2];
  int g, i, is;

  for (g = 0; g < 2; g++) {
    const __m256 *x = xt + 16 * g;
    __m256 amax = zero, iscale;
    max[g] = zero;
    for (i = 0; i < 16; i++) {
      __m256 ax = qk_abs(x[i]);
      __m256 gt = _mm256_cmp_ps(ax, amax, _CMP_GT_OQ);
      amax = qk_sel(amax, ax, gt);
      max[g] = qk_sel(max[g], x[i], gt);
    }
    zmask[g] = _mm256_cmp_ps(amax, _mm256_set1_ps(TP_QK_GROUP_MAX_EPS),
                             _CMP_LT_OQ);
    iscale = _mm256_div_ps(_mm256_set1_ps(-32.0f), max[g]);
    sumlx[g] = suml2[g] = zero;
    for (i = 0; i < 16; i++) {
      __m256 l = qk_code(_mm256_mul_ps(iscale, x[i]), -32, 31);
      w[16 * g + i] = _mm256_mul_ps(x[i], x[i]);
      wx[16 * g + i] = _mm256_mul_ps(w[16 * g + i], x[i]);
      sumlx[g] = _mm256_add_ps(sumlx[g], _mm256_mul_ps(wx[16 * g + i], l));
      suml2[g] = _mm256_add_ps(
          suml2[g], _mm256_mul_ps(_mm256_mul_ps(w[16 * g + i], l), l));
    }
    /* "suml2 ? sumlx/suml2 : 0": NaN counts as true, hence NEQ_UQ */
    scale[g] = _mm256_and_ps(_mm256_div_ps(sumlx[g], suml2[g]),
                             _mm256_cmp_ps(suml2[g], zero, _CMP_NEQ_UQ));
    best[g] = _mm256_mul_ps(scale[g], sumlx[g]);
    l_is[g] = iscale;
  }
  for (is = -9; is <= 9; is++) {
    const float num = -(32.0f + 0.1f * (float)is);
    __m256 iscale[2];
    if (is == 0) continue;
    for (g = 0; g < 2; g++) {
      iscale[g] = _mm256_div_ps(_mm256_set1_ps(num), max[g]);
      sumlx[g] = suml2[g] = zero;
    }
    for (i = 0; i < 16; i++) {
      for (g = 0; g < 2; g++) {
        __m256 l = qk_code(_mm256_mul_ps(iscale[g], xt[16 * g + i]), -32, 31);
        sumlx[g] = _mm256_add_ps(sumlx[g], _mm256_mul_ps(wx[16 * g + i], l));
        suml2[g] = _mm256_add_ps(
            suml2[g], _mm256_mul_ps(_mm256_mul_ps(w[16 * g + i], l), l));
      }
    }
    for (g = 0; g < 2; g++) {
      __m256 upd = _mm256_and_ps(
          _mm256_cmp_ps(suml2[g], zero, _CMP_GT_OQ),
          _mm256_cmp_ps(_mm256_mul_ps(sumlx[g], sumlx[g]),
                        _mm256_mul_ps(best[g], suml2[g]), _CMP_GT_OQ));
      __m256 s = _mm256_div_ps(sumlx[g], suml2[g]);
      l_is[g] = qk_sel(l_is[g], iscale[g], upd);
      scale[g] = qk_sel(scale[g], s, upd);
      best[g] = qk_sel(best[g], _mm256_mul_ps(s, sumlx[g]), upd);
    }
  }
  for (g = 0; g < 2; g++) {
    /* all-zero groups: scale 0 and codes 0 */
    __m256 s = _mm256_andnot_ps(zmask[g], scale[g]);
    qk_store_sub(s, zero, l_is[g], zero, zmask[g], out + 8 * g);
  }
}

/* ---- make_q3_quants (Q3_K) on 16 lanes --------------------------------- */

/* Writes the 16 scales and the 256 codes (0..7, sub-block-major) of one
 * super-block. The refinement passes are per-lane loops with an early exit
 * when a pass changes nothing; here a lane stops (its mask bit clears)
 * after such a pass, and the loop ends when no lane is left. */
QK_INLINE void qk_q3_v(const __m256 *xt, float *scales, int8_t *L) {
  const __m256 zero = _mm256_setzero_ps();
  __m256 w[32], wx[32], Lv[32];
  __m256 sumlx[2], suml2[2], zmask[2], active[2];
  int g, i, itry, j;

  for (g = 0; g < 2; g++) {
    const __m256 *x = xt + 16 * g;
    __m256 amax = zero, max = zero, iscale;
    for (i = 0; i < 16; i++) {
      __m256 ax = qk_abs(x[i]);
      __m256 gt = _mm256_cmp_ps(ax, amax, _CMP_GT_OQ);
      amax = qk_sel(amax, ax, gt);
      max = qk_sel(max, x[i], gt);
    }
    zmask[g] = _mm256_cmp_ps(amax, _mm256_set1_ps(TP_QK_GROUP_MAX_EPS),
                             _CMP_LT_OQ);
    active[g] = _mm256_xor_ps(zmask[g], _mm256_castsi256_ps(
                                            _mm256_set1_epi32(-1)));
    iscale = _mm256_div_ps(_mm256_set1_ps(-4.0f), max);
    sumlx[g] = suml2[g] = zero;
    for (i = 0; i < 16; i++) {
      __m256 l = qk_code(_mm256_mul_ps(iscale, x[i]), -4, 3);
      Lv[16 * g + i] = l;
      w[16 * g + i] = _mm256_mul_ps(x[i], x[i]);
      wx[16 * g + i] = _mm256_mul_ps(w[16 * g + i], x[i]);
      sumlx[g] = _mm256_add_ps(sumlx[g], _mm256_mul_ps(wx[16 * g + i], l));
      suml2[g] = _mm256_add_ps(
          suml2[g], _mm256_mul_ps(_mm256_mul_ps(w[16 * g + i], l), l));
    }
  }
  for (itry = 0; itry < 5; itry++) {
    __m256 changed[2] = {zero, zero};
    if (!(_mm256_movemask_ps(active[0]) | _mm256_movemask_ps(active[1])))
      break;
    for (i = 0; i < 16; i++) {
      for (g = 0; g < 2; g++) {
        const int k = 16 * g + i;
        const __m256 x = xt[k], l = Lv[k];
        __m256 slx = _mm256_sub_ps(sumlx[g], _mm256_mul_ps(wx[k], l));
        __m256 m = _mm256_and_ps(active[g],
                                 _mm256_cmp_ps(slx, zero, _CMP_GT_OQ));
        __m256 sl2, nl;
        if (!_mm256_movemask_ps(m)) continue;
        sl2 = _mm256_sub_ps(suml2[g], _mm256_mul_ps(_mm256_mul_ps(w[k], l), l));
        nl = qk_code(_mm256_div_ps(_mm256_mul_ps(x, sl2), slx), -4, 3);
        m = _mm256_and_ps(m, _mm256_cmp_ps(nl, l, _CMP_NEQ_OQ));
        slx = _mm256_add_ps(slx, _mm256_mul_ps(wx[k], nl));
        sl2 = _mm256_add_ps(sl2, _mm256_mul_ps(_mm256_mul_ps(w[k], nl), nl));
        m = _mm256_and_ps(m, _mm256_cmp_ps(sl2, zero, _CMP_GT_OQ));
        m = _mm256_and_ps(
            m, _mm256_cmp_ps(
                   _mm256_mul_ps(_mm256_mul_ps(slx, slx), suml2[g]),
                   _mm256_mul_ps(_mm256_mul_ps(sumlx[g], sumlx[g]), sl2),
                   _CMP_GT_OQ));
        Lv[k] = qk_sel(l, nl, m);
        sumlx[g] = qk_sel(sumlx[g], slx, m);
        suml2[g] = qk_sel(suml2[g], sl2, m);
        changed[g] = _mm256_or_ps(changed[g], m);
      }
    }
    for (g = 0; g < 2; g++) active[g] = _mm256_and_ps(active[g], changed[g]);
  }
  for (g = 0; g < 2; g++) {
    float sc[8];
    /* "suml2 > 0 ? sumlx / suml2 : 0", and 0 for all-zero groups */
    __m256 s = _mm256_and_ps(_mm256_div_ps(sumlx[g], suml2[g]),
                             _mm256_cmp_ps(suml2[g], zero, _CMP_GT_OQ));
    s = _mm256_andnot_ps(zmask[g], s);
    _mm256_storeu_ps(sc, s);
    for (j = 0; j < 8; j++) scales[8 * g + j] = sc[j];
    for (i = 0; i < 16; i++) {
      /* codes + 4, or 0 for all-zero groups */
      __m256 c = _mm256_andnot_ps(
          zmask[g], _mm256_add_ps(Lv[16 * g + i], _mm256_set1_ps(4.0f)));
      float f[8];
      _mm256_storeu_ps(f, c);
      for (j = 0; j < 8; j++) L[16 * (8 * g + j) + i] = (int8_t)f[j];
    }
  }
}

/* ---- re-quantization against the rounded scales ------------------------ */

/* Stores 16 codes (two vectors of int32 in 0..255) as bytes, in order. */
QK_INLINE void qk_store16(__m256i a, __m256i b, uint8_t *out) {
  __m256i p = _mm256_packs_epi32(a, b); /* a0-3 b0-3 | a4-7 b4-7 */
  p = _mm256_permute4x64_epi64(p, 0xD8); /* a0-7 b0-7 */
  _mm_storeu_si128((__m128i *)out,
                   _mm_packus_epi16(_mm256_castsi256_si128(p),
                                    _mm256_extracti128_si256(p, 1)));
}

/* clamp(nearest_int((x + dm) / dq), 0, nmax) for 8 values. */
QK_INLINE __m256i qk_requant_asym(const float *x, __m256 dm, __m256 dq,
                                  int nmax) {
  __m256i l = qk_nearest(_mm256_div_ps(_mm256_add_ps(_mm256_loadu_ps(x), dm),
                                       dq));
  l = _mm256_max_epi32(l, _mm256_setzero_si256());
  return _mm256_min_epi32(l, _mm256_set1_epi32(nmax));
}

/* Codes of n-value sub-blocks of an asymmetric type (Q2_K, Q4_K, Q5_K). */
QK_INLINE void qk_codes_asym(const float *x, const tp_qk_sub *sub, int nsub,
                             int n, int nmax, const float *dq,
                             const float *dm, uint8_t *L) {
  int j, k;
  for (j = 0; j < nsub; j++) {
    const float *xs = x + n * j;
    __m256 vdq, vdm;
    if (dq[j] == 0.0f) {
      tp_qk_rebuild_asym(xs, n, nmax, &sub[j], L + n * j);
      continue;
    }
    vdq = _mm256_set1_ps(dq[j]);
    vdm = _mm256_set1_ps(dm[j]);
    for (k = 0; k < n; k += 16)
      qk_store16(qk_requant_asym(xs + k, vdm, vdq, nmax),
                 qk_requant_asym(xs + k + 8, vdm, vdq, nmax), L + n * j + k);
  }
}

/* clamp(nearest_int(x / dq), -32, 31) + 32 for 8 values (Q6_K). */
QK_INLINE __m256i qk_requant_q6(const float *x, __m256 dq) {
  __m256i l = qk_nearest(_mm256_div_ps(_mm256_loadu_ps(x), dq));
  l = _mm256_max_epi32(l, _mm256_set1_epi32(-32));
  l = _mm256_min_epi32(l, _mm256_set1_epi32(31));
  return _mm256_add_epi32(l, _mm256_set1_epi32(32));
}

static void qk_finish_q2_k(const float *x, const tp_qk_sub *sub, uint8_t *y) {
  uint8_t L[TP_QK_K];
  float dq[16], dm[16];
  tp_qk_scales_q2_k(sub, y, dq, dm);
  qk_codes_asym(x, sub, 16, 16, 3, dq, dm, L);
  tp_qk_pack_q2_k(L, y);
}

static void qk_finish_q4_k(const float *x, const tp_qk_sub *sub, uint8_t *y) {
  uint8_t L[TP_QK_K];
  float dq[8], dm[8];
  tp_qk_scales_q45(sub, y, dq, dm);
  qk_codes_asym(x, sub, 8, 32, 15, dq, dm, L);
  tp_qk_pack_q4_k(L, y);
}

static void qk_finish_q5_k(const float *x, const tp_qk_sub *sub, uint8_t *y) {
  uint8_t L[TP_QK_K];
  float dq[8], dm[8];
  tp_qk_scales_q45(sub, y, dq, dm);
  qk_codes_asym(x, sub, 8, 32, 31, dq, dm, L);
  tp_qk_pack_q5_k(L, y);
}

static void qk_finish_q6_k(const float *x, const tp_qk_sub *sub, uint8_t *y) {
  uint8_t L[TP_QK_K];
  float dq[16];
  int j;
  if (!tp_qk_scales_q6_k(sub, y, dq)) return;
  for (j = 0; j < 16; j++) {
    const float *xs = x + 16 * j;
    __m256 vdq;
    if (dq[j] == 0.0f) {
      tp_qk_rebuild_q6_k(xs, &sub[j], L + 16 * j);
      continue;
    }
    vdq = _mm256_set1_ps(dq[j]);
    qk_store16(qk_requant_q6(xs, vdq), qk_requant_q6(xs + 8, vdq), L + 16 * j);
  }
  tp_qk_pack_q6_k(L, y);
}

/* ---- row drivers ------------------------------------------------------- */

/* Q4_K/Q5_K: G super-blocks at a time, one sub-block of 32 per lane. */
QK_INLINE void qk_q45_blocks(int G, int nmax, float rmin, int nstep,
                             const float *x, uint8_t *y, size_t bytes) {
  __m256 xt[64], wt[64];
  tp_qk_sub sub[16];
  int g, i;
  qk_to_soa(x, G, 32, TP_QK_K, xt);
  for (g = 0; g < G; g++) {
    __m256 sum_x2 = _mm256_setzero_ps(), av;
    for (i = 0; i < 32; i++)
      sum_x2 = _mm256_add_ps(sum_x2,
                             _mm256_mul_ps(xt[32 * g + i], xt[32 * g + i]));
    av = _mm256_sqrt_ps(_mm256_div_ps(sum_x2, _mm256_set1_ps(32.0f)));
    for (i = 0; i < 32; i++)
      wt[32 * g + i] = _mm256_add_ps(av, qk_abs(xt[32 * g + i]));
  }
  qk_qkx2_v(G, 32, nmax, xt, wt, rmin, 0.1f, nstep, false, sub);
  for (g = 0; g < G; g++) {
    if (nmax == 15)
      qk_finish_q4_k(x + g * TP_QK_K, sub + 8 * g, y + g * bytes);
    else
      qk_finish_q5_k(x + g * TP_QK_K, sub + 8 * g, y + g * bytes);
  }
}

void tp_q4_k_quantize_x86(const float *x, void *vy, size_t n) {
  uint8_t *y = vy;
  size_t b = 0, nb = n / TP_QK_K;
  for (; b + 2 <= nb; b += 2)
    qk_q45_blocks(2, 15, -1.0f, 20, x + b * TP_QK_K, y + b * TP_Q4_K_BYTES,
                  TP_Q4_K_BYTES);
  if (b < nb)
    qk_q45_blocks(1, 15, -1.0f, 20, x + b * TP_QK_K, y + b * TP_Q4_K_BYTES,
                  TP_Q4_K_BYTES);
}

void tp_q5_k_quantize_x86(const float *x, void *vy, size_t n) {
  uint8_t *y = vy;
  size_t b = 0, nb = n / TP_QK_K;
  for (; b + 2 <= nb; b += 2)
    qk_q45_blocks(2, 31, -0.5f, 15, x + b * TP_QK_K, y + b * TP_Q5_K_BYTES,
                  TP_Q5_K_BYTES);
  if (b < nb)
    qk_q45_blocks(1, 31, -0.5f, 15, x + b * TP_QK_K, y + b * TP_Q5_K_BYTES,
                  TP_Q5_K_BYTES);
}

/* Q2_K: 16 sub-blocks of 16 per super-block, two groups of 8 lanes. */
void tp_q2_k_quantize_x86(const float *x, void *vy, size_t n) {
  uint8_t *y = vy;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_QK_K, y += TP_Q2_K_BYTES) {
    __m256 xt[32], wt[32];
    tp_qk_sub sub[16];
    int i;
    qk_to_soa(x, 2, 16, 128, xt);
    for (i = 0; i < 32; i++) wt[i] = qk_abs(xt[i]);
    qk_qkx2_v(2, 16, 3, xt, wt, -0.5f, 0.1f, 15, true, sub);
    qk_finish_q2_k(x, sub, y);
  }
}

/* Q6_K: 16 sub-blocks of 16 per super-block, two groups of 8 lanes. */
void tp_q6_k_quantize_x86(const float *x, void *vy, size_t n) {
  uint8_t *y = vy;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_QK_K, y += TP_Q6_K_BYTES) {
    __m256 xt[32];
    tp_qk_sub sub[16];
    qk_to_soa(x, 2, 16, 128, xt);
    qk_qx_v(xt, sub);
    qk_finish_q6_k(x, sub, y);
  }
}

/* Q3_K: 16 sub-blocks of 16 per super-block, two groups of 8 lanes. */
void tp_q3_k_quantize_x86(const float *x, void *vy, size_t n) {
  uint8_t *y = vy;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_QK_K, y += TP_Q3_K_BYTES) {
    __m256 xt[32];
    float scales[16], dq[16];
    int8_t L[TP_QK_K];
    int j;
    qk_to_soa(x, 2, 16, 128, xt);
    qk_q3_v(xt, scales, L);
    tp_qk_scales_q3_k(scales, y, dq);
    for (j = 0; j < 16; j++) {
      const float *xs = x + 16 * j;
      __m256 vdq;
      __m256i a, c;
      if (dq[j] == 0.0f) continue;
      vdq = _mm256_set1_ps(dq[j]);
      a = qk_nearest(_mm256_div_ps(_mm256_loadu_ps(xs), vdq));
      c = qk_nearest(_mm256_div_ps(_mm256_loadu_ps(xs + 8), vdq));
      a = _mm256_min_epi32(_mm256_max_epi32(a, _mm256_set1_epi32(-4)),
                           _mm256_set1_epi32(3));
      c = _mm256_min_epi32(_mm256_max_epi32(c, _mm256_set1_epi32(-4)),
                           _mm256_set1_epi32(3));
      qk_store16(_mm256_add_epi32(a, _mm256_set1_epi32(4)),
                 _mm256_add_epi32(c, _mm256_set1_epi32(4)),
                 (uint8_t *)L + 16 * j);
    }
    tp_qk_pack_q3_k(L, y);
  }
}

/* ---- dequantization ---------------------------------------------------- */
/* Each block is first unpacked into its 256 codes in element order and the
 * factors of its runs of 16 (tp_qk_unpack_*, shared with the NEON file),
 * then every run is converted as y = dl * (float)q - ml (or dl * (float)q
 * for the symmetric types), the reference's operations per value. Q4_K,
 * the most common type, decodes straight from the nibbles. */

/* y[0..15] = dl * q - ml */
QK_INLINE void qk_deq16_min(const int8_t *q, float dl, float ml, float *y) {
  __m128i b = _mm_loadu_si128((const __m128i *)q);
  __m256 vd = _mm256_set1_ps(dl), vm = _mm256_set1_ps(ml);
  __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
  __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(b, 8)));
  _mm256_storeu_ps(y, _mm256_sub_ps(_mm256_mul_ps(vd, lo), vm));
  _mm256_storeu_ps(y + 8, _mm256_sub_ps(_mm256_mul_ps(vd, hi), vm));
}

/* y[0..15] = dl * q */
QK_INLINE void qk_deq16(const int8_t *q, float dl, float *y) {
  __m128i b = _mm_loadu_si128((const __m128i *)q);
  __m256 vd = _mm256_set1_ps(dl);
  __m256 lo = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(b));
  __m256 hi = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(b, 8)));
  _mm256_storeu_ps(y, _mm256_mul_ps(vd, lo));
  _mm256_storeu_ps(y + 8, _mm256_mul_ps(vd, hi));
}

static inline float qk_f16(const uint8_t *p) {
  return tp_quant_f16_to_f32(tp_load_le16(p));
}

void tp_q2_k_dequantize_x86(const void *vx, float *y, size_t n) {
  const uint8_t *x = vx;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_Q2_K_BYTES, y += TP_QK_K) {
    int8_t q[TP_QK_K];
    float dl[16], ml[16];
    int j;
    tp_qk_unpack_q2_k(x, q, dl, ml);
    for (j = 0; j < 16; j++) qk_deq16_min(q + 16 * j, dl[j], ml[j], y + 16 * j);
  }
}

void tp_q3_k_dequantize_x86(const void *vx, float *y, size_t n) {
  const uint8_t *x = vx;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_Q3_K_BYTES, y += TP_QK_K) {
    int8_t q[TP_QK_K];
    float dl[16];
    int j;
    tp_qk_unpack_q3_k(x, q, dl);
    for (j = 0; j < 16; j++) qk_deq16(q + 16 * j, dl[j], y + 16 * j);
  }
}

/* y[0..31] = dl * q - ml for 32 codes held as bytes in v */
QK_INLINE void qk_deq32_min(__m256i v, float dl, float ml, float *y) {
  __m256 vd = _mm256_set1_ps(dl), vm = _mm256_set1_ps(ml);
  __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1);
  __m256 f0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(lo));
  __m256 f1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8)));
  __m256 f2 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(hi));
  __m256 f3 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8)));
  _mm256_storeu_ps(y, _mm256_sub_ps(_mm256_mul_ps(vd, f0), vm));
  _mm256_storeu_ps(y + 8, _mm256_sub_ps(_mm256_mul_ps(vd, f1), vm));
  _mm256_storeu_ps(y + 16, _mm256_sub_ps(_mm256_mul_ps(vd, f2), vm));
  _mm256_storeu_ps(y + 24, _mm256_sub_ps(_mm256_mul_ps(vd, f3), vm));
}

void tp_q4_k_dequantize_x86(const void *vx, float *y, size_t n) {
  const uint8_t *x = vx;
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_Q4_K_BYTES, y += TP_QK_K) {
    const float d = qk_f16(x), min = qk_f16(x + 2);
    int g;
    for (g = 0; g < 4; g++) {
      __m256i v = _mm256_loadu_si256((const __m256i *)(x + 16 + 32 * g));
      uint8_t sc, m;
      tp_qk_get_scale_min_k4(2 * g, x + 4, &sc, &m);
      qk_deq32_min(_mm256_and_si256(v, low4), d * (float)sc, min * (float)m,
                   y + 64 * g);
      tp_qk_get_scale_min_k4(2 * g + 1, x + 4, &sc, &m);
      qk_deq32_min(_mm256_and_si256(_mm256_srli_epi16(v, 4), low4),
                   d * (float)sc, min * (float)m, y + 64 * g + 32);
    }
  }
}

void tp_q5_k_dequantize_x86(const void *vx, float *y, size_t n) {
  const uint8_t *x = vx;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_Q5_K_BYTES, y += TP_QK_K) {
    int8_t q[TP_QK_K];
    float dl[16], ml[16];
    int j;
    tp_qk_unpack_q5_k(x, q, dl, ml);
    for (j = 0; j < 16; j++) qk_deq16_min(q + 16 * j, dl[j], ml[j], y + 16 * j);
  }
}

void tp_q6_k_dequantize_x86(const void *vx, float *y, size_t n) {
  const uint8_t *x = vx;
  size_t b, nb = n / TP_QK_K;
  for (b = 0; b < nb; b++, x += TP_Q6_K_BYTES, y += TP_QK_K) {
    int8_t q[TP_QK_K];
    float dl[16];
    int j;
    tp_qk_unpack_q6_k(x, q, dl);
    for (j = 0; j < 16; j++) qk_deq16(q + 16 * j, dl[j], y + 16 * j);
  }
}

#endif /* x86-64 */
