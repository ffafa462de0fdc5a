/*
 * store/memfts.c - the memories' full-text index, kept up behind the saves
 * (cairn/memory.h: cairn_memory_defer_index).
 *
 * fts_memories indexes every row of memories.  FTS5 writes a new segment of
 * its index at each commit that inserted into it, so a save committed on its
 * own paid for one: on bench/mcp's one-at-a-time saves that was 4 of a
 * save's 9 WAL pages and half of its instructions, and rows indexed many to
 * a transaction share one.  A connection may therefore leave the rows of its
 * last saves out of the index for a while; they are indexed together later.
 *
 * Which rows the index holds is not written down anywhere: it is every row
 * of memories up to the largest id in fts_memories_docsize (FTS5 keeps one
 * docsize row per indexed row).  That holds because rows are indexed in id
 * order, all those past that id at once; a new row's id is past every
 * existing one (an INTEGER PRIMARY KEY is the largest plus one); and the
 * sweep, the only delete, indexes what is left first and then takes each
 * row out of both tables.  So the rows waiting are those past that id.
 *
 * Who indexes them: a save past its connection's bound (and every save of a
 * connection that does not defer), a search before it reads the index (when
 * it can take the write lock at once), the sweep, and cairn_store_close.
 * A search on another connection that cannot take the lock, or on a
 * read-only one, does not see the rows waiting.
 *
 * FTS5 adds a segment to its index for each transaction that inserts, and
 * merges them a few at a time; a search reads every segment.  Rows indexed in
 * batches leave it in ~17 segments after 3,000 saves, and a search over one
 * segment took 31 % fewer instructions (bench/mcp's queries).  So the
 * connection that has indexed an eighth of the index's rows since it last
 * did so rewrites the index as one segment ('optimize', ~4 ms for 3,000
 * rows): each row is rewritten ~8 times over its life, the saves' share of
 * the cost (+13 % of their instructions against -30 % for the searches).
 * The rewrite first indexes any row the index lacks below its largest id,
 * which only a cairn from before this could leave (schema 10 keeps it from
 * opening the store, not one already running when it was migrated): such
 * rows are found by search again at the next rewrite.
 */
#include "base/err.h"
#include "store/db.h"

/* Rows indexed since the last rewrite, times this, reaching the index's rows: rewrite it. */
#define REWRITE_SHARE 8

/* The largest row id of memories the index holds (0: none); -1 on error. */
static int64_t indexed_top(cairn_store *s, cairn_err *err)
{
    sqlite3_stmt *st =
        cn_store_cached(s, "SELECT coalesce(max(id), 0) FROM fts_memories_docsize", err);
    if (!st)
        return -1;
    int64_t top = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_reset(st);
    if (top < 0)
        cn_store_error(s, err, "cannot read the memories' full-text index");
    return top;
}

cairn_rc cn_memfts_catch_up(cairn_store *s, cairn_err *err)
{
    int64_t top = indexed_top(s, err);
    if (top < 0)
        return CAIRN_IO;
    sqlite3_stmt *st = cn_store_cached(s,
                                       "INSERT INTO fts_memories(rowid, key, value, metadata_json)"
                                       " SELECT id, key, value, metadata_json FROM memories"
                                       " WHERE id > ?1 ORDER BY id",
                                       err);
    if (!st)
        return CAIRN_IO;
    sqlite3_bind_int64(st, 1, top);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return cn_store_error(s, err, "cannot index memories");
    int64_t added = sqlite3_changes64(s->db);
    s->fts_lag = 0;
    s->fts_fresh += added;
    /* the index's rows: at most its largest id.  A rewrite that fails is undone by itself
     * (a statement of the transaction), and costs no more than searches a little slower:
     * the rows are indexed, the caller goes on, and the next rewrite waits as long. */
    if (added && s->fts_fresh * REWRITE_SHARE >= top + added) {
        cairn_err ignored;
        cn_store_run(s,
                     "INSERT INTO fts_memories(rowid, key, value, metadata_json) SELECT id, key,"
                     " value, metadata_json FROM memories m WHERE NOT EXISTS (SELECT 1 FROM"
                     " fts_memories_docsize d WHERE d.id = m.id)",
                     &ignored);
        cn_store_run(s, "INSERT INTO fts_memories(fts_memories) VALUES('optimize')", &ignored);
        s->fts_fresh = 0;
    }
    return CAIRN_OK;
}

bool cn_memfts_waiting(cairn_store *s)
{
    sqlite3_stmt *st = cn_store_cached(s,
                                       "SELECT (SELECT max(id) FROM memories) >"
                                       " (SELECT coalesce(max(id), 0) FROM fts_memories_docsize)",
                                       NULL);
    if (!st)
        return false;
    bool waiting = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
    sqlite3_reset(st);
    return waiting;
}

void cairn_memory_defer_index(cairn_store *s, unsigned rows)
{
    s->fts_defer = rows;
}

unsigned cairn_memory_unindexed(const cairn_store *s)
{
    return s->fts_lag;
}

cairn_rc cairn_memory_index(cairn_store *s, bool wait, cairn_err *err)
{
    cairn_rc rc;
    if (s->readonly)
        return cn_err_set(err, CAIRN_PERM, "store '%s' is open read-only", s->path);
    if (!sqlite3_get_autocommit(s->db)) /* in a transaction: index in it */
        return cn_memfts_catch_up(s, err);
    if (!cn_memfts_waiting(s)) {
        s->fts_lag = 0;
        return CAIRN_OK;
    }
    /* derived data: its commit needs no disk sync (lost, the rows are simply waiting again) */
    if ((rc = cn_store_sync(s, false, err)))
        return rc;
    int locked = cn_store_begin_now(s, wait);
    if (locked != SQLITE_OK)
        return locked == SQLITE_BUSY
                   ? cn_err_set(err, CAIRN_BUSY, "the store is locked by another writer")
                   : cn_store_error(s, err, "cannot index memories");
    if ((rc = cn_memfts_catch_up(s, err)) || (rc = cn_store_commit(s, err))) {
        cn_store_rollback(s);
        return rc;
    }
    return CAIRN_OK;
}
