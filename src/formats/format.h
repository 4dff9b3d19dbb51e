/*
 * format.h - the format table entry: everything the rest of the library
 * may know about a format. Each format folder (src/formats/<name>/) defines
 * one tp_format_ops, and src/formats/registry.c lists them; detection,
 * opening, planning, the executor's verification, metadata editing,
 * inspect and the command line's help texts all go through the table, so
 * that no code outside a format's folder and the registry compares format
 * values.
 *
 * Versioning, in the spirit of SQLite's sqlite3_vfs: `version` says which
 * members exist, and members are only ever appended (a format written
 * against version 1 keeps working when version 2 adds members after it).
 */
#ifndef TP_FORMAT_H
#define TP_FORMAT_H

#include "../model/layout.h"
#include "../model/model.h"

#define TP_FORMAT_OPS_VERSION 1

/* What a probe sees. Folders have no head bytes. */
typedef struct tp_probe_input {
  const char *path;
  int is_dir;
  const uint8_t *head; /* the first head_len bytes of a file */
  size_t head_len;
  uint64_t size;       /* file size */
} tp_probe_input;

/* Metadata translation through the neutral store, which is GGUF-typed (the
 * superset: integers of every width, floats, bools, strings, arrays).
 * Formats with the same codec copy metadata verbatim (minus keys that only
 * describe the source's files); others go source -> neutral -> target. */
typedef struct tp_meta_codec {
  const char *name;
  /* src's metadata into neutral (typed) form. May reorder L->entries (an
   * order the metadata recorded) and sets L->meta_typed when the metadata
   * was a complete typed set that needs no defaults. */
  tp_status (*import)(const tp_model *src, tp_layout *L, tp_metastore *neutral);
  /* neutral -> this format's own store; src is the model converted (its
   * tensor order may be recorded). */
  tp_status (*export)(const tp_model *src, const tp_metastore *neutral,
                      tp_metastore *out);
  /* Keys that describe the source's files only and are not copied (GGUF's
   * split.*); may be NULL. */
  bool (*source_only)(const char *key, size_t len);
} tp_meta_codec;

/* One format fact for inspect (see tp_model_fact in tensorport.h). */
typedef struct tp_fact_def {
  const char *key;   /* JSON key, NULL: text only */
  const char *label;
  tp_value (*value)(const tp_model *m);
  /* whether the fact applies to m; NULL: always */
  bool (*applies)(const tp_model *m);
} tp_fact_def;

/* One metadata edit as a format's editor sees it (tensorport meta --set /
 * --delete; built by convert/meta_edit.c). */
typedef enum tp_edit_kind {
  TP_EDIT_SET = 0,   /* a fully typed value */
  TP_EDIT_SET_INT,   /* "int:": the type is chosen against the store */
  TP_EDIT_SET_FLOAT, /* "float:" */
  TP_EDIT_DELETE
} tp_edit_kind;

typedef struct tp_meta_edit_op {
  tp_edit_kind kind;
  const char *key; /* NUL-terminated */
  size_t key_len;
  const char *spec; /* the argument as given, for messages */
  /* The value of a set edit against ctx, whose entry of the same key (if
   * any) decides the type of "int:" and "float:" values. */
  tp_status (*resolve)(const struct tp_meta_edit_op *op,
                       const tp_metastore *ctx, tp_value *out);
  const void *impl;
} tp_meta_edit_op;

/* How a format's metadata is edited in place. */
typedef struct tp_meta_editor {
  /* Applies op to ms itself (*done = 1), refuses it with a message, or
   * leaves it to the generic set or delete (*done = 0); may be NULL. */
  tp_status (*edit)(tp_metastore *ms, const tp_meta_edit_op *op,
                    const char *path, int *done);
  /* Checks the edited store before anything is written; may be NULL. */
  tp_status (*check)(const tp_metastore *ms, const char *path);
  /* The stored key an edit of key changes in ms, when it is another one
   * (an encoded GGUF key in SafeTensors metadata), or NULL; may be NULL. */
  const char *(*stored_key)(const tp_metastore *ms, const char *key,
                            char *buf, size_t len);
} tp_meta_editor;

/* Tensor and metadata naming conventions. */
typedef enum tp_naming {
  TP_NAMING_NONE = 0, /* no convention: names pass through */
  TP_NAMING_HF,       /* Hugging Face / PyTorch state dict names, config.json */
  TP_NAMING_GGUF      /* llama.cpp's names and {arch}.* keys */
} tp_naming;

typedef struct tp_format_ops {
  tp_format_info info; /* name, aliases, extensions, caps, options */
  unsigned version;    /* TP_FORMAT_OPS_VERSION the entry was written for */
  /* the format reading the other kind of path (a folder format's single
   * file counterpart and back), or TP_FORMAT_UNKNOWN */
  tp_format other_kind;
  /* the format a folder output becomes when nothing else says (one entry) */
  int default_folder;

  /* detection: confidence 0 no, 1 extension only, 2 plausible content,
   * 3 certain (magic matched, header or folder layout recognised); why gets
   * a one-line reason either way */
  int (*probe)(const tp_probe_input *in, char *why, size_t why_len);
  /* reading: validates everything; messages "<path>: <format>: ..." */
  tp_status (*open)(tp_model **out, const char *path, const tp_open_options *o);
  /* one of the format's tensor files, already opened (memory inputs, the
   * executor's verification of a written temporary); takes ownership of f.
   * A folder format opens the files its layout writes. */
  tp_status (*open_infile)(tp_model **out, tp_infile *f);

  /* writing (NULL layout: read-only format) */
  bool (*stores)(tp_type t);
  /* the type a tensor gets when the user asked for none and the format
   * cannot hold the source type: the narrowest type holding every value;
   * false when there is none */
  bool (*lossless_fallback)(tp_type src, tp_type *dst, const char **note);
  const tp_meta_codec *meta; /* NULL: the format holds no metadata */
  /* sets every entry's dst_type and note (and may adjust metadata); NULL:
   * tp_choose_default_types */
  tp_status (*choose_types)(tp_layout *L);
  /* fills L->files and every entry's file and offset; may reorder entries */
  tp_status (*layout)(tp_layout *L);

  /* inspect */
  const tp_fact_def *facts;
  size_t nfacts;

  /* metadata editing of one file of the format (NULL: not editable); the
   * rewrite is a same-type plan: open_infile, the layout with
   * tp_layout.keep_meta set, the executor */
  const tp_meta_editor *editor;

  /* how the format names tensors and keys: conversions between formats of
   * different conventions go through the architecture profiles (src/arch,
   * convert/translate.c) */
  tp_naming naming;
} tp_format_ops;

/* ---- the registry (registry.c) -------------------------------------------- */

size_t tp_formats_count(void);
const tp_format_ops *tp_formats_at(size_t i);
/* The entry for f, or NULL. */
const tp_format_ops *tp_format_ops_of(tp_format f);
/* The entry for the model's format (never NULL for an opened model). */
const tp_format_ops *tp_model_format_ops(const tp_model *m);
/* Does the entry list option (a long option name) among its own? */
bool tp_format_has_option(const tp_format_ops *f, const char *option);
/* Writes "gguf" or "gguf or safetensors" (the display names of the formats
 * that honour option) into buf. */
void tp_formats_with_option(const char *option, char *buf, size_t len);
/* "safetensors, hf, gguf" (names of the formats with all of caps). */
void tp_format_names_list(unsigned caps, char *buf, size_t len);

/* ---- the generic type policy (default_types.c) ------------------------------ */

/* Keeps each tensor's type, or the requested one (opts.type) for float and
 * block tensors; where the target cannot store a type the user did not ask
 * for, its lossless fallback; otherwise TP_EUNSUPPORTED naming the tensor. */
tp_status tp_choose_default_types(tp_layout *L);

#endif /* TP_FORMAT_H */
