/*
 * testfmt.c - a test-only format ("tpraw"), compiled into the registry test
 * alone. It exists to keep docs/ARCHITECTURE.md's "adding a format"
 * checklist honest: this file plus one registry row (compiled in with
 * TP_REGISTRY_TEST_ROW) must be all it takes for detection, opening,
 * conversion both ways and inspect to work through the public API.
 *
 * Layout (little-endian): "TPRAW1\0\0", u32 tensor count, per tensor: u16
 * name length, the name, u8 tp_type (F32, F16, BF16 or I32), u8 rank,
 * rank x u64 extents; then zero padding to 8 and the tensors' bytes back to
 * back in order. No metadata.
 */
#include "formats/format.h"

#include "dtype/dtype.h"

#include <stdio.h>
#include <stdlib.h>

#define TPRAW_ID ((tp_format)100)
#define TPRAW_MAGIC "TPRAW1\0\0"

static bool stores(tp_type t) {
  return t == TP_TYPE_F32 || t == TP_TYPE_F16 || t == TP_TYPE_BF16 ||
         t == TP_TYPE_I32;
}

static int probe(const tp_probe_input *in, char *why, size_t why_len) {
  if (!in->is_dir && in->head_len >= 8 && !memcmp(in->head, TPRAW_MAGIC, 8)) {
    snprintf(why, why_len, "tpraw magic");
    return 3;
  }
  snprintf(why, why_len, "no tpraw magic");
  return 0;
}

/* Bounded reads from the header held in memory. */
typedef struct rd {
  const uint8_t *p;
  size_t n, at;
} rd;

static bool take(rd *r, size_t k, const uint8_t **out) {
  if (k > r->n - r->at) return false;
  *out = r->p + r->at;
  r->at += k;
  return true;
}

static tp_status open_infile(tp_model **out, tp_infile *f) {
  tp_model *m = NULL;
  uint64_t size = tp_infile_size(f), data = 0, off;
  uint8_t *hdr = NULL;
  size_t hlen = (size_t)TP_MIN(size, (uint64_t)(1u << 20)), i;
  const uint8_t *q;
  uint32_t count, idx;
  rd r;
  tp_status st = tp_model_new(&m, TPRAW_ID, tp_infile_path(f));
  if (st != TP_OK) {
    tp_infile_close(f);
    return st;
  }
  st = tp_model_add_file(m, f, 0, &idx);
  if (st != TP_OK) goto fail;
  hdr = tp_malloc(hlen ? hlen : 1);
  if (!hdr) {
    st = TP_ENOMEM;
    goto fail;
  }
  st = tp_infile_read(f, 0, hdr, hlen);
  if (st != TP_OK) goto fail;
  r.p = hdr;
  r.n = hlen;
  r.at = 0;
  if (!take(&r, 8, &q) || memcmp(q, TPRAW_MAGIC, 8) || !take(&r, 4, &q)) {
    st = tp_error(TP_EFORMAT, "%s: tpraw: header: truncated", tp_infile_path(f));
    goto fail;
  }
  count = tp_load_le32(q);
  /* first pass: names and shapes; offsets follow once the header ends */
  for (i = 0; i < count; i++) {
    const uint8_t *name, *ty, *rk;
    uint64_t shape[TP_MAX_DIMS];
    uint32_t k, rank;
    size_t ti;
    if (!take(&r, 2, &q) || !take(&r, tp_load_le16(q), &name) || !take(&r, 1, &ty) ||
        !take(&r, 1, &rk) || *rk > TP_MAX_DIMS || !stores((tp_type)*ty)) {
      st = tp_error(TP_EFORMAT, "%s: tpraw: tensor %zu: bad record", tp_infile_path(f), i);
      goto fail;
    }
    rank = *rk;
    for (k = 0; k < rank; k++) {
      if (!take(&r, 8, &q)) {
        st = tp_error(TP_EFORMAT, "%s: tpraw: tensor %zu: truncated", tp_infile_path(f), i);
        goto fail;
      }
      shape[k] = tp_load_le64(q);
    }
    st = tp_model_add_tensor(m, (const char *)name, tp_load_le16(name - 2),
                             (tp_type)*ty, rank, shape, idx, 0, &ti);
    if (st != TP_OK) goto fail;
  }
  data = (r.at + 7) / 8 * 8;
  m->data_offsets[idx] = data;
  for (i = 0, off = data; i < m->ntensors; i++) {
    uint64_t end;
    m->tensors[i].offset = off;
    if (tp_add_overflow_u64(off, m->tensors[i].nbytes, &end) || end > size) {
      st = tp_error(TP_EFORMAT, "%s: tpraw: tensor %zu: data past the end of "
                    "the file (%llu bytes)", tp_infile_path(f), i,
                    (unsigned long long)size);
      goto fail;
    }
    off = end;
  }
  free(hdr);
  *out = m;
  return TP_OK;
fail:
  free(hdr);
  tp_model_free(m);
  return st;
}

static tp_status open_path(tp_model **out, const char *path, const tp_open_options *o) {
  tp_infile *f;
  tp_status st = tp_infile_open(&f, path, o ? o->use_mmap : 0);
  return st == TP_OK ? open_infile(out, f) : st;
}

static tp_status layout(tp_layout *L) {
  uint8_t *h;
  size_t len = 12, i, o;
  uint32_t idx;
  uint64_t off;
  tp_status st;
  for (i = 0; i < L->n; i++) len += 4 + L->entries[i].name_len + 8 * L->entries[i].ndim;
  len = (len + 7) / 8 * 8;
  h = tp_calloc(len, 1);
  if (!h) return TP_ENOMEM;
  memcpy(h, TPRAW_MAGIC, 8);
  tp_store_le32(h + 8, (uint32_t)L->n);
  for (i = 0, o = 12; i < L->n; i++) {
    const tp_out_tensor *e = &L->entries[i];
    uint32_t k;
    tp_store_le16(h + o, (uint16_t)e->name_len);
    memcpy(h + o + 2, e->name, e->name_len);
    o += 2 + e->name_len;
    h[o++] = (uint8_t)e->dst_type;
    h[o++] = (uint8_t)e->ndim;
    for (k = 0; k < e->ndim; k++, o += 8) tp_store_le64(h + o, e->shape[k]);
  }
  st = tp_layout_add_file(L, L->out_path, &idx);
  if (st != TP_OK) {
    free(h);
    return st;
  }
  L->files[idx].header = h;
  L->files[idx].header_len = len;
  for (i = 0, off = len; i < L->n; i++) {
    L->entries[i].file = idx;
    L->entries[i].offset = off;
    off += L->entries[i].dst_nbytes;
  }
  L->files[idx].size = off;
  L->files[idx].n_tensors = L->n;
  return TP_OK;
}

static tp_value fact_count(const tp_model *m) {
  tp_value v;
  memset(&v, 0, sizeof v);
  v.type = TP_VALUE_U64;
  v.v.u = m->ntensors;
  return v;
}

static const tp_fact_def k_facts[] = {{"tensors", "tpraw tensors", fact_count, NULL}};
static const char *const k_ext[] = {".tpraw", NULL};

/* Designated members: a row written for an older TP_FORMAT_OPS_VERSION
 * leaves the members appended since then zero. */
const tp_format_ops tp_format_testfmt = {
    .info = {TPRAW_ID, "tpraw", "TPRAW", "a test-only format", NULL, k_ext,
             TP_FORMAT_CAN_READ | TP_FORMAT_CAN_WRITE, NULL},
    .version = TP_FORMAT_OPS_VERSION,
    .probe = probe,
    .open = open_path,
    .open_infile = open_infile,
    .stores = stores,
    .layout = layout,
    .facts = k_facts,
    .nfacts = 1,
};
