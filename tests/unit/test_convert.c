/*
 * test_convert.c - unit tests of the conversion pipeline through the public
 * API: plans (types, notes, sizes, existing outputs, bad options), execution
 * with verification, cancellation from the progress callback (nothing left
 * behind), progress reports, chunking of tensors larger than one chunk, and
 * diff statistics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tensorport.h"

#define UNIT_DIR_TAG "convert"
#include "unit_dir.h"

static int dir_entries(void) {
  char cmd[400];
  FILE *p;
  int n = -1;
  snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", g_dir);
  p = popen(cmd, "r");
  assert_non_null(p);
  assert_int_equal(fscanf(p, "%d", &n), 1);
  pclose(p);
  return n;
}

/* Writes a SafeTensors file: "big.weight" F32 [rows, 1024] (more than one chunk),
 * "norm.weight" F32 [1024], "ids" I32 [8]. Values are a deterministic function of
 * the index. */
static void write_model(const char *path, uint32_t rows) {
  char header[512];
  uint64_t big = (uint64_t)rows * 1024 * 4, norm = 4096, ids = 32;
  int n = snprintf(header, sizeof header,
                   "{\"big.weight\":{\"dtype\":\"F32\",\"shape\":[%u,1024],"
                   "\"data_offsets\":[0,%llu]},"
                   "\"norm.weight\":{\"dtype\":\"F32\",\"shape\":[1024],"
                   "\"data_offsets\":[%llu,%llu]},"
                   "\"ids\":{\"dtype\":\"I32\",\"shape\":[8],"
                   "\"data_offsets\":[%llu,%llu]}}",
                   rows, (unsigned long long)big, (unsigned long long)big,
                   (unsigned long long)(big + norm),
                   (unsigned long long)(big + norm),
                   (unsigned long long)(big + norm + ids));
  uint64_t hl = (uint64_t)n;
  FILE *f = fopen(path, "wb");
  uint64_t i;
  assert_non_null(f);
  while (hl % 8) header[hl++] = ' ';
  for (i = 0; i < 8; i++) fputc((int)((hl >> (8 * i)) & 0xff), f);
  fwrite(header, 1, hl, f);
  for (i = 0; i < (uint64_t)rows * 1024 + 1024; i++) {
    float v = (float)sin((double)i * 0.001) * 3.0f;
    fwrite(&v, 4, 1, f);
  }
  for (i = 0; i < 8; i++) {
    int32_t v = (int32_t)i - 4;
    fwrite(&v, 4, 1, f);
  }
  assert_int_equal(fclose(f), 0);
}

static void test_plan_types_and_sizes(void **state) {
  char in[300], out[300];
  tp_model *m;
  tp_plan *p;
  tp_convert_options o = TP_CONVERT_OPTIONS_INIT;
  tp_plan_tensor t;
  size_t i;
  int seen = 0;
  (void)state;
  path_in(in, sizeof in, "plan.safetensors");
  path_in(out, sizeof out, "plan-out.safetensors");
  write_model(in, 4);
  assert_int_equal(tp_model_open(&m, in, NULL), TP_OK);
  o.type = TP_TYPE_F16;
  assert_int_equal(tp_plan_create(&p, m, out, &o), TP_OK);
  assert_int_equal(tp_plan_format(p), TP_FORMAT_SAFETENSORS);
  assert_int_equal(tp_plan_tensor_count(p), 3);
  assert_int_equal(tp_plan_file_count(p), 1);
  for (i = 0; i < tp_plan_tensor_count(p); i++) {
    assert_int_equal(tp_plan_tensor_at(p, i, &t), TP_OK);
    if (t.name.len == 3 && !memcmp(t.name.data, "ids", 3)) {
      /* integers keep their type, and the plan says why */
      assert_int_equal(t.dst_type, TP_TYPE_I32);
      assert_non_null(t.note);
      seen++;
    } else {
      assert_int_equal(t.dst_type, TP_TYPE_F16);
      assert_int_equal(t.dst_nbytes * 2, t.src_nbytes);
      seen++;
    }
  }
  assert_int_equal(seen, 3);
  /* nothing was written */
  assert_int_equal(access(out, F_OK), -1);
  tp_plan_free(p);
  tp_plan_free(NULL);

  /* an output name without a known extension needs --to */
  path_in(out, sizeof out, "no-extension");
  assert_int_equal(tp_plan_create(&p, m, out, &o), TP_EINVAL);
  assert_non_null(strstr(tp_last_error(), "--to"));
  /* presets only exist for GGUF */
  o.ftype = 15;
  path_in(out, sizeof out, "x.safetensors");
  assert_int_equal(tp_plan_create(&p, m, out, &o), TP_EINVAL);
  /* a wrong options version is refused, not misread */
  o = (tp_convert_options)TP_CONVERT_OPTIONS_INIT;
  o.flags = TP_CONVERT_KEEP_NAMES; /* GGUF names already */
  o.version = 999;
  assert_int_equal(tp_plan_create(&p, m, out, &o), TP_EINVAL);
  /* version 1 (no tokenizer_pre, model_name) is still read */
  o.version = 1;
  o.tokenizer_pre = (const char *)1; /* past a v1 structure: never read */
  assert_int_equal(tp_plan_create(&p, m, out, &o), TP_OK);
  tp_plan_free(p);
  /* a block type that does not divide the rows */
  o = (tp_convert_options)TP_CONVERT_OPTIONS_INIT;
  o.flags = TP_CONVERT_KEEP_NAMES; /* GGUF names already */
  o.type = TP_TYPE_Q4_K;
  path_in(out, sizeof out, "x.gguf");
  assert_int_equal(tp_plan_create(&p, m, out, &o), TP_OK);
  for (i = 0; i < tp_plan_tensor_count(p); i++) {
    assert_int_equal(tp_plan_tensor_at(p, i, &t), TP_OK);
    if (t.name.len == 10 && !memcmp(t.name.data, "big.weight", 10))
      assert_int_equal(t.dst_type, TP_TYPE_Q4_K);
    else if (t.name.len == 11 && !memcmp(t.name.data, "norm.weight", 11))
      assert_int_equal(t.dst_type, TP_TYPE_F32); /* vectors stay F32 */
  }
  tp_plan_free(p);
  tp_model_free(m);
}

typedef struct {
  int calls;
  int cancel_at;
  uint64_t last_done, total;
  int saw_write, saw_verify, saw_done, went_back;
} progress_log;

static int on_progress(const tp_progress *pr, void *user) {
  progress_log *l = (progress_log *)user;
  l->calls++;
  if (pr->phase == TP_PHASE_WRITE) l->saw_write = 1;
  if (pr->phase == TP_PHASE_VERIFY) l->saw_verify = 1;
  if (pr->phase == TP_PHASE_DONE) l->saw_done = 1;
  if (pr->phase == TP_PHASE_WRITE && pr->bytes_done < l->last_done)
    l->went_back = 1;
  if (pr->phase == TP_PHASE_WRITE) l->last_done = pr->bytes_done;
  l->total = pr->bytes_total;
  return l->cancel_at && l->calls >= l->cancel_at;
}

typedef struct {
  int calls, cancel, saw_compare, saw_done, went_back;
  uint64_t first_done, last_done, last_total, tensors_done, tensors_total;
} diff_log;

static int on_diff_progress(const tp_progress *pr, void *user) {
  diff_log *l = (diff_log *)user;
  if (!l->calls) l->first_done = pr->bytes_done;
  l->calls++;
  if (pr->phase == TP_PHASE_COMPARE) l->saw_compare = 1;
  if (pr->phase == TP_PHASE_DONE) l->saw_done = 1;
  if (pr->bytes_done < l->last_done) l->went_back = 1;
  l->last_done = pr->bytes_done;
  l->last_total = pr->bytes_total;
  l->tensors_done = pr->tensors_done;
  l->tensors_total = pr->tensors_total;
  return l->cancel;
}

static void test_execute_verify_and_progress(void **state) {
  char in[300], out[300];
  tp_convert_options o = TP_CONVERT_OPTIONS_INIT;
  tp_convert_result r;
  progress_log log;
  diff_log dlog;
  tp_model *a, *b;
  tp_diff *d;
  size_t i;
  (void)state;
  path_in(in, sizeof in, "exec.safetensors");
  path_in(out, sizeof out, "exec-bf16.safetensors");
  /* 2048 rows x 1024 = 8 MiB of F32: several chunks */
  write_model(in, 2048);
  memset(&log, 0, sizeof log);
  o.type = TP_TYPE_BF16;
  o.threads = 3;
  o.flags = TP_CONVERT_VERIFY | TP_CONVERT_NO_SYNC;
  o.progress = on_progress;
  o.progress_user = &log;
  assert_int_equal(tp_convert(in, out, &o, &r), TP_OK);
  assert_int_equal(r.tensors_written, 3);
  assert_int_equal(r.bytes_written, 2048 * 1024 * 2 + 1024 * 2 + 32);
  assert_int_equal(r.verified, 1);
  assert_int_equal(r.verify_lossless_identical, 1); /* ids */
  assert_int_equal(r.verify_lossy, 2);
  /* bf16 keeps 8 significant bits: error below 2^-8 relative */
  assert_true(r.verify_max_rel_err <= 1.0 / 256);
  assert_true(r.verify_max_rel_rmse > 0 && r.verify_max_rel_rmse < 1.0 / 256);
  assert_true(log.saw_done);
  assert_false(log.went_back);
  assert_int_equal(log.total, r.bytes_written);

  /* the written file diffs against its source with the same statistics */
  assert_int_equal(tp_model_open(&a, in, NULL), TP_OK);
  assert_int_equal(tp_model_open(&b, out, NULL), TP_OK);
  assert_int_equal(tp_diff_models(&d, a, b, 2), TP_OK);
  assert_int_equal(tp_diff_count(d), 3);
  assert_false(tp_diff_identical(d));
  for (i = 0; i < tp_diff_count(d); i++) {
    const tp_diff_entry *e = tp_diff_at(d, i);
    if (e->name.len == 3 && !memcmp(e->name.data, "ids", 3)) {
      assert_int_equal(e->kind, TP_DIFF_SAME);
    } else {
      assert_int_equal(e->kind, TP_DIFF_TYPE);
      assert_true(e->stats.max_rel_err <= 1.0 / 256);
    }
  }
  tp_diff_free(d);
  /* a model is identical to itself */
  assert_int_equal(tp_diff_models(&d, a, a, 1), TP_OK);
  assert_true(tp_diff_identical(d));
  tp_diff_free(d);
  /* diff progress: a start report, a final one with everything counted */
  memset(&dlog, 0, sizeof dlog);
  assert_int_equal(tp_diff_models_progress(&d, a, b, 2, on_diff_progress, &dlog),
                   TP_OK);
  assert_true(dlog.calls >= 2);
  assert_int_equal(dlog.first_done, 0);
  assert_true(dlog.saw_compare && dlog.saw_done && !dlog.went_back);
  assert_int_equal(dlog.last_total, (2048 * 1024 + 1024) * (4 + 2) + 2 * 32);
  assert_int_equal(dlog.last_done, dlog.last_total);
  assert_int_equal(dlog.tensors_done, 3);
  assert_int_equal(dlog.tensors_total, 3);
  assert_int_equal(tp_diff_count(d), 3);
  tp_diff_free(d);
  /* a non-zero return cancels, and nothing is returned */
  memset(&dlog, 0, sizeof dlog);
  dlog.cancel = 1;
  d = (tp_diff *)&dlog;
  assert_int_equal(tp_diff_models_progress(&d, a, b, 2, on_diff_progress, &dlog),
                   TP_ECANCELED);
  assert_null(d);
  tp_model_free(a);
  tp_model_free(b);

  /* the output exists now: no overwrite without the flag */
  o.flags = TP_CONVERT_NO_SYNC;
  o.progress = NULL;
  assert_int_equal(tp_convert(in, out, &o, NULL), TP_EEXISTS);
  o.flags |= TP_CONVERT_FORCE;
  assert_int_equal(tp_convert(in, out, &o, NULL), TP_OK);
}

static void test_cancel_leaves_nothing(void **state) {
  char in[300], out[300];
  tp_convert_options o = TP_CONVERT_OPTIONS_INIT;
  progress_log log;
  int before;
  (void)state;
  path_in(in, sizeof in, "cancel.safetensors");
  path_in(out, sizeof out, "cancel-out.safetensors");
  write_model(in, 8192); /* 32 MiB */
  before = dir_entries();
  memset(&log, 0, sizeof log);
  log.cancel_at = 1;
  o.type = TP_TYPE_F16;
  o.threads = 1;
  o.flags = TP_CONVERT_VERIFY;
  o.progress = on_progress;
  o.progress_user = &log;
  assert_int_equal(tp_convert(in, out, &o, NULL), TP_ECANCELED);
  assert_int_equal(access(out, F_OK), -1);
  assert_int_equal(dir_entries(), before); /* no temporary file either */
}

static void test_sharded_folder_output(void **state) {
  char in[300], out[300], shard[400];
  tp_convert_options o = TP_CONVERT_OPTIONS_INIT;
  tp_model *m;
  tp_plan *p;
  (void)state;
  path_in(in, sizeof in, "shard.safetensors");
  path_in(out, sizeof out, "sharded/");
  write_model(in, 64);
  assert_int_equal(tp_model_open(&m, in, NULL), TP_OK);
  o.split_max_size = 100000;
  o.flags = TP_CONVERT_NO_SYNC | TP_CONVERT_VERIFY;
  assert_int_equal(tp_plan_create(&p, m, out, &o), TP_OK);
  assert_int_equal(tp_plan_format(p), TP_FORMAT_HF);
  /* two shards (the big tensor alone) and the index */
  assert_int_equal(tp_plan_file_count(p), 3);
  assert_int_equal(tp_plan_execute(p, NULL), TP_OK);
  tp_plan_free(p);
  tp_model_free(m);
  snprintf(shard, sizeof shard, "%s/sharded/model.safetensors.index.json", g_dir);
  assert_int_equal(access(shard, F_OK), 0);
  /* the folder reads back as one model */
  path_in(out, sizeof out, "sharded");
  assert_int_equal(tp_model_open(&m, out, NULL), TP_OK);
  assert_int_equal(tp_model_format(m), TP_FORMAT_HF);
  assert_int_equal(tp_model_tensor_count(m), 3);
  assert_int_equal(tp_model_file_count(m), 2);
  tp_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plan_types_and_sizes),
      cmocka_unit_test(test_execute_verify_and_progress),
      cmocka_unit_test(test_cancel_leaves_nothing),
      cmocka_unit_test(test_sharded_folder_output),
  };
  return cmocka_run_group_tests(tests, unit_dir_setup, unit_dir_teardown);
}
