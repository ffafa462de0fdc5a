/*
 * bench/ingest.c - cairn_store_ingest end to end: the synthetic opencode G1
 * tree (bench/gen_opencode.h) into a fresh store, against a raw SQLite FTS5
 * insert loop over the same texts, in the same run.
 *
 * Steps: write the tree (or reuse it, see bench_oc_tree) -> ingest it into a
 * fresh store in <dir>/data and close the store (timed together: the close
 * checkpoints the WAL) -> ingest again (nothing changed: the no-op path) ->
 * sizes of the store by table (dbstat) -> read back the texts the store
 * indexed (parts.body, input, paths; not timed) -> the baselines, each into a
 * fresh database with the store's pragmas, one transaction, one prepared
 * INSERT, timed through commit and close:
 *   A  fts5(body), unicode61: every part's text (the plain raw loop);
 *   B  fts5(body, input, paths, content=''), unicode61: what cairn's
 *      fts_parts indexes, index only (cairn's table is external-content);
 *   T  the same with tokenize='trigram': the size a trigram index would add.
 * The tree is read once before the first ingest (not timed), so the page
 * cache holds it as far as memory allows; wall and CPU times are both shown
 * (the machine may be shared).
 *
 * Usage: bench/ingest [--dir DIR] [--keep] [--scale F] [--seed N]
 * Default: 2,000 sessions, 100,000 messages, 1,000,000 parts in a fresh
 * directory under $TMPDIR (or /tmp), removed at the end unless --keep; a
 * directory given with --dir is kept, and its tree reused when it matches.
 * Exit status 1 when the store does not hold exactly what was generated.
 */
#include <inttypes.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "bench.h"
#include "cairn/store.h"

#define TARGET_PARTS_PER_S 50000.0
#define TARGET_SIZE_RATIO 2.0
#define PRAGMAS                                                                                    \
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;"                \
    "PRAGMA cache_size=-65536"

typedef struct run {
    double ingest_s, close_s, cpu_s;
    uint64_t hwm_kb;
    cairn_ingest_stats st;
    size_t issues;
    char first_issue[512];
    int rc;
} run;

/* The texts the store indexed, one row per fts_parts row (len -1: NULL). */
typedef struct trow {
    uint64_t off;
    int32_t len[3];
} trow;

typedef struct texts {
    char *buf;
    size_t len, cap;
    trow *rows;
    size_t n, cap_rows;
    uint64_t bytes[3], nonnull[3];
} texts;

typedef struct fts_run {
    double insert_s, close_s, cpu_s;
    uint64_t rows, bytes;
    int64_t db_bytes;
} fts_run;

typedef struct sizes {
    int64_t file, fts_parts, parts, messages, other;
} sizes;

static const char *prog = "ingest";

/* ---- cairn ---- */

static int ingest(const char *data, const char *tree, run *r)
{
    cairn_source src = {.agent = CAIRN_AGENT_OPENCODE};
    cairn_ingest_opts o = {.sources = &src, .nsources = 1};
    cairn_report *rep = cairn_report_new();
    cairn_store *s = NULL;
    cairn_err err = {0};

    memset(r, 0, sizeof *r);
    snprintf(src.path, sizeof src.path, "%s", tree);
    double cpu0 = bench_cpu_s();
    uint64_t t0 = cn_mono_ns();
    if (!(r->rc = cairn_store_open(data, 0, &s, &err)))
        r->rc = cairn_store_ingest(s, &o, &r->st, rep, &err);
    uint64_t t1 = cn_mono_ns();
    cairn_store_close(s);
    uint64_t t2 = cn_mono_ns();
    r->ingest_s = bench_secs(t0, t1);
    r->close_s = bench_secs(t1, t2);
    r->cpu_s = bench_cpu_s() - cpu0;
    r->hwm_kb = bench_hwm_kb();
    r->issues = cairn_report_count(rep);
    if (r->rc)
        snprintf(r->first_issue, sizeof r->first_issue, "%s", err.msg);
    else if (r->issues)
        snprintf(r->first_issue, sizeof r->first_issue, "%s: %s", cairn_report_get(rep, 0)->where,
                 cairn_report_get(rep, 0)->what);
    cairn_report_free(rep);
    if (r->rc || r->issues)
        fprintf(stderr, "%s: ingest of %s: rc %d, %zu issues: %s\n", prog, tree, r->rc, r->issues,
                r->first_issue);
    return r->rc ? -1 : 0;
}

/* ---- raw SQLite ---- */

static int sql_fail(sqlite3 *db, const char *what)
{
    fprintf(stderr, "%s: %s: %s\n", prog, what, db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_close(db);
    return -1;
}

static int store_sizes(const char *dbpath, sizes *z)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st;
    memset(z, 0, sizeof *z);
    z->file = bench_file_bytes(dbpath);
    if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT name, sum(pgsize) FROM dbstat GROUP BY name", -1, &st,
                           NULL) != SQLITE_OK)
        return sql_fail(db, "dbstat");
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int64_t b = sqlite3_column_int64(st, 1);
        if (!strncmp(name, "fts_parts", 9))
            z->fts_parts += b;
        else if (!strncmp(name, "parts", 5))
            z->parts += b;
        else if (!strncmp(name, "messages", 8))
            z->messages += b;
        else
            z->other += b;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return 0;
}

static int texts_add(texts *t, sqlite3_stmt *st)
{
    if (t->n == t->cap_rows) {
        t->cap_rows = t->cap_rows ? t->cap_rows * 2 : 1 << 16;
        trow *r = realloc(t->rows, t->cap_rows * sizeof *r);
        if (!r)
            return -1;
        t->rows = r;
    }
    trow *r = &t->rows[t->n++];
    r->off = t->len;
    for (int c = 0; c < 3; c++) {
        const char *p = (const char *)sqlite3_column_text(st, c);
        size_t n = (size_t)sqlite3_column_bytes(st, c);
        r->len[c] = p ? (int32_t)n : -1;
        if (!p)
            continue;
        if (t->len + n + 1 > t->cap) {
            size_t cap = t->cap ? t->cap : 1 << 26;
            while (cap < t->len + n + 1)
                cap *= 2;
            char *b = realloc(t->buf, cap);
            if (!b)
                return -1;
            t->buf = b;
            t->cap = cap;
        }
        memcpy(t->buf + t->len, p, n);
        t->len += n;
        t->bytes[c] += n;
        t->nonnull[c]++;
    }
    return 0;
}

/* Every row cairn put into fts_parts, with the same three values. */
static int load_texts(const char *dbpath, texts *t)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st;
    if (sqlite3_open_v2(dbpath, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT body, input, paths FROM parts WHERE body IS NOT NULL OR"
                           " input IS NOT NULL OR paths IS NOT NULL ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(db, "cannot read the indexed texts");
    int rc = 0;
    while (!rc && sqlite3_step(st) == SQLITE_ROW)
        rc = texts_add(t, st);
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (rc)
        fprintf(stderr, "%s: out of memory loading the texts\n", prog);
    return rc;
}

static void rm_db(const char *path)
{
    char p[4300];
    remove(path);
    snprintf(p, sizeof p, "%s-wal", path);
    remove(p);
    snprintf(p, sizeof p, "%s-shm", path);
    remove(p);
}

/* One transaction of INSERTs into a fresh database; ncols 1 inserts the bodies only. */
static int build_fts(const char *path, const char *create, int ncols, const texts *t, fts_run *out)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    memset(out, 0, sizeof *out);
    rm_db(path);
    double cpu0 = bench_cpu_s();
    if (sqlite3_open(path, &db) != SQLITE_OK ||
        sqlite3_exec(db, PRAGMAS, NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_exec(db, create, NULL, NULL, NULL) != SQLITE_OK)
        return sql_fail(db, path);
    uint64_t t0 = cn_mono_ns();
    if (sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           ncols == 1 ? "INSERT INTO t(body) VALUES(?1)"
                                      : "INSERT INTO t(body, input, paths) VALUES(?1,?2,?3)",
                           -1, &st, NULL) != SQLITE_OK)
        return sql_fail(db, path);
    for (size_t i = 0; i < t->n; i++) {
        const trow *r = &t->rows[i];
        const char *p = t->buf + r->off;
        if (ncols == 1 && r->len[0] < 0)
            continue;
        for (int c = 0; c < ncols; c++) {
            if (r->len[c] < 0) {
                sqlite3_bind_null(st, c + 1);
                continue;
            }
            sqlite3_bind_text(st, c + 1, p, r->len[c], SQLITE_STATIC);
            out->bytes += (uint64_t)r->len[c];
            p += r->len[c];
        }
        if (sqlite3_step(st) != SQLITE_DONE) {
            sqlite3_finalize(st);
            return sql_fail(db, "insert");
        }
        sqlite3_reset(st);
        out->rows++;
    }
    sqlite3_finalize(st);
    if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        return sql_fail(db, "commit");
    uint64_t t1 = cn_mono_ns();
    sqlite3_close(db);
    uint64_t t2 = cn_mono_ns();
    out->insert_s = bench_secs(t0, t1);
    out->close_s = bench_secs(t1, t2);
    out->cpu_s = bench_cpu_s() - cpu0;
    out->db_bytes = bench_file_bytes(path);
    return 0;
}

/* ---- report ---- */

static double mb(double bytes)
{
    return bytes / 1e6;
}

static const char *fmt(char *buf, const char *f, double v)
{
    snprintf(buf, 48, f, v);
    return buf;
}

static void base_row(const char *label, double wall, double cpu, uint64_t rows, double bytes,
                     double c_wall, double c_cpu, uint64_t c_rows)
{
    char g[32];
    double rps = (double)rows / wall, c_rps = (double)c_rows / c_wall;
    double rpc = (double)rows / cpu, c_rpc = (double)c_rows / c_cpu;
    printf("  %-44s %8.2f %8.2f %10s %8.1f %10.2fx %9.2fx\n", label, wall, cpu,
           bench_grp((uint64_t)rps, g), mb(bytes) / wall, c_rps / rps, c_rpc / rpc);
}

static void report(const bench_oc *t, const run *r1, const run *r2, const sizes *z, const texts *tx,
                   const fts_run *a, const fts_run *b, const fts_run *tri)
{
    char v[48], g1[32], g2[32], g3[32], target[48];
    double cairn_s = r1->ingest_s + r1->close_s;
    double parts_ps = (double)r1->st.parts / cairn_s, rows_ps = (double)tx->n / cairn_s;
    double a_s = a->insert_s + a->close_s, b_s = b->insert_s + b->close_s;
    double tri_s = tri->insert_s + tri->close_s;
    double text = (double)(tx->bytes[0] + tx->bytes[1] + tx->bytes[2]);

    printf("corpus: opencode G1 tree, %s sessions, %s messages, %s parts (seed %" PRIu64 "); "
           "%.1f MB of JSON in %s files\n",
           bench_grp(t->c.sessions, g1), bench_grp(t->c.messages, g2), bench_grp(t->c.parts, g3),
           t->seed, mb((double)t->c.json_bytes), bench_grp(t->c.files, v));
    printf("indexed text (what fts_parts holds): %s rows; body %.1f MB, input %.1f MB, "
           "paths %.1f MB = %.1f MB\n\n",
           bench_grp(tx->n, g1), mb((double)tx->bytes[0]), mb((double)tx->bytes[1]),
           mb((double)tx->bytes[2]), mb(text));

    printf("cairn_store_ingest into a fresh store (wall clock, through cairn_store_close)\n");
    bench_rule();
    snprintf(v, sizeof v, "%.2f + %.2f", r1->ingest_s, r1->close_s);
    bench_row("first ingest + close, s", v, "", BENCH_NONE);
    bench_row("  CPU (user + sys), s", fmt(v, "%.2f", r1->cpu_s), "", BENCH_NONE);
    bench_row("parts/s (all parts written)", bench_grp((uint64_t)parts_ps, g1), "", BENCH_NONE);
    bench_row("fts_parts rows/s (parts with text)", bench_grp((uint64_t)rows_ps, g1), "",
              BENCH_NONE);
    bench_row("MB/s of JSON read", fmt(v, "%.1f", mb((double)r1->st.bytes) / cairn_s), "",
              BENCH_NONE);
    bench_row("MB/s of indexed text", fmt(v, "%.1f", mb(text) / cairn_s), "", BENCH_NONE);
    bench_row("peak RSS (VmHWM), MB", fmt(v, "%.1f", (double)r1->hwm_kb * 1024 / 1e6), "",
              BENCH_NONE);
    snprintf(v, sizeof v, "%.3f + %.3f", r2->ingest_s, r2->close_s);
    bench_row("second ingest (nothing changed) + close, s", v, "", BENCH_NONE);
    snprintf(v, sizeof v, "%zu of %zu", r2->st.sessions_changed, (size_t)t->c.sessions);
    bench_row("  sessions re-read by it", v, "0", r2->st.sessions_changed == 0);
    printf("\n");

    printf("raw SQLite FTS5 baselines over the same texts (one transaction, prepared INSERT, "
           "through close)\n");
    printf("  %-44s %8s %8s %10s %8s %11s %10s\n", "", "wall s", "CPU s", "rows/s", "MB/s",
           "cairn/base", "(by CPU)");
    base_row("cairn ingest (fts_parts rows; all the work)", cairn_s, r1->cpu_s, tx->n, text,
             cairn_s, r1->cpu_s, tx->n);
    base_row("A  fts5(body) unicode61, with content", a_s, a->cpu_s, a->rows, (double)a->bytes,
             cairn_s, r1->cpu_s, tx->n);
    base_row("B  fts5(body,input,paths) unicode61, index", b_s, b->cpu_s, b->rows, (double)b->bytes,
             cairn_s, r1->cpu_s, tx->n);
    base_row("T  fts5(body,input,paths) trigram, index", tri_s, tri->cpu_s, tri->rows,
             (double)tri->bytes, cairn_s, r1->cpu_s, tx->n);
    printf("  (cairn/base: cairn's fts_parts rows/s over the baseline's rows/s, by wall clock and "
           "by CPU time;\n   A holds the %s parts with a body)\n\n",
           bench_grp(a->rows, g1));

    printf("sizes (bytes; x = times the indexed text)\n");
    printf("  %-46s %14s %8s\n", "", "MB", "x text");
    printf("  %-46s %14.1f %7.2fx\n", "store file (cairn.db, after close)", mb((double)z->file),
           (double)z->file / text);
    printf("  %-46s %14.1f %7.2fx\n", "  fts_parts index (unicode61)", mb((double)z->fts_parts),
           (double)z->fts_parts / text);
    printf("  %-46s %14.1f %7.2fx\n", "  parts (text, rows, indexes)", mb((double)z->parts),
           (double)z->parts / text);
    printf("  %-46s %14.1f %7.2fx\n", "  messages", mb((double)z->messages),
           (double)z->messages / text);
    printf("  %-46s %14.1f %7.2fx\n", "  sessions, fts_sessions, projects, free",
           mb((double)z->other), (double)z->other / text);
    printf("  %-46s %14.1f %7.2fx\n", "baseline B db (unicode61 index alone)",
           mb((double)b->db_bytes), (double)b->db_bytes / text);
    printf("  %-46s %14.1f %7.2fx\n", "trigram index (baseline T db)", mb((double)tri->db_bytes),
           (double)tri->db_bytes / text);
    printf("  %-46s %14.1f %7.2fx\n\n", "store + trigram index",
           mb((double)(z->file + tri->db_bytes)), (double)(z->file + tri->db_bytes) / text);

    printf("targets\n");
    bench_rule();
    snprintf(target, sizeof target, ">= %s", bench_grp((uint64_t)TARGET_PARTS_PER_S, g1));
    bench_row("ingest, parts/s", bench_grp((uint64_t)parts_ps, g2), target,
              parts_ps >= TARGET_PARTS_PER_S);
    double ratio = (double)z->file / text;
    snprintf(target, sizeof target, "<= %.1fx", TARGET_SIZE_RATIO);
    bench_row("store size / indexed text (no trigram)", fmt(v, "%.2fx", ratio), target,
              ratio <= TARGET_SIZE_RATIO);
    bench_row("store + trigram / indexed text",
              fmt(v, "%.2fx", (double)(z->file + tri->db_bytes) / text), "(reported)", BENCH_NONE);
    bench_row("cairn rows/s / baseline A rows/s",
              fmt(v, "%.2fx", rows_ps / ((double)a->rows / a_s)), "(reported)", BENCH_NONE);
}

/* ---- main ---- */

static bool counts_ok(const run *r1, const run *r2, const bench_oc *t)
{
    bool ok = true;
    if (r1->rc || r1->issues || r1->st.sessions_new != t->c.sessions ||
        r1->st.messages != t->c.messages || r1->st.parts != t->c.parts) {
        fprintf(stderr,
                "%s: first ingest wrote %zu sessions, %zu messages, %zu parts; generated"
                " %" PRIu64 ", %" PRIu64 ", %" PRIu64 "\n",
                prog, r1->st.sessions_new, r1->st.messages, r1->st.parts, t->c.sessions,
                t->c.messages, t->c.parts);
        ok = false;
    }
    if (r2->rc || r2->issues || r2->st.sessions_unchanged != t->c.sessions || r2->st.parts) {
        fprintf(stderr,
                "%s: second ingest: %zu unchanged sessions of %" PRIu64 ", %zu parts "
                "rewritten\n",
                prog, r2->st.sessions_unchanged, t->c.sessions, r2->st.parts);
        ok = false;
    }
    return ok;
}

static void usage(void)
{
    fprintf(stderr, "usage: ingest [--dir DIR] [--keep] [--scale F] [--seed N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    char root[4096] = "", tree[4200], data[4200], store[4300], raw[4300], machine[512], load[64];
    const char *dir = NULL;
    bool keep = false;
    double scale = 1.0;
    bench_oc t = {.seed = 1};
    run r1, r2;
    sizes z;
    texts tx = {0};
    fts_run a, b, tri;
    int status = 2;

    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--dir") && v)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--scale") && v)
            scale = bench_num(prog, "--scale", argv[++i]);
        else if (!strcmp(argv[i], "--seed") && v)
            t.seed = (uint64_t)bench_num(prog, "--seed", argv[++i]);
        else if (!strcmp(argv[i], "--keep"))
            keep = true;
        else
            usage();
    }
    if (scale > 100)
        usage();
    bench_oc_scale(&t, scale);
    if (bench_root(prog, dir, root, sizeof root, &keep))
        return 2;
    snprintf(tree, sizeof tree, "%s/opencode", root);
    snprintf(data, sizeof data, "%s/data", root);
    snprintf(store, sizeof store, "%s/cairn.db", data);
    setvbuf(stdout, NULL, _IOLBF, 0); /* figures and progress lines in order */
    printf("bench/ingest  %s  SQLite %s\n", bench_machine(machine, sizeof machine),
           sqlite3_libversion());
    printf("at start: %s\n", bench_load(load, sizeof load));
    if (bench_oc_tree(tree, &t))
        goto out;
    if (t.gen_s > 0)
        fprintf(stderr, "%s: tree written in %.1f s\n", prog, t.gen_s);
    bench_rm_rf(data);
    uint64_t w0 = cn_mono_ns(), warm = bench_warm(tree);
    fprintf(stderr, "%s: read the tree once (%.0f MB, %.1f s) so that it is in the page cache\n",
            prog, mb((double)warm), bench_secs(w0, cn_mono_ns()));
    fprintf(stderr, "%s: ingesting %s into %s\n", prog, tree, data);
    if (ingest(data, tree, &r1) || ingest(data, tree, &r2))
        goto out;
    fprintf(stderr, "%s: ingest %.2f s + close %.2f s; no-op ingest %.3f s\n", prog, r1.ingest_s,
            r1.close_s, r2.ingest_s);
    if (store_sizes(store, &z) || load_texts(store, &tx))
        goto out;
    fprintf(stderr, "%s: baselines over %zu rows, %.1f MB\n", prog, tx.n, mb((double)tx.len));
    snprintf(raw, sizeof raw, "%s/raw-a.db", root);
    if (build_fts(raw,
                  "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='unicode61 "
                  "remove_diacritics 2')",
                  1, &tx, &a))
        goto out;
    rm_db(raw);
    snprintf(raw, sizeof raw, "%s/raw-b.db", root);
    if (build_fts(raw,
                  "CREATE VIRTUAL TABLE t USING fts5(body, input, paths, content='',"
                  " tokenize='unicode61 remove_diacritics 2')",
                  3, &tx, &b))
        goto out;
    rm_db(raw);
    snprintf(raw, sizeof raw, "%s/raw-trigram.db", root);
    if (build_fts(raw,
                  "CREATE VIRTUAL TABLE t USING fts5(body, input, paths, content='',"
                  " tokenize='trigram')",
                  3, &tx, &tri))
        goto out;
    rm_db(raw);
    report(&t, &r1, &r2, &z, &tx, &a, &b, &tri);
    printf("at end: %s\n", bench_load(load, sizeof load));
    status = counts_ok(&r1, &r2, &t) ? 0 : 1;
out:
    fflush(stdout);
    free(tx.buf);
    free(tx.rows);
    if (!keep)
        bench_rm_rf(root);
    else
        fprintf(stderr, "%s: kept %s (tree in opencode/, store in data/)\n", prog, root);
    return status;
}
