/* base/hash.h - content hashes (XXH3, 64 bit).  The only includer of xxhash.h. */
#ifndef CN_BASE_HASH_H
#define CN_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "cairn/str.h"

/** XXH3-64 of n bytes at p. Threads: safe. */
uint64_t cn_hash64(const void *p, size_t n);

static inline uint64_t cn_hash_str(cairn_str s)
{
    return cn_hash64(s.ptr, s.len);
}

/** Streaming XXH3-64, for files read in pieces. */
typedef struct cn_hasher cn_hasher;
cn_hasher *cn_hasher_new(void);
void cn_hasher_update(cn_hasher *h, const void *p, size_t n);
uint64_t cn_hasher_digest(const cn_hasher *h);
void cn_hasher_free(cn_hasher *h);

#endif
