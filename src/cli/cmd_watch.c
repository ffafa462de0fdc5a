/*
 * cli/cmd_watch.c - `cairn watch`: ingest, then keep the index current.
 *
 * Each source is watched where its agent writes (opencode's data dir,
 * Claude's projects/, Codex's sessions/ and archived_sessions/).  Events
 * are coalesced until 50 ms pass quietly (at most 80 ms), then only the
 * sources that changed get an incremental ingest, which re-reads only the
 * sessions whose fingerprints moved.  One line per source that changed.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/buf.h"
#include "base/clock.h"
#include "cli/cli.h"
#include "watch/watch.h"

#define QUIET_MS 50
#define MAX_COALESCE_MS 80
#define POLL_MS 1000

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* Where an agent writes, under its source path. */
static const struct {
    cairn_agent agent;
    const char *subdirs[2];
} where[] = {
    {CAIRN_AGENT_CLAUDE, {"projects", NULL}},
    {CAIRN_AGENT_CODEX, {"sessions", "archived_sessions"}},
};

/* The roots to watch for the sources; src[i] is the source of roots[i]. */
static size_t roots_of(const cli *c, char roots[][4200], size_t *src, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nsources && n < max; i++) {
        bool any = false;
        for (size_t k = 0; k < sizeof where / sizeof where[0]; k++) {
            if (where[k].agent != c->sources[i].agent)
                continue;
            for (size_t d = 0; d < 2 && where[k].subdirs[d] && n < max; d++) {
                struct stat st;
                snprintf(roots[n], sizeof roots[n], "%s/%s", c->sources[i].path,
                         where[k].subdirs[d]);
                if (!stat(roots[n], &st) && S_ISDIR(st.st_mode)) {
                    src[n++] = i;
                    any = true;
                }
            }
        }
        if (!any && n < max) { /* opencode, or a tree given as it is */
            snprintf(roots[n], sizeof roots[n], "%s", c->sources[i].path);
            src[n++] = i;
        }
    }
    return n;
}

static void report(const cli *c, const cairn_source *s, const cairn_ingest_stats *st, double lag_ms)
{
    char t[40];
    if (c->json) {
        cn_buf out;
        cn_jw w;
        cli_json_begin(&out, &w);
        cn_jw_obj(&w);
        cn_jw_key(&w, "time");
        cn_jw_time(&w, cn_now_ms());
        cn_jw_key(&w, "agent");
        cn_jw_cstr(&w, cairn_agent_name(s->agent));
        cn_jw_key(&w, "source");
        cn_jw_cstr(&w, s->path);
        cn_jw_key(&w, "sessions_new");
        cn_jw_i64(&w, (int64_t)st->sessions_new);
        cn_jw_key(&w, "sessions_changed");
        cn_jw_i64(&w, (int64_t)st->sessions_changed);
        cn_jw_key(&w, "sessions_gone");
        cn_jw_i64(&w, (int64_t)st->sessions_gone);
        cn_jw_key(&w, "messages");
        cn_jw_i64(&w, (int64_t)st->messages);
        cn_jw_key(&w, "lag_ms");
        cn_jw_f64(&w, lag_ms);
        cn_jw_obj_end(&w);
        cli_json_end(&out, &w);
    } else {
        printf("%s %-11s %zu new, %zu changed, %zu gone, %zu messages; searchable %.0f ms "
               "after the first change\n",
               cli_time(cn_now_ms(), t, sizeof t), cairn_agent_name(s->agent), st->sessions_new,
               st->sessions_changed, st->sessions_gone, st->messages, lag_ms);
    }
    fflush(stdout);
}

/* Ingest the sources in mask; one line for each that changed.  0 or EXIT_FATAL. */
static int catch_up(cli *c, cairn_store *s, uint64_t mask, uint64_t first_ns)
{
    for (size_t i = 0; i < c->nsources && !stop_flag; i++) {
        if (!(mask & ((uint64_t)1 << i)))
            continue;
        cairn_ingest_opts o = {.sources = &c->sources[i], .nsources = 1, .stop = &stop_flag};
        cairn_ingest_stats st;
        cairn_report *rep = cairn_report_new();
        cairn_err e;
        cairn_rc rc = cairn_store_ingest(s, &o, &st, rep, &e);
        cli_print_issues(c, rep);
        cairn_report_free(rep);
        if (rc == CAIRN_INTERRUPTED)
            return 0;
        if (rc) {
            cli_error("%s", e.msg);
            return EXIT_FATAL;
        }
        if (st.sessions_new || st.sessions_changed || st.sessions_gone)
            report(c, &c->sources[i], &st, (double)(cn_mono_ns() - first_ns) / 1e6);
    }
    return 0;
}

int cmd_watch(cli *c)
{
    static char roots[CN_WATCH_MAX_ROOTS][4200];
    size_t src[CN_WATCH_MAX_ROOTS];
    const char *rp[CN_WATCH_MAX_ROOTS];
    cn_watch_kind kind = CN_WATCH_INOTIFY;
    char warn[256];
    cairn_store *s;
    cn_watch *w;
    cairn_err e;
    int status;

    if (c->nargs) {
        cli_error("'watch' takes no arguments; see 'cairn watch --help'");
        return EXIT_FATAL;
    }
    if (c->watch && !strcmp(c->watch, "poll")) {
        kind = CN_WATCH_POLL;
    } else if (c->watch && strcmp(c->watch, "inotify")) {
        cli_error("--watch takes inotify or poll, not '%s' (watchman is not supported yet)",
                  c->watch);
        return EXIT_FATAL;
    }
    if (!cli_pick_sources(c)) {
        cli_error("no agent histories found to watch (--source KIND=DIR names one)");
        return EXIT_FATAL;
    }
    if ((status = cli_open_store(c, 0, &s)))
        return status;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    /* catch up first: whatever changed while nobody watched */
    if ((status = catch_up(c, s, ~(uint64_t)0, cn_mono_ns())))
        goto out;
    size_t n = roots_of(c, roots, src, CN_WATCH_MAX_ROOTS);
    for (size_t i = 0; i < n; i++)
        rp[i] = roots[i];
    if (cn_watch_open(rp, n, kind, &w, warn, sizeof warn, &e)) {
        cli_error("%s", e.msg);
        status = EXIT_FATAL;
        goto out;
    }
    if (warn[0])
        fprintf(stderr, "cairn: warning: %s\n", warn);
    if (!c->quiet)
        fprintf(stderr, "cairn: watching %zu %s with %s (Ctrl-C stops)\n", cn_watch_dirs(w),
                cn_watch_backend(w) == CN_WATCH_POLL ? (cn_watch_dirs(w) == 1 ? "place" : "places")
                : cn_watch_dirs(w) == 1              ? "directory"
                                                     : "directories",
                cn_watch_kind_name(cn_watch_backend(w)));
    while (!stop_flag) {
        uint64_t dirty, more;
        cn_watch_kind before = cn_watch_backend(w);
        if (cn_watch_wait(w, POLL_MS, &dirty, &e)) {
            cli_error("%s", e.msg);
            status = EXIT_FATAL;
            break;
        }
        if (before != cn_watch_backend(w))
            fprintf(stderr, "cairn: warning: the inotify watch limit was reached: polling "
                            "instead\n");
        if (!dirty)
            continue;
        uint64_t first = cn_mono_ns();
        while (before == CN_WATCH_INOTIFY && !stop_flag &&
               (cn_mono_ns() - first) / 1000000 < MAX_COALESCE_MS) {
            if (cn_watch_wait(w, QUIET_MS, &more, &e) || !more)
                break;
            dirty |= more;
        }
        uint64_t sources = 0;
        for (size_t i = 0; i < n; i++)
            if (dirty & ((uint64_t)1 << i))
                sources |= (uint64_t)1 << src[i];
        if ((status = catch_up(c, s, sources, first)))
            break;
    }
    cn_watch_close(w);
out:
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    cairn_store_close(s);
    return status;
}
