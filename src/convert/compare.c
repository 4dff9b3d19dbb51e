/*
 * compare.c - comparison statistics and the losslessness table.
 */
#include "compare.h"

#include "../dtype/dtype.h"

#include <math.h>

void tp_stats_init(tp_stats_acc *a) { memset(a, 0, sizeof *a); }

void tp_stats_add(tp_stats_acc *a, const double *x, const double *y, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) {
    double xi = x[i], yi = y[i], d;
    int xn = isnan(xi), yn = isnan(yi);
    a->count++;
    if (!xn && !isinf(xi)) a->sum_sq_ref += xi * xi;
    if (xn || yn) {
      if (xn != yn) {
        a->n_nan_mismatch++;
        a->n_different++;
      }
      continue;
    }
    if (xi == yi) continue;
    a->n_different++;
    d = fabs(xi - yi);
    if (isinf(xi) || isinf(yi)) d = INFINITY;
    if (d > a->max_abs) a->max_abs = d;
    if (xi != 0.0) {
      double r = d / fabs(xi);
      if (r > a->max_rel) a->max_rel = r;
    }
    a->sum_sq += d * d;
  }
}

void tp_stats_merge(tp_stats_acc *into, const tp_stats_acc *from) {
  into->count += from->count;
  into->n_different += from->n_different;
  into->n_nan_mismatch += from->n_nan_mismatch;
  if (from->max_abs > into->max_abs) into->max_abs = from->max_abs;
  if (from->max_rel > into->max_rel) into->max_rel = from->max_rel;
  into->sum_sq += from->sum_sq;
  into->sum_sq_ref += from->sum_sq_ref;
}

void tp_stats_finish(const tp_stats_acc *a, tp_compare_stats *out) {
  memset(out, 0, sizeof *out);
  out->identical = a->n_different == 0;
  out->n_different = a->n_different;
  out->n_nan_mismatch = a->n_nan_mismatch;
  out->max_abs_err = a->max_abs;
  out->max_rel_err = a->max_rel;
  out->rmse = a->count ? sqrt(a->sum_sq / (double)a->count) : 0.0;
  out->rel_rmse = a->sum_sq_ref > 0 ? sqrt(a->sum_sq / a->sum_sq_ref)
                  : (a->sum_sq > 0 ? INFINITY : 0.0);
}

/* Widening pairs only; everything else may round. */
bool tp_conversion_is_lossless(tp_type s, tp_type d) {
  if (s == d) return true;
  switch (d) {
  case TP_TYPE_F64:
    return s == TP_TYPE_F32 || s == TP_TYPE_F16 || s == TP_TYPE_BF16 ||
           s == TP_TYPE_I8 || s == TP_TYPE_I16 || s == TP_TYPE_I32 ||
           s == TP_TYPE_U8 || s == TP_TYPE_U16 || s == TP_TYPE_U32 ||
           s == TP_TYPE_BOOL || s == TP_TYPE_F8_E4M3 || s == TP_TYPE_F8_E5M2 ||
           s == TP_TYPE_F8_E4M3FNUZ || s == TP_TYPE_F8_E5M2FNUZ ||
           s == TP_TYPE_F8_E8M0 || s == TP_TYPE_F4 || s == TP_TYPE_F6_E2M3 ||
           s == TP_TYPE_F6_E3M2 || tp_type_is_quantized(s);
  case TP_TYPE_F32:
    return s == TP_TYPE_F16 || s == TP_TYPE_BF16 || s == TP_TYPE_I8 ||
           s == TP_TYPE_I16 || s == TP_TYPE_U8 || s == TP_TYPE_U16 ||
           s == TP_TYPE_BOOL || s == TP_TYPE_F8_E4M3 || s == TP_TYPE_F8_E5M2 ||
           s == TP_TYPE_F8_E4M3FNUZ || s == TP_TYPE_F8_E5M2FNUZ ||
           s == TP_TYPE_F8_E8M0 || s == TP_TYPE_F4 || s == TP_TYPE_F6_E2M3 ||
           s == TP_TYPE_F6_E3M2 || tp_type_is_quantized(s);
  case TP_TYPE_F16:
    return s == TP_TYPE_I8 || s == TP_TYPE_U8 || s == TP_TYPE_BOOL ||
           s == TP_TYPE_F8_E5M2 || s == TP_TYPE_F8_E4M3 || s == TP_TYPE_F4 ||
           s == TP_TYPE_F6_E2M3 || s == TP_TYPE_F6_E3M2;
  case TP_TYPE_BF16:
    return s == TP_TYPE_I8 || s == TP_TYPE_U8 || s == TP_TYPE_BOOL ||
           s == TP_TYPE_F8_E5M2 || s == TP_TYPE_F8_E4M3 || s == TP_TYPE_F4 ||
           s == TP_TYPE_F8_E8M0;
  case TP_TYPE_I16:
    return s == TP_TYPE_I8 || s == TP_TYPE_U8 || s == TP_TYPE_BOOL;
  case TP_TYPE_I32:
    return s == TP_TYPE_I8 || s == TP_TYPE_I16 || s == TP_TYPE_U8 ||
           s == TP_TYPE_U16 || s == TP_TYPE_BOOL;
  case TP_TYPE_I64: /* U64: the executor refuses values above INT64_MAX */
    return s == TP_TYPE_I8 || s == TP_TYPE_I16 || s == TP_TYPE_I32 ||
           s == TP_TYPE_U8 || s == TP_TYPE_U16 || s == TP_TYPE_U32 ||
           s == TP_TYPE_U64 || s == TP_TYPE_BOOL;
  case TP_TYPE_I8:
    return s == TP_TYPE_BOOL;
  default:
    return false;
  }
}

static uint64_t gcd_u64(uint64_t a, uint64_t b) {
  while (b) {
    uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

uint64_t tp_chunk_elems(tp_type a, tp_type b, uint64_t max_elems) {
  uint64_t ba = tp_type_block_elems(a), bb = tp_type_block_elems(b);
  uint64_t unit = ba / gcd_u64(ba, bb) * bb;
  uint64_t n = max_elems / unit * unit;
  return n ? n : unit;
}
