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

/* ---- casts (cast.c) and CPU features (features.c) ----------------------- */

/* The arguments tp_convert_elements accepts: valid types, n a multiple of
 * both block sizes, buffers for n > 0, no complex to real. TP_EINVAL or
 * TP_EUNSUPPORTED with a message otherwise. */
tp_status tp_cast_check(tp_type dst_type, const void *dst, tp_type src_type,
                        const void *src, size_t n);
/* tp_convert_elements for plain types (and identical types of any kind, a
 * copy): the contract of tensorport.h. A pair with a block type is
 * TP_EUNSUPPORTED here; tp_convert_elements (src/quant/convert.c) takes
 * those through F32 with the quantizers. */
tp_status tp_cast_elements(tp_type dst_type, void *dst, tp_type src_type,
                           const void *src, size_t n);
/* Scalar reference of tp_cast_elements: same contract and the same bits,
 * but every pair goes through the exact-value path (no direct loops, no
 * SIMD). The tests compare the fast paths against it. */
tp_status tp_cast_elements_ref(tp_type dst_type, void *dst, tp_type src_type,
                               const void *src, size_t n);

/* CPU features that SIMD dispatch may use. */
enum {
  TP_CPU_AVX2 = 1u << 0,
  TP_CPU_F16C = 1u << 1,
  TP_CPU_FMA = 1u << 2,
  TP_CPU_NEON = 1u << 3
};
/* Features of the running CPU (and OS) that this build can use, restricted
 * by tp_cpu_set_mask. Cheap after the first call; thread-safe. */
unsigned tp_cpu_features(void);
/* Restricts tp_cpu_features to mask (all bits: no restriction) and returns
 * the previous mask. For tests that exercise the scalar paths; call it while
 * no conversion runs. */
unsigned tp_cpu_set_mask(unsigned mask);

/* Byte order of stored tensors (big-endian GGUF). A tensor's swap_size is
 * the element size to reverse (2, 4, 8), 0 for none, or
 * TP_SWAP_BLOCK_FIELDS for ggml block types, whose multi-byte fields (the
 * f16 scales) are reversed per block as gguf_convert_endian.py does. */
#define TP_SWAP_BLOCK_FIELDS 0xFFu

/* How t is swapped between byte orders: sets *swap_size and returns true,
 * or false for block types without a known field layout rule. */
bool tp_swap_rule(tp_type t, uint8_t *swap_size);

/* Swaps len bytes of tensor data of type t in place by rule swap_size.
 * len must hold whole elements or blocks; false otherwise. */
bool tp_swap_storage(tp_type t, uint8_t swap_size, void *buf, size_t len);

#endif /* TP_DTYPE_H */
