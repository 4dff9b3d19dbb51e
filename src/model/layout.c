/*
 * layout.c - the output layout's bookkeeping (see layout.h).
 */
#include "layout.h"

#include <stdlib.h>

void tp_layout_init(tp_layout *L) {
  memset(L, 0, sizeof *L);
  tp_meta_init(&L->meta);
  tp_arena_init(&L->arena);
}

void tp_layout_release(tp_layout *L) {
  size_t i;
  for (i = 0; i < L->nfiles; i++) {
    free(L->files[i].path);
    free(L->files[i].header);
    free(L->files[i].copy_from);
  }
  /* wrappers were added after what they wrap: free in reverse */
  for (i = L->nsources; i > 0; i--) tp_source_free(L->sources[i - 1]);
  for (i = 0; i < L->nside; i++) {
    free(L->side[i].name);
    free(L->side[i].data);
  }
  free(L->side);
  free(L->sources);
  free(L->files);
  free(L->entries);
  free(L->out_path);
  tp_meta_free(&L->meta);
  tp_arena_free(&L->arena);
  memset(L, 0, sizeof *L);
}

tp_status tp_layout_add_file(tp_layout *L, const char *path, uint32_t *index) {
  tp_out_file *f;
  tp_status st = tp_grow((void **)&L->files, &L->files_cap, L->nfiles + 1,
                         sizeof *L->files);
  if (st != TP_OK) return st;
  f = &L->files[L->nfiles];
  memset(f, 0, sizeof *f);
  f->path = tp_strdup(path);
  if (!f->path) return TP_ENOMEM;
  if (index) *index = (uint32_t)L->nfiles;
  L->nfiles++;
  return TP_OK;
}

tp_status tp_layout_own_source(tp_layout *L, tp_source *s) {
  tp_status st = tp_grow((void **)&L->sources, &L->sources_cap, L->nsources + 1,
                         sizeof *L->sources);
  if (st != TP_OK) {
    tp_source_free(s);
    return st;
  }
  L->sources[L->nsources++] = s;
  return TP_OK;
}

tp_status tp_layout_add_side(tp_layout *L, const char *name, const void *data,
                             size_t len) {
  tp_out_side *d;
  tp_status st = tp_grow((void **)&L->side, &L->side_cap, L->nside + 1,
                         sizeof *L->side);
  if (st != TP_OK) return st;
  d = &L->side[L->nside];
  d->name = tp_strdup(name);
  d->data = tp_malloc(len ? len : 1);
  if (!d->name || !d->data) {
    free(d->name);
    free(d->data);
    return TP_ENOMEM;
  }
  memcpy(d->data, data, len);
  d->len = len;
  L->nside++;
  return TP_OK;
}
