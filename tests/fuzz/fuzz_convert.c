/*
 * fuzz_convert.c - end-to-end libFuzzer target: open, plan, convert, verify.
 *
 * Input: one option byte, then a SafeTensors or GGUF file (GGUF when it
 * starts with the magic "GGUF", SafeTensors otherwise), opened from memory.
 * When the reader accepts it, two conversions are planned into one
 * temporary folder per process, with TP_CONVERT_NO_SYNC and
 * TP_CONVERT_VERIFY, on one thread:
 *   1. to the other format (GGUF -> SafeTensors, SafeTensors -> GGUF);
 *   2. to the same format with an element-type change (or a llama-quantize
 *      preset for GGUF).
 * Option byte: bits 0-2 pick the type or preset, bit 3 a preset instead of
 * a type (GGUF outputs), bit 4 big-endian GGUF output, bit 5 split outputs
 * (GGUF: one tensor per file; SafeTensors: an HF folder of 64-byte shards),
 * bit 6 the type also for conversion 1, bit 7 --allow-requantize.
 * Oracles: a plan that was created executes and verifies (a plan error is
 * fine: it is the planner refusing the input); afterwards, and after any
 * failure, the folder is empty again (outputs are removed by the harness,
 * temporaries must be removed by the library).
 */
#define FUZZ_NAME "fuzz_convert"
#include "fuzz_util.h"
#include "formats/hf/hf.h"
#include "formats/gguf/gguf.h"

/* inputs whose tensors hold more than this are skipped (speed) */
#define MAX_SOURCE_BYTES (4u << 20)
#define MAX_ELEMENTS (1u << 20)

static const tp_type g_gguf_types[8] = {
    TP_TYPE_F16,  TP_TYPE_Q8_0,   TP_TYPE_Q4_0, TP_TYPE_Q4_K,
    TP_TYPE_Q6_K, TP_TYPE_IQ4_NL, TP_TYPE_BF16, TP_TYPE_TQ2_0};
static const int g_ftypes[8] = {
    TP_FTYPE_Q4_K_M, TP_FTYPE_Q8_0, TP_FTYPE_Q3_K_S, TP_FTYPE_Q5_K_M,
    TP_FTYPE_F16,    TP_FTYPE_Q2_K, TP_FTYPE_MXFP4_MOE, TP_FTYPE_Q4_1};
static const tp_type g_st_types[8] = {
    TP_TYPE_F16,     TP_TYPE_BF16,    TP_TYPE_F32,        TP_TYPE_F8_E4M3,
    TP_TYPE_F8_E5M2, TP_TYPE_F64,     TP_TYPE_F8_E4M3FNUZ, TP_TYPE_F4};

static void convert(const tp_model *m, tp_format to, int with_type,
                    unsigned sel) {
  tp_convert_options o = TP_CONVERT_OPTIONS_INIT;
  tp_plan *p = NULL;
  tp_convert_result r;
  tp_status st;
  char out[400];
  size_t i;
  o.to = to;
  o.threads = 1;
  o.flags = TP_CONVERT_NO_SYNC | TP_CONVERT_VERIFY;
  if (sel & 0x80) o.flags |= TP_CONVERT_ALLOW_REQUANTIZE;
  if (to == TP_FORMAT_GGUF) {
    /* inputs carry no config.json: the names go as they are */
    o.flags |= TP_CONVERT_KEEP_NAMES;
    if (sel & 0x10) o.flags |= TP_CONVERT_BIG_ENDIAN;
    if (sel & 0x20) o.split_max_tensors = 1;
    if (with_type) {
      if (sel & 0x08) o.ftype = g_ftypes[sel & 7];
      else o.type = (int)g_gguf_types[sel & 7];
    }
    snprintf(out, sizeof out, "%s/out.gguf", g_dir);
  } else {
    if (with_type) o.type = (int)g_st_types[sel & 7];
    if (sel & 0x20) {
      o.to = TP_FORMAT_HF;
      o.split_max_size = 64;
      snprintf(out, sizeof out, "%s/out", g_dir);
    } else {
      snprintf(out, sizeof out, "%s/out.safetensors", g_dir);
    }
  }
  st = tp_plan_create(&p, m, out, &o);
  if (st != TP_OK) {
    check(p == NULL && tp_last_error()[0] != 0);
    check(fuzz_clear_dir(g_dir, 0) == 0);
    return;
  }
  st = tp_plan_execute(p, &r);
  if (st != TP_OK) {
    /* a plan that was accepted must be carried out */
    fprintf(stderr, "fuzz_convert: execute failed: %s\n", tp_last_error());
    check(fuzz_clear_dir(g_dir, 0) == 0);
    check(st == TP_OK);
  }
  check(r.verified && r.tensors_written == tp_plan_tensor_count(p));
  for (i = 0; i < tp_plan_file_count(p); i++)
    check(access(tp_plan_file_path(p, i), F_OK) == 0);
  tp_plan_free(p);
  fuzz_clear_dir(g_dir, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tp_infile *f;
  tp_model *m = NULL;
  tp_status st;
  unsigned sel;
  int is_gguf;
  uint64_t bytes = 0, elems = 0;
  size_t i;
  if (size < 1) return 0;
  if (!g_dir[0]) fuzz_setup_dir("convert");
  sel = data[0];
  data++;
  size--;
  is_gguf = size >= 4 && !memcmp(data, "GGUF", 4);
  if (tp_infile_from_memory(&f, data, size,
                            is_gguf ? "fuzz.gguf" : "fuzz.safetensors") != TP_OK)
    return 0;
  st = is_gguf ? tp_gguf_open_infile(&m, f) : tp_safetensors_open_infile(&m, f);
  if (st != TP_OK) return 0;
  for (i = 0; i < m->ntensors; i++) {
    bytes += m->tensors[i].nbytes;
    elems += m->tensors[i].nelements;
  }
  if (bytes <= MAX_SOURCE_BYTES && elems <= MAX_ELEMENTS) {
    convert(m, is_gguf ? TP_FORMAT_SAFETENSORS : TP_FORMAT_GGUF,
            (sel & 0x40) != 0, sel);
    convert(m, is_gguf ? TP_FORMAT_GGUF : TP_FORMAT_SAFETENSORS, 1, sel);
  }
  tp_model_free(m);
  return 0;
}
