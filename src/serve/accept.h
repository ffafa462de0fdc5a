/*
 * serve/accept.h - the listening socket of `cairn serve`, and the thread
 * that accepts on it.
 *
 * libmicrohttpd's pool threads would each accept on the socket themselves,
 * and whichever wakes first takes a burst of new connections: measured under
 * bench/http's 64 connections, one of four threads did 562 units of CPU time
 * and another 72, and the busy thread's connections made the latency's tail.
 * Here one thread accepts and hands each connection to the pool with
 * MHD_add_connection, which places it by its descriptor's number: a burst of
 * connections is spread over the threads in turn.
 */
#ifndef CN_SERVE_ACCEPT_H
#define CN_SERVE_ACCEPT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "cairn/err.h"

struct MHD_Daemon;

typedef struct cn_acceptor {
    int fd; /* the listening socket; -1: none */
    struct MHD_Daemon *d;
    atomic_bool stop;
    bool running;
    pthread_t thread;
} cn_acceptor;

/** Listen on addr (len bytes) with SO_REUSEADDR; CAIRN_IO naming host and port, with why. */
cairn_rc cn_accept_listen(cn_acceptor *a, const struct sockaddr *addr, socklen_t len,
                          const char *host, unsigned port, cairn_err *err);
/** Start accepting for d (started with MHD_USE_NO_LISTEN_SOCKET and MHD_USE_ITC). */
bool cn_accept_start(cn_acceptor *a, struct MHD_Daemon *d);
/** Stop accepting, wait for the thread and close the socket (any state after listen). */
void cn_accept_stop(cn_acceptor *a);

#endif
