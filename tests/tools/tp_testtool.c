/*
 * tp_testtool.c - small driver for the script-driven tests (pytest).
 *
 *   tp-testtool convert SRC_TYPE DST_TYPE [--ref] [--no-simd]
 *       Reads raw little-endian SRC_TYPE elements (whole blocks) from stdin
 *       and writes them converted to DST_TYPE on stdout through
 *       tp_convert_elements, or tp_convert_elements_ref with --ref.
 *       --no-simd masks the SIMD kernels so the scalar fast loops run.
 *       Works for block-quantized types too (through f32).
 *   tp-testtool features
 *       Prints tp_build_features().
 *
 * Type names are anything tp_type_from_name accepts. Errors go to stderr
 * with exit status 2.
 */
#include "dtype/dtype.h"
#include "quant/quant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *fmt, const char *arg) {
  fprintf(stderr, "tp-testtool: ");
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  return 2;
}

static int usage(void) {
  fprintf(stderr,
          "usage: tp-testtool convert SRC_TYPE DST_TYPE [--ref] [--no-simd]\n"
          "       tp-testtool features\n");
  return 2;
}

/* Reads all of stdin into a heap buffer. */
static unsigned char *read_all(FILE *f, size_t *len) {
  size_t cap = 1 << 16, n = 0;
  unsigned char *buf = malloc(cap);
  if (!buf) return NULL;
  for (;;) {
    size_t got;
    if (n == cap) {
      unsigned char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        return NULL;
      }
      buf = nb;
      cap *= 2;
    }
    got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

static int cmd_convert(int argc, char **argv) {
  tp_type src, dst;
  int ref = 0, i;
  size_t len, nblocks, n;
  uint64_t out_bytes;
  unsigned char *in, *out;
  tp_status st;

  if (argc < 4) return usage();
  if (tp_type_from_name(argv[2], &src) != TP_OK)
    return fail("unknown type '%s'", argv[2]);
  if (tp_type_from_name(argv[3], &dst) != TP_OK)
    return fail("unknown type '%s'", argv[3]);
  for (i = 4; i < argc; i++) {
    if (!strcmp(argv[i], "--ref"))
      ref = 1;
    else if (!strcmp(argv[i], "--no-simd"))
      tp_cpu_set_mask(0);
    else
      return fail("unknown option '%s'", argv[i]);
  }
  in = read_all(stdin, &len);
  if (!in) return fail("%s", "cannot read stdin");
  if (len % tp_type_block_bytes(src)) {
    free(in);
    return fail("input is not a whole number of %s blocks",
                tp_type_name(src));
  }
  nblocks = len / tp_type_block_bytes(src);
  n = nblocks * tp_type_block_elems(src);
  if (!tp_type_nbytes(dst, n, &out_bytes)) {
    free(in);
    return fail("element count is not a whole number of %s blocks",
                tp_type_name(dst));
  }
  out = malloc(out_bytes ? (size_t)out_bytes : 1);
  if (!out) {
    free(in);
    return fail("%s", "out of memory");
  }
  st = ref ? tp_convert_elements_ref(dst, out, src, in, n)
           : tp_convert_elements(dst, out, src, in, n);
  free(in);
  if (st != TP_OK) {
    free(out);
    return fail("%s", tp_last_error());
  }
  if (fwrite(out, 1, (size_t)out_bytes, stdout) != out_bytes ||
      fflush(stdout) != 0) {
    free(out);
    return fail("%s", "cannot write stdout");
  }
  free(out);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "convert")) return cmd_convert(argc, argv);
  if (argc == 2 && !strcmp(argv[1], "features")) {
    printf("%s\n", tp_build_features());
    return 0;
  }
  return usage();
}
