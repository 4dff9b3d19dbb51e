/*
 * arch_impl.h - the shape of a profile (the tables in profiles.c) and the
 * helpers the src/arch files share: reading hparams the way the reference
 * reads self.hparams, an ordered KV list with GGUFWriter's duplicate rule,
 * and the tensor roles of gguf-py.
 */
#ifndef TP_ARCH_IMPL_H
#define TP_ARCH_IMPL_H

#include "profile.h"

/* s ends with suffix (names: Python's str.endswith). */
static inline bool tp_arch_ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !memcmp(s + n - m, suffix, m);
}

/* ---- tensor roles (gguf-py MODEL_TENSOR, the ones the profiles use) ------ */

typedef enum tp_arch_role {
  R_TOKEN_EMBD,
  R_TOKEN_EMBD_NORM,
  R_TOKEN_TYPES,
  R_POS_EMBD,
  R_OUTPUT_NORM,
  R_OUTPUT,
  R_ROPE_FREQS,
  R_ROPE_FACTORS_LONG,
  R_ROPE_FACTORS_SHORT,
  R_ATTN_NORM,
  R_ATTN_QKV,
  R_ATTN_Q,
  R_ATTN_K,
  R_ATTN_V,
  R_ATTN_OUT,
  R_ATTN_OUT_NORM,
  R_ATTN_POST_NORM,
  R_ATTN_Q_NORM,
  R_ATTN_K_NORM,
  R_FFN_NORM,
  R_FFN_POST_NORM,
  R_FFN_GATE_INP,
  R_FFN_GATE,
  R_FFN_UP,
  R_FFN_DOWN,
  R_FFN_GATE_EXP,
  R_FFN_UP_EXP,
  R_FFN_DOWN_EXP,
  R_LAYER_OUT_NORM,
  R_CLS,
  R_CLS_OUT,
  R_COUNT
} tp_arch_role;

typedef struct tp_arch_role_info {
  const char *role;   /* MODEL_TENSOR name */
  const char *gguf;   /* TENSOR_NAMES template ("blk.{bid}.attn_q") */
  uint8_t f32;        /* in prepare_tensors' always-F32 role list */
} tp_arch_role_info;

extern const tp_arch_role_info tp_arch_roles[R_COUNT];

/* ---- name rules ------------------------------------------------------- */

/* Per-rule transform flags. */
enum {
  NR_PERMUTE_Q = 1u << 0, /* Llama: permute with num_attention_heads */
  NR_PERMUTE_K = 1u << 1, /* Llama: permute with num_key_value_heads */
  NR_EXPERT = 1u << 2     /* hf has {xid}: one expert of a stacked tensor */
};

/* One HF base name (no .weight/.bias) and the role it maps to. Templates
 * hold {bid} (block index, < block_count) and, for experts, {xid}. */
typedef struct tp_arch_name_rule {
  const char *hf;
  uint8_t role;
  uint8_t flags;
} tp_arch_name_rule;

/* ---- KV programs ------------------------------------------------------ */

/* One step of a set_gguf_parameters program. `fields` is a '|'-separated
 * list of hparams names, first present wins (find_hparam). */
typedef enum tp_arch_kv_op {
  KV_END = 0,
  KV_BASE,          /* TextModel.set_gguf_parameters, file_type included */
  KV_BLOCK_COUNT,   /* block_count from the resolved block count */
  KV_U32,           /* optional: absent or null -> nothing; a list gives an
                       INT32 array for the keys gguf-py writes per layer */
  KV_U32_REQ,       /* required */
  KV_U32_DEF,       /* hparams.get(field, def) */
  KV_F32,
  KV_F32_REQ,
  KV_F32_DEF,
  KV_F32_TRUTHY,    /* written only when the value is truthy */
  KV_HEAD_DIM_KV,   /* head_dim (non-null) -> key_length and value_length */
  KV_HEAD_COUNT_KV_OR_HEADS, /* num_key_value_heads if present, else heads */
  KV_CAUSAL_IF_FALSE,/* hparams is_causal is False -> causal = false */
  KV_CAUSAL_FALSE,  /* causal = false always */
  KV_ROPE_SCALING,  /* the linear / yarn / longrope block */
  KV_MROPE,         /* rope.dimension_sections */
  KV_ROPE_THETA,    /* rope params (full_attention or flat) rope_theta */
  KV_ROPE_THETA_DEF,
  KV_ROPE_THETA_REQ,
  KV_ROPE_THETA_SWA,/* rope_parameters.sliding_attention.rope_theta */
  KV_GATING_FUNC,
  KV_FILE_TYPE,
  KV_VOCAB_SIZE,    /* Llama: hparams["vocab_size"] */
  KV_ROPE_DIM_LLAMA,/* head_dim or hidden_size / num_attention_heads */
  KV_ROPE_DIM_PHI3, /* int(partial_rotary_factor * n_embd) // n_head */
  KV_ORIG_CTX_PHI3, /* rope_parameters["original_max_position_embeddings"] */
  KV_SLIDING_WINDOW_OR_0,
  KV_SLIDING_WINDOW_GEMMA3,
  KV_POOLING,       /* sentence-transformers pooling, classifier_pooling */
  KV_CLS_LABELS     /* BERT classifier output labels */
} tp_arch_kv_op;

typedef struct tp_arch_kv_rule {
  uint8_t op;
  const char *key;    /* after "{arch}." */
  const char *fields;
  double def;
} tp_arch_kv_rule;

/* A config-class default: the field and its JSON text. */
typedef struct tp_arch_default {
  const char *field;
  const char *json;
} tp_arch_default;

/* ---- profiles ----------------------------------------------------------- */

/* Profile flags (the reference's per-class behaviour). */
enum {
  PF_NORM_PLUS_ONE = 1u << 0,   /* Gemma: *norm.weight + 1 */
  PF_SKIP_LM_HEAD = 1u << 1,    /* Gemma, Gemma2: lm_head.weight dropped */
  PF_TRIM_VOCAB = 1u << 2,      /* Gemma 3: embed rows cut to the vocabulary */
  PF_EXPERTS_MIXTRAL = 1u << 3, /* block_sparse_moe.experts -> w1, w2, w3 */
  PF_EXPERTS_QWEN = 1u << 4,    /* mlp.experts -> down, gate, up */
  PF_ROPE_LLAMA3 = 1u << 5,     /* rope_freqs from llama3 rope parameters */
  PF_ROPE_PHI3 = 1u << 6,       /* rope_factors_long/short, attn_factor KV */
  PF_BERT = 1u << 7,            /* bert. prefix, gamma/beta, drops, labels */
  PF_HEAD_DIM_FROM_HIDDEN = 1u << 8, /* config class: head_dim None -> h/n */
  PF_KV_HEADS_FROM_HEADS = 1u << 9,  /* num_key_value_heads None -> heads */
  PF_SLIDING_IF_USED = 1u << 10,     /* sliding_window None unless used */
  PF_QWEN3_RERANK_CHECK = 1u << 11,  /* refuse Qwen3 rerankers */
  PF_ROPE_GEMMA3 = 1u << 12,    /* Gemma 3 rope_parameters defaults */
  PF_ROPE_PHI3_CFG = 1u << 13   /* Phi-3 rope_parameters defaults */
};

struct tp_arch_profile {
  const char *name;              /* profile name (model_type) */
  const char *gguf_arch;         /* general.architecture */
  const char *const *hf_archs;   /* NULL-terminated */
  const char *const *model_types;/* NULL-terminated */
  const char *model_prefix_arch; /* HF arch whose names lack "model." */
  const tp_arch_name_rule *names;
  size_t n_names;
  const char *const *expert_order; /* stacking emission order (w1 w2 w3) */
  unsigned flags;
  const tp_arch_kv_rule *kvs;
  const tp_arch_default *defaults;   /* config class defaults */
  const tp_arch_default *wrapper_defaults; /* multimodal wrapper's own */
  double default_theta;          /* RotaryEmbeddingConfigMixin.default_theta */
  /* the way back */
  const char *hf_arch_out;       /* architectures[0] written */
  const char *model_type_out;    /* model_type written */
};

extern const tp_arch_profile *const tp_arch_profiles[];
extern const size_t tp_arch_n_profiles;

/* ---- hparams access (hparams.c) -------------------------------------- */

/* find_hparam: the value of the first field of the '|'-list present in
 * hp (a present null is returned as json null), NULL when none is. *which
 * (optional) gets the field name found (static storage of the caller's
 * list is not kept: copied into buf of 64 bytes). */
json_t *tp_arch_hp_find(const json_t *hp, const char *fields, char *which,
                        size_t which_len);
/* hp[name] as an integer: TP_OK and *out; TP_ENOTFOUND when absent or
 * null; TP_EFORMAT (message names the field) when not an integer. */
tp_status tp_arch_hp_int(const json_t *hp, const char *fields, int64_t *out);
/* Same for a number (integer or real). */
tp_status tp_arch_hp_num(const json_t *hp, const char *fields, double *out);
/* The rope parameters TextModel uses: rope_parameters.full_attention when
 * present, else rope_parameters (never NULL: an empty object held by hp). */
const json_t *tp_arch_rope_params(const json_t *hp);
/* Block count: n_layers | num_hidden_layers | n_layer | num_layers. */
tp_status tp_arch_block_count(const json_t *hp, uint32_t *out);

/* ---- ordered KV list with GGUFWriter's rules (kvlist.c) ---------------- */

typedef struct tp_arch_kvl {
  tp_metastore ms;   /* values, in first-insertion order */
} tp_arch_kvl;

void tp_arch_kvl_init(tp_arch_kvl *l);
void tp_arch_kvl_free(tp_arch_kvl *l);
/* GGUFWriter.add_key_value: a new key is appended; an existing key keeps
 * its position and takes the new value. */
tp_status tp_arch_kvl_set(tp_arch_kvl *l, const char *key, const tp_value *v);
tp_status tp_arch_kvl_u32(tp_arch_kvl *l, const char *key, uint32_t v);
tp_status tp_arch_kvl_i32(tp_arch_kvl *l, const char *key, int32_t v);
tp_status tp_arch_kvl_f32(tp_arch_kvl *l, const char *key, double v);
tp_status tp_arch_kvl_bool(tp_arch_kvl *l, const char *key, bool v);
/* add_string: an empty string is not written. */
tp_status tp_arch_kvl_str(tp_arch_kvl *l, const char *key, const char *s,
                          size_t len);
/* Copies the list into out in order. */
tp_status tp_arch_kvl_emit(const tp_arch_kvl *l, tp_metastore *out);

/* Formats "{arch}.suffix" into buf. */
void tp_arch_key(char *buf, size_t len, const tp_arch_profile *p,
                 const char *suffix);

/* ---- authorship (authorship.c) --------------------------------------- */

/* metadata.py: general.sampling.*, general.name ... general.languages. */
tp_status tp_arch_authorship(const tp_arch_inputs *in,
                             const tp_arch_mapping *tensors, tp_arch_kvl *l);

/* ---- mapping internals shared with reverse.c (tensors.c) -------------- */

struct tp_arch_mapping {
  tp_arch_out_tensor *t;
  size_t n, cap;
  tp_arena arena;
  tp_type auto_type; /* --outtype auto's decision */
};
tp_status tp_arch_mapping_new(tp_arch_mapping **out);
/* Appends a zeroed tensor (names and arrays from the mapping's arena). */
tp_status tp_arch_mapping_push(tp_arch_mapping *m, tp_arch_out_tensor **t);

#endif /* TP_ARCH_IMPL_H */
