/*
 * test_gguf.c - unit tests of the GGUF reader, writer, metadata encoding and
 * metadata editing (src/formats/gguf_*.c, src/convert/meta_edit.c).
 *
 * Files are built byte by byte here (a small builder below), independent of
 * the writer under test, so reader and writer check each other: header and
 * KV parsing for v1/v2/v3 and big-endian, every value type and array type,
 * alignment, shape translation, offsets; the writer's header bytes for a
 * small plan compared with a hand-built expectation; split naming and split
 * layout reopened as one model; the SafeTensors metadata encoding round
 * trip; and in-place metadata edits.
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
#include <sys/stat.h>
#include <unistd.h>

#include "base/io.h"
#include "convert/plan.h"
#include "dtype/dtype.h"
#include "formats/hf/hf.h"
#include "formats/gguf/gguf.h"

/* ---- a GGUF byte builder ------------------------------------------------- */

typedef struct gb {
  uint8_t *p;
  size_t len, cap;
  int be; /* numbers big-endian */
  int v1; /* 32-bit counts */
} gb;

static void gb_raw(gb *b, const void *s, size_t n) {
  if (b->len + n > b->cap) {
    b->cap = (b->len + n) * 2 + 64;
    b->p = realloc(b->p, b->cap);
    assert_non_null(b->p);
  }
  if (n) memcpy(b->p + b->len, s, n);
  b->len += n;
}
static void gb_u8(gb *b, uint8_t v) { gb_raw(b, &v, 1); }
static void gb_u16(gb *b, uint16_t v) {
  uint8_t x[2];
  b->be ? tp_store_be16(x, v) : tp_store_le16(x, v);
  gb_raw(b, x, 2);
}
static void gb_u32(gb *b, uint32_t v) {
  uint8_t x[4];
  b->be ? tp_store_be32(x, v) : tp_store_le32(x, v);
  gb_raw(b, x, 4);
}
static void gb_u64(gb *b, uint64_t v) {
  uint8_t x[8];
  b->be ? tp_store_be64(x, v) : tp_store_le64(x, v);
  gb_raw(b, x, 8);
}
static void gb_cnt(gb *b, uint64_t v) {
  if (b->v1) gb_u32(b, (uint32_t)v);
  else gb_u64(b, v);
}
static void gb_strn(gb *b, const char *s, size_t n) {
  gb_cnt(b, n);
  gb_raw(b, s, n);
}
static void gb_str(gb *b, const char *s) { gb_strn(b, s, strlen(s)); }
static void gb_header(gb *b, uint32_t version, uint64_t nt, uint64_t nkv) {
  gb_raw(b, "GGUF", 4);
  gb_u32(b, version);
  gb_cnt(b, nt);
  gb_cnt(b, nkv);
}
static void gb_key(gb *b, const char *k, uint32_t type) {
  gb_str(b, k);
  gb_u32(b, type);
}
static void gb_tensor(gb *b, const char *name, uint32_t nd, const uint64_t *ne,
                      uint32_t type, uint64_t off) {
  uint32_t j;
  gb_str(b, name);
  gb_u32(b, nd);
  for (j = 0; j < nd; j++) gb_cnt(b, ne[j]);
  gb_u32(b, type);
  gb_u64(b, off);
}
static void gb_pad(gb *b, size_t a) {
  while (b->len % a) gb_u8(b, 0);
}

static tp_status open_mem(const gb *b, tp_model **m) {
  tp_infile *f;
  tp_status st = tp_infile_from_memory(&f, b->p, b->len, "mem.gguf");
  assert_int_equal(st, TP_OK);
  return tp_gguf_open_infile(m, f);
}

static const tp_value *meta(const tp_model *m, const char *k) {
  const tp_value *v = tp_model_meta_find(m, k);
  if (!v) print_error("missing key %s\n", k);
  assert_non_null(v);
  return v;
}

/* ---- every value type, v1/v2/v3, both byte orders ---------------------------- */

/* Builds a file with one KV of every type and every array type and two
 * tensors: "w" F32 ne [3,2] (canonical [2,3]) and "q" Q8_0 ne [32]. */
static void build_all_types(gb *b, uint32_t version) {
  const uint64_t ne_w[2] = {3, 2}, ne_q[1] = {32};
  uint32_t nkv = version == 1 ? 10 + 2 : 13 + 3;
  int i;
  gb_header(b, version, 2, nkv);
  gb_key(b, "t.u8", 0); gb_u8(b, 200);
  gb_key(b, "t.i8", 1); gb_u8(b, 0x80);
  gb_key(b, "t.u16", 2); gb_u16(b, 65535);
  gb_key(b, "t.i16", 3); gb_u16(b, 0x8000);
  gb_key(b, "t.u32", 4); gb_u32(b, 4000000000u);
  gb_key(b, "t.i32", 5); gb_u32(b, (uint32_t)-7);
  gb_key(b, "t.f32", 6); gb_u32(b, tp_f32_bits(0.1f));
  gb_key(b, "t.bool", 7); gb_u8(b, 5); /* any non-zero byte is true */
  gb_key(b, "t.str", 8); gb_strn(b, "a\0b", 3);
  gb_key(b, "t.arr_str", 9); gb_u32(b, 8); gb_cnt(b, 2); gb_str(b, "x"); gb_str(b, "");
  gb_key(b, "t.arr_i16", 9); gb_u32(b, 3); gb_cnt(b, 3);
  for (i = 0; i < 3; i++) gb_u16(b, (uint16_t)(int16_t)(i - 1));
  gb_key(b, "t.arr_bool", 9); gb_u32(b, 7); gb_cnt(b, 2); gb_u8(b, 0); gb_u8(b, 2);
  if (version >= 2) {
    gb_key(b, "t.u64", 10); gb_u64(b, UINT64_MAX);
    gb_key(b, "t.i64", 11); gb_u64(b, (uint64_t)INT64_MIN);
    gb_key(b, "t.f64", 12); gb_u64(b, tp_f64_bits(-2.5e300));
    gb_key(b, "t.arr_f64", 9); gb_u32(b, 12); gb_cnt(b, 2);
    gb_u64(b, tp_f64_bits(1.5)); gb_u64(b, tp_f64_bits(-0.0));
  }
  gb_tensor(b, "w", 2, ne_w, 0, 0);
  gb_tensor(b, "q", 1, ne_q, 8, 32);
  gb_pad(b, 32);
  for (i = 0; i < 6; i++) gb_u32(b, tp_f32_bits((float)i + 0.5f));
  gb_pad(b, 32);
  for (i = 0; i < 34; i++) gb_u8(b, (uint8_t)i);
  gb_pad(b, 32);
}

static void check_all_types(const tp_model *m, uint32_t version, int be) {
  const tp_value *v;
  tp_tensor_info ti;
  float f[6];
  uint8_t q[34];
  int i;
  assert_int_equal(tp_model_gguf_version(m), version);
  assert_int_equal(tp_model_big_endian(m), be);
  assert_int_equal(tp_model_alignment(m), 32);
  v = meta(m, "t.u8"); assert_int_equal(v->type, TP_VALUE_U8); assert_int_equal(v->v.u, 200);
  v = meta(m, "t.i8"); assert_int_equal(v->type, TP_VALUE_I8); assert_int_equal(v->v.i, -128);
  v = meta(m, "t.u16"); assert_int_equal(v->type, TP_VALUE_U16); assert_int_equal(v->v.u, 65535);
  v = meta(m, "t.i16"); assert_int_equal(v->type, TP_VALUE_I16); assert_int_equal(v->v.i, -32768);
  v = meta(m, "t.u32"); assert_int_equal(v->type, TP_VALUE_U32); assert_int_equal(v->v.u, 4000000000u);
  v = meta(m, "t.i32"); assert_int_equal(v->type, TP_VALUE_I32); assert_int_equal(v->v.i, -7);
  v = meta(m, "t.f32"); assert_int_equal(v->type, TP_VALUE_F32);
  assert_true(v->v.f == (double)0.1f);
  v = meta(m, "t.bool"); assert_int_equal(v->type, TP_VALUE_BOOL); assert_int_equal(v->v.u, 1);
  v = meta(m, "t.str"); assert_int_equal(v->type, TP_VALUE_STRING);
  assert_int_equal(v->v.s.len, 3);
  assert_memory_equal(v->v.s.data, "a\0b", 3);
  v = meta(m, "t.arr_str");
  assert_int_equal(v->type, TP_VALUE_ARRAY);
  assert_int_equal(v->elem_type, TP_VALUE_STRING);
  assert_int_equal(v->count, 2);
  assert_int_equal(((const tp_string *)v->v.array)[0].len, 1);
  assert_int_equal(((const tp_string *)v->v.array)[1].len, 0);
  v = meta(m, "t.arr_i16");
  assert_int_equal(v->elem_type, TP_VALUE_I16);
  assert_int_equal(((const int16_t *)v->v.array)[0], -1);
  assert_int_equal(((const int16_t *)v->v.array)[2], 1);
  v = meta(m, "t.arr_bool");
  assert_int_equal(((const uint8_t *)v->v.array)[0], 0);
  assert_int_equal(((const uint8_t *)v->v.array)[1], 1);
  if (version >= 2) {
    v = meta(m, "t.u64"); assert_int_equal(v->type, TP_VALUE_U64); assert_true(v->v.u == UINT64_MAX);
    v = meta(m, "t.i64"); assert_int_equal(v->type, TP_VALUE_I64); assert_true(v->v.i == INT64_MIN);
    v = meta(m, "t.f64"); assert_true(v->v.f == -2.5e300);
    v = meta(m, "t.arr_f64");
    assert_true(((const double *)v->v.array)[0] == 1.5);
    assert_true(signbit(((const double *)v->v.array)[1]));
  }
  assert_int_equal(tp_model_tensor_count(m), 2);
  assert_int_equal(tp_model_tensor(m, 0, &ti), TP_OK);
  assert_int_equal(ti.type, TP_TYPE_F32);
  assert_int_equal(ti.ndim, 2);
  assert_int_equal(ti.shape[0], 2); /* ne [3,2] -> canonical [2,3] */
  assert_int_equal(ti.shape[1], 3);
  assert_int_equal(ti.nbytes, 24);
  assert_int_equal(ti.file_offset % 32, 0);
  assert_int_equal(ti.file_offset, tp_model_data_offset(m, 0));
  assert_int_equal(tp_model_read(m, 0, 0, f, sizeof f), TP_OK);
  for (i = 0; i < 6; i++) assert_true(f[i] == (float)i + 0.5f);
  assert_int_equal(tp_model_tensor(m, 1, &ti), TP_OK);
  assert_int_equal(ti.type, TP_TYPE_Q8_0);
  assert_int_equal(ti.nbytes, 34);
  assert_int_equal(ti.file_offset, tp_model_data_offset(m, 0) + 32);
  assert_int_equal(tp_model_read(m, 1, 0, q, sizeof q), TP_OK);
  for (i = 0; i < 34; i++) assert_int_equal(q[i], i);
}

static void test_read_v3(void **state) {
  gb b = {0};
  tp_model *m;
  (void)state;
  build_all_types(&b, 3);
  assert_int_equal(open_mem(&b, &m), TP_OK);
  check_all_types(m, 3, 0);
  tp_model_free(m);
  free(b.p);
}

static void test_read_v2(void **state) {
  gb b = {0};
  tp_model *m;
  (void)state;
  build_all_types(&b, 2);
  assert_int_equal(open_mem(&b, &m), TP_OK);
  check_all_types(m, 2, 0);
  tp_model_free(m);
  free(b.p);
}

static void test_read_v1(void **state) {
  gb b = {0};
  tp_model *m;
  (void)state;
  b.v1 = 1;
  build_all_types(&b, 1);
  assert_int_equal(open_mem(&b, &m), TP_OK);
  check_all_types(m, 1, 0);
  tp_model_free(m);
  free(b.p);
}

/* Big-endian: numbers swapped, the F32 tensor's elements too; Q8_0 is
 * refused (no swap rule wired into reads), so the BE file holds F32 and I8. */
static void test_read_big_endian(void **state) {
  const uint64_t ne_w[2] = {3, 2}, ne_i[1] = {4};
  gb b = {0};
  tp_model *m;
  tp_tensor_info ti;
  float f[6];
  int8_t i8[4];
  int i;
  (void)state;
  b.be = 1;
  gb_header(&b, 3, 2, 2);
  gb_key(&b, "t.u32", 4); gb_u32(&b, 0x01020304u);
  gb_key(&b, "t.arr_f32", 9); gb_u32(&b, 6); gb_u64(&b, 1); gb_u32(&b, tp_f32_bits(3.25f));
  gb_tensor(&b, "w", 2, ne_w, 0, 0);
  gb_tensor(&b, "i", 1, ne_i, 24, 32);
  gb_pad(&b, 32);
  for (i = 0; i < 6; i++) gb_u32(&b, tp_f32_bits((float)i * 2.0f));
  gb_pad(&b, 32);
  for (i = 0; i < 4; i++) gb_u8(&b, (uint8_t)(-i));
  gb_pad(&b, 32);
  assert_int_equal(open_mem(&b, &m), TP_OK);
  assert_int_equal(tp_model_big_endian(m), 1);
  assert_int_equal(tp_model_gguf_version(m), 3);
  assert_int_equal(meta(m, "t.u32")->v.u, 0x01020304u);
  assert_true(((const float *)meta(m, "t.arr_f32")->v.array)[0] == 3.25f);
  assert_int_equal(tp_model_tensor(m, 0, &ti), TP_OK);
  assert_int_equal(ti.shape[0], 2);
  assert_int_equal(tp_model_read(m, 0, 0, f, sizeof f), TP_OK);
  for (i = 0; i < 6; i++) assert_true(f[i] == (float)i * 2.0f);
  assert_int_equal(tp_model_read(m, 1, 0, i8, sizeof i8), TP_OK);
  assert_int_equal(i8[3], -3);
  tp_model_free(m);

  /* the "FUGG" magic marks big-endian explicitly */
  memcpy(b.p, "FUGG", 4);
  assert_int_equal(open_mem(&b, &m), TP_OK);
  assert_int_equal(tp_model_big_endian(m), 1);
  tp_model_free(m);

  /* Q4_0 in a big-endian file: the f16 scale is swapped on read, the packed
     nibbles are not (gguf_convert_endian's rule) */
  b.len = 0;
  {
    const uint64_t ne_q[1] = {32};
    uint8_t blk[18];
    gb_header(&b, 3, 1, 0);
    gb_tensor(&b, "q", 1, ne_q, 2, 0); /* Q4_0 */
    gb_pad(&b, 32);
    gb_u8(&b, 0x3c); /* d = 1.0 stored big-endian */
    gb_u8(&b, 0x00);
    for (i = 0; i < 16; i++) gb_u8(&b, (uint8_t)(0x10 + i));
    assert_int_equal(open_mem(&b, &m), TP_OK);
    assert_int_equal(tp_model_read(m, 0, 0, blk, sizeof blk), TP_OK);
    assert_int_equal(blk[0], 0x00);
    assert_int_equal(blk[1], 0x3c);
    assert_int_equal(blk[2], 0x10);
    assert_int_equal(blk[17], 0x1f);
    tp_model_free(m);
  }
  /* a block type without a swap rule is refused clearly */
  b.len = 0;
  {
    const uint64_t ne_q[1] = {256};
    gb_header(&b, 3, 1, 0);
    gb_tensor(&b, "q", 1, ne_q, 13, 0); /* Q5_K */
    gb_pad(&b, 32);
    for (i = 0; i < 176; i++) gb_u8(&b, 0);
  }
  assert_int_equal(open_mem(&b, &m), TP_EUNSUPPORTED);
  assert_non_null(strstr(tp_last_error(), "tensor \"q\""));
  assert_non_null(strstr(tp_last_error(), "big-endian"));
  free(b.p);
}

/* ---- alignment and layout rules -------------------------------------------------- */

static void test_alignment(void **state) {
  const uint64_t ne[1] = {3};
  gb b = {0};
  tp_model *m;
  tp_tensor_info ti;
  (void)state;
  gb_header(&b, 3, 2, 1);
  gb_key(&b, "general.alignment", 4); gb_u32(&b, 64);
  gb_tensor(&b, "a", 1, ne, 0, 0);
  gb_tensor(&b, "b", 1, ne, 0, 64);
  gb_pad(&b, 64);
  gb_raw(&b, "0123456789ab", 12);
  gb_pad(&b, 64);
  gb_raw(&b, "ABCDEFGHIJKL", 12); /* no trailing padding: accepted */
  assert_int_equal(open_mem(&b, &m), TP_OK);
  assert_int_equal(tp_model_alignment(m), 64);
  assert_int_equal(tp_model_data_offset(m, 0) % 64, 0);
  assert_int_equal(tp_model_tensor(m, 1, &ti), TP_OK);
  assert_int_equal(ti.file_offset, tp_model_data_offset(m, 0) + 64);
  tp_model_free(m);

  /* one byte of junk past the padded end is refused */
  gb_pad(&b, 64);
  gb_u8(&b, 'X');
  assert_int_equal(open_mem(&b, &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "trailing bytes"));

  /* alignment 3 and an INT32-typed alignment are refused */
  b.len = 0;
  gb_header(&b, 3, 0, 1);
  gb_key(&b, "general.alignment", 4); gb_u32(&b, 3);
  assert_int_equal(open_mem(&b, &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "general.alignment"));
  b.len = 0;
  gb_header(&b, 3, 0, 1);
  gb_key(&b, "general.alignment", 5); gb_u32(&b, 32);
  assert_int_equal(open_mem(&b, &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "UINT32"));
  /* 2^31 without tensors: nothing ties it to the file size, and a writer
   * would pad the header to 2 GiB in memory (fuzz_gguf finding) */
  b.len = 0;
  gb_header(&b, 3, 0, 1);
  gb_key(&b, "general.alignment", 4); gb_u32(&b, 0x80000000u);
  assert_int_equal(open_mem(&b, &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "exceeds the limit"));
  /* the largest accepted alignment */
  b.len = 0;
  gb_header(&b, 3, 0, 1);
  gb_key(&b, "general.alignment", 4); gb_u32(&b, TP_GGUF_MAX_ALIGNMENT);
  assert_int_equal(open_mem(&b, &m), TP_OK);
  tp_model_free(m);
  free(b.p);
}

static void test_reader_refusals(void **state) {
  const uint64_t ne8[1] = {8}, ne_bad[1] = {(uint64_t)-4};
  gb b = {0};
  tp_model *m;
  (void)state;
  /* offset gap: the strict packing rule */
  gb_header(&b, 3, 2, 0);
  gb_tensor(&b, "a", 1, ne8, 0, 0);
  gb_tensor(&b, "b", 1, ne8, 0, 64);
  gb_pad(&b, 32);
  while (b.len < 32 + 128) gb_u8(&b, 0);
  assert_int_equal(open_mem(&b, &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "tensor \"b\""));
  assert_non_null(strstr(tp_last_error(), "64 vs expected 32"));
  /* negative extent */
  b.len = 0;
  gb_header(&b, 3, 1, 0);
  gb_tensor(&b, "neg", 1, ne_bad, 0, 0);
  assert_int_equal(open_mem(&b, &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "negative"));
  /* nested array */
  b.len = 0;
  gb_header(&b, 3, 0, 1);
  gb_key(&b, "nest", 9); gb_u32(&b, 9); gb_u64(&b, 1);
  assert_int_equal(open_mem(&b, &m), TP_EUNSUPPORTED);
  assert_non_null(strstr(tp_last_error(), "key 0 \"nest\""));
  /* duplicate key */
  b.len = 0;
  gb_header(&b, 3, 0, 2);
  gb_key(&b, "k", 0); gb_u8(&b, 1);
  gb_key(&b, "k", 0); gb_u8(&b, 2);
  assert_int_equal(open_mem(&b, &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "key 1 \"k\": duplicate key"));
  /* data section short by 4 bytes */
  b.len = 0;
  gb_header(&b, 3, 1, 0);
  gb_tensor(&b, "short", 1, ne8, 0, 0);
  gb_pad(&b, 32);
  while (b.len < 32 + 28) gb_u8(&b, 0);
  assert_int_equal(open_mem(&b, &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "tensor \"short\""));
  /* scores typed INT8[] */
  b.len = 0;
  gb_header(&b, 3, 0, 2);
  gb_key(&b, "tokenizer.ggml.tokens", 9); gb_u32(&b, 8); gb_u64(&b, 1); gb_str(&b, "a");
  gb_key(&b, "tokenizer.ggml.scores", 9); gb_u32(&b, 1); gb_u64(&b, 1); gb_u8(&b, 1);
  assert_int_equal(open_mem(&b, &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "tokenizer.ggml.scores"));
  /* zero extent [0, 4] is fine */
  {
    const uint64_t ne0[2] = {4, 0};
    tp_tensor_info ti;
    b.len = 0;
    gb_header(&b, 3, 1, 0);
    gb_tensor(&b, "z", 2, ne0, 0, 0);
    gb_pad(&b, 32);
    assert_int_equal(open_mem(&b, &m), TP_OK);
    assert_int_equal(tp_model_tensor(m, 0, &ti), TP_OK);
    assert_int_equal(ti.shape[0], 0);
    assert_int_equal(ti.shape[1], 4);
    assert_int_equal(ti.nbytes, 0);
    tp_model_free(m);
  }
  free(b.p);
}

/* ---- split names ------------------------------------------------------------------ */

static void test_split_names(void **state) {
  size_t pl;
  uint32_t no, cnt;
  char *p;
  (void)state;
  assert_true(tp_gguf_split_parse("dir/model-00002-of-00003.gguf", &pl, &no, &cnt));
  assert_int_equal(pl, strlen("dir/model"));
  assert_int_equal(no, 2);
  assert_int_equal(cnt, 3);
  assert_false(tp_gguf_split_parse("model-00004-of-00003.gguf", &pl, &no, &cnt));
  assert_false(tp_gguf_split_parse("model-00000-of-00003.gguf", &pl, &no, &cnt));
  assert_false(tp_gguf_split_parse("model-0001-of-00003.gguf", &pl, &no, &cnt));
  assert_false(tp_gguf_split_parse("model-00001-of-00003.bin", &pl, &no, &cnt));
  assert_false(tp_gguf_split_parse("model.gguf", &pl, &no, &cnt));
  p = tp_gguf_split_path("a/b", 3, 7, 12);
  assert_string_equal(p, "a/b-00007-of-00012.gguf");
  free(p);
}

/* ---- writer --------------------------------------------------------------------- */

static tp_layout *new_plan(const char *out_path) {
  tp_layout *p = calloc(1, sizeof *p);
  tp_convert_options o = TP_CONVERT_OPTIONS_INIT;
  assert_non_null(p);
  tp_layout_init(p);
  p->target = tp_format_ops_of(TP_FORMAT_GGUF);
  p->opts = o;
  p->out_path = strdup(out_path);
  return p;
}

static void free_plan(tp_layout *p) {
  tp_layout_release(p);
  free(p);
}

static void plan_add(tp_layout *p, const char *name, tp_type t, uint32_t ndim,
                     const uint64_t *shape) {
  tp_out_tensor *e;
  assert_int_equal(tp_grow((void **)&p->entries, &p->cap, p->n + 1,
                           sizeof *p->entries), TP_OK);
  e = &p->entries[p->n++];
  memset(e, 0, sizeof *e);
  e->name = name;
  e->name_len = strlen(name);
  e->src_type = e->dst_type = t;
  e->ndim = ndim;
  memcpy(e->shape, shape, ndim * sizeof *shape);
  assert_true(tp_shape_nelements(ndim, shape, &e->nelements));
  assert_true(tp_type_nbytes(t, e->nelements, &e->dst_nbytes));
  e->src_nbytes = e->dst_nbytes;
}

static void test_layout_bytes(void **state) {
  const uint64_t sa[2] = {2, 3}, sb[1] = {5};
  tp_layout *p = new_plan("out.gguf");
  gb x = {0};
  size_t data_start;
  (void)state;
  assert_int_equal(tp_meta_set_str(&p->meta, "general.architecture", "llama", 5), TP_OK);
  assert_int_equal(tp_meta_set_u32(&p->meta, "general.file_type", 1), TP_OK);
  /* split bookkeeping of a source must not leak into a single output */
  {
    tp_value v = {0};
    v.type = TP_VALUE_U16;
    v.v.u = 3;
    assert_int_equal(tp_meta_set(&p->meta, "split.count", 11, &v, 1), TP_OK);
  }
  plan_add(p, "a", TP_TYPE_F32, 2, sa);
  plan_add(p, "b", TP_TYPE_F16, 1, sb);
  assert_int_equal(tp_gguf_layout(p), TP_OK);
  /* the expectation, built independently */
  gb_header(&x, 3, 2, 2);
  gb_key(&x, "general.architecture", 8); gb_str(&x, "llama");
  gb_key(&x, "general.file_type", 4); gb_u32(&x, 1);
  {
    const uint64_t na[2] = {3, 2}, nb[1] = {5};
    gb_tensor(&x, "a", 2, na, 0, 0);
    gb_tensor(&x, "b", 1, nb, 1, 32);
  }
  gb_pad(&x, 32);
  data_start = x.len;
  assert_int_equal(p->nfiles, 1);
  assert_string_equal(p->files[0].path, "out.gguf");
  assert_int_equal(p->files[0].header_len, x.len);
  assert_memory_equal(p->files[0].header, x.p, x.len);
  assert_int_equal(p->files[0].size, data_start + 32 + 32);
  assert_int_equal(p->files[0].n_tensors, 2);
  assert_int_equal(p->entries[0].offset, data_start);
  assert_int_equal(p->entries[1].offset, data_start + 32);
  assert_int_equal(p->entries[0].file, 0);
  assert_int_equal(p->entries[0].swap_size, 0);

  /* round trip: header + zero data reads back as the plan says */
  {
    tp_model *m;
    gb f = {0};
    tp_tensor_info ti;
    gb_raw(&f, p->files[0].header, p->files[0].header_len);
    while (f.len < p->files[0].size) gb_u8(&f, 0);
    assert_int_equal(open_mem(&f, &m), TP_OK);
    assert_int_equal(tp_model_meta_count(m), 2);
    assert_null(tp_model_meta_find(m, "split.count"));
    assert_int_equal(tp_model_tensor(m, 0, &ti), TP_OK);
    assert_int_equal(ti.ndim, 2);
    assert_int_equal(ti.shape[0], 2);
    assert_int_equal(ti.shape[1], 3);
    assert_int_equal(ti.file_offset, p->entries[0].offset);
    assert_int_equal(tp_model_tensor(m, 1, &ti), TP_OK);
    assert_int_equal(ti.file_offset, p->entries[1].offset);
    tp_model_free(m);
    free(f.p);
  }
  free_plan(p);
  free(x.p);
}

static void test_layout_big_endian(void **state) {
  const uint64_t s[1] = {32};
  tp_layout *p = new_plan("be.gguf");
  (void)state;
  p->opts.flags = TP_CONVERT_BIG_ENDIAN;
  plan_add(p, "f", TP_TYPE_F16, 1, s);
  plan_add(p, "m", TP_TYPE_MXFP4, 1, s);
  assert_int_equal(tp_gguf_layout(p), TP_OK);
  assert_memory_equal(p->files[0].header, "GGUF\0\0\0\3", 8);
  assert_int_equal(p->entries[0].swap_size, 2);
  assert_int_equal(p->entries[1].swap_size, 0);
  free_plan(p);
  p = new_plan("be.gguf");
  p->opts.flags = TP_CONVERT_BIG_ENDIAN;
  plan_add(p, "k", TP_TYPE_Q4_K, 1, (const uint64_t[]){256});
  assert_int_equal(tp_gguf_layout(p), TP_OK);
  assert_int_equal(p->entries[0].swap_size, TP_SWAP_BLOCK_FIELDS);
  free_plan(p);
  p = new_plan("be.gguf");
  p->opts.flags = TP_CONVERT_BIG_ENDIAN;
  plan_add(p, "k", TP_TYPE_Q5_K, 1, (const uint64_t[]){256});
  assert_int_equal(tp_gguf_layout(p), TP_EUNSUPPORTED);
  assert_non_null(strstr(tp_last_error(), "tensor \"k\""));
  free_plan(p);
}

static void test_layout_refusals(void **state) {
  const uint64_t s5[5] = {1, 1, 1, 1, 2}, s1[1] = {4};
  tp_layout *p = new_plan("x.gguf");
  char longname[80];
  (void)state;
  plan_add(p, "five", TP_TYPE_F32, 5, s5);
  assert_int_equal(tp_gguf_layout(p), TP_EUNSUPPORTED);
  assert_non_null(strstr(tp_last_error(), "at most 4"));
  free_plan(p);
  p = new_plan("x.gguf");
  memset(longname, 'n', 64);
  longname[64] = 0;
  plan_add(p, longname, TP_TYPE_F32, 1, s1);
  assert_int_equal(tp_gguf_layout(p), TP_EUNSUPPORTED);
  assert_non_null(strstr(tp_last_error(), "shorter than 64"));
  free_plan(p);
  p = new_plan("x.gguf");
  plan_add(p, "u", TP_TYPE_U8, 1, s1);
  assert_int_equal(tp_gguf_layout(p), TP_EUNSUPPORTED);
  free_plan(p);
  /* an alignment above the cap (e.g. decoded from SafeTensors metadata) */
  p = new_plan("x.gguf");
  assert_int_equal(tp_meta_set_u32(&p->meta, "general.alignment", 0x80000000u),
                   TP_OK);
  plan_add(p, "w", TP_TYPE_F32, 1, s1);
  assert_int_not_equal(tp_gguf_layout(p), TP_OK);
  assert_non_null(strstr(tp_last_error(), "general.alignment"));
  free_plan(p);
}

/* Writes each planned file: header then zeros (the executor's job). */
static void write_plan_files(const tp_layout *p) {
  size_t i;
  for (i = 0; i < p->nfiles; i++) {
    FILE *f = fopen(p->files[i].path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p->files[i].header, 1, p->files[i].header_len, f),
                     p->files[i].header_len);
    assert_int_equal(ftruncate(fileno(f), (off_t)p->files[i].size), 0);
    fclose(f);
  }
}

static void test_layout_split(void **state) {
  const uint64_t s[1] = {8};
  char dir[] = "/tmp/tp_gguf_test_XXXXXX", out[256], path[300];
  tp_layout *p;
  tp_model *m;
  tp_tensor_info ti;
  const tp_value *v;
  size_t i;
  (void)state;
  assert_non_null(mkdtemp(dir));
  snprintf(out, sizeof out, "%s/model.gguf", dir);
  p = new_plan(out);
  assert_int_equal(tp_meta_set_str(&p->meta, "general.architecture", "llama", 5), TP_OK);
  {
    tp_value al = {0};
    al.type = TP_VALUE_U32;
    al.v.u = 64;
    assert_int_equal(tp_meta_set(&p->meta, "general.alignment", 17, &al, 1), TP_OK);
  }
  plan_add(p, "t0", TP_TYPE_F32, 1, s);
  plan_add(p, "t1", TP_TYPE_F32, 1, s);
  plan_add(p, "t2", TP_TYPE_F32, 1, s);
  p->opts.split_max_size = 64; /* two 32-byte tensors per shard */
  p->opts.flags = TP_CONVERT_NO_TENSOR_FIRST_SPLIT;
  assert_int_equal(tp_gguf_layout(p), TP_OK);
  assert_int_equal(p->nfiles, 3); /* metadata only, {t0,t1}, {t2} */
  snprintf(path, sizeof path, "%s/model-00001-of-00003.gguf", dir);
  assert_string_equal(p->files[0].path, path);
  assert_int_equal(p->files[0].n_tensors, 0);
  assert_int_equal(p->files[1].n_tensors, 2);
  assert_int_equal(p->files[2].n_tensors, 1);
  assert_int_equal(p->entries[2].file, 2);
  assert_int_equal(p->entries[1].offset - p->entries[0].offset, 64);
  write_plan_files(p);

  assert_int_equal(tp_gguf_open(&m, path, NULL), TP_OK);
  assert_int_equal(tp_model_file_count(m), 3);
  assert_int_equal(tp_model_tensor_count(m), 3);
  assert_int_equal(tp_model_alignment(m), 64);
  v = meta(m, "split.count");
  assert_int_equal(v->type, TP_VALUE_U16);
  assert_int_equal(v->v.u, 3);
  v = meta(m, "split.tensors.count");
  assert_int_equal(v->type, TP_VALUE_I32);
  assert_int_equal(v->v.i, 3);
  assert_int_equal(meta(m, "split.no")->v.u, 0);
  assert_string_equal(meta(m, "general.architecture")->v.s.data, "llama");
  assert_int_equal(tp_model_tensor(m, 2, &ti), TP_OK);
  assert_int_equal(ti.file_index, 2);
  assert_int_equal(ti.file_offset, p->entries[2].offset);
  tp_model_free(m);

  /* opening a later part opens the whole set */
  snprintf(path, sizeof path, "%s/model-00003-of-00003.gguf", dir);
  assert_int_equal(tp_gguf_open(&m, path, NULL), TP_OK);
  assert_int_equal(tp_model_tensor_count(m), 3);
  tp_model_free(m);

  /* a missing part is named */
  snprintf(path, sizeof path, "%s/model-00002-of-00003.gguf", dir);
  assert_int_equal(unlink(path), 0);
  snprintf(path, sizeof path, "%s/model-00001-of-00003.gguf", dir);
  assert_int_equal(tp_gguf_open(&m, path, NULL), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "split part 2 of 3 is missing"));

  for (i = 0; i < p->nfiles; i++) unlink(p->files[i].path);
  rmdir(dir);
  free_plan(p);
}

/* ---- metadata encoding in SafeTensors -------------------------------------------- */

static bool value_eq(const tp_value *a, const tp_value *b) {
  if (a->type != b->type) return false;
  switch (a->type) {
  case TP_VALUE_STRING:
    return a->v.s.len == b->v.s.len && !memcmp(a->v.s.data, b->v.s.data, a->v.s.len);
  case TP_VALUE_F32: case TP_VALUE_F64:
    return tp_f64_bits(a->v.f) == tp_f64_bits(b->v.f);
  case TP_VALUE_ARRAY: {
    uint64_t i;
    size_t esz;
    if (a->elem_type != b->elem_type || a->count != b->count) return false;
    if (a->elem_type == TP_VALUE_STRING) {
      const tp_string *x = a->v.array, *y = b->v.array;
      for (i = 0; i < a->count; i++)
        if (x[i].len != y[i].len || memcmp(x[i].data, y[i].data, x[i].len))
          return false;
      return true;
    }
    esz = tp_value_type_size(a->elem_type);
    return !a->count || !memcmp(a->v.array, b->v.array, (size_t)a->count * esz);
  }
  default:
    return a->v.u == b->v.u;
  }
}

static void add_val(tp_metastore *ms, const char *k, tp_value v) {
  assert_int_equal(tp_meta_set(ms, k, strlen(k), &v, 0), TP_OK);
}

static void test_meta_safetensors_round_trip(void **state) {
  tp_metastore g, st, back;
  tp_value v;
  const tp_string strs[3] = {{"tok\"\\\n", 6}, {"\xff\xfe", 2}, {"\xc3\xa9", 2}};
  const float fl[4] = {0.1f, -0.0f, INFINITY, 0};
  const uint64_t u64s[2] = {UINT64_MAX, 5};
  const uint8_t bools[2] = {1, 0};
  float nanf_payload = tp_bits_f32(0x7FC00123u);
  size_t i;
  (void)state;
  tp_meta_init(&g);
  tp_meta_init(&st);
  tp_meta_init(&back);
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_STRING; v.v.s.data = "llama"; v.v.s.len = 5;
  add_val(&g, "general.architecture", v);
  memset(&v, 0, sizeof v); v.type = TP_VALUE_U8; v.v.u = 255; add_val(&g, "k.u8", v);
  v.type = TP_VALUE_I8; v.v.i = -128; add_val(&g, "k.i8", v);
  v.type = TP_VALUE_U16; v.v.u = 65535; add_val(&g, "k.u16", v);
  v.type = TP_VALUE_I16; v.v.i = -32768; add_val(&g, "k.i16", v);
  v.type = TP_VALUE_U32; v.v.u = 4096; add_val(&g, "k.u32", v);
  v.type = TP_VALUE_I32; v.v.i = INT32_MIN; add_val(&g, "k.i32", v);
  v.type = TP_VALUE_U64; v.v.u = UINT64_MAX; add_val(&g, "k.u64", v);
  v.type = TP_VALUE_I64; v.v.i = INT64_MIN; add_val(&g, "k.i64", v);
  v.type = TP_VALUE_F32; v.v.f = (double)1e-45f; add_val(&g, "k.f32", v);
  v.type = TP_VALUE_F32; v.v.f = (double)nanf_payload; add_val(&g, "k.f32nan", v);
  v.type = TP_VALUE_F64; v.v.f = -0.0; add_val(&g, "k.f64", v);
  v.type = TP_VALUE_F64; v.v.f = 0.1; add_val(&g, "k.f64b", v);
  v.type = TP_VALUE_BOOL; v.v.u = 1; add_val(&g, "k.bool", v);
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_STRING; v.v.s.data = "a\0b\x01"; v.v.s.len = 4; add_val(&g, "k.str", v);
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_ARRAY; v.elem_type = TP_VALUE_STRING; v.count = 3; v.v.array = strs;
  add_val(&g, "tokenizer.ggml.tokens", v);
  v.elem_type = TP_VALUE_F32; v.count = 3; v.v.array = fl; add_val(&g, "tokenizer.ggml.scores", v);
  v.elem_type = TP_VALUE_U64; v.count = 2; v.v.array = u64s; add_val(&g, "k.arr_u64", v);
  v.elem_type = TP_VALUE_BOOL; v.count = 2; v.v.array = bools; add_val(&g, "k.arr_bool", v);
  v.elem_type = TP_VALUE_I32; v.count = 0; v.v.array = NULL; add_val(&g, "k.arr_empty", v);
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_STRING; v.v.s.data = "pt"; v.v.s.len = 2;
  add_val(&g, "safetensors.metadata.format", v);
  add_val(&g, "safetensors.metadata.note", v);
  v.type = TP_VALUE_U16; v.v.u = 0; add_val(&g, "split.no", v);

  assert_int_equal(tp_gguf_meta_to_safetensors(&g, &st), TP_OK);
  assert_int_equal(st.n, g.n - 1); /* split.no dropped */
  /* plain keys come back plain, except "format" (the SafeTensors writer
   * adds its own, so the original travels encoded) */
  assert_true(tp_meta_find(&st, "note", 4) != SIZE_MAX);
  assert_true(tp_meta_find(&st, "format", 6) == SIZE_MAX);
  assert_true(tp_meta_find(&st, "gguf:safetensors.metadata.format", 32) != SIZE_MAX);
  i = tp_meta_find(&st, "gguf:k.u32", 10);
  assert_true(i != SIZE_MAX);
  assert_string_equal(st.items[i].val.v.s.data,
                      "{\"index\":5,\"type\":\"UINT32\",\"value\":4096}");
  for (i = 0; i < st.n; i++) assert_int_equal(st.items[i].val.type, TP_VALUE_STRING);

  /* the SafeTensors writer sorts keys: decode must restore the order */
  {
    tp_metastore rev;
    tp_meta_init(&rev);
    for (i = st.n; i-- > 0;)
      assert_int_equal(tp_meta_set(&rev, st.items[i].key, st.items[i].key_len,
                                   &st.items[i].val, 0), TP_OK);
    /* the SafeTensors writer's own marker is not a GGUF KV */
    assert_int_equal(tp_meta_set_str(&rev, "format", "pt", 2), TP_OK);
    assert_int_equal(tp_gguf_meta_from_safetensors(&rev, &back), TP_OK);
    tp_meta_free(&rev);
  }
  assert_int_equal(back.n, g.n - 1);
  for (i = 0; i < back.n; i++) {
    assert_int_equal(back.items[i].key_len, g.items[i].key_len);
    assert_memory_equal(back.items[i].key, g.items[i].key, g.items[i].key_len);
    if (!value_eq(&back.items[i].val, &g.items[i].val)) {
      print_error("value of %s differs\n", g.items[i].key);
      fail();
    }
  }
  tp_meta_free(&back);

  /* plain SafeTensors metadata is kept under a namespaced key; a broken
   * encoded entry names its key */
  tp_meta_init(&back);
  {
    tp_metastore plain;
    tp_meta_init(&plain);
    assert_int_equal(tp_meta_set_str(&plain, "format", "pt", 2), TP_OK);
    assert_int_equal(tp_gguf_meta_from_safetensors(&plain, &back), TP_OK);
    assert_int_equal(back.n, 1);
    assert_string_equal(back.items[0].key, "safetensors.metadata.format");
    {
      const char *bad = "{\"type\":\"UINT8\",\"value\":300}";
      assert_int_equal(tp_meta_set_str(&plain, "gguf:x", bad, strlen(bad)), TP_OK);
    }
    tp_meta_free(&back);
    tp_meta_init(&back);
    assert_int_equal(tp_gguf_meta_from_safetensors(&plain, &back), TP_EFORMAT);
    assert_non_null(strstr(tp_last_error(), "gguf:x"));
    assert_non_null(strstr(tp_last_error(), "out of range"));
    tp_meta_free(&plain);
  }
  tp_meta_free(&back);
  tp_meta_free(&g);
  tp_meta_free(&st);
}

static int cmp_meta_key(const void *a, const void *b) {
  const tp_meta_item *x = *(const tp_meta_item *const *)a;
  const tp_meta_item *y = *(const tp_meta_item *const *)b;
  int c = memcmp(x->key, y->key, x->key_len < y->key_len ? x->key_len : y->key_len);
  if (c) return c;
  return x->key_len < y->key_len ? -1 : x->key_len > y->key_len;
}

/* "safetensors.metadata.<k>" KVs go plain only as a trailing run in key
 * order: the decoder appends plain entries in the writer's (sorted) order,
 * so any other one stays encoded to keep its position (fuzz_gguf finding) */
static void test_meta_plain_order(void **state) {
  tp_metastore g, st, rev, back;
  tp_value v;
  size_t i;
  (void)state;
  tp_meta_init(&g);
  tp_meta_init(&st);
  tp_meta_init(&rev);
  tp_meta_init(&back);
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_STRING;
  v.v.s.data = "x";
  v.v.s.len = 1;
  add_val(&g, "safetensors.metadata.b", v); /* before an encoded KV */
  add_val(&g, "safetensors.metadata.bad", (tp_value){.type = TP_VALUE_STRING,
                                                     .v.s = {"\xff", 1}});
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_U32;
  v.v.u = 1;
  add_val(&g, "k", v);
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_STRING;
  v.v.s.data = "y";
  v.v.s.len = 1;
  add_val(&g, "safetensors.metadata.z", v); /* out of key order */
  add_val(&g, "safetensors.metadata.a", v);
  add_val(&g, "safetensors.metadata.c", v);
  assert_int_equal(tp_gguf_meta_to_safetensors(&g, &st), TP_OK);
  assert_true(tp_meta_find(&st, "gguf:safetensors.metadata.b", 27) != SIZE_MAX);
  assert_true(tp_meta_find(&st, "gguf:safetensors.metadata.bad", 29) != SIZE_MAX);
  assert_true(tp_meta_find(&st, "gguf:safetensors.metadata.z", 27) != SIZE_MAX);
  assert_true(tp_meta_find(&st, "a", 1) != SIZE_MAX);
  assert_true(tp_meta_find(&st, "c", 1) != SIZE_MAX);
  /* the SafeTensors writer sorts the keys (byte order) */
  {
    const tp_meta_item **order = calloc(st.n, sizeof *order);
    assert_non_null(order);
    for (i = 0; i < st.n; i++) order[i] = &st.items[i];
    qsort(order, st.n, sizeof *order, cmp_meta_key);
    for (i = 0; i < st.n; i++)
      assert_int_equal(tp_meta_set(&rev, order[i]->key, order[i]->key_len,
                                   &order[i]->val, 0), TP_OK);
    free(order);
  }
  assert_int_equal(tp_gguf_meta_from_safetensors(&rev, &back), TP_OK);
  assert_int_equal(back.n, g.n);
  for (i = 0; i < g.n; i++) {
    assert_int_equal(back.items[i].key_len, g.items[i].key_len);
    assert_memory_equal(back.items[i].key, g.items[i].key, g.items[i].key_len);
    assert_true(value_eq(&back.items[i].val, &g.items[i].val));
  }
  tp_meta_free(&g);
  tp_meta_free(&st);
  tp_meta_free(&rev);
  tp_meta_free(&back);
}

static void test_meta_defaults(void **state) {
  tp_metastore ms;
  (void)state;
  tp_meta_init(&ms);
  assert_int_equal(tp_meta_set_u32(&ms, "x.y", 1), TP_OK);
  assert_int_equal(tp_meta_set_str(&ms, "general.architecture", "llama", 5), TP_OK);
  assert_int_equal(tp_gguf_meta_add_defaults(&ms, "/a/b/My-Model.safetensors"), TP_OK);
  assert_int_equal(ms.n, 3);
  assert_string_equal(ms.items[0].key, "general.architecture");
  assert_string_equal(ms.items[1].key, "general.name");
  assert_string_equal(ms.items[1].val.v.s.data, "My-Model");
  assert_string_equal(ms.items[2].key, "x.y");
  /* an existing name is kept */
  assert_int_equal(tp_gguf_meta_add_defaults(&ms, "/other/"), TP_OK);
  assert_string_equal(ms.items[1].val.v.s.data, "My-Model");
  tp_meta_free(&ms);
}

/* Plans (to a path that does not exist) of a SafeTensors model with
 * tensors b, a, c whose metadata records the GGUF order `order`; returns
 * the planned names joined ("cab"), or the status when planning fails. */
static tp_status order_of(const char *order, char *names) {
  tp_model *m;
  tp_plan *p = NULL;
  tp_convert_options o = TP_CONVERT_OPTIONS_INIT;
  static const char *const src[] = {"b", "a", "c"};
  static const char kv[] = "{\"index\":0,\"type\":\"UINT8\",\"value\":1}";
  const uint64_t shape[1] = {2};
  tp_status st;
  size_t i;
  assert_int_equal(tp_model_new(&m, TP_FORMAT_SAFETENSORS, "mem.safetensors"), TP_OK);
  for (i = 0; i < 3; i++)
    assert_int_equal(tp_model_add_tensor(m, src[i], 1, TP_TYPE_F32, 1, shape, 0,
                                         0, NULL),
                     TP_OK);
  assert_int_equal(tp_meta_set_str(&m->meta, "gguf:x", kv, strlen(kv)), TP_OK);
  if (order)
    assert_int_equal(tp_meta_set_str(&m->meta, TP_GGUF_ST_ORDER_KEY, order,
                                     strlen(order)),
                     TP_OK);
  st = tp_plan_create(&p, m, "/nonexistent-tp-gguf-test/out.gguf", &o);
  if (st == TP_OK) {
    for (i = 0; i < p->L.n; i++) names[i] = p->L.entries[i].name[0];
    names[p->L.n] = 0;
    /* the order entry is no GGUF KV */
    assert_int_equal(p->L.meta.n, 1);
    assert_string_equal(p->L.meta.items[0].key, "x");
  }
  tp_plan_free(p);
  tp_model_free(m);
  return st;
}

/* GGUF -> SafeTensors records the tensor order; SafeTensors -> GGUF puts the
 * tensors back in it when it lists exactly the file's tensors. */
static void test_tensor_order(void **state) {
  tp_tensor t[3];
  tp_metastore st;
  tp_arena a;
  tp_string *names;
  size_t n;
  bool present;
  char got[8];
  (void)state;
  memset(t, 0, sizeof t);
  t[0].name = "z.w";
  t[0].name_len = 3;
  t[1].name = "q\"\xff";
  t[1].name_len = 3;
  t[2].name = "a";
  t[2].name_len = 1;
  tp_meta_init(&st);
  tp_arena_init(&a);
  assert_int_equal(tp_gguf_tensor_order_to_safetensors(t, 3, &st), TP_OK);
  assert_int_equal(st.n, 1);
  assert_string_equal(st.items[0].key, "gguf.tensor_order");
  assert_string_equal(st.items[0].val.v.s.data,
                      "[\"z.w\",{\"hex\":\"7122ff\"},\"a\"]");
  assert_true(tp_gguf_st_from_gguf(&st));
  assert_int_equal(tp_gguf_tensor_order_from_safetensors(&st, &a, &names, &n,
                                                         &present),
                   TP_OK);
  assert_true(present);
  assert_int_equal(n, 3);
  assert_int_equal(names[1].len, 3);
  assert_memory_equal(names[1].data, "q\"\xff", 3);
  assert_memory_equal(names[2].data, "a", 1);
  tp_meta_free(&st);
  tp_arena_free(&a);

  /* a GGUF KV of the order entry's plain name stays encoded */
  tp_meta_init(&st);
  {
    tp_metastore g;
    tp_meta_init(&g);
    assert_int_equal(tp_meta_set_str(&g, "safetensors.metadata.gguf.tensor_order",
                                     "[]", 2),
                     TP_OK);
    assert_int_equal(tp_gguf_meta_to_safetensors(&g, &st), TP_OK);
    assert_int_equal(st.n, 1);
    assert_string_equal(st.items[0].key,
                        "gguf:safetensors.metadata.gguf.tensor_order");
    tp_meta_free(&g);
  }
  tp_meta_free(&st);

  assert_int_equal(order_of("[\"c\",\"a\",\"b\"]", got), TP_OK);
  assert_string_equal(got, "cab");
  /* anything but exactly the file's tensors: the source order */
  assert_int_equal(order_of(NULL, got), TP_OK);
  assert_string_equal(got, "bac");
  assert_int_equal(order_of("[\"c\",\"a\"]", got), TP_OK);
  assert_string_equal(got, "bac");
  assert_int_equal(order_of("[\"c\",\"a\",\"x\"]", got), TP_OK);
  assert_string_equal(got, "bac");
  assert_int_equal(order_of("[\"c\",\"a\",\"a\"]", got), TP_OK);
  assert_string_equal(got, "bac");
  assert_int_equal(order_of("[\"c\",\"a\",\"b\",\"d\"]", got), TP_OK);
  assert_string_equal(got, "bac");
  /* a malformed entry is an error naming it */
  assert_int_equal(order_of("{\"c\":1}", got), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "gguf.tensor_order"));
  assert_int_equal(order_of("[\"c\",2,\"b\"]", got), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "element 1"));
}

static void test_swap_blocks(void **state) {
  uint8_t q4k[288], q6k[210], orig[288];
  size_t i;
  (void)state;
  for (i = 0; i < sizeof q4k; i++) q4k[i] = orig[i] = (uint8_t)i;
  assert_true(tp_swap_storage(TP_TYPE_Q4_K, TP_SWAP_BLOCK_FIELDS, q4k, sizeof q4k));
  assert_int_equal(q4k[0], 1);
  assert_int_equal(q4k[1], 0);
  assert_int_equal(q4k[2], 3);
  assert_int_equal(q4k[3], 2);
  assert_int_equal(q4k[4], 4);
  assert_int_equal(q4k[144], 145); /* second block */
  assert_true(tp_swap_storage(TP_TYPE_Q4_K, TP_SWAP_BLOCK_FIELDS, q4k, sizeof q4k));
  assert_memory_equal(q4k, orig, sizeof q4k);
  for (i = 0; i < sizeof q6k; i++) q6k[i] = (uint8_t)i;
  assert_true(tp_swap_storage(TP_TYPE_Q6_K, TP_SWAP_BLOCK_FIELDS, q6k, sizeof q6k));
  assert_int_equal(q6k[208], 209);
  assert_int_equal(q6k[0], 0);
  assert_false(tp_swap_storage(TP_TYPE_Q4_K, TP_SWAP_BLOCK_FIELDS, q4k, 100));
  assert_false(tp_swap_storage(TP_TYPE_Q5_K, TP_SWAP_BLOCK_FIELDS, q4k, 176));
}

/* ---- metadata editing --------------------------------------------------------------- */

static void write_file(const char *path, const gb *b) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(b->p, 1, b->len, f), b->len);
  fclose(f);
}

typedef struct {
  int cancel, saw_write, saw_sync, saw_done;
  uint64_t last_done, last_total, tensors_done, tensors_total;
} edit_log;

static int on_edit_progress(const tp_progress *pr, void *user) {
  edit_log *l = (edit_log *)user;
  if (pr->phase == TP_PHASE_WRITE) l->saw_write = 1;
  if (pr->phase == TP_PHASE_SYNC) l->saw_sync = 1;
  if (pr->phase == TP_PHASE_DONE) l->saw_done = 1;
  l->last_done = pr->bytes_done;
  l->last_total = pr->bytes_total;
  l->tensors_done = pr->tensors_done;
  l->tensors_total = pr->tensors_total;
  return l->cancel;
}

static void test_meta_edit_gguf(void **state) {
  char dir[] = "/tmp/tp_gguf_edit_XXXXXX", path[256], out[256];
  const uint64_t ne[1] = {4};
  gb b = {0};
  tp_meta_edits *e;
  tp_model *m;
  float f[4];
  int i;
  (void)state;
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/m.gguf", dir);
  snprintf(out, sizeof out, "%s/out.gguf", dir);
  gb_header(&b, 2, 1, 3);
  gb_key(&b, "general.name", 8); gb_str(&b, "old");
  gb_key(&b, "llama.context_length", 4); gb_u32(&b, 2048);
  gb_key(&b, "junk", 0); gb_u8(&b, 1);
  gb_tensor(&b, "w", 1, ne, 0, 0);
  gb_pad(&b, 32);
  for (i = 0; i < 4; i++) gb_u32(&b, tp_f32_bits((float)i - 1.5f));
  gb_pad(&b, 32);
  write_file(path, &b);

  assert_int_equal(tp_meta_edits_new(&e), TP_OK);
  assert_int_equal(tp_meta_edits_set(e, "general.name=str:a much longer name: with colon"), TP_OK);
  assert_int_equal(tp_meta_edits_set(e, "llama.context_length=int:8192"), TP_OK);
  assert_int_equal(tp_meta_edits_set(e, "new.f=f64:-0.25"), TP_OK);
  assert_int_equal(tp_meta_edits_set(e, "new.b=bool:true"), TP_OK);
  assert_int_equal(tp_meta_edits_delete(e, "junk"), TP_OK);
  assert_int_equal(tp_meta_edits_set(e, "bad"), TP_EINVAL);
  assert_int_equal(tp_meta_edits_set(e, "k=u8:256"), TP_EINVAL);
  assert_int_equal(tp_meta_edits_set(e, "k=bool:yes"), TP_EINVAL);
  assert_int_equal(tp_meta_edits_set(e, "k=quux:1"), TP_EINVAL);
  assert_int_equal(tp_meta_edit_file(path, NULL, e, TP_META_EDIT_NO_SYNC), TP_OK);
  tp_meta_edits_free(e);

  assert_int_equal(tp_gguf_open(&m, path, NULL), TP_OK);
  assert_int_equal(tp_model_gguf_version(m), 3);
  assert_int_equal(tp_model_meta_count(m), 4);
  {
    tp_string k;
    const tp_value *v;
    assert_int_equal(tp_model_meta(m, 0, &k, &v), TP_OK);
    assert_string_equal(k.data, "general.name"); /* kept its position */
    assert_string_equal(v->v.s.data, "a much longer name: with colon");
    assert_int_equal(tp_model_meta(m, 1, &k, &v), TP_OK);
    assert_int_equal(v->type, TP_VALUE_U32); /* int keeps the key's type */
    assert_int_equal(v->v.u, 8192);
  }
  assert_true(meta(m, "new.f")->v.f == -0.25);
  assert_int_equal(meta(m, "new.b")->type, TP_VALUE_BOOL);
  assert_null(tp_model_meta_find(m, "junk"));
  assert_int_equal(tp_model_read(m, 0, 0, f, sizeof f), TP_OK);
  for (i = 0; i < 4; i++) assert_true(f[i] == (float)i - 1.5f);
  tp_model_free(m);

  /* to another path; refusing to overwrite; deleting an absent key */
  assert_int_equal(tp_meta_edits_new(&e), TP_OK);
  assert_int_equal(tp_meta_edits_set(e, "llama.context_length=int:70000"), TP_OK);
  assert_int_equal(tp_meta_edit_file(path, out, e, TP_META_EDIT_NO_SYNC), TP_OK);
  assert_int_equal(tp_meta_edit_file(path, out, e, TP_META_EDIT_NO_SYNC), TP_EEXISTS);
  assert_int_equal(tp_meta_edits_delete(e, "nope"), TP_OK);
  assert_int_equal(tp_meta_edit_file(path, out, e, TP_META_EDIT_NO_SYNC | TP_META_EDIT_FORCE),
                   TP_ENOTFOUND);
  tp_meta_edits_free(e);
  assert_int_equal(tp_meta_edits_new(&e), TP_OK);
  assert_int_equal(tp_meta_edits_set(e, "split.count=u16:2"), TP_OK);
  assert_int_equal(tp_meta_edit_file(path, out, e, TP_META_EDIT_NO_SYNC | TP_META_EDIT_FORCE),
                   TP_EINVAL);
  tp_meta_edits_free(e);

  /* general.alignment can change: data moves to the new offsets */
  assert_int_equal(tp_meta_edits_new(&e), TP_OK);
  assert_int_equal(tp_meta_edits_set(e, "general.alignment=u32:128"), TP_OK);
  assert_int_equal(tp_meta_edit_file(path, out, e, TP_META_EDIT_NO_SYNC | TP_META_EDIT_FORCE),
                   TP_OK);
  tp_meta_edits_free(e);
  assert_int_equal(tp_gguf_open(&m, out, NULL), TP_OK);
  assert_int_equal(tp_model_data_offset(m, 0) % 128, 0);
  assert_int_equal(tp_model_read(m, 0, 0, f, sizeof f), TP_OK);
  assert_true(f[3] == 1.5f);
  tp_model_free(m);

  /* progress: write, sync and done reports with every tensor byte counted
   * (the executor's figures: tensor data, not headers); cancelling from
   * the first report leaves the target as it was */
  {
    edit_log lg;
    struct stat before, after;
    memset(&lg, 0, sizeof lg);
    assert_int_equal(tp_meta_edits_new(&e), TP_OK);
    assert_int_equal(tp_meta_edits_set(e, "general.name=str:p"), TP_OK);
    assert_int_equal(tp_meta_edit_file_progress(path, out, e,
                                                TP_META_EDIT_NO_SYNC | TP_META_EDIT_FORCE,
                                                on_edit_progress, &lg),
                     TP_OK);
    assert_int_equal(stat(out, &after), 0);
    assert_true(lg.saw_write && lg.saw_sync && lg.saw_done);
    assert_int_equal(lg.last_total, sizeof f);
    assert_int_equal(lg.last_done, sizeof f);
    assert_int_equal(lg.tensors_done, 1);
    assert_int_equal(lg.tensors_total, 1);
    memset(&lg, 0, sizeof lg);
    lg.cancel = 1;
    assert_int_equal(stat(path, &before), 0);
    assert_int_equal(tp_meta_edit_file_progress(path, NULL, e, TP_META_EDIT_NO_SYNC,
                                                on_edit_progress, &lg),
                     TP_ECANCELED);
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    assert_int_equal(before.st_size, after.st_size);
    tp_meta_edits_free(e);
  }

  unlink(path);
  unlink(out);
  rmdir(dir);
  free(b.p);
}

/* A SafeTensors file of one F32 [1] tensor whose __metadata__ is the JSON
 * object text md. */
static void write_st(const char *path, const char *md) {
  char hdr[1024];
  size_t n;
  uint8_t len[8];
  FILE *f;
  int i;
  n = (size_t)snprintf(hdr, sizeof hdr,
                       "{\"__metadata__\":%s,\"t\":{\"dtype\":\"F32\","
                       "\"shape\":[1],\"data_offsets\":[0,4]}}",
                       md);
  assert_true(n < sizeof hdr - 8);
  while (n % 8) hdr[n++] = ' ';
  for (i = 0; i < 8; i++) len[i] = (uint8_t)((uint64_t)n >> (8 * i));
  f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(len, 1, 8, f), 8);
  assert_int_equal(fwrite(hdr, 1, n, f), n);
  assert_int_equal(fwrite("\0\0\x80?", 1, 4, f), 4);
  fclose(f);
}

/* The GGUF keys (in order) a SafeTensors file at path decodes to, joined
 * by spaces. */
static void st_gguf_keys(const char *path, char *out, size_t n) {
  tp_model *m;
  tp_metastore kv;
  size_t i, k = 0;
  assert_int_equal(tp_model_open(&m, path, NULL), TP_OK);
  tp_meta_init(&kv);
  assert_int_equal(tp_gguf_meta_from_safetensors(&m->meta, &kv), TP_OK);
  out[0] = 0;
  for (i = 0; i < kv.n; i++)
    k += (size_t)snprintf(out + k, n - k, "%s%s", i ? " " : "", kv.items[i].key);
  assert_true(k < n);
  tp_meta_free(&kv);
  tp_model_free(m);
}

/* In a SafeTensors file made from GGUF, edits of KEY change the encoded
 * entry "gguf:KEY": a delete closes the gap in the indices (or a plain entry
 * would move up into it), int keeps the GGUF type, a new key comes last. */
static void test_meta_edit_encoded(void **state) {
  char dir[] = "/tmp/tp_gguf_st_edit_XXXXXX", path[256], keys[512];
  tp_meta_edits *e;
  tp_model *m;
  const tp_value *v;
  tp_arena a;
  tp_value dv;
  uint64_t index;
  (void)state;
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/m.safetensors", dir);
  /* GGUF order a, b, p (plain), c */
  write_st(path,
           "{\"format\":\"pt\",\"p\":\"plain\","
           "\"gguf:a\":\"{\\\"index\\\":0,\\\"type\\\":\\\"UINT32\\\",\\\"value\\\":1}\","
           "\"gguf:b\":\"{\\\"index\\\":1,\\\"type\\\":\\\"STRING\\\",\\\"value\\\":\\\"x\\\"}\","
           "\"gguf:c\":\"{\\\"index\\\":3,\\\"type\\\":\\\"INT8\\\",\\\"value\\\":-1}\"}");
  st_gguf_keys(path, keys, sizeof keys);
  assert_string_equal(keys, "a b safetensors.metadata.p c");

  assert_int_equal(tp_meta_edits_new(&e), TP_OK);
  assert_int_equal(tp_meta_edits_delete(e, "a"), TP_OK);
  assert_int_equal(tp_meta_edits_set(e, "c=int:5"), TP_OK);
  assert_int_equal(tp_meta_edits_set(e, "n=float:0.5"), TP_OK);
  assert_int_equal(tp_meta_edits_set(e, "p=str:still plain"), TP_OK);
  assert_int_equal(tp_meta_edit_file(path, NULL, e, TP_META_EDIT_NO_SYNC), TP_OK);
  tp_meta_edits_free(e);
  st_gguf_keys(path, keys, sizeof keys);
  assert_string_equal(keys, "b safetensors.metadata.p c n");
  assert_int_equal(tp_model_open(&m, path, NULL), TP_OK);
  assert_null(tp_model_meta_find(m, "a"));
  assert_null(tp_model_meta_find(m, "gguf:a"));
  assert_null(tp_model_meta_find(m, "c"));
  assert_string_equal(tp_model_meta_find(m, "p")->v.s.data, "still plain");
  tp_arena_init(&a);
  v = tp_model_meta_find(m, "gguf:c");
  assert_non_null(v);
  assert_int_equal(tp_gguf_decode_value(v->v.s.data, v->v.s.len, &a, &dv, &index), TP_OK);
  assert_int_equal(dv.type, TP_VALUE_I8);
  assert_int_equal(dv.v.i, 5);
  assert_int_equal(index, 2);
  v = tp_model_meta_find(m, "gguf:n");
  assert_non_null(v);
  assert_int_equal(tp_gguf_decode_value(v->v.s.data, v->v.s.len, &a, &dv, &index), TP_OK);
  assert_int_equal(dv.type, TP_VALUE_F32);
  tp_arena_free(&a);
  tp_model_free(m);

  /* a value out of the key's range, a broken raw entry: refused, the file
   * unchanged; a broken entry can be deleted */
  assert_int_equal(tp_meta_edits_new(&e), TP_OK);
  assert_int_equal(tp_meta_edits_set(e, "c=int:300"), TP_OK);
  assert_int_equal(tp_meta_edit_file(path, NULL, e, TP_META_EDIT_NO_SYNC), TP_EINVAL);
  assert_non_null(strstr(tp_last_error(), "INT8"));
  tp_meta_edits_free(e);
  assert_int_equal(tp_meta_edits_new(&e), TP_OK);
  assert_int_equal(tp_meta_edits_set(e, "gguf:b=str:{\"type\":\"UINT8\"}"), TP_OK);
  assert_int_equal(tp_meta_edit_file(path, NULL, e, TP_META_EDIT_NO_SYNC), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "gguf:b"));
  tp_meta_edits_free(e);
  st_gguf_keys(path, keys, sizeof keys);
  assert_string_equal(keys, "b safetensors.metadata.p c n");
  write_st(path, "{\"gguf:x\":\"nonsense\",\"gguf:y\":\"{\\\"index\\\":1,"
                 "\\\"type\\\":\\\"BOOL\\\",\\\"value\\\":true}\"}");
  assert_int_equal(tp_meta_edits_new(&e), TP_OK);
  assert_int_equal(tp_meta_edits_delete(e, "x"), TP_OK);
  assert_int_equal(tp_meta_edit_file(path, NULL, e, TP_META_EDIT_NO_SYNC), TP_OK);
  tp_meta_edits_free(e);
  st_gguf_keys(path, keys, sizeof keys);
  assert_string_equal(keys, "y");
  unlink(path);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_read_v3),
      cmocka_unit_test(test_read_v2),
      cmocka_unit_test(test_read_v1),
      cmocka_unit_test(test_read_big_endian),
      cmocka_unit_test(test_alignment),
      cmocka_unit_test(test_reader_refusals),
      cmocka_unit_test(test_split_names),
      cmocka_unit_test(test_layout_bytes),
      cmocka_unit_test(test_layout_big_endian),
      cmocka_unit_test(test_layout_refusals),
      cmocka_unit_test(test_layout_split),
      cmocka_unit_test(test_meta_safetensors_round_trip),
      cmocka_unit_test(test_meta_plain_order),
      cmocka_unit_test(test_meta_defaults),
      cmocka_unit_test(test_tensor_order),
      cmocka_unit_test(test_swap_blocks),
      cmocka_unit_test(test_meta_edit_gguf),
      cmocka_unit_test(test_meta_edit_encoded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
