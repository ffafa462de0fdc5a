/*
 * bench/gen_opencode_json.c - the JSON of the synthetic opencode objects.
 *
 * Field sets and order follow the fixtures (formats §6): G1 files are
 * pretty-printed like JSON.stringify(x, null, 2) with their ids inside and
 * no final newline; G2 data columns are the same objects compact and without
 * id, sessionID and messageID.  Composite strings (read outputs, diffs,
 * synthetic texts) are built in g->tmp.
 *
 * Invariant: nothing here draws random numbers (see gen_opencode.c).
 */
#include "gen_opencode.h"

#include <stdio.h>
#include <string.h>

static const char *const project_names[OC_NPROJECT_NAMES] = {
    "ledger-api", "webshop", "cairn", "infra", "mobile-app", "docs-site", "ml-pipeline",
    "billing", "auth-service"};
static const char *const dirs[] = {"src", "src/api", "src/db", "lib", "tests", "cmd/server",
                                   "packages/core/src", "docs"};
static const char *const names[] = {"parser", "routes", "schema", "handler", "index", "config",
                                    "session", "util", "client", "store"};
static const char *const exts[] = {".ts", ".c", ".py", ".go", ".rs", ".md", ".json"};
static const char *const cmds[OC_NCMDS][2] = {
    {"make check", "Run the test suite"}, {"npm test -- --run", "Run unit tests"},
    {"git status --short", "Show working tree status"}, {"rg -n \"TODO\" src", "Find TODOs"},
    {"ls -la src/", "List source files"}, {"cargo build 2>&1 | tail -40", "Build the crate"},
    {"python3 -m pytest -q tests/", "Run pytest"}, {"go vet ./...", "Vet the packages"}};
static const char *const models[OC_NMODELS][2] = {{"claude-sonnet-4-5", "anthropic"},
                                                  {"gpt-5", "openai"},
                                                  {"gemini-2.5-pro", "google"},
                                                  {"qwen3-coder", "local"}};
static const char *const part_types[] = {"text", "reasoning", "tool", "file", "step-start",
                                         "step-finish", "patch"};
static const char *const tool_names[] = {"bash", "read", "write", "edit", "task"};
static const char *const permissions[] = {"question", "plan_enter", "plan_exit"};
const char oc_permission_json[] =
    "[{\"permission\":\"question\",\"pattern\":\"*\",\"action\":\"deny\"},"
    "{\"permission\":\"plan_enter\",\"pattern\":\"*\",\"action\":\"deny\"},"
    "{\"permission\":\"plan_exit\",\"pattern\":\"*\",\"action\":\"deny\"}]";

const char *oc_worktree(uint32_t p, char *buf, size_t n)
{
    if (p < OC_NPROJECT_NAMES)
        snprintf(buf, n, "/home/dev/src/%s", project_names[p]);
    else
        snprintf(buf, n, "/home/dev/src/%s-%u", project_names[p % OC_NPROJECT_NAMES],
                 p / OC_NPROJECT_NAMES);
    return buf;
}

const char *oc_path(const oc_sess *s, uint32_t idx, bool abs, char *buf, size_t n)
{
    char root[128];
    idx %= OC_NPATHS;
    snprintf(buf, n, "%s%s%s/%s%s", abs ? oc_worktree(s->project, root, sizeof root) : "",
             abs ? "/" : "", dirs[idx % 8], names[idx / 8 % 10], exts[idx / 80 % 7]);
    return buf;
}

const char *oc_model_json(const oc_sess *s, char *buf, size_t n)
{
    snprintf(buf, n, "{\"id\":\"%s\",\"providerID\":\"%s\",\"variant\":\"default\"}",
             models[s->model][0], models[s->model][1]);
    return buf;
}

void oc_todo(const oc_sess *s, uint32_t k, char *buf, size_t n, const char **status,
             const char **priority)
{
    static const char *const prio[] = {"high", "medium", "low"};
    snprintf(buf, n, "Step %u of \xE2\x80\x9C%s\xE2\x80\x9D", k + 1, s->title);
    *status = k == 0 ? "completed" : k == 1 ? "in_progress" : "pending";
    *priority = prio[k % 3];
}

/* ---- JSON helpers: pretty for G1, compact for G2 ---- */

static void jbegin(oc_ctx *g)
{
    cn_buf_reset(&g->out);
    cn_jw_init(&g->w, &g->out, !g->o->g2);
    cn_jw_obj(&g->w);
}

static void js(oc_ctx *g, const char *k, cairn_str v)
{
    cn_jw_key(&g->w, k);
    cn_jw_str(&g->w, v);
}

static void jc(oc_ctx *g, const char *k, const char *v)
{
    js(g, k, (cairn_str){v, strlen(v)});
}

static void ji(oc_ctx *g, const char *k, int64_t v)
{
    cn_jw_key(&g->w, k);
    cn_jw_i64(&g->w, v);
}

static void jb(oc_ctx *g, const char *k, bool v)
{
    cn_jw_key(&g->w, k);
    cn_jw_bool(&g->w, v);
}

static void jo(oc_ctx *g, const char *k)
{
    cn_jw_key(&g->w, k);
    cn_jw_obj(&g->w);
}

static void jend(oc_ctx *g)
{
    cn_jw_obj_end(&g->w);
}

static void jtime(oc_ctx *g, const char *k1, int64_t v1, const char *k2, int64_t v2)
{
    jo(g, "time");
    ji(g, k1, v1);
    if (k2)
        ji(g, k2, v2);
    jend(g);
}

static cairn_str jfinish(oc_ctx *g)
{
    if (cn_jw_finish(&g->w))
        oc_die("json", "the writer failed");
    return cn_buf_str(&g->out);
}

static void jtokens(oc_ctx *g, const oc_tok *t)
{
    cn_jw_key(&g->w, "cost");
    cn_jw_f64(&g->w, t->cost);
    jo(g, "tokens");
    ji(g, "total", t->input + t->output + t->reasoning + t->cache_read + t->cache_write);
    ji(g, "input", t->input);
    ji(g, "output", t->output);
    ji(g, "reasoning", t->reasoning);
    jo(g, "cache");
    ji(g, "read", t->cache_read);
    ji(g, "write", t->cache_write);
    jend(g);
    jend(g);
}

/* ---- messages and parts ---- */

static void emit_tool_output(oc_ctx *g, const oc_sess *s, const oc_part *p, const char *fp)
{
    cn_buf *t = &g->tmp;
    cn_buf_reset(t);
    if (p->error) {
        cn_buf_addf(t, p->tool == T_BASH ? "Command failed: %s" : "File not found: %s",
                    p->tool == T_BASH ? cmds[p->cmd][0] : fp);
        js(g, "error", cn_buf_str(t));
        return;
    }
    if (p->tool == T_BASH)
        cn_buf_addstr(t, p->a);
    else if (p->tool == T_READ)
        cn_buf_addf(t, "<path>%s</path>\n<type>file</type>\n<content>%.*s\n(End of file - total "
                    "%zu lines)\n</content>", fp, (int)p->a.len, p->a.ptr, p->a.len / 40 + 1);
    else if (p->tool == T_TASK)
        cn_buf_addf(t, "task_id: %s (for resuming to continue this task if needed)\n\n"
                    "<task_result>\n%.*s\n</task_result>", g->sess[s->child].id,
                    (int)p->a.len, p->a.ptr);
    else
        cn_buf_adds(t, p->tool == T_WRITE ? "Wrote file successfully."
                                           : "Edit applied successfully.");
    js(g, "output", cn_buf_str(t));
}

static void emit_tool_metadata(oc_ctx *g, const oc_sess *s, const oc_part *p, const char *fp)
{
    jo(g, "metadata");
    if (p->tool == T_BASH && !p->error) {
        js(g, "output", p->a);
        ji(g, "exit", p->exit_code);
        jc(g, "description", cmds[p->cmd][1]);
    } else if (p->tool == T_READ && !p->error) {
        size_t n = p->a.len < 240 ? p->a.len : 240;
        while (n && (p->a.ptr[n] & 0xC0) == 0x80)
            n--;
        js(g, "preview", (cairn_str){p->a.ptr, n});
    } else if (p->tool == T_TASK) {
        jc(g, "sessionId", g->sess[s->child].id);
        jo(g, "model");
        jc(g, "modelID", models[s->model][0]);
        jc(g, "providerID", models[s->model][1]);
        jend(g);
    } else if (!p->error && p->tool != T_READ && p->tool != T_BASH) {
        jo(g, "diagnostics");
        jend(g);
        jc(g, "filepath", fp);
        jb(g, "exists", p->tool == T_EDIT);
        if (p->tool == T_EDIT) {
            cn_buf_reset(&g->tmp);
            cn_buf_addf(&g->tmp, "Index: %s\n==================================================="
                        "================\n--- %s\n+++ %s\n@@ -1,4 +1,5 @@\n-%.*s\n+%.*s\n", fp,
                        fp, fp, (int)p->a.len, p->a.ptr, (int)p->b.len, p->b.ptr);
            js(g, "diff", cn_buf_str(&g->tmp));
        }
    }
    jb(g, "truncated", p->a.len > 30000);
    jend(g);
}

static void emit_tool(oc_ctx *g, const oc_sess *s, const oc_part *p)
{
    char fp[256], rel[256];
    oc_path(s, p->path, true, fp, sizeof fp);
    jc(g, "callID", p->call_id);
    jc(g, "tool", tool_names[p->tool]);
    jo(g, "state");
    jc(g, "status", p->error ? "error" : "completed");
    jo(g, "input");
    if (p->tool == T_BASH) {
        jc(g, "command", cmds[p->cmd][0]);
        jc(g, "description", cmds[p->cmd][1]);
    } else if (p->tool == T_TASK) {
        jc(g, "description", "Explore the codebase");
        js(g, "prompt", p->a);
        jc(g, "subagent_type", "general");
    } else {
        jc(g, "filePath", fp);
        if (p->tool == T_WRITE)
            js(g, "content", p->a);
        if (p->tool == T_EDIT) {
            js(g, "oldString", p->a);
            js(g, "newString", p->b);
        }
    }
    jend(g);
    emit_tool_output(g, s, p, fp);
    if (!p->error)
        jc(g, "title", p->tool == T_BASH ? cmds[p->cmd][1]
                       : p->tool == T_TASK ? "Explore the codebase"
                                           : oc_path(s, p->path, false, rel, sizeof rel));
    emit_tool_metadata(g, s, p, fp);
    jtime(g, "start", p->t0, "end", p->t1);
    jend(g);
}

static void emit_text(oc_ctx *g, const oc_sess *s, const oc_part *p, bool user)
{
    char fp[256];
    cn_buf *t = &g->tmp;
    cn_buf_reset(t);
    oc_path(s, p->path, true, fp, sizeof fp);
    if (p->shape == 2)
        cn_buf_addf(t, "Called the Read tool with the following input: {\"filePath\":\"%s\"}", fp);
    else if (p->shape == 3)
        cn_buf_addf(t, "<path>%s</path>\n<type>file</type>\n<content>%.*s\n</content>", fp,
                    (int)p->a.len, p->a.ptr);
    else if (user && p->shape == 0)
        cn_buf_addf(t, "\"%.*s\"\n", (int)p->a.len, p->a.ptr); /* the `opencode run` quirk */
    else {
        cn_buf_addstr(t, p->a);
        if (p->b.len)
            cn_buf_addf(t, "\n\n```ts\n%.*s```\n", (int)p->b.len, p->b.ptr);
    }
    js(g, "text", cn_buf_str(t));
    if (p->synthetic)
        jb(g, "synthetic", true);
    if (!user)
        jtime(g, "start", p->t0, "end", p->t1);
    if (p->sig[0]) {
        jo(g, "metadata");
        jo(g, "anthropic");
        jc(g, "signature", p->sig);
        jend(g);
        jend(g);
    }
}

cairn_str oc_json_part(oc_ctx *g, const oc_sess *s, const oc_msg *m, const oc_part *p)
{
    char fp[256];
    jbegin(g);
    if (!g->o->g2) {
        jc(g, "id", p->id);
        jc(g, "sessionID", s->id);
        jc(g, "messageID", m->id);
    }
    jc(g, "type", part_types[p->kind]);
    switch (p->kind) {
    case P_TEXT:
    case P_REASONING:
        emit_text(g, s, p, m->user);
        break;
    case P_TOOL:
        emit_tool(g, s, p);
        break;
    case P_FILE:
        jc(g, "mime", "text/plain");
        jc(g, "filename", oc_path(s, p->path, false, fp, sizeof fp));
        cn_buf_reset(&g->tmp);
        cn_buf_addf(&g->tmp, "file://%s", oc_path(s, p->path, true, fp, sizeof fp));
        js(g, "url", cn_buf_str(&g->tmp));
        break;
    case P_STEP_START:
        jc(g, "snapshot", p->hash);
        break;
    case P_STEP_FINISH:
        jc(g, "reason", p->stop ? "stop" : "tool-calls");
        jc(g, "snapshot", p->hash);
        jtokens(g, &p->tok);
        break;
    default:
        jc(g, "hash", p->hash);
        cn_jw_key(&g->w, "files");
        cn_jw_arr(&g->w);
        for (uint32_t k = 0; k < p->npaths; k++)
            cn_jw_cstr(&g->w, oc_path(s, p->path + k * 7, true, fp, sizeof fp));
        cn_jw_arr_end(&g->w);
    }
    jend(g);
    return jfinish(g);
}

cairn_str oc_json_message(oc_ctx *g, const oc_sess *s, const oc_msg *m)
{
    char wt[128];
    jbegin(g);
    if (!g->o->g2) {
        jc(g, "id", m->id);
        jc(g, "sessionID", s->id);
    }
    jc(g, "role", m->user ? "user" : "assistant");
    jtime(g, "created", m->t0, m->user ? NULL : "completed", m->t1);
    if (m->user) {
        jo(g, "summary");
        jc(g, "title", s->title);
        cn_jw_key(&g->w, "diffs");
        cn_jw_arr(&g->w);
        cn_jw_arr_end(&g->w);
        jend(g);
        jc(g, "agent", "build");
        jo(g, "model");
        jc(g, "providerID", models[s->model][1]);
        jc(g, "modelID", models[s->model][0]);
        jend(g);
    } else {
        jc(g, "parentID", m->parent);
        jc(g, "modelID", models[s->model][0]);
        jc(g, "providerID", models[s->model][1]);
        jc(g, "mode", "build");
        jc(g, "agent", "build");
        jo(g, "path");
        jc(g, "cwd", oc_worktree(s->project, wt, sizeof wt));
        jc(g, "root", wt);
        jend(g);
        jtokens(g, &m->tok);
        jc(g, "finish", m->has_tool ? "tool-calls" : "stop");
    }
    jend(g);
    return jfinish(g);
}

/* Session.Info as 1.1.65 wrote it: no cost or tokens (hydrate sums the messages). */
cairn_str oc_json_session(oc_ctx *g, const oc_sess *s)
{
    char wt[128];
    jbegin(g);
    jc(g, "id", s->id);
    jc(g, "slug", s->slug);
    jc(g, "version", "1.1.65");
    jc(g, "projectID", g->proj_id[s->project]);
    jc(g, "directory", oc_worktree(s->project, wt, sizeof wt));
    if (s->parent >= 0)
        jc(g, "parentID", g->sess[s->parent].id);
    jc(g, "title", s->title);
    cn_jw_key(&g->w, "permission");
    cn_jw_arr(&g->w);
    for (size_t k = 0; k < sizeof permissions / sizeof *permissions; k++) {
        cn_jw_obj(&g->w);
        jc(g, "permission", permissions[k]);
        jc(g, "pattern", "*");
        jc(g, "action", "deny");
        jend(g);
    }
    cn_jw_arr_end(&g->w);
    jo(g, "time");
    ji(g, "created", s->t0);
    ji(g, "updated", s->t1);
    if (s->archived)
        ji(g, "archived", s->t1);
    jend(g);
    jo(g, "summary");
    ji(g, "additions", s->additions);
    ji(g, "deletions", s->deletions);
    ji(g, "files", s->files);
    jend(g);
    jend(g);
    return jfinish(g);
}

cairn_str oc_json_todos(oc_ctx *g, const oc_sess *s)
{
    char content[160], id[16];
    const char *status, *priority;
    cn_buf_reset(&g->out);
    cn_jw_init(&g->w, &g->out, !g->o->g2);
    cn_jw_arr(&g->w);
    for (uint32_t k = 0; k < s->ntodo; k++) {
        oc_todo(s, k, content, sizeof content, &status, &priority);
        snprintf(id, sizeof id, "%u", k + 1);
        cn_jw_obj(&g->w);
        jc(g, "content", content);
        jc(g, "status", status);
        jc(g, "priority", priority);
        jc(g, "id", id);
        jend(g);
    }
    cn_jw_arr_end(&g->w);
    return jfinish(g);
}

cairn_str oc_json_project(oc_ctx *g, uint32_t p)
{
    char wt[128];
    jbegin(g);
    jc(g, "id", g->proj_id[p]);
    jc(g, "worktree", oc_worktree(p, wt, sizeof wt));
    jc(g, "vcs", "git");
    cn_jw_key(&g->w, "sandboxes");
    cn_jw_arr(&g->w);
    cn_jw_arr_end(&g->w);
    jtime(g, "created", g->proj_created, "updated", g->proj_updated);
    jend(g);
    return jfinish(g);
}
