/*
 * plan.c - builds a conversion plan: one entry per output tensor (name,
 * output type and why, shape, sizes), the output metadata, then the target
 * format's layout (files, headers, offsets). Nothing is written here, so
 * --dry-run shares every decision with the real run.
 */
#include "plan.h"
#include "../formats/gguf/policy.h"

#include "../dtype/dtype.h"
#include "../formats/gguf/gguf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <dirent.h>

tp_status tp_plan_add_file(struct tp_plan *p, const char *path,
                           uint32_t *index) {
  tp_plan_file *f;
  tp_status st = tp_grow((void **)&p->files, &p->files_cap, p->nfiles + 1,
                         sizeof *p->files);
  if (st != TP_OK) return st;
  f = &p->files[p->nfiles];
  memset(f, 0, sizeof *f);
  f->path = tp_strdup(path);
  if (!f->path) return TP_ENOMEM;
  if (index) *index = (uint32_t)p->nfiles;
  p->nfiles++;
  return TP_OK;
}

void tp_plan_free(tp_plan *p) {
  size_t i;
  if (!p) return;
  for (i = 0; i < p->nfiles; i++) {
    free(p->files[i].path);
    free(p->files[i].header);
    free(p->files[i].copy_from);
  }
  free(p->files);
  free(p->entries);
  free(p->out_path);
  tp_meta_free(&p->meta);
  tp_arena_free(&p->arena);
  free(p);
}

/* Can the target format store elements of type t? */
static bool target_stores(tp_format f, tp_type t) {
  if (f == TP_FORMAT_GGUF) return tp_type_ggml_id(t) >= 0;
  return tp_type_safetensors_name(t) != NULL;
}

/* Type a tensor gets when the user asked for nothing and the target cannot
 * hold the source type: the narrowest type that holds every value exactly. */
static bool lossless_fallback(tp_format f, tp_type src, tp_type *dst,
                              const char **note) {
  if (f == TP_FORMAT_GGUF) {
    switch (src) {
    case TP_TYPE_BOOL:
    case TP_TYPE_U8:
      *dst = src == TP_TYPE_BOOL ? TP_TYPE_I8 : TP_TYPE_I16;
      *note = "GGUF has no unsigned/bool types: widened losslessly";
      return true;
    case TP_TYPE_U16:
      *dst = TP_TYPE_I32;
      *note = "GGUF has no unsigned types: widened losslessly";
      return true;
    case TP_TYPE_U32:
      *dst = TP_TYPE_I64;
      *note = "GGUF has no unsigned types: widened losslessly";
      return true;
    case TP_TYPE_U64:
      /* no wider type: the executor refuses any value of 2^63 or more */
      *dst = TP_TYPE_I64;
      *note = "GGUF has no unsigned types: stored as I64, values checked below 2^63";
      return true;
    case TP_TYPE_F8_E4M3:
    case TP_TYPE_F8_E5M2:
    case TP_TYPE_F8_E4M3FNUZ:
    case TP_TYPE_F8_E5M2FNUZ:
    case TP_TYPE_F8_E8M0:
    case TP_TYPE_F4:
    case TP_TYPE_F6_E2M3:
    case TP_TYPE_F6_E3M2:
      *dst = TP_TYPE_F32;
      *note = "GGUF cannot store this float type: widened to F32";
      return true;
    default:
      return false;
    }
  }
  if (tp_type_is_quantized(src)) {
    *dst = TP_TYPE_F32;
    *note = "dequantized (SafeTensors has no block types)";
    return true;
  }
  return false;
}

static tp_status choose_default_types(tp_plan *p) {
  size_t i;
  for (i = 0; i < p->n; i++) {
    tp_plan_entry *e = &p->entries[i];
    tp_type want = e->src_type;
    const char *note = NULL;
    int requested = p->opts.type >= 0;
    if (requested) {
      tp_type req = (tp_type)p->opts.type;
      const tp_type_traits *tr = tp_type_traits_of(e->src_type);
      if (tr->kind == TP_KIND_FLOAT || tr->kind == TP_KIND_QUANT) {
        want = req;
      } else {
        note = "integer/bool tensor keeps its type";
      }
    }
    if (!target_stores(p->format, want)) {
      tp_type fb;
      /* the fallback applies to types the user did not ask for: sources
         kept as they are (integers, bools) or no --type at all */
      if ((!requested || want == e->src_type) &&
          lossless_fallback(p->format, want, &fb, &note)) {
        want = fb;
      } else {
        char q[256];
        tp_quote_for_message(q, sizeof q, e->name, e->name_len);
        return tp_error(TP_EUNSUPPORTED,
                        "tensor \"%s\": %s cannot store type %s", q,
                        tp_format_name(p->format), tp_type_name(want));
      }
    }
    e->dst_type = want;
    e->note = note;
  }
  return TP_OK;
}

static tp_status check_requantize(tp_plan *p) {
  size_t i;
  for (i = 0; i < p->n; i++) {
    tp_plan_entry *e = &p->entries[i];
    if (tp_type_is_quantized(e->src_type) && tp_type_is_quantized(e->dst_type) &&
        e->src_type != e->dst_type &&
        !(p->opts.flags & TP_CONVERT_ALLOW_REQUANTIZE)) {
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
  for (i = 0; i < p->n; i++) {
    tp_plan_entry *e = &p->entries[i];
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

static tp_status build_metadata(tp_plan *p) {
  const tp_model *m = p->src;
  bool src_gguf = m->format == TP_FORMAT_GGUF;
  bool dst_gguf = p->format == TP_FORMAT_GGUF;
  if (src_gguf == dst_gguf) {
    size_t i;
    for (i = 0; i < m->meta.n; i++) {
      const tp_meta_item *it = &m->meta.items[i];
      tp_status st;
      /* split bookkeeping describes the input's files, not the output's */
      if (src_gguf && it->key_len > 6 && !memcmp(it->key, "split.", 6))
        continue;
      st = tp_meta_set(&p->meta, it->key, it->key_len, &it->val, 1);
      if (st != TP_OK) return st;
    }
    return TP_OK;
  }
  if (src_gguf) {
    tp_status st = tp_gguf_meta_to_safetensors(&m->meta, &p->meta);
    if (st == TP_OK)
      st = tp_gguf_tensor_order_to_safetensors(m->tensors, m->ntensors, &p->meta);
    return st;
  }
  {
    tp_status st = tp_gguf_meta_from_safetensors(&m->meta, &p->meta);
    if (st == TP_OK) st = tp_gguf_restore_tensor_order(p);
    return st;
  }
}

/* Output files must not exist unless --force. A folder output replaces
 * its target whole, so only the target counts (tp_outdir_check_target:
 * absent or an empty folder, or anything with --force); and --force must
 * not remove the folder the input is read from. */
static tp_status check_outputs(tp_plan *p) {
  size_t i;
  unsigned oflags = (p->opts.flags & TP_CONVERT_FORCE) ? TP_OUT_FORCE : 0;
  if (p->out_is_dir) {
    char in_real[PATH_MAX], out_real[PATH_MAX];
    tp_status st = tp_outdir_check_target(p->out_path, oflags);
    if (st != TP_OK) return st;
    if (p->src && tp_path_is_dir(p->out_path) && !tp_path_is_link(p->out_path) &&
        realpath(p->out_path, out_real) && realpath(tp_model_path(p->src), in_real)) {
      size_t n = strlen(out_real);
      if (!strncmp(in_real, out_real, n) && in_real[n] == '/')
        return tp_error(TP_EINVAL,
                        "%s: the input %s is inside this output folder, which "
                        "the conversion replaces; choose another output",
                        p->out_path, tp_model_path(p->src));
    }
    return TP_OK;
  }
  if (oflags & TP_OUT_FORCE) return TP_OK;
  for (i = 0; i < p->nfiles; i++)
    if (tp_path_exists(p->files[i].path))
      return tp_error(TP_EEXISTS, "%s: output exists (use --force to overwrite)",
                      p->files[i].path);
  return TP_OK;
}

/* The layout functions are trusted code, but a wrong offset would corrupt
 * output silently, so the plan checks every entry lies inside its file and
 * past that file's header. */
static tp_status check_layout(tp_plan *p) {
  size_t i;
  for (i = 0; i < p->n; i++) {
    tp_plan_entry *e = &p->entries[i];
    uint64_t end;
    tp_plan_file *f;
    if (e->file >= p->nfiles)
      return tp_error(TP_EINVAL, "internal: tensor \"%s\" has no output file",
                      e->name);
    f = &p->files[e->file];
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

tp_status tp_plan_create(tp_plan **out, const tp_model *src,
                         const char *out_path,
                         const tp_convert_options *opts) {
  tp_convert_options o = TP_CONVERT_OPTIONS_INIT;
  tp_plan *p;
  tp_status st;
  size_t i;
  *out = NULL;
  if (!src || !out_path || !*out_path)
    return tp_error(TP_EINVAL, "tp_plan_create: missing model or output path");
  if (opts) {
    if (opts->version != TP_CONVERT_OPTIONS_VERSION)
      return tp_error(TP_EINVAL, "tp_convert_options version %u not supported",
                      opts->version);
    o = *opts;
  }
  if (o.type >= TP_TYPE_COUNT)
    return tp_error(TP_EINVAL, "invalid output type %d", o.type);
  p = tp_calloc(1, sizeof *p);
  if (!p) return TP_ENOMEM;
  tp_meta_init(&p->meta);
  tp_arena_init(&p->arena);
  p->src = src;
  p->opts = o;
  p->out_path = tp_strdup(out_path);
  if (!p->out_path) {
    tp_plan_free(p);
    return TP_ENOMEM;
  }
  /* "out/" and "out" name the same folder */
  {
    size_t n = strlen(p->out_path);
    while (n > 1 && p->out_path[n - 1] == '/') p->out_path[--n] = 0;
  }
  p->format = o.to != TP_FORMAT_UNKNOWN ? o.to : tp_format_from_output_path(out_path);
  if (p->format == TP_FORMAT_UNKNOWN) {
    tp_plan_free(p);
    return tp_error(TP_EINVAL,
                    "%s: cannot tell the output format from the name (use a "
                    ".safetensors or .gguf extension, a trailing '/' for a "
                    "folder, or --to FORMAT)",
                    out_path);
  }
  if (p->format == TP_FORMAT_HF) p->out_is_dir = 1;
  if (o.ftype >= 0 && p->format != TP_FORMAT_GGUF) {
    tp_format f = p->format;
    tp_plan_free(p);
    return tp_error(TP_EINVAL,
                    "file-type presets apply to GGUF outputs only (output "
                    "format is %s); use an element type instead",
                    tp_format_name(f));
  }

  st = tp_grow((void **)&p->entries, &p->cap, src->ntensors ? src->ntensors : 1,
               sizeof *p->entries);
  for (i = 0; st == TP_OK && i < src->ntensors; i++) {
    const tp_tensor *t = &src->tensors[i];
    tp_plan_entry *e = &p->entries[p->n++];
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
  }
  if (st == TP_OK) st = build_metadata(p);
  if (st == TP_OK) {
    if (p->format == TP_FORMAT_GGUF)
      st = tp_gguf_choose_types(p);
    else
      st = choose_default_types(p);
  }
  if (st == TP_OK) st = check_requantize(p);
  if (st == TP_OK) st = fill_sizes(p);
  if (st == TP_OK) {
    switch (p->format) {
    case TP_FORMAT_SAFETENSORS: st = tp_safetensors_layout(p); break;
    case TP_FORMAT_HF: st = tp_hf_layout(p); break;
    case TP_FORMAT_GGUF: st = tp_gguf_layout(p); break;
    default:
      st = tp_error(TP_EUNSUPPORTED, "cannot write format %s",
                    tp_format_name(p->format));
    }
  }
  if (st == TP_OK) st = check_layout(p);
  if (st == TP_OK) st = check_outputs(p);
  if (st != TP_OK) {
    tp_plan_free(p);
    return st;
  }
  *out = p;
  return TP_OK;
}

tp_status tp_plan_choose_default_types(tp_plan *p) {
  return choose_default_types(p);
}

size_t tp_plan_tensor_count(const tp_plan *p) { return p->n; }
tp_format tp_plan_format(const tp_plan *p) { return p->format; }
size_t tp_plan_file_count(const tp_plan *p) { return p->nfiles; }
const char *tp_plan_file_path(const tp_plan *p, size_t i) {
  return i < p->nfiles ? p->files[i].path : NULL;
}
uint64_t tp_plan_file_size(const tp_plan *p, size_t i) {
  return i < p->nfiles ? p->files[i].size : 0;
}
int tp_plan_file_is_side(const tp_plan *p, size_t i) {
  return i < p->nfiles && p->files[i].is_aux;
}

tp_status tp_plan_tensor_at(const tp_plan *p, size_t i, tp_plan_tensor *out) {
  const tp_plan_entry *e;
  if (i >= p->n)
    return tp_error(TP_EINVAL, "plan entry %zu out of range (%zu)", i, p->n);
  e = &p->entries[i];
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
