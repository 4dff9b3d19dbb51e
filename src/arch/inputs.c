/*
 * inputs.c - what the reference converter reads from a model folder
 * besides the weights, taken from the model's attached documents (the HF
 * reader attaches them: model/docs.h): config.json, generation_config.json,
 * README.md (front matter and text), sentence-transformers modules.json
 * with its pooling module's config, tokenizer.json and whether
 * tokenizer.model exists.
 */
#include "arch_impl.h"

#include "../model/docs.h"

#include <stdio.h>
#include <stdlib.h>

struct tp_arch_folder {
  json_t *card, *modules;
  char *dir_name;
};

void tp_arch_folder_free(tp_arch_folder *f) {
  if (!f) return;
  json_decref(f->card);
  json_decref(f->modules);
  free(f->dir_name);
  free(f);
}

/* The folder's own name as pathlib's Path(dir).name gives it: the last
 * component that is not "." ("" for "." or "/", as the reference sees it,
 * which then writes no general.name). */
static char *base_name(const char *dir) {
  const char *p = dir, *best = "";
  size_t best_len = 0;
  while (*p) {
    const char *e = strchr(p, '/');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n && !(n == 1 && *p == '.')) {
      best = p;
      best_len = n;
    }
    if (!e) break;
    p = e + 1;
  }
  return tp_strndup(best, best_len);
}

tp_status tp_arch_inputs_from_model(const tp_model *m, tp_arch_folder **out,
                                    tp_arch_inputs *in) {
  tp_arch_folder *f = tp_calloc(1, sizeof *f);
  const char *dir = tp_model_path(m), *text;
  size_t len;
  tp_status st = TP_OK;
  *out = NULL;
  memset(in, 0, sizeof *in);
  if (!f) return TP_ENOMEM;
  in->config = tp_model_doc(m, "config.json");
  if (!in->config)
    st = tp_error(TP_ENOTFOUND, "%s: no config.json (the architecture comes "
                  "from it)", dir);
  in->generation_config = tp_model_doc(m, "generation_config.json");
  if (st == TP_OK && (text = tp_model_text(m, "README.md", &len)) != NULL) {
    in->readme = text;
    in->readme_len = len;
    st = tp_arch_card_parse(text, len, &f->card);
    if (st != TP_OK) tp_error_prefix("%s/README.md", dir);
  }
  if (st == TP_OK && (text = tp_model_text(m, "modules.json", &len)) != NULL) {
    json_error_t jerr;
    f->modules = json_loadb(text, len, 0, &jerr);
    if (!f->modules)
      st = tp_error(TP_EFORMAT, "%s/modules.json: not JSON (line %d: %s)", dir,
                    jerr.line, jerr.text);
  }
  in->st_pooling = tp_model_doc(m, "pooling/config.json");
  in->tokenizer_json = tp_model_doc(m, "tokenizer.json");
  in->has_tokenizer_model = tp_model_text(m, "tokenizer.model", NULL) != NULL;
  if (st == TP_OK && !(f->dir_name = base_name(dir))) st = TP_ENOMEM;
  if (st != TP_OK) {
    tp_arch_folder_free(f);
    memset(in, 0, sizeof *in);
    return st;
  }
  in->card = f->card;
  in->st_modules = f->modules && json_is_array(f->modules) ? f->modules : NULL;
  in->dir_name = f->dir_name;
  *out = f;
  return TP_OK;
}
