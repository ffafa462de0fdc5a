/*
 * store/turns.c - conversation turns posted by clients: written durably to a
 * queue (the request never waits on indexing), then indexed by a worker into
 * a session's messages so that search finds them.
 * State machine of a row: queued -> indexed | failed.  A crash between the
 * two leaves it queued, and the next cairn_turns_index does it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/random.h"
#include "base/str.h"
#include "json/json.h"
#include "json/write.h"
#include "store/db.h"

/* A turn for a session that exists names its project, or none: CAIRN_EXISTS otherwise. */
static cairn_rc same_project(cairn_store *s, const cairn_turn *t, cairn_err *err)
{
    cairn_rc rc = CAIRN_OK;
    sqlite3_stmt *st = /* kept: a server queues turns all day */
        cn_store_cached(s, "SELECT project_id FROM sessions WHERE session_id = ?1", err);
    if (!st)
        return cn_store_error(s, err, "cannot queue the turn");
    sqlite3_bind_text(st, 1, t->session_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL &&
        strcmp((const char *)sqlite3_column_text(st, 0), t->project_id))
        rc = cn_err_set(err, CAIRN_EXISTS,
                        "field 'project_id': session '%s' is of project '%s', not '%s'",
                        t->session_id, (const char *)sqlite3_column_text(st, 0), t->project_id);
    sqlite3_reset(st);
    return rc;
}

cairn_rc cairn_turn_enqueue(cairn_store *s, const cairn_turn *t, char *id, size_t id_size,
                            cairn_err *err)
{
    char tid[40] = "turn_";
    sqlite3_stmt *st;
    cairn_rc rc;

    if (!t->user_message || !t->assistant_message)
        return cn_err_set(err, CAIRN_INVAL, "field '%s' is required",
                          t->user_message ? "assistant_message" : "user_message");
    if (t->metadata_json) {
        cn_json j;
        cn_json_init(&j);
        bool obj = !cn_json_parse(&j, t->metadata_json, strlen(t->metadata_json), NULL) &&
                   cn_json_is(cn_json_root(&j), CN_JSON_OBJECT);
        cn_json_release(&j);
        if (!obj)
            return cn_err_set(err, CAIRN_INVAL, "field 'metadata' must be an object");
    }
    if (id_size < 22 || cn_random_hex(tid + 5, 8))
        return cn_err_set(err, CAIRN_INVAL, "cannot make a turn id");
    if ((rc = cn_store_begin_durable(s, err)))
        return rc;
    if (t->session_id && t->project_id && (rc = same_project(s, t, err))) {
        cn_store_rollback_durable(s);
        return rc;
    }
    if (sqlite3_prepare_v2(s->db, "INSERT INTO turns(turn_id, session_id, project_id,"
                                  " user_message, assistant_message, metadata_json, received_at,"
                                  " status) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued')",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = cn_store_error(s, err, "cannot queue the turn");
        cn_store_rollback_durable(s);
        return rc;
    }
    const char *vals[] = {tid, t->session_id, t->project_id, t->user_message,
                          t->assistant_message, t->metadata_json};
    for (int i = 0; i < 6; i++)
        if (vals[i])
            sqlite3_bind_text(st, i + 1, vals[i], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, cn_now_ms());
    int step = sqlite3_step(st);
    sqlite3_finalize(st);
    if (step != SQLITE_DONE) {
        rc = cn_store_error(s, err, "cannot queue the turn");
        cn_store_rollback_durable(s);
        return rc;
    }
    if ((rc = cn_store_commit_durable(s, err)))
        return rc;
    snprintf(id, id_size, "%s", tid);
    return CAIRN_OK;
}

cairn_rc cairn_turn_status(cairn_store *s, const char *id, char **json, size_t *len,
                           cairn_err *err)
{
    sqlite3_stmt *st;
    cn_buf out;
    cn_jw w;
    *json = NULL;
    if (sqlite3_prepare_v2(s->db, "SELECT status, received_at, indexed_at, error, session_id"
                                  " FROM turns WHERE turn_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return cn_store_error(s, err, "cannot read turns");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return cn_err_set(err, CAIRN_NOTFOUND, "no turn '%s'", id);
    }
    cn_buf_init(&out, 1 << 20);
    cn_jw_init(&w, &out, false);
    cn_jw_obj(&w);
    cn_jw_key(&w, "id");
    cn_jw_cstr(&w, id);
    cn_jw_key(&w, "status");
    cn_jw_cstr(&w, (const char *)sqlite3_column_text(st, 0));
    cn_jw_key(&w, "received_at");
    cn_jw_time(&w, sqlite3_column_int64(st, 1));
    cn_jw_key(&w, "indexed_at");
    cn_jw_time(&w, sqlite3_column_int64(st, 2));
    cn_jw_key(&w, "session_id");
    cn_jw_cstr(&w, (const char *)sqlite3_column_text(st, 4));
    if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
        cn_jw_key(&w, "error");
        cn_jw_cstr(&w, (const char *)sqlite3_column_text(st, 3));
    }
    cn_jw_obj_end(&w);
    sqlite3_finalize(st);
    if (cn_jw_take(&w, json, len)) /* a status is small: only out of memory */
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    return CAIRN_OK;
}

/* The session a turn goes to, created when it does not exist yet. */
static cairn_rc turn_session(cairn_store *s, const char *sid, const char *project, int64_t now,
                             int64_t *row, uint32_t *seq, cairn_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO sessions(session_id, tool_id, project_id,"
                                  " created_at, last_activity, title, origin) VALUES(?1, 'api',"
                                  " ?2, ?3, ?3, ?4, 'api') ON CONFLICT(session_id) DO UPDATE SET"
                                  " last_activity = max(coalesce(last_activity, 0), ?3)",
                           -1, &st, NULL) != SQLITE_OK)
        return cn_store_error(s, err, "cannot write session");
    sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, project, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, now);
    sqlite3_bind_text(st, 4, "Conversation turns", -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return cn_store_error(s, err, "cannot write session");
    if (sqlite3_prepare_v2(s->db, "SELECT id, (SELECT coalesce(max(seq), -1) + 1 FROM messages"
                                  " WHERE session_rowid = sessions.id) FROM sessions WHERE"
                                  " session_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return cn_store_error(s, err, "cannot read session");
    sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    *row = sqlite3_column_int64(st, 0);
    *seq = (uint32_t)sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? CAIRN_OK : cn_store_error(s, err, "cannot read session");
}

static cairn_rc index_turn(cairn_store *s, sqlite3_stmt *q, int64_t now, cairn_err *err)
{
    const char *tid = (const char *)sqlite3_column_text(q, 1);
    const char *sid = (const char *)sqlite3_column_text(q, 2);
    const char *project = (const char *)sqlite3_column_text(q, 3);
    char auto_sid[300];
    int64_t srow = 0;
    uint32_t seq = 0;
    cairn_rc rc;

    if (!project)
        project = "default";
    if (!sid) {
        snprintf(auto_sid, sizeof auto_sid, "turns-%s", project);
        sid = auto_sid;
    }
    if ((rc = turn_session(s, sid, project, now, &srow, &seq, err)))
        return rc;
    /* two messages, one text part each, as if an agent had written them */
    char ids[4][80];
    snprintf(ids[0], sizeof ids[0], "%s:user", tid);
    snprintf(ids[1], sizeof ids[1], "%s:assistant", tid);
    snprintf(ids[2], sizeof ids[2], "%s:user:text", tid);
    snprintf(ids[3], sizeof ids[3], "%s:assistant:text", tid);
    cairn_message msgs[2];
    cairn_part parts[2];
    memset(msgs, 0, sizeof msgs);
    memset(parts, 0, sizeof parts);
    for (int k = 0; k < 2; k++) {
        msgs[k].id = cn_str(ids[k]);
        msgs[k].session_id = cn_str(sid);
        msgs[k].role = cn_str(k ? "assistant" : "user");
        msgs[k].time_created_ms = now;
        msgs[k].first_part = (uint32_t)k;
        msgs[k].nparts = 1;
        parts[k].id = cn_str(ids[2 + k]);
        parts[k].message_id = msgs[k].id;
        parts[k].type = CAIRN_PART_TEXT;
        parts[k].type_name = CAIRN_STR("text");
        parts[k].time_start_ms = now;
        parts[k].u.text.text = cn_str((const char *)sqlite3_column_text(q, 4 + k));
    }
    cairn_batch b = {.messages = msgs, .nmessages = 2, .parts = parts, .nparts = 2};
    for (uint32_t k = 0; k < 2 && !rc; k++)
        rc = cn_store_write_message(s, srow, seq + k, &b, &msgs[k], err);
    if (rc)
        return rc;
    char sql[200];
    snprintf(sql, sizeof sql,
             "UPDATE sessions SET nmessages = coalesce(nmessages, 0) + 2, nparts ="
             " coalesce(nparts, 0) + 2 WHERE id = %lld",
             (long long)srow);
    return cn_store_exec(s, sql, err);
}

cairn_rc cairn_turns_index(cairn_store *s, size_t max, size_t *n, cairn_err *err)
{
    sqlite3_stmt *q = NULL, *done = NULL;
    int64_t now = cn_now_ms();
    cairn_rc rc;

    *n = 0;
    if ((rc = cn_store_begin(s, err)))
        return rc;
    if (sqlite3_prepare_v2(s->db, "SELECT id, turn_id, session_id, project_id, user_message,"
                                  " assistant_message FROM turns WHERE status = 'queued' ORDER BY"
                                  " id LIMIT ?1",
                           -1, &q, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "UPDATE turns SET status = ?2, indexed_at = ?3, error = ?4"
                                  " WHERE id = ?1",
                           -1, &done, NULL) != SQLITE_OK) {
        rc = cn_store_error(s, err, "cannot read turns");
        goto out;
    }
    sqlite3_bind_int64(q, 1, (int64_t)(max ? max : 100));
    while (sqlite3_step(q) == SQLITE_ROW) {
        cairn_err e;
        /* a turn that fails leaves nothing half-written behind */
        if ((rc = cn_store_exec(s, "SAVEPOINT turn", err)))
            goto out;
        cairn_rc trc = index_turn(s, q, now, &e);
        sqlite3_exec(s->db, trc ? "ROLLBACK TO turn; RELEASE turn" : "RELEASE turn", NULL, NULL,
                     NULL);
        if (!trc && sqlite3_column_type(q, 2) == SQLITE_NULL) { /* record where it went */
            const char *p = (const char *)sqlite3_column_text(q, 3);
            sqlite3_stmt *u;
            if (sqlite3_prepare_v2(s->db, "UPDATE turns SET session_id = 'turns-' || ?2 WHERE id"
                                          " = ?1",
                                   -1, &u, NULL) == SQLITE_OK) {
                sqlite3_bind_int64(u, 1, sqlite3_column_int64(q, 0));
                sqlite3_bind_text(u, 2, p ? p : "default", -1, SQLITE_TRANSIENT);
                sqlite3_step(u);
                sqlite3_finalize(u);
            }
        }
        if (trc == CAIRN_NOMEM || trc == CAIRN_BUSY || trc == CAIRN_IO) {
            rc = cn_err_set(err, trc, "%s", e.msg); /* retried on the next round */
            goto out;
        }
        sqlite3_reset(done);
        sqlite3_bind_int64(done, 1, sqlite3_column_int64(q, 0));
        sqlite3_bind_text(done, 2, trc ? "failed" : "indexed", -1, SQLITE_STATIC);
        sqlite3_bind_int64(done, 3, now);
        if (trc)
            sqlite3_bind_text(done, 4, e.msg, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(done, 4);
        if (sqlite3_step(done) != SQLITE_DONE) {
            rc = cn_store_error(s, err, "cannot write turns");
            goto out;
        }
        (*n)++;
    }
out:
    sqlite3_finalize(q);
    sqlite3_finalize(done);
    if (rc) {
        cn_store_rollback(s);
        *n = 0;
        return rc;
    }
    return cn_store_commit(s, err);
}

cairn_rc cairn_turns_queued(cairn_store *s, int64_t *n, cairn_err *err)
{
    sqlite3_stmt *st;
    *n = 0;
    if (sqlite3_prepare_v2(s->db, "SELECT count(*) FROM turns WHERE status = 'queued'", -1, &st,
                           NULL) != SQLITE_OK)
        return cn_store_error(s, err, "cannot read turns");
    if (sqlite3_step(st) == SQLITE_ROW)
        *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return CAIRN_OK;
}
