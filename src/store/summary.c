/*
 * store/summary.c - session summaries and memory suggestions by rules, from
 * what the store holds (no model, no network).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/hash.h"
#include "base/err.h"
#include "base/map.h"
#include "base/str.h"
#include "json/json.h"
#include "json/write.h"
#include "store/db.h"

#define LAST_MESSAGES 3
#define SNIPPET 300
#define MAX_SUGGESTIONS 20

static cairn_rc session_rowid(cairn_store *s, const char *sid, int64_t *row, cairn_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT id FROM sessions WHERE session_id = ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return cn_store_error(s, err, "cannot read sessions");
    sqlite3_bind_text(st, 1, sid, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *row = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? CAIRN_OK : cn_err_set(err, CAIRN_NOTFOUND, "no session '%s'", sid);
}

static void text_col(cn_jw *w, sqlite3_stmt *st, int i, size_t max)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, i) : 0;
    if (!t) {
        cn_jw_null(w);
        return;
    }
    cn_jw_str(w, cn_str_cut((cairn_str){t, n}, max));
}

/* Run sql (bound to the session's rowid) and write {col0: col1, ...} or [..] rows. */
static void object_of_counts(cairn_store *s, cn_jw *w, const char *sql, int64_t row)
{
    sqlite3_stmt *st;
    cn_jw_obj(w);
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, row);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *k = (const char *)sqlite3_column_text(st, 0);
            cn_jw_key(w, k ? k : "none");
            cn_jw_i64(w, sqlite3_column_int64(st, 1));
        }
        sqlite3_finalize(st);
    }
    cn_jw_obj_end(w);
}

/*
 * The session's context as its document composes it: the compressed snapshot of
 * its folded events and the events after it (store/context.c), never the event
 * rows alone.
 */
typedef struct ctxdoc {
    char *json;
    size_t len;
    cn_json j;
    cn_jval ctx; /* the "context" object; absent when the document could not be read */
    cn_arena a;  /* unescaped strings */
} ctxdoc;

static void ctxdoc_load(cairn_store *s, const char *sid, ctxdoc *d)
{
    cairn_err e;
    memset(d, 0, sizeof *d);
    cn_json_init(&d->j);
    cn_arena_init(&d->a, 0, 0);
    d->ctx = (cn_jval){NULL, UINT32_MAX};
    if (!cairn_context_get(s, sid, &d->json, &d->len, &e) &&
        !cn_json_parse(&d->j, d->json, d->len, &e))
        d->ctx = cn_json_get(cn_json_root(&d->j), "context");
}

static void ctxdoc_free(ctxdoc *d)
{
    cn_json_release(&d->j);
    cn_arena_release(&d->a);
    free(d->json);
}

/*
 * files_touched: the paths of the session's parts in first-seen order, then the
 * context's file paths (first-seen order) not already listed; at most 100.
 */
/*
 * A file's path as the summary lists it: a file:// URL as its path; nothing for
 * what is no file (another URL, an inline image, a redaction marker "[...]").
 */
static cairn_str as_path(cairn_str p)
{
    if (cn_str_starts(p, "file://"))
        p = (cairn_str){p.ptr + 7, p.len - 7};
    if (!p.len || p.ptr[0] == '[' || cn_str_starts(p, "data:") || memmem(p.ptr, p.len, "://", 3))
        return (cairn_str){NULL, 0};
    return p;
}

static void files_touched(cairn_store *s, cn_jw *w, int64_t row, ctxdoc *d)
{
    sqlite3_stmt *st;
    cn_map seen;
    size_t n = 0;
    cn_map_init(&seen);
    cn_jw_arr(w);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT paths FROM parts WHERE session_rowid = ?1 AND paths IS"
                           " NOT NULL GROUP BY paths ORDER BY min(id) LIMIT 100",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, row);
        while (sqlite3_step(st) == SQLITE_ROW) {
            cairn_str p = as_path((cairn_str){(const char *)sqlite3_column_text(st, 0),
                                              (size_t)sqlite3_column_bytes(st, 0)});
            if (p.len && (p = cn_arena_strdup(&d->a, p)).ptr &&
                cn_map_get(&seen, p) == UINT32_MAX && cn_map_put(&seen, p, 1) == CAIRN_OK) {
                cn_jw_str(w, cn_str_cut(p, 4096));
                n++;
            }
        }
        sqlite3_finalize(st);
    }
    cn_jiter it = cn_json_iter(cn_json_get(d->ctx, "file_importance_scores"));
    cn_jval k, v;
    while (n < 100 && cn_json_next(&it, &k, &v)) {
        cairn_str p = cn_json_str_or(k, &d->a);
        if (cn_map_get(&seen, p) != UINT32_MAX)
            continue;
        cn_jw_str(w, cn_str_cut(p, 4096));
        n++;
    }
    cn_jw_arr_end(w);
    cn_map_release(&seen);
}

/* The context's decisions, in order: the text (cut to max bytes) of each. */
static void decisions(cn_jw *w, ctxdoc *d, size_t max)
{
    cn_jiter it = cn_json_iter(cn_json_get(d->ctx, "decisions"));
    cn_jval k, v;
    cn_jw_arr(w);
    while (cn_json_next(&it, &k, &v))
        cn_jw_str(w, cn_str_cut(cn_json_str_or(cn_json_get(v, "decision"), &d->a), max));
    cn_jw_arr_end(w);
}

cairn_rc cairn_session_summary(cairn_store *s, const char *sid, char **json, size_t *len,
                               cairn_err *err)
{
    int64_t row;
    cairn_rc rc;
    sqlite3_stmt *st;
    cn_buf out;
    cn_jw w;

    *json = NULL;
    if ((rc = session_rowid(s, sid, &row, err)))
        return rc;
    cn_buf_init(&out, (size_t)64 << 20);
    cn_jw_init(&w, &out, false);
    cn_jw_obj(&w);
    cn_jw_key(&w, "session_id");
    cn_jw_cstr(&w, sid);
    if (sqlite3_prepare_v2(s->db, "SELECT tool_id, title, project_id, workspace_path,"
                                  " created_at, last_activity, ended_at, (SELECT min(time_created)"
                                  " FROM messages WHERE session_rowid = ?1), (SELECT"
                                  " max(time_created) FROM messages WHERE session_rowid = ?1)"
                                  " FROM sessions WHERE id = ?1",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, row);
        if (sqlite3_step(st) == SQLITE_ROW) {
            static const char *const keys[] = {"agent", "title", "project_id",
                                               "workspace_path"};
            for (int i = 0; i < 4; i++) {
                cn_jw_key(&w, keys[i]);
                text_col(&w, st, i, 4096);
            }
            cn_jw_key(&w, "time_span");
            cn_jw_obj(&w);
            cn_jw_key(&w, "start");
            cn_jw_time(&w, sqlite3_column_int64(st, 7) ? sqlite3_column_int64(st, 7)
                                                       : sqlite3_column_int64(st, 4));
            cn_jw_key(&w, "end");
            cn_jw_time(&w, sqlite3_column_int64(st, 8) > sqlite3_column_int64(st, 5)
                               ? sqlite3_column_int64(st, 8)
                               : sqlite3_column_int64(st, 5));
            cn_jw_key(&w, "ended");
            cn_jw_time(&w, sqlite3_column_int64(st, 6));
            cn_jw_obj_end(&w);
        }
        sqlite3_finalize(st);
    }
    cn_jw_key(&w, "messages_by_role");
    object_of_counts(s, &w, "SELECT role, count(*) FROM messages WHERE session_rowid = ?1 GROUP"
                            " BY role ORDER BY 2 DESC", row);
    cn_jw_key(&w, "parts_by_type");
    object_of_counts(s, &w, "SELECT type, count(*) FROM parts WHERE session_rowid = ?1 GROUP BY"
                            " type ORDER BY 2 DESC", row);
    cn_jw_key(&w, "tools_used");
    object_of_counts(s, &w, "SELECT tool, count(*) FROM parts WHERE session_rowid = ?1 AND tool"
                            " IS NOT NULL GROUP BY tool ORDER BY 2 DESC", row);
    cn_jw_key(&w, "tool_calls_by_status");
    object_of_counts(s, &w, "SELECT status, count(*) FROM parts WHERE session_rowid = ?1 AND"
                            " tool IS NOT NULL GROUP BY status ORDER BY 2 DESC", row);
    ctxdoc d;
    ctxdoc_load(s, sid, &d);
    cn_jw_key(&w, "files_touched");
    files_touched(s, &w, row, &d);
    cn_jw_key(&w, "decisions");
    decisions(&w, &d, 4096);
    ctxdoc_free(&d);
    cn_jw_key(&w, "last_messages");
    cn_jw_arr(&w);
    if (sqlite3_prepare_v2(s->db, "SELECT m.role, m.time_created, (SELECT body FROM parts p"
                                  " WHERE p.message_rowid = m.id AND p.type = 'text' AND"
                                  " p.synthetic = 0 AND p.body IS NOT NULL ORDER BY p.seq LIMIT 1)"
                                  " AS text FROM messages m WHERE m.session_rowid = ?1 AND"
                                  " text IS NOT NULL ORDER BY m.seq DESC LIMIT ?2",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, row);
        sqlite3_bind_int(st, 2, LAST_MESSAGES);
        while (sqlite3_step(st) == SQLITE_ROW) {
            cn_jw_obj(&w);
            cn_jw_key(&w, "role");
            text_col(&w, st, 0, 64);
            cn_jw_key(&w, "time");
            cn_jw_time(&w, sqlite3_column_int64(st, 1));
            cn_jw_key(&w, "text");
            text_col(&w, st, 2, SNIPPET);
            cn_jw_obj_end(&w);
        }
        sqlite3_finalize(st);
    }
    cn_jw_arr_end(&w);
    cn_jw_obj_end(&w);
    if (cn_jw_take(&w, json, len))
        return cn_err_set(err, CAIRN_TOOBIG, "summary of '%s' is too large", sid);
    return CAIRN_OK;
}

/* ---- suggestions ---- */

/*
 * Rules: a phrase that makes a sentence worth remembering, tried in this order.
 * A "normative" phrase counts only at the sentence's start or after a word that
 * makes it a rule ("always run ...", "we never ...", not "it is always hard").
 */
static const struct {
    const char *rule;
    bool normative;
    const char *const phrases[9];
} rules[] = {
    {"decision",
     false,
     {"we decided", "decided to ", "decision: ", "we'll go with ", "we will go with ",
      "let's go with ", "we chose ", "we agreed ", NULL}},
    {"never", true, {"never ", "don't ", "do not ", "must not ", NULL}},
    {"use-instead", false, {" instead of ", " rather than ", NULL}},
    {"always", true, {"always ", NULL}},
    {"preference", false, {"prefer ", "we use ", "i use ", "should use ", NULL}},
    {"config", false, {" port ", " is set to ", " defaults to ", "version ", NULL}},
};

/* Words after which an "always" or a "never" makes a rule. */
static const char *const rule_words[] = {" we ", " you ",    " should ", " must ",
                                         " to ", " please ", " they "};

/* Where phrase is in lower[0..n) (lower[0] is a space), or -1. */
static long find_phrase(const char *lower, size_t n, const char *phrase, size_t from)
{
    size_t k = strlen(phrase);
    for (size_t i = from; i + k <= n; i++)
        if (!memcmp(lower + i, phrase, k))
            return (long)i;
    return -1;
}

static bool rule_at(const char *lower, size_t at)
{
    if (at <= 1) /* the sentence's first word */
        return true;
    for (size_t w = 0; w < sizeof rule_words / sizeof rule_words[0]; w++) {
        size_t k = strlen(rule_words[w]);
        if (at >= k && !memcmp(lower + at - k, rule_words[w], k))
            return true;
    }
    return false;
}

static bool has_phrase(const char *lower, size_t n, const char *phrase, bool normative)
{
    for (long at = find_phrase(lower, n, phrase, 0); at >= 0;
         at = find_phrase(lower, n, phrase, (size_t)at + 1))
        if (!normative || rule_at(lower, (size_t)at))
            return true;
    return false;
}

/* An environment-style setting in text: NAME=value, NAME in capitals (OPENAI_API_KEY=). */
static bool has_setting(const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t[i] != '=' || i < 2 || i + 1 >= n || t[i + 1] == ' ' || t[i + 1] == '=')
            continue;
        size_t a = i;
        while (a > 0 && (isupper((unsigned char)t[a - 1]) || isdigit((unsigned char)t[a - 1]) ||
                         t[a - 1] == '_'))
            a--;
        if (i - a >= 2 && isupper((unsigned char)t[a]) &&
            (a == 0 || !isalnum((unsigned char)t[a - 1])))
            return true;
    }
    return false;
}

/* Not a sentence to remember: a question, or a line of program output or code. */
static bool not_a_statement(const char *t, size_t n)
{
    static const char *const marks[] = {"\xe2\x94\x82" /* │ */, "();", "{", "}", "=>"};
    if (t[n - 1] == '?' || t[0] == '/' || t[0] == '>' || t[0] == '$' || t[0] == '|' || t[0] == '#')
        return true;
    for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++)
        if (find_phrase(t, n, marks[m], 0) >= 0)
            return true;
    return false;
}

/* A key from the sentence's first five words: "use-pnpm-instead-of-npm". */
static void key_of(const char *s, size_t n, char *key, size_t size)
{
    size_t k = 0, words = 0;
    bool in_word = false;
    for (size_t i = 0; i < n && k + 2 < size; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c)) {
            in_word = false;
            continue;
        }
        if (!in_word) {
            if (words == 5)
                break;
            if (words++)
                key[k++] = '-';
            in_word = true;
        }
        key[k++] = (char)tolower(c);
    }
    key[k] = '\0';
}

/* The suggestions being written: at most MAX_SUGGESTIONS, each text once. */
typedef struct found {
    cn_jw *w;
    size_t n;
    bool truncated; /* more were found than are given */
    uint64_t text[MAX_SUGGESTIONS];
} found;

/* Whether text may be given: false when said already or past the limit (truncated). */
static bool take(found *f, cairn_str text)
{
    uint64_t h = cn_hash_str(text);
    for (size_t i = 0; i < f->n; i++)
        if (f->text[i] == h)
            return false;
    if (f->n == MAX_SUGGESTIONS) {
        f->truncated = true;
        return false;
    }
    f->text[f->n++] = h;
    return true;
}

static void scan_text(found *f, sqlite3_stmt *st)
{
    const char *t = (const char *)sqlite3_column_text(st, 2);
    size_t n = t ? (size_t)sqlite3_column_bytes(st, 2) : 0;
    size_t start = 0;
    char lower[1024], key[96];
    cn_jw *w = f->w;
    for (size_t i = 0; i <= n && !f->truncated; i++) {
        bool end = i == n || t[i] == '\n' || ((t[i] == '.' || t[i] == '!' || t[i] == '?') &&
                                              (i + 1 == n || t[i + 1] == ' ' || t[i + 1] == '\n'));
        if (!end)
            continue;
        size_t a = start, b = i + (i < n && t[i] != '\n');
        start = i + 1;
        while (a < b && isspace((unsigned char)t[a]))
            a++;
        if (b - a < 12 || b - a > sizeof lower - 2 || not_a_statement(t + a, b - a))
            continue;
        lower[0] = ' ';
        for (size_t k = a; k < b; k++)
            lower[k - a + 1] = (char)tolower((unsigned char)t[k]);
        size_t ln = b - a + 1;
        for (size_t r = 0; r < sizeof rules / sizeof rules[0]; r++) {
            bool hit = !strcmp(rules[r].rule, "config") && has_setting(t + a, b - a);
            for (int p = 0; rules[r].phrases[p] && !hit; p++)
                hit = has_phrase(lower, ln, rules[r].phrases[p], rules[r].normative);
            if (!hit)
                continue;
            if (!take(f, (cairn_str){t + a, b - a}))
                break;
            key_of(t + a, b - a, key, sizeof key);
            cn_jw_obj(w);
            cn_jw_key(w, "text");
            cn_jw_str(w, (cairn_str){t + a, b - a});
            cn_jw_key(w, "rule");
            cn_jw_cstr(w, rules[r].rule);
            cn_jw_key(w, "suggested_key");
            cn_jw_cstr(w, key);
            cn_jw_key(w, "source");
            cn_jw_obj(w);
            cn_jw_key(w, "message_id");
            text_col(w, st, 0, 512);
            cn_jw_key(w, "part_id");
            text_col(w, st, 1, 512);
            cn_jw_key(w, "start"); /* UTF-8 byte offsets in the part's text */
            cn_jw_i64(w, (int64_t)a);
            cn_jw_key(w, "end");
            cn_jw_i64(w, (int64_t)b);
            cn_jw_obj_end(w);
            cn_jw_obj_end(w);
            break;
        }
    }
}

cairn_rc cairn_memory_suggestions(cairn_store *s, const char *sid, char **json, size_t *len,
                                  cairn_err *err)
{
    int64_t row;
    cairn_rc rc;
    sqlite3_stmt *st;
    cn_buf out;
    cn_jw w;

    *json = NULL;
    if ((rc = session_rowid(s, sid, &row, err)))
        return rc;
    cn_buf_init(&out, (size_t)16 << 20);
    cn_jw_init(&w, &out, false);
    found f = {.w = &w};
    cn_jw_obj(&w);
    cn_jw_key(&w, "session_id");
    cn_jw_cstr(&w, sid);
    cn_jw_key(&w, "suggestions");
    cn_jw_arr(&w);
    /* decisions recorded in the context are the first candidates */
    ctxdoc d;
    ctxdoc_load(s, sid, &d);
    cn_jiter it = cn_json_iter(cn_json_get(d.ctx, "decisions"));
    cn_jval k, v;
    while (!f.truncated && cn_json_next(&it, &k, &v)) {
        cairn_str text = cn_json_str_or(cn_json_get(v, "decision"), &d.a);
        cairn_str at = cn_json_raw(cn_json_get(v, "timestamp")); /* as the document wrote it */
        char key[96];
        if (!text.ptr || !take(&f, text))
            continue;
        key_of(text.ptr, text.len, key, sizeof key);
        cn_jw_obj(&w);
        cn_jw_key(&w, "text");
        cn_jw_str(&w, text);
        cn_jw_key(&w, "rule");
        cn_jw_cstr(&w, "decision");
        cn_jw_key(&w, "suggested_key");
        cn_jw_cstr(&w, key);
        cn_jw_key(&w, "source");
        cn_jw_obj(&w);
        cn_jw_key(&w, "context_event_at");
        if (at.len)
            cn_jw_raw(&w, at);
        else
            cn_jw_null(&w);
        cn_jw_obj_end(&w);
        cn_jw_obj_end(&w);
    }
    ctxdoc_free(&d);
    /* then sentences of what the user typed and the assistant said, the newest first */
    if (sqlite3_prepare_v2(s->db,
                           "SELECT m.message_id, p.part_id, p.body FROM parts p JOIN"
                           " messages m ON m.id = p.message_rowid WHERE p.session_rowid ="
                           " ?1 AND p.type = 'text' AND p.synthetic = 0 AND p.body IS NOT"
                           " NULL ORDER BY m.seq DESC, p.seq",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, row);
        while (!f.truncated && sqlite3_step(st) == SQLITE_ROW)
            scan_text(&f, st);
        sqlite3_finalize(st);
    }
    cn_jw_arr_end(&w);
    cn_jw_key(&w, "count");
    cn_jw_i64(&w, (int64_t)f.n);
    cn_jw_key(&w, "truncated"); /* more were found than the MAX_SUGGESTIONS given */
    cn_jw_bool(&w, f.truncated);
    cn_jw_obj_end(&w);
    if (cn_jw_take(&w, json, len))
        return cn_err_set(err, CAIRN_TOOBIG, "suggestions for '%s' are too large", sid);
    return CAIRN_OK;
}

cairn_rc cairn_session_messages_json(cairn_store *s, const char *sid, size_t n, char **json,
                                     size_t *len, cairn_err *err)
{
    int64_t row;
    cairn_rc rc;
    sqlite3_stmt *st;
    cn_buf out;
    cn_jw w;

    *json = NULL;
    if ((rc = session_rowid(s, sid, &row, err)))
        return rc;
    if (sqlite3_prepare_v2(s->db, "SELECT * FROM (SELECT m.message_id, m.role, m.time_created,"
                                  " (SELECT group_concat(body, char(10)) FROM (SELECT body FROM"
                                  " parts p WHERE p.message_rowid = m.id AND p.type = 'text' AND"
                                  " p.synthetic = 0 ORDER BY p.seq)), (SELECT group_concat(tool,"
                                  " ',') FROM (SELECT tool FROM parts p WHERE p.message_rowid ="
                                  " m.id AND p.tool IS NOT NULL ORDER BY p.seq)), m.seq FROM"
                                  " messages m WHERE m.session_rowid = ?1 ORDER BY m.seq DESC"
                                  " LIMIT ?2) ORDER BY 6",
                           -1, &st, NULL) != SQLITE_OK)
        return cn_store_error(s, err, "cannot read messages");
    sqlite3_bind_int64(st, 1, row);
    sqlite3_bind_int64(st, 2, (int64_t)n);
    cn_buf_init(&out, (size_t)64 << 20);
    cn_jw_init(&w, &out, false);
    cn_jw_arr(&w);
    while (sqlite3_step(st) == SQLITE_ROW) {
        cn_jw_obj(&w);
        cn_jw_key(&w, "message_id");
        text_col(&w, st, 0, 512);
        cn_jw_key(&w, "role");
        text_col(&w, st, 1, 64);
        cn_jw_key(&w, "time");
        cn_jw_time(&w, sqlite3_column_int64(st, 2));
        cn_jw_key(&w, "text");
        text_col(&w, st, 3, (size_t)1 << 20);
        cn_jw_key(&w, "tools");
        text_col(&w, st, 4, 4096);
        cn_jw_obj_end(&w);
    }
    sqlite3_finalize(st);
    cn_jw_arr_end(&w);
    if (cn_jw_take(&w, json, len))
        return cn_err_set(err, CAIRN_TOOBIG, "messages of '%s' are too large", sid);
    return CAIRN_OK;
}
