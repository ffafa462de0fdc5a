/*
 * store/ingest.c - incremental, resumable indexing of agent sources.
 *
 * Per source:
 *   plan (whole, or only the files a watcher saw change) -> one fingerprint
 *   per session from its items' (kind, id, size, mtime) -> compare with the
 *   stored fingerprint -> the changed sessions are resolved and hydrated in
 *   chunks (bounded bytes) -> each chunk is written in one transaction
 *   together with the new fingerprints -> sessions no longer planned are
 *   marked gone (for a partial plan, only among the sessions its files named),
 *   unless planning reported an issue: a database or folder that could not be
 *   read says nothing about the sessions it holds, and `cairn prune` deletes
 *   the gone ones.
 * A session whose files changed but whose content hash did not is only
 * re-fingerprinted.  A session read with problems (fewer records than
 * planned) is stored with fingerprint 0, so the next run tries it again.
 * Killing the process at any point leaves the last committed chunk in place;
 * the next run skips what was committed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/map.h"
#include "base/str.h"
#include "source/pipeline.h"
#include "store/db.h"

#define CHUNK_BYTES ((int64_t)32 << 20)
#define CHUNK_SESSIONS 256
#define ROW_BYTES 1024 /* weight of one SQLite row when sizing chunks */

enum { S_UNKNOWN, S_NEW, S_CHANGED, S_UNCHANGED };

typedef struct sess {
    cairn_str id;
    uint64_t meta, content;
    uint64_t stored_meta, stored_content;
    int64_t bytes;
    uint32_t items; /* planned messages + parts */
    uint32_t chunk; /* 0: not to read */
    uint8_t state;
    bool known;
} sess;

typedef struct run {
    cairn_store *s;
    const cairn_ingest_opts *o;
    cairn_ingest_stats *st;
    cairn_report *rep;
    cairn_plan *plan;
    int64_t source_id;
    sess *ss;
    size_t nss;
    cn_map idx;          /* session id -> index in ss */
    uint32_t *item_sess; /* plan item -> index in ss, or UINT32_MAX */
    size_t todo, done;
    uint64_t t0;
} run;

static uint64_t item_hash(const cairn_plan_item *it)
{
    /* hashed field by field: a struct would carry padding bytes of no fixed value */
    int64_t k[4] = {it->size, it->mtime_ns, (int64_t)cn_hash_str(it->id), it->kind};
    return cn_hash64(k, sizeof k);
}

/* One sess per planned session; every item adds to its session's fingerprint. */
static cairn_rc fingerprint(run *r, cairn_err *err)
{
    size_t n = cairn_plan_count(r->plan);
    r->ss = calloc(n + 1, sizeof *r->ss);
    r->item_sess = malloc((n + 1) * sizeof *r->item_sess);
    if (!r->ss || !r->item_sess)
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        cairn_plan_item *it = cairn_plan_item_at(r->plan, i);
        r->item_sess[i] = UINT32_MAX;
        if (it->kind != CAIRN_ITEM_SESSION || it->shadowed)
            continue;
        if (cn_map_get(&r->idx, it->id) != UINT32_MAX)
            continue;
        r->ss[r->nss].id = it->id;
        if (cn_map_put(&r->idx, it->id, (uint32_t)r->nss))
            return cn_err_set(err, CAIRN_NOMEM, "out of memory");
        r->nss++;
    }
    for (size_t i = 0; i < n; i++) {
        cairn_plan_item *it = cairn_plan_item_at(r->plan, i);
        if (it->shadowed || !it->session_id.len)
            continue;
        uint32_t k = cn_map_get(&r->idx, it->session_id);
        if (k == UINT32_MAX)
            continue;
        sess *x = &r->ss[k];
        r->item_sess[i] = k;
        x->meta += item_hash(it);
        if (it->origin == CAIRN_ORIGIN_SQLITE && it->kind == CAIRN_ITEM_SESSION) {
            x->items += (uint32_t)it->size;
            x->bytes += it->size * ROW_BYTES;
        } else {
            x->items += it->kind == CAIRN_ITEM_MESSAGE || it->kind == CAIRN_ITEM_PART;
            x->bytes += it->size;
        }
    }
    for (size_t k = 0; k < r->nss; k++)
        r->ss[k].meta &= INT64_MAX; /* stored as a signed SQLite integer; 0 means "retry" */
    return CAIRN_OK;
}

static cairn_rc load_known(run *r, cairn_err *err)
{
    sqlite3_stmt *st;
    /* copies stored from this source, then copies another source's newer copy shadows */
    if (sqlite3_prepare_v2(r->s->db,
                           "SELECT source_key, fp_meta, fp_content FROM sessions WHERE"
                           " source_id = ?1 AND gone_at IS NULL UNION ALL SELECT source_key,"
                           " fp_meta, 0 FROM shadows WHERE source_id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return cn_store_error(r->s, err, "cannot read sessions");
    sqlite3_bind_int64(st, 1, r->source_id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        uint32_t k = cn_map_get(&r->idx, (cairn_str){id, (size_t)sqlite3_column_bytes(st, 0)});
        if (k == UINT32_MAX)
            continue;
        r->ss[k].known = true;
        r->ss[k].stored_meta = (uint64_t)sqlite3_column_int64(st, 1);
        r->ss[k].stored_content = (uint64_t)sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    return CAIRN_OK;
}

/* Assign chunk numbers (1..) to the sessions that must be read; returns the last chunk. */
static uint32_t plan_chunks(run *r)
{
    uint32_t chunk = 0, count = CHUNK_SESSIONS;
    int64_t bytes = CHUNK_BYTES;
    for (size_t k = 0; k < r->nss; k++) {
        sess *x = &r->ss[k];
        if (!r->o->full && x->known && x->stored_meta == x->meta && x->meta) {
            x->state = S_UNCHANGED;
            r->st->sessions_unchanged++;
            continue;
        }
        if (bytes + x->bytes > CHUNK_BYTES || count == CHUNK_SESSIONS) {
            chunk++;
            bytes = 0;
            count = 0;
        }
        x->chunk = chunk;
        bytes += x->bytes;
        count++;
        r->todo++;
    }
    return chunk;
}

static void select_chunk(run *r, uint32_t chunk)
{
    size_t n = cairn_plan_count(r->plan);
    for (size_t i = 0; i < n; i++) {
        cairn_plan_item *it = cairn_plan_item_at(r->plan, i);
        uint32_t k = r->item_sess[i];
        if (it->kind == CAIRN_ITEM_PROJECT)
            it->selected = !it->shadowed;
        else if (it->kind == CAIRN_ITEM_DB)
            it->selected = true;
        else if (it->kind == CAIRN_ITEM_DIFF)
            it->selected = false;
        else
            it->selected = k != UINT32_MAX && r->ss[k].chunk == chunk;
    }
}

static void report_progress(run *r, size_t bytes)
{
    if (!r->o->progress)
        return;
    cairn_ingest_progress p = {r->plan->src.agent, r->done, r->todo, bytes,
                               (double)(cn_mono_ns() - r->t0) / 1e9};
    r->o->progress(&p, r->o->ud);
}

/*
 * A session another source (or another file of this source) also holds is
 * stored once, from the newest copy.
 * Returns 1 when the stored copy (another source's) is as new as x, after
 * remembering x's fingerprint in shadows; 0 when x is to be written (a
 * replaced copy of another source becomes that source's shadow); -1 on error.
 */
static int held_elsewhere(run *r, const cairn_session *x, uint64_t meta, cairn_err *err)
{
    sqlite3 *db = r->s->db;
    sqlite3_stmt *st;
    int held = 0;
    cairn_str key = x->key.len ? x->key : x->id;
    /* another copy: from another source, or another file of this one */
    if (sqlite3_prepare_v2(db,
                           "SELECT source_id, last_activity FROM sessions WHERE session_id"
                           " = ?1 AND NOT (source_id = ?2 AND source_key = ?3) AND gone_at"
                           " IS NULL",
                           -1, &st, NULL) != SQLITE_OK)
        return cn_store_error(r->s, err, "cannot read sessions"), -1;
    sqlite3_bind_text(st, 1, x->id.ptr, (int)x->id.len, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, r->source_id);
    sqlite3_bind_text(st, 3, key.ptr, (int)key.len, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW)
        held = sqlite3_column_int64(st, 1) >= x->time_updated_ms ? 1 : 2;
    sqlite3_finalize(st);
    static const char *const sql[] = {
        /* held == 1: remember this source's copy as a shadow */
        "INSERT OR REPLACE INTO shadows(source_id, source_key, session_id, fp_meta)"
        " VALUES(?2, ?3, ?1, ?4)",
        /* held == 2: the other source's copy becomes its shadow */
        "INSERT OR REPLACE INTO shadows(source_id, source_key, session_id, fp_meta)"
        " SELECT source_id, source_key, session_id, fp_meta FROM sessions WHERE session_id = ?1",
    };
    if (held) {
        if (sqlite3_prepare_v2(db, sql[held - 1], -1, &st, NULL) != SQLITE_OK)
            return cn_store_error(r->s, err, "cannot write shadows"), -1;
        sqlite3_bind_text(st, 1, x->id.ptr, (int)x->id.len, SQLITE_STATIC);
        if (held == 1) {
            sqlite3_bind_int64(st, 2, r->source_id);
            sqlite3_bind_text(st, 3, key.ptr, (int)key.len, SQLITE_STATIC);
            sqlite3_bind_int64(st, 4, (int64_t)meta);
        }
        int rc = sqlite3_step(st);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return cn_store_error(r->s, err, "cannot write shadows"), -1;
    }
    if (held != 1) { /* written from this source: it is no longer a shadow here */
        if (sqlite3_prepare_v2(db, "DELETE FROM shadows WHERE source_id = ?1 AND source_key = ?2",
                               -1, &st, NULL) != SQLITE_OK)
            return cn_store_error(r->s, err, "cannot write shadows"), -1;
        sqlite3_bind_int64(st, 1, r->source_id);
        sqlite3_bind_text(st, 2, key.ptr, (int)key.len, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_finalize(st);
    }
    return held == 1;
}

/*
 * The stored copies of chunk's sessions that its batch does not hold: read
 * whole without an issue (clean), their files hold no session now (a
 * transcript cut back to lines that are no conversation), so they are gone.
 */
static cairn_rc gone_in_chunk(run *r, uint32_t chunk, cairn_err *err)
{
    sqlite3_stmt *st = NULL;
    for (size_t k = 0; k < r->nss; k++) {
        sess *e = &r->ss[k];
        if (e->chunk != chunk || e->state != S_UNKNOWN || !e->known)
            continue;
        if (!st && sqlite3_prepare_v2(r->s->db,
                                      "UPDATE sessions SET gone_at = ?3 WHERE source_id = ?1 AND"
                                      " source_key = ?2 AND gone_at IS NULL",
                                      -1, &st, NULL) != SQLITE_OK)
            return cn_store_error(r->s, err, "cannot mark gone sessions");
        sqlite3_bind_int64(st, 1, r->source_id);
        sqlite3_bind_text(st, 2, e->id.ptr, (int)e->id.len, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, cn_now_ms());
        if (sqlite3_step(st) != SQLITE_DONE) {
            sqlite3_finalize(st);
            return cn_store_error(r->s, err, "cannot mark gone sessions");
        }
        r->st->sessions_gone += (size_t)sqlite3_changes(r->s->db);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return CAIRN_OK;
}

/* Write the sessions of one hydrated chunk in one transaction (clean: read without an issue). */
static cairn_rc write_chunk(run *r, const cairn_batch *b, uint32_t chunk, bool clean,
                            cairn_err *err)
{
    cairn_rc rc = cn_store_begin(r->s, err);
    if (rc)
        return rc;
    rc = cn_store_write_projects(r->s, b, err);
    for (size_t i = 0; i < b->nsessions && !rc; i++) {
        const cairn_session *x = &b->sessions[i];
        uint32_t k = cn_map_get(&r->idx, x->key.len ? x->key : x->id);
        if (k == UINT32_MAX)
            continue;
        sess *e = &r->ss[k];
        size_t got = x->nmessages;
        for (uint32_t m = 0; m < x->nmessages; m++)
            got += b->messages[x->first_message + m].nparts;
        uint64_t meta = got < e->items ? 0 : e->meta; /* incomplete: retry next run */
        if (e->known && !r->o->full && e->content == e->stored_content && meta) {
            /* only the fingerprint moves: the content is what was indexed */
            sqlite3_stmt *st = cn_store_stmt(r->s, ST_SESSION_FP, err);
            if (!st) {
                rc = CAIRN_IO;
                break;
            }
            sqlite3_bind_text(st, 1, e->id.ptr, (int)e->id.len, SQLITE_STATIC);
            sqlite3_bind_int64(st, 2, (int64_t)meta);
            sqlite3_bind_int64(st, 3, r->source_id);
            if (sqlite3_step(st) != SQLITE_DONE) {
                rc = cn_store_error(r->s, err, "cannot write fingerprint");
                break;
            }
            e->state = S_UNCHANGED;
            r->st->sessions_unchanged++;
            continue;
        }
        int held = held_elsewhere(r, x, meta, err);
        if (held < 0) {
            rc = err ? err->rc : CAIRN_IO;
            break;
        }
        if (held) {
            e->state = S_UNCHANGED;
            r->st->sessions_unchanged++;
            continue;
        }
        bool existed = false; /* another source's copy, replaced: not a new session */
        rc = cn_store_write_session(r->s, r->source_id, b, i, (int64_t)meta,
                                    (int64_t)(e->content & INT64_MAX), &existed, err);
        if (rc)
            break;
        e->state = e->known ? S_CHANGED : S_NEW;
        *(e->known || existed ? &r->st->sessions_changed : &r->st->sessions_new) += 1;
        r->st->messages += x->nmessages;
        r->st->parts += got - x->nmessages;
    }
    if (!rc && clean)
        rc = gone_in_chunk(r, chunk, err);
    if (rc) {
        cn_store_rollback(r->s);
        return rc;
    }
    return cn_store_commit(r->s, err);
}

/*
 * A transcript that only grew is read from its last turn on: when the bytes
 * up to the stored tail are unchanged (same XXH3), the unit is told where to
 * resume; the store keeps the messages before that point.
 */
static void set_resume(run *r, cairn_resolved *res)
{
    /* Codex's token counts grow from the usage of the messages kept before the point
     * (cn_unit.resume_tokens): summed for Codex only, as each grown file is re-read */
    static const char *const sql[] = {
        "SELECT tail_offset, tail_hash, resume_offset, resume_line, resume_seq, session_id, 0,"
        " 0, 0, 0, 0 FROM sessions WHERE source_id = ?1 AND source_key = ?2 AND gone_at IS"
        " NULL AND tail_offset > 0",
        "SELECT s.tail_offset, s.tail_hash, s.resume_offset, s.resume_line, s.resume_seq,"
        " s.session_id, total(m.tokens_input), total(m.tokens_output),"
        " total(m.tokens_reasoning), total(m.tokens_cache_read), total(m.tokens_cache_write)"
        " FROM sessions s LEFT JOIN messages m ON m.session_rowid = s.id AND m.seq <"
        " s.resume_seq WHERE s.source_id = ?1 AND s.source_key = ?2 AND s.gone_at IS NULL"
        " AND s.tail_offset > 0 GROUP BY s.id",
    };
    sqlite3_stmt *st;
    if (r->o->full || sqlite3_prepare_v2(r->s->db, sql[r->plan->src.agent == CAIRN_AGENT_CODEX], -1,
                                         &st, NULL) != SQLITE_OK)
        return;
    for (size_t i = 0; i < res->n; i++) {
        cn_unit *u = &res->units[i];
        if (u->kind != CAIRN_ITEM_SESSION || u->origin != CAIRN_ORIGIN_JSONL)
            continue;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, r->source_id);
        sqlite3_bind_text(st, 2, u->id.ptr, (int)u->id.len, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_ROW)
            continue;
        int64_t tail = sqlite3_column_int64(st, 0);
        if ((uint64_t)tail > u->content.len || (int64_t)(cn_hash64(u->content.ptr, (size_t)tail) &
                                                         INT64_MAX) != sqlite3_column_int64(st, 1))
            continue; /* rewritten or truncated: read it whole */
        /* the id the header gave (the lines before the resume point are not read again) */
        cairn_str id = {(const char *)sqlite3_column_text(st, 5),
                        (size_t)sqlite3_column_bytes(st, 5)};
        if (!id.len || !(u->resume_id = cn_arena_strdup(&res->arena, id)).ptr)
            continue; /* out of memory: read it whole */
        u->resume_offset = sqlite3_column_int64(st, 2);
        u->resume_line = sqlite3_column_int64(st, 3);
        u->resume_seq = (uint32_t)sqlite3_column_int64(st, 4);
        u->resume_tokens = (cairn_tokens){sqlite3_column_int64(st, 6), sqlite3_column_int64(st, 7),
                                          sqlite3_column_int64(st, 8), sqlite3_column_int64(st, 9),
                                          sqlite3_column_int64(st, 10)};
    }
    sqlite3_finalize(st);
}

static cairn_rc read_chunk(run *r, uint32_t chunk, cairn_err *err)
{
    cairn_resolved *res;
    cairn_batch *b;
    cairn_rc rc;

    size_t issues = cairn_report_count(r->rep);
    select_chunk(r, chunk);
    if ((rc = cairn_resolve(r->plan, &res, r->rep, err)))
        return rc;
    for (size_t u = 0; u < res->n; u++) {
        uint32_t k = cn_map_get(&r->idx, res->units[u].session_id);
        if (k != UINT32_MAX)
            r->ss[k].content += cn_hash_str(res->units[u].content);
    }
    size_t bytes = cairn_resolved_bytes(res);
    r->st->bytes += bytes;
    set_resume(r, res);
    if ((rc = cairn_hydrate_take(res, &b, r->rep, err)))
        return rc;
    r->st->skipped += b->skipped;
    rc = write_chunk(r, b, chunk, cairn_report_count(r->rep) == issues, err);
    for (size_t k = 0; k < r->nss; k++)
        r->done += r->ss[k].chunk == chunk;
    cairn_batch_free(b);
    report_progress(r, r->st->bytes);
    return rc;
}

/* Fill temp.<table> with the planned session ids ("seen") or the covered ones. */
static cairn_rc insert_ids(run *r, const char *table, cairn_err *err)
{
    char sql[64];
    sqlite3_stmt *st;
    bool seen = !strcmp(table, "seen");
    size_t n = seen ? r->nss : cairn_plan_ncovered(r->plan);
    snprintf(sql, sizeof sql, "INSERT OR IGNORE INTO temp.%s VALUES(?1)", table);
    if (sqlite3_prepare_v2(r->s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return cn_store_error(r->s, err, "cannot mark gone sessions");
    for (size_t k = 0; k < n; k++) {
        cairn_str id = seen ? r->ss[k].id : cairn_plan_covered(r->plan, k);
        sqlite3_bind_text(st, 1, id.ptr, (int)id.len, SQLITE_STATIC);
        sqlite3_step(st);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    return CAIRN_OK;
}

static cairn_rc mark_gone(run *r, cairn_err *err)
{
    sqlite3_stmt *st;
    cairn_rc rc;
    if ((rc = cn_store_begin(r->s, err)) ||
        (rc = cn_store_exec(r->s,
                            "CREATE TEMP TABLE IF NOT EXISTS seen(id TEXT PRIMARY KEY);"
                            "DELETE FROM temp.seen",
                            err)))
        goto fail;
    if ((rc = insert_ids(r, "seen", err)))
        goto fail;
    /* a partial plan speaks only for the sessions of the paths it was given */
    if (cairn_plan_is_partial(r->plan) &&
        (rc = cn_store_exec(r->s,
                            "CREATE TEMP TABLE IF NOT EXISTS covered(id TEXT PRIMARY KEY);"
                            "DELETE FROM temp.covered",
                            err)))
        goto fail;
    if (cairn_plan_is_partial(r->plan) && (rc = insert_ids(r, "covered", err)))
        goto fail;
    if (sqlite3_prepare_v2(r->s->db,
                           cairn_plan_is_partial(r->plan)
                               ? "UPDATE sessions SET gone_at = ?2 WHERE source_id = ?1 AND"
                                 " gone_at IS NULL AND source_key IN (SELECT id FROM"
                                 " temp.covered) AND source_key NOT IN (SELECT id FROM temp.seen)"
                               : "UPDATE sessions SET gone_at = ?2 WHERE source_id = ?1 AND"
                                 " gone_at IS NULL AND source_key NOT IN (SELECT id FROM"
                                 " temp.seen)",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = cn_store_error(r->s, err, "cannot mark gone sessions");
        goto fail;
    }
    sqlite3_bind_int64(st, 1, r->source_id);
    sqlite3_bind_int64(st, 2, cn_now_ms());
    sqlite3_step(st);
    sqlite3_finalize(st);
    r->st->sessions_gone += (size_t)sqlite3_changes(r->s->db);
    if (sqlite3_prepare_v2(r->s->db,
                           cairn_plan_is_partial(r->plan)
                               ? "DELETE FROM shadows WHERE source_id = ?1 AND source_key IN"
                                 " (SELECT id FROM temp.covered) AND source_key NOT IN (SELECT"
                                 " id FROM temp.seen)"
                               : "DELETE FROM shadows WHERE source_id = ?1 AND source_key NOT IN"
                                 " (SELECT id FROM temp.seen)",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, r->source_id);
        sqlite3_step(st);
        sqlite3_finalize(st);
    }
    if (!(st = cn_store_stmt(r->s, ST_SOURCE_TOUCH, err))) {
        rc = CAIRN_IO;
        goto fail;
    }
    sqlite3_bind_int64(st, 1, r->source_id);
    sqlite3_bind_int64(st, 2, cn_now_ms());
    sqlite3_step(st);
    return cn_store_commit(r->s, err);
fail:
    cn_store_rollback(r->s);
    return rc;
}

static cairn_rc ingest_source(cairn_store *s, const cairn_ingest_opts *o, const cairn_source *src,
                              cairn_ingest_stats *st, cairn_report *rep, cairn_err *err)
{
    run r = {.s = s, .o = o, .st = st, .rep = rep, .t0 = cn_mono_ns()};
    cairn_rc rc;
    cairn_err e;

    cn_map_init(&r.idx);
    size_t issues = cairn_report_count(rep);
    rc = o->paths ? cairn_plan_paths(src, o->paths, o->npaths, &r.plan, rep, &e) : CAIRN_AGAIN;
    if (rc == CAIRN_AGAIN) /* planned whole: no paths, or they cannot be planned alone */
        rc = cairn_plan_new(src, &r.plan, rep, &e);
    if (rc) {
        if (rc == CAIRN_NOMEM)
            return cn_err_set(err, rc, "%s", e.msg);
        /* a source that cannot be listed is an issue; its sessions are not marked gone */
        cairn_report_add(rep, rc, src->path, e.msg);
        return CAIRN_OK;
    }
    /* planned with no issue: every session the source holds was seen */
    bool seen_all = cairn_report_count(rep) == issues;
    st->sources_partial += cairn_plan_is_partial(r.plan);
    if ((rc = cn_store_source_id(s, src->agent, src->path, &r.source_id, err)) ||
        (rc = fingerprint(&r, err)) || (rc = load_known(&r, err)))
        goto out;
    uint32_t chunks = plan_chunks(&r);
    report_progress(&r, 0);
    for (uint32_t c = 1; c <= chunks && !rc; c++) {
        if (o->stop && *o->stop) {
            rc = cn_err_set(err, CAIRN_INTERRUPTED, "interrupted: %zu of %zu sessions indexed",
                            r.done, r.todo);
            goto out;
        }
        rc = read_chunk(&r, c, err);
    }
    if (!rc && seen_all)
        rc = mark_gone(&r, err);
out:
    st->sources++;
    cn_map_release(&r.idx);
    free(r.ss);
    free(r.item_sess);
    cairn_plan_free(r.plan);
    return rc;
}

cairn_rc cairn_store_ingest(cairn_store *s, const cairn_ingest_opts *o, cairn_ingest_stats *out,
                            cairn_report *rep, cairn_err *err)
{
    cairn_rc rc = CAIRN_OK;
    uint64_t t0 = cn_mono_ns();

    memset(out, 0, sizeof *out);
    if (s->readonly)
        return cn_err_set(err, CAIRN_PERM, "store '%s' is open read-only", s->path);
    if (o->paths && o->nsources != 1)
        return cn_err_set(err, CAIRN_INVAL, "changed paths name files of one source only");
    for (size_t i = 0; i < o->nsources && !rc; i++)
        rc = ingest_source(s, o, &o->sources[i], out, rep, err);
    if (!rc) {
        char sql[128];
        snprintf(sql, sizeof sql,
                 "INSERT OR REPLACE INTO meta(key, value) VALUES('last_ingest_ms', '%lld')",
                 (long long)cn_now_ms());
        rc = cn_store_exec(s, sql, err);
    }
    out->seconds = (double)(cn_mono_ns() - t0) / 1e9;
    return rc;
}
