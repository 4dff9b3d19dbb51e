/*
 * format.c - GGUF's row in the format table: names, probe, reader and
 * writer entry points, the types GGUF stores, its metadata codec (GGUF
 * keys are the neutral store itself), the llama-quantize type policy and
 * the facts inspect shows.
 */
#include "gguf.h"
#include "policy.h"

#include "../../dtype/dtype.h"

#include <stdio.h>

static int probe(const tp_probe_input *in, char *why, size_t why_len) {
  if (in->is_dir) {
    if (why && why_len) snprintf(why, why_len, "a folder");
    return 0;
  }
  int c;
  if (why && why_len) why[0] = 0;
  c = tp_gguf_probe(in->path, in->head, in->head_len, in->size, why, why_len);
  if (!c && why && why_len && !why[0]) snprintf(why, why_len, "no GGUF magic");
  return c;
}

static bool stores(tp_type t) { return tp_type_ggml_id(t) >= 0; }

static bool lossless_fallback(tp_type src, tp_type *dst, const char **note) {
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

/* ---- metadata: GGUF KVs are the neutral store ------------------------------ */

static bool is_split_key(const char *k, size_t n) {
  return n > 6 && !memcmp(k, "split.", 6);
}

static tp_status meta_import(const tp_model *src, tp_layout *L,
                             tp_metastore *neutral) {
  size_t i;
  L->meta_typed = 1;
  for (i = 0; i < src->meta.n; i++) {
    const tp_meta_item *it = &src->meta.items[i];
    tp_status st;
    if (is_split_key(it->key, it->key_len)) continue;
    st = tp_meta_set(neutral, it->key, it->key_len, &it->val, 1);
    if (st != TP_OK) return st;
  }
  return TP_OK;
}

static tp_status meta_export(const tp_model *src, const tp_metastore *neutral,
                             tp_metastore *out) {
  (void)src;
  return tp_meta_copy_all(out, neutral);
}

static const tp_meta_codec k_codec = {"gguf", meta_import, meta_export,
                                      is_split_key};

/* ---- inspect ---------------------------------------------------------------- */

static tp_value u64_value(uint64_t u, tp_value_type t) {
  tp_value v;
  memset(&v, 0, sizeof v);
  v.type = t;
  v.v.u = u;
  return v;
}

static tp_value fact_version(const tp_model *m) {
  return u64_value(m->gguf_version, TP_VALUE_U32);
}
static tp_value fact_endian(const tp_model *m) {
  tp_value v;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_STRING;
  v.v.s.data = m->big_endian ? "big" : "little";
  v.v.s.len = strlen(v.v.s.data);
  return v;
}
static tp_value fact_alignment(const tp_model *m) {
  return u64_value(m->alignment, TP_VALUE_U64);
}
static tp_value fact_data_offset(const tp_model *m) {
  return u64_value(m->nfiles ? m->data_offsets[0] : 0, TP_VALUE_U64);
}

static const tp_fact_def k_facts[] = {
    {"version", "gguf version", fact_version, NULL},
    {NULL, "endian", fact_endian, NULL}, /* JSON: the top-level "endian" */
    {"alignment", "alignment", fact_alignment, NULL},
    {"data_offset", "data offset", fact_data_offset, NULL},
};

/* ---- metadata editing ---------------------------------------------------------- */

static tp_status gguf_edit(tp_metastore *ms, const tp_meta_edit_op *op,
                           const char *path, int *done) {
  (void)ms;
  *done = 0;
  if (!strcmp(op->key, TP_GGUF_KEY_SPLIT_NO) ||
      !strcmp(op->key, TP_GGUF_KEY_SPLIT_COUNT) ||
      !strcmp(op->key, TP_GGUF_KEY_SPLIT_TENSORS)) {
    char q[200];
    tp_quote_for_message(q, sizeof q, op->key, op->key_len);
    return tp_error(TP_EINVAL, "%s: key \"%s\": split bookkeeping cannot be edited",
                    path, q);
  }
  return TP_OK;
}

static tp_status gguf_edit_check(const tp_metastore *ms, const char *path) {
  uint64_t alignment;
  tp_status st = tp_gguf_meta_alignment(ms, &alignment);
  if (st == TP_OK) st = tp_gguf_check_meta(ms, TP_EINVAL);
  if (st != TP_OK) st = tp_error_prefix("%s: gguf: edited metadata", path);
  return st;
}

static const tp_meta_editor k_editor = {gguf_edit, gguf_edit_check, NULL};

static const char *const k_ext[] = {".gguf", NULL};
static const char *const k_options[] = {
    "preset",      "big-endian", "no-tensor-first-split", "output-tensor-type",
    "token-embedding-type", "tensor-type", "leave-output-tensor", "pure",
    "keep-names", "tokenizer-pre", "vocab-only", "model-name", NULL};

const tp_format_ops tp_format_gguf = {
    .info = {TP_FORMAT_GGUF, "gguf", "GGUF",
         "llama.cpp's model file (v1-v3, either byte order, split sets)", NULL,
         k_ext,
         TP_FORMAT_CAN_READ | TP_FORMAT_CAN_WRITE | TP_FORMAT_TYPED_META |
             TP_FORMAT_GGML_LAYOUT,
         k_options},
    .version = TP_FORMAT_OPS_VERSION,
    .probe = probe,
    .open = tp_gguf_open,
    .open_infile = tp_gguf_open_infile,
    .stores = stores,
    .lossless_fallback = lossless_fallback,
    .meta = &k_codec,
    .choose_types = tp_gguf_choose_types,
    .layout = tp_gguf_layout,
    .facts = k_facts,
    .nfacts = TP_ARRAY_LEN(k_facts),
    .editor = &k_editor,
    .naming = TP_NAMING_GGUF,
};
