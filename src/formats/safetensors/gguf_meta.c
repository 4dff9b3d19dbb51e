/*
 * gguf_meta.c - GGUF metadata <-> SafeTensors __metadata__ translation: the
 * SafeTensors side of the neutral (GGUF-typed) metadata store.
 *
 * SafeTensors metadata is a flat string -> string map; GGUF KVs are typed
 * (13 value types, arrays). Each KV becomes one entry "gguf:<key>" whose
 * value is a small JSON document carrying the type, the value and the KV's
 * position, so a GGUF -> SafeTensors -> GGUF round trip restores every KV
 * with its exact type, value and order. The encoder is hand-written (it
 * must control float digits and byte strings that are not UTF-8); decoding
 * uses jansson. Format described in docs/formats/gguf.md.
 */
#include "safetensors.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* A JSON string for valid UTF-8, otherwise {"hex":"..."} so that any byte
 * string survives (GGUF does not require UTF-8). */
static void sb_json_string(tp_textbuf *b, const char *s, size_t n) {
  size_t i;
  if (!tp_utf8_valid(s, n, NULL)) {
    static const char hx[] = "0123456789abcdef";
    tp_textbuf_puts(b, "{\"hex\":\"");
    for (i = 0; i < n && b->status == TP_OK; i++) {
      char two[2] = {hx[(unsigned char)s[i] >> 4], hx[(unsigned char)s[i] & 15]};
      tp_textbuf_append(b, two, 2);
    }
    tp_textbuf_puts(b, "\"}");
    return;
  }
  tp_json_put_string(b, s, n, TP_JSON_GGUF_META);
}

/* Floats: enough digits to round-trip (9 for binary32, 17 for binary64),
 * always with a '.' or exponent so JSON readers keep them real;
 * non-finite values as strings. NaNs keep their exact bits ("nan:0x..."),
 * so binary32 values are handled as bits: widening a signalling NaN to
 * double would quiet it. */
static void sb_nonfinite(tp_textbuf *b, int is_nan, int neg, int canonical,
                         uint64_t bits, int is_f32) {
  if (!is_nan) tp_textbuf_puts(b, neg ? "\"-inf\"" : "\"inf\"");
  else if (canonical) tp_textbuf_puts(b, "\"nan\"");
  else if (is_f32) tp_textbuf_printf(b, "\"nan:0x%08" PRIx32 "\"", (uint32_t)bits);
  else tp_textbuf_printf(b, "\"nan:0x%016" PRIx64 "\"", bits);
}

static void sb_digits(tp_textbuf *b, double d, int is_f32) {
  char tmp[48];
  tp_fmt_real(tmp, sizeof tmp, d,
              TP_FMT_FULL | TP_FMT_POINT | (is_f32 ? TP_FMT_F32 : 0));
  tp_textbuf_puts(b, tmp);
}

static void sb_f32(tp_textbuf *b, uint32_t bits) {
  if ((bits & 0x7F800000u) == 0x7F800000u)
    sb_nonfinite(b, (bits & 0x7FFFFFu) != 0, (int)(bits >> 31),
                 bits == 0x7FC00000u, bits, 1);
  else
    sb_digits(b, (double)tp_bits_f32(bits), 1);
}

static void sb_f64(tp_textbuf *b, uint64_t bits) {
  if ((bits & 0x7FF0000000000000ull) == 0x7FF0000000000000ull)
    sb_nonfinite(b, (bits & 0xFFFFFFFFFFFFFull) != 0, (int)(bits >> 63),
                 bits == 0x7FF8000000000000ull, bits, 0);
  else
    sb_digits(b, tp_bits_f64(bits), 0);
}

static void sb_scalar(tp_textbuf *b, tp_value_type t, const void *p) {
  switch (t) {
  case TP_VALUE_U8: tp_textbuf_printf(b, "%u", (unsigned)*(const uint8_t *)p); break;
  case TP_VALUE_I8: tp_textbuf_printf(b, "%d", (int)*(const int8_t *)p); break;
  case TP_VALUE_U16: {
    uint16_t v;
    memcpy(&v, p, 2);
    tp_textbuf_printf(b, "%u", (unsigned)v);
    break;
  }
  case TP_VALUE_I16: {
    int16_t v;
    memcpy(&v, p, 2);
    tp_textbuf_printf(b, "%d", (int)v);
    break;
  }
  case TP_VALUE_U32: {
    uint32_t v;
    memcpy(&v, p, 4);
    tp_textbuf_printf(b, "%" PRIu32, v);
    break;
  }
  case TP_VALUE_I32: {
    int32_t v;
    memcpy(&v, p, 4);
    tp_textbuf_printf(b, "%" PRId32, v);
    break;
  }
  case TP_VALUE_U64: {
    uint64_t v;
    memcpy(&v, p, 8);
    /* JSON readers (jansson among them) stop at int64 */
    tp_textbuf_printf(b, v > (uint64_t)INT64_MAX ? "\"%" PRIu64 "\"" : "%" PRIu64, v);
    break;
  }
  case TP_VALUE_I64: {
    int64_t v;
    memcpy(&v, p, 8);
    tp_textbuf_printf(b, "%" PRId64, v);
    break;
  }
  case TP_VALUE_F32: {
    uint32_t v;
    memcpy(&v, p, 4);
    sb_f32(b, v);
    break;
  }
  case TP_VALUE_F64: {
    uint64_t v;
    memcpy(&v, p, 8);
    sb_f64(b, v);
    break;
  }
  case TP_VALUE_BOOL: tp_textbuf_puts(b, *(const uint8_t *)p ? "true" : "false"); break;
  case TP_VALUE_STRING: {
    const tp_string *s = (const tp_string *)p;
    sb_json_string(b, s->data, s->len);
    break;
  }
  default: break;
  }
}

/* The JSON text of one KV; index UINT64_MAX leaves "index" out (an entry
 * without one sorts last). */
static void encode_value(tp_textbuf *b, const tp_value *v, uint64_t index) {
  if (index != UINT64_MAX) tp_textbuf_printf(b, "{\"index\":%" PRIu64 ",", index);
  else tp_textbuf_puts(b, "{");
  tp_textbuf_printf(b, "\"type\":\"%s\"", tp_value_type_name(v->type));
  if (v->type == TP_VALUE_ARRAY) {
    uint64_t i;
    size_t esz = v->elem_type == TP_VALUE_STRING
                     ? sizeof(tp_string)
                     : tp_value_type_size(v->elem_type);
    tp_textbuf_printf(b, ",\"elem_type\":\"%s\",\"value\":[",
           tp_value_type_name(v->elem_type));
    for (i = 0; i < v->count && b->status == TP_OK; i++) {
      if (i) tp_textbuf_append(b, ",", 1);
      sb_scalar(b, v->elem_type, (const uint8_t *)v->v.array + i * esz);
    }
    tp_textbuf_puts(b, "]}");
    return;
  }
  tp_textbuf_puts(b, ",\"value\":");
  switch (v->type) {
  case TP_VALUE_U8: { uint8_t x = (uint8_t)v->v.u; sb_scalar(b, v->type, &x); break; }
  case TP_VALUE_BOOL: { uint8_t x = v->v.u != 0; sb_scalar(b, v->type, &x); break; }
  case TP_VALUE_I8: { int8_t x = (int8_t)v->v.i; sb_scalar(b, v->type, &x); break; }
  case TP_VALUE_U16: { uint16_t x = (uint16_t)v->v.u; sb_scalar(b, v->type, &x); break; }
  case TP_VALUE_I16: { int16_t x = (int16_t)v->v.i; sb_scalar(b, v->type, &x); break; }
  case TP_VALUE_U32: { uint32_t x = (uint32_t)v->v.u; sb_scalar(b, v->type, &x); break; }
  case TP_VALUE_I32: { int32_t x = (int32_t)v->v.i; sb_scalar(b, v->type, &x); break; }
  case TP_VALUE_U64: sb_scalar(b, v->type, &v->v.u); break;
  case TP_VALUE_I64: sb_scalar(b, v->type, &v->v.i); break;
  case TP_VALUE_F32: { float x = (float)v->v.f; sb_scalar(b, v->type, &x); break; }
  case TP_VALUE_F64: sb_scalar(b, v->type, &v->v.f); break;
  case TP_VALUE_STRING: sb_scalar(b, v->type, &v->v.s); break;
  default: tp_textbuf_puts(b, "null"); break;
  }
  tp_textbuf_puts(b, "}");
}

static bool has_prefix(const char *s, size_t n, const char *prefix) {
  size_t m = strlen(prefix);
  return n >= m && !memcmp(s, prefix, m);
}

static bool is_split_key(const char *k, size_t n) {
  return has_prefix(k, n, "split.") &&
         ((n == 8 && !memcmp(k, "split.no", 8)) ||
          (n == 11 && !memcmp(k, "split.count", 11)) ||
          (n == 19 && !memcmp(k, "split.tensors.count", 19)));
}

/* A KV that goes back to plain SafeTensors metadata: a STRING
 * "safetensors.metadata.<k>" ("format" stays encoded because the SafeTensors
 * writer adds its own, <k> must not look encoded and must not be the tensor
 * order entry). */
static bool is_plain_kv(const tp_meta_item *it) {
  const size_t plen = strlen(TP_GGUF_ST_PLAIN_PREFIX);
  return it->val.type == TP_VALUE_STRING &&
         has_prefix(it->key, it->key_len, TP_GGUF_ST_PLAIN_PREFIX) &&
         it->key_len > plen &&
         !tp_gguf_st_has_prefix(it->key + plen, it->key_len - plen) &&
         !tp_gguf_st_is_order_key(it->key + plen, it->key_len - plen) &&
         !(it->key_len - plen == 6 && !memcmp(it->key + plen, "format", 6)) &&
         tp_utf8_valid(it->val.v.s.data, it->val.v.s.len, NULL);
}

/* Byte order of keys, as the SafeTensors writer sorts __metadata__. */
static int key_cmp(const char *a, size_t al, const char *b, size_t bl) {
  int c = memcmp(a, b, TP_MIN(al, bl));
  if (c) return c;
  return al < bl ? -1 : al > bl;
}

tp_status tp_gguf_meta_to_safetensors(const tp_metastore *gguf_meta,
                                      tp_metastore *out) {
  size_t i, emitted = 0;
  const size_t plen = strlen(TP_GGUF_ST_PLAIN_PREFIX);
  const tp_meta_item *after = NULL;
  unsigned char *plain = NULL;
  tp_status st = TP_OK;
  /* The decoder puts encoded entries back at their index and fills the
   * positions left over with the plain entries in key byte order (the
   * order the SafeTensors writer sorts them into). So a set of plain KVs
   * round-trips exactly when its keys increase in GGUF order: the set is
   * picked from the back, and the other eligible KVs stay encoded. */
  if (gguf_meta->n) {
    plain = tp_calloc(gguf_meta->n, 1);
    if (!plain) return TP_ENOMEM;
  }
  for (i = gguf_meta->n; i > 0; i--) {
    const tp_meta_item *it = &gguf_meta->items[i - 1];
    if (is_split_key(it->key, it->key_len) || !is_plain_kv(it)) continue;
    if (after && key_cmp(it->key, it->key_len, after->key, after->key_len) >= 0)
      continue;
    plain[i - 1] = 1;
    after = it;
  }
  for (i = 0; i < gguf_meta->n && st == TP_OK; i++) {
    const tp_meta_item *it = &gguf_meta->items[i];
    if (is_split_key(it->key, it->key_len)) continue;
    if (plain[i]) {
      st = tp_meta_set(out, it->key + plen, it->key_len - plen, &it->val, 1);
    } else {
      tp_textbuf key = {0}, val = {0};
      tp_value sv;
      tp_textbuf_puts(&key, TP_GGUF_ST_PREFIX);
      tp_textbuf_append(&key, it->key, it->key_len);
      encode_value(&val, &it->val, emitted);
      st = key.status != TP_OK ? key.status : val.status;
      if (st == TP_OK) {
        memset(&sv, 0, sizeof sv);
        sv.type = TP_VALUE_STRING;
        sv.v.s.data = val.data;
        sv.v.s.len = val.len;
        st = tp_meta_set(out, key.data, key.len, &sv, 1);
      }
      free(key.data);
      free(val.data);
    }
    emitted++;
  }
  free(plain);
  return st;
}

tp_status tp_gguf_encode_value(const tp_value *v, uint64_t index, char **json,
                               size_t *len) {
  tp_textbuf b = {0};
  encode_value(&b, v, index);
  *json = NULL;
  *len = 0;
  if (b.status != TP_OK) {
    free(b.data);
    return b.status;
  }
  *json = b.data;
  *len = b.len;
  return TP_OK;
}

/* The names as one JSON array: about the size of the names themselves, so
 * the entry costs a SafeTensors header (limit 100 MB) roughly what the
 * tensor records already spend on the names (3 MB for 100k tensors). */
tp_status tp_gguf_tensor_order_to_safetensors(const tp_tensor *t, size_t n,
                                              tp_metastore *out) {
  tp_textbuf b = {0};
  size_t i;
  tp_value v;
  tp_status st;
  tp_textbuf_append(&b, "[", 1);
  for (i = 0; i < n && b.status == TP_OK; i++) {
    if (i) tp_textbuf_append(&b, ",", 1);
    sb_json_string(&b, t[i].name, t[i].name_len);
  }
  tp_textbuf_append(&b, "]", 1);
  if (b.status != TP_OK) {
    free(b.data);
    return b.status;
  }
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_STRING;
  v.v.s.data = b.data;
  v.v.s.len = b.len;
  st = tp_meta_set(out, TP_GGUF_ST_ORDER_KEY, strlen(TP_GGUF_ST_ORDER_KEY), &v, 1);
  free(b.data);
  return st;
}

bool tp_gguf_st_from_gguf(const tp_metastore *st_meta) {
  size_t i;
  for (i = 0; i < st_meta->n; i++) {
    const tp_meta_item *it = &st_meta->items[i];
    if ((it->key_len > strlen(TP_GGUF_ST_PREFIX) &&
         tp_gguf_st_has_prefix(it->key, it->key_len)) ||
        tp_gguf_st_is_order_key(it->key, it->key_len))
      return true;
  }
  return false;
}

/* ---- decoding ----------------------------------------------------------------------- */

static bool type_from_name(const char *s, tp_value_type *out) {
  unsigned t;
  for (t = 0; t < TP_VALUE_COUNT; t++)
    if (!strcmp(tp_value_type_name((tp_value_type)t), s)) {
      *out = (tp_value_type)t;
      return true;
    }
  return false;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* A string element: JSON string or {"hex": "..."}. */
static const char *dec_string(json_t *j, tp_arena *a, tp_string *out) {
  if (json_is_string(j)) {
    size_t n = json_string_length(j);
    char *p = tp_arena_strndup(a, json_string_value(j), n);
    if (!p) return "out of memory";
    out->data = p;
    out->len = n;
    return NULL;
  }
  if (json_is_object(j) && json_object_size(j) == 1 &&
      json_is_string(json_object_get(j, "hex"))) {
    json_t *h = json_object_get(j, "hex");
    const char *s = json_string_value(h);
    size_t n = json_string_length(h), i;
    char *p;
    if (n % 2) return "odd-length hex string";
    p = tp_arena_alloc(a, n / 2 + 1);
    if (!p) return "out of memory";
    for (i = 0; i < n; i += 2) {
      int hi = hexval(s[i]), lo = hexval(s[i + 1]);
      if (hi < 0 || lo < 0) return "invalid hex digit";
      p[i / 2] = (char)(hi << 4 | lo);
    }
    p[n / 2] = 0;
    out->data = p;
    out->len = n / 2;
    return NULL;
  }
  return "expected a string or {\"hex\": ...}";
}

/* Integers: JSON integer, or a decimal string (UINT64 above 2^63-1). */
static const char *dec_int(json_t *j, tp_value_type t, uint64_t *u, int64_t *i) {
  bool neg = false;
  uint64_t mag = 0;
  if (json_is_integer(j)) {
    json_int_t x = json_integer_value(j);
    neg = x < 0;
    mag = neg ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
  } else if (json_is_string(j)) {
    const char *s = json_string_value(j);
    size_t n = json_string_length(j), k = 0;
    if (n && s[0] == '-') neg = true, k = 1;
    if (k == n) return "empty integer string";
    for (; k < n; k++) {
      if (s[k] < '0' || s[k] > '9') return "invalid integer string";
      if (tp_mul_overflow_u64(mag, 10, &mag) ||
          tp_add_overflow_u64(mag, (uint64_t)(s[k] - '0'), &mag))
        return "integer out of range";
    }
  } else {
    return "expected an integer";
  }
  switch (t) {
  case TP_VALUE_U8: case TP_VALUE_U16: case TP_VALUE_U32: case TP_VALUE_U64: {
    uint64_t max = t == TP_VALUE_U8 ? 0xFF : t == TP_VALUE_U16 ? 0xFFFF
                 : t == TP_VALUE_U32 ? 0xFFFFFFFFu : UINT64_MAX;
    if ((neg && mag) || mag > max) return "integer out of range";
    *u = mag;
    return NULL;
  }
  default: {
    uint64_t max = t == TP_VALUE_I8 ? 0x7F : t == TP_VALUE_I16 ? 0x7FFF
                 : t == TP_VALUE_I32 ? 0x7FFFFFFF : (uint64_t)INT64_MAX;
    if (mag > max + (neg ? 1u : 0u)) return "integer out of range";
    *i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
    return NULL;
  }
  }
}

/* A float of the given width as bits (*bits), so NaN payloads survive. */
static const char *dec_float(json_t *j, int is_f32, uint64_t *bits) {
  if (json_is_real(j) || json_is_integer(j)) {
    double d = json_number_value(j);
    *bits = is_f32 ? tp_f32_bits((float)d) : tp_f64_bits(d);
    return NULL;
  }
  if (json_is_string(j)) {
    const char *s = json_string_value(j);
    if (!strcmp(s, "inf")) *bits = is_f32 ? 0x7F800000u : 0x7FF0000000000000ull;
    else if (!strcmp(s, "-inf")) *bits = is_f32 ? 0xFF800000u : 0xFFF0000000000000ull;
    else if (!strcmp(s, "nan")) *bits = is_f32 ? 0x7FC00000u : 0x7FF8000000000000ull;
    else if (!strncmp(s, "nan:0x", 6)) {
      uint64_t v = 0;
      size_t k, n = strlen(s + 6);
      if (n != (is_f32 ? 8u : 16u)) return "invalid NaN bits";
      for (k = 0; k < n; k++) {
        int h = hexval(s[6 + k]);
        if (h < 0) return "invalid NaN bits";
        v = v << 4 | (uint64_t)h;
      }
      if (is_f32 ? !isnan(tp_bits_f32((uint32_t)v)) : !isnan(tp_bits_f64(v)))
        return "NaN bits do not encode a NaN";
      *bits = v;
    } else {
      return "invalid float string";
    }
    return NULL;
  }
  return "expected a number";
}

/* One scalar of type t from j into the element at p (C representation). */
static const char *dec_scalar(json_t *j, tp_value_type t, tp_arena *a, void *p) {
  uint64_t u = 0;
  int64_t i = 0;
  const char *err;
  switch (t) {
  case TP_VALUE_BOOL:
    if (!json_is_boolean(j)) return "expected true or false";
    *(uint8_t *)p = json_is_true(j) ? 1 : 0;
    return NULL;
  case TP_VALUE_STRING: return dec_string(j, a, (tp_string *)p);
  case TP_VALUE_F32: {
    uint64_t bits;
    uint32_t b32;
    if ((err = dec_float(j, 1, &bits))) return err;
    b32 = (uint32_t)bits;
    memcpy(p, &b32, 4);
    return NULL;
  }
  case TP_VALUE_F64: {
    uint64_t bits;
    if ((err = dec_float(j, 0, &bits))) return err;
    memcpy(p, &bits, 8);
    return NULL;
  }
  default: break;
  }
  if ((err = dec_int(j, t, &u, &i))) return err;
  switch (t) {
  case TP_VALUE_U8: *(uint8_t *)p = (uint8_t)u; break;
  case TP_VALUE_I8: *(int8_t *)p = (int8_t)i; break;
  case TP_VALUE_U16: { uint16_t x = (uint16_t)u; memcpy(p, &x, 2); break; }
  case TP_VALUE_I16: { int16_t x = (int16_t)i; memcpy(p, &x, 2); break; }
  case TP_VALUE_U32: { uint32_t x = (uint32_t)u; memcpy(p, &x, 4); break; }
  case TP_VALUE_I32: { int32_t x = (int32_t)i; memcpy(p, &x, 4); break; }
  case TP_VALUE_U64: memcpy(p, &u, 8); break;
  case TP_VALUE_I64: memcpy(p, &i, 8); break;
  default: return "invalid type";
  }
  return NULL;
}

tp_status tp_gguf_decode_value(const char *text, size_t len, tp_arena *a,
                               tp_value *out, uint64_t *index) {
  json_error_t jerr;
  json_t *root = json_loadb(text, len, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES,
                            &jerr);
  json_t *jt, *jv, *ji;
  tp_value_type t;
  const char *err = NULL;
  memset(out, 0, sizeof *out);
  *index = UINT64_MAX;
  if (!root)
    return tp_error(TP_EFORMAT, "invalid JSON at position %d: %s",
                    jerr.position, jerr.text);
  if (!json_is_object(root)) {
    json_decref(root);
    return tp_error(TP_EFORMAT, "expected a JSON object");
  }
  jt = json_object_get(root, "type");
  jv = json_object_get(root, "value");
  ji = json_object_get(root, "index");
  if (!json_is_string(jt) || !type_from_name(json_string_value(jt), &t)) {
    json_decref(root);
    return tp_error(TP_EFORMAT, "missing or unknown \"type\"");
  }
  if (!jv) {
    json_decref(root);
    return tp_error(TP_EFORMAT, "missing \"value\"");
  }
  if (ji) {
    if (!json_is_integer(ji) || json_integer_value(ji) < 0) {
      json_decref(root);
      return tp_error(TP_EFORMAT, "\"index\" must be a non-negative integer");
    }
    *index = (uint64_t)json_integer_value(ji);
  }
  out->type = t;
  if (t == TP_VALUE_ARRAY) {
    json_t *je = json_object_get(root, "elem_type");
    tp_value_type et;
    size_t n, k, esz;
    uint8_t *arr;
    if (!json_is_string(je) || !type_from_name(json_string_value(je), &et) ||
        et == TP_VALUE_ARRAY) {
      json_decref(root);
      return tp_error(TP_EFORMAT, "missing or invalid \"elem_type\"");
    }
    if (!json_is_array(jv)) {
      json_decref(root);
      return tp_error(TP_EFORMAT, "ARRAY \"value\" must be a JSON array");
    }
    n = json_array_size(jv);
    esz = et == TP_VALUE_STRING ? sizeof(tp_string) : tp_value_type_size(et);
    arr = tp_arena_alloc(a, (n ? n : 1) * esz);
    if (!arr) {
      json_decref(root);
      return TP_ENOMEM;
    }
    for (k = 0; k < n && !err; k++) {
      err = dec_scalar(json_array_get(jv, k), et, a, arr + k * esz);
      if (err) {
        json_decref(root);
        return tp_error(TP_EFORMAT, "element %zu of %s array: %s", k,
                        tp_value_type_name(et), err);
      }
    }
    out->elem_type = et;
    out->count = n;
    out->v.array = arr;
  } else {
    union {
      uint8_t u8;
      int8_t i8;
      uint16_t u16;
      int16_t i16;
      uint32_t u32;
      int32_t i32;
      uint64_t u64;
      int64_t i64;
      float f32;
      double f64;
      tp_string s;
    } x;
    memset(&x, 0, sizeof x);
    err = dec_scalar(jv, t, a, &x);
    if (err) {
      json_decref(root);
      return tp_error(TP_EFORMAT, "%s value: %s", tp_value_type_name(t), err);
    }
    switch (t) {
    case TP_VALUE_U8: case TP_VALUE_BOOL: out->v.u = x.u8; break;
    case TP_VALUE_I8: out->v.i = x.i8; break;
    case TP_VALUE_U16: out->v.u = x.u16; break;
    case TP_VALUE_I16: out->v.i = x.i16; break;
    case TP_VALUE_U32: out->v.u = x.u32; break;
    case TP_VALUE_I32: out->v.i = x.i32; break;
    case TP_VALUE_U64: out->v.u = x.u64; break;
    case TP_VALUE_I64: out->v.i = x.i64; break;
    case TP_VALUE_F32: out->v.f = (double)x.f32; break;
    case TP_VALUE_F64: out->v.f = x.f64; break;
    case TP_VALUE_STRING: out->v.s = x.s; break;
    default: break;
    }
  }
  json_decref(root);
  return TP_OK;
}

typedef struct dec_item {
  uint64_t index;
  size_t pos;
  const char *key;
  size_t key_len;
  tp_value val;
} dec_item;

static int cmp_dec(const void *a, const void *b) {
  const dec_item *x = (const dec_item *)a, *y = (const dec_item *)b;
  if (x->index != y->index) return x->index < y->index ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int cmp_plain(const void *a, const void *b) {
  const tp_meta_item *x = *(const tp_meta_item *const *)a;
  const tp_meta_item *y = *(const tp_meta_item *const *)b;
  return key_cmp(x->key, x->key_len, y->key, y->key_len);
}

tp_status tp_gguf_meta_from_safetensors(const tp_metastore *st_meta,
                                        tp_metastore *out) {
  tp_arena a;
  dec_item *items = NULL;
  const tp_meta_item **plain = NULL;
  size_t n = 0, i, nplain = 0;
  tp_status st = TP_OK;
  const size_t glen = strlen(TP_GGUF_ST_PREFIX);
  tp_arena_init(&a);
  if (st_meta->n) {
    items = tp_calloc(st_meta->n, sizeof *items);
    plain = tp_calloc(st_meta->n, sizeof *plain);
    if (!items || !plain) {
      free(items);
      free(plain);
      return TP_ENOMEM;
    }
  }
  for (i = 0; i < st_meta->n && st == TP_OK; i++) {
    const tp_meta_item *it = &st_meta->items[i];
    char q[200];
    if (!tp_gguf_st_has_prefix(it->key, it->key_len)) continue;
    tp_quote_for_message(q, sizeof q, it->key, it->key_len);
    if (it->key_len == glen) {
      st = tp_error(TP_EFORMAT, "__metadata__ key \"%s\": empty GGUF key", q);
      break;
    }
    if (it->val.type != TP_VALUE_STRING) {
      st = tp_error(TP_EFORMAT, "__metadata__ key \"%s\": value is not a string",
                    q);
      break;
    }
    st = tp_gguf_decode_value(it->val.v.s.data, it->val.v.s.len, &a,
                              &items[n].val, &items[n].index);
    if (st != TP_OK) {
      st = tp_error_prefix("__metadata__ key \"%s\": invalid encoded GGUF value",
                           q);
      break;
    }
    items[n].pos = i;
    items[n].key = it->key + glen;
    items[n].key_len = it->key_len - glen;
    n++;
  }
  if (st == TP_OK && n > 1) qsort(items, n, sizeof *items, cmp_dec);
  /* Plain SafeTensors entries keep their text under a namespaced key, in
   * key byte order (__metadata__ is a map whose order writers do not keep;
   * the safetensors package's follows a hash). In a file made from GGUF,
   * "format": "pt" is the SafeTensors writer's marker (an original one
   * travels encoded) and is dropped; the tensor order entry is no KV. */
  if (st == TP_OK) {
    bool from_gguf = tp_gguf_st_from_gguf(st_meta);
    for (i = 0; i < st_meta->n; i++) {
      const tp_meta_item *it = &st_meta->items[i];
      if (tp_gguf_st_has_prefix(it->key, it->key_len) ||
          tp_gguf_st_is_order_key(it->key, it->key_len))
        continue;
      if (from_gguf && it->key_len == 6 && !memcmp(it->key, "format", 6) &&
          it->val.type == TP_VALUE_STRING && it->val.v.s.len == 2 &&
          !memcmp(it->val.v.s.data, "pt", 2))
        continue;
      plain[nplain++] = it;
    }
    if (nplain > 1) qsort(plain, nplain, sizeof *plain, cmp_plain);
  }
  /* Encoded entries go back to their index; plain ones fill the other
   * positions (an index past the end just comes after them). */
  {
    size_t ei = 0, pi = 0, pos = 0;
    while (st == TP_OK && (ei < n || pi < nplain)) {
      if (ei < n && (pi == nplain || items[ei].index <= pos)) {
        st = tp_meta_set(out, items[ei].key, items[ei].key_len, &items[ei].val, 0);
        if (st == TP_EEXISTS) {
          char q[200];
          tp_quote_for_message(q, sizeof q, items[ei].key, items[ei].key_len);
          st = tp_error(TP_EFORMAT, "__metadata__: GGUF key \"%s\" given twice", q);
        }
        ei++;
      } else {
        const tp_meta_item *it = plain[pi++];
        tp_textbuf key = {0};
        tp_textbuf_puts(&key, TP_GGUF_ST_PLAIN_PREFIX);
        tp_textbuf_append(&key, it->key, it->key_len);
        st = key.status;
        if (st == TP_OK) st = tp_meta_set(out, key.data, key.len, &it->val, 0);
        if (st == TP_EEXISTS) {
          char q[200];
          tp_quote_for_message(q, sizeof q, key.data, key.len);
          st = tp_error(TP_EFORMAT, "__metadata__: key \"%s\" given twice", q);
        }
        free(key.data);
      }
      pos++;
    }
  }
  free(items);
  free(plain);
  tp_arena_free(&a);
  return st;
}

tp_status tp_gguf_tensor_order_from_safetensors(const tp_metastore *st_meta,
                                                tp_arena *a, tp_string **names,
                                                size_t *n, bool *present) {
  size_t i = tp_meta_find(st_meta, TP_GGUF_ST_ORDER_KEY,
                          strlen(TP_GGUF_ST_ORDER_KEY));
  const tp_value *v;
  json_error_t jerr;
  json_t *root;
  tp_string *out;
  size_t k, count;
  *names = NULL;
  *n = 0;
  *present = i != SIZE_MAX;
  if (i == SIZE_MAX) return TP_OK;
  v = &st_meta->items[i].val;
  if (v->type != TP_VALUE_STRING)
    return tp_error(TP_EFORMAT, "__metadata__ key \"%s\": value is not a string",
                    TP_GGUF_ST_ORDER_KEY);
  root = json_loadb(v->v.s.data, v->v.s.len,
                    JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &jerr);
  if (!root)
    return tp_error(TP_EFORMAT,
                    "__metadata__ key \"%s\": invalid JSON at position %d: %s",
                    TP_GGUF_ST_ORDER_KEY, jerr.position, jerr.text);
  if (!json_is_array(root)) {
    json_decref(root);
    return tp_error(TP_EFORMAT,
                    "__metadata__ key \"%s\": expected a JSON array of tensor "
                    "names",
                    TP_GGUF_ST_ORDER_KEY);
  }
  count = json_array_size(root);
  out = tp_arena_alloc(a, (count ? count : 1) * sizeof *out);
  if (!out) {
    json_decref(root);
    return TP_ENOMEM;
  }
  for (k = 0; k < count; k++) {
    const char *err = dec_string(json_array_get(root, k), a, &out[k]);
    if (err) {
      json_decref(root);
      return tp_error(TP_EFORMAT, "__metadata__ key \"%s\": element %zu: %s",
                      TP_GGUF_ST_ORDER_KEY, k, err);
    }
  }
  json_decref(root);
  *names = out;
  *n = count;
  return TP_OK;
}

/* Entries go into the recorded order only when it names each source tensor
 * exactly once: a SafeTensors file edited since (tensors added, removed or
 * renamed) keeps the order it has, since a partial order would have to
 * invent places for the rest. */
tp_status tp_gguf_restore_tensor_order(tp_layout *p) {
  tp_arena a;
  tp_string *names;
  size_t n, k, i, *pos = NULL, *order = NULL;
  bool present, ok = true;
  tp_out_tensor *sorted = NULL;
  tp_status st;
  if (!p->src) return TP_OK;
  tp_arena_init(&a);
  st = tp_gguf_tensor_order_from_safetensors(&p->src->meta, &a, &names, &n,
                                             &present);
  if (st != TP_OK || !present || n != p->n || n < 2) {
    tp_arena_free(&a);
    return st;
  }
  pos = tp_malloc(p->src->ntensors * sizeof *pos);
  order = tp_malloc(n * sizeof *order);
  sorted = tp_malloc(n * sizeof *sorted);
  if (!pos || !order || !sorted) {
    st = TP_ENOMEM;
    goto done;
  }
  /* pos[source index] = entry index, SIZE_MAX once taken */
  for (i = 0; i < p->src->ntensors; i++) pos[i] = SIZE_MAX;
  for (i = 0; i < p->n; i++) pos[p->entries[i].src] = i;
  for (k = 0; k < n && ok; k++) {
    size_t t = tp_model_find_tensor(p->src, names[k].data, names[k].len);
    ok = t != SIZE_MAX && pos[t] != SIZE_MAX;
    if (ok) {
      order[k] = pos[t];
      pos[t] = SIZE_MAX;
    }
  }
  if (ok) {
    for (k = 0; k < n; k++) sorted[k] = p->entries[order[k]];
    memcpy(p->entries, sorted, n * sizeof *sorted);
  }
done:
  free(pos);
  free(order);
  free(sorted);
  tp_arena_free(&a);
  return st;
}
