/*
 * serve/http.h - the REST server (libmicrohttpd): routes come from the
 * operation table in api/.
 *
 * Lifecycle: cn_http_run binds, serves until *stop becomes non-zero (a
 * signal handler sets it), stops accepting, lets in-flight requests finish,
 * and returns.  Each worker thread keeps its own store connection (WAL
 * readers and writers; writes serialise on SQLite's lock with a busy timeout).
 * Durable writes go through one writer thread (group commit); a background
 * worker indexes queued turns; the live index (watch/live.h) keeps the
 * agents' histories current on a thread of its own.
 */
#ifndef CN_SERVE_HTTP_H
#define CN_SERVE_HTTP_H

#include <signal.h>
#include <stdint.h>

#include "cairn/source.h"
#include "watch/watch.h"

typedef struct cn_http_opts {
    const char *host;     /* default 127.0.0.1 */
    uint16_t port;        /* default 8003 */
    const char *data_dir; /* NULL: the default store */
    const char *token;    /* NULL: none (only allowed on loopback) */
    size_t max_body;      /* default 1 MiB */
    unsigned threads;     /* default: the number of cores */
    /* the live index, on its own thread and store connection: these sources are
     * caught up and then watched (none: no live index) */
    const cairn_source *sources;
    size_t nsources;
    cn_watch_opts watch;
    void (*ready)(const char *url, void *ud); /* called once listening (NULL allowed) */
    void (*warn)(const char *msg, void *ud);  /* the live index's warnings (NULL allowed) */
    void *ud;
} cn_http_opts;

/** Serve until *stop.  CAIRN_INVAL (bad host, non-loopback without a token), CAIRN_IO. */
cairn_rc cn_http_run(const cn_http_opts *o, volatile sig_atomic_t *stop, cairn_err *err);

#endif
