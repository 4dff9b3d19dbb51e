/*
 * docs.c - the JSON documents attached to a model (docs.h).
 */
#include "docs.h"

#include "../codec/json_in.h"

#include <stdlib.h>

typedef struct tp_doc {
  char *name;
  uint64_t raw_len;
  json_t *json; /* a JSON document, or NULL for a text */
  char *text;   /* a text (tp_model_attach_text), NUL-terminated */
} tp_doc;

struct tp_model_docs {
  tp_doc *items;
  size_t n, cap;
  uint64_t total; /* bytes of all documents read */
};

void tp_model_docs_free(struct tp_model_docs *d) {
  size_t i;
  if (!d) return;
  for (i = 0; i < d->n; i++) {
    free(d->items[i].name);
    json_decref(d->items[i].json);
    free(d->items[i].text);
  }
  free(d->items);
  free(d);
}

static size_t find(const struct tp_model_docs *d, const char *name) {
  size_t i;
  for (i = 0; d && i < d->n; i++)
    if (!strcmp(d->items[i].name, name)) return i;
  return SIZE_MAX;
}

/* Reads path whole for a document called name, within the model's budget. */
static tp_status read_doc(tp_model *m, const char *name, const char *path,
                          const char *kind, char **text, size_t *len) {
  struct tp_model_docs *d = m->docs;
  tp_infile *f = NULL;
  uint64_t size;
  tp_status st;
  if (!name[0] || find(d, name) != SIZE_MAX)
    return tp_error(TP_EINVAL, "internal: document \"%s\" attached twice or "
                    "without a name", name);
  if (!d) {
    d = tp_calloc(1, sizeof *d);
    if (!d) return TP_ENOMEM;
    m->docs = d;
  }
  st = tp_infile_open(&f, path, 0);
  if (st != TP_OK) return st;
  size = tp_infile_size(f);
  if (size > TP_DOC_MAX_BYTES - d->total) {
    st = d->total
             ? tp_error(TP_ELIMIT,
                        "%s: %s: too large (%llu bytes, %llu with the "
                        "model's other documents, vs limit %llu bytes = %llu "
                        "MiB for all of them)",
                        path, kind, (unsigned long long)size,
                        (unsigned long long)(size + d->total),
                        (unsigned long long)TP_DOC_MAX_BYTES,
                        (unsigned long long)(TP_DOC_MAX_BYTES >> 20))
             : tp_error(TP_ELIMIT,
                        "%s: %s: too large (%llu bytes vs limit %llu bytes "
                        "= %llu MiB for all of a model's documents)",
                        path, kind, (unsigned long long)size,
                        (unsigned long long)TP_DOC_MAX_BYTES,
                        (unsigned long long)(TP_DOC_MAX_BYTES >> 20));
    tp_infile_close(f);
    return st;
  }
  st = tp_infile_read_all(f, text, len);
  tp_infile_close(f);
  return st;
}

static tp_status add_doc(tp_model *m, const char *name, uint64_t size,
                         json_t *j, char *text) {
  struct tp_model_docs *d = m->docs;
  tp_status st = tp_grow((void **)&d->items, &d->cap, d->n + 1, sizeof *d->items);
  if (st == TP_OK && !(d->items[d->n].name = tp_strdup(name))) st = TP_ENOMEM;
  if (st != TP_OK) {
    json_decref(j);
    free(text);
    return st;
  }
  d->items[d->n].raw_len = size;
  d->items[d->n].json = j;
  d->items[d->n].text = text;
  d->n++;
  d->total += size;
  return TP_OK;
}

tp_status tp_model_attach_doc(tp_model *m, const char *name, const char *path) {
  char *text = NULL;
  size_t len = 0;
  json_t *j = NULL;
  tp_status st = read_doc(m, name, path, "json", &text, &len);
  if (st != TP_OK) return st;
  st = tp_json_parse_python(text, len, TP_DOC_MAX_DEPTH, &j);
  free(text);
  if (st != TP_OK) return tp_error_prefix("%s: json", path);
  if (!json_is_object(j)) {
    st = tp_error(TP_EFORMAT, "%s: json: the document is %s, expected an object",
                  path, tp_json_kind(j));
    json_decref(j);
    return st;
  }
  return add_doc(m, name, len, j, NULL);
}

tp_status tp_model_attach_text(tp_model *m, const char *name, const char *path) {
  char *text = NULL;
  size_t len = 0;
  tp_status st = read_doc(m, name, path, "text", &text, &len);
  if (st != TP_OK) return st;
  return add_doc(m, name, len, NULL, text);
}

const char *tp_model_text(const tp_model *m, const char *name, size_t *len) {
  size_t i = find(m->docs, name);
  if (i == SIZE_MAX || !m->docs->items[i].text) return NULL;
  if (len) *len = (size_t)m->docs->items[i].raw_len;
  return m->docs->items[i].text;
}

const json_t *tp_model_doc(const tp_model *m, const char *name) {
  size_t i = find(m->docs, name);
  return i == SIZE_MAX ? NULL : m->docs->items[i].json;
}

size_t tp_model_doc_count(const tp_model *m) {
  return m->docs ? m->docs->n : 0;
}

const char *tp_model_doc_at(const tp_model *m, size_t i, uint64_t *raw_len,
                            const json_t **doc) {
  if (i >= tp_model_doc_count(m)) return NULL;
  if (raw_len) *raw_len = m->docs->items[i].raw_len;
  if (doc) *doc = m->docs->items[i].json;
  return m->docs->items[i].name;
}
