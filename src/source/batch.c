/* source/batch.c - batch lifetime: one arena plus the resolved content it points into. */
#include "source/batch.h"

#include <stdlib.h>

#include "base/str.h"

cairn_batch *cn_batch_new(cairn_agent agent)
{
    cairn_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->priv = calloc(1, sizeof *b->priv);
    if (!b->priv) {
        free(b);
        return NULL;
    }
    cn_arena_init(&b->priv->arena, (size_t)1 << 20, 0);
    b->agent = agent;
    return b;
}

cn_arena *cn_batch_arena(cairn_batch *b)
{
    return &b->priv->arena;
}

void cn_batch_adopt(cairn_batch *b, struct cairn_resolved *res)
{
    b->priv->res = res;
}

void cairn_batch_free(cairn_batch *b)
{
    if (!b)
        return;
    if (b->priv) {
        cairn_resolved_free(b->priv->res);
        cn_arena_release(&b->priv->arena);
        free(b->priv);
    }
    free(b);
}

uint32_t cairn_batch_find_session(const cairn_batch *b, cairn_str id)
{
    for (size_t i = 0; i < b->nsessions; i++)
        if (cn_str_eq(b->sessions[i].id, id))
            return (uint32_t)i;
    return CAIRN_NONE;
}
