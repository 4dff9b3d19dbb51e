/*
 * read.c - SafeTensors probe and strict reader.
 *
 * Implements every load-time rule of the reference crate (safetensors.md §4)
 * in the same order, so a file is accepted exactly when the reference
 * accepts it, except for the documented stricter choices: duplicate keys
 * anywhere in the header, keys with NUL bytes, integers above 2^63-1,
 * nesting deeper than TP_ST_MAX_DEPTH and more than TP_MAX_TENSORS tensors.
 * Only the header is read (pread); tensor bytes stay in the file. Tensors
 * enter the model in offset order, which is the order of the data.
 *
 * The header is not parsed into one jansson tree: a tree costs over 1 KB per
 * tensor, so a hostile 100 MB header would need gigabytes. Instead a small
 * scanner walks the top-level object (punctuation, keys, value extents) and
 * jansson parses each value on its own; each tensor keeps ~100 bytes.
 * Values are still parsed by jansson with JSON_REJECT_DUPLICATES |
 * JSON_ALLOW_NUL, and keys with escapes are decoded by jansson too. See
 * docs/formats/safetensors.md.
 */
#include "safetensors.h"

#include "../../codec/json_in.h"
#include "../../dtype/dtype.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

/* ---- messages --------------------------------------------------------------- */

/* "<path>: safetensors: <message>" with the caller's status. */
static tp_status TP_PRINTF(3, 4)
    st_fail(const char *path, tp_status st, const char *fmt, ...) {
  char msg[1600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return tp_error(st, "%s: safetensors: %s", path, msg);
}

/* Renders a JSON value briefly for a message: numbers as written, other
 * kinds by their kind. */
static void json_brief(char *buf, size_t len, const json_t *v) {
  if (json_is_integer(v))
    snprintf(buf, len, "%lld", (long long)json_integer_value(v));
  else if (json_is_real(v))
    /* keep "4.0" looking like a float so the message explains itself */
    tp_fmt_real(buf, len, json_real_value(v), TP_FMT_FULL | TP_FMT_POINT);
  else if (json_is_string(v)) {
    char q[256];
    tp_quote_for_message(q, sizeof q, json_string_value(v),
                         json_string_length(v));
    snprintf(buf, len, "\"%s\"", q);
  } else
    snprintf(buf, len, "%s", tp_json_kind(v));
}

/* "[2, 3]" from a shape, cut with "..." when long. */
static void shape_text(char *buf, size_t len, size_t ndim,
                       const uint64_t *shape) {
  size_t o = 0, i;
  if (!len) return;
  buf[0] = 0;
  o += (size_t)snprintf(buf, len, "[");
  for (i = 0; i < ndim && o < len; i++) {
    if (o + 32 >= len) {
      snprintf(buf + o, len - o, ", ...");
      return;
    }
    o += (size_t)snprintf(buf + o, len - o, "%s%llu", i ? ", " : "",
                          (unsigned long long)shape[i]);
  }
  if (o < len) snprintf(buf + o, len - o, "]");
}

/* ---- header scanning helpers ---------------------------------------------- */

static bool is_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static size_t skip_ws(const char *s, size_t i, size_t n) {
  while (i < n && is_ws(s[i])) i++;
  return i;
}

/* s[i] is '"': *end gets the offset after the closing quote. */
static bool scan_string(const char *s, size_t i, size_t n, size_t *end) {
  for (i++; i < n; i++) {
    if (s[i] == '\\')
      i++;
    else if (s[i] == '"') {
      *end = i + 1;
      return true;
    }
  }
  return false;
}

/* The extent of the JSON value starting at s[i] (not validated: jansson
 * parses it afterwards). Containers end at their matching bracket, strings
 * at their closing quote, scalars at whitespace, ',', '}' or ']'. */
static bool scan_value(const char *s, size_t i, size_t n, size_t *end) {
  char c = s[i];
  if (c == '"') return scan_string(s, i, n, end);
  if (c == '{' || c == '[') {
    size_t d = 0;
    for (; i < n; i++) {
      c = s[i];
      if (c == '"') {
        size_t e;
        if (!scan_string(s, i, n, &e)) return false;
        i = e - 1;
      } else if (c == '{' || c == '[') {
        d++;
      } else if (c == '}' || c == ']') {
        if (--d == 0) {
          *end = i + 1;
          return true;
        }
      }
    }
    return false;
  }
  {
    size_t j = i;
    while (j < n && !is_ws(s[j]) && s[j] != ',' && s[j] != '}' && s[j] != ']')
      j++;
    if (j == i) return false;
    *end = j;
    return true;
  }
}

/* jansson reports a duplicate key with the position just after the key's
 * closing quote; find the opening quote (the first unescaped '"' before it)
 * so the message can show the key as written. */
static bool key_before(const char *s, size_t pos, size_t *kstart,
                       size_t *klen) {
  size_t close, i;
  if (pos == 0 || s[pos - 1] != '"') return false;
  close = pos - 1;
  for (i = close; i-- > 0;) {
    if (s[i] == '"') {
      size_t bs = 0, j = i;
      while (j > 0 && s[j - 1] == '\\') {
        bs++;
        j--;
      }
      if (bs % 2 == 0) {
        *kstart = i + 1;
        *klen = close - i - 1;
        return true;
      }
    }
  }
  return false;
}

/* A jansson failure on the n bytes at s, which start at header byte base. */
static tp_status json_failure(const char *path, const char *s, size_t n,
                              size_t base, const json_error_t *err) {
  enum json_error_code code = json_error_code(err);
  size_t pos = err->position >= 0 ? (size_t)err->position : 0;
  if (pos > n) pos = n;
  if (code == json_error_duplicate_key) {
    size_t ks, kl;
    char q[256];
    if (!key_before(s, pos, &ks, &kl))
      return st_fail(path, TP_EFORMAT, "header: duplicate key (header byte %zu)",
                     base + pos);
    tp_quote_for_message(q, sizeof q, s + ks, kl);
    return st_fail(path, TP_EFORMAT,
                   "header: duplicate key \"%s\" in a nested object (header "
                   "byte %zu)",
                   q, base + ks - 1);
  }
  if (code == json_error_null_byte_in_key)
    return st_fail(path, TP_EUNSUPPORTED,
                   "header: a key contains a NUL byte (\\u0000) near header "
                   "byte %zu; tensor names and metadata keys with NUL bytes "
                   "are not supported",
                   base + pos);
  if (code == json_error_numeric_overflow)
    return st_fail(path, TP_EFORMAT,
                   "header: integer too large near header byte %zu (%s; "
                   "values above 9223372036854775807 cannot describe data in "
                   "a file)",
                   base + pos, err->text);
  return st_fail(path, TP_EFORMAT, "header is not valid JSON: %s (header byte %zu)",
                 err->text, base + pos);
}

static tp_status syntax_error(const char *path, const char *what, size_t pos) {
  return st_fail(path, TP_EFORMAT, "header is not valid JSON: %s (header byte %zu)",
                 what, pos);
}

/* ---- header schema ----------------------------------------------------------- */

typedef struct st_entry {
  const char *name; /* in the header buffer or the reader's arena */
  size_t name_len;
  tp_type type;
  size_t ndim;
  uint64_t *shape; /* reader's arena */
  uint64_t begin, end;
  size_t order; /* position in the header, for a stable sort */
} st_entry;

static int cmp_offsets(const void *a, const void *b) {
  const st_entry *x = a, *y = b;
  if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
  if (x->end != y->end) return x->end < y->end ? -1 : 1;
  return x->order < y->order ? -1 : x->order > y->order;
}

static tp_status unknown_dtype(const char *path, const char *q,
                               const json_t *dt) {
  char list[512], v[300];
  size_t o = 0;
  unsigned t;
  list[0] = 0;
  for (t = 0; t < TP_TYPE_COUNT; t++) {
    const char *n = tp_type_safetensors_name((tp_type)t);
    if (n && o < sizeof list)
      o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", o ? ", " : "", n);
  }
  json_brief(v, sizeof v, dt);
  return st_fail(path, TP_EFORMAT,
                 "tensor \"%s\": unknown dtype %s (expected one of %s; names "
                 "are case-sensitive)",
                 q, v, list);
}

/* Checks one tensor entry's fields (serde's schema) and fills e; the shape
 * is copied into the arena. */
static tp_status parse_entry(const char *path, tp_arena *a, const char *name,
                             size_t len, const json_t *v, st_entry *e) {
  char q[256], b[320];
  const json_t *dt, *shape, *offs;
  size_t i, nd;
  tp_quote_for_message(q, sizeof q, name, len);
  if (!json_is_object(v))
    return st_fail(path, TP_EFORMAT,
                   "tensor \"%s\": entry is %s, expected an object with dtype, "
                   "shape and data_offsets",
                   q, tp_json_kind(v));
  dt = json_object_get(v, "dtype");
  shape = json_object_get(v, "shape");
  offs = json_object_get(v, "data_offsets");
  if (!dt || !shape || !offs)
    return st_fail(path, TP_EFORMAT, "tensor \"%s\": missing field \"%s\"", q,
                   !dt ? "dtype" : !shape ? "shape" : "data_offsets");
  if (!json_is_string(dt))
    return st_fail(path, TP_EFORMAT, "tensor \"%s\": dtype is %s, expected a string",
                   q, tp_json_kind(dt));
  if (!tp_type_from_safetensors_name(json_string_value(dt),
                                     json_string_length(dt), &e->type))
    return unknown_dtype(path, q, dt);
  if (!json_is_array(shape))
    return st_fail(path, TP_EFORMAT, "tensor \"%s\": shape is %s, expected an array",
                   q, tp_json_kind(shape));
  nd = json_array_size(shape);
  e->shape = tp_arena_alloc(a, (nd ? nd : 1) * sizeof *e->shape);
  if (!e->shape) return TP_ENOMEM;
  for (i = 0; i < nd; i++) {
    const json_t *d = json_array_get(shape, i);
    if (!json_is_integer(d) || json_integer_value(d) < 0) {
      json_brief(b, sizeof b, d);
      return st_fail(path, TP_EFORMAT,
                     "tensor \"%s\": shape[%zu] is %s, expected an unsigned "
                     "integer",
                     q, i, b);
    }
    e->shape[i] = (uint64_t)json_integer_value(d);
  }
  e->ndim = nd;
  if (!json_is_array(offs))
    return st_fail(path, TP_EFORMAT,
                   "tensor \"%s\": data_offsets is %s, expected [begin, end]", q,
                   tp_json_kind(offs));
  if (json_array_size(offs) != 2)
    return st_fail(path, TP_EFORMAT,
                   "tensor \"%s\": data_offsets has %zu entries (vs 2: [begin, "
                   "end])",
                   q, json_array_size(offs));
  for (i = 0; i < 2; i++) {
    const json_t *d = json_array_get(offs, i);
    if (!json_is_integer(d) || json_integer_value(d) < 0) {
      json_brief(b, sizeof b, d);
      return st_fail(path, TP_EFORMAT,
                     "tensor \"%s\": data_offsets[%zu] is %s, expected an "
                     "unsigned integer",
                     q, i, b);
    }
  }
  e->name = name;
  e->name_len = len;
  e->begin = (uint64_t)json_integer_value(json_array_get(offs, 0));
  e->end = (uint64_t)json_integer_value(json_array_get(offs, 1));
  return TP_OK;
}

/* Checks __metadata__: null or an object of strings. */
static tp_status check_metadata(const char *path, const json_t *md) {
  const char *k;
  size_t kl;
  json_t *v;
  if (json_is_null(md)) return TP_OK;
  if (!json_is_object(md))
    return st_fail(path, TP_EFORMAT,
                   "\"__metadata__\" is %s, expected an object of strings",
                   tp_json_kind(md));
  json_object_keylen_foreach((json_t *)md, k, kl, v) {
    if (!json_is_string(v)) {
      char q[256];
      bool looks_tensor = json_object_get(md, "dtype") &&
                          json_object_get(md, "data_offsets");
      tp_quote_for_message(q, sizeof q, k, kl);
      return st_fail(path, TP_EFORMAT,
                     "\"__metadata__\": value of \"%s\" is %s, expected a "
                     "string%s",
                     q, tp_json_kind(v),
                     looks_tensor ? " (a tensor cannot be named "
                                    "\"__metadata__\")"
                                  : "");
    }
  }
  return TP_OK;
}

/* ---- the top-level object ------------------------------------------------------ */

typedef struct st_header {
  const char *path;
  const char *text; /* the header bytes */
  size_t len;
  tp_arena arena;   /* decoded names, shapes */
  st_entry *es;
  size_t n, cap;
  tp_strmap names;  /* duplicate check over es */
  json_t *meta;     /* the parsed __metadata__ value (may be null) */
  bool have_meta;
} st_header;

static tp_string entry_key(const void *ctx, size_t i) {
  const st_entry *es = (const st_entry *)ctx;
  tp_string s = {es[i].name, es[i].name_len};
  return s;
}

/* Decodes the key whose raw text (inside the quotes) is text[ks..ke). Keys
 * without escapes or control bytes are used in place; others go through
 * jansson, which validates the escapes. */
static tp_status decode_key(st_header *h, size_t ks, size_t ke,
                            const char **out, size_t *out_len) {
  const char *s = h->text + ks;
  size_t n = ke - ks, i;
  bool plain = true;
  for (i = 0; i < n && plain; i++)
    if (s[i] == '\\' || (unsigned char)s[i] < 0x20) plain = false;
  if (plain) {
    *out = s;
    *out_len = n;
    return TP_OK;
  }
  {
    /* ["key"]: jansson decodes the string; NUL bytes are allowed here so
     * that we can report them as such */
    char *buf = tp_malloc(n + 4);
    json_t *arr;
    json_error_t err;
    const json_t *str;
    tp_status st = TP_OK;
    if (!buf) return TP_ENOMEM;
    buf[0] = '[';
    memcpy(buf + 1, s - 1, n + 2);
    buf[n + 3] = ']';
    arr = json_loadb(buf, n + 4, JSON_ALLOW_NUL, &err);
    free(buf);
    if (!arr) {
      /* positions in buf are one past those in the header */
      size_t pos = err.position > 0 ? (size_t)err.position - 1 : 0;
      return st_fail(h->path, TP_EFORMAT,
                     "header is not valid JSON: %s (header byte %zu)", err.text,
                     ks - 1 + pos);
    }
    str = json_array_get(arr, 0);
    if (memchr(json_string_value(str), 0, json_string_length(str))) {
      st = st_fail(h->path, TP_EUNSUPPORTED,
                   "header: the key at header byte %zu contains a NUL byte "
                   "(\\u0000); tensor names and metadata keys with NUL bytes "
                   "are not supported",
                   ks - 1);
    } else {
      char *p = tp_arena_strndup(&h->arena, json_string_value(str),
                                 json_string_length(str));
      if (!p)
        st = TP_ENOMEM;
      else {
        *out = p;
        *out_len = json_string_length(str);
      }
    }
    json_decref(arr);
    return st;
  }
}

/* One "key": value member of the top-level object. */
static tp_status add_member(st_header *h, size_t ks, size_t ke, size_t vs,
                            size_t ve) {
  const char *name = NULL;
  size_t nlen = 0;
  json_t *v;
  json_error_t err;
  tp_status st = decode_key(h, ks, ke, &name, &nlen);
  if (st != TP_OK) return st;
  v = json_loadb(h->text + vs, ve - vs,
                 JSON_DECODE_ANY | JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &err);
  if (!v) return json_failure(h->path, h->text + vs, ve - vs, vs, &err);
  if (nlen == 12 && !memcmp(name, "__metadata__", 12)) {
    if (h->have_meta) {
      json_decref(v);
      return st_fail(h->path, TP_EFORMAT,
                     "header: \"__metadata__\" appears twice (second at header "
                     "byte %zu)",
                     ks - 1);
    }
    st = check_metadata(h->path, v);
    if (st != TP_OK) {
      json_decref(v);
      return st;
    }
    h->meta = v;
    h->have_meta = true;
    return TP_OK;
  }
  if (tp_strmap_find(&h->names, name, nlen, entry_key, h->es) != SIZE_MAX) {
    char q[256];
    json_decref(v);
    tp_quote_for_message(q, sizeof q, name, nlen);
    return st_fail(h->path, TP_EFORMAT,
                   "header: duplicate tensor name \"%s\" (second at header "
                   "byte %zu; tensorport refuses duplicates, the reference "
                   "keeps the last)",
                   q, ks - 1);
  }
  if (h->n >= TP_MAX_TENSORS) {
    json_decref(v);
    return st_fail(h->path, TP_ELIMIT, "more than %u tensors (limit per model)",
                   TP_MAX_TENSORS);
  }
  st = tp_grow((void **)&h->es, &h->cap, h->n + 1, sizeof *h->es);
  if (st == TP_OK) {
    memset(&h->es[h->n], 0, sizeof h->es[h->n]);
    st = parse_entry(h->path, &h->arena, name, nlen, v, &h->es[h->n]);
  }
  json_decref(v);
  if (st != TP_OK) return st;
  h->es[h->n].order = h->n;
  h->n++;
  return tp_strmap_insert(&h->names, h->n - 1, entry_key, h->es);
}

/* Walks the top-level object: '{', members separated by ',', '}', then only
 * whitespace. Errors are reported in document order, as serde does. */
static tp_status parse_header(st_header *h) {
  const char *s = h->text;
  size_t n = h->len, i = skip_ws(s, 0, n);
  bool first = true;
  if (i < n && s[i] == '[')
    return st_fail(h->path, TP_EFORMAT, "header is an array, expected a JSON object");
  if (i >= n || s[i] != '{')
    return syntax_error(h->path, "'{' expected", i);
  i++;
  for (;;) {
    size_t ks, ke, vs, ve;
    tp_status st;
    i = skip_ws(s, i, n);
    if (first && i < n && s[i] == '}') {
      i++;
      break;
    }
    if (i >= n || s[i] != '"')
      return syntax_error(h->path, first ? "a key or '}' expected" : "a key expected",
                          i);
    if (!scan_string(s, i, n, &ke))
      return syntax_error(h->path, "unterminated string", i);
    ks = i + 1;
    i = skip_ws(s, ke, n);
    ke--; /* the closing quote */
    if (i >= n || s[i] != ':') return syntax_error(h->path, "':' expected", i);
    i = skip_ws(s, i + 1, n);
    if (i >= n || !scan_value(s, i, n, &ve))
      return syntax_error(h->path, "a value expected", i);
    vs = i;
    st = add_member(h, ks, ke, vs, ve);
    if (st != TP_OK) return st;
    i = skip_ws(s, ve, n);
    if (i < n && s[i] == ',') {
      i++;
      first = false;
      continue;
    }
    if (i < n && s[i] == '}') {
      i++;
      break;
    }
    return syntax_error(h->path, "',' or '}' expected", i);
  }
  i = skip_ws(s, i, n);
  if (i != n)
    return syntax_error(h->path, "only whitespace may follow the JSON object", i);
  return TP_OK;
}

/* ---- the reader ------------------------------------------------------------------ */

/* Validates the walk of §4 step 6 over entries sorted by offsets. */
static tp_status walk_offsets(const char *path, st_entry *es, size_t n,
                              uint64_t *data_len) {
  uint64_t start = 0;
  size_t i;
  for (i = 0; i < n; i++) {
    const st_entry *e = &es[i];
    char q[256], sh[256];
    uint64_t nel = 1, nbits;
    size_t d;
    uint32_t bits = tp_type_block_bytes(e->type) * 8 / tp_type_block_elems(e->type);
    tp_quote_for_message(q, sizeof q, e->name, e->name_len);
    if (e->end < e->begin)
      return st_fail(path, TP_EFORMAT,
                     "tensor \"%s\": data_offsets [%llu,%llu] end before they "
                     "begin",
                     q, (unsigned long long)e->begin,
                     (unsigned long long)e->end);
    if (e->begin != start) {
      const st_entry *p = i ? &es[i - 1] : NULL;
      char pq[256];
      if (!p)
        return st_fail(path, TP_EFORMAT,
                       "tensor \"%s\": data_offsets [%llu,%llu]: the first "
                       "tensor must begin at 0 (%llu vs 0)",
                       q, (unsigned long long)e->begin,
                       (unsigned long long)e->end,
                       (unsigned long long)e->begin);
      tp_quote_for_message(pq, sizeof pq, p->name, p->name_len);
      if (e->begin > start)
        return st_fail(path, TP_EFORMAT,
                       "tensor \"%s\": data_offsets [%llu,%llu] leave a hole "
                       "of %llu bytes after tensor \"%s\" (begin %llu vs %llu)",
                       q, (unsigned long long)e->begin,
                       (unsigned long long)e->end,
                       (unsigned long long)(e->begin - start), pq,
                       (unsigned long long)e->begin,
                       (unsigned long long)start);
      return st_fail(path, TP_EFORMAT,
                     "tensor \"%s\": data_offsets [%llu,%llu] overlap tensor "
                     "\"%s\" [%llu,%llu] (begin %llu vs %llu)",
                     q, (unsigned long long)e->begin,
                     (unsigned long long)e->end, pq,
                     (unsigned long long)p->begin, (unsigned long long)p->end,
                     (unsigned long long)e->begin, (unsigned long long)start);
    }
    for (d = 0; d < e->ndim; d++) {
      if (tp_mul_overflow_u64(nel, e->shape[d], &nel)) {
        shape_text(sh, sizeof sh, e->ndim, e->shape);
        return st_fail(path, TP_EFORMAT,
                       "tensor \"%s\": shape %s: element count overflows 64 "
                       "bits",
                       q, sh);
      }
    }
    if (tp_mul_overflow_u64(nel, bits, &nbits)) {
      shape_text(sh, sizeof sh, e->ndim, e->shape);
      return st_fail(path, TP_EFORMAT,
                     "tensor \"%s\": shape %s x %s: size overflows 64 bits "
                     "(%llu elements of %u bits)",
                     q, sh, tp_type_name(e->type), (unsigned long long)nel, bits);
    }
    if (nbits % 8) {
      shape_text(sh, sizeof sh, e->ndim, e->shape);
      return st_fail(path, TP_EFORMAT,
                     "tensor \"%s\": shape %s x %s: %llu elements of %u bits do "
                     "not fill whole bytes (%llu bits)",
                     q, sh, tp_type_name(e->type), (unsigned long long)nel, bits,
                     (unsigned long long)nbits);
    }
    if (e->end - e->begin != nbits / 8) {
      shape_text(sh, sizeof sh, e->ndim, e->shape);
      return st_fail(path, TP_EFORMAT,
                     "tensor \"%s\": data_offsets [%llu,%llu] hold %llu bytes "
                     "but shape %s x %s needs %llu",
                     q, (unsigned long long)e->begin,
                     (unsigned long long)e->end,
                     (unsigned long long)(e->end - e->begin), sh,
                     tp_type_name(e->type), (unsigned long long)(nbits / 8));
    }
    start = e->end;
  }
  *data_len = start;
  return TP_OK;
}

/* Step 7: the data section ends exactly at the end of the file. */
static tp_status check_coverage(const char *path, const st_entry *es, size_t n,
                                uint64_t data_start, uint64_t data_len,
                                uint64_t size) {
  uint64_t total;
  size_t i;
  if (tp_add_overflow_u64(data_start, data_len, &total))
    total = UINT64_MAX;
  if (total == size) return TP_OK;
  if (total < size)
    return st_fail(path, TP_EFORMAT,
                   "%llu trailing bytes after the data section (data ends at "
                   "offset %llu, file is %llu bytes)",
                   (unsigned long long)(size - total),
                   (unsigned long long)total, (unsigned long long)size);
  /* truncated: name the first tensor that does not fit */
  for (i = 0; i < n; i++) {
    uint64_t end;
    if (tp_add_overflow_u64(data_start, es[i].end, &end) || end > size) {
      char q[256];
      tp_quote_for_message(q, sizeof q, es[i].name, es[i].name_len);
      return st_fail(path, TP_EFORMAT,
                     "tensor \"%s\": data ends at file offset %llu but the "
                     "file has %llu bytes (truncated? data section needs "
                     "%llu bytes, %llu present)",
                     q, (unsigned long long)end, (unsigned long long)size,
                     (unsigned long long)data_len,
                     (unsigned long long)(size - data_start));
    }
  }
  return st_fail(path, TP_EFORMAT, "file is %llu bytes but the header describes %llu",
                 (unsigned long long)size, (unsigned long long)total);
}

/* Parses and validates f, then appends it and its tensors to m (and its
 * metadata when the file becomes the model's first file). Takes ownership
 * of f. Messages are prefixed "<path>: safetensors: ". */
static tp_status read_file(tp_model *m, tp_infile *f) {
  const char *path = tp_infile_path(f);
  uint64_t size = tp_infile_size(f), hlen, data_start, data_len = 0;
  uint8_t lenbuf[8];
  char *hdr = NULL;
  st_header h;
  size_t i, bad;
  uint32_t fidx;
  tp_status st;
  bool owns_f = true;

  memset(&h, 0, sizeof h);
  h.path = path;
  tp_arena_init(&h.arena);
  tp_strmap_init(&h.names);

  /* 1-3: the header length */
  if (size < 8) {
    st = st_fail(path, TP_EFORMAT,
                 "file too small (%llu bytes; a SafeTensors file starts with "
                 "an 8-byte header length)",
                 (unsigned long long)size);
    goto done;
  }
  st = tp_infile_read(f, 0, lenbuf, 8);
  if (st != TP_OK) goto done;
  hlen = tp_load_le64(lenbuf);
  if (hlen > size - 8) {
    st = st_fail(path, TP_EFORMAT,
                 "header length %llu exceeds the file size (%llu bytes: at most "
                 "%llu header bytes)",
                 (unsigned long long)hlen, (unsigned long long)size,
                 (unsigned long long)(size - 8));
    goto done;
  }
  if (hlen > TP_ST_MAX_HEADER) {
    st = st_fail(path, TP_ELIMIT, "header too large (%llu bytes vs limit %u)",
                 (unsigned long long)hlen, TP_ST_MAX_HEADER);
    goto done;
  }
  if (hlen == 0) {
    st = st_fail(path, TP_EFORMAT,
                 "header length is 0 (an empty header is not a JSON object)");
    goto done;
  }
  data_start = 8 + hlen;
  hdr = tp_malloc((size_t)hlen + 1);
  if (!hdr) {
    st = TP_ENOMEM;
    goto done;
  }
  st = tp_infile_read(f, 8, hdr, (size_t)hlen);
  if (st != TP_OK) goto done;
  hdr[hlen] = 0;

  /* 4: UTF-8 */
  if (!tp_utf8_valid(hdr, (size_t)hlen, &bad)) {
    st = st_fail(path, TP_EFORMAT,
                 "header is not valid UTF-8 (byte 0x%02x at header offset %zu)",
                 (unsigned)(unsigned char)hdr[bad], bad);
    goto done;
  }
  /* 5: JSON and schema; our depth limit first, so no parser recurses deep */
  {
    unsigned depth;
    size_t at = tp_json_scan_depth(hdr, (size_t)hlen, TP_ST_MAX_DEPTH, &depth);
    if (at != SIZE_MAX) {
      st = st_fail(path, TP_ELIMIT,
                   "header: JSON nested deeper than %d levels (header byte %zu)",
                   TP_ST_MAX_DEPTH, at);
      goto done;
    }
  }
  h.text = hdr;
  h.len = (size_t)hlen;
  st = parse_header(&h);
  if (st != TP_OK) goto done;
  if (m->ntensors + h.n > TP_MAX_TENSORS) {
    st = st_fail(path, TP_ELIMIT, "%zu tensors (vs limit %u per model)",
                 m->ntensors + h.n, TP_MAX_TENSORS);
    goto done;
  }

  /* 6: sorted walk; 7: coverage of the whole file */
  if (h.n) qsort(h.es, h.n, sizeof *h.es, cmp_offsets);
  st = walk_offsets(path, h.es, h.n, &data_len);
  if (st != TP_OK) goto done;
  st = check_coverage(path, h.es, h.n, data_start, data_len, size);
  if (st != TP_OK) goto done;

  /* our own limits and cross-file rules, after every reference rule */
  for (i = 0; i < h.n; i++) {
    size_t other;
    char q[256];
    if (h.es[i].ndim > TP_MAX_DIMS) {
      tp_quote_for_message(q, sizeof q, h.es[i].name, h.es[i].name_len);
      st = st_fail(path, TP_EUNSUPPORTED, "tensor \"%s\": %zu dimensions (vs limit %d)",
                   q, h.es[i].ndim, TP_MAX_DIMS);
      goto done;
    }
    other = tp_model_find_tensor(m, h.es[i].name, h.es[i].name_len);
    if (other != SIZE_MAX) {
      tp_quote_for_message(q, sizeof q, h.es[i].name, h.es[i].name_len);
      st = st_fail(path, TP_EFORMAT, "tensor \"%s\" is also in %s", q,
                   tp_infile_path(m->files[m->tensors[other].file]));
      goto done;
    }
  }

  owns_f = false;
  st = tp_model_add_file(m, f, data_start, &fidx);
  if (st != TP_OK) {
    tp_error_prefix("%s: safetensors", path);
    goto done;
  }
  for (i = 0; i < h.n; i++) {
    st = tp_model_add_tensor(m, h.es[i].name, h.es[i].name_len, h.es[i].type,
                             (uint32_t)h.es[i].ndim, h.es[i].shape, fidx,
                             data_start + h.es[i].begin, NULL);
    if (st != TP_OK) {
      tp_error_prefix("%s: safetensors", path);
      goto done;
    }
  }
  if (fidx == 0 && h.meta && json_is_object(h.meta)) {
    const char *k;
    size_t kl;
    json_t *v;
    json_object_keylen_foreach(h.meta, k, kl, v) {
      tp_value val;
      memset(&val, 0, sizeof val);
      val.type = TP_VALUE_STRING;
      val.v.s.data = json_string_value(v);
      val.v.s.len = json_string_length(v);
      st = tp_meta_set(&m->meta, k, kl, &val, 0);
      if (st != TP_OK) {
        tp_error_prefix("%s: safetensors: __metadata__", path);
        goto done;
      }
    }
  }
  st = TP_OK;

done:
  if (owns_f) tp_infile_close(f);
  json_decref(h.meta);
  free(h.es);
  tp_strmap_free(&h.names);
  tp_arena_free(&h.arena);
  free(hdr);
  return st;
}

tp_status tp_safetensors_read_into(tp_model *m, const char *path,
                                   const tp_open_options *opts) {
  tp_infile *f;
  tp_status st = tp_infile_open(&f, path, opts ? opts->use_mmap : 0);
  if (st != TP_OK) return st;
  return read_file(m, f);
}

tp_status tp_safetensors_open_infile(tp_model **out, tp_infile *f) {
  tp_model *m;
  tp_status st;
  *out = NULL;
  st = tp_model_new(&m, TP_FORMAT_SAFETENSORS, tp_infile_path(f));
  if (st != TP_OK) {
    tp_infile_close(f);
    return st;
  }
  st = read_file(m, f);
  if (st != TP_OK) {
    tp_model_free(m);
    return st;
  }
  *out = m;
  return TP_OK;
}

tp_status tp_safetensors_open(tp_model **out, const char *path,
                              const tp_open_options *opts) {
  tp_infile *f;
  tp_status st;
  *out = NULL;
  st = tp_infile_open(&f, path, opts ? opts->use_mmap : 0);
  if (st != TP_OK) return st;
  return tp_safetensors_open_infile(out, f);
}

/* ---- probe ------------------------------------------------------------------------ */

static bool has_st_ext(const char *path) {
  size_t n = path ? strlen(path) : 0;
  return n >= 12 && !strcasecmp(path + n - 12, ".safetensors");
}

int tp_safetensors_probe(const char *path, const uint8_t *head, size_t head_len,
                         uint64_t file_size, char *why, size_t why_len) {
  int ext = has_st_ext(path) ? 1 : 0;
  uint64_t n;
  size_t i, lim;
  char w[200];
  w[0] = 0;
  if (head_len < 8 || file_size < 8) {
    snprintf(w, sizeof w, "file too small (%llu bytes)",
             (unsigned long long)file_size);
    goto out;
  }
  n = tp_load_le64(head);
  if (n == 0 || n > file_size - 8) {
    snprintf(w, sizeof w, "header length %llu does not fit the file (%llu bytes)",
             (unsigned long long)n, (unsigned long long)file_size);
    goto out;
  }
  lim = (size_t)TP_MIN((uint64_t)head_len, 8 + n);
  for (i = 8; i < lim; i++) {
    uint8_t c = head[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') continue;
    if (c == '{') {
      snprintf(why ? why : w, why ? why_len : sizeof w,
               "SafeTensors: header of %llu bytes holding a JSON object",
               (unsigned long long)n);
      return n <= TP_ST_MAX_HEADER ? 3 : 2;
    }
    snprintf(w, sizeof w, "header does not start with a JSON object (byte 0x%02x)",
             c);
    goto out;
  }
  /* only whitespace in the bytes we were shown */
  snprintf(why ? why : w, why ? why_len : sizeof w,
           "SafeTensors: header length %llu, header starts with whitespace",
           (unsigned long long)n);
  return 2;
out:
  if (why && why_len) {
    if (ext)
      snprintf(why, why_len, ".safetensors extension (content: %s)", w);
    else
      snprintf(why, why_len, "%s", w);
  }
  return ext;
}
