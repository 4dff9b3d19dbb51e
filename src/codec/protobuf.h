/*
 * protobuf.h - a bounded, zero-copy scanner for the protobuf wire format
 * (SentencePiece's tokenizer.model today, ONNX later).
 *
 * The scanner knows no schema: it walks the fields of one message in file
 * order and hands each one out with its number, wire type and payload (the
 * integer of a VARINT / I64 / I32 field, or a pointer into the caller's
 * buffer for a LEN field). Callers decide what a field means, check its wire
 * type with tp_pb_expect and open nested messages with tp_pb_sub, which
 * bounds the nesting depth. Nothing is copied or allocated.
 *
 * Rejected as TP_EFORMAT with the offset of the offending byte: a varint
 * longer than 10 bytes or above 2^64 - 1, a tag above 32 bits, field number
 * 0 or above 2^29 - 1, wire types 6 and 7, the deprecated groups (3 and 4:
 * neither SentencePiece nor ONNX uses them), a LEN or fixed-width payload
 * that runs past the end of its message. Nesting deeper than TP_PB_MAX_DEPTH
 * is TP_ELIMIT. Messages read "protobuf: offset N: <problem>"; callers
 * prefix the file and the message they were reading.
 *
 * Thread safety: a reader is a plain value over a read-only buffer; any
 * number of readers may scan the same buffer concurrently.
 */
#ifndef TP_PROTOBUF_H
#define TP_PROTOBUF_H

#include "../base/base.h"

/* Deep enough for ONNX graphs nested in attributes; a hostile file cannot
 * make a recursive caller use more stack than this many frames. */
#define TP_PB_MAX_DEPTH 64u
/* Largest field number the format allows (2^29 - 1). */
#define TP_PB_MAX_FIELD 536870911u

typedef enum tp_pb_wire {
  TP_PB_VARINT = 0,
  TP_PB_I64 = 1,
  TP_PB_LEN = 2,
  TP_PB_SGROUP = 3, /* deprecated; refused */
  TP_PB_EGROUP = 4, /* deprecated; refused */
  TP_PB_I32 = 5
} tp_pb_wire;

/* One message being scanned: [p, end) is what is left of it. base is the
 * start of the outermost buffer, so offsets in messages are file offsets. */
typedef struct tp_pb_reader {
  const uint8_t *p, *end, *base;
  unsigned depth; /* 0 for the outermost message */
} tp_pb_reader;

typedef struct tp_pb_field {
  uint32_t number;
  tp_pb_wire wire;
  uint64_t u;          /* VARINT: the value; I64 / I32: the raw bits */
  const uint8_t *data; /* LEN: the payload (inside the caller's buffer) */
  size_t len;          /* LEN: payload bytes */
  size_t offset;       /* offset of the field's tag from base */
} tp_pb_field;

/* A reader over the whole buffer data[0, len) (data may be NULL if len is 0). */
void tp_pb_reader_init(tp_pb_reader *r, const void *data, size_t len);

/* Reads the next field of r into *f. *more is false (and *f untouched) at
 * the end of the message. On error r is left where it was. */
tp_status tp_pb_next(tp_pb_reader *r, tp_pb_field *f, bool *more);

/* A reader over the LEN field f (read from parent) as a nested message; one
 * level deeper than parent (TP_ELIMIT beyond TP_PB_MAX_DEPTH). */
tp_status tp_pb_sub(const tp_pb_reader *parent, const tp_pb_field *f,
                    tp_pb_reader *child);

/* TP_EFORMAT naming the field (what: its name in the schema) unless f has
 * wire type w. */
tp_status tp_pb_expect(const tp_pb_field *f, tp_pb_wire w, const char *what);

/* Decodes one varint at *p (below end), advancing *p. For packed repeated
 * fields and the scanner itself. base gives the offset in messages. */
tp_status tp_pb_read_varint(const uint8_t **p, const uint8_t *end,
                            const uint8_t *base, uint64_t *out);

/* Interpretations of a field's integer (no checks of the wire type). */
static inline float tp_pb_float(const tp_pb_field *f) {
  return tp_bits_f32((uint32_t)f->u);
}
static inline double tp_pb_double(const tp_pb_field *f) {
  return tp_bits_f64(f->u);
}
/* sint32 / sint64 (ZigZag) */
static inline int64_t tp_pb_zigzag(uint64_t u) {
  return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}
/* int32 / enum: a negative int32 is sign-extended to ten bytes on the wire;
 * false when the value is not an int32 at all. */
static inline bool tp_pb_int32(const tp_pb_field *f, int32_t *out) {
  int64_t v = (int64_t)f->u;
  if (v < INT32_MIN || v > INT32_MAX) return false;
  *out = (int32_t)v;
  return true;
}

#endif /* TP_PROTOBUF_H */
