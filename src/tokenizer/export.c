/*
 * export.c - tp_tokenizer_to_gguf: which vocabulary export an architecture
 * uses, in which order the reference tries them, and the per-architecture
 * extras (add_space_prefix, Gemma's FIM/EOT ids, CodeLlama, small Granite).
 * The model classes are those of the vendored conversion/ package:
 * LlamaModel (llama.py), Qwen2Model / Qwen2MoeModel / Qwen3* (qwen.py),
 * GemmaModel / Gemma2Model / Gemma3Model (gemma.py), Phi3MiniModel
 * (phi.py), BertModel (bert.py). docs/formats/tokenizers.md §1.
 */
#include "tok_internal.h"

#include <stdlib.h>

static bool is(const char *arch, const char *name) {
  return arch && !strcmp(arch, name);
}

/* self.hparams.get(key, dflt) as an integer (non-integers: dflt) */
static int64_t hparam_int(const tk_ctx *c, const char *key, int64_t dflt) {
  bool present;
  const json_t *v = tk_hparam(c, key, &present);
  int64_t x;
  if (!present) return dflt;
  return tk_is_int(v, &x) ? x : INT64_MIN;
}

/* LlamaModel.set_vocab */
static tp_status llama_vocab(tk_ctx *c, tp_vocab_kind kind) {
  const json_t *tc = c->in->tokenizer_config;
  const json_t *aps = tk_get(tc, "add_prefix_space");
  tp_status st = TP_OK;
  int64_t vs;
  if (tk_str_eq(tk_get(tc, "tokenizer_class"), "HybridDNATokenizer"))
    return tk_err(c, TP_EUNSUPPORTED, "tokenizer_config.json",
                  "tokenizer_class HybridDNATokenizer is not supported");
  if (aps && !json_is_null(aps))
    st = tk_put_bool(&c->kv, "tokenizer.ggml.add_space_prefix", tk_truthy(aps));
  if (st != TP_OK) return st;
  if (kind == TP_VOCAB_SPM || (kind == TP_VOCAB_AUTO && c->in->spm_model)) {
    st = tk_vocab_sentencepiece(c);
  } else if (kind == TP_VOCAB_AUTO && tk_llama_hf_applies(c) == 0) {
    st = tk_vocab_llama_hf(c);
  } else if (kind == TP_VOCAB_WORDPIECE) {
    st = tk_vocab_wordpiece(c);
  } else {
    st = tk_vocab_gpt2(c); /* Llama 3, SmolLM: byte-level BPE */
  }
  if (st != TP_OK) return st;
  vs = hparam_int(c, "vocab_size", 32000);
  if (vs == 32016) {
    /* CodeLlama: FIM ids (only eot has a GGUF key in gguf-py) */
    static const char *const types[] = {"prefix", "suffix", "middle", "eot"};
    static const int64_t ids[] = {32007, 32008, 32009, 32010};
    tk_special_args a;
    memset(&a, 0, sizeof a);
    a.types = types;
    a.ntypes = 4;
    a.force_types = types;
    a.force_ids = ids;
    a.nforce = 4;
    st = tk_special_vocab(c, &a);
  }
  if (st == TP_OK && vs == 49152) /* small Granite models */
    st = tk_put_bool(&c->kv, "tokenizer.ggml.add_bos_token", false);
  return st;
}

/* The export for an explicit kind, or the fallback when AUTO picks none. */
static tp_status by_kind(tk_ctx *c, tp_vocab_kind kind) {
  switch (kind) {
  case TP_VOCAB_SPM: return tk_vocab_sentencepiece(c);
  case TP_VOCAB_GPT2: return tk_vocab_gpt2(c);
  case TP_VOCAB_WORDPIECE: return tk_vocab_wordpiece(c);
  default: return TP_EINVAL;
  }
}

static tp_status gemma_extras(tk_ctx *c) {
  /* GemmaModel: CodeGemma's FIM/EOT ids through a second SpecialVocab (only
   * eot has a GGUF key), without a second chat template */
  static const char *const types[] = {"prefix", "suffix", "middle", "fsep",
                                      "eot"};
  static const int64_t ids[] = {67, 69, 68, 70, 107};
  tk_special_args a;
  memset(&a, 0, sizeof a);
  a.types = types;
  a.ntypes = 5;
  a.force_types = types;
  a.force_ids = ids;
  a.nforce = 5;
  a.drop_chat_template = true;
  return tk_special_vocab(c, &a);
}

static tp_status dispatch(tk_ctx *c) {
  const char *arch = c->in->arch;
  tp_vocab_kind kind = c->in->kind;
  tp_status st;
  if (is(arch, "llama") || is(arch, "mistral") || is(arch, "mixtral"))
    return llama_vocab(c, kind);
  if (is(arch, "qwen2") || is(arch, "qwen3")) {
    if (kind != TP_VOCAB_AUTO) return by_kind(c, kind);
    return c->in->spm_model ? tk_vocab_sentencepiece(c) : tk_vocab_gpt2(c);
  }
  /* GGUF names, and the Hugging Face model_type spellings */
  if (is(arch, "qwen2moe") || is(arch, "qwen3moe") || is(arch, "qwen2_moe") ||
      is(arch, "qwen3_moe"))
    return kind != TP_VOCAB_AUTO ? by_kind(c, kind) : tk_vocab_gpt2(c);
  if (is(arch, "gemma") || is(arch, "gemma2")) {
    st = kind != TP_VOCAB_AUTO ? by_kind(c, kind) : tk_vocab_sentencepiece(c);
    if (st == TP_OK && is(arch, "gemma")) st = gemma_extras(c);
    if (st == TP_OK)
      st = tk_put_bool(&c->kv, "tokenizer.ggml.add_space_prefix", false);
    return st;
  }
  if (is(arch, "gemma3")) {
    if (kind == TP_VOCAB_SPM || (kind == TP_VOCAB_AUTO && c->in->spm_model)) {
      st = tk_vocab_sentencepiece(c);
      if (st == TP_OK)
        st = tk_put_bool(&c->kv, "tokenizer.ggml.add_space_prefix", false);
      return st;
    }
    return kind != TP_VOCAB_AUTO ? by_kind(c, kind) : tk_vocab_gpt2(c);
  }
  if (is(arch, "phi3")) {
    const json_t *tc = c->in->tokenizer_config;
    if (kind != TP_VOCAB_AUTO) return by_kind(c, kind);
    if (tc) {
      const json_t *cls = tk_get(tc, "tokenizer_class");
      if (!cls)
        return tk_err(c, TP_EFORMAT, "tokenizer_config.json",
                      "no tokenizer_class (Phi-3's converter reads it)");
      if (tk_str_eq(cls, "GPT2Tokenizer")) return tk_vocab_gpt2(c);
    }
    return tk_vocab_phi3(c);
  }
  if (is(arch, "bert"))
    return kind != TP_VOCAB_AUTO ? by_kind(c, kind) : tk_vocab_wordpiece(c);
  if (kind != TP_VOCAB_AUTO) return by_kind(c, kind);
  return tp_error(TP_EUNSUPPORTED,
                  "%s: tokenizer: architecture \"%s\" has no vocabulary export "
                  "(covered: llama, mistral, mixtral, qwen2, qwen2moe, qwen3, "
                  "qwen3moe, gemma, gemma2, gemma3, phi3, bert; or name the "
                  "kind: spm, gpt2, wordpiece)", c->dir, arch ? arch : "");
}

static tp_status check_root(const tk_ctx *c, const json_t *v, const char *file) {
  if (v && !json_is_object(v))
    return tk_err(c, TP_EFORMAT, file, "not a JSON object");
  return TP_OK;
}

tp_status tp_tokenizer_to_gguf(const tp_hf_tokenizer_input *in,
                               tp_metastore *out) {
  tk_ctx c;
  tp_status st;
  if (!in || !out) return tp_error(TP_EINVAL, "tokenizer: NULL argument");
  memset(&c, 0, sizeof c);
  c.in = in;
  c.dir = in->dir && *in->dir ? in->dir : ".";
  tp_arena_init(&c.arena);
  st = check_root(&c, in->tokenizer_json, "tokenizer.json");
  if (st == TP_OK) st = check_root(&c, in->tokenizer_config, "tokenizer_config.json");
  if (st == TP_OK) st = check_root(&c, in->config, "config.json");
  if (st == TP_OK && in->pre_override &&
      !tp_tokenizer_pre_known(in->pre_override, in->kind != TP_VOCAB_WORDPIECE &&
                                                    !is(in->arch, "bert")))
    st = tp_error(TP_EINVAL,
                  "--tokenizer-pre %s: not a pre-tokenizer name llama.cpp "
                  "knows (e.g. llama-bpe, qwen2, smollm, gpt-2; see "
                  "docs/formats/tokenizers.md)", in->pre_override);
  if (st == TP_OK) st = dispatch(&c);
  if (st == TP_OK) st = tk_stage_emit(&c.kv, out);
  tk_stage_free(&c.kv);
  tp_arena_free(&c.arena);
  return st;
}
