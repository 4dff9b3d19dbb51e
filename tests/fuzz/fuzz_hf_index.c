/*
 * fuzz_hf_index.c - libFuzzer target for the Hugging Face folder reader's
 * index handling (model.safetensors.index.json and its weight_map).
 *
 * One temporary folder per process holds fixed members that typical
 * weight_map values name: two valid shards (model-00001-of-00002 and
 * model-00002-of-00002), a model.safetensors that repeats tensor "a" of the
 * first shard, a symbolic link inside the folder, one leading outside it,
 * a dangling one, a sub-folder and a truncated shard. Each input is written
 * as the index (the only file rewritten per input), then the folder is
 * opened with tp_model_open. On success every tensor must be one of the
 * fixed ones and read back with the bytes its shard holds.
 * The folder is removed at exit.
 */
#define FUZZ_NAME "fuzz_hf_index"
#include "fuzz_util.h"
#include "tensorport.h"

/* The tensors of the fixed shards: name, bytes. */
typedef struct known {
  const char *name;
  const char *data;
  size_t len;
} known;

static const known g_known[] = {
    {"a", "\x00\x00\x80\x3f\x00\x00\x00\x40", 8},  /* F32 [1, 2] */
    {"b", "\x00\x3c\x00\x40\x00\x42\x00\x44", 8},  /* F16 [2, 2] */
    {"c", "\x80\x3f\x00\x40\x40\x40", 6},          /* BF16 [3] */
    {"e", "\x01\x02\x03\x04", 4},                  /* I8 [4] */
};

static char g_index[300];

/* A SafeTensors file: header JSON (space-padded to 8) + data. */
static void write_st(const char *name, const char *json, const void *data,
                     size_t dlen) {
  char path[400], buf[1024];
  size_t hl = strlen(json), pad = (8 - hl % 8) % 8, i;
  uint64_t n = hl + pad;
  check(8 + n + dlen <= sizeof buf);
  for (i = 0; i < 8; i++) buf[i] = (char)(n >> (8 * i));
  memcpy(buf + 8, json, hl);
  memset(buf + 8 + hl, ' ', pad);
  memcpy(buf + 8 + n, data, dlen);
  snprintf(path, sizeof path, "%s/%s", g_dir, name);
  fuzz_write_file(path, buf, (size_t)(8 + n + dlen));
}

static void setup(void) {
  char p[400];
  fuzz_setup_dir("hf");
  snprintf(g_index, sizeof g_index, "%s/model.safetensors.index.json", g_dir);
  {
    char d1[16];
    memcpy(d1, g_known[0].data, 8);
    memcpy(d1 + 8, g_known[1].data, 8);
    write_st("model-00001-of-00002.safetensors",
             "{\"__metadata__\":{\"format\":\"pt\"},"
             "\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},"
             "\"b\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[8,16]}}",
             d1, 16);
  }
  write_st("model-00002-of-00002.safetensors",
           "{\"c\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,6]}}",
           g_known[2].data, 6);
  {
    char d2[12];
    memcpy(d2, g_known[0].data, 8);
    memcpy(d2 + 8, g_known[3].data, 4);
    write_st("model.safetensors",
             "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]},"
             "\"e\":{\"dtype\":\"I8\",\"shape\":[4],\"data_offsets\":[8,12]}}",
             d2, 12);
  }
  /* a truncated shard: its header claims 8 bytes, the file has 4 */
  write_st("bad.safetensors",
           "{\"d\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
           "\0\0\0\0", 4);
  snprintf(p, sizeof p, "%s/inside.safetensors", g_dir);
  check(symlink("model-00002-of-00002.safetensors", p) == 0);
  snprintf(p, sizeof p, "%s/outside.safetensors", g_dir);
  /* resolves outside the folder (a file that is not a shard at all) */
  check(symlink("/proc/self/exe", p) == 0);
  snprintf(p, sizeof p, "%s/dangling.safetensors", g_dir);
  check(symlink("no-such-file.safetensors", p) == 0);
  snprintf(p, sizeof p, "%s/sub.safetensors", g_dir);
  check(mkdir(p, 0700) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tp_open_options oo = TP_OPEN_OPTIONS_INIT;
  tp_model *m = NULL;
  tp_status st;
  size_t i, j, n;
  if (!g_dir[0]) setup();
  fuzz_write_file(g_index, data, size);
  oo.format = TP_FORMAT_HF;
  st = tp_model_open(&m, g_dir, &oo);
  if (st != TP_OK) {
    check(m == NULL && tp_last_error()[0] != 0);
    return 0;
  }
  n = tp_model_tensor_count(m);
  check(n <= 4 && tp_model_file_count(m) <= 4);
  for (i = 0; i < n; i++) {
    tp_tensor_info ti;
    char buf[16];
    check(tp_model_tensor(m, i, &ti) == TP_OK);
    for (j = 0; j < sizeof g_known / sizeof g_known[0]; j++)
      if (ti.name.len == strlen(g_known[j].name) &&
          !memcmp(ti.name.data, g_known[j].name, ti.name.len))
        break;
    check(j < sizeof g_known / sizeof g_known[0]);
    check(ti.nbytes == g_known[j].len);
    check(tp_model_read(m, i, 0, buf, (size_t)ti.nbytes) == TP_OK);
    check(!memcmp(buf, g_known[j].data, g_known[j].len));
  }
  tp_model_free(m);
  return 0;
}
