/*
 * spm_model.c - SentencePiece ModelProto parser on top of the protobuf
 * scanner (schema: sentencepiece_model.proto; rules in spm.h and
 * docs/formats/tokenizers.md).
 */
#include "spm.h"

#include "../base/arena.h"
#include "../codec/protobuf.h"

#include <stdlib.h>

/* ModelProto */
#define F_PIECES 1
#define F_TRAINER 2
#define F_NORMALIZER 3
/* SentencePiece */
#define F_PIECE 1
#define F_SCORE 2
#define F_TYPE 3
/* TrainerSpec */
#define F_MODEL_TYPE 3
#define F_BYTE_FALLBACK 35
#define F_UNK_ID 40
#define F_BOS_ID 41
#define F_EOS_ID 42
#define F_PAD_ID 43
#define F_UNK_PIECE 45
#define F_BOS_PIECE 46
#define F_EOS_PIECE 47
#define F_PAD_PIECE 48
/* NormalizerSpec */
#define F_NORM_NAME 1
#define F_CHARSMAP 2
#define F_DUMMY_PREFIX 3
#define F_EXTRA_WS 4
#define F_ESCAPE_WS 5

static tp_string str_of(const tp_pb_field *f) {
  tp_string s = {(const char *)f->data, f->len};
  return s;
}

static tp_string lit(const char *s) {
  tp_string r = {s, strlen(s)};
  return r;
}

static tp_status read_piece(const tp_pb_reader *parent, const tp_pb_field *pf,
                            tp_spm_piece *out, size_t index) {
  tp_pb_reader r;
  tp_pb_field f;
  bool more;
  tp_status st = tp_pb_sub(parent, pf, &r);
  if (st != TP_OK) return st;
  out->piece.data = "";
  out->piece.len = 0;
  out->score = 0.0f;
  out->type = TP_SPM_NORMAL;
  for (;;) {
    st = tp_pb_next(&r, &f, &more);
    if (st != TP_OK || !more) break;
    if (f.number == F_PIECE) {
      if ((st = tp_pb_expect(&f, TP_PB_LEN, "piece")) != TP_OK) break;
      out->piece = str_of(&f);
    } else if (f.number == F_SCORE) {
      if ((st = tp_pb_expect(&f, TP_PB_I32, "score")) != TP_OK) break;
      out->score = tp_pb_float(&f);
    } else if (f.number == F_TYPE) {
      if ((st = tp_pb_expect(&f, TP_PB_VARINT, "type")) != TP_OK) break;
      /* proto2 enum: an unknown value leaves the default */
      if (f.u >= TP_SPM_NORMAL && f.u <= TP_SPM_BYTE) out->type = (uint8_t)f.u;
    }
  }
  if (st != TP_OK)
    return tp_error_prefix("sentencepiece: piece %zu", index);
  return TP_OK;
}

static tp_status read_i32(const tp_pb_field *f, const char *what,
                          int32_t *out) {
  tp_status st = tp_pb_expect(f, TP_PB_VARINT, what);
  if (st != TP_OK) return st;
  if (!tp_pb_int32(f, out))
    return tp_error(TP_EFORMAT, "protobuf: offset %zu: field %u (%s): %lld is "
                    "not an int32", f->offset, f->number, what,
                    (long long)f->u);
  return TP_OK;
}

static tp_status read_trainer(const tp_pb_reader *parent,
                              const tp_pb_field *tf, tp_spm_model *m) {
  tp_pb_reader r;
  tp_pb_field f;
  bool more;
  tp_status st = tp_pb_sub(parent, tf, &r);
  if (st != TP_OK) return st;
  for (;;) {
    st = tp_pb_next(&r, &f, &more);
    if (st != TP_OK || !more) break;
    switch (f.number) {
    case F_MODEL_TYPE:
      if ((st = tp_pb_expect(&f, TP_PB_VARINT, "model_type")) != TP_OK) break;
      if (f.u >= TP_SPM_UNIGRAM && f.u <= TP_SPM_CHAR) m->model_type = (int)f.u;
      break;
    case F_BYTE_FALLBACK:
      if ((st = tp_pb_expect(&f, TP_PB_VARINT, "byte_fallback")) != TP_OK) break;
      m->byte_fallback = f.u != 0;
      break;
    case F_UNK_ID: st = read_i32(&f, "unk_id", &m->unk_id); break;
    case F_BOS_ID: st = read_i32(&f, "bos_id", &m->bos_id); break;
    case F_EOS_ID: st = read_i32(&f, "eos_id", &m->eos_id); break;
    case F_PAD_ID: st = read_i32(&f, "pad_id", &m->pad_id); break;
    case F_UNK_PIECE: case F_BOS_PIECE: case F_EOS_PIECE: case F_PAD_PIECE: {
      static const char *names[] = {"unk_piece", "bos_piece", "eos_piece",
                                    "pad_piece"};
      tp_string *dst[] = {&m->unk_piece, &m->bos_piece, &m->eos_piece,
                          &m->pad_piece};
      unsigned k = f.number - F_UNK_PIECE;
      if ((st = tp_pb_expect(&f, TP_PB_LEN, names[k])) != TP_OK) break;
      *dst[k] = str_of(&f);
      break;
    }
    default:
      break;
    }
    if (st != TP_OK) break;
  }
  if (st != TP_OK) return tp_error_prefix("sentencepiece: trainer_spec");
  return TP_OK;
}

static tp_status read_normalizer(const tp_pb_reader *parent,
                                 const tp_pb_field *nf, tp_spm_model *m) {
  tp_pb_reader r;
  tp_pb_field f;
  bool more;
  tp_status st = tp_pb_sub(parent, nf, &r);
  if (st != TP_OK) return st;
  m->has_normalizer_spec = true;
  for (;;) {
    bool *flag = NULL;
    const char *what = NULL;
    st = tp_pb_next(&r, &f, &more);
    if (st != TP_OK || !more) break;
    switch (f.number) {
    case F_NORM_NAME:
      if ((st = tp_pb_expect(&f, TP_PB_LEN, "name")) == TP_OK)
        m->normalizer_name = str_of(&f);
      break;
    case F_CHARSMAP:
      if ((st = tp_pb_expect(&f, TP_PB_LEN, "precompiled_charsmap")) == TP_OK)
        m->precompiled_charsmap = str_of(&f);
      break;
    case F_DUMMY_PREFIX: flag = &m->add_dummy_prefix; what = "add_dummy_prefix"; break;
    case F_EXTRA_WS: flag = &m->remove_extra_whitespaces; what = "remove_extra_whitespaces"; break;
    case F_ESCAPE_WS: flag = &m->escape_whitespaces; what = "escape_whitespaces"; break;
    default: break;
    }
    if (st == TP_OK && flag) {
      st = tp_pb_expect(&f, TP_PB_VARINT, what);
      if (st == TP_OK) *flag = f.u != 0;
    }
    if (st != TP_OK) break;
  }
  if (st != TP_OK) return tp_error_prefix("sentencepiece: normalizer_spec");
  return TP_OK;
}

static tp_string piece_key(const void *ctx, size_t i) {
  return ((const tp_spm_model *)ctx)->pieces[i].piece;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* "<0xXX>" with upper-case hex, as sentencepiece spells byte pieces. */
static bool is_byte_piece(tp_string s) {
  return s.len == 6 && !memcmp(s.data, "<0x", 3) && s.data[5] == '>' &&
         hexval(s.data[3]) >= 0 && hexval(s.data[4]) >= 0;
}

/* The checks of sentencepiece's model initialisation (see spm.h). */
static tp_status validate(tp_spm_model *m) {
  tp_strmap map;
  size_t i, n_unk = 0, n_byte = 0;
  char q[256];
  tp_status st = TP_OK;
  tp_strmap_init(&map);
  for (i = 0; i < m->n && st == TP_OK; i++) {
    const tp_spm_piece *p = &m->pieces[i];
    size_t bad;
    if (!p->piece.len) {
      st = tp_error(TP_EFORMAT, "sentencepiece: piece %zu: empty piece", i);
      break;
    }
    tp_quote_for_message(q, sizeof q, p->piece.data, p->piece.len);
    if (!tp_utf8_valid(p->piece.data, p->piece.len, &bad)) {
      st = tp_error(TP_EFORMAT, "sentencepiece: piece %zu \"%s\": not UTF-8 "
                    "(byte %zu)", i, q, bad);
      break;
    }
    if (tp_strmap_find(&map, p->piece.data, p->piece.len, piece_key, m) !=
        SIZE_MAX) {
      st = tp_error(TP_EFORMAT, "sentencepiece: piece %zu \"%s\": defined "
                    "twice (first at %zu)", i, q,
                    tp_strmap_find(&map, p->piece.data, p->piece.len,
                                   piece_key, m));
      break;
    }
    st = tp_strmap_insert(&map, i, piece_key, m);
    if (p->type == TP_SPM_UNKNOWN && n_unk++)
      st = tp_error(TP_EFORMAT, "sentencepiece: piece %zu \"%s\": a second "
                    "UNKNOWN piece", i, q);
    if (p->type == TP_SPM_BYTE) {
      n_byte++;
      if (!m->byte_fallback)
        st = tp_error(TP_EFORMAT, "sentencepiece: piece %zu \"%s\": BYTE piece "
                      "although trainer_spec.byte_fallback is false", i, q);
      else if (!is_byte_piece(p->piece))
        st = tp_error(TP_EFORMAT, "sentencepiece: piece %zu \"%s\": BYTE piece "
                      "is not <0xXX>", i, q);
    }
  }
  tp_strmap_free(&map);
  if (st != TP_OK) return st;
  if (!n_unk)
    return tp_error(TP_EFORMAT, "sentencepiece: no UNKNOWN piece (%zu pieces)",
                    m->n);
  if (m->byte_fallback && n_byte != 256)
    return tp_error(TP_EFORMAT, "sentencepiece: byte_fallback needs 256 BYTE "
                    "pieces (%zu vs 256)", n_byte);
  return TP_OK;
}

tp_status tp_spm_parse(const uint8_t *data, size_t len, tp_spm_model *m) {
  tp_pb_reader r;
  tp_pb_field f;
  bool more;
  size_t cap = 0;
  tp_status st;

  memset(m, 0, sizeof *m);
  m->model_type = TP_SPM_UNIGRAM;
  m->unk_id = 0;
  m->bos_id = 1;
  m->eos_id = 2;
  m->pad_id = -1;
  m->unk_piece = lit("<unk>");
  m->bos_piece = lit("<s>");
  m->eos_piece = lit("</s>");
  m->pad_piece = lit("<pad>");
  m->add_dummy_prefix = m->remove_extra_whitespaces = m->escape_whitespaces =
      true;
  m->normalizer_name = lit("");
  m->precompiled_charsmap = lit("");

  tp_pb_reader_init(&r, data, len);
  for (;;) {
    st = tp_pb_next(&r, &f, &more);
    if (st != TP_OK) {
      tp_error_prefix("sentencepiece: ModelProto");
      break;
    }
    if (!more) break;
    if (f.number == F_PIECES) {
      st = tp_grow((void **)&m->pieces, &cap, m->n + 1, sizeof *m->pieces);
      if (st == TP_OK) st = read_piece(&r, &f, &m->pieces[m->n], m->n);
      if (st == TP_OK) m->n++;
    } else if (f.number == F_TRAINER) {
      st = read_trainer(&r, &f, m);
    } else if (f.number == F_NORMALIZER) {
      st = read_normalizer(&r, &f, m);
    }
    if (st != TP_OK) break;
  }
  if (st == TP_OK) st = validate(m);
  if (st != TP_OK) tp_spm_free(m);
  return st;
}

void tp_spm_free(tp_spm_model *m) {
  if (!m) return;
  free(m->pieces);
  m->pieces = NULL;
  m->n = 0;
}
