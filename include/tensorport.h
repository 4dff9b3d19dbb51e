/*
 * tensorport.h - public API of libtensorport.
 *
 * libtensorport reads, writes and converts ML model weight files (SafeTensors,
 * GGUF, ...). This header is the manual: every function states its contract,
 * ownership, errors and thread safety.
 *
 * Conventions
 *  - Every name starts with tp_ (TP_ for macros).
 *  - Handles are opaque; each create or open function has a matching free function that
 *    accepts NULL.
 *  - Functions that can fail return tp_status. On failure a detailed message
 *    (file, tensor or field, and the numbers that disagree) is stored in
 *    thread-local storage and can be read with tp_last_error(). The message is
 *    valid until the next failing call on the same thread; successful calls do
 *    not clear it.
 *  - The library never prints, never exits and never asserts on file bytes.
 *  - Unless stated otherwise, a handle may be used by one thread at a time;
 *    distinct handles may be used concurrently.
 */
#ifndef TENSORPORT_H
#define TENSORPORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  define TP_API __declspec(dllexport)
#elif defined(__GNUC__)
#  define TP_API __attribute__((visibility("default")))
#else
#  define TP_API
#endif

#define TP_VERSION_MAJOR 0
#define TP_VERSION_MINOR 1
#define TP_VERSION_PATCH 0
#define TP_VERSION_STRING "0.1.0"
#define TP_VERSION_NUMBER \
  (TP_VERSION_MAJOR * 10000 + TP_VERSION_MINOR * 100 + TP_VERSION_PATCH)

/** Run-time library version string ("0.1.0"); static storage. */
TP_API const char *tp_version(void);
/** Run-time library version number (major*10000 + minor*100 + patch). */
TP_API int tp_version_number(void);
/** Enabled features of this build (e.g. "simd=avx2+f16c threads=pthreads");
 *  static storage. */
TP_API const char *tp_build_features(void);

/* ------------------------------------------------------------------------ */
/* Status codes and error messages                                          */
/* ------------------------------------------------------------------------ */

/** Status codes. Values are frozen: new codes are only ever appended. */
typedef enum tp_status {
  TP_OK = 0,
  TP_EINVAL = 1,       /**< bad argument from the caller */
  TP_EFORMAT = 2,      /**< malformed or inconsistent input file */
  TP_EUNSUPPORTED = 3, /**< valid input that this build cannot handle */
  TP_EIO = 4,          /**< read/write/sync/rename failure, ENOSPC, ... */
  TP_ENOMEM = 5,       /**< allocation failure */
  TP_ELIMIT = 6,       /**< a documented resource limit was exceeded */
  TP_ECANCELED = 7,    /**< cancelled by the progress callback */
  TP_ENOTFOUND = 8,    /**< file, tensor or key not found */
  TP_EEXISTS = 9,      /**< output exists and overwriting was not allowed */
  TP_ECHANGED = 10,    /**< an input file changed while it was being read */
  TP_EMISMATCH = 11    /**< verification found a difference */
} tp_status;

/** Short static description of a status code ("malformed input", ...). */
TP_API const char *tp_strerror(tp_status st);

/** Detailed message of the last failure on this thread, or "" if none.
 *  The pointer is valid until the next failing call on this thread. */
TP_API const char *tp_last_error(void);

/** Status code that accompanied the last failure on this thread. */
TP_API tp_status tp_last_status(void);

/** Clears this thread's last error. */
TP_API void tp_clear_error(void);

/** Notices: what the library did on its own that the user should hear of,
 *  whether or not the call succeeded. Today these are removals of what an
 *  interrupted run left beside an output (its temporary files and folders,
 *  each named with its size; a folder that a killed replacement had moved
 *  aside is put back instead) and an old output folder that could not be
 *  removed after its replacement. Notices are kept per thread, on the
 *  thread that called tp_plan_execute, tp_convert or tp_meta_edit_file*,
 *  until tp_notices_clear(); at most 32 are kept, and when more arrived
 *  the last one says how many were dropped. Never an error. */
TP_API size_t tp_notice_count(void);
/** Notice i (0 <= i < tp_notice_count()), or NULL; valid until the next
 *  notice or tp_notices_clear() on this thread. */
TP_API const char *tp_notice_at(size_t i);
/** Forgets this thread's notices. */
TP_API void tp_notices_clear(void);

/* ------------------------------------------------------------------------ */
/* Element types                                                            */
/* ------------------------------------------------------------------------ */

/** Every element type the library knows: the SafeTensors dtypes and the ggml
 *  tensor types (block-quantized types included). Values are frozen. */
typedef enum tp_type {
  TP_TYPE_F32 = 0,
  TP_TYPE_F16,
  TP_TYPE_BF16,
  TP_TYPE_F64,
  TP_TYPE_I8,
  TP_TYPE_I16,
  TP_TYPE_I32,
  TP_TYPE_I64,
  TP_TYPE_U8,
  TP_TYPE_U16,
  TP_TYPE_U32,
  TP_TYPE_U64,
  TP_TYPE_BOOL,
  TP_TYPE_C64,
  TP_TYPE_F8_E4M3,
  TP_TYPE_F8_E5M2,
  TP_TYPE_F8_E8M0,
  TP_TYPE_F8_E4M3FNUZ,
  TP_TYPE_F8_E5M2FNUZ,
  TP_TYPE_F4,
  TP_TYPE_F6_E2M3,
  TP_TYPE_F6_E3M2,
  /* ggml block types */
  TP_TYPE_Q4_0,
  TP_TYPE_Q4_1,
  TP_TYPE_Q5_0,
  TP_TYPE_Q5_1,
  TP_TYPE_Q8_0,
  TP_TYPE_Q8_1,
  TP_TYPE_Q2_K,
  TP_TYPE_Q3_K,
  TP_TYPE_Q4_K,
  TP_TYPE_Q5_K,
  TP_TYPE_Q6_K,
  TP_TYPE_Q8_K,
  TP_TYPE_IQ2_XXS,
  TP_TYPE_IQ2_XS,
  TP_TYPE_IQ3_XXS,
  TP_TYPE_IQ1_S,
  TP_TYPE_IQ4_NL,
  TP_TYPE_IQ3_S,
  TP_TYPE_IQ2_S,
  TP_TYPE_IQ4_XS,
  TP_TYPE_IQ1_M,
  TP_TYPE_TQ1_0,
  TP_TYPE_TQ2_0,
  TP_TYPE_MXFP4,
  TP_TYPE_NVFP4,
  TP_TYPE_Q1_0,
  TP_TYPE_Q2_0,
  TP_TYPE_COUNT
} tp_type;

/** Canonical upper-case name ("F32", "BF16", "F8_E4M3", "Q4_K", ...). */
TP_API const char *tp_type_name(tp_type t);

/** Parses a type name case-insensitively. Accepts the canonical names and
 *  the names users know: float32/fp32, float16/half/fp16, bfloat16,
 *  float64/double, int8.., uint8.., bool, float8_e4m3fn, ...
 *  Returns TP_OK or TP_ENOTFOUND. */
TP_API tp_status tp_type_from_name(const char *name, tp_type *out);

/** Elements per block (1 for plain types, 2 for F4, 4 for F6, 32/256 for
 *  ggml block types). */
TP_API uint32_t tp_type_block_elems(tp_type t);

/** Bytes per block. */
TP_API uint32_t tp_type_block_bytes(tp_type t);

/** Non-zero when the type is a floating-point scalar type (F16, BF16, F32,
 *  F64, the F8/F6/F4 types) and casts to and from it are supported. */
TP_API int tp_type_is_float(tp_type t);

/** Non-zero when the type is a ggml block-quantized type. */
TP_API int tp_type_is_quantized(tp_type t);

/** ggml type id of t, or -1 when GGUF cannot store it. */
TP_API int tp_type_ggml_id(tp_type t);

/** tp_type for a ggml type id; TP_ENOTFOUND for unknown or removed ids. */
TP_API tp_status tp_type_from_ggml_id(uint32_t id, tp_type *out);

/** SafeTensors dtype string of t, or NULL when SafeTensors cannot store it. */
TP_API const char *tp_type_safetensors_name(tp_type t);

/** Converts n elements of type src_type at src into dst_type at dst.
 *  Both buffers hold little-endian data in the formats' storage layout (F4:
 *  two elements per byte, element 2k in the low nibble; F6: a little-endian
 *  bit stream; ggml block types: llama.cpp's block structs). n must be a
 *  multiple of both types' block sizes. Float casts round once, to nearest
 *  even, from the exact source value, with numpy/ml_dtypes NaN, Inf,
 *  overflow and subnormal behaviour (torch semantics for BF16: every NaN
 *  becomes 0x7FC0); the rules per type are in docs/formats/dtypes.md.
 *  Block types go through F32 and use llama.cpp's reference quantizers.
 *  Memory use does not depend on n. Thread-safe (no shared state).
 *  Returns TP_OK, TP_EINVAL (bad n), or TP_EUNSUPPORTED (no such cast, e.g.
 *  C64 to a real type, or a block type without a quantizer). */
TP_API tp_status tp_convert_elements(tp_type dst_type, void *dst,
                                     tp_type src_type, const void *src,
                                     size_t n);

/* ------------------------------------------------------------------------ */
/* Formats and detection                                                    */
/* ------------------------------------------------------------------------ */

/** Formats. Values are frozen; new formats are appended. */
typedef enum tp_format {
  TP_FORMAT_UNKNOWN = 0,
  TP_FORMAT_SAFETENSORS = 1, /**< one .safetensors file */
  TP_FORMAT_HF = 2,          /**< a folder: model.safetensors or shards + index */
  TP_FORMAT_GGUF = 3         /**< a GGUF file (or the first of a split set) */
} tp_format;

/** tp_format_info.caps */
enum {
  TP_FORMAT_CAN_READ = 1u << 0,  /**< tp_model_open reads it */
  TP_FORMAT_CAN_WRITE = 1u << 1, /**< conversions can write it */
  TP_FORMAT_IS_FOLDER = 1u << 2, /**< a folder rather than a file */
  /** inspect: metadata are typed key/value pairs (else a string map) */
  TP_FORMAT_TYPED_META = 1u << 3,
  /** inspect: shapes are also shown innermost first (ggml's ne order) and
   *  tensor offsets are absolute file offsets (else relative to the data
   *  section, as the file states them) */
  TP_FORMAT_GGML_LAYOUT = 1u << 4
};

/** What the library knows about one format: everything the command line
 *  shows about formats (names, help, "known formats" lists, which options
 *  apply) comes from here. Static storage. */
typedef struct tp_format_info {
  tp_format id;
  const char *name;         /**< "safetensors", "hf", "gguf" */
  const char *display_name; /**< "SafeTensors", "Hugging Face model folder", "GGUF" */
  const char *description;  /**< one line */
  const char *const *aliases;    /**< other accepted names, NULL-terminated */
  const char *const *extensions; /**< ".gguf", ..., NULL-terminated (may be
                                      empty) */
  unsigned caps;                 /**< TP_FORMAT_* capability bits */
  /** Conversion options (their command-line long names, e.g. "big-endian",
   *  "preset") that only some targets honour and this one does, as a
   *  NULL-terminated list. Options every target honours are not listed. */
  const char *const *options;
} tp_format_info;

/** Number of formats this build knows. */
TP_API size_t tp_format_count(void);
/** Format i (0 <= i < tp_format_count()) in the library's order, or NULL. */
TP_API const tp_format_info *tp_format_at(size_t i);
/** The format with id f, or NULL. */
TP_API const tp_format_info *tp_format_info_of(tp_format f);

/** Lower-case format name ("safetensors", "hf", "gguf"), "unknown" for an
 *  id the library does not know. */
TP_API const char *tp_format_name(tp_format f);

/** Parses a format name or alias (case-insensitive; e.g. "st" for
 *  safetensors, "huggingface" for hf). Returns TP_OK or TP_ENOTFOUND with a
 *  message listing the known names. */
TP_API tp_status tp_format_from_name(const char *name, tp_format *out);

/** Detects the format of path from its content (magic bytes, header shape,
 *  folder layout): every format's probe reports a confidence, the highest
 *  wins, and the extension only breaks ties. On success *out is set and,
 *  when why is non-NULL, a one-line explanation is written into why
 *  (truncated to why_len). TP_ENOTFOUND if the path does not exist,
 *  TP_EUNSUPPORTED if no format matches (the message says what each probe
 *  found), TP_EFORMAT for an empty or too small file. */
TP_API tp_status tp_detect(const char *path, tp_format *out, char *why,
                           size_t why_len);

/** Guesses the output format for a path that does not exist yet, from its
 *  extension (a writable format's, e.g. ".safetensors", ".gguf") or a
 *  trailing '/' or an existing folder (the default folder format, hf).
 *  TP_FORMAT_UNKNOWN when nothing matches. */
TP_API tp_format tp_format_from_output_path(const char *path);

/* ------------------------------------------------------------------------ */
/* Metadata values                                                          */
/* ------------------------------------------------------------------------ */

/** Value types; the numbering is GGUF's (gguf_type). */
typedef enum tp_value_type {
  TP_VALUE_U8 = 0,
  TP_VALUE_I8 = 1,
  TP_VALUE_U16 = 2,
  TP_VALUE_I16 = 3,
  TP_VALUE_U32 = 4,
  TP_VALUE_I32 = 5,
  TP_VALUE_F32 = 6,
  TP_VALUE_BOOL = 7,
  TP_VALUE_STRING = 8,
  TP_VALUE_ARRAY = 9,
  TP_VALUE_U64 = 10,
  TP_VALUE_I64 = 11,
  TP_VALUE_F64 = 12,
  TP_VALUE_COUNT = 13
} tp_value_type;

/** Upper-case name of a value type ("UINT32", "STRING", ...), as gguf-dump
 *  prints it. */
TP_API const char *tp_value_type_name(tp_value_type t);

/** A byte string: not NUL-terminated in general (may contain NUL bytes),
 *  though the library always stores a NUL after the last byte. */
typedef struct tp_string {
  const char *data;
  size_t len;
} tp_string;

/** A typed metadata value. Scalars live in the union; an ARRAY's elements
 *  are stored contiguously at v.array in their natural C representation
 *  (uint8_t..uint64_t, int8_t..int64_t, float, double, uint8_t for BOOL,
 *  tp_string for STRING). Nested arrays do not exist. */
typedef struct tp_value {
  tp_value_type type;
  tp_value_type elem_type; /**< ARRAY only */
  uint64_t count;          /**< ARRAY only: number of elements */
  union {
    uint64_t u;            /**< U8..U64 and BOOL (0/1) */
    int64_t i;             /**< I8..I64 */
    double f;              /**< F32 (exactly widened) and F64 */
    tp_string s;           /**< STRING */
    const void *array;     /**< ARRAY */
  } v;
} tp_value;

/* ------------------------------------------------------------------------ */
/* Models                                                                   */
/* ------------------------------------------------------------------------ */

typedef struct tp_model tp_model;

#define TP_MAX_DIMS 16

/** Description of one tensor. Shape is row-major, outermost first (numpy
 *  order) for every format; GGUF's reversed ne[] is translated on read. */
typedef struct tp_tensor_info {
  tp_string name;
  tp_type type;
  uint32_t ndim;
  uint64_t shape[TP_MAX_DIMS];
  uint64_t nelements;
  uint64_t nbytes;
  uint32_t file_index;  /**< which file of the model holds the bytes */
  uint64_t file_offset; /**< absolute byte offset in that file */
} tp_tensor_info;

/** Options for tp_model_open; initialise with TP_OPEN_OPTIONS_INIT. */
typedef struct tp_open_options {
  unsigned version;
  tp_format format;      /**< TP_FORMAT_UNKNOWN: detect */
  int use_mmap;          /**< read tensor data through a mapping (0: pread) */
} tp_open_options;
#define TP_OPEN_OPTIONS_VERSION 1
#define TP_OPEN_OPTIONS_INIT {TP_OPEN_OPTIONS_VERSION, TP_FORMAT_UNKNOWN, 0}

/** Opens and fully validates a model (file or folder). All header claims are
 *  checked against the real file sizes before this returns. A Hugging Face
 *  folder's JSON documents (config.json, generation_config.json,
 *  tokenizer.json, tokenizer_config.json, special_tokens_map.json,
 *  added_tokens.json, preprocessor_config.json), when present, are parsed
 *  too, as Python's json module reads them, and must be JSON objects:
 *  TP_EFORMAT naming the file, line and column otherwise, TP_ELIMIT over
 *  512 MiB for all of them or 64 levels of nesting (see
 *  docs/formats/safetensors.md, "Model documents"). *out is set on
 *  success and must be released with tp_model_free. opts may be NULL.
 *  Errors: TP_ENOTFOUND, TP_EFORMAT, TP_EUNSUPPORTED, TP_ELIMIT, TP_EIO,
 *  TP_ENOMEM. */
TP_API tp_status tp_model_open(tp_model **out, const char *path,
                               const tp_open_options *opts);

/** Releases a model; NULL is accepted. */
TP_API void tp_model_free(tp_model *m);

TP_API tp_format tp_model_format(const tp_model *m);
/** Path the model was opened from (static for the model's lifetime). */
TP_API const char *tp_model_path(const tp_model *m);
/** Number of files that hold the model (shards, split parts). */
TP_API size_t tp_model_file_count(const tp_model *m);
TP_API const char *tp_model_file_path(const tp_model *m, size_t i);
TP_API uint64_t tp_model_file_size(const tp_model *m, size_t i);

TP_API size_t tp_model_tensor_count(const tp_model *m);
/** Fills *out for tensor i (in the file's order); TP_EINVAL if out of range.
 *  The name points into the model and lives as long as it. */
TP_API tp_status tp_model_tensor(const tp_model *m, size_t i,
                                 tp_tensor_info *out);
/** Index of the tensor called name, or (size_t)-1. */
TP_API size_t tp_model_find_tensor(const tp_model *m, const char *name,
                                   size_t name_len);
/** Reads len raw bytes of tensor i starting at byte offset off within the
 *  tensor into buf. Thread-safe. TP_EINVAL for a range outside the tensor,
 *  TP_ECHANGED/TP_EIO when the file changed or cannot be read. */
TP_API tp_status tp_model_read(const tp_model *m, size_t i, uint64_t off,
                               void *buf, size_t len);

TP_API size_t tp_model_meta_count(const tp_model *m);
/** Key and value of metadata entry i, in file order. Pointers live as long
 *  as the model. */
TP_API tp_status tp_model_meta(const tp_model *m, size_t i, tp_string *key,
                               const tp_value **value);
/** Value of key, or NULL. */
TP_API const tp_value *tp_model_meta_find(const tp_model *m, const char *key);

/** One format-specific fact about an opened model, as inspect shows it
 *  (GGUF: version, byte order, alignment, data offset; SafeTensors: header
 *  length, data offset). */
typedef struct tp_model_fact {
  const char *key;   /**< JSON key inside the object named after the format
                          ("version"); NULL when the fact is text-only */
  const char *label; /**< text label ("gguf version") */
  tp_value value;    /**< an integer (U32/U64) or a STRING */
} tp_model_fact;

/** Number of format facts of m (from its format's table entry). */
TP_API size_t tp_model_fact_count(const tp_model *m);
/** Fact i of m; TP_EINVAL when out of range. String values live as long as
 *  the model. */
TP_API tp_status tp_model_fact_at(const tp_model *m, size_t i,
                                  tp_model_fact *out);

/** GGUF version (0 if not GGUF). */
TP_API uint32_t tp_model_gguf_version(const tp_model *m);
/** Non-zero when the file is big-endian (GGUF). */
TP_API int tp_model_big_endian(const tp_model *m);
/** GGUF alignment (0 for other formats). */
TP_API uint64_t tp_model_alignment(const tp_model *m);
/** Start of the data section of file i of the model. */
TP_API uint64_t tp_model_data_offset(const tp_model *m, size_t file);

/* ------------------------------------------------------------------------ */
/* Conversion                                                               */
/* ------------------------------------------------------------------------ */

typedef enum tp_phase {
  TP_PHASE_PLAN = 0,
  TP_PHASE_WRITE = 1,
  TP_PHASE_SYNC = 2,
  TP_PHASE_VERIFY = 3,
  TP_PHASE_DONE = 4,
  TP_PHASE_COMPARE = 5   /**< tp_diff_models_progress: reading both models */
} tp_phase;

typedef struct tp_progress {
  tp_phase phase;
  uint64_t bytes_done;      /**< output bytes written (or verified) */
  uint64_t bytes_total;
  uint64_t tensors_done;
  uint64_t tensors_total;
  const char *current;      /**< name of a tensor in flight, may be NULL */
} tp_progress;

/** Progress callback. Called from the thread that runs the conversion, at
 *  most every few milliseconds. A non-zero return cancels the conversion
 *  (TP_ECANCELED; outputs are removed). */
typedef int (*tp_progress_fn)(const tp_progress *p, void *user);

/** Flags for tp_convert_options.flags. */
enum {
  TP_CONVERT_FORCE = 1u << 0,            /**< overwrite existing outputs */
  TP_CONVERT_NO_SYNC = 1u << 1,          /**< skip fsync (scratch outputs) */
  TP_CONVERT_VERIFY = 1u << 2,           /**< re-read and compare outputs */
  TP_CONVERT_BIG_ENDIAN = 1u << 3,       /**< GGUF: write big-endian */
  TP_CONVERT_ALLOW_REQUANTIZE = 1u << 4, /**< GGUF: quantized -> quantized */
  TP_CONVERT_PURE = 1u << 5,             /**< GGUF presets: no mixture */
  TP_CONVERT_NO_TENSOR_FIRST_SPLIT = 1u << 6, /**< first split: metadata only */
  TP_CONVERT_LEAVE_OUTPUT_TENSOR = 1u << 7,
  /** Hugging Face -> GGUF: keep the tensor names and metadata as they are
   *  instead of translating them through the architecture profile (the
   *  result is no model llama.cpp loads) */
  TP_CONVERT_KEEP_NAMES = 1u << 8,
  /** Hugging Face -> GGUF: metadata and tokenizer only, no tensors */
  TP_CONVERT_VOCAB_ONLY = 1u << 9
};

/** A per-tensor type override: tensors whose name matches the POSIX extended
 *  regular expression get the type. */
typedef struct tp_tensor_type_rule {
  const char *pattern;
  tp_type type;
} tp_tensor_type_rule;

/** Options for conversions; initialise with TP_CONVERT_OPTIONS_INIT. */
typedef struct tp_convert_options {
  unsigned version;
  tp_format to;            /**< TP_FORMAT_UNKNOWN: from the output path */
  int type;                /**< a tp_type, or -1 to keep source types */
  int ftype;               /**< a GGUF file-type preset (tp_ftype), or -1 */
  unsigned threads;        /**< 0: one per CPU */
  uint64_t split_max_size; /**< bytes per output file, 0: no limit */
  uint64_t split_max_tensors; /**< tensors per output file, 0: no limit */
  unsigned flags;          /**< TP_CONVERT_* */
  int output_tensor_type;  /**< GGUF: type of output.weight, -1 default */
  int token_embedding_type;/**< GGUF: type of token_embd.weight, -1 default */
  const tp_tensor_type_rule *type_rules; /**< GGUF --tensor-type rules */
  size_t n_type_rules;
  tp_progress_fn progress;
  void *progress_user;
  /* version 2 */
  const char *tokenizer_pre; /**< HF -> GGUF: tokenizer.ggml.pre to use when
                                  the pre-tokenizer is not recognised (one
                                  of llama.cpp's names), or NULL */
  const char *model_name;    /**< HF -> GGUF: general.name, or NULL */
} tp_convert_options;
/** Version 2 appended tokenizer_pre and model_name; version 1 structures
 *  are still accepted (the new members are then NULL). */
#define TP_CONVERT_OPTIONS_VERSION 2
#define TP_CONVERT_OPTIONS_INIT                                             \
  {TP_CONVERT_OPTIONS_VERSION, TP_FORMAT_UNKNOWN, -1, -1, 0, 0, 0, 0, -1,  \
   -1, NULL, 0, NULL, NULL, NULL, NULL}

typedef struct tp_plan tp_plan;

/** One output tensor of a plan. */
typedef struct tp_plan_tensor {
  tp_string name;
  tp_type src_type;
  tp_type dst_type;
  uint32_t ndim;
  uint64_t shape[TP_MAX_DIMS];
  uint64_t src_nbytes;
  uint64_t dst_nbytes;
  uint32_t out_file;       /**< index of the output file */
  uint64_t out_offset;     /**< absolute offset in that file */
  const char *note;        /**< why this type was chosen, or NULL */
} tp_plan_tensor;

/** Builds the conversion plan of src into out_path: one entry per output
 *  tensor with its type, its output file and offset, and the output files
 *  with their sizes. Nothing is written. The plan keeps a reference to src,
 *  which must outlive it. Errors: TP_EINVAL (bad options; a folder output
 *  that would replace the folder the input is in), TP_EUNSUPPORTED (a
 *  tensor the target cannot hold), TP_EEXISTS (an output exists and
 *  TP_CONVERT_FORCE is not set; for a folder output, a target that is not
 *  absent or an empty folder: a non-empty folder, a file, a symbolic link).
 *  A folder output from a Hugging Face folder carries every side file of
 *  the source (see docs/formats/safetensors.md, "HF folder output"). */
TP_API tp_status tp_plan_create(tp_plan **out, const tp_model *src,
                                const char *out_path,
                                const tp_convert_options *opts);
TP_API void tp_plan_free(tp_plan *p);
TP_API size_t tp_plan_tensor_count(const tp_plan *p);
/** The GGUF file-type preset the plan applies, or -1 (the options' preset,
 *  except where a Hugging Face checkpoint reads a name that is also an
 *  element type, such as F16, as convert_hf_to_gguf.py's --outtype). */
TP_API int tp_plan_ftype(const tp_plan *p);
TP_API tp_status tp_plan_tensor_at(const tp_plan *p, size_t i,
                                   tp_plan_tensor *out);
TP_API tp_format tp_plan_format(const tp_plan *p);
TP_API size_t tp_plan_file_count(const tp_plan *p);
TP_API const char *tp_plan_file_path(const tp_plan *p, size_t i);
TP_API uint64_t tp_plan_file_size(const tp_plan *p, size_t i);
/** Non-zero when output file i holds no tensors: a side file (the shard
 *  index of a sharded output, or a file copied from the source folder into
 *  a folder output). 0 for a model file, or when i is out of range. */
TP_API int tp_plan_file_is_side(const tp_plan *p, size_t i);

/** Per-tensor comparison statistics (verify and diff). */
typedef struct tp_compare_stats {
  int identical;           /**< bytes (or decoded values) equal */
  uint64_t n_different;    /**< number of differing elements */
  double max_abs_err;
  double max_rel_err;
  double rmse;
  double rel_rmse;         /**< rmse / root mean square of the reference:
                                the usual quantization quality figure */
  uint64_t n_nan_mismatch; /**< NaN in one side only */
} tp_compare_stats;

/** Result of tp_plan_execute. */
typedef struct tp_convert_result {
  uint64_t bytes_written;
  uint64_t tensors_written;
  double seconds;
  int verified;            /**< verification ran */
  uint64_t verify_lossless_identical; /**< lossless tensors bit-identical */
  uint64_t verify_lossy;   /**< lossy tensors compared by statistics */
  double verify_max_abs_err;
  double verify_max_rel_err;
  double verify_max_rel_rmse; /**< worst relative RMS error of a lossy tensor */
} tp_convert_result;

/** Executes a plan: writes every output file through a temporary file beside
 *  it (unnamed where the platform allows: Linux O_TMPFILE; positional writes
 *  from a thread pool, fsync, link or rename, directory fsync), then
 *  optionally verifies. A folder output (HF) is built whole as a temporary
 *  folder beside its target, synced, and then renamed into place; an
 *  existing target (an empty folder, or anything with TP_CONVERT_FORCE) is
 *  swapped out and removed only once the new folder is in place, so the
 *  target is always the old output or the new one, never a mix. On any
 *  error or cancellation no output is left behind and the target is
 *  unchanged. What interrupted runs left beside the target is removed first
 *  and reported as notices (tp_notice_count). res may be NULL. */
TP_API tp_status tp_plan_execute(tp_plan *p, tp_convert_result *res);

/** Convenience: open, plan and execute in one call. */
TP_API tp_status tp_convert(const char *in_path, const char *out_path,
                            const tp_convert_options *opts,
                            tp_convert_result *res);

/* ------------------------------------------------------------------------ */
/* GGUF file types (presets)                                                */
/* ------------------------------------------------------------------------ */

/** llama.cpp's llama_ftype: the value of general.file_type (UINT32) and the
 *  presets of llama-quantize. Values are llama.cpp's and frozen; 4-6 and
 *  33-35 are retired upstream. Used in tp_convert_options.ftype. */
typedef enum tp_ftype {
  TP_FTYPE_ALL_F32 = 0,
  TP_FTYPE_F16 = 1,
  TP_FTYPE_Q4_0 = 2,
  TP_FTYPE_Q4_1 = 3,
  TP_FTYPE_Q8_0 = 7,
  TP_FTYPE_Q5_0 = 8,
  TP_FTYPE_Q5_1 = 9,
  TP_FTYPE_Q2_K = 10,
  TP_FTYPE_Q3_K_S = 11,
  TP_FTYPE_Q3_K_M = 12,
  TP_FTYPE_Q3_K_L = 13,
  TP_FTYPE_Q4_K_S = 14,
  TP_FTYPE_Q4_K_M = 15,
  TP_FTYPE_Q5_K_S = 16,
  TP_FTYPE_Q5_K_M = 17,
  TP_FTYPE_Q6_K = 18,
  TP_FTYPE_IQ2_XXS = 19,
  TP_FTYPE_IQ2_XS = 20,
  TP_FTYPE_Q2_K_S = 21,
  TP_FTYPE_IQ3_XS = 22,
  TP_FTYPE_IQ3_XXS = 23,
  TP_FTYPE_IQ1_S = 24,
  TP_FTYPE_IQ4_NL = 25,
  TP_FTYPE_IQ3_S = 26,
  TP_FTYPE_IQ3_M = 27,
  TP_FTYPE_IQ2_S = 28,
  TP_FTYPE_IQ2_M = 29,
  TP_FTYPE_IQ4_XS = 30,
  TP_FTYPE_IQ1_M = 31,
  TP_FTYPE_BF16 = 32,
  TP_FTYPE_TQ1_0 = 36,
  TP_FTYPE_TQ2_0 = 37,
  TP_FTYPE_MXFP4_MOE = 38,
  TP_FTYPE_NVFP4 = 39,
  TP_FTYPE_Q1_0 = 40,
  TP_FTYPE_Q2_0 = 41,
  TP_FTYPE_GUESSED = 1024
} tp_ftype;

/** GGML_QNT_VERSION: the value of general.quantization_version. */
#define TP_GGUF_QUANTIZATION_VERSION 2

/** Parses a llama-quantize type argument, case-insensitively: a preset name
 *  (Q4_K_M, Q4_K_S, Q5_K_M, Q5_K_S, Q3_K_S, Q3_K_M, Q3_K_L, Q2_K, Q6_K, Q8_0,
 *  Q4_0, Q4_1, Q5_0, Q5_1, F16, BF16, F32, TQ1_0, TQ2_0, MXFP4_MOE, Q1_0,
 *  Q2_0; the aliases Q3_K, Q4_K, Q5_K for the _M presets) or the decimal
 *  ftype number of one of them ("15"). Sets *ftype and returns TP_OK.
 *  Presets tensorport cannot produce (the IQ presets and Q2_K_S, which need
 *  an importance matrix or i-quant quantizers) set *ftype too but return
 *  TP_EUNSUPPORTED with a message saying why; any other name returns
 *  TP_ENOTFOUND (it may still be a plain element type for tp_type_from_name;
 *  MXFP4 and NVFP4 are such types, not presets). */
TP_API tp_status tp_ftype_from_name(const char *name, int *ftype);

/** Canonical name of a llama_ftype value ("Q4_K_M", "F32" for ALL_F32,
 *  "GUESSED", the retired names for 4-6 and 33-35), or "?" for other
 *  values. Static storage. */
TP_API const char *tp_ftype_name(int ftype);

/* ------------------------------------------------------------------------ */
/* Comparison                                                               */
/* ------------------------------------------------------------------------ */

typedef enum tp_diff_kind {
  TP_DIFF_SAME = 0,        /**< same name, type, shape and bytes */
  TP_DIFF_VALUES = 1,      /**< same name and shape, values differ */
  TP_DIFF_TYPE = 2,        /**< types differ (values compared as floats) */
  TP_DIFF_SHAPE = 3,       /**< shapes differ (not compared) */
  TP_DIFF_ONLY_A = 4,      /**< missing in B */
  TP_DIFF_ONLY_B = 5       /**< extra in B */
} tp_diff_kind;

typedef struct tp_diff_entry {
  tp_string name;
  tp_diff_kind kind;
  size_t index_a, index_b; /**< (size_t)-1 when absent */
  tp_compare_stats stats;
} tp_diff_entry;

typedef struct tp_diff tp_diff;

/** Compares two models tensor by tensor (by name). Values of different
 *  element types are compared after decoding to double. threads 0: one per
 *  CPU. Free with tp_diff_free. */
TP_API tp_status tp_diff_models(tp_diff **out, const tp_model *a,
                                const tp_model *b, unsigned threads);
/** tp_diff_models with a progress callback (NULL: none). The callback runs
 *  on the calling thread: once at the start, every ~100 ms while tensors are
 *  compared (phase TP_PHASE_COMPARE; bytes are those read from A and B
 *  together; tensors count the pairs with a common name and shape), and
 *  once at the end with phase TP_PHASE_DONE. A non-zero return stops the
 *  comparison with TP_ECANCELED, as does tp_request_cancel. */
TP_API tp_status tp_diff_models_progress(tp_diff **out, const tp_model *a,
                                         const tp_model *b, unsigned threads,
                                         tp_progress_fn progress, void *user);
TP_API void tp_diff_free(tp_diff *d);
TP_API size_t tp_diff_count(const tp_diff *d);
TP_API const tp_diff_entry *tp_diff_at(const tp_diff *d, size_t i);
/** Non-zero when every tensor is TP_DIFF_SAME. */
TP_API int tp_diff_identical(const tp_diff *d);

/* ------------------------------------------------------------------------ */
/* GGUF metadata editing                                                    */
/* ------------------------------------------------------------------------ */

/** An ordered list of metadata edits (sets and deletes) that
 *  tp_meta_edit_file applies to one GGUF or SafeTensors file. */
typedef struct tp_meta_edits tp_meta_edits;

/** Creates an empty edit list; free it with tp_meta_edits_free. */
TP_API tp_status tp_meta_edits_new(tp_meta_edits **out);
/** Releases an edit list; NULL is accepted. */
TP_API void tp_meta_edits_free(tp_meta_edits *e);

/** Adds "KEY=TYPE:VALUE" (the syntax of llama-quantize --override-kv).
 *  TYPE, case-sensitive:
 *    int     integer; keeps the integer type the key already has in the
 *            file (range-checked), otherwise UINT32 (INT32 when negative,
 *            UINT64/INT64 when it does not fit 32 bits)
 *    float   keeps FLOAT32/FLOAT64 of an existing key, otherwise FLOAT32
 *    bool    "true" or "false"
 *    str     the rest of the argument, verbatim (also spelled "string")
 *    u8 i8 u16 i16 u32 i32 u64 i64 f32 f64   that exact GGUF type
 *  Integers are decimal (optionally 0x hex), floats anything strtod
 *  accepts in full ("inf", "nan" included). Arrays cannot be set this way.
 *  TP_EINVAL (message quotes the argument) on bad syntax or range. */
TP_API tp_status tp_meta_edits_set(tp_meta_edits *e, const char *spec);

/** Adds a set of key to an explicit typed value (deep-copied). */
TP_API tp_status tp_meta_edits_set_value(tp_meta_edits *e, const char *key,
                                         const tp_value *v);

/** Adds the deletion of key. */
TP_API tp_status tp_meta_edits_delete(tp_meta_edits *e, const char *key);

/** Flags for tp_meta_edit_file. */
enum {
  TP_META_EDIT_FORCE = 1u << 0,          /**< overwrite an existing out_path */
  TP_META_EDIT_NO_SYNC = 1u << 1,        /**< skip fsync (scratch files) */
  TP_META_EDIT_IGNORE_MISSING = 1u << 2  /**< deleting an absent key is OK */
};

/** Applies the edits in order to the GGUF or SafeTensors file at path and
 *  writes the result atomically (temporary file beside the target, fsync,
 *  rename) to out_path, or back to path when out_path is NULL. The header is
 *  re-rendered and tensor data copied unchanged; an existing key keeps its
 *  position, a new key is appended.
 *  GGUF: one file of a split set is edited on its own; split.* keys cannot
 *  be edited; a big-endian file stays big-endian; the output is GGUF v3.
 *  SafeTensors: keys of __metadata__, string values only (TYPE str). In a
 *  file converted from GGUF (one with encoded "gguf:<key>" entries or the
 *  tensor order entry "gguf.tensor_order") a KEY is a GGUF key: a set
 *  re-encodes "gguf:KEY" with any TYPE (int/float against the key's GGUF
 *  type), keeping its position, or adds it after all other KVs when KEY is
 *  new (a KEY that is a plain entry stays plain text); a delete removes
 *  "gguf:KEY" and a plain KEY. A key spelled "gguf:..." is the raw entry;
 *  every encoded entry must still decode after the edits.
 *  Errors: TP_EINVAL (an edit does not apply: wrong type for the format,
 *  value out of range for the key's type), TP_ENOTFOUND (deleting an absent
 *  key without TP_META_EDIT_IGNORE_MISSING), TP_EEXISTS (out_path exists
 *  without TP_META_EDIT_FORCE), TP_EFORMAT (an encoded GGUF entry that does
 *  not decode), the reader's errors for a bad input, and TP_EIO. On failure
 *  the target is left unchanged. */
TP_API tp_status tp_meta_edit_file(const char *path, const char *out_path,
                                   const tp_meta_edits *e, unsigned flags);
/** tp_meta_edit_file with a progress callback (NULL: none), called on the
 *  calling thread: at the start and every ~100 ms of the copy (phase
 *  TP_PHASE_WRITE: bytes of the new file written, tensors copied, the
 *  tensor being copied; bytes count tensor data, not headers), before the
 *  commit (TP_PHASE_SYNC) and after it
 *  (TP_PHASE_DONE). A non-zero return before the commit stops the edit with
 *  TP_ECANCELED and leaves the target unchanged. */
TP_API tp_status tp_meta_edit_file_progress(const char *path, const char *out_path,
                                            const tp_meta_edits *e, unsigned flags,
                                            tp_progress_fn progress, void *user);

/** The value an edit of key would change in the opened model m (the entry
 *  key itself, or in a SafeTensors file converted from GGUF the encoded
 *  GGUF entry "gguf:key" that the edit changes instead), or NULL when
 *  neither exists. When stored is non-NULL it gets the key the value is
 *  stored under. Pointers live as long as m. */
TP_API const tp_value *tp_meta_edit_current(const tp_model *m, const char *key,
                                            tp_string *stored);

/* ------------------------------------------------------------------------ */
/* Text helpers                                                             */
/* ------------------------------------------------------------------------ */

/* The library renders its own text with these; tools that print model
 * contents (the tensorport command's name quoting and --json output) use
 * them to say things the same way. Pure functions, thread-safe. */

/** Decodes the UTF-8 sequence at the start of s[0..len) (RFC 3629: no
 *  overlong forms, no surrogates, nothing above U+10FFFF). Returns its
 *  length (1 to 4) and sets *cp to the code point, or returns 0 (leaving
 *  *cp alone) when the bytes do not start a valid sequence, the sequence
 *  is cut short by len, or len is 0. */
TP_API size_t tp_utf8_decode(const unsigned char *s, size_t len,
                             uint32_t *cp);

/** JSON string dialects: which bytes tp_json_quote escapes. Every dialect
 *  escapes '"' and '\\' (as \" and \\) and the bytes below 0x20 (as
 *  \u00xx, lower-case hex, or a short escape); the rest is written raw
 *  unless the dialect says otherwise. Values are frozen. */
typedef enum tp_json_dialect {
  /** serde_json (the SafeTensors reference writer): \b \t \n \f \r
   *  short; '/', 0x7F and non-ASCII raw. */
  TP_JSON_SERDE = 0,
  /** Python's json.dumps(ensure_ascii=True) (transformers' index and
   *  config files): the same short escapes, and every code point outside
   *  0x20..0x7E as \uxxxx (surrogate pairs above U+FFFF); a byte that is
   *  not valid UTF-8 as \ufffd. */
  TP_JSON_ASCII = 1,
  /** tensorport's GGUF values in SafeTensors metadata (docs/formats/gguf.md
   *  section 5; the caller passes only valid UTF-8): \t \n \r short,
   *  other bytes below 0x20 and 0x7F as \u00xx, non-ASCII raw. */
  TP_JSON_GGUF_META = 2,
  /** serde_json's rules plus 0x7F as \u007f: no control byte reaches a
   *  terminal (the tensorport command's --json output). */
  TP_JSON_PRINTABLE = 3
} tp_json_dialect;

/** Writes s (len bytes, which may hold NUL bytes) as a quoted JSON string
 *  in the given dialect (an unknown value is read as TP_JSON_SERDE) into
 *  out, like snprintf: at most cap - 1 bytes and a NUL (nothing when cap
 *  is 0; out may then be NULL). Returns the length of the whole quoted
 *  string, so a result >= cap means it was cut. */
TP_API size_t tp_json_quote(char *out, size_t cap, const char *s, size_t len,
                            tp_json_dialect dialect);

/** Writes v as the shortest decimal ("%.<p>g", p from 1 to 17 significant
 *  digits; with is_f32 non-zero, v rounded to binary32 and p up to 9) that
 *  reads back (strtod; strtof with is_f32) to the same value; NaN as
 *  "nan", infinities as "inf" and "-inf". Writes at most len bytes with
 *  the NUL (32 always suffice); returns the length written. */
TP_API size_t tp_float_format(char *buf, size_t len, double v, int is_f32);

/* ------------------------------------------------------------------------ */
/* Cancellation and clean-up support for applications                       */
/* ------------------------------------------------------------------------ */

/** Requests cancellation of every running conversion in the process. Safe
 *  to call from a signal handler. Running conversions stop at the next chunk
 *  with TP_ECANCELED and remove their temporary files. */
TP_API void tp_request_cancel(void);

/** Removes every named temporary output of the process: temporary files,
 *  and temporary output folders with what was written into them; a folder
 *  output that a replacement had moved aside is put back. Unnamed
 *  temporaries (Linux O_TMPFILE) vanish with the process by themselves.
 *  Async-signal-safe (unlink, rmdir, rename only); meant for a SIGINT or
 *  SIGTERM handler that exits immediately afterwards. What it cannot
 *  remove (an old folder being deleted after its replacement) carries our
 *  naming pattern and is removed by the next run on the same target. */
TP_API void tp_cleanup_temp_files_signal_safe(void);

#ifdef __cplusplus
}
#endif
#endif /* TENSORPORT_H */
