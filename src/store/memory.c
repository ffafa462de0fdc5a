/*
 * store/memory.c - project memories (cairn/memory.h).
 *
 * Every version of a key is a row.  Invariants: at most one row per
 * (project, key) has superseded_at NULL -- the current version, live or
 * forgotten (deleted_at set); fts_memories indexes every row (a save's row
 * may wait a while: store/memfts.c), and readers filter out superseded,
 * forgotten and expired rows.  Saves, forgets, restores and sweeps are
 * durable transactions; counting accesses is not (losing the last few
 * counts to a power cut is acceptable, an fsync per read is not).  Search is
 * store/memsearch.c.
 */
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

cairn_memories *cn_memories_new(void)
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

cairn_rc cn_memories_add(cairn_memories *m, sqlite3_stmt *st, cairn_err *err)
{
    if (m->n == m->priv->cap) {
        size_t cap = m->priv->cap ? m->priv->cap * 2 : 16;
        cairn_memory *it = realloc(m->items, cap * sizeof *it);
        int64_t *ids = realloc(m->priv->rowids, cap * sizeof *ids);
        if (it)
            m->items = it;
        if (ids)
            m->priv->rowids = ids;
        if (!it || !ids)
            return cn_err_set(err, CAIRN_NOMEM, "out of memory");
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
    return CAIRN_OK;
}

cairn_rc cn_memories_collect(cairn_store *s, sqlite3_stmt *st, cairn_memories **out,
                             cairn_err *err)
{
    cairn_memories *m = cn_memories_new();
    cairn_rc rc = CAIRN_OK;
    int step = SQLITE_DONE;
    if (!m)
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW)
        rc = cn_memories_add(m, st, err);
    if (!rc && step != SQLITE_DONE)
        rc = cn_store_error(s, err, "cannot read memories");
    if (rc) {
        cairn_memories_free(m);
        return rc;
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

void cn_memories_bind(sqlite3_stmt *st, const char *project, const char *key, int64_t now)
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
    cn_memories_bind(st, project, key, now);
    int rc = sqlite3_step(st);
    done(st);
    return rc == SQLITE_DONE ? CAIRN_OK : cn_store_error(s, err, "cannot write memories");
}

cairn_rc cn_memories_check(const char *project, const char *key, cairn_err *err)
{
    if (!project || !*project)
        return cn_err_set(err, CAIRN_INVAL, "a memory needs a project id");
    if (key && !*key)
        return cn_err_set(err, CAIRN_INVAL, "a memory needs a key");
    return CAIRN_OK;
}

/* The memory saved as id, as a one-item list into *out: CAIRN_CORRUPT unless that row is it. */
static cairn_rc read_back(cairn_store *s, const char *id, const char *project, const char *key,
                          cairn_memories **out, cairn_err *err)
{
    sqlite3_stmt *st =
        cn_store_cached(s, "SELECT " CN_MEMORY_COLS " FROM memories WHERE memory_id = ?1", err);
    if (!st)
        return CAIRN_IO;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    cairn_rc rc = cn_memories_collect(s, st, out, err);
    done(st);
    if (rc)
        return rc;
    const cairn_memory *m = (*out)->n == 1 ? &(*out)->items[0] : NULL;
    if (m && !strcmp(m->memory_id, id) && !strcmp(m->project_id, project) && !strcmp(m->key, key))
        return CAIRN_OK;
    cairn_memories_free(*out);
    *out = NULL;
    return cn_err_set(err, CAIRN_CORRUPT,
                      "store '%s' is damaged: the memory just saved cannot be read back by its "
                      "id (nothing was saved; 'sqlite3 %s REINDEX' may repair the index)",
                      s->path, s->path);
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
    if ((rc = cn_memories_check(project, key ? key : "", err)))
        return rc;
    /* short enough to name in a request line (REST's paths and queries: 8 KiB, escaped) */
    if (strlen(key) > CAIRN_KEY_MAX || strlen(project) > CAIRN_PROJECT_MAX)
        return cn_err_set(err, CAIRN_RANGE, "a memory's %s is at most %d bytes (this one: %zu)",
                          strlen(key) > CAIRN_KEY_MAX ? "key" : "project id",
                          strlen(key) > CAIRN_KEY_MAX ? CAIRN_KEY_MAX : CAIRN_PROJECT_MAX,
                          strlen(key) > CAIRN_KEY_MAX ? strlen(key) : strlen(project));
    if (!value)
        return cn_err_set(err, CAIRN_INVAL, "a memory needs a value");
    if (ttl_seconds < 0 || ttl_seconds > CAIRN_TTL_MAX_SECONDS)
        return cn_err_set(err, CAIRN_RANGE,
                          "ttl_seconds must be from 1 to %lld seconds (100 years), or 0 for no "
                          "expiry",
                          (long long)CAIRN_TTL_MAX_SECONDS);
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
    cn_memories_bind(st, project, key, now);
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
    st = NULL;
    /* into the full-text index now, with any rows waiting, unless the connection defers */
    if (++s->fts_lag > s->fts_defer && (rc = cn_memfts_catch_up(s, err)))
        goto fail;
    /* read back before the commit: a store that cannot give the row back (a damaged
     * index) keeps nothing, rather than a save its caller cannot see */
    if (out && (rc = read_back(s, id, project, key, out, err)))
        goto fail;
    if ((rc = cn_store_commit_durable(s, err))) {
        if (out) {
            cairn_memories_free(*out);
            *out = NULL;
        }
        goto fail;
    }
    return CAIRN_OK;
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
        if (cn_store_sync(s, false, err))
            return CAIRN_IO;
        if (cn_store_begin_now(s, false) != SQLITE_OK)
            return cn_err_set(err, CAIRN_BUSY, "the store is busy: accesses not counted");
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
    if ((rc = cn_memories_check(project, key, err)))
        return rc;
    sqlite3_stmt *st = cn_store_stmt(s, key ? ST_MEMORY_PEEK_KEY : ST_MEMORY_PEEK, err);
    if (!st)
        return CAIRN_IO;
    cn_memories_bind(st, project, key, cn_now_ms());
    sqlite3_bind_int64(st, 3, limit ? (int64_t)limit : 20);
    rc = cn_memories_collect(s, st, out, err);
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
    if ((rc = cn_memories_check(project, key ? key : "", err)))
        return rc;
    sqlite3_stmt *st =
        cn_store_cached(s,
                        "SELECT " CN_MEMORY_COLS " FROM memories WHERE project_id = ?1 AND"
                        " key = ?2 ORDER BY version DESC",
                        err);
    if (!st)
        return CAIRN_IO;
    cn_memories_bind(st, project, key, 0);
    rc = cn_memories_collect(s, st, out, err);
    done(st);
    if (!rc && !(*out)->n) {
        cairn_memories_free(*out);
        *out = NULL;
        return cn_err_set(err, CAIRN_NOTFOUND, "no memory '%s' in project '%s'", key, project);
    }
    return rc;
}

static cairn_rc one_change(cairn_store *s, const char *sql, const char *project, const char *key,
                           const char *what, cairn_err *err)
{
    cairn_rc rc;
    if ((rc = cn_memories_check(project, key ? key : "", err)) || (rc = cn_store_begin_durable(s, err)))
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
    cairn_rc rc = one_change(s, "UPDATE memories SET deleted_at = NULL WHERE project_id = ?1 AND"
                                " key = ?2 AND superseded_at IS NULL AND deleted_at IS NOT NULL"
                                " AND (expires_at IS NULL OR expires_at > ?9)",
                             project, key, "to restore", err);
    if (rc != CAIRN_NOTFOUND)
        return rc;
    /* saved again since it was forgotten: the live version is the one to keep */
    sqlite3_stmt *st = cn_store_cached(s,
                                       "SELECT version FROM memories WHERE project_id = ?1 AND"
                                       " key = ?2 AND superseded_at IS NULL AND deleted_at IS NULL"
                                       " AND (expires_at IS NULL OR expires_at > ?9)",
                                       NULL);
    if (!st)
        return rc;
    cn_memories_bind(st, project, key, cn_now_ms());
    if (sqlite3_step(st) == SQLITE_ROW)
        cn_err_set(err, CAIRN_NOTFOUND,
                   "memory '%s' in project '%s' is not forgotten: version %lld is live (its "
                   "history lists the earlier ones)",
                   key, project, (long long)sqlite3_column_int64(st, 0));
    done(st);
    return rc;
}

cairn_rc cairn_memory_sweep(cairn_store *s, int64_t grace_ms, size_t *n, cairn_err *err)
{
    char sql[512];
    int64_t cut = cn_now_ms() - grace_ms;
    cairn_rc rc;
    *n = 0;
    if ((rc = cn_store_begin_durable(s, err)))
        return rc;
    /* every row indexed first: FTS5's delete of a row it does not hold damages the index */
    if ((rc = cn_memfts_catch_up(s, err))) {
        cn_store_rollback_durable(s);
        return rc;
    }
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
