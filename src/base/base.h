/*
 * base.h - shared internals: error reporting, overflow-checked arithmetic,
 * little-endian loads and stores, small allocation helpers.
 *
 * Every module includes this. The error helpers fill the thread-local
 * detailed message that tp_last_error() returns; the convention for file
 * problems is "<path>: <format>: <locus>: <problem> (<observed> vs <expected>)".
 */
#ifndef TP_BASE_H
#define TP_BASE_H

#include "tensorport.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__GNUC__)
#  define TP_PRINTF(a, b) __attribute__((format(printf, a, b)))
#  define TP_LIKELY(x) __builtin_expect(!!(x), 1)
#  define TP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#  define TP_PRINTF(a, b)
#  define TP_LIKELY(x) (x)
#  define TP_UNLIKELY(x) (x)
#endif

#define TP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define TP_MIN(a, b) ((a) < (b) ? (a) : (b))
#define TP_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- errors ------------------------------------------------------------ */

/* Records st and a formatted message as this thread's last error and
 * returns st, so call sites can write `return tp_error(TP_EFORMAT, ...)`. */
tp_status tp_error(tp_status st, const char *fmt, ...) TP_PRINTF(2, 3);
tp_status tp_verror(tp_status st, const char *fmt, va_list ap);

/* Prepends "prefix: " to the current message (keeps the status). Used when
 * a lower layer knows the problem and an upper layer knows the file. */
tp_status tp_error_prefix(const char *fmt, ...) TP_PRINTF(1, 2);

/* Error for a failed system call: appends strerror(errno_value). */
tp_status tp_error_errno(tp_status st, int errno_value, const char *fmt, ...)
    TP_PRINTF(3, 4);

/* Out-of-memory error with the requested size. */
tp_status tp_error_nomem(size_t bytes);

/* Adds a notice for the caller (tp_notice_count/tp_notice_at): something
 * the library did on its own that the user should hear of, such as
 * removing what an interrupted run left. Never an error. */
void tp_notice(const char *fmt, ...) TP_PRINTF(1, 2);

/* ---- checked arithmetic ------------------------------------------------ */

/* Each returns true on overflow and leaves *out unspecified then. */
static inline bool tp_add_overflow_u64(uint64_t a, uint64_t b, uint64_t *out) {
  return __builtin_add_overflow(a, b, out);
}
static inline bool tp_mul_overflow_u64(uint64_t a, uint64_t b, uint64_t *out) {
  return __builtin_mul_overflow(a, b, out);
}
static inline bool tp_add_overflow_size(size_t a, size_t b, size_t *out) {
  return __builtin_add_overflow(a, b, out);
}
static inline bool tp_mul_overflow_size(size_t a, size_t b, size_t *out) {
  return __builtin_mul_overflow(a, b, out);
}
/* Rounds x up to a multiple of a (a power of two, non-zero). */
static inline bool tp_align_up_overflow_u64(uint64_t x, uint64_t a,
                                            uint64_t *out) {
  uint64_t t;
  if (__builtin_add_overflow(x, a - 1, &t)) return true;
  *out = t & ~(a - 1);
  return false;
}
static inline bool tp_is_pow2_u64(uint64_t x) { return x && !(x & (x - 1)); }

/* ---- little-endian loads and stores ------------------------------------ */

static inline uint16_t tp_load_le16(const void *p) {
  const uint8_t *b = (const uint8_t *)p;
  return (uint16_t)(b[0] | (b[1] << 8));
}
static inline uint32_t tp_load_le32(const void *p) {
  const uint8_t *b = (const uint8_t *)p;
  return (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
         ((uint32_t)b[3] << 24);
}
static inline uint64_t tp_load_le64(const void *p) {
  return (uint64_t)tp_load_le32(p) |
         ((uint64_t)tp_load_le32((const uint8_t *)p + 4) << 32);
}
static inline uint16_t tp_load_be16(const void *p) {
  const uint8_t *b = (const uint8_t *)p;
  return (uint16_t)((b[0] << 8) | b[1]);
}
static inline uint32_t tp_load_be32(const void *p) {
  const uint8_t *b = (const uint8_t *)p;
  return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
         ((uint32_t)b[2] << 8) | (uint32_t)b[3];
}
static inline uint64_t tp_load_be64(const void *p) {
  return ((uint64_t)tp_load_be32(p) << 32) |
         (uint64_t)tp_load_be32((const uint8_t *)p + 4);
}
static inline void tp_store_le16(void *p, uint16_t v) {
  uint8_t *b = (uint8_t *)p;
  b[0] = (uint8_t)v;
  b[1] = (uint8_t)(v >> 8);
}
static inline void tp_store_le32(void *p, uint32_t v) {
  uint8_t *b = (uint8_t *)p;
  b[0] = (uint8_t)v;
  b[1] = (uint8_t)(v >> 8);
  b[2] = (uint8_t)(v >> 16);
  b[3] = (uint8_t)(v >> 24);
}
static inline void tp_store_le64(void *p, uint64_t v) {
  tp_store_le32(p, (uint32_t)v);
  tp_store_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}
static inline void tp_store_be16(void *p, uint16_t v) {
  uint8_t *b = (uint8_t *)p;
  b[0] = (uint8_t)(v >> 8);
  b[1] = (uint8_t)v;
}
static inline void tp_store_be32(void *p, uint32_t v) {
  uint8_t *b = (uint8_t *)p;
  b[0] = (uint8_t)(v >> 24);
  b[1] = (uint8_t)(v >> 16);
  b[2] = (uint8_t)(v >> 8);
  b[3] = (uint8_t)v;
}
static inline void tp_store_be64(void *p, uint64_t v) {
  tp_store_be32(p, (uint32_t)(v >> 32));
  tp_store_be32((uint8_t *)p + 4, (uint32_t)v);
}

/* Host byte order, known at compile time on every supported compiler. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
#  define TP_HOST_BIG_ENDIAN 1
#else
#  define TP_HOST_BIG_ENDIAN 0
#endif

/* Reverses the bytes of n elements of elem_size bytes each, in place. */
void tp_byteswap(void *data, size_t n, size_t elem_size);

/* ---- bit casts ---------------------------------------------------------- */

static inline uint32_t tp_f32_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}
static inline float tp_bits_f32(uint32_t u) {
  float f;
  memcpy(&f, &u, 4);
  return f;
}
static inline uint64_t tp_f64_bits(double f) {
  uint64_t u;
  memcpy(&u, &f, 8);
  return u;
}
static inline double tp_bits_f64(uint64_t u) {
  double f;
  memcpy(&f, &u, 8);
  return f;
}

/* ---- memory ------------------------------------------------------------ */

/* malloc/calloc/realloc that record a TP_ENOMEM error on failure. */
void *tp_malloc(size_t n);
void *tp_calloc(size_t count, size_t size);
void *tp_realloc(void *p, size_t n);
/* Copies len bytes into a new NUL-terminated buffer. */
char *tp_strndup(const char *s, size_t len);
char *tp_strdup(const char *s);
/* Heap-allocated formatted string (NULL and TP_ENOMEM on failure). */
char *tp_asprintf(const char *fmt, ...) TP_PRINTF(1, 2);

/* Grows a dynamic array so that it can hold need elements. */
tp_status tp_grow(void **arr, size_t *cap, size_t need, size_t elem_size);

/* Renders up to 200 bytes of s (a name or key from a file) for a message:
 * printable ASCII and valid UTF-8 text kept, quotes and backslashes escaped,
 * control characters (C0, DEL, C1) as \xHH or \u00HH and every byte of an
 * invalid UTF-8 sequence as \xHH; longer names are cut with "..." at a
 * character boundary. Writes at most out_len bytes including the NUL. */
void tp_quote_for_message(char *out, size_t out_len, const char *s, size_t len);

/* ---- UTF-8 (utf8.c) ------------------------------------------------------ */

/* tp_utf8_decode (one code point) is public: tensorport.h. */
/* Returns true when s is valid UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF). On false, *bad_off (if non-NULL) gets
 * the offset of the first offending byte. */
bool tp_utf8_valid(const char *s, size_t len, size_t *bad_off);

/* ---- cancellation -------------------------------------------------------- */

bool tp_cancel_requested(void);

#endif /* TP_BASE_H */
