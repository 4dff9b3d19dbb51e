/*
 * meta_edit.c - metadata editing (the engine behind `tensorport meta PATH
 * --set KEY=TYPE:VALUE --delete KEY`): parses the edits, applies them to a
 * copy of one file's metadata through its format's editor (the format
 * table's tp_meta_editor: which values a key may take, GGUF keys encoded
 * in SafeTensors, checks), then rewrites the file as a same-type plan that
 * the executor runs: tensor bytes copied unchanged in parallel chunks into
 * a temporary file that replaces the target only when complete.
 */
#include "plan.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* the kinds are the formats' (formats/format.h tp_edit_kind) */
#define EDIT_SET TP_EDIT_SET
#define EDIT_SET_INT TP_EDIT_SET_INT
#define EDIT_SET_FLOAT TP_EDIT_SET_FLOAT
#define EDIT_DELETE TP_EDIT_DELETE

typedef struct edit {
  tp_edit_kind kind;
  char *key;
  size_t key_len;
  tp_value val;   /* EDIT_SET; strings/arrays live in the list's arena */
  int neg;        /* EDIT_SET_INT: value is negative (then in val.v.i) */
  uint64_t mag;   /* EDIT_SET_INT: magnitude */
  double f;       /* EDIT_SET_FLOAT */
  char *spec;     /* the argument as given, for messages */
} edit;

struct tp_meta_edits {
  edit *items;
  size_t n, cap;
  tp_arena arena;
};

tp_status tp_meta_edits_new(tp_meta_edits **out) {
  tp_meta_edits *e = tp_calloc(1, sizeof *e);
  *out = NULL;
  if (!e) return TP_ENOMEM;
  tp_arena_init(&e->arena);
  *out = e;
  return TP_OK;
}

void tp_meta_edits_free(tp_meta_edits *e) {
  if (!e) return;
  free(e->items);
  tp_arena_free(&e->arena);
  free(e);
}

static edit *push(tp_meta_edits *e, const char *key, size_t klen,
                  const char *spec) {
  edit *d;
  if (tp_grow((void **)&e->items, &e->cap, e->n + 1, sizeof *e->items) != TP_OK)
    return NULL;
  d = &e->items[e->n];
  memset(d, 0, sizeof *d);
  d->key = tp_arena_strndup(&e->arena, key, klen);
  d->spec = tp_arena_strndup(&e->arena, spec, strlen(spec));
  if (!d->key || !d->spec) return NULL;
  d->key_len = klen;
  e->n++;
  return d;
}

/* Parses a whole-string integer (decimal or 0x hex, optional sign). */
static bool parse_int(const char *s, int *neg, uint64_t *mag) {
  int base = 10;
  uint64_t v = 0;
  *neg = 0;
  if (*s == '-' || *s == '+') *neg = *s++ == '-';
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) base = 16, s += 2;
  if (!*s) return false;
  for (; *s; s++) {
    int d;
    if (*s >= '0' && *s <= '9') d = *s - '0';
    else if (base == 16 && *s >= 'a' && *s <= 'f') d = *s - 'a' + 10;
    else if (base == 16 && *s >= 'A' && *s <= 'F') d = *s - 'A' + 10;
    else return false;
    if (tp_mul_overflow_u64(v, (uint64_t)base, &v) ||
        tp_add_overflow_u64(v, (uint64_t)d, &v))
      return false;
  }
  *mag = v;
  return true;
}

static bool parse_float(const char *s, double *out) {
  char *end;
  if (!*s) return false;
  errno = 0;
  *out = strtod(s, &end);
  return *end == 0;
}

/* Fits (neg, mag) into integer type t: value in v. */
static bool int_fits(tp_value_type t, int neg, uint64_t mag, tp_value *v) {
  uint64_t umax = 0, smax = 0;
  int is_signed = 0;
  switch (t) {
  case TP_VALUE_U8: umax = 0xFF; break;
  case TP_VALUE_U16: umax = 0xFFFF; break;
  case TP_VALUE_U32: umax = 0xFFFFFFFFu; break;
  case TP_VALUE_U64: umax = UINT64_MAX; break;
  case TP_VALUE_I8: smax = 0x7F, is_signed = 1; break;
  case TP_VALUE_I16: smax = 0x7FFF, is_signed = 1; break;
  case TP_VALUE_I32: smax = 0x7FFFFFFF, is_signed = 1; break;
  case TP_VALUE_I64: smax = (uint64_t)INT64_MAX, is_signed = 1; break;
  default: return false;
  }
  memset(v, 0, sizeof *v);
  v->type = t;
  if (!is_signed) {
    if ((neg && mag) || mag > umax) return false;
    v->v.u = mag;
    return true;
  }
  if (mag > smax + (neg ? 1u : 0u)) return false;
  v->v.i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
  return true;
}

static const struct {
  const char *name;
  int kind; /* -1 int, -2 float, else a tp_value_type */
} g_type_words[] = {
    {"int", -1},
    {"float", -2},
    {"bool", TP_VALUE_BOOL},
    {"str", TP_VALUE_STRING},
    {"string", TP_VALUE_STRING},
    {"u8", TP_VALUE_U8},
    {"i8", TP_VALUE_I8},
    {"u16", TP_VALUE_U16},
    {"i16", TP_VALUE_I16},
    {"u32", TP_VALUE_U32},
    {"i32", TP_VALUE_I32},
    {"u64", TP_VALUE_U64},
    {"i64", TP_VALUE_I64},
    {"f32", TP_VALUE_F32},
    {"f64", TP_VALUE_F64},
};

tp_status tp_meta_edits_set(tp_meta_edits *e, const char *spec) {
  const char *eq, *colon, *val;
  size_t klen, tlen, i;
  int kind = -100;
  edit *d;
  if (!e || !spec) return tp_error(TP_EINVAL, "tp_meta_edits_set: no edit");
  eq = strchr(spec, '=');
  if (!eq || eq == spec)
    return tp_error(TP_EINVAL, "--set '%s': expected KEY=TYPE:VALUE", spec);
  klen = (size_t)(eq - spec);
  colon = strchr(eq + 1, ':');
  if (!colon)
    return tp_error(TP_EINVAL,
                    "--set '%s': expected KEY=TYPE:VALUE (TYPE is int, float, "
                    "bool, str, u8..u64, i8..i64, f32 or f64)",
                    spec);
  tlen = (size_t)(colon - eq - 1);
  val = colon + 1;
  for (i = 0; i < TP_ARRAY_LEN(g_type_words); i++)
    if (strlen(g_type_words[i].name) == tlen &&
        !memcmp(g_type_words[i].name, eq + 1, tlen))
      kind = g_type_words[i].kind;
  if (kind == -100)
    return tp_error(TP_EINVAL,
                    "--set '%s': unknown type '%.*s' (int, float, bool, str, "
                    "u8, i8, u16, i16, u32, i32, u64, i64, f32, f64)",
                    spec, (int)tlen, eq + 1);
  d = push(e, spec, klen, spec);
  if (!d) return TP_ENOMEM;
  if (kind == -1) {
    d->kind = EDIT_SET_INT;
    if (!parse_int(val, &d->neg, &d->mag) || (d->neg && d->mag > (uint64_t)INT64_MAX + 1)) {
      e->n--;
      return tp_error(TP_EINVAL, "--set '%s': '%s' is not a 64-bit integer",
                      spec, val);
    }
  } else if (kind == -2) {
    d->kind = EDIT_SET_FLOAT;
    if (!parse_float(val, &d->f)) {
      e->n--;
      return tp_error(TP_EINVAL, "--set '%s': '%s' is not a number", spec, val);
    }
  } else {
    tp_value_type t = (tp_value_type)kind;
    d->kind = EDIT_SET;
    memset(&d->val, 0, sizeof d->val);
    d->val.type = t;
    if (t == TP_VALUE_STRING) {
      char *s = tp_arena_strndup(&e->arena, val, strlen(val));
      if (!s) return TP_ENOMEM;
      d->val.v.s.data = s;
      d->val.v.s.len = strlen(val);
    } else if (t == TP_VALUE_BOOL) {
      if (strcmp(val, "true") && strcmp(val, "false")) {
        e->n--;
        return tp_error(TP_EINVAL,
                        "--set '%s': boolean must be 'true' or 'false'", spec);
      }
      d->val.v.u = !strcmp(val, "true");
    } else if (t == TP_VALUE_F32 || t == TP_VALUE_F64) {
      double f;
      if (!parse_float(val, &f)) {
        e->n--;
        return tp_error(TP_EINVAL, "--set '%s': '%s' is not a number", spec,
                        val);
      }
      /* F32 values are stored exactly widened */
      d->val.v.f = t == TP_VALUE_F32 ? (double)(float)f : f;
      if (t == TP_VALUE_F32 && isinf((float)f) && !isinf(f)) {
        e->n--;
        return tp_error(TP_EINVAL, "--set '%s': %s overflows FLOAT32", spec,
                        val);
      }
    } else {
      int neg;
      uint64_t mag;
      if (!parse_int(val, &neg, &mag) || !int_fits(t, neg, mag, &d->val)) {
        e->n--;
        return tp_error(TP_EINVAL, "--set '%s': '%s' is not a valid %s value",
                        spec, val, tp_value_type_name(t));
      }
    }
  }
  return TP_OK;
}

tp_status tp_meta_edits_set_value(tp_meta_edits *e, const char *key,
                                  const tp_value *v) {
  edit *d;
  tp_metastore tmp;
  tp_status st;
  if (!e || !key || !v || !*key)
    return tp_error(TP_EINVAL, "tp_meta_edits_set_value: missing key or value");
  d = push(e, key, strlen(key), key);
  if (!d) return TP_ENOMEM;
  d->kind = EDIT_SET;
  /* deep copy through a store, then into the list's arena via a second
   * store that lives as long as the list would be awkward: copy by hand */
  tp_meta_init(&tmp);
  st = tp_meta_set(&tmp, key, strlen(key), v, 0);
  if (st == TP_OK) {
    const tp_value *c = &tmp.items[0].val;
    d->val = *c;
    if (c->type == TP_VALUE_STRING) {
      char *s = tp_arena_strndup(&e->arena, c->v.s.data, c->v.s.len);
      if (!s) st = TP_ENOMEM;
      else d->val.v.s.data = s;
    } else if (c->type == TP_VALUE_ARRAY) {
      size_t esz = c->elem_type == TP_VALUE_STRING
                       ? sizeof(tp_string)
                       : tp_value_type_size(c->elem_type);
      uint8_t *arr = esz ? tp_arena_alloc(&e->arena, (size_t)(c->count ? c->count : 1) * esz) : NULL;
      if (!arr) {
        st = esz ? TP_ENOMEM : tp_error(TP_EINVAL, "invalid array element type");
      } else {
        uint64_t i;
        memcpy(arr, c->v.array, (size_t)c->count * esz);
        if (c->elem_type == TP_VALUE_STRING)
          for (i = 0; i < c->count && st == TP_OK; i++) {
            tp_string *s = (tp_string *)arr + i;
            char *p = tp_arena_strndup(&e->arena, s->data, s->len);
            if (!p) st = TP_ENOMEM;
            else s->data = p;
          }
        d->val.v.array = arr;
      }
    }
  }
  tp_meta_free(&tmp);
  if (st != TP_OK) e->n--;
  return st;
}

tp_status tp_meta_edits_delete(tp_meta_edits *e, const char *key) {
  edit *d;
  if (!e || !key || !*key)
    return tp_error(TP_EINVAL, "--delete: empty key");
  d = push(e, key, strlen(key), key);
  if (!d) return TP_ENOMEM;
  d->kind = EDIT_DELETE;
  return TP_OK;
}

/* ---- applying edits to a metadata store ------------------------------------------------ */

static bool is_int_type(tp_value_type t) {
  return t == TP_VALUE_U8 || t == TP_VALUE_I8 || t == TP_VALUE_U16 ||
         t == TP_VALUE_I16 || t == TP_VALUE_U32 || t == TP_VALUE_I32 ||
         t == TP_VALUE_U64 || t == TP_VALUE_I64;
}

/* The typed value of a set edit against the current store. */
static tp_status resolve(const edit *d, const tp_metastore *ms, tp_value *v) {
  size_t i = tp_meta_find(ms, d->key, d->key_len);
  const tp_value *old = i == SIZE_MAX ? NULL : &ms->items[i].val;
  if (d->kind == EDIT_SET) {
    *v = d->val;
    return TP_OK;
  }
  if (d->kind == EDIT_SET_FLOAT) {
    tp_value_type t = old && old->type == TP_VALUE_F64 ? TP_VALUE_F64 : TP_VALUE_F32;
    memset(v, 0, sizeof *v);
    v->type = t;
    v->v.f = t == TP_VALUE_F32 ? (double)(float)d->f : d->f;
    if (t == TP_VALUE_F32 && isinf((float)d->f) && !isinf(d->f))
      return tp_error(TP_EINVAL, "--set '%s': value overflows FLOAT32", d->spec);
    return TP_OK;
  }
  /* int: the key's own integer type, else what llama-quantize writes */
  if (old && is_int_type(old->type)) {
    if (!int_fits(old->type, d->neg, d->mag, v))
      return tp_error(TP_EINVAL,
                      "--set '%s': value out of range for the key's type %s",
                      d->spec, tp_value_type_name(old->type));
    return TP_OK;
  }
  if (int_fits(d->neg ? TP_VALUE_I32 : TP_VALUE_U32, d->neg, d->mag, v) ||
      int_fits(d->neg ? TP_VALUE_I64 : TP_VALUE_U64, d->neg, d->mag, v))
    return TP_OK;
  return tp_error(TP_EINVAL, "--set '%s': value out of range", d->spec);
}

static tp_status resolve_op(const tp_meta_edit_op *op, const tp_metastore *ctx,
                            tp_value *out) {
  return resolve((const edit *)op->impl, ctx, out);
}

/* Applies the edits in order: the format's editor first (its own rules,
 * such as GGUF keys encoded in SafeTensors), then the generic set (keeping
 * the key's place) or delete; the editor checks the result. */
static tp_status apply_edits(const tp_meta_edits *e, tp_metastore *ms,
                             const tp_meta_editor *ed, unsigned flags,
                             const char *path) {
  size_t i;
  tp_status st;
  for (i = 0; i < e->n; i++) {
    const edit *d = &e->items[i];
    tp_meta_edit_op op;
    int done = 0;
    char q[200];
    op.kind = d->kind;
    op.key = d->key;
    op.key_len = d->key_len;
    op.spec = d->spec;
    op.resolve = resolve_op;
    op.impl = d;
    st = ed->edit ? ed->edit(ms, &op, path, &done) : TP_OK;
    if (st != TP_OK) return st;
    if (done) continue;
    tp_quote_for_message(q, sizeof q, d->key, d->key_len);
    if (d->kind == EDIT_DELETE) {
      if (tp_meta_find(ms, d->key, d->key_len) == SIZE_MAX) {
        if (flags & TP_META_EDIT_IGNORE_MISSING) continue;
        return tp_error(TP_ENOTFOUND, "%s: no metadata key \"%s\" to delete",
                        path, q);
      }
      st = tp_meta_remove(ms, d->key, d->key_len);
    } else {
      tp_value v;
      st = resolve(d, ms, &v);
      if (st == TP_OK) st = tp_meta_set_in_place(ms, d->key, d->key_len, &v);
    }
    if (st != TP_OK) return st;
  }
  return ed->check ? ed->check(ms, path) : TP_OK;
}

/* ---- rewriting: a same-type plan run by the executor ---------------------- */

/* Output flags; in-place when out_path names the input (then the target is
 * replaced whatever --force says). */
static unsigned convert_flags(const char *out_path, tp_infile *f, unsigned flags) {
  struct stat sb;
  unsigned cf = (flags & TP_META_EDIT_NO_SYNC) ? TP_CONVERT_NO_SYNC : 0;
  if (!out_path) return cf | TP_CONVERT_FORCE;
  if (stat(out_path, &sb) == 0) {
    uint64_t dev, ino;
    tp_infile_identity(f, &dev, &ino);
    if ((uint64_t)sb.st_dev == dev && (uint64_t)sb.st_ino == ino)
      cf |= TP_CONVERT_FORCE; /* the same file: an in-place edit */
    else if (flags & TP_META_EDIT_FORCE)
      cf |= TP_CONVERT_FORCE;
  }
  return cf;
}

/* Metadata editing opens one file on its own (one part of a GGUF split set
 * stays one part): the format whose probe wins, through open_infile. */
static tp_status open_one_file(const char *path, tp_model **out,
                               const tp_format_ops **fmt) {
  tp_format f;
  tp_infile *in;
  char known[256] = "";
  size_t i, o = 0;
  tp_status st = tp_detect(path, &f, NULL, 0);
  if (st != TP_OK) return st;
  *fmt = tp_format_ops_of(f);
  if (*fmt && (*fmt)->editor && (*fmt)->open_infile) {
    st = tp_infile_open(&in, path, 0);
    return st == TP_OK ? (*fmt)->open_infile(out, in) : st;
  }
  for (i = 0; i < tp_formats_count() && o < sizeof known; i++)
    if (tp_formats_at(i)->editor)
      o += (size_t)snprintf(known + o, sizeof known - o, "%s%s", o ? " and " : "",
                            tp_formats_at(i)->info.display_name);
  return tp_error(TP_EUNSUPPORTED,
                  "%s: metadata editing supports %s files, not %s", path, known,
                  tp_format_name(f));
}

tp_status tp_meta_edit_file(const char *path, const char *out_path,
                            const tp_meta_edits *e, unsigned flags) {
  return tp_meta_edit_file_progress(path, out_path, e, flags, NULL, NULL);
}

tp_status tp_meta_edit_file_progress(const char *path, const char *out_path,
                                     const tp_meta_edits *e, unsigned flags,
                                     tp_progress_fn progress, void *user) {
  const tp_format_ops *fmt = NULL;
  tp_model *m = NULL;
  tp_metastore ms;
  tp_plan *p = NULL;
  tp_convert_options o = TP_CONVERT_OPTIONS_INIT;
  tp_status st;
  if (!path || !e) return tp_error(TP_EINVAL, "tp_meta_edit_file: missing argument");
  st = open_one_file(path, &m, &fmt);
  if (st != TP_OK) return st;
  tp_meta_init(&ms);
  st = tp_meta_copy_all(&ms, &m->meta);
  if (st == TP_OK) st = apply_edits(e, &ms, fmt->editor, flags, path);
  if (st == TP_OK) {
    o.flags = convert_flags(out_path, m->files[0], flags);
    o.progress = progress;
    o.progress_user = user;
    st = tp_plan_create_rewrite(&p, m, out_path ? out_path : path, &ms, &o);
  }
  if (st == TP_OK) st = tp_plan_execute(p, NULL);
  tp_plan_free(p);
  tp_meta_free(&ms);
  tp_model_free(m);
  return st;
}

const tp_value *tp_meta_edit_current(const tp_model *m, const char *key,
                                     tp_string *stored) {
  const tp_format_ops *f = m && key ? tp_model_format_ops(m) : NULL;
  char buf[600];
  const char *k = f && f->editor && f->editor->stored_key
                      ? f->editor->stored_key(&m->meta, key, buf, sizeof buf)
                      : NULL;
  const tp_value *v;
  size_t i;
  if (!f) return NULL;
  if (!k) k = key;
  i = tp_meta_find(&m->meta, k, strlen(k));
  if (i == SIZE_MAX) return NULL;
  v = &m->meta.items[i].val;
  if (stored) {
    stored->data = m->meta.items[i].key;
    stored->len = m->meta.items[i].key_len;
  }
  return v;
}
