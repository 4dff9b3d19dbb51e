/*
 * policy.c - GGUF's type policy (its format table row's choose_types):
 * llama-quantize's rules on top of the presets of presets.c.
 *
 * Two paths:
 *  - a file-type preset (opts.ftype >= 0, e.g. Q4_K_M): llama-quantize's
 *    per-tensor rules, reproduced so that the tensor data (and the whole
 *    file) equals llama-quantize's for the same input. The rules follow
 *    llama.cpp src/llama-quant.cpp (llama_tensor_get_type and friends) of
 *    the llama.cpp this project tests against; docs/formats/
 *    quantize-presets.md lists them and where they differ from older
 *    releases. Tensors are put into llama-quantize's output order first,
 *    because its mixture counters (i_attention_wv, i_ffn_down) run in that
 *    order and because whole files can then be identical.
 *  - a plain element type (opts.type): every tensor llama-quantize would
 *    quantize gets that type (its --pure behaviour), the others keep their
 *    type; for non-GGUF sources, vectors stay in F32 as convert_hf_to_gguf.py
 *    keeps them, since a block type would cost accuracy for no size gain.
 *  Without a preset, general.file_type is what llama.cpp's loader would
 *  guess from the tensors written (tp_ftype_guess), so a copy or a
 *  SafeTensors file's restored metadata never keeps a stale one.
 *
 * Rules are data where they are lists (presets in presets.c, excluded
 * names, fallbacks; architecture facts such as the 70B layer counts in
 * src/arch/quant_facts.c); the mixture itself stays code in the shape of
 * llama.cpp's, because its branch order is the specification.
 */
#include "policy.h"

#include "../../dtype/dtype.h"
#include "../../quant/quant.h"
#include "../../arch/quant_facts.h"

#include <ctype.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- tensor order ---------------------------------------------------------- */

/* sscanf(name, "blk.%d.", &layer) == 1: "blk.", then %d (optional white
 * space, optional sign, digits; glibc's strtol saturates on overflow and
 * the int store keeps the low 32 bits). The trailing '.' is not needed for
 * the conversion to count. */
static int parse_layer(const char *name, int *out) {
  const char *s = name;
  int neg = 0, ovf = 0;
  unsigned long v = 0, lim;
  if (strncmp(s, "blk.", 4)) return 0;
  s += 4;
  while (isspace((unsigned char)*s)) s++;
  if (*s == '+' || *s == '-') neg = *s++ == '-';
  if (!isdigit((unsigned char)*s)) return 0;
  lim = neg ? (unsigned long)LONG_MAX + 1u : (unsigned long)LONG_MAX;
  for (; isdigit((unsigned char)*s); s++) {
    unsigned d = (unsigned)(*s - '0');
    if (ovf || v > (lim - d) / 10) ovf = 1;
    else v = v * 10 + d;
  }
  if (ovf) v = lim;
  if (neg) v = 0u - v;
  *out = (int)(uint32_t)(v & 0xffffffffu);
  return 1;
}

int tp_ftype_layer_of(const char *name) {
  int l = -1; /* weight_name_comparer's initial value */
  parse_layer(name, &l);
  return l;
}

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen) {
  int c = memcmp(a, b, alen < blen ? alen : blen);
  if (c) return c;
  return alen < blen ? -1 : alen > blen;
}

static int cmp_entries(const void *pa, const void *pb) {
  const tp_out_tensor *a = pa, *b = pb;
  int la = tp_ftype_layer_of(a->name), lb = tp_ftype_layer_of(b->name);
  if (la != lb) return la < lb ? -1 : 1;
  return cmp_bytes(a->name, a->name_len, b->name, b->name_len);
}

void tp_ftype_sort_entries(tp_out_tensor *entries, size_t n) {
  if (n > 1) qsort(entries, n, sizeof *entries, cmp_entries);
}

/* ---- which tensors llama-quantize quantizes -------------------------------- */

/* Substrings that exclude a tensor (tensor_allows_quantization). */
static const char *const k_never_quantized[] = {
    "ffn_gate_inp.weight",   /* MoE router */
    "ffn_gate_tid2eid.weight",
    "altup", "laurel", "per_layer_model_proj",
    "ssm_conv1d", "shortconv.conv.weight",
    "indexer.k_proj.weight", "indexer.q_proj.weight",
    "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight",
    "time_mix_w2.weight", "time_mix_v0.weight", "time_mix_v1.weight",
    "time_mix_v2.weight", "time_mix_a0.weight", "time_mix_a1.weight",
    "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
    "time_mix_decay_w1.weight", "time_mix_decay_w2.weight",
    "time_mix_lerp_fused.weight",
    "attn_rel_b.weight",
    ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos",
    ".patch_embd", ".patch_merger",
    "a.rvq.codebook", "mm.a.code_embd",
};
/* Exact names excluded (LLM_TENSOR_POS_EMBD, LLM_TENSOR_TOKEN_TYPES). */
static const char *const k_never_quantized_exact[] = {
    "position_embd.weight", "token_types.weight",
};
typedef enum tcat {
  CAT_TOKEN_EMBD,
  CAT_ATTN_Q,
  CAT_ATTN_V,
  CAT_ATTN_K,
  CAT_ATTN_QKV,
  CAT_ATTN_KV_B,
  CAT_ATTN_OUTPUT,
  CAT_FFN_UP,
  CAT_FFN_GATE,
  CAT_FFN_DOWN,
  CAT_OUTPUT,
  CAT_OTHER
} tcat;

/* tensor_get_category: the first match in this order. */
static tcat category_of(const char *name) {
  static const struct {
    const char *sub;
    tcat cat;
  } subs[] = {
      {"attn_qkv.weight", CAT_ATTN_QKV}, {"attn_kv_b.weight", CAT_ATTN_KV_B},
      {"attn_v.weight", CAT_ATTN_V},     {"attn_k.weight", CAT_ATTN_K},
      {"attn_q.weight", CAT_ATTN_Q},     {"attn_output.weight", CAT_ATTN_OUTPUT},
      {"ffn_up", CAT_FFN_UP},            {"ffn_gate", CAT_FFN_GATE},
      {"ffn_down", CAT_FFN_DOWN},
  };
  size_t i;
  if (!strcmp(name, "output.weight")) return CAT_OUTPUT;
  if (!strcmp(name, "token_embd.weight") ||
      !strcmp(name, "per_layer_token_embd.weight"))
    return CAT_TOKEN_EMBD;
  for (i = 0; i < TP_ARRAY_LEN(subs); i++)
    if (strstr(name, subs[i].sub)) return subs[i].cat;
  return CAT_OTHER;
}

static int cat_is_attn_v(tcat c) {
  return c == CAT_ATTN_V || c == CAT_ATTN_QKV || c == CAT_ATTN_KV_B;
}

/* Mixture state (quantize_state_impl) plus the options that steer it. */
typedef struct qstate {
  int ftype;          /* the preset, or for plain types the matching one */
  tp_type deftype;
  int pure;
  int quantize_output;
  int ott, tet;       /* --output-tensor-type / --token-embedding-type */
  regex_t *re;        /* compiled opts.type_rules */
  const tp_tensor_type_rule *rules;
  size_t nre;
  const tp_arch_quant_facts *arch; /* llama-quantize's rules for it */
  int is_70b;
  uint32_t n_expert;
  uint32_t n_gqa;
  int n_layer;        /* n_ffn_down = n_ffn_gate = n_ffn_up */
  int n_attention_wv, i_attention_wv, i_ffn_down, i_ffn_gate, i_ffn_up;
  int has_tied_embeddings;
  const char *fname;  /* preset name for notes */
} qstate;

/* ggml_n_dims: ne[i] = shape[ndim-1-i]; the highest i with ne[i] > 1,
 * plus one (so it is 1 for [1, 4096], a 2-D tensor of a single row). */
static uint32_t n_dims_of(const tp_out_tensor *e) {
  uint32_t i;
  for (i = e->ndim; i >= 2; i--)
    if (e->shape[e->ndim - i] > 1) return i;
  return 1;
}

static uint64_t ne0_of(const tp_out_tensor *e) {
  return e->ndim ? e->shape[e->ndim - 1] : 1;
}

static uint64_t ne2_of(const tp_out_tensor *e) {
  return e->ndim >= 3 ? e->shape[e->ndim - 3] : 1;
}

/* NULL when llama-quantize would quantize the tensor, else why not (a
 * static string or one written to buf). */
static const char *why_not_quantized(const qstate *qs, const tp_out_tensor *e,
                                     char *buf, size_t bn) {
  const char *name = e->name;
  size_t len = strlen(name), i;
  const char *w;
  if (n_dims_of(e) < 2) {
    /* llama-quantize quantizes only tensors with ggml_n_dims >= 2, which
     * leaves out a row vector [1, n] too: it is 2-D, ggml counts one */
    char sh[128];
    if (e->ndim == 0) return "a scalar";
    if (e->ndim == 1) return "1-D";
    tp_shape_format(sh, sizeof sh, e->ndim, e->shape);
    snprintf(buf, bn, "%s is a single row: ggml_n_dims 1", sh);
    return buf;
  }
  /* name.rfind("weight") == name.size() - 6: a 5-byte name also passes,
   * since both sides are then npos; kept for exactness. */
  w = NULL;
  {
    const char *s = name;
    while ((s = strstr(s, "weight")) != NULL) w = s++;
  }
  if (!(w ? (size_t)(w - name) + 6 == len : len == 5))
    return "name does not end in \"weight\"";
  if (strstr(name, "_norm.weight")) return "norm";
  if (!qs->quantize_output && !strcmp(name, "output.weight"))
    return "--leave-output-tensor";
  for (i = 0; i < TP_ARRAY_LEN(k_never_quantized); i++)
    if (strstr(name, k_never_quantized[i])) return "never quantized (by name)";
  for (i = 0; i < TP_ARRAY_LEN(k_never_quantized_exact); i++)
    if (!strcmp(name, k_never_quantized_exact[i]))
      return "never quantized (by name)";
  for (i = 0; qs->arch->never_quantized && qs->arch->never_quantized[i]; i++)
    if (strstr(name, qs->arch->never_quantized[i]))
      return "never quantized (by name)";
  return NULL;
}

int tp_ftype_use_more_bits(int i_layer, int n_layers) {
  return i_layer < n_layers / 8 || i_layer >= 7 * n_layers / 8 ||
         (i_layer - n_layers / 8) % 3 == 2;
}

static void why_set(char *why, size_t n, const char *fmt, ...) TP_PRINTF(3, 4);
static void why_set(char *why, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, n, fmt, ap);
  va_end(ap);
}

/* layer_info: with experts the layer comes from the name (Mixtral's experts
 * are not stored in layer order), otherwise from the running counter. */
static tp_status layer_info(const qstate *qs, const tp_out_tensor *e,
                            int counter, int *i_layer) {
  *i_layer = counter;
  if (qs->n_expert > 1) {
    int l;
    char q[200];
    tp_quote_for_message(q, sizeof q, e->name, e->name_len);
    if (!parse_layer(e->name, &l))
      return tp_error(TP_EUNSUPPORTED,
                      "failed to determine the layer of tensor \"%s\" (in a "
                      "MoE model llama-quantize reads it from \"blk.N.\")",
                      q);
    if (l < 0 || l >= qs->n_layer)
      return tp_error(TP_EUNSUPPORTED,
                      "bad layer %d for tensor \"%s\": must be in [0, %d)", l,
                      q, qs->n_layer);
    *i_layer = l;
  }
  return TP_OK;
}

static int is_ftype(int ft, const int *list, size_t n) {
  size_t i;
  for (i = 0; i < n; i++)
    if (list[i] == ft) return 1;
  return 0;
}
#define FT_IN(ft, ...)                                                       \
  is_ftype((ft), (const int[]){__VA_ARGS__},                                 \
           sizeof((const int[]){__VA_ARGS__}) / sizeof(int))

/* llama_tensor_get_type_impl: the preset's mixture. nt is the default type;
 * why gets the reason for the returned type. */
static tp_status mixture(qstate *qs, const tp_out_tensor *e, tcat c,
                         tp_type *io, char *why, size_t wn) {
  const char *name = e->name;
  const int ft = qs->ftype;
  const int falcon = (qs->arch->flags & TP_QARCH_FALCON_RULES) != 0;
  size_t f;
  tp_type nt = *io;
  tp_status st;

  why_set(why, wn, "%s default", qs->fname);

  /* projections some architectures never quantize below Q8_0 */
  for (f = 0; qs->arch->q8_0_floor && qs->arch->q8_0_floor[f]; f++) {
    if (!strstr(name, qs->arch->q8_0_floor[f])) continue;
    if (nt != TP_TYPE_F32 && nt != TP_TYPE_BF16 && nt != TP_TYPE_F16) {
      why_set(why, wn, "%s projection kept at Q8_0", qs->arch->arch);
      *io = TP_TYPE_Q8_0;
      return TP_OK;
    }
    break;
  }

  if (c == CAT_OUTPUT || (qs->has_tied_embeddings && c == CAT_TOKEN_EMBD)) {
    const char *what = c == CAT_OUTPUT ? "output.weight"
                                       : "token_embd.weight tied to the output";
    uint64_t nx = ne0_of(e);
    if (qs->ott >= 0) {
      nt = (tp_type)qs->ott;
      why_set(why, wn, "--output-tensor-type (%s)", what);
    } else if (ft == TP_FTYPE_MXFP4_MOE) {
      nt = TP_TYPE_Q8_0;
      why_set(why, wn, "%s in MXFP4_MOE", what);
    } else if (falcon || nx % tp_type_block_elems(nt)) {
      nt = TP_TYPE_Q8_0;
      if (falcon)
        why_set(why, wn, "%s (falcon)", what);
      else
        why_set(why, wn, "%s, row %llu not a multiple of %u", what,
                (unsigned long long)nx, tp_type_block_elems(*io));
    } else if (FT_IN(ft, TP_FTYPE_IQ2_XXS, TP_FTYPE_IQ2_XS, TP_FTYPE_IQ3_XXS,
                     TP_FTYPE_IQ1_S, TP_FTYPE_IQ2_S, TP_FTYPE_IQ2_M,
                     TP_FTYPE_IQ1_M)) {
      nt = TP_TYPE_Q5_K;
      why_set(why, wn, "%s", what);
    } else if (nt != TP_TYPE_Q8_0) {
      nt = TP_TYPE_Q6_K;
      why_set(why, wn, "%s", what);
    }
  } else if (ft == TP_FTYPE_MXFP4_MOE) {
    /* expert stacks -> MXFP4, everything else Q8_0; bailingmoe3 has 3-D
     * MLA projections, so only its FFN roles count as experts */
    int expert = c == CAT_FFN_UP || c == CAT_FFN_GATE || c == CAT_FFN_DOWN;
    if (ne2_of(e) > 1 && (!(qs->arch->flags & TP_QARCH_EXPERTS_FFN_ONLY) || expert)) {
      nt = TP_TYPE_MXFP4;
      why_set(why, wn, "expert tensor in MXFP4_MOE");
    } else {
      nt = TP_TYPE_Q8_0;
      why_set(why, wn, "non-expert tensor in MXFP4_MOE");
    }
  } else if (c == CAT_TOKEN_EMBD) {
    if (qs->tet >= 0) {
      nt = (tp_type)qs->tet;
      why_set(why, wn, "--token-embedding-type");
    } else if (FT_IN(ft, TP_FTYPE_IQ2_XXS, TP_FTYPE_IQ2_XS, TP_FTYPE_IQ1_S,
                     TP_FTYPE_IQ1_M)) {
      nt = TP_TYPE_Q2_K;
      why_set(why, wn, "token_embd.weight");
    } else if (FT_IN(ft, TP_FTYPE_IQ2_S, TP_FTYPE_IQ2_M, TP_FTYPE_IQ3_XXS)) {
      nt = TP_TYPE_IQ3_S;
      why_set(why, wn, "token_embd.weight");
    } else if (FT_IN(ft, TP_FTYPE_TQ1_0, TP_FTYPE_TQ2_0, TP_FTYPE_Q2_0)) {
      nt = TP_TYPE_Q4_K;
      why_set(why, wn, "token_embd.weight in %s", qs->fname);
    }
  } else if (FT_IN(ft, TP_FTYPE_IQ2_XXS, TP_FTYPE_IQ2_XS, TP_FTYPE_IQ1_S,
                   TP_FTYPE_IQ2_S, TP_FTYPE_IQ2_M, TP_FTYPE_IQ1_M)) {
    /* the IQ1/IQ2 family (refused before we get here, kept for the record
     * and for --dry-run style callers) */
    int iq2sm = ft == TP_FTYPE_IQ2_S || ft == TP_FTYPE_IQ2_M;
    if (cat_is_attn_v(c)) {
      nt = qs->n_gqa >= 4 || qs->n_expert >= 4
               ? TP_TYPE_Q4_K
               : iq2sm ? TP_TYPE_IQ3_S : TP_TYPE_Q2_K;
      why_set(why, wn, "attn_v in %s", qs->fname);
      ++qs->i_attention_wv;
    } else if (qs->n_expert == 8 && c == CAT_ATTN_K) {
      nt = TP_TYPE_Q4_K;
      why_set(why, wn, "attn_k with 8 experts");
    } else if (c == CAT_FFN_DOWN) {
      if (qs->i_ffn_down < qs->n_layer / 8) {
        nt = iq2sm ? TP_TYPE_IQ3_S : TP_TYPE_Q2_K;
        why_set(why, wn, "ffn_down in the first eighth");
      }
      ++qs->i_ffn_down;
    } else if (c == CAT_ATTN_OUTPUT) {
      if (qs->n_expert == 8) {
        nt = TP_TYPE_Q5_K;
        why_set(why, wn, "attn_output with 8 experts");
      } else if (ft == TP_FTYPE_IQ1_S || ft == TP_FTYPE_IQ1_M) {
        nt = TP_TYPE_IQ2_XXS;
        why_set(why, wn, "attn_output");
      } else if (iq2sm) {
        nt = TP_TYPE_IQ3_S;
        why_set(why, wn, "attn_output");
      }
    }
  } else if (cat_is_attn_v(c)) {
    int i = qs->i_attention_wv, n = qs->n_attention_wv;
    if (ft == TP_FTYPE_Q2_K) {
      nt = qs->n_gqa >= 4 ? TP_TYPE_Q4_K : TP_TYPE_Q3_K;
      why_set(why, wn, "attn_v in Q2_K, n_gqa %u", qs->n_gqa);
    } else if (ft == TP_FTYPE_Q2_K_S && qs->n_gqa >= 4) {
      nt = TP_TYPE_Q4_K;
      why_set(why, wn, "attn_v, n_gqa %u >= 4", qs->n_gqa);
    } else if (ft == TP_FTYPE_IQ3_XXS) {
      /* no imatrix in tensorport */
      nt = qs->n_gqa >= 4 ? TP_TYPE_Q4_K : TP_TYPE_IQ3_S;
      why_set(why, wn, "attn_v in IQ3_XXS");
    } else if ((ft == TP_FTYPE_IQ3_XS || ft == TP_FTYPE_IQ3_S) &&
               qs->n_gqa >= 4) {
      nt = TP_TYPE_Q4_K;
      why_set(why, wn, "attn_v, n_gqa %u >= 4", qs->n_gqa);
    } else if (ft == TP_FTYPE_IQ3_M) {
      nt = TP_TYPE_Q4_K;
      why_set(why, wn, "attn_v in IQ3_M");
    } else if (ft == TP_FTYPE_Q3_K_M) {
      nt = i < 2 ? TP_TYPE_Q5_K : TP_TYPE_Q4_K;
      why_set(why, wn, "attn_v #%d in Q3_K_M (first 2: Q5_K)", i);
    } else if (ft == TP_FTYPE_Q3_K_L) {
      nt = TP_TYPE_Q5_K;
      why_set(why, wn, "attn_v in Q3_K_L");
    } else if ((ft == TP_FTYPE_IQ4_NL || ft == TP_FTYPE_IQ4_XS) &&
               qs->n_gqa >= 4) {
      nt = TP_TYPE_Q5_K;
      why_set(why, wn, "attn_v, n_gqa %u >= 4", qs->n_gqa);
    } else if ((ft == TP_FTYPE_Q4_K_M || ft == TP_FTYPE_Q5_K_M) &&
               tp_ftype_use_more_bits(i, n)) {
      nt = TP_TYPE_Q6_K;
      why_set(why, wn, "attn_v use_more_bits(%d, %d)", i, n);
    } else if (ft == TP_FTYPE_Q4_K_S && i < 4) {
      nt = TP_TYPE_Q5_K;
      why_set(why, wn, "attn_v #%d in Q4_K_S (first 4: Q5_K)", i);
    }
    if (qs->is_70b && (nt == TP_TYPE_Q3_K || nt == TP_TYPE_Q4_K)) {
      nt = TP_TYPE_Q5_K;
      why_set(why, wn, "attn_v of a 70B model");
    }
    if (qs->n_expert == 8) {
      nt = TP_TYPE_Q8_0;
      why_set(why, wn, "attn_v with 8 experts");
    }
    ++qs->i_attention_wv;
  } else if (c == CAT_ATTN_K) {
    if (qs->n_expert == 8) {
      nt = TP_TYPE_Q8_0;
      why_set(why, wn, "attn_k with 8 experts");
    } else if (ft == TP_FTYPE_IQ3_XS) {
      nt = TP_TYPE_IQ3_XXS;
      why_set(why, wn, "attn_k in IQ3_XS");
    } else if (ft == TP_FTYPE_IQ3_XXS) {
      nt = TP_TYPE_IQ2_S;
      why_set(why, wn, "attn_k in IQ3_XXS");
    }
  } else if (c == CAT_ATTN_Q) {
    if (ft == TP_FTYPE_IQ3_XS) {
      nt = TP_TYPE_IQ3_XXS;
      why_set(why, wn, "attn_q in IQ3_XS");
    } else if (ft == TP_FTYPE_IQ3_XXS) {
      nt = TP_TYPE_IQ2_S;
      why_set(why, wn, "attn_q in IQ3_XXS");
    }
  } else if (c == CAT_FFN_DOWN) {
    int il, n = qs->n_layer;
    st = layer_info(qs, e, qs->i_ffn_down, &il);
    if (st != TP_OK) return st;
    if (ft == TP_FTYPE_Q2_K) {
      nt = TP_TYPE_Q3_K;
      why_set(why, wn, "ffn_down in Q2_K");
    } else if (ft == TP_FTYPE_Q2_K_S) {
      if (il < n / 8) {
        nt = TP_TYPE_Q4_K;
        why_set(why, wn, "ffn_down layer %d < %d/8", il, n);
      }
    } else if (ft == TP_FTYPE_IQ3_XXS) { /* no imatrix */
      nt = il < n / 8 ? TP_TYPE_Q4_K : TP_TYPE_Q3_K;
      why_set(why, wn, "ffn_down layer %d of %d in IQ3_XXS", il, n);
    } else if (ft == TP_FTYPE_Q3_K_M) {
      if (il < n / 16) {
        nt = TP_TYPE_Q5_K;
        why_set(why, wn, "ffn_down layer %d < %d/16", il, n);
      } else if (!falcon || tp_ftype_use_more_bits(il, n)) {
        nt = TP_TYPE_Q4_K;
        why_set(why, wn, "ffn_down layer %d in Q3_K_M", il);
      } else {
        nt = TP_TYPE_Q3_K;
        why_set(why, wn, "ffn_down layer %d in Q3_K_M (falcon)", il);
      }
    } else if (ft == TP_FTYPE_IQ3_M &&
               (il < n / 8 ||
                (qs->n_expert == 8 && tp_ftype_use_more_bits(il, n)))) {
      nt = TP_TYPE_Q4_K;
      why_set(why, wn, "ffn_down layer %d in IQ3_M", il);
    } else if (ft == TP_FTYPE_Q3_K_L) {
      nt = falcon ? TP_TYPE_Q4_K : TP_TYPE_Q5_K;
      why_set(why, wn, "ffn_down in Q3_K_L%s", falcon ? " (falcon)" : "");
    } else if (ft == TP_FTYPE_Q4_K_M) {
      if (falcon) {
        if (il < n / 16) {
          nt = TP_TYPE_Q6_K;
          why_set(why, wn, "ffn_down layer %d < %d/16 (falcon)", il, n);
        } else if (tp_ftype_use_more_bits(il, n)) {
          nt = TP_TYPE_Q5_K;
          why_set(why, wn, "ffn_down use_more_bits(%d, %d) (falcon)", il, n);
        } else {
          nt = TP_TYPE_Q4_K;
          why_set(why, wn, "ffn_down layer %d (falcon)", il);
        }
      } else if (tp_ftype_use_more_bits(il, n)) {
        nt = TP_TYPE_Q6_K;
        why_set(why, wn, "ffn_down use_more_bits(%d, %d)", il, n);
      }
    } else if (il < n / 8 &&
               (ft == TP_FTYPE_IQ4_NL || ft == TP_FTYPE_IQ4_XS)) {
      nt = TP_TYPE_Q5_K;
      why_set(why, wn, "ffn_down layer %d < %d/8", il, n);
    } else if (ft == TP_FTYPE_Q5_K_M && tp_ftype_use_more_bits(il, n)) {
      nt = TP_TYPE_Q6_K;
      why_set(why, wn, "ffn_down use_more_bits(%d, %d)", il, n);
    } else if (ft == TP_FTYPE_Q4_K_S && !falcon && il < n / 8) {
      nt = TP_TYPE_Q5_K;
      why_set(why, wn, "ffn_down layer %d < %d/8", il, n);
    }
    /* (Q4_0/Q5_0 -> Q4_1/Q5_1 for the first layers needs an imatrix) */
    ++qs->i_ffn_down;
  } else if (c == CAT_ATTN_OUTPUT) {
    if (!falcon) {
      if (qs->n_expert == 8) {
        if (FT_IN(ft, TP_FTYPE_Q2_K, TP_FTYPE_IQ3_XS, TP_FTYPE_IQ3_XXS,
                  TP_FTYPE_Q3_K_S, TP_FTYPE_Q3_K_M, TP_FTYPE_IQ4_NL,
                  TP_FTYPE_Q4_K_S, TP_FTYPE_Q4_K_M, TP_FTYPE_IQ3_S,
                  TP_FTYPE_IQ3_M, TP_FTYPE_IQ4_XS)) {
          nt = TP_TYPE_Q5_K;
          why_set(why, wn, "attn_output with 8 experts");
        }
      } else {
        static const struct {
          int ftype;
          tp_type type;
        } k_attn_out[] = {
            {TP_FTYPE_Q2_K, TP_TYPE_Q3_K},    {TP_FTYPE_IQ3_XXS, TP_TYPE_IQ3_S},
            {TP_FTYPE_Q3_K_M, TP_TYPE_Q4_K},  {TP_FTYPE_Q3_K_L, TP_TYPE_Q5_K},
            {TP_FTYPE_IQ3_M, TP_TYPE_Q4_K},
        };
        size_t k;
        for (k = 0; k < TP_ARRAY_LEN(k_attn_out); k++)
          if (k_attn_out[k].ftype == ft) {
            nt = k_attn_out[k].type;
            why_set(why, wn, "attn_output in %s", qs->fname);
          }
      }
    } else if (ft == TP_FTYPE_Q3_K_L) {
      nt = TP_TYPE_Q4_K;
      why_set(why, wn, "attn_output in Q3_K_L (falcon)");
    }
    /* upstream's attn_qkv branch (Q4_K_M -> Q5_K, ...) comes after the
     * attn_v one, which already takes attn_qkv: it never runs */
  } else if (c == CAT_FFN_GATE || c == CAT_FFN_UP) {
    int il, n = qs->n_layer;
    int *ctr = c == CAT_FFN_GATE ? &qs->i_ffn_gate : &qs->i_ffn_up;
    st = layer_info(qs, e, *ctr, &il);
    if (st != TP_OK) return st;
    if (ft == TP_FTYPE_IQ3_XS && il >= n / 8 && il < 7 * n / 8) {
      nt = TP_TYPE_IQ3_XXS;
      why_set(why, wn, "middle-layer %s in IQ3_XS",
              c == CAT_FFN_GATE ? "ffn_gate" : "ffn_up");
    }
    ++*ctr;
  }
  *io = nt;
  return TP_OK;
}

/* The type tensor_type_fallback takes for t when a row length does not
 * divide into t's blocks (before the last resort F16), or TP_TYPE_COUNT
 * when it defines none. */
static tp_type fallback_of(tp_type t) {
  static const struct {
    tp_type from, to;
  } k_fallback[] = {
      {TP_TYPE_IQ1_S, TP_TYPE_IQ4_NL},   {TP_TYPE_IQ1_M, TP_TYPE_IQ4_NL},
      {TP_TYPE_IQ2_XXS, TP_TYPE_IQ4_NL}, {TP_TYPE_IQ2_XS, TP_TYPE_IQ4_NL},
      {TP_TYPE_IQ2_S, TP_TYPE_IQ4_NL},   {TP_TYPE_IQ3_XXS, TP_TYPE_IQ4_NL},
      {TP_TYPE_IQ3_S, TP_TYPE_IQ4_NL},   {TP_TYPE_IQ4_XS, TP_TYPE_IQ4_NL},
      {TP_TYPE_Q2_0, TP_TYPE_Q4_0},      {TP_TYPE_Q2_K, TP_TYPE_Q4_0},
      {TP_TYPE_Q3_K, TP_TYPE_Q4_0},      {TP_TYPE_TQ1_0, TP_TYPE_Q4_0},
      {TP_TYPE_TQ2_0, TP_TYPE_Q4_0},     {TP_TYPE_Q4_K, TP_TYPE_Q5_0},
      {TP_TYPE_Q5_K, TP_TYPE_Q5_1},      {TP_TYPE_Q6_K, TP_TYPE_Q8_0},
  };
  size_t i;
  for (i = 0; i < TP_ARRAY_LEN(k_fallback); i++)
    if (k_fallback[i].from == t) return k_fallback[i].to;
  return TP_TYPE_COUNT;
}

/* tensor_type_fallback: a row length the chosen block does not divide. */
static tp_status shape_fallback(const tp_out_tensor *e, tp_type *io,
                                int *fell_back, char *why, size_t wn) {
  tp_type t = *io, r = fallback_of(t);
  uint64_t ncols = ne0_of(e);
  uint32_t qk = tp_type_block_elems(t);
  *fell_back = 0;
  if (ncols % qk == 0) return TP_OK;
  if (r == TP_TYPE_COUNT) {
    /* a 32-block type has no smaller block to go to: F16 below */
    if (qk > 32) {
      char q[200];
      tp_quote_for_message(q, sizeof q, e->name, e->name_len);
      return tp_error(TP_EUNSUPPORTED,
                      "tensor \"%s\": row length %llu is not a multiple of "
                      "the %s block size %u and llama-quantize defines no "
                      "fallback type for %s",
                      q, (unsigned long long)ncols, tp_type_name(t), qk,
                      tp_type_name(t));
    }
    r = t;
  }
  if (ncols % tp_type_block_elems(r)) r = TP_TYPE_F16;
  why_set(why, wn, "row %llu not a multiple of %u for %s",
          (unsigned long long)ncols, qk, tp_type_name(t));
  *fell_back = 1;
  *io = r;
  return TP_OK;
}

/* llama_tensor_get_type for a tensor llama-quantize quantizes. */
static tp_status choose_one(qstate *qs, const tp_out_tensor *e, tp_type *out,
                            char *note, size_t nn) {
  tcat c = category_of(e->name);
  tp_type nt = qs->deftype;
  char why[160];
  tp_status st;
  if (qs->tet >= 0 && c == CAT_TOKEN_EMBD) {
    /* per_layer_token_embd follows --token-embedding-type unless a
     * --tensor-type rule names it */
    int named = 0;
    size_t k;
    if (!strcmp(e->name, "per_layer_token_embd.weight"))
      for (k = 0; k < qs->nre && !named; k++)
        named = regexec(&qs->re[k], e->name, 0, NULL, 0) == 0;
    if (!named) {
      *out = (tp_type)qs->tet;
      snprintf(note, nn, "%s: --token-embedding-type", tp_type_name(*out));
      return TP_OK;
    }
  }
  if (qs->ott >= 0 && c == CAT_OUTPUT) {
    *out = (tp_type)qs->ott;
    snprintf(note, nn, "%s: --output-tensor-type", tp_type_name(*out));
    return TP_OK;
  }
  why_set(why, sizeof why, "%s default", qs->fname);
  if (tp_type_is_quantized(qs->deftype)) {
    int manual = 0, fell;
    size_t k;
    char fwhy[160];
    for (k = 0; k < qs->nre; k++)
      if (regexec(&qs->re[k], e->name, 0, NULL, 0) == 0) {
        /* the first matching rule wins */
        nt = qs->rules[k].type;
        manual = 1;
        why_set(why, sizeof why, "--tensor-type rule %zu", k + 1);
        break;
      }
    if (!manual && !qs->pure) {
      st = mixture(qs, e, c, &nt, why, sizeof why);
      if (st != TP_OK) return st;
    } else if (!manual) {
      why_set(why, sizeof why, "%s --pure", qs->fname);
    }
    st = shape_fallback(e, &nt, &fell, fwhy, sizeof fwhy);
    if (st != TP_OK) return st;
    if (fell) {
      snprintf(note, nn, "fallback %s: %s", tp_type_name(nt), fwhy);
      *out = nt;
      return TP_OK;
    }
  }
  snprintf(note, nn, "%s: %s", tp_type_name(nt), why);
  *out = nt;
  return TP_OK;
}

/* tensor_requires_imatrix: llama-quantize refuses these without --imatrix. */
static int requires_imatrix(const char *name, tp_type t, int ftype) {
  if (!strcmp(name, "token_embd.weight") ||
      !strcmp(name, "per_layer_token_embd.weight") ||
      !strcmp(name, "output.weight"))
    return 0;
  switch (t) {
  case TP_TYPE_IQ3_XXS:
  case TP_TYPE_IQ2_XXS:
  case TP_TYPE_IQ2_XS:
  case TP_TYPE_IQ2_S:
  case TP_TYPE_IQ1_M:
  case TP_TYPE_IQ1_S:
    return 1;
  case TP_TYPE_Q2_K:
    return ftype == TP_FTYPE_Q2_K_S;
  default:
    return 0;
  }
}

/* ---- model facts from the metadata ------------------------------------------ */

/* Integer value of key, or the first element of an integer array (per-layer
 * values: llama.cpp uses layer 0). */
static int meta_uint(const tp_metastore *ms, const char *key, uint64_t *out) {
  size_t i = tp_meta_find(ms, key, strlen(key));
  const tp_value *v;
  int64_t x;
  if (i == SIZE_MAX) return 0;
  v = &ms->items[i].val;
  if (v->type != TP_VALUE_ARRAY) {
    switch (v->type) {
    case TP_VALUE_U8: case TP_VALUE_U16: case TP_VALUE_U32: case TP_VALUE_U64:
    case TP_VALUE_BOOL:
      *out = v->v.u;
      return 1;
    case TP_VALUE_I8: case TP_VALUE_I16: case TP_VALUE_I32: case TP_VALUE_I64:
      *out = v->v.i < 0 ? 0 : (uint64_t)v->v.i;
      return 1;
    default:
      return 0;
    }
  }
  if (!v->count) return 0;
  switch (v->elem_type) {
  case TP_VALUE_U8: *out = *(const uint8_t *)v->v.array; return 1;
  case TP_VALUE_U16: *out = *(const uint16_t *)v->v.array; return 1;
  case TP_VALUE_U32: *out = *(const uint32_t *)v->v.array; return 1;
  case TP_VALUE_U64: *out = *(const uint64_t *)v->v.array; return 1;
  case TP_VALUE_I8: x = *(const int8_t *)v->v.array; break;
  case TP_VALUE_I16: x = *(const int16_t *)v->v.array; break;
  case TP_VALUE_I32: x = *(const int32_t *)v->v.array; break;
  case TP_VALUE_I64: x = *(const int64_t *)v->v.array; break;
  default: return 0;
  }
  *out = x < 0 ? 0 : (uint64_t)x;
  return 1;
}

static int meta_arch_uint(const tp_metastore *ms, const char *arch,
                          const char *suffix, uint64_t *out) {
  char key[256];
  if ((size_t)snprintf(key, sizeof key, "%s.%s", arch, suffix) >= sizeof key)
    return 0;
  return meta_uint(ms, key, out);
}

static uint32_t clamp_u32(uint64_t v) {
  return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

/* What llama-quantize's loader knows of the model: architecture, layer
 * count, heads, experts. */
static void read_model_facts(const tp_layout *p, qstate *qs) {
  const tp_metastore *ms = &p->meta;
  size_t i = tp_meta_find(ms, "general.architecture", 20);
  char arch[128] = "";
  uint64_t v, n_head = 0, n_head_kv, n_layer_all = 0, nextn = 0;
  int have_layers;
  if (i != SIZE_MAX && ms->items[i].val.type == TP_VALUE_STRING &&
      ms->items[i].val.v.s.len < sizeof arch) {
    memcpy(arch, ms->items[i].val.v.s.data, ms->items[i].val.v.s.len);
    arch[ms->items[i].val.v.s.len] = 0;
  }
  qs->arch = tp_arch_quant_facts_of(arch);
  have_layers = *arch && meta_arch_uint(ms, arch, "block_count", &n_layer_all);
  if (!have_layers) {
    /* llama-quantize cannot load such a model; count the blocks instead */
    size_t k;
    n_layer_all = 0;
    for (k = 0; k < p->n; k++) {
      int l = tp_ftype_layer_of(p->entries[k].name);
      if (l >= 0 && (uint64_t)l + 1 > n_layer_all) n_layer_all = (uint64_t)l + 1;
    }
  }
  qs->n_layer = (int)(n_layer_all > INT_MAX ? INT_MAX : n_layer_all);
  if (*arch) {
    if (meta_arch_uint(ms, arch, "expert_count", &v)) qs->n_expert = clamp_u32(v);
    meta_arch_uint(ms, arch, "attention.head_count", &n_head);
    n_head_kv = n_head; /* head_count_kv defaults to head_count */
    meta_arch_uint(ms, arch, "attention.head_count_kv", &n_head_kv);
    meta_arch_uint(ms, arch, "nextn_predict_layers", &nextn);
    qs->n_gqa = n_head_kv ? clamp_u32(clamp_u32(n_head) / clamp_u32(n_head_kv)) : 0;
    if (qs->arch->n_layer_70b && n_layer_all >= nextn &&
        n_layer_all - nextn == qs->arch->n_layer_70b &&
        !(qs->arch->llama_70b_rule && (qs->n_expert == 8 || n_head == n_head_kv)))
      qs->is_70b = 1;
  }
}

static void free_rules(qstate *qs) {
  size_t k;
  for (k = 0; k < qs->nre; k++) regfree(&qs->re[k]);
  free(qs->re);
  qs->re = NULL;
  qs->nre = 0;
}

/* Compiles opts.type_rules (POSIX extended, searched anywhere in the name
 * like std::regex_search). */
static tp_status compile_rules(const tp_layout *p, qstate *qs) {
  size_t k;
  qs->rules = p->opts.type_rules;
  if (!p->opts.n_type_rules) return TP_OK;
  if (!p->opts.type_rules)
    return tp_error(TP_EINVAL, "n_type_rules is %zu but type_rules is NULL",
                    p->opts.n_type_rules);
  qs->re = tp_calloc(p->opts.n_type_rules, sizeof *qs->re);
  if (!qs->re) return TP_ENOMEM;
  for (k = 0; k < p->opts.n_type_rules; k++) {
    const tp_tensor_type_rule *r = &p->opts.type_rules[k];
    int rc;
    if (!r->pattern || (unsigned)r->type >= TP_TYPE_COUNT) {
      free_rules(qs);
      return tp_error(TP_EINVAL, "tensor type rule %zu: %s", k + 1,
                      r->pattern ? "invalid type" : "no pattern");
    }
    rc = regcomp(&qs->re[k], r->pattern, REG_EXTENDED | REG_NOSUB);
    if (rc) {
      char why[128];
      regerror(rc, &qs->re[k], why, sizeof why);
      free_rules(qs);
      return tp_error(TP_EINVAL, "tensor type rule %zu: bad regular "
                      "expression '%s': %s", k + 1, r->pattern, why);
    }
    qs->nre = k + 1;
  }
  return TP_OK;
}

/* ---- the two paths ------------------------------------------------------------ */

static tp_status set_note(tp_layout *p, tp_out_tensor *e, const char *note) {
  char *s = tp_arena_strndup(&p->arena, note, strlen(note));
  if (!s) return TP_ENOMEM;
  e->note = s;
  return TP_OK;
}

static int kind_is_numeric_float(tp_type t) {
  const tp_type_traits *tr = tp_type_traits_of(t);
  return tr && (tr->kind == TP_KIND_FLOAT || tr->kind == TP_KIND_QUANT);
}

/* Type of a tensor llama-quantize leaves alone: its own type in a GGUF
 * source; from other sources floats become F32 (convert_hf_to_gguf.py keeps
 * vectors, norms and the like in F32). base is the lossless default. */
static tp_status keep_unquantized(tp_layout *p, tp_out_tensor *e, tp_type base,
                                  const char *reason) {
  char note[200];
  const tp_type_traits *tr = tp_type_traits_of(e->src_type);
  if (p->src->format != TP_FORMAT_GGUF && tr && tr->kind == TP_KIND_FLOAT) {
    e->dst_type = TP_TYPE_F32;
    snprintf(note, sizeof note, "F32: not quantized (%s)", reason);
  } else {
    e->dst_type = base;
    snprintf(note, sizeof note, "kept %s: not quantized (%s)",
             tp_type_name(base), reason);
  }
  return set_note(p, e, note);
}

/* Checks every choice can be carried out: llama-quantize's importance-matrix
 * rule, then the quantizers this build has. */
static tp_status check_feasible(const tp_layout *p, int ftype) {
  size_t i;
  for (i = 0; i < p->n; i++) {
    const tp_out_tensor *e = &p->entries[i];
    char q[200];
    if (e->dst_type == e->src_type || !tp_type_is_quantized(e->dst_type))
      continue;
    tp_quote_for_message(q, sizeof q, e->name, e->name_len);
    if (requires_imatrix(e->name, e->dst_type, ftype))
      return tp_error(TP_EUNSUPPORTED,
                      "tensor \"%s\": %s%s needs an importance matrix "
                      "(llama-quantize --imatrix), which tensorport does not "
                      "support",
                      q, tp_type_name(e->dst_type),
                      ftype == TP_FTYPE_Q2_K_S ? " in a Q2_K_S file" : "");
    if (!tp_quant_can_quantize(e->dst_type))
      return tp_error(TP_EUNSUPPORTED,
                      "tensor \"%s\": tensorport cannot quantize to %s (it "
                      "has no quantizer for this type)",
                      q, tp_type_name(e->dst_type));
  }
  return TP_OK;
}

/* ---- general.file_type without a preset ------------------------------------ */

/* The llama_ftype that llama.cpp's loader names for a file mostly of type t
 * (the switch in llama_model_loader), plus MXFP4 -> MXFP4_MOE: the loader
 * has no case for MXFP4 (it would say "all F32"), llama-quantize writes
 * MXFP4_MOE for such files and llama_ftype_name calls that "MXFP4 MoE".
 * -1: no llama_ftype describes t (the integer types, F64, Q8_K, ...). */
static int ftype_of_type(tp_type t) {
  static const struct {
    tp_type t;
    int ftype;
  } k_map[] = {
      {TP_TYPE_F32, TP_FTYPE_ALL_F32},       {TP_TYPE_F16, TP_FTYPE_F16},
      {TP_TYPE_BF16, TP_FTYPE_BF16},         {TP_TYPE_Q4_0, TP_FTYPE_Q4_0},
      {TP_TYPE_Q4_1, TP_FTYPE_Q4_1},         {TP_TYPE_Q5_0, TP_FTYPE_Q5_0},
      {TP_TYPE_Q5_1, TP_FTYPE_Q5_1},         {TP_TYPE_Q8_0, TP_FTYPE_Q8_0},
      {TP_TYPE_Q2_K, TP_FTYPE_Q2_K},         {TP_TYPE_Q3_K, TP_FTYPE_Q3_K_M},
      {TP_TYPE_Q4_K, TP_FTYPE_Q4_K_M},       {TP_TYPE_Q5_K, TP_FTYPE_Q5_K_M},
      {TP_TYPE_Q6_K, TP_FTYPE_Q6_K},         {TP_TYPE_TQ1_0, TP_FTYPE_TQ1_0},
      {TP_TYPE_TQ2_0, TP_FTYPE_TQ2_0},       {TP_TYPE_IQ2_XXS, TP_FTYPE_IQ2_XXS},
      {TP_TYPE_IQ2_XS, TP_FTYPE_IQ2_XS},     {TP_TYPE_IQ2_S, TP_FTYPE_IQ2_S},
      {TP_TYPE_IQ3_XXS, TP_FTYPE_IQ3_XXS},   {TP_TYPE_IQ1_S, TP_FTYPE_IQ1_S},
      {TP_TYPE_IQ1_M, TP_FTYPE_IQ1_M},       {TP_TYPE_IQ4_NL, TP_FTYPE_IQ4_NL},
      {TP_TYPE_IQ4_XS, TP_FTYPE_IQ4_XS},     {TP_TYPE_IQ3_S, TP_FTYPE_IQ3_S},
      {TP_TYPE_NVFP4, TP_FTYPE_NVFP4},       {TP_TYPE_Q1_0, TP_FTYPE_Q1_0},
      {TP_TYPE_Q2_0, TP_FTYPE_Q2_0},         {TP_TYPE_MXFP4, TP_FTYPE_MXFP4_MOE},
  };
  size_t i;
  for (i = 0; i < TP_ARRAY_LEN(k_map); i++)
    if (k_map[i].t == t) return k_map[i].ftype;
  return -1;
}

static int cmp_entry_ptrs(const void *pa, const void *pb) {
  return cmp_entries(*(const tp_out_tensor *const *)pa,
                     *(const tp_out_tensor *const *)pb);
}

tp_status tp_ftype_guess(const tp_out_tensor *entries, size_t n, int *ftype,
                         tp_type *most) {
  const tp_out_tensor **order = NULL;
  uint64_t count[TP_TYPE_COUNT] = {0}, max = 0;
  tp_type best = TP_TYPE_F32; /* also the loader's answer for no tensors */
  size_t i;
  if (n) {
    order = tp_malloc(n * sizeof *order);
    if (!order) return TP_ENOMEM;
    for (i = 0; i < n; i++) order[i] = &entries[i];
    /* ties go to the type that reaches the count first in the loader's
     * order, so the order matters */
    qsort(order, n, sizeof *order, cmp_entry_ptrs);
  }
  for (i = 0; i < n; i++) {
    tp_type t = order[i]->dst_type;
    if ((unsigned)t < TP_TYPE_COUNT && ++count[t] > max) {
      max = count[t];
      best = t;
    }
  }
  free(order);
  *ftype = ftype_of_type(best);
  if (most) *most = best;
  return TP_OK;
}

/* The tensor type a general.file_type value stands for. */
static tp_type label_type(int ftype) {
  if (ftype == TP_FTYPE_NVFP4) return TP_TYPE_NVFP4;
  return tp_ftype_default_type(ftype);
}

/* A copy (no preset, no type): the source's general.file_type stays when it
 * still describes the tensors written: its type is the most common one
 * (Q4_K_S, whose tensors the loader alone would call Q4_K_M), or a
 * quantized preset's type, or the type llama-quantize falls back to from
 * it for rows its blocks do not divide, is among them (a mixture such as
 * MXFP4_MOE whose Q8_0 and F32 tensors outnumber its MXFP4 experts; a
 * Q4_K_S file of 32-wide rows, all Q5_0). Any other value (a Q4_1 label on
 * tensors dequantized to F32, a wrong value type) is stale and replaced in
 * its place by the loader's guess, or removed when no llama_ftype describes
 * the tensors. An absent key stays absent: the loader guesses the same by
 * itself. */
static tp_status refresh_file_type(tp_layout *p) {
  size_t at = tp_meta_find(&p->meta, "general.file_type", 17), i;
  tp_value *v;
  tp_type most;
  int guess;
  tp_status st;
  if (at == SIZE_MAX) return TP_OK;
  st = tp_ftype_guess(p->entries, p->n, &guess, &most);
  if (st != TP_OK) return st;
  v = &p->meta.items[at].val;
  if (v->type == TP_VALUE_U32 && v->v.u <= INT_MAX) {
    tp_type lt = label_type((int)v->v.u);
    if (lt == most) return TP_OK;
    if (lt != TP_TYPE_COUNT && tp_type_is_quantized(lt)) {
      tp_type fb = fallback_of(lt);
      for (i = 0; i < p->n; i++)
        if (p->entries[i].dst_type == lt || p->entries[i].dst_type == fb)
          return TP_OK;
    }
  }
  if (guess < 0) return tp_meta_remove(&p->meta, "general.file_type", 17);
  /* a scalar: replaced where it stands, so the KV order is kept */
  memset(v, 0, sizeof *v);
  v->type = TP_VALUE_U32;
  v->v.u = (uint32_t)guess;
  return TP_OK;
}

/* llama-quantize sets general.quantization_version, then general.file_type;
 * gguf_set_val_* removes and re-appends a key, so both end up last. */
static tp_status set_file_type_keys(tp_layout *p, int ftype) {
  tp_status st = tp_meta_set_u32(&p->meta, "general.quantization_version",
                                 TP_GGUF_QUANTIZATION_VERSION);
  if (st == TP_OK) st = tp_meta_set_u32(&p->meta, "general.file_type",
                                        (uint32_t)ftype);
  return st;
}

static void init_state(const tp_layout *p, qstate *qs) {
  memset(qs, 0, sizeof *qs);
  qs->quantize_output = !(p->opts.flags & TP_CONVERT_LEAVE_OUTPUT_TENSOR);
  qs->pure = (p->opts.flags & TP_CONVERT_PURE) != 0;
  qs->ott = p->opts.output_tensor_type >= 0 &&
                    p->opts.output_tensor_type < TP_TYPE_COUNT
                ? p->opts.output_tensor_type
                : -1;
  qs->tet = p->opts.token_embedding_type >= 0 &&
                    p->opts.token_embedding_type < TP_TYPE_COUNT
                ? p->opts.token_embedding_type
                : -1;
  qs->has_tied_embeddings = 1;
  qs->arch = tp_arch_quant_facts_of(NULL);
}

/* Counters init_quantize_state_counters fills from every tensor name. */
static void count_categories(const tp_layout *p, qstate *qs) {
  size_t i;
  for (i = 0; i < p->n; i++) {
    tcat c = category_of(p->entries[i].name);
    if (cat_is_attn_v(c)) qs->n_attention_wv++;
    if (c == CAT_OUTPUT) qs->has_tied_embeddings = 0;
  }
}

/* llama-quantize writes its tensors with gguf.cpp, whose n_dims is
 * ggml_n_dims: trailing 1-extents of ne (leading ones of the shape) are
 * dropped, [1, 256] is written as [256] and a scalar as [1]. The row and
 * the bytes stay the same; the note says so. */
static tp_status drop_unit_extents(tp_layout *p) {
  size_t i;
  tp_status st = TP_OK;
  for (i = 0; i < p->n && st == TP_OK; i++) {
    tp_out_tensor *e = &p->entries[i];
    uint32_t nd = n_dims_of(e);
    char note[320], sh[128];
    if (e->ndim == 0) {
      e->ndim = 1;
      e->shape[0] = 1;
    } else if (nd < e->ndim) {
      memmove(e->shape, e->shape + (e->ndim - nd), nd * sizeof e->shape[0]);
      e->ndim = nd;
    } else {
      continue;
    }
    tp_shape_format(sh, sizeof sh, e->ndim, e->shape);
    snprintf(note, sizeof note, "%s; written as %s, as llama-quantize does",
             e->note ? e->note : "", sh);
    st = set_note(p, e, note);
  }
  return st;
}

static tp_status choose_preset(tp_layout *p) {
  int ftype = p->opts.ftype;
  tp_type deftype = tp_ftype_default_type(ftype);
  qstate qs;
  tp_status st;
  size_t i;
  int saved_type = p->opts.type;

  if (deftype == TP_TYPE_COUNT) {
    if (ftype == TP_FTYPE_NVFP4)
      return tp_error(TP_EUNSUPPORTED,
                      "file type 39 (NVFP4) is not a llama-quantize preset; "
                      "use the element type NVFP4 instead");
    return tp_error(TP_EINVAL, "invalid GGUF file type %d", ftype);
  }
  st = tp_ftype_supported(ftype);
  if (st != TP_OK) return st;
  if (saved_type >= 0 && saved_type != (int)deftype)
    return tp_error(TP_EINVAL,
                    "both an element type (%s) and a file type (%s) were "
                    "given; a file type chooses the types itself",
                    tp_type_name((tp_type)saved_type), tp_ftype_name(ftype));

  /* the source types, or lossless widenings GGUF can store */
  p->opts.type = -1;
  st = tp_choose_default_types(p);
  p->opts.type = saved_type;
  if (st != TP_OK) return st;

  /* llama-quantize's order: its counters run in it, and the output has it */
  tp_ftype_sort_entries(p->entries, p->n);

  init_state(p, &qs);
  qs.ftype = ftype;
  qs.deftype = deftype;
  qs.fname = tp_ftype_name(ftype);
  read_model_facts(p, &qs);
  count_categories(p, &qs);
  st = compile_rules(p, &qs);
  if (st != TP_OK) return st;

  for (i = 0; i < p->n && st == TP_OK; i++) {
    tp_out_tensor *e = &p->entries[i];
    char wbuf[160];
    const char *why = why_not_quantized(&qs, e, wbuf, sizeof wbuf);
    if (why) {
      st = keep_unquantized(p, e, e->dst_type, why);
    } else if (!kind_is_numeric_float(e->src_type)) {
      st = set_note(p, e, "integer tensor keeps its type");
    } else {
      char note[256];
      tp_type t;
      st = choose_one(&qs, e, &t, note, sizeof note);
      if (st == TP_OK) {
        e->dst_type = t;
        st = set_note(p, e, note);
      }
    }
  }
  free_rules(&qs);
  if (st == TP_OK) st = check_feasible(p, ftype);
  if (st == TP_OK) st = set_file_type_keys(p, ftype);
  if (st == TP_OK) st = drop_unit_extents(p);
  return st;
}

static tp_status choose_plain(tp_layout *p) {
  tp_status st = tp_choose_default_types(p);
  qstate qs;
  size_t i;
  tp_type req;
  int ftype;
  if (st != TP_OK) return st;
  if (p->opts.type < 0) return refresh_file_type(p);
  req = (tp_type)p->opts.type;
  ftype = tp_ftype_for_type(req);

  init_state(p, &qs);
  qs.pure = 1; /* one type: llama-quantize --pure */
  qs.ftype = ftype;
  qs.deftype = req;
  qs.fname = tp_type_name(req);
  read_model_facts(p, &qs);
  count_categories(p, &qs);
  st = compile_rules(p, &qs);
  if (st != TP_OK) return st;

  for (i = 0; i < p->n && st == TP_OK; i++) {
    tp_out_tensor *e = &p->entries[i];
    char wbuf[160];
    const char *why;
    if (e->dst_type != req || !kind_is_numeric_float(e->src_type))
      continue; /* integer tensors keep their type (default rule) */
    why = why_not_quantized(&qs, e, wbuf, sizeof wbuf);
    if (tp_type_is_quantized(req)) {
      if (why) {
        st = keep_unquantized(p, e, e->src_type, why);
      } else {
        char note[256];
        tp_type t;
        st = choose_one(&qs, e, &t, note, sizeof note);
        if (st == TP_OK) {
          e->dst_type = t;
          st = set_note(p, e, note);
        }
      }
    } else if (!why || !strcmp(why, "--leave-output-tensor")) {
      /* a float type applies to every float tensor (vectors too); only the
       * per-tensor options of llama-quantize adjust it */
      tcat c = category_of(e->name);
      if (why) {
        e->dst_type = e->src_type;
        st = set_note(p, e, "kept: --leave-output-tensor");
      } else if (qs.tet >= 0 && c == CAT_TOKEN_EMBD) {
        e->dst_type = (tp_type)qs.tet;
        st = set_note(p, e, "--token-embedding-type");
      } else if (qs.ott >= 0 && c == CAT_OUTPUT) {
        e->dst_type = (tp_type)qs.ott;
        st = set_note(p, e, "--output-tensor-type");
      }
    }
  }
  free_rules(&qs);
  if (st == TP_OK) st = check_feasible(p, ftype);
  /* the file type describes the tensors written (llama.cpp's loader rule),
   * set as llama-quantize sets its keys; the requested type alone would
   * not (rows that fell back to another type may outnumber it) */
  if (st == TP_OK) st = tp_ftype_guess(p->entries, p->n, &ftype, NULL);
  if (st != TP_OK) return st;
  if (ftype >= 0) return set_file_type_keys(p, ftype);
  /* no file type describes this output: drop a stale one */
  if (tp_meta_find(&p->meta, "general.file_type", 17) != SIZE_MAX)
    return tp_meta_remove(&p->meta, "general.file_type", 17);
  return TP_OK;
}

bool tp_gguf_reference_type(int t) {
  return t == TP_TYPE_F32 || t == TP_TYPE_F16 || t == TP_TYPE_BF16 ||
         t == TP_TYPE_Q8_0 || t == TP_TYPE_TQ1_0 || t == TP_TYPE_TQ2_0;
}

/* A Hugging Face checkpoint to one of the reference converter's types: its
 * prepare_tensors rules (hf-to-gguf.md §4). The tensors it keeps in F32 are
 * marked by the architecture profile (keep_f32); Q8_0 rows that do not
 * split into blocks fall back to F16 (its QuantError path); TQ1_0 and
 * TQ2_0 keep token_embd and output in F16. general.file_type is already
 * where and what the reference writes (convert/translate.c). */
static tp_status choose_reference(tp_layout *p) {
  tp_type req = (tp_type)p->opts.type;
  size_t i;
  tp_status st = TP_OK;
  for (i = 0; i < p->n && st == TP_OK; i++) {
    tp_out_tensor *e = &p->entries[i];
    const tp_type_traits *tr = tp_type_traits_of(e->src_type);
    char note[200];
    if (!tr || (tr->kind != TP_KIND_FLOAT && tr->kind != TP_KIND_QUANT)) {
      e->dst_type = e->src_type;
      e->note = "integer/bool tensor keeps its type";
      continue;
    }
    if (e->keep_f32) {
      e->dst_type = TP_TYPE_F32;
      snprintf(note, sizeof note, "F32: %s (as convert_hf_to_gguf.py)", e->keep_f32);
      st = set_note(p, e, note);
      continue;
    }
    e->dst_type = req;
    if ((req == TP_TYPE_TQ1_0 || req == TP_TYPE_TQ2_0) &&
        (!strcmp(e->name, "token_embd.weight") || !strcmp(e->name, "output.weight"))) {
      e->dst_type = TP_TYPE_F16;
      st = set_note(p, e, "F16: token_embd/output with a ternary type (as "
                          "convert_hf_to_gguf.py)");
    } else if (tp_type_is_quantized(req) &&
               (!e->ndim || e->shape[e->ndim - 1] % tp_type_block_elems(req))) {
      e->dst_type = TP_TYPE_F16;
      snprintf(note, sizeof note, "F16: rows of %llu do not split into %s blocks "
               "of %u (as convert_hf_to_gguf.py)",
               (unsigned long long)(e->ndim ? e->shape[e->ndim - 1] : 1),
               tp_type_name(req), tp_type_block_elems(req));
      st = set_note(p, e, note);
    }
  }
  return st;
}

tp_status tp_gguf_choose_types(tp_layout *p) {
  if (p->opts.ftype >= 0) return choose_preset(p);
  if (p->hf_rules && tp_gguf_reference_type(p->opts.type)) return choose_reference(p);
  return choose_plain(p);
}
