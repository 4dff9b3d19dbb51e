/*
 * safetensors.h - internals shared by the SafeTensors reader/writer and the
 * Hugging Face folder module (hf.c): limits, and the one implementation of
 * shard splitting, shard naming and index rendering.
 */
#ifndef TP_SAFETENSORS_H
#define TP_SAFETENSORS_H

#include "../../codec/json_out.h"
#include "../format.h"

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
tp_status tp_st_layout_stem(tp_layout *p, const char *stem,
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
                              size_t meta_len, tp_out_tensor *es, size_t n,
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

/* ---- GGUF metadata in __metadata__ (gguf_meta.c): the SafeTensors side
 * of the neutral store, whose keys and types are GGUF's ----------------- */

/* SafeTensors __metadata__ encoding of GGUF KVs (see tp_gguf_meta_to_safetensors) */
#define TP_GGUF_ST_PREFIX "gguf:"
/* GGUF namespace for plain SafeTensors metadata entries */
#define TP_GGUF_ST_PLAIN_PREFIX "safetensors.metadata."
/* SafeTensors __metadata__ entry with the GGUF tensor order (see
 * tp_gguf_tensor_order_to_safetensors) */
#define TP_GGUF_ST_ORDER_KEY "gguf.tensor_order"

/* A __metadata__ key that starts with TP_GGUF_ST_PREFIX ("gguf:", maybe
 * nothing after it: a malformed entry). */
static inline bool tp_gguf_st_has_prefix(const char *k, size_t n) {
  return n >= sizeof TP_GGUF_ST_PREFIX - 1 &&
         !memcmp(k, TP_GGUF_ST_PREFIX, sizeof TP_GGUF_ST_PREFIX - 1);
}
/* The __metadata__ key TP_GGUF_ST_ORDER_KEY. */
static inline bool tp_gguf_st_is_order_key(const char *k, size_t n) {
  return n == sizeof TP_GGUF_ST_ORDER_KEY - 1 &&
         !memcmp(k, TP_GGUF_ST_ORDER_KEY, n);
}

/* ---- metadata translation (conversion pipeline) -------------------------------- */

/* GGUF -> SafeTensors: appends one STRING entry to out for every KV of
 * gguf_meta (the tensor order travels separately, see
 * tp_gguf_tensor_order_to_safetensors), keyed "gguf:<key>" with a typed
 * JSON value
 *   {"index":N,"type":"UINT32","value":4096}
 *   {"index":N,"type":"ARRAY","elem_type":"STRING","value":["a","b"]}
 * Exception: STRING KVs named "safetensors.metadata.<k>" (plain SafeTensors
 * metadata kept by the reverse direction) become plain "<k>" again, except
 * "format" (the SafeTensors writer adds its own "format": "pt"). The
 * split.* keys are dropped (they describe the source files). Exact for every
 * value: integers as JSON integers (UINT64 above 2^63-1 as decimal
 * strings), floats with enough digits to round-trip, non-finite floats as
 * the strings "inf", "-inf", "nan" or "nan:0x<bits>". */
tp_status tp_gguf_meta_to_safetensors(const tp_metastore *gguf_meta,
                                      tp_metastore *out);

/* SafeTensors -> GGUF: decodes every "gguf:<key>" entry back to its exact
 * type and value (ordered by "index"), and keeps every other (plain)
 * entry as the STRING KV "safetensors.metadata.<key>" after them; in a file
 * made from GGUF (tp_gguf_st_from_gguf), a plain "format": "pt" is the
 * SafeTensors writer's marker and is dropped. The tensor order entry
 * (TP_GGUF_ST_ORDER_KEY) is no KV. A malformed encoded entry is TP_EFORMAT
 * naming the key. */
tp_status tp_gguf_meta_from_safetensors(const tp_metastore *st_meta,
                                        tp_metastore *out);

/* The JSON text of one "gguf:" entry for value v at position index
 * (UINT64_MAX: no "index" field) (malloc'ed, *len bytes, NUL-terminated);
 * the inverse of tp_gguf_decode_value. */
tp_status tp_gguf_encode_value(const tp_value *v, uint64_t index, char **json,
                               size_t *len);

/* True when st_meta carries encoded GGUF metadata: a "gguf:<key>" entry or
 * the tensor order entry (the file was written from GGUF). */
bool tp_gguf_st_from_gguf(const tp_metastore *st_meta);

/* GGUF -> SafeTensors: sets the entry TP_GGUF_ST_ORDER_KEY of out to the
 * names of the n tensors t in their order, as a JSON array of strings
 * (names that are not UTF-8 as {"hex": "..."}), so that the way back can
 * restore the GGUF tensor order the SafeTensors writer does not keep. */
tp_status tp_gguf_tensor_order_to_safetensors(const tp_tensor *t, size_t n,
                                              tp_metastore *out);

/* Decodes the TP_GGUF_ST_ORDER_KEY entry of st_meta: *present tells whether
 * it exists; then *names (allocated from a) holds its *n names in order,
 * duplicates and all. A malformed entry (not a JSON array of names) is
 * TP_EFORMAT naming the key. */
tp_status tp_gguf_tensor_order_from_safetensors(const tp_metastore *st_meta,
                                                tp_arena *a, tp_string **names,
                                                size_t *n, bool *present);

/* SafeTensors -> GGUF plans: puts p->entries into the order recorded in the
 * source's TP_GGUF_ST_ORDER_KEY entry when it names every source tensor
 * exactly once; otherwise (no entry, tensors added, removed or renamed since)
 * the order stays the source's. Only a malformed entry is an error. */
tp_status tp_gguf_restore_tensor_order(tp_layout *p);

/* Parses one "gguf:" encoded value (the JSON text of a SafeTensors metadata
 * entry) into *out; strings and arrays are allocated from a. *index is
 * UINT64_MAX when the entry has no "index". */
tp_status tp_gguf_decode_value(const char *json, size_t len, tp_arena *a,
                               tp_value *out, uint64_t *index);

/* ---- entry points (the format table rows are format.c, ../hf/) ---------- */

int tp_safetensors_probe(const char *path, const uint8_t *head, size_t head_len,
                         uint64_t file_size, char *why, size_t why_len);
tp_status tp_safetensors_open(tp_model **out, const char *path,
                              const tp_open_options *opts);
/* The same on an opened input; takes ownership of f. */
tp_status tp_safetensors_open_infile(tp_model **out, tp_infile *f);
/* Appends the tensors of one SafeTensors file to an existing model (the
 * folder reader, for each shard); only the first file contributes
 * metadata. */
tp_status tp_safetensors_read_into(tp_model *m, const char *path,
                                   const tp_open_options *opts);
tp_status tp_safetensors_layout(tp_layout *p);
/* The metadata codec SafeTensors files and Hugging Face folders share. */
extern const tp_meta_codec tp_safetensors_meta_codec;
/* Types SafeTensors stores, and its one lossless fallback (block types are
 * dequantized to F32). */
bool tp_safetensors_stores(tp_type t);
bool tp_safetensors_fallback(tp_type src, tp_type *dst, const char **note);
/* metadata editing of a single file (meta_edit.c) */
extern const tp_meta_editor tp_safetensors_editor;
/* inspect facts of a single file (header length, data offset) */
extern const tp_fact_def tp_safetensors_facts[2];

#endif /* TP_SAFETENSORS_H */
