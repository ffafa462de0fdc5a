/*
 * watch/watch.h - notice changes under the agents' storage roots.
 *
 * A watcher covers up to 64 roots (the sources' directories) and marks what
 * changed in a dirty tracker (watch/dirty.h): the path an event names
 * (a file, or a directory that appeared or went), or a whole root.
 * Backends:
 *   watchman - a subscription per root with a watchman server that is
 *             already running for the user (watch/watchman.h); chosen by
 *             default when one answers; never started by cairn; if it goes
 *             away, inotify takes over and every root is rescanned;
 *   inotify - every directory under a root, new directories added as they
 *             appear; creates, writes, renames and deletes count; an
 *             event-queue overflow marks every root whole (the caller
 *             rescans through the plan stage);
 *   poll    - no events: every interval each root is marked whole, and the
 *             caller's incremental ingest (size/mtime fingerprints) finds
 *             what changed.
 * When inotify's watch limit (or max_dirs) is reached the watcher says so
 * (warning) and polls instead: partial coverage would miss changes quietly.
 * Single-threaded: one watcher belongs to one thread.
 */
#ifndef CN_WATCH_WATCH_H
#define CN_WATCH_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/err.h"
#include "watch/dirty.h"

#define CN_WATCH_MAX_ROOTS 64

/* auto: watchman when a server is already running for the user, else inotify */
typedef enum cn_watch_kind {
    CN_WATCH_AUTO,
    CN_WATCH_INOTIFY,
    CN_WATCH_WATCHMAN,
    CN_WATCH_POLL
} cn_watch_kind;

typedef struct cn_watch cn_watch;

typedef struct cn_watch_opts {
    cn_watch_kind kind;
    size_t max_dirs; /* inotify: most directories to watch, 0 for the kernel's limit */
} cn_watch_opts;

/**
 * Watch roots[0..n).  A root that does not exist is not watched (its
 * parent's events do not cover it).  A fallback to polling is explained in
 * warn (empty when none).  CAIRN_NOTFOUND when watchman is asked for and no
 * server answers.
 */
cairn_rc cn_watch_open(const char *const *roots, size_t n, const cn_watch_opts *o, cn_watch **out,
                       char *warn, size_t warn_len, cairn_err *err);

/**
 * Wait up to timeout_ms (poll: sleep the interval) for changes and mark them
 * in d, stamped with a new generation of clock.  *events counts what was
 * read (0 when the wait timed out quietly).  CAIRN_NOMEM when a change could
 * not be recorded (the caller should rescan everything).
 */
cairn_rc cn_watch_wait(cn_watch *w, int timeout_ms, cn_dirty *d, cn_genclock *clock, size_t *events,
                       cairn_err *err);

/** The backend in use (after any fallback). */
cn_watch_kind cn_watch_backend(const cn_watch *w);
/** "auto", "inotify", "watchman" or "poll". */
const char *cn_watch_kind_name(cn_watch_kind k);
/** The kind a name names; false for none. */
bool cn_watch_kind_parse(const char *name, cn_watch_kind *k);
/** Why the backend changed while watching ("" when it did not). */
const char *cn_watch_note(const cn_watch *w);
/** Directories watched (inotify), or roots subscribed (watchman) or polled. */
size_t cn_watch_dirs(const cn_watch *w);

/** Roots given to cn_watch_open. */
size_t cn_watch_roots(const cn_watch *w);
/** Event-queue overflows seen (each one led to a full rescan). */
size_t cn_watch_overflows(const cn_watch *w);

void cn_watch_close(cn_watch *w);

#endif
