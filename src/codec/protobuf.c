/*
 * protobuf.c - the protobuf wire-format scanner (see protobuf.h for the
 * rules it enforces).
 */
#include "protobuf.h"

static const char *wire_name(unsigned w) {
  static const char *names[] = {"VARINT", "I64",    "LEN",      "SGROUP",
                                "EGROUP", "I32",    "invalid 6", "invalid 7"};
  return w < TP_ARRAY_LEN(names) ? names[w] : "?";
}

static size_t off(const uint8_t *base, const uint8_t *p) {
  return (size_t)(p - base);
}

void tp_pb_reader_init(tp_pb_reader *r, const void *data, size_t len) {
  r->base = (const uint8_t *)data;
  r->p = r->base;
  r->end = r->base ? r->base + len : r->base;
  r->depth = 0;
}

tp_status tp_pb_read_varint(const uint8_t **pp, const uint8_t *end,
                            const uint8_t *base, uint64_t *out) {
  const uint8_t *p = *pp;
  uint64_t v = 0;
  unsigned i;
  for (i = 0; i < 10; i++) {
    uint8_t b;
    if (p == end)
      return tp_error(TP_EFORMAT,
                      "protobuf: offset %zu: varint runs past the end of its "
                      "message (%u bytes read)", off(base, *pp), i);
    b = *p++;
    /* the tenth byte holds bit 63 only */
    if (i == 9 && b > 1)
      return tp_error(TP_EFORMAT,
                      "protobuf: offset %zu: varint overflows 64 bits (tenth "
                      "byte 0x%02x vs at most 0x01)", off(base, *pp), b);
    v |= (uint64_t)(b & 0x7f) << (7 * i);
    if (!(b & 0x80)) {
      *pp = p;
      *out = v;
      return TP_OK;
    }
  }
  return tp_error(TP_EFORMAT,
                  "protobuf: offset %zu: varint longer than 10 bytes",
                  off(base, *pp));
}

tp_status tp_pb_next(tp_pb_reader *r, tp_pb_field *f, bool *more) {
  const uint8_t *p = r->p;
  uint64_t tag, v;
  unsigned wire;
  tp_status st;
  size_t at = off(r->base, p);

  if (p == r->end) {
    *more = false;
    return TP_OK;
  }
  st = tp_pb_read_varint(&p, r->end, r->base, &tag);
  if (st != TP_OK) return st;
  if (tag > UINT32_MAX)
    return tp_error(TP_EFORMAT, "protobuf: offset %zu: tag 0x%llx above 32 bits",
                    at, (unsigned long long)tag);
  wire = (unsigned)(tag & 7);
  if ((tag >> 3) == 0 || (tag >> 3) > TP_PB_MAX_FIELD)
    return tp_error(TP_EFORMAT,
                    "protobuf: offset %zu: field number %llu (vs 1..%u)", at,
                    (unsigned long long)(tag >> 3), TP_PB_MAX_FIELD);
  memset(f, 0, sizeof *f);
  f->number = (uint32_t)(tag >> 3);
  f->wire = (tp_pb_wire)wire;
  f->offset = at;
  switch (wire) {
  case TP_PB_VARINT:
    st = tp_pb_read_varint(&p, r->end, r->base, &f->u);
    if (st != TP_OK) return st;
    break;
  case TP_PB_I64:
  case TP_PB_I32: {
    size_t n = wire == TP_PB_I64 ? 8 : 4;
    if ((size_t)(r->end - p) < n)
      return tp_error(TP_EFORMAT,
                      "protobuf: offset %zu: field %u: %s value runs past the "
                      "end of its message (%zu bytes left vs %zu)", at,
                      f->number, wire_name(wire), (size_t)(r->end - p), n);
    f->u = n == 8 ? tp_load_le64(p) : tp_load_le32(p);
    p += n;
    break;
  }
  case TP_PB_LEN:
    st = tp_pb_read_varint(&p, r->end, r->base, &v);
    if (st != TP_OK) return st;
    if (v > (uint64_t)(r->end - p))
      return tp_error(TP_EFORMAT,
                      "protobuf: offset %zu: field %u: length runs past the "
                      "end of its message (%llu bytes vs %zu left)", at,
                      f->number, (unsigned long long)v, (size_t)(r->end - p));
    f->data = p;
    f->len = (size_t)v;
    p += (size_t)v;
    break;
  default:
    return tp_error(TP_EFORMAT,
                    "protobuf: offset %zu: field %u: wire type %u (%s) is not "
                    "supported (vs VARINT, I64, LEN or I32)", at, f->number,
                    wire, wire_name(wire));
  }
  r->p = p;
  *more = true;
  return TP_OK;
}

tp_status tp_pb_sub(const tp_pb_reader *parent, const tp_pb_field *f,
                    tp_pb_reader *child) {
  if (f->wire != TP_PB_LEN)
    return tp_error(TP_EFORMAT,
                    "protobuf: offset %zu: field %u: a message needs wire type "
                    "LEN (vs %s)", f->offset, f->number, wire_name(f->wire));
  if (parent->depth + 1 > TP_PB_MAX_DEPTH)
    return tp_error(TP_ELIMIT,
                    "protobuf: offset %zu: field %u: messages nested deeper "
                    "than %u levels", f->offset, f->number, TP_PB_MAX_DEPTH);
  child->base = parent->base;
  child->p = f->data;
  child->end = f->data + f->len;
  child->depth = parent->depth + 1;
  return TP_OK;
}

tp_status tp_pb_expect(const tp_pb_field *f, tp_pb_wire w, const char *what) {
  if (f->wire == w) return TP_OK;
  return tp_error(TP_EFORMAT,
                  "protobuf: offset %zu: field %u (%s): wire type %s vs %s",
                  f->offset, f->number, what, wire_name(f->wire),
                  wire_name(w));
}
