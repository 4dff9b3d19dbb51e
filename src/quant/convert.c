/*
 * convert.c - tp_convert_elements: every pair of element types. Plain
 * pairs are src/dtype's casts; a pair with a block type goes through F32 in
 * bounded chunks, dequantizing and quantizing with this folder's codecs.
 * Living here rather than in src/dtype keeps the layers one-way: dtype
 * knows nothing of quant, quant builds on dtype.
 */
#include "quant.h"

#include "../dtype/dtype.h"

/* Block types: src -> f32 -> dst in chunks of TP_BLOCK_CHUNK elements (a
 * multiple of 256, the least common multiple of all block sizes), so the
 * scratch is a fixed 8 KiB whatever n is. */
#define TP_BLOCK_CHUNK 2048

static tp_status cast(tp_type dst, void *d, tp_type src, const void *s,
                      size_t n, bool ref) {
  return ref ? tp_cast_elements_ref(dst, d, src, s, n)
             : tp_cast_elements(dst, d, src, s, n);
}

static tp_status convert_via_f32(tp_type dst, uint8_t *d, tp_type src,
                                 const uint8_t *s, size_t n, bool ref) {
  float buf[TP_BLOCK_CHUNK];
  size_t i, sb = tp_type_block_bytes(src), se = tp_type_block_elems(src);
  size_t db = tp_type_block_bytes(dst), de = tp_type_block_elems(dst);
  bool sq = tp_type_is_quantized(src), dq = tp_type_is_quantized(dst);
  tp_status st;

  if (sq && !tp_quant_can_dequantize(src))
    return tp_error(TP_EUNSUPPORTED, "cannot decode %s elements",
                    tp_type_name(src));
  if (dq && !tp_quant_can_quantize(dst))
    return tp_error(TP_EUNSUPPORTED, "cannot quantize to %s",
                    tp_type_name(dst));
  for (i = 0; i < n; i += TP_BLOCK_CHUNK) {
    size_t c = TP_MIN((size_t)TP_BLOCK_CHUNK, n - i);
    const uint8_t *sp = s + i / se * sb;
    uint8_t *dp = d + i / de * db;
    if (sq)
      st = ref ? tp_dequantize_ref(src, sp, buf, c)
               : tp_dequantize(src, sp, buf, c);
    else
      st = cast(TP_TYPE_F32, buf, src, sp, c, ref);
    if (st != TP_OK) return st;
    if (dq)
      st = ref ? tp_quantize_ref(dst, buf, dp, c)
               : tp_quantize(dst, buf, dp, c);
    else
      st = cast(dst, dp, TP_TYPE_F32, buf, c, ref);
    if (st != TP_OK) return st;
  }
  return TP_OK;
}

static tp_status convert(tp_type dst_type, void *dst, tp_type src_type,
                         const void *src, size_t n, bool ref) {
  tp_status st;
  if (dst_type == src_type ||
      !(tp_type_is_quantized(src_type) || tp_type_is_quantized(dst_type)))
    return cast(dst_type, dst, src_type, src, n, ref);
  st = tp_cast_check(dst_type, dst, src_type, src, n);
  if (st != TP_OK || n == 0) return st;
  return convert_via_f32(dst_type, dst, src_type, src, n, ref);
}

tp_status tp_convert_elements(tp_type dst_type, void *dst, tp_type src_type,
                              const void *src, size_t n) {
  return convert(dst_type, dst, src_type, src, n, false);
}

tp_status tp_convert_elements_ref(tp_type dst_type, void *dst,
                                  tp_type src_type, const void *src,
                                  size_t n) {
  return convert(dst_type, dst, src_type, src, n, true);
}
