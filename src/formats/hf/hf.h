/*
 * hf.h - the Hugging Face folder module's entry points (hf.c); the table
 * row is format.c.
 */
#ifndef TP_HF_H
#define TP_HF_H

#include "../safetensors/safetensors.h"

/* Folder probe: model.safetensors, model.safetensors.index.json, shards. */
int tp_hf_probe_dir(const char *dir, char *why, size_t why_len);
tp_status tp_hf_open(tp_model **out, const char *dir,
                     const tp_open_options *opts);
/* Weights as SafeTensors (one file or shards + index) plus the source
 * folder's other files. */
tp_status tp_hf_layout(tp_layout *p);

#endif /* TP_HF_H */
