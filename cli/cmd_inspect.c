/*
 * cmd_inspect.c - "tensorport inspect PATH": what format a file is in and
 * why, its files, format facts, every metadata entry with its type and
 * every tensor with type, shape, size and offset; as text (gguf-dump style
 * for metadata) or as one JSON document modelled on `gguf-dump --json`.
 *
 * cli_describe_model is shared with "tensorport meta" (which prints the
 * same view without tensors).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Schema of the --json document; bump on incompatible changes only. */
#define INSPECT_SCHEMA_VERSION 1

/* Text mode cuts strings like gguf-dump (60 characters) and arrays to
 * their first 6 elements; -v shows everything. */
#define TEXT_MAX_CHARS 60
#define TEXT_MAX_ELEMS 6

const char cli_help_inspect[] =
    "Usage: tensorport inspect [OPTIONS] PATH\n"
    "\n"
    "Show which format PATH is in and why, its files and sizes, format\n"
    "facts (GGUF: version, byte order, alignment, data offset; SafeTensors:\n"
    "header length, data offset), every metadata entry with its type, and\n"
    "every tensor with its index, type, shape (row-major; GGUF also in its\n"
    "ne order), byte size and offset, then totals. PATH may be\n"
    "{inputs}.\n"
    "\n"
    "Options:\n"
    "      --json         print one JSON document on stdout (schema_version\n"
    "                     1; arrays and strings in full)\n"
    "      --no-tensors   leave out the tensor list\n"
    "  -v, --verbose      print strings and arrays in full in text mode\n"
    "  -q, --quiet        print errors only\n"
    "      --color=WHEN   colour error labels: auto, always, never\n"
    "  -h, --help         show this help and exit\n";

#define INSPECT_USAGE "tensorport inspect [--json] [--no-tensors] PATH"

enum { OPT_JSON = CLI_OPT_FIRST_CMD, OPT_NO_TENSORS };

static const cli_opt inspect_opts[] = {
    {"json", 0, 0, OPT_JSON},
    {"no-tensors", 0, 0, OPT_NO_TENSORS},
};

/* Totals over every tensor. */
static void totals(const tp_model *m, uint64_t *params, uint64_t *bytes) {
  size_t n = tp_model_tensor_count(m);
  *params = *bytes = 0;
  for (size_t i = 0; i < n; i++) {
    tp_tensor_info ti;
    if (tp_model_tensor(m, i, &ti) != TP_OK)
      continue;
    *params += ti.nelements;
    *bytes += ti.nbytes;
  }
}

/* The model's format facts as the table describes them. */
static unsigned format_caps(const tp_model *m) {
  const tp_format_info *fi = tp_format_info_of(tp_model_format(m));
  return fi ? fi->caps : 0;
}

static json_t *fact_json(const tp_value *v) {
  if (v->type == TP_VALUE_STRING) return cli_json_string(v->v.s.data, v->v.s.len);
  if (v->type == TP_VALUE_U32) return json_integer((json_int_t)v->v.u);
  return cli_json_u64(v->v.u);
}

static void fact_text(const tp_value *v) {
  if (v->type == TP_VALUE_STRING) cli_print_name(stdout, v->v.s.data, v->v.s.len);
  else printf("%llu", (unsigned long long)v->v.u);
}

static uint64_t rel_offset(const tp_model *m, const tp_tensor_info *ti) {
  uint64_t base = tp_model_data_offset(m, ti->file_index);
  return ti->file_offset >= base ? ti->file_offset - base : 0;
}

/* ---- JSON ------------------------------------------------------------------- */

static json_t *describe_json(const tp_model *m, const char *path,
                             const char *why, int with_tensors) {
  tp_format fmt = tp_model_format(m);
  int ggml = (format_caps(m) & TP_FORMAT_GGML_LAYOUT) != 0;
  json_t *root = json_object();
  json_object_set_new(root, "schema_version",
                      json_integer(INSPECT_SCHEMA_VERSION));
  json_object_set_new(root, "filename", cli_json_string(path, strlen(path)));
  json_object_set_new(root, "format", json_string(tp_format_name(fmt)));
  if (why)
    json_object_set_new(root, "detected", cli_json_string(why, strlen(why)));
  json_object_set_new(root, "endian",
                      json_string(tp_model_big_endian(m) ? "BIG" : "LITTLE"));

  json_t *files = json_array();
  for (size_t i = 0; i < tp_model_file_count(m); i++) {
    const char *fp = tp_model_file_path(m, i);
    json_t *f = json_object();
    json_object_set_new(f, "path", cli_json_string(fp, strlen(fp)));
    json_object_set_new(f, "size", cli_json_u64(tp_model_file_size(m, i)));
    json_object_set_new(f, "data_offset",
                        cli_json_u64(tp_model_data_offset(m, i)));
    json_array_append_new(files, f);
  }
  json_object_set_new(root, "files", files);

  /* the format's facts with a JSON key, in an object named after it */
  json_t *facts = json_object();
  for (size_t i = 0; i < tp_model_fact_count(m); i++) {
    tp_model_fact f;
    if (tp_model_fact_at(m, i, &f) == TP_OK && f.key)
      json_object_set_new(facts, f.key, fact_json(&f.value));
  }
  if (json_object_size(facts))
    json_object_set_new(root, tp_format_name(fmt), facts);
  else
    json_decref(facts);

  json_t *meta = json_object();
  size_t nmeta = tp_model_meta_count(m);
  for (size_t i = 0; i < nmeta; i++) {
    tp_string key;
    const tp_value *v;
    if (tp_model_meta(m, i, &key, &v) != TP_OK)
      continue;
    json_t *e = json_object();
    json_object_set_new(e, "index", cli_json_u64(i));
    json_object_set_new(e, "type", json_string(tp_value_type_name(v->type)));
    if (v->type == TP_VALUE_ARRAY) {
      json_t *at = json_array();
      json_array_append_new(at, json_string(tp_value_type_name(v->elem_type)));
      json_object_set_new(e, "array_types", at);
      json_object_set_new(e, "count", cli_json_u64(v->count));
    }
    json_object_set_new(e, "value", cli_value_to_json(v));
    /* Keys are validated UTF-8 by the readers; invalid bytes would become
     * U+FFFD here rather than break the document. */
    json_t *k = cli_json_string(key.data, key.len);
    json_object_setn_new_nocheck(meta, json_string_value(k),
                                 json_string_length(k), e);
    json_decref(k);
  }
  json_object_set_new(root, "metadata", meta);

  json_t *tensors = json_object();
  size_t n = tp_model_tensor_count(m);
  for (size_t i = 0; i < n && with_tensors; i++) {
    tp_tensor_info ti;
    if (tp_model_tensor(m, i, &ti) != TP_OK)
      continue;
    json_t *t = json_object();
    json_object_set_new(t, "index", cli_json_u64(i));
    json_object_set_new(t, "type", json_string(tp_type_name(ti.type)));
    json_object_set_new(t, "shape", cli_json_shape(ti.ndim, ti.shape, 0));
    if (ggml)
      json_object_set_new(t, "ne", cli_json_shape(ti.ndim, ti.shape, 1));
    json_object_set_new(t, "nelements", cli_json_u64(ti.nelements));
    json_object_set_new(t, "nbytes", cli_json_u64(ti.nbytes));
    json_object_set_new(t, "file", cli_json_u64(ti.file_index));
    json_object_set_new(t, "offset", cli_json_u64(ti.file_offset));
    uint64_t rel = rel_offset(m, &ti);
    if (ggml) {
      json_object_set_new(t, "data_offset", cli_json_u64(rel));
    } else {
      json_t *d = json_array();
      json_array_append_new(d, cli_json_u64(rel));
      json_array_append_new(d, cli_json_u64(rel + ti.nbytes));
      json_object_set_new(t, "data_offsets", d);
    }
    json_t *k = cli_json_string(ti.name.data, ti.name.len);
    json_object_setn_new_nocheck(tensors, json_string_value(k),
                                 json_string_length(k), t);
    json_decref(k);
  }
  json_object_set_new(root, "tensors", tensors);

  uint64_t params, bytes;
  totals(m, &params, &bytes);
  json_t *tot = json_object();
  json_object_set_new(tot, "tensors", cli_json_u64(n));
  json_object_set_new(tot, "parameters", cli_json_u64(params));
  json_object_set_new(tot, "bytes", cli_json_u64(bytes));
  json_object_set_new(tot, "metadata", cli_json_u64(nmeta));
  json_object_set_new(root, "totals", tot);
  return root;
}

/* ---- text ---------------------------------------------------------------------- */

static void print_metadata_text(const tp_model *m, int full) {
  size_t nmeta = tp_model_meta_count(m);
  int typed = (format_caps(m) & TP_FORMAT_TYPED_META) != 0;
  size_t max_chars = full ? SIZE_MAX : TEXT_MAX_CHARS;
  size_t max_elems = full ? SIZE_MAX : TEXT_MAX_ELEMS;
  if (typed)
    printf("* %zu key/value pair%s\n", nmeta, nmeta == 1 ? "" : "s");
  else
    printf("* %zu metadata entr%s\n", nmeta, nmeta == 1 ? "y" : "ies");
  for (size_t i = 0; i < nmeta; i++) {
    tp_string key;
    const tp_value *v;
    char type[32];
    if (tp_model_meta(m, i, &key, &v) != TP_OK)
      continue;
    cli_fmt_value_type(type, sizeof type, v);
    printf("  %5zu: %-10s | %8llu | ", i, type,
           (unsigned long long)(v->type == TP_VALUE_ARRAY ? v->count : 1));
    cli_print_name(stdout, key.data, key.len);
    fputs(" = ", stdout);
    cli_print_value(stdout, v, max_chars, max_elems);
    fputc('\n', stdout);
  }
}

/* One row of the tensor table. Rows are formatted twice (once to measure
 * column widths, once to print) rather than stored: a model may hold
 * millions of tensors and a stored row is about 800 bytes. */
typedef struct row {
  char idx[24], type[16], shape[CLI_SHAPE_BUF], ne[CLI_SHAPE_BUF],
      elems[24], bytes[24], off[48], file[16];
} row;

enum { COL_IDX, COL_TYPE, COL_SHAPE, COL_NE, COL_ELEMS, COL_BYTES, COL_OFF,
       COL_FILE, NCOLS };

static void row_cols(const row *r, const char *cols[NCOLS]) {
  cols[COL_IDX] = r->idx;
  cols[COL_TYPE] = r->type;
  cols[COL_SHAPE] = r->shape;
  cols[COL_NE] = r->ne;
  cols[COL_ELEMS] = r->elems;
  cols[COL_BYTES] = r->bytes;
  cols[COL_OFF] = r->off;
  cols[COL_FILE] = r->file;
}

static int format_row(const tp_model *m, size_t i, int gguf, row *r,
                      tp_tensor_info *ti) {
  if (tp_model_tensor(m, i, ti) != TP_OK)
    return -1;
  snprintf(r->idx, sizeof r->idx, "%zu", i);
  snprintf(r->type, sizeof r->type, "%s", tp_type_name(ti->type));
  cli_fmt_shape(r->shape, sizeof r->shape, ti->ndim, ti->shape, 0);
  cli_fmt_shape(r->ne, sizeof r->ne, ti->ndim, ti->shape, 1);
  snprintf(r->elems, sizeof r->elems, "%llu",
           (unsigned long long)ti->nelements);
  snprintf(r->bytes, sizeof r->bytes, "%llu", (unsigned long long)ti->nbytes);
  uint64_t rel = rel_offset(m, ti);
  /* GGUF: absolute offset in the file; SafeTensors: its own
   * data_offsets, relative to the data section, as the header states */
  if (gguf)
    snprintf(r->off, sizeof r->off, "%llu",
             (unsigned long long)ti->file_offset);
  else
    snprintf(r->off, sizeof r->off, "[%llu, %llu]", (unsigned long long)rel,
             (unsigned long long)(rel + ti->nbytes));
  snprintf(r->file, sizeof r->file, "%u", ti->file_index);
  return 0;
}

static void print_row(const row *r, const int w[NCOLS], int gguf, int multi) {
  printf("  %*s  %-*s  %-*s", w[COL_IDX], r->idx, w[COL_TYPE], r->type,
         w[COL_SHAPE], r->shape);
  if (gguf)
    printf("  %-*s", w[COL_NE], r->ne);
  printf("  %*s  %*s  %*s", w[COL_ELEMS], r->elems, w[COL_BYTES], r->bytes,
         w[COL_OFF], r->off);
  if (multi)
    printf("  %*s", w[COL_FILE], r->file);
  fputs("  ", stdout);
}

static void print_tensors_text(const tp_model *m) {
  size_t n = tp_model_tensor_count(m);
  int gguf = (format_caps(m) & TP_FORMAT_GGML_LAYOUT) != 0;
  int multi = tp_model_file_count(m) > 1;
  row hdr = {"index", "type", "shape", "ne", "elements", "bytes",
             "offset", "file"}, r;
  const char *cols[NCOLS];
  int w[NCOLS];
  tp_tensor_info ti;
  if (!gguf)
    snprintf(hdr.off, sizeof hdr.off, "data_offsets");
  row_cols(&hdr, cols);
  for (int c = 0; c < NCOLS; c++)
    w[c] = (int)strlen(cols[c]);
  for (size_t i = 0; i < n; i++) {
    if (format_row(m, i, gguf, &r, &ti))
      continue;
    row_cols(&r, cols);
    for (int c = 0; c < NCOLS; c++)
      if ((int)strlen(cols[c]) > w[c])
        w[c] = (int)strlen(cols[c]);
  }
  printf("* %zu tensor%s\n", n, n == 1 ? "" : "s");
  print_row(&hdr, w, gguf, multi);
  fputs("name\n", stdout);
  for (size_t i = 0; i < n; i++) {
    if (format_row(m, i, gguf, &r, &ti))
      continue;
    print_row(&r, w, gguf, multi);
    cli_print_name(stdout, ti.name.data, ti.name.len);
    fputc('\n', stdout);
  }
}

static void describe_text(const tp_model *m, const char *path,
                          const char *why, int with_tensors) {
  tp_format fmt = tp_model_format(m);
  size_t nfiles = tp_model_file_count(m);
  printf("path: %s\n", path);
  printf("format: %s\n", tp_format_name(fmt));
  if (why && *why)
    printf("detected: %s\n", why);
  printf("file%s:\n", nfiles == 1 ? "" : "s");
  for (size_t i = 0; i < nfiles; i++) {
    printf("  %s  %llu bytes", tp_model_file_path(m, i),
           (unsigned long long)tp_model_file_size(m, i));
    /* shards: each has its own header, so its own data offset */
    if (nfiles > 1)
      printf(", data at %llu",
             (unsigned long long)tp_model_data_offset(m, i));
    fputc('\n', stdout);
  }
  for (size_t i = 0; i < tp_model_fact_count(m); i++) {
    tp_model_fact f;
    if (tp_model_fact_at(m, i, &f) != TP_OK) continue;
    printf("%s: ", f.label);
    fact_text(&f.value);
    fputc('\n', stdout);
  }
  print_metadata_text(m, g_cli.verbosity >= 2);
  if (with_tensors)
    print_tensors_text(m);
  uint64_t params, bytes;
  char hp[24], hb[24];
  totals(m, &params, &bytes);
  size_t n = tp_model_tensor_count(m);
  cli_fmt_approx(hp, sizeof hp, params, 0);
  cli_fmt_approx(hb, sizeof hb, bytes, 1);
  printf("total: %zu tensor%s, %llu parameters%s, %llu bytes%s\n", n,
         n == 1 ? "" : "s", (unsigned long long)params, hp,
         (unsigned long long)bytes, hb);
}

int cli_describe_model(const tp_model *m, const char *path, const char *why,
                       int json, int with_tensors) {
  if (json) {
    json_t *doc = describe_json(m, path, why, with_tensors);
    if (!doc) {
      cli_error("out of memory building the JSON document");
      return CLI_EXIT_LIMIT;
    }
    cli_json_print(stdout, doc);
    json_decref(doc);
  } else {
    describe_text(m, path, why, with_tensors);
  }
  return cli_finish_stdout(CLI_EXIT_OK);
}

int cmd_inspect(int argc, char **argv) {
  cli_parser p;
  const char *path = NULL;
  int json = 0, with_tensors = 1;
  cli_parser_init(&p, "inspect", INSPECT_USAGE, inspect_opts,
                  sizeof inspect_opts / sizeof inspect_opts[0], argc, argv);
  int npos = 0;
  for (;;) {
    int id;
    const char *val;
    int r = cli_next_option(&p, &path, 1, &npos, &id, &val);
    if (r == CLI_ARG_END)
      break;
    if (r == CLI_ARG_ERROR)
      return CLI_EXIT_USAGE;
    switch (id) {
    case OPT_JSON:
      json = 1;
      break;
    case OPT_NO_TENSORS:
      with_tensors = 0;
      break;
    default: {
      int rc = cli_default_option(&p, id, val, cli_help_inspect);
      if (rc >= 0)
        return rc;
    }
    }
  }
  if (!path)
    return cli_usage_error("missing PATH");
  cli_signals_install(CLI_SIGNALS_EXIT);

  tp_format fmt;
  char why[512] = "";
  tp_status st = tp_detect(path, &fmt, why, sizeof why);
  if (st != TP_OK)
    return cli_fail(st);
  tp_open_options oo = TP_OPEN_OPTIONS_INIT;
  oo.format = fmt;
  tp_model *m = NULL;
  st = tp_model_open(&m, path, &oo);
  if (st != TP_OK)
    return cli_fail(st);
  int rc = cli_describe_model(m, path, why, json, with_tensors);
  tp_model_free(m);
  return rc;
}
