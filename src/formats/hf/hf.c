/*
 * hf.c - Hugging Face model folders: probe, reader and writer layout.
 *
 * Reading: model.safetensors.index.json + shards (the index is validated
 * strictly: shard names are plain file names inside the folder, every
 * listed tensor is in its shard and every shard tensor is listed), else
 * model.safetensors, else the folder's only *.safetensors file. Shards
 * become the files of one tp_model; metadata comes from the first shard;
 * config.json, the tokenizer files and the other JSON documents of g_docs
 * are parsed and attached to the model (model/docs.h).
 * A file may be a symbolic link only when it resolves inside the folder, or
 * inside the blobs/ store of a Hugging Face cache when the folder is a
 * snapshots/<revision> folder (that is how the hub cache is laid out).
 *
 * Writing: model.safetensors or model-0000k-of-0000N.safetensors + index
 * (shared code in safetensors_write.c), plus copies of every other file of
 * the source folder and its subfolders (config, tokenizer, templates,
 * sentence-transformers modules, README, LICENSE, ...), except hidden
 * entries, the SafeTensors weights and indexes the output replaces, and
 * weights in other formats, which would be stale; config.json's dtype is
 * updated to the output's when every floating tensor has the same type.
 */
#include "hf.h"
#include "../../dtype/dtype.h"
#include "../../model/docs.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define INDEX_NAME "model.safetensors.index.json"
#define SINGLE_NAME "model.safetensors"
/* transformers keeps named chat templates other than the default here */
#define TP_HF_CHAT_TEMPLATES_DIR "additional_chat_templates"

/* Bounds of the side-file copy: how deep into subfolders, how many files. */
#define TP_HF_COPY_MAX_DEPTH 8
#define TP_HF_COPY_MAX_FILES 10000

/* Weights in formats other than the output's: a copy would be stale. */
static const char *const g_stale_weight_suffixes[] = {
    ".bin", ".pt", ".pth", ".h5", ".msgpack", ".onnx", ".onnx_data",
    ".onnx.data", ".gguf", ".ckpt",
};

/* ---- paths and containment ------------------------------------------------ */

static char *join(const char *dir, const char *name) {
  size_t n = strlen(dir);
  return tp_asprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

static bool has_suffix(const char *s, size_t n, const char *suf) {
  size_t m = strlen(suf);
  return n >= m && !memcmp(s + n - m, suf, m);
}

/* Roots a folder's files may resolve into: the folder itself and, for a
 * hub cache snapshot (<repo>/snapshots/<rev>), <repo>/blobs. */
typedef struct hf_roots {
  char dir[PATH_MAX];
  char blobs[PATH_MAX]; /* "" when not a cache snapshot */
} hf_roots;

static tp_status roots_init(hf_roots *r, const char *dir) {
  char *slash;
  if (!realpath(dir, r->dir)) {
    int e = errno;
    return tp_error_errno(e == ENOENT ? TP_ENOTFOUND : TP_EIO, e,
                          "%s: cannot resolve folder", dir);
  }
  r->blobs[0] = 0;
  slash = strrchr(r->dir, '/');
  if (slash && slash > r->dir) {
    char parent[PATH_MAX];
    const char *pbase;
    size_t plen = (size_t)(slash - r->dir);
    memcpy(parent, r->dir, plen);
    parent[plen] = 0;
    pbase = strrchr(parent, '/');
    pbase = pbase ? pbase + 1 : parent;
    if (!strcmp(pbase, "snapshots")) {
      size_t rlen = (size_t)(pbase - parent); /* keeps the trailing '/' */
      if (rlen + 6 < sizeof r->blobs) {
        memcpy(r->blobs, parent, rlen);
        memcpy(r->blobs + rlen, "blobs", 6);
      }
    }
  }
  return TP_OK;
}

static bool under(const char *path, const char *root) {
  size_t n = strlen(root);
  if (!n) return false;
  if (n == 1 && root[0] == '/') return true;
  return !strncmp(path, root, n) && path[n] == '/';
}

/* Checks that dir/name is a regular file (through a symlink only when it
 * resolves inside the allowed roots). what names the referrer in messages.
 * TP_ENOTFOUND when absent. */
static tp_status check_member(const hf_roots *r, const char *dir,
                              const char *name, const char *what) {
  char *path = join(dir, name);
  struct stat st;
  tp_status s = TP_OK;
  if (!path) return TP_ENOMEM;
  if (lstat(path, &st) != 0) {
    int e = errno;
    s = tp_error_errno(e == ENOENT ? TP_ENOTFOUND : TP_EIO, e, "%s: %s", path,
                       what);
    goto out;
  }
  if (S_ISLNK(st.st_mode)) {
    char real[PATH_MAX];
    if (!realpath(path, real)) {
      int e = errno;
      s = tp_error_errno(e == ENOENT ? TP_ENOTFOUND : TP_EIO, e,
                         "%s: %s (dangling symbolic link)", path, what);
      goto out;
    }
    if (!under(real, r->dir) && !under(real, r->blobs)) {
      s = tp_error(TP_EFORMAT,
                   "%s: %s is a symbolic link leading outside the folder (to "
                   "%s); refused",
                   path, what, real);
      goto out;
    }
    if (stat(path, &st) != 0) {
      int e = errno;
      s = tp_error_errno(TP_EIO, e, "%s: cannot stat", path);
      goto out;
    }
  }
  if (!S_ISREG(st.st_mode))
    s = tp_error(TP_EFORMAT, "%s: %s is not a regular file", path, what);
out:
  free(path);
  return s;
}

/* A weight_map value must be a plain file name in the folder. */
static const char *bad_shard_name(const char *s, size_t n) {
  if (n == 0) return "is empty";
  if (memchr(s, 0, n)) return "contains a NUL byte";
  if (memchr(s, '/', n)) return "contains '/' (shards must be in the folder)";
  if (memchr(s, '\\', n)) return "contains '\\'";
  if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
    return "is not a file name";
  return NULL;
}

/* ---- probe ----------------------------------------------------------------------- */

/* Counts *.safetensors entries (not hidden) and remembers the first few. */
static size_t list_safetensors(const char *dir, char *first, size_t first_len,
                               char *names, size_t names_len) {
  DIR *d = opendir(dir);
  struct dirent *de;
  size_t count = 0, o = 0;
  if (first_len) first[0] = 0;
  if (names_len) names[0] = 0;
  if (!d) return 0;
  while ((de = readdir(d))) {
    size_t n = strlen(de->d_name);
    if (de->d_name[0] == '.' || !has_suffix(de->d_name, n, ".safetensors"))
      continue;
    if (!count && first_len) snprintf(first, first_len, "%s", de->d_name);
    if (o < names_len)
      o += (size_t)snprintf(names + o, names_len - o, "%s%s", count ? ", " : "",
                            de->d_name);
    count++;
  }
  closedir(d);
  return count;
}

static bool exists_in(const char *dir, const char *name) {
  char *p = join(dir, name);
  bool r = p && tp_path_exists(p);
  free(p);
  return r;
}

int tp_hf_probe_dir(const char *dir, char *why, size_t why_len) {
  char first[256], names[512];
  size_t n;
  if (exists_in(dir, INDEX_NAME)) {
    if (why) snprintf(why, why_len, "folder with %s", INDEX_NAME);
    return 3;
  }
  if (exists_in(dir, SINGLE_NAME)) {
    if (why) snprintf(why, why_len, "folder with %s", SINGLE_NAME);
    return 3;
  }
  n = list_safetensors(dir, first, sizeof first, names, sizeof names);
  if (n == 1) {
    if (why) snprintf(why, why_len, "folder with one SafeTensors file (%s)", first);
    return 2;
  }
  if (why) {
    if (n == 0)
      snprintf(why, why_len, "no %s, %s or *.safetensors file", SINGLE_NAME,
               INDEX_NAME);
    else
      snprintf(why, why_len, "%zu .safetensors files (%s) and no %s", n, names,
               INDEX_NAME);
  }
  return 0;
}

/* ---- reader ------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Reads and validates the index, then every shard it names. */
static tp_status open_index(tp_model *m, const hf_roots *r, const char *dir,
                            const tp_open_options *opts) {
  char *ipath = join(dir, INDEX_NAME);
  tp_infile *f = NULL;
  char *text = NULL;
  json_t *root = NULL, *wm;
  json_error_t jerr;
  char **shards = NULL;
  size_t nshards = 0, i, tlen;
  uint64_t size;
  tp_status st;
  const char *k;
  size_t kl;
  json_t *v;

  if (!ipath) return TP_ENOMEM;
  st = check_member(r, dir, INDEX_NAME, "index");
  if (st != TP_OK) goto done;
  st = tp_infile_open(&f, ipath, 0);
  if (st != TP_OK) goto done;
  size = tp_infile_size(f);
  if (size > TP_ST_MAX_INDEX) {
    st = tp_error(TP_ELIMIT, "%s: safetensors index: too large (%llu bytes vs limit %u)",
                  ipath, (unsigned long long)size, TP_ST_MAX_INDEX);
    goto done;
  }
  st = tp_infile_read_all(f, &text, &tlen);
  if (st != TP_OK) goto done;
  root = json_loadb(text, tlen, JSON_REJECT_DUPLICATES, &jerr);
  if (!root) {
    st = tp_error(TP_EFORMAT, "%s: safetensors index: not valid JSON: %s (byte %d)%s",
                  ipath,
                  jerr.text, jerr.position,
                  json_error_code(&jerr) == json_error_duplicate_key
                      ? " (a key, e.g. a tensor, is listed twice)"
                      : "");
    goto done;
  }
  wm = json_object_get(root, "weight_map");
  if (!json_is_object(root) || !json_is_object(wm)) {
    st = tp_error(TP_EFORMAT, "%s: safetensors index: no \"weight_map\" object", ipath);
    goto done;
  }
  /* every value: a plain file name; collect the distinct ones */
  shards = tp_calloc(json_object_size(wm) + 1, sizeof *shards);
  if (!shards) {
    st = TP_ENOMEM;
    goto done;
  }
  json_object_keylen_foreach(wm, k, kl, v) {
    char q[256], fq[256];
    const char *why;
    tp_quote_for_message(q, sizeof q, k, kl);
    if (!json_is_string(v)) {
      st = tp_error(TP_EFORMAT,
                    "%s: safetensors index: weight_map: tensor \"%s\": shard is not a string",
                    ipath, q);
      goto done;
    }
    why = bad_shard_name(json_string_value(v), json_string_length(v));
    if (why) {
      tp_quote_for_message(fq, sizeof fq, json_string_value(v),
                           json_string_length(v));
      st = tp_error(TP_EFORMAT,
                    "%s: safetensors index: weight_map: tensor \"%s\": shard name \"%s\" %s",
                    ipath, q, fq, why);
      goto done;
    }
    shards[nshards++] = (char *)json_string_value(v);
  }
  /* distinct names by sorting: a linear search per entry was quadratic in
   * the entry count (minutes for a hostile index of distinct names) */
  qsort(shards, nshards, sizeof *shards, cmp_str);
  {
    size_t n = 0;
    for (i = 0; i < nshards; i++)
      if (!n || strcmp(shards[n - 1], shards[i])) shards[n++] = shards[i];
    nshards = n;
  }
  for (i = 0; i < nshards; i++) {
    char *sp;
    st = check_member(r, dir, shards[i], "shard named in the index");
    if (st != TP_OK) {
      if (st == TP_ENOTFOUND)
        st = tp_error(TP_EFORMAT,
                      "%s: safetensors index: weight_map names shard \"%s\", which does not "
                      "exist in %s",
                      ipath, shards[i], dir);
      goto done;
    }
    sp = join(dir, shards[i]);
    if (!sp) {
      st = TP_ENOMEM;
      goto done;
    }
    st = tp_safetensors_read_into(m, sp, opts);
    free(sp);
    if (st != TP_OK) goto done;
  }
  /* the index and the shards must agree both ways */
  for (i = 0; i < m->ntensors; i++) {
    const tp_tensor *t = &m->tensors[i];
    const json_t *s = json_object_getn(wm, t->name, t->name_len);
    const char *fpath = tp_infile_path(m->files[t->file]);
    const char *fname = strrchr(fpath, '/') ? strrchr(fpath, '/') + 1 : fpath;
    char q[256];
    tp_quote_for_message(q, sizeof q, t->name, t->name_len);
    if (!s) {
      st = tp_error(TP_EFORMAT,
                    "%s: safetensors index: tensor \"%s\" in shard %s is not listed in the index",
                    ipath, q, fname);
      goto done;
    }
    if (strcmp(json_string_value(s), fname)) {
      st = tp_error(TP_EFORMAT,
                    "%s: safetensors index: tensor \"%s\" is in shard %s but the index lists %s",
                    ipath, q, fname, json_string_value(s));
      goto done;
    }
  }
  json_object_keylen_foreach(wm, k, kl, v) {
    if (tp_model_find_tensor(m, k, kl) == SIZE_MAX) {
      char q[256];
      tp_quote_for_message(q, sizeof q, k, kl);
      st = tp_error(TP_EFORMAT,
                    "%s: safetensors index: tensor \"%s\" listed in weight_map is missing from "
                    "its shard %s",
                    ipath, q, json_string_value(v));
      goto done;
    }
  }
  st = TP_OK;
done:
  free(shards);
  json_decref(root);
  free(text);
  tp_infile_close(f);
  free(ipath);
  return st;
}

/* The JSON documents a folder may carry, attached to the model (docs.h)
 * when present. Each must parse: transformers refuses a folder whose
 * config.json does not, and a document read for planning must not be
 * half there. The HF output copies them all the same (walk_copies). */
static const char *const g_docs[] = {
    "config.json",          "generation_config.json",  "tokenizer.json",
    "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json",
    "preprocessor_config.json", "chat_template.json", "modules.json",
    "gguf_metadata.json", /* written by a GGUF -> Hugging Face conversion */
};

/* Files kept as bytes for planning (tokenizer and model card inputs of the
 * Hugging Face -> GGUF conversion). */
static const char *const g_texts[] = {
    "tokenizer.model", "chat_template.jinja", "README.md", "vocab.txt",
    "merges.txt",
};

/* Attaches dir/name as a document (json) or a text when it exists; what is
 * there is checked like every member (links inside the folder only). */
static tp_status attach_one(tp_model *m, const hf_roots *r, const char *dir,
                            const char *name, const char *as, int json) {
  char *path = join(dir, name);
  tp_status st = TP_OK;
  if (!path) return TP_ENOMEM;
  if (tp_path_exists(path)) {
    st = check_member(r, dir, name, "model document");
    if (st == TP_OK)
      st = json ? tp_model_attach_doc(m, as, path) : tp_model_attach_text(m, as, path);
  }
  free(path);
  return st;
}

/* sentence-transformers: the Pooling module's config, attached as
 * "pooling/config.json" (the folder modules.json names; a plain name). */
static tp_status attach_pooling(tp_model *m, const hf_roots *r, const char *dir) {
  const json_t *v;
  char name[300];
  size_t i, len;
  /* modules.json is a list, which documents cannot be: it is a text */
  const char *text = tp_model_text(m, "modules.json", &len);
  if (!text) return TP_OK;
  {
    json_error_t jerr;
    json_t *arr = json_loadb(text, len, 0, &jerr);
    tp_status st = TP_OK;
    if (!arr || !json_is_array(arr)) {
      json_decref(arr);
      return TP_OK; /* not sentence-transformers' shape: nothing to add */
    }
    json_array_foreach(arr, i, v) {
      const char *type = json_string_value(json_object_get(v, "type"));
      const char *path = json_string_value(json_object_get(v, "path"));
      if (!type || !path || !strstr(type, "Pooling")) continue;
      if (bad_shard_name(path, strlen(path)) || strlen(path) > 200) {
        st = tp_error(TP_EFORMAT, "%s/modules.json: module path \"%s\" is not "
                      "a folder name", dir, path);
        break;
      }
      snprintf(name, sizeof name, "%s/config.json", path);
      st = attach_one(m, r, dir, name, "pooling/config.json", 1);
      break;
    }
    json_decref(arr);
    return st;
  }
}

/* additional_chat_templates/<name>.jinja, in name order. */
static tp_status attach_templates(tp_model *m, const hf_roots *r, const char *dir) {
  char *sub = join(dir, TP_HF_CHAT_TEMPLATES_DIR);
  char **names = NULL;
  size_t n = 0, cap = 0, i;
  struct stat sb;
  DIR *d;
  struct dirent *de;
  tp_status st = TP_OK;
  if (!sub) return TP_ENOMEM;
  if (lstat(sub, &sb) != 0 || !S_ISDIR(sb.st_mode) || !(d = opendir(sub))) {
    free(sub);
    return TP_OK; /* none; a link there is refused by the output's walk */
  }
  while (st == TP_OK && (de = readdir(d))) {
    size_t len = strlen(de->d_name);
    char *name;
    if (de->d_name[0] == '.' || !has_suffix(de->d_name, len, ".jinja")) continue;
    st = tp_grow((void **)&names, &cap, n + 1, sizeof *names);
    if (st != TP_OK) break;
    name = tp_asprintf("%s/%s", TP_HF_CHAT_TEMPLATES_DIR, de->d_name);
    if (!name) st = TP_ENOMEM;
    else names[n++] = name;
  }
  closedir(d);
  if (st == TP_OK && n > 1) qsort(names, n, sizeof *names, cmp_str);
  for (i = 0; st == TP_OK && i < n; i++)
    st = attach_one(m, r, dir, names[i], names[i], 0);
  for (i = 0; i < n; i++) free(names[i]);
  free(names);
  free(sub);
  return st;
}

static tp_status attach_docs(tp_model *m, const hf_roots *r, const char *dir) {
  size_t i;
  tp_status st = TP_OK;
  for (i = 0; i < TP_ARRAY_LEN(g_docs) && st == TP_OK; i++)
    st = strcmp(g_docs[i], "modules.json")
             ? attach_one(m, r, dir, g_docs[i], g_docs[i], 1)
             : attach_one(m, r, dir, g_docs[i], g_docs[i], 0);
  for (i = 0; i < TP_ARRAY_LEN(g_texts) && st == TP_OK; i++)
    st = attach_one(m, r, dir, g_texts[i], g_texts[i], 0);
  if (st == TP_OK) st = attach_pooling(m, r, dir);
  if (st == TP_OK) st = attach_templates(m, r, dir);
  return st;
}

static tp_status open_single(tp_model *m, const hf_roots *r, const char *dir,
                             const char *name, const tp_open_options *opts) {
  char *p;
  tp_status st = check_member(r, dir, name, "model file");
  if (st != TP_OK) return st;
  p = join(dir, name);
  if (!p) return TP_ENOMEM;
  st = tp_safetensors_read_into(m, p, opts);
  free(p);
  return st;
}

tp_status tp_hf_open(tp_model **out, const char *dir,
                     const tp_open_options *opts) {
  tp_model *m;
  tp_status st;
  hf_roots *r;
  *out = NULL;
  if (!tp_path_is_dir(dir))
    return tp_error(TP_ENOTFOUND, "%s: not a folder", dir);
  r = tp_calloc(1, sizeof *r);
  if (!r) return TP_ENOMEM;
  st = roots_init(r, dir);
  if (st != TP_OK) {
    free(r);
    return st;
  }
  st = tp_model_new(&m, TP_FORMAT_HF, dir);
  if (st != TP_OK) {
    free(r);
    return st;
  }
  if (exists_in(dir, INDEX_NAME)) {
    st = open_index(m, r, dir, opts);
  } else if (exists_in(dir, SINGLE_NAME)) {
    st = open_single(m, r, dir, SINGLE_NAME, opts);
  } else {
    char first[256], names[512];
    size_t n = list_safetensors(dir, first, sizeof first, names, sizeof names);
    if (n == 1)
      st = open_single(m, r, dir, first, opts);
    else if (n == 0)
      st = tp_error(TP_EFORMAT,
                    "%s: no %s, %s or other *.safetensors file in the folder",
                    dir, SINGLE_NAME, INDEX_NAME);
    else
      st = tp_error(TP_EFORMAT,
                    "%s: %zu .safetensors files (%s) but no %s to say which "
                    "belong to the model",
                    dir, n, names, INDEX_NAME);
  }
  if (st == TP_OK) st = attach_docs(m, r, dir);
  free(r);
  if (st != TP_OK) {
    tp_model_free(m);
    return st;
  }
  *out = m;
  return TP_OK;
}

/* ---- writer ---------------------------------------------------------------------------- */

/* ---- config.json dtype ------------------------------------------------------ */

/* transformers loads with dtype="auto" by config.json's "dtype" (older
 * releases: "torch_dtype"), so a converted folder whose config kept the old
 * dtype would be cast silently on load. The new name is written only when
 * every floating output tensor has one of these types. */
static const char *torch_dtype_name(tp_type t) {
  switch (t) {
  case TP_TYPE_F16: return "float16";
  case TP_TYPE_BF16: return "bfloat16";
  case TP_TYPE_F32: return "float32";
  case TP_TYPE_F64: return "float64";
  default: return NULL;
  }
}

static const char *plan_torch_dtype(const tp_layout *p) {
  const char *name = NULL;
  size_t i;
  for (i = 0; i < p->n; i++) {
    const char *n;
    if (tp_type_traits_of(p->entries[i].dst_type)->kind != TP_KIND_FLOAT) continue;
    n = torch_dtype_name(p->entries[i].dst_type);
    if (!n || (name && strcmp(n, name))) return NULL;
    name = n;
  }
  return name;
}

/* A forward-only scanner over JSON text: just enough to find the byte
 * ranges of top-level string values, so that the rest of the file is kept
 * byte for byte (jansson would re-render it). */
typedef struct jscan {
  const char *s;
  size_t n, i;
} jscan;

static void js_ws(jscan *j) {
  while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' ||
                         j->s[j->i] == '\n' || j->s[j->i] == '\r'))
    j->i++;
}

/* At '"': moves past the closing quote. */
static bool js_string(jscan *j) {
  if (j->i >= j->n || j->s[j->i] != '"') return false;
  for (j->i++; j->i < j->n; j->i++) {
    if (j->s[j->i] == '\\') j->i++;
    else if (j->s[j->i] == '"') {
      j->i++;
      return true;
    }
  }
  return false;
}

static bool js_value(jscan *j) {
  size_t depth = 0;
  if (j->i >= j->n) return false;
  if (j->s[j->i] == '"') return js_string(j);
  for (; j->i < j->n; j->i++) {
    char c = j->s[j->i];
    if (c == '"') {
      if (!js_string(j)) return false;
      j->i--;
    } else if (c == '{' || c == '[') {
      depth++;
    } else if (c == '}' || c == ']') {
      if (!depth) return true; /* end of a scalar inside the parent */
      if (--depth == 0) {
        j->i++;
        return true;
      }
    } else if (!depth && (c == ',' || c == ' ' || c == '\t' || c == '\n' ||
                          c == '\r')) {
      return true;
    }
  }
  return depth == 0;
}

/* Returns a malloc'ed copy of text with the top-level "dtype"/"torch_dtype"
 * string values replaced by dtype, or NULL when there is nothing to change
 * or the text is not a JSON object this scanner understands. */
static char *config_with_dtype(const char *text, size_t len, const char *dtype,
                               size_t *out_len) {
  jscan j = {text, len, 0};
  size_t at[2][2], nat = 0, i, extra = 0, w = 0, prev = 0;
  size_t dl = strlen(dtype);
  char *out;
  js_ws(&j);
  if (j.i >= j.n || text[j.i] != '{') return NULL;
  j.i++;
  for (;;) {
    size_t k0, k1, v0;
    js_ws(&j);
    if (j.i < j.n && text[j.i] == '}') break;
    k0 = j.i;
    if (!js_string(&j)) return NULL;
    k1 = j.i;
    js_ws(&j);
    if (j.i >= j.n || text[j.i] != ':') return NULL;
    j.i++;
    js_ws(&j);
    v0 = j.i;
    if (!js_value(&j) || j.i == v0) return NULL;
    if (text[v0] == '"' &&
        ((k1 - k0 == 7 && !memcmp(text + k0, "\"dtype\"", 7)) ||
         (k1 - k0 == 13 && !memcmp(text + k0, "\"torch_dtype\"", 13)))) {
      if (!(j.i - v0 == dl + 2 && !memcmp(text + v0 + 1, dtype, dl)) && nat < 2) {
        at[nat][0] = v0;
        at[nat][1] = j.i;
        nat++;
      }
    }
    js_ws(&j);
    if (j.i < j.n && text[j.i] == ',') {
      j.i++;
      continue;
    }
    if (j.i < j.n && text[j.i] == '}') break;
    return NULL;
  }
  if (!nat) return NULL;
  for (i = 0; i < nat; i++) extra += dl + 2;
  out = tp_malloc(len + extra + 1);
  if (!out) return NULL;
  for (i = 0; i < nat; i++) {
    memcpy(out + w, text + prev, at[i][0] - prev);
    w += at[i][0] - prev;
    out[w++] = '"';
    memcpy(out + w, dtype, dl);
    w += dl;
    out[w++] = '"';
    prev = at[i][1];
  }
  memcpy(out + w, text + prev, len - prev);
  w += len - prev;
  out[w] = 0;
  *out_len = w;
  return out;
}

/* Reads a config file whole through the same input layer as the index;
 * NULL when it cannot (the copy then goes verbatim, and the executor's read
 * of the same file reports a real problem). */
static char *read_config(const char *path, size_t *len) {
  tp_infile *f = NULL;
  char *buf = NULL;
  if (tp_infile_open(&f, path, 0) != TP_OK) return NULL;
  if (tp_infile_size(f) <= TP_ST_MAX_INDEX &&
      tp_infile_read_all(f, &buf, len) != TP_OK)
    buf = NULL;
  tp_infile_close(f);
  return buf;
}

/* One aux copy: src/name (checked like every folder member) to out/name. */
static tp_status add_aux_copy(tp_layout *p, const hf_roots *r, const char *src,
                              const char *name, const char *dtype) {
  char *from, *to;
  struct stat sb;
  uint32_t idx;
  tp_status st = check_member(r, src, name, "file to copy");
  if (st != TP_OK) return st;
  from = join(src, name);
  to = join(p->out_path, name);
  if (!from || !to || stat(from, &sb) != 0) {
    st = (!from || !to) ? TP_ENOMEM
                        : tp_error_errno(TP_EIO, errno, "%s: cannot stat", from);
    free(from);
    free(to);
    return st;
  }
  st = tp_layout_add_file(p, to, &idx);
  free(to);
  if (st != TP_OK) {
    free(from);
    return st;
  }
  p->files[idx].is_aux = 1;
  if (!strcmp(name, "config.json") && dtype) {
    size_t tlen = 0, nlen = 0;
    char *text = read_config(from, &tlen);
    char *edited = text ? config_with_dtype(text, tlen, dtype, &nlen) : NULL;
    free(text);
    if (edited) {
      free(from);
      p->files[idx].header = (uint8_t *)edited;
      p->files[idx].header_len = nlen;
      p->files[idx].size = nlen;
      return TP_OK;
    }
  }
  p->files[idx].copy_from = from;
  p->files[idx].size = (uint64_t)sb.st_size;
  return TP_OK;
}

/* A file of the source folder that the output does not carry: at the top
 * level the SafeTensors weights and their indexes (the output replaces
 * them); anywhere, weights in other formats and their indexes
 * (pytorch_model.bin.index.json, ...). SafeTensors files in subfolders
 * belong to other modules (sentence-transformers' 2_Dense/) and are copied. */
static bool not_copied(const char *name, bool top) {
  size_t n = strlen(name), i;
  if (has_suffix(name, n, ".index.json")) n -= strlen(".index.json");
  if (top && has_suffix(name, n, ".safetensors")) return true;
  for (i = 0; i < TP_ARRAY_LEN(g_stale_weight_suffixes); i++)
    if (has_suffix(name, n, g_stale_weight_suffixes[i])) return true;
  return false;
}

typedef struct copy_walk {
  tp_layout *p;
  const hf_roots *r;
  const char *src;
  const char *dtype;
  size_t files;
  bool skip_out;          /* the output folder lies inside the source */
  dev_t out_dev;
  ino_t out_ino;
} copy_walk;

/* Adds a copy of every file of src/rel (rel "" for the folder itself) in
 * name order, and walks its subfolders. Hidden entries (.git/, .cache/,
 * .gitattributes) are not copied; a subfolder must be a real folder, a
 * file a regular file or a link that stays inside the folder
 * (check_member). */
static tp_status walk_copies(copy_walk *w, const char *rel, int depth) {
  char *dir = *rel ? join(w->src, rel) : tp_strdup(w->src);
  char **names = NULL;
  size_t n = 0, cap = 0, i;
  DIR *d;
  struct dirent *de;
  tp_status st = TP_OK;
  if (!dir) return TP_ENOMEM;
  d = opendir(dir);
  if (!d) {
    st = tp_error_errno(TP_EIO, errno, "%s: cannot list", dir);
    free(dir);
    return st;
  }
  while (st == TP_OK && (de = readdir(d))) {
    if (de->d_name[0] == '.' || not_copied(de->d_name, depth == 0)) continue;
    st = tp_grow((void **)&names, &cap, n + 1, sizeof *names);
    if (st == TP_OK && !(names[n++] = *rel ? tp_asprintf("%s/%s", rel, de->d_name)
                                           : tp_strdup(de->d_name)))
      st = TP_ENOMEM;
  }
  closedir(d);
  if (st == TP_OK && n > 1) qsort(names, n, sizeof *names, cmp_str);
  for (i = 0; st == TP_OK && i < n; i++) {
    char *path = join(w->src, names[i]);
    struct stat sb;
    if (!path) {
      st = TP_ENOMEM;
      break;
    }
    if (lstat(path, &sb) != 0) {
      st = tp_error_errno(TP_EIO, errno, "%s: cannot stat", path);
    } else if (S_ISDIR(sb.st_mode)) {
      if (w->skip_out && sb.st_dev == w->out_dev && sb.st_ino == w->out_ino) {
        /* an earlier output inside the source: not part of the model */
      } else if (depth + 1 >= TP_HF_COPY_MAX_DEPTH) {
        st = tp_error(TP_ELIMIT,
                      "%s: folders nested deeper than %d levels in the model "
                      "folder; not copied",
                      path, TP_HF_COPY_MAX_DEPTH);
      } else {
        st = walk_copies(w, names[i], depth + 1);
      }
    } else if (S_ISLNK(sb.st_mode) && tp_path_is_dir(path)) {
      st = tp_error(TP_EFORMAT, "%s: not a folder (a symbolic link); refused",
                    path);
    } else if (++w->files > TP_HF_COPY_MAX_FILES) {
      st = tp_error(TP_ELIMIT, "%s: more than %d files to copy from the model "
                    "folder",
                    w->src, TP_HF_COPY_MAX_FILES);
    } else {
      st = add_aux_copy(w->p, w->r, w->src, names[i],
                        depth == 0 && !strcmp(names[i], "config.json") ? w->dtype
                                                                       : NULL);
    }
    free(path);
  }
  for (i = 0; i < n; i++) free(names[i]);
  free(names);
  free(dir);
  return st;
}

/* Adds the source folder's side files as verbatim copies; config.json gets
 * the output dtype (see plan_torch_dtype). */
static tp_status add_aux_copies(tp_layout *p) {
  copy_walk w;
  struct stat sb;
  hf_roots *r;
  tp_status st;
  memset(&w, 0, sizeof w);
  r = tp_calloc(1, sizeof *r);
  if (!r) return TP_ENOMEM;
  st = roots_init(r, tp_model_path(p->src));
  w.p = p;
  w.r = r;
  w.src = tp_model_path(p->src);
  w.dtype = plan_torch_dtype(p);
  if (stat(p->out_path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    w.skip_out = true;
    w.out_dev = sb.st_dev;
    w.out_ino = sb.st_ino;
  }
  if (st == TP_OK) st = walk_copies(&w, "", 0);
  free(r);
  return st;
}

tp_status tp_hf_layout(tp_layout *p) {
  char *stem;
  tp_status st;
  size_t i;
  p->out_is_dir = 1;
  stem = join(p->out_path, "model");
  if (!stem) return TP_ENOMEM;
  st = tp_st_layout_stem(p, stem, NULL);
  free(stem);
  if (st == TP_OK && p->src && tp_path_is_dir(tp_model_path(p->src)))
    st = add_aux_copies(p);
  /* files the conversion generated (config.json, tokenizer files of a GGUF
   * source); a generated file replaces a copy of the same name */
  for (i = 0; st == TP_OK && i < p->nside; i++) {
    char *to = join(p->out_path, p->side[i].name);
    uint32_t idx = UINT32_MAX, k;
    if (!to) return TP_ENOMEM;
    for (k = 0; k < p->nfiles; k++)
      if (p->files[k].is_aux && !strcmp(p->files[k].path, to)) idx = k;
    if (idx == UINT32_MAX) st = tp_layout_add_file(p, to, &idx);
    free(to);
    if (st != TP_OK) break;
    free(p->files[idx].copy_from);
    free(p->files[idx].header);
    p->files[idx].copy_from = NULL;
    p->files[idx].is_aux = 1;
    p->files[idx].header = tp_malloc(p->side[i].len ? p->side[i].len : 1);
    if (!p->files[idx].header) return TP_ENOMEM;
    memcpy(p->files[idx].header, p->side[i].data, p->side[i].len);
    p->files[idx].header_len = p->side[i].len;
    p->files[idx].size = p->side[i].len;
  }
  return st;
}
