/*
 * fuzz_docs.c - libFuzzer target for the reader of a model's JSON documents
 * (tp_json_parse_python, codec/json_in.c): the depth scan, the rewriting of
 * Python's extensions (big integers, NaN, Infinity, reals beyond the double
 * range) outside strings, and the mapping of an error back to the line and
 * column of the text as given.
 *
 * Oracles beyond "no crash": jansson alone is the reference. Text it accepts
 * holds none of the extensions, so the reader must accept it too (unless it
 * is nested deeper than the limit, TP_ELIMIT) with an equal tree. Whatever
 * the reader accepts re-renders as JSON that jansson reads back equal. A
 * refusal says where: a line within the text and a column within that line.
 */
#define FUZZ_NAME "fuzz_docs"
#include "fuzz_util.h"

#include "codec/json_in.h"
#include "model/docs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *text = (const char *)data;
  json_error_t je;
  json_t *ref, *ours = NULL, *again;
  tp_status st;
  unsigned depth;
  bool too_deep = tp_json_scan_depth(text, size, TP_DOC_MAX_DEPTH, &depth) != SIZE_MAX;
  ref = json_loadb(text, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
  st = tp_json_parse_python(text, size, TP_DOC_MAX_DEPTH, &ours);
  check(too_deep ? st == TP_ELIMIT : st != TP_ELIMIT);
  if (ref && !too_deep) check(st == TP_OK && json_equal(ref, ours));
  if (st == TP_OK) {
    char *dump = json_dumps(ours, JSON_ENCODE_ANY);
    check(dump != NULL);
    again = json_loads(dump, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    check(again && json_equal(again, ours));
    json_decref(again);
    free(dump);
  } else if (st == TP_EFORMAT) {
    /* "line L column C: ..." with L and C inside the text */
    int line = 0, col = -1, n = 0, lines = 1, longest = 0, cur = 0;
    size_t i;
    check(sscanf(tp_last_error(), "line %d column %d: %n", &line, &col, &n) == 2 && n > 0);
    for (i = 0; i < size; i++) {
      if (text[i] == '\n') {
        lines++;
        cur = 0;
      } else if ((data[i] & 0xC0) != 0x80 && ++cur > longest) {
        longest = cur;
      }
    }
    check(line >= 1 && line <= lines && col >= 0 && col <= longest);
  } else {
    check(st == TP_ELIMIT || st == TP_ENOMEM);
  }
  json_decref(ours);
  json_decref(ref);
  return 0;
}
