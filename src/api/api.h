/*
 * api/api.h - the operation table shared by the REST server (and, later, MCP
 * and the CLI): one row per operation with its name, HTTP method and path,
 * success status, argument schema and handler.  Arguments are validated once,
 * generically, from the schema before a handler runs; errors map to HTTP
 * statuses (and JSON-RPC codes) in one table here.
 *
 * Threads: the table is constant; a cn_call is used by one thread at a time (a
 * server hands it to its writer thread and back).
 */
#ifndef CN_API_H
#define CN_API_H

#include <stdbool.h>

#include "base/arena.h"
#include "base/buf.h"
#include "cairn/cairn.h"
#include "json/json.h"
#include "json/write.h"

#define CN_OP_MAX_ARGS 10

typedef enum cn_arg_type { CN_ARG_STR, CN_ARG_INT, CN_ARG_NUM, CN_ARG_BOOL, CN_ARG_OBJ } cn_arg_type;

/* where an argument comes from, and whether it must be there */
enum { CN_IN_PATH = 1, CN_IN_QUERY = 2, CN_IN_BODY = 4, CN_REQUIRED = 8 };

typedef struct cn_arg_spec {
    const char *name;
    uint8_t type;  /* cn_arg_type */
    uint8_t flags; /* CN_IN_* | CN_REQUIRED */
    double min, max; /* numbers: the allowed range when min < max (else any) */
    const char *doc;
} cn_arg_spec;

typedef struct cn_call cn_call;

/* A write for cn_call_defer: runs on store s, sets err on failure. */
typedef cairn_rc (*cn_write_fn)(cairn_store *s, void *arg, cairn_err *err);

typedef struct cn_op {
    const char *name;   /* also the MCP tool name */
    const char *method; /* GET, POST, DELETE */
    const char *path;   /* "/projects/{project_id}/memories" */
    int status;         /* on success */
    bool writes;        /* writes the store: servers run the whole call on their writer, in
                           a group (reads that count accesses use cn_call_defer) */
    cn_arg_spec args[CN_OP_MAX_ARGS];
    cairn_rc (*run)(cn_call *c);
    const char *summary;
} cn_op;

/* One call: the validated arguments, the store, the JSON answer being written. */
struct cn_call {
    const cn_op *op;
    cairn_store *store;
    const char *sval[CN_OP_MAX_ARGS]; /* every present argument as text (NUL-terminated) */
    cn_jval jval[CN_OP_MAX_ARGS];     /* body arguments as JSON values */
    bool present[CN_OP_MAX_ARGS];
    cn_json body;
    cn_arena arena;
    cn_buf out;
    cn_jw w;
    int status; /* set by the handler to override op->status */
    cairn_err err;
    /* A read's bookkeeping write (cn_call_defer).  A server sets defer_ok: the
     * write is then left here for it to run on its writer (cn_call_run_deferred)
     * before the answer goes out; else it runs at once, on c->store. */
    bool defer_ok;
    cairn_rc (*then)(cn_call *c); /* cn_call_then */
    cn_write_fn defer_fn;
    void *defer_arg;
    void (*defer_release)(void *arg);
};

/**
 * A read's bookkeeping write (an access count: no disk sync needed, and its
 * failure never fails the read): fn(store, arg) runs at once on c->store, or,
 * when c->defer_ok, later on the server's writer, before the answer is sent.
 * release(arg), if not NULL, is called by cn_call_release, so arg may be
 * read by the handler after this call.  One per call.  True when deferred.
 */
bool cn_call_defer(cn_call *c, cn_write_fn fn, void *arg, void (*release)(void *arg));
/** Run c's deferred write on store s (the server's writer). */
cairn_rc cn_call_run_deferred(cn_call *c, cairn_store *s);

extern const cn_op cn_ops[];
extern const size_t cn_nops;

/** Prepare c for op (arena, output buffer). */
void cn_call_init(cn_call *c, const cn_op *op, cairn_store *store);
void cn_call_release(cn_call *c);
/** Set path argument name to value (copied). */
cairn_rc cn_call_set_text(cn_call *c, const char *name, cairn_str value);
/**
 * Parse body (JSON object, may be empty) into the body arguments, then check
 * every argument against the schema.  CAIRN_INVAL / CAIRN_PARSE (400) or
 * CAIRN_RANGE (422) with err naming the field.
 */
cairn_rc cn_call_validate(cn_call *c, cairn_str body);
/** op reads a JSON body: one of its arguments comes in it (a body sent to another is ignored). */
bool cn_op_takes_body(const cn_op *op);
/**
 * Take every argument, whatever its place in HTTP (path, query, body), from
 * the JSON object args (MCP's tools/call arguments), then check them all as
 * cn_call_validate does.  A non-object args is CAIRN_INVAL.
 */
cairn_rc cn_call_validate_object(cn_call *c, cn_jval args);
/** Run the handler, then its cn_call_then; on success the answer is c->out. */
cairn_rc cn_call_run(cn_call *c);
/**
 * For a handler that writes: its answer is fn(c), to be read once the write has
 * committed.  A server runs the handler on its writer and fn on the request's
 * own thread and store connection, off the writer; elsewhere fn runs right
 * after the handler.  Returns CAIRN_OK.
 */
cairn_rc cn_call_then(cn_call *c, cairn_rc (*fn)(cn_call *c));
/** The second half of cn_call_run, once op->run succeeded (and committed): the
 * cn_call_then function, if any, and the check that the answer is whole. */
cairn_rc cn_call_answer(cn_call *c);

/* argument access for handlers (NULL / def when absent) */
const char *cn_arg(cn_call *c, const char *name);
int64_t cn_arg_i64(cn_call *c, const char *name, int64_t def);
double cn_arg_f64(cn_call *c, const char *name, double def);
/** A body argument's raw JSON (objects), or {NULL,0}. */
cairn_str cn_arg_json(cn_call *c, const char *name);

/** The HTTP status for an error code. */
int cn_api_http_status(cairn_rc rc);
/** The JSON-RPC error code for an error code. */
int cn_api_jsonrpc_code(cairn_rc rc);
/** {"error": {"code", "message"}, "detail"} into out. */
void cn_api_error_json(cn_buf *out, cairn_rc rc, const char *message, const char *detail);

/**
 * Search hits as {"capped", "hits": [{score, agent, project_id, directory,
 * session_id, session_title, message_id, part_id, type, role, tool, time,
 * snippet}]}; matched terms in snippets are marked **term**.  The one shape
 * that `cairn search --json`, GET /search and MCP share.
 */
void cn_api_hits_json(cn_jw *w, const cairn_hits *h);

/** One memory as the REST contract shapes it (memory_id, memory_key, memory_value, ...). */
void cn_api_memory_json(cn_jw *w, const cairn_memory *m);

/**
 * A live index's recorded state as {running, pid, backend, directories,
 * last_event, last_index, lag_ms, backlog, overflows}: /health and
 * `cairn stats --json` share it.
 */
void cn_api_watch_json(cn_jw *w, const cairn_watch_state *st);

/** A snippet with its \x01 \x02 markers replaced by open / close and white space folded. */
void cn_api_snippet(cn_buf *out, const char *snippet, const char *open, const char *close);

/** The OpenAPI 3 description of every operation, from the table, into out. */
void cn_api_openapi(cn_buf *out);

#endif
