/*
 * test_base.c - unit tests of the base layer: error records, checked
 * arithmetic, little-endian loads, input files (regular, empty, directory,
 * FIFO, truncated under us, in memory, over a descriptor), atomic output
 * files (unnamed and named temporaries, commit, abort, refusal to
 * overwrite, signal-safe clean-up), output folders (new, replaced, empty,
 * a link or a file in the way, both swap paths), the sweep of what dead
 * runs left, notices, the thread pool (every item runs once, first error
 * wins with its message, cancellation), the string index, the byte buffer
 * and the UTF-8 decoder.
 */
#define _GNU_SOURCE /* O_TMPFILE, to know whether the system has it */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/base.h"
#include "base/io.h"
#include "base/pool.h"
#include "base/textbuf.h"

#define UNIT_DIR_TAG "base"
#include "unit_dir.h"

static void write_file(const char *path, const void *data, size_t len) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, len, f), len);
  assert_int_equal(fclose(f), 0);
}

/* Entries of folder (g_dir when NULL) whose name contains pattern. */
static int count_in(const char *folder, const char *pattern) {
  char cmd[700];
  FILE *p;
  int n = -1;
  snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -c -- '%s' || true",
           folder ? folder : g_dir, pattern);
  p = popen(cmd, "r");
  assert_non_null(p);
  assert_int_equal(fscanf(p, "%d", &n), 1);
  pclose(p);
  return n;
}

static int count_temp_files(void) { return count_in(NULL, "\\.tmp\\."); }

/* A fresh subfolder of g_dir for one test. */
static void subdir(char *out, size_t n, const char *name) {
  path_in(out, n, name);
  assert_int_equal(mkdir(out, 0755), 0);
}

static void join_to(char *out, size_t n, const char *dir, const char *name) {
  int r = snprintf(out, n, "%s/%s", dir, name);
  assert_true(r > 0 && (size_t)r < n);
}

static char *read_all(const char *path) {
  static char buf[256];
  FILE *f = fopen(path, "rb");
  size_t n;
  if (!f) return NULL;
  n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  return buf;
}

/* Where this system gives unnamed temporaries (Linux O_TMPFILE on a
 * filesystem that has it), the writer must use them unless told not to. */
static bool unnamed_available(const char *dir) {
#if defined(__linux__) && defined(O_TMPFILE)
  int fd = open(dir, O_TMPFILE | O_RDWR, 0600);
  if (fd < 0) return false;
  close(fd);
  return !tp_test_portable();
#else
  (void)dir;
  return false;
#endif
}

static bool notice_mentions(const char *what) {
  for (size_t i = 0; i < tp_notice_count(); i++)
    if (strstr(tp_notice_at(i), what)) return true;
  return false;
}

/* ---- errors -------------------------------------------------------------------- */

static void test_error_record(void **state) {
  (void)state;
  tp_clear_error();
  assert_string_equal(tp_last_error(), "");
  assert_int_equal(tp_error(TP_EFORMAT, "tensor \"%s\": %d vs %d", "w", 4, 8),
                   TP_EFORMAT);
  assert_string_equal(tp_last_error(), "tensor \"w\": 4 vs 8");
  assert_int_equal(tp_last_status(), TP_EFORMAT);
  assert_int_equal(tp_error_prefix("%s: gguf", "m.gguf"), TP_EFORMAT);
  assert_string_equal(tp_last_error(), "m.gguf: gguf: tensor \"w\": 4 vs 8");
  assert_string_equal(tp_strerror(TP_ELIMIT), "resource limit exceeded");
  assert_string_equal(tp_strerror((tp_status)999), "unknown status");
  tp_clear_error();
  assert_int_equal(tp_last_status(), TP_OK);
}

static void *other_thread(void *arg) {
  (void)arg;
  tp_error(TP_EIO, "from the other thread");
  return NULL;
}

static void test_error_is_thread_local(void **state) {
  pthread_t t;
  (void)state;
  tp_error(TP_EFORMAT, "mine");
  assert_int_equal(pthread_create(&t, NULL, other_thread, NULL), 0);
  pthread_join(t, NULL);
  assert_string_equal(tp_last_error(), "mine");
  assert_int_equal(tp_last_status(), TP_EFORMAT);
}

/* The one buffer: text appends, formatted text longer than the stack
 * fast path, binary integers in both byte orders, a latched failure that
 * later appends do not clear, and steal. */
static void test_textbuf(void **state) {
  tp_textbuf b = {0};
  char big[300];
  size_t len;
  char *p;
  uint8_t *bin;
  (void)state;
  tp_textbuf_puts(&b, "ab");
  tp_textbuf_putc(&b, 'c');
  tp_textbuf_fill(&b, '-', 3);
  tp_textbuf_append(&b, "\0z", 2);
  assert_int_equal(b.len, 8);
  assert_memory_equal(b.data, "abc---\0z", 9); /* NUL-terminated */
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  tp_textbuf_printf(&b, "[%s]%d", big, 7);
  assert_int_equal(b.len, 8 + 1 + 299 + 1 + 1);
  assert_string_equal(b.data + b.len - 3, "x]7");
  tp_textbuf_free(&b);

  tp_textbuf_init(&b);
  tp_textbuf_put_u16(&b, 0x0102, false);
  tp_textbuf_put_u16(&b, 0x0102, true);
  tp_textbuf_put_u32(&b, 0x01020304u, false);
  tp_textbuf_put_u32(&b, 0x01020304u, true);
  tp_textbuf_put_u64(&b, 0x0102030405060708ull, false);
  tp_textbuf_put_u64(&b, 0x0102030405060708ull, true);
  bin = tp_textbuf_room(&b, 2);
  assert_non_null(bin);
  bin[0] = 0xAA;
  bin[1] = 0xBB;
  assert_int_equal(b.len, 30);
  assert_memory_equal(b.data,
                      "\x02\x01\x01\x02\x04\x03\x02\x01\x01\x02\x03\x04"
                      "\x08\x07\x06\x05\x04\x03\x02\x01"
                      "\x01\x02\x03\x04\x05\x06\x07\x08\xaa\xbb", 30);
  p = tp_textbuf_steal(&b, &len);
  assert_non_null(p);
  assert_int_equal(len, 30);
  assert_null(b.data);
  assert_int_equal(b.len, 0);
  free(p);

  /* an empty buffer steals as "" */
  p = tp_textbuf_steal(&b, &len);
  assert_non_null(p);
  assert_int_equal(len, 0);
  assert_string_equal(p, "");
  free(p);

  /* the first failure latches: nothing more is appended, steal refuses */
  tp_textbuf_puts(&b, "ok");
  tp_textbuf_printf(&b, "%s", "");
  b.status = TP_ENOMEM;
  tp_textbuf_puts(&b, "lost");
  assert_null(tp_textbuf_room(&b, 4));
  tp_textbuf_put_u32(&b, 1, false);
  assert_int_equal(b.len, 2);
  assert_null(tp_textbuf_steal(&b, &len));
  assert_int_equal(b.status, TP_ENOMEM);
  tp_textbuf_free(&b);
  assert_int_equal(b.status, TP_OK);
}

static void test_utf8_decode(void **state) {
  uint32_t cp = 7;
  (void)state;
  assert_int_equal(tp_utf8_decode((const unsigned char *)"A", 1, &cp), 1);
  assert_int_equal(cp, 'A');
  assert_int_equal(tp_utf8_decode((const unsigned char *)"\xc3\xa9", 2, &cp), 2);
  assert_int_equal(cp, 0xE9);
  assert_int_equal(tp_utf8_decode((const unsigned char *)"\xe2\x82\xac", 3, &cp), 3);
  assert_int_equal(cp, 0x20AC);
  assert_int_equal(tp_utf8_decode((const unsigned char *)"\xf0\x9f\x98\x80", 4, &cp), 4);
  assert_int_equal(cp, 0x1F600);
  cp = 7;
  /* cut short, overlong, surrogate, above U+10FFFF, a stray continuation,
   * and no bytes at all: 0, *cp untouched */
  assert_int_equal(tp_utf8_decode((const unsigned char *)"\xe2\x82\xac", 2, &cp), 0);
  assert_int_equal(tp_utf8_decode((const unsigned char *)"\xc0\x80", 2, &cp), 0);
  assert_int_equal(tp_utf8_decode((const unsigned char *)"\xe0\x80\x80", 3, &cp), 0);
  assert_int_equal(tp_utf8_decode((const unsigned char *)"\xed\xa0\x80", 3, &cp), 0);
  assert_int_equal(tp_utf8_decode((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp), 0);
  assert_int_equal(tp_utf8_decode((const unsigned char *)"\x80", 1, &cp), 0);
  assert_int_equal(tp_utf8_decode((const unsigned char *)"", 0, &cp), 0);
  assert_int_equal(cp, 7);
}

static void test_quote_for_message(void **state) {
  char out[64];
  char big[500];
  (void)state;
  tp_quote_for_message(out, sizeof out, "a\"b\\c\n\0d", 8);
  assert_string_equal(out, "a\\\"b\\\\c\\x0a\\x00d");
  memset(big, 'x', sizeof big);
  tp_quote_for_message(out, sizeof out, big, sizeof big);
  assert_true(strlen(out) < sizeof out);
  assert_non_null(strstr(out, "..."));
  /* valid UTF-8 stays text; invalid bytes, DEL and C1 controls are shown */
  tp_quote_for_message(out, sizeof out, "\xc3\xa9t\xc3\xa9", 5);
  assert_string_equal(out, "\xc3\xa9t\xc3\xa9");
  tp_quote_for_message(out, sizeof out, "a\xff\xc3(\xed\xa0\x80z", 8);
  assert_string_equal(out, "a\\xff\\xc3(\\xed\\xa0\\x80z");
  tp_quote_for_message(out, sizeof out, "\x7f\xc2\x9b[2J", 6);
  assert_string_equal(out, "\\x7f\\u009b[2J");
  /* a cut never splits a character */
  {
    char many[300];
    size_t i;
    for (i = 0; i + 1 < sizeof many; i += 2) {
      many[i] = (char)0xc3;
      many[i + 1] = (char)0xa9;
    }
    tp_quote_for_message(out, sizeof out, many, sizeof many);
    assert_true(tp_utf8_valid(out, strlen(out), NULL));
    assert_non_null(strstr(out, "..."));
  }
}

/* ---- arithmetic and byte order --------------------------------------------------- */

static void test_checked_arithmetic(void **state) {
  uint64_t r;
  size_t s;
  (void)state;
  assert_false(tp_add_overflow_u64(1, 2, &r));
  assert_int_equal(r, 3);
  assert_true(tp_add_overflow_u64(UINT64_MAX, 1, &r));
  assert_false(tp_mul_overflow_u64(1ull << 31, 1ull << 32, &r));
  assert_true(tp_mul_overflow_u64(1ull << 32, 1ull << 32, &r));
  /* the safetensors-cpp proof of concept: this product wraps to 4 */
  assert_true(tp_mul_overflow_u64(4194305ull * 4194305ull, 211106198978564ull, &r));
  assert_true(tp_mul_overflow_size(SIZE_MAX, 2, &s));
  assert_false(tp_align_up_overflow_u64(33, 32, &r));
  assert_int_equal(r, 64);
  assert_false(tp_align_up_overflow_u64(64, 32, &r));
  assert_int_equal(r, 64);
  /* llama.cpp#24759: SIZE_MAX - 3 aligned up to 32 must not wrap to 0 */
  assert_true(tp_align_up_overflow_u64(UINT64_MAX - 3, 32, &r));
  assert_true(tp_is_pow2_u64(1));
  assert_true(tp_is_pow2_u64(1ull << 63));
  assert_false(tp_is_pow2_u64(0));
  assert_false(tp_is_pow2_u64(3));
}

static void test_byte_order(void **state) {
  const uint8_t b[8] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};
  uint8_t o[8];
  uint32_t v[2] = {0x11223344u, 0xaabbccddu};
  (void)state;
  assert_int_equal(tp_load_le16(b), 0x0201);
  assert_int_equal(tp_load_le32(b), 0x04030201u);
  assert_true(tp_load_le64(b) == 0x0807060504030201ull);
  assert_int_equal(tp_load_be16(b), 0x0102);
  assert_int_equal(tp_load_be32(b), 0x01020304u);
  assert_true(tp_load_be64(b) == 0x0102030405060708ull);
  tp_store_le64(o, 0x0807060504030201ull);
  assert_memory_equal(o, b, 8);
  tp_store_be32(o, 0x01020304u);
  assert_memory_equal(o, b, 4);
  /* unaligned loads are fine */
  assert_int_equal(tp_load_le32(b + 1), 0x05040302u);
  tp_byteswap(v, 2, 4);
  assert_int_equal(v[0], 0x44332211u);
  assert_int_equal(v[1], 0xddccbbaau);
}

/* ---- input files ------------------------------------------------------------------ */

static void test_infile_regular_and_bounds(void **state) {
  char p[300];
  tp_infile *f;
  uint8_t buf[8];
  (void)state;
  path_in(p, sizeof p, "in.bin");
  write_file(p, "0123456789", 10);
  for (int use_mmap = 0; use_mmap < 2; use_mmap++) {
    assert_int_equal(tp_infile_open(&f, p, use_mmap), TP_OK);
    assert_int_equal(tp_infile_size(f), 10);
    assert_int_equal(tp_infile_read(f, 2, buf, 4), TP_OK);
    assert_memory_equal(buf, "2345", 4);
    /* a read past the end is refused with the numbers, never performed */
    assert_int_equal(tp_infile_read(f, 8, buf, 4), TP_EFORMAT);
    assert_non_null(strstr(tp_last_error(), "past the end"));
    assert_non_null(strstr(tp_last_error(), "(10 bytes)"));
    assert_int_equal(tp_infile_read(f, UINT64_MAX - 1, buf, 4), TP_EFORMAT);
    assert_int_equal(tp_infile_check_unchanged(f), TP_OK);
    tp_infile_close(f);
  }
  tp_infile_close(NULL);
}

static void test_infile_refuses_non_regular(void **state) {
  char p[300];
  tp_infile *f;
  (void)state;
  assert_int_equal(tp_infile_open(&f, g_dir, 0), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "a directory"));
  path_in(p, sizeof p, "fifo");
  assert_int_equal(mkfifo(p, 0600), 0);
  /* must not block waiting for a writer */
  assert_int_equal(tp_infile_open(&f, p, 0), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "a FIFO"));
  assert_int_equal(tp_infile_open(&f, "/dev/zero", 0), TP_EFORMAT);
  assert_non_null(strstr(tp_last_error(), "character device"));
  path_in(p, sizeof p, "missing");
  assert_int_equal(tp_infile_open(&f, p, 0), TP_ENOTFOUND);
}

static void test_infile_shrinks_under_us(void **state) {
  char p[300];
  tp_infile *f;
  uint8_t *buf = malloc(1 << 16);
  (void)state;
  assert_non_null(buf);
  memset(buf, 7, 1 << 16);
  path_in(p, sizeof p, "shrink.bin");
  write_file(p, buf, 1 << 16);
  for (int use_mmap = 0; use_mmap < 2; use_mmap++) {
    write_file(p, buf, 1 << 16);
    assert_int_equal(tp_infile_open(&f, p, use_mmap), TP_OK);
    assert_int_equal(truncate(p, 100), 0);
    /* pread sees a short read; the mapping raises SIGBUS, which the guard
       turns into the same error instead of a crash */
    assert_int_equal(tp_infile_read(f, 8192, buf, 8192), TP_ECHANGED);
    assert_non_null(strstr(tp_last_error(), "changed during conversion"));
    assert_int_equal(tp_infile_check_unchanged(f), TP_ECHANGED);
    tp_infile_close(f);
  }
  free(buf);
}

static void test_infile_memory(void **state) {
  static const char data[] = "hello world";
  tp_infile *f;
  char buf[5];
  (void)state;
  assert_int_equal(tp_infile_from_memory(&f, data, 11, "mem"), TP_OK);
  assert_string_equal(tp_infile_path(f), "mem");
  assert_int_equal(tp_infile_read(f, 6, buf, 5), TP_OK);
  assert_memory_equal(buf, "world", 5);
  assert_int_equal(tp_infile_read(f, 7, buf, 5), TP_EFORMAT);
  tp_infile_close(f);
}

/* ---- output files ----------------------------------------------------------------- */

static void outfile_commit_body(void) {
  char p[300];
  tp_outfile *o;
  struct stat st;
  bool unnamed = unnamed_available(g_dir);
  path_in(p, sizeof p, "out.bin");
  assert_int_equal(tp_outfile_create(&o, p, 10, 0), TP_OK);
  /* nothing at the target until the commit; a named temporary is beside
   * it, an unnamed one nowhere */
  assert_false(tp_path_exists(p));
  if (unnamed) {
    assert_null(tp_outfile_temp_path(o));
    assert_int_equal(count_temp_files(), 0);
    assert_string_equal(tp_outfile_name(o), p);
  } else {
    assert_int_equal(count_temp_files(), 1);
    assert_non_null(strstr(tp_outfile_temp_path(o), "/.out.bin.tmp."));
  }
  assert_int_equal(tp_outfile_write(o, 5, "56789", 5), TP_OK);
  assert_int_equal(tp_outfile_write(o, 0, "01234", 5), TP_OK);
  {
    /* read back before commit through the descriptor (no name needed) */
    tp_infile *in;
    char buf[10];
    assert_int_equal(tp_infile_from_fd(&in, tp_outfile_fd(o), tp_outfile_name(o)), TP_OK);
    assert_int_equal(tp_infile_size(in), 10);
    assert_int_equal(tp_infile_read(in, 0, buf, 10), TP_OK);
    assert_memory_equal(buf, "0123456789", 10);
    tp_infile_close(in);
  }
  assert_int_equal(tp_outfile_commit(o), TP_OK);
  assert_int_equal(stat(p, &st), 0);
  assert_int_equal(st.st_size, 10);
  assert_int_equal(count_temp_files(), 0);
  assert_string_equal(read_all(p), "0123456789");
  /* an existing output is not replaced without TP_OUT_FORCE */
  assert_int_equal(tp_outfile_create(&o, p, 10, 0), TP_EEXISTS);
  assert_non_null(strstr(tp_last_error(), "--force"));
  assert_int_equal(tp_outfile_create(&o, p, 3, TP_OUT_FORCE | TP_OUT_NO_SYNC), TP_OK);
  assert_int_equal(tp_outfile_write(o, 0, "abc", 3), TP_OK);
  assert_int_equal(tp_outfile_commit(o), TP_OK);
  assert_int_equal(stat(p, &st), 0);
  assert_int_equal(st.st_size, 3);
  assert_int_equal(count_temp_files(), 0);
  /* a directory is never a valid output */
  assert_int_equal(tp_outfile_create(&o, g_dir, 3, TP_OUT_FORCE), TP_EEXISTS);
  unlink(p);
}

static void test_outfile_commit(void **state) {
  (void)state;
  outfile_commit_body();
  setenv("TP_TEST_PORTABLE", "1", 1);
  outfile_commit_body();
  unsetenv("TP_TEST_PORTABLE");
}

/* An unnamed file is linked in with linkat, which never replaces: an
 * output that appeared during the conversion is kept (not --force). */
static void test_outfile_unnamed_never_clobbers(void **state) {
  char p[300];
  tp_outfile *o;
  (void)state;
  if (!unnamed_available(g_dir)) skip();
  path_in(p, sizeof p, "appeared.bin");
  assert_int_equal(tp_outfile_create(&o, p, 3, 0), TP_OK);
  assert_int_equal(tp_outfile_write(o, 0, "new", 3), TP_OK);
  write_file(p, "theirs", 6);
  assert_int_equal(tp_outfile_commit(o), TP_EEXISTS);
  assert_non_null(strstr(tp_last_error(), "appeared"));
  assert_string_equal(read_all(p), "theirs");
  assert_int_equal(count_temp_files(), 0);
  unlink(p);
}

static void test_outfile_abort_and_signal_cleanup(void **state) {
  char p[300];
  tp_outfile *a, *b;
  (void)state;
  path_in(p, sizeof p, "aborted.bin");
  assert_int_equal(tp_outfile_create(&a, p, 1000, 0), TP_OK);
  assert_int_equal(tp_outfile_write(a, 0, "x", 1), TP_OK);
  tp_outfile_abort(a);
  assert_false(tp_path_exists(p));
  assert_int_equal(count_temp_files(), 0);
  tp_outfile_abort(NULL);
  /* what a SIGINT handler does: unlink every live named temporary */
  setenv("TP_TEST_PORTABLE", "1", 1);
  path_in(p, sizeof p, "sig1.bin");
  assert_int_equal(tp_outfile_create(&a, p, 10, 0), TP_OK);
  path_in(p, sizeof p, "sig2.bin");
  assert_int_equal(tp_outfile_create(&b, p, 10, 0), TP_OK);
  unsetenv("TP_TEST_PORTABLE");
  assert_int_equal(count_temp_files(), 2);
  tp_cleanup_temp_files_signal_safe();
  assert_int_equal(count_temp_files(), 0);
  tp_outfile_abort(a);
  tp_outfile_abort(b);
}

/* What a killed run leaves is removed by the next run on the same target,
 * and only that: a live owner's file, other targets' files and names that
 * merely look alike stay. */
static void test_sweep_stale_files(void **state) {
  char d[300], p[400], t[400];
  tp_outfile *o;
  int held;
  (void)state;
  subdir(d, sizeof d, "sweep");
  join_to(t, sizeof t, d, "t.bin");
  join_to(p, sizeof p, d, ".t.bin.tmp.AAAAAA");
  write_file(p, "dead run", 8);
  join_to(p, sizeof p, d, ".t.bin.tmp.BBBBBB");
  write_file(p, "live run", 8);
  held = open(p, O_RDONLY);
  assert_true(held >= 0);
  assert_int_equal(flock(held, LOCK_EX | LOCK_NB), 0);
  join_to(p, sizeof p, d, ".t.bin.tmp.GGGGGG"); /* empty, unlocked, new */
  write_file(p, "", 0);
  join_to(p, sizeof p, d, ".t.bin.tmp.CCCCCCC");
  write_file(p, "x", 1);
  join_to(p, sizeof p, d, ".t.bin.tmp.CC-CCC");
  write_file(p, "x", 1);
  join_to(p, sizeof p, d, "t.bin.tmp.DDDDDD");
  write_file(p, "x", 1);
  join_to(p, sizeof p, d, ".u.bin.tmp.EEEEEE");
  write_file(p, "x", 1);
  join_to(p, sizeof p, d, ".t.bin.tmp.FFFFFF");
  assert_int_equal(symlink("t.bin.tmp.DDDDDD", p), 0);
  tp_notices_clear();
  assert_int_equal(tp_outfile_create(&o, t, 1, 0), TP_OK);
  tp_outfile_abort(o);
  assert_int_equal(count_in(d, "AAAAAA"), 0);
  assert_int_equal(count_in(d, "GGGGGG"), 0);
  assert_true(notice_mentions(".t.bin.tmp.AAAAAA"));
  assert_true(notice_mentions("8 bytes"));
  assert_true(notice_mentions("interrupted run"));
  assert_false(notice_mentions("BBBBBB"));
  assert_int_equal(count_in(d, "BBBBBB"), 1);
  assert_int_equal(count_in(d, "CCCCCCC"), 1);
  assert_int_equal(count_in(d, "CC-CCC"), 1);
  assert_int_equal(count_in(d, "DDDDDD"), 1);
  assert_int_equal(count_in(d, "FFFFFF"), 1); /* a link is never ours */
  assert_int_equal(count_in(d, "EEEEEE"), 1);
  /* once its owner is gone, the next run removes it */
  close(held);
  tp_notices_clear();
  assert_int_equal(tp_outfile_create(&o, t, 1, 0), TP_OK);
  tp_outfile_abort(o);
  assert_int_equal(count_in(d, "BBBBBB"), 0);
  assert_true(notice_mentions(".t.bin.tmp.BBBBBB"));
  tp_notices_clear();
}

/* ---- output folders -------------------------------------------------------------- */

/* Writes final/rel through the folder writer, as the executor does. */
static void outdir_put(tp_outdir *od, const char *final, const char *rel,
                       const char *text) {
  char f[600], *inside = NULL;
  tp_outfile *o;
  join_to(f, sizeof f, final, rel);
  assert_int_equal(tp_outdir_file(od, f, &inside), TP_OK);
  assert_int_equal(tp_outfile_create(&o, inside, strlen(text), TP_OUT_IN_NEW_DIR), TP_OK);
  free(inside);
  assert_int_equal(tp_outfile_write(o, 0, text, strlen(text)), TP_OK);
  assert_int_equal(tp_outfile_commit(o), TP_OK);
}

static void outdir_write(const char *final, unsigned flags) {
  tp_outdir *od;
  assert_int_equal(tp_outdir_create(&od, final, flags), TP_OK);
  outdir_put(od, final, "model.safetensors", "new");
  outdir_put(od, final, "1_Pooling/config.json", "pool");
  outdir_put(od, final, "a/b/c.txt", "deep");
  assert_int_equal(tp_outdir_commit(od), TP_OK);
}

static void assert_new_folder(const char *final) {
  char p[600];
  join_to(p, sizeof p, final, "model.safetensors");
  assert_string_equal(read_all(p), "new");
  join_to(p, sizeof p, final, "1_Pooling/config.json");
  assert_string_equal(read_all(p), "pool");
  join_to(p, sizeof p, final, "a/b/c.txt");
  assert_string_equal(read_all(p), "deep");
  join_to(p, sizeof p, final, "stale.txt");
  assert_false(tp_path_exists(p));
}

static void outdir_body(const char *tag) {
  char d[300], out[400], p[600], elsewhere[400];
  tp_outdir *od;
  subdir(d, sizeof d, tag);
  join_to(out, sizeof out, d, "out");
  /* a new folder: nothing at the target until the commit */
  assert_int_equal(tp_outdir_create(&od, out, 0), TP_OK);
  assert_false(tp_path_exists(out));
  assert_int_equal(count_in(d, "^\\.out\\.tmp\\."), 1);
  tp_outdir_abort(od);
  assert_int_equal(count_in(d, "out"), 0);
  outdir_write(out, 0);
  assert_new_folder(out);
  assert_int_equal(count_in(d, "^\\."), 0);
  /* an existing folder: refused without force, replaced whole with it */
  join_to(p, sizeof p, out, "stale.txt");
  write_file(p, "old", 3);
  assert_int_equal(tp_outdir_create(&od, out, 0), TP_EEXISTS);
  assert_non_null(strstr(tp_last_error(), "not empty"));
  outdir_write(out, TP_OUT_FORCE);
  assert_new_folder(out);
  assert_int_equal(count_in(d, "^\\."), 0);
  /* an empty folder may be used without force (and is replaced too) */
  assert_int_equal(tp_remove_tree(out, NULL, NULL), 0);
  assert_int_equal(mkdir(out, 0755), 0);
  outdir_write(out, 0);
  assert_new_folder(out);
  /* a link: refused, then the link itself replaced; what it pointed to
   * stays as it was */
  join_to(elsewhere, sizeof elsewhere, d, "elsewhere");
  assert_int_equal(mkdir(elsewhere, 0755), 0);
  join_to(p, sizeof p, elsewhere, "keep.txt");
  write_file(p, "keep", 4);
  assert_int_equal(tp_remove_tree(out, NULL, NULL), 0);
  assert_int_equal(symlink("elsewhere", out), 0);
  assert_int_equal(tp_outdir_create(&od, out, 0), TP_EEXISTS);
  assert_non_null(strstr(tp_last_error(), "symbolic link"));
  outdir_write(out, TP_OUT_FORCE);
  assert_false(tp_path_is_link(out));
  assert_new_folder(out);
  assert_string_equal(read_all(p), "keep");
  assert_int_equal(count_in(elsewhere, ""), 1);
  /* a regular file in the way */
  assert_int_equal(tp_remove_tree(out, NULL, NULL), 0);
  write_file(out, "file", 4);
  assert_int_equal(tp_outdir_create(&od, out, 0), TP_EEXISTS);
  assert_non_null(strstr(tp_last_error(), "not a folder"));
  outdir_write(out, TP_OUT_FORCE);
  assert_new_folder(out);
  assert_int_equal(count_in(d, "^\\."), 0);
  /* an aborted replacement leaves the old folder as it was */
  join_to(p, sizeof p, out, "model.safetensors");
  assert_int_equal(tp_outdir_create(&od, out, TP_OUT_FORCE), TP_OK);
  outdir_put(od, out, "model.safetensors", "newer");
  tp_outdir_abort(od);
  assert_string_equal(read_all(p), "new");
  assert_int_equal(count_in(d, "^\\."), 0);
}

static void test_outdir(void **state) {
  (void)state;
  outdir_body("outdir");
  setenv("TP_TEST_PORTABLE", "1", 1);
  outdir_body("outdir_portable");
  unsetenv("TP_TEST_PORTABLE");
}

/* A killed swap or build: the old folder moved aside comes back when the
 * target is missing, and is removed when the new one made it in; a dead
 * temporary folder goes, without following a link out of it. */
static void test_sweep_folders(void **state) {
  char d[300], out[400], p[600], q[600], keep[400];
  tp_outdir *od;
  (void)state;
  subdir(d, sizeof d, "sweep_dirs");
  join_to(out, sizeof out, d, "m");
  join_to(keep, sizeof keep, d, "keep.txt");
  write_file(keep, "keep", 4);
  /* killed between its two renames: old aside, new complete, no target */
  join_to(p, sizeof p, d, ".m.old.Abc123");
  assert_int_equal(mkdir(p, 0755), 0);
  join_to(q, sizeof q, p, "model.safetensors");
  write_file(q, "old", 3);
  join_to(p, sizeof p, d, ".m.tmp.Abc123");
  assert_int_equal(mkdir(p, 0755), 0);
  join_to(q, sizeof q, p, "model.safetensors");
  write_file(q, "new", 3);
  join_to(q, sizeof q, p, "link");
  assert_int_equal(symlink("../keep.txt", q), 0);
  tp_notices_clear();
  assert_int_equal(tp_outdir_create(&od, out, 0), TP_EEXISTS); /* restored */
  assert_true(notice_mentions("restored"));
  assert_true(notice_mentions(".m.tmp.Abc123"));
  join_to(q, sizeof q, out, "model.safetensors");
  assert_string_equal(read_all(q), "old");
  assert_string_equal(read_all(keep), "keep");
  assert_int_equal(count_in(d, "Abc123"), 0);
  /* killed after the swap: the aside one goes */
  join_to(p, sizeof p, d, ".m.old.Xyz789");
  assert_int_equal(mkdir(p, 0755), 0);
  join_to(q, sizeof q, p, "model.safetensors");
  write_file(q, "older", 5);
  tp_notices_clear();
  outdir_write(out, TP_OUT_FORCE);
  assert_true(notice_mentions(".m.old.Xyz789"));
  assert_int_equal(count_in(d, "Xyz789"), 0);
  assert_new_folder(out);
  tp_notices_clear();
  /* the signal cleanup removes a folder in the making, and puts back a
   * target moved aside */
  assert_int_equal(tp_outdir_create(&od, out, TP_OUT_FORCE), TP_OK);
  outdir_put(od, out, "x/y/z.txt", "z");
  assert_int_equal(count_in(d, "^\\.m\\.tmp\\."), 1);
  join_to(p, sizeof p, d, ".m.old.Sig000");
  assert_int_equal(rename(out, p), 0);
  assert_true(tp_temp_swap_arm(p, out));
  tp_cleanup_temp_files_signal_safe();
  tp_temp_swap_disarm();
  assert_int_equal(count_in(d, "^\\.m\\."), 0);
  assert_new_folder(out);
  tp_outdir_abort(od);
}

static void test_notices(void **state) {
  (void)state;
  tp_notices_clear();
  assert_int_equal(tp_notice_count(), 0);
  assert_null(tp_notice_at(0));
  tp_notice("removed %s", "a");
  assert_int_equal(tp_notice_count(), 1);
  assert_string_equal(tp_notice_at(0), "removed a");
  for (int i = 0; i < 40; i++) tp_notice("n%d", i);
  assert_int_equal(tp_notice_count(), 33);
  assert_string_equal(tp_notice_at(31), "n30");
  assert_non_null(strstr(tp_notice_at(32), "9 more notices"));
  tp_notices_clear();
  assert_int_equal(tp_notice_count(), 0);
}

static void test_outfile_missing_folder(void **state) {
  char p[300];
  tp_outfile *o;
  (void)state;
  path_in(p, sizeof p, "no/such/folder/out.bin");
  assert_int_equal(tp_outfile_create(&o, p, 10, 0), TP_ENOTFOUND);
  assert_non_null(strstr(tp_last_error(), "temporary file"));
}

/* ---- thread pool ------------------------------------------------------------------ */

typedef struct {
  atomic_int *hits;
  size_t fail_at;
  atomic_int ticks;
  int cancel_after_ticks;
} pool_arg;

static tp_status pool_item(void *arg, size_t i, unsigned w) {
  pool_arg *a = (pool_arg *)arg;
  (void)w;
  if (i == a->fail_at) return tp_error(TP_EFORMAT, "item %zu failed", i);
  atomic_fetch_add(&a->hits[i], 1);
  return TP_OK;
}

static tp_status slow_item(void *arg, size_t i, unsigned w) {
  (void)arg;
  (void)i;
  (void)w;
  usleep(2000);
  return TP_OK;
}

static int pool_tick(void *arg) {
  pool_arg *a = (pool_arg *)arg;
  int t = atomic_fetch_add(&a->ticks, 1) + 1;
  return a->cancel_after_ticks && t >= a->cancel_after_ticks;
}

static void test_pool_runs_every_item_once(void **state) {
  enum { N = 10000 };
  tp_pool *p;
  pool_arg a;
  size_t i;
  (void)state;
  memset(&a, 0, sizeof a);
  a.hits = calloc(N, sizeof *a.hits);
  a.fail_at = SIZE_MAX;
  assert_int_equal(tp_pool_create(&p, 4), TP_OK);
  assert_int_equal(tp_pool_threads(p), 4);
  for (int round = 0; round < 3; round++)
    assert_int_equal(tp_pool_run(p, N, pool_item, &a, pool_tick, &a, 1), TP_OK);
  for (i = 0; i < N; i++) assert_int_equal(atomic_load(&a.hits[i]), 3);
  assert_int_equal(tp_pool_run(p, 0, pool_item, &a, NULL, NULL, 0), TP_OK);
  tp_pool_free(p);
  tp_pool_free(NULL);
  free(a.hits);
}

static void test_pool_first_error_reaches_caller(void **state) {
  tp_pool *p;
  pool_arg a;
  (void)state;
  memset(&a, 0, sizeof a);
  a.hits = calloc(1000, sizeof *a.hits);
  a.fail_at = 500;
  tp_clear_error();
  assert_int_equal(tp_pool_create(&p, 2), TP_OK);
  assert_int_equal(tp_pool_run(p, 1000, pool_item, &a, NULL, NULL, 0), TP_EFORMAT);
  /* the worker's message is carried to this thread */
  assert_string_equal(tp_last_error(), "item 500 failed");
  /* the pool is reusable after a failure */
  a.fail_at = SIZE_MAX;
  assert_int_equal(tp_pool_run(p, 1000, pool_item, &a, NULL, NULL, 0), TP_OK);
  tp_pool_free(p);
  free(a.hits);
}

static void test_pool_cancel_from_tick(void **state) {
  tp_pool *p;
  pool_arg a;
  double t0;
  (void)state;
  memset(&a, 0, sizeof a);
  a.cancel_after_ticks = 2;
  assert_int_equal(tp_pool_create(&p, 2), TP_OK);
  t0 = tp_now();
  /* 100000 items of 2 ms would take 100 s: cancellation must stop them */
  assert_int_equal(tp_pool_run(p, 100000, slow_item, NULL, pool_tick, &a, 5),
                   TP_ECANCELED);
  assert_true(tp_now() - t0 < 10.0);
  tp_pool_free(p);
}

/* ---- arena and string index ------------------------------------------------------- */

typedef struct {
  tp_string *keys;
} keyset;

static tp_string key_of(const void *ctx, size_t i) {
  return ((const keyset *)ctx)->keys[i];
}

static void test_arena_and_strmap(void **state) {
  enum { N = 5000 };
  tp_arena ar;
  tp_strmap m;
  keyset ks;
  size_t i;
  char big_probe[3] = {'a', 0, 'b'};
  (void)state;
  tp_arena_init(&ar);
  tp_strmap_init(&m);
  ks.keys = calloc(N + 1, sizeof *ks.keys);
  for (i = 0; i < N; i++) {
    char tmp[32];
    int n = snprintf(tmp, sizeof tmp, "blk.%zu.weight", i);
    char *s = tp_arena_strndup(&ar, tmp, (size_t)n);
    assert_non_null(s);
    assert_int_equal((uintptr_t)s % 16, 0);
    ks.keys[i].data = s;
    ks.keys[i].len = (size_t)n;
    assert_int_equal(tp_strmap_insert(&m, i, key_of, &ks), TP_OK);
  }
  /* a key with an embedded NUL is a different key from its prefix */
  ks.keys[N].data = tp_arena_strndup(&ar, big_probe, 3);
  ks.keys[N].len = 3;
  assert_int_equal(tp_strmap_insert(&m, N, key_of, &ks), TP_OK);
  for (i = 0; i < N; i++)
    assert_int_equal(tp_strmap_find(&m, ks.keys[i].data, ks.keys[i].len, key_of, &ks), i);
  assert_int_equal(tp_strmap_find(&m, "a\0b", 3, key_of, &ks), N);
  assert_int_equal(tp_strmap_find(&m, "a", 1, key_of, &ks), SIZE_MAX);
  assert_int_equal(tp_strmap_find(&m, "blk.x.weight", 12, key_of, &ks), SIZE_MAX);
  /* a large allocation does not disturb the small ones */
  assert_non_null(tp_arena_alloc(&ar, 1 << 20));
  assert_string_equal(ks.keys[17].data, "blk.17.weight");
  tp_strmap_free(&m);
  tp_arena_free(&ar);
  free(ks.keys);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_error_record),
      cmocka_unit_test(test_error_is_thread_local),
      cmocka_unit_test(test_quote_for_message),
      cmocka_unit_test(test_textbuf),
      cmocka_unit_test(test_utf8_decode),
      cmocka_unit_test(test_checked_arithmetic),
      cmocka_unit_test(test_byte_order),
      cmocka_unit_test(test_infile_regular_and_bounds),
      cmocka_unit_test(test_infile_refuses_non_regular),
      cmocka_unit_test(test_infile_shrinks_under_us),
      cmocka_unit_test(test_infile_memory),
      cmocka_unit_test(test_outfile_commit),
      cmocka_unit_test(test_outfile_unnamed_never_clobbers),
      cmocka_unit_test(test_outfile_abort_and_signal_cleanup),
      cmocka_unit_test(test_outfile_missing_folder),
      cmocka_unit_test(test_sweep_stale_files),
      cmocka_unit_test(test_outdir),
      cmocka_unit_test(test_sweep_folders),
      cmocka_unit_test(test_notices),
      cmocka_unit_test(test_pool_runs_every_item_once),
      cmocka_unit_test(test_pool_first_error_reaches_caller),
      cmocka_unit_test(test_pool_cancel_from_tick),
      cmocka_unit_test(test_arena_and_strmap),
  };
  return cmocka_run_group_tests(tests, unit_dir_setup, unit_dir_teardown);
}
