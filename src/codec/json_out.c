/*
 * json_out.c - text buffer, JSON string escaping (serde_json and Python
 * ensure_ascii dialects), a streaming JSON writer and a UTF-8 checker.
 *
 * Writers that must be byte-identical to other tools (the SafeTensors header,
 * transformers' index files) render through here, so the escaping rules live
 * in one place. See json_out.h for the exact rules of each dialect.
 */
#include "json_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- text buffer ------------------------------------------------------------ */

void tp_textbuf_init(tp_textbuf *b) { memset(b, 0, sizeof *b); }

void tp_textbuf_free(tp_textbuf *b) {
  free(b->data);
  memset(b, 0, sizeof *b);
}

/* Makes room for n more bytes plus the terminating NUL. */
static bool reserve(tp_textbuf *b, size_t n) {
  size_t need, cap;
  if (b->status != TP_OK) return false;
  if (tp_add_overflow_size(b->len, n, &need) ||
      tp_add_overflow_size(need, 1, &need)) {
    b->status = tp_error_nomem(SIZE_MAX);
    return false;
  }
  if (need <= b->cap) return true;
  cap = b->cap ? b->cap : 256;
  while (cap < need) {
    if (cap > SIZE_MAX / 2) {
      cap = need;
      break;
    }
    cap *= 2;
  }
  {
    char *p = realloc(b->data, cap);
    if (!p) {
      b->status = tp_error_nomem(cap);
      return false;
    }
    b->data = p;
    b->cap = cap;
  }
  return true;
}

void tp_textbuf_append(tp_textbuf *b, const void *s, size_t n) {
  if (!reserve(b, n)) return;
  if (n) memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = 0;
}

void tp_textbuf_puts(tp_textbuf *b, const char *s) {
  tp_textbuf_append(b, s, strlen(s));
}

void tp_textbuf_putc(tp_textbuf *b, char c) { tp_textbuf_append(b, &c, 1); }

void tp_textbuf_fill(tp_textbuf *b, char c, size_t n) {
  if (!reserve(b, n)) return;
  memset(b->data + b->len, c, n);
  b->len += n;
  b->data[b->len] = 0;
}

void tp_textbuf_printf(tp_textbuf *b, const char *fmt, ...) {
  va_list ap;
  int n;
  char small[128];
  va_start(ap, fmt);
  n = vsnprintf(small, sizeof small, fmt, ap);
  va_end(ap);
  if (n < 0) {
    if (b->status == TP_OK)
      b->status = tp_error(TP_EINVAL, "internal: bad format string");
    return;
  }
  if ((size_t)n < sizeof small) {
    tp_textbuf_append(b, small, (size_t)n);
    return;
  }
  if (!reserve(b, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
}

char *tp_textbuf_steal(tp_textbuf *b, size_t *len) {
  char *p;
  if (b->status != TP_OK) return NULL;
  if (!b->data && !reserve(b, 0)) return NULL;
  if (!b->data) return NULL;
  b->data[b->len] = 0;
  p = b->data;
  if (len) *len = b->len;
  memset(b, 0, sizeof *b);
  return p;
}

/* ---- string escaping --------------------------------------------------------------- */

static const char g_hex[] = "0123456789abcdef";

static void put_u4(tp_textbuf *b, uint32_t v) {
  char t[6] = {'\\', 'u', g_hex[(v >> 12) & 15], g_hex[(v >> 8) & 15],
               g_hex[(v >> 4) & 15], g_hex[v & 15]};
  tp_textbuf_append(b, t, 6);
}

/* Short escape for c, or 0 when c has none. */
static char short_escape(unsigned char c) {
  switch (c) {
  case '"': return '"';
  case '\\': return '\\';
  case 0x08: return 'b';
  case 0x09: return 't';
  case 0x0A: return 'n';
  case 0x0C: return 'f';
  case 0x0D: return 'r';
  default: return 0;
  }
}

void tp_json_put_string(tp_textbuf *b, const char *s, size_t len,
                        unsigned dialect) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, run = 0;
  tp_textbuf_putc(b, '"');
  while (i < len) {
    unsigned char c = p[i];
    char e;
    bool plain = c >= 0x20 && c != '"' && c != '\\' &&
                 (dialect == TP_JSON_SERDE || c < 0x7F);
    if (plain) {
      i++;
      run++;
      continue;
    }
    /* flush the run of bytes that need no escaping */
    if (run) tp_textbuf_append(b, s + i - run, run);
    run = 0;
    e = short_escape(c);
    if (e) {
      char t[2] = {'\\', e};
      tp_textbuf_append(b, t, 2);
      i++;
    } else if (c < 0x20 || c == 0x7F) {
      put_u4(b, c);
      i++;
    } else {
      /* non-ASCII in the ASCII dialect: one code point as \u escapes */
      uint32_t cp;
      size_t n = tp_utf8_decode(p + i, len - i, &cp);
      if (!n) {
        cp = 0xFFFD;
        n = 1;
      }
      if (cp >= 0x10000) {
        uint32_t v = cp - 0x10000;
        put_u4(b, 0xD800 | ((v >> 10) & 0x3FF));
        put_u4(b, 0xDC00 | (v & 0x3FF));
      } else {
        put_u4(b, cp);
      }
      i += n;
    }
  }
  if (run) tp_textbuf_append(b, s + i - run, run);
  tp_textbuf_putc(b, '"');
}

/* ---- streaming writer ----------------------------------------------------------------- */

void tp_jsonw_init(tp_jsonw *w, tp_textbuf *out, unsigned indent,
                   unsigned dialect) {
  memset(w, 0, sizeof *w);
  w->out = out;
  w->indent = indent;
  w->dialect = dialect;
}

static void newline_indent(tp_jsonw *w, unsigned depth) {
  tp_textbuf_putc(w->out, '\n');
  tp_textbuf_fill(w->out, ' ', (size_t)depth * w->indent);
}

/* Separator and indentation before a value or key at the current level. */
static void before_item(tp_jsonw *w) {
  if (w->after_key) {
    w->after_key = false;
    return;
  }
  if (w->depth == 0) return;
  if (w->count[w->depth - 1]++) tp_textbuf_putc(w->out, ',');
  if (w->indent) newline_indent(w, w->depth);
}

static void begin(tp_jsonw *w, char open) {
  before_item(w);
  if (w->depth >= TP_JSONW_MAX_DEPTH) {
    if (w->out->status == TP_OK)
      w->out->status = tp_error(TP_ELIMIT, "JSON output nested deeper than %d",
                                TP_JSONW_MAX_DEPTH);
    return;
  }
  tp_textbuf_putc(w->out, open);
  w->count[w->depth++] = 0;
}

static void end(tp_jsonw *w, char close) {
  if (w->depth == 0) {
    if (w->out->status == TP_OK)
      w->out->status = tp_error(TP_EINVAL, "internal: unbalanced JSON output");
    return;
  }
  w->depth--;
  if (w->indent && w->count[w->depth]) newline_indent(w, w->depth);
  tp_textbuf_putc(w->out, close);
}

void tp_jsonw_begin_object(tp_jsonw *w) { begin(w, '{'); }
void tp_jsonw_end_object(tp_jsonw *w) { end(w, '}'); }
void tp_jsonw_begin_array(tp_jsonw *w) { begin(w, '['); }
void tp_jsonw_end_array(tp_jsonw *w) { end(w, ']'); }

void tp_jsonw_key(tp_jsonw *w, const char *k, size_t len) {
  before_item(w);
  tp_json_put_string(w->out, k, len, w->dialect);
  if (w->indent)
    tp_textbuf_append(w->out, ": ", 2);
  else
    tp_textbuf_putc(w->out, ':');
  w->after_key = true;
}

void tp_jsonw_string(tp_jsonw *w, const char *s, size_t len) {
  before_item(w);
  tp_json_put_string(w->out, s, len, w->dialect);
}

void tp_jsonw_cstring(tp_jsonw *w, const char *s) {
  tp_jsonw_string(w, s, strlen(s));
}

void tp_jsonw_u64(tp_jsonw *w, uint64_t v) {
  before_item(w);
  tp_textbuf_printf(w->out, "%llu", (unsigned long long)v);
}

void tp_jsonw_i64(tp_jsonw *w, int64_t v) {
  before_item(w);
  tp_textbuf_printf(w->out, "%lld", (long long)v);
}

void tp_jsonw_f64(tp_jsonw *w, double v) {
  char t[40];
  int prec;
  before_item(w);
  if (!isfinite(v)) {
    tp_textbuf_puts(w->out, "null");
    return;
  }
  /* the shortest precision that reads back exactly */
  for (prec = 1; prec <= 17; prec++) {
    snprintf(t, sizeof t, "%.*g", prec, v);
    if (strtod(t, NULL) == v) break;
  }
  tp_textbuf_puts(w->out, t);
}

void tp_jsonw_f32(tp_jsonw *w, float v) {
  char t[40];
  int prec;
  before_item(w);
  if (!isfinite(v)) {
    tp_textbuf_puts(w->out, "null");
    return;
  }
  for (prec = 1; prec <= 9; prec++) {
    snprintf(t, sizeof t, "%.*g", prec, (double)v);
    if (strtof(t, NULL) == v) break;
  }
  tp_textbuf_puts(w->out, t);
}

void tp_jsonw_bool(tp_jsonw *w, bool v) {
  before_item(w);
  tp_textbuf_puts(w->out, v ? "true" : "false");
}

void tp_jsonw_null(tp_jsonw *w) {
  before_item(w);
  tp_textbuf_puts(w->out, "null");
}

void tp_jsonw_raw(tp_jsonw *w, const char *s, size_t len) {
  before_item(w);
  tp_textbuf_append(w->out, s, len);
}
