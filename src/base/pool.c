/*
 * pool.c - fixed pthread pool running indexed work items.
 *
 * Items are claimed with an atomic counter, so chunks of unequal cost spread
 * over the workers. The caller's thread does no work: it waits with a
 * timeout and calls the tick function (progress, cancellation), so progress
 * is drawn from one thread only.
 */
#include "pool.h"
#include "io.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct tp_pool {
  unsigned nthreads;
  pthread_t *threads;
  pthread_mutex_t lock;
  pthread_cond_t work_cv; /* workers wait for a new run */
  pthread_cond_t done_cv; /* caller waits for the run to end */
  unsigned generation;
  int shutting_down;
  /* current run */
  tp_pool_fn fn;
  void *arg;
  size_t n;
  atomic_size_t next;
  atomic_int stop;
  unsigned active;       /* workers still inside the current run */
  tp_status first_status;
  char first_msg[2048];
};

typedef struct {
  tp_pool *pool;
  unsigned index;
} worker_arg;

static void run_items(tp_pool *p, unsigned w) {
  for (;;) {
    size_t i;
    tp_status st;
    if (atomic_load(&p->stop)) break;
    i = atomic_fetch_add(&p->next, 1);
    if (i >= p->n) break;
    st = p->fn(p->arg, i, w);
    if (st != TP_OK) {
      pthread_mutex_lock(&p->lock);
      if (p->first_status == TP_OK) {
        p->first_status = st;
        snprintf(p->first_msg, sizeof p->first_msg, "%s", tp_last_error());
      }
      pthread_mutex_unlock(&p->lock);
      atomic_store(&p->stop, 1);
      break;
    }
  }
}

static void *worker_main(void *varg) {
  worker_arg *wa = (worker_arg *)varg;
  tp_pool *p = wa->pool;
  unsigned w = wa->index;
  unsigned seen = 0;
  free(wa);
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (!p->shutting_down && p->generation == seen)
      pthread_cond_wait(&p->work_cv, &p->lock);
    if (p->shutting_down) break;
    seen = p->generation;
    pthread_mutex_unlock(&p->lock);
    run_items(p, w);
    pthread_mutex_lock(&p->lock);
    if (--p->active == 0) pthread_cond_broadcast(&p->done_cv);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

tp_status tp_pool_create(tp_pool **out, unsigned threads) {
  tp_pool *p;
  unsigned i;
  *out = NULL;
  if (threads == 0) threads = tp_cpu_count();
  if (threads > 1024) threads = 1024;
  p = tp_calloc(1, sizeof *p);
  if (!p) return TP_ENOMEM;
  p->threads = tp_calloc(threads, sizeof *p->threads);
  if (!p->threads) {
    free(p);
    return TP_ENOMEM;
  }
  pthread_mutex_init(&p->lock, NULL);
  pthread_cond_init(&p->work_cv, NULL);
  pthread_cond_init(&p->done_cv, NULL);
  for (i = 0; i < threads; i++) {
    worker_arg *wa = tp_malloc(sizeof *wa);
    int r;
    if (!wa) break;
    wa->pool = p;
    wa->index = i;
    r = pthread_create(&p->threads[i], NULL, worker_main, wa);
    if (r != 0) {
      free(wa);
      tp_error_errno(TP_ENOMEM, r, "cannot start worker thread %u", i);
      break;
    }
    p->nthreads++;
  }
  if (p->nthreads == 0) {
    tp_pool_free(p);
    return TP_ENOMEM;
  }
  *out = p;
  return TP_OK;
}

void tp_pool_free(tp_pool *p) {
  unsigned i;
  if (!p) return;
  pthread_mutex_lock(&p->lock);
  p->shutting_down = 1;
  pthread_cond_broadcast(&p->work_cv);
  pthread_mutex_unlock(&p->lock);
  for (i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
  pthread_mutex_destroy(&p->lock);
  pthread_cond_destroy(&p->work_cv);
  pthread_cond_destroy(&p->done_cv);
  free(p->threads);
  free(p);
}

unsigned tp_pool_threads(const tp_pool *p) { return p->nthreads; }

tp_status tp_pool_run(tp_pool *p, size_t n, tp_pool_fn fn, void *arg,
                      tp_pool_tick_fn tick, void *tick_arg, unsigned tick_ms) {
  tp_status st;
  int canceled = 0;
  if (n == 0) return TP_OK;
  pthread_mutex_lock(&p->lock);
  p->fn = fn;
  p->arg = arg;
  p->n = n;
  atomic_store(&p->next, 0);
  atomic_store(&p->stop, 0);
  p->first_status = TP_OK;
  p->first_msg[0] = 0;
  p->active = p->nthreads;
  p->generation++;
  pthread_cond_broadcast(&p->work_cv);
  while (p->active > 0) {
    if (tick && tick_ms) {
      struct timespec ts;
      clock_gettime(CLOCK_REALTIME, &ts);
      ts.tv_nsec += (long)(tick_ms % 1000) * 1000000L;
      ts.tv_sec += tick_ms / 1000 + ts.tv_nsec / 1000000000L;
      ts.tv_nsec %= 1000000000L;
      pthread_cond_timedwait(&p->done_cv, &p->lock, &ts);
      if (p->active == 0) break;
      pthread_mutex_unlock(&p->lock);
      if (!canceled && (tick(tick_arg) != 0 || tp_cancel_requested())) {
        canceled = 1;
        atomic_store(&p->stop, 1);
      }
      pthread_mutex_lock(&p->lock);
    } else {
      pthread_cond_wait(&p->done_cv, &p->lock);
    }
  }
  st = p->first_status;
  pthread_mutex_unlock(&p->lock);
  if (st != TP_OK) return tp_error(st, "%s", p->first_msg);
  if (canceled || tp_cancel_requested())
    return tp_error(TP_ECANCELED, "conversion cancelled");
  if (tick) tick(tick_arg);
  return TP_OK;
}
