/*
 * meta_edit.c - how SafeTensors metadata is edited (the format's
 * tp_meta_editor): values are strings, except in a file converted from
 * GGUF, where an edit of KEY changes the encoded GGUF KV "gguf:KEY" with
 * GGUF types, keeping its place, so the edit reaches a GGUF made from the
 * file. Every encoded entry must still decode after the edits.
 */
#include "safetensors.h"

#include <stdio.h>
#include <stdlib.h>

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
static tp_status encoded_key(const tp_meta_edit_op *d, char **out, size_t *len) {
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
  st = tp_meta_set_in_place(ms, ms->items[at].key, ms->items[at].key_len, &sv);
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
static tp_status edit_encoded(const tp_meta_edit_op *d, tp_metastore *ms,
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
    if (d->kind != TP_EDIT_DELETE && tp_meta_find(ms, d->key, d->key_len) == SIZE_MAX) {
      tp_metastore none;
      *done = 1;
      tp_meta_init(&none);
      st = next_index(ms, path, &index);
      if (st == TP_OK) st = d->resolve(d, &none, &v);
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
  if (d->kind == TP_EDIT_DELETE) {
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
    if (st == TP_OK) st = d->resolve(d, &cur, &v);
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
static tp_status not_a_string(const tp_meta_edit_op *d, const tp_metastore *ms,
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


static tp_status st_edit(tp_metastore *ms, const tp_meta_edit_op *d,
                         const char *path, int *done) {
  tp_value v;
  tp_status st = edit_encoded(d, ms, path, done);
  if (st != TP_OK || *done || d->kind == TP_EDIT_DELETE) return st;
  if (d->kind != TP_EDIT_SET) return not_a_string(d, ms, path);
  st = d->resolve(d, ms, &v);
  if (st == TP_OK && v.type != TP_VALUE_STRING) return not_a_string(d, ms, path);
  if (st == TP_OK) st = tp_meta_set_in_place(ms, d->key, d->key_len, &v);
  if (st == TP_OK) *done = 1;
  return st;
}

static const char *st_stored_key(const tp_metastore *ms, const char *key,
                                 char *buf, size_t len) {
  size_t klen = strlen(key);
  if (tp_gguf_st_has_prefix(key, klen)) return NULL;
  snprintf(buf, len, "%s%s", TP_GGUF_ST_PREFIX, key);
  return tp_meta_find(ms, buf, strlen(buf)) != SIZE_MAX ? buf : NULL;
}

const tp_meta_editor tp_safetensors_editor = {st_edit, check_encoded,
                                              st_stored_key};
