/*
 * store/usage.c - token usage rows: one per model response that carries
 * usage (assistant messages), or one per session for agents that keep only
 * session totals.  Pricing and grouping are above the store (recall/usage.c).
 */
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "store/db.h"

static const char SQL[] =
    "SELECT m.time_created, s.tool_id, s.project_id, s.directory, s.session_id,"
    " coalesce(m.model, s.model), m.tokens_input, m.tokens_output, m.tokens_reasoning,"
    " m.tokens_cache_read, m.tokens_cache_write, m.cost, s.cost * (s.tool_id = 'claude-code'),"
    " s.tokens_input, s.tokens_output, s.tokens_reasoning, s.tokens_cache_read,"
    " s.tokens_cache_write, coalesce(ps.cost, 0) > 0 AND s.tool_id = 'claude-code'"
    " FROM messages m JOIN sessions s ON s.id = m.session_rowid"
    " LEFT JOIN sessions ps ON ps.session_id = s.parent_id"
    " WHERE m.role = 'assistant' AND (m.tokens_input + m.tokens_output + m.tokens_cache_read +"
    " m.tokens_cache_write + m.tokens_reasoning > 0 OR m.cost > 0) %s"
    " UNION ALL"
    " SELECT s.created_at, s.tool_id, s.project_id, s.directory, s.session_id, s.model,"
    " s.tokens_input, s.tokens_output, s.tokens_reasoning, s.tokens_cache_read,"
    " s.tokens_cache_write, s.cost, 0, s.tokens_input, s.tokens_output, s.tokens_reasoning,"
    " s.tokens_cache_read, s.tokens_cache_write, 0"
    " FROM sessions s WHERE (s.tokens_input + s.tokens_output > 0 OR s.cost > 0) AND NOT EXISTS"
    " (SELECT 1 FROM messages m WHERE m.session_rowid = s.id AND m.role = 'assistant' AND"
    " m.tokens_input + m.tokens_output + m.tokens_cache_read + m.tokens_cache_write > 0) %s"
    " ORDER BY 1";

cairn_rc cairn_store_usage_rows(cairn_store *s, const cairn_usage_filter *f,
                                int (*fn)(const cairn_usage_row *r, void *ud), void *ud,
                                cairn_err *err)
{
    char w1[512] = "", w2[512] = "";
    size_t n1 = 0, n2 = 0;
    if (f->agent) {
        n1 += (size_t)snprintf(w1 + n1, sizeof w1 - n1, " AND s.tool_id = :agent");
        n2 += (size_t)snprintf(w2 + n2, sizeof w2 - n2, " AND s.tool_id = :agent");
    }
    if (f->since_ms) {
        n1 += (size_t)snprintf(w1 + n1, sizeof w1 - n1, " AND m.time_created >= :since");
        n2 += (size_t)snprintf(w2 + n2, sizeof w2 - n2, " AND s.created_at >= :since");
    }
    if (f->until_ms) {
        n1 += (size_t)snprintf(w1 + n1, sizeof w1 - n1, " AND m.time_created < :until");
        n2 += (size_t)snprintf(w2 + n2, sizeof w2 - n2, " AND s.created_at < :until");
    }
    if (f->project) {
        const char *p = " AND (s.project_id = :project OR instr(s.directory, :project) > 0)";
        n1 += (size_t)snprintf(w1 + n1, sizeof w1 - n1, "%s", p);
        n2 += (size_t)snprintf(w2 + n2, sizeof w2 - n2, "%s", p);
    }
    char sql[sizeof SQL + sizeof w1 + sizeof w2];
    snprintf(sql, sizeof sql, SQL, w1, w2);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return cn_store_error(s, err, "cannot read usage");
    int i;
    if ((i = sqlite3_bind_parameter_index(st, ":agent")))
        sqlite3_bind_text(st, i, cairn_agent_name(f->agent), -1, SQLITE_STATIC);
    if ((i = sqlite3_bind_parameter_index(st, ":since")))
        sqlite3_bind_int64(st, i, f->since_ms);
    if ((i = sqlite3_bind_parameter_index(st, ":until")))
        sqlite3_bind_int64(st, i, f->until_ms);
    if ((i = sqlite3_bind_parameter_index(st, ":project")))
        sqlite3_bind_text(st, i, f->project, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        cairn_usage_row r;
        memset(&r, 0, sizeof r);
        r.time_ms = sqlite3_column_int64(st, 0);
        r.agent = (const char *)sqlite3_column_text(st, 1);
        r.project_id = (const char *)sqlite3_column_text(st, 2);
        r.directory = (const char *)sqlite3_column_text(st, 3);
        r.session_id = (const char *)sqlite3_column_text(st, 4);
        r.model = (const char *)sqlite3_column_text(st, 5);
        r.tokens = (cairn_tokens){sqlite3_column_int64(st, 6), sqlite3_column_int64(st, 7),
                                  sqlite3_column_int64(st, 8), sqlite3_column_int64(st, 9),
                                  sqlite3_column_int64(st, 10)};
        r.cost = sqlite3_column_double(st, 11);
        r.session_cost = sqlite3_column_double(st, 12);
        r.session_tokens =
            (cairn_tokens){sqlite3_column_int64(st, 13), sqlite3_column_int64(st, 14),
                           sqlite3_column_int64(st, 15), sqlite3_column_int64(st, 16),
                           sqlite3_column_int64(st, 17)};
        r.in_parent_cost = sqlite3_column_int(st, 18) != 0;
        if (fn(&r, ud))
            break;
    }
    cairn_rc out = rc == SQLITE_ROW || rc == SQLITE_DONE ? CAIRN_OK
                                                          : cn_store_error(s, err, "cannot read usage");
    sqlite3_finalize(st);
    return out;
}
