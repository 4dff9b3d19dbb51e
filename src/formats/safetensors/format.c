/*
 * format.c - SafeTensors' row in the format table, and the metadata codec
 * it shares with Hugging Face folders: __metadata__ is a string map, which
 * carries GGUF's typed KVs as encoded "gguf:<key>" entries (gguf_meta.c),
 * so the neutral store (GGUF-typed) survives a trip through SafeTensors.
 */
#include "safetensors.h"

#include "../../dtype/dtype.h"

#include <stdio.h>

static int probe(const tp_probe_input *in, char *why, size_t why_len) {
  if (in->is_dir) {
    if (why && why_len) snprintf(why, why_len, "a folder");
    return 0;
  }
  int c;
  if (why && why_len) why[0] = 0;
  c = tp_safetensors_probe(in->path, in->head, in->head_len, in->size, why,
                              why_len);
  if (!c && why && why_len && !why[0]) snprintf(why, why_len, "no SafeTensors header");
  return c;
}

bool tp_safetensors_stores(tp_type t) {
  return tp_type_safetensors_name(t) != NULL;
}

bool tp_safetensors_fallback(tp_type src, tp_type *dst, const char **note) {
  if (!tp_type_is_quantized(src)) return false;
  *dst = TP_TYPE_F32;
  *note = "dequantized (SafeTensors has no block types)";
  return true;
}

static tp_status meta_import(const tp_model *src, tp_layout *L,
                             tp_metastore *neutral) {
  tp_status st = tp_gguf_meta_from_safetensors(&src->meta, neutral);
  if (st == TP_OK) st = tp_gguf_restore_tensor_order(L);
  L->meta_typed = tp_gguf_st_from_gguf(&src->meta);
  return st;
}

static tp_status meta_export(const tp_model *src, const tp_metastore *neutral,
                             tp_metastore *out) {
  tp_status st = tp_gguf_meta_to_safetensors(neutral, out);
  if (st == TP_OK)
    st = tp_gguf_tensor_order_to_safetensors(src->tensors, src->ntensors, out);
  return st;
}

const tp_meta_codec tp_safetensors_meta_codec = {"safetensors", meta_import,
                                                 meta_export, NULL};

/* ---- inspect: a single file's header (a sharded folder has one per shard,
 * shown with the files) -------------------------------------------------- */

static bool single_file(const tp_model *m) { return m->nfiles == 1; }

static tp_value u64_value(uint64_t u) {
  tp_value v;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_U64;
  v.v.u = u;
  return v;
}

static tp_value fact_header_length(const tp_model *m) {
  uint64_t d = m->data_offsets[0];
  return u64_value(d >= 8 ? d - 8 : 0);
}

static tp_value fact_data_offset(const tp_model *m) {
  return u64_value(m->data_offsets[0]);
}

const tp_fact_def tp_safetensors_facts[2] = {
    {NULL, "header length", fact_header_length, single_file},
    {NULL, "data offset", fact_data_offset, single_file},
};

static const char *const k_aliases[] = {"st", NULL};
static const char *const k_ext[] = {".safetensors", NULL};

const tp_format_ops tp_format_safetensors = {
    .info = {TP_FORMAT_SAFETENSORS, "safetensors", "SafeTensors",
         "one .safetensors file (Hugging Face's tensor format)", k_aliases, k_ext,
         TP_FORMAT_CAN_READ | TP_FORMAT_CAN_WRITE, NULL},
    .version = TP_FORMAT_OPS_VERSION,
    .other_kind = TP_FORMAT_HF,
    .probe = probe,
    .open = tp_safetensors_open,
    .open_infile = tp_safetensors_open_infile,
    .stores = tp_safetensors_stores,
    .lossless_fallback = tp_safetensors_fallback,
    .meta = &tp_safetensors_meta_codec,
    .layout = tp_safetensors_layout,
    .facts = tp_safetensors_facts,
    .nfacts = TP_ARRAY_LEN(tp_safetensors_facts),
    .editor = &tp_safetensors_editor,
    .naming = TP_NAMING_HF,
};
