/*
 * base/map.h - a small open-addressing hash map from string keys to uint32
 * values, for the single-threaded bookkeeping of one load (id -> index).
 * Keys are borrowed views: they must outlive the map.  The concurrent hot
 * registry uses liburcu instead (source/registry.c).
 * Threads: a cn_map belongs to one thread.
 */
#ifndef CN_BASE_MAP_H
#define CN_BASE_MAP_H

#include <stdint.h>

#include "cairn/err.h"
#include "cairn/str.h"

typedef struct cn_map_slot {
    cairn_str key;
    uint64_t hash;
    uint32_t value;
    uint32_t used;
} cn_map_slot;

typedef struct cn_map {
    cn_map_slot *slots;
    size_t cap; /* power of two, or 0 */
    size_t n;
} cn_map;

void cn_map_init(cn_map *m);
void cn_map_release(cn_map *m);
/** Insert or overwrite key -> value.  CAIRN_NOMEM. */
cairn_rc cn_map_put(cn_map *m, cairn_str key, uint32_t value);
/** The value of key, or UINT32_MAX when absent. */
uint32_t cn_map_get(const cn_map *m, cairn_str key);

#endif
