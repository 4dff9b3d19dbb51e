/*
 * tokenizer.h - Hugging Face tokenizer files <-> GGUF tokenizer metadata.
 *
 * Forward (tp_tokenizer_to_gguf): from a model folder's tokenizer files
 * (already read and parsed by the caller) to the tokenizer.* KVs that
 * llama.cpp's reference converter (convert_hf_to_gguf.py, its conversion/
 * package and gguf-py's SpecialVocab) writes for the same folder: the same
 * keys, in the same order, with the same GGUF types and values, for the
 * architectures listed in docs/formats/tokenizers.md (llama, mistral,
 * mixtral, qwen2, qwen2moe, qwen3, qwen3moe, gemma, gemma2, gemma3, phi3,
 * bert). Where the reference asks transformers' AutoTokenizer (GPT-2 BPE
 * and WordPiece vocabularies), the same answer is computed from
 * tokenizer.json and tokenizer_config.json; where it hashes a test
 * tokenization to name the pre-tokenizer, the pre-tokenizer definition in
 * tokenizer.json is looked up in a table instead (tp_tokenizer_pre_*).
 *
 * Backward (tp_tokenizer_from_gguf): from tokenizer.* GGUF metadata to
 * tokenizer.json, tokenizer_config.json and special_tokens_map.json that
 * transformers loads into a tokenizer giving the ids llama.cpp gives on the
 * GGUF (and transformers' own GGUF loading, integrations/gguf).
 *
 * Errors: TP_EINVAL (bad arguments, an unknown --tokenizer-pre name),
 * TP_EFORMAT (inconsistent or malformed tokenizer files: the message names
 * the file and the entry), TP_EUNSUPPORTED (an architecture or tokenizer
 * kind not covered, an unknown pre-tokenizer pattern: the message shows the
 * pattern and names the --tokenizer-pre NAME override), TP_ELIMIT, TP_ENOMEM.
 * Messages follow "<dir>: <file>: <locus>: <problem> (<observed> vs
 * <expected>)" (tp_last_error).
 *
 * Ownership: inputs are borrowed for the duration of the call; outputs are
 * deep copies owned by the caller's metastore / tp_hf_tokenizer_files.
 * On failure nothing is appended to out (except when an allocation fails
 * while the finished KVs are copied into it: TP_ENOMEM may leave some).
 *
 * Thread safety: no global state; concurrent calls on distinct outputs are
 * safe (the JSON inputs are only read).
 */
#ifndef TP_TOKENIZER_H
#define TP_TOKENIZER_H

#include <jansson.h>

#include "../model/model.h"

typedef enum tp_vocab_kind {
  TP_VOCAB_AUTO = 0,  /* the architecture's own choice (and fallbacks) */
  TP_VOCAB_SPM,       /* SentencePiece tokenizer.model (_set_vocab_sentencepiece) */
  TP_VOCAB_GPT2,      /* byte-level BPE from tokenizer.json (_set_vocab_gpt2) */
  TP_VOCAB_WORDPIECE  /* BERT WordPiece (BertModel.set_vocab) */
} tp_vocab_kind;

/* One additional_chat_templates/<name>.jinja file: name is the file stem. */
typedef struct tp_named_text {
  const char *name;
  const char *text;
  size_t len;
} tp_named_text;

/* The tokenizer files of one folder. Every member may be NULL / 0 (file
 * absent). JSON values are the parsed files; text members are raw bytes. */
typedef struct tp_hf_tokenizer_input {
  const char *dir; /* the folder, for messages (may be NULL) */
  const json_t *tokenizer_json;     /* tokenizer.json */
  const json_t *tokenizer_config;   /* tokenizer_config.json */
  const json_t *config;             /* config.json */
  const json_t *special_tokens_map; /* special_tokens_map.json (not used by
                                       the reference; accepted for the way
                                       back's symmetry) */
  const json_t *added_tokens;       /* added_tokens.json */
  const json_t *chat_template_json; /* chat_template.json */
  const uint8_t *spm_model;         /* tokenizer.model */
  size_t spm_model_len;
  const char *chat_template;        /* chat_template.jinja */
  size_t chat_template_len;
  /* additional_chat_templates/<name>.jinja, in the order to write them (the
   * reference uses the folder's listing order; callers sort by name) */
  const tp_named_text *extra_templates;
  size_t n_extra_templates;
  const char *vocab_txt; /* WordPiece vocab.txt (used without tokenizer.json) */
  size_t vocab_txt_len;
  const char *merges_txt; /* BPE merges.txt (used when tokenizer.json has none) */
  size_t merges_txt_len;
  const char *pre_override; /* --tokenizer-pre NAME, or NULL */
  const char *arch;         /* GGUF architecture name: "llama", "qwen2", ... */
  tp_vocab_kind kind;       /* TP_VOCAB_AUTO: by architecture */
  uint64_t n_vocab;         /* rows of the token embedding (0: unknown) */
} tp_hf_tokenizer_input;

/* Appends the tokenizer.* KVs for in to out (replacing keys of the same
 * name already there). When in->n_vocab is non-zero the vocabulary must have
 * exactly that many tokens (llama.cpp checks the embedding against it);
 * otherwise TP_EFORMAT names both numbers. */
tp_status tp_tokenizer_to_gguf(const tp_hf_tokenizer_input *in,
                               tp_metastore *out);

/* Parses one of the folder's JSON files as the reference (Python's json
 * module) reads it: with jansson, the last of duplicate keys winning,
 * "\u0000" allowed, and integer literals outside int64 (tokenizer_config's
 * model_max_length is often 10^30 written as an integer) read as reals.
 * what names the file in the message. TP_EFORMAT, TP_ENOMEM. */
tp_status tp_tokenizer_json_parse(const char *text, size_t len,
                                  const char *what, json_t **out);

/* True when name is a tokenizer.ggml.pre value llama.cpp knows (for a GPT-2
 * BPE vocabulary when bpe is true; the reference's WordPiece names too
 * otherwise). */
bool tp_tokenizer_pre_known(const char *name, bool bpe);

/* The pre-tokenizer definition of tokenizer.json as the one-line signature
 * the table is keyed by (see docs/formats/tokenizers.md), malloc'ed; NULL
 * with an error for a definition that cannot be rendered. */
char *tp_tokenizer_pre_signature(const json_t *pre_tokenizer,
                                 const json_t *model);

/* The rendered tokenizer files of the way back (each malloc'ed, NUL
 * terminated; free with tp_hf_tokenizer_files_free). */
typedef struct tp_hf_tokenizer_files {
  char *tokenizer_json;
  size_t tokenizer_json_len;
  char *tokenizer_config;
  size_t tokenizer_config_len;
  char *special_tokens_map;
  size_t special_tokens_map_len;
} tp_hf_tokenizer_files;

/* Builds the tokenizer files from the tokenizer.* KVs of gguf_meta (arch is
 * general.architecture, which picks the SentencePiece flavour as
 * transformers does: gemma*, phi3). TP_ENOTFOUND without
 * tokenizer.ggml.model; TP_EUNSUPPORTED for tokenizer models other than
 * llama, gpt2 and bert; TP_EFORMAT for inconsistent metadata (the message
 * names the key). */
tp_status tp_tokenizer_from_gguf(const tp_metastore *gguf_meta,
                                 const char *arch, tp_hf_tokenizer_files *out);
void tp_hf_tokenizer_files_free(tp_hf_tokenizer_files *f);

#endif /* TP_TOKENIZER_H */
