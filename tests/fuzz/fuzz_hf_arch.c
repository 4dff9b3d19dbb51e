/*
 * fuzz_hf_arch.c - libFuzzer target for the architecture profiles
 * (src/arch): config.json interpretation, the model-card YAML reader, the
 * tensor mapping and the KV program, all on untrusted text.
 *
 * The input is three parts separated by lines "%%":
 *   1. config.json text (jansson, duplicate keys allowed as Python does)
 *   2. README.md text (given to tp_arch_card_parse)
 *   3. tensor lines "NAME TYPE D0,D1,..." (type a tp_type name; a missing
 *      or bad type is F32, missing dims a vector of 4); the shard is the
 *      line number modulo 3
 * Oracles:
 *  1. every failure sets a message;
 *  2. an accepted card is a JSON object;
 *  3. an accepted mapping names each output once, its sources are valid
 *     indices, a stacked tensor has one more dimension than its sources and
 *     its first dimension is the source count, a permutation's rows split
 *     into its head count, a first-rows cut keeps at most the source's rows;
 *  4. accepted KVs start with general.architecture and end with
 *     general.quantization_version.
 */
#define FUZZ_NAME "fuzz_hf_arch"
#include "fuzz_util.h"

#include <jansson.h>

#include "arch/profile.h"

#define MAX_TENSORS 256

static const char *next_part(const char *p, const char *end, const char **part_end) {
  const char *s = p;
  while (s < end) {
    const char *nl = memchr(s, '\n', (size_t)(end - s));
    const char *line_end = nl ? nl : end;
    if (line_end - s == 2 && s[0] == '%' && s[1] == '%') {
      *part_end = s;
      return nl ? nl + 1 : end;
    }
    s = nl ? nl + 1 : end;
  }
  *part_end = end;
  return end;
}

static void check_mapping(const tp_arch_mapping *m, const tp_arch_src_tensor *src,
                          size_t n) {
  size_t i, j, k;
  for (i = 0; i < tp_arch_mapping_count(m); i++) {
    const tp_arch_out_tensor *t = tp_arch_mapping_at(m, i);
    check(t->name && *t->name);
    for (j = 0; j < i; j++) check(strcmp(tp_arch_mapping_at(m, j)->name, t->name));
    for (k = 0; k < t->n_src; k++) check(t->src[k] < n);
    if (t->n_src > 1) {
      check(t->ndim == src[t->src[0]].ndim + 1);
      check(t->shape[0] == t->n_src);
    }
    if (t->xform == TP_ARCH_XFORM_PERMUTE_QK) {
      check(t->xform_arg > 0);
      check(t->shape[0] % (2 * (uint64_t)t->xform_arg) == 0);
    }
    if (t->xform == TP_ARCH_XFORM_FIRST_ROWS)
      check(t->shape[0] <= src[t->src[0]].shape[0]);
    if (t->xform == TP_ARCH_XFORM_SYNTH) check(t->n_src == 0 && t->synth);
    check(t->keep_f32 == TP_ARCH_F32_NO || t->why);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *p = (const char *)data, *end = p + size, *e;
  char *cfg_text, *lines;
  json_t *config, *card = NULL;
  json_error_t jerr;
  tp_arch_inputs in;
  tp_arch_src_tensor src[MAX_TENSORS];
  char *names[MAX_TENSORS];
  size_t n = 0, i;
  const tp_arch_profile *prof;
  tp_arch_mapping *map = NULL;
  tp_metastore kvs;
  tp_status st;

  /* 1: config */
  p = next_part(p, end, &e);
  cfg_text = malloc((size_t)(e - (const char *)data) + 1);
  memcpy(cfg_text, data, (size_t)(e - (const char *)data));
  config = json_loadb(cfg_text, (size_t)(e - (const char *)data), JSON_DECODE_ANY, &jerr);
  free(cfg_text);
  /* 2: card */
  {
    const char *c0 = p;
    p = next_part(p, end, &e);
    st = tp_arch_card_parse(c0, (size_t)(e - c0), &card);
    if (st != TP_OK) check(*tp_last_error());
    else if (card) check(json_is_object(card));
  }
  /* 3: tensors */
  lines = malloc((size_t)(end - p) + 1);
  memcpy(lines, p, (size_t)(end - p));
  lines[end - p] = 0;
  {
    char *save = NULL, *line = strtok_r(lines, "\n", &save);
    while (line && n < MAX_TENSORS) {
      char *sp = strchr(line, ' ');
      tp_arch_src_tensor *t = &src[n];
      memset(t, 0, sizeof *t);
      t->type = TP_TYPE_F32;
      t->ndim = 1;
      t->shape[0] = 4;
      t->file = (uint32_t)(n % 3);
      if (sp) {
        char *sp2;
        *sp++ = 0;
        sp2 = strchr(sp, ' ');
        if (sp2) *sp2++ = 0;
        if (tp_type_from_name(sp, &t->type) != TP_OK) t->type = TP_TYPE_F32;
        if (sp2) {
          uint32_t d = 0;
          char *tok, *s2 = NULL;
          for (tok = strtok_r(sp2, ",", &s2); tok && d < 4; tok = strtok_r(NULL, ",", &s2))
            t->shape[d++] = strtoull(tok, NULL, 10) % 4096;
          if (d) t->ndim = d;
        }
      }
      names[n] = strdup(line);
      t->name = names[n];
      n++;
      line = strtok_r(NULL, "\n", &save);
    }
  }
  free(lines);

  if (config) {
    memset(&in, 0, sizeof in);
    in.config = config;
    in.card = card;
    in.dir_name = "Fuzz-7B-Instruct-v0.1";
    in.has_tokenizer_model = (int)(size & 1);
    st = tp_arch_for_config(config, &prof, NULL);
    if (st != TP_OK) {
      check(*tp_last_error());
    } else {
      st = tp_arch_map_tensors(prof, &in, src, n, &map);
      if (st != TP_OK) {
        check(*tp_last_error());
      } else {
        check_mapping(map, src, n);
        tp_meta_init(&kvs);
        st = tp_arch_gguf_kvs(prof, &in, map, &kvs);
        if (st != TP_OK) {
          check(*tp_last_error());
        } else {
          check(kvs.n >= 2);
          check(!strcmp(kvs.items[0].key, "general.architecture"));
          check(!strcmp(kvs.items[kvs.n - 1].key, "general.quantization_version"));
        }
        tp_meta_free(&kvs);
        tp_arch_mapping_free(map);
      }
    }
  }
  for (i = 0; i < n; i++) free(names[i]);
  json_decref(card);
  json_decref(config);
  return 0;
}
