/*
 * plan.c - builds a conversion plan: one entry per output tensor (name,
 * source, shape, sizes), the output metadata, then the target's type policy
 * and layout (files, headers, offsets), all through the target's table
 * entry. Nothing is written here, so --dry-run shares every decision with
 * the real run.
 */
#include "plan.h"
#include "translate.h"

#include <stddef.h>

#include "../dtype/dtype.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <dirent.h>

void tp_plan_free(tp_plan *p) {
  if (!p) return;
  tp_layout_release(&p->L);
  free(p);
}

static tp_status check_requantize(tp_plan *p) {
  size_t i;
  for (i = 0; i < p->L.n; i++) {
    tp_out_tensor *e = &p->L.entries[i];
    if (tp_type_is_quantized(e->src_type) && tp_type_is_quantized(e->dst_type) &&
        e->src_type != e->dst_type &&
        !(p->L.opts.flags & TP_CONVERT_ALLOW_REQUANTIZE)) {
      char q[256];
      tp_quote_for_message(q, sizeof q, e->name, e->name_len);
      return tp_error(TP_EINVAL,
                      "tensor \"%s\" is already quantized (%s); requantizing "
                      "it to %s compounds the quantization error: pass "
                      "--allow-requantize to do it anyway",
                      q, tp_type_name(e->src_type), tp_type_name(e->dst_type));
    }
  }
  return TP_OK;
}

static tp_status fill_sizes(tp_plan *p) {
  size_t i;
  for (i = 0; i < p->L.n; i++) {
    tp_out_tensor *e = &p->L.entries[i];
    if (!tp_type_nbytes(e->dst_type, e->nelements, &e->dst_nbytes)) {
      char q[256], sh[256];
      tp_quote_for_message(q, sizeof q, e->name, e->name_len);
      tp_shape_format(sh, sizeof sh, e->ndim, e->shape);
      return tp_error(TP_EUNSUPPORTED,
                      "tensor \"%s\": shape %s cannot be stored as %s (%llu "
                      "elements, blocks of %u)",
                      q, sh, tp_type_name(e->dst_type),
                      (unsigned long long)e->nelements,
                      tp_type_block_elems(e->dst_type));
    }
    if (tp_type_is_quantized(e->dst_type) && e->ndim > 0 &&
        e->shape[e->ndim - 1] % tp_type_block_elems(e->dst_type)) {
      char q[256], sh[256];
      tp_quote_for_message(q, sizeof q, e->name, e->name_len);
      tp_shape_format(sh, sizeof sh, e->ndim, e->shape);
      return tp_error(TP_EUNSUPPORTED,
                      "tensor \"%s\": row length %llu of shape %s is not a "
                      "multiple of the %s block size %u",
                      q, (unsigned long long)e->shape[e->ndim - 1], sh,
                      tp_type_name(e->dst_type),
                      tp_type_block_elems(e->dst_type));
    }
  }
  return TP_OK;
}

/* The output metadata: a verbatim copy between formats sharing a codec
 * (less what describes the source's files), else source -> neutral typed
 * store -> target. */
static tp_status build_metadata(tp_plan *p) {
  tp_layout *L = &p->L;
  const tp_model *m = L->src;
  const tp_meta_codec *from = tp_model_format_ops(m)->meta;
  const tp_meta_codec *to = L->target->meta;
  tp_metastore neutral;
  tp_status st = TP_OK;
  if (!to) return TP_OK; /* the target keeps no metadata */
  if (from == to) {
    size_t i;
    L->meta_typed = 1;
    for (i = 0; i < m->meta.n; i++) {
      const tp_meta_item *it = &m->meta.items[i];
      if (from->source_only && from->source_only(it->key, it->key_len)) continue;
      st = tp_meta_set(&L->meta, it->key, it->key_len, &it->val, 1);
      if (st != TP_OK) return st;
    }
    return TP_OK;
  }
  tp_meta_init(&neutral);
  if (from) st = from->import(m, L, &neutral); /* else: no metadata */
  if (st == TP_OK) st = to->export(m, &neutral, &L->meta);
  tp_meta_free(&neutral);
  return st;
}

/* Output files must not exist unless --force. A folder output replaces
 * its target whole, so only the target counts (tp_outdir_check_target:
 * absent or an empty folder, or anything with --force); and --force must
 * not remove the folder the input is read from. */
static tp_status check_outputs(tp_plan *p) {
  size_t i;
  unsigned oflags = (p->L.opts.flags & TP_CONVERT_FORCE) ? TP_OUT_FORCE : 0;
  if (p->L.out_is_dir) {
    char in_real[PATH_MAX], out_real[PATH_MAX];
    tp_status st = tp_outdir_check_target(p->L.out_path, oflags);
    if (st != TP_OK) return st;
    if (p->L.src && tp_path_is_dir(p->L.out_path) && !tp_path_is_link(p->L.out_path) &&
        realpath(p->L.out_path, out_real) && realpath(tp_model_path(p->L.src), in_real)) {
      size_t n = strlen(out_real);
      if (!strncmp(in_real, out_real, n) && in_real[n] == '/')
        return tp_error(TP_EINVAL,
                        "%s: the input %s is inside this output folder, which "
                        "the conversion replaces; choose another output",
                        p->L.out_path, tp_model_path(p->L.src));
    }
    return TP_OK;
  }
  if (oflags & TP_OUT_FORCE) return TP_OK;
  for (i = 0; i < p->L.nfiles; i++)
    if (tp_path_exists(p->L.files[i].path))
      return tp_error(TP_EEXISTS, "%s: output exists (use --force to overwrite)",
                      p->L.files[i].path);
  return TP_OK;
}

/* The layout functions are trusted code, but a wrong offset would corrupt
 * output silently, so the plan checks every entry lies inside its file and
 * past that file's header. */
static tp_status check_layout(tp_plan *p) {
  size_t i;
  for (i = 0; i < p->L.n; i++) {
    tp_out_tensor *e = &p->L.entries[i];
    uint64_t end;
    tp_out_file *f;
    if (e->file >= p->L.nfiles)
      return tp_error(TP_EINVAL, "internal: tensor \"%s\" has no output file",
                      e->name);
    f = &p->L.files[e->file];
    if (tp_add_overflow_u64(e->offset, e->dst_nbytes, &end) || end > f->size ||
        e->offset < f->header_len)
      return tp_error(TP_EINVAL,
                      "internal: tensor \"%s\" laid out at [%llu, %llu) "
                      "outside %s (header %zu, size %llu)",
                      e->name, (unsigned long long)e->offset,
                      (unsigned long long)(e->offset + e->dst_nbytes), f->path,
                      f->header_len, (unsigned long long)f->size);
  }
  return TP_OK;
}

/* A plain source for every entry: the source model's tensor. */
static tp_status add_entries(tp_plan *p) {
  tp_layout *L = &p->L;
  const tp_model *src = L->src;
  size_t i;
  tp_status st = tp_grow((void **)&L->entries, &L->cap,
                         src->ntensors ? src->ntensors : 1, sizeof *L->entries);
  for (i = 0; st == TP_OK && i < src->ntensors; i++) {
    const tp_tensor *t = &src->tensors[i];
    tp_out_tensor *e = &L->entries[L->n++];
    tp_source *s;
    memset(e, 0, sizeof *e);
    e->name = t->name;
    e->name_len = t->name_len;
    e->src = i;
    e->src_type = t->type;
    e->dst_type = t->type;
    e->ndim = t->ndim;
    memcpy(e->shape, t->shape, sizeof e->shape);
    e->nelements = t->nelements;
    e->src_nbytes = t->nbytes;
    st = tp_source_tensor(&s, src, i);
    if (st == TP_OK) st = tp_layout_own_source(L, s);
    if (st == TP_OK) e->source = s;
  }
  return st;
}

/* The target's table entry, from --to or the output path. */
static tp_status pick_target(tp_plan *p, const char *out_path) {
  tp_layout *L = &p->L;
  tp_format fmt = L->opts.to != TP_FORMAT_UNKNOWN
                      ? L->opts.to : tp_format_from_output_path(out_path);
  const tp_format_ops *f = tp_format_ops_of(fmt);
  if (fmt == TP_FORMAT_UNKNOWN || !f) {
    char ext[256] = "";
    size_t i, o = 0;
    for (i = 0; i < tp_formats_count() && o < sizeof ext; i++) {
      const tp_format_ops *w = tp_formats_at(i);
      const char *const *x;
      if (!(w->info.caps & TP_FORMAT_CAN_WRITE)) continue;
      for (x = w->info.extensions; x && *x && o < sizeof ext; x++)
        o += (size_t)snprintf(ext + o, sizeof ext - o, "%s%s", o ? " or " : "", *x);
    }
    return tp_error(TP_EINVAL,
                    "%s: cannot tell the output format from the name (use a "
                    "%s extension, a trailing '/' for a folder, or --to "
                    "FORMAT)",
                    out_path, ext);
  }
  if (!f->layout || !(f->info.caps & TP_FORMAT_CAN_WRITE))
    return tp_error(TP_EUNSUPPORTED, "cannot write format %s", f->info.name);
  if (L->opts.ftype >= 0 && !tp_format_has_option(f, "preset")) {
    char who[128];
    tp_formats_with_option("preset", who, sizeof who);
    return tp_error(TP_EINVAL,
                    "file-type presets apply to %s outputs only (output "
                    "format is %s); use an element type instead",
                    who, f->info.name);
  }
  p->format = fmt;
  L->target = f;
  L->out_is_dir = (f->info.caps & TP_FORMAT_IS_FOLDER) != 0;
  return TP_OK;
}

tp_status tp_plan_create(tp_plan **out, const tp_model *src,
                         const char *out_path,
                         const tp_convert_options *opts) {
  tp_convert_options o = TP_CONVERT_OPTIONS_INIT;
  tp_plan *p;
  tp_layout *L;
  tp_status st;
  *out = NULL;
  if (!src || !out_path || !*out_path)
    return tp_error(TP_EINVAL, "tp_plan_create: missing model or output path");
  if (opts) {
    if (opts->version == 1) {
      /* the members up to progress_user */
      memcpy(&o, opts, offsetof(tp_convert_options, tokenizer_pre));
      o.version = TP_CONVERT_OPTIONS_VERSION;
    } else if (opts->version == TP_CONVERT_OPTIONS_VERSION) {
      o = *opts;
    } else {
      return tp_error(TP_EINVAL, "tp_convert_options version %u not supported",
                      opts->version);
    }
  }
  if (o.type >= TP_TYPE_COUNT)
    return tp_error(TP_EINVAL, "invalid output type %d", o.type);
  p = tp_calloc(1, sizeof *p);
  if (!p) return TP_ENOMEM;
  L = &p->L;
  tp_layout_init(L);
  L->src = src;
  L->opts = o;
  L->out_path = tp_strdup(out_path);
  if (!L->out_path) {
    tp_plan_free(p);
    return TP_ENOMEM;
  }
  /* "out/" and "out" name the same folder */
  {
    size_t n = strlen(L->out_path);
    while (n > 1 && L->out_path[n - 1] == '/') L->out_path[--n] = 0;
  }
  st = pick_target(p, out_path);
  if (st == TP_OK) st = add_entries(p);
  if (st == TP_OK) st = tp_translate_needed(L) ? tp_translate(L) : build_metadata(p);
  if (st == TP_OK)
    st = L->target->choose_types ? L->target->choose_types(L)
                                 : tp_choose_default_types(L);
  if (st == TP_OK) st = check_requantize(p);
  if (st == TP_OK) st = fill_sizes(p);
  if (st == TP_OK) st = L->target->layout(L);
  if (st == TP_OK) st = check_layout(p);
  if (st == TP_OK) st = check_outputs(p);
  if (st != TP_OK) {
    tp_plan_free(p);
    return st;
  }
  *out = p;
  return TP_OK;
}

tp_status tp_plan_create_rewrite(tp_plan **out, const tp_model *m,
                                 const char *out_path, const tp_metastore *meta,
                                 const tp_convert_options *opts) {
  tp_plan *p;
  tp_layout *L;
  tp_status st;
  size_t i;
  *out = NULL;
  p = tp_calloc(1, sizeof *p);
  if (!p) return TP_ENOMEM;
  L = &p->L;
  tp_layout_init(L);
  L->src = m;
  L->opts = *opts;
  L->opts.to = m->format;
  L->opts.type = L->opts.ftype = -1;
  if (m->big_endian) L->opts.flags |= TP_CONVERT_BIG_ENDIAN;
  L->target = tp_model_format_ops(m);
  L->keep_meta = L->meta_typed = 1;
  p->format = m->format;
  L->out_path = tp_strdup(out_path);
  st = L->out_path ? TP_OK : TP_ENOMEM;
  if (st == TP_OK) st = add_entries(p);
  if (st == TP_OK) st = tp_meta_copy_all(&L->meta, meta);
  for (i = 0; st == TP_OK && i < L->n; i++) L->entries[i].dst_type = L->entries[i].src_type;
  if (st == TP_OK) st = fill_sizes(p);
  if (st == TP_OK) st = L->target->layout(L);
  if (st == TP_OK) st = check_layout(p);
  if (st == TP_OK) st = check_outputs(p);
  if (st != TP_OK) {
    tp_plan_free(p);
    return st;
  }
  *out = p;
  return TP_OK;
}

size_t tp_plan_tensor_count(const tp_plan *p) { return p->L.n; }
int tp_plan_ftype(const tp_plan *p) { return p->L.opts.ftype; }
tp_format tp_plan_format(const tp_plan *p) { return p->format; }
size_t tp_plan_file_count(const tp_plan *p) { return p->L.nfiles; }
const char *tp_plan_file_path(const tp_plan *p, size_t i) {
  return i < p->L.nfiles ? p->L.files[i].path : NULL;
}
uint64_t tp_plan_file_size(const tp_plan *p, size_t i) {
  return i < p->L.nfiles ? p->L.files[i].size : 0;
}
int tp_plan_file_is_side(const tp_plan *p, size_t i) {
  return i < p->L.nfiles && p->L.files[i].is_aux;
}

tp_status tp_plan_tensor_at(const tp_plan *p, size_t i, tp_plan_tensor *out) {
  const tp_out_tensor *e;
  if (i >= p->L.n)
    return tp_error(TP_EINVAL, "plan entry %zu out of range (%zu)", i, p->L.n);
  e = &p->L.entries[i];
  memset(out, 0, sizeof *out);
  out->name.data = e->name;
  out->name.len = e->name_len;
  out->src_type = e->src_type;
  out->dst_type = e->dst_type;
  out->ndim = e->ndim;
  memcpy(out->shape, e->shape, sizeof out->shape);
  out->src_nbytes = e->src_nbytes;
  out->dst_nbytes = e->dst_nbytes;
  out->out_file = e->file;
  out->out_offset = e->offset;
  out->note = e->note;
  return TP_OK;
}
