/*
 * json_in.c - the depth scan and the Python-dialect JSON reader of
 * json_in.h.
 *
 * jansson refuses three things Python's json module reads: integers beyond
 * int64, the words NaN, Infinity and -Infinity, and reals beyond the double
 * range. Such tokens are rewritten (outside strings) in a copy of the text
 * before jansson parses it: a big integer gets ".0" (a real), the others
 * become null. The copy is made only when there is something to rewrite,
 * and an error in it is mapped back to the position in the text as given,
 * so the line and column in the message are the user's.
 */
#include "json_in.h"

#include "../base/textbuf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

size_t tp_json_scan_depth(const char *s, size_t len, unsigned max,
                          unsigned *depth_at_end) {
  unsigned d = 0;
  bool in_str = false;
  size_t i;
  for (i = 0; i < len; i++) {
    char c = s[i];
    if (in_str) {
      if (c == '\\')
        i++;
      else if (c == '"')
        in_str = false;
    } else if (c == '"') {
      in_str = true;
    } else if (c == '{' || c == '[') {
      if (++d > max) {
        if (depth_at_end) *depth_at_end = d;
        return i;
      }
    } else if ((c == '}' || c == ']') && d > 0) {
      d--;
    }
  }
  if (depth_at_end) *depth_at_end = d;
  return SIZE_MAX;
}

void tp_json_line_column(const char *s, size_t len, size_t off, int *line,
                         int *column) {
  int l = 1, c = 0;
  size_t i;
  if (off > len) off = len;
  for (i = 0; i < off; i++) {
    if (s[i] == '\n') {
      l++;
      c = 0;
    } else if (((unsigned char)s[i] & 0xC0) != 0x80) {
      c++; /* a character starts here (UTF-8 lead or ASCII byte) */
    }
  }
  *line = l;
  *column = c;
}

const char *tp_json_kind(const json_t *v) {
  switch (json_typeof(v)) {
  case JSON_OBJECT: return "an object";
  case JSON_ARRAY: return "an array";
  case JSON_STRING: return "a string";
  case JSON_INTEGER: return "an integer";
  case JSON_REAL: return "a floating-point number";
  case JSON_TRUE: return "true";
  case JSON_FALSE: return "false";
  case JSON_NULL: return "null";
  }
  return "a JSON value";
}

/* ---- rewriting Python's extensions --------------------------------------- */

/* A rewritten token: text [orig, orig_end) became the bytes at
 * [out, out_end) of the copy. */
typedef struct py_edit {
  size_t orig, orig_end, out, out_end;
} py_edit;

typedef struct py_rewrite {
  const char *s;
  size_t len;
  tp_textbuf out;   /* the copy; empty until the first edit */
  size_t copied;    /* bytes of s already in out */
  py_edit *edits;
  size_t nedits, cap;
  tp_status st;
} py_rewrite;

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static bool word_at(const py_rewrite *r, size_t i, const char *w) {
  size_t n = strlen(w);
  return r->len - i >= n && !memcmp(r->s + i, w, n);
}

/* Replaces s[at, end) by repl (repl_len bytes) in the copy. */
static void rewrite(py_rewrite *r, size_t at, size_t end, const char *repl,
                    size_t repl_len) {
  py_edit *e;
  if (r->st != TP_OK) return;
  r->st = tp_grow((void **)&r->edits, &r->cap, r->nedits + 1, sizeof *r->edits);
  if (r->st != TP_OK) return;
  tp_textbuf_append(&r->out, r->s + r->copied, at - r->copied);
  e = &r->edits[r->nedits++];
  e->orig = at;
  e->orig_end = end;
  e->out = r->out.len;
  tp_textbuf_append(&r->out, repl, repl_len);
  e->out_end = r->out.len;
  r->copied = end;
  if (r->out.status != TP_OK) r->st = r->out.status;
}

/* The double that Python's float() would make of the number token at
 * s[at, end), to tell whether it lies beyond the double range. */
static double token_value(py_rewrite *r, size_t at, size_t end) {
  char small[64], *t = small;
  double d;
  if (end - at >= sizeof small) {
    t = tp_malloc(end - at + 1);
    if (!t) {
      r->st = TP_ENOMEM;
      return 0;
    }
  }
  memcpy(t, r->s + at, end - at);
  t[end - at] = 0;
  d = strtod(t, NULL);
  if (t != small) free(t);
  return d;
}

/* Outside strings: integers beyond int64 become reals (".0" appended), or
 * null beyond the double range, as do reals beyond it; NaN, Infinity and
 * -Infinity become null. Anything malformed is copied for jansson to
 * report. */
static void scan_python(py_rewrite *r) {
  const char *s = r->s;
  size_t i = 0, n = r->len;
  while (i < n && r->st == TP_OK) {
    char c = s[i];
    if (c == '"') {
      for (i++; i < n && s[i] != '"'; i++)
        if (s[i] == '\\') i++;
      i++;
    } else if (c == 'N' && word_at(r, i, "NaN")) {
      rewrite(r, i, i + 3, "null", 4);
      i += 3;
    } else if (c == 'I' && word_at(r, i, "Infinity")) {
      rewrite(r, i, i + 8, "null", 4);
      i += 8;
    } else if (c == '-' && word_at(r, i, "-Infinity")) {
      rewrite(r, i, i + 9, "null", 4);
      i += 9;
    } else if (c == '-' || is_digit(c)) {
      size_t at = i, digits;
      bool real = false;
      if (c == '-') i++;
      while (i < n && is_digit(s[i])) i++;
      digits = i - at - (c == '-');
      if (i < n && s[i] == '.') {
        real = true;
        for (i++; i < n && is_digit(s[i]); i++) continue;
      }
      if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        real = true;
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        while (i < n && is_digit(s[i])) i++;
      }
      if (real) {
        if (isinf(token_value(r, at, i))) rewrite(r, at, i, "null", 4);
      } else if (digits > 19 ||
                 (digits == 19 &&
                  memcmp(s + at + (c == '-'),
                         c == '-' ? "9223372036854775808" : "9223372036854775807",
                         19) > 0)) {
        /* beyond int64: a real for jansson, as precise as a double gets */
        if (isinf(token_value(r, at, i))) {
          rewrite(r, at, i, "null", 4);
        } else {
          rewrite(r, i, i, ".0", 2);
        }
      }
    } else {
      i++;
    }
  }
  if (r->st == TP_OK && r->nedits) {
    tp_textbuf_append(&r->out, s + r->copied, n - r->copied);
    if (r->out.status != TP_OK) r->st = r->out.status;
  }
}

/* The offset in the text as given of offset pos in the copy. */
static size_t map_back(const py_rewrite *r, size_t pos) {
  size_t i, orig = pos;
  for (i = 0; i < r->nedits; i++) {
    const py_edit *e = &r->edits[i];
    if (pos < e->out) break;
    if (pos < e->out_end) /* inside a rewritten token: its start */
      return e->orig;
    orig = e->orig_end + (pos - e->out_end);
  }
  return orig;
}

tp_status tp_json_parse_python(const char *text, size_t len,
                               unsigned max_depth, json_t **out) {
  py_rewrite r;
  json_error_t jerr;
  json_t *j;
  unsigned depth;
  size_t at;
  int line, col;
  *out = NULL;
  at = tp_json_scan_depth(text, len, max_depth, &depth);
  if (at != SIZE_MAX) {
    tp_json_line_column(text, len, at, &line, &col);
    return tp_error(TP_ELIMIT, "nested deeper than %u levels (line %d column %d)",
                    max_depth, line, col + 1);
  }
  memset(&r, 0, sizeof r);
  r.s = text;
  r.len = len;
  scan_python(&r);
  if (r.st != TP_OK) {
    tp_textbuf_free(&r.out);
    free(r.edits);
    return r.st;
  }
  if (r.nedits)
    j = json_loadb(r.out.data, r.out.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
  else
    j = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
  if (!j) {
    char q[200];
    size_t pos = jerr.position < 0 ? 0 : (size_t)jerr.position;
    tp_json_line_column(text, len, r.nedits ? map_back(&r, pos) : pos, &line, &col);
    /* jansson quotes the text near the problem: file bytes */
    tp_quote_for_message(q, sizeof q, jerr.text, strlen(jerr.text));
    tp_textbuf_free(&r.out);
    free(r.edits);
    return tp_error(TP_EFORMAT, "line %d column %d: %s", line, col, q);
  }
  tp_textbuf_free(&r.out);
  free(r.edits);
  *out = j;
  return TP_OK;
}
