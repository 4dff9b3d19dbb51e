/*
 * quant.h - ggml block types: reference quantizers and dequantizers.
 *
 * Quantizers reproduce llama.cpp's reference row quantizers without an
 * importance matrix byte for byte (strict binary32, no contraction, the same
 * operation order and rounding functions). Dequantizers cover every ggml
 * type. All functions are pure and thread-safe. n is an element count and
 * must be a multiple of the type's block size. convert.c is the public
 * tp_convert_elements: casts (src/dtype) plus the block types through F32.
 */
#ifndef TP_QUANT_H
#define TP_QUANT_H

#include "../base/base.h"

/* True when tp_quantize supports t (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K..Q6_K,
 * TQ1_0, TQ2_0, MXFP4, NVFP4, Q1_0, Q2_0, plus the helpers Q8_1/Q8_K); the
 * IQ types are decode-only. */
bool tp_quant_can_quantize(tp_type t);
/* True when tp_dequantize supports t (every ggml block type). */
bool tp_quant_can_dequantize(tp_type t);

/* f32 -> blocks. Dispatches to a SIMD path when the CPU has one; the result
 * is identical to tp_quantize_ref. */
tp_status tp_quantize(tp_type t, const float *src, void *dst, size_t n);
/* blocks -> f32 (SIMD where available, identical to the reference). */
tp_status tp_dequantize(tp_type t, const void *src, float *dst, size_t n);

/* Scalar reference paths, used by the tests to check the SIMD paths. */
tp_status tp_quantize_ref(tp_type t, const float *src, void *dst, size_t n);
tp_status tp_dequantize_ref(tp_type t, const void *src, float *dst, size_t n);

/* Scalar reference of tp_convert_elements (tensorport.h; convert.c): the
 * exact-value casts (tp_cast_elements_ref) and the reference quantizers, so
 * the same bits as tp_convert_elements by another path. */
tp_status tp_convert_elements_ref(tp_type dst_type, void *dst,
                                  tp_type src_type, const void *src,
                                  size_t n);

/* f16 <-> f32 scalar helpers as ggml defines them (round to nearest even,
 * subnormals kept, NaN -> quiet NaN). Shared by the block codecs. */
uint16_t tp_quant_f32_to_f16(float f);
float tp_quant_f16_to_f32(uint16_t h);

#endif /* TP_QUANT_H */
