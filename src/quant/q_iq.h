/*
 * q_iq.h - row codecs of the remaining ggml block types, for the dispatch
 * table in quant.c: the i-quants (q_iq.c), the ternary and low-bit types
 * TQ1_0, TQ2_0, Q1_0, Q2_0 (q_tq.c) and the FP4 types MXFP4, NVFP4
 * (q_fp4.c).
 *
 * Dequantizers reproduce llama.cpp's dequantize_row_<type> float for float;
 * quantizers reproduce quantize_row_<type>_ref byte for byte. n is an element
 * count, a multiple of the type's block size (checked by the caller).
 */
#ifndef TP_Q_IQ_H
#define TP_Q_IQ_H

#include "quant_impl.h"

/* ---- i-quants: dequantize only (q_iq.c) --------------------------------- */

void tp_iq2_xxs_dequantize_ref(const void *x, float *y, size_t n);
void tp_iq2_xs_dequantize_ref(const void *x, float *y, size_t n);
void tp_iq2_s_dequantize_ref(const void *x, float *y, size_t n);
void tp_iq3_xxs_dequantize_ref(const void *x, float *y, size_t n);
void tp_iq3_s_dequantize_ref(const void *x, float *y, size_t n);
void tp_iq1_s_dequantize_ref(const void *x, float *y, size_t n);
void tp_iq1_m_dequantize_ref(const void *x, float *y, size_t n);
void tp_iq4_nl_dequantize_ref(const void *x, float *y, size_t n);
void tp_iq4_xs_dequantize_ref(const void *x, float *y, size_t n);

/* ---- ternary and low-bit types (q_tq.c) --------------------------------- */

void tp_tq1_0_quantize_ref(const float *x, void *y, size_t n);
void tp_tq2_0_quantize_ref(const float *x, void *y, size_t n);
void tp_q1_0_quantize_ref(const float *x, void *y, size_t n);
void tp_q2_0_quantize_ref(const float *x, void *y, size_t n);
void tp_tq1_0_dequantize_ref(const void *x, float *y, size_t n);
void tp_tq2_0_dequantize_ref(const void *x, float *y, size_t n);
void tp_q1_0_dequantize_ref(const void *x, float *y, size_t n);
void tp_q2_0_dequantize_ref(const void *x, float *y, size_t n);

/* ---- FP4 types (q_fp4.c) ------------------------------------------------ */

void tp_mxfp4_quantize_ref(const float *x, void *y, size_t n);
void tp_nvfp4_quantize_ref(const float *x, void *y, size_t n);
void tp_mxfp4_dequantize_ref(const void *x, float *y, size_t n);
void tp_nvfp4_dequantize_ref(const void *x, float *y, size_t n);

/* Scale decoders shared with the tests: E8M0 exponent byte -> 2^(e-128)
 * (half the E8M0 value, exact for every e including the binary32
 * subnormals e = 0, 1), and UE4M3 byte -> half its value. */
float tp_fp4_e8m0_half(uint8_t e);
float tp_fp4_ue4m3_half(uint8_t x);

#endif /* TP_Q_IQ_H */
