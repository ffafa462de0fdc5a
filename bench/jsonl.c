/*
 * bench/jsonl.c - the Claude Code reader: plan, resolve and hydrate of a
 * synthetic projects/ tree (bench/gen_claude.h), against memchr line
 * splitting and cn_json_parse of every line over the same resolved bytes.
 *
 * Every measured run is a fresh process (fork + exec of this program with
 * --child), so its peak RSS (VmHWM) is the pipeline's alone.  Two runs: the
 * whole tree in one plan/resolve/hydrate, and the same plan hydrated in
 * chunks of --chunk-mb of sessions (a session with its sub-agents and their
 * .meta.json, selected through cairn_plan_item_at()->selected; each batch
 * freed before the next), as cairn_store_ingest reads.  In each chunk, after
 * resolve and before hydrate, over the same bytes:
 *   touch    memchr '\n' over every transcript: the first read of mapped
 *            pages (page faults), separated out so hydrate is not charged;
 *   memchr   the same again: splitting lines, the ceiling;
 *   parse    cn_json_parse of every line: validation and the token tape,
 *            building nothing.
 * Hydrate MB/s is the resolved bytes (transcripts and .meta.json) over the
 * hydrate time; lines/s counts the transcript lines.  The page cache is warm
 * (the tree was just written, or read by an earlier run).  MB are 10^6 bytes.
 *
 * Usage: bench/jsonl [--dir DIR] [--keep] [--scale F] [--seed N] [--chunk-mb N]
 * Default: 1 GB of transcripts (--scale multiplies it) in a fresh directory
 * under $TMPDIR (or /tmp), removed at the end unless --keep; a directory
 * given with --dir is kept and its tree reused when it matches.
 * Exit status 1 when the hydrated records are not exactly what was written.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/map.h"
#include "bench.h"
#include "cairn/source.h"
#include "gen_claude.h"
#include "json/json.h"
#include "json/jsonl.h"
#include "source/pipeline.h"

#define TARGET_MBPS 300.0

typedef struct result {
    double plan_s, resolve_s, touch_s, memchr_s, parse_s, hydrate_s;
    uint64_t items, chunks, bytes, lines, parse_fail;
    uint64_t sessions, messages, parts, tools_done, tool_errors, skipped, issues;
    uint64_t batch_max, hwm_kb;
    int rc;
    char msg[512];
} result;

static const char *prog = "jsonl";

/* ---- the measured child ---- */

static uint64_t count_lines(cairn_str s)
{
    uint64_t n = 0;
    const char *p = s.ptr, *end = s.ptr + s.len;
    while (p < end && (p = memchr(p, '\n', (size_t)(end - p)))) {
        n++;
        p++;
    }
    return n;
}

/* Group of item i: a top-level session with its sub-agents and their meta files. */
static cairn_str group_key(const cairn_plan_item *it)
{
    bool sub = it->path.len && memmem(it->path.ptr, it->path.len, "/subagents/", 11);
    return sub ? it->parent_id : it->id;
}

/* chunk_of[i] for every plan item: groups in plan order, cut every chunk_bytes. */
static uint32_t assign_chunks(cairn_plan *p, uint64_t chunk_bytes, uint32_t *chunk_of)
{
    size_t n = cairn_plan_count(p);
    cn_map groups;
    uint32_t *gchunk = calloc(n + 1, sizeof *gchunk), ng = 0, chunk = 1;
    uint64_t *gbytes = calloc(n + 1, sizeof *gbytes), acc = 0;
    uint32_t *gidx = calloc(n + 1, sizeof *gidx);
    cn_map_init(&groups);
    for (size_t i = 0; i < n; i++) {
        cairn_plan_item *it = cairn_plan_item_at(p, i);
        uint32_t g = cn_map_get(&groups, group_key(it));
        if (g == UINT32_MAX) {
            g = ng++;
            cn_map_put(&groups, group_key(it), g);
        }
        gidx[i] = g;
        gbytes[g] += (uint64_t)it->size;
    }
    for (uint32_t g = 0; g < ng; g++) {
        if (chunk_bytes && acc && acc + gbytes[g] > chunk_bytes) {
            chunk++;
            acc = 0;
        }
        gchunk[g] = chunk;
        acc += gbytes[g];
    }
    for (size_t i = 0; i < n; i++)
        chunk_of[i] = gchunk[gidx[i]];
    cn_map_release(&groups);
    free(gchunk);
    free(gbytes);
    free(gidx);
    return chunk;
}

/* The baselines over the resolved transcripts, then hydrate; adds to r. Takes res. */
static cairn_rc chunk_run(cairn_resolved *res, cn_json *j, result *r, cairn_report *rep,
                          cairn_err *err)
{
    uint64_t lines = 0, again = 0, t0 = cn_mono_ns();
    for (size_t u = 0; u < res->n; u++)
        if (res->units[u].kind == CAIRN_ITEM_SESSION)
            lines += count_lines(res->units[u].content);
    uint64_t t1 = cn_mono_ns();
    for (size_t u = 0; u < res->n; u++)
        if (res->units[u].kind == CAIRN_ITEM_SESSION)
            again += count_lines(res->units[u].content);
    uint64_t t2 = cn_mono_ns();
    for (size_t u = 0; u < res->n; u++) {
        if (res->units[u].kind != CAIRN_ITEM_SESSION)
            continue;
        cn_jsonl rd;
        cairn_str ln;
        cn_jsonl_init(&rd, res->units[u].content);
        while (cn_jsonl_next(&rd, &ln) == CAIRN_OK)
            r->parse_fail += cn_json_parse(j, ln.ptr, ln.len, NULL) != CAIRN_OK;
    }
    uint64_t t3 = cn_mono_ns();
    r->bytes += cairn_resolved_bytes(res);
    cairn_batch *b = NULL;
    cairn_rc rc = cairn_hydrate_take(res, &b, rep, err);
    uint64_t t4 = cn_mono_ns();
    r->touch_s += bench_secs(t0, t1);
    r->memchr_s += bench_secs(t1, t2);
    r->parse_s += bench_secs(t2, t3);
    r->hydrate_s += bench_secs(t3, t4);
    r->lines += lines;
    r->parse_fail += lines != again;
    if (rc)
        return rc;
    r->sessions += b->nsessions;
    r->messages += b->nmessages;
    r->parts += b->nparts;
    r->skipped += b->skipped;
    for (size_t i = 0; i < b->nparts; i++) {
        const cairn_part *p = &b->parts[i];
        if (p->type == CAIRN_PART_TOOL && p->status != CAIRN_TOOL_PENDING)
            r->tools_done++;
        r->tool_errors += p->type == CAIRN_PART_TOOL && p->status == CAIRN_TOOL_ERROR;
    }
    if (b->bytes > r->batch_max)
        r->batch_max = b->bytes;
    cairn_batch_free(b);
    return CAIRN_OK;
}

static int child_main(const char *dir, uint64_t chunk_bytes, int fd)
{
    result r = {0};
    cairn_source src = {.agent = CAIRN_AGENT_CLAUDE};
    cairn_report *rep = cairn_report_new();
    cairn_err err = {0};
    cairn_plan *plan = NULL;
    uint32_t *chunk_of = NULL;
    cn_json j;

    cn_json_init(&j);
    snprintf(src.path, sizeof src.path, "%s", dir);
    uint64_t t0 = cn_mono_ns();
    if ((r.rc = cairn_plan_new(&src, &plan, rep, &err)))
        goto out;
    r.plan_s = bench_secs(t0, cn_mono_ns());
    r.items = cairn_plan_count(plan);
    chunk_of = malloc((r.items + 1) * sizeof *chunk_of);
    r.chunks = assign_chunks(plan, chunk_bytes, chunk_of);
    for (uint32_t c = 1; c <= r.chunks && !r.rc; c++) {
        cairn_resolved *res = NULL;
        for (size_t i = 0; i < r.items; i++)
            cairn_plan_item_at(plan, i)->selected = chunk_of[i] == c;
        uint64_t t1 = cn_mono_ns();
        if ((r.rc = cairn_resolve(plan, &res, rep, &err)))
            break;
        r.resolve_s += bench_secs(t1, cn_mono_ns());
        r.rc = chunk_run(res, &j, &r, rep, &err);
    }
out:
    r.hwm_kb = bench_hwm_kb();
    r.issues = cairn_report_count(rep);
    if (r.rc)
        snprintf(r.msg, sizeof r.msg, "%s", err.msg);
    else if (r.issues)
        snprintf(r.msg, sizeof r.msg, "%s: %s", cairn_report_get(rep, 0)->where,
                 cairn_report_get(rep, 0)->what);
    cn_json_release(&j);
    free(chunk_of);
    cairn_plan_free(plan);
    cairn_report_free(rep);
    return write(fd, &r, sizeof r) == (ssize_t)sizeof r ? 0 : 1;
}

/* Run the pipeline on dir in a fresh process. */
static int run_child(const char *dir, uint64_t chunk_bytes, result *r)
{
    int p[2], status;
    char fdnum[16], chunk[32];
    if (pipe(p))
        return -1;
    snprintf(fdnum, sizeof fdnum, "%d", p[1]);
    snprintf(chunk, sizeof chunk, "%" PRIu64, chunk_bytes);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        execl("/proc/self/exe", "jsonl", "--child", dir, chunk, fdnum, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    ssize_t n = pid > 0 ? read(p[0], r, sizeof *r) : -1;
    close(p[0]);
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || n != (ssize_t)sizeof *r || !WIFEXITED(status) ||
        WEXITSTATUS(status)) {
        fprintf(stderr, "%s: the measuring process for %s failed\n", prog, dir);
        return -1;
    }
    return 0;
}

/* ---- the tree ---- */

static bool read_manifest(const char *path, const cc_gen_opts *o, cc_gen_counts *c)
{
    uint64_t seed, bytes;
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    int n = fscanf(f,
                   "cairn bench claude tree v1 seed %" SCNu64 " bytes %" SCNu64 " counts %" SCNu64
                   " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                   " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                   " %" SCNu64 " %" SCNu64 " %lf",
                   &seed, &bytes, &c->projects, &c->sessions, &c->subagents, &c->files, &c->lines,
                   &c->bytes, &c->messages, &c->parts, &c->prompts, &c->responses, &c->tool_uses,
                   &c->tool_errors, &c->attachments, &c->summaries, &c->api_errors, &c->seconds);
    fclose(f);
    return n == 18 && seed == o->seed && bytes == o->bytes;
}

static void write_manifest(const char *path, const cc_gen_opts *o, const cc_gen_counts *c)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f,
            "cairn bench claude tree v1 seed %" PRIu64 " bytes %" PRIu64 "\ncounts %" PRIu64
            " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
            " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
            " %.3f\n",
            o->seed, o->bytes, c->projects, c->sessions, c->subagents, c->files, c->lines, c->bytes,
            c->messages, c->parts, c->prompts, c->responses, c->tool_uses, c->tool_errors,
            c->attachments, c->summaries, c->api_errors, c->seconds);
    fclose(f);
}

/* <root>/claude holds the tree; written by a child process (the generator exits on error). */
static int make_tree(const char *tree, const cc_gen_opts *o, cc_gen_counts *c)
{
    char manifest[4300];
    int p[2], status;
    snprintf(manifest, sizeof manifest, "%s.manifest", tree);
    if (read_manifest(manifest, o, c)) {
        fprintf(stderr, "%s: reusing the tree in %s\n", prog, tree);
        return 0;
    }
    if (bench_free_bytes(tree) > 0 && bench_free_bytes(tree) < (double)o->bytes * 1.2) {
        fprintf(stderr, "%s: not enough free space for %.1f GB in %s\n", prog,
                (double)o->bytes / 1e9, tree);
        return -1;
    }
    if (bench_rm_rf(manifest) || bench_rm_rf(tree) || bench_mkdirs(tree))
        return -1;
    fprintf(stderr, "%s: writing %.0f MB of transcripts into %s\n", prog, (double)o->bytes / 1e6,
            tree);
    if (pipe(p))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        cc_gen(o, c);
        _exit(write(p[1], c, sizeof *c) == (ssize_t)sizeof *c ? 0 : 1);
    }
    close(p[1]);
    ssize_t n = pid > 0 ? read(p[0], c, sizeof *c) : -1;
    close(p[0]);
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || n != (ssize_t)sizeof *c || !WIFEXITED(status) ||
        WEXITSTATUS(status)) {
        fprintf(stderr, "%s: writing the tree failed\n", prog);
        return -1;
    }
    fprintf(stderr, "%s: tree written in %.1f s\n", prog, c->seconds);
    write_manifest(manifest, o, c);
    return 0;
}

/* ---- report ---- */

static double mb(uint64_t b)
{
    return (double)b / 1e6;
}

static void row2(const char *label, const char *a, const char *b)
{
    printf("  %-44s %18s %18s\n", label, a, b);
}

static void rowf(const char *label, const char *f, double a, double b)
{
    char x[48], y[48];
    snprintf(x, sizeof x, f, a);
    snprintf(y, sizeof y, f, b);
    row2(label, x, y);
}

static bool counts_ok(const result *r, const cc_gen_counts *c)
{
    return !r->rc && !r->issues && !r->parse_fail && r->sessions == c->sessions &&
           r->messages == c->messages && r->parts == c->parts && r->lines == c->lines &&
           r->tools_done == c->tool_uses && r->tool_errors == c->tool_errors;
}

static void report(const cc_gen_counts *c, const result r[2], uint64_t chunk_mb)
{
    char a[48], b[48], g1[32], g2[32], g3[32], g4[32], head[48];
    double hy[2];
    printf("corpus: %s sessions (%s of them sub-agents) in %s files, %.1f MB, %s lines\n",
           bench_grp(c->sessions, g1), bench_grp(c->subagents, g2), bench_grp(c->files, g3),
           mb(c->bytes), bench_grp(c->lines, a));
    printf("        %s prompts, %s API responses, %s tool calls (%s errors), %s attachment lines,"
           " %s summaries, %s api_errors\n",
           bench_grp(c->prompts, g1), bench_grp(c->responses, g2), bench_grp(c->tool_uses, g3),
           bench_grp(c->tool_errors, a), bench_grp(c->attachments, b),
           bench_grp(c->summaries, head), bench_grp(c->api_errors, g4));
    printf("        to hydrate: %s messages, %s parts\n\n", bench_grp(c->messages, g1),
           bench_grp(c->parts, g2));
    snprintf(head, sizeof head, "chunks of %" PRIu64 " MB", chunk_mb);
    row2("", "all at once", head);
    rowf("chunks", "%.0f", (double)r[0].chunks, (double)r[1].chunks);
    rowf("plan, s", "%.3f", r[0].plan_s, r[1].plan_s);
    rowf("resolve, s", "%.3f", r[0].resolve_s, r[1].resolve_s);
    rowf("resolved, MB", "%.1f", mb(r[0].bytes), mb(r[1].bytes));
    for (int k = 0; k < 2; k++)
        hy[k] = mb(r[k].bytes) / r[k].hydrate_s;
    rowf("memchr, first touch of the pages, MB/s", "%.0f", mb(r[0].bytes) / r[0].touch_s,
         mb(r[1].bytes) / r[1].touch_s);
    rowf("memchr line split (ceiling), MB/s", "%.0f", mb(r[0].bytes) / r[0].memchr_s,
         mb(r[1].bytes) / r[1].memchr_s);
    rowf("cn_json_parse every line (parse-only), MB/s", "%.0f", mb(r[0].bytes) / r[0].parse_s,
         mb(r[1].bytes) / r[1].parse_s);
    rowf("hydrate, s", "%.3f", r[0].hydrate_s, r[1].hydrate_s);
    rowf("hydrate, MB/s", "%.0f", hy[0], hy[1]);
    rowf("hydrate, lines/s", "%.0f", (double)r[0].lines / r[0].hydrate_s,
         (double)r[1].lines / r[1].hydrate_s);
    rowf("hydrate time / parse-only time", "%.2fx", r[0].hydrate_s / r[0].parse_s,
         r[1].hydrate_s / r[1].parse_s);
    rowf("hydrate time / memchr time", "%.1fx", r[0].hydrate_s / r[0].memchr_s,
         r[1].hydrate_s / r[1].memchr_s);
    rowf("largest batch->bytes, MB", "%.1f", mb(r[0].batch_max), mb(r[1].batch_max));
    rowf("peak RSS (VmHWM), MB", "%.1f", (double)r[0].hwm_kb * 1024 / 1e6,
         (double)r[1].hwm_kb * 1024 / 1e6);
    snprintf(a, sizeof a, "%s/%s/%s", bench_grp(r[0].sessions, g1), bench_grp(r[0].messages, g2),
             bench_grp(r[0].parts, g3));
    snprintf(b, sizeof b, "%s/%s/%s", bench_grp(r[1].sessions, g1), bench_grp(r[1].messages, g2),
             bench_grp(r[1].parts, g3));
    row2("sessions/messages/parts hydrated", a, b);
    printf("\ntargets\n");
    snprintf(head, sizeof head, ">= %.0f MB/s", TARGET_MBPS);
    printf("  %-44s %18s %18s  %s\n", "figure", "all at once", "chunked", "target");
    snprintf(a, sizeof a, "%.0f %s", hy[0], hy[0] >= TARGET_MBPS ? "PASS" : "MISS");
    snprintf(b, sizeof b, "%.0f %s", hy[1], hy[1] >= TARGET_MBPS ? "PASS" : "MISS");
    printf("  %-44s %18s %18s  %s\n", "hydrate, MB/s", a, b, head);
    printf("  %-44s %18s %18s  %s\n", "counts exact, all tool calls paired, 0 issues",
           counts_ok(&r[0], c) ? "PASS" : "FAIL", counts_ok(&r[1], c) ? "PASS" : "FAIL", "exact");
    snprintf(a, sizeof a, "%.2fx", hy[0] / (mb(r[0].bytes) / r[0].parse_s));
    snprintf(b, sizeof b, "%.2fx", hy[1] / (mb(r[1].bytes) / r[1].parse_s));
    printf("  %-44s %18s %18s  %s\n", "hydrate MB/s / parse-only MB/s", a, b, "(reported)");
}

static void check(const char *name, const result *r, const cc_gen_counts *c)
{
    if (counts_ok(r, c))
        return;
    fprintf(stderr,
            "%s: %s: hydrated %" PRIu64 "/%" PRIu64 " sessions, %" PRIu64 "/%" PRIu64
            " messages, %" PRIu64 "/%" PRIu64 " parts, %" PRIu64 "/%" PRIu64 " lines, %" PRIu64
            "/%" PRIu64 " tool calls answered, %" PRIu64 "/%" PRIu64 " errors (hydrated/"
            "written); %" PRIu64 " lines failed to parse; rc %d, %" PRIu64 " issues%s%s\n",
            prog, name, r->sessions, c->sessions, r->messages, c->messages, r->parts, c->parts,
            r->lines, c->lines, r->tools_done, c->tool_uses, r->tool_errors, c->tool_errors,
            r->parse_fail, r->rc, r->issues, r->msg[0] ? ": " : "", r->msg);
}

/* ---- main ---- */

static void usage(void)
{
    fprintf(stderr, "usage: jsonl [--dir DIR] [--keep] [--scale F] [--seed N] [--chunk-mb N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    char root[4096] = "", tree[4200], machine[512], load[64];
    const char *dir = NULL;
    bool keep = false;
    double scale = 1.0;
    uint64_t chunk_mb = 64;
    cc_gen_opts o = {.seed = 1, .progress = true};
    cc_gen_counts c;
    result r[2];
    int status = 2;

    if (argc == 5 && !strcmp(argv[1], "--child"))
        return child_main(argv[2], strtoull(argv[3], NULL, 10), (int)strtol(argv[4], NULL, 10));
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--dir") && v)
            dir = argv[++i];
        else if (!strcmp(argv[i], "--scale") && v)
            scale = bench_num(prog, "--scale", argv[++i]);
        else if (!strcmp(argv[i], "--seed") && v)
            o.seed = (uint64_t)bench_num(prog, "--seed", argv[++i]);
        else if (!strcmp(argv[i], "--chunk-mb") && v)
            chunk_mb = (uint64_t)bench_num(prog, "--chunk-mb", argv[++i]);
        else if (!strcmp(argv[i], "--keep"))
            keep = true;
        else
            usage();
    }
    if (scale > 100)
        usage();
    o.bytes = (uint64_t)(1e9 * scale);
    if (bench_root(prog, dir, root, sizeof root, &keep))
        return 2;
    snprintf(tree, sizeof tree, "%s/claude", root);
    o.dir = tree;
    setvbuf(stdout, NULL, _IOLBF, 0); /* figures and progress lines in order */
    printf("bench/jsonl  %s\n", bench_machine(machine, sizeof machine));
    printf("at start: %s\n", bench_load(load, sizeof load));
    if (make_tree(tree, &o, &c))
        goto out;
    fprintf(stderr, "%s: hydrating all at once\n", prog);
    if (run_child(tree, 0, &r[0]))
        goto out;
    fprintf(stderr, "%s: hydrating in chunks of %" PRIu64 " MB\n", prog, chunk_mb);
    if (run_child(tree, chunk_mb * 1000000, &r[1]))
        goto out;
    report(&c, r, chunk_mb);
    printf("at end: %s\n", bench_load(load, sizeof load));
    check("all at once", &r[0], &c);
    check("chunked", &r[1], &c);
    status = counts_ok(&r[0], &c) && counts_ok(&r[1], &c) ? 0 : 1;
out:
    fflush(stdout);
    if (!keep)
        bench_rm_rf(root);
    else
        fprintf(stderr, "%s: kept %s\n", prog, root);
    return status;
}
