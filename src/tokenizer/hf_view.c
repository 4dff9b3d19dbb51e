/*
 * hf_view.c - what transformers' AutoTokenizer reports for a folder, as far
 * as the reference converter asks it (tokenizer.vocab, get_added_vocab,
 * added_tokens_decoder, vocab_size, decode(encode(t))), computed from
 * tokenizer.json (tokenizers 0.23 semantics) and tokenizer_config.json
 * (transformers 5 semantics):
 *
 *  - the model vocabulary: model.vocab (an object for BPE, WordPiece and
 *    WordLevel, a list of [piece, score] for Unigram), or the lines of a
 *    WordPiece vocab.txt when there is no tokenizer.json;
 *  - added_tokens in file order: a content already added keeps its first
 *    definition; a content of the model vocabulary takes the model's id
 *    (the "id" in the file is ignored, as tokenizers does); any other
 *    content gets the next id (max added id + 1, or the model size when
 *    all added ids are below it);
 *  - tokenizer_config's named special tokens (bos, eos, unk, sep, pad,
 *    cls, mask, then extra_special_tokens or additional_special_tokens)
 *    that are not added tokens yet are added as special tokens the same
 *    way (transformers' __init__ does this);
 *  - tokenizer.vocab is the model vocabulary with the added tokens on top;
 *  - a BPE model's merges must name tokens of the model vocabulary, and so
 *    must their concatenation (tokenizers refuses to load the file
 *    otherwise, and the reference with it).
 *
 * The decoder emulation covers ByteLevel, WordPiece, Metaspace, Replace
 * (string patterns), ByteFallback, Fuse, Strip, BPEDecoder and Sequence;
 * other decoders leave the token unchanged (docs/formats/tokenizers.md).
 */
#include "tok_internal.h"

#include <stdlib.h>

static tp_string ent_key(const void *ctx, size_t i) {
  return ((const tk_hf_view *)ctx)->ents[i].content;
}

size_t tk_hf_find(const tk_hf_view *v, const char *s, size_t len) {
  return tp_strmap_find(&v->map, s, len, ent_key, v);
}

void tk_hf_view_free(tk_hf_view *v) {
  free(v->ents);
  free(v->by_id);
  tp_strmap_free(&v->map);
  memset(v, 0, sizeof *v);
}

typedef struct builder {
  tk_ctx *c;
  tk_hf_view *v;
  size_t cap;
  const char *file;
  int64_t max_added; /* -1: no added token yet */
} builder;

static tp_status add_ent(builder *b, tp_string content, int64_t id,
                         bool added, bool special, bool normalized) {
  tk_hf_view *v = b->v;
  tk_hf_token *e;
  tp_status st = tp_grow((void **)&v->ents, &b->cap, v->n + 1, sizeof *v->ents);
  if (st != TP_OK) return st;
  e = &v->ents[v->n];
  e->content = content;
  e->id = id;
  e->added = added;
  e->special = special;
  e->normalized = normalized;
  st = tp_strmap_insert(&v->map, v->n, ent_key, v);
  if (st != TP_OK) return st;
  v->n++;
  if (id > v->max_id) v->max_id = id;
  return TP_OK;
}

/* One merge "a b" or [a, b] as tokenizers loads it: a, b and a + b (b
 * without the continuing_subword_prefix) must be model tokens. */
static tp_status check_merge(builder *b, size_t i, tp_string a, tp_string m,
                             tp_string prefix) {
  char q[256];
  tp_string parts[2];
  size_t k, len;
  char *cat;
  parts[0] = a;
  parts[1] = m;
  for (k = 0; k < 2; k++)
    if (tk_hf_find(b->v, parts[k].data, parts[k].len) == SIZE_MAX) {
      tp_quote_for_message(q, sizeof q, parts[k].data, parts[k].len);
      return tk_err(b->c, TP_EFORMAT, b->file,
                    "model.merges[%zu] names \"%s\", which is not in "
                    "model.vocab", i, q);
    }
  if (prefix.len && m.len >= prefix.len && !memcmp(m.data, prefix.data, prefix.len)) {
    m.data += prefix.len;
    m.len -= prefix.len;
  }
  len = a.len + m.len;
  cat = tp_malloc(len ? len : 1);
  if (!cat) return TP_ENOMEM;
  memcpy(cat, a.data, a.len);
  memcpy(cat + a.len, m.data, m.len);
  k = tk_hf_find(b->v, cat, len);
  if (k == SIZE_MAX) tp_quote_for_message(q, sizeof q, cat, len);
  free(cat);
  if (k == SIZE_MAX)
    return tk_err(b->c, TP_EFORMAT, b->file,
                  "model.merges[%zu]: the merged token \"%s\" is not in "
                  "model.vocab", i, q);
  return TP_OK;
}

static tp_status check_merges(builder *b, const json_t *model) {
  const json_t *merges = tk_get(model, "merges");
  const json_t *pfx = tk_get(model, "continuing_subword_prefix");
  tp_string prefix = {"", 0};
  size_t i;
  if (tk_is_str(pfx)) prefix = tk_str(pfx);
  if (merges && !json_is_array(merges))
    return tk_err(b->c, TP_EFORMAT, b->file, "model.merges is not a list");
  for (i = 0; i < json_array_size(merges); i++) {
    const json_t *m = json_array_get(merges, i);
    tp_string a, c;
    tp_status st;
    if (tk_is_str(m)) {
      /* "a b": split at the first space */
      tp_string s = tk_str(m);
      const char *sp = memchr(s.data, ' ', s.len);
      if (!sp)
        return tk_err(b->c, TP_EFORMAT, b->file,
                      "model.merges[%zu] is not two tokens separated by a "
                      "space", i);
      a.data = s.data;
      a.len = (size_t)(sp - s.data);
      c.data = sp + 1;
      c.len = s.len - a.len - 1;
    } else if (json_is_array(m) && json_array_size(m) == 2 &&
               tk_is_str(json_array_get(m, 0)) && tk_is_str(json_array_get(m, 1))) {
      a = tk_str(json_array_get(m, 0));
      c = tk_str(json_array_get(m, 1));
    } else {
      return tk_err(b->c, TP_EFORMAT, b->file,
                    "model.merges[%zu] is neither \"a b\" nor [a, b]", i);
    }
    st = check_merge(b, i, a, c, prefix);
    if (st != TP_OK) return st;
  }
  return TP_OK;
}

static tp_status model_vocab(builder *b) {
  tk_ctx *c = b->c;
  const json_t *tj = c->in->tokenizer_json;
  tk_hf_view *v = b->v;
  if (tj) {
    const json_t *model = tk_get(tj, "model"), *vocab = tk_get(model, "vocab");
    const json_t *type = tk_get(model, "type");
    b->file = "tokenizer.json";
    v->model_is_bpe = tk_str_eq(type, "BPE");
    if (json_is_object(vocab)) {
      void *it;
      for (it = json_object_iter((json_t *)vocab); it;
           it = json_object_iter_next((json_t *)vocab, it)) {
        const json_t *val = json_object_iter_value(it);
        int64_t id;
        tp_string s;
        tp_status st;
        char q[256];
        s.data = json_object_iter_key(it);
        s.len = json_object_iter_key_len(it);
        tp_quote_for_message(q, sizeof q, s.data, s.len);
        if (!json_is_integer(val) || (id = json_integer_value(val)) < 0)
          return tk_err(c, TP_EFORMAT, b->file,
                        "model.vocab[\"%s\"] is not a non-negative integer id",
                        q);
        if (id >= (int64_t)TK_MAX_VOCAB)
          return tk_err(c, TP_ELIMIT, b->file,
                        "model.vocab[\"%s\"]: id %lld (vs below %u)", q,
                        (long long)id, TK_MAX_VOCAB);
        st = add_ent(b, s, id, false, false, true);
        if (st != TP_OK) return st;
      }
    } else if (json_is_array(vocab)) {
      size_t i;
      for (i = 0; i < json_array_size(vocab); i++) {
        const json_t *p = json_array_get(vocab, i), *piece;
        tp_status st;
        piece = json_array_get(p, 0);
        if (!json_is_array(p) || !tk_is_str(piece))
          return tk_err(c, TP_EFORMAT, b->file,
                        "model.vocab[%zu] is not a [piece, score] pair", i);
        if (i >= TK_MAX_VOCAB)
          return tk_err(c, TP_ELIMIT, b->file,
                        "model.vocab has more than %u pieces", TK_MAX_VOCAB);
        if (tk_hf_find(v, json_string_value(piece), json_string_length(piece)) !=
            SIZE_MAX)
          continue; /* a later duplicate piece is unreachable */
        st = add_ent(b, tk_str(piece), (int64_t)i, false, false, true);
        if (st != TP_OK) return st;
      }
    } else {
      return tk_err(c, TP_EFORMAT, b->file,
                    "model.vocab is neither an object nor a list");
    }
    v->model_size = v->n;
    v->decoder = tk_get(tj, "decoder");
    if (v->model_is_bpe) return check_merges(b, model);
    return TP_OK;
  }
  if (c->in->vocab_txt) {
    /* BertTokenizer.load_vocab: one token per line ("\n" stripped); a
     * repeated token keeps its last line */
    const char *p = c->in->vocab_txt, *end = p + c->in->vocab_txt_len;
    int64_t line = 0;
    size_t bad;
    b->file = "vocab.txt";
    if (!tp_utf8_valid(p, c->in->vocab_txt_len, &bad))
      return tk_err(c, TP_EFORMAT, b->file, "not UTF-8 (byte %zu)", bad);
    while (p < end) {
      const char *eol = memchr(p, '\n', (size_t)(end - p));
      tp_string s;
      size_t j;
      tp_status st;
      if (!eol) eol = end;
      s.data = p;
      s.len = (size_t)(eol - p);
      if (s.len && s.data[s.len - 1] == '\r') s.len--; /* universal newlines */
      if (line >= (int64_t)TK_MAX_VOCAB)
        return tk_err(c, TP_ELIMIT, b->file, "more than %u lines", TK_MAX_VOCAB);
      j = tk_hf_find(v, s.data, s.len);
      if (j != SIZE_MAX) {
        v->ents[j].id = line;
        if (line > v->max_id) v->max_id = line;
      } else {
        st = add_ent(b, s, line, false, false, true);
        if (st != TP_OK) return st;
      }
      line++;
      p = eol < end ? eol + 1 : end;
    }
    v->model_size = v->n;
    v->model_is_bpe = false;
    v->decoder = NULL;
    return TP_OK;
  }
  return tk_err(c, TP_ENOTFOUND, "tokenizer.json",
                "missing (this vocabulary needs tokenizer.json%s)",
                "");
}

/* AddedVocabulary.add_tokens for one token */
static tp_status add_token(builder *b, tp_string content, bool special,
                           bool normalized) {
  tk_hf_view *v = b->v;
  size_t j = tk_hf_find(v, content.data, content.len);
  int64_t id;
  if (j != SIZE_MAX) {
    tk_hf_token *e = &v->ents[j];
    if (e->added) return TP_OK; /* the first definition wins */
    e->added = true;
    e->special = special;
    e->normalized = normalized;
    if (e->id > b->max_added) b->max_added = e->id;
    return TP_OK;
  }
  if (b->max_added < 0)
    id = (int64_t)v->model_size;
  else
    id = b->max_added >= (int64_t)v->model_size || v->model_size == 0
             ? b->max_added + 1
             : (int64_t)v->model_size;
  if (id >= (int64_t)TK_MAX_VOCAB)
    return tk_err(b->c, TP_ELIMIT, b->file, "added token id %lld (vs below %u)",
                  (long long)id, TK_MAX_VOCAB);
  b->max_added = id;
  return add_ent(b, content, id, true, special, normalized);
}

static tp_status added_tokens(builder *b) {
  tk_ctx *c = b->c;
  const json_t *list = tk_get(c->in->tokenizer_json, "added_tokens");
  size_t i;
  if (!list) return TP_OK;
  if (!json_is_array(list))
    return tk_err(c, TP_EFORMAT, "tokenizer.json", "added_tokens is not a list");
  for (i = 0; i < json_array_size(list); i++) {
    const json_t *t = json_array_get(list, i), *content, *sp, *norm;
    bool special;
    tp_status st;
    content = tk_get(t, "content");
    if (!tk_is_str(content))
      return tk_err(c, TP_EFORMAT, "tokenizer.json",
                    "added_tokens[%zu].content is not a string", i);
    sp = tk_get(t, "special");
    norm = tk_get(t, "normalized");
    special = sp && json_is_true(sp);
    st = add_token(b, tk_str(content), special,
                   norm ? json_is_true(norm) : !special);
    if (st != TP_OK) return st;
  }
  return TP_OK;
}

/* The content of a special-token entry of tokenizer_config: a string or an
 * AddedToken object; false for anything else. */
bool tk_special_content(const json_t *e, tp_string *out) {
  if (tk_is_str(e)) {
    *out = tk_str(e);
    return true;
  }
  if (e && json_is_object(e) && tk_is_str(json_object_get(e, "content"))) {
    *out = tk_str(json_object_get(e, "content"));
    return true;
  }
  return false;
}

static tp_status named_specials(builder *b) {
  static const char *const names[] = {"bos_token", "eos_token", "unk_token",
                                      "sep_token", "pad_token", "cls_token",
                                      "mask_token"};
  const json_t *tc = b->c->in->tokenizer_config, *extra;
  size_t i;
  tp_status st;
  for (i = 0; i < TP_ARRAY_LEN(names); i++) {
    tp_string s;
    if (tk_special_content(tk_get(tc, names[i]), &s) && s.len) {
      st = add_token(b, s, true, false);
      if (st != TP_OK) return st;
    }
  }
  extra = tk_extra_specials(tc);
  if (json_is_array(extra)) {
    for (i = 0; i < json_array_size(extra); i++) {
      tp_string s;
      if (tk_special_content(json_array_get(extra, i), &s) && s.len) {
        st = add_token(b, s, true, false);
        if (st != TP_OK) return st;
      }
    }
  } else if (json_is_object(extra)) {
    void *it;
    for (it = json_object_iter((json_t *)extra); it;
         it = json_object_iter_next((json_t *)extra, it)) {
      tp_string s;
      if (tk_special_content(json_object_iter_value(it), &s) && s.len) {
        st = add_token(b, s, true, false);
        if (st != TP_OK) return st;
      }
    }
  }
  return TP_OK;
}

const json_t *tk_extra_specials(const json_t *tc) {
  const json_t *extra = tk_get(tc, "extra_special_tokens");
  return extra ? extra : tk_get(tc, "additional_special_tokens");
}

tp_status tk_hf_view_build(tk_ctx *c, tk_hf_view *v) {
  builder b;
  size_t i;
  tp_status st;
  const json_t *cu;
  memset(v, 0, sizeof *v);
  tp_strmap_init(&v->map);
  v->max_id = -1;
  memset(&b, 0, sizeof b);
  b.c = c;
  b.v = v;
  b.max_added = -1;
  st = model_vocab(&b);
  if (st == TP_OK) st = added_tokens(&b);
  if (st == TP_OK) st = named_specials(&b);
  if (st != TP_OK) goto fail;
  v->id_cap = (size_t)(v->max_id + 1);
  v->by_id = tp_malloc((v->id_cap ? v->id_cap : 1) * sizeof *v->by_id);
  if (!v->by_id) {
    st = TP_ENOMEM;
    goto fail;
  }
  for (i = 0; i < v->id_cap; i++) v->by_id[i] = -1;
  for (i = 0; i < v->n; i++) {
    int64_t id = v->ents[i].id, prev = v->by_id[id];
    if (prev >= 0) {
      char q1[256], q2[256];
      const tp_string *a = &v->ents[prev].content, *s = &v->ents[i].content;
      tp_quote_for_message(q1, sizeof q1, a->data, a->len);
      tp_quote_for_message(q2, sizeof q2, s->data, s->len);
      st = tk_err(c, TP_EFORMAT, b.file ? b.file : "tokenizer.json",
                  "tokens \"%s\" and \"%s\" both have id %lld", q1, q2,
                  (long long)id);
      goto fail;
    }
    v->by_id[id] = (int64_t)i;
  }
  cu = tk_get(c->in->tokenizer_config, "clean_up_tokenization_spaces");
  v->cleanup_spaces = tk_truthy(cu);
  return TP_OK;
fail:
  tk_hf_view_free(v);
  return st;
}

/* ---- decode(encode(t)) ---------------------------------------------------------- */

typedef struct sbuf {
  char *p;
  size_t len, cap;
} sbuf;

static tp_status sb_put(sbuf *s, const void *d, size_t n) {
  tp_status st = tp_grow((void **)&s->p, &s->cap, s->len + n + 1, 1);
  if (st != TP_OK) return st;
  memcpy(s->p + s->len, d, n);
  s->len += n;
  s->p[s->len] = 0;
  return TP_OK;
}

/* Replaces every occurrence of pat (non-empty) in *s by rep. */
static tp_status replace_all(sbuf *s, const char *pat, size_t pl,
                             const char *rep, size_t rl) {
  sbuf o = {NULL, 0, 0};
  size_t i = 0;
  tp_status st = TP_OK;
  if (!pl) return TP_OK;
  while (i < s->len && st == TP_OK) {
    if (i + pl <= s->len && !memcmp(s->p + i, pat, pl)) {
      st = sb_put(&o, rep, rl);
      i += pl;
    } else {
      st = sb_put(&o, s->p + i, 1);
      i++;
    }
  }
  if (st == TP_OK) st = sb_put(&o, "", 0);
  if (st != TP_OK) {
    free(o.p);
    return st;
  }
  free(s->p);
  *s = o;
  return TP_OK;
}

static tp_status cleanup(sbuf *s, bool wordpiece) {
  /* tokenizers' WordPiece cleanup, and transformers' clean_up_tokenization
   * (the same list without " do not") */
  static const char *const pairs[][2] = {
      {" .", "."},     {" ?", "?"},     {" !", "!"},     {" ,", ","},
      {" ' ", "'"},    {" n't", "n't"}, {" 'm", "'m"},   {" do not", " don't"},
      {" 's", "'s"},   {" 've", "'ve"}, {" 're", "'re"}};
  size_t i;
  for (i = 0; i < TP_ARRAY_LEN(pairs); i++) {
    tp_status st;
    if (!wordpiece && !strcmp(pairs[i][0], " do not")) continue;
    st = replace_all(s, pairs[i][0], strlen(pairs[i][0]), pairs[i][1],
                     strlen(pairs[i][1]));
    if (st != TP_OK) return st;
  }
  return TP_OK;
}

/* The first code point of a JSON string, or 0. */
static uint32_t first_cp(const json_t *v) {
  uint32_t cp = 0;
  if (tk_is_str(v) && json_string_length(v))
    tp_utf8_decode((const unsigned char *)json_string_value(v),
                   json_string_length(v), &cp);
  return cp;
}

/* Bytes of the maximal prefix of a well-formed UTF-8 sequence at p (at
 * least 1): what one U+FFFD replaces in String::from_utf8_lossy. */
static size_t ill_formed_len(const unsigned char *p, size_t n) {
  unsigned char b = p[0], lo = 0x80, hi = 0xbf;
  size_t need, i;
  if (b >= 0xc2 && b <= 0xdf) need = 1;
  else if (b >= 0xe0 && b <= 0xef) need = 2;
  else if (b >= 0xf0 && b <= 0xf4) need = 3;
  else return 1;
  if (b == 0xe0) lo = 0xa0;
  if (b == 0xed) hi = 0x9f;
  if (b == 0xf0) lo = 0x90;
  if (b == 0xf4) hi = 0x8f;
  for (i = 1; i <= need && i < n; i++) {
    unsigned char lo_i = i == 1 ? lo : 0x80, hi_i = i == 1 ? hi : 0xbf;
    if (p[i] < lo_i || p[i] > hi_i) break;
  }
  return i;
}

/* String::from_utf8_lossy into *out */
static tp_status lossy_utf8(const char *p, size_t n, sbuf *out) {
  size_t j = 0;
  tp_status st = sb_put(out, "", 0);
  while (j < n && st == TP_OK) {
    uint32_t cp;
    size_t l = tp_utf8_decode((const unsigned char *)p + j, n - j, &cp);
    if (l) {
      st = sb_put(out, p + j, l);
      j += l;
    } else {
      st = sb_put(out, "\xef\xbf\xbd", 3);
      j += ill_formed_len((const unsigned char *)p + j, n - j);
    }
  }
  return st;
}

static bool hexdig(char ch) {
  return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
         (ch >= 'A' && ch <= 'F');
}

static tp_status decode_one(const json_t *d, sbuf *s, unsigned depth) {
  const json_t *type = tk_get(d, "type");
  tp_status st = TP_OK;
  if (!d || json_is_null(d) || depth > 16) return TP_OK;
  if (tk_str_eq(type, "Sequence")) {
    const json_t *list = tk_get(d, "decoders");
    size_t i;
    for (i = 0; i < json_array_size(list) && st == TP_OK; i++)
      st = decode_one(json_array_get(list, i), s, depth + 1);
    return st;
  }
  if (tk_str_eq(type, "ByteLevel")) {
    /* every character in the alphabet: its bytes (invalid UTF-8 becomes
     * U+FFFD); otherwise the token is kept as it is */
    sbuf o = {NULL, 0, 0};
    size_t i = 0;
    bool all = true;
    while (i < s->len && st == TP_OK) {
      uint32_t cp;
      size_t l = tp_utf8_decode((const unsigned char *)s->p + i, s->len - i, &cp);
      int byte = l ? tk_cp_byte(cp) : -1;
      if (byte < 0) {
        all = false;
        break;
      }
      {
        char ch = (char)byte;
        st = sb_put(&o, &ch, 1);
      }
      i += l;
    }
    if (st == TP_OK && all) {
      sbuf u = {NULL, 0, 0};
      st = lossy_utf8(o.p, o.len, &u);
      if (st == TP_OK) {
        free(s->p);
        *s = u;
      } else {
        free(u.p);
      }
    }
    free(o.p);
    return st;
  }
  if (tk_str_eq(type, "WordPiece")) {
    const json_t *cu = tk_get(d, "cleanup");
    if (!cu || json_is_true(cu)) st = cleanup(s, true);
    return st;
  }
  if (tk_str_eq(type, "Metaspace")) {
    /* the first token loses every replacement character unless
     * prepend_scheme is "never" */
    uint32_t rep = first_cp(tk_get(d, "replacement"));
    const json_t *ps = tk_get(d, "prepend_scheme");
    bool drop = !tk_str_eq(ps, "never");
    char enc[4];
    size_t el;
    if (!rep) return TP_OK;
    el = tk_utf8_put(rep, enc);
    return replace_all(s, enc, el, drop ? "" : " ", drop ? 0 : 1);
  }
  if (tk_str_eq(type, "Replace")) {
    const json_t *pat = tk_get(tk_get(d, "pattern"), "String");
    const json_t *content = tk_get(d, "content");
    if (tk_is_str(pat) && tk_is_str(content))
      st = replace_all(s, json_string_value(pat), json_string_length(pat),
                       json_string_value(content), json_string_length(content));
    return st;
  }
  if (tk_str_eq(type, "ByteFallback")) {
    if (s->len == 6 && !memcmp(s->p, "<0x", 3) && s->p[5] == '>' &&
        hexdig(s->p[3]) && hexdig(s->p[4])) {
      char h[3] = {s->p[3], s->p[4], 0};
      unsigned long b = strtoul(h, NULL, 16);
      s->len = 0;
      if (b < 0x80) {
        char ch = (char)b;
        st = sb_put(s, &ch, 1);
      } else {
        st = sb_put(s, "\xef\xbf\xbd", 3);
      }
    }
    return st;
  }
  if (tk_str_eq(type, "Strip")) {
    uint32_t ch = first_cp(tk_get(d, "content"));
    int64_t start = 0, stop = 0;
    char enc[4];
    size_t el;
    tk_is_int(tk_get(d, "start"), &start);
    tk_is_int(tk_get(d, "stop"), &stop);
    if (!ch) return TP_OK;
    el = tk_utf8_put(ch, enc);
    while (start-- > 0 && s->len >= el && !memcmp(s->p, enc, el)) {
      memmove(s->p, s->p + el, s->len - el + 1);
      s->len -= el;
    }
    while (stop-- > 0 && s->len >= el && !memcmp(s->p + s->len - el, enc, el)) {
      s->len -= el;
      s->p[s->len] = 0;
    }
    return TP_OK;
  }
  if (tk_str_eq(type, "BPEDecoder")) {
    const json_t *suf = tk_get(d, "suffix");
    if (tk_is_str(suf))
      st = replace_all(s, json_string_value(suf), json_string_length(suf), "", 0);
    return st;
  }
  /* Fuse: one token is already fused; others: unchanged */
  return TP_OK;
}

tp_status tk_hf_roundtrip(tk_ctx *c, const tk_hf_view *v, tp_string t,
                          tp_string *out) {
  sbuf s = {NULL, 0, 0};
  tp_status st = sb_put(&s, t.data, t.len);
  char *p;
  if (st == TP_OK) st = decode_one(v->decoder, &s, 0);
  /* transformers skips its clean-up for BPE models */
  if (st == TP_OK && v->cleanup_spaces && !v->model_is_bpe)
    st = cleanup(&s, false);
  if (st != TP_OK) {
    free(s.p);
    return st;
  }
  p = tk_strdup(c, s.p ? s.p : "", s.len);
  free(s.p);
  if (!p) return TP_ENOMEM;
  out->data = p;
  out->len = s.len;
  return TP_OK;
}

bool tk_looks_special(tp_string t) {
  static const char *const exact[] = {"<pad>", "<mask>", "<2mass>", "[@BOS@]"};
  size_t i;
  for (i = 0; i < TP_ARRAY_LEN(exact); i++)
    if (t.len == strlen(exact[i]) && !memcmp(t.data, exact[i], t.len))
      return true;
#define STARTS(s) (t.len >= sizeof(s) - 1 && !memcmp(t.data, s, sizeof(s) - 1))
#define ENDS(s) \
  (t.len >= sizeof(s) - 1 && !memcmp(t.data + t.len - (sizeof(s) - 1), s, sizeof(s) - 1))
  if (STARTS("<|") && ENDS("|>")) return true;
  /* deepseek-coder: fullwidth vertical line U+FF5C */
  if (STARTS("<\xef\xbd\x9c") && ENDS("\xef\xbd\x9c>")) return true;
  if (STARTS("<unused") && ENDS(">")) return true;
#undef STARTS
#undef ENDS
  return false;
}
