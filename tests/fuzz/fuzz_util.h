/*
 * fuzz_util.h - what the libFuzzer harnesses share: the oracle check, a
 * scratch folder per process (removed at exit), file writing, and the
 * metadata comparisons of the round-trip oracles.
 *
 * Define FUZZ_NAME (a string literal) and include this header first.
 * Everything here is
 * static inline: each harness is one translation unit and uses a subset.
 */
#ifndef TP_FUZZ_UTIL_H
#define TP_FUZZ_UTIL_H

/* mkdtemp, O_CLOEXEC: include this header before any system header */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/io.h"
#include "model/model.h"

/* An oracle failure: name the check, then crash for the fuzzer. */
#define check(ok)                                                        \
  do {                                                                   \
    if (!(ok)) {                                                         \
      fprintf(stderr, FUZZ_NAME ": oracle failed at line %d: %s (%s)\n", \
              __LINE__, #ok, tp_last_error());                           \
      abort();                                                           \
    }                                                                    \
  } while (0)

/* The scratch folder; "" until fuzz_setup_dir. */
static char g_dir[256];

/* Counts the entries of folder path; with remove_all also removes them
 * (files, and folders one level down). */
static inline size_t fuzz_clear_dir(const char *path, int remove_all) {
  DIR *d = opendir(path);
  struct dirent *de;
  size_t n = 0;
  if (!d) return 0;
  while ((de = readdir(d))) {
    char p[600];
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    n++;
    if (!remove_all) continue;
    if ((size_t)snprintf(p, sizeof p, "%s/%s", path, de->d_name) >= sizeof p)
      continue;
    if (unlink(p) != 0) {
      fuzz_clear_dir(p, 1);
      rmdir(p);
    }
  }
  closedir(d);
  return n;
}

static inline void fuzz_cleanup_dir(void) {
  if (!g_dir[0]) return;
  fuzz_clear_dir(g_dir, 1);
  rmdir(g_dir);
}

/* Creates g_dir under $TMPDIR (or /tmp) as tp-fuzz-<tag>-XXXXXX. */
static inline void fuzz_setup_dir(const char *tag) {
  const char *tmp = getenv("TMPDIR");
  snprintf(g_dir, sizeof g_dir, "%s/tp-fuzz-%s-XXXXXX",
           tmp && *tmp && strlen(tmp) < 200 ? tmp : "/tmp", tag);
  check(mkdtemp(g_dir) != NULL);
  atexit(fuzz_cleanup_dir);
}

static inline void fuzz_write_file(const char *path, const void *p, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const char *c = (const char *)p;
  check(fd >= 0);
  while (n > 0) {
    ssize_t k = write(fd, c, n);
    check(k > 0);
    c += k;
    n -= (size_t)k;
  }
  check(close(fd) == 0);
}

/* Same type and the same bits (floats compared as bit patterns). */
static inline int fuzz_value_eq(const tp_value *a, const tp_value *b) {
  if (a->type != b->type) return 0;
  switch (a->type) {
  case TP_VALUE_STRING:
    return a->v.s.len == b->v.s.len &&
           !memcmp(a->v.s.data, b->v.s.data, a->v.s.len);
  case TP_VALUE_F32: case TP_VALUE_F64:
    return tp_f64_bits(a->v.f) == tp_f64_bits(b->v.f);
  case TP_VALUE_ARRAY: {
    uint64_t i;
    if (a->elem_type != b->elem_type || a->count != b->count) return 0;
    if (a->elem_type == TP_VALUE_STRING) {
      const tp_string *x = a->v.array, *y = b->v.array;
      for (i = 0; i < a->count; i++)
        if (x[i].len != y[i].len || memcmp(x[i].data, y[i].data, x[i].len))
          return 0;
      return 1;
    }
    return !a->count || !memcmp(a->v.array, b->v.array,
                                 (size_t)a->count * tp_value_type_size(a->elem_type));
  }
  default:
    return a->v.u == b->v.u;
  }
}

/* The split bookkeeping keys, which the GGUF <-> SafeTensors encoding drops.
 * Keys may hold NUL bytes, so they are compared with their length. */
static inline int fuzz_is_split_key(const tp_meta_item *it) {
  static const char *const keys[] = {"split.no", "split.count",
                                     "split.tensors.count"};
  size_t i;
  for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (it->key_len == strlen(keys[i]) && !memcmp(it->key, keys[i], it->key_len))
      return 1;
  return 0;
}

#endif /* TP_FUZZ_UTIL_H */
