/*
 * write.c - SafeTensors layout: shard split, tensor order,
 * offsets and header bytes identical to the reference writer.
 *
 * The reference (safetensors.md §5) sorts tensors by dtype rank descending
 * then name bytewise, packs them back to back, renders compact serde_json
 * and pads the header with spaces to a multiple of 8. Shards follow
 * huggingface_hub's split_state_dict_into_shards_factory, and the index
 * file is rendered as transformers writes it (json.dumps(indent=2,
 * sort_keys=True) + "\n"). This file is the one place for shard naming and
 * index rendering; hf.c calls tp_st_layout_stem.
 */
#include "safetensors.h"

#include "../../dtype/dtype.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- metadata values as strings ------------------------------------------------- */

static void scalar_text(tp_textbuf *out, tp_value_type t, const void *p) {
  switch (t) {
  case TP_VALUE_U8: tp_textbuf_printf(out, "%u", *(const uint8_t *)p); break;
  case TP_VALUE_I8: tp_textbuf_printf(out, "%d", *(const int8_t *)p); break;
  case TP_VALUE_U16: tp_textbuf_printf(out, "%u", *(const uint16_t *)p); break;
  case TP_VALUE_I16: tp_textbuf_printf(out, "%d", *(const int16_t *)p); break;
  case TP_VALUE_U32: tp_textbuf_printf(out, "%u", *(const uint32_t *)p); break;
  case TP_VALUE_I32: tp_textbuf_printf(out, "%d", *(const int32_t *)p); break;
  case TP_VALUE_U64:
    tp_textbuf_printf(out, "%llu", (unsigned long long)*(const uint64_t *)p);
    break;
  case TP_VALUE_I64:
    tp_textbuf_printf(out, "%lld", (long long)*(const int64_t *)p);
    break;
  case TP_VALUE_BOOL:
    tp_textbuf_puts(out, *(const uint8_t *)p ? "true" : "false");
    break;
  default: break;
  }
}

void tp_st_value_to_string(tp_textbuf *out, const tp_value *v) {
  tp_jsonw w;
  tp_jsonw_init(&w, out, 0, TP_JSON_SERDE);
  switch (v->type) {
  case TP_VALUE_STRING:
    tp_textbuf_append(out, v->v.s.data, v->v.s.len);
    return;
  case TP_VALUE_U8: case TP_VALUE_U16: case TP_VALUE_U32: case TP_VALUE_U64:
    tp_textbuf_printf(out, "%llu", (unsigned long long)v->v.u);
    return;
  case TP_VALUE_I8: case TP_VALUE_I16: case TP_VALUE_I32: case TP_VALUE_I64:
    tp_textbuf_printf(out, "%lld", (long long)v->v.i);
    return;
  case TP_VALUE_BOOL:
    tp_textbuf_puts(out, v->v.u ? "true" : "false");
    return;
  case TP_VALUE_F32: case TP_VALUE_F64:
    /* JSON has no NaN/Inf; as a string these read like Python's str() */
    if (v->v.f != v->v.f)
      tp_textbuf_puts(out, "nan");
    else if (v->v.f > 1.7976931348623157e308)
      tp_textbuf_puts(out, "inf");
    else if (v->v.f < -1.7976931348623157e308)
      tp_textbuf_puts(out, "-inf");
    else if (v->type == TP_VALUE_F32)
      tp_jsonw_f32(&w, (float)v->v.f);
    else
      tp_jsonw_f64(&w, v->v.f);
    return;
  case TP_VALUE_ARRAY: {
    uint64_t i;
    size_t esz = tp_value_type_size(v->elem_type);
    const uint8_t *base = (const uint8_t *)v->v.array;
    tp_jsonw_begin_array(&w);
    for (i = 0; i < v->count; i++) {
      if (v->elem_type == TP_VALUE_STRING) {
        const tp_string *s = (const tp_string *)v->v.array + i;
        tp_jsonw_string(&w, s->data, s->len);
      } else if (v->elem_type == TP_VALUE_F32) {
        float f;
        memcpy(&f, base + i * 4, 4);
        tp_jsonw_f32(&w, f);
      } else if (v->elem_type == TP_VALUE_F64) {
        double f;
        memcpy(&f, base + i * 8, 8);
        tp_jsonw_f64(&w, f);
      } else if (esz) {
        /* integers and bools: pre-rendered as JSON numbers / literals */
        tp_textbuf tmp;
        tp_textbuf_init(&tmp);
        scalar_text(&tmp, v->elem_type, base + i * esz);
        if (tmp.status == TP_OK) tp_jsonw_raw(&w, tmp.data, tmp.len);
        else out->status = tmp.status;
        tp_textbuf_free(&tmp);
      } else {
        tp_jsonw_null(&w);
      }
    }
    tp_jsonw_end_array(&w);
    return;
  }
  default:
    return;
  }
}

/* ---- naming ------------------------------------------------------------------------ */

char *tp_st_shard_name(const char *base, size_t k, size_t n) {
  return tp_asprintf("%s-%05zu-of-%05zu.safetensors", base, k, n);
}

static const char *base_name(const char *path) {
  const char *s = strrchr(path, '/');
  return s ? s + 1 : path;
}

/* ---- ordering ------------------------------------------------------------------------- */

static int name_cmp(const char *a, size_t al, const char *b, size_t bl) {
  int c = memcmp(a, b, TP_MIN(al, bl));
  if (c) return c;
  return al < bl ? -1 : al > bl;
}

typedef struct sort_item {
  tp_out_tensor e;
  size_t shard;
} sort_item;

/* Reference order within a file: dtype rank descending, then name bytes. */
static int cmp_items(const void *a, const void *b) {
  const sort_item *x = a, *y = b;
  int rx, ry;
  if (x->shard != y->shard) return x->shard < y->shard ? -1 : 1;
  rx = tp_type_traits_of(x->e.dst_type)->st_rank;
  ry = tp_type_traits_of(y->e.dst_type)->st_rank;
  if (rx != ry) return rx > ry ? -1 : 1;
  return name_cmp(x->e.name, x->e.name_len, y->e.name, y->e.name_len);
}

static int cmp_entry_names(const void *a, const void *b) {
  const tp_out_tensor *x = *(const tp_out_tensor *const *)a;
  const tp_out_tensor *y = *(const tp_out_tensor *const *)b;
  return name_cmp(x->name, x->name_len, y->name, y->name_len);
}

static int cmp_meta(const void *a, const void *b) {
  const tp_meta_item *x = *(const tp_meta_item *const *)a;
  const tp_meta_item *y = *(const tp_meta_item *const *)b;
  return name_cmp(x->key, x->key_len, y->key, y->key_len);
}

/* ---- checks ------------------------------------------------------------------------------ */

static tp_status check_entry(const char *out, const tp_out_tensor *e) {
  char q[256], sh[256];
  uint64_t nel, nb;
  size_t bad;
  tp_quote_for_message(q, sizeof q, e->name, e->name_len);
  if (e->name_len == 12 && !memcmp(e->name, "__metadata__", 12))
    return tp_error(TP_EUNSUPPORTED,
                    "%s: safetensors: a tensor cannot be named "
                    "\"__metadata__\" (the key is reserved for metadata)",
                    out);
  if (memchr(e->name, 0, e->name_len))
    return tp_error(TP_EUNSUPPORTED,
                    "%s: safetensors: tensor \"%s\": names with NUL bytes are "
                    "not supported",
                    out, q);
  if (!tp_utf8_valid(e->name, e->name_len, &bad))
    return tp_error(TP_EUNSUPPORTED,
                    "%s: safetensors: tensor \"%s\": name is not valid UTF-8 "
                    "(byte %zu); SafeTensors headers are UTF-8 JSON",
                    out, q, bad);
  if ((unsigned)e->dst_type >= TP_TYPE_COUNT ||
      !tp_type_safetensors_name(e->dst_type))
    return tp_error(TP_EUNSUPPORTED,
                    "%s: safetensors: tensor \"%s\": type %s cannot be stored "
                    "in SafeTensors",
                    out, q, tp_type_name(e->dst_type));
  if (e->ndim > TP_MAX_DIMS || !tp_shape_nelements(e->ndim, e->shape, &nel))
    return tp_error(TP_EINVAL, "internal: tensor \"%s\": bad output shape", q);
  if (!tp_type_nbytes(e->dst_type, nel, &nb)) {
    tp_shape_format(sh, sizeof sh, e->ndim, e->shape);
    return tp_error(TP_EUNSUPPORTED,
                    "%s: safetensors: tensor \"%s\": shape %s x %s does not "
                    "fill whole bytes",
                    out, q, sh, tp_type_name(e->dst_type));
  }
  if (nb != e->dst_nbytes)
    return tp_error(TP_EINVAL,
                    "internal: tensor \"%s\": planned %llu bytes but shape x "
                    "%s needs %llu",
                    q, (unsigned long long)e->dst_nbytes,
                    tp_type_name(e->dst_type), (unsigned long long)nb);
  return TP_OK;
}

static tp_status check_meta_text(const char *out, const char *what,
                                 const char *s, size_t len, bool key) {
  size_t bad;
  char q[256];
  tp_quote_for_message(q, sizeof q, s, len);
  if (key && memchr(s, 0, len))
    return tp_error(TP_EUNSUPPORTED,
                    "%s: safetensors: metadata key \"%s\": NUL bytes in keys "
                    "are not supported",
                    out, q);
  if (!tp_utf8_valid(s, len, &bad))
    return tp_error(TP_EUNSUPPORTED,
                    "%s: safetensors: metadata %s \"%s\" is not valid UTF-8 "
                    "(byte %zu)",
                    out, what, q, bad);
  return TP_OK;
}

/* ---- header rendering ------------------------------------------------------------------------ */

tp_status tp_st_render_meta(const tp_metastore *ms, const char *out,
                           tp_textbuf *frag) {
  const tp_meta_item **items;
  size_t i, n = ms->n;
  tp_status st = TP_OK;
  items = tp_calloc(n ? n : 1, sizeof *items);
  if (!items) return TP_ENOMEM;
  for (i = 0; i < n; i++) items[i] = &ms->items[i];
  qsort(items, n, sizeof *items, cmp_meta);
  tp_json_put_string(frag, "__metadata__", 12, TP_JSON_SERDE);
  tp_textbuf_append(frag, ":{", 2);
  for (i = 0; i < n && st == TP_OK; i++) {
    const tp_meta_item *it = items[i];
    tp_textbuf val;
    st = check_meta_text(out, "key", it->key, it->key_len, true);
    if (st != TP_OK) break;
    tp_textbuf_init(&val);
    tp_st_value_to_string(&val, &it->val);
    if (val.status != TP_OK) {
      st = val.status;
      tp_textbuf_free(&val);
      break;
    }
    st = check_meta_text(out, "value of", val.data ? val.data : "", val.len,
                         false);
    if (st == TP_OK) {
      if (i) tp_textbuf_putc(frag, ',');
      tp_json_put_string(frag, it->key, it->key_len, TP_JSON_SERDE);
      tp_textbuf_putc(frag, ':');
      tp_json_put_string(frag, val.data ? val.data : "", val.len,
                         TP_JSON_SERDE);
    }
    tp_textbuf_free(&val);
  }
  tp_textbuf_putc(frag, '}');
  free(items);
  if (st == TP_OK) st = frag->status;
  return st;
}

tp_status tp_st_render_header(const char *path, const char *meta_frag,
                              size_t meta_len, tp_out_tensor *es, size_t n,
                              uint8_t **out, size_t *out_len,
                              uint64_t *data_len) {
  tp_textbuf h;
  uint64_t pos = 0, hlen, total;
  size_t i, pad, blen;
  tp_status st;
  uint8_t *bytes;
  *out = NULL;
  tp_textbuf_init(&h);
  tp_textbuf_fill(&h, 0, 8); /* room for N */
  tp_textbuf_putc(&h, '{');
  if (meta_frag && meta_len) {
    tp_textbuf_append(&h, meta_frag, meta_len);
    if (n) tp_textbuf_putc(&h, ',');
  }
  for (i = 0; i < n; i++) {
    tp_out_tensor *e = &es[i];
    uint32_t d;
    uint64_t end;
    if (tp_add_overflow_u64(pos, e->dst_nbytes, &end)) {
      tp_textbuf_free(&h);
      return tp_error(TP_ELIMIT, "%s: safetensors: data size overflows 64 bits",
                      path);
    }
    if (i) tp_textbuf_putc(&h, ',');
    tp_json_put_string(&h, e->name, e->name_len, TP_JSON_SERDE);
    tp_textbuf_printf(&h, ":{\"dtype\":\"%s\",\"shape\":[",
                      tp_type_safetensors_name(e->dst_type));
    for (d = 0; d < e->ndim; d++)
      tp_textbuf_printf(&h, "%s%llu", d ? "," : "",
                        (unsigned long long)e->shape[d]);
    tp_textbuf_printf(&h, "],\"data_offsets\":[%llu,%llu]}",
                      (unsigned long long)pos, (unsigned long long)end);
    e->offset = pos;
    pos = end;
  }
  tp_textbuf_putc(&h, '}');
  if (h.status != TP_OK) {
    st = h.status;
    tp_textbuf_free(&h);
    return st;
  }
  pad = (8 - (h.len - 8) % 8) % 8;
  tp_textbuf_fill(&h, ' ', pad);
  hlen = h.len - 8;
  if (hlen > TP_ST_MAX_HEADER) {
    tp_textbuf_free(&h);
    return tp_error(TP_ELIMIT,
                    "%s: safetensors: header too large (%llu bytes vs limit "
                    "%u)",
                    path, (unsigned long long)hlen, TP_ST_MAX_HEADER);
  }
  if (tp_add_overflow_u64(8 + hlen, pos, &total)) {
    tp_textbuf_free(&h);
    return tp_error(TP_ELIMIT, "%s: safetensors: file size overflows 64 bits",
                    path);
  }
  if (h.status == TP_OK) tp_store_le64(h.data, hlen);
  bytes = (uint8_t *)tp_textbuf_steal(&h, &blen);
  if (!bytes) {
    st = h.status != TP_OK ? h.status : TP_ENOMEM;
    tp_textbuf_free(&h);
    return st;
  }
  *out = bytes;
  *out_len = blen;
  *data_len = pos;
  return TP_OK;
}

/* Renders one file's header for entries es[0..n) (already in file order),
 * assigns their file and absolute offsets and registers the file. */
static tp_status emit_file(tp_layout *p, const char *path, const tp_textbuf *meta,
                           tp_out_tensor *es, size_t n) {
  uint8_t *bytes;
  size_t blen, i;
  uint64_t data_len;
  uint32_t idx;
  tp_status st = tp_st_render_header(path, meta->data, meta->len, es, n, &bytes,
                                     &blen, &data_len);
  if (st != TP_OK) return st;
  st = tp_layout_add_file(p, path, &idx);
  if (st != TP_OK) {
    free(bytes);
    return st;
  }
  p->files[idx].header = bytes;
  p->files[idx].header_len = blen;
  p->files[idx].size = blen + data_len; /* checked in the renderer */
  p->files[idx].n_tensors = n;
  for (i = 0; i < n; i++) {
    es[i].file = idx;
    es[i].offset += blen;
  }
  return TP_OK;
}

/* transformers' index: json.dumps({"metadata": {...}, "weight_map": {...}},
 * indent=2, sort_keys=True) + "\n". */
static tp_status emit_index(tp_layout *p, const char *index_path,
                            char **shard_names) {
  tp_textbuf b;
  tp_jsonw w;
  uint64_t total_size = 0, total_params = 0;
  size_t i;
  const tp_out_tensor **order;
  uint32_t idx;
  tp_status st;
  char *bytes;
  size_t len;
  for (i = 0; i < p->n; i++) {
    /* sums of sizes already checked per file; the total can still wrap */
    if (tp_add_overflow_u64(total_size, p->entries[i].dst_nbytes, &total_size) ||
        tp_add_overflow_u64(total_params, p->entries[i].nelements,
                            &total_params))
      return tp_error(TP_ELIMIT, "%s: total size overflows 64 bits", index_path);
  }
  order = tp_calloc(p->n ? p->n : 1, sizeof *order);
  if (!order) return TP_ENOMEM;
  for (i = 0; i < p->n; i++) order[i] = &p->entries[i];
  /* Python's sort_keys: code point order, which is UTF-8 byte order */
  qsort(order, p->n, sizeof *order, cmp_entry_names);
  tp_textbuf_init(&b);
  tp_jsonw_init(&w, &b, 2, TP_JSON_ASCII);
  tp_jsonw_begin_object(&w);
  tp_jsonw_key(&w, "metadata", 8);
  tp_jsonw_begin_object(&w);
  tp_jsonw_key(&w, "total_parameters", 16);
  tp_jsonw_u64(&w, total_params);
  tp_jsonw_key(&w, "total_size", 10);
  tp_jsonw_u64(&w, total_size);
  tp_jsonw_end_object(&w);
  tp_jsonw_key(&w, "weight_map", 10);
  tp_jsonw_begin_object(&w);
  for (i = 0; i < p->n; i++) {
    const tp_out_tensor *e = order[i];
    tp_jsonw_key(&w, e->name, e->name_len);
    tp_jsonw_cstring(&w, base_name(shard_names[e->file]));
  }
  tp_jsonw_end_object(&w);
  tp_jsonw_end_object(&w);
  tp_textbuf_putc(&b, '\n');
  free(order);
  bytes = tp_textbuf_steal(&b, &len);
  if (!bytes) {
    st = b.status != TP_OK ? b.status : TP_ENOMEM;
    tp_textbuf_free(&b);
    return st;
  }
  st = tp_layout_add_file(p, index_path, &idx);
  if (st != TP_OK) {
    free(bytes);
    return st;
  }
  p->files[idx].header = (uint8_t *)bytes;
  p->files[idx].header_len = len;
  p->files[idx].size = len;
  p->files[idx].is_aux = 1;
  return TP_OK;
}

/* ---- layout ------------------------------------------------------------------------------------- */

/* huggingface_hub's split: iterate in order; a tensor larger than the limit
 * goes alone into a shard appended at once; otherwise close the open shard
 * when adding would exceed the limit. Shards are numbered in the order they
 * are closed, which puts an oversized tensor before the shard that was open
 * when it came. split_max_tensors (ours) also closes a shard when full. */
static size_t split_shards(const tp_layout *p, size_t *shard_of) {
  uint64_t limit = p->opts.split_max_size, maxt = p->opts.split_max_tensors;
  uint64_t cur_size = 0, cur_count = 0;
  size_t i, ngroups = 0, nclosed = 0, cur = SIZE_MAX;
  size_t *rank;
  /* group ids are handed out when a shard opens; rank[] maps them to the
   * order in which they close */
  rank = tp_calloc(p->n + 1, sizeof *rank);
  if (!rank) return 0;
  for (i = 0; i < p->n; i++) {
    uint64_t sz = p->entries[i].dst_nbytes;
    if (limit && sz > limit) {
      shard_of[i] = ngroups;
      rank[ngroups++] = nclosed++;
      continue;
    }
    if (cur != SIZE_MAX &&
        ((limit && cur_size + sz > limit) || (maxt && cur_count >= maxt))) {
      rank[cur] = nclosed++;
      cur = SIZE_MAX;
    }
    if (cur == SIZE_MAX) {
      cur = ngroups++;
      cur_size = 0;
      cur_count = 0;
    }
    shard_of[i] = cur;
    cur_size += sz;
    cur_count++;
  }
  if (cur != SIZE_MAX) rank[cur] = nclosed++;
  for (i = 0; i < p->n; i++) shard_of[i] = rank[shard_of[i]];
  free(rank);
  return nclosed ? nclosed : 1;
}

tp_status tp_st_layout_stem(tp_layout *p, const char *stem,
                            const char *single_path) {
  const char *out = p->out_path;
  size_t i, nshards = 0, *shard_of = NULL;
  sort_item *items = NULL;
  char **names = NULL;
  tp_textbuf meta;
  tp_status st = TP_OK;

  for (i = 0; i < p->n; i++) {
    st = check_entry(out, &p->entries[i]);
    if (st != TP_OK) return st;
  }
  /* transformers refuses SafeTensors files without a format key (and old
   * versions crash on files without metadata) */
  if (tp_meta_find(&p->meta, "format", 6) == SIZE_MAX) {
    st = tp_meta_set_str(&p->meta, "format", "pt", 2);
    if (st != TP_OK) return st;
  }
  tp_textbuf_init(&meta);
  st = tp_st_render_meta(&p->meta, out, &meta);
  if (st != TP_OK) goto done;

  shard_of = tp_calloc(p->n ? p->n : 1, sizeof *shard_of);
  items = tp_calloc(p->n ? p->n : 1, sizeof *items);
  if (!shard_of || !items) {
    st = TP_ENOMEM;
    goto done;
  }
  nshards = split_shards(p, shard_of);
  if (!nshards) {
    st = TP_ENOMEM;
    goto done;
  }
  for (i = 0; i < p->n; i++) {
    items[i].e = p->entries[i];
    items[i].shard = shard_of[i];
  }
  qsort(items, p->n, sizeof *items, cmp_items);
  for (i = 0; i < p->n; i++) p->entries[i] = items[i].e;

  names = tp_calloc(nshards, sizeof *names);
  if (!names) {
    st = TP_ENOMEM;
    goto done;
  }
  {
    size_t first = 0, s;
    size_t base_file = p->nfiles;
    for (s = 0; s < nshards; s++) {
      size_t last = first;
      while (last < p->n && items[last].shard == s) last++;
      if (nshards == 1)
        names[s] = single_path ? tp_strdup(single_path)
                               : tp_asprintf("%s.safetensors", stem);
      else
        names[s] = tp_st_shard_name(stem, s + 1, nshards);
      if (!names[s]) {
        st = TP_ENOMEM;
        goto done;
      }
      st = emit_file(p, names[s], &meta, p->entries + first, last - first);
      if (st != TP_OK) goto done;
      first = last;
    }
    if (nshards > 1) {
      char *index_path = tp_asprintf("%s.safetensors.index.json", stem);
      char **by_file;
      if (!index_path) {
        st = TP_ENOMEM;
        goto done;
      }
      /* entries refer to plan file indices; map them back to names */
      by_file = tp_calloc(p->nfiles, sizeof *by_file);
      if (!by_file) {
        free(index_path);
        st = TP_ENOMEM;
        goto done;
      }
      for (s = 0; s < nshards; s++) by_file[base_file + s] = names[s];
      st = emit_index(p, index_path, by_file);
      free(by_file);
      free(index_path);
    }
  }

done:
  if (names)
    for (i = 0; i < nshards; i++) free(names[i]);
  free(names);
  tp_textbuf_free(&meta);
  free(shard_of);
  free(items);
  return st;
}

tp_status tp_safetensors_layout(tp_layout *p) {
  const char *out = p->out_path;
  size_t n = strlen(out);
  char *stem;
  tp_status st;
  /* shards of out.safetensors are out-0000k-of-0000N.safetensors with the
   * index out.safetensors.index.json, as transformers names them */
  if (n > 12 && !strcmp(out + n - 12, ".safetensors"))
    stem = tp_strndup(out, n - 12);
  else
    stem = tp_strdup(out);
  if (!stem) return TP_ENOMEM;
  st = tp_st_layout_stem(p, stem, out);
  free(stem);
  return st;
}
