/*
 * plan.h - conversion plans: what each output tensor is, where it goes.
 *
 * tp_plan_create builds entries from the source model (names, output types,
 * shapes), the output metadata, then calls the target format's layout
 * function, which assigns output files and offsets and renders each file's
 * header. The executor then fills tensor data in parallel with positional
 * writes; headers are written once at the start.
 */
#ifndef TP_PLAN_H
#define TP_PLAN_H

#include "../formats/formats.h"

typedef struct tp_plan_entry {
  const char *name; /* arena-owned, NUL-terminated */
  size_t name_len;
  size_t src;       /* tensor index in the source model */
  tp_type src_type;
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
                       in the plan's arena (lives as long as the plan) */
} tp_plan_entry;

typedef struct tp_plan_file {
  char *path;       /* final path */
  uint64_t size;    /* total bytes */
  uint8_t *header;  /* bytes written at offset 0 (malloc'ed) */
  size_t header_len;
  uint64_t n_tensors;
  int is_aux;       /* a side file without tensors (index.json, ...) */
  char *copy_from;  /* aux file copied verbatim from this path, or NULL */
} tp_plan_file;

struct tp_plan {
  const tp_model *src;
  tp_format format;
  tp_convert_options opts;
  char *out_path;
  tp_plan_entry *entries;
  size_t n, cap;
  tp_plan_file *files;
  size_t nfiles, files_cap;
  tp_metastore meta;   /* output metadata, in output order */
  tp_arena arena;
  int out_is_dir;      /* output is a folder to create (HF) */
};

/* Appends an output file; returns its index through *index. */
tp_status tp_plan_add_file(struct tp_plan *p, const char *path, uint32_t *index);

#endif /* TP_PLAN_H */
