/*
 * format.c - the Hugging Face folder's row in the format table: a folder of
 * SafeTensors weights (one file or shards with an index) beside config,
 * tokenizer and other files. Types, metadata codec and facts are
 * SafeTensors'.
 */
#include "hf.h"

#include <stdio.h>

static int probe(const tp_probe_input *in, char *why, size_t why_len) {
  if (!in->is_dir) {
    if (why && why_len) snprintf(why, why_len, "not a folder");
    return 0;
  }
  return tp_hf_probe_dir(in->path, why, why_len);
}

static const char *const k_aliases[] = {"safetensors-dir", "huggingface",
                                        "hf-folder", NULL};

const tp_format_ops tp_format_hf = {
    .info = {TP_FORMAT_HF, "hf", "Hugging Face model folder",
         "a model folder: SafeTensors weights (shards + index) with config and "
         "tokenizer files",
         k_aliases, NULL,
         TP_FORMAT_CAN_READ | TP_FORMAT_CAN_WRITE | TP_FORMAT_IS_FOLDER, NULL},
    .version = TP_FORMAT_OPS_VERSION,
    .other_kind = TP_FORMAT_SAFETENSORS,
    .default_folder = 1,
    .probe = probe,
    .open = tp_hf_open,
    .open_infile = tp_safetensors_open_infile, /* its tensor files (verification) */
    .stores = tp_safetensors_stores,
    .lossless_fallback = tp_safetensors_fallback,
    .meta = &tp_safetensors_meta_codec,
    .layout = tp_hf_layout,
    .facts = tp_safetensors_facts,
    .nfacts = 2,
    .naming = TP_NAMING_HF,
};
