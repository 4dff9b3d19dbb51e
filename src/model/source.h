/*
 * source.h - tensor sources: how the bytes of one tensor are produced.
 *
 * The executor cuts every output tensor into chunks and asks the entry's
 * source for bytes [off, off + len) of the tensor in the source's element
 * type; it never needs to know which kind of source it reads, so the memory
 * bound (a few chunks per worker) holds for every format. Kinds:
 *
 *   tensor   a tensor of a model, read through tp_model_read (the single
 *            path to file bytes; a reader may give its tensors their own
 *            storage source, e.g. a strided view or a compressed member)
 *   rows     a row permutation of another source (llama's Q/K rows)
 *   concat   several sources one after the other (stacked MoE experts)
 *
 * Formats and transforms add kinds by filling a tp_source_ops; sources may
 * wrap each other. Sources are immutable after construction, and read()
 * must be safe to call from several threads at once on disjoint ranges.
 */
#ifndef TP_SOURCE_H
#define TP_SOURCE_H

#include "../base/base.h"

typedef struct tp_model tp_model;
typedef struct tp_source tp_source;

typedef struct tp_source_ops {
  const char *kind; /* "tensor", "rows", "concat", ... (messages, dry run) */
  /* Reads bytes [off, off + len) of the produced tensor into buf. The range
   * lies inside the tensor (checked by tp_source_read) and starts and ends
   * on block boundaries of the source type. */
  tp_status (*read)(const tp_source *s, uint64_t off, void *buf, size_t len);
  /* Releases what the source owns (not the sources it wraps); may be NULL. */
  void (*release)(tp_source *s);
} tp_source_ops;

struct tp_source {
  const tp_source_ops *ops;
  tp_type type;    /* element type of the bytes produced */
  uint64_t nbytes; /* total bytes produced */
};

/* Reads bytes [off, off + len) of s into buf after checking the range
 * (TP_EINVAL outside the tensor). Thread-safe. */
tp_status tp_source_read(const tp_source *s, uint64_t off, void *buf, size_t len);
/* Frees a source made by one of the constructors below; NULL accepted. */
void tp_source_free(tp_source *s);

/* Tensor i of model m (which must outlive the source). */
tp_status tp_source_tensor(tp_source **out, const tp_model *m, size_t i);
/* Rows of base in another order: base holds nrows rows of equal size, and
 * output row r is base row perm[r]. perm (a permutation of 0..nrows-1,
 * checked) is copied. base must outlive the source. */
tp_status tp_source_rows(tp_source **out, const tp_source *base, uint64_t nrows,
                         const uint64_t *perm);
/* The bytes of parts[0..n) one after another (all of one element type,
 * each a whole number of blocks). The array is copied; the parts must
 * outlive the source. */
tp_status tp_source_concat(tp_source **out, const tp_source *const *parts,
                           size_t n);

#endif /* TP_SOURCE_H */
