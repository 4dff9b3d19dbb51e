/*
 * infile.c - read-only input files with a pread path and a guarded mmap path.
 *
 * The size is taken once at open and every read is checked against it, so a
 * header claim can never send us past the end. If another process truncates
 * the file meanwhile, pread returns short (reported as TP_ECHANGED) and a
 * mapped read raises SIGBUS, which a thread-local guard turns into the same
 * error instead of killing the process.
 */
#define _GNU_SOURCE
#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct tp_infile {
  int fd;
  char *path;
  uint64_t size;
  uint64_t dev, ino;
  struct timespec mtime;
  const uint8_t *map; /* NULL in pread mode */
  int is_memory;      /* map points at a caller's buffer; fd is -1 */
};

/* ---- SIGBUS guard for mapped reads ------------------------------------- */

static _Thread_local sigjmp_buf *t_bus_jmp;
static _Thread_local volatile sig_atomic_t t_bus_armed;
static struct sigaction g_old_bus;
static pthread_mutex_t g_bus_lock = PTHREAD_MUTEX_INITIALIZER;

static void bus_handler(int sig, siginfo_t *si, void *uc) {
  (void)si;
  (void)uc;
  if (t_bus_armed && t_bus_jmp) {
    t_bus_armed = 0;
    siglongjmp(*t_bus_jmp, 1);
  }
  /* not ours: restore the previous disposition and re-raise */
  sigaction(sig, &g_old_bus, NULL);
  raise(sig);
}

/* Installs the guard's handler unless it is already the current one; the
 * handler it replaces is kept and restored for faults that are not ours.
 * Called before every guarded copy, because an application (or a test
 * framework) may have installed its own SIGBUS handler since. */
static void install_bus_handler(void) {
  struct sigaction cur;
  if (sigaction(SIGBUS, NULL, &cur) == 0 && (cur.sa_flags & SA_SIGINFO) &&
      cur.sa_sigaction == bus_handler)
    return;
  pthread_mutex_lock(&g_bus_lock);
  if (sigaction(SIGBUS, NULL, &cur) != 0 || !(cur.sa_flags & SA_SIGINFO) ||
      cur.sa_sigaction != bus_handler) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = bus_handler;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGBUS, &sa, &g_old_bus);
  }
  pthread_mutex_unlock(&g_bus_lock);
}

static int guarded_copy(void *dst, const void *src, size_t len) {
  sigjmp_buf jb;
  sigjmp_buf *volatile prev = t_bus_jmp;
  install_bus_handler();
  if (sigsetjmp(jb, 1)) {
    t_bus_jmp = prev;
    return -1;
  }
  t_bus_jmp = &jb;
  t_bus_armed = 1;
  /* the copy must not be moved out of the armed window: volatile stores do
     not order ordinary memory accesses, a signal fence does */
  atomic_signal_fence(memory_order_seq_cst);
  memcpy(dst, src, len);
  atomic_signal_fence(memory_order_seq_cst);
  t_bus_armed = 0;
  t_bus_jmp = prev;
  return 0;
}

/* ---- open/close ---------------------------------------------------------- */

/* Takes ownership of fd (closed on failure): checks it is a regular file,
 * records what tp_infile_check_unchanged compares later, maps it if asked. */
static tp_status infile_from_owned_fd(tp_infile **out, int fd, const char *path,
                                      int use_mmap) {
  struct stat st;
  tp_infile *f;
  int fl;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    close(fd);
    return tp_error_errno(TP_EIO, e, "%s: cannot stat", path);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return tp_error(TP_EFORMAT, "%s: not a regular file (%s)", path,
                    S_ISDIR(st.st_mode)    ? "a directory"
                    : S_ISFIFO(st.st_mode) ? "a FIFO"
                    : S_ISCHR(st.st_mode)  ? "a character device"
                    : S_ISBLK(st.st_mode)  ? "a block device"
                                           : "a special file");
  }
  fl = fcntl(fd, F_GETFL);
  if (fl >= 0 && (fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  f = tp_calloc(1, sizeof *f);
  if (!f) {
    close(fd);
    return TP_ENOMEM;
  }
  f->fd = fd;
  f->path = tp_strdup(path);
  if (!f->path) {
    close(fd);
    free(f);
    return TP_ENOMEM;
  }
  f->size = (uint64_t)st.st_size;
  f->dev = (uint64_t)st.st_dev;
  f->ino = (uint64_t)st.st_ino;
#if defined(__APPLE__)
  f->mtime = st.st_mtimespec;
#else
  f->mtime = st.st_mtim;
#endif
  if (use_mmap && f->size > 0 && f->size <= (uint64_t)SIZE_MAX) {
    void *m = mmap(NULL, (size_t)f->size, PROT_READ, MAP_SHARED, fd, 0);
    if (m != MAP_FAILED) {
      f->map = m;
      install_bus_handler();
    }
  }
  *out = f;
  return TP_OK;
}

tp_status tp_infile_open(tp_infile **out, const char *path, int use_mmap) {
  int fd;
  *out = NULL;
  /* O_NONBLOCK so that opening a FIFO never waits for a writer */
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    int e = errno;
    return tp_error_errno(e == ENOENT ? TP_ENOTFOUND : TP_EIO, e,
                          "%s: cannot open", path);
  }
  return infile_from_owned_fd(out, fd, path, use_mmap);
}

tp_status tp_infile_from_fd(tp_infile **out, int fd, const char *name) {
  int d;
  *out = NULL;
  d = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (d < 0)
    return tp_error_errno(TP_EIO, errno, "%s: cannot duplicate descriptor", name);
  return infile_from_owned_fd(out, d, name, 0);
}

tp_status tp_infile_from_memory(tp_infile **out, const void *data, size_t len,
                                const char *name) {
  tp_infile *f = tp_calloc(1, sizeof *f);
  *out = NULL;
  if (!f) return TP_ENOMEM;
  f->fd = -1;
  f->path = tp_strdup(name ? name : "<memory>");
  if (!f->path) {
    free(f);
    return TP_ENOMEM;
  }
  f->size = len;
  f->map = (const uint8_t *)data;
  f->is_memory = 1;
  *out = f;
  return TP_OK;
}

void tp_infile_close(tp_infile *f) {
  if (!f) return;
  if (f->map && !f->is_memory) munmap((void *)f->map, (size_t)f->size);
  if (f->fd >= 0) close(f->fd);
  free(f->path);
  free(f);
}

uint64_t tp_infile_size(const tp_infile *f) { return f->size; }
const char *tp_infile_path(const tp_infile *f) { return f->path; }

void tp_infile_identity(const tp_infile *f, uint64_t *dev, uint64_t *ino) {
  *dev = f->dev;
  *ino = f->ino;
}

void tp_infile_advise_sequential(tp_infile *f) {
#if defined(POSIX_FADV_SEQUENTIAL)
  if (f->fd >= 0) posix_fadvise(f->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#else
  (void)f;
#endif
}

tp_status tp_infile_read(tp_infile *f, uint64_t off, void *buf, size_t len) {
  uint64_t end;
  uint8_t *p = (uint8_t *)buf;
  if (tp_add_overflow_u64(off, len, &end) || end > f->size)
    return tp_error(TP_EFORMAT,
                    "%s: read of %zu bytes at offset %llu is past the end of "
                    "the file (%llu bytes)",
                    f->path, len, (unsigned long long)off,
                    (unsigned long long)f->size);
  if (f->is_memory) {
    memcpy(buf, f->map + off, len);
    return TP_OK;
  }
  if (f->map) {
    if (guarded_copy(buf, f->map + off, len) != 0)
      return tp_error(TP_ECHANGED,
                      "%s: input changed during conversion: the mapped file "
                      "could not be read at offset %llu (truncated by another "
                      "process?)",
                      f->path, (unsigned long long)off);
    return TP_OK;
  }
  while (len > 0) {
    ssize_t n = pread(f->fd, p, len, (off_t)off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return tp_error_errno(TP_EIO, errno, "%s: read failed at offset %llu",
                            f->path, (unsigned long long)off);
    }
    if (n == 0)
      return tp_error(TP_ECHANGED,
                      "%s: input changed during conversion: file ends at "
                      "offset %llu but was %llu bytes when opened",
                      f->path, (unsigned long long)off,
                      (unsigned long long)f->size);
    p += n;
    off += (uint64_t)n;
    len -= (size_t)n;
  }
  return TP_OK;
}

tp_status tp_infile_check_unchanged(tp_infile *f) {
  struct stat st;
  struct timespec mt;
  if (f->is_memory) return TP_OK;
  if (fstat(f->fd, &st) != 0)
    return tp_error_errno(TP_EIO, errno, "%s: cannot stat", f->path);
#if defined(__APPLE__)
  mt = st.st_mtimespec;
#else
  mt = st.st_mtim;
#endif
  if ((uint64_t)st.st_size != f->size || mt.tv_sec != f->mtime.tv_sec ||
      mt.tv_nsec != f->mtime.tv_nsec)
    return tp_error(TP_ECHANGED,
                    "%s: input changed during conversion (size %llu vs %llu "
                    "when opened)",
                    f->path, (unsigned long long)st.st_size,
                    (unsigned long long)f->size);
  return TP_OK;
}

tp_status tp_infile_read_all(tp_infile *f, char **text, size_t *len) {
  char *buf;
  tp_status st;
  *text = NULL;
  *len = 0;
  if (f->size >= SIZE_MAX) return tp_error_nomem(SIZE_MAX);
  buf = tp_malloc((size_t)f->size + 1);
  if (!buf) return TP_ENOMEM;
  st = tp_infile_read(f, 0, buf, (size_t)f->size);
  if (st != TP_OK) {
    free(buf);
    return st;
  }
  buf[f->size] = 0;
  *text = buf;
  *len = (size_t)f->size;
  return TP_OK;
}

bool tp_path_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

bool tp_path_is_link(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
}

bool tp_path_is_dir(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

unsigned tp_cpu_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1u : (unsigned)n;
}

double tp_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}
