/*
 * cast.c - element-type casts between every pair of plain types
 * (tp_cast_elements; src/quant/convert.c adds the block types on top).
 *
 * Two layers with identical results:
 *  - the reference path decodes each element to its exact value (tp_xval: a
 *    sign, a 64-bit significand and an exponent, or a NaN with its payload)
 *    and rounds that value once into the target. Every float and every
 *    64-bit integer fits exactly, so each cast is a single round to nearest
 *    even, whatever the pair (f64 -> f16 never passes through f32);
 *  - the fast path has direct bit-level loops for the hot pairs (f32, f16,
 *    bf16, f64 -> f32), which hand their bulk to the SIMD kernels, direct
 *    loops from f32/f16/bf16 to the 8-bit-and-smaller float types, and a
 *    256-entry table, filled by the reference path, for sources of at most
 *    8 bits. Everything else takes the reference path.
 * The unit tests compare the layers exhaustively. Block-quantized types are
 * not cast here: tp_convert_elements (src/quant/convert.c) takes them
 * through f32 with the quantizers, so this layer needs nothing above it.
 * What each target does with NaN, infinity,
 * overflow, negative zero and out-of-range integers, and where each rule
 * comes from (numpy, ml_dtypes, torch), is in docs/formats/dtypes.md; the
 * comments here only say which rule a branch implements.
 *
 * Buffers hold little-endian elements (the file layout). F4 packs two
 * elements per byte, element 2k in the low nibble; F6 packs four elements in
 * three bytes as a little-endian bit stream, element 0 in the lowest bits.
 */
#include "dtype.h"

#include "cast_simd.h"

/* ------------------------------------------------------------------------ */
/* Exact values                                                             */
/* ------------------------------------------------------------------------ */

enum { XV_ZERO = 0, XV_FINITE, XV_INF, XV_NAN };

/* The exact value of one element. FINITE: |v| = sig * 2^(exp - 63) with bit
 * 63 of sig set. NAN: sig holds the fraction field with its first bit at bit
 * 63 (the quiet bit of IEEE formats). */
typedef struct tp_xval {
  int cls;
  int neg;
  int exp;
  uint64_t sig;
} tp_xval;

static inline int clz64(uint64_t x) { return __builtin_clzll(x); }

static inline tp_xval xv_from_u64(uint64_t mag, int neg) {
  tp_xval v = {XV_ZERO, neg, 0, 0};
  if (mag) {
    int lz = clz64(mag);
    v.cls = XV_FINITE;
    v.sig = mag << lz;
    v.exp = 63 - lz;
  }
  return v;
}

/* ------------------------------------------------------------------------ */
/* Float formats                                                            */
/* ------------------------------------------------------------------------ */

/* How a format encodes what it cannot hold. */
enum {
  FK_IEEE = 0, /* all-ones exponent: infinity (fraction 0) or NaN */
  FK_FN,       /* no infinity; S.1111.111 is NaN (float8_e4m3fn) */
  FK_FNUZ,     /* no infinity, no -0; 0x80 is the only NaN */
  FK_SAT,      /* no infinity, no NaN: F4, F6 (saturate) */
  FK_E8M0      /* unsigned powers of two, 0xFF is NaN */
};

typedef struct tp_ffmt {
  uint8_t kind;
  uint8_t mbits;      /* stored fraction bits */
  uint8_t sign_shift; /* bit position of the sign */
  int16_t emin;       /* exponent of the smallest normal number */
  uint64_t max_code;  /* largest finite magnitude, as a code */
  uint64_t inf_code;  /* FK_IEEE: magnitude code of infinity */
} tp_ffmt;

static const tp_ffmt g_fmt[TP_TYPE_F6_E3M2 + 1] = {
    [TP_TYPE_F64] = {FK_IEEE, 52, 63, -1022, 0x7FEFFFFFFFFFFFFFull,
                     0x7FF0000000000000ull},
    [TP_TYPE_F32] = {FK_IEEE, 23, 31, -126, 0x7F7FFFFF, 0x7F800000},
    [TP_TYPE_F16] = {FK_IEEE, 10, 15, -14, 0x7BFF, 0x7C00},
    [TP_TYPE_BF16] = {FK_IEEE, 7, 15, -126, 0x7F7F, 0x7F80},
    [TP_TYPE_F8_E4M3] = {FK_FN, 3, 7, -6, 0x7E, 0},
    [TP_TYPE_F8_E5M2] = {FK_IEEE, 2, 7, -14, 0x7B, 0x7C},
    [TP_TYPE_F8_E8M0] = {FK_E8M0, 0, 0, -127, 0xFE, 0},
    [TP_TYPE_F8_E4M3FNUZ] = {FK_FNUZ, 3, 7, -7, 0x7F, 0},
    [TP_TYPE_F8_E5M2FNUZ] = {FK_FNUZ, 2, 7, -15, 0x7F, 0},
    [TP_TYPE_F4] = {FK_SAT, 1, 3, 0, 0x7, 0},
    [TP_TYPE_F6_E2M3] = {FK_SAT, 3, 5, 0, 0x1F, 0},
    [TP_TYPE_F6_E3M2] = {FK_SAT, 2, 5, -2, 0x1F, 0},
};

/* The formats of at most 8 bits come from ml_dtypes, which turns every NaN it
 * reads into the default quiet NaN of the target: their decoded NaNs carry
 * only the quiet bit. */
static inline bool is_small_float(tp_type t) {
  return tp_type_is_float(t) && t != TP_TYPE_F64 && t != TP_TYPE_F32 &&
         t != TP_TYPE_F16 && t != TP_TYPE_BF16;
}

static tp_xval decode_float(const tp_ffmt *f, tp_type t, uint64_t c) {
  tp_xval v = {XV_ZERO, 0, 0, 0};
  unsigned m = f->mbits;
  uint64_t frac = c & ((UINT64_C(1) << m) - 1);
  uint64_t mag;
  int ebits = f->sign_shift - (int)m;
  uint64_t efield;

  if (f->kind == FK_E8M0) {
    if (c == 0xFF) {
      v.cls = XV_NAN;
      v.sig = UINT64_C(1) << 63;
      return v;
    }
    v.cls = XV_FINITE;
    v.sig = UINT64_C(1) << 63;
    v.exp = (int)c - 127;
    return v;
  }
  v.neg = (int)((c >> f->sign_shift) & 1);
  mag = c & ((UINT64_C(1) << f->sign_shift) - 1);
  if (f->kind == FK_FNUZ && c == 0x80) {
    v.cls = XV_NAN;
    v.sig = UINT64_C(1) << 63;
    return v;
  }
  if (f->kind == FK_FN && mag == 0x7F) {
    v.cls = XV_NAN;
    v.sig = UINT64_C(1) << 63;
    return v;
  }
  efield = mag >> m;
  if (f->kind == FK_IEEE && efield == ((UINT64_C(1) << ebits) - 1)) {
    if (frac == 0) {
      v.cls = XV_INF;
    } else {
      v.cls = XV_NAN;
      v.sig = is_small_float(t) ? UINT64_C(1) << 63 : frac << (64 - m);
    }
    return v;
  }
  if (efield == 0) {
    if (frac == 0) return v; /* signed zero */
    {
      int p = 63 - clz64(frac); /* subnormal: normalise */
      v.cls = XV_FINITE;
      v.sig = frac << (63 - p);
      v.exp = f->emin - (int)m + p;
    }
    return v;
  }
  v.cls = XV_FINITE;
  v.sig = ((UINT64_C(1) << m) | frac) << (63 - m);
  v.exp = (int)efield + f->emin - 1;
  return v;
}

/* sig >> s rounded to nearest, ties to even; s >= 1. */
static inline uint64_t round_shift(uint64_t sig, int s) {
  uint64_t q, rem, half;
  if (s > 64) return 0; /* below half of the last unit */
  if (s == 64) return sig > (UINT64_C(1) << 63) ? 1 : 0;
  q = sig >> s;
  rem = sig & ((UINT64_C(1) << s) - 1);
  half = UINT64_C(1) << (s - 1);
  if (rem > half || (rem == half && (q & 1))) q++;
  return q;
}

/* NaN of the target for a NaN read from src (docs/formats/dtypes.md, "NaN").
 * sig is the source fraction with its first bit at bit 63. */
static uint64_t nan_code(tp_type dst, tp_type src, int neg, uint64_t sig) {
  uint64_t s;
  switch (dst) {
  case TP_TYPE_F64: {
    /* f32 and bf16 widen through the FPU (quieting); f16 through numpy's
     * software path (payload kept as is) */
    uint64_t q = src == TP_TYPE_F16 ? 0 : UINT64_C(1) << 51;
    return ((uint64_t)neg << 63) | UINT64_C(0x7FF0000000000000) | q |
           (sig >> 12);
  }
  case TP_TYPE_F32: {
    uint64_t q = (src == TP_TYPE_F16 || src == TP_TYPE_BF16) ? 0 : 0x400000;
    return ((uint64_t)neg << 31) | 0x7F800000 | q | (sig >> 41);
  }
  case TP_TYPE_F16: {
    uint64_t p;
    s = (uint64_t)neg << 15;
    if (src == TP_TYPE_BF16) return s | 0x7E00; /* torch and ml_dtypes */
    p = sig >> 54;                              /* numpy: keep, not quiet */
    return s | 0x7C00 | (p ? p : 1);
  }
  case TP_TYPE_BF16:
    return 0x7FC0; /* torch (c10::BFloat16): one positive quiet NaN */
  case TP_TYPE_F8_E4M3:
    return ((uint64_t)neg << 7) | 0x7F;
  case TP_TYPE_F8_E5M2:
    return ((uint64_t)neg << 7) | 0x7E;
  case TP_TYPE_F8_E8M0:
    return 0xFF;
  case TP_TYPE_F8_E4M3FNUZ:
  case TP_TYPE_F8_E5M2FNUZ:
    return 0x80;
  case TP_TYPE_F4:
    /* ml_dtypes: the "NaN" of a format without NaN is -0, negated for a
     * negative NaN; ONNX documents the same -0 */
    return neg ? 0 : 0x8;
  case TP_TYPE_F6_E2M3:
  case TP_TYPE_F6_E3M2:
    return neg ? 0 : 0x20;
  default:
    return 0;
  }
}

/* Code for a magnitude above the largest finite value (also infinity). */
static inline uint64_t overflow_code(const tp_ffmt *f, int neg) {
  uint64_t s = (uint64_t)neg << f->sign_shift;
  switch (f->kind) {
  case FK_IEEE:
    return s | f->inf_code;
  case FK_FN:
    return s | 0x7F; /* NaN */
  case FK_FNUZ:
    return 0x80; /* NaN */
  case FK_SAT:
    return s | f->max_code;
  default:
    return 0xFF; /* E8M0: NaN */
  }
}

/* ml_dtypes' float8_e8m0fnu (0.7): the nearest power of two by value, ties
 * rounding up (away from zero), the same rule below 2^-126 as above: values
 * from 1.5 * 2^-127 give 2^-126, smaller ones 2^-127, the smallest code.
 * Zero, negatives, infinity, NaN and overflow give the NaN 0xFF. (torch and
 * ml_dtypes 0.6 differ below 2^-126 and on zero and negatives:
 * docs/formats/dtypes.md §5.) */
static uint64_t encode_e8m0(const tp_xval *v) {
  int code;
  if (v->cls != XV_FINITE || v->neg) return 0xFF;
  if (v->exp < -127) return 0;
  if (v->exp > 127) return 0xFF;
  code = v->exp + 127 + (int)((v->sig >> 62) & 1);
  return code >= 0xFF ? 0xFF : (uint64_t)code;
}

static uint64_t encode_float(tp_type dst, tp_type src, const tp_xval *v) {
  const tp_ffmt *f = &g_fmt[dst];
  unsigned m = f->mbits;
  uint64_t s, q, code;
  int emax;

  if (f->kind == FK_E8M0) return v->cls == XV_NAN ? 0xFF : encode_e8m0(v);
  s = (uint64_t)v->neg << f->sign_shift;
  switch (v->cls) {
  case XV_NAN:
    return nan_code(dst, src, v->neg, v->sig);
  case XV_INF:
    return overflow_code(f, v->neg);
  case XV_ZERO:
    return f->kind == FK_FNUZ ? 0 : s;
  default:
    break;
  }
  emax = f->emin + (int)(f->max_code >> m) - 1;
  if (v->exp > emax) return overflow_code(f, v->neg);
  if (v->exp >= f->emin) {
    q = round_shift(v->sig, 63 - (int)m); /* in [2^m, 2^(m+1)] */
    code = ((uint64_t)(v->exp - f->emin + 1) << m) + q - (UINT64_C(1) << m);
  } else {
    /* subnormal: a carry out of the fraction lands on the smallest normal */
    code = round_shift(v->sig, 63 - (int)m + (f->emin - v->exp));
  }
  if (code > f->max_code) return overflow_code(f, v->neg);
  if (code == 0 && f->kind == FK_FNUZ) return 0; /* no -0 */
  return s | code;
}

/* Float -> integer: truncate toward zero, saturate, NaN -> 0. The result is
 * the two's-complement pattern, truncated to the width by the store. */
static uint64_t encode_int(unsigned bits, bool is_signed, const tp_xval *v) {
  uint64_t mag, max;
  bool huge = false;
  if (v->cls == XV_NAN || v->cls == XV_ZERO) return 0;
  if (v->cls == XV_INF || v->exp > 63) {
    huge = true;
    mag = 0;
  } else if (v->exp < 0) {
    mag = 0;
  } else {
    mag = v->sig >> (63 - v->exp);
  }
  if (!is_signed) {
    max = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    if (v->neg) return 0;
    return (huge || mag > max) ? max : mag;
  }
  max = (UINT64_C(1) << (bits - 1)) - 1;
  if (v->neg) {
    if (huge || mag > max + 1) return (uint64_t)0 - (max + 1);
    return (uint64_t)0 - mag;
  }
  return (huge || mag > max) ? max : mag;
}

/* ------------------------------------------------------------------------ */
/* Element access                                                           */
/* ------------------------------------------------------------------------ */

/* Element codes of one chunk, unpacked to 64 bits. Chunk starts are
 * multiples of TP_CHUNK, so sub-byte elements start on a byte boundary. */
#define TP_CHUNK 256

static void unpack(tp_type t, const uint8_t *p, size_t n, uint64_t *out) {
  size_t i;
  switch (tp_type_block_bytes(t) * 8 / tp_type_block_elems(t)) {
  case 4:
    for (i = 0; i < n; i += 2) {
      out[i] = p[i / 2] & 0xF;
      out[i + 1] = p[i / 2] >> 4;
    }
    break;
  case 6:
    for (i = 0; i < n; i += 4) {
      const uint8_t *b = p + i / 4 * 3;
      uint32_t w = (uint32_t)b[0] | ((uint32_t)b[1] << 8) |
                   ((uint32_t)b[2] << 16);
      out[i] = w & 0x3F;
      out[i + 1] = (w >> 6) & 0x3F;
      out[i + 2] = (w >> 12) & 0x3F;
      out[i + 3] = (w >> 18) & 0x3F;
    }
    break;
  case 8:
    for (i = 0; i < n; i++) out[i] = p[i];
    break;
  case 16:
    for (i = 0; i < n; i++) out[i] = tp_load_le16(p + 2 * i);
    break;
  case 32:
    for (i = 0; i < n; i++) out[i] = tp_load_le32(p + 4 * i);
    break;
  default:
    for (i = 0; i < n; i++) out[i] = tp_load_le64(p + 8 * i);
    break;
  }
}

static void pack(tp_type t, uint8_t *p, size_t n, const uint64_t *in) {
  size_t i;
  switch (tp_type_block_bytes(t) * 8 / tp_type_block_elems(t)) {
  case 4:
    for (i = 0; i < n; i += 2)
      p[i / 2] = (uint8_t)((in[i] & 0xF) | ((in[i + 1] & 0xF) << 4));
    break;
  case 6:
    for (i = 0; i < n; i += 4) {
      uint8_t *b = p + i / 4 * 3;
      uint32_t w = (uint32_t)((in[i] & 0x3F) | ((in[i + 1] & 0x3F) << 6) |
                              ((in[i + 2] & 0x3F) << 12) |
                              ((in[i + 3] & 0x3F) << 18));
      b[0] = (uint8_t)w;
      b[1] = (uint8_t)(w >> 8);
      b[2] = (uint8_t)(w >> 16);
    }
    break;
  case 8:
    for (i = 0; i < n; i++) p[i] = (uint8_t)in[i];
    break;
  case 16:
    for (i = 0; i < n; i++) tp_store_le16(p + 2 * i, (uint16_t)in[i]);
    break;
  case 32:
    for (i = 0; i < n; i++) tp_store_le32(p + 4 * i, (uint32_t)in[i]);
    break;
  default:
    for (i = 0; i < n; i++) tp_store_le64(p + 8 * i, in[i]);
    break;
  }
}

/* Width in bits of an integer type. */
static unsigned int_bits(tp_type t) {
  return tp_type_block_bytes(t) * 8;
}

/* Sign- or zero-extends an integer code to 64 bits. */
static inline uint64_t int_extend(uint64_t c, unsigned bits, bool is_signed) {
  if (bits < 64 && is_signed && ((c >> (bits - 1)) & 1))
    c |= ~((UINT64_C(1) << bits) - 1);
  return c;
}

/* ------------------------------------------------------------------------ */
/* Reference path                                                           */
/* ------------------------------------------------------------------------ */

static tp_xval decode_any(tp_type t, tp_type_kind k, uint64_t c) {
  switch (k) {
  case TP_KIND_FLOAT:
    return decode_float(&g_fmt[t], t, c);
  case TP_KIND_SINT: {
    unsigned bits = int_bits(t);
    int64_t x = (int64_t)int_extend(c, bits, true);
    return x < 0 ? xv_from_u64((uint64_t)0 - (uint64_t)x, 1)
                 : xv_from_u64((uint64_t)x, 0);
  }
  case TP_KIND_UINT:
    return xv_from_u64(c, 0);
  default: /* BOOL: any non-zero byte is true */
    return xv_from_u64(c != 0, 0);
  }
}

/* Converts one chunk of codes in place. The caller has excluded complex
 * sources (other than C64 -> C64) and block types. */
static void convert_codes(tp_type dst, tp_type src, uint64_t *c, size_t n) {
  const tp_type_kind sk = tp_type_traits_of(src)->kind;
  const tp_type_kind dk = tp_type_traits_of(dst)->kind;
  size_t i;

  if ((sk == TP_KIND_SINT || sk == TP_KIND_UINT || sk == TP_KIND_BOOL) &&
      (dk == TP_KIND_SINT || dk == TP_KIND_UINT || dk == TP_KIND_BOOL)) {
    /* integer -> integer: two's-complement wrap-around, as numpy and C */
    unsigned sbits = sk == TP_KIND_BOOL ? 8 : int_bits(src);
    for (i = 0; i < n; i++) {
      uint64_t x = sk == TP_KIND_BOOL ? (c[i] != 0)
                                      : int_extend(c[i], sbits,
                                                   sk == TP_KIND_SINT);
      c[i] = dk == TP_KIND_BOOL ? (x != 0) : x;
    }
    return;
  }
  for (i = 0; i < n; i++) {
    tp_xval v = decode_any(src, sk, c[i]);
    switch (dk) {
    case TP_KIND_FLOAT:
      c[i] = encode_float(dst, src, &v);
      break;
    case TP_KIND_SINT:
      c[i] = encode_int(int_bits(dst), true, &v);
      break;
    case TP_KIND_UINT:
      c[i] = encode_int(int_bits(dst), false, &v);
      break;
    case TP_KIND_BOOL:
      c[i] = v.cls != XV_ZERO; /* NaN is true, -0 is false */
      break;
    default: /* C64: real part as F32, imaginary +0 */
      c[i] = encode_float(TP_TYPE_F32, src, &v);
      break;
    }
  }
}

/* Plain (non-block) types, types validated, src != dst. */
static tp_status convert_plain_ref(tp_type dst, uint8_t *d, tp_type src,
                                   const uint8_t *s, size_t n) {
  uint64_t codes[TP_CHUNK];
  size_t i, sb = tp_type_block_bytes(src), se = tp_type_block_elems(src);
  size_t db = tp_type_block_bytes(dst), de = tp_type_block_elems(dst);

  for (i = 0; i < n; i += TP_CHUNK) {
    size_t c = TP_MIN((size_t)TP_CHUNK, n - i);
    unpack(src, s + i / se * sb, c, codes);
    convert_codes(dst, src, codes, c);
    pack(dst, d + i / de * db, c, codes);
  }
  return TP_OK;
}

/* ------------------------------------------------------------------------ */
/* Direct scalar loops for the hot pairs                                    */
/* ------------------------------------------------------------------------ */

static inline uint16_t f32_to_f16(uint32_t u) {
  uint32_t sign = (u >> 16) & 0x8000;
  uint32_t a = u & 0x7FFFFFFF;
  if (a > 0x7F800000) {
    uint32_t p = (a >> 13) & 0x3FF;
    return (uint16_t)(sign | 0x7C00 | (p ? p : 1));
  }
  if (a >= 0x477FF000) return (uint16_t)(sign | 0x7C00); /* >= 65520 */
  if (a >= 0x38800000) {                                 /* >= 2^-14 */
    uint32_t r = a + 0xFFF + ((a >> 13) & 1);
    return (uint16_t)(sign | ((r - 0x38000000) >> 13));
  }
  if (a <= 0x33000000) return (uint16_t)sign; /* <= 2^-25: ties to 0 */
  {
    uint32_t e = a >> 23, m = (a & 0x7FFFFF) | 0x800000;
    uint32_t sh = 126 - e; /* 14..24 */
    uint32_t q = m >> sh, rem = m & ((1u << sh) - 1), half = 1u << (sh - 1);
    if (rem > half || (rem == half && (q & 1))) q++;
    return (uint16_t)(sign | q);
  }
}

static inline uint32_t f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16;
  uint32_t e = (h >> 10) & 0x1F, m = h & 0x3FF;
  if (e == 0x1F) return sign | 0x7F800000 | (m << 13); /* NaN kept as is */
  if (e == 0) {
    int p;
    if (m == 0) return sign;
    p = 31 - __builtin_clz(m); /* 0..9 */
    return sign | ((uint32_t)(p + 103) << 23) | ((m << (23 - p)) & 0x7FFFFF);
  }
  return sign | ((e + 112) << 23) | (m << 13);
}

static inline uint16_t f32_to_bf16(uint32_t u) {
  if ((u & 0x7FFFFFFF) > 0x7F800000) return 0x7FC0;
  return (uint16_t)((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}

static inline uint16_t bf16_to_f16(uint16_t b) {
  if ((b & 0x7FFF) > 0x7F80) return (uint16_t)((b & 0x8000) | 0x7E00);
  return f32_to_f16((uint32_t)b << 16);
}

static inline uint16_t f16_to_bf16(uint16_t h) {
  if ((h & 0x7FFF) > 0x7C00) return 0x7FC0;
  return f32_to_bf16(f16_to_f32(h));
}

static inline uint32_t f64_to_f32(uint64_t u) {
  uint32_t sign = (uint32_t)(u >> 32) & 0x80000000u;
  uint64_t a = u & UINT64_C(0x7FFFFFFFFFFFFFFF);
  if (a > UINT64_C(0x7FF0000000000000))
    return sign | 0x7FC00000 | (uint32_t)((a >> 29) & 0x7FFFFF);
  if (a >= UINT64_C(0x47EFFFFFF0000000)) return sign | 0x7F800000;
  if (a >= UINT64_C(0x3810000000000000)) { /* >= 2^-126 */
    uint64_t r = a + UINT64_C(0xFFFFFFF) + ((a >> 29) & 1);
    return sign | (uint32_t)((r >> 29) - (UINT64_C(896) << 23));
  }
  {
    uint32_t e = (uint32_t)(a >> 52);
    uint64_t m = (a & UINT64_C(0xFFFFFFFFFFFFF)) | (UINT64_C(1) << 52);
    uint32_t sh = 926 - e; /* >= 30 */
    uint64_t q, rem, half;
    if (sh >= 54) return sign; /* <= 2^-150: ties to 0 */
    q = m >> sh;
    rem = m & ((UINT64_C(1) << sh) - 1);
    half = UINT64_C(1) << (sh - 1);
    if (rem > half || (rem == half && (q & 1))) q++;
    return sign | (uint32_t)q;
  }
}

/* Each fast loop converts [from, n). */
static void loop_f32_f16(uint8_t *d, const uint8_t *s, size_t from, size_t n) {
  for (size_t i = from; i < n; i++)
    tp_store_le16(d + 2 * i, f32_to_f16(tp_load_le32(s + 4 * i)));
}
static void loop_f16_f32(uint8_t *d, const uint8_t *s, size_t from, size_t n) {
  for (size_t i = from; i < n; i++)
    tp_store_le32(d + 4 * i, f16_to_f32(tp_load_le16(s + 2 * i)));
}
static void loop_bf16_f16(uint8_t *d, const uint8_t *s, size_t from,
                          size_t n) {
  for (size_t i = from; i < n; i++)
    tp_store_le16(d + 2 * i, bf16_to_f16(tp_load_le16(s + 2 * i)));
}
static void loop_f16_bf16(uint8_t *d, const uint8_t *s, size_t from,
                          size_t n) {
  for (size_t i = from; i < n; i++)
    tp_store_le16(d + 2 * i, f16_to_bf16(tp_load_le16(s + 2 * i)));
}
static void loop_f32_bf16(uint8_t *d, const uint8_t *s, size_t from,
                          size_t n) {
  for (size_t i = from; i < n; i++)
    tp_store_le16(d + 2 * i, f32_to_bf16(tp_load_le32(s + 4 * i)));
}
static void loop_bf16_f32(uint8_t *d, const uint8_t *s, size_t from,
                          size_t n) {
  for (size_t i = from; i < n; i++)
    tp_store_le32(d + 4 * i, (uint32_t)tp_load_le16(s + 2 * i) << 16);
}
static void loop_f64_f32(uint8_t *d, const uint8_t *s, size_t from, size_t n) {
  for (size_t i = from; i < n; i++)
    tp_store_le32(d + 4 * i, f64_to_f32(tp_load_le64(s + 8 * i)));
}

typedef void (*tp_loop_fn)(uint8_t *d, const uint8_t *s, size_t from,
                           size_t n);
typedef size_t (*tp_simd_fn)(void *dst, const void *src, size_t n);

typedef struct tp_fast_pair {
  tp_type dst, src;
  tp_loop_fn loop;
  tp_simd_fn x86;  /* needs AVX2 + F16C */
  tp_simd_fn neon;
} tp_fast_pair;

#if defined(__x86_64__)
#  define X86(f) tp_cast_x86_##f
#else
#  define X86(f) NULL
#endif
#if defined(__aarch64__) && defined(__AARCH64EL__)
#  define NEON(f) tp_cast_neon_##f
#else
#  define NEON(f) NULL
#endif

static const tp_fast_pair g_fast[] = {
    {TP_TYPE_F16, TP_TYPE_F32, loop_f32_f16, X86(f32_to_f16),
     NEON(f32_to_f16)},
    {TP_TYPE_F32, TP_TYPE_F16, loop_f16_f32, X86(f16_to_f32),
     NEON(f16_to_f32)},
    {TP_TYPE_F16, TP_TYPE_BF16, loop_bf16_f16, X86(bf16_to_f16),
     NEON(bf16_to_f16)},
    {TP_TYPE_BF16, TP_TYPE_F16, loop_f16_bf16, X86(f16_to_bf16),
     NEON(f16_to_bf16)},
    {TP_TYPE_BF16, TP_TYPE_F32, loop_f32_bf16, X86(f32_to_bf16),
     NEON(f32_to_bf16)},
    {TP_TYPE_F32, TP_TYPE_BF16, loop_bf16_f32, X86(bf16_to_f32),
     NEON(bf16_to_f32)},
    {TP_TYPE_F32, TP_TYPE_F64, loop_f64_f32, X86(f64_to_f32),
     NEON(f64_to_f32)},
};

static const tp_fast_pair *find_fast(tp_type dst, tp_type src) {
  size_t i;
  for (i = 0; i < TP_ARRAY_LEN(g_fast); i++)
    if (g_fast[i].dst == dst && g_fast[i].src == src) return &g_fast[i];
  return NULL;
}

static void run_fast(const tp_fast_pair *fp, uint8_t *d, const uint8_t *s,
                     size_t n) {
  size_t done = 0;
  unsigned feat = tp_cpu_features();
  if (fp->x86 && (feat & (TP_CPU_AVX2 | TP_CPU_F16C)) ==
                     (TP_CPU_AVX2 | TP_CPU_F16C))
    done = fp->x86(d, s, n);
  else if (fp->neon && (feat & TP_CPU_NEON))
    done = fp->neon(d, s, n);
  fp->loop(d, s, done, n);
}

/* ------------------------------------------------------------------------ */
/* Direct loops for the small float targets and the small sources          */
/* ------------------------------------------------------------------------ */

/* binary32 bits -> an F8/F6/F4 code (not E8M0), the reference rules of
 * encode_float on binary32 arithmetic. */
static inline uint32_t f32_to_small(const tp_ffmt *f, tp_type dst,
                                    uint32_t u) {
  const unsigned m = f->mbits;
  const uint32_t neg = u >> 31, a = u & 0x7FFFFFFF;
  const int32_t e = (int32_t)(a >> 23);
  uint32_t code;
  if (a >= 0x7F800000)
    return (uint32_t)(a == 0x7F800000 ? overflow_code(f, (int)neg)
                                      : nan_code(dst, TP_TYPE_F32, (int)neg,
                                                 UINT64_C(1) << 63));
  if (e - 127 >= f->emin) {
    const unsigned sh = 23 - m;
    uint32_t r = a + (1u << (sh - 1)) - 1 + ((a >> sh) & 1);
    code = (r >> sh) - ((uint32_t)(127 + f->emin - 1) << m);
  } else {
    /* target subnormal: units of 2^(emin - m) */
    uint32_t mant = e ? (a & 0x7FFFFF) | 0x800000 : a;
    int32_t sh = 150 + f->emin - (int32_t)m - (e ? e : 1);
    if (sh > 25) {
      code = 0;
    } else {
      uint32_t q = mant >> sh, rem = mant & ((1u << sh) - 1);
      uint32_t half = 1u << (sh - 1);
      code = q + (rem > half || (rem == half && (q & 1)));
    }
  }
  if (code > f->max_code) return (uint32_t)overflow_code(f, (int)neg);
  if (code == 0 && f->kind == FK_FNUZ) return 0;
  return (neg << f->sign_shift) | code;
}

/* binary32 bits -> E8M0, the rules of encode_e8m0. */
static inline uint32_t f32_to_e8m0(uint32_t u) {
  uint32_t e = (u >> 23) & 0xFF, frac = u & 0x7FFFFF, code;
  if ((u >> 31) || e == 0xFF || (u & 0x7FFFFFFF) == 0) return 0xFF;
  if (e == 0) return frac >= 0x600000 ? 1 : 0; /* 1.5 * 2^-127 */
  code = e + ((u >> 22) & 1);
  return code >= 0xFF ? 0xFF : code;
}

/* F32, F16, BF16 -> the F8/F6/F4 types. The 16-bit sources widen exactly
 * (their NaNs keep the sign, all these targets need). */
static void loop_to_small(tp_type dst, uint8_t *d, tp_type src,
                          const uint8_t *s, size_t n) {
  const tp_ffmt *f = &g_fmt[dst];
  uint64_t codes[TP_CHUNK];
  size_t i, k, de = tp_type_block_elems(dst), db = tp_type_block_bytes(dst);
  for (i = 0; i < n; i += TP_CHUNK) {
    size_t c = TP_MIN((size_t)TP_CHUNK, n - i);
    for (k = 0; k < c; k++) {
      uint32_t u;
      if (src == TP_TYPE_F32)
        u = tp_load_le32(s + 4 * (i + k));
      else if (src == TP_TYPE_F16)
        u = f16_to_f32(tp_load_le16(s + 2 * (i + k)));
      else
        u = (uint32_t)tp_load_le16(s + 2 * (i + k)) << 16;
      codes[k] = f->kind == FK_E8M0 ? f32_to_e8m0(u) : f32_to_small(f, dst, u);
    }
    pack(dst, d + i / de * db, c, codes);
  }
}

static inline bool is_small_target_source(tp_type src) {
  return src == TP_TYPE_F32 || src == TP_TYPE_F16 || src == TP_TYPE_BF16;
}

/* Sources of at most 8 bits: every result is a function of the code alone,
 * so a table filled by the reference path converts with the same bits. */
static void convert_lut(tp_type dst, uint8_t *d, tp_type src,
                        const uint8_t *s, size_t n) {
  uint64_t lut[256], codes[TP_CHUNK];
  size_t i, k, ncodes = (size_t)1 << (tp_type_block_bytes(src) * 8 /
                                      tp_type_block_elems(src));
  size_t se = tp_type_block_elems(src), sb = tp_type_block_bytes(src);
  size_t de = tp_type_block_elems(dst), db = tp_type_block_bytes(dst);
  for (k = 0; k < ncodes; k++) lut[k] = k;
  convert_codes(dst, src, lut, ncodes);
  for (i = 0; i < n; i += TP_CHUNK) {
    size_t c = TP_MIN((size_t)TP_CHUNK, n - i);
    unpack(src, s + i / se * sb, c, codes);
    for (k = 0; k < c; k++) codes[k] = lut[codes[k]];
    pack(dst, d + i / de * db, c, codes);
  }
}

/* Below this many elements building the table costs more than it saves. */
#define TP_LUT_MIN 512

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                 */
/* ------------------------------------------------------------------------ */

tp_status tp_cast_check(tp_type dst_type, const void *dst, tp_type src_type,
                        const void *src, size_t n) {
  uint32_t sb, db;
  if ((unsigned)dst_type >= TP_TYPE_COUNT ||
      (unsigned)src_type >= TP_TYPE_COUNT)
    return tp_error(TP_EINVAL, "convert: invalid element type (%d -> %d)",
                    (int)src_type, (int)dst_type);
  sb = tp_type_block_elems(src_type);
  db = tp_type_block_elems(dst_type);
  if (n % sb || n % db)
    return tp_error(TP_EINVAL,
                    "convert %s -> %s: %zu elements is not a multiple of the "
                    "block sizes (%u, %u)",
                    tp_type_name(src_type), tp_type_name(dst_type), n, sb,
                    db);
  if (n && (!dst || !src))
    return tp_error(TP_EINVAL, "convert %s -> %s: NULL buffer",
                    tp_type_name(src_type), tp_type_name(dst_type));
  if (src_type == TP_TYPE_C64 && dst_type != TP_TYPE_C64)
    return tp_error(TP_EUNSUPPORTED,
                    "convert C64 -> %s: complex to real would drop the "
                    "imaginary part",
                    tp_type_name(dst_type));
  return TP_OK;
}

static tp_status convert(tp_type dst_type, void *dst, tp_type src_type,
                         const void *src, size_t n, bool ref) {
  tp_status st = tp_cast_check(dst_type, dst, src_type, src, n);
  const tp_fast_pair *fp;
  if (st != TP_OK) return st;
  if (n == 0) return TP_OK;
  if (dst_type == src_type) {
    uint64_t bytes;
    if (!tp_type_nbytes(src_type, n, &bytes) || bytes > SIZE_MAX)
      return tp_error(TP_EINVAL, "convert %s: %zu elements is too many",
                      tp_type_name(src_type), n);
    memmove(dst, src, (size_t)bytes);
    return TP_OK;
  }
  if (tp_type_is_quantized(src_type) || tp_type_is_quantized(dst_type))
    return tp_error(TP_EUNSUPPORTED,
                    "cast %s -> %s: block types are converted through F32 by "
                    "tp_convert_elements",
                    tp_type_name(src_type), tp_type_name(dst_type));
  if (!ref) {
    if ((fp = find_fast(dst_type, src_type)) != NULL) {
      run_fast(fp, dst, src, n);
      return TP_OK;
    }
    if (is_small_float(dst_type) && is_small_target_source(src_type)) {
      loop_to_small(dst_type, dst, src_type, src, n);
      return TP_OK;
    }
    if (n >= TP_LUT_MIN && tp_type_block_bytes(src_type) * 8 <=
                               8 * tp_type_block_elems(src_type)) {
      convert_lut(dst_type, dst, src_type, src, n);
      return TP_OK;
    }
  }
  return convert_plain_ref(dst_type, dst, src_type, src, n);
}

tp_status tp_cast_elements(tp_type dst_type, void *dst, tp_type src_type,
                           const void *src, size_t n) {
  return convert(dst_type, dst, src_type, src, n, false);
}

tp_status tp_cast_elements_ref(tp_type dst_type, void *dst, tp_type src_type,
                               const void *src, size_t n) {
  return convert(dst_type, dst, src_type, src, n, true);
}
