/*
 * outfile.c - atomic output files.
 *
 * Data goes to a temporary file in the target's directory (".NAME.tmp.XXXXXX",
 * so rename stays within one filesystem). Space is reserved first so that
 * ENOSPC shows before gigabytes are written. Commit = fsync, close (checked),
 * rename, fsync of the directory. A failed fsync is fatal and never retried.
 * Open temporary names are kept in a fixed table that a signal handler may
 * walk with unlink() only (async-signal-safe).
 */
#define _GNU_SOURCE
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef PATH_MAX
#  define PATH_MAX 4096
#endif

#define TP_MAX_OPEN_OUTPUTS 256

struct tp_outfile {
  int fd;
  unsigned flags;
  char *final_path;
  char *tmp_path;
  char *dir;
  int slot;
};

/* Signal-safe registry of temporary names. A slot is "live" while its flag
 * is 1; the handler only reads complete strings of live slots. */
static char g_tmp_names[TP_MAX_OPEN_OUTPUTS][PATH_MAX];
static volatile sig_atomic_t g_tmp_live[TP_MAX_OPEN_OUTPUTS];
static pthread_mutex_t g_tmp_lock = PTHREAD_MUTEX_INITIALIZER;

static int register_tmp(const char *path) {
  int i, slot = -1;
  if (strlen(path) >= PATH_MAX) return -1;
  pthread_mutex_lock(&g_tmp_lock);
  for (i = 0; i < TP_MAX_OPEN_OUTPUTS; i++) {
    if (!g_tmp_live[i]) {
      strcpy(g_tmp_names[i], path);
      g_tmp_live[i] = 1;
      slot = i;
      break;
    }
  }
  pthread_mutex_unlock(&g_tmp_lock);
  return slot;
}

static void unregister_tmp(int slot) {
  if (slot < 0) return;
  pthread_mutex_lock(&g_tmp_lock);
  g_tmp_live[slot] = 0;
  pthread_mutex_unlock(&g_tmp_lock);
}

void tp_cleanup_temp_files_signal_safe(void) {
  int i;
  for (i = 0; i < TP_MAX_OPEN_OUTPUTS; i++)
    if (g_tmp_live[i]) unlink(g_tmp_names[i]);
}

static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return tp_strdup(".");
  if (slash == path) return tp_strdup("/");
  return tp_strndup(path, (size_t)(slash - path));
}

static const char *base_of(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

static tp_status reserve_space(int fd, uint64_t size, const char *tmp) {
  if (size == 0) return TP_OK;
#if defined(__linux__)
  {
    int r;
    do {
      r = fallocate(fd, 0, 0, (off_t)size);
    } while (r != 0 && errno == EINTR);
    if (r == 0) return TP_OK;
    if (errno == ENOSPC || errno == EDQUOT || errno == EFBIG)
      return tp_error_errno(TP_EIO, errno,
                            "%s: cannot reserve %llu bytes for the output",
                            tmp, (unsigned long long)size);
    /* EOPNOTSUPP and friends: fall through to a plain size change */
  }
#endif
  if (ftruncate(fd, (off_t)size) != 0)
    return tp_error_errno(TP_EIO, errno, "%s: cannot set size to %llu", tmp,
                          (unsigned long long)size);
  return TP_OK;
}

tp_status tp_outfile_create(tp_outfile **out, const char *final_path,
                            uint64_t size, unsigned flags) {
  tp_outfile *f;
  tp_status st;
  struct stat sb;
  *out = NULL;
  if (!final_path || !*final_path)
    return tp_error(TP_EINVAL, "empty output path");
  if (lstat(final_path, &sb) == 0) {
    if (S_ISDIR(sb.st_mode))
      return tp_error(TP_EEXISTS, "%s: output path is a directory",
                      final_path);
    if (!(flags & TP_OUT_FORCE))
      return tp_error(TP_EEXISTS,
                      "%s: output exists (use --force to overwrite)",
                      final_path);
  }
  f = tp_calloc(1, sizeof *f);
  if (!f) return TP_ENOMEM;
  f->fd = -1;
  f->slot = -1;
  f->flags = flags;
  f->final_path = tp_strdup(final_path);
  f->dir = dir_of(final_path);
  if (!f->final_path || !f->dir) {
    tp_outfile_abort(f);
    return TP_ENOMEM;
  }
  f->tmp_path = tp_asprintf("%s/.%s.tmp.XXXXXX", f->dir, base_of(final_path));
  if (!f->tmp_path) {
    tp_outfile_abort(f);
    return TP_ENOMEM;
  }
  f->fd = mkostemp(f->tmp_path, O_CLOEXEC);
  if (f->fd < 0) {
    int e = errno;
    tp_error_errno(e == ENOENT ? TP_ENOTFOUND : TP_EIO, e,
                   "%s: cannot create a temporary file in %s", final_path,
                   f->dir);
    free(f->tmp_path);
    f->tmp_path = NULL;
    tp_outfile_abort(f);
    return tp_last_status();
  }
  f->slot = register_tmp(f->tmp_path);
  {
    mode_t um = umask(0);
    umask(um);
    fchmod(f->fd, 0666 & ~um);
  }
  st = reserve_space(f->fd, size, f->tmp_path);
  if (st != TP_OK) {
    tp_outfile_abort(f);
    return st;
  }
  *out = f;
  return TP_OK;
}

/* Starts write-back of the whole pages in [off, off+len) without waiting
 * for it. When the output is synced at commit, this overlaps the disk
 * writes with the rest of the conversion instead of leaving all of them to
 * the final fsync (which alone still guarantees durability: errors of this
 * early write-back are reported by that fsync). Pages only partly covered
 * are left to neighbouring writes, so they are not written twice. */
static void start_writeback(tp_outfile *f, uint64_t off, size_t len) {
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
  const uint64_t page = 4096;
  uint64_t a = (off + page - 1) / page * page, b = (off + len) / page * page;
  if (b > a) sync_file_range(f->fd, (off_t)a, (off_t)(b - a), SYNC_FILE_RANGE_WRITE);
#else
  (void)f;
  (void)off;
  (void)len;
#endif
}

tp_status tp_outfile_write(tp_outfile *f, uint64_t off, const void *buf,
                           size_t len) {
  const uint8_t *p = (const uint8_t *)buf;
  uint64_t off0 = off;
  size_t len0 = len;
  while (len > 0) {
    ssize_t n = pwrite(f->fd, p, len, (off_t)off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return tp_error_errno(TP_EIO, errno, "writing %s at offset %llu",
                            f->tmp_path, (unsigned long long)off);
    }
    if (n == 0)
      return tp_error(TP_EIO, "writing %s at offset %llu: no progress",
                      f->tmp_path, (unsigned long long)off);
    p += n;
    off += (uint64_t)n;
    len -= (size_t)n;
  }
  if (!(f->flags & TP_OUT_NO_SYNC)) start_writeback(f, off0, len0);
  return TP_OK;
}

tp_status tp_outfile_read(tp_outfile *f, uint64_t off, void *buf, size_t len) {
  uint8_t *p = (uint8_t *)buf;
  while (len > 0) {
    ssize_t n = pread(f->fd, p, len, (off_t)off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return tp_error_errno(TP_EIO, errno, "reading back %s at offset %llu",
                            f->tmp_path, (unsigned long long)off);
    }
    if (n == 0)
      return tp_error(TP_EIO, "reading back %s: short file at offset %llu",
                      f->tmp_path, (unsigned long long)off);
    p += n;
    off += (uint64_t)n;
    len -= (size_t)n;
  }
  return TP_OK;
}

const char *tp_outfile_final_path(const tp_outfile *f) { return f->final_path; }
int tp_outfile_fd(const tp_outfile *f) { return f->fd; }
const char *tp_outfile_temp_path(const tp_outfile *f) { return f->tmp_path; }

static void outfile_free(tp_outfile *f) {
  free(f->final_path);
  free(f->tmp_path);
  free(f->dir);
  free(f);
}

void tp_outfile_abort(tp_outfile *f) {
  if (!f) return;
  if (f->fd >= 0) close(f->fd);
  if (f->tmp_path && f->fd >= 0) unlink(f->tmp_path);
  unregister_tmp(f->slot);
  outfile_free(f);
}

static int full_sync(int fd) {
#if defined(__APPLE__) && defined(F_FULLFSYNC)
  if (fcntl(fd, F_FULLFSYNC) == 0) return 0;
#endif
  return fsync(fd);
}

/* Removes a handle's temporary file (if still there) and frees it. */
static void drop(tp_outfile *f) {
  if (f->fd >= 0) close(f->fd);
  f->fd = -1;
  if (f->tmp_path) unlink(f->tmp_path);
  unregister_tmp(f->slot);
  outfile_free(f);
}

static tp_status sync_dir(const char *dir) {
  int dfd = open(dir, O_RDONLY | O_CLOEXEC | O_DIRECTORY);
  if (dfd >= 0) {
    int r = fsync(dfd);
    int e = errno;
    close(dfd);
    /* some filesystems refuse fsync on directories (EINVAL): not an error */
    if (r != 0 && e != EINVAL && e != EBADF && e != ENOTSUP)
      return tp_error_errno(TP_EIO, e, "%s: directory fsync failed", dir);
  }
  return TP_OK;
}

tp_status tp_outfile_commit_all(tp_outfile **files, size_t n) {
  tp_status st = TP_OK;
  size_t i, k, renamed = 0;
  /* 1. every file synced and closed: nothing is renamed unless all are */
  for (i = 0; st == TP_OK && i < n; i++) {
    tp_outfile *f = files[i];
    int fd;
    if (!f) continue;
    fd = f->fd;
    f->fd = -1;
    if (!(f->flags & TP_OUT_NO_SYNC) && full_sync(fd) != 0) {
      int e = errno;
      close(fd);
      st = tp_error_errno(TP_EIO, e, "%s: fsync failed", f->tmp_path);
    } else if (close(fd) != 0) {
      st = tp_error_errno(TP_EIO, errno, "%s: close failed", f->tmp_path);
    }
  }
  /* 2. renamed in the caller's order */
  for (i = 0; st == TP_OK && i < n; i++) {
    tp_outfile *f = files[i];
    if (!f) continue;
    if (rename(f->tmp_path, f->final_path) != 0) {
      st = tp_error_errno(TP_EIO, errno, "cannot rename %s to %s", f->tmp_path,
                          f->final_path);
      break;
    }
    unregister_tmp(f->slot);
    f->slot = -1;
    free(f->tmp_path);
    f->tmp_path = NULL;
    renamed = i + 1;
  }
  /* 3. each folder synced once, after all its renames */
  for (i = 0; st == TP_OK && i < renamed; i++) {
    tp_outfile *f = files[i];
    bool seen = false;
    if (!f || (f->flags & TP_OUT_NO_SYNC)) continue;
    for (k = 0; k < i && !seen; k++)
      seen = files[k] && !(files[k]->flags & TP_OUT_NO_SYNC) &&
             strcmp(files[k]->dir, f->dir) == 0;
    if (!seen) st = sync_dir(f->dir);
  }
  for (i = 0; i < n; i++) {
    if (files[i]) drop(files[i]);
    files[i] = NULL;
  }
  return st;
}

tp_status tp_outfile_commit(tp_outfile *f) {
  return tp_outfile_commit_all(&f, 1);
}

tp_status tp_sync_parent_dir(const char *path) {
  char *dir = dir_of(path);
  tp_status st;
  if (!dir) return TP_ENOMEM;
  st = sync_dir(dir);
  free(dir);
  return st;
}
