/*
 * special_vocab.c - gguf-py's SpecialVocab: BPE merges, special token ids,
 * the add_*_token flags (from the post-processor and tokenizer_config),
 * chat templates and the normalizer flags, written in the order its
 * add_to_gguf writes them. Every rule and its source is listed in
 * docs/formats/tokenizers.md §4; the Python semantics that decide edge
 * cases (truthiness, first match, dict insertion order) are kept.
 */
#include "tok_internal.h"

#include <stdio.h>
#include <stdlib.h>

#define MAX_TYPES 16

typedef struct sv_state {
  tk_ctx *c;
  const tk_special_args *a;
  const char *types[MAX_TYPES];
  size_t ntypes;
  struct {
    const char *typ;
    int64_t id;
  } ids[MAX_TYPES * 2];
  size_t nids;
  struct {
    const char *typ;
    bool v;
  } add[MAX_TYPES];
  size_t nadd;
  /* tokenizer_config items assigned by the loader (bos_token, ...): the
   * reference writes them into its dict; later lookups see them */
  struct {
    char key[32];
    const json_t *val; /* NULL: None */
  } ov[MAX_TYPES];
  size_t nov;
  tp_string *merges;
  size_t nmerges;
  /* the chat template: a JSON value (tokenizer_config or chat_template.json)
   * or the chat_template.jinja files */
  enum { CT_NONE, CT_JSON, CT_FILES } ct;
  const json_t *ct_json;
  const json_t *lower, *strip; /* normalizer flags; NULL: None */
  bool lower_set, strip_set;
  /* tokenizer.json added_tokens: content -> first index */
  const json_t *added;
  tp_strmap added_map;
  bool added_map_built;
} sv_state;

static const char *const k_default_types[] = {"bos", "eos", "unk", "sep",
                                              "pad", "cls", "mask"};

static bool has_type(const sv_state *s, const char *t) {
  size_t i;
  for (i = 0; i < s->ntypes; i++)
    if (!strcmp(s->types[i], t)) return true;
  return false;
}

/* tokenizer_config.get(key) with the loader's assignments on top. */
static const json_t *tc_get(const sv_state *s, const char *key) {
  size_t i;
  for (i = 0; i < s->nov; i++)
    if (!strcmp(s->ov[i].key, key)) return s->ov[i].val;
  return tk_get(s->c->in->tokenizer_config, key);
}

static void tc_set(sv_state *s, const char *key, const json_t *val) {
  size_t i;
  for (i = 0; i < s->nov; i++)
    if (!strcmp(s->ov[i].key, key)) {
      s->ov[i].val = val;
      return;
    }
  if (s->nov < MAX_TYPES) {
    snprintf(s->ov[s->nov].key, sizeof s->ov[s->nov].key, "%s", key);
    s->ov[s->nov].val = val;
    s->nov++;
  }
}

static bool add_has(const sv_state *s, const char *typ) {
  size_t i;
  for (i = 0; i < s->nadd; i++)
    if (!strcmp(s->add[i].typ, typ)) return true;
  return false;
}

/* self.add_special_token[typ] = v (dict: an existing key keeps its place) */
static void add_set(sv_state *s, const char *typ, bool v) {
  size_t i;
  for (i = 0; i < s->nadd; i++)
    if (!strcmp(s->add[i].typ, typ)) {
      s->add[i].v = v;
      return;
    }
  if (s->nadd < MAX_TYPES) {
    s->add[s->nadd].typ = typ;
    s->add[s->nadd].v = v;
    s->nadd++;
  }
}

static void add_setdefault(sv_state *s, const char *typ, bool v) {
  if (!add_has(s, typ)) add_set(s, typ, v);
}

static bool in2(const json_t *x, const json_t *a, const json_t *b) {
  return tk_pyeq(x, a) || tk_pyeq(x, b);
}

/* _set_special_token */
static tp_status set_special(sv_state *s, const char *typ, const json_t *tid,
                             const char *file) {
  int64_t id;
  size_t i;
  if (!tk_is_int(tid, &id)) return TP_OK;
  if (id < 0)
    return tk_err(s->c, TP_EFORMAT, file,
                  "%s token id %lld is negative (the reference refuses it)",
                  typ, (long long)id);
  if (s->a->has_n_vocab && (uint64_t)id >= s->a->n_vocab)
    return TP_OK; /* the reference warns and skips it */
  for (i = 0; i < s->nids; i++)
    if (!strcmp(s->ids[i].typ, typ)) return TP_OK;
  if (s->nids < TP_ARRAY_LEN(s->ids)) {
    s->ids[s->nids].typ = typ;
    s->ids[s->nids].id = id;
    s->nids++;
  }
  return TP_OK;
}

static tp_string added_key(const void *ctx, size_t i) {
  const json_t *t = json_array_get((const json_t *)ctx, i);
  const json_t *content = tk_get(t, "content");
  tp_string s = {"", 0};
  if (tk_is_str(content)) s = tk_str(content);
  return s;
}

/* The id of the first added token whose content is content (None: NULL). */
static tp_status added_id(sv_state *s, tp_string content, const json_t **id) {
  size_t i, n = json_array_size(s->added);
  *id = NULL;
  if (!s->added_map_built) {
    for (i = 0; i < n; i++) {
      const json_t *t = json_array_get(s->added, i);
      tp_string k;
      tp_status st;
      if (!json_is_object(t))
        return tk_err(s->c, TP_EFORMAT, "tokenizer.json",
                      "added_tokens[%zu] is not an object", i);
      if (!tk_is_str(tk_get(t, "content"))) continue;
      k = added_key(s->added, i);
      if (tp_strmap_find(&s->added_map, k.data, k.len, added_key, s->added) !=
          SIZE_MAX)
        continue; /* the first match wins */
      st = tp_strmap_insert(&s->added_map, i, added_key, s->added);
      if (st != TP_OK) return st;
    }
    s->added_map_built = true;
  }
  i = tp_strmap_find(&s->added_map, content.data, content.len, added_key,
                     s->added);
  if (i != SIZE_MAX) *id = tk_get(json_array_get(s->added, i), "id");
  return TP_OK;
}

/* ---- merges ------------------------------------------------------------------ */

static tp_status merges_from_json(sv_state *s, const json_t *merges) {
  tk_ctx *c = s->c;
  size_t i, n = json_array_size(merges);
  const json_t *first = json_array_get(merges, 0);
  s->merges = tp_arena_alloc(&c->arena, n * sizeof *s->merges);
  if (!s->merges) return TP_ENOMEM;
  if (tk_is_str(first)) {
    for (i = 0; i < n; i++) {
      const json_t *m = json_array_get(merges, i);
      if (!tk_is_str(m))
        return tk_err(c, TP_EFORMAT, "tokenizer.json",
                      "model.merges[%zu] is not a string like the first "
                      "merge", i);
      s->merges[i] = tk_str(m);
    }
  } else if (json_is_array(first) && json_array_size(first) == 2 &&
             tk_is_str(json_array_get(first, 0))) {
    /* transformers >= 4.45: [a, b] pairs; a space inside a part is spelled
     * as U+0120, the byte-level character of the space byte */
    for (i = 0; i < n; i++) {
      const json_t *pair = json_array_get(merges, i);
      size_t j, len = 0, np;
      char *buf, *o;
      if (!json_is_array(pair))
        return tk_err(c, TP_EFORMAT, "tokenizer.json",
                      "model.merges[%zu] is not a list like the first merge", i);
      np = json_array_size(pair);
      for (j = 0; j < np; j++) {
        const json_t *part = json_array_get(pair, j);
        if (!tk_is_str(part))
          return tk_err(c, TP_EFORMAT, "tokenizer.json",
                        "model.merges[%zu][%zu] is not a string", i, j);
        /* a space becomes two bytes (U+0120) */
        len += 2 * json_string_length(part) + 1;
      }
      buf = tp_arena_alloc(&c->arena, len + 1);
      if (!buf) return TP_ENOMEM;
      o = buf;
      for (j = 0; j < np; j++) {
        tp_string p = tk_str(json_array_get(pair, j));
        size_t k;
        if (j) *o++ = ' ';
        for (k = 0; k < p.len; k++) {
          if (p.data[k] == ' ')
            o += tk_utf8_put(0x120, o);
          else
            *o++ = p.data[k];
        }
      }
      s->merges[i].data = buf;
      s->merges[i].len = (size_t)(o - buf);
    }
  } else {
    return tk_err(c, TP_EFORMAT, "tokenizer.json",
                  "model.merges: unknown merges format (the first entry is "
                  "neither a string nor a pair of strings)");
  }
  s->nmerges = n;
  return TP_OK;
}

/* str.isspace() for one code point */
static bool py_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x20) ||
         cp == 0x85 || cp == 0xa0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
         cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

/* Splits [p, end) on runs of Python whitespace; at most max parts are
 * recorded in part[], *n counts all of them. */
static void py_split(const char *p, const char *end, tp_string *part,
                     size_t max, size_t *n) {
  *n = 0;
  while (p < end) {
    const char *start;
    uint32_t cp;
    size_t l = tp_utf8_decode((const unsigned char *)p, (size_t)(end - p), &cp);
    if (!l) l = 1, cp = 0xfffd;
    if (py_space(cp)) {
      p += l;
      continue;
    }
    start = p;
    while (p < end) {
      l = tp_utf8_decode((const unsigned char *)p, (size_t)(end - p), &cp);
      if (!l) l = 1, cp = 0xfffd;
      if (py_space(cp)) break;
      p += l;
    }
    if (*n < max) {
      part[*n].data = start;
      part[*n].len = (size_t)(p - start);
    }
    (*n)++;
  }
}

/* _try_load_merges_txt: the first line is skipped when it starts with '#'
 * (after stripping); lines that are not two whitespace-separated parts are
 * skipped (the reference warns). Lines end at \n, \r\n or \r (Python's
 * universal newlines). */
static tp_status merges_from_txt(sv_state *s) {
  tk_ctx *c = s->c;
  const char *p = c->in->merges_txt, *end = p + c->in->merges_txt_len;
  size_t cap = 0, line_no = 0, bad;
  if (!tp_utf8_valid(p, c->in->merges_txt_len, &bad))
    return tk_err(c, TP_EFORMAT, "merges.txt", "not UTF-8 (byte %zu)", bad);
  while (p < end) {
    const char *eol = p, *next;
    tp_string parts[3];
    size_t np;
    while (eol < end && *eol != '\n' && *eol != '\r') eol++;
    next = eol;
    if (next < end && *next++ == '\r' && next < end && *next == '\n') next++;
    py_split(p, eol, parts, 3, &np);
    if (line_no++ == 0 && np && parts[0].data[0] == '#') {
      p = next;
      continue;
    }
    p = next;
    if (np != 2) continue;
    {
      tp_status st = tp_grow((void **)&s->merges, &cap, s->nmerges + 1,
                             sizeof *s->merges);
      char *m;
      if (st != TP_OK) return st;
      m = tp_arena_alloc(&c->arena, parts[0].len + parts[1].len + 2);
      if (!m) return TP_ENOMEM;
      memcpy(m, parts[0].data, parts[0].len);
      m[parts[0].len] = ' ';
      memcpy(m + parts[0].len + 1, parts[1].data, parts[1].len);
      m[parts[0].len + 1 + parts[1].len] = 0;
      s->merges[s->nmerges].data = m;
      s->merges[s->nmerges].len = parts[0].len + 1 + parts[1].len;
      s->nmerges++;
    }
  }
  /* the list lives on the heap (grown); move it into the arena */
  if (s->nmerges) {
    tp_string *a = tp_arena_alloc(&c->arena, s->nmerges * sizeof *a);
    if (!a) {
      free(s->merges);
      s->merges = NULL;
      return TP_ENOMEM;
    }
    memcpy(a, s->merges, s->nmerges * sizeof *a);
    free(s->merges);
    s->merges = a;
  } else {
    free(s->merges);
    s->merges = NULL;
  }
  return TP_OK;
}

/* ---- normalizer flags ------------------------------------------------------- */

static tp_status parse_normalizer(sv_state *s, const json_t *n, unsigned depth) {
  const json_t *type = tk_get(n, "type");
  if (depth > 64)
    return tk_err(s->c, TP_ELIMIT, "tokenizer.json",
                  "normalizer: Sequence nested deeper than 64 levels");
  if (!json_is_object(n))
    return tk_err(s->c, TP_EFORMAT, "tokenizer.json",
                  "normalizer: an entry is not an object");
  if (tk_str_eq(type, "Lowercase")) {
    s->lower = json_true();
    s->lower_set = true;
  } else if (tk_str_eq(type, "StripAccents")) {
    s->strip = json_true();
    s->strip_set = true;
  } else if (tk_str_eq(type, "BertNormalizer")) {
    if (json_object_get(n, "lowercase")) {
      s->lower = json_object_get(n, "lowercase");
      s->lower_set = true;
    }
    if (json_object_get(n, "strip_accents")) {
      s->strip = json_object_get(n, "strip_accents");
      s->strip_set = true;
    }
  } else if (tk_str_eq(type, "Sequence")) {
    const json_t *list = json_object_get(n, "normalizers");
    size_t i;
    if (list && !json_is_array(list))
      return tk_err(s->c, TP_EFORMAT, "tokenizer.json",
                    "normalizer: Sequence.normalizers is not a list");
    for (i = 0; i < json_array_size(list); i++) {
      tp_status st = parse_normalizer(s, json_array_get(list, i), depth + 1);
      if (st != TP_OK) return st;
    }
  }
  return TP_OK;
}

/* ---- post-processor ---------------------------------------------------------- */

/* elem.get(outer, {}).get('id'): elem must be an object (the reference
 * calls .get on it), and so must elem[outer] when present. */
static tp_status sub_id(sv_state *s, const json_t *elem, const char *outer,
                        const char *where, const json_t **out) {
  const json_t *o;
  *out = NULL;
  if (!json_is_object(elem))
    return tk_err(s->c, TP_EFORMAT, "tokenizer.json",
                  "post_processor: %s: an entry is not an object", where);
  o = json_object_get(elem, outer);
  if (!o) return TP_OK;
  if (!json_is_object(o))
    return tk_err(s->c, TP_EFORMAT, "tokenizer.json",
                  "post_processor: %s: %s is not an object", where, outer);
  *out = json_object_get(o, "id");
  return TP_OK;
}

typedef struct specials {
  const json_t *bos, *cls, *eos, *sep;
} specials;

static tp_status template_processing(sv_state *s, const json_t *proc,
                                     specials *sp, bool tc_truthy) {
  const json_t *single = json_object_get(proc, "single");
  const json_t *pair = json_object_get(proc, "pair");
  const json_t *first = NULL, *last = NULL, *id;
  size_t ns, np, start, stop;
  tp_status st;

  if (single && !json_is_array(single))
    return tk_err(s->c, TP_EFORMAT, "tokenizer.json",
                  "post_processor: TemplateProcessing.single is not a list");
  if (pair && !json_is_array(pair) && !json_is_null(pair))
    return tk_err(s->c, TP_EFORMAT, "tokenizer.json",
                  "post_processor: TemplateProcessing.pair is not a list");
  ns = json_array_size(single);
  np = json_array_size(pair);
  if (ns > 1) {
    st = sub_id(s, json_array_get(single, 0), "SpecialToken", "single", &first);
    if (st != TP_OK) return st;
    if (tk_truthy(first)) {
      if (!tc_truthy) {
        sp->bos = first;
      } else if (!in2(first, sp->bos, sp->cls)) {
        if (!tk_truthy(sp->bos)) tc_set(s, "bos_token", sp->bos = first);
        if (!tk_truthy(sp->cls)) tc_set(s, "cls_token", sp->cls = first);
      }
      add_set(s, "bos", in2(first, sp->bos, sp->cls));
    }
    st = sub_id(s, json_array_get(single, ns - 1), "SpecialToken", "single",
                &last);
    if (st != TP_OK) return st;
    if (tk_truthy(last)) {
      if (!tc_truthy) {
        sp->eos = last;
      } else if (!tk_pyeq(last, sp->eos)) {
        if (!has_type(s, "eot") && s->ntypes < MAX_TYPES) {
          s->types[s->ntypes++] = "eot";
          tc_set(s, "eot_token", sp->eos);
        } else if (!has_type(s, "eom") && s->ntypes < MAX_TYPES) {
          s->types[s->ntypes++] = "eom";
          tc_set(s, "eom_token", sp->eos);
        }
        tc_set(s, "eos_token", sp->eos = last);
      }
      add_set(s, "eos", tk_pyeq(last, sp->eos));
    }
  }
  if (!np) return TP_OK;
  start = 0;
  stop = np;
  if (tk_truthy(first)) {
    st = sub_id(s, json_array_get(pair, 0), "SpecialToken", "pair", &id);
    if (st != TP_OK) return st;
    if (tk_pyeq(id, first)) start = 1;
  }
  if (tk_truthy(last)) {
    st = sub_id(s, json_array_get(pair, np - 1), "SpecialToken", "pair", &id);
    if (st != TP_OK) return st;
    if (tk_pyeq(id, last)) stop = np - 1;
  }
  if (start < stop) {
    const json_t *a, *b;
    st = sub_id(s, json_array_get(pair, start), "Sequence", "pair", &a);
    if (st == TP_OK)
      st = sub_id(s, json_array_get(pair, stop - 1), "Sequence", "pair", &b);
    if (st != TP_OK) return st;
    /* A [sep] [eos] B */
    if (tk_str_eq(a, "A") && tk_str_eq(b, "B") && stop - start > 2) {
      bool add_sep = false;
      const json_t *entry;
      size_t mid = stop - start - 2;
      st = sub_id(s, json_array_get(pair, start + 1), "SpecialToken", "pair",
                  &entry);
      if (st != TP_OK) return st;
      if (tk_truthy(entry) && in2(entry, sp->sep, sp->eos) && !tk_truthy(last))
        add_sep = true;
      if (mid == 2) {
        st = sub_id(s, json_array_get(pair, start + 2), "SpecialToken", "pair",
                    &entry);
        if (st != TP_OK) return st;
        if (tk_truthy(entry) && in2(entry, sp->sep, sp->eos)) add_sep = true;
      }
      add_set(s, "sep", add_sep);
      if (add_sep && !tk_truthy(sp->sep) && tc_truthy)
        tc_set(s, "sep_token", sp->eos);
    }
  }
  return TP_OK;
}

/* processor.get(key, [fallback])[0] */
static tp_status roberta_first(sv_state *s, const json_t *proc, const char *key,
                               const json_t *fallback, const json_t **out) {
  const json_t *v = json_object_get(proc, key);
  if (!v) {
    *out = fallback;
    return TP_OK;
  }
  if (!json_is_array(v) || !json_array_size(v))
    return tk_err(s->c, TP_EFORMAT, "tokenizer.json",
                  "post_processor: RobertaProcessing.%s is not a non-empty "
                  "list", key);
  *out = json_array_get(v, 0);
  return TP_OK;
}

static tp_status load_tokenizer_json(sv_state *s) {
  tk_ctx *c = s->c;
  const json_t *tj = c->in->tokenizer_json, *tc = c->in->tokenizer_config;
  bool tc_truthy = tk_truthy(tc);
  specials sp;
  const json_t *pp;
  size_t i;
  tp_status st;

  s->added = NULL;
  if (tj) {
    if (s->a->load_merges) {
      const json_t *model = json_object_get(tj, "model");
      const json_t *merges;
      if (model && !json_is_object(model))
        return tk_err(c, TP_EFORMAT, "tokenizer.json", "model is not an object");
      merges = tk_get(model, "merges");
      if (json_is_array(merges) && json_array_size(merges)) {
        st = merges_from_json(s, merges);
        if (st != TP_OK) return st;
      }
    }
    if (tk_truthy(json_object_get(tj, "normalizer"))) {
      st = parse_normalizer(s, json_object_get(tj, "normalizer"), 0);
      if (st != TP_OK) return st;
    }
    s->added = json_object_get(tj, "added_tokens");
    if (s->added && !json_is_array(s->added)) {
      if (json_is_object(s->added) && !json_object_size(s->added))
        s->added = NULL;
      else
        return tk_err(c, TP_EFORMAT, "tokenizer.json",
                      "added_tokens is not a list");
    }
  }
  sp.bos = tc_get(s, "bos_token");
  sp.cls = tc_get(s, "cls_token");
  sp.eos = tc_get(s, "eos_token");
  sp.sep = tc_get(s, "sep_token");
  if (tk_truthy(tj)) {
    if (!tk_truthy(sp.bos) && tk_truthy(sp.cls) && tc_truthy)
      tc_set(s, "bos_token", sp.bos = sp.cls);
    if (!tk_truthy(sp.eos) && tk_truthy(sp.sep) && tc_truthy)
      tc_set(s, "eos_token", sp.eos = sp.sep);
    pp = json_object_get(tj, "post_processor");
    if (tk_truthy(pp)) {
      const json_t *procs;
      size_t n;
      if (!json_is_object(pp))
        return tk_err(c, TP_EFORMAT, "tokenizer.json",
                      "post_processor is not an object");
      procs = json_object_get(pp, "processors");
      if (procs && !json_is_array(procs))
        return tk_err(c, TP_EFORMAT, "tokenizer.json",
                      "post_processor.processors is not a list");
      n = procs ? json_array_size(procs) : 1;
      for (i = 0; i < n; i++) {
        const json_t *p = procs ? json_array_get(procs, i) : pp;
        const json_t *type;
        if (!json_is_object(p))
          return tk_err(c, TP_EFORMAT, "tokenizer.json",
                        "post_processor.processors[%zu] is not an object", i);
        type = json_object_get(p, "type");
        if (tk_str_eq(type, "ByteLevel")) {
          add_setdefault(s, "bos", false);
          add_setdefault(s, "eos", false);
        } else if (tk_str_eq(type, "RobertaProcessing")) {
          add_set(s, "bos", true);
          add_set(s, "eos", true);
          add_set(s, "sep", true);
          if (!tk_truthy(sp.cls) && tc_truthy) {
            st = roberta_first(s, p, "cls", sp.bos, &sp.cls);
            if (st != TP_OK) return st;
            tc_set(s, "cls_token", sp.cls);
          }
          if (!tk_truthy(sp.sep) && tc_truthy) {
            st = roberta_first(s, p, "sep", sp.eos, &sp.sep);
            if (st != TP_OK) return st;
            tc_set(s, "sep_token", sp.sep);
          }
        } else if (tk_str_eq(type, "TemplateProcessing")) {
          st = template_processing(s, p, &sp, tc_truthy);
          if (st != TP_OK) return st;
        }
      }
    }
  }
  if (!tc_truthy) return TP_OK;

  /* chat template: tokenizer_config's, else chat_template.jinja (with the
   * additional templates as a named list), else chat_template.json */
  {
    const json_t *v = json_object_get(tc, "chat_template");
    if (v) {
      s->ct = CT_JSON;
      s->ct_json = v;
    } else if (c->in->chat_template) {
      s->ct = CT_FILES;
    } else if (c->in->chat_template_json) {
      if (!json_is_object(c->in->chat_template_json))
        return tk_err(c, TP_EFORMAT, "chat_template.json", "not an object");
      v = json_object_get(c->in->chat_template_json, "chat_template");
      s->ct = CT_JSON;
      s->ct_json = v;
    }
    if (s->ct == CT_JSON &&
        !(!s->ct_json || json_is_null(s->ct_json) ||
          json_is_string(s->ct_json) || json_is_array(s->ct_json)))
      s->ct = CT_NONE; /* the reference warns "Bad type" and ignores it */
    if (s->ct == CT_JSON && (!s->ct_json || json_is_null(s->ct_json)))
      s->ct = CT_NONE;
  }

  for (i = 0; i < s->ntypes; i++) {
    const char *typ = s->types[i];
    char key[48];
    const json_t *e, *content, *id;
    tp_string cs;
    snprintf(key, sizeof key, "add_%s_token", typ);
    e = json_object_get(tc, key);
    if (e && json_is_boolean(e) && !add_has(s, typ))
      add_set(s, typ, json_is_true(e));
    snprintf(key, sizeof key, "%s_token", typ);
    e = tc_get(s, key);
    if (tk_is_str(e)) {
      cs = tk_str(e);
    } else if (e && json_is_object(e)) {
      content = json_object_get(e, "content");
      if (!tk_is_str(content)) continue;
      cs = tk_str(content);
    } else {
      continue;
    }
    if (!s->added) continue;
    st = added_id(s, cs, &id);
    if (st == TP_OK) st = set_special(s, typ, id, "tokenizer_config.json");
    if (st != TP_OK) return st;
  }
  return TP_OK;
}

static tp_status load_config_json(sv_state *s) {
  const json_t *cfg = s->c->in->config;
  size_t i;
  if (!cfg) return TP_OK;
  for (i = 0; i < s->ntypes; i++) {
    char key[48];
    const json_t *id;
    tp_status st;
    snprintf(key, sizeof key, "%s_token_id", s->types[i]);
    id = json_object_get(cfg, key);
    if (!id || json_is_null(id)) id = tk_get(json_object_get(cfg, "text_config"), key);
    st = set_special(s, s->types[i], id, "config.json");
    if (st != TP_OK) return st;
  }
  return TP_OK;
}

/* ---- add_to_gguf --------------------------------------------------------------- */

static const char *id_key(const char *typ) {
  static const char *const map[][2] = {
      {"bos", "tokenizer.ggml.bos_token_id"},
      {"eos", "tokenizer.ggml.eos_token_id"},
      {"unk", "tokenizer.ggml.unknown_token_id"},
      {"sep", "tokenizer.ggml.seperator_token_id"},
      {"pad", "tokenizer.ggml.padding_token_id"},
      {"mask", "tokenizer.ggml.mask_token_id"},
      {"eot", "tokenizer.ggml.eot_token_id"},
      {"eom", "tokenizer.ggml.eom_token_id"}};
  size_t i;
  for (i = 0; i < TP_ARRAY_LEN(map); i++)
    if (!strcmp(map[i][0], typ)) return map[i][1];
  return NULL; /* cls, prefix, ...: gguf-py has no add_<typ>_token_id */
}

static const char *add_key(const char *typ) {
  if (!strcmp(typ, "bos")) return "tokenizer.ggml.add_bos_token";
  if (!strcmp(typ, "eos")) return "tokenizer.ggml.add_eos_token";
  if (!strcmp(typ, "sep")) return "tokenizer.ggml.add_sep_token";
  return NULL;
}

/* The name with every character outside [A-Za-z0-9] as '_' (one '_' per
 * code point, as Python iterates characters). */
static char *sanitize_name(tk_ctx *c, tp_string n) {
  char *o = tp_arena_alloc(&c->arena, n.len + 1), *p = o;
  size_t i = 0;
  if (!o) return NULL;
  while (i < n.len) {
    unsigned char ch = (unsigned char)n.data[i];
    uint32_t cp;
    size_t l;
    if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
        (ch >= '0' && ch <= '9')) {
      *p++ = (char)ch;
      i++;
      continue;
    }
    l = tp_utf8_decode((const unsigned char *)n.data + i, n.len - i, &cp);
    *p++ = '_';
    i += l ? l : 1;
  }
  *p = 0;
  return o;
}

typedef struct named_tmpl {
  tp_string name; /* raw */
  tp_string text;
  bool has_text;
} named_tmpl;

/* GGUFWriter.add_chat_template for a list of {name, template} */
static tp_status put_template_list(sv_state *s, const named_tmpl *t, size_t n,
                                   const char *file) {
  tk_ctx *c = s->c;
  tp_string *names = tp_arena_alloc(&c->arena, (n ? n : 1) * sizeof *names);
  tp_string def = {NULL, 0};
  size_t i, j, nn = 0;
  tp_status st;
  if (!names) return TP_ENOMEM;
  for (i = 0; i < n; i++) {
    char *name = sanitize_name(c, t[i].name), *key;
    size_t len;
    if (!name) return TP_ENOMEM;
    len = strlen(name);
    if (!len || !t[i].has_text) continue;
    if (!strcmp(name, "default")) {
      def = t[i].text;
      continue;
    }
    for (j = 0; j < nn; j++)
      if (names[j].len == len && !memcmp(names[j].data, name, len)) break;
    if (j == nn) {
      names[nn].data = name;
      names[nn].len = len;
      nn++;
    }
    key = tk_printf(c, "tokenizer.chat_template.%s", name);
    if (!key) return TP_ENOMEM;
    st = tk_put_str(&c->kv, key, t[i].text.data, t[i].text.len);
    if (st != TP_OK) return st;
  }
  (void)file;
  /* the reference lists the names of a Python set (arbitrary order); they
   * are written in order of first appearance */
  st = tk_put_strings(&c->kv, "tokenizer.chat_templates", names, nn);
  if (st != TP_OK) return st;
  if (!def.data) return TP_OK;
  return tk_put_str(&c->kv, "tokenizer.chat_template", def.data, def.len);
}

static tp_status put_chat_template(sv_state *s) {
  tk_ctx *c = s->c;
  const char *file = c->in->tokenizer_config &&
                             json_object_get(c->in->tokenizer_config,
                                             "chat_template")
                         ? "tokenizer_config.json"
                         : "chat_template.json";
  if (s->ct == CT_FILES) {
    size_t n = c->in->n_extra_templates, i;
    named_tmpl *t;
    if (!n)
      return tk_put_str(&c->kv, "tokenizer.chat_template", c->in->chat_template,
                        c->in->chat_template_len);
    t = tp_arena_alloc(&c->arena, (n + 1) * sizeof *t);
    if (!t) return TP_ENOMEM;
    t[0].name.data = "default";
    t[0].name.len = 7;
    t[0].text.data = c->in->chat_template;
    t[0].text.len = c->in->chat_template_len;
    t[0].has_text = true;
    for (i = 0; i < n; i++) {
      const tp_named_text *x = &c->in->extra_templates[i];
      t[i + 1].name.data = x->name;
      t[i + 1].name.len = strlen(x->name);
      t[i + 1].text.data = x->text;
      t[i + 1].text.len = x->len;
      t[i + 1].has_text = true;
    }
    return put_template_list(s, t, n + 1, "additional_chat_templates");
  }
  if (s->ct != CT_JSON) return TP_OK;
  if (json_is_string(s->ct_json)) {
    tp_string v = tk_str(s->ct_json);
    return tk_put_str(&c->kv, "tokenizer.chat_template", v.data, v.len);
  }
  {
    size_t n = json_array_size(s->ct_json), i;
    named_tmpl *t = tp_arena_alloc(&c->arena, (n ? n : 1) * sizeof *t);
    if (!t) return TP_ENOMEM;
    for (i = 0; i < n; i++) {
      const json_t *e = json_array_get(s->ct_json, i), *name, *tmpl;
      if (!json_is_object(e))
        return tk_err(c, TP_EFORMAT, file, "chat_template[%zu] is not an object",
                      i);
      name = json_object_get(e, "name");
      tmpl = json_object_get(e, "template");
      t[i].name.data = "";
      t[i].name.len = 0;
      if (name) {
        if (!tk_is_str(name))
          return tk_err(c, TP_EFORMAT, file,
                        "chat_template[%zu].name is not a string", i);
        t[i].name = tk_str(name);
      }
      t[i].has_text = tmpl && !json_is_null(tmpl);
      if (t[i].has_text) {
        if (!tk_is_str(tmpl))
          return tk_err(c, TP_EFORMAT, file,
                        "chat_template[%zu].template is not a string", i);
        t[i].text = tk_str(tmpl);
      }
    }
    return put_template_list(s, t, n, file);
  }
}

static tp_status add_to_gguf(sv_state *s) {
  tk_ctx *c = s->c;
  size_t i;
  tp_status st = TP_OK;
  if (s->nmerges)
    st = tk_put_strings(&c->kv, "tokenizer.ggml.merges", s->merges, s->nmerges);
  for (i = 0; i < s->nids && st == TP_OK; i++) {
    const char *key = id_key(s->ids[i].typ);
    if (!key) continue;
    if (s->ids[i].id > (int64_t)UINT32_MAX)
      return tp_error(TP_EFORMAT, "%s: %s token id %lld does not fit the "
                      "UINT32 of %s", c->dir, s->ids[i].typ,
                      (long long)s->ids[i].id, key);
    st = tk_put_u32(&c->kv, key, (uint32_t)s->ids[i].id);
  }
  for (i = 0; i < s->nadd && st == TP_OK; i++) {
    const char *key = add_key(s->add[i].typ);
    if (key) st = tk_put_bool(&c->kv, key, s->add[i].v);
  }
  if (st == TP_OK && !s->a->drop_chat_template) st = put_chat_template(s);
  if (st == TP_OK && s->lower_set && s->lower && !json_is_null(s->lower))
    st = tk_put_bool(&c->kv, "tokenizer.ggml.normalizer.lowercase",
                     tk_truthy(s->lower));
  if (st == TP_OK && s->strip_set && s->strip && !json_is_null(s->strip))
    st = tk_put_bool(&c->kv, "tokenizer.ggml.normalizer.strip_accents",
                     tk_truthy(s->strip));
  return st;
}

tp_status tk_special_vocab(tk_ctx *c, const tk_special_args *a) {
  sv_state s;
  size_t i;
  tp_status st;
  memset(&s, 0, sizeof s);
  s.c = c;
  s.a = a;
  if (a->types) {
    for (i = 0; i < a->ntypes && i < MAX_TYPES; i++) s.types[i] = a->types[i];
    s.ntypes = i;
  } else {
    for (i = 0; i < TP_ARRAY_LEN(k_default_types); i++)
      s.types[i] = k_default_types[i];
    s.ntypes = i;
  }
  tp_strmap_init(&s.added_map);
  st = load_tokenizer_json(&s);
  if (st == TP_OK) st = load_config_json(&s);
  if (st == TP_OK && a->load_merges && !s.nmerges && c->in->merges_txt)
    st = merges_from_txt(&s);
  for (i = 0; st == TP_OK && i < a->nforce; i++) {
    json_t *id = json_integer(a->force_ids[i]);
    if (!id) {
      st = tp_error_nomem(sizeof(json_t));
      break;
    }
    st = set_special(&s, a->force_types[i], id, "(converter)");
    json_decref(id);
  }
  if (st == TP_OK) st = add_to_gguf(&s);
  tp_strmap_free(&s.added_map);
  return st;
}
