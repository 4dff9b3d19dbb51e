/*
 * pretok.c - tokenizer.ggml.pre: the pre-tokenizer name llama.cpp uses to
 * pick its splitting regexes.
 *
 * The reference converter tokenizes a check text and looks the SHA-256 of
 * the ids up in a table (get_vocab_base_pre), which fails for every model
 * it has not seen. Here the pre_tokenizer definition of tokenizer.json is
 * rendered as a one-line signature (Split regexes, ByteLevel flags,
 * Sequence structure; offsets-only flags such as trim_offsets left out)
 * and looked up in a table of the definitions real models ship, mirrored
 * by llama.cpp's regexes in src/llama-vocab.cpp (docs/formats/tokenizers.md
 * §5 lists where each comes from). An unknown signature fails with the
 * signature and the --tokenizer-pre NAME override; an override must be a
 * name llama.cpp knows.
 */
#include "tok_internal.h"

#include "../codec/json_out.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- the names llama.cpp knows ------------------------------------------------ */

/* tokenizer_pre values llama_vocab::impl::load accepts for a BPE ("gpt2")
 * vocabulary (llama.cpp src/llama-vocab.cpp, the vendored revision) */
static const char *const k_bpe_names[] = {
    "default", "minicpm5", "llama3", "llama-v3", "llama-bpe", "falcon3",
    "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano",
    "deepseek-llm", "deepseek-coder", "deepseek-v3", "spark2_5", "youtu",
    "falcon", "mpt", "starcoder", "gpt-2", "phi-2", "jina-es", "jina-de",
    "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
    "modern-bert", "jais-2", "gemma4", "granite-embed-multi-311m",
    "sarvam-moe", "jina-v1-en", "jina-v2-code", "roberta-bpe", "whitespace",
    "refact", "command-r", "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2",
    "qwen35", "stablelm2", "olmo", "dbrx", "smaug-bpe", "poro-chat",
    "chatglm-bpe", "glm4", "glm5", "viking", "jais", "tekken", "smollm",
    "codeshell", "bloom", "gpt3-finnish", "exaone", "exaone4", "exaone-moe",
    "chameleon", "minerva-7b", "megrez", "gpt-4o", "llama4", "kanana2",
    "talkie", "granite-embed-multi-97m", "tiny_aya", "cohere2moe",
    "superbpe", "trillion", "granite-docling", "bailingmoe", "bailingmoe2",
    "llada-moe", "seed-coder", "hunyuan", "hunyuan-dense", "hy_v4",
    "joyai-llm", "kimi-k2", "ufakzeka", "grok-2", "afmoe", "laguna",
    "minimax-m2", "solar-open", "mellum2"};

/* names the reference writes for WordPiece vocabularies (llama.cpp ignores
 * tokenizer.ggml.pre for them) */
static const char *const k_wpm_names[] = {"bert-bge", "bert-bge-large",
                                          "jina-v2-en"};

bool tp_tokenizer_pre_known(const char *name, bool bpe) {
  size_t i;
  if (!name) return false;
  for (i = 0; i < TP_ARRAY_LEN(k_bpe_names); i++)
    if (!strcmp(name, k_bpe_names[i])) return true;
  if (!bpe)
    for (i = 0; i < TP_ARRAY_LEN(k_wpm_names); i++)
      if (!strcmp(name, k_wpm_names[i])) return true;
  return false;
}

/* ---- signatures ----------------------------------------------------------------- */

#define LLAMA3_RE                                                           \
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}" \
  "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
#define QWEN2_RE                                                          \
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}"     \
  "| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"
/* DeepSeek-V3: digits, CJK runs, then words/punctuation; "\r\n" are the
 * characters themselves here (the JSON escapes them once) */
#define DSV3_RE1 "\\p{N}{1,3}"
#define DSV3_RE2 "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+"
#define DSV3_RE3                                                           \
  "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}"   \
  "\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+"    \
  "|\\s+(?!\\S)|\\s+"

#define SPLIT(re) "Split(Regex \"" re "\", behavior=Isolated, invert=false)"
#define BL_NOREGEX "ByteLevel(add_prefix_space=false, use_regex=false)"
#define BL_REGEX "ByteLevel(add_prefix_space=false, use_regex=true)"

typedef struct pre_entry {
  const char *signature;
  int ignore_merges; /* model.ignore_merges must be: -1 any, 0 false, 1 true */
  const char *name;
  const char *models; /* where the definition comes from (for the docs) */
} pre_entry;

static const pre_entry k_pre_table[] = {
    {BL_REGEX, -1, "gpt-2", "GPT-2 (openai-community/gpt2), Phi-2"},
    {"Sequence[Digits(individual_digits=true), " BL_REGEX "]", -1, "smollm",
     "SmolLM / SmolLM2 (also StarCoder's definition)"},
    {"Sequence[" SPLIT(LLAMA3_RE) ", " BL_NOREGEX "]", 1, "llama-bpe",
     "Llama 3 / 3.1 / 3.2 (model.ignore_merges true)"},
    {"Sequence[" SPLIT(LLAMA3_RE) ", " BL_NOREGEX "]", 0, "smaug-bpe",
     "the Llama 3 definition without ignore_merges (Smaug, DBRX)"},
    {"Sequence[" SPLIT(QWEN2_RE) ", " BL_NOREGEX "]", -1, "qwen2",
     "Qwen2, Qwen2.5, Qwen3"},
    {"Sequence[" SPLIT(DSV3_RE1) ", " SPLIT(DSV3_RE2) ", " SPLIT(DSV3_RE3)
     ", " BL_NOREGEX "]", -1, "deepseek-v3", "DeepSeek-V3 / R1"},
    {"BertPreTokenizer", -1, "bert-bge", "BERT WordPiece (bert-base, bge)"},
};

/* ---- the way back: name -> definition --------------------------------------------- */

static const char *const k_llama3_re[] = {LLAMA3_RE};
static const char *const k_qwen2_re[] = {QWEN2_RE};
static const char *const k_dsv3_re[] = {DSV3_RE1, DSV3_RE2, DSV3_RE3};

typedef struct pre_family {
  const char *const *names; /* the names llama.cpp gives these regexes */
  size_t nnames;
  int family;
  const char *const *re;
  size_t nre;
} pre_family;

/* grouped as llama_vocab's switch on pre_type groups its regexes */
static const char *const k_fam_llama3[] = {
    "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral",
    "midm-2.0", "lfm2", "jina-v5-nano", "dbrx", "smaug-bpe", "chatglm-bpe",
    "glm4", "glm5"};
static const char *const k_fam_qwen2[] = {"qwen2", "deepseek-r1-qwen", "kormo",
                                          "f2llmv2", "megrez", "stablelm2",
                                          "hunyuan", "solar-open"};
static const char *const k_fam_smollm[] = {
    "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone",
    "minerva-7b", "mellum2"};
static const char *const k_fam_gpt2[] = {
    "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es",
    "jina-v2-de", "a.x-4.0", "mellum", "modern-bert", "mpt", "olmo", "jais",
    "trillion", "granite-docling", "exaone4", "jina-v1-en", "jina-v2-code",
    "roberta-bpe"};
static const char *const k_fam_dsv3[] = {"deepseek-v3", "hunyuan-dense",
                                         "joyai-llm", "hy_v4"};

static const pre_family k_families[] = {
    {k_fam_llama3, TP_ARRAY_LEN(k_fam_llama3), TK_PRE_SPLITS, k_llama3_re, 1},
    {k_fam_qwen2, TP_ARRAY_LEN(k_fam_qwen2), TK_PRE_SPLITS, k_qwen2_re, 1},
    {k_fam_smollm, TP_ARRAY_LEN(k_fam_smollm), TK_PRE_DIGITS_GPT2, NULL, 0},
    {k_fam_gpt2, TP_ARRAY_LEN(k_fam_gpt2), TK_PRE_GPT2, NULL, 0},
    {k_fam_dsv3, TP_ARRAY_LEN(k_fam_dsv3), TK_PRE_SPLITS, k_dsv3_re, 3},
};

int tk_pre_family(const char *name, size_t len, const char *const **re,
                  size_t *n) {
  size_t f, i;
  for (f = 0; f < TP_ARRAY_LEN(k_families); f++)
    for (i = 0; i < k_families[f].nnames; i++) {
      const char *x = k_families[f].names[i];
      if (strlen(x) == len && !memcmp(x, name, len)) {
        *re = k_families[f].re;
        *n = k_families[f].nre;
        return k_families[f].family;
      }
    }
  *re = NULL;
  *n = 0;
  return -1;
}

/* ---- signatures of tokenizer.json definitions ----------------------------------- */

static void put_bool(tp_textbuf *b, const char *name, const json_t *v,
                     bool dflt, bool has_dflt) {
  tp_textbuf_printf(b, "%s=", name);
  if (v && json_is_boolean(v))
    tp_textbuf_puts(b, json_is_true(v) ? "true" : "false");
  else if (!v && has_dflt)
    tp_textbuf_puts(b, dflt ? "true" : "false");
  else
    tp_textbuf_puts(b, "?");
}

static void put_jstr(tp_textbuf *b, const json_t *v) {
  if (tk_is_str(v))
    tp_textbuf_append(b, json_string_value(v), json_string_length(v));
  else
    tp_textbuf_puts(b, "?");
}

static void render(tp_textbuf *b, const json_t *n, unsigned depth);

/* The members of a Sequence, nested Sequences flattened. */
static void collect(const json_t *n, const json_t **out, size_t max, size_t *k,
                    unsigned depth) {
  const json_t *list = tk_get(n, "pretokenizers");
  size_t i;
  for (i = 0; i < json_array_size(list); i++) {
    const json_t *e = json_array_get(list, i);
    if (tk_str_eq(tk_get(e, "type"), "Sequence") && depth < 16) {
      collect(e, out, max, k, depth + 1);
    } else {
      if (*k < max) out[*k] = e;
      (*k)++;
    }
  }
}

static void render(tp_textbuf *b, const json_t *n, unsigned depth) {
  const json_t *type = tk_get(n, "type");
  if (!n || json_is_null(n)) {
    tp_textbuf_puts(b, "none");
    return;
  }
  if (tk_str_eq(type, "Sequence")) {
    const json_t *items[64];
    size_t k = 0, i;
    collect(n, items, TP_ARRAY_LEN(items), &k, depth);
    if (k == 1 && k <= TP_ARRAY_LEN(items)) {
      render(b, items[0], depth + 1);
      return;
    }
    tp_textbuf_puts(b, "Sequence[");
    for (i = 0; i < k && i < TP_ARRAY_LEN(items); i++) {
      if (i) tp_textbuf_puts(b, ", ");
      render(b, items[i], depth + 1);
    }
    if (k > TP_ARRAY_LEN(items)) tp_textbuf_puts(b, ", ...");
    tp_textbuf_puts(b, "]");
  } else if (tk_str_eq(type, "ByteLevel")) {
    tp_textbuf_puts(b, "ByteLevel(");
    put_bool(b, "add_prefix_space", tk_get(n, "add_prefix_space"), false, false);
    tp_textbuf_puts(b, ", ");
    put_bool(b, "use_regex", tk_get(n, "use_regex"), true, true);
    tp_textbuf_puts(b, ")");
  } else if (tk_str_eq(type, "Split")) {
    const json_t *pat = tk_get(n, "pattern");
    const json_t *re = tk_get(pat, "Regex"), *str = tk_get(pat, "String");
    tp_textbuf_puts(b, "Split(");
    tp_textbuf_puts(b, re ? "Regex \"" : "String \"");
    put_jstr(b, re ? re : str);
    tp_textbuf_puts(b, "\", behavior=");
    put_jstr(b, tk_get(n, "behavior"));
    tp_textbuf_puts(b, ", ");
    put_bool(b, "invert", tk_get(n, "invert"), false, false);
    tp_textbuf_puts(b, ")");
  } else if (tk_str_eq(type, "Digits")) {
    tp_textbuf_puts(b, "Digits(");
    put_bool(b, "individual_digits", tk_get(n, "individual_digits"), false,
             false);
    tp_textbuf_puts(b, ")");
  } else if (tk_str_eq(type, "Metaspace")) {
    tp_textbuf_puts(b, "Metaspace(replacement=\"");
    put_jstr(b, tk_get(n, "replacement"));
    tp_textbuf_puts(b, "\", prepend_scheme=");
    put_jstr(b, tk_get(n, "prepend_scheme"));
    tp_textbuf_puts(b, ", ");
    put_bool(b, "split", tk_get(n, "split"), true, true);
    tp_textbuf_puts(b, ")");
  } else if (tk_str_eq(type, "Punctuation")) {
    tp_textbuf_puts(b, "Punctuation(behavior=");
    put_jstr(b, tk_get(n, "behavior"));
    tp_textbuf_puts(b, ")");
  } else if (tk_str_eq(type, "BertPreTokenizer") ||
             tk_str_eq(type, "Whitespace") ||
             tk_str_eq(type, "WhitespaceSplit") ||
             tk_str_eq(type, "UnicodeScripts")) {
    put_jstr(b, type);
  } else {
    /* anything else: its JSON, keys sorted */
    char *j = json_dumps(n, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    tp_textbuf_puts(b, j ? j : "?");
    free(j);
  }
}

char *tp_tokenizer_pre_signature(const json_t *pre, const json_t *model) {
  tp_textbuf b;
  char *s;
  size_t len;
  (void)model;
  tp_textbuf_init(&b);
  render(&b, pre, 0);
  s = tp_textbuf_steal(&b, &len);
  if (!s) tp_textbuf_free(&b);
  return s;
}

/* The signature for a message: control characters (the CR and LF some
 * regexes hold) as \r, \n or \xHH, the rest as it is (JSON strings are
 * UTF-8); cut with "..." past out_len. */
static void show_signature(char *out, size_t out_len, const char *sig) {
  size_t o = 0, i = 0, n = strlen(sig);
  while (i < n && o + 8 < out_len) {
    unsigned char ch = (unsigned char)sig[i];
    uint32_t cp;
    size_t l = tp_utf8_decode((const unsigned char *)sig + i, n - i, &cp);
    if (!l) l = 1, cp = 0xfffd;
    if (ch == '\r' || ch == '\n' || ch == '\t') {
      out[o++] = '\\';
      out[o++] = ch == '\r' ? 'r' : ch == '\n' ? 'n' : 't';
    } else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == 0xfffd) {
      o += (size_t)snprintf(out + o, out_len - o, "\\x%02x", ch);
      l = 1;
    } else {
      memcpy(out + o, sig + i, l);
      o += l;
    }
    i += l;
  }
  if (i < n && o + 4 <= out_len) {
    memcpy(out + o, "...", 3);
    o += 3;
  }
  out[o] = 0;
}

tp_status tk_pre_name(tk_ctx *c, bool bpe, const char **out) {
  const char *ov = c->in->pre_override;
  const json_t *tj = c->in->tokenizer_json, *model = tk_get(tj, "model");
  char *sig;
  int ignore_merges = json_is_true(tk_get(model, "ignore_merges")) ? 1 : 0;
  size_t i;
  if (ov) {
    if (!tp_tokenizer_pre_known(ov, bpe))
      return tp_error(TP_EINVAL,
                      "--tokenizer-pre %s: not a pre-tokenizer name llama.cpp "
                      "knows (e.g. llama-bpe, qwen2, smollm, gpt-2; see "
                      "docs/formats/tokenizers.md)", ov);
    *out = ov;
    return TP_OK;
  }
  if (!tj)
    return tk_err(c, TP_ENOTFOUND, "tokenizer.json",
                  "missing: the pre-tokenizer name comes from its "
                  "pre_tokenizer (or give --tokenizer-pre NAME)");
  sig = tp_tokenizer_pre_signature(tk_get(tj, "pre_tokenizer"), model);
  if (!sig) return TP_ENOMEM;
  for (i = 0; i < TP_ARRAY_LEN(k_pre_table); i++) {
    const pre_entry *e = &k_pre_table[i];
    if (strcmp(e->signature, sig)) continue;
    if (e->ignore_merges >= 0 && e->ignore_merges != ignore_merges) continue;
    free(sig);
    *out = e->name;
    return TP_OK;
  }
  {
    char q[1300];
    show_signature(q, sizeof q, sig);
    tk_err(c, TP_EUNSUPPORTED, "tokenizer.json",
           "pre_tokenizer: unknown pattern %s%s; name llama.cpp's "
           "pre-tokenizer with --tokenizer-pre NAME",
           q, ignore_merges ? " (model.ignore_merges true)" : "");
  }
  free(sig);
  return TP_EUNSUPPORTED;
}
