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
 *   slice    bytes [start, start + n) of another source (a vocabulary
 *            trimmed to its first rows, one expert of a stacked tensor)
 *   cast     another source converted to another element type
 *   map      another source's elements through a function into F32
 *            (gemma's norm + 1)
 *   memory   bytes the source owns (synthesized tensors: rope factors)
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

/* Bytes [start, start + nbytes) of base (on block boundaries of its type). */
tp_status tp_source_slice(tp_source **out, const tp_source *base, uint64_t start,
                          uint64_t nbytes);
/* base's elements converted to type (tp_convert_elements: casts round once,
 * block types go through F32). */
tp_status tp_source_cast(tp_source **out, const tp_source *base, tp_type type);
/* An elementwise function of base's elements into F32: fn(dst, src_type,
 * src, n) writes n F32 values for n source elements. */
typedef tp_status (*tp_source_map_fn)(float *dst, tp_type src_type,
                                      const void *src, size_t n);
tp_status tp_source_map(tp_source **out, const tp_source *base,
                        tp_source_map_fn fn);
/* A copy of nbytes of data, elements of type. */
tp_status tp_source_memory(tp_source **out, tp_type type, const void *data,
                           uint64_t nbytes);

#endif /* TP_SOURCE_H */
