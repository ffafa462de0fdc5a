/*
 * fuzz/mcp.c - libFuzzer target for `cairn mcp`'s handling of what a client
 * writes to its stdin (serve/mcp.c, and through it the operation table of
 * api/ and the store).
 *
 * Each input is the whole of a client's stdin: it goes into a memfd that
 * cn_mcp_run reads to EOF, answering into another memfd, over one store in a
 * temp dir made once (on tmpfs when /dev/shm is there: a save's sync is then
 * free).  Inputs go on across runs in the same store, so saved memories and
 * appended context meet later searches, recalls and reads.  The store starts
 * with one session, renamed FUZZ_SESSION (MCP has no tool that makes one) so that
 * the seeds (tests/data/mcp) can append to its context and read it.  Checks:
 *  1. cn_mcp_run returns CAIRN_OK at the input's EOF: it never crashes, never
 *     hangs (libFuzzer's -timeout), never fails on a message;
 *  2. every line it writes is JSON-RPC 2.0 that parses: a response ("jsonrpc"
 *     "2.0", an id, exactly one of result and error), a non-empty array of
 *     them (the answer to a batch), or cairn's own request (roots/list);
 *  3. it writes no more lines of responses than the input has lines, plus one
 *     (a last line without its newline is answered too);
 *  4. after it, every memory is in the full-text index and the index is sound
 *     (FTS5's integrity-check): saves leave their rows out for a while, and
 *     the EOF, a search, a later save or a sweep indexes them (store/memfts.c).
 * Any violation aborts, which libFuzzer reports as a crash.  It links the
 * library's sources but the CLI's and `cairn serve`'s:
 */
// fuzz-sources: fuzz/lib/store.c src/api/*.c src/recall/*.c src/search/*.c
// fuzz-sources: src/store/*.c src/serve/mcp.c src/serve/jobs.c src/source/*.c
// fuzz-sources: src/source/claude/*.c src/source/codex/*.c src/source/opencode/*.c
// fuzz-sources: src/watch/*.c
// fuzz-libs: -lsqlite3 -lzstd -lurcu -lurcu-cds -lpthread
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sqlite3.h>

#include "json/json.h"
#include "lib/store.h"
#include "serve/mcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256]; /* the store's dir, made at the first input */

static void fail(const char *what, const char *line, size_t len)
{
    fprintf(stderr, "fuzz/mcp: %s: %.*s\n", what, (int)(len > 300 ? 300 : len), line);
    abort();
}

/* memfd of n bytes from p, at offset 0 */
static int memfd_of(const uint8_t *p, size_t n)
{
    int fd = memfd_create("mcp", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w <= 0)
            abort();
        p += w;
        n -= (size_t)w;
    }
    if (lseek(fd, 0, SEEK_SET) != 0)
        abort();
    return fd;
}

/* Rule 4, read from the store file directly. */
static void check_index(void)
{
    char path[300];
    sqlite3 *db;
    sqlite3_stmt *st;
    snprintf(path, sizeof path, "%s/cairn.db", dir);
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        abort();
    sqlite3_busy_timeout(db, 5000);
    if (sqlite3_prepare_v2(db,
                           "SELECT (SELECT count(*) FROM memories),"
                           " (SELECT count(*) FROM fts_memories_docsize)",
                           -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW)
        abort();
    long long rows = sqlite3_column_int64(st, 0), indexed = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    if (rows != indexed) {
        fprintf(stderr, "fuzz/mcp: %lld memories, %lld of them indexed\n", rows, indexed);
        abort();
    }
    if (sqlite3_exec(db,
                     "INSERT INTO fts_memories(fts_memories, rank) VALUES('integrity-check', 1)",
                     NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "fuzz/mcp: fts_memories integrity-check: %s\n", sqlite3_errmsg(db));
        abort();
    }
    sqlite3_close(db);
}

/* One response: "jsonrpc":"2.0", an id, and exactly one of result and error. */
static void check_response(cn_jval v, const char *l, size_t len)
{
    bool result = cn_json_exists(cn_json_get(v, "result"));
    bool error = cn_json_exists(cn_json_get(v, "error"));
    if (!cn_json_is(v, CN_JSON_OBJECT) || !cn_json_str_eq(cn_json_get(v, "jsonrpc"), "2.0") ||
        !cn_json_exists(cn_json_get(v, "id")) || result == error)
        fail("not a JSON-RPC 2.0 response", l, len);
}

/* Check one output line (rule 2); true when it is a response or a batch of them. */
static bool check_line(cn_json *j, const char *l, size_t len)
{
    cairn_err e;
    if (cn_json_parse(j, l, len, &e))
        fail("an output line that is not JSON", l, len);
    cn_jval v = cn_json_root(j);
    if (cn_json_is(v, CN_JSON_ARRAY)) { /* the answer to a batch */
        cn_jiter it = cn_json_iter(v);
        cn_jval r;
        if (!cn_json_count(v))
            fail("an empty batch answer", l, len);
        while (cn_json_next(&it, NULL, &r))
            check_response(r, l, len);
        return true;
    }
    if (cn_json_is(v, CN_JSON_OBJECT) && cn_json_exists(cn_json_get(v, "method"))) {
        if (!cn_json_str_eq(cn_json_get(v, "jsonrpc"), "2.0") ||
            cn_json_exists(cn_json_get(v, "result")) || cn_json_exists(cn_json_get(v, "error")))
            fail("not a JSON-RPC 2.0 request", l, len); /* cairn's roots/list */
        return false;
    }
    check_response(v, l, len);
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        signal(SIGPIPE, SIG_IGN); /* as cairn mcp does */
        fuzz_store_make(dir, sizeof dir, "mcp");
    }
    int in = memfd_of(data, size), out = memfd_of(NULL, 0);
    cn_mcp_opts o = {.in_fd = in, .out_fd = out, .data_dir = dir, .project = "fuzz"};
    cairn_err err;
    cairn_rc rc = cn_mcp_run(&o, &err);
    if (rc) {
        fprintf(stderr, "fuzz/mcp: cn_mcp_run: %s\n", err.msg);
        abort();
    }

    size_t lines = 1; /* rule 3: the input's lines, and one for a last line without '\n' */
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    off_t n = lseek(out, 0, SEEK_END);
    char *text = n > 0 ? malloc((size_t)n) : NULL;
    if (n > 0 && (!text || pread(out, text, (size_t)n, 0) != n))
        abort();
    cn_json j;
    cn_json_init(&j);
    size_t answered = 0; /* lines of responses */
    for (size_t at = 0; at < (size_t)n;) {
        char *nl = memchr(text + at, '\n', (size_t)n - at);
        if (!nl)
            fail("an output line without its newline", text + at, (size_t)n - at);
        answered += check_line(&j, text + at, (size_t)(nl - (text + at)));
        at = (size_t)(nl - text) + 1;
    }
    if (answered > lines)
        fail("more responses than input lines", text, (size_t)n);
    check_index();
    cn_json_release(&j);
    free(text);
    close(in);
    close(out);
    return 0;
}
