/*
 * execute.c - runs a plan: temporary output files (inside a temporary
 * folder for folder outputs), headers, then tensor data in chunks on a
 * thread pool (read -> convert -> positional write), an optional
 * verification pass over the written files, and the atomic commit.
 *
 * Memory: each worker owns a few chunk buffers sized by the largest chunk
 * (TP_CHUNK_BYTES of source or output bytes, at most TP_CHUNK_MAX_ELEMS
 * elements), so peak memory depends on the thread count and the tensor
 * count, never on tensor or model size.
 */
#include "compare.h"
#include "plan.h"

#include "../base/pool.h"
#include "../dtype/dtype.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#define TP_CHUNK_BYTES (2u << 20)
#define TP_CHUNK_MAX_ELEMS (256u * 1024u)
#define TP_TICK_MS 100u

typedef struct tp_job {
  size_t entry;
  uint64_t el0;
  uint64_t n;
} tp_job;

typedef struct exec_ctx {
  tp_plan *p;
  tp_outfile **outs;
  tp_job *jobs;
  size_t njobs, jobs_cap;
  unsigned nworkers;
  uint8_t **buf_a, **buf_b, **buf_c;
  double **f64_a, **f64_b;
  size_t buf_a_len, buf_b_len, max_elems;
  atomic_uint_fast64_t bytes_done;
  atomic_uint_fast64_t tensors_done;
  atomic_uint_fast64_t *left; /* per entry: chunks not yet finished */
  atomic_size_t current;      /* entry index + 1 of the latest chunk */
  uint64_t bytes_total;
  tp_phase phase;
  int cancelled;
  /* verification */
  tp_model **vmodels;          /* per output file */
  size_t *vindex;              /* per entry: tensor index in its vmodel */
  tp_stats_acc *vstats;        /* per entry */
  pthread_mutex_t vlock;
} exec_ctx;

static uint64_t block_bytes(tp_type t, uint64_t elems) {
  return elems / tp_type_block_elems(t) * tp_type_block_bytes(t);
}

/* An entry's name as messages show it (names come from files). */
typedef struct qname {
  char s[256];
} qname;
static qname quoted(const tp_out_tensor *e) {
  qname q;
  tp_quote_for_message(q.s, sizeof q.s, e->name, e->name_len);
  return q;
}

static tp_status build_jobs(exec_ctx *c) {
  tp_plan *p = c->p;
  size_t i;
  for (i = 0; i < p->L.n; i++) {
    tp_out_tensor *e = &p->L.entries[i];
    uint64_t bs = tp_type_block_elems(e->src_type), ys = tp_type_block_bytes(e->src_type);
    uint64_t bd = tp_type_block_elems(e->dst_type), yd = tp_type_block_bytes(e->dst_type);
    uint64_t by_bytes = TP_MIN(TP_CHUNK_BYTES / ys * bs, TP_CHUNK_BYTES / yd * bd);
    uint64_t chunk = tp_chunk_elems(e->src_type, e->dst_type,
                                    TP_MIN((uint64_t)TP_CHUNK_MAX_ELEMS, by_bytes));
    uint64_t el = 0, count = 0;
    while (el < e->nelements) {
      uint64_t n = TP_MIN(chunk, e->nelements - el);
      tp_status st = tp_grow((void **)&c->jobs, &c->jobs_cap, c->njobs + 1,
                             sizeof *c->jobs);
      if (st != TP_OK) return st;
      c->jobs[c->njobs].entry = i;
      c->jobs[c->njobs].el0 = el;
      c->jobs[c->njobs].n = n;
      c->njobs++;
      count++;
      if (block_bytes(e->src_type, n) > c->buf_a_len)
        c->buf_a_len = (size_t)block_bytes(e->src_type, n);
      if (block_bytes(e->dst_type, n) > c->buf_b_len)
        c->buf_b_len = (size_t)block_bytes(e->dst_type, n);
      if (n > c->max_elems) c->max_elems = (size_t)n;
      el += n;
    }
    atomic_init(&c->left[i], count);
    c->bytes_total += e->dst_nbytes;
  }
  return TP_OK;
}

static tp_status alloc_buffers(exec_ctx *c, bool verify) {
  unsigned w;
  c->buf_a = tp_calloc(c->nworkers, sizeof *c->buf_a);
  c->buf_b = tp_calloc(c->nworkers, sizeof *c->buf_b);
  c->buf_c = tp_calloc(c->nworkers, sizeof *c->buf_c);
  c->f64_a = tp_calloc(c->nworkers, sizeof *c->f64_a);
  c->f64_b = tp_calloc(c->nworkers, sizeof *c->f64_b);
  if (!c->buf_a || !c->buf_b || !c->buf_c || !c->f64_a || !c->f64_b)
    return TP_ENOMEM;
  for (w = 0; w < c->nworkers; w++) {
    c->buf_a[w] = tp_malloc(c->buf_a_len + 64);
    c->buf_b[w] = tp_malloc(c->buf_b_len + 64);
    if (!c->buf_a[w] || !c->buf_b[w]) return TP_ENOMEM;
    if (verify) {
      c->buf_c[w] = tp_malloc(c->buf_b_len + 64);
      c->f64_a[w] = tp_malloc(c->max_elems * sizeof(double) + 64);
      c->f64_b[w] = tp_malloc(c->max_elems * sizeof(double) + 64);
      if (!c->buf_c[w] || !c->f64_a[w] || !c->f64_b[w]) return TP_ENOMEM;
    }
  }
  return TP_OK;
}

static void free_buffers(exec_ctx *c) {
  unsigned w;
  for (w = 0; w < c->nworkers; w++) {
    if (c->buf_a) free(c->buf_a[w]);
    if (c->buf_b) free(c->buf_b[w]);
    if (c->buf_c) free(c->buf_c[w]);
    if (c->f64_a) free(c->f64_a[w]);
    if (c->f64_b) free(c->f64_b[w]);
  }
  free(c->buf_a);
  free(c->buf_b);
  free(c->buf_c);
  free(c->f64_a);
  free(c->f64_b);
}

/* Reads a chunk of the source tensor and converts it into out (dst type).
 * When the types agree the bytes are read straight into out. */
static tp_status produce_chunk(exec_ctx *c, const tp_job *j, unsigned w,
                               uint8_t *out) {
  tp_out_tensor *e = &c->p->L.entries[j->entry];
  uint64_t soff = block_bytes(e->src_type, j->el0);
  size_t slen = (size_t)block_bytes(e->src_type, j->n);
  tp_status st;
  if (e->src_type == e->dst_type)
    return tp_source_read(e->source, soff, out, slen);
  st = tp_source_read(e->source, soff, c->buf_a[w], slen);
  if (st != TP_OK) return st;
  if (e->src_type == TP_TYPE_U64 && e->dst_type == TP_TYPE_I64) {
    /* the one narrowing the planner picks (GGUF has no U64): exact or refused */
    size_t k;
    for (k = 0; k < (size_t)j->n; k++) {
      uint64_t v = tp_load_le64(c->buf_a[w] + 8 * k);
      if (v > (uint64_t)INT64_MAX)
        return tp_error(TP_EUNSUPPORTED,
                        "tensor \"%s\" (U64 -> I64): element %llu is %llu, "
                        "above the I64 maximum %lld (the output format has no "
                        "unsigned 64-bit type)",
                        quoted(e).s, (unsigned long long)(j->el0 + k),
                        (unsigned long long)v, (long long)INT64_MAX);
    }
  }
  st = tp_convert_elements(e->dst_type, out, e->src_type, c->buf_a[w],
                           (size_t)j->n);
  if (st != TP_OK)
    return tp_error_prefix("tensor \"%s\" (%s -> %s)", quoted(e).s,
                           tp_type_name(e->src_type), tp_type_name(e->dst_type));
  return TP_OK;
}

static void finish_chunk(exec_ctx *c, const tp_job *j, uint64_t bytes) {
  atomic_fetch_add(&c->bytes_done, bytes);
  if (atomic_fetch_sub(&c->left[j->entry], 1) == 1)
    atomic_fetch_add(&c->tensors_done, 1);
}

static tp_status write_job(void *arg, size_t i, unsigned w) {
  exec_ctx *c = (exec_ctx *)arg;
  const tp_job *j = &c->jobs[i];
  tp_out_tensor *e = &c->p->L.entries[j->entry];
  uint64_t doff = block_bytes(e->dst_type, j->el0);
  size_t dlen = (size_t)block_bytes(e->dst_type, j->n);
  tp_status st;
  atomic_store(&c->current, j->entry + 1);
  st = produce_chunk(c, j, w, c->buf_b[w]);
  if (st != TP_OK) return st;
  if (e->swap_size && !tp_swap_storage(e->dst_type, e->swap_size, c->buf_b[w], dlen))
    return tp_error(TP_EINVAL, "internal: chunk of \"%s\" not swappable",
                    quoted(e).s);
  st = tp_outfile_write(c->outs[e->file], e->offset + doff, c->buf_b[w], dlen);
  if (st != TP_OK) return st;
  finish_chunk(c, j, dlen);
  return TP_OK;
}

static bool decodable(tp_type t) { return t != TP_TYPE_C64; }

static tp_status verify_job(void *arg, size_t i, unsigned w) {
  exec_ctx *c = (exec_ctx *)arg;
  const tp_job *j = &c->jobs[i];
  tp_out_tensor *e = &c->p->L.entries[j->entry];
  tp_model *vm = c->vmodels[e->file];
  uint64_t doff = block_bytes(e->dst_type, j->el0);
  size_t dlen = (size_t)block_bytes(e->dst_type, j->n);
  tp_status st;
  atomic_store(&c->current, j->entry + 1);
  st = produce_chunk(c, j, w, c->buf_b[w]);
  if (st != TP_OK) return st;
  st = tp_model_read(vm, c->vindex[j->entry], doff, c->buf_c[w], dlen);
  if (st != TP_OK) return st;
  if (memcmp(c->buf_b[w], c->buf_c[w], dlen) != 0) {
    size_t k = 0;
    while (k < dlen && c->buf_b[w][k] == c->buf_c[w][k]) k++;
    return tp_error(TP_EMISMATCH,
                    "%s: verify: tensor \"%s\": written bytes differ from the "
                    "conversion at byte %llu of the tensor",
                    c->p->L.files[e->file].path, quoted(e).s,
                    (unsigned long long)(doff + k));
  }
  if (decodable(e->src_type) && decodable(e->dst_type)) {
    /* The source chunk must be in buf_a even when the types agree. */
    tp_stats_acc acc;
    uint64_t soff = block_bytes(e->src_type, j->el0);
    size_t slen = (size_t)block_bytes(e->src_type, j->n);
    if (e->src_type == e->dst_type) {
      memcpy(c->buf_a[w], c->buf_b[w], slen);
    } else {
      st = tp_source_read(e->source, soff, c->buf_a[w], slen);
      if (st != TP_OK) return st;
    }
    st = tp_convert_elements(TP_TYPE_F64, c->f64_a[w], e->src_type, c->buf_a[w],
                             (size_t)j->n);
    if (st == TP_OK)
      st = tp_convert_elements(TP_TYPE_F64, c->f64_b[w], e->dst_type,
                               c->buf_c[w], (size_t)j->n);
    if (st != TP_OK) return tp_error_prefix("verify: tensor \"%s\"", quoted(e).s);
    tp_stats_init(&acc);
    tp_stats_add(&acc, c->f64_a[w], c->f64_b[w], (size_t)j->n);
    pthread_mutex_lock(&c->vlock);
    tp_stats_merge(&c->vstats[j->entry], &acc);
    pthread_mutex_unlock(&c->vlock);
  }
  finish_chunk(c, j, dlen);
  return TP_OK;
}

static int tick(void *arg) {
  exec_ctx *c = (exec_ctx *)arg;
  tp_progress pr;
  size_t cur;
  if (!c->p->L.opts.progress) return 0;
  memset(&pr, 0, sizeof pr);
  pr.phase = c->phase;
  pr.bytes_done = atomic_load(&c->bytes_done);
  pr.bytes_total = c->bytes_total;
  pr.tensors_done = atomic_load(&c->tensors_done);
  pr.tensors_total = c->p->L.n;
  cur = atomic_load(&c->current);
  pr.current = cur ? c->p->L.entries[cur - 1].name : NULL;
  if (c->p->L.opts.progress(&pr, c->p->L.opts.progress_user) != 0) {
    c->cancelled = 1;
    return 1;
  }
  return 0;
}

static tp_status copy_aux(tp_outfile *out, const char *from) {
  tp_infile *in;
  uint8_t *buf;
  uint64_t off = 0, size;
  tp_status st = tp_infile_open(&in, from, 0);
  if (st != TP_OK) return st;
  size = tp_infile_size(in);
  buf = tp_malloc(1u << 20);
  if (!buf) {
    tp_infile_close(in);
    return TP_ENOMEM;
  }
  while (st == TP_OK && off < size) {
    size_t n = (size_t)TP_MIN((uint64_t)(1u << 20), size - off);
    st = tp_infile_read(in, off, buf, n);
    if (st == TP_OK) st = tp_outfile_write(out, off, buf, n);
    off += n;
  }
  free(buf);
  tp_infile_close(in);
  return st;
}

static tp_status open_written(exec_ctx *c, size_t fi, tp_model **out) {
  tp_infile *f;
  /* through the open descriptor: the file may have no name yet */
  tp_status st = tp_infile_from_fd(&f, tp_outfile_fd(c->outs[fi]),
                                   tp_outfile_name(c->outs[fi]));
  if (st != TP_OK) return st;
  st = c->p->L.target->open_infile(out, f);
  if (st != TP_OK)
    return tp_error_prefix("verify: %s does not read back", c->p->L.files[fi].path);
  return TP_OK;
}

static tp_status prepare_verify(exec_ctx *c) {
  tp_plan *p = c->p;
  size_t i;
  tp_status st;
  c->vmodels = tp_calloc(p->L.nfiles, sizeof *c->vmodels);
  c->vindex = tp_calloc(p->L.n ? p->L.n : 1, sizeof *c->vindex);
  c->vstats = tp_calloc(p->L.n ? p->L.n : 1, sizeof *c->vstats);
  if (!c->vmodels || !c->vindex || !c->vstats) return TP_ENOMEM;
  for (i = 0; i < p->L.nfiles; i++) {
    if (p->L.files[i].is_aux) continue;
    st = open_written(c, i, &c->vmodels[i]);
    if (st != TP_OK) return st;
    if (c->vmodels[i]->ntensors != p->L.files[i].n_tensors)
      return tp_error(TP_EMISMATCH,
                      "%s: verify: %zu tensors read back, %llu written",
                      p->L.files[i].path, c->vmodels[i]->ntensors,
                      (unsigned long long)p->L.files[i].n_tensors);
  }
  for (i = 0; i < p->L.n; i++) {
    tp_out_tensor *e = &p->L.entries[i];
    tp_model *vm = c->vmodels[e->file];
    size_t k = tp_model_find_tensor(vm, e->name, e->name_len);
    const tp_tensor *t;
    if (k == SIZE_MAX)
      return tp_error(TP_EMISMATCH, "%s: verify: tensor \"%s\" missing",
                      p->L.files[e->file].path, quoted(e).s);
    t = &vm->tensors[k];
    if (t->type != e->dst_type || t->nelements != e->nelements ||
        t->ndim != e->ndim ||
        memcmp(t->shape, e->shape, e->ndim * sizeof e->shape[0]) != 0) {
      char a[256], b[256];
      tp_shape_format(a, sizeof a, t->ndim, t->shape);
      tp_shape_format(b, sizeof b, e->ndim, e->shape);
      return tp_error(TP_EMISMATCH,
                      "%s: verify: tensor \"%s\" reads back as %s %s, "
                      "written as %s %s",
                      p->L.files[e->file].path, quoted(e).s, tp_type_name(t->type), a,
                      tp_type_name(e->dst_type), b);
    }
    c->vindex[i] = k;
    tp_stats_init(&c->vstats[i]);
  }
  return TP_OK;
}

static void fill_verify_result(exec_ctx *c, tp_convert_result *r) {
  size_t i;
  r->verified = 1;
  for (i = 0; i < c->p->L.n; i++) {
    tp_out_tensor *e = &c->p->L.entries[i];
    tp_compare_stats s;
    tp_stats_finish(&c->vstats[i], &s);
    if (tp_conversion_is_lossless(e->src_type, e->dst_type)) {
      r->verify_lossless_identical++;
    } else {
      r->verify_lossy++;
      if (s.max_abs_err > r->verify_max_abs_err) r->verify_max_abs_err = s.max_abs_err;
      if (s.max_rel_err > r->verify_max_rel_err) r->verify_max_rel_err = s.max_rel_err;
      if (s.rel_rmse > r->verify_max_rel_rmse) r->verify_max_rel_rmse = s.rel_rmse;
    }
  }
}

/* Lossless conversions must give back every value exactly. */
static tp_status check_lossless(exec_ctx *c) {
  size_t i;
  for (i = 0; i < c->p->L.n; i++) {
    tp_out_tensor *e = &c->p->L.entries[i];
    if (tp_conversion_is_lossless(e->src_type, e->dst_type) &&
        c->vstats[i].n_different)
      return tp_error(TP_EMISMATCH,
                      "verify: tensor \"%s\": %llu values changed in a "
                      "lossless %s -> %s conversion",
                      quoted(e).s, (unsigned long long)c->vstats[i].n_different,
                      tp_type_name(e->src_type), tp_type_name(e->dst_type));
  }
  return TP_OK;
}

tp_status tp_plan_execute(tp_plan *p, tp_convert_result *res) {
  exec_ctx c;
  tp_pool *pool = NULL;
  tp_status st = TP_OK;
  tp_convert_result r;
  size_t i;
  tp_outdir *odir = NULL;
  bool verify = (p->L.opts.flags & TP_CONVERT_VERIFY) != 0;
  unsigned oflags = ((p->L.opts.flags & TP_CONVERT_FORCE) ? TP_OUT_FORCE : 0) |
                    ((p->L.opts.flags & TP_CONVERT_NO_SYNC) ? TP_OUT_NO_SYNC : 0);
  double t0 = tp_now();

  memset(&c, 0, sizeof c);
  memset(&r, 0, sizeof r);
  c.p = p;
  pthread_mutex_init(&c.vlock, NULL);
  c.outs = tp_calloc(p->L.nfiles ? p->L.nfiles : 1, sizeof *c.outs);
  c.left = tp_calloc(p->L.n ? p->L.n : 1, sizeof *c.left);
  if (!c.outs || !c.left) st = TP_ENOMEM;
  if (st == TP_OK) st = build_jobs(&c);
  if (st == TP_OK) st = tp_pool_create(&pool, p->L.opts.threads);
  if (st == TP_OK) {
    c.nworkers = tp_pool_threads(pool);
    st = alloc_buffers(&c, verify);
  }
  /* a folder output is built whole beside its target and moved in at the
     end: its files are created inside the temporary folder */
  if (st == TP_OK && p->L.out_is_dir) st = tp_outdir_create(&odir, p->L.out_path, oflags);
  for (i = 0; st == TP_OK && i < p->L.nfiles; i++) {
    tp_out_file *f = &p->L.files[i];
    if (odir) {
      char *inside = NULL;
      st = tp_outdir_file(odir, f->path, &inside);
      if (st == TP_OK)
        st = tp_outfile_create(&c.outs[i], inside, f->size, oflags | TP_OUT_IN_NEW_DIR);
      free(inside);
    } else {
      st = tp_outfile_create(&c.outs[i], f->path, f->size, oflags);
    }
    if (st == TP_OK && f->header_len)
      st = tp_outfile_write(c.outs[i], 0, f->header, f->header_len);
    if (st == TP_OK && f->copy_from) st = copy_aux(c.outs[i], f->copy_from);
  }
  for (i = 0; i < p->L.src->nfiles; i++) tp_infile_advise_sequential(p->L.src->files[i]);
  /* tensors with no elements are done before they start */
  for (i = 0; i < p->L.n; i++)
    if (p->L.entries[i].nelements == 0) atomic_fetch_add(&c.tensors_done, 1);

  c.phase = TP_PHASE_WRITE;
  /* a first report before any data, which may already cancel */
  if (st == TP_OK && tick(&c)) st = tp_error(TP_ECANCELED, "conversion cancelled");
  if (st == TP_OK) st = tp_pool_run(pool, c.njobs, write_job, &c, tick, &c, TP_TICK_MS);
  for (i = 0; st == TP_OK && i < p->L.src->nfiles; i++)
    st = tp_infile_check_unchanged(p->L.src->files[i]);
  if (st == TP_OK) r.bytes_written = atomic_load(&c.bytes_done);

  if (st == TP_OK && verify) {
    c.phase = TP_PHASE_VERIFY;
    atomic_store(&c.bytes_done, 0);
    atomic_store(&c.tensors_done, 0);
    for (i = 0; i < p->L.n; i++) {
      atomic_store(&c.left[i], 0);
      if (p->L.entries[i].nelements == 0) atomic_fetch_add(&c.tensors_done, 1);
    }
    for (i = 0; i < c.njobs; i++) atomic_fetch_add(&c.left[c.jobs[i].entry], 1);
    st = prepare_verify(&c);
    if (st == TP_OK)
      st = tp_pool_run(pool, c.njobs, verify_job, &c, tick, &c, TP_TICK_MS);
    if (st == TP_OK) st = check_lossless(&c);
    if (st == TP_OK) fill_verify_result(&c, &r);
  }

  if (st == TP_OK) {
    c.phase = TP_PHASE_SYNC;
    /* the last moment a cancel leaves the target as it was */
    if (tick(&c)) st = tp_error(TP_ECANCELED, "conversion cancelled");
  }
  if (st == TP_OK) {
    /* tensor files first, side files (index, copies) last, so a reader
       that finds the index also finds the shards; every file is synced
       before the first rename, and the folder once after the last */
    tp_outfile **order = tp_calloc(p->L.nfiles ? p->L.nfiles : 1, sizeof *order);
    size_t k = 0;
    if (!order) st = TP_ENOMEM;
    for (i = 0; order && i < p->L.nfiles; i++)
      if (!p->L.files[i].is_aux) order[k++] = c.outs[i];
    for (i = 0; order && i < p->L.nfiles; i++)
      if (p->L.files[i].is_aux) order[k++] = c.outs[i];
    if (order) {
      st = tp_outfile_commit_all(order, p->L.nfiles);
      for (i = 0; i < p->L.nfiles; i++) c.outs[i] = NULL;
    }
    free(order);
    /* then the folder as a whole: synced, swapped in, the old one removed */
    if (st == TP_OK && odir) {
      st = tp_outdir_commit(odir);
      odir = NULL;
    }
  }
  if (st != TP_OK && c.cancelled && st != TP_ECANCELED)
    st = tp_error(TP_ECANCELED, "conversion cancelled");
  for (i = 0; i < p->L.nfiles; i++) tp_outfile_abort(c.outs[i]);
  tp_outdir_abort(odir);
  if (c.vmodels)
    for (i = 0; i < p->L.nfiles; i++) tp_model_free(c.vmodels[i]);
  free(c.vmodels);
  free(c.vindex);
  free(c.vstats);
  free_buffers(&c);
  tp_pool_free(pool);
  free(c.jobs);
  free((void *)c.left);
  free(c.outs);
  pthread_mutex_destroy(&c.vlock);
  if (st == TP_OK) {
    r.tensors_written = p->L.n;
    r.seconds = tp_now() - t0;
    c.phase = TP_PHASE_DONE;
    if (p->L.opts.progress) {
      tp_progress pr;
      memset(&pr, 0, sizeof pr);
      pr.phase = TP_PHASE_DONE;
      pr.bytes_done = pr.bytes_total = c.bytes_total;
      pr.tensors_done = pr.tensors_total = p->L.n;
      p->L.opts.progress(&pr, p->L.opts.progress_user);
    }
    if (res) *res = r;
  }
  return st;
}

tp_status tp_convert(const char *in_path, const char *out_path,
                     const tp_convert_options *opts, tp_convert_result *res) {
  tp_model *m;
  tp_plan *p;
  tp_status st = tp_model_open(&m, in_path, NULL);
  if (st != TP_OK) return st;
  st = tp_plan_create(&p, m, out_path, opts);
  if (st == TP_OK) {
    st = tp_plan_execute(p, res);
    tp_plan_free(p);
  }
  tp_model_free(m);
  return st;
}
