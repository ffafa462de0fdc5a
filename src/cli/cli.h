/*
 * cli/cli.h - the cairn command: shared options, the command table, helpers.
 *
 * Each command is a row in the table in main.c (name, handler, usage,
 * summary); `cairn --help` and `cairn CMD --help` are printed from it.
 * Exit status: 0 all read, 1 usage or fatal error, 2 done with issues.
 */
#ifndef CN_CLI_H
#define CN_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "cairn/cairn.h"
#include "json/write.h"
#include "watch/watch.h"

enum { EXIT_OK = 0, EXIT_FATAL = 1, EXIT_ISSUES = 2 };

#define CLI_MAX_SOURCES 16

typedef struct cli {
    cairn_source sources[CLI_MAX_SOURCES];
    size_t nsources;
    bool sources_given; /* --source used: only those */
    bool json;
    bool quiet;
    bool verbose;
    bool full;
    const char *data_dir;
    /* filters */
    cairn_agent agent;
    const char *agent_tool; /* --agent naming no agent: a tool_id (search only; others refuse) */
    const char *cmd;        /* the command's name */
    const char *project;
    int64_t since_ms, until_ms;
    const char *session, *role, *tool, *type;
    const char *by, *prices;
    /* memories and context */
    const char *ttl, *meta;
    bool history, undo;
    cairn_context_item add[32];
    size_t nadd;
    /* serve */
    const char *host, *token_file;
    const char *watch; /* the watch backend */
    size_t max_watches; /* most directories inotify may watch (0: the kernel's limit) */
    bool no_watch;      /* serve: no live index */
    uint16_t port;
    size_t limit;
    /* positional arguments after the command */
    char **args;
    int nargs;
} cli;

typedef struct cli_cmd {
    const char *name;
    int (*run)(cli *c);
    const char *usage;   /* after "cairn NAME " */
    const char *summary; /* one line */
    const char *help;    /* the options it takes, one per line */
} cli_cmd;

/* loading */
typedef struct cli_load {
    cairn_batch *batches[CLI_MAX_SOURCES];
    size_t n;
    cairn_report *rep;
} cli_load;

/** Fill c->sources with the discovered sources that exist, unless --source was given. */
size_t cli_pick_sources(cli *c);
/** Load every source (given or discovered); issues collected in l->rep. 0 or EXIT_FATAL. */
int cli_load_all(cli *c, cli_load *l);
void cli_load_free(cli_load *l);
/**
 * a is a newer copy than b of one session that several sources (or files) hold:
 * updated later, as ingest keeps the copy updated last (store/ingest.c).
 */
bool cli_newer_copy(const cairn_session *a, const cairn_session *b);
/**
 * Print a store error; a store still locked after the wait says who may hold it.
 * (Writes of cairn's own data are whole or nothing: nothing of it was saved.)
 */
void cli_store_error(const cairn_err *e);
/** Print the report's issues to stderr (all with --verbose, else the first 20). */
void cli_print_issues(const cli *c, const cairn_report *rep);
/** The same, for the issues keep() takes (NULL: all). */
void cli_print_issues_if(const cli *c, const cairn_report *rep, bool (*keep)(const cairn_issue *));
/** The exit status for a finished command: EXIT_ISSUES when the report is not empty. */
int cli_status(const cairn_report *rep);

/** Open the store (--data-dir) or print why not: EXIT_OK or EXIT_FATAL. */
int cli_open_store(cli *c, unsigned flags, cairn_store **s);
/** Start a JSON document on stdout: out is the buffer w writes into. */
void cli_json_begin(cn_buf *out, cn_jw *w);
/** Finish it: print it with a newline (or say it was too large) and free out. */
void cli_json_end(cn_buf *out, cn_jw *w);
/** A tokens object {input, output, reasoning, cache_read, cache_write}. */
void cli_jw_tokens(cn_jw *w, const cairn_tokens *t);

/** Print "cairn: " + message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/** Write the JSON in buf to stdout with a newline. */
void cli_put_json(const char *s, size_t n);
/** One line of s, at most max bytes (UTF-8 safe), newlines shown as spaces. */
void cli_put_line(FILE *f, cairn_str s, size_t max);
/** "2026-11-21 05:44" (UTC) or "-". */
const char *cli_time(int64_t ms, char *buf, size_t n);

int cmd_sources(cli *c);
int cmd_sessions(cli *c);
int cmd_show(cli *c);
int cmd_ingest(cli *c);
int cmd_search(cli *c);
int cmd_stats(cli *c);
int cmd_prune(cli *c);
int cmd_default(cli *c);
int cmd_usage(cli *c);
int cmd_remember(cli *c);
int cmd_recall(cli *c);
int cmd_forget(cli *c);
int cmd_context(cli *c);
int cmd_serve(cli *c);
int cmd_mcp(cli *c);
int cmd_watch(cli *c);
/** The backend --watch names (default inotify); 0, or EXIT_FATAL after saying why. */
int cli_watch_kind(const cli *c, cn_watch_kind *kind);
/** Ingest into the store (quiet_summary: no summary line); returns the exit status. */
int cli_ingest(cli *c, bool quiet_summary);
int cli_stats(cli *c);

#endif
