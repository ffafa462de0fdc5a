/*
 * store/context.c - session context as append-only events, folded into a
 * compressed snapshot past a threshold (cairn/memory.h, store/ctxsnap.h).
 *
 * Appends are inserts, never a read-modify-write of one document, so
 * concurrent writers cannot lose each other's items.  Appends are durable.
 *
 * Folding.  sessions counts the events after the snapshot and their text
 * (context_pending_events, context_pending_bytes).  When an append leaves
 * CN_CTX_FOLD_EVENTS of them or CN_CTX_FOLD_BYTES of text, the same
 * transaction folds every event after the snapshot but the newest into a new
 * snapshot (context_snapshots), moves context_folded_id to the last folded
 * event and deletes exactly the folded rows: an append and its fold commit
 * together or not at all, and rows are only deleted once the new snapshot
 * has been read back and written in that transaction.  A fold that fails (a
 * damaged snapshot, say) fails the append.  Inside a group (a server's
 * writer) the fold is left for cairn_context_fold_due, a transaction or
 * savepoint of its own.  The newest event stays a row, so
 * a session with context always has a context_events row (store prune keeps
 * those sessions).  Event ids count per session (the table is keyed
 * (session, id), so one session's events sit side by side): an append
 * numbers its items on from the larger of the session's last row and its
 * snapshot's last id, so new events are always after the snapshot.
 *
 * Reading: the snapshot and the events after it, in one read transaction;
 * the document is byte for byte the one the raw events would give.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/clock.h"
#include "base/err.h"
#include "json/write.h"
#include "store/ctxsnap.h"
#include "store/db.h"

static const char *const kind_names[] = {"file", "search", "decision", "memory"};
/* the INSERT parameter that holds each kind's text: path, query, decision, memory_id */
static const int text_param[] = {3, 5, 6, 7};

/* The statement sql (?1 = session_id) stepped to the session's row; NOTFOUND if none. */
static cairn_rc find_session(cairn_store *s, const char *session_id, const char *sql,
                             sqlite3_stmt **st, cairn_err *err)
{
    if (!(*st = cn_store_cached(s, sql, err)))
        return CAIRN_IO;
    sqlite3_bind_text(*st, 1, session_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(*st);
    if (rc == SQLITE_ROW)
        return CAIRN_OK;
    sqlite3_reset(*st);
    *st = NULL;
    if (rc != SQLITE_DONE)
        return cn_store_error(s, err, "cannot read sessions");
    return cn_err_set(err, CAIRN_NOTFOUND, "no session '%s'", session_id);
}

/* A referenced memory's key, looked up by its id when the caller did not give it: its bytes. */
static size_t memory_key(cairn_store *s, sqlite3_stmt *ins, const char *memory_id)
{
    sqlite3_stmt *st;
    size_t n = 0;
    if (!(st = cn_store_cached(s, "SELECT key FROM memories WHERE memory_id = ?1", NULL)))
        return 0;
    sqlite3_bind_text(st, 1, memory_id, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        n = (size_t)sqlite3_column_bytes(st, 0);
        sqlite3_bind_text(ins, 8, (const char *)sqlite3_column_text(st, 0), -1, SQLITE_TRANSIENT);
    }
    sqlite3_reset(st);
    return n;
}

/*
 * Bind the id of the memory of the session's project (session row) whose key is key:
 * its latest live version, else the key itself (a memory saved elsewhere, or later).
 */
static void memory_id(cairn_store *s, sqlite3_stmt *ins, int64_t row, const char *key)
{
    sqlite3_stmt *st = cn_store_cached(s,
                                       "SELECT memory_id FROM memories WHERE project_id = (SELECT"
                                       " project_id FROM sessions WHERE id = ?1) AND key = ?2 AND"
                                       " deleted_at IS NULL ORDER BY version DESC LIMIT 1",
                                       NULL);
    sqlite3_bind_text(ins, 7, key, -1, SQLITE_TRANSIENT);
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, row);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        sqlite3_bind_text(ins, 7, (const char *)sqlite3_column_text(st, 0), -1, SQLITE_TRANSIENT);
    sqlite3_reset(st);
}

/* ---- the events of a session ---- */

typedef struct events {
    cn_ctx_event *ev;
    size_t n, cap;
    int64_t text_bytes; /* of the texts and memory keys */
    int64_t last_id;
    cn_arena a;
} events;

static void events_init(events *e)
{
    memset(e, 0, sizeof *e);
    cn_arena_init(&e->a, 0, CN_CTX_MAX_BYTES);
}

static void events_release(events *e)
{
    free(e->ev);
    cn_arena_release(&e->a);
}

/* Copy column i (text, NUL-terminated) into the arena; {NULL, 0} for NULL. */
static cairn_rc copy_col(events *e, sqlite3_stmt *st, int i, cairn_str *out)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    *out = (cairn_str){NULL, 0};
    if (!t)
        return sqlite3_column_type(st, i) == SQLITE_NULL ? CAIRN_OK : CAIRN_NOMEM;
    *out = cn_arena_strdup(&e->a, (cairn_str){t, (size_t)sqlite3_column_bytes(st, i)});
    return out->ptr ? CAIRN_OK : CAIRN_TOOBIG;
}

/* The events of session row with after < id <= upto, in order, appended to e. */
static cairn_rc load_events(cairn_store *s, const char *session_id, int64_t row, int64_t after,
                            int64_t upto, events *e, cairn_err *err)
{
    static const int text_col[] = {2, 4, 5, 6};
    sqlite3_stmt *st;
    cairn_rc rc = CAIRN_OK;
    int src;

    if (!(st = cn_store_cached(s,
                               "SELECT id, kind, path, importance, query, decision, memory_id,"
                               " memory_key, at FROM context_events WHERE session_rowid = ?1"
                               " AND id > ?2 AND id <= ?3 ORDER BY id",
                               err)))
        return cn_store_error(s, err, "cannot read context");
    sqlite3_bind_int64(st, 1, row);
    sqlite3_bind_int64(st, 2, after);
    sqlite3_bind_int64(st, 3, upto);
    while ((src = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const char *kind = (const char *)sqlite3_column_text(st, 1);
        int k = 0;
        while (k < 4 && (!kind || strcmp(kind, kind_names[k])))
            k++;
        if (e->n == e->cap) {
            size_t cap = e->cap ? e->cap * 2 : 64;
            cn_ctx_event *ev = realloc(e->ev, cap * sizeof *ev);
            if (!ev) {
                rc = cn_err_set(err, CAIRN_NOMEM, "out of memory");
                break;
            }
            e->ev = ev;
            e->cap = cap;
        }
        cn_ctx_event *v = &e->ev[e->n];
        memset(v, 0, sizeof *v);
        v->kind = (cairn_context_kind)k;
        if (k == 4 || (rc = copy_col(e, st, text_col[k], &v->text)) || !v->text.len ||
            (k == CAIRN_CONTEXT_MEMORY && (rc = copy_col(e, st, 7, &v->key)))) {
            rc = rc == CAIRN_NOMEM || rc == CAIRN_TOOBIG
                     ? cn_err_set(err, rc, "context of session '%s' is too large", session_id)
                     : cn_err_set(err, CAIRN_CORRUPT,
                                  "context of session '%s' is damaged: event %lld has %s",
                                  session_id, (long long)id,
                                  k == 4 ? "an unknown kind" : "no value");
            break;
        }
        v->importance = k == CAIRN_CONTEXT_FILE ? sqlite3_column_double(st, 3) : 0;
        v->at_ms = sqlite3_column_int64(st, 8);
        e->text_bytes += (int64_t)(v->text.len + v->key.len);
        e->last_id = id;
        e->n++;
    }
    if (!rc && src != SQLITE_DONE)
        rc = cn_store_error(s, err, "cannot read context");
    sqlite3_reset(st);
    return rc;
}

static cairn_rc decode(cairn_store *s, cn_ctxsnap *snap, const char *session_id,
                       const void *blob, size_t len, bool deep, cairn_err *err)
{
    cairn_rc rc = cn_ctxsnap_decode(snap, &s->zstd, blob, len, deep, err);
    if (rc == CAIRN_CORRUPT)
        cn_err_prefix(err, "context of session '%s' is damaged", session_id);
    else if (rc)
        cn_err_prefix(err, "context of session '%s'", session_id);
    return rc;
}

/* ---- folding ---- */

/* Bytes of an event's text, as the pending count adds them up (memory.h: size_bytes). */
#define TEXT_BYTES                                                                                 \
    "length(CAST(coalesce(path, query, decision, memory_id) AS BLOB)) +"                           \
    " coalesce(length(CAST(memory_key AS BLOB)), 0)"

/* Run sql with ?1..?nv = v[] and ?(nv + 1) = blob (when not NULL); *changes (NULL allowed). */
static cairn_rc exec_bound(cairn_store *s, const char *sql, const int64_t *v, int nv,
                           const cn_buf *blob, int *changes, const char *what, cairn_err *err)
{
    sqlite3_stmt *st = cn_store_cached(s, sql, err);
    if (!st)
        return CAIRN_IO;
    for (int i = 0; i < nv; i++)
        sqlite3_bind_int64(st, i + 1, v[i]);
    if (blob)
        sqlite3_bind_blob(st, nv + 1, blob->ptr, (int)blob->len, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return cn_store_error(s, err, what);
    if (changes)
        *changes = sqlite3_changes(s->db);
    return CAIRN_OK;
}

/*
 * Fold every event of session row after its snapshot but the newest into a
 * new snapshot, and delete them; inside the caller's write transaction.
 */
static cairn_rc fold(cairn_store *s, int64_t row, const char *session_id, cairn_err *err)
{
    sqlite3_stmt *st = NULL;
    cn_ctxsnap base;
    events e;
    cn_buf blob;
    int64_t folded = 0, newest = 0;
    bool have_base = false;
    int changes = 0;
    cairn_rc rc;

    cn_ctxsnap_init(&base);
    events_init(&e);
    cn_buf_init(&blob, 0);
    if (!(st = cn_store_cached(s,
                               "SELECT context_folded_id, (SELECT snapshot FROM"
                               " context_snapshots WHERE session_rowid = ?1), (SELECT max(id)"
                               " FROM context_events WHERE session_rowid = ?1) FROM sessions"
                               " WHERE id = ?1",
                               err))) {
        rc = cn_store_error(s, err, "cannot fold context");
        goto out;
    }
    sqlite3_bind_int64(st, 1, row);
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = cn_store_error(s, err, "cannot fold context");
        goto out;
    }
    folded = sqlite3_column_int64(st, 0);
    newest = sqlite3_column_int64(st, 2);
    if (sqlite3_column_type(st, 1) != SQLITE_NULL) {
        have_base = true;
        if ((rc = decode(s, &base, session_id, sqlite3_column_blob(st, 1),
                         (size_t)sqlite3_column_bytes(st, 1), true, err)))
            goto out;
    }
    sqlite3_reset(st);
    st = NULL;
    /* the newest event stays a row */
    if ((rc = load_events(s, session_id, row, folded, newest - 1, &e, err)) || !e.n)
        goto out;
    if ((rc = cn_ctxsnap_fold(&s->zstd, have_base ? &base : NULL, e.ev, e.n, &blob, err))) {
        cn_err_prefix(err, "cannot fold the context of session '%s'", session_id);
        goto out;
    }
    if (blob.len > INT32_MAX) {
        rc = cn_err_set(err, CAIRN_TOOBIG, "context of session '%s' is too large", session_id);
        goto out;
    }
    const int64_t set[] = {row, e.last_id, (int64_t)e.n}, del[] = {row, folded, e.last_id};
    if ((rc = exec_bound(s,
                         "INSERT INTO context_snapshots VALUES(?1, ?2) ON CONFLICT(session_rowid)"
                         " DO UPDATE SET snapshot = excluded.snapshot",
                         set, 1, &blob, NULL, "cannot fold context", err)) ||
        (rc = exec_bound(s,
                         "DELETE FROM context_events WHERE session_rowid = ?1 AND id > ?2 AND"
                         " id <= ?3",
                         del, 3, NULL, &changes, "cannot fold context", err)))
        goto out;
    if (changes != (int)e.n) {
        rc = cn_err_set(err, CAIRN_ERROR,
                        "cannot fold the context of session '%s': %d rows for %zu events",
                        session_id, changes, e.n);
        goto out;
    }
    /* the snapshot's last id, count and size, and what is left after it, in one write of
     * the row (context_size_bytes: the snapshot's bytes uncompressed, for append's limit) */
    const int64_t row_set[] = {row, e.last_id, (int64_t)e.n,
                               (int64_t)cn_ctxsnap_size(blob.ptr, blob.len)};
    rc = exec_bound(s,
                    "UPDATE sessions SET context_folded_id = ?2, context_folded_events ="
                    " context_folded_events + ?3, context_size_bytes = ?4,"
                    " (context_pending_events, context_pending_bytes) = (SELECT count(*),"
                    " coalesce(sum(" TEXT_BYTES "), 0) FROM context_events WHERE session_rowid"
                    " = ?1 AND id > ?2) WHERE id = ?1",
                    row_set, 4, NULL, NULL, "cannot fold context", err);
out:
    sqlite3_reset(st);
    cn_buf_release(&blob);
    events_release(&e);
    cn_ctxsnap_release(&base);
    return rc;
}

cairn_rc cn_store_context_fold(cairn_store *s, const char *session_id, cairn_err *err)
{
    sqlite3_stmt *st;
    cairn_rc rc;
    if ((rc = cn_store_begin_durable(s, err)))
        return rc;
    if (!(rc = find_session(s, session_id, "SELECT id FROM sessions WHERE session_id = ?1", &st,
                            err))) {
        int64_t row = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        rc = fold(s, row, session_id, err);
    }
    if (rc) {
        cn_store_rollback_durable(s);
        return rc;
    }
    return cn_store_commit_durable(s, err);
}

/* ---- folds left for later (cairn_context_fold_due) ---- */

/* A fold left for later: the session's row and id. */
struct cn_ctx_due {
    int64_t row;
    char *session_id;
};

/* Note session row's fold as due (once); false when the list is full or memory short. */
static bool due_add(cairn_store *s, int64_t row, const char *session_id)
{
    for (size_t i = 0; i < s->ndue; i++)
        if (s->due[i].row == row)
            return true;
    if (!s->due && !(s->due = malloc(CN_CTX_DUE_MAX * sizeof *s->due)))
        return false;
    char *id = s->ndue < CN_CTX_DUE_MAX ? strdup(session_id) : NULL;
    if (!id)
        return false;
    s->due[s->ndue++] = (struct cn_ctx_due){row, id};
    return true;
}

void cn_context_due_release(cairn_store *s)
{
    for (size_t i = 0; i < s->ndue; i++)
        free(s->due[i].session_id);
    free(s->due);
    s->due = NULL;
    s->ndue = 0;
}

cairn_rc cairn_context_fold_due(cairn_store *s, uint64_t budget_us, size_t *left, cairn_err *err)
{
    uint64_t start = cn_mono_ns();
    size_t done = 0;
    cairn_rc rc = CAIRN_OK;
    if (left)
        *left = 0;
    if (!s->ndue)
        return CAIRN_OK;
    while (done < s->ndue && (!done || cn_mono_ns() - start < budget_us * 1000)) {
        const struct cn_ctx_due *d = &s->due[done++];
        cairn_err ferr;
        if ((rc = cn_store_begin_durable(s, err)))
            break; /* this fold stays due */
        if (fold(s, d->row, d->session_id, &ferr))
            cn_store_rollback_durable(s); /* dropped: the next append past the threshold */
        else if ((rc = cn_store_commit_durable(s, err))) {
            cn_store_rollback_durable(s);
            break;
        }
    }
    if (rc && done)
        done--; /* the fold that could not start or commit stays due */
    for (size_t i = 0; i < done; i++)
        free(s->due[i].session_id);
    memmove(s->due, s->due + done, (s->ndue - done) * sizeof *s->due);
    s->ndue -= done;
    if (left)
        *left = s->ndue;
    return rc;
}

/* ---- the API ---- */

/*
 * A session's context document stays under CTX_LIMIT, with room for the answer
 * around it (a server answers an append with the whole document, in a buffer of
 * CN_CTX_MAX_BYTES): an append that would take it past is refused, whatever
 * its path (a fold left for later included), so that the context stays readable.
 */
#define CTX_LIMIT (CN_CTX_MAX_BYTES - ((size_t)1 << 20))

/*
 * At least the bytes of the document of a snapshot of folded bytes and of
 * events of text bytes: escaped, each byte may take 6 (\u00XX), and each
 * event's fields ~200.
 */
static size_t doc_bound(int64_t folded, int64_t nevents, int64_t text)
{
    return (size_t)folded + (size_t)nevents * 200 + (size_t)text * 6 + 4096;
}

cairn_rc cairn_context_append(cairn_store *s, const char *session_id,
                              const cairn_context_item *items, size_t n, cairn_err *err)
{
    /* last: the session's last event id, folded or not; ids count on from it */
    int64_t row = 0, now = cn_now_ms(), last, pending, pending_bytes, folded_bytes, bytes = 0;
    sqlite3_stmt *st = NULL;
    cairn_rc rc;

    for (size_t i = 0; i < n; i++) {
        const cairn_context_item *it = &items[i];
        bool by_key = it->kind == CAIRN_CONTEXT_MEMORY && !it->text && it->memory_key &&
                      *it->memory_key; /* the id is looked up */
        if (!by_key && ((unsigned)it->kind > CAIRN_CONTEXT_MEMORY || !it->text || !*it->text))
            return cn_err_set(err, CAIRN_INVAL, "context item %zu: %s needs a value", i + 1,
                              (unsigned)it->kind <= CAIRN_CONTEXT_MEMORY ? kind_names[it->kind]
                                                                         : "item");
        if (it->kind == CAIRN_CONTEXT_FILE && !(it->importance >= 0 && it->importance <= 1))
            return cn_err_set(err, CAIRN_RANGE, "file_importance must be between 0.0 and 1.0");
    }
    if ((rc = cn_store_begin_durable(s, err)))
        return rc;
    if ((rc = find_session(s, session_id,
                           "SELECT id, max(context_folded_id, coalesce((SELECT max(id) FROM"
                           " context_events WHERE session_rowid = sessions.id), 0)),"
                           " context_pending_events, context_pending_bytes,"
                           " coalesce(context_size_bytes, 0) FROM sessions WHERE session_id = ?1",
                           &st, err)))
        goto fail;
    row = sqlite3_column_int64(st, 0);
    last = sqlite3_column_int64(st, 1);
    pending = sqlite3_column_int64(st, 2);
    pending_bytes = sqlite3_column_int64(st, 3);
    folded_bytes = sqlite3_column_int64(st, 4);
    sqlite3_reset(st);
    if (!(st = cn_store_cached(s,
                               "INSERT INTO context_events(session_rowid, kind, path,"
                               " importance, query, decision, memory_id, memory_key, at, id)"
                               " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                               err))) {
        st = NULL;
        rc = cn_store_error(s, err, "cannot append context");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        const cairn_context_item *it = &items[i];
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        sqlite3_bind_int64(st, 1, row);
        sqlite3_bind_text(st, 2, kind_names[it->kind], -1, SQLITE_STATIC);
        if (it->text)
            sqlite3_bind_text(st, text_param[it->kind], it->text, -1, SQLITE_STATIC);
        else /* a memory named by its key */
            memory_id(s, st, row, it->memory_key);
        bytes += (int64_t)strlen(it->text ? it->text : it->memory_key);
        if (it->kind == CAIRN_CONTEXT_FILE)
            sqlite3_bind_double(st, 4, it->importance);
        if (it->kind == CAIRN_CONTEXT_MEMORY && it->memory_key) {
            sqlite3_bind_text(st, 8, it->memory_key, -1, SQLITE_STATIC);
            bytes += (int64_t)strlen(it->memory_key);
        } else if (it->kind == CAIRN_CONTEXT_MEMORY) {
            bytes += (int64_t)memory_key(s, st, it->text);
        }
        sqlite3_bind_int64(st, 9, now);
        sqlite3_bind_int64(st, 10, ++last);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = cn_store_error(s, err, "cannot append context");
            goto fail;
        }
    }
    sqlite3_reset(st);
    st = NULL;
    if (doc_bound(folded_bytes, pending + (int64_t)n, pending_bytes + bytes) > CTX_LIMIT) {
        rc = cn_err_set(err, CAIRN_TOOBIG,
                        "the context of session '%s' is full: it would pass %zu MiB (nothing "
                        "was added; start a new session)",
                        session_id, CTX_LIMIT >> 20);
        goto fail;
    }
    const int64_t upd[] = {row, now, (int64_t)n, bytes};
    if ((rc = exec_bound(s,
                         "UPDATE sessions SET last_activity = max(coalesce(last_activity, 0), ?2),"
                         " context_pending_events = context_pending_events + ?3,"
                         " context_pending_bytes = context_pending_bytes + ?4 WHERE id = ?1",
                         upd, 4, NULL, NULL, "cannot append context", err)))
        goto fail;
    if (n &&
        (pending + (int64_t)n >= CN_CTX_FOLD_EVENTS ||
         pending_bytes + bytes >= CN_CTX_FOLD_BYTES) &&
        !(s->group && due_add(s, row, session_id)) && (rc = fold(s, row, session_id, err)))
        goto fail;
    return cn_store_commit_durable(s, err);
fail:
    sqlite3_reset(st);
    cn_store_rollback_durable(s);
    return rc;
}

/*
 * The document of session_id into w (an object open, after its "context" key):
 * the snapshot and the events after it; in the caller's read transaction.
 * *stored receives the bytes stored when it is compressed (memory.h: size_bytes).
 */
static cairn_rc compose(cairn_store *s, const char *session_id, cn_jw *w, bool *compressed,
                        int64_t *stored, cairn_err *err)
{
    sqlite3_stmt *st;
    cn_ctxsnap snap;
    events e;
    int64_t row, folded, blob_len = 0;
    cairn_rc rc;

    if ((rc = find_session(s, session_id,
                           "SELECT id, context_folded_id, (SELECT snapshot FROM"
                           " context_snapshots WHERE session_rowid = sessions.id) FROM sessions"
                           " WHERE session_id = ?1",
                           &st, err)))
        return rc;
    cn_ctxsnap_init(&snap);
    events_init(&e);
    row = sqlite3_column_int64(st, 0);
    folded = sqlite3_column_int64(st, 1);
    *compressed = sqlite3_column_type(st, 2) != SQLITE_NULL;
    if (*compressed) {
        blob_len = sqlite3_column_bytes(st, 2);
        rc = decode(s, &snap, session_id, sqlite3_column_blob(st, 2), (size_t)blob_len, false,
                    err);
    }
    sqlite3_reset(st);
    if (!rc)
        rc = load_events(s, session_id, row, folded, INT64_MAX, &e, err);
    /* room for the whole answer at once: the snapshot's items and the events' */
    if (!rc && (rc = cn_buf_grow(w->out, snap.raw.len + (size_t)e.text_bytes * 2 + e.n * 96 + 512)))
        rc = cn_err_set(err, rc, "context of '%s' is too large", session_id);
    if (!rc && (rc = cn_ctxsnap_write(w, *compressed ? &snap : NULL, e.ev, e.n)))
        rc = cn_err_set(err, rc, "out of memory");
    *stored = blob_len + e.text_bytes;
    events_release(&e);
    cn_ctxsnap_release(&snap);
    return rc;
}

cairn_rc cairn_context_get(cairn_store *s, const char *session_id, char **json, size_t *len,
                           cairn_err *err)
{
    cn_buf out;
    cn_jw w;
    bool compressed = false;
    int64_t stored = 0;
    cairn_rc rc;

    *json = NULL;
    cn_buf_init(&out, (size_t)300 << 20);
    cn_jw_init(&w, &out, false);
    cn_jw_obj(&w);
    cn_jw_key(&w, "session_id");
    cn_jw_cstr(&w, session_id);
    cn_jw_key(&w, "context");
    size_t start = out.len;
    /* one read transaction: a fold committed between two reads would hide events */
    if ((rc = cn_store_run(s, "SAVEPOINT context_get", err))) {
        cn_buf_release(&out);
        return rc;
    }
    rc = compose(s, session_id, &w, &compressed, &stored, err);
    cn_store_run(s, "RELEASE context_get", NULL); /* a read: nothing to lose */
    if (rc) {
        cn_buf_release(&out);
        return rc;
    }
    size_t ctx_len = out.len - start;
    cn_jw_key(&w, "compressed");
    cn_jw_bool(&w, compressed);
    /* memory.h: the stored bytes when compressed, else the context object's length */
    cn_jw_key(&w, "size_bytes");
    cn_jw_i64(&w, compressed ? stored : (int64_t)ctx_len);
    cn_jw_obj_end(&w);
    if ((rc = cn_jw_take(&w, json, len)))
        return cn_err_set(err, rc, "context of '%s' is too large", session_id);
    return CAIRN_OK;
}
