/*
 * watch/dirty.c - the dirty tracker of watch/dirty.h.
 *
 * Entries live in an array; an open-addressing index over (root, path)
 * finds a path already dirty.  Taking entries compacts the array and
 * rebuilds the index: takes are rare (a few per second) and the backlog is
 * small, so this stays simpler than tombstones.
 */
#include "watch/dirty.h"

#include <stdlib.h>
#include <string.h>

#include "base/hash.h"

void cn_dirty_init(cn_dirty *d)
{
    memset(d, 0, sizeof *d);
}

void cn_dirty_entries_free(cn_dirty_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(e[i].path);
    free(e);
}

void cn_dirty_release(cn_dirty *d)
{
    cn_dirty_entries_free(d->e, d->n);
    free(d->slots);
    cn_dirty_init(d);
}

static uint64_t key_hash(int root, const char *path, size_t len)
{
    return (path ? cn_hash64(path, len) : 0x9e3779b97f4a7c15u) ^ ((uint64_t)(unsigned)root << 1);
}

static bool same(const cn_dirty_entry *e, int root, const char *path, size_t len)
{
    if (e->root != root || !e->path != !path)
        return false;
    return !path || (strlen(e->path) == len && !memcmp(e->path, path, len));
}

/* The slot of (root, path): its entry, or the empty slot where it would go. */
static size_t find(const cn_dirty *d, int root, const char *path, size_t len)
{
    size_t mask = d->nslots - 1, i = (size_t)key_hash(root, path, len) & mask;
    while (d->slots[i] && !same(&d->e[d->slots[i] - 1], root, path, len))
        i = (i + 1) & mask;
    return i;
}

/* Index every entry into the (empty) slots. */
static void fill(cn_dirty *d)
{
    for (size_t k = 0; k < d->n; k++) {
        const cn_dirty_entry *e = &d->e[k];
        d->slots[find(d, e->root, e->path, e->path ? strlen(e->path) : 0)] = (uint32_t)k + 1;
    }
}

static cairn_rc reindex(cn_dirty *d, size_t nslots)
{
    uint32_t *s = calloc(nslots, sizeof *s);
    if (!s)
        return CAIRN_NOMEM;
    free(d->slots);
    d->slots = s, d->nslots = nslots;
    fill(d);
    return CAIRN_OK;
}

uint64_t cn_dirty_gen(const cn_dirty *d, int root, const char *path, size_t len)
{
    if (!d->nslots)
        return 0;
    size_t i = find(d, root, path, len);
    return d->slots[i] ? d->e[d->slots[i] - 1].gen : 0;
}

cairn_rc cn_dirty_mark(cn_dirty *d, int root, const char *path, size_t len, uint64_t gen,
                       uint64_t now_ns)
{
    if ((d->n + 1) * 2 > d->nslots && reindex(d, d->nslots ? d->nslots * 2 : 64))
        return CAIRN_NOMEM;
    size_t i = find(d, root, path, len);
    if (d->slots[i]) {
        cn_dirty_entry *e = &d->e[d->slots[i] - 1];
        e->gen = gen > e->gen ? gen : e->gen;
        e->last_ns = now_ns;
        return CAIRN_OK;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        cn_dirty_entry *n = realloc(d->e, cap * sizeof *n);
        if (!n)
            return CAIRN_NOMEM;
        d->e = n, d->cap = cap;
    }
    char *copy = NULL;
    if (path) {
        if (!(copy = malloc(len + 1)))
            return CAIRN_NOMEM;
        memcpy(copy, path, len);
        copy[len] = '\0';
    }
    d->e[d->n] = (cn_dirty_entry){copy, root, gen, now_ns, now_ns};
    d->slots[i] = (uint32_t)++d->n;
    d->whole += !path;
    return CAIRN_OK;
}

static bool ready(const cn_dirty_entry *e, uint64_t now, uint64_t quiet, uint64_t max, uint64_t *at)
{
    uint64_t q = e->last_ns + quiet, m = e->first_ns + max;
    *at = q < m ? q : m;
    return now >= *at;
}

cairn_rc cn_dirty_take(cn_dirty *d, uint64_t now_ns, uint64_t quiet_ns, uint64_t max_ns,
                       cn_dirty_entry **out, size_t *nout, uint64_t *next_ns)
{
    size_t want = 0, keep = 0;
    uint64_t at, next = 0;
    for (size_t k = 0; k < d->n; k++)
        want += ready(&d->e[k], now_ns, quiet_ns, max_ns, &at);
    if (want) {
        cn_dirty_entry *o = realloc(*out, (*nout + want) * sizeof *o);
        if (!o)
            return CAIRN_NOMEM;
        *out = o;
    }
    for (size_t k = 0; k < d->n; k++) {
        cn_dirty_entry *e = &d->e[k];
        if (ready(e, now_ns, quiet_ns, max_ns, &at)) {
            d->whole -= !e->path;
            (*out)[(*nout)++] = *e;
        } else {
            next = !next || at < next ? at : next;
            d->e[keep++] = *e;
        }
    }
    d->n = keep;
    *next_ns = next;
    if (want && d->nslots) {
        memset(d->slots, 0, d->nslots * sizeof *d->slots);
        fill(d);
    }
    return CAIRN_OK;
}
