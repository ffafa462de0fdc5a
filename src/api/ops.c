/*
 * api/ops.c - the operations: sessions, session context, project memories,
 * search and health.  Each handler reads its validated arguments and writes
 * one JSON answer into c->w; the shapes follow the REST contract of issue 5.
 */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/str.h"

#define R CN_REQUIRED
#define P CN_IN_PATH
#define Q CN_IN_QUERY
#define B CN_IN_BODY

/* ---- helpers ---- */

static void raw(cn_call *c, const char *json, size_t len)
{
    cn_jw_raw(&c->w, (cairn_str){json, len});
}

static void memories_answer(cn_call *c, const char *project, const cairn_memories *m,
                            const char *list)
{
    cn_jw_obj(&c->w);
    cn_jw_key(&c->w, "project_id");
    cn_jw_cstr(&c->w, project);
    cn_jw_key(&c->w, list);
    cn_jw_arr(&c->w);
    for (size_t i = 0; i < m->n; i++)
        cn_api_memory_json(&c->w, &m->items[i]);
    cn_jw_arr_end(&c->w);
    cn_jw_key(&c->w, "count");
    cn_jw_i64(&c->w, (int64_t)m->n);
    cn_jw_obj_end(&c->w);
}

/* ---- sessions ---- */

static cairn_rc session_create(cn_call *c)
{
    char id[64];
    cairn_session_new n = {cn_arg(c, "tool_id"), cn_arg(c, "workspace_path"),
                           cn_arg(c, "project_id"), cn_arg(c, "user_id"),
                           cn_arg_i64(c, "process_id", 0)};
    cairn_rc rc = cairn_session_create(c->store, &n, id, sizeof id, &c->err);
    if (rc)
        return rc;
    char *json;
    size_t len;
    if ((rc = cairn_session_json(c->store, id, NULL, &json, &len, &c->err)))
        return rc;
    cn_jw_raw_take(&c->w, json, len);
    return CAIRN_OK;
}

static cairn_rc session_list(cn_call *c)
{
    const char *active = cn_arg(c, "active");
    cairn_session_filter f = {cn_arg(c, "project_id"), cn_arg(c, "workspace_path"),
                              active ? (!strcmp(active, "true") || !strcmp(active, "1")) : -1,
                              (size_t)cn_arg_i64(c, "limit", 50), 0};
    char *json;
    size_t len;
    cairn_rc rc = cairn_session_json(c->store, NULL, &f, &json, &len, &c->err);
    if (rc)
        return rc;
    cn_jw_obj(&c->w);
    cn_jw_key(&c->w, "sessions");
    cn_jw_raw_take(&c->w, json, len);
    cn_jw_obj_end(&c->w);
    return CAIRN_OK;
}

static cairn_rc session_get(cn_call *c)
{
    char *json, *msgs;
    size_t len, mlen;
    int64_t n = cn_arg_i64(c, "messages", 0);
    cairn_rc rc = cairn_session_json(c->store, cn_arg(c, "session_id"), NULL, &json, &len,
                                     &c->err);
    if (rc)
        return rc;
    if (n <= 0) {
        cn_jw_raw_take(&c->w, json, len);
        return CAIRN_OK;
    }
    /* the session object with its last messages added */
    rc = cairn_session_messages_json(c->store, cn_arg(c, "session_id"), (size_t)n, &msgs, &mlen,
                                     &c->err);
    if (!rc) {
        cn_buf b;
        cn_buf_init(&b, (size_t)256 << 20);
        cn_buf_add(&b, json, len - 1); /* the object without its closing brace */
        cn_buf_adds(&b, ",\"last_messages\":");
        cn_buf_add(&b, msgs, mlen);
        cn_buf_addc(&b, '}');
        raw(c, b.ptr, b.len);
        cn_buf_release(&b);
        free(msgs);
    }
    free(json);
    return rc;
}

static cairn_rc session_action(cn_call *c, cairn_session_action a)
{
    cairn_rc rc = cairn_session_set(c->store, cn_arg(c, "session_id"), a, &c->err);
    return rc ? rc : session_get(c);
}

static cairn_rc session_end(cn_call *c)
{
    return session_action(c, CAIRN_SESSION_END);
}

static cairn_rc session_pin(cn_call *c)
{
    return session_action(c, CAIRN_SESSION_PIN);
}

static cairn_rc session_unpin(cn_call *c)
{
    return session_action(c, CAIRN_SESSION_UNPIN);
}

static cairn_rc session_archive(cn_call *c)
{
    return session_action(c, CAIRN_SESSION_ARCHIVE);
}

/* ---- context ---- */

static cairn_rc context_get(cn_call *c)
{
    char *json;
    size_t len;
    cairn_rc rc = cairn_context_get(c->store, cn_arg(c, "session_id"), &json, &len, &c->err);
    if (!rc) {
        cn_jw_raw_take(&c->w, json, len);
    }
    return rc;
}

static cairn_rc context_append(cn_call *c)
{
    cairn_context_item items[4];
    size_t n = 0;
    const char *file = cn_arg(c, "file_path"), *mem = cn_arg(c, "memory_id");
    if (file)
        items[n++] = (cairn_context_item){CAIRN_CONTEXT_FILE, file, NULL,
                                          cn_arg_f64(c, "file_importance", 0.5)};
    if (cn_arg(c, "search_query"))
        items[n++] = (cairn_context_item){CAIRN_CONTEXT_SEARCH, cn_arg(c, "search_query"), NULL, 0};
    if (cn_arg(c, "decision"))
        items[n++] = (cairn_context_item){CAIRN_CONTEXT_DECISION, cn_arg(c, "decision"), NULL, 0};
    if (mem || cn_arg(c, "memory_key")) /* no id: the store finds it by the key */
        items[n++] = (cairn_context_item){CAIRN_CONTEXT_MEMORY, mem, cn_arg(c, "memory_key"), 0};
    if (!file && cn_arg(c, "file_importance"))
        return cn_err_set(&c->err, CAIRN_INVAL, "field 'file_importance' needs 'file_path'");
    if (!n)
        return cn_err_set(&c->err, CAIRN_INVAL,
                          "nothing to append: give file_path, search_query, decision, memory_id"
                          " or memory_key");
    cairn_rc rc = cairn_context_append(c->store, cn_arg(c, "session_id"), items, n, &c->err);
    return rc ? rc : cn_call_then(c, context_get); /* the answer: the updated context */
}

/* ---- memories ---- */

static cairn_rc memory_save(cn_call *c)
{
    cairn_memories *m;
    cairn_str meta = cn_arg_json(c, "metadata");
    char *metadata = meta.ptr ? cn_arena_cstr(&c->arena, meta.ptr, meta.len) : NULL;
    cairn_rc rc = cairn_memory_save(c->store, cn_arg(c, "project_id"), cn_arg(c, "key"),
                                    cn_arg(c, "value"), metadata, cn_arg_i64(c, "ttl_seconds", 0),
                                    &m, &c->err);
    if (rc)
        return rc;
    cn_jw_obj(&c->w);
    cn_jw_key(&c->w, "memory_id");
    cn_jw_cstr(&c->w, m->items[0].memory_id);
    cn_jw_key(&c->w, "project_id");
    cn_jw_cstr(&c->w, m->items[0].project_id);
    cn_jw_key(&c->w, "key");
    cn_jw_cstr(&c->w, m->items[0].key);
    cn_jw_key(&c->w, "version");
    cn_jw_i64(&c->w, m->items[0].version);
    cn_jw_key(&c->w, "expires_at");
    cn_jw_time(&c->w, m->items[0].expires_ms);
    cn_jw_key(&c->w, "message");
    cn_jw_cstr(&c->w, "Memory created successfully");
    cn_jw_obj_end(&c->w);
    cairn_memories_free(m);
    return CAIRN_OK;
}

/* The accesses a read counts: its memories, at the time of the read. */
typedef struct accesses {
    cairn_memories *m;
    int64_t at;
} accesses;

static cairn_rc count_accesses(cairn_store *s, void *arg, cairn_err *err)
{
    accesses *a = arg;
    return cairn_memory_touch(s, a->m, a->at, err);
}

static void release_accesses(void *arg)
{
    cairn_memories_free(((accesses *)arg)->m);
}

static cairn_rc memory_list(cn_call *c)
{
    cairn_memories *m;
    const char *project = cn_arg(c, "project_id"), *key = cn_arg(c, "key");
    size_t limit = (size_t)cn_arg_i64(c, "limit", key ? 1 : 20);
    cairn_rc rc = cairn_memory_peek(c->store, project, key, limit, &m, &c->err);
    if (rc)
        return rc;
    accesses *a = cn_arena_alloc(&c->arena, sizeof *a);
    if (!a) {
        cairn_memories_free(m);
        return cn_err_set(&c->err, CAIRN_NOMEM, "out of memory");
    }
    *a = (accesses){m, cn_now_ms()};
    /* counted at once (m then shows it), or by the server's writer before the answer
     * goes out: the answer shows it already.  Failing (busy, read-only), the read stands. */
    if (cn_call_defer(c, count_accesses, a, release_accesses))
        for (size_t i = 0; i < m->n; i++) {
            m->items[i].accessed_count++;
            m->items[i].last_accessed_ms = a->at;
        }
    if (key) { /* one memory: the most recently accessed version of the key */
        cn_jw_obj(&c->w);
        cn_jw_key(&c->w, "project_id");
        cn_jw_cstr(&c->w, project);
        cn_jw_key(&c->w, "memory");
        cn_api_memory_json(&c->w, &m->items[0]);
        cn_jw_obj_end(&c->w);
    } else {
        memories_answer(c, project, m, "memories");
    }
    return CAIRN_OK; /* m goes with the call (release_accesses) */
}

static cairn_rc memory_history(cn_call *c)
{
    cairn_memories *m;
    cairn_rc rc = cairn_memory_history(c->store, cn_arg(c, "project_id"), cn_arg(c, "key"), &m,
                                       &c->err);
    if (rc)
        return rc;
    memories_answer(c, cn_arg(c, "project_id"), m, "versions");
    cairn_memories_free(m);
    return CAIRN_OK;
}

/* forget (or, restore, bring back) a memory; the answer names it */
static cairn_rc memory_forget_or_restore(cn_call *c, bool restore)
{
    const char *project = cn_arg(c, "project_id"), *key = cn_arg(c, "key");
    cairn_rc rc = restore ? cairn_memory_restore(c->store, project, key, &c->err)
                          : cairn_memory_forget(c->store, project, key, &c->err);
    if (rc)
        return rc;
    cn_jw_obj(&c->w);
    cn_jw_key(&c->w, "project_id");
    cn_jw_cstr(&c->w, project);
    cn_jw_key(&c->w, "key");
    cn_jw_cstr(&c->w, key);
    cn_jw_key(&c->w, "message");
    cn_jw_cstr(&c->w, restore ? "Memory restored" : "Memory forgotten (a restore brings it back)");
    cn_jw_obj_end(&c->w);
    return CAIRN_OK;
}

static cairn_rc memory_forget(cn_call *c)
{
    return memory_forget_or_restore(c, false);
}

static cairn_rc memory_restore(cn_call *c)
{
    return memory_forget_or_restore(c, true);
}

static cairn_rc memory_search(cn_call *c)
{
    cairn_query q;
    cairn_memories *m;
    cairn_rc rc = cairn_query_parse(cn_arg(c, "q"), &q, &c->err);
    if (rc)
        return rc;
    if ((rc = cairn_memory_search(c->store, cn_arg(c, "project_id"), &q,
                                  (size_t)cn_arg_i64(c, "limit", 20), &m, &c->err)))
        return rc;
    memories_answer(c, cn_arg(c, "project_id"), m, "memories");
    cairn_memories_free(m);
    return CAIRN_OK;
}

/* ---- conversation turns ---- */

static cairn_rc turn_post(cn_call *c)
{
    char id[40];
    cairn_str meta = cn_arg_json(c, "metadata");
    cairn_turn t = {cn_arg(c, "user_message"), cn_arg(c, "assistant_message"),
                    cn_arg(c, "session_id"), cn_arg(c, "project_id"),
                    meta.ptr ? cn_arena_cstr(&c->arena, meta.ptr, meta.len) : NULL};
    cairn_rc rc = cairn_turn_enqueue(c->store, &t, id, sizeof id, &c->err);
    if (rc)
        return rc;
    cn_jw_obj(&c->w);
    cn_jw_key(&c->w, "id");
    cn_jw_cstr(&c->w, id);
    cn_jw_key(&c->w, "status");
    cn_jw_cstr(&c->w, "queued");
    cn_jw_obj_end(&c->w);
    return CAIRN_OK;
}

static cairn_rc turn_get(cn_call *c)
{
    char *json;
    size_t len;
    cairn_rc rc = cairn_turn_status(c->store, cn_arg(c, "id"), &json, &len, &c->err);
    if (!rc) {
        cn_jw_raw_take(&c->w, json, len);
    }
    return rc;
}

static cairn_rc summary(cn_call *c)
{
    char *json;
    size_t len;
    cairn_rc rc = cairn_session_summary(c->store, cn_arg(c, "session_id"), &json, &len, &c->err);
    if (!rc) {
        cn_jw_raw_take(&c->w, json, len);
    }
    return rc;
}

static cairn_rc suggestions(cn_call *c)
{
    char *json;
    size_t len;
    cairn_rc rc =
        cairn_memory_suggestions(c->store, cn_arg(c, "session_id"), &json, &len, &c->err);
    if (!rc) {
        cn_jw_raw_take(&c->w, json, len);
    }
    return rc;
}

/* ---- search, health ---- */

static cairn_rc search(cn_call *c)
{
    cairn_query q;
    cairn_hits *h;
    cairn_rc rc = cairn_query_parse(cn_arg(c, "q"), &q, &c->err);
    if (rc)
        return rc;
    const char *agent = cn_arg(c, "agent");
    cairn_search_opts o = {.query = &q, .project = cn_arg(c, "project_id"),
                           .agent = agent ? cairn_agent_parse(cn_str(agent)) : CAIRN_AGENT_NONE,
                           .session = cn_arg(c, "session_id"),
                           .limit = (size_t)cn_arg_i64(c, "limit", 20)};
    if (agent && !o.agent) /* a hit's "agent" of a session made over the API: its tool_id */
        o.tool_id = agent;
    if ((rc = cairn_store_search(c->store, &o, &h, &c->err)))
        return rc;
    cn_api_hits_json(&c->w, h);
    cairn_hits_free(h);
    return CAIRN_OK;
}

static cairn_rc health(cn_call *c)
{
    cairn_store_stats st;
    cairn_rc rc = cairn_store_stats_get(c->store, &st, &c->err);
    if (rc)
        return rc;
    cn_jw *w = &c->w;
    cn_jw_obj(w);
    cn_jw_key(w, "status");
    cn_jw_cstr(w, "ok");
    cn_jw_key(w, "version");
    cn_jw_cstr(w, CAIRN_VERSION);
    cn_jw_key(w, "store");
    cn_jw_cstr(w, cairn_store_path(c->store));
    cn_jw_key(w, "sessions");
    cn_jw_i64(w, st.sessions);
    cn_jw_key(w, "messages");
    cn_jw_i64(w, st.messages);
    cn_jw_key(w, "parts");
    cn_jw_i64(w, st.parts);
    cn_jw_key(w, "last_ingest");
    cn_jw_time(w, st.last_ingest_ms);
    int64_t queued = 0;
    cairn_turns_queued(c->store, &queued, NULL);
    cn_jw_key(w, "queue_depth");
    cn_jw_i64(w, queued);
    cn_jw_key(w, "watch");
    cairn_watch_state ws;
    if (cairn_store_watch_get(c->store, &ws, NULL) || !ws.present)
        cn_jw_null(w);
    else
        cn_api_watch_json(w, &ws);
    cn_jw_obj_end(w);
    cairn_store_stats_release(&st);
    return CAIRN_OK;
}

/* ---- the table ---- */

#define SID {"session_id", CN_ARG_STR, P | R, 0, 0, "the session"}
#define PID {"project_id", CN_ARG_STR, P | R, 0, 0, "the project"}
/* what a save takes after its project, in the body */
#define SAVE_ARGS                                                                                  \
    {"key", CN_ARG_STR, B | R, 0, 0, "the memory's key"},                                          \
    {"value", CN_ARG_STR, B | R, 0, 0, "what to remember"},                                        \
    {"metadata", CN_ARG_OBJ, B, 0, 0, "a JSON object kept with it"},                               \
    {"ttl_seconds", CN_ARG_INT, B, 1, CAIRN_TTL_MAX_SECONDS,                                       \
     "forget it after this many seconds (at most 100 years)"}
#define QPID(where)                                                                                \
    {"project_id", CN_ARG_STR, (where) | R, 0, 0, "the project: any id, a path too"}

const cn_op cn_ops[] = {
    {"health", "GET", "/health", 200, false, {{0}}, health, "service status, version, store, counts"},
    {"session_create", "POST", "/sessions", 201, true,
     {{"tool_id", CN_ARG_STR, B | R, 0, 0, "the client or agent"},
      {"workspace_path", CN_ARG_STR, B | R, 0, 0, "its working directory"},
      {"project_id", CN_ARG_STR, B | R, 0, 0, "its project"},
      {"user_id", CN_ARG_STR, B, 0, 0, "the user"},
      {"process_id", CN_ARG_INT, B, 0, 4294967295.0, "the client's process id"}},
     session_create, "start a session"},
    {"session_list", "GET", "/sessions", 200, false,
     {{"project_id", CN_ARG_STR, Q, 0, 0, "only this project"},
      {"workspace_path", CN_ARG_STR, Q, 0, 0, "only this working directory"},
      {"active", CN_ARG_BOOL, Q, 0, 0, "true: not ended; false: ended"},
      {"limit", CN_ARG_INT, Q, 1, 1000, "at most this many (default 50)"}},
     session_list, "sessions, most recent activity first"},
    {"session_get", "GET", "/sessions/{session_id}", 200, false,
     {SID, {"messages", CN_ARG_INT, Q, 0, 1000, "also its last N messages (default 0)"}},
     session_get, "one session, with its last messages on request"},
    {"session_end", "POST", "/sessions/{session_id}/end", 200, true, {SID}, session_end,
     "end a session"},
    {"session_pin", "POST", "/sessions/{session_id}/pin", 200, true, {SID}, session_pin,
     "pin a session"},
    {"session_unpin", "POST", "/sessions/{session_id}/unpin", 200, true, {SID}, session_unpin,
     "unpin a session"},
    {"session_archive", "POST", "/sessions/{session_id}/archive", 200, true, {SID}, session_archive,
     "archive a session"},
    {"context_append", "POST", "/sessions/{session_id}/context", 200, true,
     {SID,
      {"file_path", CN_ARG_STR, B, 0, 0, "a file the session worked on"},
      {"file_importance", CN_ARG_NUM, B, 0, 1, "its importance, 0.0-1.0 (default 0.5)"},
      {"search_query", CN_ARG_STR, B, 0, 0, "a search the session made"},
      {"decision", CN_ARG_STR, B, 0, 0, "a decision the session took"},
      {"memory_id", CN_ARG_STR, B, 0, 0, "a memory the session saved or used"},
      {"memory_key", CN_ARG_STR, B, 0, 0, "that memory's key"}},
     context_append, "append to a session's context; returns the context"},
    {"context_get", "GET", "/sessions/{session_id}/context", 200, false, {SID}, context_get,
     "a session's context: files, searches, decisions, memories"},
    {"memory_search", "GET", "/projects/{project_id}/memories/search", 200, false,
     {PID, {"q", CN_ARG_STR, Q | R, 0, 0, "words to find"},
      {"limit", CN_ARG_INT, Q, 1, 1000, "at most this many (default 20)"}},
     memory_search, "full-text search over a project's memories"},
    {"memory_save", "POST", "/projects/{project_id}/memories", 201, true,
     {PID, SAVE_ARGS},
     memory_save, "remember a key and value in a project (a new version if the key exists)"},
    {"memory_list", "GET", "/projects/{project_id}/memories", 200, false,
     {PID, {"key", CN_ARG_STR, Q, 0, 0, "only this key"},
      {"limit", CN_ARG_INT, Q, 1, 1000, "at most this many (default 20)"}},
     memory_list, "a project's memories, most recently used first"},
    {"memory_history", "GET", "/projects/{project_id}/memories/{key}/history", 200, false,
     {PID, {"key", CN_ARG_STR, P | R, 0, 0, "the memory's key"}}, memory_history,
     "every version of a memory"},
    {"memory_forget", "DELETE", "/projects/{project_id}/memories/{key}", 200, true,
     {PID, {"key", CN_ARG_STR, P | R, 0, 0, "the memory's key"}}, memory_forget,
     "forget a memory (recoverable: memory_restore)"},
    {"memory_restore", "POST", "/projects/{project_id}/memories/{key}/restore", 200, true,
     {PID, {"key", CN_ARG_STR, P | R, 0, 0, "the memory's key"}}, memory_restore,
     "bring back what the last forget of a key removed"},
    /* the same with the project (and key) in the query or body: any id, a path too (the
     * default project of `cairn mcp`), which a path segment cannot hold */
    {"memory_save_q", "POST", "/memories", 201, true,
     {QPID(B), SAVE_ARGS},
     memory_save, "memory_save, the project in the body"},
    {"memory_list_q", "GET", "/memories", 200, false,
     {QPID(Q), {"key", CN_ARG_STR, Q, 0, 0, "only this key"},
      {"limit", CN_ARG_INT, Q, 1, 1000, "at most this many (default 20)"}},
     memory_list, "memory_list, the project in the query"},
    {"memory_search_q", "GET", "/memories/search", 200, false,
     {QPID(Q), {"q", CN_ARG_STR, Q | R, 0, 0, "words to find"},
      {"limit", CN_ARG_INT, Q, 1, 1000, "at most this many (default 20)"}},
     memory_search, "memory_search, the project in the query"},
    {"memory_history_q", "GET", "/memories/history", 200, false,
     {QPID(Q), {"key", CN_ARG_STR, Q | R, 0, 0, "the memory's key"}}, memory_history,
     "memory_history, the project and key in the query"},
    {"memory_forget_q", "DELETE", "/memories", 200, true,
     {QPID(Q), {"key", CN_ARG_STR, Q | R, 0, 0, "the memory's key"}}, memory_forget,
     "memory_forget, the project and key in the query"},
    {"memory_restore_q", "POST", "/memories/restore", 200, true,
     {QPID(Q), {"key", CN_ARG_STR, Q | R, 0, 0, "the memory's key"}}, memory_restore,
     "memory_restore, the project and key in the query"},
    {"turn_index", "POST", "/api/auto_index", 202, true,
     {{"user_message", CN_ARG_STR, B | R, 0, 0, "what the user said"},
      {"assistant_message", CN_ARG_STR, B | R, 0, 0, "what the assistant answered"},
      {"session_id", CN_ARG_STR, B, 0, 0, "the session (default: one per project)"},
      {"project_id", CN_ARG_STR, B, 0, 0, "the project (default: default)"},
      {"metadata", CN_ARG_OBJ, B, 0, 0, "a JSON object kept with the turn"}},
     turn_post, "queue a conversation turn for indexing (durable before the answer)"},
    {"turn_status", "GET", "/api/auto_index/{id}", 200, false,
     {{"id", CN_ARG_STR, P | R, 0, 0, "the turn's id"}}, turn_get,
     "whether a queued turn is indexed yet"},
    {"session_summary", "GET", "/api/session_summary", 200, false,
     {{"session_id", CN_ARG_STR, Q | R, 0, 0, "the session"}}, summary,
     "counts, time span, files touched, tools used, decisions, last messages (rule-based)"},
    {"memory_suggestions", "GET", "/api/memory_suggestions", 200, false,
     {{"session_id", CN_ARG_STR, Q | R, 0, 0, "the session"}}, suggestions,
     "candidate memories found by rules in a session, the newest first, at most 20 (truncated: "
     "more were found), each with the text it came from (start, end: UTF-8 byte offsets)"},
    {"search", "GET", "/search", 200, false,
     {{"q", CN_ARG_STR, Q | R, 0, 0, "words, \"phrases\", prefix*, -excluded, a OR b"},
      {"project_id", CN_ARG_STR, Q, 0, 0, "project id or a part of its directory"},
      {"agent", CN_ARG_STR, Q, 0, 0,
       "opencode, claude-code, codex, or the tool_id of sessions made over the API (api: turns)"},
      {"session_id", CN_ARG_STR, Q, 0, 0, "one session"},
      {"limit", CN_ARG_INT, Q, 1, 10000, "at most this many (default 20)"}},
     search, "full-text search over every indexed session"},
};

const size_t cn_nops = sizeof cn_ops / sizeof cn_ops[0];
