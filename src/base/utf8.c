/*
 * utf8.c - the one UTF-8 decoder (RFC 3629) that the JSON writer, the
 * readers' name checks, the message quoting and (through tensorport.h) the
 * command line's name printing share.
 */
#include "base.h"

size_t tp_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp) {
  unsigned char c;
  if (!len) return 0;
  c = s[0];
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    if (len < 2 || (s[1] & 0xC0) != 0x80) return 0;
    *cp = ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
    return 2;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    uint32_t v;
    if (len < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
    v = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) |
        (s[2] & 0x3F);
    if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    uint32_t v;
    if (len < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
        (s[3] & 0xC0) != 0x80)
      return 0;
    v = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) |
        ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    if (v < 0x10000 || v > 0x10FFFF) return 0;
    *cp = v;
    return 4;
  }
  return 0;
}

bool tp_utf8_valid(const char *s, size_t len, size_t *bad_off) {
  const unsigned char *p = (const unsigned char *)s;
  size_t i = 0;
  while (i < len) {
    uint32_t cp;
    size_t n;
    /* ASCII runs are the common case in headers */
    if (p[i] < 0x80) {
      i++;
      continue;
    }
    n = tp_utf8_decode(p + i, len - i, &cp);
    if (!n) {
      if (bad_off) *bad_off = i;
      return false;
    }
    i += n;
  }
  return true;
}

