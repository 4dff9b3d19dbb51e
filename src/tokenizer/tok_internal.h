/*
 * tok_internal.h - what the files of src/tokenizer/ share: the conversion
 * context, the KV staging list (gguf-py's writer semantics), Python's view
 * of JSON values (the reference converter is Python; its truthiness and
 * dict.get decide what is written), the token table, the GPT-2 byte-level
 * alphabet and the AutoTokenizer view of a tokenizer.json.
 */
#ifndef TP_TOK_INTERNAL_H
#define TP_TOK_INTERNAL_H

#include "tokenizer.h"

#include "../base/arena.h"

/* Vocabularies (and token ids) from 2^22 on are refused (TP_ELIMIT): the
 * largest real ones have about 262,144 tokens (Gemma 3); the cap keeps a
 * hostile vocab_size or id from costing more than a few dozen MiB. */
#define TK_MAX_VOCAB (1u << 22)

/* gguf.TokenType */
enum {
  TK_NORMAL = 1,
  TK_UNKNOWN = 2,
  TK_CONTROL = 3,
  TK_USER_DEFINED = 4,
  TK_UNUSED = 5,
  TK_BYTE = 6
};

/* ---- KV staging (kv_stage.c) ----------------------------------------------- */

/* The KVs in the order the reference's GGUFWriter would write them. Like
 * its dict, setting a key again replaces the value in place (the key keeps
 * its first position). Values point to memory owned by the context. */
typedef struct tk_kv {
  const char *key;
  tp_value val;
} tk_kv;

typedef struct tk_stage {
  tk_kv *items;
  size_t n, cap;
} tk_stage;

void tk_stage_free(tk_stage *s);
tp_status tk_put(tk_stage *s, const char *key, const tp_value *v);
/* add_string: an empty string is not written */
tp_status tk_put_str(tk_stage *s, const char *key, const char *str, size_t len);
tp_status tk_put_u32(tk_stage *s, const char *key, uint32_t v);
tp_status tk_put_bool(tk_stage *s, const char *key, bool v);
/* add_array: an empty array is not written */
tp_status tk_put_strings(tk_stage *s, const char *key, const tp_string *v,
                         size_t n);
tp_status tk_put_f32s(tk_stage *s, const char *key, const float *v, size_t n);
tp_status tk_put_i32s(tk_stage *s, const char *key, const int32_t *v, size_t n);
const tk_kv *tk_stage_find(const tk_stage *s, const char *key);
/* Copies every staged KV to out (replace semantics). */
tp_status tk_stage_emit(const tk_stage *s, tp_metastore *out);

/* ---- context ------------------------------------------------------------------- */

typedef struct tk_ctx {
  const tp_hf_tokenizer_input *in;
  const char *dir; /* in->dir or "." */
  tp_arena arena;
  tk_stage kv;
} tk_ctx;

/* Records "<dir>: <file>: <message>" and returns st. */
tp_status tk_err(const tk_ctx *c, tp_status st, const char *file,
                 const char *fmt, ...) TP_PRINTF(4, 5);
/* A NUL-terminated copy in the context's arena (NULL + TP_ENOMEM). */
char *tk_strdup(tk_ctx *c, const char *s, size_t len);
char *tk_printf(tk_ctx *c, const char *fmt, ...) TP_PRINTF(2, 3);
/* "[PAD<i>]" in the arena */
tp_status tk_pad_token(tk_ctx *c, uint64_t i, tp_string *out);

/* ---- Python's view of JSON (pyjson.c) ---------------------------------------- */

/* obj.get(key): NULL when obj is no object or the key is absent. */
const json_t *tk_get(const json_t *obj, const char *key);
/* bool(v): None, false, 0, 0.0, "", [] and {} are false; NULL is None. */
bool tk_truthy(const json_t *v);
/* a == b with None for NULL and JSON null; 1 == 1.0 == True as in Python. */
bool tk_pyeq(const json_t *a, const json_t *b);
/* isinstance(v, int): integers and booleans (bool is an int in Python). */
bool tk_is_int(const json_t *v, int64_t *out);
bool tk_is_str(const json_t *v);
tp_string tk_str(const json_t *v); /* of a JSON string */
bool tk_str_eq(const json_t *v, const char *s);
/* self.hparams[key]: config.json with text_config's members on top.
 * *present tells whether the key exists (its value may be null). */
const json_t *tk_hparam(const tk_ctx *c, const char *key, bool *present);

/* ---- token table ----------------------------------------------------------------- */

typedef struct tk_vocab {
  tp_string *tok;
  float *score; /* NULL when the export has no scores */
  int32_t *type;
  size_t n;
} tk_vocab;

/* n tokens "[PAD<i>]" of type UNUSED and score pad_score (scores when
 * with_scores), in the arena. */
tp_status tk_vocab_init(tk_ctx *c, tk_vocab *v, size_t n, bool with_scores,
                        float pad_score);
/* tokenizer.ggml.tokens / scores / token_type, after checking that no token
 * appears twice (llama.cpp asserts on it) and that the count matches
 * in->n_vocab when that is known. */
tp_status tk_put_vocab(tk_ctx *c, const tk_vocab *v, const char *source);

/* ---- byte-level alphabet (byte_level.c) ---------------------------------------- */

/* The code point GPT-2's bytes_to_unicode gives byte b. */
uint32_t tk_byte_cp(uint8_t b);
/* The byte of code point cp, or -1 when cp is not in the alphabet. */
int tk_cp_byte(uint32_t cp);
/* Appends the UTF-8 of code point cp (< 0x110000) to out; returns its length. */
size_t tk_utf8_put(uint32_t cp, char *out);

/* ---- the AutoTokenizer view (hf_view.c) ------------------------------------------ */

typedef struct tk_hf_token {
  tp_string content;
  int64_t id;
  bool added;      /* in get_added_vocab() */
  bool special;    /* added_tokens_decoder[id].special */
  bool normalized; /* added_tokens_decoder[id].normalized */
} tk_hf_token;

/* What transformers' AutoTokenizer reports for a tokenizer.json (or a
 * WordPiece vocab.txt) plus tokenizer_config.json: tokenizer.vocab (model
 * vocabulary with the added tokens on top, see hf_view.c for the rules),
 * its size, tokenizer.vocab_size (the model vocabulary alone) and the
 * token of every id. */
typedef struct tk_hf_view {
  tk_hf_token *ents; /* one per distinct content (len(tokenizer.vocab)) */
  size_t n;
  tp_strmap map;     /* content -> index in ents */
  int64_t *by_id;    /* id -> index in ents, -1 for none; ids [0, id_cap) */
  size_t id_cap;
  int64_t max_id;
  size_t model_size; /* tokenizer.vocab_size */
  const json_t *decoder;
  bool model_is_bpe;
  bool cleanup_spaces; /* tokenizer_config clean_up_tokenization_spaces */
} tk_hf_view;

/* Builds the view; file names the source in messages. */
tp_status tk_hf_view_build(tk_ctx *c, tk_hf_view *v);
void tk_hf_view_free(tk_hf_view *v);
/* Index in ents of content, or SIZE_MAX. */
size_t tk_hf_find(const tk_hf_view *v, const char *s, size_t len);
/* tokenizer.decode(tokenizer.encode(t)) for an added token t that is not
 * normalized (the reference's normalisation step), in the arena. */
tp_status tk_hf_roundtrip(tk_ctx *c, const tk_hf_view *v, tp_string t,
                          tp_string *out);
/* tokenizer_config's extra special tokens: extra_special_tokens (a list,
 * or in transformers 5 an object of named tokens), else
 * additional_special_tokens; NULL when neither exists. */
const json_t *tk_extra_specials(const json_t *tokenizer_config);
/* The text of a special-token entry (a string or an object with content). */
bool tk_special_content(const json_t *e, tp_string *out);
/* does_token_look_special */
bool tk_looks_special(tp_string t);

/* ---- special tokens and templates (special_vocab.c) ------------------------------ */

typedef struct tk_special_args {
  bool load_merges;
  const char *const *types; /* NULL: bos eos unk sep pad cls mask */
  size_t ntypes;
  bool has_n_vocab;
  uint64_t n_vocab;
  bool drop_chat_template; /* chat_template = None before add_to_gguf */
  /* _set_special_token calls made after loading (Gemma, CodeLlama) */
  const char *const *force_types;
  const int64_t *force_ids;
  size_t nforce;
} tk_special_args;

/* gguf.SpecialVocab(dir, ...) followed by add_to_gguf. */
tp_status tk_special_vocab(tk_ctx *c, const tk_special_args *a);

/* ---- vocabulary exports (vocab_spm.c, vocab_bpe.c) ------------------------------- */

tp_status tk_vocab_sentencepiece(tk_ctx *c);
tp_status tk_vocab_phi3(tk_ctx *c);
tp_status tk_vocab_llama_hf(tk_ctx *c);
/* _set_vocab_llama_hf's pre-check: 0 = use it, 1 = Llama 3 (GPT-2 path),
 * 2 = no llama-hf tokenizer.json (GPT-2 path). */
int tk_llama_hf_applies(const tk_ctx *c);
tp_status tk_vocab_gpt2(tk_ctx *c);
tp_status tk_vocab_wordpiece(tk_ctx *c);

/* ---- pre-tokenizer names (pretok.c) ----------------------------------------------- */

/* The tokenizer.ggml.pre value: the override when given (validated), else
 * the table's name for tokenizer.json's pre_tokenizer. */
tp_status tk_pre_name(tk_ctx *c, bool bpe, const char **out);

/* The way back: the pre-tokenizer family of a tokenizer.ggml.pre name (the
 * names llama.cpp gives the same regexes share one), with the Split regexes
 * of the family (*re, *n; none for the ByteLevel-regex families). -1 when
 * no Hugging Face definition is known for the name. */
enum {
  TK_PRE_GPT2 = 0,    /* ByteLevel with GPT-2's own regex */
  TK_PRE_DIGITS_GPT2, /* Digits(individual) + ByteLevel regex (SmolLM) */
  TK_PRE_SPLITS       /* Split regexes + ByteLevel without regex */
};
int tk_pre_family(const char *name, size_t len, const char *const **re,
                  size_t *n);

#endif /* TP_TOK_INTERNAL_H */
