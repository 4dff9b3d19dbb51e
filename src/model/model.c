/*
 * model.c - tensor table, metadata store and the public tp_model accessors.
 */
#include "model.h"

#include "../dtype/dtype.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- metadata store ------------------------------------------------------ */

static tp_string meta_key(const void *ctx, size_t i) {
  const tp_metastore *ms = (const tp_metastore *)ctx;
  tp_string s = {ms->items[i].key, ms->items[i].key_len};
  return s;
}

void tp_meta_init(tp_metastore *ms) {
  memset(ms, 0, sizeof *ms);
  tp_arena_init(&ms->arena);
  tp_strmap_init(&ms->index);
}

void tp_meta_free(tp_metastore *ms) {
  if (!ms) return;
  free(ms->items);
  tp_arena_free(&ms->arena);
  tp_strmap_free(&ms->index);
  memset(ms, 0, sizeof *ms);
}

size_t tp_meta_find(const tp_metastore *ms, const char *key, size_t len) {
  return tp_strmap_find(&ms->index, key, len, meta_key, ms);
}

size_t tp_value_type_size(tp_value_type t) {
  switch (t) {
  case TP_VALUE_U8: case TP_VALUE_I8: case TP_VALUE_BOOL: return 1;
  case TP_VALUE_U16: case TP_VALUE_I16: return 2;
  case TP_VALUE_U32: case TP_VALUE_I32: case TP_VALUE_F32: return 4;
  case TP_VALUE_U64: case TP_VALUE_I64: case TP_VALUE_F64: return 8;
  default: return 0;
  }
}

static tp_status copy_value(tp_arena *a, tp_value *dst, const tp_value *src) {
  *dst = *src;
  if (src->type == TP_VALUE_STRING) {
    char *p = tp_arena_strndup(a, src->v.s.data, src->v.s.len);
    if (!p) return TP_ENOMEM;
    dst->v.s.data = p;
  } else if (src->type == TP_VALUE_ARRAY) {
    size_t esz, bytes;
    if (src->elem_type == TP_VALUE_STRING) {
      tp_string *arr;
      const tp_string *sa = (const tp_string *)src->v.array;
      uint64_t i;
      if (src->count > SIZE_MAX / sizeof(tp_string))
        return tp_error_nomem(SIZE_MAX);
      arr = tp_arena_alloc(a, (size_t)src->count * sizeof(tp_string));
      if (!arr) return TP_ENOMEM;
      for (i = 0; i < src->count; i++) {
        char *p = tp_arena_strndup(a, sa[i].data, sa[i].len);
        if (!p) return TP_ENOMEM;
        arr[i].data = p;
        arr[i].len = sa[i].len;
      }
      dst->v.array = arr;
    } else {
      void *p;
      esz = tp_value_type_size(src->elem_type);
      if (!esz)
        return tp_error(TP_EINVAL, "array of unsupported element type %d",
                        (int)src->elem_type);
      if (src->count > SIZE_MAX / esz) return tp_error_nomem(SIZE_MAX);
      bytes = (size_t)src->count * esz;
      p = tp_arena_alloc(a, bytes);
      if (!p) return TP_ENOMEM;
      if (bytes) memcpy(p, src->v.array, bytes);
      dst->v.array = p;
    }
  }
  return TP_OK;
}

tp_status tp_meta_set_in_place(tp_metastore *ms, const char *key, size_t klen,
                              const tp_value *v) {
  tp_metastore tmp;
  size_t i, at = tp_meta_find(ms, key, klen);
  tp_status st = TP_OK;
  if (at == SIZE_MAX) return tp_meta_set(ms, key, klen, v, 0);
  tp_meta_init(&tmp);
  for (i = 0; i < ms->n && st == TP_OK; i++)
    st = tp_meta_set(&tmp, ms->items[i].key, ms->items[i].key_len,
                     i == at ? v : &ms->items[i].val, 0);
  if (st != TP_OK) {
    tp_meta_free(&tmp);
    return st;
  }
  tp_meta_free(ms);
  *ms = tmp;
  return TP_OK;
}

tp_status tp_meta_remove(tp_metastore *ms, const char *key, size_t len) {
  size_t i = tp_meta_find(ms, key, len);
  if (i == SIZE_MAX) return tp_error(TP_ENOTFOUND, "no metadata key '%.*s'", (int)TP_MIN(len, 200), key);
  memmove(&ms->items[i], &ms->items[i + 1],
          (ms->n - i - 1) * sizeof ms->items[0]);
  ms->n--;
  return tp_strmap_rebuild(&ms->index, ms->n, meta_key, ms);
}

tp_status tp_meta_set(tp_metastore *ms, const char *key, size_t len,
                      const tp_value *v, int replace) {
  tp_status st;
  tp_meta_item *it;
  size_t old = tp_meta_find(ms, key, len);
  if (old != SIZE_MAX) {
    if (!replace) {
      char q[256];
      tp_quote_for_message(q, sizeof q, key, len);
      return tp_error(TP_EEXISTS, "duplicate key \"%s\"", q);
    }
    st = tp_meta_remove(ms, key, len);
    if (st != TP_OK) return st;
  }
  st = tp_grow((void **)&ms->items, &ms->cap, ms->n + 1, sizeof *ms->items);
  if (st != TP_OK) return st;
  it = &ms->items[ms->n];
  it->key = tp_arena_strndup(&ms->arena, key, len);
  if (!it->key) return TP_ENOMEM;
  it->key_len = len;
  st = copy_value(&ms->arena, &it->val, v);
  if (st != TP_OK) return st;
  ms->n++;
  return tp_strmap_insert(&ms->index, ms->n - 1, meta_key, ms);
}

tp_status tp_meta_set_str(tp_metastore *ms, const char *key, const char *s,
                          size_t len) {
  tp_value v;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_STRING;
  v.v.s.data = s;
  v.v.s.len = len;
  return tp_meta_set(ms, key, strlen(key), &v, 1);
}

tp_status tp_meta_set_u32(tp_metastore *ms, const char *key, uint32_t x) {
  tp_value v;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_U32;
  v.v.u = x;
  return tp_meta_set(ms, key, strlen(key), &v, 1);
}

tp_status tp_meta_copy_all(tp_metastore *dst, const tp_metastore *src) {
  size_t i;
  for (i = 0; i < src->n; i++) {
    tp_status st = tp_meta_set(dst, src->items[i].key, src->items[i].key_len,
                               &src->items[i].val, 1);
    if (st != TP_OK) return st;
  }
  return TP_OK;
}

const char *tp_value_type_name(tp_value_type t) {
  static const char *names[] = {"UINT8",  "INT8",   "UINT16", "INT16",
                                "UINT32", "INT32",  "FLOAT32", "BOOL",
                                "STRING", "ARRAY",  "UINT64", "INT64",
                                "FLOAT64"};
  return (unsigned)t < TP_ARRAY_LEN(names) ? names[t] : "?";
}

/* ---- tensors --------------------------------------------------------------- */

static tp_string tensor_key(const void *ctx, size_t i) {
  const tp_model *m = (const tp_model *)ctx;
  tp_string s = {m->tensors[i].name, m->tensors[i].name_len};
  return s;
}

tp_status tp_model_new(tp_model **out, tp_format fmt, const char *path) {
  tp_model *m = tp_calloc(1, sizeof *m);
  *out = NULL;
  if (!m) return TP_ENOMEM;
  m->format = fmt;
  m->path = tp_strdup(path);
  if (!m->path) {
    free(m);
    return TP_ENOMEM;
  }
  tp_arena_init(&m->arena);
  tp_strmap_init(&m->tindex);
  tp_meta_init(&m->meta);
  *out = m;
  return TP_OK;
}

void tp_model_free(tp_model *m) {
  size_t i;
  if (!m) return;
  for (i = 0; i < m->nfiles; i++) tp_infile_close(m->files[i]);
  for (i = 0; i < m->ntensors; i++) tp_source_free(m->tensors[i].storage);
  free(m->files);
  free(m->data_offsets);
  free(m->tensors);
  tp_strmap_free(&m->tindex);
  tp_meta_free(&m->meta);
  tp_model_docs_free(m->docs);
  tp_arena_free(&m->arena);
  free(m->path);
  free(m);
}

tp_status tp_model_add_file(tp_model *m, tp_infile *f, uint64_t data_offset,
                            uint32_t *index) {
  size_t cap = m->files_cap;
  tp_status st = tp_grow((void **)&m->files, &m->files_cap, m->nfiles + 1,
                         sizeof *m->files);
  if (st == TP_OK)
    st = tp_grow((void **)&m->data_offsets, &cap, m->nfiles + 1,
                 sizeof *m->data_offsets);
  if (st != TP_OK) {
    tp_infile_close(f);
    return st;
  }
  m->files[m->nfiles] = f;
  m->data_offsets[m->nfiles] = data_offset;
  if (index) *index = (uint32_t)m->nfiles;
  m->nfiles++;
  return TP_OK;
}

bool tp_shape_nelements(uint32_t ndim, const uint64_t *shape, uint64_t *out) {
  uint64_t n = 1;
  uint32_t i;
  for (i = 0; i < ndim; i++)
    if (tp_mul_overflow_u64(n, shape[i], &n)) return false;
  *out = n;
  return true;
}

void tp_shape_format(char *buf, size_t len, uint32_t ndim,
                     const uint64_t *shape) {
  size_t o = 0;
  uint32_t i;
  if (!len) return;
  o += (size_t)snprintf(buf + o, len - o, "[");
  for (i = 0; i < ndim && o < len; i++)
    o += (size_t)snprintf(buf + o, len - o, "%s%llu", i ? ", " : "",
                          (unsigned long long)shape[i]);
  if (o < len) snprintf(buf + o, len - o, "]");
}

tp_status tp_model_add_tensor(tp_model *m, const char *name, size_t name_len,
                              tp_type type, uint32_t ndim,
                              const uint64_t *shape, uint32_t file,
                              uint64_t offset, size_t *index) {
  tp_tensor *t;
  tp_status st;
  char q[256], sh[256];
  uint64_t nel, nbytes;
  tp_quote_for_message(q, sizeof q, name, name_len);
  if (m->ntensors >= TP_MAX_TENSORS)
    return tp_error(TP_ELIMIT, "more than %u tensors (limit)", TP_MAX_TENSORS);
  if (ndim > TP_MAX_DIMS)
    return tp_error(TP_EUNSUPPORTED, "tensor \"%s\": %u dimensions (limit %d)",
                    q, ndim, TP_MAX_DIMS);
  if ((unsigned)type >= TP_TYPE_COUNT)
    return tp_error(TP_EFORMAT, "tensor \"%s\": invalid type %d", q, (int)type);
  if (!tp_shape_nelements(ndim, shape, &nel)) {
    tp_shape_format(sh, sizeof sh, ndim, shape);
    return tp_error(TP_EFORMAT,
                    "tensor \"%s\": shape %s: element count overflows 64 bits",
                    q, sh);
  }
  {
    uint32_t blck = tp_type_block_elems(type), bb = tp_type_block_bytes(type);
    /* block types must divide the innermost extent; sub-byte SafeTensors
       types only need a whole number of bytes overall */
    if (tp_type_is_quantized(type) && ndim > 0 && shape[ndim - 1] % blck) {
      tp_shape_format(sh, sizeof sh, ndim, shape);
      return tp_error(TP_EFORMAT,
                      "tensor \"%s\": row length %llu of shape %s is not a "
                      "multiple of the %s block size %u",
                      q, (unsigned long long)shape[ndim - 1], sh,
                      tp_type_name(type), blck);
    }
    if (nel % blck) {
      tp_shape_format(sh, sizeof sh, ndim, shape);
      return tp_error(TP_EFORMAT,
                      "tensor \"%s\": %llu elements of %s do not fill whole "
                      "bytes (multiple of %u needed, shape %s)",
                      q, (unsigned long long)nel, tp_type_name(type), blck, sh);
    }
    if (tp_mul_overflow_u64(nel / blck, bb, &nbytes)) {
      tp_shape_format(sh, sizeof sh, ndim, shape);
      return tp_error(TP_EFORMAT,
                      "tensor \"%s\": byte size of shape %s x %s overflows 64 "
                      "bits",
                      q, sh, tp_type_name(type));
    }
  }
  if (tp_strmap_find(&m->tindex, name, name_len, tensor_key, m) != SIZE_MAX)
    return tp_error(TP_EFORMAT, "duplicate tensor name \"%s\"", q);
  st = tp_grow((void **)&m->tensors, &m->tensors_cap, m->ntensors + 1,
               sizeof *m->tensors);
  if (st != TP_OK) return st;
  t = &m->tensors[m->ntensors];
  memset(t, 0, sizeof *t);
  t->name = tp_arena_strndup(&m->arena, name, name_len);
  if (!t->name) return TP_ENOMEM;
  t->name_len = name_len;
  t->type = type;
  t->ndim = ndim;
  if (ndim) memcpy(t->shape, shape, ndim * sizeof *shape);
  t->nelements = nel;
  t->nbytes = nbytes;
  t->file = file;
  t->offset = offset;
  m->ntensors++;
  st = tp_strmap_insert(&m->tindex, m->ntensors - 1, tensor_key, m);
  if (st != TP_OK) return st;
  if (index) *index = m->ntensors - 1;
  return TP_OK;
}

/* ---- public accessors ------------------------------------------------------ */

tp_format tp_model_format(const tp_model *m) { return m->format; }
const char *tp_model_path(const tp_model *m) { return m->path; }
size_t tp_model_file_count(const tp_model *m) { return m->nfiles; }
const char *tp_model_file_path(const tp_model *m, size_t i) {
  return i < m->nfiles ? tp_infile_path(m->files[i]) : NULL;
}
uint64_t tp_model_file_size(const tp_model *m, size_t i) {
  return i < m->nfiles ? tp_infile_size(m->files[i]) : 0;
}
size_t tp_model_tensor_count(const tp_model *m) { return m->ntensors; }

tp_status tp_model_tensor(const tp_model *m, size_t i, tp_tensor_info *out) {
  const tp_tensor *t;
  if (i >= m->ntensors)
    return tp_error(TP_EINVAL, "tensor index %zu out of range (%zu tensors)",
                    i, m->ntensors);
  t = &m->tensors[i];
  memset(out, 0, sizeof *out);
  out->name.data = t->name;
  out->name.len = t->name_len;
  out->type = t->type;
  out->ndim = t->ndim;
  memcpy(out->shape, t->shape, sizeof t->shape);
  out->nelements = t->nelements;
  out->nbytes = t->nbytes;
  out->file_index = t->file;
  out->file_offset = t->offset;
  return TP_OK;
}

size_t tp_model_find_tensor(const tp_model *m, const char *name,
                            size_t name_len) {
  return tp_strmap_find(&m->tindex, name, name_len, tensor_key, m);
}

typedef struct qname {
  char s[256];
} qname;
static qname quoted_name(const tp_tensor *t) {
  qname q;
  tp_quote_for_message(q.s, sizeof q.s, t->name, t->name_len);
  return q;
}

tp_status tp_model_read(const tp_model *m, size_t i, uint64_t off, void *buf,
                        size_t len) {
  const tp_tensor *t;
  uint64_t end;
  tp_status st;
  if (i >= m->ntensors)
    return tp_error(TP_EINVAL, "tensor index %zu out of range", i);
  t = &m->tensors[i];
  if (tp_add_overflow_u64(off, len, &end) || end > t->nbytes) {
    char q[256];
    tp_quote_for_message(q, sizeof q, t->name, t->name_len);
    return tp_error(TP_EINVAL,
                    "read of %zu bytes at %llu outside tensor \"%s\" (%llu "
                    "bytes)",
                    len, (unsigned long long)off, q,
                    (unsigned long long)t->nbytes);
  }
  st = t->storage ? tp_source_read(t->storage, off, buf, len)
                  : tp_infile_read(m->files[t->file], t->offset + off, buf, len);
  if (st != TP_OK) {
    char q[256];
    tp_quote_for_message(q, sizeof q, t->name, t->name_len);
    return tp_error_prefix("tensor \"%s\"", q);
  }
  if (t->swap_size) {
    uint64_t unit = t->swap_size == TP_SWAP_BLOCK_FIELDS
                        ? tp_type_block_bytes(t->type) : t->swap_size;
    if (off % unit || !tp_swap_storage(t->type, t->swap_size, buf, len))
      return tp_error(TP_EINVAL,
                      "tensor \"%s\": read at %llu of %zu bytes is not aligned "
                      "to the %llu-byte units of its byte-swapped data",
                      quoted_name(t).s, (unsigned long long)off, len,
                      (unsigned long long)unit);
  }
  return TP_OK;
}

size_t tp_model_meta_count(const tp_model *m) { return m->meta.n; }

tp_status tp_model_meta(const tp_model *m, size_t i, tp_string *key,
                        const tp_value **value) {
  if (i >= m->meta.n)
    return tp_error(TP_EINVAL, "metadata index %zu out of range", i);
  key->data = m->meta.items[i].key;
  key->len = m->meta.items[i].key_len;
  *value = &m->meta.items[i].val;
  return TP_OK;
}

const tp_value *tp_model_meta_find(const tp_model *m, const char *key) {
  size_t i = tp_meta_find(&m->meta, key, strlen(key));
  return i == SIZE_MAX ? NULL : &m->meta.items[i].val;
}

uint32_t tp_model_gguf_version(const tp_model *m) { return m->gguf_version; }
int tp_model_big_endian(const tp_model *m) { return m->big_endian; }
uint64_t tp_model_alignment(const tp_model *m) { return m->alignment; }
uint64_t tp_model_data_offset(const tp_model *m, size_t file) {
  return file < m->nfiles ? m->data_offsets[file] : 0;
}
