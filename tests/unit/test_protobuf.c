/*
 * test_protobuf.c - unit tests of the protobuf wire-format scanner: every
 * wire type decoded, nested messages, and every refusal (truncated varints
 * and payloads, varints past 64 bits or 10 bytes, tags past 32 bits, field
 * number 0, groups, wire types 6 and 7, lengths past the end of the
 * enclosing message, nesting beyond the bound, wrong wire types).
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

/* Scans buf and returns the status of the first failure (TP_OK at the end);
 * *n gets the number of fields read. */
static tp_status scan_all(const void *buf, size_t len, size_t *n) {
  tp_pb_reader r;
  tp_pb_field f;
  bool more = true;
  tp_status st = TP_OK;
  *n = 0;
  tp_pb_reader_init(&r, buf, len);
  while ((st = tp_pb_next(&r, &f, &more)) == TP_OK && more) (*n)++;
  return st;
}

static void test_every_wire_type(void **state) {
  /* 1: varint 150; 2: fixed64; 3: "hi"; 5: fixed32 1.5f; 6: varint 2^64-1 */
  static const uint8_t buf[] = {
      0x08, 0x96, 0x01,
      0x11, 1, 2, 3, 4, 5, 6, 7, 8,
      0x1a, 0x02, 'h', 'i',
      0x2d, 0x00, 0x00, 0xc0, 0x3f,
      0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  tp_pb_reader r;
  tp_pb_field f;
  bool more;
  (void)state;
  tp_pb_reader_init(&r, buf, sizeof buf);
  assert_int_equal(tp_pb_next(&r, &f, &more), TP_OK);
  assert_true(more);
  assert_int_equal(f.number, 1);
  assert_int_equal(f.wire, TP_PB_VARINT);
  assert_int_equal(f.u, 150);
  assert_int_equal(f.offset, 0);
  assert_int_equal(tp_pb_next(&r, &f, &more), TP_OK);
  assert_int_equal(f.number, 2);
  assert_int_equal(f.wire, TP_PB_I64);
  assert_true(f.u == 0x0807060504030201ull);
  assert_int_equal(tp_pb_next(&r, &f, &more), TP_OK);
  assert_int_equal(f.number, 3);
  assert_int_equal(f.wire, TP_PB_LEN);
  assert_int_equal(f.len, 2);
  assert_memory_equal(f.data, "hi", 2);
  assert_ptr_equal(f.data, buf + 14); /* zero copy */
  assert_int_equal(tp_pb_next(&r, &f, &more), TP_OK);
  assert_int_equal(f.number, 5);
  assert_int_equal(f.wire, TP_PB_I32);
  assert_true(tp_pb_float(&f) == 1.5f);
  assert_int_equal(tp_pb_next(&r, &f, &more), TP_OK);
  assert_int_equal(f.number, 6);
  assert_true(f.u == UINT64_MAX);
  assert_int_equal(tp_pb_next(&r, &f, &more), TP_OK);
  assert_false(more);
  /* the end is sticky */
  assert_int_equal(tp_pb_next(&r, &f, &more), TP_OK);
  assert_false(more);
}

static void test_empty_and_null(void **state) {
  size_t n;
  (void)state;
  assert_int_equal(scan_all(NULL, 0, &n), TP_OK);
  assert_int_equal(n, 0);
}

static void test_int_interpretations(void **state) {
  /* -1 as int32 is ten bytes on the wire */
  static const uint8_t neg[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                0xff, 0xff, 0xff, 0xff, 0x01};
  static const uint8_t big[] = {0x08, 0x80, 0x80, 0x80, 0x80, 0x10}; /* 2^32 */
  tp_pb_reader r;
  tp_pb_field f;
  bool more;
  int32_t v;
  (void)state;
  tp_pb_reader_init(&r, neg, sizeof neg);
  assert_int_equal(tp_pb_next(&r, &f, &more), TP_OK);
  assert_true(tp_pb_int32(&f, &v));
  assert_int_equal(v, -1);
  tp_pb_reader_init(&r, big, sizeof big);
  assert_int_equal(tp_pb_next(&r, &f, &more), TP_OK);
  assert_false(tp_pb_int32(&f, &v));
  assert_int_equal(tp_pb_zigzag(0), 0);
  assert_int_equal(tp_pb_zigzag(1), -1);
  assert_int_equal(tp_pb_zigzag(2), 1);
  assert_true(tp_pb_zigzag(UINT64_MAX) == INT64_MIN);
}

static void expect_fail(const void *buf, size_t len, tp_status want,
                        const char *needle) {
  size_t n;
  assert_int_equal(scan_all(buf, len, &n), want);
  if (!strstr(tp_last_error(), needle)) {
    fprintf(stderr, "message \"%s\" lacks \"%s\"\n", tp_last_error(), needle);
    fail();
  }
}

static void test_truncation(void **state) {
  (void)state;
  /* varint value cut */
  expect_fail("\x08\x96", 2, TP_EFORMAT, "varint runs past the end");
  /* tag cut */
  expect_fail("\x80", 1, TP_EFORMAT, "varint runs past the end");
  /* fixed64 / fixed32 cut */
  expect_fail("\x11\x01\x02\x03", 4, TP_EFORMAT, "I64 value runs past the end");
  expect_fail("\x15\x01\x02\x03", 4, TP_EFORMAT, "I32 value runs past the end");
  /* length cut, payload cut */
  expect_fail("\x1a", 1, TP_EFORMAT, "varint runs past the end");
  expect_fail("\x1a\x05" "abc", 5, TP_EFORMAT,
              "length runs past the end of its message (5 bytes vs 3 left)");
}

static void test_varint_overflow(void **state) {
  static const uint8_t eleven[] = {0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
                                   0x80, 0x80, 0x80, 0x80, 0x00};
  static const uint8_t tenth_big[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
                                      0xff, 0xff, 0xff, 0xff, 0x02};
  static const uint8_t huge_len[] = {0x1a, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0x01};
  (void)state;
  expect_fail(eleven, sizeof eleven, TP_EFORMAT, "overflows 64 bits");
  expect_fail(tenth_big, sizeof tenth_big, TP_EFORMAT, "overflows 64 bits");
  /* a length of 2^64 - 1 must not wrap the end pointer */
  expect_fail(huge_len, sizeof huge_len, TP_EFORMAT,
              "length runs past the end");
}

static void test_bad_tags(void **state) {
  /* tag 2^32 (five-byte varint), field 0, groups, wire types 6 and 7 */
  static const uint8_t tag33[] = {0x80, 0x80, 0x80, 0x80, 0x10, 0x00};
  (void)state;
  expect_fail(tag33, sizeof tag33, TP_EFORMAT, "above 32 bits");
  expect_fail("\x00\x01", 2, TP_EFORMAT, "field number 0");
  expect_fail("\x0b\x0c", 2, TP_EFORMAT, "wire type 3 (SGROUP)");
  expect_fail("\x0c", 1, TP_EFORMAT, "wire type 4 (EGROUP)");
  expect_fail("\x0e\x00", 2, TP_EFORMAT, "wire type 6");
  expect_fail("\x0f\x00", 2, TP_EFORMAT, "wire type 7");
  /* the largest field number is fine */
  {
    static const uint8_t maxf[] = {0xf8, 0xff, 0xff, 0xff, 0x0f, 0x01};
    size_t n;
    assert_int_equal(scan_all(maxf, sizeof maxf, &n), TP_OK);
    assert_int_equal(n, 1);
  }
}

static void test_nested_and_bound(void **state) {
  /* field 1 = { field 2 = { field 3 = 7 } } */
  static const uint8_t nested[] = {0x0a, 0x04, 0x12, 0x02, 0x18, 0x07};
  tp_pb_reader r, c1, c2;
  tp_pb_field f;
  bool more;
  uint8_t *deep;
  size_t levels = TP_PB_MAX_DEPTH + 1, i, len;
  (void)state;
  tp_pb_reader_init(&r, nested, sizeof nested);
  assert_int_equal(tp_pb_next(&r, &f, &more), TP_OK);
  assert_int_equal(tp_pb_sub(&r, &f, &c1), TP_OK);
  assert_int_equal(c1.depth, 1);
  assert_int_equal(tp_pb_next(&c1, &f, &more), TP_OK);
  assert_int_equal(f.number, 2);
  assert_int_equal(f.offset, 2); /* offsets count from the outer buffer */
  assert_int_equal(tp_pb_sub(&c1, &f, &c2), TP_OK);
  assert_int_equal(tp_pb_next(&c2, &f, &more), TP_OK);
  assert_int_equal(f.number, 3);
  assert_int_equal(f.u, 7);
  assert_int_equal(tp_pb_next(&c2, &f, &more), TP_OK);
  assert_false(more);
  /* a varint is no message */
  tp_pb_reader_init(&r, "\x08\x01", 2);
  assert_int_equal(tp_pb_next(&r, &f, &more), TP_OK);
  assert_int_equal(tp_pb_sub(&r, &f, &c1), TP_EFORMAT);

  /* levels nested messages of field 1, built from the inside out (lengths
   * as varints): the innermost one is at depth levels and must be refused */
  deep = malloc(4 * levels);
  assert_non_null(deep);
  len = 0;
  for (i = 0; i < levels; i++) {
    uint8_t hdr[3];
    size_t h = 0, inner = len;
    hdr[h++] = 0x0a;
    if (inner < 128) {
      hdr[h++] = (uint8_t)inner;
    } else {
      hdr[h++] = (uint8_t)(0x80 | (inner & 0x7f));
      hdr[h++] = (uint8_t)(inner >> 7);
    }
    memmove(deep + h, deep, inner);
    memcpy(deep, hdr, h);
    len = inner + h;
  }
  tp_pb_reader_init(&r, deep, len);
  for (i = 0;; i++) {
    tp_pb_reader c;
    tp_status st;
    assert_int_equal(tp_pb_next(&r, &f, &more), TP_OK);
    assert_true(more);
    st = tp_pb_sub(&r, &f, &c);
    if (i + 1 == levels) {
      assert_int_equal(st, TP_ELIMIT);
      assert_non_null(strstr(tp_last_error(), "nested deeper than"));
      break;
    }
    assert_int_equal(st, TP_OK);
    r = c;
  }
  free(deep);
}

static void test_expect_and_packed(void **state) {
  /* field 4, LEN, packed varints 1, 300, 2^63 (ten bytes) */
  static const uint8_t b[] = {0x22, 13,   0x01, 0xac, 0x02, 0x80, 0x80, 0x80,
                              0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  tp_pb_reader r;
  tp_pb_field f;
  bool more;
  const uint8_t *p, *end;
  uint64_t v;
  (void)state;
  tp_pb_reader_init(&r, b, sizeof b);
  assert_int_equal(tp_pb_next(&r, &f, &more), TP_OK);
  assert_int_equal(tp_pb_expect(&f, TP_PB_LEN, "values"), TP_OK);
  assert_int_equal(tp_pb_expect(&f, TP_PB_VARINT, "values"), TP_EFORMAT);
  assert_non_null(
      strstr(tp_last_error(), "field 4 (values): wire type LEN vs VARINT"));
  p = f.data;
  end = f.data + f.len;
  assert_int_equal(tp_pb_read_varint(&p, end, b, &v), TP_OK);
  assert_int_equal(v, 1);
  assert_int_equal(tp_pb_read_varint(&p, end, b, &v), TP_OK);
  assert_int_equal(v, 300);
  assert_int_equal(tp_pb_read_varint(&p, end, b, &v), TP_OK);
  assert_true(v == (1ull << 63));
  assert_ptr_equal(p, end);
  /* a packed run cut short */
  p = f.data;
  assert_int_equal(tp_pb_read_varint(&p, f.data + 4, b, &v), TP_OK);
  assert_int_equal(tp_pb_read_varint(&p, f.data + 4, b, &v), TP_OK);
  assert_int_equal(tp_pb_read_varint(&p, f.data + 4, b, &v), TP_EFORMAT);
}

/* A failing next() leaves the reader where it was. */
static void test_error_keeps_position(void **state) {
  static const uint8_t buf[] = {0x08, 0x01, 0x1a, 0x09, 'x'};
  tp_pb_reader r;
  tp_pb_field f;
  bool more;
  const uint8_t *before;
  (void)state;
  tp_pb_reader_init(&r, buf, sizeof buf);
  assert_int_equal(tp_pb_next(&r, &f, &more), TP_OK);
  before = r.p;
  assert_int_equal(tp_pb_next(&r, &f, &more), TP_EFORMAT);
  assert_ptr_equal(r.p, before);
  assert_non_null(strstr(tp_last_error(), "offset 2: field 3"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_wire_type),
      cmocka_unit_test(test_empty_and_null),
      cmocka_unit_test(test_int_interpretations),
      cmocka_unit_test(test_truncation),
      cmocka_unit_test(test_varint_overflow),
      cmocka_unit_test(test_bad_tags),
      cmocka_unit_test(test_nested_and_bound),
      cmocka_unit_test(test_expect_and_packed),
      cmocka_unit_test(test_error_keeps_position),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
