/*
 * watch/watch.c - the inotify and polling backends of watch/watch.h.
 *
 * inotify: one watch per directory; wds[wd] maps a watch back to its
 * directory and root, so a new subdirectory can be added under the right
 * root and an event can mark its path dirty under that root.  ENOSPC from
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

#include "base/clock.h"
#include "base/err.h"
#include "watch/watchman.h"

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
    cn_wm *wm;        /* the watchman connection */
    char note[256];   /* why the backend last changed while watching */
    bool full;        /* the watch limit was reached */
    bool nomem;       /* a change could not be recorded */
    size_t limit;     /* most directories to watch (0: the kernel's limit) */
    size_t overflows; /* IN_Q_OVERFLOW events seen */
};

static const char *const kind_names[] = {"auto", "inotify", "watchman", "poll"};

const char *cn_watch_kind_name(cn_watch_kind k)
{
    return (unsigned)k < sizeof kind_names / sizeof kind_names[0] ? kind_names[k] : "?";
}

bool cn_watch_kind_parse(const char *name, cn_watch_kind *k)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (!strcmp(name, kind_names[i])) {
            *k = (cn_watch_kind)i;
            return true;
        }
    return false;
}

static int add_one(cn_watch *w, const char *path, int root)
{
    if (w->limit && w->ndirs >= w->limit) {
        w->full = true;
        return -1;
    }
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
    /* a directory renamed within the roots keeps its watch (inotify watches an
     * inode): its events now name the new path */
    if (!w->wds[wd].path || strcmp(w->wds[wd].path, path)) {
        char *copy = strdup(path);
        if (!copy)
            return -1;
        w->ndirs += !w->wds[wd].path;
        free(w->wds[wd].path);
        w->wds[wd].path = copy;
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

/* Every directory under every root.  false after explaining in warn, with polling on. */
static bool open_inotify(cn_watch *w, char *warn, size_t warn_len)
{
    w->kind = CN_WATCH_INOTIFY;
    if ((w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0) {
        snprintf(warn, warn_len, "inotify is not available (%s): polling instead", strerror(errno));
        to_poll(w);
        return false;
    }
    for (size_t i = 0; i < w->nroots && !w->full; i++)
        add_tree(w, w->roots[i], (int)i, 0);
    if (w->full) {
        snprintf(warn, warn_len,
                 "the inotify watch limit was reached after %zu directories (%s): polling instead",
                 w->ndirs,
                 w->limit && w->ndirs >= w->limit ? "--max-watches"
                                                  : "fs.inotify.max_user_watches");
        to_poll(w);
        return false;
    }
    return true;
}

/* A subscription per root with the running watchman server; false (why in msg) if not. */
static bool open_watchman(cn_watch *w, char *msg, size_t len)
{
    cairn_err e;
    if (!(w->wm = cn_wm_connect(msg, len)))
        return false;
    for (size_t i = 0; i < w->nroots; i++)
        if (cn_wm_subscribe(w->wm, w->roots[i], (int)i, &e)) {
            snprintf(msg, len, "watchman cannot watch '%s': %s", w->roots[i], e.msg);
            cn_wm_close(w->wm);
            w->wm = NULL;
            return false;
        }
    w->kind = CN_WATCH_WATCHMAN;
    return true;
}

cairn_rc cn_watch_open(const char *const *roots, size_t n, const cn_watch_opts *o, cn_watch **out,
                       char *warn, size_t warn_len, cairn_err *err)
{
    cn_watch_kind kind = o->kind;
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
    w->limit = o->max_dirs;
    for (size_t i = 0; i < n; i++)
        if (!(w->roots[w->nroots++] = strdup(roots[i]))) {
            cn_watch_close(w);
            return cn_err_set(err, CAIRN_NOMEM, "out of memory");
        }
    char why[512];
    if (kind == CN_WATCH_WATCHMAN && !open_watchman(w, why, sizeof why)) {
        cn_watch_close(w); /* asked for: say why not; cairn never starts a server */
        return cn_err_set(err, CAIRN_NOTFOUND, "--watch watchman: %s", why);
    }
    /* auto: a watchman server already running for the user, else inotify */
    if ((kind == CN_WATCH_AUTO && !open_watchman(w, why, sizeof why)) || kind == CN_WATCH_INOTIFY)
        open_inotify(w, warn, warn_len);
    if (kind == CN_WATCH_POLL)
        w->kind = CN_WATCH_POLL;
    *out = w;
    return CAIRN_OK;
}

static void mark_all(cn_watch *w, cn_dirty *d, uint64_t gen, uint64_t now)
{
    for (size_t i = 0; i < w->nroots; i++)
        if (cn_dirty_mark(d, (int)i, NULL, 0, gen, now))
            w->nomem = true;
}

/* Read every queued event; mark what it names; watch new directories. */
static size_t drain(cn_watch *w, cn_dirty *d, uint64_t gen)
{
    char buf[64 * 1024] __attribute__((aligned(__alignof__(struct inotify_event))));
    char path[PATH_MAX];
    size_t events = 0;
    ssize_t n;
    while ((n = read(w->fd, buf, sizeof buf)) > 0) {
        uint64_t now = cn_mono_ns();
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *ev = (const struct inotify_event *)(void *)p;
            p += sizeof *ev + ev->len;
            events++;
            if (ev->mask & IN_Q_OVERFLOW) {
                w->overflows++;
                mark_all(w, d, gen, now); /* events were lost: the caller rescans */
                continue;
            }
            if (ev->wd < 0 || (size_t)ev->wd >= w->cap || !w->wds[ev->wd].path)
                continue;
            wdir *dir = &w->wds[ev->wd];
            int len = ev->len ? snprintf(path, sizeof path, "%s/%s", dir->path, ev->name)
                              : snprintf(path, sizeof path, "%s", dir->path);
            if (len < 0 || (size_t)len >= sizeof path)
                mark_all(w, d, gen, now); /* a name too long to keep: rescan */
            else if (cn_dirty_mark(d, dir->root, path, (size_t)len, gen, now))
                w->nomem = true;
            if ((ev->mask & IN_ISDIR) && (ev->mask & (IN_CREATE | IN_MOVED_TO)) && ev->len &&
                (size_t)len < sizeof path)
                add_tree(w, path, dir->root, 1);
            if (ev->mask & IN_IGNORED) { /* the directory is gone */
                free(dir->path);
                dir->path = NULL;
                w->ndirs--;
            }
        }
    }
    return events;
}

cairn_rc cn_watch_wait(cn_watch *w, int timeout_ms, cn_dirty *d, cn_genclock *clock, size_t *events,
                       cairn_err *err)
{
    *events = 0;
    if (w->kind == CN_WATCH_POLL) {
        struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000L};
        if (nanosleep(&ts, NULL) && errno == EINTR)
            return CAIRN_OK; /* a signal: let the caller look at its flags */
        mark_all(w, d, cn_gen_tick(clock), cn_mono_ns());
        *events = w->nroots;
    } else {
        struct pollfd p = {w->wm ? cn_wm_fd(w->wm) : w->fd, POLLIN, 0};
        int r = poll(&p, 1, timeout_ms);
        if (r < 0)
            return errno == EINTR ? CAIRN_OK
                                  : cn_err_set(err, CAIRN_IO, "poll: %s", strerror(errno));
        long got = r > 0 && w->wm ? cn_wm_read(w->wm, d, cn_gen_tick(clock)) : 0;
        if (got < 0) { /* the server went away: changes may have been missed */
            char warn[200];
            cn_wm_close(w->wm);
            w->wm = NULL;
            if (open_inotify(w, warn, sizeof warn))
                snprintf(w->note, sizeof w->note, "the watchman server went away: inotify instead");
            else
                snprintf(w->note, sizeof w->note, "the watchman server went away; %s", warn);
            mark_all(w, d, cn_gen_tick(clock), cn_mono_ns());
            *events += w->nroots;
        } else if (w->wm) {
            *events += (size_t)got;
        } else if (r > 0) {
            *events = drain(w, d, cn_gen_tick(clock));
        }
        if (w->full) { /* new directories went past the limit: do not miss changes quietly */
            snprintf(w->note, sizeof w->note,
                     "the inotify watch limit was reached: polling instead");
            to_poll(w);
            mark_all(w, d, cn_gen_tick(clock), cn_mono_ns());
            *events += w->nroots;
        }
    }
    if (w->nomem) {
        w->nomem = false;
        return cn_err_set(err, CAIRN_NOMEM, "out of memory tracking changes");
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

const char *cn_watch_note(const cn_watch *w)
{
    return w->note;
}

size_t cn_watch_overflows(const cn_watch *w)
{
    return w->overflows;
}

size_t cn_watch_roots(const cn_watch *w)
{
    return w->nroots;
}

void cn_watch_close(cn_watch *w)
{
    if (!w)
        return;
    to_poll(w);
    cn_wm_close(w->wm);
    for (size_t i = 0; i < w->nroots; i++)
        free(w->roots[i]);
    free(w);
}
