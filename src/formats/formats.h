/*
 * formats.h - the format modules: detection probes, readers and writers.
 *
 * One module per format. A reader turns a path into a fully validated
 * tp_model; a writer's layout function turns a plan's output tensors into
 * output files (paths, sizes, header bytes) and each tensor's file and
 * offset, before any data is written (see convert/plan.h).
 */
#ifndef TP_FORMATS_H
#define TP_FORMATS_H

#include "../model/model.h"

struct tp_plan;

/* ---- detection ------------------------------------------------------------ */

/* Confidence of a probe: 0 no, 1 extension only, 2 plausible content,
 * 3 certain (magic matched / header parsed). */
typedef int (*tp_probe_fn)(const char *path, const uint8_t *head, size_t head_len,
                           uint64_t file_size, char *why, size_t why_len);

int tp_safetensors_probe(const char *path, const uint8_t *head, size_t head_len,
                         uint64_t file_size, char *why, size_t why_len);
int tp_gguf_probe(const char *path, const uint8_t *head, size_t head_len,
                  uint64_t file_size, char *why, size_t why_len);
/* Folder probe: model.safetensors, model.safetensors.index.json, shards. */
int tp_hf_probe_dir(const char *dir, char *why, size_t why_len);

/* ---- readers ---------------------------------------------------------------- */

/* Each validates everything (see docs/formats/) and prefixes messages with
 * "<path>: <format>: ". */
tp_status tp_safetensors_open(tp_model **out, const char *path,
                              const tp_open_options *opts);
tp_status tp_hf_open(tp_model **out, const char *dir,
                     const tp_open_options *opts);
tp_status tp_gguf_open(tp_model **out, const char *path,
                       const tp_open_options *opts);

/* The same on an already opened input (fuzzers pass memory inputs); the
 * reader takes ownership of f in every case. A single GGUF file opened this
 * way is not treated as part of a split set. */
tp_status tp_safetensors_open_infile(tp_model **out, tp_infile *f);
tp_status tp_gguf_open_infile(tp_model **out, tp_infile *f);

/* Appends the tensors of one SafeTensors file to an existing model (used by
 * the folder reader for each shard); only the model's first file contributes
 * metadata. */
tp_status tp_safetensors_read_into(tp_model *m, const char *path,
                                   const tp_open_options *opts);

/* ---- writers ------------------------------------------------------------------ */

/* Layout functions: fill plan->files and every entry's file/offset; may
 * reorder plan->entries (SafeTensors sorts by dtype and name). */
tp_status tp_safetensors_layout(struct tp_plan *p);
tp_status tp_hf_layout(struct tp_plan *p);
tp_status tp_gguf_layout(struct tp_plan *p);

#endif /* TP_FORMATS_H */
