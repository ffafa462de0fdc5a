/*
 * bench/bench_oc.c - the synthetic opencode G1 tree shared by bench/ingest and
 * bench/search (bench/bench.h), written by bench/gen_opencode*.c.
 */
#include "bench.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/clock.h"

/* ---- the synthetic opencode tree ---- */

void bench_oc_scale(bench_oc *t, double scale)
{
    double s = round(2000 * scale), m = round(100000 * scale), p = round(1000000 * scale);
    t->sessions = s < 1 ? 1 : (uint32_t)s;
    t->messages = m < t->sessions ? t->sessions : (uint32_t)m;
    t->parts = p < t->messages ? t->messages : (uint32_t)p;
}

static bool read_manifest(const char *path, bench_oc *t)
{
    bench_oc m = {0};
    oc_gen_counts *c = &m.c;
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    int n = fscanf(f,
                   "cairn bench G1 tree v1 seed %" SCNu64 " sessions %u messages %u parts %u"
                   " counts %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64
                   " %" SCNu64 " %" SCNu64 " %" SCNu64 " %lf",
                   &m.seed, &m.sessions, &m.messages, &m.parts, &c->projects, &c->sessions,
                   &c->messages, &c->parts, &c->todos, &c->files, &c->json_bytes, &c->tool_parts,
                   &c->big_parts, &c->seconds);
    fclose(f);
    if (n != 14 || m.seed != t->seed || m.sessions != t->sessions || m.messages != t->messages ||
        m.parts != t->parts)
        return false;
    t->c = m.c;
    return true;
}

static void write_manifest(const char *path, const bench_oc *t)
{
    const oc_gen_counts *c = &t->c;
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f,
            "cairn bench G1 tree v1 seed %" PRIu64 " sessions %u messages %u parts %u\n"
            "counts %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
            " %" PRIu64 " %" PRIu64 " %" PRIu64 " %.3f\n",
            t->seed, t->sessions, t->messages, t->parts, c->projects, c->sessions, c->messages,
            c->parts, c->todos, c->files, c->json_bytes, c->tool_parts, c->big_parts, c->seconds);
    fclose(f);
}

int bench_oc_tree(const char *dir, bench_oc *t)
{
    char manifest[4200];
    int p[2], status;

    snprintf(manifest, sizeof manifest, "%s.manifest",
             dir); /* beside: the reader sees only the tree */
    t->gen_s = 0;
    if (read_manifest(manifest, t))
        return 0;
    double need = (double)t->parts * 7000.0; /* bench/opencode measured ~6.4 KB per part */
    if (bench_free_bytes(dir) > 0 && bench_free_bytes(dir) < need) {
        fprintf(stderr, "bench: %s has %.1f GB free, the tree needs about %.1f GB\n", dir,
                bench_free_bytes(dir) / 1e9, need / 1e9);
        return -1;
    }
    if (bench_rm_rf(manifest) || bench_rm_rf(dir) || bench_mkdirs(dir)) {
        fprintf(stderr, "bench: cannot prepare %s: %s\n", dir, strerror(errno));
        return -1;
    }
    fprintf(stderr, "bench: generating the G1 tree: %u sessions, %u messages, %u parts into %s\n",
            t->sessions, t->messages, t->parts, dir);
    uint64_t t0 = cn_mono_ns();
    if (pipe(p))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        oc_gen_opts o = {.dir = dir,
                         .seed = t->seed,
                         .sessions = t->sessions,
                         .messages = t->messages,
                         .parts = t->parts,
                         .progress = true};
        close(p[0]);
        oc_gen(&o, &t->c);
        _exit(write(p[1], &t->c, sizeof t->c) == (ssize_t)sizeof t->c ? 0 : 1);
    }
    close(p[1]);
    ssize_t n = pid > 0 ? read(p[0], &t->c, sizeof t->c) : -1;
    close(p[0]);
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || n != (ssize_t)sizeof t->c ||
        !WIFEXITED(status) || WEXITSTATUS(status)) {
        fprintf(stderr, "bench: generating the G1 tree in %s failed\n", dir);
        return -1;
    }
    t->gen_s = bench_secs(t0, cn_mono_ns());
    write_manifest(manifest, t);
    return 0;
}
