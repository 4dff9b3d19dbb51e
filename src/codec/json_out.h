/*
 * json_out.h - JSON text output: a growable text buffer, string escaping in
 * the two dialects other tools' files need byte for byte, a small streaming
 * writer for objects and arrays (compact or indented), and a UTF-8 checker.
 *
 * Dialects:
 *  - TP_JSON_SERDE: serde_json (the SafeTensors reference writer): only '"',
 *    '\\' and bytes 0x00-0x1F are escaped (\b \t \n \f \r, otherwise \u00xx
 *    in lower-case hex); '/', 0x7F and non-ASCII UTF-8 are written raw.
 *  - TP_JSON_ASCII: Python json.dumps with ensure_ascii=True (transformers'
 *    index and config files): the same short escapes, and every code point
 *    outside 0x20..0x7E as \uxxxx (lower-case; surrogate pairs above U+FFFF).
 *    Bytes that are not valid UTF-8 are written as \ufffd in this dialect.
 *
 * Errors (allocation failure, nesting too deep) latch in the buffer's status;
 * callers emit freely and check the status once at the end.
 */
#ifndef TP_JSON_OUT_H
#define TP_JSON_OUT_H

#include "../base/base.h"

typedef struct tp_textbuf {
  char *data;       /* NUL-terminated when len > 0 (or after any append) */
  size_t len, cap;
  tp_status status; /* first failure, TP_OK while all appends succeeded */
} tp_textbuf;

void tp_textbuf_init(tp_textbuf *b);
void tp_textbuf_free(tp_textbuf *b);
void tp_textbuf_append(tp_textbuf *b, const void *s, size_t n);
void tp_textbuf_puts(tp_textbuf *b, const char *s);
void tp_textbuf_putc(tp_textbuf *b, char c);
/* Appends n copies of c. */
void tp_textbuf_fill(tp_textbuf *b, char c, size_t n);
void tp_textbuf_printf(tp_textbuf *b, const char *fmt, ...) TP_PRINTF(2, 3);
/* Hands the bytes to the caller (malloc'ed; free with free()) and resets the
 * buffer. *len gets the length. NULL when the buffer failed (status kept) or
 * is empty and could not be allocated. */
char *tp_textbuf_steal(tp_textbuf *b, size_t *len);

enum {
  TP_JSON_SERDE = 0, /* escaping of serde_json */
  TP_JSON_ASCII = 1  /* escaping of Python json.dumps(ensure_ascii=True) */
};

/* Appends s (len bytes) as a quoted JSON string in the given dialect. */
void tp_json_put_string(tp_textbuf *b, const char *s, size_t len,
                        unsigned dialect);


/* ---- streaming writer ---------------------------------------------------- */

#define TP_JSONW_MAX_DEPTH 64

/* indent 0: compact, no spaces (serde_json's to_string). indent > 0: one
 * member per line with that many spaces per level and ": " after keys, as
 * Python's json.dumps(indent=N); empty containers stay "{}" / "[]". */
typedef struct tp_jsonw {
  tp_textbuf *out;
  unsigned indent;
  unsigned dialect;
  unsigned depth;
  size_t count[TP_JSONW_MAX_DEPTH]; /* members written at each level */
  bool after_key;                   /* a key was written, value pending */
} tp_jsonw;

void tp_jsonw_init(tp_jsonw *w, tp_textbuf *out, unsigned indent,
                   unsigned dialect);
void tp_jsonw_begin_object(tp_jsonw *w);
void tp_jsonw_end_object(tp_jsonw *w);
void tp_jsonw_begin_array(tp_jsonw *w);
void tp_jsonw_end_array(tp_jsonw *w);
void tp_jsonw_key(tp_jsonw *w, const char *k, size_t len);
void tp_jsonw_string(tp_jsonw *w, const char *s, size_t len);
void tp_jsonw_cstring(tp_jsonw *w, const char *s);
void tp_jsonw_u64(tp_jsonw *w, uint64_t v);
void tp_jsonw_i64(tp_jsonw *w, int64_t v);
/* Shortest decimal form that reads back to the same double ("%.17g" at
 * most); non-finite values are written as null (JSON has no NaN). */
void tp_jsonw_f64(tp_jsonw *w, double v);
/* Same for a float: shortest form that reads back to the same float. */
void tp_jsonw_f32(tp_jsonw *w, float v);
void tp_jsonw_bool(tp_jsonw *w, bool v);
void tp_jsonw_null(tp_jsonw *w);
/* A pre-rendered JSON value, inserted verbatim. */
void tp_jsonw_raw(tp_jsonw *w, const char *s, size_t len);

#endif /* TP_JSON_OUT_H */
