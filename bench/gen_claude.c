/*
 * bench/gen_claude.c - the synthetic Claude Code history (bench/gen_claude.h).
 *
 * A session is a run of turns: a prompt (after the first: a typed prompt, a
 * prompt as text blocks, or an isMeta <system-reminder>), then 1-8 API
 * responses.  A response is 1-4 assistant lines, one block each (thinking,
 * text, tool_use), sharing message.id and requestRef (2.1.x files) or
 * requestId (2.0.x files); every tool_use is answered by a user line with a
 * tool_result and a toolUseResult that repeats the output, as Claude Code
 * writes them.  2.1.x files also carry attachment, api-request,
 * api-request-shape, queue-operation, last-prompt and cost-state lines.
 * Lengths follow log-normal laws (most outputs 0.3-3 KB, 8% of them 10-80
 * KB); text is sliced from pools of prose, code, numbered file lines and
 * terminal output with quotes, backslashes, tabs, ESC and non-ASCII UTF-8.
 * Invariant: the counts in cc_gen_counts are incremented where the line that
 * the reader turns into that record is written, nowhere else.
 */
#include "gen_claude.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/clock.h"
#include "json/write.h"

#define POOL_BYTES ((size_t)4 << 20)
#define NPROJECTS 24
#define T_START 1758000000000LL /* 2025-09-16 */

enum { POOL_PROSE, POOL_CODE, POOL_NUMBERED, POOL_LOG, POOL_COUNT };
enum { TOOL_BASH, TOOL_READ, TOOL_EDIT, TOOL_WRITE, TOOL_GREP, TOOL_TODO, TOOL_TASK };

typedef struct cg {
    const cc_gen_opts *o;
    cc_gen_counts *c;
    uint64_t s; /* PRNG state */
    cairn_str pools[POOL_COUNT];
    cn_buf file, tmp;
    cn_jw w;
    /* the session being written */
    bool v21, sub;
    char sid[40], agent_id[24], cwd[96], parent[40], prompt_id[40];
    int64_t ms;
    uint64_t out_tokens;
    /* a sub-agent launched by this session: written after it */
    char task_call[40], task_prompt[160];
    bool task_allowed, task_pending; /* one sub-agent per session, in 20% of them */
} cg;

/* ---- randomness and text ---- */

static uint64_t rnd(cg *g) /* splitmix64 */
{
    uint64_t z = (g->s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static uint32_t below(cg *g, uint32_t n)
{
    return (uint32_t)(((rnd(g) >> 32) * n) >> 32);
}

static double unit(cg *g)
{
    return (double)(rnd(g) >> 11) * 0x1.0p-53;
}

static bool chance(cg *g, double p)
{
    return unit(g) < p;
}

static size_t lognormal(cg *g, double median, double sigma, size_t lo, size_t hi)
{
    double z = sqrt(-2.0 * log(unit(g) + 1e-300)) * cos(2.0 * M_PI * unit(g));
    double v = median * exp(sigma * z);
    return v < (double)lo ? lo : v > (double)hi ? hi : (size_t)v;
}

static const char *const words[] = {
    "the",
    "file",
    "function",
    "returns",
    "error",
    "test",
    "build",
    "index",
    "session",
    "parser",
    "buffer",
    "fix",
    "we",
    "need",
    "to",
    "check",
    "if",
    "value",
    "is",
    "NULL",
    "and",
    "update",
    "config",
    "path",
    "line",
    "because",
    "memory",
    "handler",
    "request",
    "cache",
    "query",
    "a",
    "it",
    "this",
    "should",
    "now",
    "works",
    "`npm test`",
    "`src/api/routes.ts`",
    "\"quoted\"",
    "token",
    "refresh",
    "login",
    "middleware",
    "schema",
    "migration",
    "retry",
    "timeout",
    "caf\xC3\xA9",
    "na\xC3\xAFve",
    "\xE2\x80\x94",
    "\xE2\x86\x92",
    "\xE2\x9C\x93",
    "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E",
    "\xF0\x9F\x98\x80",
    "r\xC3\xA9sum\xC3\xA9",
    "C:\\Users\\dev",
    "let's",
    "I'll",
    "Let",
    "me",
    "look",
    "at",
    "first",
    "then",
};
static const char *const code_lines[] = {
    "if (p == NULL) {",
    "    return -1;",
    "}",
    "\tfree(buf);",
    "printf(\"%s\\n\", name);",
    "const char *s = \"a \\\"quoted\\\" word\";",
    "for (size_t i = 0; i < n; i++) {",
    "export async function handler(req: Request): Promise<Response> {",
    "  const body = await req.json();",
    "  return new Response(JSON.stringify(body));",
    "def parse(line: str) -> dict:",
    "    return {\"k\": line.split(\"\\t\")}",
    "",
    "import { describe, it, expect } from \"vitest\";",
    "    let re = /^\\s*(\\w+)=(.*)$/;",
    "// TODO(dev): handle the \xE2\x80\x9C"
    "edge\xE2\x80\x9D case",
    "#include <stdio.h>",
    "SELECT id, data FROM part WHERE session_id = ?1 ORDER BY id;",
    "\t\tcase '\\n': break;",
};
static const char *const log_lines[] = {
    "$ npm test",
    "ok 1 - test_basic",
    "not ok 2 - test_escape # expected 3, got 4",
    "error: expected ';' before '}' token",
    "\x1B[32m PASS \x1B[0m src/json.test.ts (12 ms)",
    "\x1B[31m FAIL \x1B[0m src/api.test.ts",
    "  at Object.<anonymous> (index.js:12:5)",
    "drwxr-xr-x  2 dev dev 4096 Nov 21 06:05 src",
    "\xE2\x9C\x93 parses nested objects",
    "warning: unused variable 'n' [-Wunused-variable]",
    "Tests: 41 passed, 1 failed, 42 total",
    "npm WARN deprecated glob@7.2.3",
    "  --> src/main.rs:14:9",
    "Compiling app v0.1.0",
};
static const char *const names[NPROJECTS] = {
    "webshop",     "photo-sync", "api-gateway", "cairn",     "dotfiles", "blog",
    "ml-pipeline", "infra",      "mobile-app",  "docs-site", "payments", "search",
    "chat-bot",    "cli-tools",  "game",        "crawler",   "auth",     "notebook",
    "compiler",    "scheduler",  "metrics",     "video",     "maps",     "shop-admin",
};
static const char *const dirs[] = {"src", "src/api", "src/lib", "tests", "scripts", "docs"};
static const char *const files[] = {"routes.ts", "index.ts", "db.c",     "parser.py", "main.rs",
                                    "README.md", "auth.go",  "cache.ts", "utils.py",  "server.js"};

#define COUNT(a) (sizeof(a) / sizeof *(a))

static void make_pools(cg *g)
{
    for (int k = 0; k < POOL_COUNT; k++) {
        cn_buf b;
        uint32_t lineno = 1;
        cn_buf_init(&b, POOL_BYTES + 4096);
        while (b.len < POOL_BYTES) {
            if (k == POOL_PROSE) {
                for (uint32_t n = 4 + below(g, 16); n; n--) {
                    cn_buf_adds(&b, words[below(g, COUNT(words))]);
                    cn_buf_adds(&b, n == 1 ? "." : chance(g, 0.08) ? ", " : " ");
                }
                cn_buf_adds(&b, chance(g, 0.15) ? "\n\n" : chance(g, 0.05) ? "\n- " : " ");
            } else if (k == POOL_LOG) {
                cn_buf_adds(&b, log_lines[below(g, COUNT(log_lines))]);
                cn_buf_addc(&b, '\n');
            } else {
                if (k == POOL_NUMBERED)
                    cn_buf_addf(&b, "%6u\xE2\x86\x92", lineno);
                lineno = chance(g, 0.005) ? 1 : lineno + 1;
                cn_buf_adds(&b, code_lines[below(g, COUNT(code_lines))]);
                cn_buf_addc(&b, '\n');
            }
        }
        g->pools[k] = cn_buf_str(&b);
        b.ptr = NULL; /* kept for the run */
    }
}

/* n bytes of a pool from a random place, cut on UTF-8 character boundaries. */
static cairn_str slice(cg *g, int pool, size_t n)
{
    cairn_str p = g->pools[pool];
    if (n > p.len / 2)
        n = p.len / 2;
    size_t a = below(g, (uint32_t)(p.len - n)), e = a + n;
    while (a < e && ((unsigned char)p.ptr[a] & 0xC0) == 0x80)
        a++;
    while (e > a && ((unsigned char)p.ptr[e] & 0xC0) == 0x80)
        e--;
    return (cairn_str){p.ptr + a, e - a};
}

static void uuid(cg *g, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    for (int k = 0; k < 36; k++)
        out[k] = (k == 8 || k == 13 || k == 18 || k == 23) ? '-' : hex[below(g, 16)];
    out[36] = '\0';
}

static void base62(cg *g, char *out, const char *prefix, int n)
{
    static const char a[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    size_t k = strlen(prefix);
    memcpy(out, prefix, k);
    for (int i = 0; i < n; i++)
        out[k + (size_t)i] = a[below(g, 62)];
    out[k + (size_t)n] = '\0';
}

/* ---- JSON helpers: the line is written into g->file ---- */

static void ks(cg *g, const char *k, const char *v)
{
    cn_jw_key(&g->w, k);
    cn_jw_cstr(&g->w, v);
}

static void kstr(cg *g, const char *k, cairn_str v)
{
    cn_jw_key(&g->w, k);
    cn_jw_str(&g->w, v);
}

static void ki(cg *g, const char *k, int64_t v)
{
    cn_jw_key(&g->w, k);
    cn_jw_i64(&g->w, v);
}

static void kb(cg *g, const char *k, bool v)
{
    cn_jw_key(&g->w, k);
    cn_jw_bool(&g->w, v);
}

static void kn(cg *g, const char *k)
{
    cn_jw_key(&g->w, k);
    cn_jw_null(&g->w);
}

static void begin(cg *g)
{
    cn_jw_init(&g->w, &g->file, false);
    cn_jw_obj(&g->w);
}

static void end(cg *g)
{
    cn_jw_obj_end(&g->w);
    if (cn_jw_finish(&g->w) || cn_buf_addc(&g->file, '\n')) {
        fprintf(stderr, "gen_claude: session %s is over the buffer limit\n", g->sid);
        exit(2);
    }
    g->c->lines++;
}

static void stamp(cg *g)
{
    char t[40];
    g->ms += 200 + below(g, 4000);
    cn_jw_key(&g->w, "timestamp");
    cn_jw_cstr(&g->w, cn_time_iso(g->ms, t, sizeof t));
}

/* The fields every conversation line carries; uuid receives the line's. */
static void envelope(cg *g, const char *type, char uuid_out[37])
{
    uuid(g, uuid_out);
    if (g->parent[0])
        ks(g, "parentUuid", g->parent);
    else
        kn(g, "parentUuid");
    kb(g, "isSidechain", g->sub);
    if (g->sub)
        ks(g, "agentId", g->agent_id);
    ks(g, "type", type);
    ks(g, "uuid", uuid_out);
    stamp(g);
    ks(g, "userType", "external");
    if (g->v21)
        ks(g, "entrypoint", "cli");
    ks(g, "cwd", g->cwd);
    ks(g, "sessionId", g->sid);
    ks(g, "version", g->v21 ? "2.1.329" : "2.0.9");
    ks(g, "gitBranch", "main");
}

/* ---- bookkeeping lines (passed over by the reader) ---- */

static void attachment(cg *g, const char *type, size_t n)
{
    char u[37];
    begin(g);
    envelope(g, "attachment", u);
    cn_jw_key(&g->w, "attachment");
    cn_jw_obj(&g->w);
    ks(g, "type", type);
    kstr(g, "content", slice(g, POOL_PROSE, n));
    cn_jw_obj_end(&g->w);
    cn_jw_key(&g->w, "rendered");
    cn_jw_arr(&g->w);
    cn_jw_obj(&g->w);
    cn_buf_reset(&g->tmp);
    cn_buf_adds(&g->tmp, "<system-reminder>\n");
    cn_buf_addstr(&g->tmp, slice(g, POOL_PROSE, n / 2));
    cn_buf_adds(&g->tmp, "\n</system-reminder>");
    kstr(g, "content", cn_buf_str(&g->tmp));
    cn_jw_obj_end(&g->w);
    cn_jw_arr_end(&g->w);
    ks(g, "renderedRole", "system");
    end(g);
    memcpy(g->parent, u, sizeof u);
    g->c->attachments++;
}

static void small_line(cg *g, const char *type, size_t n)
{
    begin(g);
    ks(g, "type", type);
    ks(g, "sessionId", g->sid);
    stamp(g);
    if (n)
        kstr(g, !strcmp(type, "last-prompt") ? "lastPrompt" : "content", slice(g, POOL_PROSE, n));
    end(g);
}

static void api_request(cg *g, const char *ref, bool shape)
{
    begin(g);
    ks(g, "type", shape ? "api-request-shape" : "api-request");
    ks(g, "sessionId", g->sid);
    ks(g, "id", ref);
    stamp(g);
    ks(g, "version", "2.1.329");
    cn_jw_key(&g->w, "params");
    cn_jw_obj(&g->w);
    ks(g, "model", "claude-sonnet-4-5");
    ki(g, "max_tokens", 32000);
    cn_jw_key(&g->w, "system");
    cn_jw_arr(&g->w);
    cn_jw_str(&g->w, slice(g, POOL_PROSE, shape ? lognormal(g, 40000, 0.4, 20000, 80000) : 600));
    cn_jw_arr_end(&g->w);
    cn_jw_obj_end(&g->w);
    end(g);
}

static void cost_state(cg *g)
{
    begin(g);
    ks(g, "type", "cost-state");
    ks(g, "sessionId", g->sid);
    cn_jw_key(&g->w, "totalCostUSD");
    cn_jw_f64(&g->w, (double)g->out_tokens * 1.5e-5);
    ki(g, "totalAPIDuration", (int64_t)below(g, 900000));
    cn_jw_key(&g->w, "modelUsage");
    cn_jw_obj(&g->w);
    cn_jw_key(&g->w, "claude-sonnet-4-5");
    cn_jw_obj(&g->w);
    ki(g, "inputTokens", (int64_t)g->out_tokens * 3);
    ki(g, "outputTokens", (int64_t)g->out_tokens);
    cn_jw_obj_end(&g->w);
    cn_jw_obj_end(&g->w);
    end(g);
}

/* ---- conversation lines (indexed) ---- */

static void prompt(cg *g, bool first)
{
    char u[37];
    int kind = first ? 0 : chance(g, 0.7) ? 0 : chance(g, 0.5) ? 1 : 2;
    begin(g);
    envelope(g, "user", u);
    if (g->v21)
        ks(g, "promptId", g->prompt_id);
    if (kind == 2)
        kb(g, "isMeta", true);
    cn_jw_key(&g->w, "message");
    cn_jw_obj(&g->w);
    ks(g, "role", "user");
    cn_jw_key(&g->w, "content");
    if (kind == 1) {
        uint32_t n = 1 + below(g, 2);
        cn_jw_arr(&g->w);
        for (uint32_t i = 0; i < n; i++) {
            cn_jw_obj(&g->w);
            ks(g, "type", "text");
            kstr(g, "text", slice(g, POOL_PROSE, lognormal(g, 200, 1.0, 10, 8000)));
            cn_jw_obj_end(&g->w);
        }
        cn_jw_arr_end(&g->w);
        g->c->parts += n;
    } else if (kind == 2) {
        cn_buf_reset(&g->tmp);
        cn_buf_adds(&g->tmp, "<system-reminder>\n");
        cn_buf_addstr(&g->tmp, slice(g, POOL_PROSE, lognormal(g, 300, 0.8, 40, 4000)));
        cn_buf_adds(&g->tmp, "\n</system-reminder>");
        cn_jw_str(&g->w, cn_buf_str(&g->tmp));
        g->c->parts++;
    } else {
        cn_jw_str(&g->w, slice(g, POOL_PROSE, lognormal(g, 250, 1.0, 10, 12000)));
        g->c->parts++;
    }
    cn_jw_obj_end(&g->w);
    end(g);
    memcpy(g->parent, u, sizeof u);
    g->c->prompts++;
    g->c->messages++;
}

static void usage(cg *g, uint64_t out)
{
    cn_jw_key(&g->w, "usage");
    cn_jw_obj(&g->w);
    ki(g, "input_tokens", 3 + below(g, 400));
    ki(g, "cache_creation_input_tokens", below(g, 30000));
    ki(g, "cache_read_input_tokens", below(g, 200000));
    cn_jw_key(&g->w, "cache_creation");
    cn_jw_obj(&g->w);
    ki(g, "ephemeral_5m_input_tokens", below(g, 30000));
    ki(g, "ephemeral_1h_input_tokens", 0);
    cn_jw_obj_end(&g->w);
    ki(g, "output_tokens", (int64_t)out);
    if (g->v21) {
        cn_jw_key(&g->w, "server_tool_use");
        cn_jw_obj(&g->w);
        ki(g, "web_search_requests", 0);
        ki(g, "web_fetch_requests", 0);
        cn_jw_obj_end(&g->w);
        ks(g, "inference_geo", "");
        ks(g, "speed", "standard");
    }
    ks(g, "service_tier", "standard");
    cn_jw_obj_end(&g->w);
}

static const char *tool_name(cg *g, int t)
{
    static const char *const n[] = {"Bash", "Read", "Edit", "Write", "Grep", "TodoWrite"};
    return t == TOOL_TASK ? (g->v21 ? "Agent" : "Task") : n[t];
}

static void path(cg *g, char *out, size_t n)
{
    snprintf(out, n, "%s/%s/%s", g->cwd, dirs[below(g, COUNT(dirs))],
             files[below(g, COUNT(files))]);
}

static void tool_input(cg *g, int t, const char *file)
{
    cn_jw_obj(&g->w);
    switch (t) {
    case TOOL_BASH:
        kstr(g, "command", slice(g, POOL_LOG, 20 + below(g, 160)));
        kstr(g, "description", slice(g, POOL_PROSE, 20 + below(g, 40)));
        break;
    case TOOL_READ:
        ks(g, "file_path", file);
        break;
    case TOOL_EDIT:
        ks(g, "file_path", file);
        kstr(g, "old_string", slice(g, POOL_CODE, lognormal(g, 200, 0.8, 10, 4000)));
        kstr(g, "new_string", slice(g, POOL_CODE, lognormal(g, 260, 0.8, 10, 5000)));
        break;
    case TOOL_WRITE:
        ks(g, "file_path", file);
        kstr(g, "content", slice(g, POOL_CODE, lognormal(g, 2500, 0.9, 100, 40000)));
        break;
    case TOOL_GREP:
        kstr(g, "pattern", slice(g, POOL_PROSE, 6 + below(g, 20)));
        ks(g, "path", g->cwd);
        break;
    case TOOL_TODO:
        cn_jw_key(&g->w, "todos");
        cn_jw_arr(&g->w);
        for (uint32_t i = 3 + below(g, 4); i; i--) {
            cn_jw_obj(&g->w);
            kstr(g, "content", slice(g, POOL_PROSE, 20 + below(g, 60)));
            ks(g, "status", i == 1 ? "in_progress" : "pending");
            kstr(g, "activeForm", slice(g, POOL_PROSE, 20 + below(g, 60)));
            cn_jw_obj_end(&g->w);
        }
        cn_jw_arr_end(&g->w);
        break;
    default:
        ks(g, "description", "Investigate the failing test");
        ks(g, "prompt", g->task_prompt);
        ks(g, "subagent_type", "general-purpose");
        break;
    }
    cn_jw_obj_end(&g->w);
}

typedef struct call {
    int tool;
    char id[40], line_uuid[37], file[160];
} call;

/* One assistant line holding one block; returns its uuid in u. */
static void block(cg *g, const char *mid, const char *ref, int kind, call *c, bool last_line,
                  bool end_turn, char u[37])
{
    begin(g);
    envelope(g, "assistant", u);
    cn_jw_key(&g->w, "message");
    cn_jw_obj(&g->w);
    ks(g, "id", mid);
    ks(g, "type", "message");
    ks(g, "role", "assistant");
    ks(g, "model", g->v21 ? "claude-sonnet-4-5" : "claude-sonnet-4-5-20250929");
    cn_jw_key(&g->w, "content");
    cn_jw_arr(&g->w);
    cn_jw_obj(&g->w);
    if (kind == 0) {
        ks(g, "type", "thinking");
        kstr(g, "thinking", slice(g, POOL_PROSE, lognormal(g, 700, 0.9, 40, 12000)));
        char sig[40];
        cn_buf_reset(&g->tmp);
        base62(g, sig, "", 30);
        for (size_t n = 300 + below(g, 1200); g->tmp.len < n;)
            cn_buf_adds(&g->tmp, sig);
        kstr(g, "signature", cn_buf_str(&g->tmp));
    } else if (kind == 1) {
        ks(g, "type", "text");
        kstr(g, "text", slice(g, POOL_PROSE, lognormal(g, 400, 1.0, 20, 12000)));
    } else {
        ks(g, "type", "tool_use");
        ks(g, "id", c->id);
        ks(g, "name", tool_name(g, c->tool));
        cn_jw_key(&g->w, "input");
        tool_input(g, c->tool, c->file);
    }
    cn_jw_obj_end(&g->w);
    cn_jw_arr_end(&g->w);
    if (last_line)
        ks(g, "stop_reason", end_turn ? "end_turn" : "tool_use");
    else
        kn(g, "stop_reason");
    kn(g, "stop_sequence");
    g->out_tokens += 20 + below(g, 400);
    usage(g, last_line ? g->out_tokens : 2);
    cn_jw_obj_end(&g->w);
    ks(g, g->v21 ? "requestRef" : "requestId", ref);
    end(g);
    memcpy(g->parent, u, 37);
    g->c->parts++;
}

static void tool_result(cg *g, const call *c)
{
    char u[37];
    bool err = chance(g, 0.05), array = chance(g, 0.15);
    size_t n =
        chance(g, 0.08) ? lognormal(g, 25000, 0.6, 10000, 80000) : lognormal(g, 900, 1.0, 20, 9000);
    cairn_str out;
    if (err)
        out = slice(g, POOL_LOG, 40 + below(g, 300));
    else if (c->tool == TOOL_READ)
        out = slice(g, POOL_NUMBERED, n * 2);
    else if (c->tool == TOOL_BASH || c->tool == TOOL_GREP)
        out = slice(g, POOL_LOG, n);
    else
        out = slice(g, POOL_PROSE, 40 + below(g, 200));
    begin(g);
    envelope(g, "user", u);
    if (g->v21)
        ks(g, "promptId", g->prompt_id);
    cn_jw_key(&g->w, "message");
    cn_jw_obj(&g->w);
    ks(g, "role", "user");
    cn_jw_key(&g->w, "content");
    cn_jw_arr(&g->w);
    cn_jw_obj(&g->w);
    ks(g, "tool_use_id", c->id);
    ks(g, "type", "tool_result");
    cn_jw_key(&g->w, "content");
    if (array) {
        cn_jw_arr(&g->w);
        cn_jw_obj(&g->w);
        ks(g, "type", "text");
        kstr(g, "text", out);
        cn_jw_obj_end(&g->w);
        cn_jw_arr_end(&g->w);
    } else {
        cn_jw_str(&g->w, out);
    }
    kb(g, "is_error", err);
    cn_jw_obj_end(&g->w);
    cn_jw_arr_end(&g->w);
    cn_jw_obj_end(&g->w);
    /* toolUseResult: what Claude Code keeps of the call, the output once more */
    cn_jw_key(&g->w, "toolUseResult");
    cn_jw_obj(&g->w);
    if (c->tool == TOOL_READ) {
        ks(g, "type", "text");
        cn_jw_key(&g->w, "file");
        cn_jw_obj(&g->w);
        ks(g, "filePath", c->file);
        kstr(g, "content", out);
        ki(g, "numLines", (int64_t)(out.len / 40 + 1));
        cn_jw_obj_end(&g->w);
    } else if (c->tool == TOOL_EDIT) {
        ks(g, "filePath", c->file);
        kstr(g, "originalFile", slice(g, POOL_CODE, lognormal(g, 3000, 0.9, 200, 40000)));
        kb(g, "userModified", false);
    } else if (c->tool == TOOL_TASK) {
        ks(g, "status", "completed");
        ks(g, "agentId", g->agent_id);
        kstr(g, "content", out);
    } else {
        kstr(g, "stdout", out);
        ks(g, "stderr", "");
        kb(g, "interrupted", false);
    }
    cn_jw_obj_end(&g->w);
    ks(g, "sourceToolAssistantUUID", c->line_uuid);
    end(g);
    memcpy(g->parent, u, sizeof u);
    g->c->tool_errors += err;
}

static void api_error(cg *g)
{
    char u[37];
    begin(g);
    envelope(g, "system", u);
    ks(g, "subtype", "api_error");
    ks(g, "level", "error");
    cn_jw_key(&g->w, "error");
    cn_jw_obj(&g->w);
    ks(g, "message", "Overloaded");
    cn_jw_obj_end(&g->w);
    ki(g, "retryAttempt", 1 + below(g, 5));
    ki(g, "maxRetries", 10);
    end(g);
    memcpy(g->parent, u, sizeof u);
    g->c->api_errors++;
    g->c->messages++;
    g->c->parts++;
}

static int pick_tool(cg *g)
{
    static const int weights[] = {35, 20, 20, 8, 7, 6, 4};
    uint32_t r = below(g, 100), acc = 0;
    for (int t = 0; t < (int)COUNT(weights); t++)
        if (r < (acc += (uint32_t)weights[t]))
            return t == TOOL_TASK && (g->sub || !g->task_allowed || g->task_pending) ? TOOL_BASH
                                                                                     : t;
    return TOOL_BASH;
}

/* One API response: its block lines, then the results of its tool calls. */
static void response(cg *g, bool last)
{
    char mid[40], ref[40], u[37];
    call calls[4];
    int kinds[6], n = 0, ncalls = 0;
    base62(g, mid, "msg_01", 22);
    if (g->v21)
        uuid(g, ref);
    else
        base62(g, ref, "req_011C", 18);
    if (chance(g, 0.01))
        api_error(g);
    if (g->v21) {
        api_request(g, ref, false);
        if (chance(g, 0.3))
            small_line(g, "api-request-blob", lognormal(g, 2000, 1.0, 200, 12000));
    }
    if (chance(g, last ? 0.3 : 0.4))
        kinds[n++] = 0;
    if (last || chance(g, 0.5))
        kinds[n++] = 1;
    if (!last)
        for (ncalls = 1 + (chance(g, 0.1) ? 1 + (int)below(g, 2) : 0); ncalls > 0; ncalls--)
            kinds[n++] = 2;
    for (int i = 0; i < n; i++) {
        call *c = NULL;
        if (kinds[i] == 2) {
            c = &calls[ncalls++];
            c->tool = pick_tool(g);
            base62(g, c->id, "toolu_01", 24);
            path(g, c->file, sizeof c->file);
            if (c->tool == TOOL_TASK) {
                g->task_pending = true;
                snprintf(g->task_call, sizeof g->task_call, "%s", c->id);
                snprintf(g->task_prompt, sizeof g->task_prompt, "Find why %s fails", c->file);
                base62(g, g->agent_id, "a", 16);
            }
        }
        block(g, mid, ref, kinds[i], c, i == n - 1, last, u);
        if (c)
            memcpy(c->line_uuid, u, sizeof u);
    }
    g->c->responses++;
    g->c->messages++;
    for (int i = 0; i < ncalls; i++)
        tool_result(g, &calls[i]);
    g->c->tool_uses += (uint64_t)ncalls;
}

/* ---- files ---- */

static void write_file(const char *path, cairn_str data)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t off = 0;
    while (fd >= 0 && off < data.len) {
        ssize_t n = write(fd, data.ptr + off, data.len - off);
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    if (fd < 0 || off != data.len || close(fd)) {
        fprintf(stderr, "gen_claude: cannot write %s: %s\n", path, strerror(errno));
        exit(2);
    }
}

static void mkdir_or_die(const char *path)
{
    if (mkdir(path, 0755) && errno != EEXIST) {
        fprintf(stderr, "gen_claude: cannot create %s: %s\n", path, strerror(errno));
        exit(2);
    }
}

/* Write one transcript of about target bytes into path. */
static void session(cg *g, const char *path, size_t target)
{
    cn_buf_reset(&g->file);
    g->parent[0] = '\0';
    g->out_tokens = 0;
    uuid(g, g->prompt_id);
    if (!g->sub && chance(g, 0.08))
        for (uint32_t k = 1 + below(g, 2); k; k--) {
            char leaf[37];
            uuid(g, leaf);
            begin(g);
            ks(g, "type", "summary");
            kstr(g, "summary", slice(g, POOL_PROSE, 40 + below(g, 60)));
            ks(g, "leafUuid", leaf);
            end(g);
            g->c->summaries++;
            g->c->messages++;
            g->c->parts += 2;
        }
    if (g->v21 && !g->sub) {
        small_line(g, "queue-operation", 0);
        small_line(g, "queue-operation", 0);
    }
    for (bool first = true; first || g->file.len < target; first = false) {
        prompt(g, first);
        if (g->v21) {
            static const size_t sizes[] = {1400, 800, 1400, 4300, 13600, 600, 1300, 500, 29000};
            for (size_t i = 0; i < (first ? COUNT(sizes) : 1); i++)
                attachment(g, "context", first ? sizes[i] : 300);
            if (first && !g->sub)
                api_request(g, g->prompt_id, true);
        }
        uint32_t steps = 1 + below(g, 8);
        for (uint32_t s = 0; s < steps; s++)
            response(g, s == steps - 1);
        if (g->v21) {
            small_line(g, "last-prompt", 60);
            cost_state(g);
        }
    }
    write_file(path, cn_buf_str(&g->file));
    g->c->files++;
    g->c->sessions++;
    g->c->bytes += g->file.len;
}

static void subagent(cg *g, const char *projdir, size_t target)
{
    char dir[4300], path[4400], meta[512];
    snprintf(dir, sizeof dir, "%s/%s", projdir, g->sid);
    mkdir_or_die(dir);
    snprintf(dir, sizeof dir, "%s/%s/subagents", projdir, g->sid);
    mkdir_or_die(dir);
    snprintf(path, sizeof path, "%s/agent-%s.jsonl", dir, g->agent_id);
    g->sub = true;
    session(g, path, target);
    g->sub = false;
    g->c->subagents++;
    int n = snprintf(meta, sizeof meta,
                     "{\"agentType\":\"general-purpose\",\"description\":\"Investigate the"
                     " failing test\",\"toolUseId\":\"%s\",\"model\":\"claude-sonnet-4-5\"}",
                     g->task_call);
    snprintf(path, sizeof path, "%s/agent-%s.meta.json", dir, g->agent_id);
    write_file(path, (cairn_str){meta, (size_t)n});
    g->c->files++;
    g->c->bytes += (uint64_t)n;
}

void cc_gen(const cc_gen_opts *o, cc_gen_counts *out)
{
    cg g = {.o = o, .c = out, .s = o->seed * 0x2545F4914F6CDD1Du + 7};
    char projects[4200], projdir[4300], path[4400];
    uint64_t t0 = cn_mono_ns(), last = t0;

    memset(out, 0, sizeof *out);
    make_pools(&g);
    cn_buf_init(&g.file, (size_t)256 << 20);
    cn_buf_init(&g.tmp, (size_t)1 << 20);
    snprintf(projects, sizeof projects, "%s/projects", o->dir);
    mkdir_or_die(projects);
    for (int p = 0; p < NPROJECTS; p++) {
        snprintf(projdir, sizeof projdir, "%s/-home-dev-src-%s", projects, names[p]);
        mkdir_or_die(projdir);
    }
    out->projects = NPROJECTS;
    while (out->bytes < o->bytes) {
        const char *name = names[below(&g, NPROJECTS)];
        snprintf(projdir, sizeof projdir, "%s/-home-dev-src-%s", projects, name);
        snprintf(g.cwd, sizeof g.cwd, "/home/dev/src/%s", name);
        uuid(&g, g.sid);
        g.v21 = chance(&g, 0.7);
        g.task_pending = false;
        g.task_allowed = chance(&g, 0.2);
        g.ms = T_START + (int64_t)below(&g, 400) * 86400000 + (int64_t)below(&g, 86400000);
        snprintf(path, sizeof path, "%s/%s.jsonl", projdir, g.sid);
        session(&g, path, lognormal(&g, 250000, 1.1, 8000, 12000000));
        if (g.task_pending)
            subagent(&g, projdir, lognormal(&g, 60000, 0.8, 5000, 1000000));
        uint64_t now = cn_mono_ns();
        if (o->progress && now - last > 2000000000u) {
            fprintf(stderr, "  claude tree: %llu sessions, %.0f MB, %.1f s\n",
                    (unsigned long long)out->sessions, (double)out->bytes / 1e6,
                    (double)(now - t0) / 1e9);
            last = now;
        }
    }
    out->seconds = (double)(cn_mono_ns() - t0) / 1e9;
    cn_buf_release(&g.file);
    cn_buf_release(&g.tmp);
    for (int k = 0; k < POOL_COUNT; k++)
        free((char *)g.pools[k].ptr);
}
