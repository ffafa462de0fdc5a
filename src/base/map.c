/* base/map.c - linear probing, load factor <= 1/2, XXH3 hashes. */
#include "base/map.h"

#include <stdlib.h>

#include "base/hash.h"
#include "base/str.h"

void cn_map_init(cn_map *m)
{
    m->slots = NULL;
    m->cap = m->n = 0;
}

void cn_map_release(cn_map *m)
{
    if (!m)
        return;
    free(m->slots);
    cn_map_init(m);
}

static cn_map_slot *find(const cn_map *m, cairn_str key, uint64_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        cn_map_slot *s = &m->slots[i];
        if (!s->used || (s->hash == h && cn_str_eq(s->key, key)))
            return s;
    }
}

static cairn_rc grow(cn_map *m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    cn_map old = *m;
    m->slots = calloc(cap, sizeof *m->slots);
    if (!m->slots) {
        *m = old;
        return CAIRN_NOMEM;
    }
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++)
        if (old.slots[i].used)
            *find(m, old.slots[i].key, old.slots[i].hash) = old.slots[i];
    free(old.slots);
    return CAIRN_OK;
}

cairn_rc cn_map_put(cn_map *m, cairn_str key, uint32_t value)
{
    if ((m->n + 1) * 2 > m->cap && grow(m))
        return CAIRN_NOMEM;
    uint64_t h = cn_hash_str(key);
    cn_map_slot *s = find(m, key, h);
    if (!s->used) {
        s->used = 1;
        s->key = key;
        s->hash = h;
        m->n++;
    }
    s->value = value;
    return CAIRN_OK;
}

uint32_t cn_map_get(const cn_map *m, cairn_str key)
{
    if (!m->cap)
        return UINT32_MAX;
    cn_map_slot *s = find(m, key, cn_hash_str(key));
    return s->used ? s->value : UINT32_MAX;
}
