/*
 * profile.h - architecture profiles: what convert_hf_to_gguf.py does to a
 * Hugging Face model folder, as data, and the way back.
 *
 * A profile (one per supported architecture: llama, mistral, mixtral,
 * qwen2, qwen3, qwen3_moe, gemma, gemma2, gemma3, phi3, bert) holds the HF
 * architecture names and model_type values it answers to, the GGUF
 * architecture it writes, HF -> GGUF tensor name rules (block templates
 * with {bid}), the tensors dropped on input, the per-tensor transforms, the
 * rules that keep tensors in F32, the {arch}.* KV program in the reference
 * converter's order and the transformers config-class defaults the
 * reference sees through AutoConfig. The tables are in profiles.c; the
 * functions here interpret them.
 *
 * The interface is data in, data out: parsed JSON (jansson) and tensor
 * descriptions (name, tp_type, canonical row-major shape) go in; output
 * tensor descriptions with their transforms, and typed GGUF metadata in a
 * tp_metastore, come out. Nothing here reads tensor bytes, except
 * tp_arch_hf_config, which reads the few small tensors whose values are
 * configuration (Phi-3 rope factors, Llama 3 rope_freqs). Transforms are
 * pure functions (tp_arch_xform_*) for the tensor sources to call.
 *
 * Errors follow the library convention: a tp_status and a thread-local
 * message (tp_last_error). Every function is thread-safe on distinct
 * outputs; profiles are immutable and shared. docs/formats/hf-gguf.md
 * describes the profiles, transforms, key order and the edge cases.
 */
#ifndef TP_ARCH_PROFILE_H
#define TP_ARCH_PROFILE_H

#include "../base/base.h"
#include "../model/model.h"

#include <jansson.h>

/* ---- profiles --------------------------------------------------------- */

typedef struct tp_arch_profile tp_arch_profile;

/* Number of profiles and the i-th one (NULL past the end), in the order the
 * error message lists them. */
size_t tp_arch_profile_count(void);
const tp_arch_profile *tp_arch_profile_at(size_t i);
/* The profile's own name ("llama", "mistral", "mixtral", "qwen3_moe", ...;
 * the transformers model_type it is named after) and the GGUF
 * general.architecture it writes ("llama" for mistral and mixtral,
 * "qwen3moe" for qwen3_moe). */
const char *tp_arch_profile_name(const tp_arch_profile *p);
const char *tp_arch_gguf_name(const tp_arch_profile *p);

/* Finds the profile for a parsed config.json the way the reference does:
 * architectures[0] (text_config.architectures[0] when a multimodal wrapper
 * has one), else model_type (text_config.model_type). TP_EUNSUPPORTED,
 * with a message naming the architecture and listing the supported ones,
 * when no profile answers; TP_EFORMAT when config is not an object or
 * architectures is not a list of strings. *hf_arch (optional) gets the HF
 * architecture name matched (NULL when model_type decided); it points into
 * config or the profile table. */
tp_status tp_arch_for_config(const json_t *config, const tp_arch_profile **out,
                             const char **hf_arch);

/* Profile for a GGUF file's metadata (general.architecture, and for
 * "llama" whether {arch}.expert_count is present: mixtral). Mistral files
 * say "llama" and come back as llama. TP_EUNSUPPORTED with the supported
 * list otherwise. */
tp_status tp_arch_for_gguf(const tp_metastore *meta,
                           const tp_arch_profile **out);

/* ---- hyper-parameters ------------------------------------------------- */

/* What the reference converter sees as self.hparams: config.json as
 * transformers' AutoConfig(...).to_dict() would give it back (the config
 * class's defaults for the fields the profile reads, num_key_value_heads
 * and head_dim filled in as the class's __post_init__ does, rope_theta /
 * rope_scaling standardised into rope_parameters), with text_config merged
 * over the top level for multimodal wrappers, and rope_parameters mirrored
 * as TextModel.__init__ does. A new reference (caller frees with
 * json_decref). TP_EFORMAT when config is not an object. */
tp_status tp_arch_hparams(const tp_arch_profile *p, const json_t *config,
                          json_t **out);

/* ---- folder inputs ---------------------------------------------------- */

/* Everything besides tensors that the reference reads from a model folder
 * to decide names, shapes and KVs. All members optional (NULL/0) except
 * config; JSON objects are borrowed. */
typedef struct tp_arch_inputs {
  const json_t *config;            /* config.json */
  const json_t *generation_config; /* generation_config.json: general.sampling.* */
  const json_t *card;              /* README.md front matter (tp_arch_card_parse) */
  const char *readme;              /* README.md text (Qwen3 reranker detection) */
  size_t readme_len;
  const char *dir_name;            /* the folder's own name (metadata heuristics) */
  const char *model_name;          /* override of general.name (--model-name) */
  const json_t *st_modules;        /* sentence-transformers modules.json */
  const json_t *st_pooling;        /* config.json of the pooling module it names */
  const json_t *tokenizer_json;    /* tokenizer.json (Gemma 3 vocabulary size) */
  int has_tokenizer_model;         /* tokenizer.model exists (SentencePiece) */
  uint32_t file_type;              /* value of general.file_type: the type
                                      policy's decision (llama_ftype) */
} tp_arch_inputs;

/* Owns what tp_arch_inputs_from_model parsed for tp_arch_inputs. */
typedef struct tp_arch_folder tp_arch_folder;

/* The inputs of a model opened from a Hugging Face folder, from its
 * attached documents (model/docs.h): config.json (required: TP_ENOTFOUND),
 * generation_config.json, README.md (its front matter parsed; a front
 * matter the YAML reader refuses is the reader's error), modules.json and
 * the pooling module's config, tokenizer.json, whether tokenizer.model
 * exists, and the folder's name. *in points into m and *out and is valid
 * until tp_arch_folder_free (and m lives); in->file_type is 0 (set it). */
tp_status tp_arch_inputs_from_model(const tp_model *m, tp_arch_folder **out,
                                    tp_arch_inputs *in);
void tp_arch_folder_free(tp_arch_folder *f);

/* ---- the model card --------------------------------------------------- */

/* Parses README.md's YAML front matter as gguf-py's metadata.py does
 * (lines between a first line "---" and the next "---"; "- no" quoted, tabs
 * replaced by two spaces, then yaml.safe_load) into a JSON object, with
 * YAML 1.1 scalar resolution (yes/no/on/off booleans, ints, floats, nulls;
 * timestamps become {"$yaml": "timestamp", "text": ...}, the non-finite
 * floats .inf and .nan {"$yaml": "float", "text": ...}, as JSON has none). The subset read:
 * block mappings and sequences, "- key: value" items, plain and quoted
 * single-line scalars, literal and folded block scalars, single-line flow
 * sequences and mappings, comments. *out is NULL when there is no front
 * matter (first line not "---"), an empty object when the YAML is not a
 * mapping. TP_EUNSUPPORTED (message names the line) for YAML outside the
 * subset (anchors, aliases, tags, multi-line flow or quoted scalars, ...),
 * TP_EFORMAT for text that is not UTF-8, an unclosed front matter or
 * broken YAML; TP_ELIMIT beyond 1 MiB of front matter or 32 levels.
 * Values of keys metadata.py never reads are skipped without being
 * interpreted, so unusual YAML there does not matter. */
tp_status tp_arch_card_parse(const char *text, size_t len, json_t **out);

/* ---- tensors: HF -> GGUF --------------------------------------------- */

/* One tensor of the source checkpoint. */
typedef struct tp_arch_src_tensor {
  const char *name;   /* NUL-terminated */
  tp_type type;
  uint32_t ndim;
  uint64_t shape[TP_MAX_DIMS]; /* canonical row-major (PyTorch order) */
  uint32_t file;      /* rank of its shard among the folder's shard names in
                         byte order (0 for a single file): the reference
                         reads shard by shard, each sorted by name */
} tp_arch_src_tensor;

/* How an output tensor's elements come from its sources. Every transform
 * keeps the element type of its source except where said; the output type
 * is the type policy's (keep_f32 below is the reference's override). */
typedef enum tp_arch_xform {
  TP_ARCH_XFORM_COPY = 0,    /* elements as they are (n_src > 1: stacked) */
  TP_ARCH_XFORM_PERMUTE_QK,  /* Llama Q/K row interleave; xform_arg = heads
                                (tp_arch_xform_permute_rows) */
  TP_ARCH_XFORM_ADD_ONE,     /* Gemma norm weight + 1
                                (tp_arch_xform_add_one: result precision) */
  TP_ARCH_XFORM_FIRST_ROWS,  /* the first xform_arg rows (Gemma 3 vocabulary
                                trim): a prefix of the source's bytes */
  TP_ARCH_XFORM_SYNTH,       /* no source: F32 values in synth[] */
  /* the way back (tp_arch_unmap_tensors) */
  TP_ARCH_XFORM_UNPERMUTE_QK,/* inverse of PERMUTE_QK; xform_arg = heads */
  TP_ARCH_XFORM_SUB_ONE,     /* norm weight - 1 (tp_arch_xform_sub_one) */
  TP_ARCH_XFORM_EXPERT,      /* expert xform_arg of a stacked source: the
                                xform_arg-th slice of its outermost dim */
  TP_ARCH_XFORM_COUNT
} tp_arch_xform;

const char *tp_arch_xform_name(tp_arch_xform x);

/* Why the reference keeps a tensor in F32 whatever the output type
 * (prepare_tensors): 0 = it does not. */
typedef enum tp_arch_f32 {
  TP_ARCH_F32_NO = 0,
  TP_ARCH_F32_1D,       /* n_dims <= 1 */
  TP_ARCH_F32_NORM,     /* name ends "_norm.weight" */
  TP_ARCH_F32_ROLE,     /* router, position or token-type embeddings */
  TP_ARCH_F32_NOT_WEIGHT/* name does not end ".weight" (biases) */
} tp_arch_f32;

/* One output tensor of a mapping. */
typedef struct tp_arch_out_tensor {
  const char *name;       /* GGUF name, or HF name on the way back */
  const char *role;       /* gguf-py MODEL_TENSOR name ("TOKEN_EMBD",
                             "FFN_GATE_EXP", ...), for role-based rules such
                             as TQ1_0/TQ2_0's F16 embeddings */
  uint32_t ndim;
  uint64_t shape[TP_MAX_DIMS]; /* canonical row-major output shape */
  tp_type src_type;       /* type of the (first) source; F32 when synthesized */
  tp_type work_type;      /* what the reference converts the source to
                             before anything else: the source type for F16
                             and F32, F32 for every other type (so an F64
                             source is rounded to F32 once, then again to an
                             F16 output, as the reference does) */
  size_t n_src;
  const size_t *src;      /* indices into the caller's source array; n_src > 1:
                             experts stacked along a new outermost dim, in
                             expert order */
  tp_arch_xform xform;
  uint32_t xform_arg;
  const float *synth;     /* TP_ARCH_XFORM_SYNTH: n_synth values */
  size_t n_synth;
  tp_arch_f32 keep_f32;
  const char *why;        /* keep_f32 != 0: the reference's reason */
} tp_arch_out_tensor;

/* The result of a mapping: output tensors in the order the reference writes
 * them, and what the reference counts for general.size_label. */
typedef struct tp_arch_mapping tp_arch_mapping;

/* Maps the source tensors of an HF checkpoint to GGUF output tensors in
 * the reference converter's output order (synthesized rope tensors first,
 * then shard by shard, each by name; stacked experts where the last expert
 * tensor of their layer arrives). in->config is the raw config.json (the
 * profile derives its hparams); in->tokenizer_json / has_tokenizer_model
 * decide Gemma 3's vocabulary trim. Errors name the tensor: TP_EFORMAT for
 * a tensor no rule maps ("Can not map tensor", as the reference says), a
 * shape that does not fit the config (head counts that do not divide the
 * rows, an expert of another shape or type), experts missing or left over
 * ("Unprocessed experts"), a name that two source tensors end up with;
 * TP_EUNSUPPORTED for checkpoints the reference converts in ways not
 * reproduced (Qwen3 rerankers, fused expert tensors). src must outlive the
 * mapping only for the caller's own use: names are copied. */
tp_status tp_arch_map_tensors(const tp_arch_profile *p,
                              const tp_arch_inputs *in,
                              const tp_arch_src_tensor *src, size_t n,
                              tp_arch_mapping **out);
void tp_arch_mapping_free(tp_arch_mapping *m);
size_t tp_arch_mapping_count(const tp_arch_mapping *m);
const tp_arch_out_tensor *tp_arch_mapping_at(const tp_arch_mapping *m,
                                             size_t i);
/* The reference's --outtype auto: the first BF16 or F16 source tensor with
 * at least two dimensions (in its reading order, after its filters) gives
 * its type; F16 when there is none (an F32 checkpoint). */
tp_type tp_arch_mapping_auto_type(const tp_arch_mapping *m);
/* gguf-py's GGUFWriter.get_total_parameter_count over the outputs: total,
 * shared and per-expert parameter counts and the mean expert count. */
void tp_arch_mapping_params(const tp_arch_mapping *m, uint64_t *total,
                            uint64_t *shared, uint64_t *expert,
                            uint64_t *expert_count);

/* ---- metadata: HF -> GGUF --------------------------------------------- */

/* Appends to out (which should be empty) every general.* and {arch}.* KV
 * the reference converter writes, with its value types, in its order:
 *   general.architecture
 *   [{arch}.rope.scaling.attn_factor: Phi-3 long-rope, written while the
 *    tensors are prepared, hence this early]
 *   general.type = "model"
 *   general.sampling.* (generation_config.json), general.name, author,
 *   version, organization, finetune, basename, description, quantized_by,
 *   size_label, license, license.name, license.link, url, doi, uuid,
 *   repo_url, source.*, base_model.count + base_model.N.*, dataset.count +
 *   dataset.N.*, tags, languages (metadata.py's heuristics over the model
 *   card, config.json's _name_or_path and in->dir_name; the size label from
 *   the mapping's parameter count)
 *   the profile's {arch}.* keys, with general.file_type = in->file_type at
 *   the place the profile's set_gguf_parameters puts it
 *   general.quantization_version = 2
 * The tokenizer module's tokenizer.* keys come next, after
 * general.quantization_version (the reference's set_vocab runs last).
 * A key written twice keeps its first position and takes the last value,
 * as GGUFWriter does. TP_EFORMAT/TP_EUNSUPPORTED name the config field or
 * card key whose value the reference would fail on (a non-integer count, a
 * non-string name, ...). */
tp_status tp_arch_gguf_kvs(const tp_arch_profile *p, const tp_arch_inputs *in,
                           const tp_arch_mapping *tensors, tp_metastore *out);

/* ---- model ids ---------------------------------------------------------- */

/* Also what gguf's naming_convention needs to name an output file
 * (<basename>-<size_label>-<finetune>-<version>-<type>.gguf). */

/* Metadata.get_model_id_components: malloc'ed strings or NULL (caller
 * frees each with free). TP_EUNSUPPORTED for ids with non-ASCII text,
 * whose Unicode casing is not reproduced. */
typedef struct tp_arch_model_id {
  char *full_name, *org, *basename, *finetune, *version, *size_label;
} tp_arch_model_id;
tp_status tp_arch_model_id_parse(const char *id, int64_t total_params,
                                 tp_arch_model_id *out);
void tp_arch_model_id_clear(tp_arch_model_id *c);
/* Metadata.id_to_title into a malloc'ed string. */
tp_status tp_arch_id_to_title(const char *s, char **out);
/* gguf.size_label (utility.py) into buf. */
void tp_arch_size_label(char *buf, size_t len, uint64_t total, uint64_t shared,
                        uint64_t expert, uint64_t expert_count);

/* ---- the way back: GGUF -> HF ---------------------------------------- */

/* Builds config.json (and generation_config.json) for a GGUF model of
 * profile p, following transformers' GGUF loading (GGUF_CONFIG_MAPPING and
 * its defaults: tie_word_embeddings from the absence of output.weight,
 * token ids from tokenizer.ggml.*, vocab_size from the embedding) plus what
 * a folder needs to load with AutoModelForCausalLM / AutoModel:
 * architectures, model_type, and the fields transformers' GGUF path does
 * not read but the forward mapping wrote (rope scaling, head_dim, expert
 * counts, soft-capping, sliding window, layer norm epsilon, Gemma 3's
 * vocabulary). dtype (may be NULL) becomes config.json's "dtype". Reads the
 * Phi-3 rope factor tensors through m; a Llama 3 rope_freqs tensor is
 * accepted when it is exactly what the standard llama3 parameters of its
 * config would synthesize (the parameters are recovered), else
 * TP_EUNSUPPORTED. m must be a GGUF model (tp_model_open). */
tp_status tp_arch_hf_config(const tp_arch_profile *p, const tp_model *m,
                            const char *dtype, json_t **config,
                            json_t **generation_config);

/* Maps a GGUF model's tensors back to HF names with the inverse transforms
 * (UNPERMUTE_QK for attn_q/attn_k of llama, SUB_ONE for Gemma norms, one
 * output per expert for stacked experts) in the order transformers'
 * save_pretrained sorts them (by name); synthesized tensors (rope_freqs,
 * rope_factors_*) are dropped, being configuration. config is the one
 * tp_arch_hf_config built. TP_EFORMAT for a tensor with no HF name. */
tp_status tp_arch_unmap_tensors(const tp_arch_profile *p, const tp_model *m,
                                const json_t *config, tp_arch_mapping **out);

/* ---- transforms -------------------------------------------------------- */

/* Row index map of the Llama Q/K permutation: for output row r, *in_row
 * gets the source row (convert_hf_to_gguf.py LlamaModel.permute: rows in
 * heads groups of hd = rows/heads; output row h*hd + 2i + j is input row
 * h*hd + j*hd/2 + i). inverse != 0 gives the map of the inverse permutation
 * (GGUF -> HF). TP_EINVAL when heads is 0 or rows is not a multiple of
 * 2*heads, or r >= rows. */
tp_status tp_arch_xform_permute_row(uint64_t rows, uint32_t heads, int inverse,
                                    uint64_t r, uint64_t *in_row);
/* Applies the permutation to a whole row-major tensor of rows rows of
 * row_bytes bytes each (any element type: rows are moved, not touched). */
tp_status tp_arch_xform_permute_rows(void *dst, const void *src, uint64_t rows,
                                     size_t row_bytes, uint32_t heads,
                                     int inverse);

/* Gemma norm + 1 as the reference computes it, for n elements of src_type
 * (F16, BF16, F32, F64) into F32 dst: the reference first converts every
 * source other than F16 and F32 to F32 (BF16 exactly, F64 rounded), then
 * adds 1 in the tensor's precision: an F16 source stays F16, so the sum is
 * rounded to F16 (torch computes half adds in float and rounds once; the
 * float sum of an F16 value and 1 is exact, or rounds to the same F16), and
 * the output, an F32 norm, holds that F16 value widened; every other
 * source adds in F32 (one F32 rounding). TP_EUNSUPPORTED for other types. */
tp_status tp_arch_xform_add_one(float *dst, tp_type src_type, const void *src,
                                size_t n);
/* The way back: x - 1 in F32 (transformers subtracts 1 from the
 * dequantized F32 weights). n F32 values to n F32 values. */
void tp_arch_xform_sub_one(float *dst, const float *src, size_t n);

/* Llama 3 rope_freqs (LlamaModel.generate_extra_tensors): dim/2 factors
 * for rotary dimension dim, in torch's float32 operation order (the
 * exponent base**(2i/dim) taken in double and rounded to float; torch's
 * vectorised powf may differ from that by an ulp on some platforms, which
 * the reference itself inherits: see docs/formats/hf-gguf.md). */
tp_status tp_arch_xform_llama3_rope(float *dst, uint32_t dim, double base,
                                    double factor, double low_freq_factor,
                                    double high_freq_factor,
                                    double original_ctx);

#endif /* TP_ARCH_PROFILE_H */
