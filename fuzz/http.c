/*
 * fuzz/http.c - libFuzzer target for `cairn serve` (serve/http.c on
 * libmicrohttpd, with serve/accept.c, ckpt.c, jobs.c, and through them the
 * operation table of api/ and the store) as a client on the wire sees it.
 *
 * At the first input the real server starts in-process, on a thread, on a free
 * loopback port, over one store in a temp dir made once (on tmpfs when
 * /dev/shm is there: a save's sync is then free).  Inputs go on across runs in
 * the same store.  The store starts with one session, renamed FUZZ_SESSION, so that
 * the seeds (tests/data/http) can name it.  Each input is written as it is (a
 * raw request, possibly malformed, possibly several) on a new TCP connection,
 * whose write side is then shut; the whole answer is read.  Checks:
 *  1. the server answers (a whole first response) or closes within READ_SECS (it
 *     never hangs), and never crashes (its thread is in this process);
 *  2. what comes back, if anything, starts with "HTTP/1.x NNN " (after any
 *     "100 Continue"), and a body is as long as its Content-Length unless the
 *     connection was reset;
 *  3. a 4xx or 5xx with Content-Type application/json has a body that parses,
 *     with an "error" object holding a string "code" and a string "message".
 *     (libmicrohttpd answers some malformed requests by itself, in HTML: those
 *     are not JSON and not checked.)
 * Any violation aborts, which libFuzzer reports as a crash.  It links the
 * library's sources and `cairn serve`'s, but the CLI's:
 */
// fuzz-sources: fuzz/lib/store.c src/api/*.c src/recall/*.c src/search/*.c src/store/*.c
// fuzz-sources: src/serve/http.c src/serve/accept.c src/serve/ckpt.c src/serve/jobs.c
// fuzz-sources: src/source/*.c src/source/claude/*.c src/source/codex/*.c
// fuzz-sources: src/source/opencode/*.c src/watch/*.c
// fuzz-libs: -lmicrohttpd -lsodium -lsqlite3 -lzstd -lurcu -lurcu-cds -lpthread
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include "json/json.h"
#include "lib/store.h"
#include "serve/http.h"

#define READ_SECS 5 /* the longest an answer may take */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[256]; /* the store's dir, made at the first input */
static uint16_t port; /* the server's, once it listens */
static volatile sig_atomic_t stop;
static pthread_t server;
static cn_http_opts opts;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int state; /* 0 starting, 1 listening, 2 cn_http_run returned */
static cairn_err run_err;

static void fail(const char *what, const char *text, size_t len)
{
    fprintf(stderr, "fuzz/http: %s: %.*s\n", what, (int)(len > 600 ? 600 : len), text);
    abort();
}

static void set_state(int s)
{
    pthread_mutex_lock(&mu);
    state = s;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
}

static void ready(const char *url, void *ud)
{
    (void)url;
    (void)ud;
    set_state(1);
}

static void *serve(void *arg)
{
    (void)arg;
    if (cn_http_run(&opts, &stop, &run_err))
        set_state(2);
    else
        set_state(3);
    return NULL;
}

/* A loopback port nothing listens on just now. */
static uint16_t free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(fd, (struct sockaddr *)&a, &len))
        abort();
    close(fd);
    return ntohs(a.sin_port);
}

static void stop_server(void)
{
    stop = 1;
    pthread_join(server, NULL);
}

/* The server on a free port, listening (a few tries: the port may be taken meanwhile). */
static void start_server(void)
{
    for (int tries = 0; tries < 5; tries++) {
        port = free_port();
        opts = (cn_http_opts){.host = "127.0.0.1",
                              .port = port,
                              .data_dir = dir,
                              .max_body = (size_t)1 << 20,
                              .threads = 2,
                              .ready = ready};
        state = 0;
        if (pthread_create(&server, NULL, serve, NULL))
            abort();
        pthread_mutex_lock(&mu);
        while (!state)
            pthread_cond_wait(&cv, &mu);
        int s = state;
        pthread_mutex_unlock(&mu);
        if (s == 1) {
            atexit(stop_server);
            return;
        }
        pthread_join(server, NULL);
        fprintf(stderr, "fuzz/http: cn_http_run: %s\n", run_err.msg);
    }
    abort();
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Header name's value in the head [h, h+n) (NULL if absent); its length in *vlen. */
static const char *header(const char *h, size_t n, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    const char *end = h + n;
    const char *p = memchr(h, '\n', n); /* past the status line */
    while (p && p + 1 < end) {
        p++;
        const char *e = memchr(p, '\n', (size_t)(end - p));
        if (!e)
            e = end;
        if ((size_t)(e - p) > nl && p[nl] == ':' && !strncasecmp(p, name, nl)) {
            const char *v = p + nl + 1, *ve = e;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
                ve--;
            *vlen = (size_t)(ve - v);
            return v;
        }
        p = e < end ? e : NULL;
    }
    return NULL;
}

/* Whether [a, a+n) holds a whole response (not 1xx): its head, and as much body as its
 * Content-Length says (none after a HEAD).  Without a Content-Length only the close ends it. */
static bool whole(const char *a, size_t n, bool head)
{
    const char *p = a, *end = a + n;
    for (;;) {
        size_t left = (size_t)(end - p), vlen;
        const char *he = left >= 13 ? memmem(p, left, "\r\n\r\n", 4) : NULL;
        if (!he)
            return false;
        if (p[9] == '1') { /* 100 Continue */
            p = he + 4;
            continue;
        }
        if (head)
            return true;
        const char *cl = header(p, (size_t)(he - p), "Content-Length", &vlen);
        return cl && vlen && vlen < 20 && strtoull(cl, NULL, 10) <= (size_t)(end - he - 4);
    }
}

/* Checks 2 and 3 on the answer [a, a+n); reset: the connection was reset (it may be cut). */
static void check(const char *a, size_t n, bool reset, bool head)
{
    const char *p = a, *end = a + n;
    for (;;) {
        size_t left = (size_t)(end - p);
        if (!left)
            return;
        if (memcmp(p, "HTTP/1.", left < 7 ? left : 7))
            fail("an answer that is not HTTP/1.x", a, n);
        if (left < 13) {
            if (!reset)
                fail("a cut status line", a, n);
            return;
        }
        if ((p[7] != '0' && p[7] != '1') || p[8] != ' ' || p[9] < '1' || p[9] > '5' ||
            p[10] < '0' || p[10] > '9' || p[11] < '0' || p[11] > '9' ||
            (p[12] != ' ' && p[12] != '\r'))
            fail("a bad status line", a, n);
        int status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
        const char *he = memmem(p, left, "\r\n\r\n", 4);
        if (!he) {
            if (!reset)
                fail("a response without the end of its head", a, n);
            return;
        }
        size_t hn = (size_t)(he - p);
        const char *body = he + 4;
        if (status / 100 == 1) { /* 100 Continue: the response follows */
            p = body;
            continue;
        }
        if (head)
            return;
        size_t vlen, blen = (size_t)(end - body);
        const char *cl = header(p, hn, "Content-Length", &vlen);
        if (cl) {
            char num[32];
            if (vlen == 0 || vlen >= sizeof num)
                fail("a bad Content-Length", a, n);
            memcpy(num, cl, vlen);
            num[vlen] = '\0';
            char *ep;
            unsigned long long want = strtoull(num, &ep, 10);
            if (*ep)
                fail("a bad Content-Length", a, n);
            if (want > blen) {
                if (!reset)
                    fail("a body shorter than its Content-Length", a, n);
                return;
            }
            blen = (size_t)want;
        }
        const char *ct = header(p, hn, "Content-Type", &vlen);
        if (status >= 400 && ct && vlen >= 16 && !strncasecmp(ct, "application/json", 16)) {
            cn_json j;
            cairn_err e;
            cn_json_init(&j);
            if (cn_json_parse(&j, body, blen, &e))
                fail("an error whose JSON body does not parse", a, n);
            cn_jval err = cn_json_get(cn_json_root(&j), "error");
            if (!cn_json_is(err, CN_JSON_OBJECT) ||
                !cn_json_is(cn_json_get(err, "code"), CN_JSON_STRING) ||
                !cn_json_is(cn_json_get(err, "message"), CN_JSON_STRING))
                fail("an error without error.code and error.message", a, n);
            cn_json_release(&j);
        }
        return; /* the first response only: more would need the requests' methods */
    }
}

/* Whether the input begins with a whole request: a head (after any empty lines), and as
 * much body as its Content-Length says (none without one; a chunked body counts as not
 * whole). */
static bool whole_request(const uint8_t *data, size_t size)
{
    const char *d = (const char *)data;
    while (size && (*d == '\r' || *d == '\n')) { /* empty lines before a request are skipped */
        d++;
        size--;
    }
    const char *he = memmem(d, size, "\r\n\r\n", 4);
    size_t hn, vlen;
    if (!he)
        return false;
    hn = (size_t)(he - d);
    if (header(d, hn, "Transfer-Encoding", &vlen))
        return false;
    const char *cl = header(d, hn, "Content-Length", &vlen);
    return !cl || (vlen && vlen < 20 && strtoull(cl, NULL, 10) <= size - hn - 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        signal(SIGPIPE, SIG_IGN); /* as cairn serve does */
        fuzz_store_make(dir, sizeof dir, "http");
        start_server();
    }
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        abort();
    if (connect(fd, (struct sockaddr *)&a, sizeof a)) {
        perror("fuzz/http: connect");
        abort();
    }
    /* libmicrohttpd (epoll mode, 0.9.75) does not see a client's half-close that
     * comes with the last bytes of a request: a request that is not whole is then
     * held until the idle timeout.  Known: such an input gets a short wait. */
    bool complete = whole_request(data, size);
    double deadline = now() + (complete ? READ_SECS : 0.3);
    size_t cap = 1 << 16, n = 0, sent = 0;
    char *ans = malloc(cap);
    bool reset = false, eof = false, gaveup = false, done = false, wclosed = false,
         head = size >= 4 && !memcmp(data, "HEAD", 4);
    if (!ans)
        abort();
    while (!done) {
        double left = deadline - now();
        if (left <= 0 && !complete) {
            gaveup = true; /* what came may be cut */
            break;
        }
        if (left <= 0) {
            fprintf(stderr, "fuzz/http: the answer so far (%zu bytes): %.*s\n", n,
                    (int)(n > 600 ? 600 : n), ans);
            fail("no answer nor close in time to", (const char *)data, size);
        }
        struct pollfd pf = {fd, POLLIN | (wclosed ? 0 : POLLOUT), 0};
        int r = poll(&pf, 1, (int)(left * 1000) + 1);
        if (r < 0 && errno != EINTR)
            abort();
        if (r <= 0)
            continue;
        if (!wclosed && (pf.revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = sent < size ? send(fd, data + sent, size - sent, MSG_DONTWAIT) : 0;
            if (w > 0)
                sent += (size_t)w;
            if (sent == size || (w < 0 && errno != EAGAIN && errno != EINTR)) {
                shutdown(fd, SHUT_WR);
                wclosed = true;
            }
        }
        if (pf.revents & (POLLIN | POLLERR | POLLHUP)) {
            if (n == cap && !(ans = realloc(ans, cap *= 2)))
                abort();
            ssize_t got = recv(fd, ans + n, cap - n, MSG_DONTWAIT);
            if (got > 0) {
                n += (size_t)got;
                /* a keep-alive connection stays open after its answer, half-closed or not
                 * (libmicrohttpd closes it at its idle timeout): the answer is enough */
                done = whole(ans, n, head);
            } else if (got == 0)
                eof = done = true;
            else if (errno != EAGAIN && errno != EINTR)
                reset = done = true;
        }
    }
    if (!eof && !reset) { /* still open: a reset, so that the server lets it go now */
        struct linger l = {1, 0};
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
    close(fd);
    check(ans, n, reset || gaveup, head);
    free(ans);
    return 0;
}
