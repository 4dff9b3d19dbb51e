/*
 * hparams.c - config.json as the reference converter sees it.
 *
 * convert_hf_to_gguf.py loads AutoConfig.from_pretrained(dir).to_dict(),
 * not config.json itself: the config class fills its defaults, runs its
 * __post_init__ (num_key_value_heads, head_dim) and standardises rope
 * parameters (transformers' RotaryEmbeddingConfigMixin). TextModel then
 * merges text_config over the top level and mirrors rope values into
 * rope_parameters. This file reproduces those steps for the fields the
 * profiles read, and offers find_hparam's "first present wins" lookup.
 */
#include "arch_impl.h"

#include <math.h>
#include <stdio.h>

/* ---- lookup --------------------------------------------------------------- */

json_t *tp_arch_hp_find(const json_t *hp, const char *fields, char *which,
                        size_t which_len) {
  const char *f = fields;
  if (!json_is_object(hp) || !fields) return NULL;
  while (*f) {
    const char *bar = strchr(f, '|');
    size_t n = bar ? (size_t)(bar - f) : strlen(f);
    json_t *v = json_object_getn(hp, f, n);
    if (v) {
      if (which && which_len) {
        size_t k = n < which_len - 1 ? n : which_len - 1;
        memcpy(which, f, k);
        which[k] = 0;
      }
      return v;
    }
    f += n;
    if (*f == '|') f++;
  }
  return NULL;
}

tp_status tp_arch_hp_int(const json_t *hp, const char *fields, int64_t *out) {
  char which[64];
  json_t *v = tp_arch_hp_find(hp, fields, which, sizeof which);
  if (!v || json_is_null(v)) return TP_ENOTFOUND;
  if (!json_is_integer(v))
    return tp_error(TP_EFORMAT, "config.json: \"%s\" is not an integer", which);
  *out = json_integer_value(v);
  return TP_OK;
}

tp_status tp_arch_hp_num(const json_t *hp, const char *fields, double *out) {
  char which[64];
  json_t *v = tp_arch_hp_find(hp, fields, which, sizeof which);
  if (!v || json_is_null(v)) return TP_ENOTFOUND;
  if (!json_is_number(v))
    return tp_error(TP_EFORMAT, "config.json: \"%s\" is not a number", which);
  *out = json_number_value(v);
  return TP_OK;
}

const json_t *tp_arch_rope_params(const json_t *hp) {
  const json_t *rp = json_object_get(hp, "rope_parameters");
  const json_t *full;
  if (!json_is_object(rp)) return NULL;
  full = json_object_get(rp, "full_attention");
  return full ? full : rp;
}

tp_status tp_arch_block_count(const json_t *hp, uint32_t *out) {
  int64_t v = 0;
  tp_status st = tp_arch_hp_int(
      hp, "n_layers|num_hidden_layers|n_layer|num_layers", &v);
  if (st == TP_ENOTFOUND)
    return tp_error(TP_EFORMAT,
                    "config.json: no layer count (n_layers, num_hidden_layers, "
                    "n_layer or num_layers)");
  if (st != TP_OK) return st;
  if (v < 0 || v > 100000)
    return tp_error(TP_EFORMAT, "config.json: layer count %lld out of range",
                    (long long)v);
  *out = (uint32_t)v;
  return TP_OK;
}

/* ---- the config class ----------------------------------------------------- */

static tp_status set_new(json_t *o, const char *k, json_t *v) {
  if (!v || json_object_set_new(o, k, v) != 0) return tp_error_nomem(64);
  return TP_OK;
}

static tp_status apply_defaults(json_t *o, const tp_arch_default *d) {
  for (; d && d->field; d++) {
    json_error_t jerr;
    json_t *v;
    if (json_object_get(o, d->field)) continue;
    v = json_loads(d->json, JSON_DECODE_ANY, &jerr);
    if (!v) return tp_error(TP_EINVAL, "bad profile default %s", d->field);
    if (json_object_set_new(o, d->field, v) != 0) return tp_error_nomem(64);
  }
  return TP_OK;
}

/* Gemma 3's layer_types when absent: every sliding_window_pattern-th layer
 * is full attention (pattern from sliding_window_pattern, default 6). */
static tp_status gemma3_layer_types(json_t *o) {
  json_t *lt, *pat = json_object_get(o, "sliding_window_pattern");
  int64_t n = 0, p = 6, i;
  if (json_is_array(json_object_get(o, "layer_types"))) return TP_OK;
  if (json_is_integer(pat)) p = json_integer_value(pat);
  if (tp_arch_hp_int(o, "num_hidden_layers", &n) != TP_OK || n < 0 ||
      n > 100000 || p <= 0)
    return TP_OK;
  lt = json_array();
  if (!lt) return tp_error_nomem(64);
  for (i = 0; i < n; i++)
    if (json_array_append_new(
            lt, json_string((i + 1) % p ? "sliding_attention" : "full_attention"))) {
      json_decref(lt);
      return tp_error_nomem(64);
    }
  return set_new(o, "layer_types", lt);
}

/* Keys of rp that name a layer type of the config: rope parameters nested
 * per layer type (nested_rope_parameter_keys). */
static bool is_nested_key(const json_t *o, const char *key) {
  const json_t *lt = json_object_get(o, "layer_types");
  size_t i;
  json_t *e;
  json_array_foreach(lt, i, e) if (json_is_string(e) &&
                                   !strcmp(json_string_value(e), key)) return true;
  return false;
}

static bool rope_needs_orig(const json_t *rp) {
  const char *t = json_string_value(json_object_get(rp, "rope_type"));
  return t && (!strcmp(t, "llama3") || !strcmp(t, "yarn") ||
               !strcmp(t, "longrope"));
}

/* standardize_rope_params for one flat dict. */
static tp_status standardize_one(json_t *o, json_t *rp, bool orig_attr) {
  if (!json_object_get(rp, "rope_type")) {
    json_t *t = json_object_get(rp, "type");
    tp_status st = set_new(rp, "rope_type", t ? json_deep_copy(t)
                                               : json_string("default"));
    if (st != TP_OK) return st;
  }
  if (rope_needs_orig(rp)) {
    json_t *src = json_object_get(o, orig_attr ? "original_max_position_embeddings"
                                               : "max_position_embeddings");
    if (orig_attr) {
      if (src) return set_new(rp, "original_max_position_embeddings",
                              json_deep_copy(src));
    } else if (!json_object_get(rp, "original_max_position_embeddings") && src) {
      return set_new(rp, "original_max_position_embeddings", json_deep_copy(src));
    }
  }
  return TP_OK;
}

/* convert_rope_params_to_dict + standardize_rope_params. */
static tp_status standardize_rope(const tp_arch_profile *p, json_t *o) {
  json_t *scaling = json_object_get(o, "rope_scaling");
  json_t *params = json_object_get(o, "rope_parameters");
  json_t *theta = json_object_get(o, "rope_theta");
  json_t *rp, *prf;
  const char *key;
  json_t *v;
  tp_status st = TP_OK;

  if (p->flags & PF_ROPE_GEMMA3) {
    json_t *full, *slid, *local = json_object_get(o, "rope_local_base_freq");
    if (json_is_object(params)) {
      rp = json_deep_copy(params);
    } else {
      rp = json_pack("{s:{s:s},s:{s:s}}", "sliding_attention", "rope_type",
                     "default", "full_attention", "rope_type", "default");
    }
    if (!rp) return tp_error_nomem(64);
    if (json_is_object(scaling)) {
      full = json_object_get(rp, "full_attention");
      if (json_is_object(full)) json_object_update(full, scaling);
    }
    if (!json_is_object(json_object_get(rp, "full_attention")))
      json_object_set_new(rp, "full_attention",
                          json_pack("{s:s}", "rope_type", "default"));
    full = json_object_get(rp, "full_attention");
    if (full && !json_object_get(full, "rope_theta"))
      json_object_set_new(full, "rope_theta",
                          theta ? json_deep_copy(theta) : json_real(1000000.0));
    if (!json_is_object(json_object_get(rp, "sliding_attention")))
      json_object_set_new(rp, "sliding_attention",
                          json_pack("{s:s}", "rope_type", "default"));
    slid = json_object_get(rp, "sliding_attention");
    if (slid && !json_object_get(slid, "rope_theta"))
      json_object_set_new(slid, "rope_theta",
                          local ? json_deep_copy(local) : json_real(10000.0));
    json_object_del(o, "rope_local_base_freq");
    json_object_foreach(rp, key, v) {
      if (!is_nested_key(o, key) || !json_is_object(v)) continue;
      if ((st = standardize_one(o, v, false)) != TP_OK) break;
    }
  } else {
    bool phi3 = (p->flags & PF_ROPE_PHI3_CFG) != 0;
    bool nested = false;
    if (p->default_theta == 0.0) return TP_OK; /* no rope in this class */
    if (json_is_object(scaling) && json_object_size(scaling))
      rp = json_deep_copy(scaling);
    else if (json_is_object(params))
      rp = json_deep_copy(params);
    else
      rp = json_object();
    if (!rp) return tp_error_nomem(64);
    prf = json_object_get(o, "partial_rotary_factor");
    json_object_foreach(rp, key, v) if (is_nested_key(o, key)) nested = true;
    if (phi3) {
      if (!json_object_get(rp, "rope_theta"))
        json_object_set_new(rp, "rope_theta", theta ? json_deep_copy(theta)
                                                    : json_real(p->default_theta));
      if (!json_object_get(rp, "partial_rotary_factor"))
        json_object_set_new(rp, "partial_rotary_factor",
                            prf ? json_deep_copy(prf) : json_real(1.0));
      st = standardize_one(o, rp, true);
    } else if (!nested) {
      if (!json_object_get(rp, "rope_theta"))
        json_object_set_new(rp, "rope_theta", theta ? json_deep_copy(theta)
                                                    : json_real(p->default_theta));
      if (prf && !json_is_null(prf) && !json_object_get(rp, "partial_rotary_factor"))
        json_object_set_new(rp, "partial_rotary_factor", json_deep_copy(prf));
      st = standardize_one(o, rp, false);
    } else {
      json_object_foreach(rp, key, v) {
        if (!is_nested_key(o, key) || !json_is_object(v)) continue;
        if (!json_object_get(v, "rope_theta"))
          json_object_set_new(v, "rope_theta", theta ? json_deep_copy(theta)
                                                     : json_real(p->default_theta));
        if ((st = standardize_one(o, v, false)) != TP_OK) break;
      }
    }
    if (!phi3) json_object_del(o, "partial_rotary_factor");
  }
  json_object_del(o, "rope_scaling");
  json_object_del(o, "rope_theta");
  if (st == TP_OK && json_object_set_new(o, "rope_parameters", rp) != 0)
    return tp_error_nomem(64);
  if (st != TP_OK) json_decref(rp);
  return st;
}

/* One config object through its config class. */
static tp_status normalize(const tp_arch_profile *p, json_t *o,
                           const tp_arch_default *defaults) {
  tp_status st;
  json_t *v;
  /* attribute_map: num_experts is an alias of num_local_experts */
  if ((p->flags & (PF_EXPERTS_MIXTRAL | PF_EXPERTS_QWEN)) &&
      (v = json_object_get(o, "num_experts")) &&
      !json_object_get(o, "num_local_experts")) {
    json_object_set(o, "num_local_experts", v);
    json_object_del(o, "num_experts");
  }
  if ((st = apply_defaults(o, defaults)) != TP_OK) return st;
  if ((p->flags & PF_KV_HEADS_FROM_HEADS) &&
      json_is_null(json_object_get(o, "num_key_value_heads"))) {
    v = json_object_get(o, "num_attention_heads");
    if (v) json_object_set(o, "num_key_value_heads", v);
  }
  if ((p->flags & PF_HEAD_DIM_FROM_HIDDEN) &&
      json_is_null(json_object_get(o, "head_dim"))) {
    int64_t h = 0, n = 0;
    if (tp_arch_hp_int(o, "hidden_size", &h) == TP_OK &&
        tp_arch_hp_int(o, "num_attention_heads", &n) == TP_OK && n > 0) {
      /* Python floor division */
      int64_t q = h / n;
      if ((h % n) && ((h < 0) != (n < 0))) q--;
      if ((st = set_new(o, "head_dim", json_integer(q))) != TP_OK) return st;
    }
  }
  if ((p->flags & PF_SLIDING_IF_USED) &&
      !json_is_true(json_object_get(o, "use_sliding_window")) &&
      json_object_get(o, "sliding_window"))
    json_object_set_new(o, "sliding_window", json_null());
  if (p->flags & PF_ROPE_GEMMA3) {
    if ((st = gemma3_layer_types(o)) != TP_OK) return st;
  }
  if ((p->flags & PF_BERT) && !json_object_get(o, "id2label")) {
    int64_t nl = 2, i;
    json_t *m = json_object();
    if (!m) return tp_error_nomem(64);
    if (json_is_integer(json_object_get(o, "num_labels")))
      nl = json_integer_value(json_object_get(o, "num_labels"));
    for (i = 0; i < nl && i < 4096; i++) {
      char k[24], val[32];
      snprintf(k, sizeof k, "%lld", (long long)i);
      snprintf(val, sizeof val, "LABEL_%lld", (long long)i);
      json_object_set_new(m, k, json_string(val));
    }
    if ((st = set_new(o, "id2label", m)) != TP_OK) return st;
  }
  return standardize_rope(p, o);
}

/* TextModel.__init__: mirror rope values into rope_parameters. */
static tp_status mirror_rope(json_t *hp) {
  json_t *rp = json_object_get(hp, "rope_parameters");
  json_t *theta, *local, *prf, *orig, *t;
  if (!json_is_object(rp)) {
    rp = json_object();
    if (!rp || json_object_set_new(hp, "rope_parameters", rp) != 0)
      return tp_error_nomem(64);
  }
  theta = tp_arch_hp_find(hp,
                          "global_rope_theta|rope_global_theta|rope_theta_global|"
                          "rope_theta|rotary_emb_base",
                          NULL, 0);
  local = tp_arch_hp_find(hp,
                          "local_rope_theta|rope_local_theta|rope_theta_local|"
                          "swa_rope_theta|rope_local_base_freq",
                          NULL, 0);
  prf = tp_arch_hp_find(hp, "partial_rotary_factor|rope_pct|rope_percent", NULL, 0);
  orig = tp_arch_hp_find(hp, "original_max_position_embeddings", NULL, 0);
  if (json_object_get(rp, "full_attention") ||
      json_object_get(rp, "sliding_attention"))
    return TP_OK;
  if (local && !json_is_null(local))
    json_object_set_new(rp, "sliding_attention",
                        json_pack("{s:O}", "rope_theta", local));
  if (!json_object_get(rp, "rope_theta") && theta && !json_is_null(theta))
    json_object_set(rp, "rope_theta", theta);
  if (!json_object_get(rp, "rope_type") && (t = json_object_get(rp, "type")) &&
      !json_is_null(t))
    json_object_set(rp, "rope_type", t);
  if (!json_object_get(rp, "partial_rotary_factor") && prf && !json_is_null(prf))
    json_object_set(rp, "partial_rotary_factor", prf);
  if (!json_object_get(rp, "original_max_position_embeddings") && orig &&
      !json_is_null(orig))
    json_object_set(rp, "original_max_position_embeddings", orig);
  return TP_OK;
}

tp_status tp_arch_hparams(const tp_arch_profile *p, const json_t *config,
                          json_t **out) {
  json_t *hp, *tc;
  tp_status st;
  *out = NULL;
  if (!json_is_object(config))
    return tp_error(TP_EFORMAT, "config.json: not a JSON object");
  hp = json_deep_copy(config);
  if (!hp) return tp_error_nomem(64);
  tc = json_object_get(hp, "text_config");
  if (json_is_object(tc)) {
    json_t *t = json_deep_copy(tc);
    if (!t) {
      json_decref(hp);
      return tp_error_nomem(64);
    }
    st = normalize(p, t, p->defaults);
    if (st == TP_OK) st = apply_defaults(hp, p->wrapper_defaults);
    if (st == TP_OK && json_object_update(hp, t) != 0) st = tp_error_nomem(64);
    json_decref(t);
  } else {
    st = normalize(p, hp, p->defaults);
  }
  if (st == TP_OK) st = mirror_rope(hp);
  if (st != TP_OK) {
    json_decref(hp);
    return st;
  }
  *out = hp;
  return TP_OK;
}
