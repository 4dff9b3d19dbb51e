/*
 * unit_dir.h - a scratch folder for the unit tests that touch files: a
 * cmocka group setup/teardown pair around g_dir and path_in() for names in
 * it. Define UNIT_DIR_TAG (a string literal) before including.
 */
#ifndef TP_UNIT_DIR_H
#define TP_UNIT_DIR_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static char g_dir[256];

static inline int unit_dir_setup(void **state) {
  (void)state;
  snprintf(g_dir, sizeof g_dir, "/tmp/tp_test_%s.XXXXXX", UNIT_DIR_TAG);
  return mkdtemp(g_dir) ? 0 : -1;
}

static inline int unit_dir_teardown(void **state) {
  char cmd[300];
  (void)state;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  return system(cmd) == 0 ? 0 : -1;
}

static inline void path_in(char *out, size_t n, const char *name) {
  snprintf(out, n, "%s/%s", g_dir, name);
}

#endif /* TP_UNIT_DIR_H */
