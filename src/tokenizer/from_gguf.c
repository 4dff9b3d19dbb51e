/*
 * from_gguf.c - the way back: tokenizer.* GGUF metadata to tokenizer.json,
 * tokenizer_config.json and special_tokens_map.json.
 *
 * The anchor is transformers' own GGUF loading (integrations/gguf: a BPE
 * model with merges from the file, or derived from the scores, Gemma's
 * respelling, byte-level spelling for GPT-2 vocabularies, control tokens
 * as special added tokens, user-defined ones as plain added tokens). Where
 * that loader and llama.cpp's tokenizer disagree, the files follow llama.cpp
 * (the GGUF's runtime): the SentencePiece space prefix is prepended to every
 * text segment as llama.cpp does, the pre-tokenizer regexes are llama.cpp's
 * for the tokenizer.ggml.pre name, merges are ignored where llama.cpp
 * ignores them, BOS/EOS follow llama.cpp's defaults, and every control,
 * user-defined and unknown token is matched whole in the text. The
 * decisions and their tests are listed in docs/formats/tokenizers.md §6.
 */
#include "tok_internal.h"

#include "../codec/json_out.h"

#include <stdlib.h>

typedef struct rv {
  const tp_metastore *m;
  const char *arch;
  tp_arena arena;
  const tp_string *tok;
  size_t n;
  const int32_t *type;
  const float *score;
  const tp_string *merges;
  size_t nmerges;
  tp_string model, pre;
  /* effective special ids (-1: none) and flags, as llama.cpp sets them */
  int64_t bos, eos, unk, sep, pad, mask;
  bool add_bos, add_eos, add_sep, add_space_prefix;
  int lower, strip; /* -1 absent */
  bool spm, bpe, wpm, gemma, phi3;
  /* per token: llama.cpp strips whitespace left / right of it when it is
   * matched in the text (attributes set by model name, see strip_attrs) */
  uint8_t *lstrip, *rstrip;
} rv;

/* ---- reading the metadata --------------------------------------------------------- */

static const tp_value *get(const rv *r, const char *key) {
  size_t i = tp_meta_find(r->m, key, strlen(key));
  return i == SIZE_MAX ? NULL : &r->m->items[i].val;
}

static tp_status bad_type(const char *key, const tp_value *v, const char *want) {
  return tp_error(TP_EFORMAT, "gguf: %s: type %s%s%s vs %s", key,
                  tp_value_type_name(v->type), v->type == TP_VALUE_ARRAY ? " of " : "",
                  v->type == TP_VALUE_ARRAY ? tp_value_type_name(v->elem_type) : "",
                  want);
}

static tp_status get_str(const rv *r, const char *key, tp_string *out, bool *has) {
  const tp_value *v = get(r, key);
  *has = v != NULL;
  if (!v) return TP_OK;
  if (v->type != TP_VALUE_STRING) return bad_type(key, v, "STRING");
  *out = v->v.s;
  return TP_OK;
}

static tp_status get_bool(const rv *r, const char *key, int *out) {
  const tp_value *v = get(r, key);
  *out = -1;
  if (!v) return TP_OK;
  if (v->type != TP_VALUE_BOOL) return bad_type(key, v, "BOOL");
  *out = v->v.u != 0;
  return TP_OK;
}

/* a token id key: any unsigned or non-negative integer type; -1 when absent
 * or not a token of the vocabulary (llama.cpp ignores those) */
static tp_status get_id(const rv *r, const char *key, int64_t dflt, int64_t *out) {
  const tp_value *v = get(r, key);
  uint64_t x;
  *out = dflt >= 0 && (uint64_t)dflt < r->n ? dflt : -1;
  if (!v) return TP_OK;
  switch (v->type) {
  case TP_VALUE_U8: case TP_VALUE_U16: case TP_VALUE_U32: case TP_VALUE_U64:
    x = v->v.u;
    break;
  case TP_VALUE_I8: case TP_VALUE_I16: case TP_VALUE_I32: case TP_VALUE_I64:
    if (v->v.i < 0) return TP_OK;
    x = (uint64_t)v->v.i;
    break;
  default:
    return bad_type(key, v, "UINT32");
  }
  if (x < r->n) *out = (int64_t)x;
  return TP_OK;
}

static tp_status get_strings(const rv *r, const char *key, const tp_string **a,
                             size_t *n) {
  const tp_value *v = get(r, key);
  *a = NULL;
  *n = 0;
  if (!v) return TP_OK;
  if (v->type != TP_VALUE_ARRAY || v->elem_type != TP_VALUE_STRING)
    return bad_type(key, v, "ARRAY of STRING");
  *a = (const tp_string *)v->v.array;
  *n = (size_t)v->count;
  return TP_OK;
}

static bool name_in(const tp_string s, const char *const *names, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (s.len == strlen(names[i]) && !memcmp(s.data, names[i], s.len)) return true;
  return false;
}

static tp_status load(rv *r) {
  const tp_value *v;
  tp_status st;
  bool has;
  int b;
  static const char *const bos_pres[] = {
      "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral",
      "midm-2.0", "lfm2", "jina-v5-nano", "tekken", "chameleon"};
  static const char *const sep_pres[] = {"jina-v1-en", "jina-v2-code",
                                         "roberta-bpe"};

  st = get_str(r, "tokenizer.ggml.model", &r->model, &has);
  if (st != TP_OK) return st;
  if (!has) return tp_error(TP_ENOTFOUND, "gguf: no tokenizer.ggml.model");
  r->spm = r->model.len == 5 && !memcmp(r->model.data, "llama", 5);
  r->bpe = r->model.len == 4 && !memcmp(r->model.data, "gpt2", 4);
  r->wpm = r->model.len == 4 && !memcmp(r->model.data, "bert", 4);
  if (!r->spm && !r->bpe && !r->wpm) {
    char q[128];
    tp_quote_for_message(q, sizeof q, r->model.data, r->model.len);
    return tp_error(TP_EUNSUPPORTED,
                    "gguf: tokenizer.ggml.model \"%s\" has no Hugging Face "
                    "tokenizer here (llama, gpt2 and bert do)", q);
  }
  r->gemma = r->arch && (!strcmp(r->arch, "gemma") || !strcmp(r->arch, "gemma2") ||
                         !strcmp(r->arch, "gemma3"));
  r->phi3 = r->arch && !strcmp(r->arch, "phi3");
  st = get_str(r, "tokenizer.ggml.pre", &r->pre, &has);
  if (st != TP_OK) return st;
  if (!has) r->pre.data = "", r->pre.len = 0;
  st = get_strings(r, "tokenizer.ggml.tokens", &r->tok, &r->n);
  if (st != TP_OK) return st;
  if (!r->tok) return tp_error(TP_EFORMAT, "gguf: no tokenizer.ggml.tokens");
  if (r->n > TK_MAX_VOCAB)
    return tp_error(TP_ELIMIT, "gguf: tokenizer.ggml.tokens: %zu tokens (vs at "
                    "most %u)", r->n, TK_MAX_VOCAB);
  v = get(r, "tokenizer.ggml.token_type");
  if (v) {
    if (v->type != TP_VALUE_ARRAY || v->elem_type != TP_VALUE_I32)
      return bad_type("tokenizer.ggml.token_type", v, "ARRAY of INT32");
    if (v->count != r->n)
      return tp_error(TP_EFORMAT, "gguf: tokenizer.ggml.token_type: %llu "
                      "entries vs %zu tokens", (unsigned long long)v->count, r->n);
    r->type = (const int32_t *)v->v.array;
  }
  v = get(r, "tokenizer.ggml.scores");
  if (v) {
    if (v->type != TP_VALUE_ARRAY || v->elem_type != TP_VALUE_F32)
      return bad_type("tokenizer.ggml.scores", v, "ARRAY of FLOAT32");
    if (v->count != r->n)
      return tp_error(TP_EFORMAT, "gguf: tokenizer.ggml.scores: %llu entries "
                      "vs %zu tokens", (unsigned long long)v->count, r->n);
    r->score = (const float *)v->v.array;
  }
  st = get_strings(r, "tokenizer.ggml.merges", &r->merges, &r->nmerges);
  if (st != TP_OK) return st;
  if (r->bpe && !r->merges)
    return tp_error(TP_EFORMAT, "gguf: a gpt2 vocabulary without "
                    "tokenizer.ggml.merges (llama.cpp refuses it too)");
  /* llama.cpp's defaults per vocabulary type, then the keys */
  if (r->spm) {
    st = get_id(r, "tokenizer.ggml.bos_token_id", 1, &r->bos);
    if (st == TP_OK) st = get_id(r, "tokenizer.ggml.eos_token_id", 2, &r->eos);
    if (st == TP_OK) st = get_id(r, "tokenizer.ggml.unknown_token_id", 0, &r->unk);
    if (st == TP_OK) st = get_id(r, "tokenizer.ggml.seperator_token_id", -1, &r->sep);
    if (st == TP_OK) st = get_id(r, "tokenizer.ggml.padding_token_id", -1, &r->pad);
    if (st == TP_OK) st = get_id(r, "tokenizer.ggml.mask_token_id", -1, &r->mask);
    r->add_bos = true;
    r->add_eos = false;
    r->add_sep = false;
  } else if (r->wpm) {
    st = get_id(r, "tokenizer.ggml.bos_token_id", 101, &r->bos);
    if (st == TP_OK) st = get_id(r, "tokenizer.ggml.eos_token_id", -1, &r->eos);
    if (st == TP_OK) st = get_id(r, "tokenizer.ggml.unknown_token_id", 100, &r->unk);
    if (st == TP_OK) st = get_id(r, "tokenizer.ggml.seperator_token_id", 102, &r->sep);
    if (st == TP_OK) st = get_id(r, "tokenizer.ggml.padding_token_id", 0, &r->pad);
    if (st == TP_OK) st = get_id(r, "tokenizer.ggml.mask_token_id", 103, &r->mask);
    r->add_bos = true;
    r->add_eos = false;
    r->add_sep = true;
  } else {
    st = get_id(r, "tokenizer.ggml.bos_token_id", 11, &r->bos);
    if (st == TP_OK) st = get_id(r, "tokenizer.ggml.eos_token_id", 11, &r->eos);
    if (st == TP_OK) st = get_id(r, "tokenizer.ggml.unknown_token_id", -1, &r->unk);
    if (st == TP_OK) st = get_id(r, "tokenizer.ggml.seperator_token_id", -1, &r->sep);
    if (st == TP_OK) st = get_id(r, "tokenizer.ggml.padding_token_id", -1, &r->pad);
    if (st == TP_OK) st = get_id(r, "tokenizer.ggml.mask_token_id", -1, &r->mask);
    r->add_bos = name_in(r->pre, bos_pres, TP_ARRAY_LEN(bos_pres));
    r->add_eos = false;
    r->add_sep = name_in(r->pre, sep_pres, TP_ARRAY_LEN(sep_pres));
  }
  if (st != TP_OK) return st;
  if ((st = get_bool(r, "tokenizer.ggml.add_bos_token", &b)) != TP_OK) return st;
  if (b >= 0) r->add_bos = b;
  if ((st = get_bool(r, "tokenizer.ggml.add_eos_token", &b)) != TP_OK) return st;
  if (b >= 0) r->add_eos = b;
  if ((st = get_bool(r, "tokenizer.ggml.add_sep_token", &b)) != TP_OK) return st;
  if (b >= 0) r->add_sep = b;
  /* the space prefix: SentencePiece only (llama.cpp turns it off for BPE
   * and WordPiece) */
  r->add_space_prefix = r->spm;
  if ((st = get_bool(r, "tokenizer.ggml.add_space_prefix", &b)) != TP_OK) return st;
  if (b >= 0 && r->spm) r->add_space_prefix = b;
  if ((st = get_bool(r, "tokenizer.ggml.normalizer.lowercase", &r->lower)) != TP_OK)
    return st;
  if ((st = get_bool(r, "tokenizer.ggml.normalizer.strip_accents", &r->strip)) != TP_OK)
    return st;
  if (r->add_bos && r->bos < 0)
    return tp_error(TP_EFORMAT, "gguf: add_bos_token without a BOS token in "
                    "the vocabulary (llama.cpp asserts on it)");
  if (r->add_eos && r->eos < 0)
    return tp_error(TP_EFORMAT, "gguf: add_eos_token without an EOS token in "
                    "the vocabulary (llama.cpp asserts on it)");
  if (r->wpm && r->add_sep && r->sep < 0)
    return tp_error(TP_EFORMAT, "gguf: a bert vocabulary without a separator "
                    "token (llama.cpp asserts on it)");
  return TP_OK;
}

static int32_t ttype(const rv *r, size_t i) {
  return r->type ? r->type[i] : TK_NORMAL;
}

static bool matched_whole(const rv *r, size_t i) {
  int32_t t = ttype(r, i);
  return t == TK_CONTROL || t == TK_USER_DEFINED || t == TK_UNKNOWN;
}

static bool contains(tp_string hay, const char *needle) {
  size_t n = strlen(needle), i;
  for (i = 0; n <= hay.len && i + n <= hay.len; i++)
    if (!memcmp(hay.data + i, needle, n)) return true;
  return false;
}

static size_t find_token(const rv *r, const char *text) {
  size_t i, n = strlen(text);
  for (i = 0; i < r->n; i++)
    if (r->tok[i].len == n && !memcmp(r->tok[i].data, text, n)) return i;
  return SIZE_MAX;
}

/* llama_vocab's "set attributes by model/tokenizer/architecture name": the
 * jina-v2 pre-tokenizers (and nomic-bert-moe, jina-bert-v3) strip spaces
 * left of <mask>; a general.name with "phi-3" or "phi3" strips spaces right
 * of every control, user-defined and unknown token and of </s>, except
 * <unk>, <s> and <|endoftext|>; "modern-bert" strips left of [MASK]. */
static tp_status strip_attrs(rv *r) {
  tp_string name = {"", 0}, arch = {"", 0}, raw;
  char *lower;
  size_t i;
  bool has;
  tp_status st = get_str(r, "general.name", &raw, &has);
  if (st != TP_OK) return st;
  lower = tp_arena_alloc(&r->arena, (has ? raw.len : 0) + 1);
  r->lstrip = tp_arena_alloc(&r->arena, r->n ? r->n : 1);
  r->rstrip = tp_arena_alloc(&r->arena, r->n ? r->n : 1);
  if (!lower || !r->lstrip || !r->rstrip) return TP_ENOMEM;
  memset(r->lstrip, 0, r->n ? r->n : 1);
  memset(r->rstrip, 0, r->n ? r->n : 1);
  for (i = 0; has && i < raw.len; i++)
    lower[i] = (char)(raw.data[i] >= 'A' && raw.data[i] <= 'Z' ? raw.data[i] + 32 : raw.data[i]);
  name.data = lower;
  name.len = has ? raw.len : 0;
  st = get_str(r, "general.architecture", &arch, &has);
  if (st != TP_OK) return st;
  if (!has && r->arch) arch.data = r->arch, arch.len = strlen(r->arch);
  if (contains(r->pre, "jina-v2-de") || contains(r->pre, "jina-v2-es") ||
      contains(r->pre, "jina-v2-code") || contains(arch, "nomic-bert-moe") ||
      contains(arch, "jina-bert-v3")) {
    if ((i = find_token(r, "<mask>")) != SIZE_MAX) r->lstrip[i] = 1;
  } else if (contains(name, "phi-3") || contains(name, "phi3")) {
    static const char *const keep[] = {"<unk>", "<s>", "<|endoftext|>"};
    for (i = 0; i < r->n; i++)
      if (matched_whole(r, i)) r->rstrip[i] = 1;
    if ((i = find_token(r, "</s>")) != SIZE_MAX) r->rstrip[i] = 1;
    for (i = 0; i < TP_ARRAY_LEN(keep); i++) {
      size_t j = find_token(r, keep[i]);
      if (j != SIZE_MAX) r->rstrip[j] = 0;
    }
  } else if (contains(name, "modern-bert")) {
    if ((i = find_token(r, "[MASK]")) != SIZE_MAX) r->lstrip[i] = 1;
  }
  return TP_OK;
}

/* ---- token spellings ---------------------------------------------------------------- */

/* Python's str.isspace for one code point (str.strip's set) */
static bool py_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) ||
         cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* code points of s, or SIZE_MAX when s is not UTF-8 */
static size_t cp_count(tp_string s, bool *all_space) {
  size_t i = 0, n = 0;
  *all_space = true;
  while (i < s.len) {
    uint32_t cp;
    size_t l = tp_utf8_decode((const unsigned char *)s.data + i, s.len - i, &cp);
    if (!l) return SIZE_MAX;
    if (!py_space(cp)) *all_space = false;
    i += l;
    n++;
  }
  return n;
}

/* The spelling of token i in tokenizer.json's vocabulary. */
static tp_status spell(rv *r, size_t i, tp_string *out) {
  tp_string t = r->tok[i];
  int32_t ty = ttype(r, i);
  *out = t;
  if (r->spm && r->gemma && !matched_whole(r, i)) {
    /* Gemma stores runs of spaces as real spaces; GemmaTokenizer looks
     * them up as U+2581 runs: a whitespace-only token with a space becomes
     * that many U+2581. The user-defined ones (all of them in Gemma's
     * files) keep their spaces instead: they are added tokens matched in
     * the raw text, as llama.cpp matches them. */
    bool all_space, has_space = memchr(t.data, ' ', t.len) != NULL;
    size_t n = cp_count(t, &all_space), k;
    char *p;
    if (!has_space || !all_space || n == SIZE_MAX) return TP_OK;
    p = tp_arena_alloc(&r->arena, 3 * n + 1);
    if (!p) return TP_ENOMEM;
    for (k = 0; k < n; k++) memcpy(p + 3 * k, "\xe2\x96\x81", 3);
    p[3 * n] = 0;
    out->data = p;
    out->len = 3 * n;
    return TP_OK;
  }
  if (r->bpe) {
    /* byte-level: a token outside the alphabet is spelled from its bytes,
     * except the tokens matched whole in the text (control, user-defined,
     * unknown), which keep their text */
    size_t k = 0, o = 0;
    char *p;
    bool in_alphabet = true;
    if (ty == TK_CONTROL || ty == TK_USER_DEFINED || ty == TK_UNKNOWN) return TP_OK;
    while (k < t.len) {
      uint32_t cp;
      size_t l = tp_utf8_decode((const unsigned char *)t.data + k, t.len - k, &cp);
      if (!l || tk_cp_byte(cp) < 0) {
        in_alphabet = false;
        break;
      }
      k += l;
    }
    if (in_alphabet) return TP_OK;
    p = tp_arena_alloc(&r->arena, 2 * t.len + 1);
    if (!p) return TP_ENOMEM;
    for (k = 0; k < t.len; k++) o += tk_utf8_put(tk_byte_cp((uint8_t)t.data[k]), p + o);
    p[o] = 0;
    out->data = p;
    out->len = o;
    return TP_OK;
  }
  if (r->wpm) {
    /* the phantom space back: U+2581 "x" -> "x", "x" -> "##x". Tokens
     * matched whole keep the GGUF text: llama.cpp looks a user-defined
     * token up with its phantom space in the raw text, so must we */
    char *p;
    if (ty == TK_CONTROL || ty == TK_USER_DEFINED || ty == TK_UNKNOWN) return TP_OK;
    if (t.len >= 3 && !memcmp(t.data, "\xe2\x96\x81", 3)) {
      out->data = t.data + 3;
      out->len = t.len - 3;
      return TP_OK;
    }
    p = tp_arena_alloc(&r->arena, t.len + 3);
    if (!p) return TP_ENOMEM;
    memcpy(p, "##", 2);
    memcpy(p + 2, t.data, t.len);
    p[t.len + 2] = 0;
    out->data = p;
    out->len = t.len + 2;
  }
  return TP_OK;
}

/* ---- merges derived from scores (transformers' generate_merges) ------------------- */

typedef struct uniq {
  tp_string s;
  int64_t id; /* the last index with this spelling (a dict keeps the last) */
  double score;
  size_t ncp;
} uniq;

typedef struct umap {
  uniq *u;
  size_t n;
  tp_strmap map;
} umap;

static tp_string ukey(const void *ctx, size_t i) {
  return ((const umap *)ctx)->u[i].s;
}

typedef struct mcand {
  size_t l, r; /* indices in umap */
  double score;
  size_t lcp, rcp;
  size_t seq;
} mcand;

static int cmp_mcand(const void *a, const void *b) {
  const mcand *x = a, *y = b;
  /* sorted(..., key=(score, len(l), len(r)), reverse=True): descending,
   * equal keys keep their order */
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  if (x->lcp != y->lcp) return x->lcp > y->lcp ? -1 : 1;
  if (x->rcp != y->rcp) return x->rcp > y->rcp ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

typedef struct merge_out {
  tp_string l, r;
} merge_out;

static tp_status generate_merges(rv *r, const tp_string *sp, merge_out **out,
                                 size_t *nout) {
  umap um;
  mcand *c = NULL;
  size_t cap = 0, nc = 0, i;
  tp_status st = TP_OK;
  memset(&um, 0, sizeof um);
  tp_strmap_init(&um.map);
  *out = NULL;
  *nout = 0;
  um.u = tp_malloc((r->n ? r->n : 1) * sizeof *um.u);
  if (!um.u) return TP_ENOMEM;
  for (i = 0; i < r->n && st == TP_OK; i++) {
    size_t j = tp_strmap_find(&um.map, sp[i].data, sp[i].len, ukey, &um);
    /* Gemma's scores do not follow its merge order; the file's order does */
    double score = r->gemma ? -(double)i : r->score ? (double)r->score[i] : 0.0;
    bool dummy;
    if (j == SIZE_MAX) {
      j = um.n++;
      um.u[j].s = sp[i];
      um.u[j].ncp = cp_count(sp[i], &dummy);
      st = tp_strmap_insert(&um.map, j, ukey, &um);
    }
    um.u[j].id = (int64_t)i;
    um.u[j].score = score;
  }
  for (i = 0; i < um.n && st == TP_OK; i++) {
    const uniq *u = &um.u[i];
    size_t k = 0, start = nc;
    size_t ncp = 0;
    if (u->ncp == SIZE_MAX || u->ncp < 2) continue;
    /* every split at a code-point boundary into two known tokens */
    while (k < u->s.len) {
      uint32_t cp;
      size_t l = tp_utf8_decode((const unsigned char *)u->s.data + k, u->s.len - k, &cp);
      size_t li, ri;
      k += l;
      ncp++;
      if (k >= u->s.len) break;
      li = tp_strmap_find(&um.map, u->s.data, k, ukey, &um);
      if (li == SIZE_MAX) continue;
      ri = tp_strmap_find(&um.map, u->s.data + k, u->s.len - k, ukey, &um);
      if (ri == SIZE_MAX) continue;
      st = tp_grow((void **)&c, &cap, nc + 1, sizeof *c);
      if (st != TP_OK) break;
      c[nc].l = li;
      c[nc].r = ri;
      c[nc].score = u->score;
      c[nc].lcp = ncp;
      c[nc].rcp = u->ncp - ncp;
      nc++;
    }
    /* local order: by (vocab[l], vocab[r]); few entries, insertion sort */
    {
      size_t a, b;
      for (a = start + 1; a < nc; a++) {
        mcand t = c[a];
        for (b = a; b > start; b--) {
          const mcand *p = &c[b - 1];
          int64_t pl = um.u[p->l].id, tl = um.u[t.l].id;
          if (pl < tl || (pl == tl && um.u[p->r].id <= um.u[t.r].id)) break;
          c[b] = c[b - 1];
        }
        c[b] = t;
      }
    }
  }
  for (i = 0; i < nc; i++) c[i].seq = i;
  if (st == TP_OK && nc) qsort(c, nc, sizeof *c, cmp_mcand);
  if (st == TP_OK && nc) {
    *out = tp_arena_alloc(&r->arena, nc * sizeof **out);
    if (!*out) st = TP_ENOMEM;
    for (i = 0; st == TP_OK && i < nc; i++) {
      (*out)[i].l = um.u[c[i].l].s;
      (*out)[i].r = um.u[c[i].r].s;
    }
    if (st == TP_OK) *nout = nc;
  }
  free(c);
  free(um.u);
  tp_strmap_free(&um.map);
  return st;
}

/* The merges of the file, split where llama.cpp splits them (the first
 * space after the first byte). */
static tp_status file_merges(rv *r, merge_out **out, size_t *nout) {
  size_t i;
  *out = tp_arena_alloc(&r->arena, (r->nmerges ? r->nmerges : 1) * sizeof **out);
  if (!*out) return TP_ENOMEM;
  for (i = 0; i < r->nmerges; i++) {
    tp_string m = r->merges[i];
    const char *sp = m.len > 1 ? memchr(m.data + 1, ' ', m.len - 1) : NULL;
    if (!sp)
      return tp_error(TP_EFORMAT, "gguf: tokenizer.ggml.merges[%zu] has no "
                      "space separating two tokens", i);
    (*out)[i].l.data = m.data;
    (*out)[i].l.len = (size_t)(sp - m.data);
    (*out)[i].r.data = sp + 1;
    (*out)[i].r.len = m.len - (size_t)(sp - m.data) - 1;
  }
  *nout = r->nmerges;
  return TP_OK;
}

/* ---- rendering ----------------------------------------------------------------------- */

static void jstr(tp_jsonw *w, tp_string s) { tp_jsonw_string(w, s.data, s.len); }

static void kv_str(tp_jsonw *w, const char *k, const char *v) {
  tp_jsonw_key(w, k, strlen(k));
  tp_jsonw_cstring(w, v);
}

static void kv_bool(tp_jsonw *w, const char *k, bool v) {
  tp_jsonw_key(w, k, strlen(k));
  tp_jsonw_bool(w, v);
}

static void kv_null(tp_jsonw *w, const char *k) {
  tp_jsonw_key(w, k, strlen(k));
  tp_jsonw_null(w);
}

static void put_added(tp_jsonw *w, const rv *r, const tp_string *sp) {
  size_t i;
  tp_jsonw_key(w, "added_tokens", 12);
  tp_jsonw_begin_array(w);
  for (i = 0; i < r->n; i++) {
    if (!matched_whole(r, i)) continue;
    tp_jsonw_begin_object(w);
    tp_jsonw_key(w, "id", 2);
    tp_jsonw_u64(w, i);
    tp_jsonw_key(w, "content", 7);
    jstr(w, sp[i]);
    kv_bool(w, "single_word", false);
    kv_bool(w, "lstrip", r->lstrip[i] != 0);
    kv_bool(w, "rstrip", r->rstrip[i] != 0);
    kv_bool(w, "normalized", false);
    kv_bool(w, "special", ttype(r, i) != TK_USER_DEFINED);
    tp_jsonw_end_object(w);
  }
  tp_jsonw_end_array(w);
}

static void put_split(tp_jsonw *w, const char *re) {
  tp_jsonw_begin_object(w);
  kv_str(w, "type", "Split");
  tp_jsonw_key(w, "pattern", 7);
  tp_jsonw_begin_object(w);
  kv_str(w, "Regex", re);
  tp_jsonw_end_object(w);
  kv_str(w, "behavior", "Isolated");
  kv_bool(w, "invert", false);
  tp_jsonw_end_object(w);
}

static void put_bytelevel(tp_jsonw *w, bool aps, bool use_regex) {
  tp_jsonw_begin_object(w);
  kv_str(w, "type", "ByteLevel");
  kv_bool(w, "add_prefix_space", aps);
  kv_bool(w, "trim_offsets", true);
  kv_bool(w, "use_regex", use_regex);
  tp_jsonw_end_object(w);
}

/* the pre-tokenizer of a gpt2 vocabulary: llama.cpp's regexes for its name */
static tp_status put_bpe_pre(tp_jsonw *w, const rv *r) {
  const char *const *re;
  size_t n, i;
  int family = tk_pre_family(r->pre.data, r->pre.len, &re, &n);
  if (family < 0) {
    char q[128];
    tp_quote_for_message(q, sizeof q, r->pre.data, r->pre.len);
    return tp_error(TP_EUNSUPPORTED,
                    "gguf: tokenizer.ggml.pre \"%s\": no Hugging Face "
                    "pre-tokenizer is known for it (see "
                    "docs/formats/tokenizers.md)", q);
  }
  tp_jsonw_key(w, "pre_tokenizer", 13);
  if (family == TK_PRE_GPT2) {
    put_bytelevel(w, false, true);
    return TP_OK;
  }
  tp_jsonw_begin_object(w);
  kv_str(w, "type", "Sequence");
  tp_jsonw_key(w, "pretokenizers", 13);
  tp_jsonw_begin_array(w);
  if (family == TK_PRE_DIGITS_GPT2) {
    tp_jsonw_begin_object(w);
    kv_str(w, "type", "Digits");
    kv_bool(w, "individual_digits", true);
    tp_jsonw_end_object(w);
    put_bytelevel(w, false, true);
  } else {
    for (i = 0; i < n; i++) put_split(w, re[i]);
    put_bytelevel(w, false, false);
  }
  tp_jsonw_end_array(w);
  tp_jsonw_end_object(w);
  return TP_OK;
}

static void put_special_ref(tp_jsonw *w, const char *seq, unsigned type_id) {
  tp_jsonw_begin_object(w);
  tp_jsonw_key(w, "Sequence", 8);
  tp_jsonw_begin_object(w);
  kv_str(w, "id", seq);
  tp_jsonw_key(w, "type_id", 7);
  tp_jsonw_u64(w, type_id);
  tp_jsonw_end_object(w);
  tp_jsonw_end_object(w);
}

static void put_special_tok(tp_jsonw *w, tp_string tok, unsigned type_id) {
  tp_jsonw_begin_object(w);
  tp_jsonw_key(w, "SpecialToken", 12);
  tp_jsonw_begin_object(w);
  tp_jsonw_key(w, "id", 2);
  jstr(w, tok);
  tp_jsonw_key(w, "type_id", 7);
  tp_jsonw_u64(w, type_id);
  tp_jsonw_end_object(w);
  tp_jsonw_end_object(w);
}

/* TemplateProcessing: [first] $A [last], and for pairs [first] $A [last]
 * [first2] $B:1 [last]:1 (BERT: [CLS] $A [SEP] $B:1 [SEP]:1) */
static void put_post(tp_jsonw *w, const rv *r, const tp_string *sp) {
  /* llama.cpp's WordPiece tokenizer adds [CLS] and [SEP] whatever the
   * add_* flags say */
  int64_t first = r->add_bos || r->wpm ? r->bos : -1;
  int64_t last = r->wpm ? r->sep : (r->add_eos ? r->eos : -1);
  int64_t used[2];
  size_t nused = 0, k, pass;
  tp_jsonw_key(w, "post_processor", 14);
  tp_jsonw_begin_object(w);
  kv_str(w, "type", "TemplateProcessing");
  for (pass = 0; pass < 2; pass++) {
    tp_jsonw_key(w, pass ? "pair" : "single", pass ? 4 : 6);
    tp_jsonw_begin_array(w);
    if (first >= 0) put_special_tok(w, sp[first], 0);
    put_special_ref(w, "A", 0);
    if (last >= 0) put_special_tok(w, sp[last], 0);
    if (pass) {
      /* BERT pairs have no second [CLS]; others repeat BOS (transformers) */
      if (first >= 0 && !r->wpm) put_special_tok(w, sp[first], 1);
      put_special_ref(w, "B", 1);
      if (last >= 0) put_special_tok(w, sp[last], 1);
    }
    tp_jsonw_end_array(w);
  }
  if (first >= 0) used[nused++] = first;
  if (last >= 0 && last != first) used[nused++] = last;
  tp_jsonw_key(w, "special_tokens", 14);
  tp_jsonw_begin_object(w);
  for (k = 0; k < nused; k++) {
    tp_string t = sp[used[k]];
    tp_jsonw_key(w, t.data, t.len);
    tp_jsonw_begin_object(w);
    tp_jsonw_key(w, "id", 2);
    jstr(w, t);
    tp_jsonw_key(w, "ids", 3);
    tp_jsonw_begin_array(w);
    tp_jsonw_u64(w, (uint64_t)used[k]);
    tp_jsonw_end_array(w);
    tp_jsonw_key(w, "tokens", 6);
    tp_jsonw_begin_array(w);
    jstr(w, t);
    tp_jsonw_end_array(w);
    tp_jsonw_end_object(w);
  }
  tp_jsonw_end_object(w);
  tp_jsonw_end_object(w);
}

static void put_vocab(tp_jsonw *w, const rv *r, const tp_string *sp,
                      const size_t *keep, size_t nkeep) {
  size_t i;
  tp_jsonw_key(w, "vocab", 5);
  tp_jsonw_begin_object(w);
  for (i = 0; i < nkeep; i++) {
    size_t id = keep[i];
    tp_jsonw_key(w, sp[id].data, sp[id].len);
    tp_jsonw_u64(w, id);
  }
  tp_jsonw_end_object(w);
  (void)r;
}

static tp_string spk(const void *ctx, size_t i) {
  return ((const tp_string *)ctx)[i];
}

/* The ids whose spelling is not repeated later (a dict keeps the last id
 * of a repeated key), in id order. */
static tp_status unique_ids(rv *r, const tp_string *sp, size_t **keep,
                            size_t *nkeep) {
  tp_strmap map;
  size_t *last, i;
  tp_status st = TP_OK;
  tp_strmap_init(&map);
  last = tp_malloc((r->n ? r->n : 1) * sizeof *last);
  *keep = tp_arena_alloc(&r->arena, (r->n ? r->n : 1) * sizeof **keep);
  *nkeep = 0;
  if (!last || !*keep) {
    free(last);
    return TP_ENOMEM;
  }
  /* last[first id of a spelling] = its last id; SIZE_MAX elsewhere */
  for (i = 0; i < r->n && st == TP_OK; i++) {
    size_t j = tp_strmap_find(&map, sp[i].data, sp[i].len, spk, sp);
    last[i] = SIZE_MAX;
    if (j == SIZE_MAX) {
      st = tp_strmap_insert(&map, i, spk, sp);
      last[i] = i;
    } else {
      last[j] = i;
    }
  }
  tp_strmap_free(&map);
  if (st != TP_OK) {
    free(last);
    return st;
  }
  /* mark the kept ids in place: reuse last[] as a flag array */
  {
    uint8_t *mark = tp_calloc(r->n ? r->n : 1, 1);
    if (!mark) {
      free(last);
      return TP_ENOMEM;
    }
    for (i = 0; i < r->n; i++)
      if (last[i] != SIZE_MAX) mark[last[i]] = 1;
    for (i = 0; i < r->n; i++)
      if (mark[i]) (*keep)[(*nkeep)++] = i;
    free(mark);
  }
  free(last);
  return TP_OK;
}

static tp_status render_tokenizer_json(rv *r, const tp_string *sp, char **out,
                                       size_t *len) {
  tp_textbuf b;
  tp_jsonw w;
  merge_out *mg = NULL;
  size_t nmg = 0, i, *keep, nkeep;
  tp_status st;
  static const char *const ignore_merges_pres[] = {
      "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral",
      "midm-2.0", "lfm2", "jina-v5-nano", "tekken", "youtu", "minicpm5",
      "glm4", "glm5"};

  st = unique_ids(r, sp, &keep, &nkeep);
  if (st != TP_OK) return st;
  if (r->spm) {
    st = r->merges ? file_merges(r, &mg, &nmg) : generate_merges(r, sp, &mg, &nmg);
  } else if (r->bpe) {
    st = file_merges(r, &mg, &nmg);
  }
  if (st != TP_OK) return st;

  tp_textbuf_init(&b);
  tp_jsonw_init(&w, &b, 2, TP_JSON_SERDE);
  tp_jsonw_begin_object(&w);
  kv_str(&w, "version", "1.0");
  kv_null(&w, "truncation");
  kv_null(&w, "padding");
  put_added(&w, r, sp);

  /* normalizer and pre-tokenizer */
  if (r->spm) {
    if (r->add_space_prefix) {
      /* llama.cpp prepends the space to every text segment, even one that
       * starts with a space */
      tp_jsonw_key(&w, "normalizer", 10);
      tp_jsonw_begin_object(&w);
      kv_str(&w, "type", "Sequence");
      tp_jsonw_key(&w, "normalizers", 11);
      tp_jsonw_begin_array(&w);
      tp_jsonw_begin_object(&w);
      kv_str(&w, "type", "Prepend");
      kv_str(&w, "prepend", "\xe2\x96\x81");
      tp_jsonw_end_object(&w);
      tp_jsonw_begin_object(&w);
      kv_str(&w, "type", "Replace");
      tp_jsonw_key(&w, "pattern", 7);
      tp_jsonw_begin_object(&w);
      kv_str(&w, "String", " ");
      tp_jsonw_end_object(&w);
      kv_str(&w, "content", "\xe2\x96\x81");
      tp_jsonw_end_object(&w);
      tp_jsonw_end_array(&w);
      tp_jsonw_end_object(&w);
    } else {
      tp_jsonw_key(&w, "normalizer", 10);
      tp_jsonw_begin_object(&w);
      kv_str(&w, "type", "Replace");
      tp_jsonw_key(&w, "pattern", 7);
      tp_jsonw_begin_object(&w);
      kv_str(&w, "String", " ");
      tp_jsonw_end_object(&w);
      kv_str(&w, "content", "\xe2\x96\x81");
      tp_jsonw_end_object(&w);
    }
    kv_null(&w, "pre_tokenizer");
  } else if (r->bpe) {
    kv_null(&w, "normalizer");
    st = put_bpe_pre(&w, r);
  } else {
    /* llama.cpp: lowercase unless the key says otherwise, strip accents
     * as lowercase unless its own key says otherwise; it strips every mark
     * (\p{M}, after NFD) where BertNormalizer strips only non-spacing ones,
     * so the stripping is spelled out */
    bool lower = r->lower != 0;
    bool strip = r->strip >= 0 ? r->strip != 0 : lower;
    tp_jsonw_key(&w, "normalizer", 10);
    if (strip) {
      tp_jsonw_begin_object(&w);
      kv_str(&w, "type", "Sequence");
      tp_jsonw_key(&w, "normalizers", 11);
      tp_jsonw_begin_array(&w);
    }
    tp_jsonw_begin_object(&w);
    kv_str(&w, "type", "BertNormalizer");
    kv_bool(&w, "clean_text", true);
    kv_bool(&w, "handle_chinese_chars", true);
    kv_bool(&w, "strip_accents", false);
    kv_bool(&w, "lowercase", lower);
    tp_jsonw_end_object(&w);
    if (strip) {
      tp_jsonw_begin_object(&w);
      kv_str(&w, "type", "NFD");
      tp_jsonw_end_object(&w);
      tp_jsonw_begin_object(&w);
      kv_str(&w, "type", "Replace");
      tp_jsonw_key(&w, "pattern", 7);
      tp_jsonw_begin_object(&w);
      kv_str(&w, "Regex", "\\p{M}");
      tp_jsonw_end_object(&w);
      kv_str(&w, "content", "");
      tp_jsonw_end_object(&w);
      tp_jsonw_end_array(&w);
      tp_jsonw_end_object(&w);
    }
    tp_jsonw_key(&w, "pre_tokenizer", 13);
    tp_jsonw_begin_object(&w);
    kv_str(&w, "type", "BertPreTokenizer");
    tp_jsonw_end_object(&w);
  }
  if (st == TP_OK) {
    put_post(&w, r, sp);
    /* decoder */
    tp_jsonw_key(&w, "decoder", 7);
    tp_jsonw_begin_object(&w);
    if (r->spm) {
      kv_str(&w, "type", "Sequence");
      tp_jsonw_key(&w, "decoders", 8);
      tp_jsonw_begin_array(&w);
      tp_jsonw_begin_object(&w);
      kv_str(&w, "type", "Replace");
      tp_jsonw_key(&w, "pattern", 7);
      tp_jsonw_begin_object(&w);
      kv_str(&w, "String", "\xe2\x96\x81");
      tp_jsonw_end_object(&w);
      kv_str(&w, "content", " ");
      tp_jsonw_end_object(&w);
      tp_jsonw_begin_object(&w);
      kv_str(&w, "type", "ByteFallback");
      tp_jsonw_end_object(&w);
      tp_jsonw_begin_object(&w);
      kv_str(&w, "type", "Fuse");
      tp_jsonw_end_object(&w);
      if (r->add_space_prefix) {
        tp_jsonw_begin_object(&w);
        kv_str(&w, "type", "Strip");
        kv_str(&w, "content", " ");
        tp_jsonw_key(&w, "start", 5);
        tp_jsonw_u64(&w, 1);
        tp_jsonw_key(&w, "stop", 4);
        tp_jsonw_u64(&w, 0);
        tp_jsonw_end_object(&w);
      }
      tp_jsonw_end_array(&w);
    } else if (r->bpe) {
      kv_str(&w, "type", "ByteLevel");
      kv_bool(&w, "add_prefix_space", true);
      kv_bool(&w, "trim_offsets", true);
      kv_bool(&w, "use_regex", true);
    } else {
      kv_str(&w, "type", "WordPiece");
      kv_str(&w, "prefix", "##");
      kv_bool(&w, "cleanup", true);
    }
    tp_jsonw_end_object(&w);

    /* model */
    tp_jsonw_key(&w, "model", 5);
    tp_jsonw_begin_object(&w);
    if (r->wpm) {
      kv_str(&w, "type", "WordPiece");
      tp_jsonw_key(&w, "unk_token", 9);
      if (r->unk >= 0)
        jstr(&w, sp[r->unk]);
      else
        tp_jsonw_cstring(&w, "[UNK]");
      kv_str(&w, "continuing_subword_prefix", "##");
      tp_jsonw_key(&w, "max_input_chars_per_word", 24);
      tp_jsonw_u64(&w, 100);
      put_vocab(&w, r, sp, keep, nkeep);
    } else {
      kv_str(&w, "type", "BPE");
      kv_null(&w, "dropout");
      tp_jsonw_key(&w, "unk_token", 9);
      if (r->spm && r->unk >= 0)
        jstr(&w, sp[r->unk]);
      else
        tp_jsonw_null(&w);
      kv_null(&w, "continuing_subword_prefix");
      kv_null(&w, "end_of_word_suffix");
      kv_bool(&w, "fuse_unk", r->spm);
      kv_bool(&w, "byte_fallback", r->spm);
      kv_bool(&w, "ignore_merges",
              r->bpe && name_in(r->pre, ignore_merges_pres,
                                TP_ARRAY_LEN(ignore_merges_pres)));
      put_vocab(&w, r, sp, keep, nkeep);
      tp_jsonw_key(&w, "merges", 6);
      tp_jsonw_begin_array(&w);
      for (i = 0; i < nmg; i++) {
        tp_jsonw_begin_array(&w);
        jstr(&w, mg[i].l);
        jstr(&w, mg[i].r);
        tp_jsonw_end_array(&w);
      }
      tp_jsonw_end_array(&w);
    }
    tp_jsonw_end_object(&w);
    tp_jsonw_end_object(&w);
    tp_textbuf_putc(&b, '\n');
  }
  if (st == TP_OK) st = b.status;
  if (st != TP_OK) {
    tp_textbuf_free(&b);
    return st;
  }
  *out = tp_textbuf_steal(&b, len);
  return *out ? TP_OK : TP_ENOMEM;
}

/* the named special tokens as tokenizer_config / special_tokens_map list
 * them */
static void put_named(tp_jsonw *w, const rv *r, const tp_string *sp, bool nulls) {
  struct {
    const char *key;
    int64_t id;
  } named[] = {{"bos_token", r->bos}, {"eos_token", r->eos},
               {"unk_token", r->unk}, {"sep_token", r->sep},
               {"pad_token", r->pad}, {"cls_token", r->wpm ? r->bos : -1},
               {"mask_token", r->mask}};
  size_t i;
  for (i = 0; i < TP_ARRAY_LEN(named); i++) {
    if (named[i].id < 0) {
      /* transformers' GGUF loader sets these four, None when absent */
      if (nulls && (i <= 2 || i == 4)) kv_null(w, named[i].key);
      continue;
    }
    tp_jsonw_key(w, named[i].key, strlen(named[i].key));
    jstr(w, sp[named[i].id]);
  }
}

static tp_status render_config(rv *r, const tp_string *sp, char **out, size_t *len) {
  tp_textbuf b;
  tp_jsonw w;
  tp_string ct;
  const tp_string *names;
  size_t nnames, i;
  bool has_ct;
  tp_status st = get_str(r, "tokenizer.chat_template", &ct, &has_ct);
  if (st == TP_OK) st = get_strings(r, "tokenizer.chat_templates", &names, &nnames);
  if (st != TP_OK) return st;
  tp_textbuf_init(&b);
  tp_jsonw_init(&w, &b, 2, TP_JSON_SERDE);
  tp_jsonw_begin_object(&w);
  if (!r->wpm) {
    /* BERT's [CLS]/[SEP] live in the post-processor; transformers would
     * rebuild it from these flags without [SEP] */
    kv_bool(&w, "add_bos_token", r->add_bos);
    kv_bool(&w, "add_eos_token", r->add_eos);
  }
  put_named(&w, r, sp, true);
  if (has_ct || nnames) {
    tp_jsonw_key(&w, "chat_template", 13);
    if (!nnames) {
      jstr(&w, ct);
    } else {
      tp_jsonw_begin_array(&w);
      if (has_ct) {
        tp_jsonw_begin_object(&w);
        kv_str(&w, "name", "default");
        tp_jsonw_key(&w, "template", 8);
        jstr(&w, ct);
        tp_jsonw_end_object(&w);
      }
      for (i = 0; i < nnames; i++) {
        char *key = tp_arena_alloc(&r->arena, names[i].len + 32);
        tp_string t;
        bool has;
        if (!key) {
          tp_textbuf_free(&b);
          return TP_ENOMEM;
        }
        memcpy(key, "tokenizer.chat_template.", 24);
        memcpy(key + 24, names[i].data, names[i].len);
        key[24 + names[i].len] = 0;
        st = get_str(r, key, &t, &has);
        if (st != TP_OK) {
          tp_textbuf_free(&b);
          return st;
        }
        if (!has) continue;
        tp_jsonw_begin_object(&w);
        tp_jsonw_key(&w, "name", 4);
        jstr(&w, names[i]);
        tp_jsonw_key(&w, "template", 8);
        jstr(&w, t);
        tp_jsonw_end_object(&w);
      }
      tp_jsonw_end_array(&w);
    }
  }
  kv_bool(&w, "clean_up_tokenization_spaces", r->wpm);
  if (r->wpm) {
    kv_bool(&w, "do_lower_case", r->lower != 0);
  }
  kv_str(&w, "tokenizer_class", "PreTrainedTokenizerFast");
  tp_jsonw_end_object(&w);
  tp_textbuf_putc(&b, '\n');
  if (b.status != TP_OK) {
    st = b.status;
    tp_textbuf_free(&b);
    return st;
  }
  *out = tp_textbuf_steal(&b, len);
  return *out ? TP_OK : TP_ENOMEM;
}

static tp_status render_special_map(rv *r, const tp_string *sp, char **out,
                                    size_t *len) {
  tp_textbuf b;
  tp_jsonw w;
  tp_status st;
  tp_textbuf_init(&b);
  tp_jsonw_init(&w, &b, 2, TP_JSON_SERDE);
  tp_jsonw_begin_object(&w);
  put_named(&w, r, sp, false);
  tp_jsonw_end_object(&w);
  tp_textbuf_putc(&b, '\n');
  if (b.status != TP_OK) {
    st = b.status;
    tp_textbuf_free(&b);
    return st;
  }
  *out = tp_textbuf_steal(&b, len);
  return *out ? TP_OK : TP_ENOMEM;
}

tp_status tp_tokenizer_from_gguf(const tp_metastore *gguf_meta,
                                 const char *arch, tp_hf_tokenizer_files *out) {
  rv r;
  tp_string *sp = NULL;
  size_t i, bad;
  tp_status st;
  if (!gguf_meta || !out) return tp_error(TP_EINVAL, "tokenizer: NULL argument");
  memset(out, 0, sizeof *out);
  memset(&r, 0, sizeof r);
  r.m = gguf_meta;
  r.arch = arch;
  tp_arena_init(&r.arena);
  st = load(&r);
  if (st == TP_OK) st = strip_attrs(&r);
  for (i = 0; st == TP_OK && i < r.n; i++)
    if (!tp_utf8_valid(r.tok[i].data, r.tok[i].len, &bad))
      st = tp_error(TP_EFORMAT, "gguf: tokenizer.ggml.tokens[%zu] is not UTF-8 "
                    "(byte %zu); JSON cannot hold it", i, bad);
  if (st == TP_OK) {
    sp = tp_arena_alloc(&r.arena, (r.n ? r.n : 1) * sizeof *sp);
    if (!sp) st = TP_ENOMEM;
  }
  for (i = 0; st == TP_OK && i < r.n; i++) st = spell(&r, i, &sp[i]);
  if (st == TP_OK)
    st = render_tokenizer_json(&r, sp, &out->tokenizer_json, &out->tokenizer_json_len);
  if (st == TP_OK)
    st = render_config(&r, sp, &out->tokenizer_config, &out->tokenizer_config_len);
  if (st == TP_OK)
    st = render_special_map(&r, sp, &out->special_tokens_map,
                            &out->special_tokens_map_len);
  if (st != TP_OK) tp_hf_tokenizer_files_free(out);
  tp_arena_free(&r.arena);
  return st;
}

void tp_hf_tokenizer_files_free(tp_hf_tokenizer_files *f) {
  if (!f) return;
  free(f->tokenizer_json);
  free(f->tokenizer_config);
  free(f->special_tokens_map);
  memset(f, 0, sizeof *f);
}
