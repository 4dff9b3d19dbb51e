/*
 * model.h - tp_model internals: the tensor table and the typed metadata
 * store that every reader fills and every writer consumes.
 *
 * Shapes are canonical (row-major, outermost first). Tensor bytes stay in
 * the input files; a tensor records which file and the absolute offset.
 */
#ifndef TP_MODEL_H
#define TP_MODEL_H

#include "../base/arena.h"
#include "../base/base.h"
#include "../base/io.h"
#include "source.h"

/* Upper bound on tensors per model: keeps a hostile header from costing
 * unbounded time and memory (TP_ELIMIT above it). */
#define TP_MAX_TENSORS 4000000u

typedef struct tp_tensor {
  char *name;
  size_t name_len;
  tp_type type;
  uint32_t ndim;
  uint64_t shape[TP_MAX_DIMS];
  uint64_t nelements;
  uint64_t nbytes;
  uint32_t file;
  uint64_t offset;   /* absolute offset in files[file] */
  uint8_t swap_size; /* big-endian source: byte-swap rule applied on read
                        (0: none; see tp_swap_storage in dtype/dtype.h) */
  tp_source *storage;/* NULL: the bytes lie at (file, offset); otherwise the
                        reader's own storage (a strided view, a compressed
                        member, ...), owned by the model */
} tp_tensor;

typedef struct tp_meta_item {
  char *key;
  size_t key_len;
  tp_value val;
} tp_meta_item;

/* Ordered key -> typed value store with deep-copied values. */
typedef struct tp_metastore {
  tp_meta_item *items;
  size_t n, cap;
  tp_arena arena;
  tp_strmap index;
} tp_metastore;

void tp_meta_init(tp_metastore *ms);
void tp_meta_free(tp_metastore *ms);
/* Index of key or SIZE_MAX. */
size_t tp_meta_find(const tp_metastore *ms, const char *key, size_t len);
/* Appends key = *v (deep copy). If key exists: replace != 0 removes the old
 * entry first (so the key moves to the end, as gguf_set_val does), otherwise
 * TP_EEXISTS is returned with a message naming the key. */
tp_status tp_meta_set(tp_metastore *ms, const char *key, size_t len,
                      const tp_value *v, int replace);
tp_status tp_meta_remove(tp_metastore *ms, const char *key, size_t len);
/* Sets key to *v keeping its position when it exists (else appends). */
tp_status tp_meta_set_in_place(tp_metastore *ms, const char *key, size_t klen,
                               const tp_value *v);
/* Convenience setters (replace semantics). */
tp_status tp_meta_set_str(tp_metastore *ms, const char *key, const char *s,
                          size_t len);
tp_status tp_meta_set_u32(tp_metastore *ms, const char *key, uint32_t v);
tp_status tp_meta_copy_all(tp_metastore *dst, const tp_metastore *src);
/* Size of one element of a scalar value type (0 for STRING/ARRAY). */
size_t tp_value_type_size(tp_value_type t);

struct tp_model {
  tp_format format;
  char *path;
  tp_infile **files;
  size_t nfiles, files_cap;
  uint64_t *data_offsets; /* per file: start of the data section */
  tp_tensor *tensors;
  size_t ntensors, tensors_cap;
  tp_strmap tindex;
  tp_metastore meta;
  tp_arena arena;
  uint32_t gguf_version;
  int big_endian;
  uint64_t alignment;
  struct tp_model_docs *docs; /* attached JSON documents (docs.h), or NULL */
};

/* Frees what tp_model_attach_doc (docs.c) attached; NULL accepted. */
void tp_model_docs_free(struct tp_model_docs *d);

tp_status tp_model_new(tp_model **out, tp_format fmt, const char *path);
/* Takes ownership of f (closed on failure too). *index gets its position. */
tp_status tp_model_add_file(tp_model *m, tp_infile *f, uint64_t data_offset,
                            uint32_t *index);
/* Adds a tensor after checking: ndim <= TP_MAX_DIMS, element count and byte
 * size without overflow and block-divisible, name unique, count under
 * TP_MAX_TENSORS. Does not check the file range (readers do, with context).
 * Messages name the tensor; callers prefix the file and format. */
tp_status tp_model_add_tensor(tp_model *m, const char *name, size_t name_len,
                              tp_type type, uint32_t ndim,
                              const uint64_t *shape, uint32_t file,
                              uint64_t offset, size_t *index);
/* Element count of a shape, false on overflow. */
bool tp_shape_nelements(uint32_t ndim, const uint64_t *shape, uint64_t *out);
/* Formats a shape as "[2, 3]" into buf. */
void tp_shape_format(char *buf, size_t len, uint32_t ndim,
                     const uint64_t *shape);

#endif /* TP_MODEL_H */
