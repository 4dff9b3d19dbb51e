/*
 * cast_x86.c - AVX2 + F16C kernels of the hot float casts (cast_simd.h).
 *
 * Built with -mavx2 -mf16c; cast.c calls these only when the CPU has both.
 * F16C rounds to nearest even with the rounding given in the instruction,
 * produces subnormals whatever MXCSR says, but quiets signalling NaNs and
 * keeps payloads the reference rules do not, so every kernel replaces its
 * NaN lanes with the reference NaN (only when a vector holds one). The f64
 * kernel uses MXCSR rounding, so it runs with the default MXCSR and restores
 * the caller's afterwards.
 */
#include "cast_simd.h"

#include <immintrin.h>
#include <stdint.h>

#define ROUND_NE (_MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)

/* 8 x u32 holding values <= 0xFFFF -> 8 x u16 */
static inline __m128i narrow_u16(__m256i v) {
  __m256i p = _mm256_packus_epi32(v, v);
  return _mm256_castsi256_si128(_mm256_permute4x64_epi64(p, 0x08));
}

/* 8 x u32 lane masks (0 or ~0) -> 8 x u16 lane masks */
static inline __m128i narrow_mask(__m256i m) {
  __m256i p = _mm256_packs_epi32(m, m);
  return _mm256_castsi256_si128(_mm256_permute4x64_epi64(p, 0x08));
}

static inline __m256i set1(int x) { return _mm256_set1_epi32(x); }

/* Lanes of u (binary32 patterns) that hold a NaN. */
static inline __m256i nan_lanes_f32(__m256i u) {
  return _mm256_cmpgt_epi32(_mm256_and_si256(u, set1(0x7FFFFFFF)),
                            set1(0x7F800000));
}

/* binary32 -> bfloat16 with round to nearest even; NaN lanes -> 0x7FC0. */
static inline __m128i f32_to_bf16_8(__m256i u) {
  __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), set1(1));
  __m256i r = _mm256_add_epi32(_mm256_add_epi32(u, set1(0x7FFF)), lsb);
  r = _mm256_srli_epi32(r, 16);
  r = _mm256_blendv_epi8(r, set1(0x7FC0), nan_lanes_f32(u));
  return narrow_u16(r);
}

size_t tp_cast_x86_f32_to_f16(void *dst, const void *src, size_t n) {
  const uint8_t *s = (const uint8_t *)src;
  uint8_t *d = (uint8_t *)dst;
  size_t i;
  for (i = 0; i + 8 <= n; i += 8) {
    __m256i u = _mm256_loadu_si256((const __m256i *)(s + 4 * i));
    __m128i h = _mm256_cvtps_ph(_mm256_castsi256_ps(u), ROUND_NE);
    __m256i nan = nan_lanes_f32(u);
    if (!_mm256_testz_si256(nan, nan)) {
      /* numpy: sign | 0x7C00 | top payload bits, never quieted, never 0 */
      __m256i p = _mm256_and_si256(_mm256_srli_epi32(u, 13), set1(0x3FF));
      __m256i zero = _mm256_cmpeq_epi32(p, _mm256_setzero_si256());
      __m256i soft;
      p = _mm256_or_si256(p, _mm256_and_si256(zero, set1(1)));
      soft = _mm256_and_si256(_mm256_srli_epi32(u, 16), set1(0x8000));
      soft = _mm256_or_si256(_mm256_or_si256(soft, set1(0x7C00)), p);
      h = _mm_blendv_epi8(h, narrow_u16(soft), narrow_mask(nan));
    }
    _mm_storeu_si128((__m128i *)(d + 2 * i), h);
  }
  return i;
}

size_t tp_cast_x86_f16_to_f32(void *dst, const void *src, size_t n) {
  const uint8_t *s = (const uint8_t *)src;
  uint8_t *d = (uint8_t *)dst;
  size_t i;
  for (i = 0; i + 8 <= n; i += 8) {
    __m128i h = _mm_loadu_si128((const __m128i *)(s + 2 * i));
    __m256i u = _mm256_castps_si256(_mm256_cvtph_ps(h));
    __m256i w = _mm256_cvtepu16_epi32(h);
    __m256i nan = _mm256_cmpgt_epi32(_mm256_and_si256(w, set1(0x7FFF)),
                                     set1(0x7C00));
    if (!_mm256_testz_si256(nan, nan)) {
      /* payload shifted into place, signalling NaNs stay signalling */
      __m256i soft =
          _mm256_slli_epi32(_mm256_and_si256(w, set1(0x8000)), 16);
      soft = _mm256_or_si256(soft, set1(0x7F800000));
      soft = _mm256_or_si256(
          soft, _mm256_slli_epi32(_mm256_and_si256(w, set1(0x3FF)), 13));
      u = _mm256_blendv_epi8(u, soft, nan);
    }
    _mm256_storeu_si256((__m256i *)(d + 4 * i), u);
  }
  return i;
}

size_t tp_cast_x86_bf16_to_f16(void *dst, const void *src, size_t n) {
  const uint8_t *s = (const uint8_t *)src;
  uint8_t *d = (uint8_t *)dst;
  size_t i;
  for (i = 0; i + 8 <= n; i += 8) {
    __m128i b = _mm_loadu_si128((const __m128i *)(s + 2 * i));
    __m256i u = _mm256_slli_epi32(_mm256_cvtepu16_epi32(b), 16);
    __m128i h = _mm256_cvtps_ph(_mm256_castsi256_ps(u), ROUND_NE);
    __m256i nan = nan_lanes_f32(u);
    if (!_mm256_testz_si256(nan, nan)) {
      /* canonical quiet NaN with the sign (torch, ml_dtypes) */
      __m256i soft = _mm256_and_si256(_mm256_srli_epi32(u, 16), set1(0x8000));
      soft = _mm256_or_si256(soft, set1(0x7E00));
      h = _mm_blendv_epi8(h, narrow_u16(soft), narrow_mask(nan));
    }
    _mm_storeu_si128((__m128i *)(d + 2 * i), h);
  }
  return i;
}

size_t tp_cast_x86_f16_to_bf16(void *dst, const void *src, size_t n) {
  const uint8_t *s = (const uint8_t *)src;
  uint8_t *d = (uint8_t *)dst;
  size_t i;
  for (i = 0; i + 8 <= n; i += 8) {
    __m128i h = _mm_loadu_si128((const __m128i *)(s + 2 * i));
    __m256i u = _mm256_castps_si256(_mm256_cvtph_ps(h)); /* exact */
    _mm_storeu_si128((__m128i *)(d + 2 * i), f32_to_bf16_8(u));
  }
  return i;
}

size_t tp_cast_x86_f32_to_bf16(void *dst, const void *src, size_t n) {
  const uint8_t *s = (const uint8_t *)src;
  uint8_t *d = (uint8_t *)dst;
  size_t i;
  for (i = 0; i + 8 <= n; i += 8) {
    __m256i u = _mm256_loadu_si256((const __m256i *)(s + 4 * i));
    _mm_storeu_si128((__m128i *)(d + 2 * i), f32_to_bf16_8(u));
  }
  return i;
}

size_t tp_cast_x86_bf16_to_f32(void *dst, const void *src, size_t n) {
  const uint8_t *s = (const uint8_t *)src;
  uint8_t *d = (uint8_t *)dst;
  size_t i;
  for (i = 0; i + 8 <= n; i += 8) {
    __m128i b = _mm_loadu_si128((const __m128i *)(s + 2 * i));
    __m256i u = _mm256_slli_epi32(_mm256_cvtepu16_epi32(b), 16);
    _mm256_storeu_si256((__m256i *)(d + 4 * i), u);
  }
  return i;
}

size_t tp_cast_x86_f64_to_f32(void *dst, const void *src, size_t n) {
  const uint8_t *s = (const uint8_t *)src;
  uint8_t *d = (uint8_t *)dst;
  unsigned csr = _mm_getcsr();
  size_t i;
  /* round to nearest, no flush to zero, exceptions masked; the hardware's
   * NaN (quieted, payload truncated) is the reference NaN for this pair */
  _mm_setcsr(0x1F80);
  for (i = 0; i + 8 <= n; i += 8) {
    __m256d a = _mm256_loadu_pd((const double *)(const void *)(s + 8 * i));
    __m256d b =
        _mm256_loadu_pd((const double *)(const void *)(s + 8 * i + 32));
    __m128 fa = _mm256_cvtpd_ps(a), fb = _mm256_cvtpd_ps(b);
    _mm256_storeu_ps((float *)(void *)(d + 4 * i),
                     _mm256_set_m128(fb, fa));
  }
  _mm_setcsr(csr);
  return i;
}
