/*
 * base/arena.c - chunked bump allocator.
 * Invariant: head == NULL or [cur, end) is the unused tail of head.
 * Requests larger than a quarter chunk get a chunk of their own, linked
 * behind head so the tail of head stays usable.
 */
#include "base/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct cn_arena_chunk {
    cn_arena_chunk *next;
    size_t size;
    _Alignas(16) char data[];
};

void cn_arena_init(cn_arena *a, size_t chunk_size, size_t max_bytes)
{
    memset(a, 0, sizeof *a);
    a->chunk_size = chunk_size ? chunk_size : (size_t)64 << 10;
    a->max = max_bytes;
}

void cn_arena_release(cn_arena *a)
{
    cn_arena_chunk *c, *next;
    if (!a)
        return;
    for (c = a->head; c; c = next) {
        next = c->next;
        free(c);
    }
    a->head = NULL;
    a->cur = a->end = NULL;
    a->used = 0;
}

static cn_arena_chunk *chunk_new(cn_arena *a, size_t size)
{
    cn_arena_chunk *c;
    if (size > SIZE_MAX - sizeof *c)
        return NULL;
    if (a->max && (size > a->max || a->used > a->max - size))
        return NULL;
    c = malloc(sizeof *c + size);
    if (!c)
        return NULL;
    c->size = size;
    a->used += size;
    return c;
}

char *cn_arena_bytes(cn_arena *a, size_t n)
{
    cn_arena_chunk *c;
    char *p;

    if ((size_t)(a->end - a->cur) >= n && a->cur) {
        p = a->cur;
        a->cur += n;
        return p;
    }
    if (n > a->chunk_size / 4) {
        c = chunk_new(a, n ? n : 1);
        if (!c)
            return NULL;
        if (a->head) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = NULL;
            a->head = c;
            a->cur = a->end = c->data + c->size;
        }
        return c->data;
    }
    c = chunk_new(a, a->chunk_size);
    if (!c)
        return NULL;
    c->next = a->head;
    a->head = c;
    a->cur = c->data + n;
    a->end = c->data + c->size;
    return c->data;
}

void *cn_arena_alloc(cn_arena *a, size_t n)
{
    uintptr_t pad = (uintptr_t)a->cur & 15;
    if (pad && a->cur) {
        pad = 16 - pad;
        if ((size_t)(a->end - a->cur) >= pad)
            a->cur += pad;
        else
            a->cur = a->end;
    }
    if (n > SIZE_MAX - 16)
        return NULL;
    return cn_arena_bytes(a, (n + 15) & ~(size_t)15);
}

void *cn_arena_calloc(cn_arena *a, size_t count, size_t size)
{
    void *p;
    if (size && count > SIZE_MAX / size)
        return NULL;
    p = cn_arena_alloc(a, count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

cairn_str cn_arena_strdup(cn_arena *a, cairn_str s)
{
    char *p = cn_arena_bytes(a, s.len + 1);
    if (!p)
        return (cairn_str){NULL, 0};
    if (s.len)
        memcpy(p, s.ptr, s.len);
    p[s.len] = '\0';
    return (cairn_str){p, s.len};
}

char *cn_arena_cstr(cn_arena *a, const char *s, size_t n)
{
    return (char *)cn_arena_strdup(a, (cairn_str){s, n}).ptr;
}

size_t cn_arena_used(const cn_arena *a)
{
    return a->used;
}
