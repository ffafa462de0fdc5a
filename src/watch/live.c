/*
 * watch/live.c - the live index loop of watch/live.h.
 *
 * Roots: where each agent writes under its source path (opencode: the data
 * dir itself; Claude: projects/; Codex: sessions/ and archived_sessions/).
 * A taken dirty path is made relative to its source; the paths of one
 * source are ingested together, and a whole-root entry (or a path outside
 * the source) turns that source's ingest into a whole one.
 */
#include "watch/live.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/err.h"

#define QUIET_MS 50
#define MAX_DEBOUNCE_MS 80
#define POLL_MS 1000
#define PUBLISH_MS 250 /* the recorded state trails events by at most this */
#define MAX_SOURCES CN_WATCH_MAX_ROOTS

struct cn_live {
    cairn_store *s;
    cairn_source src[MAX_SOURCES];
    size_t nsrc;
    char roots[CN_WATCH_MAX_ROOTS][4200];
    size_t root_src[CN_WATCH_MAX_ROOTS]; /* root -> source */
    size_t nroots;
    char missing[CN_WATCH_MAX_ROOTS][4200]; /* where an agent writes, not made yet */
    size_t nmissing;
    uint64_t checked_ns; /* when missing was last looked at */
    cn_live_opts o;
    cn_watch *w;
    cn_genclock clock;
    cn_dirty dirty;
    uint64_t published_ns; /* when the state was last recorded in the store */
    pthread_mutex_t mu;    /* guards st */
    cn_live_status st;
};

/* Where an agent writes, under its source path; none listed: the path itself. */
static const struct {
    cairn_agent agent;
    const char *subdirs[2];
} where[] = {
    {CAIRN_AGENT_CLAUDE, {"projects", NULL}},
    {CAIRN_AGENT_CODEX, {"sessions", "archived_sessions"}},
};

/*
 * The roots of source i.  A listed place that does not exist yet goes to
 * missing when another one does (Codex makes archived_sessions/ at its first
 * archive); when none does, the source path itself is watched, below which
 * they will be made.
 */
static void add_roots(cn_live *l, size_t i)
{
    const cairn_source *s = &l->src[i];
    bool any = false;
    size_t nmissing = l->nmissing;
    for (size_t k = 0; k < sizeof where / sizeof where[0]; k++) {
        if (where[k].agent != s->agent)
            continue;
        for (size_t d = 0; d < 2 && where[k].subdirs[d] && l->nroots < CN_WATCH_MAX_ROOTS; d++) {
            struct stat st;
            char *r = l->roots[l->nroots];
            snprintf(r, sizeof l->roots[0], "%s/%s", s->path, where[k].subdirs[d]);
            if (!stat(r, &st) && S_ISDIR(st.st_mode)) {
                l->root_src[l->nroots++] = i;
                any = true;
            } else if (nmissing < CN_WATCH_MAX_ROOTS) {
                memcpy(l->missing[nmissing++], r, sizeof l->missing[0]);
            }
        }
    }
    if (any)
        l->nmissing = nmissing;
    if (!any && l->nroots < CN_WATCH_MAX_ROOTS) { /* opencode, or a tree given as it is */
        snprintf(l->roots[l->nroots], sizeof l->roots[0], "%s", s->path);
        l->root_src[l->nroots++] = i;
    }
}

/* Every source's roots, watched with l's options; false (why in err) when they cannot be. */
static cairn_rc watch_roots(cn_live *l, char *msg, size_t len, cairn_err *err)
{
    const char *rp[CN_WATCH_MAX_ROOTS];
    l->nroots = l->nmissing = 0;
    for (size_t i = 0; i < l->nsrc; i++)
        add_roots(l, i);
    for (size_t i = 0; i < l->nroots; i++)
        rp[i] = l->roots[i];
    return cn_watch_open(rp, l->nroots, &l->o.watch, &l->w, msg, len, err);
}

static void warn(cn_live *l, const char *msg)
{
    if (l->o.warn)
        l->o.warn(l->o.ud, msg);
}

static void sync_status(cn_live *l)
{
    pthread_mutex_lock(&l->mu);
    cn_watch_kind k = cn_watch_backend(l->w);
    snprintf(l->st.backend, sizeof l->st.backend, "%s", cn_watch_kind_name(k));
    l->st.dirs = cn_watch_dirs(l->w);
    l->st.roots = cn_watch_roots(l->w);
    l->st.overflows = cn_watch_overflows(l->w);
    l->st.generation = cn_gen_now(&l->clock);
    l->st.backlog = cn_dirty_count(&l->dirty);
    pthread_mutex_unlock(&l->mu);
}

/* Record the status where `cairn stats` and /health of any process can read it. */
static void publish(cn_live *l)
{
    cn_live_status st;
    cairn_err e;
    cn_live_status_get(l, &st);
    cairn_watch_state w = {.pid = (int64_t)getpid(),
                           .dirs = (int64_t)st.dirs,
                           .events = (int64_t)st.events,
                           .overflows = (int64_t)st.overflows,
                           .ingests = (int64_t)st.ingests,
                           .backlog = (int64_t)st.backlog,
                           .sessions_new = (int64_t)st.sessions_new,
                           .sessions_changed = (int64_t)st.sessions_changed,
                           .sessions_gone = (int64_t)st.sessions_gone,
                           .messages = (int64_t)st.messages,
                           .last_event_ms = st.last_event_ms,
                           .last_index_ms = st.last_index_ms,
                           .updated_ms = cn_now_ms(),
                           .lag_ms = st.lag_ms};
    snprintf(w.backend, sizeof w.backend, "%s", st.backend);
    if (cairn_store_watch_put(l->s, &w, &e))
        warn(l, e.msg);
    l->published_ns = cn_mono_ns();
}

cairn_rc cn_live_open(cairn_store *s, const cairn_source *sources, size_t n, const cn_live_opts *o,
                      cn_live **out, cairn_err *err)
{
    char msg[256];
    cairn_rc rc;

    *out = NULL;
    if (n > MAX_SOURCES)
        return cn_err_set(err, CAIRN_RANGE, "at most %d sources can be watched", MAX_SOURCES);
    cn_live *l = calloc(1, sizeof *l);
    if (!l)
        return cn_err_set(err, CAIRN_NOMEM, "out of memory");
    l->s = s;
    l->o = *o;
    l->nsrc = n;
    memcpy(l->src, sources, n * sizeof *sources);
    pthread_mutex_init(&l->mu, NULL);
    cn_dirty_init(&l->dirty);
    if ((rc = watch_roots(l, msg, sizeof msg, err))) {
        cn_live_close(l);
        return rc;
    }
    if (msg[0])
        warn(l, msg);
    sync_status(l);
    *out = l;
    return CAIRN_OK;
}

/* One incremental ingest of source i: of paths[0..n), or whole when paths is NULL. */
static void ingest(cn_live *l, size_t i, const char *const *paths, size_t n, uint64_t first_ns,
                   volatile sig_atomic_t *stop)
{
    cairn_ingest_opts o = {
        .sources = &l->src[i], .nsources = 1, .stop = stop, .paths = paths, .npaths = n};
    cairn_ingest_stats st;
    cairn_report *rep = cairn_report_new();
    cairn_err e;
    if (!rep) {
        warn(l, "out of memory");
        return;
    }
    cairn_rc rc = cairn_store_ingest(l->s, &o, &st, rep, &e);
    if (l->o.issues && cairn_report_count(rep))
        l->o.issues(l->o.ud, rep);
    cairn_report_free(rep);
    double lag = (double)(cn_mono_ns() - first_ns) / 1e6;
    pthread_mutex_lock(&l->mu);
    l->st.ingests++;
    if (rc && rc != CAIRN_INTERRUPTED) {
        l->st.errors++;
    } else if (!rc) {
        l->st.sessions_new += st.sessions_new;
        l->st.sessions_changed += st.sessions_changed;
        l->st.sessions_gone += st.sessions_gone;
        l->st.messages += st.messages;
        if (st.sessions_new || st.sessions_changed || st.sessions_gone) {
            l->st.lag_ms = lag;
            l->st.last_index_ms = cn_now_ms();
        }
    }
    pthread_mutex_unlock(&l->mu);
    if (rc && rc != CAIRN_INTERRUPTED) {
        char msg[1200];
        snprintf(msg, sizeof msg, "re-indexing %s failed (retried on the next change): %s",
                 l->src[i].path, e.msg);
        warn(l, msg);
    } else if (!rc && l->o.changed && (st.sessions_new || st.sessions_changed || st.sessions_gone))
        l->o.changed(l->o.ud, &l->src[i], &st, st.sources_partial ? n : 0, lag);
}

/*
 * Once a missing root exists, watch everything again and read every source
 * whole: what was written there before its watch began is caught up.  The
 * dirty entries' roots may name other sources now; each only widens an
 * ingest to a whole one.
 */
static void recheck_missing(cn_live *l)
{
    struct stat st;
    size_t i = 0;
    while (i < l->nmissing && (stat(l->missing[i], &st) || !S_ISDIR(st.st_mode)))
        i++;
    if (i == l->nmissing)
        return;
    char msg[256], why[1200];
    cairn_err e;
    cn_watch *old = l->w;
    /* the old roots, to keep with the old watch if the new one cannot be made */
    size_t nroots = l->nroots, *root_src = malloc(sizeof l->root_src);
    char(*roots)[4200] = malloc(sizeof l->roots);
    if (!root_src || !roots) {
        free(root_src);
        free(roots);
        return; /* tried again at the next check */
    }
    memcpy(root_src, l->root_src, sizeof l->root_src);
    memcpy(roots, l->roots, sizeof l->roots);
    snprintf(why, sizeof why, "%s", l->missing[i]);
    if (watch_roots(l, msg, sizeof msg, &e)) {
        snprintf(why + strlen(why), sizeof why - strlen(why), ": cannot watch it: %s", e.msg);
        warn(l, why);
        l->w = old;
        l->nroots = nroots;
        memcpy(l->root_src, root_src, sizeof l->root_src);
        memcpy(l->roots, roots, sizeof l->roots);
    } else {
        cn_watch_close(old);
        if (msg[0])
            warn(l, msg);
    }
    free(root_src);
    free(roots);
    l->nmissing = 0; /* not tried again: one warning */
    for (size_t r = 0; r < l->nroots; r++)
        cn_dirty_mark(&l->dirty, (int)r, NULL, 0, cn_gen_now(&l->clock), cn_mono_ns());
}

/* Re-index what the taken entries name, source by source. */
static void index_taken(cn_live *l, cn_dirty_entry *e, size_t n, volatile sig_atomic_t *stop)
{
    const char **paths = calloc(n + 1, sizeof *paths);
    for (size_t i = 0; i < l->nsrc && !(stop && *stop); i++) {
        bool whole = !paths, any = false;
        size_t np = 0, plen = strlen(l->src[i].path);
        uint64_t first = 0;
        for (size_t k = 0; k < n; k++) {
            if (l->root_src[e[k].root] != i)
                continue;
            any = true;
            first = !first || e[k].first_ns < first ? e[k].first_ns : first;
            if (!e[k].path || strncmp(e[k].path, l->src[i].path, plen) || e[k].path[plen] != '/')
                whole = true; /* a whole root, or a path outside the source */
            else if (paths)
                paths[np++] = e[k].path + plen + 1;
        }
        if (any)
            ingest(l, i, whole ? NULL : paths, np, first, stop);
    }
    free(paths);
}

cairn_rc cn_live_run(cn_live *l, volatile sig_atomic_t *stop, cairn_err *err)
{
    int poll_ms = l->o.poll_ms > 0 ? l->o.poll_ms : POLL_MS;
    uint64_t next = 0;
    cn_dirty_entry *taken = NULL;
    size_t ntaken = 0;

    /* catch up first: whatever changed while nobody watched */
    publish(l);
    for (size_t i = 0; i < l->nsrc && !(stop && *stop); i++)
        ingest(l, i, NULL, 0, cn_mono_ns(), stop);
    sync_status(l);
    publish(l);
    if (stop && *stop)
        return CAIRN_OK; /* stopped while catching up: never ready */
    if (l->o.ready) {
        cn_live_status st;
        cn_live_status_get(l, &st);
        l->o.ready(l->o.ud, &st);
    }
    while (!(stop && *stop)) {
        int timeout = poll_ms;
        if (next) { /* a dirty path becomes ready then */
            uint64_t now = cn_mono_ns();
            timeout = next <= now ? 0 : (int)((next - now) / 1000000 + 1);
        }
        size_t events;
        cn_watch_kind before = cn_watch_backend(l->w);
        cairn_rc rc = cn_watch_wait(l->w, timeout, &l->dirty, &l->clock, &events, err);
        if (rc == CAIRN_NOMEM) { /* a change went unrecorded: rescan everything */
            for (size_t i = 0; i < l->nroots; i++)
                cn_dirty_mark(&l->dirty, (int)i, NULL, 0, cn_gen_now(&l->clock), cn_mono_ns());
        } else if (rc) {
            cn_dirty_entries_free(taken, ntaken);
            return rc;
        }
        if (before != cn_watch_backend(l->w))
            warn(l, cn_watch_note(l->w));
        if (l->nmissing && cn_mono_ns() - l->checked_ns >= POLL_MS * 1000000ull) {
            l->checked_ns = cn_mono_ns();
            recheck_missing(l);
        }
        if (events) {
            pthread_mutex_lock(&l->mu);
            l->st.events += events;
            l->st.last_event_ms = cn_now_ms();
            pthread_mutex_unlock(&l->mu);
        }
        bool polling = cn_watch_backend(l->w) == CN_WATCH_POLL;
        ntaken = 0;
        if (cn_dirty_take(&l->dirty, cn_mono_ns(), polling ? 0 : QUIET_MS * 1000000ull,
                          polling ? 0 : MAX_DEBOUNCE_MS * 1000000ull, &taken, &ntaken, &next))
            continue; /* out of memory: the entries stay dirty */
        sync_status(l);
        if (!ntaken) {
            if (events && cn_mono_ns() - l->published_ns > PUBLISH_MS * 1000000ull)
                publish(l); /* a backlog building up is visible */
            continue;
        }
        index_taken(l, taken, ntaken, stop);
        for (size_t k = 0; k < ntaken; k++)
            free(taken[k].path);
        sync_status(l);
        publish(l);
    }
    free(taken);
    return CAIRN_OK;
}

void cn_live_status_get(cn_live *l, cn_live_status *out)
{
    pthread_mutex_lock(&l->mu);
    *out = l->st;
    pthread_mutex_unlock(&l->mu);
}

void cn_live_close(cn_live *l)
{
    if (!l)
        return;
    cn_watch_close(l->w);
    cn_dirty_release(&l->dirty);
    pthread_mutex_destroy(&l->mu);
    free(l);
}
