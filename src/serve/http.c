/*
 * serve/http.c - the REST server on libmicrohttpd (the only includer of
 * microhttpd.h), epoll with an internal thread pool.
 *
 * A request is answered on the handler's second call, never the first
 * (answering on the first forces "Connection: close": 11.6k instead of
 * 69-86k req/s measured here).  Per request:
 *   first call   allocate the request state
 *   body chunks  append up to max_body (over it: remember, answer 413)
 *   last call    auth -> route (404/405) -> content type (415) -> validate
 *                (400/422) -> run -> JSON answer
 * Every error is {"error": {"code", "message"}, "detail"}.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "api/api.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/str.h"
#include "serve/accept.h"
#include "serve/ckpt.h"
#include "serve/http.h"
#include "serve/jobs.h"
#include "watch/live.h"

#define MAX_SEGMENTS 8
#define MAX_ID 128
/* Request line and header limits, checked by cairn so that the answer is a JSON error.
 * libmicrohttpd refuses beyond its per-connection memory (MHD_MEMORY) by itself, with
 * an HTML page: that is kept above the largest request these allow (24 KiB and its own
 * bookkeeping), so a request line or headers of more than ~30 KB get its HTML 414 or
 * 431.  No more than that: it clears the whole pool after every request (32 KB rather
 * than 64: 5-8 % less CPU a request, docs/BENCHMARKS.md). */
#define MAX_URL (8 << 10)
#define MAX_HEADERS (16 << 10)
#define MHD_MEMORY ((size_t)32 << 10)
/* Handler threads per core: they read and answer, and never wait for the writer. */
#ifndef THREADS_PER_CORE
#define THREADS_PER_CORE 2
#endif

/* Prometheus counters: requests by route and status, and a latency histogram. */
static const int statuses[] = {200, 201, 202, 400, 401, 403, 404, 405,
                               409, 413, 414, 415, 422, 431, 500, 503, 507};
#define NSTATUS (sizeof statuses / sizeof statuses[0])
#define NROUTES 40 /* ops + openapi, metrics, unknown */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1};
#define NBUCKETS (sizeof buckets / sizeof buckets[0])

/*
 * The writer: the one thread that runs durable writes, on its own store
 * connection.  A handler queues a job, suspends its connection and goes on
 * with other connections; the writer takes every job queued so far, runs them
 * in one group (one transaction, one disk sync: concurrent appends share their
 * fsync) and resumes their connections, whose answers then go out.  Handler
 * threads never wait for a commit.
 */
typedef cn_job job;

typedef struct writer {
    pthread_mutex_t mu;
    pthread_cond_t work;
    job *head, *tail;
    bool stop, running, exited; /* exited: takes no more jobs */
    const cn_http_opts *o;
    cn_ckpt *ckpt; /* checkpoints the WAL for the writer's connection */
    pthread_t thread;
} writer;

/* Run the batch in groups (serve/jobs.c), then resume its connections: their answers go out. */
static void run_batch(cairn_store *s, job *batch, size_t *due)
{
    cn_jobs_run(s, batch, due);
    for (job *j = batch, *next; j; j = next) {
        next = j->next; /* once resumed, j may be gone */
        MHD_resume_connection(j->conn);
    }
}

static void *write_loop(void *arg)
{
    writer *w = arg;
    cairn_store *s = NULL;
    cairn_err e;
    if (cairn_store_open(w->o->data_dir, CAIRN_STORE_LEAN, &s, &e))
        s = NULL;
    else if (w->ckpt->running) /* no commit of the writer waits for the database file's sync */
        cairn_store_checkpoint_elsewhere(s, CN_CKPT_FRAMES, cn_ckpt_due, w->ckpt);
    size_t due = 0; /* context folds left for later */
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->head && !w->stop && !due)
            pthread_cond_wait(&w->work, &w->mu);
        job *batch = w->head;
        w->head = w->tail = NULL;
        bool stop = !batch && w->stop;
        if (stop) /* stopping, nothing queued: no job can be left behind */
            w->exited = true;
        pthread_mutex_unlock(&w->mu);
        if (stop)
            break;
        if (batch)
            run_batch(s, batch, &due);
        else if (cn_jobs_folds(s, &due, &e))
            due = 0; /* it failed: the next batch tries again (never a loop of failures) */
    }
    cairn_store_close(s);
    return NULL;
}

/* Runs every job queued so far, then refuses new ones (submit answers false). */
static void stop_writer(writer *w)
{
    if (!w->running)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    w->running = false;
}

/* Queue j for the writer; false if it has stopped. */
static bool submit(writer *w, job *j)
{
    pthread_mutex_lock(&w->mu);
    bool open = !w->exited;
    if (open) {
        j->next = NULL;
        if (w->tail)
            w->tail->next = j;
        else
            w->head = j;
        w->tail = j;
        pthread_cond_signal(&w->work);
    }
    pthread_mutex_unlock(&w->mu);
    return open;
}

typedef struct server {
    const cn_http_opts *o;
    writer wr;
    cn_ckpt ckpt;
    pthread_key_t store_key;
    atomic_ulong requests[NROUTES][NSTATUS];
    atomic_ulong latency[NBUCKETS + 1];
    atomic_ulong latency_sum_us;
} server;

/* The background worker: indexes queued turns and sweeps expired memories. */
typedef struct worker {
    const cn_http_opts *o;
    volatile sig_atomic_t *stop;
    pthread_t thread;
} worker;

#define SWEEP_EVERY_MS 60000
#define SWEEP_GRACE_MS (24 * 3600 * 1000LL)

static void *work(void *arg)
{
    worker *wk = arg;
    cairn_store *s = NULL;
    int64_t last_sweep = 0;
    while (!*wk->stop) {
        cairn_err e;
        size_t n = 0;
        if (!s && cairn_store_open(wk->o->data_dir, CAIRN_STORE_LEAN, &s, &e))
            s = NULL;
        if (s && cairn_turns_index(s, 200, &n, &e) == CAIRN_OK && n)
            continue; /* more may be waiting */
        if (s && cn_now_ms() - last_sweep > SWEEP_EVERY_MS) {
            cairn_memory_sweep(s, SWEEP_GRACE_MS, &n, &e);
            last_sweep = cn_now_ms();
        }
        usleep(100 * 1000); /* a queued turn is searchable within ~0.1 s */
    }
    if (s) { /* drain what was acknowledged before the stop */
        size_t n;
        cairn_err e;
        while (cairn_turns_index(s, 200, &n, &e) == CAIRN_OK && n)
            ;
    }
    cairn_store_close(s);
    return NULL;
}

/* The live index thread: catch up with the agents' histories, then follow them. */
typedef struct live_thread {
    const cn_http_opts *o;
    volatile sig_atomic_t *stop;
    pthread_t thread;
} live_thread;

static void live_warn(void *ud, const char *msg)
{
    const cn_http_opts *o = ud;
    if (o->warn)
        o->warn(msg, o->ud);
}

static void *live_loop(void *arg)
{
    live_thread *lt = arg;
    cn_live_opts lo = {.watch = lt->o->watch, .warn = live_warn, .ud = (void *)lt->o};
    cairn_store *s;
    cn_live *l = NULL;
    cairn_err e;
    if (cairn_store_open(lt->o->data_dir, CAIRN_STORE_LEAN, &s, &e)) {
        live_warn((void *)lt->o, e.msg);
        return NULL;
    }
    if (cn_live_open(s, lt->o->sources, lt->o->nsources, &lo, &l, &e) ||
        cn_live_run(l, lt->stop, &e)) {
        char msg[600];
        snprintf(msg, sizeof msg, "the live index stopped: %s", e.msg);
        live_warn((void *)lt->o, msg);
    }
    cn_live_close(l);
    cairn_store_close(s);
    return NULL;
}

typedef struct request {
    cn_buf body;
    bool too_big;
    uint64_t t0;
    bool has_call; /* c holds a call (released with the request) */
    bool queued;   /* c waits for the writer: answered once resumed */
    size_t route;  /* c's op, an index into cn_ops */
    cn_call c;
    job j;
} request;

static void close_store(void *p)
{
    cairn_store_close(p);
}

/* This worker thread's store connection, opened on first use. */
static cairn_store *thread_store(server *sv, cairn_err *err)
{
    cairn_store *s = pthread_getspecific(sv->store_key);
    if (!s && cairn_store_open(sv->o->data_dir, CAIRN_STORE_LEAN, &s, err) == CAIRN_OK)
        pthread_setspecific(sv->store_key, s);
    return s;
}

static void count(server *sv, size_t route, int status, uint64_t t0)
{
    size_t k;
    for (k = 0; k < NSTATUS && statuses[k] != status; k++)
        ;
    if (route < NROUTES && k < NSTATUS)
        atomic_fetch_add(&sv->requests[route][k], 1);
    uint64_t us = (cn_mono_ns() - t0) / 1000;
    size_t b;
    for (b = 0; b < NBUCKETS && (double)us / 1e6 > buckets[b]; b++)
        ;
    atomic_fetch_add(&sv->latency[b], 1);
    atomic_fetch_add(&sv->latency_sum_us, us);
}

static enum MHD_Result reply(struct MHD_Connection *conn, int status, const char *type,
                            cairn_str body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(body.len, (void *)body.ptr, MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

/* reply() with b's bytes handed to libmicrohttpd (no copy; it frees them); b is emptied. */
static enum MHD_Result reply_take(struct MHD_Connection *conn, int status, const char *type,
                                  cn_buf *b)
{
    size_t len;
    if (!b->len)
        return reply(conn, status, type, cn_buf_str(b));
    bool slack = b->cap > b->len + b->len / 8 + 64;
    char *p = cn_buf_detach(b, &len), *fit;
    /* it waits in the send queue until the client has read it: no spare room */
    if (p && slack && (fit = realloc(p, len + 1)))
        p = fit;
    struct MHD_Response *r =
        p ? MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE) : NULL;
    if (!r) {
        free(p);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    enum MHD_Result ok = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ok;
}

/* send_error() with one more header (name NULL: none): a 405's Allow. */
static enum MHD_Result send_error_h(server *sv, struct MHD_Connection *conn, size_t route,
                                    uint64_t t0, int status, cairn_rc rc, const char *message,
                                    const char *name, const char *value)
{
    /* the statuses the transport decides get codes of their own */
    static const struct {
        int status;
        const char *code;
    } own[] = {{401, "unauthorized"},          {405, "method_not_allowed"},
               {415, "unsupported_media_type"}, {413, "too_large"},
               {414, "uri_too_long"},           {431, "headers_too_large"}};
    cn_buf b;
    cn_buf_init(&b, 1 << 16);
    cn_api_error_json(&b, rc, message, NULL);
    for (size_t i = 0; i < sizeof own / sizeof own[0]; i++)
        if (own[i].status == status) {
            const char *at = strstr(cn_buf_cstr(&b), "\"code\":\"");
            if (at) { /* replace the generic code by the transport's */
                cn_buf nb;
                const char *end = strchr(at + 8, '"');
                cn_buf_init(&nb, 1 << 16);
                cn_buf_add(&nb, b.ptr, (size_t)(at - b.ptr) + 8);
                cn_buf_adds(&nb, own[i].code);
                cn_buf_adds(&nb, end);
                cn_buf_release(&b);
                b = nb;
            }
        }
    count(sv, route, status, t0);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(b.len, b.ptr, MHD_RESPMEM_MUST_COPY);
    enum MHD_Result ok = MHD_NO;
    if (r) {
        MHD_add_response_header(r, "Content-Type", "application/json");
        if (status == 401)
            MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
        if (name)
            MHD_add_response_header(r, name, value);
        ok = MHD_queue_response(conn, (unsigned)status, r);
        MHD_destroy_response(r);
    }
    cn_buf_release(&b);
    return ok;
}

static enum MHD_Result send_error(server *sv, struct MHD_Connection *conn, size_t route,
                                  uint64_t t0, int status, cairn_rc rc, const char *message)
{
    return send_error_h(sv, conn, route, t0, status, rc, message, NULL, NULL);
}

/* Split the path into segments (no empty ones); -1 if there are too many. */
static int split(const char *url, cairn_str *seg)
{
    int n = 0;
    for (const char *p = url; *p;) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        const char *e = strchr(p, '/');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (n == MAX_SEGMENTS)
            return -1;
        seg[n++] = (cairn_str){p, len};
        p += len;
    }
    return n;
}

/* Does op's path template match the segments?  Parameters are captured into c. */
static bool match(const cn_op *op, const cairn_str *seg, int nseg, cn_call *c)
{
    cairn_str tpl[MAX_SEGMENTS];
    int n = split(op->path, tpl);
    if (n != nseg)
        return false;
    for (int i = 0; i < n; i++)
        if (tpl[i].ptr[0] != '{' && !cn_str_eq(tpl[i], seg[i]))
            return false;
    if (!c)
        return true;
    for (int i = 0; i < n; i++) {
        if (tpl[i].ptr[0] != '{')
            continue;
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)tpl[i].len - 2, tpl[i].ptr + 1);
        cn_call_set_text(c, name, seg[i]);
    }
    return true;
}

/*
 * Percent-decode each raw path segment in place (libmicrohttpd is told not to
 * decode, so that an encoded '/' cannot split a segment).  A segment that
 * decodes to '/' or NUL, or holds a bad escape, is refused.
 */
static const char *decode_segments(cairn_str *seg, int n, char *buf, size_t size)
{
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        char *d = buf + used;
        size_t k = 0;
        for (size_t j = 0; j < seg[i].len; j++) {
            char c = seg[i].ptr[j];
            if (c == '%') {
                if (j + 2 >= seg[i].len)
                    return "a bad percent escape in the path";
                int hi = cn_hex_digit(seg[i].ptr[j + 1]), lo = cn_hex_digit(seg[i].ptr[j + 2]);
                if (hi < 0 || lo < 0)
                    return "a bad percent escape in the path";
                c = (char)(hi * 16 + lo);
                j += 2;
                if (c == '/' || c == '\0')
                    return "'/' and NUL are not allowed in an id";
            }
            if (used + k + 1 >= size)
                return "the path is too long";
            d[k++] = c;
        }
        d[k] = '\0';
        seg[i] = (cairn_str){d, k};
        used += k + 1;
    }
    return NULL;
}

/* Decode a query value ('+' is a space, %XX a byte); false if too long or a NUL. */
static bool decode_query(const char *v, char *out, size_t size, size_t *len)
{
    size_t m = 0;
    for (const char *q = v; *q; q++) {
        int hi, lo;
        char c = *q == '+' ? ' ' : *q;
        if (*q == '%' && (hi = cn_hex_digit(q[1])) >= 0 && (lo = cn_hex_digit(q[2])) >= 0) {
            c = (char)(hi * 16 + lo);
            q += 2;
        }
        if (!c || m + 1 >= size)
            return false;
        out[m++] = c;
    }
    out[m] = '\0';
    *len = m;
    return true;
}

/* An id in a path: at most 128 bytes, no control characters, not "." or "..". */
static const char *bad_segment(const cairn_str *seg, int n)
{
    for (int i = 0; i < n; i++) {
        if (seg[i].len > MAX_ID)
            return "an id in the path is longer than 128 bytes";
        if (cn_str_eqc(seg[i], "..") || cn_str_eqc(seg[i], "."))
            return "'..' is not allowed in the path";
        for (size_t k = 0; k < seg[i].len; k++)
            if ((unsigned char)seg[i].ptr[k] < 0x20 || seg[i].ptr[k] == 0x7f)
                return "control characters are not allowed in the path";
    }
    return NULL;
}

static bool authorized(server *sv, struct MHD_Connection *conn)
{
    if (!sv->o->token)
        return true;
    const char *h = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    size_t tl = strlen(sv->o->token);
    if (!h || strncasecmp(h, "Bearer ", 7)) /* RFC 7235: the scheme in any case, then spaces */
        return false;
    h += 7 + strspn(h + 7, " ");
    return strlen(h) == tl && sodium_memcmp(h, sv->o->token, tl) == 0;
}

/* The live index's counters and gauges, as its state in the store records them. */
static void watch_metrics(cn_buf *b, cairn_store *s)
{
    static const struct {
        const char *name, *type, *help;
        size_t off;
    } rows[] = {
#define R(name, type, field, help) {name, type, help, offsetof(cairn_watch_state, field)}
        R("cairn_watch_events_total", "counter", events, "Change events read by the live index."),
        R("cairn_watch_overflows_total", "counter", overflows,
          "Event-queue overflows (each a full rescan)."),
        R("cairn_watch_backlog", "gauge", backlog, "Changed paths not yet re-indexed."),
        R("cairn_watch_directories", "gauge", dirs, "Directories watched (or places polled)."),
        R("cairn_ingest_runs_total", "counter", ingests, "Incremental ingests run."),
        R("cairn_ingest_messages_total", "counter", messages, "Messages re-indexed."),
#undef R
    };
    cairn_watch_state st;
    if (!s || cairn_store_watch_get(s, &st, NULL) || !st.present || !st.running)
        return;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        cn_buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n%s %lld\n", rows[i].name, rows[i].help,
                    rows[i].name, rows[i].type, rows[i].name,
                    (long long)*(const int64_t *)(const void *)((const char *)&st + rows[i].off));
    cn_buf_addf(b,
                "# HELP cairn_ingest_sessions_total Sessions re-indexed by the live index.\n"
                "# TYPE cairn_ingest_sessions_total counter\n"
                "cairn_ingest_sessions_total{change=\"new\"} %lld\n"
                "cairn_ingest_sessions_total{change=\"changed\"} %lld\n"
                "cairn_ingest_sessions_total{change=\"gone\"} %lld\n"
                "# HELP cairn_watch_lag_seconds The latest re-index: first change to searchable.\n"
                "# TYPE cairn_watch_lag_seconds gauge\ncairn_watch_lag_seconds %.6f\n",
                (long long)st.sessions_new, (long long)st.sessions_changed,
                (long long)st.sessions_gone, st.lag_ms / 1e3);
}

static void metrics(server *sv, cn_buf *b, cairn_store *s)
{
    int64_t queued = 0;
    if (s)
        cairn_turns_queued(s, &queued, NULL);
    cn_buf_addf(b, "# HELP cairn_turn_queue_depth Conversation turns waiting to be indexed.\n"
                   "# TYPE cairn_turn_queue_depth gauge\ncairn_turn_queue_depth %lld\n",
                (long long)queued);
    watch_metrics(b, s);
    cn_buf_adds(b, "# HELP cairn_http_requests_total HTTP requests by route and status.\n"
                   "# TYPE cairn_http_requests_total counter\n");
    for (size_t r = 0; r < NROUTES; r++)
        for (size_t k = 0; k < NSTATUS; k++) {
            unsigned long v = atomic_load(&sv->requests[r][k]);
            if (!v)
                continue;
            const char *name = r < cn_nops ? cn_ops[r].name
                               : r == cn_nops ? "openapi" : r == cn_nops + 1 ? "metrics"
                                                                              : "unknown";
            cn_buf_addf(b, "cairn_http_requests_total{route=\"%s\",status=\"%d\"} %lu\n", name,
                        statuses[k], v);
        }
    cn_buf_adds(b, "# HELP cairn_http_request_seconds Request latency.\n"
                   "# TYPE cairn_http_request_seconds histogram\n");
    unsigned long cum = 0;
    for (size_t i = 0; i <= NBUCKETS; i++) {
        cum += atomic_load(&sv->latency[i]);
        if (i < NBUCKETS)
            cn_buf_addf(b, "cairn_http_request_seconds_bucket{le=\"%g\"} %lu\n", buckets[i], cum);
        else
            cn_buf_addf(b, "cairn_http_request_seconds_bucket{le=\"+Inf\"} %lu\n", cum);
    }
    cn_buf_addf(b, "cairn_http_request_seconds_sum %.6f\ncairn_http_request_seconds_count %lu\n",
                (double)atomic_load(&sv->latency_sum_us) / 1e6, cum);
}

static bool is_json(struct MHD_Connection *conn)
{
    const char *t = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
    return t && !strncasecmp(t, "application/json", 16) && (!t[16] || t[16] == ';');
}

/* Adds the bytes of one header or query argument to *(size_t *)cls. */
static enum MHD_Result add_len(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
    (void)kind;
    *(size_t *)cls += strlen(key) + (value ? strlen(value) + 1 : 0) + 2;
    return MHD_YES;
}

/* The answer to rq's call, which ended with rc. */
static enum MHD_Result answer(server *sv, struct MHD_Connection *conn, request *rq,
                              cairn_rc rc)
{
    cn_call *c = &rq->c;
    if (rc)
        return send_error(sv, conn, rq->route, rq->t0, cn_api_http_status(rc), rc, c->err.msg);
    int status = c->status ? c->status : c->op->status;
    count(sv, rq->route, status, rq->t0);
    return reply_take(conn, status, "application/json", &c->out); /* answers can be MBs */
}

/* A whole call that the writer has run: its answer, read here, after the commit. */
static cairn_rc written(server *sv, request *rq)
{
    cairn_err e;
    if (rq->j.rc)
        return rq->j.rc;
    if (!(rq->c.store = thread_store(sv, &e)))
        return cn_err_set(&rq->c.err, e.rc, "%s", e.msg);
    return cn_call_answer(&rq->c);
}

/*
 * Hand rq's call to the writer (whole: all of it; else its deferred write) and
 * suspend the connection until the writer has committed it and resumed us:
 * handle() then answers.  Suspended first, so that the resume cannot come
 * before it.  A writer that has stopped refuses the job: a whole call fails
 * with 503, a read's access count is skipped and the read answered.
 */
static enum MHD_Result queue(server *sv, struct MHD_Connection *conn, request *rq, bool whole)
{
    rq->j = (job){.c = &rq->c, .whole = whole, .conn = conn};
    rq->queued = true;
    MHD_suspend_connection(conn);
    if (!submit(&sv->wr, &rq->j)) {
        rq->j.rc = whole ? cn_err_set(&rq->c.err, CAIRN_BUSY, "the server is stopping")
                         : CAIRN_OK;
        MHD_resume_connection(conn);
    }
    return MHD_YES;
}

static enum MHD_Result route(server *sv, struct MHD_Connection *conn, const char *url,
                             const char *method, request *rq)
{
    cairn_str seg[MAX_SEGMENTS];
    int n = split(url, seg);
    const char *why;
    size_t line = strlen(url), headers = 0;

    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_len, &line);
    if (line > MAX_URL)
        return send_error(sv, conn, cn_nops + 2, rq->t0, 414, CAIRN_TOOBIG,
                          "the request URI is over 8 KiB");
    MHD_get_connection_values(conn, MHD_HEADER_KIND, add_len, &headers);
    if (headers > MAX_HEADERS)
        return send_error(sv, conn, cn_nops + 2, rq->t0, 431, CAIRN_TOOBIG,
                          "the request headers are over 16 KiB");

    if (!authorized(sv, conn))
        return send_error(sv, conn, cn_nops + 2, rq->t0, 401, CAIRN_PERM,
                          "missing or wrong bearer token");
    if (n < 0)
        return send_error(sv, conn, cn_nops + 2, rq->t0, 404, CAIRN_NOTFOUND, "no such route");
    char decoded[4096];
    if ((why = decode_segments(seg, n, decoded, sizeof decoded)) || (why = bad_segment(seg, n)))
        return send_error(sv, conn, cn_nops + 2, rq->t0, 400, CAIRN_INVAL, why);
    /* HEAD of the service routes (a probe's curl -I): their GET, libmicrohttpd sends no body */
    if (n == 1 && !strcmp(method, "HEAD") &&
        (cn_str_eqc(seg[0], "health") || cn_str_eqc(seg[0], "metrics") ||
         cn_str_eqc(seg[0], "openapi.json")))
        method = "GET";
    if (n == 1 && (cn_str_eqc(seg[0], "openapi.json") || cn_str_eqc(seg[0], "metrics"))) {
        bool api = seg[0].ptr[0] == 'o';
        if (strcmp(method, "GET"))
            return send_error_h(sv, conn, cn_nops + !api, rq->t0, 405, CAIRN_INVAL,
                                "method not allowed", "Allow", "GET");
        cn_buf b;
        cn_buf_init(&b, 1 << 22);
        cairn_err e;
        if (api)
            cn_api_openapi(&b);
        else
            metrics(sv, &b, thread_store(sv, &e));
        count(sv, cn_nops + !api, 200, rq->t0);
        enum MHD_Result ok = reply(conn, 200, api ? "application/json"
                                                 : "text/plain; version=0.0.4",
                                  cn_buf_str(&b));
        cn_buf_release(&b);
        return ok;
    }
    size_t i, known = cn_nops; /* the first route of the path, whatever its method */
    char allow[64] = "";
    for (i = 0; i < cn_nops; i++) {
        if (!match(&cn_ops[i], seg, n, NULL))
            continue;
        if (known == cn_nops)
            known = i;
        if (!strcmp(cn_ops[i].method, method))
            break;
        if (!strstr(allow, cn_ops[i].method)) /* RFC 9110: a 405 says what is allowed */
            snprintf(allow + strlen(allow), sizeof allow - strlen(allow), "%s%s",
                     *allow ? ", " : "", cn_ops[i].method);
    }
    if (i == cn_nops && known < cn_nops)
        return send_error_h(sv, conn, known, rq->t0, 405, CAIRN_INVAL,
                            "method not allowed on this route", "Allow", allow);
    if (i == cn_nops)
        return send_error(sv, conn, cn_nops + 2, rq->t0, 404, CAIRN_NOTFOUND, "no such route");
    if (rq->too_big)
        return send_error(sv, conn, i, rq->t0, 413, CAIRN_TOOBIG, "the body is over the limit");
    if (rq->body.len && cn_op_takes_body(&cn_ops[i]) && !is_json(conn)) /* others ignore it */
        return send_error(sv, conn, i, rq->t0, 415, CAIRN_INVAL,
                          "the body must be sent as application/json");

    cairn_err e;
    cairn_store *store = thread_store(sv, &e);
    if (!store)
        return send_error(sv, conn, i, rq->t0, 503, CAIRN_BUSY, e.msg);
    cn_call *c = &rq->c;
    cn_call_init(c, &cn_ops[i], store);
    rq->has_call = true;
    rq->route = i;
    match(&cn_ops[i], seg, n, c);
    for (int k = 0; k < CN_OP_MAX_ARGS && cn_ops[i].args[k].name; k++) {
        if (!(cn_ops[i].args[k].flags & CN_IN_QUERY))
            continue;
        const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
                                                    cn_ops[i].args[k].name);
        if (!v)
            continue;
        char val[8192];
        size_t m;
        if (!decode_query(v, val, sizeof val, &m))
            return send_error(sv, conn, i, rq->t0, 400, CAIRN_INVAL,
                              "a query value is too long (8 KiB) or holds a NUL");
        cn_call_set_text(c, cn_ops[i].args[k].name, (cairn_str){val, m});
    }
    cairn_rc rc = cn_call_validate(c, cn_buf_str(&rq->body));
    if (!rc && cn_ops[i].writes && sv->wr.running)
        return queue(sv, conn, rq, true);
    c->defer_ok = sv->wr.running; /* run here: its access counts go to the writer */
    if (!rc)
        rc = cn_call_run(c);
    if (!rc && c->defer_fn)
        return queue(sv, conn, rq, false);
    return answer(sv, conn, rq, rc);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    server *sv = cls;
    request *rq = *state;
    (void)version;
    if (!rq) { /* first call: answer on a later one */
        if (!(rq = calloc(1, sizeof *rq)))
            return MHD_NO;
        cn_buf_init(&rq->body, sv->o->max_body);
        rq->t0 = cn_mono_ns();
        *state = rq;
        return MHD_YES;
    }
    if (rq->queued) /* resumed by the writer */
        return answer(sv, conn, rq, rq->j.whole ? written(sv, rq) : CAIRN_OK);
    if (*upload_size) {
        if (!rq->too_big && cn_buf_add(&rq->body, upload, *upload_size))
            rq->too_big = true;
        *upload_size = 0;
        return MHD_YES;
    }
    return route(sv, conn, url, method, rq);
}

/* Keep the URL as sent: segments and query values are decoded by route(). */
static size_t keep_escapes(void *cls, struct MHD_Connection *conn, char *uri)
{
    (void)cls;
    (void)conn;
    return strlen(uri);
}

static void completed(void *cls, struct MHD_Connection *conn, void **state,
                      enum MHD_RequestTerminationCode why)
{
    request *rq = *state;
    (void)cls;
    (void)conn;
    (void)why;
    if (rq) {
        if (rq->has_call)
            cn_call_release(&rq->c);
        cn_buf_release(&rq->body);
        free(rq);
        *state = NULL;
    }
}

static bool loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
    const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(a);
}

cairn_rc cn_http_run(const cn_http_opts *o, volatile sig_atomic_t *stop, cairn_err *err)
{
    struct sockaddr_storage ss;
    const char *host = o->host ? o->host : "127.0.0.1";
    uint16_t port = o->port ? o->port : 8003;
    server *sv;

    memset(&ss, 0, sizeof ss);
    if (!strcmp(host, "localhost"))
        host = "127.0.0.1";
    if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
        ss.ss_family = AF_INET;
        ((struct sockaddr_in *)&ss)->sin_port = htons(port);
    } else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
        ss.ss_family = AF_INET6;
        ((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
    } else {
        return cn_err_set(err, CAIRN_INVAL, "--host '%s' is not an IP address", host);
    }
    if (!loopback(&ss) && !o->token)
        return cn_err_set(err, CAIRN_INVAL,
                          "binding %s (not loopback) needs a token: --token-file F or "
                          "CAIRN_TOKEN",
                          host);
    if (sodium_init() < 0)
        return cn_err_set(err, CAIRN_ERROR, "libsodium failed to start");
    /* the store must open (and migrate) before the first request */
    cairn_store *probe;
    if (cairn_store_open(o->data_dir, CAIRN_STORE_LEAN, &probe, err))
        return err ? err->rc : CAIRN_IO;
    cairn_store_close(probe);
    cn_acceptor acc;
    if (cn_accept_listen(&acc, (struct sockaddr *)&ss,
                         ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                  : sizeof(struct sockaddr_in),
                         host, port, err))
        return err ? err->rc : CAIRN_IO;
    if (!(sv = calloc(1, sizeof *sv))) {
        cn_accept_stop(&acc);
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    }
    sv->o = o;
    pthread_key_create(&sv->store_key, close_store);
    pthread_mutex_init(&sv->wr.mu, NULL);
    pthread_cond_init(&sv->wr.work, NULL);
    sv->wr.o = o;
    cn_ckpt_start(&sv->ckpt, o->data_dir);
    sv->wr.ckpt = &sv->ckpt;
    sv->wr.running = pthread_create(&sv->wr.thread, NULL, write_loop, &sv->wr) == 0;
    /* handler threads never wait for a commit (their connections do): THREADS_PER_CORE */
    unsigned threads =
        o->threads ? o->threads : THREADS_PER_CORE * (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    /* connections come from the acceptor (serve/accept.h), spread over the pool in turn */
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_ALLOW_SUSPEND_RESUME |
            MHD_USE_NO_LISTEN_SOCKET | (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
        0, NULL, NULL, handle, sv, MHD_OPTION_THREAD_POOL_SIZE, threads ? threads : 2u,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, MHD_MEMORY, MHD_OPTION_NOTIFY_COMPLETED, completed, sv,
        MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_UNESCAPE_CALLBACK, keep_escapes, NULL,
        MHD_OPTION_END);
    if (!d || !cn_accept_start(&acc, d)) {
        cn_accept_stop(&acc);
        if (d)
            MHD_stop_daemon(d);
        stop_writer(&sv->wr);
        cn_ckpt_stop(&sv->ckpt);
        pthread_key_delete(sv->store_key);
        free(sv);
        return cn_err_set(err, CAIRN_IO, "cannot serve on %s port %u", host, port);
    }
    worker wk = {o, stop, 0};
    bool have_worker = pthread_create(&wk.thread, NULL, work, &wk) == 0;
    live_thread lt = {o, stop, 0};
    bool have_live = o->nsources && pthread_create(&lt.thread, NULL, live_loop, &lt) == 0;
    char url[128];
    snprintf(url, sizeof url, ss.ss_family == AF_INET6 ? "http://[%s]:%u" : "http://%s:%u", host,
             port);
    if (o->ready)
        o->ready(url, o->ud);
    while (!*stop)
        usleep(50 * 1000);
    /* stop accepting, give in-flight requests a moment, then stop */
    cn_accept_stop(&acc);
    for (int i = 0; i < 40; i++) {
        const union MHD_DaemonInfo *info =
            MHD_get_daemon_info(d, MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
        if (!info || !info->num_connections)
            break;
        usleep(50 * 1000);
    }
    stop_writer(&sv->wr); /* runs what is queued and resumes its connections */
    MHD_stop_daemon(d);   /* which must have none suspended */
    cn_ckpt_stop(&sv->ckpt);
    if (have_worker)
        pthread_join(wk.thread, NULL);
    if (have_live)
        pthread_join(lt.thread, NULL);
    pthread_key_delete(sv->store_key);
    free(sv);
    return CAIRN_OK;
}
