/*
 * fuzz_tokenizer.c - libFuzzer target for the tokenizer export: the
 * SentencePiece protobuf parser and tp_tokenizer_to_gguf on tokenizer.json /
 * tokenizer_config.json text, then the way back on whatever was exported.
 *
 * The first byte picks the input's role (the rest of the input is the file):
 *   0  tokenizer.model (llama architecture, SentencePiece export)
 *   1  tokenizer.json (qwen2, GPT-2 BPE; the pre-tokenizer from the table)
 *   2  tokenizer.json (qwen2 with --tokenizer-pre qwen2)
 *   3  tokenizer.json (bert, WordPiece)
 *   4  tokenizer.json (llama without tokenizer.model: llama-hf or GPT-2)
 *   5  tokenizer_config.json with a fixed valid byte-level tokenizer.json
 *   6  config.json with the same fixed tokenizer.json (vocab_size, ids)
 * Oracles: a successful export passes tp_gguf_check_meta (the invariants
 * whose violation makes llama.cpp read out of bounds), holds no token twice,
 * and the way back either succeeds with tokenizer files that parse as JSON
 * or fails cleanly; a failed export appends nothing.
 */
#define FUZZ_NAME "fuzz_tokenizer"
#include "fuzz_util.h"

#include "formats/gguf/gguf.h"
#include "tokenizer/spm.h"
#include "tokenizer/tokenizer.h"

static const char k_fixed_tokenizer[] =
    "{\"added_tokens\":[{\"id\":5,\"content\":\"<|end|>\",\"special\":true,"
    "\"normalized\":false},{\"id\":6,\"content\":\"<x>\",\"special\":false,"
    "\"normalized\":false}],\"pre_tokenizer\":{\"type\":\"ByteLevel\","
    "\"add_prefix_space\":false,\"trim_offsets\":true,\"use_regex\":true},"
    "\"post_processor\":{\"type\":\"TemplateProcessing\",\"single\":["
    "{\"SpecialToken\":{\"id\":\"<|end|>\"}},{\"Sequence\":{\"id\":\"A\"}}],"
    "\"pair\":[]},\"decoder\":{\"type\":\"ByteLevel\"},\"model\":{\"type\":"
    "\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"ab\":2,\"\\u0120\":3,\"\\u0120a\":4},"
    "\"merges\":[\"a b\",[\"\\u0120\",\"a\"]]}}";

static json_t *parse(const uint8_t *d, size_t n) {
  json_t *j = NULL;
  if (tp_tokenizer_json_parse((const char *)d, n, "fuzz", &j) != TP_OK) return NULL;
  return j;
}

static void check_export(const tp_metastore *out) {
  const tp_value *tok;
  size_t i = tp_meta_find(out, "tokenizer.ggml.tokens", 21);
  tp_hf_tokenizer_files f;
  tp_status st;
  check(tp_gguf_check_meta(out, TP_EFORMAT) == TP_OK);
  check(i != SIZE_MAX);
  tok = &out->items[i].val;
  check(tok->type == TP_VALUE_ARRAY && tok->elem_type == TP_VALUE_STRING);
  /* the way back on the exported metadata */
  memset(&f, 0, sizeof f);
  st = tp_tokenizer_from_gguf(out, "llama", &f);
  if (st == TP_OK) {
    json_t *j = NULL;
    /* jansson cannot hold a NUL in an object key (a token "\u0000" in the
     * vocabulary object is valid JSON for tokenizers and Python) */
    if (!strstr(f.tokenizer_json, "\\u0000")) {
      check(tp_tokenizer_json_parse(f.tokenizer_json, f.tokenizer_json_len, "back", &j) == TP_OK);
      json_decref(j);
    }
    check(tp_tokenizer_json_parse(f.tokenizer_config, f.tokenizer_config_len, "back", &j) == TP_OK);
    json_decref(j);
    check(tp_tokenizer_json_parse(f.special_tokens_map, f.special_tokens_map_len, "back", &j) == TP_OK);
    json_decref(j);
  } else {
    check(st == TP_EFORMAT || st == TP_EUNSUPPORTED || st == TP_ELIMIT ||
          st == TP_ENOMEM);
    check(f.tokenizer_json == NULL);
  }
  tp_hf_tokenizer_files_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tp_hf_tokenizer_input in;
  tp_metastore out;
  json_t *file = NULL, *fixed = NULL, *cfg = NULL;
  unsigned mode;
  tp_status st;
  if (!size) return 0;
  mode = data[0] % 7;
  data++;
  size--;
  memset(&in, 0, sizeof in);
  in.dir = "fuzz";
  switch (mode) {
  case 0: {
    tp_spm_model m;
    if (tp_spm_parse(data, size, &m) == TP_OK) {
      size_t i;
      for (i = 0; i < m.n; i++) check(m.pieces[i].piece.len > 0);
      tp_spm_free(&m);
    }
    in.arch = "llama";
    in.spm_model = data;
    in.spm_model_len = size;
    cfg = json_pack("{s:i}", "vocab_size", 300);
    in.config = cfg;
    break;
  }
  case 1: case 2: case 3: case 4:
    file = parse(data, size);
    if (!file) return 0;
    in.tokenizer_json = file;
    in.arch = mode == 3 ? "bert" : mode == 4 ? "llama" : "qwen2";
    if (mode == 2) in.pre_override = "qwen2";
    break;
  case 5: case 6:
    file = parse(data, size);
    if (!file) return 0;
    fixed = parse((const uint8_t *)k_fixed_tokenizer, sizeof k_fixed_tokenizer - 1);
    check(fixed != NULL);
    in.tokenizer_json = fixed;
    in.arch = "qwen2";
    if (mode == 5)
      in.tokenizer_config = file;
    else
      in.config = file;
    break;
  }
  tp_meta_init(&out);
  st = tp_tokenizer_to_gguf(&in, &out);
  if (st == TP_OK)
    check_export(&out);
  else
    check(out.n == 0 || st == TP_ENOMEM);
  tp_meta_free(&out);
  json_decref(file);
  json_decref(fixed);
  json_decref(cfg);
  return 0;
}
