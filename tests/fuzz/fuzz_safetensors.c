/*
 * fuzz_safetensors.c - libFuzzer target for the SafeTensors reader.
 *
 * Feeds arbitrary bytes through a memory input to the full validating
 * reader and, when a file is accepted, reads every tensor back in two
 * pieces (as the executor's chunked reads do), so an accepted header whose
 * offsets escaped validation would show up as a sanitizer report.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "formats/hf/hf.h"
#include "formats/gguf/gguf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tp_infile *f;
  tp_model *m = NULL;
  size_t i;
  if (tp_infile_from_memory(&f, data, size, "fuzz.safetensors") != TP_OK)
    return 0;
  if (tp_safetensors_open_infile(&m, f) != TP_OK) return 0;
  for (i = 0; i < tp_model_tensor_count(m); i++) {
    tp_tensor_info ti;
    uint8_t *buf;
    size_t half;
    if (tp_model_tensor(m, i, &ti) != TP_OK) abort();
    /* an accepted tensor lies inside the input, so this is bounded */
    if (ti.nbytes > size) abort();
    buf = malloc(ti.nbytes ? (size_t)ti.nbytes : 1);
    if (!buf) break;
    half = (size_t)ti.nbytes / 2;
    if (tp_model_read(m, i, 0, buf, half) != TP_OK ||
        tp_model_read(m, i, half, buf + half, (size_t)ti.nbytes - half) != TP_OK)
      abort();
    if (ti.nbytes && memcmp(buf, data + ti.file_offset, (size_t)ti.nbytes))
      abort();
    free(buf);
  }
  /* metadata values are STRING and NUL-terminated */
  for (i = 0; i < tp_model_meta_count(m); i++) {
    tp_string k;
    const tp_value *v;
    if (tp_model_meta(m, i, &k, &v) != TP_OK || v->type != TP_VALUE_STRING ||
        v->v.s.data[v->v.s.len] != 0)
      abort();
  }
  tp_model_free(m);
  return 0;
}
