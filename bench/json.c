/*
 * bench/json.c - JSON tokenize + validate throughput: cairn against jsmn and cJSON.
 *
 * The corpus is JSONL generated in memory from a fixed-seed PRNG, shaped like
 * agent transcripts: Claude Code lines (prompts, one content block per
 * assistant line, tool calls and their results with long outputs, thinking,
 * bookkeeping lines) and opencode messages and parts.  Strings carry the
 * escapes JSON.stringify writes (\n \" \\ \t \u001b) and non-ASCII UTF-8.
 * The lines are split once (not timed); each parser then parses every line,
 * five times, and the best run counts.  MB/s is the bytes of the lines per
 * second of this thread's CPU time, so that other processes on the machine
 * (time it spends descheduled) do not count.
 *
 * Usage: bench/json [corpus MB, default 64]
 * Exit status 1 if a parser rejects a line (all of them must accept all).
 */
#define JSMN_STATIC
#include <jsmn.h>

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/clock.h"
#include "json/json.h"
#include "json/jsonl.h"
#include "json/write.h"

#define RUNS 5

/* ---- deterministic corpus ---- */

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint64_t rnd(void) /* splitmix64 */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static uint32_t below(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

static const char *const words[] = {
    "the", "file", "function", "returns", "error", "test", "build", "cairn", "index", "session",
    "parser", "buffer", "fix", "we", "need", "to", "check", "if", "value", "is", "NULL", "and",
    "update", "config", "path", "src/json/json.c", "line", "42", "because", "memory", "caf\xC3\xA9",
    "na\xC3\xAFve", "\xE2\x80\x94", "\xE2\x86\x92", "\xE2\x9C\x93", "\xE6\x97\xA5\xE6\x9C\xAC",
    "\xF0\x9F\x98\x80", "r\xC3\xA9sum\xC3\xA9", "stra\xC3\x9F" "e", "\xD0\xBF\xD1\x80\xD0\xB8",
};
static const char *const code[] = {
    "if (p == NULL) {", "    return -1;", "}", "\tfree(buf);", "printf(\"%s\\n\", name);",
    "const char *s = \"a \\\"quoted\\\" word\";", "for (size_t i = 0; i < n; i++)",
    "$ make check", "ok 1 - test_basic", "error: expected ';' before '}' token",
    "\x1B[32mPASS\x1B[0m src/json.test.ts", "  at Object.<anonymous> (index.js:12:5)",
    "drwxr-xr-x  2 user user 4096 Nov 21 06:05 src", "C:\\Users\\dev\\project\\file.txt",
};
static const char *const tools[] = {"Bash", "Read", "Edit", "Write", "Grep", "Glob", "TodoWrite"};

typedef struct gen {
    cn_buf text; /* scratch for long strings */
    char session[40], cwd[64];
    int64_t ms;
    cn_jw w;
} gen;

static void uuid(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    for (int k = 0; k < 36; k++)
        out[k] = (k == 8 || k == 13 || k == 18 || k == 23) ? '-' : hex[below(16)];
    out[36] = '\0';
}

/* Prose of about n bytes: words, sentences, paragraphs, the odd "quote". */
static cairn_str prose(gen *g, size_t n)
{
    cn_buf_reset(&g->text);
    while (g->text.len < n) {
        uint32_t r = below(100);
        cn_buf_adds(&g->text, words[below(sizeof words / sizeof words[0])]);
        cn_buf_adds(&g->text, r < 6 ? ".\n\n" : r < 10 ? ", " : r < 12 ? " \"" : " ");
    }
    return cn_buf_str(&g->text);
}

/* Tool output of about n bytes: code and log lines. */
static cairn_str output(gen *g, size_t n)
{
    cn_buf_reset(&g->text);
    while (g->text.len < n) {
        cn_buf_adds(&g->text, code[below(sizeof code / sizeof code[0])]);
        cn_buf_addc(&g->text, '\n');
    }
    return cn_buf_str(&g->text);
}

static void kstr(cn_jw *w, const char *k, const char *v)
{
    cn_jw_key(w, k);
    cn_jw_cstr(w, v);
}

static void kint(cn_jw *w, const char *k, int64_t v)
{
    cn_jw_key(w, k);
    cn_jw_i64(w, v);
}

/* The envelope every Claude Code conversation line starts with. */
static void claude_envelope(gen *g, const char *type)
{
    char id[37];
    cn_jw *w = &g->w;
    uuid(id);
    kstr(w, "parentUuid", below(50) ? id : NULL);
    cn_jw_key(w, "isSidechain");
    cn_jw_bool(w, below(10) == 0);
    kstr(w, "userType", "external");
    kstr(w, "cwd", g->cwd);
    kstr(w, "sessionId", g->session);
    kstr(w, "version", "2.1.329");
    kstr(w, "gitBranch", "main");
    kstr(w, "type", type);
}

static void claude_tail(gen *g)
{
    char id[37];
    uuid(id);
    kstr(&g->w, "uuid", id);
    g->ms += below(4000);
    cn_jw_key(&g->w, "timestamp");
    cn_jw_time(&g->w, g->ms);
}

static void tool_input(gen *g, const char *tool)
{
    cn_jw *w = &g->w;
    cn_jw_obj(w);
    if (!strcmp(tool, "Bash")) {
        kstr(w, "command", "cd /home/dev/proj && make check 2>&1 | tail -20");
        kstr(w, "description", "Run the test suite");
        kint(w, "timeout", 120000);
    } else if (!strcmp(tool, "Edit") || !strcmp(tool, "Write")) {
        kstr(w, "file_path", "/home/dev/proj/src/json/json.c");
        cn_jw_key(w, "old_string");
        cn_jw_str(w, output(g, 80 + below(400)));
        cn_jw_key(w, "new_string");
        cn_jw_str(w, output(g, 80 + below(600)));
        cn_jw_key(w, "replace_all");
        cn_jw_bool(w, false);
    } else if (!strcmp(tool, "TodoWrite")) {
        cn_jw_key(w, "todos");
        cn_jw_arr(w);
        for (uint32_t k = 0, n = 1 + below(6); k < n; k++) {
            cn_jw_obj(w);
            cn_jw_key(w, "content");
            cn_jw_str(w, prose(g, 30 + below(60)));
            kstr(w, "status", below(2) ? "completed" : "pending");
            kint(w, "priority", below(3));
            cn_jw_obj_end(w);
        }
        cn_jw_arr_end(w);
    } else {
        kstr(w, "pattern", "cn_json_[a-z]+\\(");
        kstr(w, "path", "/home/dev/proj/src");
        cn_jw_key(w, "-n");
        cn_jw_bool(w, true);
    }
    cn_jw_obj_end(w);
}

static void usage(cn_jw *w)
{
    cn_jw_key(w, "usage");
    cn_jw_obj(w);
    kint(w, "input_tokens", below(50));
    kint(w, "cache_creation_input_tokens", below(20000));
    kint(w, "cache_read_input_tokens", below(200000));
    kint(w, "output_tokens", below(4000));
    kstr(w, "service_tier", "standard");
    cn_jw_obj_end(w);
}

/* One Claude Code assistant line: one content block (text, thinking or tool_use). */
static void claude_assistant(gen *g, uint32_t kind)
{
    cn_jw *w = &g->w;
    const char *tool = tools[below(sizeof tools / sizeof tools[0])];
    claude_envelope(g, "assistant");
    cn_jw_key(w, "message");
    cn_jw_obj(w);
    kstr(w, "id", "msg_01XFDUDYJgAACzvnptvVoYEL");
    kstr(w, "type", "message");
    kstr(w, "role", "assistant");
    kstr(w, "model", "claude-sonnet-4-5-20250929");
    cn_jw_key(w, "content");
    cn_jw_arr(w);
    cn_jw_obj(w);
    if (kind == 0) {
        kstr(w, "type", "text");
        cn_jw_key(w, "text");
        cn_jw_str(w, prose(g, 100 + below(3000)));
    } else if (kind == 1) {
        kstr(w, "type", "thinking");
        cn_jw_key(w, "thinking");
        cn_jw_str(w, prose(g, 200 + below(2000)));
        kstr(w, "signature", "EqQBCkYIBRgCKkDn2cV0PMI7Q1ELXbP0kiRL0p2sTGSzEv4hBnq1Lj+T8dR==");
    } else {
        kstr(w, "type", "tool_use");
        kstr(w, "id", "toolu_01ABsTF3fZ9nqHL8aW1aHcK2");
        kstr(w, "name", tool);
        cn_jw_key(w, "input");
        tool_input(g, tool);
    }
    cn_jw_obj_end(w);
    cn_jw_arr_end(w);
    kstr(w, "stop_reason", kind == 2 ? "tool_use" : NULL);
    kstr(w, "stop_sequence", NULL);
    usage(w);
    cn_jw_obj_end(w);
    kstr(w, "requestId", "req_011CRQ4Jt4x9Bqv1u7hZ8XgY");
    claude_tail(g);
}

/* A Claude Code user line: a typed prompt or a tool result with its structured copy. */
static void claude_user(gen *g, bool result)
{
    cn_jw *w = &g->w;
    claude_envelope(g, "user");
    cn_jw_key(w, "message");
    cn_jw_obj(w);
    kstr(w, "role", "user");
    cn_jw_key(w, "content");
    if (!result) {
        cn_jw_str(w, prose(g, 20 + below(600)));
        cn_jw_obj_end(w);
        claude_tail(g);
        return;
    }
    cairn_str out = output(g, 200 + below(6000));
    bool err = below(8) == 0;
    cn_jw_arr(w);
    cn_jw_obj(w);
    kstr(w, "tool_use_id", "toolu_01ABsTF3fZ9nqHL8aW1aHcK2");
    kstr(w, "type", "tool_result");
    cn_jw_key(w, "content");
    cn_jw_str(w, out);
    cn_jw_key(w, "is_error");
    cn_jw_bool(w, err);
    cn_jw_obj_end(w);
    cn_jw_arr_end(w);
    cn_jw_obj_end(w);
    cn_jw_key(w, "toolUseResult");
    cn_jw_obj(w);
    cn_jw_key(w, "stdout");
    cn_jw_str(w, out);
    kstr(w, "stderr", err ? "make: *** [Makefile:22: check] Error 1" : "");
    cn_jw_key(w, "interrupted");
    cn_jw_bool(w, false);
    cn_jw_key(w, "isImage");
    cn_jw_bool(w, false);
    cn_jw_obj_end(w);
    claude_tail(g);
}

/* An opencode message (kind 0) or part (kind 1: text, 2: tool). */
static void opencode(gen *g, uint32_t kind)
{
    cn_jw *w = &g->w;
    int64_t t = 1763700000000 + g->ms % 100000000;
    kstr(w, "id", kind ? "prt_9a4f3c21e001Zq8VYtLr2kPbNw" : "msg_9a4f3c21d001ABcdEfGhIjKlMn");
    kstr(w, "sessionID", "ses_6b2e1d0c9ffeq0u1PzRKt8sWvX");
    if (kind == 0) {
        kstr(w, "role", "assistant");
        cn_jw_key(w, "time");
        cn_jw_obj(w);
        kint(w, "created", t);
        kint(w, "completed", t + below(90000));
        cn_jw_obj_end(w);
        kstr(w, "modelID", "claude-sonnet-4-5");
        kstr(w, "providerID", "anthropic");
        cn_jw_key(w, "cost");
        cn_jw_f64(w, (double)below(100000) / 1e6);
        cn_jw_key(w, "tokens");
        cn_jw_obj(w);
        kint(w, "input", below(30000));
        kint(w, "output", below(4000));
        kint(w, "reasoning", 0);
        cn_jw_key(w, "cache");
        cn_jw_obj(w);
        kint(w, "read", below(100000));
        kint(w, "write", below(5000));
        cn_jw_obj_end(w);
        cn_jw_obj_end(w);
        return;
    }
    kstr(w, "messageID", "msg_9a4f3c21d001ABcdEfGhIjKlMn");
    if (kind == 1) {
        kstr(w, "type", "text");
        cn_jw_key(w, "text");
        cn_jw_str(w, prose(g, 50 + below(2500)));
        return;
    }
    kstr(w, "type", "tool");
    kstr(w, "callID", "toolu_01Y3Pj8zKq6cTnR1cM2dLwQe");
    kstr(w, "tool", "edit");
    cn_jw_key(w, "state");
    cn_jw_obj(w);
    kstr(w, "status", "completed");
    cn_jw_key(w, "input");
    tool_input(g, "Edit");
    cn_jw_key(w, "output");
    cn_jw_str(w, output(g, 50 + below(3000)));
    kstr(w, "title", "src/json/json.c");
    cn_jw_key(w, "metadata");
    cn_jw_obj(w);
    cn_jw_key(w, "diff");
    cn_jw_str(w, output(g, 100 + below(1500)));
    cn_jw_obj_end(w);
    cn_jw_key(w, "time");
    cn_jw_obj(w);
    kint(w, "start", t);
    kint(w, "end", t + below(3000));
    cn_jw_obj_end(w);
    cn_jw_obj_end(w);
}

static void record(gen *g)
{
    uint32_t r = below(100);
    cn_jw *w = &g->w;
    cn_jw_obj(w);
    if (r < 6)
        claude_user(g, false);
    else if (r < 32)
        claude_user(g, true);
    else if (r < 52)
        claude_assistant(g, 0);
    else if (r < 57)
        claude_assistant(g, 1);
    else if (r < 78)
        claude_assistant(g, 2);
    else if (r < 84)
        opencode(g, 0);
    else if (r < 90)
        opencode(g, 1);
    else if (r < 96)
        opencode(g, 2);
    else { /* bookkeeping */
        kstr(w, "type", "cost-state");
        cn_jw_key(w, "totalCostUSD");
        cn_jw_f64(w, (double)below(1000000) / 1e4);
        kint(w, "totalLinesAdded", below(5000));
        kint(w, "totalLinesRemoved", below(5000));
        kstr(w, "sessionId", g->session);
    }
    cn_jw_obj_end(w);
}

static int make_corpus(cn_buf *out, size_t bytes)
{
    gen g;
    memset(&g, 0, sizeof g);
    cn_buf_init(&g.text, 0);
    uuid(g.session);
    snprintf(g.cwd, sizeof g.cwd, "/home/dev/projects/cairn");
    g.ms = 1763700000000;
    while (out->len < bytes) {
        cn_jw_init(&g.w, out, false);
        record(&g);
        if (cn_jw_finish(&g.w) != CAIRN_OK || cn_buf_addc(out, '\n') != CAIRN_OK) {
            fprintf(stderr, "bench/json: cannot build the corpus\n");
            return -1;
        }
    }
    cn_buf_release(&g.text);
    return 0;
}

/* ---- the parsers ---- */

typedef struct lines {
    cairn_str *v;
    size_t n, bytes, max_len;
} lines;

static cn_json cairn_doc;
static jsmntok_t *jsmn_toks;
static unsigned jsmn_ntoks;

static bool run_cairn(cairn_str s)
{
    return cn_json_parse(&cairn_doc, s.ptr, s.len, NULL) == CAIRN_OK;
}

static bool run_jsmn(cairn_str s)
{
    jsmn_parser p;
    jsmn_init(&p);
    return jsmn_parse(&p, s.ptr, s.len, jsmn_toks, jsmn_ntoks) >= 0;
}

static bool run_cjson(cairn_str s)
{
    cJSON *root = cJSON_ParseWithLength(s.ptr, s.len);
    cJSON_Delete(root);
    return root != NULL;
}

typedef struct parser {
    const char *name, *note;
    bool (*parse)(cairn_str s);
    double mbs;
    size_t accepted;
} parser;

/* CPU time of this thread in s: on a shared machine, time spent descheduled is not counted. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void measure(parser *p, const lines *l)
{
    double best = 0;
    for (int run = 0; run < RUNS; run++) {
        size_t ok = 0;
        double t0 = cpu_s();
        for (size_t k = 0; k < l->n; k++)
            ok += p->parse(l->v[k]);
        double mbs = (double)l->bytes / 1e6 / (cpu_s() - t0);
        best = mbs > best ? mbs : best;
        p->accepted = ok;
    }
    p->mbs = best;
}

int main(int argc, char **argv)
{
    size_t mb = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
    cn_buf corpus;
    lines l = {0};
    cn_jsonl r;
    cairn_str s;
    int status = 0;
    parser ps[] = {
        {"cairn", "strict: RFC 8259 grammar, UTF-8, escapes, depth; token tape", run_cairn, 0, 0},
        {"jsmn", "lenient: no UTF-8 check, accepts [1,2,] 01 etc.; tokens only", run_jsmn, 0, 0},
        {"cJSON", "builds a tree (malloc per value), unescapes strings", run_cjson, 0, 0},
    };

    if (mb < 1 || mb > 2048) {
        fprintf(stderr, "usage: bench/json [corpus MB, 1..2048]\n");
        return 2;
    }
    uint64_t t0 = cn_mono_ns();
    cn_buf_init(&corpus, (mb + 1) << 20 << 1);
    if (make_corpus(&corpus, mb << 20))
        return 1;
    l.v = malloc((corpus.len / 16 + 1) * sizeof *l.v);
    if (!l.v)
        return 1;
    cn_jsonl_init(&r, cn_buf_str(&corpus));
    while (cn_jsonl_next(&r, &s) == CAIRN_OK) {
        l.v[l.n++] = s;
        l.bytes += s.len;
        l.max_len = s.len > l.max_len ? s.len : l.max_len;
    }
    jsmn_ntoks = (unsigned)l.max_len + 1; /* a token takes at least one byte */
    jsmn_toks = malloc(jsmn_ntoks * sizeof *jsmn_toks);
    if (!jsmn_toks)
        return 1;
    cn_json_init(&cairn_doc);
    printf("corpus: %.1f MB in %zu JSONL lines (mean %zu B, max %zu B), built in %.1f s\n",
           (double)l.bytes / 1e6, l.n, l.bytes / l.n, l.max_len,
           (double)(cn_mono_ns() - t0) / 1e9);
    printf("throughput: parse every line, best of %d runs, MB per CPU second\n\n", RUNS);
    printf("%-6s %9s %14s  %s\n", "parser", "MB/s", "lines accepted", "what it checks");
    for (size_t k = 0; k < sizeof ps / sizeof ps[0]; k++) {
        measure(&ps[k], &l);
        printf("%-6s %9.0f %7zu/%-7zu  %s\n", ps[k].name, ps[k].mbs, ps[k].accepted, l.n,
               ps[k].note);
        fflush(stdout);
        if (ps[k].accepted != l.n)
            status = 1;
    }
    printf("\ncairn/jsmn  %.2fx\ncairn/cJSON %.2fx\n", ps[0].mbs / ps[1].mbs,
           ps[0].mbs / ps[2].mbs);
    if (status)
        printf("FAIL: a parser rejected lines of the corpus\n");
    cn_json_release(&cairn_doc);
    free(jsmn_toks);
    free(l.v);
    cn_buf_release(&corpus);
    return status;
}
