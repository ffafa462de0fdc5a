/*
 * cairn/store.h - cairn's store: one SQLite database holding the index of
 * every agent session and cairn's own data.
 *
 * The store is an interface (DESIGN.md §7): callers see these functions and
 * plain structs, never SQL.  The default file is $XDG_DATA_HOME/cairn/cairn.db
 * ($CAIRN_DATA_DIR or an explicit data dir override it).  The schema is
 * versioned and migrated on open; a store written by a newer cairn is
 * refused and left untouched.
 *
 * Threads: a cairn_store handle belongs to one thread.  Only one handle per
 * process should write; other threads open their own handles to read (WAL).
 */
#ifndef CAIRN_STORE_H
#define CAIRN_STORE_H

#include <signal.h>

#include "cairn/search.h"
#include "cairn/source.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cairn_store cairn_store;

#define CAIRN_STORE_READONLY 1u
/*
 * A page cache of at most 8 MiB instead of 64: for the connections of a
 * long-running server (`cairn serve` has one per handler thread, a writer and
 * workers; every `cairn mcp` is a process of its own), whose reads and writes
 * are small and whose memory stays bounded whatever the store's size.  The
 * default suits a bulk ingest.
 */
#define CAIRN_STORE_LEAN 2u
/*
 * Open for writing a store that exists, never making one: CAIRN_NOTFOUND
 * otherwise (what `cairn recall` wants of a mistyped --data-dir).
 */
#define CAIRN_STORE_EXISTING 4u

/**
 * Open (creating if needed) the store in data_dir (NULL: the default).
 * CAIRN_SCHEMA when the file's schema is newer than this binary knows;
 * CAIRN_CORRUPT when it is not a cairn store; CAIRN_IO / CAIRN_PERM.
 */
CAIRN_API cairn_rc cairn_store_open(const char *data_dir, unsigned flags, cairn_store **out,
                                    cairn_err *err);
/** NULL allowed. */
CAIRN_API void cairn_store_close(cairn_store *s);
/** The database file's path; valid until close. */
CAIRN_API const char *cairn_store_path(const cairn_store *s);
/**
 * Group commit: the durable writes made on s between cairn_store_group_begin
 * and cairn_store_group_end (memories, context, sessions, turns) share one
 * transaction and one disk sync; each still succeeds or fails on its own
 * (a savepoint each).  A failed group_end means none of them is stored.
 * Threads: for the one thread that owns s (a server's writer thread).
 */
CAIRN_API cairn_rc cairn_store_group_begin(cairn_store *s, cairn_err *err);
/**
 * A group for bookkeeping only (access counts): its commit does not wait for
 * the disk (WAL with synchronous=NORMAL: atomic, and kept when cairn crashes,
 * but the last commits can be lost to a power cut).  Never for cairn's own
 * data: memories, context and turns go in durable groups.
 */
CAIRN_API cairn_rc cairn_store_group_begin_light(cairn_store *s, cairn_err *err);
CAIRN_API cairn_rc cairn_store_group_end(cairn_store *s, cairn_err *err);
/**
 * True while s's group still holds its transaction.  SQLite rolls a whole
 * transaction back on some errors (a full disk, an I/O error); the group's
 * writes so far are then gone, and the writes after it would commit on
 * their own: a caller that must answer for each write checks this after each
 * one and, when false, ends the group with cairn_store_group_abort.
 */
CAIRN_API bool cairn_store_group_open(const cairn_store *s);
/** End s's group (if any) keeping nothing of it: its transaction is rolled back. */
CAIRN_API void cairn_store_group_abort(cairn_store *s);
/**
 * Checkpoints elsewhere: s no longer checkpoints the WAL in its own commits
 * (SQLite's default, which holds that commit until the database file is
 * synced); instead a commit that leaves the WAL at frames frames or more
 * calls due(ud), which should wake a thread that calls
 * cairn_store_checkpoint on its own handle.  due runs on s's thread, inside
 * the commit: it must only signal.  If the WAL reaches 4 times frames (the
 * other thread is stuck, gone or behind), s checkpoints itself again.
 */
CAIRN_API void cairn_store_checkpoint_elsewhere(cairn_store *s, unsigned frames,
                                                void (*due)(void *ud), void *ud);
/**
 * Copy what it can of the WAL into the database file, waiting for no one
 * (SQLite's PASSIVE checkpoint); *left (NULL allowed) receives the frames it
 * could not copy yet (readers or writers were using them).  Another
 * checkpoint running at the same time is not an error.
 */
CAIRN_API cairn_rc cairn_store_checkpoint(cairn_store *s, int *left, cairn_err *err);

/** The schema version this binary writes. */
CAIRN_API int cairn_store_schema_version(void);

/* ---- ingest ---- */

typedef struct cairn_ingest_progress {
    cairn_agent agent;
    size_t sessions_done, sessions_todo; /* sessions to (re)index in this source */
    size_t bytes_done;
    double elapsed_s;
} cairn_ingest_progress;

typedef struct cairn_ingest_opts {
    const cairn_source *sources;
    size_t nsources;
    bool full; /* re-read everything, ignoring what is known */
    void (*progress)(const cairn_ingest_progress *p, void *ud); /* NULL: none */
    void *ud;
    volatile sig_atomic_t *stop; /* set to non-zero to stop after the current batch */
    /* Only these files changed (relative to the source; one source only): only
     * they are planned and read, and only their sessions can be marked gone.
     * NULL: the whole source.  A reader that cannot plan them alone plans all. */
    const char *const *paths;
    size_t npaths;
} cairn_ingest_opts;

typedef struct cairn_ingest_stats {
    size_t sources;
    size_t sources_partial; /* of which only the changed paths were planned (opts.paths) */
    size_t sessions_new, sessions_changed, sessions_unchanged, sessions_gone;
    size_t messages, parts; /* written */
    size_t bytes;           /* of agent data read */
    size_t skipped;         /* records of unknown types passed over (counted, not errors) */
    double seconds;
} cairn_ingest_stats;

/**
 * Index what the sources hold, incrementally: a session whose files or rows
 * did not change since the last ingest (size, mtime, or time_updated) is
 * skipped without being read; a changed one is re-read; one that is gone is
 * marked gone (its text stays searchable until cairn_store_prune).  Work is
 * committed in batches, so an interrupted ingest leaves a consistent store
 * and the next run resumes.  Bad files are issues in rep.
 * CAIRN_INTERRUPTED when *opts->stop was set.
 */
CAIRN_API cairn_rc cairn_store_ingest(cairn_store *s, const cairn_ingest_opts *opts,
                                      cairn_ingest_stats *out, cairn_report *rep,
                                      cairn_err *err);

/**
 * The agent source a stored session was read from (its kind and directory), the
 * session named by its id or a unique prefix of it, whose id goes to id_out
 * (id_size bytes).  CAIRN_NOTFOUND when no session read from an agent has it
 * (sessions made over the API have no source), CAIRN_INVAL when the prefix is
 * ambiguous.
 */
CAIRN_API cairn_rc cairn_store_session_source(cairn_store *s, const char *id, cairn_source *out,
                                              char *id_out, size_t id_size, cairn_err *err);

/** Delete the sessions marked gone, with their text; *n receives how many. */
CAIRN_API cairn_rc cairn_store_prune(cairn_store *s, size_t *n, cairn_err *err);

/* ---- search ---- */

typedef struct cairn_search_opts {
    const cairn_query *query;
    const char *project; /* project id or directory substring, or NULL */
    cairn_agent agent;   /* CAIRN_AGENT_NONE: all */
    const char *tool_id; /* with agent NONE: sessions of this tool_id (a client's, "api"), or NULL */
    const char *session; /* session id, or NULL */
    int64_t since_ms, until_ms;
    const char *role; /* "user", "assistant", or NULL */
    const char *tool; /* tool name, or NULL */
    const char *type; /* part type name ("text", "tool", ...), or NULL */
    size_t limit;     /* 0: 20 */
} cairn_search_opts;

typedef struct cairn_hit {
    double score; /* BM25, lower is better (as SQLite reports it) */
    const char *agent;
    const char *project_id;
    const char *directory;
    const char *session_id;
    const char *session_title;
    const char *message_id;
    const char *part_id;
    const char *part_type;
    const char *role;
    const char *tool;
    int64_t time_ms;
    const char *snippet; /* matched terms between \x01 and \x02 */
} cairn_hit;

typedef struct cairn_hits {
    cairn_hit *items;
    size_t n;
    bool capped; /* a term matched so much that only the newest matches were ranked */
    struct cn_hits_priv *priv;
} cairn_hits;

/** Run a search; *out is freed with cairn_hits_free. */
CAIRN_API cairn_rc cairn_store_search(cairn_store *s, const cairn_search_opts *o,
                                      cairn_hits **out, cairn_err *err);
CAIRN_API void cairn_hits_free(cairn_hits *h);

/* ---- usage rows ---- */

/** One model response's usage (or a session's, when the agent kept only totals). */
typedef struct cairn_usage_row {
    int64_t time_ms;
    const char *agent;
    const char *project_id;
    const char *directory;
    const char *session_id;
    const char *model;
    cairn_tokens tokens;
    double cost;          /* recorded by the agent for this response, 0 if none */
    double session_cost;  /* recorded for the whole session (Claude cost-state), 0 if none */
    cairn_tokens session_tokens; /* the session's totals, to share session_cost out */
    bool in_parent_cost; /* a sub-agent whose cost the parent's recorded total includes */
} cairn_usage_row;

typedef struct cairn_usage_filter {
    cairn_agent agent;
    int64_t since_ms, until_ms;
    const char *project;
} cairn_usage_filter;

/**
 * Call fn for every response with token usage that matches f, oldest first.
 * The row's strings are valid during the call only.  fn returns non-zero to stop.
 */
CAIRN_API cairn_rc cairn_store_usage_rows(cairn_store *s, const cairn_usage_filter *f,
                                          int (*fn)(const cairn_usage_row *r, void *ud),
                                          void *ud, cairn_err *err);

/* ---- stats ---- */

typedef struct cairn_store_count {
    char agent[32];
    char project[512]; /* project id ("" for the agent's total row) */
    char directory[512];
    int64_t sessions, messages, parts, gone;
} cairn_store_count;

typedef struct cairn_store_stats {
    int64_t sessions, messages, parts, gone;
    int64_t db_bytes;
    int64_t last_ingest_ms; /* 0: never */
    cairn_store_count *counts; /* per agent and project */
    size_t ncounts;
} cairn_store_stats;

/** Counts, sizes and the time of the last ingest; free with cairn_store_stats_release. */
CAIRN_API cairn_rc cairn_store_stats_get(cairn_store *s, cairn_store_stats *out, cairn_err *err);
CAIRN_API void cairn_store_stats_release(cairn_store_stats *st);

/* ---- the live index's state, shared between processes ---- */

/** What a running live index (`cairn watch`, `cairn serve`) last recorded. */
typedef struct cairn_watch_state {
    bool present;       /* a live index has recorded its state in this store */
    bool running;       /* its process is still alive */
    int64_t pid;
    char backend[16];   /* "inotify" or "poll" */
    int64_t dirs;       /* directories watched (or places polled) */
    int64_t events;     /* change events read */
    int64_t overflows;  /* event-queue overflows (each a full rescan) */
    int64_t ingests;    /* incremental ingests run */
    int64_t backlog;    /* changed paths not yet re-indexed */
    int64_t sessions_new, sessions_changed, sessions_gone, messages; /* re-indexed */
    int64_t last_event_ms, last_index_ms, updated_ms; /* wall times; 0: never */
    double lag_ms;      /* the latest re-index: from the first change to searchable */
} cairn_watch_state;

/** Record st (present and running are not stored).  Small; not a durable write. */
CAIRN_API cairn_rc cairn_store_watch_put(cairn_store *s, const cairn_watch_state *st,
                                         cairn_err *err);
/** The last recorded state; out->present is false when none was ever recorded. */
CAIRN_API cairn_rc cairn_store_watch_get(cairn_store *s, cairn_watch_state *out, cairn_err *err);

#ifdef __cplusplus
}
#endif
#endif
