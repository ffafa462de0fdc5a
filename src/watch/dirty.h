/*
 * watch/dirty.h - what changed, and when: a generation clock and a dirty
 * tracker.
 *
 * The GenerationClock is a monotonic atomic counter: every batch of change
 * events read from the kernel advances it once.  The DirtyTracker maps a
 * path (or a whole watched root) to the generation at which it was last
 * dirtied, with the times of its first and latest change.  Nothing is read
 * when a path is marked: the consumer takes a path when it has been quiet
 * for a while (or dirty for too long) and re-reads that path only, so a
 * burst of writes to one transcript costs a few re-reads, not one per
 * write.  A path marked again after it was taken is simply dirty again,
 * with a newer generation: nothing is lost between a take and a re-read.
 *
 * Threads: the clock may be read from any thread; a tracker belongs to one
 * thread.
 */
#ifndef CN_WATCH_DIRTY_H
#define CN_WATCH_DIRTY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn/err.h"

typedef struct cn_genclock {
    _Atomic uint64_t now;
} cn_genclock;

/** The current generation (0 before the first tick). */
static inline uint64_t cn_gen_now(cn_genclock *c)
{
    return atomic_load_explicit(&c->now, memory_order_acquire);
}

/** Advance the clock; returns the new generation. */
static inline uint64_t cn_gen_tick(cn_genclock *c)
{
    return atomic_fetch_add_explicit(&c->now, 1, memory_order_acq_rel) + 1;
}

/** One dirty entry.  path is NULL when the whole root is dirty. */
typedef struct cn_dirty_entry {
    char *path;
    int root;
    uint64_t gen;               /* generation of the latest change */
    uint64_t first_ns, last_ns; /* monotonic times of the first and latest change */
} cn_dirty_entry;

typedef struct cn_dirty {
    cn_dirty_entry *e;
    size_t n, cap;
    uint32_t *slots; /* open addressing: index + 1 into e, 0 empty */
    size_t nslots;   /* power of two, or 0 */
    size_t whole;    /* entries with path == NULL */
} cn_dirty;

void cn_dirty_init(cn_dirty *d);
void cn_dirty_release(cn_dirty *d);

/**
 * Mark path (len bytes, not NUL-terminated; NULL: the whole root) dirty at
 * generation gen and monotonic time now_ns.  A path already dirty keeps its
 * first time and takes the newer generation.  CAIRN_NOMEM.
 */
cairn_rc cn_dirty_mark(cn_dirty *d, int root, const char *path, size_t len, uint64_t gen,
                       uint64_t now_ns);

/** Number of dirty entries (the backlog). */
static inline size_t cn_dirty_count(const cn_dirty *d)
{
    return d->n;
}

/** The generation at which path was last dirtied, or 0 when it is not dirty. */
uint64_t cn_dirty_gen(const cn_dirty *d, int root, const char *path, size_t len);

/**
 * Move the entries that are ready at now_ns into out (appended; the caller
 * owns their paths and frees them with cn_dirty_entries_free): an entry is
 * ready when it has been quiet for quiet_ns, or dirty for max_ns.  Returns
 * the number moved, and in *next_ns the monotonic time at which the next
 * entry becomes ready (0 when none is left).  CAIRN_NOMEM leaves d as it was.
 */
cairn_rc cn_dirty_take(cn_dirty *d, uint64_t now_ns, uint64_t quiet_ns, uint64_t max_ns,
                       cn_dirty_entry **out, size_t *nout, uint64_t *next_ns);

void cn_dirty_entries_free(cn_dirty_entry *e, size_t n);

#endif
