/*
 * io.h - input files (pread or guarded mmap) and atomic output files.
 *
 * Input: every read is positional and bounds-checked against the size seen
 * at open; a short read or a SIGBUS on a mapping becomes TP_ECHANGED naming
 * the file and offset, never a crash. Output: a temporary file beside the
 * target, positional writes from any thread, fsync, rename, directory fsync;
 * any error or abort removes the temporary file.
 */
#ifndef TP_IO_H
#define TP_IO_H

#include "base.h"

typedef struct tp_infile tp_infile;

/* Opens path read-only. Refuses anything but a regular file (directories,
 * FIFOs, devices) without blocking. use_mmap selects the mapped read path. */
tp_status tp_infile_open(tp_infile **out, const char *path, int use_mmap);
/* An input backed by a caller's buffer (fuzzers, tests); the buffer must
 * outlive the handle. name is used in messages. */
tp_status tp_infile_from_memory(tp_infile **out, const void *data, size_t len,
                                const char *name);
void tp_infile_close(tp_infile *f);
uint64_t tp_infile_size(const tp_infile *f);
const char *tp_infile_path(const tp_infile *f);
/* Reads exactly len bytes at off. Thread-safe. */
tp_status tp_infile_read(tp_infile *f, uint64_t off, void *buf, size_t len);
/* TP_ECHANGED when size, mtime or inode differ from what open saw. */
tp_status tp_infile_check_unchanged(tp_infile *f);
/* Device and inode, to detect output == input. */
void tp_infile_identity(const tp_infile *f, uint64_t *dev, uint64_t *ino);
/* Hints that [off, off+len) will be read soon / sequentially. */
void tp_infile_advise_sequential(tp_infile *f);

typedef struct tp_outfile tp_outfile;

enum {
  TP_OUT_FORCE = 1u << 0,   /* replace an existing target */
  TP_OUT_NO_SYNC = 1u << 1  /* skip fsync of file and directory */
};

/* Creates the temporary file for final_path. size, when known, is reserved
 * up front so ENOSPC shows before any data is written. TP_EEXISTS when the
 * target exists and TP_OUT_FORCE is not given. */
tp_status tp_outfile_create(tp_outfile **out, const char *final_path,
                            uint64_t size, unsigned flags);
/* Writes exactly len bytes at off. Thread-safe. */
tp_status tp_outfile_write(tp_outfile *f, uint64_t off, const void *buf,
                           size_t len);
/* Reads back from the temporary file (verification before commit). */
tp_status tp_outfile_read(tp_outfile *f, uint64_t off, void *buf, size_t len);
const char *tp_outfile_final_path(const tp_outfile *f);
/* The temporary file's current name (valid until commit or abort). */
const char *tp_outfile_temp_path(const tp_outfile *f);
/* Syncs (unless TP_OUT_NO_SYNC), closes and renames into place, then syncs
 * the directory. The handle is freed whether or not this succeeds; on
 * failure the temporary file is removed. */
tp_status tp_outfile_commit(tp_outfile *f);
/* Commits several files at once: syncs (unless TP_OUT_NO_SYNC) and closes
 * every one first, so that none is renamed unless all are complete, then
 * renames them in array order, then syncs each of their folders once. Every
 * handle is freed and its entry set to NULL, whether or not this succeeds;
 * on failure the files not renamed yet are removed (NULL entries are
 * skipped). */
tp_status tp_outfile_commit_all(tp_outfile **files, size_t n);
/* fsyncs the folder that contains path (after creating an entry in it,
 * e.g. a new output folder). Filesystems that cannot sync folders are not
 * an error. */
tp_status tp_sync_parent_dir(const char *path);
/* Removes the temporary file and frees the handle; NULL accepted. */
void tp_outfile_abort(tp_outfile *f);
/* Path of a file that the commit will create, to reopen it before commit. */
int tp_outfile_fd(const tp_outfile *f);

/* Existence check that distinguishes "absent" from errors. */
bool tp_path_exists(const char *path);
bool tp_path_is_dir(const char *path);

/* Number of online CPUs (at least 1). */
unsigned tp_cpu_count(void);
/* Monotonic clock in seconds. */
double tp_now(void);

#endif /* TP_IO_H */
