/*
 * cli/main.c - argument parsing and the command table of `cairn`.
 *
 * Options may stand anywhere after the command.  A command accepts exactly
 * the options its help text lists (so --help stays true); --help, --quiet
 * and --verbose are accepted everywhere.  Options are long ("--name",
 * "--name=value") and -h: any other word, "-excluded" or "-5" too, is an
 * argument, and "--" makes every word after it one.  A command whose usage
 * names no argument (it starts with an option) takes none.
 */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/str.h"
#include "cli/cli.h"

static const char SOURCE_HELP[] =
    "  --source KIND=DIR   read this agent dir instead of the discovered ones (repeatable;\n"
    "                      KIND is opencode, claude or codex)\n";


static const cli_cmd commands[] = {
    {"ingest", cmd_ingest, "[--source KIND=DIR]... [--full] [--data-dir DIR] [--quiet]",
     "index every agent history into cairn's store (incremental; Ctrl-C stops safely)",
     "%s  --full              re-read everything, not only what changed\n"
     "  --data-dir DIR      cairn's store (default $CAIRN_DATA_DIR, else $XDG_DATA_HOME/cairn)\n"},
    {"search", cmd_search,
     "QUERY [--project P] [--agent A] [--session S] [--since T] [--until T] [--role R]"
     " [--tool NAME] [--type TYPE] [--limit N] [--json]",
     "full-text search over everything indexed, best matches first",
     "  QUERY               words (all must match), \"a phrase\", prefix*, -excluded, a OR b\n"
     "  --project P         project id, or a part of the project directory\n"
     "  --agent A           opencode, claude-code, codex, or the tool_id of sessions made over\n"
     "                      the REST API (api: posted turns)\n"
     "  --session S         one session: its id, or a start of it that no other id has\n"
     "  --since T           at or after T (2026-11-20, 2026-11-20T10:00Z, 7d, 12h)\n"
     "  --until T           before T\n"
     "  --role R            user or assistant\n"
     "  --tool NAME         only tool calls of this tool, in any case (bash: opencode's bash\n"
     "                      and Claude Code's Bash; Codex runs commands as shell or\n"
     "                      exec_command)\n"
     "  --type TYPE         only parts of this type (text, tool, reasoning, file, patch, ...)\n"
     "  --limit N           at most N hits (default 20)\n"
     "  --data-dir DIR      cairn's store (default $CAIRN_DATA_DIR, else $XDG_DATA_HOME/cairn)\n"
     "  --json              machine-readable output\n"},
    {"stats", cmd_stats, "[--data-dir DIR] [--json]",
     "what the store holds: counts per agent and project, size, last ingest",
     "  --data-dir DIR      cairn's store (default $CAIRN_DATA_DIR, else $XDG_DATA_HOME/cairn)\n"
     "  --json              machine-readable output\n"},
    {"usage", cmd_usage,
     "[--by day|week|month|project|model|session] [--agent A] [--project P] [--since T]"
     " [--until T] [--prices FILE] [--json]",
     "tokens and cost per day, week, month, project, model or session",
     "  --by G              group by day (default), week, month (all in UTC), project, model\n"
     "                      or session\n"
     "  --agent A           opencode, claude-code or codex\n"
     "  --project P         project id, or a part of the project directory\n"
     "  --since T           at or after T (2026-11-20, 7d, ...)\n"
     "  --until T           before T\n"
     "  --prices FILE       JSON prices per million tokens that add to or replace the shipped ones\n"
     "  --data-dir DIR      cairn's store (default $CAIRN_DATA_DIR, else $XDG_DATA_HOME/cairn)\n"
     "  --json              machine-readable output\n"},
    {"remember", cmd_remember, "PROJECT KEY VALUE [--ttl D] [--meta JSON] [--json]",
     "save a project memory (saving a key again makes a new version)",
     "  --ttl D             forget it after D (90s, 30m, 12h, 7d)\n"
     "  --meta JSON         a JSON object stored with it\n"
     "  --data-dir DIR      cairn's store (default $CAIRN_DATA_DIR, else $XDG_DATA_HOME/cairn)\n"
     "  --json              machine-readable output\n"},
    {"recall", cmd_recall, "PROJECT [KEY] [--history] [--limit N] [--json]",
     "a project's memories, most recently used first (or one key's)",
     "  --history           every version of KEY, forgotten ones too\n"
     "  --limit N           at most N memories (default 20)\n"
     "  --data-dir DIR      cairn's store (default $CAIRN_DATA_DIR, else $XDG_DATA_HOME/cairn)\n"
     "  --json              machine-readable output\n"},
    {"forget", cmd_forget, "PROJECT KEY [--undo]",
     "forget a memory (recoverable: --undo brings it back)",
     "  --undo              restore what the last forget of KEY removed\n"
     "  --data-dir DIR      cairn's store (default $CAIRN_DATA_DIR, else $XDG_DATA_HOME/cairn)\n"},
    {"context", cmd_context,
     "SESSION [--add-file P [--importance X]] [--add-search Q] [--add-decision TEXT]"
     " [--add-memory ID]",
     "a session's context (files, searches, decisions, memories) as JSON; --add-* appends",
     "  SESSION             a session's id, or a start of it that no other id has\n"
     "  --add-file P        a file the session worked on (repeatable)\n"
     "  --importance X      0.0-1.0, for the --add-file before it (default 0.5)\n"
     "  --add-search Q      a search the session made\n"
     "  --add-decision TEXT a decision the session took\n"
     "  --add-memory ID     a memory the session saved or used\n"
     "  --data-dir DIR      cairn's store (default $CAIRN_DATA_DIR, else $XDG_DATA_HOME/cairn)\n"},
    {"serve", cmd_serve,
     "[--host 127.0.0.1] [--port 8003] [--data-dir DIR] [--token-file F] [--source KIND=DIR]..."
     " [--watch inotify|watchman|poll] [--no-watch]",
     "the REST API (sessions, context, memories, search) until Ctrl-C; keeps the index current",
     "  --host H            address to listen on (default 127.0.0.1; others need a token)\n"
     "  --port N            port (default 8003)\n"
     "  --token-file F      require 'Authorization: Bearer <token>' (or set CAIRN_TOKEN)\n"
     "%s  --watch B           the live index's backend, as for 'cairn watch'\n"
     "  --max-watches N     watch at most N directories with inotify, then poll instead\n"
     "  --no-watch          no live index: serve what the store holds\n"
     "  --data-dir DIR      cairn's store (default $CAIRN_DATA_DIR, else $XDG_DATA_HOME/cairn)\n"},
    {"mcp", cmd_mcp, "[--project P] [--data-dir DIR]",
     "the MCP server on stdin/stdout, for agents (claude mcp add cairn -- cairn mcp)",
     "  --project P         the project memories default to (default: the client's first\n"
     "                      file:// root when it offers roots, else the working directory)\n"
     "  --data-dir DIR      cairn's store (default $CAIRN_DATA_DIR, else $XDG_DATA_HOME/cairn)\n"},
    {"watch", cmd_watch,
     "[--source KIND=DIR]... [--watch inotify|watchman|poll] [--max-watches N] [--data-dir DIR]"
     " [--json]",
     "ingest, then keep the index current as agents write (Ctrl-C stops safely)",
     "%s  --watch B           inotify, watchman or poll (default: watchman when a watchman\n"
     "                      server is already running, else inotify; never starts one)\n"
     "  --max-watches N     watch at most N directories with inotify, then poll instead\n"
     "  --data-dir DIR      cairn's store (default $CAIRN_DATA_DIR, else $XDG_DATA_HOME/cairn)\n"
     "  --json              one JSON object per change\n"},
    {"prune", cmd_prune, "[--data-dir DIR]",
     "delete from the store the sessions whose agent files are gone",
     "  --data-dir DIR      cairn's store (default $CAIRN_DATA_DIR, else $XDG_DATA_HOME/cairn)\n"},
    {"sources", cmd_sources, "[--source KIND=DIR]... [--json]",
     "list the agent histories found on this machine, with counts",
     "%s  --json              machine-readable output\n"},
    {"sessions", cmd_sessions,
     "[--agent A] [--project P] [--since T] [--until T] [--source KIND=DIR]... [--json]",
     "list sessions, newest first",
     "  --agent A           only this agent (opencode, claude-code, codex)\n"
     "  --project P         only sessions whose project id or directory contains P\n"
     "  --since T           updated at or after T (2026-11-20, 2026-11-20T10:00Z, 7d, 12h)\n"
     "  --until T           updated before T\n"
     "%s  --json              machine-readable output\n"},
    {"show", cmd_show, "SESSION_ID [--source KIND=DIR]... [--data-dir DIR] [--json]",
     "show one session as a tree: messages, parts, tool calls, files, tokens, cost",
     "  SESSION_ID          a session id, or a unique prefix of one; one the store holds is\n"
     "                      read from the agent files it was indexed from\n"
     "%s  --data-dir DIR      cairn's store (default $CAIRN_DATA_DIR, else $XDG_DATA_HOME/cairn)\n"
     "  --json              machine-readable output\n"},
};

static const cli_cmd *find_cmd(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void usage(FILE *f)
{
    fprintf(f, "cairn %s - local-first memory for AI coding agents\n\n"
               "usage: cairn COMMAND [OPTIONS]\n\ncommands:\n",
            CAIRN_VERSION);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n`cairn` alone (or with ingest's options) ingests what is on this machine and\n"
               "prints the stats.\n"
               "`cairn COMMAND --help` shows a command's options.\n"
               "Exit status: 0 all read, 1 usage or fatal error, 2 done with issues (reported "
               "on stderr),\n130 interrupted (run again to resume).\n");
}

static void cmd_help(const cli_cmd *cmd)
{
    printf("usage: cairn %s %s\n\n%s.\n\noptions:\n", cmd->name, cmd->usage, cmd->summary);
    printf(cmd->help, SOURCE_HELP);
    printf("  --quiet             no progress, issue lines or reports of what was done;\n"
           "                      the data asked for and errors still print\n"
           "  --verbose           every issue, not only the first 20\n");
}

/* True when text names opt as a whole word ("--json" but not "--jso"). */
static bool names(const char *text, const char *opt)
{
    size_t n = strlen(opt);
    for (const char *p = strstr(text, opt); p; p = strstr(p + 1, opt)) {
        char after = p[n];
        if (!(after == '-' || (after >= 'a' && after <= 'z')))
            return true;
    }
    return false;
}

/* The usage line starts with the arguments' names (QUERY, PROJECT, ...), when it has any. */
static bool takes_args(const cli_cmd *cmd)
{
    return cmd->usage[0] >= 'A' && cmd->usage[0] <= 'Z';
}

static bool allowed(const cli_cmd *cmd, const char *opt)
{
    if (names(cmd->help, opt) || names(cmd->usage, opt))
        return true;
    return !strcmp(opt, "--source") && strstr(cmd->help, "%s");
}

/* Options that take a value. */
static int set_value(cli *c, const char *opt, const char *val)
{
    cairn_err e;
    if (!strcmp(opt, "--source")) {
        if (c->nsources == CLI_MAX_SOURCES) {
            cli_error("too many --source options (at most %d)", CLI_MAX_SOURCES);
            return -1;
        }
        if (cairn_source_parse(val, &c->sources[c->nsources], &e)) {
            cli_error("%s", e.msg);
            return -1;
        }
        c->nsources++;
        c->sources_given = true;
    } else if (!strcmp(opt, "--agent")) {
        c->agent = cairn_agent_parse(cn_str(val));
        if (!c->agent && !strcmp(c->cmd, "search")) { /* as GET /search: a session's tool_id */
            c->agent_tool = val;
        } else if (!c->agent) {
            cli_error("unknown agent '%s' (opencode, claude-code, codex)", val);
            return -1;
        }
    } else if (!strcmp(opt, "--project")) {
        c->project = val;
    } else if (!strcmp(opt, "--data-dir")) {
        c->data_dir = val;
    } else if (!strcmp(opt, "--session")) {
        c->session = val;
    } else if (!strcmp(opt, "--role")) {
        if (strcmp(val, "user") && strcmp(val, "assistant")) {
            cli_error("--role takes user or assistant, not '%s'", val);
            return -1;
        }
        c->role = val;
    } else if (!strcmp(opt, "--host")) {
        c->host = val;
    } else if (!strcmp(opt, "--token-file")) {
        c->token_file = val;
    } else if (!strcmp(opt, "--port")) {
        int64_t n;
        if (cn_str_to_i64(cn_str(val), &n) || n < 1 || n > 65535) {
            cli_error("--port takes a number from 1 to 65535, not '%s'", val);
            return -1;
        }
        c->port = (uint16_t)n;
    } else if (!strcmp(opt, "--ttl")) {
        c->ttl = val;
    } else if (!strcmp(opt, "--meta")) {
        c->meta = val;
    } else if (!strncmp(opt, "--add-", 6)) {
        static const struct {
            const char *opt;
            cairn_context_kind kind;
        } adds[] = {{"--add-file", CAIRN_CONTEXT_FILE}, {"--add-search", CAIRN_CONTEXT_SEARCH},
                    {"--add-decision", CAIRN_CONTEXT_DECISION},
                    {"--add-memory", CAIRN_CONTEXT_MEMORY}};
        size_t k;
        for (k = 0; k < 4 && strcmp(opt, adds[k].opt); k++)
            ;
        if (c->nadd == sizeof c->add / sizeof c->add[0]) {
            cli_error("too many --add-* options (at most 32)");
            return -1;
        }
        c->add[c->nadd++] = (cairn_context_item){adds[k].kind, val, NULL, 0.5};
    } else if (!strcmp(opt, "--importance")) {
        double x;
        char *end;
        x = strtod(val, &end);
        if (!c->nadd || c->add[c->nadd - 1].kind != CAIRN_CONTEXT_FILE) {
            cli_error("--importance goes after the --add-file it is for");
            return -1;
        }
        if (*end || end == val || !(x >= 0 && x <= 1)) {
            cli_error("--importance takes a number from 0.0 to 1.0, not '%s'", val);
            return -1;
        }
        c->add[c->nadd - 1].importance = x;
    } else if (!strcmp(opt, "--by")) {
        c->by = val;
    } else if (!strcmp(opt, "--prices")) {
        c->prices = val;
    } else if (!strcmp(opt, "--tool")) {
        c->tool = val;
    } else if (!strcmp(opt, "--type")) {
        if (cairn_part_type_parse(cn_str(val)) == CAIRN_PART_UNKNOWN) {
            cli_error("--type: unknown part type '%s' (text, reasoning, tool, file, step-start, "
                      "step-finish, snapshot, patch, agent, subtask, retry, compaction)", val);
            return -1;
        }
        c->type = val;
    } else if (!strcmp(opt, "--watch")) {
        c->watch = val;
    } else if (!strcmp(opt, "--max-watches")) {
        int64_t n;
        if (cn_str_to_i64(cn_str(val), &n) || n < 1 || n > 100000000) {
            cli_error("--max-watches takes a number from 1 to 100000000, not '%s'", val);
            return -1;
        }
        c->max_watches = (size_t)n;
    } else if (!strcmp(opt, "--limit")) {
        int64_t n;
        if (cn_str_to_i64(cn_str(val), &n) || n < 1 || n > 10000) {
            cli_error("--limit takes a number from 1 to 10000, not '%s'", val);
            return -1;
        }
        c->limit = (size_t)n;
    } else if (!strcmp(opt, "--since") || !strcmp(opt, "--until")) {
        int64_t t;
        if (cn_time_parse(cn_str(val), cn_now_ms(), &t, &e)) {
            cli_error("%s %s", opt, e.msg);
            return -1;
        }
        *(opt[2] == 's' ? &c->since_ms : &c->until_ms) = t;
    } else {
        return 1; /* not a value option */
    }
    return 0;
}

static const char *const VALUE_OPTS[] = {"--source", "--agent",  "--project", "--data-dir",
                                         "--since",  "--until",  "--session", "--role",
                                         "--tool",   "--type",   "--limit",  "--by",
                                         "--prices", "--ttl",    "--meta",   "--add-file",
                                         "--importance", "--add-search", "--add-decision",
                                         "--add-memory", "--host", "--port", "--token-file",
                                         "--watch", "--max-watches"};

static bool takes_value(const char *opt)
{
    for (size_t i = 0; i < sizeof VALUE_OPTS / sizeof VALUE_OPTS[0]; i++)
        if (!strcmp(VALUE_OPTS[i], opt))
            return true;
    return false;
}

int main(int argc, char **argv)
{
    cli c = {0};
    const cli_cmd *cmd = NULL;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0, status;

    if (!pos)
        return EXIT_FATAL;
    if (argc < 2) {
        free(pos);
        return cmd_default(&c);
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        free(pos);
        return EXIT_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("cairn %s\n", CAIRN_VERSION);
        free(pos);
        return EXIT_OK;
    }
    /* `cairn --data-dir D`: options alone run the default, which takes ingest's options */
    int first = 2;
    bool bare = argv[1][0] == '-' && argv[1][1];
    if (bare) {
        cmd = find_cmd("ingest");
        first = 1;
    }
    if (!cmd && !(cmd = find_cmd(argv[1]))) {
        cli_error("unknown command '%s'; see 'cairn --help'", argv[1]);
        free(pos);
        return EXIT_FATAL;
    }
    c.cmd = cmd->name;
    for (int i = first; i < argc; i++) {
        char *a = argv[i], *eq;
        if (strncmp(a, "--", 2) && strcmp(a, "-h")) { /* "-word" is a word */
            pos[npos++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            while (++i < argc)
                pos[npos++] = argv[i];
            break;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            cmd_help(cmd);
            free(pos);
            return EXIT_OK;
        }
        char opt[64];
        const char *val = NULL;
        if ((eq = strchr(a, '=')) && (size_t)(eq - a) < sizeof opt) {
            memcpy(opt, a, (size_t)(eq - a));
            opt[eq - a] = '\0';
            val = eq + 1;
        } else {
            snprintf(opt, sizeof opt, "%s", a);
        }
        bool global = !strcmp(opt, "--quiet") || !strcmp(opt, "--verbose");
        if (!global && !allowed(cmd, opt)) {
            if (bare) /* `cairn --data-dir D search ...`: the options went first */
                cli_error("unknown option '%s' (the command comes first: cairn COMMAND "
                          "[OPTIONS]); see 'cairn --help'",
                          opt);
            else
                cli_error("'%s' does not take option '%s'; see 'cairn %s --help'", cmd->name,
                          opt, cmd->name);
            free(pos);
            return EXIT_FATAL;
        }
        if (takes_value(opt)) {
            if (!val) {
                if (i + 1 >= argc) {
                    cli_error("option '%s' needs a value", opt);
                    free(pos);
                    return EXIT_FATAL;
                }
                val = argv[++i];
            }
            if (set_value(&c, opt, val)) {
                free(pos);
                return EXIT_FATAL;
            }
        } else if (val) {
            cli_error("option '%s' takes no value (got '%s')", opt, a);
            free(pos);
            return EXIT_FATAL;
        } else if (!strcmp(opt, "--full")) {
            c.full = true;
        } else if (!strcmp(opt, "--no-watch")) {
            c.no_watch = true;
        } else if (!strcmp(opt, "--history")) {
            c.history = true;
        } else if (!strcmp(opt, "--undo")) {
            c.undo = true;
        } else if (!strcmp(opt, "--json")) {
            c.json = true;
        } else if (!strcmp(opt, "--quiet")) {
            c.quiet = true;
        } else if (!strcmp(opt, "--verbose")) {
            c.verbose = true;
        }
    }
    c.args = pos;
    c.nargs = npos;
    if (npos && (bare || !takes_args(cmd))) {
        if (bare)
            cli_error("unexpected argument '%s' (the command comes first: cairn COMMAND "
                      "[OPTIONS]); see 'cairn --help'",
                      pos[0]);
        else
            cli_error("'%s' takes no arguments, not '%s'; see 'cairn %s --help'", cmd->name,
                      pos[0], cmd->name);
        free(pos);
        return EXIT_FATAL;
    }
    status = bare ? cmd_default(&c) : cmd->run(&c);
    free(pos);
    return status;
}
