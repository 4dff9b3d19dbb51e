/*
 * q_k.h - the K-quants (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K): row codecs for
 * the dispatch table in quant.c, and the pieces shared by the scalar
 * reference (q_k.c) and the SIMD paths (q_k_x86.c, q_k_neon.c).
 *
 * Every quantizer reproduces llama.cpp's quantize_row_*_ref (no importance
 * matrix) byte for byte. The SIMD paths run the same per-sub-block search
 * with one sub-block per vector lane and then hand the results to the shared
 * "finish" functions below, so the scale packing, the re-quantization and
 * the bit packing exist exactly once.
 */
#ifndef TP_Q_K_H
#define TP_Q_K_H

#include "quant_impl.h"

#define TP_QK_K 256
/* llama.cpp's GROUP_MAX_EPS: a group whose largest magnitude is below this
 * is treated as all zero. */
#define TP_QK_GROUP_MAX_EPS 1e-15f

/* Block sizes in bytes (ggml-common.h). */
#define TP_Q2_K_BYTES 84
#define TP_Q3_K_BYTES 110
#define TP_Q4_K_BYTES 144
#define TP_Q5_K_BYTES 176
#define TP_Q6_K_BYTES 210
#define TP_Q8_K_BYTES 292

/* ---- scalar reference row codecs (q_k.c) ------------------------------- */

void tp_q2_k_quantize_ref(const float *x, void *y, size_t n);
void tp_q3_k_quantize_ref(const float *x, void *y, size_t n);
void tp_q4_k_quantize_ref(const float *x, void *y, size_t n);
void tp_q5_k_quantize_ref(const float *x, void *y, size_t n);
void tp_q6_k_quantize_ref(const float *x, void *y, size_t n);
void tp_q8_k_quantize_ref(const float *x, void *y, size_t n);

void tp_q2_k_dequantize_ref(const void *x, float *y, size_t n);
void tp_q3_k_dequantize_ref(const void *x, float *y, size_t n);
void tp_q4_k_dequantize_ref(const void *x, float *y, size_t n);
void tp_q5_k_dequantize_ref(const void *x, float *y, size_t n);
void tp_q6_k_dequantize_ref(const void *x, float *y, size_t n);
void tp_q8_k_dequantize_ref(const void *x, float *y, size_t n);

/* ---- AVX2 row codecs (q_k_x86.c; x86-64 builds only) ------------------ */
/* Only to be called when the CPU has AVX2 and F16C (quant.c checks). */

void tp_q2_k_quantize_x86(const float *x, void *y, size_t n);
void tp_q3_k_quantize_x86(const float *x, void *y, size_t n);
void tp_q4_k_quantize_x86(const float *x, void *y, size_t n);
void tp_q5_k_quantize_x86(const float *x, void *y, size_t n);
void tp_q6_k_quantize_x86(const float *x, void *y, size_t n);
void tp_q2_k_dequantize_x86(const void *x, float *y, size_t n);
void tp_q3_k_dequantize_x86(const void *x, float *y, size_t n);
void tp_q4_k_dequantize_x86(const void *x, float *y, size_t n);
void tp_q5_k_dequantize_x86(const void *x, float *y, size_t n);
void tp_q6_k_dequantize_x86(const void *x, float *y, size_t n);

/* ---- NEON row codecs (q_k_neon.c; aarch64 builds only) ---------------- */

void tp_q2_k_quantize_neon(const float *x, void *y, size_t n);
void tp_q3_k_quantize_neon(const float *x, void *y, size_t n);
void tp_q4_k_quantize_neon(const float *x, void *y, size_t n);
void tp_q5_k_quantize_neon(const float *x, void *y, size_t n);
void tp_q6_k_quantize_neon(const float *x, void *y, size_t n);
void tp_q2_k_dequantize_neon(const void *x, float *y, size_t n);
void tp_q3_k_dequantize_neon(const void *x, float *y, size_t n);
void tp_q4_k_dequantize_neon(const void *x, float *y, size_t n);
void tp_q5_k_dequantize_neon(const void *x, float *y, size_t n);
void tp_q6_k_dequantize_neon(const void *x, float *y, size_t n);

/* ---- shared finishing steps (q_k.c) ----------------------------------- */

/* Result of the per-sub-block search of make_qkx2_quants (Q2_K, Q4_K,
 * Q5_K) or make_qx_quants (Q6_K). Instead of the codes themselves the
 * search reports the inverse scale and offset that produced its best codes:
 * L[i] = clamp(nearest_int(l_iscale * (x[i] - l_lo))) rebuilds them
 * exactly. The codes are only needed for a sub-block whose quantized scale
 * comes out as 0, which is rare, so they are rebuilt on demand. A search
 * that returned early (flat or all-zero group) set every code to 0, which
 * no l_iscale can express in general (l_iscale is -0.0 for an infinite
 * maximum), hence the flag. */
typedef struct tp_qk_sub {
  float scale;    /* returned scale */
  float min;      /* *the_min (asymmetric types; 0 otherwise) */
  float l_iscale; /* inverse scale of the best codes */
  float l_lo;     /* offset subtracted before scaling (asymmetric types) */
  int l_zero;     /* non-zero: the codes are all 0 */
} tp_qk_sub;

/* The finishing steps one by one, for SIMD paths that vectorise the
 * re-quantization:
 *  - tp_qk_scales_*: pack the sub-block scales (and mins) and d/dmin into
 *    y, and return per sub-block the rounded step dq and offset dm that the
 *    re-quantization divides by / adds: L = clamp(rne((x + dm) / dq))
 *    (Q2_K, Q4_K, Q5_K) or clamp(rne(x / dq)) + 32 (Q6_K; + 4 and a clamp
 *    to -4..3 for Q3_K, which has no dm). A sub-block with
 *    dq == 0 keeps the codes of its search (tp_qk_rebuild_*).
 *    tp_qk_scales_q6_k returns false when the whole block is zero (y is
 *    then complete);
 *  - tp_qk_pack_*: store the 256 codes L into y. */
void tp_qk_scales_q2_k(const tp_qk_sub *sub, uint8_t *y, float *dq,
                       float *dm);
void tp_qk_scales_q45(const tp_qk_sub *sub, uint8_t *y, float *dq,
                      float *dm);
bool tp_qk_scales_q6_k(const tp_qk_sub *sub, uint8_t *y, float *dq);
void tp_qk_rebuild_asym(const float *x, int n, int nmax, const tp_qk_sub *s,
                        uint8_t *L);
void tp_qk_rebuild_q6_k(const float *x, const tp_qk_sub *s, uint8_t *L);
void tp_qk_scales_q3_k(const float *scales, uint8_t *y, float *dq);
void tp_qk_pack_q2_k(const uint8_t *L, uint8_t *y);
/* Q3_K: L in 0..7 (modified: the high bit is moved into hmask). */
void tp_qk_pack_q3_k(int8_t *L, uint8_t *y);
void tp_qk_pack_q4_k(const uint8_t *L, uint8_t *y);
void tp_qk_pack_q5_k(const uint8_t *L, uint8_t *y);
void tp_qk_pack_q6_k(const uint8_t *L, uint8_t *y);

/* Scale packing, re-quantization and bit packing of one super-block, given
 * the search results of its sub-blocks (8 for Q4_K/Q5_K, 16 for Q2_K and
 * Q6_K). x points to the 256 inputs, y to the output block. */
void tp_qk_finish_q2_k(const float *x, const tp_qk_sub *sub, uint8_t *y);
void tp_qk_finish_q4_k(const float *x, const tp_qk_sub *sub, uint8_t *y);
void tp_qk_finish_q5_k(const float *x, const tp_qk_sub *sub, uint8_t *y);
void tp_qk_finish_q6_k(const float *x, const tp_qk_sub *sub, uint8_t *y);
/* Q3_K: the search returns the codes directly (L in 0..7, 256 entries). */
void tp_qk_finish_q3_k(const float *x, const float *scales, int8_t *L,
                       uint8_t *y);

/* Decoding helpers of the SIMD paths: the 256 codes of one block in
 * element order, and for each run j of 16 values the factors of the
 * reference's decode, y = dl[j] * q - ml[j] (Q2_K, Q4_K, Q5_K) or
 * y = dl[j] * q (Q3_K, Q6_K), with dl and ml computed as it computes them. */
void tp_qk_unpack_q2_k(const uint8_t *x, int8_t *q, float *dl, float *ml);
void tp_qk_unpack_q3_k(const uint8_t *x, int8_t *q, float *dl);
void tp_qk_unpack_q4_k(const uint8_t *x, int8_t *q, float *dl, float *ml);
void tp_qk_unpack_q5_k(const uint8_t *x, int8_t *q, float *dl, float *ml);
void tp_qk_unpack_q6_k(const uint8_t *x, int8_t *q, float *dl);

/* Unpacks the (scale, min) pair j of the 12 scale bytes of Q4_K/Q5_K. */
static inline void tp_qk_get_scale_min_k4(int j, const uint8_t *q,
                                          uint8_t *d, uint8_t *m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = (uint8_t)((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = (uint8_t)((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

#endif /* TP_Q_K_H */
