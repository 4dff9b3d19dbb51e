/*
 * byte_level.c - GPT-2's byte-level alphabet (bytes_to_unicode): the 188
 * printable bytes stand for themselves, the other 68 for U+0100 onwards in
 * byte order. Byte-level BPE vocabularies spell every token in it; merges
 * with a literal space are re-spelled with U+0120 (the space byte's
 * character).
 */
#include "tok_internal.h"

static bool printable(unsigned b) {
  return (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) ||
         (b >= 0xae && b <= 0xff);
}

/* The non-printable bytes are 0x00-0x20 (33), 0x7f-0xa0 (34) and 0xad. */
uint32_t tk_byte_cp(uint8_t b) {
  if (printable(b)) return b;
  if (b <= 0x20) return 0x100u + b;
  if (b <= 0xa0) return 0x100u + 33 + (b - 0x7fu);
  return 0x100u + 67; /* 0xad */
}

int tk_cp_byte(uint32_t cp) {
  uint32_t n;
  if (cp < 0x100) return printable(cp) ? (int)cp : -1;
  n = cp - 0x100;
  if (n < 33) return (int)n;
  if (n < 67) return (int)(0x7f + (n - 33));
  if (n == 67) return 0xad;
  return -1;
}

size_t tk_utf8_put(uint32_t cp, char *o) {
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xc0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xe0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    o[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  o[0] = (char)(0xf0 | (cp >> 18));
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  o[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}
