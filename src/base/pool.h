/*
 * pool.h - a fixed thread pool that runs indexed work items.
 *
 * tp_pool_run hands items 0..n-1 to the workers in order (dynamic
 * scheduling) and blocks the caller, which meanwhile calls a tick function
 * for progress display and cancellation. The first failing item stops the
 * rest; its status and thread-local message are carried back to the caller.
 */
#ifndef TP_POOL_H
#define TP_POOL_H

#include "base.h"

typedef struct tp_pool tp_pool;

/* Work item: runs item i on worker w (0 <= w < threads). */
typedef tp_status (*tp_pool_fn)(void *arg, size_t i, unsigned w);
/* Tick: called on the caller's thread about every interval; non-zero
 * return cancels the run (TP_ECANCELED). */
typedef int (*tp_pool_tick_fn)(void *arg);

/* threads 0 means one per CPU. */
tp_status tp_pool_create(tp_pool **out, unsigned threads);
void tp_pool_free(tp_pool *p);
unsigned tp_pool_threads(const tp_pool *p);

tp_status tp_pool_run(tp_pool *p, size_t n, tp_pool_fn fn, void *arg,
                      tp_pool_tick_fn tick, void *tick_arg,
                      unsigned tick_ms);

#endif /* TP_POOL_H */
