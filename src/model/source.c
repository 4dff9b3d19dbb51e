/*
 * source.c - the generic tensor sources (see source.h): a model's tensor,
 * a row permutation and a concatenation. Each read is split into the
 * pieces of the underlying sources, so no source ever holds more than the
 * caller's buffer.
 */
#include "source.h"
#include "model.h"

#include "../dtype/dtype.h"
#include "../quant/quant.h"

#include <stdlib.h>

tp_status tp_source_read(const tp_source *s, uint64_t off, void *buf,
                         size_t len) {
  uint64_t end;
  if (tp_add_overflow_u64(off, len, &end) || end > s->nbytes)
    return tp_error(TP_EINVAL,
                    "internal: read of %zu bytes at %llu outside a %s source "
                    "of %llu bytes",
                    len, (unsigned long long)off, s->ops->kind,
                    (unsigned long long)s->nbytes);
  if (!len) return TP_OK;
  return s->ops->read(s, off, buf, len);
}

void tp_source_free(tp_source *s) {
  if (!s) return;
  if (s->ops->release) s->ops->release(s);
  free(s);
}

/* ---- a model's tensor ------------------------------------------------------ */

typedef struct src_tensor {
  tp_source base;
  const tp_model *m;
  size_t index;
} src_tensor;

static tp_status tensor_read(const tp_source *s, uint64_t off, void *buf,
                             size_t len) {
  const src_tensor *t = (const src_tensor *)s;
  return tp_model_read(t->m, t->index, off, buf, len);
}

static const tp_source_ops k_tensor_ops = {"tensor", tensor_read, NULL};

tp_status tp_source_tensor(tp_source **out, const tp_model *m, size_t i) {
  src_tensor *t;
  *out = NULL;
  if (i >= m->ntensors)
    return tp_error(TP_EINVAL, "internal: tensor index %zu out of range", i);
  t = tp_calloc(1, sizeof *t);
  if (!t) return TP_ENOMEM;
  t->base.ops = &k_tensor_ops;
  t->base.type = m->tensors[i].type;
  t->base.nbytes = m->tensors[i].nbytes;
  t->m = m;
  t->index = i;
  *out = &t->base;
  return TP_OK;
}

/* ---- row permutation ---------------------------------------------------------- */

typedef struct src_rows {
  tp_source base;
  const tp_source *from;
  uint64_t nrows, row_bytes;
  uint64_t *perm;
} src_rows;

static tp_status rows_read(const tp_source *s, uint64_t off, void *buf,
                           size_t len) {
  const src_rows *r = (const src_rows *)s;
  uint8_t *p = (uint8_t *)buf;
  while (len) {
    uint64_t row = off / r->row_bytes, in = off % r->row_bytes;
    size_t n = (size_t)TP_MIN((uint64_t)len, r->row_bytes - in);
    tp_status st =
        tp_source_read(r->from, r->perm[row] * r->row_bytes + in, p, n);
    if (st != TP_OK) return st;
    p += n;
    off += n;
    len -= n;
  }
  return TP_OK;
}

static void rows_release(tp_source *s) { free(((src_rows *)s)->perm); }

static const tp_source_ops k_rows_ops = {"rows", rows_read, rows_release};

tp_status tp_source_rows(tp_source **out, const tp_source *base, uint64_t nrows,
                         const uint64_t *perm) {
  src_rows *r;
  uint8_t *seen;
  uint64_t i, bytes;
  *out = NULL;
  if (!nrows || base->nbytes % nrows)
    return tp_error(TP_EINVAL,
                    "internal: %llu bytes do not split into %llu equal rows",
                    (unsigned long long)base->nbytes, (unsigned long long)nrows);
  if (tp_mul_overflow_u64(nrows, sizeof *perm, &bytes) || bytes > SIZE_MAX)
    return tp_error_nomem(SIZE_MAX);
  seen = tp_calloc((size_t)nrows, 1);
  if (!seen) return TP_ENOMEM;
  for (i = 0; i < nrows; i++) {
    if (perm[i] >= nrows || seen[perm[i]]) {
      free(seen);
      return tp_error(TP_EINVAL, "internal: row order is not a permutation "
                                 "(row %llu -> %llu of %llu)",
                      (unsigned long long)i, (unsigned long long)perm[i],
                      (unsigned long long)nrows);
    }
    seen[perm[i]] = 1;
  }
  free(seen);
  r = tp_calloc(1, sizeof *r);
  if (!r) return TP_ENOMEM;
  r->perm = tp_malloc((size_t)bytes);
  if (!r->perm) {
    free(r);
    return TP_ENOMEM;
  }
  memcpy(r->perm, perm, (size_t)bytes);
  r->base.ops = &k_rows_ops;
  r->base.type = base->type;
  r->base.nbytes = base->nbytes;
  r->from = base;
  r->nrows = nrows;
  r->row_bytes = base->nbytes / nrows;
  *out = &r->base;
  return TP_OK;
}

/* ---- concatenation ------------------------------------------------------------ */

typedef struct src_concat {
  tp_source base;
  size_t n;
  const tp_source **parts;
  uint64_t *start; /* n + 1 running offsets */
} src_concat;

static tp_status concat_read(const tp_source *s, uint64_t off, void *buf,
                             size_t len) {
  const src_concat *c = (const src_concat *)s;
  uint8_t *p = (uint8_t *)buf;
  size_t lo = 0, hi = c->n;
  /* the part holding off: the last start <= off */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (c->start[mid] <= off) lo = mid;
    else hi = mid;
  }
  while (len) {
    uint64_t in;
    size_t n;
    tp_status st;
    while (lo < c->n && off >= c->start[lo + 1]) lo++;
    in = off - c->start[lo];
    n = (size_t)TP_MIN((uint64_t)len, c->start[lo + 1] - off);
    st = tp_source_read(c->parts[lo], in, p, n);
    if (st != TP_OK) return st;
    p += n;
    off += n;
    len -= n;
  }
  return TP_OK;
}

static void concat_release(tp_source *s) {
  src_concat *c = (src_concat *)s;
  free(c->parts);
  free(c->start);
}

static const tp_source_ops k_concat_ops = {"concat", concat_read, concat_release};

tp_status tp_source_concat(tp_source **out, const tp_source *const *parts,
                           size_t n) {
  src_concat *c;
  size_t i;
  *out = NULL;
  if (!n) return tp_error(TP_EINVAL, "internal: concatenation of nothing");
  for (i = 0; i < n; i++)
    if (parts[i]->type != parts[0]->type ||
        parts[i]->nbytes % tp_type_block_bytes(parts[i]->type))
      return tp_error(TP_EINVAL,
                      "internal: part %zu of a concatenation is %s of %llu "
                      "bytes (part 0: %s)",
                      i, tp_type_name(parts[i]->type),
                      (unsigned long long)parts[i]->nbytes,
                      tp_type_name(parts[0]->type));
  c = tp_calloc(1, sizeof *c);
  if (!c) return TP_ENOMEM;
  c->parts = tp_calloc(n, sizeof *c->parts);
  c->start = tp_calloc(n + 1, sizeof *c->start);
  if (!c->parts || !c->start) {
    concat_release(&c->base);
    free(c);
    return TP_ENOMEM;
  }
  for (i = 0; i < n; i++) {
    c->parts[i] = parts[i];
    if (tp_add_overflow_u64(c->start[i], parts[i]->nbytes, &c->start[i + 1])) {
      concat_release(&c->base);
      free(c);
      return tp_error(TP_ELIMIT, "concatenation larger than 2^64 bytes");
    }
  }
  c->n = n;
  c->base.ops = &k_concat_ops;
  c->base.type = parts[0]->type;
  c->base.nbytes = c->start[n];
  *out = &c->base;
  return TP_OK;
}

/* ---- slice ------------------------------------------------------------------ */

typedef struct src_slice {
  tp_source base;
  const tp_source *from;
  uint64_t start;
} src_slice;

static tp_status slice_read(const tp_source *s, uint64_t off, void *buf,
                            size_t len) {
  const src_slice *c = (const src_slice *)s;
  return tp_source_read(c->from, c->start + off, buf, len);
}

static const tp_source_ops k_slice_ops = {"slice", slice_read, NULL};

tp_status tp_source_slice(tp_source **out, const tp_source *base, uint64_t start,
                          uint64_t nbytes) {
  src_slice *c;
  uint64_t end, bb = tp_type_block_bytes(base->type);
  *out = NULL;
  if (tp_add_overflow_u64(start, nbytes, &end) || end > base->nbytes ||
      start % bb || nbytes % bb)
    return tp_error(TP_EINVAL,
                    "internal: slice [%llu, +%llu) of a %llu-byte %s source",
                    (unsigned long long)start, (unsigned long long)nbytes,
                    (unsigned long long)base->nbytes, tp_type_name(base->type));
  c = tp_calloc(1, sizeof *c);
  if (!c) return TP_ENOMEM;
  c->base.ops = &k_slice_ops;
  c->base.type = base->type;
  c->base.nbytes = nbytes;
  c->from = base;
  c->start = start;
  *out = &c->base;
  return TP_OK;
}

/* ---- cast and map: element conversions ------------------------------------ */

/* Source bytes of output bytes [off, off + len) when out elements of
 * out_type come from elements of in_type one for one. */
static tp_status elems_of(tp_type out_type, uint64_t off, size_t len,
                          uint64_t *el0, uint64_t *nel) {
  uint64_t be = tp_type_block_elems(out_type), bb = tp_type_block_bytes(out_type);
  if (off % bb || len % bb)
    return tp_error(TP_EINVAL, "internal: a %s read of %zu bytes at %llu is "
                    "not on block boundaries", tp_type_name(out_type), len,
                    (unsigned long long)off);
  *el0 = off / bb * be;
  *nel = len / bb * be;
  return TP_OK;
}

typedef struct src_conv {
  tp_source base;
  const tp_source *from;
  tp_source_map_fn fn; /* NULL: a cast */
} src_conv;

static tp_status conv_read(const tp_source *s, uint64_t off, void *buf,
                           size_t len) {
  const src_conv *c = (const src_conv *)s;
  tp_type it = c->from->type;
  uint64_t el0 = 0, nel = 0, soff, slen;
  uint8_t *tmp;
  tp_status st = elems_of(s->type, off, len, &el0, &nel);
  if (st != TP_OK) return st;
  if (!tp_type_nbytes(it, el0, &soff) || !tp_type_nbytes(it, nel, &slen) ||
      slen > SIZE_MAX)
    return tp_error(TP_EINVAL, "internal: %llu %s elements are not whole blocks",
                    (unsigned long long)nel, tp_type_name(it));
  tmp = tp_malloc(slen ? (size_t)slen : 1);
  if (!tmp) return TP_ENOMEM;
  st = tp_source_read(c->from, soff, tmp, (size_t)slen);
  if (st == TP_OK)
    st = c->fn ? c->fn((float *)buf, it, tmp, (size_t)nel)
               : tp_convert_elements(s->type, buf, it, tmp, (size_t)nel);
  free(tmp);
  return st;
}

static const tp_source_ops k_cast_ops = {"cast", conv_read, NULL};
static const tp_source_ops k_map_ops = {"map", conv_read, NULL};

static tp_status conv_make(tp_source **out, const tp_source *base, tp_type type,
                           tp_source_map_fn fn) {
  src_conv *c;
  uint64_t nel, nb;
  *out = NULL;
  if (base->nbytes % tp_type_block_bytes(base->type))
    return tp_error(TP_EINVAL, "internal: a source of partial blocks");
  nel = base->nbytes / tp_type_block_bytes(base->type) * tp_type_block_elems(base->type);
  if (!tp_type_nbytes(type, nel, &nb))
    return tp_error(TP_EINVAL, "internal: %llu elements cannot be %s",
                    (unsigned long long)nel, tp_type_name(type));
  c = tp_calloc(1, sizeof *c);
  if (!c) return TP_ENOMEM;
  c->base.ops = fn ? &k_map_ops : &k_cast_ops;
  c->base.type = type;
  c->base.nbytes = nb;
  c->from = base;
  c->fn = fn;
  *out = &c->base;
  return TP_OK;
}

tp_status tp_source_cast(tp_source **out, const tp_source *base, tp_type type) {
  return conv_make(out, base, type, NULL);
}

tp_status tp_source_map(tp_source **out, const tp_source *base,
                        tp_source_map_fn fn) {
  return conv_make(out, base, TP_TYPE_F32, fn);
}

/* ---- memory ----------------------------------------------------------------- */

typedef struct src_mem {
  tp_source base;
  uint8_t *data;
} src_mem;

static tp_status mem_read(const tp_source *s, uint64_t off, void *buf, size_t len) {
  memcpy(buf, ((const src_mem *)s)->data + off, len);
  return TP_OK;
}

static void mem_release(tp_source *s) { free(((src_mem *)s)->data); }

static const tp_source_ops k_mem_ops = {"memory", mem_read, mem_release};

tp_status tp_source_memory(tp_source **out, tp_type type, const void *data,
                           uint64_t nbytes) {
  src_mem *c;
  *out = NULL;
  if (nbytes > SIZE_MAX || nbytes % tp_type_block_bytes(type))
    return tp_error(TP_EINVAL, "internal: %llu bytes of %s in memory",
                    (unsigned long long)nbytes, tp_type_name(type));
  c = tp_calloc(1, sizeof *c);
  if (!c) return TP_ENOMEM;
  c->data = tp_malloc(nbytes ? (size_t)nbytes : 1);
  if (!c->data) {
    free(c);
    return TP_ENOMEM;
  }
  memcpy(c->data, data, (size_t)nbytes);
  c->base.ops = &k_mem_ops;
  c->base.type = type;
  c->base.nbytes = nbytes;
  *out = &c->base;
  return TP_OK;
}
