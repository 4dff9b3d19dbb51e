/*
 * reverse.c - the way back, GGUF -> Hugging Face folder: config.json and
 * generation_config.json rebuilt from the GGUF keys, and every GGUF tensor
 * given its HF name and the inverse transform.
 *
 * The anchor is transformers' own GGUF loading (integrations/ggml.py
 * GGUF_CONFIG_MAPPING and GGUF_CONFIG_DEFAULTS_MAPPING,
 * modeling_gguf_pytorch_utils.py): the same field names and values
 * (floats are the FLOAT32 values widened, as transformers reads them), the
 * tie_word_embeddings rule, token ids from tokenizer.ggml.*, Q/K rows
 * un-permuted, Gemma norms minus one, experts split. Where transformers
 * does not map a key the forward mapping wrote (expert counts of Mixtral,
 * head_dim of Qwen3, Gemma 2's soft-capping, rope scaling, the Gemma 1 and
 * BERT architectures it cannot load at all), the inverse of the forward
 * profile fills it, so that the folder loads as the model it came from.
 */
#include "arch_impl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static const tp_value *kv(const tp_model *m, const tp_arch_profile *p,
                          const char *suffix) {
  char key[160];
  tp_arch_key(key, sizeof key, p, suffix);
  return tp_model_meta_find(m, key);
}

/* An integer KV as a JSON integer (NULL when absent). */
static tp_status kv_int(const tp_model *m, const char *key, json_t **out) {
  const tp_value *v = tp_model_meta_find(m, key);
  *out = NULL;
  if (!v) return TP_OK;
  switch (v->type) {
  case TP_VALUE_U8: case TP_VALUE_U16: case TP_VALUE_U32: case TP_VALUE_U64:
    if (v->v.u > (uint64_t)INT64_MAX) break;
    *out = json_integer((json_int_t)v->v.u);
    return *out ? TP_OK : TP_ENOMEM;
  case TP_VALUE_I8: case TP_VALUE_I16: case TP_VALUE_I32: case TP_VALUE_I64:
    *out = json_integer(v->v.i);
    return *out ? TP_OK : TP_ENOMEM;
  default:
    break;
  }
  return tp_error(TP_EFORMAT, "GGUF: %s is not an integer (%s)", key,
                  tp_value_type_name(v->type));
}

static tp_status kv_real(const tp_model *m, const char *key, json_t **out) {
  const tp_value *v = tp_model_meta_find(m, key);
  *out = NULL;
  if (!v) return TP_OK;
  if (v->type == TP_VALUE_F32 || v->type == TP_VALUE_F64) {
    *out = json_real(v->v.f);
    return *out ? TP_OK : TP_ENOMEM;
  }
  if (v->type == TP_VALUE_U32 || v->type == TP_VALUE_I32) {
    *out = json_real(v->type == TP_VALUE_U32 ? (double)v->v.u : (double)v->v.i);
    return *out ? TP_OK : TP_ENOMEM;
  }
  return tp_error(TP_EFORMAT, "GGUF: %s is not a number (%s)", key,
                  tp_value_type_name(v->type));
}

/* config[field] = the arch KV suffix (integer), when present. */
static tp_status map_int(json_t *c, const tp_model *m, const tp_arch_profile *p,
                         const char *suffix, const char *field) {
  char key[160];
  json_t *v;
  tp_status st;
  tp_arch_key(key, sizeof key, p, suffix);
  if ((st = kv_int(m, key, &v)) != TP_OK) return st;
  if (v && json_object_set_new(c, field, v)) return TP_ENOMEM;
  return TP_OK;
}

static tp_status map_real(json_t *c, const tp_model *m, const tp_arch_profile *p,
                          const char *suffix, const char *field) {
  char key[160];
  json_t *v;
  tp_status st;
  tp_arch_key(key, sizeof key, p, suffix);
  if ((st = kv_real(m, key, &v)) != TP_OK) return st;
  if (v && json_object_set_new(c, field, v)) return TP_ENOMEM;
  return TP_OK;
}

static size_t find_tensor(const tp_model *m, const char *name) {
  return tp_model_find_tensor(m, name, strlen(name));
}

static tp_status read_f32_tensor(const tp_model *m, size_t i, float **out,
                                 size_t *n) {
  tp_tensor_info ti;
  void *raw;
  tp_status st;
  *out = NULL;
  if ((st = tp_model_tensor(m, i, &ti)) != TP_OK) return st;
  if (ti.ndim != 1 || ti.nelements > (1u << 20))
    return tp_error(TP_EFORMAT, "GGUF: tensor %s: expected a vector",
                    ti.name.data);
  raw = tp_malloc((size_t)ti.nbytes + 1);
  *out = tp_malloc((size_t)ti.nelements * sizeof **out + 1);
  if (!raw || !*out) {
    free(raw);
    free(*out);
    *out = NULL;
    return TP_ENOMEM;
  }
  st = tp_model_read(m, i, 0, raw, (size_t)ti.nbytes);
  if (st == TP_OK)
    st = tp_convert_elements(TP_TYPE_F32, *out, ti.type, raw, (size_t)ti.nelements);
  free(raw);
  if (st != TP_OK) {
    free(*out);
    *out = NULL;
    return st;
  }
  *n = (size_t)ti.nelements;
  return TP_OK;
}

/* Llama 3 rope_freqs back to its parameters: the factors are recomputed for
 * candidate parameters and accepted only when every value is identical. */
static tp_status llama3_params(const tp_model *m, const tp_arch_profile *p,
                               json_t *rp, size_t ti, double theta) {
  static const double lows[] = {1, 2, 0.5, 4};
  static const double highs[] = {4, 8, 2, 16, 1, 32};
  float *f = NULL, *g = NULL;
  size_t n = 0, i, a, b;
  const tp_value *dimv = kv(m, p, "rope.dimension_count");
  double factor = 0;
  uint32_t dim;
  tp_status st = read_f32_tensor(m, ti, &f, &n);
  if (st != TP_OK) return st;
  dim = dimv && dimv->type == TP_VALUE_U32 ? (uint32_t)dimv->v.u : (uint32_t)(2 * n);
  if (dim != 2 * n) {
    free(f);
    return tp_error(TP_EFORMAT, "GGUF: rope_freqs has %zu values for rope "
                    "dimension %u", n, dim);
  }
  for (i = 0; i < n; i++)
    if (f[i] > factor) factor = f[i];
  g = tp_malloc(n * sizeof *g + 1);
  if (!g) {
    free(f);
    return TP_ENOMEM;
  }
  for (a = 0; a < TP_ARRAY_LEN(lows); a++)
    for (b = 0; b < TP_ARRAY_LEN(highs); b++) {
      double orig;
      if (highs[b] <= lows[a]) continue;
      for (orig = 16; orig <= 16777216; orig *= 2) {
        if (tp_arch_xform_llama3_rope(g, dim, theta, factor, lows[a], highs[b],
                                      orig) != TP_OK)
          continue;
        if (!memcmp(f, g, n * sizeof *f)) {
          json_object_set_new(rp, "rope_type", json_string("llama3"));
          json_object_set_new(rp, "factor", json_real(factor));
          json_object_set_new(rp, "low_freq_factor", json_real(lows[a]));
          json_object_set_new(rp, "high_freq_factor", json_real(highs[b]));
          json_object_set_new(rp, "original_max_position_embeddings",
                              json_integer((json_int_t)orig));
          free(f);
          free(g);
          return TP_OK;
        }
      }
    }
  free(f);
  free(g);
  return tp_error(TP_EUNSUPPORTED,
                  "GGUF: rope_freqs is not what llama3 rope parameters with a "
                  "power-of-two original context would give; its parameters "
                  "cannot be recovered");
}

/* Token ids: tokenizer.ggml.* -> config (GGUF_CONFIG_MAPPING "tokenizer"). */
static tp_status token_ids(json_t *c, const tp_model *m) {
  static const char *const keys[][2] = {
      {"tokenizer.ggml.bos_token_id", "bos_token_id"},
      {"tokenizer.ggml.eos_token_id", "eos_token_id"},
      {"tokenizer.ggml.unknown_token_id", "unk_token_id"},
      {"tokenizer.ggml.padding_token_id", "pad_token_id"}};
  size_t i;
  for (i = 0; i < TP_ARRAY_LEN(keys); i++) {
    json_t *v;
    tp_status st = kv_int(m, keys[i][0], &v);
    if (st != TP_OK) return st;
    if (v && json_object_set_new(c, keys[i][1], v)) return TP_ENOMEM;
  }
  return TP_OK;
}

static tp_status rope_block(json_t *c, const tp_model *m, const tp_arch_profile *p) {
  json_t *rp = json_object(), *theta = NULL, *v;
  const tp_value *type = kv(m, p, "rope.scaling.type");
  char key[160];
  tp_status st;
  size_t ti;
  if (!rp) return TP_ENOMEM;
  tp_arch_key(key, sizeof key, p, "rope.freq_base");
  if ((st = kv_real(m, key, &theta)) != TP_OK) goto fail;
  json_object_set_new(rp, "rope_type", json_string("default"));
  if (theta) json_object_set(rp, "rope_theta", theta);
  if (type && type->type == TP_VALUE_STRING) {
    char t[32];
    snprintf(t, sizeof t, "%.*s", (int)type->v.s.len, type->v.s.data);
    if (!strcmp(t, "linear") || !strcmp(t, "yarn")) {
      json_object_set_new(rp, "rope_type", json_string(t));
      tp_arch_key(key, sizeof key, p, "rope.scaling.factor");
      if ((st = kv_real(m, key, &v)) != TP_OK) goto fail;
      if (v) json_object_set_new(rp, "factor", v);
    }
    if (!strcmp(t, "yarn")) {
      static const char *const extra[][2] = {
          {"rope.scaling.yarn_ext_factor", "extrapolation_factor"},
          {"rope.scaling.yarn_attn_factor", "attention_factor"},
          {"rope.scaling.yarn_beta_fast", "beta_fast"},
          {"rope.scaling.yarn_beta_slow", "beta_slow"}};
      size_t i;
      tp_arch_key(key, sizeof key, p, "rope.scaling.original_context_length");
      if ((st = kv_int(m, key, &v)) != TP_OK) goto fail;
      if (v) json_object_set_new(rp, "original_max_position_embeddings", v);
      for (i = 0; i < TP_ARRAY_LEN(extra); i++) {
        tp_arch_key(key, sizeof key, p, extra[i][0]);
        if ((st = kv_real(m, key, &v)) != TP_OK) goto fail;
        if (v) json_object_set_new(rp, extra[i][1], v);
      }
    }
  }
  if ((p->flags & PF_ROPE_LLAMA3) &&
      (ti = find_tensor(m, "rope_freqs.weight")) != SIZE_MAX) {
    if ((st = llama3_params(m, p, rp, ti, theta ? json_real_value(theta) : 10000.0)) !=
        TP_OK)
      goto fail;
  }
  if ((p->flags & PF_ROPE_PHI3)) {
    size_t li = find_tensor(m, "rope_factors_long.weight");
    size_t si = find_tensor(m, "rope_factors_short.weight");
    if (li != SIZE_MAX && si != SIZE_MAX) {
      float *lf = NULL, *sf = NULL;
      size_t ln = 0, sn = 0, i;
      json_t *la = json_array(), *sa = json_array();
      st = read_f32_tensor(m, li, &lf, &ln);
      if (st == TP_OK) st = read_f32_tensor(m, si, &sf, &sn);
      for (i = 0; st == TP_OK && i < ln; i++) json_array_append_new(la, json_real(lf[i]));
      for (i = 0; st == TP_OK && i < sn; i++) json_array_append_new(sa, json_real(sf[i]));
      free(lf);
      free(sf);
      json_object_set_new(rp, "rope_type", json_string("longrope"));
      json_object_set_new(rp, "long_factor", la);
      json_object_set_new(rp, "short_factor", sa);
      if (st != TP_OK) goto fail;
    }
  }
  json_decref(theta);
  return json_object_set_new(c, "rope_parameters", rp) ? TP_ENOMEM : TP_OK;
fail:
  json_decref(theta);
  json_decref(rp);
  return st;
}

static uint64_t rows_of(const tp_model *m, const char *name, int dim_from_end) {
  size_t i = find_tensor(m, name);
  tp_tensor_info ti;
  if (i == SIZE_MAX || tp_model_tensor(m, i, &ti) != TP_OK || !ti.ndim) return 0;
  return ti.shape[dim_from_end ? ti.ndim - 1 : 0];
}

tp_status tp_arch_hf_config(const tp_arch_profile *p, const tp_model *m,
                            const char *dtype, json_t **config,
                            json_t **generation_config) {
  json_t *c = json_object(), *g = NULL, *v;
  tp_status st = TP_OK;
  uint64_t vocab;
  const tp_value *ff;
  *config = NULL;
  if (generation_config) *generation_config = NULL;
  if (!c) return TP_ENOMEM;
  if ((p->flags & PF_BERT) && (find_tensor(m, "cls.output.weight") != SIZE_MAX ||
                               find_tensor(m, "cls.weight") != SIZE_MAX)) {
    json_decref(c);
    return tp_error(TP_EUNSUPPORTED,
                    "GGUF: a BERT classifier head cannot be rebuilt: the "
                    "reference converter drops the pooler it sits on");
  }
  json_object_set_new(c, "architectures", json_pack("[s]", p->hf_arch_out));
  json_object_set_new(c, "model_type", json_string(p->model_type_out));
  ff = kv(m, p, "feed_forward_length");
  if (ff && ff->type == TP_VALUE_ARRAY) {
    json_decref(c);
    return tp_error(TP_EUNSUPPORTED, "GGUF: a per-layer feed_forward_length has no "
                    "%s config field", p->name);
  }
  if (st == TP_OK) st = map_int(c, m, p, "context_length", "max_position_embeddings");
  if (st == TP_OK) st = map_int(c, m, p, "block_count", "num_hidden_layers");
  if (st == TP_OK) st = map_int(c, m, p, "feed_forward_length", "intermediate_size");
  if (st == TP_OK) st = map_int(c, m, p, "embedding_length", "hidden_size");
  if (st == TP_OK) st = map_int(c, m, p, "attention.head_count", "num_attention_heads");
  if (st == TP_OK && !(p->flags & PF_BERT)) {
    st = map_int(c, m, p, "attention.head_count_kv", "num_key_value_heads");
    if (st == TP_OK && !json_object_get(c, "num_key_value_heads") &&
        json_object_get(c, "num_attention_heads"))
      json_object_set(c, "num_key_value_heads", json_object_get(c, "num_attention_heads"));
  }
  if (st == TP_OK) st = map_real(c, m, p, "attention.layer_norm_rms_epsilon", "rms_norm_eps");
  if (st == TP_OK) st = map_real(c, m, p, "attention.layer_norm_epsilon", "layer_norm_eps");
  /* head_dim: rope.dimension_count for llama (transformers), key_length
   * where the forward mapping wrote it */
  if (st == TP_OK && (p->flags & PF_EXPERTS_MIXTRAL))
    st = map_int(c, m, p, "rope.dimension_count", "head_dim");
  if (st == TP_OK && !(p->flags & PF_EXPERTS_MIXTRAL) && !(p->flags & PF_BERT))
    st = map_int(c, m, p, "attention.key_length", "head_dim");
  if (st == TP_OK && (p->flags & (PF_EXPERTS_MIXTRAL | PF_EXPERTS_QWEN))) {
    const char *ne = (p->flags & PF_EXPERTS_QWEN) ? "num_experts" : "num_local_experts";
    if (kv(m, p, "expert_count")) {
      st = map_int(c, m, p, "expert_count", ne);
      if (st == TP_OK) st = map_int(c, m, p, "expert_used_count", "num_experts_per_tok");
    }
    if (st == TP_OK && (p->flags & PF_EXPERTS_QWEN)) {
      st = map_int(c, m, p, "expert_feed_forward_length", "moe_intermediate_size");
      /* llama.cpp's qwen3moe always normalises the top-k weights */
      json_object_set_new(c, "norm_topk_prob", json_true());
    }
  }
  if (st == TP_OK && !strcmp(p->name, "gemma2")) {
    st = map_real(c, m, p, "attn_logit_softcapping", "attn_logit_softcapping");
    if (st == TP_OK) st = map_real(c, m, p, "final_logit_softcapping", "final_logit_softcapping");
    if (st == TP_OK) st = map_int(c, m, p, "attention.sliding_window", "sliding_window");
  }
  if (st == TP_OK && !strcmp(p->name, "gemma3")) {
    st = map_int(c, m, p, "attention.sliding_window", "sliding_window");
    if (st == TP_OK) st = map_real(c, m, p, "final_logit_softcapping", "final_logit_softcapping");
  }
  if (st == TP_OK && !strcmp(p->name, "phi3")) {
    const tp_value *rd = kv(m, p, "rope.dimension_count");
    st = map_int(c, m, p, "rope.scaling.original_context_length",
                 "original_max_position_embeddings");
    if (st == TP_OK) {
      v = NULL;
      st = map_int(c, m, p, "attention.sliding_window", "sliding_window");
      v = json_object_get(c, "sliding_window");
      if (json_is_integer(v) && !json_integer_value(v))
        json_object_set_new(c, "sliding_window", json_null());
    }
    if (st == TP_OK && rd && json_is_integer(json_object_get(c, "hidden_size")) &&
        json_is_integer(json_object_get(c, "num_attention_heads"))) {
      double h = (double)json_integer_value(json_object_get(c, "hidden_size"));
      double n = (double)json_integer_value(json_object_get(c, "num_attention_heads"));
      if (h > 0 && (double)rd->v.u * n != h)
        json_object_set_new(c, "partial_rotary_factor", json_real((double)rd->v.u * n / h));
    }
  }
  if (st == TP_OK && p->default_theta != 0.0) st = rope_block(c, m, p);
  if (st == TP_OK && !strcmp(p->name, "gemma3")) {
    /* rope parameters per layer type */
    json_t *flat = json_object_get(c, "rope_parameters"), *swa = NULL, *rp;
    char key[160];
    tp_arch_key(key, sizeof key, p, "rope.freq_base_swa");
    st = kv_real(m, key, &swa);
    rp = json_pack("{s:{s:s},s:{s:s}}", "full_attention", "rope_type", "default",
                   "sliding_attention", "rope_type", "default");
    if (st == TP_OK && rp) {
      json_t *t = json_object_get(flat, "rope_theta");
      if (t) json_object_set(json_object_get(rp, "full_attention"), "rope_theta", t);
      if (swa) json_object_set(json_object_get(rp, "sliding_attention"), "rope_theta", swa);
      json_object_set_new(c, "rope_parameters", rp);
    } else {
      json_decref(rp);
    }
    json_decref(swa);
  }
  /* biases the config class only has on request (transformers' GGUF
   * loader does not set these, and drops the biases) */
  if (st == TP_OK && !(p->flags & PF_BERT) && strcmp(p->name, "qwen2") &&
      find_tensor(m, "blk.0.attn_q.bias") != SIZE_MAX)
    json_object_set_new(c, "attention_bias", json_true());
  if (st == TP_OK && (p->flags & PF_EXPERTS_MIXTRAL) &&
      find_tensor(m, "blk.0.ffn_up.bias") != SIZE_MAX)
    json_object_set_new(c, "mlp_bias", json_true());
  if (st == TP_OK && (p->flags & PF_BERT)) {
    uint64_t tt = rows_of(m, "token_types.weight", 0);
    if (tt) json_object_set_new(c, "type_vocab_size", json_integer((json_int_t)tt));
  }
  /* vocabulary: the vocab_size key, else the embedding's rows (transformers
   * takes the token list's length; the reference writes one per row) */
  if (st == TP_OK) {
    const tp_value *vs = kv(m, p, "vocab_size");
    vocab = vs && vs->type == TP_VALUE_U32 ? vs->v.u : rows_of(m, "token_embd.weight", 0);
    if (vocab) json_object_set_new(c, "vocab_size", json_integer((json_int_t)vocab));
  }
  if (st == TP_OK) {
    json_object_set_new(c, "tie_word_embeddings",
                        json_boolean(find_tensor(m, "output.weight") == SIZE_MAX));
    st = token_ids(c, m);
  }
  if (st == TP_OK && dtype) json_object_set_new(c, "dtype", json_string(dtype));
  if (st == TP_OK && generation_config && !(p->flags & PF_BERT)) {
    static const char *const samp[][3] = {
        {"general.sampling.temp", "temperature", "r"},
        {"general.sampling.top_k", "top_k", "i"},
        {"general.sampling.top_p", "top_p", "r"},
        {"general.sampling.min_p", "min_p", "r"},
        {"general.sampling.penalty_repeat", "repetition_penalty", "r"}};
    size_t i;
    g = json_object();
    if (!g) st = TP_ENOMEM;
    if (st == TP_OK) {
      json_object_set_new(g, "_from_model_config", json_true());
      if ((v = json_object_get(c, "bos_token_id"))) json_object_set(g, "bos_token_id", v);
      if ((v = json_object_get(c, "eos_token_id"))) json_object_set(g, "eos_token_id", v);
      if ((v = json_object_get(c, "pad_token_id"))) json_object_set(g, "pad_token_id", v);
    }
    for (i = 0; st == TP_OK && i < TP_ARRAY_LEN(samp); i++) {
      json_t *x = NULL;
      st = samp[i][2][0] == 'i' ? kv_int(m, samp[i][0], &x) : kv_real(m, samp[i][0], &x);
      if (st == TP_OK && x) {
        json_object_set_new(g, samp[i][1], x);
        if (!strcmp(samp[i][1], "temperature") || !strcmp(samp[i][1], "top_k") ||
            !strcmp(samp[i][1], "top_p"))
          json_object_set_new(g, "do_sample", json_true());
      }
    }
  }
  if (st != TP_OK) {
    json_decref(c);
    json_decref(g);
    return st;
  }
  *config = c;
  if (generation_config) *generation_config = g;
  return TP_OK;
}

/* ---- tensors ----------------------------------------------------------------- */

/* Expands {bid} and {xid} of an HF template. */
static void expand(char *buf, size_t len, const char *tpl, long long bid,
                   long long xid) {
  size_t used = 0;
  while (*tpl && used + 1 < len) {
    if (!strncmp(tpl, "{bid}", 5) || !strncmp(tpl, "{xid}", 5)) {
      int w = snprintf(buf + used, len - used, "%lld", tpl[1] == 'b' ? bid : xid);
      if (w < 0) break;
      used += (size_t)w;
      tpl += 5;
    } else {
      buf[used++] = *tpl++;
    }
  }
  buf[used < len ? used : len - 1] = 0;
}

/* GGUF template match ("blk.{bid}.attn_q" against "blk.3.attn_q"). */
static bool match_gguf(const char *tpl, const char *name, long long *bid) {
  const char *at = strstr(tpl, "{bid}");
  size_t pre;
  char *end;
  long long v;
  if (!at) return !strcmp(tpl, name);
  pre = (size_t)(at - tpl);
  if (strncmp(tpl, name, pre)) return false;
  if (name[pre] < '0' || name[pre] > '9') return false;
  v = strtoll(name + pre, &end, 10);
  if ((end - (name + pre) > 1 && name[pre] == '0') || strcmp(end, at + 5)) return false;
  *bid = v;
  return true;
}

static int cmp_out(const void *a, const void *b) {
  return strcmp(((const tp_arch_out_tensor *)a)->name,
                ((const tp_arch_out_tensor *)b)->name);
}

tp_status tp_arch_unmap_tensors(const tp_arch_profile *p, const tp_model *m,
                                const json_t *config, tp_arch_mapping **out) {
  tp_arch_mapping *map;
  size_t i, n = tp_model_tensor_count(m);
  int64_t heads = 0, kv_heads = 0;
  tp_status st;
  *out = NULL;
  if ((st = tp_arch_mapping_new(&map)) != TP_OK) return st;
  if (json_is_integer(json_object_get(config, "num_attention_heads")))
    heads = json_integer_value(json_object_get(config, "num_attention_heads"));
  if (json_is_integer(json_object_get(config, "num_key_value_heads")))
    kv_heads = json_integer_value(json_object_get(config, "num_key_value_heads"));
  for (i = 0; i < n && st == TP_OK; i++) {
    tp_tensor_info ti;
    char base[512], hf[600];
    const char *suffix = "";
    size_t r, bl;
    long long bid = 0;
    const tp_arch_name_rule *rule = NULL;
    tp_arch_out_tensor *t;
    if ((st = tp_model_tensor(m, i, &ti)) != TP_OK) break;
    if (!strcmp(ti.name.data, "rope_freqs.weight") ||
        !strcmp(ti.name.data, "rope_factors_long.weight") ||
        !strcmp(ti.name.data, "rope_factors_short.weight"))
      continue; /* configuration, rebuilt in config.json */
    if (tp_arch_ends_with(ti.name.data, ".weight")) suffix = ".weight";
    else if (tp_arch_ends_with(ti.name.data, ".bias")) suffix = ".bias";
    bl = ti.name.len - strlen(suffix);
    if (bl >= sizeof base) bl = sizeof base - 1;
    memcpy(base, ti.name.data, bl);
    base[bl] = 0;
    for (r = 0; r < p->n_names && !rule; r++) {
      const tp_arch_name_rule *nr = &p->names[r];
      /* BERT's classifier head: one HF name per GGUF role */
      if ((p->flags & PF_BERT) && nr->role == R_CLS && strcmp(nr->hf, "classifier"))
        continue;
      if (match_gguf(tp_arch_roles[nr->role].gguf, base, &bid)) rule = nr;
    }
    if (!rule) {
      st = tp_error(TP_EFORMAT, "GGUF: tensor %s has no %s Hugging Face name",
                    ti.name.data, p->name);
      break;
    }
    if (rule->flags & NR_EXPERT) {
      uint64_t e;
      if (ti.ndim < 2) {
        st = tp_error(TP_EFORMAT, "GGUF: tensor %s: experts need a stacked tensor",
                      ti.name.data);
        break;
      }
      for (e = 0; e < ti.shape[0] && st == TP_OK; e++) {
        size_t *s;
        expand(hf, sizeof hf, rule->hf, bid, (long long)e);
        strcat(hf, suffix);
        if ((st = tp_arch_mapping_push(map, &t)) != TP_OK) break;
        s = tp_arena_alloc(&map->arena, sizeof *s);
        t->name = tp_arena_strndup(&map->arena, hf, strlen(hf));
        if (!s || !t->name) {
          st = TP_ENOMEM;
          break;
        }
        *s = i;
        t->role = tp_arch_roles[rule->role].role;
        t->ndim = ti.ndim - 1;
        memcpy(t->shape, ti.shape + 1, t->ndim * sizeof *t->shape);
        t->src_type = ti.type;
        t->work_type = ti.type == TP_TYPE_F16 || ti.type == TP_TYPE_BF16 || ti.type == TP_TYPE_F32
                           ? ti.type : TP_TYPE_F32;
        t->n_src = 1;
        t->src = s;
        t->xform = TP_ARCH_XFORM_EXPERT;
        t->xform_arg = (uint32_t)e;
      }
      continue;
    }
    /* BertForSequenceClassification keeps its head as classifier.* */
    expand(hf, sizeof hf,
           (p->flags & PF_BERT) && rule->role == R_CLS_OUT ? "classifier" : rule->hf,
           bid, 0);
    strcat(hf, suffix);
    if ((st = tp_arch_mapping_push(map, &t)) != TP_OK) break;
    {
      size_t *s = tp_arena_alloc(&map->arena, sizeof *s);
      t->name = tp_arena_strndup(&map->arena, hf, strlen(hf));
      if (!s || !t->name) {
        st = TP_ENOMEM;
        break;
      }
      *s = i;
      t->src = s;
    }
    t->role = tp_arch_roles[rule->role].role;
    t->ndim = ti.ndim;
    memcpy(t->shape, ti.shape, sizeof t->shape);
    t->src_type = ti.type;
    t->work_type = ti.type == TP_TYPE_F16 || ti.type == TP_TYPE_BF16 || ti.type == TP_TYPE_F32
                       ? ti.type : TP_TYPE_F32;
    t->n_src = 1;
    if (rule->flags & (NR_PERMUTE_Q | NR_PERMUTE_K)) {
      int64_t h = (rule->flags & NR_PERMUTE_Q) ? heads : kv_heads;
      if (h <= 0 || !ti.ndim || ti.shape[0] % ((uint64_t)h * 2)) {
        st = tp_error(TP_EFORMAT, "GGUF: tensor %s: %llu rows do not split into "
                      "%lld heads of an even size", ti.name.data,
                      (unsigned long long)(ti.ndim ? ti.shape[0] : 0), (long long)h);
        break;
      }
      t->xform = TP_ARCH_XFORM_UNPERMUTE_QK;
      t->xform_arg = (uint32_t)h;
    } else if ((p->flags & PF_NORM_PLUS_ONE) && strstr(ti.name.data, "norm.weight")) {
      t->xform = TP_ARCH_XFORM_SUB_ONE;
      t->work_type = TP_TYPE_F32;
    }
  }
  if (st != TP_OK) {
    tp_arch_mapping_free(map);
    return st;
  }
  if (map->n > 1) qsort(map->t, map->n, sizeof *map->t, cmp_out);
  for (i = 1; i < map->n; i++)
    if (!strcmp(map->t[i].name, map->t[i - 1].name)) {
      st = tp_error(TP_EFORMAT, "GGUF: two tensors map to %s", map->t[i].name);
      tp_arch_mapping_free(map);
      return st;
    }
  *out = map;
  return TP_OK;
}
