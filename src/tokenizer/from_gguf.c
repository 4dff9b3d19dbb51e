/*
 * from_gguf.c - the way back: tokenizer.* GGUF metadata to tokenizer.json,
 * tokenizer_config.json and special_tokens_map.json.
 */
#include "tok_internal.h"

#include <stdlib.h>

tp_status tp_tokenizer_from_gguf(const tp_metastore *gguf_meta,
                                 const char *arch, tp_hf_tokenizer_files *out) {
  (void)gguf_meta;
  (void)arch;
  memset(out, 0, sizeof *out);
  return tp_error(TP_EUNSUPPORTED, "not yet");
}

void tp_hf_tokenizer_files_free(tp_hf_tokenizer_files *f) {
  if (!f) return;
  free(f->tokenizer_json);
  free(f->tokenizer_config);
  free(f->special_tokens_map);
  memset(f, 0, sizeof *f);
}
