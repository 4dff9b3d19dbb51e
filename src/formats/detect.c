/*
 * detect.c - format detection and the tp_model_open dispatcher.
 *
 * Content decides: every probe looks at the first bytes (magic, header
 * shape) or the folder layout and reports a confidence; the file extension
 * only breaks ties between equally confident probes.
 */
#include "formats.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>

#define TP_PROBE_BYTES 4096

static const struct {
  tp_format fmt;
  const char *name;
} g_format_names[] = {
    {TP_FORMAT_SAFETENSORS, "safetensors"},
    {TP_FORMAT_HF, "hf"},
    {TP_FORMAT_GGUF, "gguf"},
};

const char *tp_format_name(tp_format f) {
  size_t i;
  for (i = 0; i < TP_ARRAY_LEN(g_format_names); i++)
    if (g_format_names[i].fmt == f) return g_format_names[i].name;
  return "unknown";
}

tp_status tp_format_from_name(const char *name, tp_format *out) {
  size_t i;
  if (!name) return tp_error(TP_EINVAL, "no format name");
  for (i = 0; i < TP_ARRAY_LEN(g_format_names); i++)
    if (!strcasecmp(g_format_names[i].name, name)) {
      *out = g_format_names[i].fmt;
      return TP_OK;
    }
  if (!strcasecmp(name, "st")) {
    *out = TP_FORMAT_SAFETENSORS;
    return TP_OK;
  }
  if (!strcasecmp(name, "safetensors-dir") || !strcasecmp(name, "huggingface") ||
      !strcasecmp(name, "hf-folder")) {
    *out = TP_FORMAT_HF;
    return TP_OK;
  }
  return tp_error(TP_ENOTFOUND,
                  "unknown format '%s' (known: safetensors, hf, gguf)", name);
}

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcasecmp(s + n - m, suffix);
}

tp_format tp_format_from_output_path(const char *path) {
  size_t n = strlen(path);
  if (has_suffix(path, ".safetensors")) return TP_FORMAT_SAFETENSORS;
  if (has_suffix(path, ".gguf")) return TP_FORMAT_GGUF;
  if (n && path[n - 1] == '/') return TP_FORMAT_HF;
  if (tp_path_is_dir(path)) return TP_FORMAT_HF;
  return TP_FORMAT_UNKNOWN;
}

static tp_format format_from_extension(const char *path) {
  if (has_suffix(path, ".safetensors")) return TP_FORMAT_SAFETENSORS;
  if (has_suffix(path, ".gguf")) return TP_FORMAT_GGUF;
  return TP_FORMAT_UNKNOWN;
}

tp_status tp_detect(const char *path, tp_format *out, char *why,
                    size_t why_len) {
  struct stat st;
  tp_infile *f;
  uint8_t head[TP_PROBE_BYTES];
  size_t n;
  tp_status s;
  char why_st[256] = "", why_gg[256] = "";
  int c_st, c_gg;
  tp_format ext;
  if (why && why_len) why[0] = 0;
  if (stat(path, &st) != 0) {
    if (lstat(path, &st) == 0)
      return tp_error(TP_ENOTFOUND, "%s: dangling symbolic link", path);
    return tp_error(TP_ENOTFOUND, "%s: no such file or directory", path);
  }
  if (S_ISDIR(st.st_mode)) {
    char w[512] = "";
    if (tp_hf_probe_dir(path, w, sizeof w) > 0) {
      *out = TP_FORMAT_HF;
      if (why) snprintf(why, why_len, "%s", w);
      return TP_OK;
    }
    return tp_error(TP_EUNSUPPORTED,
                    "%s: folder holds no model this tool reads (%s)", path,
                    w[0] ? w : "no model.safetensors, index or shards");
  }
  s = tp_infile_open(&f, path, 0);
  if (s != TP_OK) return s;
  n = (size_t)TP_MIN((uint64_t)sizeof head, tp_infile_size(f));
  s = tp_infile_read(f, 0, head, n);
  if (s != TP_OK) {
    tp_infile_close(f);
    return s;
  }
  if (tp_infile_size(f) == 0) {
    tp_infile_close(f);
    return tp_error(TP_EFORMAT, "%s: empty file (0 bytes)", path);
  }
  c_gg = tp_gguf_probe(path, head, n, tp_infile_size(f), why_gg, sizeof why_gg);
  c_st = tp_safetensors_probe(path, head, n, tp_infile_size(f), why_st,
                              sizeof why_st);
  tp_infile_close(f);
  ext = format_from_extension(path);
  if (c_gg > c_st || (c_gg == c_st && c_gg > 0 && ext == TP_FORMAT_GGUF)) {
    *out = TP_FORMAT_GGUF;
    if (why) snprintf(why, why_len, "%s", why_gg);
    return TP_OK;
  }
  if (c_st > 0) {
    *out = TP_FORMAT_SAFETENSORS;
    if (why) snprintf(why, why_len, "%s", why_st);
    return TP_OK;
  }
  if (st.st_size < 8)
    return tp_error(TP_EFORMAT, "%s: file too small (%lld bytes) to be a model",
                    path, (long long)st.st_size);
  return tp_error(TP_EUNSUPPORTED,
                  "%s: unrecognised format (not GGUF: %s; not SafeTensors: %s)",
                  path, why_gg[0] ? why_gg : "no GGUF magic",
                  why_st[0] ? why_st : "no SafeTensors header");
}

tp_status tp_model_open(tp_model **out, const char *path,
                        const tp_open_options *opts) {
  tp_open_options o = TP_OPEN_OPTIONS_INIT;
  tp_format fmt;
  tp_status s;
  *out = NULL;
  if (!path) return tp_error(TP_EINVAL, "no input path");
  if (opts) {
    if (opts->version != TP_OPEN_OPTIONS_VERSION)
      return tp_error(TP_EINVAL, "tp_open_options version %u not supported",
                      opts->version);
    o = *opts;
  }
  fmt = o.format;
  if (fmt == TP_FORMAT_UNKNOWN) {
    s = tp_detect(path, &fmt, NULL, 0);
    if (s != TP_OK) return s;
  }
  switch (fmt) {
  case TP_FORMAT_SAFETENSORS:
    if (tp_path_is_dir(path)) return tp_hf_open(out, path, &o);
    return tp_safetensors_open(out, path, &o);
  case TP_FORMAT_HF:
    if (!tp_path_is_dir(path)) return tp_safetensors_open(out, path, &o);
    return tp_hf_open(out, path, &o);
  case TP_FORMAT_GGUF:
    return tp_gguf_open(out, path, &o);
  default:
    return tp_error(TP_EUNSUPPORTED, "%s: format %d cannot be read", path,
                    (int)fmt);
  }
}
