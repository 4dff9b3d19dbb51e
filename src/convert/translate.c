/*
 * translate.c - Hugging Face checkpoint -> GGUF names, transforms and
 * metadata (translate.h).
 *
 * The architecture profile maps the checkpoint's tensors to llama.cpp's
 * (src/arch/tensors.c) and each output tensor becomes a tensor source that
 * applies its transform while the executor reads it in chunks: the Q/K row
 * interleave (a row permutation), stacked MoE experts (a concatenation),
 * gemma's norm + 1 (an elementwise map into F32), a trimmed vocabulary (a
 * slice), synthesized rope factors (memory). Nothing holds a tensor in
 * memory, so the memory bound is the executor's. The metadata is the
 * profile's general.* and {arch}.* program followed by the tokenizer's keys.
 */
#include "translate.h"

#include "../arch/profile.h"
#include "../dtype/dtype.h"
#include "../formats/gguf/policy.h"
#include "../formats/safetensors/safetensors.h"
#include "../model/docs.h"
#include "../tokenizer/tokenizer.h"

#include <stdio.h>
#include <stdlib.h>

int tp_translate_needed(const tp_layout *L) {
  const tp_format_ops *from = tp_model_format_ops(L->src);
  if (L->opts.flags & TP_CONVERT_KEEP_NAMES) return 0;
  /* GGUF -> a Hugging Face folder (a single SafeTensors file is no model
   * folder: it keeps GGUF's names and metadata, as before) */
  if (from->naming == TP_NAMING_GGUF && L->target->naming == TP_NAMING_HF)
    return (L->target->info.caps & TP_FORMAT_IS_FOLDER) ? 2 : 0;
  if (from->naming != TP_NAMING_HF || L->target->naming != TP_NAMING_GGUF) return 0;
  /* a SafeTensors file made from a GGUF goes back as it came, by its
   * encoded metadata, unless it also has the folder of a real checkpoint */
  if (!tp_model_doc(L->src, "config.json") && L->src->meta.n) {
    size_t i;
    for (i = 0; i < L->src->meta.n; i++)
      if (L->src->meta.items[i].key_len > 5 &&
          !memcmp(L->src->meta.items[i].key, "gguf:", 5))
        return 0;
  }
  return 1;
}

/* ---- sources ---------------------------------------------------------------- */

typedef struct tr_ctx {
  tp_layout *L;
  int forward;            /* HF -> GGUF (the reference's work types apply) */
  tp_source **tensor_src; /* per source tensor, made on first use */
} tr_ctx;

/* Hands a just-made source (*s, after its constructor returned st) to the
 * layout and makes it *out. */
static tp_status own(tr_ctx *c, tp_status st, tp_source **s, tp_source **out) {
  if (st != TP_OK) return st;
  st = tp_layout_own_source(c->L, *s);
  if (st == TP_OK) *out = *s;
  return st;
}

static tp_status tensor_source(tr_ctx *c, size_t i, tp_source **out) {
  tp_source *s = NULL;
  if (c->tensor_src[i]) {
    *out = c->tensor_src[i];
    return TP_OK;
  }
  tp_status st = own(c, tp_source_tensor(&s, c->L->src, i), &s, out);
  if (st == TP_OK) c->tensor_src[i] = s;
  return st;
}

static tp_status add_one_map(float *dst, tp_type t, const void *src, size_t n) {
  return tp_arch_xform_add_one(dst, t, src, n);
}

static tp_status sub_one_map(float *dst, tp_type t, const void *src, size_t n) {
  if (t != TP_TYPE_F32)
    return tp_error(TP_EINVAL, "internal: norm - 1 of %s", tp_type_name(t));
  tp_arch_xform_sub_one(dst, (const float *)src, n);
  return TP_OK;
}

/* The source of one output tensor of the mapping. */
static tp_status make_source(tr_ctx *c, const tp_arch_out_tensor *o,
                             tp_source **out) {
  tp_source *base = NULL, *s = NULL;
  tp_status st = TP_OK;
  size_t k;
  *out = NULL;
  if (o->xform == TP_ARCH_XFORM_SYNTH)
    return own(c, tp_source_memory(&s, TP_TYPE_F32, o->synth,
                                   (uint64_t)o->n_synth * sizeof(float)),
               &s, out);
  if (!o->n_src) return tp_error(TP_EINVAL, "internal: %s has no source", o->name);
  if (o->n_src == 1) {
    st = tensor_source(c, o->src[0], &base);
  } else {
    const tp_source **parts = tp_calloc(o->n_src, sizeof *parts);
    if (!parts) return TP_ENOMEM;
    for (k = 0; st == TP_OK && k < o->n_src; k++) {
      tp_source *p = NULL;
      st = tensor_source(c, o->src[k], &p);
      parts[k] = p;
    }
    if (st == TP_OK) st = own(c, tp_source_concat(&s, parts, o->n_src), &s, &base);
    free(parts);
  }
  if (st != TP_OK) return st;
  switch (o->xform) {
  case TP_ARCH_XFORM_COPY:
    break;
  case TP_ARCH_XFORM_PERMUTE_QK: {
    const tp_tensor *t = &c->L->src->tensors[o->src[0]];
    uint64_t rows = t->ndim ? t->shape[0] : 1, r, *perm;
    if (rows > SIZE_MAX / sizeof *perm) return tp_error_nomem(SIZE_MAX);
    perm = tp_malloc((size_t)rows * sizeof *perm);
    if (!perm) return TP_ENOMEM;
    for (r = 0; st == TP_OK && r < rows; r++)
      st = tp_arch_xform_permute_row(rows, o->xform_arg, 0, r, &perm[r]);
    if (st == TP_OK) st = own(c, tp_source_rows(&s, base, rows, perm), &s, &base);
    free(perm);
    break;
  }
  case TP_ARCH_XFORM_ADD_ONE:
    st = own(c, tp_source_map(&s, base, add_one_map), &s, &base);
    break;
  case TP_ARCH_XFORM_FIRST_ROWS: {
    const tp_tensor *t = &c->L->src->tensors[o->src[0]];
    uint64_t rows = t->ndim ? t->shape[0] : 1;
    st = own(c, tp_source_slice(&s, base, 0, base->nbytes / rows * o->xform_arg), &s,
             &base);
    break;
  }
  case TP_ARCH_XFORM_UNPERMUTE_QK: {
    const tp_tensor *t = &c->L->src->tensors[o->src[0]];
    uint64_t rows = t->ndim ? t->shape[0] : 1, r, *perm;
    if (rows > SIZE_MAX / sizeof *perm) return tp_error_nomem(SIZE_MAX);
    perm = tp_malloc((size_t)rows * sizeof *perm);
    if (!perm) return TP_ENOMEM;
    for (r = 0; st == TP_OK && r < rows; r++)
      st = tp_arch_xform_permute_row(rows, o->xform_arg, 1, r, &perm[r]);
    if (st == TP_OK) st = own(c, tp_source_rows(&s, base, rows, perm), &s, &base);
    free(perm);
    break;
  }
  case TP_ARCH_XFORM_SUB_ONE:
    if (base->type != TP_TYPE_F32)
      st = own(c, tp_source_cast(&s, base, TP_TYPE_F32), &s, &base);
    if (st == TP_OK) st = own(c, tp_source_map(&s, base, sub_one_map), &s, &base);
    break;
  case TP_ARCH_XFORM_EXPERT: {
    const tp_tensor *t = &c->L->src->tensors[o->src[0]];
    uint64_t n = t->ndim ? t->shape[0] : 1, per = n ? base->nbytes / n : 0;
    st = own(c, tp_source_slice(&s, base, per * o->xform_arg, per), &s, &base);
    break;
  }
  default:
    return tp_error(TP_EUNSUPPORTED, "internal: transform %s of %s",
                    tp_arch_xform_name(o->xform), o->name);
  }
  /* the reference turns every type but F16 and F32 into F32 first; BF16
   * widens exactly, so only types that would round twice need the cast */
  if (st == TP_OK && c->forward && o->work_type != base->type &&
      base->type != TP_TYPE_BF16 &&
      o->xform != TP_ARCH_XFORM_ADD_ONE)
    st = own(c, tp_source_cast(&s, base, o->work_type), &s, &base);
  if (st == TP_OK) *out = base;
  return st;
}

/* ---- entries ----------------------------------------------------------------- */

static tp_status set_entries(tp_layout *L, const tp_arch_mapping *map,
                             int forward) {
  tr_ctx c;
  size_t n = tp_arch_mapping_count(map), i;
  tp_status st = TP_OK;
  memset(&c, 0, sizeof c);
  c.L = L;
  c.forward = forward;
  c.tensor_src = tp_calloc(L->src->ntensors ? L->src->ntensors : 1,
                           sizeof *c.tensor_src);
  if (!c.tensor_src) return TP_ENOMEM;
  L->n = 0;
  if (n > L->cap)
    st = tp_grow((void **)&L->entries, &L->cap, n, sizeof *L->entries);
  for (i = 0; st == TP_OK && i < n; i++) {
    const tp_arch_out_tensor *o = tp_arch_mapping_at(map, i);
    tp_out_tensor *e = &L->entries[L->n];
    tp_source *s = NULL;
    memset(e, 0, sizeof *e);
    st = make_source(&c, o, &s);
    if (st != TP_OK) break;
    e->name = tp_arena_strndup(&L->arena, o->name, strlen(o->name));
    if (!e->name) {
      st = TP_ENOMEM;
      break;
    }
    e->name_len = strlen(o->name);
    e->src = o->n_src ? o->src[0] : 0;
    e->source = s;
    e->src_type = e->dst_type = s->type;
    e->ndim = o->ndim;
    memcpy(e->shape, o->shape, sizeof e->shape);
    if (!tp_shape_nelements(e->ndim, e->shape, &e->nelements) ||
        !tp_type_nbytes(s->type, e->nelements, &e->src_nbytes) ||
        e->src_nbytes != s->nbytes) {
      st = tp_error(TP_EINVAL, "internal: %s: the output shape does not hold "
                    "its source's %llu bytes", o->name,
                    (unsigned long long)s->nbytes);
      break;
    }
    e->keep_f32 = o->keep_f32 ? (o->why ? o->why : "kept F32") : NULL;
    L->n++;
  }
  free(c.tensor_src);
  return st;
}

/* ---- tokenizer ----------------------------------------------------------------- */

static tp_status tokenizer_kvs(tp_layout *L, const char *arch, uint64_t n_vocab) {
  const tp_model *m = L->src;
  tp_hf_tokenizer_input in;
  tp_named_text *extra = NULL;
  size_t i, nx = 0, cap = 0, len;
  const char *name;
  tp_status st = TP_OK;
  memset(&in, 0, sizeof in);
  in.dir = tp_model_path(m);
  in.tokenizer_json = tp_model_doc(m, "tokenizer.json");
  in.tokenizer_config = tp_model_doc(m, "tokenizer_config.json");
  in.config = tp_model_doc(m, "config.json");
  in.special_tokens_map = tp_model_doc(m, "special_tokens_map.json");
  in.added_tokens = tp_model_doc(m, "added_tokens.json");
  in.chat_template_json = tp_model_doc(m, "chat_template.json");
  in.spm_model = (const uint8_t *)tp_model_text(m, "tokenizer.model", &in.spm_model_len);
  in.chat_template = tp_model_text(m, "chat_template.jinja", &in.chat_template_len);
  in.vocab_txt = tp_model_text(m, "vocab.txt", &in.vocab_txt_len);
  in.merges_txt = tp_model_text(m, "merges.txt", &in.merges_txt_len);
  in.pre_override = L->opts.tokenizer_pre;
  in.arch = arch;
  in.kind = TP_VOCAB_AUTO;
  in.n_vocab = n_vocab;
  /* additional_chat_templates/<name>.jinja, attached in name order */
  for (i = 0; st == TP_OK && (name = tp_model_doc_at(m, i, NULL, NULL)) != NULL; i++) {
    static const char dirp[] = "additional_chat_templates/";
    size_t nl = strlen(name);
    if (nl <= sizeof dirp - 1 + 6 || memcmp(name, dirp, sizeof dirp - 1)) continue;
    st = tp_grow((void **)&extra, &cap, nx + 1, sizeof *extra);
    if (st != TP_OK) break;
    extra[nx].text = tp_model_text(m, name, &len);
    extra[nx].len = len;
    /* the name the reference uses: the file stem */
    extra[nx].name = tp_arena_strndup(&L->arena, name + sizeof dirp - 1,
                                      nl - (sizeof dirp - 1) - 6);
    if (!extra[nx].name || !extra[nx].text) st = TP_ENOMEM;
    else nx++;
  }
  in.extra_templates = extra;
  in.n_extra_templates = nx;
  if (st == TP_OK) st = tp_tokenizer_to_gguf(&in, &L->meta);
  free(extra);
  return st;
}

/* ---- the GGUF metadata a folder carries --------------------------------------------- */

/* A GGUF -> HF folder keeps the source's every KV and tensor order in this
 * side file, encoded as SafeTensors metadata carries them (gguf_meta.c), so
 * that HF -> GGUF gives the metadata back exactly; delete the file to let
 * config.json and the tokenizer files decide instead. */
#define TP_GGUF_SIDE_FILE "gguf_metadata.json"

static bool is_split_key(const char *k, size_t n) {
  return n > 6 && !memcmp(k, "split.", 6);
}

static tp_status add_metadata_side(tp_layout *L) {
  const tp_model *m = L->src;
  tp_metastore neutral, enc;
  json_t *obj = NULL;
  char *text = NULL;
  size_t i;
  tp_status st = TP_OK;
  tp_meta_init(&neutral);
  tp_meta_init(&enc);
  for (i = 0; st == TP_OK && i < m->meta.n; i++)
    if (!is_split_key(m->meta.items[i].key, m->meta.items[i].key_len))
      st = tp_meta_set(&neutral, m->meta.items[i].key, m->meta.items[i].key_len,
                       &m->meta.items[i].val, 1);
  if (st == TP_OK) st = tp_gguf_meta_to_safetensors(&neutral, &enc);
  if (st == TP_OK) st = tp_gguf_tensor_order_to_safetensors(m->tensors, m->ntensors, &enc);
  if (st == TP_OK && !(obj = json_object())) st = TP_ENOMEM;
  for (i = 0; st == TP_OK && i < enc.n; i++) {
    const tp_value *v = &enc.items[i].val;
    json_t *js = v->type == TP_VALUE_STRING ? json_stringn(v->v.s.data, v->v.s.len) : NULL;
    if (!js || json_object_setn_new(obj, enc.items[i].key, enc.items[i].key_len, js))
      st = tp_error(TP_EINVAL, "internal: metadata entry %zu cannot be written", i);
  }
  if (st == TP_OK && !(text = json_dumps(obj, JSON_INDENT(1) | JSON_SORT_KEYS)))
    st = TP_ENOMEM;
  if (st == TP_OK) {
    size_t n = strlen(text);
    text[n] = 0;
    st = tp_layout_add_side(L, TP_GGUF_SIDE_FILE, text, n);
  }
  free(text);
  json_decref(obj);
  tp_meta_free(&enc);
  tp_meta_free(&neutral);
  return st;
}

/* The side file's KVs instead of the generated ones, and its tensor order
 * (when it names exactly the entries). */
static tp_status use_metadata_side(tp_layout *L, const json_t *doc) {
  tp_metastore enc, kv;
  tp_arena a;
  tp_string *names = NULL;
  size_t n = 0, i, k;
  bool present = false;
  const char *key;
  json_t *v;
  tp_status st = TP_OK;
  tp_meta_init(&enc);
  tp_meta_init(&kv);
  tp_arena_init(&a);
  json_object_foreach((json_t *)doc, key, v) {
    if (!json_is_string(v)) {
      st = tp_error(TP_EFORMAT, "%s/%s: entry \"%.100s\" is not a string",
                    tp_model_path(L->src), TP_GGUF_SIDE_FILE, key);
      break;
    }
    st = tp_meta_set_str(&enc, key, json_string_value(v), json_string_length(v));
    if (st != TP_OK) break;
  }
  if (st == TP_OK) st = tp_gguf_meta_from_safetensors(&enc, &kv);
  if (st == TP_OK)
    st = tp_gguf_tensor_order_from_safetensors(&enc, &a, &names, &n, &present);
  if (st != TP_OK) {
    if (st != TP_ENOMEM) st = tp_error_prefix("%s/%s", tp_model_path(L->src), TP_GGUF_SIDE_FILE);
  } else {
    tp_meta_free(&L->meta);
    L->meta = kv;
    tp_meta_init(&kv);
    if (present && n == L->n) {
      /* names[k] is the k-th tensor of the original: put entries that way */
      tp_out_tensor *sorted = tp_malloc((n ? n : 1) * sizeof *sorted);
      bool ok = sorted != NULL;
      uint8_t *taken = tp_calloc(n ? n : 1, 1);
      ok = ok && taken;
      for (k = 0; ok && k < n; k++) {
        for (i = 0; i < L->n; i++)
          if (!taken[i] && L->entries[i].name_len == names[k].len &&
              !memcmp(L->entries[i].name, names[k].data, names[k].len))
            break;
        if (i == L->n) ok = false;
        else {
          sorted[k] = L->entries[i];
          taken[i] = 1;
        }
      }
      if (ok) memcpy(L->entries, sorted, n * sizeof *sorted);
      free(sorted);
      free(taken);
    }
  }
  tp_arena_free(&a);
  tp_meta_free(&kv);
  tp_meta_free(&enc);
  return st;
}

/* general.file_type set in place (where the reference or the original file
 * put it) to what the output type says. */
static tp_status relabel(tp_layout *L, uint32_t ftype) {
  size_t at = tp_meta_find(&L->meta, "general.file_type", 17);
  tp_value v;
  if (at == SIZE_MAX) return TP_OK;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_U32;
  v.v.u = ftype;
  return tp_meta_set_in_place(&L->meta, "general.file_type", 17, &v);
}

/* ---- GGUF -> Hugging Face folder ---------------------------------------------------- */

static const char *torch_dtype(tp_type t) {
  switch (t) {
  case TP_TYPE_F16: return "float16";
  case TP_TYPE_BF16: return "bfloat16";
  case TP_TYPE_F64: return "float64";
  default: return "float32";
  }
}

static tp_status add_json_side(tp_layout *L, const char *name, const json_t *j) {
  /* as transformers' save_pretrained writes it: indent 2, sorted keys */
  char *text = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
  tp_status st;
  size_t n;
  if (!text) return TP_ENOMEM;
  n = strlen(text);
  {
    char *t2 = tp_realloc(text, n + 2);
    if (!t2) {
      free(text);
      return TP_ENOMEM;
    }
    text = t2;
    text[n++] = '\n';
  }
  st = tp_layout_add_side(L, name, text, n);
  free(text);
  return st;
}

static tp_status translate_back(tp_layout *L) {
  const tp_model *m = L->src;
  const tp_arch_profile *prof = NULL;
  json_t *config = NULL, *gen = NULL;
  tp_arch_mapping *map = NULL;
  tp_hf_tokenizer_files tok;
  tp_type dt = TP_TYPE_F32;
  size_t i;
  tp_status st = tp_arch_for_gguf(&m->meta, &prof);
  memset(&tok, 0, sizeof tok);
  if (st == TP_EUNSUPPORTED)
    st = tp_error_prefix("%s: (or pass --keep-names to keep GGUF's tensor names "
                         "and metadata in the folder, which transformers will "
                         "not load)", tp_model_path(m));
  /* the folder's dtype: --type, else the token embedding's float type */
  if (L->opts.type >= 0) {
    dt = (tp_type)L->opts.type;
  } else {
    for (i = 0; i < m->ntensors; i++)
      if (!strcmp(m->tensors[i].name, "token_embd.weight") &&
          (m->tensors[i].type == TP_TYPE_F16 || m->tensors[i].type == TP_TYPE_BF16))
        dt = m->tensors[i].type;
  }
  if (st == TP_OK) st = tp_arch_hf_config(prof, m, torch_dtype(dt), &config, &gen);
  if (st == TP_OK) st = tp_arch_unmap_tensors(prof, m, config, &map);
  if (st == TP_OK) st = set_entries(L, map, 0);
  if (st == TP_OK) st = add_json_side(L, "config.json", config);
  if (st == TP_OK && gen) st = add_json_side(L, "generation_config.json", gen);
  if (st == TP_OK) {
    tp_status t = tp_tokenizer_from_gguf(&m->meta, tp_arch_gguf_name(prof), &tok);
    if (t == TP_OK) {
      st = tp_layout_add_side(L, "tokenizer.json", tok.tokenizer_json, tok.tokenizer_json_len);
      if (st == TP_OK)
        st = tp_layout_add_side(L, "tokenizer_config.json", tok.tokenizer_config,
                                tok.tokenizer_config_len);
      if (st == TP_OK)
        st = tp_layout_add_side(L, "special_tokens_map.json", tok.special_tokens_map,
                                tok.special_tokens_map_len);
    } else if (t != TP_ENOTFOUND) {
      st = t; /* no tokenizer in the GGUF: a folder without one */
    }
  }
  if (st == TP_OK) st = add_metadata_side(L);
  if (st == TP_OK) {
    /* the weights' own __metadata__ stays SafeTensors' ("format": "pt") */
    tp_meta_free(&L->meta);
    tp_meta_init(&L->meta);
    L->meta_typed = 1;
    /* the folder's dtype for the float tensors (quantized ones dequantize) */
    if (L->opts.type < 0) L->opts.type = (int)dt;
  }
  tp_hf_tokenizer_files_free(&tok);
  tp_arch_mapping_free(map);
  json_decref(config);
  json_decref(gen);
  return st;
}

/* ---- the whole translation ------------------------------------------------------- */

tp_status tp_translate(tp_layout *L) {
  const tp_model *m = L->src;
  if (tp_translate_needed(L) == 2) return translate_back(L);
  {
  tp_arch_folder *folder = NULL;
  tp_arch_inputs in;
  const tp_arch_profile *prof = NULL;
  tp_arch_src_tensor *src = NULL;
  tp_arch_mapping *map = NULL;
  uint64_t n_vocab = 0;
  size_t i;
  tp_status st = tp_arch_inputs_from_model(m, &folder, &in);
  if (st == TP_ENOTFOUND)
    st = tp_error(TP_EUNSUPPORTED,
                  "%s: no config.json, so the architecture is unknown: convert "
                  "the model folder (config.json and tokenizer beside the "
                  "weights), or pass --keep-names to keep the tensor names as "
                  "they are (llama.cpp will not load such a GGUF)",
                  tp_model_path(m));
  if (st == TP_OK) {
    st = tp_arch_for_config(in.config, &prof, NULL);
    if (st == TP_EUNSUPPORTED)
      st = tp_error_prefix("%s/config.json: (or pass --keep-names to keep the "
                           "tensor names, which llama.cpp will not load)",
                           tp_model_path(m));
  }
  in.model_name = L->opts.model_name;
  if (st == TP_OK) {
    src = tp_calloc(m->ntensors ? m->ntensors : 1, sizeof *src);
    if (!src) st = TP_ENOMEM;
  }
  for (i = 0; st == TP_OK && i < m->ntensors; i++) {
    const tp_tensor *t = &m->tensors[i];
    src[i].name = t->name;
    src[i].type = t->type;
    src[i].ndim = t->ndim;
    memcpy(src[i].shape, t->shape, sizeof src[i].shape);
    /* shards are opened in name order (hf.c), so the file index is the
     * shard's rank among the names */
    src[i].file = t->file;
  }
  if (st == TP_OK) st = tp_arch_map_tensors(prof, &in, src, m->ntensors, &map);
  if (st == TP_OK) st = set_entries(L, map, 1);
  for (i = 0; st == TP_OK && i < L->n; i++)
    if (!strcmp(L->entries[i].name, "token_embd.weight") && L->entries[i].ndim)
      n_vocab = L->entries[i].shape[0];
  /* a name that is both a preset and one of the reference converter's
   * output types (F16, BF16, Q8_0, F32) means its --outtype here */
  if (L->opts.ftype >= 0 && L->opts.type >= 0 && tp_gguf_reference_type(L->opts.type))
    L->opts.ftype = -1;
  /* the reference converter's default: --outtype auto */
  if (st == TP_OK && L->opts.type < 0 && L->opts.ftype < 0)
    L->opts.type = (int)tp_arch_mapping_auto_type(map);
  /* the file type the reference writes for the output type (a preset is
   * the F32 conversion quantized afterwards: its own policy relabels) */
  in.file_type = 0;
  if (L->opts.ftype < 0 && L->opts.type >= 0) {
    int ft = tp_ftype_for_type((tp_type)L->opts.type);
    in.file_type = ft >= 0 ? (uint32_t)ft : 0;
  }
  if (st == TP_OK) {
    tp_meta_free(&L->meta);
    tp_meta_init(&L->meta);
    st = tp_arch_gguf_kvs(prof, &in, map, &L->meta);
  }
  if (st == TP_OK) st = tokenizer_kvs(L, tp_arch_gguf_name(prof), n_vocab);
  /* a folder made from a GGUF: its metadata exactly as it was */
  if (st == TP_OK && tp_model_doc(m, TP_GGUF_SIDE_FILE)) {
    st = use_metadata_side(L, tp_model_doc(m, TP_GGUF_SIDE_FILE));
    if (st == TP_OK) st = relabel(L, in.file_type);
  }
  if (st == TP_OK) {
    L->meta_typed = 1;
    L->hf_rules = 1;
    if (L->opts.flags & TP_CONVERT_VOCAB_ONLY) L->n = 0;
  }
  tp_arch_mapping_free(map);
  free(src);
  tp_arch_folder_free(folder);
  return st;
  }
}
