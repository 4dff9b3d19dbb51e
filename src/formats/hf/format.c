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
    {TP_FORMAT_HF, "hf", "Hugging Face model folder",
     "a model folder: SafeTensors weights (shards + index) with config and "
     "tokenizer files",
     k_aliases, NULL,
     TP_FORMAT_CAN_READ | TP_FORMAT_CAN_WRITE | TP_FORMAT_IS_FOLDER, NULL},
    TP_FORMAT_OPS_VERSION,
    TP_FORMAT_SAFETENSORS,
    1,
    probe,
    tp_hf_open,
    tp_safetensors_open_infile, /* its tensor files (verification) */
    tp_safetensors_stores,
    tp_safetensors_fallback,
    &tp_safetensors_meta_codec,
    NULL,
    tp_hf_layout,
    tp_safetensors_facts,
    2,
    NULL, /* a folder: edit its files */
};
