/* store/stats.c - counts, sizes, last ingest time; pruning sessions marked gone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/err.h"
#include "base/str.h"
#include "store/db.h"

static void copy_col(char *dst, size_t n, sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    snprintf(dst, n, "%s", t ? t : "");
}

cairn_rc cairn_store_stats_get(cairn_store *s, cairn_store_stats *out, cairn_err *err)
{
    sqlite3_stmt *st;
    size_t cap = 16;

    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT tool_id, coalesce(project_id, ''), coalesce(min(directory), ''),"
                           " count(*), coalesce(sum(nmessages), 0), coalesce(sum(nparts), 0),"
                           " sum(gone_at IS NOT NULL) FROM sessions"
                           " GROUP BY tool_id, project_id ORDER BY tool_id, count(*) DESC",
                           -1, &st, NULL) != SQLITE_OK)
        return cn_store_error(s, err, "cannot count");
    out->counts = malloc(cap * sizeof *out->counts);
    while (out->counts && sqlite3_step(st) == SQLITE_ROW) {
        if (out->ncounts == cap) {
            cairn_store_count *c = realloc(out->counts, (cap *= 2) * sizeof *c);
            if (!c)
                break;
            out->counts = c;
        }
        cairn_store_count *c = &out->counts[out->ncounts++];
        copy_col(c->agent, sizeof c->agent, st, 0);
        copy_col(c->project, sizeof c->project, st, 1);
        copy_col(c->directory, sizeof c->directory, st, 2);
        c->sessions = sqlite3_column_int64(st, 3);
        c->messages = sqlite3_column_int64(st, 4);
        c->parts = sqlite3_column_int64(st, 5);
        c->gone = sqlite3_column_int64(st, 6);
        out->sessions += c->sessions;
        out->messages += c->messages;
        out->parts += c->parts;
        out->gone += c->gone;
    }
    sqlite3_finalize(st);
    if (!out->counts)
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = 'last_ingest_ms'", -1, &st,
                           NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW)
            out->last_ingest_ms = sqlite3_column_int64(st, 0);
        sqlite3_finalize(st);
    }
    struct stat sb;
    char wal[4200];
    if (stat(s->path, &sb) == 0)
        out->db_bytes += sb.st_size;
    snprintf(wal, sizeof wal, "%s-wal", s->path);
    if (stat(wal, &sb) == 0)
        out->db_bytes += sb.st_size;
    return CAIRN_OK;
}

void cairn_store_stats_release(cairn_store_stats *st)
{
    if (!st)
        return;
    free(st->counts);
    st->counts = NULL;
    st->ncounts = 0;
}

/*
 * The transcript text of sessions whose agent files are gone is deleted; the
 * session rows go too, except those that carry context events (cairn's own
 * data, never deleted by a prune).
 */
cairn_rc cairn_store_prune(cairn_store *s, size_t *n, cairn_err *err)
{
    static const char *const steps[] = {
        "INSERT INTO fts_parts(fts_parts, rowid, body, input, paths, tool) SELECT 'delete', p.id,"
        " p.body, p.input, p.paths, p.tool FROM parts p JOIN sessions s ON s.id ="
        " p.session_rowid WHERE s.gone_at IS NOT NULL AND (p.body IS NOT NULL OR p.input IS"
        " NOT NULL OR p.paths IS NOT NULL OR p.tool IS NOT NULL)",
        "DELETE FROM parts WHERE session_rowid IN (SELECT id FROM sessions WHERE gone_at IS NOT"
        " NULL)",
        "DELETE FROM messages WHERE session_rowid IN (SELECT id FROM sessions WHERE gone_at IS"
        " NOT NULL)",
        /* a session with context events is cairn's own data: its row stays */
        "INSERT INTO fts_sessions(fts_sessions, rowid, title, directory) SELECT 'delete', id,"
        " title, directory FROM sessions WHERE gone_at IS NOT NULL AND id NOT IN (SELECT"
        " session_rowid FROM context_events)",
        "DELETE FROM sessions WHERE gone_at IS NOT NULL AND id NOT IN (SELECT session_rowid FROM"
        " context_events)",
        "UPDATE sessions SET nmessages = 0, nparts = 0 WHERE gone_at IS NOT NULL",
    };
    cairn_rc rc = cn_store_begin(s, err);
    *n = 0;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0] && !rc; i++) {
        rc = cn_store_exec(s, steps[i], err);
        if (i == 4)
            *n = (size_t)sqlite3_changes(s->db);
    }
    if (rc) {
        cn_store_rollback(s);
        return rc;
    }
    return cn_store_commit(s, err);
}
