/*
 * store/watchstate.c - the live index's state in the meta table, as one
 * JSON object under the key "watch", so that `cairn stats` and /health of
 * any process can tell what a running watcher is doing.  The fields are a
 * table: writing and reading cannot drift apart.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "base/err.h"
#include "json/json.h"
#include "json/write.h"
#include "store/db.h"

#define KEY "watch"

enum { F_I64, F_F64, F_STR };

static const struct {
    const char *name;
    uint8_t type;
    size_t off, size;
} fields[] = {
#define I(f)                                                                                       \
    {                                                                                              \
#f, F_I64, offsetof(cairn_watch_state, f), sizeof(int64_t)                                 \
    }
    I(pid),
    I(dirs),
    I(events),
    I(overflows),
    I(ingests),
    I(backlog),
    I(sessions_new),
    I(sessions_changed),
    I(sessions_gone),
    I(messages),
    I(last_event_ms),
    I(last_index_ms),
    I(updated_ms),
#undef I
    {"lag_ms", F_F64, offsetof(cairn_watch_state, lag_ms), sizeof(double)},
    {"backend", F_STR, offsetof(cairn_watch_state, backend),
     sizeof(((cairn_watch_state *)0)->backend)},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

cairn_rc cairn_store_watch_put(cairn_store *s, const cairn_watch_state *st, cairn_err *err)
{
    cn_buf b;
    cn_jw w;
    sqlite3_stmt *q;
    const char *base = (const char *)st;

    if (s->readonly)
        return cn_err_set(err, CAIRN_PERM, "store '%s' is open read-only", s->path);
    cn_buf_init(&b, 4096);
    cn_jw_init(&w, &b, false);
    cn_jw_obj(&w);
    for (size_t i = 0; i < NFIELDS; i++) {
        cn_jw_key(&w, fields[i].name);
        if (fields[i].type == F_I64)
            cn_jw_i64(&w, *(const int64_t *)(const void *)(base + fields[i].off));
        else if (fields[i].type == F_F64)
            cn_jw_f64(&w, *(const double *)(const void *)(base + fields[i].off));
        else
            cn_jw_cstr(&w, base + fields[i].off);
    }
    cn_jw_obj_end(&w);
    cairn_rc rc = cn_jw_finish(&w);
    if (rc) {
        cn_buf_release(&b);
        return cn_err_set(err, rc, "cannot record the watcher's state");
    }
    if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(key, value) VALUES('" KEY "', ?1)",
                           -1, &q, NULL) != SQLITE_OK) {
        cn_buf_release(&b);
        return cn_store_error(s, err, "cannot record the watcher's state");
    }
    sqlite3_bind_text(q, 1, cn_buf_str(&b).ptr, (int)b.len, SQLITE_STATIC);
    int r = sqlite3_step(q);
    sqlite3_finalize(q);
    cn_buf_release(&b);
    return r == SQLITE_DONE ? CAIRN_OK
                            : cn_store_error(s, err, "cannot record the watcher's state");
}

cairn_rc cairn_store_watch_get(cairn_store *s, cairn_watch_state *out, cairn_err *err)
{
    sqlite3_stmt *q;
    cn_json j;
    char *base = (char *)out;

    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(s->db, "SELECT value FROM meta WHERE key = '" KEY "'", -1, &q, NULL) !=
        SQLITE_OK)
        return cn_store_error(s, err, "cannot read the watcher's state");
    if (sqlite3_step(q) != SQLITE_ROW || !sqlite3_column_text(q, 0)) {
        sqlite3_finalize(q);
        return CAIRN_OK;
    }
    cn_json_init(&j);
    cairn_rc rc = cn_json_parse(&j, (const char *)sqlite3_column_text(q, 0),
                                (size_t)sqlite3_column_bytes(q, 0), err);
    if (rc) {
        cn_json_release(&j);
        sqlite3_finalize(q);
        return cn_err_set(err, CAIRN_CORRUPT, "the watcher's state in '%s' is not JSON", s->path);
    }
    cn_jval root = cn_json_root(&j);
    for (size_t i = 0; i < NFIELDS; i++) {
        cn_jval v = cn_json_get(root, fields[i].name);
        if (fields[i].type == F_I64) {
            *(int64_t *)(void *)(base + fields[i].off) = cn_json_i64_or(v, 0);
        } else if (fields[i].type == F_F64) {
            *(double *)(void *)(base + fields[i].off) = cn_json_f64_or(v, 0);
        } else {
            cairn_str t = cn_json_raw(v); /* a short name ("inotify"): never escaped */
            if (t.len >= 2 && t.ptr[0] == '"')
                snprintf(base + fields[i].off, fields[i].size, "%.*s", (int)t.len - 2, t.ptr + 1);
        }
    }
    cn_json_release(&j);
    sqlite3_finalize(q);
    out->present = true;
    out->running = out->pid > 0 && (kill((pid_t)out->pid, 0) == 0 || errno == EPERM);
    return CAIRN_OK;
}
