/*
 * store/memory.c - project memories (cairn/memory.h).
 *
 * Every version of a key is a row.  Invariants: at most one row per
 * (project, key) has superseded_at NULL -- the current version, live or
 * forgotten (deleted_at set); fts_memories indexes every row, and readers
 * filter out superseded, forgotten and expired rows.  Saves, forgets,
 * restores and sweeps are durable transactions; counting accesses is not
 * (losing the last few counts to a power cut is acceptable, an fsync per
 * read is not).
 *
 * Search ranks by FTS5's bm25 (weights key 2.0, value 1.0, metadata 0.5),
 * ties oldest row first, and scores every match of the project's live
 * memories: a common word, thousands.  bm25() reads each row's size with a
 * lookup statement of its own, 80% of its time; cairn_bm25 computes the
 * very same score (a test compares them on every match) from the size the
 * query joins from fts_memories_docsize.  docs/BENCHMARKS.md ("MCP") has the
 * measurements, and why the ranking does not run over the index alone.
 */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/random.h"
#include "json/json.h"
#include "store/db.h"

struct cn_memories_priv {
    cn_arena arena;
    size_t cap;
    int64_t *rowids;
};

void cairn_memories_free(cairn_memories *m)
{
    if (!m)
        return;
    if (m->priv) {
        cn_arena_release(&m->priv->arena);
        free(m->priv->rowids);
    }
    free(m->priv);
    free(m->items);
    free(m);
}

static cairn_memories *list_new(void)
{
    cairn_memories *m = calloc(1, sizeof *m);
    if (!m || !(m->priv = calloc(1, sizeof *m->priv))) {
        free(m);
        return NULL;
    }
    cn_arena_init(&m->priv->arena, 16 << 10, 0);
    return m;
}

static const char *col(cairn_memories *m, sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return t ? cn_arena_cstr(&m->priv->arena, t, (size_t)sqlite3_column_bytes(st, i)) : NULL;
}

/* Read every row of st (selecting CN_MEMORY_COLS) into a new list. */
static cairn_rc collect(cairn_store *s, sqlite3_stmt *st, cairn_memories **out, cairn_err *err)
{
    cairn_memories *m = list_new();
    int rc;
    if (!m)
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (m->n == m->priv->cap) {
            size_t cap = m->priv->cap ? m->priv->cap * 2 : 16;
            cairn_memory *it = realloc(m->items, cap * sizeof *it);
            int64_t *ids = realloc(m->priv->rowids, cap * sizeof *ids);
            if (it)
                m->items = it;
            if (ids)
                m->priv->rowids = ids;
            if (!it || !ids) {
                cairn_memories_free(m);
                return cn_err_set(err, CAIRN_NOMEM, "out of memory");
            }
            m->priv->cap = cap;
        }
        cairn_memory *x = &m->items[m->n];
        m->priv->rowids[m->n++] = sqlite3_column_int64(st, 0);
        x->memory_id = col(m, st, 1);
        x->project_id = col(m, st, 2);
        x->key = col(m, st, 3);
        x->value = col(m, st, 4);
        x->metadata_json = col(m, st, 5);
        x->version = sqlite3_column_int64(st, 6);
        x->created_ms = sqlite3_column_int64(st, 7);
        x->last_accessed_ms = sqlite3_column_int64(st, 8);
        x->accessed_count = sqlite3_column_int64(st, 9);
        x->ttl_seconds = sqlite3_column_int64(st, 10);
        x->expires_ms = sqlite3_column_int64(st, 11);
        x->deleted_ms = sqlite3_column_int64(st, 12);
        x->superseded_ms = sqlite3_column_int64(st, 13);
    }
    if (rc != SQLITE_DONE) {
        cairn_memories_free(m);
        return cn_store_error(s, err, "cannot read memories");
    }
    *out = m;
    return CAIRN_OK;
}

/* A statement of cn_store_cached is kept: end its read and drop the caller's strings
 * (NULL: none). */
static void done(sqlite3_stmt *st)
{
    if (!st)
        return;
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static void bind_pk(sqlite3_stmt *st, const char *project, const char *key, int64_t now)
{
    sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
    if (key)
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_index(st, "?9"))
        sqlite3_bind_int64(st, 9, now);
}

static cairn_rc exec_pk(cairn_store *s, const char *sql, const char *project, const char *key,
                        int64_t now, cairn_err *err)
{
    sqlite3_stmt *st = cn_store_cached(s, sql, err);
    if (!st)
        return CAIRN_IO;
    bind_pk(st, project, key, now);
    int rc = sqlite3_step(st);
    done(st);
    return rc == SQLITE_DONE ? CAIRN_OK : cn_store_error(s, err, "cannot write memories");
}

static cairn_rc check_args(const char *project, const char *key, cairn_err *err)
{
    if (!project || !*project)
        return cn_err_set(err, CAIRN_INVAL, "a memory needs a project id");
    if (key && !*key)
        return cn_err_set(err, CAIRN_INVAL, "a memory needs a key");
    return CAIRN_OK;
}

cairn_rc cairn_memory_save(cairn_store *s, const char *project, const char *key,
                           const char *value, const char *metadata_json, int64_t ttl_seconds,
                           cairn_memories **out, cairn_err *err)
{
    char id[32] = "mem_";
    int64_t now = cn_now_ms();
    cairn_rc rc;
    sqlite3_stmt *st = NULL;

    if (out)
        *out = NULL;
    if ((rc = check_args(project, key ? key : "", err)))
        return rc;
    if (!value)
        return cn_err_set(err, CAIRN_INVAL, "a memory needs a value");
    if (ttl_seconds < 0 || ttl_seconds > INT64_MAX / 1000 - now / 1000)
        return cn_err_set(err, CAIRN_RANGE,
                          "ttl_seconds must be a positive number of seconds (0: no expiry)");
    if (metadata_json) {
        cn_json j;
        cairn_err je;
        cn_json_init(&j);
        rc = cn_json_parse(&j, metadata_json, strlen(metadata_json), &je);
        bool obj = !rc && cn_json_is(cn_json_root(&j), CN_JSON_OBJECT);
        cn_json_release(&j);
        if (!obj)
            return cn_err_set(err, CAIRN_INVAL, "metadata must be a JSON object%s%s",
                              rc ? ": " : "", rc ? je.msg : "");
    }
    if (cn_random_hex(id + 4, 6))
        return cn_err_set(err, CAIRN_IO, "cannot make a memory id: no randomness");
    if ((rc = cn_store_begin_durable(s, err)))
        return rc;
    /* the current version (live or forgotten) is superseded by the new one */
    if ((rc = exec_pk(s, "UPDATE memories SET superseded_at = ?9 WHERE project_id = ?1 AND key ="
                         " ?2 AND superseded_at IS NULL",
                      project, key, now, err)))
        goto fail;
    if (!(st = cn_store_cached(
              s,
              "INSERT INTO memories(memory_id, project_id, key, value, metadata_json,"
              " version, created_at, last_accessed, ttl_seconds, expires_at) VALUES(?3,"
              " ?1, ?2, ?4, ?5, (SELECT coalesce(max(version), 0) + 1 FROM memories"
              " WHERE project_id = ?1 AND key = ?2), ?9, ?9, ?6, ?7)",
              err))) {
        rc = CAIRN_IO;
        goto fail;
    }
    bind_pk(st, project, key, now);
    sqlite3_bind_text(st, 3, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, value, -1, SQLITE_STATIC);
    if (metadata_json)
        sqlite3_bind_text(st, 5, metadata_json, -1, SQLITE_STATIC);
    if (ttl_seconds) {
        sqlite3_bind_int64(st, 6, ttl_seconds);
        sqlite3_bind_int64(st, 7, now + ttl_seconds * 1000);
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = cn_store_error(s, err, "cannot save memory");
        goto fail;
    }
    done(st);
    /* the same texts into the full-text index, under the new row's id */
    if (!(st = cn_store_cached(s,
                               "INSERT INTO fts_memories(rowid, key, value, metadata_json)"
                               " VALUES(?1, ?2, ?3, ?4)",
                               err))) {
        rc = CAIRN_IO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, sqlite3_last_insert_rowid(s->db));
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    if (metadata_json)
        sqlite3_bind_text(st, 4, metadata_json, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) {
        rc = cn_store_error(s, err, "cannot save memory");
        goto fail;
    }
    done(st);
    st = NULL;
    if ((rc = cn_store_commit_durable(s, err)))
        goto fail;
    if (!out)
        return CAIRN_OK;
    if (!(st = cn_store_cached(s, "SELECT " CN_MEMORY_COLS " FROM memories WHERE memory_id = ?1",
                               err)))
        return CAIRN_IO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    rc = collect(s, st, out, err);
    done(st);
    return rc;
fail:
    done(st);
    cn_store_rollback_durable(s);
    return rc;
}

/*
 * Count an access to every memory of the list: bookkeeping, not a durable
 * commit, and never a wait -- when another connection holds the write lock,
 * the read is answered and this count is skipped.  A server counts on its
 * writer, in a group, where no count is ever skipped.
 */
cairn_rc cairn_memory_touch(cairn_store *s, cairn_memories *m, int64_t now, cairn_err *err)
{
    sqlite3_stmt *st;
    if (!m->n)
        return CAIRN_OK;
    if (s->readonly)
        return cn_err_set(err, CAIRN_PERM, "store '%s' is open read-only", s->path);
    if (!(st = cn_store_stmt(s, ST_MEMORY_TOUCH, err)))
        return CAIRN_IO;
    /* in a group (a server's writer) the group's transaction holds the write */
    if (!s->group) {
        sqlite3_busy_timeout(s->db, 0);
        int locked = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        sqlite3_busy_timeout(s->db, 5000);
        if (locked != SQLITE_OK) {
            return cn_err_set(err, CAIRN_BUSY, "the store is busy: accesses not counted");
        }
    }
    cairn_rc rc = CAIRN_OK;
    for (size_t i = 0; i < m->n && !rc; i++) {
        sqlite3_bind_int64(st, 1, m->priv->rowids[i]);
        sqlite3_bind_int64(st, 2, now);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = cn_store_error(s, err, "cannot count accesses");
        sqlite3_reset(st);
    }
    if (!s->group && (rc || sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)) {
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return rc ? rc : cn_store_error(s, err, "cannot count accesses");
    }
    if (rc)
        return rc; /* the group rolls back */
    for (size_t i = 0; i < m->n; i++) {
        m->items[i].accessed_count++;
        m->items[i].last_accessed_ms = now;
    }
    return CAIRN_OK;
}

cairn_rc cairn_memory_peek(cairn_store *s, const char *project, const char *key, size_t limit,
                           cairn_memories **out, cairn_err *err)
{
    cairn_rc rc;
    *out = NULL;
    if ((rc = check_args(project, key, err)))
        return rc;
    sqlite3_stmt *st = cn_store_stmt(s, key ? ST_MEMORY_PEEK_KEY : ST_MEMORY_PEEK, err);
    if (!st)
        return CAIRN_IO;
    bind_pk(st, project, key, cn_now_ms());
    sqlite3_bind_int64(st, 3, limit ? (int64_t)limit : 20);
    rc = collect(s, st, out, err);
    sqlite3_reset(st); /* the statement is kept: end its read, drop our strings */
    sqlite3_clear_bindings(st);
    if (rc)
        return rc;
    if (key && !(*out)->n) {
        cairn_memories_free(*out);
        *out = NULL;
        return cn_err_set(err, CAIRN_NOTFOUND, "no memory '%s' in project '%s'", key, project);
    }
    return CAIRN_OK;
}

cairn_rc cairn_memory_recall(cairn_store *s, const char *project, const char *key,
                             size_t limit, cairn_memories **out, cairn_err *err)
{
    cairn_err ignored;
    cairn_rc rc = cairn_memory_peek(s, project, key, limit, out, err);
    if (!rc && !s->readonly) /* a busy store skips the count, never the answer */
        cairn_memory_touch(s, *out, cn_now_ms(), &ignored);
    return rc;
}

cairn_rc cairn_memory_history(cairn_store *s, const char *project, const char *key,
                              cairn_memories **out, cairn_err *err)
{
    cairn_rc rc;
    *out = NULL;
    if ((rc = check_args(project, key ? key : "", err)))
        return rc;
    sqlite3_stmt *st =
        cn_store_cached(s,
                        "SELECT " CN_MEMORY_COLS " FROM memories WHERE project_id = ?1 AND"
                        " key = ?2 ORDER BY version DESC",
                        err);
    if (!st)
        return CAIRN_IO;
    bind_pk(st, project, key, 0);
    rc = collect(s, st, out, err);
    done(st);
    if (!rc && !(*out)->n) {
        cairn_memories_free(*out);
        *out = NULL;
        return cn_err_set(err, CAIRN_NOTFOUND, "no memory '%s' in project '%s'", key, project);
    }
    return rc;
}

/* ---- search ---- */

static const double rank_weight[] = {2.0, 1.0, 0.5}; /* key, value, metadata_json */

/* What cairn_bm25 computes once per query: bm25's IDF of each phrase, the mean row size. */
typedef struct rank_query {
    int nphrase;
    double avgdl;
    double *idf, *freq; /* nphrase each; freq: the current row's weighted hits */
} rank_query;

static int count_row(const Fts5ExtensionApi *api, Fts5Context *fts, void *n)
{
    (void)api;
    (void)fts;
    ++*(sqlite3_int64 *)n;
    return SQLITE_OK;
}

/* The query's constants, kept as the cursor's auxdata (freed with it); NULL with *rc set. */
static rank_query *rank_query_new(const Fts5ExtensionApi *api, Fts5Context *fts, int *rc)
{
    int n = api->xPhraseCount(fts);
    sqlite3_int64 rows = 0, tokens = 0;
    rank_query *q = sqlite3_malloc64(sizeof *q + 2 * (size_t)n * sizeof(double));
    if (!q) {
        *rc = SQLITE_NOMEM;
        return NULL;
    }
    q->nphrase = n;
    q->idf = (double *)(q + 1);
    q->freq = q->idf + n;
    if ((*rc = api->xRowCount(fts, &rows)) || (*rc = api->xColumnTotalSize(fts, -1, &tokens))) {
        sqlite3_free(q);
        return NULL;
    }
    q->avgdl = (double)tokens / (double)rows;
    for (int i = 0; i < n; i++) {
        sqlite3_int64 hits = 0;
        if ((*rc = api->xQueryPhrase(fts, i, &hits, count_row))) {
            sqlite3_free(q);
            return NULL;
        }
        /* bm25's IDF, floored above zero as FTS5 does for words in most rows */
        double idf = log((rows - hits + 0.5) / (hits + 0.5));
        q->idf[i] = idf > 0.0 ? idf : 1e-6;
    }
    /* on failure xSetAuxdata frees q itself */
    return (*rc = api->xSetAuxdata(fts, q, sqlite3_free)) ? NULL : q;
}

/*
 * A row's size in tokens over all columns from its fts_memories_docsize blob:
 * one SQLite varint per column (7 bits a byte, most significant first, high
 * bit set on all but the last byte).  false if it is not that.
 */
static bool docsize_total(const unsigned char *p, int n, int ncols, int *total)
{
    int64_t sum = 0;
    int cols = 0;
    for (int i = 0; i < n; cols++) {
        uint64_t v = 0;
        for (int len = 0;; len++) {
            if (i == n || len == 5)
                return false;
            v = v << 7 | (p[i] & 0x7f);
            if (!(p[i++] & 0x80))
                break;
        }
        sum += (int64_t)v;
    }
    if (cols != ncols || sum > INT_MAX)
        return false;
    *total = (int)sum;
    return true;
}

/*
 * cairn_bm25(fts_memories, sz): bm25(fts_memories, 2.0, 1.0, 0.5) -- the
 * formula of the FTS5 documentation, k1 1.2, b 0.75, negated so that better
 * sorts first -- with the row's size read from sz, its docsize blob, rather
 * than looked up.  A NULL or unreadable sz falls back to the lookup.
 */
static void rank(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int argc,
                 sqlite3_value **argv)
{
    const double k1 = 1.2, b = 0.75;
    int rc = SQLITE_OK, ninst = 0, size = 0;
    rank_query *q = api->xGetAuxdata(fts, 0);
    if (!q && !(q = rank_query_new(api, fts, &rc))) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    for (int i = 0; i < q->nphrase; i++)
        q->freq[i] = 0.0;
    rc = api->xInstCount(fts, &ninst);
    for (int i = 0; rc == SQLITE_OK && i < ninst; i++) {
        int phrase, column, offset;
        if ((rc = api->xInst(fts, i, &phrase, &column, &offset)) == SQLITE_OK)
            q->freq[phrase] += column < (int)(sizeof rank_weight / sizeof *rank_weight)
                                   ? rank_weight[column]
                                   : 1.0;
    }
    const unsigned char *sz = argc == 1 ? sqlite3_value_blob(argv[0]) : NULL;
    if (rc == SQLITE_OK &&
        !(sz && docsize_total(sz, sqlite3_value_bytes(argv[0]), api->xColumnCount(fts), &size)))
        rc = api->xColumnSize(fts, -1, &size);
    if (rc != SQLITE_OK) {
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    double d = (double)size, score = 0.0;
    for (int i = 0; i < q->nphrase; i++)
        score += q->idf[i] *
                 ((q->freq[i] * (k1 + 1.0)) / (q->freq[i] + k1 * (1 - b + b * d / q->avgdl)));
    sqlite3_result_double(ctx, -1.0 * score);
}

/*
 * Register cairn_bm25 on the connection before the search statement is first
 * prepared (FTS5 resolves its functions then).  Should that prepare fail, the
 * next search registers again, which FTS5 allows (the newest entry is used).
 */
static cairn_rc rank_register(cairn_store *s, cairn_err *err)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st;
    if (s->st[ST_MEMORY_SEARCH])
        return CAIRN_OK;
    if (sqlite3_prepare_v2(s->db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
        return cn_store_error(s, err, "cannot use full-text search");
    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(st);
    sqlite3_finalize(st);
    if (!api || api->iVersion < 2 ||
        api->xCreateFunction(api, "cairn_bm25", NULL, rank, NULL) != SQLITE_OK)
        return cn_err_set(err, CAIRN_IO, "store '%s': cannot register cairn_bm25", s->path);
    return CAIRN_OK;
}

cairn_rc cairn_memory_search(cairn_store *s, const char *project, const cairn_query *q,
                             size_t limit, cairn_memories **out, cairn_err *err)
{
    cn_buf expr;
    cairn_rc rc;
    sqlite3_stmt *st;
    *out = NULL;
    if ((rc = check_args(project, NULL, err)))
        return rc;
    cn_buf_init(&expr, 1 << 16);
    if ((rc = cn_store_fts_expr(q, &expr))) {
        cn_buf_release(&expr);
        return cn_err_set(err, rc, "out of memory");
    }
    if ((rc = rank_register(s, err)))
        goto out;
    if (!(st = cn_store_stmt(s, ST_MEMORY_SEARCH, err))) {
        rc = CAIRN_IO;
        goto out;
    }
    bind_pk(st, project, expr.ptr, cn_now_ms());
    sqlite3_bind_int64(st, 3, limit ? (int64_t)limit : 20);
    rc = collect(s, st, out, err);
    sqlite3_reset(st); /* the statement is kept: end its read, drop our strings */
    sqlite3_clear_bindings(st);
out:
    cn_buf_release(&expr);
    return rc;
}

static cairn_rc one_change(cairn_store *s, const char *sql, const char *project, const char *key,
                           const char *what, cairn_err *err)
{
    cairn_rc rc;
    if ((rc = check_args(project, key ? key : "", err)) || (rc = cn_store_begin_durable(s, err)))
        return rc;
    if ((rc = exec_pk(s, sql, project, key, cn_now_ms(), err))) {
        cn_store_rollback_durable(s);
        return rc;
    }
    if (!sqlite3_changes(s->db)) {
        cn_store_rollback_durable(s);
        return cn_err_set(err, CAIRN_NOTFOUND, "no memory '%s' %s in project '%s'", key, what,
                          project);
    }
    return cn_store_commit_durable(s, err);
}

cairn_rc cairn_memory_forget(cairn_store *s, const char *project, const char *key, cairn_err *err)
{
    return one_change(s, "UPDATE memories SET deleted_at = ?9 WHERE project_id = ?1 AND key = ?2"
                         " AND superseded_at IS NULL AND deleted_at IS NULL AND (expires_at IS"
                         " NULL OR expires_at > ?9)",
                      project, key, "to forget", err);
}

cairn_rc cairn_memory_restore(cairn_store *s, const char *project, const char *key,
                              cairn_err *err)
{
    return one_change(s, "UPDATE memories SET deleted_at = NULL WHERE project_id = ?1 AND key ="
                         " ?2 AND superseded_at IS NULL AND deleted_at IS NOT NULL AND"
                         " (expires_at IS NULL OR expires_at > ?9)",
                      project, key, "to restore", err);
}

cairn_rc cairn_memory_sweep(cairn_store *s, int64_t grace_ms, size_t *n, cairn_err *err)
{
    char sql[512];
    int64_t cut = cn_now_ms() - grace_ms;
    cairn_rc rc;
    *n = 0;
    if ((rc = cn_store_begin_durable(s, err)))
        return rc;
    snprintf(sql, sizeof sql,
             "INSERT INTO fts_memories(fts_memories, rowid, key, value, metadata_json) SELECT"
             " 'delete', id, key, value, metadata_json FROM memories WHERE expires_at < %lld;"
             "DELETE FROM memories WHERE expires_at < %lld",
             (long long)cut, (long long)cut);
    if ((rc = cn_store_exec(s, sql, err))) {
        cn_store_rollback_durable(s);
        return rc;
    }
    *n = (size_t)sqlite3_changes(s->db);
    return cn_store_commit_durable(s, err);
}
