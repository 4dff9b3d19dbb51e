/*
 * xform.c - the per-tensor transforms of the profiles as pure functions,
 * for the tensor sources to call chunk by chunk: the Llama Q/K row
 * permutation and its inverse, Gemma's norm + 1 (and - 1 on the way back)
 * in the precision the reference uses, and the synthesized Llama 3
 * rope_freqs in torch's float32 operation order.
 */
#include "arch_impl.h"

#include <math.h>

const char *tp_arch_xform_name(tp_arch_xform x) {
  static const char *names[TP_ARCH_XFORM_COUNT] = {
      "copy", "permute_qk", "add_one", "first_rows", "synth",
      "unpermute_qk", "sub_one", "expert"};
  return (unsigned)x < TP_ARCH_XFORM_COUNT ? names[x] : "?";
}

tp_status tp_arch_xform_permute_row(uint64_t rows, uint32_t heads, int inverse,
                                    uint64_t r, uint64_t *in_row) {
  uint64_t hd, half, h, w;
  if (!heads || rows % ((uint64_t)heads * 2) || r >= rows)
    return tp_error(TP_EINVAL,
                    "Q/K permutation: %llu rows do not split into %u heads of "
                    "an even size (row %llu)",
                    (unsigned long long)rows, heads, (unsigned long long)r);
  hd = rows / heads;
  half = hd / 2;
  h = r / hd;
  w = r % hd;
  if (!inverse) /* output row h*hd + 2i + j <- input row h*hd + j*half + i */
    *in_row = h * hd + (w % 2) * half + w / 2;
  else /* output row h*hd + j*half + i <- input row h*hd + 2i + j */
    *in_row = h * hd + (w % half) * 2 + w / half;
  return TP_OK;
}

tp_status tp_arch_xform_permute_rows(void *dst, const void *src, uint64_t rows,
                                     size_t row_bytes, uint32_t heads,
                                     int inverse) {
  uint64_t r, from = 0;
  for (r = 0; r < rows; r++) {
    tp_status st = tp_arch_xform_permute_row(rows, heads, inverse, r, &from);
    if (st != TP_OK) return st;
    memcpy((unsigned char *)dst + r * row_bytes,
           (const unsigned char *)src + from * row_bytes, row_bytes);
  }
  return TP_OK;
}

tp_status tp_arch_xform_add_one(float *dst, tp_type src_type, const void *src,
                                size_t n) {
  size_t i;
  tp_status st;
  switch (src_type) {
  case TP_TYPE_F32:
    memcpy(dst, src, n * sizeof *dst);
    break;
  case TP_TYPE_F16:
  case TP_TYPE_BF16:
  case TP_TYPE_F64:
    st = tp_convert_elements(TP_TYPE_F32, dst, src_type, src, n);
    if (st != TP_OK) return st;
    break;
  default:
    return tp_error(TP_EUNSUPPORTED, "norm + 1: %s weights are not supported",
                    tp_type_name(src_type));
  }
  for (i = 0; i < n; i++) dst[i] = dst[i] + 1.0f;
  if (src_type == TP_TYPE_F16) {
    /* the sum rounded to F16 (the tensor's precision), then widened back:
     * done in place in blocks so no buffer is needed */
    uint16_t h[256];
    for (i = 0; i < n; i += 256) {
      size_t k = n - i < 256 ? n - i : 256;
      st = tp_convert_elements(TP_TYPE_F16, h, TP_TYPE_F32, dst + i, k);
      if (st == TP_OK)
        st = tp_convert_elements(TP_TYPE_F32, dst + i, TP_TYPE_F16, h, k);
      if (st != TP_OK) return st;
    }
  }
  return TP_OK;
}

void tp_arch_xform_sub_one(float *dst, const float *src, size_t n) {
  size_t i;
  for (i = 0; i < n; i++) dst[i] = src[i] - 1.0f;
}

/* torch evaluates python_scalar / tensor as reciprocal(tensor) * scalar. */
static float rdiv(double num, float den) { return (1.0f / den) * (float)num; }

tp_status tp_arch_xform_llama3_rope(float *dst, uint32_t dim, double base,
                                    double factor, double low_freq_factor,
                                    double high_freq_factor,
                                    double original_ctx) {
  uint32_t i;
  double low_wavelen, high_wavelen;
  if (!dim || dim % 2 || !(base > 0) || high_freq_factor == low_freq_factor ||
      low_freq_factor == 0 || high_freq_factor == 0)
    return tp_error(TP_EINVAL,
                    "llama3 rope_freqs: dimension %u, theta %g, low/high "
                    "frequency factors %g/%g do not define the factors",
                    dim, base, low_freq_factor, high_freq_factor);
  low_wavelen = original_ctx / low_freq_factor; /* Python floats */
  high_wavelen = original_ctx / high_freq_factor;
  for (i = 0; i < dim / 2; i++) {
    /* arange(0, dim, 2, float32) / dim: one float division */
    float e = (float)(2 * i) / (float)dim;
    float p = (float)pow((double)(float)base, (double)e);
    float freq = 1.0f / p;
    float wavelen = rdiv(2 * M_PI, freq);
    if (wavelen < (float)high_wavelen) {
      dst[i] = 1.0f;
    } else if (wavelen > (float)low_wavelen) {
      dst[i] = (float)factor;
    } else {
      float smooth = (rdiv(original_ctx, wavelen) - (float)low_freq_factor) /
                     (float)(high_freq_factor - low_freq_factor);
      dst[i] = 1.0f / ((1.0f - smooth) / (float)factor + smooth);
    }
  }
  return TP_OK;
}
