/* cli/cmd_serve.c - `cairn serve`: the REST API on 127.0.0.1:8003 until SIGINT or SIGTERM. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/file.h"
#include "base/str.h"
#include "cli/cli.h"
#include "serve/http.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void ready(const char *url, void *ud)
{
    const cli *c = ud;
    if (!c->quiet) {
        fprintf(stderr, "cairn: serving %s (Ctrl-C stops)\n", url);
        if (c->no_watch || !c->nsources)
            fprintf(stderr, "cairn: no live index (%s)\n",
                    c->no_watch ? "--no-watch" : "no agent histories found");
        else
            fprintf(stderr, "cairn: keeping the index of %zu agent %s current\n", c->nsources,
                    c->nsources == 1 ? "history" : "histories");
        fflush(stderr);
    }
}

static void warn(const char *msg, void *ud)
{
    (void)ud;
    fprintf(stderr, "cairn: warning: %s\n", msg);
}

/* The token: --token-file (first line, trimmed) or $CAIRN_TOKEN. */
static int load_token(cli *c, char *buf, size_t n, const char **token)
{
    *token = NULL;
    if (c->token_file) {
        cn_arena a;
        cn_file f;
        cairn_err e;
        cn_arena_init(&a, 0, 0);
        if (cn_file_load(AT_FDCWD, c->token_file, NULL, 4096, &a, &f, &e)) {
            cli_error("--token-file: %s", e.msg);
            cn_arena_release(&a);
            return EXIT_FATAL;
        }
        size_t len = f.data.len;
        while (len && (f.data.ptr[len - 1] == '\n' || f.data.ptr[len - 1] == '\r' ||
                       f.data.ptr[len - 1] == ' '))
            len--;
        const char *nl = memchr(f.data.ptr, '\n', len);
        if (nl)
            len = (size_t)(nl - f.data.ptr);
        if (!len || len >= n) {
            cli_error("--token-file '%s' holds no usable token", c->token_file);
            cn_arena_release(&a);
            return EXIT_FATAL;
        }
        memcpy(buf, f.data.ptr, len);
        buf[len] = '\0';
        cn_arena_release(&a);
        *token = buf;
    } else if (getenv("CAIRN_TOKEN") && *getenv("CAIRN_TOKEN")) {
        *token = getenv("CAIRN_TOKEN");
    }
    return EXIT_OK;
}

int cmd_serve(cli *c)
{
    char tok[1024];
    cairn_err e;
    cn_http_opts o = {.host = c->host,
                      .port = c->port,
                      .data_dir = c->data_dir,
                      .max_body = (size_t)1 << 20,
                      .ready = ready,
                      .warn = warn,
                      .ud = c};
    if (c->nargs) {
        cli_error("'serve' takes no arguments; see 'cairn serve --help'");
        return EXIT_FATAL;
    }
    if (load_token(c, tok, sizeof tok, &o.token))
        return EXIT_FATAL;
    if (cli_watch_kind(c, &o.watch.kind))
        return EXIT_FATAL;
    o.watch.max_dirs = c->max_watches;
    if (!c->no_watch && cli_pick_sources(c)) { /* the live index: what agents write */
        o.sources = c->sources;
        o.nsources = c->nsources;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    cairn_rc rc = cn_http_run(&o, &stop_flag, &e);
    if (rc) {
        cli_error("%s", e.msg);
        return EXIT_FATAL;
    }
    if (!c->quiet)
        fprintf(stderr, "cairn: stopped\n");
    return EXIT_OK;
}
