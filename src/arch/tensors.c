/*
 * tensors.c - HF -> GGUF tensor mapping: the reference converter's
 * index_tensors / filter_tensors / prepare_tensors / modify_tensors
 * pipeline over tensor descriptions (no data), producing the output
 * tensors with their sources, transforms and F32 decisions, in the order
 * the reference writes them.
 */
#include "arch_impl.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- the mapping container ------------------------------------------------ */

tp_status tp_arch_mapping_new(tp_arch_mapping **out) {
  tp_arch_mapping *m = tp_calloc(1, sizeof *m);
  if (!m) return TP_ENOMEM;
  tp_arena_init(&m->arena);
  m->auto_type = TP_TYPE_F16;
  *out = m;
  return TP_OK;
}

tp_status tp_arch_mapping_push(tp_arch_mapping *m, tp_arch_out_tensor **t) {
  tp_status st = tp_grow((void **)&m->t, &m->cap, m->n + 1, sizeof *m->t);
  if (st != TP_OK) return st;
  *t = &m->t[m->n++];
  memset(*t, 0, sizeof **t);
  return TP_OK;
}

void tp_arch_mapping_free(tp_arch_mapping *m) {
  if (!m) return;
  tp_arena_free(&m->arena);
  free(m->t);
  free(m);
}

size_t tp_arch_mapping_count(const tp_arch_mapping *m) { return m ? m->n : 0; }

tp_type tp_arch_mapping_auto_type(const tp_arch_mapping *m) {
  return m ? m->auto_type : TP_TYPE_F16;
}

const tp_arch_out_tensor *tp_arch_mapping_at(const tp_arch_mapping *m,
                                             size_t i) {
  return m && i < m->n ? &m->t[i] : NULL;
}

void tp_arch_mapping_params(const tp_arch_mapping *m, uint64_t *total,
                            uint64_t *shared, uint64_t *expert,
                            uint64_t *expert_count) {
  uint64_t tot = 0, sh = 0, ex = 0, esum = 0, nexp = 0;
  size_t i;
  for (i = 0; m && i < m->n; i++) {
    const tp_arch_out_tensor *t = &m->t[i];
    uint64_t size = 1;
    uint32_t d;
    for (d = 0; d < t->ndim; d++) size *= t->shape[d];
    if (strstr(t->name, "_exps.")) {
      if (t->ndim >= 3) {
        uint64_t ec = t->shape[t->ndim - (strstr(t->name, ".bias") ? 2 : 3)];
        if (ec) ex += size / ec;
        esum += ec;
        nexp++;
      } else {
        sh += size;
      }
    } else {
      sh += size;
    }
    tot += size;
  }
  if (total) *total = tot;
  if (shared) *shared = sh;
  if (expert) *expert = ex;
  if (expert_count) *expert_count = nexp ? esum / nexp : 0;
}

/* ---- names ---------------------------------------------------------------- */

static bool starts_with(const char *s, const char *pre) {
  return !strncmp(s, pre, strlen(pre));
}

/* s.lower() == lower (lower is ASCII lower-case) */
static bool ascii_ieq(const char *s, const char *lower) {
  for (; *s && *lower; s++, lower++)
    if (tolower((unsigned char)*s) != *lower) return false;
  return !*s && !*lower;
}

/* Replaces every occurrence of what in s (Python str.replace(what, "")). */
static void remove_all(char *s, const char *what) {
  size_t wl = strlen(what);
  char *p;
  while ((p = strstr(s, what))) memmove(p, p + wl, strlen(p + wl) + 1);
}

/* The block id the reference uses: the first '.'-separated part that is all
 * ASCII digits. -1 when there is none. */
static long long first_number_part(const char *s) {
  const char *p = s;
  while (*p) {
    const char *e = strchr(p, '.');
    size_t n = e ? (size_t)(e - p) : strlen(p), i;
    bool dig = n > 0 && n <= 9;
    for (i = 0; dig && i < n; i++) dig = isdigit((unsigned char)p[i]) != 0;
    if (dig) return strtoll(p, NULL, 10);
    if (!e) break;
    p = e + 1;
  }
  return -1;
}

/* Matches name against a template holding {bid} (and {xid}); the numbers
 * must be written as Python's format writes them (no sign, no leading
 * zero) and bid must be < blocks, as the reference's map only has entries
 * for existing blocks. */
static bool match_template(const char *tpl, const char *name, uint32_t blocks,
                           long long *bid, long long *xid) {
  while (*tpl) {
    if (*tpl == '{') {
      bool is_bid = starts_with(tpl, "{bid}");
      long long v = 0;
      const char *start = name;
      if (!is_bid && !starts_with(tpl, "{xid}")) return false;
      while (isdigit((unsigned char)*name) && name - start < 9)
        v = v * 10 + (*name++ - '0');
      if (name == start || (name - start > 1 && *start == '0') ||
          isdigit((unsigned char)*name))
        return false;
      if (is_bid) {
        if (v >= blocks) return false;
        if (bid) *bid = v;
      } else if (xid) {
        *xid = v;
      }
      tpl += 5;
    } else if (*tpl++ != *name++) {
      return false;
    }
  }
  return *name == 0;
}

/* The GGUF name of role with bid, plus suffix, into buf. */
static void gguf_name(char *buf, size_t len, tp_arch_role role, long long bid,
                      const char *suffix) {
  const char *tpl = tp_arch_roles[role].gguf, *at = strstr(tpl, "{bid}");
  if (at)
    snprintf(buf, len, "%.*s%lld%s%s", (int)(at - tpl), tpl, bid, at + 5, suffix);
  else
    snprintf(buf, len, "%s%s", tpl, suffix);
}

/* map_tensor_name (TensorNameMap.get_name with try_suffixes .weight, .bias):
 * the role of a non-expert rule and the GGUF name. GGUF names map to
 * themselves (the synthesized tensors come through this too). */
static int map_name(const tp_arch_profile *p, uint32_t blocks, const char *name,
                    char *out, size_t out_len) {
  static const char *const suffixes[] = {"", ".weight", ".bias"};
  size_t s, r;
  char base[512];
  for (s = 0; s < 3; s++) {
    size_t n = strlen(name), sl = strlen(suffixes[s]);
    if (!tp_arch_ends_with(name, suffixes[s]) || n - sl >= sizeof base) continue;
    memcpy(base, name, n - sl);
    base[n - sl] = 0;
    for (r = 0; r < p->n_names; r++) {
      long long bid = 0;
      if (p->names[r].flags & NR_EXPERT) continue;
      if (match_template(p->names[r].hf, base, blocks, &bid, NULL)) {
        gguf_name(out, out_len, (tp_arch_role)p->names[r].role, bid, suffixes[s]);
        return p->names[r].role;
      }
    }
    for (r = 0; r < R_COUNT; r++) {
      long long bid = 0;
      if (match_template(tp_arch_roles[r].gguf, base, blocks, &bid, NULL)) {
        gguf_name(out, out_len, (tp_arch_role)r, bid, suffixes[s]);
        return (int)r;
      }
    }
  }
  return -1;
}

/* ---- the pipeline ---------------------------------------------------------- */

typedef struct buffered {
  char *name;
  size_t src;
} buffered;

typedef struct mapper {
  const tp_arch_profile *p;
  const tp_arch_inputs *in;
  const tp_arch_src_tensor *src;
  json_t *hp;
  const char *hf_arch;
  uint32_t blocks;
  tp_arch_mapping *m;
  int64_t n_head, n_kv_head, n_experts;
  int have_heads;
  int64_t vocab_real;       /* Gemma 3 trim, -1: none */
  json_t *cls_labels;       /* BERT: non-dummy id2label */
  buffered **exp;           /* per block */
  size_t *n_exp, *cap_exp;
  tp_strmap out_index;      /* output names, for the duplicate check */
} mapper;

static tp_string out_key(const void *ctx, size_t i) {
  const tp_arch_mapping *m = ctx;
  tp_string s;
  s.data = m->t[i].name;
  s.len = strlen(m->t[i].name);
  return s;
}

/* Registers output i's name; TP_EEXISTS when another output has it. */
static tp_status index_output(mapper *mp, size_t i) {
  const char *nm = mp->m->t[i].name;
  if (tp_strmap_find(&mp->out_index, nm, strlen(nm), out_key, mp->m) != SIZE_MAX)
    return TP_EEXISTS;
  return tp_strmap_insert(&mp->out_index, i, out_key, mp->m);
}

static const char *quote(char *buf, size_t len, const char *s) {
  tp_quote_for_message(buf, len, s, strlen(s));
  return buf;
}

/* The reference's F32 decision for an output tensor. */
static void f32_rule(tp_arch_out_tensor *t, int role) {
  if (t->ndim <= 1) {
    t->keep_f32 = TP_ARCH_F32_1D;
    t->why = "1-D tensor (n_dims <= 1)";
  } else if (tp_arch_ends_with(t->name, "_norm.weight")) {
    t->keep_f32 = TP_ARCH_F32_NORM;
    t->why = "norm weight (name ends _norm.weight)";
  } else if (role >= 0 && tp_arch_roles[role].f32) {
    t->keep_f32 = TP_ARCH_F32_ROLE;
    t->why = role == R_FFN_GATE_INP   ? "MoE router (FFN_GATE_INP)"
             : role == R_POS_EMBD     ? "position embeddings (POS_EMBD)"
                                      : "token type embeddings (TOKEN_TYPES)";
  } else if (!tp_arch_ends_with(t->name, ".weight") && !tp_arch_ends_with(t->name, ".lora_a") &&
             !tp_arch_ends_with(t->name, ".lora_b")) {
    t->keep_f32 = TP_ARCH_F32_NOT_WEIGHT;
    t->why = "not a weight (name does not end .weight: a bias)";
  }
}

static tp_type work_type_of(tp_type t) {
  return t == TP_TYPE_F16 || t == TP_TYPE_F32 ? t : TP_TYPE_F32;
}

/* Appends an output tensor (name through map_name) for sources srcs. */
static tp_status emit(mapper *mp, const char *hf_name, const size_t *srcs,
                      size_t nsrc, const uint64_t *shape, uint32_t ndim,
                      tp_arch_xform x, uint32_t arg) {
  char gname[600], q[256];
  int role = map_name(mp->p, mp->blocks, hf_name, gname, sizeof gname);
  tp_arch_out_tensor *t;
  size_t *s = NULL;
  tp_status st;
  if (role < 0)
    return tp_error(TP_EFORMAT, "tensor \"%s\": Can not map tensor (no %s rule "
                    "names it)", quote(q, sizeof q, hf_name), mp->p->name);
  if (nsrc) {
    s = tp_arena_alloc(&mp->m->arena, nsrc * sizeof *s);
    if (!s) return TP_ENOMEM;
    memcpy(s, srcs, nsrc * sizeof *s);
  }
  st = tp_arch_mapping_push(mp->m, &t);
  if (st != TP_OK) return st;
  t->name = tp_arena_strndup(&mp->m->arena, gname, strlen(gname));
  if (!t->name) return TP_ENOMEM;
  t->role = tp_arch_roles[role].role;
  t->ndim = ndim;
  memcpy(t->shape, shape, ndim * sizeof *shape);
  t->src_type = nsrc ? mp->src[srcs[0]].type : TP_TYPE_F32;
  t->work_type = work_type_of(t->src_type);
  t->n_src = nsrc;
  t->src = s;
  t->xform = x;
  t->xform_arg = arg;
  f32_rule(t, role);
  st = index_output(mp, mp->m->n - 1);
  if (st == TP_EEXISTS)
    return tp_error(TP_EFORMAT, "tensor \"%s\": a second tensor maps to %s",
                    quote(q, sizeof q, hf_name), gname);
  return st;
}

static tp_status emit_synth(mapper *mp, const char *name, const float *v,
                            size_t n) {
  uint64_t shape[1] = {n};
  float *copy;
  tp_status st = emit(mp, name, NULL, 0, shape, 1, TP_ARCH_XFORM_SYNTH, 0);
  if (st != TP_OK) return st;
  copy = tp_arena_alloc(&mp->m->arena, (n ? n : 1) * sizeof *copy);
  if (!copy) return TP_ENOMEM;
  memcpy(copy, v, n * sizeof *copy);
  mp->m->t[mp->m->n - 1].synth = copy;
  mp->m->t[mp->m->n - 1].n_synth = n;
  return TP_OK;
}

/* rope dim of LlamaModel: head_dim, else hidden_size // num_attention_heads */
static tp_status llama_rope_dim(const json_t *hp, int64_t *dim) {
  int64_t h, n;
  if (tp_arch_hp_int(hp, "head_dim", dim) == TP_OK) return TP_OK;
  if (tp_arch_hp_int(hp, "hidden_size", &h) != TP_OK ||
      tp_arch_hp_int(hp, "num_attention_heads", &n) != TP_OK || n <= 0)
    return tp_error(TP_EFORMAT,
                    "config.json: head_dim, or hidden_size and "
                    "num_attention_heads, are needed for the rope dimension");
  *dim = h / n;
  return TP_OK;
}

static tp_status rope_get(const json_t *rp, const char *k, double def,
                          double *out) {
  const json_t *v = json_object_get(rp, k);
  if (!v) {
    *out = def;
    return TP_OK;
  }
  if (!json_is_number(v))
    return tp_error(TP_EFORMAT, "config.json: rope parameter %s is not a number",
                    k);
  *out = json_number_value(v);
  return TP_OK;
}

/* generate_extra_tensors: llama3 rope_freqs, Phi-3 long/short factors. */
static tp_status synth_tensors(mapper *mp) {
  const json_t *rp = tp_arch_rope_params(mp->hp);
  tp_status st = TP_OK;
  if ((mp->p->flags & PF_ROPE_LLAMA3) && rp && json_object_size(rp)) {
    const char *t = json_string_value(json_object_get(rp, "rope_type"));
    if (t && ascii_ieq(t, "llama3")) {
      double base = 0, factor = 0, lo = 0, hi = 0, old = 0;
      int64_t dim;
      float *f;
      if ((st = rope_get(rp, "rope_theta", 10000.0, &base)) != TP_OK ||
          (st = rope_get(rp, "factor", 8.0, &factor)) != TP_OK ||
          (st = rope_get(rp, "low_freq_factor", 1.0, &lo)) != TP_OK ||
          (st = rope_get(rp, "high_freq_factor", 4.0, &hi)) != TP_OK ||
          (st = rope_get(rp, "original_max_position_embeddings", 8192, &old)) !=
              TP_OK ||
          (st = llama_rope_dim(mp->hp, &dim)) != TP_OK)
        return st;
      if (dim <= 0 || dim > 1 << 20 || dim % 2)
        return tp_error(TP_EFORMAT, "config.json: rope dimension %lld for llama3 "
                        "rope_freqs", (long long)dim);
      f = tp_malloc((size_t)dim / 2 * sizeof *f);
      if (!f) return TP_ENOMEM;
      st = tp_arch_xform_llama3_rope(f, (uint32_t)dim, base, factor, lo, hi, old);
      if (st == TP_OK) st = emit_synth(mp, "rope_freqs.weight", f, (size_t)dim / 2);
      free(f);
      if (st != TP_OK) return st;
    }
  }
  if ((mp->p->flags & PF_ROPE_PHI3) && rp) {
    const json_t *lf = json_object_get(rp, "long_factor");
    const json_t *sf = json_object_get(rp, "short_factor");
    int64_t n_embd, n_head;
    double prf = 1.0;
    size_t i, n;
    float *f;
    if (!json_is_array(lf) || !json_array_size(lf)) return TP_OK;
    if (!json_is_array(sf))
      return tp_error(TP_EFORMAT, "config.json: rope long_factor without "
                      "short_factor");
    if ((st = tp_arch_hp_int(mp->hp, "hidden_size|n_embd", &n_embd)) != TP_OK ||
        (st = tp_arch_hp_int(mp->hp, "num_attention_heads|n_head", &n_head)) !=
            TP_OK || n_head <= 0)
      return st != TP_OK ? st : tp_error(TP_EFORMAT, "config.json: no heads");
    if ((st = rope_get(rp, "partial_rotary_factor", 1.0, &prf)) != TP_OK) return st;
    n = json_array_size(lf);
    {
      int64_t rope_dims = (int64_t)(prf * (double)n_embd) / n_head;
      if (n != json_array_size(sf) || (int64_t)n * 2 != rope_dims || rope_dims % 2)
        return tp_error(TP_EFORMAT,
                        "config.json: rope long and short factors must have %g "
                        "entries (long %zu, short %zu)",
                        (double)rope_dims / 2, n, json_array_size(sf));
    }
    f = tp_malloc(2 * n * sizeof *f);
    if (!f) return TP_ENOMEM;
    for (i = 0; i < n && st == TP_OK; i++) {
      json_t *a = json_array_get(lf, i), *b = json_array_get(sf, i);
      if (!json_is_number(a) || !json_is_number(b))
        st = tp_error(TP_EFORMAT, "config.json: rope factor %zu is not a number", i);
      else {
        f[i] = (float)json_number_value(a);
        f[n + i] = (float)json_number_value(b);
      }
    }
    if (st == TP_OK) st = emit_synth(mp, "rope_factors_long.weight", f, n);
    if (st == TP_OK) st = emit_synth(mp, "rope_factors_short.weight", f + n, n);
    free(f);
  }
  return st;
}

/* ---- filter_tensors --------------------------------------------------------- */

/* TextModel.filter_tensors: multimodal parts a text conversion skips. */
static bool multimodal(const char *n) {
  static const char *const prefixes[] = {
      "mlp", "vit.", "vpm.", "siglip2.", "conformer.", "merger.", "resampler.",
      "sound_encoder.", "sound_projection.", "speech_embeddings."};
  static const char *const parts[] = {
      "visual.", "vision.", "audio.", "talker.", "vision_", "audio_",
      "token2wav.", "code2wav.", "projector.", "pre_mm_projector_norm",
      "image_newline", "view_seperator", "patch_embed", "patch_embedding",
      "patch_merger.", "patch_merge_mlp.", "model.connector."};
  size_t i;
  for (i = 0; i < TP_ARRAY_LEN(prefixes); i++)
    if (starts_with(n, prefixes[i])) return true;
  for (i = 0; i < TP_ARRAY_LEN(parts); i++)
    if (strstr(n, parts[i])) return true;
  return false;
}

/* The class chain of filter_tensors for the profile: the new name in buf,
 * false when the tensor is dropped. */
static bool filter_name(const tp_arch_profile *p, const char *in, char *buf,
                        size_t len) {
  size_t n = strlen(in);
  if (n >= len) n = len - 1;
  memcpy(buf, in, n);
  buf[n] = 0;
  if (p->flags & PF_EXPERTS_MIXTRAL) remove_all(buf, "text_model.");
  if (p->flags & PF_BERT) {
    size_t l;
    if (starts_with(buf, "bert.")) memmove(buf, buf + 5, strlen(buf + 5) + 1);
    l = strlen(buf);
    if (tp_arch_ends_with(buf, ".gamma") && l + 1 < len) strcpy(buf + l - 6, ".weight");
    else if (tp_arch_ends_with(buf, ".beta")) strcpy(buf + l - 5, ".bias");
    if (!strcmp(buf, "embeddings.position_ids") ||
        !strcmp(buf, "pooler.dense.weight") || !strcmp(buf, "pooler.dense.bias") ||
        starts_with(buf, "cls.predictions") ||
        starts_with(buf, "cls.seq_relationship"))
      return false;
  }
  if ((p->flags & PF_SKIP_LM_HEAD) && !strcmp(buf, "lm_head.weight")) return false;
  if (multimodal(buf)) return false;
  if (tp_arch_ends_with(buf, "e_score_correction_bias")) {
    /* ModelBase: e_score_correction_bias -> e_score_correction.bias */
    char *at = strstr(buf, "e_score_correction_bias");
    if (strlen(buf) + 1 < len) {
      memmove(at + 18, at + 17, strlen(at + 17) + 1);
      at[18] = 'b';
      at[17] = '.';
    }
  }
  remove_all(buf, "language_model.");
  return true;
}

/* ---- experts ------------------------------------------------------------------ */

static bool experts_enabled(const tp_arch_profile *p) {
  return (p->flags & (PF_EXPERTS_MIXTRAL | PF_EXPERTS_QWEN)) != 0;
}

static bool is_expert_name(const tp_arch_profile *p, const char *name) {
  if (p->flags & PF_EXPERTS_MIXTRAL) return strstr(name, "block_sparse_moe.experts") != NULL;
  if (p->flags & PF_EXPERTS_QWEN) return strstr(name, "experts") != NULL;
  return false;
}

/* The per-expert and merged names of expert xid of projection w in block
 * bid, as the reference spells them. */
static void expert_names(const tp_arch_profile *p, long long bid, long long xid,
                         const char *w, char *one, size_t one_len, char *merged,
                         size_t merged_len) {
  if (p->flags & PF_EXPERTS_MIXTRAL) {
    snprintf(one, one_len, "model.layers.%lld.block_sparse_moe.experts.%lld.%s.weight",
             bid, xid, w);
    snprintf(merged, merged_len, "model.layers.%lld.block_sparse_moe.experts.{xid}.%s",
             bid, w);
  } else {
    snprintf(one, one_len, "model.layers.%lld.mlp.experts.%lld.%s.weight", bid, xid,
             w);
    snprintf(merged, merged_len, "model.layers.%lld.mlp.experts.{xid}.%s", bid, w);
  }
}

/* The GGUF name of a stacked expert tensor: the expert rule whose template
 * (with {xid} kept) equals merged. */
static int expert_role(const tp_arch_profile *p, const char *merged_tpl,
                       long long bid, char *out, size_t out_len) {
  size_t r;
  for (r = 0; r < p->n_names; r++) {
    char t[256];
    const char *at;
    if (!(p->names[r].flags & NR_EXPERT)) continue;
    /* expand {bid} in the rule and compare with the {xid}-template */
    at = strstr(p->names[r].hf, "{bid}");
    if (!at) continue;
    snprintf(t, sizeof t, "%.*s%lld%s", (int)(at - p->names[r].hf),
             p->names[r].hf, bid, at + 5);
    if (!strcmp(t, merged_tpl)) {
      gguf_name(out, out_len, (tp_arch_role)p->names[r].role, bid, ".weight");
      return p->names[r].role;
    }
  }
  return -1;
}

/* All n_experts * 3 tensors of block bid have arrived: emit the stacked
 * tensors in the reference's projection order. */
static tp_status flush_experts(mapper *mp, long long bid) {
  const char *const *w;
  buffered *b = mp->exp[bid];
  size_t *srcs = tp_malloc((size_t)mp->n_experts * sizeof *srcs);
  tp_status st = TP_OK;
  if (!srcs) return TP_ENOMEM;
  for (w = mp->p->expert_order; *w && st == TP_OK; w++) {
    char one[512], merged[512], gname[600], q[256];
    long long xid;
    int role;
    uint64_t shape[TP_MAX_DIMS];
    const tp_arch_src_tensor *first = NULL;
    tp_arch_out_tensor *t;
    size_t *s;
    for (xid = 0; xid < mp->n_experts && st == TP_OK; xid++) {
      size_t k;
      expert_names(mp->p, bid, xid, *w, one, sizeof one, merged, sizeof merged);
      for (k = 0; k < mp->n_exp[bid]; k++)
        if (b[k].name && !strcmp(b[k].name, one)) break;
      if (k == mp->n_exp[bid]) {
        st = tp_error(TP_EFORMAT,
                      "tensor \"%s\": missing (block %lld has %zu expert "
                      "tensors but not this one of the %lld experts the config "
                      "declares)",
                      quote(q, sizeof q, one), bid, mp->n_exp[bid],
                      (long long)mp->n_experts);
        break;
      }
      srcs[xid] = b[k].src;
      free(b[k].name);
      b[k].name = NULL;
      if (!first) {
        first = &mp->src[b[k].src];
      } else {
        const tp_arch_src_tensor *e = &mp->src[b[k].src];
        if (e->type != first->type || e->ndim != first->ndim ||
            memcmp(e->shape, first->shape, e->ndim * sizeof *e->shape))
          st = tp_error(TP_EFORMAT,
                        "tensor \"%s\": expert of another type or shape than "
                        "expert 0 (%s vs %s)",
                        quote(q, sizeof q, one), tp_type_name(e->type),
                        tp_type_name(first->type));
      }
    }
    if (st != TP_OK) break;
    role = expert_role(mp->p, merged, bid, gname, sizeof gname);
    if (role < 0 || first->ndim + 1 > TP_MAX_DIMS) {
      st = tp_error(TP_EFORMAT, "tensor \"%s\": Can not map tensor",
                    quote(q, sizeof q, merged));
      break;
    }
    shape[0] = (uint64_t)mp->n_experts;
    memcpy(shape + 1, first->shape, first->ndim * sizeof *shape);
    s = tp_arena_alloc(&mp->m->arena, (size_t)mp->n_experts * sizeof *s);
    if (!s) {
      st = TP_ENOMEM;
      break;
    }
    memcpy(s, srcs, (size_t)mp->n_experts * sizeof *s);
    if ((st = tp_arch_mapping_push(mp->m, &t)) != TP_OK) break;
    t->name = tp_arena_strndup(&mp->m->arena, gname, strlen(gname));
    if (!t->name) {
      st = TP_ENOMEM;
      break;
    }
    t->role = tp_arch_roles[role].role;
    t->ndim = first->ndim + 1;
    memcpy(t->shape, shape, t->ndim * sizeof *shape);
    t->src_type = first->type;
    t->work_type = work_type_of(first->type);
    t->n_src = (size_t)mp->n_experts;
    t->src = s;
    t->xform = TP_ARCH_XFORM_COPY;
    f32_rule(t, role);
    st = index_output(mp, mp->m->n - 1);
    if (st == TP_EEXISTS)
      st = tp_error(TP_EFORMAT, "experts of block %lld: %s written twice", bid,
                    gname);
  }
  free(srcs);
  if (st == TP_OK) {
    /* keep what was not consumed: the reference reports it at the end */
    size_t k, j = 0;
    for (k = 0; k < mp->n_exp[bid]; k++)
      if (b[k].name) b[j++] = b[k];
    mp->n_exp[bid] = j;
  }
  return st;
}

static tp_status buffer_expert(mapper *mp, const char *name, size_t src,
                               long long bid) {
  char q[256];
  tp_status st;
  if (bid < 0 || bid >= (long long)mp->blocks)
    return tp_error(TP_EFORMAT, "tensor \"%s\": expert outside the %u blocks",
                    quote(q, sizeof q, name), mp->blocks);
  if (mp->n_experts <= 0)
    return tp_error(TP_EFORMAT,
                    "tensor \"%s\": expert tensor but config.json declares no "
                    "expert count (num_local_experts)",
                    quote(q, sizeof q, name));
  st = tp_grow((void **)&mp->exp[bid], &mp->cap_exp[bid], mp->n_exp[bid] + 1,
               sizeof **mp->exp);
  if (st != TP_OK) return st;
  mp->exp[bid][mp->n_exp[bid]].name = tp_strdup(name);
  if (!mp->exp[bid][mp->n_exp[bid]].name) return TP_ENOMEM;
  mp->exp[bid][mp->n_exp[bid]++].src = src;
  if ((int64_t)mp->n_exp[bid] >= mp->n_experts * 3) return flush_experts(mp, bid);
  return TP_OK;
}

/* ---- modify_tensors -------------------------------------------------------------- */

static tp_status modify(mapper *mp, const char *name_in, size_t src) {
  const tp_arch_src_tensor *t = &mp->src[src];
  const tp_arch_profile *p = mp->p;
  char name[520], q[256];
  long long bid = first_number_part(name_in);
  tp_arch_xform x = TP_ARCH_XFORM_COPY;
  uint32_t arg = 0;
  uint64_t shape[TP_MAX_DIMS];
  memcpy(shape, t->shape, sizeof shape);
  snprintf(name, sizeof name, "%s", name_in);
  if (p->model_prefix_arch && mp->hf_arch && !strcmp(mp->hf_arch, p->model_prefix_arch)) {
    snprintf(name, sizeof name, "model.%s", name_in);
  }
  if (p->flags & PF_TRIM_VOCAB && strstr(name, "embed_tokens.weight") &&
      mp->vocab_real >= 0 && t->ndim >= 1 && (uint64_t)mp->vocab_real < shape[0]) {
    shape[0] = (uint64_t)mp->vocab_real;
    x = TP_ARCH_XFORM_FIRST_ROWS;
    arg = (uint32_t)mp->vocab_real;
  }
  if ((p->flags & PF_NORM_PLUS_ONE) && tp_arch_ends_with(name, "norm.weight")) {
    if (x != TP_ARCH_XFORM_COPY)
      return tp_error(TP_EUNSUPPORTED, "tensor \"%s\": two transforms",
                      quote(q, sizeof q, name));
    x = TP_ARCH_XFORM_ADD_ONE;
  }
  if (p->flags & PF_EXPERTS_MIXTRAL) {
    bool isq = tp_arch_ends_with(name, "q_proj.weight") || tp_arch_ends_with(name, "q_proj.bias");
    bool isk = tp_arch_ends_with(name, "k_proj.weight") || tp_arch_ends_with(name, "k_proj.bias");
    if (isq || isk) {
      uint64_t rows = t->ndim ? t->shape[0] : 1;
      int64_t heads = isq ? mp->n_head : mp->n_kv_head;
      if (!mp->have_heads)
        return tp_error(TP_EFORMAT,
                        "tensor \"%s\": config.json gives no head counts "
                        "(num_attention_heads, num_key_value_heads)",
                        quote(q, sizeof q, name));
      if (heads <= 0 || heads > UINT32_MAX || t->ndim == 0 ||
          rows % ((uint64_t)heads * 2))
        return tp_error(TP_EFORMAT,
                        "tensor \"%s\": %llu rows do not split into %lld heads "
                        "of an even size (%s)",
                        quote(q, sizeof q, name), (unsigned long long)rows,
                        (long long)heads,
                        isq ? "num_attention_heads" : "num_key_value_heads");
      x = TP_ARCH_XFORM_PERMUTE_QK;
      arg = (uint32_t)heads;
    }
  }
  if (p->flags & PF_EXPERTS_QWEN) {
    if (tp_arch_ends_with(name, "mlp.experts.down_proj") ||
        tp_arch_ends_with(name, "mlp.experts.down_proj.weight") ||
        tp_arch_ends_with(name, "mlp.experts.gate_up_proj") ||
        tp_arch_ends_with(name, "mlp.experts.gate_up_proj.weight"))
      return tp_error(TP_EUNSUPPORTED,
                      "tensor \"%s\": fused expert tensors (transformers' "
                      "in-memory layout) are not supported; save the model with "
                      "save_pretrained, which writes one tensor per expert",
                      quote(q, sizeof q, name));
  }
  if (experts_enabled(p) && is_expert_name(p, name)) {
    if (x != TP_ARCH_XFORM_COPY)
      return tp_error(TP_EUNSUPPORTED, "tensor \"%s\": transform of an expert",
                      quote(q, sizeof q, name));
    return buffer_expert(mp, name, src, bid);
  }
  if (mp->cls_labels) {
    if (!strcmp(name, "classifier.weight")) snprintf(name, sizeof name, "classifier.out_proj.weight");
    else if (!strcmp(name, "classifier.bias")) snprintf(name, sizeof name, "classifier.out_proj.bias");
  }
  return emit(mp, name, &src, 1, shape, t->ndim, x, arg);
}

/* ---- setup ----------------------------------------------------------------------- */

static tp_string name_key(const void *ctx, size_t i) {
  char *const *names = ctx;
  tp_string s;
  s.data = names[i];
  s.len = strlen(names[i]);
  return s;
}

/* Shard by shard, each by name (SafetensorsLocal sorts by name; str order
 * is code point order, which is byte order in UTF-8). */
static int cmp_order(const void *a, const void *b) {
  const tp_arch_src_tensor *x = *(const tp_arch_src_tensor *const *)a;
  const tp_arch_src_tensor *y = *(const tp_arch_src_tensor *const *)b;
  if (x->file != y->file) return x->file < y->file ? -1 : 1;
  return strcmp(x->name, y->name);
}

/* Qwen3Model._is_qwen3_reranker: its conversion adds a classifier head and
 * a rerank template, which tensorport does not reproduce. */
static bool qwen3_reranker(const tp_arch_inputs *in, const char *hf_arch,
                           const json_t *hp) {
  const char *hints[4];
  size_t i, n = 0;
  if (in->readme) {
    char *low = tp_strndup(in->readme, in->readme_len);
    bool hit;
    if (!low) return false;
    for (i = 0; i < in->readme_len; i++) low[i] = (char)tolower((unsigned char)low[i]);
    hit = strstr(low, "# qwen3-reranker") || strstr(low, "# qwen3-vl-reranker");
    free(low);
    if (hit) return true;
  }
  hints[n++] = in->dir_name;
  hints[n++] = json_string_value(json_object_get(hp, "_name_or_path"));
  hints[n++] = json_string_value(json_object_get(hp, "model_type"));
  hints[n++] = hf_arch;
  for (i = 0; i < n; i++) {
    char buf[512];
    size_t k;
    if (!hints[i]) continue;
    snprintf(buf, sizeof buf, "%s", hints[i]);
    for (k = 0; buf[k]; k++) buf[k] = (char)tolower((unsigned char)buf[k]);
    if (strstr(buf, "qwen3-reranker") || strstr(buf, "qwen3-vl-reranker")) return true;
    if (i == 3 && strstr(buf, "sequenceclassification")) return true;
  }
  return false;
}

/* Gemma 3's embedding rows kept: the SentencePiece vocabulary (the config's
 * vocab_size) or tokenizer.json's vocab plus added tokens. */
static tp_status gemma3_vocab(const tp_arch_inputs *in, const json_t *hp,
                              int64_t *out) {
  if (in->has_tokenizer_model) {
    int64_t v;
    tp_status st = tp_arch_hp_int(hp, "vocab_size_per_layer_input|vocab_size", &v);
    if (st == TP_OK && v > 0) {
      *out = v;
      return TP_OK;
    }
    return tp_error(TP_EUNSUPPORTED,
                    "config.json: no vocab_size; the SentencePiece vocabulary "
                    "size decides Gemma 3's embedding rows");
  }
  if (in->tokenizer_json) {
    const json_t *model = json_object_get(in->tokenizer_json, "model");
    const json_t *vocab = json_object_get(model, "vocab");
    const json_t *added = json_object_get(in->tokenizer_json, "added_tokens");
    size_t nv = json_is_object(vocab)  ? json_object_size(vocab)
                : json_is_array(vocab) ? json_array_size(vocab)
                                       : 0;
    if (!vocab || !json_is_array(added))
      return tp_error(TP_EFORMAT,
                      "tokenizer.json: model.vocab and added_tokens are needed "
                      "for Gemma 3's vocabulary size");
    *out = (int64_t)(nv + json_array_size(added));
    return TP_OK;
  }
  return tp_error(TP_EFORMAT,
                  "Gemma 3 needs tokenizer.model or tokenizer.json: their "
                  "vocabulary size decides how many embedding rows are kept");
}

static tp_status setup(mapper *mp) {
  const tp_arch_profile *p = mp->p;
  const tp_arch_profile *p2;
  tp_status st;
  int64_t v;
  if ((st = tp_arch_hparams(p, mp->in->config, &mp->hp)) != TP_OK) return st;
  if ((st = tp_arch_block_count(mp->hp, &mp->blocks)) != TP_OK) return st;
  if (tp_arch_for_config(mp->in->config, &p2, &mp->hf_arch) != TP_OK)
    mp->hf_arch = NULL; /* a profile chosen by the caller for another arch */
  if ((p->flags & PF_QWEN3_RERANK_CHECK) && qwen3_reranker(mp->in, mp->hf_arch, mp->hp))
    return tp_error(TP_EUNSUPPORTED,
                    "this is a Qwen3 reranker: its conversion (a yes/no "
                    "classifier head, rank pooling, a rerank chat template) is "
                    "not supported");
  if (p->flags & PF_EXPERTS_MIXTRAL) {
    st = tp_arch_hp_int(mp->hp, "n_heads|num_attention_heads", &mp->n_head);
    if (st == TP_OK) st = tp_arch_hp_int(mp->hp, "n_kv_heads|num_key_value_heads",
                                         &mp->n_kv_head);
    if (st == TP_OK) mp->have_heads = 1;
    else if (st != TP_ENOTFOUND) return st;
  }
  mp->n_experts = 0;
  if (p->flags & PF_EXPERTS_MIXTRAL) {
    st = tp_arch_hp_int(mp->hp, "num_local_experts", &v);
    if (st == TP_OK) mp->n_experts = v;
    else if (st != TP_ENOTFOUND) return st;
  } else if (p->flags & PF_EXPERTS_QWEN) {
    st = tp_arch_hp_int(mp->hp, "num_local_experts|num_experts", &v);
    if (st == TP_OK) mp->n_experts = v;
    else if (st != TP_ENOTFOUND) return st;
  }
  if (mp->n_experts < 0 || mp->n_experts > 65536)
    return tp_error(TP_EFORMAT, "config.json: expert count %lld out of range",
                    (long long)mp->n_experts);
  mp->vocab_real = -1;
  if (p->flags & PF_TRIM_VOCAB) {
    if ((st = gemma3_vocab(mp->in, mp->hp, &mp->vocab_real)) != TP_OK) return st;
  }
  if (p->flags & PF_BERT) {
    json_t *labels = json_object_get(mp->hp, "id2label");
    if (json_is_object(labels) && json_object_size(labels)) {
      json_t *l0 = json_object_get(labels, "0");
      if (!(json_object_size(labels) == 2 && json_is_string(l0) &&
            !strcmp(json_string_value(l0), "LABEL_0")))
        mp->cls_labels = labels;
    }
  }
  if (experts_enabled(p)) {
    mp->exp = tp_calloc(mp->blocks ? mp->blocks : 1, sizeof *mp->exp);
    mp->n_exp = tp_calloc(mp->blocks ? mp->blocks : 1, sizeof *mp->n_exp);
    mp->cap_exp = tp_calloc(mp->blocks ? mp->blocks : 1, sizeof *mp->cap_exp);
    if (!mp->exp || !mp->n_exp || !mp->cap_exp) return TP_ENOMEM;
  }
  return TP_OK;
}

static void teardown(mapper *mp) {
  uint32_t b;
  size_t k;
  if (mp->exp)
    for (b = 0; b < mp->blocks; b++) {
      for (k = 0; mp->n_exp && k < mp->n_exp[b]; k++) free(mp->exp[b][k].name);
      free(mp->exp[b]);
    }
  free(mp->exp);
  free(mp->n_exp);
  free(mp->cap_exp);
  json_decref(mp->hp);
}

tp_status tp_arch_map_tensors(const tp_arch_profile *p,
                              const tp_arch_inputs *in,
                              const tp_arch_src_tensor *src, size_t n,
                              tp_arch_mapping **out) {
  mapper mp;
  tp_strmap seen;
  bool auto_done = false;
  const tp_arch_src_tensor **order = NULL;
  char **names = NULL;
  size_t i, j;
  tp_status st;
  *out = NULL;
  if (!p || !in || !in->config || (n && !src))
    return tp_error(TP_EINVAL, "tp_arch_map_tensors: missing argument");
  memset(&mp, 0, sizeof mp);
  tp_strmap_init(&seen);
  tp_strmap_init(&mp.out_index);
  mp.p = p;
  mp.in = in;
  mp.src = src;
  if ((st = tp_arch_mapping_new(&mp.m)) != TP_OK) return st;
  if ((st = setup(&mp)) != TP_OK) goto done;
  order = tp_malloc((n ? n : 1) * sizeof *order);
  names = tp_calloc(n ? n : 1, sizeof *names);
  if (!order || !names) {
    st = TP_ENOMEM;
    goto done;
  }
  for (i = 0; i < n; i++) order[i] = &src[i];
  qsort(order, n, sizeof *order, cmp_order);
  /* index_tensors + filter_tensors: the names the reference works with */
  for (i = 0; i < n; i++) {
    char buf[520];
    if (strlen(order[i]->name) >= sizeof buf - 8) {
      char q[256];
      st = tp_error(TP_EFORMAT, "tensor \"%s\": name longer than %zu bytes",
                    quote(q, sizeof q, order[i]->name), sizeof buf - 8);
      goto done;
    }
    if (!filter_name(p, order[i]->name, buf, sizeof buf)) continue;
    j = tp_strmap_find(&seen, buf, strlen(buf), name_key, names);
    if (j != SIZE_MAX) {
      char q[256], q2[256];
      st = tp_error(TP_EFORMAT,
                    "tensor \"%s\": after the reference's renaming it has the "
                    "name of tensor \"%s\" (%s)",
                    quote(q, sizeof q, order[i]->name),
                    quote(q2, sizeof q2, order[j]->name), buf);
      goto done;
    }
    if (!(names[i] = tp_strdup(buf))) {
      st = TP_ENOMEM;
      goto done;
    }
    if ((st = tp_strmap_insert(&seen, i, name_key, names)) != TP_OK) goto done;
    if (!auto_done && order[i]->ndim >= 2 &&
        (order[i]->type == TP_TYPE_BF16 || order[i]->type == TP_TYPE_F16)) {
      /* ModelBase.__init__'s GUESSED ftype: the first BF16 or F16 tensor of
       * at least two dimensions decides (F32 ones are passed over) */
      auto_done = true;
      mp.m->auto_type = order[i]->type;
    }
  }
  if ((st = synth_tensors(&mp)) != TP_OK) goto done;
  for (i = 0; i < n && st == TP_OK; i++) {
    if (!names[i]) continue;
    /* prepare_tensors: "we don't need these" */
    if (tp_arch_ends_with(names[i], ".attention.masked_bias") ||
        tp_arch_ends_with(names[i], ".attention.bias") ||
        tp_arch_ends_with(names[i], ".rotary_emb.inv_freq"))
      continue;
    st = modify(&mp, names[i], (size_t)(order[i] - src));
  }
  if (st == TP_OK && mp.exp) {
    uint32_t b;
    for (b = 0; b < mp.blocks; b++)
      if (mp.n_exp[b]) {
        char q[256];
        st = tp_error(TP_EFORMAT,
                      "tensor \"%s\": Unprocessed experts (block %u has %zu "
                      "expert tensors left over; config.json declares %lld "
                      "experts)",
                      quote(q, sizeof q, mp.exp[b][0].name), b, mp.n_exp[b],
                      (long long)mp.n_experts);
        break;
      }
  }
done:
  tp_strmap_free(&seen);
  tp_strmap_free(&mp.out_index);
  for (i = 0; names && i < n; i++) free(names[i]);
  free(names);
  free(order);
  teardown(&mp);
  if (st != TP_OK) {
    tp_arch_mapping_free(mp.m);
    return st;
  }
  *out = mp.m;
  return TP_OK;
}
