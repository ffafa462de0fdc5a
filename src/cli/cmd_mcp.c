/* cli/cmd_mcp.c - `cairn mcp`: the MCP server on stdin/stdout for coding agents. */
#include <signal.h>

#include "cli/cli.h"
#include "serve/mcp.h"

int cmd_mcp(cli *c)
{
    cairn_err e;
    cn_mcp_opts o = {.in_fd = 0, .out_fd = 1, .data_dir = c->data_dir, .project = c->project};
    if (c->nargs) {
        cli_error("'mcp' takes no arguments; see 'cairn mcp --help'");
        return EXIT_FATAL;
    }
    signal(SIGPIPE, SIG_IGN);
    if (cn_mcp_run(&o, &e)) {
        cli_error("%s", e.msg);
        return EXIT_FATAL;
    }
    return EXIT_OK;
}
