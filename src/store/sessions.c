/*
 * store/sessions.c - sessions created through cairn's own API, and the
 * session states a client sets (ended, pinned, archived).  Agent sessions
 * read from transcripts live in the same table; re-indexing them never
 * touches these columns.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/random.h"
#include "base/str.h"
#include "json/write.h"
#include "store/db.h"

cairn_rc cairn_session_create(cairn_store *s, const cairn_session_new *n, char *out,
                              size_t out_size, cairn_err *err)
{
    static const char *const need[] = {"tool_id", "workspace_path", "project_id"};
    const char *vals[] = {n->tool_id, n->workspace_path, n->project_id};
    char id[40] = "ses_";
    sqlite3_stmt *st;
    cairn_rc rc;
    int64_t now = cn_now_ms();

    for (size_t i = 0; i < 3; i++) {
        if (!vals[i] || !*vals[i])
            return cn_err_set(err, CAIRN_INVAL, "field '%s' is required", need[i]);
        if (strlen(vals[i]) > CAIRN_PROJECT_MAX) /* as a memory's project: a request can name it */
            return cn_err_set(err, CAIRN_RANGE, "field '%s' is at most %d bytes (this one: %zu)",
                              need[i], CAIRN_PROJECT_MAX, strlen(vals[i]));
    }
    if (n->user_id && strlen(n->user_id) > CAIRN_PROJECT_MAX)
        return cn_err_set(err, CAIRN_RANGE, "field 'user_id' is at most %d bytes (this one: %zu)",
                          CAIRN_PROJECT_MAX, strlen(n->user_id));
    if (out_size < 29 || cn_random_hex(id + 4, 12))
        return cn_err_set(err, CAIRN_INVAL, "cannot make a session id");
    if ((rc = cn_store_begin_durable(s, err)))
        return rc;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO sessions(session_id, tool_id, workspace_path,"
                                  " project_id, user_id, process_id, created_at, last_activity,"
                                  " directory, origin) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?3,"
                                  " 'api')",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = cn_store_error(s, err, "cannot create session");
        cn_store_rollback_durable(s);
        return rc;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, n->tool_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, n->workspace_path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, n->project_id, -1, SQLITE_STATIC);
    if (n->user_id)
        sqlite3_bind_text(st, 5, n->user_id, -1, SQLITE_STATIC);
    if (n->process_id)
        sqlite3_bind_int64(st, 6, n->process_id);
    sqlite3_bind_int64(st, 7, now);
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) {
        rc = cn_store_error(s, err, "cannot create session");
        cn_store_rollback_durable(s);
        return rc;
    }
    if ((rc = cn_store_commit_durable(s, err)))
        return rc;
    snprintf(out, out_size, "%s", id);
    return CAIRN_OK;
}

cairn_rc cairn_session_set(cairn_store *s, const char *session_id, cairn_session_action a,
                           cairn_err *err)
{
    static const char *const sql[] = {
        [CAIRN_SESSION_END] = "UPDATE sessions SET ended_at = coalesce(ended_at, ?2),"
                              " last_activity = max(coalesce(last_activity, 0), ?2)"
                              " WHERE session_id = ?1",
        [CAIRN_SESSION_PIN] = "UPDATE sessions SET pinned = 1 WHERE session_id = ?1 AND ?2 > 0",
        [CAIRN_SESSION_UNPIN] = "UPDATE sessions SET pinned = 0 WHERE session_id = ?1 AND ?2 > 0",
        /* in parentheses: clang's -Wstring-concatenation takes a last literal in two parts
         * for a missing comma */
        [CAIRN_SESSION_ARCHIVE] = ("UPDATE sessions SET archived = 1 WHERE session_id = ?1"
                                   " AND ?2 > 0"),
    };
    sqlite3_stmt *st;
    cairn_rc rc;
    if ((unsigned)a > CAIRN_SESSION_ARCHIVE)
        return cn_err_set(err, CAIRN_INVAL, "unknown session action");
    if ((rc = cn_store_begin_durable(s, err)))
        return rc;
    if (sqlite3_prepare_v2(s->db, sql[a], -1, &st, NULL) != SQLITE_OK) {
        rc = cn_store_error(s, err, "cannot update session");
        cn_store_rollback_durable(s);
        return rc;
    }
    sqlite3_bind_text(st, 1, session_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, cn_now_ms());
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) {
        rc = cn_store_error(s, err, "cannot update session");
        cn_store_rollback_durable(s);
        return rc;
    }
    if (!sqlite3_changes(s->db)) {
        cn_store_rollback_durable(s);
        return cn_err_set(err, CAIRN_NOTFOUND, "no session '%s'", session_id);
    }
    return cn_store_commit_durable(s, err);
}

static void jw_col_str(cn_jw *w, const char *key, sqlite3_stmt *st, int i)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    cn_jw_key(w, key);
    if (t)
        cn_jw_str(w, (cairn_str){t, (size_t)sqlite3_column_bytes(st, i)});
    else
        cn_jw_null(w);
}

static void session_obj(cn_jw *w, sqlite3_stmt *st)
{
    cn_jw_obj(w);
    jw_col_str(w, "session_id", st, 0);
    jw_col_str(w, "tool_id", st, 1);
    jw_col_str(w, "user_id", st, 2);
    jw_col_str(w, "workspace_path", st, 3);
    jw_col_str(w, "project_id", st, 4);
    jw_col_str(w, "title", st, 5);
    cn_jw_key(w, "created_at");
    cn_jw_time(w, sqlite3_column_int64(st, 6));
    cn_jw_key(w, "last_activity");
    cn_jw_time(w, sqlite3_column_int64(st, 7));
    cn_jw_key(w, "ended_at");
    cn_jw_time(w, sqlite3_column_int64(st, 8));
    cn_jw_key(w, "pinned");
    cn_jw_bool(w, sqlite3_column_int(st, 9) != 0);
    cn_jw_key(w, "archived");
    cn_jw_bool(w, sqlite3_column_int(st, 10) != 0);
    cn_jw_key(w, "process_id");
    if (sqlite3_column_type(st, 11) == SQLITE_NULL)
        cn_jw_null(w);
    else
        cn_jw_i64(w, sqlite3_column_int64(st, 11));
    cn_jw_key(w, "messages");
    cn_jw_i64(w, sqlite3_column_int64(st, 12));
    cn_jw_key(w, "context_events");
    cn_jw_i64(w, sqlite3_column_int64(st, 13));
    cn_jw_obj_end(w);
}

cairn_rc cairn_session_json(cairn_store *s, const char *session_id, const cairn_session_filter *f,
                            char **json, size_t *len, cairn_err *err)
{
    cn_buf sql, out;
    cn_jw w;
    sqlite3_stmt *st;
    cairn_rc rc = CAIRN_OK;

    *json = NULL;
    cn_buf_init(&sql, 4096);
    cn_buf_adds(&sql, "SELECT s.session_id, s.tool_id, s.user_id, s.workspace_path, s.project_id,"
                      " s.title, s.created_at, s.last_activity, s.ended_at, s.pinned,"
                      " s.archived, s.process_id, coalesce(s.nmessages, 0), s.context_folded_events +"
                      " (SELECT count(*) FROM context_events c WHERE c.session_rowid = s.id)"
                      " FROM sessions s");
    if (session_id) {
        cn_buf_adds(&sql, " WHERE s.session_id = :id");
    } else {
        cn_buf_adds(&sql, " WHERE 1");
        if (f && f->project_id)
            cn_buf_adds(&sql, " AND s.project_id = :project");
        if (f && f->workspace_path)
            cn_buf_adds(&sql, " AND s.workspace_path = :workspace");
        if (f && f->active == 1)
            cn_buf_adds(&sql, " AND s.ended_at IS NULL");
        if (f && f->active == 0)
            cn_buf_adds(&sql, " AND s.ended_at IS NOT NULL");
        cn_buf_adds(&sql, " ORDER BY s.last_activity DESC, s.id DESC LIMIT :limit OFFSET :offset");
    }
    if (sqlite3_prepare_v2(s->db, sql.ptr, -1, &st, NULL) != SQLITE_OK) {
        cn_buf_release(&sql);
        return cn_store_error(s, err, "cannot read sessions");
    }
    cn_buf_release(&sql);
    int i;
    if ((i = sqlite3_bind_parameter_index(st, ":id")))
        sqlite3_bind_text(st, i, session_id, -1, SQLITE_STATIC);
    if ((i = sqlite3_bind_parameter_index(st, ":project")))
        sqlite3_bind_text(st, i, f->project_id, -1, SQLITE_STATIC);
    if ((i = sqlite3_bind_parameter_index(st, ":workspace")))
        sqlite3_bind_text(st, i, f->workspace_path, -1, SQLITE_STATIC);
    if ((i = sqlite3_bind_parameter_index(st, ":limit")))
        sqlite3_bind_int64(st, i, f && f->limit ? (int64_t)f->limit : 50);
    if ((i = sqlite3_bind_parameter_index(st, ":offset")))
        sqlite3_bind_int64(st, i, !f ? 0 : f->offset < INT64_MAX ? (int64_t)f->offset : INT64_MAX);
    cn_buf_init(&out, (size_t)256 << 20);
    cn_jw_init(&w, &out, false);
    if (session_id) {
        if (sqlite3_step(st) == SQLITE_ROW)
            session_obj(&w, st);
        else
            rc = cn_err_set(err, CAIRN_NOTFOUND, "no session '%s'", session_id);
    } else {
        cn_jw_arr(&w);
        while (sqlite3_step(st) == SQLITE_ROW)
            session_obj(&w, st);
        cn_jw_arr_end(&w);
    }
    sqlite3_finalize(st);
    if (rc) {
        cn_buf_release(&out);
        return rc;
    }
    if (cn_jw_take(&w, json, len))
        return cn_err_set(err, CAIRN_TOOBIG, "too many sessions for one answer");
    return CAIRN_OK;
}

cairn_rc cairn_session_resolve(cairn_store *s, const char *id, char *out, size_t out_size,
                               cairn_err *err)
{
    sqlite3_stmt *st;
    char first[256] = "";
    int n = 0;
    if (!*id)
        return cn_err_set(err, CAIRN_NOTFOUND, "no session '' (an empty id)");
    /* as cairn_store_session_source: the ids id begins, the id itself first */
    if (sqlite3_prepare_v2(s->db,
                           "SELECT session_id, session_id = ?1 FROM sessions WHERE session_id >="
                           " ?1 AND session_id < ?1 || x'f4908080' ORDER BY session_id = ?1"
                           " DESC, session_id LIMIT 2",
                           -1, &st, NULL) != SQLITE_OK)
        return cn_store_error(s, err, "cannot read sessions");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    cairn_rc rc = CAIRN_OK;
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        const char *sid = (const char *)sqlite3_column_text(st, 0);
        if (n++ == 0) {
            snprintf(first, sizeof first, "%s", sid);
            if (sqlite3_column_int(st, 1))
                break; /* the id itself */
        } else {
            rc = cn_err_set(err, CAIRN_INVAL,
                            "'%s' is the start of several sessions' ids ('%s', '%s', ...)", id,
                            first, sid);
        }
    }
    sqlite3_finalize(st);
    if (!rc && !n)
        rc = cn_err_set(err, CAIRN_NOTFOUND, "no session '%s'", id);
    if (!rc && strlen(first) >= out_size)
        rc = cn_err_set(err, CAIRN_TOOBIG, "session id '%s' is too long", first);
    if (!rc)
        snprintf(out, out_size, "%s", first);
    return rc;
}

cairn_rc cairn_store_session_source(cairn_store *s, const char *id, cairn_source *out, char *id_out,
                                    size_t id_size, cairn_err *err)
{
    sqlite3_stmt *st;
    cairn_rc rc = CAIRN_OK;
    int n = 0;
    /* the ids id is a prefix of (a range: '%' and '_' are only characters), the id itself
     * first; an exact match is the one */
    if (sqlite3_prepare_v2(s->db,
                           "SELECT x.session_id, src.agent, src.path, x.session_id = ?1 FROM"
                           " sessions x JOIN sources src ON src.id = x.source_id WHERE"
                           " x.session_id >= ?1 AND x.session_id < ?1 || x'f4908080' ORDER BY"
                           " x.session_id = ?1 DESC LIMIT 2",
                           -1, &st, NULL) != SQLITE_OK)
        return cn_store_error(s, err, "cannot read sessions");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW && ++n == 1) {
        bool exact = sqlite3_column_int(st, 3) != 0;
        const char *agent = (const char *)sqlite3_column_text(st, 1);
        memset(out, 0, sizeof *out);
        out->agent = cairn_agent_parse(cn_str(agent ? agent : ""));
        snprintf(out->path, sizeof out->path, "%s", (const char *)sqlite3_column_text(st, 2));
        snprintf(id_out, id_size, "%s", (const char *)sqlite3_column_text(st, 0));
        if (exact)
            break;
    }
    sqlite3_finalize(st);
    if (!n)
        rc =
            cn_err_set(err, CAIRN_NOTFOUND, "the store has no session '%s' read from an agent", id);
    else if (n > 1)
        rc = cn_err_set(err, CAIRN_INVAL, "'%s' matches several sessions in the store", id);
    return rc;
}
