/*
 * json_load.c - a tokenizer file's JSON, read as the reference (Python's
 * json module) reads it: the codec's tp_json_parse_python (last duplicate
 * wins, "\u0000", integers beyond int64 as reals), with the file named in
 * the message.
 */
#include "tok_internal.h"

#include "../codec/json_in.h"

/* the model documents' depth limit (model/docs.h); tokenizer files need 8 */
#define TK_JSON_MAX_DEPTH 64

tp_status tp_tokenizer_json_parse(const char *text, size_t len,
                                  const char *what, json_t **out) {
  tp_status st = tp_json_parse_python(text, len, TK_JSON_MAX_DEPTH, out);
  if (st != TP_OK && st != TP_ENOMEM)
    st = tp_error_prefix("%s: JSON", what ? what : "tokenizer");
  return st;
}
