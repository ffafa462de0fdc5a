/*
 * source/opencode/hydrate.c - opencode JSON objects -> common records.
 *
 * Every unit is parsed once (one reused tape) and only the fields the
 * records need are looked at.  Strings without escapes stay spans into the
 * resolved content, which the batch adopts; escaped ones are decoded into
 * the batch arena.  Ids come from the unit (path or row columns), never from
 * inside the object (formats §4.1: the path wins).
 *
 * After parsing: projects are merged by id, sessions ordered by creation,
 * messages grouped by session in (time_created, id) order, parts grouped by
 * message in id order (formats §3.5), orphans reported, and session totals
 * computed from assistant messages where the agent kept none (§8.6).
 */
#include "source/opencode/oc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/str.h"
#include "json/json.h"
#include "source/batch.h"

typedef struct hy {
    cairn_batch *b;
    cn_arena *a;
    cairn_report *rep;
    cn_json j;
    const cn_unit *u; /* the unit being read, for issues */
} hy;

static const char *const type_names[] = {"none", "null", "false", "true", "number",
                                         "string", "array", "object"};

static void issue(hy *h, cairn_rc rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void issue(hy *h, cairn_rc rc, const char *fmt, ...)
{
    char msg[512], where[4400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (h->u->origin == CAIRN_ORIGIN_SQLITE)
        snprintf(where, sizeof where, "%.*s: %s %.*s", CAIRN_STR_FMT(h->u->path),
                 h->u->kind == CAIRN_ITEM_PART ? "part" : "message", CAIRN_STR_FMT(h->u->id));
    else
        snprintf(where, sizeof where, "%.*s", CAIRN_STR_FMT(h->u->path));
    cairn_report_add(h->rep, rc, where, msg);
}

/* False (and an issue) when v exists but is not of type t. */
static bool typed(hy *h, cn_jval v, cn_json_type t, const char *field)
{
    cn_json_type have = cn_json_typeof(v);
    if (have == CN_JSON_NONE || have == t || have == CN_JSON_NULL)
        return true;
    issue(h, CAIRN_PARSE, "field '%s' is %s %s, expected %s", field,
          have == CN_JSON_ARRAY || have == CN_JSON_OBJECT ? "an" : "a", type_names[have],
          type_names[t]);
    return false;
}

static cairn_str S(hy *h, cn_jval v)
{
    return cn_json_str_or(v, h->a);
}

static int64_t I(cn_jval v)
{
    return cn_json_i64_or(v, 0);
}

static cairn_tokens tokens(cn_jval t)
{
    cn_jval cache = cn_json_get(t, "cache");
    return (cairn_tokens){I(cn_json_get(t, "input")), I(cn_json_get(t, "output")),
                          I(cn_json_get(t, "reasoning")), I(cn_json_get(cache, "read")),
                          I(cn_json_get(cache, "write"))};
}

/* ---- one record per unit ---- */

static bool read_project(hy *h, cn_jval o, cairn_project *p)
{
    cn_jval time = cn_json_get(o, "time");
    memset(p, 0, sizeof *p);
    p->agent = CAIRN_AGENT_OPENCODE;
    p->origin = h->u->origin;
    p->id = h->u->id;
    p->worktree = S(h, cn_json_get(o, "worktree"));
    p->vcs = S(h, cn_json_get(o, "vcs"));
    p->name = S(h, cn_json_get(o, "name"));
    p->time_created_ms = I(cn_json_get(time, "created"));
    p->time_updated_ms = I(cn_json_get(time, "updated"));
    cn_jval dirs = cn_json_get(o, "directories");
    size_t n = cn_json_count(dirs) + 1;
    cairn_str *d = cn_arena_alloc(h->a, n * sizeof *d);
    if (!d)
        return false;
    if (p->worktree.len)
        d[p->ndirs++] = p->worktree;
    cn_jiter it = cn_json_iter(dirs);
    cn_jval v;
    while (cn_json_next(&it, NULL, &v)) {
        cairn_str s = S(h, v);
        if (s.len && !cn_str_eq(s, p->worktree))
            d[p->ndirs++] = s;
    }
    p->dirs = d;
    return true;
}

static bool read_session(hy *h, cn_jval o, cairn_session *s)
{
    static const char *const keys[] = {"slug", "title", "directory", "version", "parentID",
                                       "time", "summary", "cost", "tokens", "agent", "model"};
    cn_jval f[11];
    cn_json_fields(o, keys, 11, f);
    /* a field of the wrong type is an issue; the session is still read without it */
    typed(h, f[1], CN_JSON_STRING, "title");
    typed(h, f[5], CN_JSON_OBJECT, "time");
    memset(s, 0, sizeof *s);
    s->agent = CAIRN_AGENT_OPENCODE;
    s->origin = h->u->origin;
    s->id = h->u->id;
    s->project_id = h->u->parent_id;
    s->slug = S(h, f[0]);
    s->title = S(h, f[1]);
    s->directory = S(h, f[2]);
    s->version = S(h, f[3]);
    s->parent_id = S(h, f[4]);
    s->time_created_ms = I(cn_json_get(f[5], "created"));
    s->time_updated_ms = I(cn_json_get(f[5], "updated"));
    s->time_archived_ms = I(cn_json_get(f[5], "archived"));
    s->additions = I(cn_json_get(f[6], "additions"));
    s->deletions = I(cn_json_get(f[6], "deletions"));
    s->files_changed = I(cn_json_get(f[6], "files"));
    s->cost = cn_json_f64_or(f[7], 0);
    s->tokens = tokens(f[8]);
    s->agent_name = S(h, f[9]);
    s->model_id = S(h, cn_json_get(f[10], "id"));
    s->provider_id = S(h, cn_json_get(f[10], "providerID"));
    s->source_path = h->u->path;
    s->key = s->id;
    s->project = s->parent = CAIRN_NONE;
    if (!s->time_created_ms)
        s->time_created_ms = h->u->time_created_ms;
    return true;
}

static bool read_message(hy *h, cn_jval o, cairn_message *m)
{
    static const char *const keys[] = {"role", "time", "agent", "mode", "model", "providerID",
                                       "modelID", "parentID", "cost", "tokens", "finish",
                                       "summary", "error"};
    cn_jval f[13];
    cn_json_fields(o, keys, 13, f);
    if (!cn_json_is(f[0], CN_JSON_STRING)) {
        issue(h, CAIRN_PARSE, cn_json_exists(f[0]) ? "field 'role' is not a string"
                                                   : "no 'role' field");
        return false;
    }
    typed(h, f[1], CN_JSON_OBJECT, "time");
    typed(h, f[9], CN_JSON_OBJECT, "tokens");
    typed(h, f[8], CN_JSON_NUMBER, "cost");
    memset(m, 0, sizeof *m);
    m->id = h->u->id;
    m->session_id = h->u->session_id;
    m->role = S(h, f[0]);
    m->time_created_ms = I(cn_json_get(f[1], "created"));
    m->time_completed_ms = I(cn_json_get(f[1], "completed"));
    if (!m->time_created_ms)
        m->time_created_ms = h->u->time_created_ms;
    m->agent_name = S(h, cn_json_exists(f[2]) ? f[2] : f[3]);
    if (cn_json_is(f[4], CN_JSON_OBJECT)) { /* user: model{providerID, modelID} */
        m->provider_id = S(h, cn_json_get(f[4], "providerID"));
        m->model_id = S(h, cn_json_get(f[4], "modelID"));
    } else {
        m->provider_id = S(h, f[5]);
        m->model_id = S(h, f[6]);
    }
    m->parent_id = S(h, f[7]);
    m->cost = cn_json_f64_or(f[8], 0);
    m->tokens = tokens(f[9]);
    m->finish = S(h, f[10]);
    m->summary = cn_json_is(f[11], CN_JSON_TRUE);
    m->error_name = S(h, cn_json_get(f[12], "name"));
    m->error_message = S(h, cn_json_path(f[12], "data", "message", NULL));
    m->session = CAIRN_NONE;
    return true;
}

static void read_tool(hy *h, cn_jval o, cairn_part *p)
{
    cn_jval st = cn_json_get(o, "state");
    static const char *const keys[] = {"status", "input", "output", "error", "title",
                                       "metadata", "time"};
    cn_jval f[7];
    typed(h, st, CN_JSON_OBJECT, "state");
    cn_json_fields(st, keys, 7, f);
    p->u.tool.name = S(h, cn_json_get(o, "tool"));
    p->u.tool.call_id = S(h, cn_json_get(o, "callID"));
    p->status = (uint8_t)cairn_tool_status_parse(S(h, f[0]));
    p->u.tool.input = cn_json_raw(f[1]);
    p->u.tool.output = S(h, f[2]);
    p->u.tool.error = S(h, f[3]);
    p->u.tool.title = S(h, f[4]);
    p->u.tool.child_session_id = S(h, cn_json_get(f[5], "sessionId"));
    p->time_start_ms = I(cn_json_get(f[6], "start"));
    p->time_end_ms = I(cn_json_get(f[6], "end"));
}

static bool read_part(hy *h, cn_jval o, cairn_part *p)
{
    cn_jval type = cn_json_get(o, "type");
    if (!cn_json_is(type, CN_JSON_STRING)) {
        issue(h, CAIRN_PARSE, cn_json_exists(type) ? "field 'type' is not a string"
                                                   : "no 'type' field");
        return false;
    }
    memset(p, 0, sizeof *p);
    p->id = h->u->id;
    p->message_id = h->u->parent_id;
    p->session_id = h->u->session_id;
    p->type_name = S(h, type);
    p->type = (uint8_t)cairn_part_type_parse(p->type_name);
    p->message = CAIRN_NONE;
    cn_jval time = cn_json_get(o, "time");
    p->time_start_ms = I(cn_json_get(time, "start"));
    p->time_end_ms = I(cn_json_get(time, "end"));
    switch (p->type) {
    case CAIRN_PART_TEXT:
    case CAIRN_PART_REASONING:
        if (!typed(h, cn_json_get(o, "text"), CN_JSON_STRING, "text"))
            return false;
        p->u.text.text = S(h, cn_json_get(o, "text"));
        p->synthetic = cn_json_bool_or(cn_json_get(o, "synthetic"), false);
        p->ignored = cn_json_bool_or(cn_json_get(o, "ignored"), false);
        break;
    case CAIRN_PART_TOOL:
        read_tool(h, o, p);
        break;
    case CAIRN_PART_FILE: {
        cn_jval src = cn_json_get(o, "source");
        p->u.file.mime = S(h, cn_json_get(o, "mime"));
        p->u.file.filename = S(h, cn_json_get(o, "filename"));
        p->u.file.url = S(h, cn_json_get(o, "url"));
        p->u.file.source_path = S(h, cn_json_get(src, cn_json_exists(cn_json_get(src, "path"))
                                                          ? "path" : "uri"));
        break;
    }
    case CAIRN_PART_STEP_START:
    case CAIRN_PART_STEP_FINISH:
    case CAIRN_PART_SNAPSHOT:
        p->u.step.reason = S(h, cn_json_get(o, "reason"));
        p->u.step.snapshot = S(h, cn_json_get(o, "snapshot"));
        p->u.step.tokens = tokens(cn_json_get(o, "tokens"));
        p->u.step.cost = cn_json_f64_or(cn_json_get(o, "cost"), 0);
        break;
    case CAIRN_PART_PATCH:
        p->u.patch.hash = S(h, cn_json_get(o, "hash"));
        p->u.patch.files = cn_json_raw(cn_json_get(o, "files"));
        break;
    case CAIRN_PART_AGENT:
        p->u.agent.name = S(h, cn_json_get(o, "name"));
        break;
    case CAIRN_PART_SUBTASK:
        p->u.subtask.prompt = S(h, cn_json_get(o, "prompt"));
        p->u.subtask.description = S(h, cn_json_get(o, "description"));
        p->u.subtask.agent = S(h, cn_json_get(o, "agent"));
        p->u.subtask.command = S(h, cn_json_get(o, "command"));
        break;
    case CAIRN_PART_RETRY: {
        cn_jval e = cn_json_get(o, "error");
        p->u.retry.attempt = I(cn_json_get(o, "attempt"));
        p->u.retry.error = S(h, cn_json_path(e, "data", "message", NULL));
        if (!p->u.retry.error.ptr)
            p->u.retry.error = S(h, cn_json_get(e, "name"));
        p->time_start_ms = I(cn_json_get(time, "created"));
        break;
    }
    case CAIRN_PART_COMPACTION:
        p->u.compaction.automatic = cn_json_bool_or(cn_json_get(o, "auto"), false);
        p->u.compaction.overflow = cn_json_bool_or(cn_json_get(o, "overflow"), false);
        break;
    default:
        break; /* unknown types are kept with their name, nothing else */
    }
    return true;
}

static void read_todo(hy *h, cn_jval v, cairn_todo *t, int64_t pos)
{
    t->session_id = h->u->session_id;
    t->id = S(h, cn_json_get(v, "id"));
    t->content = S(h, cn_json_get(v, "content"));
    t->status = S(h, cn_json_get(v, "status"));
    t->priority = S(h, cn_json_get(v, "priority"));
    t->position = cn_json_i64_or(cn_json_get(v, "position"), pos);
}

/* A G1 todo file is an array of todos; a SQLite row is built as one object. */
static void read_todos(hy *h, cn_jval o, cairn_todo *out, size_t *n, size_t cap)
{
    cn_jval v;
    if (cn_json_is(o, CN_JSON_OBJECT)) {
        if (*n < cap)
            read_todo(h, o, &out[(*n)++], 0);
        return;
    }
    if (!cn_json_is(o, CN_JSON_ARRAY)) {
        issue(h, CAIRN_PARSE, "expected an array of todos");
        return;
    }
    cn_jiter it = cn_json_iter(o);
    for (int64_t pos = 0; *n < cap && cn_json_next(&it, NULL, &v); pos++)
        read_todo(h, v, &out[(*n)++], pos);
}

/* ---- ordering ---- */

typedef struct sort_key {
    uint32_t group; /* session (messages) or message (parts) index */
    uint32_t idx;   /* position in the unsorted array */
    int64_t time;
    cairn_str id;
} sort_key;

static int key_cmp(const void *a, const void *b)
{
    const sort_key *x = a, *y = b;
    if (x->group != y->group)
        return x->group < y->group ? -1 : 1;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return cn_str_cmp(x->id, y->id);
}

/* Reorder base[0..n) (elements of size sz) so that element k is the old base[keys[k].idx]. */
static bool permute(void *base, size_t n, size_t sz, const sort_key *keys)
{
    uint32_t *where = malloc(n * sizeof *where);
    char *tmp = malloc(sz);
    if ((!where && n) || !tmp) {
        free(where);
        free(tmp);
        return false;
    }
    for (size_t k = 0; k < n; k++)
        where[k] = keys[k].idx;
    for (size_t k = 0; k < n; k++) {
        if (where[k] == k)
            continue;
        memcpy(tmp, (char *)base + k * sz, sz); /* cycle through k */
        size_t cur = k;
        while (where[cur] != k) {
            size_t from = where[cur];
            memcpy((char *)base + cur * sz, (char *)base + from * sz, sz);
            where[cur] = (uint32_t)cur;
            cur = from;
        }
        memcpy((char *)base + cur * sz, tmp, sz);
        where[cur] = (uint32_t)cur;
    }
    free(where);
    free(tmp);
    return true;
}

static int session_cmp(const void *a, const void *b)
{
    const cairn_session *x = a, *y = b;
    if (x->time_created_ms != y->time_created_ms)
        return x->time_created_ms < y->time_created_ms ? -1 : 1;
    return cn_str_cmp(x->id, y->id);
}

/* ---- assembly ---- */

static void merge_projects(hy *h)
{
    cairn_batch *b = h->b;
    size_t out = 0;
    for (size_t i = 0; i < b->nprojects; i++) {
        cairn_project *p = &b->projects[i];
        size_t k;
        for (k = 0; k < out && !cn_str_eq(b->projects[k].id, p->id); k++)
            ;
        if (k == out) {
            b->projects[out++] = *p;
            continue;
        }
        cairn_project *q = &b->projects[k]; /* merge p into q; SQLite's worktree wins */
        cairn_str *d = cn_arena_alloc(h->a, (q->ndirs + p->ndirs) * sizeof *d + 1);
        if (!d)
            continue;
        memcpy(d, q->dirs, q->ndirs * sizeof *d);
        uint32_t nd = q->ndirs;
        for (uint32_t x = 0; x < p->ndirs; x++) {
            uint32_t y;
            for (y = 0; y < nd && !cn_str_eq(d[y], p->dirs[x]); y++)
                ;
            if (y == nd)
                d[nd++] = p->dirs[x];
        }
        if (p->origin == CAIRN_ORIGIN_SQLITE && q->origin != CAIRN_ORIGIN_SQLITE) {
            cairn_str *qd = d;
            *q = *p;
            q->dirs = qd;
        }
        q->dirs = d;
        q->ndirs = nd;
    }
    b->nprojects = out;
}

static cairn_rc link_all(hy *h, cn_map *sess, cn_map *msgs)
{
    cairn_batch *b = h->b;
    sort_key *keys = NULL;
    size_t nk = b->nmessages > b->nparts ? b->nmessages : b->nparts, out;
    cairn_rc rc = CAIRN_NOMEM;

    qsort(b->sessions, b->nsessions, sizeof *b->sessions, session_cmp);
    for (size_t i = 0; i < b->nsessions; i++)
        if (cn_map_put(sess, b->sessions[i].id, (uint32_t)i))
            return CAIRN_NOMEM;
    if (nk && !(keys = malloc(nk * sizeof *keys)))
        return CAIRN_NOMEM;

    /* messages: drop orphans, then group by session in (time_created, id) order */
    out = 0;
    for (size_t i = 0; i < b->nmessages; i++) {
        cairn_message *m = &b->messages[i];
        uint32_t s = cn_map_get(sess, m->session_id);
        if (s == UINT32_MAX) {
            cairn_report_add(h->rep, CAIRN_NOTFOUND, m->id.ptr,
                             "message of a session that was not found");
            continue;
        }
        m->session = s;
        b->messages[out] = *m;
        keys[out] = (sort_key){s, (uint32_t)out, m->time_created_ms, m->id};
        out++;
    }
    b->nmessages = out;
    qsort(keys, out, sizeof *keys, key_cmp);
    if (!permute(b->messages, out, sizeof *b->messages, keys))
        goto done;
    for (size_t i = 0; i < b->nmessages; i++) {
        cairn_session *s = &b->sessions[b->messages[i].session];
        if (!s->nmessages)
            s->first_message = (uint32_t)i;
        s->nmessages++;
        if (cn_map_put(msgs, b->messages[i].id, (uint32_t)i))
            goto done;
    }

    /* parts: drop orphans, then group by message in id order */
    out = 0;
    for (size_t i = 0; i < b->nparts; i++) {
        cairn_part *p = &b->parts[i];
        uint32_t m = cn_map_get(msgs, p->message_id);
        if (m == UINT32_MAX) {
            cairn_report_add(h->rep, CAIRN_NOTFOUND, p->id.ptr,
                             "part of a message that was not found");
            continue;
        }
        p->message = m;
        p->session_id = b->messages[m].session_id;
        b->parts[out] = *p;
        keys[out] = (sort_key){m, (uint32_t)out, 0, p->id};
        out++;
    }
    b->nparts = out;
    qsort(keys, out, sizeof *keys, key_cmp);
    if (!permute(b->parts, out, sizeof *b->parts, keys))
        goto done;
    for (size_t i = 0; i < b->nparts; i++) {
        cairn_message *m = &b->messages[b->parts[i].message];
        if (!m->nparts)
            m->first_part = (uint32_t)i;
        m->nparts++;
    }
    rc = CAIRN_OK;
done:
    free(keys);
    return rc;
}

/* Parent and project links; totals from assistant messages when the session kept none. */
static void finish_sessions(hy *h, const cn_map *sess)
{
    cairn_batch *b = h->b;
    cn_map missing;
    cn_map_init(&missing);
    for (size_t i = 0; i < b->nsessions; i++) {
        cairn_session *s = &b->sessions[i];
        s->parent = s->parent_id.len ? cn_map_get(sess, s->parent_id) : CAIRN_NONE;
        for (size_t k = 0; k < b->nprojects; k++)
            if (cn_str_eq(b->projects[k].id, s->project_id))
                s->project = (uint32_t)k;
        /* orphan sessions are kept (formats §4.1), and their missing project reported */
        if (s->project == CAIRN_NONE && s->project_id.len &&
            cn_map_get(&missing, s->project_id) == UINT32_MAX) {
            char msg[600];
            snprintf(msg, sizeof msg, "session's project '%.*s' has no project record",
                     CAIRN_STR_FMT(s->project_id));
            cairn_report_add(h->rep, CAIRN_NOTFOUND, s->source_path.ptr, msg);
            cn_map_put(&missing, s->project_id, 1);
        }
        const cairn_tokens *t = &s->tokens;
        if (t->input || t->output || t->reasoning || t->cache_read || t->cache_write || s->cost)
            continue;
        cairn_tokens sum = {0};
        double cost = 0;
        for (uint32_t m = s->first_message; m < s->first_message + s->nmessages; m++) {
            const cairn_message *msg = &b->messages[m];
            cn_tokens_add(&sum, &msg->tokens);
            cost += msg->cost;
        }
        s->tokens = sum;
        s->cost = cost;
        s->totals_computed = true;
    }
    cn_map_release(&missing);
}

static cairn_rc alloc_arrays(hy *h, const cairn_resolved *res)
{
    size_t count[CAIRN_ITEM_META + 1] = {0}, todo_bytes = 1;
    for (size_t i = 0; i < res->n; i++) {
        count[res->units[i].kind]++;
        if (res->units[i].kind == CAIRN_ITEM_TODO)
            todo_bytes += res->units[i].content.len;
    }
    cairn_batch *b = h->b;
    b->projects = cn_arena_calloc(h->a, count[CAIRN_ITEM_PROJECT] + 1, sizeof *b->projects);
    b->sessions = cn_arena_calloc(h->a, count[CAIRN_ITEM_SESSION] + 1, sizeof *b->sessions);
    b->messages = cn_arena_calloc(h->a, count[CAIRN_ITEM_MESSAGE] + 1, sizeof *b->messages);
    b->parts = cn_arena_calloc(h->a, count[CAIRN_ITEM_PART] + 1, sizeof *b->parts);
    /* a todo needs at least ~10 bytes of JSON: that bounds their number */
    b->todos = cn_arena_calloc(h->a, todo_bytes / 10 + 1, sizeof *b->todos);
    if (!b->projects || !b->sessions || !b->messages || !b->parts || !b->todos)
        return CAIRN_NOMEM;
    return CAIRN_OK;
}

cairn_rc cn_oc_hydrate(cairn_resolved *res, cairn_batch *b, cairn_report *rep, cairn_err *err)
{
    hy h = {.b = b, .a = cn_batch_arena(b), .rep = rep};
    cn_map sess, msgs;
    cairn_rc rc;
    size_t todo_cap;

    if (alloc_arrays(&h, res))
        return cn_err_set(err, CAIRN_NOMEM, "out of memory hydrating opencode records");
    todo_cap = 1;
    for (size_t i = 0; i < res->n; i++)
        if (res->units[i].kind == CAIRN_ITEM_TODO)
            todo_cap += res->units[i].content.len;
    todo_cap = todo_cap / 10 + 1; /* as allocated in alloc_arrays */
    cn_json_init(&h.j);
    for (size_t i = 0; i < res->n; i++) {
        const cn_unit *u = h.u = &res->units[i];
        cairn_err e;
        if (cn_json_parse(&h.j, u->content.ptr, u->content.len, &e)) {
            issue(&h, e.rc, "%s", e.msg);
            continue;
        }
        cn_jval o = cn_json_root(&h.j);
        if (u->kind != CAIRN_ITEM_TODO && !cn_json_is(o, CN_JSON_OBJECT)) {
            issue(&h, CAIRN_PARSE, "expected a JSON object, found %s",
                  type_names[cn_json_typeof(o)]);
            continue;
        }
        switch (u->kind) {
        case CAIRN_ITEM_PROJECT:
            b->nprojects += read_project(&h, o, &b->projects[b->nprojects]);
            break;
        case CAIRN_ITEM_SESSION:
            b->nsessions += read_session(&h, o, &b->sessions[b->nsessions]);
            break;
        case CAIRN_ITEM_MESSAGE:
            b->nmessages += read_message(&h, o, &b->messages[b->nmessages]);
            break;
        case CAIRN_ITEM_PART:
            b->nparts += read_part(&h, o, &b->parts[b->nparts]);
            break;
        case CAIRN_ITEM_TODO:
            read_todos(&h, o, b->todos, &b->ntodos, todo_cap);
            break;
        default:
            break;
        }
    }
    cn_json_release(&h.j);
    merge_projects(&h);
    cn_map_init(&sess);
    cn_map_init(&msgs);
    rc = link_all(&h, &sess, &msgs);
    if (!rc)
        finish_sessions(&h, &sess);
    cn_map_release(&sess);
    cn_map_release(&msgs);
    if (rc)
        return cn_err_set(err, rc, "out of memory linking opencode records");
    return CAIRN_OK;
}
