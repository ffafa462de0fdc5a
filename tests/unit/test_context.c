/*
 * Unit tests for the folding of session context into a compressed snapshot
 * (store/context.c, store/ctxsnap.c; cairn/memory.h).
 *
 * Every test keeps a log of what it appended and composes the document that
 * the raw events give by itself (oracle(): the rules of memory.h, written
 * with the JSON writer), then compares cairn's "context" object with it byte
 * for byte -- before any fold, after explicit folds (cn_store_context_fold)
 * and after the folds appends make past the threshold.  An append stamps
 * all its items with one time; the newest event always stays a row, so the
 * test reads that time back with SQLite.  Also: compressed and size_bytes
 * (the stored bytes, recounted with SQL), both thresholds, the rows left
 * after many appends, damaged snapshots (garbage, cut, one byte flipped, a
 * good zstd frame of bad content), a fold that fails half-way (a trigger)
 * leaving nothing changed, appends from many handles at once, migration 4
 * from a schema-3 store, and store prune keeping a folded session.
 *
 * Each test opens its own store in a fresh temp dir, removed by the group
 * teardown.  Sessions are made with cairn_session_create: no fixture needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>
#include <zstd.h> /* to forge a well-formed frame of bad content */

#include "base/arena.h"
#include "base/buf.h"
#include "cairn/memory.h"
#include "json/json.h"
#include "json/write.h"
#include "store/ctxsnap.h" /* the thresholds */
#include "store/db.h"      /* cn_store_context_fold, cn_store_migrations */

#include "fixture.h"

/* ---- temp dirs, stores, SQL on the store file ---- */

static cairn_store *new_store(char *dir, size_t n)
{
    char tmp[4096];
    cairn_store *s = NULL;
    if (!dir) {
        dir = tmp;
        n = sizeof tmp;
    }
    temp_dir(dir, n);
    OK(cairn_store_open(dir, 0, &s, E));
    return s;
}

static void new_session(cairn_store *s, char *id, size_t n)
{
    cairn_session_new sn = {"ctx-test", "/work/ctx", "proj", NULL, 0};
    OK(cairn_session_create(s, &sn, id, n, E));
}

static sqlite3 *db_open(cairn_store *s)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(cairn_store_path(s), &db, SQLITE_OPEN_READWRITE, NULL),
                     SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    return db;
}

/* One integer; the format takes the session id (as %s) or nothing. */
static int64_t sql_i64(cairn_store *s, const char *fmt, const char *sid)
{
    char sql[1024];
    sqlite3_stmt *st;
    int64_t v = -1;
    sqlite3 *db = db_open(s);
    snprintf(sql, sizeof sql, fmt, sid);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static void sql_exec(cairn_store *s, const char *sql)
{
    sqlite3 *db = db_open(s);
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    sqlite3_close(db);
}

#define SROW "(SELECT id FROM sessions WHERE session_id = '%s')"
#define SROW_P "(SELECT id FROM sessions WHERE session_id = ?1)"
#define ROWS "SELECT count(*) FROM context_events WHERE session_rowid = " SROW
/* memory.h: what size_bytes counts when compressed */
#define STORED                                                                                     \
    "SELECT (SELECT length(snapshot) FROM context_snapshots WHERE session_rowid = s.id) +"         \
    " (SELECT coalesce(sum(length(CAST(coalesce(path, query, decision, memory_id) AS BLOB)) +"     \
    " coalesce(length(CAST(memory_key AS BLOB)), 0)), 0) FROM context_events c WHERE"              \
    " c.session_rowid = s.id) FROM sessions s WHERE session_id = '%s'"

/* The session's snapshot (malloc'd, *len bytes; NULL when none). */
static void *blob_get(cairn_store *s, const char *sid, size_t *len)
{
    sqlite3_stmt *st;
    void *b = NULL;
    sqlite3 *db = db_open(s);
    *len = 0;
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT snapshot FROM context_snapshots WHERE"
                                        " session_rowid = " SROW_P,
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *len = (size_t)sqlite3_column_bytes(st, 0);
        b = malloc(*len + 1);
        assert_non_null(b);
        if (*len)
            memcpy(b, sqlite3_column_blob(st, 0), *len);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return b;
}

static void blob_set(cairn_store *s, const char *sid, const void *b, size_t len)
{
    sqlite3_stmt *st;
    sqlite3 *db = db_open(s);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "UPDATE context_snapshots SET snapshot = ?2 WHERE"
                                        " session_rowid = " SROW_P,
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 2, b, (int)len, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* ---- the log of appended items and the document it should give ---- */

typedef struct item {
    cairn_context_kind kind;
    char *text, *key; /* key: NULL when none */
    double imp;
    int64_t at;
} item;

typedef struct ctxlog {
    item *it;
    size_t n, cap;
} ctxlog;

static void log_free(ctxlog *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->it[i].text);
        free(l->it[i].key);
    }
    free(l->it);
    memset(l, 0, sizeof *l);
}

static void log_add(ctxlog *l, cairn_context_kind kind, const char *text, const char *key,
                    double imp, int64_t at)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 256;
        l->it = realloc(l->it, l->cap * sizeof *l->it);
        assert_non_null(l->it);
    }
    l->it[l->n++] = (item){kind, strdup(text), key ? strdup(key) : NULL, imp, at};
}

/* the one saved memory whose key an append looks up */
static char known_id[32];
static const char *const known_key = "pref.indent";

/* Append items[0..n) and log them, with the time read back from the newest row. */
static void append(cairn_store *s, const char *sid, const cairn_context_item *items, size_t n,
                   ctxlog *l)
{
    OK(cairn_context_append(s, sid, items, n, E));
    int64_t at = sql_i64(
        s, "SELECT at FROM context_events WHERE session_rowid = " SROW " ORDER BY id DESC LIMIT 1",
        sid);
    assert_true(at > 0);
    for (size_t i = 0; i < n; i++) {
        const char *key = items[i].memory_key;
        if (items[i].kind == CAIRN_CONTEXT_MEMORY && !key && !strcmp(items[i].text, known_id))
            key = known_key;
        log_add(l, items[i].kind, items[i].text, items[i].kind == CAIRN_CONTEXT_MEMORY ? key : NULL,
                items[i].importance, at);
    }
}

static void append1(cairn_store *s, const char *sid, cairn_context_kind kind, const char *text,
                    double imp, ctxlog *l)
{
    cairn_context_item it = {kind, text, NULL, imp};
    append(s, sid, &it, 1, l);
}

static void oracle_array(cn_jw *w, const ctxlog *l, cairn_context_kind kind, const char *field)
{
    int64_t order = 0;
    cn_jw_arr(w);
    for (size_t i = 0; i < l->n; i++) {
        const item *it = &l->it[i];
        if (it->kind != kind)
            continue;
        cn_jw_obj(w);
        cn_jw_key(w, field);
        cn_jw_cstr(w, it->text);
        if (kind == CAIRN_CONTEXT_FILE) {
            cn_jw_key(w, "importance");
            cn_jw_f64(w, it->imp);
            cn_jw_key(w, "accessed_at");
            cn_jw_time(w, it->at);
            cn_jw_key(w, "order");
            cn_jw_i64(w, ++order);
        } else {
            if (kind == CAIRN_CONTEXT_MEMORY) {
                cn_jw_key(w, "memory_key");
                cn_jw_cstr(w, it->key);
            }
            cn_jw_key(w, "timestamp");
            cn_jw_time(w, it->at);
        }
        cn_jw_obj_end(w);
    }
    cn_jw_arr_end(w);
}

/* The context object the raw events of l give (memory.h), malloc'd. */
static char *oracle(const ctxlog *l, size_t *len)
{
    cn_buf b;
    cn_jw w;
    cn_buf_init(&b, (size_t)256 << 20);
    cn_jw_init(&w, &b, false);
    cn_jw_obj(&w);
    cn_jw_key(&w, "files_accessed");
    oracle_array(&w, l, CAIRN_CONTEXT_FILE, "path");
    cn_jw_key(&w, "file_importance_scores");
    cn_jw_obj(&w);
    for (size_t i = 0; i < l->n; i++) {
        const item *it = &l->it[i];
        bool first = it->kind == CAIRN_CONTEXT_FILE;
        for (size_t j = 0; j < i && first; j++)
            first = !(l->it[j].kind == CAIRN_CONTEXT_FILE && !strcmp(l->it[j].text, it->text));
        if (!first)
            continue;
        double latest = it->imp;
        for (size_t j = i + 1; j < l->n; j++)
            if (l->it[j].kind == CAIRN_CONTEXT_FILE && !strcmp(l->it[j].text, it->text))
                latest = l->it[j].imp;
        cn_jw_key(&w, it->text);
        cn_jw_f64(&w, latest);
    }
    cn_jw_obj_end(&w);
    cn_jw_key(&w, "recent_searches");
    oracle_array(&w, l, CAIRN_CONTEXT_SEARCH, "query");
    cn_jw_key(&w, "decisions");
    oracle_array(&w, l, CAIRN_CONTEXT_DECISION, "decision");
    cn_jw_key(&w, "saved_memories");
    oracle_array(&w, l, CAIRN_CONTEXT_MEMORY, "memory_id");
    cn_jw_obj_end(&w);
    assert_int_equal(cn_jw_finish(&w), CAIRN_OK);
    return cn_buf_detach(&b, len);
}

/* ---- what cairn_context_get answers ---- */

typedef struct doc {
    char *text;
    size_t len;
    cairn_str ctx; /* the "context" object, a view into text */
    bool compressed;
    int64_t size;
} doc;

static void doc_get(cairn_store *s, const char *sid, doc *d)
{
    cn_json j;
    OK(cairn_context_get(s, sid, &d->text, &d->len, E));
    cn_json_init(&j);
    OK(cn_json_parse(&j, d->text, d->len, E));
    cn_jval root = cn_json_root(&j);
    d->ctx = cn_json_raw(cn_json_get(root, "context"));
    assert_non_null(d->ctx.ptr);
    cn_jval c = cn_json_get(root, "compressed");
    assert_true(cn_json_is(c, CN_JSON_TRUE) || cn_json_is(c, CN_JSON_FALSE));
    d->compressed = cn_json_is(c, CN_JSON_TRUE);
    d->size = cn_json_i64_or(cn_json_get(root, "size_bytes"), -1);
    cn_json_release(&j);
}

static void doc_free(doc *d)
{
    free(d->text);
}

static void assert_same(cairn_str got, const char *want, size_t want_len, const char *what)
{
    if (got.len == want_len && !memcmp(got.ptr, want, want_len))
        return;
    size_t i = 0;
    while (i < got.len && i < want_len && got.ptr[i] == want[i])
        i++;
    size_t from = i > 60 ? i - 60 : 0;
    fail_msg("%s: documents differ at byte %zu (%zu vs %zu bytes)\n  got:  ...%.120s\n  want: "
             "...%.120s",
             what, i, got.len, want_len, got.ptr + from, want + from);
}

/* The document of sid is the one l gives; its compressed flag is as said; size_bytes true. */
static void check_doc(cairn_store *s, const char *sid, const ctxlog *l, bool compressed,
                      const char *what)
{
    doc d;
    size_t wlen;
    char *want = oracle(l, &wlen);
    doc_get(s, sid, &d);
    assert_same(d.ctx, want, wlen, what);
    if (d.compressed != compressed)
        fail_msg("%s: compressed is %d", what, d.compressed);
    int64_t stored = compressed ? sql_i64(s, STORED, sid) : (int64_t)d.ctx.len;
    if (d.size != stored)
        fail_msg("%s: size_bytes %lld, stored %lld", what, (long long)d.size, (long long)stored);
    free(want);
    doc_free(&d);
}

/* A mix of the four kinds: repeated paths with changing importance, odd bytes. */
static void append_mix(cairn_store *s, const char *sid, int from, int n, ctxlog *l)
{
    for (int i = from; i < from + n; i++) {
        char path[64], text[96];
        snprintf(path, sizeof path, i % 7 == 3 ? "src/we\"ird\\p\xC3\xA9th%d.c" : "src/m%d/f.c",
                 i % 9);
        switch (i % 5) {
        case 0:
        case 1:
            append1(s, sid, CAIRN_CONTEXT_FILE, path, (double)(i % 11) / 10, l);
            break;
        case 2: {
            snprintf(text, sizeof text, "search %d \xff bytes", i);
            cairn_context_item two[] = {{CAIRN_CONTEXT_SEARCH, text, NULL, 0},
                                        {CAIRN_CONTEXT_FILE, path, NULL, 1.0 / 3}};
            append(s, sid, two, 2, l);
            break;
        }
        case 3:
            snprintf(text, sizeof text, "decision %d: use \"WAL\"\n\tsee ticket", i);
            append1(s, sid, CAIRN_CONTEXT_DECISION, text, 0, l);
            break;
        default: {
            cairn_context_item m[] = {{CAIRN_CONTEXT_MEMORY, known_id, NULL, 0},
                                      {CAIRN_CONTEXT_MEMORY, "mem_given00key", "given-key", 0},
                                      {CAIRN_CONTEXT_MEMORY, "mem_unknown0000", NULL, 0}};
            append(s, sid, &m[i % 3], 1, l);
        }
        }
    }
}

static cairn_store *store_with_memory(char *dir, size_t n)
{
    cairn_store *s = new_store(dir, n);
    cairn_memories *m = NULL;
    OK(cairn_memory_save(s, "proj", known_key, "spaces", NULL, 0, &m, E));
    snprintf(known_id, sizeof known_id, "%s", m->items[0].memory_id);
    cairn_memories_free(m);
    return s;
}

/* ---- tests ---- */

static void test_fold_keeps_document(void **state)
{
    (void)state;
    cairn_store *s = store_with_memory(NULL, 0);
    char sid[64];
    ctxlog l = {0};
    new_session(s, sid, sizeof sid);

    /* nothing to fold: no events, then one (the newest stays a row) */
    OK(cn_store_context_fold(s, sid, E));
    check_doc(s, sid, &l, false, "empty");
    append1(s, sid, CAIRN_CONTEXT_FILE, "src/first.c", 0.25, &l);
    OK(cn_store_context_fold(s, sid, E));
    check_doc(s, sid, &l, false, "one event");

    /* below the threshold (some appends add two events): raw rows, then folded by hand */
    const int n = CN_CTX_FOLD_EVENTS * 3 / 4;
    append_mix(s, sid, 1, n, &l);
    check_doc(s, sid, &l, false, "raw events");
    doc before;
    doc_get(s, sid, &before);
    OK(cn_store_context_fold(s, sid, E));
    assert_int_equal(sql_i64(s, ROWS, sid), 1);
    assert_int_equal(sql_i64(s,
                             "SELECT context_folded_events FROM sessions WHERE session_id ="
                             " '%s'",
                             sid),
                     (int64_t)l.n - 1);
    doc after;
    doc_get(s, sid, &after);
    assert_same(after.ctx, before.ctx.ptr, before.ctx.len, "first fold");
    assert_true(after.compressed);
    doc_free(&before);
    doc_free(&after);
    check_doc(s, sid, &l, true, "first fold");

    /* appends after it show up; a second fold keeps the first one's events */
    append_mix(s, sid, 1 + n, n, &l);
    check_doc(s, sid, &l, true, "appends after a fold");
    OK(cn_store_context_fold(s, sid, E));
    assert_int_equal(sql_i64(s, ROWS, sid), 1);
    check_doc(s, sid, &l, true, "second fold");
    append_mix(s, sid, 1 + 2 * n, 3, &l);
    check_doc(s, sid, &l, true, "after the second fold");

    /* a read-only handle reads the same */
    char dir[4096];
    cairn_store *ro = NULL;
    snprintf(dir, sizeof dir, "%s", cairn_store_path(s));
    *strrchr(dir, '/') = '\0';
    OK(cairn_store_open(dir, CAIRN_STORE_READONLY, &ro, E));
    check_doc(ro, sid, &l, true, "read-only handle");
    cairn_store_close(ro);
    log_free(&l);
    cairn_store_close(s);
}

/* The members of file_importance_scores that later events change: first, middle, last, runs. */
static void test_scores_after_fold(void **state)
{
    (void)state;
    cairn_store *s = new_store(NULL, 0);
    char sid[64];
    ctxlog l = {0};
    static const char *const paths[] = {"a.c", "b.c", "c.c", "d.c", "e.c", "f.c", "g.c"};
    static const char *const steps[] = {"a", "c", "g", "ab", "fg", "bdf", "aceg", "x", "xa", ""};
    new_session(s, sid, sizeof sid);
    for (size_t i = 0; i < 7; i++)
        append1(s, sid, CAIRN_CONTEXT_FILE, paths[i], 0.5, &l);
    append1(s, sid, CAIRN_CONTEXT_SEARCH, "the newest stays a row", 0, &l);
    OK(cn_store_context_fold(s, sid, E));
    for (size_t t = 0; t < sizeof steps / sizeof steps[0]; t++) {
        for (const char *c = steps[t]; *c; c++) {
            char path[8];
            snprintf(path, sizeof path, "%c.c", *c);
            append1(s, sid, CAIRN_CONTEXT_FILE, path, (double)(t + 1) / 16, &l);
        }
        check_doc(s, sid, &l, true, steps[t]);
        if (t % 3 == 2) {
            OK(cn_store_context_fold(s, sid, E));
            check_doc(s, sid, &l, true, "folded again");
        }
    }
    log_free(&l);
    cairn_store_close(s);
}

static void test_thresholds(void **state)
{
    (void)state;
    cairn_store *s = new_store(NULL, 0);
    char sid[64], big[64];
    ctxlog l = {0}, lb = {0};
    new_session(s, sid, sizeof sid);
    new_session(s, big, sizeof big);

    /* CN_CTX_FOLD_EVENTS events: the append that reaches it folds */
    for (int i = 1; i <= CN_CTX_FOLD_EVENTS; i++) {
        char path[64];
        snprintf(path, sizeof path, "src/components/widgets/file%02d.c", i % 40);
        append1(s, sid, CAIRN_CONTEXT_FILE, path, (double)(i % 10) / 10, &l);
        if (i == 1 || i == CN_CTX_FOLD_EVENTS - 1)
            check_doc(s, sid, &l, false, "below the threshold");
    }
    check_doc(s, sid, &l, true, "at the threshold");
    assert_int_equal(sql_i64(s, ROWS, sid), 1);
    doc d;
    doc_get(s, sid, &d);
    if (!(d.size * 4 < (int64_t)d.ctx.len))
        fail_msg("size_bytes %lld for a %zu-byte document of repeated paths", (long long)d.size,
                 d.ctx.len);
    doc_free(&d);

    /* CN_CTX_FOLD_BYTES of text: two long decisions */
    size_t n = CN_CTX_FOLD_BYTES / 2 + 100;
    char *text = malloc(n + 1);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++)
        text[i] = (char)('a' + i % 26);
    text[n] = '\0';
    append1(s, big, CAIRN_CONTEXT_DECISION, text, 0, &lb);
    check_doc(s, big, &lb, false, "one long decision");
    text[0] = 'Z';
    append1(s, big, CAIRN_CONTEXT_DECISION, text, 0, &lb);
    check_doc(s, big, &lb, true, "two long decisions");
    assert_int_equal(sql_i64(s, ROWS, big), 1);
    free(text);
    log_free(&l);
    log_free(&lb);
    cairn_store_close(s);
}

/* The rows a read or an append goes through stay under the threshold however long the session. */
static void test_rows_stay_bounded(void **state)
{
    (void)state;
    cairn_store *s = store_with_memory(NULL, 0);
    char sid[64];
    ctxlog l = {0};
    int64_t max_rows = 0;
    new_session(s, sid, sizeof sid);
    for (int i = 0; i < 1400; i++) {
        if (i % 10 == 9) {
            append_mix(s, sid, i, 1, &l);
        } else {
            char path[64];
            cairn_context_item batch[6];
            int k = 1 + i % 6;
            snprintf(path, sizeof path, "lib/part%d.c", i % 50);
            for (int j = 0; j < k; j++)
                batch[j] = (cairn_context_item){CAIRN_CONTEXT_FILE, path, NULL, 0.5};
            append(s, sid, batch, (size_t)k, &l);
        }
        int64_t rows = sql_i64(s, ROWS, sid);
        max_rows = rows > max_rows ? rows : max_rows;
        if (rows >= CN_CTX_FOLD_EVENTS)
            fail_msg("append %d: %lld rows of context events", i, (long long)rows);
        if (i % 350 == 349)
            check_doc(s, sid, &l, true, "many appends");
    }
    assert_true(l.n > 4 * CN_CTX_FOLD_EVENTS);
    assert_true(max_rows < CN_CTX_FOLD_EVENTS);
    assert_int_equal(sql_i64(s,
                             "SELECT context_folded_events FROM sessions WHERE session_id ="
                             " '%s'",
                             sid) +
                         sql_i64(s, ROWS, sid),
                     (int64_t)l.n);
    check_doc(s, sid, &l, true, "many appends");
    log_free(&l);
    cairn_store_close(s);
}

static void expect_corrupt(cairn_store *s, const char *sid, const char *what)
{
    cairn_err e;
    char *json = (char *)&e;
    size_t len;
    cairn_rc rc = cairn_context_get(s, sid, &json, &len, &e);
    if (rc != CAIRN_CORRUPT)
        fail_msg("%s: get gave rc %d: %s", what, (int)rc, rc ? e.msg : "");
    assert_null(json);
    if (!strstr(e.msg, sid) || !strstr(e.msg, "damaged"))
        fail_msg("%s: the message does not name the session: %s", what, e.msg);
}

/* A zstd frame with a checksum of the given content. */
static size_t frame(const void *raw, size_t n, void *out, size_t cap)
{
    ZSTD_CCtx *z = ZSTD_createCCtx();
    assert_non_null(z);
    ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
    size_t got = ZSTD_compress2(z, out, cap, raw, n);
    assert_false(ZSTD_isError(got));
    ZSTD_freeCCtx(z);
    return got;
}

static void test_damaged_snapshot(void **state)
{
    (void)state;
    cairn_store *s = store_with_memory(NULL, 0);
    char sid[64];
    ctxlog l = {0};
    size_t glen;
    new_session(s, sid, sizeof sid);
    append_mix(s, sid, 0, 60, &l);
    OK(cn_store_context_fold(s, sid, E));
    check_doc(s, sid, &l, true, "folded");
    unsigned char *good = blob_get(s, sid, &glen);
    assert_non_null(good);
    assert_true(glen > 40);

    unsigned char garbage[200], flipped[4096], z[512];
    for (size_t i = 0; i < sizeof garbage; i++)
        garbage[i] = (unsigned char)(i * 37 + 11);
    assert_true(glen <= sizeof flipped);
    memcpy(flipped, good, glen);
    flipped[glen - 2] ^= 0x20; /* in the frame's checksum: always seen (mid-frame: below) */
    /* well-formed frames: bad magic; right magic, cut header; right header, lengths past the end */
    static const char bad_magic[96] = "cairnctz";
    char hdr[96] = "cairnctx\1";
    struct {
        const char *name;
        const void *b;
        size_t len;
    } cases[] = {
        {"garbage", garbage, sizeof garbage},
        {"cut in half", good, glen / 2},
        {"checksum byte flipped", flipped, glen},
        {"empty", "", 0},
        {"good frame, bad magic", z, 0},
        {"good frame, cut header", z, 0},
        {"good frame, lengths past the end", z, 0},
    };
    size_t nc = sizeof cases / sizeof cases[0];
    for (size_t c = 0; c < nc; c++) {
        size_t rows = (size_t)sql_i64(s, ROWS, sid);
        if (c == nc - 3)
            cases[c].len = frame(bad_magic, sizeof bad_magic, z, sizeof z);
        if (c == nc - 2)
            cases[c].len = frame(hdr, 40, z, sizeof z);
        if (c == nc - 1) {
            memset(hdr + 16, 0, sizeof hdr - 16);
            hdr[16] = 1;  /* one file ... */
            hdr[48] = 1;  /* ... one path ... */
            hdr[56] = 90; /* ... in 90 bytes of items that are not there */
            cases[c].len = frame(hdr, sizeof hdr, z, sizeof z);
        }
        blob_set(s, sid, cases[c].b, cases[c].len);
        expect_corrupt(s, sid, cases[c].name);
        /* an append below the threshold is kept; one that must fold fails, changing nothing */
        append1(s, sid, CAIRN_CONTEXT_DECISION, cases[c].name, 0, &l);
        cairn_context_item many[CN_CTX_FOLD_EVENTS];
        for (size_t i = 0; i < CN_CTX_FOLD_EVENTS; i++)
            many[i] = (cairn_context_item){CAIRN_CONTEXT_SEARCH, "lost?", NULL, 0};
        cairn_err e;
        assert_int_equal(cairn_context_append(s, sid, many, CN_CTX_FOLD_EVENTS, &e), CAIRN_CORRUPT);
        assert_non_null(strstr(e.msg, sid));
        assert_int_equal(sql_i64(s, ROWS, sid), (int64_t)rows + 1);
        size_t blen;
        void *now = blob_get(s, sid, &blen);
        assert_int_equal(blen, cases[c].len);
        assert_true(blen == 0 || !memcmp(now, cases[c].b, blen));
        free(now);
        expect_corrupt(s, sid, cases[c].name);
    }
    /* the good snapshot back: nothing was lost */
    blob_set(s, sid, good, glen);
    check_doc(s, sid, &l, true, "snapshot restored");
    /* a byte flipped inside the compressed data: damage found, or (a bit zstd does not
     * use) the very same document -- never another one, never a crash */
    char *want, *got;
    size_t wlen, gotlen;
    OK(cairn_context_get(s, sid, &want, &wlen, E));
    for (size_t at = 12; at + 8 < glen; at += 5) {
        memcpy(flipped, good, glen);
        flipped[at] ^= 0x20;
        blob_set(s, sid, flipped, glen);
        cairn_err fe;
        cairn_rc frc = cairn_context_get(s, sid, &got, &gotlen, &fe);
        if (frc == CAIRN_OK) {
            if (gotlen != wlen || memcmp(got, want, wlen))
                fail_msg("byte %zu flipped: a different document and no error", at);
            free(got);
        } else if (frc != CAIRN_CORRUPT) {
            fail_msg("byte %zu flipped: rc %d: %s", at, (int)frc, fe.msg);
        }
    }
    free(want);
    blob_set(s, sid, good, glen);
    append_mix(s, sid, 0, CN_CTX_FOLD_EVENTS, &l);
    check_doc(s, sid, &l, true, "folded again");
    free(good);
    log_free(&l);
    cairn_store_close(s);
}

/* The raw snapshot inside a compressed one (freed by the caller). */
static unsigned char *unframe(const cn_buf *blob, size_t *n)
{
    unsigned long long size = ZSTD_getFrameContentSize(blob->ptr, blob->len);
    assert_true(size < ((size_t)1 << 20));
    unsigned char *raw = malloc((size_t)size);
    assert_non_null(raw);
    *n = ZSTD_decompress(raw, (size_t)size, blob->ptr, blob->len);
    assert_int_equal(*n, (size_t)size);
    return raw;
}

/* Decode the raw snapshot raw[0..n) framed, shallow or deep: its code. */
static cairn_rc decode_raw(cn_zstd *z, const void *raw, size_t n, bool deep)
{
    unsigned char framed[4096];
    cn_ctxsnap snap;
    cairn_err e;
    cn_ctxsnap_init(&snap);
    cairn_rc rc =
        cn_ctxsnap_decode(&snap, z, framed, frame(raw, n, framed, sizeof framed), deep, &e);
    if (rc)
        assert_non_null(strstr(e.msg, "snapshot"));
    cn_ctxsnap_release(&snap);
    return rc;
}

/*
 * What a snapshot's decode checks beyond its lengths' sum (found by fuzz/ctxsnap.c): each
 * path's own member length (a read cuts the members there); items nested deeper than cairn
 * writes them; and a fold into a buffer that holds a snapshot already frees it.
 */
static void test_snapshot_parts_checked(void **state)
{
    (void)state;
    cn_zstd z = {0};
    cn_buf blob;
    cairn_err e;
    cn_ctx_event ev[] = {
        {CAIRN_CONTEXT_FILE, {"src/main.c", 10}, {NULL, 0}, 0.25, 1700000000000},
        {CAIRN_CONTEXT_FILE, {"README.md", 9}, {NULL, 0}, 0.5, 1700000000001},
    };
    cn_buf_init(&blob, 0);
    OK(cn_ctxsnap_fold(&z, NULL, ev, 1, &blob, &e));
    OK(cn_ctxsnap_fold(&z, NULL, ev, 2, &blob, &e)); /* the first one's memory is freed */
    size_t n;
    unsigned char *raw = unframe(&blob, &n);
    assert_int_equal(decode_raw(&z, raw, n, false), CAIRN_OK);
    assert_int_equal(decode_raw(&z, raw, n, true), CAIRN_OK);

    /* one byte moved from the first member's length to the second's: the sum holds */
    unsigned char *p1 = memmem(raw, n, "src/main.c", 11), *p2 = memmem(raw, n, "README.md", 10);
    assert_non_null(p1);
    assert_non_null(p2);
    p1 += 11 + 8; /* the path, its NUL, its importance: its member's length (u32, LE) */
    p2 += 10 + 8;
    assert_int_equal(p1[0], strlen("\"src/main.c\":0.25"));
    p1[0]--;
    p2[0]++;
    assert_int_equal(decode_raw(&z, raw, n, false), CAIRN_CORRUPT);
    assert_int_equal(decode_raw(&z, raw, n, true), CAIRN_CORRUPT);
    p1[0]++;
    p2[0]--;
    /* a member that is not what cairn writes for its path: only a deep decode sees it */
    unsigned char *imp = memmem(raw, n, "\"README.md\":0.5", 15);
    assert_non_null(imp);
    imp[14] = '6';
    assert_int_equal(decode_raw(&z, raw, n, false), CAIRN_OK);
    assert_int_equal(decode_raw(&z, raw, n, true), CAIRN_CORRUPT);
    free(raw);

    /* one search whose item nests an array: well-formed JSON, not what cairn writes */
    static const char nested[] = "{\"query\":[[1]],\"timestamp\":\"2023-11-14T22:13:20.000Z\"}";
    unsigned char hdr[96 + sizeof nested] = "cairnctx\1";
    hdr[24] = 1;                             /* count[search] */
    hdr[64] = (unsigned char)strlen(nested); /* len[search] */
    memcpy(hdr + 96, nested, strlen(nested));
    assert_int_equal(decode_raw(&z, hdr, 96 + strlen(nested), false), CAIRN_OK);
    assert_int_equal(decode_raw(&z, hdr, 96 + strlen(nested), true), CAIRN_CORRUPT);
    memcpy(hdr + 96 + 9, "\"q\"  ", 5); /* the same item, flat: accepted */
    assert_int_equal(decode_raw(&z, hdr, 96 + strlen(nested), true), CAIRN_OK);

    cn_buf_release(&blob);
    cn_zstd_release(&z);
}

/* A fold that fails at any step leaves the store as before the append. */
static void test_fold_is_atomic(void **state)
{
    (void)state;
    cairn_store *s = new_store(NULL, 0);
    char sid[64];
    ctxlog l = {0};
    static const char *const traps[] = {
        "CREATE TRIGGER trap BEFORE DELETE ON context_events BEGIN SELECT RAISE(ABORT, 'trap');"
        " END",
        "CREATE TRIGGER trap BEFORE INSERT ON context_snapshots BEGIN SELECT RAISE(ABORT,"
        " 'trap'); END",
    };
    new_session(s, sid, sizeof sid);
    for (int i = 0; i < CN_CTX_FOLD_EVENTS - 1; i++)
        append1(s, sid, CAIRN_CONTEXT_SEARCH, i % 2 ? "odd" : "even", 0, &l);
    for (size_t t = 0; t < sizeof traps / sizeof traps[0]; t++) {
        sql_exec(s, traps[t]);
        cairn_context_item it = {CAIRN_CONTEXT_FILE, "src/never.c", NULL, 0.5};
        cairn_err e;
        assert_int_not_equal(cairn_context_append(s, sid, &it, 1, &e), CAIRN_OK);
        assert_int_equal(sql_i64(s, ROWS, sid), CN_CTX_FOLD_EVENTS - 1);
        assert_int_equal(sql_i64(s,
                                 "SELECT count(*) = 0 FROM context_snapshots WHERE"
                                 " session_rowid = " SROW,
                                 sid),
                         1);
        check_doc(s, sid, &l, false, "after a failed fold");
        sql_exec(s, "DROP TRIGGER trap");
    }
    append1(s, sid, CAIRN_CONTEXT_FILE, "src/now.c", 0.5, &l);
    check_doc(s, sid, &l, true, "fold without the trap");
    log_free(&l);
    cairn_store_close(s);
}

/* append1 inside a group: the time is read back on s's own connection (the group has not
 * committed: other connections do not see the row yet). */
static void append1_grouped(cairn_store *s, const char *sid, cairn_context_kind kind,
                            const char *text, double imp, ctxlog *l)
{
    cairn_context_item it = {kind, text, NULL, imp};
    sqlite3_stmt *st;
    OK(cairn_context_append(s, sid, &it, 1, E));
    assert_int_equal(sqlite3_prepare_v2(s->db,
                                        "SELECT at FROM context_events WHERE session_rowid ="
                                        " (SELECT id FROM sessions WHERE session_id = ?1)"
                                        " ORDER BY id DESC LIMIT 1",
                                        -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    log_add(l, kind, text, NULL, imp, sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
}

/* In a group (a server's writer), appends past the threshold leave their folds for
 * cairn_context_fold_due: one group never carries every session's fold at once. */
static void test_folds_left_for_later(void **state)
{
    (void)state;
    cairn_store *s = new_store(NULL, 0);
    char sid[3][64];
    ctxlog l[3] = {{0}};
    size_t left = 99;
    cairn_err e;
    for (int k = 0; k < 3; k++)
        new_session(s, sid[k], sizeof sid[k]);
    /* nothing due: nothing to do */
    OK(cairn_context_fold_due(s, 1000, &left, E));
    assert_int_equal(left, 0);
    OK(cairn_store_group_begin(s, E));
    for (int i = 0; i < CN_CTX_FOLD_EVENTS + 5; i++)
        for (int k = 0; k < 3; k++)
            append1_grouped(s, sid[k], CAIRN_CONTEXT_SEARCH, i % 2 ? "odd" : "even", 0,
                            &l[k]);
    OK(cairn_store_group_end(s, E));
    for (int k = 0; k < 3; k++) { /* all past the threshold, none folded */
        assert_int_equal(sql_i64(s, ROWS, sid[k]), CN_CTX_FOLD_EVENTS + 5);
        check_doc(s, sid[k], &l[k], false, "appends left their fold for later");
    }
    /* a budget of 0 folds one, the oldest due, in a group of its own */
    OK(cairn_store_group_begin(s, E));
    OK(cairn_context_fold_due(s, 0, &left, E));
    OK(cairn_store_group_end(s, E));
    assert_int_equal(left, 2);
    assert_int_equal(sql_i64(s, ROWS, sid[0]), 1); /* the newest event stays a row */
    check_doc(s, sid[0], &l[0], true, "folded later");
    assert_int_equal(sql_i64(s, ROWS, sid[1]), CN_CTX_FOLD_EVENTS + 5);

    /* a damaged snapshot: that fold is dropped, the others go on, the appends stay */
    size_t len;
    void *blob = blob_get(s, sid[0], &len);
    OK(cairn_store_group_begin(s, E));
    for (int i = 0; i < CN_CTX_FOLD_EVENTS; i++)
        append1_grouped(s, sid[0], CAIRN_CONTEXT_FILE, "src/a.c", 0.5, &l[0]);
    OK(cairn_store_group_end(s, E));
    ((unsigned char *)blob)[len - 1] ^= 0xff; /* the frame's checksum */
    blob_set(s, sid[0], blob, len);
    OK(cairn_context_fold_due(s, 1000000, &left, E)); /* each its own transaction */
    assert_int_equal(left, 0);
    assert_int_equal(sql_i64(s, ROWS, sid[0]), CN_CTX_FOLD_EVENTS + 1);
    char *json = NULL;
    assert_int_equal(cairn_context_get(s, sid[0], &json, &len, &e), CAIRN_CORRUPT);
    free(json);
    for (int k = 1; k < 3; k++) {
        assert_int_equal(sql_i64(s, ROWS, sid[k]), 1);
        check_doc(s, sid[k], &l[k], true, "folded later, in their own transactions");
    }
    /* outside a group, the append that reaches the threshold folds at once, as before */
    for (int i = 0; i < CN_CTX_FOLD_EVENTS - 1; i++)
        append1(s, sid[1], CAIRN_CONTEXT_DECISION, "keep it", 0, &l[1]);
    assert_int_equal(sql_i64(s, ROWS, sid[1]), 1);
    check_doc(s, sid[1], &l[1], true, "folded at once");
    OK(cairn_context_fold_due(s, 1000, &left, E));
    assert_int_equal(left, 0);
    free(blob);
    for (int k = 0; k < 3; k++)
        log_free(&l[k]);
    cairn_store_close(s);
}

/*
 * A context whose document would pass its limit takes no more appends, on any
 * path (a fold left for later too): refused before anything is stored, and the
 * context stays readable.  The fold records the snapshot's size for the check.
 */
static void test_context_full(void **state)
{
    (void)state;
    cairn_store *s = new_store(NULL, 0);
    char sid[64], sql[256];
    ctxlog l = {0};
    cairn_err e;
    new_session(s, sid, sizeof sid);
    for (int i = 0; i < CN_CTX_FOLD_EVENTS + 1; i++)
        append1(s, sid, CAIRN_CONTEXT_FILE, "src/full.c", 0.5, &l);
    int64_t size =
        sql_i64(s, "SELECT context_size_bytes FROM sessions WHERE session_id = '%s'", sid);
    assert_true(size > 0 && size < 65536); /* the folded snapshot's bytes, uncompressed */
    /* as if the folded part were near the limit: a small append still fits */
    snprintf(sql, sizeof sql, "UPDATE sessions SET context_size_bytes = %zu",
             CN_CTX_MAX_BYTES - (3u << 20));
    sql_exec(s, sql);
    append1(s, sid, CAIRN_CONTEXT_DECISION, "fits", 0, &l);
    snprintf(sql, sizeof sql, "UPDATE sessions SET context_size_bytes = %zu",
             CN_CTX_MAX_BYTES - (1u << 20));
    sql_exec(s, sql);
    int64_t rows = sql_i64(s, ROWS, sid);
    cairn_context_item it = {CAIRN_CONTEXT_DECISION, "one too many", NULL, 0};
    assert_int_equal(cairn_context_append(s, sid, &it, 1, &e), CAIRN_TOOBIG);
    assert_non_null(strstr(e.msg, "is full"));
    OK(cairn_store_group_begin(s, E)); /* as a server's writer appends */
    assert_int_equal(cairn_context_append(s, sid, &it, 1, &e), CAIRN_TOOBIG);
    OK(cairn_store_group_end(s, E));
    assert_int_equal(sql_i64(s, ROWS, sid), rows); /* nothing stored */
    check_doc(s, sid, &l, true, "a full context is still read whole");
    log_free(&l);
    cairn_store_close(s);
}

#define NTHREADS 8
#define NPER 80

typedef struct writer {
    const char *dir, *sid;
    int idx, nok;
    char msg[256];
} writer;

static void *writer_main(void *arg)
{
    writer *w = arg;
    cairn_store *s = NULL;
    cairn_err e;
    if (cairn_store_open(w->dir, 0, &s, &e)) {
        snprintf(w->msg, sizeof w->msg, "open: %s", e.msg);
        return NULL;
    }
    for (int i = 0; i < NPER; i++) {
        char path[64];
        snprintf(path, sizeof path, "t%d/f%02d.c", w->idx, i);
        cairn_context_item it = {CAIRN_CONTEXT_FILE, path, NULL, 0.5};
        if (cairn_context_append(s, w->sid, &it, 1, &e) == CAIRN_OK)
            w->nok++;
        else if (!w->msg[0])
            snprintf(w->msg, sizeof w->msg, "%s", e.msg);
    }
    cairn_store_close(s);
    return NULL;
}

static void test_concurrent_folds(void **state)
{
    (void)state;
    char dir[4096], sid[64];
    cairn_store *s = new_store(dir, sizeof dir);
    pthread_t th[NTHREADS];
    writer w[NTHREADS];
    new_session(s, sid, sizeof sid);
    for (int i = 0; i < NTHREADS; i++) {
        w[i] = (writer){.dir = dir, .sid = sid, .idx = i};
        assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
    }
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < NTHREADS; i++)
        if (w[i].nok != NPER)
            fail_msg("writer %d: %d of %d appends failed: %s", i, NPER - w[i].nok, NPER, w[i].msg);

    doc d;
    cn_json j;
    doc_get(s, sid, &d);
    assert_true(d.compressed);
    cn_json_init(&j);
    OK(cn_json_parse(&j, d.ctx.ptr, d.ctx.len, E));
    cn_jval files = cn_json_get(cn_json_root(&j), "files_accessed");
    assert_int_equal(cn_json_count(files), NTHREADS * NPER);
    check_each_file_once(files, NTHREADS, NPER);
    cn_json_release(&j);
    doc_free(&d);
    assert_int_equal(sql_i64(s,
                             "SELECT context_folded_events FROM sessions WHERE session_id ="
                             " '%s'",
                             sid) +
                         sql_i64(s, ROWS, sid),
                     NTHREADS * NPER);
    cairn_store_close(s);
}

/* A schema-3 store with many events: migration 4 counts them, the next append folds. */
static void test_migration_4(void **state)
{
    (void)state;
    char dir[4096], path[4200];
    sqlite3 *db;
    ctxlog l = {0};
    const char *sid = "ses_migrated";
    assert_true(cairn_store_schema_version() >= 4);
    temp_dir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/cairn.db", dir);
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    for (int v = 0; v < 3; v++)
        assert_int_equal(sqlite3_exec(db, cn_store_migrations[v], NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA user_version = 3;"
                                  "INSERT INTO sessions(session_id, tool_id) VALUES"
                                  " ('ses_migrated', 't');",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    int64_t bytes = 0;
    for (int i = 0; i < 300; i++) {
        char sql[256], text[32];
        snprintf(text, sizeof text, i % 3 ? "src/old%d.c" : "decided %d", i % 17);
        snprintf(sql, sizeof sql,
                 "INSERT INTO context_events(session_rowid, kind, %s, importance, at) VALUES"
                 " (1, '%s', '%s', %s, %d)",
                 i % 3 ? "path" : "decision", i % 3 ? "file" : "decision", text,
                 i % 3 ? "0.75" : "NULL", 1700000000 + i);
        assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        log_add(&l, i % 3 ? CAIRN_CONTEXT_FILE : CAIRN_CONTEXT_DECISION, text, NULL,
                i % 3 ? 0.75 : 0, 1700000000 + i);
        bytes += (int64_t)strlen(text);
    }
    sqlite3_close(db);

    cairn_store *s = NULL;
    OK(cairn_store_open(dir, 0, &s, E));
    assert_int_equal(sql_i64(s, "PRAGMA user_version", NULL), cairn_store_schema_version());
    assert_int_equal(sql_i64(s,
                             "SELECT context_pending_events FROM sessions WHERE session_id ="
                             " '%s'",
                             sid),
                     300);
    assert_int_equal(sql_i64(s,
                             "SELECT context_pending_bytes FROM sessions WHERE session_id ="
                             " '%s'",
                             sid),
                     bytes);
    check_doc(s, sid, &l, false, "migrated, not folded");
    append1(s, sid, CAIRN_CONTEXT_SEARCH, "after migration", 0, &l);
    check_doc(s, sid, &l, true, "migrated, folded");
    log_free(&l);
    cairn_store_close(s);
}

/* store prune drops a gone session only when it has no context rows: a folded one stays. */
static void test_prune_keeps_folded(void **state)
{
    (void)state;
    cairn_store *s = new_store(NULL, 0);
    char sid[64];
    ctxlog l = {0};
    size_t n = 0;
    new_session(s, sid, sizeof sid);
    for (int i = 0; i < CN_CTX_FOLD_EVENTS; i++)
        append1(s, sid, CAIRN_CONTEXT_DECISION, "keep me", 0, &l);
    check_doc(s, sid, &l, true, "folded");
    sql_exec(s, "UPDATE sessions SET gone_at = 1");
    OK(cairn_store_prune(s, &n, E));
    check_doc(s, sid, &l, true, "after prune");
    log_free(&l);
    cairn_store_close(s);
}

/* What reads the context besides the document: the session's event count, its summary
 * (files touched, decisions) and memory suggestions see the folded events too. */
static void test_readers_see_folded(void **state)
{
    (void)state;
    cairn_store *s = new_store(NULL, 0);
    char sid[64], text[64];
    ctxlog l = {0};
    char *json;
    size_t len;
    cn_json j;
    new_session(s, sid, sizeof sid);
    append1(s, sid, CAIRN_CONTEXT_FILE, "src/first.c", 0.9, &l);
    append1(s, sid, CAIRN_CONTEXT_DECISION, "always use the WAL", 0, &l);
    for (int i = 0; i < CN_CTX_FOLD_EVENTS; i++) {
        snprintf(text, sizeof text, "decision %d", i);
        append1(s, sid, CAIRN_CONTEXT_DECISION, text, 0, &l);
    }
    append1(s, sid, CAIRN_CONTEXT_FILE, "src/last.c", 0.2, &l);
    check_doc(s, sid, &l, true, "folded");
    const int64_t total = CN_CTX_FOLD_EVENTS + 3;

    OK(cairn_session_json(s, sid, NULL, &json, &len, E));
    cn_json_init(&j);
    OK(cn_json_parse(&j, json, len, E));
    assert_int_equal(cn_json_i64_or(cn_json_get(cn_json_root(&j), "context_events"), -1), total);
    cn_json_release(&j);
    free(json);

    OK(cairn_session_summary(s, sid, &json, &len, E));
    cn_json_init(&j);
    OK(cn_json_parse(&j, json, len, E));
    cn_jval files = cn_json_get(cn_json_root(&j), "files_touched");
    assert_int_equal(cn_json_count(files), 2);
    assert_non_null(strstr(json, "\"src/first.c\",\"src/last.c\""));
    cn_jval dec = cn_json_get(cn_json_root(&j), "decisions");
    assert_int_equal(cn_json_count(dec), CN_CTX_FOLD_EVENTS + 1);
    assert_non_null(strstr(json, "\"always use the WAL\",\"decision 0\""));
    cn_json_release(&j);
    free(json);

    OK(cairn_memory_suggestions(s, sid, &json, &len, E));
    assert_non_null(strstr(json, "always use the WAL")); /* a folded decision */
    free(json);
    log_free(&l);
    cairn_store_close(s);
}

/* A store made by a build of the first day (schema 1 grew in place): no shadows table, no
 * tail/resume columns, no message hash.  Migration 5 adds them; what the store held stays. */
static void test_migration_5_repairs(void **state)
{
    (void)state;
    char dir[4096], sid[64];
    cairn_store *s = new_store(dir, sizeof dir);
    cairn_memories *m = NULL;
    new_session(s, sid, sizeof sid);
    OK(cairn_memory_save(s, "proj", "kept", "across the repair", NULL, 0, NULL, E));
    sql_exec(s, "DROP TABLE shadows; ALTER TABLE sessions DROP COLUMN tail_offset;"
                "ALTER TABLE sessions DROP COLUMN resume_seq; ALTER TABLE messages DROP COLUMN hash;"
                "PRAGMA user_version = 4");
    cairn_store_close(s);
    OK(cairn_store_open(dir, 0, &s, E));
    assert_int_equal(sql_i64(s, "PRAGMA user_version%s", ""), cairn_store_schema_version());
    assert_int_equal(sql_i64(s, "SELECT count(*) FROM sqlite_master WHERE name = 'shadows'%s", ""), 1);
    assert_int_equal(sql_i64(s,
                             "SELECT count(*) FROM pragma_table_info('sessions') WHERE name IN"
                             " ('tail_offset', 'resume_seq')%s",
                             ""),
                     2);
    assert_int_equal(
        sql_i64(s, "SELECT count(*) FROM pragma_table_info('messages') WHERE name = 'hash'%s", ""),
        1);
    OK(cairn_memory_recall(s, "proj", "kept", 0, &m, E));
    assert_string_equal(m->items[0].value, "across the repair");
    cairn_memories_free(m);
    assert_int_equal(sql_i64(s, "SELECT count(*) FROM sessions WHERE session_id = '%s'", sid), 1);
    cairn_store_close(s);
}

/* A schema-7 store kept the snapshot in sessions.compressed_context: migration 8 moves it to
 * context_snapshots and the document stays the same; run again (as migration 5's repair does),
 * it changes nothing. */
static void test_migration_8(void **state)
{
    (void)state;
    char dir[4096], sid[64];
    ctxlog l = {0};
    cairn_store *s = new_store(dir, sizeof dir);
    new_session(s, sid, sizeof sid);
    for (int i = 0; i < CN_CTX_FOLD_EVENTS + 5; i++) {
        char path[32];
        snprintf(path, sizeof path, "src/m%d.c", i);
        append1(s, sid, CAIRN_CONTEXT_FILE, path, 0.25, &l);
    }
    size_t len;
    void *blob = blob_get(s, sid, &len);
    assert_non_null(blob);
    sql_exec(s, "UPDATE sessions SET compressed_context = (SELECT snapshot FROM"
                " context_snapshots WHERE session_rowid = sessions.id);"
                "DROP TABLE context_snapshots; PRAGMA user_version = 7");
    cairn_store_close(s);
    OK(cairn_store_open(dir, 0, &s, E));
    assert_int_equal(sql_i64(s, "PRAGMA user_version%s", ""), cairn_store_schema_version());
    assert_int_equal(sql_i64(s,
                             "SELECT count(*) FROM sessions WHERE compressed_context IS NOT"
                             " NULL%s",
                             ""),
                     0);
    size_t len2;
    void *moved = blob_get(s, sid, &len2);
    assert_non_null(moved);
    assert_int_equal(len2, len);
    assert_memory_equal(moved, blob, len);
    free(moved);
    check_doc(s, sid, &l, true, "after migration 8");
    sql_exec(s, "PRAGMA user_version = 4");
    cairn_store_close(s);
    OK(cairn_store_open(dir, 0, &s, E));
    assert_int_equal(sql_i64(s, "SELECT count(*) FROM context_snapshots%s", ""), 1);
    check_doc(s, sid, &l, true, "after migrations 5 to 8 again");
    append1(s, sid, CAIRN_CONTEXT_DECISION, "after the move", 0, &l);
    check_doc(s, sid, &l, true, "appended after migration 8");
    free(blob);
    log_free(&l);
    cairn_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_keeps_document),
        cmocka_unit_test(test_scores_after_fold),
        cmocka_unit_test(test_thresholds),
        cmocka_unit_test(test_rows_stay_bounded),
        cmocka_unit_test(test_damaged_snapshot),
        cmocka_unit_test(test_fold_is_atomic),
        cmocka_unit_test(test_concurrent_folds),
        cmocka_unit_test(test_migration_4),
        cmocka_unit_test(test_prune_keeps_folded),
        cmocka_unit_test(test_readers_see_folded),
        cmocka_unit_test(test_migration_5_repairs),
        cmocka_unit_test(test_folds_left_for_later),
        cmocka_unit_test(test_context_full),
        cmocka_unit_test(test_migration_8),
        cmocka_unit_test(test_snapshot_parts_checked),
    };
    return cmocka_run_group_tests_name("context", tests, NULL, remove_temp_dirs);
}
