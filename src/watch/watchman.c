/*
 * watch/watchman.c - the watchman client of watch/watchman.h.
 *
 * Commands are sent one at a time while subscribing (the answer is read
 * synchronously, with a timeout); afterwards the server only sends
 * unilateral subscription PDUs, read as they come.  Lines are buffered
 * until complete; a line over 64 MiB is dropped and every root marked
 * whole instead.
 */
#include "watch/watchman.h"

#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/arena.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/str.h"
#include "json/json.h"
#include "json/write.h"

#define MAX_SUBS 64
#define MAX_LINE ((size_t)64 << 20)
#define ANSWER_MS 5000

struct cn_wm {
    int fd;
    char *buf;
    size_t len, cap;
    bool skip; /* a line too long to keep: dropped up to its end, every root rescanned */
    struct {
        char *root; /* as given: file names are relative to it */
        int index;
    } sub[MAX_SUBS];
    size_t nsubs;
};

/* The socket paths to try, in order; n of them written to out. */
static size_t candidates(char out[][PATH_MAX], size_t max)
{
    const char *env = getenv("WATCHMAN_SOCK"), *user = getenv("USER");
    const char *tmp = getenv("TMPDIR");
    size_t n = 0;
    if (env && *env) /* set by the user, or by watchman for its triggers: the only one */
        return snprintf(out[n], PATH_MAX, "%s", env) < PATH_MAX;
    if (!user || !*user) {
        const struct passwd *pw = getpwuid(getuid());
        user = pw ? pw->pw_name : NULL;
    }
    if (!user || !*user)
        return 0;
    static const char *const dirs[] = {NULL, "/run/watchman", "/usr/local/var/run/watchman"};
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0] && n < max; i++)
        if (snprintf(out[n], PATH_MAX, "%s/%s-state/sock",
                     dirs[i]       ? dirs[i]
                     : tmp && *tmp ? tmp
                                   : "/tmp",
                     user) < PATH_MAX)
            n++;
    return n;
}

static int dial(const char *path)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof a.sun_path)
        return -1;
    memcpy(a.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        fd = -1;
    }
    return fd;
}

cn_wm *cn_wm_connect(char *why, size_t why_len)
{
    char paths[3][PATH_MAX];
    size_t n = candidates(paths, 3);
    int fd = -1;
    for (size_t i = 0; i < n && fd < 0; i++)
        fd = dial(paths[i]);
    if (fd < 0) {
        snprintf(why, why_len, "no watchman server answers at %s%s (cairn never starts one)",
                 n ? paths[0] : "$WATCHMAN_SOCK", n > 1 ? " or the default places" : "");
        return NULL;
    }
    cn_wm *w = calloc(1, sizeof *w);
    if (!w) {
        close(fd);
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    w->fd = fd;
    return w;
}

int cn_wm_fd(const cn_wm *w)
{
    return w->fd;
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return false;
        p += k, n -= (size_t)k;
    }
    return true;
}

/* Bytes available (or waited for up to ms) appended to the buffer; false at EOF or error. */
static bool fill(cn_wm *w, int ms)
{
    struct pollfd p = {w->fd, POLLIN, 0};
    if (poll(&p, 1, ms) <= 0)
        return true; /* nothing yet */
    if (w->cap - w->len < 65536) {
        size_t cap = w->cap ? w->cap * 2 : 1 << 17;
        char *b = cap <= MAX_LINE * 2 ? realloc(w->buf, cap) : NULL;
        if (!b) { /* over the limit or out of memory: drop the line (cn_wm_read rescans) */
            w->len = 0;
            w->skip = true;
            return true;
        }
        w->buf = b, w->cap = cap;
    }
    ssize_t k = recv(w->fd, w->buf + w->len, w->cap - w->len, 0);
    if (k <= 0)
        return k < 0 && (errno == EINTR || errno == EAGAIN);
    w->len += (size_t)k;
    return true;
}

/* The next complete line (NUL-terminated in place), or NULL; take it with drop(). */
static char *line(cn_wm *w, size_t *n)
{
    char *nl = w->len ? memchr(w->buf, '\n', w->len) : NULL;
    if (!nl)
        return NULL;
    *nl = '\0';
    *n = (size_t)(nl - w->buf);
    return w->buf;
}

static void drop(cn_wm *w, size_t n)
{
    memmove(w->buf, w->buf + n + 1, w->len - n - 1);
    w->len -= n + 1;
}

/* Send cmd and parse its answer into j (the line stays in the buffer until drop). */
static cairn_rc ask(cn_wm *w, const cn_buf *cmd, cn_json *j, size_t *n, cairn_err *err)
{
    if (!send_all(w->fd, cmd->ptr, cmd->len))
        return cn_err_set(err, CAIRN_IO, "watchman went away");
    uint64_t t0 = cn_mono_ns();
    for (;;) {
        char *l;
        while (!(l = line(w, n))) {
            if ((cn_mono_ns() - t0) / 1000000 > ANSWER_MS || !fill(w, 100))
                return cn_err_set(err, CAIRN_IO, "watchman did not answer");
        }
        if (cn_json_parse(j, l, *n, err))
            return cn_err_set(err, CAIRN_PARSE, "watchman answered with bad JSON");
        /* a change reported to an earlier subscription while subscribing: the catch-up
         * ingest that follows the subscriptions reads it anyway */
        if (!cn_json_bool_or(cn_json_get(cn_json_root(j), "unilateral"), false))
            break;
        drop(w, *n);
    }
    cn_jval e = cn_json_get(cn_json_root(j), "error");
    if (cn_json_exists(e)) {
        cairn_str m = cn_json_raw(e);
        return cn_err_set(err, CAIRN_IO, "watchman: %.*s", CAIRN_STR_FMT(m));
    }
    return CAIRN_OK;
}

cairn_rc cn_wm_subscribe(cn_wm *w, const char *root, int index, cairn_err *err)
{
    cn_buf b;
    cn_jw jw;
    cn_json j;
    size_t n;
    char name[64];
    cairn_rc rc;

    if (w->nsubs == MAX_SUBS)
        return cn_err_set(err, CAIRN_RANGE, "at most %d watchman subscriptions", MAX_SUBS);
    cn_buf_init(&b, 1 << 16);
    cn_json_init(&j);
    /* ["watch-project", root]: the server may watch a project root above it */
    cn_jw_init(&jw, &b, false);
    cn_jw_arr(&jw);
    cn_jw_cstr(&jw, "watch-project");
    cn_jw_cstr(&jw, root);
    cn_jw_arr_end(&jw);
    cn_buf_adds(&b, "\n");
    if ((rc = cn_jw_finish(&jw)) || (rc = ask(w, &b, &j, &n, err)))
        goto out;
    cn_arena a;
    cn_arena_init(&a, 0, 0);
    cairn_str watch = cn_json_str_or(cn_json_get(cn_json_root(&j), "watch"), &a);
    cairn_str rel = cn_json_str_or(cn_json_get(cn_json_root(&j), "relative_path"), &a);
    drop(w, n);
    /* ["subscribe", watch, name, {fields, relative_root}] */
    snprintf(name, sizeof name, "cairn-%ld-%d", (long)getpid(), index);
    b.len = 0;
    cn_jw_init(&jw, &b, false);
    cn_jw_arr(&jw);
    cn_jw_cstr(&jw, "subscribe");
    cn_jw_str(&jw, watch);
    cn_jw_cstr(&jw, name);
    cn_jw_obj(&jw);
    cn_jw_key(&jw, "expression"); /* files only: a new directory's files are listed too */
    cn_jw_arr(&jw);
    cn_jw_cstr(&jw, "type");
    cn_jw_cstr(&jw, "f");
    cn_jw_arr_end(&jw);
    cn_jw_key(&jw, "fields");
    cn_jw_arr(&jw);
    cn_jw_cstr(&jw, "name");
    cn_jw_cstr(&jw, "type");
    cn_jw_arr_end(&jw);
    cn_jw_key(&jw, "empty_on_fresh_instance");
    cn_jw_bool(&jw, true);
    if (rel.len) {
        cn_jw_key(&jw, "relative_root");
        cn_jw_str(&jw, rel);
    }
    cn_jw_obj_end(&jw);
    cn_jw_arr_end(&jw);
    cn_buf_adds(&b, "\n");
    if (!watch.len)
        rc = cn_err_set(err, CAIRN_PARSE, "watchman did not say what it watches for '%s'", root);
    else if (!(rc = cn_jw_finish(&jw)) && !(rc = ask(w, &b, &j, &n, err)))
        drop(w, n);
    cn_arena_release(&a);
    if (!rc && !(w->sub[w->nsubs].root = strdup(root)))
        rc = cn_err_set(err, CAIRN_NOMEM, "out of memory");
    if (!rc)
        w->sub[w->nsubs++].index = index;
out:
    cn_json_release(&j);
    cn_buf_release(&b);
    return rc;
}

/* One subscription PDU: mark its files (or its root, for a fresh instance). */
static long take(cn_wm *w, const char *l, size_t n, cn_dirty *d, uint64_t gen)
{
    cn_json j;
    cn_arena a;
    cairn_err e;
    long marked = 0;
    uint64_t now = cn_mono_ns();

    cn_json_init(&j);
    if (cn_json_parse(&j, l, n, &e)) {
        cn_json_release(&j);
        return 0;
    }
    cn_arena_init(&a, 0, 0);
    cn_jval root = cn_json_root(&j);
    cairn_str sub = cn_json_str_or(cn_json_get(root, "subscription"), &a);
    for (size_t i = 0; i < w->nsubs && sub.len; i++) {
        char name[64];
        snprintf(name, sizeof name, "cairn-%ld-%d", (long)getpid(), w->sub[i].index);
        if (!cn_str_eqc(sub, name))
            continue;
        if (cn_json_bool_or(cn_json_get(root, "is_fresh_instance"), false)) {
            cn_dirty_mark(d, w->sub[i].index, NULL, 0, gen, now);
            marked++;
            break;
        }
        cn_jiter it = cn_json_iter(cn_json_get(root, "files"));
        cn_jval k, f;
        char path[PATH_MAX];
        while (cn_json_next(&it, &k, &f)) {
            cairn_str name_s = cn_json_str_or(cn_json_get(f, "name"), &a);
            int len = snprintf(path, sizeof path, "%s/%.*s", w->sub[i].root, CAIRN_STR_FMT(name_s));
            if (!name_s.len || len < 0 || (size_t)len >= sizeof path)
                cn_dirty_mark(d, w->sub[i].index, NULL, 0, gen, now);
            else
                cn_dirty_mark(d, w->sub[i].index, path, (size_t)len, gen, now);
            marked++;
        }
    }
    cn_arena_release(&a);
    cn_json_release(&j);
    return marked;
}

long cn_wm_read(cn_wm *w, cn_dirty *d, uint64_t gen)
{
    long marked = 0;
    size_t n;
    char *l;
    if (!fill(w, 0)) /* one read: poll(2) wakes the caller again for the rest */
        return -1;
    if (w->skip) { /* changes were in what was dropped: rescan every root */
        for (size_t i = 0; i < w->nsubs; i++)
            cn_dirty_mark(d, w->sub[i].index, NULL, 0, gen, cn_mono_ns());
        marked += (long)w->nsubs;
        char *nl = w->len ? memchr(w->buf, '\n', w->len) : NULL;
        if (!nl) {
            w->len = 0;
            return marked;
        }
        drop(w, (size_t)(nl - w->buf));
        w->skip = false;
    }
    while ((l = line(w, &n))) {
        marked += take(w, l, n, d, gen);
        drop(w, n);
    }
    return marked;
}

void cn_wm_close(cn_wm *w)
{
    if (!w)
        return;
    for (size_t i = 0; i < w->nsubs; i++)
        free(w->sub[i].root);
    close(w->fd);
    free(w->buf);
    free(w);
}
