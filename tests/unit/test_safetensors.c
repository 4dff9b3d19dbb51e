/*
 * test_safetensors.c - unit tests of the SafeTensors reader and writer, the
 * Hugging Face folder reader/layout and the JSON output helpers.
 *
 * Writer: the reference crate's test vectors byte for byte, the dtype sort,
 * serde_json and Python escaping of every special byte, huggingface_hub's
 * shard split and transformers' index text. Reader: each rule of
 * safetensors.md §4 (and our stricter ones) with its status and a message
 * naming the tensor and numbers, plus the edge cases the reference accepts.
 * Folders are built in a fresh temporary directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codec/json_out.h"
#include "convert/plan.h"
#include "dtype/dtype.h"
#include "formats/hf/hf.h"

/* ---- helpers ------------------------------------------------------------------- */

/* 8-byte length + json (jlen bytes) + dlen data bytes (0, 1, 2, ...). */
static uint8_t *mk(const char *json, size_t jlen, size_t dlen, size_t *len) {
  uint8_t *b = malloc(8 + jlen + dlen + 1);
  size_t i;
  assert_non_null(b);
  tp_store_le64(b, jlen);
  memcpy(b + 8, json, jlen);
  for (i = 0; i < dlen; i++) b[8 + jlen + i] = (uint8_t)i;
  *len = 8 + jlen + dlen;
  return b;
}

static tp_status parse_buf(const uint8_t *b, size_t len, tp_model **m) {
  tp_infile *f;
  assert_int_equal(tp_infile_from_memory(&f, b, len, "t.safetensors"), TP_OK);
  return tp_safetensors_open_infile(m, f);
}

/* Buffers behind memory inputs, freed at exit. */
static uint8_t *g_keep[64];
static size_t g_nkeep;
static void keep(uint8_t *b) {
  if (g_nkeep == 64) {
    free(g_keep[0]);
    memmove(g_keep, g_keep + 1, 63 * sizeof *g_keep);
    g_nkeep--;
  }
  g_keep[g_nkeep++] = b;
}

/* Parses json + dlen bytes of data and expects success. */
static tp_model *accept_json(const char *json, size_t dlen) {
  size_t len;
  uint8_t *b = mk(json, strlen(json), dlen, &len);
  tp_model *m = NULL;
  tp_status st = parse_buf(b, len, &m);
  if (st != TP_OK) {
    print_error("rejected: %s\n  header: %s\n", tp_last_error(), json);
    fail();
  }
  keep(b); /* a memory input must outlive the model */
  return m;
}

static void check_msg(const char *want) {
  if (want && !strstr(tp_last_error(), want)) {
    print_error("message \"%s\"\n  lacks \"%s\"\n", tp_last_error(), want);
    fail();
  }
}

/* Parses and expects status st with every non-NULL string in the message. */
static void reject_bytes(const uint8_t *b, size_t len, tp_status want,
                         const char *m1, const char *m2, const char *m3) {
  tp_model *m = NULL;
  tp_status st;
  tp_clear_error();
  st = parse_buf(b, len, &m);
  if (st != want) {
    print_error("status %d (want %d): %s\n", (int)st, (int)want,
                tp_last_error());
    fail();
  }
  assert_null(m);
  check_msg("t.safetensors: safetensors: ");
  check_msg(m1);
  check_msg(m2);
  check_msg(m3);
}

static void reject_json(const char *json, size_t dlen, tp_status want,
                        const char *m1, const char *m2, const char *m3) {
  size_t len;
  uint8_t *b = mk(json, strlen(json), dlen, &len);
  reject_bytes(b, len, want, m1, m2, m3);
  free(b);
}

static const char *tname(const tp_model *m, size_t i) {
  return m->tensors[i].name;
}

/* ---- JSON output ----------------------------------------------------------------- */

static void test_escape_serde(void **state) {
  tp_textbuf b;
  char in[40], want[400];
  size_t i, n = 0, o = 0;
  (void)state;
  /* every control byte, then the specials and raw UTF-8 */
  for (i = 0; i < 0x20; i++) in[n++] = (char)i;
  memcpy(in + n, "\"\\/\x7f\xc3\xa9", 6);
  n += 6;
  o += (size_t)sprintf(want + o, "\"");
  for (i = 0; i < 0x20; i++) {
    const char *s = i == 8 ? "\\b" : i == 9 ? "\\t" : i == 10 ? "\\n"
                  : i == 12 ? "\\f" : i == 13 ? "\\r" : NULL;
    if (s)
      o += (size_t)sprintf(want + o, "%s", s);
    else
      o += (size_t)sprintf(want + o, "\\u%04x", (unsigned)i);
  }
  o += (size_t)sprintf(want + o, "\\\"\\\\/\x7f\xc3\xa9\"");
  tp_textbuf_init(&b);
  tp_json_put_string(&b, in, n, TP_JSON_SERDE);
  assert_int_equal(b.status, TP_OK);
  assert_int_equal(b.len, o);
  assert_memory_equal(b.data, want, o);
  /* lower-case hex */
  assert_non_null(strstr(b.data, "\\u001f"));
  assert_non_null(strstr(b.data, "\\u000b"));
  tp_textbuf_free(&b);
}

static void test_escape_ascii(void **state) {
  tp_textbuf b;
  const char *in = "a\x01\n\"\\/\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xff";
  (void)state;
  tp_textbuf_init(&b);
  tp_json_put_string(&b, in, strlen(in), TP_JSON_ASCII);
  assert_string_equal(b.data, "\"a\\u0001\\n\\\"\\\\/\\u007f\\u00e9\\u20ac"
                              "\\ud83d\\ude00\\ufffd\"");
  tp_textbuf_free(&b);
}

/* The two dialects of tensorport's own: every byte below 0x20, the
 * specials, DEL and raw UTF-8, as the GGUF metadata encoder and the
 * command line's --json output wrote them with their own escapers. */
static void test_escape_gguf_meta_printable(void **state) {
  static const unsigned dialects[] = {TP_JSON_GGUF_META, TP_JSON_PRINTABLE};
  char in[40], want[400];
  size_t d, i, n = 0;
  (void)state;
  for (i = 0; i < 0x20; i++) in[n++] = (char)i;
  memcpy(in + n, "\"\\/\x7f\xc3\xa9\xc2\x85", 8);
  n += 8;
  for (d = 0; d < 2; d++) {
    tp_textbuf b;
    size_t o = (size_t)sprintf(want, "\"");
    bool short_bf = dialects[d] == TP_JSON_PRINTABLE;
    for (i = 0; i < 0x20; i++) {
      const char *s = i == 9 ? "\\t" : i == 10 ? "\\n" : i == 13 ? "\\r"
                    : short_bf && i == 8 ? "\\b" : short_bf && i == 12 ? "\\f"
                    : NULL;
      if (s)
        o += (size_t)sprintf(want + o, "%s", s);
      else
        o += (size_t)sprintf(want + o, "\\u%04x", (unsigned)i);
    }
    o += (size_t)sprintf(want + o, "\\\"\\\\/\\u007f\xc3\xa9\xc2\x85\"");
    tp_textbuf_init(&b);
    tp_json_put_string(&b, in, n, dialects[d]);
    assert_int_equal(b.status, TP_OK);
    assert_int_equal(b.len, o);
    assert_memory_equal(b.data, want, o);
    tp_textbuf_free(&b);
  }
}

/* tp_json_quote is tp_json_put_string into a caller's array, cut like
 * snprintf. */
static void test_json_quote(void **state) {
  char out[16];
  const char *in = "a\"\x01\xe2\x82\xac";
  (void)state;
  assert_int_equal(tp_json_quote(out, sizeof out, in, strlen(in), TP_JSON_ASCII), 17);
  assert_string_equal(out, "\"a\\\"\\u0001\\u20a"); /* 15 bytes and the NUL */
  assert_int_equal(tp_json_quote(out, sizeof out, in, 3, TP_JSON_SERDE), 11);
  assert_string_equal(out, "\"a\\\"\\u0001\"");
  assert_int_equal(tp_json_quote(NULL, 0, in, strlen(in), TP_JSON_SERDE), 14);
  assert_int_equal(tp_json_quote(out, 1, "xy", 2, TP_JSON_SERDE), 4);
  assert_string_equal(out, "");
  /* NUL bytes inside the string, and an unknown dialect read as serde */
  assert_int_equal(tp_json_quote(out, sizeof out, "a\0\x7f", 3, (tp_json_dialect)99), 10);
  assert_memory_equal(out, "\"a\\u0000\x7f\"", 11);
}

/* The one float printer: shortest or full digits, binary32 or 64, with or
 * without a point, and the non-finite words. */
static void test_float_format(void **state) {
  char b[48];
  (void)state;
  assert_int_equal(tp_float_format(b, sizeof b, 0.1, 0), 3);
  assert_string_equal(b, "0.1");
  tp_float_format(b, sizeof b, (double)0.1f, 0);
  assert_string_equal(b, "0.10000000149011612");
  tp_float_format(b, sizeof b, (double)0.1f, 1);
  assert_string_equal(b, "0.1");
  tp_float_format(b, sizeof b, 1e-5, 1);
  assert_string_equal(b, "1e-05");
  tp_float_format(b, sizeof b, -0.0, 0);
  assert_string_equal(b, "-0");
  tp_float_format(b, sizeof b, 5e-324, 0);
  assert_string_equal(b, "5e-324");
  tp_float_format(b, sizeof b, NAN, 0);
  assert_string_equal(b, "nan");
  tp_float_format(b, sizeof b, -INFINITY, 1);
  assert_string_equal(b, "-inf");
  tp_fmt_real(b, sizeof b, 0.1, TP_FMT_FULL);
  assert_string_equal(b, "0.10000000000000001");
  tp_fmt_real(b, sizeof b, (double)1e-5f, TP_FMT_FULL | TP_FMT_F32 | TP_FMT_POINT);
  assert_string_equal(b, "9.99999975e-06");
  tp_fmt_real(b, sizeof b, 2.0, TP_FMT_FULL | TP_FMT_POINT);
  assert_string_equal(b, "2.0");
  tp_fmt_real(b, sizeof b, 2.0, TP_FMT_POINT);
  assert_string_equal(b, "2.0");
  tp_fmt_real(b, sizeof b, 1e300, TP_FMT_POINT);
  assert_string_equal(b, "1e+300");
  tp_fmt_real(b, sizeof b, INFINITY, TP_FMT_POINT);
  assert_string_equal(b, "inf");
  assert_int_equal(tp_fmt_real(b, 0, 1.0, 0), 0);
}

static void test_utf8_valid(void **state) {
  size_t bad = 99;
  (void)state;
  assert_true(tp_utf8_valid("abc\xc3\xa9\xf0\x9f\x98\x80", 9, &bad));
  assert_false(tp_utf8_valid("ab\xc0\x80", 4, &bad)); /* overlong NUL */
  assert_int_equal(bad, 2);
  assert_false(tp_utf8_valid("\xed\xa0\x80", 3, &bad)); /* surrogate */
  assert_int_equal(bad, 0);
  assert_false(tp_utf8_valid("x\xf5\x80\x80\x80", 5, &bad));
  assert_int_equal(bad, 1);
  assert_false(tp_utf8_valid("x\xe2\x82", 3, &bad)); /* truncated */
  assert_false(tp_utf8_valid("\xf4\x90\x80\x80", 4, &bad)); /* > U+10FFFF */
  assert_true(tp_utf8_valid("", 0, &bad));
}

static void test_jsonw_indent(void **state) {
  tp_textbuf b;
  tp_jsonw w;
  (void)state;
  tp_textbuf_init(&b);
  tp_jsonw_init(&w, &b, 2, TP_JSON_ASCII);
  tp_jsonw_begin_object(&w);
  tp_jsonw_key(&w, "a", 1);
  tp_jsonw_begin_object(&w);
  tp_jsonw_end_object(&w);
  tp_jsonw_key(&w, "b", 1);
  tp_jsonw_begin_array(&w);
  tp_jsonw_u64(&w, 1);
  tp_jsonw_i64(&w, -2);
  tp_jsonw_f64(&w, 0.1);
  tp_jsonw_bool(&w, true);
  tp_jsonw_null(&w);
  tp_jsonw_end_array(&w);
  tp_jsonw_key(&w, "c\xc3\xa9", 3);
  tp_jsonw_cstring(&w, "x");
  tp_jsonw_end_object(&w);
  assert_int_equal(b.status, TP_OK);
  /* what json.dumps(..., indent=2) prints */
  assert_string_equal(b.data, "{\n  \"a\": {},\n  \"b\": [\n    1,\n    -2,\n"
                              "    0.1,\n    true,\n    null\n  ],\n"
                              "  \"c\\u00e9\": \"x\"\n}");
  tp_textbuf_free(&b);
  tp_textbuf_init(&b);
  tp_jsonw_init(&w, &b, 0, TP_JSON_SERDE);
  tp_jsonw_begin_object(&w);
  tp_jsonw_key(&w, "k", 1);
  tp_jsonw_begin_array(&w);
  tp_jsonw_f32(&w, 0.1f);
  tp_jsonw_u64(&w, 18446744073709551615ull);
  tp_jsonw_end_array(&w);
  tp_jsonw_end_object(&w);
  assert_string_equal(b.data, "{\"k\":[0.1,18446744073709551615]}");
  tp_textbuf_free(&b);
}

/* ---- writer: reference vectors ---------------------------------------------------- */

static tp_out_tensor entry(const char *name, tp_type t, uint32_t ndim,
                           const uint64_t *shape) {
  tp_out_tensor e;
  uint64_t nel = 1;
  uint32_t i;
  memset(&e, 0, sizeof e);
  e.name = name;
  e.name_len = strlen(name);
  e.src_type = e.dst_type = t;
  e.ndim = ndim;
  for (i = 0; i < ndim; i++) {
    e.shape[i] = shape[i];
    nel *= shape[i];
  }
  e.nelements = nel;
  assert_true(tp_type_nbytes(t, nel, &e.dst_nbytes));
  e.src_nbytes = e.dst_nbytes;
  return e;
}

static void expect_header(const uint8_t *got, size_t got_len, uint64_t n,
                          const char *json) {
  size_t jl = strlen(json), i;
  assert_int_equal(got_len, 8 + n);
  assert_int_equal(tp_load_le64(got), n);
  assert_memory_equal(got + 8, json, jl);
  for (i = 8 + jl; i < got_len; i++) assert_int_equal(got[i], ' ');
}

static void test_reference_vectors(void **state) {
  uint8_t *h;
  size_t hl;
  uint64_t dl;
  tp_out_tensor es[4];
  (void)state;

  assert_int_equal(tp_st_render_header("o", NULL, 0, NULL, 0, &h, &hl, &dl),
                   TP_OK);
  assert_int_equal(hl, 16);
  assert_memory_equal(h, "\x08\0\0\0\0\0\0\0{}      ", 16);
  assert_int_equal(dl, 0);
  free(h);

  {
    tp_metastore ms;
    tp_textbuf frag;
    tp_meta_init(&ms);
    assert_int_equal(tp_meta_set_str(&ms, "framework", "pt", 2), TP_OK);
    tp_textbuf_init(&frag);
    assert_int_equal(tp_st_render_meta(&ms, "o", &frag), TP_OK);
    assert_int_equal(tp_st_render_header("o", frag.data, frag.len, NULL, 0, &h,
                                         &hl, &dl),
                     TP_OK);
    expect_header(h, hl, 40, "{\"__metadata__\":{\"framework\":\"pt\"}}");
    free(h);
    tp_textbuf_free(&frag);
    tp_meta_free(&ms);
  }

  es[0] = entry("attn.0", TP_TYPE_F32, 3, (uint64_t[]){1, 2, 3});
  assert_int_equal(tp_st_render_header("o", NULL, 0, es, 1, &h, &hl, &dl), TP_OK);
  expect_header(h, hl, 64,
                "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],"
                "\"data_offsets\":[0,24]}}");
  assert_int_equal(dl, 24);
  free(h);

  es[0] = entry("attn0", TP_TYPE_F32, 4, (uint64_t[]){1, 1, 2, 3});
  assert_int_equal(tp_st_render_header("o", NULL, 0, es, 1, &h, &hl, &dl), TP_OK);
  expect_header(h, hl, 72,
                "{\"attn0\":{\"dtype\":\"F32\",\"shape\":[1,1,2,3],"
                "\"data_offsets\":[0,24]}}");
  free(h);

  es[0] = entry("attn.0", TP_TYPE_F4, 2, (uint64_t[]){1, 2});
  assert_int_equal(es[0].dst_nbytes, 1);
  assert_int_equal(tp_st_render_header("o", NULL, 0, es, 1, &h, &hl, &dl), TP_OK);
  expect_header(h, hl, 64,
                "{\"attn.0\":{\"dtype\":\"F4\",\"shape\":[1,2],"
                "\"data_offsets\":[0,1]}}");
  free(h);

  es[0] = entry("s", TP_TYPE_F32, 0, NULL);
  assert_int_equal(tp_st_render_header("o", NULL, 0, es, 1, &h, &hl, &dl), TP_OK);
  expect_header(h, hl, 56,
                "{\"s\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}");
  free(h);
}

/* ---- writer: layout through a hand-made plan ------------------------------------------- */

static tp_layout *new_plan(const char *out) {
  tp_layout *p = calloc(1, sizeof *p);
  tp_convert_options o = TP_CONVERT_OPTIONS_INIT;
  assert_non_null(p);
  tp_layout_init(p);
  p->opts = o;
  p->out_path = strdup(out);
  p->target = tp_format_ops_of(TP_FORMAT_SAFETENSORS);
  return p;
}

static void free_plan(tp_layout *p) {
  tp_layout_release(p);
  free(p);
}

static void plan_add(tp_layout *p, tp_out_tensor e) {
  assert_int_equal(tp_grow((void **)&p->entries, &p->cap, p->n + 1,
                           sizeof *p->entries),
                   TP_OK);
  e.src = p->n;
  p->entries[p->n++] = e;
}

static void test_sort_order(void **state) {
  /* the effective order of safetensors.md §5 */
  static const tp_type order[] = {
      TP_TYPE_U64, TP_TYPE_I64, TP_TYPE_F64, TP_TYPE_C64, TP_TYPE_F32,
      TP_TYPE_U32, TP_TYPE_I32, TP_TYPE_BF16, TP_TYPE_F16, TP_TYPE_U16,
      TP_TYPE_I16, TP_TYPE_F8_E5M2FNUZ, TP_TYPE_F8_E4M3FNUZ, TP_TYPE_F8_E8M0,
      TP_TYPE_F8_E4M3, TP_TYPE_F8_E5M2, TP_TYPE_I8, TP_TYPE_U8,
      TP_TYPE_F6_E3M2, TP_TYPE_F6_E2M3, TP_TYPE_F4, TP_TYPE_BOOL};
  tp_layout *p = new_plan("/nonexistent/o.safetensors");
  char names[22][8];
  size_t i;
  (void)state;
  /* add in reverse with names that would sort the other way */
  for (i = 0; i < 22; i++) {
    size_t k = 21 - i;
    snprintf(names[k], sizeof names[k], "t%02zu", 21 - k);
    plan_add(p, entry(names[k], order[k], 1, (uint64_t[]){4}));
  }
  /* same dtype: name bytes decide, shorter prefix first */
  plan_add(p, entry("w.b", TP_TYPE_F32, 1, (uint64_t[]){1}));
  plan_add(p, entry("w.a", TP_TYPE_F32, 1, (uint64_t[]){1}));
  plan_add(p, entry("w", TP_TYPE_F32, 1, (uint64_t[]){1}));
  plan_add(p, entry("W", TP_TYPE_F32, 1, (uint64_t[]){1}));
  assert_int_equal(tp_safetensors_layout(p), TP_OK);
  assert_int_equal(p->nfiles, 1);
  {
    size_t j = 0;
    uint64_t pos = p->files[0].header_len;
    for (i = 0; i < p->n; i++) {
      /* offsets back to back after the header */
      assert_int_equal(p->entries[i].offset, pos);
      assert_int_equal(p->entries[i].file, 0);
      pos += p->entries[i].dst_nbytes;
    }
    assert_int_equal(pos, p->files[0].size);
    for (i = 0; i < p->n; i++) {
      tp_type t = p->entries[i].dst_type;
      if (t == TP_TYPE_F32 && p->entries[i].name[0] != 't') continue;
      assert_int_equal(t, order[j]);
      j++;
    }
    assert_int_equal(j, 22);
    /* F32 group: "W" < "t17" < "w" < "w.a" < "w.b" */
    for (i = 0; i < p->n && p->entries[i].dst_type != TP_TYPE_F32; i++) {
    }
    assert_string_equal(p->entries[i].name, "W");
    assert_string_equal(p->entries[i + 1].name, "t17");
    assert_string_equal(p->entries[i + 2].name, "w");
    assert_string_equal(p->entries[i + 3].name, "w.a");
    assert_string_equal(p->entries[i + 4].name, "w.b");
  }
  free_plan(p);
}

static void test_layout_single(void **state) {
  tp_layout *p = new_plan("/nonexistent/out.safetensors");
  const char *want =
      "{\"__metadata__\":{\"format\":\"pt\"},"
      "\"z\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
      "\"a\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[4,6]},"
      "\"b\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[6,8]},"
      "\"m\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[8,11]}}";
  size_t jl = strlen(want), n = (jl + 7) / 8 * 8;
  (void)state;
  plan_add(p, entry("b", TP_TYPE_F16, 1, (uint64_t[]){1}));
  plan_add(p, entry("a", TP_TYPE_F16, 1, (uint64_t[]){1}));
  plan_add(p, entry("z", TP_TYPE_F32, 1, (uint64_t[]){1}));
  plan_add(p, entry("m", TP_TYPE_U8, 1, (uint64_t[]){3}));
  assert_int_equal(tp_safetensors_layout(p), TP_OK);
  assert_int_equal(p->nfiles, 1);
  assert_string_equal(p->files[0].path, "/nonexistent/out.safetensors");
  assert_int_equal(p->files[0].is_aux, 0);
  assert_int_equal(p->files[0].n_tensors, 4);
  expect_header(p->files[0].header, p->files[0].header_len, n, want);
  assert_int_equal(p->files[0].size, 8 + n + 11);
  assert_string_equal(p->entries[0].name, "z");
  assert_string_equal(p->entries[3].name, "m");
  assert_int_equal(p->entries[1].offset, 8 + n + 4);
  /* the format key was added to the plan's metadata */
  assert_int_not_equal(tp_meta_find(&p->meta, "format", 6), SIZE_MAX);
  free_plan(p);
}

static void test_layout_metadata(void **state) {
  tp_layout *p = new_plan("/nonexistent/out.safetensors");
  tp_value v;
  const char *s[2] = {"x", "y\"z"};
  tp_string strs[2];
  const char *json;
  (void)state;
  /* an existing format key is kept; keys sorted; non-strings rendered */
  assert_int_equal(tp_meta_set_str(&p->meta, "zeta", "1\n", 2), TP_OK);
  assert_int_equal(tp_meta_set_str(&p->meta, "format", "mlx", 3), TP_OK);
  assert_int_equal(tp_meta_set_u32(&p->meta, "count", 7), TP_OK);
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_F32;
  v.v.f = (double)0.1f;
  assert_int_equal(tp_meta_set(&p->meta, "f", 1, &v, 1), TP_OK);
  v.type = TP_VALUE_BOOL;
  v.v.u = 1;
  assert_int_equal(tp_meta_set(&p->meta, "b", 1, &v, 1), TP_OK);
  strs[0].data = s[0];
  strs[0].len = 1;
  strs[1].data = s[1];
  strs[1].len = 3;
  v.type = TP_VALUE_ARRAY;
  v.elem_type = TP_VALUE_STRING;
  v.count = 2;
  v.v.array = strs;
  assert_int_equal(tp_meta_set(&p->meta, "arr", 3, &v, 1), TP_OK);
  v.type = TP_VALUE_I32;
  v.v.i = -5;
  assert_int_equal(tp_meta_set(&p->meta, "neg", 3, &v, 1), TP_OK);
  assert_int_equal(tp_safetensors_layout(p), TP_OK);
  json = (const char *)p->files[0].header + 8;
  assert_memory_equal(json,
                      "{\"__metadata__\":{\"arr\":\"[\\\"x\\\",\\\"y\\\\\\\"z\\\"]\","
                      "\"b\":\"true\",\"count\":\"7\",\"f\":\"0.1\","
                      "\"format\":\"mlx\",\"neg\":\"-5\",\"zeta\":\"1\\n\"}}",
                      strlen("{\"__metadata__\":{\"arr\":\"[\\\"x\\\",\\\"y\\\\\\\"z\\\"]\","
                             "\"b\":\"true\",\"count\":\"7\",\"f\":\"0.1\","
                             "\"format\":\"mlx\",\"neg\":\"-5\",\"zeta\":\"1\\n\"}}"));
  assert_int_equal(p->files[0].size, p->files[0].header_len);
  free_plan(p);
}

static void test_layout_refusals(void **state) {
  tp_layout *p;
  (void)state;
  p = new_plan("/nonexistent/o.safetensors");
  plan_add(p, entry("__metadata__", TP_TYPE_F32, 1, (uint64_t[]){1}));
  assert_int_equal(tp_safetensors_layout(p), TP_EUNSUPPORTED);
  check_msg("cannot be named \"__metadata__\"");
  free_plan(p);

  p = new_plan("/nonexistent/o.safetensors");
  plan_add(p, entry("q", TP_TYPE_Q4_K, 2, (uint64_t[]){2, 256}));
  assert_int_equal(tp_safetensors_layout(p), TP_EUNSUPPORTED);
  check_msg("tensor \"q\": type Q4_K cannot be stored in SafeTensors");
  free_plan(p);

  p = new_plan("/nonexistent/o.safetensors");
  plan_add(p, entry("bad\xff", TP_TYPE_F32, 1, (uint64_t[]){1}));
  assert_int_equal(tp_safetensors_layout(p), TP_EUNSUPPORTED);
  check_msg("not valid UTF-8");
  free_plan(p);

  /* a header over 100,000,000 bytes */
  p = new_plan("/nonexistent/o.safetensors");
  {
    char *big = malloc(100000001);
    assert_non_null(big);
    memset(big, 'a', 100000000);
    big[100000000] = 0;
    assert_int_equal(tp_meta_set_str(&p->meta, "big", big, 100000000), TP_OK);
    free(big);
  }
  assert_int_equal(tp_safetensors_layout(p), TP_ELIMIT);
  check_msg("header too large");
  free_plan(p);
}

/* Writes the plan's files (header + data pattern) and reads them back. */
static void test_layout_round_trip(void **state) {
  char dir[] = "/tmp/tp_st_rtXXXXXX", path[256];
  tp_layout *p;
  tp_model *m = NULL;
  size_t i;
  FILE *f;
  uint8_t *buf;
  (void)state;
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/r.safetensors", dir);
  p = new_plan(path);
  plan_add(p, entry("odd", TP_TYPE_U8, 1, (uint64_t[]){3}));
  plan_add(p, entry("h", TP_TYPE_BF16, 2, (uint64_t[]){3, 1}));
  plan_add(p, entry("e", TP_TYPE_F16, 1, (uint64_t[]){0}));
  plan_add(p, entry("f4", TP_TYPE_F4, 1, (uint64_t[]){6}));
  plan_add(p, entry("f6", TP_TYPE_F6_E2M3, 2, (uint64_t[]){2, 2}));
  plan_add(p, entry("c", TP_TYPE_C64, 0, NULL));
  assert_int_equal(tp_safetensors_layout(p), TP_OK);
  buf = calloc(1, p->files[0].size);
  memcpy(buf, p->files[0].header, p->files[0].header_len);
  for (i = p->files[0].header_len; i < p->files[0].size; i++)
    buf[i] = (uint8_t)(i * 7);
  f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(buf, 1, p->files[0].size, f), p->files[0].size);
  fclose(f);
  assert_int_equal(tp_safetensors_open(&m, path, NULL), TP_OK);
  assert_int_equal(m->ntensors, p->n);
  assert_int_equal(tp_model_file_size(m, 0), p->files[0].size);
  assert_int_equal(tp_model_data_offset(m, 0), p->files[0].header_len);
  for (i = 0; i < p->n; i++) {
    /* offset order is the model's order; zero-size "e" sits among them */
    size_t k = tp_model_find_tensor(m, p->entries[i].name,
                                    p->entries[i].name_len);
    uint8_t got[16];
    assert_int_not_equal(k, SIZE_MAX);
    assert_int_equal(m->tensors[k].type, p->entries[i].dst_type);
    assert_int_equal(m->tensors[k].ndim, p->entries[i].ndim);
    assert_int_equal(m->tensors[k].offset, p->entries[i].offset);
    assert_int_equal(m->tensors[k].nbytes, p->entries[i].dst_nbytes);
    assert_true(m->tensors[k].nbytes <= sizeof got);
    assert_int_equal(tp_model_read(m, k, 0, got, m->tensors[k].nbytes), TP_OK);
    assert_memory_equal(got, buf + p->entries[i].offset, m->tensors[k].nbytes);
  }
  {
    const tp_value *v = tp_model_meta_find(m, "format");
    assert_non_null(v);
    assert_int_equal(v->type, TP_VALUE_STRING);
    assert_string_equal(v->v.s.data, "pt");
  }
  tp_model_free(m);
  free_plan(p);
  free(buf);
  unlink(path);
  rmdir(dir);
}

static void test_layout_shards(void **state) {
  tp_layout *p = new_plan("/nonexistent/out.safetensors");
  const char *idx;
  (void)state;
  /* hub split with a 100-byte limit: "big" (200) goes alone and is closed
   * first, then {a, b} (80), then {c} (80 + 40 > 100) */
  p->opts.split_max_size = 100;
  plan_add(p, entry("a", TP_TYPE_F32, 1, (uint64_t[]){10}));
  plan_add(p, entry("big", TP_TYPE_F32, 1, (uint64_t[]){50}));
  plan_add(p, entry("b", TP_TYPE_U8, 1, (uint64_t[]){40}));
  plan_add(p, entry("c", TP_TYPE_F32, 1, (uint64_t[]){10}));
  assert_int_equal(tp_safetensors_layout(p), TP_OK);
  assert_int_equal(p->nfiles, 4);
  assert_string_equal(p->files[0].path, "/nonexistent/out-00001-of-00003.safetensors");
  assert_string_equal(p->files[1].path, "/nonexistent/out-00002-of-00003.safetensors");
  assert_string_equal(p->files[2].path, "/nonexistent/out-00003-of-00003.safetensors");
  assert_string_equal(p->files[3].path, "/nonexistent/out.safetensors.index.json");
  assert_int_equal(p->files[0].n_tensors, 1);
  assert_int_equal(p->files[1].n_tensors, 2);
  assert_int_equal(p->files[2].n_tensors, 1);
  assert_string_equal(p->entries[0].name, "big");
  assert_int_equal(p->entries[0].file, 0);
  assert_string_equal(p->entries[1].name, "a");
  assert_string_equal(p->entries[2].name, "b");
  assert_int_equal(p->entries[2].file, 1);
  assert_string_equal(p->entries[3].name, "c");
  assert_int_equal(p->entries[3].file, 2);
  /* every shard carries the metadata */
  assert_non_null(strstr((const char *)p->files[2].header + 8,
                         "{\"__metadata__\":{\"format\":\"pt\"},\"c\":"));
  assert_int_equal(p->files[3].is_aux, 1);
  assert_null(p->files[3].copy_from);
  assert_int_equal(p->files[3].size, p->files[3].header_len);
  idx = (const char *)p->files[3].header;
  assert_int_equal(strlen(idx), p->files[3].header_len);
  assert_string_equal(idx,
                      "{\n"
                      "  \"metadata\": {\n"
                      "    \"total_parameters\": 110,\n"
                      "    \"total_size\": 320\n"
                      "  },\n"
                      "  \"weight_map\": {\n"
                      "    \"a\": \"out-00002-of-00003.safetensors\",\n"
                      "    \"b\": \"out-00002-of-00003.safetensors\",\n"
                      "    \"big\": \"out-00001-of-00003.safetensors\",\n"
                      "    \"c\": \"out-00003-of-00003.safetensors\"\n"
                      "  }\n"
                      "}\n");
  free_plan(p);

  /* everything fits: one file, no suffix, no index */
  p = new_plan("/nonexistent/out.safetensors");
  p->opts.split_max_size = 1000;
  plan_add(p, entry("a", TP_TYPE_F32, 1, (uint64_t[]){10}));
  plan_add(p, entry("b", TP_TYPE_F32, 1, (uint64_t[]){10}));
  assert_int_equal(tp_safetensors_layout(p), TP_OK);
  assert_int_equal(p->nfiles, 1);
  assert_string_equal(p->files[0].path, "/nonexistent/out.safetensors");
  free_plan(p);

  /* tensor-count limit */
  p = new_plan("/nonexistent/out.safetensors");
  p->opts.split_max_tensors = 2;
  plan_add(p, entry("a", TP_TYPE_F32, 1, (uint64_t[]){1}));
  plan_add(p, entry("b", TP_TYPE_F32, 1, (uint64_t[]){1}));
  plan_add(p, entry("c", TP_TYPE_F32, 1, (uint64_t[]){1}));
  assert_int_equal(tp_safetensors_layout(p), TP_OK);
  assert_int_equal(p->nfiles, 3);
  assert_int_equal(p->files[0].n_tensors, 2);
  assert_int_equal(p->files[1].n_tensors, 1);
  free_plan(p);
}

/* ---- reader: accepted inputs ------------------------------------------------------------ */

static void test_parse_basic(void **state) {
  tp_model *m;
  tp_tensor_info ti;
  (void)state;
  /* header order differs from data order; the model follows the data */
  m = accept_json("{\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                  "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                  "\"__metadata__\":{\"format\":\"pt\",\"k\":\"v\"}}",
                  12);
  assert_int_equal(tp_model_tensor_count(m), 2);
  assert_string_equal(tname(m, 0), "a");
  assert_string_equal(tname(m, 1), "b");
  assert_int_equal(tp_model_tensor(m, 1, &ti), TP_OK);
  assert_int_equal(ti.type, TP_TYPE_F16);
  assert_int_equal(ti.nbytes, 4);
  {
    size_t n = strlen("{\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                      "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                      "\"__metadata__\":{\"format\":\"pt\",\"k\":\"v\"}}");
    assert_int_equal(ti.file_offset, 8 + n + 8);
    assert_int_equal(tp_model_data_offset(m, 0), 8 + n);
  }
  assert_int_equal(tp_model_meta_count(m), 2);
  {
    tp_string k;
    const tp_value *v;
    assert_int_equal(tp_model_meta(m, 0, &k, &v), TP_OK);
    assert_string_equal(k.data, "format");
    assert_int_equal(v->type, TP_VALUE_STRING);
    assert_int_equal(tp_model_meta(m, 1, &k, &v), TP_OK);
    assert_string_equal(k.data, "k");
    assert_string_equal(v->v.s.data, "v");
  }
  assert_int_equal(tp_model_format(m), TP_FORMAT_SAFETENSORS);
  tp_model_free(m);
}

static void test_parse_edge_cases(void **state) {
  tp_model *m;
  const tp_value *v;
  (void)state;
  /* leading and trailing JSON whitespace of all four kinds */
  m = accept_json(" \t\r\n{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}"
                  " \t\r\n ",
                  1);
  assert_int_equal(m->ntensors, 1);
  tp_model_free(m);
  /* empty header object, empty buffer */
  m = accept_json("{}", 0);
  assert_int_equal(m->ntensors, 0);
  assert_int_equal(tp_model_meta_count(m), 0);
  tp_model_free(m);
  /* metadata null: absent */
  m = accept_json("{\"__metadata__\":null}", 0);
  assert_int_equal(tp_model_meta_count(m), 0);
  tp_model_free(m);
  /* metadata value with an escaped NUL keeps its length */
  m = accept_json("{\"__metadata__\":{\"k\":\"a\\u0000b\"}}", 0);
  v = tp_model_meta_find(m, "k");
  assert_non_null(v);
  assert_int_equal(v->v.s.len, 3);
  assert_memory_equal(v->v.s.data, "a\0b", 3);
  tp_model_free(m);
  /* zero-size tensors on boundaries, sharing the next tensor's offset */
  m = accept_json("{\"z\":{\"dtype\":\"F32\",\"shape\":[2,0],\"data_offsets\":[4,4]},"
                  "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                  "\"y\":{\"dtype\":\"F64\",\"shape\":[0],\"data_offsets\":[0,0]},"
                  "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                  8);
  assert_int_equal(m->ntensors, 4);
  assert_string_equal(tname(m, 0), "y");
  assert_string_equal(tname(m, 1), "a");
  assert_string_equal(tname(m, 2), "z");
  assert_string_equal(tname(m, 3), "b");
  assert_int_equal(m->tensors[2].nbytes, 0);
  tp_model_free(m);
  /* rank 0 holds one element; unknown fields (even nested) are ignored */
  m = accept_json("{\"s\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[0,8],"
                  "\"extra\":{\"x\":[1,{\"y\":null}]},\"z\":-1.5}}",
                  8);
  assert_int_equal(m->tensors[0].ndim, 0);
  assert_int_equal(m->tensors[0].nelements, 1);
  tp_model_free(m);
  /* sub-byte types */
  m = accept_json("{\"f4\":{\"dtype\":\"F4\",\"shape\":[1,2],\"data_offsets\":[0,1]},"
                  "\"f6\":{\"dtype\":\"F6_E2M3\",\"shape\":[4],\"data_offsets\":[1,4]},"
                  "\"g6\":{\"dtype\":\"F6_E3M2\",\"shape\":[2,4],\"data_offsets\":[4,10]}}",
                  10);
  assert_int_equal(m->tensors[0].nbytes, 1);
  assert_int_equal(m->tensors[1].nbytes, 3);
  assert_int_equal(m->tensors[2].nbytes, 6);
  tp_model_free(m);
  /* every dtype name */
  m = accept_json("{\"a\":{\"dtype\":\"BOOL\",\"shape\":[1],\"data_offsets\":[0,1]},"
                  "\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]},"
                  "\"c\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[2,3]},"
                  "\"d\":{\"dtype\":\"F8_E5M2\",\"shape\":[1],\"data_offsets\":[3,4]},"
                  "\"e\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[4,5]},"
                  "\"f\":{\"dtype\":\"F8_E8M0\",\"shape\":[1],\"data_offsets\":[5,6]},"
                  "\"g\":{\"dtype\":\"F8_E4M3FNUZ\",\"shape\":[1],\"data_offsets\":[6,7]},"
                  "\"h\":{\"dtype\":\"F8_E5M2FNUZ\",\"shape\":[1],\"data_offsets\":[7,8]},"
                  "\"i\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[8,10]},"
                  "\"j\":{\"dtype\":\"U16\",\"shape\":[1],\"data_offsets\":[10,12]},"
                  "\"k\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[12,14]},"
                  "\"l\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[14,16]},"
                  "\"m\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":[16,20]},"
                  "\"n\":{\"dtype\":\"U32\",\"shape\":[1],\"data_offsets\":[20,24]},"
                  "\"o\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[24,28]},"
                  "\"p\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[28,36]},"
                  "\"q\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[36,44]},"
                  "\"r\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[44,52]},"
                  "\"s\":{\"dtype\":\"U64\",\"shape\":[1],\"data_offsets\":[52,60]}}",
                  60);
  assert_int_equal(m->ntensors, 19);
  assert_int_equal(m->tensors[15].type, TP_TYPE_C64);
  assert_int_equal(m->tensors[18].type, TP_TYPE_U64);
  tp_model_free(m);
  /* names are byte strings: UTF-8 and escapes kept exactly */
  m = accept_json("{\"\\u00e9\\n\\\"\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                  "\"\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
                  2);
  assert_int_equal(m->tensors[0].name_len, 4);
  assert_memory_equal(m->tensors[0].name, "\xc3\xa9\n\"", 4);
  assert_int_equal(m->tensors[1].name_len, 0);
  tp_model_free(m);
}

static void test_header_limit_boundary(void **state) {
  /* N == 100,000,000 is allowed (spaces after "{}") */
  size_t n = 100000000, len = 8 + n;
  uint8_t *b = malloc(len);
  tp_model *m = NULL;
  (void)state;
  assert_non_null(b);
  tp_store_le64(b, n);
  memset(b + 8, ' ', n);
  memcpy(b + 8, "{}", 2);
  assert_int_equal(parse_buf(b, len, &m), TP_OK);
  tp_model_free(m);
  /* one more byte: resource limit (the file is large enough) */
  free(b);
  len = 8 + n + 1;
  b = calloc(1, len);
  assert_non_null(b);
  tp_store_le64(b, n + 1);
  reject_bytes(b, len, TP_ELIMIT, "header too large (100000001 bytes vs limit "
               "100000000)", NULL, NULL);
  free(b);
}

/* ---- reader: rejections ---------------------------------------------------------------------- */

static void test_reject_lengths(void **state) {
  uint8_t b[100];
  (void)state;
  memset(b, 0, sizeof b);
  reject_bytes(b, 5, TP_EFORMAT, "file too small (5 bytes", NULL, NULL);
  tp_store_le64(b, 1ull << 63);
  reject_bytes(b, 100, TP_EFORMAT,
               "header length 9223372036854775808 exceeds the file size (100 "
               "bytes",
               NULL, NULL);
  tp_store_le64(b, 93);
  reject_bytes(b, 100, TP_EFORMAT, "header length 93 exceeds", "at most 92",
               NULL);
  tp_store_le64(b, 0);
  reject_bytes(b, 8, TP_EFORMAT, "header length is 0", NULL, NULL);
}

static void test_reject_json(void **state) {
  size_t len;
  uint8_t *b;
  char deep[600];
  size_t i, o = 0;
  (void)state;
  reject_json("{\"a\xff\":1}", 0, TP_EFORMAT, "not valid UTF-8 (byte 0xff at "
              "header offset 3)", NULL, NULL);
  reject_json("{\"__metadata__\":{\"k\":\"\\ud800\"}}", 0, TP_EFORMAT,
              "not valid JSON", NULL, NULL);
  reject_json("[]", 0, TP_EFORMAT, "header is an array, expected a JSON object",
              NULL, NULL);
  reject_json("1", 0, TP_EFORMAT, "not valid JSON", NULL, NULL);
  reject_json("\xef\xbb\xbf{}", 0, TP_EFORMAT, "not valid JSON", NULL, NULL);
  reject_json("{\"a\":", 0, TP_EFORMAT, "not valid JSON", NULL, NULL);
  /* the top-level scanner's own syntax errors, with positions */
  reject_json("{\"__metadata__\":null,}", 0, TP_EFORMAT,
              "not valid JSON: a key expected (header byte 21)", NULL, NULL);
  reject_json("{,}", 0, TP_EFORMAT, "a key or '}' expected (header byte 1)", NULL,
              NULL);
  reject_json("{\"__metadata__\" null}", 0, TP_EFORMAT, "':' expected (header byte 16)",
              NULL, NULL);
  reject_json("{\"__metadata__\":null \"x\":1}", 0, TP_EFORMAT,
              "',' or '}' expected (header byte 21)", NULL, NULL);
  reject_json("{\"__metadata__\":null} x", 0, TP_EFORMAT,
              "only whitespace may follow the JSON object (header byte 22)", NULL,
              NULL);
  reject_json("{__metadata__:null}", 0, TP_EFORMAT, "a key or '}' expected", NULL,
              NULL);
  reject_json("{\"abc", 0, TP_EFORMAT, "unterminated string (header byte 1)", NULL,
              NULL);
  reject_json("{\"a\":}", 0, TP_EFORMAT, "a value expected (header byte 5)", NULL,
              NULL);
  reject_json("{\"a\":[1,2}", 0, TP_EFORMAT, "not valid JSON", NULL, NULL);
  reject_json("{\"a\":nul}", 0, TP_EFORMAT, "not valid JSON", NULL, NULL);
  /* a raw control byte in a key, a bad escape in a key */
  reject_json("{\"a\tb\":{}}", 0, TP_EFORMAT, "not valid JSON", "control character",
              NULL);
  reject_json("{\"a\\qb\":{}}", 0, TP_EFORMAT, "not valid JSON", "invalid escape",
              NULL);
  /* a duplicate inside a tensor entry */
  reject_json("{\"t\":{\"dtype\":\"U8\",\"dtype\":\"U8\",\"shape\":[1],"
              "\"data_offsets\":[0,1]}}",
              1, TP_EFORMAT, "duplicate key \"dtype\"", "header byte 19", NULL);
  /* an escaped key that decodes to a duplicate of a plain one */
  reject_json("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
              "\"\\u0061\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}",
              2, TP_EFORMAT, "duplicate tensor name \"a\"", NULL, NULL);
  /* NUL padding is not JSON whitespace */
  b = mk("{}\0\0\0\0\0\0", 8, 0, &len);
  reject_bytes(b, len, TP_EFORMAT, "not valid JSON", NULL, NULL);
  free(b);
  /* nesting beyond the cap, inside an unknown field */
  o += (size_t)sprintf(deep + o, "{\"a\":{\"dtype\":\"U8\",\"x\":");
  for (i = 0; i < 200; i++) deep[o++] = '[';
  for (i = 0; i < 200; i++) deep[o++] = ']';
  o += (size_t)sprintf(deep + o, "}}");
  reject_json(deep, 0, TP_ELIMIT, "nested deeper than 128", NULL, NULL);
  /* 128 levels are fine as far as depth goes */
  o = 0;
  o += (size_t)sprintf(deep + o, "{\"__metadata__\":null,\"a\":{\"dtype\":\"U8\","
                                 "\"shape\":[],\"data_offsets\":[0,1],\"x\":");
  for (i = 0; i < 126; i++) deep[o++] = '[';
  for (i = 0; i < 126; i++) deep[o++] = ']';
  o += (size_t)sprintf(deep + o, "}}");
  {
    tp_model *m = accept_json(deep, 1);
    tp_model_free(m);
  }
}

static void test_reject_keys(void **state) {
  (void)state;
  reject_json("{\"w\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
              "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
              4, TP_EFORMAT, "duplicate tensor name \"w\"", NULL, NULL);
  reject_json("{\"__metadata__\":{},\"__metadata__\":{}}", 0, TP_EFORMAT,
              "\"__metadata__\" appears twice", NULL, NULL);
  reject_json("{\"__metadata__\":{\"k\":\"a\",\"k\":\"b\"}}", 0, TP_EFORMAT,
              "duplicate key \"k\"", NULL, NULL);
  reject_json("{\"__metadata__\":{\"a\":1}}", 0, TP_EFORMAT,
              "\"__metadata__\": value of \"a\" is an integer, expected a string",
              NULL, NULL);
  reject_json("{\"__metadata__\":[]}", 0, TP_EFORMAT,
              "\"__metadata__\" is an array", NULL, NULL);
  reject_json("{\"__metadata__\":{\"dtype\":\"F32\",\"shape\":[1],"
              "\"data_offsets\":[0,4]}}",
              4, TP_EFORMAT, "a tensor cannot be named \"__metadata__\"", NULL,
              NULL);
  reject_json("{\"a\\u0000b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}",
              1, TP_EUNSUPPORTED, "NUL byte", NULL, NULL);
}

static void test_reject_fields(void **state) {
  (void)state;
  reject_json("{\"t\":[1]}", 0, TP_EFORMAT, "tensor \"t\": entry is an array",
              NULL, NULL);
  reject_json("{\"t\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4, TP_EFORMAT,
              "tensor \"t\": missing field \"shape\"", NULL, NULL);
  reject_json("{\"t\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,4]}}",
              4, TP_EFORMAT, "tensor \"t\": unknown dtype \"F128\"", "BF16", NULL);
  reject_json("{\"t\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
              4, TP_EFORMAT, "unknown dtype \"f32\"", NULL, NULL);
  reject_json("{\"t\":{\"dtype\":\"F8_E4M3FN\",\"shape\":[1],\"data_offsets\":[0,1]}}",
              1, TP_EFORMAT, "unknown dtype \"F8_E4M3FN\"", NULL, NULL);
  reject_json("{\"t\":{\"dtype\":7,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
              TP_EFORMAT, "dtype is an integer", NULL, NULL);
  reject_json("{\"t\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
              4, TP_EFORMAT, "tensor \"t\": shape[0] is -1", NULL, NULL);
  reject_json("{\"t\":{\"dtype\":\"F32\",\"shape\":[1,4.0],\"data_offsets\":[0,4]}}",
              4, TP_EFORMAT, "shape[1] is 4", "expected an unsigned integer", NULL);
  reject_json("{\"t\":{\"dtype\":\"F32\",\"shape\":1,\"data_offsets\":[0,4]}}", 4,
              TP_EFORMAT, "shape is an integer", NULL, NULL);
  reject_json("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}",
              8, TP_EFORMAT, "data_offsets has 3 entries (vs 2", NULL, NULL);
  reject_json("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}",
              4, TP_EFORMAT, "data_offsets[0] is -4", NULL, NULL);
  reject_json("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,\"4\"]}}",
              4, TP_EFORMAT, "data_offsets[1] is \"4\"", NULL, NULL);
  reject_json("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.5]}}",
              4, TP_EFORMAT, "data_offsets[1] is 4.5", NULL, NULL);
  reject_json("{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{}}}", 4,
              TP_EFORMAT, "data_offsets is an object", NULL, NULL);
  reject_json("{\"t\":{\"dtype\":\"F32\",\"shape\":[18446744073709551614],"
              "\"data_offsets\":[0,4]}}",
              4, TP_EFORMAT, "integer too large", NULL, NULL);
}

static void test_reject_offsets(void **state) {
  (void)state;
  reject_json("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
              "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
              24, TP_EFORMAT,
              "tensor \"b\": data_offsets [8,24] overlap tensor \"a\" [0,16]",
              NULL, NULL);
  reject_json("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
              "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[20,24]}}",
              24, TP_EFORMAT,
              "tensor \"b\": data_offsets [20,24] leave a hole of 4 bytes after "
              "tensor \"a\"",
              NULL, NULL);
  reject_json("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
              TP_EFORMAT, "tensor \"a\": data_offsets [4,8]: the first tensor "
              "must begin at 0 (4 vs 0)",
              NULL, NULL);
  reject_json("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}", 8,
              TP_EFORMAT, "tensor \"a\": data_offsets [8,4] end before they begin",
              NULL, NULL);
  /* ten tensors sharing [0,16] (the reference's own test) */
  reject_json("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
              "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
              16, TP_EFORMAT, "overlap tensor \"a\" [0,16]", NULL, NULL);
  reject_json("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 7,
              TP_EFORMAT, "3 trailing bytes after the data section (data ends "
              "at offset",
              "file is", NULL);
  reject_json("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
              "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
              11, TP_EFORMAT, "tensor \"b\": data ends at file offset",
              "truncated? data section needs 12 bytes, 11 present", NULL);
}

static void test_reject_sizes(void **state) {
  (void)state;
  reject_json("{\"lm_head.weight\":{\"dtype\":\"F32\",\"shape\":[1000000],"
              "\"data_offsets\":[0,4]}}",
              4, TP_EFORMAT,
              "t.safetensors: safetensors: tensor \"lm_head.weight\": "
              "data_offsets [0,4] hold 4 bytes but shape [1000000] x F32 needs "
              "4000000",
              NULL, NULL);
  reject_json("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,9223372036854775807],"
              "\"data_offsets\":[0,16]}}",
              16, TP_EFORMAT, "tensor \"a\": shape [2, 9223372036854775807] x "
              "F32: size overflows 64 bits",
              NULL, NULL);
  reject_json("{\"a\":{\"dtype\":\"U8\",\"shape\":[4194305,4194305,211106198978564],"
              "\"data_offsets\":[0,16]}}",
              16, TP_EFORMAT, "tensor \"a\": shape [4194305, 4194305, "
              "211106198978564]: element count overflows 64 bits",
              NULL, NULL);
  reject_json("{\"a\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,2]}}", 2,
              TP_EFORMAT, "tensor \"a\": shape [3] x F4: 3 elements of 4 bits do "
              "not fill whole bytes",
              NULL, NULL);
  reject_json("{\"a\":{\"dtype\":\"F6_E3M2\",\"shape\":[2],\"data_offsets\":[0,2]}}",
              2, TP_EFORMAT, "2 elements of 6 bits do not fill whole bytes", NULL,
              NULL);
  reject_json("{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,"
              "1,1],\"data_offsets\":[0,1]}}",
              1, TP_EUNSUPPORTED, "tensor \"a\": 17 dimensions (vs limit 16)",
              NULL, NULL);
}

static void test_probe(void **state) {
  uint8_t b[64];
  char why[256];
  (void)state;
  memset(b, ' ', sizeof b);
  tp_store_le64(b, 16);
  b[10] = '{';
  assert_int_equal(tp_safetensors_probe("x.bin", b, 64, 64, why, sizeof why), 3);
  assert_int_equal(tp_safetensors_probe("x.bin", b, 64, 20, why, sizeof why), 0);
  assert_int_equal(
      tp_safetensors_probe("x.safetensors", b, 64, 20, why, sizeof why), 1);
  assert_non_null(strstr(why, "does not fit"));
  memcpy(b, "GGUF\3\0\0\0", 8);
  assert_int_equal(tp_safetensors_probe("x.gguf", b, 64, 1000, why, sizeof why), 0);
  assert_int_equal(tp_safetensors_probe("x.bin", b, 4, 4, why, sizeof why), 0);
}

/* ---- folders --------------------------------------------------------------------------------- */

#define UNIT_DIR_TAG "st_hf"
#include "unit_dir.h"

static void put(const char *rel, const void *data, size_t len) {
  char p[512];
  FILE *f;
  snprintf(p, sizeof p, "%s/%s", g_dir, rel);
  f = fopen(p, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  fclose(f);
}

static void put_st(const char *rel, const char *json, size_t dlen) {
  size_t len;
  uint8_t *b = mk(json, strlen(json), dlen, &len);
  put(rel, b, len);
  free(b);
}

static void put_text(const char *rel, const char *s) { put(rel, s, strlen(s)); }


#define SHARD1                                                              \
  "{\"__metadata__\":{\"format\":\"pt\"},"                                  \
  "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}"
#define SHARD2                                                              \
  "{\"__metadata__\":{\"format\":\"other\"},"                               \
  "\"b\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[0,3]}}"
#define INDEX_OK                                                            \
  "{\"metadata\":{\"total_size\":11},\"weight_map\":{"                      \
  "\"a\":\"model-00001-of-00002.safetensors\","                             \
  "\"b\":\"model-00002-of-00002.safetensors\"}}"

static void put_shards(void) {
  put_st("model-00001-of-00002.safetensors", SHARD1, 8);
  put_st("model-00002-of-00002.safetensors", SHARD2, 3);
}

static void hf_reject(tp_status want, const char *m1, const char *m2) {
  tp_model *m = NULL;
  tp_status st = tp_hf_open(&m, g_dir, NULL);
  if (st != want) {
    print_error("status %d (want %d): %s\n", (int)st, (int)want,
                tp_last_error());
    fail();
  }
  assert_null(m);
  check_msg(m1);
  check_msg(m2);
}

static void test_hf_sharded(void **state) {
  tp_model *m = NULL;
  char why[256];
  const tp_value *v;
  (void)state;
  put_shards();
  put_text("model.safetensors.index.json", INDEX_OK);
  assert_int_equal(tp_hf_probe_dir(g_dir, why, sizeof why), 3);
  assert_int_equal(tp_hf_open(&m, g_dir, NULL), TP_OK);
  assert_int_equal(tp_model_format(m), TP_FORMAT_HF);
  assert_int_equal(tp_model_file_count(m), 2);
  assert_int_equal(m->ntensors, 2);
  assert_string_equal(tname(m, 0), "a");
  assert_int_equal(m->tensors[0].file, 0);
  assert_int_equal(m->tensors[1].file, 1);
  /* metadata comes from the first shard */
  v = tp_model_meta_find(m, "format");
  assert_non_null(v);
  assert_string_equal(v->v.s.data, "pt");
  {
    uint8_t got[3];
    assert_int_equal(tp_model_read(m, 1, 0, got, 3), TP_OK);
    assert_memory_equal(got, "\0\1\2", 3);
  }
  tp_model_free(m);
}

static void test_hf_single_and_scan(void **state) {
  tp_model *m = NULL;
  char why[256];
  (void)state;
  assert_int_equal(tp_hf_probe_dir(g_dir, why, sizeof why), 0);
  hf_reject(TP_EFORMAT, "no model.safetensors", NULL);
  put_st("weights.safetensors", SHARD1, 8);
  assert_int_equal(tp_hf_probe_dir(g_dir, why, sizeof why), 2);
  assert_int_equal(tp_hf_open(&m, g_dir, NULL), TP_OK);
  assert_int_equal(m->ntensors, 1);
  tp_model_free(m);
  put_st("other.safetensors", SHARD2, 3);
  assert_int_equal(tp_hf_probe_dir(g_dir, why, sizeof why), 0);
  hf_reject(TP_EFORMAT, "2 .safetensors files", NULL);
  put_st("model.safetensors", SHARD2, 3);
  assert_int_equal(tp_hf_probe_dir(g_dir, why, sizeof why), 3);
  assert_int_equal(tp_hf_open(&m, g_dir, NULL), TP_OK);
  assert_string_equal(tname(m, 0), "b");
  tp_model_free(m);
}

static void test_hf_bad_index(void **state) {
  (void)state;
  put_shards();
  put_text("model.safetensors.index.json",
           "{\"weight_map\":{\"a\":\"../x.safetensors\"}}");
  hf_reject(TP_EFORMAT, "tensor \"a\": shard name \"../x.safetensors\"",
            "contains '/'");
  put_text("model.safetensors.index.json",
           "{\"weight_map\":{\"a\":\"/etc/passwd\"}}");
  hf_reject(TP_EFORMAT, "contains '/'", NULL);
  put_text("model.safetensors.index.json", "{\"weight_map\":{\"a\":\"..\"}}");
  hf_reject(TP_EFORMAT, "is not a file name", NULL);
  put_text("model.safetensors.index.json", "{\"weight_map\":{\"a\":1}}");
  hf_reject(TP_EFORMAT, "shard is not a string", NULL);
  put_text("model.safetensors.index.json", "{\"metadata\":{}}");
  hf_reject(TP_EFORMAT, "no \"weight_map\"", NULL);
  put_text("model.safetensors.index.json",
           "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
           "\"a\":\"model-00002-of-00002.safetensors\"}}");
  hf_reject(TP_EFORMAT, "listed twice", NULL);
  /* missing shard */
  put_text("model.safetensors.index.json",
           "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
           "\"b\":\"model-00009-of-00009.safetensors\"}}");
  hf_reject(TP_EFORMAT, "names shard \"model-00009-of-00009.safetensors\", which "
            "does not exist",
            NULL);
  /* tensor listed but missing from its shard */
  put_text("model.safetensors.index.json",
           "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
           "\"b\":\"model-00002-of-00002.safetensors\","
           "\"c\":\"model-00002-of-00002.safetensors\"}}");
  hf_reject(TP_EFORMAT, "tensor \"c\" listed in weight_map is missing from its "
            "shard model-00002-of-00002.safetensors",
            NULL);
  /* a shard tensor the index does not list */
  put_text("model.safetensors.index.json",
           "{\"weight_map\":{\"a\":\"model-00001-of-00002.safetensors\","
           "\"x\":\"model-00002-of-00002.safetensors\"}}");
  hf_reject(TP_EFORMAT, "tensor \"b\" in shard model-00002-of-00002.safetensors "
            "is not listed in the index",
            NULL);
  /* listed in the wrong shard */
  put_text("model.safetensors.index.json",
           "{\"weight_map\":{\"a\":\"model-00002-of-00002.safetensors\","
           "\"b\":\"model-00001-of-00002.safetensors\"}}");
  hf_reject(TP_EFORMAT, "is in shard", "but the index lists");
  /* one tensor in two shards */
  put_st("model-00002-of-00002.safetensors",
         "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
  put_text("model.safetensors.index.json", INDEX_OK);
  hf_reject(TP_EFORMAT, "tensor \"a\" is also in", "model-00001-of-00002");
  /* a malformed shard: the shard's own path and the tensor are named */
  put_st("model-00002-of-00002.safetensors",
         "{\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,3]}}", 3);
  hf_reject(TP_EFORMAT, "model-00002-of-00002.safetensors: safetensors: tensor "
            "\"b\": data_offsets [0,3] hold 3 bytes",
            NULL);
}

static void test_hf_symlinks(void **state) {
  char target[700], link[700], inside[700];
  tp_model *m = NULL;
  char outside_dir[] = "/tmp/tp_st_outXXXXXX";
  (void)state;
  assert_non_null(mkdtemp(outside_dir));
  /* a shard that is a link to a file outside the folder */
  snprintf(target, sizeof target, "%s/x.safetensors", outside_dir);
  {
    size_t len;
    uint8_t *b = mk(SHARD2, strlen(SHARD2), 3, &len);
    FILE *f = fopen(target, "wb");
    assert_non_null(f);
    fwrite(b, 1, len, f);
    fclose(f);
    free(b);
  }
  put_st("model-00001-of-00002.safetensors", SHARD1, 8);
  snprintf(link, sizeof link, "%s/model-00002-of-00002.safetensors", g_dir);
  assert_int_equal(symlink(target, link), 0);
  put_text("model.safetensors.index.json", INDEX_OK);
  hf_reject(TP_EFORMAT, "symbolic link leading outside the folder", NULL);
  /* a link inside the folder is fine */
  unlink(link);
  put_st("real.bin", SHARD2, 3);
  snprintf(inside, sizeof inside, "%s/real.bin", g_dir);
  assert_int_equal(symlink("real.bin", link), 0);
  assert_int_equal(tp_hf_open(&m, g_dir, NULL), TP_OK);
  tp_model_free(m);
  unlink(target);
  rmdir(outside_dir);
}

/* The hub cache: snapshots/<rev>/file -> ../../blobs/<hash>. */
static void test_hf_cache_layout(void **state) {
  char p[1400], snap[700];
  tp_model *m = NULL;
  (void)state;
  snprintf(p, sizeof p, "%s/blobs", g_dir);
  assert_int_equal(mkdir(p, 0755), 0);
  snprintf(p, sizeof p, "%s/snapshots", g_dir);
  assert_int_equal(mkdir(p, 0755), 0);
  snprintf(snap, sizeof snap, "%s/snapshots/abc123", g_dir);
  assert_int_equal(mkdir(snap, 0755), 0);
  put_st("blobs/0123abcd", SHARD1, 8);
  snprintf(p, sizeof p, "%s/model.safetensors", snap);
  assert_int_equal(symlink("../../blobs/0123abcd", p), 0);
  assert_int_equal(tp_hf_open(&m, snap, NULL), TP_OK);
  assert_int_equal(m->ntensors, 1);
  tp_model_free(m);
}

static void test_hf_layout(void **state) {
  tp_model *src = NULL;
  tp_layout *p;
  char out[600];
  size_t i, n_aux = 0;
  (void)state;
  put_st("model.safetensors", SHARD1, 8);
  put_text("config.json", "{\"model_type\":\"llama\"}\n");
  put_text("tokenizer.json", "{}");
  assert_int_equal(tp_hf_open(&src, g_dir, NULL), TP_OK);
  snprintf(out, sizeof out, "%s/out", g_dir);
  p = new_plan(out);
  p->src = src;
  p->target = tp_format_ops_of(TP_FORMAT_HF);
  p->opts.split_max_size = 4;
  plan_add(p, entry("x", TP_TYPE_F32, 1, (uint64_t[]){1}));
  plan_add(p, entry("y", TP_TYPE_F32, 1, (uint64_t[]){1}));
  assert_int_equal(tp_hf_layout(p), TP_OK);
  assert_int_equal(p->out_is_dir, 1);
  assert_int_equal(p->nfiles, 5);
  assert_non_null(strstr(p->files[0].path, "/out/model-00001-of-00002.safetensors"));
  assert_non_null(strstr(p->files[2].path, "/out/model.safetensors.index.json"));
  for (i = 3; i < p->nfiles; i++) {
    assert_int_equal(p->files[i].is_aux, 1);
    assert_non_null(p->files[i].copy_from);
    assert_null(p->files[i].header);
    if (strstr(p->files[i].path, "/out/config.json")) {
      assert_int_equal(p->files[i].size, strlen("{\"model_type\":\"llama\"}\n"));
      assert_non_null(strstr(p->files[i].copy_from, "/config.json"));
    }
    n_aux++;
  }
  assert_int_equal(n_aux, 2);
  free_plan(p);
  tp_model_free(src);
}

/* Every side file of the source folder is planned as a copy, nested ones
 * included, except hidden entries and weights the output replaces or
 * that would be stale; a linked folder is refused. */
static void test_hf_layout_copies_folder(void **state) {
  tp_model *src = NULL;
  tp_layout *p;
  char out[600], sub[600];
  size_t i;
  const char *want[] = {"1_Pooling/config.json", "2_Dense/model.safetensors",
                        "LICENSE", "README.md", "config.json", "modules.json",
                        "vocab.txt"};
  const char *never[] = {"model.safetensors", "pytorch_model.bin", "pytorch_model.bin.index.json",
                         "model.onnx", "onnx/model.onnx", ".gitattributes", ".git/HEAD",
                         "tf_model.h5", "x.gguf", "2_Dense/pytorch_model.bin"};
  size_t seen[TP_ARRAY_LEN(want)] = {0};
  (void)state;
  put_st("model.safetensors", SHARD1, 8);
  put_text("config.json", "{}");
  put_text("modules.json", "[]");
  put_text("vocab.txt", "a\nb\n");
  put_text("README.md", "# m");
  put_text("LICENSE", "MIT");
  put_text("pytorch_model.bin", "PK");
  put_text("pytorch_model.bin.index.json", "{}");
  put_text("model.onnx", "onnx");
  put_text("tf_model.h5", "h5");
  put_text("x.gguf", "GGUF");
  put_text(".gitattributes", "*");
  for (i = 0; i < 5; i++) {
    static const char *const dirs[] = {"1_Pooling", "2_Dense", ".git", "onnx", "empty"};
    snprintf(sub, sizeof sub, "%s/%s", g_dir, dirs[i]);
    assert_int_equal(mkdir(sub, 0755), 0);
  }
  put_text("1_Pooling/config.json", "{\"pooling_mode_mean_tokens\": true}");
  put_st("2_Dense/model.safetensors", SHARD2, 3);
  put_text("2_Dense/pytorch_model.bin", "PK");
  put_text(".git/HEAD", "ref");
  put_text("onnx/model.onnx", "onnx");
  assert_int_equal(tp_hf_open(&src, g_dir, NULL), TP_OK);
  snprintf(out, sizeof out, "%s/out", g_dir);
  p = new_plan(out);
  p->src = src;
  p->target = tp_format_ops_of(TP_FORMAT_HF);
  plan_add(p, entry("a", TP_TYPE_F32, 1, (uint64_t[]){2}));
  assert_int_equal(tp_hf_layout(p), TP_OK);
  assert_int_equal(p->nfiles, 1 + TP_ARRAY_LEN(want));
  for (i = 1; i < p->nfiles; i++) {
    const char *rel = p->files[i].path + strlen(out) + 1;
    size_t k, hit = SIZE_MAX;
    assert_int_equal(p->files[i].is_aux, 1);
    for (k = 0; k < TP_ARRAY_LEN(want); k++)
      if (!strcmp(rel, want[k])) hit = k;
    for (k = 0; k < TP_ARRAY_LEN(never); k++) assert_string_not_equal(rel, never[k]);
    assert_true(hit != SIZE_MAX);
    seen[hit]++;
  }
  for (i = 0; i < TP_ARRAY_LEN(want); i++) assert_int_equal(seen[i], 1);
  free_plan(p);
  /* a folder that is a link is not followed */
  snprintf(sub, sizeof sub, "%s/linked", g_dir);
  assert_int_equal(symlink("1_Pooling", sub), 0);
  p = new_plan(out);
  p->src = src;
  p->target = tp_format_ops_of(TP_FORMAT_HF);
  plan_add(p, entry("a", TP_TYPE_F32, 1, (uint64_t[]){2}));
  assert_int_equal(tp_hf_layout(p), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "linked: not a folder (a symbolic link); refused"));
  free_plan(p);
  tp_model_free(src);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_escape_serde),
      cmocka_unit_test(test_escape_ascii),
      cmocka_unit_test(test_escape_gguf_meta_printable),
      cmocka_unit_test(test_json_quote),
      cmocka_unit_test(test_float_format),
      cmocka_unit_test(test_utf8_valid),
      cmocka_unit_test(test_jsonw_indent),
      cmocka_unit_test(test_reference_vectors),
      cmocka_unit_test(test_sort_order),
      cmocka_unit_test(test_layout_single),
      cmocka_unit_test(test_layout_metadata),
      cmocka_unit_test(test_layout_refusals),
      cmocka_unit_test(test_layout_round_trip),
      cmocka_unit_test(test_layout_shards),
      cmocka_unit_test(test_parse_basic),
      cmocka_unit_test(test_parse_edge_cases),
      cmocka_unit_test(test_header_limit_boundary),
      cmocka_unit_test(test_reject_lengths),
      cmocka_unit_test(test_reject_json),
      cmocka_unit_test(test_reject_keys),
      cmocka_unit_test(test_reject_fields),
      cmocka_unit_test(test_reject_offsets),
      cmocka_unit_test(test_reject_sizes),
      cmocka_unit_test(test_probe),
      cmocka_unit_test_setup_teardown(test_hf_sharded, unit_dir_setup, unit_dir_teardown),
      cmocka_unit_test_setup_teardown(test_hf_single_and_scan, unit_dir_setup, unit_dir_teardown),
      cmocka_unit_test_setup_teardown(test_hf_bad_index, unit_dir_setup, unit_dir_teardown),
      cmocka_unit_test_setup_teardown(test_hf_symlinks, unit_dir_setup, unit_dir_teardown),
      cmocka_unit_test_setup_teardown(test_hf_cache_layout, unit_dir_setup, unit_dir_teardown),
      cmocka_unit_test_setup_teardown(test_hf_layout, unit_dir_setup, unit_dir_teardown),
      cmocka_unit_test_setup_teardown(test_hf_layout_copies_folder, unit_dir_setup,
                                      unit_dir_teardown),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  while (g_nkeep) free(g_keep[--g_nkeep]);
  return rc;
}
