/*
 * json_out.h - JSON text output: string escaping in every dialect other
 * tools' files and the command line need byte for byte (the dialects are
 * public, tp_json_dialect in tensorport.h, which states their rules), real
 * numbers that read back exactly, and a small streaming writer for objects
 * and arrays (compact or indented). The buffer is base/textbuf.h.
 *
 * Errors (allocation failure, nesting too deep) latch in the buffer's status;
 * callers emit freely and check the status once at the end.
 */
#ifndef TP_JSON_OUT_H
#define TP_JSON_OUT_H

#include "../base/textbuf.h"

/* Appends s (len bytes) as a quoted JSON string in the given dialect (a
 * tp_json_dialect; tp_json_quote is the same for a caller's array). */
void tp_json_put_string(tp_textbuf *b, const char *s, size_t len,
                        unsigned dialect);

/* ---- real numbers -------------------------------------------------------- */

enum {
  TP_FMT_F32 = 1u << 0,  /* v is a binary32 value: read back with strtof */
  TP_FMT_FULL = 1u << 1, /* always 9 (F32) or 17 significant digits rather
                            than the fewest that read back */
  TP_FMT_POINT = 1u << 2 /* finite values keep a '.' or an exponent ("1.0"),
                            so JSON readers see a real */
};

/* The one float printer: v as "%.<p>g" with the fewest digits p that read
 * back to the same double (TP_FMT_F32: float), or with the most (FULL);
 * "nan", "inf", "-inf" for non-finite values. Writes at most len bytes
 * with the NUL; returns the length written. tp_float_format (public) is
 * the shortest form. */
size_t tp_fmt_real(char *buf, size_t len, double v, unsigned flags);


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
