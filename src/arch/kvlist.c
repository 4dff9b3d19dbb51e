/*
 * kvlist.c - an ordered KV list that behaves like gguf-py's GGUFWriter:
 * a key added again keeps the position of its first addition and takes the
 * new value (kv_data is a dict), an empty string or array is not written.
 * tp_meta_set's replace moves a key to the end instead (gguf_set_val's
 * rule), hence this small layer.
 */
#include "arch_impl.h"

#include <stdio.h>

void tp_arch_kvl_init(tp_arch_kvl *l) { tp_meta_init(&l->ms); }

void tp_arch_kvl_free(tp_arch_kvl *l) { tp_meta_free(&l->ms); }

tp_status tp_arch_kvl_set(tp_arch_kvl *l, const char *key, const tp_value *v) {
  size_t len = strlen(key), at = tp_meta_find(&l->ms, key, len), i;
  tp_metastore next;
  tp_status st = TP_OK;
  if (at == SIZE_MAX) return tp_meta_set(&l->ms, key, len, v, 0);
  /* rebuild with the value replaced in place: rare (a few keys per file) */
  tp_meta_init(&next);
  for (i = 0; st == TP_OK && i < l->ms.n; i++)
    st = tp_meta_set(&next, l->ms.items[i].key, l->ms.items[i].key_len,
                     i == at ? v : &l->ms.items[i].val, 0);
  if (st != TP_OK) {
    tp_meta_free(&next);
    return st;
  }
  /* every member is a heap pointer and the index stores positions, so the
   * struct moves as a whole */
  tp_meta_free(&l->ms);
  l->ms = next;
  return TP_OK;
}

tp_status tp_arch_kvl_u32(tp_arch_kvl *l, const char *key, uint32_t x) {
  tp_value v;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_U32;
  v.v.u = x;
  return tp_arch_kvl_set(l, key, &v);
}

tp_status tp_arch_kvl_i32(tp_arch_kvl *l, const char *key, int32_t x) {
  tp_value v;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_I32;
  v.v.i = x;
  return tp_arch_kvl_set(l, key, &v);
}

tp_status tp_arch_kvl_f32(tp_arch_kvl *l, const char *key, double x) {
  tp_value v;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_F32;
  v.v.f = (double)(float)x; /* struct.pack("f"): one rounding to float */
  return tp_arch_kvl_set(l, key, &v);
}

tp_status tp_arch_kvl_bool(tp_arch_kvl *l, const char *key, bool b) {
  tp_value v;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_BOOL;
  v.v.u = b ? 1 : 0;
  return tp_arch_kvl_set(l, key, &v);
}

tp_status tp_arch_kvl_str(tp_arch_kvl *l, const char *key, const char *s,
                          size_t len) {
  tp_value v;
  if (!len) return TP_OK;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_STRING;
  v.v.s.data = s;
  v.v.s.len = len;
  return tp_arch_kvl_set(l, key, &v);
}

tp_status tp_arch_kvl_emit(const tp_arch_kvl *l, tp_metastore *out) {
  size_t i;
  for (i = 0; i < l->ms.n; i++) {
    tp_status st = tp_meta_set(out, l->ms.items[i].key, l->ms.items[i].key_len,
                               &l->ms.items[i].val, 1);
    if (st != TP_OK) return st;
  }
  return TP_OK;
}

void tp_arch_key(char *buf, size_t len, const tp_arch_profile *p,
                 const char *suffix) {
  snprintf(buf, len, "%s.%s", p->gguf_arch, suffix);
}
