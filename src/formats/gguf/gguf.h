/*
 * gguf.h - GGUF internals shared by the reader (gguf_read.c), the writer
 * (gguf_write.c), metadata editing (convert/meta_edit.c) and the conversion
 * pipeline: format constants, split-file naming, header rendering, byte-order
 * rules, metadata checks and the GGUF <-> SafeTensors metadata encoding.
 *
 * The on-disk rules are documented in docs/formats/gguf.md.
 */
#ifndef TP_GGUF_H
#define TP_GGUF_H

#include "../../model/model.h"

struct tp_plan;

/* ---- format constants ------------------------------------------------------ */

#define TP_GGUF_DEFAULT_ALIGNMENT 32u
/* largest general.alignment accepted (reading and writing): a writer pads
 * the header to the alignment in memory, so 2^31 in a 57-byte file with no
 * tensors would cost 2 GiB (security.md §6 row 25 refuses 2^31) */
#define TP_GGUF_MAX_ALIGNMENT (1u << 20)
#define TP_GGUF_VERSION_WRITE 3u
/* tensor names must be shorter than this (ggml keeps them in char[64]) */
#define TP_GGUF_MAX_NAME 64u
#define TP_GGUF_MAX_DIMS 4u
/* llama.cpp's GGUF_MAX_STRING_LENGTH / GGUF_MAX_ARRAY_ELEMENTS (1 GiB) */
#define TP_GGUF_MAX_STRING (1ull << 30)
#define TP_GGUF_MAX_ARRAY (1ull << 30)
/* KVs per file: real files have a few dozen; the cap bounds the memory a
 * header of millions of tiny KVs would cost (TP_ELIMIT above it) */
#define TP_GGUF_MAX_KV 1000000u
/* key length limit from the GGUF specification */
#define TP_GGUF_MAX_KEY 65535u
/* ggml type ids 0..42 exist (some removed); everything above is invalid */
#define TP_GGUF_TYPE_ID_COUNT 43u

#define TP_GGUF_KEY_ALIGNMENT "general.alignment"
#define TP_GGUF_KEY_SPLIT_NO "split.no"
#define TP_GGUF_KEY_SPLIT_COUNT "split.count"
#define TP_GGUF_KEY_SPLIT_TENSORS "split.tensors.count"

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

/* ---- split files ----------------------------------------------------------- */

/* Parses "<prefix>-NNNNN-of-MMMMM.gguf" (exactly five digits each, as
 * gguf-py and llama.cpp name them). On success *prefix_len is the length of
 * the prefix within path, *no the 1-based part number and *count the number
 * of parts (1 <= no <= count). Returns false for any other name. */
bool tp_gguf_split_parse(const char *path, size_t *prefix_len, uint32_t *no,
                         uint32_t *count);
/* "<prefix>-%05u-of-%05u.gguf" (malloc'ed; NULL + TP_ENOMEM on failure). */
char *tp_gguf_split_path(const char *prefix, size_t prefix_len, uint32_t no,
                         uint32_t count);

/* ---- byte order --------------------------------------------------------------- */


/* ---- header rendering ---------------------------------------------------------- */

/* One tensor record for tp_gguf_render_header. */
typedef struct tp_gguf_tinfo {
  const char *name;
  size_t name_len;
  tp_type type;
  uint32_t ndim;                /* canonical (row-major) shape */
  uint64_t shape[TP_MAX_DIMS];
  uint64_t nbytes;              /* must equal the size implied by shape/type */
  uint64_t offset;              /* out: offset relative to the data start */
} tp_gguf_tinfo;

/* Renders a complete GGUF v3 header: magic, version, counts, every KV of
 * meta in order, the tensor records (offsets = running sum of sizes padded
 * to alignment, in the given order) and zero padding up to the data start.
 * big_endian selects byte-swapped numbers (magic stays "GGUF"). Checks names
 * (< 64 bytes, no NUL, non-empty), ranks (<= 4), storable types, sizes and
 * keys (non-empty, no NUL); messages name the tensor or key.
 * *header (malloc'ed) holds *header_len = data start bytes; *file_size gets
 * data start + sum of padded tensor sizes. */
tp_status tp_gguf_render_header(const tp_metastore *meta, tp_gguf_tinfo *t,
                                size_t n, uint64_t alignment, int big_endian,
                                uint8_t **header, size_t *header_len,
                                uint64_t *file_size);

/* Alignment a writer must use for meta: general.alignment when present
 * (must be a UINT32 power of two, else TP_EINVAL), otherwise 32. */
tp_status tp_gguf_meta_alignment(const tp_metastore *meta, uint64_t *out);

/* Checks the metadata invariants whose violation makes llama.cpp read out of
 * bounds (security.md §6 row 34): tokenizer.ggml.tokens / merges are STRING
 * arrays, scores a FLOAT32 array and token_type an INT32 array of the same
 * length as tokens; general.alignment a UINT32 power of two. st is the status
 * to report (TP_EFORMAT when reading a file, TP_EINVAL when writing). The
 * message names the key; callers prefix the file. */
tp_status tp_gguf_check_meta(const tp_metastore *meta, tp_status st);

/* ---- reader internals ------------------------------------------------------------ */

/* Parses one GGUF file into m as file m->files[file_index] (already added to
 * m): KVs go to meta (m->meta for the first file), tensors to m with
 * absolute offsets. Sets m->data_offsets[file_index]. Messages are
 * prefixed "<path>: gguf: ". On success *be tells whether the file is
 * big-endian, *version its version and *alignment its alignment. */
tp_status tp_gguf_parse_file(tp_model *m, uint32_t file_index,
                             tp_metastore *meta, int *be, uint32_t *version,
                             uint64_t *alignment);

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
tp_status tp_gguf_restore_tensor_order(struct tp_plan *p);

/* Defaults for a GGUF written from a non-GGUF source: general.name (from the
 * source file or folder name, extension stripped) when absent, placed after
 * general.architecture (or first). general.architecture is not invented (it
 * comes from the architecture profile); see docs/formats/gguf.md.
 * tp_gguf_layout calls this when the source model is not GGUF and carries
 * no encoded GGUF metadata (tp_gguf_st_from_gguf). */
tp_status tp_gguf_meta_add_defaults(tp_metastore *meta, const char *src_path);

/* Parses one "gguf:" encoded value (the JSON text of a SafeTensors metadata
 * entry) into *out; strings and arrays are allocated from a. *index is
 * UINT64_MAX when the entry has no "index". */
tp_status tp_gguf_decode_value(const char *json, size_t len, tp_arena *a,
                               tp_value *out, uint64_t *index);

#endif /* TP_GGUF_H */
