/*
 * Unit tests for serve/mcp.c (cn_mcp_run): malformed input on stdin.  Parse
 * errors, ids that are not ids, notifications, unknown methods, parameters of
 * the wrong type, a missing "jsonrpc", lines over the 16 MiB limit, EOF, an
 * output that cannot be written, and that the output carries only JSON-RPC.
 *
 * Each run writes its input to a temp file (in_fd), answers into another
 * (out_fd), with a fresh store in a temp dir; all under one dir that the group
 * teardown removes, even after a failure.  Every answer line is checked to be
 * one JSON-RPC 2.0 response (parsed with json/json.h) before the test looks
 * at it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "cairn/memory.h"
#include "cairn/store.h"
#include "json/json.h"
#include "serve/mcp.h"
#include "store/ctxsnap.h" /* CN_CTX_FOLD_EVENTS */

#include "fixture.h"

#define MAX_LINE ((size_t)16 << 20) /* serve/mcp.c */
#define PING(id) "{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"method\":\"ping\"}\n"
#define PONG(id) "{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"result\":{}}"
#define ERR_NULL(code) "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":" #code ","
#define CALL(id, tool, args)                                                                       \
    "{\"jsonrpc\":\"2.0\",\"id\":" #id ",\"method\":\"tools/call\",\"params\":{\"name\":\"" tool   \
    "\",\"arguments\":" args "}}\n"

enum { TO_FILE, TO_STDOUT, TO_RDONLY, TO_CLOSED_PIPE }; /* where out_fd goes */

static char root[4096]; /* every run's files, under one temp dir */
static char *big;       /* a large input, freed by the teardown */

/* The last run: its return code, error and answer lines. */
static struct {
    cairn_rc rc;
    cairn_err err;
    char *text;
    size_t len, n;
    char *line[128];
} R;

static int setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(root, sizeof root, "%s/cairn-test-mcp-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    signal(SIGPIPE, SIG_IGN); /* as cairn mcp does */
    return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    rm_tree(root);
    free(R.text);
    free(big);
    R.text = big = NULL;
    return 0;
}

static void write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        assert_true(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

/* One answer line is one JSON-RPC 2.0 response: an id and a result or an error. */
static void check_line(const char *l)
{
    cn_json j;
    cairn_err e;
    cn_json_init(&j);
    if (strncmp(l, "{\"jsonrpc\":\"2.0\",", 17) || cn_json_parse(&j, l, strlen(l), &e))
        fail_msg("not a JSON-RPC line: %.200s", l);
    cn_jval v = cn_json_root(&j);
    assert_true(cn_json_str_eq(cn_json_get(v, "jsonrpc"), "2.0"));
    assert_true(cn_json_exists(cn_json_get(v, "id")));
    assert_true(cn_json_exists(cn_json_get(v, "result")) !=
                cn_json_exists(cn_json_get(v, "error")));
    cn_json_release(&j);
}

/* Run cn_mcp_run over in[0..n) into R. */
static void serve_to(const char *in, size_t n, int how)
{
    char dir[4200], path[4300], data[4300];
    int p[2], saved = -1;
    snprintf(dir, sizeof dir, "%s/run-XXXXXX", root);
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/in-XXXXXX", dir);
    int in_fd = mkstemp(path);
    assert_true(in_fd >= 0);
    write_all(in_fd, in, n);
    assert_int_equal(lseek(in_fd, 0, SEEK_SET), 0);
    snprintf(path, sizeof path, "%s/out-XXXXXX", dir);
    int out_fd = mkstemp(path), to = out_fd;
    assert_true(out_fd >= 0);
    if (how == TO_RDONLY)
        to = open(path, O_RDONLY | O_CLOEXEC);
    if (how == TO_CLOSED_PIPE) {
        assert_int_equal(pipe(p), 0);
        close(p[0]);
        to = p[1];
    }
    if (how == TO_STDOUT) { /* the real stdout: anything else printed there shows too */
        fflush(stdout);
        saved = dup(1);
        assert_true(saved >= 0 && dup2(out_fd, 1) == 1);
        to = 1;
    }
    assert_true(to >= 0);
    snprintf(data, sizeof data, "%s/data", dir);
    cn_mcp_opts o = {.in_fd = in_fd, .out_fd = to, .data_dir = data, .project = "p"};
    memset(&R.err, 0, sizeof R.err);
    R.rc = cn_mcp_run(&o, &R.err);
    if (how == TO_STDOUT) {
        fflush(stdout);
        dup2(saved, 1);
        close(saved);
    } else if (to != out_fd) {
        close(to);
    }
    close(in_fd);

    /* read the answers back, split into lines */
    struct stat st;
    assert_int_equal(fstat(out_fd, &st), 0);
    free(R.text);
    R.len = (size_t)st.st_size;
    R.text = malloc(R.len + 1);
    assert_non_null(R.text);
    assert_int_equal(pread(out_fd, R.text, R.len, 0), (ssize_t)R.len);
    close(out_fd);
    rm_tree(dir);
    R.text[R.len] = '\0';
    R.n = 0;
    if (R.len)
        assert_int_equal(R.text[R.len - 1], '\n'); /* whole lines only */
    for (char *l = R.text, *nl; (nl = strchr(l, '\n')); l = nl + 1) {
        *nl = '\0';
        assert_true(R.n < sizeof R.line / sizeof R.line[0]);
        check_line(l);
        R.line[R.n++] = l;
    }
}

static void serve(const char *in)
{
    serve_to(in, strlen(in), TO_FILE);
    assert_int_equal(R.rc, CAIRN_OK);
}

static void assert_prefix(const char *s, const char *prefix)
{
    if (strncmp(s, prefix, strlen(prefix)))
        fail_msg("'%.300s' does not start with '%s'", s, prefix);
}

/* The answer to id (its JSON text), or NULL. */
static const char *answer(const char *id)
{
    char head[128];
    snprintf(head, sizeof head, "{\"jsonrpc\":\"2.0\",\"id\":%s,", id);
    for (size_t i = 0; i < R.n; i++)
        if (!strncmp(R.line[i], head, strlen(head)))
            return R.line[i];
    return NULL;
}

/* The answer to id is error code, and its message holds word. */
static void expect_error(const char *id, int code, const char *word)
{
    const char *a = answer(id);
    char want[64];
    snprintf(want, sizeof want, "\"error\":{\"code\":%d,\"message\":\"", code);
    if (!a || !strstr(a, want) || !strstr(strstr(a, want), word))
        fail_msg("id %s: want code %d naming %s, got: %.300s", id, code, word, a ? a : "nothing");
}

/* A ping line of exactly len bytes (a "pad" parameter fills it), newline after; returns len+1. */
static size_t ping_line(char *dst, size_t len, int id)
{
    char head[96];
    int h = snprintf(head, sizeof head,
                     "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"ping\","
                     "\"params\":{\"pad\":\"",
                     id);
    memcpy(dst, head, (size_t)h);
    memset(dst + h, 'a', len - (size_t)h - 3);
    memcpy(dst + len - 3, "\"}}\n", 4);
    return len + 1;
}

static void test_parse_errors(void **state)
{
    (void)state;
    /* each bad line is answered -32700 with id null; the ping after it is answered */
    static const char in[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\n" PING(2)  //
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"\xff\"}\n" PING(4)   //
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}\0\n" PING(6) // a NUL byte
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}}\n" PING(8)  //
        "\x01\n" PING(9);
    serve_to(in, sizeof in - 1, TO_FILE);
    assert_int_equal(R.rc, CAIRN_OK);
    assert_int_equal(R.n, 10);
    static const char *const pongs[] = {PONG(2), PONG(4), PONG(6), PONG(8), PONG(9)};
    for (size_t i = 0; i < 5; i++) {
        assert_prefix(R.line[2 * i], ERR_NULL(-32700) "\"message\":\"parse error: ");
        assert_string_equal(R.line[2 * i + 1], pongs[i]);
    }
    assert_non_null(strstr(R.line[0], "end of input"));
    assert_non_null(strstr(R.line[2], "UTF-8"));
}

static void test_notifications(void **state)
{
    (void)state;
    serve("{\"jsonrpc\":\"2.0\",\"method\":\"ping\"}\n");
    assert_int_equal(R.len, 0);
    /* no answer to any; a tools/call without an id is not run either */
    serve("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
          "{\"jsonrpc\":\"2.0\",\"method\":\"tools/call\",\"params\":{\"name\":\"memory_save\","
          "\"arguments\":{\"key\":\"k\",\"value\":\"v\"}}}\n"
          "{\"method\":\"ping\"}\n"                                   /* no jsonrpc either */
          "{\"jsonrpc\":\"2.0\",\"method\":5}\n"                      /* method not a string */
          "{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}\n"               /* unknown */
          "{\"jsonrpc\":\"2.0\",\"method\":\"ping\",\"params\":[]}\n" /* bad params */
          CALL(1, "memory_recall", "{}"));
    assert_int_equal(R.n, 1);
    assert_non_null(strstr(answer("1"), "\\\"count\\\":0"));
}

static void test_bad_requests(void **state)
{
    (void)state;
    serve("{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}\n"
          "{\"jsonrpc\":\"2.0\",\"id\":{},\"method\":\"ping\"}\n"
          "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}\n"
          "5\n"
          "{\"id\":8,\"method\":\"ping\"}\n"                     /* no jsonrpc */
          "{\"jsonrpc\":\"1.0\",\"id\":9,\"method\":\"ping\"}\n" /* not 2.0 */
          "{\"jsonrpc\":2.0,\"id\":10,\"method\":\"ping\"}\n"    /* a number */
          "{\"jsonrpc\":\"2.0\",\"id\":11}\n"                    /* no method */
          "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":[\"ping\"]}\n"
          "{\"jsonrpc\":\"2.0\",\"method\":7}\n" /* no id, a method that is no string: no answer */
          "{\"jsonrpc\":\"2.0\"}\n"              /* neither id nor method */
          "{\"jsonrpc\":\"2.0\",\"id\":\"a\\\"b\",\"method\":\"ping\"}\n" PING(13));
    assert_int_equal(R.n, 12);
    for (size_t i = 0; i < 4; i++) /* the id is not usable: answered with id null */
        assert_prefix(R.line[i], ERR_NULL(-32600));
    assert_non_null(strstr(R.line[0], "id must be a string or a number"));
    assert_non_null(strstr(R.line[3], "must be an object"));
    expect_error("8", -32600, "jsonrpc");
    expect_error("9", -32600, "jsonrpc");
    expect_error("10", -32600, "jsonrpc");
    expect_error("11", -32600, "method");
    expect_error("12", -32600, "method");
    assert_prefix(R.line[9], ERR_NULL(-32600));
    assert_string_equal(answer("\"a\\\"b\""), PONG("a\"b"));
    assert_string_equal(answer("13"), PONG(13));
}

static void test_unknown_method(void **state)
{
    (void)state;
    serve("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"nope\"}\n"
          "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"PING\"}\n");
    assert_int_equal(R.n, 2);
    assert_string_equal(R.line[0],
                        "{\"jsonrpc\":\"2.0\",\"id\":3,\"error\":{\"code\":-32601,\"message\":"
                        "\"method not found\"}}");
    expect_error("4", -32601, "not found");
}

static void test_bad_params(void **state)
{
    (void)state;
    serve(
        CALL(1, "memory_save", "{\"key\":5,\"value\":\"v\"}") //
        CALL(2, "memory_save", "\"x\"")                       //
        CALL(3, "memory_recall", "{\"max_tokens\":\"ten\"}")  //
        CALL(4, "memory_recall", "{\"max_tokens\":0}")        //
        CALL(5, "memory_recall", "{\"max_tokens\":10000001}") //
        CALL(6, "memory_recall", "{\"max_tokens\":2.5}")      //
        CALL(7, "memory_save", "{\"value\":\"v\"}")           // key missing
        CALL(8, "no_such_tool", "{}")                         //
        CALL(9, "memory_save", "null")                        //
        "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"tools/call\",\"params\":[]}\n"
        "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/call\",\"params\":\"x\"}\n"
        "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"tools/call\",\"params\":{\"name\":7}}\n"
        "{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":\"tools/call\"}\n"
        "{\"jsonrpc\":\"2.0\",\"id\":14,\"method\":\"resources/read\",\"params\":{\"uri\":1}}\n" //
        CALL(15, "memory_save", "{\"key\":\"k\",\"value\":\"v\"}")                    //
        CALL(16, "memory_save", "{\"key\":\"k\",\"value\":\"w\",\"project\":\"x\"}")   // a typo
        CALL(17, "memory_save", "{\"key\":\"k\",\"value\":\"w\",\"max_tokens\":5}") // unbounded
        CALL(18, "memory_recall", "{\"key\":\"k\"}")                                //
        CALL(19, "memory_save", "{\"key\":\"k\\u0000x\",\"value\":\"nul\"}") // k, cut
        CALL(20, "memory_save", "{\"key\":\"k\",\"value\":\"a\\u0000b\"}")   //
        CALL(21, "memory_recall", "{\"key\":\"k\"}")                                  //
        CALL(22, "memory_recall", "{\"limit\":2.0}") // JSON Schema: an integer
        CALL(23, "memory_recall", "{\"limit\":1e1}")                                   //
        CALL(24, "memory_recall", "{\"limit\":2.5}"));
    assert_int_equal(R.n, 24);
    expect_error("1", -32602, "'key'");
    expect_error("2", -32602, "'arguments'");
    expect_error("3", -32602, "max_tokens");
    expect_error("4", -32602, "max_tokens");
    expect_error("5", -32602, "max_tokens");
    expect_error("6", -32602, "max_tokens");
    expect_error("7", -32602, "'key'");
    expect_error("8", -32602, "no such tool");
    expect_error("9", -32602, "'arguments'");
    expect_error("10", -32602, "params");
    expect_error("11", -32602, "params");
    expect_error("12", -32602, "'name'");
    expect_error("13", -32602, "'name'");
    expect_error("14", -32602, "'uri'");
    /* none of them saved anything: the first save of k is version 1 */
    assert_non_null(strstr(answer("15"), "\"isError\":false"));
    assert_non_null(strstr(answer("15"), "\\\"version\\\":1,"));
    /* unknown fields are refused by name, and nothing is saved */
    expect_error("16", -32602, "unknown field 'project'");
    expect_error("17", -32602, "unknown field 'max_tokens'");
    assert_non_null(strstr(answer("18"), "\\\"memory_value\\\":\\\"v\\\""));
    /* a NUL in a string is refused by name: as a C string it would cut the key or value */
    expect_error("19", -32602, "field 'key' must not contain NUL");
    expect_error("20", -32602, "field 'value' must not contain NUL");
    assert_non_null(strstr(answer("21"), "\\\"memory_value\\\":\\\"v\\\"")); /* neither saved */
    assert_non_null(strstr(answer("22"), "\"isError\":false"));
    assert_non_null(strstr(answer("23"), "\"isError\":false"));
    expect_error("24", -32602, "field 'limit' must be an integer");
}

static void test_over_long_line(void **state)
{
    (void)state;
    size_t len = (size_t)20 << 20, n;
    free(big);
    big = malloc(len + 256);
    assert_non_null(big);
    n = ping_line(big, len, 9);
    memcpy(big + n, PING(10), sizeof PING(10));
    serve_to(big, n + sizeof PING(10) - 1, TO_FILE);
    assert_int_equal(R.rc, CAIRN_OK);
    assert_int_equal(R.n, 2);
    expect_error("null", -32700, "16777216 bytes");
    assert_null(answer("9"));
    assert_string_equal(R.line[1], PONG(10));
}

static void test_line_limit(void **state)
{
    (void)state;
    /* 16 MiB exactly is served; 16 MiB + 1 and 16 MiB + 20000 are refused */
    size_t n = 0;
    free(big);
    big = malloc(3 * MAX_LINE + 30000);
    assert_non_null(big);
    n += ping_line(big + n, MAX_LINE, 1);
    n += ping_line(big + n, MAX_LINE + 1, 2);
    n += ping_line(big + n, MAX_LINE + 20000, 3);
    memcpy(big + n, PING(4), sizeof PING(4));
    serve_to(big, n + sizeof PING(4) - 1, TO_FILE);
    assert_int_equal(R.rc, CAIRN_OK);
    assert_int_equal(R.n, 4);
    assert_string_equal(R.line[0], PONG(1));
    assert_prefix(R.line[1], ERR_NULL(-32700));
    assert_prefix(R.line[2], ERR_NULL(-32700));
    assert_null(answer("2"));
    assert_null(answer("3"));
    assert_string_equal(R.line[3], PONG(4));
}

static void test_eof(void **state)
{
    (void)state;
    serve("");
    assert_int_equal(R.len, 0);
    serve("\n\n \r\n  \n"); /* blank lines: nothing to answer */
    assert_int_equal(R.len, 0);
    serve("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\r\n"); /* CRLF */
    assert_int_equal(R.n, 1);
    /* A last line without its newline (printf '...' | cairn mcp) is answered at EOF. */
    serve(PING(1) "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}");
    assert_int_equal(R.n, 2);
    assert_string_equal(R.line[0], PONG(1));
    assert_string_equal(R.line[1], PONG(2));
}

static void test_output_fails(void **state)
{
    (void)state;
    static const char nothing[] = "{\"jsonrpc\":\"2.0\",\"method\":\"ping\"}\n";
    serve_to(PING(1), strlen(PING(1)), TO_RDONLY);
    assert_int_equal(R.rc, CAIRN_IO);
    assert_non_null(strstr(R.err.msg, "write"));
    assert_int_equal(R.len, 0);
    serve_to(PING(1) PING(2), 2 * strlen(PING(1)), TO_CLOSED_PIPE); /* the client went away */
    assert_int_equal(R.rc, CAIRN_IO);
    serve_to(nothing, strlen(nothing), TO_RDONLY); /* nothing to write: a clean end */
    assert_int_equal(R.rc, CAIRN_OK);
    /* the refusal of an over-long line cannot be written either */
    free(big);
    big = malloc(MAX_LINE + 64);
    assert_non_null(big);
    serve_to(big, ping_line(big, MAX_LINE + 1, 1), TO_RDONLY);
    assert_int_equal(R.rc, CAIRN_IO);
}

static void test_stdout_only_jsonrpc(void **state)
{
    (void)state;
    /* out_fd is fd 1 itself: a stray print to stdout would be a line that is no answer */
    static const char in[] =
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
        "\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}\n"
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}\n" //
        CALL(3, "memory_save", "{\"key\":\"k\",\"value\":\"v\"}")    //
        CALL(4, "memory_forget", "{\"key\":\"nope\"}")               // a tool error
        CALL(5, "session_get", "{\"session_id\":\"ses_nope\"}")      //
        "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"resources/list\"}\n"
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"resources/read\",\"params\":{\"uri\":"
        "\"cairn://nothing\"}}\n"
        "[{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"ping\"}]\n" /* no batches in 2025-06-18 */
        "{oops\n" PING(9);
    serve_to(in, sizeof in - 1, TO_STDOUT);
    assert_int_equal(R.rc, CAIRN_OK);
    assert_int_equal(R.n, 10); /* each line checked by check_line */
    assert_non_null(strstr(answer("4"), "\"isError\":true"));
    assert_non_null(strstr(answer("5"), "\"isError\":true"));
    assert_string_equal(R.line[9], PONG(9));
}

/* Escapes in a resource uri are decoded like any JSON string. */
static void test_resource_uri_escapes(void **state)
{
    (void)state;
    serve(CALL(1, "memory_save", "{\"key\":\"k\",\"value\":\"v\"}") //
          "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/read\",\"params\":{\"uri\":"
          "\"cairn://project/\\u0070/memories\"}}\n");
    assert_int_equal(R.n, 2);
    const char *a = answer("2");
    assert_non_null(a);
    assert_non_null(strstr(a, "\"uri\":\"cairn://project/p/memories\""));
    assert_non_null(strstr(a, "\\\"count\\\":1"));
}

/* ---- write calls that arrive together share one commit ---- */

/* A server on pipes, in a thread of its own: the test writes its input and reads its answers. */
typedef struct live {
    int to_srv, from_srv; /* the test's ends */
    cn_mcp_opts o;
    int idle_ms; /* cn_mcp_opts.index_idle_ms; 0: ten minutes (no commit of its own) */
    char data[4300];
    cairn_rc rc;
    cairn_err err;
    pthread_t t;
} live;

static void *live_run(void *arg)
{
    live *l = arg;
    l->rc = cn_mcp_run(&l->o, &l->err);
    close(l->o.out_fd);
    return NULL;
}

/* A new data dir for l (not made yet: cairn makes it). */
static void live_dir(live *l)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/live-XXXXXX", root);
    assert_non_null(mkdtemp(dir));
    snprintf(l->data, sizeof l->data, "%s/data", dir);
}

/* The server, on l's data dir (live_dir's unless set). */
static void live_start(live *l)
{
    int in[2], out[2];
    if (!l->data[0])
        live_dir(l);
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    l->to_srv = in[1];
    l->from_srv = out[0];
    l->o = (cn_mcp_opts){in[0], out[1], l->data, "p", l->idle_ms ? l->idle_ms : 600000};
    assert_int_equal(pthread_create(&l->t, NULL, live_run, l), 0);
}

/* EOF to the server; it must end cleanly. */
static void live_stop(live *l)
{
    close(l->to_srv);
    assert_int_equal(pthread_join(l->t, NULL), 0);
    close(l->o.in_fd);
    close(l->from_srv);
    assert_int_equal(l->rc, CAIRN_OK);
}

/* Send in (one write: the server reads it at once), then read n answer lines into R. */
static void live_ask(live *l, const char *in, size_t n)
{
    assert_true(strlen(in) < 4096); /* PIPE_BUF: one write, read whole */
    write_all(l->to_srv, in, strlen(in));
    free(R.text);
    R.text = NULL;
    R.len = R.n = 0;
    size_t cap = 0, lines = 0;
    while (lines < n) {
        if (R.len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            R.text = realloc(R.text, cap);
            assert_non_null(R.text);
        }
        ssize_t got = read(l->from_srv, R.text + R.len, cap - R.len - 1);
        assert_true(got > 0);
        for (ssize_t i = 0; i < got; i++)
            lines += R.text[R.len + (size_t)i] == '\n';
        R.len += (size_t)got;
    }
    assert_int_equal(lines, n); /* nothing more than asked for */
    R.text[R.len] = '\0';
    for (char *p = R.text, *nl; (nl = strchr(p, '\n')); p = nl + 1) {
        *nl = '\0';
        check_line(p);
        assert_true(R.n < sizeof R.line / sizeof R.line[0]);
        R.line[R.n++] = p;
    }
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/*
 * Commits in the store's WAL: frames of the current WAL (the header's salts)
 * that end a transaction (a database size after commit).  *salt receives
 * the first salt, which changes when the WAL starts over.
 */
static int wal_commits(const live *l, uint32_t *salt)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/cairn.db-wal", l->data);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    struct stat sb;
    assert_int_equal(fstat(fd, &sb), 0);
    unsigned char *w = malloc((size_t)sb.st_size + 1);
    assert_non_null(w);
    assert_int_equal(pread(fd, w, (size_t)sb.st_size, 0), sb.st_size);
    close(fd);
    assert_true(sb.st_size >= 32);
    uint32_t page = be32(w + 8);
    int commits = 0;
    *salt = be32(w + 16);
    for (off_t at = 32; at + 24 + page <= sb.st_size; at += 24 + page) {
        if (memcmp(w + at + 8, w + 16, 8))
            break; /* a frame of an earlier WAL */
        commits += be32(w + at + 4) != 0;
    }
    free(w);
    return commits;
}

/* resources/list pages: 50 sessions a page, nextCursor to the next; a made-up cursor is -32602 */
static void test_resource_pages(void **state)
{
    (void)state;
    live l = {.data = ""};
    cairn_store *s;
    char id[64];
    live_dir(&l);
    assert_int_equal(cairn_store_open(l.data, 0, &s, NULL), CAIRN_OK);
    cairn_session_new n = {"t", "/w", "p", NULL, 0};
    for (int i = 0; i < 120; i++)
        assert_int_equal(cairn_session_create(s, &n, id, sizeof id, NULL), CAIRN_OK);
    cairn_store_close(s);
    live_start(&l);
    int sessions = 0, pages = 0;
    char cursor[64] = "";
    do {
        char req[256];
        if (cursor[0])
            snprintf(req, sizeof req,
                     "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/list\",\"params\":"
                     "{\"cursor\":\"%s\"}}\n",
                     cursor);
        else
            snprintf(req, sizeof req, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/list\"}\n");
        live_ask(&l, req, 1);
        int here = 0;
        for (const char *p = R.line[0]; (p = strstr(p, "\"uri\":\"cairn://session/")); p++)
            here++;
        assert_true(here <= 50);
        /* the project's memories come first, on the first page only */
        assert_int_equal(strstr(R.line[0], "cairn://project/p/memories") != NULL, pages == 0);
        sessions += here;
        pages++;
        const char *c = strstr(R.line[0], "\"nextCursor\":\"");
        cursor[0] = '\0';
        if (c)
            sscanf(c + strlen("\"nextCursor\":\""), "%63[0-9]", cursor);
        assert_true(!c || cursor[0]);
    } while (cursor[0] && pages < 10);
    assert_int_equal(pages, 3);
    assert_int_equal(sessions, 120);
    live_ask(&l,
             "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"resources/list\",\"params\":"
             "{\"cursor\":\"x1\"}}\n",
             1);
    expect_error("2", -32602, "cursor");
    live_stop(&l);
}

#define SAVE(id, key) CALL(id, "memory_save", "{\"key\":\"" key "\",\"value\":\"v " key "\"}")

static void test_group_commit(void **state)
{
    (void)state;
    live l = {.data = ""};
    uint32_t salt0, salt1;
    live_start(&l);
    live_ask(&l, SAVE(1, "first"), 1);
    int c0 = wal_commits(&l, &salt0);

    /* five saves read at once, then a ping: one commit, answers in order */
    live_ask(&l, SAVE(2, "a") SAVE(3, "b") SAVE(4, "c") SAVE(5, "d") SAVE(6, "e") PING(7), 6);
    int c1 = wal_commits(&l, &salt1);
    assert_int_equal(salt1, salt0); /* the same WAL: the count compares */
    assert_int_equal(c1 - c0, 1);
    for (size_t i = 0; i < 5; i++) {
        char head[64];
        snprintf(head, sizeof head, "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"result\":", i + 2);
        assert_prefix(R.line[i], head);
        assert_non_null(strstr(R.line[i], "\"isError\":false"));
        assert_non_null(strstr(R.line[i], "Memory created successfully"));
    }
    assert_string_equal(R.line[5], PONG(7));

    /* a run broken by a call that does not write: two groups, two commits */
    live_ask(&l, SAVE(8, "f") SAVE(9, "g") PING(10) SAVE(11, "h") SAVE(12, "i"), 5);
    assert_int_equal(wal_commits(&l, &salt1) - c1, 2);
    assert_string_equal(R.line[2], PONG(10));

    /* every one of them is stored */
    live_ask(&l, CALL(13, "memory_recall", "{\"limit\":100}"), 1);
    assert_non_null(strstr(R.line[0], "\\\"count\\\":10"));
    live_stop(&l);
}

/* Rows of the memories' full-text index (FTS5 keeps a docsize row for each), read aside. */
static int64_t indexed(const live *l)
{
    char path[4400];
    sqlite3 *db;
    sqlite3_stmt *st;
    int64_t n = -1;
    snprintf(path, sizeof path, "%s/cairn.db", l->data);
    assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    assert_int_equal(
        sqlite3_prepare_v2(db, "SELECT count(*) FROM fts_memories_docsize", -1, &st, NULL),
        SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* Saves wait to be indexed: a search indexes them, and so does the save past 64 of them. */
static void test_index_deferred(void **state)
{
    (void)state;
    live l = {.data = ""};
    live_start(&l);
    live_ask(&l, SAVE(1, "a") PING(2), 2);
    live_ask(&l, SAVE(3, "b") SAVE(4, "c") PING(5), 3);
    assert_int_equal(indexed(&l), 0); /* stored, not yet indexed */
    live_ask(&l, CALL(6, "memory_recall", "{\"limit\":10}"), 1);
    assert_non_null(strstr(R.line[0], "\\\"count\\\":3"));
    live_ask(&l, CALL(7, "memory_search", "{\"q\":\"v\"}"), 1);
    assert_non_null(strstr(R.line[0], "\\\"count\\\":3")); /* it indexed them first */
    assert_int_equal(indexed(&l), 3);

    /* 65 saves in a row: the 65th indexes them all */
    for (int b = 0; b < 4; b++) {
        char in[4096];
        size_t n = 0;
        for (int i = b * 16; i < b * 16 + 16; i++)
            n += (size_t)snprintf(
                in + n, sizeof in - n,
                "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":"
                "{\"name\":\"memory_save\",\"arguments\":{\"key\":\"k%d\","
                "\"value\":\"v\"}}}\n",
                100 + i, i);
        live_ask(&l, in, 16);
    }
    assert_int_equal(indexed(&l), 3);
    live_ask(&l, SAVE(200, "last"), 1);
    assert_int_equal(indexed(&l), 3 + 65);
    live_stop(&l);
}

/* Saves left unindexed are indexed once stdin is quiet, and at EOF. */
static void test_index_idle(void **state)
{
    (void)state;
    live l = {.data = "", .idle_ms = 30};
    live_start(&l);
    live_ask(&l, SAVE(1, "a") SAVE(2, "b"), 2);
    int64_t n = 0;
    for (int i = 0; i < 1000 && (n = indexed(&l)) != 2; i++)
        usleep(10000);
    assert_int_equal(n, 2);
    live_stop(&l);

    live q = {.data = ""}; /* no quiet spell: EOF */
    memcpy(q.data, l.data, sizeof q.data);
    live_start(&q);
    live_ask(&q, SAVE(1, "c"), 1);
    assert_int_equal(indexed(&q), 2);
    live_stop(&q);
    assert_int_equal(indexed(&q), 3);
}

/* A call of the group that fails is answered with its error; the others are kept. */
static void test_group_failure(void **state)
{
    (void)state;
    live l = {.data = ""};
    uint32_t salt0, salt1;
    live_start(&l);
    live_ask(&l, PING(1), 1);
    live_ask(&l, SAVE(2, "a"), 1);
    int c0 = wal_commits(&l, &salt0);
    live_ask(&l,
             SAVE(3, "b")                                                                  //
             CALL(4, "context_append", "{\"session_id\":\"ses_none\",\"decision\":\"d\"}") //
             CALL(5, "memory_forget", "{\"key\":\"a\"}")                                   //
             CALL(6, "memory_save", "{\"key\":7,\"value\":\"v\"}")                         //
             SAVE(7, "c"),
             5);
    assert_int_equal(wal_commits(&l, &salt1) - c0, 1);
    assert_int_equal(salt1, salt0);
    assert_non_null(strstr(answer("3"), "\"isError\":false"));
    assert_non_null(strstr(answer("4"), "\"isError\":true"));
    assert_non_null(strstr(answer("4"), "ses_none"));
    assert_non_null(strstr(answer("5"), "\"isError\":false"));
    expect_error("6", -32602, "key");
    assert_non_null(strstr(answer("7"), "\"isError\":false"));
    live_ask(&l, CALL(8, "memory_recall", "{\"limit\":100}"), 1);
    assert_non_null(strstr(R.line[0], "\\\"count\\\":2")); /* b and c; a forgotten */
    assert_null(strstr(R.line[0], "\\\"memory_key\\\":\\\"a\\\""));
    live_stop(&l);
}

/* Context appends past the fold threshold in one group: all kept, in order, and folded by the
 * group (a fold left for later and never run would leave the context unfolded). */
static void test_group_context(void **state)
{
    (void)state;
    live l = {.data = ""};
    cairn_store *s = NULL;
    cairn_err e;
    char sid[64], buf[16384];
    live_dir(&l);
    assert_int_equal(cairn_store_open(l.data, 0, &s, &e), CAIRN_OK);
    cairn_session_new n = {"test", "/w", "p", NULL, 0};
    assert_int_equal(cairn_session_create(s, &n, sid, sizeof sid, &e), CAIRN_OK);
    cairn_store_close(s);
    live_start(&l);

    const int appends = CN_CTX_FOLD_EVENTS + 6;
    size_t len = 0;
    for (int i = 0; i < appends; i++)
        len +=
            (size_t)snprintf(buf + len, sizeof buf - len,
                             "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":"
                             "{\"name\":\"context_append\",\"arguments\":{\"session_id\":\"%s\","
                             "\"file_path\":\"f%02d.c\"}}}\n",
                             i + 1, sid, i);
    assert_true(len < sizeof buf - 1);
    write_all(l.to_srv, buf, len);
    /* read the answers (each holds the context so far; the last, all of it) */
    live_ask(&l, "", (size_t)appends);
    for (int i = 0; i < appends; i++) {
        char head[64];
        snprintf(head, sizeof head, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"result\":", i + 1);
        assert_prefix(R.line[i], head);
        assert_non_null(strstr(R.line[i], "\"isError\":false"));
    }
    snprintf(buf, sizeof buf,
             CALL(999, "context_get", "{\"session_id\":\"%s\",\"max_tokens\":100000}"), sid);
    live_ask(&l, buf, 1);
    for (int i = 0; i < appends; i++) { /* every file, in order */
        char item[64];
        snprintf(item, sizeof item, "f%02d.c\\\",", i);
        const char *at = strstr(R.line[0], item);
        if (!at)
            fail_msg("file %d is not in the context: %.400s", i, R.line[0]);
        snprintf(item, sizeof item, "\\\"order\\\":%d}", i + 1);
        assert_non_null(strstr(at, item));
    }
    assert_non_null(strstr(R.line[0], "\\\"compressed\\\":true")); /* folded */
    live_stop(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_errors),         cmocka_unit_test(test_notifications),
        cmocka_unit_test(test_bad_requests),         cmocka_unit_test(test_unknown_method),
        cmocka_unit_test(test_bad_params),           cmocka_unit_test(test_over_long_line),
        cmocka_unit_test(test_line_limit),           cmocka_unit_test(test_eof),
        cmocka_unit_test(test_output_fails),         cmocka_unit_test(test_stdout_only_jsonrpc),
        cmocka_unit_test(test_resource_uri_escapes), cmocka_unit_test(test_group_commit),
        cmocka_unit_test(test_group_failure),        cmocka_unit_test(test_index_deferred),
        cmocka_unit_test(test_index_idle),           cmocka_unit_test(test_group_context),
        cmocka_unit_test(test_resource_pages),
    };
    return cmocka_run_group_tests_name("mcp", tests, setup, teardown);
}
