/*
 * store/memsearch.c - full-text search over project memories (cairn/memory.h).
 *
 * Search ranks by FTS5's bm25 (weights key 2.0, value 1.0, metadata 0.5),
 * ties oldest row first, and scores every match of the project's live
 * memories: a common word, thousands.  bm25() reads each row's size with a
 * lookup statement of its own, 80% of its time; cairn_bm25 computes the very
 * same score (a test compares them on every match) from the size the query
 * joins from fts_memories_docsize.
 *
 * Three ways to the same answer, row for row (the unit tests compare them
 * with bm25() itself):
 * - In SQL alone (ST_MEMORY_SEARCH): each match is joined to `memories` for
 *   the project and live filter and to fts_memories_docsize for its size.
 * - With the live filter of store/memlive.c, when it is ready:
 *   cairn_live_bm25 finds both in memory and gives rows that are not live an
 *   infinite score; only the best rows are read from `memories`.
 * - With the filter, for a query of one phrase (one word, the usual case):
 *   cairn_live_best scores every match in one pass over the phrase's matches
 *   (FTS5's xQueryPhrase) instead of a statement step each, keeping the best
 *   in a heap.
 * The filter's check and the search run in one read transaction.
 * docs/BENCHMARKS.md ("MCP") has the measurements.
 */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "store/db.h"

static const double rank_weight[] = {2.0, 1.0, 0.5}; /* key, value, metadata_json */

/* What cairn_bm25 computes once per query: bm25's IDF of each phrase, the mean row size. */
typedef struct rank_query {
    int nphrase;
    double avgdl;
    double *idf, *freq; /* nphrase each; freq: the current row's weighted hits */
} rank_query;

static int count_row(const Fts5ExtensionApi *api, Fts5Context *fts, void *n)
{
    (void)api;
    (void)fts;
    ++*(sqlite3_int64 *)n;
    return SQLITE_OK;
}

/* The table's row count and mean row size in tokens. */
static int table_sizes(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_int64 *rows,
                       double *avgdl)
{
    sqlite3_int64 tokens = 0;
    int rc = api->xRowCount(fts, rows);
    if (!rc && !(rc = api->xColumnTotalSize(fts, -1, &tokens)))
        *avgdl = (double)tokens / (double)*rows;
    return rc;
}

/* bm25's IDF of a phrase in hits of rows, floored above zero as FTS5 does for words in
 * most rows. */
static double idf_of(sqlite3_int64 rows, sqlite3_int64 hits)
{
    double idf = log((rows - hits + 0.5) / (hits + 0.5));
    return idf > 0.0 ? idf : 1e-6;
}

/* The query's constants, kept as the cursor's auxdata (freed with it); NULL with *rc set. */
static rank_query *rank_query_new(const Fts5ExtensionApi *api, Fts5Context *fts, int *rc)
{
    int n = api->xPhraseCount(fts);
    sqlite3_int64 rows = 0;
    rank_query *q = sqlite3_malloc64(sizeof *q + 2 * (size_t)n * sizeof(double));
    if (!q) {
        *rc = SQLITE_NOMEM;
        return NULL;
    }
    q->nphrase = n;
    q->idf = (double *)(q + 1);
    q->freq = q->idf + n;
    if ((*rc = table_sizes(api, fts, &rows, &q->avgdl))) {
        sqlite3_free(q);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        sqlite3_int64 hits = 0;
        if ((*rc = api->xQueryPhrase(fts, i, &hits, count_row))) {
            sqlite3_free(q);
            return NULL;
        }
        q->idf[i] = idf_of(rows, hits);
    }
    /* on failure xSetAuxdata frees q itself */
    return (*rc = api->xSetAuxdata(fts, q, sqlite3_free)) ? NULL : q;
}

bool cn_memory_docsize(const void *blob, int n, int *size)
{
    const unsigned char *p = blob;
    int64_t sum = 0;
    int cols = 0;
    if (!p)
        return false;
    /* one SQLite varint per column: 7 bits a byte, most significant first, high bit set on
     * all but the last byte */
    for (int i = 0; i < n; cols++) {
        uint64_t v = 0;
        for (int len = 0;; len++) {
            if (i == n || len == 5)
                return false;
            v = v << 7 | (p[i] & 0x7f);
            if (!(p[i++] & 0x80))
                break;
        }
        sum += (int64_t)v;
    }
    if (cols != (int)(sizeof rank_weight / sizeof *rank_weight) || sum > INT_MAX)
        return false;
    *size = (int)sum;
    return true;
}

/* Phrase i's hits in the current row, weighted by column, walked one by one (xInst would
 * first build the row's array of every hit). */
static int phrase_freq(const Fts5ExtensionApi *api, Fts5Context *fts, int i, double *freq)
{
    Fts5PhraseIter it;
    int column, offset;
    int rc = api->xPhraseFirst(fts, i, &it, &column, &offset);
    *freq = 0.0;
    for (; rc == SQLITE_OK && column >= 0; api->xPhraseNext(fts, &it, &column, &offset))
        *freq +=
            column < (int)(sizeof rank_weight / sizeof *rank_weight) ? rank_weight[column] : 1.0;
    return rc;
}

/* One phrase's part of bm25 before its IDF -- the formula of the FTS5 documentation, k1 1.2,
 * b 0.75 -- from its weighted hits in a row of size tokens. */
static double term_score(double freq, int size, double avgdl)
{
    const double k1 = 1.2, b = 0.75;
    return (freq * (k1 + 1.0)) / (freq + k1 * (1 - b + b * (double)size / avgdl));
}

/* bm25 of the current row, negated so that better sorts first, given its size in tokens
 * (-1: look it up). */
static int bm25_row(const Fts5ExtensionApi *api, Fts5Context *fts, int size, double *score)
{
    int rc = SQLITE_OK;
    rank_query *q = api->xGetAuxdata(fts, 0);
    if (!q && !(q = rank_query_new(api, fts, &rc)))
        return rc;
    for (int i = 0; rc == SQLITE_OK && i < q->nphrase; i++)
        rc = phrase_freq(api, fts, i, &q->freq[i]);
    if (rc == SQLITE_OK && size < 0)
        rc = api->xColumnSize(fts, -1, &size);
    if (rc != SQLITE_OK)
        return rc;
    double sum = 0.0;
    for (int i = 0; i < q->nphrase; i++)
        sum += q->idf[i] * term_score(q->freq[i], size, q->avgdl);
    *score = -1.0 * sum;
    return SQLITE_OK;
}

/*
 * cairn_bm25(fts_memories, sz): bm25(fts_memories, 2.0, 1.0, 0.5) with the
 * row's size read from sz, its docsize blob, rather than looked up.  A NULL
 * or unreadable sz falls back to the lookup.
 */
static void rank(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int argc,
                 sqlite3_value **argv)
{
    int size = -1;
    double score;
    if (argc == 1)
        cn_memory_docsize(sqlite3_value_blob(argv[0]), sqlite3_value_bytes(argv[0]), &size);
    int rc = bm25_row(api, fts, size, &score);
    if (rc != SQLITE_OK)
        sqlite3_result_error_code(ctx, rc);
    else
        sqlite3_result_double(ctx, score);
}

/*
 * cairn_live_bm25(fts_memories): the same score, for a row the store's live
 * filter holds, with the size it holds; +infinity for any other row.
 */
static void live_rank(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
                      int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    const cairn_store *s = api->xUserData(fts);
    uint32_t len = cn_memlive_get(&s->live, api->xRowid(fts));
    double score;
    if (!len) {
        sqlite3_result_double(ctx, INFINITY);
        return;
    }
    int rc = bm25_row(api, fts, len == UINT32_MAX ? -1 : (int)(len - 1), &score);
    if (rc != SQLITE_OK)
        sqlite3_result_error_code(ctx, rc);
    else
        sqlite3_result_double(ctx, score);
}

/* A live match of a one-phrase query: its row and its score before the IDF. */
typedef struct match {
    int64_t rowid;
    double score;
} match;

typedef struct one_pass {
    const cn_memlive *live;
    double avgdl;
    sqlite3_int64 hits; /* every match, live or not: for the IDF */
    match *m;
    size_t n, cap;
} one_pass;

static int one_match(const Fts5ExtensionApi *api, Fts5Context *fts, void *arg)
{
    one_pass *p = arg;
    sqlite3_int64 rowid = api->xRowid(fts);
    uint32_t len = cn_memlive_get(p->live, rowid);
    int size = len == UINT32_MAX ? -1 : (int)len - 1, rc;
    double freq;
    p->hits++;
    if (!len)
        return SQLITE_OK;
    if ((rc = phrase_freq(api, fts, 0, &freq)) ||
        (size < 0 && (rc = api->xColumnSize(fts, -1, &size))))
        return rc;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 1024;
        match *m = sqlite3_realloc64(p->m, cap * sizeof *m);
        if (!m)
            return SQLITE_NOMEM;
        p->m = m;
        p->cap = cap;
    }
    p->m[p->n++] = (match){rowid, term_score(freq, size, p->avgdl)};
    return SQLITE_OK;
}

/* a ranks before b: the higher score, then the older row (cairn_bm25's order) */
static bool before(const match *a, const match *b)
{
    return a->score > b->score || (a->score == b->score && a->rowid < b->rowid);
}

/* Put x in the heap m[0..h) (the worst on top) whose top is free, sifting it down. */
static void sift_down(match *m, size_t h, match x)
{
    size_t j = 0;
    for (;;) {
        size_t c = 2 * j + 1; /* the worse of j's children */
        if (c >= h)
            break;
        if (c + 1 < h && before(&m[c], &m[c + 1]))
            c++;
        if (!before(&x, &m[c]))
            break;
        m[j] = m[c];
        j = c;
    }
    m[j] = x;
}

/* Keep the k best of m[0..n) in m[0..k), best first (k <= n): a heap of the k best so far
 * with the worst on top, then sorted. */
static size_t best_k(match *m, size_t n, size_t k)
{
    size_t h = 0;
    for (size_t i = 0; i < n; i++) {
        match x = m[i];
        if (h < k) { /* a free place: sift up from the end */
            size_t j = h++;
            for (; j > 0 && before(&m[(j - 1) / 2], &x); j = (j - 1) / 2)
                m[j] = m[(j - 1) / 2];
            m[j] = x;
        } else if (before(&x, &m[0])) { /* better than the worst kept: it takes its place */
            sift_down(m, h, x);
        }
    }
    for (size_t end = h; end > 1; end--) { /* heap sort: the worst goes last */
        match top = m[0];
        sift_down(m, end - 1, m[end - 1]);
        m[end - 1] = top;
    }
    return h;
}

/*
 * cairn_live_best(fts_memories, k), on the first match of a one-phrase query:
 * the row ids of its k best live matches, best first, as a blob of int64 --
 * cairn_live_bm25's order, in one pass over the phrase's matches instead of a
 * statement step per match.  The scores are the very same numbers: the IDF of
 * the phrase (from all its matches) times the same term score.  NULL when the
 * query has more than one phrase.
 */
static void live_best(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int argc,
                      sqlite3_value **argv)
{
    const cairn_store *s = api->xUserData(fts);
    sqlite3_int64 rows = 0, k = argc == 1 ? sqlite3_value_int64(argv[0]) : 0;
    one_pass p = {.live = &s->live};
    int rc;
    if (api->xPhraseCount(fts) != 1 || k <= 0) {
        sqlite3_result_null(ctx);
        return;
    }
    if ((rc = table_sizes(api, fts, &rows, &p.avgdl)) ||
        (rc = api->xQueryPhrase(fts, 0, &p, one_match))) {
        sqlite3_free(p.m);
        sqlite3_result_error_code(ctx, rc);
        return;
    }
    /* score = -(0.0 + idf * term score), as bm25_row sums it */
    double idf = idf_of(rows, p.hits);
    for (size_t i = 0; i < p.n; i++)
        p.m[i].score = 0.0 + idf * p.m[i].score;
    size_t n = best_k(p.m, p.n, (size_t)k < p.n ? (size_t)k : p.n);
    int64_t *ids = n ? sqlite3_malloc64(n * sizeof *ids) : NULL;
    for (size_t i = 0; ids && i < n; i++)
        ids[i] = p.m[i].rowid;
    sqlite3_free(p.m);
    if (n && !ids)
        sqlite3_result_error_nomem(ctx);
    else if (!n)
        sqlite3_result_zeroblob(ctx, 0);
    else
        sqlite3_result_blob64(ctx, ids, n * sizeof *ids, sqlite3_free);
}

/*
 * Register the ranking functions on the connection, once, before a search
 * statement is first prepared (FTS5 resolves its functions then).
 */
static cairn_rc rank_register(cairn_store *s, cairn_err *err)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st;
    if (s->ranking)
        return CAIRN_OK;
    if (sqlite3_prepare_v2(s->db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
        return cn_store_error(s, err, "cannot use full-text search");
    sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
    sqlite3_step(st);
    sqlite3_finalize(st);
    if (!api || api->iVersion < 2 ||
        api->xCreateFunction(api, "cairn_bm25", NULL, rank, NULL) != SQLITE_OK ||
        api->xCreateFunction(api, "cairn_live_bm25", s, live_rank, NULL) != SQLITE_OK ||
        api->xCreateFunction(api, "cairn_live_best", s, live_best, NULL) != SQLITE_OK)
        return cn_err_set(err, CAIRN_IO, "store '%s': cannot register the ranking functions",
                          s->path);
    s->ranking = true;
    return CAIRN_OK;
}

/* In SQL alone: the project and live filter and the sizes joined match by match. */
static cairn_rc search_sql(cairn_store *s, const char *project, const char *expr, size_t limit,
                           int64_t now, cairn_memories **out, cairn_err *err)
{
    sqlite3_stmt *st = cn_store_stmt(s, ST_MEMORY_SEARCH, err);
    if (!st)
        return CAIRN_IO;
    cn_memories_bind(st, project, expr, now);
    sqlite3_bind_int64(st, 3, (int64_t)limit);
    cairn_rc rc = cn_memories_collect(s, st, out, err);
    sqlite3_reset(st); /* the statement is kept: end its read, drop our strings */
    sqlite3_clear_bindings(st);
    return rc;
}

/*
 * The ids of the best live matches of a one-phrase query, in one pass
 * (cairn_live_best).  *done false when the function declined (the query has
 * more phrases after all).
 */
static cairn_rc best_one_pass(cairn_store *s, const char *expr, size_t limit, int64_t *ids,
                              size_t *n, bool *done, cairn_err *err)
{
    sqlite3_stmt *st = cn_store_cached(s,
                                       "SELECT cairn_live_best(fts_memories, ?2) FROM"
                                       " fts_memories WHERE fts_memories MATCH ?1 LIMIT 1",
                                       err);
    cairn_rc rc = CAIRN_OK;
    if (!st)
        return CAIRN_IO;
    sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)limit);
    int step = sqlite3_step(st);
    *n = 0;
    *done = step == SQLITE_DONE; /* no match at all */
    if (step == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB) {
        size_t bytes = (size_t)sqlite3_column_bytes(st, 0);
        *n = bytes / sizeof *ids <= limit ? bytes / sizeof *ids : limit;
        if (*n)
            memcpy(ids, sqlite3_column_blob(st, 0), *n * sizeof *ids);
        *done = true;
    } else if (step != SQLITE_ROW && step != SQLITE_DONE) {
        rc = cn_store_error(s, err, "cannot search memories");
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* The ids of the best live matches, a statement step per match (cairn_live_bm25). */
static cairn_rc best_per_match(cairn_store *s, const char *expr, size_t limit, int64_t *ids,
                               size_t *n, cairn_err *err)
{
    sqlite3_stmt *st =
        cn_store_cached(s,
                        "SELECT rowid, cairn_live_bm25(fts_memories) AS r FROM fts_memories WHERE"
                        " fts_memories MATCH ?1 ORDER BY r, rowid LIMIT ?2",
                        err);
    cairn_rc rc = CAIRN_OK;
    int step;
    if (!st)
        return CAIRN_IO;
    sqlite3_bind_text(st, 1, expr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, (int64_t)limit);
    /* the rows that are not live sort last, with an infinite score */
    *n = 0;
    while ((step = sqlite3_step(st)) == SQLITE_ROW && isfinite(sqlite3_column_double(st, 1)))
        ids[(*n)++] = sqlite3_column_int64(st, 0);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = cn_store_error(s, err, "cannot search memories");
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

/* With the live filter: the best rows' ids from the index alone, then those rows. */
static cairn_rc search_live(cairn_store *s, const char *expr, bool one_phrase, size_t limit,
                            cairn_memories **out, cairn_err *err)
{
    sqlite3_stmt *one =
        cn_store_cached(s, "SELECT " CN_MEMORY_COLS " FROM memories WHERE id = ?1", err);
    int64_t *ids = limit <= SIZE_MAX / sizeof *ids ? malloc(limit * sizeof *ids) : NULL;
    size_t n = 0;
    bool done = false;
    cairn_rc rc = CAIRN_OK;
    if (!one || !ids) {
        free(ids);
        return one ? cn_err_set(err, CAIRN_NOMEM, "out of memory") : CAIRN_IO;
    }
    if (one_phrase)
        rc = best_one_pass(s, expr, limit, ids, &n, &done, err);
    if (!rc && !done)
        rc = best_per_match(s, expr, limit, ids, &n, err);
    cairn_memories *m = rc ? NULL : cn_memories_new();
    if (!rc && !m)
        rc = cn_err_set(err, CAIRN_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < n; i++) {
        int step;
        sqlite3_bind_int64(one, 1, ids[i]);
        if ((step = sqlite3_step(one)) == SQLITE_ROW)
            rc = cn_memories_add(m, one, err);
        else if (step != SQLITE_DONE)
            rc = cn_store_error(s, err, "cannot read memories");
        sqlite3_reset(one);
    }
    free(ids);
    if (rc) {
        cairn_memories_free(m);
        return rc;
    }
    *out = m;
    return CAIRN_OK;
}

cairn_rc cairn_memory_search(cairn_store *s, const char *project, const cairn_query *q,
                             size_t limit, cairn_memories **out, cairn_err *err)
{
    cn_buf expr;
    cairn_rc rc;
    int64_t now = cn_now_ms();
    bool txn = false;
    *out = NULL;
    if ((rc = cn_memories_check(project, NULL, err)))
        return rc;
    limit = limit ? limit : 20;
    cn_buf_init(&expr, 1 << 16);
    if ((rc = cn_store_fts_expr(q, &expr))) {
        cn_buf_release(&expr);
        return cn_err_set(err, rc, "out of memory");
    }
    if ((rc = rank_register(s, err)))
        goto out;
    /* the filter's check and the search see one snapshot: a read transaction of their own,
     * unless the caller has one open */
    if (sqlite3_get_autocommit(s->db)) {
        if ((rc = cn_store_run(s, "BEGIN", err)))
            goto out;
        txn = true;
        /* rows that saves left out of the index go in first, if the write lock is free at
         * once (else the search does without them: store/memfts.c); asked in the search's
         * transaction, as one of its own would cost more than the question */
        if (!s->readonly && cn_memfts_waiting(s)) {
            cairn_err busy;
            cn_store_run(s, "COMMIT", NULL);
            cairn_memory_index(s, false, &busy);
            if ((rc = cn_store_run(s, "BEGIN", err))) {
                txn = false;
                goto out;
            }
        }
    }
    rc = cn_memlive_ready(s, project, now) ? search_live(s, expr.ptr, q->nterms == 1, limit, out, err)
               : search_sql(s, project, expr.ptr, limit, now, out, err);
out:
    if (txn)
        cn_store_run(s, "COMMIT", NULL); /* a read: nothing to lose */
    cn_buf_release(&expr);
    return rc;
}
