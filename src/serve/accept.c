/* serve/accept.c - the accepting thread of `cairn serve` (serve/accept.h). */
#include "serve/accept.h"

#include <errno.h>
#include <microhttpd.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"

cairn_rc cn_accept_listen(cn_acceptor *a, const struct sockaddr *addr, socklen_t len,
                          const char *host, unsigned port, cairn_err *err)
{
    int one = 1;
    a->running = false;
    atomic_store(&a->stop, false);
    a->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (a->fd < 0 || setsockopt(a->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(a->fd, addr, len) != 0 || listen(a->fd, SOMAXCONN) != 0) {
        int e = errno;
        if (a->fd >= 0)
            close(a->fd);
        a->fd = -1;
        return cn_err_set(err, CAIRN_IO, "cannot listen on %s port %u: %s", host, port,
                          strerror(e));
    }
    return CAIRN_OK;
}

static void *loop(void *arg)
{
    cn_acceptor *a = arg;
    while (!atomic_load(&a->stop)) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof peer;
        int c = accept4(a->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (c < 0) {
            if (atomic_load(&a->stop))
                break; /* cn_accept_stop shut the socket down */
            /* out of descriptors or memory, or a network error accept(2) says to retry: the
             * client waits a moment (never a busy loop, never an end to accepting) */
            if (errno != EINTR && errno != ECONNABORTED && errno != EAGAIN)
                usleep(10 * 1000);
            continue;
        }
        /* it places c on a pool thread by c's number; on failure it closes c */
        MHD_add_connection(a->d, c, (const struct sockaddr *)&peer, len);
    }
    return NULL;
}

bool cn_accept_start(cn_acceptor *a, struct MHD_Daemon *d)
{
    a->d = d;
    a->running = pthread_create(&a->thread, NULL, loop, a) == 0;
    return a->running;
}

void cn_accept_stop(cn_acceptor *a)
{
    if (a->fd < 0)
        return;
    atomic_store(&a->stop, true);
    shutdown(a->fd, SHUT_RDWR); /* wakes accept4 with an error */
    if (a->running)
        pthread_join(a->thread, NULL);
    a->running = false;
    close(a->fd);
    a->fd = -1;
}
