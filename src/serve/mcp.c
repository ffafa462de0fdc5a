/*
 * serve/mcp.c - MCP over stdio: JSON-RPC 2.0, newline-delimited.
 *
 * Lifecycle: read a line (at most MAX_LINE bytes; a longer one is refused
 * with a parse error and skipped, the server stays up) -> parse -> a request
 * (id), a notification (no id) or, for protocol 2025-03-26, a batch ->
 * dispatch through the method table -> one line of answer.  EOF ends the loop.
 * Tools are rows of the operation table (api/ops.c) under MCP names; a tool
 * that fails answers a result with isError: true, and only malformed
 * messages or arguments are JSON-RPC errors.  Answers are bounded: at most
 * max_tokens (default 2,000; a token counted as 4 bytes) of text.
 *
 * The default project is --project, else the client's first root (asked with
 * roots/list once the client says initialized, and again when it says its
 * roots changed; the lines that come before the answer are held until it
 * does, ROOTS_WAIT_MS at most), else the working directory.
 *
 * Calls of tools that write (memory_save, memory_forget, context_append) that
 * arrive together -- a client running tool calls in parallel sends them
 * without waiting -- share one durable commit: the lines read at once that
 * are such calls in a row run as one group of the store (each a savepoint of
 * its transaction) and their answers go out after its commit, all in one
 * write.  A group whose transaction ends early or does not commit is rolled
 * back whole, and its lines run again one by one, each with its own commit:
 * an answer never tells of a write that is not on disk.
 *
 * Saves leave their memories out of the full-text index for a while
 * (cairn_memory_defer_index): up to INDEX_DEFER of them, indexed together by
 * the next save past that, by the next search, or once stdin has been quiet
 * for INDEX_IDLE_MS (cn_mcp_opts) -- so that other processes' searches see
 * them soon.
 */
#include "serve/mcp.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/str.h"
#include "json/json.h"
#include "json/write.h"
#include "serve/jobs.h"

#define MAX_LINE ((size_t)16 << 20)
#define DEFAULT_TOKENS 2000
#define MAX_TOKENS 10000000 /* 40 MB of text: far beyond any context window */
#define BYTES_PER_TOKEN 4
#define MAX_GROUP 256 /* write calls that share a commit */
#define INDEX_DEFER 64   /* saves that may wait to be indexed (full text) */
#define INDEX_IDLE_MS 20 /* stdin quiet this long: index them (the default) */
/*
 * Calls that come after the roots/list asked of a client, before its answer,
 * wait for it this long at most (they may depend on the default project), and
 * this much of them at most.
 */
#define ROOTS_WAIT_MS 1000
#define HELD_MAX ((size_t)64 << 20)

static const char *const versions[] = {"2025-06-18", "2025-03-26"};

/*
 * MCP tool name -> operation, and whether its answer can be large.  count:
 * the argument that says how many items a tool that only reads answers with
 * (its default beside it); over max_tokens, the tool runs again with fewer, so
 * that its answer stays whole JSON, rather than being cut.
 */
static const struct {
    const char *tool, *op;
    bool bounded;
    const char *description;
    const char *count;
    int64_t count_default;
} tools[] = {
    {"memory_save", "memory_save", false,
     "Remember a fact for a project (key, value, optional metadata and ttl_seconds). Saving a "
     "key again keeps the old value as history. Use for decisions, conventions, config facts.",
     NULL, 0},
    {"memory_recall", "memory_list", true,
     "Recall a project's memories, most recently used first, or one key's. Call at the start "
     "of work on a project.",
     NULL, 0},
    {"memory_search", "memory_search", true, "Full-text search over a project's memories.", NULL,
     0},
    {"memory_forget", "memory_forget", false,
     "Forget a memory (recoverable with memory_restore).", NULL, 0},
    {"memory_restore", "memory_restore", false,
     "Bring back a memory that memory_forget removed (its last forget).", NULL, 0},
    {"memory_history", "memory_history", true, "Every version of a memory, newest first.", NULL, 0},
    {"session_search", "search", true,
     "Full-text search over every coding-agent session on this machine (opencode, Claude "
     "Code, Codex): what was said, tool calls and outputs, file paths.",
     "limit", 20},
    {"session_get", "session_get", true,
     "One session's details (agent, workspace, title, times, counts); with messages=N also its "
     "last N messages (text and tools used), within max_tokens.",
     "messages", 0},
    {"session_list", "session_list", true, "Sessions, most recent activity first.", "limit", 50},
    {"context_append", "context_append", true,
     "Record in a session's context a file worked on (with importance 0-1), a search, a "
     "decision, or a memory used.",
     NULL, 0},
    {"context_get", "context_get", true, "A session's context: files, searches, decisions.", NULL,
     0},
    {"session_summary", "session_summary", true,
     "A rule-based summary of a session: counts, files touched, tools, decisions, last "
     "messages. Good for handing work over.",
     NULL, 0},
    {"memory_suggestions", "memory_suggestions", true,
     "Candidate memories found in a session (decisions, 'always', 'never', 'use X instead "
     "of Y', config facts), the newest first, at most 20 ('truncated' says when more were "
     "found), each with its source (start and end: UTF-8 byte offsets in the part's text). "
     "Nothing is saved.",
     NULL, 0},
};
#define NTOOLS (sizeof tools / sizeof tools[0])

typedef struct mcp {
    const cn_mcp_opts *o;
    cairn_store *store;
    const char *version; /* negotiated, NULL before initialize */
    bool client_roots;   /* the client offered the roots capability */
    char project[4096];
    cn_json j;
    cn_arena a;     /* unescaped strings of the current line */
    cn_buf out;     /* one answer line */
    cn_json peek;   /* a line looked at before it runs (writes()) */
    cn_buf answers; /* a group's answer lines, sent after its commit */
    bool index_failed; /* indexing the saves failed: not tried again before more input */
    bool roots_due;    /* ask the client for its roots after this line's answer */
    unsigned roots_asked;       /* roots/list requests sent; the last one's id is awaited */
    bool roots_waiting;         /* its answer has not come */
    bool holding;               /* lines read meanwhile are held (for ROOTS_WAIT_MS at most) */
    bool in_batch;              /* the message handled is one of a batch */
    char cwd_project[4096];     /* the default when the client has no (more) roots */
    cn_buf held;                /* lines read while the roots are awaited, each ending '\n' */
    uint64_t roots_deadline_ns; /* then they run without them */
} mcp;

static const cn_op *find_op(const char *name)
{
    for (size_t i = 0; i < cn_nops; i++)
        if (!strcmp(cn_ops[i].name, name))
            return &cn_ops[i];
    return NULL;
}

static cairn_rc write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return CAIRN_IO;
        p += w;
        n -= (size_t)w;
    }
    return CAIRN_OK;
}

/* out and its newline in one write: a client reading the pipe wakes once per answer. */
static cairn_rc send_line(cn_buf *out, int fd, cairn_err *err)
{
    if (cn_buf_addc(out, '\n'))
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    if (write_all(fd, out->ptr, out->len))
        return cn_err_set(err, CAIRN_IO, "cannot write to stdout");
    return CAIRN_OK;
}

/* ---- answers ---- */

static void begin(cn_jw *w, cn_buf *b, cn_jval id)
{
    cn_jw_init(w, b, false);
    cn_jw_obj(w);
    cn_jw_key(w, "jsonrpc");
    cn_jw_cstr(w, "2.0");
    cn_jw_key(w, "id");
    if (cn_json_exists(id))
        cn_jw_raw(w, cn_json_raw(id));
    else
        cn_jw_null(w);
}

static void error_answer(cn_buf *b, cn_jval id, int code, const char *message)
{
    cn_jw w;
    begin(&w, b, id);
    cn_jw_key(&w, "error");
    cn_jw_obj(&w);
    cn_jw_key(&w, "code");
    cn_jw_i64(&w, code);
    cn_jw_key(&w, "message");
    cn_jw_cstr(&w, message);
    cn_jw_obj_end(&w);
    cn_jw_obj_end(&w);
    cn_jw_finish(&w);
}

/* ---- methods ---- */

typedef struct req {
    mcp *m;
    cn_jval id, params;
    cn_buf *b;
} req;

static void initialize(req *r)
{
    const char *want = NULL;
    if (r->m->in_batch || r->m->version) { /* MCP: the first message, and alone */
        error_answer(r->b, r->id, -32600,
                     r->m->version ? "invalid request: the session is already initialized"
                                   : "invalid request: initialize cannot be part of a batch");
        return;
    }
    cn_jval v = cn_json_get(r->params, "protocolVersion");
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
        if (cn_json_str_eq(v, versions[i]))
            want = versions[i];
    r->m->version = want ? want : versions[0]; /* unknown: offer the newest */
    r->m->client_roots = cn_json_exists(cn_json_get(cn_json_get(r->params, "capabilities"), "roots"));
    cn_jw w;
    begin(&w, r->b, r->id);
    cn_jw_key(&w, "result");
    cn_jw_obj(&w);
    cn_jw_key(&w, "protocolVersion");
    cn_jw_cstr(&w, r->m->version);
    cn_jw_key(&w, "capabilities");
    cn_jw_obj(&w);
    cn_jw_key(&w, "tools");
    cn_jw_obj(&w);
    cn_jw_key(&w, "listChanged");
    cn_jw_bool(&w, false);
    cn_jw_obj_end(&w);
    cn_jw_key(&w, "resources");
    cn_jw_obj(&w);
    cn_jw_obj_end(&w);
    cn_jw_obj_end(&w);
    cn_jw_key(&w, "serverInfo");
    cn_jw_obj(&w);
    cn_jw_key(&w, "name");
    cn_jw_cstr(&w, "cairn");
    cn_jw_key(&w, "version");
    cn_jw_cstr(&w, CAIRN_VERSION);
    cn_jw_obj_end(&w);
    cn_jw_key(&w, "instructions");
    cn_jw_cstr(&w, "cairn keeps project memories and searches every coding-agent session on "
                   "this machine. Recall a project's memories when you start; save decisions "
                   "and conventions as you go.");
    cn_jw_obj_end(&w);
    cn_jw_obj_end(&w);
    cn_jw_finish(&w);
}

static void empty_result(req *r)
{
    cn_jw w;
    begin(&w, r->b, r->id);
    cn_jw_key(&w, "result");
    cn_jw_obj(&w);
    cn_jw_obj_end(&w);
    cn_jw_obj_end(&w);
    cn_jw_finish(&w);
}

static const char *const json_types[] = {"string", "integer", "number", "boolean", "object"};

static void tools_list(req *r)
{
    cn_jw w;
    begin(&w, r->b, r->id);
    cn_jw_key(&w, "result");
    cn_jw_obj(&w);
    cn_jw_key(&w, "tools");
    cn_jw_arr(&w);
    for (size_t t = 0; t < NTOOLS; t++) {
        const cn_op *op = find_op(tools[t].op);
        if (!op)
            continue;
        cn_jw_obj(&w);
        cn_jw_key(&w, "name");
        cn_jw_cstr(&w, tools[t].tool);
        cn_jw_key(&w, "description");
        cn_jw_cstr(&w, tools[t].description);
        cn_jw_key(&w, "inputSchema");
        cn_jw_obj(&w);
        cn_jw_key(&w, "type");
        cn_jw_cstr(&w, "object");
        cn_jw_key(&w, "properties");
        cn_jw_obj(&w);
        for (int i = 0; i < CN_OP_MAX_ARGS && op->args[i].name; i++) {
            const cn_arg_spec *a = &op->args[i];
            cn_jw_key(&w, a->name);
            cn_jw_obj(&w);
            cn_jw_key(&w, "type");
            cn_jw_cstr(&w, json_types[a->type]);
            cn_jw_key(&w, "description");
            cn_jw_cstr(&w, a->doc);
            if (a->min < a->max) {
                cn_jw_key(&w, "minimum");
                cn_jw_f64(&w, a->min);
                cn_jw_key(&w, "maximum");
                cn_jw_f64(&w, a->max);
            }
            cn_jw_obj_end(&w);
        }
        if (tools[t].bounded) {
            cn_jw_key(&w, "max_tokens");
            cn_jw_obj(&w);
            cn_jw_key(&w, "type");
            cn_jw_cstr(&w, "integer");
            cn_jw_key(&w, "description");
            cn_jw_cstr(&w, "the most text to return, in tokens (default 2000)");
            cn_jw_key(&w, "minimum");
            cn_jw_i64(&w, 1);
            cn_jw_key(&w, "maximum");
            cn_jw_i64(&w, MAX_TOKENS);
            cn_jw_obj_end(&w);
        }
        cn_jw_obj_end(&w);
        cn_jw_key(&w, "required");
        cn_jw_arr(&w);
        for (int i = 0; i < CN_OP_MAX_ARGS && op->args[i].name; i++)
            if ((op->args[i].flags & CN_REQUIRED) && strcmp(op->args[i].name, "project_id"))
                cn_jw_cstr(&w, op->args[i].name); /* project_id defaults to the client's */
        cn_jw_arr_end(&w);
        cn_jw_key(&w, "additionalProperties");
        cn_jw_bool(&w, false);
        cn_jw_obj_end(&w);
        cn_jw_obj_end(&w);
    }
    cn_jw_arr_end(&w);
    cn_jw_obj_end(&w);
    cn_jw_obj_end(&w);
    cn_jw_finish(&w);
}

/*
 * text as a JSON string, cut to max_tokens with a note saying so and how to get
 * more (hint), the note within the budget; true when cut.
 */
static bool put_bounded(cn_jw *w, cairn_str text, int64_t max_tokens, const char *hint)
{
    size_t max = (size_t)max_tokens * BYTES_PER_TOKEN;
    if (text.len <= max) {
        cn_jw_str(w, text);
        return false;
    }
    cn_buf t;
    cn_buf_init(&t, max + 512);
    char note[256];
    int n = snprintf(note, sizeof note, "\n[... cut at max_tokens=%lld; %s]", (long long)max_tokens,
                     hint);
    cn_buf_addstr(&t, cn_str_cut(text, max > (size_t)n ? max - (size_t)n : 0));
    cn_buf_adds(&t, note);
    cn_jw_str(w, cn_buf_str(&t));
    cn_buf_release(&t);
    return true;
}

/*
 * A tool's answer as text content, cut to max_tokens; then, when note is not
 * NULL, a second text saying what the answer left out.
 */
static void tool_result(req *r, cairn_str text, bool is_error, int64_t max_tokens,
                        const char *note)
{
    cn_jw w;
    begin(&w, r->b, r->id);
    cn_jw_key(&w, "result");
    cn_jw_obj(&w);
    cn_jw_key(&w, "content");
    cn_jw_arr(&w);
    for (int k = 0; k < (note ? 2 : 1); k++) {
        cn_jw_obj(&w);
        cn_jw_key(&w, "type");
        cn_jw_cstr(&w, "text");
        cn_jw_key(&w, "text");
        if (k)
            cn_jw_cstr(&w, note);
        else
            put_bounded(&w, text, max_tokens,
                        "pass a larger max_tokens (or a narrower call) for more");
        cn_jw_obj_end(&w);
    }
    cn_jw_arr_end(&w);
    cn_jw_key(&w, "isError");
    cn_jw_bool(&w, is_error);
    cn_jw_obj_end(&w);
    cn_jw_obj_end(&w);
    cn_jw_finish(&w);
}

/* The first key of args that is no argument of op (a typo must not pass unseen). */
static cairn_str unknown_field(const cn_op *op, bool bounded, cn_jval args, cn_arena *a)
{
    cn_jiter it = cn_json_iter(args);
    cn_jval key, v;
    while (cn_json_next(&it, &key, &v)) {
        bool known = bounded && cn_json_str_eq(key, "max_tokens");
        for (int i = 0; !known && i < CN_OP_MAX_ARGS && op->args[i].name; i++)
            known = cn_json_str_eq(key, op->args[i].name);
        if (!known)
            return cn_json_str_or(key, a);
    }
    return (cairn_str){NULL, 0};
}

/* The call of tool t with args, validated; the project defaults to the session's. */
static cairn_rc prepare(req *r, size_t t, cn_jval args, cn_call *c)
{
    cn_call_init(c, find_op(tools[t].op), r->m->store);
    cairn_rc rc = cn_call_validate_object(c, args);
    /* the project comes from the arguments, else from where the client runs */
    if (rc == CAIRN_INVAL && !cn_arg(c, "project_id") && strstr(c->err.msg, "'project_id'")) {
        cn_call_set_text(c, "project_id", cn_str(r->m->project));
        rc = cn_call_validate_object(c, args);
    }
    return rc;
}

static void tools_call(req *r)
{
    cn_jval name = cn_json_get(r->params, "name"), args = cn_json_get(r->params, "arguments");
    size_t t;
    for (t = 0; t < NTOOLS && !cn_json_str_eq(name, tools[t].tool); t++)
        ;
    if (!cn_json_is(name, CN_JSON_STRING)) {
        error_answer(r->b, r->id, -32602, "invalid params: field 'name' must be a string");
        return;
    }
    if (t == NTOOLS) {
        error_answer(r->b, r->id, -32602, "invalid params: no such tool");
        return;
    }
    if (cn_json_exists(args) && !cn_json_is(args, CN_JSON_OBJECT)) {
        error_answer(r->b, r->id, -32602, "invalid params: field 'arguments' must be an object");
        return;
    }
    cairn_str unknown = unknown_field(find_op(tools[t].op), tools[t].bounded, args, &r->m->a);
    if (unknown.ptr) {
        char msg[200];
        unknown = cn_str_cut(unknown, 80);
        snprintf(msg, sizeof msg, "invalid params: unknown field '%.*s' for %s",
                 (int)unknown.len, unknown.ptr, tools[t].tool);
        error_answer(r->b, r->id, -32602, msg);
        return;
    }
    cn_jval mt = cn_json_get(args, "max_tokens");
    int64_t max_tokens = DEFAULT_TOKENS;
    if (cn_json_exists(mt) && (cn_json_i64(mt, &max_tokens) || max_tokens < 1 ||
                                 max_tokens > MAX_TOKENS)) {
        error_answer(r->b, r->id, -32602,
                     "invalid params: field 'max_tokens' must be an integer from 1 to 10000000");
        return;
    }
    cn_call c;
    cairn_rc rc = prepare(r, t, args, &c);
    if (rc) {
        char msg[320];
        snprintf(msg, sizeof msg, "invalid params: %s", c.err.msg);
        error_answer(r->b, r->id, -32602, msg);
        cn_call_release(&c);
        return;
    }
    rc = cn_call_run(&c);
    /* over the budget: fewer items, while there are some to drop */
    size_t max = (size_t)max_tokens * BYTES_PER_TOKEN;
    int64_t asked = tools[t].count ? cn_arg_i64(&c, tools[t].count, tools[t].count_default) : 0,
            n = asked;
    while (!rc && tools[t].count && c.out.len > max && n > 1) {
        int64_t fewer = (int64_t)((double)n * (double)max / (double)c.out.len * 0.9);
        n = fewer >= n ? n - 1 : fewer < 1 ? 1 : fewer;
        char v[24];
        snprintf(v, sizeof v, "%lld", (long long)n);
        cn_call_release(&c);
        if (!(rc = prepare(r, t, args, &c)) &&
            !(rc = cn_call_set_text(&c, tools[t].count, cn_str(v))))
            rc = cn_call_run(&c);
    }
    if (rc) {
        cn_buf e;
        cn_buf_init(&e, 1 << 16);
        cn_api_error_json(&e, rc, c.err.msg, NULL);
        tool_result(r, cn_buf_str(&e), true, max_tokens, NULL);
        cn_buf_release(&e);
    } else if (n < asked && c.out.len <= max) {
        char note[200];
        snprintf(note, sizeof note,
                 "[%lld of the %lld %s asked fit in max_tokens=%lld; pass a larger max_tokens "
                 "for more]",
                 (long long)n, (long long)asked,
                 strcmp(tools[t].count, "messages") ? "items" : "messages", (long long)max_tokens);
        tool_result(r, cn_buf_str(&c.out), false, max_tokens, note);
    } else {
        tool_result(r, cn_buf_str(&c.out), false, tools[t].bounded ? max_tokens : INT32_MAX,
                    NULL);
    }
    cn_call_release(&c);
}

/* resources: a project's memories and a session's summary */
/*
 * The uri of a resource: cairn://KIND/ID/LEAF, the id percent-encoded (a
 * project id is often a path) but for RFC 3986's unreserved characters.
 */
static void resource_uri(cn_buf *b, const char *kind, cairn_str id, const char *leaf)
{
    static const char hex[] = "0123456789ABCDEF";
    cn_buf_reset(b);
    cn_buf_addf(b, "cairn://%s/", kind);
    for (size_t i = 0; i < id.len; i++) {
        unsigned char ch = (unsigned char)id.ptr[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~') {
            cn_buf_addc(b, (char)ch);
        } else {
            cn_buf_addc(b, '%');
            cn_buf_addc(b, hex[ch >> 4]);
            cn_buf_addc(b, hex[ch & 15]);
        }
    }
    cn_buf_addf(b, "/%s", leaf);
}

/*
 * The id of uri when it is cairn://KIND/ID/LEAF exactly, percent-decoded into id
 * (size bytes): false for any other uri, and for an id that is empty, holds a '/'
 * not encoded, a bad escape or a NUL, or does not fit.
 */
static bool resource_id(cairn_str uri, const char *kind, const char *leaf, char *id, size_t size)
{
    char head[32], tail[32];
    int hn = snprintf(head, sizeof head, "cairn://%s/", kind);
    int tn = snprintf(tail, sizeof tail, "/%s", leaf);
    if (uri.len <= (size_t)(hn + tn) || memcmp(uri.ptr, head, (size_t)hn) ||
        memcmp(uri.ptr + uri.len - tn, tail, (size_t)tn))
        return false;
    size_t n = 0;
    for (size_t i = (size_t)hn; i < uri.len - (size_t)tn; i++) {
        int hi, lo;
        char ch = uri.ptr[i];
        if (ch == '%') {
            if (i + 2 >= uri.len - (size_t)tn || (hi = cn_hex_digit(uri.ptr[i + 1])) < 0 ||
                (lo = cn_hex_digit(uri.ptr[i + 2])) < 0)
                return false;
            ch = (char)(hi * 16 + lo);
            i += 2;
        } else if (ch == '/' || ch == '?' || ch == '#') {
            return false;
        }
        if (!ch || n + 1 >= size)
            return false;
        id[n++] = ch;
    }
    id[n] = '\0';
    return n > 0;
}

/* A page of resources/list: this project's memories, then sessions, newest first. */
#define RES_PAGE 50

/* One entry of resources/list. */
static void put_resource(cn_jw *w, cairn_str uri, cairn_str name)
{
    cn_jw_obj(w);
    cn_jw_key(w, "uri");
    cn_jw_str(w, uri);
    cn_jw_key(w, "name");
    cn_jw_str(w, name);
    cn_jw_key(w, "mimeType");
    cn_jw_cstr(w, "application/json");
    cn_jw_obj_end(w);
}

/*
 * The page params.cursor names (the sessions to skip: a cursor is an offset
 * in decimal, as nextCursor gave it), 0 without one; -1 for a cursor this
 * server cannot have given.
 */
static long long list_cursor(req *r)
{
    cn_jval v = cn_json_get(r->params, "cursor");
    if (!cn_json_exists(v) || cn_json_is(v, CN_JSON_NULL))
        return 0;
    cairn_str c = cn_json_str_or(v, &r->m->a);
    int64_t off;
    return c.ptr && c.len <= 12 && c.ptr[0] != '-' && c.ptr[0] != '+' &&
                   cn_str_to_i64(c, &off) == CAIRN_OK
               ? off
               : -1;
}

static void resources_list(req *r)
{
    cn_jw w;
    char *json = NULL;
    size_t len, n = 0;
    long long off = list_cursor(r);
    if (off < 0) {
        error_answer(r->b, r->id, -32602,
                     "invalid params: field 'cursor' is not a cursor this server gave "
                     "(resources/list's nextCursor)");
        return;
    }
    /* one more than a page: whether there is a next one */
    cairn_session_filter f = {NULL, NULL, -1, RES_PAGE + 1, (size_t)off};
    begin(&w, r->b, r->id);
    cn_jw_key(&w, "result");
    cn_jw_obj(&w);
    cn_jw_key(&w, "resources");
    cn_jw_arr(&w);
    cn_buf uri;
    cn_buf_init(&uri, 0);
    if (!off) {
        resource_uri(&uri, "project", cn_str(r->m->project), "memories");
        put_resource(&w, cn_buf_str(&uri), cn_str("this project's memories"));
    }
    if (cairn_session_json(r->m->store, NULL, &f, &json, &len, NULL) == CAIRN_OK) {
        cn_json sj;
        cn_json_init(&sj);
        if (!cn_json_parse(&sj, json, len, NULL)) {
            cn_jiter it = cn_json_iter(cn_json_root(&sj));
            cn_jval s;
            while (cn_json_next(&it, NULL, &s) && ++n <= RES_PAGE) {
                cairn_str id = cn_json_str_or(cn_json_get(s, "session_id"), &r->m->a);
                cairn_str title = cn_json_str_or(cn_json_get(s, "title"), &r->m->a);
                if (!id.len)
                    continue;
                resource_uri(&uri, "session", id, "summary");
                put_resource(&w, cn_buf_str(&uri), title.ptr ? title : cn_buf_str(&uri));
            }
        }
        cn_json_release(&sj);
        free(json);
    }
    cn_buf_release(&uri);
    cn_jw_arr_end(&w);
    if (n > RES_PAGE) {
        char next[32];
        snprintf(next, sizeof next, "%lld", off + RES_PAGE);
        cn_jw_key(&w, "nextCursor");
        cn_jw_cstr(&w, next);
    }
    cn_jw_obj_end(&w);
    cn_jw_obj_end(&w);
    cn_jw_finish(&w);
}

static void resources_read(req *r)
{
    cn_jval uv = cn_json_get(r->params, "uri");
    char id[4096];
    const char *op = NULL, *arg = NULL;
    cairn_str u = cn_json_str_or(uv, &r->m->a);
    if (!u.ptr) {
        error_answer(r->b, r->id, -32602, "invalid params: field 'uri' must be a string");
        return;
    }
    if (resource_id(u, "project", "memories", id, sizeof id)) {
        op = "memory_list";
        arg = "project_id";
    } else if (resource_id(u, "session", "summary", id, sizeof id)) {
        op = "session_summary";
        arg = "session_id";
    }
    if (!op) { /* MCP: an unknown resource is -32002 */
        char msg[200];
        snprintf(msg, sizeof msg,
                 "resource not found: '%.*s%s' is not cairn://project/ID/memories or "
                 "cairn://session/ID/summary (ID percent-encoded)",
                 (int)(u.len > 80 ? 80 : u.len), u.ptr, u.len > 80 ? "..." : "");
        error_answer(r->b, r->id, -32002, msg);
        return;
    }
    cn_call c;
    cn_call_init(&c, find_op(op), r->m->store);
    cn_call_set_text(&c, arg, cn_str(id));
    cairn_rc rc = cn_call_validate(&c, (cairn_str){NULL, 0});
    if (!rc)
        rc = cn_call_run(&c);
    if (rc) {
        error_answer(r->b, r->id, rc == CAIRN_NOTFOUND ? -32002 : -32603, c.err.msg);
    } else {
        cn_jw w;
        begin(&w, r->b, r->id);
        cn_jw_key(&w, "result");
        cn_jw_obj(&w);
        cn_jw_key(&w, "contents");
        cn_jw_arr(&w);
        cn_jw_obj(&w);
        cn_jw_key(&w, "uri");
        cn_jw_str(&w, u);
        /* bounded as a tool's answer; cut, it is no longer JSON */
        bool cut = c.out.len > (size_t)DEFAULT_TOKENS * BYTES_PER_TOKEN;
        cn_jw_key(&w, "mimeType");
        cn_jw_cstr(&w, cut ? "text/plain" : "application/json");
        cn_jw_key(&w, "text");
        put_bounded(&w, cn_buf_str(&c.out), DEFAULT_TOKENS,
                    strcmp(op, "memory_list") ? "the session_summary tool takes a max_tokens"
                                              : "the memory_recall tool takes a max_tokens");
        cn_jw_obj_end(&w);
        cn_jw_arr_end(&w);
        cn_jw_obj_end(&w);
        cn_jw_obj_end(&w);
        cn_jw_finish(&w);
    }
    cn_call_release(&c);
}

static const struct {
    const char *name;
    void (*fn)(req *r);
} methods[] = {
    {"initialize", initialize},       {"ping", empty_result},
    {"tools/list", tools_list},       {"tools/call", tools_call},
    {"resources/list", resources_list}, {"resources/read", resources_read},
};

/* ---- roots: the client's workspace as the default project ---- */

/*
 * After the client's initialized (or roots/list_changed): ask for its roots, once
 * the line's answer is out (line(): a request of ours is a line of its own, never
 * in a batch's answer).  Each request has an id of its own, "cairn-roots-N".
 */
static void ask_roots(mcp *m)
{
    if (m->client_roots && !m->o->project)
        m->roots_due = true;
}

static void put_roots_request(mcp *m, cn_buf *b)
{
    m->roots_asked++;
    m->roots_waiting = m->holding = true;
    m->roots_deadline_ns = cn_mono_ns() + (uint64_t)ROOTS_WAIT_MS * 1000000;
    cn_buf_addf(b, "{\"jsonrpc\":\"2.0\",\"id\":\"cairn-roots-%u\",\"method\":\"roots/list\"}",
                m->roots_asked);
}

/* id is the one of our last roots/list, whose answer is awaited. */
static bool roots_answer(mcp *m, cn_jval id)
{
    char want[32];
    snprintf(want, sizeof want, "cairn-roots-%u", m->roots_asked);
    return m->roots_waiting && cn_json_str_eq(id, want);
}

/*
 * The answer to roots/list: the first file:// root becomes the project; none (no
 * roots, none local) gives back the working directory.
 */
static void take_roots(mcp *m, cn_jval result)
{
    memcpy(m->project, m->cwd_project, sizeof m->project);
    cn_jiter it = cn_json_iter(cn_json_get(result, "roots"));
    cn_jval root;
    while (cn_json_next(&it, NULL, &root)) {
        cairn_str u = cn_json_str_or(cn_json_get(root, "uri"), &m->a);
        static const char scheme[] = "file://";
        if (u.len < sizeof scheme || memcmp(u.ptr, scheme, sizeof scheme - 1))
            continue;
        char path[sizeof m->project];
        size_t n = 0, i = sizeof scheme - 1;
        if (u.len > i + 9 && !memcmp(u.ptr + i, "localhost/", 10)) /* RFC 8089: this host */
            i += 9;
        for (; i < u.len && n + 1 < sizeof path; i++) {
            int hi, lo;
            if (u.ptr[i] == '%' && i + 2 < u.len && (hi = cn_hex_digit(u.ptr[i + 1])) >= 0 &&
                (lo = cn_hex_digit(u.ptr[i + 2])) >= 0) {
                path[n++] = (char)(hi * 16 + lo);
                i += 2;
            } else {
                path[n++] = u.ptr[i];
            }
        }
        path[n] = '\0';
        if (i < u.len) /* too long to be a project id whole: not cut into another's */
            continue;
        if (n && path[0] == '/' && strlen(path) == n) { /* a local absolute path, no NUL */
            while (n > 1 && path[n - 1] == '/')
                path[--n] = '\0';
            memcpy(m->project, path, n + 1);
            return;
        }
    }
}

/* One message (not a batch) into b; nothing for a notification. */
static void handle(mcp *m, cn_jval msg, cn_buf *b)
{
    cn_jval none = {msg.doc, UINT32_MAX};
    if (!cn_json_is(msg, CN_JSON_OBJECT)) {
        error_answer(b, none, -32600, "invalid request: a message must be an object");
        return;
    }
    cn_jval id = cn_json_get(msg, "id"), method = cn_json_get(msg, "method");
    bool notification = !cn_json_exists(id);
    if (!cn_json_exists(method) && !notification &&
        (cn_json_exists(cn_json_get(msg, "result")) || cn_json_exists(cn_json_get(msg, "error")))) {
        if (roots_answer(m, id)) { /* a response: to our last roots/list, or ignored */
            m->roots_waiting = false;
            if (cn_json_exists(cn_json_get(msg, "result"))) /* an error keeps the project */
                take_roots(m, cn_json_get(msg, "result"));
        }
        return;
    }
    if (cn_json_exists(id) && !cn_json_is(id, CN_JSON_STRING) && !cn_json_is(id, CN_JSON_NUMBER)) {
        error_answer(b, none, -32600, "invalid request: id must be a string or a number");
        return;
    }
    if (!cn_json_str_eq(cn_json_get(msg, "jsonrpc"), "2.0") ||
        !cn_json_is(method, CN_JSON_STRING)) {
        if (!notification || !cn_json_exists(method))
            error_answer(b, id, -32600, "invalid request: needs jsonrpc \"2.0\" and a method");
        return;
    }
    if (notification) { /* no answer; some start a request of ours */
        if (cn_json_str_eq(method, "notifications/initialized") ||
            cn_json_str_eq(method, "notifications/roots/list_changed"))
            ask_roots(m);
        return;
    }
    cn_jval params = cn_json_get(msg, "params");
    if (cn_json_exists(params) && !cn_json_is(params, CN_JSON_OBJECT)) {
        error_answer(b, id, -32602, "invalid params: params must be an object");
        return;
    }
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
        if (cn_json_str_eq(method, methods[i].name)) {
            req r = {m, id, params, b};
            methods[i].fn(&r);
            return;
        }
    error_answer(b, id, -32601, "method not found");
}

/* A line: a message or a batch; the answer (if any) into m->out. */
static void answer_line(mcp *m, cairn_str text)
{
    cairn_err e;
    cn_jval none = {&m->j, UINT32_MAX};
    cn_buf_reset(&m->out);
    cn_arena_release(&m->a); /* the last line's strings */
    cn_arena_init(&m->a, 0, 2 * MAX_LINE);
    if (cn_json_parse(&m->j, text.ptr, text.len, &e)) {
        char msg[300];
        snprintf(msg, sizeof msg, "parse error: %s", e.msg);
        error_answer(&m->out, none, -32700, msg);
        return;
    }
    cn_jval root = cn_json_root(&m->j);
    if (!cn_json_is(root, CN_JSON_ARRAY)) {
        handle(m, root, &m->out);
        return;
    }
    if (m->version && !strcmp(m->version, "2025-06-18")) {
        error_answer(&m->out, none, -32600, "invalid request: batches are not part of 2025-06-18");
        return;
    }
    if (!cn_json_count(root)) {
        error_answer(&m->out, none, -32600, "invalid request: an empty batch");
        return;
    }
    cn_buf one;
    cn_buf_init(&one, (size_t)64 << 20);
    cn_buf_addc(&m->out, '[');
    bool any = false;
    cn_jiter it = cn_json_iter(root);
    cn_jval v;
    m->in_batch = true;
    while (cn_json_next(&it, NULL, &v)) {
        cn_buf_reset(&one);
        handle(m, v, &one);
        if (!one.len)
            continue;
        if (any)
            cn_buf_addc(&m->out, ',');
        cn_buf_addstr(&m->out, cn_buf_str(&one));
        any = true;
    }
    m->in_batch = false;
    cn_buf_release(&one);
    if (any)
        cn_buf_addc(&m->out, ']');
    else
        cn_buf_reset(&m->out); /* only notifications: no answer */
}

/* A line's answer, then (as a line of its own) a request of ours it has made due. */
static void line(mcp *m, cairn_str text)
{
    answer_line(m, text);
    if (m->roots_due) {
        m->roots_due = false;
        if (m->out.len)
            cn_buf_addc(&m->out, '\n');
        put_roots_request(m, &m->out);
    }
}

/* Answer a line over MAX_LINE with a parse error (its id is unknown). */
static cairn_rc refuse_line(mcp *m, int fd, cairn_err *err)
{
    cn_jval none = {&m->j, UINT32_MAX};
    char msg[128];
    snprintf(msg, sizeof msg, "parse error: a message over %zu bytes", MAX_LINE);
    cn_buf_reset(&m->out);
    error_answer(&m->out, none, -32700, msg);
    return send_line(&m->out, fd, err);
}

static cairn_str trim(cairn_str l)
{
    while (l.len &&
           (l.ptr[l.len - 1] == '\r' || l.ptr[l.len - 1] == ' ' || l.ptr[l.len - 1] == '\t'))
        l.len--;
    return l;
}

/* One whole line (no newline): its answer, if any, written as one line. */
static cairn_rc serve_line(mcp *m, cairn_str l, cairn_err *err)
{
    if (!(l = trim(l)).len)
        return CAIRN_OK;
    line(m, l);
    return m->out.len ? send_line(&m->out, m->o->out_fd, err) : CAIRN_OK;
}

/* Line l is a request (not a batch) calling a tool that writes the store. */
static bool writes(mcp *m, cairn_str l)
{
    cairn_err e;
    if (cn_json_parse(&m->peek, l.ptr, l.len, &e))
        return false;
    cn_jval msg = cn_json_root(&m->peek), params = cn_json_get(msg, "params");
    if (!cn_json_exists(cn_json_get(msg, "id")) ||
        !cn_json_str_eq(cn_json_get(msg, "method"), "tools/call"))
        return false;
    cn_jval name = cn_json_get(params, "name");
    for (size_t t = 0; t < NTOOLS; t++)
        if (cn_json_str_eq(name, tools[t].tool))
            return find_op(tools[t].op)->writes;
    return false;
}

/*
 * Lines l[0..n), each a call of a tool that writes, in one group of the
 * store; their answers are sent once it has committed.  If the group cannot
 * begin, ends early (SQLite rolled its transaction back) or cannot commit,
 * nothing of it is kept and the lines run one by one.
 */
static cairn_rc serve_group(mcp *m, const cairn_str *l, size_t n, cairn_err *err)
{
    cairn_err e;
    size_t i = 0;
    bool ok = n > 1 && !cairn_store_group_begin(m->store, &e);
    cn_buf_reset(&m->answers);
    for (; ok && i < n; i++) {
        line(m, trim(l[i]));
        if (!cairn_store_group_open(m->store))
            break; /* the transaction is gone, and what the group wrote with it */
        if (m->out.len &&
            (cn_buf_add(&m->answers, m->out.ptr, m->out.len) || cn_buf_addc(&m->answers, '\n')))
            break;
    }
    if (ok && i == n) {
        /* the folds its appends left for later (one that fails waits for the session's
         * next append), then the one commit */
        cairn_context_fold_due(m->store, CN_JOBS_FOLD_US, NULL, &e);
        if (!cairn_store_group_end(m->store, &e)) {
            if (write_all(m->o->out_fd, m->answers.ptr, m->answers.len))
                return cn_err_set(err, CAIRN_IO, "cannot write to stdout");
            return CAIRN_OK;
        }
        ok = false; /* rolled back by group_end */
    }
    if (ok) /* left early: roll the whole transaction back */
        cairn_store_group_abort(m->store);
    for (i = 0; i < n; i++) {
        cairn_rc rc = serve_line(m, l[i], err);
        if (rc)
            return rc;
    }
    return CAIRN_OK;
}

/* Complete lines are gathered here: calls that write, in a row, share a commit. */
typedef struct pending {
    cairn_str l[MAX_GROUP];
    size_t n;
} pending;

static cairn_rc flush(mcp *m, pending *p, cairn_err *err)
{
    cairn_rc rc = p->n ? serve_group(m, p->l, p->n, err) : CAIRN_OK;
    p->n = 0;
    return rc;
}

/* Line l is the client's answer to the roots/list awaited. */
static bool roots_answer_line(mcp *m, cairn_str l)
{
    cairn_err e;
    if (cn_json_parse(&m->peek, l.ptr, l.len, &e))
        return false;
    cn_jval msg = cn_json_root(&m->peek);
    return cn_json_is(msg, CN_JSON_OBJECT) && !cn_json_exists(cn_json_get(msg, "method")) &&
           roots_answer(m, cn_json_get(msg, "id"));
}

static cairn_rc take_line(mcp *m, pending *p, cairn_str l, bool more, cairn_err *err);

/*
 * Run the lines held while the roots were awaited (they came, or the wait is
 * over: the project stays what it was), in order; one of them may start a new
 * wait, and hold those after it again.
 */
static cairn_rc release_held(mcp *m, pending *p, cairn_err *err)
{
    cn_buf lines = m->held;
    cairn_rc rc = CAIRN_OK;
    m->holding = false;
    cn_buf_init(&m->held, HELD_MAX);
    for (size_t at = 0; at < lines.len && !rc;) {
        const char *nl = memchr(lines.ptr + at, '\n', lines.len - at);
        size_t len = (size_t)(nl - (lines.ptr + at));
        rc = take_line(m, p, (cairn_str){lines.ptr + at, len}, true, err);
        at += len + 1;
    }
    if (!rc)
        rc = flush(m, p, err); /* its lines point into lines */
    cn_buf_release(&lines);
    return rc;
}

/*
 * One complete line, run now or held for a group with the write calls after it.  more:
 * another complete line follows in what was read; with none, and none held, there is no
 * group to make, and the line is parsed once, as it runs (one request at a time, the
 * usual client).
 */
static cairn_rc take_line(mcp *m, pending *p, cairn_str l, bool more, cairn_err *err)
{
    cairn_rc rc;
    if (m->holding) {
        if (!roots_answer_line(m, trim(l))) { /* held, in order */
            size_t before = m->held.len;
            if (!cn_buf_add(&m->held, l.ptr, l.len) && !cn_buf_addc(&m->held, '\n'))
                return CAIRN_OK;
            cn_buf_truncate(&m->held, before); /* too much: run them without the roots */
            if ((rc = release_held(m, p, err)))
                return rc;
            return take_line(m, p, l, more, err);
        }
        if ((rc = serve_line(m, l, err)))
            return rc;
        return release_held(m, p, err);
    }
    if (!p->n && !more)
        return serve_line(m, l, err);
    if (!writes(m, trim(l))) {
        if ((rc = flush(m, p, err)))
            return rc;
        return serve_line(m, l, err);
    }
    if (p->n == MAX_GROUP && (rc = flush(m, p, err)))
        return rc;
    p->l[p->n++] = l;
    return CAIRN_OK;
}

/*
 * Wait up to index_idle_ms for input; none came: index what the saves left,
 * never waiting for another writer's lock (busy: the next quiet spell tries
 * again).  Another failure is logged and not tried again before more input:
 * the rows are stored, and wait.  false once input is there (or poll fails:
 * the read that follows tells).
 */
static bool idle(mcp *m)
{
    struct pollfd p = {.fd = m->o->in_fd, .events = POLLIN};
    if (poll(&p, 1, m->o->index_idle_ms > 0 ? m->o->index_idle_ms : INDEX_IDLE_MS) != 0)
        return false;
    cairn_err e;
    cairn_rc rc = cairn_memory_index(m->store, false, &e);
    if (rc && rc != CAIRN_BUSY) {
        fprintf(stderr, "cairn mcp: cannot index the memories saved: %s\n", e.msg);
        m->index_failed = true;
    }
    return true;
}

/* Input is there (or poll fails: the read that follows tells) before the deadline. */
static bool input_before(mcp *m, uint64_t deadline_ns)
{
    uint64_t now = cn_mono_ns();
    if (now >= deadline_ns)
        return false;
    struct pollfd p = {.fd = m->o->in_fd, .events = POLLIN};
    return poll(&p, 1, (int)((deadline_ns - now) / 1000000) + 1) != 0;
}

cairn_rc cn_mcp_run(const cn_mcp_opts *o, cairn_err *err)
{
    mcp m = {.o = o};
    pending p = {.n = 0};
    cn_buf in;
    cairn_rc rc = CAIRN_OK;
    bool skipping = false; /* inside an over-long line */

    if (o->project && strlen(o->project) >= sizeof m.project)
        return cn_err_set(err, CAIRN_INVAL, "--project is longer than %zu bytes",
                          sizeof m.project - 1);
    if (o->project)
        snprintf(m.project, sizeof m.project, "%s", o->project);
    else if (!getcwd(m.project, sizeof m.project))
        snprintf(m.project, sizeof m.project, "default");
    memcpy(m.cwd_project, m.project, sizeof m.project);
    if ((rc = cairn_store_open(o->data_dir, CAIRN_STORE_LEAN, &m.store, err)))
        return rc;
    cairn_memory_defer_index(m.store, INDEX_DEFER);
    cn_json_init(&m.j);
    cn_json_init(&m.peek);
    cn_arena_init(&m.a, 0, 2 * MAX_LINE);
    cn_buf_init(&m.out, (size_t)256 << 20);
    cn_buf_init(&m.answers, (size_t)1 << 30);
    cn_buf_init(&in, MAX_LINE + 65536);
    cn_buf_init(&m.held, HELD_MAX);
    for (;;) {
        char chunk[65536];
        if (m.holding && !input_before(&m, m.roots_deadline_ns)) { /* no roots in time */
            if ((rc = release_held(&m, &p, err)))
                goto out;
            continue;
        }
        if (cairn_memory_unindexed(m.store) && !m.index_failed && idle(&m))
            continue;
        ssize_t n = read(o->in_fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* EOF (or a read error): a clean end */
        m.index_failed = false;
        cn_buf_add(&in, chunk, (size_t)n);
        size_t start = 0;
        char *nl = memchr(in.ptr, '\n', in.len), *next;
        for (; nl; nl = next) {
            next = memchr(nl + 1, '\n', in.len - (size_t)(nl + 1 - in.ptr));
            size_t len = (size_t)(nl - (in.ptr + start));
            if (skipping) {
                skipping = false;
            } else if (len > MAX_LINE) {
                if ((rc = flush(&m, &p, err)) || (rc = refuse_line(&m, o->out_fd, err)))
                    goto out;
            } else if ((rc = take_line(&m, &p, (cairn_str){in.ptr + start, len}, next != NULL,
                                       err))) {
                goto out;
            }
            start += len + 1;
        }
        if ((rc = flush(&m, &p, err))) /* the lines point into in */
            goto out;
        memmove(in.ptr, in.ptr + start, in.len - start);
        cn_buf_truncate(&in, in.len - start);
        if (in.len > MAX_LINE) { /* a line over the limit: refuse it (once), skip to its end */
            if (!skipping && (rc = refuse_line(&m, o->out_fd, err)))
                goto out;
            cn_buf_reset(&in);
            skipping = true;
        }
    }
    if (m.holding && (rc = release_held(&m, &p, err))) /* EOF: no roots will come */
        goto out;
    if (!skipping && in.len) /* a last line without its newline is still answered */
        rc = serve_line(&m, cn_buf_str(&in), err);
out:
    cn_buf_release(&in);
    cn_buf_release(&m.out);
    cn_buf_release(&m.answers);
    cn_buf_release(&m.held);
    cn_json_release(&m.j);
    cn_json_release(&m.peek);
    cn_arena_release(&m.a);
    cairn_store_close(m.store);
    return rc;
}
