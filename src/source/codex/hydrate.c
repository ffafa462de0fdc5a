/*
 * source/codex/hydrate.c - rollout lines -> one session each, with its messages and parts
 * (formats/codex.md §2).
 *
 * Each unit is read line by line (complete lines only: a partial last line is a rollout
 * still being written and is left for the next read).  A line that is not JSON, is over
 * CN_CX_LINE_MAX or is not an object is an issue at "file:line"; the rest of the file is
 * still read.  Lines are dispatched on their type: session_meta (the first is the
 * thread's header, later ones are copies from forks), turn_context (model and cwd),
 * response_item and compacted (items.c), event_msg (token totals, prompt events) and
 * token_usage_record; everything else is counted in batch->skipped.
 *
 * Session facts: id, time, cwd, version and provider from the first session_meta (times
 * are UTC inside the file; the folder names are local time and never used), model from
 * the last turn_context, tokens from the LAST token_count total (running totals, often
 * repeated: never summed; token_usage_record's thread total when there is no
 * token_count), title from the first real prompt, key = the plan item (file name) id.
 * Each token_count's growth of the total also goes to the assistant message before it:
 * usage is then by response, at its time, as for the other agents.
 * Codex keeps no project id: the project is the working directory.
 *
 * Strings stay spans into the rollout text unless they hold escapes (decoded into the
 * batch arena).  Records are collected in file order in growable arrays and moved into
 * the batch arena at the end: sessions by (time created, id), each session's messages in
 * file order after it, each message's parts in file order.
 */
#include "source/codex/codex.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/str.h"
#include "json/jsonl.h"
#include "source/batch.h"

#define TITLE_MAX 80

void cn_cx_issue(cx_hy *h, cairn_rc rc, const char *fmt, ...)
{
    char msg[512], where[4400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(where, sizeof where, "%.*s:%zu", CAIRN_STR_FMT(h->u->path), h->line);
    cairn_report_add(h->rep, rc, where, msg);
}

static cairn_str S(cx_hy *h, cn_jval v)
{
    return cn_json_str_or(v, h->a);
}

static int64_t I(cn_jval v)
{
    return cn_json_i64_or(v, 0);
}

/* An ISO-8601 UTC timestamp in ms, or 0. */
static int64_t timestamp(cn_jval v)
{
    cairn_str s = cn_json_raw(v);
    int64_t t;
    if (!cn_json_is(v, CN_JSON_STRING) || s.len < 12 || s.ptr[5] != '-')
        return 0;
    s = (cairn_str){s.ptr + 1, s.len - 2}; /* timestamps hold no escapes */
    return cn_time_parse(s, 0, &t, NULL) == CAIRN_OK ? t : 0;
}

/* OpenAI counts cached input inside input_tokens; cairn's input is the uncached part,
 * as for the other agents (record.h). */
static cairn_tokens tokens(cn_jval t)
{
    int64_t in = cn_tokens_clamp(I(cn_json_get(t, "input_tokens")));
    int64_t cached = cn_tokens_clamp(I(cn_json_get(t, "cached_input_tokens")));
    return (cairn_tokens){in >= cached ? in - cached : in,
                          cn_tokens_clamp(I(cn_json_get(t, "output_tokens"))),
                          cn_tokens_clamp(I(cn_json_get(t, "reasoning_output_tokens"))), cached,
                          cn_tokens_clamp(I(cn_json_get(t, "cache_write_input_tokens")))};
}

/* ---- one line ---- */

static void session_meta(cx_hy *h, cn_jval p)
{
    static const char *const keys[] = {"id", "timestamp", "cwd", "cli_version", "model_provider"};
    cairn_session *s = &h->sess[h->s];
    cn_jval f[5];
    if (h->have_meta) {
        h->b->skipped++; /* a forked or resumed thread's copy of an earlier header */
        return;
    }
    h->have_meta = true;
    cn_json_fields(p, keys, 5, f);
    cairn_str id = S(h, f[0]);
    if (id.len && !cn_str_eq(id, h->u->id))
        cn_cx_issue(h, CAIRN_PARSE, "session_meta id '%.*s' differs from the file name's '%.*s'",
                    CAIRN_STR_FMT(id), CAIRN_STR_FMT(h->u->id));
    if (id.len)
        s->id = id;
    s->time_created_ms = timestamp(f[1]);
    cairn_str cwd = S(h, f[2]);
    if (cwd.len)
        s->directory = s->project_id = cwd;
    s->version = S(h, f[3]);
    s->provider_id = S(h, f[4]);
}

static void turn_context(cx_hy *h, cn_jval p)
{
    cairn_session *s = &h->sess[h->s];
    cairn_str model = S(h, cn_json_get(p, "model"));
    h->open = CAIRN_NONE; /* a new request to the model */
    if (model.len)
        h->model = s->model_id = model;
    if (!s->directory.len)
        s->directory = s->project_id = S(h, cn_json_get(p, "cwd"));
}

/* a - b, each count at least 0 (a total that went down adds nothing) */
static cairn_tokens growth(cairn_tokens a, cairn_tokens b)
{
    return (cairn_tokens){a.input > b.input ? a.input - b.input : 0,
                          a.output > b.output ? a.output - b.output : 0,
                          a.reasoning > b.reasoning ? a.reasoning - b.reasoning : 0,
                          a.cache_read > b.cache_read ? a.cache_read - b.cache_read : 0,
                          a.cache_write > b.cache_write ? a.cache_write - b.cache_write : 0};
}

/*
 * A token_count: the running total is the thread's (the last one wins), and what it
 * grew by since the one before goes to the latest assistant message, so that usage by
 * day splits a thread as it went (a repeated total adds nothing).  A read resumed mid
 * file grows from the usage its stored messages before the resume point hold (the
 * store gives it: cn_unit.resume_tokens).
 */
static void token_count(cx_hy *h, cn_jval info)
{
    cn_jval total = cn_json_get(info, "total_token_usage");
    if (!cn_json_is(total, CN_JSON_OBJECT))
        return;
    cairn_session *s = &h->sess[h->s];
    cairn_tokens t = tokens(total), d = {0};
    if (h->have_total)
        d = growth(t, s->tokens);
    else
        d = growth(t, h->base ? h->u->resume_tokens : (cairn_tokens){0});
    s->tokens = t;
    h->have_total = true;
    cn_tokens_add(h->last_reply != CAIRN_NONE ? &h->msgs[h->last_reply].tokens : &h->owed, &d);
}

static void event_msg(cx_hy *h, cn_jval p)
{
    cn_jval type = cn_json_get(p, "type");
    if (cn_json_str_eq(type, "token_count")) {
        token_count(h, cn_json_get(p, "info"));
    } else if (cn_json_str_eq(type, "user_message") ||
               (cn_json_str_eq(type, "item_completed") &&
                cn_json_str_eq(cn_json_path(p, "item", "type", NULL), "UserMessage"))) {
        cn_cx_confirm_prompt(h); /* a copy of the prompt: no message of its own */
    } else {
        h->b->skipped++; /* copies of items (agent_message, ...), turn boundaries, ... */
    }
}

static void read_line(cx_hy *h, cn_jval root)
{
    static const char *const keys[] = {"timestamp", "type", "payload"};
    cn_jval f[3];
    cn_json_fields(root, keys, 3, f);
    int64_t ts = timestamp(f[0]);
    if (ts) {
        h->ts = ts;
        if (!h->first_ts)
            h->first_ts = ts;
        if (ts > h->last_ts)
            h->last_ts = ts;
    }
    cn_jval t = f[1], p = f[2];
    if (!cn_json_is(t, CN_JSON_STRING)) {
        cn_cx_issue(h, CAIRN_PARSE, "no 'type' field");
        return;
    }
    bool known = cn_json_str_eq(t, "session_meta") || cn_json_str_eq(t, "response_item") ||
                 cn_json_str_eq(t, "event_msg") || cn_json_str_eq(t, "turn_context") ||
                 cn_json_str_eq(t, "compacted") || cn_json_str_eq(t, "token_usage_record");
    if (!known) {
        h->b->skipped++; /* world_state, inter_agent_*, newer types */
        return;
    }
    if (!cn_json_is(p, CN_JSON_OBJECT)) {
        cn_cx_issue(h, CAIRN_PARSE, "field 'payload' is missing or not an object");
        return;
    }
    if (cn_json_str_eq(t, "response_item"))
        cn_cx_response_item(h, p);
    else if (cn_json_str_eq(t, "event_msg"))
        event_msg(h, p);
    else if (cn_json_str_eq(t, "turn_context"))
        turn_context(h, p);
    else if (cn_json_str_eq(t, "session_meta"))
        session_meta(h, p);
    else if (cn_json_str_eq(t, "compacted"))
        cn_cx_compacted(h, p);
    else if (!h->have_total && /* token_usage_record */
             cn_json_is(cn_json_get(p, "thread_token_usage"), CN_JSON_OBJECT))
        h->sess[h->s].tokens = tokens(cn_json_get(p, "thread_token_usage"));
}

/* ---- one file ---- */

/* The first line of t, trimmed, at most TITLE_MAX bytes (cut on a UTF-8 boundary). */
static cairn_str title(cairn_str t)
{
    while (t.len && (*t.ptr == ' ' || *t.ptr == '\t' || *t.ptr == '\n' || *t.ptr == '\r')) {
        t.ptr++;
        t.len--;
    }
    const char *nl = memchr(t.ptr, '\n', t.len);
    if (nl)
        t.len = (size_t)(nl - t.ptr);
    t = cn_str_cut(t, TITLE_MAX);
    while (t.len &&
           (t.ptr[t.len - 1] == ' ' || t.ptr[t.len - 1] == '\t' || t.ptr[t.len - 1] == '\r'))
        t.len--;
    return t;
}

static bool start_unit(cx_hy *h, const cn_unit *u)
{
    if (h->nsess == h->capsess) {
        size_t cap = h->capsess ? h->capsess * 2 : 64;
        cairn_session *p = realloc(h->sess, cap * sizeof *p);
        if (!p)
            return false;
        h->sess = p;
        h->capsess = cap;
    }
    h->u = u;
    h->s = (uint32_t)h->nsess++;
    cairn_session *s = &h->sess[h->s];
    memset(s, 0, sizeof *s);
    s->agent = CAIRN_AGENT_CODEX;
    s->origin = CAIRN_ORIGIN_JSONL;
    s->id = s->key = u->id;
    s->source_path = u->path;
    s->project = s->parent = CAIRN_NONE;
    h->first_msg = (uint32_t)h->nmsgs;
    h->open = h->pending = h->last_reply = CAIRN_NONE;
    h->owed = (cairn_tokens){0};
    h->confirm_next = h->confirmed_any = h->have_meta = h->have_total = false;
    h->first_ts = h->last_ts = h->ts = 0;
    h->line = 0;
    h->model = (cairn_str){NULL, 0};
    cn_map_init(&h->calls);
    return true;
}

static void finish_unit(cx_hy *h, size_t good)
{
    cairn_session *s = &h->sess[h->s];
    cn_map_release(&h->calls);
    if (!good) {
        h->nsess--; /* no complete line yet: nothing to show */
        return;
    }
    if (!h->have_meta && !h->base)
        cairn_report_add(h->rep, CAIRN_PARSE, h->u->path.ptr,
                         "no session_meta line: the thread's id and times are taken from the "
                         "file name and its lines");
    if (!s->time_created_ms)
        s->time_created_ms = h->first_ts;
    s->time_updated_ms = h->last_ts > s->time_created_ms ? h->last_ts : s->time_created_ms;
    if (cn_str_eqc(h->u->parent_id, "archived_sessions"))
        s->time_archived_ms = h->u->mtime_ns / 1000000 > 0 ? h->u->mtime_ns / 1000000 : 1;
    cn_cx_mark_harness(h);
    /* usage counted before the first reply: to the first reply, if there is one */
    for (size_t m = h->first_msg; m < h->nmsgs; m++)
        if (cn_str_eqc(h->msgs[m].role, "assistant")) {
            cn_tokens_add(&h->msgs[m].tokens, &h->owed);
            break;
        }
    s->first_message = h->first_msg;
    s->nmessages = (uint32_t)(h->nmsgs - h->first_msg);
    for (size_t m = h->first_msg; m < h->nmsgs; m++) {
        cairn_message *msg = &h->msgs[m];
        msg->session_id = s->id;
        for (uint32_t k = msg->first_part; k < msg->first_part + msg->nparts; k++)
            h->parts[k].session_id = s->id;
        if (s->title.len || !cn_str_eqc(msg->role, "user") || (h->mflags[m] & CX_USER_HARNESS))
            continue;
        for (uint32_t k = msg->first_part; k < msg->first_part + msg->nparts && !s->title.len; k++)
            if (h->parts[k].type == CAIRN_PART_TEXT)
                s->title = title(h->parts[k].u.text.text);
    }
}

static void read_unit(cx_hy *h, const cn_unit *u)
{
    cn_jsonl r;
    cairn_str line;
    cairn_err e;
    size_t good = 0;
    if (!start_unit(h, u)) {
        h->oom = true;
        return;
    }
    /* a grown file whose earlier bytes are unchanged is read from its last turn on */
    h->base = u->resume_offset > 0 && (size_t)u->resume_offset <= u->content.len
                  ? u->resume_offset : 0;
    h->base_line = h->base ? u->resume_line : 0;
    if (h->base) {
        /* a resumed read goes on from a full one, which took the first session_meta for the
         * header: one past the resume point is a fork's copy, as it was then */
        h->have_meta = true;
        if (u->resume_id.len) /* the header that named it is before the resume point */
            h->sess[h->s].id = u->resume_id;
    }
    h->turn_seen = false;
    cn_jsonl_init(&r, (cairn_str){u->content.ptr + h->base, u->content.len - (size_t)h->base});
    for (;;) {
        if (h->oom || cn_jsonl_next(&r, &line) != CAIRN_OK)
            break;
        /* where the line starts, past the blank lines before it, which h->line counts */
        h->line_off = h->base + (int64_t)cn_jsonl_line_start(&r, line);
        h->line = (size_t)h->base_line + r.line_no;
        h->line_parts = 0;
        if (line.len > CN_CX_LINE_MAX) {
            cn_cx_issue(h, CAIRN_TOOBIG, "line of %zu bytes is over the limit of %zu; skipped",
                        line.len, CN_CX_LINE_MAX);
            continue;
        }
        if (cn_json_parse(&h->j, line.ptr, line.len, &e)) {
            const char *msg = strncmp(e.msg, "line 1, ", 8) ? e.msg : e.msg + 8;
            cn_cx_issue(h, e.rc, "not valid JSON: %s", msg);
            continue;
        }
        cn_jval root = cn_json_root(&h->j);
        if (!cn_json_is(root, CN_JSON_OBJECT)) {
            cn_cx_issue(h, CAIRN_PARSE, "expected a JSON object");
            continue;
        }
        good++;
        read_line(h, root);
    }
    /* CAIRN_AGAIN: a partial last line, still being written; read next time */
    uint32_t session = h->s, nsess = (uint32_t)h->nsess;
    finish_unit(h, good);
    if (h->nsess < nsess)
        return;
    cairn_session *s = &h->sess[session];
    s->first_seq = h->base ? u->resume_seq : 0;
    s->tail_offset = h->base + (int64_t)cn_jsonl_offset(&r);
    s->tail_hash = cn_hash64(u->content.ptr, (size_t)s->tail_offset);
    s->resume_offset = h->turn_seen ? h->turn_off : h->base;
    s->resume_line = h->turn_seen ? h->turn_line : h->base_line;
    s->resume_seq = s->first_seq + (h->turn_seen ? h->turn_msgs : 0);
}

/* ---- the batch ---- */

typedef struct order {
    int64_t time;
    cairn_str id;
    uint32_t idx;
} order;

static int order_cmp(const void *a, const void *b)
{
    const order *x = a, *y = b;
    if (x->time != y->time)
        return x->time < y->time ? -1 : 1;
    return cn_str_cmp(x->id, y->id);
}

/* One project per working directory. */
static bool projects(cx_hy *h, cairn_batch *b, cn_map *dirs)
{
    b->projects = cn_arena_calloc(h->a, b->nsessions + 1, sizeof *b->projects);
    if (!b->projects)
        return false;
    for (size_t i = 0; i < b->nsessions; i++) {
        cairn_session *s = &b->sessions[i];
        if (!s->project_id.len)
            continue;
        uint32_t k = cn_map_get(dirs, s->project_id);
        if (k == UINT32_MAX) {
            k = (uint32_t)b->nprojects++;
            cairn_project *p = &b->projects[k];
            cairn_str dir = s->project_id;
            const char *slash = memrchr(dir.ptr, '/', dir.len - 1);
            p->agent = CAIRN_AGENT_CODEX;
            p->origin = CAIRN_ORIGIN_JSONL;
            p->id = p->worktree = dir;
            p->name = dir; /* the last path component */
            if (slash)
                p->name = (cairn_str){slash + 1, dir.len - (size_t)(slash + 1 - dir.ptr)};
            p->dirs = &p->id;
            p->ndirs = 1;
            p->time_created_ms = s->time_created_ms;
            if (cn_map_put(dirs, p->id, k))
                return false;
        }
        cairn_project *p = &b->projects[k];
        if (s->time_updated_ms > p->time_updated_ms)
            p->time_updated_ms = s->time_updated_ms;
        s->project = k;
    }
    return true;
}

/* Move the records into the batch arena, sessions in (time created, id) order. */
static bool assemble(cx_hy *h)
{
    cairn_batch *b = h->b;
    order *o = malloc((h->nsess + 1) * sizeof *o);
    b->sessions = cn_arena_calloc(h->a, h->nsess + 1, sizeof *b->sessions);
    b->messages = cn_arena_calloc(h->a, h->nmsgs + 1, sizeof *b->messages);
    b->parts = cn_arena_calloc(h->a, h->nparts + 1, sizeof *b->parts);
    if (!o || !b->sessions || !b->messages || !b->parts) {
        free(o);
        return false;
    }
    for (size_t i = 0; i < h->nsess; i++)
        o[i] = (order){h->sess[i].time_created_ms, h->sess[i].id, (uint32_t)i};
    qsort(o, h->nsess, sizeof *o, order_cmp);
    for (size_t i = 0; i < h->nsess; i++) {
        cairn_session *s = &b->sessions[b->nsessions++];
        *s = h->sess[o[i].idx];
        uint32_t first = (uint32_t)b->nmessages;
        for (uint32_t m = s->first_message; m < s->first_message + s->nmessages; m++) {
            cairn_message *msg = &b->messages[b->nmessages];
            *msg = h->msgs[m];
            msg->session = (uint32_t)i;
            msg->first_part = (uint32_t)b->nparts;
            uint32_t from = h->msgs[m].first_part;
            for (uint32_t k = from; k < from + msg->nparts; k++) {
                b->parts[b->nparts] = h->parts[k];
                b->parts[b->nparts++].message = (uint32_t)b->nmessages;
            }
            b->nmessages++;
        }
        s->first_message = first;
    }
    free(o);
    cn_map dirs;
    cn_map_init(&dirs);
    bool ok = projects(h, b, &dirs);
    cn_map_release(&dirs);
    return ok;
}

cairn_rc cn_cx_hydrate(cairn_resolved *res, cairn_batch *b, cairn_report *rep, cairn_err *err)
{
    cx_hy h = {.b = b, .a = cn_batch_arena(b), .rep = rep};
    cn_json_init(&h.j);
    cn_json_init(&h.aj);
    for (size_t i = 0; i < res->n && !h.oom; i++)
        read_unit(&h, &res->units[i]);
    bool ok = !h.oom && assemble(&h);
    cn_json_release(&h.j);
    cn_json_release(&h.aj);
    free(h.sess);
    free(h.msgs);
    free(h.mflags);
    free(h.parts);
    if (!ok)
        return cn_err_set(err, CAIRN_NOMEM, "out of memory hydrating codex records");
    return CAIRN_OK;
}
