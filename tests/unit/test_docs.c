/*
 * test_docs.c - unit tests of the JSON documents a model carries: the
 * Python-dialect reader (codec/json_in.c: integers beyond int64, NaN and
 * Infinity, reals beyond the double range, line and column of an error in
 * the text as given, the depth limit), the attachment to a model
 * (model/docs.c: the size budget of all documents, objects only, names)
 * and the Hugging Face reader's use of them (which files, absent ones,
 * links, the first failure).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec/json_in.h"
#include "formats/hf/hf.h"
#include "model/docs.h"

#define UNIT_DIR_TAG "docs"
#include "unit_dir.h"

static json_t *parse_ok(const char *text) {
  json_t *j = NULL;
  tp_status st = tp_json_parse_python(text, strlen(text), 64, &j);
  if (st != TP_OK) fail_msg("%s: %s", text, tp_last_error());
  assert_non_null(j);
  return j;
}

static void parse_fails(const char *text, size_t len, tp_status want,
                        const char *msg) {
  json_t *j = (json_t *)1;
  assert_int_equal(tp_json_parse_python(text, len, 64, &j), want);
  assert_null(j);
  if (!strstr(tp_last_error(), msg))
    fail_msg("message \"%s\" lacks \"%s\"", tp_last_error(), msg);
}

static void parse_text_fails(const char *text, const char *msg) {
  parse_fails(text, strlen(text), TP_EFORMAT, msg);
}

/* ---- the Python dialect ------------------------------------------------------ */

static void test_python_numbers(void **state) {
  json_t *j, *a;
  (void)state;
  j = parse_ok("{\"max\": 1000000000000000019884624838656, \"i\": 9223372036854775807,"
               " \"n\": -9223372036854775808, \"big\": 9223372036854775808,"
               " \"nbig\": -9223372036854775809, \"huge\": 1" /* 400 digits */
               "000000000000000000000000000000000000000000000000000000000000000000000"
               "000000000000000000000000000000000000000000000000000000000000000000000"
               "000000000000000000000000000000000000000000000000000000000000000000000"
               "000000000000000000000000000000000000000000000000000000000000000000000"
               "000000000000000000000000000000000000000000000000000000000000000000000"
               "0000000000000000000000000, \"r\": 1e400, \"nr\": -1e400, \"u\": 1e-400,"
               " \"x\": 2.5}");
  assert_true(json_is_real(json_object_get(j, "max")));
  assert_true(json_real_value(json_object_get(j, "max")) == 1e30);
  assert_true(json_is_integer(json_object_get(j, "i")));
  assert_true(json_integer_value(json_object_get(j, "i")) == INT64_MAX);
  assert_true(json_integer_value(json_object_get(j, "n")) == INT64_MIN);
  assert_true(json_real_value(json_object_get(j, "big")) == 9223372036854775808.0);
  assert_true(json_real_value(json_object_get(j, "nbig")) == -9223372036854775808.0);
  /* beyond the double range: Python's inf, null here */
  assert_true(json_is_null(json_object_get(j, "huge")));
  assert_true(json_is_null(json_object_get(j, "r")));
  assert_true(json_is_null(json_object_get(j, "nr")));
  assert_true(json_real_value(json_object_get(j, "u")) == 0.0);
  assert_true(json_real_value(json_object_get(j, "x")) == 2.5);
  json_decref(j);

  j = parse_ok("[NaN, Infinity, -Infinity, \"NaN\", \"123456789012345678901\", "
               "{\"Infinity\": -0}]");
  assert_true(json_is_null(json_array_get(j, 0)));
  assert_true(json_is_null(json_array_get(j, 1)));
  assert_true(json_is_null(json_array_get(j, 2)));
  /* strings are never rewritten */
  assert_string_equal(json_string_value(json_array_get(j, 3)), "NaN");
  assert_string_equal(json_string_value(json_array_get(j, 4)), "123456789012345678901");
  a = json_object_get(json_array_get(j, 5), "Infinity");
  assert_true(json_is_integer(a) && json_integer_value(a) == 0);
  json_decref(j);
}

static void test_python_strings_and_keys(void **state) {
  json_t *j;
  (void)state;
  /* the last of duplicate keys wins; "\u0000" is kept with its length;
   * escaped quotes and backslashes do not end a string early */
  j = parse_ok("{\"a\": 1, \"a\": \"x\\u0000y\", \"b\\\"\": \"\\\\\", \"c\": \"\\\"1e999\"}");
  assert_int_equal(json_object_size(j), 3);
  assert_int_equal(json_string_length(json_object_get(j, "a")), 3);
  assert_memory_equal(json_string_value(json_object_get(j, "a")), "x\0y", 3);
  assert_string_equal(json_string_value(json_object_get(j, "c")), "\"1e999");
  json_decref(j);
  /* any value at the top (the caller decides what it wants) */
  j = parse_ok("  \"s\"  ");
  assert_true(json_is_string(j));
  json_decref(j);
}

/* Errors name the line and column in the text as given, as jansson counts
 * them, also when rewritten tokens come before the error on its line. */
static void test_python_errors(void **state) {
  static const char *const bad[] = {
      "{\"a\": x}",
      "{\n  \"a\": 1,\n  \"b\": }\n",
      "{\"a\":1,}",
      "{\"\xc3\xa9\": 1, 2}",
      "{\"a\": 1}\n\n x",
      "{\"a\":\n",
      "",
      "{\"a\": \"\\ud800\"}",
      "{\"a\": \"x\ny\"}",
      "[1,\n2,\n3",
      "\n\n   ]",
      "{\"k\":tru}",
      "{\"a\":1}{",
      "[-]",
      "[1.]",
      "[01]",
      "[-NaN]",
      "[+1]",
  };
  size_t k;
  (void)state;
  for (k = 0; k < sizeof bad / sizeof *bad; k++) {
    json_error_t je;
    json_t *ref = json_loadb(bad[k], strlen(bad[k]), JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    char want[64];
    assert_null(ref);
    snprintf(want, sizeof want, "line %d column %d: ", je.line, je.column);
    parse_text_fails(bad[k], want);
  }
  /* the same errors behind rewritten tokens on the same line: the copy has
   * other columns, the message keeps the user's */
  parse_text_fails("[NaN, 123456789012345678901234567890, Infinity, x]",
                   "line 1 column 49: invalid token near 'x'");
  parse_text_fails("[1e400,\n NaN, -Infinity, 99999999999999999999, }", "line 2 column 40: ");
  parse_text_fails("{\"a\": NaN, \"b\": \"\xff\"}",
                   "line 1 column 17: unable to decode byte 0xff");
  /* a NUL byte outside strings, and inside an object key */
  parse_fails("{\"a\": 1}\0", 9, TP_EFORMAT, "line 1 column 9: end of file expected");
  parse_fails("{\"a\\u0000\": 1}", 14, TP_EFORMAT, "NUL byte in object key");
}

static void test_python_depth(void **state) {
  char text[300];
  json_t *j = NULL;
  size_t n = 0, i;
  (void)state;
  /* 64 levels: the limit; 65: refused before parsing, with the bracket */
  text[n++] = '{';
  memcpy(text + n, "\"a\":", 4);
  n += 4;
  for (i = 0; i < 63; i++) text[n++] = '[';
  for (i = 0; i < 63; i++) text[n++] = ']';
  text[n++] = '}';
  assert_int_equal(tp_json_parse_python(text, n, 64, &j), TP_OK);
  json_decref(j);
  n = 0;
  text[n++] = '\n';
  for (i = 0; i < 65; i++) text[n++] = '[';
  for (i = 0; i < 65; i++) text[n++] = ']';
  parse_fails(text, n, TP_ELIMIT, "nested deeper than 64 levels (line 2 column 65)");
  /* brackets inside strings do not count */
  j = parse_ok("{\"a\": \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}");
  json_decref(j);
}

static void test_scan_depth_and_line_column(void **state) {
  unsigned d = 99;
  int line, col;
  (void)state;
  assert_int_equal(tp_json_scan_depth("[[\"]]]]\"]]", 10, 2, &d), SIZE_MAX);
  assert_int_equal(d, 0);
  assert_int_equal(tp_json_scan_depth("{[[", 3, 2, &d), 2);
  assert_int_equal(d, 3);
  assert_int_equal(tp_json_scan_depth("[\"\\\"[\"[", 7, 1, &d), 6);
  tp_json_line_column("a\nb\xc3\xa9" "cd", 7, 6, &line, &col);
  assert_int_equal(line, 2);
  assert_int_equal(col, 3); /* b, é, c */
  tp_json_line_column("ab", 2, 99, &line, &col);
  assert_int_equal(line, 1);
  assert_int_equal(col, 2);
}

/* ---- attaching documents ----------------------------------------------------- */

static void put(const char *rel, const char *text) {
  char p[512];
  FILE *f;
  path_in(p, sizeof p, rel);
  f = fopen(p, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void put_sparse(const char *rel, const char *prefix, off_t size) {
  char p[512];
  int fd;
  path_in(p, sizeof p, rel);
  fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, prefix, strlen(prefix)), (ssize_t)strlen(prefix));
  assert_int_equal(ftruncate(fd, size), 0);
  close(fd);
}

static tp_model *empty_model(void) {
  tp_model *m;
  assert_int_equal(tp_model_new(&m, TP_FORMAT_HF, g_dir), TP_OK);
  return m;
}

static tp_status attach(tp_model *m, const char *name) {
  char p[512];
  path_in(p, sizeof p, name);
  return tp_model_attach_doc(m, name, p);
}

static void test_attach(void **state) {
  tp_model *m = empty_model();
  uint64_t raw = 0;
  const json_t *doc = NULL;
  (void)state;
  put("config.json", "{\"model_type\": \"llama\", \"n\": 1000000000000000019884624838656}\n");
  put("broken.json", "{\"a\": [1, 2,]}");
  put("array.json", "[1]");
  assert_int_equal(tp_model_doc_count(m), 0);
  assert_null(tp_model_doc(m, "config.json"));
  assert_int_equal(attach(m, "config.json"), TP_OK);
  assert_string_equal(
      json_string_value(json_object_get(tp_model_doc(m, "config.json"), "model_type")),
      "llama");
  assert_int_equal(tp_model_doc_count(m), 1);
  assert_string_equal(tp_model_doc_at(m, 0, &raw, &doc), "config.json");
  assert_int_equal(raw, 62);
  assert_ptr_equal(doc, tp_model_doc(m, "config.json"));
  assert_null(tp_model_doc_at(m, 1, &raw, &doc));
  /* twice, or without a name: a caller's mistake */
  assert_int_equal(attach(m, "config.json"), TP_EINVAL);
  assert_int_equal(tp_model_attach_doc(m, "", "x"), TP_EINVAL);
  /* the file, the line and the column */
  assert_int_equal(attach(m, "broken.json"), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "/broken.json: json: line 1 column 13: "));
  assert_int_equal(attach(m, "array.json"), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(),
                         "/array.json: json: the document is an array, expected an object"));
  assert_int_equal(attach(m, "absent.json"), TP_ENOTFOUND);
  assert_non_null(strstr(tp_last_error(), "absent.json"));
  /* failures attach nothing */
  assert_int_equal(tp_model_doc_count(m), 1);
  assert_null(tp_model_doc(m, "broken.json"));
  tp_model_free(m);
}

/* 512 MiB for all documents of a model: one over it alone, then one that
 * fits alone but not with those before it. Sparse files: nothing is read
 * before the size is checked. */
static void test_attach_budget(void **state) {
  tp_model *m = empty_model();
  (void)state;
  put_sparse("huge.json", "{", (off_t)TP_DOC_MAX_BYTES + 1);
  assert_int_equal(attach(m, "huge.json"), TP_ELIMIT);
  assert_non_null(strstr(tp_last_error(),
                         "/huge.json: json: too large (536870913 bytes vs limit 536870912 "
                         "bytes = 512 MiB for all of a model's documents)"));
  put("small.json", "{\"a\": 1}");
  assert_int_equal(attach(m, "small.json"), TP_OK);
  put_sparse("rest.json", "{", (off_t)TP_DOC_MAX_BYTES - 7);
  assert_int_equal(attach(m, "rest.json"), TP_ELIMIT);
  assert_non_null(strstr(tp_last_error(),
                         "/rest.json: json: too large (536870905 bytes, 536870913 with the "
                         "model's other documents, vs limit 536870912 bytes = 512 MiB"));
  assert_int_equal(tp_model_doc_count(m), 1);
  tp_model_free(m);
}

/* ---- the Hugging Face reader --------------------------------------------------- */

static void put_model(const char *folder) {
  static const char hdr[] = "{\"w\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}";
  char p[512];
  uint8_t b[8];
  FILE *f;
  snprintf(p, sizeof p, "%s/%s", g_dir, folder);
  mkdir(p, 0755);
  snprintf(p, sizeof p, "%s/%s/model.safetensors", g_dir, folder);
  f = fopen(p, "wb");
  assert_non_null(f);
  tp_store_le64(b, sizeof hdr - 1);
  fwrite(b, 1, 8, f);
  fwrite(hdr, 1, sizeof hdr - 1, f);
  fwrite("ab", 1, 2, f);
  fclose(f);
}

static tp_status open_folder(const char *folder, tp_model **m) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", g_dir, folder);
  return tp_hf_open(m, p, NULL);
}

static void test_hf_attaches(void **state) {
  static const char *const names[] = {
      "config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
      "special_tokens_map.json", "added_tokens.json", "preprocessor_config.json"};
  tp_model *m = NULL;
  size_t i;
  char rel[256];
  (void)state;
  put_model("hf");
  /* none present: a model without documents */
  assert_int_equal(open_folder("hf", &m), TP_OK);
  assert_int_equal(tp_model_doc_count(m), 0);
  tp_model_free(m);
  for (i = 0; i < sizeof names / sizeof *names; i++) {
    snprintf(rel, sizeof rel, "hf/%s", names[i]);
    put(rel, "{\"k\": NaN}");
  }
  put("hf/vocab.json", "not read");          /* not a document of ours */
  put("hf/merges.txt", "#version: 0.2\n");  /* a text: kept as bytes */
  assert_int_equal(open_folder("hf", &m), TP_OK);
  assert_int_equal(tp_model_doc_count(m), sizeof names / sizeof *names + 1);
  assert_string_equal(tp_model_text(m, "merges.txt", NULL), "#version: 0.2\n");
  assert_null(tp_model_doc(m, "merges.txt"));
  for (i = 0; i < sizeof names / sizeof *names; i++) {
    assert_string_equal(tp_model_doc_at(m, i, NULL, NULL), names[i]);
    assert_true(json_is_null(json_object_get(tp_model_doc(m, names[i]), "k")));
  }
  assert_null(tp_model_doc(m, "vocab.json"));
  tp_model_free(m);
}

static void test_hf_document_failures(void **state) {
  tp_model *m = (tp_model *)1;
  char p[512], q[512];
  (void)state;
  put_model("bad");
  /* a broken optional document fails the open too, naming it */
  put("bad/config.json", "{}");
  put("bad/generation_config.json", "{\"top_k\": 5,\n}");
  assert_int_equal(open_folder("bad", &m), TP_EFORMAT);
  assert_null(m);
  assert_non_null(strstr(tp_last_error(), "bad/generation_config.json: json: line 2 column 1: "));
  /* a link leading outside the folder, and a dangling one */
  path_in(p, sizeof p, "bad/generation_config.json");
  unlink(p);
  path_in(q, sizeof q, "outside.json");
  put("outside.json", "{}");
  assert_int_equal(symlink(q, p), 0);
  assert_int_equal(open_folder("bad", &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "symbolic link leading outside the folder"));
  unlink(p);
  assert_int_equal(symlink("nowhere.json", p), 0);
  assert_int_equal(open_folder("bad", &m), TP_ENOTFOUND);
  assert_non_null(strstr(tp_last_error(), "dangling"));
  unlink(p);
  /* a link inside the folder is followed */
  put("bad/real.json", "{\"x\": 1}");
  assert_int_equal(symlink("real.json", p), 0);
  assert_int_equal(open_folder("bad", &m), TP_OK);
  assert_int_equal(json_integer_value(json_object_get(
                       tp_model_doc(m, "generation_config.json"), "x")), 1);
  tp_model_free(m);
  /* a weights error comes first: the documents are read after them */
  path_in(p, sizeof p, "bad/model.safetensors");
  assert_int_equal(truncate(p, 20), 0);
  put("bad/config.json", "[");
  assert_int_equal(open_folder("bad", &m), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "model.safetensors: safetensors:"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_python_numbers),
      cmocka_unit_test(test_python_strings_and_keys),
      cmocka_unit_test(test_python_errors),
      cmocka_unit_test(test_python_depth),
      cmocka_unit_test(test_scan_depth_and_line_column),
      cmocka_unit_test(test_attach),
      cmocka_unit_test(test_attach_budget),
      cmocka_unit_test(test_hf_attaches),
      cmocka_unit_test(test_hf_document_failures),
  };
  return cmocka_run_group_tests(tests, unit_dir_setup, unit_dir_teardown);
}
