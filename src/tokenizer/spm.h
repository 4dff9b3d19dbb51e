/*
 * spm.h - the SentencePiece model (tokenizer.model): a ModelProto read with
 * the protobuf scanner into the fields the GGUF export and the way back
 * need.
 *
 * The parser accepts what sentencepiece's own loader accepts (0.2.x:
 * SentencePieceProcessor::LoadFromSerializedProto) and refuses what it
 * refuses: an empty piece, a piece defined twice, no UNKNOWN piece or two of
 * them, a BYTE piece without trainer_spec.byte_fallback, a BYTE piece that
 * is not "<0xXX>" or fewer or more than 256 of them with byte_fallback, a
 * known field with the wrong wire type. It also refuses pieces that are not
 * UTF-8 (the Python wrapper the reference converter uses cannot decode
 * them). An enum value the schema does not know reads as the field's
 * default, as protobuf does for proto2 enums (a piece type of 9 is NORMAL).
 *
 * Ownership: the pieces point into the caller's buffer (zero copy); the
 * buffer must outlive the model. tp_spm_free releases the piece table.
 */
#ifndef TP_SPM_H
#define TP_SPM_H

#include "../base/base.h"

/* ModelProto.SentencePiece.Type */
enum {
  TP_SPM_NORMAL = 1,
  TP_SPM_UNKNOWN = 2,
  TP_SPM_CONTROL = 3,
  TP_SPM_USER_DEFINED = 4,
  TP_SPM_UNUSED = 5,
  TP_SPM_BYTE = 6
};

/* TrainerSpec.ModelType */
enum { TP_SPM_UNIGRAM = 1, TP_SPM_BPE = 2, TP_SPM_WORD = 3, TP_SPM_CHAR = 4 };

typedef struct tp_spm_piece {
  tp_string piece; /* UTF-8, not NUL-terminated */
  float score;
  uint8_t type;    /* TP_SPM_* */
} tp_spm_piece;

typedef struct tp_spm_model {
  tp_spm_piece *pieces;
  size_t n;
  int model_type;          /* TP_SPM_UNIGRAM (default), BPE, WORD, CHAR */
  bool byte_fallback;      /* trainer_spec.byte_fallback (default false) */
  int32_t unk_id, bos_id, eos_id, pad_id; /* trainer_spec (0, 1, 2, -1) */
  tp_string unk_piece, bos_piece, eos_piece, pad_piece; /* "<unk>" ... */
  /* normalizer_spec (defaults true); has_normalizer_spec tells whether the
   * message was present at all */
  bool has_normalizer_spec;
  bool add_dummy_prefix, remove_extra_whitespaces, escape_whitespaces;
  tp_string normalizer_name;      /* "" when absent */
  tp_string precompiled_charsmap; /* empty when absent */
} tp_spm_model;

/* Parses data[0, len). Messages: "sentencepiece: <locus>: <problem>";
 * callers prefix the file. Errors: TP_EFORMAT, TP_ELIMIT (nesting),
 * TP_ENOMEM. On failure *m holds nothing to free. */
tp_status tp_spm_parse(const uint8_t *data, size_t len, tp_spm_model *m);
void tp_spm_free(tp_spm_model *m);

#endif /* TP_SPM_H */
