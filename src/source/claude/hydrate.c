/*
 * source/claude/hydrate.c - Claude Code JSONL lines -> common records.
 *
 * One file is one session, read line by line in file order (timestamps are
 * not monotonic; formats §2).  Per line type (a table, below):
 *   user       a typed prompt (a message), harness text (a synthetic part),
 *              or tool results, which complete the tool part they answer;
 *   assistant  one content block of a response: consecutive lines with the
 *              same (message.id, requestRef|requestId) are one message, whose
 *              usage is taken from its last line (counted once per response);
 *   system     api_error -> a retry part; compact_boundary -> compaction;
 *   summary    a compaction event, and the session title;
 *   cost-state the process's cumulative cost (the last one is kept).
 * Other known types are passed over; unknown ones are counted in
 * batch->skipped.  Every line with a uuid joins the parentUuid chain, so a
 * message's parent is found through attachment and system lines.
 * Invariant: parts are appended only to the newest message, so each
 * message's parts are contiguous; tool results only fill existing parts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/map.h"
#include "base/str.h"
#include "json/json.h"
#include "json/jsonl.h"
#include "source/batch.h"
#include "source/claude/claude.h"

typedef struct vec {
    char *p;
    size_t n, cap;
} vec;

typedef struct chain_line {
    cairn_str parent;
    uint32_t msg; /* message that line belongs to, or CAIRN_NONE */
} chain_line;

/* Where a turn (a typed prompt) begins: its line's offset, lines and messages before it. */
typedef struct turn {
    int64_t off, line;
    uint32_t msgs;
    bool seen; /* a turn began in this read */
} turn;

typedef struct cc {
    cairn_batch *b;
    cn_arena *a;
    cairn_report *rep;
    cn_json j;
    vec sessions, messages, parts, projects;
    /* per file */
    const cn_unit *u;
    size_t line_no;
    uint32_t session;
    uint32_t resp;            /* open assistant response (message index) or CAIRN_NONE */
    cairn_str resp_id, resp_req;
    cn_map tools;             /* tool_use id -> part index (latest) */
    cn_map line_part;         /* assistant line uuid -> part index */
    cn_map uuids;             /* line uuid -> index in chain */
    cn_map responses;         /* "message.id request" -> message holding its usage */
    cn_map seen;              /* session ids read so far (one file per session) */
    vec chain;
    cairn_str cwd, version, session_field, prompt_title, summary_title;
    double cost;
    bool have_cost;
    /* the last typed prompt read: where a later read of a grown file may resume */
    int64_t line_off;
    turn turn;
    turn resp_turn; /* the turn when the last new response began */
    bool resp_seen; /* a response began in this read */
    vec resp_turns; /* resp_start: each response's message and the turn it began in */
} cc;

typedef struct resp_start {
    uint32_t msg;
    turn at;
} resp_start;

#define AT(v, T, i) (&((T *)(v).p)[i])

static void *push(vec *v, size_t sz)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        char *p = realloc(v->p, cap * sz);
        if (!p)
            return NULL;
        v->p = p;
        v->cap = cap;
    }
    void *e = v->p + v->n++ * sz;
    memset(e, 0, sz);
    return e;
}

static void issue(cc *c, cairn_rc rc, const char *what)
{
    char where[4400];
    snprintf(where, sizeof where, "%.*s:%zu", CAIRN_STR_FMT(c->u->path), c->line_no);
    cairn_report_add(c->rep, rc, where, what);
}

static cairn_str S(cc *c, cn_jval v)
{
    return cn_json_str_or(v, c->a);
}

static int64_t ts(cc *c, cn_jval o)
{
    int64_t t = 0;
    cairn_str s = cn_json_str_or(cn_json_get(o, "timestamp"), c->a);
    if (s.len && cn_time_parse(s, 0, &t, NULL) != CAIRN_OK)
        t = 0;
    return t;
}

static cairn_message *msg_at(cc *c, uint32_t i)
{
    return AT(c->messages, cairn_message, i);
}

/* A new message of the current session; closes the open assistant response. */
static cairn_message *new_message(cc *c, const char *role, cairn_str id, int64_t t)
{
    cairn_message *m = push(&c->messages, sizeof *m);
    if (!m)
        return NULL;
    m->id = id;
    m->session_id = AT(c->sessions, cairn_session, c->session)->id;
    m->role = cn_str(role);
    m->time_created_ms = t;
    m->session = c->session;
    m->first_part = (uint32_t)c->parts.n;
    c->resp = CAIRN_NONE;
    cairn_session *s = AT(c->sessions, cairn_session, c->session);
    if (!s->nmessages)
        s->first_message = (uint32_t)(c->messages.n - 1);
    s->nmessages++;
    return m;
}

static cairn_part *new_part(cc *c, cairn_part_type type, cairn_str id, int64_t t)
{
    cairn_part *p = push(&c->parts, sizeof *p);
    if (!p)
        return NULL;
    uint32_t mi = (uint32_t)(c->messages.n - 1);
    cairn_message *m = msg_at(c, mi);
    p->id = id;
    p->message_id = m->id;
    p->session_id = m->session_id;
    p->type = (uint8_t)type;
    p->type_name = cn_str(cairn_part_type_name(type));
    p->message = mi;
    p->time_start_ms = t;
    m->nparts++;
    return p;
}

/* "<uuid>" for the first block of a line, "<uuid>#k" for later ones. */
static cairn_str part_id(cc *c, cairn_str uuid, size_t k)
{
    if (!k)
        return uuid;
    char *p = cn_arena_bytes(c->a, uuid.len + 24);
    if (!p)
        return uuid;
    int n = snprintf(p, uuid.len + 24, "%.*s#%zu", CAIRN_STR_FMT(uuid), k);
    return (cairn_str){p, (size_t)n};
}

static const char *const harness_prefixes[] = {
    "<command-name>", "<command-message>", "<local-command-stdout>", "<task-notification>",
    "<system-reminder>", "<user-prompt-submit-hook>", "Caveat: The messages below were generated",
    "[Request interrupted by user",
};

static bool is_harness(cairn_str s)
{
    while (s.len && (*s.ptr == ' ' || *s.ptr == '\n')) {
        s.ptr++;
        s.len--;
    }
    for (size_t i = 0; i < sizeof harness_prefixes / sizeof harness_prefixes[0]; i++)
        if (cn_str_starts(s, harness_prefixes[i]))
            return true;
    return false;
}

/* A tool_result's content: a string, or the text blocks of an array joined by newlines. */
static cairn_str result_text(cc *c, cn_jval content)
{
    if (cn_json_is(content, CN_JSON_STRING))
        return S(c, content);
    cn_buf b;
    cn_buf_init(&b, CN_JSONL_LINE_MAX);
    cn_jiter it = cn_json_iter(content);
    cn_jval v;
    while (cn_json_next(&it, NULL, &v)) {
        cairn_str t = S(c, cn_json_get(v, "text"));
        if (!t.len)
            continue;
        if (b.len)
            cn_buf_addc(&b, '\n');
        cn_buf_addstr(&b, t);
    }
    cairn_str out = b.len ? cn_arena_strdup(c->a, cn_buf_str(&b)) : (cairn_str){NULL, 0};
    cn_buf_release(&b);
    return out;
}

static void pair_result(cc *c, cn_jval line, cn_jval block, int64_t t)
{
    cairn_str id = S(c, cn_json_get(block, "tool_use_id"));
    cairn_str src = S(c, cn_json_get(line, "sourceToolAssistantUUID"));
    uint32_t pi = src.len ? cn_map_get(&c->line_part, src) : UINT32_MAX;
    if (pi == UINT32_MAX)
        pi = cn_map_get(&c->tools, id);
    if (pi == UINT32_MAX) {
        issue(c, CAIRN_NOTFOUND, "tool_result without a matching tool_use");
        return;
    }
    cairn_part *p = AT(c->parts, cairn_part, pi);
    bool err = cn_json_bool_or(cn_json_get(block, "is_error"), false);
    cairn_str out = result_text(c, cn_json_get(block, "content"));
    p->status = err ? CAIRN_TOOL_ERROR : CAIRN_TOOL_COMPLETED;
    *(err ? &p->u.tool.error : &p->u.tool.output) = out;
    p->time_end_ms = t;
    cairn_str agent = S(c, cn_json_path(line, "toolUseResult", "agentId", NULL));
    if (agent.len) {
        char *s = cn_arena_bytes(c->a, agent.len + 7);
        if (s) {
            memcpy(s, "agent-", 6);
            memcpy(s + 6, agent.ptr, agent.len);
            p->u.tool.child_session_id = (cairn_str){s, agent.len + 6};
        }
    }
    if (cn_map_get(&c->tools, id) == pi) /* answered: a reused id pairs with a later use */
        cn_map_put(&c->tools, id, UINT32_MAX);
}

static void chain_mark(cc *c, cairn_str uuid, uint32_t msg)
{
    uint32_t k = cn_map_get(&c->uuids, uuid);
    if (k != UINT32_MAX)
        AT(c->chain, chain_line, k)->msg = msg;
}

/* A typed prompt starts a turn: nothing after it depends on the lines before it
 * (tool results pair within a turn), so a grown file can be re-read from here. */
static void turn_start(cc *c)
{
    cairn_session *s = AT(c->sessions, cairn_session, c->session);
    c->turn.seen = true;
    c->turn.off = c->line_off;
    c->turn.line = (int64_t)c->line_no - 1;
    c->turn.msgs = s->nmessages - 1; /* the prompt's message is the turn's first */
}

static int on_user(cc *c, cn_jval o, cairn_str uuid, int64_t t)
{
    cn_jval content = cn_json_path(o, "message", "content", NULL);
    bool meta = cn_json_bool_or(cn_json_get(o, "isMeta"), false);
    cairn_message *m = NULL;

    if (cn_json_is(content, CN_JSON_STRING)) {
        cairn_str text = S(c, content);
        if (!(m = new_message(c, "user", uuid, t)))
            return -1;
        cairn_part *p = new_part(c, CAIRN_PART_TEXT, uuid, t);
        if (!p)
            return -1;
        p->u.text.text = text;
        p->synthetic = meta || is_harness(text);
        if (!p->synthetic && !c->prompt_title.len)
            c->prompt_title = text;
        if (!p->synthetic)
            turn_start(c);
        chain_mark(c, uuid, (uint32_t)(c->messages.n - 1));
        return 0;
    }
    cn_jiter it = cn_json_iter(content);
    cn_jval blk;
    size_t k = 0;
    while (cn_json_next(&it, NULL, &blk)) {
        cn_jval type = cn_json_get(blk, "type");
        if (cn_json_str_eq(type, "tool_result")) {
            pair_result(c, o, blk, t);
            continue;
        }
        if (!m && !(m = new_message(c, "user", uuid, t)))
            return -1;
        chain_mark(c, uuid, (uint32_t)(c->messages.n - 1));
        if (cn_json_str_eq(type, "text")) {
            cairn_part *p = new_part(c, CAIRN_PART_TEXT, part_id(c, uuid, k++), t);
            if (!p)
                return -1;
            p->u.text.text = S(c, cn_json_get(blk, "text"));
            p->synthetic = meta || is_harness(p->u.text.text);
            if (!p->synthetic && !c->prompt_title.len)
                c->prompt_title = p->u.text.text;
        } else if (cn_json_str_eq(type, "image") || cn_json_str_eq(type, "document")) {
            cairn_part *p = new_part(c, CAIRN_PART_FILE, part_id(c, uuid, k++), t);
            if (!p)
                return -1;
            p->u.file.mime = S(c, cn_json_path(blk, "source", "media_type", NULL));
            p->u.file.filename = S(c, cn_json_get(blk, "title"));
        } else {
            c->b->skipped++;
        }
    }
    return 0;
}

static void usage(cn_jval u, cairn_tokens *t)
{
    if (!cn_json_is(u, CN_JSON_OBJECT))
        return;
    t->input = cn_tokens_clamp(cn_json_i64_or(cn_json_get(u, "input_tokens"), 0));
    t->output = cn_tokens_clamp(cn_json_i64_or(cn_json_get(u, "output_tokens"), 0));
    t->cache_read = cn_tokens_clamp(cn_json_i64_or(cn_json_get(u, "cache_read_input_tokens"), 0));
    t->cache_write =
        cn_tokens_clamp(cn_json_i64_or(cn_json_get(u, "cache_creation_input_tokens"), 0));
}

/* The earlier of two resume points (one that saw no turn is the read's start: earliest). */
static turn earlier(turn a, turn b)
{
    return !a.seen || (b.seen && a.off <= b.off) ? a : b;
}

/*
 * A later line of the response msg, after a prompt typed while it streamed:
 * a read that began at that prompt would count the response twice, so the
 * turn to resume at goes back to the one the response began in.
 */
static void straddled(cc *c, uint32_t msg)
{
    size_t lo = 0, hi = c->resp_turns.n; /* pushed in message order: a binary search */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (AT(c->resp_turns, resp_start, mid)->msg < msg)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == c->resp_turns.n || AT(c->resp_turns, resp_start, lo)->msg != msg)
        return;
    c->turn = earlier(AT(c->resp_turns, resp_start, lo)->at, c->turn); /* never later */
}

static int on_assistant(cc *c, cn_jval o, cairn_str uuid, int64_t t)
{
    cn_jval msg = cn_json_get(o, "message");
    cairn_str mid = S(c, cn_json_get(msg, "id"));
    cairn_str req = S(c, cn_json_get(o, "requestRef"));
    if (!req.len)
        req = S(c, cn_json_get(o, "requestId"));
    cairn_message *m;
    /* the message that counts this response's usage, wherever its lines are */
    char *kb = cn_arena_bytes(c->a, mid.len + req.len + 2);
    if (!kb)
        return -1;
    int kn = snprintf(kb, mid.len + req.len + 2, "%.*s %.*s", CAIRN_STR_FMT(mid),
                      CAIRN_STR_FMT(req));
    cairn_str key = {kb, (size_t)kn};
    uint32_t owner = mid.len ? cn_map_get(&c->responses, key) : UINT32_MAX;
    if (c->resp != CAIRN_NONE && owner != UINT32_MAX && cn_str_eq(mid, c->resp_id) &&
        cn_str_eq(req, c->resp_req)) {
        m = msg_at(c, c->resp);
    } else {
        if (!(m = new_message(c, "assistant", uuid, t)))
            return -1;
        c->resp = (uint32_t)(c->messages.n - 1);
        c->resp_id = mid;
        c->resp_req = req;
        m->model_id = S(c, cn_json_get(msg, "model"));
        m->provider_id = CAIRN_STR("anthropic");
        if (owner == UINT32_MAX) {
            owner = c->resp;
            if (mid.len && cn_map_put(&c->responses, key, owner))
                return -1;
            resp_start *r = push(&c->resp_turns, sizeof *r);
            if (!r)
                return -1;
            *r = (resp_start){owner, c->turn};
            c->resp_turn = c->turn;
            c->resp_seen = true;
        } else {
            straddled(c, owner);
        }
    }
    chain_mark(c, uuid, c->resp);
    cairn_str stop = S(c, cn_json_get(msg, "stop_reason"));
    if (stop.len)
        m->finish = stop;
    /* counted once per response, from its last line */
    usage(cn_json_get(msg, "usage"), &msg_at(c, owner == UINT32_MAX ? c->resp : owner)->tokens);
    if (t > m->time_completed_ms)
        m->time_completed_ms = t;

    cn_jiter it = cn_json_iter(cn_json_get(msg, "content"));
    cn_jval blk;
    size_t k = 0;
    while (cn_json_next(&it, NULL, &blk)) {
        cn_jval type = cn_json_get(blk, "type");
        cairn_part *p;
        if (cn_json_str_eq(type, "text") || cn_json_str_eq(type, "thinking")) {
            bool thinking = cn_json_str_eq(type, "thinking");
            p = new_part(c, thinking ? CAIRN_PART_REASONING : CAIRN_PART_TEXT,
                         part_id(c, uuid, k++), t);
            if (!p)
                return -1;
            p->u.text.text = S(c, cn_json_get(blk, thinking ? "thinking" : "text"));
        } else if (cn_json_str_eq(type, "tool_use")) {
            cairn_str pid = part_id(c, uuid, k++);
            if (!(p = new_part(c, CAIRN_PART_TOOL, pid, t)))
                return -1;
            cn_jval input = cn_json_get(blk, "input");
            p->u.tool.name = S(c, cn_json_get(blk, "name"));
            p->u.tool.call_id = S(c, cn_json_get(blk, "id"));
            p->u.tool.input = cn_json_raw(input);
            p->u.tool.title = S(c, cn_json_get(input, "description"));
            p->status = CAIRN_TOOL_PENDING;
            uint32_t pi = (uint32_t)(c->parts.n - 1);
            if (cn_map_put(&c->tools, p->u.tool.call_id, pi) ||
                cn_map_put(&c->line_part, uuid, pi))
                return -1;
        } else {
            c->b->skipped++;
        }
    }
    return 0;
}

/* A harness event as a message of role "system" with one part. */
static cairn_part *event(cc *c, cairn_part_type type, cairn_str uuid, int64_t t)
{
    if (!new_message(c, "system", uuid, t))
        return NULL;
    chain_mark(c, uuid, (uint32_t)(c->messages.n - 1));
    return new_part(c, type, uuid, t);
}

static int on_system(cc *c, cn_jval o, cairn_str uuid, int64_t t)
{
    cn_jval sub = cn_json_get(o, "subtype");
    cairn_part *p;
    if (cn_json_str_eq(sub, "api_error")) {
        if (!(p = event(c, CAIRN_PART_RETRY, uuid, t)))
            return -1;
        p->u.retry.attempt = cn_json_i64_or(cn_json_get(o, "retryAttempt"), 0);
        p->u.retry.error = S(c, cn_json_path(o, "error", "message", NULL));
        if (!p->u.retry.error.ptr)
            p->u.retry.error = cn_json_raw(cn_json_get(o, "error"));
        return 0;
    }
    if (cn_json_str_eq(sub, "compact_boundary")) {
        if (!(p = event(c, CAIRN_PART_COMPACTION, uuid, t)))
            return -1;
        p->u.compaction.automatic =
            cn_json_str_eq(cn_json_path(o, "compactMetadata", "trigger", NULL), "auto");
        return 0;
    }
    c->b->skipped++;
    return 0;
}

/* An id of the current line's own, "<what>-<line number>"; {NULL, 0} out of memory. */
static cairn_str own_id(cc *c, const char *what)
{
    char *buf = cn_arena_bytes(c->a, 64);
    return buf ? (cairn_str){buf, (size_t)snprintf(buf, 64, "%s-%zu", what, c->line_no)}
               : (cairn_str){NULL, 0};
}

static int on_summary(cc *c, cn_jval o, cairn_str uuid, int64_t t)
{
    cairn_str text = S(c, cn_json_get(o, "summary"));
    cairn_str id = uuid.len ? uuid : S(c, cn_json_get(o, "leafUuid"));
    /* summaries carry no uuid of their own: make one per line */
    if ((!id.len || cn_map_get(&c->uuids, id) != UINT32_MAX) && !(id = own_id(c, "summary")).ptr)
        return -1;
    cairn_part *p = event(c, CAIRN_PART_COMPACTION, id, t);
    if (!p)
        return -1;
    p = new_part(c, CAIRN_PART_TEXT, part_id(c, id, 1), t);
    if (!p)
        return -1;
    p->u.text.text = text;
    p->synthetic = true;
    if (text.len)
        c->summary_title = text;
    return 0;
}

static int on_cost(cc *c, cn_jval o, cairn_str uuid, int64_t t)
{
    (void)uuid;
    (void)t;
    double v;
    if (cn_json_f64(cn_json_get(o, "totalCostUSD"), &v) == CAIRN_OK) {
        c->cost = v;
        c->have_cost = true;
    }
    return 0;
}

typedef int (*line_fn)(cc *c, cn_jval o, cairn_str uuid, int64_t t);

static const struct {
    const char *type;
    line_fn fn;   /* NULL: known, not indexed */
    bool message; /* it makes a message, which needs an id: without a uuid, "line-<n>" */
} line_types[] = {
    {"user", on_user, true},         {"assistant", on_assistant, true},
    {"system", on_system, true},     {"summary", on_summary, false},
    {"cost-state", on_cost, false},  {"attachment", NULL, false},
    {"file-history-snapshot", NULL, false}, {"queue-operation", NULL, false},
    {"api-request", NULL, false},    {"api-request-shape", NULL, false},
    {"api-request-blob", NULL, false}, {"last-prompt", NULL, false},
    {"tools-used", NULL, false},     {"atis-latch", NULL, false},
    {"mode", NULL, false},
};

static int line(cc *c, cairn_str text)
{
    cairn_err e;
    if (text.len > CN_JSONL_LINE_MAX) {
        char msg[128];
        snprintf(msg, sizeof msg, "line of %zu bytes is over the limit of %zu: skipped", text.len,
                 CN_JSONL_LINE_MAX);
        issue(c, CAIRN_TOOBIG, msg);
        return 0;
    }
    if (cn_json_parse(&c->j, text.ptr, text.len, &e)) {
        issue(c, e.rc, cn_str_starts(cn_str(e.msg), "line 1, ") ? e.msg + 8 : e.msg);
        return 0;
    }
    cn_jval o = cn_json_root(&c->j);
    cn_jval type = cn_json_get(o, "type");
    if (!cn_json_is(o, CN_JSON_OBJECT) || !cn_json_is(type, CN_JSON_STRING)) {
        issue(c, CAIRN_PARSE, "not an object with a string 'type'");
        return 0;
    }
    cairn_str uuid = S(c, cn_json_get(o, "uuid"));
    if (uuid.len) {
        chain_line *cl = push(&c->chain, sizeof *cl);
        if (!cl || cn_map_put(&c->uuids, uuid, (uint32_t)(c->chain.n - 1)))
            return -1;
        cl->parent = S(c, cn_json_get(o, "parentUuid"));
        cl->msg = CAIRN_NONE;
    }
    if (!c->cwd.len)
        c->cwd = S(c, cn_json_get(o, "cwd"));
    if (!c->version.len)
        c->version = S(c, cn_json_get(o, "version"));
    if (!c->session_field.len)
        c->session_field = S(c, cn_json_get(o, "sessionId"));
    int64_t t = ts(c, o);
    cairn_session *s = AT(c->sessions, cairn_session, c->session);
    if (t && (!s->time_created_ms || t < s->time_created_ms))
        s->time_created_ms = t;
    if (t > s->time_updated_ms)
        s->time_updated_ms = t;
    for (size_t i = 0; i < sizeof line_types / sizeof line_types[0]; i++) {
        if (!cn_json_str_eq(type, line_types[i].type))
            continue;
        if (!line_types[i].fn)
            return 0;
        if (line_types[i].message && !uuid.len && !(uuid = own_id(c, "line")).ptr)
            return -1;
        return line_types[i].fn(c, o, uuid, t);
    }
    c->b->skipped++;
    return 0;
}

/* Each message's parent: the nearest message up the parentUuid chain. */
static void link_parents(cc *c, uint32_t first)
{
    for (uint32_t mi = first; mi < c->messages.n; mi++) {
        cairn_message *m = msg_at(c, mi);
        uint32_t k = cn_map_get(&c->uuids, m->id);
        for (size_t guard = 0; k != UINT32_MAX && guard < c->chain.n; guard++) {
            cairn_str parent = AT(c->chain, chain_line, k)->parent;
            k = parent.len ? cn_map_get(&c->uuids, parent) : UINT32_MAX; /* dangling: a root */
            if (k == UINT32_MAX)
                break;
            uint32_t pm = AT(c->chain, chain_line, k)->msg;
            /* an assistant message answers the user message up the chain; others
             * follow the nearest message */
            if (pm != CAIRN_NONE && pm != mi &&
                (!cn_str_eqc(m->role, "assistant") || cn_str_eqc(msg_at(c, pm)->role, "user"))) {
                m->parent_id = msg_at(c, pm)->id;
                break;
            }
        }
    }
}

static bool uuid_like(cairn_str s)
{
    return s.len == 36 && s.ptr[8] == '-' && s.ptr[13] == '-' && s.ptr[18] == '-' &&
           s.ptr[23] == '-';
}

static cairn_str title_of(cc *c, cairn_str s)
{
    cairn_str t = cn_str_cut(s, 80);
    char *nl = t.len ? memchr(t.ptr, '\n', t.len) : NULL;
    if (nl)
        t.len = (size_t)(nl - t.ptr);
    (void)c;
    return t;
}

static int read_file(cc *c, const cn_unit *u)
{
    uint32_t first_msg = (uint32_t)c->messages.n;
    size_t first_part = c->parts.n;
    cairn_session *s = push(&c->sessions, sizeof *s);
    if (!s)
        return -1;
    c->u = u;
    c->session = (uint32_t)(c->sessions.n - 1);
    c->resp = CAIRN_NONE;
    c->chain.n = c->resp_turns.n = 0;
    c->cwd = c->version = c->session_field = c->prompt_title = c->summary_title =
        (cairn_str){NULL, 0};
    c->have_cost = false;
    cn_map_release(&c->tools);
    cn_map_release(&c->line_part);
    cn_map_release(&c->uuids);
    cn_map_release(&c->responses);
    bool sub = cn_str_starts(u->id, "agent-") && strstr(u->path.ptr, "/subagents/");
    s->agent = CAIRN_AGENT_CLAUDE;
    s->origin = CAIRN_ORIGIN_JSONL;
    s->id = u->id;
    s->key = u->id;
    s->source_path = u->path;
    s->parent_id = sub ? u->parent_id : (cairn_str){NULL, 0};
    s->project = s->parent = CAIRN_NONE;

    /* a grown file whose earlier bytes are unchanged is read from its last turn on */
    int64_t base = u->resume_offset > 0 && (size_t)u->resume_offset <= u->content.len
                       ? u->resume_offset : 0;
    cn_jsonl r;
    cairn_str ln;
    cairn_rc rc;
    c->turn.seen = c->resp_seen = false;
    cn_jsonl_init(&r, (cairn_str){u->content.ptr + base, u->content.len - (size_t)base});
    for (;;) {
        if ((rc = cn_jsonl_next(&r, &ln)) != CAIRN_OK)
            break;
        /* where the line starts, past the blank lines before it, which line_no counts */
        c->line_off = base + (int64_t)cn_jsonl_line_start(&r, ln);
        c->line_no = (size_t)(base ? u->resume_line : 0) + r.line_no;
        if (line(c, ln))
            return -1;
    }
    /* a partial last line is an agent still writing: read again next time */
    s = AT(c->sessions, cairn_session, c->session);
    s->first_seq = base ? u->resume_seq : 0;
    s->tail_offset = base + (int64_t)cn_jsonl_offset(&r);
    s->tail_hash = cn_hash64(u->content.ptr, (size_t)s->tail_offset);
    /* a prompt typed while the last response streamed: that response's later lines
     * may still come, and they count with its earlier ones, so resume at its turn */
    turn at = c->resp_seen ? earlier(c->resp_turn, c->turn) : c->turn;
    s->resume_offset = at.seen ? at.off : base;
    s->resume_line = at.seen ? at.line : (base ? u->resume_line : 0);
    s->resume_seq = s->first_seq + (at.seen ? at.msgs : 0);
    if (base && u->resume_id.len) /* a resumed read did not see the lines that named it */
        s->id = u->resume_id;
    else if (!sub && !uuid_like(u->id) && c->session_field.len)
        s->id = c->session_field;
    for (uint32_t mi = first_msg; mi < c->messages.n; mi++)
        msg_at(c, mi)->session_id = s->id;
    for (size_t pi = first_part; pi < c->parts.n; pi++)
        AT(c->parts, cairn_part, pi)->session_id = s->id;
    s->directory = c->cwd;
    s->project_id = c->cwd;
    s->version = c->version;
    s->title = title_of(c, c->summary_title.len ? c->summary_title : c->prompt_title);
    s->cost = c->have_cost ? c->cost : 0;
    s->totals_computed = true;
    for (uint32_t mi = first_msg; mi < c->messages.n; mi++) {
        cairn_message *m = msg_at(c, mi);
        cn_tokens_add(&s->tokens, &m->tokens);
        if (!s->model_id.len && m->model_id.len) {
            s->model_id = m->model_id;
            s->provider_id = m->provider_id;
        }
    }
    link_parents(c, first_msg);
    if (!s->nmessages && !c->summary_title.len && !c->cwd.len) {
        c->sessions.n--; /* nothing in it: not a session */
        c->b->skipped++;
        return 0;
    }
    uint32_t other = cn_map_get(&c->seen, s->id);
    if (other != UINT32_MAX) {
        char msg[512];
        snprintf(msg, sizeof msg, "holds session %.*s again (already read from %.*s): skipped",
                 CAIRN_STR_FMT(s->id),
                 CAIRN_STR_FMT(AT(c->sessions, cairn_session, other)->source_path));
        cairn_report_add(c->rep, CAIRN_EXISTS, u->path.ptr, msg);
        c->sessions.n--;
        c->messages.n = first_msg;
        c->parts.n = first_part;
        return 0;
    }
    return cn_map_put(&c->seen, s->id, c->session) ? -1 : 0;
}

/* agent-<id>.meta.json: the sub-agent's description, type and model; the launching call. */
static void read_meta(cc *c, const cn_unit *u)
{
    cairn_err e;
    c->u = u;
    c->line_no = 1;
    if (cn_json_parse(&c->j, u->content.ptr, u->content.len, &e)) {
        issue(c, e.rc, e.msg);
        return;
    }
    cn_jval o = cn_json_root(&c->j);
    cairn_str desc = S(c, cn_json_get(o, "description"));
    cairn_str tool_use = S(c, cn_json_get(o, "toolUseId"));
    for (size_t i = 0; i < c->sessions.n; i++) {
        cairn_session *s = AT(c->sessions, cairn_session, i);
        if (cn_str_eq(s->key, u->id)) {
            if (desc.len) /* a title as the transcript's: one line, at most 80 bytes */
                s->title = title_of(c, desc);
            s->agent_name = S(c, cn_json_get(o, "agentType"));
        }
        if (!cn_str_eq(s->key, u->parent_id) || !tool_use.len)
            continue;
        for (uint32_t m = s->first_message; m < s->first_message + s->nmessages; m++) {
            cairn_message *msg = msg_at(c, m);
            for (uint32_t k = msg->first_part; k < msg->first_part + msg->nparts; k++) {
                cairn_part *p = AT(c->parts, cairn_part, k);
                if (p->type == CAIRN_PART_TOOL && cn_str_eq(p->u.tool.call_id, tool_use))
                    p->u.tool.child_session_id = u->id;
            }
        }
    }
}

static int by_created(const void *a, const void *b)
{
    const cairn_session *x = *(cairn_session *const *)a, *y = *(cairn_session *const *)b;
    if (x->time_created_ms != y->time_created_ms)
        return x->time_created_ms < y->time_created_ms ? -1 : 1;
    return cn_str_cmp(x->id, y->id);
}

/* Copy the vectors into the batch arena: sessions sorted, indices remapped. */
static cairn_rc finish(cc *c)
{
    cairn_batch *b = c->b;
    size_t ns = c->sessions.n;
    cairn_session **order = malloc((ns + 1) * sizeof *order);
    uint32_t *newidx = malloc((ns + 1) * sizeof *newidx);
    cn_map ids;
    cairn_rc rc = CAIRN_NOMEM;

    cn_map_init(&ids);
    b->sessions = cn_arena_calloc(c->a, ns + 1, sizeof *b->sessions);
    b->messages = cn_arena_calloc(c->a, c->messages.n + 1, sizeof *b->messages);
    b->parts = cn_arena_calloc(c->a, c->parts.n + 1, sizeof *b->parts);
    b->projects = cn_arena_calloc(c->a, ns + 1, sizeof *b->projects);
    if (!order || !newidx || !b->sessions || !b->messages || !b->parts || !b->projects)
        goto out;
    for (size_t i = 0; i < ns; i++)
        order[i] = AT(c->sessions, cairn_session, i);
    qsort(order, ns, sizeof *order, by_created);
    for (size_t i = 0; i < ns; i++) {
        newidx[order[i] - (cairn_session *)c->sessions.p] = (uint32_t)i;
        b->sessions[i] = *order[i];
        if (cn_map_put(&ids, b->sessions[i].id, (uint32_t)i))
            goto out;
    }
    if (c->messages.n) /* else its array is NULL */
        memcpy(b->messages, c->messages.p, c->messages.n * sizeof *b->messages);
    if (c->parts.n)
        memcpy(b->parts, c->parts.p, c->parts.n * sizeof *b->parts);
    b->nsessions = ns;
    b->nmessages = c->messages.n;
    b->nparts = c->parts.n;
    for (size_t i = 0; i < b->nmessages; i++)
        b->messages[i].session = newidx[b->messages[i].session];
    for (size_t i = 0; i < ns; i++) {
        cairn_session *s = &b->sessions[i];
        s->parent = s->parent_id.len ? cn_map_get(&ids, s->parent_id) : CAIRN_NONE;
        if (!s->project_id.len)
            continue;
        size_t k;
        for (k = 0; k < b->nprojects && !cn_str_eq(b->projects[k].id, s->project_id); k++)
            ;
        if (k == b->nprojects) {
            cairn_project *p = &b->projects[b->nprojects++];
            p->agent = CAIRN_AGENT_CLAUDE;
            p->origin = CAIRN_ORIGIN_JSONL;
            p->id = p->worktree = s->project_id;
            p->dirs = &p->worktree;
            p->ndirs = 1;
            p->time_created_ms = s->time_created_ms;
        }
        if (s->time_updated_ms > b->projects[k].time_updated_ms)
            b->projects[k].time_updated_ms = s->time_updated_ms;
        s->project = (uint32_t)k;
    }
    rc = CAIRN_OK;
out:
    cn_map_release(&ids);
    free(order);
    free(newidx);
    return rc;
}

cairn_rc cn_claude_hydrate(cairn_resolved *res, cairn_batch *b, cairn_report *rep,
                           cairn_err *err)
{
    cc c = {.b = b, .a = cn_batch_arena(b), .rep = rep};
    cairn_rc rc = CAIRN_OK;

    cn_json_init(&c.j);
    for (size_t i = 0; i < res->n && !rc; i++)
        if (res->units[i].kind == CAIRN_ITEM_SESSION && read_file(&c, &res->units[i]))
            rc = CAIRN_NOMEM;
    for (size_t i = 0; i < res->n && !rc; i++)
        if (res->units[i].kind == CAIRN_ITEM_META)
            read_meta(&c, &res->units[i]);
    if (!rc)
        rc = finish(&c);
    cn_json_release(&c.j);
    cn_map_release(&c.tools);
    cn_map_release(&c.line_part);
    cn_map_release(&c.uuids);
    cn_map_release(&c.responses);
    cn_map_release(&c.seen);
    free(c.sessions.p);
    free(c.messages.p);
    free(c.parts.p);
    free(c.chain.p);
    free(c.resp_turns.p);
    free(c.projects.p);
    if (rc)
        return cn_err_set(err, rc, "out of memory reading Claude Code transcripts");
    return CAIRN_OK;
}
