/*
 * test_registry.c - the format table keeps its promise: a format is one
 * module plus one registry row. The test-only format of testfmt.c is
 * compiled into this test's own copy of src/formats/registry.c (one row,
 * TP_REGISTRY_TEST_ROW) and is then listed, detected, opened, converted
 * both ways and inspected through the public API alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tensorport.h"
#define UNIT_DIR_TAG "registry"
#include "../unit_dir.h"

#define TPRAW ((tp_format)100)

static void put_le(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* "w" F32 [2, 3] = 0..5 and "b" I32 [4] = -2..1 */
static size_t make_file(uint8_t *buf) {
  size_t o = 0;
  memcpy(buf, "TPRAW1\0\0", 8);
  o = 8;
  put_le(buf + o, 2, 4); o += 4;
  put_le(buf + o, 1, 2); o += 2; buf[o++] = 'w';
  buf[o++] = TP_TYPE_F32; buf[o++] = 2;
  put_le(buf + o, 2, 8); o += 8; put_le(buf + o, 3, 8); o += 8;
  put_le(buf + o, 1, 2); o += 2; buf[o++] = 'b';
  buf[o++] = TP_TYPE_I32; buf[o++] = 1;
  put_le(buf + o, 4, 8); o += 8;
  while (o % 8) buf[o++] = 0;
  for (int i = 0; i < 6; i++) {
    float f = (float)i;
    memcpy(buf + o, &f, 4);
    o += 4;
  }
  for (int i = 0; i < 4; i++) { put_le(buf + o, (uint32_t)(i - 2), 4); o += 4; }
  return o;
}

static void write_bytes(const char *path, const uint8_t *b, size_t n) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(b, 1, n, f), n);
  fclose(f);
}

static size_t read_bytes(const char *path, uint8_t *b, size_t cap) {
  FILE *f = fopen(path, "rb");
  size_t n;
  assert_non_null(f);
  n = fread(b, 1, cap, f);
  fclose(f);
  return n;
}

static void check_model(const char *path, tp_format fmt) {
  tp_model *m;
  float w[6];
  int32_t b[4];
  size_t iw, ib;
  assert_int_equal(tp_model_open(&m, path, NULL), TP_OK);
  assert_int_equal(tp_model_format(m), fmt);
  assert_int_equal(tp_model_tensor_count(m), 2);
  iw = tp_model_find_tensor(m, "w", 1);
  ib = tp_model_find_tensor(m, "b", 1);
  assert_true(iw != (size_t)-1 && ib != (size_t)-1);
  assert_int_equal(tp_model_read(m, iw, 0, w, sizeof w), TP_OK);
  assert_int_equal(tp_model_read(m, ib, 0, b, sizeof b), TP_OK);
  for (int i = 0; i < 6; i++) assert_true(w[i] == (float)i);
  for (int i = 0; i < 4; i++) assert_int_equal(b[i], i - 2);
  tp_model_free(m);
}

static void test_listed(void **state) {
  const tp_format_info *fi = tp_format_info_of(TPRAW);
  tp_format f;
  int found = 0;
  (void)state;
  assert_non_null(fi);
  assert_string_equal(fi->name, "tpraw");
  for (size_t i = 0; i < tp_format_count(); i++) found += tp_format_at(i) == fi;
  assert_int_equal(found, 1);
  assert_int_equal(tp_format_from_name("TPRAW", &f), TP_OK);
  assert_int_equal(f, TPRAW);
  assert_int_equal(tp_format_from_output_path("x.tpraw"), TPRAW);
  assert_string_equal(tp_format_name(TPRAW), "tpraw");
}

static void test_detect_open_inspect(void **state) {
  uint8_t buf[256];
  char path[300], why[128];
  tp_format f;
  tp_model *m;
  tp_model_fact fact;
  (void)state;
  snprintf(path, sizeof path, "%s/a.bin", g_dir); /* content decides */
  write_bytes(path, buf, make_file(buf));
  assert_int_equal(tp_detect(path, &f, why, sizeof why), TP_OK);
  assert_int_equal(f, TPRAW);
  assert_string_equal(why, "tpraw magic");
  check_model(path, TPRAW);
  assert_int_equal(tp_model_open(&m, path, NULL), TP_OK);
  assert_int_equal(tp_model_fact_count(m), 1);
  assert_int_equal(tp_model_fact_at(m, 0, &fact), TP_OK);
  assert_string_equal(fact.key, "tensors");
  assert_int_equal(fact.value.v.u, 2);
  tp_model_free(m);
  unlink(path);
}

static void test_convert_both_ways(void **state) {
  uint8_t a[256], b[256];
  size_t n;
  char in[300], st[300], gg[300], back[300];
  tp_convert_options o = TP_CONVERT_OPTIONS_INIT;
  (void)state;
  o.flags = TP_CONVERT_NO_SYNC | TP_CONVERT_VERIFY;
  snprintf(in, sizeof in, "%s/m.tpraw", g_dir);
  snprintf(st, sizeof st, "%s/m.safetensors", g_dir);
  snprintf(gg, sizeof gg, "%s/m.gguf", g_dir);
  snprintf(back, sizeof back, "%s/back.tpraw", g_dir);
  n = make_file(a);
  write_bytes(in, a, n);
  assert_int_equal(tp_convert(in, st, &o, NULL), TP_OK);
  check_model(st, TP_FORMAT_SAFETENSORS);
  assert_int_equal(tp_convert(in, gg, &o, NULL), TP_OK);
  check_model(gg, TP_FORMAT_GGUF);
  /* and back into the test format: the same bytes in the same order */
  assert_int_equal(tp_convert(gg, back, &o, NULL), TP_OK);
  assert_int_equal(read_bytes(back, b, sizeof b), n);
  assert_memory_equal(a, b, n);
  unlink(back);
  /* a type it cannot store, with no fallback: refused, naming the tensor */
  o.type = TP_TYPE_F64;
  assert_int_equal(tp_convert(st, back, &o, NULL), TP_EUNSUPPORTED);
  assert_non_null(strstr(tp_last_error(), "tpraw cannot store type F64"));
  unlink(in);
  unlink(st);
  unlink(gg);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_listed),
      cmocka_unit_test(test_detect_open_inspect),
      cmocka_unit_test(test_convert_both_ways),
  };
  return cmocka_run_group_tests(tests, unit_dir_setup, unit_dir_teardown);
}
