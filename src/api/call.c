/*
 * api/call.c - argument validation from the schema, dispatch, and the one
 * table that maps cairn_rc to HTTP statuses and JSON-RPC codes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/err.h"
#include "base/str.h"

static const struct {
    cairn_rc rc;
    int http;
    int jsonrpc;
    const char *code;
} errors[] = {
    {CAIRN_INVAL, 400, -32602, "invalid_request"},
    {CAIRN_PARSE, 400, -32602, "invalid_request"},
    {CAIRN_RANGE, 422, -32602, "out_of_range"},
    {CAIRN_NOTFOUND, 404, -32001, "not_found"},
    {CAIRN_EXISTS, 409, -32002, "conflict"},
    {CAIRN_TOOBIG, 413, -32003, "too_large"},
    {CAIRN_PERM, 403, -32004, "forbidden"},
    {CAIRN_BUSY, 503, -32005, "unavailable"},
    {CAIRN_SCHEMA, 503, -32005, "unavailable"},
    {CAIRN_FULL, 507, -32006, "insufficient_storage"}, /* RFC 4918: retry once there is room */
};

static int find_error(cairn_rc rc)
{
    for (size_t i = 0; i < sizeof errors / sizeof errors[0]; i++)
        if (errors[i].rc == rc)
            return (int)i;
    return -1;
}

int cn_api_http_status(cairn_rc rc)
{
    int i = find_error(rc);
    return i < 0 ? 500 : errors[i].http;
}

int cn_api_jsonrpc_code(cairn_rc rc)
{
    int i = find_error(rc);
    return i < 0 ? -32603 : errors[i].jsonrpc;
}

void cn_api_error_json(cn_buf *out, cairn_rc rc, const char *message, const char *detail)
{
    int i = find_error(rc);
    cn_jw w;
    cn_buf_reset(out);
    cn_jw_init(&w, out, false);
    cn_jw_obj(&w);
    cn_jw_key(&w, "error");
    cn_jw_obj(&w);
    cn_jw_key(&w, "code");
    cn_jw_cstr(&w, i < 0 ? "internal" : errors[i].code);
    cn_jw_key(&w, "message");
    cn_jw_cstr(&w, message);
    cn_jw_obj_end(&w);
    cn_jw_key(&w, "detail");
    cn_jw_cstr(&w, detail ? detail : cairn_rc_text(rc));
    cn_jw_obj_end(&w);
}

void cn_call_init(cn_call *c, const cn_op *op, cairn_store *store)
{
    memset(c, 0, sizeof *c);
    c->op = op;
    c->store = store;
    cn_json_init(&c->body);
    cn_arena_init(&c->arena, 8 << 10, (size_t)64 << 20);
    cn_buf_init(&c->out, (size_t)256 << 20);
    cn_jw_init(&c->w, &c->out, false);
}

bool cn_call_defer(cn_call *c, cn_write_fn fn, void *arg, void (*release)(void *arg))
{
    c->defer_fn = fn;
    c->defer_arg = arg;
    c->defer_release = release;
    if (c->defer_ok)
        return true;
    cairn_err ignored; /* bookkeeping: a failure (busy, read-only) leaves the read standing */
    fn(c->store, arg, &ignored);
    c->defer_fn = NULL;
    return false;
}

cairn_rc cn_call_run_deferred(cn_call *c, cairn_store *s)
{
    return c->defer_fn ? c->defer_fn(s, c->defer_arg, &c->err) : CAIRN_OK;
}

void cn_call_release(cn_call *c)
{
    if (c->defer_release)
        c->defer_release(c->defer_arg);
    cn_json_release(&c->body);
    cn_arena_release(&c->arena);
    cn_buf_release(&c->out);
}

static int arg_index(const cn_op *op, const char *name)
{
    for (int i = 0; i < CN_OP_MAX_ARGS && op->args[i].name; i++)
        if (!strcmp(op->args[i].name, name))
            return i;
    return -1;
}

cairn_rc cn_call_set_text(cn_call *c, const char *name, cairn_str value)
{
    int i = arg_index(c->op, name);
    if (i < 0)
        return CAIRN_OK; /* not an argument of this operation: ignored */
    const char *v = cn_arena_cstr(&c->arena, value.ptr, value.len);
    if (!v)
        return CAIRN_NOMEM;
    c->sval[i] = v;
    c->present[i] = true;
    return CAIRN_OK;
}

static const char *const type_names[] = {"a string", "an integer", "a number", "a boolean",
                                          "an object"};

/* A number that no value of a's type can be (past 64 bits, past a double): 422. */
static cairn_rc out_of_range(cn_call *c, const cn_arg_spec *a)
{
    if (a->min < a->max)
        return cn_err_set(&c->err, CAIRN_RANGE, "field '%s' must be between %.15g and %.15g",
                          a->name, a->min, a->max);
    return cn_err_set(&c->err, CAIRN_RANGE, "field '%s' is out of range", a->name);
}

static cairn_rc check_text(cn_call *c, int i)
{
    const cn_arg_spec *a = &c->op->args[i];
    const char *v = c->sval[i];
    char *end;
    double d;
    switch (a->type) {
    case CN_ARG_STR:
    case CN_ARG_OBJ: /* objects come only from the body, checked as they were taken */
        return CAIRN_OK;
    case CN_ARG_BOOL:
        if (!strcmp(v, "true") || !strcmp(v, "false") || !strcmp(v, "1") || !strcmp(v, "0"))
            return CAIRN_OK;
        break;
    case CN_ARG_INT: {
        int64_t n;
        if (cn_str_to_i64(cn_str(v), &n) == CAIRN_OK) {
            d = (double)n;
            goto range;
        }
        /* digits too many for 64 bits: a number, out of range (422, not 400) */
        const char *digits = v + (*v == '-');
        if (*digits && strspn(digits, "0123456789") == strlen(digits))
            goto huge;
        break;
    }
    case CN_ARG_NUM:
        d = strtod(v, &end);
        if (*v && !*end && isfinite(d))
            goto range;
        if (*v && !*end && !isnan(d)) /* 1e400: a number, out of range */
            goto huge;
        break;
    default:
        break;
    }
    return cn_err_set(&c->err, CAIRN_INVAL, "field '%s' must be %s", a->name,
                      type_names[a->type]);
range:
    if (a->min < a->max && (d < a->min || d > a->max)) /* bounds in full: 4294967295 */
        return cn_err_set(&c->err, CAIRN_RANGE, "field '%s' must be between %.15g and %.15g",
                          a->name, a->min, a->max);
    return CAIRN_OK;
huge:
    return out_of_range(c, a);
}

/* A body value: type-checked, and kept as text for the handlers. */
static cairn_rc take_json(cn_call *c, int i, cn_jval v)
{
    static const cn_json_type want[] = {CN_JSON_STRING, CN_JSON_NUMBER, CN_JSON_NUMBER,
                                        CN_JSON_TRUE, CN_JSON_OBJECT};
    const cn_arg_spec *a = &c->op->args[i];
    cn_json_type t = cn_json_typeof(v);
    if (t == CN_JSON_NULL)
        return CAIRN_OK; /* null is absent */
    bool ok = t == want[a->type] || (a->type == CN_ARG_BOOL && t == CN_JSON_FALSE);
    if (!ok)
        return cn_err_set(&c->err, CAIRN_INVAL, "field '%s' must be %s", a->name,
                          type_names[a->type]);
    cairn_str s;
    if (t == CN_JSON_STRING) {
        if (cn_json_str(v, &c->arena, &s))
            return CAIRN_NOMEM;
        if (memchr(s.ptr, '\0', s.len)) /* handlers take C strings: it would cut the value */
            return cn_err_set(&c->err, CAIRN_INVAL, "field '%s' must not contain NUL (\\u0000)",
                              a->name);
    } else {
        s = cn_json_raw(v);
    }
    char whole[24];
    if (a->type == CN_ARG_INT && t == CN_JSON_NUMBER &&
        (memchr(s.ptr, '.', s.len) || memchr(s.ptr, 'e', s.len) || memchr(s.ptr, 'E', s.len))) {
        /* JSON Schema's integer: any number with a zero fraction (2.0, 1e3) */
        double d;
        bool num = !cn_json_f64(v, &d) && isfinite(d); /* not: past a double (1e400) */
        if (num && d != floor(d))
            return cn_err_set(&c->err, CAIRN_INVAL, "field '%s' must be an integer", a->name);
        if (!num || fabs(d) > 9007199254740992.0) /* 1e19: a whole number, out of range */
            return out_of_range(c, a);
        s = (cairn_str){whole, (size_t)snprintf(whole, sizeof whole, "%.0f", d)};
    }
    c->jval[i] = v;
    c->present[i] = true;
    c->sval[i] = cn_arena_cstr(&c->arena, s.ptr, s.len);
    return c->sval[i] ? CAIRN_OK : CAIRN_NOMEM;
}

static cairn_rc check_all(cn_call *c);

cairn_rc cn_call_validate_object(cn_call *c, cn_jval args)
{
    cairn_rc rc;
    if (cn_json_exists(args) && !cn_json_is(args, CN_JSON_OBJECT))
        return cn_err_set(&c->err, CAIRN_INVAL, "the arguments must be a JSON object");
    for (int i = 0; i < CN_OP_MAX_ARGS && c->op->args[i].name; i++) {
        cn_jval v = cn_json_get(args, c->op->args[i].name);
        if (!cn_json_exists(v))
            continue;
        /* numbers and booleans may come as JSON values where HTTP sends text */
        if (cn_json_is(v, CN_JSON_STRING) && c->op->args[i].type != CN_ARG_STR &&
            c->op->args[i].type != CN_ARG_OBJ)
            return cn_err_set(&c->err, CAIRN_INVAL, "field '%s' must be %s", c->op->args[i].name,
                              type_names[c->op->args[i].type]);
        if ((rc = take_json(c, i, v)))
            return rc;
    }
    return check_all(c);
}

bool cn_op_takes_body(const cn_op *op)
{
    for (int i = 0; i < CN_OP_MAX_ARGS && op->args[i].name; i++)
        if (op->args[i].flags & CN_IN_BODY)
            return true;
    return false;
}

cairn_rc cn_call_validate(cn_call *c, cairn_str body)
{
    const cn_op *op = c->op;
    cairn_rc rc;
    if (cn_op_takes_body(op) && body.len) {
        cairn_err e;
        if (cn_json_parse(&c->body, body.ptr, body.len, &e))
            return cn_err_set(&c->err, CAIRN_PARSE, "malformed JSON body: %s", e.msg);
        cn_jval root = cn_json_root(&c->body);
        if (!cn_json_is(root, CN_JSON_OBJECT))
            return cn_err_set(&c->err, CAIRN_INVAL, "the body must be a JSON object");
        for (int i = 0; i < CN_OP_MAX_ARGS && op->args[i].name; i++) {
            if (!(op->args[i].flags & CN_IN_BODY))
                continue;
            cn_jval v = cn_json_get(root, op->args[i].name);
            if (cn_json_exists(v) && (rc = take_json(c, i, v)))
                return rc;
        }
    }
    return check_all(c);
}

static cairn_rc check_all(cn_call *c)
{
    cairn_rc rc;
    for (int i = 0; i < CN_OP_MAX_ARGS && c->op->args[i].name; i++) {
        const cn_arg_spec *a = &c->op->args[i];
        if (!c->present[i]) {
            if (a->flags & CN_REQUIRED)
                return cn_err_set(&c->err, CAIRN_INVAL, "field '%s' is required", a->name);
            continue;
        }
        if ((rc = check_text(c, i)))
            return rc;
    }
    return CAIRN_OK;
}

cairn_rc cn_call_run(cn_call *c)
{
    cairn_rc rc = c->op->run(c);
    return rc ? rc : cn_call_answer(c);
}

cairn_rc cn_call_then(cn_call *c, cairn_rc (*fn)(cn_call *c))
{
    c->then = fn;
    return CAIRN_OK;
}

cairn_rc cn_call_answer(cn_call *c)
{
    cairn_rc (*then)(cn_call *) = c->then;
    c->then = NULL;
    cairn_rc rc = then ? then(c) : CAIRN_OK;
    if (!rc && cn_jw_finish(&c->w))
        rc = cn_err_set(&c->err, CAIRN_TOOBIG, "the answer is too large");
    return rc;
}

const char *cn_arg(cn_call *c, const char *name)
{
    int i = arg_index(c->op, name);
    return i >= 0 && c->present[i] ? c->sval[i] : NULL;
}

int64_t cn_arg_i64(cn_call *c, const char *name, int64_t def)
{
    const char *v = cn_arg(c, name);
    int64_t n;
    return v && cn_str_to_i64(cn_str(v), &n) == CAIRN_OK ? n : def;
}

double cn_arg_f64(cn_call *c, const char *name, double def)
{
    const char *v = cn_arg(c, name);
    return v ? strtod(v, NULL) : def;
}

cairn_str cn_arg_json(cn_call *c, const char *name)
{
    int i = arg_index(c->op, name);
    if (i < 0 || !c->present[i] || !cn_json_exists(c->jval[i]))
        return (cairn_str){NULL, 0};
    return cn_json_raw(c->jval[i]);
}

void cn_api_snippet(cn_buf *out, const char *s, const char *open, const char *close)
{
    cn_buf_reset(out);
    for (; s && *s; s++) {
        if (*s == '\x01')
            cn_buf_adds(out, open);
        else if (*s == '\x02')
            cn_buf_adds(out, close);
        else
            cn_buf_addc(out, *s == '\n' || *s == '\r' || *s == '\t' ? ' ' : *s);
    }
}

void cn_api_hits_json(cn_jw *w, const cairn_hits *h)
{
    static const char *const keys[] = {"agent", "project_id", "directory", "session_id",
                                       "session_title", "message_id", "part_id", "type", "role",
                                       "tool"};
    cn_buf snip;
    cn_buf_init(&snip, (size_t)1 << 20);
    cn_jw_obj(w);
    cn_jw_key(w, "capped");
    cn_jw_bool(w, h->capped);
    cn_jw_key(w, "hits");
    cn_jw_arr(w);
    for (size_t i = 0; i < h->n; i++) {
        const cairn_hit *x = &h->items[i];
        const char *vals[] = {x->agent, x->project_id, x->directory, x->session_id,
                              x->session_title, x->message_id, x->part_id, x->part_type,
                              x->role, x->tool};
        cn_jw_obj(w);
        cn_jw_key(w, "score");
        cn_jw_f64(w, x->score);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            cn_jw_key(w, keys[k]);
            cn_jw_cstr(w, vals[k]);
        }
        cn_jw_key(w, "time");
        cn_jw_time(w, x->time_ms);
        cn_api_snippet(&snip, x->snippet, "**", "**");
        cn_jw_key(w, "snippet");
        cn_jw_cstr(w, cn_buf_cstr(&snip));
        cn_jw_obj_end(w);
    }
    cn_jw_arr_end(w);
    cn_jw_obj_end(w);
    cn_buf_release(&snip);
}

void cn_api_watch_json(cn_jw *w, const cairn_watch_state *st)
{
    cn_jw_obj(w);
    cn_jw_key(w, "running");
    cn_jw_bool(w, st->running);
    cn_jw_key(w, "pid");
    cn_jw_i64(w, st->pid);
    cn_jw_key(w, "backend");
    cn_jw_cstr(w, st->backend);
    cn_jw_key(w, "directories");
    cn_jw_i64(w, st->dirs);
    cn_jw_key(w, "last_event");
    cn_jw_time(w, st->last_event_ms); /* null: none yet */
    cn_jw_key(w, "last_index");
    cn_jw_time(w, st->last_index_ms);
    cn_jw_key(w, "lag_ms");
    cn_jw_f64(w, st->lag_ms);
    cn_jw_key(w, "backlog");
    cn_jw_i64(w, st->backlog);
    cn_jw_key(w, "overflows");
    cn_jw_i64(w, st->overflows);
    cn_jw_obj_end(w);
}

void cn_api_memory_json(cn_jw *w, const cairn_memory *m)
{
    cn_jw_obj(w);
    cn_jw_key(w, "memory_id");
    cn_jw_cstr(w, m->memory_id);
    cn_jw_key(w, "project_id");
    cn_jw_cstr(w, m->project_id);
    cn_jw_key(w, "memory_key");
    cn_jw_cstr(w, m->key);
    cn_jw_key(w, "memory_value");
    cn_jw_cstr(w, m->value);
    cn_jw_key(w, "created_at");
    cn_jw_time(w, m->created_ms);
    cn_jw_key(w, "last_accessed");
    cn_jw_time(w, m->last_accessed_ms);
    cn_jw_key(w, "accessed_count");
    cn_jw_i64(w, m->accessed_count);
    cn_jw_key(w, "metadata_json");
    if (m->metadata_json)
        cn_jw_raw(w, cn_str(m->metadata_json));
    else
        cn_jw_null(w);
    cn_jw_key(w, "ttl_seconds");
    if (m->ttl_seconds)
        cn_jw_i64(w, m->ttl_seconds);
    else
        cn_jw_null(w);
    cn_jw_key(w, "expires_at");
    cn_jw_time(w, m->expires_ms);
    cn_jw_key(w, "version");
    cn_jw_i64(w, m->version);
    if (m->deleted_ms || m->superseded_ms) {
        cn_jw_key(w, "deleted_at");
        cn_jw_time(w, m->deleted_ms);
        cn_jw_key(w, "superseded_at");
        cn_jw_time(w, m->superseded_ms);
    }
    cn_jw_obj_end(w);
}
