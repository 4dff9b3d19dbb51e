/*
 * quant_facts.h - what llama-quantize's rules know about architectures, as
 * data: the "70B" layer counts of llama.cpp's loaders, and the families
 * whose tensors get their own rules (falcon's output and FFN choices,
 * glm5-next's exclusions and Q8_0 floor, bailingmoe3's 3-D non-expert
 * projections). The GGUF type policy (formats/gguf/policy.c) asks here by
 * GGUF architecture name instead of naming architectures itself.
 */
#ifndef TP_ARCH_QUANT_FACTS_H
#define TP_ARCH_QUANT_FACTS_H

#include "../base/base.h"

enum {
  /* falcon: output.weight Q8_0, its own ffn_down and attn_output choices */
  TP_QARCH_FALCON_RULES = 1u << 0,
  /* MXFP4_MOE: only FFN roles are expert stacks (other 3-D tensors exist) */
  TP_QARCH_EXPERTS_FFN_ONLY = 1u << 1
};

typedef struct tp_arch_quant_facts {
  const char *arch;            /* GGUF general.architecture; NULL: default */
  unsigned flags;              /* TP_QARCH_* */
  uint32_t n_layer_70b;        /* block count (less nextn layers) the loader
                                  calls 70B; 0: none */
  uint8_t llama_70b_rule;      /* 70B also needs GQA and n_expert != 8 */
  const char *const *never_quantized; /* extra name substrings kept
                                         unquantized (NULL-terminated) */
  const char *const *q8_0_floor;      /* name substrings never quantized
                                         below Q8_0 (NULL-terminated) */
} tp_arch_quant_facts;

/* The facts for arch (a default entry with no rules when it has none). */
const tp_arch_quant_facts *tp_arch_quant_facts_of(const char *arch);

#endif /* TP_ARCH_QUANT_FACTS_H */
