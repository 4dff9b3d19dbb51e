/*
 * diff.c - tensor-by-tensor comparison of two models in any formats.
 *
 * Tensors are matched by name. Same type: bytes are compared first and the
 * values only decoded when they differ; different types: both sides are
 * decoded to double and compared. Work is split into chunks on a pool.
 */
#include "compare.h"

#include "../base/pool.h"
#include "../dtype/dtype.h"
#include "../model/model.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define TP_DIFF_CHUNK_ELEMS (256u * 1024u)
#define TP_DIFF_TICK_MS 100u

struct tp_diff {
  tp_diff_entry *entries;
  size_t n, cap;
  tp_stats_acc *acc;
  int *byte_diff; /* per entry: some bytes differ */
};

typedef struct {
  size_t entry;
  uint64_t el0, n;
} diff_job;

typedef struct {
  const tp_model *a, *b;
  tp_diff *d;
  diff_job *jobs;
  size_t njobs, cap;
  unsigned nworkers;
  uint8_t **ba, **bb;
  double **fa, **fb;
  size_t la, lb, max_elems;
  pthread_mutex_t lock;
  /* progress */
  tp_progress_fn progress;
  void *user;
  uint64_t bytes_total, tensors_total;
  atomic_uint_fast64_t bytes_done, tensors_done;
  atomic_uint_fast64_t *left; /* per entry: chunks not yet compared */
  atomic_size_t current;      /* entry index + 1 of the latest chunk */
} diff_ctx;

static tp_status add_entry(tp_diff *d, const char *name, size_t len,
                           tp_diff_kind kind, size_t ia, size_t ib) {
  tp_diff_entry *e;
  tp_status st = tp_grow((void **)&d->entries, &d->cap, d->n + 1, sizeof *e);
  if (st != TP_OK) return st;
  e = &d->entries[d->n++];
  memset(e, 0, sizeof *e);
  e->name.data = name;
  e->name.len = len;
  e->kind = kind;
  e->index_a = ia;
  e->index_b = ib;
  e->stats.identical = kind == TP_DIFF_SAME;
  return TP_OK;
}

static uint64_t bbytes(tp_type t, uint64_t n) {
  return n / tp_type_block_elems(t) * tp_type_block_bytes(t);
}

static tp_status diff_job_run(void *arg, size_t i, unsigned w) {
  diff_ctx *c = (diff_ctx *)arg;
  diff_job *j = &c->jobs[i];
  tp_diff_entry *e = &c->d->entries[j->entry];
  const tp_tensor *ta = &c->a->tensors[e->index_a];
  const tp_tensor *tb = &c->b->tensors[e->index_b];
  size_t la = (size_t)bbytes(ta->type, j->n), lb = (size_t)bbytes(tb->type, j->n);
  tp_status st = tp_model_read(c->a, e->index_a, bbytes(ta->type, j->el0),
                               c->ba[w], la);
  tp_stats_acc acc;
  bool bytes_equal;
  if (st != TP_OK) return st;
  atomic_store(&c->current, j->entry + 1);
  st = tp_model_read(c->b, e->index_b, bbytes(tb->type, j->el0), c->bb[w], lb);
  if (st != TP_OK) return st;
  bytes_equal = ta->type == tb->type && memcmp(c->ba[w], c->bb[w], la) == 0;
  tp_stats_init(&acc);
  if (bytes_equal) {
    acc.count = j->n;
  } else if (ta->type == TP_TYPE_C64 || tb->type == TP_TYPE_C64) {
    acc.count = j->n;
    acc.n_different = j->n; /* complex values are compared as bytes only */
  } else {
    st = tp_convert_elements(TP_TYPE_F64, c->fa[w], ta->type, c->ba[w], (size_t)j->n);
    if (st == TP_OK)
      st = tp_convert_elements(TP_TYPE_F64, c->fb[w], tb->type, c->bb[w], (size_t)j->n);
    if (st != TP_OK) {
      char q[256];
      tp_quote_for_message(q, sizeof q, ta->name, ta->name_len);
      return tp_error_prefix("diff: tensor \"%s\"", q);
    }
    tp_stats_add(&acc, c->fa[w], c->fb[w], (size_t)j->n);
  }
  pthread_mutex_lock(&c->lock);
  tp_stats_merge(&c->d->acc[j->entry], &acc);
  if (!bytes_equal) c->d->byte_diff[j->entry] = 1;
  pthread_mutex_unlock(&c->lock);
  atomic_fetch_add(&c->bytes_done, (uint64_t)la + lb);
  if (c->left && atomic_fetch_sub(&c->left[j->entry], 1) == 1)
    atomic_fetch_add(&c->tensors_done, 1);
  return TP_OK;
}

static int diff_report(diff_ctx *c, tp_phase phase) {
  tp_progress pr;
  size_t cur;
  if (!c->progress) return 0;
  memset(&pr, 0, sizeof pr);
  pr.phase = phase;
  pr.bytes_done = atomic_load(&c->bytes_done);
  pr.bytes_total = c->bytes_total;
  pr.tensors_done = atomic_load(&c->tensors_done);
  pr.tensors_total = c->tensors_total;
  cur = atomic_load(&c->current);
  pr.current = cur && phase != TP_PHASE_DONE
                   ? c->a->tensors[c->d->entries[cur - 1].index_a].name
                   : NULL;
  return c->progress(&pr, c->user);
}

static int diff_tick(void *arg) { return diff_report((diff_ctx *)arg, TP_PHASE_COMPARE); }

static bool same_shape(const tp_tensor *a, const tp_tensor *b) {
  return a->ndim == b->ndim &&
         memcmp(a->shape, b->shape, a->ndim * sizeof a->shape[0]) == 0;
}

tp_status tp_diff_models(tp_diff **out, const tp_model *a, const tp_model *b,
                         unsigned threads) {
  return tp_diff_models_progress(out, a, b, threads, NULL, NULL);
}

tp_status tp_diff_models_progress(tp_diff **out, const tp_model *a,
                                  const tp_model *b, unsigned threads,
                                  tp_progress_fn progress, void *user) {
  tp_diff *d;
  diff_ctx c;
  tp_pool *pool = NULL;
  tp_status st = TP_OK;
  size_t i;
  unsigned w;
  *out = NULL;
  d = tp_calloc(1, sizeof *d);
  if (!d) return TP_ENOMEM;
  memset(&c, 0, sizeof c);
  c.a = a;
  c.b = b;
  c.d = d;
  c.progress = progress;
  c.user = user;
  atomic_init(&c.bytes_done, 0);
  atomic_init(&c.tensors_done, 0);
  atomic_init(&c.current, 0);
  pthread_mutex_init(&c.lock, NULL);
  for (i = 0; st == TP_OK && i < a->ntensors; i++) {
    const tp_tensor *ta = &a->tensors[i];
    size_t k = tp_model_find_tensor(b, ta->name, ta->name_len);
    if (k == SIZE_MAX) {
      st = add_entry(d, ta->name, ta->name_len, TP_DIFF_ONLY_A, i, SIZE_MAX);
    } else if (!same_shape(ta, &b->tensors[k])) {
      st = add_entry(d, ta->name, ta->name_len, TP_DIFF_SHAPE, i, k);
    } else {
      st = add_entry(d, ta->name, ta->name_len,
                     ta->type == b->tensors[k].type ? TP_DIFF_SAME : TP_DIFF_TYPE,
                     i, k);
    }
  }
  for (i = 0; st == TP_OK && i < b->ntensors; i++) {
    const tp_tensor *tb = &b->tensors[i];
    if (tp_model_find_tensor(a, tb->name, tb->name_len) == SIZE_MAX)
      st = add_entry(d, tb->name, tb->name_len, TP_DIFF_ONLY_B, SIZE_MAX, i);
  }
  if (st == TP_OK) {
    d->acc = tp_calloc(d->n ? d->n : 1, sizeof *d->acc);
    d->byte_diff = tp_calloc(d->n ? d->n : 1, sizeof *d->byte_diff);
    c.left = tp_calloc(d->n ? d->n : 1, sizeof *c.left);
    if (!d->acc || !d->byte_diff || !c.left) st = TP_ENOMEM;
  }
  for (i = 0; st == TP_OK && i < d->n; i++) {
    tp_diff_entry *e = &d->entries[i];
    const tp_tensor *ta, *tb;
    uint64_t chunk, el;
    if (e->kind != TP_DIFF_SAME && e->kind != TP_DIFF_TYPE) continue;
    ta = &a->tensors[e->index_a];
    tb = &b->tensors[e->index_b];
    c.tensors_total++;
    c.bytes_total += ta->nbytes + tb->nbytes;
    if (ta->nelements == 0) atomic_fetch_add(&c.tensors_done, 1);
    chunk = tp_chunk_elems(ta->type, tb->type, TP_DIFF_CHUNK_ELEMS);
    for (el = 0; st == TP_OK && el < ta->nelements; el += chunk) {
      uint64_t n = TP_MIN(chunk, ta->nelements - el);
      st = tp_grow((void **)&c.jobs, &c.cap, c.njobs + 1, sizeof *c.jobs);
      if (st != TP_OK) break;
      c.jobs[c.njobs].entry = i;
      c.jobs[c.njobs].el0 = el;
      c.jobs[c.njobs].n = n;
      c.njobs++;
      atomic_fetch_add(&c.left[i], 1);
      if (bbytes(ta->type, n) > c.la) c.la = (size_t)bbytes(ta->type, n);
      if (bbytes(tb->type, n) > c.lb) c.lb = (size_t)bbytes(tb->type, n);
      if (n > c.max_elems) c.max_elems = (size_t)n;
    }
  }
  if (st == TP_OK && diff_report(&c, TP_PHASE_COMPARE) != 0)
    st = tp_error(TP_ECANCELED, "diff cancelled");
  if (st == TP_OK && c.njobs) {
    st = tp_pool_create(&pool, threads);
    if (st == TP_OK) {
      c.nworkers = tp_pool_threads(pool);
      c.ba = tp_calloc(c.nworkers, sizeof *c.ba);
      c.bb = tp_calloc(c.nworkers, sizeof *c.bb);
      c.fa = tp_calloc(c.nworkers, sizeof *c.fa);
      c.fb = tp_calloc(c.nworkers, sizeof *c.fb);
      if (!c.ba || !c.bb || !c.fa || !c.fb) st = TP_ENOMEM;
      for (w = 0; st == TP_OK && w < c.nworkers; w++) {
        c.ba[w] = tp_malloc(c.la + 64);
        c.bb[w] = tp_malloc(c.lb + 64);
        c.fa[w] = tp_malloc(c.max_elems * sizeof(double) + 64);
        c.fb[w] = tp_malloc(c.max_elems * sizeof(double) + 64);
        if (!c.ba[w] || !c.bb[w] || !c.fa[w] || !c.fb[w]) st = TP_ENOMEM;
      }
    }
    if (st == TP_OK)
      st = tp_pool_run(pool, c.njobs, diff_job_run, &c,
                       progress ? diff_tick : NULL, &c, TP_DIFF_TICK_MS);
  }
  if (st == TP_OK && diff_report(&c, TP_PHASE_DONE) != 0)
    st = tp_error(TP_ECANCELED, "diff cancelled");
  for (i = 0; st == TP_OK && i < d->n; i++) {
    tp_diff_entry *e = &d->entries[i];
    if (e->kind != TP_DIFF_SAME && e->kind != TP_DIFF_TYPE) continue;
    tp_stats_finish(&d->acc[i], &e->stats);
    if (e->kind == TP_DIFF_SAME && d->byte_diff[i]) {
      e->kind = TP_DIFF_VALUES;
      e->stats.identical = 0;
    }
  }
  for (w = 0; w < c.nworkers; w++) {
    free(c.ba[w]);
    free(c.bb[w]);
    free(c.fa[w]);
    free(c.fb[w]);
  }
  free(c.ba);
  free(c.bb);
  free(c.fa);
  free(c.fb);
  free(c.jobs);
  free(c.left);
  tp_pool_free(pool);
  pthread_mutex_destroy(&c.lock);
  if (st != TP_OK) {
    tp_diff_free(d);
    return st;
  }
  *out = d;
  return TP_OK;
}

void tp_diff_free(tp_diff *d) {
  if (!d) return;
  free(d->entries);
  free(d->acc);
  free(d->byte_diff);
  free(d);
}

size_t tp_diff_count(const tp_diff *d) { return d->n; }

const tp_diff_entry *tp_diff_at(const tp_diff *d, size_t i) {
  return i < d->n ? &d->entries[i] : NULL;
}

int tp_diff_identical(const tp_diff *d) {
  size_t i;
  for (i = 0; i < d->n; i++)
    if (d->entries[i].kind != TP_DIFF_SAME) return 0;
  return 1;
}
