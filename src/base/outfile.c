/*
 * outfile.c - atomic output files.
 *
 * Data goes to a temporary file in the target's directory, so that the
 * final step stays within one filesystem. On Linux that file is unnamed
 * (O_TMPFILE): a killed process leaves nothing, and the commit links it
 * in. Elsewhere, or where the filesystem refuses O_TMPFILE, it is
 * ".NAME.tmp.XXXXXX", locked by its owner for as long as the name exists,
 * so that the next run on the same target can tell a dead owner's file
 * from a live one and remove it (tempfiles.c). Space is reserved first so
 * that ENOSPC shows before gigabytes are written. Commit = fsync, close
 * (checked), link or rename, fsync of the directory. A failed fsync is
 * fatal and never retried. Named temporaries are registered for the
 * signal-safe cleanup.
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

struct tp_outfile {
  int fd;
  int hold;         /* a duplicate kept open between close and placement:
                       it keeps the owner's lock and names the unnamed file */
  unsigned flags;
  int unnamed;      /* O_TMPFILE: no name until the commit links it */
  char *final_path;
  char *tmp_path;   /* the temporary's name; NULL while it has none */
  char *dir;
  int slot;         /* signal-safe registry slot of tmp_path, or -1 */
};

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

const char *tp_outfile_name(const tp_outfile *f) {
  return f->tmp_path ? f->tmp_path : f->final_path;
}

static tp_status reserve_space(int fd, uint64_t size, const char *name) {
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
                            name, (unsigned long long)size);
    /* EOPNOTSUPP and friends: fall through to a plain size change */
  }
#endif
  if (ftruncate(fd, (off_t)size) != 0)
    return tp_error_errno(TP_EIO, errno, "%s: cannot set size to %llu", name,
                          (unsigned long long)size);
  return TP_OK;
}

/* An unnamed file in f->dir, where the platform and filesystem have one;
 * false otherwise (the named temporary is the fallback). */
static bool open_unnamed(tp_outfile *f) {
#if defined(__linux__) && defined(O_TMPFILE)
  int fd;
  if (tp_test_portable()) return false;
  /* the commit links the file in through /proc (linkat with AT_EMPTY_PATH
   * would need CAP_DAC_READ_SEARCH) */
  if (access("/proc/self/fd", X_OK) != 0) return false;
  /* EOPNOTSUPP (filesystems without it), EISDIR (kernels before 3.11) */
  fd = open(f->dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0666);
  if (fd < 0) return false;
  /* locked now, so that it is locked whenever it has a name */
  tp_temp_lock(fd);
  f->fd = fd;
  f->unnamed = 1;
  return true;
#else
  (void)f;
  return false;
#endif
}

/* ".NAME.tmp.XXXXXX", created exclusively and locked by its owner. */
static tp_status open_named(tp_outfile *f) {
  size_t n;
  int tries, e = 0;
  f->tmp_path = tp_asprintf("%s/.%s.tmp.XXXXXX", f->dir, base_of(f->final_path));
  if (!f->tmp_path) return TP_ENOMEM;
  n = strlen(f->tmp_path);
  for (tries = 0; tries < 100; tries++) {
    int oflags = O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC;
#ifdef O_EXLOCK
    oflags |= O_EXLOCK; /* created and locked in one step (BSD, macOS) */
#endif
    tp_temp_fill_suffix(f->tmp_path + n - TP_TEMP_SUFFIX_LEN);
    f->fd = open(f->tmp_path, oflags, 0666);
    if (f->fd >= 0) break;
    e = errno;
    if (e != EEXIST) break;
  }
  if (f->fd < 0) {
    tp_error_errno(e == ENOENT ? TP_ENOTFOUND : TP_EIO, e,
                   "%s: cannot create a temporary file in %s", f->final_path,
                   f->dir);
    free(f->tmp_path);
    f->tmp_path = NULL;
    return tp_last_status();
  }
#ifndef O_EXLOCK
  tp_temp_lock(f->fd);
#endif
  f->slot = tp_temp_register(f->tmp_path, 0);
  return TP_OK;
}

/* Inside a temporary folder of ours: the file gets its final name there. */
static tp_status open_direct(tp_outfile *f) {
  f->fd = open(f->final_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (f->fd < 0) {
    int e = errno;
    return tp_error_errno(e == ENOENT ? TP_ENOTFOUND : TP_EIO, e,
                          "%s: cannot create", f->final_path);
  }
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
  f->hold = -1;
  f->slot = -1;
  f->flags = flags;
  f->final_path = tp_strdup(final_path);
  f->dir = dir_of(final_path);
  if (!f->final_path || !f->dir) {
    tp_outfile_abort(f);
    return TP_ENOMEM;
  }
  if (flags & TP_OUT_IN_NEW_DIR) {
    st = open_direct(f);
  } else {
    tp_temp_sweep(f->dir, base_of(final_path));
    st = open_unnamed(f) ? TP_OK : open_named(f);
  }
  if (st == TP_OK) st = reserve_space(f->fd, size, tp_outfile_name(f));
  if (st != TP_OK) {
    tp_outfile_abort(f);
    return st;
  }
  if (!(flags & TP_OUT_IN_NEW_DIR)) tp_test_pause_at("created");
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
                            tp_outfile_name(f), (unsigned long long)off);
    }
    if (n == 0)
      return tp_error(TP_EIO, "writing %s at offset %llu: no progress",
                      tp_outfile_name(f), (unsigned long long)off);
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
                            tp_outfile_name(f), (unsigned long long)off);
    }
    if (n == 0)
      return tp_error(TP_EIO, "reading back %s: short file at offset %llu",
                      tp_outfile_name(f), (unsigned long long)off);
    p += n;
    off += (uint64_t)n;
    len -= (size_t)n;
  }
  return TP_OK;
}

const char *tp_outfile_final_path(const tp_outfile *f) { return f->final_path; }
int tp_outfile_fd(const tp_outfile *f) { return f->fd; }
const char *tp_outfile_temp_path(const tp_outfile *f) { return f->tmp_path; }

/* Closes the descriptors, removes the temporary (if it still has a name of
 * its own) and frees the handle. */
static void drop(tp_outfile *f) {
  if (f->fd >= 0) close(f->fd);
  if (f->hold >= 0) close(f->hold);
  if (f->tmp_path) unlink(f->tmp_path);
  else if ((f->flags & TP_OUT_IN_NEW_DIR) && f->final_path) unlink(f->final_path);
  tp_temp_unregister(f->slot);
  free(f->final_path);
  free(f->tmp_path);
  free(f->dir);
  free(f);
}

void tp_outfile_abort(tp_outfile *f) {
  if (f) drop(f);
}

static int full_sync(int fd) {
#if defined(__APPLE__) && defined(F_FULLFSYNC)
  if (fcntl(fd, F_FULLFSYNC) == 0) return 0;
#endif
  return fsync(fd);
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

/* Syncs and closes the data descriptor (both checked). What must outlive
 * the close (the owner's lock, the way to name an unnamed file) is kept
 * in f->hold, a duplicate of the same open file. */
static tp_status finish_data(tp_outfile *f) {
  int fd = f->fd;
  f->fd = -1;
  if (!(f->flags & TP_OUT_NO_SYNC) && full_sync(fd) != 0) {
    int e = errno;
    close(fd);
    return tp_error_errno(TP_EIO, e, "%s: fsync failed", tp_outfile_name(f));
  }
  if (!(f->flags & TP_OUT_IN_NEW_DIR)) {
    f->hold = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (f->hold < 0) {
      int e = errno;
      close(fd);
      return tp_error_errno(TP_EIO, e, "%s: cannot duplicate descriptor",
                            tp_outfile_name(f));
    }
  }
  if (close(fd) != 0)
    return tp_error_errno(TP_EIO, errno, "%s: close failed", tp_outfile_name(f));
  return TP_OK;
}

#if defined(__linux__) && defined(O_TMPFILE)
static int link_unnamed(int fd, const char *to) {
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  return linkat(AT_FDCWD, proc, AT_FDCWD, to, AT_SYMLINK_FOLLOW);
}
#endif

/* Gives an unnamed file its place: straight at the target when nothing may
 * be there (linkat never replaces: an output that appeared meanwhile is
 * kept), else under a temporary name that is then renamed over the target. */
static tp_status place_unnamed(tp_outfile *f) {
#if defined(__linux__) && defined(O_TMPFILE)
  size_t n;
  int tries, e = 0;
  if (!(f->flags & TP_OUT_FORCE)) {
    if (link_unnamed(f->hold, f->final_path) == 0) return TP_OK;
    e = errno;
    if (e == EEXIST)
      return tp_error(TP_EEXISTS,
                      "%s: output appeared during the conversion (use "
                      "--force to overwrite)",
                      f->final_path);
    return tp_error_errno(TP_EIO, e, "cannot link the new file to %s",
                          f->final_path);
  }
  f->tmp_path = tp_asprintf("%s/.%s.tmp.XXXXXX", f->dir, base_of(f->final_path));
  if (!f->tmp_path) return TP_ENOMEM;
  n = strlen(f->tmp_path);
  for (tries = 0; tries < 100; tries++) {
    tp_temp_fill_suffix(f->tmp_path + n - TP_TEMP_SUFFIX_LEN);
    e = link_unnamed(f->hold, f->tmp_path) == 0 ? 0 : errno;
    if (e != EEXIST) break;
  }
  if (e) {
    free(f->tmp_path);
    f->tmp_path = NULL;
    return tp_error_errno(TP_EIO, e ? e : EEXIST, "cannot link the new file beside %s",
                          f->final_path);
  }
  f->slot = tp_temp_register(f->tmp_path, 0);
  tp_test_pause_at("linked");
  /* fall through to the rename of the now named temporary */
  if (rename(f->tmp_path, f->final_path) != 0)
    return tp_error_errno(TP_EIO, errno, "cannot rename %s to %s", f->tmp_path,
                          f->final_path);
  return TP_OK;
#else
  return tp_error(TP_EINVAL, "internal: unnamed output %s", f->final_path);
#endif
}

tp_status tp_outfile_commit_all(tp_outfile **files, size_t n) {
  tp_status st = TP_OK;
  size_t i, k, placed = 0;
  /* 1. every file synced and closed: nothing is placed unless all are */
  for (i = 0; st == TP_OK && i < n; i++)
    if (files[i]) st = finish_data(files[i]);
  if (st == TP_OK) tp_test_pause_at("synced");
  /* the last moment a cancellation (a signal during the final sync) can
   * still leave the target as it was */
  if (st == TP_OK && tp_cancel_requested())
    st = tp_error(TP_ECANCELED, "cancelled before the output was put in place");
  /* 2. placed in the caller's order */
  for (i = 0; st == TP_OK && i < n; i++) {
    tp_outfile *f = files[i];
    if (!f) continue;
    if (f->flags & TP_OUT_IN_NEW_DIR) {
      /* its folder is put in place as a whole */
    } else if (f->unnamed) {
      st = place_unnamed(f);
    } else if (rename(f->tmp_path, f->final_path) != 0) {
      st = tp_error_errno(TP_EIO, errno, "cannot rename %s to %s", f->tmp_path,
                          f->final_path);
    }
    if (st != TP_OK) break;
    tp_temp_unregister(f->slot);
    f->slot = -1;
    free(f->tmp_path);
    f->tmp_path = NULL;
    f->flags &= ~TP_OUT_IN_NEW_DIR; /* done: not to be removed */
    placed = i + 1;
  }
  if (st == TP_OK) tp_test_pause_at("renamed");
  /* 3. each folder synced once, after all its entries */
  for (i = 0; st == TP_OK && i < placed; i++) {
    tp_outfile *f = files[i];
    bool seen = false;
    if (!f || (f->flags & TP_OUT_NO_SYNC) || f->hold < 0) continue;
    for (k = 0; k < i && !seen; k++)
      seen = files[k] && !(files[k]->flags & TP_OUT_NO_SYNC) &&
             files[k]->hold >= 0 && strcmp(files[k]->dir, f->dir) == 0;
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
