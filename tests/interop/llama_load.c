/*
 * llama_load.c - test driver: loads a GGUF model through libllama (the real
 * llama.cpp loader, split models included) and prints its tensor parameter
 * count and the file type the loader reports (llama_ftype_name: what
 * llama.cpp prints as "file type", "(guessed) ..." when the file has no
 * general.file_type); or, with --tokenize, loads only the vocabulary
 * (llama_model_params.vocab_only, so vocab-only GGUFs work) and prints the
 * ids llama.cpp's tokenizer gives for each text. Built by scripts/setup.sh
 * against the llama.cpp sources it fetches; used by the interoperability
 * tests.
 *
 *   tp-llama-load MODEL.gguf        exit 0 and, on success,
 *                                   "loaded N parameters"
 *                                   "file type: NAME (ftype N)"
 *   tp-llama-load --tokenize TEXTS MODEL.gguf
 *                                   TEXTS holds texts separated by NUL
 *                                   bytes; one line per text: its ids,
 *                                   space-separated, tokenized with
 *                                   add_special and parse_special (what
 *                                   transformers' encode(text) does)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llama.h"

static void quiet_log(enum ggml_log_level level, const char *text, void *user) {
  (void)user;
  if (level == GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

static char *read_file(const char *path, long *len) {
  FILE *f = fopen(path, "rb");
  char *buf;
  if (!f) return NULL;
  if (fseek(f, 0, SEEK_END) != 0 || (*len = ftell(f)) < 0 ||
      fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    return NULL;
  }
  buf = malloc((size_t)*len + 1);
  if (buf && fread(buf, 1, (size_t)*len, f) != (size_t)*len) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) buf[*len] = 0;
  return buf;
}

static int tokenize(const char *texts_path, const char *model_path) {
  struct llama_model_params mp = llama_model_default_params();
  struct llama_model *model;
  const struct llama_vocab *vocab;
  long len, pos = 0;
  char *texts = read_file(texts_path, &len);
  int rc = 0;
  if (!texts) {
    fprintf(stderr, "cannot read %s\n", texts_path);
    return 2;
  }
  mp.vocab_only = 1;
  model = llama_model_load_from_file(model_path, mp);
  if (!model) {
    fprintf(stderr, "llama.cpp failed to load %s\n", model_path);
    free(texts);
    return 1;
  }
  vocab = llama_model_get_vocab(model);
  while (pos <= len) {
    const char *t = texts + pos;
    int32_t tl = (int32_t)strlen(t), n, i, cap = tl + 16;
    llama_token *ids = malloc(sizeof *ids * (size_t)cap);
    if (pos == len) {
      free(ids);
      break;
    }
    n = llama_tokenize(vocab, t, tl, ids, cap, 1, 1);
    if (n < 0) {
      cap = -n;
      ids = realloc(ids, sizeof *ids * (size_t)cap);
      n = llama_tokenize(vocab, t, tl, ids, cap, 1, 1);
    }
    if (n < 0) {
      fprintf(stderr, "llama_tokenize failed on text at byte %ld\n", pos);
      free(ids);
      rc = 1;
      break;
    }
    for (i = 0; i < n; i++) printf(i ? " %d" : "%d", ids[i]);
    putchar('\n');
    free(ids);
    pos += tl + 1;
  }
  llama_model_free(model);
  free(texts);
  return rc;
}

int main(int argc, char **argv) {
  struct llama_model_params mp;
  struct llama_model *model;
  int rc;
  if (argc == 4 && !strcmp(argv[1], "--tokenize")) {
    llama_log_set(quiet_log, NULL);
    llama_backend_init();
    rc = tokenize(argv[2], argv[3]);
    llama_backend_free();
    return rc;
  }
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODEL.gguf\n"
                    "       %s --tokenize TEXTS MODEL.gguf\n", argv[0], argv[0]);
    return 2;
  }
  llama_log_set(quiet_log, NULL);
  llama_backend_init();
  mp = llama_model_default_params();
  mp.check_tensors = 1;
  model = llama_model_load_from_file(argv[1], mp);
  if (!model) {
    fprintf(stderr, "llama.cpp failed to load %s\n", argv[1]);
    llama_backend_free();
    return 1;
  }
  printf("loaded %llu parameters\n",
         (unsigned long long)llama_model_n_params(model));
  printf("file type: %s (ftype %d)\n", llama_ftype_name(llama_model_ftype(model)),
         (int)llama_model_ftype(model));
  llama_model_free(model);
  llama_backend_free();
  return 0;
}
