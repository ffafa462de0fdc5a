/*
 * source/registry.c - the hot registry: the batches given to cairn_registry_add_take(),
 * indexed by id in liburcu lock-free hash tables and by time in an RCU-published snapshot.
 *
 * Owns: every batch added, each wrapped in a holder that also carries one node per record
 * (arrays parallel to the batch's record arrays, so a node lives exactly as long as its
 * batch); four cds_lfht tables (projects, sessions, messages, parts); the current snapshot
 * (sessions sorted by time_updated_ms, stats) and range set (held batches sorted by the
 * address of their record arrays), each published with rcu_assign_pointer.
 *
 * Keys are (agent, id).  The hash is XXH3 of the id alone, so that a lookup with
 * CAIRN_AGENT_NONE finds every agent's copy in the same chain.  Messages and parts take the
 * agent of the session that links them.  The last batch added wins, for sessions and
 * projects alike.
 *
 * Invariants (writer side, under r->lock; readers take no lock):
 * - A node is NEW (never linked), LINKED or GONE.  Only the nodes of the batch being added
 *   are NEW, and a GONE node is never linked again (lfht nodes may not be reused before a
 *   grace period).
 * - A linked message's owner (the session node that linked it) is linked, and so is a
 *   linked part's owner message: unlinking a session unlinks the messages it owns, unlinking
 *   a message unlinks the parts it owns.  So a holder with no linked session and no linked
 *   project has no linked node at all, and is dead.
 * - messages_of / parts_of find a record's batch by its address in the range set, which
 *   works for an old copy a reader still holds too.  So a batch enters the range set before
 *   any of its nodes is linked; and a dead holder leaves the tables and the time index
 *   first, stays in the range set until synchronize_rcu() has returned (no reader can still
 *   hold a pointer into it), and is freed with call_rcu() after it has left it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <urcu.h>
#include <urcu/rculfhash.h>

#include "base/clock.h"
#include "base/err.h"
#include "base/hash.h"
#include "base/str.h"
#include "cairn/registry.h"

enum { K_PROJECT, K_SESSION, K_MESSAGE, K_PART, K_COUNT };
enum { NODE_NEW, NODE_LINKED, NODE_GONE };

typedef struct holder holder;

typedef struct node {
    struct cds_lfht_node lfn;
    cairn_str id;
    const void *rec;    /* the record in h->b */
    holder *h;          /* the batch holding rec */
    struct node *owner; /* messages: the session node that linked it; parts: the message node */
    uint8_t agent;      /* cairn_agent */
    uint8_t state;      /* NODE_* (writer only) */
} node;

struct holder {
    cairn_batch *b;
    node *nodes[K_COUNT]; /* parallel to b's projects, sessions, messages, parts */
    size_t live_sessions, live_projects;
    holder *prev, *next; /* r->held while alive; the dying list of one add after */
    struct rcu_head rcu;
};

/* The time index and stats; replaced as a whole after every add, never changed once seen. */
typedef struct snap {
    struct rcu_head rcu;
    cairn_registry_stats stats;
    node **by_time; /* linked session nodes, time_updated_ms descending, then id */
    size_t nsessions;
} snap;

/* The batches readers may hold pointers into; replaced as a whole, like snap. */
typedef struct rset {
    struct rcu_head rcu;
    holder **by_sess; /* batches with sessions, by address of their sessions array */
    size_t nby_sess;
    holder **by_msg; /* batches with messages, by address of their messages array */
    size_t nby_msg;
} rset;

struct cairn_registry {
    struct cds_lfht *ht[K_COUNT];
    snap *cur;            /* RCU-published */
    rset *ranges;         /* RCU-published */
    pthread_mutex_t lock; /* one writer at a time; everything below is the writer's */
    holder *held;         /* batches with something live */
    size_t nheld;
    size_t count[K_COUNT]; /* linked nodes */
    size_t replaced, bytes;
    int64_t last_update_ms;
};

/* One call of add: the batch being added and the batches that died meanwhile. */
typedef struct txn {
    cairn_registry *r;
    holder *h;
    holder *dying;
} txn;

typedef struct key {
    cairn_str id;
    cairn_agent agent;
    bool any; /* a lookup with CAIRN_AGENT_NONE: every agent matches */
} key;

static int match(struct cds_lfht_node *ln, const void *k_)
{
    const node *n = caa_container_of(ln, node, lfn);
    const key *k = k_;
    return (k->any || n->agent == k->agent) && cn_str_eq(n->id, k->id);
}

/* ---- threads and read-side sections ---- */

void cairn_thread_register(void)
{
    rcu_register_thread();
}

void cairn_thread_unregister(void)
{
    rcu_unregister_thread();
}

void cairn_registry_read_begin(void)
{
    rcu_read_lock();
}

void cairn_registry_read_end(void)
{
    rcu_read_unlock();
}

/* ---- holders and snapshots ---- */

static void holder_free(holder *h)
{
    if (!h)
        return;
    for (int k = 0; k < K_COUNT; k++)
        free(h->nodes[k]);
    cairn_batch_free(h->b);
    free(h);
}

static void holder_free_cb(struct rcu_head *head)
{
    holder_free(caa_container_of(head, holder, rcu));
}

static cairn_agent agent_or(cairn_agent a, const cairn_batch *b)
{
    return a != CAIRN_AGENT_NONE ? a : b->agent;
}

/* A holder for b with its nodes ready to link, or NULL (out of memory; b is freed). */
static holder *holder_new(cairn_batch *b)
{
    holder *h = calloc(1, sizeof *h);
    if (!h) {
        cairn_batch_free(b);
        return NULL;
    }
    h->b = b;
    const size_t n[K_COUNT] = {b->nprojects, b->nsessions, b->nmessages, b->nparts};
    for (int k = 0; k < K_COUNT; k++) {
        if (n[k] && !(h->nodes[k] = calloc(n[k], sizeof(node)))) {
            holder_free(h);
            return NULL;
        }
        for (size_t i = 0; i < n[k]; i++)
            h->nodes[k][i].h = h;
    }
    for (size_t i = 0; i < b->nprojects; i++) {
        node *nd = &h->nodes[K_PROJECT][i];
        nd->rec = &b->projects[i];
        nd->id = b->projects[i].id;
        nd->agent = (uint8_t)agent_or(b->projects[i].agent, b);
    }
    for (size_t i = 0; i < b->nsessions; i++) {
        node *nd = &h->nodes[K_SESSION][i];
        nd->rec = &b->sessions[i];
        nd->id = b->sessions[i].id;
        nd->agent = (uint8_t)agent_or(b->sessions[i].agent, b);
    }
    for (size_t i = 0; i < b->nmessages; i++) {
        h->nodes[K_MESSAGE][i].rec = &b->messages[i];
        h->nodes[K_MESSAGE][i].id = b->messages[i].id;
    }
    for (size_t i = 0; i < b->nparts; i++) {
        h->nodes[K_PART][i].rec = &b->parts[i];
        h->nodes[K_PART][i].id = b->parts[i].id;
    }
    return h;
}

/* A snapshot with room for nsess sessions, or NULL. */
static snap *snap_alloc(size_t nsess)
{
    if (nsess > (SIZE_MAX - sizeof(snap)) / sizeof(node *))
        return NULL;
    snap *s = calloc(1, sizeof *s + nsess * sizeof(node *));
    if (s)
        s->by_time = (node **)(s + 1);
    return s;
}

/* A range set with room for nhold batches, or NULL. */
static rset *rset_alloc(size_t nhold)
{
    if (nhold > (SIZE_MAX - sizeof(rset)) / sizeof(holder *) / 2)
        return NULL;
    rset *s = calloc(1, sizeof *s + 2 * nhold * sizeof(holder *));
    if (!s)
        return NULL;
    s->by_sess = (holder **)(s + 1);
    s->by_msg = s->by_sess + nhold;
    return s;
}

static void snap_free_cb(struct rcu_head *head)
{
    free(caa_container_of(head, snap, rcu));
}

static void rset_free_cb(struct rcu_head *head)
{
    free(caa_container_of(head, rset, rcu));
}

static void publish_snap(cairn_registry *r, snap *s)
{
    snap *old = r->cur;
    rcu_assign_pointer(r->cur, s);
    call_rcu(&old->rcu, snap_free_cb);
}

static void publish_ranges(cairn_registry *r, rset *s)
{
    rset *old = r->ranges;
    rcu_assign_pointer(r->ranges, s);
    call_rcu(&old->rcu, rset_free_cb);
}

/* ---- linking (writer, inside a read-side section) ---- */

/* Link n, replacing the node with its key if any; the replaced node is returned, GONE. */
static node *link_node(cairn_registry *r, int k, node *n)
{
    key kk = {n->id, (cairn_agent)n->agent, false};
    struct cds_lfht_node *old =
        cds_lfht_add_replace(r->ht[k], cn_hash_str(n->id), match, &kk, &n->lfn);
    n->state = NODE_LINKED;
    r->count[k]++;
    if (!old)
        return NULL;
    node *o = caa_container_of(old, node, lfn);
    o->state = NODE_GONE;
    r->count[k]--;
    return o;
}

static void unlink_node(cairn_registry *r, int k, node *n)
{
    cds_lfht_del(r->ht[k], &n->lfn);
    n->state = NODE_GONE;
    r->count[k]--;
}

/* Move h from the held list to the dying list once nothing of it is live any more. */
static void release(txn *t, holder *h)
{
    if (h == t->h || h->live_sessions || h->live_projects)
        return;
    cairn_registry *r = t->r;
    if (h->prev)
        h->prev->next = h->next;
    else
        r->held = h->next;
    if (h->next)
        h->next->prev = h->prev;
    r->nheld--;
    r->bytes -= h->b->bytes;
    h->prev = NULL;
    h->next = t->dying;
    t->dying = h;
}

/* Unlink the parts that message node m linked and that no newer copy has replaced. */
static void retire_parts(cairn_registry *r, node *m)
{
    const cairn_message *msg = m->rec;
    node *parts = m->h->nodes[K_PART];
    for (uint32_t i = 0; i < msg->nparts; i++) {
        node *p = &parts[msg->first_part + i];
        if (p->state == NODE_LINKED && p->owner == m)
            unlink_node(r, K_PART, p);
    }
}

/* Unlink the messages (and their parts) that session node s linked and that are still its. */
static void retire_messages(cairn_registry *r, node *s)
{
    const cairn_session *ses = s->rec;
    node *msgs = s->h->nodes[K_MESSAGE];
    for (uint32_t i = 0; i < ses->nmessages; i++) {
        node *m = &msgs[ses->first_message + i];
        if (m->state == NODE_LINKED && m->owner == s) {
            unlink_node(r, K_MESSAGE, m);
            retire_parts(r, m);
        }
    }
}

/*
 * Link message node m of session node s, then its parts; the parts of the copy it
 * replaces that the new copy lacks go after, so a reader finds old or new, never neither.
 */
static void link_message(cairn_registry *r, node *s, node *m)
{
    if (m->state != NODE_NEW) /* in the range of an earlier session too */
        return;
    m->owner = s;
    m->agent = s->agent;
    node *old = link_node(r, K_MESSAGE, m);
    const cairn_message *msg = m->rec;
    node *parts = m->h->nodes[K_PART];
    for (uint32_t i = 0; i < msg->nparts; i++) {
        node *p = &parts[msg->first_part + i];
        if (p->state != NODE_NEW)
            continue;
        p->owner = m;
        p->agent = m->agent;
        link_node(r, K_PART, p);
    }
    if (old)
        retire_parts(r, old);
}

static void link_session(txn *t, node *s)
{
    cairn_registry *r = t->r;
    const cairn_session *ses = s->rec;
    t->h->live_sessions++;
    node *old = link_node(r, K_SESSION, s);
    node *msgs = t->h->nodes[K_MESSAGE];
    for (uint32_t i = 0; i < ses->nmessages; i++)
        link_message(r, s, &msgs[ses->first_message + i]);
    if (!old)
        return;
    r->replaced++;
    retire_messages(r, old);
    old->h->live_sessions--;
    release(t, old->h);
}

static void link_project(txn *t, node *p)
{
    t->h->live_projects++;
    node *old = link_node(t->r, K_PROJECT, p);
    if (!old)
        return;
    old->h->live_projects--;
    release(t, old->h);
}

/* ---- building snapshots (writer) ---- */

static int cmp_time(const node *a, const node *b)
{
    const cairn_session *x = a->rec, *y = b->rec;
    if (x->time_updated_ms != y->time_updated_ms)
        return x->time_updated_ms > y->time_updated_ms ? -1 : 1;
    return cn_str_cmp(x->id, y->id);
}

static int qcmp_time(const void *a, const void *b)
{
    return cmp_time(*(node *const *)a, *(node *const *)b);
}

static uintptr_t base_of(const holder *h, int k)
{
    return k == K_SESSION ? (uintptr_t)h->b->sessions : (uintptr_t)h->b->messages;
}

static size_t span_of(const holder *h, int k)
{
    return k == K_SESSION ? h->b->nsessions * sizeof(cairn_session)
                          : h->b->nmessages * sizeof(cairn_message);
}

static int qcmp_sess(const void *a, const void *b)
{
    uintptr_t x = base_of(*(holder *const *)a, K_SESSION);
    uintptr_t y = base_of(*(holder *const *)b, K_SESSION);
    return x < y ? -1 : x > y;
}

static int qcmp_msg(const void *a, const void *b)
{
    uintptr_t x = base_of(*(holder *const *)a, K_MESSAGE);
    uintptr_t y = base_of(*(holder *const *)b, K_MESSAGE);
    return x < y ? -1 : x > y;
}

static void add_range(rset *s, holder *h)
{
    if (h->b->nsessions)
        s->by_sess[s->nby_sess++] = h;
    if (h->b->nmessages)
        s->by_msg[s->nby_msg++] = h;
}

/* The ranges of the held batches, and of extra (the batch about to be linked) if not NULL. */
static void fill_ranges(cairn_registry *r, rset *s, holder *extra)
{
    for (holder *h = r->held; h; h = h->next)
        add_range(s, h);
    if (extra)
        add_range(s, extra);
    qsort(s->by_sess, s->nby_sess, sizeof *s->by_sess, qcmp_sess);
    qsort(s->by_msg, s->nby_msg, sizeof *s->by_msg, qcmp_msg);
}

static void fill_stats(cairn_registry *r, snap *s)
{
    s->stats = (cairn_registry_stats){
        .projects = r->count[K_PROJECT],
        .sessions = r->count[K_SESSION],
        .messages = r->count[K_MESSAGE],
        .parts = r->count[K_PART],
        .batches = r->nheld,
        .bytes = r->bytes,
        .replaced = r->replaced,
        .last_update_ms = r->last_update_ms,
    };
}

/*
 * The time index after adding h: the old one less the sessions replaced, merged with h's
 * linked sessions, sorted in scratch (room for h's sessions).
 */
static void fill_time(cairn_registry *r, snap *s, holder *h, node **scratch)
{
    size_t nnew = 0;
    for (size_t i = 0; i < h->b->nsessions; i++)
        if (h->nodes[K_SESSION][i].state == NODE_LINKED)
            scratch[nnew++] = &h->nodes[K_SESSION][i];
    qsort(scratch, nnew, sizeof *scratch, qcmp_time);
    const snap *old = r->cur;
    size_t i = 0, j = 0;
    while (i < old->nsessions || j < nnew) {
        if (i < old->nsessions && old->by_time[i]->state != NODE_LINKED) {
            i++;
            continue;
        }
        if (j == nnew || (i < old->nsessions && cmp_time(old->by_time[i], scratch[j]) <= 0))
            s->by_time[s->nsessions++] = old->by_time[i++];
        else
            s->by_time[s->nsessions++] = scratch[j++];
    }
}

/* ---- lifetime ---- */

cairn_registry *cairn_registry_new(void)
{
    cairn_registry *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    if (pthread_mutex_init(&r->lock, NULL) != 0) {
        free(r);
        return NULL;
    }
    for (int k = 0; k < K_COUNT; k++) {
        r->ht[k] = cds_lfht_new(64, 64, 0, CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING, NULL);
        if (!r->ht[k])
            goto fail;
    }
    r->cur = snap_alloc(0);
    r->ranges = rset_alloc(0);
    if (!r->cur || !r->ranges)
        goto fail;
    return r;
fail:
    for (int k = 0; k < K_COUNT; k++)
        if (r->ht[k])
            cds_lfht_destroy(r->ht[k], NULL);
    free(r->cur);
    free(r->ranges);
    pthread_mutex_destroy(&r->lock);
    free(r);
    return NULL;
}

void cairn_registry_free(cairn_registry *r)
{
    if (!r)
        return;
    struct cds_lfht_iter it;
    struct cds_lfht_node *ln;
    rcu_read_lock();
    for (int k = 0; k < K_COUNT; k++) {
        cds_lfht_for_each(r->ht[k], &it, ln)
        {
            cds_lfht_del(r->ht[k], ln);
        }
    }
    rcu_read_unlock();
    for (int k = 0; k < K_COUNT; k++)
        cds_lfht_destroy(r->ht[k], NULL);
    rcu_barrier(); /* dead batches and old snapshots still waiting for call_rcu */
    while (r->held) {
        holder *h = r->held;
        r->held = h->next;
        holder_free(h);
    }
    free(r->cur);
    free(r->ranges);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* ---- adding ---- */

/* Every relation index the registry follows must stay inside the batch's arrays. */
static cairn_rc check_batch(const cairn_batch *b, cairn_err *err)
{
    if ((b->nprojects && !b->projects) || (b->nsessions && !b->sessions) ||
        (b->nmessages && !b->messages) || (b->nparts && !b->parts))
        return cn_err_set(err, CAIRN_INVAL, "registry: batch has records counted but no array");
    for (size_t i = 0; i < b->nsessions; i++) {
        const cairn_session *s = &b->sessions[i];
        if (s->nmessages && (uint64_t)s->first_message + s->nmessages > b->nmessages)
            return cn_err_set(err, CAIRN_INVAL,
                              "registry: session '%.*s': messages %u+%u beyond the batch's %zu",
                              CAIRN_STR_FMT(s->id), s->first_message, s->nmessages, b->nmessages);
        if (s->id.len && !s->id.ptr)
            return cn_err_set(err, CAIRN_INVAL, "registry: session %zu: id without bytes", i);
    }
    for (size_t i = 0; i < b->nmessages; i++) {
        const cairn_message *m = &b->messages[i];
        if (m->nparts && (uint64_t)m->first_part + m->nparts > b->nparts)
            return cn_err_set(err, CAIRN_INVAL,
                              "registry: message '%.*s': parts %u+%u beyond the batch's %zu",
                              CAIRN_STR_FMT(m->id), m->first_part, m->nparts, b->nparts);
        if (m->id.len && !m->id.ptr)
            return cn_err_set(err, CAIRN_INVAL, "registry: message %zu: id without bytes", i);
    }
    for (size_t i = 0; i < b->nparts; i++)
        if (b->parts[i].id.len && !b->parts[i].id.ptr)
            return cn_err_set(err, CAIRN_INVAL, "registry: part %zu: id without bytes", i);
    for (size_t i = 0; i < b->nprojects; i++)
        if (b->projects[i].id.len && !b->projects[i].id.ptr)
            return cn_err_set(err, CAIRN_INVAL, "registry: project %zu: id without bytes", i);
    return CAIRN_OK;
}

/* Link every record of t->h, inside one read-side section (cds_lfht requires it). */
static void link_batch(txn *t)
{
    holder *h = t->h;
    rcu_read_lock();
    for (size_t i = 0; i < h->b->nprojects; i++)
        link_project(t, &h->nodes[K_PROJECT][i]);
    for (size_t i = 0; i < h->b->nsessions; i++)
        link_session(t, &h->nodes[K_SESSION][i]);
    rcu_read_unlock();
    if (h->live_sessions || h->live_projects) {
        h->next = t->r->held;
        if (h->next)
            h->next->prev = h;
        t->r->held = h;
        t->r->nheld++;
        t->r->bytes += h->b->bytes;
    } else {
        h->next = t->dying;
        t->dying = h;
    }
}

cairn_rc cairn_registry_add_take(cairn_registry *r, cairn_batch *b, cairn_err *err)
{
    if (!r || !b) {
        cairn_batch_free(b);
        return cn_err_set(err, CAIRN_INVAL, "registry: no %s to add to", r ? "batch" : "registry");
    }
    if (rcu_read_ongoing()) {
        cairn_batch_free(b);
        return cn_err_set(err, CAIRN_BUSY, "registry: cannot add inside a read-side section");
    }
    cairn_rc rc = check_batch(b, err);
    if (rc != CAIRN_OK) {
        cairn_batch_free(b);
        return rc;
    }
    size_t nrec = b->nprojects + b->nsessions + b->nmessages + b->nparts;
    holder *h = holder_new(b);
    if (!h)
        return cn_err_set(err, CAIRN_NOMEM, "registry: out of memory indexing %zu records", nrec);

    pthread_mutex_lock(&r->lock);
    /* Everything is allocated before anything changes, so that nothing can fail after. */
    size_t nsess = r->cur->nsessions + b->nsessions, nhold = r->nheld + 1;
    snap *sn = nsess >= b->nsessions ? snap_alloc(nsess) : NULL;
    node **scratch = malloc((b->nsessions ? b->nsessions : 1) * sizeof *scratch);
    rset *rin = rset_alloc(nhold), *rout = rset_alloc(nhold);
    if (!sn || !scratch || !rin || !rout) {
        pthread_mutex_unlock(&r->lock);
        free(sn);
        free(scratch);
        free(rin);
        free(rout);
        holder_free(h);
        return cn_err_set(err, CAIRN_NOMEM, "registry: out of memory indexing %zu sessions", nsess);
    }
    /* A reader that finds one of h's records must find h in the ranges. */
    fill_ranges(r, rin, h);
    publish_ranges(r, rin);
    txn t = {r, h, NULL};
    link_batch(&t);
    r->last_update_ms = cn_now_ms();
    fill_time(r, sn, h, scratch);
    fill_stats(r, sn);
    publish_snap(r, sn);
    free(scratch);
    if (!t.dying) {
        free(rout);
        pthread_mutex_unlock(&r->lock);
        return CAIRN_OK;
    }
    /* No reader can reach the dead batches any more; wait until none holds a pointer. */
    synchronize_rcu();
    fill_ranges(r, rout, NULL);
    publish_ranges(r, rout);
    while (t.dying) {
        holder *d = t.dying;
        t.dying = d->next;
        call_rcu(&d->rcu, holder_free_cb);
    }
    pthread_mutex_unlock(&r->lock);
    return CAIRN_OK;
}

/* ---- reading ---- */

static const void *lookup(cairn_registry *r, int k, cairn_agent agent, cairn_str id)
{
    if (!r || (id.len && !id.ptr))
        return NULL;
    key kk = {id, agent, agent == CAIRN_AGENT_NONE};
    struct cds_lfht_iter it;
    rcu_read_lock();
    cds_lfht_lookup(r->ht[k], cn_hash_str(id), match, &kk, &it);
    struct cds_lfht_node *ln = cds_lfht_iter_get_node(&it);
    const void *rec = ln ? caa_container_of(ln, node, lfn)->rec : NULL;
    rcu_read_unlock();
    return rec;
}

const cairn_session *cairn_registry_session(cairn_registry *r, cairn_agent agent, cairn_str id)
{
    return lookup(r, K_SESSION, agent, id);
}

const cairn_message *cairn_registry_message(cairn_registry *r, cairn_agent agent, cairn_str id)
{
    return lookup(r, K_MESSAGE, agent, id);
}

const cairn_part *cairn_registry_part(cairn_registry *r, cairn_agent agent, cairn_str id)
{
    return lookup(r, K_PART, agent, id);
}

const cairn_project *cairn_registry_project(cairn_registry *r, cairn_agent agent, cairn_str id)
{
    return lookup(r, K_PROJECT, agent, id);
}

/* The batch whose k array (sessions or messages) holds the record at p, or NULL. */
static const cairn_batch *batch_of(holder *const *v, size_t n, int k, const void *p, size_t size)
{
    uintptr_t a = (uintptr_t)p;
    size_t lo = 0, hi = n; /* find the last batch whose array starts at or before p */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (base_of(v[mid], k) <= a)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const holder *h = v[lo - 1];
    uintptr_t off = a - base_of(h, k);
    return off < span_of(h, k) && off % size == 0 ? h->b : NULL;
}

size_t cairn_registry_messages_of(cairn_registry *r, const cairn_session *s,
                                  const cairn_message **out)
{
    const cairn_message *first = NULL;
    size_t n = 0;
    if (r && s) {
        rcu_read_lock();
        cmm_smp_rmb(); /* s was found in what was published after its batch's range */
        const rset *rs = rcu_dereference(r->ranges);
        const cairn_batch *b = batch_of(rs->by_sess, rs->nby_sess, K_SESSION, s, sizeof *s);
        if (b && s->nmessages) {
            first = b->messages + s->first_message;
            n = s->nmessages;
        }
        rcu_read_unlock();
    }
    if (out)
        *out = first;
    return n;
}

size_t cairn_registry_parts_of(cairn_registry *r, const cairn_message *m, const cairn_part **out)
{
    const cairn_part *first = NULL;
    size_t n = 0;
    if (r && m) {
        rcu_read_lock();
        cmm_smp_rmb(); /* m was found in what was published after its batch's range */
        const rset *rs = rcu_dereference(r->ranges);
        const cairn_batch *b = batch_of(rs->by_msg, rs->nby_msg, K_MESSAGE, m, sizeof *m);
        if (b && m->nparts) {
            first = b->parts + m->first_part;
            n = m->nparts;
        }
        rcu_read_unlock();
    }
    if (out)
        *out = first;
    return n;
}

size_t cairn_registry_sessions_for_project(cairn_registry *r, cairn_str project_id,
                                           const cairn_session **out, size_t max)
{
    if (!r)
        return 0;
    size_t n = 0;
    rcu_read_lock();
    const snap *sn = rcu_dereference(r->cur);
    for (size_t i = 0; i < sn->nsessions; i++) {
        const cairn_session *s = sn->by_time[i]->rec;
        if (!cn_str_eq(s->project_id, project_id))
            continue;
        if (n < max)
            out[n] = s;
        n++;
    }
    rcu_read_unlock();
    return n;
}

size_t cairn_registry_sessions_updated_since(cairn_registry *r, int64_t since_ms,
                                             const cairn_session **out, size_t max)
{
    if (!r)
        return 0;
    rcu_read_lock();
    const snap *sn = rcu_dereference(r->cur);
    size_t lo = 0, hi = sn->nsessions; /* count the sessions with time_updated >= since */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const cairn_session *s = sn->by_time[mid]->rec;
        if (s->time_updated_ms >= since_ms)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = 0; i < lo && i < max; i++)
        out[i] = sn->by_time[i]->rec;
    rcu_read_unlock();
    return lo;
}

void cairn_registry_stats_get(cairn_registry *r, cairn_registry_stats *out)
{
    if (!out)
        return;
    if (!r) {
        memset(out, 0, sizeof *out);
        return;
    }
    rcu_read_lock();
    *out = rcu_dereference(r->cur)->stats;
    rcu_read_unlock();
}
