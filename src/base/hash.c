/* base/hash.c - XXH3 through libxxhash. */
#include "base/hash.h"

#include <xxhash.h>

uint64_t cn_hash64(const void *p, size_t n)
{
    return XXH3_64bits(p, n);
}

cn_hasher *cn_hasher_new(void)
{
    XXH3_state_t *s = XXH3_createState();
    if (s)
        XXH3_64bits_reset(s);
    return (cn_hasher *)s;
}

void cn_hasher_update(cn_hasher *h, const void *p, size_t n)
{
    XXH3_64bits_update((XXH3_state_t *)h, p, n);
}

uint64_t cn_hasher_digest(const cn_hasher *h)
{
    return XXH3_64bits_digest((const XXH3_state_t *)h);
}

void cn_hasher_free(cn_hasher *h)
{
    if (h)
        XXH3_freeState((XXH3_state_t *)h);
}
