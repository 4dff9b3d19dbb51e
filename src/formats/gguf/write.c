/*
 * write.c - GGUF writer: header rendering and the layout of an output
 * into one file or a split set, plus the byte-order and naming rules the
 * reader shares.
 *
 * Output is GGUF v3, little-endian unless big-endian is requested, with
 * tensor records and data in the same order, each tensor padded to the
 * alignment (the last one too), offsets equal to the running padded sum:
 * exactly what llama.cpp's gguf.cpp accepts. Splitting follows gguf-py's
 * GGUFWriter (raw tensor bytes and tensor counts per shard, model KVs in
 * the first shard only). The whole header is rendered before any data is
 * written, so the executor can fill tensors in any order.
 */
#include "gguf.h"

#include "../../base/textbuf.h"
#include "../../dtype/dtype.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

/* ---- defaults ------------------------------------------------------------------------ */

tp_status tp_gguf_meta_add_defaults(tp_metastore *meta, const char *src_path) {
  tp_metastore tmp;
  const char *base, *end;
  size_t n, i;
  tp_status st = TP_OK;
  tp_value v;
  if (!src_path || tp_meta_find(meta, "general.name", 12) != SIZE_MAX)
    return TP_OK;
  n = strlen(src_path);
  while (n > 1 && src_path[n - 1] == '/') n--;
  end = src_path + n;
  base = end;
  while (base > src_path && base[-1] != '/') base--;
  /* drop a format extension: "model.safetensors" -> "model" */
  {
    static const char *const exts[] = {".safetensors", ".gguf"};
    for (i = 0; i < TP_ARRAY_LEN(exts); i++) {
      size_t el = strlen(exts[i]);
      if ((size_t)(end - base) > el && !memcmp(end - el, exts[i], el)) {
        end -= el;
        break;
      }
    }
  }
  if (end <= base) return TP_OK;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_STRING;
  v.v.s.data = base;
  v.v.s.len = (size_t)(end - base);
  tp_meta_init(&tmp);
  /* general.architecture stays first when present (gguf-py order) */
  i = tp_meta_find(meta, "general.architecture", 20);
  if (i != SIZE_MAX)
    st = tp_meta_set(&tmp, meta->items[i].key, meta->items[i].key_len,
                     &meta->items[i].val, 0);
  if (st == TP_OK) st = tp_meta_set(&tmp, "general.name", 12, &v, 0);
  for (i = 0; i < meta->n && st == TP_OK; i++) {
    if (tp_meta_find(&tmp, meta->items[i].key, meta->items[i].key_len) !=
        SIZE_MAX)
      continue;
    st = tp_meta_set(&tmp, meta->items[i].key, meta->items[i].key_len,
                     &meta->items[i].val, 0);
  }
  if (st != TP_OK) {
    tp_meta_free(&tmp);
    return st;
  }
  tp_meta_free(meta);
  *meta = tmp;
  return TP_OK;
}

/* ---- header rendering ------------------------------------------------------------- */

/* The header in the file's byte order. */
typedef struct wbuf {
  tp_textbuf b;
  bool be;
} wbuf;

static void w_bytes(wbuf *w, const void *s, size_t n) {
  tp_textbuf_append(&w->b, s, n);
}
static void w_u8(wbuf *w, uint8_t v) { w_bytes(w, &v, 1); }
static void w_u16(wbuf *w, uint16_t v) { tp_textbuf_put_u16(&w->b, v, w->be); }
static void w_u32(wbuf *w, uint32_t v) { tp_textbuf_put_u32(&w->b, v, w->be); }
static void w_u64(wbuf *w, uint64_t v) { tp_textbuf_put_u64(&w->b, v, w->be); }
static void w_str(wbuf *w, const char *s, size_t n) {
  w_u64(w, n);
  w_bytes(w, s, n);
}

/* One element of a scalar type from its C representation at p. */
static void w_elem(wbuf *w, tp_value_type t, const void *p) {
  switch (t) {
  case TP_VALUE_U8: case TP_VALUE_I8: w_u8(w, *(const uint8_t *)p); break;
  case TP_VALUE_BOOL: w_u8(w, *(const uint8_t *)p ? 1 : 0); break;
  case TP_VALUE_U16: case TP_VALUE_I16: {
    uint16_t v;
    memcpy(&v, p, 2);
    w_u16(w, v);
    break;
  }
  case TP_VALUE_U32: case TP_VALUE_I32: case TP_VALUE_F32: {
    uint32_t v;
    memcpy(&v, p, 4);
    w_u32(w, v);
    break;
  }
  case TP_VALUE_U64: case TP_VALUE_I64: case TP_VALUE_F64: {
    uint64_t v;
    memcpy(&v, p, 8);
    w_u64(w, v);
    break;
  }
  case TP_VALUE_STRING: {
    const tp_string *s = (const tp_string *)p;
    w_str(w, s->data, s->len);
    break;
  }
  default: break;
  }
}

static void w_value(wbuf *w, const tp_value *v) {
  w_u32(w, (uint32_t)v->type);
  switch (v->type) {
  case TP_VALUE_U8: w_u8(w, (uint8_t)v->v.u); break;
  case TP_VALUE_BOOL: w_u8(w, v->v.u ? 1 : 0); break;
  case TP_VALUE_I8: w_u8(w, (uint8_t)(int8_t)v->v.i); break;
  case TP_VALUE_U16: w_u16(w, (uint16_t)v->v.u); break;
  case TP_VALUE_I16: w_u16(w, (uint16_t)(int16_t)v->v.i); break;
  case TP_VALUE_U32: w_u32(w, (uint32_t)v->v.u); break;
  case TP_VALUE_I32: w_u32(w, (uint32_t)(int32_t)v->v.i); break;
  /* F32 values are exactly widened floats: narrowing is exact */
  case TP_VALUE_F32: w_u32(w, tp_f32_bits((float)v->v.f)); break;
  case TP_VALUE_U64: w_u64(w, v->v.u); break;
  case TP_VALUE_I64: w_u64(w, (uint64_t)v->v.i); break;
  case TP_VALUE_F64: w_u64(w, tp_f64_bits(v->v.f)); break;
  case TP_VALUE_STRING: w_str(w, v->v.s.data, v->v.s.len); break;
  case TP_VALUE_ARRAY: {
    uint64_t i;
    size_t esz = v->elem_type == TP_VALUE_STRING
                     ? sizeof(tp_string)
                     : tp_value_type_size(v->elem_type);
    w_u32(w, (uint32_t)v->elem_type);
    w_u64(w, v->count);
    for (i = 0; i < v->count && w->b.status == TP_OK; i++)
      w_elem(w, v->elem_type, (const uint8_t *)v->v.array + i * esz);
    break;
  }
  default: break;
  }
}

static tp_status check_key(const char *key, size_t len) {
  char q[200];
  tp_quote_for_message(q, sizeof q, key, len);
  if (len == 0) return tp_error(TP_EINVAL, "empty metadata key");
  if (len > TP_GGUF_MAX_KEY || memchr(key, 0, len))
    return tp_error(TP_EINVAL,
                    "key \"%s\": GGUF keys must be at most %u bytes without "
                    "NUL bytes",
                    q, TP_GGUF_MAX_KEY);
  return TP_OK;
}

static tp_status check_value(const char *key, size_t klen, const tp_value *v) {
  char q[200];
  if ((unsigned)v->type < TP_VALUE_COUNT && v->type != TP_VALUE_ARRAY)
    return TP_OK;
  if (v->type == TP_VALUE_ARRAY && (unsigned)v->elem_type < TP_VALUE_COUNT &&
      v->elem_type != TP_VALUE_ARRAY)
    return TP_OK;
  tp_quote_for_message(q, sizeof q, key, klen);
  return tp_error(TP_EINVAL, "key \"%s\": value type %d/%d cannot be written",
                  q, (int)v->type, (int)v->elem_type);
}

/* Validates a tensor record for GGUF and returns its padded size. */
static tp_status check_tinfo(const tp_gguf_tinfo *t, uint64_t alignment,
                             uint64_t *padded) {
  char q[200], sh[256];
  uint64_t nel, nbytes;
  tp_quote_for_message(q, sizeof q, t->name, t->name_len);
  if (t->name_len == 0)
    return tp_error(TP_EUNSUPPORTED, "GGUF cannot store an empty tensor name");
  if (t->name_len >= TP_GGUF_MAX_NAME)
    return tp_error(TP_EUNSUPPORTED,
                    "tensor \"%s\": name is %zu bytes; GGUF names must be "
                    "shorter than %u bytes",
                    q, t->name_len, TP_GGUF_MAX_NAME);
  if (memchr(t->name, 0, t->name_len))
    return tp_error(TP_EUNSUPPORTED,
                    "tensor \"%s\": GGUF names cannot contain NUL bytes", q);
  if (t->ndim > TP_GGUF_MAX_DIMS) {
    tp_shape_format(sh, sizeof sh, t->ndim, t->shape);
    return tp_error(TP_EUNSUPPORTED,
                    "tensor \"%s\": shape %s has %" PRIu32 " dimensions; GGUF "
                    "holds at most %u",
                    q, sh, t->ndim, TP_GGUF_MAX_DIMS);
  }
  if (tp_type_ggml_id(t->type) < 0)
    return tp_error(TP_EUNSUPPORTED, "tensor \"%s\": GGUF cannot store type %s",
                    q, tp_type_name(t->type));
  if (tp_type_is_quantized(t->type) && t->ndim > 0 &&
      t->shape[t->ndim - 1] % tp_type_block_elems(t->type)) {
    tp_shape_format(sh, sizeof sh, t->ndim, t->shape);
    return tp_error(TP_EUNSUPPORTED,
                    "tensor \"%s\": row length of shape %s is not a multiple "
                    "of the %s block size %" PRIu32,
                    q, sh, tp_type_name(t->type), tp_type_block_elems(t->type));
  }
  if (!tp_shape_nelements(t->ndim, t->shape, &nel) ||
      !tp_type_nbytes(t->type, nel, &nbytes) || nbytes != t->nbytes ||
      tp_align_up_overflow_u64(nbytes, alignment, padded)) {
    tp_shape_format(sh, sizeof sh, t->ndim, t->shape);
    return tp_error(TP_EINVAL,
                    "tensor \"%s\": %" PRIu64 " bytes do not match shape %s x "
                    "%s",
                    q, t->nbytes, sh, tp_type_name(t->type));
  }
  return TP_OK;
}

tp_status tp_gguf_render_header(const tp_metastore *meta, tp_gguf_tinfo *t,
                                size_t n, uint64_t alignment, int big_endian,
                                uint8_t **header, size_t *header_len,
                                uint64_t *file_size) {
  wbuf w;
  size_t i;
  uint64_t rel = 0, data_start, total;
  tp_status st;
  *header = NULL;
  *header_len = 0;
  *file_size = 0;
  if (!tp_is_pow2_u64(alignment) || alignment > TP_GGUF_MAX_ALIGNMENT)
    return tp_error(TP_EINVAL,
                    "alignment %" PRIu64 " is not a power of two up to %u",
                    alignment, TP_GGUF_MAX_ALIGNMENT);
  for (i = 0; i < meta->n; i++) {
    st = check_key(meta->items[i].key, meta->items[i].key_len);
    if (st == TP_OK)
      st = check_value(meta->items[i].key, meta->items[i].key_len,
                       &meta->items[i].val);
    if (st != TP_OK) return st;
  }
  for (i = 0; i < n; i++) {
    uint64_t padded = 0;
    st = check_tinfo(&t[i], alignment, &padded);
    if (st != TP_OK) return st;
    t[i].offset = rel;
    if (tp_add_overflow_u64(rel, padded, &rel))
      return tp_error(TP_ELIMIT, "output data section size overflows 64 bits");
  }
  memset(&w, 0, sizeof w);
  w.be = big_endian != 0;
  w_bytes(&w, "GGUF", 4); /* the magic is never swapped (gguf-py) */
  w_u32(&w, TP_GGUF_VERSION_WRITE);
  w_u64(&w, (uint64_t)n);
  w_u64(&w, (uint64_t)meta->n);
  for (i = 0; i < meta->n && w.b.status == TP_OK; i++) {
    w_str(&w, meta->items[i].key, meta->items[i].key_len);
    w_value(&w, &meta->items[i].val);
  }
  for (i = 0; i < n && w.b.status == TP_OK; i++) {
    uint32_t j;
    w_str(&w, t[i].name, t[i].name_len);
    w_u32(&w, t[i].ndim);
    for (j = 0; j < t[i].ndim; j++) w_u64(&w, t[i].shape[t[i].ndim - 1 - j]);
    w_u32(&w, (uint32_t)tp_type_ggml_id(t[i].type));
    w_u64(&w, t[i].offset);
  }
  if (w.b.status == TP_OK) {
    if (tp_align_up_overflow_u64(w.b.len, alignment, &data_start) ||
        data_start > SIZE_MAX) {
      tp_textbuf_free(&w.b);
      return tp_error(TP_ELIMIT, "GGUF header size overflows");
    }
    tp_textbuf_fill(&w.b, 0, (size_t)(data_start - w.b.len));
  }
  if (w.b.status != TP_OK) {
    st = w.b.status;
    tp_textbuf_free(&w.b);
    return st;
  }
  if (tp_add_overflow_u64(data_start, rel, &total)) {
    tp_textbuf_free(&w.b);
    return tp_error(TP_ELIMIT, "output file size overflows 64 bits");
  }
  *header = (uint8_t *)tp_textbuf_steal(&w.b, header_len);
  if (!*header) return TP_ENOMEM;
  *file_size = total;
  return TP_OK;
}

/* ---- layout of a plan ------------------------------------------------------------- */

static bool is_split_key(const char *k, size_t n) {
  return (n == strlen(TP_GGUF_KEY_SPLIT_NO) && !memcmp(k, TP_GGUF_KEY_SPLIT_NO, n)) ||
         (n == strlen(TP_GGUF_KEY_SPLIT_COUNT) &&
          !memcmp(k, TP_GGUF_KEY_SPLIT_COUNT, n)) ||
         (n == strlen(TP_GGUF_KEY_SPLIT_TENSORS) &&
          !memcmp(k, TP_GGUF_KEY_SPLIT_TENSORS, n));
}

static tp_status set_int(tp_metastore *ms, const char *key, tp_value_type t,
                         uint64_t u) {
  tp_value v;
  memset(&v, 0, sizeof v);
  v.type = t;
  if (t == TP_VALUE_I32) v.v.i = (int64_t)u;
  else v.v.u = u;
  return tp_meta_set(ms, key, strlen(key), &v, 1);
}

/* Renders one output file holding entries [first, first + count). */
static tp_status layout_file(tp_layout *p, const char *path,
                             const tp_metastore *meta, size_t first,
                             size_t count, uint64_t alignment) {
  tp_gguf_tinfo *ti = NULL;
  uint8_t *hdr = NULL;
  size_t hdr_len, i;
  uint64_t size;
  uint32_t idx;
  tp_status st;
  int be = (p->opts.flags & TP_CONVERT_BIG_ENDIAN) != 0;
  if (count) {
    ti = tp_calloc(count, sizeof *ti);
    if (!ti) return TP_ENOMEM;
  }
  for (i = 0; i < count; i++) {
    const tp_out_tensor *e = &p->entries[first + i];
    ti[i].name = e->name;
    ti[i].name_len = e->name_len;
    ti[i].type = e->dst_type;
    ti[i].ndim = e->ndim;
    memcpy(ti[i].shape, e->shape, sizeof ti[i].shape);
    ti[i].nbytes = e->dst_nbytes;
  }
  st = tp_gguf_render_header(meta, ti, count, alignment, be, &hdr, &hdr_len,
                             &size);
  if (st == TP_OK) st = tp_layout_add_file(p, path, &idx);
  if (st != TP_OK) {
    free(ti);
    free(hdr);
    return st;
  }
  p->files[idx].header = hdr;
  p->files[idx].header_len = hdr_len;
  p->files[idx].size = size;
  p->files[idx].n_tensors = count;
  for (i = 0; i < count; i++) {
    tp_out_tensor *e = &p->entries[first + i];
    e->file = idx;
    e->offset = (uint64_t)hdr_len + ti[i].offset;
  }
  free(ti);
  return TP_OK;
}

tp_status tp_gguf_layout(tp_layout *p) {
  tp_metastore model_meta, shard_meta;
  uint64_t alignment, cur_bytes = 0;
  size_t i, cur_count = 0, nshards, *first = NULL, *count = NULL, ncap = 0;
  size_t prefix_len;
  tp_status st;
  int small_first = (p->opts.flags & TP_CONVERT_NO_TENSOR_FIRST_SPLIT) != 0;

  /* defaults for sources whose metadata was not a typed set already (a
     GGUF, or SafeTensors made from one) */
  if (p->src && !p->meta_typed) {
    st = tp_gguf_meta_add_defaults(&p->meta, p->src->path);
    if (st != TP_OK) return st;
  }
  st = tp_gguf_meta_alignment(&p->meta, &alignment);
  if (st == TP_OK) st = tp_gguf_check_meta(&p->meta, TP_EFORMAT);
  if (st != TP_OK) return tp_error_prefix("output metadata");

  /* byte order of every tensor: the executor swaps elements on write */
  for (i = 0; i < p->n; i++) {
    tp_out_tensor *e = &p->entries[i];
    e->swap_size = 0;
    if (p->opts.flags & TP_CONVERT_BIG_ENDIAN) {
      uint8_t sw;
      if (!tp_swap_rule(e->dst_type, &sw)) {
        char q[200];
        tp_quote_for_message(q, sizeof q, e->name, e->name_len);
        return tp_error(TP_EUNSUPPORTED,
                        "tensor \"%s\": cannot write %s data big-endian (no "
                        "byte-swap rule for this block type)",
                        q, tp_type_name(e->dst_type));
      }
      e->swap_size = sw;
    }
  }

  /* shards as gguf-py's GGUFWriter.add_tensor_info cuts them */
  nshards = small_first ? 2 : 1;
  st = tp_grow((void **)&first, &ncap, nshards + 1, sizeof *first);
  if (st != TP_OK) return st;
  count = tp_calloc(ncap, sizeof *count);
  if (!count) {
    free(first);
    return TP_ENOMEM;
  }
  first[0] = first[nshards - 1] = 0;
  count[0] = count[nshards - 1] = 0;
  for (i = 0; i < p->n; i++) {
    uint64_t nb = p->entries[i].dst_nbytes;
    if (cur_count > 0 &&
        ((p->opts.split_max_tensors && cur_count >= p->opts.split_max_tensors) ||
         (p->opts.split_max_size &&
          (cur_bytes + nb < cur_bytes || cur_bytes + nb > p->opts.split_max_size)))) {
      size_t oldcap = ncap;
      st = tp_grow((void **)&first, &ncap, nshards + 1, sizeof *first);
      if (st == TP_OK && ncap != oldcap) {
        size_t *c = tp_realloc(count, ncap * sizeof *count);
        if (!c) st = TP_ENOMEM;
        else count = c;
      }
      if (st != TP_OK) {
        free(first);
        free(count);
        return st;
      }
      first[nshards] = i;
      count[nshards] = 0;
      nshards++;
      cur_count = 0;
      cur_bytes = 0;
    }
    count[nshards - 1]++;
    cur_count++;
    cur_bytes = cur_bytes + nb < cur_bytes ? UINT64_MAX : cur_bytes + nb;
  }

  /* model KVs without the source's split bookkeeping (a rewrite of one
     part of a split set keeps its own) */
  tp_meta_init(&model_meta);
  for (i = 0; i < p->meta.n && st == TP_OK; i++) {
    const tp_meta_item *it = &p->meta.items[i];
    if (!p->keep_meta && is_split_key(it->key, it->key_len)) continue;
    st = tp_meta_set(&model_meta, it->key, it->key_len, &it->val, 0);
  }
  if (st == TP_OK && nshards == 1) {
    st = layout_file(p, p->out_path, &model_meta, 0, p->n, alignment);
  } else if (st == TP_OK) {
    size_t olen = strlen(p->out_path);
    prefix_len = olen;
    if (olen > 5 && !strcasecmp(p->out_path + olen - 5, ".gguf")) prefix_len -= 5;
    if (nshards > UINT16_MAX)
      st = tp_error(TP_ELIMIT,
                    "%s: %zu output files exceed GGUF's split limit (%u; "
                    "split.count is UINT16)",
                    p->out_path, nshards, (unsigned)UINT16_MAX);
    else if (p->n > (size_t)INT32_MAX)
      st = tp_error(TP_ELIMIT, "%zu tensors exceed split.tensors.count (INT32)",
                    p->n);
    for (i = 0; i < nshards && st == TP_OK; i++) {
      char *path = tp_gguf_split_path(p->out_path, prefix_len, (uint32_t)i + 1,
                                      (uint32_t)nshards);
      if (!path) {
        st = TP_ENOMEM;
        break;
      }
      tp_meta_init(&shard_meta);
      if (i == 0) {
        st = tp_meta_copy_all(&shard_meta, &model_meta);
      } else if (alignment != TP_GGUF_DEFAULT_ALIGNMENT) {
        /* every shard is parsed on its own: each needs the alignment */
        st = set_int(&shard_meta, TP_GGUF_KEY_ALIGNMENT, TP_VALUE_U32, alignment);
      }
      if (st == TP_OK)
        st = set_int(&shard_meta, TP_GGUF_KEY_SPLIT_NO, TP_VALUE_U16, i);
      if (st == TP_OK)
        st = set_int(&shard_meta, TP_GGUF_KEY_SPLIT_COUNT, TP_VALUE_U16, nshards);
      if (st == TP_OK)
        st = set_int(&shard_meta, TP_GGUF_KEY_SPLIT_TENSORS, TP_VALUE_I32, p->n);
      if (st == TP_OK)
        st = layout_file(p, path, &shard_meta, first[i], count[i], alignment);
      tp_meta_free(&shard_meta);
      free(path);
    }
  }
  tp_meta_free(&model_meta);
  free(first);
  free(count);
  return st;
}
