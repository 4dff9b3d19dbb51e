/*
 * cast_neon.c - NEON kernels of the hot float casts (cast_simd.h), aarch64.
 *
 * NEON is baseline on aarch64, so cast.c always uses these there. The FCVT
 * instructions follow FPCR (rounding mode, flush-to-zero, default NaN), so
 * each kernel runs with FPCR = 0 (round to nearest even, no flushing, NaN
 * propagation) and restores the caller's value. Like the x86 kernels they
 * replace NaN lanes with the reference NaN, since the hardware quiets
 * signalling NaNs; f64 -> f32 keeps the hardware NaN, which is the reference
 * one for that pair.
 */
#include "cast_simd.h"

#include <arm_neon.h>
#include <stdint.h>

static inline uint64_t fpcr_get(void) {
  uint64_t r;
  __asm__ __volatile__("mrs %0, fpcr" : "=r"(r));
  return r;
}

static inline void fpcr_set(uint64_t r) {
  __asm__ __volatile__("msr fpcr, %0" : : "r"(r));
}

static inline uint32x4_t load_u32x4(const uint8_t *p) {
  return vreinterpretq_u32_u8(vld1q_u8(p));
}

static inline uint16x4_t load_u16x4(const uint8_t *p) {
  return vreinterpret_u16_u8(vld1_u8(p));
}

static inline uint32x4_t nan_lanes_f32(uint32x4_t u) {
  return vcgtq_u32(vandq_u32(u, vdupq_n_u32(0x7FFFFFFF)),
                   vdupq_n_u32(0x7F800000));
}

static inline uint16x4_t f32_to_bf16_4(uint32x4_t u) {
  uint32x4_t lsb = vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(1));
  uint32x4_t r = vaddq_u32(vaddq_u32(u, vdupq_n_u32(0x7FFF)), lsb);
  r = vshrq_n_u32(r, 16);
  r = vbslq_u32(nan_lanes_f32(u), vdupq_n_u32(0x7FC0), r);
  return vmovn_u32(r);
}

static inline uint16x4_t f32_to_f16_4(uint32x4_t u) {
  uint16x4_t h =
      vreinterpret_u16_f16(vcvt_f16_f32(vreinterpretq_f32_u32(u)));
  uint32x4_t nan = nan_lanes_f32(u);
  if (vmaxvq_u32(nan)) {
    /* numpy: sign | 0x7C00 | top payload bits, never quieted, never 0 */
    uint32x4_t p = vandq_u32(vshrq_n_u32(u, 13), vdupq_n_u32(0x3FF));
    uint32x4_t zero = vceqq_u32(p, vdupq_n_u32(0));
    uint32x4_t soft;
    p = vorrq_u32(p, vandq_u32(zero, vdupq_n_u32(1)));
    soft = vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(0x8000));
    soft = vorrq_u32(vorrq_u32(soft, vdupq_n_u32(0x7C00)), p);
    h = vbsl_u16(vmovn_u32(nan), vmovn_u32(soft), h);
  }
  return h;
}

size_t tp_cast_neon_f32_to_f16(void *dst, const void *src, size_t n) {
  const uint8_t *s = (const uint8_t *)src;
  uint8_t *d = (uint8_t *)dst;
  uint64_t fpcr = fpcr_get();
  size_t i;
  fpcr_set(0);
  for (i = 0; i + 4 <= n; i += 4)
    vst1_u8(d + 2 * i, vreinterpret_u8_u16(f32_to_f16_4(load_u32x4(s + 4 * i))));
  fpcr_set(fpcr);
  return i;
}

size_t tp_cast_neon_f16_to_f32(void *dst, const void *src, size_t n) {
  const uint8_t *s = (const uint8_t *)src;
  uint8_t *d = (uint8_t *)dst;
  uint64_t fpcr = fpcr_get();
  size_t i;
  fpcr_set(0);
  for (i = 0; i + 4 <= n; i += 4) {
    uint16x4_t h = load_u16x4(s + 2 * i);
    uint32x4_t u =
        vreinterpretq_u32_f32(vcvt_f32_f16(vreinterpret_f16_u16(h)));
    uint32x4_t w = vmovl_u16(h);
    uint32x4_t nan = vcgtq_u32(vandq_u32(w, vdupq_n_u32(0x7FFF)),
                               vdupq_n_u32(0x7C00));
    if (vmaxvq_u32(nan)) {
      /* payload shifted into place, signalling NaNs stay signalling */
      uint32x4_t soft = vshlq_n_u32(vandq_u32(w, vdupq_n_u32(0x8000)), 16);
      soft = vorrq_u32(soft, vdupq_n_u32(0x7F800000));
      soft = vorrq_u32(soft,
                       vshlq_n_u32(vandq_u32(w, vdupq_n_u32(0x3FF)), 13));
      u = vbslq_u32(nan, soft, u);
    }
    vst1q_u8(d + 4 * i, vreinterpretq_u8_u32(u));
  }
  fpcr_set(fpcr);
  return i;
}

size_t tp_cast_neon_bf16_to_f16(void *dst, const void *src, size_t n) {
  const uint8_t *s = (const uint8_t *)src;
  uint8_t *d = (uint8_t *)dst;
  uint64_t fpcr = fpcr_get();
  size_t i;
  fpcr_set(0);
  for (i = 0; i + 4 <= n; i += 4) {
    uint32x4_t u = vshll_n_u16(load_u16x4(s + 2 * i), 16);
    uint16x4_t h =
        vreinterpret_u16_f16(vcvt_f16_f32(vreinterpretq_f32_u32(u)));
    uint32x4_t nan = nan_lanes_f32(u);
    if (vmaxvq_u32(nan)) {
      /* canonical quiet NaN with the sign (torch, ml_dtypes) */
      uint32x4_t soft = vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(0x8000));
      soft = vorrq_u32(soft, vdupq_n_u32(0x7E00));
      h = vbsl_u16(vmovn_u32(nan), vmovn_u32(soft), h);
    }
    vst1_u8(d + 2 * i, vreinterpret_u8_u16(h));
  }
  fpcr_set(fpcr);
  return i;
}

size_t tp_cast_neon_f16_to_bf16(void *dst, const void *src, size_t n) {
  const uint8_t *s = (const uint8_t *)src;
  uint8_t *d = (uint8_t *)dst;
  uint64_t fpcr = fpcr_get();
  size_t i;
  fpcr_set(0);
  for (i = 0; i + 4 <= n; i += 4) {
    uint16x4_t h = load_u16x4(s + 2 * i);
    uint32x4_t u = /* exact */
        vreinterpretq_u32_f32(vcvt_f32_f16(vreinterpret_f16_u16(h)));
    vst1_u8(d + 2 * i, vreinterpret_u8_u16(f32_to_bf16_4(u)));
  }
  fpcr_set(fpcr);
  return i;
}

size_t tp_cast_neon_f32_to_bf16(void *dst, const void *src, size_t n) {
  const uint8_t *s = (const uint8_t *)src;
  uint8_t *d = (uint8_t *)dst;
  size_t i;
  for (i = 0; i + 4 <= n; i += 4)
    vst1_u8(d + 2 * i,
            vreinterpret_u8_u16(f32_to_bf16_4(load_u32x4(s + 4 * i))));
  return i;
}

size_t tp_cast_neon_bf16_to_f32(void *dst, const void *src, size_t n) {
  const uint8_t *s = (const uint8_t *)src;
  uint8_t *d = (uint8_t *)dst;
  size_t i;
  for (i = 0; i + 4 <= n; i += 4)
    vst1q_u8(d + 4 * i,
             vreinterpretq_u8_u32(vshll_n_u16(load_u16x4(s + 2 * i), 16)));
  return i;
}

size_t tp_cast_neon_f64_to_f32(void *dst, const void *src, size_t n) {
  const uint8_t *s = (const uint8_t *)src;
  uint8_t *d = (uint8_t *)dst;
  uint64_t fpcr = fpcr_get();
  size_t i;
  fpcr_set(0);
  for (i = 0; i + 4 <= n; i += 4) {
    float64x2_t a = vreinterpretq_f64_u8(vld1q_u8(s + 8 * i));
    float64x2_t b = vreinterpretq_f64_u8(vld1q_u8(s + 8 * i + 16));
    float32x4_t f = vcvt_high_f32_f64(vcvt_f32_f64(a), b);
    vst1q_u8(d + 4 * i, vreinterpretq_u8_f32(f));
  }
  fpcr_set(fpcr);
  return i;
}
