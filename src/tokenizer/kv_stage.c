/*
 * kv_stage.c - the tokenizer KVs in the order gguf-py's GGUFWriter writes
 * them. Its kv_data is a Python dict: setting a key again overwrites the
 * value where the key already is, add_string skips empty strings and
 * add_array skips empty arrays. The staged values point to memory the
 * context owns; tk_stage_emit deep-copies them into the caller's store.
 */
#include "tok_internal.h"

#include <stdlib.h>

void tk_stage_free(tk_stage *s) {
  free(s->items);
  memset(s, 0, sizeof *s);
}

const tk_kv *tk_stage_find(const tk_stage *s, const char *key) {
  size_t i;
  /* a few dozen keys at most: a scan is cheaper than an index */
  for (i = 0; i < s->n; i++)
    if (!strcmp(s->items[i].key, key)) return &s->items[i];
  return NULL;
}

tp_status tk_put(tk_stage *s, const char *key, const tp_value *v) {
  tk_kv *kv = (tk_kv *)tk_stage_find(s, key);
  tp_status st;
  if (kv) {
    kv->val = *v;
    return TP_OK;
  }
  st = tp_grow((void **)&s->items, &s->cap, s->n + 1, sizeof *s->items);
  if (st != TP_OK) return st;
  s->items[s->n].key = key;
  s->items[s->n].val = *v;
  s->n++;
  return TP_OK;
}

tp_status tk_put_str(tk_stage *s, const char *key, const char *str,
                     size_t len) {
  tp_value v;
  if (!len) return TP_OK;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_STRING;
  v.v.s.data = str;
  v.v.s.len = len;
  return tk_put(s, key, &v);
}

tp_status tk_put_u32(tk_stage *s, const char *key, uint32_t x) {
  tp_value v;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_U32;
  v.v.u = x;
  return tk_put(s, key, &v);
}

tp_status tk_put_bool(tk_stage *s, const char *key, bool b) {
  tp_value v;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_BOOL;
  v.v.u = b ? 1 : 0;
  return tk_put(s, key, &v);
}

static tp_status put_array(tk_stage *s, const char *key, tp_value_type et,
                           const void *data, size_t n) {
  tp_value v;
  if (!n) return TP_OK;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_ARRAY;
  v.elem_type = et;
  v.count = n;
  v.v.array = data;
  return tk_put(s, key, &v);
}

tp_status tk_put_strings(tk_stage *s, const char *key, const tp_string *a,
                         size_t n) {
  return put_array(s, key, TP_VALUE_STRING, a, n);
}

tp_status tk_put_f32s(tk_stage *s, const char *key, const float *a, size_t n) {
  return put_array(s, key, TP_VALUE_F32, a, n);
}

tp_status tk_put_i32s(tk_stage *s, const char *key, const int32_t *a,
                      size_t n) {
  return put_array(s, key, TP_VALUE_I32, a, n);
}

tp_status tk_stage_emit(const tk_stage *s, tp_metastore *out) {
  size_t i;
  for (i = 0; i < s->n; i++) {
    const tk_kv *kv = &s->items[i];
    tp_status st = tp_meta_set(out, kv->key, strlen(kv->key), &kv->val, 1);
    if (st != TP_OK) return st;
  }
  return TP_OK;
}
