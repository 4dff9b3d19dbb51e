/*
 * vocab_spm.c - the SentencePiece vocabularies (tokenizer.ggml.model
 * "llama"): _set_vocab_sentencepiece (tokenizer.model, added_tokens.json,
 * tokenizer_config's added_tokens_decoder), Phi-3's variant of it, and
 * _set_vocab_llama_hf (a tokenizer.json BPE with byte fallback and no
 * tokenizer.model). Rules: docs/formats/tokenizers.md §2.
 */
#include "tok_internal.h"

#include "spm.h"

#include <stdlib.h>

/* SentencePieceProcessor's Is* checks in the reference's order */
static int32_t piece_type(uint8_t t) {
  switch (t) {
  case TP_SPM_UNKNOWN: return TK_UNKNOWN;
  case TP_SPM_CONTROL: return TK_CONTROL;
  case TP_SPM_UNUSED: return TK_UNUSED;
  case TP_SPM_BYTE: return TK_BYTE;
  default: return TK_NORMAL; /* NORMAL and USER_DEFINED pieces */
  }
}

static tp_status parse_model(tk_ctx *c, tp_spm_model *m) {
  tp_status st;
  if (!c->in->spm_model)
    return tk_err(c, TP_ENOTFOUND, "tokenizer.model", "missing");
  st = tp_spm_parse(c->in->spm_model, c->in->spm_model_len, m);
  if (st != TP_OK) return tp_error_prefix("%s: tokenizer.model", c->dir);
  return TP_OK;
}

/* A token id from a JSON value: an int in [0, n) (*in_range false above). */
static tp_status token_id(tk_ctx *c, const char *file, const char *what,
                          const json_t *v, size_t n, size_t *id,
                          bool *in_range) {
  int64_t x;
  if (!tk_is_int(v, &x))
    return tk_err(c, TP_EFORMAT, file, "%s: the id is not an integer", what);
  if (x < 0)
    return tk_err(c, TP_EFORMAT, file, "%s: negative id %lld", what,
                  (long long)x);
  *in_range = (uint64_t)x < n;
  *id = (size_t)x;
  return TP_OK;
}

/* int(key) of added_tokens_decoder ("12"), as Python's int() takes it:
 * optional sign and surrounding whitespace, digits (underscores between
 * digits). */
static bool parse_id_key(const char *k, size_t len, int64_t *out) {
  size_t i = 0;
  bool neg = false, digit = false, under = false;
  uint64_t v = 0;
  while (i < len && (k[i] == ' ' || (k[i] >= '\t' && k[i] <= '\r'))) i++;
  if (i < len && (k[i] == '+' || k[i] == '-')) neg = k[i++] == '-';
  for (; i < len; i++) {
    if (k[i] == '_' && digit && !under) {
      under = true;
      continue;
    }
    if (k[i] < '0' || k[i] > '9') break;
    if (v > (uint64_t)INT64_MAX / 10) return false;
    v = v * 10 + (uint64_t)(k[i] - '0');
    digit = true;
    under = false;
  }
  while (i < len && (k[i] == ' ' || (k[i] >= '\t' && k[i] <= '\r'))) i++;
  if (!digit || under || i != len || v > (uint64_t)INT64_MAX) return false;
  *out = neg ? -(int64_t)v : (int64_t)v;
  return true;
}

/* vocab_size for the SentencePiece path: find_hparam(["vocab_size_per_
 * layer_input", "vocab_size"]) or the model's piece count. */
static tp_status spm_vocab_size(tk_ctx *c, const char *const *keys, size_t nk,
                                size_t pieces, size_t *out) {
  size_t i;
  for (i = 0; i < nk; i++) {
    bool present;
    const json_t *v = tk_hparam(c, keys[i], &present);
    int64_t x;
    if (!present) continue;
    if (!tk_truthy(v)) break; /* `... or tokenizer.vocab_size()` */
    if (!tk_is_int(v, &x) || x < 0)
      return tk_err(c, TP_EFORMAT, "config.json",
                    "%s is not a non-negative integer", keys[i]);
    if ((uint64_t)x > TK_MAX_VOCAB)
      return tk_err(c, TP_ELIMIT, "config.json", "%s %lld (vs at most %u)",
                    keys[i], (long long)x, TK_MAX_VOCAB);
    *out = (size_t)x;
    return TP_OK;
  }
  *out = pieces;
  return TP_OK;
}

/* the replacement of U+2581 by a space for user-defined added tokens */
static tp_status unspace(tk_ctx *c, tp_string in, tp_string *out) {
  static const char lower_one[] = "\xe2\x96\x81";
  size_t i, o = 0;
  char *p = tp_arena_alloc(&c->arena, in.len + 1);
  if (!p) return TP_ENOMEM;
  for (i = 0; i < in.len;) {
    if (i + 3 <= in.len && !memcmp(in.data + i, lower_one, 3)) {
      p[o++] = ' ';
      i += 3;
    } else {
      p[o++] = in.data[i++];
    }
  }
  p[o] = 0;
  out->data = p;
  out->len = o;
  return TP_OK;
}

static tp_status added_tokens_json(tk_ctx *c, tk_vocab *v, bool skip_far) {
  const json_t *at = c->in->added_tokens;
  void *it;
  if (!at) return TP_OK;
  if (!json_is_object(at))
    return tk_err(c, TP_EFORMAT, "added_tokens.json", "not an object");
  for (it = json_object_iter((json_t *)at); it;
       it = json_object_iter_next((json_t *)at, it)) {
    tp_string key = {json_object_iter_key(it), json_object_iter_key_len(it)};
    char q[256];
    size_t id = 0;
    bool in_range = false;
    tp_status st;
    tp_quote_for_message(q, sizeof q, key.data, key.len);
    st = token_id(c, "added_tokens.json", q, json_object_iter_value(it), v->n,
                  &id, &in_range);
    if (st != TP_OK) return st;
    if (!in_range) {
      if (skip_far) continue; /* the reference warns and skips it */
      return tk_err(c, TP_EFORMAT, "added_tokens.json",
                    "\"%s\": id %zu is past the vocabulary (%zu tokens)", q, id,
                    v->n);
    }
    v->tok[id] = key;
    v->score[id] = -1000.0f;
    v->type[id] = TK_USER_DEFINED;
  }
  return TP_OK;
}

tp_status tk_vocab_sentencepiece(tk_ctx *c) {
  static const char *const keys[] = {"vocab_size_per_layer_input", "vocab_size"};
  tp_spm_model m;
  tk_vocab v;
  size_t n = 0, i;
  tp_status st = parse_model(c, &m);
  if (st != TP_OK) return st;
  st = spm_vocab_size(c, keys, 2, m.n, &n);
  if (st == TP_OK) st = tk_vocab_init(c, &v, n, true, -10000.0f);
  /* pieces past vocab_size are dropped (the reference warns) */
  for (i = 0; st == TP_OK && i < m.n && i < n; i++) {
    v.tok[i] = m.pieces[i].piece;
    v.score[i] = m.pieces[i].score;
    v.type[i] = piece_type(m.pieces[i].type);
  }
  tp_spm_free(&m);
  if (st == TP_OK) st = added_tokens_json(c, &v, true);
  if (st == TP_OK) {
    const json_t *dec = tk_get(c->in->tokenizer_config, "added_tokens_decoder");
    void *it;
    if (dec && !json_is_object(dec))
      return tk_err(c, TP_EFORMAT, "tokenizer_config.json",
                    "added_tokens_decoder is not an object");
    for (it = dec ? json_object_iter((json_t *)dec) : NULL; it && st == TP_OK;
         it = json_object_iter_next((json_t *)dec, it)) {
      const char *k = json_object_iter_key(it);
      const json_t *t = json_object_iter_value(it), *content;
      int64_t id;
      tp_string tok;
      char q[64];
      tp_quote_for_message(q, sizeof q, k, json_object_iter_key_len(it));
      if (!parse_id_key(k, json_object_iter_key_len(it), &id))
        return tk_err(c, TP_EFORMAT, "tokenizer_config.json",
                      "added_tokens_decoder: key \"%s\" is not an integer", q);
      content = tk_get(t, "content");
      if (!tk_is_str(content))
        return tk_err(c, TP_EFORMAT, "tokenizer_config.json",
                      "added_tokens_decoder[\"%s\"].content is not a string", q);
      if (id < 0)
        return tk_err(c, TP_EFORMAT, "tokenizer_config.json",
                      "added_tokens_decoder: negative id %lld", (long long)id);
      if ((uint64_t)id >= n) continue; /* the reference warns and skips */
      tok = tk_str(content);
      if (tk_truthy(tk_get(t, "special")) || tk_looks_special(tok)) {
        v.type[id] = TK_CONTROL;
      } else {
        st = unspace(c, tok, &tok);
        v.type[id] = TK_USER_DEFINED;
      }
      v.score[id] = -1000.0f;
      v.tok[id] = tok;
    }
  }
  if (st != TP_OK) return st;
  st = tk_put_str(&c->kv, "tokenizer.ggml.model", "llama", 5);
  if (st == TP_OK) st = tk_put_str(&c->kv, "tokenizer.ggml.pre", "default", 7);
  if (st == TP_OK) st = tk_put_vocab(c, &v, "tokenizer.model");
  if (st == TP_OK) {
    tk_special_args a;
    memset(&a, 0, sizeof a);
    a.has_n_vocab = true;
    a.n_vocab = v.n;
    st = tk_special_vocab(c, &a);
  }
  return st;
}

/* Phi3MiniModel.set_vocab's SentencePiece branch: no special-looking
 * heuristic, no U+2581 replacement, tokenizer.json's added_tokens applied
 * too, and ids past the vocabulary are errors (the reference indexes its
 * list with them). */
tp_status tk_vocab_phi3(tk_ctx *c) {
  static const char *const keys[] = {"vocab_size"};
  tp_spm_model m;
  tk_vocab v;
  size_t n = 0, i;
  tp_status st = parse_model(c, &m);
  if (st != TP_OK) return st;
  st = spm_vocab_size(c, keys, 1, m.n, &n);
  if (st == TP_OK && m.n > n)
    st = tk_err(c, TP_EFORMAT, "tokenizer.model",
                "%zu pieces but config.json vocab_size is %zu", m.n, n);
  if (st == TP_OK) st = tk_vocab_init(c, &v, n, true, -10000.0f);
  for (i = 0; st == TP_OK && i < m.n; i++) {
    v.tok[i] = m.pieces[i].piece;
    v.score[i] = m.pieces[i].score;
    v.type[i] = piece_type(m.pieces[i].type);
  }
  tp_spm_free(&m);
  if (st == TP_OK) st = added_tokens_json(c, &v, true);
  /* tokenizer_config's added_tokens_decoder, then tokenizer.json's
   * added_tokens: USER_DEFINED, CONTROL when special, score -1000 */
  if (st == TP_OK) {
    const json_t *dec = tk_get(c->in->tokenizer_config, "added_tokens_decoder");
    void *it;
    if (dec && !json_is_object(dec))
      return tk_err(c, TP_EFORMAT, "tokenizer_config.json",
                    "added_tokens_decoder is not an object");
    for (it = dec ? json_object_iter((json_t *)dec) : NULL; it;
         it = json_object_iter_next((json_t *)dec, it)) {
      const char *k = json_object_iter_key(it);
      const json_t *t = json_object_iter_value(it), *content = tk_get(t, "content");
      int64_t id;
      char q[64];
      tp_quote_for_message(q, sizeof q, k, json_object_iter_key_len(it));
      if (!parse_id_key(k, json_object_iter_key_len(it), &id) || id < 0 ||
          (uint64_t)id >= n)
        return tk_err(c, TP_EFORMAT, "tokenizer_config.json",
                      "added_tokens_decoder: key \"%s\" is not a token id below "
                      "%zu", q, n);
      if (!tk_is_str(content))
        return tk_err(c, TP_EFORMAT, "tokenizer_config.json",
                      "added_tokens_decoder[\"%s\"].content is not a string", q);
      v.tok[id] = tk_str(content);
      v.score[id] = -1000.0f;
      v.type[id] = tk_truthy(tk_get(t, "special")) ? TK_CONTROL : TK_USER_DEFINED;
    }
  }
  if (st == TP_OK && c->in->tokenizer_json) {
    const json_t *list = tk_get(c->in->tokenizer_json, "added_tokens");
    if (list && !json_is_array(list))
      return tk_err(c, TP_EFORMAT, "tokenizer.json", "added_tokens is not a list");
    for (i = 0; i < json_array_size(list); i++) {
      const json_t *t = json_array_get(list, i), *content = tk_get(t, "content");
      size_t id = 0;
      bool in_range = false;
      char what[48];
      snprintf(what, sizeof what, "added_tokens[%zu]", i);
      st = token_id(c, "tokenizer.json", what, tk_get(t, "id"), n, &id, &in_range);
      if (st != TP_OK) return st;
      if (!in_range)
        return tk_err(c, TP_EFORMAT, "tokenizer.json",
                      "%s: id %zu is past the vocabulary (%zu tokens)", what, id, n);
      if (!tk_is_str(content))
        return tk_err(c, TP_EFORMAT, "tokenizer.json",
                      "%s.content is not a string", what);
      v.tok[id] = tk_str(content);
      v.score[id] = -1000.0f;
      v.type[id] = tk_truthy(tk_get(t, "special")) ? TK_CONTROL : TK_USER_DEFINED;
    }
  }
  if (st != TP_OK) return st;
  st = tk_put_str(&c->kv, "tokenizer.ggml.model", "llama", 5);
  if (st == TP_OK) st = tk_put_str(&c->kv, "tokenizer.ggml.pre", "default", 7);
  if (st == TP_OK) st = tk_put_vocab(c, &v, "tokenizer.model");
  if (st == TP_OK) {
    tk_special_args a;
    memset(&a, 0, sizeof a);
    a.has_n_vocab = true;
    a.n_vocab = v.n;
    st = tk_special_vocab(c, &a);
  }
  return st;
}

/* ---- llama-hf ------------------------------------------------------------------- */

int tk_llama_hf_applies(const tk_ctx *c) {
  const json_t *tj = c->in->tokenizer_json, *model = tk_get(tj, "model");
  const json_t *type = tk_get(model, "type"), *bf = tk_get(model, "byte_fallback");
  const json_t *dec = tk_get(tj, "decoder");
  bool bpe = tk_str_eq(type, "BPE");
  if (!tj) return 2;
  /* is_llama3: BPE, ignore_merges, byte_fallback false (default true) */
  if (bpe && tk_truthy(tk_get(model, "ignore_merges")) && bf && !tk_truthy(bf))
    return 1;
  /* decoder missing or null: the reference's TypeError is caught the same
   * way as FileNotFoundError */
  if (!bpe || !tk_truthy(bf) || !json_is_object(dec) ||
      !tk_str_eq(tk_get(dec, "type"), "Sequence"))
    return 2;
  return 0;
}

/* "<0xXX>" in either case (re.fullmatch(br"<0x[0-9A-Fa-f]{2}>")) */
static bool byte_token(tp_string t) {
  size_t i;
  if (t.len != 6 || memcmp(t.data, "<0x", 3) || t.data[5] != '>') return false;
  for (i = 3; i < 5; i++) {
    char ch = t.data[i];
    if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
          (ch >= 'A' && ch <= 'F')))
      return false;
  }
  return true;
}

/* The ids of tokenizer.all_special_ids: the named special tokens and the
 * extra ones of tokenizer_config, as ids of the view (absent ones skipped). */
static void mark_special(const tk_hf_view *hv, const json_t *e, uint8_t *is_special) {
  tp_string s;
  size_t j;
  if (!tk_special_content(e, &s)) return;
  j = tk_hf_find(hv, s.data, s.len);
  if (j != SIZE_MAX) is_special[hv->ents[j].id] = 1;
}

static void special_ids(tk_ctx *c, const tk_hf_view *hv, uint8_t *is_special) {
  static const char *const names[] = {"bos_token", "eos_token", "unk_token",
                                      "sep_token", "pad_token", "cls_token",
                                      "mask_token"};
  const json_t *tc = c->in->tokenizer_config, *extra = tk_extra_specials(tc);
  size_t i;
  for (i = 0; i < TP_ARRAY_LEN(names); i++)
    mark_special(hv, tk_get(tc, names[i]), is_special);
  if (json_is_array(extra)) {
    for (i = 0; i < json_array_size(extra); i++)
      mark_special(hv, json_array_get(extra, i), is_special);
  } else if (json_is_object(extra)) {
    void *it;
    for (it = json_object_iter((json_t *)extra); it;
         it = json_object_iter_next((json_t *)extra, it))
      mark_special(hv, json_object_iter_value(it), is_special);
  }
}

tp_status tk_vocab_llama_hf(tk_ctx *c) {
  tk_hf_view hv;
  tk_vocab v;
  uint8_t *is_special = NULL;
  size_t base, nadded = 0, i, k;
  int64_t id;
  tp_status st = tk_hf_view_build(c, &hv);
  if (st != TP_OK) return st;
  base = hv.model_size;
  for (i = 0; i < hv.n; i++)
    if (hv.ents[i].added && hv.ents[i].id >= (int64_t)base) nadded++;
  is_special = tp_calloc(hv.id_cap ? hv.id_cap : 1, 1);
  if (!is_special) {
    st = TP_ENOMEM;
    goto done;
  }
  special_ids(c, &hv, is_special);
  st = tk_vocab_init(c, &v, base + nadded, true, -1000.0f);
  if (st != TP_OK) goto done;
  for (i = 0; i < base; i++) {
    int64_t e = (size_t)i < hv.id_cap ? hv.by_id[i] : -1;
    tp_string t;
    if (e < 0) {
      st = tk_err(c, TP_EFORMAT, "tokenizer.json",
                  "model.vocab has no token with id %zu (ids must cover 0..%zu)",
                  i, base - 1);
      goto done;
    }
    t = hv.ents[e].content;
    v.tok[i] = t;
    v.score[i] = -1000.0f;
    v.type[i] = byte_token(t) ? TK_BYTE : is_special[i] ? TK_CONTROL : TK_NORMAL;
  }
  /* added tokens past the base vocabulary, by id; the reference appends
   * them in order, so their ids must follow on without a gap */
  k = base;
  for (id = (int64_t)base; id < (int64_t)hv.id_cap; id++) {
    int64_t e = hv.by_id[id];
    const tk_hf_token *t;
    if (e < 0 || !hv.ents[e].added) continue;
    t = &hv.ents[e];
    if (id != (int64_t)k) {
      char q[256];
      tp_quote_for_message(q, sizeof q, t->content.data, t->content.len);
      st = tk_err(c, TP_EFORMAT, "tokenizer.json",
                  "added token \"%s\" has id %lld but follows id %zu (the "
                  "reference would renumber it)", q, (long long)id, k - 1);
      goto done;
    }
    v.tok[k] = t->content;
    v.score[k] = -1000.0f;
    /* a special token's type comes from its id; others are user-defined */
    v.type[k] = is_special[id] ? TK_CONTROL : TK_USER_DEFINED;
    k++;
  }
  st = tk_put_str(&c->kv, "tokenizer.ggml.model", "llama", 5);
  if (st == TP_OK) st = tk_put_str(&c->kv, "tokenizer.ggml.pre", "default", 7);
  if (st == TP_OK) st = tk_put_vocab(c, &v, "tokenizer.json");
  if (st == TP_OK) {
    tk_special_args a;
    memset(&a, 0, sizeof a);
    a.has_n_vocab = true;
    a.n_vocab = v.n;
    st = tk_special_vocab(c, &a);
  }
done:
  free(is_special);
  tk_hf_view_free(&hv);
  return st;
}
