/*
 * kvs.c - the GGUF metadata of an HF conversion: general.architecture,
 * general.type, the authorship keys (authorship.c), the profile's
 * set_gguf_parameters program (profiles.c) with general.file_type where
 * the program puts it, and general.quantization_version, in the reference
 * converter's order and with the value types llama.cpp's loader requires
 * (counts UINT32, per-layer lists INT32 arrays, floats FLOAT32).
 */
#include "arch_impl.h"

#include <math.h>
#include <stdio.h>

/* TextModel.set_gguf_parameters. */
static const tp_arch_kv_rule k_base[] = {
    {KV_BLOCK_COUNT, "block_count", NULL, 0},
    {KV_U32, "context_length",
     "max_position_embeddings|n_ctx|n_positions|max_length|max_sequence_length|"
     "model_max_length", 0},
    {KV_U32, "embedding_length", "hidden_size|n_embd|dim", 0},
    {KV_U32, "feed_forward_length",
     "prefix_dense_intermediate_size|dense_intermediate_size|intermediate_size|"
     "n_inner|hidden_dim", 0},
    {KV_U32, "attention.head_count", "num_attention_heads|n_head|n_heads", 0},
    {KV_U32, "attention.head_count_kv", "num_key_value_heads|n_kv_heads", 0},
    {KV_CAUSAL_IF_FALSE, "attention.causal", "is_causal", 0},
    {KV_ROPE_SCALING, NULL, NULL, 0},
    {KV_MROPE, "rope.dimension_sections", NULL, 0},
    {KV_ROPE_THETA, "rope.freq_base", NULL, 0},
    {KV_ROPE_THETA_SWA, "rope.freq_base_swa", NULL, 0},
    {KV_F32, "attention.layer_norm_rms_epsilon", "rms_norm_eps|norm_eps", 0},
    {KV_F32, "attention.layer_norm_epsilon",
     "layer_norm_eps|layer_norm_epsilon|norm_epsilon", 0},
    {KV_U32, "expert_count", "num_local_experts|num_experts|n_routed_experts", 0},
    {KV_U32, "expert_used_count",
     "num_experts_per_tok|num_experts_per_token|top_k_experts", 0},
    {KV_U32, "expert_group_count", "n_group", 0},
    {KV_U32, "expert_group_used_count", "topk_group", 0},
    {KV_GATING_FUNC, "expert_gating_func",
     "score_function|scoring_func|score_func|moe_router_activation|"
     "moe_router_activation_func|expert_selection_fn", 0},
    {KV_HEAD_DIM_KV, NULL, "head_dim", 0},
    {KV_FILE_TYPE, NULL, NULL, 0},
    {KV_END, NULL, NULL, 0},
};

typedef struct kvctx {
  const tp_arch_profile *p;
  const tp_arch_inputs *in;
  const json_t *hp;
  uint32_t blocks;
  tp_arch_kvl *l;
} kvctx;

/* gguf-py adders that take an int or a per-layer list. */
static bool array_capable(const char *key) {
  return !strcmp(key, "feed_forward_length") ||
         !strcmp(key, "expert_feed_forward_length") ||
         !strcmp(key, "attention.head_count") ||
         !strcmp(key, "attention.head_count_kv") ||
         !strcmp(key, "expert_used_count");
}

static tp_status put_u32(kvctx *c, const char *suffix, const char *field,
                         const json_t *v) {
  char key[160];
  tp_arch_key(key, sizeof key, c->p, suffix);
  if (json_is_integer(v) && json_integer_value(v) >= 0 &&
      json_integer_value(v) <= (json_int_t)UINT32_MAX)
    return tp_arch_kvl_u32(c->l, key, (uint32_t)json_integer_value(v));
  if (json_is_array(v) && array_capable(suffix)) {
    size_t i, n = json_array_size(v);
    int32_t *a;
    tp_value tv;
    tp_status st;
    if (!n) return TP_OK; /* add_array skips an empty list */
    a = tp_malloc(n * sizeof *a);
    if (!a) return TP_ENOMEM;
    for (i = 0; i < n; i++) {
      json_t *e = json_array_get(v, i);
      if (!json_is_integer(e) || json_integer_value(e) < INT32_MIN ||
          json_integer_value(e) > INT32_MAX) {
        free(a);
        return tp_error(TP_EFORMAT,
                        "config.json: \"%s\"[%zu] (for %s) is not a 32-bit integer",
                        field, i, key);
      }
      a[i] = (int32_t)json_integer_value(e);
    }
    memset(&tv, 0, sizeof tv);
    tv.type = TP_VALUE_ARRAY;
    tv.elem_type = TP_VALUE_I32;
    tv.count = n;
    tv.v.array = a;
    st = tp_arch_kvl_set(c->l, key, &tv);
    free(a);
    return st;
  }
  return tp_error(TP_EFORMAT,
                  "config.json: \"%s\" (for %s, UINT32) is not an integer in "
                  "0..4294967295",
                  field, key);
}

static tp_status put_f32(kvctx *c, const char *suffix, const char *field,
                         const json_t *v) {
  char key[160];
  tp_arch_key(key, sizeof key, c->p, suffix);
  if (!json_is_number(v))
    return tp_error(TP_EFORMAT, "config.json: \"%s\" (for %s, FLOAT32) is not a "
                    "number", field, key);
  return tp_arch_kvl_f32(c->l, key, json_number_value(v));
}

static tp_status put_str(kvctx *c, const char *suffix, const char *s) {
  char key[160];
  tp_arch_key(key, sizeof key, c->p, suffix);
  return tp_arch_kvl_str(c->l, key, s, strlen(s));
}

/* The rope block of TextModel.set_gguf_parameters. */
static tp_status rope_scaling(kvctx *c) {
  const json_t *rp = tp_arch_rope_params(c->hp);
  const json_t *t, *factor, *v;
  const char *type;
  tp_status st = TP_OK;
  if (!rp) return TP_OK;
  t = json_object_get(rp, "rope_type");
  if (!t || json_is_null(t)) return TP_OK;
  if (!json_is_string(t))
    return tp_error(TP_EFORMAT, "config.json: rope_type is not a string");
  type = json_string_value(t);
  factor = json_object_get(rp, "factor");
  if (factor && json_is_null(factor)) factor = NULL;
  if (!strcmp(type, "linear") && factor) {
    if ((st = put_str(c, "rope.scaling.type", "linear")) != TP_OK) return st;
    return put_f32(c, "rope.scaling.factor", "rope factor", factor);
  }
  if (!strcmp(type, "yarn") && factor) {
    if ((st = put_str(c, "rope.scaling.type", "yarn")) != TP_OK ||
        (st = put_f32(c, "rope.scaling.factor", "rope factor", factor)) != TP_OK)
      return st;
    v = json_object_get(rp, "original_max_position_embeddings");
    if (!v)
      return tp_error(TP_EFORMAT, "config.json: yarn rope scaling without "
                      "original_max_position_embeddings");
    if ((st = put_u32(c, "rope.scaling.original_context_length",
                      "original_max_position_embeddings", v)) != TP_OK)
      return st;
    if ((v = json_object_get(rp, "extrapolation_factor")) && !json_is_null(v) &&
        (st = put_f32(c, "rope.scaling.yarn_ext_factor", "extrapolation_factor", v)))
      return st;
    v = json_object_get(rp, "attention_factor");
    if (!v) v = json_object_get(rp, "attn_factor");
    if (v && !json_is_null(v) &&
        (st = put_f32(c, "rope.scaling.yarn_attn_factor", "attention_factor", v)))
      return st;
    if ((v = json_object_get(rp, "beta_fast")) && !json_is_null(v) &&
        (st = put_f32(c, "rope.scaling.yarn_beta_fast", "beta_fast", v)))
      return st;
    if ((v = json_object_get(rp, "beta_slow")) && !json_is_null(v) &&
        (st = put_f32(c, "rope.scaling.yarn_beta_slow", "beta_slow", v)))
      return st;
    return TP_OK;
  }
  if (!strcmp(type, "su") || !strcmp(type, "longrope"))
    return put_str(c, "rope.scaling.type", "longrope");
  return TP_OK; /* dynamic, llama3 (a tensor), default, unknown: no keys */
}

/* mrope_section padded to 4 with zeros, INT32 array. */
static tp_status mrope(kvctx *c, const char *suffix) {
  const json_t *rp = json_object_get(c->hp, "rope_parameters");
  const json_t *ms = json_object_get(rp, "mrope_section");
  int32_t a[4] = {0, 0, 0, 0};
  size_t i, n;
  tp_value tv;
  char key[160];
  if (!ms) return TP_OK;
  if (!json_is_array(ms))
    return tp_error(TP_EFORMAT, "config.json: mrope_section is not a list");
  n = json_array_size(ms);
  for (i = 0; i < n && i < 4; i++) {
    json_t *e = json_array_get(ms, i);
    if (!json_is_integer(e) || json_integer_value(e) < INT32_MIN ||
        json_integer_value(e) > INT32_MAX)
      return tp_error(TP_EFORMAT, "config.json: mrope_section[%zu] is not an "
                      "integer", i);
    a[i] = (int32_t)json_integer_value(e);
  }
  tp_arch_key(key, sizeof key, c->p, suffix);
  memset(&tv, 0, sizeof tv);
  tv.type = TP_VALUE_ARRAY;
  tv.elem_type = TP_VALUE_I32;
  tv.count = 4;
  tv.v.array = a;
  return tp_arch_kvl_set(c->l, key, &tv);
}

static tp_status pooling(kvctx *c) {
  const json_t *mods = c->in->st_modules, *pool = c->in->st_pooling, *cp;
  char key[160];
  tp_status st;
  if (json_is_array(mods) && pool) {
    bool found = false;
    size_t i;
    json_t *m;
    uint32_t type = 0;
    const char *mode;
    json_array_foreach(mods, i, m) {
      const char *t = json_string_value(json_object_get(m, "type"));
      size_t tl = t ? strlen(t) : 0;
      if (t && tl >= 7 && !strcmp(t + tl - 7, "Pooling")) {
        found = true;
        break;
      }
    }
    if (found) {
      mode = json_string_value(json_object_get(pool, "pooling_mode"));
      if (json_is_true(json_object_get(pool, "pooling_mode_mean_tokens"))) type = 1;
      else if (json_is_true(json_object_get(pool, "pooling_mode_cls_token"))) type = 2;
      else if (json_is_true(json_object_get(pool, "pooling_mode_lasttoken"))) type = 3;
      else if (mode && !strcmp(mode, "mean")) type = 1;
      else if (mode && !strcmp(mode, "cls")) type = 2;
      else if (mode && !strcmp(mode, "lasttoken")) type = 3;
      else
        return tp_error(TP_EUNSUPPORTED,
                        "sentence-transformers pooling: only MEAN, CLS and LAST "
                        "pooling types are supported");
      tp_arch_key(key, sizeof key, c->p, "pooling_type");
      if ((st = tp_arch_kvl_u32(c->l, key, type)) != TP_OK) return st;
    }
  }
  cp = json_object_get(c->hp, "classifier_pooling");
  if (cp && !json_is_null(cp)) {
    const char *s = json_string_value(cp);
    if (!s || (strcmp(s, "cls") && strcmp(s, "mean")))
      return tp_error(TP_EUNSUPPORTED, "config.json: unsupported classifier_pooling");
    tp_arch_key(key, sizeof key, c->p, "classifier.pooling_type");
    return tp_arch_kvl_u32(c->l, key, !strcmp(s, "mean") ? 1 : 2);
  }
  return TP_OK;
}

/* BERT's classifier labels, in order of their (integer) ids. */
static tp_status cls_labels(kvctx *c, const char *suffix) {
  const json_t *labels = json_object_get(c->hp, "id2label");
  const json_t *l0;
  size_t n, i;
  tp_string *a;
  tp_value tv;
  char key[160];
  tp_status st;
  if (!json_is_object(labels) || !(n = json_object_size(labels))) return TP_OK;
  l0 = json_object_get(labels, "0");
  if (n == 2 && json_is_string(l0) && !strcmp(json_string_value(l0), "LABEL_0"))
    return TP_OK;
  a = tp_calloc(n, sizeof *a);
  if (!a) return TP_ENOMEM;
  /* ids must be 0..n-1 to be an ordered list: sorted(items()) */
  for (i = 0; i < n; i++) {
    char k[24];
    const json_t *v;
    snprintf(k, sizeof k, "%zu", i);
    v = json_object_get(labels, k);
    if (!json_is_string(v)) {
      free(a);
      return tp_error(TP_EUNSUPPORTED,
                      "config.json: id2label ids are not 0..%zu with string "
                      "labels",
                      n - 1);
    }
    a[i].data = json_string_value(v);
    a[i].len = json_string_length(v);
  }
  tp_arch_key(key, sizeof key, c->p, suffix);
  memset(&tv, 0, sizeof tv);
  tv.type = TP_VALUE_ARRAY;
  tv.elem_type = TP_VALUE_STRING;
  tv.count = n;
  tv.v.array = a;
  st = tp_arch_kvl_set(c->l, key, &tv);
  free(a);
  return st;
}

static tp_status run(kvctx *c, const tp_arch_kv_rule *r);

static tp_status step(kvctx *c, const tp_arch_kv_rule *r) {
  char which[64] = "", key[160];
  const json_t *v = NULL;
  tp_status st;
  if (r->fields) v = tp_arch_hp_find(c->hp, r->fields, which, sizeof which);
  switch ((tp_arch_kv_op)r->op) {
  case KV_END:
    return TP_OK;
  case KV_BASE:
    return run(c, k_base);
  case KV_BLOCK_COUNT:
    tp_arch_key(key, sizeof key, c->p, r->key);
    return tp_arch_kvl_u32(c->l, key, c->blocks);
  case KV_U32:
    if (!v || json_is_null(v)) return TP_OK;
    return put_u32(c, r->key, which, v);
  case KV_U32_REQ:
  case KV_F32_REQ:
    if (!v || json_is_null(v))
      return tp_error(TP_EFORMAT, "config.json: %s is needed (for %s.%s)",
                      r->fields, c->p->gguf_arch, r->key);
    return r->op == KV_U32_REQ ? put_u32(c, r->key, which, v)
                               : put_f32(c, r->key, which, v);
  case KV_U32_DEF:
  case KV_F32_DEF: {
    json_t *d;
    if (v) {
      if (json_is_null(v))
        return tp_error(TP_EFORMAT, "config.json: %s is null (for %s.%s)",
                        r->fields, c->p->gguf_arch, r->key);
      return r->op == KV_U32_DEF ? put_u32(c, r->key, which, v)
                                 : put_f32(c, r->key, which, v);
    }
    d = r->op == KV_U32_DEF ? json_integer((json_int_t)r->def) : json_real(r->def);
    if (!d) return TP_ENOMEM;
    st = r->op == KV_U32_DEF ? put_u32(c, r->key, r->fields, d)
                             : put_f32(c, r->key, r->fields, d);
    json_decref(d);
    return st;
  }
  case KV_F32:
    if (!v || json_is_null(v)) return TP_OK;
    return put_f32(c, r->key, which, v);
  case KV_F32_TRUTHY:
    if (!v || json_is_null(v) || json_is_false(v) ||
        (json_is_number(v) && json_number_value(v) == 0))
      return TP_OK;
    return put_f32(c, r->key, which, v);
  case KV_HEAD_DIM_KV:
    v = json_object_get(c->hp, "head_dim");
    if (!v || json_is_null(v)) return TP_OK;
    if ((st = put_u32(c, "attention.key_length", "head_dim", v)) != TP_OK) return st;
    return put_u32(c, "attention.value_length", "head_dim", v);
  case KV_HEAD_COUNT_KV_OR_HEADS:
    v = json_object_get(c->hp, "num_key_value_heads");
    if (!v) v = json_object_get(c->hp, "num_attention_heads");
    if (!v || json_is_null(v))
      return tp_error(TP_EFORMAT, "config.json: num_attention_heads is needed");
    return put_u32(c, r->key, "num_key_value_heads", v);
  case KV_CAUSAL_IF_FALSE:
    if (!json_is_false(v)) return TP_OK;
    /* fall through */
  case KV_CAUSAL_FALSE:
    tp_arch_key(key, sizeof key, c->p, "attention.causal");
    return tp_arch_kvl_bool(c->l, key, false);
  case KV_ROPE_SCALING:
    return rope_scaling(c);
  case KV_MROPE:
    return mrope(c, r->key);
  case KV_ROPE_THETA:
  case KV_ROPE_THETA_DEF:
  case KV_ROPE_THETA_REQ: {
    const json_t *rp = tp_arch_rope_params(c->hp);
    v = rp ? json_object_get(rp, "rope_theta") : NULL;
    if (r->op == KV_ROPE_THETA && (!v || json_is_null(v))) return TP_OK;
    if (r->op == KV_ROPE_THETA_REQ && !v)
      return tp_error(TP_EFORMAT, "config.json: rope_theta is needed");
    if (r->op == KV_ROPE_THETA_DEF && !v) {
      tp_arch_key(key, sizeof key, c->p, r->key);
      return tp_arch_kvl_f32(c->l, key, r->def);
    }
    return put_f32(c, r->key, "rope_theta", v);
  }
  case KV_ROPE_THETA_SWA: {
    const json_t *rp = json_object_get(c->hp, "rope_parameters");
    v = json_object_get(json_object_get(rp, "sliding_attention"), "rope_theta");
    if (!v || json_is_null(v)) return TP_OK;
    return put_f32(c, r->key, "rope_theta", v);
  }
  case KV_GATING_FUNC: {
    const char *f;
    if (!v || json_is_null(v)) return TP_OK;
    f = json_string_value(v);
    tp_arch_key(key, sizeof key, c->p, r->key);
    if (f && !strcmp(f, "sigmoid")) return tp_arch_kvl_u32(c->l, key, 2);
    if (f && !strcmp(f, "softmax")) return tp_arch_kvl_u32(c->l, key, 1);
    if (f && !strcmp(f, "sqrtsoftplus")) return tp_arch_kvl_u32(c->l, key, 4);
    return tp_error(TP_EUNSUPPORTED, "config.json: unsupported expert score "
                    "gating function in %s", which);
  }
  case KV_FILE_TYPE:
    return tp_arch_kvl_u32(c->l, "general.file_type", c->in->file_type);
  case KV_VOCAB_SIZE:
    if (!v || json_is_null(v))
      return tp_error(TP_EFORMAT, "config.json: vocab_size is needed");
    return put_u32(c, r->key, "vocab_size", v);
  case KV_ROPE_DIM_LLAMA: {
    int64_t h, n;
    json_t *d;
    v = json_object_get(c->hp, "head_dim");
    if (v && !json_is_null(v)) return put_u32(c, r->key, "head_dim", v);
    if ((st = tp_arch_hp_int(c->hp, "hidden_size", &h)) != TP_OK ||
        (st = tp_arch_hp_int(c->hp, "num_attention_heads", &n)) != TP_OK || n <= 0)
      return tp_error(TP_EFORMAT, "config.json: hidden_size and "
                      "num_attention_heads are needed for the rope dimension");
    d = json_integer(h / n);
    st = put_u32(c, r->key, "hidden_size // num_attention_heads", d);
    json_decref(d);
    return st;
  }
  case KV_ROPE_DIM_PHI3: {
    const json_t *rp = tp_arch_rope_params(c->hp);
    int64_t e, n;
    double prf = 1.0;
    json_t *d;
    const json_t *pv = rp ? json_object_get(rp, "partial_rotary_factor") : NULL;
    if (pv && !json_is_number(pv))
      return tp_error(TP_EFORMAT, "config.json: partial_rotary_factor is not a number");
    if (pv) prf = json_number_value(pv);
    if (tp_arch_hp_int(c->hp, "hidden_size|n_embd", &e) != TP_OK ||
        tp_arch_hp_int(c->hp, "num_attention_heads|n_head", &n) != TP_OK || n <= 0)
      return tp_error(TP_EFORMAT, "config.json: hidden_size and "
                      "num_attention_heads are needed");
    /* int(rot_pct * n_embd) // n_head */
    d = json_integer((json_int_t)floor(trunc(prf * (double)e) / (double)n));
    st = put_u32(c, r->key, "partial_rotary_factor * hidden_size", d);
    json_decref(d);
    return st;
  }
  case KV_ORIG_CTX_PHI3: {
    const json_t *rp = tp_arch_rope_params(c->hp);
    v = rp ? json_object_get(rp, "original_max_position_embeddings") : NULL;
    if (!v)
      return tp_error(TP_EFORMAT, "config.json: original_max_position_embeddings "
                      "is needed");
    return put_u32(c, r->key, "original_max_position_embeddings", v);
  }
  case KV_SLIDING_WINDOW_OR_0: {
    json_t *z;
    v = json_object_get(c->hp, "sliding_window");
    if (v && !json_is_null(v)) return put_u32(c, r->key, "sliding_window", v);
    z = json_integer(0);
    st = put_u32(c, r->key, "sliding_window", z);
    json_decref(z);
    return st;
  }
  case KV_SLIDING_WINDOW_GEMMA3: {
    const json_t *pat = json_object_get(c->hp, "sliding_window_pattern");
    if (json_is_integer(pat) && json_integer_value(pat) == 1) return TP_OK;
    v = json_object_get(c->hp, "sliding_window");
    if (!v || json_is_null(v))
      return tp_error(TP_EFORMAT, "config.json: sliding_window is needed");
    return put_u32(c, r->key, "sliding_window", v);
  }
  case KV_POOLING:
    return pooling(c);
  case KV_CLS_LABELS:
    return cls_labels(c, r->key);
  }
  return tp_error(TP_EINVAL, "bad KV rule");
}

static tp_status run(kvctx *c, const tp_arch_kv_rule *r) {
  for (; r->op != KV_END; r++) {
    tp_status st = step(c, r);
    if (st != TP_OK) return st;
  }
  return TP_OK;
}

/* Phi-3 long-rope: the attention factor generate_extra_tensors writes.
 * *has = false when the config has no long factors. */
static tp_status phi3_attn_factor(const json_t *hp, bool *has, double *out) {
  const json_t *rp = tp_arch_rope_params(hp);
  const json_t *lf = rp ? json_object_get(rp, "long_factor") : NULL;
  const json_t *t;
  double maxpos, orig, scale;
  char type[32];
  size_t i;
  *has = false;
  if (!json_is_array(lf) || !json_array_size(lf)) return TP_OK;
  if (tp_arch_hp_num(hp, "n_positions|max_position_embeddings", &maxpos) != TP_OK ||
      !json_is_number(json_object_get(rp, "original_max_position_embeddings")))
    return tp_error(TP_EFORMAT, "config.json: max_position_embeddings and "
                    "original_max_position_embeddings are needed for long-rope");
  orig = json_number_value(json_object_get(rp, "original_max_position_embeddings"));
  if (orig == 0) return tp_error(TP_EFORMAT, "config.json: original context 0");
  scale = maxpos / orig;
  t = json_object_get(rp, "rope_type");
  if (!json_is_string(t) || !json_string_length(t) || json_string_length(t) >= sizeof type)
    return tp_error(TP_EFORMAT, "config.json: Missing the required key "
                    "rope_scaling.type");
  for (i = 0; i <= json_string_length(t); i++) {
    char ch = json_string_value(t)[i];
    type[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
  }
  if (!strcmp(type, "su") || !strcmp(type, "longrope"))
    *out = scale > 1.0 ? sqrt(1 + log(scale) / log(orig)) : 1.0;
  else if (!strcmp(type, "yarn"))
    *out = scale > 1.0 ? 0.1 * log(scale) + 1.0 : 1.0;
  else
    return tp_error(TP_EUNSUPPORTED, "config.json: the rope scaling type %s is "
                    "not supported", type);
  *has = true;
  return TP_OK;
}

tp_status tp_arch_gguf_kvs(const tp_arch_profile *p, const tp_arch_inputs *in,
                           const tp_arch_mapping *tensors, tp_metastore *out) {
  tp_arch_kvl l;
  kvctx c;
  json_t *hp = NULL;
  tp_status st;
  if (!p || !in || !in->config || !out)
    return tp_error(TP_EINVAL, "tp_arch_gguf_kvs: missing argument");
  if ((st = tp_arch_hparams(p, in->config, &hp)) != TP_OK) return st;
  tp_arch_kvl_init(&l);
  memset(&c, 0, sizeof c);
  c.p = p;
  c.in = in;
  c.hp = hp;
  c.l = &l;
  st = tp_arch_block_count(hp, &c.blocks);
  if (st == TP_OK)
    st = tp_arch_kvl_str(&l, "general.architecture", p->gguf_arch,
                         strlen(p->gguf_arch));
  if (st == TP_OK && (p->flags & PF_ROPE_PHI3)) {
    bool has;
    double f;
    st = phi3_attn_factor(hp, &has, &f);
    if (st == TP_OK && has) {
      char key[160];
      tp_arch_key(key, sizeof key, p, "rope.scaling.attn_factor");
      st = tp_arch_kvl_f32(&l, key, f);
    }
  }
  if (st == TP_OK) st = tp_arch_kvl_str(&l, "general.type", "model", 5);
  if (st == TP_OK) st = tp_arch_authorship(in, tensors, &l);
  if (st == TP_OK) st = run(&c, p->kvs);
  if (st == TP_OK)
    st = tp_arch_kvl_u32(&l, "general.quantization_version",
                         TP_GGUF_QUANTIZATION_VERSION);
  if (st == TP_OK) st = tp_arch_kvl_emit(&l, out);
  tp_arch_kvl_free(&l);
  json_decref(hp);
  return st;
}
