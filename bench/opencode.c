/*
 * bench/opencode.c - the opencode reader: plan, resolve and hydrate of a
 * synthetic history, once as the G1 JSON tree and once as the G2 database.
 *
 * The history (bench/gen_opencode*.c) is written to <dir>/g1 and <dir>/g2 by
 * two processes at once, and described in <dir>/manifest so that a kept
 * directory is reused by later runs with the same parameters.  Every
 * measured run is a fresh process (fork + exec of this program with
 * --child), so its peak RSS (ru_maxrss, VmHWM) is the pipeline's alone:
 * one warm-up run per generation, then the best of --runs runs for each
 * stage.  Times are wall-clock; CPU seconds (user + system) are shown too,
 * with the machine's CPU pressure (/proc/pressure/cpu), since other work on
 * a shared machine inflates wall time.  Each run's storage reads
 * (/proc/self/io read_bytes) show whether the page cache was really warm.
 * MB are 10^6 bytes.
 *
 * Usage: bench/opencode [--dir DIR] [--keep] [--scale F] [--sessions N]
 *        [--messages N] [--parts N] [--seed N] [--runs N] [--gen-only]
 * Defaults: 2,000 sessions, 100,000 messages, 1,000,000 parts, a fresh
 * directory under $TMPDIR (or /tmp) removed at the end unless --keep; a
 * directory given with --dir is kept.
 * Exit status 1 when a loaded batch does not hold exactly the generated
 * counts or the reader reported an issue; missed targets only print MISS.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "bench.h"
#include "cairn/source.h"
#include "gen_opencode.h"
#include "source/batch.h"
#include "source/pipeline.h"

extern char **environ;

#define TARGET_PLAN_S 1.5
#define TARGET_MBPS 300.0
#define TARGET_PARTS_PER_S 150000.0
#define TARGET_RSS_RATIO 2.0

typedef struct result {
    double plan_s, resolve_s, hydrate_s, total_s;
    double plan_cpu, resolve_cpu, hydrate_cpu; /* user + system seconds */
    uint64_t items, units, resolved_bytes, batch_bytes;
    uint64_t arena_bytes, record_bytes, unit_bytes, res_arena_bytes; /* what batch_bytes holds */
    uint64_t projects, sessions, messages, parts, todos, issues;
    uint64_t maxrss_kb, hwm_kb;
    uint64_t disk_read_bytes; /* /proc/self/io read_bytes: 0 when the cache was warm */
    int rc;
    char msg[512];
} result;

typedef struct manifest {
    uint64_t seed;
    uint32_t sessions, messages, parts;
    oc_gen_counts g1, g2;
} manifest;

static const char *self_exe;

static double mb(uint64_t bytes)
{
    return (double)bytes / 1e6;
}

/* ---- the measured child ---- */

/* The number after "key" in a /proc file such as /proc/self/status, or 0. */
static uint64_t proc_value(const char *path, const char *key)
{
    char line[256];
    uint64_t v = 0;
    size_t n = strlen(key);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, key, n))
            v = strtoull(line + n, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

/* The "some avg60" figure of /proc/pressure/cpu: % of time tasks waited for a CPU. */
static double cpu_pressure(void)
{
    double v = -1;
    FILE *f = fopen("/proc/pressure/cpu", "r");
    if (f && fscanf(f, "some avg10=%*f avg60=%lf", &v) != 1)
        v = -1;
    if (f)
        fclose(f);
    return v;
}

/* What the batch's bytes are made of (internal headers: a benchmark may look inside). */
static void breakdown(const cairn_batch *b, result *r)
{
    const cairn_resolved *res = b->priv->res;
    r->arena_bytes = cn_arena_used(&b->priv->arena);
    r->record_bytes = b->nprojects * sizeof *b->projects + b->nsessions * sizeof *b->sessions +
                      b->nmessages * sizeof *b->messages + b->nparts * sizeof *b->parts +
                      b->ntodos * sizeof *b->todos;
    r->unit_bytes = res->cap * sizeof *res->units;
    r->res_arena_bytes = cn_arena_used(&res->arena);
}

static int child_main(const char *dir, int fd)
{
    result r = {0};
    cairn_source src = {.agent = CAIRN_AGENT_OPENCODE};
    cairn_report *rep = cairn_report_new();
    cairn_err err = {0};
    cairn_plan *plan = NULL;
    cairn_resolved *res = NULL;
    cairn_batch *b = NULL;
    struct rusage ru;

    snprintf(src.path, sizeof src.path, "%s", dir);
    double c0 = bench_cpu_s();
    uint64_t t0 = cn_mono_ns();
    if ((r.rc = cairn_plan_new(&src, &plan, rep, &err)))
        goto out;
    uint64_t t1 = cn_mono_ns();
    double c1 = bench_cpu_s();
    r.items = cairn_plan_count(plan);
    if ((r.rc = cairn_resolve(plan, &res, rep, &err)))
        goto out;
    uint64_t t2 = cn_mono_ns();
    double c2 = bench_cpu_s();
    r.units = res->n;
    r.resolved_bytes = cairn_resolved_bytes(res);
    cairn_plan_free(plan); /* as cairn_source_load does: counted in the total only */
    plan = NULL;
    double c3 = bench_cpu_s();
    uint64_t t3 = cn_mono_ns();
    if ((r.rc = cairn_hydrate_take(res, &b, rep, &err)))
        goto out;
    uint64_t t4 = cn_mono_ns();
    r.hydrate_cpu = bench_cpu_s() - c3;
    r.plan_cpu = c1 - c0;
    r.resolve_cpu = c2 - c1;
    r.plan_s = (double)(t1 - t0) / 1e9;
    r.resolve_s = (double)(t2 - t1) / 1e9;
    r.hydrate_s = (double)(t4 - t3) / 1e9;
    r.total_s = (double)(t4 - t0) / 1e9;
    r.batch_bytes = b->bytes;
    r.projects = b->nprojects;
    r.sessions = b->nsessions;
    r.messages = b->nmessages;
    r.parts = b->nparts;
    r.todos = b->ntodos;
    breakdown(b, &r);
out:
    getrusage(RUSAGE_SELF, &ru);
    r.maxrss_kb = (uint64_t)ru.ru_maxrss;
    r.hwm_kb = proc_value("/proc/self/status", "VmHWM:");
    r.disk_read_bytes = proc_value("/proc/self/io", "read_bytes:");
    r.issues = cairn_report_count(rep);
    if (r.rc)
        snprintf(r.msg, sizeof r.msg, "%s", err.msg);
    else if (r.issues) {
        const cairn_issue *is = cairn_report_get(rep, 0);
        snprintf(r.msg, sizeof r.msg, "%s: %s", is->where, is->what);
    }
    cairn_batch_free(b);
    cairn_plan_free(plan);
    cairn_report_free(rep);
    return write(fd, &r, sizeof r) == (ssize_t)sizeof r ? 0 : 1;
}

/* Run the pipeline on dir in a fresh process. */
static int run_child(const char *dir, result *r)
{
    int p[2], status;
    char fdnum[16];
    if (pipe(p))
        return -1;
    snprintf(fdnum, sizeof fdnum, "%d", p[1]);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        execl(self_exe, "opencode", "--child", dir, fdnum, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    ssize_t n = pid > 0 ? read(p[0], r, sizeof *r) : -1;
    close(p[0]);
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || n != (ssize_t)sizeof *r ||
        !WIFEXITED(status) || WEXITSTATUS(status)) {
        fprintf(stderr, "opencode: the measuring process for %s failed\n", dir);
        return -1;
    }
    return 0;
}

/* ---- the data dir ---- */

static void write_manifest(const char *dir, const manifest *m)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "cairn bench/opencode data v1\nseed %" PRIu64 "\nsessions %u\nmessages %u\n"
            "parts %u\n", m->seed, m->sessions, m->messages, m->parts);
    const oc_gen_counts *c[2] = {&m->g1, &m->g2};
    for (int k = 0; k < 2; k++)
        fprintf(f, "g%d %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
                " %" PRIu64 " %" PRIu64 " %" PRIu64 " %.3f\n", k + 1, c[k]->projects,
                c[k]->sessions, c[k]->messages, c[k]->parts, c[k]->todos, c[k]->files,
                c[k]->json_bytes, c[k]->tool_parts, c[k]->big_parts, c[k]->seconds);
    fclose(f);
}

/* True when dir holds data generated with the parameters of want. */
static bool read_manifest(const char *dir, manifest *want)
{
    char path[4200], line[512];
    manifest m = {0};
    int ok = 0;
    snprintf(path, sizeof path, "%s/manifest", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    while (fgets(line, sizeof line, f)) {
        int k;
        oc_gen_counts c = {0};
        ok += sscanf(line, "seed %" SCNu64, &m.seed) == 1;
        ok += sscanf(line, "sessions %u", &m.sessions) == 1;
        ok += sscanf(line, "messages %u", &m.messages) == 1;
        ok += sscanf(line, "parts %u", &m.parts) == 1;
        if (sscanf(line, "g%d %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %"
                   SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %lf", &k, &c.projects,
                   &c.sessions, &c.messages, &c.parts, &c.todos, &c.files, &c.json_bytes,
                   &c.tool_parts, &c.big_parts, &c.seconds) == 11 && (k == 1 || k == 2)) {
            *(k == 1 ? &m.g1 : &m.g2) = c;
            ok++;
        }
    }
    fclose(f);
    if (ok != 6 || m.seed != want->seed || m.sessions != want->sessions ||
        m.messages != want->messages || m.parts != want->parts)
        return false;
    *want = m;
    return true;
}

static void sub(char *out, size_t n, const char *dir, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

/* Write <dir>/g1 (a child process) and <dir>/g2 (this one) at once. */
static int generate(const char *dir, manifest *m)
{
    char g1[4200], g2[4200];
    struct statvfs vfs;
    double need = (double)m->parts * 10000.0; /* measured: G1 ~6.4 KB/part on disk, G2 ~3.2 KB */
    if (statvfs(dir, &vfs) == 0 && (double)vfs.f_bavail * (double)vfs.f_frsize < need) {
        fprintf(stderr, "opencode: %s has %.1f GB free, the data needs about %.1f GB\n", dir,
                (double)vfs.f_bavail * (double)vfs.f_frsize / 1e9, need / 1e9);
        return -1;
    }
    sub(g1, sizeof g1, dir, "g1");
    sub(g2, sizeof g2, dir, "g2");
    if (bench_rm_rf(g1) || bench_rm_rf(g2) || mkdir(g1, 0755) || mkdir(g2, 0755)) {
        fprintf(stderr, "opencode: cannot prepare %s: %s\n", dir, strerror(errno));
        return -1;
    }
    fprintf(stderr, "opencode: generating %u sessions, %u messages, %u parts into %s\n",
            m->sessions, m->messages, m->parts, dir);
    oc_gen_opts o = {.dir = g1, .seed = m->seed, .sessions = m->sessions,
                     .messages = m->messages, .parts = m->parts, .progress = true};
    int p[2], status;
    if (pipe(p))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        oc_gen(&o, &m->g1);
        _exit(write(p[1], &m->g1, sizeof m->g1) == (ssize_t)sizeof m->g1 ? 0 : 1);
    }
    close(p[1]);
    o.dir = g2;
    o.g2 = true;
    oc_gen(&o, &m->g2);
    ssize_t n = pid > 0 ? read(p[0], &m->g1, sizeof m->g1) : -1;
    close(p[0]);
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || n != (ssize_t)sizeof m->g1 ||
        !WIFEXITED(status) || WEXITSTATUS(status)) {
        fprintf(stderr, "opencode: generating the G1 tree failed\n");
        return -1;
    }
    for (int k = 0; k < 2; k++) {
        const oc_gen_counts *c = k ? &m->g2 : &m->g1;
        if (c->sessions != m->sessions || c->messages != m->messages || c->parts != m->parts ||
            c->todos != m->g1.todos || c->projects != m->g1.projects) {
            fprintf(stderr, "opencode: the generator wrote other counts than asked (G%d)\n", k + 1);
            return -1;
        }
    }
    write_manifest(dir, m);
    return 0;
}

/* ---- measuring and reporting ---- */

/* One warm-up run, then the best of runs for each stage (peak RSS: the largest seen). */
static int measure(const char *dir, int runs, result *best, result *warm, double pressure[2])
{
    pressure[0] = cpu_pressure();
    if (run_child(dir, warm))
        return -1;
    *best = *warm;
    best->maxrss_kb = best->hwm_kb = 0;
    for (int i = 0; i < runs; i++) {
        result r;
        if (run_child(dir, &r))
            return -1;
        fprintf(stderr, "  %s run %d: plan %.3f s, resolve %.3f s, hydrate %.3f s, total %.3f s "
                "(read from disk %.1f MB, cpu pressure %.0f%%)\n", dir, i + 1, r.plan_s,
                r.resolve_s, r.hydrate_s, r.total_s, mb(r.disk_read_bytes), cpu_pressure());
        best->plan_s = i ? fmin(best->plan_s, r.plan_s) : r.plan_s;
        best->resolve_s = i ? fmin(best->resolve_s, r.resolve_s) : r.resolve_s;
        best->hydrate_s = i ? fmin(best->hydrate_s, r.hydrate_s) : r.hydrate_s;
        best->total_s = i ? fmin(best->total_s, r.total_s) : r.total_s;
        best->plan_cpu = i ? fmin(best->plan_cpu, r.plan_cpu) : r.plan_cpu;
        best->resolve_cpu = i ? fmin(best->resolve_cpu, r.resolve_cpu) : r.resolve_cpu;
        best->hydrate_cpu = i ? fmin(best->hydrate_cpu, r.hydrate_cpu) : r.hydrate_cpu;
        best->maxrss_kb = r.maxrss_kb > best->maxrss_kb ? r.maxrss_kb : best->maxrss_kb;
        best->hwm_kb = r.hwm_kb > best->hwm_kb ? r.hwm_kb : best->hwm_kb;
        best->disk_read_bytes = i ? best->disk_read_bytes + r.disk_read_bytes : r.disk_read_bytes;
        if (r.rc || r.issues) {
            *best = r;
            break;
        }
    }
    pressure[1] = cpu_pressure();
    return 0;
}

static bool counts_ok(const result *r, const oc_gen_counts *c)
{
    return !r->rc && !r->issues && r->projects == c->projects && r->sessions == c->sessions &&
           r->messages == c->messages && r->parts == c->parts && r->todos == c->todos;
}

static void row2(const char *label, const char *a, const char *b)
{
    printf("  %-34s %20s %20s\n", label, a, b);
}

static void rowf(const char *label, const char *fmt, double a, double b)
{
    char x[32], y[32];
    snprintf(x, sizeof x, fmt, a);
    snprintf(y, sizeof y, fmt, b);
    row2(label, x, y);
}

static void rowu(const char *label, uint64_t a, uint64_t b)
{
    char x[32], y[32];
    row2(label, bench_grp(a, x), bench_grp(b, y));
}

static const char *verdict(bool pass)
{
    return pass ? "PASS" : "MISS";
}

static void target(const char *label, const char *fmt, double a, bool pa, double b, bool pb,
                   bool has_b)
{
    char x[40], y[40], v[24];
    snprintf(v, sizeof v, fmt, a);
    snprintf(x, sizeof x, "%s %s", v, verdict(pa));
    snprintf(v, sizeof v, fmt, b);
    snprintf(y, sizeof y, "%s %s", v, has_b ? verdict(pb) : "    ");
    row2(label, x, y);
}

static void report(const manifest *m, const result r[2], const result w[2], int runs,
                   double pressure[2][2])
{
    char x[32], y[32], z[32];
    double mbps[2], pps[2], ratio[2];
    for (int k = 0; k < 2; k++) {
        mbps[k] = mb(r[k].resolved_bytes) / r[k].hydrate_s;
        pps[k] = (double)r[k].parts / r[k].hydrate_s;
        ratio[k] = (double)r[k].maxrss_kb * 1024.0 / (double)r[k].batch_bytes;
    }
    printf("opencode reader: %s sessions, %s messages, %s parts, %" PRIu64 " projects, %" PRIu64
           " todos (seed %" PRIu64 ")\n", bench_grp(m->sessions, x), bench_grp(m->messages, y),
           bench_grp(m->parts, z), m->g1.projects, m->g1.todos, m->seed);
    printf("warm page cache; each run a fresh process; one warm-up run, then the best of %d "
           "per stage\n", runs);
    printf("cpu pressure (/proc/pressure/cpu some avg60) before/after: G1 %.0f%%/%.0f%%, G2 "
           "%.0f%%/%.0f%% (0%% = the machine was ours)\n\n", pressure[0][0], pressure[0][1],
           pressure[1][0], pressure[1][1]);
    row2("", "G1 JSON tree", "G2 SQLite db");
    rowf("first (warm-up) run total, s", "%.3f", w[0].total_s, w[1].total_s);
    rowf("plan, s", "%.3f", r[0].plan_s, r[1].plan_s);
    rowf("resolve, s", "%.3f", r[0].resolve_s, r[1].resolve_s);
    rowf("hydrate, s", "%.3f", r[0].hydrate_s, r[1].hydrate_s);
    rowf("total (plan..hydrate), s", "%.3f", r[0].total_s, r[1].total_s);
    rowf("plan, cpu s (user+sys)", "%.3f", r[0].plan_cpu, r[1].plan_cpu);
    rowf("resolve, cpu s", "%.3f", r[0].resolve_cpu, r[1].resolve_cpu);
    rowf("hydrate, cpu s", "%.3f", r[0].hydrate_cpu, r[1].hydrate_cpu);
    rowu("planned items", r[0].items, r[1].items);
    rowu("resolved units (files / rows)", r[0].units, r[1].units);
    rowf("JSON resolved, MB", "%.1f", mb(r[0].resolved_bytes), mb(r[1].resolved_bytes));
    rowf("hydrate, MB/s of JSON", "%.1f", mbps[0], mbps[1]);
    rowf("hydrate, parts/s", "%.0f", pps[0], pps[1]);
    rowf("hydrate, MB/s per cpu s", "%.1f", mb(r[0].resolved_bytes) / r[0].hydrate_cpu,
         mb(r[1].resolved_bytes) / r[1].hydrate_cpu);
    rowf("batch->bytes, MB", "%.1f", mb(r[0].batch_bytes), mb(r[1].batch_bytes));
    rowf("  records, MB", "%.1f", mb(r[0].record_bytes), mb(r[1].record_bytes));
    rowf("  unescaped strings etc. (arena), MB", "%.1f",
         mb(r[0].arena_bytes - r[0].record_bytes), mb(r[1].arena_bytes - r[1].record_bytes));
    rowf("  resolved JSON, MB", "%.1f", mb(r[0].resolved_bytes), mb(r[1].resolved_bytes));
    rowf("  unit table (capacity), MB", "%.1f", mb(r[0].unit_bytes), mb(r[1].unit_bytes));
    rowf("resolve arena not counted, MB", "%.1f",
         mb(r[0].res_arena_bytes - r[0].resolved_bytes),
         mb(r[1].res_arena_bytes - r[1].resolved_bytes));
    rowf("read from disk in the measured runs, MB", "%.1f", mb(r[0].disk_read_bytes),
         mb(r[1].disk_read_bytes));
    rowf("peak RSS ru_maxrss, MB", "%.1f", (double)r[0].maxrss_kb * 1024 / 1e6,
         (double)r[1].maxrss_kb * 1024 / 1e6);
    rowf("peak RSS VmHWM, MB", "%.1f", (double)r[0].hwm_kb * 1024 / 1e6,
         (double)r[1].hwm_kb * 1024 / 1e6);
    rowf("peak RSS / batch->bytes", "%.2fx", ratio[0], ratio[1]);
    printf("\n");
    row2("target", "G1 JSON tree", "G2 SQLite db");
    target("plan <= 1.5 s (the tree)", "%.3f s", r[0].plan_s, r[0].plan_s <= TARGET_PLAN_S,
           r[1].plan_s, true, false);
    target("hydrate >= 300 MB/s of JSON", "%.0f MB/s", mbps[0], mbps[0] >= TARGET_MBPS, mbps[1],
           mbps[1] >= TARGET_MBPS, true);
    target("hydrate >= 150k parts/s", "%.0fk/s", pps[0] / 1e3, pps[0] >= TARGET_PARTS_PER_S,
           pps[1] / 1e3, pps[1] >= TARGET_PARTS_PER_S, true);
    target("peak RSS <= 2x batch", "%.2fx", ratio[0], ratio[0] <= TARGET_RSS_RATIO, ratio[1],
           ratio[1] <= TARGET_RSS_RATIO, true);
    row2("counts exact, no issues", counts_ok(&r[0], &m->g1) ? "exact PASS" : "WRONG FAIL",
         counts_ok(&r[1], &m->g2) ? "exact PASS" : "WRONG FAIL");
}

static void check_counts(const char *name, const result *r, const oc_gen_counts *c)
{
    if (counts_ok(r, c))
        return;
    fprintf(stderr, "opencode: %s: loaded %" PRIu64 "/%" PRIu64 " projects, %" PRIu64 "/%" PRIu64
            " sessions, %" PRIu64 "/%" PRIu64 " messages, %" PRIu64 "/%" PRIu64 " parts, %"
            PRIu64 "/%" PRIu64 " todos (loaded/generated); rc %d, %" PRIu64 " issues%s%s\n",
            name, r->projects, c->projects, r->sessions, c->sessions, r->messages, c->messages,
            r->parts, c->parts, r->todos, c->todos, r->rc, r->issues, r->msg[0] ? ": " : "",
            r->msg);
}

/* ---- main ---- */

static uint32_t scaled(const char *flag, const char *v, double scale, uint32_t def)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(v ? v : "", &end, 10);
    if (flag && (!v || *end || errno || n == 0 || n > UINT32_MAX / 2)) {
        fprintf(stderr, "opencode: %s needs a positive count\n", flag);
        exit(2);
    }
    if (flag)
        return (uint32_t)n;
    double x = round(def * scale);
    return x < 1 ? 1 : (uint32_t)x;
}

static void usage(void)
{
    fprintf(stderr, "usage: opencode [--dir DIR] [--keep] [--scale F] [--sessions N] "
                    "[--messages N] [--parts N] [--seed N] [--runs N] [--gen-only]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *ns = NULL, *nm = NULL, *np = NULL;
    char tmpl[4200];
    double scale = 1.0;
    int runs = 3;
    bool keep = false, gen_only = false, made = false;
    manifest m = {.seed = 1};

    self_exe = "/proc/self/exe";
    if (argc == 4 && !strcmp(argv[1], "--child"))
        return child_main(argv[2], (int)strtol(argv[3], NULL, 10));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = true;
        if (!strcmp(a, "--dir") && v)
            dir = v;
        else if (!strcmp(a, "--scale") && v)
            scale = strtod(v, NULL);
        else if (!strcmp(a, "--sessions") && v)
            ns = v;
        else if (!strcmp(a, "--messages") && v)
            nm = v;
        else if (!strcmp(a, "--parts") && v)
            np = v;
        else if (!strcmp(a, "--seed") && v)
            m.seed = strtoull(v, NULL, 10);
        else if (!strcmp(a, "--runs") && v)
            runs = atoi(v) > 0 ? atoi(v) : 1;
        else if ((takes = false), !strcmp(a, "--keep"))
            keep = true;
        else if (!strcmp(a, "--gen-only"))
            gen_only = keep = true;
        else
            usage();
        i += takes;
    }
    if (!(scale > 0) || scale > 100)
        usage();
    m.sessions = scaled(ns ? "--sessions" : NULL, ns, scale, 2000);
    m.messages = scaled(nm ? "--messages" : NULL, nm, scale, 100000);
    m.parts = scaled(np ? "--parts" : NULL, np, scale, 1000000);
    if (!dir) {
        const char *t = getenv("TMPDIR");
        snprintf(tmpl, sizeof tmpl, "%s/cairn-bench-opencode.XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(tmpl)) {
            fprintf(stderr, "opencode: cannot create %s: %s\n", tmpl, strerror(errno));
            return 2;
        }
        dir = tmpl;
        made = true;
    } else if (mkdir(dir, 0755) && errno != EEXIST) {
        fprintf(stderr, "opencode: cannot create %s: %s\n", dir, strerror(errno));
        return 2;
    }
    int status = 0;
    if (read_manifest(dir, &m))
        fprintf(stderr, "opencode: reusing the data in %s\n", dir);
    else if (generate(dir, &m))
        status = 2;
    if (!status && !gen_only) {
        char g[2][4200], files[32];
        result best[2], warm[2];
        sub(g[0], sizeof g[0], dir, "g1");
        sub(g[1], sizeof g[1], dir, "g2");
        double pressure[2][2];
        for (int k = 0; k < 2 && !status; k++)
            if (measure(g[k], runs, &best[k], &warm[k], pressure[k]))
                status = 2;
        if (!status) {
            printf("data: %s  G1 %s files, %.1f MB of JSON; G2 %.1f MB of JSON in rows; %" PRIu64
                   " tool parts, %" PRIu64 " parts >= 10 KB\n", dir, bench_grp(m.g1.files, files),
                   mb(m.g1.json_bytes), mb(m.g2.json_bytes), m.g1.tool_parts, m.g1.big_parts);
            report(&m, best, warm, runs, pressure);
            check_counts("G1 tree", &best[0], &m.g1);
            check_counts("G2 db", &best[1], &m.g2);
            if (!counts_ok(&best[0], &m.g1) || !counts_ok(&best[1], &m.g2))
                status = 1;
        }
    }
    fflush(stdout);
    if (made && !keep)
        bench_rm_rf(dir);
    else
        fprintf(stderr, "opencode: data kept in %s\n", dir);
    return status;
}
