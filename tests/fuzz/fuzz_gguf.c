/*
 * fuzz_gguf.c - libFuzzer target for the GGUF reader, with two round-trip
 * oracles on every input the reader accepts.
 *
 * 1. Every tensor is read in full (byte-swapped where the file is
 *    big-endian): header claims must never lead outside the input.
 * 2. The writer re-renders the accepted model's header; header + zero data
 *    must parse again with the same metadata and tensors (reader and
 *    writer agree on everything the reader lets through).
 * 3. The metadata survives the GGUF -> SafeTensors -> GGUF encoding.
 * A broken oracle aborts, which the fuzzer reports as a crash.
 */
#define FUZZ_NAME "fuzz_gguf"
#include "fuzz_util.h"
#include "formats/hf/hf.h"
#include "formats/gguf/gguf.h"

static void read_all(const tp_model *m) {
  static uint8_t buf[1 << 16];
  size_t i;
  for (i = 0; i < m->ntensors; i++) {
    uint64_t off = 0, n = m->tensors[i].nbytes;
    while (off < n) {
      size_t k = (size_t)(n - off < sizeof buf ? n - off : sizeof buf);
      check(tp_model_read(m, i, off, buf, k) == TP_OK);
      off += k;
    }
  }
}

static void writer_round_trip(const tp_model *m) {
  tp_gguf_tinfo *ti = calloc(m->ntensors ? m->ntensors : 1, sizeof *ti);
  uint8_t *hdr = NULL, *file;
  size_t hdr_len, i;
  uint64_t size;
  tp_infile *f;
  tp_model *m2;
  check(ti != NULL);
  for (i = 0; i < m->ntensors; i++) {
    ti[i].name = m->tensors[i].name;
    ti[i].name_len = m->tensors[i].name_len;
    ti[i].type = m->tensors[i].type;
    ti[i].ndim = m->tensors[i].ndim;
    memcpy(ti[i].shape, m->tensors[i].shape, sizeof ti[i].shape);
    ti[i].nbytes = m->tensors[i].nbytes;
  }
  check(tp_gguf_render_header(&m->meta, ti, m->ntensors, m->alignment,
                              m->big_endian, &hdr, &hdr_len, &size) == TP_OK);
  check(size <= ((uint64_t)64 << 20) + hdr_len);
  file = calloc(1, (size_t)size ? (size_t)size : 1);
  check(file != NULL);
  memcpy(file, hdr, hdr_len);
  check(tp_infile_from_memory(&f, file, (size_t)size, "rt.gguf") == TP_OK);
  check(tp_gguf_open_infile(&m2, f) == TP_OK);
  check(m2->ntensors == m->ntensors && m2->meta.n == m->meta.n);
  check(m2->big_endian == m->big_endian && m2->alignment == m->alignment);
  for (i = 0; i < m->meta.n; i++) {
    check(m2->meta.items[i].key_len == m->meta.items[i].key_len);
    check(!memcmp(m2->meta.items[i].key, m->meta.items[i].key,
                  m->meta.items[i].key_len));
    check(fuzz_value_eq(&m2->meta.items[i].val, &m->meta.items[i].val));
  }
  for (i = 0; i < m->ntensors; i++) {
    check(m2->tensors[i].type == m->tensors[i].type);
    check(m2->tensors[i].ndim == m->tensors[i].ndim);
    check(!memcmp(m2->tensors[i].shape, m->tensors[i].shape,
                  sizeof m->tensors[i].shape));
    check(m2->tensors[i].offset == hdr_len + ti[i].offset);
  }
  tp_model_free(m2);
  free(file);
  free(hdr);
  free(ti);
}

static void meta_round_trip(const tp_model *m) {
  tp_metastore st, back;
  size_t i, j = 0;
  tp_meta_init(&st);
  tp_meta_init(&back);
  check(tp_gguf_meta_to_safetensors(&m->meta, &st) == TP_OK);
  check(tp_gguf_meta_from_safetensors(&st, &back) == TP_OK);
  for (i = 0; i < m->meta.n; i++) {
    const tp_meta_item *it = &m->meta.items[i];
    if (fuzz_is_split_key(it)) continue;
    check(j < back.n);
    check(back.items[j].key_len == it->key_len &&
          !memcmp(back.items[j].key, it->key, it->key_len));
    if (!fuzz_value_eq(&back.items[j].val, &it->val))
      fprintf(stderr, "key %s type %d %d\n", it->key, it->val.type, back.items[j].val.type);
    check(fuzz_value_eq(&back.items[j].val, &it->val));
    j++;
  }
  check(j == back.n);
  tp_meta_free(&st);
  tp_meta_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tp_infile *f;
  tp_model *m;
  if (tp_infile_from_memory(&f, data, size, "fuzz.gguf") != TP_OK) return 0;
  if (tp_gguf_open_infile(&m, f) != TP_OK) return 0;
  read_all(m);
  writer_round_trip(m);
  meta_round_trip(m);
  tp_model_free(m);
  return 0;
}
