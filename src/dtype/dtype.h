/*
 * dtype.h - element-type table (internal view) and the conversion kernels.
 *
 * The table is data: names, aliases, block geometry, SafeTensors sort rank
 * and ggml ids. Kernels: scalar casts between every pair of plain types, with
 * SIMD fast paths for the hot pairs (f32/f16/bf16) that must give the same
 * bits as the scalar path.
 */
#ifndef TP_DTYPE_H
#define TP_DTYPE_H

#include "../base/base.h"

typedef enum tp_type_kind {
  TP_KIND_FLOAT = 0, /* IEEE-like float, incl. F8/F6/F4/E8M0 */
  TP_KIND_SINT,
  TP_KIND_UINT,
  TP_KIND_BOOL,
  TP_KIND_COMPLEX,
  TP_KIND_QUANT /* ggml block type */
} tp_type_kind;

typedef struct tp_type_traits {
  const char *name;    /* canonical name */
  const char *st_name; /* SafeTensors dtype string or NULL */
  int ggml_id;         /* ggml type id or -1 */
  uint32_t blck;       /* elements per block */
  uint32_t bytes;      /* bytes per block */
  tp_type_kind kind;
  int st_rank;         /* SafeTensors writer order (enum Dtype order) or -1 */
} tp_type_traits;

const tp_type_traits *tp_type_traits_of(tp_type t);

/* Bytes needed for n elements; false when n is not a multiple of the block
 * size or the product overflows. */
bool tp_type_nbytes(tp_type t, uint64_t n, uint64_t *out);

/* SafeTensors dtype string -> type (exact, case-sensitive, as the reference
 * crate requires). */
bool tp_type_from_safetensors_name(const char *s, size_t len, tp_type *out);

#endif /* TP_DTYPE_H */
