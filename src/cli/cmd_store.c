/* cli/cmd_store.c - the commands over cairn's store: ingest, search, stats, prune. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/str.h"
#include "cli/cli.h"
#include "api/api.h"
#include "json/write.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

/* ---- ingest ---- */

static void progress(const cairn_ingest_progress *p, void *ud)
{
    (void)ud;
    double mb = (double)p->bytes_done / 1e6, rate = p->elapsed_s > 0 ? mb / p->elapsed_s : 0;
    double eta = p->sessions_done && p->sessions_done < p->sessions_todo
                     ? p->elapsed_s * (double)(p->sessions_todo - p->sessions_done) /
                           (double)p->sessions_done
                     : 0;
    int width = 24, fill = p->sessions_todo ? (int)(width * p->sessions_done / p->sessions_todo)
                                            : width;
    fprintf(stderr, "\r%-9s [%.*s%*s] %zu/%zu sessions  %.1f MB  %.1f MB/s  ETA %.0fs   ",
            cairn_agent_name(p->agent), fill, "########################", width - fill, "",
            p->sessions_done, p->sessions_todo, mb, rate, eta);
}

int cli_ingest(cli *c, bool quiet_summary)
{
    cairn_store *s;
    cairn_ingest_stats st;
    cairn_report *rep = cairn_report_new();
    cairn_err e;
    int status;

    if ((status = cli_open_store(c, 0, &s))) {
        cairn_report_free(rep);
        return status;
    }
    if (!cli_pick_sources(c) && !c->quiet) {
        cairn_source found[CLI_MAX_SOURCES];
        size_t n = CLI_MAX_SOURCES;
        cairn_sources_discover(found, &n, NULL);
        fprintf(stderr, "cairn: no agent histories found; looked in:\n");
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "  %-12s %s\n", cairn_agent_name(found[i].agent), found[i].path);
        fprintf(stderr, "  (--source KIND=DIR reads another place)\n");
    }
    cairn_ingest_opts o = {.sources = c->sources, .nsources = c->nsources, .full = c->full,
                           .stop = &stop_flag};
    if (isatty(2) && !c->quiet)
        o.progress = progress;
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    cairn_rc rc = cairn_store_ingest(s, &o, &st, rep, &e);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    if (o.progress)
        fputs("\r\033[K", stderr);
    if (!c->quiet && !quiet_summary && (!rc || rc == CAIRN_INTERRUPTED)) /* what was done */
        printf("ingest: %zu new, %zu changed, %zu unchanged, %zu gone, %zu issues"
               " (%zu messages, %zu parts, %zu unknown records skipped, %.1f MB read,"
               " %.2f s)\n",
               st.sessions_new, st.sessions_changed, st.sessions_unchanged, st.sessions_gone,
               cairn_report_count(rep), st.messages, st.parts, st.skipped,
               (double)st.bytes / 1e6, st.seconds);
    cli_print_issues(c, rep);
    if (rc == CAIRN_INTERRUPTED) {
        cli_error("%s; run 'cairn ingest' again to resume", e.msg);
        status = 130;
    } else if (rc) { /* what was indexed stays */
        cli_store_error(&e);
        status = EXIT_FATAL;
    } else {
        status = cli_status(rep);
    }
    cairn_report_free(rep);
    cairn_store_close(s);
    return status;
}

int cmd_ingest(cli *c)
{
    if (c->nargs) {
        cli_error("'ingest' takes no arguments; see 'cairn ingest --help'");
        return EXIT_FATAL;
    }
    return cli_ingest(c, false);
}

/* ---- search ---- */

static void hits_json(const cairn_hits *h)
{
    cn_buf out;
    cn_jw w;
    cli_json_begin(&out, &w);
    cn_api_hits_json(&w, h);
    cli_json_end(&out, &w);
}

static void hits_text(const cairn_hits *h, cn_buf *snip)
{
    bool tty = isatty(1);
    char t[40];
    for (size_t i = 0; i < h->n; i++) {
        const cairn_hit *x = &h->items[i];
        printf("%s%s %s  %s  \"%s\"%s\n", tty ? "\033[1m" : "", x->agent ? x->agent : "-",
               x->directory ? x->directory : (x->project_id ? x->project_id : "-"),
               x->session_id, x->session_title ? x->session_title : "", tty ? "\033[0m" : "");
        printf("  %s %s%s%s%s  %s\n", cli_time(x->time_ms, t, sizeof t),
               x->role ? x->role : "", x->role ? " " : "", x->part_type ? x->part_type : "",
               x->tool ? "" : "", x->message_id ? x->message_id : "");
        if (x->tool)
            printf("  tool %s\n", x->tool);
        cn_api_snippet(snip, x->snippet, tty ? "\033[1;33m" : "[", tty ? "\033[0m" : "]");
        printf("  %s\n\n", cn_buf_cstr(snip));
    }
    if (h->capped)
        printf("(a term matched very many parts: only the newest %d matches were ranked; "
               "add words or filters to narrow)\n", 1000);
}

int cmd_search(cli *c)
{
    cairn_store *s;
    cairn_query q;
    cairn_hits *h;
    cairn_err e;
    cn_buf qs, snip;
    int status;

    if (!c->nargs) {
        cli_error("usage: cairn search QUERY [options]; see 'cairn search --help'");
        return EXIT_FATAL;
    }
    cn_buf_init(&qs, 1 << 16);
    cairn_rc qrc = CAIRN_OK;
    for (int i = 0; i < c->nargs && !qrc; i++)
        if (!(qrc = i ? cn_buf_addc(&qs, ' ') : CAIRN_OK))
            qrc = cn_buf_adds(&qs, c->args[i]);
    if (qrc) {
        cli_error("the query is too long (at most 64 KiB)");
        cn_buf_release(&qs);
        return EXIT_FATAL;
    }
    if (cairn_query_parse(cn_buf_cstr(&qs), &q, &e)) {
        cli_error("bad query: %s", e.msg);
        cn_buf_release(&qs);
        return EXIT_FATAL;
    }
    if ((status = cli_open_store(c, CAIRN_STORE_READONLY, &s))) {
        cn_buf_release(&qs);
        return status;
    }
    /* --session: an id, or a start of one that no other id has (as show and context take) */
    char sid[256];
    const char *session = c->session;
    if (session && cairn_session_resolve(s, session, sid, sizeof sid, &e) == CAIRN_OK)
        session = sid;
    else if (session && e.rc == CAIRN_INVAL) {
        cli_error("--session: %s", e.msg);
        cairn_store_close(s);
        cn_buf_release(&qs);
        return EXIT_FATAL;
    }
    cairn_search_opts o = {.query = &q, .project = c->project, .agent = c->agent,
                           .tool_id = c->agent_tool,
                           .session = session, .since_ms = c->since_ms,
                           .until_ms = c->until_ms, .role = c->role, .tool = c->tool,
                           .type = c->type, .limit = c->limit};
    if (cairn_store_search(s, &o, &h, &e)) {
        cli_error("%s", e.msg);
        cairn_store_close(s);
        cn_buf_release(&qs);
        return EXIT_FATAL;
    }
    cn_buf_init(&snip, 1 << 20);
    if (c->json)
        hits_json(h);
    else if (!h->n && c->agent_tool) /* a typo of an agent's name reads as a tool_id */
        fprintf(stderr,
                "no hits for '%.200s%s' in sessions of tool_id '%s' (the agents: opencode, "
                "claude-code, codex)\n",
                cn_buf_cstr(&qs), qs.len > 200 ? "..." : "", c->agent_tool);
    else if (!h->n)
        fprintf(stderr, "no hits for '%.200s%s'\n", cn_buf_cstr(&qs), qs.len > 200 ? "..." : "");
    else
        hits_text(h, &snip);
    cn_buf_release(&snip);
    cn_buf_release(&qs);
    cairn_hits_free(h);
    cairn_store_close(s);
    return EXIT_OK;
}

/* ---- stats ---- */

/* "\nwatch  inotify, 12 directories, pid 4242; last change 10:04:05, searchable after 91 ms" */
static void print_watch(const cairn_watch_state *w)
{
    char t[40];
    if (!w->present)
        return;
    printf("\nwatch        ");
    if (!w->running) {
        printf("not running (pid %lld stopped; last updated %s)", (long long)w->pid,
               cli_time(w->updated_ms, t, sizeof t));
        return;
    }
    printf("%s, %lld %s, pid %lld", w->backend, (long long)w->dirs,
           !strcmp(w->backend, "poll") ? (w->dirs == 1 ? "place" : "places")
                                       : (w->dirs == 1 ? "directory" : "directories"),
           (long long)w->pid);
    if (w->last_event_ms)
        printf("; last change %s", cli_time(w->last_event_ms, t, sizeof t));
    if (w->last_index_ms)
        printf(", searchable after %.0f ms", w->lag_ms);
    if (w->backlog)
        printf("; %lld changed files waiting", (long long)w->backlog);
    if (w->overflows)
        printf("; %lld event-queue overflows (rescanned)", (long long)w->overflows);
}

int cli_stats(cli *c)
{
    cairn_store *s;
    cairn_store_stats st = {0};
    cairn_watch_state ws;
    cairn_err e;
    char t[40];
    int status;

    if ((status = cli_open_store(c, CAIRN_STORE_READONLY, &s)))
        return status;
    if (cairn_store_stats_get(s, &st, &e) || cairn_store_watch_get(s, &ws, &e)) {
        cli_error("%s", e.msg);
        cairn_store_stats_release(&st);
        cairn_store_close(s);
        return EXIT_FATAL;
    }
    if (c->json) {
        cn_buf out;
        cn_jw w;
        cli_json_begin(&out, &w);
        cn_jw_obj(&w);
        cn_jw_key(&w, "store");
        cn_jw_cstr(&w, cairn_store_path(s));
        cn_jw_key(&w, "db_bytes");
        cn_jw_i64(&w, st.db_bytes);
        cn_jw_key(&w, "last_ingest");
        cn_jw_time(&w, st.last_ingest_ms);
        cn_jw_key(&w, "sessions");
        cn_jw_i64(&w, st.sessions);
        cn_jw_key(&w, "messages");
        cn_jw_i64(&w, st.messages);
        cn_jw_key(&w, "parts");
        cn_jw_i64(&w, st.parts);
        cn_jw_key(&w, "gone");
        cn_jw_i64(&w, st.gone);
        cn_jw_key(&w, "watch");
        if (ws.present)
            cn_api_watch_json(&w, &ws);
        else
            cn_jw_null(&w);
        cn_jw_key(&w, "by_project");
        cn_jw_arr(&w);
        for (size_t i = 0; i < st.ncounts; i++) {
            const cairn_store_count *k = &st.counts[i];
            cn_jw_obj(&w);
            cn_jw_key(&w, "agent");
            cn_jw_cstr(&w, k->agent);
            cn_jw_key(&w, "project_id");
            cn_jw_cstr(&w, k->project);
            cn_jw_key(&w, "directory");
            cn_jw_cstr(&w, k->directory);
            cn_jw_key(&w, "sessions");
            cn_jw_i64(&w, k->sessions);
            cn_jw_key(&w, "messages");
            cn_jw_i64(&w, k->messages);
            cn_jw_key(&w, "parts");
            cn_jw_i64(&w, k->parts);
            cn_jw_key(&w, "gone");
            cn_jw_i64(&w, k->gone);
            cn_jw_obj_end(&w);
        }
        cn_jw_arr_end(&w);
        cn_jw_obj_end(&w);
        cli_json_end(&out, &w);
    } else {
        printf("store        %s (%.1f MB)\n", cairn_store_path(s), (double)st.db_bytes / 1e6);
        printf("last ingest  %s\n", cli_time(st.last_ingest_ms, t, sizeof t));
        printf("total        %lld sessions, %lld messages, %lld parts", (long long)st.sessions,
               (long long)st.messages, (long long)st.parts);
        if (st.gone)
            printf(", %lld gone (cairn prune removes them)", (long long)st.gone);
        print_watch(&ws);
        printf("\n\n%-12s %8s %9s %9s  %s\n", "AGENT", "SESSIONS", "MESSAGES", "PARTS",
               "PROJECT");
        for (size_t i = 0; i < st.ncounts; i++) {
            const cairn_store_count *k = &st.counts[i];
            printf("%-12s %8lld %9lld %9lld  %s%s%s\n", k->agent, (long long)k->sessions,
                   (long long)k->messages, (long long)k->parts,
                   k->directory[0] ? k->directory : k->project,
                   k->directory[0] && strcmp(k->directory, k->project) ? "  " : "",
                   k->directory[0] && strcmp(k->directory, k->project) ? k->project : "");
        }
    }
    cairn_store_stats_release(&st);
    cairn_store_close(s);
    return EXIT_OK;
}

int cmd_stats(cli *c)
{
    return cli_stats(c);
}

int cmd_prune(cli *c)
{
    cairn_store *s;
    cairn_err e;
    size_t n;
    int status;
    if ((status = cli_open_store(c, 0, &s)))
        return status;
    if (cairn_store_prune(s, &n, &e)) {
        cli_error("%s", e.msg);
        cairn_store_close(s);
        return EXIT_FATAL;
    }
    if (!c->quiet)
        printf("prune: removed %zu session%s whose agent files are gone\n", n, n == 1 ? "" : "s");
    cairn_store_close(s);
    return EXIT_OK;
}

/* `cairn` alone: ingest what is on the machine, then the stats and a hint. */
int cmd_default(cli *c)
{
    int st = cli_ingest(c, false);
    if (st == EXIT_FATAL || st == 130)
        return st;
    putchar('\n');
    if (cli_stats(c) == EXIT_OK && !c->quiet)
        printf("\ntry:  cairn search \"some words\"     cairn sessions     cairn show SESSION_ID\n"
               "      cairn --help for everything\n");
    return st;
}
