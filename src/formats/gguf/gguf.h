/*
 * gguf.h - GGUF internals shared by the reader (read.c), the writer
 * (write.c), the rules both use (common.c), the type policy (policy.c) and
 * the table row (format.c): format constants, split-file naming, header
 * rendering, metadata checks, entry points.
 *
 * The on-disk rules are documented in docs/formats/gguf.md.
 */
#ifndef TP_GGUF_H
#define TP_GGUF_H

#include "../../model/model.h"

#include "../../model/layout.h"

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

/* Defaults for a GGUF written from a non-GGUF source: general.name (from the
 * source file or folder name, extension stripped) when absent, placed after
 * general.architecture (or first). general.architecture is not invented (it
 * comes from the architecture profile); see docs/formats/gguf.md.
 * tp_gguf_layout calls this when the source's metadata was not a complete
 * typed set (tp_layout.meta_typed). */
tp_status tp_gguf_meta_add_defaults(tp_metastore *meta, const char *src_path);

/* ---- entry points (the format table row is format.c) --------------------- */

/* Confidence that a file is GGUF (tp_format_ops.probe for files). */
int tp_gguf_probe(const char *path, const uint8_t *head, size_t head_len,
                  uint64_t file_size, char *why, size_t why_len);
/* Opens a GGUF file, or the whole split set when path names one part. */
tp_status tp_gguf_open(tp_model **out, const char *path,
                       const tp_open_options *opts);
/* The same on an opened input; takes ownership of f; never a split set. */
tp_status tp_gguf_open_infile(tp_model **out, tp_infile *f);
/* Writer layout: one file or a split set (gguf-py's rules). */
tp_status tp_gguf_layout(tp_layout *p);

#endif /* TP_GGUF_H */
