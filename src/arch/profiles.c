/*
 * profiles.c - the architecture profiles as data.
 *
 * Facts from llama.cpp's convert_hf_to_gguf.py (conversion/base.py,
 * llama.py, qwen.py, gemma.py, phi.py, bert.py) and gguf-py (constants.py
 * TENSOR_NAMES / MODEL_TENSORS, tensor_mapping.py), and for the defaults
 * the reference sees through AutoConfig, from transformers' configuration
 * classes. Name rules list the names real checkpoints of each architecture
 * use (gguf-py's map has many aliases from other model families; a
 * checkpoint of these architectures never carries them, and a name not
 * listed is refused as the reference refuses an unmapped one).
 */
#include "arch_impl.h"

/* gguf-py TENSOR_NAMES; f32 = in prepare_tensors' always-F32 role list. */
const tp_arch_role_info tp_arch_roles[R_COUNT] = {
    [R_TOKEN_EMBD] = {"TOKEN_EMBD", "token_embd", 0},
    [R_TOKEN_EMBD_NORM] = {"TOKEN_EMBD_NORM", "token_embd_norm", 0},
    [R_TOKEN_TYPES] = {"TOKEN_TYPES", "token_types", 1},
    [R_POS_EMBD] = {"POS_EMBD", "position_embd", 1},
    [R_OUTPUT_NORM] = {"OUTPUT_NORM", "output_norm", 0},
    [R_OUTPUT] = {"OUTPUT", "output", 0},
    [R_ROPE_FREQS] = {"ROPE_FREQS", "rope_freqs", 0},
    [R_ROPE_FACTORS_LONG] = {"ROPE_FACTORS_LONG", "rope_factors_long", 0},
    [R_ROPE_FACTORS_SHORT] = {"ROPE_FACTORS_SHORT", "rope_factors_short", 0},
    [R_ATTN_NORM] = {"ATTN_NORM", "blk.{bid}.attn_norm", 0},
    [R_ATTN_QKV] = {"ATTN_QKV", "blk.{bid}.attn_qkv", 0},
    [R_ATTN_Q] = {"ATTN_Q", "blk.{bid}.attn_q", 0},
    [R_ATTN_K] = {"ATTN_K", "blk.{bid}.attn_k", 0},
    [R_ATTN_V] = {"ATTN_V", "blk.{bid}.attn_v", 0},
    [R_ATTN_OUT] = {"ATTN_OUT", "blk.{bid}.attn_output", 0},
    [R_ATTN_OUT_NORM] = {"ATTN_OUT_NORM", "blk.{bid}.attn_output_norm", 0},
    [R_ATTN_POST_NORM] = {"ATTN_POST_NORM", "blk.{bid}.post_attention_norm", 0},
    [R_ATTN_Q_NORM] = {"ATTN_Q_NORM", "blk.{bid}.attn_q_norm", 0},
    [R_ATTN_K_NORM] = {"ATTN_K_NORM", "blk.{bid}.attn_k_norm", 0},
    [R_FFN_NORM] = {"FFN_NORM", "blk.{bid}.ffn_norm", 0},
    [R_FFN_POST_NORM] = {"FFN_POST_NORM", "blk.{bid}.post_ffw_norm", 0},
    [R_FFN_GATE_INP] = {"FFN_GATE_INP", "blk.{bid}.ffn_gate_inp", 1},
    [R_FFN_GATE] = {"FFN_GATE", "blk.{bid}.ffn_gate", 0},
    [R_FFN_UP] = {"FFN_UP", "blk.{bid}.ffn_up", 0},
    [R_FFN_DOWN] = {"FFN_DOWN", "blk.{bid}.ffn_down", 0},
    [R_FFN_GATE_EXP] = {"FFN_GATE_EXP", "blk.{bid}.ffn_gate_exps", 0},
    [R_FFN_UP_EXP] = {"FFN_UP_EXP", "blk.{bid}.ffn_up_exps", 0},
    [R_FFN_DOWN_EXP] = {"FFN_DOWN_EXP", "blk.{bid}.ffn_down_exps", 0},
    [R_LAYER_OUT_NORM] = {"LAYER_OUT_NORM", "blk.{bid}.layer_output_norm", 0},
    [R_CLS] = {"CLS", "cls", 0},
    [R_CLS_OUT] = {"CLS_OUT", "cls.output", 0},
};

#define L "model.layers.{bid}."

/* ---- name rules --------------------------------------------------------- */

/* LlamaModel (llama, mistral, mixtral share the class): Q and K permuted,
 * Mixtral's per-expert w1/w2/w3 stacked. */
static const tp_arch_name_rule k_llama_names[] = {
    {"model.embed_tokens", R_TOKEN_EMBD, 0},
    {"model.norm", R_OUTPUT_NORM, 0},
    {"lm_head", R_OUTPUT, 0},
    {L "input_layernorm", R_ATTN_NORM, 0},
    {L "self_attn.q_proj", R_ATTN_Q, NR_PERMUTE_Q},
    {L "self_attn.k_proj", R_ATTN_K, NR_PERMUTE_K},
    {L "self_attn.v_proj", R_ATTN_V, 0},
    {L "self_attn.o_proj", R_ATTN_OUT, 0},
    {L "post_attention_layernorm", R_FFN_NORM, 0},
    {L "mlp.gate_proj", R_FFN_GATE, 0},
    {L "mlp.up_proj", R_FFN_UP, 0},
    {L "mlp.down_proj", R_FFN_DOWN, 0},
    {L "block_sparse_moe.gate", R_FFN_GATE_INP, 0},
    {L "block_sparse_moe.experts.{xid}.w1", R_FFN_GATE_EXP, NR_EXPERT},
    {L "block_sparse_moe.experts.{xid}.w2", R_FFN_DOWN_EXP, NR_EXPERT},
    {L "block_sparse_moe.experts.{xid}.w3", R_FFN_UP_EXP, NR_EXPERT},
};
static const char *const k_mixtral_expert_order[] = {"w1", "w2", "w3", NULL};

static const tp_arch_name_rule k_qwen2_names[] = {
    {"model.embed_tokens", R_TOKEN_EMBD, 0},
    {"model.norm", R_OUTPUT_NORM, 0},
    {"lm_head", R_OUTPUT, 0},
    {L "input_layernorm", R_ATTN_NORM, 0},
    {L "self_attn.q_proj", R_ATTN_Q, 0},
    {L "self_attn.k_proj", R_ATTN_K, 0},
    {L "self_attn.v_proj", R_ATTN_V, 0},
    {L "self_attn.o_proj", R_ATTN_OUT, 0},
    {L "post_attention_layernorm", R_FFN_NORM, 0},
    {L "mlp.gate_proj", R_FFN_GATE, 0},
    {L "mlp.up_proj", R_FFN_UP, 0},
    {L "mlp.down_proj", R_FFN_DOWN, 0},
};

static const tp_arch_name_rule k_qwen3_names[] = {
    {"model.embed_tokens", R_TOKEN_EMBD, 0},
    {"model.norm", R_OUTPUT_NORM, 0},
    {"lm_head", R_OUTPUT, 0},
    {L "input_layernorm", R_ATTN_NORM, 0},
    {L "self_attn.q_proj", R_ATTN_Q, 0},
    {L "self_attn.k_proj", R_ATTN_K, 0},
    {L "self_attn.v_proj", R_ATTN_V, 0},
    {L "self_attn.o_proj", R_ATTN_OUT, 0},
    {L "self_attn.q_norm", R_ATTN_Q_NORM, 0},
    {L "self_attn.k_norm", R_ATTN_K_NORM, 0},
    {L "post_attention_layernorm", R_FFN_NORM, 0},
    {L "mlp.gate_proj", R_FFN_GATE, 0},
    {L "mlp.up_proj", R_FFN_UP, 0},
    {L "mlp.down_proj", R_FFN_DOWN, 0},
};

/* QWEN3MOE's MODEL_TENSORS has no dense FFN: a dense layer (mlp_only_layers)
 * is "Can not map" in the reference too. */
static const tp_arch_name_rule k_qwen3moe_names[] = {
    {"model.embed_tokens", R_TOKEN_EMBD, 0},
    {"model.norm", R_OUTPUT_NORM, 0},
    {"lm_head", R_OUTPUT, 0},
    {L "input_layernorm", R_ATTN_NORM, 0},
    {L "self_attn.q_proj", R_ATTN_Q, 0},
    {L "self_attn.k_proj", R_ATTN_K, 0},
    {L "self_attn.v_proj", R_ATTN_V, 0},
    {L "self_attn.o_proj", R_ATTN_OUT, 0},
    {L "self_attn.q_norm", R_ATTN_Q_NORM, 0},
    {L "self_attn.k_norm", R_ATTN_K_NORM, 0},
    {L "post_attention_layernorm", R_FFN_NORM, 0},
    {L "mlp.gate", R_FFN_GATE_INP, 0},
    {L "mlp.experts.{xid}.down_proj", R_FFN_DOWN_EXP, NR_EXPERT},
    {L "mlp.experts.{xid}.gate_proj", R_FFN_GATE_EXP, NR_EXPERT},
    {L "mlp.experts.{xid}.up_proj", R_FFN_UP_EXP, NR_EXPERT},
};
static const char *const k_qwen_expert_order[] = {"down_proj", "gate_proj",
                                                  "up_proj", NULL};

/* Gemma has no OUTPUT tensor: lm_head.weight is dropped on input. */
static const tp_arch_name_rule k_gemma_names[] = {
    {"model.embed_tokens", R_TOKEN_EMBD, 0},
    {"model.norm", R_OUTPUT_NORM, 0},
    {L "input_layernorm", R_ATTN_NORM, 0},
    {L "self_attn.q_proj", R_ATTN_Q, 0},
    {L "self_attn.k_proj", R_ATTN_K, 0},
    {L "self_attn.v_proj", R_ATTN_V, 0},
    {L "self_attn.o_proj", R_ATTN_OUT, 0},
    {L "post_attention_layernorm", R_FFN_NORM, 0},
    {L "mlp.gate_proj", R_FFN_GATE, 0},
    {L "mlp.up_proj", R_FFN_UP, 0},
    {L "mlp.down_proj", R_FFN_DOWN, 0},
};

/* Gemma 2: post_attention_layernorm is the post-attention norm here, the
 * pre-feed-forward norm is ffn_norm. */
static const tp_arch_name_rule k_gemma2_names[] = {
    {"model.embed_tokens", R_TOKEN_EMBD, 0},
    {"model.norm", R_OUTPUT_NORM, 0},
    {L "input_layernorm", R_ATTN_NORM, 0},
    {L "self_attn.q_proj", R_ATTN_Q, 0},
    {L "self_attn.k_proj", R_ATTN_K, 0},
    {L "self_attn.v_proj", R_ATTN_V, 0},
    {L "self_attn.o_proj", R_ATTN_OUT, 0},
    {L "post_attention_layernorm", R_ATTN_POST_NORM, 0},
    {L "pre_feedforward_layernorm", R_FFN_NORM, 0},
    {L "post_feedforward_layernorm", R_FFN_POST_NORM, 0},
    {L "mlp.gate_proj", R_FFN_GATE, 0},
    {L "mlp.up_proj", R_FFN_UP, 0},
    {L "mlp.down_proj", R_FFN_DOWN, 0},
};

static const tp_arch_name_rule k_gemma3_names[] = {
    {"model.embed_tokens", R_TOKEN_EMBD, 0},
    {"model.norm", R_OUTPUT_NORM, 0},
    {"lm_head", R_OUTPUT, 0},
    {L "input_layernorm", R_ATTN_NORM, 0},
    {L "self_attn.q_proj", R_ATTN_Q, 0},
    {L "self_attn.k_proj", R_ATTN_K, 0},
    {L "self_attn.v_proj", R_ATTN_V, 0},
    {L "self_attn.o_proj", R_ATTN_OUT, 0},
    {L "self_attn.q_norm", R_ATTN_Q_NORM, 0},
    {L "self_attn.k_norm", R_ATTN_K_NORM, 0},
    {L "post_attention_layernorm", R_ATTN_POST_NORM, 0},
    {L "pre_feedforward_layernorm", R_FFN_NORM, 0},
    {L "post_feedforward_layernorm", R_FFN_POST_NORM, 0},
    {L "mlp.gate_proj", R_FFN_GATE, 0},
    {L "mlp.up_proj", R_FFN_UP, 0},
    {L "mlp.down_proj", R_FFN_DOWN, 0},
};

/* Phi-3: the fused qkv_proj and gate_up_proj are kept fused (llama.cpp
 * splits gate_up when loading). */
static const tp_arch_name_rule k_phi3_names[] = {
    {"model.embed_tokens", R_TOKEN_EMBD, 0},
    {"model.norm", R_OUTPUT_NORM, 0},
    {"lm_head", R_OUTPUT, 0},
    {L "input_layernorm", R_ATTN_NORM, 0},
    {L "self_attn.qkv_proj", R_ATTN_QKV, 0},
    {L "self_attn.q_proj", R_ATTN_Q, 0},
    {L "self_attn.k_proj", R_ATTN_K, 0},
    {L "self_attn.v_proj", R_ATTN_V, 0},
    {L "self_attn.o_proj", R_ATTN_OUT, 0},
    {L "post_attention_layernorm", R_FFN_NORM, 0},
    {L "mlp.gate_up_proj", R_FFN_UP, 0},
    {L "mlp.down_proj", R_FFN_DOWN, 0},
};

/* BERT after its filter ("bert." prefix removed, gamma/beta renamed; the
 * pooler, position_ids and the MLM / NSP heads dropped). */
#define E "encoder.layer.{bid}."
static const tp_arch_name_rule k_bert_names[] = {
    {"embeddings.word_embeddings", R_TOKEN_EMBD, 0},
    {"embeddings.token_type_embeddings", R_TOKEN_TYPES, 0},
    {"embeddings.position_embeddings", R_POS_EMBD, 0},
    {"embeddings.LayerNorm", R_TOKEN_EMBD_NORM, 0},
    {E "attention.self.query", R_ATTN_Q, 0},
    {E "attention.self.key", R_ATTN_K, 0},
    {E "attention.self.value", R_ATTN_V, 0},
    {E "attention.output.dense", R_ATTN_OUT, 0},
    {E "attention.output.LayerNorm", R_ATTN_OUT_NORM, 0},
    {E "intermediate.dense", R_FFN_UP, 0},
    {E "output.dense", R_FFN_DOWN, 0},
    {E "output.LayerNorm", R_LAYER_OUT_NORM, 0},
    {"classifier", R_CLS, 0},
    {"classifier.dense", R_CLS, 0},
    {"classifier.out_proj", R_CLS_OUT, 0},
};
#undef E
#undef L

/* ---- KV programs (set_gguf_parameters) --------------------------------- */

static const tp_arch_kv_rule k_llama_kvs[] = {
    {KV_BASE, NULL, NULL, 0},
    {KV_VOCAB_SIZE, "vocab_size", "vocab_size", 0},
    {KV_ROPE_DIM_LLAMA, "rope.dimension_count", NULL, 0},
    {KV_END, NULL, NULL, 0},
};

static const tp_arch_kv_rule k_qwen2_kvs[] = {
    {KV_BASE, NULL, NULL, 0},
    {KV_POOLING, NULL, NULL, 0},
    {KV_END, NULL, NULL, 0},
};

/* Qwen2MoeModel (qwen3_moe's class): no pooling. */
static const tp_arch_kv_rule k_qwen3moe_kvs[] = {
    {KV_BASE, NULL, NULL, 0},
    {KV_U32, "expert_feed_forward_length", "moe_intermediate_size", 0},
    {KV_U32, "expert_shared_feed_forward_length",
     "shared_expert_intermediate_size", 0},
    {KV_END, NULL, NULL, 0},
};

/* Gemma and Gemma 2 write their own list instead of the base one. */
#define GEMMA_COMMON                                                        \
  {KV_U32_REQ, "context_length", "max_position_embeddings", 0},            \
      {KV_U32_REQ, "embedding_length", "hidden_size", 0},                  \
      {KV_BLOCK_COUNT, "block_count", NULL, 0},                            \
      {KV_U32_REQ, "feed_forward_length", "intermediate_size", 0},         \
      {KV_U32_REQ, "attention.head_count", "num_attention_heads", 0},      \
      {KV_HEAD_COUNT_KV_OR_HEADS, "attention.head_count_kv", NULL, 0},     \
      {KV_F32_REQ, "attention.layer_norm_rms_epsilon", "rms_norm_eps", 0}, \
      {KV_U32_REQ, "attention.key_length", "head_dim", 0},                 \
      {KV_U32_REQ, "attention.value_length", "head_dim", 0},               \
      {KV_FILE_TYPE, NULL, NULL, 0}

static const tp_arch_kv_rule k_gemma_kvs[] = {
    GEMMA_COMMON,
    {KV_END, NULL, NULL, 0},
};

static const tp_arch_kv_rule k_gemma2_kvs[] = {
    GEMMA_COMMON,
    {KV_F32_REQ, "attn_logit_softcapping", "attn_logit_softcapping", 0},
    {KV_F32_REQ, "final_logit_softcapping", "final_logit_softcapping", 0},
    {KV_U32_REQ, "attention.sliding_window", "sliding_window", 0},
    {KV_END, NULL, NULL, 0},
};
#undef GEMMA_COMMON

/* Gemma3Model: the base list, then keys again with Gemma 3 defaults (a key
 * written again keeps its place); attn_logit_softcapping must be null. */
static const tp_arch_kv_rule k_gemma3_kvs[] = {
    {KV_BASE, NULL, NULL, 0},
    {KV_U32_DEF, "context_length", "max_position_embeddings", 131072},
    {KV_U32_DEF, "attention.head_count", "num_attention_heads", 8},
    {KV_F32_DEF, "attention.layer_norm_rms_epsilon", "rms_norm_eps", 1e-6},
    {KV_U32_DEF, "attention.key_length", "head_dim", 256},
    {KV_U32_DEF, "attention.value_length", "head_dim", 256},
    {KV_ROPE_THETA_DEF, "rope.freq_base", NULL, 1000000.0},
    {KV_F32_TRUTHY, "final_logit_softcapping", "final_logit_softcapping", 0},
    {KV_SLIDING_WINDOW_GEMMA3, "attention.sliding_window", NULL, 0},
    {KV_U32_DEF, "attention.head_count_kv", "num_key_value_heads", 4},
    {KV_END, NULL, NULL, 0},
};

static const tp_arch_kv_rule k_phi3_kvs[] = {
    {KV_U32_REQ, "context_length", "n_positions|max_position_embeddings", 0},
    {KV_ORIG_CTX_PHI3, "rope.scaling.original_context_length", NULL, 0},
    {KV_U32_REQ, "embedding_length", "hidden_size|n_embd", 0},
    {KV_U32_REQ, "feed_forward_length", "intermediate_size", 0},
    {KV_BLOCK_COUNT, "block_count", NULL, 0},
    {KV_U32_REQ, "attention.head_count", "num_attention_heads|n_head", 0},
    {KV_U32_REQ, "attention.head_count_kv", "num_key_value_heads|n_head_kv", 0},
    {KV_F32_REQ, "attention.layer_norm_rms_epsilon", "rms_norm_eps", 0},
    {KV_ROPE_DIM_PHI3, "rope.dimension_count", NULL, 0},
    {KV_ROPE_THETA_REQ, "rope.freq_base", NULL, 0},
    {KV_FILE_TYPE, NULL, NULL, 0},
    {KV_SLIDING_WINDOW_OR_0, "attention.sliding_window", "sliding_window", 0},
    {KV_END, NULL, NULL, 0},
};

static const tp_arch_kv_rule k_bert_kvs[] = {
    {KV_BASE, NULL, NULL, 0},
    {KV_CAUSAL_FALSE, "attention.causal", NULL, 0},
    {KV_POOLING, NULL, NULL, 0},
    {KV_CLS_LABELS, "classifier.output_labels", NULL, 0},
    {KV_END, NULL, NULL, 0},
};

/* ---- config-class defaults (transformers v5 dataclass fields) ---------- */

static const tp_arch_default k_llama_defaults[] = {
    {"vocab_size", "32000"}, {"hidden_size", "4096"},
    {"intermediate_size", "11008"}, {"num_hidden_layers", "32"},
    {"num_attention_heads", "32"}, {"num_key_value_heads", "null"},
    {"max_position_embeddings", "2048"}, {"rms_norm_eps", "1e-6"},
    {"tie_word_embeddings", "false"}, {"head_dim", "null"},
    {"attention_bias", "false"}, {"mlp_bias", "false"},
    {"bos_token_id", "1"}, {"eos_token_id", "2"},
    {NULL, NULL},
};

static const tp_arch_default k_mistral_defaults[] = {
    {"vocab_size", "32000"}, {"hidden_size", "4096"},
    {"intermediate_size", "14336"}, {"num_hidden_layers", "32"},
    {"num_attention_heads", "32"}, {"num_key_value_heads", "8"},
    {"head_dim", "null"}, {"max_position_embeddings", "131072"},
    {"rms_norm_eps", "1e-6"}, {"tie_word_embeddings", "false"},
    {"sliding_window", "4096"}, {"bos_token_id", "1"}, {"eos_token_id", "2"},
    {NULL, NULL},
};

static const tp_arch_default k_mixtral_defaults[] = {
    {"vocab_size", "32000"}, {"hidden_size", "4096"},
    {"intermediate_size", "14336"}, {"num_hidden_layers", "32"},
    {"num_attention_heads", "32"}, {"num_key_value_heads", "8"},
    {"head_dim", "null"}, {"max_position_embeddings", "131072"},
    {"rms_norm_eps", "1e-5"}, {"tie_word_embeddings", "false"},
    {"sliding_window", "null"}, {"num_experts_per_tok", "2"},
    {"num_local_experts", "8"}, {"bos_token_id", "1"}, {"eos_token_id", "2"},
    {NULL, NULL},
};

static const tp_arch_default k_qwen2_defaults[] = {
    {"vocab_size", "151936"}, {"hidden_size", "4096"},
    {"intermediate_size", "22016"}, {"num_hidden_layers", "32"},
    {"num_attention_heads", "32"}, {"num_key_value_heads", "32"},
    {"max_position_embeddings", "32768"}, {"rms_norm_eps", "1e-6"},
    {"tie_word_embeddings", "false"}, {"use_sliding_window", "false"},
    {"sliding_window", "4096"}, {"max_window_layers", "28"},
    {NULL, NULL},
};

static const tp_arch_default k_qwen3_defaults[] = {
    {"vocab_size", "151936"}, {"hidden_size", "4096"},
    {"intermediate_size", "22016"}, {"num_hidden_layers", "32"},
    {"num_attention_heads", "32"}, {"num_key_value_heads", "32"},
    {"head_dim", "128"}, {"max_position_embeddings", "32768"},
    {"rms_norm_eps", "1e-6"}, {"tie_word_embeddings", "false"},
    {"use_sliding_window", "false"}, {"sliding_window", "4096"},
    {"max_window_layers", "28"}, {"attention_bias", "false"},
    {NULL, NULL},
};

static const tp_arch_default k_qwen3moe_defaults[] = {
    {"vocab_size", "151936"}, {"hidden_size", "2048"},
    {"intermediate_size", "6144"}, {"num_hidden_layers", "24"},
    {"num_attention_heads", "32"}, {"num_key_value_heads", "4"},
    {"max_position_embeddings", "32768"}, {"rms_norm_eps", "1e-6"},
    {"tie_word_embeddings", "false"}, {"use_sliding_window", "false"},
    {"sliding_window", "4096"}, {"moe_intermediate_size", "768"},
    {"num_experts_per_tok", "8"}, {"num_local_experts", "128"},
    {"norm_topk_prob", "false"}, {"decoder_sparse_step", "1"},
    {"mlp_only_layers", "[]"}, {"attention_bias", "false"},
    {NULL, NULL},
};

static const tp_arch_default k_gemma_defaults[] = {
    {"vocab_size", "256000"}, {"hidden_size", "3072"},
    {"intermediate_size", "24576"}, {"num_hidden_layers", "28"},
    {"num_attention_heads", "16"}, {"num_key_value_heads", "16"},
    {"head_dim", "256"}, {"max_position_embeddings", "8192"},
    {"rms_norm_eps", "1e-6"}, {"tie_word_embeddings", "true"},
    {"pad_token_id", "0"}, {"eos_token_id", "1"}, {"bos_token_id", "2"},
    {NULL, NULL},
};

static const tp_arch_default k_gemma2_defaults[] = {
    {"vocab_size", "256000"}, {"hidden_size", "2304"},
    {"intermediate_size", "9216"}, {"num_hidden_layers", "26"},
    {"num_attention_heads", "8"}, {"num_key_value_heads", "4"},
    {"head_dim", "256"}, {"max_position_embeddings", "8192"},
    {"rms_norm_eps", "1e-6"}, {"tie_word_embeddings", "true"},
    {"query_pre_attn_scalar", "256"}, {"sliding_window", "4096"},
    {"final_logit_softcapping", "30.0"}, {"attn_logit_softcapping", "50.0"},
    {"pad_token_id", "0"}, {"eos_token_id", "1"}, {"bos_token_id", "2"},
    {NULL, NULL},
};

static const tp_arch_default k_gemma3_defaults[] = {
    {"vocab_size", "262208"}, {"hidden_size", "2304"},
    {"intermediate_size", "9216"}, {"num_hidden_layers", "26"},
    {"num_attention_heads", "8"}, {"num_key_value_heads", "4"},
    {"head_dim", "256"}, {"max_position_embeddings", "131072"},
    {"rms_norm_eps", "1e-6"}, {"tie_word_embeddings", "true"},
    {"query_pre_attn_scalar", "256"}, {"sliding_window", "4096"},
    {"final_logit_softcapping", "null"}, {"attn_logit_softcapping", "null"},
    {"use_bidirectional_attention", "false"},
    {"pad_token_id", "0"}, {"eos_token_id", "1"}, {"bos_token_id", "2"},
    {NULL, NULL},
};

/* Gemma3Config, the multimodal wrapper, for its own top-level fields. */
static const tp_arch_default k_gemma3_wrapper_defaults[] = {
    {"tie_word_embeddings", "true"}, {"mm_tokens_per_image", "256"},
    {NULL, NULL},
};

static const tp_arch_default k_phi3_defaults[] = {
    {"vocab_size", "32064"}, {"hidden_size", "3072"},
    {"intermediate_size", "8192"}, {"num_hidden_layers", "32"},
    {"num_attention_heads", "32"}, {"num_key_value_heads", "null"},
    {"max_position_embeddings", "4096"},
    {"original_max_position_embeddings", "4096"}, {"rms_norm_eps", "1e-5"},
    {"tie_word_embeddings", "false"}, {"sliding_window", "null"},
    {"bos_token_id", "1"}, {"eos_token_id", "32000"}, {"pad_token_id", "32000"},
    {NULL, NULL},
};

static const tp_arch_default k_bert_defaults[] = {
    {"vocab_size", "30522"}, {"hidden_size", "768"},
    {"num_hidden_layers", "12"}, {"num_attention_heads", "12"},
    {"intermediate_size", "3072"}, {"max_position_embeddings", "512"},
    {"type_vocab_size", "2"}, {"layer_norm_eps", "1e-12"},
    {"pad_token_id", "0"}, {"tie_word_embeddings", "true"},
    {NULL, NULL},
};

/* ---- the profiles ------------------------------------------------------- */

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const k_llama_archs[] = {"LlamaForCausalLM",
                                            "LLaMAForCausalLM", "LlamaModel",
                                            NULL};
static const char *const k_llama_types[] = {"llama", NULL};
static const tp_arch_profile k_llama = {
    "llama", "llama", k_llama_archs, k_llama_types, "LlamaModel",
    k_llama_names, N(k_llama_names), k_mixtral_expert_order,
    PF_EXPERTS_MIXTRAL | PF_ROPE_LLAMA3 | PF_HEAD_DIM_FROM_HIDDEN |
        PF_KV_HEADS_FROM_HEADS,
    k_llama_kvs, k_llama_defaults, NULL, 10000.0,
    "LlamaForCausalLM", "llama"};

static const char *const k_mistral_archs[] = {"MistralForCausalLM", NULL};
static const char *const k_mistral_types[] = {"mistral", NULL};
static const tp_arch_profile k_mistral = {
    "mistral", "llama", k_mistral_archs, k_mistral_types, NULL,
    k_llama_names, N(k_llama_names), k_mixtral_expert_order,
    PF_EXPERTS_MIXTRAL | PF_ROPE_LLAMA3 | PF_HEAD_DIM_FROM_HIDDEN |
        PF_KV_HEADS_FROM_HEADS,
    k_llama_kvs, k_mistral_defaults, NULL, 10000.0,
    "MistralForCausalLM", "mistral"};

static const char *const k_mixtral_archs[] = {"MixtralForCausalLM", NULL};
static const char *const k_mixtral_types[] = {"mixtral", NULL};
static const tp_arch_profile k_mixtral = {
    "mixtral", "llama", k_mixtral_archs, k_mixtral_types, NULL,
    k_llama_names, N(k_llama_names), k_mixtral_expert_order,
    PF_EXPERTS_MIXTRAL | PF_ROPE_LLAMA3 | PF_KV_HEADS_FROM_HEADS,
    k_llama_kvs, k_mixtral_defaults, NULL, 1000000.0,
    "MixtralForCausalLM", "mixtral"};

static const char *const k_qwen2_archs[] = {"Qwen2ForCausalLM", "Qwen2Model",
                                            NULL};
static const char *const k_qwen2_types[] = {"qwen2", NULL};
static const tp_arch_profile k_qwen2 = {
    "qwen2", "qwen2", k_qwen2_archs, k_qwen2_types, "Qwen2Model",
    k_qwen2_names, N(k_qwen2_names), NULL,
    PF_KV_HEADS_FROM_HEADS | PF_SLIDING_IF_USED,
    k_qwen2_kvs, k_qwen2_defaults, NULL, 10000.0,
    "Qwen2ForCausalLM", "qwen2"};

static const char *const k_qwen3_archs[] = {"Qwen3ForCausalLM", NULL};
static const char *const k_qwen3_types[] = {"qwen3", NULL};
static const tp_arch_profile k_qwen3 = {
    "qwen3", "qwen3", k_qwen3_archs, k_qwen3_types, NULL,
    k_qwen3_names, N(k_qwen3_names), NULL,
    PF_KV_HEADS_FROM_HEADS | PF_SLIDING_IF_USED | PF_QWEN3_RERANK_CHECK,
    k_qwen2_kvs, k_qwen3_defaults, NULL, 10000.0,
    "Qwen3ForCausalLM", "qwen3"};

static const char *const k_qwen3moe_archs[] = {"Qwen3MoeForCausalLM", NULL};
static const char *const k_qwen3moe_types[] = {"qwen3_moe", NULL};
static const tp_arch_profile k_qwen3moe = {
    "qwen3_moe", "qwen3moe", k_qwen3moe_archs, k_qwen3moe_types, NULL,
    k_qwen3moe_names, N(k_qwen3moe_names), k_qwen_expert_order,
    PF_EXPERTS_QWEN | PF_SLIDING_IF_USED,
    k_qwen3moe_kvs, k_qwen3moe_defaults, NULL, 10000.0,
    "Qwen3MoeForCausalLM", "qwen3_moe"};

static const char *const k_gemma_archs[] = {"GemmaForCausalLM", NULL};
static const char *const k_gemma_types[] = {"gemma", NULL};
static const tp_arch_profile k_gemma = {
    "gemma", "gemma", k_gemma_archs, k_gemma_types, NULL,
    k_gemma_names, N(k_gemma_names), NULL,
    PF_NORM_PLUS_ONE | PF_SKIP_LM_HEAD,
    k_gemma_kvs, k_gemma_defaults, NULL, 10000.0,
    "GemmaForCausalLM", "gemma"};

static const char *const k_gemma2_archs[] = {"Gemma2ForCausalLM", NULL};
static const char *const k_gemma2_types[] = {"gemma2", NULL};
static const tp_arch_profile k_gemma2 = {
    "gemma2", "gemma2", k_gemma2_archs, k_gemma2_types, NULL,
    k_gemma2_names, N(k_gemma2_names), NULL,
    PF_NORM_PLUS_ONE | PF_SKIP_LM_HEAD,
    k_gemma2_kvs, k_gemma2_defaults, NULL, 10000.0,
    "Gemma2ForCausalLM", "gemma2"};

/* Gemma3ForConditionalGeneration converts as its text model (the vision
 * tower and projector are filtered out, language_model. stripped). */
static const char *const k_gemma3_archs[] = {
    "Gemma3ForCausalLM", "Gemma3ForConditionalGeneration", NULL};
static const char *const k_gemma3_types[] = {"gemma3_text", "gemma3", NULL};
static const tp_arch_profile k_gemma3 = {
    "gemma3", "gemma3", k_gemma3_archs, k_gemma3_types, NULL,
    k_gemma3_names, N(k_gemma3_names), NULL,
    PF_NORM_PLUS_ONE | PF_TRIM_VOCAB | PF_ROPE_GEMMA3,
    k_gemma3_kvs, k_gemma3_defaults, k_gemma3_wrapper_defaults, 0.0,
    "Gemma3ForCausalLM", "gemma3_text"};

static const char *const k_phi3_archs[] = {"Phi3ForCausalLM", NULL};
static const char *const k_phi3_types[] = {"phi3", NULL};
static const tp_arch_profile k_phi3 = {
    "phi3", "phi3", k_phi3_archs, k_phi3_types, NULL,
    k_phi3_names, N(k_phi3_names), NULL,
    PF_ROPE_PHI3 | PF_ROPE_PHI3_CFG | PF_KV_HEADS_FROM_HEADS,
    k_phi3_kvs, k_phi3_defaults, NULL, 10000.0,
    "Phi3ForCausalLM", "phi3"};

/* BertConfig has no rope parameters (default_theta 0: none standardised). */
static const char *const k_bert_archs[] = {
    "BertModel", "BertForMaskedLM", "BertForSequenceClassification", NULL};
static const char *const k_bert_types[] = {"bert", NULL};
static const tp_arch_profile k_bert = {
    "bert", "bert", k_bert_archs, k_bert_types, NULL,
    k_bert_names, N(k_bert_names), NULL,
    PF_BERT,
    k_bert_kvs, k_bert_defaults, NULL, 0.0,
    "BertModel", "bert"};

const tp_arch_profile *const tp_arch_profiles[] = {
    &k_llama, &k_mistral, &k_mixtral, &k_qwen2, &k_qwen3, &k_qwen3moe,
    &k_gemma, &k_gemma2, &k_gemma3, &k_phi3, &k_bert,
};
const size_t tp_arch_n_profiles = N(tp_arch_profiles);

size_t tp_arch_profile_count(void) { return tp_arch_n_profiles; }

const tp_arch_profile *tp_arch_profile_at(size_t i) {
  return i < tp_arch_n_profiles ? tp_arch_profiles[i] : NULL;
}

const char *tp_arch_profile_name(const tp_arch_profile *p) { return p->name; }

const char *tp_arch_gguf_name(const tp_arch_profile *p) { return p->gguf_arch; }
