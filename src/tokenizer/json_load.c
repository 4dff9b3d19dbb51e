/*
 * json_load.c - parsing the JSON files of a tokenizer the way Python's json
 * module (the reference's reader) takes them, with jansson: the last of
 * duplicate keys wins, "\u0000" is allowed, and integer literals outside
 * int64 (tokenizer_config.json's model_max_length is often
 * 1000000000000000019884624838656) are read as reals instead of failing.
 */
#include "tok_internal.h"

#include <stdlib.h>

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* A copy of text where every integer literal that does not fit int64 gets
 * ".0" appended (a real for jansson). Strings are skipped. */
static char *widen_big_ints(const char *t, size_t len, size_t *out_len) {
  /* a widened literal has at least 20 characters and grows by 2, so the
   * copy is at most 1.1 times as long */
  size_t cap = len + len / 8 + 16, o = 0, i = 0;
  char *out = cap > len ? tp_malloc(cap) : NULL;
  if (!out) return NULL;
  while (i < len) {
    char ch = t[i];
    if (ch == '"') {
      /* copy the string, escapes included */
      out[o++] = t[i++];
      while (i < len && t[i] != '"') {
        if (t[i] == '\\' && i + 1 < len) out[o++] = t[i++];
        out[o++] = t[i++];
      }
      if (i < len) out[o++] = t[i++];
      continue;
    }
    if (is_digit(ch) || (ch == '-' && i + 1 < len && is_digit(t[i + 1]))) {
      size_t s = i, digits;
      bool neg = ch == '-';
      if (neg) i++;
      while (i < len && is_digit(t[i])) i++;
      digits = i - s - (neg ? 1 : 0);
      if (i < len && (t[i] == '.' || t[i] == 'e' || t[i] == 'E')) {
        /* a real already: copy the whole literal */
        while (i < len && (is_digit(t[i]) || t[i] == '.' || t[i] == 'e' ||
                           t[i] == 'E' || t[i] == '+' || t[i] == '-'))
          i++;
        memcpy(out + o, t + s, i - s);
        o += i - s;
        continue;
      }
      memcpy(out + o, t + s, i - s);
      o += i - s;
      if (digits > 18) {
        /* 19 digits may still fit; compare with the limits as text */
        const char *lim = neg ? "9223372036854775808" : "9223372036854775807";
        const char *d = t + s + (neg ? 1 : 0);
        if (digits > 19 || memcmp(d, lim, 19) > 0) {
          out[o++] = '.';
          out[o++] = '0';
        }
      }
      continue;
    }
    out[o++] = t[i++];
  }
  *out_len = o;
  return out;
}

tp_status tp_tokenizer_json_parse(const char *text, size_t len,
                                  const char *what, json_t **out) {
  json_error_t je;
  json_t *j = json_loadb(text, len, JSON_ALLOW_NUL, &je);
  if (!j && strstr(je.text, "too big")) {
    size_t wl;
    char *w = widen_big_ints(text, len, &wl);
    if (!w) return TP_ENOMEM;
    j = json_loadb(w, wl, JSON_ALLOW_NUL, &je);
    free(w);
  }
  if (!j)
    return tp_error(TP_EFORMAT, "%s: JSON: line %d column %d: %s",
                    what ? what : "tokenizer", je.line, je.column, je.text);
  *out = j;
  return TP_OK;
}
