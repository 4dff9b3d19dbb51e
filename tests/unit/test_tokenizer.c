/*
 * test_tokenizer.c - unit tests of src/tokenizer/ on small hand-made inputs:
 * the SentencePiece model parser (what sentencepiece's loader accepts and
 * refuses), each vocabulary export (SentencePiece with padding and added
 * tokens, GPT-2 BPE with both merge forms and merges.txt, WordPiece with the
 * phantom space, llama-hf), SpecialVocab's rules (lookup order, the
 * TemplateProcessing inference, out-of-range ids, chat templates as string
 * and named list, normalizer flags, key order and in-place overwrites),
 * the pre-tokenizer table and its override, the malformed-input refusals
 * (bad ids, merges naming unknown tokens, duplicate tokens, huge counts,
 * wrong JSON types, a vocabulary that does not fit the embedding) and the
 * way back (tp_tokenizer_from_gguf).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/protobuf.h"
#include "formats/gguf/gguf.h"
#include "tokenizer/spm.h"
#include "tokenizer/tokenizer.h"

/* ---- a protobuf writer for hand-made SentencePiece models ------------------ */

typedef struct pbuf {
  uint8_t d[1 << 16];
  size_t n;
} pbuf;

static void pb_varint(pbuf *b, uint64_t v) {
  do {
    uint8_t c = (uint8_t)(v & 0x7f);
    v >>= 7;
    b->d[b->n++] = (uint8_t)(c | (v ? 0x80 : 0));
  } while (v);
}

static void pb_tag(pbuf *b, unsigned field, unsigned wire) {
  pb_varint(b, ((uint64_t)field << 3) | wire);
}

static void pb_bytes(pbuf *b, unsigned field, const void *p, size_t n) {
  pb_tag(b, field, 2);
  pb_varint(b, n);
  memcpy(b->d + b->n, p, n);
  b->n += n;
}

static void pb_str(pbuf *b, unsigned field, const char *s) {
  pb_bytes(b, field, s, strlen(s));
}

static void pb_f32(pbuf *b, unsigned field, float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  pb_tag(b, field, 5);
  b->d[b->n++] = (uint8_t)u;
  b->d[b->n++] = (uint8_t)(u >> 8);
  b->d[b->n++] = (uint8_t)(u >> 16);
  b->d[b->n++] = (uint8_t)(u >> 24);
}

static void pb_u(pbuf *b, unsigned field, uint64_t v) {
  pb_tag(b, field, 0);
  pb_varint(b, v);
}

/* ModelProto.pieces entry */
static void piece(pbuf *m, const char *p, float score, int type) {
  pbuf e;
  e.n = 0;
  pb_str(&e, 1, p);
  pb_f32(&e, 2, score);
  if (type) pb_u(&e, 3, (uint64_t)type);
  pb_bytes(m, 1, e.d, e.n);
}

/* unk, <s>, </s>, a user-defined and a control piece, then "a", "b", "ab" */
static void small_model(pbuf *m) {
  m->n = 0;
  piece(m, "<unk>", 0, 2);
  piece(m, "<s>", 0, 3);
  piece(m, "</s>", 0, 3);
  piece(m, "<u>", 0, 4);
  piece(m, "\xe2\x96\x81" "a", -1.5f, 1);
  piece(m, "b", -2.0f, 0);
  piece(m, "ab", -3.0f, 9); /* unknown enum value: NORMAL */
}

/* ---- helpers ------------------------------------------------------------------ */

/* assert_int_equal(x, TP_OK) that shows the library's message */
#define assert_ok(x)                                                     \
  do {                                                                   \
    tp_status st_ = (x);                                                 \
    if (st_ != TP_OK) fail_msg("%s: status %d: %s", #x, (int)st_,         \
                               tp_last_error());                         \
  } while (0)

static json_t *js(const char *text) {
  json_t *j = NULL;
  assert_int_equal(tp_tokenizer_json_parse(text, strlen(text), "test", &j), TP_OK);
  return j;
}

static const tp_value *kv(const tp_metastore *m, const char *key) {
  size_t i = tp_meta_find(m, key, strlen(key));
  return i == SIZE_MAX ? NULL : &m->items[i].val;
}

static void expect_str(const tp_metastore *m, const char *key, const char *want) {
  const tp_value *v = kv(m, key);
  if (!v) fail_msg("missing %s", key);
  assert_int_equal(v->type, TP_VALUE_STRING);
  assert_int_equal(v->v.s.len, strlen(want));
  assert_memory_equal(v->v.s.data, want, v->v.s.len);
}

static void expect_u32(const tp_metastore *m, const char *key, uint32_t want) {
  const tp_value *v = kv(m, key);
  if (!v) fail_msg("missing %s", key);
  assert_int_equal(v->type, TP_VALUE_U32);
  assert_int_equal(v->v.u, want);
}

static void expect_bool(const tp_metastore *m, const char *key, bool want) {
  const tp_value *v = kv(m, key);
  if (!v) fail_msg("missing %s", key);
  assert_int_equal(v->type, TP_VALUE_BOOL);
  assert_int_equal(v->v.u, want);
}

static const tp_string *tokens(const tp_metastore *m, size_t *n) {
  const tp_value *v = kv(m, "tokenizer.ggml.tokens");
  assert_non_null(v);
  assert_int_equal(v->elem_type, TP_VALUE_STRING);
  *n = (size_t)v->count;
  return (const tp_string *)v->v.array;
}

static const int32_t *types(const tp_metastore *m) {
  const tp_value *v = kv(m, "tokenizer.ggml.token_type");
  assert_non_null(v);
  assert_int_equal(v->elem_type, TP_VALUE_I32);
  return (const int32_t *)v->v.array;
}

static void expect_token(const tp_string *t, size_t i, const char *want) {
  if (t[i].len != strlen(want) || memcmp(t[i].data, want, t[i].len))
    fail_msg("token %zu is \"%.*s\" vs \"%s\"", i, (int)t[i].len, t[i].data, want);
}

/* The keys of m in order, joined with spaces, compared with want. */
static void expect_order(const tp_metastore *m, const char *want) {
  char buf[4096];
  size_t i, o = 0;
  for (i = 0; i < m->n && o < sizeof buf - 200; i++)
    o += (size_t)snprintf(buf + o, sizeof buf - o, "%s%s", i ? " " : "", m->items[i].key);
  buf[o] = 0;
  if (strcmp(buf, want)) fail_msg("keys:\n  %s\nvs\n  %s", buf, want);
}

static void expect_error(tp_status got, tp_status want, const char *needle) {
  if (got != want)
    fail_msg("status %d vs %d (message \"%s\", wanted \"%s\")", (int)got,
             (int)want, tp_last_error(), needle);
  if (!strstr(tp_last_error(), needle))
    fail_msg("message \"%s\" lacks \"%s\"", tp_last_error(), needle);
}

static tp_hf_tokenizer_input base_input(const char *arch) {
  tp_hf_tokenizer_input in;
  memset(&in, 0, sizeof in);
  in.dir = "m";
  in.arch = arch;
  return in;
}

/* A byte-level BPE tokenizer.json: vocab a b ab Ġ Ġa y Ġy (ids 0-6), the
 * merges given, the Qwen2 pre-tokenizer, and added tokens <|end|> (special,
 * id 7), <x> (8) and Ġy (already in the vocabulary: its id stays 6). */
#define QWEN2_PRE                                                            \
  "{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":" \
  "{\"Regex\":\"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?"   \
  "\\\\p{L}+|\\\\p{N}| ?[^\\\\s\\\\p{L}\\\\p{N}]+[\\\\r\\\\n]*|\\\\s*[\\\\r\\\\n]+" \
  "|\\\\s+(?!\\\\S)|\\\\s+\"},\"behavior\":\"Isolated\",\"invert\":false},"     \
  "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":false,"  \
  "\"use_regex\":false}]}"

static char *bpe_json(const char *merges, const char *pre, const char *post) {
  char *s = malloc(8192);
  assert_non_null(s);
  snprintf(s, 8192,
           "{\"version\":\"1.0\",\"added_tokens\":["
           "{\"id\":7,\"content\":\"<|end|>\",\"special\":true,\"normalized\":false},"
           "{\"id\":8,\"content\":\"<x>\",\"special\":false,\"normalized\":false},"
           "{\"id\":99,\"content\":\"\\u0120y\",\"special\":false,\"normalized\":false}],"
           "\"pre_tokenizer\":%s,\"post_processor\":%s,"
           "\"decoder\":{\"type\":\"ByteLevel\",\"add_prefix_space\":true,"
           "\"trim_offsets\":true,\"use_regex\":true},"
           "\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"ab\":2,"
           "\"\\u0120\":3,\"\\u0120a\":4,\"y\":5,\"\\u0120y\":6},\"merges\":%s}}",
           pre, post, merges);
  return s;
}

/* ---- SentencePiece model ----------------------------------------------------------- */

static void test_spm_parse_fields(void **state) {
  pbuf m, t, nrm;
  tp_spm_model sp;
  (void)state;
  small_model(&m);
  t.n = 0;
  pb_u(&t, 3, 2);  /* model_type BPE */
  pb_u(&t, 35, 0); /* byte_fallback false */
  pb_u(&t, 40, 0);
  pb_u(&t, 43, (uint64_t)-1); /* pad_id -1 on ten bytes */
  pb_str(&t, 46, "<s>");
  pb_bytes(&m, 2, t.d, t.n);
  nrm.n = 0;
  pb_str(&nrm, 1, "identity");
  pb_u(&nrm, 3, 0); /* add_dummy_prefix false */
  pb_bytes(&m, 3, nrm.d, nrm.n);
  assert_ok(tp_spm_parse(m.d, m.n, &sp));
  assert_int_equal(sp.n, 7);
  assert_int_equal(sp.model_type, TP_SPM_BPE);
  assert_int_equal(sp.pad_id, -1);
  assert_false(sp.add_dummy_prefix);
  assert_true(sp.remove_extra_whitespaces);
  assert_true(sp.has_normalizer_spec);
  assert_int_equal(sp.pieces[0].type, TP_SPM_UNKNOWN);
  assert_int_equal(sp.pieces[5].type, TP_SPM_NORMAL); /* type absent */
  assert_int_equal(sp.pieces[6].type, TP_SPM_NORMAL); /* type 9 */
  assert_true(sp.pieces[4].score == -1.5f);
  assert_memory_equal(sp.pieces[4].piece.data, "\xe2\x96\x81" "a", 4);
  /* zero copy: pieces point into the buffer */
  assert_true((const uint8_t *)sp.pieces[1].piece.data > m.d &&
              (const uint8_t *)sp.pieces[1].piece.data < m.d + m.n);
  tp_spm_free(&sp);
  tp_spm_free(NULL);
}

static void spm_refused(pbuf *m, const char *needle) {
  tp_spm_model sp;
  expect_error(tp_spm_parse(m->d, m->n, &sp), TP_EFORMAT, needle);
  assert_null(sp.pieces);
}

static void test_spm_refusals(void **state) {
  pbuf m, t;
  (void)state;
  m.n = 0;
  piece(&m, "a", 0, 1);
  spm_refused(&m, "no UNKNOWN piece");
  small_model(&m);
  piece(&m, "b", 0, 1);
  spm_refused(&m, "defined twice (first at 5)");
  small_model(&m);
  piece(&m, "", 0, 1);
  spm_refused(&m, "empty piece");
  small_model(&m);
  piece(&m, "<unk2>", 0, 2);
  spm_refused(&m, "a second UNKNOWN piece");
  small_model(&m);
  piece(&m, "<0x41>", 0, 6);
  spm_refused(&m, "byte_fallback is false");
  small_model(&m);
  t.n = 0;
  pb_u(&t, 35, 1);
  pb_bytes(&m, 2, t.d, t.n);
  piece(&m, "<0x4g>", 0, 6);
  spm_refused(&m, "is not <0xXX>");
  small_model(&m);
  pb_bytes(&m, 2, t.d, t.n);
  piece(&m, "<0x41>", 0, 6);
  spm_refused(&m, "needs 256 BYTE pieces (1 vs 256)");
  small_model(&m);
  piece(&m, "\xff\xfe", 0, 1);
  spm_refused(&m, "not UTF-8");
  /* a score with the wrong wire type (sentencepiece's parser fails too) */
  {
    pbuf e;
    small_model(&m);
    e.n = 0;
    pb_str(&e, 1, "c");
    pb_u(&e, 2, 1);
    pb_bytes(&m, 1, e.d, e.n);
    spm_refused(&m, "field 2 (score): wire type VARINT vs I32");
  }
  /* truncated in the middle of a piece */
  small_model(&m);
  m.n -= 3;
  spm_refused(&m, "runs past the end");
  /* a group at the top level */
  small_model(&m);
  pb_tag(&m, 7, 3);
  spm_refused(&m, "SGROUP");
}

/* ---- SentencePiece export ------------------------------------------------------------ */

static void test_export_sentencepiece(void **state) {
  pbuf m;
  tp_metastore out;
  tp_hf_tokenizer_input in = base_input("llama");
  json_t *cfg = js("{\"vocab_size\": 10, \"bos_token_id\": 1, \"eos_token_id\": 2}");
  json_t *tc = js(
      "{\"add_bos_token\": true, \"add_eos_token\": false, \"add_prefix_space\": true,"
      " \"bos_token\": \"<s>\", \"model_max_length\": 1000000000000000019884624838656,"
      " \"added_tokens_decoder\": {"
      "  \"7\": {\"content\": \"<|im_start|>\", \"special\": false},"
      "  \"8\": {\"content\": \"\\u2581\\u2581x\", \"special\": false},"
      "  \"12\": {\"content\": \"<far>\", \"special\": true}},"
      " \"chat_template\": \"T\"}");
  json_t *at = js("{\"<added>\": 9, \"<too_far>\": 99}");
  json_t *tj = js("{\"added_tokens\": [{\"id\": 1, \"content\": \"<s>\"}]}");
  size_t n;
  const tp_string *t;
  const int32_t *ty;
  const tp_value *scores;
  (void)state;
  small_model(&m);
  in.spm_model = m.d;
  in.spm_model_len = m.n;
  in.config = cfg;
  in.tokenizer_config = tc;
  in.added_tokens = at;
  in.tokenizer_json = tj;
  tp_meta_init(&out);
  assert_ok(tp_tokenizer_to_gguf(&in, &out));
  expect_order(&out,
               "tokenizer.ggml.add_space_prefix tokenizer.ggml.model "
               "tokenizer.ggml.pre tokenizer.ggml.tokens tokenizer.ggml.scores "
               "tokenizer.ggml.token_type tokenizer.ggml.bos_token_id "
               "tokenizer.ggml.eos_token_id tokenizer.ggml.add_bos_token "
               "tokenizer.ggml.add_eos_token tokenizer.chat_template");
  expect_str(&out, "tokenizer.ggml.model", "llama");
  expect_str(&out, "tokenizer.ggml.pre", "default");
  expect_bool(&out, "tokenizer.ggml.add_space_prefix", true);
  t = tokens(&out, &n);
  ty = types(&out);
  assert_int_equal(n, 10);
  expect_token(t, 0, "<unk>");
  assert_int_equal(ty[0], 2);
  assert_int_equal(ty[1], 3);
  assert_int_equal(ty[3], 1); /* user-defined piece: NORMAL */
  expect_token(t, 7, "<|im_start|>");
  assert_int_equal(ty[7], 3); /* not special, but looks special */
  expect_token(t, 8, "  x");  /* U+2581 as spaces for user-defined ones */
  assert_int_equal(ty[8], 4);
  expect_token(t, 9, "<added>");
  assert_int_equal(ty[9], 4);
  scores = kv(&out, "tokenizer.ggml.scores");
  assert_int_equal(scores->elem_type, TP_VALUE_F32);
  assert_true(((const float *)scores->v.array)[4] == -1.5f);
  assert_true(((const float *)scores->v.array)[7] == -1000.0f);
  /* no UNKNOWN key: unk_token is not in tokenizer_config */
  assert_null(kv(&out, "tokenizer.ggml.unknown_token_id"));
  expect_u32(&out, "tokenizer.ggml.bos_token_id", 1);
  expect_str(&out, "tokenizer.chat_template", "T");
  assert_int_equal(tp_gguf_check_meta(&out, TP_EINVAL), TP_OK);
  tp_meta_free(&out);

  /* padding: [PAD<i>] with score -10000 and type UNUSED */
  json_decref(cfg);
  cfg = js("{\"vocab_size\": 12}");
  in.config = cfg;
  tp_meta_init(&out);
  assert_ok(tp_tokenizer_to_gguf(&in, &out));
  t = tokens(&out, &n);
  assert_int_equal(n, 12);
  expect_token(t, 10, "[PAD10]");
  assert_int_equal(types(&out)[10], 5);
  expect_token(t, 11, "[PAD11]");
  tp_meta_free(&out);

  /* the embedding must have one row per token */
  in.n_vocab = 11;
  tp_meta_init(&out);
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EFORMAT,
               "the vocabulary has 12 tokens but the token embedding has 11 rows");
  assert_int_equal(out.n, 0);
  tp_meta_free(&out);
  json_decref(cfg);
  json_decref(tc);
  json_decref(at);
  json_decref(tj);
}

static void test_export_gemma_extras(void **state) {
  pbuf m;
  tp_metastore out;
  tp_hf_tokenizer_input in = base_input("gemma");
  (void)state;
  small_model(&m);
  in.spm_model = m.d;
  in.spm_model_len = m.n;
  tp_meta_init(&out);
  assert_ok(tp_tokenizer_to_gguf(&in, &out));
  /* Gemma's forced FIM ids: only eot has a key, and it is written even
   * out of the vocabulary (the second SpecialVocab has no n_vocab) */
  expect_u32(&out, "tokenizer.ggml.eot_token_id", 107);
  expect_bool(&out, "tokenizer.ggml.add_space_prefix", false);
  assert_null(kv(&out, "tokenizer.ggml.prefix_token_id"));
  tp_meta_free(&out);
  in.arch = "gemma2";
  tp_meta_init(&out);
  assert_ok(tp_tokenizer_to_gguf(&in, &out));
  assert_null(kv(&out, "tokenizer.ggml.eot_token_id"));
  expect_bool(&out, "tokenizer.ggml.add_space_prefix", false);
  tp_meta_free(&out);
  /* gemma3 without tokenizer.model: the GPT-2 path needs tokenizer.json */
  in.arch = "gemma3";
  in.spm_model = NULL;
  in.spm_model_len = 0;
  tp_meta_init(&out);
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_ENOTFOUND, "tokenizer.json");
  tp_meta_free(&out);
}

static void test_export_phi3(void **state) {
  pbuf m;
  tp_metastore out;
  tp_hf_tokenizer_input in = base_input("phi3");
  json_t *tc = js("{\"tokenizer_class\": \"LlamaTokenizer\", \"added_tokens_decoder\":"
                  " {\"7\": {\"content\": \"<|end|>\", \"special\": true}}}");
  json_t *tj = js("{\"added_tokens\": [{\"id\": 8, \"content\": \"<|user|>\","
                  " \"special\": false}]}");
  json_t *cfg = js("{\"vocab_size\": 9}");
  const int32_t *ty;
  (void)state;
  small_model(&m);
  in.spm_model = m.d;
  in.spm_model_len = m.n;
  in.tokenizer_config = tc;
  in.tokenizer_json = tj;
  in.config = cfg;
  tp_meta_init(&out);
  assert_ok(tp_tokenizer_to_gguf(&in, &out));
  ty = types(&out);
  assert_int_equal(ty[7], 3);
  assert_int_equal(ty[8], 4); /* no special-looking heuristic for Phi-3 */
  assert_null(kv(&out, "tokenizer.ggml.add_space_prefix"));
  tp_meta_free(&out);
  /* an added token past vocab_size is an error here (the reference
   * indexes its list with it) */
  json_decref(cfg);
  cfg = js("{\"vocab_size\": 8}");
  in.config = cfg;
  tp_meta_init(&out);
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EFORMAT, "past the vocabulary");
  tp_meta_free(&out);
  /* Phi-3's converter reads tokenizer_class */
  json_decref(tc);
  tc = js("{}");
  in.tokenizer_config = tc;
  tp_meta_init(&out);
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EFORMAT, "no tokenizer_class");
  tp_meta_free(&out);
  json_decref(tc);
  json_decref(tj);
  json_decref(cfg);
}

/* ---- GPT-2 export --------------------------------------------------------------------- */

static void test_export_gpt2(void **state) {
  char *text = bpe_json("[[\"a\",\"b\"],[\"\\u0120\",\"a\"],[\"\\u0120\",\"y\"]]", QWEN2_PRE,
                        "{\"type\":\"ByteLevel\"}");
  json_t *tj = js(text);
  json_t *tc = js("{\"eos_token\": \"<|end|>\", \"pad_token\": {\"content\": \"<|end|>\"},"
                  " \"add_bos_token\": true, \"chat_template\": ["
                  "{\"name\": \"default\", \"template\": \"D\"},"
                  "{\"name\": \"tool use\", \"template\": \"U\"},"
                  "{\"name\": \"rag\", \"template\": \"R\"},"
                  "{\"name\": \"\", \"template\": \"ignored\"},"
                  "{\"name\": \"rag\", \"template\": \"R2\"}]}");
  json_t *cfg = js("{\"vocab_size\": 12, \"bos_token_id\": 0, \"unk_token_id\": 99}");
  tp_hf_tokenizer_input in = base_input("qwen2");
  tp_metastore out;
  size_t n;
  const tp_string *t;
  const int32_t *ty;
  const tp_value *mg, *names;
  (void)state;
  in.tokenizer_json = tj;
  in.tokenizer_config = tc;
  in.config = cfg;
  tp_meta_init(&out);
  assert_ok(tp_tokenizer_to_gguf(&in, &out));
  expect_order(&out,
               "tokenizer.ggml.model tokenizer.ggml.pre tokenizer.ggml.tokens "
               "tokenizer.ggml.token_type tokenizer.ggml.merges "
               "tokenizer.ggml.eos_token_id tokenizer.ggml.padding_token_id "
               "tokenizer.ggml.bos_token_id tokenizer.ggml.unknown_token_id "
               "tokenizer.ggml.add_bos_token tokenizer.ggml.add_eos_token "
               "tokenizer.chat_template.tool_use tokenizer.chat_template.rag "
               "tokenizer.chat_templates tokenizer.chat_template");
  expect_str(&out, "tokenizer.ggml.model", "gpt2");
  expect_str(&out, "tokenizer.ggml.pre", "qwen2");
  t = tokens(&out, &n);
  ty = types(&out);
  assert_int_equal(n, 12);
  expect_token(t, 2, "ab");
  assert_int_equal(ty[2], 1);
  expect_token(t, 7, "<|end|>");
  assert_int_equal(ty[7], 3);
  expect_token(t, 8, "<x>");
  assert_int_equal(ty[8], 4);
  /* a non-normalized added token is decoded: U+0120 "y" -> " y"; its id is
   * the vocabulary's (the file's 99 is ignored, as tokenizers does) */
  expect_token(t, 6, " y");
  assert_int_equal(ty[6], 4);
  expect_token(t, 10, "[PAD10]");
  assert_int_equal(ty[10], 5);
  mg = kv(&out, "tokenizer.ggml.merges");
  assert_int_equal(mg->count, 3);
  /* config.json's ids are checked against nothing (no n_vocab for gpt2) */
  expect_u32(&out, "tokenizer.ggml.unknown_token_id", 99);
  expect_u32(&out, "tokenizer.ggml.eos_token_id", 7);
  expect_u32(&out, "tokenizer.ggml.padding_token_id", 7);
  /* the ByteLevel post-processor defaults add_bos to false before
   * tokenizer_config is read, and the post-processor wins */
  expect_bool(&out, "tokenizer.ggml.add_bos_token", false);
  expect_str(&out, "tokenizer.chat_template.tool_use", "U");
  expect_str(&out, "tokenizer.chat_template.rag", "R2");
  expect_str(&out, "tokenizer.chat_template", "D");
  names = kv(&out, "tokenizer.chat_templates");
  assert_int_equal(names->count, 2);
  assert_int_equal(tp_gguf_check_meta(&out, TP_EINVAL), TP_OK);
  tp_meta_free(&out);
  json_decref(tj);
  free(text);

  /* the old merges form, and spaces in the pair form spelled U+0120 */
  text = bpe_json("[\"a b\", \"\\u0120 a\"]", QWEN2_PRE, "null");
  tj = js(text);
  in.tokenizer_json = tj;
  tp_meta_init(&out);
  assert_ok(tp_tokenizer_to_gguf(&in, &out));
  mg = kv(&out, "tokenizer.ggml.merges");
  assert_int_equal(mg->count, 2);
  assert_memory_equal(((const tp_string *)mg->v.array)[1].data, "\xc4\xa0 a", 4);
  tp_meta_free(&out);
  json_decref(tj);
  free(text);

  /* merges.txt when tokenizer.json has none: #version skipped, bad lines
   * skipped */
  text = bpe_json("[]", QWEN2_PRE, "null");
  tj = js(text);
  in.tokenizer_json = tj;
  in.merges_txt = "#version: 0.2\r\na b\r\n\nbad line here\n\xc4\xa0 a\n";
  in.merges_txt_len = strlen(in.merges_txt);
  tp_meta_init(&out);
  assert_ok(tp_tokenizer_to_gguf(&in, &out));
  mg = kv(&out, "tokenizer.ggml.merges");
  assert_int_equal(mg->count, 2);
  assert_memory_equal(((const tp_string *)mg->v.array)[0].data, "a b", 3);
  tp_meta_free(&out);
  /* no merges anywhere: llama.cpp would refuse the file */
  in.merges_txt = NULL;
  in.merges_txt_len = 0;
  tp_meta_init(&out);
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EFORMAT, "llama.cpp needs the merges");
  tp_meta_free(&out);
  json_decref(tj);
  free(text);
  json_decref(tc);
  json_decref(cfg);
}

static void test_export_gpt2_malformed(void **state) {
  tp_hf_tokenizer_input in = base_input("qwen2");
  tp_metastore out;
  size_t nkeys;
  char *text;
  json_t *tj;
  (void)state;
  tp_meta_init(&out);
  /* merges naming unknown tokens, or merging into one */
  text = bpe_json("[[\"a\",\"zz\"]]", QWEN2_PRE, "null");
  tj = js(text);
  in.tokenizer_json = tj;
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EFORMAT,
               "model.merges[0] names \"zz\", which is not in model.vocab");
  json_decref(tj);
  free(text);
  text = bpe_json("[[\"b\",\"a\"]]", QWEN2_PRE, "null");
  tj = js(text);
  in.tokenizer_json = tj;
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EFORMAT,
               "the merged token \"ba\" is not in model.vocab");
  json_decref(tj);
  free(text);
  /* an unknown pre-tokenizer: the pattern and the override are named */
  text = bpe_json("[[\"a\",\"b\"]]",
                  "{\"type\":\"Split\",\"pattern\":{\"Regex\":\"x\\ny\"},"
                  "\"behavior\":\"Removed\",\"invert\":false}", "null");
  tj = js(text);
  in.tokenizer_json = tj;
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EUNSUPPORTED,
               "unknown pattern Split(Regex \"x\\ny\", behavior=Removed, "
               "invert=false); name llama.cpp's pre-tokenizer with "
               "--tokenizer-pre NAME");
  /* ... which the override fixes, if llama.cpp knows the name */
  in.pre_override = "smollm";
  assert_ok(tp_tokenizer_to_gguf(&in, &out));
  expect_str(&out, "tokenizer.ggml.pre", "smollm");
  nkeys = out.n;
  in.pre_override = "bert-bge"; /* a WordPiece name: not for gpt2 */
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EINVAL,
               "--tokenizer-pre bert-bge: not a pre-tokenizer name llama.cpp knows");
  in.pre_override = "no-such-pre";
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EINVAL, "no-such-pre");
  in.pre_override = NULL;
  json_decref(tj);
  free(text);
  /* two tokens with one id */
  tj = js("{\"pre_tokenizer\":" QWEN2_PRE ",\"model\":{\"type\":\"BPE\","
          "\"vocab\":{\"a\":0,\"b\":0},\"merges\":[]}}");
  in.tokenizer_json = tj;
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EFORMAT, "both have id 0");
  json_decref(tj);
  /* bad ids and wrong JSON types */
  tj = js("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":-1},\"merges\":[]}}");
  in.tokenizer_json = tj;
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EFORMAT, "non-negative integer id");
  json_decref(tj);
  tj = js("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":\"0\"},\"merges\":[]}}");
  in.tokenizer_json = tj;
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EFORMAT, "non-negative integer id");
  json_decref(tj);
  tj = js("{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":4194304},\"merges\":[]}}");
  in.tokenizer_json = tj;
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_ELIMIT, "id 4194304");
  json_decref(tj);
  tj = js("{\"model\":{\"type\":\"BPE\",\"vocab\":[1,2],\"merges\":[]}}");
  in.tokenizer_json = tj;
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EFORMAT, "[piece, score] pair");
  json_decref(tj);
  tj = js("{\"added_tokens\": {\"a\": 1}, \"model\":{\"type\":\"BPE\",\"vocab\":{},"
          "\"merges\":[]}}");
  in.tokenizer_json = tj;
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EFORMAT, "added_tokens is not a list");
  json_decref(tj);
  tj = js("[1]");
  in.tokenizer_json = tj;
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EFORMAT, "not a JSON object");
  json_decref(tj);
  /* ids past config's vocab_size: both numbers named */
  {
    json_t *cfg = js("{\"vocab_size\": 3}");
    text = bpe_json("[[\"a\",\"b\"]]", QWEN2_PRE, "null");
    tj = js(text);
    in.tokenizer_json = tj;
    in.config = cfg;
    expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EFORMAT,
                 "the tokenizer has token id 8 but the vocabulary has 3 ids");
    json_decref(cfg);
    cfg = js("{\"vocab_size\": 100000000}");
    in.config = cfg;
    expect_error(tp_tokenizer_to_gguf(&in, &out), TP_ELIMIT, "vocab_size 100000000");
    in.config = NULL;
    json_decref(cfg);
    json_decref(tj);
    free(text);
  }
  /* an architecture nobody covers */
  in.tokenizer_json = NULL;
  in.arch = "mamba";
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EUNSUPPORTED, "\"mamba\"");
  /* the failures appended nothing */
  assert_int_equal(out.n, nkeys);
  tp_meta_free(&out);
}

static void test_special_vocab_rules(void **state) {
  /* TemplateProcessing: BOS first, EOS last, and a pair with a separator;
   * cls/sep standing in for bos/eos; out-of-range and negative ids */
  const char *post =
      "{\"type\":\"TemplateProcessing\","
      "\"single\":[{\"SpecialToken\":{\"id\":\"a\"}},{\"Sequence\":{\"id\":\"A\"}},"
      "{\"SpecialToken\":{\"id\":\"<|end|>\"}}],"
      "\"pair\":[{\"SpecialToken\":{\"id\":\"a\"}},{\"Sequence\":{\"id\":\"A\"}},"
      "{\"SpecialToken\":{\"id\":\"<|end|>\"}},{\"Sequence\":{\"id\":\"B\"}},"
      "{\"SpecialToken\":{\"id\":\"<|end|>\"}}]}";
  char *text = bpe_json("[[\"a\",\"b\"]]", QWEN2_PRE, post);
  json_t *tj = js(text);
  json_t *tc = js("{\"cls_token\": \"a\", \"sep_token\": \"<x>\", \"eos_token\": \"<x>\","
                  " \"add_eos_token\": false, \"unk_token\": \"<not added>\"}");
  json_t *cfg = js("{\"text_config\": {\"pad_token_id\": 6}, \"mask_token_id\": null}");
  tp_hf_tokenizer_input in = base_input("qwen2");
  tp_metastore out;
  (void)state;
  in.tokenizer_json = tj;
  in.tokenizer_config = tc;
  in.config = cfg;
  tp_meta_init(&out);
  assert_ok(tp_tokenizer_to_gguf(&in, &out));
  /* bos from cls; the template's last token replaced eos (old eos -> eot) */
  /* bos became "a" (cls), which is no added token: no id */
  assert_null(kv(&out, "tokenizer.ggml.bos_token_id"));
  expect_u32(&out, "tokenizer.ggml.eos_token_id", 7);
  expect_u32(&out, "tokenizer.ggml.seperator_token_id", 8);
  expect_u32(&out, "tokenizer.ggml.eot_token_id", 8);
  expect_u32(&out, "tokenizer.ggml.padding_token_id", 6); /* from text_config */
  assert_null(kv(&out, "tokenizer.ggml.unknown_token_id")); /* not an added token */
  expect_bool(&out, "tokenizer.ggml.add_bos_token", true);
  expect_bool(&out, "tokenizer.ggml.add_eos_token", true); /* post-processor wins */
  expect_bool(&out, "tokenizer.ggml.add_sep_token", false);
  expect_order(&out,
               "tokenizer.ggml.model tokenizer.ggml.pre tokenizer.ggml.tokens "
               "tokenizer.ggml.token_type tokenizer.ggml.merges "
               "tokenizer.ggml.eos_token_id "
               "tokenizer.ggml.seperator_token_id tokenizer.ggml.eot_token_id "
               "tokenizer.ggml.padding_token_id tokenizer.ggml.add_bos_token "
               "tokenizer.ggml.add_eos_token tokenizer.ggml.add_sep_token");
  tp_meta_free(&out);
  json_decref(cfg);
  /* a negative id refuses the file (the reference raises) */
  cfg = js("{\"pad_token_id\": -1}");
  in.config = cfg;
  tp_meta_init(&out);
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EFORMAT, "pad token id -1 is negative");
  tp_meta_free(&out);
  json_decref(cfg);
  json_decref(tc);
  json_decref(tj);
  free(text);
}

static void test_codellama_and_granite(void **state) {
  pbuf m;
  tp_metastore out;
  tp_hf_tokenizer_input in = base_input("llama");
  json_t *cfg = js("{\"vocab_size\": 32016}");
  (void)state;
  small_model(&m);
  in.spm_model = m.d;
  in.spm_model_len = m.n;
  in.config = cfg;
  tp_meta_init(&out);
  assert_ok(tp_tokenizer_to_gguf(&in, &out));
  expect_u32(&out, "tokenizer.ggml.eot_token_id", 32010);
  tp_meta_free(&out);
  json_decref(cfg);
  cfg = js("{\"vocab_size\": 49152}");
  in.config = cfg;
  tp_meta_init(&out);
  assert_ok(tp_tokenizer_to_gguf(&in, &out));
  expect_bool(&out, "tokenizer.ggml.add_bos_token", false);
  tp_meta_free(&out);
  json_decref(cfg);
}

static void test_export_llama_hf(void **state) {
  /* a BPE tokenizer.json with byte fallback and a Sequence decoder, no
   * tokenizer.model: _set_vocab_llama_hf (scores -1000, byte tokens,
   * special ids CONTROL, added tokens past the base vocabulary) */
  json_t *tj = js(
      "{\"added_tokens\":[{\"id\":1,\"content\":\"<s>\",\"special\":true},"
      "{\"id\":4,\"content\":\"<extra>\",\"special\":false}],"
      "\"decoder\":{\"type\":\"Sequence\",\"decoders\":[]},"
      "\"model\":{\"type\":\"BPE\",\"byte_fallback\":true,"
      "\"vocab\":{\"<unk>\":0,\"<s>\":1,\"<0x0A>\":2,\"a\":3},\"merges\":[]}}");
  json_t *tc = js("{\"bos_token\": \"<s>\"}");
  tp_hf_tokenizer_input in = base_input("llama");
  tp_metastore out;
  size_t n;
  const tp_string *t;
  const int32_t *ty;
  const float *sc;
  (void)state;
  in.tokenizer_json = tj;
  in.tokenizer_config = tc;
  tp_meta_init(&out);
  assert_ok(tp_tokenizer_to_gguf(&in, &out));
  expect_str(&out, "tokenizer.ggml.model", "llama");
  t = tokens(&out, &n);
  ty = types(&out);
  assert_int_equal(n, 5);
  assert_int_equal(ty[1], 3);
  assert_int_equal(ty[2], 6);
  assert_int_equal(ty[3], 1);
  expect_token(t, 4, "<extra>");
  assert_int_equal(ty[4], 4);
  sc = (const float *)kv(&out, "tokenizer.ggml.scores")->v.array;
  assert_true(sc[3] == -1000.0f);
  expect_u32(&out, "tokenizer.ggml.bos_token_id", 1);
  tp_meta_free(&out);
  json_decref(tc);
  /* transformers 5's named extra special tokens (an object): special, and
   * added when new */
  tc = js("{\"bos_token\": \"<s>\", \"extra_special_tokens\": {\"image_token\":"
          " \"<extra>\", \"new_token\": {\"content\": \"<new>\"}}}");
  in.tokenizer_config = tc;
  tp_meta_init(&out);
  assert_ok(tp_tokenizer_to_gguf(&in, &out));
  t = tokens(&out, &n);
  ty = types(&out);
  assert_int_equal(n, 6);
  assert_int_equal(ty[4], 3);
  expect_token(t, 5, "<new>");
  assert_int_equal(ty[5], 3);
  tp_meta_free(&out);
  json_decref(tj);
  json_decref(tc);
}

static void test_export_wordpiece(void **state) {
  json_t *tj = js(
      "{\"added_tokens\":[{\"id\":0,\"content\":\"[PAD]\",\"special\":true},"
      "{\"id\":1,\"content\":\"[UNK]\",\"special\":true},"
      "{\"id\":2,\"content\":\"[CLS]\",\"special\":true},"
      "{\"id\":3,\"content\":\"[SEP]\",\"special\":true},"
      "{\"id\":7,\"content\":\"<u>\",\"special\":false,\"normalized\":false}],"
      "\"normalizer\":{\"type\":\"BertNormalizer\",\"lowercase\":true,\"strip_accents\":null},"
      "\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
      "\"post_processor\":{\"type\":\"TemplateProcessing\","
      "\"single\":[{\"SpecialToken\":{\"id\":\"[CLS]\"}},{\"Sequence\":{\"id\":\"A\"}},"
      "{\"SpecialToken\":{\"id\":\"[SEP]\"}}],\"pair\":[]},"
      "\"decoder\":{\"type\":\"WordPiece\",\"prefix\":\"##\",\"cleanup\":true},"
      "\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"[PAD]\":0,\"[UNK]\":1,\"[CLS]\":2,"
      "\"[SEP]\":3,\"hello\":4,\"##lo\":5,\"x\":6}}}");
  json_t *tc = js("{\"cls_token\": \"[CLS]\", \"sep_token\": \"[SEP]\", \"unk_token\": \"[UNK]\","
                  " \"pad_token\": \"[PAD]\"}");
  json_t *cfg = js("{\"type_vocab_size\": 2}");
  tp_hf_tokenizer_input in = base_input("bert");
  tp_metastore out;
  size_t n;
  const tp_string *t;
  (void)state;
  in.tokenizer_json = tj;
  in.tokenizer_config = tc;
  in.config = cfg;
  tp_meta_init(&out);
  assert_ok(tp_tokenizer_to_gguf(&in, &out));
  expect_order(&out,
               "tokenizer.ggml.token_type_count tokenizer.ggml.model tokenizer.ggml.pre "
               "tokenizer.ggml.tokens tokenizer.ggml.token_type "
               "tokenizer.ggml.bos_token_id tokenizer.ggml.eos_token_id "
               "tokenizer.ggml.unknown_token_id tokenizer.ggml.seperator_token_id "
               "tokenizer.ggml.padding_token_id tokenizer.ggml.add_bos_token "
               "tokenizer.ggml.add_eos_token tokenizer.ggml.normalizer.lowercase");
  expect_u32(&out, "tokenizer.ggml.token_type_count", 2);
  expect_str(&out, "tokenizer.ggml.model", "bert");
  expect_str(&out, "tokenizer.ggml.pre", "bert-bge");
  t = tokens(&out, &n);
  assert_int_equal(n, 8);
  expect_token(t, 2, "[CLS]");               /* control: unchanged */
  expect_token(t, 4, "\xe2\x96\x81" "hello"); /* word start: phantom space */
  expect_token(t, 5, "lo");                  /* continuation: ## dropped */
  expect_token(t, 7, "\xe2\x96\x81<u>");      /* user-defined: phantom too */
  expect_u32(&out, "tokenizer.ggml.bos_token_id", 2); /* cls stands in */
  expect_u32(&out, "tokenizer.ggml.eos_token_id", 3); /* sep stands in */
  expect_bool(&out, "tokenizer.ggml.normalizer.lowercase", true);
  assert_null(kv(&out, "tokenizer.ggml.normalizer.strip_accents")); /* null */
  tp_meta_free(&out);
  json_decref(tj);
  json_decref(tc);
  json_decref(cfg);
}

static void test_duplicate_tokens_refused(void **state) {
  /* an added_tokens_decoder entry that repeats another token's text makes
   * a vocabulary llama.cpp asserts on */
  pbuf m;
  tp_metastore out;
  tp_hf_tokenizer_input in = base_input("llama");
  json_t *tc = js("{\"added_tokens_decoder\": {\"6\": {\"content\": \"b\"}}}");
  (void)state;
  small_model(&m);
  in.spm_model = m.d;
  in.spm_model_len = m.n;
  in.tokenizer_config = tc;
  tp_meta_init(&out);
  expect_error(tp_tokenizer_to_gguf(&in, &out), TP_EFORMAT,
               "token 6 \"b\" is also token 5");
  tp_meta_free(&out);
  json_decref(tc);
}

static void test_json_parse(void **state) {
  json_t *j = NULL;
  const char *t = "{\"n\": 1000000000000000019884624838656, \"m\": -99999999999999999999,"
                  " \"ok\": 9223372036854775807, \"r\": 3.14159265358979323846264338e-3,"
                  " \"s\": \"12345678901234567890123\", \"z\": \"a\\u0000b\"}";
  (void)state;
  assert_ok(tp_tokenizer_json_parse(t, strlen(t), "x", &j));
  assert_true(json_is_real(json_object_get(j, "n")));
  assert_true(json_is_real(json_object_get(j, "m")));
  assert_true(json_is_integer(json_object_get(j, "ok")));
  assert_string_equal(json_string_value(json_object_get(j, "s")), "12345678901234567890123");
  assert_int_equal(json_string_length(json_object_get(j, "z")), 3);
  json_decref(j);
  expect_error(tp_tokenizer_json_parse("{", 1, "tokenizer.json", &j), TP_EFORMAT,
               "tokenizer.json: JSON: line 1");
}

static void test_pre_table(void **state) {
  json_t *p = js("{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Sequence\","
                 "\"pretokenizers\":[{\"type\":\"Digits\",\"individual_digits\":true}]},"
                 "{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true}]}");
  char *sig = tp_tokenizer_pre_signature(p, NULL);
  (void)state;
  /* nested Sequences flatten; use_regex defaults to true; trim_offsets
   * does not count */
  assert_string_equal(sig, "Sequence[Digits(individual_digits=true), "
                           "ByteLevel(add_prefix_space=false, use_regex=true)]");
  free(sig);
  json_decref(p);
  assert_true(tp_tokenizer_pre_known("llama-bpe", true));
  assert_true(tp_tokenizer_pre_known("qwen2", true));
  assert_false(tp_tokenizer_pre_known("bert-bge", true));
  assert_true(tp_tokenizer_pre_known("bert-bge", false));
  assert_false(tp_tokenizer_pre_known("qwen", true));
  assert_false(tp_tokenizer_pre_known(NULL, true));
}

/* ---- the way back ------------------------------------------------------------------ */

static void put_strings(tp_metastore *m, const char *key, const char *const *s, size_t n) {
  tp_string a[16];
  tp_value v;
  size_t i;
  for (i = 0; i < n; i++) {
    a[i].data = s[i];
    a[i].len = strlen(s[i]);
  }
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_ARRAY;
  v.elem_type = TP_VALUE_STRING;
  v.count = n;
  v.v.array = a;
  assert_int_equal(tp_meta_set(m, key, strlen(key), &v, 1), TP_OK);
}

static void put_i32s(tp_metastore *m, const char *key, const int32_t *x, size_t n,
                     tp_value_type et) {
  tp_value v;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_ARRAY;
  v.elem_type = et;
  v.count = n;
  v.v.array = x;
  assert_int_equal(tp_meta_set(m, key, strlen(key), &v, 1), TP_OK);
}

static json_t *parse_out(const char *text, size_t len) {
  json_t *j = NULL;
  assert_int_equal(tp_tokenizer_json_parse(text, len, "out", &j), TP_OK);
  return j;
}

static void test_from_gguf_spm(void **state) {
  static const char *const toks[] = {"<unk>", "<s>", "</s>", "\xe2\x96\x81", "a",
                                     "\xe2\x96\x81" "a", "ab", "b", "<ctl>"};
  static const int32_t ty[] = {2, 3, 3, 1, 1, 1, 1, 1, 3};
  static const float sc[] = {0, 0, 0, -1, -2, -3, -4, -5, 0};
  tp_metastore m;
  tp_hf_tokenizer_files f;
  json_t *tj, *tc, *merges;
  (void)state;
  tp_meta_init(&m);
  assert_int_equal(tp_meta_set_str(&m, "tokenizer.ggml.model", "llama", 5), TP_OK);
  put_strings(&m, "tokenizer.ggml.tokens", toks, 9);
  put_i32s(&m, "tokenizer.ggml.token_type", ty, 9, TP_VALUE_I32);
  put_i32s(&m, "tokenizer.ggml.scores", (const int32_t *)(const void *)sc, 9, TP_VALUE_F32);
  assert_int_equal(tp_meta_set_str(&m, "tokenizer.chat_template", "T", 1), TP_OK);
  assert_ok(tp_tokenizer_from_gguf(&m, "llama", &f));
  tj = parse_out(f.tokenizer_json, f.tokenizer_json_len);
  /* llama.cpp's space prefix on every segment: Prepend + Replace */
  assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(
                          json_object_get(tj, "normalizer"), "normalizers"), 0), "type")),
                      "Prepend");
  /* control and unknown tokens added whole */
  assert_int_equal(json_array_size(json_object_get(tj, "added_tokens")), 4);
  /* merges from the scores, best merged token first: "▁a" (-3) before
   * "ab" (-4) */
  merges = json_object_get(json_object_get(tj, "model"), "merges");
  assert_int_equal(json_array_size(merges), 2);
  assert_string_equal(json_string_value(json_array_get(json_array_get(merges, 0), 0)),
                      "\xe2\x96\x81");
  assert_string_equal(json_string_value(json_array_get(json_array_get(merges, 1), 1)), "b");
  assert_true(json_is_true(json_object_get(json_object_get(tj, "model"), "byte_fallback")));
  tc = parse_out(f.tokenizer_config, f.tokenizer_config_len);
  /* llama.cpp's SentencePiece defaults: BOS 1, added */
  assert_true(json_is_true(json_object_get(tc, "add_bos_token")));
  assert_string_equal(json_string_value(json_object_get(tc, "bos_token")), "<s>");
  assert_string_equal(json_string_value(json_object_get(tc, "chat_template")), "T");
  json_decref(tj);
  json_decref(tc);
  tp_hf_tokenizer_files_free(&f);
  tp_hf_tokenizer_files_free(NULL);
  tp_meta_free(&m);
}

static void test_from_gguf_gpt2_and_bert(void **state) {
  static const char *const toks[] = {"a", "b", "ab", "<|end|>", " hi", "\xe2\x82\xac"};
  static const int32_t ty[] = {1, 1, 1, 3, 4, 1};
  static const char *const merges[] = {"a b"};
  static const char *const btoks[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]",
                                      "\xe2\x96\x81hello", "lo"};
  static const int32_t bty[] = {3, 3, 3, 3, 1, 1};
  tp_metastore m;
  tp_hf_tokenizer_files f;
  json_t *tj, *vocab;
  (void)state;
  tp_meta_init(&m);
  assert_int_equal(tp_meta_set_str(&m, "tokenizer.ggml.model", "gpt2", 4), TP_OK);
  assert_int_equal(tp_meta_set_str(&m, "tokenizer.ggml.pre", "llama-bpe", 9), TP_OK);
  put_strings(&m, "tokenizer.ggml.tokens", toks, 6);
  put_i32s(&m, "tokenizer.ggml.token_type", ty, 6, TP_VALUE_I32);
  /* no merges: llama.cpp refuses such a file */
  expect_error(tp_tokenizer_from_gguf(&m, "llama", &f), TP_EFORMAT, "without tokenizer.ggml.merges");
  put_strings(&m, "tokenizer.ggml.merges", merges, 1);
  assert_int_equal(tp_meta_set_u32(&m, "tokenizer.ggml.bos_token_id", 3), TP_OK);
  assert_ok(tp_tokenizer_from_gguf(&m, "llama", &f));
  tj = parse_out(f.tokenizer_json, f.tokenizer_json_len);
  vocab = json_object_get(json_object_get(tj, "model"), "vocab");
  /* a normal token outside the byte alphabet is spelled from its bytes;
   * the user-defined " hi" keeps its text (it is an added token) */
  assert_non_null(json_object_get(vocab, "\xc3\xa2\xc4\xa4\xc2\xac")); /* EUR */
  assert_non_null(json_object_get(vocab, " hi"));
  /* llama-bpe: llama.cpp ignores merges and adds BOS */
  assert_true(json_is_true(json_object_get(json_object_get(tj, "model"), "ignore_merges")));
  assert_string_equal(json_string_value(json_object_get(json_object_get(
                          json_array_get(json_object_get(json_object_get(tj, "post_processor"),
                                                         "single"), 0), "SpecialToken"), "id")),
                      "<|end|>");
  json_decref(tj);
  tp_hf_tokenizer_files_free(&f);
  /* a pre name without a known definition */
  assert_int_equal(tp_meta_set_str(&m, "tokenizer.ggml.pre", "chameleon", 9), TP_OK);
  expect_error(tp_tokenizer_from_gguf(&m, "llama", &f), TP_EUNSUPPORTED, "\"chameleon\"");
  tp_meta_free(&m);

  tp_meta_init(&m);
  assert_int_equal(tp_meta_set_str(&m, "tokenizer.ggml.model", "bert", 4), TP_OK);
  put_strings(&m, "tokenizer.ggml.tokens", btoks, 6);
  put_i32s(&m, "tokenizer.ggml.token_type", bty, 6, TP_VALUE_I32);
  /* llama.cpp's WordPiece defaults ([CLS] 101, [SEP] 102) are past this
   * vocabulary */
  expect_error(tp_tokenizer_from_gguf(&m, "bert", &f), TP_EFORMAT, "without a BOS");
  assert_int_equal(tp_meta_set_u32(&m, "tokenizer.ggml.bos_token_id", 2), TP_OK);
  expect_error(tp_tokenizer_from_gguf(&m, "bert", &f), TP_EFORMAT, "separator");
  assert_int_equal(tp_meta_set_u32(&m, "tokenizer.ggml.seperator_token_id", 3), TP_OK);
  assert_ok(tp_tokenizer_from_gguf(&m, "bert", &f));
  tj = parse_out(f.tokenizer_json, f.tokenizer_json_len);
  vocab = json_object_get(json_object_get(tj, "model"), "vocab");
  assert_int_equal(json_integer_value(json_object_get(vocab, "hello")), 4);
  assert_int_equal(json_integer_value(json_object_get(vocab, "##lo")), 5);
  json_decref(tj);
  tp_hf_tokenizer_files_free(&f);
  tp_meta_free(&m);
}

static void test_from_gguf_malformed(void **state) {
  static const char *const toks[] = {"a", "b"};
  static const int32_t ty[] = {1, 1, 1};
  tp_metastore m;
  tp_hf_tokenizer_files f;
  (void)state;
  tp_meta_init(&m);
  expect_error(tp_tokenizer_from_gguf(&m, "llama", &f), TP_ENOTFOUND, "no tokenizer.ggml.model");
  assert_int_equal(tp_meta_set_str(&m, "tokenizer.ggml.model", "rwkv", 4), TP_OK);
  expect_error(tp_tokenizer_from_gguf(&m, "rwkv", &f), TP_EUNSUPPORTED, "\"rwkv\"");
  assert_int_equal(tp_meta_set_str(&m, "tokenizer.ggml.model", "llama", 5), TP_OK);
  expect_error(tp_tokenizer_from_gguf(&m, "llama", &f), TP_EFORMAT, "no tokenizer.ggml.tokens");
  put_strings(&m, "tokenizer.ggml.tokens", toks, 2);
  put_i32s(&m, "tokenizer.ggml.token_type", ty, 3, TP_VALUE_I32);
  expect_error(tp_tokenizer_from_gguf(&m, "llama", &f), TP_EFORMAT, "3 entries vs 2 tokens");
  put_i32s(&m, "tokenizer.ggml.token_type", ty, 2, TP_VALUE_U32);
  expect_error(tp_tokenizer_from_gguf(&m, "llama", &f), TP_EFORMAT, "ARRAY of INT32");
  put_i32s(&m, "tokenizer.ggml.token_type", ty, 2, TP_VALUE_I32);
  /* the default BOS (id 1) is in range here; an explicit one is not */
  assert_int_equal(tp_meta_set_u32(&m, "tokenizer.ggml.bos_token_id", 7), TP_OK);
  assert_ok(tp_tokenizer_from_gguf(&m, "llama", &f));
  tp_hf_tokenizer_files_free(&f);
  assert_int_equal(tp_meta_set_str(&m, "tokenizer.ggml.add_bos_token", "x", 1), TP_OK);
  expect_error(tp_tokenizer_from_gguf(&m, "llama", &f), TP_EFORMAT, "type STRING vs BOOL");
  assert_null(f.tokenizer_json);
  tp_meta_free(&m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_spm_parse_fields),
      cmocka_unit_test(test_spm_refusals),
      cmocka_unit_test(test_export_sentencepiece),
      cmocka_unit_test(test_export_gemma_extras),
      cmocka_unit_test(test_export_phi3),
      cmocka_unit_test(test_export_gpt2),
      cmocka_unit_test(test_export_gpt2_malformed),
      cmocka_unit_test(test_special_vocab_rules),
      cmocka_unit_test(test_codellama_and_granite),
      cmocka_unit_test(test_export_llama_hf),
      cmocka_unit_test(test_export_wordpiece),
      cmocka_unit_test(test_duplicate_tokens_refused),
      cmocka_unit_test(test_json_parse),
      cmocka_unit_test(test_pre_table),
      cmocka_unit_test(test_from_gguf_spm),
      cmocka_unit_test(test_from_gguf_gpt2_and_bert),
      cmocka_unit_test(test_from_gguf_malformed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
