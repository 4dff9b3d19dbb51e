/*
 * quant_facts.c - the architecture table of llama-quantize's rules (see
 * quant_facts.h). Facts from llama.cpp src/llama-quant.cpp and the model
 * loaders in src/models/ of the llama.cpp this project tests against;
 * docs/formats/quantize-presets.md lists them.
 */
#include "quant_facts.h"

static const char *const k_glm5_never[] = {
    "hc_", "indexer.attn_q_b", "indexer.attn_k", "indexer.proj",
    "indexer_compressor_gate", "indexer_compressor_ape", "ssm_f_a.weight",
    "ssm_f_b.weight", "ssm_g_a.weight", "ssm_g_b.weight", "ssm_beta.weight",
    "attn_kv_a_mqa.weight", "attn_k_b.weight", "attn_v_b.weight", NULL,
};
static const char *const k_glm5_q8_0[] = {"attn_q_a", "attn_q_b",
                                          "nextn.eh_proj", NULL};

static const tp_arch_quant_facts k_facts[] = {
    {"llama", 0, 80, 1, NULL, NULL},
    {"qwen2", 0, 80, 0, NULL, NULL},
    {"deci", 0, 80, 0, NULL, NULL},
    {"olmo", 0, 80, 0, NULL, NULL},
    {"jais2", 0, 68, 0, NULL, NULL},
    {"falcon", TP_QARCH_FALCON_RULES, 0, 0, NULL, NULL},
    {"glm5-next", 0, 0, 0, k_glm5_never, k_glm5_q8_0},
    {"bailingmoe3", TP_QARCH_EXPERTS_FFN_ONLY, 0, 0, NULL, NULL},
};

static const tp_arch_quant_facts k_default = {NULL, 0, 0, 0, NULL, NULL};

const tp_arch_quant_facts *tp_arch_quant_facts_of(const char *arch) {
  size_t i;
  for (i = 0; arch && i < TP_ARRAY_LEN(k_facts); i++)
    if (!strcmp(k_facts[i].arch, arch)) return &k_facts[i];
  return &k_default;
}
