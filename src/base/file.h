/*
 * base/file.h - reading a whole file safely.
 *
 * Files are read() into arena memory: cheaper than a mapping for the ~1 KB
 * files opencode writes by the million, and safe when an agent truncates a
 * file while cairn reads it (a mapping would turn that into SIGBUS).  Only
 * files of CN_FILE_MAP_MIN bytes or more are mapped read-only, where a copy
 * would double the memory; agents append to such files (JSONL transcripts)
 * rather than shrink them.  Either way the result is a span that lives as
 * long as the arena / until cn_file_close.  A file whose size or mtime moves
 * while it is read is reported as CAIRN_CHANGED, never returned half-read.
 * Threads: the functions are safe; a cn_file belongs to its caller.
 */
#ifndef CN_BASE_FILE_H
#define CN_BASE_FILE_H

#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "base/arena.h"
#include "cairn/err.h"

#define CN_FILE_MAP_MIN ((size_t)64 << 20) /* map files at least this large */

typedef struct cn_file {
    cairn_str data;  /* the contents */
    void *map;       /* non-NULL when data is a mapping */
    size_t map_len;
    int64_t size;
    int64_t mtime_ns;
} cn_file;

/**
 * Read the file name (relative to dirfd, or AT_FDCWD) completely.
 * label names the file in error messages (NULL: name).  Files larger than
 * max_bytes fail with CAIRN_TOOBIG.  A directory, a FIFO, a symlink loop or
 * an unreadable file fail with a message naming label.
 */
cairn_rc cn_file_load(int dirfd, const char *name, const char *label, size_t max_bytes,
                      cn_arena *arena, cn_file *out, cairn_err *err);

/**
 * Open the directory rel (relative to dirfd, or AT_FDCWD) for readdir(); NULL
 * with errno set when it cannot be.  closedir() frees it.
 */
DIR *cn_dir_open(int dirfd, const char *rel);

/** Unmap if mapped.  NULL allowed. */
void cn_file_close(cn_file *f);

/** mtime in ns of a struct stat. */
int64_t cn_stat_mtime_ns(const struct stat *st);

#endif
