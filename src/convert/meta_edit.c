/*
 * meta_edit.c - metadata editing of GGUF and SafeTensors files (the engine
 * behind `tensorport meta PATH --set KEY=TYPE:VALUE --delete KEY`).
 *
 * Metadata sits at the start of both formats, so any change in its size
 * moves the tensor data: the file is rewritten. The input is opened with
 * the strict reader, the edits are applied to a copy of its metadata, the
 * header is re-rendered by the format's own writer code (GGUF: the header
 * renderer of gguf_write.c; SafeTensors: tp_safetensors_layout through a
 * plan) and tensor bytes are copied unchanged in large positional chunks
 * into a temporary file that replaces the target only when complete.
 */
#include "plan.h"

#include "../base/io.h"
#include "../dtype/dtype.h"
#include "../formats/safetensors/safetensors.h"
#include "../formats/gguf/gguf.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* copy chunk: large enough for sequential throughput, small enough to keep
 * memory flat */
#define EDIT_CHUNK (8u << 20)

typedef enum edit_kind {
  EDIT_SET = 0,    /* a fully typed value */
  EDIT_SET_INT,    /* "int:": type chosen against the file */
  EDIT_SET_FLOAT,  /* "float:" */
  EDIT_DELETE
} edit_kind;

typedef struct edit {
  edit_kind kind;
  char *key;
  size_t key_len;
  tp_value val;   /* EDIT_SET; strings/arrays live in the list's arena */
  int neg;        /* EDIT_SET_INT: value is negative (then in val.v.i) */
  uint64_t mag;   /* EDIT_SET_INT: magnitude */
  double f;       /* EDIT_SET_FLOAT */
  char *spec;     /* the argument as given, for messages */
} edit;

struct tp_meta_edits {
  edit *items;
  size_t n, cap;
  tp_arena arena;
};

tp_status tp_meta_edits_new(tp_meta_edits **out) {
  tp_meta_edits *e = tp_calloc(1, sizeof *e);
  *out = NULL;
  if (!e) return TP_ENOMEM;
  tp_arena_init(&e->arena);
  *out = e;
  return TP_OK;
}

void tp_meta_edits_free(tp_meta_edits *e) {
  if (!e) return;
  free(e->items);
  tp_arena_free(&e->arena);
  free(e);
}

static edit *push(tp_meta_edits *e, const char *key, size_t klen,
                  const char *spec) {
  edit *d;
  if (tp_grow((void **)&e->items, &e->cap, e->n + 1, sizeof *e->items) != TP_OK)
    return NULL;
  d = &e->items[e->n];
  memset(d, 0, sizeof *d);
  d->key = tp_arena_strndup(&e->arena, key, klen);
  d->spec = tp_arena_strndup(&e->arena, spec, strlen(spec));
  if (!d->key || !d->spec) return NULL;
  d->key_len = klen;
  e->n++;
  return d;
}

/* Parses a whole-string integer (decimal or 0x hex, optional sign). */
static bool parse_int(const char *s, int *neg, uint64_t *mag) {
  int base = 10;
  uint64_t v = 0;
  *neg = 0;
  if (*s == '-' || *s == '+') *neg = *s++ == '-';
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) base = 16, s += 2;
  if (!*s) return false;
  for (; *s; s++) {
    int d;
    if (*s >= '0' && *s <= '9') d = *s - '0';
    else if (base == 16 && *s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
    else if (base == 16 && *s >= 'A' && *s <= 'F') d = *s - 'A' + 10;
    else return false;
    if (tp_mul_overflow_u64(v, (uint64_t)base, &v) ||
        tp_add_overflow_u64(v, (uint64_t)d, &v))
      return false;
  }
  *mag = v;
  return true;
}

static bool parse_float(const char *s, double *out) {
  char *end;
  if (!*s) return false;
  errno = 0;
  *out = strtod(s, &end);
  return *end == 0;
}

/* Fits (neg, mag) into integer type t: value in v. */
static bool int_fits(tp_value_type t, int neg, uint64_t mag, tp_value *v) {
  uint64_t umax = 0, smax = 0;
  int is_signed = 0;
  switch (t) {
  case TP_VALUE_U8: umax = 0xFF; break;
  case TP_VALUE_U16: umax = 0xFFFF; break;
  case TP_VALUE_U32: umax = 0xFFFFFFFFu; break;
  case TP_VALUE_U64: umax = UINT64_MAX; break;
  case TP_VALUE_I8: smax = 0x7F, is_signed = 1; break;
  case TP_VALUE_I16: smax = 0x7FFF, is_signed = 1; break;
  case TP_VALUE_I32: smax = 0x7FFFFFFF, is_signed = 1; break;
  case TP_VALUE_I64: smax = (uint64_t)INT64_MAX, is_signed = 1; break;
  default: return false;
  }
  memset(v, 0, sizeof *v);
  v->type = t;
  if (!is_signed) {
    if ((neg && mag) || mag > umax) return false;
    v->v.u = mag;
    return true;
  }
  if (mag > smax + (neg ? 1u : 0u)) return false;
  v->v.i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
  return true;
}

static const struct {
  const char *name;
  int kind; /* -1 int, -2 float, else a tp_value_type */
} g_type_words[] = {
    {"int", -1},
    {"float", -2},
    {"bool", TP_VALUE_BOOL},
    {"str", TP_VALUE_STRING},
    {"string", TP_VALUE_STRING},
    {"u8", TP_VALUE_U8},
    {"i8", TP_VALUE_I8},
    {"u16", TP_VALUE_U16},
    {"i16", TP_VALUE_I16},
    {"u32", TP_VALUE_U32},
    {"i32", TP_VALUE_I32},
    {"u64", TP_VALUE_U64},
    {"i64", TP_VALUE_I64},
    {"f32", TP_VALUE_F32},
    {"f64", TP_VALUE_F64},
};

tp_status tp_meta_edits_set(tp_meta_edits *e, const char *spec) {
  const char *eq, *colon, *val;
  size_t klen, tlen, i;
  int kind = -100;
  edit *d;
  if (!e || !spec) return tp_error(TP_EINVAL, "tp_meta_edits_set: no edit");
  eq = strchr(spec, '=');
  if (!eq || eq == spec)
    return tp_error(TP_EINVAL, "--set '%s': expected KEY=TYPE:VALUE", spec);
  klen = (size_t)(eq - spec);
  colon = strchr(eq + 1, ':');
  if (!colon)
    return tp_error(TP_EINVAL,
                    "--set '%s': expected KEY=TYPE:VALUE (TYPE is int, float, "
                    "bool, str, u8..u64, i8..i64, f32 or f64)",
                    spec);
  tlen = (size_t)(colon - eq - 1);
  val = colon + 1;
  for (i = 0; i < TP_ARRAY_LEN(g_type_words); i++)
    if (strlen(g_type_words[i].name) == tlen &&
        !memcmp(g_type_words[i].name, eq + 1, tlen))
      kind = g_type_words[i].kind;
  if (kind == -100)
    return tp_error(TP_EINVAL,
                    "--set '%s': unknown type '%.*s' (int, float, bool, str, "
                    "u8, i8, u16, i16, u32, i32, u64, i64, f32, f64)",
                    spec, (int)tlen, eq + 1);
  d = push(e, spec, klen, spec);
  if (!d) return TP_ENOMEM;
  if (kind == -1) {
    d->kind = EDIT_SET_INT;
    if (!parse_int(val, &d->neg, &d->mag) || (d->neg && d->mag > (uint64_t)INT64_MAX + 1)) {
      e->n--;
      return tp_error(TP_EINVAL, "--set '%s': '%s' is not a 64-bit integer",
                      spec, val);
    }
  } else if (kind == -2) {
    d->kind = EDIT_SET_FLOAT;
    if (!parse_float(val, &d->f)) {
      e->n--;
      return tp_error(TP_EINVAL, "--set '%s': '%s' is not a number", spec, val);
    }
  } else {
    tp_value_type t = (tp_value_type)kind;
    d->kind = EDIT_SET;
    memset(&d->val, 0, sizeof d->val);
    d->val.type = t;
    if (t == TP_VALUE_STRING) {
      char *s = tp_arena_strndup(&e->arena, val, strlen(val));
      if (!s) return TP_ENOMEM;
      d->val.v.s.data = s;
      d->val.v.s.len = strlen(val);
    } else if (t == TP_VALUE_BOOL) {
      if (strcmp(val, "true") && strcmp(val, "false")) {
        e->n--;
        return tp_error(TP_EINVAL,
                        "--set '%s': boolean must be 'true' or 'false'", spec);
      }
      d->val.v.u = !strcmp(val, "true");
    } else if (t == TP_VALUE_F32 || t == TP_VALUE_F64) {
      double f;
      if (!parse_float(val, &f)) {
        e->n--;
        return tp_error(TP_EINVAL, "--set '%s': '%s' is not a number", spec,
                        val);
      }
      /* F32 values are stored exactly widened */
      d->val.v.f = t == TP_VALUE_F32 ? (double)(float)f : f;
      if (t == TP_VALUE_F32 && isinf((float)f) && !isinf(f)) {
        e->n--;
        return tp_error(TP_EINVAL, "--set '%s': %s overflows FLOAT32", spec,
                        val);
      }
    } else {
      int neg;
      uint64_t mag;
      if (!parse_int(val, &neg, &mag) || !int_fits(t, neg, mag, &d->val)) {
        e->n--;
        return tp_error(TP_EINVAL, "--set '%s': '%s' is not a valid %s value",
                        spec, val, tp_value_type_name(t));
      }
    }
  }
  return TP_OK;
}

tp_status tp_meta_edits_set_value(tp_meta_edits *e, const char *key,
                                  const tp_value *v) {
  edit *d;
  tp_metastore tmp;
  tp_status st;
  if (!e || !key || !v || !*key)
    return tp_error(TP_EINVAL, "tp_meta_edits_set_value: missing key or value");
  d = push(e, key, strlen(key), key);
  if (!d) return TP_ENOMEM;
  d->kind = EDIT_SET;
  /* deep copy through a store, then into the list's arena via a second
   * store that lives as long as the list would be awkward: copy by hand */
  tp_meta_init(&tmp);
  st = tp_meta_set(&tmp, key, strlen(key), v, 0);
  if (st == TP_OK) {
    const tp_value *c = &tmp.items[0].val;
    d->val = *c;
    if (c->type == TP_VALUE_STRING) {
      char *s = tp_arena_strndup(&e->arena, c->v.s.data, c->v.s.len);
      if (!s) st = TP_ENOMEM;
      else d->val.v.s.data = s;
    } else if (c->type == TP_VALUE_ARRAY) {
      size_t esz = c->elem_type == TP_VALUE_STRING
                       ? sizeof(tp_string)
                       : tp_value_type_size(c->elem_type);
      uint8_t *arr = esz ? tp_arena_alloc(&e->arena, (size_t)(c->count ? c->count : 1) * esz) : NULL;
      if (!arr) {
        st = esz ? TP_ENOMEM : tp_error(TP_EINVAL, "invalid array element type");
      } else {
        uint64_t i;
        memcpy(arr, c->v.array, (size_t)c->count * esz);
        if (c->elem_type == TP_VALUE_STRING)
          for (i = 0; i < c->count && st == TP_OK; i++) {
            tp_string *s = (tp_string *)arr + i;
            char *p = tp_arena_strndup(&e->arena, s->data, s->len);
            if (!p) st = TP_ENOMEM;
            else s->data = p;
          }
        d->val.v.array = arr;
      }
    }
  }
  tp_meta_free(&tmp);
  if (st != TP_OK) e->n--;
  return st;
}

tp_status tp_meta_edits_delete(tp_meta_edits *e, const char *key) {
  edit *d;
  if (!e || !key || !*key)
    return tp_error(TP_EINVAL, "--delete: empty key");
  d = push(e, key, strlen(key), key);
  if (!d) return TP_ENOMEM;
  d->kind = EDIT_DELETE;
  return TP_OK;
}

/* ---- applying edits to a metadata store ------------------------------------------------ */

/* Sets key to v keeping its position when it exists. */
static tp_status set_in_place(tp_metastore *ms, const char *key, size_t klen,
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

static bool is_int_type(tp_value_type t) {
  return t == TP_VALUE_U8 || t == TP_VALUE_I8 || t == TP_VALUE_U16 ||
         t == TP_VALUE_I16 || t == TP_VALUE_U32 || t == TP_VALUE_I32 ||
         t == TP_VALUE_U64 || t == TP_VALUE_I64;
}

/* The typed value of a set edit against the current store. */
static tp_status resolve(const edit *d, const tp_metastore *ms, tp_value *v) {
  size_t i = tp_meta_find(ms, d->key, d->key_len);
  const tp_value *old = i == SIZE_MAX ? NULL : &ms->items[i].val;
  if (d->kind == EDIT_SET) {
    *v = d->val;
    return TP_OK;
  }
  if (d->kind == EDIT_SET_FLOAT) {
    tp_value_type t = old && old->type == TP_VALUE_F64 ? TP_VALUE_F64 : TP_VALUE_F32;
    memset(v, 0, sizeof *v);
    v->type = t;
    v->v.f = t == TP_VALUE_F32 ? (double)(float)d->f : d->f;
    if (t == TP_VALUE_F32 && isinf((float)d->f) && !isinf(d->f))
      return tp_error(TP_EINVAL, "--set '%s': value overflows FLOAT32", d->spec);
    return TP_OK;
  }
  /* int: the key's own integer type, else what llama-quantize writes */
  if (old && is_int_type(old->type)) {
    if (!int_fits(old->type, d->neg, d->mag, v))
      return tp_error(TP_EINVAL,
                      "--set '%s': value out of range for the key's type %s",
                      d->spec, tp_value_type_name(old->type));
    return TP_OK;
  }
  if (int_fits(d->neg ? TP_VALUE_I32 : TP_VALUE_U32, d->neg, d->mag, v) ||
      int_fits(d->neg ? TP_VALUE_I64 : TP_VALUE_U64, d->neg, d->mag, v))
    return TP_OK;
  return tp_error(TP_EINVAL, "--set '%s': value out of range", d->spec);
}

/* ---- GGUF keys encoded in SafeTensors metadata ----------------------------------------- */

/* A SafeTensors file made from GGUF holds each GGUF KV as the entry
 * "gguf:<key>" (gguf_meta.c), which becomes <key> again in a GGUF made
 * from the file. An edit of <key> therefore edits that entry with GGUF
 * types: a plain entry <key> would only reach the GGUF as the shadow key
 * "safetensors.metadata.<key>" beside the old value. */

static bool is_encoded(const tp_meta_item *it) {
  return it->key_len > strlen(TP_GGUF_ST_PREFIX) &&
         tp_gguf_st_has_prefix(it->key, it->key_len);
}

/* "gguf:<key>" in *out (malloc'ed). */
static tp_status encoded_key(const edit *d, char **out, size_t *len) {
  size_t plen = strlen(TP_GGUF_ST_PREFIX);
  char *k = tp_malloc(plen + d->key_len + 1);
  if (!k) return TP_ENOMEM;
  memcpy(k, TP_GGUF_ST_PREFIX, plen);
  memcpy(k + plen, d->key, d->key_len);
  k[plen + d->key_len] = 0;
  *out = k;
  *len = plen + d->key_len;
  return TP_OK;
}

/* Decodes the encoded entry at ms->items[at] (values from a). */
static tp_status decode_at(const tp_metastore *ms, size_t at, tp_arena *a,
                           tp_value *v, uint64_t *index, const char *path) {
  const tp_meta_item *it = &ms->items[at];
  char q[200];
  tp_status st = it->val.type == TP_VALUE_STRING
                     ? tp_gguf_decode_value(it->val.v.s.data, it->val.v.s.len,
                                            a, v, index)
                     : tp_error(TP_EFORMAT, "value is not a string");
  if (st == TP_OK) return TP_OK;
  tp_quote_for_message(q, sizeof q, it->key, it->key_len);
  return tp_error_prefix("%s: __metadata__ key \"%s\": invalid encoded GGUF "
                         "value", path, q);
}

/* Replaces the entry at ms->items[at] by the encoding of v at index. */
static tp_status encode_at(tp_metastore *ms, size_t at, const tp_value *v,
                           uint64_t index) {
  char *json;
  size_t len;
  tp_value sv;
  tp_status st = tp_gguf_encode_value(v, index, &json, &len);
  if (st != TP_OK) return st;
  memset(&sv, 0, sizeof sv);
  sv.type = TP_VALUE_STRING;
  sv.v.s.data = json;
  sv.v.s.len = len;
  st = set_in_place(ms, ms->items[at].key, ms->items[at].key_len, &sv);
  free(json);
  return st;
}

/* After the KV at index gone was deleted, every later encoded KV moves up
 * one place, as in the GGUF it stands for (plain entries fill the places
 * no encoded KV takes, so a gap would pull one of them forward). */
static tp_status close_gap(tp_metastore *ms, uint64_t gone, const char *path) {
  size_t i;
  tp_status st = TP_OK;
  if (gone == UINT64_MAX) return TP_OK;
  for (i = 0; i < ms->n && st == TP_OK; i++) {
    tp_arena a;
    tp_value v;
    uint64_t index;
    if (!is_encoded(&ms->items[i])) continue;
    tp_arena_init(&a);
    st = decode_at(ms, i, &a, &v, &index, path);
    if (st == TP_OK && index != UINT64_MAX && index > gone)
      st = encode_at(ms, i, &v, index - 1);
    tp_arena_free(&a);
  }
  return st;
}

/* The index that puts a new encoded KV after every other KV: past every
 * encoded index and past the places the plain entries fill (counting the
 * writer's "format" marker too is harmless: a gap at the end moves
 * nothing). */
static tp_status next_index(const tp_metastore *ms, const char *path,
                            uint64_t *out) {
  size_t i;
  uint64_t next = 0, count = 0;
  for (i = 0; i < ms->n; i++) {
    const tp_meta_item *it = &ms->items[i];
    if (is_encoded(it)) {
      tp_arena a;
      tp_value v;
      uint64_t index;
      tp_status st;
      tp_arena_init(&a);
      st = decode_at(ms, i, &a, &v, &index, path);
      tp_arena_free(&a);
      if (st != TP_OK) return st;
      if (index != UINT64_MAX && index >= next) next = index + 1;
      count++;
    } else if (!tp_gguf_st_is_order_key(it->key, it->key_len)) {
      count++;
    }
  }
  *out = TP_MAX(next, count);
  return TP_OK;
}

/* Applies d as an edit of the GGUF key <key> when ms carries encoded GGUF
 * metadata: the entry "gguf:<key>" is changed, removed or (for a key that
 * is neither encoded nor a plain entry) added after the others. *done is 0
 * when the edit is one of a plain entry instead. */
static tp_status edit_encoded(const edit *d, tp_metastore *ms,
                              const char *path, int *done) {
  char *gkey;
  size_t glen, at;
  tp_arena a;
  tp_value old, v;
  uint64_t index;
  tp_status st;
  *done = 0;
  /* a raw "gguf:..." entry is edited as the text it is */
  if (!tp_gguf_st_from_gguf(ms) || tp_gguf_st_has_prefix(d->key, d->key_len))
    return TP_OK;
  st = encoded_key(d, &gkey, &glen);
  if (st != TP_OK) return st;
  at = tp_meta_find(ms, gkey, glen);
  if (at == SIZE_MAX) {
    /* a new key: a GGUF KV at the end, unless it names a plain entry */
    if (d->kind != EDIT_DELETE && tp_meta_find(ms, d->key, d->key_len) == SIZE_MAX) {
      tp_metastore none;
      *done = 1;
      tp_meta_init(&none);
      st = next_index(ms, path, &index);
      if (st == TP_OK) st = resolve(d, &none, &v);
      if (st == TP_OK) {
        tp_value empty;
        memset(&empty, 0, sizeof empty);
        empty.type = TP_VALUE_STRING;
        st = tp_meta_set(ms, gkey, glen, &empty, 0);
      }
      if (st == TP_OK) st = encode_at(ms, ms->n - 1, &v, index);
      tp_meta_free(&none);
    }
    free(gkey);
    return st;
  }
  *done = 1;
  tp_arena_init(&a);
  st = decode_at(ms, at, &a, &old, &index, path);
  if (d->kind == EDIT_DELETE) {
    /* a broken entry can go too; its place is unknown, so no gap closes */
    if (st != TP_OK) index = UINT64_MAX;
    st = tp_meta_remove(ms, gkey, glen);
    /* a plain entry of the same name goes too: it would come back as the
     * shadow key */
    if (st == TP_OK && tp_meta_find(ms, d->key, d->key_len) != SIZE_MAX)
      st = tp_meta_remove(ms, d->key, d->key_len);
    if (st == TP_OK) st = close_gap(ms, index, path);
  } else if (st == TP_OK) {
    /* int / float resolve against the GGUF type of the key */
    tp_metastore cur;
    tp_meta_init(&cur);
    st = tp_meta_set(&cur, d->key, d->key_len, &old, 0);
    if (st == TP_OK) st = resolve(d, &cur, &v);
    if (st == TP_OK) st = encode_at(ms, at, &v, index);
    if (st != TP_OK && st != TP_ENOMEM) st = tp_error_prefix("%s", path);
    tp_meta_free(&cur);
  }
  tp_arena_free(&a);
  free(gkey);
  return st;
}

/* An edited SafeTensors file that carries GGUF metadata must still decode
 * (a raw "gguf:<key>" or tensor order value set by hand, say). */
static tp_status check_encoded(const tp_metastore *ms, const char *path) {
  tp_metastore kv;
  tp_arena a;
  tp_string *names;
  size_t n;
  bool present;
  tp_status st;
  if (!tp_gguf_st_from_gguf(ms)) return TP_OK;
  tp_meta_init(&kv);
  tp_arena_init(&a);
  st = tp_gguf_meta_from_safetensors(ms, &kv);
  if (st == TP_OK)
    st = tp_gguf_tensor_order_from_safetensors(ms, &a, &names, &n, &present);
  tp_meta_free(&kv);
  tp_arena_free(&a);
  if (st != TP_OK && st != TP_ENOMEM)
    st = tp_error_prefix("%s: edited metadata", path);
  return st;
}

/* A typed value for a plain SafeTensors entry. */
static tp_status not_a_string(const edit *d, const tp_metastore *ms,
                              const char *path) {
  if (tp_gguf_st_from_gguf(ms))
    return tp_error(TP_EINVAL,
                    "%s: --set '%s': the file holds no GGUF key of that name "
                    "(no \"%s<key>\" entry), and SafeTensors metadata values "
                    "are strings (use str:VALUE)",
                    path, d->spec, TP_GGUF_ST_PREFIX);
  return tp_error(TP_EINVAL,
                  "%s: --set '%s': SafeTensors metadata values are strings "
                  "(use str:VALUE)",
                  path, d->spec);
}

static tp_status apply_edits(const tp_meta_edits *e, tp_metastore *ms,
                             tp_format fmt, unsigned flags, const char *path) {
  size_t i;
  for (i = 0; i < e->n; i++) {
    const edit *d = &e->items[i];
    tp_status st;
    char q[200];
    tp_quote_for_message(q, sizeof q, d->key, d->key_len);
    if (fmt == TP_FORMAT_SAFETENSORS) {
      int done;
      st = edit_encoded(d, ms, path, &done);
      if (st != TP_OK) return st;
      if (done) continue;
    }
    if (fmt == TP_FORMAT_GGUF && d->key_len > 6 && !memcmp(d->key, "split.", 6) &&
        (!strcmp(d->key, TP_GGUF_KEY_SPLIT_NO) ||
         !strcmp(d->key, TP_GGUF_KEY_SPLIT_COUNT) ||
         !strcmp(d->key, TP_GGUF_KEY_SPLIT_TENSORS)))
      return tp_error(TP_EINVAL,
                      "%s: key \"%s\": split bookkeeping cannot be edited", path,
                      q);
    if (d->kind == EDIT_DELETE) {
      if (tp_meta_find(ms, d->key, d->key_len) == SIZE_MAX) {
        if (flags & TP_META_EDIT_IGNORE_MISSING) continue;
        return tp_error(TP_ENOTFOUND, "%s: no metadata key \"%s\" to delete",
                        path, q);
      }
      st = tp_meta_remove(ms, d->key, d->key_len);
    } else {
      tp_value v;
      if (fmt == TP_FORMAT_SAFETENSORS && d->kind != EDIT_SET)
        return not_a_string(d, ms, path);
      st = resolve(d, ms, &v);
      if (st == TP_OK && fmt == TP_FORMAT_SAFETENSORS &&
          v.type != TP_VALUE_STRING)
        return not_a_string(d, ms, path);
      if (st == TP_OK) st = set_in_place(ms, d->key, d->key_len, &v);
    }
    if (st != TP_OK) return st;
  }
  return fmt == TP_FORMAT_SAFETENSORS ? check_encoded(ms, path) : TP_OK;
}

/* ---- rewriting ----------------------------------------------------------------------- */

/* Progress of one rewrite; the copy runs on the calling thread, which
 * reports at most every EDIT_TICK_S seconds. */
#define EDIT_TICK_S 0.1
typedef struct edit_progress {
  tp_progress_fn fn;
  void *user;
  tp_progress pr;
  double last;
} edit_progress;

/* Reports when due (or always with force); non-zero: cancelled. */
static int report(edit_progress *ep, tp_phase phase, int force) {
  double t;
  if (!ep->fn) return 0;
  t = tp_now();
  if (!force && t - ep->last < EDIT_TICK_S) return 0;
  ep->last = t;
  ep->pr.phase = phase;
  return ep->fn(&ep->pr, ep->user);
}

static tp_status cancelled(void) {
  return tp_error(TP_ECANCELED, "metadata edit cancelled");
}

/* Copies len bytes from src at soff to out at doff. */
static tp_status copy_range(tp_infile *src, uint64_t soff, tp_outfile *out,
                            uint64_t doff, uint64_t len, uint8_t *buf,
                            edit_progress *ep) {
  while (len > 0) {
    size_t k = (size_t)TP_MIN(len, (uint64_t)EDIT_CHUNK);
    tp_status st;
    if (tp_cancel_requested() || report(ep, TP_PHASE_WRITE, 0)) return cancelled();
    st = tp_infile_read(src, soff, buf, k);
    if (st == TP_OK) st = tp_outfile_write(out, doff, buf, k);
    if (st != TP_OK) return st;
    soff += k;
    doff += k;
    len -= k;
    ep->pr.bytes_done += k;
  }
  return TP_OK;
}

/* Writes header + tensors (source offsets src_off[i], destination dst_off[i];
 * names[i] for progress) to target and commits. */
static tp_status write_out(const char *target, unsigned oflags, uint64_t size,
                           const uint8_t *hdr, size_t hdr_len, tp_infile *src,
                           size_t n, const uint64_t *src_off,
                           const uint64_t *dst_off, const uint64_t *nbytes,
                           const char *const *names, edit_progress *ep) {
  tp_outfile *out = NULL;
  uint8_t *buf = NULL;
  size_t i;
  tp_status st;
  ep->pr.bytes_total = size;
  ep->pr.tensors_total = n;
  if (report(ep, TP_PHASE_WRITE, 1)) return cancelled();
  st = tp_outfile_create(&out, target, size, oflags);
  if (st != TP_OK) return st;
  buf = tp_malloc(EDIT_CHUNK);
  if (!buf) st = TP_ENOMEM;
  if (st == TP_OK) st = tp_outfile_write(out, 0, hdr, hdr_len);
  if (st == TP_OK) ep->pr.bytes_done = hdr_len;
  for (i = 0; i < n && st == TP_OK; i++) {
    ep->pr.current = names[i];
    st = copy_range(src, src_off[i], out, dst_off[i], nbytes[i], buf, ep);
    ep->pr.tensors_done = i + 1;
  }
  ep->pr.current = NULL;
  /* an input that changed meanwhile must not become the new file */
  if (st == TP_OK) st = tp_infile_check_unchanged(src);
  /* the padding after the last tensor counts as written */
  if (st == TP_OK) {
    ep->pr.bytes_done = size;
    if (report(ep, TP_PHASE_SYNC, 1)) st = cancelled();
  }
  free(buf);
  if (st != TP_OK) {
    tp_outfile_abort(out);
    return st;
  }
  st = tp_outfile_commit(out);
  if (st == TP_OK) report(ep, TP_PHASE_DONE, 1);
  return st;
}

/* Target path and output flags; in-place when out_path names the input. */
static tp_status target_of(const char *path, const char *out_path,
                           tp_infile *f, unsigned flags, const char **target,
                           unsigned *oflags) {
  struct stat sb;
  *oflags = (flags & TP_META_EDIT_NO_SYNC) ? TP_OUT_NO_SYNC : 0;
  *target = out_path ? out_path : path;
  if (!out_path) {
    *oflags |= TP_OUT_FORCE;
    return TP_OK;
  }
  if (stat(out_path, &sb) == 0) {
    uint64_t dev, ino;
    tp_infile_identity(f, &dev, &ino);
    if ((uint64_t)sb.st_dev == dev && (uint64_t)sb.st_ino == ino)
      *oflags |= TP_OUT_FORCE; /* the same file: an in-place edit */
    else if (flags & TP_META_EDIT_FORCE)
      *oflags |= TP_OUT_FORCE;
  }
  return TP_OK;
}

static tp_status edit_gguf(const char *path, const char *out_path,
                           const tp_meta_edits *e, unsigned flags,
                           edit_progress *ep) {
  tp_infile *f;
  tp_model *m = NULL;
  tp_metastore ms;
  tp_gguf_tinfo *ti = NULL;
  const char **names = NULL;
  uint64_t *so = NULL, *dof = NULL, *nb = NULL, alignment, size;
  uint8_t *hdr = NULL;
  size_t hdr_len, i, n;
  const char *target;
  unsigned oflags;
  tp_status st = tp_infile_open(&f, path, 0);
  if (st != TP_OK) return st;
  st = tp_gguf_open_infile(&m, f); /* one file, even of a split set */
  if (st != TP_OK) return st;
  f = m->files[0];
  n = m->ntensors;
  tp_meta_init(&ms);
  st = tp_meta_copy_all(&ms, &m->meta);
  if (st == TP_OK) st = apply_edits(e, &ms, TP_FORMAT_GGUF, flags, path);
  if (st == TP_OK) {
    st = tp_gguf_meta_alignment(&ms, &alignment);
    if (st == TP_OK) st = tp_gguf_check_meta(&ms, TP_EINVAL);
    if (st != TP_OK) st = tp_error_prefix("%s: gguf: edited metadata", path);
  }
  if (st == TP_OK) {
    ti = tp_calloc(n ? n : 1, sizeof *ti);
    so = tp_calloc(n ? n : 1, sizeof *so);
    dof = tp_calloc(n ? n : 1, sizeof *dof);
    nb = tp_calloc(n ? n : 1, sizeof *nb);
    names = tp_calloc(n ? n : 1, sizeof *names);
    if (!ti || !so || !dof || !nb || !names) st = TP_ENOMEM;
  }
  for (i = 0; i < n && st == TP_OK; i++) {
    const tp_tensor *t = &m->tensors[i];
    names[i] = t->name;
    ti[i].name = t->name;
    ti[i].name_len = t->name_len;
    ti[i].type = t->type;
    ti[i].ndim = t->ndim;
    memcpy(ti[i].shape, t->shape, sizeof ti[i].shape);
    ti[i].nbytes = t->nbytes;
    so[i] = t->offset;
    nb[i] = t->nbytes;
  }
  /* bytes are copied raw, so a big-endian file stays big-endian */
  if (st == TP_OK)
    st = tp_gguf_render_header(&ms, ti, n, alignment, m->big_endian, &hdr,
                               &hdr_len, &size);
  for (i = 0; i < n && st == TP_OK; i++) dof[i] = hdr_len + ti[i].offset;
  if (st == TP_OK) st = target_of(path, out_path, f, flags, &target, &oflags);
  if (st == TP_OK)
    st = write_out(target, oflags, size, hdr, hdr_len, f, n, so, dof, nb,
                   names, ep);
  free(hdr);
  free(names);
  free(ti);
  free(so);
  free(dof);
  free(nb);
  tp_meta_free(&ms);
  tp_model_free(m);
  return st;
}

static tp_status edit_safetensors(const char *path, const char *out_path,
                                  const tp_meta_edits *e, unsigned flags,
                                  edit_progress *ep) {
  tp_model *m = NULL;
  tp_layout *p = NULL;
  tp_open_options oo = TP_OPEN_OPTIONS_INIT;
  tp_convert_options co = TP_CONVERT_OPTIONS_INIT;
  const char **names = NULL;
  uint64_t *so = NULL, *dof = NULL, *nb = NULL;
  const char *target;
  unsigned oflags;
  size_t i;
  tp_status st;
  oo.format = TP_FORMAT_SAFETENSORS;
  st = tp_safetensors_open(&m, path, &oo);
  if (st != TP_OK) return st;
  if (m->nfiles != 1) {
    tp_model_free(m);
    return tp_error(TP_EUNSUPPORTED, "%s: metadata editing needs a single file",
                    path);
  }
  p = tp_calloc(1, sizeof *p);
  if (!p) {
    tp_model_free(m);
    return TP_ENOMEM;
  }
  tp_layout_init(p);
  p->src = m;
  p->target = tp_format_ops_of(TP_FORMAT_SAFETENSORS);
  p->opts = co;
  p->out_path = tp_strdup(out_path ? out_path : path);
  st = p->out_path ? TP_OK : TP_ENOMEM;
  if (st == TP_OK) st = tp_meta_copy_all(&p->meta, &m->meta);
  if (st == TP_OK) st = apply_edits(e, &p->meta, TP_FORMAT_SAFETENSORS, flags, path);
  if (st == TP_OK)
    st = tp_grow((void **)&p->entries, &p->cap, m->ntensors ? m->ntensors : 1,
                 sizeof *p->entries);
  for (i = 0; i < m->ntensors && st == TP_OK; i++) {
    const tp_tensor *t = &m->tensors[i];
    tp_out_tensor *en = &p->entries[p->n++];
    memset(en, 0, sizeof *en);
    en->name = t->name;
    en->name_len = t->name_len;
    en->src = i;
    en->src_type = en->dst_type = t->type;
    en->ndim = t->ndim;
    memcpy(en->shape, t->shape, sizeof en->shape);
    en->nelements = t->nelements;
    en->src_nbytes = en->dst_nbytes = t->nbytes;
  }
  /* the SafeTensors writer's own layout (it may re-sort the tensors) */
  if (st == TP_OK) st = tp_safetensors_layout(p);
  if (st == TP_OK && p->nfiles != 1)
    st = tp_error(TP_EINVAL, "internal: SafeTensors layout made %zu files",
                  p->nfiles);
  if (st == TP_OK) {
    so = tp_calloc(p->n ? p->n : 1, sizeof *so);
    dof = tp_calloc(p->n ? p->n : 1, sizeof *dof);
    nb = tp_calloc(p->n ? p->n : 1, sizeof *nb);
    names = tp_calloc(p->n ? p->n : 1, sizeof *names);
    if (!so || !dof || !nb || !names) st = TP_ENOMEM;
  }
  for (i = 0; i < p->n && st == TP_OK; i++) {
    names[i] = p->entries[i].name;
    so[i] = m->tensors[p->entries[i].src].offset;
    dof[i] = p->entries[i].offset;
    nb[i] = p->entries[i].dst_nbytes;
  }
  if (st == TP_OK)
    st = target_of(path, out_path, m->files[0], flags, &target, &oflags);
  if (st == TP_OK)
    st = write_out(target, oflags, p->files[0].size, p->files[0].header,
                   p->files[0].header_len, m->files[0], p->n, so, dof, nb,
                   names, ep);
  free(names);
  free(so);
  free(dof);
  free(nb);
  tp_layout_release(p);
  free(p);
  tp_model_free(m);
  return st;
}

tp_status tp_meta_edit_file(const char *path, const char *out_path,
                            const tp_meta_edits *e, unsigned flags) {
  return tp_meta_edit_file_progress(path, out_path, e, flags, NULL, NULL);
}

tp_status tp_meta_edit_file_progress(const char *path, const char *out_path,
                                     const tp_meta_edits *e, unsigned flags,
                                     tp_progress_fn progress, void *user) {
  tp_format fmt;
  tp_status st;
  edit_progress ep;
  if (!path || !e) return tp_error(TP_EINVAL, "tp_meta_edit_file: missing argument");
  memset(&ep, 0, sizeof ep);
  ep.fn = progress;
  ep.user = user;
  st = tp_detect(path, &fmt, NULL, 0);
  if (st != TP_OK) return st;
  if (fmt == TP_FORMAT_GGUF) return edit_gguf(path, out_path, e, flags, &ep);
  if (fmt == TP_FORMAT_SAFETENSORS)
    return edit_safetensors(path, out_path, e, flags, &ep);
  return tp_error(TP_EUNSUPPORTED,
                  "%s: metadata editing supports GGUF and SafeTensors files, "
                  "not %s",
                  path, tp_format_name(fmt));
}
