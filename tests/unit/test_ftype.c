/*
 * test_ftype.c - unit tests of the GGUF file-type presets (convert/ftype.c):
 * preset names and numbers, use_more_bits, llama-quantize's tensor order,
 * the mixture rules on in-memory models (ggml-types.md §12.3's worked
 * example, Q3_K_M / Q2_K / 8-expert attn_v rules), shape fallbacks, the
 * per-tensor options, the plain --type path and the general.file_type keys.
 * Plans are built on models that exist only in memory: nothing is read or
 * written. Byte equality with llama-quantize itself is
 * tests/interop/test_llama_quantize.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/gguf/policy.h"
#include "convert/plan.h"
#include "dtype/dtype.h"
#include "model/model.h"

#define OUT_PATH "/nonexistent-tp-ftype-test/out.gguf"

/* ---- names and numbers ----------------------------------------------------- */

static void test_names(void **state) {
  static const struct {
    const char *name;
    int ftype;
  } ok[] = {
      {"Q4_K_M", 15}, {"q4_k_m", 15}, {"Q4_K", 15},   {"q4_k_s", 14},
      {"Q5_K_M", 17}, {"Q5_K", 17},   {"Q5_K_S", 16}, {"Q3_K", 12},
      {"Q3_K_S", 11}, {"Q3_K_M", 12}, {"q3_k_l", 13}, {"Q2_K", 10},
      {"Q6_K", 18},   {"Q8_0", 7},    {"Q4_0", 2},    {"Q4_1", 3},
      {"Q5_0", 8},    {"Q5_1", 9},    {"F16", 1},     {"bf16", 32},
      {"F32", 0},     {"TQ1_0", 36},  {"tq2_0", 37},  {"MXFP4_MOE", 38},
      {"15", 15},     {"0", 0},       {"7", 7},       {"32", 32},
  };
  size_t i;
  int ft;
  (void)state;
  for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    ft = -5;
    assert_int_equal(tp_ftype_from_name(ok[i].name, &ft), TP_OK);
    assert_int_equal(ft, ok[i].ftype);
  }
  /* known to llama-quantize, refused with a reason (and the value) */
  ft = -5;
  assert_int_equal(tp_ftype_from_name("IQ2_XXS", &ft), TP_EUNSUPPORTED);
  assert_int_equal(ft, 19);
  assert_non_null(strstr(tp_last_error(), "importance matrix"));
  assert_int_equal(tp_ftype_from_name("iq4_nl", &ft), TP_EUNSUPPORTED);
  assert_int_equal(ft, 25);
  assert_non_null(strstr(tp_last_error(), "IQ4_NL"));
  assert_int_equal(tp_ftype_from_name("Q2_K_S", &ft), TP_EUNSUPPORTED);
  assert_int_equal(ft, 21);
  assert_int_equal(tp_ftype_from_name("IQ3_M", &ft), TP_EUNSUPPORTED);
  assert_int_equal(tp_ftype_from_name("23", &ft), TP_EUNSUPPORTED);
  assert_int_equal(ft, 23);
  /* element types that are not presets, retired and unknown values */
  assert_int_equal(tp_ftype_from_name("MXFP4", &ft), TP_ENOTFOUND);
  assert_int_equal(tp_ftype_from_name("NVFP4", &ft), TP_ENOTFOUND);
  assert_int_equal(tp_ftype_from_name("39", &ft), TP_ENOTFOUND);
  assert_int_equal(tp_ftype_from_name("4", &ft), TP_ENOTFOUND);
  assert_int_equal(tp_ftype_from_name("", &ft), TP_ENOTFOUND);
  assert_int_equal(tp_ftype_from_name("15x", &ft), TP_ENOTFOUND);
  assert_int_equal(tp_ftype_from_name("-15", &ft), TP_ENOTFOUND);
  assert_int_equal(tp_ftype_from_name("Q4_K_MX", &ft), TP_ENOTFOUND);
  assert_int_equal(tp_ftype_from_name("COPY", &ft), TP_ENOTFOUND);
  assert_int_equal(tp_ftype_from_name(NULL, &ft), TP_EINVAL);
}

static void test_ftype_name(void **state) {
  int v;
  (void)state;
  assert_string_equal(tp_ftype_name(15), "Q4_K_M");
  assert_string_equal(tp_ftype_name(12), "Q3_K_M"); /* not the alias Q3_K */
  assert_string_equal(tp_ftype_name(17), "Q5_K_M");
  assert_string_equal(tp_ftype_name(0), "F32");
  assert_string_equal(tp_ftype_name(38), "MXFP4_MOE");
  assert_string_equal(tp_ftype_name(19), "IQ2_XXS");
  assert_string_equal(tp_ftype_name(39), "NVFP4");
  assert_string_equal(tp_ftype_name(1024), "GUESSED");
  assert_string_equal(tp_ftype_name(5), "Q4_2");
  assert_string_equal(tp_ftype_name(99), "?");
  assert_string_equal(tp_ftype_name(-1), "?");
  /* every preset name parses back to its value */
  for (v = 0; v < 64; v++) {
    const char *n = tp_ftype_name(v);
    int ft = -1;
    tp_status st;
    if (tp_ftype_default_type(v) == TP_TYPE_COUNT) continue;
    st = tp_ftype_from_name(n, &ft);
    assert_true(st == TP_OK || st == TP_EUNSUPPORTED);
    assert_int_equal(ft, v);
  }
  /* default types (ggml-types.md §12.2) and the reverse map */
  assert_int_equal(tp_ftype_default_type(15), TP_TYPE_Q4_K);
  assert_int_equal(tp_ftype_default_type(11), TP_TYPE_Q3_K);
  assert_int_equal(tp_ftype_default_type(28), TP_TYPE_IQ2_XS);
  assert_int_equal(tp_ftype_default_type(29), TP_TYPE_IQ2_S);
  assert_int_equal(tp_ftype_default_type(22), TP_TYPE_IQ3_S);
  assert_int_equal(tp_ftype_default_type(38), TP_TYPE_MXFP4);
  assert_int_equal(tp_ftype_default_type(39), TP_TYPE_COUNT);
  assert_int_equal(tp_ftype_for_type(TP_TYPE_Q4_K), 15);
  assert_int_equal(tp_ftype_for_type(TP_TYPE_Q3_K), 12);
  assert_int_equal(tp_ftype_for_type(TP_TYPE_Q2_K), 10);
  assert_int_equal(tp_ftype_for_type(TP_TYPE_MXFP4), 38);
  assert_int_equal(tp_ftype_for_type(TP_TYPE_F32), 0);
  assert_int_equal(tp_ftype_for_type(TP_TYPE_F64), -1);
}

static void test_use_more_bits(void **state) {
  int i, count = 0;
  (void)state;
  assert_false(tp_ftype_use_more_bits(0, 2));
  assert_true(tp_ftype_use_more_bits(1, 2)); /* 1 >= 7*2/8 */
  assert_false(tp_ftype_use_more_bits(0, 4));
  assert_false(tp_ftype_use_more_bits(1, 4));
  assert_true(tp_ftype_use_more_bits(2, 4)); /* (2 - 0) % 3 == 2 */
  assert_true(tp_ftype_use_more_bits(3, 4)); /* 3 >= 7*4/8 */
  /* 32 layers: 0-3, 28-31 and 6, 9, ..., 27 */
  for (i = 0; i < 32; i++) count += tp_ftype_use_more_bits(i, 32);
  assert_int_equal(count, 16);
  assert_true(tp_ftype_use_more_bits(3, 32));
  assert_false(tp_ftype_use_more_bits(4, 32));
  assert_false(tp_ftype_use_more_bits(5, 32));
  assert_true(tp_ftype_use_more_bits(6, 32));
  assert_true(tp_ftype_use_more_bits(27, 32));
  assert_false(tp_ftype_use_more_bits(26, 32));
  assert_true(tp_ftype_use_more_bits(28, 32));
}

/* ---- order ------------------------------------------------------------------- */

static void test_layer_of(void **state) {
  (void)state;
  assert_int_equal(tp_ftype_layer_of("blk.12.attn_q.weight"), 12);
  assert_int_equal(tp_ftype_layer_of("blk.007.x"), 7);
  assert_int_equal(tp_ftype_layer_of("blk. 7.x"), 7); /* %d skips spaces */
  assert_int_equal(tp_ftype_layer_of("blk.5"), 5);
  assert_int_equal(tp_ftype_layer_of("blk.-3.x"), -3);
  assert_int_equal(tp_ftype_layer_of("blk.x.y"), -1);
  assert_int_equal(tp_ftype_layer_of("output.weight"), -1);
  assert_int_equal(tp_ftype_layer_of("xblk.1.y"), -1);
  assert_int_equal(tp_ftype_layer_of("blk.99999999999999999999.x"), -1);
}

static void test_sort(void **state) {
  static const char *const in[] = {
      "token_embd.weight",     "blk.10.attn_q.weight", "blk.2.ffn_up.weight",
      "output_norm.weight",    "blk.2.attn_q.weight",  "output.weight",
      "blk.0.ffn_down.weight", "blk.10.attn_k.weight", "rope_freqs.weight",
  };
  static const char *const want[] = {
      "output.weight",         "output_norm.weight",   "rope_freqs.weight",
      "token_embd.weight",     "blk.0.ffn_down.weight", "blk.2.attn_q.weight",
      "blk.2.ffn_up.weight",   "blk.10.attn_k.weight", "blk.10.attn_q.weight",
  };
  tp_out_tensor e[9];
  size_t i;
  (void)state;
  memset(e, 0, sizeof e);
  for (i = 0; i < 9; i++) {
    e[i].name = in[i];
    e[i].name_len = strlen(in[i]);
    e[i].src = i;
  }
  tp_ftype_sort_entries(e, 9);
  for (i = 0; i < 9; i++) assert_string_equal(e[i].name, want[i]);
}

/* ---- in-memory models ---------------------------------------------------------- */

typedef struct spec {
  tp_format fmt;
  const char *arch;
  unsigned n_layer, n_embd, n_ff, n_head, n_head_kv, n_vocab, n_expert;
  int tied;      /* no output.weight */
  tp_type mat;   /* matrices */
  tp_type vec;   /* norms */
} spec;

static spec default_spec(void) {
  spec s = {TP_FORMAT_GGUF, "llama", 2, 256, 256, 4, 4, 64, 0, 0,
            TP_TYPE_F32, TP_TYPE_F32};
  return s;
}

static void add(tp_model *m, const char *name, tp_type t, uint32_t ndim,
                uint64_t d0, uint64_t d1, uint64_t d2) {
  uint64_t shape[3];
  shape[0] = d0;
  shape[1] = d1;
  shape[2] = d2;
  assert_int_equal(tp_model_add_tensor(m, name, strlen(name), t, ndim, shape,
                                       0, 0, NULL),
                   TP_OK);
}

static void set_u32(tp_model *m, const char *arch, const char *k, uint32_t v) {
  char key[128];
  snprintf(key, sizeof key, "%s.%s", arch, k);
  assert_int_equal(tp_meta_set_u32(&m->meta, key, v), TP_OK);
}

/* Tensors in converter order (not llama-quantize's). */
static tp_model *make_model(const spec *s) {
  tp_model *m;
  unsigned i, kv = s->n_embd / s->n_head * s->n_head_kv;
  char n[64];
  assert_int_equal(tp_model_new(&m, s->fmt, "mem.gguf"), TP_OK);
  assert_int_equal(tp_meta_set_str(&m->meta, "general.architecture", s->arch,
                                   strlen(s->arch)),
                   TP_OK);
  /* a stale value the preset must replace and move to the end */
  assert_int_equal(tp_meta_set_u32(&m->meta, "general.file_type", 1), TP_OK);
  set_u32(m, s->arch, "block_count", s->n_layer);
  set_u32(m, s->arch, "embedding_length", s->n_embd);
  set_u32(m, s->arch, "feed_forward_length", s->n_ff);
  set_u32(m, s->arch, "attention.head_count", s->n_head);
  set_u32(m, s->arch, "attention.head_count_kv", s->n_head_kv);
  if (s->n_expert) set_u32(m, s->arch, "expert_count", s->n_expert);
  assert_int_equal(tp_meta_set_str(&m->meta, "general.name", "t", 1), TP_OK);
  add(m, "token_embd.weight", s->mat, 2, s->n_vocab, s->n_embd, 0);
  for (i = 0; i < s->n_layer; i++) {
#define T(suffix, t, nd, a, b, c)                  \
  snprintf(n, sizeof n, "blk.%u." suffix, i);      \
  add(m, n, t, nd, a, b, c)
    T("attn_norm.weight", s->vec, 1, s->n_embd, 0, 0);
    T("attn_q.weight", s->mat, 2, s->n_embd, s->n_embd, 0);
    T("attn_k.weight", s->mat, 2, kv, s->n_embd, 0);
    T("attn_v.weight", s->mat, 2, kv, s->n_embd, 0);
    T("attn_output.weight", s->mat, 2, s->n_embd, s->n_embd, 0);
    T("ffn_norm.weight", s->vec, 1, s->n_embd, 0, 0);
    if (s->n_expert) {
      T("ffn_gate_inp.weight", s->vec, 2, s->n_expert, s->n_embd, 0);
      T("ffn_gate_exps.weight", s->mat, 3, s->n_expert, s->n_ff, s->n_embd);
      T("ffn_up_exps.weight", s->mat, 3, s->n_expert, s->n_ff, s->n_embd);
      T("ffn_down_exps.weight", s->mat, 3, s->n_expert, s->n_embd, s->n_ff);
    } else {
      T("ffn_gate.weight", s->mat, 2, s->n_ff, s->n_embd, 0);
      T("ffn_up.weight", s->mat, 2, s->n_ff, s->n_embd, 0);
      T("ffn_down.weight", s->mat, 2, s->n_embd, s->n_ff, 0);
    }
#undef T
  }
  add(m, "output_norm.weight", s->vec, 1, s->n_embd, 0, 0);
  if (!s->tied) add(m, "output.weight", s->mat, 2, s->n_vocab, s->n_embd, 0);
  return m;
}

/* The models here have GGUF names already: no translation (--keep-names). */
static tp_plan *plan_of(const tp_model *m, const tp_convert_options *o) {
  tp_plan *p = NULL;
  tp_convert_options k = *o;
  tp_status st;
  k.flags |= TP_CONVERT_KEEP_NAMES;
  st = tp_plan_create(&p, m, OUT_PATH, &k);
  if (st != TP_OK) fail_msg("plan: %s", tp_last_error());
  return p;
}

static tp_plan_tensor find(const tp_plan *p, const char *name) {
  tp_plan_tensor t;
  size_t i;
  for (i = 0; i < tp_plan_tensor_count(p); i++) {
    assert_int_equal(tp_plan_tensor_at(p, i, &t), TP_OK);
    if (t.name.len == strlen(name) && !memcmp(t.name.data, name, t.name.len))
      return t;
  }
  fail_msg("no tensor %s in the plan", name);
  memset(&t, 0, sizeof t);
  return t;
}

#define TYPE_OF(p, name) (find((p), (name)).dst_type)

static void assert_note(const tp_plan *p, const char *name, const char *sub) {
  tp_plan_tensor t = find(p, name);
  if (!t.note || !strstr(t.note, sub))
    fail_msg("%s: note \"%s\" lacks \"%s\"", name, t.note ? t.note : "(null)",
             sub);
}

static uint64_t meta_u32(const tp_plan *p, const char *key) {
  size_t i = tp_meta_find(&p->L.meta, key, strlen(key));
  assert_true(i != SIZE_MAX);
  assert_int_equal(p->L.meta.items[i].val.type, TP_VALUE_U32);
  return p->L.meta.items[i].val.v.u;
}

static tp_convert_options preset_opts(int ftype) {
  tp_convert_options o = TP_CONVERT_OPTIONS_INIT;
  o.ftype = ftype;
  return o;
}

/* ggml-types.md §12.3: output Q6_K, layer 1's attn_v and ffn_down Q6_K
 * (use_more_bits(1, 2)), every other quantizable tensor Q4_K. */
static void test_worked_example(void **state) {
  spec s = default_spec();
  tp_model *m = make_model(&s);
  add(m, "blk.1.row.weight", TP_TYPE_F32, 2, 1, 256, 0);
  add(m, "blk.1.col.weight", TP_TYPE_F32, 2, 256, 1, 0);
  tp_convert_options o = preset_opts(TP_FTYPE_Q4_K_M);
  tp_plan *p = plan_of(m, &o);
  static const char *const q4k[] = {
      "token_embd.weight",        "blk.0.attn_q.weight",
      "blk.0.attn_k.weight",      "blk.0.attn_v.weight",
      "blk.0.attn_output.weight", "blk.0.ffn_gate.weight",
      "blk.0.ffn_up.weight",      "blk.0.ffn_down.weight",
      "blk.1.attn_q.weight",      "blk.1.attn_k.weight",
      "blk.1.attn_output.weight", "blk.1.ffn_gate.weight",
      "blk.1.ffn_up.weight",
  };
  tp_plan_tensor t;
  size_t i;
  (void)state;
  assert_int_equal(TYPE_OF(p, "output.weight"), TP_TYPE_Q6_K);
  assert_note(p, "output.weight", "Q6_K: output.weight");
  assert_int_equal(TYPE_OF(p, "blk.1.attn_v.weight"), TP_TYPE_Q6_K);
  assert_note(p, "blk.1.attn_v.weight", "attn_v use_more_bits(1, 2)");
  assert_int_equal(TYPE_OF(p, "blk.1.ffn_down.weight"), TP_TYPE_Q6_K);
  assert_note(p, "blk.1.ffn_down.weight", "ffn_down use_more_bits(1, 2)");
  for (i = 0; i < sizeof q4k / sizeof q4k[0]; i++)
    assert_int_equal(TYPE_OF(p, q4k[i]), TP_TYPE_Q4_K);
  assert_int_equal(TYPE_OF(p, "output_norm.weight"), TP_TYPE_F32);
  assert_int_equal(TYPE_OF(p, "blk.1.ffn_norm.weight"), TP_TYPE_F32);
  assert_note(p, "blk.1.ffn_norm.weight", "not quantized (1-D)");
  /* a row vector is 2-D, but ggml_n_dims counts 1: not quantized, and
   * written with n_dims 1 like llama-quantize's gguf.cpp writes it */
  assert_int_equal(TYPE_OF(p, "blk.1.row.weight"), TP_TYPE_F32);
  assert_note(p, "blk.1.row.weight",
              "kept F32: not quantized ([1, 256] is a single row: ggml_n_dims "
              "1); written as [256]");
  assert_int_equal(find(p, "blk.1.row.weight").ndim, 1);
  assert_int_equal(find(p, "blk.1.row.weight").shape[0], 256);
  /* one column is 2-D for ggml: quantized, its row of 1 falls back to F16 */
  assert_int_equal(TYPE_OF(p, "blk.1.col.weight"), TP_TYPE_F16);
  assert_int_equal(find(p, "blk.1.col.weight").ndim, 2);
  /* llama-quantize's order: non-blk names sorted, then the blocks */
  assert_int_equal(tp_plan_tensor_at(p, 0, &t), TP_OK);
  assert_int_equal(t.name.len, strlen("output.weight"));
  assert_int_equal(tp_plan_tensor_at(p, 3, &t), TP_OK);
  assert_memory_equal(t.name.data, "blk.0.attn_k.weight", t.name.len);
  /* the two keys, set again so they are last */
  assert_int_equal(meta_u32(p, "general.file_type"), 15);
  assert_int_equal(meta_u32(p, "general.quantization_version"), 2);
  assert_string_equal(p->L.meta.items[p->L.meta.n - 1].key, "general.file_type");
  assert_string_equal(p->L.meta.items[p->L.meta.n - 2].key,
                      "general.quantization_version");
  tp_plan_free(p);
  tp_model_free(m);
}

/* Q3_K_M: the first two attn_v Q5_K, later Q4_K; attn_output Q4_K;
 * ffn_down Q4_K (i >= n/16). Q2_K: attn_v Q3_K without GQA, Q4_K with
 * n_gqa >= 4; ffn_down and attn_output Q3_K. */
static void test_k_mixtures(void **state) {
  spec s = default_spec();
  tp_model *m;
  tp_convert_options o;
  tp_plan *p;
  (void)state;
  s.n_layer = 4;
  m = make_model(&s);
  o = preset_opts(TP_FTYPE_Q3_K_M);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_v.weight"), TP_TYPE_Q5_K);
  assert_int_equal(TYPE_OF(p, "blk.1.attn_v.weight"), TP_TYPE_Q5_K);
  assert_int_equal(TYPE_OF(p, "blk.2.attn_v.weight"), TP_TYPE_Q4_K);
  assert_int_equal(TYPE_OF(p, "blk.3.attn_output.weight"), TP_TYPE_Q4_K);
  assert_int_equal(TYPE_OF(p, "blk.0.ffn_down.weight"), TP_TYPE_Q4_K);
  assert_int_equal(TYPE_OF(p, "blk.0.ffn_up.weight"), TP_TYPE_Q3_K);
  assert_int_equal(TYPE_OF(p, "output.weight"), TP_TYPE_Q6_K);
  assert_int_equal(meta_u32(p, "general.file_type"), 12);
  tp_plan_free(p);

  o = preset_opts(TP_FTYPE_Q2_K);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_v.weight"), TP_TYPE_Q3_K);
  assert_int_equal(TYPE_OF(p, "blk.0.ffn_down.weight"), TP_TYPE_Q3_K);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_output.weight"), TP_TYPE_Q3_K);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_q.weight"), TP_TYPE_Q2_K);
  tp_plan_free(p);

  o = preset_opts(TP_FTYPE_Q4_K_S);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.3.attn_v.weight"), TP_TYPE_Q5_K);
  assert_int_equal(TYPE_OF(p, "blk.0.ffn_down.weight"), TP_TYPE_Q4_K);
  tp_plan_free(p);
  tp_model_free(m);

  s.n_head = 8;
  s.n_head_kv = 2; /* n_gqa 4 */
  m = make_model(&s);
  o = preset_opts(TP_FTYPE_Q2_K);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_v.weight"), TP_TYPE_Q4_K);
  assert_note(p, "blk.0.attn_v.weight", "n_gqa 4");
  tp_plan_free(p);
  tp_model_free(m);
}

/* 8 experts: attn_v and attn_k Q8_0, attn_output Q5_K; the router stays
 * F32; MXFP4_MOE puts the 3-D expert stacks in MXFP4 and the rest in Q8_0. */
static void test_moe(void **state) {
  spec s = default_spec();
  tp_model *m;
  tp_convert_options o;
  tp_plan *p;
  (void)state;
  s.n_expert = 8;
  m = make_model(&s);
  o = preset_opts(TP_FTYPE_Q4_K_M);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_v.weight"), TP_TYPE_Q8_0);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_k.weight"), TP_TYPE_Q8_0);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_output.weight"), TP_TYPE_Q5_K);
  assert_int_equal(TYPE_OF(p, "blk.0.ffn_gate_inp.weight"), TP_TYPE_F32);
  /* layer from the name: use_more_bits(1, 2) */
  assert_int_equal(TYPE_OF(p, "blk.1.ffn_down_exps.weight"), TP_TYPE_Q6_K);
  assert_int_equal(TYPE_OF(p, "blk.0.ffn_down_exps.weight"), TP_TYPE_Q4_K);
  tp_plan_free(p);

  o = preset_opts(TP_FTYPE_MXFP4_MOE);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.0.ffn_up_exps.weight"), TP_TYPE_MXFP4);
  assert_int_equal(TYPE_OF(p, "blk.1.ffn_down_exps.weight"), TP_TYPE_MXFP4);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_q.weight"), TP_TYPE_Q8_0);
  assert_int_equal(TYPE_OF(p, "output.weight"), TP_TYPE_Q8_0);
  assert_int_equal(TYPE_OF(p, "token_embd.weight"), TP_TYPE_Q8_0);
  assert_int_equal(meta_u32(p, "general.file_type"), 38);
  tp_plan_free(p);
  tp_model_free(m);
}

/* Rows of 288 (multiple of 32, not of 256) and 176 (not even of 32). */
static void test_fallbacks(void **state) {
  spec s = default_spec();
  tp_model *m;
  tp_convert_options o;
  tp_plan *p;
  (void)state;
  s.n_embd = 288;
  s.n_ff = 176;
  s.n_head = 9;
  s.n_head_kv = 3;
  s.tied = 1;
  m = make_model(&s);
  o = preset_opts(TP_FTYPE_Q4_K_M);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_q.weight"), TP_TYPE_Q5_0);
  assert_note(p, "blk.0.attn_q.weight",
              "fallback Q5_0: row 288 not a multiple of 256");
  /* use_more_bits(1, 2) gives Q6_K, whose fallback is Q8_0 */
  assert_int_equal(TYPE_OF(p, "blk.1.attn_v.weight"), TP_TYPE_Q8_0);
  /* row 176: no 32-element block fits either */
  assert_int_equal(TYPE_OF(p, "blk.0.ffn_down.weight"), TP_TYPE_F16);
  assert_note(p, "blk.0.ffn_down.weight", "fallback F16: row 176");
  /* tied embeddings: token_embd gets the output rule (Q8_0 when the row
   * does not fit the default type's block) */
  assert_int_equal(TYPE_OF(p, "token_embd.weight"), TP_TYPE_Q8_0);
  tp_plan_free(p);

  o = preset_opts(TP_FTYPE_Q5_K_S);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_q.weight"), TP_TYPE_Q5_1);
  tp_plan_free(p);
  o = preset_opts(TP_FTYPE_Q6_K);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_q.weight"), TP_TYPE_Q8_0);
  tp_plan_free(p);
  o = preset_opts(TP_FTYPE_TQ1_0);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_q.weight"), TP_TYPE_Q4_0);
  assert_int_equal(TYPE_OF(p, "blk.0.ffn_down.weight"), TP_TYPE_F16);
  tp_plan_free(p);
  o = preset_opts(TP_FTYPE_Q8_0);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_q.weight"), TP_TYPE_Q8_0);
  assert_int_equal(TYPE_OF(p, "blk.0.ffn_down.weight"), TP_TYPE_F16);
  tp_plan_free(p);
  tp_model_free(m);
}

/* --pure, --output-tensor-type, --token-embedding-type, --tensor-type
 * (first match wins, then the shape fallback), --leave-output-tensor. */
static void test_options(void **state) {
  spec s = default_spec();
  tp_model *m = make_model(&s);
  tp_tensor_type_rule rules[3] = {
      {"attn_v", TP_TYPE_Q8_0},
      {"blk\\.1\\.", TP_TYPE_Q5_0},
      {"attn_v", TP_TYPE_Q4_0}, /* never reached: the first rule matched */
  };
  tp_convert_options o = preset_opts(TP_FTYPE_Q4_K_M);
  tp_plan *p;
  (void)state;
  o.flags = TP_CONVERT_PURE;
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "output.weight"), TP_TYPE_Q4_K);
  assert_int_equal(TYPE_OF(p, "blk.1.attn_v.weight"), TP_TYPE_Q4_K);
  assert_int_equal(TYPE_OF(p, "blk.1.attn_norm.weight"), TP_TYPE_F32);
  tp_plan_free(p);

  o = preset_opts(TP_FTYPE_Q4_K_M);
  o.output_tensor_type = TP_TYPE_Q8_0;
  o.token_embedding_type = TP_TYPE_F16;
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "output.weight"), TP_TYPE_Q8_0);
  assert_int_equal(TYPE_OF(p, "token_embd.weight"), TP_TYPE_F16);
  tp_plan_free(p);

  o = preset_opts(TP_FTYPE_Q4_K_M);
  o.type_rules = rules;
  o.n_type_rules = 3;
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_v.weight"), TP_TYPE_Q8_0);
  assert_int_equal(TYPE_OF(p, "blk.1.attn_v.weight"), TP_TYPE_Q8_0);
  assert_int_equal(TYPE_OF(p, "blk.1.ffn_down.weight"), TP_TYPE_Q5_0);
  assert_int_equal(TYPE_OF(p, "blk.1.attn_norm.weight"), TP_TYPE_F32);
  assert_int_equal(TYPE_OF(p, "blk.0.ffn_down.weight"), TP_TYPE_Q4_K);
  assert_note(p, "blk.1.ffn_down.weight", "--tensor-type rule 2");
  tp_plan_free(p);

  o = preset_opts(TP_FTYPE_Q4_K_M);
  o.flags = TP_CONVERT_LEAVE_OUTPUT_TENSOR;
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "output.weight"), TP_TYPE_F32);
  assert_note(p, "output.weight", "--leave-output-tensor");
  tp_plan_free(p);

  /* an F16 preset: only the overrides, no mixture */
  o = preset_opts(TP_FTYPE_F16);
  o.output_tensor_type = TP_TYPE_Q6_K;
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "output.weight"), TP_TYPE_Q6_K);
  assert_int_equal(TYPE_OF(p, "blk.1.attn_v.weight"), TP_TYPE_F16);
  assert_int_equal(TYPE_OF(p, "blk.1.attn_norm.weight"), TP_TYPE_F32);
  assert_int_equal(meta_u32(p, "general.file_type"), 1);
  tp_plan_free(p);
  tp_model_free(m);
}

/* Tensors llama-quantize does not quantize keep the source type in a GGUF
 * source (F16 norms stay F16); from SafeTensors they become F32. */
static void test_source_types(void **state) {
  spec s = default_spec();
  tp_model *m;
  tp_convert_options o = preset_opts(TP_FTYPE_Q8_0);
  tp_plan *p;
  (void)state;
  s.mat = s.vec = TP_TYPE_F16;
  m = make_model(&s);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_norm.weight"), TP_TYPE_F16);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_q.weight"), TP_TYPE_Q8_0);
  assert_int_equal(TYPE_OF(p, "output.weight"), TP_TYPE_Q8_0);
  tp_plan_free(p);
  o = preset_opts(TP_FTYPE_F16);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_q.weight"), TP_TYPE_F16);
  assert_note(p, "blk.0.attn_q.weight", "F16: F16 default");
  tp_plan_free(p);
  tp_model_free(m);

  s.fmt = TP_FORMAT_SAFETENSORS;
  s.mat = s.vec = TP_TYPE_BF16;
  m = make_model(&s);
  o = preset_opts(TP_FTYPE_Q8_0);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_norm.weight"), TP_TYPE_F32);
  assert_int_equal(TYPE_OF(p, "blk.0.attn_q.weight"), TP_TYPE_Q8_0);
  tp_plan_free(p);
  tp_model_free(m);
}

/* A plain element type: llama-quantize --pure's choice of tensors, the
 * rest untouched; float types keep converting every float tensor. */
static void test_plain_type(void **state) {
  spec s = default_spec();
  tp_model *m;
  tp_convert_options o = TP_CONVERT_OPTIONS_INIT;
  tp_plan *p;
  tp_plan_tensor t;
  (void)state;
  s.n_embd = 288;
  s.n_head = 9;
  s.n_head_kv = 9;
  m = make_model(&s);
  o.type = TP_TYPE_Q4_K;
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.1.attn_v.weight"), TP_TYPE_Q5_0);
  assert_int_equal(TYPE_OF(p, "blk.1.ffn_down.weight"), TP_TYPE_Q4_K);
  assert_int_equal(TYPE_OF(p, "output.weight"), TP_TYPE_Q5_0);
  assert_int_equal(TYPE_OF(p, "blk.0.ffn_norm.weight"), TP_TYPE_F32);
  /* the rows of 288 fell back to Q5_0, which most tensors now are: the
   * file says so (llama.cpp's loader rule), not Q4_K_M */
  assert_int_equal(meta_u32(p, "general.file_type"), TP_FTYPE_Q5_0);
  assert_string_equal(p->L.meta.items[p->L.meta.n - 1].key, "general.file_type");
  /* no reordering without a preset */
  assert_int_equal(tp_plan_tensor_at(p, 0, &t), TP_OK);
  assert_memory_equal(t.name.data, "token_embd.weight", t.name.len);
  tp_plan_free(p);

  o.type = TP_TYPE_F16;
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.0.ffn_norm.weight"), TP_TYPE_F16);
  assert_int_equal(TYPE_OF(p, "output.weight"), TP_TYPE_F16);
  assert_int_equal(meta_u32(p, "general.file_type"), 1);
  tp_plan_free(p);

  o.type = TP_TYPE_Q8_0; /* a plain type keeps the rank */
  add(m, "blk.0.row.weight", TP_TYPE_F32, 2, 1, 288, 0);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.0.row.weight"), TP_TYPE_F32);
  assert_note(p, "blk.0.row.weight", "([1, 288] is a single row: ggml_n_dims 1)");
  assert_int_equal(find(p, "blk.0.row.weight").ndim, 2);
  tp_plan_free(p);

  o.type = TP_TYPE_F64; /* no llama_ftype: the stale key goes */
  p = plan_of(m, &o);
  assert_true(tp_meta_find(&p->L.meta, "general.file_type", 17) == SIZE_MAX);
  tp_plan_free(p);
  tp_model_free(m);
}

/* ---- general.file_type without a preset ------------------------------------------ */

static void entry(tp_out_tensor *e, const char *name, tp_type t) {
  memset(e, 0, sizeof *e);
  e->name = name;
  e->name_len = strlen(name);
  e->dst_type = t;
}

/* llama_model_loader's guess: the most common type, counted in its tensor
 * order (weight_name_comparer), the first type to reach the maximum wins. */
static void test_guess(void **state) {
  tp_out_tensor e[4];
  tp_type most;
  int ft;
  (void)state;
  memset(e, 0, sizeof e);
  assert_int_equal(tp_ftype_guess(e, 0, &ft, &most), TP_OK);
  assert_int_equal(ft, TP_FTYPE_ALL_F32);
  /* plan order x y blk.1.z blk.0.w, loader order x y blk.0.w blk.1.z:
   * Q8_0 reaches two first */
  entry(&e[0], "x", TP_TYPE_Q8_0);
  entry(&e[1], "y", TP_TYPE_F32);
  entry(&e[2], "blk.1.z", TP_TYPE_F32);
  entry(&e[3], "blk.0.w", TP_TYPE_Q8_0);
  assert_int_equal(tp_ftype_guess(e, 4, &ft, &most), TP_OK);
  assert_int_equal(ft, TP_FTYPE_Q8_0);
  assert_int_equal(most, TP_TYPE_Q8_0);
  e[3].name = "blk.2.w";
  assert_int_equal(tp_ftype_guess(e, 4, &ft, &most), TP_OK);
  assert_int_equal(ft, TP_FTYPE_ALL_F32);
  /* the loader's names for the K-quants; MXFP4 as llama-quantize labels
   * it; types no llama_ftype describes */
  entry(&e[0], "a", TP_TYPE_Q3_K);
  assert_int_equal(tp_ftype_guess(e, 1, &ft, &most), TP_OK);
  assert_int_equal(ft, TP_FTYPE_Q3_K_M);
  e[0].dst_type = TP_TYPE_Q4_K;
  assert_int_equal(tp_ftype_guess(e, 1, &ft, &most), TP_OK);
  assert_int_equal(ft, TP_FTYPE_Q4_K_M);
  e[0].dst_type = TP_TYPE_BF16;
  assert_int_equal(tp_ftype_guess(e, 1, &ft, &most), TP_OK);
  assert_int_equal(ft, TP_FTYPE_BF16);
  e[0].dst_type = TP_TYPE_MXFP4;
  assert_int_equal(tp_ftype_guess(e, 1, &ft, &most), TP_OK);
  assert_int_equal(ft, TP_FTYPE_MXFP4_MOE);
  e[0].dst_type = TP_TYPE_NVFP4;
  assert_int_equal(tp_ftype_guess(e, 1, &ft, &most), TP_OK);
  assert_int_equal(ft, TP_FTYPE_NVFP4);
  e[0].dst_type = TP_TYPE_I32;
  assert_int_equal(tp_ftype_guess(e, 1, &ft, &most), TP_OK);
  assert_int_equal(ft, -1);
  assert_int_equal(most, TP_TYPE_I32);
}

/* Copies (no preset, no type): a general.file_type that describes the
 * tensors stays as it is, a stale one is recomputed in its place, none is
 * invented. */
static void test_file_type_of_copies(void **state) {
  spec s = default_spec();
  tp_model *m;
  tp_convert_options o = TP_CONVERT_OPTIONS_INIT;
  tp_plan *p;
  size_t at;
  (void)state;
  m = make_model(&s); /* F32 tensors, general.file_type 1 (MOSTLY_F16) */
  at = tp_meta_find(&m->meta, "general.file_type", 17);
  p = plan_of(m, &o);
  assert_int_equal(meta_u32(p, "general.file_type"), TP_FTYPE_ALL_F32);
  assert_int_equal(tp_meta_find(&p->L.meta, "general.file_type", 17), at);
  tp_plan_free(p);
  /* a wrong value type is no file type llama.cpp can read */
  m->meta.items[at].val.type = TP_VALUE_I32;
  m->meta.items[at].val.v.i = 0;
  p = plan_of(m, &o);
  assert_int_equal(meta_u32(p, "general.file_type"), TP_FTYPE_ALL_F32);
  tp_plan_free(p);
  assert_int_equal(tp_meta_remove(&m->meta, "general.file_type", 17), TP_OK);
  p = plan_of(m, &o);
  assert_true(tp_meta_find(&p->L.meta, "general.file_type", 17) == SIZE_MAX);
  tp_plan_free(p);
  tp_model_free(m);

  /* Q4_K_S: the loader would say Q4_K_M for Q4_K tensors, but the label
   * still describes them; likewise a preset's mixture where other types
   * outnumber its main type (MXFP4_MOE: Q8_0 and F32 besides the MXFP4
   * experts) */
  s.mat = TP_TYPE_Q4_K;
  m = make_model(&s);
  assert_int_equal(tp_meta_set_u32(&m->meta, "general.file_type", TP_FTYPE_Q4_K_S),
                   TP_OK);
  p = plan_of(m, &o);
  assert_int_equal(meta_u32(p, "general.file_type"), TP_FTYPE_Q4_K_S);
  tp_plan_free(p);
  assert_int_equal(tp_meta_set_u32(&m->meta, "general.file_type", TP_FTYPE_MXFP4_MOE),
                   TP_OK);
  p = plan_of(m, &o);
  assert_int_equal(meta_u32(p, "general.file_type"), TP_FTYPE_Q4_K_M);
  tp_plan_free(p);
  tp_model_free(m);
  /* rows Q4_K does not divide are Q5_0 in a Q4_K_S file: still Q4_K_S; a
   * Q4_1 label on the same tensors is stale */
  s.mat = TP_TYPE_Q5_0;
  m = make_model(&s);
  assert_int_equal(tp_meta_set_u32(&m->meta, "general.file_type", TP_FTYPE_Q4_K_S),
                   TP_OK);
  p = plan_of(m, &o);
  assert_int_equal(meta_u32(p, "general.file_type"), TP_FTYPE_Q4_K_S);
  tp_plan_free(p);
  assert_int_equal(tp_meta_set_u32(&m->meta, "general.file_type", TP_FTYPE_Q4_1),
                   TP_OK);
  p = plan_of(m, &o);
  assert_int_equal(meta_u32(p, "general.file_type"), TP_FTYPE_Q5_0);
  tp_plan_free(p);
  tp_model_free(m);
  s = default_spec();
  s.n_expert = 8;
  m = make_model(&s);
  {
    size_t i;
    for (i = 0; i < m->ntensors; i++) {
      tp_tensor *t = &m->tensors[i];
      if (strstr(t->name, "_exps")) t->type = TP_TYPE_MXFP4;
      else if (t->ndim == 2 && !strstr(t->name, "gate_inp")) t->type = TP_TYPE_Q8_0;
      assert_true(tp_type_nbytes(t->type, t->nelements, &t->nbytes));
    }
  }
  assert_int_equal(tp_meta_set_u32(&m->meta, "general.file_type", TP_FTYPE_MXFP4_MOE),
                   TP_OK);
  p = plan_of(m, &o);
  assert_int_equal(meta_u32(p, "general.file_type"), TP_FTYPE_MXFP4_MOE);
  tp_plan_free(p);
  tp_model_free(m);
}

/* Architecture rules: "70B" llama models (80 layers with GQA) get Q5_K
 * attn_v where Q4_K_M would give Q4_K; falcon gets a Q8_0 output and its own
 * ffn_down / attn_output rules. */
static void test_arch_rules(void **state) {
  spec s = default_spec();
  tp_model *m;
  tp_convert_options o = preset_opts(TP_FTYPE_Q4_K_M);
  tp_plan *p;
  (void)state;
  s.n_layer = 80;
  s.n_head = 8;
  s.n_head_kv = 1;
  m = make_model(&s);
  p = plan_of(m, &o);
  /* use_more_bits(10, 80) is false: Q4_K, raised to Q5_K */
  assert_int_equal(TYPE_OF(p, "blk.10.attn_v.weight"), TP_TYPE_Q5_K);
  assert_note(p, "blk.10.attn_v.weight", "70B");
  assert_int_equal(TYPE_OF(p, "blk.12.attn_v.weight"), TP_TYPE_Q6_K);
  assert_int_equal(TYPE_OF(p, "blk.10.ffn_down.weight"), TP_TYPE_Q4_K);
  tp_plan_free(p);
  tp_model_free(m);
  s.n_head_kv = 8; /* no GQA: LLaMA-1 65B, no raise */
  m = make_model(&s);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.10.attn_v.weight"), TP_TYPE_Q4_K);
  tp_plan_free(p);
  tp_model_free(m);

  s = default_spec();
  s.arch = "falcon";
  s.n_layer = 32;
  m = make_model(&s);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "output.weight"), TP_TYPE_Q8_0);
  assert_int_equal(TYPE_OF(p, "blk.1.ffn_down.weight"), TP_TYPE_Q6_K);
  assert_int_equal(TYPE_OF(p, "blk.6.ffn_down.weight"), TP_TYPE_Q5_K);
  assert_int_equal(TYPE_OF(p, "blk.5.ffn_down.weight"), TP_TYPE_Q4_K);
  tp_plan_free(p);
  o = preset_opts(TP_FTYPE_Q3_K_L);
  p = plan_of(m, &o);
  assert_int_equal(TYPE_OF(p, "blk.5.attn_output.weight"), TP_TYPE_Q4_K);
  assert_int_equal(TYPE_OF(p, "blk.5.ffn_down.weight"), TP_TYPE_Q4_K);
  tp_plan_free(p);
  tp_model_free(m);
}

static void test_refused(void **state) {
  spec s = default_spec();
  tp_model *m = make_model(&s);
  tp_convert_options o = preset_opts(TP_FTYPE_IQ2_XXS);
  tp_tensor_type_rule rule = {"attn_q", TP_TYPE_IQ2_XS};
  tp_plan *p = NULL;
  (void)state;
  assert_int_equal(tp_plan_create(&p, m, OUT_PATH, &o), TP_EUNSUPPORTED);
  assert_null(p);
  o = preset_opts(TP_FTYPE_NVFP4);
  assert_int_equal(tp_plan_create(&p, m, OUT_PATH, &o), TP_EUNSUPPORTED);
  o = preset_opts(5);
  assert_int_equal(tp_plan_create(&p, m, OUT_PATH, &o), TP_EINVAL);
  o = preset_opts(TP_FTYPE_Q4_K_M);
  o.type = TP_TYPE_Q8_0;
  assert_int_equal(tp_plan_create(&p, m, OUT_PATH, &o), TP_EINVAL);
  /* an i-quant by rule needs an importance matrix, as in llama-quantize */
  o = preset_opts(TP_FTYPE_Q4_K_M);
  o.type_rules = &rule;
  o.n_type_rules = 1;
  assert_int_equal(tp_plan_create(&p, m, OUT_PATH, &o), TP_EUNSUPPORTED);
  assert_non_null(strstr(tp_last_error(), "importance matrix"));
  rule.pattern = "attn_q(";
  assert_int_equal(tp_plan_create(&p, m, OUT_PATH, &o), TP_EINVAL);
  tp_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names),        cmocka_unit_test(test_ftype_name),
      cmocka_unit_test(test_use_more_bits), cmocka_unit_test(test_layer_of),
      cmocka_unit_test(test_sort),         cmocka_unit_test(test_worked_example),
      cmocka_unit_test(test_k_mixtures),   cmocka_unit_test(test_moe),
      cmocka_unit_test(test_fallbacks),    cmocka_unit_test(test_options),
      cmocka_unit_test(test_source_types), cmocka_unit_test(test_plain_type),
      cmocka_unit_test(test_arch_rules),   cmocka_unit_test(test_refused),
      cmocka_unit_test(test_guess),        cmocka_unit_test(test_file_type_of_copies),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
