/*
 * safetensors.h - internals shared by the SafeTensors reader/writer and the
 * Hugging Face folder module (hf.c): limits, and the one implementation of
 * shard splitting, shard naming and index rendering.
 */
#ifndef TP_SAFETENSORS_H
#define TP_SAFETENSORS_H

#include "../../codec/json_out.h"
#include "../../convert/plan.h"
#include "../formats.h"

/* Largest header the reference crate accepts (MAX_HEADER_SIZE); equality is
 * allowed. Larger headers are TP_ELIMIT. */
#define TP_ST_MAX_HEADER 100000000u

/* Deepest JSON nesting accepted in a header (serde_json's default recursion
 * limit). A valid header needs 3 levels; deeper is TP_ELIMIT. */
#define TP_ST_MAX_DEPTH 128

/* Largest index.json read (same cap as headers). */
#define TP_ST_MAX_INDEX TP_ST_MAX_HEADER

/* Lays out plan->entries as SafeTensors output under a path stem:
 * one file  -> <stem>.safetensors (or exactly single_path when non-NULL),
 * N files   -> <stem>-0000k-of-0000N.safetensors + <stem>.safetensors.index.json
 * (the index is an aux plan file rendered as transformers writes it).
 * Splits by plan->opts.split_max_size / split_max_tensors as huggingface_hub
 * does, sorts each file's tensors as the reference writer does, renders each
 * header and sets every entry's file and offset. Adds "format":"pt" to
 * plan->meta when it has no "format" key. */
tp_status tp_st_layout_stem(struct tp_plan *p, const char *stem,
                            const char *single_path);

/* Renders "__metadata__":{...} for ms (keys sorted bytewise; non-string
 * values through tp_st_value_to_string) into frag. out names the output in
 * messages (invalid UTF-8, NUL in keys: TP_EUNSUPPORTED). */
tp_status tp_st_render_meta(const tp_metastore *ms, const char *out,
                            tp_textbuf *frag);

/* Renders a whole SafeTensors header as the reference serialize() does: the
 * 8-byte length N, "{", meta_frag (when meta_len > 0) and the tensors es[0..n)
 * in the given order, "}", space padding to a multiple of 8. Sets each
 * es[i].offset to its offset relative to the data section and *data_len to
 * the data size. *out is malloc'ed (8 + N bytes, *out_len). TP_ELIMIT when
 * N > TP_ST_MAX_HEADER. */
tp_status tp_st_render_header(const char *path, const char *meta_frag,
                              size_t meta_len, tp_plan_entry *es, size_t n,
                              uint8_t **out, size_t *out_len,
                              uint64_t *data_len);

/* Shard file name "<base>-0000k-of-0000N.safetensors" (k is 1-based), as
 * huggingface_hub formats it ({idx:05d}; more digits when needed). Returns a
 * malloc'ed string or NULL (TP_ENOMEM recorded). */
char *tp_st_shard_name(const char *base, size_t k, size_t n);

/* Renders the canonical string form of a non-string metadata value for a
 * SafeTensors header (documented in docs/formats/safetensors.md): integers
 * in decimal, floats in shortest round-trip form, bools as true/false,
 * arrays as compact JSON arrays. Strings are returned as they are. */
void tp_st_value_to_string(tp_textbuf *out, const tp_value *v);

#endif /* TP_SAFETENSORS_H */
