/*
 * watch/watch.h - notice changes under the agents' storage roots.
 *
 * A watcher covers up to 64 roots (the sources' directories) and reports
 * which of them saw a change.  Backends:
 *   inotify - every directory under a root, new directories added as they
 *             appear; renames and deletes count; an event-queue overflow
 *             marks every root changed (the caller rescans);
 *   poll    - no events: every interval each root counts as changed, and the
 *             caller's incremental ingest (size/mtime fingerprints) finds
 *             what did.
 * When inotify's watch limit is reached the watcher says so (warning) and
 * polls instead.  Single-threaded: one watcher belongs to one thread.
 */
#ifndef CN_WATCH_WATCH_H
#define CN_WATCH_WATCH_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/err.h"

#define CN_WATCH_MAX_ROOTS 64

typedef enum cn_watch_kind { CN_WATCH_INOTIFY, CN_WATCH_POLL } cn_watch_kind;

typedef struct cn_watch cn_watch;

/**
 * Watch roots[0..n) with the given backend.  A root that does not exist is
 * watched from when it appears only by polling.  A fallback to polling is
 * explained in warn (empty when none).
 */
cairn_rc cn_watch_open(const char *const *roots, size_t n, cn_watch_kind kind, cn_watch **out,
                       char *warn, size_t warn_len, cairn_err *err);

/**
 * Wait up to timeout_ms (poll: the interval) for changes; *dirty gets a bit
 * per root that changed (0 when the wait timed out quietly).
 */
cairn_rc cn_watch_wait(cn_watch *w, int timeout_ms, uint64_t *dirty, cairn_err *err);

/** The backend in use (after any fallback). */
cn_watch_kind cn_watch_backend(const cn_watch *w);
/** "inotify" or "poll". */
const char *cn_watch_kind_name(cn_watch_kind k);
/** Directories watched (inotify), or roots polled. */
size_t cn_watch_dirs(const cn_watch *w);

void cn_watch_close(cn_watch *w);

#endif
