/*
 * store/search.c - full-text search over parts and session titles (FTS5, BM25).
 *
 * The parsed query (cairn/search.h) becomes an FTS5 expression in which every
 * term is a quoted string, so punctuation in identifiers and paths is never
 * FTS5 syntax.  Candidates are read newest-first (rowid order, which FTS5
 * walks natively) and capped at CANDIDATES, then ranked by BM25: a very
 * common term costs at most CANDIDATES scorings, not one per match.
 * Column weights: body 1.0 (what was said), input 0.5 (tool arguments are
 * long JSON, so one hit in them says less), paths 2.0 (a file path named by a
 * tool call or patch is a strong, short signal), tool 1.0 (the tool's name).  docs/SEARCH.md has the
 * reasoning and measurements.
 */
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/err.h"
#include "store/db.h"

#define CANDIDATES 1000
#define WEIGHTS "1.0, 0.5, 2.0, 1.0"

struct cn_hits_priv {
    cn_arena arena;
};

static void add_term(cn_buf *q, const cairn_term *t, const char *expanded)
{
    if (expanded) { /* a prefix replaced by the words it stands for */
        cn_buf_adds(q, expanded);
        return;
    }
    cn_buf_addc(q, '"');
    for (size_t i = 0; i < t->text.len; i++) {
        if (t->text.ptr[i] == '"')
            cn_buf_addc(q, '"');
        cn_buf_addc(q, t->text.ptr[i]);
    }
    cn_buf_adds(q, t->prefix ? "\" *" : "\"");
}

/* (a OR b) AND c ... NOT (x OR y) */
cairn_rc cn_store_fts_expr(const cairn_query *qy, cn_buf *q)
{
    return cn_store_fts_expr_expanded(qy, NULL, q);
}

cairn_rc cn_store_fts_expr_expanded(const cairn_query *qy, char *const *expanded, cn_buf *q)
{
    bool first = true, in_or = false, any_neg = false;
    for (size_t i = 0; i < qy->nterms; i++) {
        const cairn_term *t = &qy->terms[i];
        if (t->negated)
            continue;
        if (!in_or) {
            if (!first)
                cn_buf_adds(q, " AND ");
            cn_buf_addc(q, '(');
        }
        add_term(q, t, expanded ? expanded[i] : NULL);
        first = false;
        in_or = t->or_next;
        cn_buf_adds(q, in_or ? " OR " : ")");
    }
    for (size_t i = 0; i < qy->nterms; i++) {
        if (!qy->terms[i].negated)
            continue;
        cn_buf_adds(q, any_neg ? " OR " : " NOT (");
        add_term(q, &qy->terms[i], expanded ? expanded[i] : NULL);
        any_neg = true;
    }
    if (any_neg)
        cn_buf_addc(q, ')');
    return q->ptr ? CAIRN_OK : CAIRN_NOMEM;
}

static void filters(cn_buf *sql, const cairn_search_opts *o, bool parts)
{
    if (o->project)
        cn_buf_adds(sql, " AND (s.project_id = :project OR instr(s.directory, :project) > 0)");
    if (o->agent || o->tool_id)
        cn_buf_adds(sql, " AND s.tool_id = :agent");
    if (o->session)
        cn_buf_adds(sql, " AND s.session_id = :session");
    if (o->since_ms)
        cn_buf_adds(sql, parts ? " AND coalesce(m.time_created, p.time_start) >= :since"
                               : " AND s.last_activity >= :since");
    if (o->until_ms)
        cn_buf_adds(sql, parts ? " AND coalesce(m.time_created, p.time_start) < :until"
                               : " AND s.created_at < :until");
    if (!parts)
        return;
    if (o->role)
        cn_buf_adds(sql, " AND m.role = :role");
    if (o->tool)
        cn_buf_adds(sql, " AND p.tool = :tool COLLATE NOCASE"); /* bash: Bash too */
    if (o->type)
        cn_buf_adds(sql, " AND p.type = :type");
}

static void bind_named(sqlite3_stmt *st, const char *name, const char *v)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i && v)
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void bind_filters(sqlite3_stmt *st, const cairn_search_opts *o, const char *expr,
                         size_t limit)
{
    bind_named(st, ":q", expr);
    bind_named(st, ":project", o->project);
    bind_named(st, ":agent", o->agent ? cairn_agent_name(o->agent) : o->tool_id);
    bind_named(st, ":session", o->session);
    bind_named(st, ":role", o->role);
    bind_named(st, ":tool", o->tool);
    bind_named(st, ":type", o->type);
    int i;
    if ((i = sqlite3_bind_parameter_index(st, ":since")))
        sqlite3_bind_int64(st, i, o->since_ms);
    if ((i = sqlite3_bind_parameter_index(st, ":until")))
        sqlite3_bind_int64(st, i, o->until_ms);
    if ((i = sqlite3_bind_parameter_index(st, ":limit")))
        sqlite3_bind_int64(st, i, (int64_t)limit);
    if ((i = sqlite3_bind_parameter_index(st, ":cap")))
        sqlite3_bind_int64(st, i, CANDIDATES);
}

static const char *hit_str(cairn_hits *h, sqlite3_stmt *st, int col)
{
    const char *t = (const char *)sqlite3_column_text(st, col);
    if (!t)
        return NULL;
    return cn_arena_cstr(&h->priv->arena, t, (size_t)sqlite3_column_bytes(st, col));
}

/* With filters the candidates are joined to what the filters test; without, the
 * newest matches are read from the index alone (the common, fast case). */
static const char PART_SQL[] =
    "WITH c AS (SELECT f.rowid AS rid, bm25(fts_parts, " WEIGHTS ") AS score"
    " FROM fts_parts f %s WHERE fts_parts MATCH :q%s ORDER BY f.rowid DESC LIMIT :cap)"
    " SELECT c.score, s.tool_id, s.project_id, s.directory, s.session_id, s.title,"
    " m.message_id, p.part_id, p.type, m.role, p.tool, coalesce(m.time_created, p.time_start),"
    " c.rid, (SELECT count(*) FROM c) FROM c JOIN parts p ON p.id = c.rid"
    " JOIN sessions s ON s.id = p.session_rowid LEFT JOIN messages m ON m.id = p.message_rowid"
    " ORDER BY c.score LIMIT :limit";

static const char TITLE_SQL[] =
    "SELECT bm25(fts_sessions, 3.0, 1.0), s.tool_id, s.project_id, s.directory, s.session_id,"
    " s.title, NULL, NULL, 'title', NULL, NULL, s.last_activity, s.id, 0,"
    " highlight(fts_sessions, 0, char(1), char(2))"
    " FROM fts_sessions f JOIN sessions s ON s.id = f.rowid WHERE fts_sessions MATCH :q%s"
    " ORDER BY bm25(fts_sessions, 3.0, 1.0) LIMIT :limit";

static cairn_rc run_query(cairn_store *s, cairn_hits *h, const char *tmpl, bool parts,
                          const cairn_search_opts *o, const char *expr, size_t limit,
                          cairn_err *err)
{
    cn_buf where, sql;
    sqlite3_stmt *st = NULL, *snip = NULL;
    cairn_rc rc = CAIRN_OK;
    int64_t *rowids = parts ? malloc(limit * sizeof *rowids) : NULL;
    size_t nrow = 0, first = h->n;

    cn_buf_init(&where, 4096);
    cn_buf_init(&sql, 1 << 20);
    if (parts && !rowids) {
        cn_buf_release(&where);
        cn_buf_release(&sql);
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    }
    filters(&where, o, parts);
    if (parts)
        cn_buf_addf(&sql, tmpl,
                    where.len ? "JOIN parts p ON p.id = f.rowid JOIN sessions s ON s.id ="
                                " p.session_rowid LEFT JOIN messages m ON m.id = p.message_rowid"
                              : "",
                    cn_buf_cstr(&where));
    else
        cn_buf_addf(&sql, tmpl, cn_buf_cstr(&where));
    if (sqlite3_prepare_v2(s->db, sql.ptr, -1, &st, NULL) != SQLITE_OK) {
        rc = cn_store_error(s, err, "cannot search");
        goto out;
    }
    bind_filters(st, o, expr, limit);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        cairn_hit *x = &h->items[h->n++];
        x->score = sqlite3_column_double(st, 0);
        x->agent = hit_str(h, st, 1);
        x->project_id = hit_str(h, st, 2);
        x->directory = hit_str(h, st, 3);
        x->session_id = hit_str(h, st, 4);
        x->session_title = hit_str(h, st, 5);
        x->message_id = hit_str(h, st, 6);
        x->part_id = hit_str(h, st, 7);
        x->part_type = hit_str(h, st, 8);
        x->role = hit_str(h, st, 9);
        x->tool = hit_str(h, st, 10);
        x->time_ms = sqlite3_column_int64(st, 11);
        if (sqlite3_column_int64(st, 13) >= CANDIDATES)
            h->capped = true;
        if (!parts) {
            x->snippet = hit_str(h, st, 14);
            continue;
        }
        rowids[nrow++] = sqlite3_column_int64(st, 12);
    }
    if (step != SQLITE_DONE) {
        rc = cn_store_error(s, err, "search failed");
        goto out;
    }
    /* every snippet in one more query: each MATCH evaluation is the costly part */
    if (nrow) {
        cn_buf_reset(&sql);
        cn_buf_adds(&sql, "SELECT rowid, snippet(fts_parts, -1, char(1), char(2), '…', 24) FROM"
                          " fts_parts WHERE fts_parts MATCH ?1 AND rowid IN (");
        for (size_t k = 0; k < nrow; k++)
            cn_buf_addf(&sql, "%s%lld", k ? "," : "", (long long)rowids[k]);
        cn_buf_addc(&sql, ')');
        if (sqlite3_prepare_v2(s->db, sql.ptr, -1, &snip, NULL) != SQLITE_OK) {
            rc = cn_store_error(s, err, "cannot search");
            goto out;
        }
        sqlite3_bind_text(snip, 1, expr, -1, SQLITE_STATIC);
        while (sqlite3_step(snip) == SQLITE_ROW)
            for (size_t k = 0; k < nrow; k++)
                if (rowids[k] == sqlite3_column_int64(snip, 0))
                    h->items[first + k].snippet = hit_str(h, snip, 1);
    }
out:
    free(rowids);
    sqlite3_finalize(st);
    sqlite3_finalize(snip);
    cn_buf_release(&where);
    cn_buf_release(&sql);
    return rc;
}

static int by_score(const void *a, const void *b)
{
    const cairn_hit *x = a, *y = b;
    return x->score < y->score ? -1 : x->score > y->score;
}

/*
 * A prefix term ("han*") makes FTS5 merge the doclists of every word with the
 * prefix before it returns anything, however few rows are wanted.  A prefix of
 * one word is replaced by its completions as an OR of whole words (read from
 * the index's vocabulary), which FTS5 walks lazily, newest first: at most
 * MAX_COMPLETIONS, the most frequent ones, and then the search says it was
 * capped.
 */
#define MAX_COMPLETIONS 48

static char *expand_prefix(cairn_store *s, const cairn_term *t, bool *narrowed)
{
    char lo[256], hi[256];
    sqlite3_stmt *st;
    cn_buf b;
    size_t n = 0;
    if (!t->prefix || t->text.len < 1 || t->text.len >= sizeof lo)
        return NULL;
    for (size_t i = 0; i < t->text.len; i++) {
        unsigned char c = (unsigned char)t->text.ptr[i];
        if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
            return NULL; /* several words, or not ASCII: FTS5 does it */
        lo[i] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
    }
    lo[t->text.len] = '\0';
    memcpy(hi, lo, t->text.len + 1);
    hi[t->text.len - 1]++;
    if (sqlite3_exec(s->db, "CREATE VIRTUAL TABLE IF NOT EXISTS temp.cn_vocab USING"
                            " fts5vocab(main, fts_parts, 'row')",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(s->db, "SELECT term FROM temp.cn_vocab WHERE term >= ?1 AND term < ?2"
                                  " ORDER BY doc DESC LIMIT ?3",
                           -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text(st, 1, lo, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hi, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, MAX_COMPLETIONS + 1);
    cn_buf_init(&b, 1 << 16);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == MAX_COMPLETIONS) {
            *narrowed = true;
            break;
        }
        cn_buf_adds(&b, n++ ? " OR \"" : "(\"");
        cn_buf_adds(&b, (const char *)sqlite3_column_text(st, 0)); /* index words: no quotes */
        cn_buf_addc(&b, '"');
    }
    sqlite3_finalize(st);
    if (!n) { /* no word has the prefix: it matches nothing, as FTS5 would say */
        cn_buf_release(&b);
        return strdup("\"\"");
    }
    cn_buf_addc(&b, ')');
    return cn_buf_detach(&b, NULL);
}

cairn_rc cairn_store_search(cairn_store *s, const cairn_search_opts *o, cairn_hits **out,
                            cairn_err *err)
{
    size_t limit = o->limit ? o->limit : 20;
    cairn_hits *h;
    cn_buf expr;
    cairn_rc rc;

    *out = NULL;
    if (limit > 10000)
        return cn_err_set(err, CAIRN_RANGE, "limit %zu is over 10000", limit);
    h = calloc(1, sizeof *h);
    if (!h || !(h->priv = calloc(1, sizeof *h->priv)) ||
        !(h->items = calloc(limit * 2, sizeof *h->items))) {
        cairn_hits_free(h);
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    }
    cn_arena_init(&h->priv->arena, 64 << 10, 0);
    cn_buf_init(&expr, 1 << 20);
    char *expanded[CAIRN_QUERY_MAX_TERMS] = {NULL};
    bool narrowed = false;
    for (size_t i = 0; i < o->query->nterms; i++)
        expanded[i] = expand_prefix(s, &o->query->terms[i], &narrowed);
    rc = cn_store_fts_expr_expanded(o->query, expanded, &expr);
    for (size_t i = 0; i < o->query->nterms; i++)
        free(expanded[i]);
    if (rc)
        goto out;
    h->capped = narrowed;
    rc = run_query(s, h, PART_SQL, true, o, expr.ptr, limit, err);
    if (!rc && !o->role && !o->tool && !o->type)
        rc = run_query(s, h, TITLE_SQL, false, o, expr.ptr, limit, err);
    if (!rc) {
        qsort(h->items, h->n, sizeof *h->items, by_score);
        if (h->n > limit)
            h->n = limit;
    }
out:
    cn_buf_release(&expr);
    if (rc) {
        cairn_hits_free(h);
        return rc;
    }
    *out = h;
    return CAIRN_OK;
}

void cairn_hits_free(cairn_hits *h)
{
    if (!h)
        return;
    if (h->priv)
        cn_arena_release(&h->priv->arena);
    free(h->priv);
    free(h->items);
    free(h);
}
