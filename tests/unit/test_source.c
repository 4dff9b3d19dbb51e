/*
 * test_source.c - tensor sources (src/model/source.h): a model's tensor,
 * a row permutation and a concatenation give the right bytes for every
 * range, including ranges that start and end inside rows and parts, and
 * refuse ranges outside the tensor and invalid permutations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "model/source.h"

/* A memory model of two U8 tensors: "a" [4, 3] = 0..11, "b" [2, 3] = 100.. */
static uint8_t g_bytes[18];

static tp_model *make_model(void) {
  tp_model *m;
  tp_infile *f;
  const uint64_t sa[2] = {4, 3}, sb[2] = {2, 3};
  uint32_t idx;
  for (int i = 0; i < 12; i++) g_bytes[i] = (uint8_t)i;
  for (int i = 0; i < 6; i++) g_bytes[12 + i] = (uint8_t)(100 + i);
  assert_int_equal(tp_model_new(&m, TP_FORMAT_SAFETENSORS, "mem"), TP_OK);
  assert_int_equal(tp_infile_from_memory(&f, g_bytes, sizeof g_bytes, "mem"), TP_OK);
  assert_int_equal(tp_model_add_file(m, f, 0, &idx), TP_OK);
  assert_int_equal(tp_model_add_tensor(m, "a", 1, TP_TYPE_U8, 2, sa, idx, 0, NULL), TP_OK);
  assert_int_equal(tp_model_add_tensor(m, "b", 1, TP_TYPE_U8, 2, sb, idx, 12, NULL), TP_OK);
  return m;
}

/* Reads every [off, off + len) of s and compares with want. */
static void check_all_ranges(const tp_source *s, const uint8_t *want, size_t n) {
  uint8_t buf[64];
  assert_int_equal(s->nbytes, n);
  for (size_t off = 0; off < n; off++)
    for (size_t len = 0; off + len <= n; len++) {
      memset(buf, 0xEE, sizeof buf);
      assert_int_equal(tp_source_read(s, off, buf, len), TP_OK);
      assert_memory_equal(buf, want + off, len);
      assert_int_equal(buf[len], 0xEE);
    }
  assert_int_equal(tp_source_read(s, n, buf, 1), TP_EINVAL);
  assert_int_equal(tp_source_read(s, UINT64_MAX, buf, 2), TP_EINVAL);
}

static void test_tensor(void **state) {
  tp_model *m = make_model();
  tp_source *s;
  (void)state;
  assert_int_equal(tp_source_tensor(&s, m, 1), TP_OK);
  assert_int_equal(s->type, TP_TYPE_U8);
  check_all_ranges(s, g_bytes + 12, 6);
  tp_source_free(s);
  assert_int_equal(tp_source_tensor(&s, m, 2), TP_EINVAL);
  tp_model_free(m);
}

static void test_rows(void **state) {
  tp_model *m = make_model();
  tp_source *a, *r;
  const uint64_t perm[4] = {2, 0, 3, 1}, bad[4] = {0, 1, 1, 3}, out_of[4] = {0, 1, 2, 4};
  uint8_t want[12];
  (void)state;
  assert_int_equal(tp_source_tensor(&a, m, 0), TP_OK);
  assert_int_equal(tp_source_rows(&r, a, 4, perm), TP_OK);
  for (int row = 0; row < 4; row++) memcpy(want + 3 * row, g_bytes + 3 * perm[row], 3);
  check_all_ranges(r, want, 12);
  tp_source_free(r);
  assert_int_equal(tp_source_rows(&r, a, 4, bad), TP_EINVAL);
  assert_int_equal(tp_source_rows(&r, a, 4, out_of), TP_EINVAL);
  assert_int_equal(tp_source_rows(&r, a, 5, perm), TP_EINVAL); /* 12 % 5 */
  tp_source_free(a);
  tp_model_free(m);
}

static void test_concat(void **state) {
  tp_model *m = make_model();
  tp_source *a, *b, *r, *c;
  const uint64_t perm[4] = {3, 2, 1, 0};
  uint8_t want[30];
  (void)state;
  assert_int_equal(tp_source_tensor(&a, m, 0), TP_OK);
  assert_int_equal(tp_source_tensor(&b, m, 1), TP_OK);
  assert_int_equal(tp_source_rows(&r, a, 4, perm), TP_OK);
  {
    const tp_source *parts[3] = {b, r, b};
    assert_int_equal(tp_source_concat(&c, parts, 3), TP_OK);
  }
  memcpy(want, g_bytes + 12, 6);
  for (int row = 0; row < 4; row++) memcpy(want + 6 + 3 * row, g_bytes + 3 * (3 - row), 3);
  memcpy(want + 18, g_bytes + 12, 6);
  check_all_ranges(c, want, 24);
  tp_source_free(c);
  assert_int_equal(tp_source_concat(&c, NULL, 0), TP_EINVAL);
  tp_source_free(r);
  tp_source_free(a);
  tp_source_free(b);
  tp_model_free(m);
}

/* A reader's own storage: tp_model_read goes through it. */
static tp_status seven_read(const tp_source *s, uint64_t off, void *buf, size_t len) {
  (void)s;
  for (size_t i = 0; i < len; i++) ((uint8_t *)buf)[i] = (uint8_t)(7 + off + i);
  return TP_OK;
}

static void test_reader_storage(void **state) {
  static const tp_source_ops ops = {"seven", seven_read, NULL};
  tp_model *m = make_model();
  tp_source *st = calloc(1, sizeof *st), *t;
  uint8_t buf[6], want[6];
  (void)state;
  assert_non_null(st);
  st->ops = &ops;
  st->type = TP_TYPE_U8;
  st->nbytes = 6;
  m->tensors[1].storage = st; /* owned by the model from here */
  assert_int_equal(tp_model_read(m, 1, 0, buf, 6), TP_OK);
  for (int i = 0; i < 6; i++) want[i] = (uint8_t)(7 + i);
  assert_memory_equal(buf, want, 6);
  assert_int_equal(tp_source_tensor(&t, m, 1), TP_OK);
  check_all_ranges(t, want, 6);
  tp_source_free(t);
  tp_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tensor),
      cmocka_unit_test(test_rows),
      cmocka_unit_test(test_concat),
      cmocka_unit_test(test_reader_storage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
