/*
 * error.c - thread-local error record and notices, status strings,
 * allocation helpers.
 *
 * The record holds a status and a formatted message; the library sets it at
 * the failure site and upper layers may prefix the file name. The CLI reads
 * it through tp_last_error() to print one precise line. Notices are kept in
 * a fixed thread-local buffer (no allocation, nothing to free at thread
 * exit) until the caller clears them.
 */
#include "base.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#define TP_ERRBUF 2048

static _Thread_local char g_msg[TP_ERRBUF];
static _Thread_local tp_status g_status;

tp_status tp_verror(tp_status st, const char *fmt, va_list ap) {
  g_status = st;
  vsnprintf(g_msg, sizeof g_msg, fmt, ap);
  return st;
}

tp_status tp_error(tp_status st, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  tp_verror(st, fmt, ap);
  va_end(ap);
  return st;
}

tp_status tp_error_prefix(const char *fmt, ...) {
  char prefix[1024], old[TP_ERRBUF];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, g_msg, sizeof old);
  {
    size_t pl = strlen(prefix), ol = strlen(old);
    if (pl > sizeof g_msg - 3) pl = sizeof g_msg - 3;
    memcpy(g_msg, prefix, pl);
    memcpy(g_msg + pl, ": ", 2);
    if (ol > sizeof g_msg - pl - 3) ol = sizeof g_msg - pl - 3;
    memcpy(g_msg + pl + 2, old, ol);
    g_msg[pl + 2 + ol] = 0;
  }
  return g_status;
}

tp_status tp_error_errno(tp_status st, int errno_value, const char *fmt, ...) {
  char what[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(what, sizeof what, fmt, ap);
  va_end(ap);
  return tp_error(st, "%s: %s", what, strerror(errno_value));
}

tp_status tp_error_nomem(size_t bytes) {
  return tp_error(TP_ENOMEM, "out of memory (allocating %zu bytes)", bytes);
}

#define TP_NOTICE_MAX 32
#define TP_NOTICE_BUF 8192

static _Thread_local char g_notice_buf[TP_NOTICE_BUF];
static _Thread_local size_t g_notice_off[TP_NOTICE_MAX];
static _Thread_local size_t g_notice_len, g_notice_n, g_notice_dropped;
static _Thread_local char g_notice_more[64];

void tp_notice(const char *fmt, ...) {
  va_list ap;
  int n;
  size_t room = sizeof g_notice_buf - g_notice_len;
  if (g_notice_n == TP_NOTICE_MAX || room < 2) {
    g_notice_dropped++;
    return;
  }
  va_start(ap, fmt);
  n = vsnprintf(g_notice_buf + g_notice_len, room, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  g_notice_off[g_notice_n++] = g_notice_len;
  g_notice_len += (size_t)n < room ? (size_t)n + 1 : room;
  g_notice_buf[g_notice_len - 1] = 0;
}

size_t tp_notice_count(void) { return g_notice_n + (g_notice_dropped ? 1 : 0); }

const char *tp_notice_at(size_t i) {
  if (i < g_notice_n) return g_notice_buf + g_notice_off[i];
  if (i == g_notice_n && g_notice_dropped) {
    snprintf(g_notice_more, sizeof g_notice_more, "(%zu more notice%s not kept)",
             g_notice_dropped, g_notice_dropped == 1 ? "" : "s");
    return g_notice_more;
  }
  return NULL;
}

void tp_notices_clear(void) { g_notice_len = g_notice_n = g_notice_dropped = 0; }

const char *tp_last_error(void) { return g_msg; }
tp_status tp_last_status(void) { return g_status; }
void tp_clear_error(void) {
  g_msg[0] = 0;
  g_status = TP_OK;
}

const char *tp_strerror(tp_status st) {
  switch (st) {
  case TP_OK: return "success";
  case TP_EINVAL: return "invalid argument";
  case TP_EFORMAT: return "malformed input";
  case TP_EUNSUPPORTED: return "unsupported";
  case TP_EIO: return "input/output error";
  case TP_ENOMEM: return "out of memory";
  case TP_ELIMIT: return "resource limit exceeded";
  case TP_ECANCELED: return "cancelled";
  case TP_ENOTFOUND: return "not found";
  case TP_EEXISTS: return "already exists";
  case TP_ECHANGED: return "input changed during conversion";
  case TP_EMISMATCH: return "verification mismatch";
  }
  return "unknown status";
}

const char *tp_version(void) { return TP_VERSION_STRING; }
int tp_version_number(void) { return TP_VERSION_NUMBER; }

void *tp_malloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) tp_error_nomem(n);
  return p;
}

void *tp_calloc(size_t count, size_t size) {
  void *p = calloc(count ? count : 1, size ? size : 1);
  if (!p) tp_error_nomem(count * size);
  return p;
}

void *tp_realloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) tp_error_nomem(n);
  return q;
}

char *tp_strndup(const char *s, size_t len) {
  char *p;
  if (len == SIZE_MAX) {
    tp_error_nomem(len);
    return NULL;
  }
  p = tp_malloc(len + 1);
  if (!p) return NULL;
  if (len) memcpy(p, s, len);
  p[len] = 0;
  return p;
}

char *tp_strdup(const char *s) { return tp_strndup(s, strlen(s)); }

char *tp_asprintf(const char *fmt, ...) {
  va_list ap, ap2;
  int n;
  char *p;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    va_end(ap2);
    tp_error(TP_EINVAL, "bad format string");
    return NULL;
  }
  p = tp_malloc((size_t)n + 1);
  if (p) vsnprintf(p, (size_t)n + 1, fmt, ap2);
  va_end(ap2);
  return p;
}

tp_status tp_grow(void **arr, size_t *cap, size_t need, size_t elem_size) {
  size_t ncap, bytes;
  void *p;
  if (need <= *cap) return TP_OK;
  ncap = *cap ? *cap : 8;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2) return tp_error_nomem(SIZE_MAX);
    ncap *= 2;
  }
  if (tp_mul_overflow_size(ncap, elem_size, &bytes)) return tp_error_nomem(SIZE_MAX);
  p = tp_realloc(*arr, bytes);
  if (!p) return TP_ENOMEM;
  *arr = p;
  *cap = ncap;
  return TP_OK;
}

void tp_quote_for_message(char *out, size_t out_len, const char *s, size_t len) {
  const unsigned char *p = (const unsigned char *)s;
  size_t o = 0, i = 0;
  const size_t max_in = 200;
  if (!out_len) return;
  while (i < len && i < max_in) {
    char tmp[8];
    size_t tl, n;
    uint32_t cp = p[i];
    n = cp < 0x80 ? 1 : tp_utf8_decode(p + i, len - i, &cp);
    if (n == 0) {
      /* a byte of no valid sequence: shown, never passed to the terminal */
      snprintf(tmp, sizeof tmp, "\\x%02x", p[i]);
      tl = 4;
      n = 1;
    } else if (cp == '"' || cp == '\\') {
      tmp[0] = '\\';
      tmp[1] = (char)cp;
      tl = 2;
    } else if (cp < 0x20 || cp == 0x7F) {
      snprintf(tmp, sizeof tmp, "\\x%02x", (unsigned)cp);
      tl = 4;
    } else if (cp >= 0x80 && cp < 0xA0) {
      /* C1 controls: some terminals act on them */
      snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)cp);
      tl = 6;
    } else {
      memcpy(tmp, p + i, n);
      tl = n;
    }
    if (o + tl + 4 >= out_len) break;
    memcpy(out + o, tmp, tl);
    o += tl;
    i += n;
  }
  if (i < len && o + 4 <= out_len) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = 0;
}

void tp_byteswap(void *data, size_t n, size_t elem_size) {
  uint8_t *p = (uint8_t *)data;
  size_t i, j;
  if (elem_size < 2) return;
  for (i = 0; i < n; i++, p += elem_size) {
    for (j = 0; j < elem_size / 2; j++) {
      uint8_t t = p[j];
      p[j] = p[elem_size - 1 - j];
      p[elem_size - 1 - j] = t;
    }
  }
}

static volatile sig_atomic_t g_cancel;

void tp_request_cancel(void) { g_cancel = 1; }
bool tp_cancel_requested(void) { return g_cancel != 0; }
