/*
 * features.c - run-time CPU feature detection for SIMD dispatch, and the
 * public build-features string.
 *
 * x86-64 kernels are compiled with -mavx2 -mf16c into separate files and may
 * only run when the CPU and the OS (saved YMM state) support them;
 * __builtin_cpu_supports checks both. NEON is part of the aarch64 baseline.
 * The detected set is cached in an atomic so concurrent first calls are
 * harmless; the test-only mask lets the tests run the scalar paths on a SIMD
 * machine.
 */
#include "dtype.h"

#include <stdatomic.h>
#if defined(__x86_64__) && defined(__GNUC__)
#  include <cpuid.h>
#endif

#define TP_CPU_DETECTED 0x80000000u /* cache holds a detection result */

static atomic_uint g_detected;
static atomic_uint g_mask = ~0u;

static unsigned detect(void) {
  unsigned f = 0;
#if defined(__x86_64__) && defined(__GNUC__)
  unsigned a, b, c, d;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) f |= TP_CPU_AVX2;
  if (__builtin_cpu_supports("fma")) f |= TP_CPU_FMA;
  /* clang's __builtin_cpu_supports does not know "f16c": read CPUID.1:ECX
   * bit 29. F16C uses the YMM state that the AVX2 check already verified
   * the OS saves. */
  if ((f & TP_CPU_AVX2) && __get_cpuid(1, &a, &b, &c, &d) && (c >> 29) & 1)
    f |= TP_CPU_F16C;
#elif defined(__aarch64__) && defined(__AARCH64EL__)
  f |= TP_CPU_NEON;
#endif
  return f;
}

unsigned tp_cpu_features(void) {
  unsigned d = atomic_load_explicit(&g_detected, memory_order_relaxed);
  if (!(d & TP_CPU_DETECTED)) {
    d = detect() | TP_CPU_DETECTED;
    atomic_store_explicit(&g_detected, d, memory_order_relaxed);
  }
  return d & ~TP_CPU_DETECTED &
         atomic_load_explicit(&g_mask, memory_order_relaxed);
}

unsigned tp_cpu_set_mask(unsigned mask) {
  return atomic_exchange_explicit(&g_mask, mask, memory_order_relaxed);
}

const char *tp_build_features(void) {
  unsigned f = tp_cpu_features();
#if defined(__x86_64__)
  if ((f & (TP_CPU_AVX2 | TP_CPU_F16C)) == (TP_CPU_AVX2 | TP_CPU_F16C))
    return "simd=avx2+f16c threads=pthreads";
#elif defined(__aarch64__) && defined(__AARCH64EL__)
  if (f & TP_CPU_NEON) return "simd=neon threads=pthreads";
#endif
  (void)f;
  return "simd=none threads=pthreads";
}
