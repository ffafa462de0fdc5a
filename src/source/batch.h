/*
 * source/batch.h - building cairn_batch objects (internal).
 *
 * A batch owns one arena (records and unescaped strings), the resolved file
 * contents it points into, and any mappings.  Readers allocate the record
 * arrays from the arena and fill them.
 */
#ifndef CN_SOURCE_BATCH_H
#define CN_SOURCE_BATCH_H

#include "base/arena.h"
#include "base/file.h"
#include "cairn/source.h"

struct cn_batch_priv {
    cn_arena arena;         /* records, strings */
    struct cairn_resolved *res; /* content the strings point into, or NULL */
};

/*
 * The most tokens one record counts: far above any model's window, and low
 * enough that a session's sums (a record takes many bytes of its file) never
 * overflow.  Counts read from an agent's file are clamped to [0, this].
 */
#define CN_TOKENS_MAX ((int64_t)1 << 32)

static inline int64_t cn_tokens_clamp(int64_t v)
{
    return v < 0 ? 0 : v > CN_TOKENS_MAX ? CN_TOKENS_MAX : v;
}

/* to += d, count by count (sums of clamped counts: no overflow). */
static inline void cn_tokens_add(cairn_tokens *to, const cairn_tokens *d)
{
    to->input += d->input;
    to->output += d->output;
    to->reasoning += d->reasoning;
    to->cache_read += d->cache_read;
    to->cache_write += d->cache_write;
}

/** A new empty batch for agent, or NULL when out of memory. */
cairn_batch *cn_batch_new(cairn_agent agent);
/** The batch's arena, for records and strings that live as long as it. */
cn_arena *cn_batch_arena(cairn_batch *b);
/** Give res to b (freed with it). */
void cn_batch_adopt(cairn_batch *b, struct cairn_resolved *res);

#endif
