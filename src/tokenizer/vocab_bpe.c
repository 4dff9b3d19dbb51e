/*
 * vocab_bpe.c - the vocabularies the reference reads through transformers'
 * AutoTokenizer (get_vocab_base): byte-level BPE ("gpt2", _set_vocab_gpt2)
 * and BERT's WordPiece ("bert", BertModel.set_vocab with its phantom-space
 * spelling). Rules: docs/formats/tokenizers.md §3.
 */
#include "tok_internal.h"

/* get_vocab_base: tokens and types for ids 0..vocab_size-1 (vocab_size:
 * config's, else len(tokenizer.vocab)); ids without a token become
 * [PAD<i>] (UNUSED); added tokens are CONTROL when special or special-
 * looking, else USER_DEFINED with U+2581 as a space, after the
 * normalisation of non-normalized ones; the rest NORMAL. */
static tp_status vocab_base(tk_ctx *c, tk_vocab *v, const char **pre, bool bpe) {
  tk_hf_view hv;
  size_t n, i;
  bool present;
  const json_t *vs;
  tp_status st = tk_hf_view_build(c, &hv);
  if (st != TP_OK) return st;
  vs = tk_hparam(c, "vocab_size", &present);
  if (present) {
    int64_t x;
    if (!tk_is_int(vs, &x) || x < 0) {
      st = tk_err(c, TP_EFORMAT, "config.json",
                  "vocab_size is not a non-negative integer");
      goto done;
    }
    if ((uint64_t)x > TK_MAX_VOCAB) {
      st = tk_err(c, TP_ELIMIT, "config.json", "vocab_size %lld (vs at most %u)",
                  (long long)x, TK_MAX_VOCAB);
      goto done;
    }
    n = (size_t)x;
  } else {
    n = hv.n;
  }
  if (hv.max_id >= 0 && (uint64_t)hv.max_id >= n) {
    st = tk_err(c, TP_EFORMAT, present ? "config.json" : "tokenizer.json",
                "the tokenizer has token id %lld but the vocabulary has %zu "
                "ids (config.json vocab_size%s)", (long long)hv.max_id, n,
                present ? "" : " absent: the token count");
    goto done;
  }
  st = tk_pre_name(c, bpe, pre);
  if (st == TP_OK) st = tk_vocab_init(c, v, n, false, 0.0f);
  for (i = 0; st == TP_OK && i < n; i++) {
    int64_t e = i < hv.id_cap ? hv.by_id[i] : -1;
    const tk_hf_token *t;
    tp_string tok;
    if (e < 0) continue; /* [PAD<i>] */
    t = &hv.ents[e];
    tok = t->content;
    if (!t->added) {
      v->tok[i] = tok;
      v->type[i] = TK_NORMAL;
      continue;
    }
    if (!t->normalized) {
      st = tk_hf_roundtrip(c, &hv, tok, &tok);
      if (st != TP_OK) break;
    }
    if (t->special || tk_looks_special(tok)) {
      v->type[i] = TK_CONTROL;
    } else {
      /* pre-normalize user-defined spaces (added for Gemma) */
      size_t j, o = 0;
      char *p = tp_arena_alloc(&c->arena, tok.len + 1);
      if (!p) {
        st = TP_ENOMEM;
        break;
      }
      for (j = 0; j < tok.len;) {
        if (j + 3 <= tok.len && !memcmp(tok.data + j, "\xe2\x96\x81", 3)) {
          p[o++] = ' ';
          j += 3;
        } else {
          p[o++] = tok.data[j++];
        }
      }
      p[o] = 0;
      tok.data = p;
      tok.len = o;
      v->type[i] = TK_USER_DEFINED;
    }
    v->tok[i] = tok;
  }
done:
  tk_hf_view_free(&hv);
  return st;
}

tp_status tk_vocab_gpt2(tk_ctx *c) {
  tk_vocab v;
  const char *pre = NULL;
  tk_special_args a;
  tp_status st = vocab_base(c, &v, &pre, true);
  if (st != TP_OK) return st;
  st = tk_put_str(&c->kv, "tokenizer.ggml.model", "gpt2", 4);
  if (st == TP_OK) st = tk_put_str(&c->kv, "tokenizer.ggml.pre", pre, strlen(pre));
  if (st == TP_OK) st = tk_put_vocab(c, &v, "tokenizer.json");
  if (st != TP_OK) return st;
  memset(&a, 0, sizeof a);
  a.load_merges = true;
  st = tk_special_vocab(c, &a);
  if (st == TP_OK && !tk_stage_find(&c->kv, "tokenizer.ggml.merges"))
    /* the reference only warns; llama.cpp refuses a gpt2 vocabulary
     * without merges, so the file would not load */
    st = tk_err(c, TP_EFORMAT, "tokenizer.json",
                "model.merges is empty and there is no merges.txt (llama.cpp "
                "needs the merges of a BPE vocabulary)");
  return st;
}

tp_status tk_vocab_wordpiece(tk_ctx *c) {
  tk_vocab v;
  const char *pre = NULL;
  tk_special_args a;
  bool present;
  const json_t *tv;
  int64_t types = 1;
  size_t i;
  tp_status st = vocab_base(c, &v, &pre, false);
  if (st != TP_OK) return st;
  tv = tk_hparam(c, "type_vocab_size", &present);
  if (present && (!tk_is_int(tv, &types) || types < 0 || types > (int64_t)UINT32_MAX))
    return tk_err(c, TP_EFORMAT, "config.json",
                  "type_vocab_size is not a UINT32 integer");
  st = tk_put_u32(&c->kv, "tokenizer.ggml.token_type_count", (uint32_t)types);
  /* phantom space: "##x" -> "x", "x" -> U+2581 "x"; control tokens stay */
  for (i = 0; st == TP_OK && i < v.n; i++) {
    tp_string t = v.tok[i];
    char *p;
    if (v.type[i] == TK_CONTROL) continue;
    if (t.len >= 2 && t.data[0] == '#' && t.data[1] == '#') {
      v.tok[i].data = t.data + 2;
      v.tok[i].len = t.len - 2;
      continue;
    }
    p = tp_arena_alloc(&c->arena, t.len + 4);
    if (!p) return TP_ENOMEM;
    memcpy(p, "\xe2\x96\x81", 3);
    memcpy(p + 3, t.data, t.len);
    p[t.len + 3] = 0;
    v.tok[i].data = p;
    v.tok[i].len = t.len + 3;
  }
  if (st == TP_OK) st = tk_put_str(&c->kv, "tokenizer.ggml.model", "bert", 4);
  if (st == TP_OK) st = tk_put_str(&c->kv, "tokenizer.ggml.pre", pre, strlen(pre));
  if (st == TP_OK) st = tk_put_vocab(c, &v, "tokenizer.json");
  if (st != TP_OK) return st;
  memset(&a, 0, sizeof a);
  a.has_n_vocab = true;
  a.n_vocab = v.n;
  return tk_special_vocab(c, &a);
}
