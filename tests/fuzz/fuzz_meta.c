/*
 * fuzz_meta.c - libFuzzer target for the metadata paths: the decoding of
 * GGUF KVs stored in SafeTensors __metadata__ ("gguf:<key>" -> JSON) and
 * the parsing and application of metadata edits ("KEY=TYPE:VALUE").
 *
 * The input is split into lines:
 *   +SPEC   an edit, given to tp_meta_edits_set (SPEC is KEY=TYPE:VALUE)
 *   -KEY    a deletion, given to tp_meta_edits_delete
 *   K=V     a SafeTensors metadata entry (key K, string value V; a line
 *           without '=' is a key with an empty value)
 * Oracles:
 *  1. tp_gguf_meta_from_safetensors either fails with a message or gives a
 *     store M; M -> SafeTensors -> GGUF then gives M back (same keys, types
 *     and values).
 *  2. The tensor order entry (gguf.tensor_order) either fails to decode
 *     with a message or gives a list of names that encodes and decodes to
 *     the same list.
 *  3. With edits: M is rendered into a small GGUF file and the entries into
 *     a small SafeTensors file (in one temporary folder per process); the
 *     edits are applied with tp_meta_edit_file. On success the output must
 *     open again with the edited keys present or absent as the edits say
 *     (in SafeTensors, KEY or its encoded GGUF entry "gguf:KEY"); on
 *     failure no output may exist. Nothing else may be left in the folder.
 */
#define FUZZ_NAME "fuzz_meta"
#include "fuzz_util.h"

#include <jansson.h>

#include "formats/hf/hf.h"
#include "formats/gguf/gguf.h"

#define MAX_EDITS 16

/* Oracle 1: M -> SafeTensors -> GGUF gives M back. */
static void round_trip(const tp_metastore *m) {
  tp_metastore s, back;
  size_t i, k;
  tp_meta_init(&s);
  tp_meta_init(&back);
  check(tp_gguf_meta_to_safetensors(m, &s) == TP_OK);
  check(tp_gguf_meta_from_safetensors(&s, &back) == TP_OK);
  /* split bookkeeping is dropped on purpose */
  for (i = 0; i < m->n; i++) {
    const tp_meta_item *it = &m->items[i];
    size_t j = tp_meta_find(&back, it->key, it->key_len);
    if (fuzz_is_split_key(it)) {
      check(j == SIZE_MAX);
      continue;
    }
    check(j != SIZE_MAX);
    check(fuzz_value_eq(&back.items[j].val, &it->val));
  }
  for (i = 0; i < back.n; i++)
    check(tp_meta_find(m, back.items[i].key, back.items[i].key_len) != SIZE_MAX);
  /* ... in the same order */
  for (i = 0, k = 0; i < m->n; i++) {
    const tp_meta_item *it = &m->items[i];
    if (fuzz_is_split_key(it)) continue;
    check(k < back.n && back.items[k].key_len == it->key_len &&
          !memcmp(back.items[k].key, it->key, it->key_len));
    k++;
  }
  tp_meta_free(&s);
  tp_meta_free(&back);
}

/* Oracle 2: a decoded tensor order encodes and decodes to itself. */
static void order_round_trip(const tp_metastore *s) {
  tp_arena a;
  tp_string *names, *again;
  tp_tensor *t;
  tp_metastore enc;
  size_t n, n2, i;
  bool present;
  tp_arena_init(&a);
  if (tp_gguf_tensor_order_from_safetensors(s, &a, &names, &n, &present) != TP_OK) {
    check(tp_last_error()[0] != 0);
    tp_arena_free(&a);
    return;
  }
  if (!present) {
    tp_arena_free(&a);
    return;
  }
  t = calloc(n ? n : 1, sizeof *t);
  check(t != NULL);
  for (i = 0; i < n; i++) {
    t[i].name = (char *)names[i].data;
    t[i].name_len = names[i].len;
  }
  tp_meta_init(&enc);
  check(tp_gguf_tensor_order_to_safetensors(t, n, &enc) == TP_OK);
  check(tp_gguf_st_from_gguf(&enc));
  check(tp_gguf_tensor_order_from_safetensors(&enc, &a, &again, &n2, &present) ==
        TP_OK);
  check(present && n2 == n);
  for (i = 0; i < n; i++)
    check(again[i].len == names[i].len &&
          !memcmp(again[i].data, names[i].data, names[i].len));
  tp_meta_free(&enc);
  free(t);
  tp_arena_free(&a);
}

typedef struct edit_rec {
  char key[256];
  int set; /* 1 set, 0 delete */
} edit_rec;

/* enc is "gguf:<key>": in SafeTensors an edit of either may change it. */
static int is_encoded_of(const char *enc, const char *key) {
  size_t n = strlen(TP_GGUF_ST_PREFIX);
  return !strncmp(enc, TP_GGUF_ST_PREFIX, n) && !strcmp(enc + n, key);
}

/* The edited output must open, with each edited key present or absent as
 * the last edit of that key says. */
static void check_output(const char *out, const edit_rec *ed, size_t ned,
                         int is_st) {
  tp_model *m = NULL;
  tp_infile *f;
  size_t i, j;
  /* one file on its own, as the editor reads it (a GGUF input may carry
   * split.* keys of a set that its file name does not follow) */
  check(tp_infile_open(&f, out, 0) == TP_OK);
  check((is_st ? tp_safetensors_open_infile(&m, f)
               : tp_gguf_open_infile(&m, f)) == TP_OK);
  for (i = 0; i < ned; i++) {
    int last = ed[i].set;
    for (j = i + 1; j < ned; j++)
      if (!strcmp(ed[j].key, ed[i].key) ||
          (is_st && (is_encoded_of(ed[j].key, ed[i].key) ||
                     is_encoded_of(ed[i].key, ed[j].key))))
        break;
    if (j < ned) continue; /* a later edit decides */
    /* the SafeTensors writer keeps its own "format" marker */
    if (is_st && !strcmp(ed[i].key, "format")) continue;
    if (is_st) {
      /* a GGUF key of a file made from GGUF is edited as "gguf:KEY" */
      char enc[sizeof ed[i].key + 8];
      snprintf(enc, sizeof enc, "%s%s", TP_GGUF_ST_PREFIX, ed[i].key);
      check((tp_model_meta_find(m, ed[i].key) != NULL ||
             tp_model_meta_find(m, enc) != NULL) == last);
      continue;
    }
    check((tp_model_meta_find(m, ed[i].key) != NULL) == last);
  }
  tp_model_free(m);
}

static void run_edit(const char *in, const char *out, const tp_meta_edits *e,
                     const edit_rec *ed, size_t ned, int is_st) {
  tp_status st;
  unlink(out);
  st = tp_meta_edit_file(in, out, e,
                         TP_META_EDIT_NO_SYNC | TP_META_EDIT_FORCE |
                             TP_META_EDIT_IGNORE_MISSING);
  if (st == TP_OK) {
    check_output(out, ed, ned, is_st);
    check(unlink(out) == 0);
  } else {
    check(tp_last_error()[0] != 0);
    check(access(out, F_OK) != 0);
  }
  check(fuzz_clear_dir(g_dir, 0) == 1);
}

/* Oracle 2 on a GGUF file made of m and one F32 tensor. */
static void edit_gguf(const tp_metastore *m, const tp_meta_edits *e,
                      const edit_rec *ed, size_t ned) {
  tp_gguf_tinfo t;
  uint8_t *hdr = NULL, *file;
  size_t hdr_len;
  uint64_t size, align;
  char in[400], out[400];
  if (tp_gguf_meta_alignment(m, &align) != TP_OK) return;
  if (tp_gguf_check_meta(m, TP_EINVAL) != TP_OK) return;
  memset(&t, 0, sizeof t);
  t.name = "t";
  t.name_len = 1;
  t.type = TP_TYPE_F32;
  t.ndim = 1;
  t.shape[0] = 4;
  t.nbytes = 16;
  if (tp_gguf_render_header(m, &t, 1, align, 0, &hdr, &hdr_len, &size) != TP_OK)
    return;
  check(size >= hdr_len && size < ((uint64_t)16 << 20));
  file = calloc(1, (size_t)size);
  check(file != NULL);
  memcpy(file, hdr, hdr_len);
  snprintf(in, sizeof in, "%s/in.gguf", g_dir);
  snprintf(out, sizeof out, "%s/out.gguf", g_dir);
  fuzz_write_file(in, file, (size_t)size);
  free(file);
  free(hdr);
  run_edit(in, out, e, ed, ned, 0);
  check(unlink(in) == 0);
}

/* Oracle 2 on a SafeTensors file with the raw entries as __metadata__. */
static void edit_safetensors(const tp_metastore *s, const tp_meta_edits *e,
                             const edit_rec *ed, size_t ned) {
  json_t *root = json_object(), *md = json_object(), *t;
  char *text, in[400], out[400];
  uint8_t *file;
  size_t i, hl, pad, n;
  check(root && md);
  for (i = 0; i < s->n; i++) {
    json_t *v = json_stringn(s->items[i].val.v.s.data, s->items[i].val.v.s.len);
    if (!v) continue; /* not UTF-8: SafeTensors cannot hold it */
    json_object_setn_new(md, s->items[i].key, s->items[i].key_len, v);
  }
  json_object_set_new(root, "__metadata__", md);
  t = json_pack("{s:s,s:[i],s:[i,i]}", "dtype", "F32", "shape", 4,
                "data_offsets", 0, 16);
  check(t != NULL);
  json_object_set_new(root, "t", t);
  text = json_dumps(root, JSON_COMPACT);
  json_decref(root);
  check(text != NULL);
  hl = strlen(text);
  pad = (8 - hl % 8) % 8;
  n = 8 + hl + pad + 16;
  file = calloc(1, n);
  check(file != NULL);
  for (i = 0; i < 8; i++) file[i] = (uint8_t)((uint64_t)(hl + pad) >> (8 * i));
  memcpy(file + 8, text, hl);
  memset(file + 8 + hl, ' ', pad);
  free(text);
  snprintf(in, sizeof in, "%s/in.safetensors", g_dir);
  snprintf(out, sizeof out, "%s/out.safetensors", g_dir);
  fuzz_write_file(in, file, n);
  free(file);
  run_edit(in, out, e, ed, ned, 1);
  check(unlink(in) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  tp_metastore s, m;
  tp_meta_edits *e = NULL;
  edit_rec ed[MAX_EDITS];
  size_t ned = 0, pos = 0;
  tp_status st;
  if (!g_dir[0]) fuzz_setup_dir("meta");
  tp_meta_init(&s);
  tp_meta_init(&m);
  check(tp_meta_edits_new(&e) == TP_OK);
  while (pos < size) {
    const uint8_t *nl = memchr(data + pos, '\n', size - pos);
    size_t len = nl ? (size_t)(nl - (data + pos)) : size - pos;
    const char *line = (const char *)data + pos;
    pos += len + 1;
    if (len && (line[0] == '+' || line[0] == '-')) {
      char *arg = strndup(line + 1, len - 1);
      size_t kl;
      check(arg != NULL);
      if (ned >= MAX_EDITS) {
        free(arg);
        continue;
      }
      if (line[0] == '+') {
        st = tp_meta_edits_set(e, arg);
        kl = strchr(arg, '=') ? (size_t)(strchr(arg, '=') - arg) : 0;
      } else {
        st = tp_meta_edits_delete(e, arg);
        kl = strlen(arg);
      }
      if (st == TP_OK && kl < sizeof ed[0].key) {
        memcpy(ed[ned].key, arg, kl);
        ed[ned].key[kl] = 0;
        ed[ned].set = line[0] == '+';
        ned++;
      } else if (st != TP_OK) {
        check(st == TP_EINVAL && tp_last_error()[0] != 0);
      } else {
        ned = MAX_EDITS + 1; /* key too long to track: skip the edit oracle */
      }
      free(arg);
      if (ned > MAX_EDITS) break;
    } else {
      const char *eq = memchr(line, '=', len);
      size_t kl = eq ? (size_t)(eq - line) : len;
      tp_value v;
      memset(&v, 0, sizeof v);
      v.type = TP_VALUE_STRING;
      v.v.s.data = eq ? eq + 1 : "";
      v.v.s.len = eq ? len - kl - 1 : 0;
      check(tp_meta_set(&s, line, kl, &v, 1) == TP_OK);
    }
  }
  order_round_trip(&s);
  st = tp_gguf_meta_from_safetensors(&s, &m);
  if (st == TP_OK) {
    round_trip(&m);
    if (ned > 0 && ned <= MAX_EDITS) edit_gguf(&m, e, ed, ned);
  } else {
    check(tp_last_error()[0] != 0);
  }
  if (ned > 0 && ned <= MAX_EDITS) edit_safetensors(&s, e, ed, ned);
  tp_meta_edits_free(e);
  tp_meta_free(&s);
  tp_meta_free(&m);
  return 0;
}
