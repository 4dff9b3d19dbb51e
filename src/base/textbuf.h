/*
 * textbuf.h - the one growable byte buffer: text (JSON, index files,
 * config edits) and binary (GGUF headers, in either byte order).
 *
 * Appends never fail at the call site: the first failure (allocation, size
 * overflow, a bad format string) latches in status, later appends do
 * nothing, and the caller checks status once at the end. The bytes are
 * always followed by a NUL (after the first append), so a text buffer
 * reads as a C string.
 */
#ifndef TP_TEXTBUF_H
#define TP_TEXTBUF_H

#include "base.h"

typedef struct tp_textbuf {
  char *data;       /* NUL-terminated when len > 0 (or after any append) */
  size_t len, cap;
  tp_status status; /* first failure, TP_OK while all appends succeeded */
} tp_textbuf;

/* An empty buffer (no allocation yet); tp_textbuf_free releases it. A
 * zero-initialised struct is an empty buffer too. */
void tp_textbuf_init(tp_textbuf *b);
void tp_textbuf_free(tp_textbuf *b);
void tp_textbuf_append(tp_textbuf *b, const void *s, size_t n);
void tp_textbuf_puts(tp_textbuf *b, const char *s);
void tp_textbuf_putc(tp_textbuf *b, char c);
/* Appends n copies of c. */
void tp_textbuf_fill(tp_textbuf *b, char c, size_t n);
void tp_textbuf_printf(tp_textbuf *b, const char *fmt, ...) TP_PRINTF(2, 3);
/* Appends n bytes and returns them for the caller to fill (binary
 * writers), or NULL once the buffer has failed. */
void *tp_textbuf_room(tp_textbuf *b, size_t n);
/* Unsigned integers in little-endian, or big-endian when big_endian. */
void tp_textbuf_put_u16(tp_textbuf *b, uint16_t v, bool big_endian);
void tp_textbuf_put_u32(tp_textbuf *b, uint32_t v, bool big_endian);
void tp_textbuf_put_u64(tp_textbuf *b, uint64_t v, bool big_endian);
/* Hands the bytes to the caller (malloc'ed, NUL-terminated; free with
 * free()) and resets the buffer. *len (if non-NULL) gets the length. NULL
 * when the buffer failed (status kept, the bytes freed by the caller's
 * tp_textbuf_free) or an empty buffer cannot be allocated. */
char *tp_textbuf_steal(tp_textbuf *b, size_t *len);

#endif /* TP_TEXTBUF_H */
