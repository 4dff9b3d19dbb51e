/*
 * cast_simd.h - SIMD kernels of the hot float casts (f32/f16/bf16/f64).
 *
 * Shared by cast.c (dispatch and scalar tails), cast_x86.c (AVX2 + F16C) and
 * cast_neon.c (aarch64). Each kernel converts the longest prefix of the n
 * elements that fills whole vectors and returns how many it converted; the
 * caller finishes the rest with the scalar loop. The buffers are unaligned
 * little-endian arrays. Every kernel must give exactly the bits of the scalar
 * reference (tp_cast_elements_ref), NaN payloads included: the hardware
 * conversions quiet signalling NaNs and keep payloads that the reference
 * rules do not, so the kernels patch NaN lanes after converting.
 */
#ifndef TP_DTYPE_CAST_SIMD_H
#define TP_DTYPE_CAST_SIMD_H

#include <stddef.h>

#if defined(__x86_64__)
size_t tp_cast_x86_f32_to_f16(void *dst, const void *src, size_t n);
size_t tp_cast_x86_f16_to_f32(void *dst, const void *src, size_t n);
size_t tp_cast_x86_bf16_to_f16(void *dst, const void *src, size_t n);
size_t tp_cast_x86_f16_to_bf16(void *dst, const void *src, size_t n);
size_t tp_cast_x86_f32_to_bf16(void *dst, const void *src, size_t n);
size_t tp_cast_x86_bf16_to_f32(void *dst, const void *src, size_t n);
size_t tp_cast_x86_f64_to_f32(void *dst, const void *src, size_t n);
#endif

#if defined(__aarch64__) && defined(__AARCH64EL__)
size_t tp_cast_neon_f32_to_f16(void *dst, const void *src, size_t n);
size_t tp_cast_neon_f16_to_f32(void *dst, const void *src, size_t n);
size_t tp_cast_neon_bf16_to_f16(void *dst, const void *src, size_t n);
size_t tp_cast_neon_f16_to_bf16(void *dst, const void *src, size_t n);
size_t tp_cast_neon_f32_to_bf16(void *dst, const void *src, size_t n);
size_t tp_cast_neon_bf16_to_f32(void *dst, const void *src, size_t n);
size_t tp_cast_neon_f64_to_f32(void *dst, const void *src, size_t n);
#endif

#endif /* TP_DTYPE_CAST_SIMD_H */
