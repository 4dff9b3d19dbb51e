/*
 * authorship.c - the general.* keys gguf-py's metadata.py derives: the
 * recommended sampler settings of generation_config.json, and the name,
 * organization, basename, fine-tune, version, size label, license, tags,
 * languages, base models and datasets from the model card's front matter,
 * config.json's _name_or_path and the folder name (Metadata.load and
 * apply_metadata_heuristic), written in set_gguf_meta_model's order.
 *
 * Values keep their JSON (YAML) types until written, because metadata.py
 * keeps the Python values: a falsy value (false, 0, "") is skipped by
 * add_string yet still blocks the later heuristics from filling that
 * field; a truthy value of the wrong type makes the reference fail, and is
 * refused here with the key named.
 */
#include "arch_impl.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct meta {
  json_t *name, *author, *version, *organization, *finetune, *basename;
  json_t *description, *quantized_by, *size_label, *url, *doi, *uuid;
  json_t *repo_url, *source_url, *source_doi, *source_uuid, *source_repo_url;
  json_t *license, *license_name, *license_link;
  json_t *base_models, *datasets, *tags, *languages; /* arrays or NULL */
  json_t *s_sequence, *s_top_k, *s_top_p, *s_min_p, *s_xtc_probability;
  json_t *s_xtc_threshold, *s_temp, *s_penalty_last_n, *s_penalty_repeat;
  json_t *s_mirostat, *s_mirostat_tau, *s_mirostat_eta;
} meta;

/* Sets *slot to v (new reference) unless v is NULL or null (None). */
static void put(json_t **slot, json_t *v) {
  json_t *old = *slot;
  *slot = v && !json_is_null(v) ? json_incref(v) : NULL;
  json_decref(old);
}

/* use_model_card_metadata: only while the field is None. */
static void from_card(json_t **slot, const json_t *card, const char *key) {
  json_t *v = json_object_get(card, key);
  if (v && !*slot) put(slot, v);
}

/* use_array_model_card_metadata: strings appended, lists extended, other
 * values leave the (possibly new, empty) list as it is. */
static tp_status array_from_card(json_t **slot, const json_t *card,
                                 const char *key) {
  json_t *v = json_object_get(card, key);
  if (!v || json_is_null(v)) return TP_OK;
  if (!*slot && !(*slot = json_array())) return TP_ENOMEM;
  if (json_is_string(v)) return json_array_append(*slot, v) ? TP_ENOMEM : TP_OK;
  if (json_is_array(v)) return json_array_extend(*slot, v) ? TP_ENOMEM : TP_OK;
  return TP_OK;
}

static void set_str(json_t **slot, const char *s) {
  json_t *v = s ? json_string(s) : NULL;
  if (v) {
    put(slot, v);
    json_decref(v);
  }
}

static tp_status set_title(json_t **slot, const char *s) {
  char *t;
  tp_status st = tp_arch_id_to_title(s, &t);
  if (st != TP_OK) return st;
  set_str(slot, t);
  free(t);
  return TP_OK;
}

/* ^https?://huggingface.co/([^/]+/[^/]+)$ ('.' is any character). */
static bool hf_url_id(const char *u, char *id, size_t len) {
  const char *p, *slash;
  size_t n;
  if (!strncmp(u, "https://", 8)) p = u + 8;
  else if (!strncmp(u, "http://", 7)) p = u + 7;
  else return false;
  if (strncmp(p, "huggingface", 11) || !p[11] || strncmp(p + 12, "co/", 3))
    return false;
  p += 15;
  n = strlen(p);
  if (n && p[n - 1] == '\n') n--; /* $ also matches before a final newline */
  slash = memchr(p, '/', n);
  if (!slash || slash == p || slash + 1 == p + n ||
      memchr(slash + 1, '/', (size_t)(p + n - slash - 1)) || n >= len)
    return false;
  memcpy(id, p, n);
  id[n] = 0;
  return true;
}

/* One base_model / dataset entry of the card. */
static tp_status source_entry(json_t *list, const json_t *item, int64_t total) {
  json_t *e;
  tp_status st = TP_OK;
  if (json_is_object(item)) return json_array_append(list, (json_t *)item) ? TP_ENOMEM : TP_OK;
  e = json_object();
  if (!e) return TP_ENOMEM;
  if (json_is_string(item)) {
    const char *s = json_string_value(item);
    tp_arch_model_id c;
    char id[512];
    bool url = !strncmp(s, "http://", 7) || !strncmp(s, "https://", 8) ||
               !strncmp(s, "ssh://", 6);
    const char *parse = NULL;
    if (url) {
      json_object_set(e, "repo_url", (json_t *)item);
      if (strstr(s, "huggingface.co") && hf_url_id(s, id, sizeof id)) parse = id;
    } else {
      parse = s;
    }
    if (parse) {
      st = tp_arch_model_id_parse(parse, total, &c);
      if (st == TP_OK) {
        json_t *t = NULL;
        if (c.full_name && (st = set_title(&t, c.full_name)) == TP_OK && t)
          json_object_set(e, "name", t);
        json_decref(t);
        t = NULL;
        if (st == TP_OK && c.org && (st = set_title(&t, c.org)) == TP_OK && t)
          json_object_set(e, "organization", t);
        json_decref(t);
        if (st == TP_OK && c.version)
          json_object_set_new(e, "version", json_string(c.version));
        if (st == TP_OK && !url && c.org && c.full_name) {
          char *r = tp_asprintf("https://huggingface.co/%s/%s", c.org, c.full_name);
          if (!r) st = TP_ENOMEM;
          else {
            json_object_set_new(e, "repo_url", json_string(r));
            free(r);
          }
        }
        tp_arch_model_id_clear(&c);
      }
    }
  }
  /* anything else: the reference logs "not in a known format" and keeps {} */
  if (st == TP_OK && json_array_append(list, e)) st = TP_ENOMEM;
  json_decref(e);
  return st;
}

static tp_status sources_from_card(json_t **slot, const json_t *card,
                                   const char *k1, const char *k2, const char *k3,
                                   int64_t total) {
  json_t *v;
  size_t i;
  json_t *item;
  tp_status st;
  if (!json_object_get(card, k1) && !json_object_get(card, k2) &&
      !json_object_get(card, k3))
    return TP_OK;
  /* model_card.get(k1, model_card.get(k2, model_card.get(k3))) */
  v = json_object_get(card, k1);
  if (!v) v = json_object_get(card, k2);
  if (!v) v = json_object_get(card, k3);
  if (!*slot && !(*slot = json_array())) return TP_ENOMEM;
  if (!v || json_is_null(v)) return TP_OK;
  if (json_is_string(v)) return source_entry(*slot, v, total);
  if (!json_is_array(v)) return TP_OK;
  json_array_foreach(v, i, item) {
    if ((st = source_entry(*slot, item, total)) != TP_OK) return st;
  }
  return TP_OK;
}

/* The heuristic fill from one model id (hf _name_or_path, folder name). */
static tp_status from_id(meta *m, const char *id, int64_t total) {
  tp_arch_model_id c;
  tp_status st = tp_arch_model_id_parse(id, total, &c);
  if (st != TP_OK) return st;
  if (!m->name && c.full_name) st = set_title(&m->name, c.full_name);
  if (st == TP_OK && !m->organization && c.org) st = set_title(&m->organization, c.org);
  if (st == TP_OK) {
    if (!m->basename && c.basename) set_str(&m->basename, c.basename);
    if (!m->finetune && c.finetune) set_str(&m->finetune, c.finetune);
    if (!m->version && c.version) set_str(&m->version, c.version);
    if (!m->size_label && c.size_label) set_str(&m->size_label, c.size_label);
  }
  tp_arch_model_id_clear(&c);
  return st;
}

static tp_status heuristics(meta *m, const tp_arch_inputs *in, int64_t total) {
  const json_t *card = in->card;
  tp_status st;
  if (json_is_object(card)) {
    from_card(&m->name, card, "name");
    from_card(&m->author, card, "author");
    from_card(&m->version, card, "version");
    from_card(&m->organization, card, "organization");
    from_card(&m->description, card, "description");
    from_card(&m->finetune, card, "finetune");
    from_card(&m->basename, card, "basename");
    from_card(&m->size_label, card, "size_label");
    from_card(&m->source_url, card, "url");
    from_card(&m->source_doi, card, "doi");
    from_card(&m->source_uuid, card, "uuid");
    from_card(&m->source_repo_url, card, "repo_url");
    from_card(&m->name, card, "model_name");
    from_card(&m->author, card, "model_author");
    from_card(&m->version, card, "model_version");
    from_card(&m->organization, card, "model_organization");
    from_card(&m->description, card, "model_description");
    from_card(&m->finetune, card, "model_finetune");
    from_card(&m->basename, card, "model_basename");
    from_card(&m->size_label, card, "model_size_label");
    from_card(&m->source_url, card, "model_url");
    from_card(&m->source_doi, card, "model_doi");
    from_card(&m->source_uuid, card, "model_uuid");
    from_card(&m->source_repo_url, card, "model_repo_url");
    from_card(&m->author, card, "model_creator");
    from_card(&m->basename, card, "model_type");
    if ((st = sources_from_card(&m->base_models, card, "base_model", "base_models",
                                "base_model_sources", total)) != TP_OK ||
        (st = sources_from_card(&m->datasets, card, "datasets", "dataset",
                                "dataset_sources", total)) != TP_OK)
      return st;
    from_card(&m->license, card, "license");
    from_card(&m->license_name, card, "license_name");
    from_card(&m->license_link, card, "license_link");
    if ((st = array_from_card(&m->tags, card, "tags")) != TP_OK ||
        (st = array_from_card(&m->tags, card, "pipeline_tag")) != TP_OK ||
        (st = array_from_card(&m->languages, card, "languages")) != TP_OK ||
        (st = array_from_card(&m->languages, card, "language")) != TP_OK)
      return st;
  }
  if (in->config) {
    const json_t *np = json_object_get(in->config, "_name_or_path");
    if (np && !json_is_null(np)) {
      const char *s = json_string_value(np), *c;
      int slashes = 0;
      if (!s)
        return tp_error(TP_EFORMAT, "config.json: _name_or_path is not a string");
      for (c = s; *c; c++) slashes += *c == '/';
      if (slashes <= 1 && (st = from_id(m, s, total)) != TP_OK) return st;
    }
  }
  if (in->dir_name && (st = from_id(m, in->dir_name, total)) != TP_OK) return st;
  return TP_OK;
}

static void gen_field(json_t **slot, const json_t *gen, const char *key) {
  json_t *v = json_object_get(gen, key);
  if (v) put(slot, v); /* gen_config.get(key, current): a null clears */
}

/* ---- writing ------------------------------------------------------------- */

static bool truthy(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_STRING: return json_string_length(v) > 0;
  case JSON_INTEGER: return json_integer_value(v) != 0;
  case JSON_REAL: return json_real_value(v) != 0;
  case JSON_TRUE: return true;
  case JSON_ARRAY: return json_array_size(v) > 0;
  case JSON_OBJECT: return json_object_size(v) > 0;
  default: return false;
  }
}

/* add_string(v): falsy values are skipped, non-strings refused. */
static tp_status w_str(tp_arch_kvl *l, const char *key, const json_t *v) {
  if (!v || !truthy(v)) return TP_OK;
  if (!json_is_string(v))
    return tp_error(TP_EUNSUPPORTED,
                    "model card: the value for %s is not text (the reference "
                    "converter fails on it; quote it in the YAML)",
                    key);
  return tp_arch_kvl_str(l, key, json_string_value(v), json_string_length(v));
}

static tp_status w_f32(tp_arch_kvl *l, const char *key, const json_t *v) {
  if (!v) return TP_OK;
  if (!json_is_number(v))
    return tp_error(TP_EFORMAT, "generation_config.json: value for %s is not a "
                    "number", key);
  return tp_arch_kvl_f32(l, key, json_number_value(v));
}

static tp_status w_i32(tp_arch_kvl *l, const char *key, const json_t *v) {
  if (!v) return TP_OK;
  if (!json_is_integer(v) || json_integer_value(v) < INT32_MIN ||
      json_integer_value(v) > INT32_MAX)
    return tp_error(TP_EFORMAT, "generation_config.json: value for %s is not a "
                    "32-bit integer", key);
  return tp_arch_kvl_i32(l, key, (int32_t)json_integer_value(v));
}

/* add_array: element type from the first element, all alike. */
static tp_status w_array(tp_arch_kvl *l, const char *key, const json_t *a) {
  size_t n = json_array_size(a), i;
  json_type t0;
  tp_value tv;
  void *buf;
  tp_status st;
  if (!n) return TP_OK;
  t0 = json_typeof(json_array_get(a, 0));
  if (t0 == JSON_FALSE) t0 = JSON_TRUE;
  memset(&tv, 0, sizeof tv);
  tv.type = TP_VALUE_ARRAY;
  tv.count = n;
  switch (t0) {
  case JSON_STRING: tv.elem_type = TP_VALUE_STRING; buf = tp_calloc(n, sizeof(tp_string)); break;
  case JSON_INTEGER: tv.elem_type = TP_VALUE_I32; buf = tp_calloc(n, sizeof(int32_t)); break;
  case JSON_REAL: tv.elem_type = TP_VALUE_F32; buf = tp_calloc(n, sizeof(float)); break;
  case JSON_TRUE: tv.elem_type = TP_VALUE_BOOL; buf = tp_calloc(n, 1); break;
  default:
    return tp_error(TP_EUNSUPPORTED, "model card: %s holds values GGUF cannot store",
                    key);
  }
  if (!buf) return TP_ENOMEM;
  for (i = 0; i < n; i++) {
    const json_t *e = json_array_get(a, i);
    json_type t = json_typeof(e);
    if (t == JSON_FALSE) t = JSON_TRUE;
    if (t != t0) {
      free(buf);
      return tp_error(TP_EUNSUPPORTED,
                      "model card: %s mixes value types (All items in a GGUF "
                      "array should be of the same type)",
                      key);
    }
    switch (t0) {
    case JSON_STRING:
      ((tp_string *)buf)[i].data = json_string_value(e);
      ((tp_string *)buf)[i].len = json_string_length(e);
      break;
    case JSON_INTEGER:
      if (json_integer_value(e) < INT32_MIN || json_integer_value(e) > INT32_MAX) {
        free(buf);
        return tp_error(TP_EUNSUPPORTED, "model card: %s: integer out of INT32 range",
                        key);
      }
      ((int32_t *)buf)[i] = (int32_t)json_integer_value(e);
      break;
    case JSON_REAL: ((float *)buf)[i] = (float)json_real_value(e); break;
    default: ((uint8_t *)buf)[i] = json_is_true(e); break;
    }
  }
  tv.v.array = buf;
  st = tp_arch_kvl_set(l, key, &tv);
  free(buf);
  return st;
}

static tp_status w_sources(tp_arch_kvl *l, const char *what, const json_t *list) {
  static const char *const fields[] = {"name", "author", "version", "organization",
                                       "description", "url", "doi", "uuid",
                                       "repo_url"};
  char key[96];
  size_t i, f;
  tp_status st;
  if (!list) return TP_OK;
  snprintf(key, sizeof key, "general.%s.count", what);
  if ((st = tp_arch_kvl_u32(l, key, (uint32_t)json_array_size(list))) != TP_OK)
    return st;
  for (i = 0; i < json_array_size(list); i++) {
    const json_t *e = json_array_get(list, i);
    for (f = 0; f < TP_ARRAY_LEN(fields); f++) {
      const json_t *v = json_object_get(e, fields[f]);
      if (!v) continue;
      snprintf(key, sizeof key, "general.%s.%zu.%s", what, i, fields[f]);
      if ((st = w_str(l, key, v)) != TP_OK) return st;
    }
  }
  return TP_OK;
}

static tp_status write_meta(const meta *m, tp_arch_kvl *l) {
  tp_status st = TP_OK;
#define S(k, v) if (st == TP_OK) st = w_str(l, k, v)
#define F(k, v) if (st == TP_OK) st = w_f32(l, k, v)
#define I(k, v) if (st == TP_OK) st = w_i32(l, k, v)
  S("general.sampling.sequence", m->s_sequence);
  I("general.sampling.top_k", m->s_top_k);
  F("general.sampling.top_p", m->s_top_p);
  F("general.sampling.min_p", m->s_min_p);
  F("general.sampling.xtc_probability", m->s_xtc_probability);
  F("general.sampling.xtc_threshold", m->s_xtc_threshold);
  F("general.sampling.temp", m->s_temp);
  I("general.sampling.penalty_last_n", m->s_penalty_last_n);
  F("general.sampling.penalty_repeat", m->s_penalty_repeat);
  I("general.sampling.mirostat", m->s_mirostat);
  F("general.sampling.mirostat_tau", m->s_mirostat_tau);
  F("general.sampling.mirostat_eta", m->s_mirostat_eta);
  S("general.name", m->name);
  S("general.author", m->author);
  S("general.version", m->version);
  S("general.organization", m->organization);
  S("general.finetune", m->finetune);
  S("general.basename", m->basename);
  S("general.description", m->description);
  S("general.quantized_by", m->quantized_by);
  S("general.size_label", m->size_label);
  if (st == TP_OK && m->license && json_is_array(m->license)) {
    /* ",".join(license) */
    size_t i, total = 0;
    char *buf;
    for (i = 0; i < json_array_size(m->license); i++) {
      const json_t *e = json_array_get(m->license, i);
      if (!json_is_string(e))
        return tp_error(TP_EUNSUPPORTED, "model card: license list holds a "
                        "non-text value");
      total += json_string_length(e) + 1;
    }
    buf = tp_malloc(total + 1);
    if (!buf) return TP_ENOMEM;
    total = 0;
    for (i = 0; i < json_array_size(m->license); i++) {
      const json_t *e = json_array_get(m->license, i);
      if (i) buf[total++] = ',';
      memcpy(buf + total, json_string_value(e), json_string_length(e));
      total += json_string_length(e);
    }
    st = tp_arch_kvl_str(l, "general.license", buf, total);
    free(buf);
  } else {
    S("general.license", m->license);
  }
  S("general.license.name", m->license_name);
  S("general.license.link", m->license_link);
  S("general.url", m->url);
  S("general.doi", m->doi);
  S("general.uuid", m->uuid);
  S("general.repo_url", m->repo_url);
  S("general.source.url", m->source_url);
  S("general.source.doi", m->source_doi);
  S("general.source.uuid", m->source_uuid);
  S("general.source.repo_url", m->source_repo_url);
#undef S
#undef F
#undef I
  if (st == TP_OK) st = w_sources(l, "base_model", m->base_models);
  if (st == TP_OK) st = w_sources(l, "dataset", m->datasets);
  if (st == TP_OK && m->tags) st = w_array(l, "general.tags", m->tags);
  if (st == TP_OK && m->languages) st = w_array(l, "general.languages", m->languages);
  return st;
}

static void meta_free(meta *m) {
  json_t **p = (json_t **)m;
  size_t i;
  for (i = 0; i < sizeof *m / sizeof(json_t *); i++) json_decref(p[i]);
}

tp_status tp_arch_authorship(const tp_arch_inputs *in,
                             const tp_arch_mapping *tensors, tp_arch_kvl *l) {
  meta m;
  uint64_t total, shared, expert, count;
  const json_t *gen = in->generation_config;
  tp_status st;
  memset(&m, 0, sizeof m);
  tp_arch_mapping_params(tensors, &total, &shared, &expert, &count);
  st = heuristics(&m, in, (int64_t)total);
  if (st == TP_OK && json_is_object(gen)) {
    json_t *pr;
    gen_field(&m.s_sequence, gen, "sequence");
    gen_field(&m.s_top_k, gen, "top_k");
    gen_field(&m.s_top_p, gen, "top_p");
    gen_field(&m.s_min_p, gen, "min_p");
    gen_field(&m.s_xtc_probability, gen, "xtc_probability");
    gen_field(&m.s_xtc_threshold, gen, "xtc_threshold");
    gen_field(&m.s_temp, gen, "temperature");
    gen_field(&m.s_penalty_last_n, gen, "penalty_last_n");
    /* get("penalty_repeat", get("repetition_penalty", current)) */
    pr = json_object_get(gen, "penalty_repeat");
    if (!pr) pr = json_object_get(gen, "repetition_penalty");
    if (pr) put(&m.s_penalty_repeat, pr);
    gen_field(&m.s_mirostat, gen, "mirostat");
    gen_field(&m.s_mirostat_tau, gen, "mirostat_tau");
    gen_field(&m.s_mirostat_eta, gen, "mirostat_eta");
  }
  if (st == TP_OK && in->model_name) set_str(&m.name, in->model_name);
  if (st == TP_OK && !m.name && in->dir_name) set_str(&m.name, in->dir_name);
  if (st == TP_OK && !m.size_label && total > 0) {
    char buf[64];
    tp_arch_size_label(buf, sizeof buf, total, shared, expert, count);
    set_str(&m.size_label, buf);
  }
  if (st == TP_OK) st = write_meta(&m, l);
  meta_free(&m);
  return st;
}
