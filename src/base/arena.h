/*
 * arena.h - bump allocator and a string-keyed hash index.
 *
 * Models hold many small strings (tensor names, metadata keys, vocabulary
 * entries); an arena frees them in one go. The index maps byte strings
 * (pointer + length, NUL bytes allowed) to positions in a caller's array.
 */
#ifndef TP_ARENA_H
#define TP_ARENA_H

#include "base.h"

typedef struct tp_arena_block tp_arena_block;
typedef struct tp_arena {
  tp_arena_block *head;
  size_t used, cap; /* within head */
} tp_arena;

void tp_arena_init(tp_arena *a);
void tp_arena_free(tp_arena *a);
/* 16-byte aligned allocation; NULL with TP_ENOMEM recorded on failure. */
void *tp_arena_alloc(tp_arena *a, size_t n);
/* Copy of len bytes plus a NUL terminator. */
char *tp_arena_strndup(tp_arena *a, const char *s, size_t len);

typedef struct tp_strmap {
  size_t *slots;   /* index + 1, 0 = empty */
  size_t nslots;   /* power of two */
  size_t count;
} tp_strmap;

/* The key for index i is fetched through this callback so the map stores
 * only indices. */
typedef tp_string (*tp_strmap_key_fn)(const void *ctx, size_t i);

void tp_strmap_init(tp_strmap *m);
void tp_strmap_free(tp_strmap *m);
/* Index of key, or SIZE_MAX. */
size_t tp_strmap_find(const tp_strmap *m, const char *key, size_t len,
                      tp_strmap_key_fn kf, const void *ctx);
/* Adds index i (whose key is kf(ctx, i)); the caller checked absence. */
tp_status tp_strmap_insert(tp_strmap *m, size_t i, tp_strmap_key_fn kf,
                           const void *ctx);
/* Rebuilds the map for indices 0..n-1 (after removals). */
tp_status tp_strmap_rebuild(tp_strmap *m, size_t n, tp_strmap_key_fn kf,
                            const void *ctx);

uint64_t tp_hash_bytes(const void *p, size_t len);

#endif /* TP_ARENA_H */
