/* source/report.c - the issue list every stage appends to. Strings live in its arena. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "source/pipeline.h"

struct cairn_report {
    cn_arena arena;
    cairn_issue *items;
    size_t n, cap;
};

cairn_report *cairn_report_new(void)
{
    cairn_report *r = calloc(1, sizeof *r);
    if (r)
        cn_arena_init(&r->arena, 16 << 10, 0);
    return r;
}

void cairn_report_free(cairn_report *r)
{
    if (!r)
        return;
    cn_arena_release(&r->arena);
    free(r->items);
    free(r);
}

size_t cairn_report_count(const cairn_report *r)
{
    return r ? r->n : 0;
}

const cairn_issue *cairn_report_get(const cairn_report *r, size_t i)
{
    return r && i < r->n ? &r->items[i] : NULL;
}

void cairn_report_add(cairn_report *r, cairn_rc rc, const char *where, const char *what)
{
    if (!r)
        return;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        cairn_issue *p = realloc(r->items, cap * sizeof *p);
        if (!p)
            return; /* out of memory: the issue is lost, the run goes on */
        r->items = p;
        r->cap = cap;
    }
    const char *w = cn_arena_cstr(&r->arena, where, strlen(where));
    const char *m = cn_arena_cstr(&r->arena, what, strlen(what));
    if (!w || !m)
        return;
    r->items[r->n++] = (cairn_issue){rc, w, m};
}

void cn_report_addf(cairn_report *r, cairn_rc rc, const char *where, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    cairn_report_add(r, rc, where, msg);
}
