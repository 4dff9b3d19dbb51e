/*
 * presets.c - llama-quantize's file-type presets (llama_ftype) as a table:
 * names and aliases, the default tensor type of each, which ones
 * tensorport refuses and why. The per-tensor rules that build on them are
 * policy.c; docs/formats/quantize-presets.md lists both.
 */
#include "policy.h"

#include "../../dtype/dtype.h"
#include "../../quant/quant.h"

#include <strings.h>

/* ---- presets ------------------------------------------------------------- */

/* Why tensorport refuses a preset that llama-quantize offers. */
enum {
  REFUSE_NONE = 0,
  REFUSE_IMATRIX, /* llama-quantize itself needs --imatrix for it */
  REFUSE_IQ       /* needs i-quant quantizers tensorport does not have */
};

typedef struct tp_preset {
  const char *name; /* llama-quantize's spelling */
  int ftype;
  tp_type deftype;  /* llama_ftype_get_default_type */
  uint8_t alias;    /* an alias: not the canonical name of the value */
  uint8_t refuse;
} tp_preset;

/* llama-quantize's QUANT_OPTIONS, in its order: a number resolves to the
 * first entry with that value, and tp_ftype_for_type picks the first entry
 * with a given default type (so Q4_K -> Q4_K_M, as its alias says). */
static const tp_preset k_presets[] = {
    {"Q1_0", TP_FTYPE_Q1_0, TP_TYPE_Q1_0, 0, REFUSE_NONE},
    {"Q2_0", TP_FTYPE_Q2_0, TP_TYPE_Q2_0, 0, REFUSE_NONE},
    {"Q4_0", TP_FTYPE_Q4_0, TP_TYPE_Q4_0, 0, REFUSE_NONE},
    {"Q4_1", TP_FTYPE_Q4_1, TP_TYPE_Q4_1, 0, REFUSE_NONE},
    {"MXFP4_MOE", TP_FTYPE_MXFP4_MOE, TP_TYPE_MXFP4, 0, REFUSE_NONE},
    {"Q5_0", TP_FTYPE_Q5_0, TP_TYPE_Q5_0, 0, REFUSE_NONE},
    {"Q5_1", TP_FTYPE_Q5_1, TP_TYPE_Q5_1, 0, REFUSE_NONE},
    {"IQ2_XXS", TP_FTYPE_IQ2_XXS, TP_TYPE_IQ2_XXS, 0, REFUSE_IMATRIX},
    {"IQ2_XS", TP_FTYPE_IQ2_XS, TP_TYPE_IQ2_XS, 0, REFUSE_IMATRIX},
    {"IQ2_S", TP_FTYPE_IQ2_S, TP_TYPE_IQ2_XS, 0, REFUSE_IMATRIX},
    {"IQ2_M", TP_FTYPE_IQ2_M, TP_TYPE_IQ2_S, 0, REFUSE_IMATRIX},
    {"IQ1_S", TP_FTYPE_IQ1_S, TP_TYPE_IQ1_S, 0, REFUSE_IMATRIX},
    {"IQ1_M", TP_FTYPE_IQ1_M, TP_TYPE_IQ1_M, 0, REFUSE_IMATRIX},
    {"TQ1_0", TP_FTYPE_TQ1_0, TP_TYPE_TQ1_0, 0, REFUSE_NONE},
    {"TQ2_0", TP_FTYPE_TQ2_0, TP_TYPE_TQ2_0, 0, REFUSE_NONE},
    {"Q2_K", TP_FTYPE_Q2_K, TP_TYPE_Q2_K, 0, REFUSE_NONE},
    {"Q2_K_S", TP_FTYPE_Q2_K_S, TP_TYPE_Q2_K, 0, REFUSE_IMATRIX},
    {"IQ3_XXS", TP_FTYPE_IQ3_XXS, TP_TYPE_IQ3_XXS, 0, REFUSE_IMATRIX},
    {"IQ3_S", TP_FTYPE_IQ3_S, TP_TYPE_IQ3_S, 0, REFUSE_IQ},
    {"IQ3_M", TP_FTYPE_IQ3_M, TP_TYPE_IQ3_S, 0, REFUSE_IQ},
    {"Q3_K", TP_FTYPE_Q3_K_M, TP_TYPE_Q3_K, 1, REFUSE_NONE},
    {"IQ3_XS", TP_FTYPE_IQ3_XS, TP_TYPE_IQ3_S, 0, REFUSE_IMATRIX},
    {"Q3_K_S", TP_FTYPE_Q3_K_S, TP_TYPE_Q3_K, 0, REFUSE_NONE},
    {"Q3_K_M", TP_FTYPE_Q3_K_M, TP_TYPE_Q3_K, 0, REFUSE_NONE},
    {"Q3_K_L", TP_FTYPE_Q3_K_L, TP_TYPE_Q3_K, 0, REFUSE_NONE},
    {"IQ4_NL", TP_FTYPE_IQ4_NL, TP_TYPE_IQ4_NL, 0, REFUSE_IQ},
    {"IQ4_XS", TP_FTYPE_IQ4_XS, TP_TYPE_IQ4_XS, 0, REFUSE_IQ},
    {"Q4_K", TP_FTYPE_Q4_K_M, TP_TYPE_Q4_K, 1, REFUSE_NONE},
    {"Q4_K_S", TP_FTYPE_Q4_K_S, TP_TYPE_Q4_K, 0, REFUSE_NONE},
    {"Q4_K_M", TP_FTYPE_Q4_K_M, TP_TYPE_Q4_K, 0, REFUSE_NONE},
    {"Q5_K", TP_FTYPE_Q5_K_M, TP_TYPE_Q5_K, 1, REFUSE_NONE},
    {"Q5_K_S", TP_FTYPE_Q5_K_S, TP_TYPE_Q5_K, 0, REFUSE_NONE},
    {"Q5_K_M", TP_FTYPE_Q5_K_M, TP_TYPE_Q5_K, 0, REFUSE_NONE},
    {"Q6_K", TP_FTYPE_Q6_K, TP_TYPE_Q6_K, 0, REFUSE_NONE},
    {"Q8_0", TP_FTYPE_Q8_0, TP_TYPE_Q8_0, 0, REFUSE_NONE},
    {"F16", TP_FTYPE_F16, TP_TYPE_F16, 0, REFUSE_NONE},
    {"BF16", TP_FTYPE_BF16, TP_TYPE_BF16, 0, REFUSE_NONE},
    {"F32", TP_FTYPE_ALL_F32, TP_TYPE_F32, 0, REFUSE_NONE},
};

/* Names of llama_ftype values that are not presets (for inspect output). */
static const struct {
  int ftype;
  const char *name;
} k_other_ftype_names[] = {
    {4, "Q4_1_SOME_F16"}, {5, "Q4_2"},     {6, "Q4_3"},
    {33, "Q4_0_4_4"},     {34, "Q4_0_4_8"}, {35, "Q4_0_8_8"},
    {TP_FTYPE_NVFP4, "NVFP4"}, {TP_FTYPE_GUESSED, "GUESSED"},
};

static const tp_preset *preset_of(int ftype) {
  size_t i;
  for (i = 0; i < TP_ARRAY_LEN(k_presets); i++)
    if (k_presets[i].ftype == ftype) return &k_presets[i];
  return NULL;
}

static const tp_preset *canonical_preset_of(int ftype) {
  size_t i;
  for (i = 0; i < TP_ARRAY_LEN(k_presets); i++)
    if (k_presets[i].ftype == ftype && !k_presets[i].alias)
      return &k_presets[i];
  return NULL;
}

/* TP_OK when tensorport can produce the preset, else the reason. */
static tp_status preset_supported(const tp_preset *pr) {
  switch (pr->refuse) {
  case REFUSE_IMATRIX:
    return tp_error(TP_EUNSUPPORTED,
                    "file type %s needs an importance matrix (llama-quantize "
                    "--imatrix), which tensorport does not support; use a "
                    "K-quant preset such as Q4_K_M or Q3_K_S instead",
                    pr->name);
  case REFUSE_IQ:
    return tp_error(TP_EUNSUPPORTED,
                    "file type %s needs %s quantization, which tensorport "
                    "cannot do (it reads i-quant types but has no i-quant "
                    "quantizers); use a K-quant preset such as Q4_K_M instead",
                    pr->name, tp_type_name(pr->deftype));
  default:
    break;
  }
  if (tp_type_is_quantized(pr->deftype) && !tp_quant_can_quantize(pr->deftype))
    return tp_error(TP_EUNSUPPORTED,
                    "file type %s: this build cannot quantize to %s",
                    pr->name, tp_type_name(pr->deftype));
  return TP_OK;
}

tp_status tp_ftype_from_name(const char *name, int *ftype) {
  size_t i;
  const tp_preset *pr = NULL;
  if (!name || !ftype)
    return tp_error(TP_EINVAL, "tp_ftype_from_name: NULL argument");
  for (i = 0; i < TP_ARRAY_LEN(k_presets) && !pr; i++)
    if (!strcasecmp(k_presets[i].name, name)) pr = &k_presets[i];
  if (!pr && *name) {
    /* llama-quantize also takes the number of a listed preset */
    const char *s = name;
    long v = 0;
    while (*s >= '0' && *s <= '9' && v < 100000) v = v * 10 + (*s++ - '0');
    if (!*s) pr = preset_of((int)v);
  }
  if (!pr)
    return tp_error(TP_ENOTFOUND, "unknown file type '%s'", name);
  *ftype = pr->ftype;
  return preset_supported(pr);
}

const char *tp_ftype_name(int ftype) {
  const tp_preset *pr = canonical_preset_of(ftype);
  size_t i;
  if (pr) return pr->name;
  for (i = 0; i < TP_ARRAY_LEN(k_other_ftype_names); i++)
    if (k_other_ftype_names[i].ftype == ftype) return k_other_ftype_names[i].name;
  return "?";
}

tp_type tp_ftype_default_type(int ftype) {
  const tp_preset *pr = preset_of(ftype);
  return pr ? pr->deftype : TP_TYPE_COUNT;
}

int tp_ftype_for_type(tp_type t) {
  size_t i;
  for (i = 0; i < TP_ARRAY_LEN(k_presets); i++)
    if (k_presets[i].deftype == t) return k_presets[i].ftype;
  return -1;
}

tp_status tp_ftype_supported(int ftype) {
  const tp_preset *pr = preset_of(ftype);
  if (!pr) return tp_error(TP_EINVAL, "invalid GGUF file type %d", ftype);
  return preset_supported(pr);
}
