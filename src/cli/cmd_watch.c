/*
 * cli/cmd_watch.c - `cairn watch`: the live index (watch/live.h) in the
 * foreground, one line (or JSON object) per re-index that changed
 * something: what, how many sessions, how long until searchable.  "files"
 * in JSON counts the changed files re-read alone (null: the whole source
 * was re-planned).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/hash.h"
#include "base/str.h"
#include "cli/cli.h"
#include "watch/live.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static bool caught_up; /* ready() was called */

static void changed(void *ud, const cairn_source *s, const cairn_ingest_stats *st, size_t npaths,
                    double lag_ms)
{
    const cli *c = ud;
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
        cn_jw_key(&w, "files");
        if (npaths)
            cn_jw_i64(&w, (int64_t)npaths);
        else
            cn_jw_null(&w);
        cn_jw_key(&w, "lag_ms");
        cn_jw_f64(&w, lag_ms);
        cn_jw_key(&w, "catch_up"); /* what changed while nobody watched, read at the start */
        cn_jw_bool(&w, !caught_up);
        cn_jw_obj_end(&w);
        cli_json_end(&out, &w);
    } else {
        printf("%s %-11s %zu new, %zu changed, %zu gone, %zu messages; ",
               cli_time(cn_now_ms(), t, sizeof t), cairn_agent_name(s->agent), st->sessions_new,
               st->sessions_changed, st->sessions_gone, st->messages);
        if (caught_up)
            printf("searchable %.0f ms after the first change\n", lag_ms);
        else
            printf("caught up with what changed while nobody watched, in %.0f ms\n", lag_ms);
    }
    fflush(stdout);
}

/* Caught up: from now on every change is one line. */
static void ready(void *ud, const cn_live_status *st)
{
    const cli *c = ud;
    caught_up = true;
    bool poll = !strcmp(st->backend, "poll");
    if (!c->quiet)
        fprintf(stderr, "cairn: watching %zu %s with %s (Ctrl-C stops)\n", st->dirs,
                poll ? (st->dirs == 1 ? "place" : "places")
                     : (st->dirs == 1 ? "directory" : "directories"),
                st->backend);
}

/*
 * Issues already said by this watch: a bad line in a transcript's last turn is
 * read again at each change of the file, and is said once.  A hash of each
 * "where: what", up to SAID_MAX of them (past it, every issue is said).
 */
#define SAID_MAX 4096
static uint64_t said[SAID_MAX];
static size_t nsaid;

/* Whether is is new to this watch (then it is remembered). */
static bool not_said(const cairn_issue *is)
{
    uint64_t h = cn_hash_str(cn_str(is->where)) * 31 + cn_hash_str(cn_str(is->what));
    for (size_t i = 0; i < nsaid; i++)
        if (said[i] == h)
            return false;
    if (nsaid < SAID_MAX)
        said[nsaid++] = h;
    return true;
}

static void issues(void *ud, const cairn_report *rep)
{
    cli_print_issues_if(ud, rep, not_said);
}

static void warn(void *ud, const char *msg)
{
    (void)ud;
    fprintf(stderr, "cairn: warning: %s\n", msg);
}

/* --watch: the backend.  0 or EXIT_FATAL. */
int cli_watch_kind(const cli *c, cn_watch_kind *kind)
{
    *kind = CN_WATCH_AUTO;
    if (!c->watch || (cn_watch_kind_parse(c->watch, kind) && *kind != CN_WATCH_AUTO))
        return 0;
    cli_error("--watch takes inotify, watchman or poll, not '%s'", c->watch);
    return EXIT_FATAL;
}

int cmd_watch(cli *c)
{
    cn_live_opts o = {.watch = {.max_dirs = c->max_watches},
                      .changed = changed,
                      .ready = ready,
                      .issues = issues,
                      .warn = warn,
                      .ud = c};
    cairn_store *s;
    cn_live *l;
    cairn_err e;
    int status;

    if (c->nargs) {
        cli_error("'watch' takes no arguments; see 'cairn watch --help'");
        return EXIT_FATAL;
    }
    if (cli_watch_kind(c, &o.watch.kind))
        return EXIT_FATAL;
    if (!cli_pick_sources(c)) {
        cli_error("no agent histories found to watch (--source KIND=DIR names one)");
        return EXIT_FATAL;
    }
    if ((status = cli_open_store(c, 0, &s)))
        return status;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (cn_live_open(s, c->sources, c->nsources, &o, &l, &e)) {
        cli_error("%s", e.msg);
        status = EXIT_FATAL;
        goto out;
    }
    if (cn_live_run(l, &stop_flag, &e)) {
        cli_error("%s", e.msg);
        status = EXIT_FATAL;
    } else if (stop_flag && !caught_up) { /* as ingest: what was indexed stays */
        cli_error("interrupted before catching up; run again to resume");
        status = 130;
    }
    cn_live_close(l);
out:
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    cairn_store_close(s);
    return status;
}
