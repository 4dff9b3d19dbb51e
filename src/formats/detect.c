/*
 * detect.c - format names, detection and the tp_model_open dispatcher,
 * all driven by the registry: every probe looks at the first bytes (magic,
 * header shape) or the folder layout and reports a confidence; the highest
 * wins and the file extension only breaks ties between equally confident
 * probes (then the registry order).
 */
#include "format.h"

#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>

#define TP_PROBE_BYTES 4096

const char *tp_format_name(tp_format f) {
  const tp_format_ops *o = tp_format_ops_of(f);
  return o ? o->info.name : "unknown";
}

tp_status tp_format_from_name(const char *name, tp_format *out) {
  size_t i;
  char known[256];
  if (!name) return tp_error(TP_EINVAL, "no format name");
  for (i = 0; i < tp_formats_count(); i++) {
    const tp_format_ops *f = tp_formats_at(i);
    const char *const *a;
    if (!strcasecmp(f->info.name, name)) {
      *out = f->info.id;
      return TP_OK;
    }
    for (a = f->info.aliases; a && *a; a++)
      if (!strcasecmp(*a, name)) {
        *out = f->info.id;
        return TP_OK;
      }
  }
  tp_format_names_list(0, known, sizeof known);
  return tp_error(TP_ENOTFOUND, "unknown format '%s' (known: %s)", name, known);
}

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcasecmp(s + n - m, suffix);
}

static bool has_extension_of(const tp_format_ops *f, const char *path) {
  const char *const *e;
  for (e = f->info.extensions; e && *e; e++)
    if (has_suffix(path, *e)) return true;
  return false;
}

tp_format tp_format_from_output_path(const char *path) {
  size_t i, n = strlen(path);
  bool folder = (n && path[n - 1] == '/') || tp_path_is_dir(path);
  for (i = 0; i < tp_formats_count(); i++) {
    const tp_format_ops *f = tp_formats_at(i);
    if (!(f->info.caps & TP_FORMAT_CAN_WRITE)) continue;
    if (folder ? f->default_folder : has_extension_of(f, path)) return f->info.id;
  }
  return TP_FORMAT_UNKNOWN;
}

/* Runs every probe on in; returns the winner (NULL when none is confident
 * at all) and leaves each probe's reason in whys[i]. */
static const tp_format_ops *best_probe(const tp_probe_input *in,
                                       char (*whys)[256]) {
  const tp_format_ops *best = NULL;
  int best_c = 0;
  bool best_ext = false;
  size_t i;
  for (i = 0; i < tp_formats_count(); i++) {
    const tp_format_ops *f = tp_formats_at(i);
    int c;
    bool ext;
    whys[i][0] = 0;
    if (!f->probe || !(f->info.caps & TP_FORMAT_CAN_READ)) continue;
    c = f->probe(in, whys[i], sizeof whys[i]);
    ext = !in->is_dir && has_extension_of(f, in->path);
    if (c > best_c || (c == best_c && c > 0 && ext && !best_ext)) {
      best = f;
      best_c = c;
      best_ext = ext;
    }
  }
  return best;
}

/* "not GGUF: ...; not SafeTensors: ..." over the probes of one path kind. */
static void list_reasons(char *buf, size_t len, char (*whys)[256], bool dirs) {
  size_t i, o = 0;
  buf[0] = 0;
  for (i = 0; i < tp_formats_count() && o < len; i++) {
    const tp_format_ops *f = tp_formats_at(i);
    if (!f->probe || !(f->info.caps & TP_FORMAT_CAN_READ) ||
        !(f->info.caps & TP_FORMAT_IS_FOLDER) != !dirs)
      continue;
    o += (size_t)snprintf(buf + o, len - o, "%s%s%s%s", o ? "; " : "",
                          dirs ? "" : "not ", dirs ? "" : f->info.display_name,
                          dirs ? whys[i] : "");
    if (!dirs && o < len)
      o += (size_t)snprintf(buf + o, len - o, ": %s",
                            whys[i][0] ? whys[i] : "no match");
  }
}

tp_status tp_detect(const char *path, tp_format *out, char *why,
                    size_t why_len) {
  struct stat st;
  tp_probe_input in;
  uint8_t head[TP_PROBE_BYTES];
  char (*whys)[256];
  char reasons[1024];
  const tp_format_ops *best;
  tp_status s = TP_OK;
  if (why && why_len) why[0] = 0;
  if (stat(path, &st) != 0) {
    if (lstat(path, &st) == 0)
      return tp_error(TP_ENOTFOUND, "%s: dangling symbolic link", path);
    return tp_error(TP_ENOTFOUND, "%s: no such file or directory", path);
  }
  memset(&in, 0, sizeof in);
  in.path = path;
  in.is_dir = S_ISDIR(st.st_mode);
  if (!in.is_dir) {
    tp_infile *f;
    s = tp_infile_open(&f, path, 0);
    if (s != TP_OK) return s;
    in.size = tp_infile_size(f);
    in.head_len = (size_t)TP_MIN((uint64_t)sizeof head, in.size);
    s = tp_infile_read(f, 0, head, in.head_len);
    tp_infile_close(f);
    if (s != TP_OK) return s;
    if (in.size == 0) return tp_error(TP_EFORMAT, "%s: empty file (0 bytes)", path);
    in.head = head;
  }
  whys = tp_calloc(tp_formats_count(), sizeof *whys);
  if (!whys) return TP_ENOMEM;
  best = best_probe(&in, whys);
  if (best) {
    size_t i;
    *out = best->info.id;
    for (i = 0; i < tp_formats_count(); i++)
      if (tp_formats_at(i) == best && why) snprintf(why, why_len, "%s", whys[i]);
  } else if (in.is_dir) {
    list_reasons(reasons, sizeof reasons, whys, true);
    s = tp_error(TP_EUNSUPPORTED, "%s: folder holds no model this tool reads (%s)",
                 path, reasons);
  } else if (in.size < 8) {
    s = tp_error(TP_EFORMAT, "%s: file too small (%llu bytes) to be a model",
                 path, (unsigned long long)in.size);
  } else {
    list_reasons(reasons, sizeof reasons, whys, false);
    s = tp_error(TP_EUNSUPPORTED, "%s: unrecognised format (%s)", path, reasons);
  }
  free(whys);
  return s;
}

tp_status tp_model_open(tp_model **out, const char *path,
                        const tp_open_options *opts) {
  tp_open_options o = TP_OPEN_OPTIONS_INIT;
  tp_format fmt;
  const tp_format_ops *f;
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
  f = tp_format_ops_of(fmt);
  /* a folder named with a file format (or the reverse) means its
   * counterpart: --from safetensors on an HF folder */
  if (f && !(f->info.caps & TP_FORMAT_IS_FOLDER) != !tp_path_is_dir(path) &&
      f->other_kind != TP_FORMAT_UNKNOWN)
    f = tp_format_ops_of(f->other_kind);
  if (!f || !f->open || !(f->info.caps & TP_FORMAT_CAN_READ))
    return tp_error(TP_EUNSUPPORTED, "%s: format %s cannot be read", path,
                    tp_format_name(fmt));
  return f->open(out, path, &o);
}

/* ---- format facts ---------------------------------------------------------- */

static bool fact_applies(const tp_fact_def *d, const tp_model *m) {
  return !d->applies || d->applies(m);
}

size_t tp_model_fact_count(const tp_model *m) {
  const tp_format_ops *f = m ? tp_model_format_ops(m) : NULL;
  size_t i, n = 0;
  for (i = 0; f && i < f->nfacts; i++) n += fact_applies(&f->facts[i], m);
  return n;
}

tp_status tp_model_fact_at(const tp_model *m, size_t i, tp_model_fact *out) {
  const tp_format_ops *f = m ? tp_model_format_ops(m) : NULL;
  size_t k;
  for (k = 0; f && k < f->nfacts; k++) {
    const tp_fact_def *d = &f->facts[k];
    if (!fact_applies(d, m)) continue;
    if (i-- == 0) {
      out->key = d->key;
      out->label = d->label;
      out->value = d->value(m);
      return TP_OK;
    }
  }
  return tp_error(TP_EINVAL, "format fact out of range");
}
