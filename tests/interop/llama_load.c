/*
 * llama_load.c - test driver: loads a GGUF model through libllama (the real
 * llama.cpp loader, split models included) and prints its tensor parameter
 * count and the file type the loader reports (llama_ftype_name: what
 * llama.cpp prints as "file type", "(guessed) ..." when the file has no
 * general.file_type). Built by scripts/setup.sh against the llama.cpp
 * sources it fetches; used by the interoperability tests.
 *
 *   tp-llama-load MODEL.gguf        exit 0 and, on success,
 *                                   "loaded N parameters"
 *                                   "file type: NAME (ftype N)"
 */
#include <stdio.h>

#include "llama.h"

static void quiet_log(enum ggml_log_level level, const char *text, void *user) {
  (void)user;
  if (level == GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

int main(int argc, char **argv) {
  struct llama_model_params mp;
  struct llama_model *model;
  if (argc != 2) {
    fprintf(stderr, "usage: %s MODEL.gguf\n", argv[0]);
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
