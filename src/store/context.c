/*
 * store/context.c - session context as append-only events (cairn/memory.h).
 *
 * Appends are inserts, never a read-modify-write of one document, so
 * concurrent writers cannot lose each other's items; the document is
 * composed from the events when it is read.  Appends are durable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/map.h"
#include "json/write.h"
#include "store/db.h"

static const char *const kind_names[] = {"file", "search", "decision", "memory"};
/* the INSERT parameter that holds each kind's text: path, query, decision, memory_id */
static const int text_param[] = {3, 5, 6, 7};

static cairn_rc session_row(cairn_store *s, const char *session_id, int64_t *row, cairn_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT id FROM sessions WHERE session_id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return cn_store_error(s, err, "cannot read sessions");
    sqlite3_bind_text(st, 1, session_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *row = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return cn_err_set(err, CAIRN_NOTFOUND, "no session '%s'", session_id);
    return CAIRN_OK;
}

/* A referenced memory's key, looked up by its id when the caller did not give it. */
static void memory_key(cairn_store *s, sqlite3_stmt *ins, const char *memory_id)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT key FROM memories WHERE memory_id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, memory_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        sqlite3_bind_text(ins, 8, (const char *)sqlite3_column_text(st, 0), -1,
                          SQLITE_TRANSIENT);
    sqlite3_finalize(st);
}

cairn_rc cairn_context_append(cairn_store *s, const char *session_id,
                              const cairn_context_item *items, size_t n, cairn_err *err)
{
    int64_t row = 0, now = cn_now_ms();
    sqlite3_stmt *st = NULL;
    cairn_rc rc;

    for (size_t i = 0; i < n; i++) {
        const cairn_context_item *it = &items[i];
        if ((unsigned)it->kind > CAIRN_CONTEXT_MEMORY || !it->text || !*it->text)
            return cn_err_set(err, CAIRN_INVAL, "context item %zu: %s needs a value", i + 1,
                              (unsigned)it->kind <= CAIRN_CONTEXT_MEMORY ? kind_names[it->kind]
                                                                         : "item");
        if (it->kind == CAIRN_CONTEXT_FILE && !(it->importance >= 0 && it->importance <= 1))
            return cn_err_set(err, CAIRN_RANGE, "file_importance must be between 0.0 and 1.0");
    }
    if ((rc = cn_store_begin_durable(s, err)))
        return rc;
    if ((rc = session_row(s, session_id, &row, err)))
        goto fail;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO context_events(session_rowid, kind, path,"
                                  " importance, query, decision, memory_id, memory_key, at)"
                                  " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = cn_store_error(s, err, "cannot append context");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        const cairn_context_item *it = &items[i];
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        sqlite3_bind_int64(st, 1, row);
        sqlite3_bind_text(st, 2, kind_names[it->kind], -1, SQLITE_STATIC);
        sqlite3_bind_text(st, text_param[it->kind], it->text, -1, SQLITE_STATIC);
        if (it->kind == CAIRN_CONTEXT_FILE)
            sqlite3_bind_double(st, 4, it->importance);
        if (it->kind == CAIRN_CONTEXT_MEMORY && it->memory_key)
            sqlite3_bind_text(st, 8, it->memory_key, -1, SQLITE_STATIC);
        else if (it->kind == CAIRN_CONTEXT_MEMORY)
            memory_key(s, st, it->text);
        sqlite3_bind_int64(st, 9, now);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = cn_store_error(s, err, "cannot append context");
            goto fail;
        }
    }
    sqlite3_finalize(st);
    st = NULL;
    char sql[128];
    snprintf(sql, sizeof sql,
             "UPDATE sessions SET last_activity = max(coalesce(last_activity, 0), %lld)"
             " WHERE id = %lld",
             (long long)now, (long long)row);
    if ((rc = cn_store_exec(s, sql, err)))
        goto fail;
    return cn_store_commit_durable(s, err);
fail:
    sqlite3_finalize(st);
    cn_store_rollback_durable(s);
    return rc;
}

static cairn_str text(sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    return (cairn_str){t, t ? (size_t)sqlite3_column_bytes(st, i) : 0};
}

/* One array of the document: the events of one kind, in order. */
static void section(cn_jw *w, sqlite3_stmt *st, const char *kind, const char *field, int col)
{
    sqlite3_reset(st);
    cn_jw_arr(w);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (strcmp((const char *)sqlite3_column_text(st, 0), kind))
            continue;
        cn_jw_obj(w);
        cn_jw_key(w, field);
        cn_jw_str(w, text(st, col));
        if (!strcmp(kind, "memory")) {
            cn_jw_key(w, "memory_key");
            cn_jw_str_or_null(w, text(st, 6));
        }
        cn_jw_key(w, "timestamp");
        cn_jw_time(w, sqlite3_column_int64(st, 7));
        cn_jw_obj_end(w);
    }
    cn_jw_arr_end(w);
}

cairn_rc cairn_context_get(cairn_store *s, const char *session_id, char **json, size_t *len,
                           cairn_err *err)
{
    int64_t row = 0;
    sqlite3_stmt *st;
    cairn_rc rc;
    cn_buf ctx, out;
    cn_jw w;

    *json = NULL;
    if ((rc = session_row(s, session_id, &row, err)))
        return rc;
    if (sqlite3_prepare_v2(s->db, "SELECT kind, path, importance, query, decision, memory_id,"
                                  " memory_key, at FROM context_events WHERE session_rowid = ?1"
                                  " ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return cn_store_error(s, err, "cannot read context");
    sqlite3_bind_int64(st, 1, row);
    cn_buf_init(&ctx, (size_t)256 << 20);
    cn_jw_init(&w, &ctx, false);
    cn_jw_obj(&w);
    cn_jw_key(&w, "files_accessed");
    cn_jw_arr(&w);
    int order = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (strcmp((const char *)sqlite3_column_text(st, 0), "file"))
            continue;
        cn_jw_obj(&w);
        cn_jw_key(&w, "path");
        cn_jw_str(&w, text(st, 1));
        cn_jw_key(&w, "importance");
        cn_jw_f64(&w, sqlite3_column_double(st, 2));
        cn_jw_key(&w, "accessed_at");
        cn_jw_time(&w, sqlite3_column_int64(st, 7));
        cn_jw_key(&w, "order");
        cn_jw_i64(&w, ++order);
        cn_jw_obj_end(&w);
    }
    cn_jw_arr_end(&w);
    /* each path once, with its latest importance, in first-seen order */
    cn_jw_key(&w, "file_importance_scores");
    cn_jw_obj(&w);
    cn_map seen;
    cn_map_init(&seen);
    sqlite3_reset(st);
    int64_t n = 0;
    double *last = NULL;
    cairn_str *paths = NULL;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (strcmp((const char *)sqlite3_column_text(st, 0), "file"))
            continue;
        n++;
    }
    last = calloc((size_t)n + 1, sizeof *last);
    paths = calloc((size_t)n + 1, sizeof *paths);
    cn_arena a;
    cn_arena_init(&a, 0, 0);
    size_t np = 0;
    sqlite3_reset(st);
    while (last && paths && sqlite3_step(st) == SQLITE_ROW) {
        if (strcmp((const char *)sqlite3_column_text(st, 0), "file"))
            continue;
        cairn_str p = cn_arena_strdup(&a, text(st, 1));
        uint32_t k = cn_map_get(&seen, p);
        if (k == UINT32_MAX) {
            k = (uint32_t)np++;
            paths[k] = p;
            cn_map_put(&seen, p, k);
        }
        last[k] = sqlite3_column_double(st, 2);
    }
    for (size_t k = 0; k < np; k++) {
        cn_jw_key(&w, paths[k].ptr);
        cn_jw_f64(&w, last[k]);
    }
    cn_jw_obj_end(&w);
    free(last);
    free(paths);
    cn_map_release(&seen);
    cn_arena_release(&a);
    cn_jw_key(&w, "recent_searches");
    section(&w, st, "search", "query", 3);
    cn_jw_key(&w, "decisions");
    section(&w, st, "decision", "decision", 4);
    cn_jw_key(&w, "saved_memories");
    section(&w, st, "memory", "memory_id", 5);
    cn_jw_obj_end(&w);
    sqlite3_finalize(st);
    if ((rc = cn_jw_finish(&w))) {
        cn_buf_release(&ctx);
        return cn_err_set(err, rc, "context of '%s' is too large", session_id);
    }
    cn_buf_init(&out, (size_t)300 << 20);
    cn_jw_init(&w, &out, false);
    cn_jw_obj(&w);
    cn_jw_key(&w, "session_id");
    cn_jw_cstr(&w, session_id);
    cn_jw_key(&w, "context");
    cn_jw_raw(&w, cn_buf_str(&ctx));
    cn_jw_key(&w, "compressed");
    cn_jw_bool(&w, false);
    cn_jw_key(&w, "size_bytes");
    cn_jw_i64(&w, (int64_t)ctx.len);
    cn_jw_obj_end(&w);
    cn_buf_release(&ctx);
    if ((rc = cn_jw_finish(&w))) {
        cn_buf_release(&out);
        return cn_err_set(err, rc, "context of '%s' is too large", session_id);
    }
    *json = cn_buf_detach(&out, len);
    return CAIRN_OK;
}
