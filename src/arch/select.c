/*
 * select.c - which profile converts a folder (or a GGUF file back).
 *
 * The reference picks its class by config.json architectures[0], or by
 * text_config.architectures[0] when a multimodal wrapper carries one
 * (get_model_architecture); it refuses a config without architectures.
 * tensorport also accepts model_type then, since every profile knows its
 * model_type. Unknown architectures are refused with the supported list.
 */
#include "arch_impl.h"

#include <stdio.h>

static const tp_arch_profile *by_name(const char *name) {
  size_t i;
  for (i = 0; i < tp_arch_n_profiles; i++)
    if (!strcmp(tp_arch_profiles[i]->name, name)) return tp_arch_profiles[i];
  return NULL;
}

static bool in_list(const char *const *list, const char *s) {
  for (; list && *list; list++)
    if (!strcmp(*list, s)) return true;
  return false;
}

/* "LlamaForCausalLM, ... (llama), ..." for messages. */
static void supported_list(char *buf, size_t len) {
  size_t i, used = 0;
  buf[0] = 0;
  for (i = 0; i < tp_arch_n_profiles && used + 1 < len; i++) {
    const tp_arch_profile *p = tp_arch_profiles[i];
    const char *const *a;
    int w;
    for (a = p->hf_archs; *a && used + 1 < len; a++) {
      w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", *a);
      if (w < 0) return;
      used += (size_t)w;
    }
  }
}

static const char *arch_of(const json_t *o, tp_status *st) {
  const json_t *a = json_object_get(o, "architectures");
  const json_t *first;
  *st = TP_OK;
  if (!a || json_is_null(a)) return NULL;
  if (!json_is_array(a)) {
    *st = tp_error(TP_EFORMAT, "config.json: \"architectures\" is not a list");
    return NULL;
  }
  if (!json_array_size(a)) return NULL;
  first = json_array_get(a, 0);
  if (!json_is_string(first)) {
    *st = tp_error(TP_EFORMAT,
                   "config.json: \"architectures\"[0] is not a string");
    return NULL;
  }
  return json_string_value(first);
}

tp_status tp_arch_for_config(const json_t *config, const tp_arch_profile **out,
                             const char **hf_arch) {
  const json_t *tc;
  const char *arch, *mt = NULL;
  char list[1024];
  tp_status st;
  size_t i;
  *out = NULL;
  if (hf_arch) *hf_arch = NULL;
  if (!json_is_object(config))
    return tp_error(TP_EFORMAT, "config.json: not a JSON object");
  arch = arch_of(config, &st);
  if (st != TP_OK) return st;
  tc = json_object_get(config, "text_config");
  if (json_is_object(tc)) {
    const char *ta = arch_of(tc, &st);
    if (st != TP_OK) return st;
    if (ta) arch = ta;
  }
  if (arch) {
    for (i = 0; i < tp_arch_n_profiles; i++)
      if (in_list(tp_arch_profiles[i]->hf_archs, arch)) {
        *out = tp_arch_profiles[i];
        if (hf_arch) *hf_arch = arch;
        return TP_OK;
      }
    supported_list(list, sizeof list);
    return tp_error(TP_EUNSUPPORTED,
                    "config.json: architecture %s is not supported (supported: "
                    "%s)",
                    arch, list);
  }
  mt = json_string_value(json_object_get(config, "model_type"));
  if (json_is_object(tc) && json_string_value(json_object_get(tc, "model_type")))
    mt = json_string_value(json_object_get(tc, "model_type"));
  if (mt)
    for (i = 0; i < tp_arch_n_profiles; i++)
      if (in_list(tp_arch_profiles[i]->model_types, mt)) {
        *out = tp_arch_profiles[i];
        return TP_OK;
      }
  supported_list(list, sizeof list);
  if (mt)
    return tp_error(TP_EUNSUPPORTED,
                    "config.json: model_type %s is not supported (supported: "
                    "%s)",
                    mt, list);
  return tp_error(TP_EUNSUPPORTED,
                  "config.json: neither architectures nor model_type says "
                  "which model this is (supported: %s)",
                  list);
}

tp_status tp_arch_for_gguf(const tp_metastore *meta,
                           const tp_arch_profile **out) {
  size_t k = tp_meta_find(meta, "general.architecture", 20);
  const tp_value *v;
  char arch[64], key[96], list[512];
  size_t i, used = 0;
  *out = NULL;
  if (k == SIZE_MAX)
    return tp_error(TP_EFORMAT, "GGUF: no general.architecture");
  v = &meta->items[k].val;
  if (v->type != TP_VALUE_STRING || v->v.s.len >= sizeof arch)
    return tp_error(TP_EFORMAT, "GGUF: general.architecture is not a short string");
  memcpy(arch, v->v.s.data, v->v.s.len);
  arch[v->v.s.len] = 0;
  if (!strcmp(arch, "llama")) {
    snprintf(key, sizeof key, "%s.expert_count", arch);
    *out = by_name(tp_meta_find(meta, key, strlen(key)) != SIZE_MAX ? "mixtral"
                                                                   : "llama");
    return TP_OK;
  }
  for (i = 0; i < tp_arch_n_profiles; i++)
    if (!strcmp(tp_arch_profiles[i]->gguf_arch, arch)) {
      *out = tp_arch_profiles[i];
      return TP_OK;
    }
  list[0] = 0;
  for (i = 0; i < tp_arch_n_profiles; i++) {
    int w;
    if (i && !strcmp(tp_arch_profiles[i]->gguf_arch, tp_arch_profiles[i - 1]->gguf_arch))
      continue;
    w = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "",
                 tp_arch_profiles[i]->gguf_arch);
    if (w < 0 || (size_t)w >= sizeof list - used) break;
    used += (size_t)w;
  }
  return tp_error(TP_EUNSUPPORTED,
                  "GGUF: architecture %s has no Hugging Face profile "
                  "(supported: %s)",
                  arch, list);
}
