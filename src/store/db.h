/*
 * store/db.h - the SQLite store's internals (the only includer of sqlite3.h
 * besides source/opencode/db.c, which reads agent databases).
 */
#ifndef CN_STORE_DB_H
#define CN_STORE_DB_H

#include <sqlite3.h>

#include "base/buf.h"
#include "cairn/memory.h"
#include "cairn/store.h"
#include "store/ctxsnap.h"

/* A memory row as store/memory.c reads it, and what makes it live (?9: now, ms). */
#define CN_MEMORY_COLS                                                                             \
    "id, memory_id, project_id, key, value, metadata_json, version, created_at, last_accessed,"  \
    " accessed_count, ttl_seconds, expires_at, deleted_at, superseded_at"
#define CN_MEMORY_LIVE                                                                             \
    "superseded_at IS NULL AND deleted_at IS NULL AND (expires_at IS NULL OR expires_at > ?9)"

/* Prepared statements reused across calls on one connection (the writer's, memory search). */
enum {
    ST_SOURCE_GET,
    ST_SOURCE_ADD,
    ST_SOURCE_TOUCH,
    ST_SESSION_FIND,
    ST_SESSION_INSERT,
    ST_SESSION_UPDATE,
    ST_SESSION_FP,
    ST_SESSION_FTS_DELETE,
    ST_SESSION_FTS_INSERT,
    ST_MESSAGE_INSERT,
    ST_PART_INSERT,
    ST_PART_FTS_INSERT,
    ST_PROJECT_UPSERT,
    ST_MSG_LIST,
    ST_MSG_PARTS_FTS_DELETE,
    ST_MSG_PARTS_DELETE,
    ST_MSG_DELETE,
    ST_MSG_SEQ,
    ST_SESSION_TOTALS,
    ST_SESSION_COUNTS,
    ST_MEMORY_SEARCH,
    ST_MEMORY_PEEK,     /* a project's live memories, most recently accessed first */
    ST_MEMORY_PEEK_KEY, /* the same for one key */
    ST_MEMORY_TOUCH,    /* count one access */
    ST_COUNT
};

#define CN_STORE_CACHED 64 /* statements cn_store_cached keeps per connection (~30 used) */

/* memlive.c: which rows are a project's live memories, and their sizes (see there). */
typedef struct cn_memlive {
    char *project;   /* the project it is for; NULL: none */
    int64_t gen;     /* memory_gen's number it was built at (or, not built, last seen at) */
    int64_t top;     /* and the largest row id of memories then */
    int64_t until;   /* the first expiry among its rows (INT64_MAX: none) */
    int64_t base;    /* the row id of len[0] */
    size_t n;        /* entries of len */
    uint32_t *len;   /* per row id: size in tokens + 1; 0: not a live memory of project */
    bool built;      /* else the last search went through SQL */
    bool too_big;    /* the rows span too many ids: this version searches in SQL */
} cn_memlive;

struct cairn_store {
    sqlite3 *db;
    char *path;
    bool readonly;
    bool group; /* inside cairn_store_group_begin/end: durable writes are savepoints */
    sqlite3_stmt *st[ST_COUNT];
    struct {
        const char *sql; /* the key: a string literal's address */
        sqlite3_stmt *st;
    } cached[CN_STORE_CACHED];
    size_t ncached;
    cn_zstd zstd; /* for context snapshots */
    cn_memlive live;
    bool ranking;   /* the ranking functions of memsearch.c are registered */
    bool sync_full; /* the connection has synchronous=FULL (else NORMAL) */
    unsigned fts_defer;     /* saves that may leave their rows out of fts_memories (memfts.c) */
    unsigned fts_lag;       /* this connection's saves since it last indexed */
    int64_t fts_fresh;      /* rows it indexed since it last rewrote the index (memfts.c) */
    struct cn_ctx_due *due; /* context folds left for later (context.c), CN_CTX_DUE_MAX */
    size_t ndue;
    unsigned ckpt_frames; /* cairn_store_checkpoint_elsewhere (wal.c) */
    unsigned ckpt_next;   /* the WAL's size in frames at which the next one is due */
    void (*ckpt_due)(void *ud);
    void *ckpt_ud;
    /* the files under the connection (cn_store_commit: still the ones it opened) */
    char *wal_path;
    uint64_t db_dev, db_ino;
};

/* How long a connection waits for another's write lock (sqlite3_busy_timeout). */
#define CN_STORE_BUSY_MS 5000

#define CN_CTX_DUE_MAX 4096 /* folds left for later, at most; past it, appends fold at once */

/**
 * The statement of sql -- a string literal: its address is the key --
 * prepared once per connection and kept, reset and unbound.  Hand it back
 * with sqlite3_reset(), never sqlite3_finalize(); one use at a time.  NULL
 * with err set when it cannot be prepared (or more than CN_STORE_CACHED
 * statements are asked for: a bug).
 */
sqlite3_stmt *cn_store_cached(cairn_store *s, const char *sql, cairn_err *err);

/** Step text (one statement, a string literal) once, as a statement cn_store_cached keeps. */
cairn_rc cn_store_run(cairn_store *s, const char *text, cairn_err *err);
/** Translate the connection's last error into a cairn_err naming what failed. */
cairn_rc cn_store_error(cairn_store *s, cairn_err *err, const char *what);
/** Prepare (once) and return statement id; NULL with err set on failure. */
sqlite3_stmt *cn_store_stmt(cairn_store *s, int id, cairn_err *err);
/** Set the connection's synchronous to FULL or NORMAL (outside a transaction). */
cairn_rc cn_store_sync(cairn_store *s, bool full, cairn_err *err);
/**
 * BEGIN IMMEDIATE, without waiting for another connection's write lock unless wait
 * (then up to CN_STORE_BUSY_MS): SQLite's result, SQLITE_BUSY when it is held.
 */
int cn_store_begin_now(cairn_store *s, bool wait);
/** Begin / commit a transaction of cairn's own data: synchronous=FULL for its commit. */
cairn_rc cn_store_begin_durable(cairn_store *s, cairn_err *err);
cairn_rc cn_store_commit_durable(cairn_store *s, cairn_err *err);
void cn_store_rollback_durable(cairn_store *s);
/** The FTS5 expression of a parsed query (every term quoted), appended to q. */
cairn_rc cn_store_fts_expr(const cairn_query *qy, cn_buf *q);
/** The same, with term i written as expanded[i] when that is not NULL. */
cairn_rc cn_store_fts_expr_expanded(const cairn_query *qy, char *const *expanded, cn_buf *q);

/* memfts.c */
/** Index the memories rows past what fts_memories holds, in the caller's write transaction. */
cairn_rc cn_memfts_catch_up(cairn_store *s, cairn_err *err);
/** Some memories rows wait to be indexed (false on error too). */
bool cn_memfts_waiting(cairn_store *s);

/** Run SQL with no results. */
cairn_rc cn_store_exec(cairn_store *s, const char *sql, cairn_err *err);

/** Migrations: the SQL of each schema version, in order. */
extern const char *const cn_store_migrations[];
/* Columns migration 5 adds when a store lacks them (made by a build of the first day). */
typedef struct cn_column_fix {
    const char *table, *column, *decl;
} cn_column_fix;
extern const cn_column_fix cn_store_repaired_columns[]; /* ends with {NULL} */
extern const int cn_store_nmigrations;

/* write.c */
typedef struct cn_writer cn_writer;
/** Begin a write transaction. */
cairn_rc cn_store_begin(cairn_store *s, cairn_err *err);
cairn_rc cn_store_commit(cairn_store *s, cairn_err *err);
void cn_store_rollback(cairn_store *s);
/** The source's row id, created if new. */
cairn_rc cn_store_source_id(cairn_store *s, cairn_agent agent, const char *path, int64_t *id,
                            cairn_err *err);
/**
 * Write session i of batch b (replacing what was stored for it), with its
 * messages and parts and their full-text entries.  fp_meta / fp_content
 * are the fingerprints ingest compares next time.  *existed (NULL allowed):
 * the store held the session already (from this source or another).
 */
cairn_rc cn_store_write_session(cairn_store *s, int64_t source_id, const cairn_batch *b,
                                size_t i, int64_t fp_meta, int64_t fp_content, bool *existed,
                                cairn_err *err);
/** Write message m of batch b (with its parts and their index) as row seq of session srow. */
cairn_rc cn_store_write_message(cairn_store *s, int64_t srow, uint32_t seq, const cairn_batch *b,
                                const cairn_message *m, cairn_err *err);

/** Upsert every project of b. */
cairn_rc cn_store_write_projects(cairn_store *s, const cairn_batch *b, cairn_err *err);

/* memory.c */
/** A new empty list; NULL when out of memory. */
cairn_memories *cn_memories_new(void);
/** Append the row st is on (selecting CN_MEMORY_COLS) to m. */
cairn_rc cn_memories_add(cairn_memories *m, sqlite3_stmt *st, cairn_err *err);
/** Read every row of st (selecting CN_MEMORY_COLS) into a new list. */
cairn_rc cn_memories_collect(cairn_store *s, sqlite3_stmt *st, cairn_memories **out,
                             cairn_err *err);
/** Bind project to ?1, key (when not NULL) to ?2, now to ?9 (when the statement has it). */
void cn_memories_bind(sqlite3_stmt *st, const char *project, const char *key, int64_t now);
/** An empty project or key (key NULL: not checked) is CAIRN_INVAL. */
cairn_rc cn_memories_check(const char *project, const char *key, cairn_err *err);

/* memsearch.c */
/**
 * A row's size in tokens, over all columns of fts_memories, from its
 * fts_memories_docsize blob; false if the blob is not one.
 */
bool cn_memory_docsize(const void *blob, int n, int *size);

/* memlive.c */
/**
 * In a read transaction of a search of project: true when s->live holds the
 * project's live rows as this transaction sees them, building them when the
 * previous search saw the same version.  false: search in SQL.
 */
bool cn_memlive_ready(cairn_store *s, const char *project, int64_t now);
/** Size + 1 of a live memory's row; 0 when rowid is not one. */
uint32_t cn_memlive_get(const cn_memlive *f, int64_t rowid);
void cn_memlive_release(cn_memlive *f);

/* context.c */
/** Forget the folds left for later (at close). */
void cn_context_due_release(cairn_store *s);
/**
 * Fold session_id's context events (all but the newest) into its compressed
 * snapshot now, whatever the threshold, in one durable transaction; what
 * cairn_context_append does past the threshold (tests use it).
 * CAIRN_NOTFOUND, CAIRN_CORRUPT (a damaged snapshot: nothing changes).
 */
cairn_rc cn_store_context_fold(cairn_store *s, const char *session_id, cairn_err *err);

#endif
