/*
 * read.c - GGUF reader: versions 1-3, little- and big-endian files,
 * split sets (<prefix>-NNNNN-of-MMMMM.gguf) opened as one model.
 *
 * The header is read through a small window over the input file, never
 * mapped or trusted: every count, length and offset is checked against the
 * bytes that remain before anything is allocated, every product and sum is
 * overflow-checked, and the checks are a strict superset of llama.cpp's
 * gguf.cpp (docs/formats/gguf.md lists them and where we are stricter).
 * Shapes are translated from GGUF's ne[] (innermost first) to the canonical
 * row-major order here and nowhere else.
 */
#include "gguf.h"

#include "../../dtype/dtype.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* Header bytes are pulled through this window; larger values (long strings,
 * big arrays) are read straight into their destination. */
#define RD_WINDOW (1u << 20)

/* Smallest possible encodings, used to check counts against the remaining
 * bytes before looping: a KV is a length, a key byte, a type and a value
 * byte; a tensor record is a length, a name byte, n_dims, type, offset. */
#define RD_MIN_KV_V1 10u
#define RD_MIN_KV 14u
#define RD_MIN_TENSOR_V1 21u
#define RD_MIN_TENSOR 25u

typedef struct rd {
  tp_infile *f;
  const char *path;
  uint64_t fsize;
  uint64_t pos;      /* next byte to read */
  uint8_t *win;
  size_t win_cap;    /* RD_WINDOW, or less for a small file */
  uint64_t win_off;
  size_t win_len;
  int be;            /* numbers are big-endian */
  int v1;            /* 32-bit counts, lengths and dimensions */
  char locus[320];   /* "header", "key 3 \"general.name\"", "tensor \"x\"" */
  char *scratch;     /* key and string buffer */
  size_t scratch_cap;
} rd;

static tp_status rd_fail(rd *r, tp_status st, const char *fmt, ...)
    TP_PRINTF(3, 4);

static tp_status rd_fail(rd *r, tp_status st, const char *fmt, ...) {
  char msg[1200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return tp_error(st, "%s: gguf: %s: %s", r->path, r->locus, msg);
}

static void rd_locus(rd *r, const char *fmt, ...) TP_PRINTF(2, 3);
static void rd_locus(rd *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->locus, sizeof r->locus, fmt, ap);
  va_end(ap);
}

static uint64_t rd_remain(const rd *r) { return r->fsize - r->pos; }

/* Reads exactly n bytes at the cursor; a read past the end of the file is a
 * truncated header. */
static tp_status rd_bytes(rd *r, void *dst, size_t n, const char *what) {
  uint8_t *d = (uint8_t *)dst;
  if ((uint64_t)n > rd_remain(r))
    return rd_fail(r, TP_EFORMAT,
                   "truncated file: %s needs %zu bytes at offset %" PRIu64
                   " but only %" PRIu64 " remain (file size %" PRIu64 ")",
                   what, n, r->pos, rd_remain(r), r->fsize);
  while (n > 0) {
    if (r->pos >= r->win_off && r->pos < r->win_off + r->win_len) {
      size_t at = (size_t)(r->pos - r->win_off);
      size_t k = TP_MIN(n, r->win_len - at);
      memcpy(d, r->win + at, k);
      d += k;
      n -= k;
      r->pos += k;
    } else if (n >= r->win_cap) {
      tp_status st = tp_infile_read(r->f, r->pos, d, n);
      if (st != TP_OK) return tp_error_prefix("%s: gguf: %s", r->path, r->locus);
      r->pos += n;
      n = 0;
    } else {
      size_t len = (size_t)TP_MIN((uint64_t)r->win_cap, rd_remain(r));
      tp_status st = tp_infile_read(r->f, r->pos, r->win, len);
      if (st != TP_OK) return tp_error_prefix("%s: gguf: %s", r->path, r->locus);
      r->win_off = r->pos;
      r->win_len = len;
    }
  }
  return TP_OK;
}

static tp_status rd_u8(rd *r, uint8_t *v, const char *what) {
  return rd_bytes(r, v, 1, what);
}

static tp_status rd_u16(rd *r, uint16_t *v, const char *what) {
  uint8_t b[2];
  tp_status st = rd_bytes(r, b, 2, what);
  if (st == TP_OK) *v = r->be ? tp_load_be16(b) : tp_load_le16(b);
  return st;
}

static tp_status rd_u32(rd *r, uint32_t *v, const char *what) {
  uint8_t b[4];
  tp_status st = rd_bytes(r, b, 4, what);
  if (st == TP_OK) *v = r->be ? tp_load_be32(b) : tp_load_le32(b);
  return st;
}

static tp_status rd_u64(rd *r, uint64_t *v, const char *what) {
  uint8_t b[8];
  tp_status st = rd_bytes(r, b, 8, what);
  if (st == TP_OK) *v = r->be ? tp_load_be64(b) : tp_load_le64(b);
  return st;
}

/* Counts, lengths and dimensions: 32-bit in v1, 64-bit afterwards. */
static tp_status rd_count(rd *r, uint64_t *v, const char *what) {
  if (r->v1) {
    uint32_t x;
    tp_status st = rd_u32(r, &x, what);
    if (st == TP_OK) *v = x;
    return st;
  }
  return rd_u64(r, v, what);
}

static size_t rd_len_size(const rd *r) { return r->v1 ? 4 : 8; }

/* Reads a string into the scratch buffer (NUL-terminated there). */
static tp_status rd_string(rd *r, tp_string *out, const char *what) {
  uint64_t len;
  tp_status st = rd_count(r, &len, what);
  if (st != TP_OK) return st;
  if (len > rd_remain(r))
    return rd_fail(r, TP_EFORMAT,
                   "%s length %" PRIu64 " exceeds the remaining file size (%"
                   PRIu64 " bytes at offset %" PRIu64 ")",
                   what, len, rd_remain(r), r->pos);
  if (len > TP_GGUF_MAX_STRING || len >= SIZE_MAX)
    return rd_fail(r, TP_ELIMIT,
                   "%s length %" PRIu64 " exceeds the limit (%llu bytes)",
                   what, len, (unsigned long long)TP_GGUF_MAX_STRING);
  if (len + 1 > r->scratch_cap) {
    size_t cap = (size_t)len + 1;
    char *p = tp_realloc(r->scratch, cap);
    if (!p) return TP_ENOMEM;
    r->scratch = p;
    r->scratch_cap = cap;
  }
  st = rd_bytes(r, r->scratch, (size_t)len, what);
  if (st != TP_OK) return st;
  r->scratch[len] = 0;
  out->data = r->scratch;
  out->len = (size_t)len;
  return TP_OK;
}

/* ---- values ----------------------------------------------------------------- */

static const char *value_type_name(uint32_t t) {
  return t < TP_VALUE_COUNT ? tp_value_type_name((tp_value_type)t) : "?";
}

/* A scalar of type t (not STRING/ARRAY) into v. */
static tp_status rd_scalar(rd *r, uint32_t t, tp_value *v) {
  tp_status st = TP_OK;
  uint8_t b8 = 0;
  uint16_t b16 = 0;
  uint32_t b32 = 0;
  uint64_t b64 = 0;
  memset(v, 0, sizeof *v);
  v->type = (tp_value_type)t;
  switch (t) {
  case TP_VALUE_U8: st = rd_u8(r, &b8, "value"); v->v.u = b8; break;
  case TP_VALUE_I8: st = rd_u8(r, &b8, "value"); v->v.i = (int8_t)b8; break;
  /* any non-zero byte is true, as in gguf.cpp; stored as 0/1 */
  case TP_VALUE_BOOL: st = rd_u8(r, &b8, "value"); v->v.u = b8 != 0; break;
  case TP_VALUE_U16: st = rd_u16(r, &b16, "value"); v->v.u = b16; break;
  case TP_VALUE_I16: st = rd_u16(r, &b16, "value"); v->v.i = (int16_t)b16; break;
  case TP_VALUE_U32: st = rd_u32(r, &b32, "value"); v->v.u = b32; break;
  case TP_VALUE_I32: st = rd_u32(r, &b32, "value"); v->v.i = (int32_t)b32; break;
  case TP_VALUE_F32:
    st = rd_u32(r, &b32, "value");
    v->v.f = (double)tp_bits_f32(b32);
    break;
  case TP_VALUE_U64: st = rd_u64(r, &b64, "value"); v->v.u = b64; break;
  case TP_VALUE_I64: st = rd_u64(r, &b64, "value"); v->v.i = (int64_t)b64; break;
  case TP_VALUE_F64:
    st = rd_u64(r, &b64, "value");
    v->v.f = tp_bits_f64(b64);
    break;
  default:
    return rd_fail(r, TP_EFORMAT, "invalid value type %" PRIu32, t);
  }
  return st;
}

/* An array value; elements are allocated from a. */
static tp_status rd_array(rd *r, tp_arena *a, tp_value *v) {
  uint32_t et;
  uint64_t count, i;
  tp_status st = rd_u32(r, &et, "array element type");
  if (st != TP_OK) return st;
  if (et == TP_VALUE_ARRAY)
    return rd_fail(r, TP_EUNSUPPORTED,
                   "nested arrays (array of ARRAY) are not supported");
  if (et >= TP_VALUE_COUNT)
    return rd_fail(r, TP_EFORMAT,
                   "invalid array element type %" PRIu32 " (valid 0..12)", et);
  st = rd_count(r, &count, "array count");
  if (st != TP_OK) return st;
  memset(v, 0, sizeof *v);
  v->type = TP_VALUE_ARRAY;
  v->elem_type = (tp_value_type)et;
  v->count = count;
  if (et == TP_VALUE_STRING) {
    tp_string *arr;
    /* every element carries at least its length prefix */
    if (count > rd_remain(r) / rd_len_size(r))
      return rd_fail(r, TP_EFORMAT,
                     "string array count %" PRIu64 " exceeds what the "
                     "remaining %" PRIu64 " bytes can hold",
                     count, rd_remain(r));
    if (count > TP_GGUF_MAX_ARRAY || count > SIZE_MAX / sizeof *arr)
      return rd_fail(r, TP_ELIMIT,
                     "array count %" PRIu64 " exceeds the limit (%llu)", count,
                     (unsigned long long)TP_GGUF_MAX_ARRAY);
    arr = tp_arena_alloc(a, (size_t)(count ? count : 1) * sizeof *arr);
    if (!arr) return TP_ENOMEM;
    for (i = 0; i < count; i++) {
      tp_string s;
      char *p;
      st = rd_string(r, &s, "array string");
      if (st != TP_OK) return st;
      p = tp_arena_strndup(a, s.data, s.len);
      if (!p) return TP_ENOMEM;
      arr[i].data = p;
      arr[i].len = s.len;
    }
    v->v.array = arr;
  } else {
    size_t esz = tp_value_type_size((tp_value_type)et);
    uint8_t *buf;
    if (count > rd_remain(r) / esz)
      return rd_fail(r, TP_EFORMAT,
                     "array of %" PRIu64 " %s needs %" PRIu64 "+ bytes but "
                     "only %" PRIu64 " remain",
                     count, value_type_name(et),
                     count <= UINT64_MAX / esz ? count * esz : UINT64_MAX,
                     rd_remain(r));
    if (count > TP_GGUF_MAX_ARRAY || count > SIZE_MAX / esz)
      return rd_fail(r, TP_ELIMIT,
                     "array count %" PRIu64 " exceeds the limit (%llu)", count,
                     (unsigned long long)TP_GGUF_MAX_ARRAY);
    buf = tp_arena_alloc(a, (size_t)(count ? count : 1) * esz);
    if (!buf) return TP_ENOMEM;
    st = rd_bytes(r, buf, (size_t)count * esz, "array data");
    if (st != TP_OK) return st;
    if (esz > 1 && r->be != TP_HOST_BIG_ENDIAN)
      tp_byteswap(buf, (size_t)count, esz);
    if (et == TP_VALUE_BOOL)
      for (i = 0; i < count; i++) buf[i] = buf[i] != 0;
    v->v.array = buf;
  }
  return TP_OK;
}

/* ---- tensor types --------------------------------------------------------- */

static const char *removed_type_name(uint32_t id) {
  switch (id) {
  case 4: return "Q4_2";
  case 5: return "Q4_3";
  case 31: return "Q4_0_4_4";
  case 32: return "Q4_0_4_8";
  case 33: return "Q4_0_8_8";
  case 36: return "IQ4_NL_4_4";
  case 37: return "IQ4_NL_4_8";
  case 38: return "IQ4_NL_8_8";
  default: return NULL;
  }
}

/* ---- one file --------------------------------------------------------------- */

static tp_status parse_kvs(rd *r, uint64_t n_kv, tp_metastore *meta) {
  uint64_t i;
  tp_status st = TP_OK;
  for (i = 0; i < n_kv && st == TP_OK; i++) {
    tp_string key;
    char *k;
    size_t klen;
    uint32_t type;
    tp_value v;
    tp_arena tmp;
    char q[200];
    rd_locus(r, "key %" PRIu64, i);
    st = rd_string(r, &key, "key");
    if (st != TP_OK) return st;
    if (key.len == 0) return rd_fail(r, TP_EFORMAT, "empty key");
    if (key.len > TP_GGUF_MAX_KEY)
      return rd_fail(r, TP_EFORMAT, "key is %zu bytes long (limit %u)",
                     key.len, TP_GGUF_MAX_KEY);
    tp_quote_for_message(q, sizeof q, key.data, key.len);
    rd_locus(r, "key %" PRIu64 " \"%s\"", i, q);
    if (memchr(key.data, 0, key.len))
      return rd_fail(r, TP_EFORMAT, "key contains a NUL byte");
    if (tp_meta_find(meta, key.data, key.len) != SIZE_MAX)
      return rd_fail(r, TP_EFORMAT, "duplicate key");
    /* the scratch buffer is reused for string values: keep the key */
    k = tp_strndup(key.data, key.len);
    if (!k) return TP_ENOMEM;
    klen = key.len;
    tp_arena_init(&tmp);
    st = rd_u32(r, &type, "value type");
    if (st == TP_OK) {
      if (type == TP_VALUE_ARRAY) {
        st = rd_array(r, &tmp, &v);
      } else if (type == TP_VALUE_STRING) {
        tp_string s;
        st = rd_string(r, &s, "string value");
        if (st == TP_OK) {
          memset(&v, 0, sizeof v);
          v.type = TP_VALUE_STRING;
          v.v.s = s;
        }
      } else if (type < TP_VALUE_COUNT) {
        st = rd_scalar(r, type, &v);
      } else {
        st = rd_fail(r, TP_EFORMAT,
                     "invalid value type %" PRIu32 " (valid 0..12)", type);
      }
    }
    if (st == TP_OK) {
      st = tp_meta_set(meta, k, klen, &v, 0);
      if (st != TP_OK) st = tp_error_prefix("%s: gguf: %s", r->path, r->locus);
    }
    tp_arena_free(&tmp);
    free(k);
  }
  return st;
}

/* general.alignment: UINT32, non-zero power of two (as gguf.cpp). */
static tp_status read_alignment(rd *r, const tp_metastore *meta,
                                uint64_t *align) {
  size_t i = tp_meta_find(meta, TP_GGUF_KEY_ALIGNMENT,
                          strlen(TP_GGUF_KEY_ALIGNMENT));
  *align = TP_GGUF_DEFAULT_ALIGNMENT;
  if (i == SIZE_MAX) return TP_OK;
  rd_locus(r, "key %zu \"%s\"", i, TP_GGUF_KEY_ALIGNMENT);
  if (meta->items[i].val.type != TP_VALUE_U32)
    return rd_fail(r, TP_EFORMAT, "wrong type (%s vs expected UINT32)",
                   tp_value_type_name(meta->items[i].val.type));
  if (!tp_is_pow2_u64(meta->items[i].val.v.u))
    return rd_fail(r, TP_EFORMAT,
                   "alignment %" PRIu64 " is not a non-zero power of two",
                   meta->items[i].val.v.u);
  if (meta->items[i].val.v.u > TP_GGUF_MAX_ALIGNMENT)
    return rd_fail(r, TP_EFORMAT,
                   "alignment %" PRIu64 " exceeds the limit (%u)",
                   meta->items[i].val.v.u, TP_GGUF_MAX_ALIGNMENT);
  *align = meta->items[i].val.v.u;
  return TP_OK;
}

/* One tensor record; adds the tensor to m with its offset relative to the
 * data start, which must equal the running padded sum *expect. */
static tp_status parse_tensor(rd *r, tp_model *m, uint32_t file_index,
                              uint64_t index, uint64_t align, uint64_t *expect) {
  tp_string name;
  char q[200];
  uint32_t n_dims = 0, j, type_id = 0;
  uint64_t ne[TP_GGUF_MAX_DIMS] = {1, 1, 1, 1};
  uint64_t shape[TP_GGUF_MAX_DIMS];
  uint64_t nel = 1, row_bytes = 0, nbytes = 0, padded = 0, offset = 0, next = 0;
  uint32_t blck, bb;
  tp_type type = TP_TYPE_F32;
  uint8_t swap = 0;
  size_t tidx;
  tp_status st;
  char *nm;

  rd_locus(r, "tensor %" PRIu64, index);
  st = rd_string(r, &name, "tensor name");
  if (st != TP_OK) return st;
  if (name.len == 0) return rd_fail(r, TP_EFORMAT, "empty tensor name");
  tp_quote_for_message(q, sizeof q, name.data, name.len);
  if (name.len >= TP_GGUF_MAX_NAME)
    return rd_fail(r, TP_EFORMAT,
                   "name \"%s\" is %zu bytes long (limit %u)", q, name.len,
                   TP_GGUF_MAX_NAME - 1);
  rd_locus(r, "tensor \"%s\"", q);
  if (memchr(name.data, 0, name.len))
    return rd_fail(r, TP_EFORMAT, "name contains a NUL byte");
  nm = tp_strndup(name.data, name.len);
  if (!nm) return TP_ENOMEM;

  st = rd_u32(r, &n_dims, "n_dims");
  if (st == TP_OK && n_dims > TP_GGUF_MAX_DIMS)
    st = rd_fail(r, TP_EFORMAT, "n_dims %" PRIu32 " (GGUF allows at most %u)",
                 n_dims, TP_GGUF_MAX_DIMS);
  for (j = 0; st == TP_OK && j < n_dims; j++) {
    st = rd_count(r, &ne[j], "dimension");
    if (st != TP_OK) break;
    if (ne[j] > (uint64_t)INT64_MAX)
      st = rd_fail(r, TP_EFORMAT,
                   "dimension %" PRIu32 " is negative (%" PRId64 ")", j,
                   (int64_t)ne[j]);
  }
  /* ggml requires the element count to fit in int64 */
  for (j = 0; st == TP_OK && j < TP_GGUF_MAX_DIMS; j++)
    if (tp_mul_overflow_u64(nel, ne[j], &nel) || nel > (uint64_t)INT64_MAX)
      st = rd_fail(r, TP_EFORMAT,
                   "element count of ne [%" PRIu64 ", %" PRIu64 ", %" PRIu64
                   ", %" PRIu64 "] overflows int64",
                   ne[0], ne[1], ne[2], ne[3]);
  if (st == TP_OK) st = rd_u32(r, &type_id, "type");
  if (st == TP_OK) {
    const char *rm = removed_type_name(type_id);
    if (type_id >= TP_GGUF_TYPE_ID_COUNT)
      st = rd_fail(r, TP_EFORMAT, "invalid ggml type %" PRIu32 " (valid 0..%u)",
                   type_id, TP_GGUF_TYPE_ID_COUNT - 1);
    else if (rm)
      st = rd_fail(r, TP_EFORMAT,
                   "ggml type %" PRIu32 " (%s) was removed from ggml and has no "
                   "block size",
                   type_id, rm);
    else if (tp_type_from_ggml_id(type_id, &type) != TP_OK)
      st = rd_fail(r, TP_EUNSUPPORTED, "ggml type %" PRIu32 " is not supported",
                   type_id);
  }
  if (st == TP_OK) {
    blck = tp_type_block_elems(type);
    bb = tp_type_block_bytes(type);
    /* (ne0 / blck) * type_size first: never ne0 * type_size (gguf.md §9) */
    if (ne[0] % blck)
      st = rd_fail(r, TP_EFORMAT,
                   "row length ne0=%" PRIu64 " is not a multiple of the %s "
                   "block size %" PRIu32,
                   ne[0], tp_type_name(type), blck);
    else if (tp_mul_overflow_u64(ne[0] / blck, bb, &row_bytes) ||
             tp_mul_overflow_u64(row_bytes, ne[1], &nbytes) ||
             tp_mul_overflow_u64(nbytes, ne[2], &nbytes) ||
             tp_mul_overflow_u64(nbytes, ne[3], &nbytes))
      st = rd_fail(r, TP_EFORMAT,
                   "byte size of ne [%" PRIu64 ", %" PRIu64 ", %" PRIu64
                   ", %" PRIu64 "] x %s overflows 64 bits",
                   ne[0], ne[1], ne[2], ne[3], tp_type_name(type));
    else if (tp_align_up_overflow_u64(nbytes, align, &padded))
      st = rd_fail(r, TP_EFORMAT,
                   "size %" PRIu64 " bytes overflows when padded to the "
                   "alignment %" PRIu64,
                   nbytes, align);
  }
  if (st == TP_OK && r->be && !tp_swap_rule(type, &swap))
    st = rd_fail(r, TP_EUNSUPPORTED,
                 "%s data in a big-endian GGUF file is not supported (no "
                 "byte-swap rule for this block type)",
                 tp_type_name(type));
  if (st == TP_OK) st = rd_u64(r, &offset, "offset");
  if (st == TP_OK && offset != *expect) {
    /* llama.cpp's packing rule: data in record order, each padded */
    if (offset % align)
      st = rd_fail(r, TP_EFORMAT,
                   "offset %" PRIu64 " is not a multiple of the alignment %"
                   PRIu64 " (%" PRIu64 " vs expected %" PRIu64 ")",
                   offset, align, offset, *expect);
    else if (offset < *expect)
      st = rd_fail(r, TP_EFORMAT,
                   "offset %" PRIu64 " overlaps the previous tensor's data (%"
                   PRIu64 " vs expected %" PRIu64 ")",
                   offset, offset, *expect);
    else
      st = rd_fail(r, TP_EFORMAT,
                   "offset %" PRIu64 " is not packed after the previous "
                   "tensor (%" PRIu64 " vs expected %" PRIu64 ")",
                   offset, offset, *expect);
  }
  if (st == TP_OK && tp_add_overflow_u64(*expect, padded, &next))
    st = rd_fail(r, TP_EFORMAT,
                 "data section size overflows (%" PRIu64 " + %" PRIu64 ")",
                 *expect, padded);
  if (st == TP_OK) {
    for (j = 0; j < n_dims; j++) shape[j] = ne[n_dims - 1 - j];
    st = tp_model_add_tensor(m, nm, name.len, type, n_dims, shape, file_index,
                             offset, &tidx);
    if (st != TP_OK) {
      st = tp_error_prefix("%s: gguf", r->path);
    } else {
      m->tensors[tidx].swap_size = swap;
      *expect = next;
    }
  }
  free(nm);
  return st;
}

tp_status tp_gguf_parse_file(tp_model *m, uint32_t file_index,
                             tp_metastore *meta, int *be_out,
                             uint32_t *version_out, uint64_t *align_out) {
  rd r;
  uint8_t magic[4];
  uint32_t version;
  uint64_t n_tensors, n_kv, i, align, expect = 0;
  uint64_t data_start, end_max;
  size_t first_tensor = m->ntensors;
  tp_status st;

  memset(&r, 0, sizeof r);
  r.f = m->files[file_index];
  r.path = tp_infile_path(r.f);
  r.fsize = tp_infile_size(r.f);
  rd_locus(&r, "header");
  r.win_cap = (size_t)TP_MIN((uint64_t)RD_WINDOW, r.fsize ? r.fsize : 1);
  r.win = tp_malloc(r.win_cap);
  if (!r.win) return TP_ENOMEM;

  if (r.fsize < 8) {
    st = rd_fail(&r, TP_EFORMAT, "file too small (%" PRIu64 " bytes)", r.fsize);
    goto done;
  }
  st = rd_bytes(&r, magic, 4, "magic");
  if (st != TP_OK) goto done;
  if (!memcmp(magic, "FUGG", 4)) {
    r.be = 1; /* gguf-py's explicit big-endian magic */
  } else if (memcmp(magic, "GGUF", 4)) {
    char q[64];
    tp_quote_for_message(q, sizeof q, (const char *)magic, 4);
    st = rd_fail(&r, TP_EFORMAT, "bad magic \"%s\" (expected \"GGUF\")", q);
    goto done;
  }
  st = rd_u32(&r, &version, "version");
  if (st != TP_OK) goto done;
  /* a byte-swapped version has zero low 16 bits (gguf.cpp's heuristic) */
  if (!r.be && version != 0 && (version & 0xFFFFu) == 0) {
    r.be = 1;
    version = (version >> 24) | ((version >> 8) & 0xFF00u) |
              ((version << 8) & 0xFF0000u) | (version << 24);
  }
  if (version == 0) {
    st = rd_fail(&r, TP_EFORMAT, "bad version 0 (1, 2 or 3 expected)");
    goto done;
  }
  if (version > 3) {
    st = rd_fail(&r, TP_EUNSUPPORTED,
                 "version %" PRIu32 " not supported (%s; 1, 2 or 3 expected)",
                 version, r.be ? "read as big-endian" : "little-endian");
    goto done;
  }
  r.v1 = version == 1;
  st = rd_count(&r, &n_tensors, "n_tensors");
  if (st == TP_OK) st = rd_count(&r, &n_kv, "n_kv");
  if (st != TP_OK) goto done;
  if (n_tensors > (uint64_t)INT64_MAX || n_kv > (uint64_t)INT64_MAX) {
    st = rd_fail(&r, TP_EFORMAT, "negative count (n_tensors %" PRId64
                 ", n_kv %" PRId64 ")",
                 (int64_t)n_tensors, (int64_t)n_kv);
    goto done;
  }
  /* counts the file cannot possibly hold fail before any allocation */
  if (n_kv > rd_remain(&r) / (r.v1 ? RD_MIN_KV_V1 : RD_MIN_KV)) {
    st = rd_fail(&r, TP_EFORMAT,
                 "n_kv %" PRIu64 " exceeds what the remaining %" PRIu64
                 " bytes can hold",
                 n_kv, rd_remain(&r));
    goto done;
  }
  if (n_tensors > rd_remain(&r) / (r.v1 ? RD_MIN_TENSOR_V1 : RD_MIN_TENSOR)) {
    st = rd_fail(&r, TP_EFORMAT,
                 "n_tensors %" PRIu64 " exceeds what the remaining %" PRIu64
                 " bytes can hold",
                 n_tensors, rd_remain(&r));
    goto done;
  }
  if (n_kv > TP_GGUF_MAX_KV) {
    st = rd_fail(&r, TP_ELIMIT, "n_kv %" PRIu64 " exceeds the limit (%u)", n_kv,
                 TP_GGUF_MAX_KV);
    goto done;
  }
  if (n_tensors > TP_MAX_TENSORS ||
      m->ntensors + n_tensors > (uint64_t)TP_MAX_TENSORS) {
    st = rd_fail(&r, TP_ELIMIT, "n_tensors %" PRIu64 " exceeds the limit (%u)",
                 n_tensors, TP_MAX_TENSORS);
    goto done;
  }

  st = parse_kvs(&r, n_kv, meta);
  if (st != TP_OK) goto done;
  st = read_alignment(&r, meta, &align);
  if (st != TP_OK) goto done;
  st = tp_gguf_check_meta(meta, TP_EFORMAT);
  if (st != TP_OK) {
    st = tp_error_prefix("%s: gguf", r.path);
    goto done;
  }

  for (i = 0; i < n_tensors; i++) {
    st = parse_tensor(&r, m, file_index, i, align, &expect);
    if (st != TP_OK) goto done;
  }

  /* data section: aligned start, every tensor inside the file */
  rd_locus(&r, "data section");
  if (tp_align_up_overflow_u64(r.pos, align, &data_start)) {
    st = rd_fail(&r, TP_EFORMAT, "data start overflows");
    goto done;
  }
  if (n_tensors > 0 && data_start > r.fsize) {
    st = rd_fail(&r, TP_EFORMAT,
                 "starts at %" PRIu64 ", beyond the end of the file (%" PRIu64
                 " bytes)",
                 data_start, r.fsize);
    goto done;
  }
  for (i = first_tensor; i < m->ntensors; i++) {
    tp_tensor *t = &m->tensors[i];
    uint64_t abs_off, end;
    if (tp_add_overflow_u64(data_start, t->offset, &abs_off) ||
        tp_add_overflow_u64(abs_off, t->nbytes, &end) || end > r.fsize) {
      char q[200];
      tp_quote_for_message(q, sizeof q, t->name, t->name_len);
      rd_locus(&r, "tensor \"%s\"", q);
      st = rd_fail(&r, TP_EFORMAT,
                   "data at offset %" PRIu64 " + %" PRIu64 " bytes ends past "
                   "the end of the file (%" PRIu64 " vs file size %" PRIu64 ")",
                   data_start + t->offset, t->nbytes,
                   (uint64_t)(data_start + t->offset + t->nbytes), r.fsize);
      goto done;
    }
    t->offset = abs_off;
  }
  /* the file ends after the last tensor, at most with its padding; other
   * trailing bytes are refused (no polyglot files, see gguf.md) */
  end_max = n_tensors > 0 ? data_start + expect : data_start;
  if (r.fsize > end_max) {
    rd_locus(&r, "end of file");
    st = rd_fail(&r, TP_EFORMAT,
                 "%" PRIu64 " trailing bytes after the data section (file "
                 "size %" PRIu64 " vs expected at most %" PRIu64 ")",
                 r.fsize - end_max, r.fsize, end_max);
    goto done;
  }
  m->data_offsets[file_index] = TP_MIN(data_start, r.fsize);
  *be_out = r.be;
  *version_out = version;
  *align_out = align;
  st = TP_OK;
done:
  free(r.win);
  free(r.scratch);
  return st;
}

/* ---- probe -------------------------------------------------------------------- */

int tp_gguf_probe(const char *path, const uint8_t *head, size_t head_len,
                  uint64_t file_size, char *why, size_t why_len) {
  size_t n = path ? strlen(path) : 0;
  (void)file_size;
  if (head_len >= 8 && (!memcmp(head, "GGUF", 4) || !memcmp(head, "FUGG", 4))) {
    uint32_t v = tp_load_le32(head + 4);
    int be = !memcmp(head, "FUGG", 4) || (v != 0 && (v & 0xFFFFu) == 0);
    if (be) v = tp_load_be32(head + 4);
    if (why && why_len)
      snprintf(why, why_len, "GGUF magic, version %u (%s-endian)", (unsigned)v,
               be ? "big" : "little");
    return 3;
  }
  if (n >= 5 && !strcmp(path + n - 5, ".gguf")) {
    if (why && why_len) snprintf(why, why_len, "\".gguf\" extension");
    return 1;
  }
  return 0;
}

/* ---- opening files and split sets ----------------------------------------------- */

static const tp_value *meta_get(const tp_metastore *ms, const char *key) {
  size_t i = tp_meta_find(ms, key, strlen(key));
  return i == SIZE_MAX ? NULL : &ms->items[i].val;
}

/* split.no / split.count: UINT16 as llama.cpp writes and reads them. */
static tp_status split_key(const char *path, const tp_metastore *ms,
                           const char *key, int *present, uint64_t *val) {
  const tp_value *v = meta_get(ms, key);
  *present = v != NULL;
  *val = 0;
  if (!v) return TP_OK;
  if (v->type != TP_VALUE_U16)
    return tp_error(TP_EFORMAT, "%s: gguf: key \"%s\": wrong type (%s vs "
                    "expected UINT16)",
                    path, key, tp_value_type_name(v->type));
  *val = v->v.u;
  return TP_OK;
}

static tp_status open_single(tp_model **out, tp_infile *f, const char *path) {
  tp_model *m;
  uint32_t idx, version;
  int be;
  uint64_t align;
  tp_status st;
  *out = NULL;
  st = tp_model_new(&m, TP_FORMAT_GGUF, path ? path : tp_infile_path(f));
  if (st != TP_OK) {
    tp_infile_close(f);
    return st;
  }
  st = tp_model_add_file(m, f, 0, &idx);
  if (st == TP_OK) st = tp_gguf_parse_file(m, idx, &m->meta, &be, &version, &align);
  if (st != TP_OK) {
    tp_model_free(m);
    return st;
  }
  m->gguf_version = version;
  m->big_endian = be;
  m->alignment = align;
  *out = m;
  return TP_OK;
}

tp_status tp_gguf_open_infile(tp_model **out, tp_infile *f) {
  return open_single(out, f, NULL);
}

/* Opens parts 1..count of a split set as one model. user_path is the name
 * the user gave (kept as the model's path). */
static tp_status open_split_set(tp_model **out, const char *user_path,
                                const char *prefix, size_t prefix_len,
                                uint32_t count, int use_mmap) {
  tp_model *m = NULL;
  tp_status st;
  uint32_t k;
  *out = NULL;
  st = tp_model_new(&m, TP_FORMAT_GGUF, user_path);
  if (st != TP_OK) return st;
  for (k = 1; k <= count; k++) {
    char *pp = tp_gguf_split_path(prefix, prefix_len, k, count);
    tp_infile *f = NULL;
    tp_metastore tmp;
    tp_metastore *ms = k == 1 ? &m->meta : &tmp;
    uint32_t idx, version;
    int be, has_no, has_count;
    uint64_t align, no, cnt;
    if (!pp) {
      st = TP_ENOMEM;
      break;
    }
    st = tp_infile_open(&f, pp, use_mmap);
    if (st == TP_ENOTFOUND) {
      st = tp_error(TP_EFORMAT,
                    "%s: gguf: split part %" PRIu32 " of %" PRIu32
                    " is missing (%s not found)",
                    user_path, k, count, pp);
      free(pp);
      break;
    }
    if (st != TP_OK) {
      free(pp);
      break;
    }
    if (k > 1) tp_meta_init(&tmp);
    st = tp_model_add_file(m, f, 0, &idx);
    if (st == TP_OK) st = tp_gguf_parse_file(m, idx, ms, &be, &version, &align);
    if (st == TP_OK) st = split_key(pp, ms, TP_GGUF_KEY_SPLIT_NO, &has_no, &no);
    if (st == TP_OK)
      st = split_key(pp, ms, TP_GGUF_KEY_SPLIT_COUNT, &has_count, &cnt);
    if (st == TP_OK && (!has_no || !has_count))
      st = tp_error(TP_EFORMAT,
                    "%s: gguf: split part %" PRIu32 " of %" PRIu32
                    " has no split.no/split.count keys",
                    pp, k, count);
    if (st == TP_OK && no != k - 1)
      st = tp_error(TP_EFORMAT,
                    "%s: gguf: key \"split.no\": %" PRIu64
                    " but the file name says part %" PRIu32 " of %" PRIu32
                    " (%" PRIu64 " vs expected %" PRIu32 ")",
                    pp, no, k, count, no, k - 1);
    if (st == TP_OK && cnt != count)
      st = tp_error(TP_EFORMAT,
                    "%s: gguf: key \"split.count\": %" PRIu64 " parts but the "
                    "file name says %" PRIu32 " (%" PRIu64 " vs expected %"
                    PRIu32 ")",
                    pp, cnt, count, cnt, count);
    if (st == TP_OK) {
      if (k == 1) {
        m->gguf_version = version;
        m->big_endian = be;
        m->alignment = align;
      } else if (be != m->big_endian) {
        st = tp_error(TP_EUNSUPPORTED,
                      "%s: gguf: split part %" PRIu32 " is %s-endian but part "
                      "1 is %s-endian",
                      pp, k, be ? "big" : "little",
                      m->big_endian ? "big" : "little");
      }
    }
    if (k > 1) tp_meta_free(&tmp);
    free(pp);
    if (st != TP_OK) break;
  }
  if (st == TP_OK) {
    const tp_value *tc = meta_get(&m->meta, TP_GGUF_KEY_SPLIT_TENSORS);
    if (tc && (tc->type != TP_VALUE_I32 || tc->v.i < 0 ||
               (uint64_t)tc->v.i != m->ntensors))
      st = tp_error(TP_EFORMAT,
                    "%s: gguf: key \"split.tensors.count\": %s %" PRId64
                    " but the %" PRIu32 " parts hold %zu tensors (expected "
                    "INT32 %zu)",
                    tp_model_file_path(m, 0), tp_value_type_name(tc->type),
                    tc->type == TP_VALUE_U64 ? (int64_t)tc->v.u : tc->v.i,
                    count, m->ntensors, m->ntensors);
  }
  if (st != TP_OK) {
    tp_model_free(m);
    return st;
  }
  *out = m;
  return TP_OK;
}

tp_status tp_gguf_open(tp_model **out, const char *path,
                       const tp_open_options *opts) {
  tp_infile *f;
  tp_model *m;
  tp_status st;
  int use_mmap = opts ? opts->use_mmap : 0;
  int has_count, has_no;
  uint64_t count, no;
  size_t prefix_len;
  uint32_t name_no, name_count;
  *out = NULL;
  st = tp_infile_open(&f, path, use_mmap);
  if (st != TP_OK) return st;
  st = open_single(&m, f, path);
  if (st != TP_OK) return st;
  st = split_key(path, &m->meta, TP_GGUF_KEY_SPLIT_COUNT, &has_count, &count);
  if (st == TP_OK) st = split_key(path, &m->meta, TP_GGUF_KEY_SPLIT_NO, &has_no, &no);
  if (st != TP_OK) {
    tp_model_free(m);
    return st;
  }
  /* a merged file keeps split.count = 0 (llama-gguf-split --merge); one
   * part of one is a whole model too */
  if (!has_count || count <= 1) {
    *out = m;
    return TP_OK;
  }
  tp_model_free(m);
  if (!tp_gguf_split_parse(path, &prefix_len, &name_no, &name_count))
    return tp_error(TP_EFORMAT,
                    "%s: gguf: key \"split.count\" says %" PRIu64 " parts but "
                    "the file name does not follow <prefix>-NNNNN-of-MMMMM.gguf",
                    path, count);
  if (name_count != count)
    return tp_error(TP_EFORMAT,
                    "%s: gguf: key \"split.count\": %" PRIu64 " parts but the "
                    "file name says %" PRIu32 " (%" PRIu64 " vs expected %"
                    PRIu32 ")",
                    path, count, name_count, count, name_count);
  if (has_no && no != name_no - 1)
    return tp_error(TP_EFORMAT,
                    "%s: gguf: key \"split.no\": %" PRIu64 " but the file name "
                    "says part %" PRIu32 " (%" PRIu64 " vs expected %" PRIu32 ")",
                    path, no, name_no, no, name_no - 1);
  return open_split_set(out, path, path, prefix_len, name_count, use_mmap);
}
