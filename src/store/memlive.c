/*
 * store/memlive.c - the live-memory filter of memory search (store/db.h).
 *
 * A search scores every full-text match of its words, and most of that time
 * went to asking SQL, match by match, whether the row is a live memory of the
 * project (a lookup in `memories`) and how long it is (a lookup in
 * fts_memories_docsize).  The filter answers both from memory: for one
 * project, an array indexed by row id holding each live row's size in
 * tokens plus one (0: not a live memory of the project).
 *
 * It is exact, never a guess.  The memories' version (schema migration 7:
 * memory_gen, bumped by triggers, and the largest row id) changes with every
 * change that can make a row live or not or change its text, from any
 * connection or process; the filter is used only in a read transaction that
 * sees the very version it was built at, and before the first expiry among
 * its rows.  It is built when two searches of the same project in a row see
 * the same version: a store whose memories keep changing between searches
 * (saves interleaved with searches) never pays for building it, and searches
 * as before, in SQL alone.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "store/db.h"

/* The most row ids a filter spans (4 bytes each): past it, search goes through SQL. */
#define CN_MEMLIVE_SPAN (1 << 20)

void cn_memlive_release(cn_memlive *f)
{
    free(f->project);
    free(f->len);
    memset(f, 0, sizeof *f);
}

uint32_t cn_memlive_get(const cn_memlive *f, int64_t rowid)
{
    if (rowid < f->base || rowid - f->base >= (int64_t)f->n)
        return 0;
    return f->len[rowid - f->base];
}

/* The version of the memories (schema migration 7): the generation number and the largest
 * row id.  false when the store has no generation (an older schema). */
static bool version(cairn_store *s, int64_t *gen, int64_t *top)
{
    sqlite3_stmt *st =
        cn_store_cached(s, "SELECT gen, (SELECT max(id) FROM memories) FROM memory_gen", NULL);
    bool ok = st && sqlite3_step(st) == SQLITE_ROW;
    if (ok) {
        *gen = sqlite3_column_int64(st, 0);
        *top = sqlite3_column_int64(st, 1);
    }
    if (st)
        sqlite3_reset(st);
    return ok;
}

typedef struct row {
    int64_t id, expires;
    uint32_t len;
} row;

/*
 * Read the project's live rows and their sizes into f (already holding the
 * project and version).  CAIRN_OK with f->built false when the rows span
 * more ids than CN_MEMLIVE_SPAN.
 */
static cairn_rc build(cairn_store *s, cn_memlive *f, int64_t now, cairn_err *err)
{
    sqlite3_stmt *st = cn_store_cached(
        s,
        "SELECT m.id, d.sz, m.expires_at FROM memories m LEFT JOIN fts_memories_docsize d"
        " ON d.id = m.id WHERE m.project_id = ?1 AND " CN_MEMORY_LIVE,
        err);
    row *rows = NULL;
    size_t n = 0, cap = 0;
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    cairn_rc rc = CAIRN_OK;
    int step;
    if (!st)
        return CAIRN_IO;
    sqlite3_bind_text(st, 1, f->project, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 9, now);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            row *r = realloc(rows, (cap = cap ? cap * 2 : 256) * sizeof *r);
            if (!r) {
                rc = cn_err_set(err, CAIRN_NOMEM, "out of memory");
                break;
            }
            rows = r;
        }
        int size;
        row *r = &rows[n++];
        r->id = sqlite3_column_int64(st, 0);
        r->expires = sqlite3_column_type(st, 2) == SQLITE_NULL ? INT64_MAX
                                                                : sqlite3_column_int64(st, 2);
        /* size + 1; UINT32_MAX: unknown, the scorer looks it up */
        r->len = cn_memory_docsize(sqlite3_column_blob(st, 1), sqlite3_column_bytes(st, 1), &size)
                     ? (uint32_t)size + 1
                     : UINT32_MAX;
        lo = r->id < lo ? r->id : lo;
        hi = r->id > hi ? r->id : hi;
    }
    if (!rc && step != SQLITE_DONE)
        rc = cn_store_error(s, err, "cannot read memories");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc || (n && hi - lo >= CN_MEMLIVE_SPAN)) {
        free(rows);
        return rc;
    }
    f->base = n ? lo : 0;
    f->n = n ? (size_t)(hi - lo + 1) : 0;
    f->until = INT64_MAX;
    if (n && !(f->len = calloc(f->n, sizeof *f->len))) {
        free(rows);
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        f->len[rows[i].id - lo] = rows[i].len;
        f->until = rows[i].expires < f->until ? rows[i].expires : f->until;
    }
    free(rows);
    f->built = true;
    return CAIRN_OK;
}

bool cn_memlive_ready(cairn_store *s, const char *project, int64_t now)
{
    cn_memlive *f = &s->live;
    int64_t gen, top;
    if (!version(s, &gen, &top))
        return false;
    bool same = f->project && !strcmp(f->project, project) && f->gen == gen && f->top == top;
    if (same && f->built && now < f->until)
        return true;
    if (same && f->too_big)
        return false;
    bool seen = same; /* this version of this project was searched before */
    cn_memlive_release(f);
    if (!(f->project = strdup(project)))
        return false;
    f->gen = gen;
    f->top = top;
    if (!seen)
        return false; /* search in SQL; build if the next search sees the same */
    /* a failed build leaves the search to SQL, which meets the same trouble, if any,
     * and reports it */
    if (build(s, f, now, NULL))
        cn_memlive_release(f);
    f->too_big = f->project && !f->built;
    return f->built;
}
