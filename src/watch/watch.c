/*
 * watch/watch.c - the inotify and polling backends of watch/watch.h.
 *
 * inotify: one watch per directory; wds[wd] maps a watch back to its
 * directory and root, so a new subdirectory can be added under the right
 * root and an event can mark that root dirty.  ENOSPC from
 * inotify_add_watch (the per-user limit) switches the whole watcher to
 * polling: partial coverage would silently miss changes.
 */
#include "watch/watch.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/err.h"

#define MASK                                                                                       \
    (IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE |            \
     IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define MAX_DEPTH 16

typedef struct wdir {
    char *path; /* NULL: unused slot */
    int root;
} wdir;

struct cn_watch {
    cn_watch_kind kind;
    int fd;
    size_t nroots, ndirs;
    char *roots[CN_WATCH_MAX_ROOTS];
    wdir *wds; /* indexed by watch descriptor */
    size_t cap;
    bool full; /* the watch limit was reached */
};

const char *cn_watch_kind_name(cn_watch_kind k)
{
    return k == CN_WATCH_INOTIFY ? "inotify" : "poll";
}

static int add_one(cn_watch *w, const char *path, int root)
{
    int wd = inotify_add_watch(w->fd, path, MASK);
    if (wd < 0) {
        if (errno == ENOSPC)
            w->full = true;
        return -1; /* gone, not a directory or not readable: nothing to watch */
    }
    if ((size_t)wd >= w->cap) {
        size_t cap = w->cap ? w->cap : 64;
        while (cap <= (size_t)wd)
            cap *= 2;
        wdir *n = realloc(w->wds, cap * sizeof *n);
        if (!n)
            return -1;
        memset(n + w->cap, 0, (cap - w->cap) * sizeof *n);
        w->wds = n, w->cap = cap;
    }
    if (!w->wds[wd].path) {
        if (!(w->wds[wd].path = strdup(path)))
            return -1;
        w->ndirs++;
    }
    w->wds[wd].root = root;
    return 0;
}

/* path and every directory under it (not following symlinks). */
static void add_tree(cn_watch *w, const char *path, int root, int depth)
{
    if (w->full || add_one(w, path, root) || depth >= MAX_DEPTH)
        return;
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) && !w->full) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2])))
            continue;
        char sub[PATH_MAX];
        struct stat st;
        if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >= sizeof sub)
            continue;
        if (e->d_type == DT_DIR ||
            (e->d_type == DT_UNKNOWN && !lstat(sub, &st) && S_ISDIR(st.st_mode)))
            add_tree(w, sub, root, depth + 1);
    }
    closedir(d);
}

static void to_poll(cn_watch *w)
{
    if (w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    for (size_t i = 0; i < w->cap; i++)
        free(w->wds[i].path);
    free(w->wds);
    w->wds = NULL, w->cap = 0, w->ndirs = 0;
    w->kind = CN_WATCH_POLL;
}

cairn_rc cn_watch_open(const char *const *roots, size_t n, cn_watch_kind kind, cn_watch **out,
                       char *warn, size_t warn_len, cairn_err *err)
{
    *out = NULL;
    if (warn_len)
        warn[0] = '\0';
    if (n > CN_WATCH_MAX_ROOTS)
        return cn_err_set(err, CAIRN_RANGE, "at most %d places can be watched", CN_WATCH_MAX_ROOTS);
    cn_watch *w = calloc(1, sizeof *w);
    if (!w)
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    w->kind = kind;
    w->fd = -1;
    for (size_t i = 0; i < n; i++)
        if (!(w->roots[w->nroots++] = strdup(roots[i]))) {
            cn_watch_close(w);
            return cn_err_set(err, CAIRN_NOMEM, "out of memory");
        }
    if (kind == CN_WATCH_INOTIFY) {
        if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
            snprintf(warn, warn_len, "inotify is not available (%s): polling instead",
                     strerror(errno));
            to_poll(w);
        } else {
            for (size_t i = 0; i < n && !w->full; i++)
                add_tree(w, roots[i], (int)i, 0);
            if (w->full) {
                snprintf(warn, warn_len,
                         "the inotify watch limit was reached after %zu directories "
                         "(fs.inotify.max_user_watches): polling instead",
                         w->ndirs);
                to_poll(w);
            }
        }
    }
    *out = w;
    return CAIRN_OK;
}

static uint64_t all_roots(const cn_watch *w)
{
    return w->nroots >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << w->nroots) - 1);
}

/* Read every queued event; mark their roots; watch new directories. */
static void drain(cn_watch *w, uint64_t *dirty)
{
    char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    ssize_t n;
    while ((n = read(w->fd, buf, sizeof buf)) > 0) {
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
            p += sizeof *ev + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                *dirty |= all_roots(w); /* events were lost: the caller rescans */
                continue;
            }
            if (ev->wd < 0 || (size_t)ev->wd >= w->cap || !w->wds[ev->wd].path)
                continue;
            wdir *d = &w->wds[ev->wd];
            *dirty |= (uint64_t)1 << d->root;
            if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)) && ev->len) {
                char sub[PATH_MAX];
                if ((size_t)snprintf(sub, sizeof sub, "%s/%s", d->path, ev->name) < sizeof sub)
                    add_tree(w, sub, d->root, 1);
            }
            if (ev->mask & IN_IGNORED) { /* the directory is gone */
                free(d->path);
                d->path = NULL;
                w->ndirs--;
            }
        }
    }
}

cairn_rc cn_watch_wait(cn_watch *w, int timeout_ms, uint64_t *dirty, cairn_err *err)
{
    *dirty = 0;
    if (w->kind == CN_WATCH_POLL) {
        struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
        if (nanosleep(&ts, NULL) && errno == EINTR)
            return CAIRN_OK; /* a signal: let the caller look at its flags */
        *dirty = all_roots(w);
        return CAIRN_OK;
    }
    struct pollfd p = {w->fd, POLLIN, 0};
    int r = poll(&p, 1, timeout_ms);
    if (r < 0)
        return errno == EINTR ? CAIRN_OK : cn_err_set(err, CAIRN_IO, "poll: %s", strerror(errno));
    if (r > 0)
        drain(w, dirty);
    if (w->full) { /* new directories went past the limit: do not miss changes quietly */
        to_poll(w);
        *dirty = all_roots(w);
    }
    return CAIRN_OK;
}

cn_watch_kind cn_watch_backend(const cn_watch *w)
{
    return w->kind;
}

size_t cn_watch_dirs(const cn_watch *w)
{
    return w->kind == CN_WATCH_INOTIFY ? w->ndirs : w->nroots;
}

void cn_watch_close(cn_watch *w)
{
    if (!w)
        return;
    to_poll(w);
    for (size_t i = 0; i < w->nroots; i++)
        free(w->roots[i]);
    free(w);
}
