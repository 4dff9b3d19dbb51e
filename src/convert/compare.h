/*
 * compare.h - element-wise comparison statistics shared by --verify and diff.
 */
#ifndef TP_COMPARE_H
#define TP_COMPARE_H

#include "../base/base.h"

typedef struct tp_stats_acc {
  uint64_t count;
  uint64_t n_different;
  uint64_t n_nan_mismatch;
  double max_abs;
  double max_rel;
  double sum_sq;     /* squared errors */
  double sum_sq_ref; /* squared reference values (finite ones) */
} tp_stats_acc;

void tp_stats_init(tp_stats_acc *a);
/* x is the reference, y the value under test. */
void tp_stats_add(tp_stats_acc *a, const double *x, const double *y, size_t n);
void tp_stats_merge(tp_stats_acc *into, const tp_stats_acc *from);
void tp_stats_finish(const tp_stats_acc *a, tp_compare_stats *out);

/* True when every value of src is exactly representable in dst, so a
 * conversion must round-trip bit for bit. */
bool tp_conversion_is_lossless(tp_type src, tp_type dst);

/* Elements per work chunk for a pair of types: a multiple of both block
 * sizes, at most max_elems (rounded down to the unit, at least one unit). */
uint64_t tp_chunk_elems(tp_type a, tp_type b, uint64_t max_elems);

#endif /* TP_COMPARE_H */
