/*
 * io.h - input files (pread or guarded mmap) and atomic output files and
 * folders.
 *
 * Input: every read is positional and bounds-checked against the size seen
 * at open; a short read or a SIGBUS on a mapping becomes TP_ECHANGED naming
 * the file and offset, never a crash. Output files: an unnamed temporary
 * (Linux O_TMPFILE) or a locked ".NAME.tmp.XXXXXX" beside the target,
 * positional writes from any thread, fsync, link or rename, directory
 * fsync; any error or abort removes the temporary file. Output folders: a
 * locked ".NAME.tmp.XXXXXX/" beside the target, built, synced and swapped
 * in whole. What killed runs left is removed by the next run on the same
 * target (tempfiles.c).
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
/* An input over a duplicate of the open descriptor fd (e.g. an output file
 * that has no name yet, read back for verification); name is used in
 * messages. The caller keeps fd. */
tp_status tp_infile_from_fd(tp_infile **out, int fd, const char *name);
void tp_infile_close(tp_infile *f);
uint64_t tp_infile_size(const tp_infile *f);
const char *tp_infile_path(const tp_infile *f);
/* Reads exactly len bytes at off. Thread-safe. */
tp_status tp_infile_read(tp_infile *f, uint64_t off, void *buf, size_t len);
/* Reads the whole file (its size as seen at open) into a new buffer with
 * a NUL after the last byte (*text, free with free(); *len the size).
 * Callers check the size against their own limit first. */
tp_status tp_infile_read_all(tp_infile *f, char **text, size_t *len);
/* TP_ECHANGED when size, mtime or inode differ from what open saw. */
tp_status tp_infile_check_unchanged(tp_infile *f);
/* Device and inode, to detect output == input. */
void tp_infile_identity(const tp_infile *f, uint64_t *dev, uint64_t *ino);
/* Hints that [off, off+len) will be read soon / sequentially. */
void tp_infile_advise_sequential(tp_infile *f);

typedef struct tp_outfile tp_outfile;

enum {
  TP_OUT_FORCE = 1u << 0,     /* replace an existing target */
  TP_OUT_NO_SYNC = 1u << 1,   /* skip fsync of file and directory */
  TP_OUT_IN_NEW_DIR = 1u << 2 /* final_path is inside a temporary folder of
                                 ours (tp_outdir_file): create it there
                                 directly; the commit syncs and closes it,
                                 the folder's commit does the rest */
};

/* Creates the temporary file for final_path, after removing what dead runs
 * left for it (tp_temp_sweep). size, when known, is reserved up front so
 * ENOSPC shows before any data is written. TP_EEXISTS when the target
 * exists and TP_OUT_FORCE is not given, or is a directory. */
tp_status tp_outfile_create(tp_outfile **out, const char *final_path,
                            uint64_t size, unsigned flags);
/* Writes exactly len bytes at off. Thread-safe. */
tp_status tp_outfile_write(tp_outfile *f, uint64_t off, const void *buf,
                           size_t len);
/* Reads back from the temporary file (verification before commit). */
tp_status tp_outfile_read(tp_outfile *f, uint64_t off, void *buf, size_t len);
const char *tp_outfile_final_path(const tp_outfile *f);
/* The temporary file's current name, or NULL while it has none (an unnamed
 * O_TMPFILE file, or a file created directly in a temporary folder).
 * Valid until commit or abort. */
const char *tp_outfile_temp_path(const tp_outfile *f);
/* The name to use in messages: the temporary name, else the final path. */
const char *tp_outfile_name(const tp_outfile *f);
/* Syncs (unless TP_OUT_NO_SYNC), closes and puts the file in place (link
 * of the unnamed file, or rename over the target), then syncs the
 * directory. The handle is freed whether or not this succeeds; on failure
 * the temporary file is removed. */
tp_status tp_outfile_commit(tp_outfile *f);
/* Commits several files at once: syncs (unless TP_OUT_NO_SYNC) and closes
 * every one first, so that none is put in place unless all are complete,
 * then (unless a cancellation was requested meanwhile: TP_ECANCELED)
 * places them in array order, then syncs each of their folders once.
 * Every handle is freed and its entry set to NULL, whether or not this
 * succeeds; on failure the files not placed yet are removed (NULL entries
 * are skipped). Files made with TP_OUT_IN_NEW_DIR are only synced and
 * closed. */
tp_status tp_outfile_commit_all(tp_outfile **files, size_t n);
/* fsyncs the folder that contains path (after creating an entry in it,
 * e.g. a new output folder). Filesystems that cannot sync folders are not
 * an error. */
tp_status tp_sync_parent_dir(const char *path);
/* Removes the temporary file and frees the handle; NULL accepted. */
void tp_outfile_abort(tp_outfile *f);
/* The open descriptor (read-write), to read the file back before commit
 * (tp_infile_from_fd). */
int tp_outfile_fd(const tp_outfile *f);

/* ---- output folders (outdir.c) -------------------------------------------- */

typedef struct tp_outdir tp_outdir;

/* Whether final_path may become an output folder: absent, an empty folder,
 * or (with TP_OUT_FORCE) anything; a folder is then replaced whole, a file
 * or a symbolic link is replaced itself (a link is never followed).
 * TP_EEXISTS with a message saying what is there otherwise. */
tp_status tp_outdir_check_target(const char *final_path, unsigned flags);
/* Starts a folder output: removes what dead runs left beside final_path,
 * checks the target (tp_outdir_check_target) and creates the locked
 * temporary folder ".NAME.tmp.XXXXXX" beside it. */
tp_status tp_outdir_create(tp_outdir **out, const char *final_path,
                           unsigned flags);
/* The temporary path (malloc'ed, into *path) for the output file
 * final_file, which must lie under the folder's final path; creates the
 * subfolders on the way. Create the file with TP_OUT_IN_NEW_DIR. */
tp_status tp_outdir_file(tp_outdir *d, const char *final_file, char **path);
/* Syncs the temporary folder and its subfolders (unless TP_OUT_NO_SYNC;
 * the files must be committed already) and puts it in place: renamed onto
 * an absent target, else swapped with the old target (atomically where the
 * platform can exchange two names, else the old one is first moved aside
 * to ".NAME.old.XXXXXX"), the parent synced, then the old one removed.
 * A cancellation requested before the swap stops it (TP_ECANCELED). The
 * handle is freed whether or not this succeeds; on failure the target is
 * what it was and the temporary folder is removed. */
tp_status tp_outdir_commit(tp_outdir *d);
/* Removes the temporary folder and frees the handle; NULL accepted. */
void tp_outdir_abort(tp_outdir *d);

/* ---- temporaries shared by both (tempfiles.c) ---------------------------- */

#define TP_TEMP_SUFFIX_LEN 6

/* Removes what dead runs left for the target dir/base: ".base.tmp.XXXXXX"
 * files and folders whose owner's lock is free, and ".base.old.XXXXXX"
 * (a replaced folder moved aside), which is put back when the target is
 * missing. Each removal is a notice. Never fails. */
void tp_temp_sweep(const char *dir, const char *base);
/* Takes the owner's lock on a temporary (flock, exclusive, non-blocking);
 * 0 or -1 with errno. */
int tp_temp_lock(int fd);
/* Fills six characters with random letters and digits. */
void tp_temp_fill_suffix(char *six);
/* True when path is a folder holding nothing but "." and ".." (false when
 * it cannot be listed). */
bool tp_dir_is_empty(const char *path);
/* Removes path and, for a folder, everything in it, never following a
 * symbolic link; counts the bytes and files of the regular files removed.
 * 0, or -1 with errno (what could be removed is gone). */
int tp_remove_tree(const char *path, uint64_t *bytes, uint64_t *files);
/* The registry that tp_cleanup_temp_files_signal_safe walks: returns a
 * slot (or -1 when the path is too long or memory is short). */
int tp_temp_register(const char *path, int is_dir);
void tp_temp_unregister(int slot);
/* While armed, the signal cleanup renames aside back to target (a folder
 * swap between its two renames). Only one swap is armed at a time; false
 * when another one is. */
bool tp_temp_swap_arm(const char *aside, const char *target);
void tp_temp_swap_disarm(void);

/* Test hooks, inert unless the environment sets them:
 * TP_TEST_PAUSE_AT=<step> stops the process (SIGSTOP) when it reaches that
 * step, so a test can kill it at a known moment; TP_TEST_PORTABLE=1 takes
 * the paths used where O_TMPFILE and atomic name exchange do not exist. */
void tp_test_pause_at(const char *step);
bool tp_test_portable(void);

/* Existence check that distinguishes "absent" from errors. */
bool tp_path_exists(const char *path);
bool tp_path_is_dir(const char *path); /* follows a symbolic link */
bool tp_path_is_link(const char *path);

/* Number of online CPUs (at least 1). */
unsigned tp_cpu_count(void);
/* Monotonic clock in seconds. */
double tp_now(void);

#endif /* TP_IO_H */
