/*
 * serve/mcp.h - the Model Context Protocol server on stdio (JSON-RPC 2.0, one
 * message per line).  Tools come from the operation table in api/, so the
 * REST API, MCP and the CLI share names, arguments and validation.
 *
 * stdout carries only protocol messages; everything else goes to stderr.
 */
#ifndef CN_SERVE_MCP_H
#define CN_SERVE_MCP_H

#include "cairn/err.h"

typedef struct cn_mcp_opts {
    int in_fd, out_fd;      /* 0 and 1 */
    const char *data_dir;   /* NULL: the default store */
    const char *project;    /* default project (NULL: the working directory) */
    int index_idle_ms;      /* stdin quiet this long: index the saves' memories (0: 20 ms) */
} cn_mcp_opts;

/** Serve until EOF on in_fd.  CAIRN_OK at a clean EOF; CAIRN_IO when writing fails. */
cairn_rc cn_mcp_run(const cn_mcp_opts *o, cairn_err *err);

#endif
