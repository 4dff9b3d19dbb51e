/*
 * quant.c - dispatch for the ggml block types: one table row per type with
 * its scalar reference codecs and optional SIMD codecs.
 *
 * The SIMD codecs are compiled into every x86-64 (AVX2+F16C, *_x86.c) or
 * aarch64 (NEON, *_neon.c) build but only offered when tp_cpu_features says
 * the running CPU has the instructions; they produce the same bytes as the
 * reference, so the choice never changes a result. To add a type, declare its codecs and add a
 * row in the section of its family below.
 */
#include "quant_impl.h"

#include "../dtype/dtype.h"

#include <pthread.h>

/* SIMD flavour of this build. TP_FAST(x86, neon) keeps the name for this
 * architecture and drops the other, so no row refers to a function that
 * is not compiled in. */
#if defined(__x86_64__) || defined(_M_X64)
#  define TP_QUANT_X86 1
#  define TP_FAST(x86, neon) x86
#elif defined(__aarch64__)
#  define TP_QUANT_NEON 1
#  define TP_FAST(x86, neon) neon
#else
#  define TP_FAST(x86, neon) NULL
#endif

/* ---- codec declarations ------------------------------------------------- */

/* Declares the reference codecs of one type (tp_<t>_quantize_ref, ...). */
#define TP_DECLARE_REF(t)                                                    \
  void tp_##t##_quantize_ref(const float *x, void *y, size_t n);             \
  void tp_##t##_dequantize_ref(const void *x, float *y, size_t n)
/* Declares the SIMD codecs of one type for this architecture. */
#if defined(TP_QUANT_X86)
#  define TP_DECLARE_FAST(t)                                                 \
    void tp_##t##_quantize_x86(const float *x, void *y, size_t n);           \
    void tp_##t##_dequantize_x86(const void *x, float *y, size_t n)
#elif defined(TP_QUANT_NEON)
#  define TP_DECLARE_FAST(t)                                                 \
    void tp_##t##_quantize_neon(const float *x, void *y, size_t n);          \
    void tp_##t##_dequantize_neon(const void *x, float *y, size_t n)
#else
#  define TP_DECLARE_FAST(t) struct tp_unused_##t
#endif

/* legacy 32-element types: q_legacy.c, q_legacy_x86.c, q_legacy_neon.c */
TP_DECLARE_REF(q4_0);
TP_DECLARE_REF(q4_1);
TP_DECLARE_REF(q5_0);
TP_DECLARE_REF(q5_1);
TP_DECLARE_REF(q8_0);
TP_DECLARE_REF(q8_1);
TP_DECLARE_FAST(q4_0);
TP_DECLARE_FAST(q4_1);
TP_DECLARE_FAST(q5_0);
TP_DECLARE_FAST(q5_1);
TP_DECLARE_FAST(q8_0);
TP_DECLARE_FAST(q8_1);

/* K-quants: q_k.c, q_k_x86.c, q_k_neon.c (Q8_K has no SIMD codec) */
TP_DECLARE_REF(q2_k);
TP_DECLARE_REF(q3_k);
TP_DECLARE_REF(q4_k);
TP_DECLARE_REF(q5_k);
TP_DECLARE_REF(q6_k);
TP_DECLARE_REF(q8_k);
TP_DECLARE_FAST(q2_k);
TP_DECLARE_FAST(q3_k);
TP_DECLARE_FAST(q4_k);
TP_DECLARE_FAST(q5_k);
TP_DECLARE_FAST(q6_k);

/* IQ/TQ/FP4: q_iq.c, q_tq.c, q_fp4.c (reference codecs only; the
 * i-quants have no quantizer) */
#include "q_iq.h"

/* ---- the table ---------------------------------------------------------- */

#define TP_ROW(T, t)                                                         \
  {TP_TYPE_##T, tp_##t##_quantize_ref, tp_##t##_dequantize_ref,              \
   TP_FAST(tp_##t##_quantize_x86, tp_##t##_quantize_neon),                   \
   TP_FAST(tp_##t##_dequantize_x86, tp_##t##_dequantize_neon)}

static const tp_qcodec g_rows[] = {
    /* legacy 32-element types */
    TP_ROW(Q4_0, q4_0),
    TP_ROW(Q4_1, q4_1),
    TP_ROW(Q5_0, q5_0),
    TP_ROW(Q5_1, q5_1),
    TP_ROW(Q8_0, q8_0),
    TP_ROW(Q8_1, q8_1),

    /* K-quants */
    TP_ROW(Q2_K, q2_k),
    TP_ROW(Q3_K, q3_k),
    TP_ROW(Q4_K, q4_k),
    TP_ROW(Q5_K, q5_k),
    TP_ROW(Q6_K, q6_k),
    {TP_TYPE_Q8_K, tp_q8_k_quantize_ref, tp_q8_k_dequantize_ref, NULL, NULL},

    /* IQ/TQ/FP4 */
    {TP_TYPE_IQ2_XXS, NULL, tp_iq2_xxs_dequantize_ref, NULL, NULL},
    {TP_TYPE_IQ2_XS, NULL, tp_iq2_xs_dequantize_ref, NULL, NULL},
    {TP_TYPE_IQ2_S, NULL, tp_iq2_s_dequantize_ref, NULL, NULL},
    {TP_TYPE_IQ3_XXS, NULL, tp_iq3_xxs_dequantize_ref, NULL, NULL},
    {TP_TYPE_IQ3_S, NULL, tp_iq3_s_dequantize_ref, NULL, NULL},
    {TP_TYPE_IQ1_S, NULL, tp_iq1_s_dequantize_ref, NULL, NULL},
    {TP_TYPE_IQ1_M, NULL, tp_iq1_m_dequantize_ref, NULL, NULL},
    {TP_TYPE_IQ4_NL, NULL, tp_iq4_nl_dequantize_ref, NULL, NULL},
    {TP_TYPE_IQ4_XS, NULL, tp_iq4_xs_dequantize_ref, NULL, NULL},
    {TP_TYPE_TQ1_0, tp_tq1_0_quantize_ref, tp_tq1_0_dequantize_ref, NULL, NULL},
    {TP_TYPE_TQ2_0, tp_tq2_0_quantize_ref, tp_tq2_0_dequantize_ref, NULL, NULL},
    {TP_TYPE_Q1_0, tp_q1_0_quantize_ref, tp_q1_0_dequantize_ref, NULL, NULL},
    {TP_TYPE_Q2_0, tp_q2_0_quantize_ref, tp_q2_0_dequantize_ref, NULL, NULL},
    {TP_TYPE_MXFP4, tp_mxfp4_quantize_ref, tp_mxfp4_dequantize_ref, NULL, NULL},
    {TP_TYPE_NVFP4, tp_nvfp4_quantize_ref, tp_nvfp4_dequantize_ref, NULL, NULL},
};

/* The rows indexed by type, twice: as written, and with the SIMD codecs
 * removed for when the CPU lacks them (or tp_cpu_set_mask hides them, as
 * the tests and `tp-testtool --no-simd` do). Built once; read-only
 * afterwards, so lookups need no locking. */
static tp_qcodec g_codecs[TP_TYPE_COUNT];
static tp_qcodec g_codecs_scalar[TP_TYPE_COUNT];
static pthread_once_t g_codecs_once = PTHREAD_ONCE_INIT;

static void build_codecs(void) {
  size_t i;
  for (i = 0; i < TP_ARRAY_LEN(g_rows); i++) {
    tp_qcodec c = g_rows[i];
    g_codecs[c.type] = c;
    c.quantize_fast = NULL;
    c.dequantize_fast = NULL;
    g_codecs_scalar[c.type] = c;
  }
}

/* Whether the SIMD codecs may run: what the *_x86.c files are compiled for
 * (AVX2 and F16C), or NEON, as tp_cpu_features reports it now. */
static bool simd_usable(void) {
  unsigned f = tp_cpu_features();
#if defined(TP_QUANT_X86)
  return (f & (TP_CPU_AVX2 | TP_CPU_F16C)) == (TP_CPU_AVX2 | TP_CPU_F16C);
#elif defined(TP_QUANT_NEON)
  return (f & TP_CPU_NEON) != 0;
#else
  (void)f;
  return false;
#endif
}

const tp_qcodec *tp_qcodec_of(tp_type t) {
  const tp_qcodec *c;
  if ((unsigned)t >= TP_TYPE_COUNT || !tp_type_is_quantized(t)) return NULL;
  pthread_once(&g_codecs_once, build_codecs);
  c = simd_usable() ? &g_codecs[t] : &g_codecs_scalar[t];
  /* a block type whose row has not been written yet */
  return c->dequantize_ref ? c : NULL;
}

bool tp_quant_can_quantize(tp_type t) {
  const tp_qcodec *c = tp_qcodec_of(t);
  return c && c->quantize_ref;
}

bool tp_quant_can_dequantize(tp_type t) {
  const tp_qcodec *c = tp_qcodec_of(t);
  return c && c->dequantize_ref;
}

/* ---- entry points ------------------------------------------------------- */

static tp_status check_count(tp_type t, size_t n, const void *src,
                             const void *dst) {
  uint32_t blck = tp_type_block_elems(t);
  if (blck == 0 || n % blck)
    return tp_error(TP_EINVAL,
                    "%s: %zu elements is not a multiple of the block size %u",
                    tp_type_name(t), n, blck);
  if (n && (!src || !dst))
    return tp_error(TP_EINVAL, "%s: NULL buffer for %zu elements",
                    tp_type_name(t), n);
  return TP_OK;
}

static tp_status quantize(tp_type t, const float *src, void *dst, size_t n,
                          bool fast) {
  const tp_qcodec *c = tp_qcodec_of(t);
  tp_status st;
  if (!c || !c->quantize_ref)
    return tp_error(TP_EUNSUPPORTED, "cannot quantize to %s",
                    tp_type_name(t));
  if ((st = check_count(t, n, src, dst)) != TP_OK) return st;
  if (n == 0) return TP_OK;
  if (fast && c->quantize_fast)
    c->quantize_fast(src, dst, n);
  else
    c->quantize_ref(src, dst, n);
  return TP_OK;
}

static tp_status dequantize(tp_type t, const void *src, float *dst, size_t n,
                            bool fast) {
  const tp_qcodec *c = tp_qcodec_of(t);
  tp_status st;
  if (!c || !c->dequantize_ref)
    return tp_error(TP_EUNSUPPORTED, "cannot dequantize %s", tp_type_name(t));
  if ((st = check_count(t, n, src, dst)) != TP_OK) return st;
  if (n == 0) return TP_OK;
  if (fast && c->dequantize_fast)
    c->dequantize_fast(src, dst, n);
  else
    c->dequantize_ref(src, dst, n);
  return TP_OK;
}

tp_status tp_quantize(tp_type t, const float *src, void *dst, size_t n) {
  return quantize(t, src, dst, n, true);
}

tp_status tp_dequantize(tp_type t, const void *src, float *dst, size_t n) {
  return dequantize(t, src, dst, n, true);
}

tp_status tp_quantize_ref(tp_type t, const float *src, void *dst, size_t n) {
  return quantize(t, src, dst, n, false);
}

tp_status tp_dequantize_ref(tp_type t, const void *src, float *dst,
                            size_t n) {
  return dequantize(t, src, dst, n, false);
}
