/*
 * source/codex/items.c - response_item and compacted lines -> messages and parts
 * (formats/codex.md §2.3, §2.5).
 *
 * Messages, in file order:
 *  - a user item is a user message (input_text -> text parts, input_image/input_file ->
 *    file parts);
 *  - the model's output items in a row (reasoning summaries, assistant text, tool calls)
 *    form one assistant message, as one model response does; any input-side item (a user
 *    or developer message, a tool output), a turn_context or a compacted line ends it;
 *  - a tool call (function_call, custom_tool_call, local_shell_call, web_search_call,
 *    tool_search_call) is one tool part; its *_output line, found by call_id, completes
 *    that part (status completed, output) - an unanswered call stays pending;
 *  - compacted is a system message with a compaction part (and the summary text).
 * Developer and system messages (harness instructions) are skipped.  User items that are
 * harness context (environment, AGENTS.md, skills, ...) are kept with their text parts
 * marked synthetic: their text starts with a known wrapper, or, in a file that has prompt
 * events (event_msg user_message, item_completed UserMessage, which Codex writes only for
 * what the user typed), no event confirmed them.
 * Ids: a message is "<thread>:<line>" of its first line, a part "<thread>:<line>:<k>" -
 * stable for an append-only file and unique in the batch (forked threads copy item ids,
 * so those are not used).
 */
#include "source/codex/codex.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/str.h"
#include "source/batch.h"

static cairn_str S(cx_hy *h, cn_jval v)
{
    return cn_json_str_or(v, h->a);
}

static cairn_str make_id(cx_hy *h, int k)
{
    char buf[512];
    int n = k < 0 ? snprintf(buf, sizeof buf, "%.*s:%zu", CAIRN_STR_FMT(h->u->id), h->line)
                  : snprintf(buf, sizeof buf, "%.*s:%zu:%d", CAIRN_STR_FMT(h->u->id), h->line, k);
    if (n < 0 || (size_t)n >= sizeof buf)
        n = (int)sizeof buf - 1;
    cairn_str id = cn_arena_strdup(h->a, (cairn_str){buf, (size_t)n});
    if (!id.ptr)
        h->oom = true;
    return id;
}

static bool grow(void **p, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 256;
    void *q = realloc(*p, c * sz);
    if (!q)
        return false;
    *p = q;
    *cap = c;
    return true;
}

/* A new message of the current line at the end; CAIRN_NONE when out of memory. */
static uint32_t add_msg(cx_hy *h, cairn_str role)
{
    size_t cap = h->capmsgs;
    if (!grow((void **)&h->msgs, &h->capmsgs, h->nmsgs, sizeof *h->msgs) ||
        !grow((void **)&h->mflags, &cap, h->nmsgs, 1)) {
        h->oom = true;
        return CAIRN_NONE;
    }
    cairn_message *m = &h->msgs[h->nmsgs];
    memset(m, 0, sizeof *m);
    m->id = make_id(h, -1);
    m->role = role;
    m->time_created_ms = h->ts;
    m->session = h->s;
    m->first_part = (uint32_t)h->nparts;
    h->mflags[h->nmsgs] = 0;
    return (uint32_t)h->nmsgs++;
}

/* A new part of the last message; NULL when out of memory. */
static cairn_part *add_part(cx_hy *h, cairn_part_type type)
{
    if (!h->nmsgs || !grow((void **)&h->parts, &h->capparts, h->nparts, sizeof *h->parts)) {
        h->oom = true;
        return NULL;
    }
    uint32_t m = (uint32_t)h->nmsgs - 1;
    cairn_part *p = &h->parts[h->nparts++];
    memset(p, 0, sizeof *p);
    p->id = make_id(h, (int)h->line_parts++);
    p->message_id = h->msgs[m].id;
    p->type = (uint8_t)type;
    p->type_name = cn_str(cairn_part_type_name(type));
    p->time_start_ms = h->ts;
    p->message = m;
    h->msgs[m].nparts++;
    return p;
}

/* The assistant message model output goes into: the open one, or a new one. */
static uint32_t assistant(cx_hy *h)
{
    if (h->open != CAIRN_NONE) {
        h->msgs[h->open].time_completed_ms = h->ts;
        return h->open;
    }
    uint32_t m = add_msg(h, CAIRN_STR("assistant"));
    if (m == CAIRN_NONE)
        return m;
    h->msgs[m].model_id = h->model;
    h->msgs[m].provider_id = h->sess[h->s].provider_id;
    h->msgs[m].time_completed_ms = h->ts;
    h->last_reply = m;
    return h->open = m;
}

static bool harness_text(cairn_str t)
{
    static const char *const wrappers[] = {
        "<environment_context>", "<user_instructions>",        "# AGENTS.md instructions",
        "<skills_instructions>", "<permissions instructions>", "<turn_aborted>",
        "<INSTRUCTIONS>",
    };
    while (t.len && (*t.ptr == ' ' || *t.ptr == '\n' || *t.ptr == '\r' || *t.ptr == '\t')) {
        t.ptr++;
        t.len--;
    }
    for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++)
        if (cn_str_starts(t, wrappers[i]))
            return true;
    return false;
}

/* ---- messages ---- */

static void user_content(cx_hy *h, cn_jval c, bool *harness)
{
    cn_jval type = cn_json_get(c, "type");
    if (cn_json_str_eq(type, "input_text") || cn_json_str_eq(type, "text")) {
        cairn_str t = S(h, cn_json_get(c, "text"));
        if (!t.ptr)
            return;
        if (h->msgs[h->nmsgs - 1].nparts == 0)
            *harness = harness_text(t);
        cairn_part *p = add_part(h, CAIRN_PART_TEXT);
        if (p)
            p->u.text.text = t;
    } else if (cn_json_str_eq(type, "input_image") || cn_json_str_eq(type, "input_file")) {
        cairn_part *p = add_part(h, CAIRN_PART_FILE);
        if (!p)
            return;
        bool image = cn_json_str_eq(type, "input_image");
        cairn_str url = S(h, cn_json_get(c, image ? "image_url" : "file_url"));
        p->u.file.mime = image ? CAIRN_STR("image") : (cairn_str){NULL, 0};
        p->u.file.filename = S(h, cn_json_get(c, "filename"));
        if (!cn_str_starts(url, "data:")) /* inline data is large and not text */
            p->u.file.url = url;
    }
}

static void user_message(cx_hy *h, cn_jval content)
{
    bool harness = false;
    h->open = CAIRN_NONE;
    uint32_t m = add_msg(h, CAIRN_STR("user"));
    if (m == CAIRN_NONE)
        return;
    cn_jiter it = cn_json_iter(content);
    cn_jval c;
    if (cn_json_is(content, CN_JSON_STRING)) {
        cairn_part *p = add_part(h, CAIRN_PART_TEXT);
        if (p)
            harness = harness_text(p->u.text.text = S(h, content));
    }
    while (cn_json_next(&it, NULL, &c))
        user_content(h, c, &harness);
    if (!h->msgs[m].nparts) {
        h->nmsgs--; /* nothing in it */
        h->b->skipped++;
        return;
    }
    if (harness) {
        h->mflags[m] |= CX_USER_HARNESS;
        return;
    }
    /* a typed prompt starts a turn: a grown file can be read again from here */
    h->turn_seen = true;
    /* from the event that came first, unless another item (or a compaction) came between
     * the two (a read from the event would see it again, without what came before) */
    bool from_event = h->confirm_next && h->items == h->confirm_items + 1;
    h->turn_off = from_event ? h->confirm_off : h->line_off;
    h->turn_line = from_event ? h->confirm_line : (int64_t)h->line - 1;
    h->turn_msgs = m - h->first_msg;
    if (h->confirm_next) {
        h->mflags[m] |= CX_USER_CONFIRMED;
        h->confirm_next = false;
    } else {
        h->pending = m;
    }
}

static void assistant_message(cx_hy *h, cn_jval content)
{
    cn_jiter it = cn_json_iter(content);
    cn_jval c;
    while (cn_json_next(&it, NULL, &c)) {
        cn_jval type = cn_json_get(c, "type");
        cairn_str t = S(h, cn_json_get(c, cn_json_str_eq(type, "refusal") ? "refusal" : "text"));
        if (!t.ptr || assistant(h) == CAIRN_NONE)
            continue;
        cairn_part *p = add_part(h, CAIRN_PART_TEXT);
        if (p)
            p->u.text.text = t;
    }
}

/* Summary texts (or, without them, raw reasoning text) as reasoning parts. */
static void reasoning(cx_hy *h, cn_jval payload)
{
    const char *const lists[] = {"summary", "content"};
    for (int l = 0; l < 2; l++) {
        size_t made = 0;
        cn_jiter it = cn_json_iter(cn_json_get(payload, lists[l]));
        cn_jval c;
        while (cn_json_next(&it, NULL, &c)) {
            cairn_str t = S(h, cn_json_get(c, "text"));
            if (!t.len || assistant(h) == CAIRN_NONE)
                continue;
            cairn_part *p = add_part(h, CAIRN_PART_REASONING);
            if (p)
                p->u.text.text = t;
            made++;
        }
        if (made)
            return;
    }
    h->b->skipped++; /* encrypted only */
}

/* ---- tools ---- */

/* Tool input as JSON text: a JSON-string argument is decoded when it holds valid JSON,
 * else kept as the string literal (always valid JSON); objects are kept as they are. */
static cairn_str json_input(cx_hy *h, cn_jval v)
{
    if (!cn_json_exists(v) || cn_json_is(v, CN_JSON_NULL))
        return (cairn_str){NULL, 0};
    if (!cn_json_is(v, CN_JSON_STRING))
        return cn_json_raw(v);
    cairn_str s = S(h, v);
    if (s.ptr && s.len && cn_json_parse(&h->aj, s.ptr, s.len, NULL) == CAIRN_OK)
        return s;
    return cn_json_raw(v);
}

/* kind: one of the static strings in tool_calls[] (names point into it). */
static void tool_call(cx_hy *h, cn_jval p, const char *kind)
{
    uint32_t m = assistant(h);
    cairn_part *t = m == CAIRN_NONE ? NULL : add_part(h, CAIRN_PART_TOOL);
    if (!t)
        return;
    t->status = CAIRN_TOOL_PENDING;
    t->u.tool.call_id = S(h, cn_json_get(p, "call_id"));
    t->u.tool.name = S(h, cn_json_get(p, "name"));
    if (!strcmp(kind, "function_call")) {
        t->u.tool.input = json_input(h, cn_json_get(p, "arguments"));
    } else if (!strcmp(kind, "custom_tool_call")) {
        t->u.tool.input = cn_json_raw(cn_json_get(p, "input"));
    } else {
        /* local_shell_call, web_search_call, tool_search_call: named by their kind */
        static const char *const keys[] = {"action", "arguments", "input", "query"};
        size_t n = strlen(kind) - 5; /* without "_call" */
        if (!t->u.tool.name.len)
            t->u.tool.name = (cairn_str){kind, n};
        for (size_t k = 0; k < 4 && !t->u.tool.input.ptr; k++)
            t->u.tool.input = json_input(h, cn_json_get(p, keys[k]));
        if (!t->u.tool.call_id.ptr)
            t->u.tool.call_id = S(h, cn_json_get(p, "id"));
    }
    if (!strcmp(kind, "web_search_call")) {
        /* no output item: the call's own status says how it went */
        cn_jval st = cn_json_get(p, "status");
        t->status = CAIRN_TOOL_RUNNING;
        if (!cn_json_exists(st) || cn_json_str_eq(st, "completed"))
            t->status = CAIRN_TOOL_COMPLETED;
        else if (cn_json_str_eq(st, "failed"))
            t->status = CAIRN_TOOL_ERROR;
        t->u.tool.title = S(h, cn_json_path(p, "action", "query", NULL));
        return;
    }
    if (t->u.tool.call_id.len && cn_map_put(&h->calls, t->u.tool.call_id, (uint32_t)(t - h->parts)))
        h->oom = true;
}

/* Output text: a string (0.50's JSON-string {"output": ...} unwrapped), the texts of a
 * content array joined by newlines, or the raw JSON of anything else. */
static cairn_str output_text(cx_hy *h, cn_jval v)
{
    if (cn_json_is(v, CN_JSON_STRING)) {
        cairn_str s = S(h, v);
        if (s.len > 1 && s.ptr[0] == '{' && cn_json_parse(&h->aj, s.ptr, s.len, NULL) == 0) {
            cn_jval out = cn_json_get(cn_json_root(&h->aj), "output");
            if (cn_json_is(out, CN_JSON_STRING))
                return S(h, out);
        }
        return s;
    }
    if (!cn_json_is(v, CN_JSON_ARRAY))
        return cn_json_raw(v);
    size_t len = 0, n = 0;
    cn_jiter it = cn_json_iter(v);
    cn_jval c;
    while (cn_json_next(&it, NULL, &c))
        len += cn_json_raw(cn_json_get(c, "text")).len + 1;
    char *buf = cn_arena_bytes(h->a, len + 1);
    if (!buf) {
        h->oom = true;
        return (cairn_str){NULL, 0};
    }
    it = cn_json_iter(v);
    while (cn_json_next(&it, NULL, &c)) {
        cairn_str t = S(h, cn_json_get(c, "text"));
        if (!t.ptr)
            continue;
        if (n)
            buf[n++] = '\n';
        memcpy(buf + n, t.ptr, t.len); /* unescaped is never longer than raw */
        n += t.len;
    }
    buf[n] = '\0';
    return n ? (cairn_str){buf, n} : cn_json_raw(v);
}

static void tool_output(cx_hy *h, cn_jval p)
{
    cairn_str call = S(h, cn_json_get(p, "call_id"));
    uint32_t k = call.len ? cn_map_get(&h->calls, call) : UINT32_MAX;
    cairn_part *t;
    if (k == UINT32_MAX) {
        /* an output whose call is not in this file: keep it as a tool part of its own */
        h->open = CAIRN_NONE;
        if (assistant(h) == CAIRN_NONE || !(t = add_part(h, CAIRN_PART_TOOL)))
            return;
        t->u.tool.call_id = call;
    } else {
        t = &h->parts[k];
    }
    t->status = CAIRN_TOOL_COMPLETED;
    t->u.tool.output = output_text(h, cn_json_get(p, "output"));
    t->time_end_ms = h->ts;
    h->msgs[t->message].time_completed_ms = h->ts;
    h->open = CAIRN_NONE; /* input for the next request */
}

/* ---- entry points ---- */

static const char *const tool_calls[] = {"function_call", "custom_tool_call", "local_shell_call",
                                         "web_search_call", "tool_search_call"};
static const char *const tool_outputs[] = {"function_call_output", "custom_tool_call_output",
                                           "local_shell_call_output", "tool_search_call_output"};

static int find(const char *const *names, size_t n, const char *kind)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], kind))
            return (int)i;
    return -1;
}

void cn_cx_response_item(cx_hy *h, cn_jval p)
{
    cn_jval tv = cn_json_get(p, "type");
    cairn_str type = cn_json_is(tv, CN_JSON_STRING) ? cn_json_raw(tv) : (cairn_str){NULL, 0};
    char kind[40];
    int i;
    h->items++;
    if (type.len < 2 || type.len - 2 >= sizeof kind) {
        h->b->skipped++;
        return;
    }
    memcpy(kind, type.ptr + 1, type.len - 2); /* inner types have no escapes */
    kind[type.len - 2] = '\0';
    if (!strcmp(kind, "message")) {
        cn_jval role = cn_json_get(p, "role"), content = cn_json_get(p, "content");
        if (cn_json_str_eq(role, "user")) {
            user_message(h, content);
        } else if (cn_json_str_eq(role, "assistant")) {
            assistant_message(h, content);
        } else {
            h->open = CAIRN_NONE; /* developer, system: harness instructions */
            h->b->skipped++;
        }
    } else if (!strcmp(kind, "reasoning")) {
        reasoning(h, p);
    } else if ((i = find(tool_calls, 5, kind)) >= 0) {
        tool_call(h, p, tool_calls[i]);
    } else if (find(tool_outputs, 4, kind) >= 0) {
        tool_output(h, p);
    } else {
        h->b->skipped++; /* ghost_snapshot, compaction items, newer kinds */
    }
}

void cn_cx_compacted(cx_hy *h, cn_jval p)
{
    h->items++;
    h->open = CAIRN_NONE;
    uint32_t m = add_msg(h, CAIRN_STR("system"));
    if (m == CAIRN_NONE)
        return;
    h->msgs[m].summary = true;
    cairn_part *c = add_part(h, CAIRN_PART_COMPACTION);
    cairn_str text = S(h, cn_json_get(p, "message"));
    if (!c || !text.len)
        return;
    cairn_part *t = add_part(h, CAIRN_PART_TEXT);
    if (t)
        t->u.text.text = text;
}

void cn_cx_confirm_prompt(cx_hy *h)
{
    h->confirmed_any = true;
    if (h->pending == CAIRN_NONE) {
        h->confirm_next = true; /* the event came first */
        h->confirm_off = h->line_off;
        h->confirm_line = (int64_t)h->line - 1;
        h->confirm_items = h->items;
        return;
    }
    h->mflags[h->pending] |= CX_USER_CONFIRMED;
    h->pending = CAIRN_NONE;
}

void cn_cx_mark_harness(cx_hy *h)
{
    cairn_str parent = {NULL, 0};
    for (size_t m = h->first_msg; m < h->nmsgs; m++) {
        cairn_message *msg = &h->msgs[m];
        if (cn_str_eqc(msg->role, "assistant")) {
            msg->parent_id = parent;
            continue;
        }
        if (!cn_str_eqc(msg->role, "user"))
            continue;
        bool harness = (h->mflags[m] & CX_USER_HARNESS) ||
                       (h->confirmed_any && !(h->mflags[m] & CX_USER_CONFIRMED));
        if (!harness) {
            parent = msg->id;
            continue;
        }
        h->mflags[m] |= CX_USER_HARNESS;
        for (uint32_t k = msg->first_part; k < msg->first_part + msg->nparts; k++)
            h->parts[k].synthetic = true;
    }
}
