/*
 * source/opencode/db.c - reading opencode.db (G2), read-only.
 *
 * This file and store/ are the only includers of sqlite3.h: here SQLite is
 * a file format cairn reads, not cairn's store.  Rules (formats §3.1, §3.3):
 * open "file:<path>?mode=ro" as a URI (WAL honoured; never immutable=1,
 * never read-write, which would checkpoint the agent's WAL), a busy timeout,
 * columns chosen by name after PRAGMA table_info so old and new schemas both
 * work, and only the tables project, project_directory, session, message,
 * part and todo: never the credential tables.
 */
#include "source/opencode/oc.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "base/str.h"
#include "json/write.h"

enum { MAX_COLS = 24 };

/* A table and the columns cairn reads from it; required ones must exist. */
typedef struct table_spec {
    const char *name;
    const char *cols[MAX_COLS];
    unsigned required; /* bit i: cols[i] is required */
} table_spec;

enum { T_PROJECT, T_PROJECT_DIR, T_SESSION, T_MESSAGE, T_PART, T_TODO, T_COUNT };

static const table_spec tables[T_COUNT] = {
    [T_PROJECT] = {"project", {"id", "worktree", "vcs", "name", "time_created", "time_updated",
                               "sandboxes"}, 1},
    [T_PROJECT_DIR] = {"project_directory", {"project_id", "directory"}, 3},
    [T_SESSION] = {"session", {"id", "project_id", "parent_id", "slug", "directory", "title",
                               "version", "time_created", "time_updated", "time_archived",
                               "cost", "tokens_input", "tokens_output", "tokens_reasoning",
                               "tokens_cache_read", "tokens_cache_write", "agent", "model",
                               "summary_additions", "summary_deletions", "summary_files"}, 1},
    [T_MESSAGE] = {"message", {"id", "session_id", "time_created", "time_updated", "data"}, 0x13},
    [T_PART] = {"part", {"id", "message_id", "session_id", "time_created", "time_updated",
                         "data"}, 0x27},
    [T_TODO] = {"todo", {"session_id", "content", "status", "priority", "position"}, 1},
};

struct cn_oc_db {
    sqlite3 *db;
    char *path;
    unsigned present[T_COUNT]; /* bit i: tables[t].cols[i] exists */
    bool usable[T_COUNT];      /* table exists with its required columns */
};

static int busy_timeout_ms(void)
{
    const char *e = getenv("CAIRN_BUSY_TIMEOUT_MS");
    int64_t v;
    if (e && cn_str_to_i64(cn_str(e), &v) == CAIRN_OK && v >= 0 && v < 600000)
        return (int)v;
    return 5000;
}

static cairn_rc db_error(cn_oc_db *db, cairn_err *err, const char *what)
{
    int code = sqlite3_errcode(db->db);
    cairn_rc rc = code == SQLITE_BUSY || code == SQLITE_LOCKED ? CAIRN_BUSY
                  : code == SQLITE_NOTADB || code == SQLITE_CORRUPT ? CAIRN_CORRUPT
                  : code == SQLITE_NOMEM ? CAIRN_NOMEM
                  : code == SQLITE_CANTOPEN || code == SQLITE_PERM ? CAIRN_PERM
                                                                   : CAIRN_IO;
    return cn_err_set(err, rc, "'%s': %s: %s", db->path, what, sqlite3_errmsg(db->db));
}

/* file:<path>?mode=ro with '%', '?' and '#' escaped. */
static cairn_rc make_uri(const char *path, cn_buf *uri)
{
    cairn_rc rc = cn_buf_adds(uri, "file:");
    for (const char *p = path; *p && !rc; p++) {
        if (*p == '%' || *p == '?' || *p == '#')
            rc = cn_buf_addf(uri, "%%%02X", (unsigned char)*p);
        else
            rc = cn_buf_addc(uri, *p);
    }
    return rc ? rc : cn_buf_adds(uri, "?mode=ro");
}

static void check_schema(cn_oc_db *db)
{
    for (int t = 0; t < T_COUNT; t++) {
        char sql[96];
        sqlite3_stmt *st;
        snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", tables[t].name);
        if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
            continue;
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *name = (const char *)sqlite3_column_text(st, 1);
            for (int c = 0; c < MAX_COLS && tables[t].cols[c]; c++)
                if (name && !strcmp(name, tables[t].cols[c]))
                    db->present[t] |= 1u << c;
        }
        sqlite3_finalize(st);
        db->usable[t] = db->present[t] && (db->present[t] & tables[t].required) == tables[t].required;
    }
}

cairn_rc cn_oc_db_open(const char *path, cn_oc_db **out, cairn_err *err)
{
    cn_oc_db *db = calloc(1, sizeof *db);
    cn_buf uri;
    cairn_rc rc = CAIRN_OK;

    *out = NULL;
    if (!db || !(db->path = strdup(path))) {
        free(db);
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    }
    cn_buf_init(&uri, 8192);
    if (make_uri(path, &uri)) {
        rc = cn_err_set(err, CAIRN_INVAL, "'%s': path too long", path);
        goto out;
    }
    if (sqlite3_open_v2(uri.ptr, &db->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) !=
        SQLITE_OK) {
        rc = db->db ? db_error(db, err, "cannot open") : cn_err_set(err, CAIRN_NOMEM, "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(db->db, busy_timeout_ms());
    /* The first read tells a database from any other file, and takes the read lock. */
    if (sqlite3_exec(db->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) != SQLITE_OK) {
        rc = db_error(db, err, "cannot read");
        goto out;
    }
    check_schema(db);
out:
    cn_buf_release(&uri);
    if (rc) {
        cn_oc_db_close(db);
        return rc;
    }
    *out = db;
    return CAIRN_OK;
}

void cn_oc_db_close(cn_oc_db *db)
{
    if (!db)
        return;
    sqlite3_close(db->db);
    free(db->path);
    free(db);
}

/* SELECT <cols, NULL for the absent ones> FROM table [where] */
static cairn_rc prepare(cn_oc_db *db, int t, const char *where, sqlite3_stmt **st,
                        cairn_err *err)
{
    cn_buf sql;
    cairn_rc rc = CAIRN_OK;
    cn_buf_init(&sql, 4096);
    cn_buf_adds(&sql, "SELECT ");
    for (int c = 0; c < MAX_COLS && tables[t].cols[c]; c++) {
        if (c)
            cn_buf_adds(&sql, ", ");
        cn_buf_adds(&sql, db->present[t] & (1u << c) ? tables[t].cols[c] : "NULL");
    }
    cn_buf_addf(&sql, " FROM %s %s", tables[t].name, where ? where : "");
    if (sqlite3_prepare_v2(db->db, sql.ptr, -1, st, NULL) != SQLITE_OK)
        rc = db_error(db, err, tables[t].name);
    cn_buf_release(&sql);
    return rc;
}

static cairn_str col(sqlite3_stmt *st, int i, cn_arena *a)
{
    const unsigned char *p = sqlite3_column_text(st, i);
    if (!p)
        return (cairn_str){NULL, 0};
    return cn_arena_strdup(a, (cairn_str){(const char *)p, (size_t)sqlite3_column_bytes(st, i)});
}

static cairn_str ccol(sqlite3_stmt *st, int i)
{
    const unsigned char *p = sqlite3_column_text(st, i);
    return (cairn_str){(const char *)p, p ? (size_t)sqlite3_column_bytes(st, i) : 0};
}

static void report_missing(cn_oc_db *db, cairn_report *rep)
{
    for (int t = 0; t < T_COUNT; t++) {
        if (db->usable[t] || t == T_PROJECT_DIR || t == T_TODO)
            continue;
        if (!db->present[t]) {
            cn_report_addf(rep, CAIRN_SCHEMA, db->path, "no table '%s' (or no columns cairn reads)",
                           tables[t].name);
            continue;
        }
        for (int c = 0; c < MAX_COLS && tables[t].cols[c]; c++)
            if ((tables[t].required & (1u << c)) && !(db->present[t] & (1u << c)))
                cn_report_addf(rep, CAIRN_SCHEMA, db->path, "table '%s' lacks column '%s'",
                               tables[t].name, tables[t].cols[c]);
    }
}

/* Per-session row counts and newest time_updated of a child table. */
static void plan_counts(cn_oc_db *db, int t, cairn_plan *plan, const cn_map *idx,
                        cairn_report *rep)
{
    char sql[160];
    sqlite3_stmt *st;
    bool has_time = db->present[t] & (1u << (t == T_MESSAGE ? 3 : 4));
    snprintf(sql, sizeof sql, "SELECT session_id, count(*), %s FROM %s GROUP BY session_id",
             has_time ? "max(time_updated)" : "0", tables[t].name);
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK) {
        cn_report_addf(rep, CAIRN_IO, db->path, "cannot count %s rows: %s", tables[t].name,
                       sqlite3_errmsg(db->db));
        return;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        uint32_t i = cn_map_get(idx, ccol(st, 0));
        if (i == UINT32_MAX)
            continue;
        cairn_plan_item *it = &plan->items[i];
        it->size += sqlite3_column_int64(st, 1);
        int64_t ns = sqlite3_column_int64(st, 2) * 1000000;
        if (ns > it->mtime_ns)
            it->mtime_ns = ns;
    }
    sqlite3_finalize(st);
}

cairn_rc cn_oc_db_plan(cn_oc_db *db, cairn_plan *plan, cn_map *ids, cairn_report *rep,
                       cairn_err *err)
{
    sqlite3_stmt *st;
    cairn_str path = cn_str(db->path);
    cn_map idx;
    cairn_rc rc = CAIRN_OK;

    report_missing(db, rep);
    cairn_plan_item dbit = {.kind = CAIRN_ITEM_DB, .origin = CAIRN_ORIGIN_SQLITE, .path = path};
    if (!cn_plan_add(plan, &dbit))
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    if (db->usable[T_PROJECT] && prepare(db, T_PROJECT, NULL, &st, err) == CAIRN_OK) {
        while (sqlite3_step(st) == SQLITE_ROW) {
            cairn_plan_item it = {.kind = CAIRN_ITEM_PROJECT, .origin = CAIRN_ORIGIN_SQLITE,
                                  .path = path, .id = ccol(st, 0),
                                  .mtime_ns = sqlite3_column_int64(st, 5) * 1000000};
            if (!cn_plan_add(plan, &it))
                rc = cn_err_set(err, CAIRN_NOMEM, "out of memory");
        }
        sqlite3_finalize(st);
    }
    if (!db->usable[T_SESSION] || rc)
        return rc;
    if ((rc = prepare(db, T_SESSION, NULL, &st, err)))
        return rc;
    cn_map_init(&idx);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        cairn_plan_item it = {.kind = CAIRN_ITEM_SESSION, .origin = CAIRN_ORIGIN_SQLITE,
                              .path = path, .id = ccol(st, 0), .parent_id = ccol(st, 1),
                              .session_id = ccol(st, 0),
                              .mtime_ns = sqlite3_column_int64(st, 8) * 1000000};
        cairn_plan_item *p = cn_plan_add(plan, &it);
        if (!p || cn_map_put(&idx, p->id, (uint32_t)(p - plan->items)) ||
            cn_map_put(ids, p->id, 1)) {
            rc = cn_err_set(err, CAIRN_NOMEM, "out of memory");
            break;
        }
    }
    if (step != SQLITE_DONE && !rc)
        cn_report_addf(rep, CAIRN_IO, db->path, "cannot list sessions: %s", sqlite3_errmsg(db->db));
    sqlite3_finalize(st);
    if (!rc) {
        if (db->usable[T_MESSAGE])
            plan_counts(db, T_MESSAGE, plan, &idx, rep);
        if (db->usable[T_PART])
            plan_counts(db, T_PART, plan, &idx, rep);
    }
    cn_map_release(&idx);
    return rc;
}

/* ---- resolve ---- */

typedef struct fetch {
    cn_oc_db *db;
    cairn_resolved *res;
    cairn_report *rep;
    cairn_str path; /* the database's path, in res's arena: it outlives db */
    cn_buf json;
    cn_jw w;
} fetch;

static cairn_str finish_json(fetch *f)
{
    if (cn_jw_finish(&f->w))
        return (cairn_str){NULL, 0};
    return cn_arena_strdup(&f->res->arena, cn_buf_str(&f->json));
}

static void jw_col_str(cn_jw *w, const char *key, sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return;
    cn_jw_key(w, key);
    cn_jw_str(w, ccol(st, i));
}

static void jw_col_int(cn_jw *w, const char *key, sqlite3_stmt *st, int i)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL)
        return;
    cn_jw_key(w, key);
    cn_jw_i64(w, sqlite3_column_int64(st, i));
}

/* A column that holds JSON text, embedded as is when it parses as JSON. */
static void jw_col_json(cn_jw *w, const char *key, sqlite3_stmt *st, int i)
{
    cairn_str s = ccol(st, i);
    if (!s.ptr || !s.len || (s.ptr[0] != '{' && s.ptr[0] != '['))
        return;
    cn_jw_key(w, key);
    cn_jw_raw(w, s);
}

static cn_unit *unit(fetch *f, uint8_t kind, sqlite3_stmt *st, int id_col)
{
    cn_unit *u = cn_resolved_add(f->res);
    if (!u)
        return NULL;
    u->kind = kind;
    u->origin = CAIRN_ORIGIN_SQLITE;
    u->path = f->path;
    u->id = col(st, id_col, &f->res->arena);
    return u;
}

/* Session columns -> the JSON shape of a G1 session file. */
static cairn_rc session_row(fetch *f, sqlite3_stmt *st)
{
    cn_jw *w = &f->w;
    cn_buf_reset(&f->json);
    cn_jw_init(w, &f->json, false);
    cn_jw_obj(w);
    jw_col_str(w, "id", st, 0);
    jw_col_str(w, "projectID", st, 1);
    jw_col_str(w, "parentID", st, 2);
    jw_col_str(w, "slug", st, 3);
    jw_col_str(w, "directory", st, 4);
    jw_col_str(w, "title", st, 5);
    jw_col_str(w, "version", st, 6);
    cn_jw_key(w, "time");
    cn_jw_obj(w);
    jw_col_int(w, "created", st, 7);
    jw_col_int(w, "updated", st, 8);
    jw_col_int(w, "archived", st, 9);
    cn_jw_obj_end(w);
    if (sqlite3_column_type(st, 10) != SQLITE_NULL) {
        cn_jw_key(w, "cost");
        cn_jw_f64(w, sqlite3_column_double(st, 10));
    }
    cn_jw_key(w, "tokens");
    cn_jw_obj(w);
    jw_col_int(w, "input", st, 11);
    jw_col_int(w, "output", st, 12);
    jw_col_int(w, "reasoning", st, 13);
    cn_jw_key(w, "cache");
    cn_jw_obj(w);
    jw_col_int(w, "read", st, 14);
    jw_col_int(w, "write", st, 15);
    cn_jw_obj_end(w);
    cn_jw_obj_end(w);
    jw_col_str(w, "agent", st, 16);
    jw_col_json(w, "model", st, 17);
    cn_jw_key(w, "summary");
    cn_jw_obj(w);
    jw_col_int(w, "additions", st, 18);
    jw_col_int(w, "deletions", st, 19);
    jw_col_int(w, "files", st, 20);
    cn_jw_obj_end(w);
    cn_jw_obj_end(w);
    cn_unit *u = unit(f, CAIRN_ITEM_SESSION, st, 0);
    if (!u)
        return CAIRN_NOMEM;
    u->parent_id = col(st, 1, &f->res->arena);
    u->session_id = u->id;
    u->time_created_ms = sqlite3_column_int64(st, 7);
    u->time_updated_ms = sqlite3_column_int64(st, 8);
    u->content = finish_json(f);
    return u->content.ptr ? CAIRN_OK : CAIRN_NOMEM;
}

static cairn_rc message_row(fetch *f, sqlite3_stmt *st)
{
    cn_unit *u = unit(f, CAIRN_ITEM_MESSAGE, st, 0);
    if (!u)
        return CAIRN_NOMEM;
    u->session_id = col(st, 1, &f->res->arena);
    u->parent_id = u->session_id;
    u->time_created_ms = sqlite3_column_int64(st, 2);
    u->time_updated_ms = sqlite3_column_int64(st, 3);
    u->content = col(st, 4, &f->res->arena);
    f->res->bytes += u->content.len;
    return CAIRN_OK;
}

static cairn_rc part_row(fetch *f, sqlite3_stmt *st)
{
    cn_unit *u = unit(f, CAIRN_ITEM_PART, st, 0);
    if (!u)
        return CAIRN_NOMEM;
    u->parent_id = col(st, 1, &f->res->arena);
    u->session_id = col(st, 2, &f->res->arena);
    u->time_created_ms = sqlite3_column_int64(st, 3);
    u->time_updated_ms = sqlite3_column_int64(st, 4);
    u->content = col(st, 5, &f->res->arena);
    f->res->bytes += u->content.len;
    return CAIRN_OK;
}

static cairn_rc todo_row(fetch *f, sqlite3_stmt *st)
{
    cn_jw *w = &f->w;
    cn_buf_reset(&f->json);
    cn_jw_init(w, &f->json, false);
    cn_jw_obj(w);
    jw_col_str(w, "content", st, 1);
    jw_col_str(w, "status", st, 2);
    jw_col_str(w, "priority", st, 3);
    jw_col_int(w, "position", st, 4);
    cn_jw_obj_end(w);
    cn_unit *u = unit(f, CAIRN_ITEM_TODO, st, 0);
    if (!u)
        return CAIRN_NOMEM;
    u->session_id = u->id;
    u->content = finish_json(f);
    return u->content.ptr ? CAIRN_OK : CAIRN_NOMEM;
}

typedef cairn_rc (*row_fn)(fetch *f, sqlite3_stmt *st);

/* Run the table's select (all rows, or one session's) and hand each row to fn. */
static cairn_rc fetch_rows(fetch *f, int t, const char *where, cairn_str sid, row_fn fn,
                           cairn_err *err)
{
    sqlite3_stmt *st;
    cairn_rc rc;
    int step;

    if (!f->db->usable[t])
        return CAIRN_OK;
    if ((rc = prepare(f->db, t, where, &st, err))) {
        cn_report_addf(f->rep, rc, f->db->path, "%s", err ? err->msg : "cannot query");
        return CAIRN_OK;
    }
    if (where)
        sqlite3_bind_text(st, 1, sid.ptr, (int)sid.len, SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        if ((rc = fn(f, st)))
            break;
    if (!rc && step != SQLITE_DONE)
        cn_report_addf(f->rep, CAIRN_IO, f->db->path, "cannot read table '%s': %s",
                       tables[t].name, sqlite3_errmsg(f->db->db));
    sqlite3_finalize(st);
    return rc ? cn_err_set(err, rc, "out of memory reading '%s'", f->db->path) : CAIRN_OK;
}

/* Projects with the directories they were used from, as one JSON object each. */
static cairn_rc fetch_projects(fetch *f, const cairn_plan *plan, cairn_err *err)
{
    sqlite3_stmt *st, *dirs = NULL;
    cairn_rc rc = CAIRN_OK;

    if (!f->db->usable[T_PROJECT])
        return CAIRN_OK;
    if (prepare(f->db, T_PROJECT, NULL, &st, err))
        return CAIRN_OK;
    if (f->db->usable[T_PROJECT_DIR])
        prepare(f->db, T_PROJECT_DIR, "WHERE project_id = ?1", &dirs, NULL);
    while (!rc && sqlite3_step(st) == SQLITE_ROW) {
        cairn_str id = ccol(st, 0);
        bool wanted = false;
        for (size_t i = 0; i < plan->n && !wanted; i++)
            wanted = plan->items[i].kind == CAIRN_ITEM_PROJECT && plan->items[i].selected &&
                     plan->items[i].origin == CAIRN_ORIGIN_SQLITE && cn_str_eq(plan->items[i].id, id);
        if (!wanted)
            continue;
        cn_jw *w = &f->w;
        cn_buf_reset(&f->json);
        cn_jw_init(w, &f->json, false);
        cn_jw_obj(w);
        jw_col_str(w, "id", st, 0);
        jw_col_str(w, "worktree", st, 1);
        jw_col_str(w, "vcs", st, 2);
        jw_col_str(w, "name", st, 3);
        cn_jw_key(w, "time");
        cn_jw_obj(w);
        jw_col_int(w, "created", st, 4);
        jw_col_int(w, "updated", st, 5);
        cn_jw_obj_end(w);
        jw_col_json(w, "sandboxes", st, 6);
        if (dirs) {
            cn_jw_key(w, "directories");
            cn_jw_arr(w);
            sqlite3_bind_text(dirs, 1, id.ptr, (int)id.len, SQLITE_TRANSIENT);
            while (sqlite3_step(dirs) == SQLITE_ROW)
                cn_jw_str(w, ccol(dirs, 1));
            sqlite3_reset(dirs);
            cn_jw_arr_end(w);
        }
        cn_jw_obj_end(w);
        cn_unit *u = unit(f, CAIRN_ITEM_PROJECT, st, 0);
        if (!u || !(u->content = finish_json(f)).ptr)
            rc = cn_err_set(err, CAIRN_NOMEM, "out of memory");
    }
    sqlite3_finalize(dirs);
    sqlite3_finalize(st);
    return rc;
}

cairn_rc cn_oc_db_resolve(cn_oc_db *db, const cairn_plan *plan, cairn_resolved *res,
                          cairn_report *rep, cairn_err *err)
{
    static const struct {
        int table;
        const char *where;
        row_fn fn;
    } steps[] = {
        {T_SESSION, "WHERE id = ?1", session_row},
        {T_MESSAGE, "WHERE session_id = ?1", message_row},
        {T_PART, "WHERE session_id = ?1", part_row},
        {T_TODO, "WHERE session_id = ?1", todo_row},
    };
    fetch f = {db, res, rep, cn_arena_strdup(&res->arena, cn_str(db->path)), {0}, {0}};
    size_t total = 0, chosen = 0;
    cairn_rc rc;

    if (!f.path.ptr)
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    cn_buf_init(&f.json, (size_t)16 << 20);
    for (size_t i = 0; i < plan->n; i++) {
        const cairn_plan_item *it = &plan->items[i];
        if (it->kind != CAIRN_ITEM_SESSION || it->origin != CAIRN_ORIGIN_SQLITE ||
            strcmp(it->path.ptr, db->path))
            continue;
        total++;
        chosen += it->selected;
    }
    /* One read transaction, so every table is seen at the same moment. */
    sqlite3_exec(db->db, "BEGIN", NULL, NULL, NULL);
    rc = fetch_projects(&f, plan, err);
    for (size_t s = 0; s < sizeof steps / sizeof steps[0] && !rc; s++) {
        if (chosen == total) {
            rc = fetch_rows(&f, steps[s].table, NULL, (cairn_str){NULL, 0}, steps[s].fn, err);
            continue;
        }
        for (size_t i = 0; i < plan->n && !rc; i++) {
            const cairn_plan_item *it = &plan->items[i];
            if (it->kind == CAIRN_ITEM_SESSION && it->selected &&
                it->origin == CAIRN_ORIGIN_SQLITE && !strcmp(it->path.ptr, db->path))
                rc = fetch_rows(&f, steps[s].table, steps[s].where, it->id, steps[s].fn, err);
        }
    }
    sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
    cn_buf_release(&f.json);
    return rc;
}
