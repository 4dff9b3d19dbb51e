#!/bin/sh
# test_neon.sh - runs the cast unit tests (tests/unit/test_dtype.c), which
# compare the NEON kernels with the scalar reference bit for bit, on an
# x86-64 host: a static aarch64 build of src/dtype + src/base/error.c run
# under qemu-user.
#
# Needs the Debian packages gcc-aarch64-linux-gnu (it pulls in
# libc6-dev-arm64-cross) and qemu-user (or qemu-user-static). cmocka is not
# needed for aarch64: a minimal stand-in header with the few assertions the
# test uses is generated here. The quantizers are not built; a stub makes
# block types report "unsupported", which these tests do not use.
#
# Usage: scripts/test_neon.sh        (CC_AARCH64 / QEMU_AARCH64 override)
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
cc=${CC_AARCH64:-aarch64-linux-gnu-gcc}
qemu=${QEMU_AARCH64:-}
if [ -z "$qemu" ]; then
  qemu=$(command -v qemu-aarch64-static || command -v qemu-aarch64 || true)
fi
if ! command -v "$cc" >/dev/null 2>&1 || [ -z "$qemu" ]; then
  echo "test_neon.sh: needs $cc and qemu-aarch64 (Debian: gcc-aarch64-linux-gnu qemu-user)" >&2
  exit 2
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

cat >"$tmp/cmocka.h" <<'EOF'
/* Minimal stand-in for the cmocka API used by test_dtype.c. */
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
typedef void (*cm_test_fn)(void **state);
struct CMUnitTest { const char *name; cm_test_fn fn; };
#define cmocka_unit_test(f) {#f, f}
static jmp_buf cm_jmp;
static void cm_fail(const char *file, int line) {
  fprintf(stderr, "%s:%d: failure\n", file, line);
  longjmp(cm_jmp, 1);
}
#define fail_msg(...) \
  do { fprintf(stderr, "ERROR: " __VA_ARGS__); fputc('\n', stderr); \
       cm_fail(__FILE__, __LINE__); } while (0)
#define assert_true(c) \
  do { if (!(c)) { fprintf(stderr, "assert_true(%s)\n", #c); \
       cm_fail(__FILE__, __LINE__); } } while (0)
#define assert_int_equal(a, b) \
  do { unsigned long long a_ = (unsigned long long)(a), \
       b_ = (unsigned long long)(b); \
       if (a_ != b_) { fprintf(stderr, "%#llx != %#llx\n", a_, b_); \
       cm_fail(__FILE__, __LINE__); } } while (0)
#define assert_non_null(p) assert_true((p) != NULL)
#define assert_memory_equal(a, b, n) assert_true(memcmp((a), (b), (n)) == 0)
static int cm_run(const struct CMUnitTest *t, size_t n) {
  volatile size_t i, failed = 0;
  for (i = 0; i < n; i++) {
    if (!setjmp(cm_jmp)) {
      t[i].fn(NULL);
      printf("[       OK ] %s\n", t[i].name);
    } else {
      printf("[  FAILED  ] %s\n", t[i].name);
      failed++;
    }
  }
  printf("%zu passed, %zu failed\n", n - failed, failed);
  return failed != 0;
}
#define cmocka_run_group_tests(t, s, e) cm_run(t, sizeof(t) / sizeof(t[0]))
EOF

cat >"$tmp/quant_stub.c" <<'EOF'
#include "quant/quant.h"
bool tp_quant_can_quantize(tp_type t) { (void)t; return false; }
bool tp_quant_can_dequantize(tp_type t) { (void)t; return false; }
tp_status tp_quantize(tp_type t, const float *s, void *d, size_t n) {
  (void)s; (void)d; (void)n;
  return tp_error(TP_EUNSUPPORTED, "%s: not in this build", tp_type_name(t));
}
tp_status tp_dequantize(tp_type t, const void *s, float *d, size_t n) {
  (void)s; (void)d; (void)n;
  return tp_error(TP_EUNSUPPORTED, "%s: not in this build", tp_type_name(t));
}
tp_status tp_quantize_ref(tp_type t, const float *s, void *d, size_t n) {
  return tp_quantize(t, s, d, n);
}
tp_status tp_dequantize_ref(tp_type t, const void *s, float *d, size_t n) {
  return tp_dequantize(t, s, d, n);
}
EOF

"$cc" -std=c11 -O2 -static -Wall -Wextra -Werror -Wno-unused-parameter \
  -ffp-contract=off -fno-fast-math -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
  -I"$tmp" -I"$root/include" -I"$root/src" \
  "$root/src/dtype/types.c" "$root/src/dtype/cast.c" \
  "$root/src/dtype/cast_neon.c" "$root/src/dtype/features.c" \
  "$root/src/base/error.c" "$tmp/quant_stub.c" \
  "$root/tests/unit/test_dtype.c" -lm -o "$tmp/test_dtype_neon"

"$qemu" "$tmp/test_dtype_neon"
