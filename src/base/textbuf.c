/*
 * textbuf.c - the growable byte buffer of textbuf.h.
 */
#include "textbuf.h"

#include <stdio.h>
#include <stdlib.h>

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

void *tp_textbuf_room(tp_textbuf *b, size_t n) {
  char *p;
  if (!reserve(b, n)) return NULL;
  p = b->data + b->len;
  b->len += n;
  b->data[b->len] = 0;
  return p;
}

void tp_textbuf_append(tp_textbuf *b, const void *s, size_t n) {
  void *p = tp_textbuf_room(b, n);
  if (p && n) memcpy(p, s, n);
}

void tp_textbuf_puts(tp_textbuf *b, const char *s) {
  tp_textbuf_append(b, s, strlen(s));
}

void tp_textbuf_putc(tp_textbuf *b, char c) { tp_textbuf_append(b, &c, 1); }

void tp_textbuf_fill(tp_textbuf *b, char c, size_t n) {
  void *p = tp_textbuf_room(b, n);
  if (p) memset(p, c, n);
}

void tp_textbuf_put_u16(tp_textbuf *b, uint16_t v, bool big_endian) {
  void *p = tp_textbuf_room(b, 2);
  if (p) big_endian ? tp_store_be16(p, v) : tp_store_le16(p, v);
}

void tp_textbuf_put_u32(tp_textbuf *b, uint32_t v, bool big_endian) {
  void *p = tp_textbuf_room(b, 4);
  if (p) big_endian ? tp_store_be32(p, v) : tp_store_le32(p, v);
}

void tp_textbuf_put_u64(tp_textbuf *b, uint64_t v, bool big_endian) {
  void *p = tp_textbuf_room(b, 8);
  if (p) big_endian ? tp_store_be64(p, v) : tp_store_le64(p, v);
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
  b->data[b->len] = 0;
  p = b->data;
  if (len) *len = b->len;
  memset(b, 0, sizeof *b);
  return p;
}
