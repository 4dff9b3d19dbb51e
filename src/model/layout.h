/*
 * layout.h - the output layout: what a conversion writes, file by file.
 *
 * The plan (convert/plan.c) fills a tp_layout with one entry per output
 * tensor (name, shape, source, types) and the output metadata; the target
 * format's type policy sets each entry's output type, and its layout
 * function adds the output files (paths, sizes, header bytes, side files)
 * and sets each entry's file and offset. Writers and type policies see this
 * structure only, never the plan, so formats do not depend on the layer
 * that orchestrates them.
 */
#ifndef TP_LAYOUT_H
#define TP_LAYOUT_H

#include "model.h"
#include "source.h"

struct tp_format_ops;

typedef struct tp_out_tensor {
  const char *name; /* NUL-terminated; the source model's or the layout's arena */
  size_t name_len;
  size_t src;       /* tensor index in the source model (first source) */
  const tp_source *source; /* how the bytes are produced (never NULL once the
                              plan is built; owned by the layout) */
  tp_type src_type; /* element type the source produces */
  tp_type dst_type;
  uint32_t ndim;    /* output shape (canonical order) */
  uint64_t shape[TP_MAX_DIMS];
  uint64_t nelements;
  uint64_t src_nbytes;
  uint64_t dst_nbytes;
  uint32_t file;    /* output file index (set by layout) */
  uint64_t offset;  /* absolute offset in that file (set by layout) */
  uint8_t swap_size;/* byte-swap rule applied on write (0: none; see
                       tp_swap_storage in dtype/dtype.h) */
  const char *note; /* why the type was chosen: a static string or a string
                       in the layout's arena */
  const char *keep_f32; /* the source ecosystem's converter keeps this tensor
                           in F32 whatever the output type, and why (NULL:
                           no such rule); GGUF's policy honours it for the
                           reference converter's output types */
} tp_out_tensor;

typedef struct tp_out_file {
  char *path;       /* final path */
  uint64_t size;    /* total bytes */
  uint8_t *header;  /* bytes written at offset 0 (malloc'ed) */
  size_t header_len;
  uint64_t n_tensors;
  int is_aux;       /* a side file without tensors (index.json, ...) */
  char *copy_from;  /* aux file copied verbatim from this path, or NULL */
} tp_out_file;

/* A file the conversion generates for a folder output (config.json and the
 * tokenizer files of a GGUF -> Hugging Face conversion). */
typedef struct tp_out_side {
  char *name;    /* relative to the output folder */
  uint8_t *data; /* malloc'ed */
  size_t len;
} tp_out_side;

typedef struct tp_layout {
  const tp_model *src;
  const struct tp_format_ops *target; /* the output format's table entry */
  tp_convert_options opts;
  char *out_path;      /* without trailing '/' */
  tp_out_tensor *entries;
  size_t n, cap;
  tp_out_file *files;
  size_t nfiles, files_cap;
  tp_metastore meta;   /* output metadata, in output order */
  tp_arena arena;
  tp_source **sources; /* sources made for the entries (freed with the layout) */
  size_t nsources, sources_cap;
  tp_out_side *side;   /* generated side files, written by folder layouts */
  size_t nside, side_cap;
  int out_is_dir;      /* output is a folder (built whole, then swapped in) */
  int meta_typed;      /* the source carried a complete typed metadata set
                          (a GGUF, or SafeTensors converted from one): no
                          defaults are added */
  int hf_rules;        /* entries come from a Hugging Face checkpoint through
                          an architecture profile (convert/translate.c):
                          the reference converter's type rules apply */
  int keep_meta;       /* a rewrite of the source in its own format (metadata
                          editing): meta is final, written as it is (GGUF:
                          split.* kept, no defaults, one file) */
} tp_layout;

/* Initialises an empty layout (src, target and opts are the caller's). */
void tp_layout_init(tp_layout *L);
/* Frees everything the layout owns (not src or target). */
void tp_layout_release(tp_layout *L);
/* Appends an output file; returns its index through *index (may be NULL). */
tp_status tp_layout_add_file(tp_layout *L, const char *path, uint32_t *index);
/* Adds a generated side file name with a copy of data[0..len). */
tp_status tp_layout_add_side(tp_layout *L, const char *name, const void *data,
                             size_t len);
/* Hands a source to the layout (freed with it); on failure s is freed. */
tp_status tp_layout_own_source(tp_layout *L, tp_source *s);

#endif /* TP_LAYOUT_H */
