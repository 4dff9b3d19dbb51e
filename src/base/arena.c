/*
 * arena.c - bump allocator and open-addressing string index.
 */
#include "arena.h"

#include <stdlib.h>

struct tp_arena_block {
  tp_arena_block *next;
  size_t cap;
  _Alignas(16) unsigned char data[];
};

void tp_arena_init(tp_arena *a) { memset(a, 0, sizeof *a); }

void tp_arena_free(tp_arena *a) {
  tp_arena_block *b = a->head;
  while (b) {
    tp_arena_block *n = b->next;
    free(b);
    b = n;
  }
  memset(a, 0, sizeof *a);
}

void *tp_arena_alloc(tp_arena *a, size_t n) {
  size_t need = (n + 15) & ~(size_t)15;
  if (need < n) {
    tp_error_nomem(n);
    return NULL;
  }
  if (!a->head || a->cap - a->used < need) {
    size_t bcap = need > 65536 ? need : 65536;
    tp_arena_block *b;
    if (bcap > SIZE_MAX - sizeof *b) {
      tp_error_nomem(n);
      return NULL;
    }
    b = malloc(sizeof *b + bcap);
    if (!b) {
      tp_error_nomem(bcap);
      return NULL;
    }
    b->cap = bcap;
    /* a big block goes behind the head so the head's free space survives */
    if (a->head && need > 65536) {
      b->next = a->head->next;
      a->head->next = b;
      return b->data;
    }
    b->next = a->head;
    a->head = b;
    a->used = 0;
    a->cap = bcap;
  }
  {
    void *p = a->head->data + a->used;
    a->used += need;
    return p;
  }
}

char *tp_arena_strndup(tp_arena *a, const char *s, size_t len) {
  char *p;
  if (len == SIZE_MAX) {
    tp_error_nomem(len);
    return NULL;
  }
  p = tp_arena_alloc(a, len + 1);
  if (!p) return NULL;
  if (len) memcpy(p, s, len);
  p[len] = 0;
  return p;
}

/* FNV-1a with a final avalanche; keys are short and trusted to be random
 * enough, and the table is resized at 50% load. */
uint64_t tp_hash_bytes(const void *p, size_t len) {
  const unsigned char *b = (const unsigned char *)p;
  uint64_t h = 1469598103934665603ULL;
  size_t i;
  for (i = 0; i < len; i++) {
    h ^= b[i];
    h *= 1099511628211ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  return h;
}

void tp_strmap_init(tp_strmap *m) { memset(m, 0, sizeof *m); }

void tp_strmap_free(tp_strmap *m) {
  free(m->slots);
  memset(m, 0, sizeof *m);
}

size_t tp_strmap_find(const tp_strmap *m, const char *key, size_t len,
                      tp_strmap_key_fn kf, const void *ctx) {
  size_t mask, pos;
  if (!m->nslots) return SIZE_MAX;
  mask = m->nslots - 1;
  pos = (size_t)tp_hash_bytes(key, len) & mask;
  for (;;) {
    size_t s = m->slots[pos];
    tp_string k;
    if (!s) return SIZE_MAX;
    k = kf(ctx, s - 1);
    if (k.len == len && (len == 0 || memcmp(k.data, key, len) == 0))
      return s - 1;
    pos = (pos + 1) & mask;
  }
}

static void put_slot(size_t *slots, size_t mask, size_t i, tp_string k) {
  size_t pos = (size_t)tp_hash_bytes(k.data, k.len) & mask;
  while (slots[pos]) pos = (pos + 1) & mask;
  slots[pos] = i + 1;
}

static tp_status resize(tp_strmap *m, size_t nslots, tp_strmap_key_fn kf,
                        const void *ctx) {
  size_t *ns = tp_calloc(nslots, sizeof *ns), i;
  if (!ns) return TP_ENOMEM;
  for (i = 0; i < m->nslots; i++)
    if (m->slots[i]) put_slot(ns, nslots - 1, m->slots[i] - 1, kf(ctx, m->slots[i] - 1));
  free(m->slots);
  m->slots = ns;
  m->nslots = nslots;
  return TP_OK;
}

tp_status tp_strmap_insert(tp_strmap *m, size_t i, tp_strmap_key_fn kf,
                           const void *ctx) {
  if ((m->count + 1) * 2 > m->nslots) {
    size_t n = m->nslots ? m->nslots * 2 : 64;
    tp_status st = resize(m, n, kf, ctx);
    if (st != TP_OK) return st;
  }
  put_slot(m->slots, m->nslots - 1, i, kf(ctx, i));
  m->count++;
  return TP_OK;
}

tp_status tp_strmap_rebuild(tp_strmap *m, size_t n, tp_strmap_key_fn kf,
                            const void *ctx) {
  size_t i;
  tp_strmap_free(m);
  for (i = 0; i < n; i++) {
    tp_status st = tp_strmap_insert(m, i, kf, ctx);
    if (st != TP_OK) return st;
  }
  return TP_OK;
}
