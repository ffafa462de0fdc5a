/*
 * watch/live.h - the live index: watch the sources, re-index what changed.
 *
 * One loop, used in the foreground by `cairn watch` and on a thread of
 * `cairn serve`:
 *   the watcher marks changed paths in a dirty tracker (watch/dirty.h);
 *   a path is taken once it has been quiet for 50 ms, or dirty for 80 ms
 *   (the debounce is per path, i.e. per transcript: a streaming reply costs
 *   a few re-indexes, and a quiet session is not held back by a busy one);
 *   the taken paths of a source get an incremental ingest of those paths
 *   only (cairn_ingest_opts.paths: a transcript, or opencode's session of a
 *   changed G1 file); a whole root (an event-queue overflow, the polling
 *   backend, a directory that came or went, opencode's database) gets an
 *   incremental ingest of its whole source.
 * The watcher is opened before the catch-up ingest, so a change made while
 * catching up is seen.  Stopping at any point loses nothing: the store's
 * fingerprints and tail offsets are the watermarks the next start resumes
 * from.
 *
 * Threads: a cn_live and its store belong to the thread that runs it;
 * cn_live_status() may be called from any thread.
 */
#ifndef CN_WATCH_LIVE_H
#define CN_WATCH_LIVE_H

#include <signal.h>

#include "cairn/store.h"
#include "watch/watch.h"

typedef struct cn_live cn_live;

/** What the live index is doing; a snapshot. */
typedef struct cn_live_status {
    char backend[16];   /* "inotify" or "poll" */
    size_t dirs, roots; /* directories watched (or places polled), roots given */
    uint64_t generation;
    uint64_t events;       /* change events read */
    uint64_t ingests;      /* incremental ingests run */
    uint64_t overflows;    /* event-queue overflows (each a full rescan) */
    uint64_t errors;       /* ingests that failed (the next change retries) */
    size_t backlog;        /* dirty paths not yet re-indexed */
    int64_t last_event_ms; /* wall time of the latest change event, 0 before any */
    int64_t last_index_ms; /* wall time of the latest re-index, 0 before any */
    double lag_ms;         /* latest: from the first change to searchable */
    uint64_t sessions_new, sessions_changed, sessions_gone, messages;
} cn_live_status;

typedef struct cn_live_opts {
    cn_watch_opts watch;
    int poll_ms; /* polling interval (0: 1000) */
    /* one incremental ingest of src that changed something; npaths files were
     * re-planned, or the whole source when npaths is 0 */
    void (*changed)(void *ud, const cairn_source *src, const cairn_ingest_stats *st, size_t npaths,
                    double lag_ms);
    /* caught up (never called when stopped before it); NULL: none */
    void (*ready)(void *ud, const cn_live_status *st);
    void (*issues)(void *ud, const cairn_report *rep); /* NULL: dropped */
    void (*warn)(void *ud, const char *msg);           /* NULL: dropped */
    void *ud;
} cn_live_opts;

/**
 * Watch sources[0..n) (copied) for store s (borrowed; used only by the
 * thread that runs the loop).  The watcher starts now; nothing is indexed
 * until cn_live_run.
 */
cairn_rc cn_live_open(cairn_store *s, const cairn_source *sources, size_t n, const cn_live_opts *o,
                      cn_live **out, cairn_err *err);

/**
 * Catch up (an incremental ingest of every source), then re-index changes
 * until *stop is set.  Returns CAIRN_OK when stopped; an ingest that fails
 * is reported through warn and retried on the next change, so only the
 * watcher's own failure ends the loop.
 */
cairn_rc cn_live_run(cn_live *l, volatile sig_atomic_t *stop, cairn_err *err);

/** A snapshot of what the live index is doing. */
void cn_live_status_get(cn_live *l, cn_live_status *out);

void cn_live_close(cn_live *l);

#endif
