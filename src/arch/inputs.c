/*
 * inputs.c - the side files of a model folder the reference converter
 * reads besides the weights: config.json, generation_config.json,
 * README.md (front matter and text), sentence-transformers modules.json
 * with its pooling module's config, tokenizer.json and whether
 * tokenizer.model exists. Each is read whole, bounded, through tp_infile.
 */
#include "arch_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define SIDE_FILE_MAX (64u << 20)

struct tp_arch_folder {
  json_t *config, *generation_config, *card, *modules, *pooling, *tokenizer;
  char *readme;
  size_t readme_len;
  char *dir_name;
};

static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir);
  return tp_asprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

static bool exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Reads dir/name whole into a malloc'ed, NUL-terminated buffer.
 * TP_ENOTFOUND when it does not exist. */
static tp_status slurp(const char *dir, const char *name, char **out, size_t *len) {
  char *path = join(dir, name);
  tp_infile *f = NULL;
  uint64_t size;
  tp_status st;
  *out = NULL;
  if (!path) return TP_ENOMEM;
  if (!exists(path)) {
    free(path);
    return TP_ENOTFOUND;
  }
  st = tp_infile_open(&f, path, 0);
  if (st == TP_OK) {
    size = tp_infile_size(f);
    if (size > SIDE_FILE_MAX) {
      st = tp_error(TP_ELIMIT, "%s: larger than %u MiB", path, SIDE_FILE_MAX >> 20);
    } else if (!(*out = tp_malloc((size_t)size + 1))) {
      st = TP_ENOMEM;
    } else {
      st = tp_infile_read(f, 0, *out, (size_t)size);
      (*out)[size] = 0;
      *len = (size_t)size;
    }
  }
  tp_infile_close(f);
  if (st != TP_OK) {
    free(*out);
    *out = NULL;
  }
  free(path);
  return st;
}

/* Parses dir/name as JSON (Python's json.load: duplicate keys keep the last
 * value). TP_ENOTFOUND when absent. */
static tp_status load_json(const char *dir, const char *name, json_t **out) {
  char *text;
  size_t len = 0;
  json_error_t jerr;
  tp_status st = slurp(dir, name, &text, &len);
  *out = NULL;
  if (st != TP_OK) return st;
  *out = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
  free(text);
  if (!*out)
    return tp_error(TP_EFORMAT, "%s/%s: not JSON (line %d: %s)", dir, name,
                    jerr.line, jerr.text);
  return TP_OK;
}

void tp_arch_folder_free(tp_arch_folder *f) {
  if (!f) return;
  json_decref(f->config);
  json_decref(f->generation_config);
  json_decref(f->card);
  json_decref(f->modules);
  json_decref(f->pooling);
  json_decref(f->tokenizer);
  free(f->readme);
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

tp_status tp_arch_folder_load(const char *dir, tp_arch_folder **out,
                              tp_arch_inputs *in) {
  tp_arch_folder *f = tp_calloc(1, sizeof *f);
  tp_status st;
  *out = NULL;
  memset(in, 0, sizeof *in);
  if (!f) return TP_ENOMEM;
  st = load_json(dir, "config.json", &f->config);
  if (st == TP_ENOTFOUND)
    st = tp_error(TP_ENOTFOUND, "%s: no config.json", dir);
  if (st == TP_OK && !json_is_object(f->config))
    st = tp_error(TP_EFORMAT, "%s/config.json: not a JSON object", dir);
  if (st == TP_OK) {
    /* metadata.py ignores a generation_config.json that does not parse */
    tp_status g = load_json(dir, "generation_config.json", &f->generation_config);
    if (g != TP_OK && g != TP_ENOTFOUND && g != TP_EFORMAT) st = g;
    if (f->generation_config && !json_is_object(f->generation_config)) {
      json_decref(f->generation_config);
      f->generation_config = NULL;
    }
  }
  if (st == TP_OK) {
    tp_status r = slurp(dir, "README.md", &f->readme, &f->readme_len);
    if (r == TP_OK) {
      st = tp_arch_card_parse(f->readme, f->readme_len, &f->card);
      if (st != TP_OK) tp_error_prefix("%s", dir);
    } else if (r != TP_ENOTFOUND) {
      st = r;
    }
  }
  if (st == TP_OK) {
    tp_status r = load_json(dir, "modules.json", &f->modules);
    if (r == TP_OK && json_is_array(f->modules)) {
      size_t i;
      json_t *m;
      json_array_foreach(f->modules, i, m) {
        const char *t = json_string_value(json_object_get(m, "type"));
        const char *path = json_string_value(json_object_get(m, "path"));
        size_t tl = t ? strlen(t) : 0;
        if (t && tl >= 7 && !strcmp(t + tl - 7, "Pooling") && path) {
          char *sub;
          if (strstr(path, "..") || path[0] == '/') {
            st = tp_error(TP_EFORMAT, "%s/modules.json: pooling path \"%.100s\" "
                          "leaves the folder", dir, path);
            break;
          }
          sub = tp_asprintf("%s/config.json", path);
          if (!sub) {
            st = TP_ENOMEM;
            break;
          }
          r = load_json(dir, sub, &f->pooling);
          free(sub);
          if (r != TP_OK)
            st = r == TP_ENOTFOUND ? tp_error(TP_EFORMAT, "%s: the pooling module "
                                              "%s has no config.json", dir, path)
                                   : r;
          break;
        }
      }
    } else if (r != TP_OK && r != TP_ENOTFOUND) {
      st = r;
    }
  }
  if (st == TP_OK) {
    tp_status r = load_json(dir, "tokenizer.json", &f->tokenizer);
    if (r != TP_OK && r != TP_ENOTFOUND) st = r;
  }
  if (st == TP_OK && !(f->dir_name = base_name(dir))) st = TP_ENOMEM;
  if (st != TP_OK) {
    tp_arch_folder_free(f);
    return st;
  }
  {
    char *tm = join(dir, "tokenizer.model");
    in->has_tokenizer_model = tm && exists(tm);
    free(tm);
  }
  in->config = f->config;
  in->generation_config = f->generation_config;
  in->card = f->card;
  in->readme = f->readme;
  in->readme_len = f->readme_len;
  in->dir_name = f->dir_name;
  in->st_modules = f->modules;
  in->st_pooling = f->pooling;
  in->tokenizer_json = f->tokenizer;
  *out = f;
  return TP_OK;
}
