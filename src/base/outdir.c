/*
 * outdir.c - output folders that appear whole.
 *
 * The folder is built as ".NAME.tmp.XXXXXX/" beside the target (same
 * parent, so the final rename stays atomic), locked by its owner through a
 * descriptor on it. Its files are created directly inside it
 * (TP_OUT_IN_NEW_DIR) and synced by their commit; the commit here syncs
 * every folder of it once, then puts it in place:
 *   - no target: rename (never replacing anything that appeared meanwhile,
 *     where the platform can say so), sync the parent;
 *   - a target (an empty folder, or anything with --force): exchange the
 *     two names in one step where the platform can (Linux renameat2
 *     RENAME_EXCHANGE, macOS renamex_np RENAME_SWAP), else move the old one
 *     aside to ".NAME.old.XXXXXX" (same suffix) and the new one in; sync the
 *     parent; then remove the old one, never following a link out of it.
 * A kill at any point leaves the old target or the new one at the target's
 * name, except between the two renames of the portable swap, where the old
 * one waits under its aside name: the next run puts it back (tempfiles.c),
 * and so does the signal cleanup.
 */
#define _GNU_SOURCE
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#if defined(__linux__)
#  include <sys/syscall.h>
#endif

#ifndef PATH_MAX
#  define PATH_MAX 4096
#endif

struct tp_outdir {
  char *final_path; /* the target, without trailing '/' */
  char *parent;
  char *base;
  char *tmp_path;   /* parent/.base.tmp.XXXXXX */
  int lock_fd;      /* on tmp_path, flocked: the owner's lock */
  unsigned flags;
  char **subdirs;   /* subfolders made inside tmp_path, in creation order */
  size_t nsub, subcap;
  int *slots;       /* signal-safe registry slots of everything inside */
  size_t nslots, slotcap;
};

/* ---- renames the platform may do better ----------------------------------- */

enum { SWAP_EXCHANGE, SWAP_NOREPLACE };

/* 0 on success; -1 with errno (ENOSYS where the platform has no such
 * rename; EINVAL or ENOTSUP where the filesystem refuses it). */
static int rename_special(const char *from, const char *to, int how) {
  if (tp_test_portable()) {
    errno = ENOSYS;
    return -1;
  }
#if defined(__linux__) && defined(SYS_renameat2)
  /* the system call, not glibc's wrapper (2.28+): same values everywhere */
  return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to,
                      how == SWAP_EXCHANGE ? 2u /* RENAME_EXCHANGE */
                                           : 1u /* RENAME_NOREPLACE */);
#elif defined(__APPLE__) && defined(RENAME_SWAP) && defined(RENAME_EXCL)
  return renamex_np(from, to, how == SWAP_EXCHANGE ? RENAME_SWAP : RENAME_EXCL);
#else
  (void)from;
  (void)to;
  (void)how;
  errno = ENOSYS;
  return -1;
#endif
}

/* rename(2)'s answers when the new name is taken by something it will
 * not replace */
static bool name_taken(int e) {
  return e == EEXIST || e == ENOTEMPTY || e == ENOTDIR || e == EISDIR;
}

/* ---- helpers ----------------------------------------------------------------- */

static tp_status sync_path(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW);
  if (fd >= 0) {
    int r = fsync(fd), e = errno;
    close(fd);
    if (r != 0 && e != EINVAL && e != EBADF && e != ENOTSUP)
      return tp_error_errno(TP_EIO, e, "%s: directory fsync failed", path);
  }
  return TP_OK;
}

static tp_status remember_slot(tp_outdir *d, int slot) {
  tp_status st;
  if (slot < 0) return TP_OK; /* not registered: left to the next sweep */
  st = tp_grow((void **)&d->slots, &d->slotcap, d->nslots + 1, sizeof *d->slots);
  if (st != TP_OK) {
    tp_temp_unregister(slot);
    return st;
  }
  d->slots[d->nslots++] = slot;
  return TP_OK;
}

static void free_outdir(tp_outdir *d) {
  size_t i;
  for (i = 0; i < d->nslots; i++) tp_temp_unregister(d->slots[i]);
  if (d->lock_fd >= 0) close(d->lock_fd);
  for (i = 0; i < d->nsub; i++) free(d->subdirs[i]);
  free(d->subdirs);
  free(d->slots);
  free(d->final_path);
  free(d->parent);
  free(d->base);
  free(d->tmp_path);
  free(d);
}

/* ---- target --------------------------------------------------------------------- */

tp_status tp_outdir_check_target(const char *path, unsigned flags) {
  struct stat sb;
  if (lstat(path, &sb) != 0) {
    int e = errno;
    if (e == ENOENT) return TP_OK;
    return tp_error_errno(e == ENOTDIR ? TP_ENOTFOUND : TP_EIO, e,
                          "%s: cannot check the output path", path);
  }
  if (flags & TP_OUT_FORCE) return TP_OK;
  if (S_ISDIR(sb.st_mode)) {
    if (tp_dir_is_empty(path)) return TP_OK;
    return tp_error(TP_EEXISTS,
                    "%s: output folder exists and is not empty (use --force "
                    "to replace it)",
                    path);
  }
  if (S_ISLNK(sb.st_mode))
    return tp_error(TP_EEXISTS,
                    "%s: output path is a symbolic link (use --force to "
                    "replace the link itself; what it points to is left "
                    "alone)",
                    path);
  return tp_error(TP_EEXISTS,
                  "%s: output path exists and is not a folder (use --force "
                  "to replace it with the output folder)",
                  path);
}

/* Splits the target into parent and name; "." and ".." are resolved,
 * since a folder cannot be renamed by those names. */
static tp_status split_target(tp_outdir *d, const char *final_path) {
  size_t n = strlen(final_path);
  const char *slash, *base;
  char real[PATH_MAX];
  while (n > 1 && final_path[n - 1] == '/') n--;
  d->final_path = tp_strndup(final_path, n);
  if (!d->final_path) return TP_ENOMEM;
  slash = strrchr(d->final_path, '/');
  base = slash ? slash + 1 : d->final_path;
  if (!strcmp(base, ".") || !strcmp(base, "..")) {
    if (!realpath(d->final_path, real))
      return tp_error_errno(TP_EIO, errno, "%s: cannot resolve", final_path);
    free(d->final_path);
    d->final_path = tp_strdup(real);
    if (!d->final_path) return TP_ENOMEM;
    slash = strrchr(d->final_path, '/');
    base = slash ? slash + 1 : d->final_path;
  }
  if (!*base || !strcmp(d->final_path, "/"))
    return tp_error(TP_EINVAL, "%s: cannot be replaced as an output folder",
                    final_path);
  d->base = tp_strdup(base);
  d->parent = slash == d->final_path ? tp_strdup("/")
              : slash ? tp_strndup(d->final_path, (size_t)(slash - d->final_path))
                      : tp_strdup(".");
  return d->base && d->parent ? TP_OK : TP_ENOMEM;
}

tp_status tp_outdir_create(tp_outdir **out, const char *final_path,
                           unsigned flags) {
  tp_outdir *d;
  tp_status st;
  size_t n;
  int tries, e = 0;
  *out = NULL;
  if (!final_path || !*final_path)
    return tp_error(TP_EINVAL, "empty output path");
  d = tp_calloc(1, sizeof *d);
  if (!d) return TP_ENOMEM;
  d->lock_fd = -1;
  d->flags = flags;
  st = split_target(d, final_path);
  if (st == TP_OK) {
    tp_temp_sweep(d->parent, d->base);
    st = tp_outdir_check_target(d->final_path, flags);
  }
  if (st == TP_OK) {
    d->tmp_path = tp_asprintf("%s/.%s.tmp.XXXXXX", d->parent, d->base);
    if (!d->tmp_path) st = TP_ENOMEM;
  }
  if (st != TP_OK) {
    free_outdir(d);
    return st;
  }
  n = strlen(d->tmp_path);
  for (tries = 0; tries < 100; tries++) {
    tp_temp_fill_suffix(d->tmp_path + n - TP_TEMP_SUFFIX_LEN);
    e = mkdir(d->tmp_path, 0777) == 0 ? 0 : errno;
    if (e != EEXIST) break;
  }
  if (e) {
    st = tp_error_errno(e == ENOENT ? TP_ENOTFOUND : TP_EIO, e,
                        "%s: cannot create a temporary folder in %s",
                        d->final_path, d->parent);
    free_outdir(d);
    return st;
  }
  st = remember_slot(d, tp_temp_register(d->tmp_path, 1));
  d->lock_fd = open(d->tmp_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (d->lock_fd < 0 && st == TP_OK)
    st = tp_error_errno(TP_EIO, errno, "%s: cannot open", d->tmp_path);
  /* a filesystem without flock: the folder is still ours, but a later run
   * cannot tell whether we are alive (it leaves such a folder alone) */
  if (st == TP_OK) tp_temp_lock(d->lock_fd);
  if (st != TP_OK) {
    tp_outdir_abort(d);
    return st;
  }
  tp_test_pause_at("created");
  *out = d;
  return TP_OK;
}

/* ---- contents ------------------------------------------------------------------ */

tp_status tp_outdir_file(tp_outdir *d, const char *final_file, char **path) {
  size_t fl = strlen(d->final_path);
  const char *rel, *p;
  char *tmp;
  tp_status st;
  *path = NULL;
  if (strncmp(final_file, d->final_path, fl) != 0 || final_file[fl] != '/')
    return tp_error(TP_EINVAL, "internal: %s is not inside %s", final_file,
                    d->final_path);
  rel = final_file + fl + 1;
  /* the layout builds these names from folder listings: no empty, "." or
   * ".." component can come from there, but a wrong one must not escape */
  for (p = rel;;) {
    const char *end = strchr(p, '/');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    if (!len || (len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.'))
      return tp_error(TP_EINVAL, "internal: bad output name %s", final_file);
    if (!end) break;
    p = end + 1;
  }
  tmp = tp_asprintf("%s/%s", d->tmp_path, rel);
  if (!tmp) return TP_ENOMEM;
  /* the subfolders on the way, each made once */
  for (p = strchr(tmp + strlen(d->tmp_path) + 1, '/'); p; p = strchr(p + 1, '/')) {
    char *sub = tp_strndup(tmp, (size_t)(p - tmp));
    if (!sub) {
      free(tmp);
      return TP_ENOMEM;
    }
    if (mkdir(sub, 0777) == 0) {
      st = tp_grow((void **)&d->subdirs, &d->subcap, d->nsub + 1, sizeof *d->subdirs);
      if (st == TP_OK) st = remember_slot(d, tp_temp_register(sub, 1));
      if (st == TP_OK) {
        d->subdirs[d->nsub++] = sub;
        continue;
      }
      rmdir(sub);
    } else if (errno == EEXIST) {
      free(sub);
      continue;
    } else {
      st = tp_error_errno(TP_EIO, errno, "%s: cannot create output folder", sub);
    }
    free(sub);
    free(tmp);
    return st;
  }
  st = remember_slot(d, tp_temp_register(tmp, 0));
  if (st != TP_OK) {
    free(tmp);
    return st;
  }
  *path = tmp;
  return TP_OK;
}

/* ---- commit ------------------------------------------------------------------ */

/* The temporary folder's subfolders deepest first, then the folder: each
 * synced once, after everything in it. */
static tp_status sync_tree(tp_outdir *d) {
  size_t i;
  tp_status st = TP_OK;
  /* a subfolder is made after its parent, so backwards is children first */
  for (i = d->nsub; st == TP_OK && i > 0; i--) st = sync_path(d->subdirs[i - 1]);
  if (st == TP_OK && fsync(d->lock_fd) != 0 && errno != EINVAL && errno != ENOTSUP)
    st = tp_error_errno(TP_EIO, errno, "%s: directory fsync failed", d->tmp_path);
  return st;
}

static void remove_old(const char *path) {
  uint64_t bytes, files;
  if (tp_remove_tree(path, &bytes, &files) != 0)
    tp_notice("could not remove the replaced output, now at %s: %s; remove "
              "it by hand",
              path, strerror(errno));
}

/* Swaps the finished folder with the existing target. */
static tp_status replace_target(tp_outdir *d) {
  struct stat sb;
  int old_fd = -1;
  tp_status st = TP_OK;
  char *aside;
  if (lstat(d->final_path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
    /* the old folder is ours to remove now: keep other runs' sweeps off */
    old_fd = open(d->final_path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (old_fd >= 0) tp_temp_lock(old_fd);
  }
  if (rename_special(d->tmp_path, d->final_path, SWAP_EXCHANGE) == 0) {
    /* the old target now has the temporary name */
    tp_test_pause_at("swapped");
    if (!(d->flags & TP_OUT_NO_SYNC)) st = tp_sync_parent_dir(d->final_path);
    remove_old(d->tmp_path);
    if (old_fd >= 0) close(old_fd);
    return st;
  }
  /* not here, or not for these two (a filesystem without it, a folder and
   * a link): the portable way, the old one aside under our suffix */
  aside = tp_asprintf("%s/.%s.old.%s", d->parent, d->base,
                      d->tmp_path + strlen(d->tmp_path) - TP_TEMP_SUFFIX_LEN);
  if (!aside) {
    if (old_fd >= 0) close(old_fd);
    return TP_ENOMEM;
  }
  {
    bool armed = tp_temp_swap_arm(aside, d->final_path);
    if (rename(d->final_path, aside) != 0) {
      st = tp_error_errno(TP_EIO, errno, "cannot move %s aside to %s",
                          d->final_path, aside);
    } else {
      tp_test_pause_at("aside");
      if (rename(d->tmp_path, d->final_path) != 0) {
        int e = errno;
        rename(aside, d->final_path); /* put the old one back */
        st = tp_error_errno(TP_EIO, e, "cannot rename %s to %s", d->tmp_path,
                            d->final_path);
      }
    }
    if (armed) tp_temp_swap_disarm();
  }
  if (st == TP_OK) {
    tp_test_pause_at("swapped");
    if (!(d->flags & TP_OUT_NO_SYNC)) st = tp_sync_parent_dir(d->final_path);
    remove_old(aside);
  }
  free(aside);
  if (old_fd >= 0) close(old_fd);
  return st;
}

tp_status tp_outdir_commit(tp_outdir *d) {
  tp_status st = TP_OK;
  struct stat sb;
  bool placed = false;
  if (!(d->flags & TP_OUT_NO_SYNC)) st = sync_tree(d);
  if (st == TP_OK) tp_test_pause_at("folder-synced");
  if (st == TP_OK && tp_cancel_requested())
    st = tp_error(TP_ECANCELED, "cancelled before the output was put in place");
  /* the target is checked again: it may have changed since the start */
  if (st == TP_OK) st = tp_outdir_check_target(d->final_path, d->flags);
  if (st == TP_OK && lstat(d->final_path, &sb) != 0 && errno == ENOENT) {
    int e = rename_special(d->tmp_path, d->final_path, SWAP_NOREPLACE) == 0 ? 0 : errno;
    if (e && !name_taken(e)) e = rename(d->tmp_path, d->final_path) == 0 ? 0 : errno;
    if (!e) {
      placed = true;
      tp_test_pause_at("swapped");
      if (!(d->flags & TP_OUT_NO_SYNC)) st = tp_sync_parent_dir(d->final_path);
    } else if (name_taken(e)) {
      /* appeared meanwhile: replaced only where that is allowed */
      st = tp_outdir_check_target(d->final_path, d->flags);
    } else {
      st = tp_error_errno(TP_EIO, e, "cannot rename %s to %s", d->tmp_path,
                          d->final_path);
    }
  }
  if (st == TP_OK && !placed) {
    st = replace_target(d);
    placed = st == TP_OK;
  }
  if (st == TP_OK) tp_test_pause_at("done");
  if (!placed) {
    tp_outdir_abort(d);
    return st;
  }
  free_outdir(d);
  return st;
}

void tp_outdir_abort(tp_outdir *d) {
  if (!d) return;
  if (d->tmp_path && d->lock_fd >= 0) tp_remove_tree(d->tmp_path, NULL, NULL);
  else if (d->tmp_path) rmdir(d->tmp_path);
  free_outdir(d);
}
