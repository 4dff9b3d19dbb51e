/*
 * tp_testtool.c - small driver for the script-driven tests (pytest).
 *
 *   tp-testtool convert SRC_TYPE DST_TYPE [--ref] [--no-simd]
 *       Reads raw little-endian SRC_TYPE elements (whole blocks) from stdin
 *       and writes them converted to DST_TYPE on stdout through
 *       tp_convert_elements, or tp_convert_elements_ref with --ref.
 *       --no-simd masks the SIMD kernels so the scalar fast loops run.
 *       Works for block-quantized types too (through f32).
 *   tp-testtool features
 *       Prints tp_build_features().
 *   tp-testtool hf-vocab DIR OUT.gguf [--arch A] [--kind auto|spm|gpt2|wordpiece]
 *                        [--tokenizer-pre NAME] [--n-vocab N]
 *       Reads the tokenizer files of the Hugging Face folder DIR (JSON files
 *       parsed with jansson, every file size-limited), exports them with
 *       tp_tokenizer_to_gguf and writes a vocab-only GGUF (metadata only:
 *       general.architecture and the tokenizer.* KVs). The architecture
 *       defaults to config.json's model_type in GGUF spelling.
 *   tp-testtool gguf-vocab IN.gguf OUTDIR
 *       The way back: writes tokenizer.json, tokenizer_config.json and
 *       special_tokens_map.json built by tp_tokenizer_from_gguf into OUTDIR
 *       (which must exist).
 *   tp-testtool hf-arch DIR [--file-type N] [--model-name NAME]
 *       Reads the Hugging Face folder DIR (config.json, README.md, ... and
 *       the SafeTensors headers through tp_model_open) and prints as JSON
 *       the architecture profile, the general.* and {arch}.* KVs it maps to
 *       (key, GGUF type, value, in order; general.file_type = N, default 0)
 *       and the tensor mapping (GGUF name, ggml-order shape, sources,
 *       transform, keep_f32 and why).
 *   tp-testtool hf-card FILE
 *       Prints README.md's front matter as tp_arch_card_parse reads it
 *       (JSON; null when there is none).
 *   tp-testtool hf-model-id ID TOTAL_PARAMS
 *       Prints metadata.py's get_model_id_components of ID as JSON, and
 *       id_to_title of its name.
 *   tp-testtool hf-size-label TOTAL SHARED EXPERT EXPERT_COUNT
 *       Prints gguf-py's size_label of the parameter counts as JSON.
 *   tp-testtool gguf-arch FILE
 *       The way back for a GGUF file: the profile, the config.json and
 *       generation_config.json rebuilt, and for each HF tensor its GGUF
 *       source and inverse transform.
 *
 * Type names are anything tp_type_from_name accepts. Errors go to stderr
 * with exit status 2.
 */
#include "arch/profile.h"
#include "dtype/dtype.h"
#include "formats/gguf/gguf.h"
#include "quant/quant.h"
#include "tokenizer/tokenizer.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int fail(const char *fmt, const char *arg) {
  fprintf(stderr, "tp-testtool: ");
  fprintf(stderr, fmt, arg);
  fputc('\n', stderr);
  return 2;
}

static int usage(void) {
  fprintf(stderr,
          "usage: tp-testtool convert SRC_TYPE DST_TYPE [--ref] [--no-simd]\n"
          "       tp-testtool features\n"
          "       tp-testtool hf-vocab DIR OUT.gguf [--arch A] [--kind K]\n"
          "                            [--tokenizer-pre NAME] [--n-vocab N]\n"
          "       tp-testtool gguf-vocab IN.gguf OUTDIR\n"
          "       tp-testtool hf-arch DIR [--file-type N] [--model-name NAME]\n"
          "       tp-testtool hf-card FILE\n"
          "       tp-testtool hf-model-id ID TOTAL_PARAMS\n"
          "       tp-testtool hf-size-label TOTAL SHARED EXPERT EXPERT_COUNT\n"
          "       tp-testtool gguf-arch FILE\n");
  return 2;
}

/* Reads all of stdin into a heap buffer. */
static unsigned char *read_all(FILE *f, size_t *len) {
  size_t cap = 1 << 16, n = 0;
  unsigned char *buf = malloc(cap);
  if (!buf) return NULL;
  for (;;) {
    size_t got;
    if (n == cap) {
      unsigned char *nb = realloc(buf, cap * 2);
      if (!nb) {
        free(buf);
        return NULL;
      }
      buf = nb;
      cap *= 2;
    }
    got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

static int cmd_convert(int argc, char **argv) {
  tp_type src, dst;
  int ref = 0, i;
  size_t len, nblocks, n;
  uint64_t out_bytes;
  unsigned char *in, *out;
  tp_status st;

  if (argc < 4) return usage();
  if (tp_type_from_name(argv[2], &src) != TP_OK)
    return fail("unknown type '%s'", argv[2]);
  if (tp_type_from_name(argv[3], &dst) != TP_OK)
    return fail("unknown type '%s'", argv[3]);
  for (i = 4; i < argc; i++) {
    if (!strcmp(argv[i], "--ref"))
      ref = 1;
    else if (!strcmp(argv[i], "--no-simd"))
      tp_cpu_set_mask(0);
    else
      return fail("unknown option '%s'", argv[i]);
  }
  in = read_all(stdin, &len);
  if (!in) return fail("%s", "cannot read stdin");
  if (len % tp_type_block_bytes(src)) {
    free(in);
    return fail("input is not a whole number of %s blocks",
                tp_type_name(src));
  }
  nblocks = len / tp_type_block_bytes(src);
  n = nblocks * tp_type_block_elems(src);
  if (!tp_type_nbytes(dst, n, &out_bytes)) {
    free(in);
    return fail("element count is not a whole number of %s blocks",
                tp_type_name(dst));
  }
  out = malloc(out_bytes ? (size_t)out_bytes : 1);
  if (!out) {
    free(in);
    return fail("%s", "out of memory");
  }
  st = ref ? tp_convert_elements_ref(dst, out, src, in, n)
           : tp_convert_elements(dst, out, src, in, n);
  free(in);
  if (st != TP_OK) {
    free(out);
    return fail("%s", tp_last_error());
  }
  if (fwrite(out, 1, (size_t)out_bytes, stdout) != out_bytes ||
      fflush(stdout) != 0) {
    free(out);
    return fail("%s", "cannot write stdout");
  }
  free(out);
  return 0;
}

/* ---- tokenizer files ------------------------------------------------------ */

/* Upper bound on one tokenizer file: Gemma 3's tokenizer.json is ~33 MB. */
#define TOK_FILE_LIMIT (256u << 20)

/* Reads DIR/NAME: NULL with *len 0 when the file does not exist; exits
 * through *err (non-zero) on any other problem. */
static char *slurp(const char *dir, const char *name, size_t *len, int *err) {
  char path[4096];
  FILE *f;
  char *buf;
  long n;
  *len = 0;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "rb");
  if (!f) {
    if (errno != ENOENT) {
      fprintf(stderr, "tp-testtool: %s: %s\n", path, strerror(errno));
      *err = 1;
    }
    return NULL;
  }
  if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
      fseek(f, 0, SEEK_SET) != 0 || (unsigned long)n > TOK_FILE_LIMIT) {
    fprintf(stderr, "tp-testtool: %s: unreadable or larger than %u bytes\n",
            path, TOK_FILE_LIMIT);
    fclose(f);
    *err = 1;
    return NULL;
  }
  buf = malloc((size_t)n + 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fprintf(stderr, "tp-testtool: %s: cannot read\n", path);
    free(buf);
    fclose(f);
    *err = 1;
    return NULL;
  }
  buf[n] = 0;
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static json_t *load_json(const char *dir, const char *name, int *err) {
  size_t len;
  char *text = slurp(dir, name, &len, err);
  json_t *j = NULL;
  if (!text) return NULL;
  if (tp_tokenizer_json_parse(text, len, name, &j) != TP_OK) {
    fprintf(stderr, "tp-testtool: %s: %s\n", dir, tp_last_error());
    *err = 1;
  }
  free(text);
  return j;
}

/* The GGUF architecture name for config.json's model_type. */
static const char *arch_of(const json_t *config) {
  static const char *const map[][2] = {
      {"llama", "llama"},   {"mistral", "llama"},   {"mixtral", "llama"},
      {"qwen2", "qwen2"},   {"qwen3", "qwen3"},     {"qwen2_moe", "qwen2moe"},
      {"qwen3_moe", "qwen3moe"}, {"gemma", "gemma"}, {"gemma2", "gemma2"},
      {"gemma3", "gemma3"}, {"gemma3_text", "gemma3"}, {"phi3", "phi3"},
      {"bert", "bert"}};
  const char *mt = json_string_value(json_object_get(config, "model_type"));
  size_t i;
  if (!mt) return NULL;
  for (i = 0; i < sizeof map / sizeof map[0]; i++)
    if (!strcmp(map[i][0], mt)) return map[i][1];
  return mt;
}

static int cmp_named(const void *a, const void *b) {
  return strcmp(((const tp_named_text *)a)->name, ((const tp_named_text *)b)->name);
}

/* additional_chat_templates/<name>.jinja, sorted by name */
static tp_named_text *extra_templates(const char *dir, size_t *n, int *err) {
  char sub[4096];
  DIR *d;
  struct dirent *de;
  tp_named_text *t = NULL;
  size_t cap = 0;
  *n = 0;
  snprintf(sub, sizeof sub, "%s/additional_chat_templates", dir);
  d = opendir(sub);
  if (!d) return NULL;
  while ((de = readdir(d))) {
    size_t l = strlen(de->d_name), len;
    char *text;
    if (l <= 6 || strcmp(de->d_name + l - 6, ".jinja")) continue;
    text = slurp(sub, de->d_name, &len, err);
    if (!text) continue;
    if (*n == cap) {
      cap = cap ? cap * 2 : 8;
      t = realloc(t, cap * sizeof *t);
      if (!t) exit(2);
    }
    t[*n].name = strndup(de->d_name, l - 6);
    t[*n].text = text;
    t[*n].len = len;
    (*n)++;
  }
  closedir(d);
  qsort(t, *n, sizeof *t, cmp_named);
  return t;
}

static int cmd_hf_vocab(int argc, char **argv) {
  tp_hf_tokenizer_input in;
  tp_metastore meta;
  const char *dir, *out, *arch = NULL;
  json_t *tj, *tc, *cfg, *stm, *at, *ctj;
  char *spm, *ct, *vt, *mt;
  size_t spm_len, ct_len, vt_len, mt_len, next, i;
  tp_named_text *extra;
  int err = 0, rc = 0, a;
  uint8_t *hdr = NULL;
  size_t hdr_len;
  uint64_t fsize;
  tp_status st;

  if (argc < 4) return usage();
  dir = argv[2];
  out = argv[3];
  memset(&in, 0, sizeof in);
  for (a = 4; a < argc; a++) {
    if (!strcmp(argv[a], "--arch") && a + 1 < argc) {
      arch = argv[++a];
    } else if (!strcmp(argv[a], "--kind") && a + 1 < argc) {
      const char *k = argv[++a];
      if (!strcmp(k, "auto")) in.kind = TP_VOCAB_AUTO;
      else if (!strcmp(k, "spm")) in.kind = TP_VOCAB_SPM;
      else if (!strcmp(k, "gpt2")) in.kind = TP_VOCAB_GPT2;
      else if (!strcmp(k, "wordpiece")) in.kind = TP_VOCAB_WORDPIECE;
      else return fail("unknown kind '%s'", k);
    } else if (!strcmp(argv[a], "--tokenizer-pre") && a + 1 < argc) {
      in.pre_override = argv[++a];
    } else if (!strcmp(argv[a], "--n-vocab") && a + 1 < argc) {
      in.n_vocab = strtoull(argv[++a], NULL, 10);
    } else {
      return fail("unknown option '%s'", argv[a]);
    }
  }
  tj = load_json(dir, "tokenizer.json", &err);
  tc = load_json(dir, "tokenizer_config.json", &err);
  cfg = load_json(dir, "config.json", &err);
  stm = load_json(dir, "special_tokens_map.json", &err);
  at = load_json(dir, "added_tokens.json", &err);
  ctj = load_json(dir, "chat_template.json", &err);
  spm = slurp(dir, "tokenizer.model", &spm_len, &err);
  ct = slurp(dir, "chat_template.jinja", &ct_len, &err);
  vt = slurp(dir, "vocab.txt", &vt_len, &err);
  mt = slurp(dir, "merges.txt", &mt_len, &err);
  extra = extra_templates(dir, &next, &err);
  if (err) {
    rc = 2;
    goto done;
  }
  in.dir = dir;
  in.tokenizer_json = tj;
  in.tokenizer_config = tc;
  in.config = cfg;
  in.special_tokens_map = stm;
  in.added_tokens = at;
  in.chat_template_json = ctj;
  in.spm_model = (const uint8_t *)spm;
  in.spm_model_len = spm_len;
  in.chat_template = ct;
  in.chat_template_len = ct_len;
  in.extra_templates = extra;
  in.n_extra_templates = next;
  in.vocab_txt = vt;
  in.vocab_txt_len = vt_len;
  in.merges_txt = mt;
  in.merges_txt_len = mt_len;
  in.arch = arch ? arch : arch_of(cfg);
  tp_meta_init(&meta);
  if (in.arch) {
    st = tp_meta_set_str(&meta, "general.architecture", in.arch, strlen(in.arch));
  } else {
    st = TP_OK;
  }
  if (st == TP_OK) st = tp_tokenizer_to_gguf(&in, &meta);
  if (st == TP_OK) st = tp_gguf_check_meta(&meta, TP_EINVAL);
  if (st == TP_OK)
    st = tp_gguf_render_header(&meta, NULL, 0, TP_GGUF_DEFAULT_ALIGNMENT, 0,
                               &hdr, &hdr_len, &fsize);
  if (st != TP_OK) {
    fprintf(stderr, "tp-testtool: %s\n", tp_last_error());
    rc = st == TP_EUNSUPPORTED ? 3 : st == TP_EINVAL ? 4 : 1;
  } else {
    FILE *f = fopen(out, "wb");
    if (!f || fwrite(hdr, 1, hdr_len, f) != hdr_len || fclose(f) != 0) {
      fprintf(stderr, "tp-testtool: cannot write %s\n", out);
      rc = 2;
    }
  }
  free(hdr);
  tp_meta_free(&meta);
done:
  json_decref(tj);
  json_decref(tc);
  json_decref(cfg);
  json_decref(stm);
  json_decref(at);
  json_decref(ctj);
  free(spm);
  free(ct);
  free(vt);
  free(mt);
  for (i = 0; i < next; i++) {
    free((char *)extra[i].name);
    free((char *)extra[i].text);
  }
  free(extra);
  return rc;
}

static int write_text(const char *dir, const char *name, const char *s,
                      size_t len) {
  char path[4096];
  FILE *f;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  f = fopen(path, "wb");
  if (!f || fwrite(s, 1, len, f) != len || fclose(f) != 0) {
    fprintf(stderr, "tp-testtool: cannot write %s\n", path);
    return 2;
  }
  return 0;
}

static int cmd_gguf_vocab(int argc, char **argv) {
  tp_model *m = NULL;
  tp_hf_tokenizer_files files;
  const tp_value *arch;
  char archbuf[256] = "";
  tp_status st;
  int rc = 0;
  if (argc != 4) return usage();
  st = tp_model_open(&m, argv[2], NULL);
  if (st != TP_OK) return fail("%s", tp_last_error());
  arch = tp_model_meta_find(m, "general.architecture");
  if (arch && arch->type == TP_VALUE_STRING && arch->v.s.len < sizeof archbuf)
    memcpy(archbuf, arch->v.s.data, arch->v.s.len);
  memset(&files, 0, sizeof files);
  st = tp_tokenizer_from_gguf(&m->meta, archbuf, &files);
  if (st != TP_OK) {
    fprintf(stderr, "tp-testtool: %s\n", tp_last_error());
    tp_model_free(m);
    return st == TP_EUNSUPPORTED ? 3 : 1;
  }
  rc = write_text(argv[3], "tokenizer.json", files.tokenizer_json,
                  files.tokenizer_json_len);
  if (!rc)
    rc = write_text(argv[3], "tokenizer_config.json", files.tokenizer_config,
                    files.tokenizer_config_len);
  if (!rc)
    rc = write_text(argv[3], "special_tokens_map.json", files.special_tokens_map,
                    files.special_tokens_map_len);
  tp_hf_tokenizer_files_free(&files);
  tp_model_free(m);
  return rc;
}

/* ---- architecture profiles (hf-arch, gguf-arch) ------------------------- */

static json_t *arch_elem_json(tp_value_type t, const void *arr, uint64_t i) {
  switch (t) {
  case TP_VALUE_U8: return json_integer(((const uint8_t *)arr)[i]);
  case TP_VALUE_I8: return json_integer(((const int8_t *)arr)[i]);
  case TP_VALUE_U16: return json_integer(((const uint16_t *)arr)[i]);
  case TP_VALUE_I16: return json_integer(((const int16_t *)arr)[i]);
  case TP_VALUE_U32: return json_integer(((const uint32_t *)arr)[i]);
  case TP_VALUE_I32: return json_integer(((const int32_t *)arr)[i]);
  case TP_VALUE_U64: return json_integer((json_int_t)((const uint64_t *)arr)[i]);
  case TP_VALUE_I64: return json_integer(((const int64_t *)arr)[i]);
  case TP_VALUE_F32: return json_real(((const float *)arr)[i]);
  case TP_VALUE_F64: return json_real(((const double *)arr)[i]);
  case TP_VALUE_BOOL: return json_boolean(((const uint8_t *)arr)[i] != 0);
  case TP_VALUE_STRING: {
    const tp_string *s = &((const tp_string *)arr)[i];
    return json_stringn(s->data, s->len);
  }
  default: return json_null();
  }
}

/* {"key", "type", ["elem_type"], "value"} for one KV. */
static json_t *arch_kv_json(const char *key, size_t key_len, const tp_value *v) {
  json_t *o = json_object(), *val;
  json_object_set_new(o, "key", json_stringn(key, key_len));
  json_object_set_new(o, "type", json_string(tp_value_type_name(v->type)));
  switch (v->type) {
  case TP_VALUE_U8: case TP_VALUE_U16: case TP_VALUE_U32: case TP_VALUE_U64:
  case TP_VALUE_BOOL:
    val = v->type == TP_VALUE_BOOL ? json_boolean(v->v.u != 0)
                                   : json_integer((json_int_t)v->v.u);
    break;
  case TP_VALUE_I8: case TP_VALUE_I16: case TP_VALUE_I32: case TP_VALUE_I64:
    val = json_integer(v->v.i);
    break;
  case TP_VALUE_F32: case TP_VALUE_F64:
    val = json_real(v->v.f);
    break;
  case TP_VALUE_STRING:
    val = json_stringn(v->v.s.data, v->v.s.len);
    break;
  case TP_VALUE_ARRAY: {
    uint64_t i;
    val = json_array();
    json_object_set_new(o, "elem_type", json_string(tp_value_type_name(v->elem_type)));
    for (i = 0; i < v->count; i++)
      json_array_append_new(val, arch_elem_json(v->elem_type, v->v.array, i));
    break;
  }
  default:
    val = json_null();
  }
  json_object_set_new(o, "value", val);
  return o;
}

/* One output tensor of a mapping; shape in ggml order (reversed). */
static json_t *arch_tensor_json(const tp_arch_out_tensor *t,
                                const char *const *src_names) {
  json_t *o = json_object(), *shape = json_array(), *src = json_array();
  uint32_t d;
  size_t i;
  json_object_set_new(o, "name", json_string(t->name));
  json_object_set_new(o, "role", json_string(t->role ? t->role : ""));
  for (d = t->ndim; d-- > 0;) json_array_append_new(shape, json_integer((json_int_t)t->shape[d]));
  json_object_set_new(o, "shape", shape);
  for (i = 0; i < t->n_src; i++) json_array_append_new(src, json_string(src_names[t->src[i]]));
  json_object_set_new(o, "sources", src);
  json_object_set_new(o, "src_type", json_string(tp_type_name(t->src_type)));
  json_object_set_new(o, "work_type", json_string(tp_type_name(t->work_type)));
  json_object_set_new(o, "xform", json_string(tp_arch_xform_name(t->xform)));
  json_object_set_new(o, "xform_arg", json_integer(t->xform_arg));
  json_object_set_new(o, "keep_f32", json_boolean(t->keep_f32 != TP_ARCH_F32_NO));
  json_object_set_new(o, "why", t->why ? json_string(t->why) : json_null());
  if (t->xform == TP_ARCH_XFORM_SYNTH) {
    json_t *a = json_array();
    for (i = 0; i < t->n_synth; i++) json_array_append_new(a, json_real(t->synth[i]));
    json_object_set_new(o, "synth", a);
  }
  return o;
}

static int arch_print(json_t *root) {
  char *text = json_dumps(root, JSON_INDENT(1) | JSON_REAL_PRECISION(17) | JSON_ENCODE_ANY);
  json_decref(root);
  if (!text) return fail("%s", "cannot render JSON");
  fputs(text, stdout);
  fputc('\n', stdout);
  free(text);
  return 0;
}

/* The tensor descriptions of a model, for the mapping functions. */
static int arch_sources(tp_model *m, tp_arch_src_tensor **out, const char ***names) {
  size_t n = tp_model_tensor_count(m), i;
  tp_arch_src_tensor *s = calloc(n ? n : 1, sizeof *s);
  const char **nm = calloc(n ? n : 1, sizeof *nm);
  if (!s || !nm) return -1;
  for (i = 0; i < n; i++) {
    tp_tensor_info ti;
    tp_model_tensor(m, i, &ti);
    s[i].name = ti.name.data;
    s[i].type = ti.type;
    s[i].ndim = ti.ndim;
    memcpy(s[i].shape, ti.shape, sizeof s[i].shape);
    s[i].file = ti.file_index;
    nm[i] = ti.name.data;
  }
  *out = s;
  *names = nm;
  return 0;
}

static int cmd_hf_arch(int argc, char **argv) {
  tp_arch_folder *folder = NULL;
  tp_arch_inputs in;
  const tp_arch_profile *p;
  const char *hf_arch = NULL, *model_name = NULL;
  tp_model *m = NULL;
  tp_arch_src_tensor *src = NULL;
  const char **names = NULL;
  tp_arch_mapping *map = NULL;
  tp_metastore kvs;
  json_t *root, *arr;
  unsigned long file_type = 0;
  size_t i;
  int a;
  if (argc < 3) return usage();
  for (a = 3; a < argc; a++) {
    if (!strcmp(argv[a], "--file-type") && a + 1 < argc)
      file_type = strtoul(argv[++a], NULL, 10);
    else if (!strcmp(argv[a], "--model-name") && a + 1 < argc)
      model_name = argv[++a];
    else
      return fail("unknown option '%s'", argv[a]);
  }
  if (tp_model_open(&m, argv[2], NULL) != TP_OK) return fail("%s", tp_last_error());
  if (tp_arch_inputs_from_model(m, &folder, &in) != TP_OK) {
    tp_model_free(m);
    return fail("%s", tp_last_error());
  }
  in.file_type = (uint32_t)file_type;
  in.model_name = model_name;
  if (tp_arch_for_config(in.config, &p, &hf_arch) != TP_OK) {
    tp_arch_folder_free(folder);
    tp_model_free(m);
    return fail("%s", tp_last_error());
  }
  if (arch_sources(m, &src, &names) ||
      tp_arch_map_tensors(p, &in, src, tp_model_tensor_count(m), &map) != TP_OK) {
    int rc = fail("%s", tp_last_error());
    tp_model_free(m);
    free(src);
    free(names);
    tp_arch_folder_free(folder);
    return rc;
  }
  tp_meta_init(&kvs);
  if (tp_arch_gguf_kvs(p, &in, map, &kvs) != TP_OK) {
    int rc = fail("%s", tp_last_error());
    tp_meta_free(&kvs);
    tp_arch_mapping_free(map);
    tp_model_free(m);
    free(src);
    free(names);
    tp_arch_folder_free(folder);
    return rc;
  }
  root = json_object();
  json_object_set_new(root, "profile", json_string(tp_arch_profile_name(p)));
  json_object_set_new(root, "gguf_arch", json_string(tp_arch_gguf_name(p)));
  json_object_set_new(root, "hf_arch", hf_arch ? json_string(hf_arch) : json_null());
  json_object_set_new(root, "auto_type",
                      json_string(tp_type_name(tp_arch_mapping_auto_type(map))));
  arr = json_array();
  for (i = 0; i < kvs.n; i++)
    json_array_append_new(arr, arch_kv_json(kvs.items[i].key, kvs.items[i].key_len,
                                            &kvs.items[i].val));
  json_object_set_new(root, "kvs", arr);
  arr = json_array();
  for (i = 0; i < tp_arch_mapping_count(map); i++)
    json_array_append_new(arr, arch_tensor_json(tp_arch_mapping_at(map, i), names));
  json_object_set_new(root, "tensors", arr);
  tp_meta_free(&kvs);
  tp_arch_mapping_free(map);
  tp_model_free(m);
  free(src);
  free(names);
  tp_arch_folder_free(folder);
  return arch_print(root);
}

static int cmd_gguf_arch(int argc, char **argv) {
  tp_model *m = NULL;
  const tp_arch_profile *p;
  json_t *config = NULL, *gen = NULL, *root, *arr;
  tp_arch_mapping *map = NULL;
  const char **names = NULL;
  tp_arch_src_tensor *src = NULL;
  size_t i;
  if (argc != 3) return usage();
  if (tp_model_open(&m, argv[2], NULL) != TP_OK) return fail("%s", tp_last_error());
  if (tp_arch_for_gguf(&m->meta, &p) != TP_OK ||
      tp_arch_hf_config(p, m, NULL, &config, &gen) != TP_OK ||
      tp_arch_unmap_tensors(p, m, config, &map) != TP_OK || arch_sources(m, &src, &names)) {
    int rc = fail("%s", tp_last_error());
    json_decref(config);
    json_decref(gen);
    tp_arch_mapping_free(map);
    tp_model_free(m);
    return rc;
  }
  root = json_object();
  json_object_set_new(root, "profile", json_string(tp_arch_profile_name(p)));
  json_object_set_new(root, "config", config);
  json_object_set_new(root, "generation_config", gen);
  arr = json_array();
  for (i = 0; i < tp_arch_mapping_count(map); i++)
    json_array_append_new(arr, arch_tensor_json(tp_arch_mapping_at(map, i), names));
  json_object_set_new(root, "tensors", arr);
  tp_arch_mapping_free(map);
  free(src);
  free(names);
  tp_model_free(m);
  return arch_print(root);
}

static int cmd_hf_card(int argc, char **argv) {
  FILE *f;
  unsigned char *text;
  size_t len;
  json_t *card = NULL;
  tp_status st;
  if (argc != 3) return usage();
  f = fopen(argv[2], "rb");
  if (!f) return fail("cannot open %s", argv[2]);
  text = read_all(f, &len);
  fclose(f);
  if (!text) return fail("%s", "cannot read the file");
  st = tp_arch_card_parse((const char *)text, len, &card);
  free(text);
  if (st != TP_OK) return fail("%s", tp_last_error());
  return arch_print(card ? card : json_null());
}

static json_t *opt_string(const char *s) { return s ? json_string(s) : json_null(); }

static int cmd_hf_model_id(int argc, char **argv) {
  tp_arch_model_id c;
  char *title = NULL;
  json_t *o;
  if (argc != 4) return usage();
  if (tp_arch_model_id_parse(argv[2], strtoll(argv[3], NULL, 10), &c) != TP_OK)
    return fail("%s", tp_last_error());
  if (c.full_name && tp_arch_id_to_title(c.full_name, &title) != TP_OK) {
    tp_arch_model_id_clear(&c);
    return fail("%s", tp_last_error());
  }
  o = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "name", opt_string(c.full_name),
                "org", opt_string(c.org), "basename", opt_string(c.basename),
                "finetune", opt_string(c.finetune), "version", opt_string(c.version),
                "size_label", opt_string(c.size_label), "title", opt_string(title));
  free(title);
  tp_arch_model_id_clear(&c);
  return arch_print(o);
}

static int cmd_hf_size_label(int argc, char **argv) {
  char buf[64];
  if (argc != 6) return usage();
  tp_arch_size_label(buf, sizeof buf, strtoull(argv[2], NULL, 10),
                     strtoull(argv[3], NULL, 10), strtoull(argv[4], NULL, 10),
                     strtoull(argv[5], NULL, 10));
  return arch_print(json_pack("{s:s}", "size_label", buf));
}

int main(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "hf-size-label")) return cmd_hf_size_label(argc, argv);
  if (argc >= 2 && !strcmp(argv[1], "hf-card")) return cmd_hf_card(argc, argv);
  if (argc >= 2 && !strcmp(argv[1], "hf-model-id")) return cmd_hf_model_id(argc, argv);
  if (argc >= 2 && !strcmp(argv[1], "convert")) return cmd_convert(argc, argv);
  if (argc >= 2 && !strcmp(argv[1], "hf-vocab")) return cmd_hf_vocab(argc, argv);
  if (argc >= 2 && !strcmp(argv[1], "gguf-vocab")) return cmd_gguf_vocab(argc, argv);
  if (argc >= 2 && !strcmp(argv[1], "hf-arch")) return cmd_hf_arch(argc, argv);
  if (argc >= 2 && !strcmp(argv[1], "gguf-arch")) return cmd_gguf_arch(argc, argv);
  if (argc == 2 && !strcmp(argv[1], "features")) {
    printf("%s\n", tp_build_features());
    return 0;
  }
  return usage();
}
