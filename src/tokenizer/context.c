/*
 * context.c - the conversion context's helpers: messages that name the
 * folder and file, arena strings, and the token table with the checks
 * llama.cpp's loader makes on it (no token twice, one token per embedding
 * row).
 */
#include "tok_internal.h"

#include <stdio.h>
#include <stdlib.h>

tp_status tk_err(const tk_ctx *c, tp_status st, const char *file,
                 const char *fmt, ...) {
  char msg[1900];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return tp_error(st, "%s: %s: %s", c->dir, file, msg);
}

char *tk_strdup(tk_ctx *c, const char *s, size_t len) {
  return tp_arena_strndup(&c->arena, s, len);
}

char *tk_printf(tk_ctx *c, const char *fmt, ...) {
  char buf[256], *p;
  va_list ap;
  int n;
  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) {
    tp_error(TP_EINVAL, "bad format");
    return NULL;
  }
  if ((size_t)n < sizeof buf) return tk_strdup(c, buf, (size_t)n);
  p = tp_arena_alloc(&c->arena, (size_t)n + 1);
  if (!p) return NULL;
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

tp_status tk_pad_token(tk_ctx *c, uint64_t i, tp_string *out) {
  char *p = tk_printf(c, "[PAD%llu]", (unsigned long long)i);
  if (!p) return TP_ENOMEM;
  out->data = p;
  out->len = strlen(p);
  return TP_OK;
}

tp_status tk_vocab_init(tk_ctx *c, tk_vocab *v, size_t n, bool with_scores,
                        float pad_score) {
  size_t i;
  memset(v, 0, sizeof *v);
  if (n > TK_MAX_VOCAB)
    return tp_error(TP_ELIMIT, "%s: vocabulary of %zu tokens (vs at most %u)",
                    c->dir, n, TK_MAX_VOCAB);
  v->tok = tp_arena_alloc(&c->arena, (n ? n : 1) * sizeof *v->tok);
  v->type = tp_arena_alloc(&c->arena, (n ? n : 1) * sizeof *v->type);
  if (!v->tok || !v->type) return TP_ENOMEM;
  if (with_scores) {
    v->score = tp_arena_alloc(&c->arena, (n ? n : 1) * sizeof *v->score);
    if (!v->score) return TP_ENOMEM;
  }
  for (i = 0; i < n; i++) {
    tp_status st = tk_pad_token(c, i, &v->tok[i]);
    if (st != TP_OK) return st;
    v->type[i] = TK_UNUSED;
    if (v->score) v->score[i] = pad_score;
  }
  v->n = n;
  return TP_OK;
}

static tp_string vocab_key(const void *ctx, size_t i) {
  return ((const tk_vocab *)ctx)->tok[i];
}

tp_status tk_put_vocab(tk_ctx *c, const tk_vocab *v, const char *source) {
  tp_strmap map;
  size_t i;
  tp_status st = TP_OK;
  const uint64_t want = c->in->n_vocab;
  if (want && want != v->n)
    return tk_err(c, TP_EFORMAT, source,
                  "the vocabulary has %zu tokens but the token embedding has "
                  "%llu rows (llama.cpp needs one token per row)",
                  v->n, (unsigned long long)want);
  tp_strmap_init(&map);
  for (i = 0; i < v->n && st == TP_OK; i++) {
    size_t j = tp_strmap_find(&map, v->tok[i].data, v->tok[i].len, vocab_key, v);
    if (j != SIZE_MAX) {
      char q[256];
      tp_quote_for_message(q, sizeof q, v->tok[i].data, v->tok[i].len);
      st = tk_err(c, TP_EFORMAT, source,
                  "token %zu \"%s\" is also token %zu (llama.cpp refuses a "
                  "vocabulary with a token twice)", i, q, j);
      break;
    }
    st = tp_strmap_insert(&map, i, vocab_key, v);
  }
  tp_strmap_free(&map);
  if (st != TP_OK) return st;
  st = tk_put_strings(&c->kv, "tokenizer.ggml.tokens", v->tok, v->n);
  if (st == TP_OK && v->score)
    st = tk_put_f32s(&c->kv, "tokenizer.ggml.scores", v->score, v->n);
  if (st == TP_OK)
    st = tk_put_i32s(&c->kv, "tokenizer.ggml.token_type", v->type, v->n);
  return st;
}
