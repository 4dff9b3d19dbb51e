/*
 * test_arch.c - unit tests of the architecture profiles (src/arch): the
 * transforms against hand-computed vectors (Q/K row maps and their inverse,
 * Gemma's +1 in the source's precision, llama3 rope factors' shape), the
 * ordered KV list's duplicate rule, the model-card reader's subset and
 * refusals, metadata.py's id heuristics, profile selection and its errors,
 * the config normalisation (class defaults, rope standardisation), and the
 * mapping's errors, which name the tensor. Byte equality with the reference
 * converter is tests/interop/test_arch_interop.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/arch_impl.h"

static json_t *parse(const char *text) {
  json_error_t e;
  json_t *j = json_loads(text, 0, &e);
  if (!j) fprintf(stderr, "bad test JSON: %s (%s)\n", e.text, text);
  return j;
}

static const tp_arch_profile *profile(const char *name) {
  size_t i;
  for (i = 0; i < tp_arch_profile_count(); i++)
    if (!strcmp(tp_arch_profile_name(tp_arch_profile_at(i)), name))
      return tp_arch_profile_at(i);
  return NULL;
}

/* ---- transforms ------------------------------------------------------------- */

static void test_permute_rows_map(void **state) {
  /* 12 rows, 2 heads: head size 6, halves of 3. Output row 2i + j of a
   * head comes from row j*3 + i. */
  static const uint64_t fwd[12] = {0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11};
  static const uint64_t inv[12] = {0, 2, 4, 1, 3, 5, 6, 8, 10, 7, 9, 11};
  uint64_t r, got;
  (void)state;
  for (r = 0; r < 12; r++) {
    assert_int_equal(tp_arch_xform_permute_row(12, 2, 0, r, &got), TP_OK);
    assert_int_equal(got, fwd[r]);
    assert_int_equal(tp_arch_xform_permute_row(12, 2, 1, r, &got), TP_OK);
    assert_int_equal(got, inv[r]);
  }
  /* one head of 4 rows: 0 2 1 3 */
  assert_int_equal(tp_arch_xform_permute_row(4, 1, 0, 1, &got), TP_OK);
  assert_int_equal(got, 2);
  /* rows that do not split into heads of an even size */
  assert_int_equal(tp_arch_xform_permute_row(12, 4, 0, 0, &got), TP_EINVAL);
  assert_non_null(strstr(tp_last_error(), "4 heads"));
  assert_int_equal(tp_arch_xform_permute_row(12, 0, 0, 0, &got), TP_EINVAL);
  assert_int_equal(tp_arch_xform_permute_row(12, 2, 0, 12, &got), TP_EINVAL);
}

static void test_permute_rows_data(void **state) {
  uint16_t src[8 * 2], mid[8 * 2], back[8 * 2];
  size_t i;
  (void)state;
  for (i = 0; i < 16; i++) src[i] = (uint16_t)(100 + i);
  assert_int_equal(tp_arch_xform_permute_rows(mid, src, 8, 4, 2, 0), TP_OK);
  /* rows of head 0 (0..3) become 0 2 1 3 */
  assert_int_equal(mid[2], src[4]);
  assert_int_equal(mid[4], src[2]);
  assert_int_equal(tp_arch_xform_permute_rows(back, mid, 8, 4, 2, 1), TP_OK);
  assert_memory_equal(back, src, sizeof src);
}

static void test_add_one_precision(void **state) {
  float out[3];
  float f32[3] = {0.5f, -1.0f, 0x1p-11f};
  uint16_t f16[2] = {0x1000, 0x3800}; /* 2^-11, 0.5 */
  uint16_t bf16[1] = {0x3F00};        /* 0.5 */
  double f64[1] = {1e-9};
  (void)state;
  assert_int_equal(tp_arch_xform_add_one(out, TP_TYPE_F32, f32, 3), TP_OK);
  assert_true(out[0] == 1.5f && out[1] == 0.0f);
  assert_true(out[2] == 1.0f + 0x1p-11f); /* exact in float32 */
  /* an F16 source stays F16: 1 + 2^-11 is halfway, rounds to even: 1.0 */
  assert_int_equal(tp_arch_xform_add_one(out, TP_TYPE_F16, f16, 2), TP_OK);
  assert_true(out[0] == 1.0f);
  assert_true(out[1] == 1.5f);
  assert_int_equal(tp_arch_xform_add_one(out, TP_TYPE_BF16, bf16, 1), TP_OK);
  assert_true(out[0] == 1.5f);
  /* F64 is rounded to F32 first, then 1 added in F32 */
  assert_int_equal(tp_arch_xform_add_one(out, TP_TYPE_F64, f64, 1), TP_OK);
  assert_true(out[0] == 1.0f);
  assert_int_equal(tp_arch_xform_add_one(out, TP_TYPE_I32, f64, 1), TP_EUNSUPPORTED);
  tp_arch_xform_sub_one(out, f32, 2);
  assert_true(out[0] == -0.5f && out[1] == -2.0f);
}

static void test_llama3_rope(void **state) {
  float f[64];
  size_t i;
  (void)state;
  /* Llama 3.1 8B: high frequencies keep 1, low ones get the factor, the
   * band between is smooth and monotone */
  assert_int_equal(tp_arch_xform_llama3_rope(f, 128, 500000.0, 8.0, 1.0, 4.0, 8192),
                   TP_OK);
  assert_true(f[0] == 1.0f);
  assert_true(f[63] == 8.0f);
  for (i = 1; i < 64; i++) assert_true(f[i] >= f[i - 1]);
  assert_int_equal(tp_arch_xform_llama3_rope(f, 7, 500000.0, 8.0, 1.0, 4.0, 8192),
                   TP_EINVAL);
  assert_int_equal(tp_arch_xform_llama3_rope(f, 8, 500000.0, 8.0, 4.0, 4.0, 8192),
                   TP_EINVAL);
}

/* ---- the KV list ------------------------------------------------------------ */

static void test_kvl_keeps_first_position(void **state) {
  tp_arch_kvl l;
  (void)state;
  tp_arch_kvl_init(&l);
  assert_int_equal(tp_arch_kvl_u32(&l, "a", 1), TP_OK);
  assert_int_equal(tp_arch_kvl_str(&l, "b", "x", 1), TP_OK);
  assert_int_equal(tp_arch_kvl_str(&l, "empty", "", 0), TP_OK); /* not written */
  assert_int_equal(tp_arch_kvl_u32(&l, "a", 7), TP_OK);
  assert_int_equal(tp_arch_kvl_f32(&l, "c", 0.1), TP_OK);
  assert_int_equal(l.ms.n, 3);
  assert_string_equal(l.ms.items[0].key, "a");
  assert_int_equal(l.ms.items[0].val.v.u, 7);
  assert_string_equal(l.ms.items[1].key, "b");
  /* FLOAT32 values are rounded once to float */
  assert_true(l.ms.items[2].val.v.f == (double)0.1f);
  tp_arch_kvl_free(&l);
}

/* ---- the model card ------------------------------------------------------------- */

static json_t *card(const char *text, tp_status want) {
  json_t *j = NULL;
  tp_status st = tp_arch_card_parse(text, strlen(text), &j);
  if (st != want) fprintf(stderr, "card: %s\n", tp_last_error());
  assert_int_equal(st, want);
  return j;
}

static void test_card_subset(void **state) {
  json_t *j;
  (void)state;
  assert_null(card("# no front matter\n", TP_OK));
  assert_null(card("", TP_OK));
  j = card("---\n---\n", TP_OK);
  assert_true(json_is_object(j) && !json_object_size(j));
  json_decref(j);
  j = card("---\n"
           "license: apache-2.0\n"
           "language:\n- en\n- no\n"
           "tags: [a, 'b c', \"d\"]\n"
           "version: 0x10\n"
           "finetune: 1.5\n"
           "doi: 1e5\n"
           "author: yes\n"
           "description: |\n  line one\n  line two\n"
           "base_model:\n  - name: X\n    url: https://example.com/a:b\n"
           "model-index:\n- name: skipped\n  results: &anchor [unread]\n"
           "---\nbody\n",
           TP_OK);
  assert_string_equal(json_string_value(json_object_get(j, "license")), "apache-2.0");
  /* "- no" is quoted before parsing, as metadata.py does */
  assert_string_equal(json_string_value(json_array_get(json_object_get(j, "language"), 1)),
                      "no");
  assert_string_equal(json_string_value(json_array_get(json_object_get(j, "tags"), 1)),
                      "b c");
  assert_int_equal(json_integer_value(json_object_get(j, "version")), 16);
  assert_true(json_is_real(json_object_get(j, "finetune")));
  assert_string_equal(json_string_value(json_object_get(j, "doi")), "1e5"); /* YAML 1.1 */
  assert_true(json_is_true(json_object_get(j, "author")));
  assert_string_equal(json_string_value(json_object_get(j, "description")),
                      "line one\nline two\n");
  assert_string_equal(
      json_string_value(json_object_get(json_array_get(json_object_get(j, "base_model"), 0),
                                        "url")),
      "https://example.com/a:b");
  assert_null(json_object_get(j, "model-index")); /* unread keys are skipped */
  json_decref(j);
}

static void test_card_refusals(void **state) {
  char *big;
  (void)state;
  assert_null(card("---\nname: &x y\n---\n", TP_EUNSUPPORTED));
  assert_non_null(strstr(tp_last_error(), "line 2"));
  assert_null(card("---\nname: \"a\n  b\"\n---\n", TP_EUNSUPPORTED));
  assert_null(card("---\ntags: [a,\n  b]\n---\n", TP_EUNSUPPORTED));
  assert_null(card("---\nname: a\n  b\n---\n", TP_EUNSUPPORTED));
  assert_null(card("---\nlicense: mit\n", TP_EFORMAT));
  assert_non_null(strstr(tp_last_error(), "closing"));
  assert_null(card("---\n- a\n---\n", TP_EUNSUPPORTED));
  assert_null(card("---\nname: \xff\n---\n", TP_EFORMAT));
  assert_null(card("---\nname: a\x0b" "b\n---\n", TP_EUNSUPPORTED));
  /* bounded */
  big = malloc((2u << 20) + 16);
  memcpy(big, "---\nname: ", 10);
  memset(big + 10, 'a', 2u << 20);
  strcpy(big + 10 + (2u << 20), "\n---\n");
  assert_null(card(big, TP_ELIMIT));
  free(big);
  {
    /* nesting deeper than 32 levels */
    char deep[4096];
    size_t n = 0, d;
    n += (size_t)sprintf(deep + n, "---\ntags:\n");
    for (d = 0; d < 40; d++) n += (size_t)sprintf(deep + n, "%*s- \n", (int)(2 * d), "");
    sprintf(deep + n, "---\n");
    assert_null(card(deep, TP_ELIMIT));
  }
}

/* ---- ids ------------------------------------------------------------------------------ */

static void test_model_ids(void **state) {
  tp_arch_model_id c;
  char *t;
  char label[32];
  (void)state;
  assert_int_equal(tp_arch_model_id_parse("mistralai/Mixtral-8x7B-Instruct-v0.1",
                                          46702792704LL, &c),
                   TP_OK);
  assert_string_equal(c.org, "mistralai");
  assert_string_equal(c.basename, "Mixtral");
  assert_string_equal(c.size_label, "8x7B");
  assert_string_equal(c.finetune, "Instruct");
  assert_string_equal(c.version, "v0.1");
  tp_arch_model_id_clear(&c);
  /* a size far from the parameter count is a context length (finetune) */
  assert_int_equal(tp_arch_model_id_parse("SmolLM2-135M-Instruct", 81000, &c), TP_OK);
  assert_null(c.size_label);
  assert_string_equal(c.finetune, "135m-Instruct");
  tp_arch_model_id_clear(&c);
  assert_int_equal(tp_arch_model_id_parse("mod\xc3\xa8le-7B", 0, &c), TP_EUNSUPPORTED);
  assert_int_equal(tp_arch_id_to_title("qwen3moe-v2-7b", &t), TP_OK);
  assert_string_equal(t, "Qwen3Moe v2 7b");
  free(t);
  tp_arch_size_label(label, sizeof label, 134515008, 134515008, 0, 0);
  assert_string_equal(label, "135M");
  tp_arch_size_label(label, sizeof label, 0, 1600000000, 5637000000ULL, 8);
  assert_string_equal(label, "8x7.2B");
}

/* ---- selection and hparams --------------------------------------------------------- */

static void test_select(void **state) {
  const tp_arch_profile *p;
  const char *arch;
  json_t *c;
  (void)state;
  c = parse("{\"architectures\": [\"MixtralForCausalLM\"]}");
  assert_int_equal(tp_arch_for_config(c, &p, &arch), TP_OK);
  assert_string_equal(tp_arch_profile_name(p), "mixtral");
  assert_string_equal(tp_arch_gguf_name(p), "llama");
  assert_string_equal(arch, "MixtralForCausalLM");
  json_decref(c);
  c = parse("{\"architectures\": [\"Gemma3ForConditionalGeneration\"], "
            "\"text_config\": {\"model_type\": \"gemma3_text\"}}");
  assert_int_equal(tp_arch_for_config(c, &p, NULL), TP_OK);
  assert_string_equal(tp_arch_profile_name(p), "gemma3");
  json_decref(c);
  c = parse("{\"model_type\": \"qwen3_moe\"}");
  assert_int_equal(tp_arch_for_config(c, &p, &arch), TP_OK);
  assert_string_equal(tp_arch_gguf_name(p), "qwen3moe");
  assert_null(arch);
  json_decref(c);
  c = parse("{\"architectures\": [\"GPT2LMHeadModel\"]}");
  assert_int_equal(tp_arch_for_config(c, &p, NULL), TP_EUNSUPPORTED);
  assert_non_null(strstr(tp_last_error(), "GPT2LMHeadModel is not supported"));
  assert_non_null(strstr(tp_last_error(), "Phi3ForCausalLM"));
  json_decref(c);
  c = parse("{\"architectures\": \"LlamaForCausalLM\"}");
  assert_int_equal(tp_arch_for_config(c, &p, NULL), TP_EFORMAT);
  json_decref(c);
}

static void test_hparams_legacy(void **state) {
  json_t *c, *hp;
  const json_t *rp;
  (void)state;
  c = parse("{\"architectures\": [\"LlamaForCausalLM\"], \"hidden_size\": 64, "
            "\"num_attention_heads\": 4, \"rope_theta\": 5000.0, "
            "\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}}");
  assert_int_equal(tp_arch_hparams(profile("llama"), c, &hp), TP_OK);
  /* LlamaConfig's __post_init__ and defaults */
  assert_int_equal(json_integer_value(json_object_get(hp, "head_dim")), 16);
  assert_int_equal(json_integer_value(json_object_get(hp, "num_key_value_heads")), 4);
  assert_int_equal(json_integer_value(json_object_get(hp, "max_position_embeddings")), 2048);
  assert_null(json_object_get(hp, "rope_scaling"));
  assert_null(json_object_get(hp, "rope_theta"));
  rp = json_object_get(hp, "rope_parameters");
  assert_string_equal(json_string_value(json_object_get(rp, "rope_type")), "linear");
  assert_true(json_real_value(json_object_get(rp, "rope_theta")) == 5000.0);
  json_decref(hp);
  json_decref(c);
  /* Mixtral's default rope theta, Qwen3-MoE's num_experts alias */
  c = parse("{\"architectures\": [\"MixtralForCausalLM\"]}");
  assert_int_equal(tp_arch_hparams(profile("mixtral"), c, &hp), TP_OK);
  rp = json_object_get(hp, "rope_parameters");
  assert_true(json_real_value(json_object_get(rp, "rope_theta")) == 1e6);
  assert_true(json_is_null(json_object_get(hp, "head_dim")));
  json_decref(hp);
  json_decref(c);
  c = parse("{\"architectures\": [\"Qwen3MoeForCausalLM\"], \"num_experts\": 4}");
  assert_int_equal(tp_arch_hparams(profile("qwen3_moe"), c, &hp), TP_OK);
  assert_int_equal(json_integer_value(json_object_get(hp, "num_local_experts")), 4);
  json_decref(hp);
  json_decref(c);
  /* Gemma 3: rope per layer type, local theta from rope_local_base_freq */
  c = parse("{\"architectures\": [\"Gemma3ForCausalLM\"], \"num_hidden_layers\": 6, "
            "\"rope_local_base_freq\": 20000.0}");
  assert_int_equal(tp_arch_hparams(profile("gemma3"), c, &hp), TP_OK);
  rp = json_object_get(hp, "rope_parameters");
  assert_true(json_real_value(json_object_get(json_object_get(rp, "full_attention"),
                                              "rope_theta")) == 1e6);
  assert_true(json_real_value(json_object_get(json_object_get(rp, "sliding_attention"),
                                              "rope_theta")) == 20000.0);
  assert_string_equal(json_string_value(json_array_get(json_object_get(hp, "layer_types"), 5)),
                      "full_attention");
  json_decref(hp);
  json_decref(c);
}

/* ---- mapping errors --------------------------------------------------------------- */

static tp_arch_src_tensor t2(const char *name, uint64_t a, uint64_t b) {
  tp_arch_src_tensor t;
  memset(&t, 0, sizeof t);
  t.name = name;
  t.type = TP_TYPE_F32;
  t.ndim = b ? 2 : 1;
  t.shape[0] = a;
  t.shape[1] = b;
  return t;
}

static tp_status map(const char *config, const tp_arch_src_tensor *src, size_t n,
                     tp_arch_mapping **out) {
  tp_arch_inputs in;
  const tp_arch_profile *p;
  json_t *c = parse(config);
  tp_status st;
  memset(&in, 0, sizeof in);
  in.config = c;
  in.has_tokenizer_model = 1;
  st = tp_arch_for_config(c, &p, NULL);
  if (st == TP_OK) st = tp_arch_map_tensors(p, &in, src, n, out);
  json_decref(c);
  return st;
}

static void test_mapping(void **state) {
  const char *llama = "{\"architectures\": [\"LlamaForCausalLM\"], \"num_hidden_layers\": 2, "
                      "\"hidden_size\": 8, \"num_attention_heads\": 2, "
                      "\"num_key_value_heads\": 1}";
  tp_arch_src_tensor s[4];
  tp_arch_mapping *m = NULL;
  const tp_arch_out_tensor *o;
  (void)state;
  s[0] = t2("model.layers.1.self_attn.q_proj.weight", 8, 8);
  s[1] = t2("model.embed_tokens.weight", 10, 8);
  s[2] = t2("model.layers.0.self_attn.k_proj.weight", 4, 8);
  s[3] = t2("model.layers.0.self_attn.rotary_emb.inv_freq", 4, 0);
  assert_int_equal(map(llama, s, 4, &m), TP_OK);
  assert_int_equal(tp_arch_mapping_count(m), 3); /* inv_freq dropped */
  o = tp_arch_mapping_at(m, 0); /* sorted by name */
  assert_string_equal(o->name, "token_embd.weight");
  o = tp_arch_mapping_at(m, 1);
  assert_string_equal(o->name, "blk.0.attn_k.weight");
  assert_int_equal(o->xform, TP_ARCH_XFORM_PERMUTE_QK);
  assert_int_equal(o->xform_arg, 1); /* num_key_value_heads */
  o = tp_arch_mapping_at(m, 2);
  assert_int_equal(o->xform_arg, 2);
  assert_int_equal(o->keep_f32, TP_ARCH_F32_NO);
  tp_arch_mapping_free(m);

  /* rows that do not split into heads */
  s[0] = t2("model.layers.0.self_attn.q_proj.weight", 6, 8);
  assert_int_equal(map(llama, s, 1, &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "q_proj.weight\": 6 rows"));
  /* a block the config does not have, a leading zero, an unknown name */
  s[0] = t2("model.layers.2.input_layernorm.weight", 8, 0);
  assert_int_equal(map(llama, s, 1, &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "Can not map tensor"));
  s[0] = t2("model.layers.01.input_layernorm.weight", 8, 0);
  assert_int_equal(map(llama, s, 1, &m), TP_EFORMAT);
  s[0] = t2("model.other.weight", 8, 0);
  assert_int_equal(map(llama, s, 1, &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "\"model.other.weight\": Can not map"));
  /* two names that become one after language_model. is removed */
  s[0] = t2("model.norm.weight", 8, 0);
  s[1] = t2("language_model.model.norm.weight", 8, 0);
  assert_int_equal(map(llama, s, 2, &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "renaming"));
}

static void test_mapping_experts(void **state) {
  const char *mixtral = "{\"architectures\": [\"MixtralForCausalLM\"], "
                        "\"num_hidden_layers\": 1, \"hidden_size\": 8, "
                        "\"num_attention_heads\": 2, \"num_local_experts\": 2}";
  static const char *w[] = {"w1", "w2", "w3"};
  char names[6][96];
  tp_arch_src_tensor s[7];
  tp_arch_mapping *m = NULL;
  size_t i, k = 0, x;
  const tp_arch_out_tensor *o;
  uint64_t total, shared, expert, count;
  (void)state;
  for (x = 0; x < 2; x++)
    for (i = 0; i < 3; i++) {
      snprintf(names[k], sizeof names[k],
               "model.layers.0.block_sparse_moe.experts.%zu.%s.weight", x, w[i]);
      s[k] = t2(names[k], i == 1 ? 8 : 12, i == 1 ? 12 : 8);
      k++;
    }
  assert_int_equal(map(mixtral, s, 6, &m), TP_OK);
  assert_int_equal(tp_arch_mapping_count(m), 3);
  o = tp_arch_mapping_at(m, 0);
  assert_string_equal(o->name, "blk.0.ffn_gate_exps.weight"); /* w1 first */
  assert_int_equal(o->n_src, 2);
  assert_int_equal(o->ndim, 3);
  assert_int_equal(o->shape[0], 2);
  assert_string_equal(tp_arch_mapping_at(m, 1)->name, "blk.0.ffn_down_exps.weight");
  tp_arch_mapping_params(m, &total, &shared, &expert, &count);
  assert_int_equal(total, 6 * 96);
  assert_int_equal(count, 2);
  assert_int_equal(expert, 3 * 96);
  tp_arch_mapping_free(m);
  /* one expert missing: its name is given */
  s[5] = t2("model.layers.0.block_sparse_moe.experts.2.w3.weight", 12, 8);
  assert_int_equal(map(mixtral, s, 6, &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "experts.1.w3.weight\": missing"));
  /* too few to stack: left over at the end */
  assert_int_equal(map(mixtral, s, 4, &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "Unprocessed experts"));
  /* an expert of another shape */
  s[5] = t2(names[5], 12, 4);
  assert_int_equal(map(mixtral, s, 6, &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "another type or shape"));
}

static void test_kvs_types(void **state) {
  tp_arch_inputs in;
  tp_metastore ms;
  json_t *c;
  size_t k;
  (void)state;
  memset(&in, 0, sizeof in);
  c = parse("{\"architectures\": [\"Qwen2ForCausalLM\"], \"num_hidden_layers\": 2, "
            "\"num_attention_heads\": [4, 8], \"hidden_size\": 64}");
  in.config = c;
  in.file_type = 1;
  tp_meta_init(&ms);
  assert_int_equal(tp_arch_gguf_kvs(profile("qwen2"), &in, NULL, &ms), TP_OK);
  k = tp_meta_find(&ms, "qwen2.attention.head_count", 26);
  assert_true(k != SIZE_MAX);
  assert_int_equal(ms.items[k].val.type, TP_VALUE_ARRAY);
  assert_int_equal(ms.items[k].val.elem_type, TP_VALUE_I32);
  k = tp_meta_find(&ms, "general.file_type", 17);
  assert_int_equal(ms.items[k].val.v.u, 1);
  assert_string_equal(ms.items[ms.n - 1].key, "general.quantization_version");
  tp_meta_free(&ms);
  json_decref(c);
  /* a count that is not an integer names the field */
  c = parse("{\"architectures\": [\"Qwen2ForCausalLM\"], \"num_hidden_layers\": 2, "
            "\"hidden_size\": 64.5}");
  in.config = c;
  tp_meta_init(&ms);
  assert_int_equal(tp_arch_gguf_kvs(profile("qwen2"), &in, NULL, &ms), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "\"hidden_size\""));
  tp_meta_free(&ms);
  json_decref(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_permute_rows_map), cmocka_unit_test(test_permute_rows_data),
      cmocka_unit_test(test_add_one_precision), cmocka_unit_test(test_llama3_rope),
      cmocka_unit_test(test_kvl_keeps_first_position), cmocka_unit_test(test_card_subset),
      cmocka_unit_test(test_card_refusals),    cmocka_unit_test(test_model_ids),
      cmocka_unit_test(test_select),           cmocka_unit_test(test_hparams_legacy),
      cmocka_unit_test(test_mapping),          cmocka_unit_test(test_mapping_experts),
      cmocka_unit_test(test_kvs_types),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
