/*
 * tempfiles.c - what the file and folder writers (outfile.c, outdir.c)
 * share about temporaries: their names beside the target
 * (".NAME.tmp.XXXXXX", and ".NAME.old.XXXXXX" for a replaced folder moved
 * aside), the owner's lock, the sweep that removes what dead runs left, a
 * recursive remove that never follows a symbolic link, the registry that an
 * interrupt handler walks with async-signal-safe calls only, and two test
 * hooks.
 *
 * Ownership: the process that creates a named temporary holds an exclusive
 * flock(2) on it (the file, or the folder) for as long as the name exists.
 * A later run on the same target that can take the lock knows the owner is
 * dead: it removes the temporary, or puts back a folder that a killed swap
 * had moved aside, and says so through a notice (tp_notice). Only names
 * that match the pattern for that target exactly are ever touched.
 */
#define _GNU_SOURCE
#include "io.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef PATH_MAX
#  define PATH_MAX 4096
#endif

/* ---- test hooks ---------------------------------------------------------- */

void tp_test_pause_at(const char *step) {
  const char *s = getenv("TP_TEST_PAUSE_AT");
  if (s && !strcmp(s, step)) raise(SIGSTOP);
}

bool tp_test_portable(void) {
  const char *s = getenv("TP_TEST_PORTABLE");
  return s && *s && strcmp(s, "0") != 0;
}

/* ---- names ------------------------------------------------------------------ */

static const char g_alnum[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

void tp_temp_fill_suffix(char *six) {
  static atomic_uint_fast64_t counter;
  struct timespec ts;
  uint64_t x;
  int i;
  clock_gettime(CLOCK_REALTIME, &ts);
  x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
      ((uint64_t)getpid() << 16) ^ (uint64_t)(uintptr_t)six ^
      (atomic_fetch_add(&counter, 1) * 0x9E3779B97F4A7C15ull);
  /* splitmix64 finaliser: the inputs above differ in few bits */
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  for (i = 0; i < TP_TEMP_SUFFIX_LEN; i++) {
    six[i] = g_alnum[x % (sizeof g_alnum - 1)];
    x /= sizeof g_alnum - 1;
  }
}

/* Which of our names for target base is name: 't' (.base.tmp.XXXXXX), 'o'
 * (.base.old.XXXXXX) or 0. *suffix gets the XXXXXX part. */
static char temp_kind(const char *name, const char *base, const char **suffix) {
  size_t bl = strlen(base), i;
  const char *s;
  char kind;
  if (name[0] != '.' || strncmp(name + 1, base, bl) != 0) return 0;
  s = name + 1 + bl;
  if (!strncmp(s, ".tmp.", 5)) kind = 't';
  else if (!strncmp(s, ".old.", 5)) kind = 'o';
  else return 0;
  s += 5;
  for (i = 0; i < TP_TEMP_SUFFIX_LEN; i++)
    if (!s[i] || !strchr(g_alnum, s[i])) return 0;
  if (s[TP_TEMP_SUFFIX_LEN]) return 0;
  *suffix = s;
  return kind;
}

/* ---- locks ------------------------------------------------------------------- */

int tp_temp_lock(int fd) {
  int r;
  do {
    r = flock(fd, LOCK_EX | LOCK_NB);
  } while (r != 0 && errno == EINTR);
  return r;
}

/* Opens path (a regular file or a real folder, never through a link) and
 * tries to take its owner's lock. Returns 1 when a live owner holds it, 0
 * when the lock is now ours (*held is the descriptor, *sb its status), -1
 * when this cannot be told (absent, another kind of file, no access). */
static int probe(const char *path, int *held, struct stat *sb) {
  struct stat fsb;
  int fd;
  *held = -1;
  if (lstat(path, sb) != 0) return -1;
  if (!S_ISREG(sb->st_mode) && !S_ISDIR(sb->st_mode)) return -1;
  fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK |
                      (S_ISDIR(sb->st_mode) ? O_DIRECTORY : 0));
  if (fd < 0) return -1;
  if (fstat(fd, &fsb) != 0 || fsb.st_dev != sb->st_dev || fsb.st_ino != sb->st_ino) {
    close(fd);
    return -1;
  }
  if (tp_temp_lock(fd) != 0) {
    int e = errno;
    close(fd);
    return e == EWOULDBLOCK || e == EAGAIN ? 1 : -1;
  }
  *held = fd;
  return 0;
}

bool tp_dir_is_empty(const char *path) {
  DIR *d = opendir(path);
  struct dirent *de;
  bool empty = true;
  if (!d) return false;
  while (empty && (de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) empty = false;
  closedir(d);
  return empty;
}

/* A temporary exists for a moment before its owner locks it (the folder
 * between mkdir and flock; a file where open cannot lock at once). Such a
 * one is still empty: give its owner time to take the lock. */
static bool may_be_unlocked_newborn(const char *path, const struct stat *sb) {
  time_t now = time(NULL);
  if (now - sb->st_ctime > 2) return false;
  return S_ISDIR(sb->st_mode) ? tp_dir_is_empty(path) : sb->st_size == 0;
}

/* probe() that counts a fresh, empty, unlocked temporary as live unless it
 * is still unlocked a moment later. */
static int probe_settled(const char *path, int *held, struct stat *sb) {
  int r = probe(path, held, sb);
  if (r == 0 && may_be_unlocked_newborn(path, sb)) {
    struct timespec wait = {0, 200 * 1000 * 1000};
    close(*held);
    *held = -1;
    nanosleep(&wait, NULL);
    r = probe(path, held, sb);
  }
  return r;
}

/* ---- recursive removal ----------------------------------------------------- */

#define TP_TREE_MAX_DEPTH 64

static int remove_at(int dfd, const char *name, int depth, uint64_t *bytes,
                     uint64_t *files) {
  struct stat sb;
  int fd, failed = 0;
  DIR *d;
  if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
    return errno == ENOENT ? 0 : -1;
  if (!S_ISDIR(sb.st_mode)) {
    if (unlinkat(dfd, name, 0) != 0) return errno == ENOENT ? 0 : -1;
    if (S_ISREG(sb.st_mode)) {
      *bytes += (uint64_t)sb.st_size;
      (*files)++;
    }
    return 0;
  }
  if (depth >= TP_TREE_MAX_DEPTH) {
    errno = ELOOP;
    return -1;
  }
  fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  d = fdopendir(fd);
  if (!d) {
    close(fd);
    return -1;
  }
  /* entries removed while a directory is read may or may not be listed
   * again: read it until a pass finds nothing left to remove */
  for (;;) {
    struct dirent *de;
    size_t removed = 0, seen = 0;
    rewinddir(d);
    while ((de = readdir(d))) {
      if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
      seen++;
      if (remove_at(dirfd(d), de->d_name, depth + 1, bytes, files) == 0) removed++;
      else failed = errno ? errno : EIO;
    }
    if (!seen || !removed) break;
  }
  closedir(d);
  if (unlinkat(dfd, name, AT_REMOVEDIR) != 0) {
    if (errno == ENOENT) return 0;
    if (failed) errno = failed;
    return -1;
  }
  return 0;
}

int tp_remove_tree(const char *path, uint64_t *bytes, uint64_t *files) {
  uint64_t b = 0, f = 0;
  int r = remove_at(AT_FDCWD, path, 0, &b, &f);
  if (bytes) *bytes = b;
  if (files) *files = f;
  return r;
}

/* ---- the sweep ------------------------------------------------------------------ */

#define TP_SWEEP_MAX 256

typedef struct sweep_item {
  char kind; /* 'o' first: an aside folder is put back before its
                half-built successor goes */
  char *name;
} sweep_item;

static int cmp_old_first(const void *a, const void *b) {
  const sweep_item *x = (const sweep_item *)a, *y = (const sweep_item *)b;
  if (x->kind != y->kind) return x->kind == 'o' ? -1 : 1;
  return strcmp(x->name, y->name);
}

static void remove_dead(const char *path, const struct stat *sb,
                        const char *what) {
  uint64_t bytes = 0, files = 0;
  if (tp_remove_tree(path, &bytes, &files) != 0) {
    tp_notice("could not remove %s (%s left by an interrupted run): %s", path,
              what, strerror(errno));
    return;
  }
  if (S_ISDIR(sb->st_mode))
    tp_notice("removed %s (%s left by an interrupted run: %llu file%s, %llu "
              "bytes)",
              path, what, (unsigned long long)files, files == 1 ? "" : "s",
              (unsigned long long)bytes);
  else
    tp_notice("removed %s (%s left by an interrupted run, %llu bytes)", path,
              what, (unsigned long long)bytes);
}

static void sweep_tmp(const char *path) {
  struct stat sb, now;
  int fd;
  if (probe_settled(path, &fd, &sb) != 0) return;
  /* removed only while we hold its lock and the name is still that file */
  if (lstat(path, &now) == 0 && now.st_dev == sb.st_dev && now.st_ino == sb.st_ino)
    remove_dead(path, &sb, S_ISDIR(sb.st_mode) ? "a temporary folder"
                                               : "a temporary file");
  close(fd);
}

/* .base.old.X is a replaced output that the owner of .base.tmp.X moved
 * aside; that owner holds the lock on its new folder, which is still
 * .base.tmp.X or is already the target. */
static void sweep_old(const char *dir, const char *base, const char *suffix,
                      const char *path) {
  char *tmp = tp_asprintf("%s/.%s.tmp.%s", dir, base, suffix);
  char *target = tp_asprintf("%s/%s", dir, base);
  struct stat sb, tsb;
  int fd = -1, r;
  if (!tmp || !target) goto out;
  if (lstat(tmp, &sb) == 0) r = probe(tmp, &fd, &sb);
  else if (lstat(target, &tsb) == 0 && S_ISDIR(tsb.st_mode)) r = probe(target, &fd, &sb);
  else r = 0;
  if (fd >= 0) close(fd);
  if (r != 0) goto out; /* a live owner, or no way to tell */
  if (lstat(path, &sb) != 0) goto out;
  if (lstat(target, &tsb) != 0 && errno == ENOENT) {
    /* killed between moving the old output aside and moving the new one
     * in: the old one is complete, the new one may not be */
    if (rename(path, target) == 0) {
      tp_notice("restored %s from %s, where an interrupted run had moved it "
                "aside",
                target, path);
      tp_sync_parent_dir(target);
    } else {
      tp_notice("could not restore %s from %s (moved aside by an interrupted "
                "run): %s",
                target, path, strerror(errno));
    }
  } else {
    remove_dead(path, &sb, "a replaced output");
  }
out:
  free(tmp);
  free(target);
}

void tp_temp_sweep(const char *dir, const char *base) {
  DIR *d = opendir(dir);
  struct dirent *de;
  sweep_item items[TP_SWEEP_MAX];
  size_t n = 0, i;
  if (!d) return;
  while (n < TP_SWEEP_MAX && (de = readdir(d))) {
    const char *suffix;
    char kind = temp_kind(de->d_name, base, &suffix);
    if (kind) {
      items[n].kind = kind;
      items[n].name = tp_strdup(de->d_name);
      if (items[n].name) n++;
    }
  }
  closedir(d);
  if (n > 1) qsort(items, n, sizeof *items, cmp_old_first);
  for (i = 0; i < n; i++) {
    const char *suffix;
    char *path = tp_asprintf("%s/%s", dir, items[i].name);
    if (path && temp_kind(items[i].name, base, &suffix) == 'o')
      sweep_old(dir, base, suffix, path);
    else if (path)
      sweep_tmp(path);
    free(path);
    free(items[i].name);
  }
}

/* ---- signal-safe registry ---------------------------------------------------- */

/* Slots live in blocks allocated on demand and never freed, so that a
 * signal handler can walk them without locks: a slot is read only while
 * its live flag is set, and the flag is set after the path is complete. */
#define REG_PER_BLOCK 64
#define REG_BLOCKS 1024

typedef struct reg_slot {
  atomic_int live;
  int is_dir;
  char path[PATH_MAX];
} reg_slot;

static reg_slot *_Atomic g_blocks[REG_BLOCKS];
static pthread_mutex_t g_reg_lock = PTHREAD_MUTEX_INITIALIZER;

/* A folder output moved aside during a portable swap: put back by the
 * handler if the process is interrupted before the new one is in place. */
static char g_swap_aside[PATH_MAX], g_swap_target[PATH_MAX];
static atomic_int g_swap_armed;

int tp_temp_register(const char *path, int is_dir) {
  size_t b, i;
  int slot = -1;
  if (strlen(path) >= PATH_MAX) return -1;
  pthread_mutex_lock(&g_reg_lock);
  for (b = 0; b < REG_BLOCKS && slot < 0; b++) {
    reg_slot *blk = atomic_load(&g_blocks[b]);
    if (!blk) {
      blk = calloc(REG_PER_BLOCK, sizeof *blk);
      if (!blk) break;
      atomic_store(&g_blocks[b], blk);
    }
    for (i = 0; i < REG_PER_BLOCK; i++) {
      if (atomic_load(&blk[i].live)) continue;
      strcpy(blk[i].path, path);
      blk[i].is_dir = is_dir;
      atomic_store_explicit(&blk[i].live, 1, memory_order_release);
      slot = (int)(b * REG_PER_BLOCK + i);
      break;
    }
  }
  pthread_mutex_unlock(&g_reg_lock);
  return slot;
}

void tp_temp_unregister(int slot) {
  reg_slot *blk;
  if (slot < 0) return;
  blk = atomic_load(&g_blocks[(size_t)slot / REG_PER_BLOCK]);
  if (blk) atomic_store(&blk[(size_t)slot % REG_PER_BLOCK].live, 0);
}

bool tp_temp_swap_arm(const char *aside, const char *target) {
  bool armed = false;
  pthread_mutex_lock(&g_reg_lock);
  if (!atomic_load(&g_swap_armed) && strlen(aside) < PATH_MAX &&
      strlen(target) < PATH_MAX) {
    strcpy(g_swap_aside, aside);
    strcpy(g_swap_target, target);
    atomic_store_explicit(&g_swap_armed, 1, memory_order_release);
    armed = true;
  }
  pthread_mutex_unlock(&g_reg_lock);
  return armed;
}

void tp_temp_swap_disarm(void) { atomic_store(&g_swap_armed, 0); }

void tp_cleanup_temp_files_signal_safe(void) {
  size_t b, i;
  int pass;
  if (atomic_load_explicit(&g_swap_armed, memory_order_acquire))
    rename(g_swap_aside, g_swap_target);
  for (b = 0; b < REG_BLOCKS; b++) {
    reg_slot *blk = atomic_load(&g_blocks[b]);
    if (!blk) break;
    for (i = 0; i < REG_PER_BLOCK; i++)
      if (atomic_load_explicit(&blk[i].live, memory_order_acquire) && !blk[i].is_dir)
        unlink(blk[i].path);
  }
  /* folders after their contents; a subfolder may sit in any slot, so go
   * round until a pass removes nothing (the depth is small) */
  for (pass = 0; pass < 32; pass++) {
    int removed = 0;
    for (b = 0; b < REG_BLOCKS; b++) {
      reg_slot *blk = atomic_load(&g_blocks[b]);
      if (!blk) break;
      for (i = 0; i < REG_PER_BLOCK; i++)
        if (atomic_load_explicit(&blk[i].live, memory_order_acquire) &&
            blk[i].is_dir && rmdir(blk[i].path) == 0)
          removed++;
    }
    if (!removed) break;
  }
}
