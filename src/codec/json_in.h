/*
 * json_in.h - reading JSON text: the bracket-depth scan that runs before
 * any parser (so the depth limit is ours, not the parser's recursion), and
 * the reader of JSON documents written by Python (config.json,
 * tokenizer.json, ...), which takes them the way Python's json module, the
 * reference tools' reader, does.
 */
#ifndef TP_JSON_IN_H
#define TP_JSON_IN_H

#include "../base/base.h"

#include <jansson.h>

/* Nesting depth of brackets outside strings in s[0..len). Returns the
 * offset of the bracket that first goes deeper than max (SIZE_MAX when
 * none does) and the depth reached at the end, or at that bracket, in
 * *depth_at_end (if non-NULL). Linear, no recursion. */
size_t tp_json_scan_depth(const char *s, size_t len, unsigned max,
                          unsigned *depth_at_end);

/* Line (from 1) and column (characters from the start of the line, from 1
 * for the first one) of byte offset off in s, as jansson counts them in
 * its json_error_t. */
void tp_json_line_column(const char *s, size_t len, size_t off, int *line,
                         int *column);

/* "an object", "an array", "a string", "an integer", "a floating-point
 * number", "true", "false", "null": what v is, for messages. */
const char *tp_json_kind(const json_t *v);

/* Parses text[0..len) (any JSON value at the top) as Python's json.loads
 * reads it, with jansson:
 *  - of duplicate keys the last wins; "\u0000" is allowed in strings;
 *  - integer literals outside int64 (tokenizer_config.json's
 *    model_max_length is usually 1000000000000000019884624838656) are
 *    reals, as jansson cannot hold them;
 *  - NaN, Infinity and -Infinity (which Python writes for non-finite
 *    floats), and reals beyond the double range (Python: inf), are null,
 *    as jansson has no such reals.
 * What Python accepts and this does not: NUL bytes in object keys and lone
 * surrogate escapes (jansson refuses both). Nesting deeper than max_depth
 * is TP_ELIMIT before any parsing; malformed text is TP_EFORMAT. Messages
 * ("line L column C: <problem>", from the text as given) name no file: the
 * caller prefixes it. *out gets a new reference on success. */
tp_status tp_json_parse_python(const char *text, size_t len,
                               unsigned max_depth, json_t **out);

#endif /* TP_JSON_IN_H */
