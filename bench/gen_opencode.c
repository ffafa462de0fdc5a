/*
 * bench/gen_opencode.c - the model of the synthetic opencode history.
 *
 * Shape (formats/opencode.md §4, §6, §7, after the fixtures): projects with
 * 40-hex ids; sessions with descending ses_ ids, some of them sub-agent
 * children named by a task part in the parent; turns of one user message (a
 * prompt, sometimes a file attached with its synthetic read) and 1-4
 * assistant steps (step-start, reasoning, text, tool calls bash / read /
 * write / edit / task, step-finish with tokens and cost, patch); todos for
 * some sessions.  Text is sliced from pools of prose, code, numbered file
 * lines and terminal output carrying quotes, backslashes, tabs, ESC and
 * non-ASCII UTF-8; lengths follow log-normal laws (most parts 100 B - 2 KB)
 * and 8% of tool outputs are 10-50 KB.
 *
 * Invariant: every random draw happens here, in the same order for both
 * generations; gen_opencode_out.c only serializes.  Each session reseeds
 * from (seed, index), so the history does not depend on how it is written.
 */
#include "gen_opencode.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"

#define T_START 1779000000000LL /* 2026-05-17: months of history before 2026-11 */
#define POOL_BYTES ((size_t)4 << 20)
#define MAX_PARTS_PER_MSG 4096

/* ---- PRNG (splitmix64) ---- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rnd(rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static uint32_t below(rng *r, uint32_t n)
{
    return (uint32_t)(((rnd(r) >> 32) * n) >> 32);
}

static double unit(rng *r)
{
    return (double)(rnd(r) >> 11) * 0x1.0p-53;
}

static bool chance(rng *r, double p)
{
    return unit(r) < p;
}

static size_t lognormal(rng *r, double median, double sigma, size_t lo, size_t hi)
{
    double z = sqrt(-2.0 * log(unit(r) + 1e-300)) * cos(2.0 * M_PI * unit(r));
    double v = median * exp(sigma * z);
    return v < (double)lo ? lo : v > (double)hi ? hi : (size_t)v;
}

/* ---- text pools ---- */

static const char *const words[] = {
    "the", "file", "function", "returns", "error", "test", "build", "index", "session", "parser",
    "buffer", "fix", "we", "need", "to", "check", "if", "value", "is", "NULL", "and", "update",
    "config", "path", "line", "because", "memory", "handler", "request", "cache", "query", "a",
    "it", "this", "should", "now", "works", "`make check`", "`src/api/routes.ts`", "\"quoted\"",
    "caf\xC3\xA9", "na\xC3\xAFve", "\xE2\x80\x94", "\xE2\x86\x92", "\xE2\x9C\x93",
    "\xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E", "\xF0\x9F\x98\x80", "r\xC3\xA9sum\xC3\xA9",
    "stra\303\237e", "\xD0\xBF\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82", "C:\\Users\\dev"
};
static const char *const code_lines[] = {
    "if (p == NULL) {", "    return -1;", "}", "\tfree(buf);", "printf(\"%s\\n\", name);",
    "const char *s = \"a \\\"quoted\\\" word\";", "for (size_t i = 0; i < n; i++) {",
    "export async function handler(req: Request): Promise<Response> {",
    "  const body = await req.json();", "  return new Response(JSON.stringify(body));",
    "def parse(line: str) -> dict:", "    return {\"k\": line.split(\"\\t\")}", "",
    "import { describe, it, expect } from \"vitest\";",
    "// TODO(dev): handle the \342\200\234edge\342\200\235 case",
    "    let re = /^\\s*(\\w+)=(.*)$/;",
    "#include <stdio.h>", "SELECT id, data FROM part WHERE session_id = ?1 ORDER BY id;",
    "\t\tcase '\\n': break;"
};
static const char *const log_lines[] = {
    "$ make check", "ok 1 - test_basic", "not ok 2 - test_escape # expected 3, got 4",
    "error: expected ';' before '}' token", "\x1B[32m PASS \x1B[0m src/json.test.ts (12 ms)",
    "\x1B[31m FAIL \x1B[0m src/api.test.ts", "  at Object.<anonymous> (index.js:12:5)",
    "drwxr-xr-x  2 dev dev 4096 Nov 21 06:05 src", "\xE2\x9C\x93 parses nested objects",
    "\xE2\x9C\x97 rejects trailing commas", "warning: unused variable 'n' [-Wunused-variable]",
    "Tests: 41 passed, 1 failed, 42 total", "npm WARN deprecated glob@7.2.3",
    "  --> src/main.rs:14:9", "Compiling cairn v0.1.0 (/home/dev/src/cairn)"
};
static const char *const adjs[] = {"calm", "mighty", "tidy", "quiet", "brave", "jolly", "quick",
                                   "cosmic", "crisp", "gentle"};
static const char *const nouns[] = {"circuit", "sailor", "comet", "nebula", "otter", "lagoon",
                                    "planet", "wizard", "harbor", "falcon"};
static const char *const verbs[] = {"Fix", "Add", "Refactor", "Speed up", "Document", "Test",
                                    "Debug", "Rename"};
static const char *const topics[] = {"the JSON parser", "session import", "the REST routes",
                                     "login \xE2\x80\x94 token refresh", "the build on CI",
                                     "caf\xC3\xA9 menu rendering", "the \"flaky\" test",
                                     "pagination in the API"};

#define COUNT(a) (sizeof(a) / sizeof *(a))

static const char *pick(rng *r, const char *const *list, size_t n)
{
    return list[below(r, (uint32_t)n)];
}

static void make_pools(cairn_str *pools)
{
    rng r = {0x5EEDC0DEu};
    cn_buf b;
    for (int k = 0; k < OC_POOL_COUNT; k++) {
        uint32_t lineno = 1;
        cn_buf_init(&b, POOL_BYTES + 4096);
        while (b.len < POOL_BYTES) {
            if (k == OC_POOL_PROSE) {
                for (uint32_t w = 4 + below(&r, 16); w; w--) {
                    cn_buf_adds(&b, pick(&r, words, COUNT(words)));
                    cn_buf_adds(&b, w == 1 ? "." : chance(&r, 0.08) ? ", " : " ");
                }
                cn_buf_adds(&b, chance(&r, 0.15) ? "\n\n" : chance(&r, 0.05) ? "\n- " : " ");
                continue;
            }
            if (k == OC_POOL_LOG) {
                cn_buf_adds(&b, pick(&r, log_lines, COUNT(log_lines)));
                cn_buf_addc(&b, '\n');
                continue;
            }
            if (k == OC_POOL_NUMBERED)
                cn_buf_addf(&b, "%u: ", lineno);
            lineno = chance(&r, 0.005) ? 1 : lineno + 1;
            for (uint32_t d = below(&r, 3); d; d--)
                cn_buf_adds(&b, "    ");
            cn_buf_adds(&b, pick(&r, code_lines, COUNT(code_lines)));
            cn_buf_addc(&b, '\n');
        }
        size_t n;
        char *p = cn_buf_detach(&b, &n);
        if (!p)
            oc_die("pools", "out of memory");
        pools[k] = (cairn_str){p, n};
    }
}

/* About len bytes of pool k, never cutting a UTF-8 sequence; code pools start on a line. */
static cairn_str slice(const oc_ctx *g, int k, size_t len, rng *r)
{
    const cairn_str *pl = &g->pools[k];
    if (len > pl->len / 2)
        len = pl->len / 2;
    size_t start = below(r, (uint32_t)(pl->len - len));
    if (k != OC_POOL_PROSE)
        while (start > 0 && pl->ptr[start - 1] != '\n')
            start--;
    while ((pl->ptr[start] & 0xC0) == 0x80)
        start++;
    size_t end = start + len;
    while (end > start && (pl->ptr[end] & 0xC0) == 0x80)
        end--;
    return (cairn_str){pl->ptr + start, end - start};
}

/* ---- the history ---- */

static void make_id(char out[32], const char *prefix, int64_t ms, bool desc, rng *r)
{
    static const char b62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    uint64_t v = (uint64_t)ms * 4096 + 1; /* counter 1: one id per millisecond here */
    if (desc)
        v = ~v;
    int n = snprintf(out, 32, "%s_%012llx", prefix, (unsigned long long)(v & 0xFFFFFFFFFFFFull));
    for (int k = 0; k < 14; k++)
        out[n + k] = b62[below(r, 62)];
    out[n + 14] = '\0';
}

static void hex(char *out, size_t n, rng *r)
{
    for (size_t k = 0; k < n; k++)
        out[k] = "0123456789abcdef"[below(r, 16)];
    out[n] = '\0';
}

/* out[i] = base + a share of total proportional to w[i]; the shares sum to total exactly. */
static void spread(uint64_t total, const double *w, size_t n, uint32_t base, uint32_t *out)
{
    double sum = 0, acc = 0;
    uint64_t prev = 0;
    for (size_t i = 0; i < n; i++)
        sum += w[i];
    for (size_t i = 0; i < n; i++) {
        acc += w[i];
        uint64_t cur = i + 1 == n ? total : (uint64_t)llround((double)total * acc / sum);
        cur = cur > total ? total : cur < prev ? prev : cur;
        out[i] = base + (uint32_t)(cur - prev);
        prev = cur;
    }
}

typedef struct history {
    uint8_t *user;   /* per message: a user message */
    uint32_t *npart; /* per message */
} history;

/* Sessions, roles and per-message part counts, from the global seed. */
static void plan_history(oc_ctx *g, history *h)
{
    const oc_gen_opts *o = g->o;
    rng r = {o->seed};
    uint32_t S = o->sessions, M = o->messages;
    double *w = malloc(((size_t)(S > M ? S : M) + 1) * sizeof *w);
    uint32_t *nmsg = malloc(((size_t)S + 1) * sizeof *nmsg);
    g->sess = calloc((size_t)S + 1, sizeof *g->sess);
    h->user = malloc((size_t)M + 1);
    h->npart = malloc(((size_t)M + 1) * sizeof *h->npart);
    g->nproj = S / 100 ? S / 100 : 1;
    g->proj_id = malloc(g->nproj * sizeof *g->proj_id);
    if (!w || !nmsg || !g->sess || !h->user || !h->npart || !g->proj_id)
        oc_die("plan", "out of memory");
    for (uint32_t p = 0; p < g->nproj; p++)
        hex(g->proj_id[p], 40, &r);
    int64_t t = T_START;
    for (uint32_t i = 0; i < S; i++) {
        oc_sess *s = &g->sess[i];
        s->parent = s->child = -1;
        s->project = below(&r, g->nproj);
        s->model = below(&r, OC_NMODELS);
        t += 40 * 60000 + below(&r, 5 * 3600000);
        s->t0 = t;
        snprintf(s->title, sizeof s->title, "%s %s", pick(&r, verbs, COUNT(verbs)),
                 pick(&r, topics, COUNT(topics)));
        if (i && g->sess[i - 1].parent < 0 && chance(&r, 0.08)) {
            s->parent = (int32_t)i - 1;
            g->sess[i - 1].child = (int32_t)i;
            s->project = g->sess[i - 1].project;
            s->t0 = g->sess[i - 1].t0 + 15000 + below(&r, 60000);
            snprintf(s->title, sizeof s->title, "Explore the codebase (@general subagent)");
        }
        snprintf(s->slug, sizeof s->slug, "%s-%s", pick(&r, adjs, COUNT(adjs)),
                 pick(&r, nouns, COUNT(nouns)));
        make_id(s->id, "ses", s->t0, true, &r);
        s->ntodo = chance(&r, 0.1) ? 2 + below(&r, 5) : 0;
        s->archived = chance(&r, 0.03);
        w[i] = (double)lognormal(&r, 100, 0.9, 10, 5000);
    }
    uint32_t base = M >= S ? 1 : 0;
    spread(M - (uint64_t)base * S, w, S, base, nmsg);
    uint32_t m = 0;
    for (uint32_t i = 0; i < S; i++) {
        g->sess[i].first_msg = m;
        g->sess[i].nmsg = nmsg[i];
        for (uint32_t k = 0, run = 0; k < nmsg[i]; k++, m++) {
            bool user = run == 0;
            h->user[m] = user;
            run = user ? 1 + below(&r, 4) : run - 1;
            w[m] = user ? (chance(&r, 0.12) ? 4 : 1) : (double)lognormal(&r, 8, 0.6, 3, 60);
        }
    }
    spread(o->parts, w, M, 0, h->npart);
    for (uint32_t k = 0; k < M; k++)
        if (h->npart[k] > MAX_PARTS_PER_MSG)
            oc_die("plan", "too many parts per message: use more messages");
    free(w);
    free(nmsg);
}

/* Kind of part j of a message with n parts. */
static uint8_t part_kind(bool user, uint32_t j, uint32_t n, rng *r)
{
    if (user)
        return j % 4 == 3 ? P_FILE : P_TEXT; /* prompt, synthetic call, synthetic file, file */
    if (n < 3)
        return j == 0 && n == 2 ? P_STEP_START : P_TEXT;
    if (j == 0)
        return P_STEP_START;
    if (j == n - 1)
        return P_STEP_FINISH;
    if (j == 1)
        return chance(r, 0.5) ? P_REASONING : P_TEXT;
    uint32_t x = below(r, 100);
    return x < 65 ? P_TOOL : x < 80 ? P_TEXT : x < 92 ? P_REASONING : P_PATCH;
}

static void model_tool(oc_ctx *g, oc_part *p, rng *r, bool *task)
{
    static const uint8_t mix[] = {T_BASH, T_BASH, T_BASH, T_BASH, T_READ, T_READ, T_READ,
                                  T_EDIT, T_EDIT, T_WRITE};
    p->tool = *task ? T_TASK : mix[below(r, sizeof mix)];
    *task = false;
    snprintf(p->call_id, sizeof p->call_id, "toolu_01%016llx", (unsigned long long)rnd(r));
    p->error = p->tool != T_TASK && chance(r, 0.04);
    size_t n = chance(r, 0.08) ? 10000 + below(r, 40000) : lognormal(r, 700, 1.0, 0, 9000);
    p->cmd = below(r, OC_NCMDS);
    p->exit_code = chance(r, 0.15) ? 1 : 0;
    switch (p->tool) {
    case T_BASH:
        p->a = slice(g, OC_POOL_LOG, n, r);
        break;
    case T_READ:
        p->a = slice(g, OC_POOL_NUMBERED, n, r);
        break;
    case T_WRITE:
        p->a = slice(g, OC_POOL_CODE, lognormal(r, 1200, 0.8, 40, 20000), r);
        break;
    case T_EDIT:
        p->a = slice(g, OC_POOL_CODE, lognormal(r, 250, 0.8, 10, 4000), r);
        p->b = slice(g, OC_POOL_CODE, lognormal(r, 300, 0.8, 10, 4000), r);
        break;
    default:
        p->a = slice(g, OC_POOL_PROSE, lognormal(r, 500, 0.8, 20, 4000), r);
    }
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void model_part(oc_ctx *g, oc_part *p, uint8_t kind, uint32_t j, bool user, rng *r,
                       int64_t *now, bool *task)
{
    memset(p, 0, sizeof *p);
    p->kind = kind;
    *now += 3 + below(r, 400);
    p->t0 = *now;
    make_id(p->id, "prt", p->t0, false, r);
    p->path = below(r, OC_NPATHS);
    switch (kind) {
    case P_TEXT:
    case P_REASONING:
        p->shape = user && j ? (uint8_t)(1 + j % 4) : (uint8_t)below(r, 4) % 2;
        p->synthetic = user && j;
        if (p->shape == 3)
            p->a = slice(g, OC_POOL_NUMBERED, lognormal(r, 1500, 0.8, 50, 12000), r);
        else if (p->shape != 2)
            p->a = slice(g, OC_POOL_PROSE, lognormal(r, user ? 200 : 400, 0.9, 12, 8000), r);
        if (p->shape == 1 && kind == P_TEXT)
            p->b = slice(g, OC_POOL_CODE, lognormal(r, 300, 0.8, 20, 4000), r);
        if (kind == P_REASONING && chance(r, 0.5))
            for (uint32_t k = 0, n = 200 + below(r, 190); k < n; k++)
                p->sig[k] = b64[below(r, 64)];
        break;
    case P_TOOL:
        model_tool(g, p, r, task);
        *now += 20 + below(r, p->tool == T_BASH ? 20000 : 300);
        break;
    case P_FILE:
        break;
    default: /* step-start, step-finish, patch */
        hex(p->hash, 40, r);
        p->npaths = 1 + below(r, 3);
    }
    p->t1 = *now;
}

static void model_tokens(oc_tok *t, rng *r)
{
    *t = (oc_tok){2000 + below(r, 60000), 20 + below(r, 3000), below(r, 2) * below(r, 800),
                  below(r, 40000), below(r, 2000), 0};
    t->cost = (double)(t->input * 3 + t->output * 15 + t->cache_read * 3 / 10) / 1e6;
}

static void add_tokens(oc_tok *sum, const oc_tok *t)
{
    sum->input += t->input;
    sum->output += t->output;
    sum->reasoning += t->reasoning;
    sum->cache_read += t->cache_read;
    sum->cache_write += t->cache_write;
    sum->cost += t->cost;
}

typedef struct sess_state {
    rng r;
    int64_t now;
    bool task; /* the parent's task part is still to be written */
    char last_user[32];
    oc_part *parts;
} sess_state;

static void gen_message(oc_ctx *g, oc_sess *s, sess_state *st, bool user, uint32_t n)
{
    rng *r = &st->r;
    oc_msg m = {.user = user, .nparts = n};
    st->now += user ? 5000 + below(r, 120000) : 200 + below(r, 3000);
    m.t0 = st->now;
    make_id(m.id, "msg", m.t0, false, r);
    if (user)
        memcpy(st->last_user, m.id, sizeof m.id);
    memcpy(m.parent, st->last_user, sizeof m.parent);
    for (uint32_t j = 0; j < n; j++) {
        oc_part *p = &st->parts[j];
        model_part(g, p, part_kind(user, j, n, r), j, user, r, &st->now, &st->task);
        m.has_tool |= p->kind == P_TOOL;
        if (p->kind == P_TOOL && (p->tool == T_WRITE || p->tool == T_EDIT) && !p->error) {
            s->additions += (int64_t)(p->b.len ? p->b.len : p->a.len) / 40 + 1;
            s->deletions += (int64_t)p->a.len / 80;
            s->files++;
        }
    }
    model_tokens(&m.tok, r);
    for (uint32_t j = 0; j < n; j++) {
        st->parts[j].tok = m.tok; /* step-finish carries the step's usage */
        st->parts[j].stop = !m.has_tool;
    }
    st->now += 5 + below(r, 50);
    m.t1 = st->now;
    if (!user)
        add_tokens(&s->tok, &m.tok);
    oc_out_message(g, s, &m, st->parts);
}

static void gen_session(oc_ctx *g, uint32_t i, const history *h, oc_part *parts)
{
    oc_sess *s = &g->sess[i];
    sess_state st = {.r = {g->o->seed ^ ((uint64_t)(i + 1) * 0xD1B54A32D192ED03u)},
                     .task = s->child >= 0, .parts = parts};
    rnd(&st.r);
    st.now = s->t0 + 2 + below(&st.r, 5);
    for (uint32_t k = 0; k < s->nmsg; k++)
        gen_message(g, s, &st, h->user[s->first_msg + k], h->npart[s->first_msg + k]);
    s->t1 = st.now + 100 + below(&st.r, 1000);
    oc_out_session(g, s);
}

static void progress(oc_ctx *g, uint32_t i, uint64_t t0, uint64_t *last, bool done)
{
    uint64_t now = cn_mono_ns();
    if (!g->o->progress || (!done && now - *last < 2000000000u))
        return;
    *last = now;
    fprintf(stderr, "  %s: %u/%u sessions, %llu messages, %llu parts, %.0f MB, %.1f s%s\n",
            g->o->g2 ? "G2 db  " : "G1 tree", i, g->o->sessions,
            (unsigned long long)g->c->messages, (unsigned long long)g->c->parts,
            (double)g->c->json_bytes / 1e6, (double)(now - t0) / 1e9, done ? " (done)" : "");
}

void oc_gen(const oc_gen_opts *o, oc_gen_counts *out)
{
    oc_ctx g = {.o = o, .c = out};
    history h;
    uint64_t t0 = cn_mono_ns(), last = t0;
    uint32_t maxp = 1;

    memset(out, 0, sizeof *out);
    make_pools(g.pools);
    plan_history(&g, &h);
    g.proj_created = g.sess[0].t0 - 3600000;
    g.proj_updated = g.sess[o->sessions - 1].t0;
    for (uint32_t k = 0; k < o->messages; k++)
        maxp = h.npart[k] > maxp ? h.npart[k] : maxp;
    oc_part *parts = malloc(maxp * sizeof *parts);
    if (!parts)
        oc_die("parts", "out of memory");
    cn_buf_init(&g.out, (size_t)64 << 20);
    cn_buf_init(&g.tmp, (size_t)64 << 20);
    oc_out_open(&g);
    for (uint32_t p = 0; p < g.nproj; p++)
        oc_out_project(&g, p);
    /* the newest 1% of sessions (at least one) stay in the G2 WAL, as in a live database */
    uint32_t tail = o->sessions - (o->sessions / 100 ? o->sessions / 100 : 1);
    for (uint32_t i = 0; i < o->sessions; i++) {
        if (i == tail && o->sessions > 1)
            oc_out_tail(&g);
        gen_session(&g, i, &h, parts);
        progress(&g, i + 1, t0, &last, false);
    }
    oc_out_close(&g);
    out->seconds = (double)(cn_mono_ns() - t0) / 1e9;
    progress(&g, o->sessions, t0, &last, true);
    cn_buf_release(&g.out);
    cn_buf_release(&g.tmp);
    for (int k = 0; k < OC_POOL_COUNT; k++)
        free((char *)g.pools[k].ptr);
    free(parts);
    free(g.sess);
    free(g.proj_id);
    free(h.user);
    free(h.npart);
}
