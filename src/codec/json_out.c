/*
 * json_out.c - JSON string escaping (the one escaper, in every dialect the
 * library and the command line write), real numbers that read back exactly
 * (the one float printer), and a streaming JSON writer.
 *
 * Writers that must be byte-identical to other tools (the SafeTensors header,
 * transformers' index files) render through here, so the escaping rules live
 * in one place. See json_out.h for the exact rules of each dialect.
 */
#include "json_out.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- string escaping --------------------------------------------------------------- */

/* Where escaped text goes: a buffer, or a caller's array (tp_json_quote)
 * that keeps what fits and counts the rest. */
typedef struct esc_out {
  tp_textbuf *b;
  char *arr;
  size_t cap, n;
} esc_out;

static void emit(esc_out *o, const char *s, size_t k) {
  if (o->b) {
    tp_textbuf_append(o->b, s, k);
    return;
  }
  if (o->n < o->cap) memcpy(o->arr + o->n, s, TP_MIN(k, o->cap - o->n));
  o->n += k;
}

static const char g_hex[] = "0123456789abcdef";

static void put_u4(esc_out *o, uint32_t v) {
  char t[6] = {'\\', 'u', g_hex[(v >> 12) & 15], g_hex[(v >> 8) & 15],
               g_hex[(v >> 4) & 15], g_hex[v & 15]};
  emit(o, t, 6);
}

/* What each dialect escapes beyond '"', '\\' and the bytes below 0x20. */
typedef struct dialect_rules {
  bool short_bf; /* \b and \f as short escapes (else \u0008, \u000c) */
  bool esc_del;  /* 0x7F as \u007f */
  bool ascii;    /* every code point above 0x7F as \uxxxx */
} dialect_rules;

static const dialect_rules g_dialects[] = {
    [TP_JSON_SERDE] = {true, false, false},
    [TP_JSON_ASCII] = {true, true, true},
    [TP_JSON_GGUF_META] = {false, true, false},
    [TP_JSON_PRINTABLE] = {true, true, false},
};

/* Short escape for c, or 0 when c has none in this dialect. */
static char short_escape(unsigned char c, const dialect_rules *r) {
  switch (c) {
  case '"': return '"';
  case '\\': return '\\';
  case 0x08: return r->short_bf ? 'b' : 0;
  case 0x09: return 't';
  case 0x0A: return 'n';
  case 0x0C: return r->short_bf ? 'f' : 0;
  case 0x0D: return 'r';
  default: return 0;
  }
}

static void escape(esc_out *o, const char *s, size_t len, unsigned dialect) {
  const dialect_rules *r =
      &g_dialects[dialect < TP_ARRAY_LEN(g_dialects) ? dialect : TP_JSON_SERDE];
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0, run = 0;
  emit(o, "\"", 1);
  while (i < len) {
    unsigned char c = p[i];
    char e;
    bool plain = c >= 0x20 && c != '"' && c != '\\' &&
                 !(c == 0x7F && r->esc_del) && !(c >= 0x80 && r->ascii);
    if (plain) {
      i++;
      run++;
      continue;
    }
    /* flush the run of bytes that need no escaping */
    if (run) emit(o, s + i - run, run);
    run = 0;
    e = short_escape(c, r);
    if (e) {
      char t[2] = {'\\', e};
      emit(o, t, 2);
      i++;
    } else if (c < 0x80) {
      put_u4(o, c);
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
        put_u4(o, 0xD800 | ((v >> 10) & 0x3FF));
        put_u4(o, 0xDC00 | (v & 0x3FF));
      } else {
        put_u4(o, cp);
      }
      i += n;
    }
  }
  if (run) emit(o, s + i - run, run);
  emit(o, "\"", 1);
}

void tp_json_put_string(tp_textbuf *b, const char *s, size_t len,
                        unsigned dialect) {
  esc_out o = {b, NULL, 0, 0};
  escape(&o, s, len, dialect);
}

size_t tp_json_quote(char *out, size_t cap, const char *s, size_t len,
                     tp_json_dialect dialect) {
  esc_out o = {NULL, out, cap ? cap - 1 : 0, 0};
  escape(&o, s, len, (unsigned)dialect);
  if (cap) out[TP_MIN(o.n, cap - 1)] = 0;
  return o.n;
}

/* ---- numbers ------------------------------------------------------------------------ */

size_t tp_fmt_real(char *buf, size_t len, double v, unsigned flags) {
  bool f32 = flags & TP_FMT_F32;
  int prec, max = f32 ? 9 : 17;
  if (!len) return 0;
  if (isnan(v)) return (size_t)snprintf(buf, len, "nan");
  if (isinf(v)) return (size_t)snprintf(buf, len, v < 0 ? "-inf" : "inf");
  if (f32) v = (double)(float)v;
  /* the shortest precision that reads back exactly, or always the most */
  for (prec = flags & TP_FMT_FULL ? max : 1; prec <= max; prec++) {
    snprintf(buf, len, "%.*g", prec, v);
    if (f32 ? strtof(buf, NULL) == (float)v : strtod(buf, NULL) == v) break;
  }
  if ((flags & TP_FMT_POINT) && !strpbrk(buf, ".eE"))
    strncat(buf, ".0", len - strlen(buf) - 1);
  return strlen(buf);
}

size_t tp_float_format(char *buf, size_t len, double v, int is_f32) {
  return tp_fmt_real(buf, len, v, is_f32 ? TP_FMT_F32 : 0);
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
  before_item(w);
  if (!isfinite(v)) {
    tp_textbuf_puts(w->out, "null");
    return;
  }
  tp_fmt_real(t, sizeof t, v, 0);
  tp_textbuf_puts(w->out, t);
}

void tp_jsonw_f32(tp_jsonw *w, float v) {
  char t[40];
  before_item(w);
  if (!isfinite(v)) {
    tp_textbuf_puts(w->out, "null");
    return;
  }
  tp_fmt_real(t, sizeof t, (double)v, TP_FMT_F32);
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
