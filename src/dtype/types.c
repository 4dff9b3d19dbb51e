/*
 * types.c - the element-type table and name lookups.
 *
 * One row per tp_type. The SafeTensors rank is the position in the reference
 * crate's Dtype enum, which its writer uses as the primary sort key.
 */
#include "dtype.h"

#include <ctype.h>
#include <strings.h>

static const tp_type_traits g_types[TP_TYPE_COUNT] = {
    [TP_TYPE_F32] = {"F32", "F32", 0, 1, 4, TP_KIND_FLOAT, 17},
    [TP_TYPE_F16] = {"F16", "F16", 1, 1, 2, TP_KIND_FLOAT, 13},
    [TP_TYPE_BF16] = {"BF16", "BF16", 30, 1, 2, TP_KIND_FLOAT, 14},
    [TP_TYPE_F64] = {"F64", "F64", 28, 1, 8, TP_KIND_FLOAT, 19},
    [TP_TYPE_I8] = {"I8", "I8", 24, 1, 1, TP_KIND_SINT, 5},
    [TP_TYPE_I16] = {"I16", "I16", 25, 1, 2, TP_KIND_SINT, 11},
    [TP_TYPE_I32] = {"I32", "I32", 26, 1, 4, TP_KIND_SINT, 15},
    [TP_TYPE_I64] = {"I64", "I64", 27, 1, 8, TP_KIND_SINT, 20},
    [TP_TYPE_U8] = {"U8", "U8", -1, 1, 1, TP_KIND_UINT, 4},
    [TP_TYPE_U16] = {"U16", "U16", -1, 1, 2, TP_KIND_UINT, 12},
    [TP_TYPE_U32] = {"U32", "U32", -1, 1, 4, TP_KIND_UINT, 16},
    [TP_TYPE_U64] = {"U64", "U64", -1, 1, 8, TP_KIND_UINT, 21},
    [TP_TYPE_BOOL] = {"BOOL", "BOOL", -1, 1, 1, TP_KIND_BOOL, 0},
    [TP_TYPE_C64] = {"C64", "C64", -1, 1, 8, TP_KIND_COMPLEX, 18},
    [TP_TYPE_F8_E4M3] = {"F8_E4M3", "F8_E4M3", -1, 1, 1, TP_KIND_FLOAT, 7},
    [TP_TYPE_F8_E5M2] = {"F8_E5M2", "F8_E5M2", -1, 1, 1, TP_KIND_FLOAT, 6},
    [TP_TYPE_F8_E8M0] = {"F8_E8M0", "F8_E8M0", -1, 1, 1, TP_KIND_FLOAT, 8},
    [TP_TYPE_F8_E4M3FNUZ] = {"F8_E4M3FNUZ", "F8_E4M3FNUZ", -1, 1, 1,
                             TP_KIND_FLOAT, 9},
    [TP_TYPE_F8_E5M2FNUZ] = {"F8_E5M2FNUZ", "F8_E5M2FNUZ", -1, 1, 1,
                             TP_KIND_FLOAT, 10},
    [TP_TYPE_F4] = {"F4", "F4", -1, 2, 1, TP_KIND_FLOAT, 1},
    [TP_TYPE_F6_E2M3] = {"F6_E2M3", "F6_E2M3", -1, 4, 3, TP_KIND_FLOAT, 2},
    [TP_TYPE_F6_E3M2] = {"F6_E3M2", "F6_E3M2", -1, 4, 3, TP_KIND_FLOAT, 3},
    [TP_TYPE_Q4_0] = {"Q4_0", NULL, 2, 32, 18, TP_KIND_QUANT, -1},
    [TP_TYPE_Q4_1] = {"Q4_1", NULL, 3, 32, 20, TP_KIND_QUANT, -1},
    [TP_TYPE_Q5_0] = {"Q5_0", NULL, 6, 32, 22, TP_KIND_QUANT, -1},
    [TP_TYPE_Q5_1] = {"Q5_1", NULL, 7, 32, 24, TP_KIND_QUANT, -1},
    [TP_TYPE_Q8_0] = {"Q8_0", NULL, 8, 32, 34, TP_KIND_QUANT, -1},
    [TP_TYPE_Q8_1] = {"Q8_1", NULL, 9, 32, 36, TP_KIND_QUANT, -1},
    [TP_TYPE_Q2_K] = {"Q2_K", NULL, 10, 256, 84, TP_KIND_QUANT, -1},
    [TP_TYPE_Q3_K] = {"Q3_K", NULL, 11, 256, 110, TP_KIND_QUANT, -1},
    [TP_TYPE_Q4_K] = {"Q4_K", NULL, 12, 256, 144, TP_KIND_QUANT, -1},
    [TP_TYPE_Q5_K] = {"Q5_K", NULL, 13, 256, 176, TP_KIND_QUANT, -1},
    [TP_TYPE_Q6_K] = {"Q6_K", NULL, 14, 256, 210, TP_KIND_QUANT, -1},
    [TP_TYPE_Q8_K] = {"Q8_K", NULL, 15, 256, 292, TP_KIND_QUANT, -1},
    [TP_TYPE_IQ2_XXS] = {"IQ2_XXS", NULL, 16, 256, 66, TP_KIND_QUANT, -1},
    [TP_TYPE_IQ2_XS] = {"IQ2_XS", NULL, 17, 256, 74, TP_KIND_QUANT, -1},
    [TP_TYPE_IQ3_XXS] = {"IQ3_XXS", NULL, 18, 256, 98, TP_KIND_QUANT, -1},
    [TP_TYPE_IQ1_S] = {"IQ1_S", NULL, 19, 256, 50, TP_KIND_QUANT, -1},
    [TP_TYPE_IQ4_NL] = {"IQ4_NL", NULL, 20, 32, 18, TP_KIND_QUANT, -1},
    [TP_TYPE_IQ3_S] = {"IQ3_S", NULL, 21, 256, 110, TP_KIND_QUANT, -1},
    [TP_TYPE_IQ2_S] = {"IQ2_S", NULL, 22, 256, 82, TP_KIND_QUANT, -1},
    [TP_TYPE_IQ4_XS] = {"IQ4_XS", NULL, 23, 256, 136, TP_KIND_QUANT, -1},
    [TP_TYPE_IQ1_M] = {"IQ1_M", NULL, 29, 256, 56, TP_KIND_QUANT, -1},
    [TP_TYPE_TQ1_0] = {"TQ1_0", NULL, 34, 256, 54, TP_KIND_QUANT, -1},
    [TP_TYPE_TQ2_0] = {"TQ2_0", NULL, 35, 256, 66, TP_KIND_QUANT, -1},
    [TP_TYPE_MXFP4] = {"MXFP4", NULL, 39, 32, 17, TP_KIND_QUANT, -1},
    [TP_TYPE_NVFP4] = {"NVFP4", NULL, 40, 64, 36, TP_KIND_QUANT, -1},
    [TP_TYPE_Q1_0] = {"Q1_0", NULL, 41, 128, 18, TP_KIND_QUANT, -1},
    [TP_TYPE_Q2_0] = {"Q2_0", NULL, 42, 64, 18, TP_KIND_QUANT, -1},
};

/* Names users know from numpy, torch, ml_dtypes, mlx and llama.cpp. */
static const struct {
  const char *alias;
  tp_type type;
} g_aliases[] = {
    {"float32", TP_TYPE_F32},      {"fp32", TP_TYPE_F32},
    {"float", TP_TYPE_F32},        {"float16", TP_TYPE_F16},
    {"fp16", TP_TYPE_F16},         {"half", TP_TYPE_F16},
    {"bfloat16", TP_TYPE_BF16},    {"bf16", TP_TYPE_BF16},
    {"float64", TP_TYPE_F64},      {"fp64", TP_TYPE_F64},
    {"double", TP_TYPE_F64},       {"int8", TP_TYPE_I8},
    {"int16", TP_TYPE_I16},        {"int32", TP_TYPE_I32},
    {"int64", TP_TYPE_I64},        {"uint8", TP_TYPE_U8},
    {"uint16", TP_TYPE_U16},       {"uint32", TP_TYPE_U32},
    {"uint64", TP_TYPE_U64},       {"bool", TP_TYPE_BOOL},
    {"bool_", TP_TYPE_BOOL},       {"complex64", TP_TYPE_C64},
    {"float8_e4m3fn", TP_TYPE_F8_E4M3}, {"f8_e4m3fn", TP_TYPE_F8_E4M3},
    {"float8_e5m2", TP_TYPE_F8_E5M2},   {"float8_e8m0fnu", TP_TYPE_F8_E8M0},
    {"float8_e4m3fnuz", TP_TYPE_F8_E4M3FNUZ},
    {"float8_e5m2fnuz", TP_TYPE_F8_E5M2FNUZ},
    {"float4_e2m1fn", TP_TYPE_F4}, {"float4_e2m1fn_x2", TP_TYPE_F4},
    {"f4_e2m1", TP_TYPE_F4},       {"float6_e2m3fn", TP_TYPE_F6_E2M3},
    {"float6_e3m2fn", TP_TYPE_F6_E3M2},
};

const tp_type_traits *tp_type_traits_of(tp_type t) {
  if ((unsigned)t >= TP_TYPE_COUNT) return NULL;
  return &g_types[t];
}

const char *tp_type_name(tp_type t) {
  return (unsigned)t < TP_TYPE_COUNT ? g_types[t].name : "?";
}

uint32_t tp_type_block_elems(tp_type t) {
  return (unsigned)t < TP_TYPE_COUNT ? g_types[t].blck : 0;
}

uint32_t tp_type_block_bytes(tp_type t) {
  return (unsigned)t < TP_TYPE_COUNT ? g_types[t].bytes : 0;
}

int tp_type_is_float(tp_type t) {
  return (unsigned)t < TP_TYPE_COUNT && g_types[t].kind == TP_KIND_FLOAT;
}

int tp_type_is_quantized(tp_type t) {
  return (unsigned)t < TP_TYPE_COUNT && g_types[t].kind == TP_KIND_QUANT;
}

int tp_type_ggml_id(tp_type t) {
  return (unsigned)t < TP_TYPE_COUNT ? g_types[t].ggml_id : -1;
}

tp_status tp_type_from_ggml_id(uint32_t id, tp_type *out) {
  unsigned i;
  for (i = 0; i < TP_TYPE_COUNT; i++) {
    if (g_types[i].ggml_id >= 0 && (uint32_t)g_types[i].ggml_id == id) {
      *out = (tp_type)i;
      return TP_OK;
    }
  }
  return tp_error(TP_ENOTFOUND, "unknown ggml type id %u", id);
}

const char *tp_type_safetensors_name(tp_type t) {
  return (unsigned)t < TP_TYPE_COUNT ? g_types[t].st_name : NULL;
}

bool tp_type_from_safetensors_name(const char *s, size_t len, tp_type *out) {
  unsigned i;
  for (i = 0; i < TP_TYPE_COUNT; i++) {
    const char *n = g_types[i].st_name;
    if (n && strlen(n) == len && memcmp(n, s, len) == 0) {
      *out = (tp_type)i;
      return true;
    }
  }
  return false;
}

tp_status tp_type_from_name(const char *name, tp_type *out) {
  unsigned i;
  const char *s = name;
  if (!name) return tp_error(TP_EINVAL, "no type name");
  /* numpy-style "torch.float16" / "mx.float16" prefixes */
  if (!strncasecmp(s, "torch.", 6)) s += 6;
  else if (!strncasecmp(s, "mx.", 3)) s += 3;
  else if (!strncasecmp(s, "np.", 3)) s += 3;
  for (i = 0; i < TP_TYPE_COUNT; i++)
    if (!strcasecmp(g_types[i].name, s)) {
      *out = (tp_type)i;
      return TP_OK;
    }
  for (i = 0; i < TP_ARRAY_LEN(g_aliases); i++)
    if (!strcasecmp(g_aliases[i].alias, s)) {
      *out = g_aliases[i].type;
      return TP_OK;
    }
  return tp_error(TP_ENOTFOUND, "unknown element type '%s'", name);
}

bool tp_type_nbytes(tp_type t, uint64_t n, uint64_t *out) {
  const tp_type_traits *tr = tp_type_traits_of(t);
  if (!tr || tr->blck == 0 || n % tr->blck) return false;
  return !tp_mul_overflow_u64(n / tr->blck, tr->bytes, out);
}
