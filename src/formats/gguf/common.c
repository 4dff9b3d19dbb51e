/*
 * common.c - GGUF rules that the reader, the writer and metadata editing
 * share without depending on each other: split-file names and the metadata
 * invariants (alignment, tokenizer arrays) whose violation makes llama.cpp
 * read out of bounds.
 */
#include "gguf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- split names ----------------------------------------------------------------- */

/* "-NNNNN-of-MMMMM.gguf" */
#define SPLIT_SUFFIX_LEN 20u

static bool five_digits(const char *s, uint32_t *out) {
  uint32_t v = 0;
  int i;
  for (i = 0; i < 5; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (uint32_t)(s[i] - '0');
  }
  *out = v;
  return true;
}

bool tp_gguf_split_parse(const char *path, size_t *prefix_len, uint32_t *no,
                         uint32_t *count) {
  size_t n = path ? strlen(path) : 0;
  const char *s;
  uint32_t a, b;
  if (n < SPLIT_SUFFIX_LEN) return false;
  s = path + n - SPLIT_SUFFIX_LEN;
  if (s[0] != '-' || memcmp(s + 6, "-of-", 4) || memcmp(s + 15, ".gguf", 5))
    return false;
  if (!five_digits(s + 1, &a) || !five_digits(s + 10, &b)) return false;
  if (a < 1 || b < 1 || a > b) return false;
  *prefix_len = n - SPLIT_SUFFIX_LEN;
  *no = a;
  *count = b;
  return true;
}

char *tp_gguf_split_path(const char *prefix, size_t prefix_len, uint32_t no,
                         uint32_t count) {
  return tp_asprintf("%.*s-%05" PRIu32 "-of-%05" PRIu32 ".gguf",
                     (int)prefix_len, prefix, no, count);
}

/* ---- metadata checks ----------------------------------------------------------- */

static const tp_value *find_val(const tp_metastore *ms, const char *key) {
  size_t i = tp_meta_find(ms, key, strlen(key));
  return i == SIZE_MAX ? NULL : &ms->items[i].val;
}

tp_status tp_gguf_meta_alignment(const tp_metastore *meta, uint64_t *out) {
  const tp_value *v = find_val(meta, TP_GGUF_KEY_ALIGNMENT);
  *out = TP_GGUF_DEFAULT_ALIGNMENT;
  if (!v) return TP_OK;
  if (v->type != TP_VALUE_U32 || !tp_is_pow2_u64(v->v.u) ||
      v->v.u > TP_GGUF_MAX_ALIGNMENT)
    return tp_error(TP_EINVAL,
                    "key \"%s\": must be a UINT32 power of two up to %u (got "
                    "%s %" PRIu64 ")",
                    TP_GGUF_KEY_ALIGNMENT, TP_GGUF_MAX_ALIGNMENT,
                    tp_value_type_name(v->type),
                    v->type == TP_VALUE_STRING || v->type == TP_VALUE_ARRAY
                        ? (uint64_t)0
                        : v->v.u);
  *out = v->v.u;
  return TP_OK;
}

/* An array of elem_type, or NULL (absent); st on any other shape. */
static tp_status want_array(const tp_metastore *meta, const char *key,
                            tp_value_type elem, tp_status st,
                            const tp_value **out) {
  const tp_value *v = find_val(meta, key);
  *out = v;
  if (!v) return TP_OK;
  if (v->type != TP_VALUE_ARRAY || v->elem_type != elem)
    return tp_error(st, "key \"%s\": wrong type (%s%s%s vs expected ARRAY of %s)",
                    key, tp_value_type_name(v->type),
                    v->type == TP_VALUE_ARRAY ? " of " : "",
                    v->type == TP_VALUE_ARRAY ? tp_value_type_name(v->elem_type)
                                              : "",
                    tp_value_type_name(elem));
  return TP_OK;
}

tp_status tp_gguf_check_meta(const tp_metastore *meta, tp_status st) {
  const tp_value *tokens, *scores, *types, *merges;
  const tp_value *al = find_val(meta, TP_GGUF_KEY_ALIGNMENT);
  tp_status s;
  if (al && al->type != TP_VALUE_U32)
    return tp_error(st, "key \"%s\": wrong type (%s vs expected UINT32)",
                    TP_GGUF_KEY_ALIGNMENT, tp_value_type_name(al->type));
  if (al && !tp_is_pow2_u64(al->v.u))
    return tp_error(st, "key \"%s\": %" PRIu64 " is not a non-zero power of two",
                    TP_GGUF_KEY_ALIGNMENT, al->v.u);
  if (al && al->v.u > TP_GGUF_MAX_ALIGNMENT)
    return tp_error(st, "key \"%s\": %" PRIu64 " exceeds the limit (%u)",
                    TP_GGUF_KEY_ALIGNMENT, al->v.u, TP_GGUF_MAX_ALIGNMENT);
  /* llama.cpp reinterprets scores as float* and token_type as int32_t*
   * indexed by token id without checking: types and lengths must agree */
  if ((s = want_array(meta, "tokenizer.ggml.tokens", TP_VALUE_STRING, st,
                      &tokens)) != TP_OK ||
      (s = want_array(meta, "tokenizer.ggml.merges", TP_VALUE_STRING, st,
                      &merges)) != TP_OK ||
      (s = want_array(meta, "tokenizer.ggml.scores", TP_VALUE_F32, st,
                      &scores)) != TP_OK ||
      (s = want_array(meta, "tokenizer.ggml.token_type", TP_VALUE_I32, st,
                      &types)) != TP_OK)
    return s;
  if (tokens && scores && scores->count != tokens->count)
    return tp_error(st,
                    "key \"tokenizer.ggml.scores\": %" PRIu64 " entries vs %"
                    PRIu64 " tokens",
                    scores->count, tokens->count);
  if (tokens && types && types->count != tokens->count)
    return tp_error(st,
                    "key \"tokenizer.ggml.token_type\": %" PRIu64 " entries vs "
                    "%" PRIu64 " tokens",
                    types->count, tokens->count);
  return TP_OK;
}

