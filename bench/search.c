/*
 * bench/search.c - search latency: 1,000 queries through cairn_query_parse +
 * cairn_store_search on a store of the synthetic opencode history, against a
 * plain FTS5 MATCH ... ORDER BY rank LIMIT 20 on the same fts_parts, in the
 * same run.
 *
 * The store: --data-dir of an existing one (e.g. kept by bench/ingest --dir),
 * or the G1 tree generated and ingested here.  The queries come from the
 * index itself (fts5vocab over fts_parts: each term's document frequency) and
 * from the stored text (phrases of two adjacent words), with a fixed seed:
 *   rare      a term in 1-9 parts             common   a term in > 10% of parts
 *   mid       a term in between               rare+common, common+common (AND)
 *   phrase    "two words" as they appear       prefix   the first 3-5 letters and *
 *   filter    a mid or common term with --tool, --role, --type, --since or --project
 *   or/not    rare OR mid, common -mid
 * One unmeasured pass over all queries first (the page cache holds the
 * index), then one measured pass each: cairn, then the baseline, on its own
 * read-only connection.  The baseline gets the same FTS5 expression cairn
 * builds (every term quoted) but no filter, no cap, no snippet, no titles.
 *
 * Usage: bench/search [--data-dir DIR] [--dir DIR] [--keep] [--scale F] [--seed N]
 *        [--queries N]
 * Exit status 1 when a query fails or a rare term finds nothing.
 */
#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/clock.h"
#include "bench.h"
#include "cairn/store.h"

#define TARGET_P99_MS 10.0
#define SAMPLE 256       /* rare and mid terms kept (a uniform sample) */
#define COMMON_MAX 16384 /* common terms kept: all of them, normally */
#define LIMIT 20

enum {
    Q_RARE,
    Q_MID,
    Q_COMMON,
    Q_RARE_COMMON,
    Q_COMMON_COMMON,
    Q_PHRASE,
    Q_PREFIX,
    Q_FILTER,
    Q_ORNOT,
    Q_COUNT
};
static const char *const class_name[Q_COUNT] = {"rare term (< 10 parts)",
                                                "mid term",
                                                "common term (> 10% of parts)",
                                                "rare AND common",
                                                "common AND common",
                                                "\"two word\" phrase",
                                                "prefix*",
                                                "term + filter",
                                                "OR / NOT"};
/* share of the queries per class, in percent */
static const int class_pct[Q_COUNT] = {20, 10, 15, 15, 5, 10, 10, 10, 5};

typedef struct query {
    char text[160];
    int cls;
    const char *tool, *role, *type, *project;
    int64_t since_ms;
    double ms, base_ms, cpu_ms, base_cpu_ms; /* wall clock and this thread's CPU time */
    bool capped;
    size_t hits, base_hits;
} query;

typedef struct terms {
    char (*t)[64];
    size_t n, cap, seen;
} terms;

static const char *prog = "search";
static uint64_t rng_s;

static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static size_t below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- building the queries from the store ---- */

static int sql_fail(sqlite3 *db, const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", prog, what, sqlite3_errmsg(db));
    return -1;
}

static int64_t scalar(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Reservoir sampling: every term of the class has the same chance to be kept. */
static void keep(terms *c, const char *t, size_t n)
{
    if (n >= sizeof c->t[0])
        return;
    size_t k = c->seen++ < c->cap ? c->n++ : below(c->seen);
    if (k >= c->cap)
        return;
    memcpy(c->t[k], t, n);
    c->t[k][n] = '\0';
}

static int cmp_term(const void *a, const void *b)
{
    return strcmp(a, b);
}

static bool is_common(const terms *common, const char *t)
{
    return bsearch(t, common->t, common->n, sizeof common->t[0], cmp_term) != NULL;
}

static bool plain_ascii(const char *t, size_t n, size_t min)
{
    if (n < min)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((t[i] >= 'a' && t[i] <= 'z') || (t[i] >= '0' && t[i] <= '9')))
            return false;
    return true;
}

/* One pass over fts5vocab: terms by document frequency. */
static int sample_terms(sqlite3 *db, int64_t ndocs, terms cls[3])
{
    sqlite3_stmt *st;
    if (sqlite3_exec(db, "CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, fts_parts, row)",
                     NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT term, doc FROM temp.vocab", -1, &st, NULL) != SQLITE_OK)
        return sql_fail(db, "fts5vocab");
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        int64_t doc = sqlite3_column_int64(st, 1);
        if (!t || n < 2)
            continue;
        int k = doc < 10 ? 0 : doc * 10 > ndocs ? 2 : 1;
        keep(&cls[k], t, n);
    }
    sqlite3_finalize(st);
    qsort(cls[2].t, cls[2].n, sizeof cls[2].t[0], cmp_term);
    return 0;
}

static bool tok_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static bool letters(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')))
            return false;
    return n >= 3;
}

/*
 * Two adjacent tokens of 3+ ASCII letters separated by one space, from a
 * random stored body (a random pair of those it holds).
 */
static bool phrase(sqlite3_stmt *st, int64_t maxid, char *out, size_t n)
{
    for (int tries = 0; tries < 50; tries++) {
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, 1 + (int64_t)below((size_t)maxid));
        if (sqlite3_step(st) != SQLITE_ROW)
            continue;
        const char *p = (const char *)sqlite3_column_text(st, 0), *prev = NULL, *w = NULL;
        size_t prev_len = 0, w_len = 0, seen = 0;
        while (p && *p) {
            if (!tok_char((unsigned char)*p)) {
                p++;
                continue;
            }
            const char *s = p;
            while (tok_char((unsigned char)*p))
                p++;
            size_t l = (size_t)(p - s);
            if (prev && s == prev + prev_len + 1 && s[-1] == ' ' && letters(prev, prev_len) &&
                letters(s, l) && below(++seen) == 0)
                w = prev, w_len = (size_t)(p - prev);
            prev = s;
            prev_len = l;
        }
        if (w) {
            snprintf(out, n, "\"%.*s\"", (int)w_len, w);
            return true;
        }
    }
    return false;
}

/*
 * Common terms of one part (the first with rare, or a random one when rare
 * is NULL): pick one (rare given) or two of them into out after rare.
 */
static bool cooccur(sqlite3_stmt *st, const char *rare, int64_t maxid, const terms *common,
                    char *out, size_t n)
{
    char found[2][64], tok[64];
    for (int tries = 0; tries < 20; tries++) {
        size_t seen = 0, nf = 0;
        sqlite3_reset(st);
        if (rare) {
            char m[80];
            snprintf(m, sizeof m, "\"%s\"", rare);
            sqlite3_bind_text(st, 1, m, -1, SQLITE_TRANSIENT);
            sqlite3_bind_null(st, 2);
        } else {
            sqlite3_bind_null(st, 1);
            sqlite3_bind_int64(st, 2, 1 + (int64_t)below((size_t)maxid));
        }
        if (sqlite3_step(st) != SQLITE_ROW)
            return false;
        const char *p = (const char *)sqlite3_column_text(st, 0);
        while (p && *p) {
            if (!tok_char((unsigned char)*p)) {
                p++;
                continue;
            }
            size_t l = 0;
            bool ascii = true;
            while (tok_char((unsigned char)*p)) {
                ascii &= (unsigned char)*p < 0x80;
                if (l < sizeof tok - 1)
                    tok[l++] = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
                p++;
            }
            tok[l] = '\0';
            if (!ascii || l < 2 || !is_common(common, tok))
                continue;
            if (nf == 1 && !strcmp(found[0], tok))
                continue;
            if (nf < 2 && (rare || nf == 0 || below(2)))
                memcpy(found[nf++], tok, l + 1);
            else if (below(++seen + 2) == 0)
                memcpy(found[below(2)], tok, l + 1);
        }
        if (rare && nf >= 1) {
            snprintf(out, n, "%s %s", rare, found[below(nf)]);
            return true;
        }
        if (!rare && nf == 2 && strcmp(found[0], found[1])) {
            snprintf(out, n, "%s %s", found[0], found[1]);
            return true;
        }
        if (rare)
            return false;
    }
    return false;
}

static const char *pick(const terms *c)
{
    return c->n ? c->t[below(c->n)] : "function";
}

/* A prefix of a term of plain letters and digits (3-5 of them). */
static bool prefix_of(const terms *c, char *out, size_t n)
{
    for (int tries = 0; tries < 100; tries++) {
        const char *t = pick(c);
        size_t len = strlen(t);
        if (!plain_ascii(t, len, 5))
            continue;
        snprintf(out, n, "%.*s*", (int)(3 + below(3)), t);
        return true;
    }
    return false;
}

/* What the queries are made from. */
typedef struct qsrc {
    terms cls[3]; /* rare, mid, common */
    sqlite3_stmt *body, *doc;
    int64_t maxid, newest;
    char projects[8][128];
    int nproj;
} qsrc;

/* One of the filters of cairn search, at random. */
static void add_filter(const qsrc *c, query *x)
{
    static const char *const tools[] = {"bash", "read", "edit", "write", "task"};
    static const char *const roles[] = {"user", "assistant"};
    static const char *const types[] = {"text", "tool", "reasoning"};
    uint32_t k = (uint32_t)below(5);
    if (k == 0)
        x->tool = tools[below(5)];
    else if (k == 1)
        x->role = roles[below(2)];
    else if (k == 2)
        x->type = types[below(3)];
    else if (k == 3)
        x->since_ms = c->newest - (int64_t)(1 + below(30)) * 86400000;
    else
        x->project = c->nproj ? c->projects[below((size_t)c->nproj)] : NULL;
}

static void make_query(qsrc *c, query *x)
{
    char *t = x->text;
    size_t n = sizeof x->text;
    const terms *rare = &c->cls[0], *mid = &c->cls[1], *common = &c->cls[2];
    switch (x->cls) {
    case Q_RARE:
    case Q_MID:
    case Q_COMMON:
        snprintf(t, n, "%s", pick(&c->cls[x->cls]));
        break;
    case Q_RARE_COMMON:
        for (int tries = 0; tries < 20 && !t[0]; tries++)
            cooccur(c->doc, pick(rare), c->maxid, common, t, n);
        if (!t[0])
            snprintf(t, n, "%s %s", pick(rare), pick(common));
        break;
    case Q_COMMON_COMMON:
        if (!cooccur(c->doc, NULL, c->maxid, common, t, n))
            snprintf(t, n, "%s %s", pick(common), pick(common));
        break;
    case Q_PHRASE:
        if (!phrase(c->body, c->maxid, t, n))
            snprintf(t, n, "\"%s %s\"", pick(common), pick(common));
        break;
    case Q_PREFIX:
        if (!prefix_of(&c->cls[below(2) + 1], t, n))
            snprintf(t, n, "%s*", "fun");
        break;
    case Q_FILTER:
        snprintf(t, n, "%s", pick(&c->cls[1 + below(2)]));
        add_filter(c, x);
        break;
    default:
        if (below(2))
            snprintf(t, n, "%s OR %s", pick(rare), pick(mid));
        else
            snprintf(t, n, "%s -%s", pick(common), pick(mid));
        break;
    }
}

static int prepare_sources(sqlite3 *db, qsrc *c)
{
    sqlite3_stmt *st;
    c->maxid = scalar(db, "SELECT max(id) FROM parts");
    c->newest = scalar(db, "SELECT max(last_activity) FROM sessions");
    if (sqlite3_prepare_v2(db, "SELECT DISTINCT project_id FROM sessions LIMIT 8", -1, &st, NULL) ==
        SQLITE_OK) {
        while (sqlite3_step(st) == SQLITE_ROW && c->nproj < 8)
            snprintf(c->projects[c->nproj++], sizeof c->projects[0], "%s",
                     sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    if (sqlite3_prepare_v2(db,
                           "SELECT body FROM parts WHERE id >= ?1 AND body IS NOT NULL"
                           " ORDER BY id LIMIT 1",
                           -1, &c->body, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT coalesce(body, '') || ' ' || coalesce(input, '') || ' ' ||"
                           " coalesce(paths, '') FROM parts WHERE id = CASE WHEN ?1 IS NULL THEN"
                           " (SELECT min(id) FROM parts WHERE id >= ?2 AND body IS NOT NULL)"
                           " ELSE (SELECT rowid FROM fts_parts WHERE fts_parts MATCH ?1 LIMIT"
                           " 1) END",
                           -1, &c->doc, NULL) != SQLITE_OK)
        return sql_fail(db, "parts");
    return 0;
}

static int build_queries(const char *dbpath, query *q, size_t nq, uint64_t seed, size_t *counts)
{
    sqlite3 *db = NULL;
    qsrc c = {0};
    int rc = -1;

    rng_s = seed;
    for (int k = 0; k < 3; k++) {
        c.cls[k].cap = k == 2 ? COMMON_MAX : SAMPLE;
        c.cls[k].t = calloc(c.cls[k].cap, sizeof *c.cls[k].t);
    }
    if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sql_fail(db, dbpath);
        goto out;
    }
    int64_t ndocs = scalar(db, "SELECT count(*) FROM parts WHERE body IS NOT NULL OR input IS NOT"
                               " NULL OR paths IS NOT NULL");
    uint64_t t0 = cn_mono_ns();
    if (sample_terms(db, ndocs, c.cls) || prepare_sources(db, &c))
        goto out;
    fprintf(stderr, "%s: vocabulary read in %.1f s: %zu rare, %zu mid, %zu common terms\n", prog,
            bench_secs(t0, cn_mono_ns()), c.cls[0].seen, c.cls[1].seen, c.cls[2].seen);
    for (int k = 0; k < 3; k++)
        counts[k] = c.cls[k].seen;
    size_t i = 0;
    for (int cls = 0; cls < Q_COUNT; cls++) {
        size_t want = cls == Q_COUNT - 1 ? nq - i : nq * (size_t)class_pct[cls] / 100;
        for (size_t k = 0; k < want && i < nq; k++, i++) {
            memset(&q[i], 0, sizeof q[i]);
            q[i].cls = cls;
            make_query(&c, &q[i]);
        }
    }
    rc = 0;
out:
    sqlite3_finalize(c.body);
    sqlite3_finalize(c.doc);
    sqlite3_close(db);
    for (int k = 0; k < 3; k++)
        free(c.cls[k].t);
    return rc;
}

/* ---- running them ---- */

/* The FTS5 expression cairn builds (src/store/search.c): every term a quoted string. */
static void add_term(cn_buf *b, const cairn_term *t)
{
    cn_buf_addc(b, '"');
    for (size_t i = 0; i < t->text.len; i++) {
        if (t->text.ptr[i] == '"')
            cn_buf_addc(b, '"');
        cn_buf_addc(b, t->text.ptr[i]);
    }
    cn_buf_adds(b, t->prefix ? "\" *" : "\"");
}

static void fts_expr(const cairn_query *qy, cn_buf *b)
{
    bool first = true, in_or = false, any_neg = false;
    cn_buf_reset(b);
    for (size_t i = 0; i < qy->nterms; i++) {
        const cairn_term *t = &qy->terms[i];
        if (t->negated)
            continue;
        if (!in_or) {
            if (!first)
                cn_buf_adds(b, " AND ");
            cn_buf_addc(b, '(');
        }
        add_term(b, t);
        first = false;
        in_or = t->or_next;
        cn_buf_adds(b, in_or ? " OR " : ")");
    }
    for (size_t i = 0; i < qy->nterms; i++) {
        if (!qy->terms[i].negated)
            continue;
        cn_buf_adds(b, any_neg ? " OR " : " NOT (");
        add_term(b, &qy->terms[i]);
        any_neg = true;
    }
    if (any_neg)
        cn_buf_addc(b, ')');
}

static int run_cairn(cairn_store *s, query *q, size_t nq, bool measure)
{
    for (size_t i = 0; i < nq; i++) {
        query *x = &q[i];
        cairn_query qy;
        cairn_hits *h = NULL;
        cairn_err err = {0};
        uint64_t c0 = cpu_ns(), t0 = cn_mono_ns();
        cairn_search_opts o = {.query = &qy,
                               .tool = x->tool,
                               .role = x->role,
                               .type = x->type,
                               .project = x->project,
                               .since_ms = x->since_ms,
                               .limit = LIMIT};
        if (cairn_query_parse(x->text, &qy, &err) || cairn_store_search(s, &o, &h, &err)) {
            fprintf(stderr, "%s: query '%s': %s\n", prog, x->text, err.msg);
            return -1;
        }
        uint64_t t1 = cn_mono_ns(), c1 = cpu_ns();
        if (measure) {
            x->ms = (double)(t1 - t0) / 1e6;
            x->cpu_ms = (double)(c1 - c0) / 1e6;
            x->capped = h->capped;
            x->hits = h->n;
        }
        cairn_hits_free(h);
    }
    return 0;
}

static int run_baseline(const char *dbpath, query *q, size_t nq, bool measure)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    cn_buf expr;
    int rc = -1;
    cn_buf_init(&expr, 1 << 16);
    if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT rowid FROM fts_parts WHERE fts_parts MATCH ?1 ORDER BY"
                           " rank LIMIT 20",
                           -1, &st, NULL) != SQLITE_OK) {
        sql_fail(db, "baseline");
        goto out;
    }
    for (size_t i = 0; i < nq; i++) {
        query *x = &q[i];
        cairn_query qy;
        size_t n = 0;
        int step;
        uint64_t c0 = cpu_ns(), t0 = cn_mono_ns();
        if (cairn_query_parse(x->text, &qy, NULL))
            goto out;
        fts_expr(&qy, &expr);
        sqlite3_bind_text(st, 1, cn_buf_cstr(&expr), -1, SQLITE_STATIC);
        while ((step = sqlite3_step(st)) == SQLITE_ROW)
            n++;
        sqlite3_reset(st);
        uint64_t t1 = cn_mono_ns(), c1 = cpu_ns();
        if (step != SQLITE_DONE) {
            sql_fail(db, x->text);
            goto out;
        }
        if (measure) {
            x->base_ms = (double)(t1 - t0) / 1e6;
            x->base_cpu_ms = (double)(c1 - c0) / 1e6;
            x->base_hits = n;
        }
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    cn_buf_release(&expr);
    return rc;
}

/* ---- report ---- */

typedef struct stats {
    size_t n, capped, empty, base_empty;
    double p50, p90, p99, max, c50, c99;    /* cairn: wall, CPU */
    double b50, b90, b99, bmax, bc50, bc99; /* baseline */
} stats;

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sort v[0..n) and read p50, p90, p99, max into out[0..4). */
static void pcts(double *v, size_t n, double out[4])
{
    qsort(v, n, sizeof *v, cmp_d);
    out[0] = bench_pct(v, n, 0.50);
    out[1] = bench_pct(v, n, 0.90);
    out[2] = bench_pct(v, n, 0.99);
    out[3] = n ? v[n - 1] : 0;
}

static stats summarize(const query *q, size_t nq, int cls)
{
    stats s = {0};
    double *v[4], r[4][4];
    for (int k = 0; k < 4; k++)
        v[k] = malloc((nq + 1) * sizeof *v[k]);
    for (size_t i = 0; i < nq; i++) {
        if (cls >= 0 && q[i].cls != cls)
            continue;
        v[0][s.n] = q[i].ms;
        v[1][s.n] = q[i].cpu_ms;
        v[2][s.n] = q[i].base_ms;
        v[3][s.n++] = q[i].base_cpu_ms;
        s.capped += q[i].capped;
        s.empty += q[i].hits == 0;
        s.base_empty += q[i].base_hits == 0;
    }
    for (int k = 0; k < 4; k++) {
        pcts(v[k], s.n, r[k]);
        free(v[k]);
    }
    s.p50 = r[0][0], s.p90 = r[0][1], s.p99 = r[0][2], s.max = r[0][3];
    s.c50 = r[1][0], s.c99 = r[1][2];
    s.b50 = r[2][0], s.b90 = r[2][1], s.b99 = r[2][2], s.bmax = r[2][3];
    s.bc50 = r[3][0], s.bc99 = r[3][2];
    return s;
}

static void report(const query *q, size_t nq)
{
    char v[48], target[48];
    stats cs[Q_COUNT + 1];
    for (int c = 0; c <= Q_COUNT; c++)
        cs[c] = summarize(q, nq, c < Q_COUNT ? c : -1);
    printf("cairn_query_parse + cairn_store_search, limit %d: latency in ms, one query at a time\n",
           LIMIT);
    printf("  %-30s %5s %7s %7s %7s %7s | %7s %7s | %6s %5s\n", "class", "n", "p50", "p90", "p99",
           "max", "CPU p50", "CPU p99", "capped", "empty");
    for (int c = 0; c <= Q_COUNT; c++)
        printf("  %-30s %5zu %7.2f %7.2f %7.2f %7.2f | %7.2f %7.2f | %6zu %5zu\n",
               c < Q_COUNT ? class_name[c] : "all queries", cs[c].n, cs[c].p50, cs[c].p90,
               cs[c].p99, cs[c].max, cs[c].c50, cs[c].c99, cs[c].capped, cs[c].empty);
    printf("\nbaseline: SELECT rowid FROM fts_parts WHERE fts_parts MATCH ? ORDER BY rank LIMIT 20"
           "\n(the same FTS5 expression; no filter, no cap, no snippet, no title search)\n");
    printf("  %-30s %5s %7s %7s %7s %7s | %7s %7s | %6s %5s\n", "class", "n", "p50", "p90", "p99",
           "max", "CPU p50", "CPU p99", "", "empty");
    for (int c = 0; c <= Q_COUNT; c++)
        printf("  %-30s %5zu %7.2f %7.2f %7.2f %7.2f | %7.2f %7.2f | %6s %5zu\n",
               c < Q_COUNT ? class_name[c] : "all queries", cs[c].n, cs[c].b50, cs[c].b90,
               cs[c].b99, cs[c].bmax, cs[c].bc50, cs[c].bc99, "", cs[c].base_empty);
    const stats *all = &cs[Q_COUNT];
    printf("\ntargets (wall clock; CPU time is this thread's, what an idle machine would show)\n");
    bench_rule();
    snprintf(target, sizeof target, "<= %.0f ms", TARGET_P99_MS);
    snprintf(v, sizeof v, "%.2f ms", all->p99);
    bench_row("p99 latency, all queries", v, target, all->p99 <= TARGET_P99_MS);
    snprintf(v, sizeof v, "%.2f ms", all->c99);
    bench_row("p99 CPU time, all queries", v, target, all->c99 <= TARGET_P99_MS);
    snprintf(v, sizeof v, "%.2f ms", all->p50);
    bench_row("p50 latency", v, "", BENCH_NONE);
    snprintf(v, sizeof v, "%.2f ms", all->max);
    bench_row("max latency", v, "", BENCH_NONE);
    snprintf(v, sizeof v, "%zu of %zu", all->capped, all->n);
    bench_row("queries capped (> 5,000 candidates)", v, "", BENCH_NONE);
    snprintf(v, sizeof v, "%zu of %zu", all->empty, all->n);
    bench_row("queries with no hit", v, "", BENCH_NONE);
    snprintf(v, sizeof v, "%.2fx", all->p50 / all->b50);
    bench_row("cairn p50 / baseline p50", v, "(reported)", BENCH_NONE);
    snprintf(v, sizeof v, "%.2fx", all->p99 / all->b99);
    bench_row("cairn p99 / baseline p99", v, "(reported)", BENCH_NONE);
}

/* ---- main ---- */

static int make_store(const char *root, double scale, uint64_t seed, char *data, size_t n)
{
    char tree[4200];
    bench_oc t = {.seed = seed};
    cairn_source src = {.agent = CAIRN_AGENT_OPENCODE};
    cairn_ingest_opts o = {.sources = &src, .nsources = 1};
    cairn_ingest_stats st;
    cairn_store *s = NULL;
    cairn_err err = {0};
    cairn_report *rep = cairn_report_new();

    bench_oc_scale(&t, scale);
    snprintf(tree, sizeof tree, "%s/opencode", root);
    snprintf(data, n, "%s/data", root);
    snprintf(src.path, sizeof src.path, "%s", tree);
    if (bench_oc_tree(tree, &t))
        return -1;
    uint64_t t0 = cn_mono_ns();
    cairn_rc rc = cairn_store_open(data, 0, &s, &err);
    if (!rc)
        rc = cairn_store_ingest(s, &o, &st, rep, &err);
    cairn_store_close(s);
    fprintf(stderr, "%s: ingest of %u parts: %.1f s (%zu new, %zu changed sessions), %zu issues\n",
            prog, t.parts, bench_secs(t0, cn_mono_ns()), st.sessions_new, st.sessions_changed,
            cairn_report_count(rep));
    cairn_report_free(rep);
    if (rc)
        fprintf(stderr, "%s: ingest: %s\n", prog, err.msg);
    return rc ? -1 : 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: search [--data-dir DIR] [--dir DIR] [--keep] [--scale F] [--seed N]"
                    " [--queries N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    char root[4096] = "", data[4300] = "", machine[512], load[64], g[32];
    const char *data_dir = NULL, *dir = NULL;
    bool keep = false, made = false;
    double scale = 1.0;
    uint64_t seed = 1;
    size_t nq = 1000, counts[3] = {0, 0, 0};
    int status = 2;
    cairn_store *s = NULL;
    cairn_err err = {0};
    query *q = NULL;

    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--data-dir") && v)
            data_dir = argv[++i];
        else if (!strcmp(argv[i], "--dir") && v)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--scale") && v)
            scale = bench_num(prog, "--scale", argv[++i]);
        else if (!strcmp(argv[i], "--seed") && v)
            seed = (uint64_t)bench_num(prog, "--seed", argv[++i]);
        else if (!strcmp(argv[i], "--queries") && v)
            nq = (size_t)bench_num(prog, "--queries", argv[++i]);
        else if (!strcmp(argv[i], "--keep"))
            keep = true;
        else
            usage();
    }
    setvbuf(stdout, NULL, _IOLBF, 0); /* figures and progress lines in order */
    printf("bench/search  %s  SQLite %s\n", bench_machine(machine, sizeof machine),
           sqlite3_libversion());
    printf("at start: %s\n", bench_load(load, sizeof load));
    if (data_dir) {
        snprintf(data, sizeof data, "%s", data_dir);
    } else {
        if (dir)
            snprintf(root, sizeof root, "%s", dir);
        else if (bench_tmpdir(prog, root, sizeof root))
            return 2;
        made = !dir;
        if (bench_mkdirs(root) || make_store(root, scale, seed, data, sizeof data))
            goto out;
    }
    if (cairn_store_open(data, CAIRN_STORE_READONLY, &s, &err)) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        goto out;
    }
    const char *dbpath = cairn_store_path(s);
    q = calloc(nq, sizeof *q);
    if (!q || build_queries(dbpath, q, nq, seed, counts))
        goto out;
    cairn_store_stats stt;
    if (cairn_store_stats_get(s, &stt, &err) == CAIRN_OK) {
        printf("store: %s, %.1f MB, %s sessions, %s parts\n", dbpath, (double)stt.db_bytes / 1e6,
               bench_grp((uint64_t)stt.sessions, machine), bench_grp((uint64_t)stt.parts, g));
        cairn_store_stats_release(&stt);
    }
    printf("vocabulary: %s terms in < 10 parts, %s in between, %s in > 10%% of parts\n",
           bench_grp(counts[0], machine), bench_grp(counts[1], g), bench_grp(counts[2], load));
    printf("queries: %zu, seed %" PRIu64 "; one unmeasured pass, then cairn, then the baseline\n\n",
           nq, seed);
    fprintf(stderr, "%s: warm-up pass\n", prog);
    if (run_cairn(s, q, nq, false) || run_baseline(dbpath, q, nq, false))
        goto out;
    fprintf(stderr, "%s: measured passes\n", prog);
    if (run_cairn(s, q, nq, true) || run_baseline(dbpath, q, nq, true))
        goto out;
    report(q, nq);
    printf("at end: %s\n", bench_load(load, sizeof load));
    status = 0;
    for (size_t i = 0; i < nq; i++)
        if (q[i].cls == Q_RARE && !q[i].hits) {
            fprintf(stderr, "%s: rare term '%s' found nothing\n", prog, q[i].text);
            status = 1;
        }
out:
    fflush(stdout);
    cairn_store_close(s);
    free(q);
    if (made && !keep)
        bench_rm_rf(root);
    else if (root[0])
        fprintf(stderr, "%s: kept %s\n", prog, root);
    return status;
}
